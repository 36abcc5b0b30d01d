/*
 * test_supervisor.c: the enclave supervisor (supervisor.c) against the real esgx-enclave
 * (from ESGX_BUILD_DIR; skipped when it is not built) in a temporary data directory:
 * start with --init and INIT_KEY, the info snapshot, STATS, an EXEC whose module is not
 * in the content store (NEED_CONTENT answered 404 unknown_hash by the content thread),
 * an EXEC whose stored module is not wasm, a STATS timeout while the child is stopped
 * (SIGSTOP), the restart after kill -9 of the child (new pid, counted in the metrics),
 * MAC_REQ (esgx_sup_mac: one MAC per kind and data, the same after the restart, which
 * unseals the same key),
 * the network's fetch hook (a fake that holds, completes or fails fetches): a module being
 * fetched holds no other request back (the content thread never waits on it), and the
 * fetch's end completes the request (the module sent, or 502 fetch_failed),
 * esgx_sup_exec/esgx_sup_stats after esgx_sup_stop (ESGX_NODE_E_DOWN), and the fatal path: --init on an
 * initialised data directory makes the enclave exit 78, which calls on_fatal and makes
 * esgx_sup_wait_ready answer ESGX_NODE_E_FATAL.
 */
#define _GNU_SOURCE
#include "supervisor.h"
#include "node_log.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esgx_crypto.h"
#include "esgx_test.h"
#include "test_node.h"

/* Completion of an EXEC: on_done signals the waiter. */
typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int calls;
} waiter;

static void on_done(sup_req *r)
{
    waiter *w = r->owner;
    pthread_mutex_lock(&w->mu);
    w->calls++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

/* Waits up to ms for the first on_done call. Returns the number of calls. */
static int wait_done(waiter *w, int ms)
{
    struct timespec dl = esgx_deadline_after_ms((uint64_t)ms);
    pthread_mutex_lock(&w->mu);
    while (!w->calls && pthread_cond_timedwait(&w->cond, &w->mu, &dl) == 0) {}
    int n = w->calls;
    pthread_mutex_unlock(&w->mu);
    return n;
}

/* Sends one EXEC of hash (function "main", empty input); w counts its completion. */
static void exec_start(sup *s, const uint8_t hash[32], sup_req *r, waiter *w)
{
    memset(r, 0, sizeof *r);
    memcpy(r->hash, hash, 32);
    r->fuel = 1000000;
    r->function = "main";
    r->function_len = 4;
    r->input = (const uint8_t *)"";
    r->owner = w;
    r->on_done = on_done;
    w->calls = 0;
    CHECK_RC(esgx_sup_exec(s, r), ESGX_OK);
}

/* Runs one EXEC of hash and waits for its completion. */
static void exec_one(sup *s, const uint8_t hash[32], sup_req *r, waiter *w)
{
    exec_start(s, hash, r, w);
    CHECK_EQ_INT(wait_done(w, 20000), 1);
}

/* The network's fetch hook, faked: refuses (as for a hash not authorised) or holds the
 * request for the test to complete later, as the fetch pool would from its worker. */
typedef void (*fetch_done_fn)(void *ctx, const uint8_t hash[32], int rc, const esgx_err *err);
static struct {
    pthread_mutex_t mu;
    int hold;                      /* 0: refuse with ESGX_NODE_E_NOTFOUND */
    int asked;
    fetch_done_fn done;
    void *ctx;
} fake_net = {PTHREAD_MUTEX_INITIALIZER, 0, 0, NULL, NULL};

static int fake_fetch(void *arg, const uint8_t hash[32], fetch_done_fn done, void *ctx,
                      esgx_err *err)
{
    (void)arg;
    (void)hash;
    pthread_mutex_lock(&fake_net.mu);
    fake_net.asked++;
    int hold = fake_net.hold;
    if (hold) {
        fake_net.done = done;
        fake_net.ctx = ctx;
    }
    pthread_mutex_unlock(&fake_net.mu);
    return hold ? ESGX_OK : esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "not authorised here");
}

/* Waits (5 s at most) until the hook was asked `count` times in all. */
static int fake_asked(int count)
{
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&fake_net.mu);
        int n = fake_net.asked;
        pthread_mutex_unlock(&fake_net.mu);
        if (n >= count) return 1;
        usleep(50 * 1000);
    }
    return 0;
}

