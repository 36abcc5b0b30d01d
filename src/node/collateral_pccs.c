/*
 * collateral_pccs.c: DCAP collateral from a PCCS (Intel PCS/PCCS API v4) with a memory and disk
 * cache (see collateral_pccs.h).
 *
 * Design. One libcurl easy handle per request (no connection reuse: four requests per
 * refresh interval per FMSPC), http/https only, no redirects, connect and total
 * timeouts, and a hard cap on each body (the write callback refuses more). https checks
 * the PCCS's certificate against the system's store or cfg.ca_file (a private CA)
 * unless cfg.insecure; a refused certificate is an error naming the URL, the CAs and
 * the cause. Response headers are collected by name (case-insensitive) and
 * URL-decoded. The CRLs are accepted as PEM, DER or hex-encoded DER (what PCCS returns
 * for /rootcacrl) and are re-emitted as PEM after OpenSSL parsed them; issuer chains
 * are re-emitted as PEM certificate by certificate. The TCB info and QE identity
 * bodies are embedded byte for byte (only surrounding white space trimmed): Intel signs
 * their exact bytes. The assembled text goes through esgx_attest_collateral_check
 * before anyone sees it, and the TCB info must name the FMSPC that was asked for.
 *
 * Cache: a list of entries keyed by (FMSPC, CA) under mu; fetches are serialised by
 * fetch_mu so that concurrent requests for a stale entry cause one fetch (the second
 * caller re-checks the entry after taking fetch_mu). Disk files are written to a temp
 * name, fsynced, renamed over the old file and the directory fsynced, so a reader or a
 * crash sees the old or the new file, never a torn one. Times are wall-clock
 * milliseconds so that a loaded file's mtime is its age.
 */
#define _GNU_SOURCE
#include "collateral_pccs.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "esgx_attest.h"
#include "http_client.h"

#define MAX_HEADER (64u * 1024u)     /* one collected header value */
#define MAX_CACHE_FILE (8u << 20)
#define MAX_ENTRIES 256
#define MAX_CHAIN 8

typedef struct entry {
    uint8_t fmspc[6];
    int ca;
    char *json;
    size_t len;
    int64_t fetched_ms;      /* when the copy was fetched (wall clock) */
    int64_t failed_ms;       /* last failed refetch, 0 = none since */
    struct entry *next;
} entry;

struct pccs {
    char *base;              /* without a trailing '/' */
    char *cache_dir;
    char *ca_file;
    pccs_config cfg;
    pthread_mutex_t mu;      /* entries */
    pthread_mutex_t fetch_mu;
    entry *entries;
    size_t n_entries;
    uint64_t fetches;
};

/* ---------------------------------------------------------------- helpers */

