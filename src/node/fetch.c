/*
 * fetch.c: the fetch pool (network.h esgx_net_fetch_async): content this node lacks is
 * fetched by NET_FETCH_WORKERS threads, and nothing else ever waits on a peer or an
 * origin for it.
 *
 * A request names a hash and a callback. The hash must be authorised here
 * (esgx_net_content_wanted, checked at once so random hashes cost no queue slot), then
 * it joins the job of that hash when one is queued or in flight (one transfer per
 * hash, however many ask), else becomes a new job at the tail of a FIFO bounded to
 * NET_FETCH_QUEUE jobs (one more is refused: the asker answers at once instead of
 * waiting behind a backlog). A worker takes the oldest job not yet running and runs it
 * (replicate.c esgx_net_fetch_run: every source bounded by fetch_timeout_ms and the
 * minimum rate, the whole by the job's deadline, fixed when the job was made), then
 * unlinks it and calls every waiter's callback outside the lock. A dripping source
 * therefore holds one worker for NET_FETCH_RATE_WINDOW_MS, never a request thread.
 *
 * Stop (esgx_net_fetch_stop, before the HTTP server and the supervisor go): no new
 * request is accepted, the transfers in flight are aborted (the pool's stop flag is the
 * one libcurl's progress callback reads), the workers are joined, and the jobs still
 * queued are answered ESGX_NODE_E_DOWN, so every accepted request is called back once.
 *
 * Locks: the pool's mutex guards the job list and is never held while calling out
 * (into the network's view, the store or a callback).
 */
#include "network_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_crypto.h"

typedef struct fetch_waiter {
    esgx_net_fetch_done done;
    void *arg;
    struct fetch_waiter *next;
} fetch_waiter;

typedef struct fetch_job {
    uint8_t hash[32];
    uint64_t deadline_ms;          /* monotonic: the fetch ends by then */
    int running;
    fetch_waiter *waiters;
    struct fetch_job *next;        /* FIFO, oldest first */
} fetch_job;

struct net_fetch_pool {
    pthread_mutex_t mu;
    pthread_cond_t cond;           /* a job was queued, or stopping */
    fetch_job *head, *tail;
    size_t n_jobs;                 /* queued + running */
    int stopping;
    _Atomic int abort;             /* read by the transfers in flight */
    pthread_t workers[NET_FETCH_WORKERS];
    int n_workers;
};

/* Calls back every waiter of j with rc/err and frees j (no lock held). */
static void job_finish(fetch_job *j, int rc, const esgx_err *err)
{
    fetch_waiter *w = j->waiters;
    while (w) {
        fetch_waiter *nx = w->next;
        w->done(w->arg, j->hash, rc, err);
        free(w);
        w = nx;
    }
    free(j);
}

static void job_unlink(net_fetch_pool *p, fetch_job *j)
{
    fetch_job **q = &p->head, *prev = NULL;
    while (*q != j) {
        prev = *q;
        q = &(*q)->next;
    }
    *q = j->next;
    if (p->tail == j) p->tail = prev;
    p->n_jobs--;
}

static void *worker_main(void *arg)
{
    esgx_net *n = arg;
    net_fetch_pool *p = n->fetch;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        fetch_job *j = NULL;
        while (!p->stopping) {
            for (j = p->head; j && j->running; j = j->next) {}
            if (j) break;
            pthread_cond_wait(&p->cond, &p->mu);
        }
        if (p->stopping) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        j->running = 1;
        pthread_mutex_unlock(&p->mu);

        esgx_err e;
        esgx_err_clear(&e);
        int rc;
        if (esgx_monotonic_ms() >= j->deadline_ms) {
            char hex[65];
            esgx_crypto_hex_encode(j->hash, 32, hex);
            rc = esgx_err_set(&e, ESGX_NODE_E_TIMEOUT, "fetch of %s: waited past its deadline "
                              "for a free fetch worker", hex);
        } else {
            rc = esgx_net_fetch_run(n, j->hash, j->deadline_ms, &p->abort, &e);
        }
        pthread_mutex_lock(&p->mu);
        job_unlink(p, j);
        pthread_mutex_unlock(&p->mu);
        job_finish(j, rc, &e);
    }
}

int esgx_net_fetch_pool_start(esgx_net *n, esgx_err *err)
{
    net_fetch_pool *p = calloc(1, sizeof *p);
    if (!p) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    if (pthread_mutex_init(&p->mu, NULL)) {
        free(p);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "fetch pool: cannot make a lock");
    }
    if (pthread_cond_init(&p->cond, NULL)) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "fetch pool: cannot make a condition");
    }
    n->fetch = p;
    for (int i = 0; i < NET_FETCH_WORKERS; i++)
        if (pthread_create(&p->workers[p->n_workers], NULL, worker_main, n) == 0) p->n_workers++;
    if (p->n_workers == 0) {
        esgx_net_fetch_pool_free(n);
        return esgx_err_set(err, ESGX_NODE_E_IO, "fetch pool: cannot start its threads");
    }
    return ESGX_OK;
}

