/*
 * cmd_run.c: `esgx run`, run a WebAssembly function locally.
 *
 * The module is loaded with the same runtime as the enclave (lib/wasm) and run through
 * the same invocation path as the enclave's executor (lib/host, esgx_host_run: every
 * fn0 import and all of WASI preview 1, the `main` -> `_start` fallback, proc_exit, fuel
 * accounting). Any other import, or a known name with the wrong type, fails before
 * anything runs with a message naming the import. debug_print and WASI fd 2 go to
 * stderr; WASI stdout (fd 1) is the output.
 *
 * Keys: instead of the network's shared key, a development key: the shared key
 * derived (esgx_bip32_shared_from_seed) from a 32-byte seed kept in
 * $XDG_CONFIG_HOME/esgx/dev-key (default ~/.config/esgx/dev-key, hex, mode 0600,
 * created atomically on first use) or given with --dev-seed. --show-dev-key prints its
 * xpub, to encrypt test data with `esgx encrypt ... --pubkey XPUB`. The module hash the
 * guest sees (derived keys, approved-wasm checks) is BLAKE3 of the module file unless
 * --module-hash gives another. The development key is not a secret of any network.
 *
 * Fuel: the store starts with --fuel units (decimal, esgx_parse_u64: "010" is 10;
 * default RUN_DEFAULT_FUEL = ESGX_DEFAULT_FUEL, what a node gives an invocation; 0 or "unlimited" = unmetered). Host calls cost what they cost in the enclave
 * (docs/guest-abi.md#fuel: priced by their work, same table), and a call that
 * cannot pay traps with out_of_fuel, so fuel_used here equals the node's for the same
 * module, function and input.
 *
 * WASI: the input (--input, --input-file, "-" for stdin) is the guest's stdin, and the
 * words after "--" its argv, after argv[0] = the module's file name (a node passes the
 * function name alone).
 *
 * The entry point defaults to `main` (or `_start` when there is no `main`, as in the
 * enclave); (i32, i32) functions called without --arg get (0, 0), which is what
 * Fleek's runtime passes. --tier interp|jit chooses how the functions run (default:
 * the ESGX_WASM_TIER environment variable, checked before anything else, else the
 * compiler where available); --json reports the tier the module ran on and, after a
 * run, how many functions the compiler refused (interpreted instead). Options are
 * read from one table (run_options). Output goes raw to stdout, or as one JSON object
 * with --json. Exit status: 0 ran to completion, 1 load error or trap,
 * 2 wrong usage (see cli.h). The reference is docs/cli.md, section "esgx run".
 */
#include "cli.h"
#include "esgx_crypto.h"
#include "esgx_host.h"
#include "esgx_wasm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RUN_DEFAULT_FUEL ESGX_DEFAULT_FUEL       /* 10^9, the node's default */
#define RUN_MAX_INPUT ESGX_DEFAULT_MAX_INPUT   /* docs/formats.md#execution-limits */
#define RUN_MAX_OUTPUT ESGX_DEFAULT_MAX_OUTPUT
#define RUN_SEED_LEN 32


/* ------------------------------------------------------------ development key */

/* Path of the development seed file: $XDG_CONFIG_HOME/esgx/dev-key, else
 * $HOME/.config/esgx/dev-key. dir gets the folder. Returns 0 or -1. */
static int dev_key_path(char *dir, size_t dcap, char *path, size_t pcap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg) n = snprintf(dir, dcap, "%s/esgx", xdg);
    else if (home && *home) n = snprintf(dir, dcap, "%s/.config/esgx", home);
    else return ESGX_CLI_E_FAILED;
    if (n < 0 || (size_t)n >= dcap) return ESGX_CLI_E_FAILED;
    n = snprintf(path, pcap, "%s/dev-key", dir);
    return n < 0 || (size_t)n >= pcap ? ESGX_CLI_E_FAILED : 0;
}

