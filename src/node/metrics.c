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
 * in microseconds; the text shows them cumulative (le="..."), as Prometheus wants. A
 * third one has their sum per invocation (esgx_invocation_seconds: the latency the
 * console charts). The fuel of every answered invocation is added up
 * (esgx_fuel_used_total), and the supervisor sets the gauge of invocations waiting for a
 * worker (esgx_queue_depth). Every metric has its # HELP and # TYPE lines.
 *
 * History (GET /metrics/history): a metrics_history object runs one sampler thread that
 * reads the counters every interval (5 s; the first sample at start) into a ring of
 * METRICS_HISTORY_SAMPLES (10 minutes), under the object's mutex. A sample is cumulative
 * (requests of all routes, invocations, traps, fuel, the latency buckets) except the
 * queue gauge, so a reader computes rates and percentiles from the deltas of consecutive
 * samples. The enclave's cache counters come from a probe the owner gives (a STATS
 * message); while it fails the last values are repeated. Nothing is global: the ring,
 * its lock and the thread's stop flag are the object's.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    _Atomic uint64_t invocations, traps, restarts, fuel, queue_depth;
    histogram queue, run, total;
};

static const char *const route_names[ROUTE_COUNT] = {
    "services", "content_upload", "content_get", "function_invoke", "function_deploy",
    "function_list", "function_delete", "attestation", "health", "metrics", "nodes",
    "function_get", "function_logs", "function_transfer", "console", "metrics_history",
    "function_invocations", "other",
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

void esgx_metrics_invocation(metrics *m, int trapped, uint64_t fuel_used)
{
    if (!m) return;
    atomic_fetch_add_explicit(&m->invocations, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->fuel, fuel_used, memory_order_relaxed);
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
    observe(&m->total, queue_us + run_us);
}

void esgx_metrics_queue_depth(metrics *m, uint64_t waiting)
{
    if (!m) return;
    atomic_store_explicit(&m->queue_depth, waiting, memory_order_relaxed);
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
    render_histogram(&b, "esgx_invocation_seconds",
                     "Time invocations waited for a worker and ran (queue plus run).", &m->total);
    sb_printf(&b, "# HELP esgx_fuel_used_total Fuel used by the invocations the enclave "
                  "answered.\n"
                  "# TYPE esgx_fuel_used_total counter\nesgx_fuel_used_total %llu\n",
              (unsigned long long)atomic_load(&m->fuel));
    sb_printf(&b, "# HELP esgx_queue_depth Invocations waiting for an enclave worker now.\n"
                  "# TYPE esgx_queue_depth gauge\nesgx_queue_depth %llu\n",
              (unsigned long long)atomic_load(&m->queue_depth));
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

/* ---------------------------------------------------------------- history */

typedef struct sample {
    uint64_t t_ms;                 /* unix time */
    uint64_t requests, invocations, traps, fuel, queue, cache_hits, cache_misses;
    uint64_t latency[N_BUCKETS + 1];   /* cumulative per bound, then +Inf */
} sample;

struct metrics_history {
    metrics *m;
    unsigned interval_ms;
    metrics_probe_fn probe;
    void *probe_arg;
    pthread_mutex_t mu;
    pthread_cond_t cond;           /* stop */
    pthread_t thread;
    int stopping;
    sample ring[METRICS_HISTORY_SAMPLES];
    size_t first, count;
    uint64_t hits, misses;         /* the probe's last answer (sampler thread only) */
};

static uint64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void take_sample(metrics_history *h)
{
    metrics *m = h->m;
    sample s;
    memset(&s, 0, sizeof s);
    if (h->probe) (void)h->probe(h->probe_arg, &h->hits, &h->misses);
    s.t_ms = unix_ms();
    for (int r = 0; r < ROUTE_COUNT; r++)
        for (unsigned st = 0; st < 500; st++)
            s.requests += atomic_load_explicit(&m->requests[r][st], memory_order_relaxed);
    s.invocations = atomic_load_explicit(&m->invocations, memory_order_relaxed);
    s.traps = atomic_load_explicit(&m->traps, memory_order_relaxed);
    s.fuel = atomic_load_explicit(&m->fuel, memory_order_relaxed);
    s.queue = atomic_load_explicit(&m->queue_depth, memory_order_relaxed);
    s.cache_hits = h->hits;
    s.cache_misses = h->misses;
    uint64_t cum = 0;
    for (size_t i = 0; i <= N_BUCKETS; i++) {
        cum += atomic_load_explicit(&m->total.bucket[i], memory_order_relaxed);
        s.latency[i] = cum;
    }
    pthread_mutex_lock(&h->mu);
    if (h->count == METRICS_HISTORY_SAMPLES) {
        h->first = (h->first + 1) % METRICS_HISTORY_SAMPLES;
        h->count--;
    }
    h->ring[(h->first + h->count++) % METRICS_HISTORY_SAMPLES] = s;
    pthread_mutex_unlock(&h->mu);
}

static void *sampler_main(void *arg)
{
    metrics_history *h = arg;
    for (;;) {
        take_sample(h);
        pthread_mutex_lock(&h->mu);
        struct timespec ts = esgx_deadline_after_ms(h->interval_ms);
        while (!h->stopping && pthread_cond_timedwait(&h->cond, &h->mu, &ts) == 0) {
        }
        int stop = h->stopping;
        pthread_mutex_unlock(&h->mu);
        if (stop) return NULL;
    }
}

int esgx_metrics_history_start(metrics *m, unsigned interval_ms, metrics_probe_fn probe,
                               void *arg, metrics_history **out, esgx_err *err)
{
    *out = NULL;
    metrics_history *h = calloc(1, sizeof *h);
    if (!h) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the metrics history");
    h->m = m;
    h->interval_ms = interval_ms ? interval_ms : METRICS_HISTORY_INTERVAL_MS;
    h->probe = probe;
    h->probe_arg = arg;
    if (pthread_mutex_init(&h->mu, NULL)) {
        free(h);
        return esgx_err_set(err, ESGX_NODE_E_IO, "metrics history: cannot make a lock");
    }
    if (esgx_cond_init_monotonic(&h->cond)) {
        pthread_mutex_destroy(&h->mu);
        free(h);
        return esgx_err_set(err, ESGX_NODE_E_IO, "metrics history: cannot make a condition");
    }
    if (pthread_create(&h->thread, NULL, sampler_main, h)) {
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return esgx_err_set(err, ESGX_NODE_E_IO, "metrics history: cannot start its thread");
    }
    *out = h;
    return ESGX_OK;
}

void esgx_metrics_history_free(metrics_history *h)
{
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->stopping = 1;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

char *esgx_metrics_history_json(metrics_history *h, size_t *len)
{
    sbuf b = {malloc(16384), 0, 16384, 0};
    if (!b.p) return NULL;
    b.p[0] = 0;
    sb_printf(&b, "{\"interval_ms\":%u,\"samples\":[", h->interval_ms);
    pthread_mutex_lock(&h->mu);
    for (size_t k = 0; k < h->count; k++) {
        const sample *s = &h->ring[(h->first + k) % METRICS_HISTORY_SAMPLES];
        sb_printf(&b, "%s{\"t\":%llu,\"requests\":%llu,\"invocations\":%llu,\"traps\":%llu,"
                      "\"fuel\":%llu,\"queue\":%llu,\"cache_hits\":%llu,\"cache_misses\":%llu,"
                      "\"latency_le_ms\":[", k ? "," : "", (unsigned long long)s->t_ms,
                  (unsigned long long)s->requests, (unsigned long long)s->invocations,
                  (unsigned long long)s->traps, (unsigned long long)s->fuel,
                  (unsigned long long)s->queue, (unsigned long long)s->cache_hits,
                  (unsigned long long)s->cache_misses);
        for (size_t i = 0; i < N_BUCKETS; i++)
            sb_printf(&b, "%s%g", i ? "," : "", (double)bucket_us[i] / 1000.0);
        sb_printf(&b, "],\"latency_buckets\":[");
        for (size_t i = 0; i <= N_BUCKETS; i++)
            sb_printf(&b, "%s%llu", i ? "," : "", (unsigned long long)s->latency[i]);
        sb_printf(&b, "]}");
    }
    pthread_mutex_unlock(&h->mu);
    sb_printf(&b, "]}");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    *len = b.len;
    return b.p;
}
