/*
 * exec_bridge.c: the one place where esgx-enclave calls the executor (executor.h).
 *
 * It translates between channel messages and the executor's API: the options become an
 * exec_config, an EXEC frame becomes a job (a copy of the request, since the reader's
 * buffer is reused by the next read) that channel.c queues, a worker's job becomes
 * esgx_executor_run and then NEED_CONTENT or RESULT, STATS becomes STATS_REPLY, and a
 * key in the key store is published with esgx_executor_set_key. Keeping every executor
 * call here means a change of that API touches this file only.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enclave.h"
#include "executor.h"
#include "esgx_wasm.h"

_Static_assert(EXEC_MAX_LOGS == ESGX_PROTO_MAX_LOGS, "captured logs must fit a RESULT");
_Static_assert((int)ESGX_WASM_TIER_INTERP == ESGX_TIER_INTERP &&
                   (int)ESGX_WASM_TIER_JIT == ESGX_TIER_JIT,
               "HELLO's tier values are lib/wasm's");

/* A job: channel.c's part first, then the request and its bytes. */
typedef struct exec_job {
    enclave_job base;
    exec_request rq;
    uint8_t data[];              /* function, input, content */
} exec_job;

int enclave_exec_start(enclave *E)
{
    const enclave_options *o = &E->opt;
    exec_config cfg;
    esgx_exec_config_default(&cfg);
    cfg.fuel_limit = o->fuel;
    cfg.max_content = o->max_content;
    cfg.max_input = o->max_input;
    cfg.max_output = o->max_output;
    cfg.memory_pages = o->memory_pages;
    cfg.compile_threads = o->compile_threads;
    cfg.tier = o->tier;
    cfg.debug = o->debug;
    esgx_err err;
    if (esgx_executor_new(&cfg, E->trust.plat, &E->chan.ex, &err) != 0) {
        enclave_log(E, LOG_ERROR, "executor: %s", err.msg);
        return ENCLAVE_EXIT_FAILURE;
    }
    esgx_wasm_tier tier;
    if (esgx_wasm_tier_resolve((esgx_wasm_tier)o->tier, &tier, &err) != 0) {
        enclave_log(E, LOG_ERROR, "%s", err.msg);
        return ENCLAVE_EXIT_CONFIG;
    }
    E->chan.tier = (int)tier;
    enclave_log(E, LOG_INFO, "functions run on the %s tier%s", esgx_wasm_tier_name(tier),
                o->tier == ESGX_WASM_TIER_JIT && tier != ESGX_WASM_TIER_JIT
                    ? " (--tier jit: the compiler is not available here)" : "");
    if (E->trust.ks.ready) enclave_exec_publish_key(E);
    return 0;
}

void enclave_exec_stop(enclave *E)
{
    if (E->chan.ex) esgx_executor_free(E->chan.ex);
    E->chan.ex = NULL;
}

void enclave_exec_publish_key(enclave *E)
{
    esgx_err err;
    if (esgx_executor_set_key(E->chan.ex, &E->trust.ks.shared, E->trust.ks.xpub, &err))
        enclave_log(E, LOG_ERROR, "cannot publish the shared key to the executor: %s", err.msg);
}

static void send_result(enclave *E, uint64_t id, const exec_result *r)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_RESULT;
    m.id = id;
    esgx_msg_result *o = &m.u.result;
    o->status = (uint8_t)r->status;
    o->code = enclave_str_bytes(r->code);
    o->message = enclave_str_bytes(r->message);
    o->fuel_used = r->fuel_used;
    o->logs.ptr = r->logs;
    o->logs.len = r->logs_len;
    if (r->status == EXEC_OK) {
        memcpy(o->input_hash, r->input_hash, 32);
        memcpy(o->output_hash, r->output_hash, 32);
        memcpy(o->signature, r->signature, 65);
        o->tree.ptr = r->tree;
        o->tree.len = r->tree_len;
        o->output.ptr = r->output;
        o->output.len = r->output_len;
    }
    int rc = enclave_send(E, &m);
    if (rc != 0 && rc != ESGX_PROTO_E_IO && r->status == EXEC_OK) {
        /* The result cannot be framed (e.g. output over the frame limit): the host must
         * still get an answer for this id. */
        memset(o, 0, sizeof *o);
        o->status = ESGX_RESULT_INTERNAL;
        o->code = enclave_str_bytes(esgx_proto_result_code(ESGX_RC_INTERNAL)->code);
        o->message = enclave_str_bytes("the result does not fit in a channel frame");
        o->fuel_used = r->fuel_used;
        (void)enclave_send(E, &m);   /* a failure is logged; nothing more to do */
    }
}

