/*
 * supervisor.c: the esgx-enclave child process and its channel (docs/channel.md).
 *
 * Threads:
 *   supervisor  forks/execs the enclave with one end of a socketpair, reads HELLO
 *               (and does INIT_KEY when asked), then is the channel's only reader:
 *               RESULT / STATS_REPLY complete requests by id, NEED_CONTENT is queued
 *               for the content thread. When the channel breaks it fails every
 *               in-flight request with 503 enclave_restarting, reaps the child and
 *               starts a new one with exponential backoff (100 ms .. 5 s, reset after
 *               30 s of uptime). Exit status 78 from the enclave is a fatal config error.
 *   content     answers NEED_CONTENT: reads the module from the content store and
 *               resends the EXEC with it (or fails the request with 404). Kept off the
 *               reader thread so the reader never blocks on a large write.
 *   callers     (HTTP threads) send EXECs themselves, pipelined on the one socket.
 *   collateral  (collateral.c) answers the enclave's COLLATERAL_REQ, which the reader
 *               only queues: fetching from a PCCS may block on the network.
 *
 * Locks: g_wmu serialises writes and guards g_fd/g_chan_up (the fd is closed only with
 * g_chan_up cleared under g_wmu, so a writer never sees a stale fd); g_tmu guards the
 * request table and each request's done/busy flags; g_mu guards g_info and lifecycle.
 * Order: g_wmu before g_tmu. A request completes exactly once: whoever sets done under
 * g_tmu fills the result, and on_done runs outside the locks, deferred to the content
 * thread while it is still sending that request's EXEC (busy).
 */
#define _GNU_SOURCE
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "esgx_crypto.h"

#define TABLE_SIZE 4096
#define EX_CONFIG 78

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static sup_info g_info;
static int g_fatal;
static int g_stopping;
static int g_init_pending;
static int g_failed_starts;       /* attempts that ended before the channel was up */

static pthread_mutex_t g_wmu = PTHREAD_MUTEX_INITIALIZER;
static int g_fd = -1;
static int g_chan_up;

static pthread_mutex_t g_tmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_sync_cond = PTHREAD_COND_INITIALIZER;
static sup_req *g_table[TABLE_SIZE];
static _Atomic uint64_t g_next_id = 1;

static pthread_mutex_t g_cmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_ccond = PTHREAD_COND_INITIALIZER;
static uint64_t *g_cq;
static size_t g_cq_head, g_cq_len, g_cq_cap;
static int g_cstop;

static pthread_t g_sup_thread, g_content_thread;
static int g_threads_started;

/* ---------------------------------------------------------------- request table */

static void table_insert(sup_req *r)
{
    sup_req **b = &g_table[r->id % TABLE_SIZE];
    r->next = *b;
    *b = r;
}

static sup_req *table_find(uint64_t id)
{
    for (sup_req *r = g_table[id % TABLE_SIZE]; r; r = r->next)
        if (r->id == id) return r;
    return NULL;
}

static void table_remove(sup_req *r)
{
    for (sup_req **p = &g_table[r->id % TABLE_SIZE]; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            r->next = NULL;
            return;
        }
}

/* Builds the JSON error body. Returns a malloc'ed string (never NULL on success). */
char *node_error_json(const char *code, const char *message, size_t *len)
{
    json_t *o = json_pack("{s:s, s:s}", "error", message ? message : code, "code", code);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) s = strdup("{\"error\":\"internal error\",\"code\":\"internal\"}");
    if (s && len) *len = strlen(s);
    return s;
}

static void set_error(sup_req *r, unsigned status, const char *code, const char *message)
{
    free(r->body);
    r->http_status = status;
    r->body = node_error_json(code, message, &r->body_len);
    r->body_is_json = 1;
}

/* Completes r with an error unless it is already done. */
static void finish_error(sup_req *r, unsigned status, const char *code, const char *msg)
{
    void (*fn)(sup_req *) = NULL;
    pthread_mutex_lock(&g_tmu);
    if (!r->done) {
        table_remove(r);
        set_error(r, status, code, msg);
        r->done = 1;
        if (!r->busy) fn = r->on_done;
    }
    pthread_mutex_unlock(&g_tmu);
    if (fn) fn(r);
}

