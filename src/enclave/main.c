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
 *   ESGX_ATTEST_DOC replies ESGX_ATTEST_DOC_REPLY: xpub, network key and a quote whose report
 *             data is SHA-256(xpub text) || zeros, made once per key and cached
 *   COLLATERAL_REPLY  the answer to a COLLATERAL_REQ we sent (below): handed to the
 *             peer thread waiting for it
 *   SHUTDOWN  or EOF: stop reading, let the workers finish every queued job, exit 0
 *
 * Workers run esgx_executor_run and send NEED_CONTENT or RESULT. Sends from all threads are
 * serialised by one mutex so frames never interleave. An id leaves the in-flight set
 * before its reply is sent, so the host may reuse it (NEED_CONTENT resend) at once.
 * Secrets never leave this process: HELLO/KEY_STATUS carry only the xpub and public key.
 *
 * Platform: ESGX_PLATFORM (fixed by the Gramine manifest, never the host's command line)
 * selects `sim` (default) or `gramine-sgx` (attestation files under ESGX_ATTESTATION_DIR,
 * default /dev/attestation). Key sharing (peer.c): --peer-listen serves the key over
 * RA-TLS to verified enclaves of the allowlist; --peers fetches it (backoff until a peer
 * answers), seals it, and tells the host with an unsolicited KEY_STATUS (id 0). The trust
 * policy (allowlist, TCB statuses, extra roots) decides who gets the key, so on
 * gramine-sgx it comes only from the manifest's environment (ESGX_TRUST_MRENCLAVE,
 * ESGX_ACCEPT_STATUS, ESGX_TRUST_SIM_ROOT), never from the untrusted command line; on sim
 * the command-line options are accepted (sim protects nothing from its host anyway).
 *
 * Collateral for verifying peers on gramine-sgx: a fixed file (--collateral FILE), or
 * from the host (--collateral-from-host, esgxd --pccs): the RA-TLS verifier's provider
 * sends COLLATERAL_REQ (FMSPC, PCE-ID, PCK CA of the peer's PCK certificate) and waits
 * at most COLLATERAL_WAIT_MS for the COLLATERAL_REPLY the channel thread delivers. The
 * host is not trusted with it: the collateral is verified against Intel's signatures
 * and the trusted roots like any other.
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
#include <time.h>
#include <unistd.h>

#include "esgx_attest.h"
#include "esgx_proto.h"
#include "executor.h"
#include "keystore.h"
#include "peer.h"
#include "platform.h"
#include "esgx_wasm.h"

#define EXIT_CONFIG 78
#define COLLATERAL_WAIT_MS 20000
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
    if (rc != 0 && rc != ESGX_PROTO_E_IO && r->status == EXEC_OK) {
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
        esgx_executor_run(E->ex, &j->rq, &res);

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
        esgx_exec_result_free(&res);
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

#define MAX_TRUST 16

typedef struct options {
    const char *data_dir;
    int channel_fd;
    int init;
    unsigned workers;
    exec_config cfg;
    const char *sim_bundle;       /* --sim-bundle DIR */
    const char *peer_listen;      /* --peer-listen HOST:PORT */
    const char *peers;            /* --peers LIST */
    const char *collateral;       /* --collateral FILE (gramine-sgx peers) */
    int collateral_from_host;     /* --collateral-from-host (gramine-sgx peers) */
    const char *sim_root;         /* --sim-root PEM (extra trust anchor, sim only) */
    const char *trust[MAX_TRUST]; /* --trust-mrenclave HEX */
    int trust_count;
    const char *accept_status;    /* --accept-status LIST */
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: esgx-enclave --data-dir DIR --channel-fd N [--init] [--fuel N]\n"
            "                    [--workers N] [--max-content BYTES] [--max-input BYTES]\n"
            "                    [--max-output BYTES] [--memory-pages N] [--compile-threads N]\n"
            "                    [--debug]\n"
            "                    [--log-level error|warn|info|debug]\n"
            "                    [--sim-bundle DIR] [--peer-listen HOST:PORT] [--peers LIST]\n"
            "                    [--trust-mrenclave HEX]... [--accept-status LIST]\n"
            "                    [--collateral FILE | --collateral-from-host] [--sim-root PEM]\n"
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
    esgx_exec_config_default(&o->cfg);
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
        } else if (!strcmp(a, "--compile-threads") && v) {
            if (parse_u64(a, v, 0, ESGX_WASM_COMPILE_THREADS_MAX, &n)) return -1;
            o->cfg.compile_threads = (uint32_t)n;
            i++;
        } else if (!strcmp(a, "--memory-pages") && v) {
            if (parse_u64(a, v, 1, 65536, &n)) return -1;
            o->cfg.memory_pages = (uint32_t)n;
            i++;
        } else if (!strcmp(a, "--sim-bundle") && v) {
            o->sim_bundle = v;
            i++;
        } else if (!strcmp(a, "--peer-listen") && v) {
            o->peer_listen = v;
            i++;
        } else if (!strcmp(a, "--peers") && v) {
            o->peers = v;
            i++;
        } else if (!strcmp(a, "--collateral-from-host")) {
            o->collateral_from_host = 1;
        } else if (!strcmp(a, "--collateral") && v) {
            o->collateral = v;
            i++;
        } else if (!strcmp(a, "--sim-root") && v) {
            o->sim_root = v;
            i++;
        } else if (!strcmp(a, "--trust-mrenclave") && v) {
            if (o->trust_count >= MAX_TRUST) {
                fprintf(stderr, "esgx-enclave: at most %d --trust-mrenclave\n", MAX_TRUST);
                return -1;
            }
            o->trust[o->trust_count++] = v;
            i++;
        } else if (!strcmp(a, "--accept-status") && v) {
            o->accept_status = v;
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
    if (o->init && o->peers) {
        fprintf(stderr, "esgx-enclave: --init and --peers exclude each other: the first node "
                        "creates the key, the others fetch it\n");
        return -1;
    }
    if (o->collateral && o->collateral_from_host) {
        fprintf(stderr, "esgx-enclave: --collateral and --collateral-from-host exclude each "
                        "other\n");
        return -1;
    }
    if (!o->data_dir || o->channel_fd < 0) {
        fprintf(stderr, "esgx-enclave: --data-dir and --channel-fd are required\n");
        usage(stderr);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- key state */

/* The key store and what is published from it. g_ks_mu guards g_ks against the peer
 * threads (serve: read the xprv; fetch: install) and the channel thread (INIT_KEY,
 * ESGX_ATTEST_DOC). Workers read the key only through esgx_executor_set_key's release-published
 * pointer. */
static esgx_keystore g_ks;
static pthread_mutex_t g_ks_mu = PTHREAD_MUTEX_INITIALIZER;
static enclave g_E;
static esgx_platform *g_plat;
static const char *g_data_dir;

/* ESGX_ATTEST_DOC cache: the quote over SHA-256(xpub) for the current key. */
static uint8_t *g_doc_quote;
static size_t g_doc_quote_len;
static char g_doc_error[512];
static int g_doc_done;

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

static int peer_get_xprv(void *arg, char buf[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1])
{
    (void)arg;
    int have = 0;
    pthread_mutex_lock(&g_ks_mu);
    if (g_ks.ready &&
        esgx_bip32_key_serialize(&g_ks.shared, 1, buf, ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1, NULL) == 0)
        have = 1;
    pthread_mutex_unlock(&g_ks_mu);
    if (!have) esgx_crypto_wipe(buf, ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1);
    return have;
}

static int peer_install(void *arg, const char *xprv, const esgx_attest_result *from, esgx_err *err)
{
    (void)arg;
    (void)from;
    esgx_bip32_key key;
    esgx_err kerr;
    if (esgx_bip32_key_parse(xprv, strlen(xprv), &key, &kerr) != 0 || !key.has_private) {
        esgx_bip32_key_wipe(&key);
        return esgx_err_set(err, ESGX_KS_E_CORRUPT, "the fetched key is not an xprv");
    }
    pthread_mutex_lock(&g_ks_mu);
    int rc = 0;
    if (!g_ks.ready) {
        rc = esgx_keystore_install(&g_ks, g_plat, g_data_dir, &key, err);
        if (rc == 0) esgx_executor_set_key(g_E.ex, &g_ks.shared, g_ks.xpub);
    }
    esgx_bip32_key_wipe(&key);
    if (rc == 0) {
        logf_(LOG_INFO, "network key %s sealed to %s/%s", g_ks.xpub, g_data_dir, KS_SEALED_NAME);
        send_key_status(&g_E, 0, &g_ks, NULL);   /* unsolicited: the host leaves 503 */
    }
    pthread_mutex_unlock(&g_ks_mu);
    return rc;
}

static void peer_log(void *arg, int level, const char *msg)
{
    (void)arg;
    logf_(level, "peer: %s", msg);
}

/* ESGX_ATTEST_DOC: reply with the key and the cached quote over SHA-256(xpub). */
static void handle_attest_doc(enclave *E, uint64_t id)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_ATTEST_DOC_REPLY;
    m.id = id;
    esgx_msg_attest_doc *a = &m.u.attest_doc;
    pthread_mutex_lock(&g_ks_mu);
    if (!g_ks.ready) {
        a->state = ESGX_STATE_NO_KEY;
        a->error = str_bytes("the enclave has no network key yet");
    } else {
        a->state = ESGX_STATE_READY;
        a->xpub = str_bytes(g_ks.xpub);
        memcpy(a->public_key, g_ks.public_key, 33);
        if (!g_doc_done) {
            uint8_t rd[64];
            memset(rd, 0, sizeof rd);
            esgx_crypto_sha256(g_ks.xpub, strlen(g_ks.xpub), rd);
            uint8_t *q = malloc(ESGX_PROTO_MAX_QUOTE);
            size_t qlen = 0;
            esgx_err qerr;
            if (!q) {
                snprintf(g_doc_error, sizeof g_doc_error, "out of memory");
            } else if (esgx_platform_quote(g_plat, rd, q, ESGX_PROTO_MAX_QUOTE, &qlen, &qerr)) {
                snprintf(g_doc_error, sizeof g_doc_error, "no quote: %s", qerr.msg);
                free(q);
                q = NULL;
            } else {
                g_doc_quote = q;
                g_doc_quote_len = qlen;
            }
            g_doc_done = 1;   /* the key never changes once set: one quote per key */
            if (!g_doc_quote) logf_(LOG_WARN, "attestation document: %s", g_doc_error);
        }
        a->quote.ptr = g_doc_quote;
        a->quote.len = g_doc_quote_len;
        a->error = str_bytes(g_doc_quote ? "" : g_doc_error);
    }
    send_msg(E, &m);
    pthread_mutex_unlock(&g_ks_mu);
}

/* ---------------------------------------------------------------- collateral from the host */

/* One COLLATERAL_REQ waiting for its reply (on the waiting thread's stack). */
typedef struct coll_wait {
    uint64_t id;
    int done;
    char *json;                  /* malloc'd on success */
    size_t len;
    char error[512];
    struct coll_wait *next;
} coll_wait;

static pthread_mutex_t g_coll_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_coll_cond = PTHREAD_COND_INITIALIZER;
static coll_wait *g_coll_waiting;
static uint64_t g_coll_next_id = 1;
static int g_coll_closed;        /* the channel is gone: nobody will answer */

/* COLLATERAL_REPLY from the host (channel thread): completes the waiter with its id. */
static void handle_collateral_reply(const esgx_msg *m)
{
    const esgx_msg_collateral_reply *r = &m->u.collateral_reply;
    pthread_mutex_lock(&g_coll_mu);
    coll_wait *w = g_coll_waiting;
    while (w && w->id != m->id) w = w->next;
    if (!w) {
        pthread_mutex_unlock(&g_coll_mu);
        logf_(LOG_DEBUG, "COLLATERAL_REPLY %" PRIu64 " for no waiting request", m->id);
        return;
    }
    if (r->status == ESGX_COLLATERAL_OK) {
        if ((w->json = malloc(r->collateral.len + 1))) {
            memcpy(w->json, r->collateral.ptr, r->collateral.len);
            w->json[r->collateral.len] = 0;
            w->len = r->collateral.len;
        } else {
            snprintf(w->error, sizeof w->error, "out of memory");
        }
    } else {
        snprintf(w->error, sizeof w->error, "%.*s", (int)r->error.len,
                 (const char *)r->error.ptr);
    }
    w->done = 1;
    pthread_cond_broadcast(&g_coll_cond);
    pthread_mutex_unlock(&g_coll_mu);
}

/* The channel closed: wake every waiter (they fail at once). */
static void collateral_channel_closed(void)
{
    pthread_mutex_lock(&g_coll_mu);
    g_coll_closed = 1;
    pthread_cond_broadcast(&g_coll_cond);
    pthread_mutex_unlock(&g_coll_mu);
}

/* esgx_attest_collateral_fn: asks the host (COLLATERAL_REQ) and waits for the reply. Runs
 * on a peer thread (TLS handshake), never on the channel thread that delivers it. */
static int host_collateral(const esgx_attest_pck_ids *ids, char **json, size_t *len, void *arg,
                           esgx_err *err)
{
    enclave *E = arg;
    coll_wait w;
    memset(&w, 0, sizeof w);
    pthread_mutex_lock(&g_coll_mu);
    if (g_coll_closed) {
        pthread_mutex_unlock(&g_coll_mu);
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "host channel closed");
    }
    w.id = g_coll_next_id++;
    w.next = g_coll_waiting;
    g_coll_waiting = &w;
    pthread_mutex_unlock(&g_coll_mu);

    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_COLLATERAL_REQ;
    m.id = w.id;
    memcpy(m.u.collateral_req.fmspc, ids->fmspc, 6);
    memcpy(m.u.collateral_req.pce_id, ids->pce_id, 2);
    m.u.collateral_req.ca = (uint8_t)ids->ca;
    int sent = send_msg(E, &m) == 0;

    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += COLLATERAL_WAIT_MS / 1000;
    pthread_mutex_lock(&g_coll_mu);
    int timed_out = 0;
    while (sent && !w.done && !g_coll_closed && !timed_out)
        timed_out = pthread_cond_timedwait(&g_coll_cond, &g_coll_mu, &dl) == ETIMEDOUT;
    for (coll_wait **pp = &g_coll_waiting; *pp; pp = &(*pp)->next)
        if (*pp == &w) {
            *pp = w.next;
            break;
        }
    pthread_mutex_unlock(&g_coll_mu);
    if (w.json) {
        *json = w.json;
        *len = w.len;
        return 0;
    }
    if (!sent) return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "cannot ask the host");
    if (!w.done && g_coll_closed)
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "the host channel closed");
    if (!w.done)
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "the host did not answer within %d s",
                            COLLATERAL_WAIT_MS / 1000);
    return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "host: %s", w.error);
}

