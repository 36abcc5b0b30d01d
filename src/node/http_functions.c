/*
 * http_functions.c: the HTTP routes of functions (docs/http-api.md): invocations by
 * hash (/services/3) and by name, deploys of signed name records, transfers, the list,
 * deletes, a name's record, its guest logs and its recent invocations (invocations.c;
 * every lookup of a name tells them its hash, as it tells the logs). The server around
 * them (framing, limits, replies, suspension) is http_server.c; what they share is
 * http_internal.h.
 *
 * An invocation parses and checks its request, then suspends its connection while the
 * enclave runs it (esgx_http_start_exec); lookups by name read the network's watched view
 * (docs/network.md, "Names and health"). Writes (deploy, transfer, delete) may wait on
 * etcd or a fetch: they run on the server's admin workers, never on an HTTP thread.
 */
#define _GNU_SOURCE
#include "http_internal.h"
#include "node_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_crypto.h"
#include "network.h"


/* Whether content for hash is here, fetching it from the network when it is not
 * (unless a peer asks: it must not make us fetch in turn), waiting for the fetch: for
 * the admin routes only (a name's record, an origin's repair). 0, or the fetch's code. */
static int content_here(hreq *h, struct MHD_Connection *c, const uint8_t hash[32], esgx_err *err)
{
    http *srv = h->srv;
    if (esgx_content_exists(srv->d.content, hash)) return ESGX_OK;
    if (!srv->d.net || MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Esgx-Peer-Fetch"))
        return esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no content with that hash");
    return esgx_net_fetch(srv->d.net, hash, err);
}

/* Answers a registry failure (err->code): 503 etcd_unreachable when etcd is away (the
 * network refuses writes at once then; the client retries), 503 internal for another
 * failure in a network, 500 for a node alone (its own database failed). */
static enum MHD_Result registry_failed(struct MHD_Connection *c, hreq *h, const esgx_err *err)
{
    if (err->code == ESGX_NODE_E_ETCD)
        return esgx_http_reply_error(c, h, 503, "etcd_unreachable", "%s", err->msg);
    return esgx_http_reply_error(c, h, h->srv->d.net ? 503 : 500, "internal", "%s", err->msg);
}

enum MHD_Result esgx_http_route_services(struct MHD_Connection *c, hreq *h)
{
    http_problem p;
    if (esgx_http_parse_service(h->b.p, h->b.len, h->srv->cfg->fuel, h->srv->cfg->max_input,
                           &h->json, &h->decoded, &h->sr, &p))
        return esgx_http_reply_problem(c, h, &p);
    h->sr.capture_logs = (uint8_t)esgx_node_logs_wanted(h->srv->logs, NULL, h->sr.hash);
    return esgx_http_start_exec(c, h);
}

/* ?function=NAME&fuel=N of POST /functions/{name} (defaults: main, the node's limit).
 * 0, or the refusal queued in *r. */
static int invoke_args(struct MHD_Connection *c, hreq *h, enum MHD_Result *r)
{
    const char *fn = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "function");
    const char *fuel = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fuel");
    esgx_err err;
    h->sr.fuel = h->srv->cfg->fuel;
    h->sr.function = fn ? fn : "main";
    h->sr.function_len = strlen(h->sr.function);
    if (h->sr.function_len < 1 || h->sr.function_len > ESGX_PROTO_MAX_FUNCTION)
        *r = esgx_http_reply_error(c, h, 400, "bad_function", "function must be 1 to 255 bytes");
    else if (fuel && esgx_parse_u64(fuel, 1, h->srv->cfg->fuel, 0, &h->sr.fuel, &err))
        *r = esgx_http_reply_error(c, h, 400, "bad_fuel", "fuel must be between 1 and %llu (the node "
                         "limit): %s", (unsigned long long)h->srv->cfg->fuel, err.msg);
    else
        return 0;
    return -1;
}

