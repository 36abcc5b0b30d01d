/*
 * http_server.c: the public HTTP API of a node (docs/http-api.md), on libmicrohttpd.
 *
 * libmicrohttpd runs a small thread pool with epoll. Each request gets an `hreq`
 * context as soon as its request line is read (the URI log callback, which also sees the
 * raw target: a %00 is refused there, before unescaping hides it). On the first call of
 * the access handler the route, the method, the admin token and the framing headers are
 * checked (http_request.c, which needs no socket and is what the fuzzer drives), so a
 * request that cannot succeed is answered before its body is read: 413 as soon as
 * Content-Length is over the route's limit, 400 for ambiguous framing.
 *
 * Limits against one client exhausting the node: at most --ip-connections
 * connections per client address (with --trusted-proxy: counted here, per connecting
 * address that is not a trusted proxy; a trusted proxy's connections are not counted,
 * its requests are, per client named by X-Forwarded-For, up to --ip-connections in
 * flight, beyond which they are answered 429 too_many_requests); --read-timeout from the request line to the end
 * of the body; and the body budget. A body's memory is counted as its bytes arrive
 * (the buffer's capacity, which grows by doubling up to the declared length, reserved
 * chunk by chunk in take_body), never from a declared Content-Length: a connection that
 * declares much and sends little holds little. The count is bounded twice: by
 * --max-buffered across all connections (beyond it the body is answered 503 `busy`) and
 * by --max-buffered-per-ip per client address (the client X-Forwarded-For names behind a
 * trusted proxy; beyond it 429 too_many_requests), so one address cannot take the budget
 * of the others. A Content-Length over the per-client cap can never fit: 413 at once.
 * And a body must keep coming: --min-body-rate bytes/s over every BODY_WINDOW_MS
 * window (the first one is the grace: a whole window's worth is due by its end), or
 * the connection is dropped; while a body comes the connection's idle timeout is one
 * window (a silent window is below any rate), so a client that stops is dropped too.
 * Bodies past 64 KiB live in mmap'ed blocks that are unmapped when the request ends,
 * and malloc_trim runs after a large request, so the memory goes back. A refused body
 * (over the route's limit, or not reservable) is discarded as it streams in, without
 * being buffered, its reservation given back at once, and answered (413, 503, 429) when
 * it ends: libmicrohttpd can queue a response only before the body or after all of it,
 * and closing on a client still sending resets the connection before the client reads
 * any answer. Past DRAIN_MAX discarded bytes (64 MiB) the connection is dropped (the
 * client is not listening); --read-timeout and --min-body-rate bound the time.
 *
 * Admin routes that may wait on the network (deploy, transfer and delete write etcd and
 * may fetch a module; an upload waits for its copies, an origin upload for its origin)
 * run on HTTP_ADMIN_WORKERS admin workers while their connection is suspended; their
 * answer is kept in the hreq and queued on resume. The function routes themselves are in
 * http_functions.c; what the two files share is http_internal.h.
 *
 * GET /content/HASH of content not stored here is asynchronous too: the connection is
 * suspended while the network's fetch pool (fetch.c) brings it, and resumed by the
 * pool's callback, so a slow or dripping peer holds no HTTP thread.
 *
 * Invocations are asynchronous: the handler parses and validates, suspends the
 * connection, hands an EXEC to the supervisor and returns; the supervisor's completion
 * callback resumes the connection and the handler, called again, queues the prepared
 * body. No thread waits for the enclave, and the /services/3 path touches neither SQLite
 * nor the disk (NEED_CONTENT brings the module from the store only when the enclave has
 * not cached it). The server's state (daemon, token, the objects it serves from, the
 * bytes buffered, the logs) is the http object; each request's hreq points to it.
 *
 * Every invocation leaves one access line in the node's log (name, entry function, hash,
 * status, code, fuel_used, milliseconds; what came from outside escaped). A function
 * deployed with "logs": true gets its guest's debug output captured (the EXEC flag) and
 * kept in its ring (guest_logs.c); GET /functions/NAME/logs?follow=1 is a long poll: the
 * connection is suspended until new lines come or 30 s pass. Where the access line is
 * written, the outcome is also recorded for GET /functions/NAME/invocations
 * (invocations.c).
 *
 * The web console (console.c) is served at / and /console/FILE. The public read-only
 * GETs (/attestation, /health, /metrics, /metrics/history, /nodes) answer with
 * Access-Control-Allow-Origin: * (errors too), so the console of one node can read the
 * other members; token routes never do (docs/security.md, "Console"). The sampler of
 * /metrics/history (metrics.c) is the server's, started and stopped with it.
 */
#define _GNU_SOURCE
#include "http_internal.h"
#include "node_log.h"

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "esgx_crypto.h"
#include "http_request.h"
#include "network.h"

#define DRAIN_MAX (64u << 20)      /* bytes of a refused body discarded before dropping */
#define TRIM_AFTER (1u << 20)      /* malloc_trim after a request this large */
#define IDLE_TIMEOUT 120u          /* seconds, a connection between requests */
#define BODY_WINDOW_MS 5000u       /* --min-body-rate is judged over windows this long */

/* esgxd --help and docs/operations.md quote these defaults. */
_Static_assert(HTTP_DEFAULT_MAX_BUFFERED == 256ull << 20, "--max-buffered: help says 256M");
_Static_assert(HTTP_DEFAULT_PER_IP == 64, "--ip-connections: help says 64");
_Static_assert(HTTP_DEFAULT_REQUEST_TIMEOUT == 30, "--read-timeout: help says 30");
#define TLS_PEM_MAX (256u * 1024u)
#define COLLATERAL_FILE_MAX (8u << 20)   /* --collateral, SIM_BUNDLE/collateral.json */


/* ---------------------------------------------------------------- replies */

enum MHD_Result esgx_http_reply_buf(struct MHD_Connection *c, hreq *h, unsigned status,
                                 void *body, size_t len, enum MHD_ResponseMemoryMode mode,
                                 const char *ctype)
{
    if (h && h->offload == 1) {   /* on an admin worker: kept until the connection resumes */
        char *copy = mode == MHD_RESPMEM_MUST_FREE ? body : malloc(len ? len : 1);
        if (copy && copy != body) memcpy(copy, body, len);
        free(h->off_body);
        h->off_body = copy;
        h->off_body_len = len;
        h->off_status = copy ? status : 0;
        h->off_ctype = ctype;
        return copy ? MHD_YES : MHD_NO;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, mode);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (status == 401) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (status == 503) MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (h && esgx_http_cors_open(h->rt.route))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    enum MHD_Result r = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    esgx_metrics_request(h ? h->srv->d.metrics : NULL, h ? h->rt.route : ROUTE_OTHER, status);
    return r;
}

enum MHD_Result esgx_http_reply_json(struct MHD_Connection *c, hreq *h, unsigned status, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s) return MHD_NO;
    return esgx_http_reply_buf(c, h, status, s, strlen(s), MHD_RESPMEM_MUST_FREE, "application/json");
}

enum MHD_Result esgx_http_reply_error(struct MHD_Connection *c, hreq *h, unsigned status,
                                   const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len;
    char *s = esgx_node_error_json(code, msg, &len);
    if (!s) return MHD_NO;
    esgx_node_log(NODE_LOG_DEBUG, "%u %s: %s", status, code, msg);
    return esgx_http_reply_buf(c, h, status, s, len, MHD_RESPMEM_MUST_FREE, "application/json");
}

/* ---------------------------------------------------------------- helpers */

enum MHD_Result esgx_http_reply_problem(struct MHD_Connection *c, hreq *h, const http_problem *p)
{
    return esgx_http_reply_error(c, h, p->status, p->code, "%s", p->msg);
}

/* 0 ok, 401 missing/malformed, 403 wrong token, 503 cannot tell now (err says why). A
 * node alone compares with its own token file; in a network this node's enclave makes
 * the token's MAC, compared with the pinned token_mac (esgx_net_token_check). */
