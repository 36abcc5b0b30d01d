/*
 * interp_simd.h (internal to interp.c): the handlers of the SIMD internal ops, included
 * inside run() so that they are labels of its computed goto (O, S, U32, NEXT,
 * MEM_OOB, fp, mem, memsize and inst are run()'s). Operand formats: ESGX_WASM_FMT_KV_*
 * in wasm_exec.h; a v128 operand is the first of its two slots. Lane types and helpers:
 * simd_lanes.h. Every handler reads all its operands before it writes its result (the
 * result may overwrite an operand's slots).
 *
 * Floats: arithmetic is the C vector operators (IEEE, round to nearest; NaN results are
 * then arithmetic NaNs, or the hardware's canonical one); min/max, nearest and the
 * conversions go lane by lane through the scalar helpers of interp.c, so a lane gives
 * what the scalar instruction gives; abs, neg and splat work on bits.
 */

#define VP(k) (fp + O(k))
#define VGET(T, k)                                                                   \
    ({                                                                               \
        T g_;                                                                        \
        memcpy(&g_, VP(k), 16);                                                      \
        g_;                                                                          \
    })
#define VPUT(k, v)                                                                   \
    do {                                                                             \
        __typeof__(v) p_ = (v);                                                      \
        memcpy(VP(k), &p_, 16);                                                      \
    } while (0)
/* unary (x), binary (a, b) and shift (a, n) handlers of one expression */
#define VUN(N, T, EXPR)                                                              \
    L_##N: {                                                                         \
        T x = VGET(T, 1);                                                            \
        VPUT(0, (EXPR));                                                             \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
#define VBIN(N, T, EXPR)                                                             \
    L_##N: {                                                                         \
        T a = VGET(T, 1), b = VGET(T, 2);                                            \
        VPUT(0, (EXPR));                                                             \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
#define VSHIFT(N, T, OPR, MASK)                                                      \
    L_##N: {                                                                         \
        T a = VGET(T, 1);                                                            \
        int n = (int)(U32(2) & (MASK));                                              \
        VPUT(0, a OPR n);                                                            \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
/* a v128 -> i32 test */
#define VTEST(N, T, EXPR)                                                            \
    L_##N: {                                                                         \
        T x = VGET(T, 1);                                                            \
        S(0) = (uint32_t)(EXPR);                                                     \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
/* per-lane loops: unary / binary, lanes of RT computed by EXPR (x / a, b lane i) */
#define VLANES1(N, T, RT, NL, EXPR)                                                  \
    L_##N: {                                                                         \
        T xv = VGET(T, 1);                                                           \
        __typeof__(((RT){})[0]) r[NL];                                               \
        for (int i = 0; i < (NL); i++) {                                             \
            __typeof__(xv[0]) x = xv[i];                                             \
            r[i] = (EXPR);                                                           \
        }                                                                            \
        memcpy(VP(0), r, 16);                                                        \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
#define VLANES2(N, T, RT, NL, EXPR)                                                  \
    L_##N: {                                                                         \
        T av = VGET(T, 1), bv = VGET(T, 2);                                          \
        __typeof__(((RT){})[0]) r[NL];                                               \
        for (int i = 0; i < (NL); i++) {                                             \
            __typeof__(av[0]) a = av[i], b = bv[i];                                  \
            r[i] = (EXPR);                                                           \
        }                                                                            \
        memcpy(VP(0), r, 16);                                                        \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }

    /* ---------------------------------------------------------------- v128 moves */
L_V128_CONST:
    memcpy(VP(0), ip + 3, 16);
    NEXT(ESGX_WASM_W_V128_CONST);
L_SELECT128: {
    uint64_t t_[2];
    memcpy(t_, fp + (U32(1) ? O(2) : O(3)), 16);
    memcpy(VP(0), t_, 16);
    NEXT(ESGX_WASM_W_SELECT128);
}
L_GLOBAL_GET128: {
    const esgx_wasm_global_obj *g = inst->globals[O(1)];
    uint64_t t_[2] = {g->val, g->val_hi};
    memcpy(VP(0), t_, 16);
    NEXT(ESGX_WASM_W_GLOBAL_GET128);
}
L_GLOBAL_SET128: {
    esgx_wasm_global_obj *g = inst->globals[O(1)];
    g->val = VP(0)[0];
    g->val_hi = VP(0)[1];
    NEXT(ESGX_WASM_W_GLOBAL_SET128);
}

    /* ---------------------------------------------------------------- memory */