/* Fails every request in the table (channel lost). */
static void fail_all(const char *code, const char *msg)
{
    sup_req *list = NULL;
    pthread_mutex_lock(&g_tmu);
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        sup_req *r = g_table[i];
        g_table[i] = NULL;
        while (r) {
            sup_req *n = r->next;
            set_error(r, 503, code, msg);
            r->done = 1;
            if (!r->busy && r->on_done) {
                r->next = list;
                list = r;
            } else {
                r->next = NULL;
            }
            r = n;
        }
    }
    pthread_cond_broadcast(&g_sync_cond); /* wakes sup_stats waiters */
    pthread_mutex_unlock(&g_tmu);
    while (list) {
        sup_req *n = list->next;
        list->next = NULL;
        list->on_done(list);
        list = n;
    }
}

/* ---------------------------------------------------------------- results */

static unsigned status_for(const esgx_msg_result *res)
{
    const char *c = (const char *)res->code.ptr;
    size_t n = res->code.len;
#define IS(s) (n == sizeof s - 1 && memcmp(c, s, n) == 0)
    switch (res->status) {
    case ESGX_RESULT_OK: return 200;
    case ESGX_RESULT_TRAP: return 422;
    case ESGX_RESULT_BAD_REQUEST:
        if (IS("input_too_large") || IS("content_too_large")) return 413;
        if (IS("no_such_function")) return 404;
        return 400;
    case ESGX_RESULT_NOT_READY: return 503;
    default: return 500;
    }
#undef IS
}

/* Builds the HTTP body for a RESULT into r (outside the table lock). */
static void fill_result(sup_req *r, const esgx_msg_result *res)
{
    r->http_status = status_for(res);
    if (res->status == ESGX_RESULT_OK) {
        size_t hl = esgx_proto_header_len(res);
        char *b = malloc(hl + res->output.len);
        size_t n = 0;
        if (!b || esgx_proto_format_header(res, b, hl, &n, NULL)) {
            free(b);
            set_error(r, 500, "internal", "cannot build the response header");
            return;
        }
        if (res->output.len) memcpy(b + n, res->output.ptr, res->output.len);
        r->body = b;
        r->body_len = n + res->output.len;
        r->body_is_json = 0;
        return;
    }
    char code[ESGX_PROTO_MAX_CODE + 1], msg[ESGX_PROTO_MAX_MESSAGE + 1];
    snprintf(code, sizeof code, "%.*s", (int)res->code.len, (const char *)res->code.ptr);
    snprintf(msg, sizeof msg, "%.*s", (int)res->message.len, (const char *)res->message.ptr);
    unsigned st = r->http_status;
    set_error(r, st, code, msg[0] ? msg : code);
}

static void on_result(const esgx_msg *m)
{
    sup_req tmp;
    memset(&tmp, 0, sizeof tmp);
    fill_result(&tmp, &m->u.result);
    metrics_invocation(m->u.result.status == ESGX_RESULT_TRAP);
    void (*fn)(sup_req *) = NULL;
    sup_req *r;
    pthread_mutex_lock(&g_tmu);
    r = table_find(m->id);
    if (r && !r->done) {
        table_remove(r);
        free(r->body);
        r->http_status = tmp.http_status;
        r->body = tmp.body;
        r->body_len = tmp.body_len;
        r->body_is_json = tmp.body_is_json;
        tmp.body = NULL;
        r->done = 1;
        if (!r->busy) fn = r->on_done;
    }
    pthread_mutex_unlock(&g_tmu);
    if (!r) node_log(NODE_LOG_WARN, "RESULT for unknown request id %llu",
                     (unsigned long long)m->id);
    free(tmp.body);
    if (fn) fn(r);
}

static void on_stats(const esgx_msg *m)
{
    pthread_mutex_lock(&g_tmu);
    sup_req *r = table_find(m->id);
    if (r && !r->done) {
        table_remove(r);
        r->stats = m->u.stats;
        r->http_status = 200;
        r->done = 1;
    }
    pthread_cond_broadcast(&g_sync_cond);
    pthread_mutex_unlock(&g_tmu);
}

