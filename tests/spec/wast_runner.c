/*
 * wast_runner.c: esgx-wast, the WebAssembly spec-test runner.
 *
 *   esgx-wast [-v] [--parse-only] PATH...   PATH: a .wast file or a directory of them
 *
 *   --parse-only   only decode and validate: module commands must parse, assert_invalid
 *                  and assert_malformed are checked, everything that runs code (actions,
 *                  assert_return/trap/exhaustion, linking, instantiation) is skipped.
 *
 * The tier is the runtime's default: ESGX_WASM_TIER (interp or jit), else the compiler
 * where available (docs/wasm.md, "Selecting the tier"). A bad ESGX_WASM_TIER stops the
 * runner at once (exit 2): every module would fail to parse, which assert_invalid and
 * assert_malformed would count as passes.
 *
 * Design notes:
 * - Each .wast is converted by wabt's wast2json (run as a child process, no shell)
 *   into a private temporary directory: one JSON command list plus one .wasm per
 *   module. A file wast2json cannot convert is counted as skipped, as are files of
 *   proposals we do not implement (by name) and assertions on text-format modules
 *   (they test a text parser we do not have).
 * - All modules of one file live in one esgx_wasm_store, with the `spectest` host module
 *   made once per store (print functions, four globals, a table, a memory), so
 *   registered modules share state exactly as the spec scripts expect.
 * - Values: integers and float bits compare exactly; expected nan:canonical /
 *   nan:arithmetic are checked as patterns (per lane for a v128 of f32 / f64 lanes; a
 *   v128 is given as its lane type and an array of lane strings, and otherwise compares
 *   as 16 bytes); funcref results compare by null/non-null;
 *   externref N travels as the esgx_wasm_ref N+1 (0 is null).
 * - Output: one line per failure (file:line: command: expected vs got), one summary per
 *   file, then the final line `N passed, N failed` (plus `, N skipped` if any; with
 *   -v, each skipped command and why). Both summaries end with `, tier T`: the tier
 *   (esgx_wasm_module_tier) of the first module parsed, i.e. what ESGX_WASM_TIER chose
 *   (modules use the default limits). The exit status is 1 if anything failed, 77 if
 *   everything was skipped, else 0.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esgx_wasm.h"

extern char **environ;

static int verbose;
static int parse_only;
/* the tier of the first module parsed (0 until one is) */
static esgx_wasm_tier first_tier;

typedef struct counts {
    unsigned long pass, fail, skip;
} counts;

/* ------------------------------------------------------------------ file state */

#define MAX_VALS 64

typedef struct named {
    char *name;
    esgx_wasm_instance *inst;
} named;

typedef struct run {
    const char *file;       /* .wast path for messages */
    const char *dir;        /* temp dir with the converted files */
    esgx_wasm_store *store;
    esgx_wasm_limits limits;
    esgx_wasm_instance *current;
    named *names;           /* $name -> instance */
    size_t n_names;
    named *regs;            /* registered (`register "as"`) -> instance */
    size_t n_regs;
    esgx_wasm_module **mods;     /* every module parsed, freed at the end */
    size_t n_mods;
    /* spectest */
    bool spectest_made;
    esgx_wasm_extern st_print[7], st_g_i32, st_g_i64, st_g_f32, st_g_f64, st_table, st_mem;
    counts c;
} run;

