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

/* ---- slot operands: in memory ([rbx + 8*slot]) or in their register (c->pin) */

/* The scalar register of slot s (0-15 a GPR, 16 + n xmm n), or -1: in memory, or half
 * of a v128 in a register (vhalf; the operand helpers below handle both). */
static int pin_of(const jc *c, uint32_t s)
{
    return c->pin[s] < 32 ? c->pin[s] : -1;
}

/* Whether slot s is half of a v128 pair in a register: 0 the low half, 1 the high
 * half, *x its xmm register; -1 if not. */
static int vhalf(const jc *c, uint32_t s, int *x)
{
    int p = c->pin[s];
    if (p < 32) return -1;
    *x = (p - 32) & 15;
    return p >= 48;
}

/* The xmm register holding the v128 pair from slot s whole, or -1. */
static int vpair(const jc *c, uint32_t s)
{
    int p = c->pin[s];
    return p >= 32 && p < 48 ? p - 32 : -1;
}

/* Slot s in a register was written: its entry's memory copy is stale. */
static void dirty(jc *c, uint32_t s)
{
    c->sync[c->pin[s] >= 48 ? s - 1 : s] = 0;
}

/* SSE moves between a v128 register's halves and GPRs or other xmm registers:
 * pextrq / pextrd r, x, lane; pinsrq x, r, lane; movlhps d, s (d's high half = s's
 * low half); hi64 d, s (d = s's high half: pshufd, which writes all of d, so that it
 * does not wait for d's last writer as movhlps would). */
static void x64_pextr(esgx_x64 *a, bool w64, int r, int x, uint8_t lane)
{
    X_OP3(a, 0x66, w64 ? XW : 0, 0x0F, 0x3A, 0x16, x, r, NULL);
    x64_b(a, lane);
}

static void x64_pinsrq(esgx_x64 *a, int x, int r, uint8_t lane)
{
    X_OP3(a, 0x66, XW, 0x0F, 0x3A, 0x22, x, r, NULL);
    x64_b(a, lane);
}

static void x64_hi64(esgx_x64 *a, int d, int s)
{
    X_OP2(a, 0x66, 0, 0x0F, 0x70, d, s, NULL);
    x64_b(a, 0xEE);
}

static void x64_movlhps(esgx_x64 *a, int d, int s)
{
    X_OP2(a, 0, 0, 0x0F, 0x16, d, s, NULL);
}

/* movdqu xmm, [m] / movdqu [m], xmm */
static void x64_movdqu_load(esgx_x64 *a, int x, x64_mem m)
{
    X_OP2(a, 0xF3, 0, 0x0F, 0x6F, x, 0, &m);
}

static void x64_movdqu_store(esgx_x64 *a, x64_mem m, int x)
{
    X_OP2(a, 0xF3, 0, 0x0F, 0x7F, x, 0, &m);
}

/* Records that the store just emitted put register reg in slot s (kind LAST_*; an
 * xmm register is recorded as 16 + n, so GPR and xmm numbers never collide). */
static void stored(jc *c, uint32_t s, int reg, uint8_t kind)
{
    c->last.at = c->a->n;
    c->last.slot = s;
    c->last.reg = (int8_t)reg;
    c->last.kind = kind;
}

/* Whether slot s was stored by the instruction just emitted (its register still
 * holds it). */
static bool just_stored(const jc *c, uint32_t s)
{
    return c->last.at == c->a->n && c->last.slot == s;
}

/* After a copy out of the recorded register into dst (16 + n for xmm n): the record
 * stays valid unless dst is that register. */
static void still_stored(jc *c, int dst)
{
    if (dst != c->last.reg) c->last.at = c->a->n;
}