static unsigned check_auth(const http *srv, struct MHD_Connection *c, esgx_err *err)
{
    const char *tok;
    size_t n;
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (esgx_http_bearer(a, &tok, &n)) return 401;
    if (!srv->d.net) return esgx_http_token_equal(srv->token, tok, n) ? 0 : 403;
    if (n != 64) return 403;
    int rc = esgx_net_token_check(srv->d.net, tok, n, err);
    return rc == ESGX_OK ? 0 : rc == ESGX_NODE_E_DOWN ? 503 : 403;
}

/* Writes src[0..n) to out (cap bytes, NUL-terminated) with '"', '\\' and control
 * characters as \xNN, so a quoted field cannot end early. */
static void escape_quoted(const char *src, size_t n, char *out, size_t cap)
{
    esgx_escape_bytes(src, n, "\"\\", out, cap, NULL);
}

/* The access line of one invocation (answered with status), and its record for
 * GET /functions/NAME/invocations (under its name, or its hash when called by hash). */
static void access_line(hreq *h, unsigned status)
{
    node_invocation inv = {
        .status = h->sr.code[0] ? h->sr.code : status < 400 ? "ok" : "internal",
        .fuel = h->sr.fuel_used, .ms = (double)(h->sr.queue_us + h->sr.run_us) / 1000.0,
        .sealed = h->sr.sealed};
    esgx_node_invocations_add(h->srv->invocations, h->fn_name, h->sr.hash, &inv);
    char name[4 * 64 + 1] = "-", fn[4 * 4 * ESGX_PROTO_MAX_FUNCTION + 1] = "-", hash[65];
    if (h->fn_name) esgx_escape_controls(h->fn_name, name, sizeof name);
    if (h->sr.function) escape_quoted(h->sr.function, h->sr.function_len, fn, sizeof fn);
    esgx_crypto_hex_encode(h->sr.hash, 32, hash);
    uint64_t ms = h->t0_ms ? esgx_monotonic_ms() - h->t0_ms : 0;
    esgx_node_log(NODE_LOG_INFO, "access name=%s function=\"%s\" hash=%s status=%u code=%s "
             "fuel_used=%llu ms=%llu", name, fn, hash, status, h->sr.code[0] ? h->sr.code : "-",
             (unsigned long long)h->sr.fuel_used, (unsigned long long)ms);
}

/* A refusal of an invocation before the enclave saw it, with outcome id (ESGX_RC_*):
 * its access line, then the reply. */
enum MHD_Result esgx_http_refuse_exec(struct MHD_Connection *c, hreq *h, int id, const char *msg)
{
    const esgx_result_code_info *o = esgx_proto_result_code(id);
    snprintf(h->sr.code, sizeof h->sr.code, "%s", o->code);
    access_line(h, o->http);
    return esgx_http_reply_error(c, h, o->http, o->code, "%s", msg);
}

static void on_exec_done(sup_req *r)
{
    hreq *h = r->owner;
    MHD_resume_connection(h->conn);
}

/* Hands h->sr to the enclave and suspends. h->sr.hash/decrypt/fuel/function/input set. */
enum MHD_Result esgx_http_start_exec(struct MHD_Connection *c, hreq *h)
{
    sup_info info;
    esgx_sup_get_info(h->srv->d.sup, &info);
    h->t0_ms = esgx_monotonic_ms();
    if (!info.up)
        return esgx_http_refuse_exec(c, h, ESGX_RC_ENCLAVE_RESTARTING,
                           "the enclave is not running; retry shortly");
    if (info.state != ESGX_STATE_READY)
        return esgx_http_refuse_exec(c, h, ESGX_RC_NO_KEY,
                           "this node has no shared key yet (not initialised)");
    h->conn = c;
    h->sr.owner = h;
    h->sr.on_done = on_exec_done;
    h->waiting = 1;
    MHD_suspend_connection(c);
    if (esgx_sup_exec(h->srv->d.sup, &h->sr) == ESGX_NODE_E_DOWN) {
        const esgx_result_code_info *o = esgx_proto_result_code(ESGX_RC_ENCLAVE_RESTARTING);
        h->sr.http_status = o->http;
        h->sr.body = esgx_node_error_json(o->code, "the enclave is not running; retry shortly",
                                          &h->sr.body_len);
        h->sr.body_is_json = 1;
        MHD_resume_connection(c);
    }
    return MHD_YES;
}

static enum MHD_Result finish_exec(struct MHD_Connection *c, hreq *h)
{
    h->waiting = 0;
    access_line(h, h->sr.body ? h->sr.http_status : 500);
    if (h->sr.logs_len)
        esgx_node_logs_append(h->srv->logs, h->fn_name, h->sr.hash, h->sr.code, h->sr.logs,
                         h->sr.logs_len);
    char *b = h->sr.body;
    h->sr.body = NULL;
    if (!b) return esgx_http_reply_error(c, h, 500, "internal", "no result");
    return esgx_http_reply_buf(c, h, h->sr.http_status ? h->sr.http_status : 500, b, h->sr.body_len,
                     MHD_RESPMEM_MUST_FREE,
                     h->sr.body_is_json ? "application/json" : "application/octet-stream");
}

/* ---------------------------------------------------------------- routes (the function routes are in http_functions.c) */

/* Stores data (an upload, or an origin's bytes with the hash taken as they arrived)
 * and answers its hash; in a network, once enough nodes hold it ("replicas"). */
static enum MHD_Result store_and_answer(struct MHD_Connection *c, hreq *h, const uint8_t *data,
                                        size_t len, const uint8_t hb[32], const char *origin)
{
    char hex[65];
    int created;
    esgx_err err;
    uint8_t own[32];
    if (!hb) {
        esgx_blake3_hash(data, len, own);
        hb = own;
    }
    if (esgx_content_put_hashed(h->srv->d.content, data, len, hb, hex, &created, &err))
        return esgx_http_reply_error(c, h, 500, "internal", "%s", err.msg);
    if (created) esgx_node_log(NODE_LOG_INFO, "stored content %s (%zu bytes)", hex, len);
    json_t *o = json_pack("{s:s, s:I}", "hash", hex, "size", (json_int_t)len);
    if (h->srv->d.net) {
        unsigned held = 0;
        if (esgx_net_content_added(h->srv->d.net, hb, len, origin, &held, &err)) {
            json_decref(o);
            return esgx_http_reply_error(c, h, 503, "network_unavailable",
                               "stored here, but the network could not record it: %s", err.msg);
        }
        json_object_set_new(o, "replicas", json_integer(held));
    }
    if (origin) json_object_set_new(o, "origin", json_string(origin));
    return esgx_http_reply_json(c, h, 200, o);
}

/* POST /content with Content-Type application/json: {"url": "..."} fetches the content
 * from that origin (http, https, or ipfs://CID through the gateway). */
static enum MHD_Result route_content_origin(struct MHD_Connection *c, hreq *h)
{
    const char *url;
    http_problem p;
    if (esgx_http_parse_origin(h->b.p, h->b.len, &h->json, &url, &p)) return esgx_http_reply_problem(c, h, &p);
    if (!h->srv->d.net)
        return esgx_http_reply_error(c, h, 501, "no_network",
                           "fetching from an origin needs a node in a network (esgxd --etcd)");
    uint8_t *data = NULL;
    size_t len = 0;
    esgx_err err;
    uint8_t hb[32];
    int refused = 0;
    int rc = esgx_net_fetch_origin(h->srv->d.net, url, &data, &len, hb, &refused, &err);
    if (rc == ESGX_NODE_E_ARG && refused) return esgx_http_reply_error(c, h, 403, "origin_refused", "%s", err.msg);
    if (rc == ESGX_NODE_E_ARG) return esgx_http_reply_error(c, h, 400, "bad_origin", "%s", err.msg);
    if (rc == ESGX_NODE_E_TOO_BIG)
        return esgx_http_reply_error(c, h, 413, "too_large", "%s (the limit is %llu)", err.msg,
                           (unsigned long long)h->srv->cfg->max_content);
    if (rc) return esgx_http_reply_error(c, h, 502, "origin_failed", "%s", err.msg);
    esgx_node_log(NODE_LOG_INFO, "fetched %zu bytes from %.200s", len, url);
    enum MHD_Result r = store_and_answer(c, h, data, len, hb, url);
    free(data);
    return r;
}

