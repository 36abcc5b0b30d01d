/*
 * supervisor.c: the esgx-enclave child process and its channel (docs/channel.md).
 *
 * Threads:
 *   supervisor  forks/execs the enclave with one end of a socketpair, reads HELLO
 *               (and does INIT_KEY when asked), then is the channel's only reader:
 *               RESULT / STATS_REPLY complete requests by id, NEED_CONTENT is queued
 *               for the content thread. When the channel breaks it fails every
 *               in-flight request with 503 enclave_restarting, reaps the child and
 *               starts a new one with exponential backoff (100 ms .. 5 s, reset after
 *               30 s of uptime). Exit status 78 from the enclave is a fatal config error.
 *   content     answers NEED_CONTENT: reads the module from the content store (which
 *               checks its hash: a corrupt file is deleted and fetched again from the
 *               network like a missing one) and resends the EXEC with it (or fails the
 *               request with 404). Kept off the reader thread so the reader never
 *               blocks on a large write. It never waits on the network: a module not
 *               stored here is asked of the network's fetch pool (hooks.fetch_content),
 *               whose callback queues the job again once the fetch ended.
 *   callers     (HTTP threads) send EXECs themselves, pipelined on the one socket, and
 *               the synchronous requests (STATS, ATTEST_DOC, MAC_REQ), which wait on
 *               sync_cond for the reply with their id (or a timeout).
 *   collateral  (collateral_service.c) answers the enclave's COLLATERAL_REQ, which the reader
 *               only queues: fetching from a PCCS may block on the network.
 *
 * Bounded work: at most cfg->workers + cfg->max_queue EXECs are in the table; one more
 * is answered 503 queue_full at once. The enclave answers a job that waited longer than
 * --queue-timeout 503 queue_timeout, and one that ran longer than --max-exec-time
 * RESULT exec_timeout (504 here) before it exits (and is restarted): the runaway thread
 * cannot be stopped inside it.
 *
 * Queue wait and run time (the histograms of GET /metrics) are measured here, from the
 * order of the enclave's answers: its queue is FIFO and it runs cfg->workers jobs at a
 * time, so an EXEC sent while fewer than that many run starts at once, else it waits
 * behind the others and starts when a running one is answered (RESULT, or NEED_CONTENT,
 * after which the job comes back as a new EXEC with its content). Each request adds up
 * the time it spent waiting and running; a RESULT reports both. The model runs under
 * s->tmu (model_sent, model_left); a job answered while still waiting (queue_timeout)
 * waited all its time. The model's waiting jobs are the gauge esgx_queue_depth.
 *
 * Locks: s->wmu serialises writes and guards s->fd/s->chan_up (the fd is closed only with
 * s->chan_up cleared under s->wmu, so a writer never sees a stale fd); s->tmu guards the
 * request table and each request's done/busy flags; s->mu guards s->info and lifecycle.
 * Order: s->wmu before s->tmu. A request completes exactly once: whoever sets done under
 * s->tmu fills the result, and on_done runs outside the locks, deferred to the content
 * thread while it is still sending that request's EXEC (busy). All of this state is in
 * the sup object (esgx_sup_new); every timed wait is on CLOCK_MONOTONIC (esgx_deadline_after_ms),
 * so a wall-clock jump neither stretches nor cuts a timeout.
 */
#define _GNU_SOURCE
#include "supervisor.h"
#include "http_request.h"
#include "node_log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "esgx_crypto.h"

#define TABLE_SIZE 4096
#define SUP_MAC_TIMEOUT_MS 5000
#define EX_CONFIG 78

struct sup {
    const node_config *cfg;
    content_store *content;
    metrics *metrics;
    sup_hooks hooks;

    pthread_mutex_t mu;            /* guards info and the lifecycle fields */
    pthread_cond_t cond;           /* monotonic */
    sup_info info;
    int fatal;
    int stopping;
    int init_pending;
    int failed_starts;             /* attempts that ended before the channel was up */

    pthread_mutex_t wmu;           /* serialises writes; guards fd, chan_up */
    int fd;
    int chan_up;

    pthread_mutex_t tmu;           /* guards the request table, done/busy flags */
    pthread_cond_t sync_cond;      /* monotonic */
    sup_req *table[TABLE_SIZE];
    size_t n_exec;                 /* EXECs in the table (running, queued, awaiting content) */
    size_t q_running;              /* the timing model: EXECs the enclave runs now */
    sup_req *q_head, *q_tail;      /* and those waiting for a worker, in order */
    size_t q_waiting;              /* their number (the gauge esgx_queue_depth) */
    _Atomic uint64_t next_id;

    pthread_mutex_t cmu;           /* guards the NEED_CONTENT queue */
    pthread_cond_t ccond;
    uint64_t *cq;
    size_t cq_head, cq_len, cq_cap;
    int cstop;

    pthread_t sup_thread, content_thread;
    int content_started, sup_started;
    int stopped;
};

/* ---------------------------------------------------------------- request table */

/* The table under s->tmu. EXECs (the requests with an on_done) are counted: their
 * number bounds the enclave's queue (--max-queue). */
static void table_insert(sup *s, sup_req *r)
{
    if (r->on_done) s->n_exec++;
    sup_req **b = &s->table[r->id % TABLE_SIZE];
    r->next = *b;
    *b = r;
}

static sup_req *table_find(sup *s, uint64_t id)
{
    for (sup_req *r = s->table[id % TABLE_SIZE]; r; r = r->next)
        if (r->id == id) return r;
    return NULL;
}

/* ---------------------------------------------------------------- timing model */

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* An EXEC of r goes to the enclave (s->tmu held): it runs at once if a worker is free,
 * else it waits at the end of the queue. */
static void model_sent(sup *s, sup_req *r)
{
    if (!r->on_done || r->q_state) return;
    r->q_mark_us = now_us();
    r->q_next = NULL;
    if (s->q_running < (size_t)(s->cfg->workers ? s->cfg->workers : 1)) {
        r->q_state = 2;
        s->q_running++;
    } else {
        r->q_state = 1;
        if (s->q_tail) s->q_tail->q_next = r;
        else s->q_head = r;
        s->q_tail = r;
        esgx_metrics_queue_depth(s->metrics, ++s->q_waiting);
    }
}

/* The enclave answered r's EXEC, or r left the table (s->tmu held): its time is added
 * up, and a running r's worker takes the first waiting job. */
static void model_left(sup *s, sup_req *r)
{
    if (!r->q_state) return;
    uint64_t now = now_us();
    uint64_t spent = now > r->q_mark_us ? now - r->q_mark_us : 0;
    if (r->q_state == 1) {
        r->queue_us += spent;
        for (sup_req **p = &s->q_head, *prev = NULL; *p; prev = *p, p = &(*p)->q_next)
            if (*p == r) {
                *p = r->q_next;
                if (s->q_tail == r) s->q_tail = prev;
                esgx_metrics_queue_depth(s->metrics, --s->q_waiting);
                break;
            }
    } else {
        r->run_us += spent;
        if (s->q_running) s->q_running--;
        sup_req *n = s->q_head;
        if (n) {
            s->q_head = n->q_next;
            if (!s->q_head) s->q_tail = NULL;
            esgx_metrics_queue_depth(s->metrics, --s->q_waiting);
            n->queue_us += now > n->q_mark_us ? now - n->q_mark_us : 0;
            n->q_mark_us = now;
            n->q_state = 2;
            s->q_running++;
        }
    }
    r->q_state = 0;
    r->q_next = NULL;
}

