/*
 * etcd.c: the etcd v3 JSON-gateway client of etcd.h.
 *
 * Each call is one POST of a JSON body to /v3/...; keys and values travel in base64,
 * 64-bit numbers as decimal strings (the gateway's encoding of protobuf int64). The
 * endpoint that answered last is tried first; a transport failure, a timeout or a 5xx
 * moves to the next one, so a call fails only when no endpoint answers. A watch is one
 * long streaming POST whose answer is a sequence of JSON objects, one per line.
 *
 * Time: a call has one deadline (the client's timeout, or the caller's for
 * esgx_etcd_get_within) on the monotonic clock, shared by its endpoints: the one that
 * answered last gets half of it, each next one an even share of what is left (the last
 * one all of it), each connecting within ETCD_CONNECT_MS. (A write that timed out may
 * still have been committed: retried on another member, a transaction then fails its
 * compare and the caller reads again; the first member's larger share keeps that rare.) A stopped member (SIGSTOP: the kernel still accepts its connections,
 * nobody answers) costs one share, not a whole timeout per endpoint, so a call against
 * three hung members ends at its deadline instead of three timeouts. The client
 * remembers when an endpoint last answered (esgx_etcd_last_ok_ms): the network judges
 * etcd's health by that age, not by a call that may itself hang.
 *
 * The watch: its stream stays open on one member, and a member that hangs (SIGSTOP, a
 * partition that drops nothing) keeps the TCP connection up while sending no event, so
 * the view would go stale with nothing broken. Every call that fails on the member the
 * watch is on cuts the watch (watch_cut), which then reconnects to another member (the
 * network lists again from the last revision it saw). Which member a client tries first
 * is spread by a seed (esgx_etcd_spread: the node id), so the watches and reads of a
 * network's nodes do not all land on the first member of everyone's --etcd list.
 */
#include "etcd.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"

#define ETCD_MAX_ENDPOINTS 16
#define ETCD_MAX_ANSWER (64u << 20)   /* a list of the whole prefix stays well below */
#define ETCD_CONNECT_MS 500u          /* one endpoint's TCP connect */
#define ETCD_MIN_SHARE_MS 50u         /* an attempt shorter than this is not made */

struct esgx_etcd {
    char *endpoints[ETCD_MAX_ENDPOINTS];
    size_t n_endpoints;
    atomic_size_t current;            /* the endpoint that answered last */
    char *prefix;
    unsigned timeout_ms;
    _Atomic uint64_t last_ok_ms;      /* monotonic ms of the last answer (0: never) */
    _Atomic uint64_t requests;        /* calls made (not counting watches) */
    atomic_size_t watch_ep;           /* the member the watch is on (SIZE_MAX: none) */
    _Atomic int watch_cut;            /* set when a call failed on that member */
    _Atomic uint64_t watch_cuts;      /* how often that ended the watch */
};

/* ---------------------------------------------------------------- base64 */

static char *b64_encode(const void *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out) EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* Decodes text into a NUL-terminated heap buffer; NULL on bad base64. */
static uint8_t *b64_decode(const char *text, size_t *len)
{
    size_t n = strlen(text);
    if (n % 4) return NULL;
    uint8_t *out = malloc(n / 4 * 3 + 1);
    if (!out) return NULL;
    int m = n ? EVP_DecodeBlock(out, (const unsigned char *)text, (int)n) : 0;
    if (m < 0) {
        free(out);
        return NULL;
    }
    size_t pad = (n && text[n - 1] == '=') + (n > 1 && text[n - 2] == '=');
    *len = (size_t)m - pad;
    out[*len] = 0;
    return out;
}

/* ---------------------------------------------------------------- setup */

