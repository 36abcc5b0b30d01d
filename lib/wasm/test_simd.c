/*
 * test_simd.c: v128 values through the public API and the slot layout (a v128 takes
 * two 8-byte slots everywhere, wasm_exec.h): params, locals and results of a function
 * called with esgx_wasm_call, a host function taking and returning v128, v128 globals
 * (defined, imported, exported), call_indirect with v128 arguments, v128 block params
 * and results, branches, select, drop, an operand stack deep enough to cross the
 * compiler's lazy-entry bound, the fuel of SIMD instructions (docs/wasm.md), and v128
 * values kept in the compiler's registers on both tiers (test_registers). The
 * lane semantics are the spec suite's (ctest -R wasm_spec_simd).
 *
 * Design notes: modules are written in the text format and converted with wabt's
 * wat2wasm at test time (test_wat.h, shared with test_exec.c); without wat2wasm the
 * test is skipped (77).
 */
#define _GNU_SOURCE
#include "esgx_wasm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_test.h"
#include "test_wat.h"

/* ------------------------------------------------------------------ helpers */

/* A v128 of four i32 lanes. */
static esgx_wasm_value v4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    esgx_wasm_value x = {.type = ESGX_WASM_V128};
    uint32_t l[4] = {a, b, c, d};
    memcpy(x.of.v128, l, 16);
    return x;
}

static uint32_t lane(const esgx_wasm_value *v, int i)
{
    uint32_t l;
    memcpy(&l, v->of.v128 + 4 * i, 4);
    return l;
}

#define CHECK_V4(v, a, b, c, d)                                                      \
    CHECK((v).type == ESGX_WASM_V128 && lane(&(v), 0) == (a) && lane(&(v), 1) == (b) && \
              lane(&(v), 2) == (c) && lane(&(v), 3) == (d),                          \
          "v128 %u %u %u %u, want %u %u %u %u", lane(&(v), 0), lane(&(v), 1),         \
          lane(&(v), 2), lane(&(v), 3), (unsigned)(a), (unsigned)(b), (unsigned)(c), \
          (unsigned)(d))

/* Calls export name, which must return normally. */
static int call_ok(env *e, const char *name, const esgx_wasm_value *args, size_t n,
                   esgx_wasm_value *res, size_t nres)
{
    esgx_err err = {0};
    esgx_wasm_trap trap;
    int rc = call(e, name, args, n, res, nres, &trap, &err);
    CHECK(rc == 0, "call %s: %s", name, err.msg);
    return rc;
}

/* ------------------------------------------------------------------ tests */

/* Mixed scalar and v128 params, locals and results: every value lands in its slots. */
static void test_params_locals_results(void)
{
    env e;
    if (setup(&e,
              "(module (func (export \"mix\") (param i32 v128 i64 v128)"
              "  (result v128 i32 v128 i64)"
              "  (local f32 v128 i32)"
              "  (local.set 5 (i32x4.add (local.get 1) (local.get 3)))"
              "  (local.set 6 (i32.add (local.get 0) (i32.wrap_i64 (local.get 2))))"
              "  (local.get 5)"
              "  (local.get 6)"
              "  (i32x4.sub (local.get 3) (local.get 1))"
              "  (i64.add (local.get 2) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get 5)))))"
              " (func (export \"id\") (param v128) (result v128) (local.get 0))"
              " (func (export \"swap\") (param v128 v128) (result v128 v128)"
              "  (local.get 1) (local.get 0)))", NULL,
              NULL, 0)) {
        teardown(&e);
        return;
    }
    esgx_wasm_value args[4] = {i32(7), v4(1, 2, 3, 4), i64(1000), v4(10, 20, 30, 40)};
    esgx_wasm_value res[4];
    if (call_ok(&e, "mix", args, 4, res, 4) == 0) {
        CHECK_V4(res[0], 11, 22, 33, 44);
        CHECK(res[1].type == ESGX_WASM_I32 && res[1].of.i32 == 1007, "i32 %d", res[1].of.i32);
        CHECK_V4(res[2], 9, 18, 27, 36);
        CHECK(res[3].type == ESGX_WASM_I64 && res[3].of.i64 == 1044, "i64 %lld",
              (long long)res[3].of.i64);
    }
    esgx_wasm_value a1 = v4(0xdeadbeef, 0, 0xffffffff, 0x80000000);
    if (call_ok(&e, "id", &a1, 1, res, 1) == 0)
        CHECK_V4(res[0], 0xdeadbeef, 0, 0xffffffff, 0x80000000);
    esgx_wasm_value a2[2] = {v4(1, 2, 3, 4), v4(5, 6, 7, 8)};
    if (call_ok(&e, "swap", a2, 2, res, 2) == 0) {
        CHECK_V4(res[0], 5, 6, 7, 8);
        CHECK_V4(res[1], 1, 2, 3, 4);
    }
    /* a wrong argument type is refused */
    esgx_wasm_extern f;
    esgx_err err = {0};
    esgx_wasm_trap trap;
    esgx_wasm_value bad = i64(1);
    CHECK(esgx_wasm_instance_export(e.inst, "id", 2, &f) == 0, "export id");
    CHECK(esgx_wasm_call(e.s, f, &bad, 1, res, 1, &trap, &err) == ESGX_WASM_E_ARG,
          "i64 for a v128 param must be refused");
    teardown(&e);
}

