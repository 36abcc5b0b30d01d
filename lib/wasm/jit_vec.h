/*
 * jit_vec.h (internal to jit_ops.c, included once after its operand helpers): the
 * SIMD ops compiled inline to SSE (up to SSE4.1, and pcmpgtq), every one of them: no
 * SIMD op leaves compiled code. A v128 operand lives in the xmm register of its pair
 * (jit_alloc.c), or in its two frame slots ([rbx + 8*slot], 16 bytes, 8-byte aligned:
 * movdqu), or, when its slots are in registers of other kinds (a scalar's, or half of
 * an overlapping pair's), is put together from them and taken apart into them (vld,
 * vst). Templates read their operands with vld into scratch registers (the binary
 * ops compute in the result's register) and write the result with vst.
 * Scratch registers: xmm0, xmm1, xmm15, rax, rcx. Every template computes exactly what
 * the interpreter's handler (interp_simd.h) computes: the spec's lane semantics, float
 * lanes in the same operand order, NaN results with the same bits (min/max give
 * a + b on a NaN lane as f32_min does; roundps/sqrtps quiet a NaN as x + x does), and
 * each reads all its operands before it writes its result (the result may share
 * slots with an operand).
 *
 * 16-byte constants (shuffle masks, lane masks) go to a pool after the function's
 * code (vpool_emit, from finish) and are loaded RIP-relative with movdqu, so neither
 * the pool nor the packed code needs alignment. Legacy SSE memory operands must be
 * 16-byte aligned, hence every constant and slot goes through a register first.
 */

/* one SSE op d, s: map 0 = 0F op, 1 = 0F 38 op, 2 = 0F 3A op; pfx 0x66 or 0 */
static void vop(esgx_x64 *a, uint8_t pfx, int map, uint8_t op, int d, int s)
{
    if (map == 2) X_OP3(a, pfx, 0, 0x0F, 0x3A, op, d, s, NULL);
    else if (map) X_OP3(a, pfx, 0, 0x0F, 0x38, op, d, s, NULL);
    else X_OP2(a, pfx, 0, 0x0F, op, d, s, NULL);
}

/* the same with an imm8 */
static void vopi(esgx_x64 *a, uint8_t pfx, int map, uint8_t op, int d, int s, uint8_t imm)
{
    vop(a, pfx, map, op, d, s);
    x64_b(a, imm);
}

/* shift of xmm x by an immediate: 66 0F grp (0x71 words, 0x72 dwords, 0x73 qwords /
 * bytes) /ext: 2 right logical, 4 right arithmetic, 6 left, 3 psrldq, 7 pslldq */
static void vshi(esgx_x64 *a, uint8_t grp, int ext, int x, uint8_t n)
{
    X_OP2(a, 0x66, 0, 0x0F, grp, ext, x, NULL);
    x64_b(a, n);
}

/* frequently used instructions (66 0F op) */
enum {
    P_XOR = 0xEF, P_AND = 0xDB, P_OR = 0xEB, P_ADDB = 0xFC, P_ADDD = 0xFE, P_ADDQ = 0xD4,
    P_SUBB = 0xF8, P_SUBD = 0xFA, P_SUBQ = 0xFB, P_MULUDQ = 0xF4, P_EQD = 0x76
};
#define P(a, op, d, s) vop(a, 0x66, 0, op, d, s)
#define PSHUFB(a, d, s) vop(a, 0x66, 1, 0x00, d, s)
#define ONES(a, x) P(a, P_EQD, x, x)
#define MOVAPS(a, d, s) x64_movaps(a, d, s)

/* xmm x = the 16 bytes k: zeros and ones by pxor / pcmpeqd, others from the pool */
static void vconst(jc *c, int x, const uint8_t k[16])
{
    esgx_x64 *a = c->a;
    static const uint8_t zero[16];
    uint8_t ones[16];
    memset(ones, 0xFF, 16);
    if (!memcmp(k, zero, 16)) {
        x64_xorps(a, x, x);
        return;
    }
    if (!memcmp(k, ones, 16)) {
        ONES(a, x);
        return;
    }
    /* reuse a recent equal constant (a bounded search: compile time stays linear) */
    uint32_t i = c->n_pool > 64 ? c->n_pool - 64 : 0;
    while (i < c->n_pool && memcmp(c->pool[i], k, 16)) i++;
    if (i == c->n_pool) {
        if (c->n_pool == c->cap_pool) {
            uint32_t nc = c->cap_pool ? c->cap_pool * 2 : 16;
            void *np = realloc(c->pool, (size_t)nc * 16);
            if (!np) {
                c->oom = true;
                return;
            }
            c->pool = np;
            c->cap_pool = nc;
        }
        memcpy(c->pool[c->n_pool++], k, 16);
    }
    if (c->n_pool_fx == c->cap_pool_fx) {
        size_t nc = c->cap_pool_fx ? c->cap_pool_fx * 2 : 16;
        void *np = realloc(c->pool_fx, nc * sizeof *c->pool_fx);
        if (!np) {
            c->oom = true;
            return;
        }
        c->pool_fx = np;
        c->cap_pool_fx = nc;
    }
    /* movdqu xmm, [rip + disp32]: the disp32 ends the instruction */
    x64_b(a, 0xF3);
    if (x & 8) x64_b(a, 0x44);
    x64_b(a, 0x0F);
    x64_b(a, 0x6F);
    x64_b(a, (uint8_t)(0x05 | (x & 7) << 3));
    c->pool_fx[c->n_pool_fx++] = (struct vfix){a->n, i};
    x64_d32(a, 0);
}

/* xmm x = the 64-bit pattern v in both halves */
static void vconst64(jc *c, int x, uint64_t v)
{
    uint8_t k[16];
    memcpy(k, &v, 8);
    memcpy(k + 8, &v, 8);
    vconst(c, x, k);
}

/* the pool after the code; each load pointed at its constant */
static void vpool_emit(jc *c)
{
    esgx_x64 *a = c->a;
    size_t base = a->n;
    for (uint32_t i = 0; i < c->n_pool; i++)
        for (int b = 0; b < 16; b++) x64_b(a, c->pool[i][b]);
    for (size_t i = 0; i < c->n_pool_fx; i++) {
        const struct vfix *f = &c->pool_fx[i];
        int64_t rel = (int64_t)(base + 16u * f->k) - (int64_t)(f->at + 4);
        x64_patch32(a, f->at, (uint32_t)(int32_t)rel);
    }
}

/* blendpd d, s, imm (SSE4.1): the qwords of s where imm has a bit */
static void x64_blendpd(esgx_x64 *a, int d, int s, uint8_t imm)
{
    X_OP3(a, 0x66, 0, 0x0F, 0x3A, 0x0D, d, s, NULL);
    x64_b(a, imm);
}

/* xmm x (a scratch) = v128 slots s, s + 1 whose registers are not one pair's: each
 * half from where it is (memory, a GPR, a scalar's xmm, half of a pair), low first */
static void vcompose(jc *c, int x, uint32_t s)
{
    esgx_x64 *a = c->a;
    for (int hi = 0; hi < 2; hi++) {
        uint32_t q = s + (uint32_t)hi;
        int v, h = vhalf(c, q, &v), p = pin_of(c, q);
        x64_mem m = slot(q);
        if (!hi) {
            if (h == 0) x64_movaps(a, x, v);
            else if (h == 1) x64_hi64(a, x, v);
            else if (p >= 16) x64_movaps(a, x, p - 16);
            else if (p >= 0) x64_movq_xr(a, true, x, p);
            else x64_movs_load(a, true, x, m);
        } else {
            if (h == 0) x64_movlhps(a, x, v);
            else if (h == 1) x64_blendpd(a, x, v, 2);
            else if (p >= 16) x64_movlhps(a, x, p - 16);
            else if (p >= 0) x64_pinsrq(a, x, p, 1);
            else X_OP2(a, 0, 0, 0x0F, 0x16, x, 0, &m);          /* movhps x, [m] */
        }
    }
}

