/*
 * compile.c: function bodies -> the interpreter's internal code (see wasm_exec.h).
 *
 * One pass per function over a module the validator accepted. The compiler keeps a
 * model of the wasm operand stack in which each entry is either already in its "home"
 * slot (the frame slot of its stack position), a reference to a local, or a constant;
 * local.get and *.const emit nothing, and an operator reads locals and constants
 * directly (a constant right operand becomes an immediate). So
 * `local.get a; i32.const 1; i32.add; local.set a` is one instruction: the destination
 * of the last instruction is patched from its home slot to the local. Other fusions:
 * a compare followed by br_if / if is one compare-and-branch (f64 compares too, with
 * a constant right operand as an immediate, and through an eqz as the negated
 * branch); i32.eqz of an integer compare turns it into the negated compare; `select`
 * on an eqz swaps its operands instead; a load or store whose address is `x + constant` (an
 * i32.add just emitted) or a constant folds the add in (it still wraps like i32.add);
 * f32/f64 add/sub/mul/div take a constant operand as an immediate; a branch back to a
 * loop header also does the header's fuel charge, and a compare-and-branch back to it
 * right after an i32.add of a constant (the loop counter step, even if teed to a
 * local) does that add too (ADDI_BR_*_L); an i32/i64/f64 add of the product of the mul just emitted (of two
 * slots) is one MULADD; two copies in a row (say the
 * `local.get a; local.set b` chains that rotate variables) are one COPY2. Lazy entries
 * are written to their home slots ("materialized") before anything that needs them
 * there: control structure entry, branches carrying values, calls, and a local.set of a
 * local that a lazy entry still names.
 *
 * Fuel: the code is cut into metering blocks; each starts with a FUEL instruction that
 * charges the static cost (docs/wasm.md) of the wasm instructions of the block. A block
 * starts at function entry, at a loop header, at each arm of an if, after the end of an
 * if, after the end of a block targeted by a branch, after br_if, and after an end
 * that follows unreachable code. The costs of unreachable (skipped) code are never
 * charged.
 *
 * Dead code after br / br_table / return / unreachable is skipped up to its else / end.
 */
#include "wasm_exec.h"
#include "wasm_binary.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define TRY(x)                  \
    do {                        \
        int rc_ = (x);          \
        if (rc_) return rc_;    \
    } while (0)

enum { SV_SLOT = 0, SV_LOCAL = 1, SV_CONST = 2 };

/* Entries at stack heights >= LAZY_MAX are always in their home slots. */
#define LAZY_MAX 64u

typedef struct sv {
    uint8_t kind;
    uint32_t local;
    uint64_t c;
} sv;

enum { L_BLOCK, L_LOOP, L_IF, L_FUNC };

typedef struct label {
    uint8_t kind;
    bool else_seen;
    bool targeted;
    uint32_t height;          /* stack height under the block's params */
    uint32_t n_params, n_results;
    uint32_t loop_pos;        /* loop: start (the FUEL instruction) */
    int32_t patches;          /* head of the forward patch list, -1 if none */
    uint32_t else_instr, else_operand; /* if: the branch to the else arm */
} label;

typedef struct patch {
    uint32_t operand, instr;
    int32_t next;
} patch;

typedef struct comp {
    const wasm_module *m;
    const void *const *H;
    wasm_code *codes;
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
    uint32_t n_params;
    uint32_t n_results;
    bool dead;
    uint32_t dead_depth;
    bool oom;
    bool too_big;
    uint64_t word_limit;      /* bound on the compiled size of one function */
    uint32_t room;            /* min(cap, word_limit): emit_w's fast path stays below */
    /* fusion state */
    uint32_t last_end, last_dst, last_h;
    uint32_t copy_at, copy_end;   /* the last COPY emitted (a COPY2 candidate) */
    /* the last compare (or eqz) emitted; for an f64 compare (ci >= CI_F64) neg says the
     * value is its negation (eqz of it) and k is a constant right operand (imm) */
    struct cmp_state { uint32_t start, end, h, a, b; int ci; bool is64, imm, neg; uint64_t k; } cmp;
    struct { uint32_t start, end, h, src, imm; } addi;   /* last i32.add of a constant */
    struct { uint32_t start, end; } inc;  /* the same, even if its result went to a local */
    struct { uint32_t start, end, h; } mul;   /* last i32/i64/f64 mul of two slots */
    /* fuel */
    uint32_t fuel_pos;
    uint64_t fuel_acc;
    uint32_t *stub_at;        /* br_table scratch, per label depth */
    size_t stub_cap;
} comp;

/* ------------------------------------------------------------------ emission */

/* Makes room for `more` words, failing (too_big) past the function's word_limit. */
static void grow_words(comp *c, uint32_t more)
{
    if ((uint64_t)c->n + more > c->word_limit) {
        c->too_big = true;
        c->oom = true;
        return;
    }
    if (c->n + more > c->cap) {
        uint32_t ncap = c->cap ? c->cap : 64;
        while (ncap < c->n + more) ncap *= 2;
        uint32_t *nw = realloc(c->w, (size_t)ncap * 4);
        if (!nw) {
            c->oom = true;
            return;
        }
        c->w = nw;
        c->cap = ncap;
    }
    c->room = c->cap < c->word_limit ? c->cap : (uint32_t)c->word_limit;
}

static inline void emit_w(comp *c, uint32_t x)
{
    if (c->n >= c->room) {   /* rare: grow (or fail) out of line */
        grow_words(c, 1);
        if (c->oom) return;
    }
    c->w[c->n++] = x;
}

static uint32_t emit_op(comp *c, int op)
{
    uint32_t at = c->n;
    uint32_t hw[2];
    const void *h = c->H[op];
    memcpy(hw, &h, sizeof h);
    emit_w(c, hw[0]);
    emit_w(c, hw[1]);
    return at;
}

static void emit_ptr(comp *c, const void *p)
{
    uint32_t hw[2] = {0, 0};
    memcpy(hw, &p, sizeof p);
    emit_w(c, hw[0]);
    emit_w(c, hw[1]);
}

static void set_w(comp *c, uint32_t at, uint32_t x)
{
    if (!c->oom) c->w[at] = x;
}

/* ------------------------------------------------------------------ operand stack */

static uint32_t home(const comp *c, uint32_t i)
{
    return c->base + i;
}

static void materialize(comp *c, uint32_t i);

static void push(comp *c, sv v)
{
    if (c->h == c->st_cap) {
        uint32_t ncap = c->st_cap ? c->st_cap * 2 : 64;
        sv *ns = realloc(c->st, ncap * sizeof *ns);
        if (!ns) {
            c->oom = true;
            return;
        }
        c->st = ns;
        c->st_cap = ncap;
    }
    c->st[c->h++] = v;
    if (c->h > c->max_h) c->max_h = c->h;
    /* lazy entries only below LAZY_MAX: keeps every stack scan O(LAZY_MAX) */
    if (v.kind != SV_SLOT && c->h > LAZY_MAX) materialize(c, c->h - 1);
}

static void push_slot(comp *c)
{
    sv v = {SV_SLOT, 0, 0};
    push(c, v);
}

static void emit_const(comp *c, uint32_t dst, uint64_t v)
{
    if (v >> 32) {
        emit_op(c, WOP_CONST64);
        emit_w(c, dst);
        emit_w(c, (uint32_t)v);
        emit_w(c, (uint32_t)(v >> 32));
    } else {
        emit_op(c, WOP_CONST32);
        emit_w(c, dst);
        emit_w(c, (uint32_t)v);
    }
}

/* Copies slot src to dst. A copy right after another one (no jump target between
 * them: fuel_open and br_table stubs reset copy_end) turns it into a COPY2. */
