/*
 * main.c: esgxd, the untrusted node host (docs/operations.md).
 *
 * Startup: parse flags, prepare the data directory (0700) and the admin token
 * (DIR/admin.token, 32 random bytes as hex, 0600, created if missing), refuse --init on
 * an initialised node, open the content store and the registry, start the enclave
 * supervisor and wait (bounded) for the enclave's HELLO (and the key creation with
 * --init), then serve HTTP. All signals of interest are blocked in every thread and
 * taken synchronously by the main thread with sigwaitinfo: SIGTERM/SIGINT start a
 * graceful shutdown (stop accepting, SHUTDOWN to the enclave, wait for it, exit 0);
 * the supervisor asks for shutdown (fatal) through its on_fatal hook, which sets a flag
 * in main's node_state and sends SIGUSR1 to the process. Because signals are taken with
 * sigwaitinfo there is no signal handler and no static state for it. The objects
 * (metrics, content store, registry, collateral service, supervisor, HTTP server) are
 * built in that order and freed in reverse on one cleanup path.
 */
#define _GNU_SOURCE
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "esgx_crypto.h"

/* What main owns: the parsed options and the fatal-exit flag the supervisor sets. */
typedef struct node_state {
    node_config cfg;
    char listen_host[256];
    char enclave_path[PATH_MAX];
    _Atomic int exit_fatal;
} node_state;

/* sup_hooks.on_fatal: records the fatal exit and wakes the main thread (SIGUSR1). */
static void on_fatal(void *arg)
{
    node_state *st = arg;
    atomic_store(&st->exit_fatal, 1);
    kill(getpid(), SIGUSR1);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: esgxd --data-dir DIR [options]\n"
            "\n"
            "Runs an esgx node: the HTTP API, the content store, the function registry and\n"
            "the esgx-enclave process that executes functions.\n"
            "\n"
            "  --data-dir DIR        node state (content/, registry.db, admin.token, sealed key)\n"
            "  --listen HOST:PORT    HTTP address (default 127.0.0.1:8080; port 0 = any free)\n"
            "  --init                create the network's shared key (first node only); refuses\n"
            "                        if DIR/shared_key.sealed exists\n"
            "  --enclave PATH        the esgx-enclave binary (default: next to esgxd)\n"
            "  --workers N           concurrent executions in the enclave (default 2)\n"
            "  --http-threads N      HTTP threads (default 2)\n"
            "  --max-content BYTES   largest upload (default 16M)\n"
            "  --max-input BYTES     largest invocation input (default 8M)\n"
            "  --max-output BYTES    largest output (default 16M)\n"
            "  --fuel N              default and maximum fuel per invocation (default 1000000000)\n"
            "  --memory-pages N      max 64 KiB pages of linear memory (default 1024)\n"
            "  --compile-threads N   threads compiling a new large module (default 0 =\n"
            "                        one per CPU, at most 8; 1 = the worker alone)\n"
            "  --debug               let functions' debug output reach the log\n"
            "  --log-level LEVEL     error, warn, info (default) or debug\n"
            "\n"
            "Attestation and key sharing (docs/protocols.md), passed to the enclave:\n"
            "  --sim-bundle DIR      sim: the network's sim bundle (quotes; its\n"
            "                        collateral.json is served in /attestation)\n"
            "  --peer-listen H:P     serve the network key over RA-TLS to verified peers\n"
            "  --peers LIST          host:port,... to fetch the key from (no sealed key yet)\n"
            "  --trust-mrenclave HEX accept peers with this MRENCLAVE too (repeatable, sim)\n"
            "  --accept-status LIST  accepted TCB statuses of peers (sim)\n"
            "  --collateral FILE     gramine-sgx: a fixed DCAP collateral JSON (also served)\n"
            "  --pccs URL            gramine-sgx: fetch collateral from this PCCS (API v4, e.g.\n"
            "                        https://pccs:8081/sgx/certification/v4) when the enclave\n"
            "                        verifies a peer and for /attestation; cached in\n"
            "                        DIR/collateral/ (not with --collateral)\n"
            "  --pccs-insecure       do not check the PCCS's TLS certificate (collateral is\n"
            "                        still verified against Intel's signatures and root)\n"
            "  --pccs-refresh SECS   refetch cached collateral after SECS (default 3600); a\n"
            "                        failed refetch keeps serving the cached copy\n"
            "  --sim-root PEM        sim: extra trust anchor for peers' quotes\n"
            "  --help                this text\n"
            "\n"
            "Sizes take a K, M or G suffix (powers of 1024).\n");
}

