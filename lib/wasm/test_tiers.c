/*
 * test_tiers.c: modules aimed at a code generator, run on both tiers (the interpreter
 * and the compiler, esgx_wasm_limits.tier) and checked twice: the two tiers must agree
 * exactly (return code, trap kind, results bit for bit, fuel left, memory bytes) and
 * agree with the value this file computes independently. Covers a 1 MiB function, 5,000
 * locals of mixed types, 10,000 nested blocks, a br_table of 100,000 targets, every trap
 * kind raised in a loop and in a nested call (memory bounds for every load and store
 * width at the last byte and past it), values live across a call that clobbers many,
 * memory.grow in a callee, and calls through an import into another instance, and the
 * compiler's elided and merged bounds checks (a trap after earlier stores, adds that
 * wrap, aliases, a rewritten address, memory.grow between accesses, offsets near 4 GiB,
 * a loop running off the end of memory).
 *
 * Modules are written here in binary by a small emitter (no wabt needed). Where the
 * compiler is available (esgx_wasm_jit_available) the JIT side must really run on it;
 * until then both sides run the interpreter, and the test says so.
 */
#include "esgx_wasm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_test.h"

/* ------------------------------------------------------------------ byte buffers */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void b_put(buf *b, const void *src, size_t len)
{
    if (b->n + len > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->n + len) nc *= 2;
        uint8_t *np = realloc(b->p, nc);
        if (!np) abort();
        b->p = np;
        b->cap = nc;
    }
    memcpy(b->p + b->n, src, len);
    b->n += len;
}

static void op(buf *b, uint8_t x) { b_put(b, &x, 1); }

static void u32(buf *b, uint32_t v)
{
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        op(b, (uint8_t)(x | (v ? 0x80 : 0)));
    } while (v);
}

static void s64(buf *b, int64_t v)
{
    for (;;) {
        uint8_t x = v & 0x7f;
        v >>= 7;   /* arithmetic shift on the targets we build for */
        bool done = (v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40));
        op(b, (uint8_t)(x | (done ? 0 : 0x80)));
        if (done) return;
    }
}

static void b_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* opcodes used below */
enum {
    OP_UNREACHABLE = 0x00, OP_BLOCK = 0x02, OP_LOOP = 0x03, OP_IF = 0x04, OP_END = 0x0b,
    OP_BR = 0x0c, OP_BR_IF = 0x0d, OP_BR_TABLE = 0x0e, OP_RETURN = 0x0f, OP_CALL = 0x10,
    OP_CALL_INDIRECT = 0x11, OP_DROP = 0x1a, OP_LOCAL_GET = 0x20, OP_LOCAL_SET = 0x21,
    OP_LOCAL_TEE = 0x22, OP_GLOBAL_GET = 0x23, OP_GLOBAL_SET = 0x24, OP_I32_LOAD = 0x28,
    OP_I32_STORE = 0x36, OP_MEMORY_SIZE = 0x3f, OP_MEMORY_GROW = 0x40, OP_I32_CONST = 0x41,
    OP_I64_CONST = 0x42, OP_F32_CONST = 0x43, OP_F64_CONST = 0x44, OP_I32_EQ = 0x46,
    OP_I32_GE_U = 0x4f, OP_I32_ADD = 0x6a, OP_I32_SUB = 0x6b, OP_I32_MUL = 0x6c,
    OP_I32_XOR = 0x73, OP_I32_ROTL = 0x77, OP_I64_ADD = 0x7c, OP_I64_MUL = 0x7e,
    OP_I64_XOR = 0x85, OP_F32_ADD = 0x92, OP_F64_ADD = 0xa0, OP_I64_EXTEND_I32_U = 0xad,
    OP_F32_CONVERT_I32_U = 0xb3, OP_F64_CONVERT_I32_U = 0xb8, OP_I32_REINTERPRET_F32 = 0xbc,
    OP_I64_REINTERPRET_F64 = 0xbd,
};
#define T_I32 0x7f
#define T_I64 0x7e
#define T_F32 0x7d
#define T_F64 0x7c
#define BT_VOID 0x40

static void i32c(buf *b, int32_t v)
{
    op(b, OP_I32_CONST);
    s64(b, v);
}

static void i64c(buf *b, int64_t v)
{
    op(b, OP_I64_CONST);
    s64(b, v);
}

/* float constants as bits (little-endian), so NaN payloads are exact */
static void f32c(buf *b, uint32_t bits)
{
    op(b, OP_F32_CONST);
    for (int i = 0; i < 4; i++) op(b, (uint8_t)(bits >> (8 * i)));
}

static void f64c(buf *b, uint64_t bits)
{
    op(b, OP_F64_CONST);
    for (int i = 0; i < 8; i++) op(b, (uint8_t)(bits >> (8 * i)));
}

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static void op_idx(buf *b, uint8_t o, uint32_t idx)
{
    op(b, o);
    u32(b, idx);
}

static void memop(buf *b, uint8_t o, uint32_t align, uint32_t offset)
{
    op(b, o);
    u32(b, align);
    u32(b, offset);
}

/* ------------------------------------------------------------------ modules */

enum { S_TYPE = 1, S_IMPORT, S_FUNC, S_TABLE, S_MEM, S_GLOBAL, S_EXPORT, S_START, S_ELEM,
       S_CODE, S_DATA, S_N };

typedef struct wmod {
    buf sec[S_N];
    uint32_t cnt[S_N];
    uint32_t n_func_imports;
} wmod;

static uint8_t vt(char c)
{
    return c == 'i' ? T_I32 : c == 'I' ? T_I64 : c == 'f' ? T_F32 : T_F64;
}

/* A function type from two strings of i I f F (i32 i64 f32 f64). */
static uint32_t wm_type(wmod *w, const char *params, const char *results)
{
    buf *s = &w->sec[S_TYPE];
    op(s, 0x60);
    u32(s, (uint32_t)strlen(params));
    for (const char *p = params; *p; p++) op(s, vt(*p));
    u32(s, (uint32_t)strlen(results));
    for (const char *p = results; *p; p++) op(s, vt(*p));
    return w->cnt[S_TYPE]++;
}

static void name(buf *s, const char *n)
{
    u32(s, (uint32_t)strlen(n));
    b_put(s, n, strlen(n));
}

/* Imports come before any wm_func. */
static uint32_t wm_import_func(wmod *w, const char *mod, const char *nm, uint32_t type)
{
    buf *s = &w->sec[S_IMPORT];
    name(s, mod);
    name(s, nm);
    op(s, 0x00);
    u32(s, type);
    w->cnt[S_IMPORT]++;
    return w->n_func_imports++;
}

/* A defined function; body = locals vector, code, final end. Returns its index. */
static uint32_t wm_func(wmod *w, uint32_t type, const buf *body)
{
    u32(&w->sec[S_FUNC], type);
    w->cnt[S_FUNC]++;
    u32(&w->sec[S_CODE], (uint32_t)body->n);
    b_put(&w->sec[S_CODE], body->p, body->n);
    w->cnt[S_CODE]++;
    return w->n_func_imports + w->cnt[S_FUNC] - 1;
}

static void wm_export(wmod *w, const char *nm, uint8_t kind, uint32_t idx)
{
    name(&w->sec[S_EXPORT], nm);
    op(&w->sec[S_EXPORT], kind);
    u32(&w->sec[S_EXPORT], idx);
    w->cnt[S_EXPORT]++;
}

/* Memory 0 (exported as "mem"), max UINT32_MAX = none. */
static void wm_memory(wmod *w, uint32_t min, uint32_t max)
{
    buf *s = &w->sec[S_MEM];
    op(s, max == UINT32_MAX ? 0 : 1);
    u32(s, min);
    if (max != UINT32_MAX) u32(s, max);
    w->cnt[S_MEM]++;
    wm_export(w, "mem", 2, 0);
}

/* Table 0 of funcrefs, with funcs[0..n) at 0 (UINT32_MAX entries stay null). */
static void wm_table(wmod *w, uint32_t size, const uint32_t *funcs, uint32_t n)
{
    buf *s = &w->sec[S_TABLE];
    op(s, 0x70);
    op(s, 0);
    u32(s, size);
    w->cnt[S_TABLE]++;
    for (uint32_t i = 0; i < n; i++) {
        if (funcs[i] == UINT32_MAX) continue;
        buf *e = &w->sec[S_ELEM];
        op(e, 0);
        i32c(e, (int32_t)i);
        op(e, OP_END);
        u32(e, 1);
        u32(e, funcs[i]);
        w->cnt[S_ELEM]++;
    }
}

static void wm_global_i32(wmod *w, int32_t init)
{
    buf *s = &w->sec[S_GLOBAL];
    op(s, T_I32);
    op(s, 1);
    i32c(s, init);
    op(s, OP_END);
    w->cnt[S_GLOBAL]++;
}

static void wm_data(wmod *w, uint32_t offset, const void *bytes, uint32_t len)
{
    buf *s = &w->sec[S_DATA];
    op(s, 0);
    i32c(s, (int32_t)offset);
    op(s, OP_END);
    u32(s, len);
    b_put(s, bytes, len);
    w->cnt[S_DATA]++;
}

