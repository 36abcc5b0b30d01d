/*
 * compile_ops.c: the numeric operators of compile.c (see its design note): unary and
 * binary operators with immediate forms, compares and eqz (remembered in the fusion
 * window, FZ_CMP and c->cmp, for compare-and-branch fusion; i32.eqz of an integer
 * compare negates it in place; f64 compares fuse with a branch, also through an eqz),
 * the i32.add of a constant remembered for address folding (FZ_ADDI) and loop-counter
 * fusion (FZ_STEP), and two-operator fusions (fusions[]: a mul whose product an add
 * consumes right away is a MULADD, or with constants a MULI_ADDI, f64 MULSUB / MUL3
 * likewise, a rotl/shr_u by a constant feeding an xor one ROTLI_XOR/SHRUI_XOR; with the
 * producer before it, two rotls feeding an xor one ROT2_XOR). Ops are chosen by their
 * class (esgx_wasm_iop_of: the compare of a kind, its immediate or branch form), never
 * by arithmetic on op numbers.
 */
#include "compile_internal.h"

/* a < b is b > a: the compare with its operands swapped */
static const uint8_t cmp_mirror[ICMP_COUNT_] = {
    [ICMP_EQ] = ICMP_EQ, [ICMP_NE] = ICMP_NE, [ICMP_LTS] = ICMP_GTS, [ICMP_LTU] = ICMP_GTU,
    [ICMP_GTS] = ICMP_LTS, [ICMP_GTU] = ICMP_LTU, [ICMP_LES] = ICMP_GES, [ICMP_LEU] = ICMP_GEU,
    [ICMP_GES] = ICMP_LES, [ICMP_GEU] = ICMP_LEU};
const uint8_t esgx_comp_cmp_negate[ICMP_COUNT_] = {
    [ICMP_EQ] = ICMP_NE, [ICMP_NE] = ICMP_EQ, [ICMP_LTS] = ICMP_GES, [ICMP_LTU] = ICMP_GEU,
    [ICMP_GTS] = ICMP_LES, [ICMP_GTU] = ICMP_LEU, [ICMP_LES] = ICMP_GTS, [ICMP_LEU] = ICMP_GTU,
    [ICMP_GES] = ICMP_LTS, [ICMP_GEU] = ICMP_LTU};

/* Records in c->cmp the compare (or eqz) of kind ci emitted from start to here, whose
 * result is the entry at height h, reading slot a and slot or immediate b. */
static void set_cmp(comp *c, uint32_t start, uint32_t h, uint32_t a, uint32_t b, int ci,
                    bool is64, bool imm)
{
    c->fz[FZ_CMP].start = start;
    c->fz[FZ_CMP].end = c->n;
    c->fz[FZ_CMP].h = h;
    c->cmp.a = a;
    c->cmp.b = b;
    c->cmp.ci = ci;
    c->cmp.is64 = is64;
    c->cmp.imm = imm;
    c->cmp.neg = false;
    c->cmp.k = 0;
}

static bool fits_imm(uint64_t v, bool is64)
{
    return !is64 || (uint64_t)(int64_t)(int32_t)(uint32_t)v == v;
}

void esgx_comp_op_unary(comp *c, int op)
{
    uint32_t s = esgx_comp_slot_of(c, c->h - 1);
    c->h--;
    uint32_t at = esgx_comp_emit_op(c, op);
    emit_w(c, comp_home(c, c->h));
    emit_w(c, s);
    esgx_comp_note_dst(c, at, c->h);
    esgx_comp_push_slot(c);
}

/* Two-operator fusions: producer `prod` (just emitted, result in its home slot) whose
 * result only feeds binary operator op -> one instruction `fused dst, p1, p2, other`
 * (p1, p2: the producer's operands; other: op's other operand, or its immediate when
 * op is an _I form). The producer's result may be either operand of op, or (right)
 * only its right one. */
static const struct { uint16_t prod, op, fused; bool right; } fusions[] = {
    {WOP_I32_MUL_I, WOP_I32_ADD_I, WOP_I32_MULI_ADDI, false},
    {WOP_I64_MUL_I, WOP_I64_ADD_I, WOP_I64_MULI_ADDI, false},
    {WOP_I32_MUL, WOP_I32_ADD, WOP_I32_MULADD, false},
    {WOP_I64_MUL, WOP_I64_ADD, WOP_I64_MULADD, false},
    {WOP_F64_MUL, WOP_F64_ADD, WOP_F64_MULADD, false},
    {WOP_F64_MUL, WOP_F64_SUB, WOP_F64_MULSUB, true},
    {WOP_F64_MUL, WOP_F64_MUL, WOP_F64_MUL3, false},
    {WOP_I32_ROTL_I, WOP_I32_XOR, WOP_I32_ROTLI_XOR, false},
    {WOP_I32_SHRU_I, WOP_I32_XOR, WOP_I32_SHRUI_XOR, false},
};

