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
 * - a compare followed by br_if / if is one compare-and-branch; f64 compares too (a
 *   constant right operand is then an immediate, and an eqz between them gives the
 *   negated branch: no NaN-unsafe inversion); i32.eqz of an integer compare just
 *   turns it into the negated compare; `select` on an eqz swaps its operands instead;
 * - a load or store whose address is `x + constant` (an i32.add just emitted) or a
 *   constant folds the add in (it still wraps like i32.add);
 * - f32/f64 add/sub/mul/div take a constant operand as an immediate;
 * - an operator whose operand is the result of the instruction just emitted, used
 *   nowhere else, can fuse with it (fusions[] in compile_ops.c): an i32/i64/f64 add of
 *   a product is one MULADD, an add of a constant to a product by a constant one
 *   MULI_ADDI (`3n + 1`), an f64 `c - a*b` one MULSUB and `a*b*c` one MUL3 (f64:
 *   every operation still rounded), an xor of a rotl / shr_u by a constant one
 *   ROTLI_XOR / SHRUI_XOR, and of two rotls by constants one ROT2_XOR (the sigma
 *   functions of SHA-2);
 * - a branch back to a loop header also does the header's fuel charge, and a
 *   compare-and-branch back to it right after an i32.add of a constant (the loop
 *   counter step, even if teed to a local) does that add too (ADDI_BR_*_L);
 * - two copies in a row (the `local.get a; local.set b` chains that rotate variables)
 *   are one COPY2, and two i32.adds of a constant into locals in a row (induction
 *   variables) one ADDI2;
 * - in the straight code at function entry, a local.set of zero to a declared local
 *   not set yet (explicit initialization: locals start at zero) emits nothing.
 * The fusions look at a window of the recent instructions, one entry per role
 * (compile_internal.h: FZ_DST, FZ_COPY, FZ_CMP, ...), each live while nothing was
 * emitted after it; forget_fusions drops roles. A fusion never spans a jump target:
 * each starts a metering block, whose fuel_open forgets the whole window (and so does
 * a br_table stub). Operands are found with comp_opnd and the width constants
 * (ESGX_WASM_W_*), and ops by their class (esgx_wasm_iop_of, wasm_exec.h).
 *
 * The code is emitted with op numbers in each instruction's head words; when a
 * function is done it is threaded (esgx_wasm_code_thread, code.c) with the handler
 * table the caller passed (the interpreter's), so the compiler does not call the
 * interpreter.
 * Lazy entries are written to their home slots ("materialized") before anything that
 * needs them there: control structure entry, branches carrying values, calls, and a
 * local.set of a local that a lazy entry still names.
 *
 * The numeric operators are in compile_ops.c, the SIMD instructions in compile_simd.c;
 * compile_internal.h has the shared state.
 *
 * Slots, not values: a v128 takes two slots (wasm_exec.h), so the model of the operand
 * stack has one entry per slot (a v128 is two entries, the second marked hi: drop and
 * an untyped select read the width there), stack heights, block arities and call
 * arities are counted in slots, and a function with a v128 param or local maps local
 * indices to slots (lslot). Every other rule above works on the slots unchanged; a
 * lazy v128 is read in place only when both halves still name its local.
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
#include "compile_internal.h"
#include "jit_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define TRY(x)                  \
    do {                        \
        int rc_ = (x);          \
        if (rc_) return rc_;    \
    } while (0)

/* ------------------------------------------------------------------ emission */

/* Makes room for `more` words, failing (too_big) past the function's word_limit. */
void esgx_comp_grow_words(comp *c, uint32_t more)
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

uint32_t esgx_comp_emit_op(comp *c, int op)
{
    uint32_t at = c->n;
    emit_w(c, (uint32_t)op);   /* the head words: threaded at the end (code.c) */
    emit_w(c, 0);
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

void esgx_comp_push_slot(comp *c)
{
    sv v = {SV_SLOT, 0, 0, false};
    push(c, v);
}

void esgx_comp_push_v128(comp *c)
{
    sv v = {SV_SLOT, 0, 0, false};
    push(c, v);
    v.hi = true;
    push(c, v);
}

/* Pushes values of types ts[0..n) in their home slots (a v128 as two entries). */
static void push_types(comp *c, const esgx_wasm_valtype *ts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (ts[i] == ESGX_WASM_V128) esgx_comp_push_v128(c);
        else esgx_comp_push_slot(c);
    }
}

static void emit_const(comp *c, uint32_t dst, uint64_t v)
{
    if (v >> 32) {
        esgx_comp_emit_op(c, WOP_CONST64);
        emit_w(c, dst);
        emit_w(c, (uint32_t)v);
        emit_w(c, (uint32_t)(v >> 32));
    } else {
        esgx_comp_emit_op(c, WOP_CONST32);
        emit_w(c, dst);
        emit_w(c, (uint32_t)v);
    }
}

/* Copies slot src to dst. A copy right after another one (no jump target between
 * them) turns it into a COPY2. */
static void emit_copy(comp *c, uint32_t dst, uint32_t src)
{
    recent *cp = &c->fz[FZ_COPY];
    if (dst == src) return;
    if (cp->end == c->n && !c->oom) {
        c->w[cp->start] = WOP_COPY2;   /* "ds" + "ds" = "dsds": the operands follow */
        emit_w(c, dst);
        emit_w(c, src);
        forget_fusions(c, FZ(FZ_COPY));
        return;
    }
    cp->start = esgx_comp_emit_op(c, WOP_COPY);
    emit_w(c, dst);
    emit_w(c, src);
    cp->end = c->n;
}

/* Writes entry i into slot dst (entry unchanged). */
static void move_to(comp *c, uint32_t i, uint32_t dst)
{
    sv *e = &c->st[i];
    if (e->kind == SV_CONST) emit_const(c, dst, e->c);
    else if (e->kind == SV_LOCAL) emit_copy(c, dst, e->local);
    else emit_copy(c, dst, comp_home(c, i));
}

static void materialize(comp *c, uint32_t i)
{
    if (c->oom || c->st[i].kind == SV_SLOT) return;
    move_to(c, i, comp_home(c, i));
    c->st[i].kind = SV_SLOT;
}

void esgx_comp_materialize(comp *c, uint32_t i)
{
    materialize(c, i);
}

uint32_t esgx_comp_v128_slot_of(comp *c, uint32_t lo)
{
    if (c->oom) return 0;
    const sv *a = &c->st[lo], *b = &c->st[lo + 1];
    if (a->kind == SV_LOCAL && b->kind == SV_LOCAL && b->local == a->local + 1) return a->local;
    materialize(c, lo);
    materialize(c, lo + 1);
    return comp_home(c, lo);
}

static void materialize_range(comp *c, uint32_t from, uint32_t to)
{
    if (to > LAZY_MAX) to = LAZY_MAX;
    for (uint32_t i = from; i < to; i++) materialize(c, i);
}

/* The slot to read entry i from (constants are materialized). */
uint32_t esgx_comp_slot_of(comp *c, uint32_t i)
{
    if (c->oom) return 0;
    sv *e = &c->st[i];
    if (e->kind == SV_CONST) materialize(c, i);
    return e->kind == SV_LOCAL ? e->local : comp_home(c, i);
}

void esgx_comp_note_dst(comp *c, uint32_t instr, uint32_t hh)
{
    c->fz[FZ_DST].start = instr;
    c->fz[FZ_DST].end = c->n;
    c->fz[FZ_DST].h = hh;
}

/* ------------------------------------------------------------------ fuel */

static void fuel_close(comp *c)
{
    if (c->fuel_pos == UINT32_MAX) return;
    if (c->fuel_acc == 0 && c->fuel_pos + ESGX_WASM_W_FUEL == c->n) {
        c->n = c->fuel_pos;          /* empty block: drop its FUEL */
    } else {
        set_w(c, comp_opnd(c->fuel_pos, 0), c->fuel_acc > UINT32_MAX ? UINT32_MAX
                                                                      : (uint32_t)c->fuel_acc);
    }
    c->fuel_pos = UINT32_MAX;
}

static void fuel_open(comp *c)
{
    fuel_close(c);
    c->fuel_pos = esgx_comp_emit_op(c, WOP_FUEL);
    emit_w(c, 0);
    c->fuel_acc = 0;
    forget_fusions(c, FZ_ALL);   /* no fusion across a block boundary */
}

/* ------------------------------------------------------------------ labels */

static label *push_label(comp *c, uint8_t kind, uint32_t np, uint32_t nr,
                         const esgx_wasm_valtype *pt, uint32_t npv,
                         const esgx_wasm_valtype *rt, uint32_t nrv)
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
    L->ptypes = pt;
    L->np_vals = npv;
    L->rtypes = rt;
    L->nr_vals = nrv;
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

/* The variant of branch op (a BR* or an integer compare-and-branch) that, targeting a
 * loop header, also does the header's FUEL instruction (so a loop iteration is one
 * dispatch shorter). */
static int loop_op(int op)
{
    const esgx_wasm_iop_class *k = &esgx_wasm_iop_class_of[op];
    if (k->family == IOPF_BRANCH) return esgx_wasm_iop_form(op, BRF_L);
    return esgx_wasm_iop_form(op, k->form == CF_BR_I ? CF_BR_I_L : CF_BR_L);
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
    for (uint32_t k = 0; k < ar; k++)
        move_to(c, c->h - ar + k, comp_home(c, L->height + k));
}

/* The return sequence: results into slots 0..n-1, then return. */
static void emit_return(comp *c)
{
    uint32_t nr = c->n_results;
    if (nr == 0) {
        esgx_comp_emit_op(c, WOP_RET0);
    } else if (nr == 1) {
        uint32_t s = esgx_comp_slot_of(c, c->h - 1);
        esgx_comp_emit_op(c, WOP_RET1);
        emit_w(c, s);
    } else {
        materialize_range(c, c->h - nr, c->h);
        for (uint32_t k = 0; k < nr; k++) emit_copy(c, k, comp_home(c, c->h - nr + k));
        esgx_comp_emit_op(c, WOP_RET0);
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
    uint32_t at = esgx_comp_emit_op(c, L->kind == L_LOOP ? WOP_BR_L : WOP_BR);
    emit_w(c, 0);
    branch_to(c, L, comp_opnd(at, 0), at);
}

/* ------------------------------------------------------------------ compare fusion */


/* If the top of the stack is the result of the compare just emitted, removes that
 * compare and returns true (c->cmp describes it). */
static bool take_cmp(comp *c)
{
    const recent *r = &c->fz[FZ_CMP];
    if (c->oom || r->end != c->n || c->h == 0 || r->h != c->h - 1 ||
        c->st[c->h - 1].kind != SV_SLOT)
        return false;
    c->n = r->start;
    forget_fusions(c, FZ(FZ_CMP) | FZ(FZ_PROD) | FZ(FZ_DST));
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
        int form = c->cmp.imm ? (neg ? FBF_NBR_K : FBF_BR_K) : (neg ? FBF_NBR : FBF_BR);
        int op = esgx_wasm_iop_of(IOPF_FBR, ci - CI_F64, form);
        at = esgx_comp_emit_op(c, op);
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
        at = esgx_comp_emit_op(c, to_loop ? loop_op(op) : op);
        emit_w(c, c->cmp.a);
    } else {
        if (negate) ci = esgx_comp_cmp_negate[ci];
        int fam = c->cmp.is64 ? IOPF_ICMP_I64 : IOPF_ICMP_I32;
        int op = esgx_wasm_iop_of(fam, ci, c->cmp.imm ? CF_BR_I : CF_BR);
        const recent *step = &c->fz[FZ_STEP];
        if (to_loop && step->end == c->n && !c->oom) {
            /* the i32.add of a constant just before: ADDI_BR_<cmp>[_I]_L */
            uint32_t d = c->w[comp_opnd(step->start, 0)], s = c->w[comp_opnd(step->start, 1)];
            uint32_t imm = c->w[comp_opnd(step->start, 2)];
            c->n = step->start;
            forget_fusions(c, FZ(FZ_STEP));
            at = esgx_comp_emit_op(c, esgx_wasm_iop_of(fam, ci, c->cmp.imm ? CF_ADDI_BR_I_L
                                                                            : CF_ADDI_BR_L));
            emit_w(c, d);
            emit_w(c, s);
            emit_w(c, imm);
        } else {
            at = esgx_comp_emit_op(c, to_loop ? loop_op(op) : op);
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
    uint32_t s = esgx_comp_slot_of(c, c->h);
    uint32_t at = esgx_comp_emit_op(c, negate ? WOP_BR_Z32 : WOP_BR_NZ32);
    emit_w(c, s);
    *operand = c->n;
    emit_w(c, 0);
    return at;
}

/* ------------------------------------------------------------------ operators */

static uint32_t pop_slot(comp *c)
{
    c->h--;
    return esgx_comp_slot_of(c, c->h);
}

/* The first slot of local index x, and whether it is a v128 (two slots). */
static inline uint32_t local_slot(const comp *c, uint32_t x)
{
    return c->lmapped ? c->lslot[x] : x;
}

static inline bool local_v128(const comp *c, uint32_t x)
{
    return c->lmapped && c->lv128[x];
}

/* Whether local x still holds the zero it was given on entry (a declared local that
 * the straight code at function entry has not set yet, among the first 64). */
static bool known_zero(const comp *c, uint32_t x)
{
    return c->entry && x >= c->n_params && x - c->n_params < 64 &&
           !(c->written >> (x - c->n_params) & 1);
}

/* local.set / local.tee of a v128 local (slots x, x + 1) */
static void op_local_set_v128(comp *c, uint32_t x, bool tee)
{
    uint32_t lo = c->h - 2;
    uint32_t lim = lo < LAZY_MAX ? lo : LAZY_MAX;
    for (uint32_t i = 0; i < lim; i++)
        if (c->st[i].kind == SV_LOCAL && (c->st[i].local == x || c->st[i].local == x + 1))
            materialize(c, i);
    for (uint32_t k = 0; k < 2; k++)
        if (x + k >= c->n_params && x + k - c->n_params < 64)
            c->written |= 1ull << (x + k - c->n_params);
    sv e0 = c->st[lo], e1 = c->st[lo + 1];
    if (!(e0.kind == SV_LOCAL && e0.local == x && e1.kind == SV_LOCAL && e1.local == x + 1)) {
        move_to(c, lo, x);
        move_to(c, lo + 1, x + 1);
    }
    c->h -= 2;
    forget_fusions(c, FZ(FZ_CMP) | FZ(FZ_ADDI) | FZ(FZ_DST));
    if (tee) {
        sv v0 = {SV_LOCAL, x, 0, false}, v1 = {SV_LOCAL, x + 1, 0, true};
        if (e0.kind == SV_CONST && e1.kind == SV_CONST) {
            v0 = e0;
            v1 = e1;
        }
        push(c, v0);
        push(c, v1);
    }
}

/* local.set / local.tee */
static void op_local_set(comp *c, uint32_t x, bool tee)
{
    uint32_t top = c->h - 1;
    sv *z = &c->st[top];
    if (z->kind == SV_CONST && z->c == 0 && known_zero(c, x)) {
        /* setting a zero local to zero (explicit init of the locals): nothing to do */
        if (!tee) c->h--;   /* a tee leaves the constant on the stack */
        forget_fusions(c, FZ(FZ_CMP) | FZ(FZ_ADDI));
        return;
    }
    if (x >= c->n_params && x - c->n_params < 64) c->written |= 1ull << (x - c->n_params);
    uint32_t lim = top < LAZY_MAX ? top : LAZY_MAX;
    bool others = false;
    for (uint32_t i = 0; i < lim; i++)
        if (c->st[i].kind == SV_LOCAL && c->st[i].local == x) others = true;
    sv *e = &c->st[top];
    recent *dst = &c->fz[FZ_DST], *step = &c->fz[FZ_STEP], *step2 = &c->fz[FZ_STEP2];
    if (!others && e->kind == SV_SLOT && dst->end == c->n && dst->h == top && !c->oom) {
        c->w[comp_opnd(dst->start, 0)] = x;   /* the producer writes the local directly */
        forget_fusions(c, FZ(FZ_DST));
        if (step->end == c->n && dst->start == step->start) {
            if (step2->end == step->start) {
                /* two i32.adds of constants into locals in a row: one ADDI2, whose
                 * operands are the first's then the second's */
                _Static_assert(ESGX_WASM_W_ADDI2 == 2 * ESGX_WASM_W_I32_ADD_I - ESGX_WASM_OP_HEAD,
                               "ADDI2 is two I32_ADD_I operand lists");
                c->w[step2->start] = WOP_ADDI2;
                memmove(c->w + step2->start + ESGX_WASM_W_I32_ADD_I,
                        c->w + comp_opnd(step->start, 0),
                        (ESGX_WASM_W_I32_ADD_I - ESGX_WASM_OP_HEAD) * sizeof *c->w);
                c->n = step2->start + ESGX_WASM_W_ADDI2;
                forget_fusions(c, FZ(FZ_STEP) | FZ(FZ_STEP2));
            } else {
                *step2 = *step;
            }
        }
    } else {
        for (uint32_t i = 0; i < lim; i++)
            if (c->st[i].kind == SV_LOCAL && c->st[i].local == x) materialize(c, i);
        if (!(e->kind == SV_LOCAL && e->local == x)) move_to(c, top, x);
    }
    c->h--;
    forget_fusions(c, FZ(FZ_CMP) | FZ(FZ_ADDI));
    if (tee) {
        sv v = {SV_LOCAL, x, 0, false};
        if (e->kind == SV_CONST) v = *e;
        push(c, v);
    }
}

/* ------------------------------------------------------------------ block types */

/* Storage for one-value block types, so they can be returned as arrays. */
static const esgx_wasm_valtype one_type[256] = {
    [ESGX_WASM_I32] = ESGX_WASM_I32, [ESGX_WASM_I64] = ESGX_WASM_I64, [ESGX_WASM_F32] = ESGX_WASM_F32,
    [ESGX_WASM_F64] = ESGX_WASM_F64, [ESGX_WASM_V128] = ESGX_WASM_V128,
    [ESGX_WASM_FUNCREF] = ESGX_WASM_FUNCREF, [ESGX_WASM_EXTERNREF] = ESGX_WASM_EXTERNREF,
};

/* A block type: its param and result types and counts, and their slot counts. */
typedef struct btype {
    const esgx_wasm_valtype *pt, *rt;
    uint32_t npv, nrv;        /* values */
    uint32_t np, nr;          /* slots */
} btype;

static void block_arity(const esgx_wasm_module *m, const esgx_wasm_instr *in, btype *bt)
{
    memset(bt, 0, sizeof *bt);
    if (in->bt_kind == ESGX_WASM_BT_VAL) {
        bt->rt = &one_type[in->a & 0xff];
        bt->nrv = 1;
    } else if (in->bt_kind == ESGX_WASM_BT_TYPE) {
        const esgx_wasm_functype_decl *t = &m->types[in->a];
        bt->pt = t->types;
        bt->npv = t->n_params;
        bt->rt = t->types + t->n_params;
        bt->nrv = t->n_results;
    }
    bt->np = esgx_wasm_types_slots(bt->pt, bt->npv);
    bt->nr = esgx_wasm_types_slots(bt->rt, bt->nrv);
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
    bool new_block = L->kind == L_IF || L->targeted || was_dead;
    /* Close the block that runs into this end before fixing the jump targets: if it is
     * empty its FUEL is dropped, and the next block's FUEL is emitted where that one
     * stood, i.e. at `here`. Computing `here` first would land every branch to this
     * end just past the next block's FUEL, running that block without paying for it. */
    if (new_block) fuel_close(c);
    uint32_t here = c->n;
    if (L->kind == L_IF && !L->else_seen) set_w(c, L->else_operand, here - L->else_instr);
    resolve_patches(c, L, here);
    c->h = L->height;
    push_types(c, L->rtypes, L->nr_vals);
    c->nl--;
    c->dead = false;
    forget_fusions(c, FZ(FZ_DST) | FZ(FZ_CMP));
    if (new_block) fuel_open(c);
}

/* A select into the home slot of stack height h (its operands already popped):
 * cond != 0 picks a, else b. */
static void emit_select(comp *c, int op, uint32_t cond, uint32_t a, uint32_t b)
{
    uint32_t at = esgx_comp_emit_op(c, op);
    emit_w(c, comp_home(c, c->h));
    emit_w(c, cond);
    emit_w(c, a);
    emit_w(c, b);
    esgx_comp_note_dst(c, at, c->h);
    esgx_comp_push_slot(c);
}

static void compile_begin(comp *c, const esgx_wasm_func_decl *fd)
{
    push_label(c, L_FUNC, 0, c->n_results, NULL, 0, c->res_types, c->nr_vals);
    fuel_open(c);   /* words[0] is always a FUEL instruction (the call does it inline) */
    c->fuel_acc = fd->n_locals / 64;   /* zeroing the declared locals on entry */
    c->entry = true;
    c->written = 0;
}

static int compile_finish(comp *c, const esgx_wasm_func_decl *fd, esgx_err *err)
{
    if (c->too_big)
        return esgx_err_set(err, ESGX_WASM_E_LIMIT, "function %u too large once compiled",
                            c->m->n_func_imports + (uint32_t)(fd - c->m->funcs));
    if (c->oom) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    return ESGX_OK;
}

/* A load (iop: its internal op): the address may fold an i32.add of a constant or be
 * a constant (the _A form), in.b is the offset. */
static void compile_load(comp *c, const esgx_wasm_instr *in, int iop)
{
    int aop = esgx_wasm_iop_form(iop, MF_A);
    uint32_t at;
    if (esgx_comp_take_addi(c, c->h - 1)) {
        c->h--;
        at = esgx_comp_emit_op(c, aop);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, c->fz[FZ_ADDI].src);
        emit_w(c, c->fz[FZ_ADDI].imm);
    } else if (c->st[c->h - 1].kind == SV_CONST) {
        c->h--;
        at = esgx_comp_emit_op(c, aop);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, c->zero_slot);
        emit_w(c, (uint32_t)c->st[c->h].c);
    } else {
        uint32_t a = esgx_comp_slot_of(c, c->h - 1);
        c->h--;
        at = esgx_comp_emit_op(c, iop);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, a);
    }
    emit_w(c, in->b);
    esgx_comp_note_dst(c, at, c->h);
    esgx_comp_push_slot(c);
}