/* v128 slots s, s + 1 (not one pair's register) = xmm x, each half where it lives */
static void vdecompose(jc *c, uint32_t s, int x)
{
    esgx_x64 *a = c->a;
    stf(c, true, s, x);
    uint32_t q = s + 1;
    int v, h = vhalf(c, q, &v), p = pin_of(c, q), t = x == 15 ? 0 : 15;
    if (h == 1) {
        x64_blendpd(a, v, x, 2);
    } else if (h == 0) {
        x64_hi64(a, t, x);
        x64_sse_rr(a, true, SSE_MOVS, v, t);                  /* movsd: the low half */
    } else if (p >= 16) {
        x64_hi64(a, p - 16, x);
    } else if (p >= 0) {
        x64_pextr(a, true, p, x, 1);
    } else {
        x64_mem m = slot(q);
        X_OP2(a, 0, 0, 0x0F, 0x17, x, 0, &m);                 /* movhps [m], x */
        return;
    }
    dirty(c, q);
}

/* Whether either slot of the v128 at s has a register. */
static bool in_regs(const jc *c, uint32_t s)
{
    return c->pin[s] >= 0 || (s + 1 < c->code->frame_size && c->pin[s + 1] >= 0);
}

/* xmm x = v128 slot pair s / slot pair s = xmm x: the pair's register (jit_alloc.c),
 * memory, or (slots in registers of other kinds) composed from the halves */
static void vld(jc *c, int x, uint32_t s)
{
    int v = vpair(c, s);
    if (v >= 0) {
        if (x != v) x64_movaps(c->a, x, v);
        return;
    }
    if (in_regs(c, s)) {
        vcompose(c, x, s);
        return;
    }
    if (just_stored(c, s) && c->last.kind == LAST_XMM128) {
        if (x != c->last.reg - 16) x64_movaps(c->a, x, c->last.reg - 16);
        still_stored(c, x + 16);
        return;
    }
    x64_movdqu_load(c->a, x, slot(s));
}

static void vst(jc *c, uint32_t s, int x)
{
    int v = vpair(c, s);
    if (v >= 0) {
        if (x != v) x64_movaps(c->a, v, x);
        dirty(c, s);
        return;
    }
    if (in_regs(c, s)) {
        vdecompose(c, s, x);
        return;
    }
    x64_movdqu_store(c->a, slot(s), x);
    stored(c, s, x + 16, LAST_XMM128);
}

/* the binary ops "DSS" of one SSE instruction (swap: the instruction's operands are
 * b, a; imm >= 0: cmpps/cmppd predicate; inv: the result complemented) */
typedef struct vbin {
    uint16_t op;
    uint8_t pfx, map, code;
    bool swap;
    int8_t imm;
    bool inv;
} vbin;

