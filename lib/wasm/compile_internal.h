/*
 * compile_internal.h (internal to compile*.c): the compiler's state and the helpers
 * shared by compile.c (control flow, locals, memory, functions, the module) and
 * compile_ops.c (the numeric operators and their fusions). See compile.c for the
 * design.
 */
#ifndef ESGX_WASM_COMPILE_INTERNAL_H
#define ESGX_WASM_COMPILE_INTERNAL_H

#include "wasm_exec.h"
#include "wasm_binary.h"

enum { SV_SLOT = 0, SV_LOCAL = 1, SV_CONST = 2 };

/* Entries at stack heights >= LAZY_MAX are always in their home slots. */
#define LAZY_MAX 64u

/* One operand-stack slot. A v128 is two entries (low half first); hi marks the high
 * half, so that drop and select know the width of their operand. */
typedef struct sv {
    uint8_t kind;
    uint32_t local;           /* SV_LOCAL: the local's slot */
    uint64_t c;
    bool hi;
} sv;

enum { L_BLOCK, L_LOOP, L_IF, L_FUNC };

typedef struct label {
    uint8_t kind;
    bool else_seen;
    bool targeted;
    uint32_t height;          /* stack height under the block's params */
    uint32_t n_params, n_results;   /* in slots */
    const esgx_wasm_valtype *ptypes, *rtypes;   /* the param / result types */
    uint32_t np_vals, nr_vals;
    uint32_t loop_pos;        /* loop: start (the FUEL instruction) */
    int32_t patches;          /* head of the forward patch list, -1 if none */
    uint32_t else_instr, else_operand; /* if: the branch to the else arm */
} label;

/* The fusion window: the recent instructions a peephole fusion may still rewrite or
 * remove, one entry per role. An entry is live while nothing was emitted after it (its
 * end is c->n; for FZ_STEP2 and FZ_PREV, the start of the entry it precedes) and it
 * has not been forgotten (forget_fusions): all roles at a jump target (no fusion spans
 * one), some when the operand stack changes without code (drop, local.set, ...). */
enum {
    FZ_DST,     /* wrote its result (operand 0) to the home slot of the entry at
                 * height h: a local.set of that entry retargets it to the local */
    FZ_COPY,    /* a COPY: a COPY right after it makes both one COPY2 */
    FZ_CMP,     /* a compare or eqz (c->cmp): br_if, if, select, eqz fuse with it */
    FZ_ADDI,    /* an i32.add of a constant, its result the entry at height h: a load or
                 * store folds it into its address */
    FZ_STEP,    /* the same, even once its result went to a local: a compare-and-
                 * branch back to a loop fuses with it (ADDI_BR_*_L) */
    FZ_STEP2,   /* a step into a local right before FZ_STEP's: the two are one ADDI2 */
    FZ_PROD,    /* a producer of compile_ops.c's fusions[] (op), result at height h */
    FZ_PREV,    /* the producer right before FZ_PROD (ROT2_XOR) */
    FZ_COUNT_
};
#define FZ(k) (1u << (k))
#define FZ_ALL (FZ(FZ_COUNT_) - 1)

typedef struct recent {
    uint32_t start, end;      /* its words [start, end); end UINT32_MAX once forgotten */
    uint32_t h;               /* stack height of its result entry */
    int op;                   /* FZ_PROD, FZ_PREV: the op */
    uint32_t src, imm;        /* FZ_ADDI: the add's source slot and immediate */
} recent;

/* The last compare (window entry FZ_CMP): for an f64 compare (ci >= CI_F64) neg says the
 * value is its negation (eqz of it) and k is a constant right operand (imm). */
typedef struct cmp_state {
    uint32_t a, b;
    int ci;
    bool is64, imm, neg;
    uint64_t k;
} cmp_state;

typedef struct patch {
    uint32_t operand, instr;
    int32_t next;
} patch;

typedef struct comp {
    const esgx_wasm_module *m;
    const void *const *handlers;   /* threaded into the code when a function is done */
    esgx_wasm_code *codes;
    uint32_t *w;
    uint32_t n, cap;
    sv *st;
    uint32_t h, st_cap, max_h;
    label *lb;
    uint32_t nl, lb_cap;
    patch *pt;
    uint32_t npt, pt_cap;
    uint32_t base;            /* first operand-stack slot */
    uint32_t zero_slot;       /* a slot that always holds 0 */
    uint32_t n_params;        /* slots */
    uint32_t n_results;       /* slots */
    const esgx_wasm_valtype *res_types;   /* the function's result types */
    uint32_t nr_vals;
    /* locals: slot and v128-ness per local index (lmapped: the function has a v128
     * param or local; otherwise local i is slot i) */
    bool lmapped;
    uint32_t *lslot;
    uint8_t *lv128;
    uint32_t lmap_cap;
    const uint8_t *gv128;     /* per global index: 1 if v128 (module-wide) */
    bool dead;
    uint32_t dead_depth;
    bool entry;               /* in the straight code at function entry */
    uint64_t written;         /* declared locals 0-63 it has set (see known_zero) */
    bool oom;
    bool too_big;
    uint64_t word_limit;      /* bound on the compiled size of one function */
    uint32_t room;            /* min(cap, word_limit): emit_w's fast path stays below */
    recent fz[FZ_COUNT_];     /* the fusion window */
    cmp_state cmp;            /* what fz[FZ_CMP] compares */
    /* fuel */
    uint32_t fuel_pos;
    uint64_t fuel_acc;
    uint32_t *stub_at;        /* br_table scratch, per label depth */
    size_t stub_cap;
} comp;