/* r = slot s: 64 bits, or (w64 false) its low 32 bits zero-extended */
static void ld(jc *c, bool w64, int r, uint32_t s)
{
    int v, h = vhalf(c, s, &v);
    if (h == 0) {
        x64_movq_rx(c->a, w64, r, v);
        return;
    }
    if (h == 1) {
        x64_pextr(c->a, w64, r, v, w64 ? 1 : 2);
        return;
    }
    int p = pin_of(c, s);
    if (p < 0 && just_stored(c, s)) {
        int q = c->last.reg;
        if (c->last.kind == LAST_GPR) {
            if (r != q || !w64) x64_mov_rr(c->a, w64, r, q);
        } else {
            x64_movq_rx(c->a, w64, r, q - 16);
        }
        still_stored(c, r);
        return;
    }
    if (p < 0) x64_load(c->a, w64, r, slot(s));
    else if (p < 16) x64_mov_rr(c->a, w64, r, p);
    else x64_movq_rx(c->a, w64, r, p - 16);
}

/* slot s = r (64 bits: an i32 result is already zero-extended) */
static void st(jc *c, uint32_t s, int r)
{
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {
        x64_pinsrq(c->a, v, r, (uint8_t)h);
        dirty(c, s);
        return;
    }
    int p = pin_of(c, s);
    if (p >= 0) c->sync[s] = 0;
    if (p < 0) {
        x64_store(c->a, true, slot(s), r);
        stored(c, s, r, LAST_GPR);
    } else if (p < 16) {
        x64_mov_rr(c->a, true, p, r);
    } else {
        x64_movq_xr(c->a, true, p - 16, r);
    }
}

/* xmm x = float slot s (f32: the low 32 bits) */
static void ldf(jc *c, bool dbl, int x, uint32_t s)
{
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {   /* the low 64 bits of x: the half (what lies above is not read) */
        if (h) x64_hi64(c->a, x, v);
        else if (x != v) x64_movaps(c->a, x, v);
        return;
    }
    int p = pin_of(c, s);
    if (p < 0 && just_stored(c, s)) {
        int q = c->last.reg;
        if (c->last.kind == LAST_GPR) x64_movq_xr(c->a, dbl, x, q);
        else if (x != q - 16) x64_movaps(c->a, x, q - 16);
        still_stored(c, x + 16);
        return;
    }
    if (p < 0) x64_movs_load(c->a, dbl, x, slot(s));
    else if (p < 16) x64_movq_xr(c->a, dbl, x, p);
    else x64_movaps(c->a, x, p - 16);
}

/* float slot s = xmm x; an f32 slot keeps its upper 32 bits zero (in an xmm register
 * too: bits 32-63 are what a 64-bit read of the slot sees) */
static void stf(jc *c, bool dbl, uint32_t s, int x)
{
    esgx_x64 *a = c->a;
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {
        if (dbl && h) x64_movlhps(a, v, x);
        else if (dbl) x64_sse_rr(a, true, SSE_MOVS, v, x);   /* movsd: the low 64 bits */
        else {
            x64_movq_rx(a, false, X_RAX, x);
            x64_pinsrq(a, v, X_RAX, (uint8_t)h);
        }
        dirty(c, s);
        return;
    }
    int p = pin_of(c, s);
    if (p >= 0) c->sync[s] = 0;
    if (p < 0) {
        if (dbl) {
            x64_movs_store(a, true, slot(s), x);
            stored(c, s, x + 16, LAST_XMM64);
        } else {
            x64_movq_rx(a, false, X_RAX, x);
            x64_store(a, true, slot(s), X_RAX);
            stored(c, s, X_RAX, LAST_GPR);
        }
    } else if (p < 16) {
        x64_movq_rx(a, dbl, p, x);
    } else if (dbl) {
        x64_movaps(a, p - 16, x);
    } else {
        x64_xorps(a, p - 16, p - 16);
        x64_sse_rr(a, false, SSE_MOVS, p - 16, x);   /* movss: the low 32 bits */
    }
}