static void table_remove(sup *s, sup_req *r)
{
    model_left(s, r);
    for (sup_req **p = &s->table[r->id % TABLE_SIZE]; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            r->next = NULL;
            if (r->on_done) s->n_exec--;
            return;
        }
}

static void set_error(sup_req *r, unsigned status, const char *code, const char *message)
{
    free(r->body);
    r->http_status = status;
    snprintf(r->code, sizeof r->code, "%s", code);
    r->body = esgx_node_error_json(code, message, &r->body_len);
    r->body_is_json = 1;
}

/* set_error with the code and HTTP status of outcome id (ESGX_RC_*). */
static void set_outcome(sup_req *r, int id, const char *message)
{
    const esgx_result_code_info *o = esgx_proto_result_code(id);
    set_error(r, o->http, o->code, message);
}

/* Completes r with outcome id (ESGX_RC_*) unless it is already done. */
static void finish_error(sup *s, sup_req *r, int id, const char *msg)
{
    void (*fn)(sup_req *) = NULL;
    pthread_mutex_lock(&s->tmu);
    if (!r->done) {
        table_remove(s, r);
        set_outcome(r, id, msg);
        r->done = 1;
        if (!r->busy) fn = r->on_done;
    }
    pthread_mutex_unlock(&s->tmu);
    if (fn) fn(r);
}

/* Fails every request in the table with outcome id (ESGX_RC_*; channel lost). */
static void fail_all(sup *s, int id, const char *msg)
{
    sup_req *list = NULL;
    pthread_mutex_lock(&s->tmu);
    s->n_exec = 0;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        sup_req *r = s->table[i];
        s->table[i] = NULL;
        while (r) {
            sup_req *n = r->next;
            set_outcome(r, id, msg);
            r->done = 1;
            if (!r->busy && r->on_done) {
                r->next = list;
                list = r;
            } else {
                r->next = NULL;
            }
            r = n;
        }
    }
    pthread_cond_broadcast(&s->sync_cond); /* wakes esgx_sup_stats waiters */
    pthread_mutex_unlock(&s->tmu);
    while (list) {
        sup_req *n = list->next;
        list->next = NULL;
        list->on_done(list);
        list = n;
    }
}

/* ---------------------------------------------------------------- results */

/* The HTTP status of a RESULT: the one table of outcomes (esgx_proto.h) decides. */
static unsigned status_for(const esgx_msg_result *res)
{
    return esgx_proto_result_http_status(res->status, (const char *)res->code.ptr,
                                         res->code.len);
}

/* The one place an EXEC is filled from a request (without content). */
static void exec_msg_of(const sup_req *r, esgx_msg_exec *x)
{
    memcpy(x->module_hash, r->hash, 32);
    x->decrypt = r->decrypt;
    x->fuel = r->fuel;
    x->function = (esgx_bytes){(const uint8_t *)r->function, r->function_len};
    x->input = (esgx_bytes){r->input, r->input_len};
    x->capture_logs = r->capture_logs ? 1 : 0;
    x->sealed = r->sealed ? 1 : 0;
    if (r->record) {
        const esgx_name_record *rec = r->record;
        x->has_record = 1;
        x->record_name = (esgx_bytes){(const uint8_t *)rec->name, rec->name_len};
        memcpy(x->record_owner, rec->owner, 33);
        x->record_seq = rec->seq;
        memcpy(x->record_network, rec->network, 33);
        memcpy(x->record_signature, rec->signature, sizeof x->record_signature);
    }
}

/* The header line's members beyond the plain answer (a call by name, a sealed call),
 * copied out of r under the table lock; name is x's name buffer. */
static void header_extra_of(const sup_req *r, esgx_proto_header_extra *x,
                            char name[ESGX_NAME_MAX_LEN + 1])
{
    memset(x, 0, sizeof *x);
    x->sealed = r->sealed ? 1 : 0;
    if (!r->record) return;
    memcpy(name, r->record->name, r->record->name_len);
    name[r->record->name_len] = 0;
    x->by_name = 1;
    x->name = name;
    x->name_len = r->record->name_len;
    memcpy(x->owner, r->record->owner, 33);
    x->seq = r->record->seq;
}

/* Builds the HTTP body for a RESULT into r (outside the table lock); extra gives the
 * header line's optional members. */
static void fill_result(sup_req *r, const esgx_msg_result *res,
                        const esgx_proto_header_extra *extra)
{
    r->http_status = status_for(res);
    r->fuel_used = res->fuel_used;
    if (res->logs.len && (r->logs = malloc(res->logs.len))) {
        memcpy(r->logs, res->logs.ptr, res->logs.len);
        r->logs_len = res->logs.len;
    }
    if (res->status == ESGX_RESULT_OK) {
        size_t hl = esgx_proto_header_len_ex(res, extra);
        char *b = malloc(hl + res->output.len);
        size_t n = 0;
        if (!b || esgx_proto_format_header_ex(res, extra, b, hl, &n, NULL)) {
            free(b);
            set_outcome(r, ESGX_RC_INTERNAL, "cannot build the response header");
            return;
        }
        if (res->output.len) memcpy(b + n, res->output.ptr, res->output.len);
        r->body = b;
        r->body_len = n + res->output.len;
        r->body_is_json = 0;
        return;
    }
    char code[ESGX_PROTO_MAX_CODE + 1], msg[ESGX_PROTO_MAX_MESSAGE + 1];
    snprintf(code, sizeof code, "%.*s", (int)res->code.len, (const char *)res->code.ptr);
    snprintf(msg, sizeof msg, "%.*s", (int)res->message.len, (const char *)res->message.ptr);
    unsigned st = r->http_status;
    set_error(r, st, code, msg[0] ? msg : code);
}