static int parse_u64(const char *s, uint64_t *out, int allow_suffix)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return -1;
    uint64_t mul = 1;
    if (allow_suffix && *end) {
        if ((*end == 'K' || *end == 'k')) mul = 1024;
        else if (*end == 'M' || *end == 'm') mul = 1024 * 1024;
        else if (*end == 'G' || *end == 'g') mul = 1024ull * 1024 * 1024;
        else return -1;
        end++;
        if (*end == 'i' && end[1] == 'B') end += 2;
        else if (*end == 'B') end++;
    }
    if (*end) return -1;
    if (v > UINT64_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

static int parse_listen(node_state *st, const char *s)
{
    char *host = st->listen_host;
    size_t hostcap = sizeof st->listen_host;
    const char *colon;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':') return -1;
        snprintf(host, hostcap, "%.*s", (int)(rb - s - 1), s + 1);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s) return -1;
        snprintf(host, hostcap, "%.*s", (int)(colon - s), s);
    }
    uint64_t port;
    if (parse_u64(colon + 1, &port, 0) || port > 65535) return -1;
    st->cfg.listen_host = host;
    st->cfg.listen_port = (unsigned)port;
    return 0;
}

static int parse_args(int argc, char **argv, node_state *st)
{
    node_config *cfg = &st->cfg;
    cfg->listen_host = "127.0.0.1";
    cfg->listen_port = 8080;
    cfg->workers = 2;
    cfg->http_threads = 2;
    cfg->max_content = 16u << 20;
    cfg->max_input = 8u << 20;
    cfg->max_output = 16u << 20;
    cfg->fuel = 1000000000ull;
    cfg->memory_pages = 1024;
    cfg->log_level = NODE_LOG_INFO;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i], *val = NULL;
        char name[64];
        char *eq = strchr(a, '=');
        if (eq && !strncmp(a, "--", 2)) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a), a);
            val = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a);
        }