static void plog(const pccs *p, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plog(const pccs *p, int level, const char *fmt, ...)
{
    if (!p->cfg.log) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->cfg.log(level, msg);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Upper-case hex of the FMSPC (Intel's spelling in URLs and TCB info). */
static void fmspc_hex(const uint8_t fmspc[6], char out[13], int upper)
{
    static const char *const digits[2] = {"0123456789abcdef", "0123456789ABCDEF"};
    for (int i = 0; i < 6; i++) {
        out[2 * i] = digits[upper][fmspc[i] >> 4];
        out[2 * i + 1] = digits[upper][fmspc[i] & 15];
    }
    out[12] = 0;
}

/* s[0..*len) without leading and trailing white space (moves s, shrinks len). */
static const char *trim(const char *s, size_t *len)
{
    size_t a = 0, b = *len;
    while (a < b && isspace((unsigned char)s[a])) a++;
    while (b > a && isspace((unsigned char)s[b - 1])) b--;
    *len = b - a;
    return s + a;
}

/* ---------------------------------------------------------------- HTTP */

/* GET url through the node's HTTP client (http_client.c). want: header names of which the
 * first present one is returned in *header (URL-decoded, malloc'd; NULL allowed when
 * want is NULL). On 0, *body is malloc'd (NUL-terminated) with *len bytes. */
static int http_get(pccs *p, const char *url, const char *const *want, char **body,
                    size_t *len, char **header, esgx_err *err)
{
    *body = NULL;
    if (header) *header = NULL;
    esgx_httpc_opts o = {.method = "GET", .connect_timeout_ms = p->cfg.connect_timeout_ms,
                         .timeout_ms = p->cfg.timeout_ms, .max_bytes = p->cfg.max_body,
                         .user_agent = "esgxd-pccs/1", .ca_file = p->ca_file,
                         .insecure = p->cfg.insecure, .want_headers = want,
                         .header_max = MAX_HEADER};
    esgx_httpc_answer a;
    esgx_err e;
    int hrc = esgx_httpc_get(url, &o, &a, &e), rc = 0;
    if (hrc == ESGX_NODE_E_NOMEM)
        rc = esgx_err_set(err, ESGX_PCCS_E_NOMEM, "GET %s: out of memory", url);
    else if (a.failure == ESGX_HTTPC_TOO_BIG)
        rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: response larger than %zu bytes", url,
                          p->cfg.max_body);
    else if (a.failure == ESGX_HTTPC_TIMEOUT)
        rc = esgx_err_set(err, ESGX_PCCS_E_FETCH, "GET %s: timed out (%s)", url, a.reason);
    else if (a.failure == ESGX_HTTPC_TLS)
        rc = esgx_err_set(err, ESGX_PCCS_E_FETCH, "GET %s: TLS certificate check failed "
                          "(trusted CAs: %s): %s", url, p->ca_file ? p->ca_file : "system store",
                          a.reason);
    else if (hrc)
        rc = esgx_err_set(err, ESGX_PCCS_E_FETCH, "GET %s: %s", url,
                          a.reason[0] ? a.reason : e.msg);
    else if (a.status != 200)
        rc = esgx_err_set(err, ESGX_PCCS_E_FETCH, "GET %s: HTTP %ld", url, a.status);
    else if (a.header_too_big)
        rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: %s header larger than %u bytes", url,
                          want[0], MAX_HEADER);
    else if (want && !a.header)
        rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: no %s header", url, want[0]);
    if (!rc && want) {
        int n = 0;
        char *dec = curl_easy_unescape(NULL, a.header, (int)strlen(a.header), &n);
        if (!dec || memchr(dec, 0, (size_t)n)) {
            rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: %s header does not URL-decode", url,
                              want[0]);
        } else if (!(*header = strndup(dec, (size_t)n))) {
            rc = esgx_err_set(err, ESGX_PCCS_E_NOMEM, "GET %s: out of memory", url);
        }
        curl_free(dec);
    }
    if (rc) {
        esgx_httpc_answer_free(&a);
        return rc;
    }
    *body = a.body;
    *len = a.len;
    free(a.header);
    return 0;
}

/* ---------------------------------------------------------------- PEM normalisation */

/* Writes the contents of a memory BIO into a new NUL-terminated string. */
static char *bio_string(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        if (n) memcpy(s, data, (size_t)n);
        s[n] = 0;
    }
    return s;
}

/* A CRL given as PEM, DER or hex-encoded DER, as PEM text (malloc'd). */
static int crl_to_pem(const char *url, const char *body, size_t body_len, char **out,
                      esgx_err *err)
{
    *out = NULL;
    size_t len = body_len;
    const char *s = trim(body, &len);
    X509_CRL *crl = NULL;
    static const char begin[] = "-----BEGIN X509 CRL-----";
    if (len >= sizeof begin - 1 && !memcmp(s, begin, sizeof begin - 1)) {
        BIO *b = BIO_new_mem_buf(s, (int)len);
        crl = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    } else {
        /* hex-encoded DER (what PCCS returns), else the raw bytes as DER */
        size_t hex = 0;
        while (hex < len && isxdigit((unsigned char)s[hex])) hex++;
        uint8_t *der = NULL;
        const uint8_t *p = (const uint8_t *)body;
        size_t n = body_len;
        if (len > 0 && hex == len && len % 2 == 0) {
            if (!(der = malloc(len / 2)))
                return esgx_err_set(err, ESGX_PCCS_E_NOMEM, "GET %s: out of memory", url);
            for (size_t i = 0; i < len / 2; i++) {
                char two[3] = {s[2 * i], s[2 * i + 1], 0};
                der[i] = (uint8_t)strtoul(two, NULL, 16);
            }
            p = der;
            n = len / 2;
        }
        const uint8_t *q = p;
        crl = n ? d2i_X509_CRL(NULL, &q, (long)n) : NULL;
        if (crl && q != p + n) {   /* trailing bytes */
            X509_CRL_free(crl);
            crl = NULL;
        }
        free(der);
    }
    ERR_clear_error();
    if (!crl)
        return esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: body is not a CRL (PEM, DER or hex)",
                            url);
    BIO *m = BIO_new(BIO_s_mem());
    int ok = m && PEM_write_bio_X509_CRL(m, crl) == 1 && (*out = bio_string(m));
    BIO_free(m);
    X509_CRL_free(crl);
    if (!ok) return esgx_err_set(err, ESGX_PCCS_E_NOMEM, "GET %s: cannot write the CRL", url);
    return 0;
}