/* The slot as an integer r/m operand: its GPR, or memory, or (in an xmm) copied to
 * the operand scratch T_GPR. *m is filled for memory; returns the register or -1. */
static int iopnd(jc *c, uint32_t s, x64_mem *m)
{
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {
        ld(c, true, T_GPR, s);
        return T_GPR;
    }
    int p = pin_of(c, s);
    if (p < 0 && just_stored(c, s) && c->last.kind == LAST_GPR) return c->last.reg;
    if (p < 0) {
        *m = slot(s);
        return -1;
    }
    if (p < 16) return p;
    x64_movq_rx(c->a, true, T_GPR, p - 16);
    return T_GPR;
}

/* r op= slot s (ALU) */
static void alu_s(jc *c, int alu, bool w64, int r, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_alu_rm(c->a, alu, w64, r, m);
    else x64_alu_rr(c->a, alu, w64, r, p);
}

static void imul_s(jc *c, bool w64, int r, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_imul_rm(c->a, w64, r, m);
    else x64_imul_rr(c->a, w64, r, p);
}

static void cmov_s(jc *c, int cc, int r, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_cmov_rm(c->a, cc, true, r, m);
    else x64_cmov_rr(c->a, cc, true, r, p);
}

/* flags of slot s compared with 0 */
static void cmp0_s(jc *c, bool w64, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_alu_mi(c->a, ALU_CMP, w64, m, 0);
    else x64_test_rr(c->a, w64, p, p);
}

/* r = sign/zero extension of slot s (x64_load_ext kinds) */
static void ext_s(jc *c, int kind, bool w64, int r, uint32_t s)
{
    x64_mem m;
    int p = iopnd(c, s, &m);
    if (p < 0) x64_load_ext(c->a, kind, w64, r, m);
    else x64_ext_rr(c->a, kind, w64, r, p);
}

/* xmm x op= float slot s (scalar SSE op) */
static void sse_s(jc *c, bool dbl, uint8_t op, int x, uint32_t s)
{
    int v, h = vhalf(c, s, &v);
    if (h >= 0) {
        if (h) x64_hi64(c->a, T_XMM, v);
        x64_sse_rr(c->a, dbl, op, x, h ? T_XMM : v);
        return;
    }
    int p = pin_of(c, s);
    if (p < 0 && just_stored(c, s) && c->last.kind != LAST_GPR) {
        x64_sse_rr(c->a, dbl, op, x, c->last.reg - 16);
        return;
    }
    if (p < 0) {
        x64_sse_rm(c->a, dbl, op, x, slot(s));
    } else if (p >= 16) {
        x64_sse_rr(c->a, dbl, op, x, p - 16);
    } else {
        x64_movq_xr(c->a, dbl, T_XMM, p);
        x64_sse_rr(c->a, dbl, op, x, T_XMM);
    }
}

/* Entry i of c->pinned written to its memory / read from it: a GPR, a scalar in an
 * xmm register (64 bits), or a v128 pair (16 bytes). */
static void entry_store(jc *c, uint32_t i)
{
    uint32_t s = c->pinned[i];
    int p = c->pin[s];
    if (p < 16) x64_store(c->a, true, slot(s), p);
    else if (p < 32) x64_movs_store(c->a, true, slot(s), p - 16);
    else x64_movdqu_store(c->a, slot(s), p - 32);
    c->sync[s] = 1;
}

static void entry_load(jc *c, uint32_t i)
{
    uint32_t s = c->pinned[i];
    int p = c->pin[s];
    if (p < 16) x64_load(c->a, true, p, slot(s));
    else if (p < 32) x64_movs_load(c->a, true, p - 16, slot(s));
    else x64_movdqu_load(c->a, p - 32, slot(s));
    c->sync[s] = 1;
}

/* Whether entry i overlaps the slots [lo, hi). */
static bool entry_in(const jc *c, uint32_t i, uint32_t lo, uint32_t hi)
{
    uint32_t s = c->pinned[i];
    return s < hi && s + (c->wide >> i & 1) >= lo;
}

