/*
 * collateral_service.c: the node's DCAP collateral with --pccs (docs/operations.md): answers the
 * enclave's COLLATERAL_REQ and gives /attestation the collateral for the node's quote.
 *
 * Design: one pccs client (collateral_pccs.c; cache under DATA_DIR/collateral) and one worker
 * thread. The channel reader (supervisor.c) only copies a COLLATERAL_REQ into a small
 * queue (esgx_collat_request) and goes back to reading, because answering may block on the
 * network for up to the PCCS timeouts; the worker takes requests in order, asks the
 * client (cached copy, fetch, or stale copy) and sends COLLATERAL_REPLY with the
 * request's id through esgx_sup_send. Without --pccs every request is answered at once with
 * the error "no PCCS configured". The queue is bounded (QUEUE_MAX): a request beyond it
 * is answered at once with an error, so a misbehaving enclave cannot grow host memory.
 * Client, queue and thread live in the collat object; the supervisor it replies through
 * is attached after both exist (esgx_collat_attach), since each refers to the other.
 */
#define _GNU_SOURCE
#include "collateral_service.h"
#include "node_log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_attest.h"
#include "collateral_pccs.h"

#define QUEUE_MAX 64

typedef struct creq {
    uint64_t id;
    esgx_msg_collateral_req rq;
} creq;

struct collat {
    const node_config *cfg;
    pccs *pccs;
    sup *sup;                      /* replies go through it; NULL until esgx_collat_attach */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    creq queue[QUEUE_MAX];
    size_t head, len;
    int stop;
    int started;
    pthread_t thread;
};

static void pccs_log(int level, const char *msg)
{
    esgx_node_log(level, "%s", msg);
}

/* Sends the reply for id: the collateral, or the error text. */
static void reply(collat *c, uint64_t id, const char *json, size_t len, const char *error)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_COLLATERAL_REPLY;
    m.id = id;
    esgx_msg_collateral_reply *r = &m.u.collateral_reply;
    if (json && len <= ESGX_PROTO_MAX_COLLATERAL) {
        r->status = ESGX_COLLATERAL_OK;
        r->collateral = (esgx_bytes){(const uint8_t *)json, len};
    } else {
        r->status = ESGX_COLLATERAL_ERROR;
        if (!error || !*error) error = "collateral too large for the channel";
        size_t el = strlen(error);
        r->error = (esgx_bytes){(const uint8_t *)error,
                                el < ESGX_PROTO_MAX_MESSAGE ? el : ESGX_PROTO_MAX_MESSAGE};
    }
    pthread_mutex_lock(&c->mu);
    sup *s = c->sup;
    pthread_mutex_unlock(&c->mu);
    if (!s || esgx_sup_send(s, &m))
        esgx_node_log(NODE_LOG_DEBUG, "COLLATERAL_REPLY %llu not sent (enclave gone)",
                 (unsigned long long)id);
}

static void serve(collat *c, const creq *q)
{
    char hex[13];
    for (int i = 0; i < 6; i++) snprintf(hex + 2 * i, 3, "%02x", q->rq.fmspc[i]);
    const char *ca = esgx_attest_pck_ca_name(q->rq.ca);
    if (!c->pccs) {
        reply(c, q->id, NULL, 0, "no PCCS configured (start esgxd with --pccs URL)");
        return;
    }
    char *json = NULL;
    size_t len = 0;
    int stale = 0;
    esgx_err err;
    if (esgx_pccs_get(c->pccs, q->rq.fmspc, q->rq.ca, &json, &len, &stale, &err)) {
        esgx_node_log(NODE_LOG_WARN, "collateral for FMSPC %s CA %s: %s", hex, ca, err.msg);
        char msg[ESGX_ERR_MSG_MAX + 64];
        snprintf(msg, sizeof msg, "PCCS: %s", err.msg);
        reply(c, q->id, NULL, 0, msg);
        return;
    }
    esgx_node_log(NODE_LOG_DEBUG, "collateral for FMSPC %s CA %s to the enclave (%zu bytes%s)", hex,
             ca, len, stale ? ", stale" : "");
    reply(c, q->id, json, len, NULL);
    free(json);
}

