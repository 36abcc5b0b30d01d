/*
 * metrics.h: esgxd's counters, the Prometheus text of GET /metrics and the sampled
 * history of GET /metrics/history (metrics.c).
 *
 * The counters are counted where things happen (the HTTP server, the supervisor); what
 * other objects know (the enclave's state and counters, the content store's size, the
 * network's counters) comes to esgx_metrics_render as one snapshot the caller takes, so
 * metrics depends on none of those objects.
 */
#ifndef ESGX_NODE_METRICS_H
#define ESGX_NODE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"
#include "esgx_proto.h"
#include "network.h"

/* The routes of the HTTP API, as counted (esgx_requests_total{route}). */
enum {
    ROUTE_SERVICES = 0, ROUTE_CONTENT_PUT, ROUTE_CONTENT_GET, ROUTE_FN_INVOKE, ROUTE_FN_DEPLOY,
    ROUTE_FN_LIST, ROUTE_FN_DELETE, ROUTE_ATTESTATION, ROUTE_HEALTH, ROUTE_METRICS, ROUTE_NODES,
    ROUTE_FN_GET, ROUTE_FN_LOGS, ROUTE_FN_TRANSFER, ROUTE_CONSOLE, ROUTE_METRICS_HISTORY,
    ROUTE_FN_INVOCATIONS,
    ROUTE_OTHER,
    ROUTE_COUNT
};

typedef struct metrics metrics;

/* Creates the zeroed counters (*out; freed with esgx_metrics_free). Returns 0 or
 * ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_metrics_new(metrics **out, esgx_err *err);
/* Frees m (NULL allowed). */
void esgx_metrics_free(metrics *m);
/* Counts one answered request of route (ROUTE_*) with HTTP status. m may be NULL. */
void esgx_metrics_request(metrics *m, int route, unsigned status);
/* Counts one invocation result (trapped: 1 if it trapped) and the fuel it used
 * (esgx_fuel_used_total). m may be NULL. */
void esgx_metrics_invocation(metrics *m, int trapped, uint64_t fuel_used);
/* Observes one invocation the enclave answered in the histograms
 * esgx_invocation_queue_seconds (queue_us: time waiting for an enclave worker),
 * esgx_invocation_run_seconds (run_us: time on a worker) and esgx_invocation_seconds
 * (their sum). m may be NULL. */
void esgx_metrics_invocation_times(metrics *m, uint64_t queue_us, uint64_t run_us);
/* Sets the gauge esgx_queue_depth: invocations waiting for an enclave worker now. m may
 * be NULL. */
void esgx_metrics_queue_depth(metrics *m, uint64_t waiting);
/* Counts one restart of the enclave process. m may be NULL. */
void esgx_metrics_enclave_restart(metrics *m);

/* What the other objects say at scrape time, taken by the caller of esgx_metrics_render. */
typedef struct metrics_snapshot {
    uint64_t content_bytes;        /* bytes in the content store */
    int enclave_up;                /* the channel is up */
    int key_ready;                 /* the enclave holds the shared key */
    const char *tier;              /* the tier the enclave said it runs ("interp" or "jit",
                                      static), NULL before its first HELLO */
    int have_enclave_stats;        /* 1: enclave below came from a STATS_REPLY */
    esgx_msg_stats_reply enclave;
    int have_network;              /* 1: a node in a network (--etcd): network below */
    esgx_net_stats network;
    int network_healthy;
} metrics_snapshot;

/* Renders the Prometheus text (the counters of m, then snap) into a malloc'ed
 * NUL-terminated buffer (*len bytes; caller frees). Returns NULL when out of memory. */
char *esgx_metrics_render(metrics *m, const metrics_snapshot *snap, size_t *len);

/* ------------------------------------------------------------ history (/metrics/history) */

#define METRICS_HISTORY_SAMPLES 120      /* kept: 10 minutes at the default interval */
#define METRICS_HISTORY_INTERVAL_MS 5000u

typedef struct metrics_history metrics_history;

/* Asks what the metrics cannot count themselves: the enclave's module cache counters
 * (*hits, *misses, cumulative since the enclave started). Returns 0, or non-zero when
 * they cannot be had now (the enclave is down): the last known values are kept. Called
 * on the sampler thread; it may block a little (a STATS message). */
typedef int (*metrics_probe_fn)(void *arg, uint64_t *hits, uint64_t *misses);

/* Starts the sampler of m: a thread that takes a sample at once and then every
 * interval_ms (0: METRICS_HISTORY_INTERVAL_MS) and keeps the last
 * METRICS_HISTORY_SAMPLES. probe (may be NULL: cache counters stay 0) with arg must
 * outlive it. *out is freed with esgx_metrics_history_free. Returns 0,
 * ESGX_NODE_E_NOMEM or ESGX_NODE_E_IO (no thread). */
ESGX_MUST_CHECK int esgx_metrics_history_start(metrics *m, unsigned interval_ms,
                                               metrics_probe_fn probe, void *arg,
                                               metrics_history **out, esgx_err *err);
/* Stops the sampler (joins its thread) and frees h (NULL allowed). */
void esgx_metrics_history_free(metrics_history *h);
/* The samples as the JSON of GET /metrics/history (docs/http-api.md), oldest first, in a
 * malloc'ed NUL-terminated buffer (*len bytes; caller frees). NULL when out of memory. */
char *esgx_metrics_history_json(metrics_history *h, size_t *len);

#endif
