/*
 * jit_ops.c: the compiler tier's code generator: one function's internal code
 * (wasm_exec.h) to x86-64, one template per internal op, in one pass over the words.
 *
 * Every op reads its operands from their frame slots and writes its result to its
 * slot, exactly as the interpreter's handler does; the interpreter's fusions
 * (compare-and-branch, multiply-add, address folding, ...) are therefore compiled
 * too, and the fuel charges are the same FUEL ops at the same places, so fuel_used
 * and the out-of-fuel point cannot differ between the tiers. A slot is either in
 * memory ([rbx + 8*slot]) or, for the function's best-scoring slots (jit_alloc.c), in
 * a register for the whole function: a GPR, the low bits of an xmm register, or half
 * of an xmm register holding a v128 pair (both slots). The operand helpers (ld, st,
 * ldf, stf, *_s; vld, vst for v128 operands in jit_vec.h) hide which: any op may
 * read or write either half of a pair in place, and a v128 operand whose slots are
 * not one pair's is put together from, and taken apart into, wherever its halves
 * live. They write registers back to memory before calls and helpers (only those
 * changed since: c->sync; around a wasm call only those live after it,
 * esgx_jit_live) and read them again after. A load of the slot stored by the
 * instruction just emitted reads the register instead (c->last).
 *
 * Calls (docs/wasm.md, "Calls"): each function's entry does the interpreter's depth
 * and value-stack checks for every caller; a direct call is `call rel32` to a stub at
 * the end of the function (call_stub) that jit.c repoints at the callee when it
 * places the code; memory 0 is reloaded after it only when the callee may grow it
 * (esgx_jit_grows).
 *
 * Bounds checks (docs/wasm.md, "Bounds checks"): a scalar load or store is checked
 * against r13 unless an earlier check in the same straight run proves it (the facts
 * of jit_bounds.c, reset at every branch target); the first access off a base checks
 * the largest extent of the accesses off it a few instructions ahead (access_ea).
 * When that merged check fails, it traps itself if nothing but loads and arithmetic
 * come before the last access it covers and none of them can wrap; else it jumps to a
 * slow copy of those instructions with a check per access (slow_copy, emitted after
 * the function; only in loops), which rejoins after them. A load goes straight into
 * its slot's register, a store straight from it.
 *
 * Branch targets are word offsets: each op's native offset is recorded as it is
 * emitted and jumps are patched at the end. Traps jump to one stub per kind at the end
 * of the function, which jumps to the module's trap thunk.
 *
 * Ops with no short x86 sequence (bulk memory, tables, memory.grow, float min/max,
 * float->int truncations) call esgx_jit_op_slow, which runs them on the frame like the
 * interpreter (fuel is synchronised around the call). Every SIMD op has an inline
 * template (jit_vec.h): none leaves compiled code.
 *
 * Parts of this one translation unit live in headers included once, where they were:
 * jit_slots.h (the operand helpers), jit_mem.h (loads, stores, bounds checks),
 * jit_vec.h (SIMD templates), jit_call.h (calls).
 */
#include "jit_internal.h"
#include "wasm_float.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#if defined(__FAST_MATH__)
#error "the code generator's helpers must not be built with -ffast-math"
#endif

/* store and object field offsets used by the code */
#define S_FUEL ((int32_t)offsetof(esgx_wasm_store, fuel))
#define S_DEPTH ((int32_t)offsetof(esgx_wasm_store, depth))
#define S_MAXDEPTH ((int32_t)offsetof(esgx_wasm_store, limits.max_call_depth))
#define S_STACK ((int32_t)offsetof(esgx_wasm_store, stack))
#define S_STACKCAP ((int32_t)offsetof(esgx_wasm_store, stack_cap))
#define S_INST ((int32_t)offsetof(esgx_wasm_store, jit_inst))
#define S_RSP ((int32_t)offsetof(esgx_wasm_store, jit_entry_rsp))
#define S_FP ((int32_t)offsetof(esgx_wasm_store, jit_fp))
#define S_CALLER ((int32_t)offsetof(esgx_wasm_store, jit_caller_inst))
#define I_MEM ((int32_t)offsetof(esgx_wasm_instance, mem))
#define I_GLOBALS ((int32_t)offsetof(esgx_wasm_instance, globals))
#define M_DATA ((int32_t)offsetof(esgx_wasm_memory_obj, data))
#define M_SIZE ((int32_t)offsetof(esgx_wasm_memory_obj, size))
#define G_VAL ((int32_t)offsetof(esgx_wasm_global_obj, val))

enum { FP = X_RBX, MEM = X_R12, MSIZE = X_R13, FUEL = X_R14, ST = X_R15 };

/* ------------------------------------------------------------------ compile state */

/* Jump targets past the code's words: a trap stub per kind, and the unwind stub. */
#define T_TRAP(n, kind) ((n) + (uint32_t)(kind))
#define T_UNWIND(n) ((n) + 32u)

typedef struct fixup {
    size_t at;           /* a 32-bit field */
    size_t base;         /* SIZE_MAX: a rel32; else the field holds target - base */
    uint32_t target;     /* word offset, or T_TRAP / T_UNWIND */
} fixup;

typedef struct jc {
    esgx_x64 *a;
    const esgx_wasm_module *m;
    const esgx_wasm_code *code;
    const uint32_t *w;
    uint32_t n;
    uint32_t *nat;           /* native offset of each instruction start (n + 33 entries) */
    fixup *fx;
    size_t nfx, capfx;
    const esgx_jit_env *env;
    const esgx_jit_thunks *th;
    bool oom;
    uint32_t *live;          /* per instruction: pinned slots live after it (bit = index
                              * in pinned[], esgx_jit_live) */
    uint32_t cur;            /* the instruction being emitted */
    /* direct calls: the rel32 of each `call`, its callee (defined function) and code;
     * each lands on a stub at the end until jit.c points it at the callee */
    struct callsite { size_t rel; uint32_t callee; const esgx_wasm_code *code; size_t stub; } *cs;
    size_t ncs, capcs;
    int8_t *pin;             /* per slot: -1 in memory, 0-15 a GPR, 16 + n xmm n, 32 + n
                              * / 48 + n the low / high half of a v128 in xmm n */
    uint32_t *pinned;        /* the entries with a register (a slot, or the first of a
                              * v128 pair), in slot order */
    uint32_t n_pinned;
    uint32_t wide;           /* bit i: pinned[i] is a v128 pair */
    uint8_t *sync;           /* per entry in a register (its first slot): its memory
                              * copy is current */
    uint8_t *target;         /* per word: a branch lands there */
    uint8_t *in_loop;        /* per word: inside a loop (esgx_jit_loops) */
    /* the last instruction emitted (ending at code offset `at`) stored register `reg`
     * to memory slot `slot`: a load of that slot right after reads the register */
    struct { size_t at; uint32_t slot; int8_t reg; uint8_t kind; } last;
    /* the 16-byte constants of the SIMD templates (jit_vec.h): the pool emitted after
     * the function's code, and the RIP-relative loads of them to patch */
    uint8_t (*pool)[16];
    uint32_t n_pool, cap_pool;
    struct vfix { size_t at; uint32_t k; } *pool_fx;
    size_t n_pool_fx, cap_pool_fx;
    /* bounds checks (jit_bounds.c, "Bounds checks" above): the facts that hold where
     * the code emitted so far ends; cur_at the word of instruction cur; slow: emitting
     * a merged check's slow copy (no merged check there) */
    esgx_jit_bounds bd;
    uint32_t cur_at;
    bool slow;
    /* the merged checks whose window is still being emitted: the window's last
     * instruction, its job, and the facts its slow copy starts from, updated as the
     * window's instructions are emitted (what holds on that path at the join) */
    struct bwin { uint32_t last; size_t job; esgx_jit_bounds pre; } win[4];
    uint32_t n_win;
    /* per merged check: its window (instructions i0..last from word at0), the `ja`
     * to its slow copy, the facts and the memory copies of the registers (c->sync of
     * pinned[k]) at its start, and those the fast path assumes where it joins */
    struct bjob {
        uint32_t i0, at0, last;
        size_t ja;
        esgx_jit_bounds pre;
        uint8_t sync[32], sync_join[32];
    } *jobs;
    size_t n_jobs, cap_jobs;
} jc;

