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
 *   COLLATERAL_REPLY  collateral_wait.c: hands it to the peer thread waiting for it
 *   SHUTDOWN  or EOF: stop reading (the caller then lets the workers finish every
 *             queued job), exit 0
 *
 * Workers pop jobs and hand them to exec_bridge.c, which runs them and sends
 * NEED_CONTENT or RESULT. Sends from all threads are serialised by chan.send_lock so
 * frames never interleave. An id leaves the in-flight table before its reply is sent,
 * so the host may reuse it (NEED_CONTENT resend) at once. Secrets never leave this
 * process: HELLO/KEY_STATUS carry only the xpub and the public key.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "enclave.h"

#define WORKER_STACK (8u << 20)

int enclave_channel_init(enclave *E)
{
    enclave_channel *C = &E->chan;
    C->fd = E->opt.channel_fd;
    if (pthread_mutex_init(&C->send_lock, NULL) || pthread_mutex_init(&C->lock, NULL) ||
        pthread_cond_init(&C->cond, NULL))
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
    if (C->tail) C->tail->next = j;
    else C->head = j;
    C->tail = j;
    pthread_cond_signal(&C->cond);
    pthread_mutex_unlock(&C->lock);
}

/* ---------------------------------------------------------------- workers */

static void *worker_main(void *arg)
{
    enclave *E = arg;
    enclave_channel *C = &E->chan;
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
        pthread_mutex_unlock(&C->lock);
        enclave_exec_job_run(E, j);
    }
    return NULL;
}

int enclave_workers_start(enclave *E)
{
    enclave_channel *C = &E->chan;
    unsigned n = E->opt.workers;
    if (!(C->threads = calloc(n, sizeof *C->threads))) {
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
    C->nthreads = 0;
    free(C->threads);
    C->threads = NULL;
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
