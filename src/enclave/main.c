/*
 * main.c: the esgx-enclave process: command line, key bootstrap, and the channel loop.
 *
 * The host (esgxd) starts us with one end of a socketpair (--channel-fd). We open the
 * platform, unseal the shared key if there is one (a torn or foreign sealed file is a
 * fatal configuration error: exit 78, the file is left alone), send HELLO, then read
 * frames on the main thread:
 *
 *   EXEC      copied into a job (the reader's buffer is reused by the next read) and
 *             queued for the worker pool; ids still in flight are refused (duplicate_id)
 *   INIT_KEY  creates and seals the shared key, replies KEY_STATUS
 *   STATS     replies STATS_REPLY
 *   SHUTDOWN  or EOF: stop reading, let the workers finish every queued job, exit 0
 *
 * Workers run executor_run and send NEED_CONTENT or RESULT. Sends from all threads are
 * serialised by one mutex so frames never interleave. An id leaves the in-flight set
 * before its reply is sent, so the host may reuse it (NEED_CONTENT resend) at once.
 * Secrets never leave this process: HELLO/KEY_STATUS carry only the xpub and public key.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esgx_proto.h"
#include "executor.h"
#include "keystore.h"
#include "platform.h"

#define EXIT_CONFIG 78
#define INFLIGHT_BUCKETS 1024

enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
static int g_log_level = LOG_INFO;

static void logf_(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    if (level > g_log_level) return;
    va_list ap;
    va_start(ap, fmt);
    flockfile(stderr);
    fprintf(stderr, "esgx-enclave: %s: ", names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    va_end(ap);
}

/* ---------------------------------------------------------------- jobs */

typedef struct job {
    uint64_t id;
    exec_request rq;
    struct job *next;            /* queue */
    struct job *next_inflight;   /* in-flight bucket chain */
    uint8_t data[];              /* function, input, content */
} job;

typedef struct enclave {
    int fd;
    executor *ex;
    pthread_mutex_t send_lock;
    pthread_mutex_t lock;        /* queue and in-flight set */
    pthread_cond_t cond;
    job *head, *tail;
    job *inflight[INFLIGHT_BUCKETS];
    int stopping;
} enclave;

static int send_msg(enclave *E, const esgx_msg *m)
{
    esgx_err err;
    pthread_mutex_lock(&E->send_lock);
    int rc = esgx_proto_send(E->fd, m, &err);
    pthread_mutex_unlock(&E->send_lock);
    if (rc != 0)
        logf_(LOG_WARN, "cannot send %s: %s", esgx_proto_type_name(m->type), err.msg);
    return rc;
}

static esgx_bytes str_bytes(const char *s)
{
    esgx_bytes b = {(const uint8_t *)s, s ? strlen(s) : 0};
    return b;
}

/* Looks up and optionally unlinks id in the in-flight set (lock held). */
static job *inflight_find(enclave *E, uint64_t id, int unlink_it)
{
    job **pp = &E->inflight[id % INFLIGHT_BUCKETS];
    while (*pp && (*pp)->id != id) pp = &(*pp)->next_inflight;
    job *j = *pp;
    if (j && unlink_it) {
        *pp = j->next_inflight;
        j->next_inflight = NULL;
    }
    return j;
}

static void send_result(enclave *E, uint64_t id, const exec_result *r)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_RESULT;
    m.id = id;
    esgx_msg_result *o = &m.u.result;
    o->status = (uint8_t)r->status;
    o->code = str_bytes(r->code);
    o->message = str_bytes(r->message);
    o->fuel_used = r->fuel_used;
    if (r->status == EXEC_OK) {
        memcpy(o->input_hash, r->input_hash, 32);
        memcpy(o->output_hash, r->output_hash, 32);
        memcpy(o->signature, r->signature, 65);
        o->tree.ptr = r->tree;
        o->tree.len = r->tree_len;
        o->output.ptr = r->output;
        o->output.len = r->output_len;
    }
    int rc = send_msg(E, &m);
    if (rc != 0 && rc != PROTO_E_IO && r->status == EXEC_OK) {
        /* The result cannot be framed (e.g. output over the frame limit): the host must
         * still get an answer for this id. */
        memset(o, 0, sizeof *o);
        o->status = ESGX_RESULT_INTERNAL;
        o->code = str_bytes("internal");
        o->message = str_bytes("the result does not fit in a channel frame");
        o->fuel_used = r->fuel_used;
        send_msg(E, &m);
    }
}