/* Whether the instruction op is a producer in fusions[]. */
static bool is_producer(int op)
{
    for (size_t i = 0; i < sizeof fusions / sizeof fusions[0]; i++)
        if (fusions[i].prod == op) return true;
    return false;
}

/* The fusion of the producer c->fz[FZ_PROD] (if just emitted, its result is the entry
 * at a height from lo to hi among the top two, in its home slot) into binary operator
 * op on the top two entries, or -1. */
static int fused_op(comp *c, int op, uint32_t lo, uint32_t hi)
{
    const recent *prod = &c->fz[FZ_PROD];
    if (prod->end != c->n || c->oom || prod->h < lo || prod->h > hi ||
        c->st[prod->h].kind != SV_SLOT || c->w[comp_opnd(prod->start, 0)] != comp_home(c, prod->h))
        return -1;
    for (size_t i = 0; i < sizeof fusions / sizeof fusions[0]; i++)
        if (fusions[i].prod == prod->op && fusions[i].op == op &&
            (!fusions[i].right || prod->h == c->h - 1))
            return fusions[i].fused;
    return -1;
}

/* Replaces the producer c->fz[FZ_PROD] (just emitted; its result is used only by the
 * operator being compiled) with fused op `fop dst, p1, p2, other` (p1, p2: the
 * producer's operands); returns the instruction start. */
static uint32_t emit_fused(comp *c, int fop, uint32_t dst, uint32_t other)
{
    uint32_t start = c->fz[FZ_PROD].start;
    uint32_t p1 = c->w[comp_opnd(start, 1)], p2 = c->w[comp_opnd(start, 2)];
    c->n = start;
    uint32_t at = esgx_comp_emit_op(c, fop);
    emit_w(c, dst);
    emit_w(c, p1);
    emit_w(c, p2);
    emit_w(c, other);
    return at;
}

/* Binary operator; imm_op >= 0 is the variant taking a 32-bit immediate right
 * operand; commutative lets a constant left operand become the immediate. */
void esgx_comp_op_binary(comp *c, int op, int imm_op, bool commutative, bool is64)
{
    sv *a = &c->st[c->h - 2], *b = &c->st[c->h - 1];
    uint32_t dst = comp_home(c, c->h - 2), at;
    bool imm_b = imm_op >= 0 && b->kind == SV_CONST && fits_imm(b->c, is64);
    bool imm_a = !imm_b && imm_op >= 0 && commutative && a->kind == SV_CONST &&
                 fits_imm(a->c, is64);
    if (imm_a || imm_b) {   /* the other operand, and the constant as the immediate */
        uint32_t imm = (uint32_t)(imm_b ? b->c : a->c), hs = c->h - (imm_b ? 2 : 1);
        uint32_t s = esgx_comp_slot_of(c, hs);
        int fop = fused_op(c, imm_op, hs, hs);
        if (fop >= 0) {
            op = fop;
            at = emit_fused(c, fop, dst, imm);
        } else {
            op = imm_op;   /* as emitted, for the producer check below */
            at = esgx_comp_emit_op(c, imm_op);
            emit_w(c, dst);
            emit_w(c, s);
            emit_w(c, imm);
        }
    } else {
        uint32_t sa = esgx_comp_slot_of(c, c->h - 2);
        uint32_t sb = esgx_comp_slot_of(c, c->h - 1);
        int fop = fused_op(c, op, c->h - 2, c->h - 1);
        const recent *prod = &c->fz[FZ_PROD], *prev = &c->fz[FZ_PREV];
        if (fop == WOP_I32_ROTLI_XOR && prev->end == prod->start &&
            prev->op == WOP_I32_ROTL_I && prev->h == c->h - 2 && prod->h == c->h - 1 &&
            c->st[c->h - 2].kind == SV_SLOT && c->w[comp_opnd(prev->start, 0)] == dst) {
            /* the other operand is a rotl by a constant just before: I32_ROT2_XOR */
            uint32_t x1 = c->w[comp_opnd(prev->start, 1)], k1 = c->w[comp_opnd(prev->start, 2)];
            uint32_t x2 = c->w[comp_opnd(prod->start, 1)], k2 = c->w[comp_opnd(prod->start, 2)];
            c->n = prev->start;
            op = WOP_I32_ROT2_XOR;
            at = esgx_comp_emit_op(c, op);
            emit_w(c, dst);
            emit_w(c, x1);
            emit_w(c, k1);
            emit_w(c, x2);
            emit_w(c, k2);
        } else if (fop >= 0) {
            op = fop;
            at = emit_fused(c, fop, dst, prod->h == c->h - 1 ? sa : sb);
        } else {
            at = esgx_comp_emit_op(c, op);
            emit_w(c, dst);
            emit_w(c, sa);
            emit_w(c, sb);
        }
    }
    /* the producer before this one, if this one comes right after it */
    recent *prod = &c->fz[FZ_PROD];
    c->fz[FZ_PREV] = *prod;
    if (prod->end != at) forget_fusions(c, FZ(FZ_PREV));
    forget_fusions(c, FZ(FZ_PROD));
    if (is_producer(op)) {
        prod->start = at;
        prod->end = c->n;
        prod->h = c->h - 2;
        prod->op = op;
    }
    c->h -= 2;
    esgx_comp_note_dst(c, at, c->h);
    if (op == WOP_I32_ADD_I && !c->oom) {
        recent *addi = &c->fz[FZ_ADDI];
        addi->start = at;
        addi->end = c->n;
        addi->h = c->h;
        addi->src = c->w[comp_opnd(at, 1)];
        addi->imm = c->w[comp_opnd(at, 2)];
        c->fz[FZ_STEP] = *addi;
    }
    esgx_comp_push_slot(c);
}

