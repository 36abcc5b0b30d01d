/*
 * main.c: esgxd, the untrusted node host (docs/operations.md).
 *
 * Startup: parse flags; no core dumps, not dumpable, umask 077; lock the data directory
 * (DIR/esgxd.lock, flock held for life; a second esgxd on it exits 3 having touched
 * nothing else); prepare the data directory (0700, tightened if it exists: registry.db and its journal 0600) and the admin token
 * (DIR/admin.token, 32 random bytes as hex, 0600, created if missing), refuse --init on
 * an initialised node, open the content store and the registry, start the enclave
 * supervisor and wait (bounded) for the enclave's HELLO (and the key creation with
 * --init, whose network key is then logged and written to DIR/network_key for the other
 * nodes' --network-key; in a network the node holding admin.token then publishes the
 * token's token_mac, made by the enclave), then serve HTTP. All signals of interest are blocked in every
 * thread and taken synchronously by the main thread with sigwaitinfo: SIGTERM/SIGINT start a
 * graceful shutdown (stop accepting, SHUTDOWN to the enclave, wait for it, exit 0);
 * the supervisor asks for shutdown (fatal) through its on_fatal hook, which sets a flag
 * in main's node_state and sends SIGUSR1 to the process. Because signals are taken with
 * sigwaitinfo there is no signal handler and no static state for it. The objects
 * (metrics, content store, registry, collateral service, supervisor, HTTP server) are
 * built in that order and freed in reverse on one cleanup path.
 */
#define _GNU_SOURCE
#include "node_config.h"
#include "node_log.h"
#include "metrics.h"
#include "content.h"
#include "registry.h"
#include "supervisor.h"
#include "collateral_service.h"
#include "http_request.h"
#include "http_server.h"
#include "console.h"
#include "node_net.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

/* ---------------------------------------------------------------- options */

/* How an option's value is taken. */
typedef enum {
    OPT_FLAG,        /* no value: sets an int to 1 */
    OPT_STR,         /* a string (may be empty) */
    OPT_STR_NONEMPTY,/* a non-empty string */
    OPT_UNSIGNED,    /* a whole number min..max into an unsigned */
    OPT_U64,         /* a whole number min..max into a uint64_t */
    OPT_SIZE,        /* a size min..max (K, M, G suffix) into a uint64_t */
    OPT_LISTEN,      /* HOST:PORT or [V6]:PORT */
    OPT_LOG_LEVEL,   /* error, warn, info, debug */
    OPT_URL,         /* an http:// or https:// URL */
    OPT_TRUST,       /* a MRENCLAVE, repeatable (trust_mrenclave[]) */
    OPT_PROXY,       /* CIDR[,CIDR...], repeatable (trusted_proxy[]) */
    OPT_TIER,        /* interp or jit (ESGX_TIER_* into an int) */
    OPT_HELP,        /* prints the help text, exit 0 */
    OPT_VERSION,     /* prints "esgxd VERSION", exit 0 */
    OPT_SECTION,     /* not an option: a heading of the help text */
} opt_kind;

/* One option: the table drives both parsing and --help. */
typedef struct opt {
    const char *name;        /* "--workers" (or the heading for OPT_SECTION) */
    const char *arg;         /* placeholder in the help ("N"), NULL for none */
    opt_kind kind;
    size_t off;              /* offsetof(node_config, field) */
    uint64_t min, max;       /* numbers */
    const char *wants;       /* what is accepted, for the error message */
    const char *help;        /* lines separated by '\n' */
} opt;

#define CFG(f) offsetof(node_config, f)
#define MAX_BODY ((64ull << 20) - (1u << 16))

