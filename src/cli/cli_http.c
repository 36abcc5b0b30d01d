/*
 * cli_http.c: the CLI's one way to talk HTTP, a thin layer over libcurl's easy API.
 *
 * Every request gets the same treatment: a 10 s connect timeout and an overall one
 * (ESGX_TIMEOUT seconds, default 300, since an invocation may run long), a cap on the
 * answer size, and on failure an error that names the method, the URL and the cause
 * ("Connection refused", "Timeout was reached after 300 s", ...) so that the user sees
 * what was tried. Uploads can draw a progress bar on stderr: on when stderr is a
 * terminal, or forced on/off by the caller (--progress / --no-progress).
 * Non-2xx answers are not errors here: the caller decides, and cli_http_describe turns
 * the node's {"error": ..., "code": ...} body into one readable line.
 * https:// URLs are checked against the system CA store, or against the PEM file named
 * by CURL_CA_BUNDLE (else SSL_CERT_FILE) when set, e.g. a node's self-signed certificate.
 */
#include "cli.h"
#include "cli_node.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esgx_crypto.h"

#define DEFAULT_MAX_RESPONSE ((size_t)65 << 20)

typedef struct sink {
    uint8_t *buf;
    size_t len, cap, max;
    int too_large;
} sink;

typedef struct progress_state {
    int on;
    int drawn;
    curl_off_t last;             /* percentage last drawn */
} progress_state;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    if (s->len + n > s->max) {
        s->too_large = 1;
        return 0;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < s->len + n + 1) cap *= 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb) return 0;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    return n;
}

static void human(double v, char *out, size_t cap)
{
    if (v >= 1048576.0) snprintf(out, cap, "%.1f MiB", v / 1048576.0);
    else if (v >= 1024.0) snprintf(out, cap, "%.1f KiB", v / 1024.0);
    else snprintf(out, cap, "%.0f B", v);
}

static void draw_bar(curl_off_t now, curl_off_t total)
{
    enum { WIDTH = 30 };
    int fill = total > 0 ? (int)((double)now * WIDTH / (double)total) : 0;
    if (fill > WIDTH) fill = WIDTH;
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = 0;
    char a[32], b[32];
    human((double)now, a, sizeof a);
    human((double)total, b, sizeof b);
    int pct = total > 0 ? (int)((double)now * 100.0 / (double)total) : 0;
    fprintf(stderr, "\rupload [%s] %3d%% %s / %s ", bar, pct, a, b);
    fflush(stderr);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    progress_state *p = ud;
    if (!p->on || ultotal <= 0) return 0;
    /* redraw when the percentage moves (or at the end), not on every callback */
    curl_off_t pct = ulnow * 100 / ultotal;
    if (p->drawn && pct == p->last) return 0;
    p->last = pct;
    p->drawn = 1;
    draw_bar(ulnow, ultotal);
    return 0;
}

/* The CA file of https:// requests: CURL_CA_BUNDLE, else SSL_CERT_FILE, else NULL (the
 * system store libcurl was built with). */
static const char *ca_file(void)
{
    const char *f = getenv("CURL_CA_BUNDLE");
    if (!f || !*f) f = getenv("SSL_CERT_FILE");
    return f && *f ? f : NULL;
}

static long timeout_seconds(void)
{
    const char *t = getenv("ESGX_TIMEOUT");
    uint64_t v;
    if (t && *t && esgx_parse_u64(t, 1, 86400, 0, &v, NULL) == ESGX_OK) return (long)v;
    return 300;
}

