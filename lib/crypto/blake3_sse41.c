/*
 * blake3_sse41.c: the SSE4.1 back end of BLAKE3 (see blake3_impl.h).
 *
 * Single compressions keep the 4x4 state as four row vectors: a column step runs the
 * four G functions of a round at once, then rows b, c, d are rotated by 1, 2, 3 lanes
 * so that the diagonals become columns, and rotated back after. hash_many instead puts
 * one input per lane (4 inputs at a time): the 16 state words are 16 vectors, the
 * message words of the 4 inputs are transposed into 16 vectors, and every G is plain
 * lane-wise arithmetic. Rotations by 16 and 8 are byte shuffles.
 *
 * Every function carries target("sse4.1") so no global compiler flag is needed; the
 * driver calls them only when the CPU has SSE4.1.
 */
#include "blake3_impl.h"

#ifdef B3_HAVE_X86

#include <immintrin.h>
#include <string.h>

#define B3_SSE41 __attribute__((target("sse4.1")))

B3_SSE41 static inline __m128i rot16(__m128i x)
{
    return _mm_shuffle_epi8(x, _mm_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15,
                                             12, 13));
}

B3_SSE41 static inline __m128i rot12(__m128i x)
{
    return _mm_or_si128(_mm_srli_epi32(x, 12), _mm_slli_epi32(x, 20));
}

B3_SSE41 static inline __m128i rot8(__m128i x)
{
    return _mm_shuffle_epi8(x, _mm_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14,
                                             15, 12));
}

B3_SSE41 static inline __m128i rot7(__m128i x)
{
    return _mm_or_si128(_mm_srli_epi32(x, 7), _mm_slli_epi32(x, 25));
}

/* ---------------------------------------------------------------- one compression */

B3_SSE41 static inline void g_rows(__m128i *a, __m128i *b, __m128i *c, __m128i *d, __m128i x,
                                   __m128i y)
{
    *a = _mm_add_epi32(_mm_add_epi32(*a, *b), x);
    *d = rot16(_mm_xor_si128(*d, *a));
    *c = _mm_add_epi32(*c, *d);
    *b = rot12(_mm_xor_si128(*b, *c));
    *a = _mm_add_epi32(_mm_add_epi32(*a, *b), y);
    *d = rot8(_mm_xor_si128(*d, *a));
    *c = _mm_add_epi32(*c, *d);
    *b = rot7(_mm_xor_si128(*b, *c));
}

B3_SSE41 static void core_rows(__m128i rows[4], const uint32_t cv[8], const uint8_t block[64],
                               uint8_t block_len, uint64_t counter, uint8_t flags)
{
    uint32_t m[16];
    memcpy(m, block, 64); /* x86 is little-endian */
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)cv);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(cv + 4));
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)b3_iv);
    __m128i d = _mm_setr_epi32((int)(uint32_t)counter, (int)(uint32_t)(counter >> 32),
                               (int)block_len, (int)flags);
    for (int r = 0; r < 7; r++) {
        const uint8_t *s = b3_schedule[r];
        __m128i x = _mm_setr_epi32((int)m[s[0]], (int)m[s[2]], (int)m[s[4]], (int)m[s[6]]);
        __m128i y = _mm_setr_epi32((int)m[s[1]], (int)m[s[3]], (int)m[s[5]], (int)m[s[7]]);
        g_rows(&a, &b, &c, &d, x, y);
        b = _mm_shuffle_epi32(b, _MM_SHUFFLE(0, 3, 2, 1));
        c = _mm_shuffle_epi32(c, _MM_SHUFFLE(1, 0, 3, 2));
        d = _mm_shuffle_epi32(d, _MM_SHUFFLE(2, 1, 0, 3));
        x = _mm_setr_epi32((int)m[s[8]], (int)m[s[10]], (int)m[s[12]], (int)m[s[14]]);
        y = _mm_setr_epi32((int)m[s[9]], (int)m[s[11]], (int)m[s[13]], (int)m[s[15]]);
        g_rows(&a, &b, &c, &d, x, y);
        b = _mm_shuffle_epi32(b, _MM_SHUFFLE(2, 1, 0, 3));
        c = _mm_shuffle_epi32(c, _MM_SHUFFLE(1, 0, 3, 2));
        d = _mm_shuffle_epi32(d, _MM_SHUFFLE(0, 3, 2, 1));
    }
    rows[0] = a;
    rows[1] = b;
    rows[2] = c;
    rows[3] = d;
}