/* Creates dir and its missing parents with mode 0700. */
static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof tmp) return ESGX_CLI_E_FAILED;
    memcpy(tmp, dir, n + 1);
    for (char *q = tmp + 1; *q; q++) {
        if (*q != '/') continue;
        *q = 0;
        if (mkdir(tmp, 0700) && errno != EEXIST) return ESGX_CLI_E_FAILED;
        *q = '/';
    }
    return mkdir(tmp, 0700) && errno != EEXIST ? ESGX_CLI_E_FAILED : 0;
}

/* Parses 64 hex characters (surrounding whitespace allowed) into seed. */
static int parse_seed(const char *text, size_t len, uint8_t seed[RUN_SEED_LEN])
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    size_t got = 0;
    if (len != 2 * RUN_SEED_LEN || esgx_crypto_hex_decode(text, len, seed, RUN_SEED_LEN, &got, NULL) ||
        got != RUN_SEED_LEN)
        return ESGX_CLI_E_FAILED;
    return 0;
}

/* The seed in the dev-key file at path, made first if missing: 32 fresh random bytes
 * written whole or not at all, and never over a file another process made first (the
 * loser of a race reads the winner's key). Returns 0 or -1 with err. */
static int dev_key_file(const char *dir, const char *path, uint8_t seed[RUN_SEED_LEN],
                        esgx_err *err)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        uint8_t *text = NULL;
        size_t len = 0;
        struct stat sb;
        if (stat(path, &sb) == 0 || errno != ENOENT) {
            if (cli_read_file(path, 4096, &text, &len, err)) return ESGX_CLI_E_FAILED;
            int bad = parse_seed((const char *)text, len, seed);
            esgx_crypto_wipe(text, len);
            free(text);
            if (bad)
                return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: not %d hex characters (delete it to make a "
                                             "new dev key)", path, 2 * RUN_SEED_LEN);
            return 0;
        }
        char hex[2 * RUN_SEED_LEN + 2];
        if (esgx_crypto_random(seed, RUN_SEED_LEN, err)) return ESGX_CLI_E_FAILED;
        esgx_crypto_hex_encode(seed, RUN_SEED_LEN, hex);
        strcat(hex, "\n");
        int w = mkdir_p(dir) ? esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", dir, strerror(errno))
                             : cli_create_file(path, (const uint8_t *)hex, strlen(hex), 0600, err);
        esgx_crypto_wipe(hex, sizeof hex);
        if (w == 0) return 0;
        esgx_crypto_wipe(seed, RUN_SEED_LEN);
        if (w < 0) return ESGX_CLI_E_FAILED;
        /* w == 1: another run created it meanwhile; read theirs */
    }
    return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: cannot read or create the dev key", path);
}

/* The development shared key: from --dev-seed, else from the dev-key file (created
 * with 32 fresh random bytes, mode 0600, on first use). Returns 0 or -1 with err. */
static int dev_key_load(const char *seed_hex, esgx_bip32_key *key, char xpub[ESGX_BIP32_TEXT_LEN + 1],
                        esgx_err *err)
{
    uint8_t seed[RUN_SEED_LEN];
    int rc = ESGX_CLI_E_FAILED;
    if (seed_hex) {
        if (parse_seed(seed_hex, strlen(seed_hex), seed))
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "--dev-seed must be %d hex characters",
                                2 * RUN_SEED_LEN);
    } else {
        char dir[4096], path[4200];
        if (dev_key_path(dir, sizeof dir, path, sizeof path))
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "cannot locate the dev key: set HOME or "
                                         "XDG_CONFIG_HOME, or give --dev-seed");
        if (dev_key_file(dir, path, seed, err)) return ESGX_CLI_E_FAILED;
    }
    if (esgx_bip32_shared_from_seed(seed, sizeof seed, key, err) == 0 &&
        esgx_bip32_key_serialize(key, 0, xpub, ESGX_BIP32_TEXT_LEN + 1, err) == 0)
        rc = 0;
    esgx_crypto_wipe(seed, sizeof seed);
    return rc;
}

/* ------------------------------------------------------------ formatting */

static const char *float_special(double d, uint64_t payload, int is_f32, char *buf, size_t cap)
{
    if (isnan(d)) {
        snprintf(buf, cap, "%snan:0x%" PRIx64, signbit(d) ? "-" : "",
                 (uint64_t)(is_f32 ? payload & 0x7FFFFF : payload & 0xFFFFFFFFFFFFFULL));
        return buf;
    }
    if (isinf(d)) return d > 0 ? "inf" : "-inf";
    return NULL;
}