static void on_result(sup *s, const esgx_msg *m)
{
    sup_req tmp;
    memset(&tmp, 0, sizeof tmp);
    esgx_proto_header_extra extra;
    char name[ESGX_NAME_MAX_LEN + 1];
    memset(&extra, 0, sizeof extra);
    pthread_mutex_lock(&s->tmu);
    sup_req *q = table_find(s, m->id);
    if (q && !q->done) header_extra_of(q, &extra, name);
    pthread_mutex_unlock(&s->tmu);
    fill_result(&tmp, &m->u.result, &extra);
    esgx_metrics_invocation(s->metrics, m->u.result.status == ESGX_RESULT_TRAP,
                            m->u.result.fuel_used);
    void (*fn)(sup_req *) = NULL;
    sup_req *r;
    pthread_mutex_lock(&s->tmu);
    r = table_find(s, m->id);
    if (r && !r->done) {
        table_remove(s, r);   /* ends its time in the model */
        if (r->on_done) esgx_metrics_invocation_times(s->metrics, r->queue_us, r->run_us);
        free(r->body);
        free(r->logs);
        r->http_status = tmp.http_status;
        r->body = tmp.body;
        r->body_len = tmp.body_len;
        r->body_is_json = tmp.body_is_json;
        memcpy(r->code, tmp.code, sizeof r->code);
        r->fuel_used = tmp.fuel_used;
        r->logs = tmp.logs;
        r->logs_len = tmp.logs_len;
        tmp.body = NULL;
        tmp.logs = NULL;
        r->done = 1;
        if (!r->busy) fn = r->on_done;
    }
    pthread_mutex_unlock(&s->tmu);
    if (!r) esgx_node_log(NODE_LOG_WARN, "RESULT for unknown request id %llu",
                     (unsigned long long)m->id);
    free(tmp.body);
    free(tmp.logs);
    if (fn) fn(r);
}

static void on_stats(sup *s, const esgx_msg *m)
{
    pthread_mutex_lock(&s->tmu);
    sup_req *r = table_find(s, m->id);
    if (r && !r->done) {
        table_remove(s, r);
        r->stats = m->u.stats;
        r->http_status = 200;
        r->done = 1;
    }
    pthread_cond_broadcast(&s->sync_cond);
    pthread_mutex_unlock(&s->tmu);
}

static void copy_str(char *dst, size_t cap, esgx_bytes b)
{
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    if (n) memcpy(dst, b.ptr, n);
    dst[n] = 0;
}

/* ESGX_ATTEST_DOC_REPLY: copies the document into the waiting sync request. */
static void on_attest_doc(sup *s, const esgx_msg *m)
{
    const esgx_msg_attest_doc *a = &m->u.attest_doc;
    uint8_t *q = NULL;
    if (a->quote.len && (q = malloc(a->quote.len))) memcpy(q, a->quote.ptr, a->quote.len);
    pthread_mutex_lock(&s->tmu);
    sup_req *r = table_find(s, m->id);
    if (r && !r->done && r->doc) {
        table_remove(s, r);
        sup_attest_doc *d = r->doc;
        d->state = a->state;
        snprintf(d->xpub, sizeof d->xpub, "%.*s", (int)a->xpub.len, (const char *)a->xpub.ptr);
        memcpy(d->public_key, a->public_key, 33);
        d->quote = q;
        d->quote_len = q ? a->quote.len : 0;
        q = NULL;
        if (a->quote.len && !d->quote) snprintf(d->error, sizeof d->error, "out of memory");
        else
            snprintf(d->error, sizeof d->error, "%.*s", (int)a->error.len,
                     (const char *)a->error.ptr);
        r->http_status = 200;
        r->done = 1;
    }
    pthread_cond_broadcast(&s->sync_cond);
    pthread_mutex_unlock(&s->tmu);
    free(q);
}

/* MAC_REPLY: the MAC into the waiting sync request; state no key is marked by a code. */
static void on_mac_reply(sup *s, const esgx_msg *m)
{
    pthread_mutex_lock(&s->tmu);
    sup_req *r = table_find(s, m->id);
    if (r && !r->done && r->mac) {
        table_remove(s, r);
        memcpy(r->mac, m->u.mac_reply.mac, 32);
        if (m->u.mac_reply.state != ESGX_STATE_READY) snprintf(r->code, sizeof r->code, "no_key");
        r->http_status = 200;
        r->done = 1;
    }
    pthread_cond_broadcast(&s->sync_cond);
    pthread_mutex_unlock(&s->tmu);
}

/* KEY_STATUS outside INIT_KEY: sent unsolicited (id 0) when the enclave got the network
 * key from a peer (--peers). Record it: invocations stop answering 503 no_key. Without a
 * key it says why (a peer refused against --network-key): kept for /health. */