/* The binary; frees the sections. */
static void wm_finish(wmod *w, buf *out)
{
    static const uint8_t head[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    memset(out, 0, sizeof *out);
    b_put(out, head, sizeof head);
    for (int id = S_TYPE; id < S_N; id++) {
        if (!w->cnt[id]) continue;
        buf c = {0};
        u32(&c, w->cnt[id]);
        b_put(&c, w->sec[id].p, w->sec[id].n);
        op(out, (uint8_t)id);
        u32(out, (uint32_t)c.n);
        b_put(out, c.p, c.n);
        b_free(&c);
    }
    for (int id = 0; id < S_N; id++) b_free(&w->sec[id]);
}

/* Locals header of a body: groups of (count, type). */
static void locals(buf *b, uint32_t groups, const uint32_t *counts, const uint8_t *types)
{
    u32(b, groups);
    for (uint32_t i = 0; i < groups; i++) {
        u32(b, counts[i]);
        op(b, types[i]);
    }
}

/* ------------------------------------------------------------------ running both tiers */

#define MAX_INST 2

/* One tier: a store with up to MAX_INST instances of modules parsed for that tier. */
typedef struct side {
    esgx_wasm_tier tier;
    esgx_wasm_limits lim;
    esgx_wasm_store *s;
    esgx_wasm_module *m[MAX_INST];
    esgx_wasm_instance *inst[MAX_INST];
} side;

typedef struct pair {
    side a, b;   /* a: interpreter, b: compiler */
} pair;

typedef struct outcome {
    int rc;
    esgx_wasm_trap trap;
    uint64_t fuel;
    uint32_t n;
    esgx_wasm_value r[4];
} outcome;

static bool side_add(side *sd, int k, const buf *wasm, const esgx_wasm_extern *imps, size_t n)
{
    esgx_err err = {0};
    int rc = esgx_wasm_module_parse(wasm->p, wasm->n, &sd->lim, &sd->m[k], &err);
    CHECK(rc == 0, "parse on %s: %s", esgx_wasm_tier_name(sd->tier), err.msg);
    if (rc) return false;
    if (sd->tier == ESGX_WASM_TIER_INTERP || esgx_wasm_jit_available())
        CHECK_EQ_INT(esgx_wasm_module_tier(sd->m[k]), sd->tier);
    else
        CHECK_EQ_INT(esgx_wasm_module_tier(sd->m[k]), ESGX_WASM_TIER_INTERP);
    esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
    esgx_wasm_store_fuel_set(sd->s, UINT64_MAX);
    rc = esgx_wasm_instance_new(sd->s, sd->m[k], imps, n, &sd->inst[k], &trap, &err);
    CHECK(rc == 0, "instantiate on %s: %s", esgx_wasm_tier_name(sd->tier), err.msg);
    return rc == 0;
}

/* Parses and instantiates wasm on both tiers (limits: defaults with max_call_depth
 * depth and max_value_stack slots, where not 0). false (and a failed check) if either
 * refused. */
static bool pair_open_limits(pair *p, const buf *wasm, uint32_t depth, uint32_t slots)
{
    memset(p, 0, sizeof *p);
    side *sides[2] = {&p->a, &p->b};
    for (int i = 0; i < 2; i++) {
        side *sd = sides[i];
        sd->tier = i ? ESGX_WASM_TIER_JIT : ESGX_WASM_TIER_INTERP;
        esgx_wasm_limits_default(&sd->lim);
        sd->lim.tier = sd->tier;
        sd->lim.compile_threads = 1;
        if (depth) sd->lim.max_call_depth = depth;
        if (slots) sd->lim.max_value_stack = slots;
        if (esgx_wasm_store_new(&sd->lim, &sd->s, NULL)) abort();
        if (!side_add(sd, 0, wasm, NULL, 0)) return false;
    }
    return true;
}

static bool pair_open(pair *p, const buf *wasm, uint32_t depth)
{
    return pair_open_limits(p, wasm, depth, 0);
}

static void pair_close(pair *p)
{
    side *sides[2] = {&p->a, &p->b};
    for (int i = 0; i < 2; i++) {
        if (sides[i]->s) esgx_wasm_store_free(sides[i]->s);
        for (int k = 0; k < MAX_INST; k++) esgx_wasm_module_free(sides[i]->m[k]);
    }
}

static esgx_wasm_value vi32(int32_t x)
{
    esgx_wasm_value v;
    memset(&v, 0, sizeof v);
    v.type = ESGX_WASM_I32;
    v.of.i32 = x;
    return v;
}

static void call_side(side *sd, int k, const char *fn, const esgx_wasm_value *args, size_t na,
                      uint64_t fuel, outcome *o)
{
    memset(o, 0, sizeof *o);
    esgx_wasm_extern f;
    esgx_wasm_functype t;
    if (esgx_wasm_instance_export(sd->inst[k], fn, strlen(fn), &f) || esgx_wasm_func_type(f, &t) ||
        t.n_results > 4) {
        CHECK(0, "no export %s", fn);
        o->rc = -1;
        return;
    }
    o->n = t.n_results;
    esgx_wasm_store_fuel_set(sd->s, fuel);
    o->rc = esgx_wasm_call(sd->s, f, args, na, o->r, o->n, &o->trap, NULL);
    if (o->rc != ESGX_WASM_E_TRAP) o->trap = ESGX_WASM_TRAP_NONE;
    o->fuel = esgx_wasm_store_fuel_get(sd->s);
}

/* Memory "mem" of instance k, or NULL. */
static uint8_t *side_mem(side *sd, int k, uint64_t *size)
{
    esgx_wasm_extern mx;
    *size = 0;
    if (!sd->inst[k] || esgx_wasm_instance_export(sd->inst[k], "mem", 3, &mx)) return NULL;
    return esgx_wasm_memory_data(mx, size);
}

/* Calls fn of instance k on both tiers; checks that they agree on everything, the
 * memories of every instance included. The interpreter's outcome is left in *o. */
static void both(const char *what, pair *p, int k, const char *fn, const esgx_wasm_value *args,
                 size_t na, uint64_t fuel, outcome *o)
{
    outcome ob;
    call_side(&p->a, k, fn, args, na, fuel, o);
    call_side(&p->b, k, fn, args, na, fuel, &ob);
    CHECK(o->rc == ob.rc, "%s: rc %d on interp, %d on jit", what, o->rc, ob.rc);
    CHECK(o->trap == ob.trap, "%s: trap %s on interp, %s on jit", what,
          esgx_wasm_trap_name(o->trap), esgx_wasm_trap_name(ob.trap));
    CHECK(o->fuel == ob.fuel, "%s: fuel left %llu on interp, %llu on jit", what,
          (unsigned long long)o->fuel, (unsigned long long)ob.fuel);
    for (uint32_t i = 0; o->rc == 0 && ob.rc == 0 && i < o->n; i++)
        CHECK(o->r[i].type == ob.r[i].type && o->r[i].of.i64 == ob.r[i].of.i64 &&
                  memcmp(&o->r[i].of, &ob.r[i].of, sizeof o->r[i].of) == 0,
              "%s: result %u differs (0x%llx on interp, 0x%llx on jit)", what, i,
              (unsigned long long)o->r[i].of.i64, (unsigned long long)ob.r[i].of.i64);
    for (int j = 0; j < MAX_INST; j++) {
        uint64_t sa, sb;
        uint8_t *ma = side_mem(&p->a, j, &sa), *mb = side_mem(&p->b, j, &sb);
        CHECK(sa == sb, "%s: memory %d: %llu bytes on interp, %llu on jit", what, j,
              (unsigned long long)sa, (unsigned long long)sb);
        if (sa == sb && sa) CHECK(memcmp(ma, mb, sa) == 0, "%s: memory %d differs", what, j);
    }
}

static void want_i32(const char *what, const outcome *o, uint32_t want)
{
    CHECK(o->rc == 0 && o->n == 1 && o->r[0].type == ESGX_WASM_I32 && (uint32_t)o->r[0].of.i32 == want,
          "%s: want i32 0x%x, got rc %d (%s) value 0x%x", what, want, o->rc,
          esgx_wasm_trap_name(o->trap), (unsigned)o->r[0].of.i32);
}

static void want_i64(const char *what, const outcome *o, uint64_t want)
{
    CHECK(o->rc == 0 && o->n == 1 && o->r[0].type == ESGX_WASM_I64 && (uint64_t)o->r[0].of.i64 == want,
          "%s: want i64 0x%llx, got rc %d (%s) value 0x%llx", what, (unsigned long long)want,
          o->rc, esgx_wasm_trap_name(o->trap), (unsigned long long)o->r[0].of.i64);
}

static void want_trap(const char *what, const outcome *o, esgx_wasm_trap kind)
{
    CHECK(o->rc == ESGX_WASM_E_TRAP && o->trap == kind, "%s: want trap %s, got rc %d trap %s", what,
          esgx_wasm_trap_name(kind), o->rc, esgx_wasm_trap_name(o->trap));
}

static uint32_t rotl32(uint32_t x, uint32_t r)
{
    r &= 31;
    return r ? (x << r) | (x >> (32 - r)) : x;
}

static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* ------------------------------------------------------------------ big code */

/* "huge": 1 MiB of straight-line i32 arithmetic on the parameter; "stack": 3,000 i64
 * values pushed on the operand stack, then added up. */
static void test_huge(void)
{
    wmod w = {0};
    uint32_t t_ii = wm_type(&w, "i", "i"), t_iI = wm_type(&w, "i", "I");
    buf b = {0};
    u32(&b, 0);
    uint32_t groups = 0;
    while (b.n < (1u << 20)) {
        uint32_t c = (uint32_t)mix64(groups);
        op_idx(&b, OP_LOCAL_GET, 0);
        switch (groups % 4) {
        case 0: i32c(&b, (int32_t)c); op(&b, OP_I32_ADD); break;
        case 1: i32c(&b, (int32_t)c); op(&b, OP_I32_XOR); break;
        case 2: i32c(&b, (int32_t)(c | 1)); op(&b, OP_I32_MUL); break;
        default: i32c(&b, (int32_t)(c & 31)); op(&b, OP_I32_ROTL); break;
        }
        op_idx(&b, OP_LOCAL_SET, 0);
        groups++;
    }
    op_idx(&b, OP_LOCAL_GET, 0);
    op(&b, OP_END);
    wm_export(&w, "huge", 0, wm_func(&w, t_ii, &b));
    b_free(&b);

    enum { NSTACK = 3000 };
    u32(&b, 0);
    for (uint32_t k = 0; k < NSTACK; k++) {
        op_idx(&b, OP_LOCAL_GET, 0);
        op(&b, OP_I64_EXTEND_I32_U);
        i64c(&b, (int64_t)mix64(k + 77));
        op(&b, OP_I64_XOR);
    }
    for (uint32_t k = 1; k < NSTACK; k++) op(&b, OP_I64_ADD);
    op(&b, OP_END);
    wm_export(&w, "stack", 0, wm_func(&w, t_iI, &b));
    b_free(&b);

    buf wasm;
    wm_finish(&w, &wasm);
    pair p;
    if (pair_open(&p, &wasm, 0)) {
        static const uint32_t args[] = {0, 1, 0xdeadbeef};
        for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
            uint32_t x = args[i];
            for (uint32_t g = 0; g < groups; g++) {
                uint32_t c = (uint32_t)mix64(g);
                switch (g % 4) {
                case 0: x += c; break;
                case 1: x ^= c; break;
                case 2: x *= c | 1; break;
                default: x = rotl32(x, c & 31); break;
                }
            }
            uint64_t sum = 0;
            for (uint32_t k = 0; k < NSTACK; k++) sum += (uint64_t)args[i] ^ mix64(k + 77);
            outcome o;
            esgx_wasm_value a = vi32((int32_t)args[i]);
            both("huge", &p, 0, "huge", &a, 1, 100000000, &o);
            want_i32("huge", &o, x);
            both("stack", &p, 0, "stack", &a, 1, 100000000, &o);
            want_i64("stack", &o, sum);
        }
    }
    pair_close(&p);
    b_free(&wasm);
}

/* 5,000 locals (i32, i64, f32, f64 in turn), each set from the parameter, then read
 * back in a scattered order into acc = acc * 3 + bits. */
