/*
 * matmul: memory-heavy loops. C = A * B on n x n u32 matrices (n <= 1200) filled by
 * the PRNG, i-k-j loop order over row-major static arrays, then a transpose-and-add
 * pass; the checksum mixes every element of the result.
 */
#include "kernel.h"

#define MAXN 1200
static u32 A[MAXN * MAXN], B[MAXN * MAXN], C[MAXN * MAXN];

KERNEL_EXPORT i64 run(i32 n)
{
    if (n < 1) n = 1;
    if (n > MAXN) n = MAXN;
    u64 s = 0x9E3779B97F4A7C15ULL;
    for (i32 i = 0; i < n * n; i++) {
        A[i] = (u32)prng_next(&s) & 0xFFFF;
        B[i] = (u32)prng_next(&s) & 0xFFFF;
        C[i] = 0;
    }
    for (i32 i = 0; i < n; i++)
        for (i32 k = 0; k < n; k++) {
            u32 a = A[i * n + k];
            const u32 *b = &B[k * n];
            u32 *c = &C[i * n];
            for (i32 j = 0; j < n; j++) c[j] += a * b[j];
        }
    for (i32 i = 0; i < n; i++)
        for (i32 j = 0; j < n; j++) A[j * n + i] = C[i * n + j] ^ B[j * n + i];
    u64 h = 1469598103934665603ULL;
    for (i32 i = 0; i < n * n; i++) h = (h ^ A[i]) * 1099511628211ULL;
    return (i64)h;
}