static void failf(run *r, long line, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void failf(run *r, long line, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s:%ld: %s: ", r->file, line, cmd);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    r->c.fail++;
}

static int host_print(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *env)
{
    return 0;
}

static int make_spectest(run *r, esgx_err *err)
{
    if (r->spectest_made) return 0;
    static const esgx_wasm_valtype p_i32[] = {ESGX_WASM_I32}, p_i64[] = {ESGX_WASM_I64},
                              p_f32[] = {ESGX_WASM_F32}, p_f64[] = {ESGX_WASM_F64},
                              p_i32_f32[] = {ESGX_WASM_I32, ESGX_WASM_F32},
                              p_f64_f64[] = {ESGX_WASM_F64, ESGX_WASM_F64};
    const esgx_wasm_functype types[7] = {
        {0, 0, NULL, NULL}, {1, 0, p_i32, NULL}, {1, 0, p_i64, NULL}, {1, 0, p_f32, NULL},
        {1, 0, p_f64, NULL}, {2, 0, p_i32_f32, NULL}, {2, 0, p_f64_f64, NULL},
    };
    for (int i = 0; i < 7; i++) {
        int rc = esgx_wasm_func_new_host(r->store, &types[i], host_print, NULL, &r->st_print[i], err);
        if (rc) return rc;
    }
    float f32 = 666.6f;
    double f64 = 666.6;
    esgx_wasm_value v;
    int rc;
    v.type = ESGX_WASM_I32;
    v.of.i32 = 666;
    if ((rc = esgx_wasm_global_new(r->store, v, 0, &r->st_g_i32, err))) return rc;
    v.type = ESGX_WASM_I64;
    v.of.i64 = 666;
    if ((rc = esgx_wasm_global_new(r->store, v, 0, &r->st_g_i64, err))) return rc;
    v.type = ESGX_WASM_F32;
    memcpy(&v.of.f32_bits, &f32, 4);
    if ((rc = esgx_wasm_global_new(r->store, v, 0, &r->st_g_f32, err))) return rc;
    v.type = ESGX_WASM_F64;
    memcpy(&v.of.f64_bits, &f64, 8);
    if ((rc = esgx_wasm_global_new(r->store, v, 0, &r->st_g_f64, err))) return rc;
    if ((rc = esgx_wasm_table_new(r->store, ESGX_WASM_FUNCREF, 10, 20, &r->st_table, err))) return rc;
    if ((rc = esgx_wasm_memory_new(r->store, 1, 2, &r->st_mem, err))) return rc;
    r->spectest_made = true;
    return 0;
}

/* The spectest export of that name, or -1. */
static int spectest_lookup(run *r, const char *name, size_t len, esgx_wasm_extern *out)
{
    static const char *const prints[7] = {"print", "print_i32", "print_i64", "print_f32",
                                          "print_f64", "print_i32_f32", "print_f64_f64"};
    for (int i = 0; i < 7; i++)
        if (strlen(prints[i]) == len && !memcmp(prints[i], name, len)) {
            *out = r->st_print[i];
            return 0;
        }
    struct { const char *n; esgx_wasm_extern *e; } others[] = {
        {"global_i32", &r->st_g_i32}, {"global_i64", &r->st_g_i64},
        {"global_f32", &r->st_g_f32}, {"global_f64", &r->st_g_f64},
        {"table", &r->st_table}, {"memory", &r->st_mem},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (strlen(others[i].n) == len && !memcmp(others[i].n, name, len)) {
            *out = *others[i].e;
            return 0;
        }
    return -1;
}

static esgx_wasm_instance *find_named(named *list, size_t n, const char *name, size_t len)
{
    for (size_t i = n; i-- > 0;)
        if (strlen(list[i].name) == len && !memcmp(list[i].name, name, len)) return list[i].inst;
    return NULL;
}

static int add_named(named **list, size_t *n, const char *name, esgx_wasm_instance *inst)
{
    named *p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p) return -1;
    *list = p;
    p[*n].name = strdup(name);
    p[*n].inst = inst;
    if (!p[*n].name) return -1;
    (*n)++;
    return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Parses a module file of the converted script. */
static int load_module(run *r, const char *filename, esgx_wasm_module **out, esgx_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", r->dir, filename);
    size_t len;
    uint8_t *bytes = read_file(path, &len);
    if (!bytes) return esgx_err_set(err, ESGX_WASM_E_ARG, "cannot read %s", path);
    int rc = esgx_wasm_module_parse(bytes, len, &r->limits, out, err);
    free(bytes);
    if (rc == 0 && first_tier == ESGX_WASM_TIER_DEFAULT) first_tier = esgx_wasm_module_tier(*out);
    if (rc == 0) {
        esgx_wasm_module **p = realloc(r->mods, (r->n_mods + 1) * sizeof *p);
        if (!p) {
            esgx_wasm_module_free(*out);
            return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        }
        r->mods = p;
        r->mods[r->n_mods++] = *out;
    }
    return rc;
}

/* Resolves the imports of m from spectest and registered instances, then
 * instantiates it. A missing import is ESGX_WASM_E_UNLINKABLE "unknown import". */
static int instantiate(run *r, const esgx_wasm_module *m, esgx_wasm_instance **out, esgx_err *err)
{
    int rc = make_spectest(r, err);
    if (rc) return rc;
    uint32_t n = esgx_wasm_module_import_count(m);
    esgx_wasm_extern *imps = calloc(n ? n : 1, sizeof *imps);
    if (!imps) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *name;
        size_t mlen, nlen;
        esgx_wasm_extern_kind kind;
        int irc = esgx_wasm_module_import(m, i, &mod, &mlen, &name, &nlen, &kind, NULL);
        if (irc) {
            free(imps);
            return esgx_err_set(err, irc, "import %u of the module: %s", i, esgx_strerror(irc));
        }
        int found = -1;
        if (mlen == 8 && !memcmp(mod, "spectest", 8)) {
            found = spectest_lookup(r, name, nlen, &imps[i]);
        } else {
            esgx_wasm_instance *src = find_named(r->regs, r->n_regs, mod, mlen);
            if (src && esgx_wasm_instance_export(src, name, nlen, &imps[i]) == 0) found = 0;
        }
        if (found != 0) {
            free(imps);
            return esgx_err_set(err, ESGX_WASM_E_UNLINKABLE, "unknown import \"%.*s\" \"%.*s\"",
                                (int)mlen, mod, (int)nlen, name);
        }
    }
    esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
    rc = esgx_wasm_instance_new(r->store, m, imps, n, out, &trap, err);
    free(imps);
    return rc;
}

/* ------------------------------------------------------------------ values */

/* What an expected value allows besides its bits: a NaN pattern (1 nan:canonical,
 * 2 nan:arithmetic) for a float, or per lane for a v128 (lane_bits: 8 .. 64, lane_float:
 * f32 or f64 lanes). */
typedef struct want_nan {
    int kind;
    int lane_bits;
    bool lane_float;
    int lane[16];
} want_nan;

static int nan_pattern(const char *val)
{
    if (!strcmp(val, "nan:canonical")) return 1;
    if (!strcmp(val, "nan:arithmetic")) return 2;
    return 0;
}

/* A v128: "lane_type" (i8 .. f64) and "value", an array of lane strings. */
static int parse_v128(json_t *j, esgx_wasm_value *v, want_nan *nk)
{
    const char *lt = json_string_value(json_object_get(j, "lane_type"));
    json_t *lanes = json_object_get(j, "value");
    if (!lt || !json_is_array(lanes) || (lt[0] != 'i' && lt[0] != 'f')) return -1;
    int bits = atoi(lt + 1);
    if (bits != 8 && bits != 16 && bits != 32 && bits != 64) return -1;
    size_t n = (size_t)(128 / bits);
    if (json_array_size(lanes) != n) return -1;
    nk->lane_bits = bits;
    nk->lane_float = lt[0] == 'f';
    for (size_t i = 0; i < n; i++) {
        const char *val = json_string_value(json_array_get(lanes, i));
        if (!val) return -1;
        nk->lane[i] = nk->lane_float ? nan_pattern(val) : 0;
        if (nk->lane[i]) continue;
        errno = 0;
        unsigned long long u = strtoull(val, NULL, 10);
        if (errno) return -1;
        memcpy(v->of.v128 + i * (size_t)(bits / 8), &u, (size_t)(bits / 8));   /* LE host */
    }
    return 0;
}

static int parse_value(json_t *j, esgx_wasm_value *v, want_nan *nk)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    json_t *jval = json_object_get(j, "value");
    const char *val = json_string_value(jval);
    memset(nk, 0, sizeof *nk);
    if (!type) return -1;
    if (!strcmp(type, "i32")) v->type = ESGX_WASM_I32;
    else if (!strcmp(type, "i64")) v->type = ESGX_WASM_I64;
    else if (!strcmp(type, "f32")) v->type = ESGX_WASM_F32;
    else if (!strcmp(type, "f64")) v->type = ESGX_WASM_F64;
    else if (!strcmp(type, "v128")) v->type = ESGX_WASM_V128;
    else if (!strcmp(type, "funcref")) v->type = ESGX_WASM_FUNCREF;
    else if (!strcmp(type, "externref")) v->type = ESGX_WASM_EXTERNREF;
    else return -1;   /* anything newer */
    memset(&v->of, 0, sizeof v->of);
    if (v->type == ESGX_WASM_V128) return parse_v128(j, v, nk);
    if (!val) return -1;
    nk->kind = nan_pattern(val);
    if (nk->kind) return 0;
    if (v->type == ESGX_WASM_FUNCREF || v->type == ESGX_WASM_EXTERNREF) {
        if (!strcmp(val, "null")) v->of.ref = ESGX_WASM_REF_NULL;
        else v->of.ref = (esgx_wasm_ref)strtoull(val, NULL, 10) + 1;
        return 0;
    }
    errno = 0;
    unsigned long long u = strtoull(val, NULL, 10);
    if (errno) return -1;
    switch (v->type) {
    case ESGX_WASM_I32: v->of.i32 = (int32_t)(uint32_t)u; break;
    case ESGX_WASM_I64: v->of.i64 = (int64_t)u; break;
    case ESGX_WASM_F32: v->of.f32_bits = (uint32_t)u; break;
    default: v->of.f64_bits = (uint64_t)u; break;
    }
    return 0;
}