/* An issuer chain (PEM certificates, leaf first) re-emitted as PEM (malloc'd). */
static int chain_to_pem(const char *url, const char *hname, const char *pem, char **out,
                        esgx_err *err)
{
    *out = NULL;
    BIO *in = BIO_new_mem_buf(pem, -1), *m = BIO_new(BIO_s_mem());
    int n = 0, bad = !in || !m;
    X509 *x;
    while (!bad && (x = PEM_read_bio_X509(in, NULL, NULL, NULL))) {
        bad = ++n > MAX_CHAIN || PEM_write_bio_X509(m, x) != 1;
        X509_free(x);
    }
    ERR_clear_error();
    if (!bad && n > 0) *out = bio_string(m);
    BIO_free(in);
    BIO_free(m);
    if (!*out)
        return esgx_err_set(err, ESGX_PCCS_E_BODY,
                            "GET %s: %s header is not a PEM chain of 1..%d certificates", url,
                            hname, MAX_CHAIN);
    return 0;
}

/* ---------------------------------------------------------------- documents */

/* Checks a signed document body {"<inner>": {...}, "signature": "hex"}; for TCB info
 * also that inner.fmspc is the FMSPC asked for (case-insensitive). */
static int check_doc(const char *url, const char *body, size_t len, const char *inner,
                     const char *fmspc, esgx_err *err)
{
    json_error_t je;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    json_t *in = json_object_get(o, inner), *sig = json_object_get(o, "signature");
    int rc = 0;
    if (!json_is_object(o))
        rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: body is not a JSON object (%s)", url,
                          je.text);
    else if (!json_is_object(in) || !json_is_string(sig))
        rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: body lacks \"%s\" or \"signature\"", url,
                          inner);
    else if (fmspc) {
        json_t *f = json_object_get(in, "fmspc");
        if (!json_is_string(f) || strcasecmp(json_string_value(f), fmspc))
            rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: TCB info is for FMSPC %s, not %s",
                              url, json_is_string(f) ? json_string_value(f) : "(none)",
                              fmspc);
    }
    json_decref(o);
    return rc;
}

/* The pieces of one collateral, all malloc'd. */
typedef struct parts {
    char *tcb, *tcb_chain, *qe, *qe_chain, *pck_crl, *pck_chain, *root_crl;
    size_t tcb_len, qe_len;
} parts;

static void parts_free(parts *x)
{
    free(x->tcb);
    free(x->tcb_chain);
    free(x->qe);
    free(x->qe_chain);
    free(x->pck_crl);
    free(x->pck_chain);
    free(x->root_crl);
    memset(x, 0, sizeof *x);
}

/* Fetches a signed JSON document and its issuer chain (names: header spellings). */
static int get_doc(pccs *p, const char *url, const char *const *names, const char *inner,
                   const char *fmspc, char **doc, size_t *doc_len, char **chain,
                   esgx_err *err)
{
    char *body = NULL, *hdr = NULL;
    size_t len = 0;
    int rc = http_get(p, url, names, &body, &len, &hdr, err);
    if (!rc && memchr(body, 0, len))
        rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "GET %s: NUL byte in the body", url);
    if (!rc) {
        size_t tl = len;
        const char *t = trim(body, &tl);
        rc = check_doc(url, t, tl, inner, fmspc, err);
        if (!rc) {
            memmove(body, t, tl);
            body[tl] = 0;
            *doc = body;
            *doc_len = tl;
            body = NULL;
        }
    }
    if (!rc) rc = chain_to_pem(url, names[0], hdr, chain, err);
    free(body);
    free(hdr);
    return rc;
}

/* Fetches a CRL (PEM, DER or hex) as PEM, and optionally its issuer chain. */
static int get_crl(pccs *p, const char *url, const char *const *names, char **crl,
                   char **chain, esgx_err *err)
{
    char *body = NULL, *hdr = NULL;
    size_t len = 0;
    int rc = http_get(p, url, names, &body, &len, names ? &hdr : NULL, err);
    if (!rc) rc = crl_to_pem(url, body, len, crl, err);
    if (!rc && names) rc = chain_to_pem(url, names[0], hdr, chain, err);
    free(body);
    free(hdr);
    return rc;
}