static void *worker(void *arg)
{
    collat *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        while ((!c->len || !c->sup) && !c->stop) pthread_cond_wait(&c->cond, &c->mu);
        if (c->stop) {
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        creq q = c->queue[c->head];
        c->head = (c->head + 1) % QUEUE_MAX;
        c->len--;
        pthread_mutex_unlock(&c->mu);
        serve(c, &q);
    }
}

/* Creates the PCCS client for cfg->pccs_url (cache in DATA_DIR/collateral). */
static int open_pccs(collat *c, esgx_err *err)
{
    const node_config *cfg = c->cfg;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/collateral", cfg->data_dir);
    pccs_config pc = {.base_url = cfg->pccs_url, .insecure = cfg->pccs_insecure,
                      .ca_file = cfg->pccs_ca,
                      .refresh_ms = (int64_t)cfg->pccs_refresh * 1000, .cache_dir = dir,
                      .log = pccs_log};
    if (esgx_pccs_new(&pc, &c->pccs, err)) {
        esgx_err_prefix(err, "--pccs");
        return ESGX_NODE_E_ARG;
    }
    esgx_node_log(NODE_LOG_INFO, "collateral from PCCS %s (cache %s, refresh %u s%s%s)",
             cfg->pccs_url, dir, cfg->pccs_refresh,
             cfg->pccs_insecure ? ", TLS certificate not checked" :
             cfg->pccs_ca ? ", TLS certificate checked against " : "",
             cfg->pccs_ca ? cfg->pccs_ca : "");
    return ESGX_OK;
}

int esgx_collat_new(const node_config *cfg, collat **out, esgx_err *err)
{
    *out = NULL;
    collat *c = calloc(1, sizeof *c);
    if (!c) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the collateral service");
    c->cfg = cfg;
    if (pthread_mutex_init(&c->mu, NULL)) {
        free(c);
        return esgx_err_set(err, ESGX_NODE_E_IO, "collateral service: cannot make a lock");
    }
    if (pthread_cond_init(&c->cond, NULL)) {
        pthread_mutex_destroy(&c->mu);
        free(c);
        return esgx_err_set(err, ESGX_NODE_E_IO,
                            "collateral service: cannot make a condition variable");
    }
    int rc = cfg->pccs_url ? open_pccs(c, err) : ESGX_OK;
    if (!rc && pthread_create(&c->thread, NULL, worker, c))
        rc = esgx_err_set(err, ESGX_NODE_E_IO, "cannot start the collateral thread");
    if (rc) {
        esgx_collat_free(c);
        return rc;
    }
    c->started = 1;
    *out = c;
    return ESGX_OK;
}

void esgx_collat_attach(collat *c, sup *s)
{
    pthread_mutex_lock(&c->mu);
    c->sup = s;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->mu);
}

void esgx_collat_free(collat *c)
{
    if (!c) return;
    if (c->started) {
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
    }
    esgx_pccs_free(c->pccs);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void esgx_collat_request(void *arg, uint64_t id, const esgx_msg_collateral_req *rq)
{
    collat *c = arg;
    pthread_mutex_lock(&c->mu);
    int full = c->len >= QUEUE_MAX;
    if (!full) {
        c->queue[(c->head + c->len) % QUEUE_MAX] = (creq){.id = id, .rq = *rq};
        c->len++;
        pthread_cond_signal(&c->cond);
    }
    pthread_mutex_unlock(&c->mu);
    if (full) reply(c, id, NULL, 0, "too many collateral requests in flight");
}

int esgx_collat_enabled(const collat *c)
{
    return c && c->pccs != NULL;
}

char *esgx_collat_for_quote(collat *c, const uint8_t *quote, size_t quote_len, size_t *len,
                       char *why, size_t why_cap)
{
    esgx_attest_pck_ids ids;
    esgx_err err;
    char *json = NULL;
    if (!c || !c->pccs) {
        snprintf(why, why_cap, "no PCCS configured");
        return NULL;
    }
    if (!quote || esgx_attest_quote_pck_ids(quote, quote_len, &ids, &err)) {
        snprintf(why, why_cap, "%s", quote ? err.msg : "no quote to fetch collateral for");
        return NULL;
    }
    if (esgx_pccs_get(c->pccs, ids.fmspc, ids.ca, &json, len, NULL, &err)) {
        snprintf(why, why_cap, "PCCS: %s", err.msg);
        esgx_node_log(NODE_LOG_WARN, "collateral for /attestation: %s", err.msg);
        return NULL;
    }
    return json;
}