static const opt options[] = {
    {"--data-dir", "DIR", OPT_STR, CFG(data_dir), 0, 0, NULL,
     "node state (content/, registry.db, admin.token, sealed key)"},
    {"--listen", "HOST:PORT", OPT_LISTEN, 0, 0, 0, "HOST:PORT",
     "HTTP address (default 127.0.0.1:8080; port 0 = any free)"},
    {"--init", NULL, OPT_FLAG, CFG(init), 0, 0, NULL,
     "create the network's shared key (first node only); refuses\n"
     "if DIR/shared_key.sealed exists"},
    {"--enclave", "PATH", OPT_STR, CFG(enclave_path), 0, 0, NULL,
     "the esgx-enclave binary (default: next to esgxd,\n"
     "else ../libexec/esgx/ from esgxd's folder)"},
    {"--workers", "N", OPT_UNSIGNED, CFG(workers), 1, 256, "an integer 1..256",
     "concurrent executions in the enclave (default 2)"},
    {"--http-threads", "N", OPT_UNSIGNED, CFG(http_threads), 1, 256, "an integer 1..256",
     "HTTP threads (default 2)"},
    {"--max-content", "BYTES", OPT_SIZE, CFG(max_content), 1, MAX_BODY,
     "a size from 1 byte to 64M-64K", "largest upload (default 16M)"},
    {"--max-input", "BYTES", OPT_SIZE, CFG(max_input), 1, MAX_BODY,
     "a size from 1 byte to 64M-64K", "largest invocation input (default 8M)"},
    {"--max-output", "BYTES", OPT_SIZE, CFG(max_output), 1, MAX_BODY,
     "a size from 1 byte to 64M-64K", "largest output (default 16M)"},
    {"--max-buffered", "BYTES", OPT_SIZE, CFG(max_buffered), 1u << 20, 1ull << 40,
     "a size from 1M to 1T",
     "request bodies buffered across all connections; a\n"
     "body beyond it is answered 503 (default 256M)"},
    {"--max-buffered-per-ip", "BYTES", OPT_SIZE, CFG(max_buffered_per_ip), 1u << 20,
     1ull << 40, "a size from 1M to 1T",
     "request bodies buffered from one client address\n"
     "(behind --trusted-proxy: one client); a body beyond\n"
     "it is answered 429 (default --max-buffered / 8, at\n"
     "least the largest body a route takes)"},
    {"--min-body-rate", "BYTES", OPT_SIZE, CFG(min_body_rate), 0, 1ull << 30,
     "a size from 0 to 1G",
     "bytes per second a request body must bring over\n"
     "every 5 s; a slower one is dropped (default 1K;\n"
     "0 = no minimum)"},
    {"--ip-connections", "N", OPT_UNSIGNED, CFG(max_conns_per_ip), 1, 8192,
     "an integer 1..8192", "connections from one client address (default 64)"},
    {"--trusted-proxy", "CIDR", OPT_PROXY, 0, 0, 0, NULL,
     "a front proxy (e.g. 127.0.0.1/32; repeatable or a comma\n"
     "list, 16 blocks at most): for a peer in one, the\n"
     "per-address limits count the right-most address of\n"
     "X-Forwarded-For not in one, and --ip-connections bounds\n"
     "that client's requests in flight; otherwise\n"
     "X-Forwarded-For is ignored"},
    {"--read-timeout", "SECS", OPT_UNSIGNED, CFG(request_timeout), 1, 3600,
     "seconds, 1..3600", "time a client has to send a request and its body\n"
     "(default 30)"},
    {"--no-console", NULL, OPT_FLAG, CFG(no_console), 0, 0, NULL,
     "do not serve the web console (GET / and /console/...\n"
     "answer 404; docs/console.md)"},
    {"--fuel", "N", OPT_U64, CFG(fuel), 1, (uint64_t)INT64_MAX, "a positive integer",
     "default and maximum fuel per invocation (default 1000000000)"},
    {"--memory-pages", "N", OPT_UNSIGNED, CFG(memory_pages), 1, 65536, "an integer 1..65536",
     "max 64 KiB pages of linear memory (default 1024)"},
    {"--compile-threads", "N", OPT_UNSIGNED, CFG(compile_threads), 0, 8, "an integer 0..8",
     "threads compiling a new large module (default 0 =\n"
     "one per CPU, at most 8; 1 = the worker alone)"},
    {"--tier", "interp|jit", OPT_TIER, CFG(tier), 0, 0, "interp or jit",
     "how functions run: the interpreter or the x86-64\n"
     "compiler (default: $ESGX_WASM_TIER, else the\n"
     "compiler where available); passed to the enclave"},
    {"--max-queue", "N", OPT_UNSIGNED, CFG(max_queue), 0, 100000, "an integer 0..100000",
     "invocations waiting for a worker; more answer 503\n"
     "queue_full with Retry-After (default 64)"},
    {"--queue-timeout", "SECS", OPT_UNSIGNED, CFG(queue_timeout), 0, 3600,
     "seconds, 0..3600",
     "an invocation that waited SECS for a worker answers\n"
     "503 queue_timeout (default 30; 0 = no limit)"},
    {"--max-exec-time", "SECS", OPT_UNSIGNED, CFG(max_exec_time), 0, 3600,
     "seconds, 0..3600",
     "an invocation running SECS answers 504 exec_timeout\n"
     "and the enclave restarts (default 60; 0 = none)"},
    {"--debug", NULL, OPT_FLAG, CFG(debug), 0, 0, NULL,
     "let functions' debug output reach the log"},
    {"--log-level", "LEVEL", OPT_LOG_LEVEL, CFG(log_level), 0, 0, "error, warn, info or debug",
     "error, warn, info (default) or debug"},
    {"Attestation and key sharing (docs/protocols.md), passed to the enclave:", NULL,
     OPT_SECTION, 0, 0, 0, NULL, NULL},
    {"--sim-bundle", "DIR", OPT_STR_NONEMPTY, CFG(sim_bundle), 0, 0, NULL,
     "sim: the network's sim bundle (quotes; its\n"
     "collateral.json is served in /attestation)"},
    {"--peer-listen", "H:P", OPT_STR_NONEMPTY, CFG(peer_listen), 0, 0, NULL,
     "serve the network key over RA-TLS to verified peers"},
    {"--peers", "LIST", OPT_STR_NONEMPTY, CFG(peers), 0, 0, NULL,
     "host:port,... to fetch the key from (no sealed key yet)"},
    {"--network-key", "XPUB", OPT_STR_NONEMPTY, CFG(network_key), 0, 0, NULL,
     "join only the network of this key (the xpub, or its\n"
     "66-hex public key, that the --init node logged and\n"
     "wrote to DIR/network_key); not with --init"},
    {"--trust-mrenclave", "HEX", OPT_TRUST, 0, 0, 0, NULL,
     "accept peers with this MRENCLAVE too (repeatable, sim)"},
    {"--accept-status", "LIST", OPT_STR_NONEMPTY, CFG(accept_status), 0, 0, NULL,
     "accepted TCB statuses of peers (sim)"},
    {"--collateral", "FILE", OPT_STR_NONEMPTY, CFG(collateral), 0, 0, NULL,
     "gramine-sgx: a fixed DCAP collateral JSON (also served)"},
    {"--pccs", "URL", OPT_URL, CFG(pccs_url), 0, 0, NULL,
     "gramine-sgx: fetch collateral from this PCCS (API v4, e.g.\n"
     "https://pccs:8081/sgx/certification/v4) when the enclave\n"
     "verifies a peer and for /attestation; cached in\n"
     "DIR/collateral/ (not with --collateral)"},
    {"--pccs-insecure", NULL, OPT_FLAG, CFG(pccs_insecure), 0, 0, NULL,
     "do not check the PCCS's TLS certificate (collateral is\n"
     "still verified against Intel's signatures and root)"},
    {"--pccs-ca", "FILE", OPT_STR_NONEMPTY, CFG(pccs_ca), 0, 0, NULL,
     "PEM CA certificate(s) for the PCCS's TLS certificate\n"
     "(a private CA) instead of the system's store"},
    {"--pccs-refresh", "SECS", OPT_UNSIGNED, CFG(pccs_refresh), 1, 7 * 86400,
     "seconds, 1..604800",
     "refetch cached collateral after SECS (default 3600); a\n"
     "failed refetch keeps serving the cached copy"},
    {"--sim-root", "PEM", OPT_STR_NONEMPTY, CFG(sim_root), 0, 0, NULL,
     "sim: extra trust anchor for peers' quotes"},
    {"The network (docs/network.md); without --etcd the node runs alone:", NULL,
     OPT_SECTION, 0, 0, 0, NULL, NULL},
    {"--etcd", "URLS", OPT_STR_NONEMPTY, CFG(etcd), 0, 0, NULL,
     "join the network whose control plane is this etcd\n"
     "cluster (http://host:port[,...], v3 JSON gateway)"},
    {"--etcd-prefix", "PREFIX", OPT_STR_NONEMPTY, CFG(etcd_prefix), 0, 0, NULL,
     "the network's keys in etcd (default /esgx/)"},
    {"--advertise", "URL", OPT_URL, CFG(advertise), 0, 0, NULL,
     "the URL other nodes reach this node at (needed\n"
     "with --etcd)"},
    {"--node-id", "ID", OPT_STR_NONEMPTY, CFG(node_id), 0, 0, NULL,
     "this node's id (default: DIR/node.id, made once)"},
    {"--replicas", "N", OPT_UNSIGNED, CFG(replicas), 1, 16, "an integer 1..16",
     "an upload is acknowledged once N nodes hold it\n"
     "(default 2, fewer when fewer nodes are up)"},
    {"--ipfs-gateway", "URL", OPT_URL, CFG(ipfs_gateway), 0, 0, NULL,
     "fetch ipfs://CID origins from URL/ipfs/CID"},
    {"--allow-private-origins", NULL, OPT_FLAG, CFG(allow_private_origins), 0, 0, NULL,
     "http(s) origins may resolve to loopback, private\n"
     "or link-local addresses (refused by default)"},
    {"--fetch-timeout", "SECS", OPT_UNSIGNED, CFG(fetch_timeout), 1, 3600, "seconds, 1..3600",
     "bound of one transfer from a peer or an origin\n"
     "(default 10; a transfer stalled for 3 s is dropped)"},
    {"HTTPS on the API port (docs/operations.md); give both or neither:", NULL,
     OPT_SECTION, 0, 0, 0, NULL, NULL},
    {"--tls-cert", "FILE", OPT_STR_NONEMPTY, CFG(tls_cert), 0, 0, NULL,
     "PEM certificate (chain: leaf first) served on --listen"},
    {"--tls-key", "FILE", OPT_STR_NONEMPTY, CFG(tls_key), 0, 0, NULL,
     "its PEM private key (unencrypted)"},
    {"--version", NULL, OPT_VERSION, 0, 0, 0, NULL,
     "print \"esgxd VERSION\" and the console bundle's hash\n"
     "(\"console sha256:HEX\", or \"console none\") and exit"},
    {"--help", NULL, OPT_HELP, 0, 0, 0, NULL, "this text"},
};
enum { N_OPTIONS = sizeof options / sizeof options[0] };