static void test_locals(void)
{
    enum { N = 5000 };
    static const uint8_t kinds[4] = {T_I32, T_I64, T_F32, T_F64};
    wmod w = {0};
    uint32_t t_iI = wm_type(&w, "i", "I");
    buf b = {0};
    u32(&b, N);
    for (uint32_t j = 0; j < N; j++) {
        u32(&b, 1);
        op(&b, kinds[j % 4]);
    }
    for (uint32_t j = 0; j < N; j++) {
        uint32_t l = j + 1;
        op_idx(&b, OP_LOCAL_GET, 0);
        switch (j % 4) {
        case 0: i32c(&b, (int32_t)(l * 2654435761u)); op(&b, OP_I32_ADD); break;
        case 1: op(&b, OP_I64_EXTEND_I32_U); i64c(&b, (int64_t)(l * 0x9E3779B97F4A7C15ull));
                op(&b, OP_I64_XOR); break;
        case 2: i32c(&b, (int32_t)l); op(&b, OP_I32_ADD); op(&b, OP_F32_CONVERT_I32_U); break;
        default: op(&b, OP_F64_CONVERT_I32_U); f64c(&b, f64_bits(l + 0.5)); op(&b, OP_F64_ADD); break;
        }
        op_idx(&b, OP_LOCAL_SET, l);
    }
    i64c(&b, 0);
    for (uint32_t t = 0; t < N; t++) {
        uint32_t j = (t * 7919u) % N;
        i64c(&b, 3);
        op(&b, OP_I64_MUL);
        op_idx(&b, OP_LOCAL_GET, j + 1);
        switch (j % 4) {
        case 0: op(&b, OP_I64_EXTEND_I32_U); break;
        case 1: break;
        case 2: op(&b, OP_I32_REINTERPRET_F32); op(&b, OP_I64_EXTEND_I32_U); break;
        default: op(&b, OP_I64_REINTERPRET_F64); break;
        }
        op(&b, OP_I64_ADD);
    }
    op(&b, OP_END);
    wm_export(&w, "locals", 0, wm_func(&w, t_iI, &b));
    b_free(&b);
    buf wasm;
    wm_finish(&w, &wasm);
    pair p;
    if (pair_open(&p, &wasm, 0)) {
        static const uint32_t args[] = {0, 7, 0x80000001u};
        for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
            uint32_t x = args[i];
            uint64_t acc = 0;
            for (uint32_t t = 0; t < N; t++) {
                uint32_t j = (t * 7919u) % N, l = j + 1;
                uint64_t v;
                switch (j % 4) {
                case 0: v = (uint32_t)(x + l * 2654435761u); break;
                case 1: v = (uint64_t)x ^ (l * 0x9E3779B97F4A7C15ull); break;
                case 2: v = f32_bits((float)(uint32_t)(x + l)); break;
                default: v = f64_bits((double)x + (l + 0.5)); break;
                }
                acc = acc * 3 + v;
            }
            outcome o;
            esgx_wasm_value a = vi32((int32_t)x);
            both("locals", &p, 0, "locals", &a, 1, 10000000, &o);
            want_i64("locals", &o, acc);
        }
    }
    pair_close(&p);
    b_free(&wasm);
}

/* "deep": 10,000 nested blocks, a br_table to any depth from the innermost, and a
 * counter bumped after each block end (the result counts the blocks left normally).
 * "wide": a br_table of 100,000 targets among 4 blocks, each exit its own value. */
static void test_branches(void)
{
    enum { DEEP = 10000, WIDE = 100000 };
    wmod w = {0};
    uint32_t t_ii = wm_type(&w, "i", "i");
    buf b = {0};
    static const uint32_t one = 1;
    static const uint8_t ti32 = T_I32;
    locals(&b, 1, &one, &ti32);
    for (uint32_t k = 0; k < DEEP; k++) op_idx(&b, OP_BLOCK, BT_VOID);
    op_idx(&b, OP_LOCAL_GET, 0);
    op_idx(&b, OP_BR_TABLE, DEEP);
    for (uint32_t k = 0; k < DEEP; k++) u32(&b, k);
    u32(&b, DEEP - 1);
    for (uint32_t k = 0; k < DEEP; k++) {
        op(&b, OP_END);
        if (k + 1 == DEEP) break;
        op_idx(&b, OP_LOCAL_GET, 1);
        i32c(&b, 1);
        op(&b, OP_I32_ADD);
        op_idx(&b, OP_LOCAL_SET, 1);
    }
    op_idx(&b, OP_LOCAL_GET, 1);
    op(&b, OP_END);
    wm_export(&w, "deep", 0, wm_func(&w, t_ii, &b));
    b_free(&b);

    u32(&b, 0);
    for (int k = 0; k < 4; k++) op_idx(&b, OP_BLOCK, BT_VOID);
    op_idx(&b, OP_LOCAL_GET, 0);
    op_idx(&b, OP_BR_TABLE, WIDE);
    for (uint64_t i = 0; i < WIDE; i++) u32(&b, (uint32_t)((i * i + 3) % 4));
    u32(&b, 2);
    for (int k = 0; k < 4; k++) {
        op(&b, OP_END);
        i32c(&b, 100 * (k + 1));
        op(&b, OP_RETURN);
    }
    op(&b, OP_END);
    wm_export(&w, "wide", 0, wm_func(&w, t_ii, &b));
    b_free(&b);

    buf wasm;
    wm_finish(&w, &wasm);
    pair p;
    if (pair_open(&p, &wasm, 0)) {
        static const uint32_t deep_args[] = {0, 1, DEEP / 2, DEEP - 1, DEEP, 0xffffffffu};
        for (size_t i = 0; i < sizeof deep_args / sizeof deep_args[0]; i++) {
            uint32_t x = deep_args[i], d = x < DEEP ? x : DEEP - 1;
            outcome o;
            esgx_wasm_value a = vi32((int32_t)x);
            both("deep", &p, 0, "deep", &a, 1, 10000000, &o);
            want_i32("deep", &o, DEEP - 1 - d);
        }
        static const uint32_t wide_args[] = {0, 1, WIDE / 2, WIDE / 2 + 1, WIDE - 1, WIDE,
                                             0x7fffffffu, 0xffffffffu};
        for (size_t i = 0; i < sizeof wide_args / sizeof wide_args[0]; i++) {
            uint64_t x = wide_args[i];
            uint32_t label = x < WIDE ? (uint32_t)((x * x + 3) % 4) : 2;
            outcome o;
            esgx_wasm_value a = vi32((int32_t)x);
            both("wide", &p, 0, "wide", &a, 1, 1000000, &o);
            want_i32("wide", &o, 100 * (label + 1));
        }
    }
    pair_close(&p);
    b_free(&wasm);
}

/* ------------------------------------------------------------------ traps */

/* A trapping instruction sequence (stack empty before and after). */
typedef struct trap_case {
    const char *name;
    esgx_wasm_trap kind;
    uint8_t code[24];
    uint8_t len;
} trap_case;

/* Function indices of the trap module's helpers (set by trap_module). */
enum { TF_OK, TF_OTHER, TF_REC, TF_RECN, TF_N };

#define NOT_A_NUMBER32 0x7fc00001u
#define TWO_31_F64 0x41e0000000000000ull
#define TWO_32_F32 0x4f800000u
#define MINUS_ONE_F64 0xbff0000000000000ull
#define NAN64 0x7ff8000000000001ull

/* The cases: every trap kind, and division / conversion for each type. */
static size_t trap_cases(trap_case *c, uint32_t t_v, const uint32_t *tf)
{
    size_t n = 0;
    buf b = {0};
#define CASE(nm, k, ...)                                                                 \
    do {                                                                                 \
        b.n = 0;                                                                         \
        __VA_ARGS__;                                                                     \
        c[n].name = nm;                                                                  \
        c[n].kind = k;                                                                   \
        if (b.n > sizeof c[n].code) abort();                                             \
        memcpy(c[n].code, b.p, b.n);                                                     \
        c[n++].len = (uint8_t)b.n;                                                       \
    } while (0)
    static const uint8_t divs32[] = {0x6d, 0x6e, 0x6f, 0x70}, divs64[] = {0x7f, 0x80, 0x81, 0x82};
    for (int i = 0; i < 4; i++) {
        CASE("div32", ESGX_WASM_TRAP_DIV_ZERO, i32c(&b, 5); i32c(&b, 0); op(&b, divs32[i]); op(&b, OP_DROP));
        CASE("div64", ESGX_WASM_TRAP_DIV_ZERO, i64c(&b, 5); i64c(&b, 0); op(&b, divs64[i]); op(&b, OP_DROP));
    }
    CASE("unreachable", ESGX_WASM_TRAP_UNREACHABLE, op(&b, OP_UNREACHABLE));
    CASE("ovf32", ESGX_WASM_TRAP_INT_OVERFLOW, i32c(&b, INT32_MIN); i32c(&b, -1); op(&b, 0x6d); op(&b, OP_DROP));
    CASE("ovf64", ESGX_WASM_TRAP_INT_OVERFLOW, i64c(&b, INT64_MIN); i64c(&b, -1); op(&b, 0x7f); op(&b, OP_DROP));
    CASE("nan_f32_i32", ESGX_WASM_TRAP_INVALID_CONVERSION, f32c(&b, NOT_A_NUMBER32); op(&b, 0xa8); op(&b, OP_DROP));
    CASE("nan_f64_i64", ESGX_WASM_TRAP_INVALID_CONVERSION, f64c(&b, NAN64); op(&b, 0xb1); op(&b, OP_DROP));
    CASE("big_f64_i32", ESGX_WASM_TRAP_INT_OVERFLOW, f64c(&b, TWO_31_F64); op(&b, 0xaa); op(&b, OP_DROP));
    CASE("big_f32_u32", ESGX_WASM_TRAP_INT_OVERFLOW, f32c(&b, TWO_32_F32); op(&b, 0xa9); op(&b, OP_DROP));
    CASE("neg_f64_u64", ESGX_WASM_TRAP_INT_OVERFLOW, f64c(&b, MINUS_ONE_F64); op(&b, 0xb1); op(&b, OP_DROP));
    CASE("oob_load", ESGX_WASM_TRAP_MEMORY_OOB, i32c(&b, 65533); memop(&b, OP_I32_LOAD, 2, 0); op(&b, OP_DROP));
    CASE("oob_store", ESGX_WASM_TRAP_MEMORY_OOB, i32c(&b, 0); i32c(&b, 7); memop(&b, OP_I32_STORE, 2, 65533));
    CASE("indirect_null", ESGX_WASM_TRAP_INDIRECT_NULL, i32c(&b, 1); op_idx(&b, OP_CALL_INDIRECT, t_v); op(&b, 0));
    CASE("indirect_type", ESGX_WASM_TRAP_INDIRECT_TYPE, i32c(&b, 2); op_idx(&b, OP_CALL_INDIRECT, t_v); op(&b, 0));
    CASE("indirect_oob", ESGX_WASM_TRAP_TABLE_OOB, i32c(&b, 3); op_idx(&b, OP_CALL_INDIRECT, t_v); op(&b, 0));
    CASE("recursion", ESGX_WASM_TRAP_STACK_EXHAUSTED, op_idx(&b, OP_CALL, tf[TF_REC]));
    CASE("fuel", ESGX_WASM_TRAP_OUT_OF_FUEL, op_idx(&b, OP_LOOP, BT_VOID); op_idx(&b, OP_BR, 0); op(&b, OP_END));
#undef CASE
    b_free(&b);
    return n;
}

/* loop_K(n): mem[4i] = 3i + 1 for i = 0.. and case K's code once i + 1 == n.
 * nest_K(n) = 11 + 22 + mid_K(n), with mid_K(n): mem[400] = n + 100, loop_K(n). */
