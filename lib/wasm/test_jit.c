/*
 * test_jit.c: the compiler tier's run time (jit.c), through the public API:
 * - tier selection: limits.tier, ESGX_WASM_TIER (a bad value is refused, naming the
 *   variable), esgx_wasm_module_tier;
 * - a thread whose native stack cannot hold max_call_depth levels of compiled code
 *   still runs to the depth limit (interpreted) with the interpreter's results and fuel;
 * - code memory is never writable and executable at once (/proc/self/maps after
 *   compiling);
 * - a call_indirect recursion to the depth limit on the default thread (the path
 *   through the call helper) gives the interpreter's trap and fuel;
 * - coverage of the code generator (internal API, jit_internal.h): every internal op
 *   compiles (every SIMD op included: jit_vec.h has a template for each, and there is no
 *   fallback to the interpreter's handler), except those on its refusal list
 *   (esgx_jit_refused_ops), which must be refused; a function holding a refused op runs interpreted and is counted, once, by
 *   esgx_wasm_module_jit_refused;
 * - code memory is packed (jit.c, "Code memory"): modules of thousands of empty
 *   functions, called directly from main or through call_indirect, map their machine
 *   code in a few reservations (one or two new code mappings, executable bytes of about
 *   80 per function, not a page each), never writable and executable, within the
 *   module's bound (a main of 20,000 call sites is past it and runs interpreted), with
 *   the interpreter's fuel;
 * - a direct call from compiled code to a function that cannot be compiled (the call
 *   site's stub and esgx_jit_call_lazy) interprets it with the interpreter's depth
 *   check, results and fuel.
 */
#define _GNU_SOURCE 1
#include "esgx_wasm.h"
#include "esgx_test.h"
#include "jit_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* (func $f (export "f") (param i32) (result i32): f(0) = 0, f(n) = f(n - 1) + 1;
 *  (func (export "g") (param i32) (result i32): f(n) through call_indirect of table[0]) */
static const uint8_t rec_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f,
    0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x07,
    0x09, 0x02, 0x01, 0x66, 0x00, 0x00, 0x01, 0x67, 0x00, 0x01, 0x09, 0x07, 0x01, 0x00,
    0x41, 0x00, 0x0b, 0x01, 0x00, 0x0a, 0x21, 0x02, 0x15, 0x00, 0x20, 0x00, 0x45, 0x04,
    0x7f, 0x41, 0x00, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x00, 0x41, 0x01, 0x6a,
    0x0b, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x00, 0x11, 0x00, 0x00, 0x0b};

typedef struct outcome {
    int rc;
    esgx_wasm_trap trap;
    int32_t result;
    uint64_t fuel_left;
} outcome;

/* Calls export `name`(n) of rec_wasm on `tier` with 10,000,000 fuel. */
static outcome run_rec(esgx_wasm_tier tier, const char *name, int32_t n)
{
    outcome o = {0};
    esgx_wasm_limits l;
    esgx_wasm_limits_default(&l);
    l.tier = tier;
    esgx_wasm_module *m = NULL;
    esgx_wasm_store *s = NULL;
    esgx_wasm_instance *inst = NULL;
    esgx_err err;
    o.rc = esgx_wasm_module_parse(rec_wasm, sizeof rec_wasm, &l, &m, &err);
    if (o.rc == ESGX_OK) o.rc = esgx_wasm_store_new(&l, &s, &err);
    if (o.rc == ESGX_OK) o.rc = esgx_wasm_instance_new(s, m, NULL, 0, &inst, NULL, &err);
    esgx_wasm_extern f;
    if (o.rc == ESGX_OK) o.rc = esgx_wasm_instance_export(inst, name, strlen(name), &f);
    if (o.rc == ESGX_OK) {
        esgx_wasm_store_fuel_set(s, 10000000);
        esgx_wasm_value arg = {.type = ESGX_WASM_I32, .of.i32 = n}, res;
        o.rc = esgx_wasm_call(s, f, &arg, 1, &res, 1, &o.trap, &err);
        o.result = o.rc == ESGX_OK ? res.of.i32 : 0;
        o.fuel_left = esgx_wasm_store_fuel_get(s);
    }
    esgx_wasm_store_free(s);
    esgx_wasm_module_free(m);
    return o;
}