/* The help text quotes these defaults. */
_Static_assert(ESGX_DEFAULT_MAX_CONTENT == 16u << 20, "--help says 16M");
_Static_assert(ESGX_DEFAULT_MAX_INPUT == 8u << 20, "--help says 8M");
_Static_assert(ESGX_DEFAULT_MAX_OUTPUT == 16u << 20, "--help says 16M");
_Static_assert(ESGX_DEFAULT_FUEL == 1000000000ull, "--help says 1000000000");
_Static_assert(ESGX_DEFAULT_MEMORY_PAGES == 1024, "--help says 1024");
_Static_assert(HTTP_DEFAULT_MIN_BODY_RATE == 1024, "--min-body-rate: help says 1K");

static void usage(FILE *f)
{
    fprintf(f, "usage: esgxd --data-dir DIR [options]\n"
               "\n"
               "Runs an esgx node: the HTTP API, the content store, the function registry and\n"
               "the esgx-enclave process that executes functions.\n"
               "\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const opt *o = &options[i];
        if (o->kind == OPT_SECTION) {
            fprintf(f, "\n%s\n", o->name);
            continue;
        }
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        const char *h = o->help;
        int first = 1;
        if (strlen(left) > 21) {   /* a long flag gets a line of its own */
            fprintf(f, "  %s\n", left);
            first = 0;
        }
        while (*h) {
            const char *nl = strchr(h, '\n');
            int n = nl ? (int)(nl - h) : (int)strlen(h);
            fprintf(f, "  %-21s %.*s\n", first ? left : "", n, h);
            first = 0;
            h += n + (nl ? 1 : 0);
        }
    }
    fprintf(f, "\nSizes take a K, M or G suffix (powers of 1024).\n");
}

/* Writes s to f escaped for roff text: backslashes, and '-' as \- (a minus sign, so
 * that options stay copyable from the rendered page); a line starting with '.' or '\''
 * is guarded with \&. */
static void roff_text(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((i == 0 || s[i - 1] == '\n') && (s[i] == '.' || s[i] == '\'')) fputs("\\&", f);
        if (s[i] == '\\') fputs("\\e", f);
        else if (s[i] == '-') fputs("\\-", f);
        else fputc(s[i], f);
    }
}

/* The hidden `esgxd --man`: the manual page esgxd(8) in roff, made from the option table
 * that --help and the parser read, so the page cannot drift from the program; the build
 * writes it (src/node/CMakeLists.txt) and `cmake --install` installs it. */
