/*
 * cmd_run.c: `esgx run`, run a WebAssembly function locally.
 *
 * The module is loaded with the same runtime as the enclave (lib/wasm) and its imports
 * are resolved with the enclave's own host functions (src/enclave/hostfn*.c through
 * esgx_hostfn_lookup: every fn0 import and the WASI subset), run on a guest_state set up as
 * the executor does. Any other import, or a known name with the wrong type, fails at
 * instantiation with a message naming the import. debug_print and WASI fd 2 go to
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
 * Fuel: the store starts with --fuel units (default RUN_DEFAULT_FUEL; 0 or
 * "unlimited" = unmetered). Host calls cost what they cost in the enclave
 * (docs/guest-abi.md: 50 plus one unit per started 64 bytes moved), and a call that
 * cannot pay traps with out_of_fuel, so fuel_used here equals the node's for the same
 * module, function and input.
 *
 * The entry point defaults to `main` (or `_start` when there is no `main`, as in the
 * enclave); (i32, i32) functions called without --arg get (0, 0), which is what
 * Fleek's runtime passes. Output goes raw to stdout, or as one JSON
 * object with --json. Exit status: 0 ran to completion, 1 load error or trap,
 * 2 wrong usage (see cli.h). The reference is docs/cli.md, section "esgx run".
 */
#include "cli.h"
#include "esgx_crypto.h"
#include "hostfn.h"
#include "platform.h"
#include "esgx_wasm.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RUN_DEFAULT_FUEL 10000000000ULL        /* 10^10 */
#define RUN_MAX_INPUT (8u * 1024 * 1024)       /* docs/formats.md#execution-limits */
#define RUN_MAX_OUTPUT (16u * 1024 * 1024)
#define RUN_MAX_ARGS 64
#define RUN_SEED_LEN 32

/* ------------------------------------------------------------ platform */

/* The enclave's host functions read random bytes (WASI random_get) through a
 * platform; `esgx run` offers one that has only that operation, backed by the OS. */
static int run_plat_random(esgx_platform *p, void *out, size_t n, esgx_err *err)
{
    (void)p;
    return esgx_crypto_random(out, n, err) ? ESGX_PLAT_E_INTERNAL : 0;
}

static int run_plat_seal_key(esgx_platform *p, esgx_seal_policy policy, uint8_t key[32],
                             esgx_err *err)
{
    (void)p, (void)policy, (void)key;
    return esgx_err_set(err, ESGX_PLAT_E_UNSUPPORTED, "esgx run has no sealing keys");
}

static int run_plat_quote(esgx_platform *p, const uint8_t report_data[64], uint8_t *out,
                          size_t cap, size_t *out_len, esgx_err *err)
{
    (void)p, (void)report_data, (void)out, (void)cap, (void)out_len;
    return esgx_err_set(err, ESGX_PLAT_E_UNSUPPORTED, "esgx run cannot quote");
}

static void run_plat_close(esgx_platform *p)
{
    (void)p;
}

static const esgx_platform_ops run_plat_ops = {run_plat_seal_key, run_plat_random,
                                               run_plat_quote, run_plat_close};

/* ------------------------------------------------------------ development key */

/* Path of the development seed file: $XDG_CONFIG_HOME/esgx/dev-key, else
 * $HOME/.config/esgx/dev-key. dir gets the folder. Returns 0 or -1. */
static int dev_key_path(char *dir, size_t dcap, char *path, size_t pcap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg) n = snprintf(dir, dcap, "%s/esgx", xdg);
    else if (home && *home) n = snprintf(dir, dcap, "%s/.config/esgx", home);
    else return -1;
    if (n < 0 || (size_t)n >= dcap) return -1;
    n = snprintf(path, pcap, "%s/dev-key", dir);
    return n < 0 || (size_t)n >= pcap ? -1 : 0;
}

/* Creates dir and its missing parents with mode 0700. */
static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, dir, n + 1);
    for (char *q = tmp + 1; *q; q++) {
        if (*q != '/') continue;
        *q = 0;
        if (mkdir(tmp, 0700) && errno != EEXIST) return -1;
        *q = '/';
    }
    return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