int esgx_etcd_new(const char *endpoints, const char *prefix, unsigned timeout_ms,
                  esgx_etcd **out, esgx_err *err)
{
    *out = NULL;
    if (!endpoints || !*endpoints)
        return esgx_err_set(err, ESGX_NODE_E_ARG, "--etcd: no endpoint given");
    if (!prefix || prefix[0] != '/' || strlen(prefix) > 200)
        return esgx_err_set(err, ESGX_NODE_E_ARG,
                            "--etcd-prefix: must start with '/' and be at most 200 bytes");
    esgx_etcd *e = calloc(1, sizeof *e);
    if (!e) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    e->timeout_ms = timeout_ms ? timeout_ms : 3000;
    atomic_store(&e->watch_ep, SIZE_MAX);
    e->prefix = strdup(prefix);
    const char *p = endpoints;
    int rc = e->prefix ? ESGX_OK : esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    while (rc == ESGX_OK && *p) {
        size_t n = strcspn(p, ",");
        if (e->n_endpoints == ETCD_MAX_ENDPOINTS)
            rc = esgx_err_set(err, ESGX_NODE_E_ARG, "--etcd: more than %d endpoints",
                              ETCD_MAX_ENDPOINTS);
        else if (!((n > 7 && !strncmp(p, "http://", 7)) || (n > 8 && !strncmp(p, "https://", 8))))
            rc = esgx_err_set(err, ESGX_NODE_E_ARG,
                              "--etcd: '%.*s' is not an http:// or https:// URL", (int)n, p);
        else if (!(e->endpoints[e->n_endpoints++] = strndup(p, n - (p[n - 1] == '/'))))
            rc = esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
        p += n + (p[n] == ',');
    }
    if (rc == ESGX_OK && e->n_endpoints == 0)
        rc = esgx_err_set(err, ESGX_NODE_E_ARG, "--etcd: no endpoint given");
    if (rc) {
        esgx_etcd_free(e);
        return rc;
    }
    *out = e;
    return ESGX_OK;
}

void esgx_etcd_free(esgx_etcd *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->n_endpoints; i++) free(e->endpoints[i]);
    free(e->prefix);
    free(e);
}

const char *esgx_etcd_prefix(const esgx_etcd *e)
{
    return e->prefix;
}

void esgx_etcd_kv_clear(esgx_etcd_kv *kv)
{
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof *kv);
}

void esgx_etcd_kvs_free(esgx_etcd_kv *kvs, size_t n)
{
    for (size_t i = 0; i < n; i++) esgx_etcd_kv_clear(&kvs[i]);
    free(kvs);
}

/* ---------------------------------------------------------------- calls */

/* One POST of req to path on the first endpoint that answers within timeout_ms (the
 * whole call's deadline); *resp is the parsed answer of a 200. Takes ownership of req. */
static int call(esgx_etcd *e, const char *path, json_t *req, unsigned timeout_ms,
                json_t **resp, esgx_err *err)
{
    *resp = NULL;
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    atomic_fetch_add(&e->requests, 1);
    uint64_t deadline = esgx_monotonic_ms() + timeout_ms;
    size_t first = atomic_load(&e->current) % e->n_endpoints;
    int rc = ESGX_NODE_E_ETCD;
    esgx_err last;
    esgx_err_clear(&last);
    for (size_t k = 0; k < e->n_endpoints && rc == ESGX_NODE_E_ETCD; k++) {
        uint64_t now = esgx_monotonic_ms();
        uint64_t left = deadline > now ? deadline - now : 0;
        /* the member that answered last gets half (a slow but live member is not left
         * for another after a fraction), the others even shares of the rest */
        uint64_t share = k == 0 && e->n_endpoints > 1 ? left / 2 : left / (e->n_endpoints - k);
        if (k > 0 && share < ETCD_MIN_SHARE_MS) share = left;   /* one last try, whole */
        if (share < ETCD_MIN_SHARE_MS) {
            if (!last.code) esgx_err_set(&last, ESGX_NODE_E_ETCD, "deadline of %u ms passed",
                                         timeout_ms);
            break;
        }
        esgx_httpc_opts o = {.method = "POST", .body = body, .body_len = strlen(body),
                             .connect_timeout_ms = share < ETCD_CONNECT_MS ? (unsigned)share
                                                                           : ETCD_CONNECT_MS,
                             .timeout_ms = (unsigned)share, .max_bytes = ETCD_MAX_ANSWER};
        size_t i = (first + k) % e->n_endpoints;
        char url[512];
        snprintf(url, sizeof url, "%s%s", e->endpoints[i], path);
        long status = 0;
        char *ans = NULL;
        size_t len = 0;
        int hrc = esgx_httpc_fetch(url, &o, &status, &ans, &len, &last);
        if (hrc != ESGX_OK || status >= 500) {
            if (hrc == ESGX_OK) esgx_err_set(&last, ESGX_NODE_E_ETCD, "%s: HTTP %ld", url, status);
            if (atomic_load(&e->watch_ep) == i) atomic_store(&e->watch_cut, 1);
        } else {
            atomic_store(&e->current, i);
            atomic_store(&e->last_ok_ms, esgx_monotonic_ms());
            json_error_t je;
            json_t *j = json_loadb(ans, len, 0, &je);
            if (!j) {
                rc = esgx_err_set(err, ESGX_NODE_E_ETCD, "%s: answer is not JSON: %s", url, je.text);
            } else if (status != 200) {
                const char *m = json_string_value(json_object_get(j, "message"));
                rc = esgx_err_set(err, ESGX_NODE_E_ETCD, "%s: HTTP %ld: %s", url, status,
                                  m ? m : "refused");
                json_decref(j);
            } else {
                *resp = j;
                rc = ESGX_OK;
            }
        }
        free(ans);
    }
    free(body);
    if (rc == ESGX_NODE_E_ETCD && !*resp && last.code)
        esgx_err_set(err, ESGX_NODE_E_ETCD, "etcd unreachable (%zu endpoint%s, %u ms): %s",
                     e->n_endpoints, e->n_endpoints == 1 ? "" : "s", timeout_ms, last.msg);
    return rc;
}