static void check_same(outcome a, outcome b, const char *what)
{
    CHECK(a.rc == b.rc, "%s: rc %d vs %d", what, a.rc, b.rc);
    CHECK(a.trap == b.trap, "%s: trap %d vs %d", what, (int)a.trap, (int)b.trap);
    CHECK(a.result == b.result, "%s: result %d vs %d", what, a.result, b.result);
    CHECK(a.fuel_left == b.fuel_left, "%s: fuel left %llu vs %llu", what,
          (unsigned long long)a.fuel_left, (unsigned long long)b.fuel_left);
}

/* the depth limit (10000 by default) is 9999 calls below the entry */
static void check_depth(const char *where)
{
    static const char *const names[2] = {"f", "g"};
    for (int k = 0; k < 2; k++) {
        outcome i_ok = run_rec(ESGX_WASM_TIER_INTERP, names[k], 4000);
        outcome j_ok = run_rec(ESGX_WASM_TIER_JIT, names[k], 4000);
        CHECK(i_ok.rc == ESGX_OK && i_ok.result == 4000, "%s %s: interp ok", where, names[k]);
        check_same(i_ok, j_ok, where);
        outcome i_deep = run_rec(ESGX_WASM_TIER_INTERP, names[k], 20000);
        outcome j_deep = run_rec(ESGX_WASM_TIER_JIT, names[k], 20000);
        CHECK(i_deep.trap == ESGX_WASM_TRAP_STACK_EXHAUSTED, "%s %s: interp trap %d", where,
              names[k], (int)i_deep.trap);
        check_same(i_deep, j_deep, where);
    }
}

static void *small_stack_main(void *arg)
{
    (void)arg;
    check_depth("128 KiB thread");
    return NULL;
}