static void on_key_status(sup *s, const esgx_msg *m)
{
    const esgx_msg_key_status *k = &m->u.key_status;
    if (k->state != ESGX_STATE_READY) {
        esgx_node_log(NODE_LOG_WARN, "enclave reports no key: %.*s", (int)k->error.len,
                 (const char *)k->error.ptr);
        pthread_mutex_lock(&s->mu);
        copy_str(s->info.key_error, sizeof s->info.key_error, k->error);
        pthread_mutex_unlock(&s->mu);
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->info.key_error[0] = 0;
    s->info.state = ESGX_STATE_READY;
    copy_str(s->info.xpub, sizeof s->info.xpub, k->xpub);
    memcpy(s->info.public_key, k->public_key, 33);
    pthread_mutex_unlock(&s->mu);
    esgx_node_log(NODE_LOG_INFO, "the enclave obtained the network key from a peer; xpub %.*s",
             (int)k->xpub.len, (const char *)k->xpub.ptr);
}

/* COLLATERAL_REQ: handed to the collateral hook (which only queues it). */
static void on_collateral_req(sup *s, const esgx_msg *m)
{
    if (s->hooks.on_collateral_req)
        s->hooks.on_collateral_req(s->hooks.collateral_arg, m->id, &m->u.collateral_req);
    else
        esgx_node_log(NODE_LOG_WARN, "COLLATERAL_REQ %llu ignored (no collateral service)",
                 (unsigned long long)m->id);
}

/* ---------------------------------------------------------------- content thread */

static void content_enqueue(sup *s, uint64_t id)
{
    pthread_mutex_lock(&s->cmu);
    if (s->cq_len == s->cq_cap) {
        size_t ncap = s->cq_cap ? 2 * s->cq_cap : 64;
        uint64_t *nq = malloc(ncap * sizeof *nq);
        if (!nq) {
            pthread_mutex_unlock(&s->cmu);
            esgx_node_log(NODE_LOG_ERROR, "out of memory queueing NEED_CONTENT");
            return;
        }
        for (size_t i = 0; i < s->cq_len; i++) nq[i] = s->cq[(s->cq_head + i) % s->cq_cap];
        free(s->cq);
        s->cq = nq;
        s->cq_cap = ncap;
        s->cq_head = 0;
    }
    s->cq[(s->cq_head + s->cq_len) % s->cq_cap] = id;
    s->cq_len++;
    pthread_cond_signal(&s->ccond);
    pthread_mutex_unlock(&s->cmu);
}

/* A fetch asked for by content_job ended (a fetch worker's thread): records the
 * outcome in the request and queues its content job again. */
typedef struct fetch_ctx {
    sup *s;
    uint64_t id;
} fetch_ctx;

static void on_fetched(void *ctx, const uint8_t hash[32], int rc, const esgx_err *err)
{
    (void)hash;
    fetch_ctx *x = ctx;
    sup *s = x->s;
    pthread_mutex_lock(&s->tmu);
    sup_req *r = table_find(s, x->id);
    int go = r && !r->done && r->fetch_state == 1;
    if (go) {
        r->fetch_state = 2;
        r->fetch_rc = rc;
        /* on NOTFOUND fetch_msg keeps what content_job put there (a corruption) */
        if (rc != ESGX_NODE_E_NOTFOUND)
            snprintf(r->fetch_msg, sizeof r->fetch_msg, "%s", rc && err ? err->msg : "");
    }
    pthread_mutex_unlock(&s->tmu);
    if (go) content_enqueue(s, x->id);
    free(x);
}

/* Asks the network for r's module (r->fetch_state set to 1 first: the answer may come
 * at once on another thread; fetch_msg keeps corrupt, the reason to give if no source
 * has it). 0 when asked, else the refusal's code with err. */
static int ask_fetch(sup *s, sup_req *r, uint64_t id, const char *corrupt, esgx_err *err)
{
    fetch_ctx *x = malloc(sizeof *x);
    if (!x) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    x->s = s;
    x->id = id;
    pthread_mutex_lock(&s->tmu);
    r->fetch_state = 1;
    snprintf(r->fetch_msg, sizeof r->fetch_msg, "%s", corrupt);
    pthread_mutex_unlock(&s->tmu);
    int rc = s->hooks.fetch_content(s->hooks.net_arg, r->hash, on_fetched, x, err);
    if (rc) {
        pthread_mutex_lock(&s->tmu);
        r->fetch_state = 0;
        pthread_mutex_unlock(&s->tmu);
        free(x);
    }
    return rc;
}

/* Answers NEED_CONTENT for request id: the module from the store, else a fetch is asked
 * for and the job returns; the fetch's end queues the job again (fetch_state 2), which
 * then sends the module or fails the request. Never waits on the network. */
static void content_job(sup *s, uint64_t id)
{
    pthread_mutex_lock(&s->tmu);
    sup_req *r = table_find(s, id);
    if (!r || r->done || r->fetch_state == 1) {
        pthread_mutex_unlock(&s->tmu);
        return;
    }
    if (r->content_sent) { /* the enclave asked twice: it did not accept the module */
        pthread_mutex_unlock(&s->tmu);
        finish_error(s, r, ESGX_RC_INTERNAL, "enclave asked for content it was already given");
        return;
    }
    r->busy = 1;
    int fetched = r->fetch_state == 2, fetch_rc = r->fetch_rc;
    pthread_mutex_unlock(&s->tmu);

    int fail = -1;                 /* the outcome (ESGX_RC_*) when the request fails here */
    char fail_msg[ESGX_ERR_MSG_MAX + 64] = "";
    uint8_t *data = NULL;
    size_t len = 0;
    esgx_err err;
    int rc = esgx_content_read(s->content, r->hash, &data, &len, &err);
    char corrupt[ESGX_ERR_MSG_MAX] = "";   /* the stored file was corrupt (now deleted) */
    if (rc == ESGX_NODE_E_MISMATCH) {
        snprintf(corrupt, sizeof corrupt, "%s", err.msg);
        rc = ESGX_NODE_E_NOTFOUND;
    }
    int pending = 0;
    if (rc == ESGX_NODE_E_NOTFOUND && fetched && fetch_rc != ESGX_OK &&
        fetch_rc != ESGX_NODE_E_NOTFOUND) {   /* some source has it, none delivered */
        fail = ESGX_RC_FETCH_FAILED;
        snprintf(fail_msg, sizeof fail_msg, "%s", r->fetch_msg);
        esgx_node_log(NODE_LOG_WARN, "%s", r->fetch_msg);
    } else if (rc == ESGX_NODE_E_NOTFOUND && fetched && fetch_rc == ESGX_NODE_E_NOTFOUND) {
        if (r->fetch_msg[0] && !corrupt[0])   /* the corruption seen before the fetch */
            snprintf(corrupt, sizeof corrupt, "%s", r->fetch_msg);
    } else if (rc == ESGX_NODE_E_NOTFOUND && !fetched && s->hooks.fetch_content) {
        /* not here (or no longer): another node of the network may hold it */
        esgx_err ferr;
        int frc = ask_fetch(s, r, id, corrupt, &ferr);
        if (frc == ESGX_OK) {
            pending = 1;
        } else if (frc != ESGX_NODE_E_NOTFOUND) {   /* cannot fetch now */
            fail = ESGX_RC_FETCH_FAILED;
            snprintf(fail_msg, sizeof fail_msg, "%s", ferr.msg);
            esgx_node_log(NODE_LOG_WARN, "%s", ferr.msg);
        }
    }
    if (pending || fail >= 0) {
        /* asked for, or already described */
    } else if (rc == ESGX_NODE_E_NOTFOUND) {
        char hex[65];
        esgx_crypto_hex_encode(r->hash, 32, hex);
        fail = ESGX_RC_UNKNOWN_HASH;
        if (corrupt[0]) snprintf(fail_msg, sizeof fail_msg, "%s", corrupt);
        else snprintf(fail_msg, sizeof fail_msg, "no content with hash %s", hex);
    } else if (rc) {
        fail = ESGX_RC_INTERNAL;
        snprintf(fail_msg, sizeof fail_msg, "content store: %s", err.msg);
        esgx_node_log(NODE_LOG_ERROR, "%s", fail_msg);
    } else {
        esgx_msg m;
        memset(&m, 0, sizeof m);
        m.type = ESGX_MSG_EXEC;
        m.id = id;
        exec_msg_of(r, &m.u.exec);
        m.u.exec.has_content = 1;
        m.u.exec.content = (esgx_bytes){data, len};
        pthread_mutex_lock(&s->tmu);   /* before the send: its RESULT may come at once */
        if (!r->done) model_sent(s, r);
        pthread_mutex_unlock(&s->tmu);
        pthread_mutex_lock(&s->wmu);
        if (s->chan_up) {
            if (esgx_proto_send(s->fd, &m, &err))
                esgx_node_log(NODE_LOG_WARN, "sending content for request %llu: %s",
                         (unsigned long long)id, err.msg);
            /* a broken channel is noticed by the reader, which fails the request */
        }
        pthread_mutex_unlock(&s->wmu);
        free(data);
    }
    void (*fn)(sup_req *) = NULL;
    pthread_mutex_lock(&s->tmu);
    r->busy = 0;
    if (!pending) r->content_sent = 1;
    if (fail >= 0 && !r->done) {
        table_remove(s, r);
        set_outcome(r, fail, fail_msg);
        r->done = 1;
    }
    if (r->done) fn = r->on_done;
    pthread_mutex_unlock(&s->tmu);
    if (fn) fn(r);
}

static void *content_main(void *arg)
{
    sup *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->cmu);
        while (!s->cq_len && !s->cstop) pthread_cond_wait(&s->ccond, &s->cmu);
        if (!s->cq_len && s->cstop) {
            pthread_mutex_unlock(&s->cmu);
            return NULL;
        }
        uint64_t id = s->cq[s->cq_head];
        s->cq_head = (s->cq_head + 1) % s->cq_cap;
        s->cq_len--;
        pthread_mutex_unlock(&s->cmu);
        content_job(s, id);
    }
}