static const char *type_name(esgx_wasm_valtype t)
{
    switch (t) {
    case ESGX_WASM_I32: return "i32";
    case ESGX_WASM_I64: return "i64";
    case ESGX_WASM_F32: return "f32";
    case ESGX_WASM_F64: return "f64";
    case ESGX_WASM_V128: return "v128";
    case ESGX_WASM_FUNCREF: return "funcref";
    case ESGX_WASM_EXTERNREF: return "externref";
    default: return "?";
    }
}

static void fmt_value(char *buf, size_t n, const esgx_wasm_value *v)
{
    switch (v->type) {
    case ESGX_WASM_I32: snprintf(buf, n, "i32:%" PRIu32, (uint32_t)v->of.i32); break;
    case ESGX_WASM_I64: snprintf(buf, n, "i64:%" PRIu64, (uint64_t)v->of.i64); break;
    case ESGX_WASM_F32: snprintf(buf, n, "f32:0x%08" PRIx32, v->of.f32_bits); break;
    case ESGX_WASM_F64: snprintf(buf, n, "f64:0x%016" PRIx64, v->of.f64_bits); break;
    case ESGX_WASM_V128: {   /* the 16 bytes, lane 0 first */
        size_t k = (size_t)snprintf(buf, n, "v128:");
        for (int i = 0; i < 16 && k + 3 < n; i++)
            k += (size_t)snprintf(buf + k, n - k, "%02x", v->of.v128[i]);
        break;
    }
    default:
        if (v->of.ref == ESGX_WASM_REF_NULL) snprintf(buf, n, "%s:null", type_name(v->type));
        else snprintf(buf, n, "%s:%#jx", type_name(v->type), (uintmax_t)v->of.ref);
        break;
    }
}