/* Compare kinds in comp.cmp.ci: ICMP_* (ESGX_WASM_ICMPS), then: */
#define CI_EQZ ICMP_COUNT_
#define CI_F64 (ICMP_COUNT_ + 1)   /* + FCMP_* (ESGX_WASM_FCMPS) */
extern const uint8_t esgx_comp_cmp_negate[ICMP_COUNT_];   /* ci of the negated compare */

/* ------------------------------------------------------------------ emission */

/* The word holding operand k of the instruction starting at word at. */
static inline uint32_t comp_opnd(uint32_t at, uint32_t k)
{
    return at + ESGX_WASM_OP_HEAD + k;
}

/* Forgets the window entries of the roles in mask (FZ(...) | ...; FZ_ALL). Written
 * out so that a constant mask compiles to its stores alone (this runs at most
 * instructions). */
static inline void forget_fusions(comp *c, unsigned mask)
{
    _Static_assert(FZ_COUNT_ == 8, "forget_fusions names every role");
    if (mask & FZ(FZ_DST)) c->fz[FZ_DST].end = UINT32_MAX;
    if (mask & FZ(FZ_COPY)) c->fz[FZ_COPY].end = UINT32_MAX;
    if (mask & FZ(FZ_CMP)) c->fz[FZ_CMP].end = UINT32_MAX;
    if (mask & FZ(FZ_ADDI)) c->fz[FZ_ADDI].end = UINT32_MAX;
    if (mask & FZ(FZ_STEP)) c->fz[FZ_STEP].end = UINT32_MAX;
    if (mask & FZ(FZ_STEP2)) c->fz[FZ_STEP2].end = UINT32_MAX;
    if (mask & FZ(FZ_PROD)) c->fz[FZ_PROD].end = UINT32_MAX;
    if (mask & FZ(FZ_PREV)) c->fz[FZ_PREV].end = UINT32_MAX;
}

/* Makes room for `more` words, failing (too_big) past the function's word_limit. */
void esgx_comp_grow_words(comp *c, uint32_t more);

static inline void emit_w(comp *c, uint32_t x)
{
    if (c->n >= c->room) {   /* rare: grow (or fail) out of line */
        esgx_comp_grow_words(c, 1);
        if (c->oom) return;
    }
    c->w[c->n++] = x;
}

/* Emits the head of an instruction of op (the op number, threaded into the handler
 * address when the function is done: esgx_wasm_code_thread); returns its start. */
uint32_t esgx_comp_emit_op(comp *c, int op);

/* ------------------------------------------------------------------ operand stack */

/* The home slot of stack height i. */
static inline uint32_t comp_home(const comp *c, uint32_t i)
{
    return c->base + i;
}

/* Pushes an entry that is in its home slot. */
void esgx_comp_push_slot(comp *c);
/* Pushes a v128 in its home slots (two entries). */
void esgx_comp_push_v128(comp *c);
/* Writes a lazy entry i into its home slot. */
void esgx_comp_materialize(comp *c, uint32_t i);
/* The first of two consecutive slots holding the v128 whose low half is entry lo (a
 * v128 local read in place, else its home slots, materialized). */
uint32_t esgx_comp_v128_slot_of(comp *c, uint32_t lo);
/* The slot to read entry i from (constants are materialized). */
uint32_t esgx_comp_slot_of(comp *c, uint32_t i);
/* Records that the instruction just emitted wrote its result (operand 0) into the home
 * slot of the entry at height hh (window entry FZ_DST). */
void esgx_comp_note_dst(comp *c, uint32_t instr, uint32_t hh);

/* ------------------------------------------------------------------ compile_simd.c */

/* Compiles a SIMD instruction (an ESGX_WASM_OPCODES_FD row) by its CK column. */
void esgx_comp_simd(comp *c, const esgx_wasm_instr *in, const esgx_wasm_opinfo *oi);

/* ------------------------------------------------------------------ compile_ops.c */

/* Compiles numeric operator oi (CAT_NUM) by its compile kind (wasm_opcodes.h). */
void esgx_comp_numeric(comp *c, const esgx_wasm_opinfo *oi);
/* The numeric operators: pop operands, emit, push the result (see compile_ops.c). */
void esgx_comp_op_unary(comp *c, int op);
void esgx_comp_op_binary(comp *c, int op, int imm_op, bool commutative, bool is64);
void esgx_comp_op_fbinary(comp *c, int op, bool commutative, bool is64);
void esgx_comp_op_compare(comp *c, int ci, bool is64);
void esgx_comp_op_fcompare(comp *c, int op);
void esgx_comp_op_eqz(comp *c, bool is64);
/* Pops k operands (slots), emits op [dst if has_result] operands..., pushes result. */
uint32_t esgx_comp_op_generic(comp *c, int op, unsigned k, bool has_result);
/* If entry hh was produced by the i32.add of a constant just emitted, removes that add
 * and returns true (c->fz[FZ_ADDI] has its operands). */
bool esgx_comp_take_addi(comp *c, uint32_t hh);

#endif