uint64_t esgx_etcd_last_ok_ms(const esgx_etcd *e)
{
    return atomic_load(&e->last_ok_ms);
}

void esgx_etcd_spread(esgx_etcd *e, const char *seed)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (const char *p = seed; p && *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    atomic_store(&e->current, (size_t)(h % e->n_endpoints));
}

uint64_t esgx_etcd_watch_cuts(const esgx_etcd *e)
{
    return atomic_load(&e->watch_cuts);
}

uint64_t esgx_etcd_requests(const esgx_etcd *e)
{
    return atomic_load(&e->requests);
}

static int64_t num(const json_t *j)
{
    if (json_is_integer(j)) return (int64_t)json_integer_value(j);
    const char *s = json_string_value(j);
    return s ? strtoll(s, NULL, 10) : 0;
}

/* Adds "key" (prefix + key, base64) and, for a prefix, "range_end" to o. */
static int add_key(const esgx_etcd *e, json_t *o, const char *key, int prefix)
{
    char full[1024];
    int n = snprintf(full, sizeof full, "%s%s", e->prefix, key);
    if (n < 0 || (size_t)n >= sizeof full) return ESGX_NODE_E_ARG;
    char *k = b64_encode(full, (size_t)n);
    if (!k) return ESGX_NODE_E_NOMEM;
    json_object_set_new(o, "key", json_string(k));
    free(k);
    if (prefix) {
        full[n - 1]++;   /* the first key after every key that starts with full */
        char *r = b64_encode(full, (size_t)n);
        if (!r) return ESGX_NODE_E_NOMEM;
        json_object_set_new(o, "range_end", json_string(r));
        free(r);
    }
    return ESGX_OK;
}

/* Fills kv from one of the gateway's key-value objects (key made relative). */
static int parse_kv(const esgx_etcd *e, const json_t *j, esgx_etcd_kv *kv, esgx_err *err)
{
    memset(kv, 0, sizeof *kv);
    size_t klen = 0, vlen = 0;
    const char *kt = json_string_value(json_object_get(j, "key"));
    const char *vt = json_string_value(json_object_get(j, "value"));
    uint8_t *k = kt ? b64_decode(kt, &klen) : NULL;
    uint8_t *v = b64_decode(vt ? vt : "", &vlen);
    size_t plen = strlen(e->prefix);
    if (!k || !v || klen < plen || memcmp(k, e->prefix, plen)) {
        free(k);
        free(v);
        return esgx_err_set(err, ESGX_NODE_E_ETCD, "etcd answered a malformed key-value");
    }
    memmove(k, k + plen, klen - plen + 1);
    kv->key = (char *)k;
    kv->value = v;
    kv->value_len = vlen;
    kv->create_rev = num(json_object_get(j, "create_revision"));
    kv->mod_rev = num(json_object_get(j, "mod_revision"));
    kv->lease = num(json_object_get(j, "lease"));
    return ESGX_OK;
}