static bool f32_matches(uint32_t want, int kind, uint32_t b)
{
    bool nan = (b & 0x7f800000u) == 0x7f800000u && (b & 0x007fffffu);
    if (kind == 1) return nan && (b & 0x007fffffu) == 0x00400000u;
    if (kind == 2) return nan && (b & 0x00400000u);
    return want == b;
}

static bool f64_matches(uint64_t want, int kind, uint64_t b)
{
    const uint64_t exp = 0x7ff0000000000000ull, man = 0x000fffffffffffffull,
                   quiet = 0x0008000000000000ull;
    bool nan = (b & exp) == exp && (b & man);
    if (kind == 1) return nan && (b & man) == quiet;
    if (kind == 2) return nan && (b & quiet);
    return want == b;
}

static bool value_matches(const esgx_wasm_value *want, const want_nan *nk,
                          const esgx_wasm_value *got)
{
    if (want->type != got->type) return false;
    switch (want->type) {
    case ESGX_WASM_I32: return want->of.i32 == got->of.i32;
    case ESGX_WASM_I64: return want->of.i64 == got->of.i64;
    case ESGX_WASM_F32: return f32_matches(want->of.f32_bits, nk->kind, got->of.f32_bits);
    case ESGX_WASM_F64: return f64_matches(want->of.f64_bits, nk->kind, got->of.f64_bits);
    case ESGX_WASM_V128: {
        if (!nk->lane_float) return !memcmp(want->of.v128, got->of.v128, 16);
        for (int i = 0; i < 128 / nk->lane_bits; i++) {
            if (nk->lane_bits == 32) {
                uint32_t w, g;
                memcpy(&w, want->of.v128 + 4 * i, 4);
                memcpy(&g, got->of.v128 + 4 * i, 4);
                if (!f32_matches(w, nk->lane[i], g)) return false;
            } else {
                uint64_t w, g;
                memcpy(&w, want->of.v128 + 8 * i, 8);
                memcpy(&g, got->of.v128 + 8 * i, 8);
                if (!f64_matches(w, nk->lane[i], g)) return false;
            }
        }
        return true;
    }
    case ESGX_WASM_FUNCREF:
        return (want->of.ref == ESGX_WASM_REF_NULL) == (got->of.ref == ESGX_WASM_REF_NULL);
    default:
        return want->of.ref == got->of.ref;
    }
}

