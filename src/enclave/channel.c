/*
 * channel.c: the host channel of esgx-enclave (docs/channel.md): sending frames, the
 * job queue and in-flight table, the worker pool, HELLO and the frame loop.
 *
 * The main thread reads frames and dispatches them:
 *
 *   EXEC      exec_bridge.c copies it into a job (the reader's buffer is reused by the
 *             next read) and queues it here; ids still in flight are refused
 *             (duplicate_id)
 *   INIT_KEY  trust.c: creates and seals the shared key, replies KEY_STATUS
 *   STATS     exec_bridge.c: replies STATS_REPLY
 *   ATTEST_DOC trust.c: replies ATTEST_DOC_REPLY (quote over SHA-256(xpub), cached)
 *   MAC_REQ   trust.c: replies MAC_REPLY (a token or content MAC under k_admin)
 *   COLLATERAL_REPLY  collateral_wait.c: hands it to the peer thread waiting for it
 *   SHUTDOWN  or EOF: stop reading (the caller then lets the workers finish every
 *             queued job), exit 0
 *
 * Workers pop jobs and hand them to exec_bridge.c, which runs them and sends
 * NEED_CONTENT or RESULT. With --queue-timeout-ms or --max-exec-ms a watchdog thread
 * looks every 50 ms: a job that waited too long for a worker is answered
 * not_ready/queue_timeout (a worker popping one does the same), and a job running too
 * long is answered internal/exec_timeout, unsigned, and the process exits 1 (no thread
 * running guest code can be stopped; the host restarts us and fails what was in flight). Sends from all threads are serialised by chan.send_lock so
 * frames never interleave. An id leaves the in-flight table before its reply is sent,
 * so the host may reuse it (NEED_CONTENT resend) at once. Secrets never leave this
 * process: HELLO/KEY_STATUS carry only the xpub and the public key, MAC_REPLY a MAC.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enclave.h"

#define WORKER_STACK (8u << 20)

int enclave_channel_init(enclave *E)
{
    enclave_channel *C = &E->chan;
    C->fd = E->opt.channel_fd;
    if (pthread_mutex_init(&C->send_lock, NULL) || pthread_mutex_init(&C->lock, NULL) ||
        pthread_cond_init(&C->cond, NULL) || esgx_cond_init_monotonic(&C->wd_cond))
        return ESGX_ENCLAVE_E_THREAD;
    return 0;
}

int enclave_send(enclave *E, const esgx_msg *m)
{
    esgx_err err;
    pthread_mutex_lock(&E->chan.send_lock);
    int rc = esgx_proto_send(E->chan.fd, m, &err);
    pthread_mutex_unlock(&E->chan.send_lock);
    if (rc != 0)
        enclave_log(E, LOG_WARN, "cannot send %s: %s", esgx_proto_type_name(m->type), err.msg);
    return rc;
}

esgx_bytes enclave_str_bytes(const char *s)
{
    esgx_bytes b = {(const uint8_t *)s, s ? strlen(s) : 0};
    return b;
}

/* ---------------------------------------------------------------- in flight */

/* Looks up and optionally unlinks id in the in-flight table (chan.lock held). */
static enclave_job *inflight_find(enclave_channel *C, uint64_t id, int unlink_it)
{
    enclave_job **pp = &C->inflight[id % ENCLAVE_INFLIGHT_BUCKETS];
    while (*pp && (*pp)->id != id) pp = &(*pp)->next_inflight;
    enclave_job *j = *pp;
    if (j && unlink_it) {
        *pp = j->next_inflight;
        j->next_inflight = NULL;
    }
    return j;
}

int enclave_inflight_has(enclave *E, uint64_t id)
{
    pthread_mutex_lock(&E->chan.lock);
    int has = inflight_find(&E->chan, id, 0) != NULL;
    pthread_mutex_unlock(&E->chan.lock);
    return has;
}

