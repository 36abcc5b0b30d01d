/*
 * metrics.c: counters of esgxd and the Prometheus text format of GET /metrics.
 *
 * Counters are relaxed atomics (requests by route and status, invocations, traps,
 * enclave restarts). What the other objects know comes in a metrics_snapshot the
 * caller takes at scrape time (http_server.c: the enclave's state and tier, its own
 * counters from a STATS message with a 1 s timeout, missing if the enclave is down; the
 * content store's size; the network's counters), so this file includes none of their
 * headers. Status codes are kept in a dense [route][status - 100] table so counting
 * never allocates or locks. The counters live in the metrics object (esgx_metrics_new).
 * Two Prometheus histograms, queue wait and run time of each invocation the enclave
 * answered (measured by the supervisor), keep one relaxed counter per bucket plus a sum
 * in microseconds; the text shows them cumulative (le="..."), as Prometheus wants.
 * Every metric has its # HELP and # TYPE lines.
 */
#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Histogram bucket bounds in microseconds (upper, inclusive), +Inf implied. */
#define N_BUCKETS 12
static const uint64_t bucket_us[N_BUCKETS] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000, 30000000,
};

typedef struct histogram {
    _Atomic uint64_t bucket[N_BUCKETS + 1];   /* the last one: above every bound */
    _Atomic uint64_t sum_us, count;
} histogram;

struct metrics {
    _Atomic uint64_t requests[ROUTE_COUNT][500];
    _Atomic uint64_t invocations, traps, restarts;
    histogram queue, run;
};

static const char *const route_names[ROUTE_COUNT] = {
    "services", "content_upload", "content_get", "function_invoke", "function_deploy",
    "function_list", "function_delete", "attestation", "health", "metrics", "nodes",
    "function_get", "function_logs", "function_transfer", "other",
};

int esgx_metrics_new(metrics **out, esgx_err *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the metrics");
    return ESGX_OK;
}

void esgx_metrics_free(metrics *m)
{
    free(m);
}

void esgx_metrics_request(metrics *m, int route, unsigned status)
{
    if (!m || route < 0 || route >= ROUTE_COUNT || status < 100 || status > 599) return;
    atomic_fetch_add_explicit(&m->requests[route][status - 100], 1, memory_order_relaxed);
}

void esgx_metrics_invocation(metrics *m, int trapped)
{
    if (!m) return;
    atomic_fetch_add_explicit(&m->invocations, 1, memory_order_relaxed);
    if (trapped) atomic_fetch_add_explicit(&m->traps, 1, memory_order_relaxed);
}

static void observe(histogram *h, uint64_t us)
{
    size_t i = 0;
    while (i < N_BUCKETS && us > bucket_us[i]) i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

void esgx_metrics_invocation_times(metrics *m, uint64_t queue_us, uint64_t run_us)
{
    if (!m) return;
    observe(&m->queue, queue_us);
    observe(&m->run, run_us);
}

void esgx_metrics_enclave_restart(metrics *m)
{
    if (!m) return;
    atomic_fetch_add_explicit(&m->restarts, 1, memory_order_relaxed);
}

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = b->cap * 2 + (size_t)n;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

/* A histogram in the Prometheus text format: cumulative buckets, sum, count. */
static void render_histogram(sbuf *b, const char *name, const char *help, histogram *h)
{
    sb_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i <= N_BUCKETS; i++) {
        cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (i < N_BUCKETS)
            sb_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, (double)bucket_us[i] / 1e6,
                      (unsigned long long)cum);
        else
            sb_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    }
    uint64_t sum = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
    sb_printf(b, "%s_sum %llu.%06llu\n%s_count %llu\n", name, (unsigned long long)(sum / 1000000),
              (unsigned long long)(sum % 1000000), name, (unsigned long long)cum);
}

