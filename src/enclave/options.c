/*
 * options.c: esgx-enclave's command line (docs/channel.md, "Starting the enclave").
 *
 * One table describes every option: its name, what kind of value it takes, where the
 * value goes in enclave_options (an offset), the accepted range of a number and a line
 * of help. The parser and usage() both walk the table, so an option cannot be parsed
 * but undocumented or the other way round. Numbers go through esgx_parse_u64 (decimal,
 * no suffix) and an error names the option. A later occurrence of an option overrides
 * an earlier one, except --trust-mrenclave, which collects up to ENCLAVE_MAX_TRUST
 * values. Rules between options (--init excludes --peers and --network-key, ...) are
 * checked at the end, and so is ESGX_WASM_TIER when --tier is not given (a bad value is
 * a configuration error at startup, not a failure of every module). The value of
 * --network-key is checked by trust.c (netkey.h), which logs why it is refused.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "enclave.h"
#include "esgx_wasm.h"

typedef enum opt_kind {
    OPT_HELP,      /* prints the usage; the process exits 0 */
    OPT_FLAG,      /* int = 1 */
    OPT_STR,       /* const char * */
    OPT_STR_LIST,  /* the trust[] array and trust_count */
    OPT_INT,       /* int in [min, max] */
    OPT_UNSIGNED,  /* unsigned in [min, max] */
    OPT_U32,       /* uint32_t in [min, max] */
    OPT_U64,       /* uint64_t in [min, max] */
    OPT_LOG_LEVEL, /* error|warn|info|debug -> LOG_* */
    OPT_TIER,      /* interp|jit -> esgx_wasm_tier (int) */
} opt_kind;

typedef struct opt_def {
    const char *name;      /* "--fuel" */
    const char *alias;     /* another spelling ("-h") or NULL */
    opt_kind kind;
    size_t offset;         /* of the target in enclave_options */
    uint64_t min, max;     /* numbers only */
    const char *arg;       /* the value's name in the usage ("N"), NULL for flags */
    const char *help;
} opt_def;

#define OFF(field) offsetof(enclave_options, field)