static const vbin vbins[] = {
    {WOP_I8X16_ADD, 0x66, 0, 0xFC, 0, -1, 0}, {WOP_I16X8_ADD, 0x66, 0, 0xFD, 0, -1, 0},
    {WOP_I32X4_ADD, 0x66, 0, 0xFE, 0, -1, 0}, {WOP_I64X2_ADD, 0x66, 0, 0xD4, 0, -1, 0},
    {WOP_I8X16_SUB, 0x66, 0, 0xF8, 0, -1, 0}, {WOP_I16X8_SUB, 0x66, 0, 0xF9, 0, -1, 0},
    {WOP_I32X4_SUB, 0x66, 0, 0xFA, 0, -1, 0}, {WOP_I64X2_SUB, 0x66, 0, 0xFB, 0, -1, 0},
    {WOP_I16X8_MUL, 0x66, 0, 0xD5, 0, -1, 0}, {WOP_I32X4_MUL, 0x66, 1, 0x40, 0, -1, 0},
    {WOP_V128_AND, 0x66, 0, 0xDB, 0, -1, 0}, {WOP_V128_OR, 0x66, 0, 0xEB, 0, -1, 0},
    {WOP_V128_XOR, 0x66, 0, 0xEF, 0, -1, 0}, {WOP_V128_ANDNOT, 0x66, 0, 0xDF, 1, -1, 0},
    {WOP_I8X16_EQ, 0x66, 0, 0x74, 0, -1, 0}, {WOP_I16X8_EQ, 0x66, 0, 0x75, 0, -1, 0},
    {WOP_I32X4_EQ, 0x66, 0, 0x76, 0, -1, 0}, {WOP_I64X2_EQ, 0x66, 1, 0x29, 0, -1, 0},
    {WOP_I8X16_GT_S, 0x66, 0, 0x64, 0, -1, 0}, {WOP_I16X8_GT_S, 0x66, 0, 0x65, 0, -1, 0},
    {WOP_I32X4_GT_S, 0x66, 0, 0x66, 0, -1, 0}, {WOP_I64X2_GT_S, 0x66, 1, 0x37, 0, -1, 0},
    {WOP_I8X16_LT_S, 0x66, 0, 0x64, 1, -1, 0}, {WOP_I16X8_LT_S, 0x66, 0, 0x65, 1, -1, 0},
    {WOP_I32X4_LT_S, 0x66, 0, 0x66, 1, -1, 0}, {WOP_I64X2_LT_S, 0x66, 1, 0x37, 1, -1, 0},
    {WOP_I8X16_MIN_S, 0x66, 1, 0x38, 0, -1, 0}, {WOP_I8X16_MIN_U, 0x66, 0, 0xDA, 0, -1, 0},
    {WOP_I16X8_MIN_S, 0x66, 0, 0xEA, 0, -1, 0}, {WOP_I16X8_MIN_U, 0x66, 1, 0x3A, 0, -1, 0},
    {WOP_I32X4_MIN_S, 0x66, 1, 0x39, 0, -1, 0}, {WOP_I32X4_MIN_U, 0x66, 1, 0x3B, 0, -1, 0},
    {WOP_I8X16_MAX_S, 0x66, 1, 0x3C, 0, -1, 0}, {WOP_I8X16_MAX_U, 0x66, 0, 0xDE, 0, -1, 0},
    {WOP_I16X8_MAX_S, 0x66, 0, 0xEE, 0, -1, 0}, {WOP_I16X8_MAX_U, 0x66, 1, 0x3E, 0, -1, 0},
    {WOP_I32X4_MAX_S, 0x66, 1, 0x3D, 0, -1, 0}, {WOP_I32X4_MAX_U, 0x66, 1, 0x3F, 0, -1, 0},
    {WOP_I8X16_ADD_SAT_S, 0x66, 0, 0xEC, 0, -1, 0}, {WOP_I8X16_ADD_SAT_U, 0x66, 0, 0xDC, 0, -1, 0},
    {WOP_I16X8_ADD_SAT_S, 0x66, 0, 0xED, 0, -1, 0}, {WOP_I16X8_ADD_SAT_U, 0x66, 0, 0xDD, 0, -1, 0},
    {WOP_I8X16_SUB_SAT_S, 0x66, 0, 0xE8, 0, -1, 0}, {WOP_I8X16_SUB_SAT_U, 0x66, 0, 0xD8, 0, -1, 0},
    {WOP_I16X8_SUB_SAT_S, 0x66, 0, 0xE9, 0, -1, 0}, {WOP_I16X8_SUB_SAT_U, 0x66, 0, 0xD9, 0, -1, 0},
    {WOP_I8X16_AVGR_U, 0x66, 0, 0xE0, 0, -1, 0}, {WOP_I16X8_AVGR_U, 0x66, 0, 0xE3, 0, -1, 0},
    {WOP_I8X16_NARROW_I16X8_S, 0x66, 0, 0x63, 0, -1, 0},
    {WOP_I8X16_NARROW_I16X8_U, 0x66, 0, 0x67, 0, -1, 0},
    {WOP_I16X8_NARROW_I32X4_S, 0x66, 0, 0x6B, 0, -1, 0},
    {WOP_I16X8_NARROW_I32X4_U, 0x66, 1, 0x2B, 0, -1, 0},
    {WOP_I32X4_DOT_I16X8_S, 0x66, 0, 0xF5, 0, -1, 0},
    {WOP_F32X4_ADD, 0, 0, 0x58, 0, -1, 0}, {WOP_F64X2_ADD, 0x66, 0, 0x58, 0, -1, 0},
    {WOP_F32X4_SUB, 0, 0, 0x5C, 0, -1, 0}, {WOP_F64X2_SUB, 0x66, 0, 0x5C, 0, -1, 0},
    {WOP_F32X4_MUL, 0, 0, 0x59, 0, -1, 0}, {WOP_F64X2_MUL, 0x66, 0, 0x59, 0, -1, 0},
    {WOP_F32X4_DIV, 0, 0, 0x5E, 0, -1, 0}, {WOP_F64X2_DIV, 0x66, 0, 0x5E, 0, -1, 0},
    /* pmin(a, b) = b < a ? b : a = minps(b, a); pmax(a, b) = a < b ? b : a = maxps(b, a) */
    {WOP_F32X4_PMIN, 0, 0, 0x5D, 1, -1, 0}, {WOP_F64X2_PMIN, 0x66, 0, 0x5D, 1, -1, 0},
    {WOP_F32X4_PMAX, 0, 0, 0x5F, 1, -1, 0}, {WOP_F64X2_PMAX, 0x66, 0, 0x5F, 1, -1, 0},
    /* compares: eq 0, lt 1, le 2, neq 4 (true for NaN); gt / ge are lt / le swapped */
    {WOP_F32X4_EQ, 0, 0, 0xC2, 0, 0, 0}, {WOP_F64X2_EQ, 0x66, 0, 0xC2, 0, 0, 0},
    {WOP_F32X4_NE, 0, 0, 0xC2, 0, 4, 0}, {WOP_F64X2_NE, 0x66, 0, 0xC2, 0, 4, 0},
    {WOP_F32X4_LT, 0, 0, 0xC2, 0, 1, 0}, {WOP_F64X2_LT, 0x66, 0, 0xC2, 0, 1, 0},
    {WOP_F32X4_LE, 0, 0, 0xC2, 0, 2, 0}, {WOP_F64X2_LE, 0x66, 0, 0xC2, 0, 2, 0},
    {WOP_F32X4_GT, 0, 0, 0xC2, 1, 1, 0}, {WOP_F64X2_GT, 0x66, 0, 0xC2, 1, 1, 0},
    {WOP_F32X4_GE, 0, 0, 0xC2, 1, 2, 0}, {WOP_F64X2_GE, 0x66, 0, 0xC2, 1, 2, 0},
    /* ne = not eq, le_s = not gt_s, ge_s = not (b > a) */
    {WOP_I8X16_NE, 0x66, 0, 0x74, 0, -1, 1}, {WOP_I16X8_NE, 0x66, 0, 0x75, 0, -1, 1},
    {WOP_I32X4_NE, 0x66, 0, 0x76, 0, -1, 1}, {WOP_I64X2_NE, 0x66, 1, 0x29, 0, -1, 1},
    {WOP_I8X16_LE_S, 0x66, 0, 0x64, 0, -1, 1}, {WOP_I16X8_LE_S, 0x66, 0, 0x65, 0, -1, 1},
    {WOP_I32X4_LE_S, 0x66, 0, 0x66, 0, -1, 1}, {WOP_I64X2_LE_S, 0x66, 1, 0x37, 0, -1, 1},
    {WOP_I8X16_GE_S, 0x66, 0, 0x64, 1, -1, 1}, {WOP_I16X8_GE_S, 0x66, 0, 0x65, 1, -1, 1},
    {WOP_I32X4_GE_S, 0x66, 0, 0x66, 1, -1, 1}, {WOP_I64X2_GE_S, 0x66, 1, 0x37, 1, -1, 1},
};

static bool vec_binary(jc *c, const uint32_t *ip, int op)
{
    for (size_t i = 0; i < sizeof vbins / sizeof vbins[0]; i++) {
        const vbin *v = &vbins[i];
        if (v->op != op) continue;
        uint32_t x = v->swap ? O(2) : O(1), y = v->swap ? O(1) : O(2);
        /* d = x op y: computed in the result's register when it has one (and it is
         * not y's), the second operand read from its register in place */
        int d = vpair(c, O(0)), ry = vpair(c, y);
        bool whole = vpair(c, x) >= 0 || !in_regs(c, x);   /* x not put together */
        if (d < 0 || d == ry || v->inv || !whole) d = 0;
        if (ry < 0) {
            vld(c, 1, y);
            ry = 1;
        }
        vld(c, d, x);
        vop(c->a, v->pfx, v->map, v->code, d, ry);
        if (v->imm >= 0) x64_b(c->a, (uint8_t)v->imm);
        if (v->inv) {
            ONES(c->a, 1);
            P(c->a, P_XOR, 0, 1);
        }
        vst(c, O(0), d);
        return true;
    }
    return false;
}

/* lane access: pinsr / pextr of a lane of size 1, 2, 4, 8 with a GPR or memory */
static void pinsr(esgx_x64 *a, unsigned size, int x, int r, const x64_mem *m, uint8_t lane)
{
    if (size == 2) X_OP2(a, 0x66, 0, 0x0F, 0xC4, x, r, m);
    else X_OP3(a, 0x66, size == 8 ? XW : 0, 0x0F, 0x3A, size == 1 ? 0x20 : 0x22, x, r, m);
    x64_b(a, lane);
}

static void pextr(esgx_x64 *a, unsigned size, int r, int x, const x64_mem *m, uint8_t lane)
{
    if (size == 2 && !m) X_OP2(a, 0x66, 0, 0x0F, 0xC5, r, x, NULL);   /* pextrw r32, xmm */
    else X_OP3(a, 0x66, size == 8 ? XW : 0, 0x0F, 0x3A,
               size == 1 ? 0x14 : size == 2 ? 0x15 : 0x16, x, r, m);
    x64_b(a, lane);
}

/* xmm0 = the low `size` bytes of rax in every lane */
static void splat_rax(esgx_x64 *a, unsigned size)
{
    if (size == 8) {
        x64_movq_xr(a, true, 0, X_RAX);
        vop(a, 0x66, 0, 0x6C, 0, 0);                  /* punpcklqdq */
        return;
    }
    x64_movq_xr(a, false, 0, X_RAX);
    if (size == 1) {
        x64_xorps(a, 1, 1);
        vop(a, 0x66, 1, 0x00, 0, 1);                  /* pshufb by zeros */
        return;
    }
    if (size == 2) {
        X_OP2(a, 0xF2, 0, 0x0F, 0x70, 0, 0, NULL);    /* pshuflw 0 */
        x64_b(a, 0);
    }
    X_OP2(a, 0x66, 0, 0x0F, 0x70, 0, 0, NULL);        /* pshufd 0 */
    x64_b(a, 0);
}