/* Writes the registers of the slots in [lo, hi) to memory / reads them back: around
 * calls and helpers, which see the frame in memory (a v128 pair whole if either of
 * its slots is in the range). A register whose memory copy is current (c->sync:
 * nothing wrote it since the last write-back or reload, and no branch target came in
 * between) is not written again. */
static void spill(jc *c, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = 0; i < c->n_pinned; i++)
        if (entry_in(c, i, lo, hi) && !c->sync[c->pinned[i]]) entry_store(c, i);
}

static void reload(jc *c, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = 0; i < c->n_pinned; i++)
        if (entry_in(c, i, lo, hi)) entry_load(c, i);
}

/* Around a call from the current instruction with argument base `base` (the callee's
 * frame starts there and overlaps every slot above): before it, the registers of the
 * slots below base that are live after the call (esgx_jit_live) and changed since
 * their last write-back are written back, and those of the arguments [base, args_end)
 * and of slot `also` (UINT32_MAX: none), which the callee or a helper reads; after it,
 * only the live slots are read again (a result, or a value written back before or
 * never changed). A dead slot's register is left as the call leaves it: it is written
 * before it is read again. */
static void spill_call(jc *c, uint32_t base, uint32_t args_end, uint32_t also)
{
    uint32_t lv = c->live[c->cur];
    for (uint32_t i = 0; i < c->n_pinned; i++) {
        uint32_t s = c->pinned[i];
        if (c->sync[s]) continue;
        bool need = ((lv >> i & 1) && s < base) || entry_in(c, i, base, args_end) ||
                    (also != UINT32_MAX && entry_in(c, i, also, also + 1));
        if (need) entry_store(c, i);
    }
}

/* (in_rax: a slot whose value rax holds as well, the result of a direct call;
 * UINT32_MAX: none) */
static void reload_call(jc *c, uint32_t in_rax)
{
    uint32_t lv = c->live[c->cur];
    for (uint32_t i = 0; i < c->n_pinned; i++) {
        uint32_t s = c->pinned[i];
        c->sync[s] = 1;
        if (!(lv >> i & 1)) continue;
        int p = c->pin[s];
        if (s == in_rax && p < 16) x64_mov_rr(c->a, true, p, X_RAX);
        else if (s == in_rax && p < 32) x64_movq_xr(c->a, true, p - 16, X_RAX);
        else entry_load(c, i);
    }
}

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

/* loads and stores: ea = u32(slot a [+ imm]) + offset, checked against r13 (ea + size
 * > memory size traps); returns the access operand [r12 + index + disp]. An address in
 * its register is used as the index directly (an i32 slot is zero-extended). */
static x64_mem mem_ea(jc *c, uint32_t addr_slot, bool folded, uint32_t add, uint32_t offset,
                      unsigned size)
{
    esgx_x64 *a = c->a;
    int idx = pin_of(c, addr_slot);
    if ((folded && add) || idx < 0 || idx >= 16) {
        ld(c, false, X_RAX, addr_slot);
        if (folded && add) x64_alu_ri(a, ALU_ADD, false, X_RAX, (int32_t)add);
        idx = X_RAX;
    }
    int32_t disp = 0;
    if (offset <= (uint32_t)INT32_MAX - 16) {
        disp = (int32_t)offset;
    } else {
        if (idx != X_RAX) x64_mov_rr(a, true, X_RAX, idx);
        x64_mov_ri(a, X_RCX, offset);
        x64_alu_rr(a, ALU_ADD, true, X_RAX, X_RCX);
        idx = X_RAX;
    }
    x64_lea(a, true, X_RCX, xm(idx, disp + (int32_t)size));
    x64_alu_rr(a, ALU_CMP, true, X_RCX, MSIZE);
    jcc_trap(c, CC_A, ESGX_WASM_TRAP_MEMORY_OOB);
    return xmi(MEM, idx, 1, disp);
}

