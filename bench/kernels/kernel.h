/*
 * kernel.h: the little freestanding world the benchmark kernels share.
 *
 * Every kernel is one C file with a function `long long run(int n)` that does a
 * deterministic amount of CPU work scaled by n and returns a checksum. The same file is
 * built three ways by bench/wasm_bench.sh and the wasm_kernels test:
 *   - wasm32 with no libc (-nostdlib -fno-builtin), exporting `run`;
 *   - native, linked with native_main.c, which calls run(atoi(argv[1])) and prints it;
 *   - the wasm file again under Node's V8 (bench/run_v8.mjs).
 * So kernels use no library calls at all: no printf, no malloc, only static arrays
 * and the helpers below. Floating point results are folded into the checksum by
 * their bit patterns, so all three builds must agree to the last bit.
 */
#ifndef ESGX_BENCH_KERNEL_H
#define ESGX_BENCH_KERNEL_H

typedef unsigned char u8;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef __SIZE_TYPE__ usize;

#if defined(__wasm__)
#define KERNEL_EXPORT __attribute__((visibility("default"), export_name("run")))
/* The compiler may still emit calls to these for struct copies; no libc provides them. */
void *memset(void *d, int c, usize n);
void *memcpy(void *d, const void *s, usize n);
void *memset(void *d, int c, usize n)
{
    u8 *p = d;
    while (n--) *p++ = (u8)c;
    return d;
}
void *memcpy(void *d, const void *s, usize n)
{
    u8 *p = d;
    const u8 *q = s;
    while (n--) *p++ = *q++;
    return d;
}
#else
#define KERNEL_EXPORT
#endif

i64 run(i32 n);

/* xorshift64*: a small deterministic PRNG. */
static inline u64 prng_next(u64 *s)
{
    u64 x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Folds a double's bit pattern into a checksum. */
static inline u64 f64_bits(double d)
{
    union { double d; u64 u; } v;
    v.d = d;
    return v.u;
}

#endif