static void test_small_stack(void)
{
    pthread_attr_t at;
    pthread_t t;
    CHECK(pthread_attr_init(&at) == 0);
    CHECK(pthread_attr_setstacksize(&at, 128 * 1024) == 0);
    CHECK(pthread_create(&t, &at, small_stack_main, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    pthread_attr_destroy(&at);
}

/* no mapping of this process is writable and executable */
static void test_wx(void)
{
    outcome o = run_rec(ESGX_WASM_TIER_JIT, "f", 10);   /* code compiled and mapped */
    CHECK(o.rc == ESGX_OK && o.result == 10);
    esgx_wasm_limits l;
    esgx_wasm_limits_default(&l);
    l.tier = ESGX_WASM_TIER_JIT;
    esgx_wasm_module *m = NULL;
    esgx_wasm_store *s = NULL;
    esgx_wasm_instance *inst = NULL;
    esgx_err err;
    CHECK_RC(esgx_wasm_module_parse(rec_wasm, sizeof rec_wasm, &l, &m, &err), ESGX_OK);
    CHECK_RC(esgx_wasm_store_new(&l, &s, &err), ESGX_OK);
    CHECK_RC(esgx_wasm_instance_new(s, m, NULL, 0, &inst, NULL, &err), ESGX_OK);
    esgx_wasm_extern f;
    CHECK_RC(esgx_wasm_instance_export(inst, "f", 1, &f), ESGX_OK);
    esgx_wasm_value arg = {.type = ESGX_WASM_I32, .of.i32 = 3}, res;
    CHECK_RC(esgx_wasm_call(s, f, &arg, 1, &res, 1, NULL, &err), ESGX_OK);
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL);
    char line[512];
    int wx = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        char perms[8] = "";
        if (sscanf(line, "%*s %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x') {
            wx++;
            fprintf(stderr, "writable and executable: %s", line);
        }
    }
    if (maps) fclose(maps);
    CHECK(wx == 0, "%d mappings are writable and executable", wx);
    esgx_wasm_store_free(s);
    esgx_wasm_module_free(m);
}

static void test_selection(void)
{
    esgx_wasm_limits l;
    esgx_wasm_limits_default(&l);
    esgx_wasm_module *m = NULL;
    esgx_err err;
    l.tier = ESGX_WASM_TIER_INTERP;
    CHECK_RC(esgx_wasm_module_parse(rec_wasm, sizeof rec_wasm, &l, &m, &err), ESGX_OK);
    CHECK(m && esgx_wasm_module_tier(m) == ESGX_WASM_TIER_INTERP);
    esgx_wasm_module_free(m);
    l.tier = ESGX_WASM_TIER_JIT;
    CHECK_RC(esgx_wasm_module_parse(rec_wasm, sizeof rec_wasm, &l, &m, &err), ESGX_OK);
    esgx_wasm_tier want = esgx_wasm_jit_available() ? ESGX_WASM_TIER_JIT : ESGX_WASM_TIER_INTERP;
    CHECK(m && esgx_wasm_module_tier(m) == want);
    esgx_wasm_module_free(m);
    l.tier = ESGX_WASM_TIER_DEFAULT;
    setenv("ESGX_WASM_TIER", "interp", 1);
    CHECK_RC(esgx_wasm_module_parse(rec_wasm, sizeof rec_wasm, &l, &m, &err), ESGX_OK);
    CHECK(m && esgx_wasm_module_tier(m) == ESGX_WASM_TIER_INTERP);
    esgx_wasm_module_free(m);
    setenv("ESGX_WASM_TIER", "fast", 1);
    m = NULL;
    CHECK_RC(esgx_wasm_module_parse(rec_wasm, sizeof rec_wasm, &l, &m, &err), ESGX_WASM_E_ARG);
    CHECK(m == NULL);
    CHECK(strstr(err.msg, "ESGX_WASM_TIER") && strstr(err.msg, "fast"), "message: %s", err.msg);
    unsetenv("ESGX_WASM_TIER");
    esgx_wasm_tier t;
    CHECK_RC(esgx_wasm_tier_parse("jit", &t, &err), ESGX_OK);
    CHECK(t == ESGX_WASM_TIER_JIT);
    CHECK_RC(esgx_wasm_tier_parse("JIT", &t, &err), ESGX_WASM_E_ARG);
    CHECK(strcmp(esgx_wasm_tier_name(ESGX_WASM_TIER_INTERP), "interp") == 0);
}

static bool is_refused(int op)
{
    for (size_t i = 0; i < esgx_jit_n_refused_ops; i++)
        if (esgx_jit_refused_ops[i] == op) return true;
    return false;
}

/* Every internal op alone in a function (FUEL, the op, RET0; every operand 0, a
 * branch to itself, a call to function 0 of rec_wasm) compiles, unless refused. */
static void test_coverage(void)
{
    esgx_wasm_limits l;
    esgx_wasm_limits_default(&l);
    l.tier = ESGX_WASM_TIER_INTERP;   /* only its compiled code is used */
    esgx_wasm_module *m = NULL;
    esgx_err err;
    CHECK_RC(esgx_wasm_module_parse(rec_wasm, sizeof rec_wasm, &l, &m, &err), ESGX_OK);
    if (!m) return;
    const esgx_wasm_code *callee = &((const esgx_wasm_compiled *)m->compiled)->codes[0];
    void *entries[2] = {NULL, NULL};
    esgx_jit_thunks th = {0};
    int compiled = 0, refused = 0;
    for (int op = 0; op < WOP_COUNT_; op++) {
        uint32_t w[64], n = 0;
        uint16_t ops[3] = {WOP_FUEL, (uint16_t)op, WOP_RET0};
        w[n++] = WOP_FUEL, w[n++] = 0, w[n++] = 0;
        uint32_t at = n;
        w[n++] = (uint32_t)op, w[n++] = 0;
        for (const char *f = esgx_wasm_iop_format[op]; *f; f++) {
            if (*f == 'P') {   /* the two words of the callee pointer */
                memcpy(&w[n], &callee, sizeof callee);
                n += 2;
                f++;
            } else if (*f == 'n') {   /* a br_table of one target: itself */
                w[n++] = 0;
                w[n++] = 0;
            } else {
                w[n++] = 0;
            }
        }
        CHECK(n - at == esgx_jit_op_width(w + at, op), "%s: width", esgx_wasm_iop_name[op]);
        w[n++] = WOP_RET0, w[n++] = 0;
        esgx_wasm_code code = {.words = w, .n_words = n, .ops = ops, .n_ops = 3,
                               .frame_size = 4, .func_index = 1};
        esgx_x64 a = {.limit = 1 << 20};
        esgx_jit_env env = {.entries = entries, .th = &th};
        int rc = esgx_jit_compile(&a, m, &code, &env, NULL, NULL);
        free(a.p);
        if (is_refused(op)) {
            CHECK(rc == ESGX_WASM_E_UNSUPPORTED, "%s is on the refusal list but compiles (rc %d)",
                  esgx_wasm_iop_name[op], rc);
            refused++;
        } else {
            CHECK(rc == ESGX_OK, "%s does not compile (rc %d): add a template or put it on "
                  "esgx_jit_refused_ops", esgx_wasm_iop_name[op], rc);
            compiled += rc == ESGX_OK;
        }
    }
    CHECK(compiled + refused == WOP_COUNT_, "%d compiled, %d refused of %d ops", compiled,
          refused, (int)WOP_COUNT_);
    esgx_wasm_module_free(m);
}

/* (func (export "f")): compiled to FUEL, RET0 */
static const uint8_t empty_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, 0x04, 0x01,
    0x02, 0x00, 0x0b};