enum MHD_Result esgx_http_route_fn_invoke(struct MHD_Connection *c, hreq *h)
{
    registry_fn fn;
    esgx_err err;
    enum MHD_Result r = MHD_NO;
    if (invoke_args(c, h, &r)) return r;
    int rc = esgx_registry_get(h->srv->d.registry, h->rt.name, &fn, &err);
    if (rc == ESGX_NODE_E_NOTFOUND) return esgx_http_reply_error(c, h, 404, "unknown_function", "%s", err.msg);
    if (rc) return registry_failed(c, h, &err);
    h->fn_name = h->rt.name;
    /* the stored record goes with the EXEC; the enclave verifies it before anything runs */
    h->record = malloc(sizeof *h->record);
    rc = h->record ? esgx_names_record_for(&fn, h->rt.name, h->record, &err) : ESGX_NODE_E_NOMEM;
    int logs = fn.logs;
    esgx_fn_entry_clear(&fn);
    if (rc == ESGX_NODE_E_NOMEM) return esgx_http_reply_error(c, h, 503, "busy", "out of memory");
    if (rc) return esgx_http_refuse_exec(c, h, ESGX_RC_BAD_RECORD, err.msg);
    memcpy(h->sr.hash, h->record->module_hash, 32);
    h->sr.decrypt = h->record->encrypted;
    h->sr.record = h->record;
    esgx_node_logs_set(h->srv->logs, h->rt.name, h->sr.hash, logs);
    esgx_node_invocations_set(h->srv->invocations, h->rt.name, h->sr.hash);
    h->sr.capture_logs = (uint8_t)(logs != 0);
    h->sr.input = h->b.p ? h->b.p : (const uint8_t *)"";
    h->sr.input_len = h->b.len;
    h->sr.sealed = (uint8_t)h->sealed;   /* X-Esgx-Sealed: 1, checked at the first call */
    return esgx_http_start_exec(c, h);
}

/* An entry as the list and the deploy answer show it: name, hash, decrypt, logs,
 * created, seq and owner of its record, the record itself (null for an entry from
 * before signed names) and a pending transfer. */
static json_t *fn_json(const registry_fn *f)
{
    json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:I, s:I, s:s}", "name", f->name, "hash",
                          f->hash, "decrypt", f->encrypted, "logs", f->logs, "created",
                          (json_int_t)f->created, "seq", (json_int_t)f->seq, "owner", f->owner);
    json_t *rec = f->record ? json_loads(f->record, 0, NULL) : NULL;
    json_object_set_new(o, "record", rec ? rec : json_null());
    json_t *t = f->transfer ? json_loads(f->transfer, 0, NULL) : NULL;
    if (t) json_object_set_new(o, "transfer", t);
    return o;
}

/* The network key this node's enclave holds (0), or the refusal queued in *r. */
static int node_key(struct MHD_Connection *c, hreq *h, uint8_t key[33], enum MHD_Result *r)
{
    sup_info info;
    esgx_sup_get_info(h->srv->d.sup, &info);
    if (info.have_hello && info.state == ESGX_STATE_READY) {
        memcpy(key, info.public_key, 33);
        return 0;
    }
    *r = esgx_http_reply_error(c, h, 503, "no_key", "this node has no network key yet: records cannot "
                     "be checked");
    return -1;
}

/* Answers a refused deploy or transfer decision, or a registry failure. */
static enum MHD_Result update_failed(struct MHD_Connection *c, hreq *h,
                                     const http_problem *p, const esgx_err *err)
{
    if (p->status) return esgx_http_reply_error(c, h, p->status, p->code, "%s", p->msg);
    return registry_failed(c, h, err);
}

/* A parsed deploy record: verified against key and the URL's name, its content here (or
 * fetched), then decided against the stored entry (names.h) and stored. */