/* ---------------------------------------------------------------- child process */

static const char *level_name(int l)
{
    static const char *n[] = {"error", "warn", "info", "debug"};
    return l >= 0 && l <= 3 ? n[l] : "info";
}

/* The enclave's command line, bounded: arg_add past the end sets `over` instead. */
#define ENCLAVE_ARGV_MAX 80
typedef struct enclave_argv {
    const char *v[ENCLAVE_ARGV_MAX];
    int n;
    int over;
} enclave_argv;

static void arg_add(enclave_argv *l, const char *arg)
{
    if (l->n < ENCLAVE_ARGV_MAX - 1) l->v[l->n++] = arg;   /* room for the NULL */
    else l->over = 1;
}

/* Forks and execs the enclave: *pid_out gets its pid, *fd our end of the channel.
 * Returns 0 or ESGX_NODE_E_IO (logged). */
static int spawn_enclave(sup *s, int with_init, pid_t *pid_out, int *fd)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        esgx_node_log(NODE_LOG_ERROR, "socketpair: %s", strerror(errno));
        return ESGX_NODE_E_IO;
    }
    int bufsz = 1 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
    char s_fd[16];
    snprintf(s_fd, sizeof s_fd, "%d", sv[1]);
    /* the numeric limits, each as "--flag VALUE" */
    const struct { const char *flag; unsigned long long v; } nums[] = {
        {"--fuel", s->cfg->fuel},
        {"--workers", s->cfg->workers},
        {"--max-content", s->cfg->max_content},
        {"--max-input", s->cfg->max_input},
        {"--max-output", s->cfg->max_output},
        {"--memory-pages", s->cfg->memory_pages},
        {"--compile-threads", s->cfg->compile_threads},
        {"--queue-timeout-ms", (unsigned long long)s->cfg->queue_timeout * 1000},
        {"--max-exec-ms", (unsigned long long)s->cfg->max_exec_time * 1000},
    };
    enum { N_NUMS = sizeof nums / sizeof nums[0] };
    char s_num[N_NUMS][24];
    /* the most arguments the lines below can add: 5 fixed, --init, the numbers, --debug,
     * eight options with a value, --collateral-from-host, every --trust-mrenclave,
     * --log-level and its value, and the NULL */
    enum { N_TRUST = sizeof s->cfg->trust_mrenclave / sizeof s->cfg->trust_mrenclave[0] };
    _Static_assert(5 + 1 + 2 * N_NUMS + 1 + 2 * 8 + 1 + 2 * N_TRUST + 2 + 1 <= ENCLAVE_ARGV_MAX,
                   "the enclave's command line outgrew ENCLAVE_ARGV_MAX");
    enclave_argv args = {.n = 0};
    arg_add(&args, s->cfg->enclave_path);
    arg_add(&args, "--data-dir");
    arg_add(&args, s->cfg->data_dir);
    arg_add(&args, "--channel-fd");
    arg_add(&args, s_fd);
    if (with_init) arg_add(&args, "--init");
    for (size_t k = 0; k < N_NUMS; k++) {
        snprintf(s_num[k], sizeof s_num[k], "%llu", nums[k].v);
        arg_add(&args, nums[k].flag);
        arg_add(&args, s_num[k]);
    }
    if (s->cfg->debug) arg_add(&args, "--debug");
    if (esgx_proto_tier_name(s->cfg->tier))
        arg_add(&args, "--tier"), arg_add(&args, esgx_proto_tier_name(s->cfg->tier));
    if (s->cfg->sim_bundle) arg_add(&args, "--sim-bundle"), arg_add(&args, s->cfg->sim_bundle);
    if (s->cfg->peer_listen) arg_add(&args, "--peer-listen"), arg_add(&args, s->cfg->peer_listen);
    char *net_peers = NULL;   /* the network's members, when --peers is not given */
    if (!s->cfg->peers && !with_init && s->hooks.peers) net_peers = s->hooks.peers(s->hooks.net_arg);
    if (s->cfg->peers && !with_init) arg_add(&args, "--peers"), arg_add(&args, s->cfg->peers);
    else if (net_peers && net_peers[0]) arg_add(&args, "--peers"), arg_add(&args, net_peers);
    if (s->cfg->network_key) arg_add(&args, "--network-key"), arg_add(&args, s->cfg->network_key);
    if (s->cfg->collateral) arg_add(&args, "--collateral"), arg_add(&args, s->cfg->collateral);
    if (s->cfg->pccs_url) arg_add(&args, "--collateral-from-host");
    if (s->cfg->sim_root) arg_add(&args, "--sim-root"), arg_add(&args, s->cfg->sim_root);
    if (s->cfg->accept_status) arg_add(&args, "--accept-status"), arg_add(&args, s->cfg->accept_status);
    for (unsigned t = 0; t < s->cfg->n_trust; t++)
        arg_add(&args, "--trust-mrenclave"), arg_add(&args, s->cfg->trust_mrenclave[t]);
    arg_add(&args, "--log-level");
    arg_add(&args, level_name(s->cfg->log_level));
    if (args.over) {   /* a new option above without a bigger ENCLAVE_ARGV_MAX */
        esgx_node_log(NODE_LOG_ERROR, "internal: more than %d enclave arguments", ENCLAVE_ARGV_MAX - 1);
        free(net_peers);
        close(sv[0]);
        close(sv[1]);
        return ESGX_NODE_E_IO;
    }
    args.v[args.n] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) free(net_peers);   /* the parent's copy (the child execs with its own) */
    if (pid < 0) {
        esgx_node_log(NODE_LOG_ERROR, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return ESGX_NODE_E_IO;
    }
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        int fl = fcntl(sv[1], F_GETFD);
        fcntl(sv[1], F_SETFD, fl & ~FD_CLOEXEC);
        int dn = open("/dev/null", O_RDONLY);
        if (dn >= 0 && dn != 0) {
            dup2(dn, 0);
            close(dn);
        }
        execv(s->cfg->enclave_path, (char *const *)args.v);
        _exit(127);
    }
    close(sv[1]);
    *fd = sv[0];
    *pid_out = pid;
    return ESGX_OK;
}

/* Sleeps ms unless stopping. */
static void backoff_sleep(sup *s, int ms)
{
    struct timespec ts = esgx_deadline_after_ms((uint64_t)ms);
    pthread_mutex_lock(&s->mu);
    while (!s->stopping)
        if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT) break;
    pthread_mutex_unlock(&s->mu);
}

static void set_fatal(sup *s, const char *why)
{
    esgx_node_log(NODE_LOG_ERROR, "fatal: %s", why);
    pthread_mutex_lock(&s->mu);
    s->fatal = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    if (s->hooks.on_fatal) s->hooks.on_fatal(s->hooks.fatal_arg);
}