static unsigned lane_size_of(int op, int first, const uint8_t *sizes)
{
    return sizes[op - first];
}

/* loads, stores, lanes and splats */
static bool vec_memory(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    x64_mem m;
    static const uint8_t four[4] = {1, 2, 4, 8};
    switch (op) {
    case WOP_V128_LOAD:
        m = mem_ea(c, O(1), false, 0, O(2), 16);
        X_OP2(a, 0xF3, 0, 0x0F, 0x6F, 0, 0, &m);
        vst(c, O(0), 0);
        return true;
    case WOP_V128_STORE:
        m = mem_ea(c, O(0), false, 0, O(2), 16);
        vld(c, 0, O(1));
        X_OP2(a, 0xF3, 0, 0x0F, 0x7F, 0, 0, &m);
        return true;
    case WOP_V128_LOAD8_LANE: case WOP_V128_LOAD16_LANE: case WOP_V128_LOAD32_LANE:
    case WOP_V128_LOAD64_LANE: {
        unsigned size = lane_size_of(op, WOP_V128_LOAD8_LANE, four);
        m = mem_ea(c, O(1), false, 0, O(3), size);
        vld(c, 0, O(2));
        pinsr(a, size, 0, 0, &m, (uint8_t)O(4));
        vst(c, O(0), 0);
        return true;
    }
    case WOP_V128_STORE8_LANE: case WOP_V128_STORE16_LANE: case WOP_V128_STORE32_LANE:
    case WOP_V128_STORE64_LANE: {
        unsigned size = lane_size_of(op, WOP_V128_STORE8_LANE, four);
        m = mem_ea(c, O(0), false, 0, O(2), size);
        vld(c, 0, O(1));
        pextr(a, size, 0, 0, &m, (uint8_t)O(3));
        return true;
    }
    case WOP_V128_LOAD8_SPLAT: case WOP_V128_LOAD16_SPLAT: case WOP_V128_LOAD32_SPLAT:
    case WOP_V128_LOAD64_SPLAT: {
        unsigned size = lane_size_of(op, WOP_V128_LOAD8_SPLAT, four);
        m = mem_ea(c, O(1), false, 0, O(2), size);
        if (size == 1) x64_load_ext(a, 0, false, X_RAX, m);
        else if (size == 2) x64_load_ext(a, 1, false, X_RAX, m);
        else x64_load(a, size == 8, X_RAX, m);
        splat_rax(a, size);
        vst(c, O(0), 0);
        return true;
    }
    default:
        return false;
    }
}

/* const, splat, extract, replace, not, shifts, extends */
static bool vec_lanes(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    static const uint8_t splat_sizes[6] = {1, 2, 4, 8, 4, 8};
    switch (op) {
    case WOP_V128_CONST:   /* one 16-byte store (see COPY2) */
        x64_mov_ri(a, X_RAX, k64(ip + 3));
        x64_movq_xr(a, true, 0, X_RAX);
        x64_mov_ri(a, X_RAX, k64(ip + 5));
        x64_movq_xr(a, true, 1, X_RAX);
        vop(a, 0x66, 0, 0x6C, 0, 1);                  /* punpcklqdq */
        vst(c, O(0), 0);
        return true;
    case WOP_I8X16_SPLAT: case WOP_I16X8_SPLAT: case WOP_I32X4_SPLAT: case WOP_I64X2_SPLAT:
    case WOP_F32X4_SPLAT: case WOP_F64X2_SPLAT:
        ld(c, true, X_RAX, O(1));
        splat_rax(a, lane_size_of(op, WOP_I8X16_SPLAT, splat_sizes));
        vst(c, O(0), 0);
        return true;
    case WOP_V128_NOT:
        vld(c, 0, O(1));
        vop(a, 0x66, 0, 0x76, 1, 1);                  /* pcmpeqd: all ones */
        vop(a, 0x66, 0, 0xEF, 0, 1);
        vst(c, O(0), 0);
        return true;
    default:
        break;
    }
    static const struct { uint16_t op; uint8_t size; int8_t ext; } ex[] = {
        {WOP_I8X16_EXTRACT_LANE_S, 1, 2}, {WOP_I8X16_EXTRACT_LANE_U, 1, -1},
        {WOP_I16X8_EXTRACT_LANE_S, 2, 3}, {WOP_I16X8_EXTRACT_LANE_U, 2, -1},
        {WOP_I32X4_EXTRACT_LANE, 4, -1}, {WOP_I64X2_EXTRACT_LANE, 8, -1},
        {WOP_F32X4_EXTRACT_LANE, 4, -1}, {WOP_F64X2_EXTRACT_LANE, 8, -1}};
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        if (ex[i].op != op) continue;
        vld(c, 0, O(1));
        pextr(a, ex[i].size, X_RAX, 0, NULL, (uint8_t)O(2));
        if (ex[i].ext >= 0) x64_ext_rr(a, ex[i].ext, false, X_RAX, X_RAX);
        st(c, O(0), X_RAX);
        return true;
    }
    static const struct { uint16_t op; uint8_t size; } rep[] = {
        {WOP_I8X16_REPLACE_LANE, 1}, {WOP_I16X8_REPLACE_LANE, 2}, {WOP_I32X4_REPLACE_LANE, 4},
        {WOP_I64X2_REPLACE_LANE, 8}, {WOP_F32X4_REPLACE_LANE, 4}, {WOP_F64X2_REPLACE_LANE, 8}};
    for (size_t i = 0; i < sizeof rep / sizeof rep[0]; i++) {
        if (rep[i].op != op) continue;
        vld(c, 0, O(1));
        ld(c, true, X_RAX, O(2));
        pinsr(a, rep[i].size, 0, X_RAX, NULL, (uint8_t)O(3));
        vst(c, O(0), 0);
        return true;
    }
    return false;
}

/* shifts by a scalar (count masked to the lane width) and the widening ops */
static bool vec_shift_extend(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    static const struct { uint16_t op; uint8_t code, bits; } sh[] = {
        {WOP_I16X8_SHL, 0xF1, 16}, {WOP_I32X4_SHL, 0xF2, 32}, {WOP_I64X2_SHL, 0xF3, 64},
        {WOP_I16X8_SHR_U, 0xD1, 16}, {WOP_I32X4_SHR_U, 0xD2, 32}, {WOP_I64X2_SHR_U, 0xD3, 64},
        {WOP_I16X8_SHR_S, 0xE1, 16}, {WOP_I32X4_SHR_S, 0xE2, 32}};
    for (size_t i = 0; i < sizeof sh / sizeof sh[0]; i++) {
        if (sh[i].op != op) continue;
        ld(c, false, X_RCX, O(2));
        x64_alu_ri(a, ALU_AND, false, X_RCX, sh[i].bits - 1);
        x64_movq_xr(a, false, 1, X_RCX);
        vld(c, 0, O(1));
        vop(a, 0x66, 0, sh[i].code, 0, 1);
        vst(c, O(0), 0);
        return true;
    }
    static const struct { uint16_t op; uint8_t code; bool high; } ext[] = {
        {WOP_I16X8_EXTEND_LOW_I8X16_S, 0x20, 0}, {WOP_I16X8_EXTEND_HIGH_I8X16_S, 0x20, 1},
        {WOP_I16X8_EXTEND_LOW_I8X16_U, 0x30, 0}, {WOP_I16X8_EXTEND_HIGH_I8X16_U, 0x30, 1},
        {WOP_I32X4_EXTEND_LOW_I16X8_S, 0x23, 0}, {WOP_I32X4_EXTEND_HIGH_I16X8_S, 0x23, 1},
        {WOP_I32X4_EXTEND_LOW_I16X8_U, 0x33, 0}, {WOP_I32X4_EXTEND_HIGH_I16X8_U, 0x33, 1},
        {WOP_I64X2_EXTEND_LOW_I32X4_S, 0x25, 0}, {WOP_I64X2_EXTEND_HIGH_I32X4_S, 0x25, 1},
        {WOP_I64X2_EXTEND_LOW_I32X4_U, 0x35, 0}, {WOP_I64X2_EXTEND_HIGH_I32X4_U, 0x35, 1}};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        if (ext[i].op != op) continue;
        vld(c, 0, O(1));
        if (ext[i].high) {
            X_OP2(a, 0x66, 0, 0x0F, 0x73, 3, 0, NULL);   /* psrldq xmm0, 8 */
            x64_b(a, 8);
        }
        vop(a, 0x66, 1, ext[i].code, 0, 0);
        vst(c, O(0), 0);
        return true;
    }
    return false;
}