static void man_page(FILE *f)
{
    fprintf(f, ".\\\" esgxd(8), generated by `esgxd --man` from its option table\n"
               ".TH ESGXD 8 \"\" \"esgx %s\" \"esgx\"\n"
               ".SH NAME\nesgxd \\- the esgx node host\n"
               ".SH SYNOPSIS\n.B esgxd\n\\fB\\-\\-data\\-dir\\fR \\fIDIR\\fR [\\fIoptions\\fR]\n"
               ".SH DESCRIPTION\n"
               "Runs an esgx node: the HTTP API, the content store, the function registry and\n"
               "the esgx\\-enclave process that executes functions (found next to esgxd, else in\n"
               "\\fI../libexec/esgx/\\fR from esgxd's folder, or given with \\fB\\-\\-enclave\\fR).\n"
               "The first node of a network is started once with \\fB\\-\\-init\\fR; see\n"
               "docs/operations.md in the esgx documentation.\n"
               ".SH OPTIONS\n", ESGX_VERSION);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const opt *o = &options[i];
        if (o->kind == OPT_SECTION) {
            size_t n = strlen(o->name);
            fputs(".SS ", f);
            roff_text(f, o->name, n && o->name[n - 1] == ':' ? n - 1 : n);
            fputc('\n', f);
            continue;
        }
        fputs(".TP\n\\fB", f);
        roff_text(f, o->name, strlen(o->name));
        fputs("\\fR", f);
        if (o->arg) {
            fputs(" \\fI", f);
            roff_text(f, o->arg, strlen(o->arg));
            fputs("\\fR", f);
        }
        fputc('\n', f);
        for (const char *h = o->help; *h;) {   /* the help's lines, filled by roff */
            const char *nl = strchr(h, '\n');
            size_t n = nl ? (size_t)(nl - h) : strlen(h);
            roff_text(f, h, n);
            fputc(nl ? ' ' : '\n', f);
            h += n + (nl ? 1 : 0);
        }
        size_t hl = strlen(o->help);
        if (!hl || o->help[hl - 1] == '\n') fputc('\n', f);
    }
    fprintf(f, ".PP\nSizes take a K, M or G suffix (powers of 1024).\n"
               ".SH EXIT STATUS\n0 after a graceful stop (SIGTERM or SIGINT), 1 on a fatal error, 2 on\n"
               "a usage error, 3 when another esgxd holds the data directory.\n"
               ".SH FILES\n.TP\n\\fIDIR/admin.token\\fR\nthe admin token (0600)\n"
               ".TP\n\\fIDIR/shared_key.sealed\\fR\nthe network key, sealed by the enclave\n"
               ".TP\n\\fIDIR/network_key\\fR\nthe network's public key, for other nodes' "
               "\\fB\\-\\-network\\-key\\fR\n"
               ".SH SEE ALSO\n\\fBesgx\\fR(1)\n");
}

/* Parses HOST:PORT or [V6]:PORT into st->listen_host and cfg.listen_port. */
static int parse_listen(node_state *st, const char *s)
{
    char *host = st->listen_host;
    size_t hostcap = sizeof st->listen_host;
    const char *colon;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':') return ESGX_NODE_E_USAGE;
        snprintf(host, hostcap, "%.*s", (int)(rb - s - 1), s + 1);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s) return ESGX_NODE_E_USAGE;
        snprintf(host, hostcap, "%.*s", (int)(colon - s), s);
    }
    uint64_t port;
    if (esgx_parse_u64(colon + 1, 0, 65535, 0, &port, NULL)) return ESGX_NODE_E_USAGE;
    st->cfg.listen_host = host;
    st->cfg.listen_port = (unsigned)port;
    return ESGX_OK;
}

/* Stores val for option o. Returns 0 or ESGX_NODE_E_USAGE (message printed). */
static int apply_option(node_state *st, const opt *o, const char *val)
{
    node_config *cfg = &st->cfg;
    char *field = (char *)cfg + o->off;
    uint64_t n;
    esgx_err err;
    switch (o->kind) {
    case OPT_FLAG: *(int *)(void *)field = 1; return ESGX_OK;
    case OPT_STR_NONEMPTY:
        if (!*val) {
            fprintf(stderr, "esgxd: %s needs a non-empty value\n", o->name);
            return ESGX_NODE_E_USAGE;
        }
        /* fall through */
    case OPT_STR: *(const char **)(void *)field = val; return ESGX_OK;
    case OPT_UNSIGNED:
    case OPT_U64:
    case OPT_SIZE:
        if (esgx_parse_u64(val, o->min, o->max, o->kind == OPT_SIZE ? ESGX_PARSE_SIZE : 0, &n,
                           &err)) {
            fprintf(stderr, "esgxd: %s wants %s (%s)\n", o->name, o->wants, err.msg);
            return ESGX_NODE_E_USAGE;
        }
        if (o->kind == OPT_UNSIGNED) *(unsigned *)(void *)field = (unsigned)n;
        else *(uint64_t *)(void *)field = n;
        return ESGX_OK;
    case OPT_LISTEN:
        if (parse_listen(st, val)) {
            fprintf(stderr, "esgxd: --listen wants HOST:PORT, got '%s'\n", val);
            return ESGX_NODE_E_USAGE;
        }
        return ESGX_OK;
    case OPT_LOG_LEVEL:
        if (esgx_node_log_level_parse(val, (int *)(void *)field)) {
            fprintf(stderr, "esgxd: --log-level wants error, warn, info or debug\n");
            return ESGX_NODE_E_USAGE;
        }
        return ESGX_OK;
    case OPT_URL:
        if (strncmp(val, "http://", 7) && strncmp(val, "https://", 8)) {
            fprintf(stderr, "esgxd: %s wants an http:// or https:// URL, got '%s'\n", o->name, val);
            return ESGX_NODE_E_USAGE;
        }
        *(const char **)(void *)field = val;
        return ESGX_OK;
    case OPT_TIER:
        if (esgx_proto_tier_parse(val, (int *)(void *)field, &err)) {
            fprintf(stderr, "esgxd: %s wants %s (%s)\n", o->name, o->wants, err.msg);
            return ESGX_NODE_E_USAGE;
        }
        return ESGX_OK;
    case OPT_TRUST:
        if (cfg->n_trust >= sizeof cfg->trust_mrenclave / sizeof cfg->trust_mrenclave[0]) {
            fprintf(stderr, "esgxd: at most 16 --trust-mrenclave\n");
            return ESGX_NODE_E_USAGE;
        }
        cfg->trust_mrenclave[cfg->n_trust++] = val;
        return ESGX_OK;
    case OPT_PROXY:
        if (esgx_http_cidr_add(cfg->trusted_proxy, &cfg->n_trusted_proxy,
                               ESGX_TRUSTED_PROXY_MAX, val, &err)) {
            fprintf(stderr, "esgxd: --trusted-proxy: %s\n", err.msg);
            return ESGX_NODE_E_USAGE;
        }
        return ESGX_OK;
    default: return ESGX_NODE_E_USAGE;
    }
}

