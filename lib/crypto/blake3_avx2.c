/*
 * blake3_avx2.c: the 8-way BLAKE3 hash_many on 256-bit vectors (see blake3_impl.h).
 *
 * Eight inputs are hashed at once, one per 32-bit lane; the kernel is written once in
 * blake3_x8_kernel.h and compiled here twice:
 *   avx2     target("avx2"): the AVX2 back end. Rotations by 16 and 8 are byte
 *            shuffles, by 12 and 7 two shifts and an or.
 *   avx512   target("avx512f,avx512vl") on the same 256-bit vectors: every rotation is
 *            one vprord and the 32 vector registers hold the whole state and message.
 *            It is the tail (8..15 inputs) of the 16-way AVX-512 back end
 *            (blake3_avx512.c).
 * Fewer than 8 remaining inputs go to the SSE4.1 code, which both also use for single
 * compressions. The driver calls these only when the CPU and OS support the
 * instructions; no global compiler flag is needed.
 */
#include "blake3_impl.h"

#ifdef B3_HAVE_X86

#include <immintrin.h>

/* ---------------------------------------------------------------- AVX2 */

#define B3_AVX2 __attribute__((target("avx2")))

B3_AVX2 static inline __m256i rotr_avx2(__m256i x, int n)
{
    if (n == 16)
        return _mm256_shuffle_epi8(x, _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9,
                                                       14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4,
                                                       5, 10, 11, 8, 9, 14, 15, 12, 13));
    if (n == 8)
        return _mm256_shuffle_epi8(x, _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8,
                                                       13, 14, 15, 12, 1, 2, 3, 0, 5, 6, 7,
                                                       4, 9, 10, 11, 8, 13, 14, 15, 12));
    return _mm256_or_si256(_mm256_srli_epi32(x, n), _mm256_slli_epi32(x, 32 - n));
}

#define B3K_ATTR B3_AVX2
#define B3K_FN(name) name##_avx2
#define B3K_ROTR(x, n) rotr_avx2((x), (n))
#define B3K_TAIL esgx_b3_hash_many_sse41
#include "blake3_x8_kernel.h"
#undef B3K_ATTR
#undef B3K_FN
#undef B3K_ROTR
#undef B3K_TAIL

/* ---------------------------------------------------------------- AVX-512 (VL) */

#define B3_AVX512 __attribute__((target("avx2,avx512f,avx512vl")))

#define B3K_ATTR B3_AVX512
#define B3K_FN(name) name##_avx512
#define B3K_ROTR(x, n) _mm256_ror_epi32((x), (n))
#define B3K_TAIL esgx_b3_hash_many_sse41
#include "blake3_x8_kernel.h"
#undef B3K_ATTR
#undef B3K_FN
#undef B3K_ROTR
#undef B3K_TAIL

#endif