B3_SSE41 void esgx_b3_compress_in_place_sse41(uint32_t cv[8], const uint8_t block[64],
                                         uint8_t block_len, uint64_t counter, uint8_t flags)
{
    __m128i r[4];
    core_rows(r, cv, block, block_len, counter, flags);
    _mm_storeu_si128((__m128i *)(void *)cv, _mm_xor_si128(r[0], r[2]));
    _mm_storeu_si128((__m128i *)(void *)(cv + 4), _mm_xor_si128(r[1], r[3]));
}

B3_SSE41 void esgx_b3_compress_xof_sse41(const uint32_t cv[8], const uint8_t block[64],
                                    uint8_t block_len, uint64_t counter, uint8_t flags,
                                    uint8_t out[64])
{
    __m128i r[4];
    core_rows(r, cv, block, block_len, counter, flags);
    __m128i c0 = _mm_loadu_si128((const __m128i *)(const void *)cv);
    __m128i c1 = _mm_loadu_si128((const __m128i *)(const void *)(cv + 4));
    _mm_storeu_si128((__m128i *)(void *)out, _mm_xor_si128(r[0], r[2]));
    _mm_storeu_si128((__m128i *)(void *)(out + 16), _mm_xor_si128(r[1], r[3]));
    _mm_storeu_si128((__m128i *)(void *)(out + 32), _mm_xor_si128(r[2], c0));
    _mm_storeu_si128((__m128i *)(void *)(out + 48), _mm_xor_si128(r[3], c1));
}

/* ---------------------------------------------------------------- 4 inputs at once */

#define G4(a, b, c, d, x, y)                                                             \
    do {                                                                                 \
        v[a] = _mm_add_epi32(_mm_add_epi32(v[a], v[b]), (x));                            \
        v[d] = rot16(_mm_xor_si128(v[d], v[a]));                                         \
        v[c] = _mm_add_epi32(v[c], v[d]);                                                \
        v[b] = rot12(_mm_xor_si128(v[b], v[c]));                                         \
        v[a] = _mm_add_epi32(_mm_add_epi32(v[a], v[b]), (y));                            \
        v[d] = rot8(_mm_xor_si128(v[d], v[a]));                                          \
        v[c] = _mm_add_epi32(v[c], v[d]);                                                \
        v[b] = rot7(_mm_xor_si128(v[b], v[c]));                                          \
    } while (0)

#define ROUND4(r)                                                                        \
    do {                                                                                 \
        G4(0, 4, 8, 12, m[b3_schedule[r][0]], m[b3_schedule[r][1]]);                     \
        G4(1, 5, 9, 13, m[b3_schedule[r][2]], m[b3_schedule[r][3]]);                     \
        G4(2, 6, 10, 14, m[b3_schedule[r][4]], m[b3_schedule[r][5]]);                    \
        G4(3, 7, 11, 15, m[b3_schedule[r][6]], m[b3_schedule[r][7]]);                    \
        G4(0, 5, 10, 15, m[b3_schedule[r][8]], m[b3_schedule[r][9]]);                    \
        G4(1, 6, 11, 12, m[b3_schedule[r][10]], m[b3_schedule[r][11]]);                  \
        G4(2, 7, 8, 13, m[b3_schedule[r][12]], m[b3_schedule[r][13]]);                   \
        G4(3, 4, 9, 14, m[b3_schedule[r][14]], m[b3_schedule[r][15]]);                   \
    } while (0)

/* In-place transpose of a 4x4 matrix of 32-bit words held as 4 row vectors. */
B3_SSE41 static inline void transpose4(__m128i *r0, __m128i *r1, __m128i *r2, __m128i *r3)
{
    __m128i t0 = _mm_unpacklo_epi32(*r0, *r1), t1 = _mm_unpackhi_epi32(*r0, *r1);
    __m128i t2 = _mm_unpacklo_epi32(*r2, *r3), t3 = _mm_unpackhi_epi32(*r2, *r3);
    *r0 = _mm_unpacklo_epi64(t0, t2);
    *r1 = _mm_unpackhi_epi64(t0, t2);
    *r2 = _mm_unpacklo_epi64(t1, t3);
    *r3 = _mm_unpackhi_epi64(t1, t3);
}