/* (v128 i32) -> (v128 i64): adds the i32 to every lane, and returns lane 0 as i64. */
static int host_vadd(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                     void *env_)
{
    (void)ctx;
    (void)env_;
    if (args[0].type != ESGX_WASM_V128 || args[1].type != ESGX_WASM_I32) return 1;
    uint32_t l[4];
    memcpy(l, args[0].of.v128, 16);
    for (int i = 0; i < 4; i++) l[i] += (uint32_t)args[1].of.i32;
    memcpy(results[0].of.v128, l, 16);
    results[1].of.i64 = (int64_t)l[0] * 2;
    return 0;
}

static void test_host_function(void)
{
    static const esgx_wasm_valtype p[] = {ESGX_WASM_V128, ESGX_WASM_I32};
    static const esgx_wasm_valtype r[] = {ESGX_WASM_V128, ESGX_WASM_I64};
    esgx_wasm_functype ft = {2, 2, p, r};
    esgx_wasm_store *s = NULL;
    esgx_err err = {0};
    if (esgx_wasm_store_new(NULL, &s, &err)) {
        CHECK(0, "store: %s", err.msg);
        return;
    }
    esgx_wasm_extern hf;
    CHECK(esgx_wasm_func_new_host(s, &ft, host_vadd, NULL, &hf, &err) == 0, "host: %s", err.msg);
    /* called directly */
    esgx_wasm_value args[2] = {v4(1, 2, 3, 4), i32(100)}, res[2];
    esgx_wasm_trap trap;
    CHECK(esgx_wasm_call(s, hf, args, 2, res, 2, &trap, &err) == 0, "call host: %s", err.msg);
    CHECK_V4(res[0], 101, 102, 103, 104);
    CHECK(res[1].type == ESGX_WASM_I64 && res[1].of.i64 == 202, "i64 %lld", (long long)res[1].of.i64);
    esgx_wasm_store_free(s);

    /* called from wasm, with scalars around the v128 on the operand stack */
    env e;
    const char *wat =
        "(module (import \"m\" \"f\" (func $f (param v128 i32) (result v128 i64)))"
        " (func (export \"g\") (param v128) (result i32 v128 i64 i32)"
        "  (i32.const 5)"
        "  (call $f (local.get 0) (i32.const 1000))"
        "  (i32.const 6)))";
    memset(&e, 0, sizeof e);
    if (esgx_wasm_store_new(NULL, &e.s, &err)) return;
    CHECK(esgx_wasm_func_new_host(e.s, &ft, host_vadd, NULL, &hf, &err) == 0, "host");
    e.m = load(wat, NULL);
    if (e.m && esgx_wasm_instance_new(e.s, e.m, &hf, 1, &e.inst, &trap, &err) == 0) {
        esgx_wasm_value a = v4(10, 20, 30, 40), out[4];
        if (call_ok(&e, "g", &a, 1, out, 4) == 0) {
            CHECK(out[0].of.i32 == 5, "first %d", out[0].of.i32);
            CHECK_V4(out[1], 1010, 1020, 1030, 1040);
            CHECK(out[2].of.i64 == 2020, "i64 %lld", (long long)out[2].of.i64);
            CHECK(out[3].of.i32 == 6, "last %d", out[3].of.i32);
        }
    } else {
        CHECK(0, "instantiate: %s", err.msg);
    }
    teardown(&e);
}

