/*
 * blake3_avx512.c: the 16-way AVX-512 hash_many of BLAKE3 (see blake3_impl.h).
 *
 * Sixteen inputs are hashed at once, one per 32-bit lane of a 512-bit vector. One
 * 64-byte block of one input is exactly one vector, so each block's message words are
 * obtained by a 16x16 word transpose (unpack 32, unpack 64, then two rounds of 128-bit
 * lane shuffles). Every rotation is one vprord and the 32 vector registers hold the
 * state and the message. The 8 resulting chaining-value vectors are written out with a
 * small scalar transpose (128 stores per 16 KiB hashed). Fewer than 16 remaining inputs
 * go to the 8-way AVX-512VL code of blake3_avx2.c.
 *
 * target("avx512f") on every function; the driver calls this only when the CPU and OS
 * support AVX-512F and VL.
 */
#include "blake3_impl.h"

#ifdef B3_HAVE_X86

#include <immintrin.h>
#include <string.h>

#define B3_AVX512F __attribute__((target("avx2,avx512f,avx512vl")))

#define V16_HALF(a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, a3, b3, c3, d3, x0, x1,    \
                 x2, x3, r1, r2)                                                           \
    do {                                                                                   \
        v[a0] = _mm512_add_epi32(_mm512_add_epi32(v[a0], v[b0]), x0);                      \
        v[a1] = _mm512_add_epi32(_mm512_add_epi32(v[a1], v[b1]), x1);                      \
        v[a2] = _mm512_add_epi32(_mm512_add_epi32(v[a2], v[b2]), x2);                      \
        v[a3] = _mm512_add_epi32(_mm512_add_epi32(v[a3], v[b3]), x3);                      \
        v[d0] = _mm512_ror_epi32(_mm512_xor_si512(v[d0], v[a0]), r1);                      \
        v[d1] = _mm512_ror_epi32(_mm512_xor_si512(v[d1], v[a1]), r1);                      \
        v[d2] = _mm512_ror_epi32(_mm512_xor_si512(v[d2], v[a2]), r1);                      \
        v[d3] = _mm512_ror_epi32(_mm512_xor_si512(v[d3], v[a3]), r1);                      \
        v[c0] = _mm512_add_epi32(v[c0], v[d0]);                                            \
        v[c1] = _mm512_add_epi32(v[c1], v[d1]);                                            \
        v[c2] = _mm512_add_epi32(v[c2], v[d2]);                                            \
        v[c3] = _mm512_add_epi32(v[c3], v[d3]);                                            \
        v[b0] = _mm512_ror_epi32(_mm512_xor_si512(v[b0], v[c0]), r2);                      \
        v[b1] = _mm512_ror_epi32(_mm512_xor_si512(v[b1], v[c1]), r2);                      \
        v[b2] = _mm512_ror_epi32(_mm512_xor_si512(v[b2], v[c2]), r2);                      \
        v[b3] = _mm512_ror_epi32(_mm512_xor_si512(v[b3], v[c3]), r2);                      \
    } while (0)

#define V16_M(r, i) m[b3_schedule[r][i]]

#define V16_ROUND(r)                                                                       \
    do {                                                                                   \
        V16_HALF(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, V16_M(r, 0),        \
                 V16_M(r, 2), V16_M(r, 4), V16_M(r, 6), 16, 12);                           \
        V16_HALF(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, V16_M(r, 1),        \
                 V16_M(r, 3), V16_M(r, 5), V16_M(r, 7), 8, 7);                             \
        V16_HALF(0, 5, 10, 15, 1, 6, 11, 12, 2, 7, 8, 13, 3, 4, 9, 14, V16_M(r, 8),        \
                 V16_M(r, 10), V16_M(r, 12), V16_M(r, 14), 16, 12);                        \
        V16_HALF(0, 5, 10, 15, 1, 6, 11, 12, 2, 7, 8, 13, 3, 4, 9, 14, V16_M(r, 9),        \
                 V16_M(r, 11), V16_M(r, 13), V16_M(r, 15), 8, 7);                          \
    } while (0)