/* A store, addresses as for compile_load. */
static void compile_store(comp *c, const esgx_wasm_instr *in, int iop)
{
    int aop = esgx_wasm_iop_form(iop, MF_A);
    if (c->st[c->h - 1].kind != SV_SLOT && esgx_comp_take_addi(c, c->h - 2)) {
        uint32_t v = esgx_comp_slot_of(c, c->h - 1);
        c->h -= 2;
        esgx_comp_emit_op(c, aop);
        emit_w(c, c->fz[FZ_ADDI].src);
        emit_w(c, v);
        emit_w(c, c->fz[FZ_ADDI].imm);
    } else if (c->st[c->h - 2].kind == SV_CONST) {
        uint32_t addr = (uint32_t)c->st[c->h - 2].c;
        uint32_t v = esgx_comp_slot_of(c, c->h - 1);
        c->h -= 2;
        esgx_comp_emit_op(c, aop);
        emit_w(c, c->zero_slot);
        emit_w(c, v);
        emit_w(c, addr);
    } else {
        uint32_t a = esgx_comp_slot_of(c, c->h - 2), v = esgx_comp_slot_of(c, c->h - 1);
        c->h -= 2;
        esgx_comp_emit_op(c, iop);
        emit_w(c, a);
        emit_w(c, v);
    }
    emit_w(c, in->b);
}

