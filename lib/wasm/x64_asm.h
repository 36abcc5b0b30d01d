/*
 * x64_asm.h (internal to lib/wasm): the x86-64 instruction encoder of the compiler tier
 * (jit.c, jit_ops.c). Only what the code generator uses: integer moves and ALU ops on
 * registers and [base + index*scale + disp] operands, shifts, multiply and divide,
 * bit counts, setcc/cmovcc, jumps and calls, and the scalar SSE operations.
 *
 * The encoder writes into an esgx_x64 buffer that grows up to a bound; past it (or
 * when allocation fails) it sets `failed` and keeps writing nowhere, so callers emit
 * a whole function and check once at the end. Encodings follow the Intel SDM vol. 2
 * (REX prefix, ModRM, SIB, disp8/disp32).
 */
#ifndef ESGX_X64_ASM_H
#define ESGX_X64_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    X_RAX, X_RCX, X_RDX, X_RBX, X_RSP, X_RBP, X_RSI, X_RDI,
    X_R8, X_R9, X_R10, X_R11, X_R12, X_R13, X_R14, X_R15
};
#define X_NOREG (-1)

/* condition codes (the low nibble of Jcc / SETcc / CMOVcc) */
enum {
    CC_O = 0, CC_NO = 1, CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
    CC_S = 8, CC_NS = 9, CC_P = 10, CC_NP = 11, CC_L = 12, CC_GE = 13, CC_LE = 14, CC_G = 15
};

typedef struct esgx_x64 {
    uint8_t *p;
    size_t n, cap, limit;
    bool failed;
} esgx_x64;

/* A memory operand [base + index*scale + disp] (index X_NOREG for none). */
typedef struct x64_mem {
    int8_t base, index;
    uint8_t scale;            /* 1, 2, 4, 8 */
    int32_t disp;
} x64_mem;

static inline x64_mem xm(int base, int32_t disp)
{
    x64_mem m = {(int8_t)base, X_NOREG, 1, disp};
    return m;
}

static inline x64_mem xmi(int base, int index, int scale, int32_t disp)
{
    x64_mem m = {(int8_t)base, (int8_t)index, (uint8_t)scale, disp};
    return m;
}

/* Makes room for k more bytes; false (and failed set) past the limit. */
static inline bool x64_room(esgx_x64 *a, size_t k)
{
    if (a->failed) return false;
    if (a->n + k <= a->cap) return true;
    if (a->n + k > a->limit) {
        a->failed = true;
        return false;
    }
    size_t ncap = a->cap ? a->cap * 2 : 4096;
    while (ncap < a->n + k) ncap *= 2;
    if (ncap > a->limit) ncap = a->limit;
    uint8_t *np = malloc(ncap);
    if (!np) {
        a->failed = true;
        return false;
    }
    if (a->n) memcpy(np, a->p, a->n);
    if (a->p) {
        explicit_bzero(a->p, a->cap);   /* code holds guest constants */
        free(a->p);
    }
    a->p = np;
    a->cap = ncap;
    return true;
}

static inline void x64_b(esgx_x64 *a, uint8_t b)
{
    if (a->n < a->cap || x64_room(a, 1)) a->p[a->n++] = b;
}

static inline void x64_d32(esgx_x64 *a, uint32_t v)
{
    if (!x64_room(a, 4)) return;
    memcpy(a->p + a->n, &v, 4);
    a->n += 4;
}

static inline void x64_d64(esgx_x64 *a, uint64_t v)
{
    if (!x64_room(a, 8)) return;
    memcpy(a->p + a->n, &v, 8);
    a->n += 8;
}

static inline void x64_patch32(esgx_x64 *a, size_t at, uint32_t v)
{
    if (!a->failed) memcpy(a->p + at, &v, 4);
}

/* flags of x64_op */
#define XW 1u          /* REX.W: 64-bit operand */
#define XB 2u          /* byte register operand: REX needed for spl/bpl/sil/dil */

/* One instruction: [pfx] [REX] op[0..nop) ModRM [SIB] [disp]. reg is the ModRM.reg
 * field (a register or an opcode extension /0../7); the r/m operand is register rm
 * when m is NULL, else the memory operand *m. */