static void copy_str(char *dst, size_t cap, esgx_bytes b)
{
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    if (n) memcpy(dst, b.ptr, n);
    dst[n] = 0;
}

/* ESGX_ATTEST_DOC_REPLY: copies the document into the waiting sync request. */
static void on_attest_doc(const esgx_msg *m)
{
    const esgx_msg_attest_doc *a = &m->u.attest_doc;
    uint8_t *q = NULL;
    if (a->quote.len && (q = malloc(a->quote.len))) memcpy(q, a->quote.ptr, a->quote.len);
    pthread_mutex_lock(&g_tmu);
    sup_req *r = table_find(m->id);
    if (r && !r->done && r->doc) {
        table_remove(r);
        sup_attest_doc *d = r->doc;
        d->state = a->state;
        snprintf(d->xpub, sizeof d->xpub, "%.*s", (int)a->xpub.len, (const char *)a->xpub.ptr);
        memcpy(d->public_key, a->public_key, 33);
        d->quote = q;
        d->quote_len = q ? a->quote.len : 0;
        q = NULL;
        if (a->quote.len && !d->quote) snprintf(d->error, sizeof d->error, "out of memory");
        else
            snprintf(d->error, sizeof d->error, "%.*s", (int)a->error.len,
                     (const char *)a->error.ptr);
        r->http_status = 200;
        r->done = 1;
    }
    pthread_cond_broadcast(&g_sync_cond);
    pthread_mutex_unlock(&g_tmu);
    free(q);
}

/* KEY_STATUS outside INIT_KEY: sent unsolicited (id 0) when the enclave got the network
 * key from a peer (--peers). Record it: invocations stop answering 503 no_key. */
static void on_key_status(const esgx_msg *m)
{
    const esgx_msg_key_status *k = &m->u.key_status;
    if (k->state != ESGX_STATE_READY) {
        node_log(NODE_LOG_WARN, "enclave reports no key: %.*s", (int)k->error.len,
                 (const char *)k->error.ptr);
        return;
    }
    pthread_mutex_lock(&g_mu);
    g_info.state = ESGX_STATE_READY;
    copy_str(g_info.xpub, sizeof g_info.xpub, k->xpub);
    memcpy(g_info.public_key, k->public_key, 33);
    pthread_mutex_unlock(&g_mu);
    node_log(NODE_LOG_INFO, "the enclave obtained the network key from a peer; xpub %.*s",
             (int)k->xpub.len, (const char *)k->xpub.ptr);
}

/* ---------------------------------------------------------------- content thread */

static void content_enqueue(uint64_t id)
{
    pthread_mutex_lock(&g_cmu);
    if (g_cq_len == g_cq_cap) {
        size_t ncap = g_cq_cap ? 2 * g_cq_cap : 64;
        uint64_t *nq = malloc(ncap * sizeof *nq);
        if (!nq) {
            pthread_mutex_unlock(&g_cmu);
            node_log(NODE_LOG_ERROR, "out of memory queueing NEED_CONTENT");
            return;
        }
        for (size_t i = 0; i < g_cq_len; i++) nq[i] = g_cq[(g_cq_head + i) % g_cq_cap];
        free(g_cq);
        g_cq = nq;
        g_cq_cap = ncap;
        g_cq_head = 0;
    }
    g_cq[(g_cq_head + g_cq_len) % g_cq_cap] = id;
    g_cq_len++;
    pthread_cond_signal(&g_ccond);
    pthread_mutex_unlock(&g_cmu);
}