static void *worker_main(void *arg)
{
    enclave *E = arg;
    for (;;) {
        pthread_mutex_lock(&E->lock);
        while (!E->head && !E->stopping) pthread_cond_wait(&E->cond, &E->lock);
        job *j = E->head;
        if (!j) {
            pthread_mutex_unlock(&E->lock);
            break;
        }
        E->head = j->next;
        if (!E->head) E->tail = NULL;
        pthread_mutex_unlock(&E->lock);

        exec_result res;
        executor_run(E->ex, &j->rq, &res);

        pthread_mutex_lock(&E->lock);
        inflight_find(E, j->id, 1);
        pthread_mutex_unlock(&E->lock);

        if (res.need_content) {
            esgx_msg m;
            memset(&m, 0, sizeof m);
            m.type = ESGX_MSG_NEED_CONTENT;
            m.id = j->id;
            memcpy(m.u.need_content.module_hash, j->rq.module_hash, 32);
            send_msg(E, &m);
        } else {
            if (res.status != EXEC_OK)
                logf_(LOG_DEBUG, "request %" PRIu64 ": %s: %s", j->id, res.code, res.message);
            send_result(E, j->id, &res);
        }
        exec_result_free(&res);
        /* The job holds input (possibly sensitive): wipe before freeing. */
        size_t data_len = j->rq.function_len + j->rq.input_len + j->rq.content_len;
        explicit_bzero(j->data, data_len);
        free(j);
    }
    return NULL;
}

static void handle_exec(enclave *E, const esgx_msg *m)
{
    const esgx_msg_exec *x = &m->u.exec;
    pthread_mutex_lock(&E->lock);
    int dup = inflight_find(E, m->id, 0) != NULL;
    pthread_mutex_unlock(&E->lock);
    if (dup) {
        exec_result r;
        memset(&r, 0, sizeof r);
        r.status = EXEC_BAD_REQUEST;
        snprintf(r.code, sizeof r.code, "duplicate_id");
        snprintf(r.message, sizeof r.message, "request id %" PRIu64 " is already running",
                 m->id);
        send_result(E, m->id, &r);
        return;
    }
    size_t content_len = x->has_content ? x->content.len : 0;
    size_t total = x->function.len + x->input.len + content_len;
    job *j = malloc(sizeof *j + (total ? total : 1));
    if (!j) {
        exec_result r;
        memset(&r, 0, sizeof r);
        r.status = EXEC_INTERNAL;
        snprintf(r.code, sizeof r.code, "internal");
        snprintf(r.message, sizeof r.message, "out of memory queueing the request");
        send_result(E, m->id, &r);
        return;
    }
    memset(j, 0, sizeof *j);
    j->id = m->id;
    uint8_t *p = j->data;
    memcpy(j->rq.module_hash, x->module_hash, 32);
    j->rq.decrypt = x->decrypt;
    j->rq.fuel = x->fuel;
    if (x->function.len) memcpy(p, x->function.ptr, x->function.len);
    j->rq.function = (const char *)p;
    j->rq.function_len = x->function.len;
    p += x->function.len;
    if (x->input.len) memcpy(p, x->input.ptr, x->input.len);
    j->rq.input = p;
    j->rq.input_len = x->input.len;
    p += x->input.len;
    j->rq.has_content = x->has_content;
    if (content_len) memcpy(p, x->content.ptr, content_len);
    j->rq.content = p;
    j->rq.content_len = content_len;

    pthread_mutex_lock(&E->lock);
    job **bucket = &E->inflight[m->id % INFLIGHT_BUCKETS];
    j->next_inflight = *bucket;
    *bucket = j;
    if (E->tail) E->tail->next = j;
    else E->head = j;
    E->tail = j;
    pthread_cond_signal(&E->cond);
    pthread_mutex_unlock(&E->lock);
}

/* ---------------------------------------------------------------- options */

typedef struct options {
    const char *data_dir;
    int channel_fd;
    int init;
    unsigned workers;
    exec_config cfg;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: esgx-enclave --data-dir DIR --channel-fd N [--init] [--fuel N]\n"
            "                    [--workers N] [--max-content BYTES] [--max-input BYTES]\n"
            "                    [--max-output BYTES] [--memory-pages N] [--debug]\n"
            "                    [--log-level error|warn|info|debug]\n"
            "The trusted process of an esgx node; started by esgxd (docs/channel.md).\n");
}

static int parse_u64(const char *name, const char *s, uint64_t min, uint64_t max,
                     uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') goto bad;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max) goto bad;
    *out = v;
    return 0;
bad:
    fprintf(stderr, "esgx-enclave: %s needs an integer in %" PRIu64 "..%" PRIu64 "\n", name,
            min, max);
    return -1;
}