/* address slot k, offset operand `off`, SIZE bytes: p = the first byte */
#define VADDR(k, off, SIZE)                                                          \
    uint64_t ea = (uint64_t)U32(k) + O(off);                                         \
    if (UNLIKELY(ea + (SIZE) > memsize)) MEM_OOB;                                    \
    const uint8_t *p = mem + ea;
#define VLOAD(N, SIZE, ...)                                                          \
    L_##N: {                                                                         \
        VADDR(1, 2, SIZE)                                                            \
        __VA_ARGS__;                                                                 \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
#define VLOAD_EXT(N, HT, WT)                                                         \
    VLOAD(N, 8, HT hl_; memcpy(&hl_, p, 8); VPUT(0, __builtin_convertvector(hl_, WT)))
#define VLOAD_SPLAT(N, ET, VT)                                                       \
    VLOAD(N, sizeof(ET), ET e_; memcpy(&e_, p, sizeof e_); VPUT(0, (VT){} + e_))
    VLOAD(V128_LOAD, 16, memcpy(VP(0), p, 16))
    VLOAD_EXT(V128_LOAD8X8_S, v8i8, v8i16)
    VLOAD_EXT(V128_LOAD8X8_U, v8u8, v8u16)
    VLOAD_EXT(V128_LOAD16X4_S, v4i16, v4i32)
    VLOAD_EXT(V128_LOAD16X4_U, v4u16, v4u32)
    VLOAD_EXT(V128_LOAD32X2_S, v2i32, v2i64)
    VLOAD_EXT(V128_LOAD32X2_U, v2u32, v2u64)
    VLOAD_SPLAT(V128_LOAD8_SPLAT, uint8_t, v16u8)
    VLOAD_SPLAT(V128_LOAD16_SPLAT, uint16_t, v8u16)
    VLOAD_SPLAT(V128_LOAD32_SPLAT, uint32_t, v4u32)
    VLOAD_SPLAT(V128_LOAD64_SPLAT, uint64_t, v2u64)
    VLOAD(V128_LOAD32_ZERO, 4, uint64_t z_[2] = {0, 0}; memcpy(z_, p, 4); memcpy(VP(0), z_, 16))
    VLOAD(V128_LOAD64_ZERO, 8, uint64_t z_[2] = {0, 0}; memcpy(z_, p, 8); memcpy(VP(0), z_, 16))
L_V128_STORE: {
    uint64_t ea = (uint64_t)U32(0) + O(2);
    if (UNLIKELY(ea + 16 > memsize)) MEM_OOB;
    memcpy(mem + ea, VP(1), 16);
    NEXT(ESGX_WASM_W_V128_STORE);
}
/* load lane: D, address, v128, offset, lane */
#define VLOAD_LANE(N, SIZE)                                                          \
    L_##N: {                                                                         \
        VADDR(1, 3, SIZE)                                                            \
        uint8_t t_[16];                                                              \
        memcpy(t_, VP(2), 16);                                                       \
        memcpy(t_ + O(4) * (SIZE), p, SIZE);                                         \
        memcpy(VP(0), t_, 16);                                                       \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
/* store lane: address, v128, offset, lane */
#define VSTORE_LANE(N, SIZE)                                                         \
    L_##N: {                                                                         \
        uint64_t ea = (uint64_t)U32(0) + O(2);                                       \
        if (UNLIKELY(ea + (SIZE) > memsize)) MEM_OOB;                                \
        memcpy(mem + ea, (const uint8_t *)VP(1) + O(3) * (SIZE), SIZE);              \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
    VLOAD_LANE(V128_LOAD8_LANE, 1)
    VLOAD_LANE(V128_LOAD16_LANE, 2)
    VLOAD_LANE(V128_LOAD32_LANE, 4)
    VLOAD_LANE(V128_LOAD64_LANE, 8)
    VSTORE_LANE(V128_STORE8_LANE, 1)
    VSTORE_LANE(V128_STORE16_LANE, 2)
    VSTORE_LANE(V128_STORE32_LANE, 4)
    VSTORE_LANE(V128_STORE64_LANE, 8)

    /* ---------------------------------------------------------------- lanes */
L_I8X16_SHUFFLE: {
    v16u8 a = VGET(v16u8, 1), b = VGET(v16u8, 2);
    VPUT(0, esgx_simd_shuffle(a, b, ip + 5));
    NEXT(ESGX_WASM_W_I8X16_SHUFFLE);
}
    VBIN(I8X16_SWIZZLE, v16u8, esgx_simd_swizzle(a, b))