/* block, loop, if, else, end */
static void compile_structured(comp *c, const esgx_wasm_instr *in)
{
    uint32_t operand;
    btype bt;
    label *L;
    switch (in->op) {
    case OPC_BLOCK: case OPC_LOOP:
        block_arity(c->m, in, &bt);
        materialize_range(c, 0, c->h);
        L = push_label(c, in->op == OPC_BLOCK ? L_BLOCK : L_LOOP, bt.np, bt.nr, bt.pt, bt.npv,
                       bt.rt, bt.nrv);
        if (!L) break;
        if (in->op == OPC_LOOP) {
            fuel_open(c);
            L = &c->lb[c->nl - 1];
            L->loop_pos = c->fuel_pos;
        }
        forget_fusions(c, FZ(FZ_DST) | FZ(FZ_CMP));
        break;
    case OPC_IF: {
        block_arity(c->m, in, &bt);
        uint32_t at = emit_cond_branch(c, true, &operand);
        L = push_label(c, L_IF, bt.np, bt.nr, bt.pt, bt.npv, bt.rt, bt.nrv);
        if (!L) break;
        L->else_instr = at;
        L->else_operand = operand;
        fuel_open(c);
        break;
    }
    case OPC_ELSE:
        L = &c->lb[c->nl - 1];
        if (!c->dead) {
            materialize_range(c, c->h - L->n_results, c->h);
            uint32_t at = esgx_comp_emit_op(c, WOP_BR);
            emit_w(c, 0);
            add_patch(c, L, comp_opnd(at, 0), at);
        }
        set_w(c, L->else_operand, c->n - L->else_instr);
        L->else_seen = true;
        c->h = L->height;
        push_types(c, L->ptypes, L->np_vals);
        c->dead = false;
        fuel_open(c);
        break;
    default:   /* OPC_END */
        do_end(c);
        break;
    }
}