static double f32_from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return (double)f;
}

static double f64_from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static json_t *value_to_json(const esgx_wasm_value *v)
{
    char buf[64];
    const char *s;
    double d;
    switch (v->type) {
    case ESGX_WASM_I32: return json_integer(v->of.i32);
    case ESGX_WASM_I64: return json_integer(v->of.i64);
    case ESGX_WASM_F32:
        d = f32_from_bits(v->of.f32_bits);
        s = float_special(d, v->of.f32_bits, 1, buf, sizeof buf);
        return s ? json_string(s) : json_real(d);
    case ESGX_WASM_F64:
        d = f64_from_bits(v->of.f64_bits);
        s = float_special(d, v->of.f64_bits, 0, buf, sizeof buf);
        return s ? json_string(s) : json_real(d);
    case ESGX_WASM_FUNCREF:
        return v->of.ref ? json_string("funcref") : json_null();
    case ESGX_WASM_EXTERNREF:
        return v->of.ref ? json_integer((json_int_t)v->of.ref) : json_null();
    default: return json_null();
    }
}

static void print_value(FILE *f, const esgx_wasm_value *v)
{
    char buf[64];
    const char *s;
    double d;
    switch (v->type) {
    case ESGX_WASM_I32: fprintf(f, "%" PRId32 "\n", v->of.i32); return;
    case ESGX_WASM_I64: fprintf(f, "%" PRId64 "\n", v->of.i64); return;
    case ESGX_WASM_F32:
        d = f32_from_bits(v->of.f32_bits);
        s = float_special(d, v->of.f32_bits, 1, buf, sizeof buf);
        if (s) fprintf(f, "%s\n", s);
        else fprintf(f, "%.9g\n", d);
        return;
    case ESGX_WASM_F64:
        d = f64_from_bits(v->of.f64_bits);
        s = float_special(d, v->of.f64_bits, 0, buf, sizeof buf);
        if (s) fprintf(f, "%s\n", s);
        else fprintf(f, "%.17g\n", d);
        return;
    case ESGX_WASM_FUNCREF: fprintf(f, "%s\n", v->of.ref ? "funcref" : "null"); return;
    case ESGX_WASM_EXTERNREF:
        if (v->of.ref) fprintf(f, "%" PRIuPTR "\n", v->of.ref);
        else fprintf(f, "null\n");
        return;
    default: fprintf(f, "?\n"); return;
    }
}

static void b64_encode(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
}

/* Adds the output to obj: "output" as a string when it is UTF-8, else "output": null
 * and "output_base64". */
static void json_add_output(json_t *obj, const uint8_t *out, size_t out_len)
{
    json_t *s = json_stringn(out_len ? (const char *)out : "", out_len);
    if (s) {
        json_object_set_new(obj, "output", s);
        return;
    }
    char *b = malloc((out_len + 2) / 3 * 4 + 1);
    json_object_set_new(obj, "output", json_null());
    if (b) {
        b64_encode(out, out_len, b);
        json_object_set_new(obj, "output_base64", json_string(b));
        free(b);
    }
}

static void json_print(json_t *obj)
{
    char *s = json_dumps(obj, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(obj);
}

/* ------------------------------------------------------------ arguments */

/* Argument values of the guest function (not options): a u64 in C syntax (decimal,
 * 0x hex or 0 octal), as in the wasm text format's integers. */
static int value_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-') return ESGX_CLI_E_USAGE;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return ESGX_CLI_E_USAGE;
    *out = v;
    return 0;
}

static int parse_i64_wide(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-') {
        long long v = strtoll(s, &end, 0);
        if (errno || *end || end == s) return ESGX_CLI_E_USAGE;
        *out = v;
        return 0;
    }
    uint64_t u;
    if (value_u64(s, &u)) return ESGX_CLI_E_USAGE;
    *out = (int64_t)u;   /* values above INT64_MAX wrap, as in the text format */
    return 0;
}