void enclave_inflight_remove(enclave *E, uint64_t id)
{
    pthread_mutex_lock(&E->chan.lock);
    inflight_find(&E->chan, id, 1);
    pthread_mutex_unlock(&E->chan.lock);
}

void enclave_enqueue(enclave *E, enclave_job *j)
{
    enclave_channel *C = &E->chan;
    pthread_mutex_lock(&C->lock);
    enclave_job **bucket = &C->inflight[j->id % ENCLAVE_INFLIGHT_BUCKETS];
    j->next_inflight = *bucket;
    *bucket = j;
    j->next = NULL;
    j->queued_ms = esgx_monotonic_ms();
    if (C->tail) C->tail->next = j;
    else C->head = j;
    C->tail = j;
    pthread_cond_signal(&C->cond);
    pthread_mutex_unlock(&C->lock);
}

/* ---------------------------------------------------------------- workers */

/* 1 if j waited longer than --queue-timeout-ms by now. */
static int queue_expired(const enclave *E, const enclave_job *j, uint64_t now)
{
    uint64_t limit = E->opt.queue_timeout_ms;
    return limit && now - j->queued_ms > limit;
}

static void refuse_queue_timeout(enclave *E, enclave_job *j)
{
    char msg[128];
    snprintf(msg, sizeof msg, "the request waited over %" PRIu64 " ms for a worker; retry later",
             E->opt.queue_timeout_ms);
    enclave_exec_job_refuse(E, j, ESGX_RC_QUEUE_TIMEOUT, msg);
}

static void *worker_main(void *arg)
{
    enclave *E = arg;
    enclave_channel *C = &E->chan;
    pthread_mutex_lock(&C->lock);
    unsigned slot = C->next_slot++;
    pthread_mutex_unlock(&C->lock);
    for (;;) {
        pthread_mutex_lock(&C->lock);
        while (!C->head && !C->stopping) pthread_cond_wait(&C->cond, &C->lock);
        enclave_job *j = C->head;
        if (!j) {
            pthread_mutex_unlock(&C->lock);
            break;
        }
        C->head = j->next;
        if (!C->head) C->tail = NULL;
        uint64_t now = esgx_monotonic_ms();
        int expired = queue_expired(E, j, now);
        if (expired) {
            inflight_find(C, j->id, 1);
        } else {
            C->run_id[slot] = j->id;
            C->run_start_ms[slot] = now;
        }
        pthread_mutex_unlock(&C->lock);
        if (expired) {
            refuse_queue_timeout(E, j);
            continue;
        }
        enclave_exec_job_run(E, j);
        pthread_mutex_lock(&C->lock);
        C->run_id[slot] = 0;
        pthread_mutex_unlock(&C->lock);
    }
    return NULL;
}

/* One watchdog round (C->lock held): unlinks the queued jobs that waited too long into
 * *expired (chained by next, out of flight too) and returns the id of a job running
 * longer than --max-exec-ms, or 0. */
static uint64_t watchdog_scan(enclave *E, uint64_t now, enclave_job **expired)
{
    enclave_channel *C = &E->chan;
    enclave_job *prev = NULL, *j = C->head;
    while (j) {
        enclave_job *next = j->next;
        if (queue_expired(E, j, now)) {
            if (prev) prev->next = next;
            else C->head = next;
            if (C->tail == j) C->tail = prev;
            inflight_find(C, j->id, 1);
            j->next = *expired;
            *expired = j;
        } else {
            prev = j;
        }
        j = next;
    }
    for (unsigned i = 0; E->opt.max_exec_ms && i < C->nthreads; i++)
        if (C->run_id[i] && now - C->run_start_ms[i] > E->opt.max_exec_ms) return C->run_id[i];
    return 0;
}

/* Answers the runaway job exec_timeout (unsigned) and ends the process: a thread
 * running guest code cannot be stopped, and the host restarts the enclave. */
