/*
 * collateral.c: the node's DCAP collateral with --pccs (docs/operations.md): answers the
 * enclave's COLLATERAL_REQ and gives /attestation the collateral for the node's quote.
 *
 * Design: one pccs client (pccs.c; cache under DATA_DIR/collateral) and one worker
 * thread. The channel reader (supervisor.c) only copies a COLLATERAL_REQ into a small
 * queue (collat_request) and goes back to reading, because answering may block on the
 * network for up to the PCCS timeouts; the worker takes requests in order, asks the
 * client (cached copy, fetch, or stale copy) and sends COLLATERAL_REPLY with the
 * request's id through sup_send. Without --pccs every request is answered at once with
 * the error "no PCCS configured". The queue is bounded (QUEUE_MAX): a request beyond it
 * is answered at once with an error, so a misbehaving enclave cannot grow host memory.
 */
#define _GNU_SOURCE
#include "node.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_attest.h"
#include "pccs.h"

#define QUEUE_MAX 64

typedef struct creq {
    uint64_t id;
    esgx_msg_collateral_req rq;
} creq;

static pccs *g_pccs;
static pthread_mutex_t g_qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_qcond = PTHREAD_COND_INITIALIZER;
static creq g_queue[QUEUE_MAX];
static size_t g_qhead, g_qlen;
static int g_qstop;
static pthread_t g_thread;
static int g_started;

static void pccs_log(int level, const char *msg)
{
    node_log(level, "%s", msg);
}

/* Sends the reply for id: the collateral, or the error text. */
static void reply(uint64_t id, const char *json, size_t len, const char *error)
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
        r->error = (esgx_bytes){(const uint8_t *)error, strnlen(error, ESGX_PROTO_MAX_MESSAGE)};
    }
    if (sup_send(&m))
        node_log(NODE_LOG_DEBUG, "COLLATERAL_REPLY %llu not sent (enclave gone)",
                 (unsigned long long)id);
}

static void serve(const creq *q)
{
    char hex[13];
    for (int i = 0; i < 6; i++) snprintf(hex + 2 * i, 3, "%02x", q->rq.fmspc[i]);
    const char *ca = esgx_attest_pck_ca_name(q->rq.ca);
    if (!g_pccs) {
        reply(q->id, NULL, 0, "no PCCS configured (start esgxd with --pccs URL)");
        return;
    }
    char *json = NULL;
    size_t len = 0;
    int stale = 0;
    esgx_err err;
    if (pccs_get(g_pccs, q->rq.fmspc, q->rq.ca, &json, &len, &stale, &err)) {
        node_log(NODE_LOG_WARN, "collateral for FMSPC %s CA %s: %s", hex, ca, err.msg);
        char msg[ESGX_ERR_MSG_MAX + 64];
        snprintf(msg, sizeof msg, "PCCS: %s", err.msg);
        reply(q->id, NULL, 0, msg);
        return;
    }
    node_log(NODE_LOG_DEBUG, "collateral for FMSPC %s CA %s to the enclave (%zu bytes%s)", hex,
             ca, len, stale ? ", stale" : "");
    reply(q->id, json, len, NULL);
    free(json);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&g_qmu);
        while (!g_qlen && !g_qstop) pthread_cond_wait(&g_qcond, &g_qmu);
        if (g_qstop) {
            pthread_mutex_unlock(&g_qmu);
            return NULL;
        }
        creq q = g_queue[g_qhead];
        g_qhead = (g_qhead + 1) % QUEUE_MAX;
        g_qlen--;
        pthread_mutex_unlock(&g_qmu);
        serve(&q);
    }
}

int collat_start(esgx_err *err)
{
    if (g_cfg.pccs_url) {
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/collateral", g_cfg.data_dir);
        pccs_config cfg = {.base_url = g_cfg.pccs_url, .insecure = g_cfg.pccs_insecure,
                           .refresh_ms = (int64_t)g_cfg.pccs_refresh * 1000, .cache_dir = dir,
                           .log = pccs_log};
        int rc = pccs_new(&cfg, &g_pccs, err);
        if (rc) {
            esgx_err_prefix(err, "--pccs");
            return ESGX_NODE_E_ARG;
        }
        node_log(NODE_LOG_INFO, "collateral from PCCS %s (cache %s, refresh %u s%s)",
                 g_cfg.pccs_url, dir, g_cfg.pccs_refresh,
                 g_cfg.pccs_insecure ? ", TLS certificate not checked" : "");
    }
    if (pthread_create(&g_thread, NULL, worker, NULL)) {
        pccs_free(g_pccs);
        g_pccs = NULL;
        return esgx_err_set(err, ESGX_NODE_E_IO, "cannot start the collateral thread");
    }
    g_started = 1;
    return 0;
}

void collat_stop(void)
{
    if (!g_started) return;
    pthread_mutex_lock(&g_qmu);
    g_qstop = 1;
    pthread_cond_signal(&g_qcond);
    pthread_mutex_unlock(&g_qmu);
    pthread_join(g_thread, NULL);
    g_started = 0;
    pccs_free(g_pccs);
    g_pccs = NULL;
}

void collat_request(uint64_t id, const esgx_msg_collateral_req *rq)
{
    pthread_mutex_lock(&g_qmu);
    int full = g_qlen >= QUEUE_MAX;
    if (!full) {
        g_queue[(g_qhead + g_qlen) % QUEUE_MAX] = (creq){.id = id, .rq = *rq};
        g_qlen++;
        pthread_cond_signal(&g_qcond);
    }
    pthread_mutex_unlock(&g_qmu);
    if (full) reply(id, NULL, 0, "too many collateral requests in flight");
}

int collat_enabled(void)
{
    return g_pccs != NULL;
}

char *collat_for_quote(const uint8_t *quote, size_t quote_len, size_t *len, char *why,
                       size_t why_cap)
{
    esgx_attest_pck_ids ids;
    esgx_err err;
    char *json = NULL;
    if (!g_pccs) {
        snprintf(why, why_cap, "no PCCS configured");
        return NULL;
    }
    if (!quote || esgx_attest_quote_pck_ids(quote, quote_len, &ids, &err)) {
        snprintf(why, why_cap, "%s", quote ? err.msg : "no quote to fetch collateral for");
        return NULL;
    }
    if (pccs_get(g_pccs, ids.fmspc, ids.ca, &json, len, NULL, &err)) {
        snprintf(why, why_cap, "PCCS: %s", err.msg);
        node_log(NODE_LOG_WARN, "collateral for /attestation: %s", err.msg);
        return NULL;
    }
    return json;
}