/* Largest displacement of an access operand (with room for its size). */
#define DISP_MAX ((uint64_t)INT32_MAX - 16)

/* A merged check's window opens at the current instruction up to instruction last:
 * its job (the slow copy, emitted by finish) and the window. false if either table is
 * full (then no merged check). */
static bool open_window(jc *c, uint32_t last)
{
    if (c->n_win == sizeof c->win / sizeof c->win[0]) return false;
    if (c->n_jobs == c->cap_jobs) {
        size_t nc = c->cap_jobs ? c->cap_jobs * 2 : 16;
        struct bjob *nj = realloc(c->jobs, nc * sizeof *nj);
        if (!nj) {
            c->oom = true;
            return false;
        }
        c->jobs = nj;
        c->cap_jobs = nc;
    }
    struct bjob *j = &c->jobs[c->n_jobs];
    j->i0 = c->cur;
    j->at0 = c->cur_at;
    j->last = last;
    j->pre = c->bd;
    for (uint32_t k = 0; k < c->n_pinned; k++) j->sync[k] = c->sync[c->pinned[k]];
    c->win[c->n_win].last = last;
    c->win[c->n_win].job = c->n_jobs;
    c->win[c->n_win].pre = c->bd;
    c->n_win++;
    c->n_jobs++;
    return true;
}

/* Before instruction i (after a branch target's reset): the windows that ended join
 * their slow copies here. The facts kept are those that hold on both paths, the
 * memory copies of the registers are recorded for the slow copy to match, and no
 * register is known to hold the slot stored last (the slow copy's may differ). */
static void end_windows(jc *c, uint32_t i)
{
    uint32_t n = 0;
    for (uint32_t w = 0; w < c->n_win; w++) {
        if (c->win[w].last >= i) {
            c->win[n++] = c->win[w];
            continue;
        }
        struct bjob *j = &c->jobs[c->win[w].job];
        for (uint32_t k = 0; k < c->n_pinned; k++) j->sync_join[k] = c->sync[c->pinned[k]];
        esgx_jit_bounds_meet(&c->bd, &c->win[w].pre);
        c->last.at = SIZE_MAX;
    }
    c->n_win = n;
}

/* The facts after instruction ip (op) was emitted, on the path being emitted and on
 * the slow copies of the open windows. */
static void bounds_after(jc *c, const uint32_t *ip, int op)
{
    esgx_jit_bounds_after(&c->bd, ip, op);
    for (uint32_t w = 0; w < c->n_win; w++) esgx_jit_bounds_after(&c->win[w].pre, ip, op);
}

/* Scalar loads and stores: the operand of the access at u32(u32(slot) + add) + off of
 * size bytes, checked as needed (jit_bounds.c has the facts):
 * - proven in bounds by an earlier check (of slot, or of the base slot it is an alias
 *   of): no check, and the address is [r12 + slot's register + add + off] (no wrap);
 * - else, when later accesses off the same base in the window ahead need a check of
 *   their own, one merged check of the largest extent (k + add + off + size from the
 *   base) covers them all: `lea rcx, [base + h]; cmp rcx, r13; ja slow_copy`. When it
 *   fails the slow copy runs the window's instructions with a check per access, so a
 *   trap comes at the same access after the same stores as in the interpreter (or
 *   none: an add that wraps), and it joins the fast path after the window;
 * - else the access's own check (mem_ea), which also proves the slot when no add
 *   could wrap. */