#define FLAG(s) (!strcmp(name, s))
#define VALUE()                                                                 \
    do {                                                                        \
        if (!val) {                                                             \
            if (i + 1 >= argc) {                                                \
                fprintf(stderr, "esgxd: %s needs a value\n", name);             \
                return -1;                                                      \
            }                                                                   \
            val = argv[++i];                                                    \
        }                                                                       \
    } while (0)
        uint64_t n;
        if (FLAG("--help") || FLAG("-h")) {
            usage(stdout);
            exit(0);
        } else if (FLAG("--init")) {
            cfg->init = 1;
        } else if (FLAG("--debug")) {
            cfg->debug = 1;
        } else if (FLAG("--pccs-insecure")) {
            cfg->pccs_insecure = 1;
        } else if (FLAG("--pccs")) {
            VALUE();
            if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) {
                fprintf(stderr, "esgxd: --pccs wants an http:// or https:// URL, got '%s'\n", val);
                return -1;
            }
            cfg->pccs_url = val;
        } else if (FLAG("--pccs-refresh")) {
            VALUE();
            if (parse_u64(val, &n, 0) || n < 1 || n > 7 * 86400) {
                fprintf(stderr, "esgxd: --pccs-refresh wants seconds, 1..604800\n");
                return -1;
            }
            cfg->pccs_refresh = (unsigned)n;
        } else if (FLAG("--data-dir")) {
            VALUE();
            cfg->data_dir = val;
        } else if (FLAG("--listen")) {
            VALUE();
            if (parse_listen(st, val)) {
                fprintf(stderr, "esgxd: --listen wants HOST:PORT, got '%s'\n", val);
                return -1;
            }
        } else if (FLAG("--enclave")) {
            VALUE();
            cfg->enclave_path = val;
        } else if (FLAG("--sim-bundle") || FLAG("--peer-listen") || FLAG("--peers") ||
                   FLAG("--collateral") || FLAG("--sim-root") || FLAG("--accept-status")) {
            VALUE();
            if (!*val) {
                fprintf(stderr, "esgxd: %s needs a non-empty value\n", name);
                return -1;
            }
            if (FLAG("--sim-bundle")) cfg->sim_bundle = val;
            else if (FLAG("--peer-listen")) cfg->peer_listen = val;
            else if (FLAG("--peers")) cfg->peers = val;
            else if (FLAG("--collateral")) cfg->collateral = val;
            else if (FLAG("--sim-root")) cfg->sim_root = val;
            else cfg->accept_status = val;
        } else if (FLAG("--trust-mrenclave")) {
            VALUE();
            if (cfg->n_trust >= sizeof cfg->trust_mrenclave / sizeof cfg->trust_mrenclave[0]) {
                fprintf(stderr, "esgxd: at most 16 --trust-mrenclave\n");
                return -1;
            }
            cfg->trust_mrenclave[cfg->n_trust++] = val;
        } else if (FLAG("--log-level")) {
            VALUE();
            int l;
            if (node_log_level_parse(val, &l)) {
                fprintf(stderr, "esgxd: --log-level wants error, warn, info or debug\n");
                return -1;
            }
            cfg->log_level = l;
        } else if (FLAG("--compile-threads")) {
            VALUE();
            if (parse_u64(val, &n, 0) || n > 8) {
                fprintf(stderr, "esgxd: --compile-threads wants an integer 0..8\n");
                return -1;
            }
            cfg->compile_threads = (unsigned)n;
        } else if (FLAG("--workers") || FLAG("--http-threads") || FLAG("--memory-pages")) {
            VALUE();
            uint64_t max = FLAG("--memory-pages") ? 65536 : 256;
            if (parse_u64(val, &n, 0) || n < 1 || n > max) {
                fprintf(stderr, "esgxd: %s wants an integer 1..%llu\n", name,
                        (unsigned long long)max);
                return -1;
            }
            if (FLAG("--workers")) cfg->workers = (unsigned)n;
            else if (FLAG("--http-threads")) cfg->http_threads = (unsigned)n;
            else cfg->memory_pages = (unsigned)n;
        } else if (FLAG("--max-content") || FLAG("--max-input") || FLAG("--max-output")) {
            VALUE();
            if (parse_u64(val, &n, 1) || n < 1 || n > (64ull << 20) - (1u << 16)) {
                fprintf(stderr, "esgxd: %s wants a size from 1 byte to 64M-64K\n", name);
                return -1;
            }
            if (FLAG("--max-content")) cfg->max_content = n;
            else if (FLAG("--max-input")) cfg->max_input = n;
            else cfg->max_output = n;
        } else if (FLAG("--fuel")) {
            VALUE();
            if (parse_u64(val, &n, 0) || n < 1 || n > (uint64_t)INT64_MAX) {
                fprintf(stderr, "esgxd: --fuel wants a positive integer\n");
                return -1;
            }
            cfg->fuel = n;
        } else {
            fprintf(stderr, "esgxd: unknown option '%s' (see --help)\n", a);
            return -1;
        }