static void trap_funcs(wmod *w, const trap_case *c, size_t k, uint32_t t_iv, uint32_t t_ii)
{
    static const uint32_t one = 1;
    static const uint8_t ti32 = T_I32;
    buf b = {0};
    char nm[64];
    locals(&b, 1, &one, &ti32);
    op_idx(&b, OP_LOOP, BT_VOID);
    op_idx(&b, OP_LOCAL_GET, 1);
    i32c(&b, 4);
    op(&b, OP_I32_MUL);
    op_idx(&b, OP_LOCAL_GET, 1);
    i32c(&b, 3);
    op(&b, OP_I32_MUL);
    i32c(&b, 1);
    op(&b, OP_I32_ADD);
    memop(&b, OP_I32_STORE, 2, 0);
    op_idx(&b, OP_LOCAL_GET, 1);
    i32c(&b, 1);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_TEE, 1);
    op_idx(&b, OP_LOCAL_GET, 0);
    op(&b, OP_I32_EQ);
    op_idx(&b, OP_IF, BT_VOID);
    b_put(&b, c[k].code, c[k].len);
    op(&b, OP_END);
    op_idx(&b, OP_BR, 0);
    op(&b, OP_END);
    op(&b, OP_END);
    uint32_t loop_f = wm_func(w, t_iv, &b);
    snprintf(nm, sizeof nm, "loop_%s_%zu", c[k].name, k);
    wm_export(w, nm, 0, loop_f);

    b.n = 0;
    u32(&b, 0);
    i32c(&b, 400);
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 100);
    op(&b, OP_I32_ADD);
    memop(&b, OP_I32_STORE, 2, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    op_idx(&b, OP_CALL, loop_f);
    op_idx(&b, OP_LOCAL_GET, 0);
    op(&b, OP_END);
    uint32_t mid_f = wm_func(w, t_ii, &b);

    b.n = 0;
    u32(&b, 0);
    i32c(&b, 11);
    i32c(&b, 22);
    op_idx(&b, OP_LOCAL_GET, 0);
    op_idx(&b, OP_CALL, mid_f);
    op(&b, OP_I32_ADD);
    op(&b, OP_I32_ADD);
    op(&b, OP_END);
    snprintf(nm, sizeof nm, "nest_%s_%zu", c[k].name, k);
    wm_export(w, nm, 0, wm_func(w, t_ii, &b));
    b_free(&b);
}

/* The helpers: ok() and other(i32) -> i32 (in the table with a null between them),
 * rec() (calls itself forever), recn(n) (n nested calls, returns n). */
static void trap_helpers(wmod *w, uint32_t t_v, uint32_t t_ii, uint32_t *tf)
{
    buf b = {0};
    u32(&b, 0);
    op(&b, OP_END);
    tf[TF_OK] = wm_func(w, t_v, &b);
    b.n = 0;
    u32(&b, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    op(&b, OP_END);
    tf[TF_OTHER] = wm_func(w, t_ii, &b);
    b.n = 0;
    u32(&b, 0);
    tf[TF_REC] = w->n_func_imports + w->cnt[S_FUNC];
    op_idx(&b, OP_CALL, tf[TF_REC]);
    op(&b, OP_END);
    wm_func(w, t_v, &b);
    b.n = 0;
    u32(&b, 0);
    tf[TF_RECN] = w->n_func_imports + w->cnt[S_FUNC];
    op_idx(&b, OP_LOCAL_GET, 0);
    op_idx(&b, OP_IF, T_I32);
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 1);
    op(&b, OP_I32_SUB);
    op_idx(&b, OP_CALL, tf[TF_RECN]);
    i32c(&b, 1);
    op(&b, OP_I32_ADD);
    op(&b, 0x05);   /* else */
    i32c(&b, 0);
    op(&b, OP_END);
    op(&b, OP_END);
    wm_func(w, t_ii, &b);
    wm_export(w, "recn", 0, tf[TF_RECN]);
    b_free(&b);
}

static void check_trap_memory(const char *what, pair *p, uint32_t n, bool nested)
{
    uint64_t size;
    uint8_t *m = side_mem(&p->a, 0, &size);
    if (!m || size < 512) {
        CHECK(0, "%s: no memory", what);
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, m + 4 * i, 4);
        CHECK(v == 3 * i + 1, "%s: mem[%u] = %u, want %u", what, 4 * i, v, 3 * i + 1);
    }
    uint32_t v;
    memcpy(&v, m + 400, 4);
    if (nested) CHECK(v == n + 100, "%s: mem[400] = %u, want %u", what, v, n + 100);
}

/* Every trap kind, raised in a loop and in a call two levels down. */
static void test_traps(void)
{
    enum { DEPTH = 1000 };
    wmod w = {0};
    uint32_t t_v = wm_type(&w, "", ""), t_ii = wm_type(&w, "i", "i");
    uint32_t t_iv = wm_type(&w, "i", "");
    uint32_t tf[TF_N];
    trap_helpers(&w, t_v, t_ii, tf);
    trap_case c[32];
    size_t n = trap_cases(c, t_v, tf);
    for (size_t k = 0; k < n; k++) trap_funcs(&w, c, k, t_iv, t_ii);
    uint32_t table[3] = {tf[TF_OK], UINT32_MAX, tf[TF_OTHER]};
    wm_table(&w, 3, table, 3);
    wm_memory(&w, 1, 1);
    buf wasm;
    wm_finish(&w, &wasm);
    pair p;
    if (pair_open(&p, &wasm, DEPTH)) {
        for (size_t k = 0; k < n; k++) {
            char fn[64], what[96];
            for (int nested = 0; nested < 2; nested++) {
                uint32_t arg = nested ? 7 : 5;
                snprintf(fn, sizeof fn, "%s_%s_%zu", nested ? "nest" : "loop", c[k].name, k);
                snprintf(what, sizeof what, "trap %s", fn);
                outcome o;
                esgx_wasm_value a = vi32((int32_t)arg);
                both(what, &p, 0, fn, &a, 1, 1000000, &o);
                want_trap(what, &o, c[k].kind);
                if (c[k].kind == ESGX_WASM_TRAP_OUT_OF_FUEL) CHECK_EQ_INT(o.fuel, 0);
                else CHECK(o.fuel > 0 && o.fuel < 1000000, "%s: fuel left %llu", what,
                           (unsigned long long)o.fuel);
                check_trap_memory(what, &p, arg, nested);
            }
        }
        /* the call depth limit: recn(n) needs n + 1 frames */
        outcome o;
        esgx_wasm_value a = vi32(DEPTH - 1);
        both("recn(depth - 1)", &p, 0, "recn", &a, 1, 10000000, &o);
        want_i32("recn(depth - 1)", &o, DEPTH - 1);
        a = vi32(DEPTH);
        both("recn(depth)", &p, 0, "recn", &a, 1, 10000000, &o);
        want_trap("recn(depth)", &o, ESGX_WASM_TRAP_STACK_EXHAUSTED);
    }
    pair_close(&p);
    b_free(&wasm);
}

/* ------------------------------------------------------------------ memory bounds */

typedef struct mem_op {
    uint8_t opcode;
    uint8_t width;
    char kind;       /* result or stored type: i I f F */
    bool sign;       /* loads narrower than their type: sign-extending */
} mem_op;

static const mem_op loads[] = {
    {0x28, 4, 'i', 0}, {0x29, 8, 'I', 0}, {0x2a, 4, 'f', 0}, {0x2b, 8, 'F', 0},
    {0x2c, 1, 'i', 1}, {0x2d, 1, 'i', 0}, {0x2e, 2, 'i', 1}, {0x2f, 2, 'i', 0},
    {0x30, 1, 'I', 1}, {0x31, 1, 'I', 0}, {0x32, 2, 'I', 1}, {0x33, 2, 'I', 0},
    {0x34, 4, 'I', 1}, {0x35, 4, 'I', 0},
};
static const mem_op stores[] = {
    {0x36, 4, 'i', 0}, {0x37, 8, 'I', 0}, {0x38, 4, 'f', 0}, {0x39, 8, 'F', 0},
    {0x3a, 1, 'i', 0}, {0x3b, 2, 'i', 0}, {0x3c, 1, 'I', 0}, {0x3d, 2, 'I', 0},
    {0x3e, 4, 'I', 0},
};
#define N_LOADS (sizeof loads / sizeof loads[0])
#define N_STORES (sizeof stores / sizeof stores[0])
#define STORE_I32 0x8899aabbu
#define STORE_I64 0x1122334455667788ull
#define STORE_F32 0x7fa12345u            /* signalling NaN: stored bit for bit */
#define STORE_F64 0x7ff4000000000abcull

static uint64_t store_value(const mem_op *s)
{
    return s->kind == 'i' ? STORE_I32 : s->kind == 'I' ? STORE_I64 : s->kind == 'f' ? STORE_F32 : STORE_F64;
}

/* ld_K(addr) / ldo_K(addr) (offset 65536 - width) -> the loaded bits as i64;
 * st_K(addr) / sto_K(addr) store the fixed value of the type. */
static void mem_funcs(wmod *w, uint32_t t_iI, uint32_t t_iv)
{
    buf b = {0};
    char nm[32];
    for (size_t k = 0; k < N_LOADS; k++) {
        for (int off = 0; off < 2; off++) {
            b.n = 0;
            u32(&b, 0);
            op_idx(&b, OP_LOCAL_GET, 0);
            memop(&b, loads[k].opcode, 0, off ? 65536u - loads[k].width : 0);
            if (loads[k].kind == 'i') op(&b, OP_I64_EXTEND_I32_U);
            if (loads[k].kind == 'f') {
                op(&b, OP_I32_REINTERPRET_F32);
                op(&b, OP_I64_EXTEND_I32_U);
            }
            if (loads[k].kind == 'F') op(&b, OP_I64_REINTERPRET_F64);
            op(&b, OP_END);
            snprintf(nm, sizeof nm, "%s_%zu", off ? "ldo" : "ld", k);
            wm_export(w, nm, 0, wm_func(w, t_iI, &b));
        }
    }
    for (size_t k = 0; k < N_STORES; k++) {
        for (int off = 0; off < 2; off++) {
            b.n = 0;
            u32(&b, 0);
            op_idx(&b, OP_LOCAL_GET, 0);
            uint64_t v = store_value(&stores[k]);
            switch (stores[k].kind) {
            case 'i': i32c(&b, (int32_t)(uint32_t)v); break;
            case 'I': i64c(&b, (int64_t)v); break;
            case 'f': f32c(&b, (uint32_t)v); break;
            default: f64c(&b, v); break;
            }
            memop(&b, stores[k].opcode, 0, off ? 65536u - stores[k].width : 0);
            op(&b, OP_END);
            snprintf(nm, sizeof nm, "%s_%zu", off ? "sto" : "st", k);
            wm_export(w, nm, 0, wm_func(w, t_iv, &b));
        }
    }
    b_free(&b);
}