int esgx_etcd_list(esgx_etcd *e, const char *key_prefix, size_t limit, esgx_etcd_kv **kvs,
                   size_t *n, int64_t *revision, esgx_err *err)
{
    *kvs = NULL;
    *n = 0;
    json_t *req = json_object(), *resp;
    int rc = add_key(e, req, key_prefix, 1);
    if (limit) json_object_set_new(req, "limit", json_integer((json_int_t)limit));
    if (rc) {
        json_decref(req);
        return esgx_err_set(err, rc, "etcd key '%s' too long", key_prefix);
    }
    if ((rc = call(e, "/v3/kv/range", req, e->timeout_ms, &resp, err))) return rc;
    if (revision) *revision = num(json_object_get(json_object_get(resp, "header"), "revision"));
    json_t *arr = json_object_get(resp, "kvs");
    size_t count = json_array_size(arr);
    esgx_etcd_kv *out = count ? calloc(count, sizeof *out) : NULL;
    if (count && !out) rc = esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    for (size_t i = 0; i < count && rc == ESGX_OK; i++) {
        rc = parse_kv(e, json_array_get(arr, i), &out[i], err);
        if (rc == ESGX_OK) *n = i + 1;
    }
    json_decref(resp);
    if (rc) {
        esgx_etcd_kvs_free(out, *n);
        *n = 0;
        return rc;
    }
    *kvs = out;
    return ESGX_OK;
}

int esgx_etcd_get(esgx_etcd *e, const char *key, esgx_etcd_kv *out, esgx_err *err)
{
    return esgx_etcd_get_within(e, key, e->timeout_ms, out, err);
}

int esgx_etcd_get_within(esgx_etcd *e, const char *key, unsigned timeout_ms,
                         esgx_etcd_kv *out, esgx_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *req = json_object(), *resp;
    if (add_key(e, req, key, 0)) {
        json_decref(req);
        return esgx_err_set(err, ESGX_NODE_E_ARG, "etcd key '%.80s' too long", key);
    }
    int rc = call(e, "/v3/kv/range", req, timeout_ms ? timeout_ms : e->timeout_ms, &resp, err);
    if (rc) return rc;
    json_t *kv = json_array_get(json_object_get(resp, "kvs"), 0);
    rc = kv ? parse_kv(e, kv, out, err)
            : esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "etcd: no key '%s%s'", e->prefix, key);
    json_decref(resp);
    return rc;
}

/* A put request object (key, value, lease) for /v3/kv/put or a txn's request_put. */
static json_t *put_request(const esgx_etcd *e, const char *key, const void *value, size_t len,
                           int64_t lease)
{
    json_t *p = json_object();
    char *v = b64_encode(value, len);
    if (!p || !v || add_key(e, p, key, 0)) {
        free(v);
        json_decref(p);
        return NULL;
    }
    json_object_set_new(p, "value", json_string(v));
    free(v);
    if (lease) json_object_set_new(p, "lease", json_integer((json_int_t)lease));
    return p;
}

int esgx_etcd_put(esgx_etcd *e, const char *key, const void *value, size_t len, int64_t lease,
                  esgx_err *err)
{
    json_t *req = put_request(e, key, value, len, lease), *resp;
    if (!req) return esgx_err_set(err, ESGX_NODE_E_ARG, "etcd put '%.80s': bad key", key);
    int rc = call(e, "/v3/kv/put", req, e->timeout_ms, &resp, err);
    json_decref(resp);
    return rc;
}

/* One transaction: if the compare on key holds, run op (ownership taken); *rev (if
 * non-NULL) gets the store's revision after it (the write's own revision). */
static int txn(esgx_etcd *e, const char *key, int64_t mod_rev, json_t *op, int64_t *rev,
               esgx_err *err)
{
    json_t *cmp = json_object();
    if (!op || !cmp || add_key(e, cmp, key, 0)) {
        json_decref(op);
        json_decref(cmp);
        return esgx_err_set(err, ESGX_NODE_E_ARG, "etcd txn '%.80s': bad key", key);
    }
    json_object_set_new(cmp, "target", json_string(mod_rev ? "MOD" : "CREATE"));
    json_object_set_new(cmp, "result", json_string("EQUAL"));
    json_object_set_new(cmp, mod_rev ? "mod_revision" : "create_revision",
                        json_integer((json_int_t)mod_rev));
    json_t *req = json_pack("{s:[o],s:[o]}", "compare", cmp, "success", op), *resp;
    int rc = call(e, "/v3/kv/txn", req, e->timeout_ms, &resp, err);
    if (rc) return rc;
    if (rev) *rev = num(json_object_get(json_object_get(resp, "header"), "revision"));
    if (!json_is_true(json_object_get(resp, "succeeded")))
        rc = esgx_err_set(err, ESGX_NODE_E_CONFLICT, "etcd: '%s%s' changed meanwhile",
                          e->prefix, key);
    json_decref(resp);
    return rc;
}

