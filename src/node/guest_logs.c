/*
 * guest_logs.c: the recent guest debug output of each function, for GET /functions/NAME/logs
 * (docs/http-api.md#logs): node_logs.
 *
 * Design: one entry per function this node has looked up (deploy, invoke by name, the
 * public name resolution), holding its hash, whether logs are on (the "logs" flag of its
 * registry record) and a ring of text lines. An invocation by name captures when its
 * entry says so; an invocation by hash (/services/3, which reads no registry) captures
 * when an entry with logs on has that hash, and its lines go to every such entry. Each
 * line is "SEQ TIME STATUS TEXT" with SEQ its sequence number, TIME in UTC to the millisecond, STATUS the invocation's
 * outcome ("ok" or the error code) and TEXT the guest's bytes with every control
 * character written as \xNN. A ring keeps at most NODE_LOGS_LINES lines and
 * NODE_LOGS_BYTES bytes (the oldest go first); at most NODE_LOGS_FUNCTIONS entries are
 * kept (the least recently touched one goes). Every line has a sequence number, so a
 * reader asks for the lines after the last one it saw.
 *
 * Long polls (?follow=1) do not hold an HTTP thread: the connection is suspended and a
 * waiter registered here; an append, the waiter's deadline or esgx_node_logs_free resumes it
 * through its callback (the waker thread handles deadlines). State is this object only,
 * under one mutex.
 */
#define _GNU_SOURCE
#include "guest_logs.h"
#include "node_log.h"
#include "esgx_proto.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_crypto.h"

typedef struct log_line {
    uint64_t seq;
    char *text;                    /* "SEQ TIME STATUS TEXT\n", NUL-terminated */
    size_t len;
} log_line;

typedef struct log_fn {
    char name[65];
    uint8_t hash[32];
    int enabled;
    uint64_t touched;              /* monotonic ms of the last lookup or append */
    log_line lines[NODE_LOGS_LINES];
    size_t first, count, bytes;    /* the ring */
} log_fn;

struct node_logs {
    pthread_mutex_t mu;
    pthread_cond_t cond;           /* the waker: new waiter, stop */
    pthread_t waker;
    int started, stopping;
    log_fn *fns[NODE_LOGS_FUNCTIONS];
    size_t n_fns;
    uint64_t seq;                  /* the last sequence number given */
    node_logs_waiter *waiters;
};

static void ring_clear(log_fn *f)
{
    for (size_t i = 0; i < f->count; i++) free(f->lines[(f->first + i) % NODE_LOGS_LINES].text);
    f->first = f->count = f->bytes = 0;
}

static void ring_drop_oldest(log_fn *f)
{
    log_line *l = &f->lines[f->first];
    f->bytes -= l->len;
    free(l->text);
    l->text = NULL;
    f->first = (f->first + 1) % NODE_LOGS_LINES;
    f->count--;
}

static log_fn *find(node_logs *l, const char *name)
{
    for (size_t i = 0; i < l->n_fns; i++)
        if (!strcmp(l->fns[i]->name, name)) return l->fns[i];
    return NULL;
}

/* Wakes (removes and calls) every waiter for name, or all when name is NULL, or those
 * past their deadline when now is non-zero. Called with l->mu held: the callbacks only
 * resume connections. */
static void wake(node_logs *l, const char *name, uint64_t now)
{
    node_logs_waiter **pp = &l->waiters;
    while (*pp) {
        node_logs_waiter *w = *pp;
        int hit = now ? w->deadline_ms <= now : (!name || !strcmp(w->name, name));
        if (!hit) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        w->next = NULL;
        w->registered = 0;
        w->wake(w);
    }
}