/* Parses 64 hex characters (surrounding whitespace allowed) into seed. */
static int parse_seed(const char *text, size_t len, uint8_t seed[RUN_SEED_LEN])
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    size_t got = 0;
    if (len != 2 * RUN_SEED_LEN || esgx_crypto_hex_decode(text, len, seed, RUN_SEED_LEN, &got, NULL) ||
        got != RUN_SEED_LEN)
        return -1;
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
            if (cli_read_file(path, 4096, &text, &len, err)) return -1;
            int bad = parse_seed((const char *)text, len, seed);
            esgx_crypto_wipe(text, len);
            free(text);
            if (bad)
                return esgx_err_set(err, -1, "%s: not %d hex characters (delete it to make a "
                                             "new dev key)", path, 2 * RUN_SEED_LEN);
            return 0;
        }
        char hex[2 * RUN_SEED_LEN + 2];
        if (esgx_crypto_random(seed, RUN_SEED_LEN, err)) return -1;
        esgx_crypto_hex_encode(seed, RUN_SEED_LEN, hex);
        strcat(hex, "\n");
        int w = mkdir_p(dir) ? esgx_err_set(err, -1, "%s: %s", dir, strerror(errno))
                             : cli_create_file(path, (const uint8_t *)hex, strlen(hex), 0600, err);
        esgx_crypto_wipe(hex, sizeof hex);
        if (w == 0) return 0;
        esgx_crypto_wipe(seed, RUN_SEED_LEN);
        if (w < 0) return -1;
        /* w == 1: another run created it meanwhile; read theirs */
    }
    return esgx_err_set(err, -1, "%s: cannot read or create the dev key", path);
}

/* The development shared key: from --dev-seed, else from the dev-key file (created
 * with 32 fresh random bytes, mode 0600, on first use). Returns 0 or -1 with err. */
static int dev_key_load(const char *seed_hex, esgx_bip32_key *key, char xpub[ESGX_BIP32_TEXT_LEN + 1],
                        esgx_err *err)
{
    uint8_t seed[RUN_SEED_LEN];
    int rc = -1;
    if (seed_hex) {
        if (parse_seed(seed_hex, strlen(seed_hex), seed))
            return esgx_err_set(err, -1, "--dev-seed must be %d hex characters",
                                2 * RUN_SEED_LEN);
    } else {
        char dir[4096], path[4200];
        if (dev_key_path(dir, sizeof dir, path, sizeof path))
            return esgx_err_set(err, -1, "cannot locate the dev key: set HOME or "
                                         "XDG_CONFIG_HOME, or give --dev-seed");
        if (dev_key_file(dir, path, seed, err)) return -1;
    }
    if (esgx_bip32_shared_from_seed(seed, sizeof seed, key, err) == 0 &&
        esgx_bip32_key_serialize(key, 0, xpub, ESGX_BIP32_TEXT_LEN + 1, err) == 0)
        rc = 0;
    esgx_crypto_wipe(seed, sizeof seed);
    return rc;
}

/* ------------------------------------------------------------ formatting */

static const char *valtype_name(esgx_wasm_valtype t)
{
    switch (t) {
    case ESGX_WASM_I32: return "i32";
    case ESGX_WASM_I64: return "i64";
    case ESGX_WASM_F32: return "f32";
    case ESGX_WASM_F64: return "f64";
    case ESGX_WASM_V128: return "v128";
    case ESGX_WASM_FUNCREF: return "funcref";
    case ESGX_WASM_EXTERNREF: return "externref";
    }
    return "?";
}