/* Calls f of empty_wasm twice on `tier`, its RET0 replaced by the refused EXIT when
 * `refuse` (the interpreter returns on it just as well); returns the refused count. */
static uint32_t refused_after_calls(esgx_wasm_tier tier, bool refuse)
{
    esgx_wasm_limits l;
    esgx_wasm_limits_default(&l);
    l.tier = tier;
    esgx_wasm_module *m = NULL;
    esgx_wasm_store *s = NULL;
    esgx_wasm_instance *inst = NULL;
    esgx_err err;
    CHECK_RC(esgx_wasm_module_parse(empty_wasm, sizeof empty_wasm, &l, &m, &err), ESGX_OK);
    if (!m) return UINT32_MAX;
    CHECK(esgx_wasm_module_jit_refused(m) == 0);
    CHECK_RC(esgx_wasm_lower_all(m, &err), ESGX_OK);   /* the compiler tier's is lazy */
    esgx_wasm_code *code = &((esgx_wasm_compiled *)m->compiled)->codes[0];
    if (refuse) {
        CHECK(code->n_ops == 2 && code->ops[1] == WOP_RET0, "f is not FUEL, RET0");
        code->ops[1] = WOP_EXIT;
        memcpy(code->words + ESGX_WASM_W_FUEL, &esgx_wasm_exec_handlers()[WOP_EXIT],
               sizeof(void *));
    }
    CHECK_RC(esgx_wasm_store_new(&l, &s, &err), ESGX_OK);
    CHECK_RC(esgx_wasm_instance_new(s, m, NULL, 0, &inst, NULL, &err), ESGX_OK);
    esgx_wasm_extern f;
    CHECK_RC(esgx_wasm_instance_export(inst, "f", 1, &f), ESGX_OK);
    for (int i = 0; i < 2; i++)
        CHECK_RC(esgx_wasm_call(s, f, NULL, 0, NULL, 0, NULL, &err), ESGX_OK);
    uint32_t n = esgx_wasm_module_jit_refused(m);
    esgx_wasm_store_free(s);
    esgx_wasm_module_free(m);
    return n;
}

/* (func $g) (func (export "f") (result i32) call $g call $g i32.const 7) */
static const uint8_t calls_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x60, 0x00, 0x00,
    0x60, 0x00, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01, 0x66,
    0x00, 0x01, 0x0a, 0x0d, 0x02, 0x02, 0x00, 0x0b, 0x08, 0x00, 0x10, 0x00, 0x10, 0x00,
    0x41, 0x07, 0x0b};

/* f of calls_wasm on `tier`, g's RET0 replaced by the refused EXIT when `refuse` (which
 * returns from a frame the compiled code's helper interprets; the interpreter proper
 * runs g unchanged), depth limit `depth`: the return code, f's result in *res, the
 * fuel used in *fuel and the functions refused in *refused. */