/* v128 globals: defined (constant initializer), imported from the host, exported. */
static void test_globals(void)
{
    esgx_wasm_store *s = NULL;
    esgx_err err = {0};
    if (esgx_wasm_store_new(NULL, &s, &err)) return;
    esgx_wasm_extern gi;
    CHECK(esgx_wasm_global_new(s, v4(100, 200, 300, 400), 0, &gi, &err) == 0, "global: %s",
          err.msg);
    esgx_wasm_value got;
    CHECK(esgx_wasm_global_get(gi, &got) == 0, "global_get");
    CHECK_V4(got, 100, 200, 300, 400);
    env e = {.s = s};
    e.m = load("(module (import \"m\" \"g\" (global $gi v128))"
               " (global $g (export \"g\") (mut v128) (v128.const i32x4 1 2 3 4))"
               " (global $c (export \"c\") v128 (global.get $gi))"
               " (func (export \"bump\") (result v128)"
               "  (global.set $g (i32x4.add (global.get $g) (global.get $gi)))"
               "  (global.get $g)))",
               NULL);
    esgx_wasm_trap trap;
    if (e.m && esgx_wasm_instance_new(s, e.m, &gi, 1, &e.inst, &trap, &err) == 0) {
        esgx_wasm_value res;
        if (call_ok(&e, "bump", NULL, 0, &res, 1) == 0) CHECK_V4(res, 101, 202, 303, 404);
        if (call_ok(&e, "bump", NULL, 0, &res, 1) == 0) CHECK_V4(res, 201, 402, 603, 804);
        esgx_wasm_extern g;
        CHECK(esgx_wasm_instance_export(e.inst, "g", 1, &g) == 0, "export g");
        CHECK(esgx_wasm_global_get(g, &got) == 0, "get g");
        CHECK_V4(got, 201, 402, 603, 804);
        CHECK(esgx_wasm_instance_export(e.inst, "c", 1, &g) == 0, "export c");
        CHECK(esgx_wasm_global_get(g, &got) == 0, "get c");
        CHECK_V4(got, 100, 200, 300, 400);
    } else {
        CHECK(0, "instantiate: %s", err.msg);
    }
    teardown(&e);
}

/* call_indirect with v128 arguments and results, next to scalars. */
static void test_call_indirect(void)
{
    env e;
    if (setup(&e,
              "(module (type $t (func (param i32 v128 v128) (result v128 i32)))"
              " (table 2 funcref) (elem (i32.const 0) $add $sub)"
              " (func $add (type $t) (i32x4.add (local.get 1) (local.get 2)) (local.get 0))"
              " (func $sub (type $t) (i32x4.sub (local.get 1) (local.get 2))"
              "  (i32.mul (local.get 0) (i32.const 2)))"
              " (func (export \"ci\") (param i32 v128 v128) (result v128 i32)"
              "  (call_indirect (type $t) (i32.const 9) (local.get 1) (local.get 2)"
              "   (local.get 0))))", NULL,
              NULL, 0)) {
        teardown(&e);
        return;
    }
    esgx_wasm_value args[3] = {i32(0), v4(5, 6, 7, 8), v4(1, 1, 1, 1)}, res[2];
    if (call_ok(&e, "ci", args, 3, res, 2) == 0) {
        CHECK_V4(res[0], 6, 7, 8, 9);
        CHECK(res[1].of.i32 == 9, "i32 %d", res[1].of.i32);
    }
    args[0] = i32(1);
    if (call_ok(&e, "ci", args, 3, res, 2) == 0) {
        CHECK_V4(res[0], 4, 5, 6, 7);
        CHECK(res[1].of.i32 == 18, "i32 %d", res[1].of.i32);
    }
    teardown(&e);
}

/* Blocks with v128 params and results, br / br_if / br_table carrying a v128, select
 * (typed and untyped), drop, local.tee, and a stack deeper than the compiler keeps
 * lazy (40 v128 = 80 slots). */