static inline void x64_op(esgx_x64 *a, uint8_t pfx, unsigned flags, const uint8_t *op, int nop,
                          int reg, int rm, const x64_mem *m)
{
    if (pfx) x64_b(a, pfx);
    int b = m ? m->base : rm;
    int x = m && m->index != X_NOREG ? m->index : 0;
    uint8_t rex = (uint8_t)(0x40 | ((flags & XW) ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                            ((x & 8) ? 2 : 0) | ((b & 8) ? 1 : 0));
    bool need = rex != 0x40 || ((flags & XB) && ((!m && rm >= 4 && rm < 8) || (reg >= 4 && reg < 8)));
    if (need) x64_b(a, rex);
    for (int i = 0; i < nop; i++) x64_b(a, op[i]);
    if (!m) {
        x64_b(a, (uint8_t)(0xC0 | (reg & 7) << 3 | (rm & 7)));
        return;
    }
    int32_t d = m->disp;
    int mod = d == 0 && (b & 7) != 5 ? 0 : (d >= -128 && d <= 127 ? 1 : 2);
    bool sib = m->index != X_NOREG || (b & 7) == 4;
    x64_b(a, (uint8_t)(mod << 6 | (reg & 7) << 3 | (sib ? 4 : (b & 7))));
    if (sib) {
        int ss = m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2 ? 1 : 0;
        int idx = m->index != X_NOREG ? (m->index & 7) : 4;
        x64_b(a, (uint8_t)(ss << 6 | idx << 3 | (b & 7)));
    }
    if (mod == 1) x64_b(a, (uint8_t)(int8_t)d);
    else if (mod == 2) x64_d32(a, (uint32_t)d);
}

#define X_OP1(a, pfx, fl, o, reg, rm, m)                                              \
    do {                                                                             \
        const uint8_t op_[1] = {o};                                                  \
        x64_op(a, pfx, fl, op_, 1, reg, rm, m);                                      \
    } while (0)
#define X_OP2(a, pfx, fl, o1, o2, reg, rm, m)                                         \
    do {                                                                             \
        const uint8_t op_[2] = {o1, o2};                                             \
        x64_op(a, pfx, fl, op_, 2, reg, rm, m);                                      \
    } while (0)
#define X_OP3(a, pfx, fl, o1, o2, o3, reg, rm, m)                                     \
    do {                                                                             \
        const uint8_t op_[3] = {o1, o2, o3};                                         \
        x64_op(a, pfx, fl, op_, 3, reg, rm, m);                                      \
    } while (0)

/* ---------------------------------------------------------------- moves */

/* mov r, [m] (64 or 32 bits: a 32-bit load zero-extends) */
static inline void x64_load(esgx_x64 *a, bool w64, int r, x64_mem m)
{
    X_OP1(a, 0, w64 ? XW : 0, 0x8B, r, 0, &m);
}

/* mov [m], r */
static inline void x64_store(esgx_x64 *a, bool w64, x64_mem m, int r)
{
    X_OP1(a, 0, w64 ? XW : 0, 0x89, r, 0, &m);
}

/* mov [m], r8 / r16 */
static inline void x64_store8(esgx_x64 *a, x64_mem m, int r)
{
    X_OP1(a, 0, XB, 0x88, r, 0, &m);
}

static inline void x64_store16(esgx_x64 *a, x64_mem m, int r)
{
    X_OP1(a, 0x66, 0, 0x89, r, 0, &m);
}

/* extension kinds of x64_load_ext / x64_ext_rr: movzx8, movzx16, movsx8, movsx16, movsxd */
enum { EXT_ZX8, EXT_ZX16, EXT_SX8, EXT_SX16, EXT_SX32 };

/* movzx / movsx loads (kind EXT_*; EXT_SX32 is movsxd, always 64-bit) */
static inline void x64_load_ext(esgx_x64 *a, int kind, bool w64, int r, x64_mem m)
{
    static const uint8_t op2[4] = {[EXT_ZX8] = 0xB6, [EXT_ZX16] = 0xB7, [EXT_SX8] = 0xBE,
                                   [EXT_SX16] = 0xBF};
    if (kind == EXT_SX32) X_OP1(a, 0, XW, 0x63, r, 0, &m);
    else X_OP2(a, 0, w64 ? XW : 0, 0x0F, op2[kind], r, 0, &m);
}

/* the same from a register: movzx/movsx r, r8/r16; movsxd r64, r32 */
static inline void x64_ext_rr(esgx_x64 *a, int kind, bool w64, int d, int s)
{
    static const uint8_t op2[4] = {[EXT_ZX8] = 0xB6, [EXT_ZX16] = 0xB7, [EXT_SX8] = 0xBE,
                                   [EXT_SX16] = 0xBF};
    if (kind == EXT_SX32) X_OP1(a, 0, XW, 0x63, d, s, NULL);
    else X_OP2(a, 0, (w64 ? XW : 0) | XB, 0x0F, op2[kind], d, s, NULL);
}

/* mov d, s */
static inline void x64_mov_rr(esgx_x64 *a, bool w64, int d, int s)
{
    X_OP1(a, 0, w64 ? XW : 0, 0x89, s, d, NULL);
}

/* d = imm (zero-extended 32-bit, or a full 64-bit immediate when needed) */
static inline void x64_mov_ri(esgx_x64 *a, int d, uint64_t v)
{
    if (v == 0) {
        X_OP1(a, 0, 0, 0x31, d, d, NULL);   /* xor d32, d32 */
    } else if (v <= 0xFFFFFFFFu) {
        if (d & 8) x64_b(a, 0x41);
        x64_b(a, (uint8_t)(0xB8 + (d & 7)));
        x64_d32(a, (uint32_t)v);
    } else if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) {
        X_OP1(a, 0, XW, 0xC7, 0, d, NULL);   /* mov r/m64, simm32 */
        x64_d32(a, (uint32_t)v);
    } else {
        x64_b(a, (uint8_t)(0x48 | ((d & 8) ? 1 : 0)));
        x64_b(a, (uint8_t)(0xB8 + (d & 7)));
        x64_d64(a, v);
    }
}

