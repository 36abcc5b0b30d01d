/*
 * simd_lanes.h (internal to lib/wasm): the lane types of a v128 as GCC/clang vector
 * extensions (SSE2 on x86-64) and the helpers of the SIMD handlers (interp_simd.h)
 * that do not fit one vector expression. Included at file scope by interp.c; the
 * per-lane float helpers reuse the scalar ones of wasm_float.h so that
 * a lane gives exactly what the scalar instruction gives.
 */
#ifndef ESGX_WASM_SIMD_LANES_H
#define ESGX_WASM_SIMD_LANES_H

#include <stdint.h>
#include <string.h>

#include "wasm_float.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the v128 slot layout assumes a little-endian host"
#endif

#define ESGX_VEC(n) __attribute__((vector_size(n), aligned(16)))
typedef int8_t v16i8 ESGX_VEC(16);
typedef uint8_t v16u8 ESGX_VEC(16);
typedef int16_t v8i16 ESGX_VEC(16);
typedef uint16_t v8u16 ESGX_VEC(16);
typedef int32_t v4i32 ESGX_VEC(16);
typedef uint32_t v4u32 ESGX_VEC(16);
typedef int64_t v2i64 ESGX_VEC(16);
typedef uint64_t v2u64 ESGX_VEC(16);
typedef float v4f32 ESGX_VEC(16);
typedef double v2f64 ESGX_VEC(16);
/* half vectors (the low or high 8 bytes, for the extending ops) */
typedef int8_t v8i8 __attribute__((vector_size(8)));
typedef uint8_t v8u8 __attribute__((vector_size(8)));
typedef int16_t v4i16 __attribute__((vector_size(8)));
typedef uint16_t v4u16 __attribute__((vector_size(8)));
typedef int32_t v2i32 __attribute__((vector_size(8)));
typedef uint32_t v2u32 __attribute__((vector_size(8)));
#undef ESGX_VEC

/* Lane-wise select: m's lanes all ones or all zeros (a compare result). */
#define VSEL(T, m, a, b) ((T)(((v2u64)(a) & (v2u64)(m)) | ((v2u64)(b) & ~(v2u64)(m))))

/* Saturating signed add / sub: the wrapped result, or on overflow the bound of a's
 * sign (MAX: the largest lane value; (a >> (BITS - 1)) ^ MAX is MIN for a < 0). */
#define SAT_ADD_S(T, U, BITS, MAX, a, b)                                             \
    ({                                                                               \
        T sa_ = (a), sb_ = (b);                                                      \
        T sr_ = (T)((U)sa_ + (U)sb_);                                                \
        T sbound_ = (sa_ >> (BITS - 1)) ^ (MAX);                                     \
        VSEL(T, ((sa_ ^ sr_) & (sb_ ^ sr_)) < 0, sbound_, sr_);                      \
    })
#define SAT_SUB_S(T, U, BITS, MAX, a, b)                                             \
    ({                                                                               \
        T sa_ = (a), sb_ = (b);                                                      \
        T sr_ = (T)((U)sa_ - (U)sb_);                                                \
        T sbound_ = (sa_ >> (BITS - 1)) ^ (MAX);                                     \
        VSEL(T, ((sa_ ^ sb_) & (sa_ ^ sr_)) < 0, sbound_, sr_);                      \
    })

/* i8x16.popcnt */
static inline v16u8 esgx_simd_popcnt8(v16u8 x)
{
    x = x - ((x >> 1) & 0x55);
    x = (x & 0x33) + ((x >> 2) & 0x33);
    return (x + (x >> 4)) & 0x0f;
}

/* i8x16.swizzle: lanes of a picked by b (0 where b's lane is 16 or more) */
static inline v16u8 esgx_simd_swizzle(v16u8 a, v16u8 b)
{
    v16u8 r = {};
    for (int i = 0; i < 16; i++) r[i] = b[i] < 16 ? a[b[i] & 15] : 0;
    return r;
}