static void content_job(uint64_t id)
{
    pthread_mutex_lock(&g_tmu);
    sup_req *r = table_find(id);
    if (!r || r->done) {
        pthread_mutex_unlock(&g_tmu);
        return;
    }
    if (r->content_sent) { /* the enclave asked twice: it did not accept the module */
        pthread_mutex_unlock(&g_tmu);
        finish_error(r, 500, "internal", "enclave asked for content it was already given");
        return;
    }
    r->busy = 1;
    pthread_mutex_unlock(&g_tmu);

    unsigned fail_status = 0;
    const char *fail_code = NULL;
    char fail_msg[ESGX_ERR_MSG_MAX + 64] = "";
    uint8_t *data = NULL;
    size_t len = 0;
    esgx_err err;
    int rc = content_read(r->hash, &data, &len, &err);
    if (rc == ESGX_NODE_E_NOTFOUND) {
        char hex[65];
        esgx_crypto_hex_encode(r->hash, 32, hex);
        fail_status = 404, fail_code = "unknown_hash";
        snprintf(fail_msg, sizeof fail_msg, "no content with hash %s", hex);
    } else if (rc) {
        fail_status = 500, fail_code = "internal";
        snprintf(fail_msg, sizeof fail_msg, "content store: %s", err.msg);
        node_log(NODE_LOG_ERROR, "%s", fail_msg);
    } else {
        esgx_msg m;
        memset(&m, 0, sizeof m);
        m.type = ESGX_MSG_EXEC;
        m.id = id;
        memcpy(m.u.exec.module_hash, r->hash, 32);
        m.u.exec.decrypt = r->decrypt;
        m.u.exec.fuel = r->fuel;
        m.u.exec.function = (esgx_bytes){(const uint8_t *)r->function, r->function_len};
        m.u.exec.input = (esgx_bytes){r->input, r->input_len};
        m.u.exec.has_content = 1;
        m.u.exec.content = (esgx_bytes){data, len};
        pthread_mutex_lock(&g_wmu);
        if (g_chan_up) {
            if (esgx_proto_send(g_fd, &m, &err))
                node_log(NODE_LOG_WARN, "sending content for request %llu: %s",
                         (unsigned long long)id, err.msg);
            /* a broken channel is noticed by the reader, which fails the request */
        }
        pthread_mutex_unlock(&g_wmu);
        free(data);
    }
    void (*fn)(sup_req *) = NULL;
    pthread_mutex_lock(&g_tmu);
    r->busy = 0;
    r->content_sent = 1;
    if (fail_status && !r->done) {
        table_remove(r);
        set_error(r, fail_status, fail_code, fail_msg);
        r->done = 1;
    }
    if (r->done) fn = r->on_done;
    pthread_mutex_unlock(&g_tmu);
    if (fn) fn(r);
}

static void *content_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&g_cmu);
        while (!g_cq_len && !g_cstop) pthread_cond_wait(&g_ccond, &g_cmu);
        if (!g_cq_len && g_cstop) {
            pthread_mutex_unlock(&g_cmu);
            return NULL;
        }
        uint64_t id = g_cq[g_cq_head];
        g_cq_head = (g_cq_head + 1) % g_cq_cap;
        g_cq_len--;
        pthread_mutex_unlock(&g_cmu);
        content_job(id);
    }
}

/* ---------------------------------------------------------------- child process */

static const char *level_name(int l)
{
    static const char *n[] = {"error", "warn", "info", "debug"};
    return l >= 0 && l <= 3 ? n[l] : "info";
}