/* Sends a RESULT with no output: outcome id (ESGX_RC_*) and message only. */
static void send_refusal(enclave *E, uint64_t id, int rc_id, const char *message)
{
    const esgx_result_code_info *o = esgx_proto_result_code(rc_id);
    exec_result r;
    memset(&r, 0, sizeof r);
    r.status = (exec_status)o->status;
    snprintf(r.code, sizeof r.code, "%s", o->code);
    snprintf(r.message, sizeof r.message, "%s", message);
    send_result(E, id, &r);
}

/* The job holds input (possibly sensitive): wiped before it is freed. */
static void job_free(exec_job *j)
{
    explicit_bzero(j->data, j->rq.function_len + j->rq.input_len + j->rq.content_len);
    free(j);
}

void enclave_exec_job_refuse(enclave *E, enclave_job *base, int id, const char *message)
{
    exec_job *j = (exec_job *)base;
    enclave_log(E, LOG_DEBUG, "request %" PRIu64 ": %s: %s", j->base.id,
                esgx_proto_result_code(id)->code, message);
    send_refusal(E, j->base.id, id, message);
    job_free(j);
}

void enclave_exec_job_run(enclave *E, enclave_job *base)
{
    exec_job *j = (exec_job *)base;
    uint64_t id = j->base.id;
    exec_result res;
    esgx_executor_run(E->chan.ex, &j->rq, &res);
    enclave_inflight_remove(E, id);
    if (res.need_content) {
        esgx_msg m;
        memset(&m, 0, sizeof m);
        m.type = ESGX_MSG_NEED_CONTENT;
        m.id = id;
        memcpy(m.u.need_content.module_hash, j->rq.module_hash, 32);
        (void)enclave_send(E, &m);   /* a failure is logged; the reader sees the EOF */
    } else {
        if (res.status != EXEC_OK)
            enclave_log(E, LOG_DEBUG, "request %" PRIu64 ": %s: %s", id, res.code,
                        res.message);
        send_result(E, id, &res);
    }
    esgx_exec_result_free(&res);
    job_free(j);
}

void enclave_exec_submit(enclave *E, const esgx_msg *m)
{
    const esgx_msg_exec *x = &m->u.exec;
    if (enclave_inflight_has(E, m->id)) {
        char msg[96];
        snprintf(msg, sizeof msg, "request id %" PRIu64 " is already running", m->id);
        send_refusal(E, m->id, ESGX_RC_DUPLICATE_ID, msg);
        return;
    }
    size_t content_len = x->has_content ? x->content.len : 0;
    size_t total = x->function.len + x->input.len + content_len;
    exec_job *j = malloc(sizeof *j + (total ? total : 1));
    if (!j) {
        send_refusal(E, m->id, ESGX_RC_INTERNAL, "out of memory queueing the request");
        return;
    }
    memset(j, 0, sizeof *j);
    j->base.id = m->id;
    uint8_t *p = j->data;
    memcpy(j->rq.module_hash, x->module_hash, 32);
    j->rq.decrypt = x->decrypt;
    j->rq.fuel = x->fuel;
    j->rq.capture_logs = x->capture_logs;
    j->rq.sealed = x->sealed;
    if (x->has_record) {   /* the codec bounds the name to 1..64 bytes */
        j->rq.has_record = 1;
        memcpy(j->rq.record_name, x->record_name.ptr, x->record_name.len);
        j->rq.record_name[x->record_name.len] = 0;
        j->rq.record_name_len = x->record_name.len;
        memcpy(j->rq.record_owner, x->record_owner, 33);
        j->rq.record_seq = x->record_seq;
        memcpy(j->rq.record_network, x->record_network, 33);
        memcpy(j->rq.record_signature, x->record_signature, sizeof j->rq.record_signature);
    }
    if (x->function.len) memcpy(p, x->function.ptr, x->function.len);
    j->rq.function = (const char *)p;
    j->rq.function_len = x->function.len;
    p += x->function.len;
    if (x->input.len) memcpy(p, x->input.ptr, x->input.len);
    j->rq.input = p;
    j->rq.input_len = x->input.len;
    p += x->input.len;
    j->rq.has_content = x->has_content;
    if (content_len) memcpy(p, x->content.ptr, content_len);
    j->rq.content = p;
    j->rq.content_len = content_len;
    enclave_enqueue(E, &j->base);
}

void enclave_exec_stats(enclave *E, uint64_t id)
{
    exec_stats st;
    esgx_executor_get_stats(E->chan.ex, &st);
    esgx_msg r;
    memset(&r, 0, sizeof r);
    r.type = ESGX_MSG_STATS_REPLY;
    r.id = id;
    r.u.stats.executions = st.executions;
    r.u.stats.traps = st.traps;
    r.u.stats.cache_entries = st.cache_entries;
    r.u.stats.cache_hits = st.cache_hits;
    r.u.stats.cache_misses = st.cache_misses;
    r.u.stats.jit_refused = st.jit_refused;
    (void)enclave_send(E, &r);   /* a failure is logged; the reader sees the EOF */
}
