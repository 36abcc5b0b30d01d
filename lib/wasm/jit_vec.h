/*
 * jit_vec.h (internal to jit_ops.c, included once after its operand helpers): the
 * SIMD ops the code generator compiles inline to SSE (up to SSE4.1). A v128 lives in
 * its two frame slots ([rbx + 8*slot], 16 bytes, 8-byte aligned: movdqu), never in a
 * register across ops (jit_alloc.c). Ops without a template here call the
 * interpreter's handler (emit_simd_call); every template computes exactly what that
 * handler computes (the spec's lane semantics; float lanes in the same operand order).
 */

/* xmm x = v128 slot pair s / slot pair s = xmm x */
static void vld(jc *c, int x, uint32_t s)
{
    if (just_stored(c, s) && c->last.kind == LAST_XMM128) {
        if (x != c->last.reg - 16) x64_movaps(c->a, x, c->last.reg - 16);
        still_stored(c, x + 16);
        return;
    }
    x64_mem m = slot(s);
    X_OP2(c->a, 0xF3, 0, 0x0F, 0x6F, x, 0, &m);
}

static void vst(jc *c, uint32_t s, int x)
{
    x64_mem m = slot(s);
    X_OP2(c->a, 0xF3, 0, 0x0F, 0x7F, x, 0, &m);
    stored(c, s, x + 16, LAST_XMM128);
}

/* one SSE op d, s: map 0 = 0F op, 1 = 0F 38 op; pfx 0x66 or 0 */
static void vop(esgx_x64 *a, uint8_t pfx, int map, uint8_t op, int d, int s)
{
    if (map) X_OP3(a, pfx, 0, 0x0F, 0x38, op, d, s, NULL);
    else X_OP2(a, pfx, 0, 0x0F, op, d, s, NULL);
}

/* the binary ops "DSS" of one SSE instruction (swap: the instruction's operands are
 * b, a; imm >= 0: cmpps/cmppd predicate) */
typedef struct vbin {
    uint16_t op;
    uint8_t pfx, map, code;
    bool swap;
    int8_t imm;
} vbin;