int esgx_etcd_put_if(esgx_etcd *e, const char *key, const void *value, size_t len,
                     int64_t mod_rev, int64_t lease, esgx_err *err)
{
    return esgx_etcd_put_if_rev(e, key, value, len, mod_rev, lease, NULL, err);
}

int esgx_etcd_put_if_rev(esgx_etcd *e, const char *key, const void *value, size_t len,
                         int64_t mod_rev, int64_t lease, int64_t *rev, esgx_err *err)
{
    json_t *p = put_request(e, key, value, len, lease);
    return txn(e, key, mod_rev, p ? json_pack("{s:o}", "request_put", p) : NULL, rev, err);
}

int esgx_etcd_delete(esgx_etcd *e, const char *key, int64_t mod_rev, int prefix, esgx_err *err)
{
    return esgx_etcd_delete_rev(e, key, mod_rev, prefix, NULL, err);
}

int esgx_etcd_delete_rev(esgx_etcd *e, const char *key, int64_t mod_rev, int prefix,
                         int64_t *rev, esgx_err *err)
{
    json_t *d = json_object(), *resp;
    if (!d || add_key(e, d, key, prefix)) {
        json_decref(d);
        return esgx_err_set(err, ESGX_NODE_E_ARG, "etcd delete '%.80s': bad key", key);
    }
    if (mod_rev > 0)
        return txn(e, key, mod_rev, json_pack("{s:o}", "request_delete_range", d), rev, err);
    int rc = call(e, "/v3/kv/deleterange", d, e->timeout_ms, &resp, err);
    if (rc) return rc;
    if (rev) *rev = num(json_object_get(json_object_get(resp, "header"), "revision"));
    if (!prefix && num(json_object_get(resp, "deleted")) == 0)
        rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "etcd: no key '%s%s'", e->prefix, key);
    json_decref(resp);
    return rc;
}

/* ---------------------------------------------------------------- leases */

int esgx_etcd_lease_grant(esgx_etcd *e, unsigned ttl, int64_t *id, esgx_err *err)
{
    json_t *resp;
    int rc = call(e, "/v3/lease/grant", json_pack("{s:I}", "TTL", (json_int_t)ttl),
                  e->timeout_ms, &resp, err);
    if (rc) return rc;
    *id = num(json_object_get(resp, "ID"));
    json_decref(resp);
    return *id ? ESGX_OK : esgx_err_set(err, ESGX_NODE_E_ETCD, "etcd granted no lease");
}

int esgx_etcd_lease_keepalive(esgx_etcd *e, int64_t id, esgx_err *err)
{
    json_t *resp;
    int rc = call(e, "/v3/lease/keepalive", json_pack("{s:I}", "ID", (json_int_t)id),
                  e->timeout_ms, &resp, err);
    if (rc) return rc;
    json_t *r = json_object_get(resp, "result");
    if (num(json_object_get(r ? r : resp, "TTL")) <= 0)
        rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "etcd lease %lld has expired", (long long)id);
    json_decref(resp);
    return rc;
}

int esgx_etcd_lease_revoke(esgx_etcd *e, int64_t id, esgx_err *err)
{
    json_t *resp;
    int rc = call(e, "/v3/lease/revoke", json_pack("{s:I}", "ID", (json_int_t)id),
                  e->timeout_ms, &resp, err);
    json_decref(resp);
    return rc;
}

/* ---------------------------------------------------------------- watch */

typedef struct watch_state {
    esgx_etcd *e;
    esgx_etcd_watch_fn fn;
    void *arg;
    char *line;              /* the JSON object being received */
    size_t len, cap;
    int64_t next_rev;
    int done, failed;
    esgx_err err;
} watch_state;