/* Ends the held fetch with rc (message msg), from this thread. */
static void fake_complete(const uint8_t hash[32], int rc, const char *msg)
{
    esgx_err e;
    esgx_err_clear(&e);
    if (rc) esgx_err_set(&e, rc, "%s", msg);
    pthread_mutex_lock(&fake_net.mu);
    fetch_done_fn done = fake_net.done;
    void *ctx = fake_net.ctx;
    fake_net.done = NULL;
    pthread_mutex_unlock(&fake_net.mu);
    CHECK(done != NULL, "a fetch is held");
    if (done) done(ctx, hash, rc, &e);
}

static _Atomic int fatal_calls;
static void on_fatal(void *arg)
{
    (void)arg;
    atomic_fetch_add(&fatal_calls, 1);
}

/* Polls until the supervisor reports a child other than old_pid with the channel up. */
static int wait_restarted(sup *s, pid_t old_pid, int ms)
{
    for (int i = 0; i < ms / 50; i++) {
        sup_info in;
        esgx_sup_get_info(s, &in);
        if (in.up && in.pid > 0 && in.pid != old_pid) return 1;
        usleep(50 * 1000);
    }
    return 0;
}

static void test_running(const node_config *cfg, content_store *cs, metrics *m)
{
    sup *s = NULL;
    esgx_err err;
    sup_hooks hooks = {.on_fatal = on_fatal, .fetch_content = fake_fetch};
    CHECK_RC(esgx_sup_new(cfg, cs, m, &hooks, &s, &err), ESGX_OK);
    if (!s) return;
    CHECK_RC(esgx_sup_wait_ready(s, 60000), ESGX_OK);
    sup_info in;
    esgx_sup_get_info(s, &in);
    CHECK(in.up && in.have_hello && in.pid > 0, "up %d hello %d pid %d", in.up, in.have_hello,
          (int)in.pid);
    CHECK_EQ_INT(in.state, ESGX_STATE_READY);
    CHECK(strlen(in.xpub) > 100, "xpub '%s'", in.xpub);
    esgx_msg_stats_reply st;
    CHECK_RC(esgx_sup_stats(s, &st, 5000), ESGX_OK);

    /* MACs: deterministic, and distinct per kind and per data */
    uint8_t data[32], other[32], tok[32], tok2[32], con[32], con2[32];
    memset(data, 0x42, sizeof data);
    memcpy(other, data, 32);
    other[31] ^= 1;
    CHECK_RC(esgx_sup_mac(s, ESGX_MAC_TOKEN, data, tok, &err), ESGX_OK);
    CHECK_RC(esgx_sup_mac(s, ESGX_MAC_TOKEN, data, tok2, &err), ESGX_OK);
    CHECK(!memcmp(tok, tok2, 32), "the token MAC is deterministic");
    CHECK_RC(esgx_sup_mac(s, ESGX_MAC_CONTENT, data, con, &err), ESGX_OK);
    CHECK(memcmp(tok, con, 32), "token and content MACs of the same data differ");
    CHECK_RC(esgx_sup_mac(s, ESGX_MAC_CONTENT, other, con2, &err), ESGX_OK);
    CHECK(memcmp(con, con2, 32), "content MACs of different hashes differ");
    CHECK(memcmp(con, data, 32) && memcmp(tok, data, 32), "a MAC is not its data");
    uint8_t held[32];
    CHECK_RC(esgx_sup_mac(s, ESGX_MAC_HELD, data, held, &err), ESGX_OK);
    CHECK(memcmp(held, con, 32) && memcmp(held, tok, 32), "held, content and token MACs differ");
    CHECK_RC(esgx_sup_mac(s, 4, data, con2, &err), ESGX_NODE_E_ARG);

    /* a module the store does not have: NEED_CONTENT -> 404 unknown_hash */
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    CHECK_EQ_INT(esgx_cond_init_monotonic(&w.cond), 0);
    sup_req r;
    uint8_t missing[32];
    memset(missing, 0x5a, sizeof missing);
    exec_one(s, missing, &r, &w);
    CHECK_EQ_INT(r.http_status, 404);
    CHECK(r.body_is_json && r.body && strstr(r.body, "\"code\":\"unknown_hash\""), "body %s",
          r.body ? r.body : "(none)");
    free(r.body);

    /* a stored module that is not wasm: the enclave gets it and refuses it */
    char hex[65];
    int created;
    uint8_t junk[32];
    CHECK_RC(esgx_content_put(cs, (const uint8_t *)"not a wasm module", 17, hex, &created, &err),
             ESGX_OK);
    (void)!esgx_crypto_hex_decode(hex, 64, junk, 32, NULL, NULL); /* a fixed valid hex */
    exec_one(s, junk, &r, &w);
    CHECK(r.http_status >= 400 && r.http_status < 500, "status %u", r.http_status);
    CHECK(r.body_is_json && r.content_sent, "json %d content_sent %d", r.body_is_json,
          r.content_sent);
    free(r.body);

    /* a module being fetched holds nothing back: while its fetch is held, another call
     * completes; the fetch's end sends the module (here not wasm: refused) */
    pthread_mutex_lock(&fake_net.mu);
    fake_net.hold = 1;
    int asked = fake_net.asked;
    pthread_mutex_unlock(&fake_net.mu);
    static const char later[] = "fetched later, not wasm either";
    uint8_t lh[32];
    esgx_blake3_hash(later, sizeof later - 1, lh);
    waiter wa = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    CHECK_EQ_INT(esgx_cond_init_monotonic(&wa.cond), 0);
    sup_req ra;
    exec_start(s, lh, &ra, &wa);
    CHECK(fake_asked(asked + 1), "the content thread asked the network for the module");
    exec_one(s, junk, &r, &w);   /* the content thread is free meanwhile */
    CHECK(r.http_status >= 400 && r.http_status < 500, "status %u", r.http_status);
    free(r.body);
    CHECK_EQ_INT(wait_done(&wa, 200), 0);   /* still waiting for its fetch */
    CHECK_RC(esgx_content_put(cs, (const uint8_t *)later, sizeof later - 1, hex, &created, &err),
             ESGX_OK);
    fake_complete(lh, ESGX_OK, "");
    CHECK_EQ_INT(wait_done(&wa, 20000), 1);
    CHECK(ra.http_status >= 400 && ra.http_status < 500 && ra.content_sent,
          "status %u content_sent %d", ra.http_status, ra.content_sent);
    free(ra.body);

    /* a fetch that fails (every source too slow): 502 fetch_failed with its reason */
    uint8_t slow[32];
    memset(slow, 0x5b, sizeof slow);
    exec_start(s, slow, &ra, &wa);
    CHECK(fake_asked(asked + 2), "the content thread asked the network again");
    fake_complete(slow, ESGX_NODE_E_FETCH, "http://drip/content/5b5b: Operation too slow");
    CHECK_EQ_INT(wait_done(&wa, 20000), 1);
    CHECK_EQ_INT(ra.http_status, 502);
    CHECK(ra.body && strstr(ra.body, "\"code\":\"fetch_failed\"") &&
          strstr(ra.body, "Operation too slow"), "body %s", ra.body ? ra.body : "(none)");
    free(ra.body);
    pthread_mutex_lock(&fake_net.mu);
    fake_net.hold = 0;
    pthread_mutex_unlock(&fake_net.mu);

    /* a stopped child does not answer: the sync request times out */
    esgx_sup_get_info(s, &in);
    CHECK_EQ_INT(kill(in.pid, SIGSTOP), 0);
    uint64_t t0 = esgx_monotonic_ms();
    CHECK_RC(esgx_sup_stats(s, &st, 300), ESGX_NODE_E_TIMEOUT);
    uint64_t waited = esgx_monotonic_ms() - t0;
    CHECK(waited >= 290 && waited < 5000, "waited %llu ms", (unsigned long long)waited);
    CHECK_EQ_INT(kill(in.pid, SIGCONT), 0);

    /* kill -9: the supervisor restarts the enclave and counts it */
    pid_t old = in.pid;
    CHECK_EQ_INT(kill(old, SIGKILL), 0);
    CHECK(wait_restarted(s, old, 20000), "no restart after kill -9 of pid %d", (int)old);
    CHECK_RC(esgx_sup_stats(s, &st, 5000), ESGX_OK);
    CHECK_RC(esgx_sup_mac(s, ESGX_MAC_CONTENT, data, con2, &err), ESGX_OK);
    CHECK(!memcmp(con, con2, 32), "the content MAC is the same after the restart");
    size_t len;
    esgx_sup_get_info(s, &in);
    CHECK(in.tier && (!strcmp(in.tier, "interp") || !strcmp(in.tier, "jit")),
          "the enclave's HELLO names its tier (%s)", in.tier ? in.tier : "none");
    metrics_snapshot snap = {.content_bytes = esgx_content_total_bytes(cs),
                             .enclave_up = in.up, .key_ready = in.state == ESGX_STATE_READY,
                             .tier = in.tier, .have_enclave_stats = 1, .enclave = st};
    char *text = esgx_metrics_render(m, &snap, &len);
    CHECK(text && strstr(text, "\nesgx_enclave_restarts_total 1\n"), "metrics:\n%s",
          text ? text : "(none)");
    CHECK(text && strstr(text, "\nesgx_enclave_up 1\n"), "enclave_up");
    CHECK(text && strstr(text, "\nesgx_jit_refused_functions 0\n"), "jit_refused");
    char want[64];
    snprintf(want, sizeof want, "\nesgx_wasm_tier{tier=\"%s\"} 1\n", in.tier ? in.tier : "?");
    CHECK(text && strstr(text, want), "metrics name the enclave's tier");
    free(text);
    CHECK_EQ_INT(atomic_load(&fatal_calls), 0);

    esgx_sup_stop(s, 10000);
    esgx_sup_get_info(s, &in);
    CHECK(!in.up && in.pid == 0, "after stop: up %d pid %d", in.up, (int)in.pid);
    memset(&r, 0, sizeof r);
    CHECK_RC(esgx_sup_exec(s, &r), ESGX_NODE_E_DOWN);
    CHECK_RC(esgx_sup_stats(s, &st, 1000), ESGX_NODE_E_DOWN);
    CHECK_RC(esgx_sup_mac(s, ESGX_MAC_TOKEN, data, tok2, &err), ESGX_NODE_E_DOWN);
    CHECK_RC(esgx_sup_wait_ready(s, 1000), ESGX_NODE_E_DOWN);
    esgx_sup_free(s);
}