/* mov qword/dword [m], simm32 */
static inline void x64_store_imm(esgx_x64 *a, bool w64, x64_mem m, int32_t v)
{
    X_OP1(a, 0, w64 ? XW : 0, 0xC7, 0, 0, &m);
    x64_d32(a, (uint32_t)v);
}

/* lea d, [m] */
static inline void x64_lea(esgx_x64 *a, bool w64, int d, x64_mem m)
{
    X_OP1(a, 0, w64 ? XW : 0, 0x8D, d, 0, &m);
}

/* ---------------------------------------------------------------- ALU */

/* ALU op numbers: the /digit of 0x81 and (op << 3) + 1 / + 3 are the r/m forms */
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };

/* d op= s */
static inline void x64_alu_rr(esgx_x64 *a, int alu, bool w64, int d, int s)
{
    X_OP1(a, 0, w64 ? XW : 0, (uint8_t)(alu << 3 | 1), s, d, NULL);
}

/* d op= [m] */
static inline void x64_alu_rm(esgx_x64 *a, int alu, bool w64, int d, x64_mem m)
{
    X_OP1(a, 0, w64 ? XW : 0, (uint8_t)(alu << 3 | 3), d, 0, &m);
}

/* d op= simm32 */
static inline void x64_alu_ri(esgx_x64 *a, int alu, bool w64, int d, int32_t v)
{
    if (v >= -128 && v <= 127) {
        X_OP1(a, 0, w64 ? XW : 0, 0x83, alu, d, NULL);
        x64_b(a, (uint8_t)(int8_t)v);
    } else {
        X_OP1(a, 0, w64 ? XW : 0, 0x81, alu, d, NULL);
        x64_d32(a, (uint32_t)v);
    }
}

/* [m] op= simm32 */
static inline void x64_alu_mi(esgx_x64 *a, int alu, bool w64, x64_mem m, int32_t v)
{
    if (v >= -128 && v <= 127) {
        X_OP1(a, 0, w64 ? XW : 0, 0x83, alu, 0, &m);
        x64_b(a, (uint8_t)(int8_t)v);
    } else {
        X_OP1(a, 0, w64 ? XW : 0, 0x81, alu, 0, &m);
        x64_d32(a, (uint32_t)v);
    }
}

/* test d, s */
static inline void x64_test_rr(esgx_x64 *a, bool w64, int d, int s)
{
    X_OP1(a, 0, w64 ? XW : 0, 0x85, s, d, NULL);
}

/* imul d, s / imul d, [m] / imul d, s, simm32 */
static inline void x64_imul_rr(esgx_x64 *a, bool w64, int d, int s)
{
    X_OP2(a, 0, w64 ? XW : 0, 0x0F, 0xAF, d, s, NULL);
}