/* Handles one JSON object of the stream; returns non-zero to end it. */
static int watch_object(watch_state *w, const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    json_t *r = json_object_get(j, "result");
    if (!r) {
        esgx_err_set(&w->err, ESGX_NODE_E_ETCD, "etcd watch: unexpected answer");
        json_decref(j);
        return w->failed = 1;
    }
    if (json_is_true(json_object_get(r, "canceled")) || num(json_object_get(r, "compact_revision"))) {
        esgx_err_set(&w->err, ESGX_NODE_E_ETCD, "etcd watch canceled (revision compacted)");
        json_decref(j);
        return w->failed = 1;
    }
    int64_t rev = num(json_object_get(json_object_get(r, "header"), "revision"));
    json_t *events = json_object_get(r, "events");
    for (size_t i = 0; i < json_array_size(events) && !w->done; i++) {
        json_t *ev = json_array_get(events, i);
        esgx_etcd_kv kv;
        if (parse_kv(w->e, json_object_get(ev, "kv"), &kv, &w->err)) {
            w->failed = 1;
            break;
        }
        const char *type = json_string_value(json_object_get(ev, "type"));
        int del = type && !strcmp(type, "DELETE");
        if (kv.mod_rev >= w->next_rev) w->next_rev = kv.mod_rev + 1;
        if (w->fn(w->arg, del, &kv)) w->done = 1;
        esgx_etcd_kv_clear(&kv);
    }
    if (!json_array_size(events) && rev + 1 > w->next_rev && json_object_get(r, "created") == NULL)
        w->next_rev = rev + 1;
    json_decref(j);
    return w->done || w->failed;
}

static int watch_sink(void *arg, const uint8_t *data, size_t len)
{
    watch_state *w = arg;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            if (w->len && watch_object(w, w->line, w->len)) return 1;
            w->len = 0;
            continue;
        }
        if (w->len == w->cap) {
            size_t cap = w->cap ? 2 * w->cap : 4096;
            char *p = cap <= ETCD_MAX_ANSWER ? realloc(w->line, cap) : NULL;
            if (!p) {
                esgx_err_set(&w->err, ESGX_NODE_E_ETCD, "etcd watch: event too large");
                return w->failed = 1;
            }
            w->line = p;
            w->cap = cap;
        }
        w->line[w->len++] = (char)data[i];
    }
    return 0;
}

int esgx_etcd_watch(esgx_etcd *e, const char *key_prefix, int64_t start_rev,
                    esgx_etcd_watch_fn fn, void *arg, const _Atomic int *stop,
                    int64_t *next_rev, esgx_err *err)
{
    json_t *create = json_object();
    if (!create || add_key(e, create, key_prefix, 1)) {
        json_decref(create);
        return esgx_err_set(err, ESGX_NODE_E_ARG, "etcd watch '%.80s': bad key", key_prefix);
    }
    if (start_rev > 0) json_object_set_new(create, "start_revision", json_integer((json_int_t)start_rev));
    json_t *req = json_pack("{s:o}", "create_request", create);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    watch_state w = {.e = e, .fn = fn, .arg = arg, .next_rev = start_rev};
    esgx_httpc_opts o = {.method = "POST", .body = body, .body_len = strlen(body),
                         .connect_timeout_ms = 1000, .stop = stop, .cut = &e->watch_cut};
    size_t i = atomic_load(&e->current) % e->n_endpoints;
    char url[512];
    snprintf(url, sizeof url, "%s/v3/watch", e->endpoints[i]);
    long status = 0;
    atomic_store(&e->watch_cut, 0);
    atomic_store(&e->watch_ep, i);
    int rc = esgx_httpc_stream(url, &o, watch_sink, &w, &status, err);
    atomic_store(&e->watch_ep, SIZE_MAX);
    free(body);
    free(w.line);
    if (next_rev) *next_rev = w.next_rev;
    if (w.done) return ESGX_OK;
    if (stop && atomic_load(stop)) return esgx_err_set(err, ESGX_NODE_E_ABORTED, "etcd watch stopped");
    if (w.failed) return esgx_err_set(err, ESGX_NODE_E_ETCD, "%s", w.err.msg);
    /* the stream ended, broke or was cut: the next attempt starts with another member
     * (the one a call reached since, or the next one) */
    size_t cur = atomic_load(&e->current) % e->n_endpoints;
    if (cur == i) atomic_store(&e->current, (i + 1) % e->n_endpoints);
    if (atomic_exchange(&e->watch_cut, 0)) {
        atomic_fetch_add(&e->watch_cuts, 1);
        return esgx_err_set(err, ESGX_NODE_E_ETCD, "%s: cut (a call to this member failed: it "
                            "may hang while its stream stays open)", url);
    }
    if (rc == ESGX_OK)
        return esgx_err_set(err, ESGX_NODE_E_ETCD, "%s: watch stream ended (HTTP %ld)", url, status);
    char why[ESGX_ERR_MSG_MAX];
    snprintf(why, sizeof why, "%.200s", err && err->msg[0] ? err->msg : "transfer failed");
    return esgx_err_set(err, ESGX_NODE_E_ETCD, "etcd watch: %s", why);
}