/* Parses "nan", "nan:0xP", "inf", "-inf" and decimal or hex floats. */
static int parse_float(const char *s, int is_f32, esgx_wasm_value *v)
{
    int neg = *s == '-';
    const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
    if (!strncmp(p, "nan", 3)) {
        uint64_t payload = is_f32 ? 0x400000 : 0x8000000000000ULL;
        if (p[3] == ':') {
            if (value_u64(p + 4, &payload) || !payload) return ESGX_CLI_E_USAGE;
            if (payload > (is_f32 ? 0x7FFFFFULL : 0xFFFFFFFFFFFFFULL)) return ESGX_CLI_E_USAGE;
        } else if (p[3]) {
            return ESGX_CLI_E_USAGE;
        }
        if (is_f32) v->of.f32_bits = (neg ? 0x80000000u : 0) | 0x7F800000u | (uint32_t)payload;
        else v->of.f64_bits = (neg ? 1ULL << 63 : 0) | 0x7FF0000000000000ULL | payload;
        return 0;
    }
    char *end;
    errno = 0;
    if (is_f32) {
        float f = strtof(s, &end);
        if (*end || end == s) return ESGX_CLI_E_USAGE;
        memcpy(&v->of.f32_bits, &f, sizeof f);
    } else {
        double d = strtod(s, &end);
        if (*end || end == s) return ESGX_CLI_E_USAGE;
        memcpy(&v->of.f64_bits, &d, sizeof d);
    }
    return 0;
}

static int parse_value(const char *s, esgx_wasm_valtype t, esgx_wasm_value *v)
{
    int64_t x;
    memset(v, 0, sizeof *v);
    v->type = t;
    switch (t) {
    case ESGX_WASM_I32:
        if (parse_i64_wide(s, &x) || x < INT32_MIN || (x > UINT32_MAX && *s != '-'))
            return ESGX_CLI_E_USAGE;
        v->of.i32 = (int32_t)(uint32_t)x;
        return 0;
    case ESGX_WASM_I64:
        return parse_i64_wide(s, &v->of.i64);
    case ESGX_WASM_F32: return parse_float(s, 1, v);
    case ESGX_WASM_F64: return parse_float(s, 0, v);
    case ESGX_WASM_FUNCREF:
        return strcmp(s, "null") ? ESGX_CLI_E_FAILED : 0;
    case ESGX_WASM_EXTERNREF:
        if (!strcmp(s, "null")) return 0;
        if (parse_i64_wide(s, &x) || x <= 0) return ESGX_CLI_E_USAGE;
        v->of.ref = (esgx_wasm_ref)x;
        return 0;
    default: return ESGX_CLI_E_USAGE;
    }
}

/* ------------------------------------------------------------ options */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: esgx run MODULE.wasm [--function NAME] [--input STR | --input-file PATH]\n"
            "                [--fuel N] [--json] [--arg VALUE ...] [--dev-seed HEX]\n"
            "                [--module-hash HEX] [--tier interp|jit] [-- ARG ...]\n"
            "       esgx run MODULE.wasm --dump-code [--function NAME]\n"
            "       esgx run --show-dev-key [--dev-seed HEX]\n\n"
            "Runs a function of a WebAssembly module locally with every fn0 import and the\n"
            "WASI of the enclave (debug_print and stderr are printed to stderr), using\n"
            "a local development key instead of the network's shared key. The input is the\n"
            "guest's stdin; the words after \"--\" are its WASI argv (argv[0] is the\n"
            "module's file name; on a node argv is the function name alone).\n\n"
            "  --function NAME   function to call (default: main; (i32, i32) gets (0, 0))\n"
            "  --input STR       input data seen by the guest (default: empty)\n"
            "  --input-file PATH input data from a file (\"-\" = stdin)\n"
            "  --fuel N          fuel budget, decimal (default %llu; 0 or \"unlimited\":\n"
            "                    unmetered)\n"
            "  --json            print {\"result\": [...], \"fuel_used\": N, \"output\": \"...\",\n"
            "                    \"tier\": \"interp\"|\"jit\", \"jit_refused\": N (functions\n"
            "                    the compiler refused, run interpreted)}\n"
            "  --arg VALUE       one argument per parameter, parsed by its type\n"
            "                    (integers, floats, nan, nan:0xP, inf, -inf, null)\n"
            "  --dev-seed HEX    development key seed (64 hex characters; default: the seed\n"
            "                    in $XDG_CONFIG_HOME/esgx/dev-key, created on first use)\n"
            "  --show-dev-key    print the development key's xpub and exit\n"
            "  --module-hash HEX module hash seen by the guest (default: BLAKE3 of the file)\n"
            "  --tier interp|jit how the functions run: the interpreter or the x86-64\n"
            "                    compiler (default: $ESGX_WASM_TIER, else the compiler where\n"
            "                    this build and CPU have it, else the interpreter)\n"
            "  --dump-code       print the module's compiled code (every function, or the\n"
            "                    one --function exports) and exit without running it\n\n"
            "The output is printed raw to stdout; for functions other than main the results\n"
            "follow, one per line. A trap prints 'esgx: trap: KIND: MESSAGE' and exits 1.\n",
            (unsigned long long)RUN_DEFAULT_FUEL);
}