/* ------------------------------------------------------------------ actions */

/* Runs an action. Returns the wasm_* code; results in res (*n_res of them). */
static int do_action(run *r, json_t *act, esgx_wasm_value *res, size_t *n_res, esgx_wasm_trap *trap,
                     esgx_err *err)
{
    const char *type = json_string_value(json_object_get(act, "type"));
    const char *modname = json_string_value(json_object_get(act, "module"));
    json_t *jfield = json_object_get(act, "field");
    const char *field = json_string_value(jfield);
    size_t field_len = json_string_length(jfield);
    *n_res = 0;
    *trap = ESGX_WASM_TRAP_NONE;
    if (!type || !field) return esgx_err_set(err, ESGX_WASM_E_ARG, "bad action");
    esgx_wasm_instance *inst = modname ? find_named(r->names, r->n_names, modname, strlen(modname))
                                  : r->current;
    if (!inst) return esgx_err_set(err, ESGX_WASM_E_ARG, "no module instance for the action");
    esgx_wasm_extern ext;
    int rc = esgx_wasm_instance_export(inst, field, field_len, &ext);
    if (rc) return esgx_err_set(err, rc, "no export \"%s\"", field);
    if (!strcmp(type, "get")) {
        if (ext.kind != ESGX_WASM_EXTERN_GLOBAL)
            return esgx_err_set(err, ESGX_WASM_E_ARG, "export \"%s\" is not a global", field);
        rc = esgx_wasm_global_get(ext, &res[0]);
        if (rc == 0) *n_res = 1;
        return rc;
    }
    if (strcmp(type, "invoke")) return esgx_err_set(err, ESGX_WASM_E_ARG, "unknown action %s", type);
    if (ext.kind != ESGX_WASM_EXTERN_FUNC)
        return esgx_err_set(err, ESGX_WASM_E_ARG, "export \"%s\" is not a function", field);
    json_t *jargs = json_object_get(act, "args");
    size_t na = json_array_size(jargs);
    if (na > MAX_VALS) return esgx_err_set(err, ESGX_WASM_E_ARG, "too many arguments");
    esgx_wasm_value args[MAX_VALS];
    for (size_t i = 0; i < na; i++) {
        want_nan nk;
        if (parse_value(json_array_get(jargs, i), &args[i], &nk))
            return esgx_err_set(err, ESGX_WASM_E_UNSUPPORTED, "unsupported argument value");
    }
    esgx_wasm_functype ft;
    if ((rc = esgx_wasm_func_type(ext, &ft))) return esgx_err_set(err, rc, "wasm_func_type failed");
    if (ft.n_results > MAX_VALS) return esgx_err_set(err, ESGX_WASM_E_ARG, "too many results");
    rc = esgx_wasm_call(r->store, ext, args, na, res, ft.n_results, trap, err);
    if (rc == 0) *n_res = ft.n_results;
    return rc;
}

static const char *code_name(int rc)
{
    switch (rc) {
    case 0: return "ok";
    case ESGX_WASM_E_ARG: return "bad argument";
    case ESGX_WASM_E_MALFORMED: return "malformed";
    case ESGX_WASM_E_INVALID: return "invalid";
    case ESGX_WASM_E_UNSUPPORTED: return "unsupported";
    case ESGX_WASM_E_LIMIT: return "limit";
    case ESGX_WASM_E_UNLINKABLE: return "unlinkable";
    case ESGX_WASM_E_TRAP: return "trap";
    case ESGX_WASM_E_NOMEM: return "out of memory";
    case ESGX_WASM_E_NOT_FOUND: return "not found";
    default: return "error";
    }
}

/* ------------------------------------------------------------------ commands */