void esgx_net_fetch_stop(esgx_net *n)
{
    net_fetch_pool *p = n ? n->fetch : NULL;
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    int joined = p->stopping && !p->n_workers;
    p->stopping = 1;
    atomic_store(&p->abort, 1);
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    if (joined) return;
    for (int i = 0; i < p->n_workers; i++) pthread_join(p->workers[i], NULL);
    pthread_mutex_lock(&p->mu);
    p->n_workers = 0;
    fetch_job *j = p->head;
    p->head = p->tail = NULL;
    p->n_jobs = 0;
    pthread_mutex_unlock(&p->mu);
    esgx_err e;
    esgx_err_set(&e, ESGX_NODE_E_DOWN, "the node is stopping; content not fetched");
    while (j) {
        fetch_job *nx = j->next;
        job_finish(j, ESGX_NODE_E_DOWN, &e);
        j = nx;
    }
}

void esgx_net_fetch_pool_free(esgx_net *n)
{
    net_fetch_pool *p = n->fetch;
    if (!p) return;
    esgx_net_fetch_stop(n);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->mu);
    free(p);
    n->fetch = NULL;
}

int esgx_net_fetch_async(esgx_net *n, const uint8_t hash[32], esgx_net_fetch_done done,
                         void *arg, esgx_err *err)
{
    net_fetch_pool *p = n->fetch;
    /* refused before any slot is taken; a stale holder record of this node is still
     * dropped by a job (esgx_net_fetch_run) even when the hash is not authorised */
    if (!n->store.has(n->store.arg, hash) && !esgx_net_holds_self(n, hash)) {
        int rc = esgx_net_content_wanted(n, hash, err);
        if (rc) return rc;
    }
    fetch_waiter *w = malloc(sizeof *w);
    fetch_job *fresh = calloc(1, sizeof *fresh);
    if (!w || !fresh) {
        free(w);
        free(fresh);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    }
    w->done = done;
    w->arg = arg;
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        free(w);
        free(fresh);
        return esgx_err_set(err, ESGX_NODE_E_DOWN, "the node is stopping; content not fetched");
    }
    fetch_job *j = p->head;
    while (j && memcmp(j->hash, hash, 32)) j = j->next;
    if (!j && p->n_jobs >= NET_FETCH_QUEUE) {
        pthread_mutex_unlock(&p->mu);
        free(w);
        free(fresh);
        return esgx_err_set(err, ESGX_NODE_E_FETCH, "%d fetches are queued or in flight "
                            "already; retry shortly", NET_FETCH_QUEUE);
    }
    if (!j) {
        j = fresh;
        fresh = NULL;
        memcpy(j->hash, hash, 32);
        j->deadline_ms = esgx_monotonic_ms() +
                         (uint64_t)NET_FETCH_DEADLINE_FACTOR * n->cfg.fetch_timeout_ms;
        if (p->tail) p->tail->next = j;
        else p->head = j;
        p->tail = j;
        p->n_jobs++;
        pthread_cond_signal(&p->cond);
    }
    w->next = j->waiters;
    j->waiters = w;
    pthread_mutex_unlock(&p->mu);
    free(fresh);
    return ESGX_OK;
}

/* ---------------------------------------------------------------- waiting for one */

typedef struct fetch_wait {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int done, rc;
    esgx_err err;
} fetch_wait;

static void wait_done(void *arg, const uint8_t hash[32], int rc, const esgx_err *err)
{
    (void)hash;
    fetch_wait *fw = arg;
    pthread_mutex_lock(&fw->mu);
    fw->rc = rc;
    if (rc && err) fw->err = *err;
    fw->done = 1;
    pthread_cond_signal(&fw->cond);
    pthread_mutex_unlock(&fw->mu);
}

int esgx_net_fetch(esgx_net *n, const uint8_t hash[32], esgx_err *err)
{
    fetch_wait fw = {.done = 0};
    esgx_err_clear(&fw.err);
    if (pthread_mutex_init(&fw.mu, NULL))
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "cannot make a lock");
    if (pthread_cond_init(&fw.cond, NULL)) {
        pthread_mutex_destroy(&fw.mu);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "cannot make a condition");
    }
    int rc = esgx_net_fetch_async(n, hash, wait_done, &fw, err);
    if (rc == ESGX_OK) {
        /* bounded: the job ends by its deadline, or at stop */
        pthread_mutex_lock(&fw.mu);
        while (!fw.done) pthread_cond_wait(&fw.cond, &fw.mu);
        pthread_mutex_unlock(&fw.mu);
        rc = fw.rc;
        if (rc && err) *err = fw.err;
    }
    pthread_cond_destroy(&fw.cond);
    pthread_mutex_destroy(&fw.mu);
    return rc;
}