static void test_control(void)
{
    char wat[8192];
    size_t k = (size_t)snprintf(wat, sizeof wat,
        "(module"
        " (func (export \"blk\") (param v128 i32) (result v128)"
        "  (local v128)"
        "  (local.get 0)"
        "  (block (param v128) (result v128)"
        "   (local.tee 2 (i32x4.add (v128.const i32x4 1 1 1 1)))"
        "   (br_if 0 (local.get 1))"
        "   (drop)"
        "   (v128.const i32x4 7 7 7 7))"
        "  (local.get 2) (drop))"
        " (func (export \"sel\") (param v128 v128 i32) (result v128 v128)"
        "  (select (local.get 0) (local.get 1) (local.get 2))"
        "  (select (result v128) (local.get 1) (local.get 0) (local.get 2)))"
        " (func (export \"tab\") (param i32) (result v128)"
        "  (block (result v128) (block (result v128)"
        "   (br_table 0 1 (v128.const i32x4 3 3 3 3) (local.get 0)))"
        "   (i32x4.mul (v128.const i32x4 2 2 2 2))))"
        " (func (export \"loop\") (param v128 i32) (result v128)"
        "  (local.get 0)"
        "  (loop (param v128) (result v128)"
        "   (i32x4.add (v128.const i32x4 1 2 3 4))"
        "   (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))"
        "   (br_if 0)))"
        " (func (export \"deep\") (param v128) (result v128)");
    for (int i = 0; i < 40; i++) k += (size_t)snprintf(wat + k, sizeof wat - k, " (local.get 0)");
    for (int i = 0; i < 39; i++) k += (size_t)snprintf(wat + k, sizeof wat - k, " i32x4.add");
    snprintf(wat + k, sizeof wat - k, "))");
    env e;
    if (setup(&e, wat, NULL, NULL, 0)) {
        teardown(&e);
        return;
    }
    esgx_wasm_value args[3] = {v4(1, 2, 3, 4), i32(1)}, res[2];
    if (call_ok(&e, "blk", args, 2, res, 1) == 0) CHECK_V4(res[0], 2, 3, 4, 5);
    args[1] = i32(0);
    if (call_ok(&e, "blk", args, 2, res, 1) == 0) CHECK_V4(res[0], 7, 7, 7, 7);
    args[0] = v4(1, 2, 3, 4);
    args[1] = v4(5, 6, 7, 8);
    args[2] = i32(1);
    if (call_ok(&e, "sel", args, 3, res, 2) == 0) {
        CHECK_V4(res[0], 1, 2, 3, 4);
        CHECK_V4(res[1], 5, 6, 7, 8);
    }
    args[2] = i32(0);
    if (call_ok(&e, "sel", args, 3, res, 2) == 0) {
        CHECK_V4(res[0], 5, 6, 7, 8);
        CHECK_V4(res[1], 1, 2, 3, 4);
    }
    esgx_wasm_value a = i32(0);
    if (call_ok(&e, "tab", &a, 1, res, 1) == 0) CHECK_V4(res[0], 6, 6, 6, 6);
    a = i32(1);
    if (call_ok(&e, "tab", &a, 1, res, 1) == 0) CHECK_V4(res[0], 3, 3, 3, 3);
    args[0] = v4(0, 0, 0, 0);
    args[1] = i32(3);
    if (call_ok(&e, "loop", args, 2, res, 1) == 0) CHECK_V4(res[0], 3, 6, 9, 12);
    a = v4(1, 2, 3, 0x80000000u);
    if (call_ok(&e, "deep", &a, 1, res, 1) == 0) CHECK_V4(res[0], 40, 80, 120, 0);
    teardown(&e);
}

/* The static costs of SIMD instructions (docs/wasm.md): 1, f32x4.div 2. */
static void test_fuel(void)
{
    env e;
    if (setup(&e,
              "(module (func (export \"f\") (param v128 v128) (result v128)"
              "  (f32x4.div (i32x4.add (local.get 0) (local.get 1)) (local.get 1))))", NULL,
              NULL, 0)) {
        teardown(&e);
        return;
    }
    esgx_wasm_store_fuel_set(e.s, 1000);
    esgx_wasm_value args[2] = {v4(0, 0, 0, 0), v4(0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000)};
    esgx_wasm_value res;
    if (call_ok(&e, "f", args, 2, &res, 1) == 0) {
        /* local.get x3, i32x4.add, f32x4.div */
        CHECK(1000 - esgx_wasm_store_fuel_get(e.s) == 6, "fuel used %llu",
              (unsigned long long)(1000 - esgx_wasm_store_fuel_get(e.s)));
        CHECK_V4(res, 0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000);
    }
    /* the dump shows the v128 slot pairs */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    esgx_err err = {0};
    CHECK(esgx_wasm_module_dump_code(e.m, 0, out, &err) == 0, "dump: %s", err.msg);
    fclose(out);
    CHECK(buf && strstr(buf, "I32X4_ADD D") && strstr(buf, "F32X4_DIV D"), "dump:\n%s", buf);
    free(buf);
    teardown(&e);
}