/* i8x16.shuffle: lanes of a:b picked by the 16 lane bytes in the 4 code words at w */
static inline v16u8 esgx_simd_shuffle(v16u8 a, v16u8 b, const uint32_t *w)
{
    uint8_t ab[32], sel[16];
    memcpy(ab, &a, 16);
    memcpy(ab + 16, &b, 16);
    memcpy(sel, w, 16);
    v16u8 r = {};
    for (int i = 0; i < 16; i++) r[i] = ab[sel[i] & 31];
    return r;
}

/* Bit i of the result: the sign (top bit) of lane i. */
#define BITMASK(T, N, x)                                                             \
    ({                                                                               \
        T bx_ = (x);                                                                 \
        uint32_t bm_ = 0;                                                            \
        for (int bi_ = 0; bi_ < (N); bi_++) bm_ |= (uint32_t)(bx_[bi_] < 0) << bi_;  \
        bm_;                                                                         \
    })

/* Narrowing with signed / unsigned saturation of the signed lanes of a (low half of
 * the result) and b (high half). */
static inline v16i8 esgx_simd_narrow16_s(v8i16 a, v8i16 b)
{
    v16i8 r = {};
    for (int i = 0; i < 16; i++) {
        int16_t v = i < 8 ? a[i] : b[i - 8];
        r[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    return r;
}

static inline v16u8 esgx_simd_narrow16_u(v8i16 a, v8i16 b)
{
    v16u8 r = {};
    for (int i = 0; i < 16; i++) {
        int16_t v = i < 8 ? a[i] : b[i - 8];
        r[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    return r;
}

static inline v8i16 esgx_simd_narrow32_s(v4i32 a, v4i32 b)
{
    v8i16 r = {};
    for (int i = 0; i < 8; i++) {
        int32_t v = i < 4 ? a[i] : b[i - 4];
        r[i] = (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
    }
    return r;
}

static inline v8u16 esgx_simd_narrow32_u(v4i32 a, v4i32 b)
{
    v8u16 r = {};
    for (int i = 0; i < 8; i++) {
        int32_t v = i < 4 ? a[i] : b[i - 4];
        r[i] = (uint16_t)(v < 0 ? 0 : v > 65535 ? 65535 : v);
    }
    return r;
}

/* The low (hi = 0) or high (hi = 1) half of x as a half vector of type T. */
#define HALF(T, x, hi)                                                               \
    ({                                                                               \
        T hv_;                                                                       \
        __typeof__(x) hx_ = (x);                                                     \
        memcpy(&hv_, (const uint8_t *)&hx_ + 8 * (hi), 8);                           \
        hv_;                                                                         \
    })

/* i16x8.q15mulr_sat_s */
static inline v8i16 esgx_simd_q15mulr(v8i16 a, v8i16 b)
{
    v8i16 r = {};
    for (int i = 0; i < 8; i++) {
        int32_t p = ((int32_t)a[i] * b[i] + 0x4000) >> 15;
        r[i] = (int16_t)(p > 32767 ? 32767 : p);
    }
    return r;
}

/* i32x4.dot_i16x8_s */
static inline v4i32 esgx_simd_dot(v8i16 a, v8i16 b)
{
    v4i32 r = {};
    for (int i = 0; i < 4; i++)
        r[i] = (int32_t)((uint32_t)(a[2 * i] * b[2 * i]) + (uint32_t)(a[2 * i + 1] * b[2 * i + 1]));
    return r;
}

/* extadd_pairwise: sums of adjacent lanes, widened */
#define PAIRWISE(TR, NR, TW, x)                                                      \
    ({                                                                               \
        __typeof__(x) px_ = (x);                                                     \
        TR pr_ = {};                                                                 \
        for (int pi_ = 0; pi_ < (NR); pi_++)                                         \
            pr_[pi_] = (TW)px_[2 * pi_] + (TW)px_[2 * pi_ + 1];                       \
        pr_;                                                                         \
    })

#endif