enum { LAST_GPR, LAST_XMM64, LAST_XMM128 };

/* Registers: the scratch ones of the templates (rax, rcx, rdx, xmm0, xmm1), the
 * scratch for an integer operand that lives in an xmm register (rcx: free wherever a
 * template takes an r/m operand) and for a float one in a GPR (xmm15), and those that
 * hold slots (jit_alloc.c). */
#define T_GPR X_RCX
#define T_XMM 15
static const int8_t pin_gprs[] = {X_RBP, X_RSI, X_RDI, X_R8, X_R9, X_R10, X_R11};
static const int8_t pin_xmms[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
_Static_assert(sizeof pin_gprs + sizeof pin_xmms <= 32, "struct bjob holds 32 sync bytes");

static void spill(jc *c, uint32_t lo, uint32_t hi);
static void reload(jc *c, uint32_t lo, uint32_t hi);

static x64_mem slot(uint32_t s)
{
    return xm(FP, (int32_t)(s * 8u));
}

static void fix_at(jc *c, size_t at, size_t base, uint32_t target)
{
    if (c->nfx == c->capfx) {
        size_t nc = c->capfx ? c->capfx * 2 : 256;
        fixup *nf = realloc(c->fx, nc * sizeof *nf);
        if (!nf) {
            c->oom = true;
            return;
        }
        c->fx = nf;
        c->capfx = nc;
    }
    c->fx[c->nfx++] = (fixup){at, base, target};
}

static void jump_to(jc *c, size_t at, uint32_t target)
{
    fix_at(c, at, SIZE_MAX, target);
}

/* jcc / jmp to a word target (ip-relative offset off from instruction start at) */
static void jcc_w(jc *c, int cc, uint32_t at, int32_t off)
{
    jump_to(c, x64_jcc32(c->a, cc), (uint32_t)((int64_t)at + off));
}

static void jmp_w(jc *c, uint32_t at, int32_t off)
{
    jump_to(c, x64_jmp32(c->a), (uint32_t)((int64_t)at + off));
}

static void jcc_trap(jc *c, int cc, esgx_wasm_trap kind)
{
    jump_to(c, x64_jcc32(c->a, cc), T_TRAP(c->n, kind));
}

static void jcc_unwind(jc *c, int cc)
{
    jump_to(c, x64_jcc32(c->a, cc), T_UNWIND(c->n));
}

/* mov rax, imm64 ; call rax */
static void call_abs(esgx_x64 *a, const void *fn)
{
    x64_mov_ri(a, X_RAX, (uint64_t)(uintptr_t)fn);
    x64_call_r(a, X_RAX);
}

/* r12 / r13 from the running instance's memory 0 (after anything that may grow or
 * switch it) */
static void load_mem(esgx_x64 *a)
{
    x64_load(a, true, X_RAX, xm(ST, S_INST));
    x64_load(a, true, X_RAX, xm(X_RAX, I_MEM));
    x64_load(a, true, MEM, xm(X_RAX, M_DATA));
    x64_load(a, true, MSIZE, xm(X_RAX, M_SIZE));
}

static void push_m(esgx_x64 *a, x64_mem m)
{
    X_OP1(a, 0, 0, 0xFF, 6, 0, &m);
}

static void pop_m(esgx_x64 *a, x64_mem m)
{
    X_OP1(a, 0, 0, 0x8F, 0, 0, &m);
}

/* ------------------------------------------------------------------ thunks */

void esgx_jit_emit_thunks(esgx_x64 *a, size_t off[ESGX_JIT_THUNK_COUNT])
{
    static const int saved[6] = {X_RBP, X_RBX, X_R12, X_R13, X_R14, X_R15};
    /* enter(s = rdi, entry = rsi, fp = rdx) */
    off[ESGX_JIT_THUNK_ENTER] = a->n;
    for (int i = 0; i < 6; i++) x64_push(a, saved[i]);
    x64_mov_rr(a, true, ST, X_RDI);
    push_m(a, xm(ST, S_RSP));                 /* the outer entry's, for nesting */
    x64_store(a, true, xm(ST, S_RSP), X_RSP);
    x64_mov_rr(a, true, FP, X_RDX);
    x64_load(a, true, FUEL, xm(ST, S_FUEL));
    load_mem(a);
    x64_call_r(a, X_RSI);
    x64_store(a, true, xm(ST, S_FUEL), FUEL);
    x64_mov_ri(a, X_RAX, 0);
    size_t exit_at = a->n;
    pop_m(a, xm(ST, S_RSP));
    for (int i = 5; i >= 0; i--) x64_pop(a, saved[i]);
    x64_ret(a);
    /* trap (esi = kind) */
    off[ESGX_JIT_THUNK_TRAP] = a->n;
    x64_store(a, true, xm(ST, S_FUEL), FUEL);
    x64_mov_rr(a, true, X_RDI, ST);
    x64_load(a, true, X_RSP, xm(ST, S_RSP));  /* aligned: as after the push above */
    call_abs(a, (const void *)esgx_jit_raise);
    /* unwind */
    off[ESGX_JIT_THUNK_UNWIND] = a->n;
    size_t unwind_at = a->n;
    x64_load(a, true, X_RSP, xm(ST, S_RSP));
    x64_mov_ri(a, X_RAX, 1);
    x64_patch_rel(a, x64_jmp32(a), exit_at);
    /* a function's entry, depth or stack short (called: rsp 8 off alignment; rax the
     * frame's end): esgx_jit_entry_slow, then rbx = the frame or the unwind */
    off[ESGX_JIT_THUNK_ENTRY_SLOW] = a->n;
    x64_alu_ri(a, ALU_SUB, true, X_RSP, 8);
    x64_store(a, true, xm(ST, S_FUEL), FUEL);   /* for the unwind if it fails */
    x64_mov_rr(a, true, X_RDI, ST);
    x64_mov_rr(a, true, X_RSI, FP);
    x64_mov_rr(a, true, X_RDX, X_RAX);
    call_abs(a, (const void *)esgx_jit_entry_slow);
    x64_alu_ri(a, ALU_ADD, true, X_RSP, 8);
    x64_test_rr(a, true, X_RAX, X_RAX);
    x64_patch_rel(a, x64_jcc32(a, CC_E), unwind_at);
    x64_mov_rr(a, true, FP, X_RAX);
    x64_ret(a);
}

/* ------------------------------------------------------------------ slow ops */

static double f_of(uint64_t v, bool f64)
{
    return f64 ? f64_of(v) : (double)f32_of(v);
}

/* float -> int: trapping (sat false) or saturating (wasm_float.h), like the
 * interpreter */
static int conv(esgx_wasm_store *s, uint64_t *out, uint64_t in, bool from64, bool to64,
                bool sgn, bool sat)
{
    double x = f_of(in, from64);
    if (sat) {
        *out = to64 ? (sgn ? sat_i64_f64(x) : sat_u64_f64(x)) : (sgn ? sat_i32_f64(x) : sat_u32_f64(x));
        return 0;
    }
    if (isnan(x)) {
        esgx_wasm_store_trap(s, ESGX_WASM_TRAP_INVALID_CONVERSION, "invalid conversion to integer");
        return 1;
    }
    if (!(x > trunc_lo(to64, sgn) && x < trunc_hi(to64, sgn))) {
        esgx_wasm_store_trap(s, ESGX_WASM_TRAP_INT_OVERFLOW, "integer overflow");
        return 1;
    }
    if (to64) *out = sgn ? (uint64_t)(int64_t)x : (uint64_t)x;
    else *out = sgn ? (uint32_t)(int32_t)x : (uint32_t)x;
    return 0;
}

#define O(k) ip[ESGX_WASM_OP_HEAD + (k)]

/* float min/max, float -> int, u64 -> float */
static int slow_float(esgx_wasm_store *s, uint64_t *fp, const uint32_t *ip, uint32_t op)
{
    /* operands read per case: other ops' operands are not all slots */
#define X fp[O(1)]
#define D (&fp[O(0)])
    switch (op) {
    case WOP_F32_MIN: *D = f32_min(f32_of(X), f32_of(fp[O(2)])); return 0;
    case WOP_F32_MAX: *D = f32_max(f32_of(X), f32_of(fp[O(2)])); return 0;
    case WOP_F64_MIN: *D = f64_min(f64_of(X), f64_of(fp[O(2)])); return 0;
    case WOP_F64_MAX: *D = f64_max(f64_of(X), f64_of(fp[O(2)])); return 0;
    case WOP_F32_CONV_I64U: *D = bits_f32((float)X); return 0;
    case WOP_F64_CONV_I64U: *D = bits_f64((double)X); return 0;
    case WOP_I32_TRUNC_F32S: return conv(s, D, X, false, false, true, false);
    case WOP_I32_TRUNC_F32U: return conv(s, D, X, false, false, false, false);
    case WOP_I32_TRUNC_F64S: return conv(s, D, X, true, false, true, false);
    case WOP_I32_TRUNC_F64U: return conv(s, D, X, true, false, false, false);
    case WOP_I64_TRUNC_F32S: return conv(s, D, X, false, true, true, false);
    case WOP_I64_TRUNC_F32U: return conv(s, D, X, false, true, false, false);
    case WOP_I64_TRUNC_F64S: return conv(s, D, X, true, true, true, false);
    case WOP_I64_TRUNC_F64U: return conv(s, D, X, true, true, false, false);
    case WOP_I32_SAT_F32S: return conv(s, D, X, false, false, true, true);
    case WOP_I32_SAT_F32U: return conv(s, D, X, false, false, false, true);
    case WOP_I32_SAT_F64S: return conv(s, D, X, true, false, true, true);
    case WOP_I32_SAT_F64U: return conv(s, D, X, true, false, false, true);
    case WOP_I64_SAT_F32S: return conv(s, D, X, false, true, true, true);
    case WOP_I64_SAT_F32U: return conv(s, D, X, false, true, false, true);
    case WOP_I64_SAT_F64S: return conv(s, D, X, true, true, true, true);
    case WOP_I64_SAT_F64U: return conv(s, D, X, true, true, false, true);
    default: return -1;
    }
#undef X
#undef D
}

int esgx_jit_op_slow(esgx_wasm_store *s, uint64_t *fp, const uint32_t *ip, uint32_t op)
{
    int r = slow_float(s, fp, ip, op);
    if (r >= 0) return r;
    esgx_wasm_trap tk = esgx_wasm_exec_bulk(s, s->jit_inst, fp, ip, (int)op, &s->fuel);
    if (tk == ESGX_WASM_TRAP_NONE) return 0;
    if (tk == ESGX_WASM_TRAP_OUT_OF_FUEL) s->fuel = 0;
    esgx_wasm_store_trap(s, tk, esgx_wasm_trap_message(tk));
    return 1;
}

/* Whether op is done by esgx_jit_op_slow, and whether it can trap or charge fuel. */
static bool slow_op(int op, bool *traps)
{
    switch (op) {
    case WOP_F32_MIN: case WOP_F32_MAX: case WOP_F64_MIN: case WOP_F64_MAX:
    case WOP_F32_CONV_I64U: case WOP_F64_CONV_I64U:
    case WOP_I32_SAT_F32S: case WOP_I32_SAT_F32U: case WOP_I32_SAT_F64S: case WOP_I32_SAT_F64U:
    case WOP_I64_SAT_F32S: case WOP_I64_SAT_F32U: case WOP_I64_SAT_F64S: case WOP_I64_SAT_F64U:
    case WOP_DATA_DROP: case WOP_ELEM_DROP: case WOP_REF_FUNC: case WOP_TABLE_SIZE:
        *traps = false;
        return true;
    case WOP_I32_TRUNC_F32S: case WOP_I32_TRUNC_F32U: case WOP_I32_TRUNC_F64S:
    case WOP_I32_TRUNC_F64U: case WOP_I64_TRUNC_F32S: case WOP_I64_TRUNC_F32U:
    case WOP_I64_TRUNC_F64S: case WOP_I64_TRUNC_F64U:
    case WOP_MEM_GROW: case WOP_MEM_INIT: case WOP_MEM_COPY: case WOP_MEM_FILL:
    case WOP_TABLE_GET: case WOP_TABLE_SET: case WOP_TABLE_GROW: case WOP_TABLE_FILL:
    case WOP_TABLE_COPY: case WOP_TABLE_INIT:
        *traps = true;
        return true;
    default:
        return false;
    }
}

/* Whether op may read any frame slot from memory (a slow op calls a C helper with the
 * frame): liveness counts every pinned slot as read there, which is safe. (A SIMD
 * template reads only its operands, in their registers or written back first.) */
bool esgx_jit_op_reads_frame(int op)
{
    bool traps;
    return slow_op(op, &traps);
}

/* call esgx_jit_op_slow(s, fp, ip, op); fuel and memory synchronised when it may
 * charge, grow or trap */
static void emit_slow(jc *c, const uint32_t *ip, int op, bool traps)
{
    esgx_x64 *a = c->a;
    spill(c, 0, UINT32_MAX);
    if (traps) x64_store(a, true, xm(ST, S_FUEL), FUEL);
    x64_mov_rr(a, true, X_RDI, ST);
    x64_mov_rr(a, true, X_RSI, FP);
    x64_mov_ri(a, X_RDX, (uint64_t)(uintptr_t)ip);
    x64_mov_ri(a, X_RCX, (uint64_t)op);
    call_abs(a, (const void *)esgx_jit_op_slow);
    if (traps) {
        x64_load(a, true, FUEL, xm(ST, S_FUEL));
        x64_test_rr(a, false, X_RAX, X_RAX);
        jcc_unwind(c, CC_NE);
        if (op == WOP_MEM_GROW) load_mem(a);
    }
    reload(c, 0, UINT32_MAX);
}

/* ------------------------------------------------------------------ templates */

/* condition code of integer compare kind ci (ESGX_WASM_ICMPS order) */
static const uint8_t icmp_cc[ICMP_COUNT_] = {
    [ICMP_EQ] = CC_E, [ICMP_NE] = CC_NE, [ICMP_LTS] = CC_L, [ICMP_LTU] = CC_B,
    [ICMP_GTS] = CC_G, [ICMP_GTU] = CC_A, [ICMP_LES] = CC_LE, [ICMP_LEU] = CC_BE,
    [ICMP_GES] = CC_GE, [ICMP_GEU] = CC_AE};

#include "jit_slots.h"

/* 64-bit constant from two words */
static uint64_t k64(const uint32_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 32;
}

/* setcc al; movzx eax, al; store */
static void set_store(jc *c, int cc, uint32_t d)
{
    x64_setcc(c->a, cc, X_RAX);
    x64_ext_rr(c->a, EXT_ZX8, false, X_RAX, X_RAX);
    st(c, d, X_RAX);
}

/* The integer compare families (ESGX_WASM_CMP_OPS): form CF_* of compare ci. */
static void emit_icmp(jc *c, const uint32_t *ip, uint32_t at, int ci, int form, bool w64)
{
    esgx_x64 *a = c->a;
    int cc = icmp_cc[ci];
    switch (form) {
    case CF_SET:   /* dss */
        ld(c, w64, X_RAX, O(1));
        alu_s(c, ALU_CMP, w64, X_RAX, O(2));
        set_store(c, cc, O(0));
        return;
    case CF_SET_I:   /* dsi */
        ld(c, w64, X_RAX, O(1));
        x64_alu_ri(a, ALU_CMP, w64, X_RAX, (int32_t)O(2));
        set_store(c, cc, O(0));
        return;
    case CF_BR: case CF_BR_L:   /* sso */
        ld(c, w64, X_RAX, O(0));
        alu_s(c, ALU_CMP, w64, X_RAX, O(1));
        jcc_w(c, cc, at, (int32_t)O(2));
        return;
    case CF_BR_I: case CF_BR_I_L:   /* sio */
        ld(c, w64, X_RAX, O(0));
        x64_alu_ri(a, ALU_CMP, w64, X_RAX, (int32_t)O(1));
        jcc_w(c, cc, at, (int32_t)O(2));
        return;
    default:   /* CF_ADDI_BR_L: dsisso, CF_ADDI_BR_I_L: dsisio */
        ld(c, false, X_RAX, O(1));
        x64_alu_ri(a, ALU_ADD, false, X_RAX, (int32_t)O(2));
        st(c, O(0), X_RAX);
        ld(c, w64, X_RAX, O(3));
        if (form == CF_ADDI_BR_L) alu_s(c, ALU_CMP, w64, X_RAX, O(4));
        else x64_alu_ri(a, ALU_CMP, w64, X_RAX, (int32_t)O(4));
        jcc_w(c, cc, at, (int32_t)O(5));
        return;
    }
}

static void ldk(jc *c, bool dbl, int x, uint64_t bits)
{
    x64_mov_ri(c->a, X_RAX, bits);
    x64_movq_xr(c->a, dbl, x, X_RAX);
}

/* f64 compare (index fi of ESGX_WASM_FCMPS) of xmm0 and xmm1, branching to target
 * when it holds (neg: when it does not) */
static void fbranch(jc *c, int fi, bool neg, uint32_t at, int32_t off, bool dbl)
{
    esgx_x64 *a = c->a;
    switch (fi) {
    case FCMP_EQ: case FCMP_NE: {
        x64_ucomis(a, dbl, 0, 1);
        bool eq = (fi == FCMP_EQ) != neg;   /* branch when equal (and ordered) */
        if (eq) {
            size_t skip = x64_jcc32(a, CC_P);
            jcc_w(c, CC_E, at, off);
            x64_patch_rel(a, skip, a->n);
        } else {
            jcc_w(c, CC_P, at, off);
            jcc_w(c, CC_NE, at, off);
        }
        return;
    }
    default: {   /* LT, GT, LE, GE: a < b is b > a */
        bool swap = fi == FCMP_LT || fi == FCMP_LE;
        bool strict = fi == FCMP_LT || fi == FCMP_GT;
        if (swap) x64_ucomis(a, dbl, 1, 0);
        else x64_ucomis(a, dbl, 0, 1);
        int cc = strict ? (neg ? CC_BE : CC_A) : (neg ? CC_B : CC_AE);
        jcc_w(c, cc, at, off);
        return;
    }
    }
}

/* float compare to a value: sets eax to 0/1 from xmm0 op xmm1 */
static void fcompare(jc *c, int fi, bool dbl, uint32_t d)
{
    esgx_x64 *a = c->a;
    switch (fi) {
    case FCMP_EQ:   /* ZF and not PF */
        x64_ucomis(a, dbl, 0, 1);
        x64_setcc(a, CC_E, X_RAX);
        x64_setcc(a, CC_NP, X_RCX);
        X_OP1(a, 0, XB, 0x20, X_RCX, X_RAX, NULL);   /* and al, cl */
        break;
    case FCMP_NE:   /* not ZF or PF */
        x64_ucomis(a, dbl, 0, 1);
        x64_setcc(a, CC_NE, X_RAX);
        x64_setcc(a, CC_P, X_RCX);
        X_OP1(a, 0, XB, 0x08, X_RCX, X_RAX, NULL);   /* or al, cl */
        break;
    default: {
        bool swap = fi == FCMP_LT || fi == FCMP_LE, strict = fi == FCMP_LT || fi == FCMP_GT;
        if (swap) x64_ucomis(a, dbl, 1, 0);
        else x64_ucomis(a, dbl, 0, 1);
        x64_setcc(a, strict ? CC_A : CC_AE, X_RAX);
        break;
    }
    }
    x64_ext_rr(a, EXT_ZX8, false, X_RAX, X_RAX);
    st(c, d, X_RAX);
}

#include "jit_mem.h"

/* integer binary op k (IBIN_*), b from a slot or an immediate */
static void emit_ibin(jc *c, const uint32_t *ip, int k, bool imm, bool w64)
{
    static const int8_t alu[IBIN_COUNT_] = {
        [IBIN_ADD] = ALU_ADD, [IBIN_SUB] = ALU_SUB, [IBIN_MUL] = -1, [IBIN_AND] = ALU_AND,
        [IBIN_OR] = ALU_OR, [IBIN_XOR] = ALU_XOR, [IBIN_SHL] = -1, [IBIN_SHRS] = -1,
        [IBIN_SHRU] = -1, [IBIN_ROTL] = -1, [IBIN_ROTR] = -1};
    static const int8_t sh[IBIN_COUNT_] = {
        [IBIN_ADD] = -1, [IBIN_SUB] = -1, [IBIN_MUL] = -1, [IBIN_AND] = -1, [IBIN_OR] = -1,
        [IBIN_XOR] = -1, [IBIN_SHL] = SH_SHL, [IBIN_SHRS] = SH_SAR, [IBIN_SHRU] = SH_SHR,
        [IBIN_ROTL] = SH_ROL, [IBIN_ROTR] = SH_ROR};
    esgx_x64 *a = c->a;
    ld(c, w64, X_RAX, O(1));
    if (alu[k] >= 0) {
        if (imm) x64_alu_ri(a, alu[k], w64, X_RAX, (int32_t)O(2));
        else alu_s(c, alu[k], w64, X_RAX, O(2));
    } else if (k == IBIN_MUL) {
        if (imm) x64_imul_rri(a, w64, X_RAX, X_RAX, (int32_t)O(2));
        else imul_s(c, w64, X_RAX, O(2));
    } else if (imm) {
        x64_shift_ri(a, sh[k], w64, X_RAX, (uint8_t)(O(2) & (w64 ? 63 : 31)));
    } else {
        ld(c, false, X_RCX, O(2));
        x64_shift_rcl(a, sh[k], w64, X_RAX);
    }
    st(c, O(0), X_RAX);
}

/* div / rem (k: IDIV_*) */
static void emit_div(jc *c, const uint32_t *ip, int k, bool w64)
{
    esgx_x64 *a = c->a;
    ld(c, w64, X_RAX, O(1));
    ld(c, w64, X_RCX, O(2));
    x64_test_rr(a, w64, X_RCX, X_RCX);
    jcc_trap(c, CC_E, ESGX_WASM_TRAP_DIV_ZERO);
    size_t done = 0;
    bool sgn = k == IDIV_DIVS || k == IDIV_REMS;
    if (sgn) {
        x64_alu_ri(a, ALU_CMP, w64, X_RCX, -1);
        size_t normal = x64_jcc32(a, CC_NE);
        if (k == IDIV_DIVS) {   /* MIN / -1 overflows; anything else / -1 is a negation */
            if (w64) {
                x64_mov_ri(a, X_RDX, (uint64_t)INT64_MIN);
                x64_alu_rr(a, ALU_CMP, true, X_RAX, X_RDX);
            } else {
                x64_alu_ri(a, ALU_CMP, false, X_RAX, INT32_MIN);
            }
            jcc_trap(c, CC_E, ESGX_WASM_TRAP_INT_OVERFLOW);
            x64_grp3(a, G3_NEG, w64, X_RAX);
        } else {        /* x rem -1 = 0 */
            x64_mov_ri(a, X_RAX, 0);
        }
        st(c, O(0), X_RAX);
        done = x64_jmp32(a);
        x64_patch_rel(a, normal, a->n);
        x64_cdq(a, w64);
        x64_grp3(a, G3_IDIV, w64, X_RCX);
    } else {
        x64_mov_ri(a, X_RDX, 0);
        x64_grp3(a, G3_DIV, w64, X_RCX);
    }
    st(c, O(0), k == IDIV_REMS || k == IDIV_REMU ? X_RDX : X_RAX);
    if (sgn) x64_patch_rel(a, done, a->n);
}

/* The SSE op of float op k (FOP_*): rounding mode or arithmetic. */
static const uint8_t round_mode[FOP_COUNT_] = {[FOP_CEIL] = ROUND_CEIL, [FOP_FLOOR] = ROUND_FLOOR,
                                               [FOP_TRUNC] = ROUND_TRUNC,
                                               [FOP_NEAREST] = ROUND_NEAREST};
static const uint8_t sse_arith[FOP_COUNT_] = {[FOP_ADD] = SSE_ADD, [FOP_SUB] = SSE_SUB,
                                              [FOP_MUL] = SSE_MUL, [FOP_DIV] = SSE_DIV};

/* f32/f64 unary and binary op k (FOP_*, ESGX_WASM_FLOATS); false if not done here */
static bool emit_float(jc *c, const uint32_t *ip, int k, bool dbl)
{
    esgx_x64 *a = c->a;
    switch (k) {
    case FOP_ABS: case FOP_NEG:   /* on the bits */
        ld(c, dbl, X_RAX, O(1));
        if (dbl) {
            if (k == FOP_ABS) {
                x64_shift_ri(a, SH_SHL, true, X_RAX, 1);
                x64_shift_ri(a, SH_SHR, true, X_RAX, 1);
            } else {
                x64_mov_ri(a, X_RCX, 0x8000000000000000ull);
                x64_alu_rr(a, ALU_XOR, true, X_RAX, X_RCX);
            }
        } else {
            x64_alu_ri(a, k == FOP_ABS ? ALU_AND : ALU_XOR, false, X_RAX,
                       k == FOP_ABS ? 0x7FFFFFFF : INT32_MIN);
        }
        st(c, O(0), X_RAX);
        return true;
    case FOP_CEIL: case FOP_FLOOR: case FOP_TRUNC: case FOP_NEAREST:
        ldf(c, dbl, 0, O(1));
        x64_round(a, dbl, 0, 0, round_mode[k]);
        stf(c, dbl, O(0), 0);
        return true;
    case FOP_SQRT:
        ldf(c, dbl, 0, O(1));
        x64_sse_rr(a, dbl, SSE_SQRT, 0, 0);
        stf(c, dbl, O(0), 0);
        return true;
    case FOP_ADD: case FOP_SUB: case FOP_MUL: case FOP_DIV:
        ldf(c, dbl, 0, O(1));
        sse_s(c, dbl, sse_arith[k], 0, O(2));
        stf(c, dbl, O(0), 0);
        return true;
    case FOP_COPYSIGN:
        ld(c, dbl, X_RAX, O(1));
        ld(c, dbl, X_RCX, O(2));
        if (dbl) {
            x64_shift_ri(a, SH_SHL, true, X_RAX, 1);
            x64_shift_ri(a, SH_SHR, true, X_RAX, 1);
            x64_shift_ri(a, SH_SHR, true, X_RCX, 63);
            x64_shift_ri(a, SH_SHL, true, X_RCX, 63);
        } else {
            x64_alu_ri(a, ALU_AND, false, X_RAX, 0x7FFFFFFF);
            x64_alu_ri(a, ALU_AND, false, X_RCX, INT32_MIN);
        }
        x64_alu_rr(a, ALU_OR, true, X_RAX, X_RCX);
        st(c, O(0), X_RAX);
        return true;
    default:   /* FOP_MIN, FOP_MAX: slow ops */
        return false;
    }
}

#include "jit_vec.h"

#include "jit_call.h"

/* BR_TABLE "sn": clamp, then jump through a table of 32-bit offsets from its start */
static void emit_br_table(jc *c, const uint32_t *ip, uint32_t at)
{
    esgx_x64 *a = c->a;
    uint32_t n = O(1);
    ld(c, false, X_RAX, O(0));
    x64_mov_ri(a, X_RCX, n);
    x64_alu_rr(a, ALU_CMP, false, X_RAX, X_RCX);
    x64_cmov_rr(a, CC_A, false, X_RAX, X_RCX);
    x64_b(a, 0x48);   /* lea rcx, [rip + table] */
    x64_b(a, 0x8D);
    x64_b(a, 0x0D);
    size_t disp = a->n;
    x64_d32(a, 0);
    x64_load_ext(a, 4, true, X_RAX, xmi(X_RCX, X_RAX, 4, 0));   /* movsxd */
    x64_alu_rr(a, ALU_ADD, true, X_RAX, X_RCX);
    x64_jmp_r(a, X_RAX);
    size_t table = a->n;
    x64_patch32(a, disp, (uint32_t)(table - (disp + 4)));
    for (uint32_t i = 0; i <= n; i++) {
        fix_at(c, a->n, table, (uint32_t)((int64_t)at + (int32_t)ip[4 + i]));
        x64_d32(a, 0);
    }
}

/* fused multiply-add and rotate/shift-xor ops; false if op is not one */
static bool emit_fused(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    switch (op) {
    case WOP_I32_MULI_ADDI: case WOP_I64_MULI_ADDI: {
        bool w = op == WOP_I64_MULI_ADDI;
        ld(c, w, X_RAX, O(1));
        x64_imul_rri(a, w, X_RAX, X_RAX, (int32_t)O(2));
        x64_alu_ri(a, ALU_ADD, w, X_RAX, (int32_t)O(3));
        break;
    }
    case WOP_I32_MULADD: case WOP_I64_MULADD: {
        bool w = op == WOP_I64_MULADD;
        ld(c, w, X_RAX, O(1));
        imul_s(c, w, X_RAX, O(2));
        alu_s(c, ALU_ADD, w, X_RAX, O(3));
        break;
    }
    case WOP_F64_MULADD: case WOP_F64_MUL3:
        ldf(c, true, 0, O(1));
        sse_s(c, true, SSE_MUL, 0, O(2));
        sse_s(c, true, op == WOP_F64_MULADD ? SSE_ADD : SSE_MUL, 0, O(3));
        stf(c, true, O(0), 0);
        return true;
    case WOP_F64_MULSUB:   /* d = c - a * b */
        ldf(c, true, 1, O(1));
        sse_s(c, true, SSE_MUL, 1, O(2));
        ldf(c, true, 0, O(3));
        x64_sse_rr(a, true, SSE_SUB, 0, 1);
        stf(c, true, O(0), 0);
        return true;
    case WOP_I32_ROTLI_XOR: case WOP_I32_SHRUI_XOR:
        ld(c, false, X_RAX, O(1));
        x64_shift_ri(a, op == WOP_I32_ROTLI_XOR ? SH_ROL : SH_SHR, false, X_RAX,
                     (uint8_t)(O(2) & 31));
        alu_s(c, ALU_XOR, false, X_RAX, O(3));
        break;
    case WOP_I32_ROT2_XOR:
        ld(c, false, X_RAX, O(1));
        x64_shift_ri(a, SH_ROL, false, X_RAX, (uint8_t)(O(2) & 31));
        ld(c, false, X_RCX, O(3));
        x64_shift_ri(a, SH_ROL, false, X_RCX, (uint8_t)(O(4) & 31));
        x64_alu_rr(a, ALU_XOR, false, X_RAX, X_RCX);
        break;
    case WOP_F32_ADD_K: case WOP_F32_SUB_K: case WOP_F32_MUL_K: case WOP_F32_DIV_K:
    case WOP_F64_ADD_K: case WOP_F64_SUB_K: case WOP_F64_MUL_K: case WOP_F64_DIV_K: {
        bool dbl = esgx_wasm_iop_class_of[op].family == IOPF_FK_F64;
        ldf(c, dbl, 0, O(1));
        ldk(c, dbl, 1, dbl ? k64(&O(2)) : O(2));
        x64_sse_rr(a, dbl, sse_arith[esgx_wasm_iop_class_of[op].index], 0, 1);
        stf(c, dbl, O(0), 0);
        return true;
    }
    default:
        return false;
    }
    st(c, O(0), X_RAX);
    return true;
}

/* conversions done inline; false if op is not one */
static bool emit_convert(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    switch (op) {
    case WOP_I32_WRAP: ld(c, false, X_RAX, O(1)); break;
    case WOP_I64_EXTEND_I32S: case WOP_I64_EXT32S: ext_s(c, EXT_SX32, true, X_RAX, O(1)); break;
    case WOP_I32_EXT8S: ext_s(c, EXT_SX8, false, X_RAX, O(1)); break;
    case WOP_I32_EXT16S: ext_s(c, EXT_SX16, false, X_RAX, O(1)); break;
    case WOP_I64_EXT8S: ext_s(c, EXT_SX8, true, X_RAX, O(1)); break;
    case WOP_I64_EXT16S: ext_s(c, EXT_SX16, true, X_RAX, O(1)); break;
    case WOP_F32_CONV_I32S: case WOP_F32_CONV_I32U: case WOP_F32_CONV_I64S:
    case WOP_F64_CONV_I32S: case WOP_F64_CONV_I32U: case WOP_F64_CONV_I64S: {
        bool dbl = esgx_wasm_iop_class_of[op].family == IOPF_FCONV_F64;
        int k = esgx_wasm_iop_class_of[op].index;
        if (k == FCONV_I32S) ext_s(c, EXT_SX32, true, X_RAX, O(1));   /* sign-extended */
        else ld(c, k == FCONV_I64S, X_RAX, O(1));                   /* u32: zero-extended */
        x64_xorps(a, 0, 0);
        x64_cvtsi2f(a, dbl, true, 0, X_RAX);
        stf(c, dbl, O(0), 0);
        return true;
    }
    case WOP_F32_DEMOTE: case WOP_F64_PROMOTE: {
        bool from64 = op == WOP_F32_DEMOTE;
        ldf(c, from64, 0, O(1));
        x64_sse_rr(a, from64, SSE_CVT, 0, 0);
        stf(c, !from64, O(0), 0);
        return true;
    }
    default:
        return false;
    }
    st(c, O(0), X_RAX);
    return true;
}

/* control ops; false if op is not one */
static bool emit_control(jc *c, const uint32_t *ip, int op, uint32_t at)
{
    esgx_x64 *a = c->a;
    switch (op) {
    case WOP_NOP: return true;
    case WOP_FUEL: {
        uint32_t cost = O(0);
        if (!cost) return true;
        if (cost <= INT32_MAX) {
            x64_alu_ri(a, ALU_SUB, true, FUEL, (int32_t)cost);
        } else {
            x64_mov_ri(a, X_RAX, cost);
            x64_alu_rr(a, ALU_SUB, true, FUEL, X_RAX);
        }
        jcc_trap(c, CC_B, ESGX_WASM_TRAP_OUT_OF_FUEL);
        return true;
    }
    case WOP_UNREACHABLE:
        jump_to(c, x64_jmp32(a), T_TRAP(c->n, ESGX_WASM_TRAP_UNREACHABLE));
        return true;
    case WOP_BR: case WOP_BR_L: jmp_w(c, at, (int32_t)O(0)); return true;
    case WOP_BR_NZ32: case WOP_BR_Z32: case WOP_BR_NZ64: case WOP_BR_Z64:
    case WOP_BR_NZ32_L: case WOP_BR_Z32_L: case WOP_BR_NZ64_L: case WOP_BR_Z64_L: {
        int k = esgx_wasm_iop_class_of[op].index;
        cmp0_s(c, k == BRK_NZ64 || k == BRK_Z64, O(0));
        jcc_w(c, k == BRK_Z32 || k == BRK_Z64 ? CC_E : CC_NE, at, (int32_t)O(1));
        return true;
    }
    case WOP_BR_TABLE: emit_br_table(c, ip, at); return true;
    case WOP_RET1:   /* the result goes to memory and rax (a direct caller's) */
        ld(c, true, X_RAX, O(0));
        x64_store(a, true, slot(0), X_RAX);
        x64_alu_mi(a, ALU_SUB, false, xm(ST, S_DEPTH), 1);   /* counted at entry */
        x64_alu_ri(a, ALU_ADD, true, X_RSP, 8);
        x64_ret(a);
        return true;
    case WOP_RET0:
        spill(c, 0, c->code->n_results);
        if (c->code->n_results == 1) ld(c, true, X_RAX, 0);   /* as RET1: rax too */
        x64_alu_mi(a, ALU_SUB, false, xm(ST, S_DEPTH), 1);
        x64_alu_ri(a, ALU_ADD, true, X_RSP, 8);
        x64_ret(a);
        return true;
    case WOP_CALL: emit_call(c, ip); return true;
    case WOP_CALL_IMPORT: emit_call_obj(c, ip, false); return true;
    case WOP_CALL_INDIRECT: emit_call_obj(c, ip, true); return true;
    default: return false;
    }
}

/* moves, constants, select, globals, memory size; false if op is not one */
static bool emit_move(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    switch (op) {
    case WOP_COPY: ld(c, true, X_RAX, O(1)); st(c, O(0), X_RAX); return true;
    case WOP_COPY2:
        /* a v128 move (adjacent pairs, each whole in one register or in memory): one
         * register move, or one 16-byte copy, so that the 16-byte loads of the SIMD ops
         * that follow are forwarded from one store */
        if (O(2) == O(0) + 1 && O(3) == O(1) + 1 && O(3) != O(0) &&
            (vpair(c, O(0)) >= 0 || (c->pin[O(0)] < 0 && c->pin[O(2)] < 0)) &&
            (vpair(c, O(1)) >= 0 || (c->pin[O(1)] < 0 && c->pin[O(3)] < 0))) {
            int d = vpair(c, O(0)), s = vpair(c, O(1));
            if (d >= 0) vld(c, d, O(1));
            else if (s >= 0) vst(c, O(0), s);
            else {
                vld(c, 0, O(1));
                vst(c, O(0), 0);
            }
            if (d >= 0) dirty(c, O(0));
            return true;
        }
        ld(c, true, X_RAX, O(1));
        st(c, O(0), X_RAX);
        ld(c, true, X_RAX, O(3));
        st(c, O(2), X_RAX);
        return true;
    case WOP_ADDI2:
        for (int h = 0; h < 6; h += 3) {
            ld(c, false, X_RAX, O(h + 1));
            x64_alu_ri(a, ALU_ADD, false, X_RAX, (int32_t)O(h + 2));
            st(c, O(h), X_RAX);
        }
        return true;
    case WOP_CONST32: x64_mov_ri(a, X_RAX, O(1)); st(c, O(0), X_RAX); return true;
    case WOP_CONST64: x64_mov_ri(a, X_RAX, k64(&O(1))); st(c, O(0), X_RAX); return true;
    case WOP_SELECT: case WOP_SELECT64:
        ld(c, op == WOP_SELECT64, X_RCX, O(1));
        x64_test_rr(a, op == WOP_SELECT64, X_RCX, X_RCX);
        ld(c, true, X_RAX, O(2));
        cmov_s(c, CC_E, X_RAX, O(3));
        st(c, O(0), X_RAX);
        return true;
    case WOP_GLOBAL_GET: case WOP_GLOBAL_SET:
        x64_load(a, true, X_RAX, xm(ST, S_INST));
        x64_load(a, true, X_RAX, xm(X_RAX, I_GLOBALS));
        x64_load(a, true, X_RAX, xm(X_RAX, (int32_t)(O(1) * 8)));
        if (op == WOP_GLOBAL_GET) {
            x64_load(a, true, X_RCX, xm(X_RAX, G_VAL));
            st(c, O(0), X_RCX);
        } else {
            ld(c, true, X_RCX, O(0));
            x64_store(a, true, xm(X_RAX, G_VAL), X_RCX);
        }
        return true;
    case WOP_MEM_SIZE:
        x64_mov_rr(a, true, X_RAX, MSIZE);
        x64_shift_ri(a, SH_SHR, true, X_RAX, 16);
        st(c, O(0), X_RAX);
        return true;
    case WOP_REF_IS_NULL: case WOP_I32_EQZ: case WOP_I64_EQZ:
        cmp0_s(c, op != WOP_I32_EQZ, O(1));
        set_store(c, CC_E, O(0));
        return true;
    default:
        return false;
    }
}

/* The bit counts, by op. */
static const struct { uint16_t op; uint8_t code; bool w64; } bit_ops[] = {
    {WOP_I32_CLZ, BITS_LZCNT, false}, {WOP_I32_CTZ, BITS_TZCNT, false},
    {WOP_I32_POPCNT, BITS_POPCNT, false}, {WOP_I64_CLZ, BITS_LZCNT, true},
    {WOP_I64_CTZ, BITS_TZCNT, true}, {WOP_I64_POPCNT, BITS_POPCNT, true}};

/* numeric ops (integers, floats, compares); false if op is not one */
static bool emit_numeric(jc *c, const uint32_t *ip, int op, uint32_t at)
{
    esgx_x64 *a = c->a;
    const esgx_wasm_iop_class *k = &esgx_wasm_iop_class_of[op];
    switch (k->family) {
    case IOPF_ICMP_I32: case IOPF_ICMP_I64:
        emit_icmp(c, ip, at, k->index, k->form, k->family == IOPF_ICMP_I64);
        return true;
    case IOPF_FBR: {
        bool kf = k->form == FBF_BR_K || k->form == FBF_NBR_K;
        ldf(c, true, 0, O(0));
        if (kf) ldk(c, true, 1, k64(&O(1)));
        else ldf(c, true, 1, O(1));
        fbranch(c, k->index, k->form == FBF_NBR || k->form == FBF_NBR_K, at,
                (int32_t)(kf ? O(3) : O(2)), true);
        return true;
    }
    case IOPF_FCMP_F32: case IOPF_FCMP_F64: {
        bool dbl = k->family == IOPF_FCMP_F64;
        ldf(c, dbl, 0, O(1));
        ldf(c, dbl, 1, O(2));
        fcompare(c, k->index, dbl, O(0));
        return true;
    }
    case IOPF_IBIN_I32: case IOPF_IBIN_I64:
        emit_ibin(c, ip, k->index, k->form == BF_IMM, k->family == IOPF_IBIN_I64);
        return true;
    case IOPF_IDIV_I32: case IOPF_IDIV_I64:
        emit_div(c, ip, k->index, k->family == IOPF_IDIV_I64);
        return true;
    case IOPF_FLOAT_F32: case IOPF_FLOAT_F64:
        return emit_float(c, ip, k->index, k->family == IOPF_FLOAT_F64);
    default:
        break;
    }
    for (size_t i = 0; i < sizeof bit_ops / sizeof bit_ops[0]; i++) {
        if (op != bit_ops[i].op) continue;
        ld(c, bit_ops[i].w64, X_RAX, O(1));
        x64_bitcount(a, bit_ops[i].code, bit_ops[i].w64, X_RAX, X_RAX);
        st(c, O(0), X_RAX);
        return true;
    }
    return emit_fused(c, ip, op) || emit_convert(c, ip, op);
}

/* One op at word `at`; false if the code generator does not know it. */
static bool emit_op(jc *c, const uint32_t *ip, int op, uint32_t at)
{
    const esgx_wasm_iop_class *k = &esgx_wasm_iop_class_of[op];
    if (k->family == IOPF_LOAD) {
        emit_load(c, ip, k->index, k->form == MF_A);
        return true;
    }
    if (k->family == IOPF_STORE) {
        emit_store(c, ip, k->index, k->form == MF_A);
        return true;
    }
    if (emit_control(c, ip, op, at) || emit_move(c, ip, op) || emit_numeric(c, ip, op, at))
        return true;
    if (esgx_wasm_iop_class_of[op].family == IOPF_SIMD) {
        /* v128 operands in their pair's register, memory, or halves in registers of
         * other kinds (vld / vst, jit_vec.h) */
        return emit_simd(c, ip, op);
    }
    bool traps;
    if (!slow_op(op, &traps)) return false;
    emit_slow(c, ip, op, traps);
    return true;
}

/* Points the rel8 field at `at` to the current offset (a short forward jump). */
static void patch8(esgx_x64 *a, size_t at)
{
    if (!a->failed) a->p[at] = (uint8_t)(a->n - at - 1);
}

/* function entry: keep rsp 16-byte aligned; the interpreter's call checks, once per
 * call for every caller (compiled code, the helpers, the entry): depth below the
 * limit and the frame within the value stack, else the module's entry_slow thunk
 * (a trap, or the stack grown: rbx moves with it); then depth counted (the
 * function's returns uncount it; a trap's unwind restores it); zero the declared
 * locals (those in registers only there, their memory copy written back when a
 * call or helper needs it, unless the locals in memory are many: rep stosq zeroes
 * all); load the registers of the parameters */
static void emit_prologue(jc *c)
{
    esgx_x64 *a = c->a;
    const esgx_wasm_code *code = c->code;
    x64_alu_ri(a, ALU_SUB, true, X_RSP, 8);
    x64_load(a, false, X_RAX, xm(ST, S_DEPTH));
    x64_alu_rm(a, ALU_CMP, false, X_RAX, xm(ST, S_MAXDEPTH));
    x64_b(a, 0x73);   /* jae slow (rel8) */
    size_t depth_short = a->n;
    x64_b(a, 0);
    /* the frame must fit: rbx + 8 * frame_size <= stack + 8 * stack_cap */
    x64_lea(a, true, X_RAX, xm(FP, (int32_t)((uint64_t)code->frame_size * 8)));
    x64_load(a, false, X_RCX, xm(ST, S_STACKCAP));
    x64_load(a, true, X_RDX, xm(ST, S_STACK));
    x64_lea(a, true, X_RDX, xmi(X_RDX, X_RCX, 8, 0));
    x64_alu_rr(a, ALU_CMP, true, X_RAX, X_RDX);
    x64_b(a, 0x76);   /* jbe fits (rel8) */
    size_t fits = a->n;
    x64_b(a, 0);
    patch8(a, depth_short);
    x64_mov_ri(a, X_RCX, (uint64_t)(uintptr_t)c->th->entry_slow);
    x64_call_r(a, X_RCX);
    patch8(a, fits);
    x64_alu_mi(a, ALU_ADD, false, xm(ST, S_DEPTH), 1);
    uint32_t n = code->n_locals, np = code->n_params;
    uint32_t in_mem = 0;   /* locals without a register */
    for (uint32_t i = 0; i < n; i++) in_mem += pin_of(c, np + i) < 0;
    if (in_mem <= 16) {   /* a local in a register is zeroed there only (not synced) */
        if (in_mem) x64_mov_ri(a, X_RAX, 0);
        for (uint32_t i = 0; i < n; i++) {
            if (pin_of(c, np + i) < 0) x64_store(a, true, slot(np + i), X_RAX);
            else c->sync[np + i] = 0;
        }
    } else {
        x64_lea(a, true, X_RDI, slot(np));
        x64_mov_ri(a, X_RCX, n);
        x64_mov_ri(a, X_RAX, 0);
        x64_b(a, 0xF3);   /* rep stosq */
        x64_b(a, 0x48);
        x64_b(a, 0xAB);
    }
    reload(c, 0, np);
    for (uint32_t i = 0; i < c->n_pinned; i++) {
        uint32_t s = c->pinned[i];
        if (s < np || s >= np + n) continue;
        int p = c->pin[s];
        if (p < 16) x64_mov_ri(a, p, 0);
        else if (p < 32) x64_xorps(a, p - 16, p - 16);
        else if (s + 1 < np + n) x64_xorps(a, p - 32, p - 32);
        else entry_load(c, i);   /* a pair from the last local into the stack */
    }
}

/* Call sites looked back at for a stub to share (bounded: a function of many call
 * sites costs no quadratic time). */
#define STUB_SHARE 64u

/* The slow copy of merged check j: the window's instructions again, from the facts
 * and register state at its start, with a check per access (c->slow); then the
 * registers whose memory copy the fast path takes as current where it joins are
 * written back, and a jump to the join. */
static void slow_copy(jc *c, const struct bjob *j)
{
    esgx_x64 *a = c->a;
    x64_patch_rel(a, j->ja, a->n);
    c->slow = true;
    c->bd = j->pre;
    c->n_win = 0;
    c->last.at = SIZE_MAX;
    for (uint32_t k = 0; k < c->n_pinned; k++) c->sync[c->pinned[k]] = j->sync[k];
    uint32_t at = j->at0;
    for (uint32_t i = j->i0; i <= j->last; i++) {
        const uint32_t *ip = c->w + at;
        int op = c->code->ops[i];
        c->cur = i;
        c->cur_at = at;
        if (!emit_op(c, ip, op, at)) c->oom = true;   /* it compiled once: cannot fail */
        bounds_after(c, ip, op);
        at += esgx_jit_op_width(ip, op);
    }
    for (uint32_t k = 0; k < c->n_pinned; k++) {
        uint32_t s = c->pinned[k];
        if (!j->sync_join[k] || c->sync[s]) continue;
        int p = pin_of(c, s);
        if (p < 16) x64_store(a, true, slot(s), p);
        else x64_movs_store(a, true, slot(s), p - 16);
        c->sync[s] = 1;
    }
    jump_to(c, x64_jmp32(a), at);
}

/* the slow copies, the call stubs, the trap and unwind stubs, then every jump patched */
static int finish(jc *c)
{
    esgx_x64 *a = c->a;
    for (size_t i = 0; i < c->n_jobs; i++) slow_copy(c, &c->jobs[i]);
    for (size_t i = 0; i < c->ncs; i++) {
        /* a callee called from a call site shortly before shares its stub */
        size_t lo = i > STUB_SHARE ? i - STUB_SHARE : 0, j = i;
        bool shared = false;
        while (j > lo && !shared) shared = c->cs[--j].callee == c->cs[i].callee;
        if (shared) {
            c->cs[i].stub = c->cs[j].stub;
            x64_patch_rel(a, c->cs[i].rel, c->cs[i].stub);
        } else {
            call_stub(c, &c->cs[i]);
        }
    }
    vpool_emit(c);
    bool used[33] = {false};
    for (size_t i = 0; i < c->nfx; i++)
        if (c->fx[i].target >= c->n) used[c->fx[i].target - c->n] = true;
    for (uint32_t k = 0; k < 33; k++) {
        if (!used[k]) continue;
        c->nat[c->n + k] = (uint32_t)a->n;
        if (k < 32) {
            x64_mov_ri(a, X_RSI, k);
            x64_mov_ri(a, X_RAX, (uint64_t)(uintptr_t)c->th->trap);
        } else {
            x64_mov_ri(a, X_RAX, (uint64_t)(uintptr_t)c->th->unwind);
        }
        x64_jmp_r(a, X_RAX);
    }
    if (a->failed || c->oom) return ESGX_WASM_E_NOMEM;
    for (size_t i = 0; i < c->nfx; i++) {
        const fixup *f = &c->fx[i];
        uint32_t t = f->target;
        if (t >= c->n + 33 || c->nat[t] == UINT32_MAX) return ESGX_WASM_E_INVALID;
        if (f->base == SIZE_MAX) x64_patch_rel(a, f->at, c->nat[t]);
        else x64_patch32(a, f->at, (uint32_t)(c->nat[t] - f->base));
    }
    return ESGX_OK;
}

/* The ops emit_op has no template for (jit_internal.h): keep in step with it. */
const uint16_t esgx_jit_refused_ops[] = {
    WOP_EXIT,   /* the interpreter's return to its caller: never in a function's code */
};
const size_t esgx_jit_n_refused_ops = sizeof esgx_jit_refused_ops / sizeof esgx_jit_refused_ops[0];

/* Whether code decodes as ops of in-range widths (before jit_alloc reads it); marks
 * c->target at every branch target. */
static bool scan(jc *c)
{
    const uint32_t *w = c->w;
    uint32_t at = 0;
    for (uint32_t i = 0; i < c->code->n_ops; i++) {
        int op = c->code->ops[i];
        if (op >= WOP_COUNT_ || at + ESGX_WASM_OP_HEAD > c->n) return false;
        if (op == WOP_BR_TABLE && at + 4 > c->n) return false;
        uint64_t width = esgx_jit_op_width(w + at, op);
        if (at + width > c->n) return false;
        const char *f = esgx_wasm_iop_format[op];
        for (int k = 0; f[k]; k++) {
            int64_t t = (int64_t)at + (int32_t)w[at + ESGX_WASM_OP_HEAD + k];
            if (f[k] == 'o' && t >= 0 && t < c->n) c->target[t] = 1;
            if (f[k] != 'n') continue;
            for (uint32_t j = 0; j <= w[at + 3]; j++) {
                t = (int64_t)at + (int32_t)w[at + 4 + j];
                if (t >= 0 && t < c->n) c->target[t] = 1;
            }
        }
        at += (uint32_t)width;
    }
    return at == c->n;
}

/* c->pin and c->pinned for the function */
static int pins(jc *c)
{
    uint32_t fs = c->code->frame_size;
    c->pin = malloc(fs ? fs : 1);
    c->sync = malloc(fs ? fs : 1);
    c->pinned = malloc((sizeof pin_gprs + sizeof pin_xmms) * sizeof *c->pinned);
    if (!c->pin || !c->pinned || !c->sync) return ESGX_WASM_E_NOMEM;
    memset(c->sync, 1, fs ? fs : 1);   /* at entry: params loaded, locals zero in both */
    int rc = esgx_jit_alloc(c->code, pin_gprs, (int)sizeof pin_gprs, pin_xmms, (int)sizeof pin_xmms,
                            c->pin);
    if (rc) return rc;
    for (uint32_t s = 0; s < fs; s++) {
        if (c->pin[s] < 0 || c->pin[s] >= 48) continue;   /* a pair: its first slot */
        if (c->pin[s] >= 32) c->wide |= (uint32_t)1 << c->n_pinned;
        c->pinned[c->n_pinned++] = s;
    }
    return ESGX_OK;
}

int esgx_jit_compile(esgx_x64 *a, const esgx_wasm_module *m, const esgx_wasm_code *code,
                     const esgx_jit_env *env, esgx_jit_reloc **rel, size_t *n_rel)
{
    jc c = {.a = a, .m = m, .code = code, .w = code->words, .n = code->n_words,
            .env = env, .th = env->th, .last = {.at = SIZE_MAX}};
    if (rel) {
        *rel = NULL;
        *n_rel = 0;
    }
    c.nat = malloc(((size_t)c.n + 33) * sizeof *c.nat);
    c.target = calloc((size_t)c.n + 1, 1);
    int rc = c.nat && c.target ? ESGX_OK : ESGX_WASM_E_NOMEM;
    if (rc == ESGX_OK && !scan(&c)) rc = ESGX_WASM_E_UNSUPPORTED;
    if (rc == ESGX_OK) {
        c.in_loop = malloc((size_t)c.n + 1);
        rc = c.in_loop ? esgx_jit_loops(code, c.in_loop) : ESGX_WASM_E_NOMEM;
    }
    if (rc == ESGX_OK) rc = pins(&c);
    if (rc == ESGX_OK) {
        c.live = malloc((code->n_ops ? code->n_ops : 1) * sizeof *c.live);
        rc = c.live ? esgx_jit_live(code, c.pinned, c.wide, c.n_pinned, c.live) : ESGX_WASM_E_NOMEM;
    }
    if (rc == ESGX_OK) {
        memset(c.nat, 0xFF, ((size_t)c.n + 33) * sizeof *c.nat);
        emit_prologue(&c);
    }
    for (uint32_t at = 0, i = 0; i < code->n_ops && rc == ESGX_OK; i++) {
        const uint32_t *ip = c.w + at;
        int op = code->ops[i];
        c.nat[at] = (uint32_t)a->n;
        c.cur = i;
        c.cur_at = at;
        if (c.target[at]) {   /* paths meet: no memory copy is known current */
            for (uint32_t k = 0; k < c.n_pinned; k++) c.sync[c.pinned[k]] = 0;
            c.last.at = SIZE_MAX;
            esgx_jit_bounds_reset(&c.bd);
        }
        end_windows(&c, i);
        if (!emit_op(&c, ip, op, at)) rc = ESGX_WASM_E_UNSUPPORTED;
        bounds_after(&c, ip, op);
        if (a->failed || c.oom) rc = ESGX_WASM_E_NOMEM;
        at += esgx_jit_op_width(ip, op);
    }
    if (rc == ESGX_OK) rc = finish(&c);
    if (rc == ESGX_OK && rel && c.ncs) {
        *rel = malloc(c.ncs * sizeof **rel);
        if (!*rel) rc = ESGX_WASM_E_NOMEM;
        for (size_t i = 0; rc == ESGX_OK && i < c.ncs; i++)
            (*rel)[i] = (esgx_jit_reloc){(uint32_t)c.cs[i].rel, c.cs[i].callee};
        if (rc == ESGX_OK) *n_rel = c.ncs;
    }
    free(c.nat);
    free(c.live);
    free(c.cs);
    free(c.fx);
    free(c.pin);
    free(c.pinned);
    free(c.sync);
    free(c.target);
    free(c.pool);
    free(c.pool_fx);
    free(c.jobs);
    free(c.in_loop);
    return rc;
}