/* What loads[k] reads at the end of memory m (size bytes). */
static uint64_t load_expect(const mem_op *l, const uint8_t *m, uint64_t size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < l->width; i++) v |= (uint64_t)m[size - l->width + i] << (8 * i);
    unsigned bits = 8u * l->width;
    if (l->sign && bits < 64 && (v >> (bits - 1)) & 1) v |= ~0ull << bits;
    if (l->kind == 'i' || l->kind == 'f') v &= 0xffffffffu;
    return v;
}

static void test_memory_bounds(void)
{
    wmod w = {0};
    uint32_t t_iI = wm_type(&w, "i", "I"), t_iv = wm_type(&w, "i", "");
    mem_funcs(&w, t_iI, t_iv);
    wm_memory(&w, 1, 1);
    uint8_t tail[64];
    for (int i = 0; i < 64; i++) tail[i] = (uint8_t)(0x80 + i * 7);
    /* the last 8 bytes: a negative signalling NaN, so the narrow loads at the end read
     * negative numbers (sign extension shows) and f32 / f64 loads a NaN payload */
    uint64_t snan = 0xfff4000000000a5cull;
    memcpy(tail + 56, &snan, 8);
    wm_data(&w, 65536 - 64, tail, 64);
    buf wasm;
    wm_finish(&w, &wasm);
    pair p;
    if (pair_open(&p, &wasm, 0)) {
        char fn[32], what[64];
        outcome o;
        for (size_t k = 0; k < N_LOADS; k++) {
            uint32_t wd = loads[k].width;
            uint64_t size;
            uint64_t want = load_expect(&loads[k], side_mem(&p.a, 0, &size), 65536);
            const struct { int off; uint32_t addr; bool ok; } calls[] = {
                {0, 65536 - wd, true}, {0, 65536 - wd + 1, false}, {0, 65536, false},
                {0, 0xffffffffu, false}, {1, 0, true}, {1, 1, false}, {1, 0xffffffffu, false},
            };
            for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
                snprintf(fn, sizeof fn, "%s_%zu", calls[c].off ? "ldo" : "ld", k);
                snprintf(what, sizeof what, "%s(0x%x)", fn, calls[c].addr);
                esgx_wasm_value a = vi32((int32_t)calls[c].addr);
                both(what, &p, 0, fn, &a, 1, 1000, &o);
                if (calls[c].ok) want_i64(what, &o, want);
                else want_trap(what, &o, ESGX_WASM_TRAP_MEMORY_OOB);
            }
        }
        for (size_t k = 0; k < N_STORES; k++) {
            uint32_t wd = stores[k].width;
            uint64_t size;
            uint8_t before[16], *m = side_mem(&p.a, 0, &size);
            memcpy(before, m + 65536 - 16, 16);
            const struct { int off; uint32_t addr; } bad[] = {
                {0, 65536 - wd + 1}, {0, 65535}, {0, 0xffffffffu}, {1, 1}, {1, 0x80000000u}};
            for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
                snprintf(fn, sizeof fn, "%s_%zu", bad[c].off ? "sto" : "st", k);
                snprintf(what, sizeof what, "%s(0x%x)", fn, bad[c].addr);
                esgx_wasm_value a = vi32((int32_t)bad[c].addr);
                both(what, &p, 0, fn, &a, 1, 1000, &o);
                if (wd == 1 && bad[c].addr == 65535 && !bad[c].off) {
                    CHECK(o.rc == 0, "%s: the last byte is in bounds", what);
                    memcpy(before, side_mem(&p.a, 0, &size) + 65536 - 16, 16);
                    continue;
                }
                want_trap(what, &o, ESGX_WASM_TRAP_MEMORY_OOB);
                m = side_mem(&p.a, 0, &size);
                CHECK(memcmp(before, m + 65536 - 16, 16) == 0, "%s: a trapping store wrote", what);
            }
            esgx_wasm_value a = vi32((int32_t)(65536 - wd));
            snprintf(what, sizeof what, "st_%zu(last)", k);
            snprintf(fn, sizeof fn, "st_%zu", k);
            both(what, &p, 0, fn, &a, 1, 1000, &o);
            CHECK(o.rc == 0, "%s: rc %d", what, o.rc);
            m = side_mem(&p.a, 0, &size);
            uint64_t v = store_value(&stores[k]);
            for (uint32_t i = 0; i < wd; i++)
                CHECK(m[65536 - wd + i] == (uint8_t)(v >> (8 * i)), "%s: byte %u", what, i);
        }
    }
    pair_close(&p);
    b_free(&wasm);
}

/* ------------------------------------------------------------------ merged checks */

/* The compiler checks an access off an address already checked in the same straight
 * run of code not again, and checks several accesses off one address once (the
 * largest extent), running them with a check each when that fails (jit_ops.c,
 * "Bounds checks"). Edge cases of that, each against the interpreter and against
 * values computed here (memory: 1 page, up to 2):
 * - "st3" (p): i32.store [p] = 0x11111111; i64.store [p+4] = 0x2222222233333333;
 *   i32.load [p+12]: from p = 65536 - 12 the stores happen, then the load traps; from
 *   65536 - 8 the first store happens; from 65536 - 3 none;
 * - "wrap" (p): i32.load (p + 16) + i32.load (p + 20) (adds folded into the accesses):
 *   p = -16 reads addresses 0 and 4 (the adds wrap: in bounds), p = -20 traps;
 * - "alias" (p): q = p + 16; [q] + [q+4] + [p]: p = -16 traps at [p] only;
 * - "ld2" (p): [p] + [p+8] (loads only: the merged check traps itself);
 * st3, wrap and alias run their body in a loop (once): outside loops the compiler
 * merges only checks like ld2's, which need no slow copy;
 * - "rewrite" (p): [p]; p = p + 65536; [p] must be checked again;
 * - "grow" (p): [p] + (memory.grow 1; [p + 65536]) + [p];
 * - "far" (p): [p] then [p + 0xfffffff0] (an offset near 4 GiB): always traps;
 * - "fill" (p, n): n times { [p] = i; [p+4] = i; p += 8 }: runs off the end of memory
 *   mid-iteration; the stores before the trap are all there, fuel as the interpreter's. */
/* The body between them runs once, inside a loop (local cnt counts): the compiler
 * merges checks whose slow path is a copy of code only in loops. */
static void once_begin(buf *b)
{
    op(b, OP_LOOP);
    op(b, BT_VOID);
}

static void once_end(buf *b, uint32_t cnt)
{
    op_idx(b, OP_LOCAL_GET, cnt);
    i32c(b, 1);
    op(b, OP_I32_ADD);
    op_idx(b, OP_LOCAL_TEE, cnt);
    i32c(b, 1);
    op(b, 0x49);   /* i32.lt_u */
    op_idx(b, OP_BR_IF, 0);
    op(b, OP_END);
}

static void merged_funcs(wmod *w)
{
    uint32_t t_ii = wm_type(w, "i", "i"), t_iii = wm_type(w, "ii", "i");
    static const uint32_t one = 1;
    static const uint8_t ti32 = T_I32;
    buf b = {0};
    static const uint32_t two = 2, three = 3;
    /* st3 (locals: cnt 1, result 2) */
    locals(&b, 1, &two, &ti32);
    once_begin(&b);
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 0x11111111);
    memop(&b, OP_I32_STORE, 2, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    i64c(&b, 0x2222222233333333);
    memop(&b, 0x37, 3, 4);   /* i64.store */
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 12);
    op_idx(&b, OP_LOCAL_SET, 2);
    once_end(&b, 1);
    op_idx(&b, OP_LOCAL_GET, 2);
    op(&b, OP_END);
    wm_export(w, "st3", 0, wm_func(w, t_ii, &b));
    b_free(&b);
    /* wrap (locals: cnt 1, result 2) */
    locals(&b, 1, &two, &ti32);
    once_begin(&b);
    for (int k = 0; k < 2; k++) {
        op_idx(&b, OP_LOCAL_GET, 0);
        i32c(&b, 16 + 4 * k);
        op(&b, OP_I32_ADD);
        memop(&b, OP_I32_LOAD, 2, 0);
    }
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_SET, 2);
    once_end(&b, 1);
    op_idx(&b, OP_LOCAL_GET, 2);
    op(&b, OP_END);
    wm_export(w, "wrap", 0, wm_func(w, t_ii, &b));
    b_free(&b);
    /* alias (locals: q 1, cnt 2, result 3) */
    locals(&b, 1, &three, &ti32);
    once_begin(&b);
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 16);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_SET, 1);
    op_idx(&b, OP_LOCAL_GET, 1);
    memop(&b, OP_I32_LOAD, 2, 0);
    op_idx(&b, OP_LOCAL_GET, 1);
    memop(&b, OP_I32_LOAD, 2, 4);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 0);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_SET, 3);
    once_end(&b, 2);
    op_idx(&b, OP_LOCAL_GET, 3);
    op(&b, OP_END);
    wm_export(w, "alias", 0, wm_func(w, t_ii, &b));
    b_free(&b);
    /* ld2: [p] + [p+8], loads only: one check, which traps itself */
    u32(&b, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 8);
    op(&b, OP_I32_ADD);
    op(&b, OP_END);
    wm_export(w, "ld2", 0, wm_func(w, t_ii, &b));
    b_free(&b);
    /* rewrite */
    u32(&b, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 65536);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_SET, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 0);
    op(&b, OP_I32_ADD);
    op(&b, OP_END);
    wm_export(w, "rewrite", 0, wm_func(w, t_ii, &b));
    b_free(&b);
    /* grow */
    u32(&b, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 0);
    i32c(&b, 1);
    op_idx(&b, OP_MEMORY_GROW, 0);
    op(&b, OP_DROP);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 65536);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 0);
    op(&b, OP_I32_ADD);
    op(&b, OP_END);
    wm_export(w, "grow", 0, wm_func(w, t_ii, &b));
    b_free(&b);
    /* far */
    u32(&b, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_LOAD, 2, 0xfffffff0u);
    op(&b, OP_I32_ADD);
    op(&b, OP_END);
    wm_export(w, "far", 0, wm_func(w, t_ii, &b));
    b_free(&b);
    /* fill (p, n) -> i (local 2) */
    locals(&b, 1, &one, &ti32);
    op(&b, OP_LOOP);
    op(&b, BT_VOID);
    for (int k = 0; k < 2; k++) {
        op_idx(&b, OP_LOCAL_GET, 0);
        op_idx(&b, OP_LOCAL_GET, 2);
        memop(&b, OP_I32_STORE, 2, (uint32_t)(4 * k));
    }
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 8);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_SET, 0);
    op_idx(&b, OP_LOCAL_GET, 2);
    i32c(&b, 1);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_TEE, 2);
    op_idx(&b, OP_LOCAL_GET, 1);
    op(&b, OP_I32_GE_U);
    i32c(&b, 0);
    op(&b, OP_I32_EQ);
    op_idx(&b, OP_BR_IF, 0);
    op(&b, OP_END);
    op_idx(&b, OP_LOCAL_GET, 2);
    op(&b, OP_END);
    wm_export(w, "fill", 0, wm_func(w, t_iii, &b));
    b_free(&b);
}