/* The tier: --tier, else ESGX_WASM_TIER. A bad value of the variable fails here, at
 * startup, naming it; a good one is passed to the enclave as --tier, so that it holds
 * under a loader that does not pass the environment on. Which tier functions really
 * run on (the compiler may be unavailable) is the enclave's to say: its HELLO tells
 * /health and /metrics. esgxd itself does not link the runtime. Returns 0 or
 * ESGX_NODE_E_USAGE (message printed). */
static int check_tier(node_config *cfg)
{
    esgx_err err;
    const char *env = getenv("ESGX_WASM_TIER");
    if (cfg->tier == ESGX_TIER_UNKNOWN && env && *env &&
        esgx_proto_tier_parse(env, &cfg->tier, &err)) {
        fprintf(stderr, "esgxd: ESGX_WASM_TIER: %s\n", err.msg);
        return ESGX_NODE_E_USAGE;
    }
    return ESGX_OK;
}

/* Checks the combinations of options and fills the late defaults. Returns 0 or
 * ESGX_NODE_E_USAGE (message printed). */
static int check_options(node_config *cfg)
{
    const char *why = NULL;
    if (!cfg->data_dir) why = "--data-dir is required (see --help)";
    else if (cfg->init && cfg->peers)
        why = "--init and --peers exclude each other (the first node creates the key, later "
              "nodes fetch it)";
    else if (cfg->init && cfg->network_key)
        why = "--init and --network-key exclude each other (--init creates the network key "
              "and prints it; the other nodes pin it with --network-key)";
    else if (cfg->pccs_url && cfg->collateral)
        why = "--pccs and --collateral exclude each other (collateral comes either from a "
              "PCCS or from a fixed file)";
    else if ((cfg->pccs_insecure || cfg->pccs_ca || cfg->pccs_refresh) && !cfg->pccs_url)
        why = "--pccs-insecure, --pccs-ca and --pccs-refresh need --pccs URL";
    else if (cfg->pccs_insecure && cfg->pccs_ca)
        why = "--pccs-insecure and --pccs-ca exclude each other (no check, or a check "
              "against FILE)";
    else if (cfg->max_content + cfg->max_input > (64ull << 20))
        why = "--max-content + --max-input must stay within 64M";
    else if (cfg->etcd && !cfg->advertise)
        why = "--etcd needs --advertise URL (how the other nodes reach this one)";
    else if (!cfg->etcd && (cfg->etcd_prefix || cfg->advertise || cfg->node_id ||
                            cfg->replicas || cfg->ipfs_gateway || cfg->fetch_timeout ||
                            cfg->allow_private_origins))
        why = "--etcd-prefix, --advertise, --node-id, --replicas, --ipfs-gateway, "
              "--fetch-timeout and --allow-private-origins need --etcd";
    else if (cfg->etcd && cfg->peer_listen && strlen(cfg->peer_listen) > 2 &&
             !strcmp(cfg->peer_listen + strlen(cfg->peer_listen) - 2, ":0"))
        why = "with --etcd, --peer-listen needs a fixed port (the members publish it)";
    if (why) {
        fprintf(stderr, "esgxd: %s\n", why);
        return ESGX_NODE_E_USAGE;
    }
    if (check_tier(cfg)) return ESGX_NODE_E_USAGE;
    if (!cfg->pccs_refresh) cfg->pccs_refresh = 3600;
    if (!cfg->etcd_prefix) cfg->etcd_prefix = "/esgx/";
    if (!cfg->replicas) cfg->replicas = 2;
    if (!cfg->fetch_timeout) cfg->fetch_timeout = 10;
    if (!esgx_console_hash()) cfg->no_console = 1;   /* built without the console */
    /* for tests only (docs/http-api.md, GET /metrics/history): a shorter sampling interval */
    const char *iv = getenv("ESGX_METRICS_INTERVAL_MS");
    uint64_t ms;
    esgx_err err;
    if (iv && *iv) {
        if (esgx_parse_u64(iv, 100, 60000, 0, &ms, &err)) {
            fprintf(stderr, "esgxd: ESGX_METRICS_INTERVAL_MS: %s\n", err.msg);
            return ESGX_NODE_E_USAGE;
        }
        cfg->metrics_interval_ms = (unsigned)ms;
    }
    return ESGX_OK;
}

/* Fills st->cfg from argv (defaults first). --help and --version print and exit 0.
 * Returns 0 or ESGX_NODE_E_USAGE (a message naming the option was printed). */
static int parse_args(int argc, char **argv, node_state *st)
{
    node_config *cfg = &st->cfg;
    cfg->listen_host = "127.0.0.1";
    cfg->listen_port = 8080;
    cfg->workers = 2;
    cfg->http_threads = 2;
    cfg->max_content = ESGX_DEFAULT_MAX_CONTENT;
    cfg->max_input = ESGX_DEFAULT_MAX_INPUT;
    cfg->max_output = ESGX_DEFAULT_MAX_OUTPUT;
    cfg->fuel = ESGX_DEFAULT_FUEL;
    cfg->memory_pages = ESGX_DEFAULT_MEMORY_PAGES;
    cfg->log_level = NODE_LOG_INFO;
    cfg->max_queue = 64;
    cfg->queue_timeout = 30;
    cfg->max_exec_time = 60;
    cfg->min_body_rate = HTTP_DEFAULT_MIN_BODY_RATE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL, *eq = strchr(a, '=');
        size_t nlen = eq && !strncmp(a, "--", 2) ? (size_t)(eq - a) : strlen(a);
        if (eq && nlen != strlen(a)) val = eq + 1;
        const opt *o = NULL;
        for (size_t k = 0; k < N_OPTIONS && !o; k++)
            if (options[k].kind != OPT_SECTION && strlen(options[k].name) == nlen &&
                !strncmp(options[k].name, a, nlen))
                o = &options[k];
        if (!o && !strcmp(a, "-h")) o = &options[N_OPTIONS - 1];
        if (!o && !strcmp(a, "--man")) {   /* hidden: the build makes esgxd.8 with it */
            man_page(stdout);
            exit(fflush(stdout) ? 1 : 0);
        }
        if (!o) {
            fprintf(stderr, "esgxd: unknown option '%s' (see --help)\n", a);
            return ESGX_NODE_E_USAGE;
        }
        if (o->kind == OPT_HELP) {
            usage(stdout);
            exit(0);
        }
        if (o->kind == OPT_VERSION) {
            const char *console = esgx_console_hash();
            printf("esgxd %s\nconsole %s%s\n", ESGX_VERSION, console ? "sha256:" : "none",
                   console ? console : "");
            exit(0);
        }
        if (o->arg && !val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "esgxd: %s needs a value\n", o->name);
                return ESGX_NODE_E_USAGE;
            }
            val = argv[++i];
        }
        if (apply_option(st, o, val)) return ESGX_NODE_E_USAGE;
    }
    return check_options(cfg);
}