#undef FLAG
#undef VALUE
    }
    if (!cfg->data_dir) {
        fprintf(stderr, "esgxd: --data-dir is required (see --help)\n");
        return -1;
    }
    if (cfg->init && cfg->peers) {
        fprintf(stderr, "esgxd: --init and --peers exclude each other (the first node creates "
                        "the key, later nodes fetch it)\n");
        return -1;
    }
    if (cfg->pccs_url && cfg->collateral) {
        fprintf(stderr, "esgxd: --pccs and --collateral exclude each other (collateral comes "
                        "either from a PCCS or from a fixed file)\n");
        return -1;
    }
    if ((cfg->pccs_insecure || cfg->pccs_refresh) && !cfg->pccs_url) {
        fprintf(stderr, "esgxd: --pccs-insecure and --pccs-refresh need --pccs URL\n");
        return -1;
    }
    if (!cfg->pccs_refresh) cfg->pccs_refresh = 3600;
    if (cfg->max_content + cfg->max_input > (64ull << 20)) {
        fprintf(stderr, "esgxd: --max-content + --max-input must stay within 64M\n");
        return -1;
    }
    return 0;
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
            *p = '/';
        }
    if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
    return 0;
}

/* Reads DIR/admin.token, creating it (0600, atomically) if missing. */
static int load_token(const node_config *cfg, char token[65])
{
    char path[PATH_MAX], tmp[PATH_MAX];
    snprintf(path, sizeof path, "%s/admin.token", cfg->data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        uint8_t rnd[32];
        char hex[66];
        if (esgx_crypto_random(rnd, sizeof rnd, NULL)) return -1;
        esgx_crypto_hex_encode(rnd, sizeof rnd, hex);
        esgx_crypto_wipe(rnd, sizeof rnd);
        hex[64] = '\n';
        snprintf(tmp, sizeof tmp, "%s/.admin.token.tmp", cfg->data_dir);
        int w = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (w < 0 || write(w, hex, 65) != 65 || fsync(w) || close(w) || rename(tmp, path)) {
            node_log(NODE_LOG_ERROR, "cannot create %s: %s", path, strerror(errno));
            esgx_crypto_wipe(hex, sizeof hex);
            return -1;
        }
        esgx_crypto_wipe(hex, sizeof hex);
        node_log(NODE_LOG_INFO, "created admin token in %s", path);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        node_log(NODE_LOG_ERROR, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[130];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
    if (n != 64) {
        node_log(NODE_LOG_ERROR, "%s must hold 64 hex characters", path);
        return -1;
    }
    memcpy(token, buf, 64);
    token[64] = 0;
    esgx_crypto_wipe(buf, sizeof buf);
    return 0;
}

static int find_enclave(node_state *st)
{
    node_config *cfg = &st->cfg;
    if (cfg->enclave_path) {
        if (!realpath(cfg->enclave_path, st->enclave_path)) {
            fprintf(stderr, "esgxd: --enclave %s: %s\n", cfg->enclave_path, strerror(errno));
            return -1;
        }
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0) return -1;
        self[n] = 0;
        snprintf(st->enclave_path, sizeof st->enclave_path, "%s/esgx-enclave", dirname(self));
    }
    if (access(st->enclave_path, X_OK)) {
        fprintf(stderr, "esgxd: enclave binary %s: %s (use --enclave PATH)\n", st->enclave_path,
                strerror(errno));
        return -1;
    }
    cfg->enclave_path = st->enclave_path;
    return 0;
}

/* Refuses --init on a node that already has a sealed key. Returns 0 or 1 (exit status). */
static int check_init(const node_config *cfg)
{
    if (!cfg->init) return 0;
    char sealed[PATH_MAX];
    snprintf(sealed, sizeof sealed, "%s/shared_key.sealed", cfg->data_dir);
    if (access(sealed, F_OK) == 0) {
        node_log(NODE_LOG_ERROR, "refusing --init: %s exists (this node is already "
                                 "initialised; start without --init)", sealed);
        return 1;
    }
    return 0;
}

/* Waits for SIGTERM/SIGINT (or SIGUSR1 from on_fatal); SIGHUP is logged and ignored. */
static void wait_for_stop(const sigset_t *set)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(set, &si);
        if (sig < 0) continue;
        if (sig == SIGHUP) {
            node_log(NODE_LOG_INFO, "SIGHUP ignored (restart to change settings)");
            continue;
        }
        node_log(NODE_LOG_INFO, "%s: shutting down",
                 sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "fatal error");
        return;
    }
}