static void *waker_main(void *arg)
{
    node_logs *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->stopping) {
        uint64_t now = esgx_monotonic_ms(), next = now + 1000;
        wake(l, NULL, now);
        for (node_logs_waiter *w = l->waiters; w; w = w->next)
            if (w->deadline_ms < next) next = w->deadline_ms;
        struct timespec ts = esgx_deadline_after_ms(next > now ? next - now : 1);
        pthread_cond_timedwait(&l->cond, &l->mu, &ts);
    }
    wake(l, NULL, 0);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int esgx_node_logs_new(node_logs **out, esgx_err *err)
{
    *out = NULL;
    node_logs *l = calloc(1, sizeof *l);
    if (!l) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the logs");
    if (pthread_mutex_init(&l->mu, NULL)) {
        free(l);
        return esgx_err_set(err, ESGX_NODE_E_IO, "logs: cannot make a lock");
    }
    if (esgx_cond_init_monotonic(&l->cond)) {
        pthread_mutex_destroy(&l->mu);
        free(l);
        return esgx_err_set(err, ESGX_NODE_E_IO, "logs: cannot make a condition variable");
    }
    if (pthread_create(&l->waker, NULL, waker_main, l)) {
        esgx_node_logs_free(l);
        return esgx_err_set(err, ESGX_NODE_E_IO, "logs: cannot start the waker thread");
    }
    l->started = 1;
    *out = l;
    return ESGX_OK;
}

void esgx_node_logs_stop(node_logs *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stopping = 1;
    wake(l, NULL, 0);
    pthread_cond_broadcast(&l->cond);
    int join = l->started;
    l->started = 0;
    pthread_mutex_unlock(&l->mu);
    if (join) pthread_join(l->waker, NULL);
}

void esgx_node_logs_free(node_logs *l)
{
    if (!l) return;
    esgx_node_logs_stop(l);
    for (size_t i = 0; i < l->n_fns; i++) {
        ring_clear(l->fns[i]);
        free(l->fns[i]);
    }
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

void esgx_node_logs_set(node_logs *l, const char *name, const uint8_t hash[32], int enabled)
{
    pthread_mutex_lock(&l->mu);
    log_fn *f = find(l, name);
    if (!f && !enabled) {       /* nothing to remember: no ring, nothing to capture */
        pthread_mutex_unlock(&l->mu);
        return;
    }
    if (!f) {
        if (l->n_fns == NODE_LOGS_FUNCTIONS) {   /* the least recently touched goes */
            size_t old = 0;
            for (size_t i = 1; i < l->n_fns; i++)
                if (l->fns[i]->touched < l->fns[old]->touched) old = i;
            ring_clear(l->fns[old]);
            free(l->fns[old]);
            l->fns[old] = l->fns[--l->n_fns];
        }
        f = calloc(1, sizeof *f);
        if (!f) {
            pthread_mutex_unlock(&l->mu);
            esgx_node_log(NODE_LOG_WARN, "logs: no memory for function %s", name);
            return;
        }
        snprintf(f->name, sizeof f->name, "%s", name);
        l->fns[l->n_fns++] = f;
    }
    if (!enabled || memcmp(f->hash, hash, 32)) ring_clear(f);
    memcpy(f->hash, hash, 32);
    f->enabled = enabled;
    f->touched = esgx_monotonic_ms();
    pthread_mutex_unlock(&l->mu);
}

void esgx_node_logs_forget(node_logs *l, const char *name)
{
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->n_fns; i++) {
        if (strcmp(l->fns[i]->name, name)) continue;
        ring_clear(l->fns[i]);
        free(l->fns[i]);
        l->fns[i] = l->fns[--l->n_fns];
        break;
    }
    pthread_mutex_unlock(&l->mu);
}

int esgx_node_logs_wanted(node_logs *l, const char *name, const uint8_t hash[32])
{
    int want = 0;
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->n_fns && !want; i++) {
        const log_fn *f = l->fns[i];
        want = f->enabled && !memcmp(f->hash, hash, 32) && (!name || !strcmp(f->name, name));
    }
    pthread_mutex_unlock(&l->mu);
    return want;
}