/* m[w] = word w of the block at offset off of each of the 16 inputs (lane = input). */
B3_AVX512F static inline void load_msg16(__m512i m[16], const uint8_t *const *in,
                                         size_t off)
{
    __m512i r[16], t[16];
    for (int i = 0; i < 16; i++) {
        _mm_prefetch((const char *)(in[i] + off + 256), _MM_HINT_T0);
        r[i] = _mm512_loadu_si512((const void *)(in[i] + off));
    }
    /* Within each 128-bit lane j: pairs of rows, then quads of rows. */
    for (int k = 0; k < 8; k++) {
        t[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
        t[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
    }
    /* u[4g + w], lane j: word 4j+w of rows 4g..4g+3 (stored back into r). */
    for (int g = 0; g < 4; g++) {
        r[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
        r[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
        r[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
        r[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    /* Gather the 128-bit lanes: rows 0-7 and 8-15 halves, then all four groups. */
    for (int w = 0; w < 4; w++) {
        __m512i lo01 = _mm512_shuffle_i32x4(r[w], r[4 + w], 0x44);
        __m512i hi01 = _mm512_shuffle_i32x4(r[w], r[4 + w], 0xEE);
        __m512i lo23 = _mm512_shuffle_i32x4(r[8 + w], r[12 + w], 0x44);
        __m512i hi23 = _mm512_shuffle_i32x4(r[8 + w], r[12 + w], 0xEE);
        m[w] = _mm512_shuffle_i32x4(lo01, lo23, 0x88);
        m[4 + w] = _mm512_shuffle_i32x4(lo01, lo23, 0xDD);
        m[8 + w] = _mm512_shuffle_i32x4(hi01, hi23, 0x88);
        m[12 + w] = _mm512_shuffle_i32x4(hi01, hi23, 0xDD);
    }
}

B3_AVX512F static void hash16(const uint8_t *const *in, size_t blocks, const uint32_t key[8],
                              uint64_t counter, int inc, uint8_t flags, uint8_t flags_start,
                              uint8_t flags_end, uint8_t *out)
{
    __m512i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm512_set1_epi32((int)key[i]);
    uint32_t lo[16], hi[16];
    for (int i = 0; i < 16; i++) {
        uint64_t c = counter + (inc ? (uint64_t)i : 0);
        lo[i] = (uint32_t)c;
        hi[i] = (uint32_t)(c >> 32);
    }
    const __m512i clo = _mm512_loadu_si512((const void *)lo);
    const __m512i chi = _mm512_loadu_si512((const void *)hi);
    for (size_t blk = 0; blk < blocks; blk++) {
        uint8_t f = flags;
        if (blk == 0) f |= flags_start;
        if (blk + 1 == blocks) f |= flags_end;
        __m512i m[16], v[16];
        load_msg16(m, in, 64 * blk);
        for (int i = 0; i < 8; i++) v[i] = h[i];
        for (int i = 0; i < 4; i++) v[8 + i] = _mm512_set1_epi32((int)b3_iv[i]);
        v[12] = clo;
        v[13] = chi;
        v[14] = _mm512_set1_epi32(64);
        v[15] = _mm512_set1_epi32((int)f);
        V16_ROUND(0);
        V16_ROUND(1);
        V16_ROUND(2);
        V16_ROUND(3);
        V16_ROUND(4);
        V16_ROUND(5);
        V16_ROUND(6);
        for (int i = 0; i < 8; i++) h[i] = _mm512_xor_si512(v[i], v[i + 8]);
    }
    uint32_t words[8][16];
    for (int w = 0; w < 8; w++) _mm512_storeu_si512((void *)words[w], h[w]);
    for (int i = 0; i < 16; i++)
        for (int w = 0; w < 8; w++) memcpy(out + 32 * i + 4 * w, &words[w][i], 4);
}

B3_AVX512F void esgx_b3_hash_many_avx512x16(const uint8_t *const *inputs, size_t num_inputs,
                                       size_t blocks, const uint32_t key[8],
                                       uint64_t counter, int increment_counter,
                                       uint8_t flags, uint8_t flags_start,
                                       uint8_t flags_end, uint8_t *out)
{
    while (num_inputs >= 16) {
        hash16(inputs, blocks, key, counter, increment_counter, flags, flags_start,
               flags_end, out);
        if (increment_counter) counter += 16;
        inputs += 16;
        num_inputs -= 16;
        out += 16 * 32;
    }
    esgx_b3_hash_many_avx512(inputs, num_inputs, blocks, key, counter, increment_counter, flags,
                        flags_start, flags_end, out);
}

#endif