static inline void x64_imul_rm(esgx_x64 *a, bool w64, int d, x64_mem m)
{
    X_OP2(a, 0, w64 ? XW : 0, 0x0F, 0xAF, d, 0, &m);
}

static inline void x64_imul_rri(esgx_x64 *a, bool w64, int d, int s, int32_t v)
{
    X_OP1(a, 0, w64 ? XW : 0, 0x69, d, s, NULL);
    x64_d32(a, (uint32_t)v);
}

/* group 3 (F7 /digit) */
enum { G3_NOT = 2, G3_NEG = 3, G3_DIV = 6, G3_IDIV = 7 };
static inline void x64_grp3(esgx_x64 *a, int digit, bool w64, int r)
{
    X_OP1(a, 0, w64 ? XW : 0, 0xF7, digit, r, NULL);
}

/* shifts (C1/D3 /digit): 0 rol, 1 ror, 4 shl, 5 shr, 7 sar; by imm8 or by cl */
enum { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };
static inline void x64_shift_ri(esgx_x64 *a, int sh, bool w64, int r, uint8_t k)
{
    X_OP1(a, 0, w64 ? XW : 0, 0xC1, sh, r, NULL);
    x64_b(a, k);
}

static inline void x64_shift_rcl(esgx_x64 *a, int sh, bool w64, int r)
{
    X_OP1(a, 0, w64 ? XW : 0, 0xD3, sh, r, NULL);
}

/* lzcnt / tzcnt / popcnt d, s (F3 0F BD / BC / B8) */
enum { BITS_LZCNT = 0xBD, BITS_TZCNT = 0xBC, BITS_POPCNT = 0xB8 };
static inline void x64_bitcount(esgx_x64 *a, uint8_t op, bool w64, int d, int s)
{
    X_OP2(a, 0xF3, w64 ? XW : 0, 0x0F, op, d, s, NULL);
}

/* cdq / cqo */
static inline void x64_cdq(esgx_x64 *a, bool w64)
{
    if (w64) x64_b(a, 0x48);
    x64_b(a, 0x99);
}

/* setcc r8 (then the caller zero-extends) */
static inline void x64_setcc(esgx_x64 *a, int cc, int r)
{
    X_OP2(a, 0, XB, 0x0F, (uint8_t)(0x90 | cc), 0, r, NULL);
}

/* cmovcc d, s / d, [m] */
static inline void x64_cmov_rr(esgx_x64 *a, int cc, bool w64, int d, int s)
{
    X_OP2(a, 0, w64 ? XW : 0, 0x0F, (uint8_t)(0x40 | cc), d, s, NULL);
}

static inline void x64_cmov_rm(esgx_x64 *a, int cc, bool w64, int d, x64_mem m)
{
    X_OP2(a, 0, w64 ? XW : 0, 0x0F, (uint8_t)(0x40 | cc), d, 0, &m);
}

/* ---------------------------------------------------------------- control */

/* jmp rel32 / jcc rel32 to a target not known yet: returns the offset of the rel32
 * field to patch (x64_patch_rel). */
static inline size_t x64_jmp32(esgx_x64 *a)
{
    x64_b(a, 0xE9);
    size_t at = a->n;
    x64_d32(a, 0);
    return at;
}

static inline size_t x64_jcc32(esgx_x64 *a, int cc)
{
    x64_b(a, 0x0F);
    x64_b(a, (uint8_t)(0x80 | cc));
    size_t at = a->n;
    x64_d32(a, 0);
    return at;
}

/* Points the rel32 field at `at` to code offset `target`. */
static inline void x64_patch_rel(esgx_x64 *a, size_t at, size_t target)
{
    x64_patch32(a, at, (uint32_t)(int32_t)((int64_t)target - (int64_t)(at + 4)));
}

/* call r / jmp r / call [m] */
static inline void x64_call_r(esgx_x64 *a, int r)
{
    X_OP1(a, 0, 0, 0xFF, 2, r, NULL);
}

static inline void x64_jmp_r(esgx_x64 *a, int r)
{
    X_OP1(a, 0, 0, 0xFF, 4, r, NULL);
}

static inline void x64_call_m(esgx_x64 *a, x64_mem m)
{
    X_OP1(a, 0, 0, 0xFF, 2, 0, &m);
}

static inline void x64_ret(esgx_x64 *a)
{
    x64_b(a, 0xC3);
}