/* Appends `,"name":<json string of s>` to the JSON object being built. */
static int add_str(json_t *o, const char *name, const char *s)
{
    return json_object_set_new(o, name, json_string(s));
}

/* Assembles the collateral text: string fields by jansson, then the two documents
 * spliced in raw (their exact bytes). */
static char *assemble(const parts *x, size_t *len)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "version", json_integer(3)) ||
        add_str(o, "root_ca_crl", x->root_crl) || add_str(o, "pck_crl", x->pck_crl) ||
        add_str(o, "pck_crl_issuer_chain", x->pck_chain) ||
        add_str(o, "tcb_info_issuer_chain", x->tcb_chain) ||
        add_str(o, "qe_identity_issuer_chain", x->qe_chain)) {
        json_decref(o);
        return NULL;
    }
    char *head = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!head) return NULL;
    size_t hl = strlen(head) - 1;   /* without the closing brace */
    size_t n = hl + x->tcb_len + x->qe_len + 64;
    char *s = malloc(n);
    if (s)
        *len = (size_t)snprintf(s, n, "%.*s,\"tcb_info\":%s,\"qe_identity\":%s}", (int)hl,
                                head, x->tcb, x->qe);
    free(head);
    return s;
}

int esgx_pccs_fetch(pccs *p, const uint8_t fmspc[6], int ca, char **json, size_t *len,
               esgx_err *err)
{
    if (!p || !fmspc || !json || !len || (ca != ESGX_ATTEST_PCK_CA_PROCESSOR && ca != ESGX_ATTEST_PCK_CA_PLATFORM))
        return esgx_err_set(err, ESGX_PCCS_E_ARG, "pccs: bad argument");
    *json = NULL;
    pthread_mutex_lock(&p->mu);
    p->fetches++;
    pthread_mutex_unlock(&p->mu);
    static const char *const tcb_names[] = {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain",
                                            NULL};
    static const char *const qe_names[] = {"SGX-Enclave-Identity-Issuer-Chain", NULL};
    static const char *const crl_names[] = {"SGX-PCK-CRL-Issuer-Chain", NULL};
    char hex[13], url[4200];
    fmspc_hex(fmspc, hex, 1);
    parts x;
    memset(&x, 0, sizeof x);
    int rc;
    snprintf(url, sizeof url, "%s/tcb?fmspc=%s", p->base, hex);
    if ((rc = get_doc(p, url, tcb_names, "tcbInfo", hex, &x.tcb, &x.tcb_len, &x.tcb_chain,
                      err)))
        goto out;
    snprintf(url, sizeof url, "%s/qe/identity", p->base);
    if ((rc = get_doc(p, url, qe_names, "enclaveIdentity", NULL, &x.qe, &x.qe_len,
                      &x.qe_chain, err)))
        goto out;
    snprintf(url, sizeof url, "%s/pckcrl?ca=%s&encoding=pem", p->base, esgx_attest_pck_ca_name(ca));
    if ((rc = get_crl(p, url, crl_names, &x.pck_crl, &x.pck_chain, err))) goto out;
    snprintf(url, sizeof url, "%s/rootcacrl", p->base);
    if ((rc = get_crl(p, url, NULL, &x.root_crl, NULL, err))) goto out;
    char *s = assemble(&x, len);
    if (!s) {
        rc = esgx_err_set(err, ESGX_PCCS_E_NOMEM, "pccs: out of memory assembling the collateral");
        goto out;
    }
    esgx_err cerr;
    if (esgx_attest_collateral_check(s, *len, &cerr)) {
        free(s);
        rc = esgx_err_set(err, ESGX_PCCS_E_BODY, "PCCS %s: FMSPC %s CA %s: the collateral does "
                                            "not parse: %s", p->base, hex,
                          esgx_attest_pck_ca_name(ca), cerr.msg);
        goto out;
    }
    *json = s;
out:
    parts_free(&x);
    return rc;
}

/* ---------------------------------------------------------------- disk cache */

static void cache_name(const uint8_t fmspc[6], int ca, char out[64])
{
    char hex[13];
    fmspc_hex(fmspc, hex, 0);
    snprintf(out, 64, "%s-%s.json", hex, esgx_attest_pck_ca_name(ca));
}