/* ---------------------------------------------------------------- trust setup */

static char *read_text(const char *path, size_t max, size_t *len_out, esgx_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        esgx_err_set(err, -1, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    int bad = !buf || ferror(f) || n > max;
    fclose(f);
    if (bad) {
        free(buf);
        esgx_err_set(err, -1, "%s: unreadable or larger than %zu bytes", path, max);
        return NULL;
    }
    buf[n] = 0;
    if (len_out) *len_out = n;
    return buf;
}

typedef struct trust_setup {
    esgx_attest_sim_bundle *bundle;
    char *collateral;        /* owned copy (gramine --collateral) */
    char *roots;             /* owned PEM text */
    peer_config pc;
} trust_setup;

static void trust_free(trust_setup *t)
{
    esgx_attest_sim_free(t->bundle);
    free(t->collateral);
    free(t->roots);
    memset(t, 0, sizeof *t);
}

/* Concatenates two PEM texts (b may be NULL) into a new string. */
static char *pem_cat(const char *a, const char *b)
{
    size_t n = strlen(a) + (b ? strlen(b) : 0) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s\n%s", a, b ? b : "");
    return s;
}

/* Builds the verifier: roots, collateral, policy (allowlist default: our MRENCLAVE).
 * Returns 0 or -1 after logging why (a configuration error). */
static int trust_init(const options *o, esgx_platform *plat, int gramine, trust_setup *t)
{
    esgx_err err;
    memset(t, 0, sizeof *t);
    esgx_attest_ratls_verifier *v = &t->pc.verifier;
    esgx_attest_policy_default(&v->policy);
    /* On gramine-sgx the trust policy must be measured: manifest environment only. */
    const char *status = o->accept_status, *sim_root = o->sim_root;
    const char *trust_env = NULL;
    if (gramine) {
        if (o->trust_count || o->accept_status || o->sim_root || o->sim_bundle) {
            logf_(LOG_ERROR, "on gramine-sgx the trust policy comes from the manifest "
                             "(loader.env.ESGX_TRUST_MRENCLAVE, ESGX_ACCEPT_STATUS, "
                             "ESGX_TRUST_SIM_ROOT), not from the command line; refusing "
                             "--trust-mrenclave/--accept-status/--sim-root/--sim-bundle");
            return -1;
        }
        status = getenv("ESGX_ACCEPT_STATUS");
        sim_root = getenv("ESGX_TRUST_SIM_ROOT");
        trust_env = getenv("ESGX_TRUST_MRENCLAVE");
        if (status && !*status) status = NULL;
        if (sim_root && !*sim_root) sim_root = NULL;
    }
    if (status && esgx_attest_policy_add_statuses(&v->policy, status, &err)) {
        logf_(LOG_ERROR, "accepted TCB statuses: %s", err.msg);
        return -1;
    }
    char own[65];
    esgx_crypto_hex_encode(plat->mrenclave, 32, own);
    if (esgx_attest_policy_add_mrenclave(&v->policy, own, &err)) return -1;
    for (int i = 0; i < o->trust_count; i++)
        if (esgx_attest_policy_add_mrenclave(&v->policy, o->trust[i], &err)) {
            logf_(LOG_ERROR, "--trust-mrenclave %s: %s", o->trust[i], err.msg);
            return -1;
        }
    if (trust_env) {
        char buf[2048];
        snprintf(buf, sizeof buf, "%s", trust_env);
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (esgx_attest_policy_add_mrenclave(&v->policy, tok, &err)) {
                logf_(LOG_ERROR, "ESGX_TRUST_MRENCLAVE %s: %s", tok, err.msg);
                return -1;
            }
    }
    char *extra_root = NULL;
    if (sim_root && !(extra_root = read_text(sim_root, 1u << 20, NULL, &err))) {
        logf_(LOG_ERROR, "sim root: %s", err.msg);
        return -1;
    }
    int rc = -1;
    if (!gramine) {
        if (o->collateral || o->collateral_from_host) {
            logf_(LOG_ERROR, "--collateral/--collateral-from-host (esgxd --pccs) are for "
                             "gramine-sgx; sim takes the collateral from its --sim-bundle");
            goto out;
        }
        if (o->sim_bundle) {
            if (esgx_attest_sim_load(o->sim_bundle, &t->bundle, &err) ||
                esgx_platform_sim_set_bundle(plat, t->bundle, &err)) {
                logf_(LOG_ERROR, "--sim-bundle %s: %s", o->sim_bundle, err.msg);
                goto out;
            }
            size_t clen = 0;
            v->collateral = esgx_attest_sim_collateral(t->bundle, &clen);
            v->collateral_len = clen;
            /* The sim network's root is the trust anchor (plus --sim-root if given). */
            if (!(t->roots = pem_cat(esgx_attest_sim_root(t->bundle), extra_root))) goto out;
        } else if (o->peers || o->peer_listen) {
            logf_(LOG_ERROR, "the sim platform cannot attest without a sim provisioning "
                             "bundle: --peers/--peer-listen need --sim-bundle DIR (made by "
                             "`esgx sim init DIR`, the same for the whole network)");
            goto out;
        }
    } else {
        /* The Intel root always; a sim root only when the manifest names one. */
        if (!(t->roots = pem_cat(esgx_attest_intel_root_pem, extra_root))) goto out;
        if (o->collateral) {
            size_t clen = 0;
            if (!(t->collateral = read_text(o->collateral, 4u << 20, &clen, &err))) {
                logf_(LOG_ERROR, "--collateral: %s", err.msg);
                goto out;
            }
            v->collateral = t->collateral;
            v->collateral_len = clen;
        } else if (o->collateral_from_host) {
            v->get_collateral = host_collateral;
            v->collateral_arg = &g_E;
        } else if (o->peers || o->peer_listen) {
            logf_(LOG_ERROR, "--peers/--peer-listen on gramine-sgx need collateral to verify "
                             "peers: esgxd --pccs URL (fetched by the host) or --collateral "
                             "FILE");
            goto out;
        }
    }
    v->trusted_roots_pem = t->roots;
    v->now = 0;
    t->pc.listen = o->peer_listen;
    t->pc.peers = o->peers;
    rc = 0;
out:
    free(extra_root);
    return rc;
}

/* ---------------------------------------------------------------- main */

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
    int gramine = 0;
    if (platform && !strcmp(platform, "gramine-sgx")) {
        gramine = 1;
        if (esgx_platform_gramine_open(getenv("ESGX_ATTESTATION_DIR"), &plat, &err) != 0) {
            logf_(LOG_ERROR, "platform gramine-sgx: %s", err.msg);
            return EXIT_CONFIG;
        }
    } else if (platform && *platform && strcmp(platform, "sim") != 0) {
        logf_(LOG_ERROR, "unknown platform '%s' (sim, gramine-sgx)", platform);
        return EXIT_CONFIG;
    } else if (esgx_platform_sim_open(o.data_dir, NULL, &plat, &err) != 0) {
        logf_(LOG_ERROR, "platform: %s", err.msg);
        return EXIT_CONFIG;
    }
    g_plat = plat;
    g_data_dir = o.data_dir;
    trust_setup trust;
    if (trust_init(&o, plat, gramine, &trust) != 0) {
        trust_free(&trust);
        esgx_platform_close(plat);
        return EXIT_CONFIG;
    }
    esgx_keystore *ks = &g_ks;   /* static: its address is published to the workers */
    memset(ks, 0, sizeof *ks);
    if (o.init) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", o.data_dir, KS_SEALED_NAME);
        if (lstat(path, &st) == 0) {
            logf_(LOG_ERROR, "--init: %s already exists; refusing to create a new shared key",
                  path);
            trust_free(&trust);
            esgx_platform_close(plat);
            return EXIT_CONFIG;
        }
    } else {
        int rc = esgx_keystore_load(ks, plat, o.data_dir, &err);
        if (rc == ESGX_KS_E_NOKEY) {
            logf_(LOG_INFO, "no shared key yet (%s)", err.msg);
        } else if (rc != 0) {
            logf_(LOG_ERROR, "shared key: %s", err.msg);
            trust_free(&trust);
            esgx_platform_close(plat);
            return EXIT_CONFIG;
        }
    }

    enclave *E = &g_E;
    E->fd = o.channel_fd;
    pthread_mutex_init(&E->send_lock, NULL);
    pthread_mutex_init(&E->lock, NULL);
    pthread_cond_init(&E->cond, NULL);
    if (esgx_executor_new(&o.cfg, plat, &E->ex, &err) != 0) {
        logf_(LOG_ERROR, "executor: %s", err.msg);
        esgx_keystore_wipe(ks);
        return 1;
    }
    if (ks->ready) esgx_executor_set_key(E->ex, &ks->shared, ks->xpub);

    char hex[65];
    esgx_crypto_hex_encode(plat->mrenclave, 32, hex);
    logf_(LOG_INFO, "platform %s, mrenclave %s, %s, %u workers", plat->name, hex,
          ks->ready ? "shared key ready" : "no shared key", o.workers);

    esgx_msg hello;
    memset(&hello, 0, sizeof hello);
    hello.type = ESGX_MSG_HELLO;
    hello.u.hello.state = ks->ready ? ESGX_STATE_READY : ESGX_STATE_NO_KEY;
    hello.u.hello.platform = str_bytes(plat->name);
    memcpy(hello.u.hello.mrenclave, plat->mrenclave, 32);
    memcpy(hello.u.hello.mrsigner, plat->mrsigner, 32);
    if (ks->ready) {
        hello.u.hello.xpub = str_bytes(ks->xpub);
        memcpy(hello.u.hello.public_key, ks->public_key, 33);
    }
    if (send_msg(E, &hello) != 0) {
        esgx_keystore_wipe(ks);
        return 1;
    }

    /* Key sharing (after HELLO, so an unsolicited KEY_STATUS always follows it): serve on
     * --peer-listen; fetch from --peers unless the key was unsealed from disk. */
    peer_service *peers = NULL;
    if (o.peers && ks->ready) {
        logf_(LOG_INFO, "shared key unsealed from disk; not fetching from --peers");
        trust.pc.peers = NULL;
    }
    if (trust.pc.listen || trust.pc.peers) {
        peer_key_ops kops = {.get_xprv = peer_get_xprv, .install = peer_install,
                             .log = peer_log, .arg = NULL};
        if (esgx_peer_start(plat, &trust.pc, &kops, &peers, &err) != 0) {
            logf_(LOG_ERROR, "key sharing: %s", err.msg);
            esgx_keystore_wipe(ks);
            return EXIT_CONFIG;
        }
        if (trust.pc.listen)
            logf_(LOG_INFO, "peer endpoint listening on %s (port %u)", trust.pc.listen,
                  (unsigned)esgx_peer_listen_port(peers));
        if (trust.pc.peers)
            logf_(LOG_INFO, "fetching the network key from peers %s", trust.pc.peers);
    }

    pthread_t *threads = calloc(o.workers, sizeof *threads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 8u << 20);
    for (unsigned i = 0; i < o.workers; i++) {
        if (!threads || pthread_create(&threads[i], &attr, worker_main, E) != 0) {
            logf_(LOG_ERROR, "cannot start worker thread %u", i);
            esgx_keystore_wipe(ks);
            return 1;
        }
    }
    pthread_attr_destroy(&attr);

    esgx_proto_reader reader;
    esgx_proto_reader_init(&reader);
    int exit_code = 0;
    for (;;) {
        esgx_msg m;
        int rc = esgx_proto_read(&reader, E->fd, &m, &err);
        if (rc == ESGX_PROTO_E_CLOSED) {
            logf_(LOG_INFO, "channel closed by the host; finishing");
            break;
        }
        if (rc != 0) {
            logf_(LOG_ERROR, "channel: %s", err.msg);
            exit_code = 1;
            break;
        }
        if (m.type == ESGX_MSG_EXEC) {
            handle_exec(E, &m);
        } else if (m.type == ESGX_MSG_INIT_KEY) {
            pthread_mutex_lock(&g_ks_mu);
            if (ks->ready) {
                send_key_status(E, m.id, ks, "a shared key already exists");
            } else if (esgx_keystore_create(ks, plat, o.data_dir, &err) != 0) {
                logf_(LOG_ERROR, "INIT_KEY: %s", err.msg);
                send_key_status(E, m.id, ks, err.msg);
            } else {
                esgx_executor_set_key(E->ex, &ks->shared, ks->xpub);
                logf_(LOG_INFO, "created and sealed the shared key %s", ks->xpub);
                send_key_status(E, m.id, ks, NULL);
            }
            pthread_mutex_unlock(&g_ks_mu);
        } else if (m.type == ESGX_MSG_ATTEST_DOC) {
            handle_attest_doc(E, m.id);
        } else if (m.type == ESGX_MSG_COLLATERAL_REPLY) {
            handle_collateral_reply(&m);
        } else if (m.type == ESGX_MSG_STATS) {
            exec_stats st;
            esgx_executor_get_stats(E->ex, &st);
            esgx_msg r;
            memset(&r, 0, sizeof r);
            r.type = ESGX_MSG_STATS_REPLY;
            r.id = m.id;
            r.u.stats.executions = st.executions;
            r.u.stats.traps = st.traps;
            r.u.stats.cache_entries = st.cache_entries;
            r.u.stats.cache_hits = st.cache_hits;
            r.u.stats.cache_misses = st.cache_misses;
            send_msg(E, &r);
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
    collateral_channel_closed();

    esgx_peer_stop(peers);
    pthread_mutex_lock(&E->lock);
    E->stopping = 1;
    pthread_cond_broadcast(&E->cond);
    pthread_mutex_unlock(&E->lock);
    for (unsigned i = 0; i < o.workers; i++) pthread_join(threads[i], NULL);
    free(threads);
    esgx_executor_free(E->ex);
    esgx_keystore_wipe(ks);
    free(g_doc_quote);
    trust_free(&trust);
    esgx_platform_close(plat);
    return exit_code;
}