#define EXIT_IN_USE 3   /* another esgxd holds DATA_DIR (docs/operations.md) */

/* Takes DIR/esgxd.lock (flock, exclusive, not waiting) for the life of the process and
 * writes our pid into it; the descriptor is close-on-exec, so the enclave and any other
 * child do not hold it. Nothing else in DIR is touched before this. Returns 0, or
 * EXIT_IN_USE when another esgxd holds the lock, or 1 (message printed). */
static int lock_data_dir(const char *dir)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/esgxd.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "esgxd: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        int e = errno;
        char pid[24] = "?";
        ssize_t n = e == EWOULDBLOCK ? pread(fd, pid, sizeof pid - 1, 0) : -1;
        if (n > 0) pid[strcspn(pid, "\n")] = 0; else pid[1] = 0;
        close(fd);
        if (e != EWOULDBLOCK) {
            fprintf(stderr, "esgxd: cannot lock %s: %s\n", path, strerror(e));
            return 1;
        }
        fprintf(stderr, "esgxd: data directory %s is in use by another esgxd (pid %s)\n", dir, pid);
        return EXIT_IN_USE;
    }
    char pid[24];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)len, 0) != len)
        fprintf(stderr, "esgxd: warning: cannot write the pid into %s: %s\n", path,
                strerror(errno));
    return 0;   /* fd stays open (and locked) until the process exits */
}

/* Creates path and its parents (0700). Returns 0 or ESGX_NODE_E_IO (errno set). */
static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0700) && errno != EEXIST) return ESGX_NODE_E_IO;
            *p = '/';
        }
    if (mkdir(tmp, 0700) && errno != EEXIST) return ESGX_NODE_E_IO;
    return ESGX_OK;
}

/* Memory of a large request goes back to the system when it is freed: a fixed mmap
 * threshold makes every allocation of 256 KiB or more (a JSON parser's buffer for a body
 * of megabytes, a decoded input, a result) its own mapping, unmapped by free(). glibc's
 * default raises the threshold to the largest block freed so far (up to 32 MiB), after
 * which such blocks come from a thread's arena, whose top is not trimmed: a few bodies
 * of 8 MiB left ~48 MiB resident for good, outside what --max-buffered counts. */
static void bound_heap(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

/* The process holds the admin token for life: no core dumps, no ptrace or /proc/PID/mem
 * by other non-root processes of the same user, and every file it (or the enclave it
 * starts) creates is private (umask 077). */
static void harden_process(void)
{
    umask(077);
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
        fprintf(stderr, "esgxd: warning: PR_SET_DUMPABLE: %s\n", strerror(errno));
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none))
        fprintf(stderr, "esgxd: warning: RLIMIT_CORE: %s\n", strerror(errno));
}

/* Tightens a data directory made by an older esgxd or by hand: the directory and
 * content/ 0700, the registry and its journal files 0600 (symbolic links inside are
 * left alone). Returns 0 or ESGX_NODE_E_IO (message printed). */
static int tighten_data_dir(const char *dir)
{
    static const struct { const char *name; mode_t mode; } items[] = {
        {"", 0700}, {"content", 0700}, {"registry.db", 0600},
        {"registry.db-wal", 0600}, {"registry.db-shm", 0600}, {"admin.token", 0600},
    };
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s%s%s", dir, items[i].name[0] ? "/" : "", items[i].name);
        int r = items[i].name[0] ? lstat(path, &st) : stat(path, &st);
        if (r && errno == ENOENT) continue;
        if (!r && (S_ISLNK(st.st_mode) || (st.st_mode & 07777) == items[i].mode)) continue;
        if (r || chmod(path, items[i].mode)) {
            fprintf(stderr, "esgxd: cannot make %s private: %s\n", path, strerror(errno));
            return ESGX_NODE_E_IO;
        }
    }
    return ESGX_OK;
}

/* Reads DIR/admin.token into token (64 hex + NUL), creating it (0600, atomically) if
 * missing. Returns 0 or ESGX_NODE_E_IO (logged). */
static int load_token(const node_config *cfg, char token[65])
{
    char path[PATH_MAX], tmp[PATH_MAX];
    snprintf(path, sizeof path, "%s/admin.token", cfg->data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && cfg->etcd && !cfg->init) {
        token[0] = 0;   /* a node joining a network uses the network's token (etcd) */
        return ESGX_OK;
    }
    if (fd < 0 && errno == ENOENT) {
        uint8_t rnd[32];
        char hex[66];
        esgx_err err;
        if (esgx_crypto_random(rnd, sizeof rnd, &err)) {
            esgx_node_log(NODE_LOG_ERROR, "cannot make an admin token: %s", err.msg);
            return ESGX_NODE_E_IO;
        }
        esgx_crypto_hex_encode(rnd, sizeof rnd, hex);
        esgx_crypto_wipe(rnd, sizeof rnd);
        hex[64] = '\n';
        snprintf(tmp, sizeof tmp, "%s/.admin.token.tmp", cfg->data_dir);
        int w = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int bad = w < 0 || write(w, hex, 65) != 65 || fsync(w);
        int e = errno;
        if (w >= 0 && close(w) && !bad) bad = 1, e = errno;
        if (!bad && rename(tmp, path)) bad = 1, e = errno;
        esgx_crypto_wipe(hex, sizeof hex);
        if (bad) {
            esgx_node_log(NODE_LOG_ERROR, "cannot create %s: %s", path, strerror(e));
            return ESGX_NODE_E_IO;
        }
        esgx_node_log(NODE_LOG_INFO, "created admin token in %s", path);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        esgx_node_log(NODE_LOG_ERROR, "cannot read %s: %s", path, strerror(errno));
        return ESGX_NODE_E_IO;
    }
    char buf[130];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    int e = errno;
    close(fd);
    if (n < 0) {
        esgx_node_log(NODE_LOG_ERROR, "cannot read %s: %s", path, strerror(e));
        return ESGX_NODE_E_IO;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) n--;
    if (n != 64) {
        esgx_node_log(NODE_LOG_ERROR, "%s must hold 64 hex characters", path);
        esgx_crypto_wipe(buf, sizeof buf);
        return ESGX_NODE_E_IO;
    }
    memcpy(token, buf, 64);
    token[64] = 0;
    esgx_crypto_wipe(buf, sizeof buf);
    return ESGX_OK;
}