static void compile_br_if(comp *c, const esgx_wasm_instr *in)
{
    label *L = &c->lb[c->nl - 1 - in->a];
    bool fused = take_cmp(c);
    c->h--;   /* the condition */
    uint32_t cond = fused ? 0 : esgx_comp_slot_of(c, c->h);
    /* a return materializes its values: do it on the common path */
    if (L->kind == L_FUNC) materialize_range(c, c->h - c->n_results, c->h);
    bool moves = L->kind == L_FUNC || needs_moves(c, L);
    uint32_t operand, at;
    bool to_loop = !moves && L->kind == L_LOOP;
    if (fused) {
        at = emit_cmp_branch(c, moves, to_loop, &operand);
    } else {
        int bop = moves ? WOP_BR_Z32 : WOP_BR_NZ32;
        at = esgx_comp_emit_op(c, to_loop ? loop_op(bop) : bop);
        emit_w(c, cond);
        operand = c->n;
        emit_w(c, 0);
    }
    if (!moves) {
        branch_to(c, L, operand, at);
    } else {
        emit_br(c, in->a);
        set_w(c, operand, c->n - at);
    }
    fuel_open(c);
}

static void compile_br_table(comp *c, const esgx_wasm_instr *in)
{
    uint32_t idx = pop_slot(c);
    uint32_t n = in->n;
    materialize_range(c, 0, c->h);
    uint32_t at = esgx_comp_emit_op(c, WOP_BR_TABLE);
    emit_w(c, idx);
    emit_w(c, n);
    uint32_t tab = c->n;
    for (uint32_t i = 0; i <= n; i++) emit_w(c, 0);
    const uint8_t *cur = in->vec;
    for (uint32_t i = 0; i <= n && !c->oom; i++) {
        uint32_t d = esgx_wasm_leb_u32_next(&cur);
        label *L = &c->lb[c->nl - 1 - d];
        if (L->kind != L_FUNC && !needs_moves(c, L)) {
            branch_to(c, L, tab + i, at);
            continue;
        }
        if (c->stub_at[d] == UINT32_MAX) {
            c->stub_at[d] = c->n;
            forget_fusions(c, FZ_ALL);   /* a jump target */
            emit_br(c, d);
        }
        set_w(c, tab + i, c->stub_at[d] - at);
    }
    cur = in->vec;
    for (uint32_t i = 0; i <= n; i++) c->stub_at[esgx_wasm_leb_u32_next(&cur)] = UINT32_MAX;
    c->dead = true;
    c->dead_depth = 0;
}

static void compile_call(comp *c, const esgx_wasm_instr *in)
{
    const esgx_wasm_module *m = c->m;
    uint32_t fi = in->a;
    bool indirect = in->op == OPC_CALL_INDIRECT;
    const esgx_wasm_functype_decl *ft =
        indirect ? &m->types[in->a] : esgx_wasm_module_func_type(m, fi);
    uint32_t elem = 0;
    if (indirect) elem = pop_slot(c);
    uint32_t np = esgx_wasm_types_slots(ft->types, ft->n_params);
    materialize_range(c, c->h - np, c->h);
    uint32_t argbase = comp_home(c, c->h - np);
    if (indirect) {
        esgx_comp_emit_op(c, WOP_CALL_INDIRECT);
        emit_w(c, in->a);
        emit_w(c, in->b);
        emit_w(c, argbase);
        emit_w(c, elem);
    } else if (fi < m->n_func_imports) {
        esgx_comp_emit_op(c, WOP_CALL_IMPORT);
        emit_w(c, fi);
        emit_w(c, argbase);
    } else {
        esgx_comp_emit_op(c, WOP_CALL);
        emit_ptr(c, &c->codes[fi - m->n_func_imports]);
        emit_w(c, argbase);
    }
    c->h -= np;
    push_types(c, ft->types + ft->n_params, ft->n_results);
    forget_fusions(c, FZ(FZ_DST));
}