/* Appends one line "seq stamp status text" (text[0..n), escaped) to f. */
static void ring_add(node_logs *l, log_fn *f, const char *prefix, const uint8_t *p, size_t n)
{
    size_t plen = strlen(prefix), cap = 24 + plen + 4 * n + 2;
    char *t = malloc(cap);
    if (!t) return;
    uint64_t seq = ++l->seq;
    size_t k = (size_t)snprintf(t, cap, "%llu %s", (unsigned long long)seq, prefix);
    k += esgx_escape_bytes(p, n, NULL, t + k, cap - k, NULL);
    t[k++] = '\n';
    t[k] = 0;
    while (f->count && (f->count == NODE_LOGS_LINES || f->bytes + k > NODE_LOGS_BYTES))
        ring_drop_oldest(f);
    log_line *ln = &f->lines[(f->first + f->count) % NODE_LOGS_LINES];
    ln->seq = seq;
    ln->text = t;
    ln->len = k;
    f->count++;
    f->bytes += k;
}

/* The line prefix: "2026-01-01T00:00:00.000Z STATUS ". */
static void line_prefix(const char *status, char *out, size_t cap)
{
    char stamp[40];
    esgx_node_log_stamp(stamp, sizeof stamp);
    char st[ESGX_PROTO_MAX_CODE * 4 + 1];
    esgx_escape_controls(status && status[0] ? status : "ok", st, sizeof st);
    snprintf(out, cap, "%s %s ", stamp, st);
}

void esgx_node_logs_append(node_logs *l, const char *name, const uint8_t hash[32],
                      const char *status, const uint8_t *p, size_t n)
{
    if (!n) return;
    char prefix[320];
    line_prefix(status, prefix, sizeof prefix);
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->n_fns; i++) {
        log_fn *f = l->fns[i];
        if (!f->enabled || memcmp(f->hash, hash, 32) || (name && strcmp(f->name, name)))
            continue;
        size_t s = 0;
        while (s < n) {          /* one ring line per guest line */
            const uint8_t *nl = memchr(p + s, '\n', n - s);
            size_t e = nl ? (size_t)(nl - p) : n;
            ring_add(l, f, prefix, p + s, e - s);
            s = e + 1;
        }
        f->touched = esgx_monotonic_ms();
        wake(l, f->name, 0);
    }
    pthread_mutex_unlock(&l->mu);
}

int esgx_node_logs_read(node_logs *l, const char *name, uint64_t since, char **text, size_t *len,
                   uint64_t *next, esgx_err *err)
{
    *text = NULL;
    *len = 0;
    pthread_mutex_lock(&l->mu);
    *next = l->seq;
    log_fn *f = find(l, name);
    size_t total = 0;
    for (size_t i = 0; f && i < f->count; i++) {
        const log_line *ln = &f->lines[(f->first + i) % NODE_LOGS_LINES];
        if (ln->seq > since) total += ln->len;
    }
    char *t = malloc(total + 1);
    if (!t) {
        pthread_mutex_unlock(&l->mu);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the logs of %s", name);
    }
    size_t k = 0;
    for (size_t i = 0; f && i < f->count; i++) {
        const log_line *ln = &f->lines[(f->first + i) % NODE_LOGS_LINES];
        if (ln->seq <= since) continue;
        memcpy(t + k, ln->text, ln->len);
        k += ln->len;
    }
    t[k] = 0;
    pthread_mutex_unlock(&l->mu);
    *text = t;
    *len = k;
    return ESGX_OK;
}

int esgx_node_logs_wait(node_logs *l, node_logs_waiter *w, uint64_t since)
{
    int queued = 0;
    pthread_mutex_lock(&l->mu);
    log_fn *f = find(l, w->name);
    int have = f && f->count && f->lines[(f->first + f->count - 1) % NODE_LOGS_LINES].seq > since;
    if (!have && !l->stopping) {
        w->registered = 1;
        w->next = l->waiters;
        l->waiters = w;
        pthread_cond_broadcast(&l->cond);   /* the waker looks at the new deadline */
        queued = 1;
    }
    pthread_mutex_unlock(&l->mu);
    return queued;
}

void esgx_node_logs_cancel(node_logs *l, node_logs_waiter *w)
{
    pthread_mutex_lock(&l->mu);
    for (node_logs_waiter **pp = &l->waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            w->registered = 0;
            break;
        }
    }
    pthread_mutex_unlock(&l->mu);
}