static x64_mem access_ea(jc *c, uint32_t slot, bool folded, uint32_t add, uint32_t off,
                         unsigned size)
{
    esgx_x64 *a = c->a;
    uint32_t base;
    uint64_t k;
    esgx_jit_bounds_resolve(&c->bd, slot, &base, &k);
    uint64_t disp = (uint64_t)add + off, need = disp + size;
    uint64_t have = esgx_jit_bounds_proven(&c->bd, base);
    bool known = esgx_jit_bounds_proven(&c->bd, slot) >= need || (base != slot && have >= k + need);
    bool rax_base = false;
    if (!known && !c->slow && k + need <= DISP_MAX) {
        uint64_t floor = have;
        if (k + add == 0 && need > floor) floor = need;
        uint32_t last;
        bool pure;
        uint64_t h = esgx_jit_bounds_window(c->code, c->target, c->cur, c->cur_at, &c->bd,
                                            base, floor, DISP_MAX, &last, &pure);
        if (last > c->cur && (pure || (c->in_loop[c->cur_at] && open_window(c, last)))) {
            int r = pin_of(c, base);
            if (r < 0 || r >= 16) {
                ld(c, false, X_RAX, base);
                r = X_RAX;
                rax_base = true;
            }
            x64_lea(a, true, X_RCX, xm(r, (int32_t)h));
            x64_alu_rr(a, ALU_CMP, true, X_RCX, MSIZE);
            if (pure) jcc_trap(c, CC_A, ESGX_WASM_TRAP_MEMORY_OOB);
            else c->jobs[c->n_jobs - 1].ja = x64_jcc32(a, CC_A);
            esgx_jit_bounds_prove(&c->bd, base, h);
            known = true;
        }
    }
    if (!known) {
        x64_mem m = mem_ea(c, slot, folded, add, off, size);
        if (add == 0) esgx_jit_bounds_prove(&c->bd, slot, need);
        return m;
    }
    int idx, ps = pin_of(c, slot), pb = pin_of(c, base);
    if (rax_base) {
        idx = X_RAX;
        disp += k;
    } else if (ps >= 0 && ps < 16) {
        idx = ps;
    } else if (pb >= 0 && pb < 16) {
        idx = pb;
        disp += k;
    } else {
        ld(c, false, X_RAX, slot);
        idx = X_RAX;
    }
    if (disp > DISP_MAX) {
        if (idx != X_RAX) x64_mov_rr(a, true, X_RAX, idx);
        x64_mov_ri(a, X_RCX, disp);
        x64_alu_rr(a, ALU_ADD, true, X_RAX, X_RCX);
        idx = X_RAX;
        disp = 0;
    }
    return xmi(MEM, idx, 1, (int32_t)disp);
}

/* a load of kind k (LOAD_*): size, extension (x64_load_ext kind, or -1 plain), 64-bit
 * result */
static void emit_load(jc *c, const uint32_t *ip, int k, bool folded)
{
    static const struct { uint8_t size; int8_t ext; bool w64; } L[LOAD_COUNT_] = {
        [LOAD_32] = {4, -1, false}, [LOAD_64] = {8, -1, true},
        [LOAD_8S32] = {1, EXT_SX8, false}, [LOAD_8U] = {1, EXT_ZX8, false},
        [LOAD_16S32] = {2, EXT_SX16, false}, [LOAD_16U] = {2, EXT_ZX16, false},
        [LOAD_8S64] = {1, EXT_SX8, true}, [LOAD_16S64] = {2, EXT_SX16, true},
        [LOAD_32S64] = {4, EXT_SX32, true}};
    uint32_t off = folded ? O(3) : O(2);
    x64_mem m = access_ea(c, O(1), folded, folded ? O(2) : 0, off, L[k].size);
    int p = pin_of(c, O(0));
    if (L[k].ext < 0 && p >= 16) {   /* an f32/f64 (or i32/i64) into its xmm: movss/movsd
                                      * zero the bits above the value, as a slot's */
        x64_movs_load(c->a, L[k].size == 8, p - 16, m);
        c->sync[O(0)] = 0;
        return;
    }
    int r = p >= 0 && p < 16 ? p : X_RAX;   /* straight into its GPR */
    if (L[k].ext < 0) x64_load(c->a, L[k].w64, r, m);
    else x64_load_ext(c->a, L[k].ext, L[k].w64, r, m);
    if (r == X_RAX) st(c, O(0), X_RAX);
    else c->sync[O(0)] = 0;
}