static uint32_t rd32(const uint8_t *m, uint64_t at)
{
    uint32_t v;
    memcpy(&v, m + at, 4);
    return v;
}

static void test_merged_checks(void)
{
    wmod w = {0};
    merged_funcs(&w);
    wm_memory(&w, 1, 2);
    uint8_t head[8] = {1, 0, 0, 0, 2, 0, 0, 0}, tail[32];
    for (int i = 0; i < 32; i++) tail[i] = (uint8_t)(0x40 + i);
    wm_data(&w, 0, head, 8);
    wm_data(&w, 65536 - 32, tail, 32);
    buf wasm;
    wm_finish(&w, &wasm);
    pair p;
    if (!pair_open(&p, &wasm, 0)) goto out;
    char what[64];
    outcome o;
    uint64_t size;
    uint8_t *m;
    esgx_wasm_value a;

    /* st3: in bounds, then a trap at each of the three accesses */
    static const uint8_t st3_bytes[12] = {0x11, 0x11, 0x11, 0x11, 0x33, 0x33, 0x33, 0x33,
                                          0x22, 0x22, 0x22, 0x22};
    const struct { uint32_t p; int done; } st3[] = {
        {65536 - 16, 3}, {65536 - 12, 2}, {65536 - 8, 1}, {65536 - 3, 0}, {0xfffffffcu, 0}};
    for (size_t i = 0; i < sizeof st3 / sizeof st3[0]; i++) {
        uint32_t at = st3[i].p;
        m = side_mem(&p.a, 0, &size);
        uint8_t before[16] = {0};
        if (at < size) memcpy(before, m + at, size - at < 16 ? size - at : 16);
        snprintf(what, sizeof what, "st3(0x%x)", at);
        a = vi32((int32_t)at);
        both(what, &p, 0, "st3", &a, 1, 1000, &o);
        m = side_mem(&p.a, 0, &size);
        if (st3[i].done == 3) want_i32(what, &o, rd32(before, 12));   /* not stored over */
        else want_trap(what, &o, ESGX_WASM_TRAP_MEMORY_OOB);
        size_t written = st3[i].done >= 2 ? 12 : st3[i].done == 1 ? 4 : 0;
        if (at < size) {
            size_t n = size - at < 16 ? size - at : 16;
            for (size_t k = 0; k < n; k++)
                CHECK(m[at + k] == (k < written ? st3_bytes[k] : before[k]),
                      "%s: byte %zu is 0x%02x", what, k, m[at + k]);
        }
    }

    /* wrap: the adds wrap to addresses 0 and 4 */
    const struct { uint32_t p; bool ok; } wraps[] = {
        {0xfffffff0u, true}, {0xffffffecu, false}, {65536 - 24, true}, {65536 - 23, false}};
    for (size_t i = 0; i < sizeof wraps / sizeof wraps[0]; i++) {
        snprintf(what, sizeof what, "wrap(0x%x)", wraps[i].p);
        m = side_mem(&p.a, 0, &size);
        uint32_t want = wraps[i].ok ? rd32(m, (uint32_t)(wraps[i].p + 16)) + rd32(m, (uint32_t)(wraps[i].p + 20)) : 0;
        a = vi32((int32_t)wraps[i].p);
        both(what, &p, 0, "wrap", &a, 1, 1000, &o);
        if (wraps[i].ok) want_i32(what, &o, want);
        else want_trap(what, &o, ESGX_WASM_TRAP_MEMORY_OOB);
    }
    CHECK(rd32(side_mem(&p.a, 0, &size), 0) == 1, "wrap: data at 0");

    /* alias: q = p + 16 reads in bounds where p itself does not */
    const struct { uint32_t p; bool ok; } al[] = {
        {0xfffffff0u, false}, {65536 - 24, true}, {65536 - 20, false}, {8, true}};
    for (size_t i = 0; i < sizeof al / sizeof al[0]; i++) {
        snprintf(what, sizeof what, "alias(0x%x)", al[i].p);
        m = side_mem(&p.a, 0, &size);
        uint32_t q = al[i].p + 16;
        uint32_t want = al[i].ok ? rd32(m, q) + rd32(m, q + 4) + rd32(m, al[i].p) : 0;
        a = vi32((int32_t)al[i].p);
        both(what, &p, 0, "alias", &a, 1, 1000, &o);
        if (al[i].ok) want_i32(what, &o, want);
        else want_trap(what, &o, ESGX_WASM_TRAP_MEMORY_OOB);
    }

    /* ld2: the merged check of loads alone traps where the second load would */
    const struct { uint32_t p; bool ok; } l2[] = {
        {65536 - 12, true}, {65536 - 11, false}, {65536 - 4, false}, {0xfffffff8u, false}};
    for (size_t i = 0; i < sizeof l2 / sizeof l2[0]; i++) {
        snprintf(what, sizeof what, "ld2(0x%x)", l2[i].p);
        m = side_mem(&p.a, 0, &size);
        uint32_t want = l2[i].ok ? rd32(m, l2[i].p) + rd32(m, l2[i].p + 8) : 0;
        a = vi32((int32_t)l2[i].p);
        both(what, &p, 0, "ld2", &a, 1, 1000, &o);
        if (l2[i].ok) want_i32(what, &o, want);
        else want_trap(what, &o, ESGX_WASM_TRAP_MEMORY_OOB);
    }

    /* rewrite: the second access is off the new p (1 page: out of bounds) */
    a = vi32(16);
    both("rewrite(16)", &p, 0, "rewrite", &a, 1, 1000, &o);
    want_trap("rewrite(16)", &o, ESGX_WASM_TRAP_MEMORY_OOB);
    a = vi32((int32_t)(0xffff0000u + 4));   /* p + 65536 wraps to 4 */
    both("rewrite(-65532)", &p, 0, "rewrite", &a, 1, 1000, &o);
    want_trap("rewrite(-65532)", &o, ESGX_WASM_TRAP_MEMORY_OOB);   /* the first access */

    /* far: the offset near 4 GiB is checked although [p] was */
    a = vi32(0);
    both("far(0)", &p, 0, "far", &a, 1, 1000, &o);
    want_trap("far(0)", &o, ESGX_WASM_TRAP_MEMORY_OOB);

    /* fill: from 65536 - 28, three whole iterations and one store of the fourth */
    const uint32_t start = 65536 - 28;
    a = vi32((int32_t)start);
    esgx_wasm_value args[2] = {a, vi32(100)};
    both("fill", &p, 0, "fill", args, 2, 100000, &o);
    want_trap("fill", &o, ESGX_WASM_TRAP_MEMORY_OOB);
    m = side_mem(&p.a, 0, &size);
    for (uint32_t k = 0; k < 7; k++)
        CHECK(rd32(m, start + 4 * k) == k / 2, "fill: word %u is %u", k, rd32(m, start + 4 * k));
    args[0] = vi32(64);
    both("fill(64, 100)", &p, 0, "fill", args, 2, 100000, &o);
    want_i32("fill(64, 100)", &o, 100);
    args[1] = vi32(1000);
    both("fill(64, 1000) out of fuel", &p, 0, "fill", args, 2, 500, &o);
    want_trap("fill(64, 1000) out of fuel", &o, ESGX_WASM_TRAP_OUT_OF_FUEL);

    /* grow: 1 page, [p + 65536] past it until the grow in the same call; the second
     * grow fails (max 2 pages) */
    a = vi32(65536 - 4);
    m = side_mem(&p.a, 0, &size);
    uint32_t first = rd32(m, 65536 - 4);
    both("grow(65532)", &p, 0, "grow", &a, 1, 1000000, &o);
    want_i32("grow(65532)", &o, 2 * first);   /* the new page reads 0 */
    CHECK(side_mem(&p.a, 0, &size) && size == 2 * 65536, "grow: %llu bytes", (unsigned long long)size);
    a = vi32(65536 + 8);
    both("grow(65544)", &p, 0, "grow", &a, 1, 1000000, &o);
    want_trap("grow(65544)", &o, ESGX_WASM_TRAP_MEMORY_OOB);
    /* rewrite again, now that 2 pages make the new p in bounds */
    a = vi32(16);
    m = side_mem(&p.a, 0, &size);
    uint32_t want = rd32(m, 16) + rd32(m, 16 + 65536);
    both("rewrite(16) after grow", &p, 0, "rewrite", &a, 1, 1000, &o);
    want_i32("rewrite(16) after grow", &o, want);
out:
    pair_close(&p);
    b_free(&wasm);
}

/* ------------------------------------------------------------------ calls */

enum { CLOB_N = 16, CLOB_ROUNDS = 20, LIVE = 40 };

/* clobber(p): 16 i32 and 8 f64 locals churned for 20 rounds; stores the f64 sum at
 * 1024 and returns the xor of the i32 locals. */
static uint32_t clobber_func(wmod *w, uint32_t t_ii)
{
    static const uint32_t counts[2] = {CLOB_N, 8};
    static const uint8_t types[2] = {T_I32, T_F64};
    buf b = {0};
    locals(&b, 2, counts, types);
    for (uint32_t k = 0; k < CLOB_N; k++) {
        op_idx(&b, OP_LOCAL_GET, 0);
        i32c(&b, (int32_t)(k + 1));
        op(&b, OP_I32_MUL);
        i32c(&b, (int32_t)k);
        op(&b, OP_I32_ADD);
        op_idx(&b, OP_LOCAL_SET, 1 + k);
    }
    for (uint32_t k = 0; k < 8; k++) {
        op_idx(&b, OP_LOCAL_GET, 0);
        op(&b, OP_F64_CONVERT_I32_U);
        f64c(&b, f64_bits(k + 0.125));
        op(&b, OP_F64_ADD);
        op_idx(&b, OP_LOCAL_SET, 1 + CLOB_N + k);
    }
    for (uint32_t r = 0; r < CLOB_ROUNDS; r++) {
        for (uint32_t k = 0; k < CLOB_N; k++) {
            op_idx(&b, OP_LOCAL_GET, 1 + k);
            op_idx(&b, OP_LOCAL_GET, 1 + (k + 1) % CLOB_N);
            op(&b, OP_I32_XOR);
            i32c(&b, (int32_t)(k + 1));
            op(&b, OP_I32_ROTL);
            i32c(&b, (int32_t)r);
            op(&b, OP_I32_ADD);
            op_idx(&b, OP_LOCAL_SET, 1 + k);
        }
        for (uint32_t k = 0; k < 8; k++) {
            op_idx(&b, OP_LOCAL_GET, 1 + CLOB_N + k);
            op_idx(&b, OP_LOCAL_GET, 1 + CLOB_N + (k + 1) % 8);
            op(&b, OP_F64_ADD);
            op_idx(&b, OP_LOCAL_SET, 1 + CLOB_N + k);
        }
    }
    i32c(&b, 1024);
    op_idx(&b, OP_LOCAL_GET, 1 + CLOB_N);
    for (uint32_t k = 1; k < 8; k++) {
        op_idx(&b, OP_LOCAL_GET, 1 + CLOB_N + k);
        op(&b, OP_F64_ADD);
    }
    memop(&b, 0x39, 3, 0);
    i32c(&b, 0);
    for (uint32_t k = 0; k < CLOB_N; k++) {
        op_idx(&b, OP_LOCAL_GET, 1 + k);
        op(&b, OP_I32_XOR);
    }
    op(&b, OP_END);
    uint32_t f = wm_func(w, t_ii, &b);
    b_free(&b);
    return f;
}

