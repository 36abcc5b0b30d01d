/*
 * http_client.c: the node's HTTP client (http_client.h). One libcurl easy handle per
 * request: the control plane makes few calls, and a fresh handle keeps threads independent. The
 * global libcurl state is made once (pthread_once), as libcurl requires.
 *
 * Origins (refuse_private) must not reach inside: libcurl resolves the host, then asks
 * on_open_socket for each address it is about to connect to; a private one (loopback,
 * RFC 1918, link-local, ...: esgx_httpc_private_kind) gets no socket, so nothing is sent
 * to it whatever name or numeric form the URL used. Redirects stay off, so the one hop
 * checked is the only one.
 */
#include "http_client.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static pthread_once_t httpc_once = PTHREAD_ONCE_INIT;
static int httpc_ready;

static void httpc_init(void)
{
    httpc_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

typedef struct xfer {
    const esgx_httpc_opts *o;
    esgx_httpc_sink sink;
    void *arg;
    uint64_t got;
    int too_big, aborted;
    esgx_httpc_answer *a;         /* NULL: no header wanted */
    char refused[INET6_ADDRSTRLEN + 64]; /* "ADDR, a loopback address" once refused */
} xfer;

/* The kind of an IPv4 address (host order) outside the public internet, or NULL. */
static const char *private_v4(uint32_t a)
{
    if ((a >> 24) == 127) return "a loopback address";
    if ((a >> 24) == 0) return "the unspecified address";
    if ((a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168))
        return "a private address";
    if ((a >> 22) == (100u << 2 | 1)) return "a shared (CGNAT) address";
    if ((a >> 16) == (169u << 8 | 254)) return "a link-local address";
    return NULL;
}

const char *esgx_httpc_private_kind(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return private_v4(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family != AF_INET6) return "not an IP address";
    const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
    static const uint8_t zero[16], mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (!memcmp(b, mapped, 12))
        return private_v4((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    if (!memcmp(b, zero, 15)) return b[15] == 1 ? "a loopback address"
                                      : b[15] == 0 ? "the unspecified address" : NULL;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "a link-local address";
    if ((b[0] & 0xfe) == 0xfc) return "a unique-local address";
    return NULL;
}

/* CURLOPT_OPENSOCKETFUNCTION under refuse_private: no socket for a private address. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *sa)
{
    (void)purpose;
    xfer *x = ud;
    const char *kind = esgx_httpc_private_kind(&sa->addr);
    if (kind) {
        char ip[INET6_ADDRSTRLEN] = "?";
        if (sa->family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)&sa->addr)->sin_addr, ip, sizeof ip);
        else if (sa->family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)&sa->addr)->sin6_addr, ip, sizeof ip);
        snprintf(x->refused, sizeof x->refused, "%s, %s", ip, kind);
        return CURL_SOCKET_BAD;
    }
    return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

/* Keeps the first of o->want_headers the answer carries, its value trimmed. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    const char *colon = memchr(data, ':', n);
    if (!colon || !x->a || x->a->header || x->a->header_too_big) return n;
    size_t nl = (size_t)(colon - data), max = x->o->header_max ? x->o->header_max : 65536;
    for (const char *const *w = x->o->want_headers; *w; w++) {
        if (strlen(*w) != nl || strncasecmp(data, *w, nl)) continue;
        const char *v = colon + 1, *e = data + n;
        while (v < e && isspace((unsigned char)*v)) v++;
        while (e > v && isspace((unsigned char)e[-1])) e--;
        if ((size_t)(e - v) > max) x->a->header_too_big = 1;
        else if (!(x->a->header = strndup(v, (size_t)(e - v)))) return 0;
        break;
    }
    return n;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (x->o->max_bytes && n > x->o->max_bytes - x->got) {
        x->too_big = 1;
        return 0;
    }
    x->got += n;
    if (x->sink(x->arg, (const uint8_t *)data, n)) {
        x->aborted = 1;
        return 0;
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const xfer *x = ud;
    return (x->o->stop && atomic_load(x->o->stop)) || (x->o->cut && atomic_load(x->o->cut));
}

static void set_opts(CURL *c, const char *url, const esgx_httpc_opts *o, xfer *x,
                     struct curl_slist **hdrs, char *errbuf)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(o->connect_timeout_ms ? o->connect_timeout_ms : 2000));
    if (o->timeout_ms) curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    if (o->low_speed_ms) {
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT,
                         (long)(o->low_speed_bytes ? o->low_speed_bytes : 1));
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)((o->low_speed_ms + 999) / 1000));
    }
    curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "esgxd/1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    if (o->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (o->ca_file) {
        curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
    }
    if (o->want_headers && x->a) {
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    }
    if (o->stop || o->cut) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    if (o->refuse_private) {
        curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, x);
        /* no proxy from the environment (http_proxy, ...): the address checked must be
         * the origin's own, not a proxy's that would then reach anywhere */
        curl_easy_setopt(c, CURLOPT_PROXY, "");
    }
    if (o->peer_fetch) *hdrs = curl_slist_append(*hdrs, "X-Esgx-Peer-Fetch: 1");
    if (o->body) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s",
                 o->content_type ? o->content_type : "application/json");
        *hdrs = curl_slist_append(*hdrs, ct);
        *hdrs = curl_slist_append(*hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
    }
    if (*hdrs) curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    if (o->method) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o->method);
}