static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->channel_fd = -1;
    o->workers = 2;
    exec_config_default(&o->cfg);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--init")) {
            o->init = 1;
        } else if (!strcmp(a, "--debug")) {
            o->cfg.debug = 1;
        } else if (!strcmp(a, "--data-dir") && v) {
            o->data_dir = v;
            i++;
        } else if (!strcmp(a, "--channel-fd") && v) {
            if (parse_u64(a, v, 0, INT_MAX, &n)) return -1;
            o->channel_fd = (int)n;
            i++;
        } else if (!strcmp(a, "--fuel") && v) {
            if (parse_u64(a, v, 1, UINT64_MAX - 1, &o->cfg.fuel_limit)) return -1;
            i++;
        } else if (!strcmp(a, "--workers") && v) {
            if (parse_u64(a, v, 1, 256, &n)) return -1;
            o->workers = (unsigned)n;
            i++;
        } else if (!strcmp(a, "--max-content") && v) {
            if (parse_u64(a, v, 1, 64u << 20, &o->cfg.max_content)) return -1;
            i++;
        } else if (!strcmp(a, "--max-input") && v) {
            if (parse_u64(a, v, 0, 64u << 20, &o->cfg.max_input)) return -1;
            i++;
        } else if (!strcmp(a, "--max-output") && v) {
            if (parse_u64(a, v, 1, 64u << 20, &o->cfg.max_output)) return -1;
            i++;
        } else if (!strcmp(a, "--memory-pages") && v) {
            if (parse_u64(a, v, 1, 65536, &n)) return -1;
            o->cfg.memory_pages = (uint32_t)n;
            i++;
        } else if (!strcmp(a, "--log-level") && v) {
            if (!strcmp(v, "error")) g_log_level = LOG_ERROR;
            else if (!strcmp(v, "warn")) g_log_level = LOG_WARN;
            else if (!strcmp(v, "info")) g_log_level = LOG_INFO;
            else if (!strcmp(v, "debug")) g_log_level = LOG_DEBUG;
            else {
                fprintf(stderr, "esgx-enclave: unknown log level '%s'\n", v);
                return -1;
            }
            i++;
        } else {
            fprintf(stderr, "esgx-enclave: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return -1;
        }
    }
    if (!o->data_dir || o->channel_fd < 0) {
        fprintf(stderr, "esgx-enclave: --data-dir and --channel-fd are required\n");
        usage(stderr);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- main */

static void send_key_status(enclave *E, uint64_t id, const esgx_keystore *ks, const char *error)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_KEY_STATUS;
    m.id = id;
    m.u.key_status.state = ks->ready ? ESGX_STATE_READY : ESGX_STATE_NO_KEY;
    if (ks->ready) {
        m.u.key_status.xpub = str_bytes(ks->xpub);
        memcpy(m.u.key_status.public_key, ks->public_key, 33);
    }
    m.u.key_status.error = str_bytes(error ? error : "");
    send_msg(E, &m);
}