static uint32_t clobber_expect(uint32_t p)
{
    uint32_t l[CLOB_N], x = 0;
    for (uint32_t k = 0; k < CLOB_N; k++) l[k] = p * (k + 1) + k;
    for (uint32_t r = 0; r < CLOB_ROUNDS; r++)
        for (uint32_t k = 0; k < CLOB_N; k++) l[k] = rotl32(l[k] ^ l[(k + 1) % CLOB_N], k + 1) + r;
    for (uint32_t k = 0; k < CLOB_N; k++) x ^= l[k];
    return x;
}

/* live(p): 40 values (i32, i64, f32, f64 in turn) on the operand stack across a call
 * of clobber(p), then folded from the top into acc = acc * 3 + bits. */
static void live_func(wmod *w, uint32_t t_iI, uint32_t clobber)
{
    static const uint32_t one = 1;
    static const uint8_t ti64 = T_I64;
    buf b = {0};
    locals(&b, 1, &one, &ti64);
    for (uint32_t k = 0; k < LIVE; k++) {
        op_idx(&b, OP_LOCAL_GET, 0);
        switch (k % 4) {
        case 0: i32c(&b, (int32_t)(k + 3)); op(&b, OP_I32_MUL); i32c(&b, (int32_t)k); op(&b, OP_I32_ADD); break;
        case 1: op(&b, OP_I64_EXTEND_I32_U); i64c(&b, (int64_t)((k + 1) * 0x100000001ull)); op(&b, OP_I64_MUL); break;
        case 2: op(&b, OP_F32_CONVERT_I32_U); f32c(&b, f32_bits((float)k + 0.25f)); op(&b, OP_F32_ADD); break;
        default: op(&b, OP_F64_CONVERT_I32_U); f64c(&b, f64_bits(k + 0.5)); op(&b, OP_F64_ADD); break;
        }
    }
    op_idx(&b, OP_LOCAL_GET, 0);
    op_idx(&b, OP_CALL, clobber);
    op(&b, OP_I64_EXTEND_I32_U);
    op_idx(&b, OP_LOCAL_SET, 1);
    for (uint32_t k = LIVE; k-- > 0;) {
        if (k % 4 == 0) op(&b, OP_I64_EXTEND_I32_U);
        if (k % 4 == 2) {
            op(&b, OP_I32_REINTERPRET_F32);
            op(&b, OP_I64_EXTEND_I32_U);
        }
        if (k % 4 == 3) op(&b, OP_I64_REINTERPRET_F64);
        op_idx(&b, OP_LOCAL_GET, 1);
        i64c(&b, 3);
        op(&b, OP_I64_MUL);
        op(&b, OP_I64_ADD);
        op_idx(&b, OP_LOCAL_SET, 1);
    }
    op_idx(&b, OP_LOCAL_GET, 1);
    op(&b, OP_END);
    wm_export(w, "live", 0, wm_func(w, t_iI, &b));
    b_free(&b);
}

static uint64_t live_expect(uint32_t p)
{
    uint64_t acc = clobber_expect(p);
    for (uint32_t k = LIVE; k-- > 0;) {
        uint64_t v;
        switch (k % 4) {
        case 0: v = (uint32_t)(p * (k + 3) + k); break;
        case 1: v = (uint64_t)p * ((k + 1) * 0x100000001ull); break;
        case 2: v = f32_bits((float)p + ((float)k + 0.25f)); break;
        default: v = f64_bits((double)p + (k + 0.5)); break;
        }
        acc = v + acc * 3;
    }
    return acc;
}

/* grow(): memory.grow(1) through a second call. user(p): mem[100] = p, then 10 times:
 * grow; if it grew, write p + i to the new last word; acc = acc * 7 + mem[100] +
 * memory.size + the last word. */
static void grow_funcs(wmod *w, uint32_t t_i, uint32_t t_iI)
{
    buf b = {0};
    u32(&b, 0);
    i32c(&b, 1);
    op(&b, OP_MEMORY_GROW);
    op(&b, 0);
    op(&b, OP_END);
    uint32_t inner = wm_func(w, t_i, &b);
    b.n = 0;
    u32(&b, 0);
    op_idx(&b, OP_CALL, inner);
    op(&b, OP_END);
    uint32_t grow = wm_func(w, t_i, &b);
    static const uint32_t counts[2] = {1, 1};
    static const uint8_t types[2] = {T_I32, T_I64};
    b.n = 0;
    locals(&b, 2, counts, types);   /* 1: i, 2: acc */
    i32c(&b, 100);
    op_idx(&b, OP_LOCAL_GET, 0);
    memop(&b, OP_I32_STORE, 2, 0);
    op_idx(&b, OP_LOOP, BT_VOID);
    op_idx(&b, OP_CALL, grow);
    i32c(&b, -1);
    op(&b, 0x47);   /* i32.ne */
    op_idx(&b, OP_IF, BT_VOID);
    op_idx(&b, OP_MEMORY_SIZE, 0);
    i32c(&b, 65536);
    op(&b, OP_I32_MUL);
    i32c(&b, 4);
    op(&b, OP_I32_SUB);
    op_idx(&b, OP_LOCAL_GET, 0);
    op_idx(&b, OP_LOCAL_GET, 1);
    op(&b, OP_I32_ADD);
    memop(&b, OP_I32_STORE, 2, 0);
    op(&b, OP_END);
    op_idx(&b, OP_LOCAL_GET, 2);
    i64c(&b, 7);
    op(&b, OP_I64_MUL);
    i32c(&b, 100);
    memop(&b, OP_I32_LOAD, 2, 0);
    op(&b, OP_I64_EXTEND_I32_U);
    op(&b, OP_I64_ADD);
    op_idx(&b, OP_MEMORY_SIZE, 0);
    op(&b, OP_I64_EXTEND_I32_U);
    op(&b, OP_I64_ADD);
    op_idx(&b, OP_MEMORY_SIZE, 0);
    i32c(&b, 65536);
    op(&b, OP_I32_MUL);
    i32c(&b, 4);
    op(&b, OP_I32_SUB);
    memop(&b, OP_I32_LOAD, 2, 0);
    op(&b, OP_I64_EXTEND_I32_U);
    op(&b, OP_I64_ADD);
    op_idx(&b, OP_LOCAL_SET, 2);
    op_idx(&b, OP_LOCAL_GET, 1);
    i32c(&b, 1);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_TEE, 1);
    i32c(&b, 10);
    op(&b, 0x47);
    op_idx(&b, OP_BR_IF, 0);
    op(&b, OP_END);
    op_idx(&b, OP_LOCAL_GET, 2);
    op(&b, OP_END);
    wm_export(w, "user", 0, wm_func(w, t_iI, &b));
    b_free(&b);
}

static uint64_t grow_expect(uint32_t p, uint32_t max_pages)
{
    uint32_t pages = 1, last = 0;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < 10; i++) {
        if (pages < max_pages) {
            pages++;
            last = p + i;
        }
        acc = acc * 7 + p + pages + last;
    }
    return acc;
}

static void test_calls(void)
{
    wmod w = {0};
    uint32_t t_ii = wm_type(&w, "i", "i"), t_iI = wm_type(&w, "i", "I");
    uint32_t t_i = wm_type(&w, "", "i");
    live_func(&w, t_iI, clobber_func(&w, t_ii));
    grow_funcs(&w, t_i, t_iI);
    wm_memory(&w, 1, 8);
    buf wasm;
    wm_finish(&w, &wasm);
    pair p;
    if (pair_open(&p, &wasm, 0)) {
        static const uint32_t args[] = {0, 3, 0x9e3779b9u};
        outcome o;
        for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
            esgx_wasm_value a = vi32((int32_t)args[i]);
            both("live", &p, 0, "live", &a, 1, 1000000, &o);
            want_i64("live", &o, live_expect(args[i]));
        }
        esgx_wasm_value a = vi32(0x1234);
        both("user", &p, 0, "user", &a, 1, 1000000, &o);
        want_i64("user", &o, grow_expect(0x1234, 8));
        uint64_t size;
        side_mem(&p.a, 0, &size);
        CHECK_EQ_INT(size, 8 * 65536);
    }
    pair_close(&p);
    b_free(&wasm);
}

/* ------------------------------------------------------------------ call protocol */

/* What the compiled code's calls check and keep (jit_ops.c): depth and value stack
 * checked at each function's entry (the stack grown there, the frame moving under
 * the callers' feet), registers written back and read again only where live, memory
 * not reloaded after a callee that cannot grow it, f64 loads and stores in xmm. */
#define DEEP_K 0x9e3779b97f4a7c15ull
#define DEEP_PAD 40

/* deep(n) (indirect: every third call through table slot 0, which holds it; else
 * direct calls only: a function that cannot grow memory), an i64:
 *   a = f64 mem[n & 127]; b = n * K
 *   n == 0: b ^ bits(a) (+ a zero f64 local's bits)
 *   else:   r = deep(n - 1); mem[n & 127] = a + 1; r * 3 + b + bits(a) + pad local
 * with DEEP_PAD i64 locals that make the frame large (the value stack grows many
 * times on the way down). */
static uint32_t deep_func(wmod *w, uint32_t t_iI, bool indirect)
{
    static const uint32_t counts[3] = {1, 1 + DEEP_PAD, 1};
    static const uint8_t types[3] = {T_F64, T_I64, T_F64};
    uint32_t self = w->n_func_imports + w->cnt[S_FUNC];
    uint32_t pad = 2 + DEEP_PAD, zf = 3 + DEEP_PAD;
    buf b = {0};
    locals(&b, 3, counts, types);   /* 1: a, 2: b, 3..: pad, zf: zero f64 */
#define ADDR() (op_idx(&b, OP_LOCAL_GET, 0), i32c(&b, 127), op(&b, 0x71), i32c(&b, 8), \
                 op(&b, OP_I32_MUL))
    ADDR();
    memop(&b, 0x2b, 3, 0);   /* f64.load */
    op_idx(&b, OP_LOCAL_SET, 1);
    op_idx(&b, OP_LOCAL_GET, 0);
    op(&b, OP_I64_EXTEND_I32_U);
    i64c(&b, (int64_t)DEEP_K);
    op(&b, OP_I64_MUL);
    op_idx(&b, OP_LOCAL_SET, 2);
    op_idx(&b, OP_LOCAL_GET, 0);
    op(&b, 0x45);   /* i32.eqz */
    op_idx(&b, OP_IF, BT_VOID);
    op_idx(&b, OP_LOCAL_GET, 2);
    op_idx(&b, OP_LOCAL_GET, 1);
    op(&b, OP_I64_REINTERPRET_F64);
    op(&b, OP_I64_XOR);
    op_idx(&b, OP_LOCAL_GET, zf);
    op(&b, OP_I64_REINTERPRET_F64);
    op(&b, OP_I64_ADD);
    op(&b, OP_RETURN);
    op(&b, OP_END);
    if (indirect) {
        op_idx(&b, OP_LOCAL_GET, 0);
        i32c(&b, 3);
        op(&b, 0x70);   /* i32.rem_u */
        op(&b, 0x45);
        op_idx(&b, OP_IF, T_I64);
        op_idx(&b, OP_LOCAL_GET, 0);
        i32c(&b, 1);
        op(&b, OP_I32_SUB);
        i32c(&b, 0);
        op_idx(&b, OP_CALL_INDIRECT, t_iI);
        op(&b, 0);
        op(&b, 0x05);   /* else */
    }
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 1);
    op(&b, OP_I32_SUB);
    op_idx(&b, OP_CALL, self);
    if (indirect) op(&b, OP_END);
    i64c(&b, 3);
    op(&b, OP_I64_MUL);
    op_idx(&b, OP_LOCAL_GET, 2);
    op(&b, OP_I64_ADD);
    op_idx(&b, OP_LOCAL_GET, 1);
    op(&b, OP_I64_REINTERPRET_F64);
    op(&b, OP_I64_ADD);
    op_idx(&b, OP_LOCAL_GET, pad);
    op(&b, OP_I64_ADD);
    ADDR();
    op_idx(&b, OP_LOCAL_GET, 1);
    f64c(&b, f64_bits(1.0));
    op(&b, OP_F64_ADD);
    memop(&b, 0x39, 3, 0);   /* f64.store */
    op(&b, OP_END);