static enum MHD_Result deploy_record(struct MHD_Connection *c, hreq *h,
                                     const esgx_name_record *rec, const uint8_t key[33], int logs)
{
    esgx_err err;
    char hash[65];
    esgx_crypto_hex_encode(rec->module_hash, 32, hash);
    if (strcmp(rec->name, h->rt.name))
        return esgx_http_reply_error(c, h, 409, "record_refused", "the record is for function '%s', not "
                           "'%s'", rec->name, h->rt.name);
    if (esgx_name_record_verify(rec, key, &err))
        return esgx_http_reply_error(c, h, 409, "record_refused", "the record of function '%s' does not "
                           "verify: %s", h->rt.name, err.msg);
    /* owner and seq first against what is stored now (no fetch for a refused record),
     * then again atomically with the write */
    esgx_names_deploy d = {.rec = rec, .network = key, .logs = logs};
    registry_fn cur, tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc = esgx_registry_get(h->srv->d.registry, h->rt.name, &cur, &err);
    if (rc && rc != ESGX_NODE_E_NOTFOUND) return update_failed(c, h, &d.p, &err);
    int refused = esgx_names_deploy_decide(&d, rc ? NULL : &cur, &tmp, &err);
    if (!rc) esgx_fn_entry_clear(&cur);
    esgx_fn_entry_clear(&tmp);
    if (refused) return update_failed(c, h, &d.p, &err);
    if (esgx_registry_writable(h->srv->d.registry, &err))   /* before any fetch */
        return registry_failed(c, h, &err);
    rc = content_here(h, c, rec->module_hash, &err);
    if (rc == ESGX_NODE_E_NOTFOUND)
        return esgx_http_reply_error(c, h, 404, "unknown_hash", "no content with hash %s (upload it first)",
                           hash);
    if (rc) return esgx_http_reply_error(c, h, 502, "fetch_failed", "%s", err.msg);
    int replaced = 0;
    if (esgx_registry_update(h->srv->d.registry, h->rt.name, esgx_names_deploy_decide, &d,
                             &replaced, &err))
        return update_failed(c, h, &d.p, &err);
    registry_fn f;
    if (esgx_registry_get(h->srv->d.registry, h->rt.name, &f, &err))
        return esgx_http_reply_error(c, h, 500, "internal", "%s", err.msg);
    esgx_node_logs_set(h->srv->logs, h->rt.name, rec->module_hash, logs);
    esgx_node_invocations_set(h->srv->invocations, h->rt.name, rec->module_hash);
    esgx_node_log(NODE_LOG_INFO, "deployed function %s -> %s seq %llu%s%s", h->rt.name, hash,
                  (unsigned long long)rec->seq, rec->encrypted ? " (decrypt)" : "",
                  logs ? " (logs)" : "");
    json_t *o = fn_json(&f);
    esgx_fn_entry_clear(&f);
    return esgx_http_reply_json(c, h, replaced ? 200 : 201, o);
}

enum MHD_Result esgx_http_route_fn_deploy(struct MHD_Connection *c, hreq *h)
{
    int logs;
    http_problem p;
    enum MHD_Result r = MHD_NO;
    uint8_t key[33];
    esgx_name_record *rec = malloc(sizeof *rec);
    if (!rec) return esgx_http_reply_error(c, h, 503, "busy", "out of memory");
    if (esgx_http_parse_deploy(h->b.p, h->b.len, rec, &logs, &p)) r = esgx_http_reply_problem(c, h, &p);
    else if (!node_key(c, h, key, &r)) r = deploy_record(c, h, rec, key, logs);
    free(rec);
    return r;
}

/* POST /functions/{name}/transfer (admin): a transfer signed by the name's owner becomes
 * the pending transfer; the next deploy must come from the key it goes to. */