int main(int argc, char **argv)
{
    options o;
    if (parse_args(argc, argv, &o) != 0) return EXIT_CONFIG;
    /* No core dumps or ptrace by non-root: the process holds the shared key. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);

    esgx_err err;
    esgx_platform *plat = NULL;
    /* The platform comes from the environment, which the Gramine manifest fixes (and
     * measures); never from the untrusted host's command line. */
    const char *platform = getenv("ESGX_PLATFORM");
    if (platform && *platform && strcmp(platform, "sim") != 0) {
        logf_(LOG_ERROR, "platform '%s' is not available in this build (only 'sim')", platform);
        return EXIT_CONFIG;
    }
    if (esgx_platform_sim_open(o.data_dir, NULL, &plat, &err) != 0) {
        logf_(LOG_ERROR, "platform: %s", err.msg);
        return EXIT_CONFIG;
    }
    static esgx_keystore ks;   /* static: its address is published to the workers */
    memset(&ks, 0, sizeof ks);
    if (o.init) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", o.data_dir, KS_SEALED_NAME);
        if (lstat(path, &st) == 0) {
            logf_(LOG_ERROR, "--init: %s already exists; refusing to create a new shared key",
                  path);
            esgx_platform_close(plat);
            return EXIT_CONFIG;
        }
    } else {
        int rc = keystore_load(&ks, plat, o.data_dir, &err);
        if (rc == KS_E_NOKEY) {
            logf_(LOG_INFO, "no shared key yet (%s)", err.msg);
        } else if (rc != 0) {
            logf_(LOG_ERROR, "shared key: %s", err.msg);
            esgx_platform_close(plat);
            return EXIT_CONFIG;
        }
    }

    static enclave E;
    E.fd = o.channel_fd;
    pthread_mutex_init(&E.send_lock, NULL);
    pthread_mutex_init(&E.lock, NULL);
    pthread_cond_init(&E.cond, NULL);
    if (executor_new(&o.cfg, plat, &E.ex, &err) != 0) {
        logf_(LOG_ERROR, "executor: %s", err.msg);
        keystore_wipe(&ks);
        return 1;
    }
    if (ks.ready) executor_set_key(E.ex, &ks.shared, ks.xpub);

    char hex[65];
    crypto_hex_encode(plat->mrenclave, 32, hex);
    logf_(LOG_INFO, "platform %s, mrenclave %s, %s, %u workers", plat->name, hex,
          ks.ready ? "shared key ready" : "no shared key", o.workers);

    esgx_msg hello;
    memset(&hello, 0, sizeof hello);
    hello.type = ESGX_MSG_HELLO;
    hello.u.hello.state = ks.ready ? ESGX_STATE_READY : ESGX_STATE_NO_KEY;
    hello.u.hello.platform = str_bytes(plat->name);
    memcpy(hello.u.hello.mrenclave, plat->mrenclave, 32);
    memcpy(hello.u.hello.mrsigner, plat->mrsigner, 32);
    if (ks.ready) {
        hello.u.hello.xpub = str_bytes(ks.xpub);
        memcpy(hello.u.hello.public_key, ks.public_key, 33);
    }
    if (send_msg(&E, &hello) != 0) {
        keystore_wipe(&ks);
        return 1;
    }

    pthread_t *threads = calloc(o.workers, sizeof *threads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 8u << 20);
    for (unsigned i = 0; i < o.workers; i++) {
        if (!threads || pthread_create(&threads[i], &attr, worker_main, &E) != 0) {
            logf_(LOG_ERROR, "cannot start worker thread %u", i);
            keystore_wipe(&ks);
            return 1;
        }
    }
    pthread_attr_destroy(&attr);

    esgx_proto_reader reader;
    esgx_proto_reader_init(&reader);
    int exit_code = 0;
    for (;;) {
        esgx_msg m;
        int rc = esgx_proto_read(&reader, E.fd, &m, &err);
        if (rc == PROTO_E_CLOSED) {
            logf_(LOG_INFO, "channel closed by the host; finishing");
            break;
        }
        if (rc != 0) {
            logf_(LOG_ERROR, "channel: %s", err.msg);
            exit_code = 1;
            break;
        }
        if (m.type == ESGX_MSG_EXEC) {
            handle_exec(&E, &m);
        } else if (m.type == ESGX_MSG_INIT_KEY) {
            if (ks.ready) {
                send_key_status(&E, m.id, &ks, "a shared key already exists");
            } else if (keystore_create(&ks, plat, o.data_dir, &err) != 0) {
                logf_(LOG_ERROR, "INIT_KEY: %s", err.msg);
                send_key_status(&E, m.id, &ks, err.msg);
            } else {
                executor_set_key(E.ex, &ks.shared, ks.xpub);
                logf_(LOG_INFO, "created and sealed the shared key %s", ks.xpub);
                send_key_status(&E, m.id, &ks, NULL);
            }
        } else if (m.type == ESGX_MSG_STATS) {
            exec_stats st;
            executor_get_stats(E.ex, &st);
            esgx_msg r;
            memset(&r, 0, sizeof r);
            r.type = ESGX_MSG_STATS_REPLY;
            r.id = m.id;
            r.u.stats.executions = st.executions;
            r.u.stats.traps = st.traps;
            r.u.stats.cache_entries = st.cache_entries;
            r.u.stats.cache_hits = st.cache_hits;
            r.u.stats.cache_misses = st.cache_misses;
            send_msg(&E, &r);
        } else if (m.type == ESGX_MSG_SHUTDOWN) {
            logf_(LOG_INFO, "shutdown requested; finishing in-flight work");
            break;
        } else {
            logf_(LOG_ERROR, "unexpected %s message from the host", esgx_proto_type_name(m.type));
            exit_code = 1;
            break;
        }
    }
    esgx_proto_reader_free(&reader);

    pthread_mutex_lock(&E.lock);
    E.stopping = 1;
    pthread_cond_broadcast(&E.cond);
    pthread_mutex_unlock(&E.lock);
    for (unsigned i = 0; i < o.workers; i++) pthread_join(threads[i], NULL);
    free(threads);
    executor_free(E.ex);
    keystore_wipe(&ks);
    esgx_platform_close(plat);
    return exit_code;
}