static const vbin vbins[] = {
    {WOP_I8X16_ADD, 0x66, 0, 0xFC, 0, -1}, {WOP_I16X8_ADD, 0x66, 0, 0xFD, 0, -1},
    {WOP_I32X4_ADD, 0x66, 0, 0xFE, 0, -1}, {WOP_I64X2_ADD, 0x66, 0, 0xD4, 0, -1},
    {WOP_I8X16_SUB, 0x66, 0, 0xF8, 0, -1}, {WOP_I16X8_SUB, 0x66, 0, 0xF9, 0, -1},
    {WOP_I32X4_SUB, 0x66, 0, 0xFA, 0, -1}, {WOP_I64X2_SUB, 0x66, 0, 0xFB, 0, -1},
    {WOP_I16X8_MUL, 0x66, 0, 0xD5, 0, -1}, {WOP_I32X4_MUL, 0x66, 1, 0x40, 0, -1},
    {WOP_V128_AND, 0x66, 0, 0xDB, 0, -1}, {WOP_V128_OR, 0x66, 0, 0xEB, 0, -1},
    {WOP_V128_XOR, 0x66, 0, 0xEF, 0, -1}, {WOP_V128_ANDNOT, 0x66, 0, 0xDF, 1, -1},
    {WOP_I8X16_EQ, 0x66, 0, 0x74, 0, -1}, {WOP_I16X8_EQ, 0x66, 0, 0x75, 0, -1},
    {WOP_I32X4_EQ, 0x66, 0, 0x76, 0, -1}, {WOP_I64X2_EQ, 0x66, 1, 0x29, 0, -1},
    {WOP_I8X16_GT_S, 0x66, 0, 0x64, 0, -1}, {WOP_I16X8_GT_S, 0x66, 0, 0x65, 0, -1},
    {WOP_I32X4_GT_S, 0x66, 0, 0x66, 0, -1}, {WOP_I64X2_GT_S, 0x66, 1, 0x37, 0, -1},
    {WOP_I8X16_LT_S, 0x66, 0, 0x64, 1, -1}, {WOP_I16X8_LT_S, 0x66, 0, 0x65, 1, -1},
    {WOP_I32X4_LT_S, 0x66, 0, 0x66, 1, -1}, {WOP_I64X2_LT_S, 0x66, 1, 0x37, 1, -1},
    {WOP_I8X16_MIN_S, 0x66, 1, 0x38, 0, -1}, {WOP_I8X16_MIN_U, 0x66, 0, 0xDA, 0, -1},
    {WOP_I16X8_MIN_S, 0x66, 0, 0xEA, 0, -1}, {WOP_I16X8_MIN_U, 0x66, 1, 0x3A, 0, -1},
    {WOP_I32X4_MIN_S, 0x66, 1, 0x39, 0, -1}, {WOP_I32X4_MIN_U, 0x66, 1, 0x3B, 0, -1},
    {WOP_I8X16_MAX_S, 0x66, 1, 0x3C, 0, -1}, {WOP_I8X16_MAX_U, 0x66, 0, 0xDE, 0, -1},
    {WOP_I16X8_MAX_S, 0x66, 0, 0xEE, 0, -1}, {WOP_I16X8_MAX_U, 0x66, 1, 0x3E, 0, -1},
    {WOP_I32X4_MAX_S, 0x66, 1, 0x3D, 0, -1}, {WOP_I32X4_MAX_U, 0x66, 1, 0x3F, 0, -1},
    {WOP_I8X16_ADD_SAT_S, 0x66, 0, 0xEC, 0, -1}, {WOP_I8X16_ADD_SAT_U, 0x66, 0, 0xDC, 0, -1},
    {WOP_I16X8_ADD_SAT_S, 0x66, 0, 0xED, 0, -1}, {WOP_I16X8_ADD_SAT_U, 0x66, 0, 0xDD, 0, -1},
    {WOP_I8X16_SUB_SAT_S, 0x66, 0, 0xE8, 0, -1}, {WOP_I8X16_SUB_SAT_U, 0x66, 0, 0xD8, 0, -1},
    {WOP_I16X8_SUB_SAT_S, 0x66, 0, 0xE9, 0, -1}, {WOP_I16X8_SUB_SAT_U, 0x66, 0, 0xD9, 0, -1},
    {WOP_I8X16_AVGR_U, 0x66, 0, 0xE0, 0, -1}, {WOP_I16X8_AVGR_U, 0x66, 0, 0xE3, 0, -1},
    {WOP_I8X16_NARROW_I16X8_S, 0x66, 0, 0x63, 0, -1}, {WOP_I8X16_NARROW_I16X8_U, 0x66, 0, 0x67, 0, -1},
    {WOP_I16X8_NARROW_I32X4_S, 0x66, 0, 0x6B, 0, -1}, {WOP_I16X8_NARROW_I32X4_U, 0x66, 1, 0x2B, 0, -1},
    {WOP_I32X4_DOT_I16X8_S, 0x66, 0, 0xF5, 0, -1},
    {WOP_F32X4_ADD, 0, 0, 0x58, 0, -1}, {WOP_F64X2_ADD, 0x66, 0, 0x58, 0, -1},
    {WOP_F32X4_SUB, 0, 0, 0x5C, 0, -1}, {WOP_F64X2_SUB, 0x66, 0, 0x5C, 0, -1},
    {WOP_F32X4_MUL, 0, 0, 0x59, 0, -1}, {WOP_F64X2_MUL, 0x66, 0, 0x59, 0, -1},
    {WOP_F32X4_DIV, 0, 0, 0x5E, 0, -1}, {WOP_F64X2_DIV, 0x66, 0, 0x5E, 0, -1},
    /* pmin(a, b) = b < a ? b : a = minps(b, a); pmax(a, b) = a < b ? b : a = maxps(b, a) */
    {WOP_F32X4_PMIN, 0, 0, 0x5D, 1, -1}, {WOP_F64X2_PMIN, 0x66, 0, 0x5D, 1, -1},
    {WOP_F32X4_PMAX, 0, 0, 0x5F, 1, -1}, {WOP_F64X2_PMAX, 0x66, 0, 0x5F, 1, -1},
    /* compares: eq 0, lt 1, le 2, neq 4 (true for NaN); gt / ge are lt / le swapped */
    {WOP_F32X4_EQ, 0, 0, 0xC2, 0, 0}, {WOP_F64X2_EQ, 0x66, 0, 0xC2, 0, 0},
    {WOP_F32X4_NE, 0, 0, 0xC2, 0, 4}, {WOP_F64X2_NE, 0x66, 0, 0xC2, 0, 4},
    {WOP_F32X4_LT, 0, 0, 0xC2, 0, 1}, {WOP_F64X2_LT, 0x66, 0, 0xC2, 0, 1},
    {WOP_F32X4_LE, 0, 0, 0xC2, 0, 2}, {WOP_F64X2_LE, 0x66, 0, 0xC2, 0, 2},
    {WOP_F32X4_GT, 0, 0, 0xC2, 1, 1}, {WOP_F64X2_GT, 0x66, 0, 0xC2, 1, 1},
    {WOP_F32X4_GE, 0, 0, 0xC2, 1, 2}, {WOP_F64X2_GE, 0x66, 0, 0xC2, 1, 2},
};

static bool vec_binary(jc *c, const uint32_t *ip, int op)
{
    for (size_t i = 0; i < sizeof vbins / sizeof vbins[0]; i++) {
        const vbin *v = &vbins[i];
        if (v->op != op) continue;
        vld(c, 0, v->swap ? O(2) : O(1));
        vld(c, 1, v->swap ? O(1) : O(2));
        vop(c->a, v->pfx, v->map, v->code, 0, 1);
        if (v->imm >= 0) x64_b(c->a, (uint8_t)v->imm);
        vst(c, O(0), 0);
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

/* the SIMD ops with an inline template; false for the others */
static bool emit_simd(jc *c, const uint32_t *ip, int op)
{
    return vec_binary(c, ip, op) || vec_memory(c, ip, op) || vec_lanes(c, ip, op) ||
           vec_shift_extend(c, ip, op);
}