static int is_json_request(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    return ct && !strncasecmp(ct, "application/json", 16) && (!ct[16] || ct[16] == ';');
}

static enum MHD_Result route_content_put(struct MHD_Connection *c, hreq *h)
{
    if (h->b.len == 0) return esgx_http_reply_error(c, h, 400, "empty_body", "the content is empty");
    if (is_json_request(c)) return route_content_origin(c, h);
    return store_and_answer(c, h, h->b.p, h->b.len, NULL, NULL);
}

static void on_content_fetched(void *arg, const uint8_t hash[32], int rc, const esgx_err *err)
{
    (void)hash;
    hreq *h = arg;
    h->fetch_rc = rc;
    if (rc && err) h->fetch_err = *err;
    h->fetching = 2;
    MHD_resume_connection(h->conn);
}

/* Asks the network's fetch pool for h->content_hash and suspends the connection: no
 * thread waits; on_content_fetched resumes it and the handler answers
 * (route_content_get again). A request the pool refuses is answered at once. */
static enum MHD_Result content_fetch_suspend(struct MHD_Connection *c, hreq *h)
{
    h->conn = c;
    h->fetching = 1;
    MHD_suspend_connection(c);
    esgx_err err;
    int rc = esgx_net_fetch_async(h->srv->d.net, h->content_hash, on_content_fetched, h, &err);
    if (rc) on_content_fetched(h, h->content_hash, rc, &err);
    return MHD_YES;
}

/* GET /content/HASH: the stored file; content not stored here (or found corrupt and
 * deleted) is fetched from the network first, the connection suspended meanwhile. */
static enum MHD_Result route_content_get(struct MHD_Connection *c, hreq *h)
{
    const uint8_t *hb = h->content_hash;
    char why[ESGX_ERR_MSG_MAX] = "";   /* the network's reason, e.g. not authorised here */
    /* a peer asking must not make us fetch in turn */
    int may_fetch = h->srv->d.net &&
                    !MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Esgx-Peer-Fetch");
    if (h->fetching == 2) {   /* back from the fetch pool */
        h->fetching = 3;
        if (h->fetch_rc && h->fetch_rc != ESGX_NODE_E_NOTFOUND && !h->corrupt[0])
            return esgx_http_reply_error(c, h, 502, "fetch_failed", "%s", h->fetch_err.msg);
        if (h->fetch_rc) snprintf(why, sizeof why, "%s", h->corrupt[0] ? h->corrupt
                                                                        : h->fetch_err.msg);
    } else {
        if (!esgx_proto_hash_text_valid(h->rt.name, strlen(h->rt.name)))
            return esgx_http_reply_error(c, h, 400, "bad_hash", "the hash must be 64 lowercase hex characters");
        (void)!esgx_crypto_hex_decode(h->rt.name, 64, h->content_hash, 32, NULL, NULL); /* hex checked */
        if (may_fetch && !esgx_content_exists(h->srv->d.content, hb))
            return content_fetch_suspend(c, h);
    }
    uint64_t size;
    esgx_err err;
    int fd;
    int rc = esgx_content_open_fd(h->srv->d.content, hb, &fd, &size, &err);
    if (rc == ESGX_NODE_E_MISMATCH) {   /* was corrupt, now deleted: never served */
        snprintf(why, sizeof why, "%s", err.msg);
        if (may_fetch && !h->fetching) {   /* a good copy from the network */
            snprintf(h->corrupt, sizeof h->corrupt, "%s", err.msg);
            return content_fetch_suspend(c, h);
        }
        esgx_err e2;   /* a peer asked: no fetch, but no longer a holder (one etcd call) */
        if (h->srv->d.net && !may_fetch && esgx_net_content_lost(h->srv->d.net, hb, &e2))
            esgx_node_log(NODE_LOG_WARN, "%s", e2.msg);
        rc = ESGX_NODE_E_NOTFOUND;
    }
    if (rc == ESGX_NODE_E_NOTFOUND && why[0])
        return esgx_http_reply_error(c, h, 404, "unknown_hash", "%s", why);
    if (rc == ESGX_NODE_E_NOTFOUND)
        return esgx_http_reply_error(c, h, 404, "unknown_hash", "no content with hash %s", h->rt.name);
    if (rc) return esgx_http_reply_error(c, h, 500, "internal", "%s", err.msg);
    struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=31536000, immutable");
    enum MHD_Result r = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    esgx_metrics_request(h->srv->d.metrics, h->rt.route, 200);
    return r;
}

/* The collateral file served with /attestation: --collateral, else the sim bundle's
 * collateral.json. Returns malloc'ed text (trimmed, validated as a JSON object) or NULL
 * (*why set when configured but unusable). */
static char *load_collateral(const node_config *cfg, const char **why)
{
    char path[4096];
    *why = NULL;
    if (cfg->collateral) snprintf(path, sizeof path, "%s", cfg->collateral);
    else if (cfg->sim_bundle) snprintf(path, sizeof path, "%s/collateral.json", cfg->sim_bundle);
    else return NULL;
    uint8_t *data;
    size_t len;
    esgx_err err;
    if (esgx_file_read(path, COLLATERAL_FILE_MAX, &data, &len, &err)) {
        *why = "the collateral file cannot be read";
        esgx_node_log(NODE_LOG_WARN, "collateral %s", err.msg);
        return NULL;
    }
    char *b = (char *)data;
    while (len && (b[len - 1] == '\n' || b[len - 1] == '\r' || b[len - 1] == ' ' ||
                   b[len - 1] == '\t'))
        b[--len] = 0;
    json_t *j = json_loadb(b, len, JSON_REJECT_DUPLICATES, NULL);
    int ok = j && json_is_object(j);
    json_decref(j);
    if (!ok) {
        free(b);
        *why = "the collateral file is not a JSON object";
        esgx_node_log(NODE_LOG_WARN, "collateral %s is not a JSON object", path);
        return NULL;
    }
    return b;
}