/* Parses "<12 lowercase hex>-<ca>.json". Returns 0 or ESGX_PCCS_E_ARG (not a
 * cache file name). */
static int parse_cache_name(const char *name, uint8_t fmspc[6], int *ca)
{
    for (int i = 0; i < 12; i++)
        if (!isxdigit((unsigned char)name[i]) || isupper((unsigned char)name[i])) return ESGX_PCCS_E_ARG;
    if (name[12] != '-') return ESGX_PCCS_E_ARG;
    for (int c = ESGX_ATTEST_PCK_CA_PROCESSOR; c <= ESGX_ATTEST_PCK_CA_PLATFORM; c++) {
        char want[32];
        snprintf(want, sizeof want, "%s.json", esgx_attest_pck_ca_name(c));
        if (!strcmp(name + 13, want)) {
            for (int i = 0; i < 6; i++) {
                char two[3] = {name[2 * i], name[2 * i + 1], 0};
                fmspc[i] = (uint8_t)strtoul(two, NULL, 16);
            }
            *ca = c;
            return ESGX_OK;
        }
    }
    return ESGX_PCCS_E_ARG;
}

/* Writes data to dir/name atomically: temp file, fsync, rename, fsync of dir. */
static int write_atomic(const char *dir, const char *name, const char *data, size_t len,
                        esgx_err *err)
{
    char tmp[4200], path[4200];
    unsigned rnd = (unsigned)now_ms() ^ (unsigned)getpid() * 2654435761u;
    snprintf(tmp, sizeof tmp, "%s/.tmp-%s-%d-%08x", dir, name, (int)getpid(), rnd);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return esgx_err_set(err, ESGX_PCCS_E_IO, "create %s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    int e = off < len ? (errno ? errno : EIO) : 0;
    if (!e && fsync(fd)) e = errno;
    if (close(fd) && !e) e = errno;
    if (!e && rename(tmp, path)) e = errno;
    if (e) {
        unlink(tmp);
        return esgx_err_set(err, ESGX_PCCS_E_IO, "write %s: %s", path, strerror(e));
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Reads the cache file name of p's directory (a regular file, not a symbolic link, of
 * 1..MAX_CACHE_FILE bytes) through the one bounded reader into a malloc'd NUL-terminated
 * buffer; *mtime_ms gets its modification time (its age is the collateral's). NULL when
 * it is none of that or unreadable. */
static char *read_file(const pccs *p, int dfd, const char *name, size_t *len, int64_t *mtime_ms)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        st.st_size > (off_t)MAX_CACHE_FILE)
        return NULL;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", p->cache_dir, name) >= (int)sizeof path) return NULL;
    uint8_t *b;
    if (esgx_file_read(path, MAX_CACHE_FILE, &b, len, NULL)) return NULL;
    *mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return (char *)b;
}

/* ---------------------------------------------------------------- memory cache */

static entry *find_entry(pccs *p, const uint8_t fmspc[6], int ca)
{
    for (entry *e = p->entries; e; e = e->next)
        if (e->ca == ca && !memcmp(e->fmspc, fmspc, 6)) return e;
    return NULL;
}

/* Stores json (taken over) as the entry for (fmspc, ca). mu held. */
static void put_entry(pccs *p, const uint8_t fmspc[6], int ca, char *json, size_t len,
                      int64_t fetched_ms)
{
    entry *e = find_entry(p, fmspc, ca);
    if (!e) {
        if (p->n_entries >= MAX_ENTRIES || !(e = calloc(1, sizeof *e))) {
            free(json);
            return;
        }
        memcpy(e->fmspc, fmspc, 6);
        e->ca = ca;
        e->next = p->entries;
        p->entries = e;
        p->n_entries++;
    }
    free(e->json);
    e->json = json;
    e->len = len;
    e->fetched_ms = fetched_ms;
    e->failed_ms = 0;
}

/* Copies e's text for the caller. mu held. */
static int copy_entry(const entry *e, char **json, size_t *len, esgx_err *err)
{
    if (!(*json = malloc(e->len + 1)))
        return esgx_err_set(err, ESGX_PCCS_E_NOMEM, "pccs: out of memory");
    memcpy(*json, e->json, e->len + 1);
    *len = e->len;
    return 0;
}

static void load_cache(pccs *p)
{
    DIR *d = opendir(p->cache_dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        if (!strncmp(name, ".tmp-", 5)) {   /* left by a crash mid-write */
            unlinkat(dirfd(d), name, 0);
            continue;
        }
        uint8_t fmspc[6];
        int ca;
        if (name[0] == '.' || parse_cache_name(name, fmspc, &ca)) continue;
        size_t len = 0;
        int64_t mtime = 0;
        char *json = read_file(p, dirfd(d), name, &len, &mtime);
        esgx_err err;
        char hex[13];
        fmspc_hex(fmspc, hex, 1);
        json_t *root = json ? json_loadb(json, len, 0, NULL) : NULL;
        json_t *f = json_object_get(json_object_get(json_object_get(root, "tcb_info"),
                                                    "tcbInfo"), "fmspc");
        int match = json_is_string(f) && !strcasecmp(json_string_value(f), hex);
        json_decref(root);
        int bad = !json ? 1 : esgx_attest_collateral_check(json, len, &err) ? 2 : !match ? 3 : 0;
        if (bad) {
            plog(p, PCCS_LOG_WARN, "collateral cache %s/%s ignored: %s", p->cache_dir, name,
                 bad == 1 ? "unreadable" : bad == 2 ? err.msg : "not for its FMSPC");
            free(json);
            continue;
        }
        pthread_mutex_lock(&p->mu);
        put_entry(p, fmspc, ca, json, len, mtime);
        pthread_mutex_unlock(&p->mu);
        plog(p, PCCS_LOG_INFO, "collateral cache: loaded %s", name);
    }
    closedir(d);
}

/* ---------------------------------------------------------------- public */

int esgx_pccs_new(const pccs_config *cfg, pccs **out, esgx_err *err)
{
    *out = NULL;
    if (!cfg || !cfg->base_url ||
        (strncmp(cfg->base_url, "http://", 7) && strncmp(cfg->base_url, "https://", 8)))
        return esgx_err_set(err, ESGX_PCCS_E_ARG, "PCCS URL must start with http:// or https://");
    size_t bl = strlen(cfg->base_url);
    while (bl && cfg->base_url[bl - 1] == '/') bl--;
    if (bl < 9 || bl > 2048 || strpbrk(cfg->base_url, " \t\r\n?#"))
        return esgx_err_set(err, ESGX_PCCS_E_ARG, "PCCS URL '%s' is malformed (no query or "
                                             "fragment, at most 2048 characters)",
                            cfg->base_url);
    if (cfg->ca_file) {
        FILE *f = fopen(cfg->ca_file, "r");
        if (!f)
            return esgx_err_set(err, ESGX_PCCS_E_ARG, "PCCS CA file %s: %s", cfg->ca_file,
                                strerror(errno));
        fclose(f);
    }
    pccs *p = calloc(1, sizeof *p);
    if (!p || !(p->base = strndup(cfg->base_url, bl)) ||
        (cfg->cache_dir && !(p->cache_dir = strdup(cfg->cache_dir))) ||
        (cfg->ca_file && !(p->ca_file = strdup(cfg->ca_file)))) {
        esgx_pccs_free(p);
        return esgx_err_set(err, ESGX_PCCS_E_NOMEM, "pccs: out of memory");
    }
    p->cfg = *cfg;
    p->cfg.base_url = p->base;
    p->cfg.cache_dir = p->cache_dir;
    p->cfg.ca_file = p->ca_file;
    if (p->cfg.refresh_ms <= 0) p->cfg.refresh_ms = 3600 * 1000;
    if (p->cfg.connect_timeout_ms <= 0) p->cfg.connect_timeout_ms = 5000;
    if (p->cfg.timeout_ms <= 0) p->cfg.timeout_ms = 15000;
    if (p->cfg.max_body == 0) p->cfg.max_body = 1u << 20;
    int locks = pthread_mutex_init(&p->mu, NULL) ? 0 : 1;
    if (locks && pthread_mutex_init(&p->fetch_mu, NULL) == 0) locks = 2;
    if (locks < 2) {   /* nothing but the strings is set up yet */
        if (locks) pthread_mutex_destroy(&p->mu);
        free(p->base);
        free(p->cache_dir);
        free(p->ca_file);
        free(p);
        return esgx_err_set(err, ESGX_PCCS_E_NOMEM, "pccs: cannot make a lock");
    }
    if (p->cache_dir) {
        if (mkdir(p->cache_dir, 0700) && errno != EEXIST) {
            int e = errno;
            esgx_pccs_free(p);
            return esgx_err_set(err, ESGX_PCCS_E_IO, "cannot create %s: %s", cfg->cache_dir,
                                strerror(e));
        }
        load_cache(p);
    }
    *out = p;
    return 0;
}

void esgx_pccs_free(pccs *p)
{
    if (!p) return;
    for (entry *e = p->entries, *n; e; e = n) {
        n = e->next;
        free(e->json);
        free(e);
    }
    if (p->base) {   /* mutexes were initialised */
        pthread_mutex_destroy(&p->mu);
        pthread_mutex_destroy(&p->fetch_mu);
    }
    free(p->base);
    free(p->cache_dir);
    free(p->ca_file);
    free(p);
}

uint64_t esgx_pccs_fetch_count(const pccs *p)
{
    pthread_mutex_lock((pthread_mutex_t *)&p->mu);
    uint64_t n = p->fetches;
    pthread_mutex_unlock((pthread_mutex_t *)&p->mu);
    return n;
}

/* A usable cached copy under mu: fresh, or stale but within the retry pause after a
 * failed refetch. Returns 1 and copies it (rc in *rc), or 0. */
static int cached(pccs *p, const uint8_t fmspc[6], int ca, char **json, size_t *len,
                  int *stale, int *rc, esgx_err *err)
{
    int64_t now = now_ms(), retry = p->cfg.refresh_ms < 60000 ? p->cfg.refresh_ms : 60000;
    int hit = 0;
    pthread_mutex_lock(&p->mu);
    entry *e = find_entry(p, fmspc, ca);
    if (e && now - e->fetched_ms < p->cfg.refresh_ms) {
        hit = 1;
    } else if (e && e->failed_ms && now - e->failed_ms < retry) {
        hit = 1;
        if (stale) *stale = 1;
    }
    if (hit) *rc = copy_entry(e, json, len, err);
    pthread_mutex_unlock(&p->mu);
    return hit;
}

int esgx_pccs_get(pccs *p, const uint8_t fmspc[6], int ca, char **json, size_t *len,
             int *stale, esgx_err *err)
{
    if (!p || !fmspc || !json || !len)
        return esgx_err_set(err, ESGX_PCCS_E_ARG, "pccs: bad argument");
    if (stale) *stale = 0;
    *json = NULL;
    int rc = 0;
    if (cached(p, fmspc, ca, json, len, stale, &rc, err)) return rc;
    pthread_mutex_lock(&p->fetch_mu);
    if (cached(p, fmspc, ca, json, len, stale, &rc, err)) {   /* another caller fetched */
        pthread_mutex_unlock(&p->fetch_mu);
        return rc;
    }
    char *fresh = NULL;
    size_t flen = 0;
    char name[64];
    cache_name(fmspc, ca, name);
    rc = esgx_pccs_fetch(p, fmspc, ca, &fresh, &flen, err);
    if (!rc) {
        esgx_err werr;
        if (p->cache_dir && write_atomic(p->cache_dir, name, fresh, flen, &werr))
            plog(p, PCCS_LOG_WARN, "collateral cache: %s", werr.msg);
        plog(p, PCCS_LOG_INFO, "collateral for %s fetched from the PCCS (%zu bytes)", name,
             flen);
        pthread_mutex_lock(&p->mu);
        rc = 0;
        esgx_err_clear(err);
        *json = malloc(flen + 1);
        if (*json) {
            memcpy(*json, fresh, flen + 1);
            *len = flen;
        } else {
            rc = esgx_err_set(err, ESGX_PCCS_E_NOMEM, "pccs: out of memory");
        }
        put_entry(p, fmspc, ca, fresh, flen, now_ms());
        pthread_mutex_unlock(&p->mu);
    } else {
        pthread_mutex_lock(&p->mu);
        entry *e = find_entry(p, fmspc, ca);
        if (e) {
            e->failed_ms = now_ms();
            plog(p, PCCS_LOG_WARN, "collateral %s: refetch failed, serving the cached copy "
                                   "from %lld s ago: %s", name,
                 (long long)((now_ms() - e->fetched_ms) / 1000), err ? err->msg : "");
            if (stale) *stale = 1;
            rc = copy_entry(e, json, len, err);
        }
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_unlock(&p->fetch_mu);
    return rc;
}
