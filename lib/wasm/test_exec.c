/*
 * test_exec.c: the execution half of the wasm runtime through the public API
 * (wasm.h): arithmetic, trap kinds and messages, exact fuel accounting and the
 * documented out-of-fuel point (docs/wasm.md), call-depth exhaustion, memory.grow
 * limits, host functions that charge fuel and call back into wasm, re-entry limits.
 *
 * Design notes: modules are written in the text format here and converted with wabt's
 * wat2wasm at test time (test_wat.h); without wat2wasm the test is skipped (exit 77).
 */
#define _GNU_SOURCE
#include "esgx_wasm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_test.h"
#include "test_wat.h"

/* ------------------------------------------------------------------ arithmetic, traps */

static const char *arith_wat =
    "(module\n"
    " (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)\n"
    " (func (export \"divs\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)\n"
    " (func (export \"rems\") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_s)\n"
    " (func (export \"trunc\") (param f64) (result i32) local.get 0 i32.trunc_f64_s)\n"
    " (func (export \"sat\") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_u)\n"
    " (func (export \"fmin\") (param f32 f32) (result f32) local.get 0 local.get 1 f32.min)\n"
    " (func (export \"fneg\") (param f64) (result f64) local.get 0 f64.neg)\n"
    " (func (export \"unr\") unreachable)\n"
    " (memory 1 2)\n"
    " (func (export \"load\") (param i32) (result i32) local.get 0 i32.load offset=4)\n"
    " (table 3 funcref) (elem (i32.const 0) $a $b)\n"
    " (type $t (func (result i32)))\n"
    " (func $a (result i32) i32.const 7)\n"
    " (func $b (param i32) (result i32) local.get 0)\n"
    " (func (export \"ind\") (param i32) (result i32) local.get 0 call_indirect (type $t))\n"
    " (func (export \"sum\") (param i32) (result i64) (local i64)\n"
    "   block $out loop $l\n"
    "     local.get 0 i32.eqz br_if $out\n"
    "     local.get 1 local.get 0 i64.extend_i32_u i64.add local.set 1\n"
    "     local.get 0 i32.const 1 i32.sub local.set 0 br $l\n"
    "   end end local.get 1)\n"
    " (func (export \"multi\") (param i32) (result i32 i32) local.get 0 i32.const 1 i32.add local.get 0)\n"
    " (func (export \"seleqz\") (param i64 i32 i32) (result i32)\n"
    "   local.get 1 local.get 2 local.get 0 i64.eqz select)\n"
    " (func (export \"cst\") (param i32) (result i32)\n"
    "   i32.const 16 local.get 0 i32.store offset=4 i32.const 16 i32.load offset=4)\n"
    " (func (export \"cstoob\") (result i32) i32.const 65535 i32.load offset=1)\n"
    " (func (export \"fk\") (param f64) (result f64)\n"
    "   f64.const 0.5 local.get 0 f64.mul f64.const 1 f64.sub)\n"
    ")\n";

static void expect_trap(env *e, const char *name, const esgx_wasm_value *args, size_t n,
                        size_t nres, esgx_wasm_trap want, const char *msg)
{
    esgx_wasm_value res[2];
    esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
    esgx_err err = {0};
    int rc = call(e, name, args, n, res, nres, &trap, &err);
    CHECK(rc == ESGX_WASM_E_TRAP && trap == want && strstr(err.msg, msg),
          "%s: rc %d trap %s msg \"%s\", want %s \"%s\"", name, rc, esgx_wasm_trap_name(trap),
          err.msg, esgx_wasm_trap_name(want), msg);
}