typedef struct run_opts {
    const char *module, *function, *input, *input_file, *dev_seed, *module_hash;
    const char *tier_text;   /* --tier as given, or NULL */
    esgx_wasm_tier tier;     /* parsed --tier, or ESGX_WASM_TIER_DEFAULT */
    const char *ran_tier;    /* the tier the parsed module runs on ("interp"/"jit"), or NULL */
    cli_list args;
    char **wasi_args;   /* the words after "--": WASI argv[1..] */
    int n_wasi_args;
    uint64_t fuel;   /* ESGX_HOST_UNMETERED = unmetered */
    int json, show_dev_key, dump_code;
    int function_given;
} run_opts;

#define RUN_OPT(name, kind, field) CLI_OPT_ROW(name, kind, run_opts, field)

const cli_option cli_options_run[] = {
    RUN_OPT("--function", CLI_OPT_STRING, function),
    RUN_OPT("--input", CLI_OPT_STRING, input),
    RUN_OPT("--input-file", CLI_OPT_STRING, input_file),
    RUN_OPT("--dev-seed", CLI_OPT_STRING, dev_seed),
    RUN_OPT("--module-hash", CLI_OPT_STRING, module_hash),
    RUN_OPT("--tier", CLI_OPT_STRING, tier_text),
    RUN_OPT("--arg", CLI_OPT_LIST, args),
    RUN_OPT("--json", CLI_OPT_FLAG, json),
    RUN_OPT("--show-dev-key", CLI_OPT_FLAG, show_dev_key),
    RUN_OPT("--dump-code", CLI_OPT_FLAG, dump_code),
    {.name = "--fuel", .kind = CLI_OPT_U64, .offset = offsetof(run_opts, fuel),
     .max = UINT64_MAX - 1, .word = "unlimited", .word_value = 0},
    CLI_OPT_END,
};

/* Returns 0, 1 for --help (usage printed), or ESGX_CLI_E_USAGE (message printed). */
static int parse_opts(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->function = "main";
    o->fuel = RUN_DEFAULT_FUEL;
    size_t n_pos = 0;
    int n_opts = argc;   /* "--" ends esgx's options: the rest is the guest's argv */
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            n_opts = i;
            o->wasi_args = argv + i + 1;
            o->n_wasi_args = argc - i - 1;
            break;
        }
    int rc = cli_parse_options("run", o, n_opts, argv, &o->module, 1, &n_pos);
    if (rc == 1) usage(stdout);
    if (rc != ESGX_OK) return rc;
    if (o->fuel == 0) o->fuel = ESGX_HOST_UNMETERED;
    o->function_given = strcmp(o->function, "main") != 0;
    if (!o->module && !o->show_dev_key) {
        cli_usage_error("run", "missing MODULE.wasm");
        return ESGX_CLI_E_USAGE;
    }
    if (o->module_hash && strlen(o->module_hash) != 64) {
        cli_usage_error("run", "--module-hash must be 64 hex characters");
        return ESGX_CLI_E_USAGE;
    }
    if (o->input && o->input_file) {
        cli_usage_error("run", "--input and --input-file are exclusive");
        return ESGX_CLI_E_USAGE;
    }
    /* the tier: --tier, else ESGX_WASM_TIER checked now (before any work) so that a bad
     * value fails at once with a message naming the variable */
    esgx_err err;
    esgx_wasm_tier resolved;
    if (o->tier_text && esgx_wasm_tier_parse(o->tier_text, &o->tier, &err)) {
        cli_usage_error("run", "--tier: %s", err.msg);
        return ESGX_CLI_E_USAGE;
    }
    if (!o->tier_text && esgx_wasm_tier_resolve(ESGX_WASM_TIER_DEFAULT, &resolved, &err)) {
        cli_usage_error("run", "%s", err.msg);
        return ESGX_CLI_E_USAGE;
    }
    return ESGX_OK;
}