/* Resolves the enclave binary into st->enclave_path and checks it is executable:
 * --enclave, else esgx-enclave next to esgxd (a build tree), else
 * ../libexec/esgx/esgx-enclave from esgxd's folder (an install: /usr/bin/esgxd finds
 * /usr/libexec/esgx/esgx-enclave; the helper is not a command of its own, so it stays
 * off PATH). Returns 0 or ESGX_NODE_E_ARG (printed). */
static int find_enclave(node_state *st)
{
    node_config *cfg = &st->cfg;
    if (cfg->enclave_path) {
        if (!realpath(cfg->enclave_path, st->enclave_path)) {
            fprintf(stderr, "esgxd: --enclave %s: %s\n", cfg->enclave_path, strerror(errno));
            return ESGX_NODE_E_ARG;
        }
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0) {
            fprintf(stderr, "esgxd: /proc/self/exe: %s (use --enclave PATH)\n", strerror(errno));
            return ESGX_NODE_E_ARG;
        }
        self[n] = 0;
        const char *dir = dirname(self);
        snprintf(st->enclave_path, sizeof st->enclave_path, "%s/esgx-enclave", dir);
        if (access(st->enclave_path, X_OK)) {
            char beside[PATH_MAX];
            snprintf(beside, sizeof beside, "%s", st->enclave_path);
            int w = snprintf(st->enclave_path, sizeof st->enclave_path,
                             "%s/../libexec/esgx/esgx-enclave", dir);
            if (w < 0 || (size_t)w >= sizeof st->enclave_path ||
                access(st->enclave_path, X_OK)) {
                fprintf(stderr, "esgxd: no esgx-enclave at %s nor at %s (use --enclave PATH)\n",
                        beside, st->enclave_path);
                return ESGX_NODE_E_ARG;
            }
            char real[PATH_MAX];   /* /usr/libexec/..., not /usr/bin/../libexec/... */
            if (realpath(st->enclave_path, real))
                snprintf(st->enclave_path, sizeof st->enclave_path, "%s", real);
        }
    }
    if (access(st->enclave_path, X_OK)) {
        fprintf(stderr, "esgxd: enclave binary %s: %s (use --enclave PATH)\n", st->enclave_path,
                strerror(errno));
        return ESGX_NODE_E_ARG;
    }
    cfg->enclave_path = st->enclave_path;
    return ESGX_OK;
}

/* Refuses --init on a node that already has a sealed key. Returns 0 or 1 (exit status). */
static int check_init(const node_config *cfg)
{
    if (!cfg->init) return 0;
    char sealed[PATH_MAX];
    snprintf(sealed, sizeof sealed, "%s/shared_key.sealed", cfg->data_dir);
    if (access(sealed, F_OK) == 0) {
        esgx_node_log(NODE_LOG_ERROR, "refusing --init: %s exists (this node is already "
                                 "initialised; start without --init)", sealed);
        return 1;
    }
    return 0;
}

/* After --init: the network key in a log line the operator copies and in
 * DIR/network_key (the xpub and a newline; temporary file, fsync, rename), for the
 * other nodes' --network-key. Not on stdout: esgxd prints nothing there while it runs.
 * A failure to write is logged; the node goes on. */
static void publish_network_key(const node_config *cfg, sup *s)
{
    sup_info in;
    esgx_sup_get_info(s, &in);
    if (in.state != ESGX_STATE_READY || strlen(in.xpub) != ESGX_PROTO_XPUB_LEN) return;
    char hex[67], path[PATH_MAX], tmp[PATH_MAX], line[ESGX_PROTO_XPUB_LEN + 2];
    esgx_crypto_hex_encode(in.public_key, 33, hex);
    snprintf(path, sizeof path, "%s/network_key", cfg->data_dir);
    snprintf(tmp, sizeof tmp, "%s/.network_key.tmp", cfg->data_dir);
    int n = snprintf(line, sizeof line, "%s\n", in.xpub);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int bad = fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd);
    int e = errno;
    if (fd >= 0 && close(fd) && !bad) bad = 1, e = errno;
    if (!bad && rename(tmp, path)) bad = 1, e = errno;
    if (bad) {
        unlink(tmp);
        esgx_node_log(NODE_LOG_ERROR, "cannot write %s: %s", path, strerror(e));
    }
    esgx_node_log(NODE_LOG_INFO, "network key: --network-key %s (public key %s%s%s); give it "
                  "to every other node of this network", in.xpub, hex,
                  bad ? "" : ", in ", bad ? "" : path);
}

/* Waits for SIGTERM/SIGINT (or SIGUSR1 from on_fatal); SIGHUP is logged and ignored. */
static void wait_for_stop(const sigset_t *set)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(set, &si);
        if (sig < 0) continue;
        if (sig == SIGHUP) {
            esgx_node_log(NODE_LOG_INFO, "SIGHUP ignored (restart to change settings)");
            continue;
        }
        esgx_node_log(NODE_LOG_INFO, "%s: shutting down",
                 sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "fatal error");
        return;
    }
}

/* The objects of a running node, in the order main builds them. */
typedef struct node_objects {
    metrics *metrics;
    content_store *content;
    registry *registry;
    node_net *net;                 /* --etcd only */
    collat *collateral;
    sup *sup;
    http *http;
} node_objects;

/* With --etcd: joins the network, and when this node has no sealed key and is not the
 * first, waits for a member that serves the key. Returns 0 or 1 (logged). */