static enum MHD_Result route_attestation(struct MHD_Connection *c, hreq *h)
{
    sup_info in;
    esgx_sup_get_info(h->srv->d.sup, &in);
    if (!in.have_hello)
        return esgx_http_reply_error(c, h, 503, "enclave_starting", "the enclave has not started yet");
    char mre[65], mrs[65], pk[67];
    esgx_crypto_hex_encode(in.mrenclave, 32, mre);
    esgx_crypto_hex_encode(in.mrsigner, 32, mrs);
    esgx_crypto_hex_encode(in.public_key, 33, pk);
    int ready = in.state == ESGX_STATE_READY;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "platform", in.platform, "mrenclave",
                          mre, "mrsigner", mrs, "xpub", ready ? in.xpub : "", "public_key",
                          ready ? pk : "", "ready", ready);
    /* the quote over SHA-256(xpub), from the enclave (cached there, one per key) */
    sup_attest_doc doc;
    uint8_t *quote = NULL;   /* kept for the PCCS collateral lookup */
    size_t quote_len = 0;
    if (!in.up) {
        json_object_set_new(o, "quote_error", json_string("the enclave is restarting"));
    } else if (esgx_sup_attest(h->srv->d.sup, &doc, 5000)) {
        json_object_set_new(o, "quote_error", json_string("the enclave did not answer"));
    } else {
        if (doc.quote_len) {
            char *qh = malloc(2 * doc.quote_len + 1);
            if (qh) {
                esgx_crypto_hex_encode(doc.quote, doc.quote_len, qh);
                json_object_set_new(o, "quote", json_string(qh));
                free(qh);
            }
        } else {
            json_object_set_new(o, "quote_error",
                                json_string(doc.error[0] ? doc.error : "no quote"));
        }
        quote = doc.quote;
        quote_len = doc.quote_len;
    }
    /* With --pccs: the cached collateral for our own quote's FMSPC and PCK CA. */
    const char *why;
    char *col = NULL, col_why[ESGX_ERR_MSG_MAX + 64];
    size_t col_len = 0;
    if (esgx_collat_enabled(h->srv->d.collateral)) {
        col = esgx_collat_for_quote(h->srv->d.collateral, quote, quote_len, &col_len, col_why, sizeof col_why);
        if (!col) json_object_set_new(o, "collateral_error", json_string(col_why));
    } else {
        col = load_collateral(h->srv->cfg, &why);
    }
    free(quote);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s) {
        free(col);
        return MHD_NO;
    }
    /* The collateral is embedded byte for byte: its signatures cover its exact text. */
    if (col) {
        size_t sl = strlen(s), cl = strlen(col);
        char *t = malloc(sl + cl + 32);
        if (t) {
            memcpy(t, s, sl - 1); /* without the closing brace */
            size_t k = sl - 1;
            memcpy(t + k, ",\"collateral\":", 14);
            k += 14;
            memcpy(t + k, col, cl);
            k += cl;
            t[k++] = '}';
            t[k] = 0;
            free(s);
            s = t;
        }
        free(col);
    }
    return esgx_http_reply_buf(c, h, 200, s, strlen(s), MHD_RESPMEM_MUST_FREE, "application/json");
}

/* 200 while the node can answer invocations; 503 while its enclave is restarting, has
 * no key, or (in a network) etcd is lost, so a balancer skips it. "error" says why the
 * enclave has no key when it told (e.g. a peer offered another network's key). */
static enum MHD_Result route_health(struct MHD_Connection *c, hreq *h)
{
    sup_info in;
    esgx_sup_get_info(h->srv->d.sup, &in);
    const char *e = !in.up ? "restarting" : in.state == ESGX_STATE_READY ? "ready" : "no_key";
    int net_ok = !h->srv->d.net || esgx_net_healthy(h->srv->d.net);
    int ok = in.up && in.state == ESGX_STATE_READY && net_ok;
    json_t *o = json_pack("{s:s, s:s, s:I}", "status", ok ? "ok" : "unavailable", "enclave", e,
                          "fuel_limit", (json_int_t)h->srv->cfg->fuel);
    if (h->srv->d.net) json_object_set_new(o, "network", json_string(net_ok ? "ok" : "etcd_lost"));
    if (!ok && in.key_error[0]) json_object_set_new(o, "error", json_string(in.key_error));
    if (in.tier) json_object_set_new(o, "tier", json_string(in.tier));   /* as the enclave said */
    return esgx_http_reply_json(c, h, ok ? 200 : 503, o);
}

/* GET /nodes: the network's members and their state (a node alone lists itself). */
static enum MHD_Result route_nodes(struct MHD_Connection *c, hreq *h)
{
    char *s = NULL;
    if (h->srv->d.net) {
        s = esgx_net_nodes_json(h->srv->d.net);
    } else {
        sup_info in;
        esgx_sup_get_info(h->srv->d.sup, &in);
        char mre[65] = "";
        if (in.have_hello) esgx_crypto_hex_encode(in.mrenclave, 32, mre);
        json_t *a = json_pack("[{s:s,s:s,s:s,s:b,s:s,s:b}]", "id", "", "platform", in.platform,
                              "mrenclave", mre, "has_key", in.state == ESGX_STATE_READY,
                              "state", "up", "self", 1);
        s = json_dumps(a, JSON_COMPACT);
        json_decref(a);
    }
    if (!s) return MHD_NO;
    return esgx_http_reply_buf(c, h, 200, s, strlen(s), MHD_RESPMEM_MUST_FREE, "application/json");
}

/* What the objects say for /metrics: the enclave's state and tier, its counters (a
 * STATS message, 1 s at most; left out when the enclave is down), the content store's
 * size and the network's counters. */
static void metrics_snapshot_take(const http *srv, metrics_snapshot *snap)
{
    memset(snap, 0, sizeof *snap);
    snap->content_bytes = esgx_content_total_bytes(srv->d.content);
    sup_info in;
    esgx_sup_get_info(srv->d.sup, &in);
    snap->enclave_up = in.up;
    snap->key_ready = in.state == ESGX_STATE_READY;
    snap->tier = in.tier;
    snap->have_enclave_stats = in.up && esgx_sup_stats(srv->d.sup, &snap->enclave, 1000) == 0;
    if (srv->d.net) {
        snap->have_network = 1;
        esgx_net_get_stats(srv->d.net, &snap->network);
        snap->network_healthy = esgx_net_healthy(srv->d.net);
    }
}

/* GET /metrics/history: the sampler's ring (metrics.c). */
static enum MHD_Result route_metrics_history(struct MHD_Connection *c, hreq *h)
{
    size_t len;
    char *s = esgx_metrics_history_json(h->srv->history, &len);
    if (!s) return esgx_http_reply_error(c, h, 503, "busy", "out of memory");
    return esgx_http_reply_buf(c, h, 200, s, len, MHD_RESPMEM_MUST_FREE, "application/json");
}

/* The history's probe: the enclave's module cache counters (a STATS message, 1 s at
 * most; non-zero while the enclave is down). */
static int history_probe(void *arg, uint64_t *hits, uint64_t *misses)
{
    http *srv = arg;
    sup_info in;
    esgx_msg_stats_reply st;
    esgx_sup_get_info(srv->d.sup, &in);
    if (!in.up || esgx_sup_stats(srv->d.sup, &st, 1000)) return -1;
    *hits = st.cache_hits;
    *misses = st.cache_misses;
    return 0;
}

static enum MHD_Result route_metrics(struct MHD_Connection *c, hreq *h)
{
    size_t len;
    metrics_snapshot snap;
    metrics_snapshot_take(h->srv, &snap);
    char *s = esgx_metrics_render(h->srv->d.metrics, &snap, &len);
    if (!s) return MHD_NO;
    return esgx_http_reply_buf(c, h, 200, s, len, MHD_RESPMEM_MUST_FREE, "text/plain; version=0.0.4");
}

/* ---------------------------------------------------------------- dispatch */

/* The framing headers of the request, for esgx_http_check_framing. */
typedef struct framing_headers {
    http_header h[8];
    size_t n;
} framing_headers;

static enum MHD_Result collect_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    framing_headers *f = cls;
    if (key && (!strcasecmp(key, "Content-Length") || !strcasecmp(key, "Transfer-Encoding"))) {
        if (f->n == sizeof f->h / sizeof f->h[0]) return MHD_NO;
        f->h[f->n].name = key;
        f->h[f->n].value = value ? value : "";
        f->n++;
    }
    return MHD_YES;
}

/* FNV-1a of an address text, for the per-client table. */
static unsigned bud_hash(const char *s)
{
    uint32_t x = 2166136261u;
    for (; *s; s++) x = (x ^ (uint8_t)*s) * 16777619u;
    return x % BUD_BUCKETS;
}

/* The count of client addr with one more reference (made at 0 bytes if new), or NULL
 * without memory. Under bud_mu. */
static bud_ent *bud_get(http *srv, const char *addr)
{
    unsigned i = bud_hash(addr);
    bud_ent *e = srv->bud[i];
    while (e && strcmp(e->addr, addr)) e = e->next;
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e) return NULL;
        snprintf(e->addr, sizeof e->addr, "%s", addr);
        e->next = srv->bud[i];
        srv->bud[i] = e;
    }
    e->refs++;
    return e;
}