static int call_refused_callee(esgx_wasm_tier tier, bool refuse, uint32_t depth, int32_t *res,
                               uint64_t *fuel, uint32_t *refused)
{
    esgx_wasm_limits l;
    esgx_wasm_limits_default(&l);
    l.tier = tier;
    l.max_call_depth = depth;
    esgx_wasm_module *m = NULL;
    esgx_wasm_store *s = NULL;
    esgx_wasm_instance *inst = NULL;
    esgx_err err;
    CHECK_RC(esgx_wasm_module_parse(calls_wasm, sizeof calls_wasm, &l, &m, &err), ESGX_OK);
    if (!m) return -1;
    CHECK_RC(esgx_wasm_lower_all(m, &err), ESGX_OK);   /* the compiler tier's is lazy */
    esgx_wasm_code *g = &((esgx_wasm_compiled *)m->compiled)->codes[0];
    CHECK(g->n_ops == 2 && g->ops[1] == WOP_RET0, "g is not FUEL, RET0");
    if (refuse) {
        g->ops[1] = WOP_EXIT;
        memcpy(g->words + ESGX_WASM_W_FUEL, &esgx_wasm_exec_handlers()[WOP_EXIT],
               sizeof(void *));
    }
    CHECK_RC(esgx_wasm_store_new(&l, &s, &err), ESGX_OK);
    CHECK_RC(esgx_wasm_instance_new(s, m, NULL, 0, &inst, NULL, &err), ESGX_OK);
    esgx_wasm_extern f;
    CHECK_RC(esgx_wasm_instance_export(inst, "f", 1, &f), ESGX_OK);
    esgx_wasm_value r = {0};
    esgx_wasm_store_fuel_set(s, 1000);
    int rc = esgx_wasm_call(s, f, NULL, 0, &r, 1, NULL, &err);
    *res = r.of.i32;
    *fuel = 1000 - esgx_wasm_store_fuel_get(s);
    *refused = esgx_wasm_module_jit_refused(m);
    esgx_wasm_store_free(s);
    esgx_wasm_module_free(m);
    return rc;
}

static void test_refused_callee(void)
{
    for (uint32_t depth = 1; depth <= 2; depth++) {
        int32_t ri = 0, rj = 0;
        uint64_t fi = 0, fj = 0;
        uint32_t ni = 0, nj = 0;
        int ci = call_refused_callee(ESGX_WASM_TIER_INTERP, false, depth, &ri, &fi, &ni);
        int cj = call_refused_callee(ESGX_WASM_TIER_JIT, esgx_wasm_jit_available(), depth, &rj,
                                     &fj, &nj);
        /* depth 1: f's call of g is one level too deep */
        CHECK(ci == (depth == 1 ? ESGX_WASM_E_TRAP : ESGX_OK), "depth %u: interpreter rc %d",
              depth, ci);
        CHECK(cj == ci, "depth %u: rc %d, interpreter %d", depth, cj, ci);
        CHECK(ci || (ri == 7 && rj == 7), "depth %u: f = %d, interpreter %d", depth, rj, ri);
        CHECK(fj == fi, "depth %u: fuel used %llu, interpreter %llu", depth,
              (unsigned long long)fj, (unsigned long long)fi);
        CHECK(nj == (esgx_wasm_jit_available() ? 1u : 0u), "depth %u: %u refused", depth, nj);
    }
}

static void test_refused_count(void)
{
    CHECK(refused_after_calls(ESGX_WASM_TIER_JIT, false) == 0);
    CHECK(refused_after_calls(ESGX_WASM_TIER_INTERP, true) == 0);
    uint32_t want = esgx_wasm_jit_available() ? 1 : 0;
    uint32_t got = refused_after_calls(ESGX_WASM_TIER_JIT, true);
    CHECK(got == want, "refused %u, want %u", got, want);
}

/* ---- packed code memory */

static size_t leb(uint8_t *p, uint32_t v)
{
    size_t n = 0;
    do {
        p[n] = (uint8_t)(v & 0x7F) | (v >= 0x80 ? 0x80 : 0);
        v >>= 7;
        n++;
    } while (v);
    return n;
}

/* Appends section id with body b[0..n) to out at *at. */
static void section(uint8_t *out, size_t *at, uint8_t id, const uint8_t *b, size_t n)
{
    out[(*at)++] = id;
    *at += leb(out + *at, (uint32_t)n);
    memcpy(out + *at, b, n);
    *at += n;
}

/* The module of bench/many_funcs.py: n empty functions () -> () and "f" () -> i32
 * calling each once (directly, or through table 0 by call_indirect in a loop) and
 * returning 7. Heap bytes in *len. */