/* Handshake: HELLO, then INIT_KEY if pending. Returns 0, ESGX_NODE_E_DOWN (restart the
 * enclave) or ESGX_NODE_E_FATAL (INIT_KEY refused). */
static int handshake(sup *s, esgx_proto_reader *rd, int fd)
{
    esgx_msg m;
    esgx_err err;
    if (esgx_proto_read(rd, fd, &m, &err)) {
        esgx_node_log(NODE_LOG_ERROR, "enclave did not say HELLO: %s", err.msg);
        return ESGX_NODE_E_DOWN;
    }
    if (m.type != ESGX_MSG_HELLO) {
        esgx_node_log(NODE_LOG_ERROR, "enclave sent %s before HELLO", esgx_proto_type_name(m.type));
        return ESGX_NODE_E_DOWN;
    }
    pthread_mutex_lock(&s->mu);
    s->info.state = m.u.hello.state;
    copy_str(s->info.platform, sizeof s->info.platform, m.u.hello.platform);
    memcpy(s->info.mrenclave, m.u.hello.mrenclave, 32);
    memcpy(s->info.mrsigner, m.u.hello.mrsigner, 32);
    copy_str(s->info.xpub, sizeof s->info.xpub, m.u.hello.xpub);
    memcpy(s->info.public_key, m.u.hello.public_key, 33);
    s->info.tier = esgx_proto_tier_name(m.u.hello.tier);
    s->info.have_hello = 1;
    s->info.key_error[0] = 0;   /* a new enclave: its own KEY_STATUS will say */
    int init = s->init_pending;
    pthread_mutex_unlock(&s->mu);
    esgx_node_log(NODE_LOG_INFO, "enclave up: platform %s, state %s, tier %s", s->info.platform,
             m.u.hello.state == ESGX_STATE_READY ? "ready" : "no key",
             s->info.tier ? s->info.tier : "not said");
    if (!init) {
        /* a node joining a network gets the key from its peers in a moment: no advice then */
        int joining = (s->cfg->etcd && *s->cfg->etcd) || (s->cfg->peers && *s->cfg->peers);
        if (m.u.hello.state != ESGX_STATE_READY && joining)
            esgx_node_log(NODE_LOG_INFO, "enclave has no shared key yet: getting it from the "
                                    "network's nodes (invocations answer 503 no_key until then)");
        else if (m.u.hello.state != ESGX_STATE_READY)
            esgx_node_log(NODE_LOG_WARN, "enclave has no shared key: invocations answer 503 no_key "
                                    "(run esgxd --init on the first node)");
        return 0;
    }
    if (m.u.hello.state == ESGX_STATE_READY) return 0; /* already initialised */
    esgx_msg q;
    memset(&q, 0, sizeof q);
    q.type = ESGX_MSG_INIT_KEY;
    q.id = atomic_fetch_add(&s->next_id, 1);
    if (esgx_proto_send(fd, &q, &err)) {
        esgx_node_log(NODE_LOG_ERROR, "sending INIT_KEY: %s", err.msg);
        return ESGX_NODE_E_DOWN;
    }
    if (esgx_proto_read(rd, fd, &m, &err)) {
        esgx_node_log(NODE_LOG_ERROR, "waiting for KEY_STATUS: %s", err.msg);
        return ESGX_NODE_E_DOWN;
    }
    if (m.type != ESGX_MSG_KEY_STATUS || m.id != q.id) {
        esgx_node_log(NODE_LOG_ERROR, "enclave answered INIT_KEY with %s", esgx_proto_type_name(m.type));
        return ESGX_NODE_E_DOWN;
    }
    if (m.u.key_status.state != ESGX_STATE_READY) {
        esgx_node_log(NODE_LOG_ERROR, "INIT_KEY failed: %.*s", (int)m.u.key_status.error.len,
                 (const char *)m.u.key_status.error.ptr);
        return ESGX_NODE_E_FATAL;
    }
    pthread_mutex_lock(&s->mu);
    s->info.state = ESGX_STATE_READY;
    copy_str(s->info.xpub, sizeof s->info.xpub, m.u.key_status.xpub);
    memcpy(s->info.public_key, m.u.key_status.public_key, 33);
    s->init_pending = 0;
    pthread_mutex_unlock(&s->mu);
    esgx_node_log(NODE_LOG_INFO, "shared key created; network xpub %s", s->info.xpub);
    return 0;
}

/* Marks the channel up and reads it until it breaks, dispatching each message; why it
 * broke is logged unless the enclave closed it while stopping. */
static void read_channel(sup *s, esgx_proto_reader *rd, int fd)
{
    pthread_mutex_lock(&s->wmu);
    s->fd = fd;
    s->chan_up = 1;
    pthread_mutex_unlock(&s->wmu);
    pthread_mutex_lock(&s->mu);
    s->info.up = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    esgx_msg m;
    esgx_err err;
    int rc;
    while ((rc = esgx_proto_read(rd, fd, &m, &err)) == 0) {
        switch (m.type) {
        case ESGX_MSG_RESULT: on_result(s, &m); break;
        case ESGX_MSG_NEED_CONTENT: {   /* the job left its worker; it comes back */
            pthread_mutex_lock(&s->tmu);
            sup_req *q = table_find(s, m.id);
            if (q) model_left(s, q);
            pthread_mutex_unlock(&s->tmu);
            content_enqueue(s, m.id);
            break;
        }
        case ESGX_MSG_STATS_REPLY: on_stats(s, &m); break;
        case ESGX_MSG_ATTEST_DOC_REPLY: on_attest_doc(s, &m); break;
        case ESGX_MSG_MAC_REPLY: on_mac_reply(s, &m); break;
        case ESGX_MSG_KEY_STATUS: on_key_status(s, &m); break;
        case ESGX_MSG_COLLATERAL_REQ: on_collateral_req(s, &m); break;
        default:
            rc = esgx_err_set(&err, ESGX_PROTO_E_TYPE, "unexpected %s from the enclave",
                              esgx_proto_type_name(m.type));
            break;
        }
        if (rc) break;
    }
    pthread_mutex_lock(&s->mu);
    int stop = s->stopping;
    pthread_mutex_unlock(&s->mu);
    if (!(stop && rc == ESGX_PROTO_E_CLOSED))
        esgx_node_log(NODE_LOG_ERROR, "enclave channel lost: %s", err.msg);
    pthread_mutex_lock(&s->wmu);
    s->chan_up = 0;
    s->fd = -1;
    pthread_mutex_unlock(&s->wmu);
}

/* After the channel of child pid ended (hs: the handshake's result): marks the enclave
 * down, fails what was in flight, closes fd and reaps the child (SIGKILL unless it is
 * stopping gracefully). Returns ESGX_NODE_E_FATAL if the enclave refused its
 * configuration, ESGX_NODE_E_DOWN when stopping, else 0 (restart it). */