/* --init on a data directory that has a sealed key: the enclave exits 78. */
static void test_fatal(const node_config *cfg, content_store *cs, metrics *m)
{
    sup *s = NULL;
    esgx_err err;
    sup_hooks hooks = {.on_fatal = on_fatal};
    atomic_store(&fatal_calls, 0);
    CHECK_RC(esgx_sup_new(cfg, cs, m, &hooks, &s, &err), ESGX_OK);
    if (!s) return;
    CHECK_RC(esgx_sup_wait_ready(s, 30000), ESGX_NODE_E_FATAL);
    esgx_sup_free(s); /* joins the supervisor thread, which calls on_fatal after the flag */
    CHECK_EQ_INT(atomic_load(&fatal_calls), 1);
}

int main(void)
{
    const char *build = getenv("ESGX_BUILD_DIR");
    char enclave[4096];
    snprintf(enclave, sizeof enclave, "%s/esgx-enclave", build ? build : "build");
    if (access(enclave, X_OK)) {
        printf("skip: %s not built\n", enclave);
        return 77;
    }
    char dir[] = "/tmp/esgx-test-sup.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    esgx_node_log_set_level(getenv("ESGX_TEST_VERBOSE") ? NODE_LOG_DEBUG : NODE_LOG_ERROR);
    signal(SIGPIPE, SIG_IGN);
    node_config cfg = {.data_dir = dir, .enclave_path = enclave, .init = 1, .workers = 2,
                       .max_content = ESGX_DEFAULT_MAX_CONTENT,
                       .max_input = ESGX_DEFAULT_MAX_INPUT,
                       .max_output = ESGX_DEFAULT_MAX_OUTPUT, .fuel = ESGX_DEFAULT_FUEL,
                       .memory_pages = ESGX_DEFAULT_MEMORY_PAGES, .log_level = NODE_LOG_ERROR};
    content_store *cs = NULL;
    metrics *m = NULL;
    esgx_err err;
    CHECK_RC(esgx_content_open(dir, &cs, &err), ESGX_OK);
    CHECK_RC(esgx_metrics_new(&m, &err), ESGX_OK);
    if (cs && m) {
        test_running(&cfg, cs, m);
        test_fatal(&cfg, cs, m);
    }
    esgx_content_close(cs);
    esgx_metrics_free(m);
    test_remove_dir(dir);
    return ESGX_TEST_SUMMARY("node_supervisor");
}