/* Forks and execs the enclave. Returns its pid and sets *fd, or -1. */
static pid_t spawn_enclave(int with_init, int *fd)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        node_log(NODE_LOG_ERROR, "socketpair: %s", strerror(errno));
        return -1;
    }
    int bufsz = 1 << 20;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
    char s_fd[16];
    snprintf(s_fd, sizeof s_fd, "%d", sv[1]);
    /* the numeric limits, each as "--flag VALUE" */
    const struct { const char *flag; unsigned long long v; } nums[] = {
        {"--fuel", g_cfg.fuel},
        {"--workers", g_cfg.workers},
        {"--max-content", g_cfg.max_content},
        {"--max-input", g_cfg.max_input},
        {"--max-output", g_cfg.max_output},
        {"--memory-pages", g_cfg.memory_pages},
        {"--compile-threads", g_cfg.compile_threads},
    };
    enum { N_NUMS = sizeof nums / sizeof nums[0] };
    char s_num[N_NUMS][24];
    const char *argv[80];
    int a = 0;
    argv[a++] = g_cfg.enclave_path;
    argv[a++] = "--data-dir";
    argv[a++] = g_cfg.data_dir;
    argv[a++] = "--channel-fd";
    argv[a++] = s_fd;
    if (with_init) argv[a++] = "--init";
    for (size_t k = 0; k < N_NUMS; k++) {
        snprintf(s_num[k], sizeof s_num[k], "%llu", nums[k].v);
        argv[a++] = nums[k].flag;
        argv[a++] = s_num[k];
    }
    if (g_cfg.debug) argv[a++] = "--debug";
    if (g_cfg.sim_bundle) argv[a++] = "--sim-bundle", argv[a++] = g_cfg.sim_bundle;
    if (g_cfg.peer_listen) argv[a++] = "--peer-listen", argv[a++] = g_cfg.peer_listen;
    if (g_cfg.peers && !with_init) argv[a++] = "--peers", argv[a++] = g_cfg.peers;
    if (g_cfg.collateral) argv[a++] = "--collateral", argv[a++] = g_cfg.collateral;
    if (g_cfg.pccs_url) argv[a++] = "--collateral-from-host";
    if (g_cfg.sim_root) argv[a++] = "--sim-root", argv[a++] = g_cfg.sim_root;
    if (g_cfg.accept_status) argv[a++] = "--accept-status", argv[a++] = g_cfg.accept_status;
    for (unsigned t = 0; t < g_cfg.n_trust; t++)
        argv[a++] = "--trust-mrenclave", argv[a++] = g_cfg.trust_mrenclave[t];
    argv[a++] = "--log-level";
    argv[a++] = level_name(g_cfg.log_level);
    argv[a] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        node_log(NODE_LOG_ERROR, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        /* child: only async-signal-safe calls until exec */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        int fl = fcntl(sv[1], F_GETFD);
        fcntl(sv[1], F_SETFD, fl & ~FD_CLOEXEC);
        int dn = open("/dev/null", O_RDONLY);
        if (dn >= 0 && dn != 0) {
            dup2(dn, 0);
            close(dn);
        }
        execv(g_cfg.enclave_path, (char *const *)argv);
        _exit(127);
    }
    close(sv[1]);
    *fd = sv[0];
    return pid;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms unless stopping. */
static void backoff_sleep(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&g_mu);
    while (!g_stopping)
        if (pthread_cond_timedwait(&g_cond, &g_mu, &ts) == ETIMEDOUT) break;
    pthread_mutex_unlock(&g_mu);
}

static void set_fatal(const char *why)
{
    node_log(NODE_LOG_ERROR, "fatal: %s", why);
    pthread_mutex_lock(&g_mu);
    g_fatal = 1;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_mu);
    node_request_shutdown(1);
}

