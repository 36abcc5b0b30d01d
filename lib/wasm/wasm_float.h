/*
 * wasm_float.h (internal to lib/wasm): the float semantics of WebAssembly that C does
 * not give directly, written once for every user (the interpreter's scalar and SIMD
 * handlers, and the compiler tier's helpers): bits <-> values, min/max with NaN and
 * signed zeros, rounding with quiet NaNs, the range of float -> int truncation
 * (trapping and saturating).
 */
#ifndef ESGX_WASM_FLOAT_H
#define ESGX_WASM_FLOAT_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__FAST_MATH__)
#error "wasm float semantics must not be built with -ffast-math"
#endif

static inline float f32_of(uint64_t s)
{
    uint32_t u = (uint32_t)s;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint64_t bits_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline double f64_of(uint64_t s)
{
    double d;
    memcpy(&d, &s, 8);
    return d;
}

static inline uint64_t bits_f64(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static inline uint64_t f32_min(float a, float b)
{
    if (a < b) return bits_f32(a);
    if (b < a) return bits_f32(b);
    if (a == b) return bits_f32(a) | bits_f32(b);     /* min(-0, +0) = -0 */
    return bits_f32(a + b);                           /* NaN: propagate, quieted */
}

static inline uint64_t f32_max(float a, float b)
{
    if (a > b) return bits_f32(a);
    if (b > a) return bits_f32(b);
    if (a == b) return bits_f32(a) & bits_f32(b);     /* max(-0, +0) = +0 */
    return bits_f32(a + b);
}

static inline uint64_t f64_min(double a, double b)
{
    if (a < b) return bits_f64(a);
    if (b < a) return bits_f64(b);
    if (a == b) return bits_f64(a) | bits_f64(b);
    return bits_f64(a + b);
}

static inline uint64_t f64_max(double a, double b)
{
    if (a > b) return bits_f64(a);
    if (b > a) return bits_f64(b);
    if (a == b) return bits_f64(a) & bits_f64(b);
    return bits_f64(a + b);
}

/* Rounding functions: a NaN input gives a quiet NaN (x + x) whatever libm does. */
#define FROUND32(fn, x) (isnan(x) ? bits_f32((x) + (x)) : bits_f32(fn(x)))
#define FROUND64(fn, x) (isnan(x) ? bits_f64((x) + (x)) : bits_f64(fn(x)))

/* float -> int truncation: x (a double holding the exact f32 or f64 input) truncates
 * to an integer of the target type exactly when trunc_lo < x < trunc_hi (the doubles
 * next to -2^31 - 1, 2^31, -1, 2^32, -2^63 - 2048, 2^63, 2^64). The trapping
 * instructions trap outside ("integer overflow"; NaN: "invalid conversion to
 * integer"), the saturating ones clamp. Constant arguments fold to the constant. */
static inline double trunc_lo(bool to64, bool sgn)
{
    return sgn ? (to64 ? -9223372036854777856.0 : -2147483649.0) : -1.0;
}

static inline double trunc_hi(bool to64, bool sgn)
{
    return to64 ? (sgn ? 9223372036854775808.0 : 18446744073709551616.0)
                : (sgn ? 2147483648.0 : 4294967296.0);
}

/* Saturating float -> int conversions. */
static inline uint64_t sat_i32_f64(double x)
{
    if (isnan(x)) return 0;
    if (x <= trunc_lo(false, true)) return (uint32_t)INT32_MIN;
    if (x >= trunc_hi(false, true)) return (uint32_t)INT32_MAX;
    return (uint32_t)(int32_t)x;
}

static inline uint64_t sat_u32_f64(double x)
{
    if (isnan(x) || x <= trunc_lo(false, false)) return 0;
    if (x >= trunc_hi(false, false)) return UINT32_MAX;
    return (uint32_t)x;
}

static inline uint64_t sat_i64_f64(double x)
{
    if (isnan(x)) return 0;
    if (x <= trunc_lo(true, true)) return (uint64_t)INT64_MIN;   /* x < -2^63 */
    if (x >= trunc_hi(true, true)) return (uint64_t)INT64_MAX;
    return (uint64_t)(int64_t)x;
}

static inline uint64_t sat_u64_f64(double x)
{
    if (isnan(x) || x <= trunc_lo(true, false)) return 0;
    if (x >= trunc_hi(true, false)) return UINT64_MAX;
    return (uint64_t)x;
}

#endif