/* The control instructions (CAT_CTRL). */
static void compile_control(comp *c, const esgx_wasm_instr *in)
{
    switch (in->op) {
    case OPC_UNREACHABLE:
        esgx_comp_emit_op(c, WOP_UNREACHABLE);
        c->dead = true;
        c->dead_depth = 0;
        break;
    case OPC_NOP: break;
    case OPC_BR:
        emit_br(c, in->a);
        c->dead = true;
        c->dead_depth = 0;
        break;
    case OPC_BR_IF: compile_br_if(c, in); break;
    case OPC_BR_TABLE: compile_br_table(c, in); break;
    case OPC_RETURN:
        emit_return(c);
        c->dead = true;
        c->dead_depth = 0;
        break;
    case OPC_CALL: case OPC_CALL_INDIRECT: compile_call(c, in); break;
    default: compile_structured(c, in); break;
    }
}

/* Emits op with destination the home slot of a new entry and immediate x. */
static void emit_push_imm(comp *c, int op, uint32_t x, bool note)
{
    uint32_t at = esgx_comp_emit_op(c, op);
    emit_w(c, comp_home(c, c->h));
    emit_w(c, x);
    if (note) esgx_comp_note_dst(c, at, c->h);
    esgx_comp_push_slot(c);
}

/* drop, select, locals, globals, constants and references (CAT_PARAM, CAT_VAR,
 * CAT_CONST, CAT_REF). */
static void compile_variable(comp *c, const esgx_wasm_instr *in, const esgx_wasm_opinfo *oi)
{
    switch (in->op) {
    case OPC_DROP:
        c->h -= c->st[c->h - 1].hi ? 2 : 1;
        forget_fusions(c, FZ(FZ_CMP) | FZ(FZ_ADDI));
        break;
    case OPC_SELECT: case OPC_SELECT_T: {
        if (c->st[c->h - 2].hi) {   /* v128 operands: a at h - 5, b at h - 3 */
            uint32_t cond = esgx_comp_slot_of(c, c->h - 1);
            uint32_t b = esgx_comp_v128_slot_of(c, c->h - 3);
            uint32_t a = esgx_comp_v128_slot_of(c, c->h - 5);
            c->h -= 5;
            esgx_comp_emit_op(c, WOP_SELECT128);
            emit_w(c, comp_home(c, c->h));
            emit_w(c, cond);
            emit_w(c, a);
            emit_w(c, b);
            esgx_comp_push_v128(c);
            forget_fusions(c, FZ(FZ_CMP));
            break;
        }
        /* select(a, b, eqz x) = select(b, a, x): the eqz is dropped */
        if (c->cmp.ci == CI_EQZ && take_cmp(c)) {
            uint32_t x = c->cmp.a;
            uint32_t b = esgx_comp_slot_of(c, c->h - 2);
            uint32_t a = esgx_comp_slot_of(c, c->h - 3);
            c->h -= 3;
            emit_select(c, c->cmp.is64 ? WOP_SELECT64 : WOP_SELECT, x, b, a);
            break;
        }
        uint32_t cond = esgx_comp_slot_of(c, c->h - 1);
        uint32_t b = esgx_comp_slot_of(c, c->h - 2);
        uint32_t a = esgx_comp_slot_of(c, c->h - 3);
        c->h -= 3;
        emit_select(c, WOP_SELECT, cond, a, b);
        break;
    }
    case OPC_LOCAL_GET: {
        sv v = {SV_LOCAL, local_slot(c, in->a), 0, false};
        push(c, v);
        if (local_v128(c, in->a)) {
            v.local++;
            v.hi = true;
            push(c, v);
        }
        break;
    }
    case OPC_LOCAL_SET: case OPC_LOCAL_TEE:
        if (local_v128(c, in->a)) op_local_set_v128(c, local_slot(c, in->a), in->op == OPC_LOCAL_TEE);
        else op_local_set(c, local_slot(c, in->a), in->op == OPC_LOCAL_TEE);
        break;
    case OPC_GLOBAL_GET:
        if (c->gv128[in->a]) {
            esgx_comp_emit_op(c, WOP_GLOBAL_GET128);
            emit_w(c, comp_home(c, c->h));
            emit_w(c, in->a);
            esgx_comp_push_v128(c);
            break;
        }
        emit_push_imm(c, oi->iop, in->a, true);
        break;
    case OPC_GLOBAL_SET: {
        bool v128 = c->gv128[in->a];
        uint32_t s = v128 ? esgx_comp_v128_slot_of(c, c->h - 2) : esgx_comp_slot_of(c, c->h - 1);
        c->h -= v128 ? 2 : 1;
        esgx_comp_emit_op(c, v128 ? WOP_GLOBAL_SET128 : oi->iop);
        emit_w(c, s);
        emit_w(c, in->a);
        break;
    }
    case OPC_REF_IS_NULL: esgx_comp_op_unary(c, oi->iop); break;
    case OPC_REF_FUNC: emit_push_imm(c, oi->iop, in->a, true); break;
    default: {   /* the constants and ref.null */
        sv v = {SV_CONST, 0, in->op == OPC_REF_NULL ? 0 : in->bits, false};
        if (oi->r == ESGX_WASM_I32 || oi->r == ESGX_WASM_F32) v.c = (uint32_t)v.c;
        push(c, v);
        break;
    }
    }
}

/* table.* and elem.drop (CAT_TABLE), memory.size / grow, bulk memory, data.drop
 * (CAT_MEMORY): generic operands, then the immediates. */
static void compile_table_memory(comp *c, const esgx_wasm_instr *in, const esgx_wasm_opinfo *oi)
{
    int op = oi->iop;
    switch (in->op) {
    case OPC_TABLE_GET: esgx_comp_op_generic(c, op, 1, true); emit_w(c, in->a); break;
    case OPC_TABLE_SET: { /* t idx val */
        uint32_t v = esgx_comp_slot_of(c, c->h - 1), i = esgx_comp_slot_of(c, c->h - 2);
        c->h -= 2;
        esgx_comp_emit_op(c, op);
        emit_w(c, in->a);
        emit_w(c, i);
        emit_w(c, v);
        break;
    }
    case OPC_MEMORY_SIZE: {
        uint32_t at = esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        esgx_comp_note_dst(c, at, c->h);
        esgx_comp_push_slot(c);
        break;
    }
    case OPC_MEMORY_GROW: esgx_comp_op_generic(c, op, 1, true); break;
    case OPC_MEMORY_INIT: case OPC_TABLE_FILL:
        esgx_comp_op_generic(c, op, 3, false);
        emit_w(c, in->a);
        break;
    case OPC_DATA_DROP: case OPC_ELEM_DROP:
        esgx_comp_emit_op(c, op);
        emit_w(c, in->a);
        break;
    case OPC_MEMORY_COPY: case OPC_MEMORY_FILL: esgx_comp_op_generic(c, op, 3, false); break;
    case OPC_TABLE_INIT: /* table.init elem table */
        esgx_comp_op_generic(c, op, 3, false);
        emit_w(c, in->b);
        emit_w(c, in->a);
        break;
    case OPC_TABLE_COPY: /* table.copy dst src */
        esgx_comp_op_generic(c, op, 3, false);
        emit_w(c, in->a);
        emit_w(c, in->b);
        break;
    case OPC_TABLE_GROW:
        esgx_comp_op_generic(c, op, 2, true);
        emit_w(c, in->a);
        forget_fusions(c, FZ(FZ_DST));
        break;
    default:   /* OPC_TABLE_SIZE */
        emit_push_imm(c, op, in->a, false);
        break;
    }
}