static void cmd_module(run *r, json_t *cmd, long line)
{
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    const char *name = json_string_value(json_object_get(cmd, "name"));
    esgx_err err = {0};
    esgx_wasm_module *m = NULL;
    r->current = NULL;
    int rc = filename ? load_module(r, filename, &m, &err) : ESGX_WASM_E_ARG;
    esgx_wasm_instance *inst = NULL;
    if (rc == 0 && parse_only) {
        r->c.pass++;
        return;
    }
    if (rc == 0) rc = instantiate(r, m, &inst, &err);
    if (rc) {
        failf(r, line, "module", "expected ok, got %s: %s", code_name(rc), err.msg);
        return;
    }
    r->current = inst;
    if (name) add_named(&r->names, &r->n_names, name, inst);
    r->c.pass++;
}

static void cmd_register(run *r, json_t *cmd, long line)
{
    const char *as = json_string_value(json_object_get(cmd, "as"));
    const char *name = json_string_value(json_object_get(cmd, "name"));
    esgx_wasm_instance *inst = name ? find_named(r->names, r->n_names, name, strlen(name))
                               : r->current;
    if (!inst || !as) {
        failf(r, line, "register", "no module instance to register");
        return;
    }
    add_named(&r->regs, &r->n_regs, as, inst);
    r->c.pass++;
}

static void cmd_assert_return(run *r, json_t *cmd, long line, const char *what)
{
    esgx_wasm_value res[MAX_VALS];
    size_t n_res;
    esgx_wasm_trap trap;
    esgx_err err = {0};
    int rc = do_action(r, json_object_get(cmd, "action"), res, &n_res, &trap, &err);
    if (rc == ESGX_WASM_E_UNSUPPORTED) {
        r->c.skip++;
        if (verbose) printf("%s:%ld: %s: skipped: %s\n", r->file, line, what, err.msg);
        return;
    }
    if (rc) {
        failf(r, line, what, "expected values, got %s: %s", code_name(rc), err.msg);
        return;
    }
    json_t *exp = json_object_get(cmd, "expected");
    size_t ne = json_array_size(exp);
    if (!strcmp(what, "action")) {   /* a bare action: only success is checked */
        r->c.pass++;
        return;
    }
    if (ne != n_res) {
        failf(r, line, what, "expected %zu results, got %zu", ne, n_res);
        return;
    }
    for (size_t i = 0; i < ne; i++) {
        esgx_wasm_value want;
        want_nan nk;
        if (parse_value(json_array_get(exp, i), &want, &nk)) {
            r->c.skip++;
            if (verbose) printf("%s:%ld: %s: skipped: unsupported expected value\n", r->file, line, what);
            return;
        }
        if (!value_matches(&want, &nk, &res[i])) {
            char a[64], b[64];
            if (nk.kind) snprintf(a, sizeof a, "%s:nan:%s", type_name(want.type),
                                  nk.kind == 1 ? "canonical" : "arithmetic");
            else fmt_value(a, sizeof a, &want);
            fmt_value(b, sizeof b, &res[i]);
            failf(r, line, what, "result %zu: expected %s, got %s", i, a, b);
            return;
        }
    }
    r->c.pass++;
}

static void cmd_assert_trap(run *r, json_t *cmd, long line, const char *what)
{
    const char *text = json_string_value(json_object_get(cmd, "text"));
    esgx_wasm_value res[MAX_VALS];
    size_t n_res;
    esgx_wasm_trap trap;
    esgx_err err = {0};
    int rc = do_action(r, json_object_get(cmd, "action"), res, &n_res, &trap, &err);
    if (rc == ESGX_WASM_E_UNSUPPORTED) {
        r->c.skip++;
        if (verbose) printf("%s:%ld: %s: skipped: %s\n", r->file, line, what, err.msg);
        return;
    }
    if (rc != ESGX_WASM_E_TRAP) {
        failf(r, line, what, "expected trap \"%s\", got %s%s%s", text ? text : "",
              code_name(rc), rc ? ": " : "", rc ? err.msg : "");
        return;
    }
    if (verbose && text && !strstr(err.msg, text))
        printf("%s:%ld: note: trap message \"%s\", spec says \"%s\"\n", r->file, line,
               err.msg, text);
    r->c.pass++;
}

