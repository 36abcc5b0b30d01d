/*
 * interp.c: the interpreter of the internal code made by compile.c (see wasm_exec.h).
 *
 * Dispatch is direct threading: each instruction starts with the address of its
 * handler (a label of run(), taken with GCC's labels-as-values), so going to the next
 * instruction is one load and one indirect jump. The handlers are in one function so
 * the frame pointer, instruction pointer, memory base and size, and remaining fuel
 * stay in registers.
 *
 * Calls between wasm functions do not recurse on the C stack: a call pushes a
 * esgx_wasm_frame (return address, caller frame offset, caller instance) on the store's
 * frame array and jumps to the callee; return pops it. Both the frame array and the
 * value stack grow on demand up to max_call_depth / max_value_stack, beyond which the
 * call traps with "call stack exhausted". Only host functions that call back into
 * wasm recurse, at most ESGX_WASM_MAX_NEST deep.
 *
 * Memory accesses are bounds-checked explicitly (no guard pages, no signals: this
 * runs in an enclave): effective address = 32-bit address + offset in 64 bits,
 * compared once against the cached memory size.
 *
 * SIMD: the handlers of the v128 ops are in interp_simd.h, included inside run() (they
 * are labels of its computed goto), on the vector types of simd_lanes.h.
 *
 * Floats are computed in C float/double (SSE on x86-64, no x87, no fast-math);
 * neg/abs/copysign work on bits; min/max/nearest and the float->int conversions follow
 * the spec exactly, including NaN and signed-zero cases.
 */
#include "wasm_exec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__FAST_MATH__)
#error "the wasm interpreter must not be built with -ffast-math"
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#include "wasm_float.h"
#include "simd_lanes.h"

/* ------------------------------------------------------------------ host calls */

/* Calls host function f with its arguments at stack slot offset off; writes the
 * results there. The stack may move (re-entry), hence the offset. */
int esgx_wasm_exec_host_invoke(esgx_wasm_store *s, esgx_wasm_instance *caller,
                               esgx_wasm_func_obj *f, uint32_t off)
{
    esgx_wasm_value abuf[16], rbuf[16];
    uint32_t np = f->type.n_params, nr = f->type.n_results;
    esgx_wasm_value *args = np <= 16 ? abuf : malloc(np * sizeof *args);
    esgx_wasm_value *res = nr <= 16 ? rbuf : calloc(nr, sizeof *res);
    if (!args || !res) {
        if (args != abuf) free(args);
        if (res != rbuf) free(res);
        return esgx_wasm_store_trap(s, ESGX_WASM_TRAP_HOST, "out of memory");
    }
    for (uint32_t i = 0, k = 0; i < np; i++)
        k += esgx_wasm_slots_to_value(&s->stack[off + k], f->type.params[i], &args[i]);
    for (uint32_t i = 0; i < nr; i++) {
        memset(&res[i], 0, sizeof res[i]);
        res[i].type = f->type.results[i];
    }
    esgx_wasm_ctx ctx = {s, caller};
    s->trap = ESGX_WASM_TRAP_NONE;
    int r = f->host(&ctx, args, res, f->env);
    int rc = ESGX_OK;
    if (r != 0) {
        if (s->trap == ESGX_WASM_TRAP_NONE)
            esgx_wasm_store_trap(s, ESGX_WASM_TRAP_HOST, "host function failed");
        rc = ESGX_WASM_E_TRAP;
    } else {
        for (uint32_t i = 0, k = 0; i < nr; i++) {
            res[i].type = f->type.results[i];   /* the declared type decides the width */
            k += esgx_wasm_value_to_slots(&res[i], &s->stack[off + k]);
        }
    }
    /* arguments and results are guest values: wiped (heap or stack copies) */
    if (args != abuf) esgx_wasm_free_wiped(args, np * sizeof *args);
    else explicit_bzero(abuf, np * sizeof *args);
    if (res != rbuf) esgx_wasm_free_wiped(res, nr * sizeof *res);
    else explicit_bzero(rbuf, nr * sizeof *res);
    return rc;
}

/* Grows the value stack so that `need` slots exist; false if the limit forbids. */
bool esgx_wasm_exec_stack_reserve(esgx_wasm_store *s, uint64_t need)
{
    if (need <= s->stack_cap) return true;
    if (need > s->limits.max_value_stack) return false;
    uint64_t ncap = s->stack_cap ? s->stack_cap : 4096;
    while (ncap < need) ncap *= 2;
    if (ncap > s->limits.max_value_stack) ncap = s->limits.max_value_stack;
    /* the old stack holds guest values: moved and wiped, never left in freed heap */
    uint64_t *ns = esgx_wasm_realloc_wiped(s->stack, (size_t)s->stack_cap * sizeof *ns,
                                           (size_t)s->stack_cap * sizeof *ns,
                                           ncap * sizeof *ns);
    if (!ns) return false;
    s->stack = ns;
    s->stack_cap = (uint32_t)ncap;
    return true;
}

bool esgx_wasm_exec_frames_reserve(esgx_wasm_store *s, uint32_t need)
{
    if (need <= s->frames_cap) return true;
    if (need > s->limits.max_call_depth) return false;
    uint64_t ncap = s->frames_cap ? (uint64_t)s->frames_cap * 2 : 256;
    if (ncap < need) ncap = need;
    if (ncap > s->limits.max_call_depth) ncap = s->limits.max_call_depth;
    esgx_wasm_frame *nf = realloc(s->frames, ncap * sizeof *nf);
    if (!nf) return false;
    s->frames = nf;
    s->frames_cap = (uint32_t)ncap;
    return true;
}

/* ------------------------------------------------------------------ the interpreter */