static void watchdog_fire(enclave *E, uint64_t id)
{
    char msg[128];
    snprintf(msg, sizeof msg, "the invocation ran over %" PRIu64 " ms and was stopped",
             E->opt.max_exec_ms);
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_RESULT;
    m.id = id;
    const esgx_result_code_info *o = esgx_proto_result_code(ESGX_RC_EXEC_TIMEOUT);
    m.u.result.status = (uint8_t)o->status;
    m.u.result.code = enclave_str_bytes(o->code);
    m.u.result.message = enclave_str_bytes(msg);
    (void)enclave_send(E, &m);   /* a failure is logged; the host sees the EOF anyway */
    enclave_log(E, LOG_ERROR, "request %" PRIu64 " ran over %" PRIu64 " ms; exiting to stop it",
                id, E->opt.max_exec_ms);
    _exit(ENCLAVE_EXIT_FAILURE);
}

/* The watchdog: every 50 ms, expires queued jobs and stops a runaway one. */
static void *watchdog_main(void *arg)
{
    enclave *E = arg;
    enclave_channel *C = &E->chan;
    pthread_mutex_lock(&C->lock);
    while (!C->wd_stop) {
        struct timespec dl = esgx_deadline_after_ms(50);
        pthread_cond_timedwait(&C->wd_cond, &C->lock, &dl);
        enclave_job *expired = NULL;
        uint64_t runaway = watchdog_scan(E, esgx_monotonic_ms(), &expired);
        pthread_mutex_unlock(&C->lock);
        while (expired) {
            enclave_job *next = expired->next;
            refuse_queue_timeout(E, expired);
            expired = next;
        }
        if (runaway) watchdog_fire(E, runaway);
        pthread_mutex_lock(&C->lock);
    }
    pthread_mutex_unlock(&C->lock);
    return NULL;
}

int enclave_workers_start(enclave *E)
{
    enclave_channel *C = &E->chan;
    unsigned n = E->opt.workers;
    C->threads = calloc(n, sizeof *C->threads);
    C->run_id = calloc(n, sizeof *C->run_id);
    C->run_start_ms = calloc(n, sizeof *C->run_start_ms);
    if (!C->threads || !C->run_id || !C->run_start_ms) {
        enclave_log(E, LOG_ERROR, "cannot start worker threads: out of memory");
        return ENCLAVE_EXIT_FAILURE;
    }
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) {
        enclave_log(E, LOG_ERROR, "cannot start worker threads");
        return ENCLAVE_EXIT_FAILURE;
    }
    int rc = pthread_attr_setstacksize(&attr, WORKER_STACK);
    for (unsigned i = 0; rc == 0 && i < n; i++) {
        if (pthread_create(&C->threads[i], &attr, worker_main, E) != 0) {
            enclave_log(E, LOG_ERROR, "cannot start worker thread %u", i);
            rc = ENCLAVE_EXIT_FAILURE;
            break;
        }
        C->nthreads++;
    }
    pthread_attr_destroy(&attr);
    if (rc == 0 && (E->opt.queue_timeout_ms || E->opt.max_exec_ms)) {
        if (pthread_create(&C->watchdog, NULL, watchdog_main, E) != 0) {
            enclave_log(E, LOG_ERROR, "cannot start the watchdog thread");
            rc = ENCLAVE_EXIT_FAILURE;
        } else {
            C->watchdog_started = 1;
        }
    }
    return rc == 0 ? 0 : ENCLAVE_EXIT_FAILURE;
}

void enclave_workers_stop(enclave *E)
{
    enclave_channel *C = &E->chan;
    pthread_mutex_lock(&C->lock);
    C->stopping = 1;
    pthread_cond_broadcast(&C->cond);
    pthread_mutex_unlock(&C->lock);
    for (unsigned i = 0; i < C->nthreads; i++) pthread_join(C->threads[i], NULL);
    if (C->watchdog_started) {   /* after the workers: it bounds their last jobs too */
        pthread_mutex_lock(&C->lock);
        C->wd_stop = 1;
        pthread_cond_signal(&C->wd_cond);
        pthread_mutex_unlock(&C->lock);
        pthread_join(C->watchdog, NULL);
        C->watchdog_started = 0;
    }
    C->nthreads = 0;   /* only now: the watchdog reads it (under the lock) until joined */
    free(C->threads);
    free(C->run_id);
    free(C->run_start_ms);
    C->threads = NULL;
    C->run_id = C->run_start_ms = NULL;
}