/* Compiles one instruction of a body being compiled (the validator has accepted it
 * and everything before it), by its row in wasm_opcodes.h. off is its offset in the
 * module, for messages. */
static int compile_instr(comp *c, esgx_wasm_instr in, size_t off, esgx_err *err)
{
    uint32_t op = in.op;
    const esgx_wasm_opinfo *oi = esgx_wasm_opinfo_of(op);
    if (c->dead) {
        if (op == OPC_BLOCK || op == OPC_LOOP || op == OPC_IF) {
            c->dead_depth++;
            return 0;
        }
        if (op == OPC_END && c->dead_depth > 0) {
            c->dead_depth--;
            return 0;
        }
        if (!(op == OPC_END || (op == OPC_ELSE && c->dead_depth == 0))) return 0;
    }
    if (!oi)
        return esgx_err_set(err, ESGX_WASM_E_UNSUPPORTED,
                            "compile: unsupported opcode 0x%x (offset %zu)", op, off);
    if (!c->dead) c->fuel_acc += oi->cost;
    /* the straight code at function entry ends at the first branch or branch target */
    if (oi->flags & F_ENDS_ENTRY) c->entry = false;
    if (oi->ck >= KV_CONST) {
        esgx_comp_simd(c, &in, oi);
        return 0;
    }
    switch (oi->cat) {
    case CAT_NUM: esgx_comp_numeric(c, oi); break;
    case CAT_LOAD: compile_load(c, &in, oi->iop); break;
    case CAT_STORE: compile_store(c, &in, oi->iop); break;
    case CAT_CTRL: compile_control(c, &in); break;
    case CAT_TABLE: case CAT_MEMORY: compile_table_memory(c, &in, oi); break;
    default: compile_variable(c, &in, oi); break;
    }
    return 0;
}

/* ------------------------------------------------------------------ functions */

/* Compiles defined function i into codes[i]; with bc, each instruction is first
 * checked by the validator (the fused pass), otherwise the body is known valid. */
static int compile_function(comp *c, esgx_wasm_body_checker *bc, uint32_t i, esgx_err *err)
{
    const esgx_wasm_module *m = c->m;
    const esgx_wasm_func_decl *fd = &m->funcs[i];
    const esgx_wasm_functype_decl *ft = &m->types[fd->type];
    esgx_wasm_code *code = &c->codes[i];
    /* local index -> slot, when a v128 (two slots) makes them differ */
    uint32_t n_lv = ft->n_params + fd->n_locals, pslots = ft->n_params, lslots = fd->n_locals;
    c->lmapped = false;
    for (uint32_t k = 0; k < ft->n_params && !c->lmapped; k++)
        c->lmapped = ft->types[k] == ESGX_WASM_V128;
    for (uint32_t k = 0; k < fd->n_locals && !c->lmapped; k++)
        c->lmapped = fd->local_types[k] == ESGX_WASM_V128;
    if (c->lmapped) {
        if (n_lv > c->lmap_cap) {
            free(c->lslot);
            free(c->lv128);
            c->lslot = malloc((size_t)n_lv * sizeof *c->lslot);
            c->lv128 = malloc(n_lv);
            c->lmap_cap = c->lslot && c->lv128 ? n_lv : 0;
            if (!c->lmap_cap) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        }
        uint32_t slot = 0;
        for (uint32_t k = 0; k < n_lv; k++) {
            esgx_wasm_valtype t = k < ft->n_params ? ft->types[k]
                                                   : fd->local_types[k - ft->n_params];
            c->lslot[k] = slot;
            c->lv128[k] = t == ESGX_WASM_V128;
            slot += esgx_wasm_type_slots(t);
            if (k + 1 == ft->n_params) pslots = slot;
        }
        lslots = slot - pslots;
    }
    c->res_types = ft->types + ft->n_params;
    c->nr_vals = ft->n_results;
    /* a lazy module's header is written already (code_header, the same values) and
     * read by other threads meanwhile: written only when it differs */
    uint32_t nres = esgx_wasm_types_slots(c->res_types, ft->n_results);
    if (code->n_params != pslots) code->n_params = pslots;
    if (code->n_results != nres) code->n_results = nres;
    if (code->n_locals != lslots + 1) code->n_locals = lslots + 1;   /* + the zero slot */
    if (code->func_index != m->n_func_imports + i) code->func_index = m->n_func_imports + i;
    c->n = 0;
    c->h = 0;
    c->max_h = 0;
    c->nl = 0;
    c->npt = 0;
    c->dead = false;
    c->dead_depth = 0;
    c->zero_slot = pslots + lslots;
    c->base = c->zero_slot + 1;
    c->n_params = pslots;
    c->n_results = code->n_results;
    forget_fusions(c, FZ_ALL);
    c->fuel_pos = UINT32_MAX;
    c->word_limit = 64ull * fd->code_len + 4096;
    c->room = c->cap < c->word_limit ? c->cap : (uint32_t)c->word_limit;
    /* br_table stubs are indexed by label depth; depth <= body length */
    size_t stubs = (size_t)fd->code_len + 2;
    if (stubs > c->stub_cap) {
        free(c->stub_at);
        c->stub_at = malloc(stubs * sizeof *c->stub_at);
        c->stub_cap = c->stub_at ? stubs : 0;
        if (!c->stub_at) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    }
    for (size_t k = 0; k < stubs; k++) c->stub_at[k] = UINT32_MAX;

    if (bc) TRY(esgx_wasm_body_check_begin(bc, i));
    esgx_wasm_reader r = {fd->code, fd->code + fd->code_len, m->bytes, "code", true, err};
    esgx_wasm_instr in;
    compile_begin(c, fd);
    while (r.p < r.end && !c->oom) {
        size_t off = (size_t)(r.p - m->bytes);
        if (!bc && c->nl == 0) break;
        TRY(esgx_wasm_read_instr(&r, &in));
        if (bc) TRY(esgx_wasm_body_check_instr(bc, &in, off));
        if (c->nl > 0) TRY(compile_instr(c, in, off, err));
    }
    TRY(compile_finish(c, fd, err));   /* first: a full buffer also stops the loop */
    if (bc) TRY(esgx_wasm_body_check_end(bc));
    if (c->nl > 0)
        return esgx_err_set(err, ESGX_WASM_E_MALFORMED, "function body without end");
    if (c->n < ESGX_WASM_W_FUEL || c->w[0] != WOP_FUEL)
        return esgx_err_set(err, ESGX_WASM_E_INVALID, "internal: function %u lacks its entry block",
                            code->func_index);
    /* made aside, words published last (a lazy module's readers test words) */
    esgx_wasm_code t = *code;
    t.words = malloc((size_t)(c->n ? c->n : 1) * 4);
    if (!t.words) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    memcpy(t.words, c->w, (size_t)c->n * 4);
    t.n_words = c->n;
    t.ops = NULL;
    t.n_ops = 0;
    uint64_t fs = (uint64_t)c->base + c->max_h + 1;
    if (fs < t.n_results) fs = t.n_results;
    t.frame_size = fs > UINT32_MAX ? UINT32_MAX : (uint32_t)fs;
    int rc = ESGX_OK;
#ifndef NDEBUG
    /* debug builds: every op as wide as the interpreter's NEXT says (code.c) */
    rc = esgx_wasm_code_check(&t, err);
#endif
    if (rc == ESGX_OK) rc = esgx_wasm_code_thread(&t, c->handlers, err);
    if (rc) {
        explicit_bzero(t.words, (size_t)t.n_words * 4);
        free(t.words);
        free(t.ops);
        return rc;
    }
    code->n_words = t.n_words;
    code->frame_size = t.frame_size;
    code->n_ops = t.n_ops;
    code->ops = t.ops;
    __atomic_store_n(&code->words, t.words, __ATOMIC_RELEASE);
    return ESGX_OK;
}

