/*
 * invocations.c: the last invocations of each function on this node, for
 * GET /functions/NAME/invocations (docs/http-api.md): node_invocations.
 *
 * Design: like guest_logs.c, one entry per function this node has looked up (deploy,
 * invocation by name, the public record, its logs), with the module hash the registry
 * gave, and a ring of its last NODE_INVOCATIONS_KEPT outcomes: a sequence number (one
 * counter for the node), the time (UTC, to the millisecond), the status ("ok" or the
 * error code), the fuel used, the milliseconds of queue wait plus run and whether the
 * call was sealed. The HTTP server records an invocation where it writes its access
 * line, so refusals before the enclave (enclave restarting, queue full) are listed
 * too. An invocation by name goes to that name; one by hash (/services/3 reads no
 * registry) to every entry with that hash, so a function never looked up on this node
 * lists no invocation by hash. At most NODE_INVOCATIONS_FUNCTIONS entries are kept (the
 * least recently touched goes). Memory only, bounded: about 256 x 50 small records.
 * State is this object only, under one mutex.
 */
#define _GNU_SOURCE
#include "invocations.h"
#include "node_log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_proto.h"

typedef struct inv_rec {
    uint64_t seq;
    char time[32];                 /* "2026-01-01T00:00:00.000Z" */
    char status[ESGX_PROTO_MAX_CODE + 1];
    uint64_t fuel;
    double ms;
    int sealed;
} inv_rec;

typedef struct inv_fn {
    char name[65];
    uint8_t hash[32];
    uint64_t touched;              /* monotonic ms of the last lookup or record */
    inv_rec ring[NODE_INVOCATIONS_KEPT];
    size_t first, count;
} inv_fn;

struct node_invocations {
    pthread_mutex_t mu;
    inv_fn *fns[NODE_INVOCATIONS_FUNCTIONS];
    size_t n_fns;
    uint64_t seq;
};

int esgx_node_invocations_new(node_invocations **out, esgx_err *err)
{
    *out = NULL;
    node_invocations *v = calloc(1, sizeof *v);
    if (!v) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the invocations");
    if (pthread_mutex_init(&v->mu, NULL)) {
        free(v);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "invocations: cannot make a lock");
    }
    *out = v;
    return ESGX_OK;
}

void esgx_node_invocations_free(node_invocations *v)
{
    if (!v) return;
    for (size_t i = 0; i < v->n_fns; i++) free(v->fns[i]);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

static inv_fn *find(node_invocations *v, const char *name)
{
    for (size_t i = 0; i < v->n_fns; i++)
        if (!strcmp(v->fns[i]->name, name)) return v->fns[i];
    return NULL;
}

/* The entry of name, made (the least recently touched going when full) if new; NULL
 * without memory. Under v->mu. */
static inv_fn *entry(node_invocations *v, const char *name, const uint8_t hash[32])
{
    inv_fn *f = find(v, name);
    if (!f) {
        if (v->n_fns == NODE_INVOCATIONS_FUNCTIONS) {
            size_t old = 0;
            for (size_t i = 1; i < v->n_fns; i++)
                if (v->fns[i]->touched < v->fns[old]->touched) old = i;
            free(v->fns[old]);
            v->fns[old] = v->fns[--v->n_fns];
        }
        f = calloc(1, sizeof *f);
        if (!f) {
            esgx_node_log(NODE_LOG_WARN, "invocations: no memory for function %s", name);
            return NULL;
        }
        snprintf(f->name, sizeof f->name, "%s", name);
        v->fns[v->n_fns++] = f;
    }
    memcpy(f->hash, hash, 32);
    f->touched = esgx_monotonic_ms();
    return f;
}

void esgx_node_invocations_set(node_invocations *v, const char *name, const uint8_t hash[32])
{
    pthread_mutex_lock(&v->mu);
    (void)entry(v, name, hash);
    pthread_mutex_unlock(&v->mu);
}

void esgx_node_invocations_forget(node_invocations *v, const char *name)
{
    pthread_mutex_lock(&v->mu);
    for (size_t i = 0; i < v->n_fns; i++) {
        if (strcmp(v->fns[i]->name, name)) continue;
        free(v->fns[i]);
        v->fns[i] = v->fns[--v->n_fns];
        break;
    }
    pthread_mutex_unlock(&v->mu);
}

static void ring_add(inv_fn *f, const inv_rec *r)
{
    if (f->count == NODE_INVOCATIONS_KEPT) {
        f->first = (f->first + 1) % NODE_INVOCATIONS_KEPT;
        f->count--;
    }
    f->ring[(f->first + f->count++) % NODE_INVOCATIONS_KEPT] = *r;
    f->touched = esgx_monotonic_ms();
}

void esgx_node_invocations_add(node_invocations *v, const char *name, const uint8_t hash[32],
                               const node_invocation *inv)
{
    inv_rec r;
    memset(&r, 0, sizeof r);
    esgx_node_log_stamp(r.time, sizeof r.time);
    snprintf(r.status, sizeof r.status, "%s", inv->status && inv->status[0] ? inv->status : "ok");
    r.fuel = inv->fuel;
    r.ms = inv->ms;
    r.sealed = inv->sealed != 0;
    pthread_mutex_lock(&v->mu);
    r.seq = ++v->seq;
    if (name) {
        inv_fn *f = entry(v, name, hash);
        if (f) ring_add(f, &r);
    } else {
        for (size_t i = 0; i < v->n_fns; i++)
            if (!memcmp(v->fns[i]->hash, hash, 32)) ring_add(v->fns[i], &r);
    }
    pthread_mutex_unlock(&v->mu);
}

char *esgx_node_invocations_json(node_invocations *v, const char *name, size_t *len)
{
    json_t *a = json_array();
    if (!a) return NULL;
    pthread_mutex_lock(&v->mu);
    const inv_fn *f = find(v, name);
    for (size_t k = f ? f->count : 0; k-- > 0;) {   /* newest first */
        const inv_rec *r = &f->ring[(f->first + k) % NODE_INVOCATIONS_KEPT];
        json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:I, s:f, s:b}", "seq",
                                           (json_int_t)r->seq, "time", r->time, "status",
                                           r->status, "fuel", (json_int_t)r->fuel, "ms", r->ms,
                                           "sealed", r->sealed));
    }
    pthread_mutex_unlock(&v->mu);
    json_t *o = json_pack("{s:o}", "invocations", a);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s) *len = strlen(s);
    return s;
}