/* Counts want bytes (h's whole reservation so far) against --max-buffered-per-ip for
 * h->who and --max-buffered. 0; 429 when the client would pass its cap; 503 when the
 * node would pass its budget (or has no memory to count the client). */
static unsigned reserve(hreq *h, size_t want)
{
    if (want <= h->reserved) return 0;
    http *srv = h->srv;
    uint64_t more = want - h->reserved;
    unsigned st = 0;
    pthread_mutex_lock(&srv->bud_mu);
    if (!h->bud) h->bud = bud_get(srv, h->who);
    if (!h->bud) st = 503;
    else if (h->bud->bytes + more > srv->max_per_ip) st = 429;
    else if (srv->buffered + more > srv->max_buffered) st = 503;
    else {
        srv->buffered += more;
        h->bud->bytes += more;
        h->reserved = want;
    }
    pthread_mutex_unlock(&srv->bud_mu);
    return st;
}

/* Gives back all h reserved and its reference to the client's count. */
static void release(hreq *h)
{
    http *srv = h->srv;
    if (!h->bud) return;
    pthread_mutex_lock(&srv->bud_mu);
    srv->buffered -= h->reserved;
    h->bud->bytes -= h->reserved;
    if (!--h->bud->refs) {
        bud_ent **pp = &srv->bud[bud_hash(h->bud->addr)];
        while (*pp != h->bud) pp = &(*pp)->next;
        *pp = h->bud->next;
        free(h->bud);
    }
    pthread_mutex_unlock(&srv->bud_mu);
    h->bud = NULL;
    h->reserved = 0;
}

static enum MHD_Result reply_busy(struct MHD_Connection *c, hreq *h)
{
    return esgx_http_reply_error(c, h, 503, "busy",
                       "the node is receiving too many request bodies (over %llu bytes); "
                       "retry shortly",
                       (unsigned long long)h->srv->max_buffered);
}

/* The answer to a body refused by the budget (h->refused) once it has ended. */
static enum MHD_Result reply_refused(struct MHD_Connection *c, hreq *h)
{
    if (h->refused != 429) return reply_busy(c, h);
    return esgx_http_reply_error(c, h, 429, "too_many_requests",
                       "this client's request bodies being received would pass %llu bytes "
                       "(--max-buffered-per-ip); retry when they are done",
                       (unsigned long long)h->srv->max_per_ip);
}

static int peer_text(const http *srv, const struct sockaddr *sa, char *out, size_t cap);

static enum MHD_Result reply_405(struct MHD_Connection *c, hreq *h)
{
    size_t len;
    char *s = esgx_node_error_json("method_not_allowed", "method not allowed on this route", &len);
    struct MHD_Response *resp = s ? MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE)
                                  : NULL;
    if (!resp) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, h->rt.allow);
    if (esgx_http_cors_open(h->rt.route))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    enum MHD_Result r = MHD_queue_response(c, 405, resp);
    MHD_destroy_response(resp);
    esgx_metrics_request(h->srv->d.metrics, h->rt.route, 405);
    return r;
}

/* MHD_get_connection_values callback: adds a header's bytes ("Name: value\r\n"). */
static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
    return MHD_YES;
}

static enum MHD_Result first_call(struct MHD_Connection *c, hreq *h, const char *method,
                                  const char *url)
{
    http_problem p;
    if (h->early.status) return esgx_http_reply_problem(c, h, &h->early);
    size_t hbytes = 0;
    (void)MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &hbytes);
    if (esgx_http_check_header_bytes(hbytes, &p)) return esgx_http_reply_problem(c, h, &p);
    if (esgx_monotonic_ms() > h->deadline_ms)
        return esgx_http_reply_error(c, h, 408, "request_timeout",
                           "the request was not received within %u s", h->srv->request_s);
    unsigned st = esgx_http_classify(h->srv->cfg, method, url, &h->rt);
    if (st == 404) return esgx_http_reply_error(c, h, 404, "not_found", "no route %.200s", url);
    if (st == 405) return reply_405(c, h);
    if (esgx_http_needs_auth(h->rt.route)) {
        esgx_err aerr;
        unsigned a = check_auth(h->srv, c, &aerr);
        if (a == 503) return esgx_http_reply_error(c, h, 503, "token_unverifiable", "%s", aerr.msg);
        if (a == 401)
            return esgx_http_reply_error(c, h, 401, "unauthorized",
                               "missing 'Authorization: Bearer <token>' header");
        if (a == 403) return esgx_http_reply_error(c, h, 403, "forbidden", "wrong admin token");
    }
    if (esgx_http_check_name(&h->rt, &p)) return esgx_http_reply_problem(c, h, &p);
    if (esgx_http_check_sealed(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Esgx-Sealed"),
                               &h->rt, &h->sealed, &p))   /* before the limit is used */
        return esgx_http_reply_problem(c, h, &p);
    framing_headers fh = {.n = 0};
    if (MHD_get_connection_values(c, MHD_HEADER_KIND, collect_framing, &fh) < 0 ||
        fh.n == sizeof fh.h / sizeof fh.h[0])
        return esgx_http_reply_error(c, h, 400, "ambiguous_length", "too many framing headers");
    if (esgx_http_check_framing(fh.h, fh.n, h->rt.limit, &h->fr, &p)) {
        h->too_large = p.status == 413;
        return esgx_http_reply_problem(c, h, &p);
    }
    if (h->fr.has_length && h->fr.length > h->srv->max_per_ip) {   /* can never fit */
        h->too_large = 1;
        return esgx_http_reply_error(c, h, 413, "too_large", "body of %llu bytes exceeds the %llu bytes "
                           "one client may have buffered (--max-buffered-per-ip)",
                           (unsigned long long)h->fr.length,
                           (unsigned long long)h->srv->max_per_ip);
    }
    if (h->fr.chunked || h->fr.has_length) {
        /* who the body is counted for: the client behind a trusted proxy, else the peer */
        if (h->client[0]) {
            memcpy(h->who, h->client, sizeof h->who);
        } else {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
            (void)peer_text(h->srv, ci ? ci->client_addr : NULL, h->who, sizeof h->who);
        }
        h->win_start_ms = esgx_monotonic_ms();
        /* the body must come within the deadline, and a silent window is below any rate */
        unsigned idle = h->srv->request_s ? h->srv->request_s : 1;
        if (h->srv->min_rate && idle > BODY_WINDOW_MS / 1000) idle = BODY_WINDOW_MS / 1000;
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, idle);
    }
    return MHD_YES;
}

/* Whether the body of h, n more bytes just in, came slower than --min-body-rate over
 * the window that ends now (judged once a window is BODY_WINDOW_MS long; the bytes that
 * end a body of known length are never judged: it is done). */
static int too_slow(hreq *h, size_t n, uint64_t now)
{
    h->body_bytes += n;
    h->win_bytes += n;
    uint64_t rate = h->srv->min_rate, el = now - h->win_start_ms;
    if (!rate || el < BODY_WINDOW_MS) return 0;
    if (h->fr.has_length && h->body_bytes >= h->fr.length) return 0;
    if (h->win_bytes * 1000u < rate * el) return 1;
    h->win_start_ms = now;
    h->win_bytes = 0;
    return 0;
}