int cli_http(const cli_http_request *rq, cli_http_response *rs, esgx_err *err)
{
    static int inited;
    memset(rs, 0, sizeof *rs);
    if (!inited) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT))
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s %s: libcurl initialisation failed", rq->method,
                                rq->url);
        inited = 1;
    }
    CURL *c = curl_easy_init();
    if (!c) return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s %s: libcurl: out of memory", rq->method, rq->url);
    char errbuf[CURL_ERROR_SIZE] = "";
    sink s = {.max = rq->max_response ? rq->max_response : DEFAULT_MAX_RESPONSE};
    progress_state prog = {.on = rq->progress > 0 ||
                                 (rq->progress < 0 && isatty(STDERR_FILENO))};
    long timeout = timeout_seconds();
    struct curl_slist *hdrs = NULL;
    char auth[400], ctype[200];

    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (ca_file()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file());
    curl_easy_setopt(c, CURLOPT_USERAGENT, "esgx-cli/0.1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &prog);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, prog.on ? 0L : 1L);
    if (rq->token && rq->token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", rq->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (rq->header) hdrs = curl_slist_append(hdrs, rq->header);
    if (rq->body) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s",
                 rq->content_type ? rq->content_type : "application/octet-stream");
        hdrs = curl_slist_append(hdrs, ctype);
        hdrs = curl_slist_append(hdrs, "Expect:");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)rq->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    }
    if (strcmp(rq->method, "GET")) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    if (!strcmp(rq->method, "POST") && !rq->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

    CURLcode cc = curl_easy_perform(c);
    if (prog.drawn) fputc('\n', stderr);
    curl_slist_free_all(hdrs);
    esgx_crypto_wipe(auth, sizeof auth);
    int rc = 0;
    if (cc != CURLE_OK) {
        if (s.too_large)
            rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "%s %s: the answer is larger than %zu bytes", rq->method,
                              rq->url, s.max);
        else if (cc == CURLE_OPERATION_TIMEDOUT)
            rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "%s %s: timed out (%s; ESGX_TIMEOUT=%ld s)", rq->method,
                              rq->url, errbuf[0] ? errbuf : curl_easy_strerror(cc), timeout);
        else {
            long os_errno = 0;
            curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
            size_t n = strlen(errbuf);
            while (n && (errbuf[n - 1] == '\n' || errbuf[n - 1] == ' ')) errbuf[--n] = 0;
            rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "%s %s: %s%s%s%s", rq->method, rq->url,
                              errbuf[0] ? errbuf : curl_easy_strerror(cc),
                              os_errno ? " (" : "", os_errno ? strerror((int)os_errno) : "",
                              os_errno ? ")" : "");
        }
        free(s.buf);
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
        struct curl_header *h;
        if (rq->want_header &&
            curl_easy_header(c, rq->want_header, 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
            snprintf(rs->header, sizeof rs->header, "%s", h->value);
        if (!s.buf) s.buf = malloc(1);
        if (!s.buf) {
            rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "%s %s: out of memory", rq->method, rq->url);
        } else {
            s.buf[s.len] = 0;
            rs->body = s.buf;
            rs->len = s.len;
        }
    }
    curl_easy_cleanup(c);
    return rc;
}

void cli_http_response_free(cli_http_response *rs)
{
    free(rs->body);
    rs->body = NULL;
    rs->len = 0;
}

void cli_http_describe(const cli_http_response *rs, char *out, size_t cap)
{
    json_t *j = rs->body ? json_loadb((const char *)rs->body, rs->len, 0, NULL) : NULL;
    const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
    const char *code = j ? json_string_value(json_object_get(j, "code")) : NULL;
    if (code) cli_error_code(code);   /* the run's short code under --json */
    if (msg && code) {
        snprintf(out, cap, "HTTP %ld (%s): %s", rs->status, code, msg);
    } else if (msg) {
        snprintf(out, cap, "HTTP %ld: %s", rs->status, msg);
    } else {
        /* not the node's JSON: show the start of the body, printable bytes only */
        char snippet[121];
        size_t n = 0;
        for (size_t i = 0; rs->body && i < rs->len && n < sizeof snippet - 1; i++) {
            unsigned char ch = rs->body[i];
            snippet[n++] = (ch >= 32 && ch < 127) ? (char)ch : ' ';
        }
        snippet[n] = 0;
        size_t lead = strspn(snippet, " ");
        if (snippet[lead] == '<')   /* a web page: the URL is not an esgx node's API */
            snprintf(out, cap, "HTTP %ld with a web page, not an esgx node's JSON (is the URL an "
                     "esgx node?)", rs->status);
        else
            snprintf(out, cap, "HTTP %ld%s%s", rs->status, n ? ": " : "", snippet);
    }
    json_decref(j);
}

int cli_url(const char *base, const char *path, char *out, size_t cap)
{
    size_t n = strlen(base);
    while (n && base[n - 1] == '/') n--;
    int w = snprintf(out, cap, "%.*s%s", (int)n, base, path);
    return (w < 0 || (size_t)w >= cap) ? ESGX_CLI_E_FAILED : 0;
}

int cli_get(const char *base, const char *path, const char *token, cli_http_response *rs,
            char *url, size_t url_cap)
{
    memset(rs, 0, sizeof *rs);
    if (cli_url(base, path, url, url_cap)) {
        cli_error("URL too long");
        return CLI_EXIT_FAIL;
    }
    cli_http_request rq = {.method = "GET", .url = url, .token = token};
    esgx_err err;
    if (cli_http(&rq, rs, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_NETWORK;
    }
    return CLI_EXIT_OK;
}