static inline void x64_push(esgx_x64 *a, int r)
{
    if (r & 8) x64_b(a, 0x41);
    x64_b(a, (uint8_t)(0x50 + (r & 7)));
}

static inline void x64_pop(esgx_x64 *a, int r)
{
    if (r & 8) x64_b(a, 0x41);
    x64_b(a, (uint8_t)(0x58 + (r & 7)));
}

/* ---------------------------------------------------------------- SSE (scalar) */

/* movq xmm, r64 (66 REX.W 0F 6E) / movd xmm, r32 */
static inline void x64_movq_xr(esgx_x64 *a, bool w64, int x, int r)
{
    X_OP2(a, 0x66, w64 ? XW : 0, 0x0F, 0x6E, x, r, NULL);
}

/* movq r64, xmm (66 REX.W 0F 7E) / movd r32, xmm */
static inline void x64_movq_rx(esgx_x64 *a, bool w64, int r, int x)
{
    X_OP2(a, 0x66, w64 ? XW : 0, 0x0F, 0x7E, x, r, NULL);
}

/* movsd/movss xmm, [m] (F2/F3 0F 10) */
static inline void x64_movs_load(esgx_x64 *a, bool dbl, int x, x64_mem m)
{
    X_OP2(a, dbl ? 0xF2 : 0xF3, 0, 0x0F, 0x10, x, 0, &m);
}

/* scalar SSE ops (F2/F3 0F op): movss/movsd, sqrt, add, mul, cvt (ss<->sd), sub, div;
 * x64_sse_rr / x64_sse_rm do d op= s */
enum {
    SSE_MOVS = 0x10, SSE_SQRT = 0x51, SSE_ADD = 0x58, SSE_MUL = 0x59, SSE_CVT = 0x5A,
    SSE_SUB = 0x5C, SSE_DIV = 0x5E
};
static inline void x64_sse_rr(esgx_x64 *a, bool dbl, uint8_t op, int d, int s)
{
    X_OP2(a, dbl ? 0xF2 : 0xF3, 0, 0x0F, op, d, s, NULL);
}

static inline void x64_sse_rm(esgx_x64 *a, bool dbl, uint8_t op, int d, x64_mem m)
{
    X_OP2(a, dbl ? 0xF2 : 0xF3, 0, 0x0F, op, d, 0, &m);
}

/* ucomiss / ucomisd a, b */
static inline void x64_ucomis(esgx_x64 *a, bool dbl, int x, int y)
{
    X_OP2(a, dbl ? 0x66 : 0, 0, 0x0F, 0x2E, x, y, NULL);
}

/* roundss / roundsd d, s, mode (SSE4.1: 66 0F 3A 0A / 0B); the modes (precision
 * exception suppressed): to nearest even, down, up, toward zero */
enum { ROUND_NEAREST = 0x08, ROUND_FLOOR = 0x09, ROUND_CEIL = 0x0A, ROUND_TRUNC = 0x0B };
static inline void x64_round(esgx_x64 *a, bool dbl, int d, int s, uint8_t mode)
{
    X_OP3(a, 0x66, 0, 0x0F, 0x3A, dbl ? 0x0B : 0x0A, d, s, NULL);
    x64_b(a, mode);
}

/* cvtsi2ss / cvtsi2sd x, r32/r64 (F3/F2 [REX.W] 0F 2A) */
static inline void x64_cvtsi2f(esgx_x64 *a, bool dbl, bool w64, int x, int r)
{
    X_OP2(a, dbl ? 0xF2 : 0xF3, w64 ? XW : 0, 0x0F, 0x2A, x, r, NULL);
}

/* movaps d, s (a register copy of all 128 bits) */
static inline void x64_movaps(esgx_x64 *a, int d, int s)
{
    X_OP2(a, 0, 0, 0x0F, 0x28, d, s, NULL);
}

/* movsd/movss [m], xmm (F2/F3 0F 11) */
static inline void x64_movs_store(esgx_x64 *a, bool dbl, x64_mem m, int x)
{
    X_OP2(a, dbl ? 0xF2 : 0xF3, 0, 0x0F, 0x11, x, 0, &m);
}

/* xorps x, x (breaks the dependency before a cvtsi2s*) */
static inline void x64_xorps(esgx_x64 *a, int d, int s)
{
    X_OP2(a, 0, 0, 0x0F, 0x57, d, s, NULL);
}

#endif