/* Takes n bytes of body. MHD_NO drops the connection. */
static enum MHD_Result take_body(hreq *h, const char *data, size_t n)
{
    uint64_t now = esgx_monotonic_ms();
    if (now > h->deadline_ms) {
        esgx_node_log(NODE_LOG_DEBUG, "request body not received within %u s: dropped",
                 h->srv->request_s);
        return MHD_NO;
    }
    if (too_slow(h, n, now)) {
        esgx_node_log(NODE_LOG_DEBUG, "request body from %s slower than %llu bytes/s "
                      "(--min-body-rate): dropped", h->who, (unsigned long long)h->srv->min_rate);
        return MHD_NO;
    }
    if (h->too_large || h->refused) {
        h->discarded += n;
        return h->discarded > DRAIN_MAX ? MHD_NO : MHD_YES;
    }
    if (h->b.len + n > h->rt.limit) {
        h->too_large = 1;
        h->discarded = h->b.len + n - h->rt.limit;   /* only the excess */
        esgx_http_body_free(&h->b);
        release(h);
        return h->discarded > DRAIN_MAX ? MHD_NO : MHD_YES;
    }
    size_t cap_max = h->fr.has_length ? (size_t)h->fr.length : h->rt.limit;
    size_t ncap = esgx_http_body_next_cap(&h->b, n, cap_max);
    if (ncap > h->b.cap) {
        unsigned st = reserve(h, ncap);
        if (st) {   /* discarded from here on, answered when it ends */
            h->refused = st;
            h->discarded = 0;
            esgx_http_body_free(&h->b);
            release(h);
            return MHD_YES;
        }
        if (esgx_http_body_grow(&h->b, ncap)) return MHD_NO;
    }
    memcpy(h->b.p + h->b.len, data, n);
    h->b.len += n;
    return MHD_YES;
}

/* ---------------------------------------------------------------- admin workers */

/* The routes that may wait on etcd, a peer or an origin (deploy, transfer and delete
 * write etcd and may fetch a record's module; an upload waits for its copies, an origin
 * upload for the origin) all need the admin token. They run here, on HTTP_ADMIN_WORKERS
 * threads, while their connection is suspended: an HTTP thread never waits on the
 * network. Their answer is kept in the hreq (esgx_http_reply_buf) and queued when the
 * connection resumes. At most HTTP_ADMIN_QUEUE wait; one more is answered 503 busy. */
static void *offload_main(void *arg)
{
    http *srv = arg;
    for (;;) {
        pthread_mutex_lock(&srv->off_mu);
        while (!srv->off_len && !srv->off_stop) pthread_cond_wait(&srv->off_cond, &srv->off_mu);
        if (!srv->off_len) {
            pthread_mutex_unlock(&srv->off_mu);
            return NULL;
        }
        hreq *h = srv->off_q[srv->off_head];
        srv->off_head = (srv->off_head + 1) % HTTP_ADMIN_QUEUE;
        srv->off_len--;
        int stopping = srv->off_stop;
        pthread_mutex_unlock(&srv->off_mu);
        if (stopping)
            esgx_http_reply_error(h->conn, h, 503, "busy", "the node is stopping");
        else if (h->off_route(h->conn, h) != MHD_YES)
            h->off_status = 0;
        h->offload = 2;
        MHD_resume_connection(h->conn);
    }
}

/* Suspends c and queues route for an admin worker (503 busy when the queue is full). */
static enum MHD_Result offload(struct MHD_Connection *c, hreq *h,
                               enum MHD_Result (*route)(struct MHD_Connection *, hreq *))
{
    http *srv = h->srv;
    pthread_mutex_lock(&srv->off_mu);
    int full = srv->off_len == HTTP_ADMIN_QUEUE || srv->off_stop || !srv->off_threads;
    if (!full) {
        h->conn = c;
        h->off_route = route;
        h->offload = 1;
        MHD_suspend_connection(c);
        srv->off_q[(srv->off_head + srv->off_len++) % HTTP_ADMIN_QUEUE] = h;
        pthread_cond_signal(&srv->off_cond);
    }
    pthread_mutex_unlock(&srv->off_mu);
    if (full)
        return esgx_http_reply_error(c, h, 503, "busy", "%d admin requests are waiting already; "
                                     "retry shortly", HTTP_ADMIN_QUEUE);
    return MHD_YES;
}

/* The handler again, after the worker: queues the answer it kept. */
static enum MHD_Result offload_answer(struct MHD_Connection *c, hreq *h)
{
    h->offload = 0;
    if (!h->off_status) return MHD_NO;
    char *b = h->off_body;
    h->off_body = NULL;
    return esgx_http_reply_buf(c, h, h->off_status, b, h->off_body_len, MHD_RESPMEM_MUST_FREE,
                               h->off_ctype);
}

static int offload_start(http *srv)
{
    if (pthread_mutex_init(&srv->off_mu, NULL)) return -1;
    if (pthread_cond_init(&srv->off_cond, NULL)) {
        pthread_mutex_destroy(&srv->off_mu);
        return -1;
    }
    while (srv->off_threads < HTTP_ADMIN_WORKERS &&
           !pthread_create(&srv->off_thr[srv->off_threads], NULL, offload_main, srv))
        srv->off_threads++;
    return srv->off_threads ? 0 : -1;
}

/* Lets the workers finish what they run, answers what is queued 503 (the node is
 * stopping), and joins them: no connection stays suspended on them. */
static void offload_stop(http *srv)
{
    pthread_mutex_lock(&srv->off_mu);
    srv->off_stop = 1;
    pthread_cond_broadcast(&srv->off_cond);
    pthread_mutex_unlock(&srv->off_mu);
    for (int i = 0; i < srv->off_threads; i++) pthread_join(srv->off_thr[i], NULL);
    srv->off_threads = 0;
    pthread_cond_destroy(&srv->off_cond);
    pthread_mutex_destroy(&srv->off_mu);
}

static enum MHD_Result dispatch(struct MHD_Connection *c, hreq *h, const char *url)
{
    switch (h->rt.route) {
    case ROUTE_SERVICES: return esgx_http_route_services(c, h);
    case ROUTE_CONTENT_PUT: return offload(c, h, route_content_put);
    case ROUTE_CONTENT_GET: return route_content_get(c, h);
    case ROUTE_FN_INVOKE: return esgx_http_route_fn_invoke(c, h);
    case ROUTE_FN_DEPLOY: return offload(c, h, esgx_http_route_fn_deploy);
    case ROUTE_FN_LIST: return esgx_http_route_fn_list(c, h);
    case ROUTE_FN_DELETE: return offload(c, h, esgx_http_route_fn_delete);
    case ROUTE_ATTESTATION: return route_attestation(c, h);
    case ROUTE_HEALTH: return route_health(c, h);
    case ROUTE_METRICS: return route_metrics(c, h);
    case ROUTE_NODES: return route_nodes(c, h);
    case ROUTE_FN_GET: return esgx_http_route_fn_get(c, h);
    case ROUTE_FN_LOGS: return esgx_http_route_fn_logs(c, h);
    case ROUTE_FN_TRANSFER: return offload(c, h, esgx_http_route_fn_transfer);
    case ROUTE_FN_INVOCATIONS: return esgx_http_route_fn_invocations(c, h);
    case ROUTE_CONSOLE: return esgx_http_route_console(c, h);
    case ROUTE_METRICS_HISTORY: return route_metrics_history(c, h);
    default: return esgx_http_reply_error(c, h, 404, "not_found", "no route %.200s", url);
    }
}

/* ---------------------------------------------------------------- per-address limits */

/* The peer address sa as text into out (cap >= INET6_ADDRSTRLEN); returns 1 when it is
 * in --trusted-proxy. */
static int peer_text(const http *srv, const struct sockaddr *sa, char *out, size_t cap)
{
    const void *a = NULL;
    if (sa && sa->sa_family == AF_INET) a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)cap)) {
        snprintf(out, cap, "-");
        return 0;
    }
    return esgx_http_cidr_match(srv->cfg->trusted_proxy, srv->cfg->n_trusted_proxy,
                                sa->sa_family, a);
}

/* Adds one to addr's count unless it is at --ip-connections (check) or there is no
 * memory. Returns 1 when counted. */