static uint8_t *many_funcs(uint32_t n, bool indirect, size_t *len)
{
    size_t cap = (size_t)n * 16 + 4096;
    uint8_t *out = malloc(cap), *b = malloc(cap);
    if (!out || !b) {
        free(out);
        free(b);
        return NULL;
    }
    size_t at = 0, k;
    memcpy(out, "\0asm\1\0\0\0", 8);
    at = 8;
    static const uint8_t types[] = {2, 0x60, 0, 0, 0x60, 0, 1, 0x7F};
    section(out, &at, 1, types, sizeof types);
    k = leb(b, n + 1);
    memset(b + k, 0, n);
    b[k + n] = 1;
    section(out, &at, 3, b, k + n + 1);
    if (indirect) {
        k = 0;
        b[k++] = 1;
        b[k++] = 0x70;
        b[k++] = 0;
        k += leb(b + k, n);
        section(out, &at, 4, b, k);
    }
    k = 0;
    b[k++] = 1;
    b[k++] = 1;
    b[k++] = 'f';
    b[k++] = 0;
    k += leb(b + k, n);
    section(out, &at, 7, b, k);
    if (indirect) {
        k = 0;
        memcpy(b, "\1\0\x41\0\x0b", 5);
        k = 5 + leb(b + 5, n);
        for (uint32_t i = 0; i < n; i++) k += leb(b + k, i);
        section(out, &at, 9, b, k);
    }
    /* code: n empty bodies, then f's */
    uint8_t *body = malloc(cap);
    if (!body) {
        free(out);
        free(b);
        return NULL;
    }
    size_t bn = 0;
    if (indirect) {
        /* (local i32) loop: call_indirect (type 0) (local.get 0); local.tee 0 (+1);
         * br_if (< n); end */
        static const uint8_t head[] = {1, 1, 0x7F, 0x03, 0x40, 0x20, 0, 0x11, 0, 0,
                                       0x20, 0, 0x41, 1, 0x6A, 0x22, 0, 0x41};
        memcpy(body, head, sizeof head);
        bn = sizeof head;
        bn += leb(body + bn, n);   /* n < 2^20: its sLEB is its LEB plus a 0 bit */
        if (body[bn - 1] & 0x40) {
            body[bn - 1] |= 0x80;
            body[bn++] = 0;
        }
        static const uint8_t tail[] = {0x48, 0x0D, 0, 0x0B};
        memcpy(body + bn, tail, sizeof tail);
        bn += sizeof tail;
    } else {
        body[bn++] = 0;
        for (uint32_t i = 0; i < n; i++) {
            body[bn++] = 0x10;
            bn += leb(body + bn, i);
        }
    }
    memcpy(body + bn, "\x41\x07\x0b", 3);
    bn += 3;
    k = leb(b, n + 1);
    for (uint32_t i = 0; i < n; i++, k += 3) memcpy(b + k, "\x02\x00\x0b", 3);
    k += leb(b + k, (uint32_t)bn);
    memcpy(b + k, body, bn);
    k += bn;
    section(out, &at, 10, b, k);
    free(body);
    free(b);
    *len = at;
    return out;
}

typedef struct maps_view {
    size_t exec_maps;    /* anonymous mappings with x (the allocator's are not counted:
                          * under ASan it maps memory of its own) */
    size_t exec_bytes;   /* their bytes */
    int wx;              /* writable and executable */
} maps_view;

static maps_view maps_now(void)
{
    maps_view v = {0};
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi, inode;
        char perms[8] = "";
        if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &lo, &hi, perms, &inode) != 4) continue;
        if (perms[2] == 'x' && inode == 0 && !strchr(line, '[')) {
            v.exec_maps++;
            v.exec_bytes += hi - lo;
        }
        if (perms[1] == 'w' && perms[2] == 'x') v.wx++;
    }
    if (f) fclose(f);
    return v;
}

/* Runs "f" of many_funcs(n, indirect) on tier: the fuel left (UINT64_MAX on failure);
 * on the compiler tier also what the code took. */