/* splat of the scalar in slot 1 (floats as their bits) */
#define VSPLAT(N, VT, ET)                                                            \
    L_##N: {                                                                         \
        VPUT(0, (VT){} + (ET)S(1));                                                  \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
    VSPLAT(I8X16_SPLAT, v16u8, uint8_t)
    VSPLAT(I16X8_SPLAT, v8u16, uint16_t)
    VSPLAT(I32X4_SPLAT, v4u32, uint32_t)
    VSPLAT(I64X2_SPLAT, v2u64, uint64_t)
    VSPLAT(F32X4_SPLAT, v4u32, uint32_t)
    VSPLAT(F64X2_SPLAT, v2u64, uint64_t)
/* extract lane O(2) (of ET) to a slot through CONV; replace lane O(3) by slot 2 */
#define VEXTRACT(N, ET, CONV)                                                        \
    L_##N: {                                                                         \
        ET e_;                                                                       \
        memcpy(&e_, (const uint8_t *)VP(1) + O(2) * sizeof e_, sizeof e_);           \
        S(0) = CONV(e_);                                                             \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
#define VREPLACE(N, ET)                                                              \
    L_##N: {                                                                         \
        uint8_t t_[16];                                                              \
        ET e_ = (ET)S(2);                                                            \
        memcpy(t_, VP(1), 16);                                                       \
        memcpy(t_ + O(3) * sizeof e_, &e_, sizeof e_);                               \
        memcpy(VP(0), t_, 16);                                                       \
        NEXT(ESGX_WASM_W_##N);                                                       \
    }
    VEXTRACT(I8X16_EXTRACT_LANE_S, int8_t, SX32)
    VEXTRACT(I8X16_EXTRACT_LANE_U, uint8_t, ZX)
    VREPLACE(I8X16_REPLACE_LANE, uint8_t)
    VEXTRACT(I16X8_EXTRACT_LANE_S, int16_t, SX32)
    VEXTRACT(I16X8_EXTRACT_LANE_U, uint16_t, ZX)
    VREPLACE(I16X8_REPLACE_LANE, uint16_t)
    VEXTRACT(I32X4_EXTRACT_LANE, uint32_t, ZX)
    VREPLACE(I32X4_REPLACE_LANE, uint32_t)
    VEXTRACT(I64X2_EXTRACT_LANE, uint64_t, ZX)
    VREPLACE(I64X2_REPLACE_LANE, uint64_t)
    VEXTRACT(F32X4_EXTRACT_LANE, uint32_t, ZX)
    VREPLACE(F32X4_REPLACE_LANE, uint32_t)
    VEXTRACT(F64X2_EXTRACT_LANE, uint64_t, ZX)
    VREPLACE(F64X2_REPLACE_LANE, uint64_t)

    /* ---------------------------------------------------------------- compares */