static int lim_take(http *srv, const char *addr, int check)
{
    int ok = 0;
    pthread_mutex_lock(&srv->lim_mu);
    size_t i = 0;
    while (i < srv->n_lim && strcmp(srv->lim[i].addr, addr)) i++;
    if (i < srv->n_lim) {
        if (!check || srv->lim[i].n < srv->per_ip) srv->lim[i].n++, ok = 1;
    } else if (check == 2) {
        ok = 1;   /* a check only: nothing counted yet */
    } else {
        if (srv->n_lim == srv->cap_lim) {
            size_t nc = srv->cap_lim ? 2 * srv->cap_lim : 64;
            void *p = realloc(srv->lim, nc * sizeof *srv->lim);
            if (p) srv->lim = p, srv->cap_lim = nc;
        }
        if (srv->n_lim < srv->cap_lim) {
            snprintf(srv->lim[srv->n_lim].addr, sizeof srv->lim[0].addr, "%s", addr);
            srv->lim[srv->n_lim++].n = 1;
            ok = 1;
        }
    }
    if (check == 2 && i < srv->n_lim) {   /* undo: a check only */
        if (ok) srv->lim[i].n--;
    }
    pthread_mutex_unlock(&srv->lim_mu);
    return ok;
}

static void lim_give(http *srv, const char *addr)
{
    pthread_mutex_lock(&srv->lim_mu);
    for (size_t i = 0; i < srv->n_lim; i++) {
        if (strcmp(srv->lim[i].addr, addr)) continue;
        if (!--srv->lim[i].n) srv->lim[i] = srv->lim[--srv->n_lim];
        break;
    }
    pthread_mutex_unlock(&srv->lim_mu);
}

/* The daemon's accept policy (with --trusted-proxy): a direct client at
 * --ip-connections is refused; a trusted proxy always gets in. The count is taken when
 * the connection starts, so threads accepting at once may pass the limit by a few. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *sa, socklen_t len)
{
    (void)len;
    http *srv = cls;
    char a[INET6_ADDRSTRLEN];
    if (peer_text(srv, sa, a, sizeof a)) return MHD_YES;
    return lim_take(srv, a, 2) ? MHD_YES : MHD_NO;
}

/* MHD_OPTION_NOTIFY_CONNECTION (with --trusted-proxy): counts a direct client's
 * connections (*socket_context marks a counted one). */
static void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    http *srv = cls;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char a[INET6_ADDRSTRLEN];
    if (!ci || peer_text(srv, ci->client_addr, a, sizeof a)) return;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        if (lim_take(srv, a, 0)) *socket_context = srv;
    } else if (*socket_context) {
        lim_give(srv, a);
        *socket_context = NULL;
    }
}

/* A request from a trusted proxy: counts it for the client X-Forwarded-For names (into
 * h->client). Returns 0, or 429 when that client has --ip-connections in flight. */
static unsigned proxied_take(struct MHD_Connection *c, hreq *h)
{
    http *srv = h->srv;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[INET6_ADDRSTRLEN], who[INET6_ADDRSTRLEN];
    if (!srv->cfg->n_trusted_proxy || !ci || !peer_text(srv, ci->client_addr, peer, sizeof peer))
        return 0;
    esgx_http_client_addr(srv->cfg->trusted_proxy, srv->cfg->n_trusted_proxy, peer,
                          MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For"),
                          who, sizeof who);
    if (!lim_take(srv, who, 1)) return 429;
    memcpy(h->client, who, sizeof who);
    return 0;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the request line is read; its hreq starts here, with the
 * raw target (a %00 in it is refused at the first call) and the request's deadline. */
static void *request_begins(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)c;
    http *srv = cls;
    hreq *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->srv = srv;
    h->rt.route = ROUTE_OTHER;   /* until classified (metrics of an early refusal) */
    (void)esgx_http_check_raw_path(uri, &h->early);
    h->deadline_ms = esgx_monotonic_ms() + srv->request_ms;
    return h;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    hreq *h = *con_cls;
    if (!h) {   /* no memory in request_begins */
        h = request_begins(cls, NULL, c);
        if (!h) return MHD_NO;
        *con_cls = h;
    }
    if (!h->started) {
        h->started = 1;
        if (proxied_take(c, h))
            return esgx_http_reply_error(c, h, 429, "too_many_requests", "this client has %u requests "
                               "in flight (--ip-connections)", h->srv->per_ip);
        return first_call(c, h, method, url);
    }
    if (h->waiting) return finish_exec(c, h);
    if (h->offload == 2) return offload_answer(c, h);
    if (h->logs_polling) return esgx_http_logs_answer(c, h);
    if (h->fetching) return route_content_get(c, h);
    size_t n = *upload_data_size;
    if (n) {
        *upload_data_size = 0;
        return take_body(h, upload_data, n);
    }
    if (h->fr.chunked || h->fr.has_length)   /* back to the idle timeout between requests */
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, IDLE_TIMEOUT);
    if (h->refused) return reply_refused(c, h);
    if (h->too_large)
        return esgx_http_reply_error(c, h, 413, "too_large", "body exceeds the limit of %zu for this route",
                           h->rt.limit);
    return dispatch(c, h, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)c, (void)toe;
    http *srv = cls;
    hreq *h = *con_cls;
    if (!h) return;
    size_t big = h->reserved + h->sr.body_len + h->sr.input_len;
    release(h);
    esgx_http_body_free(&h->b);
    if (h->lw.registered) esgx_node_logs_cancel(srv->logs, &h->lw);
    if (h->client[0]) lim_give(srv, h->client);
    free(h->sr.body);
    free(h->off_body);
    free(h->sr.logs);
    free(h->decoded);
    free(h->record);
    json_decref(h->json);
    free(h);
    *con_cls = NULL;
    if (big >= TRIM_AFTER) malloc_trim(0);   /* give a large request's heap back */
}

/* ---------------------------------------------------------------- lifecycle */

/* ---------------------------------------------------------------- TLS (--tls-cert/--tls-key) */

/* Reads the PEM file `path` given to `opt` into a malloc'd NUL-terminated *out, then
 * checks with OpenSSL that it holds what libmicrohttpd (GnuTLS) will need: a certificate
 * (want_key 0) or a private key (want_key 1), so a bad file is named at startup rather
 * than failing inside MHD_start_daemon. Returns 0 or ESGX_NODE_E_ARG. */
static int tls_read_pem(const char *opt, const char *path, int want_key, char **out,
                        esgx_err *err)
{
    *out = NULL;
    uint8_t *data;
    size_t n;
    esgx_err ferr;
    int rc = esgx_file_read(path, TLS_PEM_MAX, &data, &n, &ferr);
    if (rc == ESGX_E_NOMEM) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "%s: out of memory", opt);
    if (rc)   /* "PATH: the reason" (or the limit) */
        return esgx_err_set(err, ESGX_NODE_E_ARG, "%s %s", opt, ferr.msg);
    char *buf = (char *)data;
    const char *why = memchr(buf, 0, n) ? "NUL byte (not a PEM file)" : NULL;
    if (!why) {
        BIO *bio = BIO_new_mem_buf(buf, (int)n);
        void *obj = !bio ? NULL : want_key ? (void *)PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                                           : (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!obj)
            why = want_key ? "no PEM private key (unencrypted PKCS#8, PKCS#1 or SEC1 expected)"
                           : "no PEM certificate";
        else if (want_key) EVP_PKEY_free(obj);
        else X509_free(obj);
    }
    if (why) {
        esgx_crypto_wipe(buf, n);
        free(buf);
        return esgx_err_set(err, ESGX_NODE_E_ARG, "%s %s: %s", opt, path, why);
    }
    *out = buf;
    return ESGX_OK;
}

/* Both PEM files of cfg, checked to be a pair (the certificate's public key is the
 * key's). Returns 0 or ESGX_NODE_E_ARG / _NOMEM; on error nothing is kept. */