/* unsigned compares: ge_u(a, b) = (max_u(b, a) == a), le_u with min_u; lt_u / gt_u
 * their complements */
static bool vec_compare_u(jc *c, const uint32_t *ip, int op)
{
    static const struct { uint16_t op; uint8_t map, minmax, eq; bool inv; } uc[] = {
        {WOP_I8X16_GE_U, 0, 0xDE, 0x74, 0}, {WOP_I8X16_LE_U, 0, 0xDA, 0x74, 0},
        {WOP_I8X16_LT_U, 0, 0xDE, 0x74, 1}, {WOP_I8X16_GT_U, 0, 0xDA, 0x74, 1},
        {WOP_I16X8_GE_U, 1, 0x3E, 0x75, 0}, {WOP_I16X8_LE_U, 1, 0x3A, 0x75, 0},
        {WOP_I16X8_LT_U, 1, 0x3E, 0x75, 1}, {WOP_I16X8_GT_U, 1, 0x3A, 0x75, 1},
        {WOP_I32X4_GE_U, 1, 0x3F, 0x76, 0}, {WOP_I32X4_LE_U, 1, 0x3B, 0x76, 0},
        {WOP_I32X4_LT_U, 1, 0x3F, 0x76, 1}, {WOP_I32X4_GT_U, 1, 0x3B, 0x76, 1}};
    for (size_t i = 0; i < sizeof uc / sizeof uc[0]; i++) {
        if (uc[i].op != op) continue;
        vld(c, 0, O(1));
        vld(c, 1, O(2));
        vop(c->a, 0x66, uc[i].map, uc[i].minmax, 1, 0);
        P(c->a, uc[i].eq, 0, 1);
        if (uc[i].inv) {
            ONES(c->a, 1);
            P(c->a, P_XOR, 0, 1);
        }
        vst(c, O(0), 0);
        return true;
    }
    return false;
}

/* i8x16.shuffle: pshufd for whole dwords of one operand, else pshufb with a constant
 * mask per operand (0x80: a zero byte) and por */
static void vec_shuffle(jc *c, const uint32_t *ip)
{
    esgx_x64 *a = c->a;
    uint8_t sel[16], m1[16], m2[16];
    memcpy(sel, &O(3), 16);
    bool same = O(1) == O(2), lo = true, hi = true;
    for (int i = 0; i < 16; i++) {
        sel[i] &= same ? 15 : 31;
        lo = lo && sel[i] < 16;
        hi = hi && sel[i] >= 16;
        m1[i] = sel[i] < 16 ? sel[i] : 0x80;
        m2[i] = sel[i] >= 16 ? sel[i] - 16 : 0x80;
    }
    if (lo || hi) {
        vld(c, 0, lo ? O(1) : O(2));
        uint8_t imm = 0;
        bool dwords = true;
        for (int i = 0; i < 16 && dwords; i++) {
            int d = (sel[i - i % 4] & 15) / 4;
            dwords = (sel[i - i % 4] & 3) == 0 && (sel[i] & 15) == d * 4 + i % 4;
            if (i % 4 == 0) imm |= (uint8_t)(d << (i / 2));
        }
        if (dwords) {
            if (imm != 0xE4) vopi(a, 0x66, 0, 0x70, 0, 0, imm);   /* pshufd */
        } else {
            vconst(c, 1, lo ? m1 : m2);
            PSHUFB(a, 0, 1);
        }
        vst(c, O(0), 0);
        return;
    }
    vld(c, 0, O(1));
    vconst(c, 15, m1);
    PSHUFB(a, 0, 15);
    vld(c, 1, O(2));
    vconst(c, 15, m2);
    PSHUFB(a, 1, 15);
    P(a, P_OR, 0, 1);
    vst(c, O(0), 0);
}

/* i8 shifts (by word shifts and a byte mask, or through words) and i64x2.shr_s
 * ((x >>u n ^ m) - m, m the sign bit >>u n) */
static bool vec_shift_more(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    switch (op) {
    case WOP_I8X16_SHL: case WOP_I8X16_SHR_U:
        ld(c, false, X_RCX, O(2));
        x64_alu_ri(a, ALU_AND, false, X_RCX, 7);
        x64_movq_xr(a, false, 15, X_RCX);
        vld(c, 0, O(1));
        P(a, op == WOP_I8X16_SHL ? 0xF1 : 0xD1, 0, 15);     /* psllw / psrlw by n */
        ONES(a, 1);
        vshi(a, 0x71, 2, 1, 8);                           /* words 0x00FF */
        if (op == WOP_I8X16_SHL) {
            P(a, 0xF1, 1, 15);                            /* low bytes 0xFF << n */
            x64_xorps(a, 15, 15);
            PSHUFB(a, 1, 15);                             /* ... in every byte */
        } else {
            P(a, 0xD1, 1, 15);                            /* 0xFF >> n */
            P(a, 0x67, 1, 1);                             /* packuswb: every byte */
        }
        P(a, P_AND, 0, 1);
        vst(c, O(0), 0);
        return true;
    case WOP_I8X16_SHR_S:
        ld(c, false, X_RCX, O(2));
        x64_alu_ri(a, ALU_AND, false, X_RCX, 7);
        x64_alu_ri(a, ALU_ADD, false, X_RCX, 8);
        x64_movq_xr(a, false, 15, X_RCX);
        vld(c, 0, O(1));
        MOVAPS(a, 1, 0);
        P(a, 0x60, 1, 1);                                 /* punpcklbw: byte in high half */
        P(a, 0x68, 0, 0);                                 /* punpckhbw */
        P(a, 0xE1, 1, 15);                                /* psraw by n + 8 */
        P(a, 0xE1, 0, 15);
        P(a, 0x63, 1, 0);                                 /* packsswb */
        vst(c, O(0), 1);
        return true;
    case WOP_I64X2_SHR_S:
        ld(c, false, X_RCX, O(2));
        x64_alu_ri(a, ALU_AND, false, X_RCX, 63);
        x64_movq_xr(a, false, 1, X_RCX);
        vld(c, 0, O(1));
        P(a, 0xD3, 0, 1);                                 /* psrlq */
        vconst64(c, 15, 1ull << 63);
        P(a, 0xD3, 15, 1);
        P(a, P_XOR, 0, 15);
        P(a, P_SUBQ, 0, 15);
        vst(c, O(0), 0);
        return true;
    default:
        return false;
    }
}