/* integer compares: eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u of a lane width */
#define VICMP(P, S_, U_)                                                             \
    VBIN(P##_EQ, U_, a == b) VBIN(P##_NE, U_, a != b)                                \
    VBIN(P##_LT_S, S_, a < b) VBIN(P##_LT_U, U_, a < b)                              \
    VBIN(P##_GT_S, S_, a > b) VBIN(P##_GT_U, U_, a > b)                              \
    VBIN(P##_LE_S, S_, a <= b) VBIN(P##_LE_U, U_, a <= b)                            \
    VBIN(P##_GE_S, S_, a >= b) VBIN(P##_GE_U, U_, a >= b)
#define VFCMP(P, T)                                                                  \
    VBIN(P##_EQ, T, a == b) VBIN(P##_NE, T, a != b) VBIN(P##_LT, T, a < b)          \
    VBIN(P##_GT, T, a > b) VBIN(P##_LE, T, a <= b) VBIN(P##_GE, T, a >= b)
    VICMP(I8X16, v16i8, v16u8)
    VICMP(I16X8, v8i16, v8u16)
    VICMP(I32X4, v4i32, v4u32)
    VFCMP(F32X4, v4f32)
    VFCMP(F64X2, v2f64)
    VBIN(I64X2_EQ, v2i64, a == b)
    VBIN(I64X2_NE, v2i64, a != b)
    VBIN(I64X2_LT_S, v2i64, a < b)
    VBIN(I64X2_GT_S, v2i64, a > b)
    VBIN(I64X2_LE_S, v2i64, a <= b)
    VBIN(I64X2_GE_S, v2i64, a >= b)

    /* ---------------------------------------------------------------- bitwise */
    VUN(V128_NOT, v2u64, ~x)
    VBIN(V128_AND, v2u64, a & b)
    VBIN(V128_ANDNOT, v2u64, a & ~b)
    VBIN(V128_OR, v2u64, a | b)
    VBIN(V128_XOR, v2u64, a ^ b)
L_V128_BITSELECT: {
    v2u64 a = VGET(v2u64, 1), b = VGET(v2u64, 2), m = VGET(v2u64, 3);
    VPUT(0, (a & m) | (b & ~m));
    NEXT(ESGX_WASM_W_V128_BITSELECT);
}
    VTEST(V128_ANY_TRUE, v2u64, (x[0] | x[1]) != 0)

    /* ---------------------------------------------------------------- integers */
/* all_true: no lane is zero */
#define VALLTRUE(N, T)                                                               \
    VTEST(N, T, ({                                                                   \
              v2u64 z_ = (v2u64)(x == 0);                                            \
              (z_[0] | z_[1]) == 0;                                                  \
          }))
/* per lane width P (signed S_, unsigned U_ lanes, BITS, MAX signed):
 * abs neg all_true bitmask shl shr_s shr_u add sub */
#define VIBASE(P, S_, U_, BITS, NL)                                                  \
    VUN(P##_ABS, S_, VSEL(S_, x < 0, (S_)((U_){} - (U_)x), x))                       \
    VUN(P##_NEG, U_, (U_){} - x)                                                     \
    VALLTRUE(P##_ALL_TRUE, U_)                                                       \
    VTEST(P##_BITMASK, S_, BITMASK(S_, NL, x))                                       \
    VSHIFT(P##_SHL, U_, <<, BITS - 1)                                                \
    VSHIFT(P##_SHR_S, S_, >>, BITS - 1)                                              \
    VSHIFT(P##_SHR_U, U_, >>, BITS - 1)                                              \
    VBIN(P##_ADD, U_, a + b)                                                         \
    VBIN(P##_SUB, U_, a - b)
/* min_s min_u max_s max_u, and for i8x16 / i16x8 the saturating add / sub and avgr_u */
#define VIMINMAX(P, S_, U_)                                                          \
    VBIN(P##_MIN_S, S_, VSEL(S_, a < b, a, b)) VBIN(P##_MIN_U, U_, VSEL(U_, a < b, a, b)) \
    VBIN(P##_MAX_S, S_, VSEL(S_, a > b, a, b)) VBIN(P##_MAX_U, U_, VSEL(U_, a > b, a, b))
#define VISAT(P, S_, U_, BITS, MAX)                                                  \
    VBIN(P##_ADD_SAT_S, S_, SAT_ADD_S(S_, U_, BITS, MAX, a, b))                      \
    VBIN(P##_ADD_SAT_U, U_, ({                                                       \
             U_ r_ = a + b;                                                          \
             r_ | (U_)(r_ < a);                                                      \
         }))                                                                         \
    VBIN(P##_SUB_SAT_S, S_, SAT_SUB_S(S_, U_, BITS, MAX, a, b))                      \
    VBIN(P##_SUB_SAT_U, U_, (a - b) & (U_)(a >= b))                                  \
    VBIN(P##_AVGR_U, U_, (a | b) - ((a ^ b) >> 1))
    VIBASE(I8X16, v16i8, v16u8, 8, 16)
    VIBASE(I16X8, v8i16, v8u16, 16, 8)
    VIBASE(I32X4, v4i32, v4u32, 32, 4)
    VIBASE(I64X2, v2i64, v2u64, 64, 2)
    VIMINMAX(I8X16, v16i8, v16u8)
    VIMINMAX(I16X8, v8i16, v8u16)
    VIMINMAX(I32X4, v4i32, v4u32)
    VISAT(I8X16, v16i8, v16u8, 8, 0x7F)
    VISAT(I16X8, v8i16, v8u16, 16, 0x7FFF)
    VBIN(I16X8_MUL, v8u16, a * b)
    VBIN(I32X4_MUL, v4u32, a * b)
    VBIN(I64X2_MUL, v2u64, a * b)
    VUN(I8X16_POPCNT, v16u8, esgx_simd_popcnt8(x))
    VBIN(I8X16_NARROW_I16X8_S, v8i16, esgx_simd_narrow16_s(a, b))
    VBIN(I8X16_NARROW_I16X8_U, v8i16, esgx_simd_narrow16_u(a, b))
    VBIN(I16X8_NARROW_I32X4_S, v4i32, esgx_simd_narrow32_s(a, b))
    VBIN(I16X8_NARROW_I32X4_U, v4i32, esgx_simd_narrow32_u(a, b))
    VBIN(I16X8_Q15MULR_SAT_S, v8i16, esgx_simd_q15mulr(a, b))
    VBIN(I32X4_DOT_I16X8_S, v8i16, esgx_simd_dot(a, b))
    VUN(I16X8_EXTADD_PAIRWISE_I8X16_S, v16i8, PAIRWISE(v8i16, 8, int16_t, x))
    VUN(I16X8_EXTADD_PAIRWISE_I8X16_U, v16u8, PAIRWISE(v8u16, 8, uint16_t, x))
    VUN(I32X4_EXTADD_PAIRWISE_I16X8_S, v8i16, PAIRWISE(v4i32, 4, int32_t, x))
    VUN(I32X4_EXTADD_PAIRWISE_I16X8_U, v8u16, PAIRWISE(v4u32, 4, uint32_t, x))
/* extend the low / high half (of half type HT) to WT; extmul: the products of those */
#define VEXT(N, T, HT, WT, HI) VUN(N, T, __builtin_convertvector(HALF(HT, x, HI), WT))
#define VEXTMUL(N, T, HT, WT, UWT, HI)                                               \
    VBIN(N, T,                                                                       \
         (UWT)__builtin_convertvector(HALF(HT, a, HI), WT) *                         \
             (UWT)__builtin_convertvector(HALF(HT, b, HI), WT))
/* the four extends and four extmuls of one widening (P: the wide shape, N_: the narrow) */
#define VWIDEN(P, N_, T, UT, HS, HU, WS, WU, UWT)                                    \
    VEXT(P##_EXTEND_LOW_##N_##_S, T, HS, WS, 0)                                      \
    VEXT(P##_EXTEND_HIGH_##N_##_S, T, HS, WS, 1)                                     \
    VEXT(P##_EXTEND_LOW_##N_##_U, UT, HU, WU, 0)                                     \
    VEXT(P##_EXTEND_HIGH_##N_##_U, UT, HU, WU, 1)                                    \
    VEXTMUL(P##_EXTMUL_LOW_##N_##_S, T, HS, WS, UWT, 0)                              \
    VEXTMUL(P##_EXTMUL_HIGH_##N_##_S, T, HS, WS, UWT, 1)                             \
    VEXTMUL(P##_EXTMUL_LOW_##N_##_U, UT, HU, WU, UWT, 0)                             \
    VEXTMUL(P##_EXTMUL_HIGH_##N_##_U, UT, HU, WU, UWT, 1)
    VWIDEN(I16X8, I8X16, v16i8, v16u8, v8i8, v8u8, v8i16, v8u16, v8u16)
    VWIDEN(I32X4, I16X8, v8i16, v8u16, v4i16, v4u16, v4i32, v4u32, v4u32)
    VWIDEN(I64X2, I32X4, v4i32, v4u32, v2i32, v2u32, v2i64, v2u64, v2u64)

    /* ---------------------------------------------------------------- floats */
/* abs neg sqrt add sub mul div min max pmin pmax ceil floor trunc nearest of one shape
 * (T lanes, BT their bits, ET a lane, NL lanes, SIGN the sign bit) */
#define VFLOAT(P, T, BT, NL, SIGN, MIN, MAX, SQRT, ROUND, CEIL, FLOOR, TRUNC, NEAREST) \
    VUN(P##_ABS, BT, x & ~(BT){} >> 1)                                               \
    VUN(P##_NEG, BT, x ^ (SIGN))                                                     \
    VLANES1(P##_SQRT, T, T, NL, SQRT(x))                                             \
    VBIN(P##_ADD, T, a + b)                                                          \
    VBIN(P##_SUB, T, a - b)                                                          \
    VBIN(P##_MUL, T, a * b)                                                          \
    VBIN(P##_DIV, T, a / b)                                                          \
    VLANES2(P##_MIN, T, BT, NL, MIN(a, b))                                           \
    VLANES2(P##_MAX, T, BT, NL, MAX(a, b))                                           \
    VBIN(P##_PMIN, T, VSEL(T, b < a, b, a))                                          \
    VBIN(P##_PMAX, T, VSEL(T, a < b, b, a))                                          \
    VLANES1(P##_CEIL, T, BT, NL, ROUND(CEIL, x))                                     \
    VLANES1(P##_FLOOR, T, BT, NL, ROUND(FLOOR, x))                                   \
    VLANES1(P##_TRUNC, T, BT, NL, ROUND(TRUNC, x))                                   \
    VLANES1(P##_NEAREST, T, BT, NL, ROUND(NEAREST, x))
    VFLOAT(F32X4, v4f32, v4u32, 4, 0x80000000u, f32_min, f32_max, sqrtf, FROUND32, ceilf,
           floorf, truncf, nearbyintf)
    VFLOAT(F64X2, v2f64, v2u64, 2, 0x8000000000000000ull, f64_min, f64_max, sqrt, FROUND64,
           ceil, floor, trunc, nearbyint)

    /* ---------------------------------------------------------------- conversions */
    VUN(F32X4_CONVERT_I32X4_S, v4i32, __builtin_convertvector(x, v4f32))
    VLANES1(F32X4_CONVERT_I32X4_U, v4u32, v4f32, 4, (float)x)
    VLANES1(I32X4_TRUNC_SAT_F32X4_S, v4f32, v4u32, 4, (uint32_t)sat_i32_f64((double)x))
    VLANES1(I32X4_TRUNC_SAT_F32X4_U, v4f32, v4u32, 4, (uint32_t)sat_u32_f64((double)x))
L_I32X4_TRUNC_SAT_F64X2_S_ZERO: {
    v2f64 x = VGET(v2f64, 1);
    v4u32 r = {(uint32_t)sat_i32_f64(x[0]), (uint32_t)sat_i32_f64(x[1]), 0, 0};
    VPUT(0, r);
    NEXT(ESGX_WASM_W_I32X4_TRUNC_SAT_F64X2_S_ZERO);
}
L_I32X4_TRUNC_SAT_F64X2_U_ZERO: {
    v2f64 x = VGET(v2f64, 1);
    v4u32 r = {(uint32_t)sat_u32_f64(x[0]), (uint32_t)sat_u32_f64(x[1]), 0, 0};
    VPUT(0, r);
    NEXT(ESGX_WASM_W_I32X4_TRUNC_SAT_F64X2_U_ZERO);
}
L_F32X4_DEMOTE_F64X2_ZERO: {
    v2f64 x = VGET(v2f64, 1);
    v4f32 r = {(float)x[0], (float)x[1], 0.0f, 0.0f};
    VPUT(0, r);
    NEXT(ESGX_WASM_W_F32X4_DEMOTE_F64X2_ZERO);
}
L_F64X2_PROMOTE_LOW_F32X4: {
    v4f32 x = VGET(v4f32, 1);
    v2f64 r = {(double)x[0], (double)x[1]};
    VPUT(0, r);
    NEXT(ESGX_WASM_W_F64X2_PROMOTE_LOW_F32X4);
}
L_F64X2_CONVERT_LOW_I32X4_S: {
    v4i32 x = VGET(v4i32, 1);
    v2f64 r = {(double)x[0], (double)x[1]};
    VPUT(0, r);
    NEXT(ESGX_WASM_W_F64X2_CONVERT_LOW_I32X4_S);
}
L_F64X2_CONVERT_LOW_I32X4_U: {
    v4u32 x = VGET(v4u32, 1);
    v2f64 r = {(double)x[0], (double)x[1]};
    VPUT(0, r);
    NEXT(ESGX_WASM_W_F64X2_CONVERT_LOW_I32X4_U);
}

#undef VP
#undef VGET
#undef VPUT
#undef VUN
#undef VBIN
#undef VSHIFT
#undef VTEST
#undef VLANES1
#undef VLANES2
#undef VADDR
#undef VLOAD
#undef VLOAD_EXT
#undef VLOAD_SPLAT
#undef VLOAD_LANE
#undef VSTORE_LANE
#undef VSPLAT
#undef VEXTRACT
#undef VREPLACE
#undef VICMP
#undef VFCMP
#undef VALLTRUE
#undef VIBASE
#undef VIMINMAX
#undef VISAT
#undef VEXT
#undef VEXTMUL
#undef VWIDEN
#undef VFLOAT