static void format_type(const esgx_wasm_functype *t, char *buf, size_t cap)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "(");
    for (uint32_t i = 0; i < t->n_params && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", valtype_name(t->params[i]));
    if (n < cap) n += (size_t)snprintf(buf + n, cap - n, ") -> (");
    for (uint32_t i = 0; i < t->n_results && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", valtype_name(t->results[i]));
    if (n < cap) snprintf(buf + n, cap - n, ")");
}

static const char *extern_kind_name(esgx_wasm_extern_kind k)
{
    switch (k) {
    case ESGX_WASM_EXTERN_FUNC: return "function";
    case ESGX_WASM_EXTERN_TABLE: return "table";
    case ESGX_WASM_EXTERN_MEMORY: return "memory";
    case ESGX_WASM_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

/* A float result as text when it is not a plain JSON number: "nan:0x...", "inf",
 * "-inf"; NULL for finite values. */
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
static void json_add_output(json_t *obj, const guest_state *st)
{
    json_t *s = json_stringn(st->out_len ? (const char *)st->out : "", st->out_len);
    if (s) {
        json_object_set_new(obj, "output", s);
        return;
    }
    char *b = malloc((st->out_len + 2) / 3 * 4 + 1);
    json_object_set_new(obj, "output", json_null());
    if (b) {
        b64_encode(st->out, st->out_len, b);
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

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

static int parse_i64_wide(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-') {
        long long v = strtoll(s, &end, 0);
        if (errno || *end || end == s) return -1;
        *out = v;
        return 0;
    }
    uint64_t u;
    if (parse_u64(s, &u)) return -1;
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
            if (parse_u64(p + 4, &payload) || !payload) return -1;
            if (payload > (is_f32 ? 0x7FFFFFULL : 0xFFFFFFFFFFFFFULL)) return -1;
        } else if (p[3]) {
            return -1;
        }
        if (is_f32) v->of.f32_bits = (neg ? 0x80000000u : 0) | 0x7F800000u | (uint32_t)payload;
        else v->of.f64_bits = (neg ? 1ULL << 63 : 0) | 0x7FF0000000000000ULL | payload;
        return 0;
    }
    char *end;
    errno = 0;
    if (is_f32) {
        float f = strtof(s, &end);
        if (*end || end == s) return -1;
        memcpy(&v->of.f32_bits, &f, sizeof f);
    } else {
        double d = strtod(s, &end);
        if (*end || end == s) return -1;
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
            return -1;
        v->of.i32 = (int32_t)(uint32_t)x;
        return 0;
    case ESGX_WASM_I64:
        return parse_i64_wide(s, &v->of.i64);
    case ESGX_WASM_F32: return parse_float(s, 1, v);
    case ESGX_WASM_F64: return parse_float(s, 0, v);
    case ESGX_WASM_FUNCREF:
        return strcmp(s, "null") ? -1 : 0;
    case ESGX_WASM_EXTERNREF:
        if (!strcmp(s, "null")) return 0;
        if (parse_i64_wide(s, &x) || x <= 0) return -1;
        v->of.ref = (esgx_wasm_ref)x;
        return 0;
    default: return -1;
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: esgx run MODULE.wasm [--function NAME] [--input STR | --input-file PATH]\n"
            "                [--fuel N] [--json] [--arg VALUE ...] [--dev-seed HEX]\n"
            "                [--module-hash HEX]\n"
            "       esgx run --show-dev-key [--dev-seed HEX]\n\n"
            "Runs a function of a WebAssembly module locally with every fn0 import and the\n"
            "WASI subset of the enclave (debug_print and stderr are printed to stderr), using\n"
            "a local development key instead of the network's shared key.\n\n"
            "  --function NAME   function to call (default: main; (i32, i32) gets (0, 0))\n"
            "  --input STR       input data seen by the guest (default: empty)\n"
            "  --input-file PATH input data from a file (\"-\" = stdin)\n"
            "  --fuel N          fuel budget (default %llu; 0 or \"unlimited\": unmetered)\n"
            "  --json            print {\"result\": [...], \"fuel_used\": N, \"output\": \"...\"}\n"
            "  --arg VALUE       one argument per parameter, parsed by its type\n"
            "                    (integers, floats, nan, nan:0xP, inf, -inf, null)\n"
            "  --dev-seed HEX    development key seed (64 hex characters; default: the seed\n"
            "                    in $XDG_CONFIG_HOME/esgx/dev-key, created on first use)\n"
            "  --show-dev-key    print the development key's xpub and exit\n"
            "  --module-hash HEX module hash seen by the guest (default: BLAKE3 of the file)\n\n"
            "The output is printed raw to stdout; for functions other than main the results\n"
            "follow, one per line. A trap prints 'esgx: trap: KIND: MESSAGE' and exits 1.\n",
            (unsigned long long)RUN_DEFAULT_FUEL);
}

typedef struct run_opts {
    const char *module, *function, *input, *input_file;
    const char *args[RUN_MAX_ARGS];
    size_t n_args;
    const char *dev_seed, *module_hash;
    uint64_t fuel;   /* UINT64_MAX = unmetered */
    int json, show_dev_key;
} run_opts;

static int parse_opts(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->function = "main";
    o->fuel = RUN_DEFAULT_FUEL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--show-dev-key")) {
            o->show_dev_key = 1;
        } else if (!strcmp(a, "--dev-seed") || !strcmp(a, "--module-hash")) {
            if (!val) {
                cli_error("run: %s needs a value", a);
                return -1;
            }
            i++;
            if (!strcmp(a, "--dev-seed")) o->dev_seed = val;
            else o->module_hash = val;
        } else if (!strcmp(a, "--function") || !strcmp(a, "--input") ||
                   !strcmp(a, "--input-file") || !strcmp(a, "--fuel") ||
                   !strcmp(a, "--arg")) {
            if (!val) {
                cli_error("run: %s needs a value", a);
                return -1;
            }
            i++;
            if (!strcmp(a, "--function")) {
                o->function = val;
            } else if (!strcmp(a, "--input")) {
                o->input = val;
            } else if (!strcmp(a, "--input-file")) {
                o->input_file = val;
            } else if (!strcmp(a, "--fuel")) {
                if (!strcmp(val, "unlimited")) {
                    o->fuel = UINT64_MAX;
                } else if (parse_u64(val, &o->fuel) || o->fuel == UINT64_MAX) {
                    cli_error("run: --fuel: '%s' is not a number below 2^64-1", val);
                    return -1;
                } else if (o->fuel == 0) {
                    o->fuel = UINT64_MAX;
                }
            } else {
                if (o->n_args == RUN_MAX_ARGS) {
                    cli_error("run: at most %d --arg values", RUN_MAX_ARGS);
                    return -1;
                }
                o->args[o->n_args++] = val;
            }
        } else if (a[0] == '-' && a[1]) {
            cli_error("run: unknown option '%s'", a);
            return -1;
        } else if (!o->module) {
            o->module = a;
        } else {
            cli_error("run: unexpected argument '%s'", a);
            return -1;
        }
    }
    if (!o->module && !o->show_dev_key) {
        cli_error("run: missing MODULE.wasm");
        return -1;
    }
    if (o->module_hash && strlen(o->module_hash) != 64) {
        cli_error("run: --module-hash must be 64 hex characters");
        return -1;
    }
    if (o->input && o->input_file) {
        cli_error("run: --input and --input-file are exclusive");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ the command */

/* Reports a failure (stderr, and a JSON object on stdout with --json). */
static int fail(const run_opts *o, const guest_state *st, const char *trap, uint64_t fuel_used,
                int have_fuel, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int fail(const run_opts *o, const guest_state *st, const char *trap, uint64_t fuel_used,
                int have_fuel, const char *fmt, ...)
{
    char msg[512];
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
        if (have_fuel) json_object_set_new(obj, "fuel_used", json_integer((json_int_t)fuel_used));
        if (st) json_add_output(obj, st);
        json_print(obj);
    }
    return CLI_EXIT_FAIL;
}

/* Builds the import list from the enclave's fn0 and WASI tables (esgx_hostfn_lookup). Returns
 * 0 or fails with a message naming the first import that cannot be satisfied. */
static int link_imports(const esgx_wasm_module *m, esgx_wasm_store *s, esgx_wasm_extern *imports, char *msg,
                        size_t cap)
{
    uint32_t n = esgx_wasm_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *name;
        size_t mod_len, name_len;
        esgx_wasm_extern_kind kind;
        esgx_wasm_functype type;
        esgx_err err;
        memset(&type, 0, sizeof type);
        if (esgx_wasm_module_import(m, i, &mod, &mod_len, &name, &name_len, &kind, &type)) {
            snprintf(msg, cap, "cannot read import %" PRIu32, i);
            return -1;
        }
        int ml = (int)(mod_len > 100 ? 100 : mod_len), nl = (int)(name_len > 100 ? 100 : name_len);
        int known = 0;
        const hostfn_def *want = NULL, *d = NULL;
        if (kind == ESGX_WASM_EXTERN_FUNC)
            d = esgx_hostfn_lookup(mod, mod_len, name, name_len, &type, &known, &want);
        if (!d && known && want) {
            char got[128], exp[128];
            esgx_wasm_functype wt = {want->n_params, want->n_results, want->params, want->results};
            format_type(&type, got, sizeof got);
            format_type(&wt, exp, sizeof exp);
            snprintf(msg, cap, "import %.*s.%.*s has type %s, expected %s", ml, mod, nl, name,
                     got, exp);
            return -1;
        }
        if (!d) {
            snprintf(msg, cap, "unsupported import %.*s.%.*s (%s)", ml, mod, nl, name,
                     extern_kind_name(kind));
            return -1;
        }
        esgx_wasm_functype ft = {d->n_params, d->n_results, d->params, d->results};
        if (esgx_wasm_func_new_host(s, &ft, d->fn, NULL, &imports[i], &err)) {
            snprintf(msg, cap, "%.*s.%.*s: %s", ml, mod, nl, name, err.msg);
            return -1;
        }
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    run_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc > 0) return CLI_EXIT_OK;
    if (rc < 0) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }

    guest_state st = {0};
    esgx_bip32_key key;
    char xpub[ESGX_BIP32_TEXT_LEN + 1];
    esgx_platform plat = {.ops = &run_plat_ops, .name = "esgx-run"};
    memset(&key, 0, sizeof key);
    uint8_t *bytes = NULL, *input_buf = NULL;
    size_t len = 0;
    esgx_wasm_module *m = NULL;
    esgx_wasm_store *s = NULL;
    esgx_wasm_extern *imports = NULL;
    esgx_wasm_value *args = NULL, *results = NULL;
    esgx_err err;
    esgx_wasm_limits limits;
    esgx_wasm_limits_default(&limits);
    int metered = o.fuel != UINT64_MAX;
    rc = CLI_EXIT_FAIL;

    if (dev_key_load(o.dev_seed, &key, xpub, &err)) {
        cli_error("run: %s", err.msg);
        rc = o.dev_seed ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
        goto out;
    }
    if (o.show_dev_key) {
        printf("%s\n", xpub);
        rc = fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
        goto out;   /* nothing is run */
    }
    if (cli_read_file(o.module, limits.max_module_size, &bytes, &len, &err)) {
        rc = fail(&o, NULL, NULL, 0, 0, "%s", err.msg);
        goto out;
    }
    size_t hl = 0;
    if (o.module_hash) {
        if (esgx_crypto_hex_decode(o.module_hash, 64, st.module_hash, 32, &hl, NULL) || hl != 32) {
            cli_error("run: --module-hash must be 64 hex characters");
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    } else {
        esgx_blake3_hash(bytes, len, st.module_hash);
    }
    st.shared = &key;
    st.xpub = xpub;
    st.plat = &plat;
    st.max_output = RUN_MAX_OUTPUT;
    st.debug = 1;
    if (o.input_file) {
        if (cli_read_file(o.input_file, RUN_MAX_INPUT, &input_buf, &st.input_len, &err)) {
            rc = fail(&o, NULL, NULL, 0, 0, "%s", err.msg);
            goto out;
        }
        st.input = input_buf;
    } else if (o.input) {
        st.input = (const uint8_t *)o.input;
        st.input_len = strlen(o.input);
        if (st.input_len > RUN_MAX_INPUT) {
            rc = fail(&o, NULL, NULL, 0, 0, "input larger than %u bytes", RUN_MAX_INPUT);
            goto out;
        }
    }
    if (esgx_wasm_module_parse(bytes, len, &limits, &m, &err)) {
        rc = fail(&o, NULL, NULL, 0, 0, "%s: %s", o.module, err.msg);
        goto out;
    }

    /* Check the entry point before running anything (the start function included). */
    esgx_wasm_extern_kind kind;
    esgx_wasm_functype ftype;
    if (!strcmp(o.function, "main") &&
        esgx_wasm_module_export(m, "main", 4, &kind, &ftype) == ESGX_WASM_E_NOT_FOUND &&
        esgx_wasm_module_export(m, "_start", 6, &kind, &ftype) == 0)
        o.function = "_start";   /* WASI commands, as in the enclave */
    if (esgx_wasm_module_export(m, o.function, strlen(o.function), &kind, &ftype) ||
        kind != ESGX_WASM_EXTERN_FUNC) {
        rc = fail(&o, NULL, NULL, 0, 0, "%s: no exported function '%s'", o.module, o.function);
        goto out;
    }
    int fleek_main = o.n_args == 0 && ftype.n_params == 2 && ftype.params[0] == ESGX_WASM_I32 &&
                     ftype.params[1] == ESGX_WASM_I32;
    if (!fleek_main && o.n_args != ftype.n_params) {
        char t[256];
        format_type(&ftype, t, sizeof t);
        cli_error("run: %s has type %s: it takes %" PRIu32 " argument(s), %zu --arg given",
                  o.function, t, ftype.n_params, o.n_args);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    args = calloc(ftype.n_params + 1, sizeof *args);
    results = calloc(ftype.n_results + 1, sizeof *results);
    if (!args || !results) {
        rc = fail(&o, NULL, NULL, 0, 0, "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < ftype.n_params; i++) {
        if (fleek_main) {
            args[i].type = ESGX_WASM_I32;
            continue;
        }
        if (parse_value(o.args[i], ftype.params[i], &args[i])) {
            cli_error("run: argument %" PRIu32 " '%s' is not a valid %s", i + 1, o.args[i],
                      valtype_name(ftype.params[i]));
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    }

    if (esgx_wasm_store_new(&limits, &s, &err)) {
        rc = fail(&o, NULL, NULL, 0, 0, "%s", err.msg);
        goto out;
    }
    esgx_wasm_store_fuel_set(s, o.fuel);
    esgx_wasm_store_set_user(s, &st);
    uint32_t n_imports = esgx_wasm_module_import_count(m);
    imports = calloc(n_imports + 1, sizeof *imports);
    if (!imports) {
        rc = fail(&o, NULL, NULL, 0, 0, "out of memory");
        goto out;
    }
    char msg[512];
    if (link_imports(m, s, imports, msg, sizeof msg)) {
        rc = fail(&o, NULL, NULL, 0, 0, "%s: %s", o.module, msg);
        goto out;
    }

    esgx_wasm_instance *inst = NULL;
    esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
    int r = esgx_wasm_instance_new(s, m, imports, n_imports, &inst, &trap, &err);
    esgx_wasm_extern fn;
    if (r == 0 && esgx_wasm_instance_export(inst, o.function, strlen(o.function), &fn)) {
        rc = fail(&o, NULL, NULL, 0, 0, "%s: no exported function '%s'", o.module, o.function);
        goto out;
    }
    const char *stage = "instantiation";
    if (r == 0) {
        stage = o.function;
        r = esgx_wasm_call(s, fn, args, ftype.n_params, results, ftype.n_results, &trap, &err);
    }
    uint64_t used = metered ? o.fuel - esgx_wasm_store_fuel_get(s) : 0;
    if (r == ESGX_WASM_E_TRAP && trap == ESGX_WASM_TRAP_EXIT && st.exited && st.exit_code == 0)
        r = 0;   /* proc_exit(0): a normal end, as in the enclave */
    if (r == ESGX_WASM_E_TRAP && trap == ESGX_WASM_TRAP_EXIT) {
        rc = fail(&o, &st, "proc_exit", used, metered, "program exited with code %d",
                  st.exit_code);
        goto out;
    }
    if (r == ESGX_WASM_E_TRAP) {
        if (trap == ESGX_WASM_TRAP_OUT_OF_FUEL && metered) used = o.fuel;
        rc = fail(&o, &st, st.trap_code ? st.trap_code : esgx_wasm_trap_name(trap), used, metered,
                  "%s", err.msg);
        goto out;
    }
    if (r) {
        rc = fail(&o, NULL, NULL, used, metered, "%s: %s: %s", o.module, stage, err.msg);
        goto out;
    }

    if (o.json) {
        json_t *obj = json_object(), *res = json_array();
        for (uint32_t i = 0; i < ftype.n_results; i++)
            json_array_append_new(res, value_to_json(&results[i]));
        json_object_set_new(obj, "result", res);
        json_object_set_new(obj, "fuel_used", metered ? json_integer((json_int_t)used) : json_null());
        json_add_output(obj, &st);
        json_print(obj);
    } else {
        if (st.out_len) fwrite(st.out, 1, st.out_len, stdout);
        if (strcmp(o.function, "main") && strcmp(o.function, "_start"))
            for (uint32_t i = 0; i < ftype.n_results; i++) print_value(stdout, &results[i]);
    }
    rc = fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;

out:
    if (s) esgx_wasm_store_free(s);
    if (m) esgx_wasm_module_free(m);
    free(imports);
    free(args);
    free(results);
    free(bytes);
    free(input_buf);
    free(st.out);
    esgx_bip32_key_wipe(&key);
    return rc;
}