/* One transfer: the body to sink, status (and failure, header) into *a. */
static int transfer(const char *url, const esgx_httpc_opts *o, esgx_httpc_sink sink, void *arg,
                    esgx_httpc_answer *a, int want_header, esgx_err *err)
{
    pthread_once(&httpc_once, httpc_init);
    if (!httpc_ready) return esgx_err_set(err, ESGX_NODE_E_FETCH, "libcurl did not start");
    CURL *c = curl_easy_init();
    if (!c) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "curl_easy_init failed");
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    xfer x = {.o = o, .sink = sink, .arg = arg, .a = want_header ? a : NULL};
    set_opts(c, url, o, &x, &hdrs, errbuf);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK)
        snprintf(a->reason, sizeof a->reason, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    if (x.too_big) {
        a->failure = ESGX_HTTPC_TOO_BIG;
        return esgx_err_set(err, ESGX_NODE_E_TOO_BIG, "%s: answer over %llu bytes", url,
                            (unsigned long long)o->max_bytes);
    }
    if (x.aborted || (cc == CURLE_ABORTED_BY_CALLBACK))
        return esgx_err_set(err, ESGX_NODE_E_ABORTED, "%s: transfer stopped", url);
    if (cc == CURLE_OK) return ESGX_OK;
    if (x.refused[0]) {
        a->failure = ESGX_HTTPC_REFUSED;
        return esgx_err_set(err, ESGX_NODE_E_ARG, "%s resolves to %s", url, x.refused);
    }
    a->failure = cc == CURLE_OPERATION_TIMEDOUT ? ESGX_HTTPC_TIMEOUT
                 : cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE
                     ? ESGX_HTTPC_TLS
                     : ESGX_HTTPC_FAILED;
    return esgx_err_set(err, ESGX_NODE_E_FETCH, "%s: %s", url, a->reason);
}

int esgx_httpc_stream(const char *url, const esgx_httpc_opts *o, esgx_httpc_sink sink,
                      void *arg, long *status, esgx_err *err)
{
    esgx_httpc_answer a;
    memset(&a, 0, sizeof a);
    int rc = transfer(url, o, sink, arg, &a, 0, err);
    *status = a.status;
    return rc;
}

int esgx_httpc_buf_append(esgx_httpc_buf *b, const uint8_t *data, size_t len)
{
    if (len + 1 > b->cap - b->len) {   /* room for a NUL after the data */
        size_t cap = b->cap ? b->cap : 4096;
        while (len + 1 > cap - b->len) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) return b->nomem = 1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = 0;
    return 0;
}

static int mem_sink(void *arg, const uint8_t *data, size_t len)
{
    return esgx_httpc_buf_append(arg, data, len);
}

int esgx_httpc_get(const char *url, const esgx_httpc_opts *o, esgx_httpc_answer *a,
                   esgx_err *err)
{
    esgx_httpc_buf b = {0};
    memset(a, 0, sizeof *a);
    int rc = transfer(url, o, mem_sink, &b, a, o->want_headers != NULL, err);
    if (rc == ESGX_NODE_E_ABORTED && b.nomem) rc = esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    if (rc == ESGX_OK && !b.p && !(b.p = calloc(1, 1)))
        rc = esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    a->body = (char *)b.p;
    a->len = b.len;
    return rc;
}

void esgx_httpc_answer_free(esgx_httpc_answer *a)
{
    free(a->body);
    free(a->header);
    a->body = a->header = NULL;
}

int esgx_httpc_fetch(const char *url, const esgx_httpc_opts *o, long *status, char **body,
                     size_t *len, esgx_err *err)
{
    esgx_httpc_answer a;
    int rc = esgx_httpc_get(url, o, &a, err);
    *status = a.status;
    free(a.header);
    if (rc) {
        free(a.body);
        a.body = NULL;
        a.len = 0;
    }
    *body = a.body;
    *len = a.len;
    return rc;
}