/* assert_invalid / assert_malformed / assert_unlinkable / assert_uninstantiable. */
static void cmd_assert_module(run *r, json_t *cmd, long line, const char *what, int want)
{
    const char *mtype = json_string_value(json_object_get(cmd, "module_type"));
    const char *filename = json_string_value(json_object_get(cmd, "filename"));
    const char *text = json_string_value(json_object_get(cmd, "text"));
    if (mtype && strcmp(mtype, "binary")) {   /* text-format modules test a parser */
        r->c.skip++;
        if (verbose) printf("%s:%ld: %s: skipped: a text-format module\n", r->file, line, what);
        return;
    }
    esgx_err err = {0};
    esgx_wasm_module *m = NULL;
    int rc = filename ? load_module(r, filename, &m, &err) : ESGX_WASM_E_ARG;
    if (rc == 0 && (want == ESGX_WASM_E_UNLINKABLE || want == ESGX_WASM_E_TRAP)) {
        esgx_wasm_instance *inst = NULL;
        rc = instantiate(r, m, &inst, &err);
    }
    if (rc == ESGX_WASM_E_UNSUPPORTED && want != ESGX_WASM_E_UNSUPPORTED) {
        r->c.skip++;
        if (verbose) printf("%s:%ld: %s: skipped: %s\n", r->file, line, what, err.msg);
        return;
    }
    if (rc != want) {
        failf(r, line, what, "expected %s \"%s\", got %s%s%s", code_name(want),
              text ? text : "", code_name(rc), rc ? ": " : "", rc ? err.msg : "");
        return;
    }
    if (verbose && text && !strstr(err.msg, text))
        printf("%s:%ld: note: message \"%s\", spec says \"%s\"\n", r->file, line, err.msg,
               text);
    r->c.pass++;
}

static void run_commands(run *r, json_t *cmds)
{
    size_t n = json_array_size(cmds);
    for (size_t i = 0; i < n; i++) {
        json_t *cmd = json_array_get(cmds, i);
        const char *type = json_string_value(json_object_get(cmd, "type"));
        long line = (long)json_integer_value(json_object_get(cmd, "line"));
        if (!type) continue;
        if (parse_only && strcmp(type, "module") && strcmp(type, "assert_invalid") &&
            strcmp(type, "assert_malformed")) {
            r->c.skip++;
            continue;
        }
        if (!strcmp(type, "module")) cmd_module(r, cmd, line);
        else if (!strcmp(type, "register")) cmd_register(r, cmd, line);
        else if (!strcmp(type, "action")) cmd_assert_return(r, cmd, line, "action");
        else if (!strcmp(type, "assert_return")) cmd_assert_return(r, cmd, line, type);
        else if (!strcmp(type, "assert_trap")) cmd_assert_trap(r, cmd, line, type);
        else if (!strcmp(type, "assert_exhaustion")) cmd_assert_trap(r, cmd, line, type);
        else if (!strcmp(type, "assert_invalid"))
            cmd_assert_module(r, cmd, line, type, ESGX_WASM_E_INVALID);
        else if (!strcmp(type, "assert_malformed"))
            cmd_assert_module(r, cmd, line, type, ESGX_WASM_E_MALFORMED);
        else if (!strcmp(type, "assert_unlinkable"))
            cmd_assert_module(r, cmd, line, type, ESGX_WASM_E_UNLINKABLE);
        else if (!strcmp(type, "assert_uninstantiable"))
            cmd_assert_module(r, cmd, line, type, ESGX_WASM_E_TRAP);
        else {
            r->c.skip++;
            if (verbose) printf("%s:%ld: skipped unknown command %s\n", r->file, line, type);
        }
    }
}

/* ------------------------------------------------------------------ files */

/* Proposals we do not implement, recognised by the script's file name (the names of
 * the WebAssembly testsuite's proposal scripts). */
static const char *unsupported_feature(const char *path)
{
    static const char *const prefixes[] = {
        "memory64", "multi-memory", "exception", "throw", "try_", "tag.",
        "rethrow", "delegate", "return_call", "tail-call", "gc", "struct.", "array.",
        "i31", "br_on_", "call_ref", "ref_as_non_null", "extended-const",
        "function-references", "relaxed_", "atomic", "threads", "annotations",
        "memory_grow64", "load64", "address64", "align64",
    };
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncmp(base, prefixes[i], strlen(prefixes[i]))) return prefixes[i];
    return NULL;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Runs wast2json file -o dir/script.json; returns its exit status (or -1). */