/* ---------------------------------------------------------------- frames */

int enclave_send_hello(enclave *E)
{
    const esgx_platform *plat = E->trust.plat;
    const esgx_keystore *ks = &E->trust.ks;
    esgx_msg hello;
    memset(&hello, 0, sizeof hello);
    hello.type = ESGX_MSG_HELLO;
    hello.u.hello.state = ks->ready ? ESGX_STATE_READY : ESGX_STATE_NO_KEY;
    hello.u.hello.platform = enclave_str_bytes(plat->name);
    memcpy(hello.u.hello.mrenclave, plat->mrenclave, 32);
    memcpy(hello.u.hello.mrsigner, plat->mrsigner, 32);
    if (ks->ready) {
        hello.u.hello.xpub = enclave_str_bytes(ks->xpub);
        memcpy(hello.u.hello.public_key, ks->public_key, 33);
    }
    hello.u.hello.tier = (uint8_t)E->chan.tier;   /* what /health and /metrics report */
    return enclave_send(E, &hello) == 0 ? 0 : ENCLAVE_EXIT_FAILURE;
}

typedef enum { FRAME_GO_ON, FRAME_STOP, FRAME_UNEXPECTED } frame_outcome;

/* Handles one frame: go on reading, stop (exit 0), or an unexpected message (exit 1). */
static frame_outcome dispatch(enclave *E, const esgx_msg *m)
{
    switch (m->type) {
    case ESGX_MSG_EXEC:
        enclave_exec_submit(E, m);
        return FRAME_GO_ON;
    case ESGX_MSG_INIT_KEY:
        enclave_handle_init_key(E, m->id);
        return FRAME_GO_ON;
    case ESGX_MSG_ATTEST_DOC:
        enclave_handle_attest_doc(E, m->id);
        return FRAME_GO_ON;
    case ESGX_MSG_MAC_REQ:
        enclave_handle_mac_req(E, m);
        return FRAME_GO_ON;
    case ESGX_MSG_COLLATERAL_REPLY:
        enclave_handle_collateral_reply(E, m);
        return FRAME_GO_ON;
    case ESGX_MSG_STATS:
        enclave_exec_stats(E, m->id);
        return FRAME_GO_ON;
    case ESGX_MSG_SHUTDOWN:
        enclave_log(E, LOG_INFO, "shutdown requested; finishing in-flight work");
        return FRAME_STOP;
    default:
        enclave_log(E, LOG_ERROR, "unexpected %s message from the host",
                    esgx_proto_type_name(m->type));
        return FRAME_UNEXPECTED;
    }
}

int enclave_channel_run(enclave *E)
{
    esgx_proto_reader reader;
    esgx_proto_reader_init(&reader);
    int exit_code = 0;
    for (;;) {
        esgx_msg m;
        esgx_err err;
        int rc = esgx_proto_read(&reader, E->chan.fd, &m, &err);
        if (rc == ESGX_PROTO_E_CLOSED) {
            enclave_log(E, LOG_INFO, "channel closed by the host; finishing");
            break;
        }
        if (rc != 0) {
            enclave_log(E, LOG_ERROR, "channel: %s", err.msg);
            exit_code = ENCLAVE_EXIT_FAILURE;
            break;
        }
        frame_outcome out = dispatch(E, &m);
        if (out == FRAME_UNEXPECTED) exit_code = ENCLAVE_EXIT_FAILURE;
        if (out != FRAME_GO_ON) break;
    }
    esgx_proto_reader_free(&reader);
    return exit_code;
}