static int run(esgx_wasm_store *s, esgx_wasm_instance *inst, const uint32_t *ip, uint32_t fp_off,
               const void *const **tbl_out)
{
#define OPX(n, f, k) [WOP_##n] = &&L_##n,
    static const void *const tbl[WOP_COUNT_] = {ESGX_WASM_OPS};
#undef OPX
    if (tbl_out) {
        *tbl_out = tbl;
        return 0;
    }

    uint64_t *stk = s->stack;
    uint64_t *stack_end = stk + s->stack_cap;
    uint64_t *fp = stk + fp_off;
    esgx_wasm_frame *frames = s->frames;
    uint32_t depth = s->depth;
    uint32_t frames_cap = s->frames_cap;
    const uint32_t entry_depth = depth;  /* the sentinel frame is at entry_depth - 1 */
    uint64_t fuel = s->fuel;
    uint8_t *mem = inst->mem->data;
    uint64_t memsize = inst->mem->size;
    esgx_wasm_trap tk = ESGX_WASM_TRAP_NONE;
    const char *tmsg = NULL;
    /* call state shared by the call handlers */
    const esgx_wasm_code *callee = NULL;
    esgx_wasm_instance *new_inst = NULL;
    esgx_wasm_func_obj *fobj = NULL;
    uint32_t argbase = 0;
    const uint32_t *ret_ip = NULL;

#define DISPATCH                                                                     \
    do {                                                                             \
        const void *h_;                                                              \
        memcpy(&h_, ip, sizeof h_);                                                  \
        goto *h_;                                                                    \
    } while (0)
#define NEXT(k)                                                                      \
    do {                                                                             \
        ip += (k);                                                                   \
        DISPATCH;                                                                    \
    } while (0)
#define O(k) ip[2 + (k)]
#define S(k) fp[O(k)]
#define U32(k) ((uint32_t)S(k))
#define I32V(k) ((int32_t)(uint32_t)S(k))
#define F32(k) f32_of(S(k))
#define F64(k) f64_of(S(k))
#define TRAP(kind, msg)                                                              \
    do {                                                                             \
        tk = (kind);                                                                 \
        tmsg = (msg);                                                                \
        goto trap;                                                                   \
    } while (0)
#define RELOAD_MEM                                                                   \
    do {                                                                             \
        mem = inst->mem->data;                                                       \
        memsize = inst->mem->size;                                                   \
    } while (0)
#define MEM_OOB TRAP(ESGX_WASM_TRAP_MEMORY_OOB, "out of bounds memory access")

    DISPATCH;

    /* ---------------------------------------------------------------- control */
L_EXIT:
    s->fuel = fuel;
    s->depth = depth;
    return ESGX_OK;
L_NOP:
    NEXT(ESGX_WASM_W_NOP);
L_FUEL: {
    uint32_t cost = O(0);
    if (UNLIKELY(fuel < cost)) goto out_of_fuel;
    fuel -= cost;
    NEXT(ESGX_WASM_W_FUEL);
}
L_UNREACHABLE:
    TRAP(ESGX_WASM_TRAP_UNREACHABLE, "unreachable");
L_BR:
    ip += (int32_t)O(0);
    DISPATCH;
L_BR_NZ32:
    if (U32(0)) { ip += (int32_t)O(1); DISPATCH; }
    NEXT(ESGX_WASM_W_BR_NZ32);
L_BR_Z32:
    if (!U32(0)) { ip += (int32_t)O(1); DISPATCH; }
    NEXT(ESGX_WASM_W_BR_Z32);
L_BR_NZ64:
    if (S(0)) { ip += (int32_t)O(1); DISPATCH; }
    NEXT(ESGX_WASM_W_BR_NZ64);
L_BR_Z64:
    if (!S(0)) { ip += (int32_t)O(1); DISPATCH; }
    NEXT(ESGX_WASM_W_BR_Z64);
/* Branches to a loop header land on its FUEL instruction and do it inline. */
#define LOOP_JUMP(off)                                                               \
    do {                                                                             \
        ip += (int32_t)(off);                                                        \
        uint32_t cost_ = ip[2];                                                      \
        if (UNLIKELY(fuel < cost_)) goto out_of_fuel;                                \
        fuel -= cost_;                                                               \
        NEXT(ESGX_WASM_W_FUEL);                                                      \
    } while (0)
L_BR_L:
    LOOP_JUMP(O(0));
L_BR_NZ32_L:
    if (U32(0)) LOOP_JUMP(O(1));
    NEXT(ESGX_WASM_W_BR_NZ32_L);
L_BR_Z32_L:
    if (!U32(0)) LOOP_JUMP(O(1));
    NEXT(ESGX_WASM_W_BR_Z32_L);
L_BR_NZ64_L:
    if (S(0)) LOOP_JUMP(O(1));
    NEXT(ESGX_WASM_W_BR_NZ64_L);
L_BR_Z64_L:
    if (!S(0)) LOOP_JUMP(O(1));
    NEXT(ESGX_WASM_W_BR_Z64_L);
L_BR_TABLE: {
    uint32_t i = U32(0), n = O(1);
    if (i > n) i = n;
    ip += (int32_t)O(2 + i);
    DISPATCH;
}
L_RET1:
    fp[0] = S(0);
    /* fall through */
L_RET0: {
    esgx_wasm_frame *fr = &frames[--depth];
    ip = fr->ret_ip;
    fp = stk + fr->fp;
    inst = fr->inst;
    RELOAD_MEM;
    DISPATCH;
}
L_CALL:
    memcpy(&callee, ip + 2, sizeof callee);
    argbase = O(2);
    ret_ip = ip + ESGX_WASM_W_CALL;
    new_inst = inst;
    goto do_call_wasm;
L_CALL_IMPORT:
    fobj = inst->funcs[O(0)];
    argbase = O(1);
    ret_ip = ip + ESGX_WASM_W_CALL_IMPORT;
    goto do_call_obj;
L_CALL_INDIRECT:
    fobj = esgx_wasm_indirect_callee(inst->tables[O(1)], U32(3), inst->type_ids[O(0)], &tk,
                                     &tmsg);
    if (UNLIKELY(!fobj)) goto trap;
    argbase = O(2);
    ret_ip = ip + ESGX_WASM_W_CALL_INDIRECT;
    goto do_call_obj;
do_call_obj:
    if (fobj->host) {
        uint32_t fpo = (uint32_t)(fp - stk);
        s->fuel = fuel;
        s->depth = depth;
        uint32_t saved_sp = s->sp;
        s->sp = esgx_wasm_host_sp(fobj, fpo + argbase);
        int r = esgx_wasm_exec_host_invoke(s, inst, fobj, fpo + argbase);
        s->sp = saved_sp;
        stk = s->stack;
        stack_end = stk + s->stack_cap;
        frames = s->frames;
        frames_cap = s->frames_cap;
        fp = stk + fpo;
        fuel = s->fuel;
        RELOAD_MEM;
        if (r) goto trap_set;
        ip = ret_ip;
        DISPATCH;
    }
    callee = fobj->code;
    new_inst = fobj->inst;
    if (UNLIKELY(!esgx_wasm_code_lowered(callee))) {
        /* a function of a lazy module (the compiler tier's), interpreted from here on:
         * its module's code made whole, since it calls its callees' code directly */
        s->depth = depth;
        esgx_err lerr = {0};
        if (esgx_wasm_lower_all(new_inst->m, &lerr) != ESGX_OK)
            TRAP(ESGX_WASM_TRAP_LIMIT, "function too large once compiled, or out of memory");
    }
    /* fall through */
do_call_wasm: {
    uint64_t *nfp = fp + argbase;
    if (UNLIKELY(depth >= frames_cap)) {
        s->depth = depth;
        if (!esgx_wasm_exec_frames_reserve(s, depth + 1))
            TRAP(ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        frames = s->frames;
        frames_cap = s->frames_cap;
    }
    if (UNLIKELY(nfp + callee->frame_size > stack_end)) {
        uint64_t fpo = (uint64_t)(fp - stk);
        if (!esgx_wasm_exec_stack_reserve(s, fpo + argbase + callee->frame_size))
            TRAP(ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        stk = s->stack;
        stack_end = stk + s->stack_cap;
        fp = stk + fpo;
        nfp = fp + argbase;
    }
    esgx_wasm_frame *fr = &frames[depth++];
    fr->ret_ip = ret_ip;
    fr->fp = (uint32_t)(fp - stk);
    fr->inst = inst;
    {
        uint64_t *lp = nfp + callee->n_params;
        switch (callee->n_locals) {   /* small counts inline: no memset call */
        case 8: lp[7] = 0; /* fall through */
        case 7: lp[6] = 0; /* fall through */
        case 6: lp[5] = 0; /* fall through */
        case 5: lp[4] = 0; /* fall through */
        case 4: lp[3] = 0; /* fall through */
        case 3: lp[2] = 0; /* fall through */
        case 2: lp[1] = 0; /* fall through */
        case 1: lp[0] = 0; /* fall through */
        case 0: break;
        default: memset(lp, 0, (size_t)callee->n_locals * sizeof *lp); break;
        }
    }
    fp = nfp;
    if (new_inst != inst) {
        inst = new_inst;
        RELOAD_MEM;
    }
    /* every function starts with a FUEL instruction (compile.c): do it here */
    ip = callee->words;
    {
        uint32_t cost = ip[2];
        if (UNLIKELY(fuel < cost)) goto out_of_fuel;
        fuel -= cost;
    }
    NEXT(ESGX_WASM_W_FUEL);
}

    /* ---------------------------------------------------------------- variables */
L_COPY:
    S(0) = S(1);
    NEXT(ESGX_WASM_W_COPY);
L_ADDI2:   /* two i32 adds of an immediate, in order: d1 = s1 + i1; d2 = s2 + i2 */
    S(0) = (uint32_t)(U32(1) + O(2));
    S(3) = (uint32_t)(U32(4) + O(5));
    NEXT(ESGX_WASM_W_ADDI2);
L_COPY2:   /* two copies, in order */
    S(0) = S(1);
    S(2) = S(3);
    NEXT(ESGX_WASM_W_COPY2);
L_CONST32:
    S(0) = O(1);
    NEXT(ESGX_WASM_W_CONST32);
L_CONST64:
    S(0) = (uint64_t)O(1) | (uint64_t)O(2) << 32;
    NEXT(ESGX_WASM_W_CONST64);
L_SELECT:
    S(0) = U32(1) ? S(2) : S(3);
    NEXT(ESGX_WASM_W_SELECT);
L_SELECT64:
    S(0) = S(1) ? S(2) : S(3);
    NEXT(ESGX_WASM_W_SELECT64);
L_GLOBAL_GET:
    S(0) = inst->globals[O(1)]->val;
    NEXT(ESGX_WASM_W_GLOBAL_GET);
L_GLOBAL_SET:
    inst->globals[O(1)]->val = S(0);
    NEXT(ESGX_WASM_W_GLOBAL_SET);

    /* ---------------------------------------------------------------- memory */
#define LOAD(NAME, T, CONV)                                                          \
    L_##NAME: {                                                                      \
        uint64_t ea = (uint64_t)U32(1) + O(2);                                       \
        if (UNLIKELY(ea + sizeof(T) > memsize)) MEM_OOB;                             \
        T v_;                                                                        \
        memcpy(&v_, mem + ea, sizeof v_);                                            \
        S(0) = CONV(v_);                                                             \
        NEXT(ESGX_WASM_W_##NAME);                                                    \
    }
#define STORE(NAME, T)                                                               \
    L_##NAME: {                                                                      \
        uint64_t ea = (uint64_t)U32(0) + O(2);                                       \
        if (UNLIKELY(ea + sizeof(T) > memsize)) MEM_OOB;                             \
        T v_ = (T)S(1);                                                              \
        memcpy(mem + ea, &v_, sizeof v_);                                            \
        NEXT(ESGX_WASM_W_##NAME);                                                    \
    }
/* _A forms: the address is slot + 32-bit immediate (an i32.add folded in, wrapping
 * like i32.add), then the offset is added in 64 bits as usual. */
#define LOAD_A(NAME, T, CONV)                                                        \
    L_##NAME##_A: {                                                                  \
        uint64_t ea = (uint64_t)(uint32_t)(U32(1) + O(2)) + O(3);                    \
        if (UNLIKELY(ea + sizeof(T) > memsize)) MEM_OOB;                             \
        T v_;                                                                        \
        memcpy(&v_, mem + ea, sizeof v_);                                            \
        S(0) = CONV(v_);                                                             \
        NEXT(ESGX_WASM_W_##NAME##_A);                                                \
    }
#define STORE_A(NAME, T)                                                             \
    L_##NAME##_A: {                                                                  \
        uint64_t ea = (uint64_t)(uint32_t)(U32(0) + O(2)) + O(3);                    \
        if (UNLIKELY(ea + sizeof(T) > memsize)) MEM_OOB;                             \
        T v_ = (T)S(1);                                                              \
        memcpy(mem + ea, &v_, sizeof v_);                                            \
        NEXT(ESGX_WASM_W_##NAME##_A);                                                \
    }
#define ZX(v) ((uint64_t)(v))
#define SX32(v) ((uint64_t)(uint32_t)(int32_t)(v))
#define SX64(v) ((uint64_t)(int64_t)(v))
    LOAD(LD32, uint32_t, ZX)
    LOAD(LD64, uint64_t, ZX)
    LOAD(LD8S32, int8_t, SX32)
    LOAD(LD8U, uint8_t, ZX)
    LOAD(LD16S32, int16_t, SX32)
    LOAD(LD16U, uint16_t, ZX)
    LOAD(LD8S64, int8_t, SX64)
    LOAD(LD16S64, int16_t, SX64)
    LOAD(LD32S64, int32_t, SX64)
    LOAD_A(LD32, uint32_t, ZX)
    LOAD_A(LD64, uint64_t, ZX)
    LOAD_A(LD8S32, int8_t, SX32)
    LOAD_A(LD8U, uint8_t, ZX)
    LOAD_A(LD16S32, int16_t, SX32)
    LOAD_A(LD16U, uint16_t, ZX)
    LOAD_A(LD8S64, int8_t, SX64)
    LOAD_A(LD16S64, int16_t, SX64)
    LOAD_A(LD32S64, int32_t, SX64)
    STORE_A(ST8, uint8_t)
    STORE_A(ST16, uint16_t)
    STORE_A(ST32, uint32_t)
    STORE_A(ST64, uint64_t)
    STORE(ST8, uint8_t)
    STORE(ST16, uint16_t)
    STORE(ST32, uint32_t)
    STORE(ST64, uint64_t)
L_MEM_SIZE:
    S(0) = (uint32_t)(memsize >> 16);
    NEXT(ESGX_WASM_W_MEM_SIZE);
/* memory.grow, bulk memory, tables, ref.func: one implementation shared with the
 * compiler tier (exec_ops.c) */
#define BULK(NAME)                                                                   \
    L_##NAME:                                                                        \
        tk = esgx_wasm_exec_bulk(s, inst, fp, ip, WOP_##NAME, &fuel);                \
        if (UNLIKELY(tk != ESGX_WASM_TRAP_NONE)) goto bulk_trap;                     \
        RELOAD_MEM;                                                                  \
        NEXT(ESGX_WASM_W_##NAME);
    BULK(MEM_GROW)
    BULK(MEM_INIT)
    BULK(DATA_DROP)
    BULK(MEM_COPY)
    BULK(MEM_FILL)
    BULK(TABLE_GET)
    BULK(TABLE_SET)
    BULK(TABLE_SIZE)
    BULK(TABLE_GROW)
    BULK(TABLE_FILL)
    BULK(TABLE_COPY)
    BULK(TABLE_INIT)
    BULK(ELEM_DROP)
    BULK(REF_FUNC)
bulk_trap:
    if (tk == ESGX_WASM_TRAP_OUT_OF_FUEL) goto out_of_fuel;
    tmsg = esgx_wasm_trap_message(tk);
    goto trap;
L_REF_IS_NULL:
    S(0) = S(1) == 0;
    NEXT(ESGX_WASM_W_REF_IS_NULL);

    /* ---------------------------------------------------------------- integers */
#define UN(NAME, EXPR)                                                               \
    L_##NAME: {                                                                      \
        uint64_t x = S(1);                                                           \
        (void)x;                                                                     \
        S(0) = (EXPR);                                                               \
        NEXT(ESGX_WASM_W_##NAME);                                                    \
    }
#define BIN(NAME, EXPR)                                                              \
    L_##NAME: {                                                                      \
        uint64_t a = S(1), b = S(2);                                                 \
        S(0) = (EXPR);                                                               \
        NEXT(ESGX_WASM_W_##NAME);                                                    \
    }
/* slot form and immediate form (immediate: 32 bits, sign-extended for i64) */
#define BIN2(NAME, EXPR)                                                             \
    BIN(NAME, EXPR)                                                                  \
    L_##NAME##_I: {                                                                  \
        uint64_t a = S(1), b = (uint64_t)(int64_t)(int32_t)O(2);                     \
        S(0) = (EXPR);                                                               \
        NEXT(ESGX_WASM_W_##NAME##_I);                                                \
    }
#define A32 ((uint32_t)a)
#define B32 ((uint32_t)b)
#define SA32 ((int32_t)(uint32_t)a)
#define SB32 ((int32_t)(uint32_t)b)
#define SA64 ((int64_t)a)
#define SB64 ((int64_t)b)
/* compare, compare with immediate, branch on compare, branch on compare immediate,
 * the loop forms of the branches, and those after an i32 add of an immediate */
#define CMP4(T, C, EXPR)                                                             \
    BIN2(T##_##C, (uint64_t)(EXPR))                                                  \
    L_BR_##T##_##C: {                                                                \
        uint64_t a = S(0), b = S(1);                                                 \
        if (EXPR) { ip += (int32_t)O(2); DISPATCH; }                                 \
        NEXT(ESGX_WASM_W_BR_##T##_##C);                                              \
    }                                                                                \
    L_BR_##T##_##C##_I: {                                                            \
        uint64_t a = S(0), b = (uint64_t)(int64_t)(int32_t)O(1);                     \
        if (EXPR) { ip += (int32_t)O(2); DISPATCH; }                                 \
        NEXT(ESGX_WASM_W_BR_##T##_##C##_I);                                          \
    }                                                                                \
    L_BR_##T##_##C##_L: {                                                            \
        uint64_t a = S(0), b = S(1);                                                 \
        if (EXPR) LOOP_JUMP(O(2));                                                   \
        NEXT(ESGX_WASM_W_BR_##T##_##C##_L);                                          \
    }                                                                                \
    L_BR_##T##_##C##_I_L: {                                                          \
        uint64_t a = S(0), b = (uint64_t)(int64_t)(int32_t)O(1);                     \
        if (EXPR) LOOP_JUMP(O(2));                                                   \
        NEXT(ESGX_WASM_W_BR_##T##_##C##_I_L);                                        \
    }                                                                                \
    L_ADDI_BR_##T##_##C##_L: {                                                       \
        S(0) = (uint32_t)(U32(1) + O(2));                                            \
        uint64_t a = S(3), b = S(4);                                                 \
        if (EXPR) LOOP_JUMP(O(5));                                                   \
        NEXT(ESGX_WASM_W_ADDI_BR_##T##_##C##_L);                                     \
    }                                                                                \
    L_ADDI_BR_##T##_##C##_I_L: {                                                     \
        S(0) = (uint32_t)(U32(1) + O(2));                                            \
        uint64_t a = S(3), b = (uint64_t)(int64_t)(int32_t)O(4);                     \
        if (EXPR) LOOP_JUMP(O(5));                                                   \
        NEXT(ESGX_WASM_W_ADDI_BR_##T##_##C##_I_L);                                   \
    }
    CMP4(I32, EQ, A32 == B32)
    CMP4(I32, NE, A32 != B32)
    CMP4(I32, LTS, SA32 < SB32)
    CMP4(I32, LTU, A32 < B32)
    CMP4(I32, GTS, SA32 > SB32)
    CMP4(I32, GTU, A32 > B32)
    CMP4(I32, LES, SA32 <= SB32)
    CMP4(I32, LEU, A32 <= B32)
    CMP4(I32, GES, SA32 >= SB32)
    CMP4(I32, GEU, A32 >= B32)
    CMP4(I64, EQ, a == b)
    CMP4(I64, NE, a != b)
    CMP4(I64, LTS, SA64 < SB64)
    CMP4(I64, LTU, a < b)
    CMP4(I64, GTS, SA64 > SB64)
    CMP4(I64, GTU, a > b)
    CMP4(I64, LES, SA64 <= SB64)
    CMP4(I64, LEU, a <= b)
    CMP4(I64, GES, SA64 >= SB64)
    CMP4(I64, GEU, a >= b)
    UN(I32_EQZ, (uint32_t)x == 0)
    UN(I64_EQZ, x == 0)

    UN(I32_CLZ, (uint32_t)x ? (uint64_t)__builtin_clz((uint32_t)x) : 32)
    UN(I32_CTZ, (uint32_t)x ? (uint64_t)__builtin_ctz((uint32_t)x) : 32)
    UN(I32_POPCNT, (uint64_t)__builtin_popcount((uint32_t)x))
    BIN2(I32_ADD, (uint32_t)(A32 + B32))
    BIN2(I32_SUB, (uint32_t)(A32 - B32))
    BIN2(I32_MUL, (uint32_t)(A32 * B32))
    BIN2(I32_AND, A32 & B32)
    BIN2(I32_OR, A32 | B32)
    BIN2(I32_XOR, A32 ^ B32)
    BIN2(I32_SHL, (uint32_t)(A32 << (B32 & 31)))
    BIN2(I32_SHRS, (uint32_t)(SA32 >> (B32 & 31)))
    BIN2(I32_SHRU, A32 >> (B32 & 31))
    BIN2(I32_ROTL, (uint32_t)((A32 << (B32 & 31)) | (A32 >> ((32 - B32) & 31))))
    BIN2(I32_ROTR, (uint32_t)((A32 >> (B32 & 31)) | (A32 << ((32 - B32) & 31))))
L_I32_DIVS: {
    int32_t a = I32V(1), b = I32V(2);
    if (UNLIKELY(b == 0)) TRAP(ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    if (UNLIKELY(a == INT32_MIN && b == -1)) TRAP(ESGX_WASM_TRAP_INT_OVERFLOW, "integer overflow");
    S(0) = (uint32_t)(a / b);
    NEXT(ESGX_WASM_W_I32_DIVS);
}
L_I32_DIVU: {
    uint32_t a = U32(1), b = U32(2);
    if (UNLIKELY(b == 0)) TRAP(ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    S(0) = a / b;
    NEXT(ESGX_WASM_W_I32_DIVU);
}
L_I32_REMS: {
    int32_t a = I32V(1), b = I32V(2);
    if (UNLIKELY(b == 0)) TRAP(ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    S(0) = b == -1 ? 0 : (uint32_t)(a % b);
    NEXT(ESGX_WASM_W_I32_REMS);
}
L_I32_REMU: {
    uint32_t a = U32(1), b = U32(2);
    if (UNLIKELY(b == 0)) TRAP(ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    S(0) = a % b;
    NEXT(ESGX_WASM_W_I32_REMU);
}
    UN(I64_CLZ, x ? (uint64_t)__builtin_clzll(x) : 64)
    UN(I64_CTZ, x ? (uint64_t)__builtin_ctzll(x) : 64)
    UN(I64_POPCNT, (uint64_t)__builtin_popcountll(x))
    BIN2(I64_ADD, a + b)
    BIN2(I64_SUB, a - b)
    BIN2(I64_MUL, a * b)
    BIN2(I64_AND, a & b)
    BIN2(I64_OR, a | b)
    BIN2(I64_XOR, a ^ b)
    BIN2(I64_SHL, a << (b & 63))
    BIN2(I64_SHRS, (uint64_t)(SA64 >> (b & 63)))
    BIN2(I64_SHRU, a >> (b & 63))
    BIN2(I64_ROTL, (a << (b & 63)) | (a >> ((64 - b) & 63)))
    BIN2(I64_ROTR, (a >> (b & 63)) | (a << ((64 - b) & 63)))
L_I64_DIVS: {
    int64_t a = (int64_t)S(1), b = (int64_t)S(2);
    if (UNLIKELY(b == 0)) TRAP(ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    if (UNLIKELY(a == INT64_MIN && b == -1)) TRAP(ESGX_WASM_TRAP_INT_OVERFLOW, "integer overflow");
    S(0) = (uint64_t)(a / b);
    NEXT(ESGX_WASM_W_I64_DIVS);
}
L_I64_DIVU: {
    uint64_t a = S(1), b = S(2);
    if (UNLIKELY(b == 0)) TRAP(ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    S(0) = a / b;
    NEXT(ESGX_WASM_W_I64_DIVU);
}
L_I64_REMS: {
    int64_t a = (int64_t)S(1), b = (int64_t)S(2);
    if (UNLIKELY(b == 0)) TRAP(ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    S(0) = b == -1 ? 0 : (uint64_t)(a % b);
    NEXT(ESGX_WASM_W_I64_REMS);
}
L_I64_REMU: {
    uint64_t a = S(1), b = S(2);
    if (UNLIKELY(b == 0)) TRAP(ESGX_WASM_TRAP_DIV_ZERO, "integer divide by zero");
    S(0) = a % b;
    NEXT(ESGX_WASM_W_I64_REMU);
}

    /* ---------------------------------------------------------------- floats */
#define FA32 f32_of(a)
#define FB32 f32_of(b)
#define FA64 f64_of(a)
#define FB64 f64_of(b)
#define FX32 f32_of(x)
#define FX64 f64_of(x)
/* f64 compare-and-branch: slot or constant right operand, branch if it holds or not */
#define FBR(C, EXPR)                                                                 \
    L_BR_F64_##C: {                                                                  \
        double a = F64(0), b = F64(1);                                               \
        if (EXPR) { ip += (int32_t)O(2); DISPATCH; }                                 \
        NEXT(ESGX_WASM_W_BR_F64_##C);                                                \
    }                                                                                \
    L_BR_F64_##C##_K: {                                                              \
        double a = F64(0), b = f64_of((uint64_t)O(1) | (uint64_t)O(2) << 32);       \
        if (EXPR) { ip += (int32_t)O(3); DISPATCH; }                                 \
        NEXT(ESGX_WASM_W_BR_F64_##C##_K);                                            \
    }                                                                                \
    L_BR_F64_N##C: {                                                                 \
        double a = F64(0), b = F64(1);                                               \
        if (!(EXPR)) { ip += (int32_t)O(2); DISPATCH; }                              \
        NEXT(ESGX_WASM_W_BR_F64_N##C);                                               \
    }                                                                                \
    L_BR_F64_N##C##_K: {                                                             \
        double a = F64(0), b = f64_of((uint64_t)O(1) | (uint64_t)O(2) << 32);       \
        if (!(EXPR)) { ip += (int32_t)O(3); DISPATCH; }                              \
        NEXT(ESGX_WASM_W_BR_F64_N##C##_K);                                           \
    }
/* the float compares (name, C operator): f32 and f64 values, f64 branches */
#define FCMP_LIST(X) X(EQ, ==) X(NE, !=) X(LT, <) X(GT, >) X(LE, <=) X(GE, >=)
#define F32CMP(C, OPR) BIN(F32_##C, FA32 OPR FB32)
#define F64CMP(C, OPR) BIN(F64_##C, FA64 OPR FB64) FBR(C, a OPR b)
    FCMP_LIST(F32CMP)
    FCMP_LIST(F64CMP)
    UN(F32_ABS, x & 0x7FFFFFFFu)
    UN(F32_NEG, (x ^ 0x80000000u) & 0xFFFFFFFFu)
    UN(F32_CEIL, FROUND32(ceilf, FX32))
    UN(F32_FLOOR, FROUND32(floorf, FX32))
    UN(F32_TRUNC, FROUND32(truncf, FX32))
    UN(F32_NEAREST, FROUND32(nearbyintf, FX32))
    UN(F32_SQRT, bits_f32(sqrtf(FX32)))
    BIN(F32_ADD, bits_f32(FA32 + FB32))
    BIN(F32_SUB, bits_f32(FA32 - FB32))
    BIN(F32_MUL, bits_f32(FA32 * FB32))
    BIN(F32_DIV, bits_f32(FA32 / FB32))
    BIN(F32_MIN, f32_min(FA32, FB32))
    BIN(F32_MAX, f32_max(FA32, FB32))
    BIN(F32_COPYSIGN, (a & 0x7FFFFFFFu) | (b & 0x80000000u))
    UN(F64_ABS, x & 0x7FFFFFFFFFFFFFFFull)
    UN(F64_NEG, x ^ 0x8000000000000000ull)
    UN(F64_CEIL, FROUND64(ceil, FX64))
    UN(F64_FLOOR, FROUND64(floor, FX64))
    UN(F64_TRUNC, FROUND64(trunc, FX64))
    UN(F64_NEAREST, FROUND64(nearbyint, FX64))
    UN(F64_SQRT, bits_f64(sqrt(FX64)))
    BIN(F64_ADD, bits_f64(FA64 + FB64))
    BIN(F64_SUB, bits_f64(FA64 - FB64))
    BIN(F64_MUL, bits_f64(FA64 * FB64))
    BIN(F64_DIV, bits_f64(FA64 / FB64))
    BIN(F64_MIN, f64_min(FA64, FB64))
    BIN(F64_MAX, f64_max(FA64, FB64))
    BIN(F64_COPYSIGN, (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))

/* multiply-add: a mul whose product only feeds an add, d = a * imm1 + imm2 (MULI_ADDI;
 * i64: both immediates sign-extended) or d = a * b + c; f64 also multiply-subtract and
 * a product of three; f64: every operation rounded, as the two instructions (lib/wasm
 * builds with -ffp-contract=off) */
L_I32_MULI_ADDI:
    S(0) = (uint32_t)(U32(1) * O(2) + O(3));
    NEXT(ESGX_WASM_W_I32_MULI_ADDI);
L_I64_MULI_ADDI:
    S(0) = S(1) * (uint64_t)(int64_t)(int32_t)O(2) + (uint64_t)(int64_t)(int32_t)O(3);
    NEXT(ESGX_WASM_W_I64_MULI_ADDI);
L_I32_MULADD:
    S(0) = (uint32_t)(U32(1) * U32(2) + U32(3));
    NEXT(ESGX_WASM_W_I32_MULADD);
L_I64_MULADD:
    S(0) = S(1) * S(2) + S(3);
    NEXT(ESGX_WASM_W_I64_MULADD);
L_F64_MULADD: {
    double p_ = F64(1) * F64(2);
    S(0) = bits_f64(p_ + F64(3));
    NEXT(ESGX_WASM_W_F64_MULADD);
}
L_F64_MULSUB: {   /* d = c - a * b */
    double p_ = F64(1) * F64(2);
    S(0) = bits_f64(F64(3) - p_);
    NEXT(ESGX_WASM_W_F64_MULSUB);
}
L_F64_MUL3: {     /* d = a * b * c */
    double p_ = F64(1) * F64(2);
    S(0) = bits_f64(p_ * F64(3));
    NEXT(ESGX_WASM_W_F64_MUL3);
}
/* a rotl / shr_u by an immediate whose result only feeds an xor: d = (a op imm) ^ b */
L_I32_ROTLI_XOR: {
    uint32_t a = U32(1), k = O(2) & 31;
    S(0) = ((a << k) | (a >> ((32 - k) & 31))) ^ U32(3);
    NEXT(ESGX_WASM_W_I32_ROTLI_XOR);
}
L_I32_ROT2_XOR: { /* and a rotl by an immediate as the other operand: two rotls */
    uint32_t a = U32(1), k = O(2) & 31, b = U32(3), j = O(4) & 31;
    S(0) = ((a << k) | (a >> ((32 - k) & 31))) ^ ((b << j) | (b >> ((32 - j) & 31)));
    NEXT(ESGX_WASM_W_I32_ROT2_XOR);
}
L_I32_SHRUI_XOR:
    S(0) = (U32(1) >> (O(2) & 31)) ^ U32(3);
    NEXT(ESGX_WASM_W_I32_SHRUI_XOR);

/* _K forms: the right operand is an immediate (f32: one word; f64: two words) */
#define FK32(NAME, OPR)                                                              \
    L_##NAME##_K: {                                                                  \
        float a_ = F32(1), b_ = f32_of(O(2));                                        \
        S(0) = bits_f32(a_ OPR b_);                                                  \
        NEXT(ESGX_WASM_W_##NAME##_K);                                                \
    }
#define FK64(NAME, OPR)                                                              \
    L_##NAME##_K: {                                                                  \
        double a_ = F64(1), b_ = f64_of((uint64_t)O(2) | (uint64_t)O(3) << 32);      \
        S(0) = bits_f64(a_ OPR b_);                                                  \
        NEXT(ESGX_WASM_W_##NAME##_K);                                                \
    }
    FK32(F32_ADD, +)
    FK32(F32_SUB, -)
    FK32(F32_MUL, *)
    FK32(F32_DIV, /)
    FK64(F64_ADD, +)
    FK64(F64_SUB, -)
    FK64(F64_MUL, *)
    FK64(F64_DIV, /)

    /* ---------------------------------------------------------------- conversions */
    UN(I32_WRAP, (uint32_t)x)
    UN(I64_EXTEND_I32S, (uint64_t)(int64_t)(int32_t)(uint32_t)x)
    UN(I32_EXT8S, (uint32_t)(int32_t)(int8_t)x)
    UN(I32_EXT16S, (uint32_t)(int32_t)(int16_t)x)
    UN(I64_EXT8S, (uint64_t)(int64_t)(int8_t)x)
    UN(I64_EXT16S, (uint64_t)(int64_t)(int16_t)x)
    UN(I64_EXT32S, (uint64_t)(int64_t)(int32_t)x)
    UN(F32_CONV_I32S, bits_f32((float)(int32_t)(uint32_t)x))
    UN(F32_CONV_I32U, bits_f32((float)(uint32_t)x))
    UN(F32_CONV_I64S, bits_f32((float)(int64_t)x))
    UN(F32_CONV_I64U, bits_f32((float)x))
    UN(F32_DEMOTE, bits_f32((float)FX64))
    UN(F64_CONV_I32S, bits_f64((double)(int32_t)(uint32_t)x))
    UN(F64_CONV_I32U, bits_f64((double)(uint32_t)x))
    UN(F64_CONV_I64S, bits_f64((double)(int64_t)x))
    UN(F64_CONV_I64U, bits_f64((double)x))
    UN(F64_PROMOTE, bits_f64((double)FX32))
    UN(I32_SAT_F32S, sat_i32_f64((double)FX32))
    UN(I32_SAT_F32U, sat_u32_f64((double)FX32))
    UN(I32_SAT_F64S, sat_i32_f64(FX64))
    UN(I32_SAT_F64U, sat_u32_f64(FX64))
    UN(I64_SAT_F32S, sat_i64_f64((double)FX32))
    UN(I64_SAT_F32U, sat_u64_f64((double)FX32))
    UN(I64_SAT_F64S, sat_i64_f64(FX64))
    UN(I64_SAT_F64U, sat_u64_f64(FX64))
/* Trapping truncation: x (a double holding the exact input) must be in the range of
 * wasm_float.h (to64: an i64 result; sgn: signed). */
#define TRUNC(NAME, GET, TO64, SGN, CONV)                                            \
    L_##NAME: {                                                                      \
        double x = (double)GET(1);                                                   \
        if (UNLIKELY(isnan(x)))                                                      \
            TRAP(ESGX_WASM_TRAP_INVALID_CONVERSION, "invalid conversion to integer");      \
        if (UNLIKELY(!(x > trunc_lo(TO64, SGN) && x < trunc_hi(TO64, SGN))))         \
            TRAP(ESGX_WASM_TRAP_INT_OVERFLOW, "integer overflow");                        \
        S(0) = CONV;                                                                 \
        NEXT(ESGX_WASM_W_##NAME);                                                    \
    }
    TRUNC(I32_TRUNC_F32S, F32, false, true, (uint32_t)(int32_t)x)
    TRUNC(I32_TRUNC_F32U, F32, false, false, (uint32_t)x)
    TRUNC(I32_TRUNC_F64S, F64, false, true, (uint32_t)(int32_t)x)
    TRUNC(I32_TRUNC_F64U, F64, false, false, (uint32_t)x)
    TRUNC(I64_TRUNC_F32S, F32, true, true, (uint64_t)(int64_t)x)
    TRUNC(I64_TRUNC_F32U, F32, true, false, (uint64_t)x)
    TRUNC(I64_TRUNC_F64S, F64, true, true, (uint64_t)(int64_t)x)
    TRUNC(I64_TRUNC_F64U, F64, true, false, (uint64_t)x)

    /* ---------------------------------------------------------------- SIMD */
#include "interp_simd.h"

    /* ---------------------------------------------------------------- exits */
out_of_fuel:
    fuel = 0;
    tk = ESGX_WASM_TRAP_OUT_OF_FUEL;
    tmsg = "out of fuel";
trap:
    esgx_wasm_store_trap(s, tk, tmsg);
trap_set:
    s->fuel = fuel;
    s->depth = entry_depth - 1;
    return ESGX_WASM_E_TRAP;
}

int esgx_wasm_exec_frame(esgx_wasm_store *s, esgx_wasm_instance *inst, const esgx_wasm_code *code,
                         uint32_t fp_off)
{
    /* the caller has counted the callee in s->depth; its frame record is the sentinel
     * whose return lands on EXIT */
    if (!esgx_wasm_exec_frames_reserve(s, s->depth))
        return esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    uint32_t stub[2];
    const void *h = esgx_wasm_exec_handlers()[WOP_EXIT];
    memcpy(stub, &h, sizeof h);
    esgx_wasm_frame *fr = &s->frames[s->depth - 1];
    fr->ret_ip = stub;
    fr->fp = fp_off;
    fr->inst = inst;
    uint32_t depth = s->depth;
    memset(s->stack + fp_off + code->n_params, 0, (size_t)code->n_locals * 8);
    int rc = run(s, inst, code->words, fp_off, NULL);
    s->depth = depth;
    return rc;
}

const void *const *esgx_wasm_exec_handlers(void)
{
    const void *const *t = NULL;
    run(NULL, NULL, NULL, 0, &t);
    return t;
}

/* ------------------------------------------------------------------ entry */

int esgx_wasm_exec_call(esgx_wasm_store *s, esgx_wasm_func_obj *f, uint64_t *slots)
{
    uint32_t np = f->param_slots, nr = f->result_slots;
    if (s->nest >= ESGX_WASM_MAX_NEST)
        return esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
    uint64_t saved_fuel_unmetered = s->metered ? 0 : 1;
    if (!s->metered) s->fuel = UINT64_MAX;
    uint32_t base = s->sp;
    int rc;
    s->nest++;
    if (f->host) {
        if (!esgx_wasm_exec_stack_reserve(s, (uint64_t)base + np + nr + 1)) {
            rc = esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        } else {
            memcpy(s->stack + base, slots, (size_t)np * 8);
            uint32_t saved_sp = s->sp;
            s->sp = esgx_wasm_host_sp(f, base);
            rc = esgx_wasm_exec_host_invoke(s, NULL, f, base);
            s->sp = saved_sp;
            if (rc == ESGX_OK) memcpy(slots, s->stack + base, (size_t)nr * 8);
        }
    } else {
        const esgx_wasm_code *code = f->code;
        esgx_err lerr = {0};
        if (!esgx_wasm_code_lowered(code) &&   /* a lazy module's: frame_size needs it */
            esgx_wasm_lower(f->inst->m, (uint32_t)(code - ((const esgx_wasm_compiled *)
                                                             f->inst->m->compiled)->codes),
                            &lerr) != ESGX_OK) {
            rc = esgx_wasm_store_trap(s, ESGX_WASM_TRAP_LIMIT, lerr.msg);
        } else if (!esgx_wasm_exec_stack_reserve(s, (uint64_t)base + code->frame_size + 1) ||
            !esgx_wasm_exec_frames_reserve(s, s->depth + 1)) {
            rc = esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        } else {
            uint64_t *fp = s->stack + base;
            memcpy(fp, slots, (size_t)np * 8);
            memset(fp + np, 0, (size_t)code->n_locals * 8);
            s->depth++;
            rc = f->inst->m->tier == ESGX_WASM_TIER_JIT ? esgx_wasm_jit_run(s, f->inst, code, base)
                                                      : esgx_wasm_exec_frame(s, f->inst, code, base);
            s->depth--;
            if (rc == ESGX_OK) memcpy(slots, s->stack + base, (size_t)nr * 8);
        }
    }
    s->nest--;
    if (saved_fuel_unmetered) s->fuel = UINT64_MAX;
    return rc;
}