enum MHD_Result esgx_http_route_fn_transfer(struct MHD_Connection *c, hreq *h)
{
    esgx_name_transfer t;
    http_problem p;
    enum MHD_Result r = MHD_NO;
    uint8_t key[33];
    esgx_err err;
    if (esgx_http_parse_transfer(h->b.p, h->b.len, &t, &p)) return esgx_http_reply_problem(c, h, &p);
    if (node_key(c, h, key, &r)) return r;
    if (esgx_name_transfer_verify(key, h->rt.name, strlen(h->rt.name), &t, &err))
        return esgx_http_reply_error(c, h, 409, "record_refused", "the transfer of function '%s' does not "
                           "verify for this network: %s", h->rt.name, err.msg);
    esgx_names_transfer d = {.t = &t, .network = key, .name = h->rt.name};
    int replaced;
    if (esgx_registry_update(h->srv->d.registry, h->rt.name, esgx_names_transfer_decide, &d,
                             &replaced, &err))
        return update_failed(c, h, &d.p, &err);
    registry_fn f;
    if (esgx_registry_get(h->srv->d.registry, h->rt.name, &f, &err))
        return esgx_http_reply_error(c, h, 500, "internal", "%s", err.msg);
    char to[67];
    esgx_crypto_hex_encode(t.to, 33, to);
    esgx_node_log(NODE_LOG_INFO, "function %s: transfer to %s pending (seq %llu)", h->rt.name, to,
                  (unsigned long long)t.seq);
    json_t *o = fn_json(&f);
    esgx_fn_entry_clear(&f);
    return esgx_http_reply_json(c, h, 200, o);
}

enum MHD_Result esgx_http_route_fn_list(struct MHD_Connection *c, hreq *h)
{
    registry_fn *v;
    size_t n;
    esgx_err err;
    if (esgx_registry_list(h->srv->d.registry, &v, &n, &err)) return registry_failed(c, h, &err);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, fn_json(&v[i]));
    esgx_registry_list_free(v, n);
    return esgx_http_reply_json(c, h, 200, a);
}

enum MHD_Result esgx_http_route_fn_delete(struct MHD_Connection *c, hreq *h)
{
    esgx_err err;
    int rc = esgx_registry_delete(h->srv->d.registry, h->rt.name, &err);
    if (rc == ESGX_NODE_E_NOTFOUND)
        return esgx_http_reply_error(c, h, 404, "unknown_function", "no function named '%s'", h->rt.name);
    if (rc) return registry_failed(c, h, &err);
    esgx_node_logs_forget(h->srv->logs, h->rt.name);
    esgx_node_invocations_forget(h->srv->invocations, h->rt.name);
    esgx_node_log(NODE_LOG_INFO, "deleted function %s", h->rt.name);
    return esgx_http_reply_json(c, h, 200, json_pack("{s:s}", "deleted", h->rt.name));
}

/* Looks name up for the routes that only read it; on success the logs learn its flag
 * (so an invocation by hash after a public resolution captures). 0 with *out filled,
 * or the lookup's code with the refusal queued in *r. */
static int fn_lookup(struct MHD_Connection *c, hreq *h, registry_fn *out, enum MHD_Result *r)
{
    esgx_err err;
    int rc = esgx_registry_get(h->srv->d.registry, h->rt.name, out, &err);
    if (rc == ESGX_NODE_E_NOTFOUND)
        *r = esgx_http_reply_error(c, h, 404, "unknown_function", "%s", err.msg);
    else if (rc)
        *r = registry_failed(c, h, &err);
    if (rc) return rc;
    uint8_t hb[32];
    if (!esgx_crypto_hex_decode(out->hash, 64, hb, 32, NULL, NULL)) {
        esgx_node_logs_set(h->srv->logs, out->name, hb, out->logs);
        esgx_node_invocations_set(h->srv->invocations, out->name, hb);
    }
    return ESGX_OK;
}

/* GET /functions/NAME (public): the signed record as stored, byte for byte (what a
 * verified call by name needs; the client checks it, not us). A pending transfer is in
 * the header X-Esgx-Pending-Transfer. */