/* A lazy module's code header of defined function i: what callers and instances read
 * before the code is made (compile_function computes the same). */
static void code_header(const esgx_wasm_module *m, uint32_t i, esgx_wasm_code *code)
{
    const esgx_wasm_func_decl *fd = &m->funcs[i];
    const esgx_wasm_functype_decl *ft = &m->types[fd->type];
    uint32_t ps = esgx_wasm_types_slots(ft->types, ft->n_params);
    uint32_t ls = esgx_wasm_types_slots(fd->local_types, fd->n_locals);
    code->n_params = ps;
    code->n_results = esgx_wasm_types_slots(ft->types + ft->n_params, ft->n_results);
    code->n_locals = ls + 1;
    code->func_index = m->n_func_imports + i;
}

/* ------------------------------------------------------------------ module */

/* Bodies smaller than this in all are compiled by the calling thread alone: starting
 * a thread costs tens of microseconds. */
#define PARALLEL_MIN_CODE (64u << 10)

/* Work shared by the threads of one esgx_wasm_compile_module: functions are taken in
 * index order from a counter; after a failure no new function is started, so every
 * function below the failing one has been compiled and the lowest failure is the
 * one a single thread would have met first. */
typedef struct cjob {
    esgx_wasm_module *m;
    esgx_wasm_validator *vm;
    esgx_wasm_code *codes;
    const uint8_t *gv128;     /* per global index: v128? */
    const void *const *handlers;   /* the interpreter's, threaded into the code */
    bool lazy;                /* check only (esgx_wasm_check_module) */
    uint8_t *grows;           /* lazy: per function, whether its body alone may grow */
    _Atomic uint32_t next;
    _Atomic bool failed;
} cjob;

typedef struct cworker {
    cjob *job;
    int rc;
    uint32_t fail_at;         /* function that failed (if rc) */
    esgx_err err;
    uint32_t *edges;          /* lazy: direct calls as (callee, caller) pairs */
    size_t n_edges, cap_edges;
} cworker;

/* Checks defined function i of a lazy module (no code made): its header, its body by
 * the validator, and what esgx_jit_grows needs (job->grows[i], wk->edges). */
static int check_function(comp *c, esgx_wasm_body_checker *bc, uint32_t i, cworker *wk,
                          esgx_err *err)
{
    const esgx_wasm_module *m = c->m;
    const esgx_wasm_func_decl *fd = &m->funcs[i];
    code_header(m, i, &c->codes[i]);
    TRY(esgx_wasm_body_check_begin(bc, i));
    esgx_wasm_reader r = {fd->code, fd->code + fd->code_len, m->bytes, "code", true, err};
    esgx_wasm_instr in;
    uint8_t grows = 0;
    while (r.p < r.end) {
        size_t off = (size_t)(r.p - m->bytes);
        TRY(esgx_wasm_read_instr(&r, &in));
        TRY(esgx_wasm_body_check_instr(bc, &in, off));
        if (!esgx_wasm_opinfo_of(in.op))
            return esgx_err_set(err, ESGX_WASM_E_UNSUPPORTED,
                                "compile: unsupported opcode 0x%x (offset %zu)", in.op, off);
        if (in.op == OPC_MEMORY_GROW || in.op == OPC_CALL_INDIRECT ||
            (in.op == OPC_CALL && in.a < m->n_func_imports)) {
            grows = 1;
        } else if (in.op == OPC_CALL) {
            if (wk->n_edges + 2 > wk->cap_edges) {
                size_t nc = wk->cap_edges ? wk->cap_edges * 2 : 256;
                uint32_t *ne = realloc(wk->edges, nc * sizeof *ne);
                if (!ne) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
                wk->edges = ne;
                wk->cap_edges = nc;
            }
            wk->edges[wk->n_edges++] = in.a - m->n_func_imports;
            wk->edges[wk->n_edges++] = i;
        }
    }
    TRY(esgx_wasm_body_check_end(bc));
    wk->job->grows[i] = grows;
    return ESGX_OK;
}

/* Frees c's buffers (wiped: see esgx_wasm_compiled_free). */
static void comp_release(comp *c)
{
    if (c->w) explicit_bzero(c->w, (size_t)c->cap * 4);
    free(c->w);
    free(c->st);
    free(c->lb);
    free(c->pt);
    free(c->stub_at);
    free(c->lslot);
    free(c->lv128);
}

static void *compile_worker(void *arg)
{
    cworker *wk = arg;
    cjob *job = wk->job;
    comp c;
    memset(&c, 0, sizeof c);
    c.m = job->m;
    c.handlers = job->handlers;
    c.codes = job->codes;
    c.gv128 = job->gv128;
    esgx_wasm_body_checker *bc = NULL;
    wk->rc = ESGX_OK;
    if (job->vm) wk->rc = esgx_wasm_body_checker_new(job->vm, &wk->err, &bc);
    while (wk->rc == ESGX_OK && !atomic_load_explicit(&job->failed, memory_order_relaxed)) {
        uint32_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->m->n_funcs) break;
        wk->rc = job->lazy ? check_function(&c, bc, i, wk, &wk->err)
                           : compile_function(&c, bc, i, &wk->err);
        if (wk->rc) {
            wk->fail_at = i;
            atomic_store(&job->failed, true);
        }
    }
    esgx_wasm_body_checker_free(bc);
    comp_release(&c);
    return NULL;
}

/* Every caller of a function that may grow may grow: grows[] closed over the direct
 * calls of the workers' edges (esgx_jit_grows_close). ESGX_OK or ESGX_WASM_E_NOMEM. */
