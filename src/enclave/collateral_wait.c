/*
 * collateral_wait.c: collateral from the host for verifying peers on gramine-sgx
 * (--collateral-from-host, esgxd --pccs; docs/channel.md, COLLATERAL_REQ).
 *
 * The RA-TLS verifier's collateral provider (enclave_host_collateral) runs on a peer
 * thread in the middle of a TLS handshake: it registers a wait with a fresh id, sends
 * COLLATERAL_REQ (FMSPC, PCE-ID, PCK CA of the peer's PCK certificate) and waits at most
 * ENCLAVE_COLLATERAL_WAIT_MS (on CLOCK_MONOTONIC) for the COLLATERAL_REPLY that the
 * channel thread delivers by id (enclave_handle_collateral_reply). When the channel
 * closes every waiter fails at once. The host is not trusted with the collateral: it is
 * verified against Intel's signatures and the trusted roots like any other.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enclave.h"

int enclave_collateral_init(enclave *E)
{
    enclave_collateral *K = &E->coll;
    K->next_id = 1;
    if (pthread_mutex_init(&K->mu, NULL) || esgx_cond_init_monotonic(&K->cond))
        return ESGX_ENCLAVE_E_THREAD;
    return 0;
}

void enclave_handle_collateral_reply(enclave *E, const esgx_msg *m)
{
    enclave_collateral *K = &E->coll;
    const esgx_msg_collateral_reply *r = &m->u.collateral_reply;
    pthread_mutex_lock(&K->mu);
    enclave_coll_wait *w = K->waiting;
    while (w && w->id != m->id) w = w->next;
    if (!w) {
        pthread_mutex_unlock(&K->mu);
        enclave_log(E, LOG_DEBUG, "COLLATERAL_REPLY %" PRIu64 " for no waiting request", m->id);
        return;
    }
    if (r->status == ESGX_COLLATERAL_OK) {
        if ((w->json = malloc(r->collateral.len + 1))) {
            memcpy(w->json, r->collateral.ptr, r->collateral.len);
            w->json[r->collateral.len] = 0;
            w->len = r->collateral.len;
        } else {
            snprintf(w->error, sizeof w->error, "out of memory");
        }
    } else {
        snprintf(w->error, sizeof w->error, "%.*s", (int)r->error.len,
                 (const char *)r->error.ptr);
    }
    w->done = 1;
    pthread_cond_broadcast(&K->cond);
    pthread_mutex_unlock(&K->mu);
}

void enclave_collateral_closed(enclave *E)
{
    enclave_collateral *K = &E->coll;
    pthread_mutex_lock(&K->mu);
    K->closed = 1;
    pthread_cond_broadcast(&K->cond);
    pthread_mutex_unlock(&K->mu);
}

/* Sends the COLLATERAL_REQ of w. Returns 1 if it was sent. */
static int send_request(enclave *E, const enclave_coll_wait *w, const esgx_attest_pck_ids *ids)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_COLLATERAL_REQ;
    m.id = w->id;
    memcpy(m.u.collateral_req.fmspc, ids->fmspc, 6);
    memcpy(m.u.collateral_req.pce_id, ids->pce_id, 2);
    m.u.collateral_req.ca = (uint8_t)ids->ca;
    return enclave_send(E, &m) == 0;
}

int enclave_host_collateral(const esgx_attest_pck_ids *ids, char **json, size_t *len,
                            void *arg, esgx_err *err)
{
    enclave *E = arg;
    enclave_collateral *K = &E->coll;
    enclave_coll_wait w;
    memset(&w, 0, sizeof w);
    pthread_mutex_lock(&K->mu);
    if (K->closed) {
        pthread_mutex_unlock(&K->mu);
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "host channel closed");
    }
    w.id = K->next_id++;
    w.next = K->waiting;
    K->waiting = &w;
    pthread_mutex_unlock(&K->mu);

    int sent = send_request(E, &w, ids);

    struct timespec dl = esgx_deadline_after_ms(ENCLAVE_COLLATERAL_WAIT_MS);
    pthread_mutex_lock(&K->mu);
    int timed_out = 0;
    while (sent && !w.done && !K->closed && !timed_out)
        timed_out = pthread_cond_timedwait(&K->cond, &K->mu, &dl) == ETIMEDOUT;
    for (enclave_coll_wait **pp = &K->waiting; *pp; pp = &(*pp)->next)
        if (*pp == &w) {
            *pp = w.next;
            break;
        }
    int closed = K->closed;
    pthread_mutex_unlock(&K->mu);
    if (w.json) {
        *json = w.json;
        *len = w.len;
        return 0;
    }
    if (!sent) return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "cannot ask the host");
    if (!w.done && closed)
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "the host channel closed");
    if (!w.done)
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL,
                            "the host did not answer within %d s",
                            ENCLAVE_COLLATERAL_WAIT_MS / 1000);
    return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "host: %s", w.error);
}