static int join_network(const node_config *cfg, node_objects *o)
{
    if (!cfg->etcd) return 0;
    esgx_err err;
    if (esgx_node_net_open(cfg, o->content, &o->net, &err)) {
        esgx_node_log(NODE_LOG_ERROR, "cannot join the network: %s", err.msg);
        return 1;
    }
    char sealed[PATH_MAX];
    snprintf(sealed, sizeof sealed, "%s/shared_key.sealed", cfg->data_dir);
    if (!cfg->init && !cfg->peers && access(sealed, F_OK) != 0 &&
        esgx_node_net_wait_peers(o->net, 60000))
        esgx_node_log(NODE_LOG_WARN, "no member of the network serves the key yet (--peer-listen); "
                                "this node has no key until it is restarted");
    return 0;
}

/* In a network, the node that holds DATA_DIR/admin.token (the --init node) publishes
 * the token's token_mac, made by its enclave (hence after the enclave is ready), and
 * pins it. Another token already in etcd stops the node (1); an enclave that cannot
 * make the MAC stops an --init node and is only logged otherwise (the node then answers
 * 503 to admin routes until it has a pinned token_mac). Returns 0 or 1 (logged). */
static int publish_token(const node_config *cfg, node_objects *o, const char *token)
{
    esgx_err err;
    int rc = esgx_node_net_publish_token(o->net, token, &err);
    if (rc == ESGX_OK) return 0;
    esgx_node_log(NODE_LOG_ERROR, "cannot publish the admin token's token_mac: %s", err.msg);
    return rc != ESGX_NODE_E_DOWN || cfg->init;
}

/* Builds the objects in order and waits for the enclave. Returns 0 (serving) or 1
 * (what was built is in *o for the cleanup path). */
static int start_node(node_state *st, const char *token, node_objects *o)
{
    const node_config *cfg = &st->cfg;
    esgx_err err;
    if (esgx_metrics_new(&o->metrics, &err) || esgx_content_open(cfg->data_dir, &o->content, &err) ||
        esgx_registry_open(cfg->data_dir, &o->registry, &err) ||
        esgx_collat_new(cfg, &o->collateral, &err)) {
        esgx_node_log(NODE_LOG_ERROR, "%s", err.msg);
        return 1;
    }
    if (join_network(cfg, o)) return 1;
    esgx_registry_use_network(o->registry, esgx_node_net_handle(o->net));   /* NULL: SQLite */
    sup_hooks hooks = {.on_fatal = on_fatal, .fatal_arg = st,
                       .on_collateral_req = esgx_collat_request, .collateral_arg = o->collateral};
    esgx_node_net_hooks(o->net, &hooks);
    if (esgx_sup_new(cfg, o->content, o->metrics, &hooks, &o->sup, &err)) {
        esgx_node_log(NODE_LOG_ERROR, "%s", err.msg);
        return 1;
    }
    esgx_collat_attach(o->collateral, o->sup);
    esgx_node_net_attach(o->net, o->sup);
    if (esgx_sup_wait_ready(o->sup, cfg->init ? 60000 : 15000)) {
        if (cfg->init || atomic_load(&st->exit_fatal)) {
            esgx_node_log(NODE_LOG_ERROR, "the enclave did not come up; giving up");
            esgx_sup_stop(o->sup, 5000);
            return 1;
        }
        esgx_node_log(NODE_LOG_WARN, "the enclave is not ready yet; serving anyway (503 until it is)");
    }
    if (cfg->init) publish_network_key(cfg, o->sup);
    if (o->net && token[0] && publish_token(cfg, o, token)) {
        esgx_sup_stop(o->sup, 5000);
        return 1;
    }
    http_deps deps = {.cfg = cfg, .token_hex = token, .sup = o->sup, .content = o->content,
                      .registry = o->registry, .metrics = o->metrics,
                      .collateral = o->collateral, .net = esgx_node_net_handle(o->net)};
    if (esgx_http_start(&deps, &o->http, &err)) {
        esgx_node_log(NODE_LOG_ERROR, "%s", err.msg);
        esgx_sup_stop(o->sup, 5000);
        return 1;
    }
    esgx_node_log(NODE_LOG_INFO, "listening on %s://%s%s%s:%u (data dir %s)",
             cfg->tls_cert ? "https" : "http", strchr(cfg->listen_host, ':') ? "[" : "", cfg->listen_host,
             strchr(cfg->listen_host, ':') ? "]" : "", esgx_http_port(o->http), cfg->data_dir);
    return 0;
}

/* Frees the objects in reverse order (the supervisor and the network's fetches are
 * stopped before the HTTP server goes, so no connection is still suspended and no fetch
 * calls back into a freed object; the network's threads, which ask the supervisor for
 * the node's identity, are joined before the supervisor is freed). */
static void free_node(node_objects *o)
{
    esgx_sup_stop(o->sup, 5000);
    esgx_node_net_stop_fetches(o->net);
    esgx_collat_free(o->collateral);
    esgx_http_free(o->http);
    esgx_node_net_close(o->net);
    esgx_sup_free(o->sup);
    esgx_registry_close(o->registry);
    esgx_content_close(o->content);
    esgx_metrics_free(o->metrics);
}

int main(int argc, char **argv)
{
    node_state st = {0};    /* main's, passed down by pointer */
    if (parse_args(argc, argv, &st)) return 2;
    node_config *cfg = &st.cfg;
    esgx_node_log_set_level(cfg->log_level);
    if (find_enclave(&st)) return 1;
    harden_process();
    bound_heap();
    if (mkdir_p(cfg->data_dir)) {
        fprintf(stderr, "esgxd: cannot create %s: %s\n", cfg->data_dir, strerror(errno));
        return 1;
    }
    int lrc = lock_data_dir(cfg->data_dir);
    if (lrc) return lrc;
    if (tighten_data_dir(cfg->data_dir)) return 1;
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
        esgx_http_quiesce(o.http);
        esgx_sup_stop(o.sup, 25000);
    }
    free_node(&o);
    if (rc) return rc;
    int fatal = atomic_load(&st.exit_fatal);
    esgx_node_log(NODE_LOG_INFO, "stopped%s", fatal ? " after a fatal error" : "");
    return fatal ? 1 : 0;
}