static int convert(const char *file, const char *dir)
{
    const char *tool = getenv("ESGX_WAST2JSON");
    if (!tool) tool = "wast2json";
    char out[4096], log[4096];
    snprintf(out, sizeof out, "%s/script.json", dir);
    snprintf(log, sizeof log, "%s/wast2json.log", dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    char *argv[] = {(char *)tool, (char *)file, "-o", out, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, tool, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void run_file(const char *file, counts *total)
{
    const char *feature = unsupported_feature(file);
    if (feature) {
        printf("%s: skipped: uses the unsupported proposal \"%s\"\n", file, feature);
        total->skip++;
        return;
    }
    char dir[] = "/tmp/esgx-wast-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("%s: failed: cannot make a temporary directory\n", file);
        total->fail++;
        return;
    }
    int st = convert(file, dir);
    if (st != 0) {
        printf("%s: skipped: wast2json cannot convert it (status %d)\n", file, st);
        total->skip++;
        rm_tree(dir);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/script.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (!root) {
        printf("%s: failed: bad JSON from wast2json: %s (line %d)\n", file, jerr.text,
               jerr.line);
        total->fail++;
        rm_tree(dir);
        return;
    }
    run r;
    memset(&r, 0, sizeof r);
    r.file = file;
    r.dir = dir;
    esgx_wasm_limits_default(&r.limits);
    esgx_err err = {0};
    if (esgx_wasm_store_new(&r.limits, &r.store, &err)) {
        printf("%s: failed: wasm_store_new: %s\n", file, err.msg);
        total->fail++;
    } else {
        esgx_wasm_store_fuel_set(r.store, UINT64_MAX);
        run_commands(&r, json_object_get(root, "commands"));
        esgx_wasm_store_free(r.store);
    }
    for (size_t i = 0; i < r.n_mods; i++) esgx_wasm_module_free(r.mods[i]);
    free(r.mods);
    for (size_t i = 0; i < r.n_names; i++) free(r.names[i].name);
    for (size_t i = 0; i < r.n_regs; i++) free(r.regs[i].name);
    free(r.names);
    free(r.regs);
    json_decref(root);
    rm_tree(dir);
    printf("%s: %lu passed, %lu failed, %lu skipped, tier %s\n", file, r.c.pass, r.c.fail,
           r.c.skip, esgx_wasm_tier_name(first_tier));
    total->pass += r.c.pass;
    total->fail += r.c.fail;
    total->skip += r.c.skip;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path, counts *total)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        printf("%s: failed: %s\n", path, strerror(errno));
        total->fail++;
        return;
    }
    if (!S_ISDIR(sb.st_mode)) {
        run_file(path, total);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        printf("%s: failed: %s\n", path, strerror(errno));
        total->fail++;
        return;
    }
    char **files = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".wast")) continue;
        char **nf = realloc(files, (n + 1) * sizeof *nf);
        if (!nf) break;
        files = nf;
        size_t pl = strlen(path);
        while (pl > 1 && path[pl - 1] == '/') pl--;
        if (asprintf(&files[n], "%.*s/%s", (int)pl, path, e->d_name) < 0) break;
        n++;
    }
    closedir(d);
    qsort(files, n, sizeof *files, cmp_str);
    for (size_t i = 0; i < n; i++) {
        run_file(files[i], total);
        free(files[i]);
    }
    free(files);
}

int main(int argc, char **argv)
{
    counts total = {0, 0, 0};
    int first = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (!strcmp(argv[first], "-v")) verbose = 1;
        else if (!strcmp(argv[first], "--parse-only")) parse_only = 1;
        else break;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: esgx-wast [-v] [--parse-only] FILE.wast|DIR...\n");
        return 2;
    }
    esgx_wasm_tier tier;
    esgx_err err;
    if (esgx_wasm_tier_resolve(ESGX_WASM_TIER_DEFAULT, &tier, &err)) {
        fprintf(stderr, "esgx-wast: %s\n", err.msg);
        return 2;
    }
    if (verbose) printf("tier: %s\n", esgx_wasm_tier_name(tier));
    for (int i = first; i < argc; i++) run_path(argv[i], &total);
    if (total.skip) printf("%lu passed, %lu failed, %lu skipped", total.pass, total.fail, total.skip);
    else printf("%lu passed, %lu failed", total.pass, total.fail);
    printf(", tier %s\n", esgx_wasm_tier_name(first_tier));
    if (total.fail) return 1;
    if (total.pass == 0 && total.skip) return 77;
    return 0;
}