static const opt_def OPTIONS[] = {
    {"--data-dir", NULL, OPT_STR, OFF(data_dir), 0, 0, "DIR",
     "node data directory (sim machine secret, sealed key); required"},
    {"--channel-fd", NULL, OPT_INT, OFF(channel_fd), 0, INT_MAX, "N",
     "the inherited channel socket; required"},
    {"--init", NULL, OPT_FLAG, OFF(init), 0, 0, NULL,
     "the host will send INIT_KEY (refused if a sealed key exists)"},
    {"--fuel", NULL, OPT_U64, OFF(fuel), 1, UINT64_MAX - 1, "N",
     "default and maximum fuel per invocation"},
    {"--workers", NULL, OPT_UNSIGNED, OFF(workers), 1, 256, "N",
     "worker threads (concurrent executions)"},
    {"--max-content", NULL, OPT_U64, OFF(max_content), 1, 64u << 20, "BYTES",
     "largest module/content in EXEC"},
    {"--max-input", NULL, OPT_U64, OFF(max_input), 0, 64u << 20, "BYTES",
     "largest EXEC input"},
    {"--max-output", NULL, OPT_U64, OFF(max_output), 1, 64u << 20, "BYTES",
     "largest output a guest may write"},
    {"--memory-pages", NULL, OPT_U32, OFF(memory_pages), 1, 65536, "N",
     "linear memory cap per instance, 64 KiB pages"},
    {"--compile-threads", NULL, OPT_U32, OFF(compile_threads), 0,
     ESGX_WASM_COMPILE_THREADS_MAX, "N", "threads compiling a large module (0 = per CPU)"},
    {"--tier", NULL, OPT_TIER, OFF(tier), 0, 0, "interp|jit",
     "how functions run (default: ESGX_WASM_TIER, else the compiler where available)"},
    {"--queue-timeout-ms", NULL, OPT_U64, OFF(queue_timeout_ms), 0, 86400000, "MS",
     "a job waiting longer for a worker answers not_ready queue_timeout (0 = none)"},
    {"--max-exec-ms", NULL, OPT_U64, OFF(max_exec_ms), 0, 86400000, "MS",
     "a job running longer answers exec_timeout and the process exits 1 (0 = none)"},
    {"--debug", NULL, OPT_FLAG, OFF(debug), 0, 0, NULL,
     "guest debug output to stderr"},
    {"--log-level", NULL, OPT_LOG_LEVEL, OFF(log_level), 0, 0, "error|warn|info|debug",
     "stderr verbosity"},
    {"--sim-bundle", NULL, OPT_STR, OFF(sim_bundle), 0, 0, "DIR",
     "sim only: the network's sim provisioning bundle"},
    {"--peer-listen", NULL, OPT_STR, OFF(peer_listen), 0, 0, "HOST:PORT",
     "serve the network key over RA-TLS to verified peers"},
    {"--peers", NULL, OPT_STR, OFF(peers), 0, 0, "LIST",
     "host:port,...: fetch the network key from these peers"},
    {"--trust-mrenclave", NULL, OPT_STR_LIST, OFF(trust), 0, 0, "HEX",
     "sim only, repeatable: MRENCLAVE accepted from peers besides our own"},
    {"--accept-status", NULL, OPT_STR, OFF(accept_status), 0, 0, "LIST",
     "sim only: accepted TCB statuses of peers"},
    {"--collateral", NULL, OPT_STR, OFF(collateral), 0, 0, "FILE",
     "gramine-sgx only: DCAP collateral JSON for verifying peers"},
    {"--collateral-from-host", NULL, OPT_FLAG, OFF(collateral_from_host), 0, 0, NULL,
     "gramine-sgx only: ask the host for collateral (esgxd --pccs)"},
    {"--sim-root", NULL, OPT_STR, OFF(sim_root), 0, 0, "PEM",
     "sim only: an extra trust anchor for peers' quotes"},
    {"--network-key", NULL, OPT_STR, OFF(network_key), 0, 0, "XPUB|HEX",
     "accept (from peers, and unsealed) only this network key; not with --init"},
    {"--help", "-h", OPT_HELP, 0, 0, 0, NULL, "this text"},
};

#define NOPTIONS (sizeof OPTIONS / sizeof OPTIONS[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: esgx-enclave --data-dir DIR --channel-fd N [option]...\n"
               "The trusted process of an esgx node; started by esgxd (docs/channel.md).\n"
               "Options:\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        const opt_def *d = &OPTIONS[i];
        char left[64];
        snprintf(left, sizeof left, "%s%s%s%s%s", d->name, d->alias ? ", " : "",
                 d->alias ? d->alias : "", d->arg ? " " : "", d->arg ? d->arg : "");
        fprintf(f, "  %-36s %s\n", left, d->help);
        if (d->kind >= OPT_INT && d->kind <= OPT_U64)
            fprintf(f, "  %-36s (%llu..%llu)\n", "", (unsigned long long)d->min,
                    (unsigned long long)d->max);
    }
}

static const opt_def *find_option(const char *a)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (!strcmp(a, OPTIONS[i].name) || (OPTIONS[i].alias && !strcmp(a, OPTIONS[i].alias)))
            return &OPTIONS[i];
    return NULL;
}

static int parse_log_level(const char *v, int *out)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, names[i])) {
            *out = LOG_ERROR + i;
            return 0;
        }
    fprintf(stderr, "esgx-enclave: unknown log level '%s'\n", v);
    return ESGX_ENCLAVE_E_USAGE;
}