static int close_grows(uint32_t nf, uint8_t *grows, const cworker *wk, uint32_t threads)
{
    const uint32_t **lists = malloc((threads ? threads : 1) * sizeof *lists);
    size_t *ns = malloc((threads ? threads : 1) * sizeof *ns);
    int rc = ESGX_WASM_E_NOMEM;
    if (lists && ns) {
        for (uint32_t t = 0; t < threads; t++) lists[t] = wk[t].edges, ns[t] = wk[t].n_edges;
        rc = esgx_jit_grows_close(nf, grows, lists, ns, threads);
    }
    free(lists);
    free(ns);
    return rc;
}

static int run_module(esgx_wasm_module *m, esgx_wasm_validator *vm, uint32_t threads,
                      const void *const *handlers, bool lazy, esgx_err *err);

int esgx_wasm_compile_module(esgx_wasm_module *m, esgx_wasm_validator *vm, uint32_t threads,
                             const void *const *handlers, esgx_err *err)
{
    return run_module(m, vm, threads, handlers, false, err);
}

int esgx_wasm_check_module(esgx_wasm_module *m, esgx_wasm_validator *vm, uint32_t threads,
                           const void *const *handlers, esgx_err *err)
{
    if (!vm) return esgx_err_set(err, ESGX_WASM_E_ARG, "check_module: no validator");
    return run_module(m, vm, threads, handlers, true, err);
}

static int run_module(esgx_wasm_module *m, esgx_wasm_validator *vm, uint32_t threads,
                      const void *const *handlers, bool lazy, esgx_err *err)
{
    esgx_wasm_compiled *cm = calloc(1, sizeof *cm);
    if (!cm) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    m->compiled = cm;
    cm->codes = calloc(m->n_funcs ? m->n_funcs : 1, sizeof *cm->codes);
    if (!cm->codes) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    uint64_t code_bytes = 0;
    for (uint32_t i = 0; i < m->n_funcs; i++) code_bytes += m->funcs[i].code_len;
    if (code_bytes < PARALLEL_MIN_CODE) threads = 1;
    if (threads > m->n_funcs) threads = m->n_funcs;
    if (threads > ESGX_WASM_COMPILE_THREADS_MAX) threads = ESGX_WASM_COMPILE_THREADS_MAX;
    if (threads < 1) threads = 1;

    /* which globals are v128 (global.get / set of them move two slots) */
    uint32_t n_glob = m->n_global_imports + m->n_globals;
    uint8_t *gv128 = calloc(n_glob ? n_glob : 1, 1);
    if (!gv128) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    uint32_t g = 0;
    for (uint32_t i = 0; i < m->n_imports; i++)
        if (m->imports[i].kind == ESGX_WASM_EXTERN_GLOBAL && g < n_glob)
            gv128[g++] = m->imports[i].desc.global.type == ESGX_WASM_V128;
    for (uint32_t i = 0; i < m->n_globals && g < n_glob; i++)
        gv128[g++] = m->globals[i].type.type == ESGX_WASM_V128;
    uint8_t *grows = NULL;
    if (lazy) {
        grows = calloc(m->n_funcs ? m->n_funcs : 1, 1);
        if (!grows || pthread_mutex_init(&cm->lock, NULL) != 0) {
            free(grows);
            free(gv128);
            return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        }
        cm->lazy = true;
        cm->gv128 = gv128;
        cm->grows = grows;
        cm->handlers = handlers;
    }
    cjob job = {.m = m, .vm = vm, .codes = cm->codes, .gv128 = gv128, .handlers = handlers,
                .lazy = lazy, .grows = grows};
    atomic_init(&job.next, 0);
    atomic_init(&job.failed, false);
    cworker wk[ESGX_WASM_COMPILE_THREADS_MAX];
    pthread_t tid[ESGX_WASM_COMPILE_THREADS_MAX];
    bool started[ESGX_WASM_COMPILE_THREADS_MAX] = {false};
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
    if (rc == ESGX_OK && lazy && close_grows(m->n_funcs, grows, wk, threads) != ESGX_OK)
        rc = esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    for (uint32_t t = 0; t < threads; t++) free(wk[t].edges);
    if (!lazy) free(gv128);
    if (rc) esgx_err_prefix(err, lazy ? "validate" : vm ? "validate and compile" : "compile");
    return rc;
}

/* The heap one function's internal code takes (module.c counts the same). */
static uint64_t code_heap(const esgx_wasm_code *code)
{
    return (uint64_t)code->n_words * 4 + (uint64_t)code->n_ops * 2 + 32;
}

/* Lowers function i of lazy m with c; cm->lock held. */
static int lower_locked(const esgx_wasm_module *m, comp *c, uint32_t i, esgx_err *err)
{
    esgx_wasm_compiled *cm = m->compiled;
    if (cm->codes[i].words) return ESGX_OK;
    int rc = compile_function(c, NULL, i, err);
    if (rc) {
        esgx_err_prefix(err, "compile");
        return rc;
    }
    atomic_fetch_add(&cm->lowered_bytes, code_heap(&cm->codes[i]));
    return ESGX_OK;
}

static void comp_init(comp *c, const esgx_wasm_module *m)
{
    const esgx_wasm_compiled *cm = m->compiled;
    memset(c, 0, sizeof *c);
    c->m = m;
    c->handlers = cm->handlers;
    c->codes = cm->codes;
    c->gv128 = cm->gv128;
}

int esgx_wasm_lower(const esgx_wasm_module *m, uint32_t i, esgx_err *err)
{
    esgx_wasm_compiled *cm = m->compiled;
    if (esgx_wasm_code_lowered(&cm->codes[i])) return ESGX_OK;
    comp c;
    comp_init(&c, m);
    pthread_mutex_lock(&cm->lock);
    int rc = lower_locked(m, &c, i, err);
    pthread_mutex_unlock(&cm->lock);
    comp_release(&c);
    return rc;
}

int esgx_wasm_lower_all(const esgx_wasm_module *m, esgx_err *err)
{
    esgx_wasm_compiled *cm = m->compiled;
    if (!cm->lazy || atomic_load(&cm->all_lowered)) return ESGX_OK;
    comp c;
    comp_init(&c, m);
    int rc = ESGX_OK;
    pthread_mutex_lock(&cm->lock);
    for (uint32_t i = 0; i < m->n_funcs && rc == ESGX_OK; i++) rc = lower_locked(m, &c, i, err);
    if (rc == ESGX_OK) atomic_store(&cm->all_lowered, true);
    pthread_mutex_unlock(&cm->lock);
    comp_release(&c);
    return rc;
}

void esgx_wasm_compiled_free(esgx_wasm_module *m)
{
    esgx_wasm_compiled *cm = m->compiled;
    if (!cm) return;
    if (cm->codes)
        for (uint32_t i = 0; i < m->n_funcs; i++) {
            /* compiled code holds the module's constants: wiped like its bytes */
            if (cm->codes[i].words)
                explicit_bzero(cm->codes[i].words, (size_t)cm->codes[i].n_words * 4);
            free(cm->codes[i].words);
            if (cm->codes[i].ops)
                explicit_bzero(cm->codes[i].ops, (size_t)cm->codes[i].n_ops * sizeof(uint16_t));
            free(cm->codes[i].ops);
        }
    free(cm->codes);
    if (cm->lazy) {
        free(cm->gv128);
        free(cm->grows);
        pthread_mutex_destroy(&cm->lock);
    }
    free(cm);
    m->compiled = NULL;
}