/* The network's counters (--etcd). */
static void render_network(sbuf *b, const esgx_net_stats *st, int healthy)
{
    sb_printf(b, "# HELP esgx_peer_fetches_total Transfers of content from another node, by result.\n"
                 "# TYPE esgx_peer_fetches_total counter\n"
                 "esgx_peer_fetches_total{result=\"ok\"} %llu\n"
                 "esgx_peer_fetches_total{result=\"failed\"} %llu\n"
                 "# HELP esgx_origin_fetches_total Transfers of content from an origin (URL, IPFS), "
                 "by result.\n"
                 "# TYPE esgx_origin_fetches_total counter\n"
                 "esgx_origin_fetches_total{result=\"ok\"} %llu\n"
                 "esgx_origin_fetches_total{result=\"failed\"} %llu\n"
                 "# HELP esgx_fetched_bytes_total Bytes of the successful transfers.\n"
                 "# TYPE esgx_fetched_bytes_total counter\n"
                 "esgx_fetched_bytes_total %llu\n"
                 "# HELP esgx_replications_total Copies the replicator made to restore --replicas "
                 "holders, by result.\n"
                 "# TYPE esgx_replications_total counter\n"
                 "esgx_replications_total{result=\"ok\"} %llu\n"
                 "esgx_replications_total{result=\"failed\"} %llu\n"
                 "# HELP esgx_etcd_errors_total Failed lease renewals and broken watches.\n"
                 "# TYPE esgx_etcd_errors_total counter\n"
                 "esgx_etcd_errors_total %llu\n"
                 "# HELP esgx_network_members Live members of the network, this node included.\n"
                 "# TYPE esgx_network_members gauge\n"
                 "esgx_network_members %u\n"
                 "# HELP esgx_network_healthy 1 while etcd answers and the view is current.\n"
                 "# TYPE esgx_network_healthy gauge\n"
                 "esgx_network_healthy %d\n",
              (unsigned long long)st->peer_fetches, (unsigned long long)st->peer_fetch_failures,
              (unsigned long long)st->origin_fetches, (unsigned long long)st->origin_fetch_failures,
              (unsigned long long)st->fetched_bytes, (unsigned long long)st->replications,
              (unsigned long long)st->replication_failures, (unsigned long long)st->etcd_errors,
              st->members, healthy);
    sb_printf(b, "# HELP esgx_etcd_requests_total Calls this node made to etcd (the watch stream "
                 "not counted).\n"
                 "# TYPE esgx_etcd_requests_total counter\n"
                 "esgx_etcd_requests_total %llu\n"
                 "# HELP esgx_name_view_misses_total Lookups of a name the view lacked: read from "
                 "etcd, or answered from the view at once.\n"
                 "# TYPE esgx_name_view_misses_total counter\n"
                 "esgx_name_view_misses_total{answer=\"etcd\"} %llu\n"
                 "esgx_name_view_misses_total{answer=\"view\"} %llu\n"
                 "# HELP esgx_etcd_watch_cuts_total Watches cut because a call to their etcd "
                 "member failed.\n"
                 "# TYPE esgx_etcd_watch_cuts_total counter\n"
                 "esgx_etcd_watch_cuts_total %llu\n",
              (unsigned long long)st->etcd_requests, (unsigned long long)st->name_etcd_reads,
              (unsigned long long)st->name_view_answers,
              (unsigned long long)st->etcd_watch_cuts);
}