/* Stores value v of option d into o. Returns 0 or ESGX_ENCLAVE_E_USAGE (reported). */
static int set_value(const opt_def *d, const char *v, enclave_options *o)
{
    char *target = (char *)o + d->offset;
    uint64_t n = 0;
    esgx_err err;
    switch (d->kind) {
    case OPT_STR:
        *(const char **)target = v;
        return 0;
    case OPT_STR_LIST:
        if (o->trust_count >= ENCLAVE_MAX_TRUST) {
            fprintf(stderr, "esgx-enclave: at most %d %s\n", ENCLAVE_MAX_TRUST, d->name);
            return ESGX_ENCLAVE_E_USAGE;
        }
        o->trust[o->trust_count++] = v;
        return 0;
    case OPT_LOG_LEVEL:
        return parse_log_level(v, (int *)target);
    case OPT_TIER: {
        esgx_wasm_tier t;
        if (esgx_wasm_tier_parse(v, &t, &err) != 0) {
            fprintf(stderr, "esgx-enclave: %s: %s\n", d->name, err.msg);
            return ESGX_ENCLAVE_E_USAGE;
        }
        *(int *)target = (int)t;
        return 0;
    }
    case OPT_INT:
    case OPT_UNSIGNED:
    case OPT_U32:
    case OPT_U64:
        if (esgx_parse_u64(v, d->min, d->max, 0, &n, &err) != 0) {
            fprintf(stderr, "esgx-enclave: %s: %s\n", d->name, err.msg);
            return ESGX_ENCLAVE_E_USAGE;
        }
        if (d->kind == OPT_INT) *(int *)target = (int)n;
        else if (d->kind == OPT_UNSIGNED) *(unsigned *)target = (unsigned)n;
        else if (d->kind == OPT_U32) *(uint32_t *)target = (uint32_t)n;
        else *(uint64_t *)target = n;
        return 0;
    case OPT_FLAG:
    case OPT_HELP:
        break;
    }
    return ESGX_ENCLAVE_E_USAGE;
}

/* The rules between options. Returns 0 or ESGX_ENCLAVE_E_USAGE (reported). */
static int check_combination(const enclave_options *o)
{
    if (o->init && o->peers) {
        fprintf(stderr, "esgx-enclave: --init and --peers exclude each other: the first node "
                        "creates the key, the others fetch it\n");
        return ESGX_ENCLAVE_E_USAGE;
    }
    if (o->init && o->network_key) {
        fprintf(stderr, "esgx-enclave: --init and --network-key exclude each other: --init "
                        "creates the network key, the other nodes pin it\n");
        return ESGX_ENCLAVE_E_USAGE;
    }
    if (o->collateral && o->collateral_from_host) {
        fprintf(stderr, "esgx-enclave: --collateral and --collateral-from-host exclude each "
                        "other\n");
        return ESGX_ENCLAVE_E_USAGE;
    }
    esgx_wasm_tier t;   /* without --tier: ESGX_WASM_TIER must be a tier, checked now */
    esgx_err err;
    if (o->tier == ESGX_WASM_TIER_DEFAULT &&
        esgx_wasm_tier_resolve(ESGX_WASM_TIER_DEFAULT, &t, &err) != 0) {
        fprintf(stderr, "esgx-enclave: %s\n", err.msg);
        return ESGX_ENCLAVE_E_USAGE;
    }
    if (!o->data_dir || o->channel_fd < 0) {
        fprintf(stderr, "esgx-enclave: --data-dir and --channel-fd are required\n");
        usage(stderr);
        return ESGX_ENCLAVE_E_USAGE;
    }
    return 0;
}

int enclave_options_parse(int argc, char **argv, enclave_options *o)
{
    memset(o, 0, sizeof *o);
    o->channel_fd = -1;
    o->workers = 2;
    o->fuel = ESGX_DEFAULT_FUEL;
    o->max_content = ESGX_DEFAULT_MAX_CONTENT;
    o->max_input = ESGX_DEFAULT_MAX_INPUT;
    o->max_output = ESGX_DEFAULT_MAX_OUTPUT;
    o->memory_pages = ESGX_DEFAULT_MEMORY_PAGES;
    o->compile_threads = 0;
    o->tier = ESGX_WASM_TIER_DEFAULT;
    o->log_level = LOG_INFO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const opt_def *d = find_option(a);
        if (d && d->kind == OPT_HELP) {
            usage(stdout);
            return 1;
        }
        if (d && d->kind == OPT_FLAG) {
            *(int *)((char *)o + d->offset) = 1;
            continue;
        }
        if (!d || i + 1 >= argc) {
            fprintf(stderr, "esgx-enclave: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return ESGX_ENCLAVE_E_USAGE;
        }
        int rc = set_value(d, argv[++i], o);
        if (rc != 0) return rc;
    }
    return check_combination(o);
}