enum MHD_Result esgx_http_route_fn_get(struct MHD_Connection *c, hreq *h)
{
    registry_fn f;
    enum MHD_Result r = MHD_NO;
    if (fn_lookup(c, h, &f, &r)) return r;
    if (!f.record) {
        esgx_fn_entry_clear(&f);
        return esgx_http_reply_error(c, h, 404, "unknown_function", "function '%s' has no signed record "
                           "(deployed before names were signed): deploy it again", h->rt.name);
    }
    size_t len = strlen(f.record);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, f.record,
                                                                MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        esgx_fn_entry_clear(&f);
        return MHD_NO;
    }
    f.record = NULL;   /* the response frees it */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (f.transfer) MHD_add_response_header(resp, "X-Esgx-Pending-Transfer", f.transfer);
    esgx_fn_entry_clear(&f);
    r = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    esgx_metrics_request(h->srv->d.metrics, h->rt.route, 200);
    return r;
}

static void on_logs_wake(node_logs_waiter *w)
{
    hreq *h = w->owner;
    MHD_resume_connection(h->conn);
}

/* Answers the lines after h->logs_since, with the sequence number to ask next. */
enum MHD_Result esgx_http_logs_answer(struct MHD_Connection *c, hreq *h)
{
    h->logs_polling = 0;
    char *text;
    size_t len;
    uint64_t next;
    esgx_err err;
    if (esgx_node_logs_read(h->srv->logs, h->rt.name, h->logs_since, &text, &len, &next, &err))
        return esgx_http_reply_error(c, h, 503, "busy", "%s", err.msg);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    char nx[24];
    snprintf(nx, sizeof nx, "%llu", (unsigned long long)next);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "X-Esgx-Logs-Next", nx);
    enum MHD_Result r = MHD_queue_response(c, 200, resp);
    MHD_destroy_response(resp);
    esgx_metrics_request(h->srv->d.metrics, h->rt.route, 200);
    return r;
}

/* GET /functions/NAME/logs[?since=N][&follow=1] (admin). */
enum MHD_Result esgx_http_route_fn_logs(struct MHD_Connection *c, hreq *h)
{
    registry_fn f;
    enum MHD_Result r = MHD_NO;
    if (fn_lookup(c, h, &f, &r)) return r;
    esgx_fn_entry_clear(&f);
    const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    const char *follow = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "follow");
    esgx_err err;
    if (since && esgx_parse_u64(since, 0, UINT64_MAX, 0, &h->logs_since, &err))
        return esgx_http_reply_error(c, h, 400, "bad_since", "since: %s", err.msg);
    if (!follow || !strcmp(follow, "0")) return esgx_http_logs_answer(c, h);
    if (strcmp(follow, "1"))
        return esgx_http_reply_error(c, h, 400, "bad_follow", "follow must be 0 or 1");
    snprintf(h->lw.name, sizeof h->lw.name, "%s", h->rt.name);
    h->lw.deadline_ms = esgx_monotonic_ms() + LOGS_POLL_MS;
    h->lw.wake = on_logs_wake;
    h->lw.owner = h;
    h->conn = c;
    h->logs_polling = 1;
    MHD_suspend_connection(c);
    if (!esgx_node_logs_wait(h->srv->logs, &h->lw, h->logs_since)) MHD_resume_connection(c);
    return MHD_YES;
}

/* GET /functions/NAME/invocations (admin): the last NODE_INVOCATIONS_KEPT invocations of
 * a known function on this node, newest first. */
enum MHD_Result esgx_http_route_fn_invocations(struct MHD_Connection *c, hreq *h)
{
    registry_fn f;
    enum MHD_Result r = MHD_NO;
    if (fn_lookup(c, h, &f, &r)) return r;
    esgx_fn_entry_clear(&f);
    size_t len;
    char *s = esgx_node_invocations_json(h->srv->invocations, h->rt.name, &len);
    if (!s) return esgx_http_reply_error(c, h, 503, "busy", "out of memory");
    return esgx_http_reply_buf(c, h, 200, s, len, MHD_RESPMEM_MUST_FREE, "application/json");
}