/* a store of kind k (STORE_*) */
static void emit_store(jc *c, const uint32_t *ip, int k, bool folded)
{
    static const uint8_t size[STORE_COUNT_] = {[STORE_8] = 1, [STORE_16] = 2, [STORE_32] = 4,
                                               [STORE_64] = 8};
    uint32_t off = folded ? O(3) : O(2);
    int p = pin_of(c, O(1)), r = p;
    if (size[k] >= 4 && p >= 16) {   /* straight from its xmm */
        x64_mem m = access_ea(c, O(0), folded, folded ? O(2) : 0, off, size[k]);
        x64_movs_store(c->a, size[k] == 8, m, p - 16);
        return;
    }
    /* straight from its GPR, else from rdx, loaded before the address (which
     * clobbers rax and rcx, and would end a forward of the value stored just before) */
    if (p < 0 || p >= 16) {
        ld(c, true, X_RDX, O(1));
        r = X_RDX;
    }
    x64_mem m = access_ea(c, O(0), folded, folded ? O(2) : 0, off, size[k]);
    switch (k) {
    case STORE_8: x64_store8(c->a, m, r); break;
    case STORE_16: x64_store16(c->a, m, r); break;
    case STORE_32: x64_store(c->a, false, m, r); break;
    default: x64_store(c->a, true, m, r); break;
    }
}

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

/* A direct call (CALL "PPs"): the arguments and the live registers written back, the
 * frame moved to the callee's, a native call (rel32: to the callee once jit.c has
 * placed both, else to a stub that calls through entries[] or the lazy helper,
 * call_stub), the frame moved back (the callee returns rbx as its own frame, which
 * moved if it grew the value stack), memory 0 reloaded only if the callee may grow
 * it, the live registers read again. The callee's entry checks depth and stack. */
static void emit_call(jc *c, const uint32_t *ip)
{
    esgx_x64 *a = c->a;
    const esgx_wasm_code *callee;
    memcpy(&callee, ip + 2, sizeof callee);
    uint32_t argbase = O(2);
    const esgx_wasm_compiled *cm = c->m->compiled;
    uint32_t idx = (uint32_t)(callee - cm->codes);
    spill_call(c, argbase, argbase + callee->n_params, UINT32_MAX);
    x64_lea(a, true, FP, xm(FP, (int32_t)(argbase * 8)));
    x64_b(a, 0xE8);   /* call rel32 */
    size_t rel = a->n;
    x64_d32(a, 0);
    if (c->ncs == c->capcs) {
        size_t nc = c->capcs ? c->capcs * 2 : 16;
        struct callsite *np = realloc(c->cs, nc * sizeof *np);
        if (!np) {
            c->oom = true;
            return;
        }
        c->cs = np;
        c->capcs = nc;
    }
    c->cs[c->ncs++] = (struct callsite){rel, idx, callee, 0};
    x64_lea(a, true, FP, xm(FP, -(int32_t)(argbase * 8)));
    bool grows = !c->env->grows || idx >= c->m->n_funcs || c->env->grows[idx];
    /* a result of one slot comes back in rax as well (RET0, RET1, the stub) unless
     * load_mem takes rax */
    if (grows) load_mem(a);
    reload_call(c, callee->n_results == 1 && !grows ? argbase : UINT32_MAX);
}

/* The stub of a direct call site (entered by its `call`, the callee's frame in rbx):
 * jumps to the callee's code once compiled; else asks esgx_jit_call_lazy, which
 * compiles it (jump there) or interprets it (return to the call site). */