static void emit_copy(comp *c, uint32_t dst, uint32_t src)
{
    if (dst == src) return;
    if (c->copy_end == c->n && !c->oom) {
        const void *h = c->H[WOP_COPY2];
        memcpy(c->w + c->copy_at, &h, sizeof h);
        emit_w(c, dst);
        emit_w(c, src);
        c->copy_end = UINT32_MAX;
        return;
    }
    c->copy_at = emit_op(c, WOP_COPY);
    emit_w(c, dst);
    emit_w(c, src);
    c->copy_end = c->n;
}

/* Writes entry i into slot dst (entry unchanged). */
static void move_to(comp *c, uint32_t i, uint32_t dst)
{
    sv *e = &c->st[i];
    if (e->kind == SV_CONST) emit_const(c, dst, e->c);
    else if (e->kind == SV_LOCAL) emit_copy(c, dst, e->local);
    else emit_copy(c, dst, home(c, i));
}

static void materialize(comp *c, uint32_t i)
{
    if (c->oom || c->st[i].kind == SV_SLOT) return;
    move_to(c, i, home(c, i));
    c->st[i].kind = SV_SLOT;
}

static void materialize_range(comp *c, uint32_t from, uint32_t to)
{
    if (to > LAZY_MAX) to = LAZY_MAX;
    for (uint32_t i = from; i < to; i++) materialize(c, i);
}

/* The slot to read entry i from (constants are materialized). */
static uint32_t slot_of(comp *c, uint32_t i)
{
    if (c->oom) return 0;
    sv *e = &c->st[i];
    if (e->kind == SV_CONST) materialize(c, i);
    return e->kind == SV_LOCAL ? e->local : home(c, i);
}

/* Records that the instruction just emitted wrote its result (operand 0, at
 * instruction start + 2) into the home slot of the entry at height hh. */
static void note_dst(comp *c, uint32_t instr, uint32_t hh)
{
    c->last_end = c->n;
    c->last_dst = instr + 2;
    c->last_h = hh;
}

/* ------------------------------------------------------------------ fuel */

static uint32_t op_cost(uint32_t op)
{
    switch (op) {
    case 0x01: case 0x02: case 0x03: case 0x05: case 0x0B:
        return 0;        /* nop, block, loop, else, end */
    case 0x10: case 0x11:
        return 4;        /* call, call_indirect */
    default:
        return 1;
    }
}

static void fuel_close(comp *c)
{
    if (c->fuel_pos == UINT32_MAX) return;
    if (c->fuel_acc == 0 && c->fuel_pos + 3 == c->n) {
        c->n = c->fuel_pos;          /* empty block: drop its FUEL */
    } else {
        set_w(c, c->fuel_pos + 2, c->fuel_acc > UINT32_MAX ? UINT32_MAX
                                                            : (uint32_t)c->fuel_acc);
    }
    c->fuel_pos = UINT32_MAX;
}

static void fuel_open(comp *c)
{
    fuel_close(c);
    c->fuel_pos = emit_op(c, WOP_FUEL);
    emit_w(c, 0);
    c->fuel_acc = 0;
    /* no fusion across a block boundary */
    c->copy_end = UINT32_MAX;
    c->addi.end = UINT32_MAX;
    c->inc.end = UINT32_MAX;
    c->mul.end = UINT32_MAX;
    c->cmp.end = UINT32_MAX;
    c->last_end = UINT32_MAX;
}

/* ------------------------------------------------------------------ labels */

static label *push_label(comp *c, uint8_t kind, uint32_t np, uint32_t nr)
{
    if (c->nl == c->lb_cap) {
        uint32_t ncap = c->lb_cap ? c->lb_cap * 2 : 16;
        label *nlb = realloc(c->lb, ncap * sizeof *nlb);
        if (!nlb) {
            c->oom = true;
            return NULL;
        }
        c->lb = nlb;
        c->lb_cap = ncap;
    }
    label *L = &c->lb[c->nl++];
    memset(L, 0, sizeof *L);
    L->kind = kind;
    L->n_params = np;
    L->n_results = nr;
    L->height = c->h - np;
    L->patches = -1;
    return L;
}

static void add_patch(comp *c, label *L, uint32_t operand, uint32_t instr)
{
    if (c->npt == c->pt_cap) {
        uint32_t ncap = c->pt_cap ? c->pt_cap * 2 : 64;
        patch *np = realloc(c->pt, ncap * sizeof *np);
        if (!np) {
            c->oom = true;
            return;
        }
        c->pt = np;
        c->pt_cap = ncap;
    }
    patch *p = &c->pt[c->npt];
    p->operand = operand;
    p->instr = instr;
    p->next = L->patches;
    L->patches = (int32_t)c->npt++;
    L->targeted = true;
}

static void resolve_patches(comp *c, label *L, uint32_t target)
{
    for (int32_t i = L->patches; i >= 0; i = c->pt[i].next)
        set_w(c, c->pt[i].operand, target - c->pt[i].instr);
    L->patches = -1;
}

/* Sets the branch offset at operand (of the instruction at instr) to label L. */
static void branch_to(comp *c, label *L, uint32_t operand, uint32_t instr)
{
    if (L->kind == L_LOOP) set_w(c, operand, L->loop_pos - instr);
    else add_patch(c, L, operand, instr);
}

/* The variant of branch op that, targeting a loop header, also does the header's
 * FUEL instruction (so a loop iteration is one dispatch shorter). */
static int loop_op(int op)
{
    switch (op) {
    case WOP_BR: return WOP_BR_L;
    case WOP_BR_NZ32: return WOP_BR_NZ32_L;
    case WOP_BR_Z32: return WOP_BR_Z32_L;
    case WOP_BR_NZ64: return WOP_BR_NZ64_L;
    case WOP_BR_Z64: return WOP_BR_Z64_L;
    default: return op + 2;   /* BR_<cmp>[_I] -> BR_<cmp>[_I]_L */
    }
}

static uint32_t label_arity(const label *L)
{
    return L->kind == L_LOOP ? L->n_params : L->n_results;
}

/* Whether a branch to L from the current stack needs value moves. */
static bool needs_moves(const comp *c, const label *L)
{
    uint32_t ar = label_arity(L);
    if (c->h - ar != L->height) return ar > 0;
    for (uint32_t k = 0; k < ar; k++)
        if (c->st[c->h - ar + k].kind != SV_SLOT) return true;
    return false;
}

static void emit_moves(comp *c, const label *L)
{
    uint32_t ar = label_arity(L);
    for (uint32_t k = 0; k < ar; k++) move_to(c, c->h - ar + k, home(c, L->height + k));
}

/* The return sequence: results into slots 0..n-1, then return. */
static void emit_return(comp *c)
{
    uint32_t nr = c->n_results;
    if (nr == 0) {
        emit_op(c, WOP_RET0);
    } else if (nr == 1) {
        uint32_t s = slot_of(c, c->h - 1);
        emit_op(c, WOP_RET1);
        emit_w(c, s);
    } else {
        materialize_range(c, c->h - nr, c->h);
        for (uint32_t k = 0; k < nr; k++) emit_copy(c, k, home(c, c->h - nr + k));
        emit_op(c, WOP_RET0);
    }
}

/* Unconditional branch to label depth d (moves included). */
static void emit_br(comp *c, uint32_t d)
{
    label *L = &c->lb[c->nl - 1 - d];
    if (L->kind == L_FUNC) {
        emit_return(c);
        return;
    }
    if (needs_moves(c, L)) emit_moves(c, L);
    uint32_t at = emit_op(c, L->kind == L_LOOP ? WOP_BR_L : WOP_BR);
    emit_w(c, 0);
    branch_to(c, L, at + 2, at);
}

/* ------------------------------------------------------------------ compare fusion */