static int tls_load(const node_config *cfg, char **cert, char **key, esgx_err *err)
{
    if (!cfg->tls_cert || !cfg->tls_key)
        return esgx_err_set(err, ESGX_NODE_E_ARG, "--tls-cert and --tls-key go together "
                                                  "(give both or neither)");
    int rc = tls_read_pem("--tls-cert", cfg->tls_cert, 0, cert, err);
    if (rc) return rc;
    if ((rc = tls_read_pem("--tls-key", cfg->tls_key, 1, key, err))) {
        free(*cert);
        *cert = NULL;
        return rc;
    }
    BIO *cb = BIO_new_mem_buf(*cert, -1), *kb = BIO_new_mem_buf(*key, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    int match = x && k && X509_check_private_key(x, k) == 1;
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(k);
    ERR_clear_error();
    if (match) return ESGX_OK;
    esgx_crypto_wipe(*key, strlen(*key));
    free(*key);
    free(*cert);
    *cert = *key = NULL;
    return esgx_err_set(err, ESGX_NODE_E_ARG, "--tls-key %s is not the key of --tls-cert %s",
                        cfg->tls_key, cfg->tls_cert);
}

int esgx_http_start(const http_deps *deps, http **out, esgx_err *err)
{
    *out = NULL;
    const node_config *cfg = deps->cfg;
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char port[16];
    snprintf(port, sizeof port, "%u", cfg->listen_port);
    int gr = getaddrinfo(cfg->listen_host, port, &hints, &ai);
    if (gr) return esgx_err_set(err, ESGX_NODE_E_ARG, "cannot resolve listen host '%s': %s",
                                cfg->listen_host, gai_strerror(gr));
    http *srv = calloc(1, sizeof *srv);
    if (!srv) {
        freeaddrinfo(ai);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the HTTP server");
    }
    srv->d = *deps;
    srv->cfg = cfg;
    int lrc = esgx_node_logs_new(&srv->logs, err);
    if (!lrc) lrc = esgx_node_invocations_new(&srv->invocations, err);
    if (!lrc)
        lrc = esgx_metrics_history_start(deps->metrics, cfg->metrics_interval_ms, history_probe,
                                         srv, &srv->history, err);
    if (lrc) {
        freeaddrinfo(ai);
        esgx_node_invocations_free(srv->invocations);
        esgx_node_logs_free(srv->logs);
        free(srv);
        return lrc;
    }
    snprintf(srv->token, sizeof srv->token, "%s", deps->token_hex ? deps->token_hex : "");
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (ai->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->max_buffered = cfg->max_buffered ? cfg->max_buffered : HTTP_DEFAULT_MAX_BUFFERED;
    srv->max_per_ip = cfg->max_buffered_per_ip;
    if (!srv->max_per_ip) {   /* an eighth, but one client can always send any one body */
        uint64_t big = esgx_http_body_limit_max(cfg);
        srv->max_per_ip = srv->max_buffered / 8 > big ? srv->max_buffered / 8 : big;
    }
    if (srv->max_per_ip > srv->max_buffered) srv->max_per_ip = srv->max_buffered;
    srv->min_rate = cfg->min_body_rate;
    srv->request_s = cfg->request_timeout ? cfg->request_timeout : HTTP_DEFAULT_REQUEST_TIMEOUT;
    srv->request_ms = (uint64_t)srv->request_s * 1000u;
    srv->per_ip = cfg->max_conns_per_ip ? cfg->max_conns_per_ip : HTTP_DEFAULT_PER_IP;
    pthread_mutex_init(&srv->lim_mu, NULL);
    pthread_mutex_init(&srv->bud_mu, NULL);
    /* with --trusted-proxy the limit is counted here (accept_policy), not by MHD */
    int proxied = cfg->n_trusted_proxy > 0;
    unsigned mhd_per_ip = proxied ? 0 : srv->per_ip;
    /* TLS: GnuTLS copies the PEM buffers when the daemon starts; they are freed below */
    char *tls_cert = NULL, *tls_key = NULL;
    struct MHD_OptionItem tls_opts[3] = {{MHD_OPTION_END, 0, NULL}};
    if (cfg->tls_cert || cfg->tls_key) {
        int trc;
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
            trc = esgx_err_set(err, ESGX_NODE_E_ARG, "--tls-cert: this libmicrohttpd is built "
                                                     "without TLS support");
        else
            trc = tls_load(cfg, &tls_cert, &tls_key, err);
        if (trc) {
            freeaddrinfo(ai);
            esgx_crypto_wipe(srv->token, sizeof srv->token);
            esgx_metrics_history_free(srv->history);
            esgx_node_invocations_free(srv->invocations);
            esgx_node_logs_free(srv->logs);
            free(srv);
            return trc;
        }
        flags |= MHD_USE_TLS;
        tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls_cert};
        tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls_key};
    }
    if (offload_start(srv)) {
        freeaddrinfo(ai);
        esgx_crypto_wipe(srv->token, sizeof srv->token);
        esgx_metrics_history_free(srv->history);
        esgx_node_invocations_free(srv->invocations);
        esgx_node_logs_free(srv->logs);
        if (tls_key) esgx_crypto_wipe(tls_key, strlen(tls_key));
        free(tls_key);
        free(tls_cert);
        free(srv);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "cannot start the HTTP admin workers");
    }
    srv->daemon = MHD_start_daemon(flags, (uint16_t)cfg->listen_port,
                                   proxied ? accept_policy : NULL, srv, handler, srv,
                                   MHD_OPTION_ARRAY, tls_opts,
                                   MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                                   MHD_OPTION_THREAD_POOL_SIZE, cfg->http_threads,
                                   MHD_OPTION_URI_LOG_CALLBACK, request_begins, srv,
                                   MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
                                   MHD_OPTION_PER_IP_CONNECTION_LIMIT, mhd_per_ip,
                                   MHD_OPTION_NOTIFY_CONNECTION, proxied ? conn_notify : NULL, srv,
                                   MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned)8192,
                                   MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
                                   MHD_OPTION_END);
    freeaddrinfo(ai);
    if (tls_key) esgx_crypto_wipe(tls_key, strlen(tls_key));
    free(tls_key);
    free(tls_cert);
    if (!srv->daemon) {
        offload_stop(srv);
        esgx_crypto_wipe(srv->token, sizeof srv->token);
        esgx_metrics_history_free(srv->history);
        esgx_node_invocations_free(srv->invocations);
        esgx_node_logs_free(srv->logs);
        free(srv);
        return esgx_err_set(err, ESGX_NODE_E_IO, "cannot listen on %s:%u (address in use?%s)",
                            cfg->listen_host, cfg->listen_port,
                            cfg->tls_cert ? " or a certificate GnuTLS refuses" : "");
    }
    srv->port = cfg->listen_port;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (di) srv->port = di->port;
    *out = srv;
    return ESGX_OK;
}

unsigned esgx_http_port(const http *h)
{
    return h->port;
}

void esgx_http_quiesce(http *h)
{
    if (!h || !h->daemon) return;
    MHD_socket s = MHD_quiesce_daemon(h->daemon);
    if (s != MHD_INVALID_SOCKET) close(s);
}

void esgx_http_free(http *h)
{
    if (!h) return;
    esgx_node_logs_stop(h->logs);   /* resumes the long polls, which then answer at once */
    offload_stop(h);                /* resumes what waits on the admin workers */
    if (h->daemon) MHD_stop_daemon(h->daemon);
    esgx_metrics_history_free(h->history);
    esgx_node_invocations_free(h->invocations);
    esgx_node_logs_free(h->logs);
    esgx_crypto_wipe(h->token, sizeof h->token);
    pthread_mutex_destroy(&h->lim_mu);
    pthread_mutex_destroy(&h->bud_mu);
    free(h->lim);
    free(h);
}