#undef ADDR
    uint32_t f = wm_func(w, t_iI, &b);
    b_free(&b);
    return f;
}

/* The model of deep(n) on memory m (128 f64). */
static uint64_t deep_expect(double *m, uint32_t n)
{
    double a = m[n & 127];
    uint64_t b = (uint64_t)n * DEEP_K;
    if (n == 0) return b ^ f64_bits(a);
    uint64_t r = deep_expect(m, n - 1);
    m[n & 127] = a + 1;
    return r * 3 + b + f64_bits(a);
}

static void deep_module(buf *wasm)
{
    wmod w = {0};
    uint32_t t_iI = wm_type(&w, "i", "I");
    uint32_t ind = deep_func(&w, t_iI, true), dir = deep_func(&w, t_iI, false);
    wm_export(&w, "deep", 0, ind);
    wm_export(&w, "flat", 0, dir);
    wm_table(&w, 1, &ind, 1);
    wm_memory(&w, 1, 1);
    double init[128];
    for (int k = 0; k < 128; k++) init[k] = k + 0.5;
    wm_data(&w, 0, init, sizeof init);
    wm_finish(&w, wasm);
}

static void test_call_protocol(void)
{
    enum { DEPTH = 700 };
    buf wasm;
    deep_module(&wasm);
    double m[128];
    for (int k = 0; k < 128; k++) m[k] = k + 0.5;
    pair p;
    /* the depth limit, from calls whose frames grow the value stack on the way */
    if (pair_open(&p, &wasm, DEPTH)) {
        static const uint32_t args[] = {0, 1, 2, 3, 200, DEPTH - 2, DEPTH - 1, DEPTH, DEPTH + 5};
        for (int flat = 0; flat < 2; flat++) {
            const char *fn = flat ? "flat" : "deep";
            for (size_t i = 0; i < sizeof args / sizeof args[0]; i++) {
                char what[64];
                snprintf(what, sizeof what, "%s(%u) at depth limit %u", fn, args[i], DEPTH);
                outcome o;
                esgx_wasm_value a = vi32((int32_t)args[i]);
                both(what, &p, 0, fn, &a, 1, 100000000, &o);
                if (args[i] < DEPTH) want_i64(what, &o, deep_expect(m, args[i]));
                else want_trap(what, &o, ESGX_WASM_TRAP_STACK_EXHAUSTED);
            }
        }
    }
    pair_close(&p);
    /* the value stack's limit before the depth's: every n around the first that
     * traps; both tiers trap at the same n, with the same fuel */
    if (pair_open_limits(&p, &wasm, 100000, 20000)) {
        for (int k = 0; k < 128; k++) m[k] = k + 0.5;
        for (int flat = 0; flat < 2; flat++) {
            const char *fn = flat ? "flat" : "deep";
            uint32_t first_trap = 0;
            for (uint32_t n = 300; n < 600; n++) {
                char what[64];
                snprintf(what, sizeof what, "%s(%u), 20000 slots", fn, n);
                outcome o;
                esgx_wasm_value a = vi32((int32_t)n);
                both(what, &p, 0, fn, &a, 1, 100000000, &o);
                if (o.rc == 0) {
                    want_i64(what, &o, deep_expect(m, n));
                    CHECK(!first_trap, "%s: returns after a smaller n trapped", what);
                } else {
                    want_trap(what, &o, ESGX_WASM_TRAP_STACK_EXHAUSTED);
                    if (!first_trap) first_trap = n;
                }
            }
            CHECK(first_trap > 300, "%s: the value stack limit: first trap at %u", fn,
                  first_trap);
        }
    }
    pair_close(&p);
    b_free(&wasm);
}

/* ------------------------------------------------------------------ two instances */

/* A: f(x) = count += 1, mem[(4x) & 0xfff] = x * x, traps (unreachable) for x == 13,
 * returns 3x + count; count() returns it. B imports A's f: run(n) folds f(0..n-1)
 * into acc = acc * 5 + f(i); bad() calls f(13). */
static void two_modules(buf *wa, buf *wb)
{
    wmod w = {0};
    uint32_t t_ii = wm_type(&w, "i", "i"), t_i = wm_type(&w, "", "i");
    wm_memory(&w, 1, 1);
    wm_global_i32(&w, 0);
    buf b = {0};
    u32(&b, 0);
    op_idx(&b, OP_GLOBAL_GET, 0);
    i32c(&b, 1);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_GLOBAL_SET, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 4);
    op(&b, OP_I32_MUL);
    i32c(&b, 0xfff);
    op(&b, 0x71);   /* i32.and */
    op_idx(&b, OP_LOCAL_GET, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    op(&b, OP_I32_MUL);
    memop(&b, OP_I32_STORE, 0, 0);
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 13);
    op(&b, OP_I32_EQ);
    op_idx(&b, OP_IF, BT_VOID);
    op(&b, OP_UNREACHABLE);
    op(&b, OP_END);
    op_idx(&b, OP_LOCAL_GET, 0);
    i32c(&b, 3);
    op(&b, OP_I32_MUL);
    op_idx(&b, OP_GLOBAL_GET, 0);
    op(&b, OP_I32_ADD);
    op(&b, OP_END);
    wm_export(&w, "f", 0, wm_func(&w, t_ii, &b));
    b.n = 0;
    u32(&b, 0);
    op_idx(&b, OP_GLOBAL_GET, 0);
    op(&b, OP_END);
    wm_export(&w, "count", 0, wm_func(&w, t_i, &b));
    wm_finish(&w, wa);

    memset(&w, 0, sizeof w);
    t_ii = wm_type(&w, "i", "i");
    t_i = wm_type(&w, "", "i");
    uint32_t f = wm_import_func(&w, "a", "f", t_ii);
    static const uint32_t counts[2] = {2};
    static const uint8_t types[2] = {T_I32};
    b.n = 0;
    locals(&b, 1, counts, types);   /* 1: i, 2: acc */
    op_idx(&b, OP_BLOCK, BT_VOID);
    op_idx(&b, OP_LOOP, BT_VOID);
    op_idx(&b, OP_LOCAL_GET, 1);
    op_idx(&b, OP_LOCAL_GET, 0);
    op(&b, OP_I32_GE_U);
    op_idx(&b, OP_BR_IF, 1);
    op_idx(&b, OP_LOCAL_GET, 2);
    i32c(&b, 5);
    op(&b, OP_I32_MUL);
    op_idx(&b, OP_LOCAL_GET, 1);
    op_idx(&b, OP_CALL, f);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_SET, 2);
    op_idx(&b, OP_LOCAL_GET, 1);
    i32c(&b, 1);
    op(&b, OP_I32_ADD);
    op_idx(&b, OP_LOCAL_SET, 1);
    op_idx(&b, OP_BR, 0);
    op(&b, OP_END);
    op(&b, OP_END);
    op_idx(&b, OP_LOCAL_GET, 2);
    op(&b, OP_END);
    wm_export(&w, "run", 0, wm_func(&w, t_ii, &b));
    b.n = 0;
    u32(&b, 0);
    i32c(&b, 13);
    op_idx(&b, OP_CALL, f);
    op(&b, OP_END);
    wm_export(&w, "bad", 0, wm_func(&w, t_i, &b));
    wm_finish(&w, wb);
    b_free(&b);
}

static void test_two_instances(void)
{
    buf wa, wb;
    two_modules(&wa, &wb);
    pair p;
    if (pair_open(&p, &wa, 0)) {
        side *sides[2] = {&p.a, &p.b};
        bool ok = true;
        for (int i = 0; i < 2; i++) {
            esgx_wasm_extern f;
            ok = ok && esgx_wasm_instance_export(sides[i]->inst[0], "f", 1, &f) == 0 &&
                 side_add(sides[i], 1, &wb, &f, 1);
        }
        CHECK(ok, "instantiating the importer");
        if (ok) {
            outcome o;
            esgx_wasm_value a = vi32(10);
            both("run(10)", &p, 1, "run", &a, 1, 1000000, &o);
            uint32_t acc = 0;
            for (uint32_t i = 0; i < 10; i++) acc = acc * 5 + 3 * i + (i + 1);
            want_i32("run(10)", &o, acc);
            both("bad()", &p, 1, "bad", NULL, 0, 1000000, &o);
            want_trap("bad()", &o, ESGX_WASM_TRAP_UNREACHABLE);
            both("count()", &p, 0, "count", NULL, 0, 1000000, &o);
            want_i32("count()", &o, 11);
            uint64_t size;
            uint8_t *m = side_mem(&p.a, 0, &size);
            for (uint32_t i = 0; m && i < 10; i++) {
                uint32_t v;
                memcpy(&v, m + 4 * i, 4);
                CHECK(v == i * i, "mem[%u] = %u, want %u", 4 * i, v, i * i);
            }
            uint32_t v13 = 0;
            if (m) memcpy(&v13, m + 52, 4);
            CHECK(v13 == 169, "f(13) wrote before it trapped: %u", v13);
        }
    }
    pair_close(&p);
    b_free(&wa);
    b_free(&wb);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (esgx_wasm_jit_available())
        printf("wasm_tiers: comparing the interpreter with the compiler\n");
    else
        printf("wasm_tiers: note: the compiler is not available in this build; both sides "
               "run the interpreter (results are still checked against expected values)\n");
    test_huge();
    test_locals();
    test_branches();
    test_traps();
    test_memory_bounds();
    test_merged_checks();
    test_calls();
    test_call_protocol();
    test_two_instances();
    return ESGX_TEST_SUMMARY("wasm_tiers");
}