/* Handshake: HELLO, then INIT_KEY if pending. Returns 0, -1 (restart) or -2 (fatal). */
static int handshake(esgx_proto_reader *rd, int fd)
{
    esgx_msg m;
    esgx_err err;
    if (esgx_proto_read(rd, fd, &m, &err)) {
        node_log(NODE_LOG_ERROR, "enclave did not say HELLO: %s", err.msg);
        return -1;
    }
    if (m.type != ESGX_MSG_HELLO) {
        node_log(NODE_LOG_ERROR, "enclave sent %s before HELLO", esgx_proto_type_name(m.type));
        return -1;
    }
    pthread_mutex_lock(&g_mu);
    g_info.state = m.u.hello.state;
    copy_str(g_info.platform, sizeof g_info.platform, m.u.hello.platform);
    memcpy(g_info.mrenclave, m.u.hello.mrenclave, 32);
    memcpy(g_info.mrsigner, m.u.hello.mrsigner, 32);
    copy_str(g_info.xpub, sizeof g_info.xpub, m.u.hello.xpub);
    memcpy(g_info.public_key, m.u.hello.public_key, 33);
    g_info.have_hello = 1;
    int init = g_init_pending;
    pthread_mutex_unlock(&g_mu);
    node_log(NODE_LOG_INFO, "enclave up: platform %s, state %s", g_info.platform,
             m.u.hello.state == ESGX_STATE_READY ? "ready" : "no key");
    if (!init) {
        if (m.u.hello.state != ESGX_STATE_READY)
            node_log(NODE_LOG_WARN, "enclave has no shared key: invocations answer 503 no_key "
                                    "(run esgxd --init on the first node)");
        return 0;
    }
    if (m.u.hello.state == ESGX_STATE_READY) return 0; /* already initialised */
    esgx_msg q;
    memset(&q, 0, sizeof q);
    q.type = ESGX_MSG_INIT_KEY;
    q.id = atomic_fetch_add(&g_next_id, 1);
    if (esgx_proto_send(fd, &q, &err)) {
        node_log(NODE_LOG_ERROR, "sending INIT_KEY: %s", err.msg);
        return -1;
    }
    if (esgx_proto_read(rd, fd, &m, &err)) {
        node_log(NODE_LOG_ERROR, "waiting for KEY_STATUS: %s", err.msg);
        return -1;
    }
    if (m.type != ESGX_MSG_KEY_STATUS || m.id != q.id) {
        node_log(NODE_LOG_ERROR, "enclave answered INIT_KEY with %s", esgx_proto_type_name(m.type));
        return -1;
    }
    if (m.u.key_status.state != ESGX_STATE_READY) {
        node_log(NODE_LOG_ERROR, "INIT_KEY failed: %.*s", (int)m.u.key_status.error.len,
                 (const char *)m.u.key_status.error.ptr);
        return -2;
    }
    pthread_mutex_lock(&g_mu);
    g_info.state = ESGX_STATE_READY;
    copy_str(g_info.xpub, sizeof g_info.xpub, m.u.key_status.xpub);
    memcpy(g_info.public_key, m.u.key_status.public_key, 33);
    g_init_pending = 0;
    pthread_mutex_unlock(&g_mu);
    node_log(NODE_LOG_INFO, "shared key created; network xpub %s", g_info.xpub);
    return 0;
}