static void call_stub(jc *c, struct callsite *cs)
{
    esgx_x64 *a = c->a;
    cs->stub = a->n;
    x64_patch_rel(a, cs->rel, a->n);
    x64_mov_ri(a, X_RAX, (uint64_t)(uintptr_t)&c->env->entries[cs->callee]);
    x64_load(a, true, X_RAX, xm(X_RAX, 0));
    x64_test_rr(a, true, X_RAX, X_RAX);
    size_t lazy = x64_jcc32(a, CC_E);
    x64_jmp_r(a, X_RAX);
    x64_patch_rel(a, lazy, a->n);
    x64_alu_ri(a, ALU_SUB, true, X_RSP, 8);   /* 16-byte aligned for the helper */
    x64_store(a, true, xm(ST, S_FUEL), FUEL);
    x64_mov_rr(a, true, X_RDI, ST);
    x64_mov_ri(a, X_RSI, (uint64_t)(uintptr_t)cs->code);
    x64_mov_rr(a, true, X_RDX, FP);
    call_abs(a, (const void *)esgx_jit_call_lazy);
    x64_alu_ri(a, ALU_ADD, true, X_RSP, 8);
    x64_load(a, true, FUEL, xm(ST, S_FUEL));
    x64_test_rr(a, true, X_RAX, X_RAX);
    jcc_unwind(c, CC_E);
    x64_alu_ri(a, ALU_CMP, true, X_RAX, 1);
    size_t native = x64_jcc32(a, CC_NE);
    x64_load(a, true, FP, xm(ST, S_FP));      /* interpreted: the callee's frame */
    if (cs->code->n_results == 1)             /* and its result, as a return leaves it */
        x64_load(a, true, X_RAX, xm(FP, 0));
    x64_ret(a);
    x64_patch_rel(a, native, a->n);
    x64_jmp_r(a, X_RAX);
}

/* CALL_IMPORT / CALL_INDIRECT: the helper finds the callee (and runs it unless it is
 * compiled code, which is called here, on its own instance). */
static void emit_call_obj(jc *c, const uint32_t *ip, bool indirect)
{
    esgx_x64 *a = c->a;
    uint32_t argbase = indirect ? O(2) : O(1);
    spill_call(c, argbase, UINT32_MAX, indirect ? O(3) : UINT32_MAX);
    x64_store(a, true, xm(ST, S_FUEL), FUEL);
    x64_mov_rr(a, true, X_RDI, ST);
    x64_mov_rr(a, true, X_RSI, FP);
    x64_mov_ri(a, X_RDX, (uint64_t)(uintptr_t)ip);
    x64_mov_ri(a, X_RCX, indirect);
    call_abs(a, (const void *)esgx_jit_call_obj);
    x64_load(a, true, FUEL, xm(ST, S_FUEL));
    x64_test_rr(a, true, X_RAX, X_RAX);
    jcc_unwind(c, CC_E);
    x64_load(a, true, FP, xm(ST, S_FP));
    x64_alu_ri(a, ALU_CMP, true, X_RAX, 1);
    size_t done = x64_jcc32(a, CC_E);
    push_m(a, xm(ST, S_CALLER));              /* with the 8 below: 16-byte aligned */
    x64_alu_ri(a, ALU_SUB, true, X_RSP, 8);
    x64_mov_rr(a, true, X_RSI, X_RAX);
    load_mem(a);                              /* the callee's instance's memory */
    x64_lea(a, true, FP, xm(FP, (int32_t)(argbase * 8)));
    x64_call_r(a, X_RSI);
    x64_lea(a, true, FP, xm(FP, -(int32_t)(argbase * 8)));
    x64_alu_ri(a, ALU_ADD, true, X_RSP, 8);
    x64_pop(a, X_RAX);
    x64_store(a, true, xm(ST, S_INST), X_RAX);
    x64_patch_rel(a, done, a->n);
    load_mem(a);
    reload_call(c, UINT32_MAX);
}

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