/* The objects of a running node, in the order main builds them. */
typedef struct node_objects {
    metrics *metrics;
    content_store *content;
    registry *registry;
    collat *collateral;
    sup *sup;
    http *http;
} node_objects;

/* Builds the objects in order and waits for the enclave. Returns 0 (serving) or 1
 * (what was built is in *o for the cleanup path). */
static int start_node(node_state *st, const char *token, node_objects *o)
{
    const node_config *cfg = &st->cfg;
    esgx_err err;
    if (metrics_new(&o->metrics, &err) || content_open(cfg->data_dir, &o->content, &err) ||
        registry_open(cfg->data_dir, &o->registry, &err) ||
        collat_new(cfg, &o->collateral, &err)) {
        node_log(NODE_LOG_ERROR, "%s", err.msg);
        return 1;
    }
    sup_hooks hooks = {.on_fatal = on_fatal, .fatal_arg = st,
                       .on_collateral_req = collat_request, .collateral_arg = o->collateral};
    if (sup_new(cfg, o->content, o->metrics, &hooks, &o->sup, &err)) {
        node_log(NODE_LOG_ERROR, "%s", err.msg);
        return 1;
    }
    collat_attach(o->collateral, o->sup);
    if (sup_wait_ready(o->sup, cfg->init ? 60000 : 15000)) {
        if (cfg->init || atomic_load(&st->exit_fatal)) {
            node_log(NODE_LOG_ERROR, "the enclave did not come up; giving up");
            sup_stop(o->sup, 5000);
            return 1;
        }
        node_log(NODE_LOG_WARN, "the enclave is not ready yet; serving anyway (503 until it is)");
    }
    http_deps deps = {.cfg = cfg, .token_hex = token, .sup = o->sup, .content = o->content,
                      .registry = o->registry, .metrics = o->metrics,
                      .collateral = o->collateral};
    if (http_start(&deps, &o->http, &err)) {
        node_log(NODE_LOG_ERROR, "%s", err.msg);
        sup_stop(o->sup, 5000);
        return 1;
    }
    node_log(NODE_LOG_INFO, "listening on http://%s%s%s:%u (data dir %s)",
             strchr(cfg->listen_host, ':') ? "[" : "", cfg->listen_host,
             strchr(cfg->listen_host, ':') ? "]" : "", http_port(o->http), cfg->data_dir);
    return 0;
}

/* Frees the objects in reverse order (the supervisor is stopped before the HTTP server
 * goes, so no connection is still suspended). */
static void free_node(node_objects *o)
{
    sup_stop(o->sup, 5000);
    collat_free(o->collateral);
    http_free(o->http);
    sup_free(o->sup);
    registry_close(o->registry);
    content_close(o->content);
    metrics_free(o->metrics);
}

int main(int argc, char **argv)
{
    node_state st = {0};    /* main's, passed down by pointer */
    if (parse_args(argc, argv, &st)) return 2;
    node_config *cfg = &st.cfg;
    node_log_set_level(cfg->log_level);
    if (find_enclave(&st)) return 1;
    if (mkdir_p(cfg->data_dir)) {
        fprintf(stderr, "esgxd: cannot create %s: %s\n", cfg->data_dir, strerror(errno));
        return 1;
    }
    if (check_init(cfg)) return 1;
    char token[65];
    if (load_token(cfg, token)) return 1;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    node_objects o = {0};
    int rc = start_node(&st, token, &o);
    esgx_crypto_wipe(token, sizeof token);
    if (rc == 0) {
        wait_for_stop(&set);
        http_quiesce(o.http);
        sup_stop(o.sup, 25000);
    }
    free_node(&o);
    if (rc) return rc;
    int fatal = atomic_load(&st.exit_fatal);
    node_log(NODE_LOG_INFO, "stopped%s", fatal ? " after a fatal error" : "");
    return fatal ? 1 : 0;
}