static void *sup_main(void *arg)
{
    (void)arg;
    int backoff = 100;
    for (;;) {
        pthread_mutex_lock(&g_mu);
        int stop = g_stopping, init = g_init_pending;
        pthread_mutex_unlock(&g_mu);
        if (stop) break;
        int fd = -1;
        pid_t pid = spawn_enclave(init, &fd);
        if (pid < 0) {
            pthread_mutex_lock(&g_mu);
            g_failed_starts++;
            pthread_cond_broadcast(&g_cond);
            pthread_mutex_unlock(&g_mu);
            backoff_sleep(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
            continue;
        }
        int64_t started = now_ms();
        pthread_mutex_lock(&g_mu);
        g_info.pid = pid;
        pthread_mutex_unlock(&g_mu);
        node_log(NODE_LOG_INFO, "started enclave pid %d", (int)pid);
        esgx_proto_reader rd;
        esgx_proto_reader_init(&rd);
        int hs = handshake(&rd, fd);
        if (hs == 0) {
            pthread_mutex_lock(&g_wmu);
            g_fd = fd;
            g_chan_up = 1;
            pthread_mutex_unlock(&g_wmu);
            pthread_mutex_lock(&g_mu);
            g_info.up = 1;
            pthread_cond_broadcast(&g_cond);
            pthread_mutex_unlock(&g_mu);
            esgx_msg m;
            esgx_err err;
            int rc;
            while ((rc = esgx_proto_read(&rd, fd, &m, &err)) == 0) {
                switch (m.type) {
                case ESGX_MSG_RESULT: on_result(&m); break;
                case ESGX_MSG_NEED_CONTENT: content_enqueue(m.id); break;
                case ESGX_MSG_STATS_REPLY: on_stats(&m); break;
                case ESGX_MSG_ATTEST_DOC_REPLY: on_attest_doc(&m); break;
                case ESGX_MSG_KEY_STATUS: on_key_status(&m); break;
                case ESGX_MSG_COLLATERAL_REQ: collat_request(m.id, &m.u.collateral_req); break;
                default:
                    rc = esgx_err_set(&err, ESGX_PROTO_E_TYPE, "unexpected %s from the enclave",
                                      esgx_proto_type_name(m.type));
                    break;
                }
                if (rc) break;
            }
            pthread_mutex_lock(&g_mu);
            stop = g_stopping;
            pthread_mutex_unlock(&g_mu);
            if (!(stop && rc == ESGX_PROTO_E_CLOSED))
                node_log(NODE_LOG_ERROR, "enclave channel lost: %s", err.msg);
            pthread_mutex_lock(&g_wmu);
            g_chan_up = 0;
            g_fd = -1;
            pthread_mutex_unlock(&g_wmu);
        }
        pthread_mutex_lock(&g_mu);
        g_info.up = 0;
        stop = g_stopping;
        if (hs != 0) g_failed_starts++;
        pthread_cond_broadcast(&g_cond);
        pthread_mutex_unlock(&g_mu);
        fail_all("enclave_restarting", "the enclave process stopped; retry shortly");
        esgx_proto_reader_free(&rd);
        shutdown(fd, SHUT_RDWR);
        close(fd);
        if (!stop || hs != 0) kill(pid, SIGKILL);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        pthread_mutex_lock(&g_mu);
        g_info.pid = 0;
        pthread_mutex_unlock(&g_mu);
        if (WIFEXITED(status))
            node_log(stop ? NODE_LOG_INFO : NODE_LOG_WARN, "enclave pid %d exited with status %d",
                     (int)pid, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            node_log(stop ? NODE_LOG_INFO : NODE_LOG_WARN, "enclave pid %d killed by signal %d",
                     (int)pid, WTERMSIG(status));
        if (hs == -2 || (WIFEXITED(status) && WEXITSTATUS(status) == EX_CONFIG)) {
            set_fatal("the enclave refused its configuration (see its log above)");
            break;
        }
        if (stop) break;
        metrics_enclave_restart();
        if (now_ms() - started > 30000) backoff = 100;
        node_log(NODE_LOG_INFO, "restarting the enclave in %d ms", backoff);
        backoff_sleep(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
    pthread_mutex_lock(&g_mu);
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_mu);
    return NULL;
}

/* ---------------------------------------------------------------- public */

int sup_start(esgx_err *err)
{
    g_init_pending = g_cfg.init;
    if (pthread_create(&g_content_thread, NULL, content_main, NULL))
        return esgx_err_set(err, ESGX_NODE_E_IO, "cannot start the content thread");
    if (pthread_create(&g_sup_thread, NULL, sup_main, NULL))
        return esgx_err_set(err, ESGX_NODE_E_IO, "cannot start the supervisor thread");
    g_threads_started = 1;
    return ESGX_OK;
}

int sup_wait_ready(int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    int rc = -1;
    pthread_mutex_lock(&g_mu);
    for (;;) {
        if (g_info.up && !g_init_pending) {
            rc = 0;
            break;
        }
        if (g_fatal || g_stopping) break;
        if (g_failed_starts && !g_init_pending) break; /* serve (503) while retrying */
        int64_t left = deadline - now_ms();
        if (left <= 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g_cond, &g_mu, &ts);
    }
    pthread_mutex_unlock(&g_mu);
    return rc;
}

void sup_get_info(sup_info *out)
{
    pthread_mutex_lock(&g_mu);
    *out = g_info;
    pthread_mutex_unlock(&g_mu);
}

int sup_exec(sup_req *r)
{
    r->id = atomic_fetch_add(&g_next_id, 1);
    r->done = r->busy = r->content_sent = 0;
    r->next = NULL;
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_EXEC;
    m.id = r->id;
    memcpy(m.u.exec.module_hash, r->hash, 32);
    m.u.exec.decrypt = r->decrypt;
    m.u.exec.fuel = r->fuel;
    m.u.exec.function = (esgx_bytes){(const uint8_t *)r->function, r->function_len};
    m.u.exec.input = (esgx_bytes){r->input, r->input_len};
    esgx_err err;
    pthread_mutex_lock(&g_wmu);
    if (!g_chan_up) {
        pthread_mutex_unlock(&g_wmu);
        return ESGX_NODE_E_DOWN;
    }
    pthread_mutex_lock(&g_tmu);
    table_insert(r);
    pthread_mutex_unlock(&g_tmu);
    int rc = esgx_proto_send(g_fd, &m, &err);
    pthread_mutex_unlock(&g_wmu);
    if (rc) {
        node_log(NODE_LOG_DEBUG, "sending EXEC %llu: %s", (unsigned long long)r->id, err.msg);
        finish_error(r, 503, "enclave_restarting", "the enclave channel failed; retry shortly");
    }
    return ESGX_OK;
}

int sup_send(const esgx_msg *m)
{
    esgx_err err;
    int rc = ESGX_NODE_E_DOWN;
    pthread_mutex_lock(&g_wmu);
    if (g_chan_up) {
        if (esgx_proto_send(g_fd, m, &err) == 0) rc = 0;
        else node_log(NODE_LOG_WARN, "sending %s: %s", esgx_proto_type_name(m->type), err.msg);
    }
    pthread_mutex_unlock(&g_wmu);
    return rc;
}

/* Sends an empty-payload request of type and waits for its reply (r->done). */
static int sync_request(sup_req *r, uint8_t type, int timeout_ms)
{
    r->id = atomic_fetch_add(&g_next_id, 1);
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.id = r->id;
    pthread_mutex_lock(&g_wmu);
    if (!g_chan_up) {
        pthread_mutex_unlock(&g_wmu);
        return -1;
    }
    pthread_mutex_lock(&g_tmu);
    table_insert(r);
    pthread_mutex_unlock(&g_tmu);
    int rc = esgx_proto_send(g_fd, &m, NULL);
    pthread_mutex_unlock(&g_wmu);
    int64_t deadline = now_ms() + timeout_ms;
    pthread_mutex_lock(&g_tmu);
    while (!r->done && rc == 0) {
        int64_t left = deadline - now_ms();
        if (left <= 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (long)(left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g_sync_cond, &g_tmu, &ts);
    }
    int ok = r->done && r->http_status == 200;
    if (!r->done) {
        table_remove(r);
        r->done = 1;
    }
    pthread_mutex_unlock(&g_tmu);
    free(r->body);
    r->body = NULL;
    return ok ? 0 : -1;
}

int sup_stats(esgx_msg_stats_reply *out, int timeout_ms)
{
    sup_req r;
    memset(&r, 0, sizeof r);
    if (sync_request(&r, ESGX_MSG_STATS, timeout_ms)) return -1;
    *out = r.stats;
    return 0;
}

int sup_attest(sup_attest_doc *out, int timeout_ms)
{
    sup_req r;
    memset(&r, 0, sizeof r);
    memset(out, 0, sizeof *out);
    r.doc = out;
    if (sync_request(&r, ESGX_MSG_ATTEST_DOC, timeout_ms)) {
        /* a reply racing the timeout may have stored a quote: nothing else frees it */
        free(out->quote);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

void sup_stop(int timeout_ms)
{
    if (!g_threads_started) return;
    pthread_mutex_lock(&g_mu);
    g_stopping = 1;
    pid_t pid = g_info.pid;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_mu);
    pthread_mutex_lock(&g_wmu);
    if (g_chan_up) {
        esgx_msg m;
        memset(&m, 0, sizeof m);
        m.type = ESGX_MSG_SHUTDOWN;
        m.id = atomic_fetch_add(&g_next_id, 1);
        esgx_err err;
        if (esgx_proto_send(g_fd, &m, &err))
            node_log(NODE_LOG_WARN, "sending SHUTDOWN: %s", err.msg);
    }
    pthread_mutex_unlock(&g_wmu);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    if (pthread_timedjoin_np(g_sup_thread, NULL, &ts)) {
        node_log(NODE_LOG_WARN, "enclave did not stop within %d ms; killing it", timeout_ms);
        if (pid > 0) kill(pid, SIGKILL);
        pthread_join(g_sup_thread, NULL);
    }
    pthread_mutex_lock(&g_cmu);
    g_cstop = 1;
    pthread_cond_signal(&g_ccond);
    pthread_mutex_unlock(&g_cmu);
    pthread_join(g_content_thread, NULL);
    fail_all("shutting_down", "the node is shutting down");
    free(g_cq);
    g_cq = NULL;
    g_threads_started = 0;
}