/* v128 values in registers (the compiler keeps v128 pairs in xmm registers, puts
 * operands whose slots are not one pair's together from their halves): v128 locals
 * and temporaries in a loop, scalar f64 work on their lanes, a call with v128 values
 * live across it, an i32 under a v128 on the operand stack (its slots then overlap
 * those of v128s elsewhere by one). Run on both tiers; each must give the values
 * computed here. */
static void test_registers(void)
{
    static const char *wat =
        "(module"
        " (func $twice (param f64) (result f64) (f64.add (local.get 0) (local.get 0)))"
        " (func (export \"regs\") (param $n i32) (result f64 v128 i32)"
        "  (local $acc v128) (local $step v128) (local $iv v128) (local $s f64)"
        "  (local $i i32) (local $k i32)"
        "  (local.set $acc (f64x2.splat (f64.const 1)))"
        "  (local.set $step (v128.const f64x2 0.5 0.25))"
        "  (local.set $iv (v128.const i32x4 1 2 3 4))"
        "  (loop $l"
        "   (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $step)"
        "     (f64x2.splat (f64.convert_i32_s (local.get $i))))))"
        "   (local.set $s (f64.add (local.get $s) (call $twice (f64.add"
        "     (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))))"
        "   (local.set $acc (f64x2.replace_lane 1 (local.get $acc)"
        "     (f64.mul (f64x2.extract_lane 1 (local.get $acc)) (f64.const 0.5))))"
        "   (local.set $k (i32.add (local.get $k) (i32.add (i32.mul (local.get $i) (i32.const 3))"
        "     (i32x4.extract_lane 2 (i32x4.add (local.get $iv) (i32x4.splat (local.get $i)))))))"
        "   (local.set $iv (i32x4.add (local.get $iv) (i32x4.splat (local.get $k))))"
        "   (local.set $i (i32.add (local.get $i) (i32.const 1)))"
        "   (br_if $l (i32.lt_s (local.get $i) (local.get $n))))"
        "  (local.get $s) (local.get $acc) (local.get $k)))";
    enum { N = 1000 };
    double acc[2] = {1, 1}, s = 0;
    uint32_t iv[4] = {1, 2, 3, 4}, k = 0;
    for (int32_t i = 0; i < N; i++) {
        acc[0] = acc[0] + 0.5 * (double)i;
        acc[1] = acc[1] + 0.25 * (double)i;
        double t = acc[0] + acc[1];
        s = s + (t + t);
        acc[1] = acc[1] * 0.5;
        k += (uint32_t)i * 3 + (iv[2] + (uint32_t)i);
        for (int j = 0; j < 4; j++) iv[j] += k;
    }
    static const esgx_wasm_tier tiers[] = {ESGX_WASM_TIER_INTERP, ESGX_WASM_TIER_JIT};
    for (size_t t = 0; t < 2; t++) {
        if (tiers[t] == ESGX_WASM_TIER_JIT && !esgx_wasm_jit_available()) continue;
        esgx_wasm_limits lim;
        esgx_wasm_limits_default(&lim);
        lim.tier = tiers[t];
        env e;
        if (setup(&e, wat, &lim, NULL, 0)) {
            teardown(&e);
            return;
        }
        esgx_wasm_value arg = i32(N), res[3];
        if (call_ok(&e, "regs", &arg, 1, res, 3) == 0) {
            double got[2], gs;
            memcpy(got, res[1].of.v128, 16);
            memcpy(&gs, &res[0].of.f64_bits, 8);
            CHECK(res[0].type == ESGX_WASM_F64 && gs == s, "tier %zu: s %.17g, want %.17g", t, gs,
                  s);
            CHECK(got[0] == acc[0] && got[1] == acc[1], "tier %zu: acc %.17g %.17g, want %.17g %.17g",
                  t, got[0], got[1], acc[0], acc[1]);
            CHECK((uint32_t)res[2].of.i32 == k, "tier %zu: k %u, want %u", t,
                  (unsigned)res[2].of.i32, (unsigned)k);
        }
        teardown(&e);
    }
}

int main(void)
{
    int rc = wat_begin("wasm-simd", NULL);
    if (rc) return rc;
    test_params_locals_results();
    test_host_function();
    test_globals();
    test_call_indirect();
    test_control();
    test_fuel();
    test_registers();
    wat_end();
    return ESGX_TEST_SUMMARY("wasm_simd");
}