/* Message words w = 0..15 of block `off` of the 4 inputs, one input per lane. */
B3_SSE41 static inline void load_msg4(__m128i m[16], const uint8_t *const *in, size_t off)
{
    for (int i = 0; i < 4; i++) _mm_prefetch((const char *)(in[i] + off + 256), _MM_HINT_T0);
    for (int q = 0; q < 4; q++) {
        for (int i = 0; i < 4; i++) {
            const uint8_t *p = in[i] + off + 16 * q;
            m[4 * q + i] = _mm_loadu_si128((const __m128i *)(const void *)p);
        }
        transpose4(&m[4 * q], &m[4 * q + 1], &m[4 * q + 2], &m[4 * q + 3]);
    }
}

B3_SSE41 static void hash4(const uint8_t *const *in, size_t blocks, const uint32_t key[8],
                           uint64_t counter, int inc, uint8_t flags, uint8_t flags_start,
                           uint8_t flags_end, uint8_t *out)
{
    __m128i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm_set1_epi32((int)key[i]);
    uint32_t lo[4], hi[4];
    for (int i = 0; i < 4; i++) {
        uint64_t c = counter + (inc ? (uint64_t)i : 0);
        lo[i] = (uint32_t)c;
        hi[i] = (uint32_t)(c >> 32);
    }
    __m128i clo = _mm_loadu_si128((const __m128i *)(const void *)lo);
    __m128i chi = _mm_loadu_si128((const __m128i *)(const void *)hi);
    for (size_t blk = 0; blk < blocks; blk++) {
        uint8_t f = flags;
        if (blk == 0) f |= flags_start;
        if (blk + 1 == blocks) f |= flags_end;
        __m128i m[16], v[16];
        load_msg4(m, in, 64 * blk);
        for (int i = 0; i < 8; i++) v[i] = h[i];
        for (int i = 0; i < 4; i++) v[8 + i] = _mm_set1_epi32((int)b3_iv[i]);
        v[12] = clo;
        v[13] = chi;
        v[14] = _mm_set1_epi32(64);
        v[15] = _mm_set1_epi32((int)f);
        ROUND4(0);
        ROUND4(1);
        ROUND4(2);
        ROUND4(3);
        ROUND4(4);
        ROUND4(5);
        ROUND4(6);
        for (int i = 0; i < 8; i++) h[i] = _mm_xor_si128(v[i], v[i + 8]);
    }
    transpose4(&h[0], &h[1], &h[2], &h[3]);
    transpose4(&h[4], &h[5], &h[6], &h[7]);
    for (int i = 0; i < 4; i++) {
        _mm_storeu_si128((__m128i *)(void *)(out + 32 * i), h[i]);
        _mm_storeu_si128((__m128i *)(void *)(out + 32 * i + 16), h[4 + i]);
    }
}

B3_SSE41 void esgx_b3_hash_many_sse41(const uint8_t *const *inputs, size_t num_inputs,
                                 size_t blocks, const uint32_t key[8], uint64_t counter,
                                 int increment_counter, uint8_t flags, uint8_t flags_start,
                                 uint8_t flags_end, uint8_t *out)
{
    while (num_inputs >= 4) {
        hash4(inputs, blocks, key, counter, increment_counter, flags, flags_start, flags_end,
              out);
        if (increment_counter) counter += 4;
        inputs += 4;
        num_inputs -= 4;
        out += 4 * 32;
    }
    for (; num_inputs; num_inputs--, inputs++, out += 32) {
        uint32_t cv[8];
        memcpy(cv, key, sizeof cv);
        for (size_t blk = 0; blk < blocks; blk++) {
            uint8_t f = flags;
            if (blk == 0) f |= flags_start;
            if (blk + 1 == blocks) f |= flags_end;
            esgx_b3_compress_in_place_sse41(cv, inputs[0] + 64 * blk, 64, counter, f);
        }
        memcpy(out, cv, 32);
        if (increment_counter) counter++;
    }
}

#endif