char *esgx_metrics_render(metrics *m, const metrics_snapshot *snap, size_t *len)
{
    sbuf b = {malloc(8192), 0, 8192, 0};
    if (!b.p) return NULL;
    b.p[0] = 0;
    sb_printf(&b, "# HELP esgx_requests_total HTTP requests answered, by route and status.\n"
                  "# TYPE esgx_requests_total counter\n");
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (unsigned st = 0; st < 500; st++) {
            uint64_t v = atomic_load_explicit(&m->requests[r][st], memory_order_relaxed);
            if (v)
                sb_printf(&b, "esgx_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
                          route_names[r], st + 100, (unsigned long long)v);
        }
    sb_printf(&b, "# HELP esgx_invocations_total Invocations the enclave answered (ok or trap).\n"
                  "# TYPE esgx_invocations_total counter\nesgx_invocations_total %llu\n",
              (unsigned long long)atomic_load(&m->invocations));
    render_histogram(&b, "esgx_invocation_queue_seconds",
                     "Time invocations waited for an enclave worker.", &m->queue);
    render_histogram(&b, "esgx_invocation_run_seconds",
                     "Time invocations ran on an enclave worker.", &m->run);
    sb_printf(&b, "# HELP esgx_traps_total Invocations that trapped (incl. out of fuel).\n"
                  "# TYPE esgx_traps_total counter\nesgx_traps_total %llu\n",
              (unsigned long long)atomic_load(&m->traps));
    sb_printf(&b, "# HELP esgx_enclave_restarts_total Times the enclave process was restarted.\n"
                  "# TYPE esgx_enclave_restarts_total counter\nesgx_enclave_restarts_total %llu\n",
              (unsigned long long)atomic_load(&m->restarts));
    sb_printf(&b, "# HELP esgx_content_bytes Bytes in the content store.\n"
                  "# TYPE esgx_content_bytes gauge\nesgx_content_bytes %llu\n",
              (unsigned long long)snap->content_bytes);
    if (snap->tier)
        sb_printf(&b, "# HELP esgx_wasm_tier The tier that runs functions (interp or jit).\n"
                      "# TYPE esgx_wasm_tier gauge\nesgx_wasm_tier{tier=\"%s\"} 1\n", snap->tier);
    sb_printf(&b, "# HELP esgx_enclave_up 1 if the enclave channel is up.\n"
                  "# TYPE esgx_enclave_up gauge\nesgx_enclave_up %d\n", snap->enclave_up);
    sb_printf(&b, "# HELP esgx_enclave_key_ready 1 if the enclave holds the shared key.\n"
                  "# TYPE esgx_enclave_key_ready gauge\nesgx_enclave_key_ready %d\n",
              snap->enclave_up && snap->key_ready);
    if (snap->have_enclave_stats) {
        const esgx_msg_stats_reply *st = &snap->enclave;
        sb_printf(&b, "# HELP esgx_enclave_executions_total Executions counted by the enclave.\n"
                      "# TYPE esgx_enclave_executions_total counter\n"
                      "esgx_enclave_executions_total %llu\n", (unsigned long long)st->executions);
        sb_printf(&b, "# HELP esgx_enclave_traps_total Traps counted by the enclave.\n"
                      "# TYPE esgx_enclave_traps_total counter\n"
                      "esgx_enclave_traps_total %llu\n", (unsigned long long)st->traps);
        sb_printf(&b, "# HELP esgx_enclave_cache_entries Compiled modules in the enclave cache.\n"
                      "# TYPE esgx_enclave_cache_entries gauge\n"
                      "esgx_enclave_cache_entries %llu\n", (unsigned long long)st->cache_entries);
        sb_printf(&b, "# HELP esgx_enclave_cache_hits_total Module cache hits.\n"
                      "# TYPE esgx_enclave_cache_hits_total counter\n"
                      "esgx_enclave_cache_hits_total %llu\n", (unsigned long long)st->cache_hits);
        sb_printf(&b, "# HELP esgx_enclave_cache_misses_total Module cache misses.\n"
                      "# TYPE esgx_enclave_cache_misses_total counter\n"
                      "esgx_enclave_cache_misses_total %llu\n", (unsigned long long)st->cache_misses);
        sb_printf(&b, "# HELP esgx_jit_refused_functions Functions the compiler tier refused "
                      "(they run on the interpreter).\n"
                      "# TYPE esgx_jit_refused_functions gauge\n"
                      "esgx_jit_refused_functions %llu\n", (unsigned long long)st->jit_refused);
    }
    if (snap->have_network) render_network(&b, &snap->network, snap->network_healthy);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