static void test_arith(void)
{
    env e;
    if (setup(&e, arith_wat, NULL, NULL, 0)) {
        teardown(&e);
        return;
    }
    esgx_wasm_value a[2], r[2];
    esgx_wasm_trap trap;
    esgx_err err = {0};
    a[0] = i32(40);
    a[1] = i32(2);
    CHECK(call(&e, "add", a, 2, r, 1, &trap, &err) == 0 && r[0].of.i32 == 42, "add");
    a[0] = i32(-7);
    CHECK(call(&e, "divs", a, 2, r, 1, &trap, &err) == 0 && r[0].of.i32 == -3, "divs");
    a[1] = i32(0);
    expect_trap(&e, "divs", a, 2, 1, ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    a[0] = i32(INT32_MIN);
    a[1] = i32(-1);
    expect_trap(&e, "divs", a, 2, 1, ESGX_WASM_TRAP_INT_OVERFLOW, "integer overflow");
    a[0] = i64(INT64_MIN);
    a[1] = i64(-1);
    CHECK(call(&e, "rems", a, 2, r, 1, &trap, &err) == 0 && r[0].of.i64 == 0, "rems");
    esgx_wasm_value f = {.type = ESGX_WASM_F64};
    f.of.f64_bits = 0x7FF8000000000001ull; /* NaN */
    expect_trap(&e, "trunc", &f, 1, 1, ESGX_WASM_TRAP_INVALID_CONVERSION,
                "invalid conversion to integer");
    f.of.f64_bits = 0x41E0000000000000ull; /* 2^31 */
    expect_trap(&e, "trunc", &f, 1, 1, ESGX_WASM_TRAP_INT_OVERFLOW, "integer overflow");
    f.of.f64_bits = 0xC1E0000000000000ull; /* -2^31: fits */
    CHECK(call(&e, "trunc", &f, 1, r, 1, &trap, &err) == 0 && r[0].of.i32 == INT32_MIN,
          "trunc -2^31");
    f.of.f64_bits = 0x7FF0000000000000ull; /* +inf saturates */
    CHECK(call(&e, "sat", &f, 1, r, 1, &trap, &err) == 0 && r[0].of.i32 == -1, "sat");
    esgx_wasm_value g[2] = {{.type = ESGX_WASM_F32}, {.type = ESGX_WASM_F32}};
    g[0].of.f32_bits = 0x00000000; /* +0 */
    g[1].of.f32_bits = 0x80000000; /* -0 */
    CHECK(call(&e, "fmin", g, 2, r, 1, &trap, &err) == 0 && r[0].of.f32_bits == 0x80000000,
          "min(+0,-0) = -0");
    g[1].of.f32_bits = 0x7FA00000; /* signalling NaN */
    CHECK(call(&e, "fmin", g, 2, r, 1, &trap, &err) == 0 &&
              (r[0].of.f32_bits & 0x7FC00000) == 0x7FC00000,
          "min with sNaN gives a quiet NaN: %08x", r[0].of.f32_bits);
    f.of.f64_bits = 0x7FF4000000000005ull; /* neg keeps the payload */
    CHECK(call(&e, "fneg", &f, 1, r, 1, &trap, &err) == 0 &&
              r[0].of.f64_bits == 0xFFF4000000000005ull, "fneg payload");
    expect_trap(&e, "unr", NULL, 0, 0, ESGX_WASM_TRAP_UNREACHABLE, "unreachable");
    a[0] = i32(65532);
    expect_trap(&e, "load", a, 1, 1, ESGX_WASM_TRAP_MEMORY_OOB, "out of bounds memory access");
    a[0] = i32(65528);
    CHECK(call(&e, "load", a, 1, r, 1, &trap, &err) == 0 && r[0].of.i32 == 0, "load edge");
    a[0] = i32(-1);
    expect_trap(&e, "load", a, 1, 1, ESGX_WASM_TRAP_MEMORY_OOB, "out of bounds memory access");
    a[0] = i32(0);
    CHECK(call(&e, "ind", a, 1, r, 1, &trap, &err) == 0 && r[0].of.i32 == 7, "call_indirect");
    a[0] = i32(1);
    expect_trap(&e, "ind", a, 1, 1, ESGX_WASM_TRAP_INDIRECT_TYPE, "indirect call type mismatch");
    a[0] = i32(2);
    expect_trap(&e, "ind", a, 1, 1, ESGX_WASM_TRAP_INDIRECT_NULL, "uninitialized element");
    a[0] = i32(3);
    expect_trap(&e, "ind", a, 1, 1, ESGX_WASM_TRAP_TABLE_OOB, "undefined element");
    a[0] = i32(100000);
    CHECK(call(&e, "sum", a, 1, r, 1, &trap, &err) == 0 && r[0].of.i64 == 5000050000ll,
          "sum loop: %lld", (long long)r[0].of.i64);
    a[0] = i32(9);
    CHECK(call(&e, "multi", a, 1, r, 2, &trap, &err) == 0 && r[0].of.i32 == 10 &&
              r[1].of.i32 == 9, "multi-value");
    esgx_wasm_value sa[3] = {i64(0x100000000ll), i32(11), i32(22)};
    CHECK(call(&e, "seleqz", sa, 3, r, 1, &trap, &err) == 0 && r[0].of.i32 == 22,
          "select on i64.eqz of a value with zero low bits: %d", r[0].of.i32);
    sa[0] = i64(0);
    CHECK(call(&e, "seleqz", sa, 3, r, 1, &trap, &err) == 0 && r[0].of.i32 == 11, "seleqz 0");
    a[0] = i32(1234567);
    CHECK(call(&e, "cst", a, 1, r, 1, &trap, &err) == 0 && r[0].of.i32 == 1234567,
          "constant address");
    expect_trap(&e, "cstoob", NULL, 0, 1, ESGX_WASM_TRAP_MEMORY_OOB, "out of bounds memory access");
    f.of.f64_bits = 0x4010000000000000ull; /* 4.0 */
    CHECK(call(&e, "fk", &f, 1, r, 1, &trap, &err) == 0 &&
              r[0].of.f64_bits == 0x3FF0000000000000ull, "f64 immediates: 4*0.5-1 = 1");
    /* wrong argument types are refused before running */
    a[0] = i64(1);
    CHECK(call(&e, "load", a, 1, r, 1, &trap, &err) == ESGX_WASM_E_ARG, "arg type check");
    teardown(&e);
}

/* ------------------------------------------------------------------ fuel */

/* f: 3 instructions. loop(n): per iteration local.get, i32.const, i32.sub, local.tee,
 * br_if = 5 (the loop header costs 0), then local.get after the loop = 1. */
static const char *fuel_wat =
    "(module\n"
    " (func (export \"f\") (param i32) (result i32) local.get 0 i32.const 1 i32.add)\n"
    " (func (export \"loop\") (param i32) (result i32)\n"
    "   loop $l local.get 0 i32.const 1 i32.sub local.tee 0 br_if $l end local.get 0)\n"
    " (func $g (param i32) (result i32) local.get 0)\n"
    " (func (export \"calls\") (result i32) i32.const 5 call $g)\n"
    " (func (export \"spin\") loop $l br $l end)\n"
    " (memory 1)\n"
    " (func (export \"fill\") (param i32) i32.const 0 i32.const 7 local.get 0 memory.fill)\n"
    ")\n";

static uint64_t fuel_run(env *e, const char *name, int32_t arg, bool has_arg, uint64_t fuel,
                         int *rc_out, esgx_wasm_trap *trap)
{
    esgx_wasm_value a = i32(arg), r[1];
    esgx_err err = {0};
    esgx_wasm_store_fuel_set(e->s, fuel);
    *rc_out = call(e, name, has_arg ? &a : NULL, has_arg ? 1 : 0, r,
                   strcmp(name, "spin") && strcmp(name, "fill") ? 1 : 0, trap, &err);
    return fuel - esgx_wasm_store_fuel_get(e->s);
}

static void test_fuel(void)
{
    env e;
    if (setup(&e, fuel_wat, NULL, NULL, 0)) {
        teardown(&e);
        return;
    }
    int rc;
    esgx_wasm_trap trap;
    CHECK(fuel_run(&e, "f", 1, true, 1000, &rc, &trap) == 3 && rc == 0, "f costs 3");
    uint64_t used = fuel_run(&e, "loop", 10, true, 1000, &rc, &trap);
    CHECK(rc == 0 && used == 5 * 10 + 1, "loop(10) used %llu", (unsigned long long)used);
    for (int i = 0; i < 3; i++) {
        used = fuel_run(&e, "loop", 100000, true, UINT64_MAX - 1, &rc, &trap);
        CHECK(rc == 0 && used == 500001, "loop(100000) used %llu", (unsigned long long)used);
    }
    used = fuel_run(&e, "calls", 0, false, 1000, &rc, &trap);
    CHECK(rc == 0 && used == 1 + 4 + 1, "call costs 4: used %llu", (unsigned long long)used);
    /* 5 pays the caller's block; the callee's entry block then cannot start */
    used = fuel_run(&e, "calls", 0, false, 5, &rc, &trap);
    CHECK(rc == ESGX_WASM_E_TRAP && trap == ESGX_WASM_TRAP_OUT_OF_FUEL && used == 5,
          "out of fuel at callee entry");
    /* exactly enough fuel: success, nothing left */
    used = fuel_run(&e, "loop", 10, true, 51, &rc, &trap);
    CHECK(rc == 0 && used == 51 && esgx_wasm_store_fuel_get(e.s) == 0, "exact fuel");
    /* one less: the last block (cost 1, after the loop) cannot start */
    used = fuel_run(&e, "loop", 10, true, 50, &rc, &trap);
    CHECK(rc == ESGX_WASM_E_TRAP && trap == ESGX_WASM_TRAP_OUT_OF_FUEL && used == 50 &&
              esgx_wasm_store_fuel_get(e.s) == 0, "out of fuel at block start");
    /* mid-loop: 23 fuel = 4 iterations (20) + 3 left < 5: trap at the 5th iteration */
    used = fuel_run(&e, "loop", 10, true, 23, &rc, &trap);
    CHECK(rc == ESGX_WASM_E_TRAP && trap == ESGX_WASM_TRAP_OUT_OF_FUEL && used == 23, "mid-loop");
    /* an infinite loop ends */
    used = fuel_run(&e, "spin", 0, false, 1000000, &rc, &trap);
    CHECK(rc == ESGX_WASM_E_TRAP && trap == ESGX_WASM_TRAP_OUT_OF_FUEL && used == 1000000, "spin");
    /* bulk memory: 4 static + ceil(n/64) */
    used = fuel_run(&e, "fill", 6400, true, 1000, &rc, &trap);
    CHECK(rc == 0 && used == 4 + 100, "fill used %llu", (unsigned long long)used);
    used = fuel_run(&e, "fill", 65, true, 1000, &rc, &trap);
    CHECK(rc == 0 && used == 4 + 2, "fill(65) used %llu", (unsigned long long)used);
    used = fuel_run(&e, "fill", 6400, true, 50, &rc, &trap);
    CHECK(rc == ESGX_WASM_E_TRAP && trap == ESGX_WASM_TRAP_OUT_OF_FUEL && used == 50, "fill fuel");
    /* entering a function with 130 declared locals costs floor(130 / 64) = 2 */
    {
        char wat[2048];
        int off = snprintf(wat, sizeof wat, "(module (func (export \"f\") (result i32) (local");
        for (int i = 0; i < 130; i++) off += snprintf(wat + off, sizeof wat - (size_t)off, " i64");
        snprintf(wat + off, sizeof wat - (size_t)off, ") i32.const 1))");
        env e2;
        if (setup(&e2, wat, NULL, NULL, 0) == 0) {
            used = fuel_run(&e2, "f", 0, false, 1000, &rc, &trap);
            CHECK(rc == 0 && used == 3, "locals charge: used %llu", (unsigned long long)used);
        }
        teardown(&e2);
    }
    /* unmetered */
    esgx_wasm_store_fuel_set(e.s, UINT64_MAX);
    esgx_wasm_value a = i32(1000), r;
    esgx_err err;
    CHECK(call(&e, "loop", &a, 1, &r, 1, &trap, &err) == 0 &&
              esgx_wasm_store_fuel_get(e.s) == UINT64_MAX, "unmetered");
    teardown(&e);
}

/* ------------------------------------------------------------------ limits */

static const char *deep_wat =
    "(module\n"
    " (func $r (export \"rec\") (param i32) (result i32)\n"
    "   local.get 0 i32.eqz if (result i32) i32.const 0 else\n"
    "   local.get 0 i32.const 1 i32.sub call $r i32.const 1 i32.add end)\n"
    " (func $inf (export \"inf\") call $inf)\n"
    " (func $wide (export \"wide\") (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64\n"
    "   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)\n"
    "   call $wide)\n"
    " (memory (export \"mem\") 1)\n"
    " (func (export \"grow\") (param i32) (result i32) local.get 0 memory.grow)\n"
    " (func (export \"storm\") (result i32) (local i32)\n"
    "   loop $l i32.const 1 memory.grow i32.const -1 i32.ne if\n"
    "   local.get 0 i32.const 1 i32.add local.set 0 br $l end end memory.size)\n"
    " (table $t 0 funcref)\n"
    " (func (export \"tgrow\") (param i32) (result i32) ref.null func local.get 0 table.grow $t)\n"
    ")\n";

static void test_limits(void)
{
    esgx_wasm_limits lim;
    esgx_wasm_limits_default(&lim);
    lim.max_call_depth = 500;
    lim.max_memory_pages = 40;
    lim.max_table_elems = 1000;
    env e;
    if (setup(&e, deep_wat, &lim, NULL, 0)) {
        teardown(&e);
        return;
    }
    esgx_wasm_value a = i32(400), r;
    esgx_wasm_trap trap;
    esgx_err err = {0};
    CHECK(call(&e, "rec", &a, 1, &r, 1, &trap, &err) == 0 && r.of.i32 == 400, "rec 400");
    a = i32(600);
    expect_trap(&e, "rec", &a, 1, 1, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    expect_trap(&e, "inf", NULL, 0, 0, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    /* the store is usable after a trap */
    a = i32(10);
    CHECK(call(&e, "rec", &a, 1, &r, 1, &trap, &err) == 0 && r.of.i32 == 10, "after trap");
    /* memory.grow within limits, -1 beyond; a storm stops at the limit */
    a = i32(100);
    CHECK(call(&e, "grow", &a, 1, &r, 1, &trap, &err) == 0 && r.of.i32 == -1, "grow > max");
    CHECK(call(&e, "storm", NULL, 0, &r, 1, &trap, &err) == 0 && r.of.i32 == 40,
          "storm stops at the limit: %d", r.of.i32);
    esgx_wasm_extern mem;
    CHECK(esgx_wasm_instance_export(e.inst, "mem", 3, &mem) == 0, "mem export");
    uint64_t size = 0;
    uint8_t *p = esgx_wasm_memory_data(mem, &size);
    CHECK(p && size == 40u * 65536, "memory size %llu", (unsigned long long)size);
    if (p) CHECK(p[size - 1] == 0, "grown memory is zeroed");
    a = i32(1000);
    CHECK(call(&e, "tgrow", &a, 1, &r, 1, &trap, &err) == 0 && r.of.i32 == 0, "tgrow ok");
    a = i32(1);
    CHECK(call(&e, "tgrow", &a, 1, &r, 1, &trap, &err) == 0 && r.of.i32 == -1, "tgrow max");
    teardown(&e);

    /* a small value stack: wide frames exhaust it before the call depth */
    esgx_wasm_limits_default(&lim);
    lim.max_value_stack = 4096;
    if (setup(&e, deep_wat, &lim, NULL, 0) == 0)
        expect_trap(&e, "wide", NULL, 0, 0, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    teardown(&e);

    /* default limits: deep recursion traps cleanly (native stack untouched) */
    if (setup(&e, deep_wat, NULL, NULL, 0) == 0) {
        a = i32(9000);
        CHECK(call(&e, "rec", &a, 1, &r, 1, &trap, &err) == 0 && r.of.i32 == 9000, "rec 9000");
        a = i32(1000000);
        expect_trap(&e, "rec", &a, 1, 1, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    }
    teardown(&e);

    /* a module whose memory minimum exceeds the limit is refused at instantiation */
    esgx_wasm_limits_default(&lim);
    lim.max_memory_pages = 1;
    esgx_wasm_store *s = NULL;
    CHECK_RC(esgx_wasm_store_new(&lim, &s, &err), ESGX_OK);
    esgx_wasm_module *m = load("(module (memory 2))", &lim);
    if (m) {
        esgx_wasm_instance *inst;
        CHECK(esgx_wasm_instance_new(s, m, NULL, 0, &inst, &trap, &err) == ESGX_WASM_E_LIMIT,
              "memory min over limit");
        esgx_wasm_module_free(m);
    }
    esgx_wasm_store_free(s);
}

/* ------------------------------------------------------------------ host functions */

typedef struct cb_env {
    esgx_wasm_extern target;   /* wasm function called back */
    int calls;
} cb_env;

/* host(x): charges 100 fuel, reads memory[x], calls back target(x) and returns its
 * result + the byte. */
static int host_cb(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *envp)
{
    cb_env *ce = envp;
    ce->calls++;
    if (esgx_wasm_ctx_fuel_charge(ctx, 100))
        return esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_OUT_OF_FUEL, "out of fuel");
    uint8_t *p = esgx_wasm_ctx_memory(ctx, (uint32_t)args[0].of.i32, 1);
    if (!p) return esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_HOST, "bad pointer %d", args[0].of.i32);
    if (esgx_wasm_ctx_memory(ctx, (uint32_t)esgx_wasm_ctx_memory_size(ctx), 1) != NULL)
        return esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_HOST, "memory check broken");
    esgx_wasm_value r;
    esgx_wasm_trap trap;
    esgx_err err;
    int rc = esgx_wasm_call(esgx_wasm_ctx_store(ctx), ce->target, args, 1, &r, 1, &trap, &err);
    if (rc) return esgx_wasm_ctx_trap(ctx, trap, "%s", err.msg);
    results[0] = i32(r.of.i32 + *p);
    return 0;
}

static int host_exit(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *envp)
{
    return esgx_wasm_ctx_exit(ctx, args[0].of.i32);
}

static const char *host_wat =
    "(module\n"
    " (import \"env\" \"cb\" (func $cb (param i32) (result i32)))\n"
    " (import \"env\" \"exit\" (func $exit (param i32)))\n"
    " (memory 1) (data (i32.const 8) \"\\05\")\n"
    " (func (export \"double\") (param i32) (result i32) local.get 0 local.get 0 i32.add)\n"
    " (func (export \"go\") (param i32) (result i32) local.get 0 call $cb)\n"
    " (func (export \"bye\") i32.const 3 call $exit unreachable)\n"
    " (func $self (export \"self\") (param i32) (result i32) local.get 0 call $cb)\n"
    ")\n";

static void test_host(void)
{
    esgx_err err = {0};
    esgx_wasm_store *s;
    if (esgx_wasm_store_new(NULL, &s, &err)) return;
    esgx_wasm_valtype p[1] = {ESGX_WASM_I32};
    esgx_wasm_functype t1 = {1, 1, p, p}, t0 = {1, 0, p, NULL};
    cb_env ce = {{0}, 0};
    esgx_wasm_extern imps[2];
    CHECK(esgx_wasm_func_new_host(s, &t1, host_cb, &ce, &imps[0], &err) == 0, "host fn");
    CHECK(esgx_wasm_func_new_host(s, &t0, host_exit, NULL, &imps[1], &err) == 0, "host fn");
    esgx_wasm_module *m = load(host_wat, NULL);
    esgx_wasm_instance *inst = NULL;
    esgx_wasm_trap trap;
    if (m) CHECK(esgx_wasm_instance_new(s, m, imps, 2, &inst, &trap, &err) == 0, "%s", err.msg);
    if (!inst) {
        esgx_wasm_store_free(s);
        esgx_wasm_module_free(m);
        return;
    }
    CHECK_RC(esgx_wasm_instance_export(inst, "double", 6, &ce.target), ESGX_OK);
    esgx_wasm_extern go, bye, self;
    CHECK_RC(esgx_wasm_instance_export(inst, "go", 2, &go), ESGX_OK);
    CHECK_RC(esgx_wasm_instance_export(inst, "bye", 3, &bye), ESGX_OK);
    CHECK_RC(esgx_wasm_instance_export(inst, "self", 4, &self), ESGX_OK);
    esgx_wasm_value a = i32(8), r;
    esgx_wasm_store_fuel_set(s, 10000);
    CHECK(esgx_wasm_call(s, go, &a, 1, &r, 1, &trap, &err) == 0 && r.of.i32 == 16 + 5,
          "callback: %d (%s)", r.of.i32, err.msg);
    /* go: local.get + call (1 + 4) + host 100 + double (3) */
    CHECK(10000 - esgx_wasm_store_fuel_get(s) == 108, "fuel with host charge: %llu",
          (unsigned long long)(10000 - esgx_wasm_store_fuel_get(s)));
    esgx_wasm_store_fuel_set(s, 50);
    CHECK(esgx_wasm_call(s, go, &a, 1, &r, 1, &trap, &err) == ESGX_WASM_E_TRAP &&
              trap == ESGX_WASM_TRAP_OUT_OF_FUEL && esgx_wasm_store_fuel_get(s) == 0,
          "host out of fuel");
    esgx_wasm_store_fuel_set(s, UINT64_MAX);
    a = i32(70000);
    CHECK(esgx_wasm_call(s, go, &a, 1, &r, 1, &trap, &err) == ESGX_WASM_E_TRAP &&
              trap == ESGX_WASM_TRAP_HOST && strstr(err.msg, "bad pointer"), "host trap");
    CHECK(esgx_wasm_call(s, bye, NULL, 0, NULL, 0, &trap, &err) == ESGX_WASM_E_TRAP &&
              trap == ESGX_WASM_TRAP_EXIT && esgx_wasm_store_exit_code(s) == 3, "exit");
    /* unbounded host <-> wasm recursion is stopped */
    ce.target = self;
    a = i32(8);
    CHECK(esgx_wasm_call(s, self, &a, 1, &r, 1, &trap, &err) == ESGX_WASM_E_TRAP &&
              trap == ESGX_WASM_TRAP_STACK_EXHAUSTED, "re-entry bound: %s", err.msg);
    /* still usable */
    ce.target.ptr = NULL;
    CHECK_RC(esgx_wasm_instance_export(inst, "double", 6, &ce.target), ESGX_OK);
    CHECK(esgx_wasm_call(s, go, &a, 1, &r, 1, &trap, &err) == 0 && r.of.i32 == 21, "usable");
    /* import type check */
    esgx_wasm_instance *bad;
    esgx_wasm_extern swapped[2] = {imps[1], imps[0]};
    CHECK(esgx_wasm_instance_new(s, m, swapped, 2, &bad, &trap, &err) == ESGX_WASM_E_UNLINKABLE &&
              strstr(err.msg, "incompatible import type"), "import type check");
    esgx_wasm_module_free(m);
    esgx_wasm_store_free(s);
}

int main(void)
{
    static const char *const flags[] = {"--enable-all", "--disable-simd", NULL};
    int rc = wat_begin("wasm-exec", flags);
    if (rc) return rc;
    test_arith();
    test_fuel();
    test_limits();
    test_host();
    wat_end();
    if (failures) {
        fprintf(stderr, "wasm_exec: %d failures\n", failures);
        return 1;
    }
    printf("wasm_exec: all tests passed\n");
    return 0;
}