/* ------------------------------------------------------------ the command */

/* Everything one run holds; freed by run_free. */
typedef struct run_ctx {
    run_opts o;
    esgx_bip32_key key;
    char xpub[ESGX_BIP32_TEXT_LEN + 1];
    uint8_t *bytes, *input_buf;
    size_t len;
    esgx_wasm_module *m;
    esgx_wasm_functype ft;
    esgx_wasm_value *args;
    uint8_t random_key[32];  /* the local run's random stream key (local_random_key) */
    const char **wasi_argv;  /* the module's file name, then o.wasi_args */
    esgx_host_request rq;
    esgx_host_result res;
} run_ctx;

static void run_free(run_ctx *c)
{
    if (c->m) esgx_wasm_module_free(c->m);
    free(c->args);
    free(c->wasi_argv);
    free(c->bytes);
    free(c->input_buf);
    esgx_host_result_free(&c->res);
    esgx_bip32_key_wipe(&c->key);
}

/* Reports a failure (stderr, and a JSON object on stdout with --json); returns
 * CLI_EXIT_FAIL. res gives the output and fuel when the guest ran. */
static int fail(const run_opts *o, const esgx_host_result *res, const char *trap,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(const run_opts *o, const esgx_host_result *res, const char *trap,
                const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (trap) cli_error("trap: %s: %s", trap, msg);
    else cli_error("%s", msg);
    if (o->json) {
        json_t *obj = json_object();
        json_object_set_new(obj, "error", json_string(msg));
        if (trap) json_object_set_new(obj, "trap", json_string(trap));
        if (res && res->started && res->metered)
            json_object_set_new(obj, "fuel_used", json_integer((json_int_t)res->fuel_used));
        if (res && trap) json_add_output(obj, res->output, res->output_len);
        if (o->ran_tier) json_object_set_new(obj, "tier", json_string(o->ran_tier));
        json_object_set_new(obj, "code", json_string(trap ? trap : "failed"));
        json_object_set_new(obj, "exit", json_integer(CLI_EXIT_FAIL));
        json_print(obj);
        cli_json_printed();
    }
    return CLI_EXIT_FAIL;
}

/* OS random bytes for WASI random_get. */
/* A local run has no network key, so its random stream (random_get) is keyed by
 * esgx_random_stream_key_local over the module hash and the run's input_hash (no
 * decrypt, its fuel, function and input): the same call gives the same bytes, as on a
 * node (docs/guest-abi.md, "Randomness"). */
static int local_random_key(run_ctx *c)
{
    uint8_t ih[32];
    esgx_err err;
    if (esgx_digest_input_hash(c->rq.module_hash, 0, c->rq.fuel, c->rq.function,
                               c->rq.function_len, c->rq.input, c->rq.input_len, ih, &err))
        return fail(&c->o, NULL, NULL, "%s: %s", c->o.module, err.msg);
    esgx_random_stream_key_local(c->rq.module_hash, ih, c->random_key);
    return CLI_EXIT_OK;
}

/* Reads the module and the input and fills the request's key, hash and input.
 * Returns a CLI exit status. */
static int load_inputs(run_ctx *c, const esgx_wasm_limits *limits)
{
    const run_opts *o = &c->o;
    esgx_err err;
    if (cli_read_file(o->module, limits->max_module_size, &c->bytes, &c->len, &err))
        return fail(o, NULL, NULL, "%s", err.msg);
    size_t hl = 0;
    if (o->module_hash) {
        if (esgx_crypto_hex_decode(o->module_hash, 64, c->rq.module_hash, 32, &hl, NULL) ||
            hl != 32)
            return cli_usage_error("run", "--module-hash must be 64 hex characters");
    } else {
        esgx_blake3_hash(c->bytes, c->len, c->rq.module_hash);
    }
    if (o->input_file) {
        if (cli_read_file(o->input_file, RUN_MAX_INPUT, &c->input_buf, &c->rq.input_len, &err))
            return fail(o, NULL, NULL, "%s", err.msg);
        c->rq.input = c->input_buf;
    } else if (o->input) {
        c->rq.input = (const uint8_t *)o->input;
        c->rq.input_len = strlen(o->input);
        if (c->rq.input_len > RUN_MAX_INPUT)
            return fail(o, NULL, NULL, "input larger than %llu bytes",
                        (unsigned long long)RUN_MAX_INPUT);
    }
    return CLI_EXIT_OK;
}

/* Compiles the module, chooses the entry (before anything runs, the start function
 * included) and parses the --arg values by its parameter types. Returns a CLI exit
 * status. */
static int prepare_call(run_ctx *c, const esgx_wasm_limits *limits)
{
    const run_opts *o = &c->o;
    esgx_err err;
    if (esgx_wasm_module_parse(c->bytes, c->len, limits, &c->m, &err))
        return fail(o, NULL, NULL, "%s: %s", o->module, err.msg);
    c->o.ran_tier = esgx_wasm_tier_name(esgx_wasm_module_tier(c->m));
    if (esgx_host_find_entry(c->m, o->function, strlen(o->function), &c->rq.function,
                             &c->rq.function_len, &c->ft, &err))
        return fail(o, NULL, NULL, "%s: %s", o->module, err.msg);
    const esgx_wasm_functype *t = &c->ft;
    int fleek_main = o->args.n == 0 && t->n_params == 2 && t->params[0] == ESGX_WASM_I32 &&
                     t->params[1] == ESGX_WASM_I32;
    if (!fleek_main && o->args.n != t->n_params) {
        char text[256];
        esgx_host_functype_text(t, text, sizeof text);
        return cli_usage_error("run", "%.*s has type %s: it takes %" PRIu32
                               " argument(s), %zu --arg given", (int)c->rq.function_len,
                               c->rq.function, text, t->n_params, o->args.n);
    }
    c->args = calloc(t->n_params + 1, sizeof *c->args);
    if (!c->args) return fail(o, NULL, NULL, "out of memory");
    for (uint32_t i = 0; i < o->args.n; i++) {
        if (parse_value(o->args.v[i], t->params[i], &c->args[i]))
            return cli_usage_error("run", "argument %" PRIu32 " '%s' is not a valid %s", i + 1,
                                   o->args.v[i], esgx_host_valtype_name(t->params[i]));
    }
    c->rq.args = c->args;
    c->rq.n_args = (uint32_t)o->args.n;
    return CLI_EXIT_OK;
}

/* --dump-code: prints the compiled code of every function (or of the exported
 * --function) to stdout. Returns a CLI exit status. */
static int dump_code(run_ctx *c, const esgx_wasm_limits *limits)
{
    const run_opts *o = &c->o;
    esgx_err err;
    if (esgx_wasm_module_parse(c->bytes, c->len, limits, &c->m, &err))
        return fail(o, NULL, NULL, "%s: %s", o->module, err.msg);
    uint32_t index = UINT32_MAX;
    if (o->function_given &&
        esgx_wasm_module_export_func_index(c->m, o->function, strlen(o->function), &index, &err))
        return fail(o, NULL, NULL, "%s: %s", o->module, err.msg);
    if (esgx_wasm_module_dump_code(c->m, index, stdout, &err))
        return fail(o, NULL, NULL, "%s: %s", o->module, err.msg);
    return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Prints a successful run: raw output and results, or one JSON object. */
static int report(const run_ctx *c)
{
    const esgx_host_result *r = &c->res;
    if (c->o.json) {
        json_t *obj = json_object(), *res = json_array();
        for (uint32_t i = 0; i < r->n_values; i++)
            json_array_append_new(res, value_to_json(&r->values[i]));
        json_object_set_new(obj, "result", res);
        json_object_set_new(obj, "fuel_used", r->metered ? json_integer((json_int_t)r->fuel_used)
                                                         : json_null());
        json_add_output(obj, r->output, r->output_len);
        json_object_set_new(obj, "tier", json_string(c->o.ran_tier));
        json_object_set_new(obj, "jit_refused",
                            json_integer((json_int_t)esgx_wasm_module_jit_refused(c->m)));
        json_print(obj);
    } else {
        if (r->output_len) fwrite(r->output, 1, r->output_len, stdout);
        int entry_abi = (c->rq.function_len == 4 && !memcmp(c->rq.function, "main", 4)) ||
                        (c->rq.function_len == 6 && !memcmp(c->rq.function, "_start", 6));
        if (!entry_abi)
            for (uint32_t i = 0; i < r->n_values; i++) print_value(stdout, &r->values[i]);
    }
    return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Runs the prepared call through lib/host and reports it. */
static int run_call(run_ctx *c, const esgx_wasm_limits *limits)
{
    c->rq.abi = ESGX_HOST_ENTRY_ARGS;
    c->rq.fuel = c->o.fuel;
    if (local_random_key(c) != CLI_EXIT_OK) return CLI_EXIT_FAIL;
    c->rq.max_output = RUN_MAX_OUTPUT;
    c->rq.debug = 1;
    c->rq.limits = limits;
    c->rq.shared = &c->key;
    c->rq.xpub = c->xpub;
    c->rq.random_key = c->random_key;
    c->wasi_argv = calloc((size_t)c->o.n_wasi_args + 1, sizeof *c->wasi_argv);
    if (!c->wasi_argv) return fail(&c->o, NULL, NULL, "out of memory");
    const char *slash = strrchr(c->o.module, '/');
    c->wasi_argv[0] = slash ? slash + 1 : c->o.module;
    for (int i = 0; i < c->o.n_wasi_args; i++) c->wasi_argv[i + 1] = c->o.wasi_args[i];
    c->rq.argv = c->wasi_argv;
    c->rq.argc = (uint32_t)c->o.n_wasi_args + 1;
    int rc = esgx_host_run(c->m, &c->rq, &c->res, NULL);
    if (rc == ESGX_OK) return report(c);
    if (rc == ESGX_HOST_E_TRAP) return fail(&c->o, &c->res, c->res.code, "%s", c->res.message);
    return fail(&c->o, &c->res, NULL, "%s: %s", c->o.module, c->res.message);
}

int cmd_run(int argc, char **argv)
{
    run_ctx c;
    memset(&c, 0, sizeof c);
    int rc = parse_opts(argc, argv, &c.o);
    if (rc == 1) return CLI_EXIT_OK;
    if (rc != ESGX_OK) return CLI_EXIT_USAGE;   /* printed: one line and where --help is */
    esgx_err err;
    esgx_wasm_limits limits;
    esgx_wasm_limits_default(&limits);
    limits.tier = c.o.tier;   /* DEFAULT: module_parse reads ESGX_WASM_TIER (checked above) */
    if (dev_key_load(c.o.dev_seed, &c.key, c.xpub, &err)) {
        cli_error("run: %s", err.msg);
        rc = c.o.dev_seed ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    } else if (c.o.show_dev_key) {
        printf("%s\n", c.xpub);   /* nothing is run */
        rc = fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    } else {
        rc = load_inputs(&c, &limits);
        if (rc == CLI_EXIT_OK && c.o.dump_code) {
            rc = dump_code(&c, &limits);
            run_free(&c);
            return rc;
        }
        if (rc == CLI_EXIT_OK) rc = prepare_call(&c, &limits);
        if (rc == CLI_EXIT_OK) rc = run_call(&c, &limits);
    }
    run_free(&c);
    return rc;
}