/* the unary ops of one instruction x = op x (imm >= 0: its imm8) */
static bool vec_unary(jc *c, const uint32_t *ip, int op)
{
    static const struct { uint16_t op; uint8_t pfx, map, code; int8_t imm; } un[] = {
        {WOP_I8X16_ABS, 0x66, 1, 0x1C, -1}, {WOP_I16X8_ABS, 0x66, 1, 0x1D, -1},
        {WOP_I32X4_ABS, 0x66, 1, 0x1E, -1},
        {WOP_F32X4_SQRT, 0, 0, 0x51, -1}, {WOP_F64X2_SQRT, 0x66, 0, 0x51, -1},
        {WOP_F32X4_CEIL, 0x66, 2, 0x08, ROUND_CEIL}, {WOP_F64X2_CEIL, 0x66, 2, 0x09, ROUND_CEIL},
        {WOP_F32X4_FLOOR, 0x66, 2, 0x08, ROUND_FLOOR},
        {WOP_F64X2_FLOOR, 0x66, 2, 0x09, ROUND_FLOOR},
        {WOP_F32X4_TRUNC, 0x66, 2, 0x08, ROUND_TRUNC},
        {WOP_F64X2_TRUNC, 0x66, 2, 0x09, ROUND_TRUNC},
        {WOP_F32X4_NEAREST, 0x66, 2, 0x08, ROUND_NEAREST},
        {WOP_F64X2_NEAREST, 0x66, 2, 0x09, ROUND_NEAREST},
        {WOP_F32X4_CONVERT_I32X4_S, 0, 0, 0x5B, -1},            /* cvtdq2ps */
        {WOP_F64X2_CONVERT_LOW_I32X4_S, 0xF3, 0, 0xE6, -1},     /* cvtdq2pd */
        {WOP_F32X4_DEMOTE_F64X2_ZERO, 0x66, 0, 0x5A, -1},       /* cvtpd2ps */
        {WOP_F64X2_PROMOTE_LOW_F32X4, 0, 0, 0x5A, -1}};         /* cvtps2pd */
    for (size_t i = 0; i < sizeof un / sizeof un[0]; i++) {
        if (un[i].op != op) continue;
        vld(c, 0, O(1));
        vop(c->a, un[i].pfx, un[i].map, un[i].code, 0, 0);
        if (un[i].imm >= 0) x64_b(c->a, (uint8_t)un[i].imm);
        vst(c, O(0), 0);
        return true;
    }
    return false;
}

/* v128 -> i32 tests: any_true, all_true, bitmask */
static bool vec_test(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    static const struct { uint16_t op; uint8_t map, eq; } all[] = {
        {WOP_I8X16_ALL_TRUE, 0, 0x74}, {WOP_I16X8_ALL_TRUE, 0, 0x75},
        {WOP_I32X4_ALL_TRUE, 0, 0x76}, {WOP_I64X2_ALL_TRUE, 1, 0x29}};
    if (op == WOP_V128_ANY_TRUE) {
        vld(c, 0, O(1));
        vop(a, 0x66, 1, 0x17, 0, 0);                      /* ptest */
        set_store(c, CC_NE, O(0));
        return true;
    }
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i].op != op) continue;
        vld(c, 0, O(1));
        x64_xorps(a, 1, 1);
        vop(a, 0x66, all[i].map, all[i].eq, 1, 0);        /* the zero lanes */
        vop(a, 0x66, 1, 0x17, 1, 1);
        set_store(c, CC_E, O(0));
        return true;
    }
    switch (op) {
    case WOP_I8X16_BITMASK: case WOP_I16X8_BITMASK:
        vld(c, 0, O(1));
        if (op == WOP_I16X8_BITMASK) P(a, 0x63, 0, 0);    /* packsswb keeps the signs */
        X_OP2(a, 0x66, 0, 0x0F, 0xD7, X_RAX, 0, NULL);    /* pmovmskb */
        if (op == WOP_I16X8_BITMASK) x64_ext_rr(a, EXT_ZX8, false, X_RAX, X_RAX);
        break;
    case WOP_I32X4_BITMASK: case WOP_I64X2_BITMASK:
        vld(c, 0, O(1));
        X_OP2(a, op == WOP_I64X2_BITMASK ? 0x66 : 0, 0, 0x0F, 0x50, X_RAX, 0, NULL);
        break;
    default:
        return false;
    }
    st(c, O(0), X_RAX);
    return true;
}