static const uint8_t cmp_mirror[10] = {0, 1, 4, 5, 2, 3, 8, 9, 6, 7};
static const uint8_t cmp_negate[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
#define CI_EQZ 10
#define CI_F64 11        /* + index in WASM_FCMPS */

/* If the top of the stack is the result of the compare just emitted, removes that
 * compare and returns true (c->cmp describes it). */
static bool take_cmp(comp *c)
{
    if (c->oom || c->cmp.end != c->n || c->h == 0 || c->cmp.h != c->h - 1 ||
        c->st[c->h - 1].kind != SV_SLOT)
        return false;
    c->n = c->cmp.start;
    c->cmp.end = UINT32_MAX;
    c->mul.end = UINT32_MAX;
    c->last_end = UINT32_MAX;
    return true;
}

/* Emits "branch if (compare) holds" (negate: if it does not) and returns the
 * instruction start; the offset operand is at the returned value + returned *opnd. */
static uint32_t emit_cmp_branch(comp *c, bool negate, bool to_loop, uint32_t *operand)
{
    int ci = c->cmp.ci;
    uint32_t at;
    if (ci >= CI_F64) {      /* no _L forms: a branch to the loop header does its FUEL */
        bool neg = c->cmp.neg != negate;
        at = emit_op(c, WOP_BR_F64_EQ + WASM_FBR_FAMILY * (ci - CI_F64) + (c->cmp.imm ? 1 : 0) +
                            (neg ? 2 : 0));
        emit_w(c, c->cmp.a);
        if (c->cmp.imm) {
            emit_w(c, (uint32_t)c->cmp.k);
            emit_w(c, (uint32_t)(c->cmp.k >> 32));
        } else {
            emit_w(c, c->cmp.b);
        }
    } else if (ci == CI_EQZ) {
        int op = c->cmp.is64 ? (negate ? WOP_BR_NZ64 : WOP_BR_Z64)
                             : (negate ? WOP_BR_NZ32 : WOP_BR_Z32);
        at = emit_op(c, to_loop ? loop_op(op) : op);
        emit_w(c, c->cmp.a);
    } else {
        if (negate) ci = cmp_negate[ci];
        int op = (c->cmp.is64 ? WOP_I64_EQ : WOP_I32_EQ) + WASM_CMP_FAMILY * ci + 2 +
                 (c->cmp.imm ? 1 : 0);
        if (to_loop && c->inc.end == c->n && !c->oom) {
            /* the i32.add of a constant just before: ADDI_BR_<cmp>[_I]_L */
            uint32_t d = c->w[c->inc.start + 2], s = c->w[c->inc.start + 3];
            uint32_t imm = c->w[c->inc.start + 4];
            c->n = c->inc.start;
            c->inc.end = UINT32_MAX;
            at = emit_op(c, op + 4);
            emit_w(c, d);
            emit_w(c, s);
            emit_w(c, imm);
        } else {
            at = emit_op(c, to_loop ? loop_op(op) : op);
        }
        emit_w(c, c->cmp.a);
        emit_w(c, c->cmp.b);
    }
    *operand = c->n;
    emit_w(c, 0);
    return at;
}

/* Emits a branch on the condition on top of the stack (popped): jumps if it is
 * non-zero (negate: zero). Returns the instruction start; *operand gets the offset
 * operand's position. Before the branch, entries [0, keep) are materialized. */
static uint32_t emit_cond_branch(comp *c, bool negate, uint32_t *operand)
{
    bool fused = take_cmp(c);
    c->h--;
    materialize_range(c, 0, c->h);
    if (fused) return emit_cmp_branch(c, negate, false, operand);
    uint32_t s = slot_of(c, c->h);
    uint32_t at = emit_op(c, negate ? WOP_BR_Z32 : WOP_BR_NZ32);
    emit_w(c, s);
    *operand = c->n;
    emit_w(c, 0);
    return at;
}

/* ------------------------------------------------------------------ operators */

static uint32_t pop_slot(comp *c)
{
    c->h--;
    return slot_of(c, c->h);
}

static bool fits_imm(uint64_t v, bool is64)
{
    return !is64 || (uint64_t)(int64_t)(int32_t)(uint32_t)v == v;
}

static void op_unary(comp *c, int op)
{
    uint32_t s = slot_of(c, c->h - 1);
    c->h--;
    uint32_t at = emit_op(c, op);
    emit_w(c, home(c, c->h));
    emit_w(c, s);
    note_dst(c, at, c->h);
    push_slot(c);
}

/* The multiply-add fusing a mul (just emitted) into add op, or -1. */
static int muladd_op(int op)
{
    switch (op) {
    case WOP_I32_ADD: return WOP_I32_MULADD;
    case WOP_I64_ADD: return WOP_I64_MULADD;
    case WOP_F64_ADD: return WOP_F64_MULADD;
    default: return -1;
    }
}

/* Binary operator; imm_op >= 0 is the variant taking a 32-bit immediate right
 * operand; commutative lets a constant left operand become the immediate. */
static void op_binary(comp *c, int op, int imm_op, bool commutative, bool is64)
{
    sv *a = &c->st[c->h - 2], *b = &c->st[c->h - 1];
    uint32_t dst = home(c, c->h - 2), at;
    if (imm_op >= 0 && b->kind == SV_CONST && fits_imm(b->c, is64)) {
        uint32_t imm = (uint32_t)b->c;
        uint32_t sa = slot_of(c, c->h - 2);
        at = emit_op(c, imm_op);
        emit_w(c, dst);
        emit_w(c, sa);
        emit_w(c, imm);
    } else if (imm_op >= 0 && commutative && a->kind == SV_CONST && fits_imm(a->c, is64)) {
        uint32_t imm = (uint32_t)a->c;
        uint32_t sb = slot_of(c, c->h - 1);
        at = emit_op(c, imm_op);
        emit_w(c, dst);
        emit_w(c, sb);
        emit_w(c, imm);
    } else {
        uint32_t sa = slot_of(c, c->h - 2);
        uint32_t sb = slot_of(c, c->h - 1);
        int mop = muladd_op(op);
        if (mop >= 0 && c->mul.end == c->n && !c->oom &&
            (c->mul.h == c->h - 1 || c->mul.h == c->h - 2) &&
            c->st[c->mul.h].kind == SV_SLOT && c->w[c->mul.start + 2] == home(c, c->mul.h)) {
            /* the product of the mul just emitted, used only here: one MULADD */
            uint32_t x = c->w[c->mul.start + 3], y = c->w[c->mul.start + 4];
            uint32_t other = c->mul.h == c->h - 1 ? sa : sb;
            c->n = c->mul.start;
            c->mul.end = UINT32_MAX;
            at = emit_op(c, mop);
            emit_w(c, dst);
            emit_w(c, x);
            emit_w(c, y);
            emit_w(c, other);
        } else {
            at = emit_op(c, op);
            emit_w(c, dst);
            emit_w(c, sa);
            emit_w(c, sb);
            if (op == WOP_I32_MUL || op == WOP_I64_MUL || op == WOP_F64_MUL) {
                c->mul.start = at;
                c->mul.end = c->n;
                c->mul.h = c->h - 2;
            }
        }
    }
    c->h -= 2;
    note_dst(c, at, c->h);
    if (op == WOP_I32_ADD && !c->oom &&
        memcmp(c->w + at, &c->H[WOP_I32_ADD_I], sizeof(void *)) == 0) {
        c->addi.start = at;
        c->addi.end = c->n;
        c->addi.h = c->h;
        c->addi.src = c->w[at + 3];
        c->addi.imm = c->w[at + 4];
        c->inc.start = at;
        c->inc.end = c->n;
    }
    push_slot(c);
}

/* If entry hh (a home slot) was produced by the i32.add-of-a-constant just emitted,
 * removes that add and returns true (c->addi has its operands): the memory access
 * then computes the address itself. */
static bool take_addi(comp *c, uint32_t hh)
{
    if (c->oom || c->addi.end != c->n || c->addi.h != hh || c->st[hh].kind != SV_SLOT)
        return false;
    c->n = c->addi.start;
    c->addi.end = UINT32_MAX;
    c->inc.end = UINT32_MAX;
    c->mul.end = UINT32_MAX;
    c->last_end = UINT32_MAX;
    c->cmp.end = UINT32_MAX;
    return true;
}

static bool is_nan_bits(uint64_t v, bool is64)
{
    return is64 ? (v & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull
                : (v & 0x7FFFFFFFu) > 0x7F800000u;
}

/* f32/f64 add, sub, mul, div: a constant right operand (or left, for add and mul,
 * unless a NaN) becomes an immediate (_K forms). */
static void op_fbinary(comp *c, int op, bool commutative, bool is64)
{
    sv *a = &c->st[c->h - 2], *b = &c->st[c->h - 1];
    int kop = (is64 ? WOP_F64_ADD_K : WOP_F32_ADD_K) + (op - (is64 ? WOP_F64_ADD : WOP_F32_ADD));
    uint32_t dst = home(c, c->h - 2), sa;
    uint64_t k;
    if (b->kind == SV_CONST) {
        k = b->c;
        sa = slot_of(c, c->h - 2);
    } else if (commutative && a->kind == SV_CONST && !is_nan_bits(a->c, is64)) {
        k = a->c;
        sa = slot_of(c, c->h - 1);
    } else {
        op_binary(c, op, -1, false, is64);
        return;
    }
    uint32_t at = emit_op(c, kop);
    emit_w(c, dst);
    emit_w(c, sa);
    emit_w(c, (uint32_t)k);
    if (is64) emit_w(c, (uint32_t)(k >> 32));
    c->h -= 2;
    note_dst(c, at, c->h);
    push_slot(c);
}

static void op_compare(comp *c, int ci, bool is64)
{
    sv *a = &c->st[c->h - 2], *b = &c->st[c->h - 1];
    int fam = is64 ? WOP_I64_EQ : WOP_I32_EQ;
    uint32_t dst = home(c, c->h - 2), sa, sb;
    bool imm = false;
    if (b->kind == SV_CONST && fits_imm(b->c, is64)) {
        sb = (uint32_t)b->c;
        sa = slot_of(c, c->h - 2);
        imm = true;
    } else if (a->kind == SV_CONST && fits_imm(a->c, is64)) {
        sb = (uint32_t)a->c;
        sa = slot_of(c, c->h - 1);
        ci = cmp_mirror[ci];
        imm = true;
    } else {
        sa = slot_of(c, c->h - 2);
        sb = slot_of(c, c->h - 1);
    }
    uint32_t at = emit_op(c, fam + WASM_CMP_FAMILY * ci + (imm ? 1 : 0));
    emit_w(c, dst);
    emit_w(c, sa);
    emit_w(c, sb);
    c->h -= 2;
    note_dst(c, at, c->h);
    c->cmp.start = at;
    c->cmp.end = c->n;
    c->cmp.h = c->h;
    c->cmp.a = sa;
    c->cmp.b = sb;
    c->cmp.ci = ci;
    c->cmp.is64 = is64;
    c->cmp.imm = imm;
    push_slot(c);
}

/* f64 compare (index fi in WASM_FCMPS): a plain F64_<C>, remembered in c->cmp so that a
 * branch on it (maybe through eqz) becomes one BR_F64_[N]<C>[_K]; a constant right
 * operand is then an immediate (the constant's materialization is dropped with the
 * compare). */
static void op_fcompare(comp *c, int fi)
{
    bool fuse = c->st[c->h - 2].kind != SV_CONST;
    bool k = c->st[c->h - 1].kind == SV_CONST;
    uint64_t kv = c->st[c->h - 1].c;
    uint32_t start = c->n;
    op_binary(c, WOP_F64_EQ + fi, -1, false, true);
    if (!fuse || c->oom) return;
    uint32_t at = c->n - 5;
    c->cmp.start = start;
    c->cmp.end = c->n;
    c->cmp.h = c->h - 1;
    c->cmp.a = c->w[at + 3];
    c->cmp.b = c->w[at + 4];
    c->cmp.ci = CI_F64 + fi;
    c->cmp.is64 = true;
    c->cmp.imm = k;
    c->cmp.neg = false;
    c->cmp.k = kv;
}

/* i32.eqz of an integer compare just emitted negates that compare in place; of an f64
 * compare it is emitted, and a branch on it still fuses (negated) with the compare. */
static void op_eqz(comp *c, bool is64)
{
    bool of_cmp = !is64 && !c->oom && c->cmp.end == c->n && c->cmp.h == c->h - 1 &&
                  c->st[c->h - 1].kind == SV_SLOT && c->cmp.ci != CI_EQZ;
    if (of_cmp && c->cmp.ci < CI_EQZ) {
        int ci = cmp_negate[c->cmp.ci];
        int op = (c->cmp.is64 ? WOP_I64_EQ : WOP_I32_EQ) + WASM_CMP_FAMILY * ci +
                 (c->cmp.imm ? 1 : 0);
        memcpy(c->w + c->cmp.start, &c->H[op], sizeof(void *));
        c->cmp.ci = ci;
        return;
    }
    struct cmp_state fcmp = c->cmp;
    uint32_t s = slot_of(c, c->h - 1);
    c->h--;
    uint32_t at = emit_op(c, is64 ? WOP_I64_EQZ : WOP_I32_EQZ);
    emit_w(c, home(c, c->h));
    emit_w(c, s);
    note_dst(c, at, c->h);
    c->cmp.start = at;
    c->cmp.end = c->n;
    c->cmp.h = c->h;
    c->cmp.a = s;
    c->cmp.ci = CI_EQZ;
    c->cmp.is64 = is64;
    c->cmp.imm = false;
    push_slot(c);
    if (of_cmp) {   /* of an f64 compare: a branch on it removes both */
        fcmp.end = c->n;
        fcmp.neg = !fcmp.neg;
        c->cmp = fcmp;
    }
}

/* Pops k operands (slots), emits op [dst if has_result] operands..., pushes result. */
static uint32_t op_generic(comp *c, int op, unsigned k, bool has_result)
{
    uint32_t s[5];
    for (unsigned i = 0; i < k; i++) s[i] = slot_of(c, c->h - k + i);
    c->h -= k;
    uint32_t at = emit_op(c, op);
    if (has_result) emit_w(c, home(c, c->h));
    for (unsigned i = 0; i < k; i++) emit_w(c, s[i]);
    if (has_result) {
        note_dst(c, at, c->h);
        push_slot(c);
    }
    return at;
}

/* local.set / local.tee */
static void op_local_set(comp *c, uint32_t x, bool tee)
{
    uint32_t top = c->h - 1;
    uint32_t lim = top < LAZY_MAX ? top : LAZY_MAX;
    bool others = false;
    for (uint32_t i = 0; i < lim; i++)
        if (c->st[i].kind == SV_LOCAL && c->st[i].local == x) others = true;
    sv *e = &c->st[top];
    if (!others && e->kind == SV_SLOT && c->last_end == c->n && c->last_h == top &&
        !c->oom) {
        c->w[c->last_dst] = x;       /* the producer writes the local directly */
        c->last_end = UINT32_MAX;
    } else {
        for (uint32_t i = 0; i < lim; i++)
            if (c->st[i].kind == SV_LOCAL && c->st[i].local == x) materialize(c, i);
        if (!(e->kind == SV_LOCAL && e->local == x)) move_to(c, top, x);
    }
    c->h--;
    c->cmp.end = UINT32_MAX;
    c->addi.end = UINT32_MAX;
    if (tee) {
        sv v = {SV_LOCAL, x, 0};
        if (e->kind == SV_CONST) v = *e;
        push(c, v);
    }
}

/* ------------------------------------------------------------------ block types */

static void block_arity(const wasm_module *m, const wasm_instr *in, uint32_t *np,
                        uint32_t *nr)
{
    if (in->bt_kind == WASM_BT_EMPTY) {
        *np = 0;
        *nr = 0;
    } else if (in->bt_kind == WASM_BT_VAL) {
        *np = 0;
        *nr = 1;
    } else {
        *np = m->types[in->a].n_params;
        *nr = m->types[in->a].n_results;
    }
}

/* ------------------------------------------------------------------ numeric table */

enum { K_NONE, K_UN, K_BIN, K_IMM, K_CMP, K_EQZ, K_ID, K_FK, K_FCMP };

typedef struct numop {
    uint16_t op;
    uint8_t kind;
    uint8_t flags;           /* 1 commutative, 2 is64, compare index in op for K_CMP */
} numop;

static numop num_of(uint32_t op)
{
    numop r = {0, K_NONE, 0};
    if (op == 0x45) { r.kind = K_EQZ; return r; }
    if (op == 0x50) { r.kind = K_EQZ; r.flags = 2; return r; }
    if (op >= 0x46 && op <= 0x4F) { r.kind = K_CMP; r.op = (uint16_t)(op - 0x46); return r; }
    if (op >= 0x51 && op <= 0x5A) {
        r.kind = K_CMP; r.op = (uint16_t)(op - 0x51); r.flags = 2; return r;
    }
    static const uint16_t fcmp[12] = {WOP_F32_EQ, WOP_F32_NE, WOP_F32_LT, WOP_F32_GT,
        WOP_F32_LE, WOP_F32_GE, WOP_F64_EQ, WOP_F64_NE, WOP_F64_LT, WOP_F64_GT,
        WOP_F64_LE, WOP_F64_GE};
    if (op >= 0x61 && op <= 0x66) { r.kind = K_FCMP; r.op = (uint16_t)(op - 0x61); return r; }
    if (op >= 0x5B && op <= 0x66) { r.kind = K_BIN; r.op = fcmp[op - 0x5B]; return r; }
    /* integer arithmetic: i32 0x67..0x78, i64 0x79..0x8A */
    if (op >= 0x67 && op <= 0x8A) {
        bool is64 = op >= 0x79;
        unsigned k = op - (is64 ? 0x79 : 0x67);
        r.flags = is64 ? 2 : 0;
        if (k < 3) {
            r.kind = K_UN;
            r.op = (uint16_t)((is64 ? WOP_I64_CLZ : WOP_I32_CLZ) + k);
            return r;
        }
        /* add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr */
        static const int8_t immidx[15] = {0, 1, 2, -1, -1, -1, -1, 3, 4, 5, 6, 7, 8, 9, 10};
        static const uint8_t comm[15] = {1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0};
        k -= 3;
        if (immidx[k] >= 0) {
            r.kind = K_IMM;
            r.op = (uint16_t)((is64 ? WOP_I64_ADD : WOP_I32_ADD) + 2 * immidx[k]);
        } else {
            static const uint16_t o32[15] = {0, 0, 0, WOP_I32_DIVS, WOP_I32_DIVU, WOP_I32_REMS,
                WOP_I32_REMU, 0, 0, 0, 0, 0, 0, 0, 0};
            static const uint16_t o64[15] = {0, 0, 0, WOP_I64_DIVS, WOP_I64_DIVU, WOP_I64_REMS,
                WOP_I64_REMU, 0, 0, 0, 0, 0, 0, 0, 0};
            r.kind = K_BIN;
            r.op = is64 ? o64[k] : o32[k];
        }
        if (comm[k]) r.flags |= 1;
        return r;
    }
    if (op >= 0x8B && op <= 0xA6) {
        bool is64 = op >= 0x99;
        unsigned k = op - (is64 ? 0x99 : 0x8B);
        r.op = (uint16_t)((is64 ? WOP_F64_ABS : WOP_F32_ABS) + k);
        r.kind = k < 7 ? K_UN : (k <= 10 ? K_FK : K_BIN);
        if (k == 7 || k == 9) r.flags |= 1;   /* add, mul commute */
        if (is64) r.flags |= 2;
        return r;
    }
    static const uint16_t conv[0xC5 - 0xA7] = {
        WOP_I32_WRAP, WOP_I32_TRUNC_F32S, WOP_I32_TRUNC_F32U, WOP_I32_TRUNC_F64S,
        WOP_I32_TRUNC_F64U, WOP_I64_EXTEND_I32S, 0 /* extend_i32_u: identity */,
        WOP_I64_TRUNC_F32S, WOP_I64_TRUNC_F32U, WOP_I64_TRUNC_F64S, WOP_I64_TRUNC_F64U,
        WOP_F32_CONV_I32S, WOP_F32_CONV_I32U, WOP_F32_CONV_I64S, WOP_F32_CONV_I64U,
        WOP_F32_DEMOTE, WOP_F64_CONV_I32S, WOP_F64_CONV_I32U, WOP_F64_CONV_I64S,
        WOP_F64_CONV_I64U, WOP_F64_PROMOTE, 0, 0, 0, 0 /* reinterprets */,
        WOP_I32_EXT8S, WOP_I32_EXT16S, WOP_I64_EXT8S, WOP_I64_EXT16S, WOP_I64_EXT32S};
    if (op >= 0xA7 && op <= 0xC4) {
        r.op = conv[op - 0xA7];
        r.kind = r.op ? K_UN : K_ID;
        return r;
    }
    if (op >= WASM_OP_FC(0) && op <= WASM_OP_FC(7)) {
        r.kind = K_UN;
        r.op = (uint16_t)(WOP_I32_SAT_F32S + (op - WASM_OP_FC(0)));
        return r;
    }
    return r;
}

/* ------------------------------------------------------------------ loads / stores */

static int load_op(uint32_t op)
{
    switch (op) {
    case 0x28: case 0x2A: case 0x35: return WOP_LD32;
    case 0x29: case 0x2B: return WOP_LD64;
    case 0x2C: return WOP_LD8S32;
    case 0x2D: case 0x31: return WOP_LD8U;
    case 0x2E: return WOP_LD16S32;
    case 0x2F: case 0x33: return WOP_LD16U;
    case 0x30: return WOP_LD8S64;
    case 0x32: return WOP_LD16S64;
    case 0x34: return WOP_LD32S64;
    default: return -1;
    }
}

static int store_op(uint32_t op)
{
    switch (op) {
    case 0x36: case 0x38: case 0x3E: return WOP_ST32;
    case 0x37: case 0x39: return WOP_ST64;
    case 0x3A: case 0x3C: return WOP_ST8;
    case 0x3B: case 0x3D: return WOP_ST16;
    default: return -1;
    }
}

/* ------------------------------------------------------------------ one function */

static void do_end(comp *c)
{
    label *L = &c->lb[c->nl - 1];
    bool was_dead = c->dead;
    if (L->kind == L_FUNC) {
        if (!c->dead) emit_return(c);
        fuel_close(c);
        c->nl--;
        return;
    }
    if (!c->dead) materialize_range(c, c->h - L->n_results, c->h);
    uint32_t here = c->n;
    if (L->kind == L_IF && !L->else_seen) set_w(c, L->else_operand, here - L->else_instr);
    resolve_patches(c, L, here);
    bool new_block = L->kind == L_IF || L->targeted || was_dead;
    c->h = L->height;
    for (uint32_t i = 0; i < L->n_results; i++) push_slot(c);
    c->nl--;
    c->dead = false;
    c->last_end = UINT32_MAX;
    c->cmp.end = UINT32_MAX;
    if (new_block) fuel_open(c);
}

/* A select into the home slot of stack height h (its operands already popped):
 * cond != 0 picks a, else b. */
static void emit_select(comp *c, int op, uint32_t cond, uint32_t a, uint32_t b)
{
    uint32_t at = emit_op(c, op);
    emit_w(c, home(c, c->h));
    emit_w(c, cond);
    emit_w(c, a);
    emit_w(c, b);
    note_dst(c, at, c->h);
    push_slot(c);
}

static void compile_begin(comp *c, const wasm_func_decl *fd)
{
    push_label(c, L_FUNC, 0, c->n_results);
    fuel_open(c);   /* words[0] is always a FUEL instruction (the call does it inline) */
    c->fuel_acc = fd->n_locals / 64;   /* zeroing the declared locals on entry */
}

static int compile_finish(comp *c, const wasm_func_decl *fd, esgx_err *err)
{
    if (c->too_big)
        return esgx_err_set(err, WASM_E_LIMIT, "function %u too large once compiled",
                            c->m->n_func_imports + (uint32_t)(fd - c->m->funcs));
    if (c->oom) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    return ESGX_OK;
}

/* Compiles one instruction of a body being compiled (the validator has accepted it
 * and everything before it). off is its offset in the module, for messages. */
static int compile_instr(comp *c, wasm_instr in, size_t off, esgx_err *err)
{
    const wasm_module *m = c->m;
    uint32_t op = in.op;
    if (c->dead) {
        if (op == 0x02 || op == 0x03 || op == 0x04) {
            c->dead_depth++;
            return 0;
        }
        if (op == 0x0B && c->dead_depth > 0) {
            c->dead_depth--;
            return 0;
        }
        if (!(op == 0x0B || (op == 0x05 && c->dead_depth == 0))) return 0;
    }
    if (!c->dead) c->fuel_acc += op_cost(op);
    numop no = num_of(op);
    if (no.kind != K_NONE) {
        bool is64 = no.flags & 2;
        switch (no.kind) {
        case K_UN: op_unary(c, no.op); break;
        case K_BIN: op_binary(c, no.op, -1, false, is64); break;
        case K_IMM: op_binary(c, no.op, no.op + 1, no.flags & 1, is64); break;
        case K_CMP: op_compare(c, no.op, is64); break;
        case K_EQZ: op_eqz(c, is64); break;
        case K_FK: op_fbinary(c, no.op, no.flags & 1, is64); break;
        case K_FCMP: op_fcompare(c, no.op); break;
        default: break;   /* K_ID: the bits are already right */
        }
        return 0;
    }
    int lo = load_op(op), so = store_op(op);
    if (lo >= 0) {
        uint32_t at;
        if (take_addi(c, c->h - 1)) {
            c->h--;
            at = emit_op(c, lo + (WOP_LD32_A - WOP_LD32));
            emit_w(c, home(c, c->h));
            emit_w(c, c->addi.src);
            emit_w(c, c->addi.imm);
        } else if (c->st[c->h - 1].kind == SV_CONST) {
            c->h--;
            at = emit_op(c, lo + (WOP_LD32_A - WOP_LD32));
            emit_w(c, home(c, c->h));
            emit_w(c, c->zero_slot);
            emit_w(c, (uint32_t)c->st[c->h].c);
        } else {
            uint32_t a = slot_of(c, c->h - 1);
            c->h--;
            at = emit_op(c, lo);
            emit_w(c, home(c, c->h));
            emit_w(c, a);
        }
        emit_w(c, in.b);
        note_dst(c, at, c->h);
        push_slot(c);
        return 0;
    }
    if (so >= 0) {
        if (c->st[c->h - 1].kind != SV_SLOT && take_addi(c, c->h - 2)) {
            uint32_t v = slot_of(c, c->h - 1);
            c->h -= 2;
            emit_op(c, so + (WOP_ST8_A - WOP_ST8));
            emit_w(c, c->addi.src);
            emit_w(c, v);
            emit_w(c, c->addi.imm);
        } else if (c->st[c->h - 2].kind == SV_CONST) {
            uint32_t addr = (uint32_t)c->st[c->h - 2].c;
            uint32_t v = slot_of(c, c->h - 1);
            c->h -= 2;
            emit_op(c, so + (WOP_ST8_A - WOP_ST8));
            emit_w(c, c->zero_slot);
            emit_w(c, v);
            emit_w(c, addr);
        } else {
            uint32_t a = slot_of(c, c->h - 2), v = slot_of(c, c->h - 1);
            c->h -= 2;
            emit_op(c, so);
            emit_w(c, a);
            emit_w(c, v);
        }
        emit_w(c, in.b);
        return 0;
    }
    switch (op) {
    case 0x00: /* unreachable */
        emit_op(c, WOP_UNREACHABLE);
        c->dead = true;
        c->dead_depth = 0;
        break;
    case 0x01: break;
    case 0x02: case 0x03: { /* block, loop */
        uint32_t np, nr;
        block_arity(m, &in, &np, &nr);
        materialize_range(c, 0, c->h);
        label *L = push_label(c, op == 0x02 ? L_BLOCK : L_LOOP, np, nr);
        if (!L) break;
        if (op == 0x03) {
            fuel_open(c);
            L = &c->lb[c->nl - 1];
            L->loop_pos = c->fuel_pos;
        }
        c->last_end = UINT32_MAX;
        c->cmp.end = UINT32_MAX;
        break;
    }
    case 0x04: { /* if */
        uint32_t np, nr, operand;
        block_arity(m, &in, &np, &nr);
        uint32_t at = emit_cond_branch(c, true, &operand);
        label *L = push_label(c, L_IF, np, nr);
        if (!L) break;
        L->else_instr = at;
        L->else_operand = operand;
        fuel_open(c);
        c->last_end = UINT32_MAX;
        c->cmp.end = UINT32_MAX;
        break;
    }
    case 0x05: { /* else */
        label *L = &c->lb[c->nl - 1];
        if (!c->dead) {
            materialize_range(c, c->h - L->n_results, c->h);
            uint32_t at = emit_op(c, WOP_BR);
            emit_w(c, 0);
            add_patch(c, L, at + 2, at);
        }
        set_w(c, L->else_operand, c->n - L->else_instr);
        L->else_seen = true;
        c->h = L->height;
        for (uint32_t i = 0; i < L->n_params; i++) push_slot(c);
        c->dead = false;
        c->last_end = UINT32_MAX;
        c->cmp.end = UINT32_MAX;
        fuel_open(c);
        break;
    }
    case 0x0B:
        do_end(c);
        break;
    case 0x0C: /* br */
        emit_br(c, in.a);
        c->dead = true;
        c->dead_depth = 0;
        break;
    case 0x0D: { /* br_if */
        label *L = &c->lb[c->nl - 1 - in.a];
        bool fused = take_cmp(c);
        c->h--;   /* the condition */
        uint32_t cond = fused ? 0 : slot_of(c, c->h);
        /* a return materializes its values: do it on the common path */
        if (L->kind == L_FUNC) materialize_range(c, c->h - c->n_results, c->h);
        bool moves = L->kind == L_FUNC || needs_moves(c, L);
        uint32_t operand, at;
        bool to_loop = !moves && L->kind == L_LOOP;
        if (fused) {
            at = emit_cmp_branch(c, moves, to_loop, &operand);
        } else {
            int bop = moves ? WOP_BR_Z32 : WOP_BR_NZ32;
            at = emit_op(c, to_loop ? loop_op(bop) : bop);
            emit_w(c, cond);
            operand = c->n;
            emit_w(c, 0);
        }
        if (!moves) {
            branch_to(c, L, operand, at);
        } else {
            emit_br(c, in.a);
            set_w(c, operand, c->n - at);
        }
        fuel_open(c);
        c->last_end = UINT32_MAX;
        c->cmp.end = UINT32_MAX;
        break;
    }
    case 0x0E: { /* br_table */
        uint32_t idx = pop_slot(c);
        uint32_t n = in.n;
        materialize_range(c, 0, c->h);
        uint32_t at = emit_op(c, WOP_BR_TABLE);
        emit_w(c, idx);
        emit_w(c, n);
        uint32_t tab = c->n;
        for (uint32_t i = 0; i <= n; i++) emit_w(c, 0);
        const uint8_t *cur = in.vec;
        for (uint32_t i = 0; i <= n && !c->oom; i++) {
            uint32_t d = wasm_leb_u32_next(&cur);
            label *L = &c->lb[c->nl - 1 - d];
            if (L->kind != L_FUNC && !needs_moves(c, L)) {
                branch_to(c, L, tab + i, at);
                continue;
            }
            if (c->stub_at[d] == UINT32_MAX) {
                c->stub_at[d] = c->n;
                c->copy_end = UINT32_MAX;   /* a jump target */
                emit_br(c, d);
            }
            set_w(c, tab + i, c->stub_at[d] - at);
        }
        cur = in.vec;
        for (uint32_t i = 0; i <= n; i++) c->stub_at[wasm_leb_u32_next(&cur)] = UINT32_MAX;
        c->dead = true;
        c->dead_depth = 0;
        break;
    }
    case 0x0F: /* return */
        emit_return(c);
        c->dead = true;
        c->dead_depth = 0;
        break;
    case 0x10: case 0x11: { /* call, call_indirect */
        uint32_t fi = in.a;
        const wasm_functype_decl *ft =
            op == 0x10 ? wasm_module_func_type(m, fi) : &m->types[in.a];
        uint32_t elem = 0;
        if (op == 0x11) elem = pop_slot(c);
        uint32_t np = ft->n_params, nr = ft->n_results;
        materialize_range(c, c->h - np, c->h);
        uint32_t argbase = home(c, c->h - np);
        if (op == 0x11) {
            emit_op(c, WOP_CALL_INDIRECT);
            emit_w(c, in.a);
            emit_w(c, in.b);
            emit_w(c, argbase);
            emit_w(c, elem);
        } else if (fi < m->n_func_imports) {
            emit_op(c, WOP_CALL_IMPORT);
            emit_w(c, fi);
            emit_w(c, argbase);
        } else {
            emit_op(c, WOP_CALL);
            emit_ptr(c, &c->codes[fi - m->n_func_imports]);
            emit_w(c, argbase);
        }
        c->h -= np;
        for (uint32_t i = 0; i < nr; i++) push_slot(c);
        c->last_end = UINT32_MAX;
        break;
    }
    case 0x1A: /* drop */
        c->h--;
        c->cmp.end = UINT32_MAX;
        c->addi.end = UINT32_MAX;
        break;
    case 0x1B: case 0x1C: { /* select */
        /* select(a, b, eqz x) = select(b, a, x): the eqz is dropped */
        if (c->cmp.ci == CI_EQZ && take_cmp(c)) {
            {
                uint32_t x = c->cmp.a;
                uint32_t b = slot_of(c, c->h - 2);
                uint32_t a = slot_of(c, c->h - 3);
                c->h -= 3;
                emit_select(c, c->cmp.is64 ? WOP_SELECT64 : WOP_SELECT, x, b, a);
                break;
            }
        }
        uint32_t cond = slot_of(c, c->h - 1);
        uint32_t b = slot_of(c, c->h - 2);
        uint32_t a = slot_of(c, c->h - 3);
        c->h -= 3;
        emit_select(c, WOP_SELECT, cond, a, b);
        break;
    }
    case 0x20: { /* local.get */
        sv v = {SV_LOCAL, in.a, 0};
        push(c, v);
        break;
    }
    case 0x21: op_local_set(c, in.a, false); break;
    case 0x22: op_local_set(c, in.a, true); break;
    case 0x23: {
        uint32_t at = emit_op(c, WOP_GLOBAL_GET);
        emit_w(c, home(c, c->h));
        emit_w(c, in.a);
        note_dst(c, at, c->h);
        push_slot(c);
        break;
    }
    case 0x24: {
        uint32_t s = pop_slot(c);
        emit_op(c, WOP_GLOBAL_SET);
        emit_w(c, s);
        emit_w(c, in.a);
        break;
    }
    case 0x25: /* table.get */
        op_generic(c, WOP_TABLE_GET, 1, true);
        emit_w(c, in.a);
        break;
    case 0x26: { /* table.set: t idx val */
        uint32_t v = slot_of(c, c->h - 1), i = slot_of(c, c->h - 2);
        c->h -= 2;
        emit_op(c, WOP_TABLE_SET);
        emit_w(c, in.a);
        emit_w(c, i);
        emit_w(c, v);
        break;
    }
    case 0x3F: {
        uint32_t at = emit_op(c, WOP_MEM_SIZE);
        emit_w(c, home(c, c->h));
        note_dst(c, at, c->h);
        push_slot(c);
        break;
    }
    case 0x40: op_generic(c, WOP_MEM_GROW, 1, true); break;
    case 0x41: case 0x42: case 0x43: case 0x44: case 0xD0: {
        sv v = {SV_CONST, 0, op == 0xD0 ? 0 : in.bits};
        if (op == 0x41 || op == 0x43) v.c = (uint32_t)v.c;
        push(c, v);
        break;
    }
    case 0xD1: op_unary(c, WOP_REF_IS_NULL); break;
    case 0xD2: {
        uint32_t at = emit_op(c, WOP_REF_FUNC);
        emit_w(c, home(c, c->h));
        emit_w(c, in.a);
        note_dst(c, at, c->h);
        push_slot(c);
        break;
    }
    case WASM_OP_FC(8): /* memory.init */
        op_generic(c, WOP_MEM_INIT, 3, false);
        emit_w(c, in.a);
        break;
    case WASM_OP_FC(9):
        emit_op(c, WOP_DATA_DROP);
        emit_w(c, in.a);
        break;
    case WASM_OP_FC(10): op_generic(c, WOP_MEM_COPY, 3, false); break;
    case WASM_OP_FC(11): op_generic(c, WOP_MEM_FILL, 3, false); break;
    case WASM_OP_FC(12): /* table.init elem table */
        op_generic(c, WOP_TABLE_INIT, 3, false);
        emit_w(c, in.b);
        emit_w(c, in.a);
        break;
    case WASM_OP_FC(13):
        emit_op(c, WOP_ELEM_DROP);
        emit_w(c, in.a);
        break;
    case WASM_OP_FC(14): /* table.copy dst src */
        op_generic(c, WOP_TABLE_COPY, 3, false);
        emit_w(c, in.a);
        emit_w(c, in.b);
        break;
    case WASM_OP_FC(15): /* table.grow */
        op_generic(c, WOP_TABLE_GROW, 2, true);
        emit_w(c, in.a);
        c->last_end = UINT32_MAX;
        break;
    case WASM_OP_FC(16):
        emit_op(c, WOP_TABLE_SIZE);
        emit_w(c, home(c, c->h));
        emit_w(c, in.a);
        push_slot(c);
        break;
    case WASM_OP_FC(17): /* table.fill */
        op_generic(c, WOP_TABLE_FILL, 3, false);
        emit_w(c, in.a);
        break;
    default:
        return esgx_err_set(err, WASM_E_UNSUPPORTED,
                            "compile: unsupported opcode 0x%x (offset %zu)", op,
                            off);
    }
    return 0;
}

/* ------------------------------------------------------------------ functions */

/* Compiles defined function i into codes[i]; with bc, each instruction is first
 * checked by the validator (the fused pass), otherwise the body is known valid. */
static int compile_function(comp *c, wasm_body_checker *bc, uint32_t i, esgx_err *err)
{
    const wasm_module *m = c->m;
    const wasm_func_decl *fd = &m->funcs[i];
    const wasm_functype_decl *ft = &m->types[fd->type];
    wasm_code *code = &c->codes[i];
    code->n_params = ft->n_params;
    code->n_results = ft->n_results;
    code->n_locals = fd->n_locals + 1;   /* + the zero slot */
    code->func_index = m->n_func_imports + i;
    c->n = 0;
    c->h = 0;
    c->max_h = 0;
    c->nl = 0;
    c->npt = 0;
    c->dead = false;
    c->dead_depth = 0;
    c->zero_slot = ft->n_params + fd->n_locals;
    c->base = c->zero_slot + 1;
    c->n_params = ft->n_params;
    c->n_results = ft->n_results;
    c->last_end = UINT32_MAX;
    c->copy_end = UINT32_MAX;
    c->cmp.end = UINT32_MAX;
    c->addi.end = UINT32_MAX;
    c->inc.end = UINT32_MAX;
    c->mul.end = UINT32_MAX;
    c->fuel_pos = UINT32_MAX;
    c->word_limit = 64ull * fd->code_len + 4096;
    c->room = c->cap < c->word_limit ? c->cap : (uint32_t)c->word_limit;
    /* br_table stubs are indexed by label depth; depth <= body length */
    size_t stubs = (size_t)fd->code_len + 2;
    if (stubs > c->stub_cap) {
        free(c->stub_at);
        c->stub_at = malloc(stubs * sizeof *c->stub_at);
        c->stub_cap = c->stub_at ? stubs : 0;
        if (!c->stub_at) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < stubs; k++) c->stub_at[k] = UINT32_MAX;

    if (bc) TRY(wasm_body_check_begin(bc, i));
    wasm_reader r = {fd->code, fd->code + fd->code_len, m->bytes, "code", true, err};
    wasm_instr in;
    compile_begin(c, fd);
    while (r.p < r.end && !c->oom) {
        size_t off = (size_t)(r.p - m->bytes);
        if (!bc && c->nl == 0) break;
        TRY(wasm_read_instr(&r, &in));
        if (bc) {
            TRY(wasm_body_check_instr(bc, &in, off));
            /* the one rule of decode.c's body scan that the validator does not have */
            if ((in.op == WASM_OP_FC(8) || in.op == WASM_OP_FC(9)) && !m->has_data_count)
                return esgx_err_set(err, WASM_E_MALFORMED, "data count section required");
        }
        if (c->nl > 0) TRY(compile_instr(c, in, off, err));
    }
    TRY(compile_finish(c, fd, err));   /* first: a full buffer also stops the loop */
    if (bc) TRY(wasm_body_check_end(bc));
    if (c->nl > 0)
        return esgx_err_set(err, WASM_E_MALFORMED, "function body without end");
    if (c->n < 3 || memcmp(c->w, &c->H[WOP_FUEL], sizeof(void *)) != 0)
        return esgx_err_set(err, WASM_E_INVALID, "internal: function %u lacks its entry block",
                            code->func_index);
    code->words = malloc((size_t)(c->n ? c->n : 1) * 4);
    if (!code->words) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    memcpy(code->words, c->w, (size_t)c->n * 4);
    code->n_words = c->n;
    uint64_t fs = (uint64_t)c->base + c->max_h + 1;
    if (fs < ft->n_results) fs = ft->n_results;
    code->frame_size = fs > UINT32_MAX ? UINT32_MAX : (uint32_t)fs;
    return ESGX_OK;
}

/* ------------------------------------------------------------------ module */

/* Bodies smaller than this in all are compiled by the calling thread alone: starting
 * a thread costs tens of microseconds. */
#define PARALLEL_MIN_CODE (64u << 10)

/* Work shared by the threads of one wasm_compile_module: functions are taken in
 * index order from a counter; after a failure no new function is started, so every
 * function below the failing one has been compiled and the lowest failure is the
 * one a single thread would have met first. */
typedef struct cjob {
    wasm_module *m;
    wasm_validator *vm;
    wasm_code *codes;
    _Atomic uint32_t next;
    _Atomic bool failed;
} cjob;

typedef struct cworker {
    cjob *job;
    int rc;
    uint32_t fail_at;         /* function that failed (if rc) */
    esgx_err err;
} cworker;

static void *compile_worker(void *arg)
{
    cworker *wk = arg;
    cjob *job = wk->job;
    comp c;
    memset(&c, 0, sizeof c);
    c.m = job->m;
    c.H = wasm_exec_handlers();
    c.codes = job->codes;
    wasm_body_checker *bc = NULL;
    wk->rc = ESGX_OK;
    if (job->vm) wk->rc = wasm_body_checker_new(job->vm, &wk->err, &bc);
    while (wk->rc == ESGX_OK && !atomic_load_explicit(&job->failed, memory_order_relaxed)) {
        uint32_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->m->n_funcs) break;
        wk->rc = compile_function(&c, bc, i, &wk->err);
        if (wk->rc) {
            wk->fail_at = i;
            atomic_store(&job->failed, true);
        }
    }
    wasm_body_checker_free(bc);
    if (c.w) explicit_bzero(c.w, (size_t)c.cap * 4);   /* see wasm_compiled_free */
    free(c.w);
    free(c.st);
    free(c.lb);
    free(c.pt);
    free(c.stub_at);
    return NULL;
}

int wasm_compile_module(wasm_module *m, wasm_validator *vm, uint32_t threads,
                        esgx_err *err)
{
    wasm_compiled *cm = calloc(1, sizeof *cm);
    if (!cm) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    m->compiled = cm;
    cm->codes = calloc(m->n_funcs ? m->n_funcs : 1, sizeof *cm->codes);
    if (!cm->codes) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    uint64_t code_bytes = 0;
    for (uint32_t i = 0; i < m->n_funcs; i++) code_bytes += m->funcs[i].code_len;
    if (code_bytes < PARALLEL_MIN_CODE) threads = 1;
    if (threads > m->n_funcs) threads = m->n_funcs;
    if (threads > WASM_COMPILE_THREADS_MAX) threads = WASM_COMPILE_THREADS_MAX;
    if (threads < 1) threads = 1;

    cjob job = {.m = m, .vm = vm, .codes = cm->codes};
    atomic_init(&job.next, 0);
    atomic_init(&job.failed, false);
    cworker wk[WASM_COMPILE_THREADS_MAX];
    pthread_t tid[WASM_COMPILE_THREADS_MAX];
    bool started[WASM_COMPILE_THREADS_MAX] = {false};
    for (uint32_t t = 0; t < threads; t++) {
        memset(&wk[t], 0, sizeof wk[t]);
        wk[t].job = &job;
    }
    /* helpers that cannot start just leave their share to the others */
    for (uint32_t t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, compile_worker, &wk[t]) == 0;
    compile_worker(&wk[0]);
    for (uint32_t t = 1; t < threads; t++)
        if (started[t]) pthread_join(tid[t], NULL);

    int rc = ESGX_OK;
    uint32_t first = UINT32_MAX;
    for (uint32_t t = 0; t < threads; t++) {
        if (wk[t].rc && wk[t].fail_at < first) {
            first = wk[t].fail_at;
            rc = wk[t].rc;
            if (err) *err = wk[t].err;
        }
    }
    if (rc) esgx_err_prefix(err, vm ? "validate and compile" : "compile");
    return rc;
}

void wasm_compiled_free(wasm_module *m)
{
    wasm_compiled *cm = m->compiled;
    if (!cm) return;
    if (cm->codes)
        for (uint32_t i = 0; i < m->n_funcs; i++) {
            /* compiled code holds the module's constants: wiped like its bytes */
            if (cm->codes[i].words)
                explicit_bzero(cm->codes[i].words, (size_t)cm->codes[i].n_words * 4);
            free(cm->codes[i].words);
        }
    free(cm->codes);
    free(cm);
    m->compiled = NULL;
}