/* If entry hh (a home slot) was produced by the i32.add-of-a-constant just emitted,
 * removes that add and returns true (c->fz[FZ_ADDI] has its operands): the memory access
 * then computes the address itself. */
bool esgx_comp_take_addi(comp *c, uint32_t hh)
{
    const recent *addi = &c->fz[FZ_ADDI];
    if (c->oom || addi->end != c->n || addi->h != hh || c->st[hh].kind != SV_SLOT)
        return false;
    c->n = addi->start;
    forget_fusions(c, FZ(FZ_ADDI) | FZ(FZ_STEP) | FZ(FZ_PROD) | FZ(FZ_DST) | FZ(FZ_CMP));
    return true;
}

static bool is_nan_bits(uint64_t v, bool is64)
{
    return is64 ? (v & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull
                : (v & 0x7FFFFFFFu) > 0x7F800000u;
}

/* f32/f64 add, sub, mul, div: a constant right operand (or left, for add and mul,
 * unless a NaN) becomes an immediate (_K forms). */
void esgx_comp_op_fbinary(comp *c, int op, bool commutative, bool is64)
{
    sv *a = &c->st[c->h - 2], *b = &c->st[c->h - 1];
    int kop = esgx_wasm_iop_of(is64 ? IOPF_FK_F64 : IOPF_FK_F32,
                               esgx_wasm_iop_class_of[op].index, 0);
    uint32_t dst = comp_home(c, c->h - 2), sa;
    uint64_t k;
    if (b->kind == SV_CONST) {
        k = b->c;
        sa = esgx_comp_slot_of(c, c->h - 2);
    } else if (commutative && a->kind == SV_CONST && !is_nan_bits(a->c, is64)) {
        k = a->c;
        sa = esgx_comp_slot_of(c, c->h - 1);
    } else {
        esgx_comp_op_binary(c, op, -1, false, is64);
        return;
    }
    uint32_t at = esgx_comp_emit_op(c, kop);
    emit_w(c, dst);
    emit_w(c, sa);
    emit_w(c, (uint32_t)k);
    if (is64) emit_w(c, (uint32_t)(k >> 32));
    c->h -= 2;
    esgx_comp_note_dst(c, at, c->h);
    esgx_comp_push_slot(c);
}

void esgx_comp_op_compare(comp *c, int ci, bool is64)
{
    sv *a = &c->st[c->h - 2], *b = &c->st[c->h - 1];
    int fam = is64 ? IOPF_ICMP_I64 : IOPF_ICMP_I32;
    uint32_t dst = comp_home(c, c->h - 2), sa, sb;
    bool imm = false;
    if (b->kind == SV_CONST && fits_imm(b->c, is64)) {
        sb = (uint32_t)b->c;
        sa = esgx_comp_slot_of(c, c->h - 2);
        imm = true;
    } else if (a->kind == SV_CONST && fits_imm(a->c, is64)) {
        sb = (uint32_t)a->c;
        sa = esgx_comp_slot_of(c, c->h - 1);
        ci = cmp_mirror[ci];
        imm = true;
    } else {
        sa = esgx_comp_slot_of(c, c->h - 2);
        sb = esgx_comp_slot_of(c, c->h - 1);
    }
    uint32_t at = esgx_comp_emit_op(c, esgx_wasm_iop_of(fam, ci, imm ? CF_SET_I : CF_SET));
    emit_w(c, dst);
    emit_w(c, sa);
    emit_w(c, sb);
    c->h -= 2;
    esgx_comp_note_dst(c, at, c->h);
    set_cmp(c, at, c->h, sa, sb, ci, is64, imm);
    esgx_comp_push_slot(c);
}

/* f64 compare op (F64_<C>, IOPF_FCMP_F64): emitted as it is, remembered in c->cmp so that a
 * branch on it (maybe through eqz) becomes one BR_F64_[N]<C>[_K]; a constant right
 * operand is then an immediate (the constant's materialization is dropped with the
 * compare). */
void esgx_comp_op_fcompare(comp *c, int op)
{
    int fi = esgx_wasm_iop_class_of[op].index;
    bool fuse = c->st[c->h - 2].kind != SV_CONST;
    bool k = c->st[c->h - 1].kind == SV_CONST;
    uint64_t kv = c->st[c->h - 1].c;
    uint32_t start = c->n;
    esgx_comp_op_binary(c, op, -1, false, true);
    if (!fuse || c->oom) return;
    uint32_t at = c->n - esgx_wasm_iop_width[op];
    set_cmp(c, start, c->h - 1, c->w[comp_opnd(at, 1)], c->w[comp_opnd(at, 2)], CI_F64 + fi,
            true, k);
    c->cmp.k = kv;
}

/* i32.eqz of an integer compare just emitted negates that compare in place; of an f64
 * compare it is emitted, and a branch on it still fuses (negated) with the compare. */
void esgx_comp_op_eqz(comp *c, bool is64)
{
    recent *r = &c->fz[FZ_CMP];
    bool of_cmp = !is64 && !c->oom && r->end == c->n && r->h == c->h - 1 &&
                  c->st[c->h - 1].kind == SV_SLOT && c->cmp.ci != CI_EQZ;
    if (of_cmp && c->cmp.ci < CI_EQZ) {
        int ci = esgx_comp_cmp_negate[c->cmp.ci];
        c->w[r->start] = (uint32_t)esgx_wasm_iop_of(c->cmp.is64 ? IOPF_ICMP_I64 : IOPF_ICMP_I32,
                                                       ci, c->cmp.imm ? CF_SET_I : CF_SET);
        c->cmp.ci = ci;
        return;
    }
    cmp_state fcmp = c->cmp;
    recent fr = *r;
    uint32_t s = esgx_comp_slot_of(c, c->h - 1);
    c->h--;
    uint32_t at = esgx_comp_emit_op(c, is64 ? WOP_I64_EQZ : WOP_I32_EQZ);
    emit_w(c, comp_home(c, c->h));
    emit_w(c, s);
    esgx_comp_note_dst(c, at, c->h);
    set_cmp(c, at, c->h, s, 0, CI_EQZ, is64, false);
    esgx_comp_push_slot(c);
    if (of_cmp) {   /* of an f64 compare: a branch on it removes both */
        fr.end = c->n;   /* the compare and the eqz: removed together */
        fcmp.neg = !fcmp.neg;
        c->fz[FZ_CMP] = fr;
        c->cmp = fcmp;
    }
}

/* Pops k operands (slots), emits op [dst if has_result] operands..., pushes result. */
uint32_t esgx_comp_op_generic(comp *c, int op, unsigned k, bool has_result)
{
    uint32_t s[5];
    for (unsigned i = 0; i < k; i++) s[i] = esgx_comp_slot_of(c, c->h - k + i);
    c->h -= k;
    uint32_t at = esgx_comp_emit_op(c, op);
    if (has_result) emit_w(c, comp_home(c, c->h));
    for (unsigned i = 0; i < k; i++) emit_w(c, s[i]);
    if (has_result) {
        esgx_comp_note_dst(c, at, c->h);
        esgx_comp_push_slot(c);
    }
    return at;
}

/* ------------------------------------------------------------------ dispatch */

/* Compiles numeric operator oi (CAT_NUM) by its compile kind (wasm_opcodes.h). */
void esgx_comp_numeric(comp *c, const esgx_wasm_opinfo *oi)
{
    bool is64 = oi->flags & F_64, comm = oi->flags & F_COMM;
    switch (oi->ck) {
    case K_UN: esgx_comp_op_unary(c, oi->iop); break;
    case K_BIN: esgx_comp_op_binary(c, oi->iop, -1, false, is64); break;
    case K_IMM:
        esgx_comp_op_binary(c, oi->iop, esgx_wasm_iop_form(oi->iop, BF_IMM), comm, is64);
        break;
    case K_CMP: esgx_comp_op_compare(c, esgx_wasm_iop_class_of[oi->iop].index, is64); break;
    case K_EQZ: esgx_comp_op_eqz(c, is64); break;
    case K_FK: esgx_comp_op_fbinary(c, oi->iop, comm, is64); break;
    case K_FCMP: esgx_comp_op_fcompare(c, oi->iop); break;
    default: break;   /* K_ID: the bits are already right */
    }
}