static uint64_t run_many(uint32_t n, bool indirect, esgx_wasm_tier tier, maps_view *grown,
                         uint32_t *refused, size_t *chunks, uint64_t *batches, uint64_t *bytes)
{
    size_t len = 0;
    uint8_t *bin = many_funcs(n, indirect, &len);
    CHECK(bin != NULL);
    if (!bin) return UINT64_MAX;
    esgx_wasm_limits l;
    esgx_wasm_limits_default(&l);
    l.tier = tier;
    esgx_wasm_module *m = NULL;
    esgx_wasm_store *s = NULL;
    esgx_wasm_instance *inst = NULL;
    esgx_err err;
    uint64_t left = UINT64_MAX;
    maps_view before = maps_now();
    int rc = esgx_wasm_module_parse(bin, len, &l, &m, &err);
    if (rc == ESGX_OK) rc = esgx_wasm_store_new(&l, &s, &err);
    if (rc == ESGX_OK) rc = esgx_wasm_instance_new(s, m, NULL, 0, &inst, NULL, &err);
    esgx_wasm_extern f;
    if (rc == ESGX_OK) rc = esgx_wasm_instance_export(inst, "f", 1, &f);
    esgx_wasm_value res = {0};
    if (rc == ESGX_OK) {
        esgx_wasm_store_fuel_set(s, 100000000);
        rc = esgx_wasm_call(s, f, NULL, 0, &res, 1, NULL, &err);
    }
    CHECK(rc == ESGX_OK && res.of.i32 == 7, "many_funcs(%u, %d): rc %d, %s", n, indirect, rc,
          rc ? err.msg : "");
    if (rc == ESGX_OK) left = esgx_wasm_store_fuel_get(s);
    maps_view after = maps_now();
    if (grown) {
        grown->exec_maps = after.exec_maps - before.exec_maps;
        grown->exec_bytes = after.exec_bytes - before.exec_bytes;
        grown->wx = after.wx;
    }
    if (refused) *refused = m ? esgx_wasm_module_jit_refused(m) : 0;
    if (m && m->jit) esgx_wasm_jit_counts(m->jit, chunks, batches);
    if (bytes) *bytes = m && m->jit ? esgx_wasm_jit_bytes(m->jit) : 0;
    esgx_wasm_store_free(s);
    esgx_wasm_module_free(m);
    free(bin);
    return left;
}

static void test_code_memory(void)
{
    if (!esgx_wasm_jit_available()) return;
    static const struct {
        uint32_t n;
        bool indirect;
        uint32_t refused;
    } cases[] = {
        {4000, false, 0},    /* main and its callees compiled in a few batches */
        {20000, true, 0},    /* each first call through the table: batches filling pages */
        {20000, false, 1},   /* main's 20,000 call sites exceed the bound: interpreted */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint32_t n = cases[k].n;
        bool indirect = cases[k].indirect;
        maps_view g = {0};
        uint32_t refused = 0;
        size_t chunks = 0;
        uint64_t batches = 0, bytes = 0;
        uint64_t want = run_many(n, indirect, ESGX_WASM_TIER_INTERP, NULL, NULL, NULL, NULL, NULL);
        uint64_t got = run_many(n, indirect, ESGX_WASM_TIER_JIT, &g, &refused, &chunks, &batches,
                                &bytes);
        const char *what = indirect ? "indirect" : "direct";
        CHECK(want != UINT64_MAX && got == want, "%u %s: fuel left %llu, interpreter %llu", n,
              what, (unsigned long long)got, (unsigned long long)want);
        printf("%u empty functions, %s calls: %zu new code mappings, %zu executable bytes, "
               "%zu reservations, %llu batches, %llu bytes counted, %u refused\n",
               n, what, g.exec_maps, g.exec_bytes, chunks, (unsigned long long)batches,
               (unsigned long long)bytes, refused);
        CHECK(g.wx == 0, "%u %s: %d writable and executable mappings", n, what, g.wx);
        CHECK(g.exec_maps <= 2, "%u %s: %zu new code mappings", n, what, g.exec_maps);
        /* main's code (about 130 bytes a call site, its stub included) plus about 80
         * bytes a function (an entry that checks depth and stack), not a page each */
        size_t most = (size_t)n * (indirect ? 96 : 300) + 65536;
        CHECK(g.exec_bytes <= most, "%u %s: %zu executable bytes", n, what, g.exec_bytes);
        CHECK(chunks <= 2, "%u %s: %zu reservations", n, what, chunks);
        CHECK(batches <= n / 50, "%u %s: %llu batches", n, what, (unsigned long long)batches);
        CHECK(refused == cases[k].refused, "%u %s: %u refused", n, what, refused);
    }
}

int main(void)
{
    if (!esgx_wasm_jit_available())
        printf("test_jit: the compiler is not available here: JIT runs are interpreted\n");
    test_selection();
    check_depth("main thread");
    test_small_stack();
    test_wx();
    test_coverage();
    test_refused_count();
    test_refused_callee();
    test_code_memory();
    return ESGX_TEST_SUMMARY("wasm_jit");
}