/* integer ops of a few instructions */
static bool vec_int_more(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    static const struct { uint16_t op; uint8_t sub; } neg[] = {
        {WOP_I8X16_NEG, P_SUBB}, {WOP_I16X8_NEG, 0xF9}, {WOP_I32X4_NEG, P_SUBD},
        {WOP_I64X2_NEG, P_SUBQ}};
    for (size_t i = 0; i < sizeof neg / sizeof neg[0]; i++) {
        if (neg[i].op != op) continue;
        vld(c, 0, O(1));
        x64_xorps(a, 1, 1);
        P(a, neg[i].sub, 1, 0);
        vst(c, O(0), 1);
        return true;
    }
    switch (op) {
    case WOP_I64X2_ABS:   /* (x ^ s) - s, s = 0 > x */
        vld(c, 0, O(1));
        x64_xorps(a, 15, 15);
        vop(a, 0x66, 1, 0x37, 15, 0);
        P(a, P_XOR, 0, 15);
        P(a, P_SUBQ, 0, 15);
        break;
    case WOP_I64X2_MUL:   /* lo(a) lo(b) + ((hi(a) lo(b) + lo(a) hi(b)) << 32) */
        vld(c, 0, O(1));
        vld(c, 1, O(2));
        MOVAPS(a, 15, 0);
        vshi(a, 0x73, 2, 15, 32);
        P(a, P_MULUDQ, 15, 1);
        vshi(a, 0x73, 2, 1, 32);
        P(a, P_MULUDQ, 1, 0);
        P(a, P_ADDQ, 15, 1);
        vshi(a, 0x73, 6, 15, 32);
        vld(c, 1, O(2));
        P(a, P_MULUDQ, 0, 1);
        P(a, P_ADDQ, 0, 15);
        break;
    case WOP_I8X16_POPCNT: {   /* a nibble table by pshufb */
        static const uint8_t lut[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
        vld(c, 0, O(1));
        vconst64(c, 1, 0x0F0F0F0F0F0F0F0Full);
        MOVAPS(a, 15, 0);
        vshi(a, 0x71, 2, 15, 4);
        P(a, P_AND, 15, 1);
        P(a, P_AND, 0, 1);
        vconst(c, 1, lut);
        PSHUFB(a, 1, 0);
        vconst(c, 0, lut);
        PSHUFB(a, 0, 15);
        P(a, P_ADDB, 0, 1);
        break;
    }
    case WOP_V128_BITSELECT:   /* ((a ^ b) & m) ^ b */
        vld(c, 0, O(1));
        vld(c, 1, O(2));
        P(a, P_XOR, 0, 1);
        vld(c, 15, O(3));
        P(a, P_AND, 0, 15);
        P(a, P_XOR, 0, 1);
        break;
    case WOP_I16X8_Q15MULR_SAT_S:   /* pmulhrsw; its one overflow (-32768 squared) fixed */
        vld(c, 0, O(1));
        vld(c, 1, O(2));
        MOVAPS(a, 15, 0);
        P(a, 0x75, 15, 1);                                /* a == b */
        vop(a, 0x66, 1, 0x0B, 0, 1);
        vconst64(c, 1, 0x8000800080008000ull);
        P(a, 0x75, 1, 0);                                 /* r == -32768 */
        P(a, P_AND, 1, 15);
        P(a, P_XOR, 0, 1);
        break;
    case WOP_I16X8_EXTADD_PAIRWISE_I8X16_S:   /* pmaddubsw: unsigned ones x signed x */
        vld(c, 0, O(1));
        vconst64(c, 1, 0x0101010101010101ull);
        vop(a, 0x66, 1, 0x04, 1, 0);
        vst(c, O(0), 1);
        return true;
    case WOP_I16X8_EXTADD_PAIRWISE_I8X16_U:
        vld(c, 0, O(1));
        vconst64(c, 1, 0x0101010101010101ull);
        vop(a, 0x66, 1, 0x04, 0, 1);
        break;
    case WOP_I32X4_EXTADD_PAIRWISE_I16X8_S: case WOP_I32X4_EXTADD_PAIRWISE_I16X8_U:
        vld(c, 0, O(1));
        if (op == WOP_I32X4_EXTADD_PAIRWISE_I16X8_U) {   /* biased to signed, bias back */
            vconst64(c, 1, 0x8000800080008000ull);
            P(a, P_XOR, 0, 1);
        }
        vconst64(c, 1, 0x0001000100010001ull);
        P(a, 0xF5, 0, 1);                                 /* pmaddwd */
        if (op == WOP_I32X4_EXTADD_PAIRWISE_I16X8_U) {
            vconst64(c, 1, 0x0001000000010000ull);
            P(a, P_ADDD, 0, 1);
        }
        break;
    default: {
        /* extmul: both halves extended, then multiplied */
        static const struct { uint16_t op; uint8_t ext; bool high; uint8_t map, mul; } em[] = {
            {WOP_I16X8_EXTMUL_LOW_I8X16_S, 0x20, 0, 0, 0xD5},
            {WOP_I16X8_EXTMUL_HIGH_I8X16_S, 0x20, 1, 0, 0xD5},
            {WOP_I16X8_EXTMUL_LOW_I8X16_U, 0x30, 0, 0, 0xD5},
            {WOP_I16X8_EXTMUL_HIGH_I8X16_U, 0x30, 1, 0, 0xD5},
            {WOP_I32X4_EXTMUL_LOW_I16X8_S, 0x23, 0, 1, 0x40},
            {WOP_I32X4_EXTMUL_HIGH_I16X8_S, 0x23, 1, 1, 0x40},
            {WOP_I32X4_EXTMUL_LOW_I16X8_U, 0x33, 0, 1, 0x40},
            {WOP_I32X4_EXTMUL_HIGH_I16X8_U, 0x33, 1, 1, 0x40},
            {WOP_I64X2_EXTMUL_LOW_I32X4_S, 0x25, 0, 1, 0x28},
            {WOP_I64X2_EXTMUL_HIGH_I32X4_S, 0x25, 1, 1, 0x28},
            {WOP_I64X2_EXTMUL_LOW_I32X4_U, 0x35, 0, 0, P_MULUDQ},
            {WOP_I64X2_EXTMUL_HIGH_I32X4_U, 0x35, 1, 0, P_MULUDQ}};
        for (size_t i = 0; i < sizeof em / sizeof em[0]; i++) {
            if (em[i].op != op) continue;
            vld(c, 0, O(1));
            vld(c, 1, O(2));
            if (em[i].high) {
                vshi(a, 0x73, 3, 0, 8);
                vshi(a, 0x73, 3, 1, 8);
            }
            vop(a, 0x66, 1, em[i].ext, 0, 0);
            vop(a, 0x66, 1, em[i].ext, 1, 1);
            vop(a, 0x66, em[i].map, em[i].mul, 0, 1);
            vst(c, O(0), 0);
            return true;
        }
        return false;
    }
    }
    vst(c, O(0), 0);
    return true;
}

/* float ops of a few instructions: abs, neg, min, max, conversions */
static bool vec_float_more(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    bool dbl = false;
    uint8_t pd = 0;
    switch (op) {
    case WOP_F64X2_ABS: case WOP_F64X2_NEG:
        dbl = true;
        /* fall through */
    case WOP_F32X4_ABS: case WOP_F32X4_NEG: {
        bool neg = op == WOP_F32X4_NEG || op == WOP_F64X2_NEG;
        vld(c, 0, O(1));
        ONES(a, 1);
        vshi(a, dbl ? 0x73 : 0x72, neg ? 6 : 2, 1, neg ? (dbl ? 63 : 31) : 1);
        P(a, neg ? P_XOR : P_AND, 0, 1);
        break;
    }
    case WOP_F64X2_MIN: case WOP_F64X2_MAX:
        dbl = true, pd = 0x66;
        /* fall through */
    case WOP_F32X4_MIN: case WOP_F32X4_MAX: {
        /* t = min(a, b) | min(b, a) (minps gives its second operand on a NaN or equal
         * zeros: or-ing makes min(-0, +0) = -0, and a NaN lane NaN); max is
         * -min(-a, -b). NaN lanes (t unordered) then get a + b, as f32_min does. */
        bool max = op == WOP_F32X4_MAX || op == WOP_F64X2_MAX;
        uint64_t sign = dbl ? 1ull << 63 : 0x8000000080000000ull;
        vld(c, 0, O(1));
        vld(c, 1, O(2));
        if (max) {
            vconst64(c, 15, sign);
            x64_xorps(a, 0, 15);
            x64_xorps(a, 1, 15);
        }
        MOVAPS(a, 15, 1);
        vop(a, pd, 0, 0x5D, 15, 0);
        vop(a, pd, 0, 0x5D, 0, 1);
        vop(a, 0, 0, 0x56, 15, 0);                        /* orps */
        if (max) {
            vconst64(c, 0, sign);
            x64_xorps(a, 15, 0);
        }
        vld(c, 0, O(1));
        vld(c, 1, O(2));
        vop(a, pd, 0, 0x58, 0, 1);                        /* a + b */
        MOVAPS(a, 1, 15);
        vopi(a, pd, 0, 0xC2, 1, 1, 3);                    /* cmpunord: t is NaN */
        vop(a, 0, 0, 0x54, 0, 1);                         /* andps */
        vop(a, 0, 0, 0x55, 1, 15);                        /* andnps */
        vop(a, 0, 0, 0x56, 0, 1);
        break;
    }
    case WOP_I32X4_TRUNC_SAT_F32X4_S:
        /* NaN lanes zeroed; cvttps2dq gives 0x80000000 out of range: flipped to
         * 0x7FFFFFFF where the input was positive */
        vld(c, 0, O(1));
        MOVAPS(a, 1, 0);
        vopi(a, 0, 0, 0xC2, 1, 1, 0);                     /* cmpeqps: not NaN */
        P(a, P_AND, 0, 1);
        P(a, P_XOR, 1, 0);
        vop(a, 0xF3, 0, 0x5B, 0, 0);                      /* cvttps2dq */
        P(a, P_AND, 1, 0);
        vshi(a, 0x72, 4, 1, 31);
        P(a, P_XOR, 0, 1);
        break;
    case WOP_I32X4_TRUNC_SAT_F32X4_U:
        /* x = max(x, 0) (NaN: 0); below 2^31 cvttps2dq; from 2^31 0x80000000 plus the
         * conversion of x - 2^31, 0x7FFFFFFF from 2^32 */
        vld(c, 0, O(1));
        x64_xorps(a, 1, 1);
        vop(a, 0, 0, 0x5F, 0, 1);                         /* maxps */
        ONES(a, 1);
        vshi(a, 0x72, 2, 1, 1);
        vop(a, 0, 0, 0x5B, 1, 1);                         /* 2^31 */
        MOVAPS(a, 15, 0);
        vop(a, 0, 0, 0x5C, 15, 1);                        /* x - 2^31 */
        vopi(a, 0, 0, 0xC2, 1, 15, 2);                    /* 2^31 <= x - 2^31 */
        vop(a, 0xF3, 0, 0x5B, 15, 15);
        P(a, P_XOR, 15, 1);
        x64_xorps(a, 1, 1);
        vop(a, 0x66, 1, 0x3D, 15, 1);                     /* pmaxsd: negatives 0 */
        vop(a, 0xF3, 0, 0x5B, 0, 0);
        P(a, P_ADDD, 0, 15);
        break;
    case WOP_I32X4_TRUNC_SAT_F64X2_S_ZERO:
        /* NaN lanes 0, others at most 2^31 - 1; cvttpd2dq gives INT32_MIN below */
        vld(c, 0, O(1));
        MOVAPS(a, 1, 0);
        vopi(a, 0x66, 0, 0xC2, 1, 0, 0);                  /* cmpeqpd */
        vconst64(c, 15, bits_f64(2147483647.0));
        vop(a, 0, 0, 0x54, 1, 15);
        vop(a, 0x66, 0, 0x5D, 0, 1);                      /* minpd: NaN gives 0 */
        vop(a, 0x66, 0, 0xE6, 0, 0);                      /* cvttpd2dq */
        break;
    case WOP_I32X4_TRUNC_SAT_F64X2_U_ZERO:
        /* clamped to [0, 2^32 - 1], truncated, + 2^52: the low words are the integers */
        vld(c, 0, O(1));
        x64_xorps(a, 1, 1);
        vop(a, 0x66, 0, 0x5F, 0, 1);                      /* maxpd: NaN gives 0 */
        vconst64(c, 15, bits_f64(4294967295.0));
        vop(a, 0x66, 0, 0x5D, 0, 15);
        vopi(a, 0x66, 2, 0x09, 0, 0, ROUND_TRUNC);
        vconst64(c, 15, bits_f64(4503599627370496.0));
        vop(a, 0x66, 0, 0x58, 0, 15);
        vopi(a, 0, 0, 0xC6, 0, 1, 0x88);                  /* shufps: words 0 2, zeros */
        break;
    case WOP_F32X4_CONVERT_I32X4_U:
        /* the low 16 bits exactly, the high ones halved (exact), doubled, added: one
         * rounding, as (float)x */
        vld(c, 0, O(1));
        x64_xorps(a, 1, 1);
        vopi(a, 0x66, 2, 0x0E, 1, 0, 0x55);               /* pblendw: low words */
        P(a, P_SUBD, 0, 1);
        vop(a, 0, 0, 0x5B, 1, 1);
        vshi(a, 0x72, 2, 0, 1);
        vop(a, 0, 0, 0x5B, 0, 0);
        vop(a, 0, 0, 0x58, 0, 0);
        vop(a, 0, 0, 0x58, 0, 1);
        break;
    case WOP_F64X2_CONVERT_LOW_I32X4_U:   /* (2^52 + x) - 2^52 */
        vld(c, 0, O(1));
        vconst64(c, 1, 0x4330000043300000ull);
        P(a, 0x62, 0, 1);                                 /* punpckldq */
        vconst64(c, 1, bits_f64(4503599627370496.0));
        vop(a, 0x66, 0, 0x5C, 0, 1);
        break;
    default:
        return false;
    }
    vst(c, O(0), 0);
    return true;
}

/* shuffle, swizzle, the extending and zeroing loads, select, v128 globals */
static bool vec_misc(jc *c, const uint32_t *ip, int op)
{
    esgx_x64 *a = c->a;
    static const struct { uint16_t op; uint8_t ext; } lx[] = {
        {WOP_V128_LOAD8X8_S, 0x20}, {WOP_V128_LOAD8X8_U, 0x30}, {WOP_V128_LOAD16X4_S, 0x23},
        {WOP_V128_LOAD16X4_U, 0x33}, {WOP_V128_LOAD32X2_S, 0x25}, {WOP_V128_LOAD32X2_U, 0x35}};
    x64_mem m;
    for (size_t i = 0; i < sizeof lx / sizeof lx[0]; i++) {
        if (lx[i].op != op) continue;
        m = mem_ea(c, O(1), false, 0, O(2), 8);
        X_OP3(a, 0x66, 0, 0x0F, 0x38, lx[i].ext, 0, 0, &m);   /* pmovsx/zx xmm, m64 */
        vst(c, O(0), 0);
        return true;
    }
    switch (op) {
    case WOP_V128_LOAD32_ZERO:
        m = mem_ea(c, O(1), false, 0, O(2), 4);
        X_OP2(a, 0x66, 0, 0x0F, 0x6E, 0, 0, &m);          /* movd */
        break;
    case WOP_V128_LOAD64_ZERO:
        m = mem_ea(c, O(1), false, 0, O(2), 8);
        X_OP2(a, 0xF3, 0, 0x0F, 0x7E, 0, 0, &m);          /* movq */
        break;
    case WOP_I8X16_SHUFFLE:
        vec_shuffle(c, ip);
        return true;
    case WOP_I8X16_SWIZZLE:   /* indices >= 16 saturate to >= 0x80: pshufb's zero */
        vld(c, 0, O(1));
        vld(c, 1, O(2));
        vconst64(c, 15, 0x7070707070707070ull);
        P(a, 0xDC, 1, 15);                                /* paddusb */
        PSHUFB(a, 0, 1);
        break;
    case WOP_SELECT128: {
        ld(c, false, X_RCX, O(1));
        x64_test_rr(a, false, X_RCX, X_RCX);
        vld(c, 0, O(2));
        size_t j = x64_jcc32(a, CC_NE);
        vld(c, 0, O(3));
        x64_patch_rel(a, j, a->n);
        break;
    }
    case WOP_GLOBAL_GET128: case WOP_GLOBAL_SET128:
        x64_load(a, true, X_RAX, xm(ST, S_INST));
        x64_load(a, true, X_RAX, xm(X_RAX, I_GLOBALS));
        x64_load(a, true, X_RAX, xm(X_RAX, (int32_t)(O(1) * 8)));
        m = xm(X_RAX, G_VAL);   /* val and val_hi: the two halves */
        if (op == WOP_GLOBAL_GET128) {
            X_OP2(a, 0xF3, 0, 0x0F, 0x6F, 0, 0, &m);
            break;
        }
        vld(c, 0, O(0));
        X_OP2(a, 0xF3, 0, 0x0F, 0x7F, 0, 0, &m);
        return true;
    default:
        return false;
    }
    vst(c, O(0), 0);
    return true;
}

/* the SIMD op at ip (every one has a template: false only for a non-SIMD op) */
static bool emit_simd(jc *c, const uint32_t *ip, int op)
{
    return vec_binary(c, ip, op) || vec_memory(c, ip, op) || vec_lanes(c, ip, op) ||
           vec_shift_extend(c, ip, op) || vec_compare_u(c, ip, op) || vec_misc(c, ip, op) ||
           vec_shift_more(c, ip, op) || vec_unary(c, ip, op) || vec_test(c, ip, op) ||
           vec_int_more(c, ip, op) || vec_float_more(c, ip, op);
}