static int reap_enclave(sup *s, pid_t pid, int fd, int hs)
{
    pthread_mutex_lock(&s->mu);
    s->info.up = 0;
    int stop = s->stopping;
    if (hs != 0) s->failed_starts++;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    fail_all(s, ESGX_RC_ENCLAVE_RESTARTING, "the enclave process stopped; retry shortly");
    shutdown(fd, SHUT_RDWR);
    close(fd);
    if (!stop || hs != 0) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    pthread_mutex_lock(&s->mu);
    s->info.pid = 0;
    pthread_mutex_unlock(&s->mu);
    if (WIFEXITED(status))
        esgx_node_log(stop ? NODE_LOG_INFO : NODE_LOG_WARN, "enclave pid %d exited with status %d",
                 (int)pid, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        esgx_node_log(stop ? NODE_LOG_INFO : NODE_LOG_WARN, "enclave pid %d killed by signal %d",
                 (int)pid, WTERMSIG(status));
    if (hs == ESGX_NODE_E_FATAL || (WIFEXITED(status) && WEXITSTATUS(status) == EX_CONFIG)) {
        set_fatal(s, "the enclave refused its configuration (see its log above)");
        return ESGX_NODE_E_FATAL;
    }
    return stop ? ESGX_NODE_E_DOWN : ESGX_OK;
}

/* The supervisor thread: start the enclave, serve its channel, restart it with backoff
 * (100 ms doubling to 5 s, reset after 30 s of uptime) until stopping or fatal. */
static void *sup_main(void *arg)
{
    sup *s = arg;
    int backoff = 100;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        int stop = s->stopping, init = s->init_pending;
        pthread_mutex_unlock(&s->mu);
        if (stop) break;
        int fd = -1;
        pid_t pid = 0;
        if (spawn_enclave(s, init, &pid, &fd)) {
            pthread_mutex_lock(&s->mu);
            s->failed_starts++;
            pthread_cond_broadcast(&s->cond);
            pthread_mutex_unlock(&s->mu);
            backoff_sleep(s, backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        int64_t started = (int64_t)esgx_monotonic_ms();
        pthread_mutex_lock(&s->mu);
        s->info.pid = pid;
        pthread_mutex_unlock(&s->mu);
        esgx_node_log(NODE_LOG_INFO, "started enclave pid %d", (int)pid);
        esgx_proto_reader rd;
        esgx_proto_reader_init(&rd);
        int hs = handshake(s, &rd, fd);
        if (hs == 0) read_channel(s, &rd, fd);
        esgx_proto_reader_free(&rd);
        if (reap_enclave(s, pid, fd, hs)) break;
        esgx_metrics_enclave_restart(s->metrics);
        if ((int64_t)esgx_monotonic_ms() - started > 30000) backoff = 100;
        esgx_node_log(NODE_LOG_INFO, "restarting the enclave in %d ms", backoff);
        backoff_sleep(s, backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    pthread_mutex_lock(&s->mu);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---------------------------------------------------------------- public */

/* Initialises the locks and condition variables of a zeroed s. */
static int sup_init_sync(sup *s, esgx_err *err)
{
    int e = pthread_mutex_init(&s->mu, NULL);
    if (!e) e = pthread_mutex_init(&s->wmu, NULL);
    if (!e) e = pthread_mutex_init(&s->tmu, NULL);
    if (!e) e = pthread_mutex_init(&s->cmu, NULL);
    if (!e) e = pthread_cond_init(&s->ccond, NULL);
    if (!e) e = esgx_cond_init_monotonic(&s->cond);
    if (!e) e = esgx_cond_init_monotonic(&s->sync_cond);
    if (e) return esgx_err_set(err, ESGX_NODE_E_IO, "supervisor locks: %s", strerror(e));
    return ESGX_OK;
}

int esgx_sup_new(const node_config *cfg, content_store *content, metrics *m,
            const sup_hooks *hooks, sup **out, esgx_err *err)
{
    *out = NULL;
    sup *s = calloc(1, sizeof *s);
    if (!s) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the supervisor");
    s->cfg = cfg;
    s->content = content;
    s->metrics = m;
    if (hooks) s->hooks = *hooks;
    s->fd = -1;
    s->next_id = 1;
    s->init_pending = cfg->init;
    int rc = sup_init_sync(s, err);
    if (rc) {
        free(s);
        return rc;
    }
    if (pthread_create(&s->content_thread, NULL, content_main, s))
        rc = esgx_err_set(err, ESGX_NODE_E_IO, "cannot start the content thread");
    else
        s->content_started = 1;
    if (!rc && pthread_create(&s->sup_thread, NULL, sup_main, s))
        rc = esgx_err_set(err, ESGX_NODE_E_IO, "cannot start the supervisor thread");
    else if (!rc)
        s->sup_started = 1;
    if (rc) {
        esgx_sup_free(s);
        return rc;
    }
    *out = s;
    return ESGX_OK;
}

int esgx_sup_wait_ready(sup *s, int timeout_ms)
{
    struct timespec deadline = esgx_deadline_after_ms((uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
    int rc = ESGX_NODE_E_TIMEOUT, timed_out = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->info.up && !s->init_pending) {
            rc = ESGX_OK;
            break;
        }
        if (s->fatal) {
            rc = ESGX_NODE_E_FATAL;
            break;
        }
        if (s->stopping) {
            rc = ESGX_NODE_E_DOWN;
            break;
        }
        if (s->failed_starts && !s->init_pending) break; /* serve (503) while retrying */
        if (timed_out) break;
        timed_out = pthread_cond_timedwait(&s->cond, &s->mu, &deadline) == ETIMEDOUT;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void esgx_sup_get_info(sup *s, sup_info *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->info;
    pthread_mutex_unlock(&s->mu);
}

/* Enters r in the request table and sends m, under the write lock, unless max_exec
 * (0 = no bound) EXECs are already there (*full = 1, nothing sent). Returns 0,
 * ESGX_NODE_E_DOWN (channel not up: r not entered) or the send's error (r entered). */
static int send_tracked(sup *s, sup_req *r, const esgx_msg *m, size_t max_exec, int *full,
                        esgx_err *err)
{
    pthread_mutex_lock(&s->wmu);
    if (!s->chan_up) {
        pthread_mutex_unlock(&s->wmu);
        return ESGX_NODE_E_DOWN;
    }
    pthread_mutex_lock(&s->tmu);
    *full = max_exec && s->n_exec >= max_exec;
    if (!*full) table_insert(s, r);
    if (!*full && m->type == ESGX_MSG_EXEC) model_sent(s, r);
    pthread_mutex_unlock(&s->tmu);
    if (*full) {
        pthread_mutex_unlock(&s->wmu);
        return ESGX_OK;
    }
    int rc = esgx_proto_send(s->fd, m, err);
    pthread_mutex_unlock(&s->wmu);
    return rc;
}

int esgx_sup_exec(sup *s, sup_req *r)
{
    r->id = atomic_fetch_add(&s->next_id, 1);
    r->done = r->busy = r->content_sent = 0;
    r->q_state = 0;
    r->queue_us = r->run_us = 0;
    r->q_next = NULL;
    r->next = NULL;
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_EXEC;
    m.id = r->id;
    exec_msg_of(r, &m.u.exec);
    esgx_err err;
    int full = 0;
    /* the workers' jobs plus --max-queue waiting ones; more are refused at once */
    int rc = send_tracked(s, r, &m, (size_t)s->cfg->workers + s->cfg->max_queue, &full, &err);
    if (rc == ESGX_NODE_E_DOWN) return rc;
    if (full) {
        esgx_node_log(NODE_LOG_DEBUG, "invocation refused: %u running and %u waiting already",
                 s->cfg->workers, s->cfg->max_queue);
        finish_error(s, r, ESGX_RC_QUEUE_FULL,
                     "too many invocations are waiting for this node; retry shortly");
    } else if (rc) {
        esgx_node_log(NODE_LOG_DEBUG, "sending EXEC %llu: %s", (unsigned long long)r->id, err.msg);
        finish_error(s, r, ESGX_RC_ENCLAVE_RESTARTING, "the enclave channel failed; retry shortly");
    }
    return ESGX_OK;
}

int esgx_sup_send(sup *s, const esgx_msg *m)
{
    esgx_err err;
    int rc = ESGX_NODE_E_DOWN;
    pthread_mutex_lock(&s->wmu);
    if (s->chan_up) {
        if (esgx_proto_send(s->fd, m, &err) == 0) rc = 0;
        else esgx_node_log(NODE_LOG_WARN, "sending %s: %s", esgx_proto_type_name(m->type), err.msg);
    }
    pthread_mutex_unlock(&s->wmu);
    return rc;
}

/* Sends request m (type and payload set; its id is chosen here) and waits for its
 * reply (r->done). */
static int sync_request(sup *s, sup_req *r, esgx_msg *m, int timeout_ms)
{
    r->id = atomic_fetch_add(&s->next_id, 1);
    m->id = r->id;
    int full = 0;
    int sent = send_tracked(s, r, m, 0, &full, NULL);
    if (sent == ESGX_NODE_E_DOWN) return sent;
    struct timespec deadline = esgx_deadline_after_ms((uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
    pthread_mutex_lock(&s->tmu);
    while (!r->done && sent == 0)
        if (pthread_cond_timedwait(&s->sync_cond, &s->tmu, &deadline) == ETIMEDOUT) break;
    int rc = r->done && r->http_status == 200 ? ESGX_OK
             : sent || r->done               ? ESGX_NODE_E_DOWN
                                             : ESGX_NODE_E_TIMEOUT;
    if (!r->done) {
        table_remove(s, r);
        r->done = 1;
    }
    pthread_mutex_unlock(&s->tmu);
    free(r->body);
    r->body = NULL;
    return rc;
}

/* A request without payload. */
static esgx_msg empty_msg(uint8_t type)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    return m;
}

int esgx_sup_stats(sup *s, esgx_msg_stats_reply *out, int timeout_ms)
{
    sup_req r;
    memset(&r, 0, sizeof r);
    esgx_msg m = empty_msg(ESGX_MSG_STATS);
    int rc = sync_request(s, &r, &m, timeout_ms);
    if (rc) return rc;
    *out = r.stats;
    return ESGX_OK;
}

int esgx_sup_attest(sup *s, sup_attest_doc *out, int timeout_ms)
{
    sup_req r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    r.doc = out;
    esgx_msg m = empty_msg(ESGX_MSG_ATTEST_DOC);
    int rc = sync_request(s, &r, &m, timeout_ms);
    if (rc) {
        /* a reply racing the timeout may have stored a quote: nothing else frees it */
        free(out->quote);
        memset(out, 0, sizeof *out);
        return rc;
    }
    return ESGX_OK;
}

int esgx_sup_mac(sup *s, int kind, const uint8_t data[32], uint8_t out[32], esgx_err *err)
{
    if (kind != ESGX_MAC_TOKEN && kind != ESGX_MAC_CONTENT && kind != ESGX_MAC_HELD)
        return esgx_err_set(err, ESGX_NODE_E_ARG, "MAC kind %d is not 1, 2 or 3", kind);
    uint8_t mac[32] = {0};
    sup_req r;
    memset(&r, 0, sizeof r);
    r.mac = mac;
    esgx_msg m = empty_msg(ESGX_MSG_MAC_REQ);
    m.u.mac_req.kind = (uint8_t)kind;
    memcpy(m.u.mac_req.data, data, 32);
    int rc = sync_request(s, &r, &m, SUP_MAC_TIMEOUT_MS);
    if (rc == ESGX_NODE_E_TIMEOUT)
        return esgx_err_set(err, rc, "the enclave did not answer a MAC request within %d ms",
                            SUP_MAC_TIMEOUT_MS);
    if (rc == ESGX_OK && r.code[0])   /* answered: the enclave has no key yet */
        return esgx_err_set(err, ESGX_NODE_E_DOWN, "the enclave has no network key yet");
    if (rc) return esgx_err_set(err, rc, "the enclave is not running (restarting)");
    memcpy(out, mac, 32);
    return ESGX_OK;
}

void esgx_sup_stop(sup *s, int timeout_ms)
{
    if (!s || s->stopped) return;
    s->stopped = 1;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pid_t pid = s->info.pid;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&s->wmu);
    if (s->chan_up) {
        esgx_msg m;
        memset(&m, 0, sizeof m);
        m.type = ESGX_MSG_SHUTDOWN;
        m.id = atomic_fetch_add(&s->next_id, 1);
        esgx_err err;
        if (esgx_proto_send(s->fd, &m, &err))
            esgx_node_log(NODE_LOG_WARN, "sending SHUTDOWN: %s", err.msg);
    }
    pthread_mutex_unlock(&s->wmu);
    if (s->sup_started) {
        if (esgx_thread_join_ms(s->sup_thread, (uint64_t)(timeout_ms > 0 ? timeout_ms : 0))) {
            esgx_node_log(NODE_LOG_WARN, "enclave did not stop within %d ms; killing it", timeout_ms);
            if (pid > 0) kill(pid, SIGKILL);
            pthread_join(s->sup_thread, NULL);
        }
    }
    if (s->content_started) {
        pthread_mutex_lock(&s->cmu);
        s->cstop = 1;
        pthread_cond_signal(&s->ccond);
        pthread_mutex_unlock(&s->cmu);
        pthread_join(s->content_thread, NULL);
    }
    fail_all(s, ESGX_RC_SHUTTING_DOWN, "the node is shutting down");
}

void esgx_sup_free(sup *s)
{
    if (!s) return;
    esgx_sup_stop(s, 5000);
    free(s->cq);
    pthread_cond_destroy(&s->cond);
    pthread_cond_destroy(&s->sync_cond);
    pthread_cond_destroy(&s->ccond);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->wmu);
    pthread_mutex_destroy(&s->tmu);
    pthread_mutex_destroy(&s->cmu);
    free(s);
}
