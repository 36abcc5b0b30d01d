/*
 * blake3_x8_kernel.h: the 8-inputs-at-once BLAKE3 kernel on 256-bit vectors, written
 * once and included by blake3_avx2.c for each instruction set it is compiled for.
 * Internal; not a normal header (no include guard on purpose).
 *
 * Before including, define:
 *   B3K_ATTR        the function attribute, e.g. __attribute__((target("avx2")))
 *   B3K_FN(name)    the name of a function of this variant (adds a suffix)
 *   B3K_ROTR(x, n)  rotate each 32-bit lane of x right by n (16, 12, 8, 7)
 *   B3K_TAIL        the hash_many used for fewer than 8 remaining inputs
 * and the file must provide esgx_b3_hash_many_<variant> declared in blake3_impl.h.
 *
 * Layout: one input per 32-bit lane; the 16 state words are 16 vectors v[0..15] and
 * the 16 message words of the current block of the 8 inputs are m[0..15], obtained by
 * two 8x8 word transposes of the raw blocks. A round applies the four column G's and
 * then the four diagonal G's, written step by step across the four G's so the
 * independent operations sit next to each other.
 */

/* One quarter-step of the four G's of a half-round: a += b + x; d = (d ^ a) >>> r1;
 * c += d; b = (b ^ c) >>> r2, on the four (a, b, c, d) index quadruples. */
#define B3K_HALF(a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, a3, b3, c3, d3, x0, x1,    \
                 x2, x3, r1, r2)                                                           \
    do {                                                                                   \
        v[a0] = _mm256_add_epi32(_mm256_add_epi32(v[a0], v[b0]), x0);                      \
        v[a1] = _mm256_add_epi32(_mm256_add_epi32(v[a1], v[b1]), x1);                      \
        v[a2] = _mm256_add_epi32(_mm256_add_epi32(v[a2], v[b2]), x2);                      \
        v[a3] = _mm256_add_epi32(_mm256_add_epi32(v[a3], v[b3]), x3);                      \
        v[d0] = B3K_ROTR(_mm256_xor_si256(v[d0], v[a0]), r1);                              \
        v[d1] = B3K_ROTR(_mm256_xor_si256(v[d1], v[a1]), r1);                              \
        v[d2] = B3K_ROTR(_mm256_xor_si256(v[d2], v[a2]), r1);                              \
        v[d3] = B3K_ROTR(_mm256_xor_si256(v[d3], v[a3]), r1);                              \
        v[c0] = _mm256_add_epi32(v[c0], v[d0]);                                            \
        v[c1] = _mm256_add_epi32(v[c1], v[d1]);                                            \
        v[c2] = _mm256_add_epi32(v[c2], v[d2]);                                            \
        v[c3] = _mm256_add_epi32(v[c3], v[d3]);                                            \
        v[b0] = B3K_ROTR(_mm256_xor_si256(v[b0], v[c0]), r2);                              \
        v[b1] = B3K_ROTR(_mm256_xor_si256(v[b1], v[c1]), r2);                              \
        v[b2] = B3K_ROTR(_mm256_xor_si256(v[b2], v[c2]), r2);                              \
        v[b3] = B3K_ROTR(_mm256_xor_si256(v[b3], v[c3]), r2);                              \
    } while (0)

#define B3K_M(r, i) m[b3_schedule[r][i]]

#define B3K_ROUND(r)                                                                       \
    do {                                                                                   \
        B3K_HALF(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, B3K_M(r, 0),        \
                 B3K_M(r, 2), B3K_M(r, 4), B3K_M(r, 6), 16, 12);                           \
        B3K_HALF(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15, B3K_M(r, 1),        \
                 B3K_M(r, 3), B3K_M(r, 5), B3K_M(r, 7), 8, 7);                             \
        B3K_HALF(0, 5, 10, 15, 1, 6, 11, 12, 2, 7, 8, 13, 3, 4, 9, 14, B3K_M(r, 8),        \
                 B3K_M(r, 10), B3K_M(r, 12), B3K_M(r, 14), 16, 12);                        \
        B3K_HALF(0, 5, 10, 15, 1, 6, 11, 12, 2, 7, 8, 13, 3, 4, 9, 14, B3K_M(r, 9),        \
                 B3K_M(r, 11), B3K_M(r, 13), B3K_M(r, 15), 8, 7);                          \
    } while (0)

/* In-place transpose of an 8x8 matrix of 32-bit words held as 8 row vectors. */
B3K_ATTR static inline void B3K_FN(transpose8)(__m256i r[8])
{
    __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    /* u_k: word k (low 128 bits) and word k+4 (high 128 bits) of rows 0-3 or 4-7. */
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* Message words 0..15 of the block at byte offset off of the 8 inputs. */
B3K_ATTR static inline void B3K_FN(load_msg8)(__m256i m[16], const uint8_t *const *in,
                                              size_t off)
{
    for (int i = 0; i < 8; i++) {
        /* Eight streams 1 KiB apart: help the hardware prefetcher along. */
        _mm_prefetch((const char *)(in[i] + off + 256), _MM_HINT_T0);
        m[i] = _mm256_loadu_si256((const __m256i *)(const void *)(in[i] + off));
        m[8 + i] = _mm256_loadu_si256((const __m256i *)(const void *)(in[i] + off + 32));
    }
    B3K_FN(transpose8)(m);
    B3K_FN(transpose8)(m + 8);
}

B3K_ATTR static void B3K_FN(hash8)(const uint8_t *const *in, size_t blocks,
                                   const uint32_t key[8], uint64_t counter, int inc,
                                   uint8_t flags, uint8_t flags_start, uint8_t flags_end,
                                   uint8_t *out)
{
    __m256i h[8];
    for (int i = 0; i < 8; i++) h[i] = _mm256_set1_epi32((int)key[i]);
    uint32_t lo[8], hi[8];
    for (int i = 0; i < 8; i++) {
        uint64_t c = counter + (inc ? (uint64_t)i : 0);
        lo[i] = (uint32_t)c;
        hi[i] = (uint32_t)(c >> 32);
    }
    const __m256i clo = _mm256_loadu_si256((const __m256i *)(const void *)lo);
    const __m256i chi = _mm256_loadu_si256((const __m256i *)(const void *)hi);
    for (size_t blk = 0; blk < blocks; blk++) {
        uint8_t f = flags;
        if (blk == 0) f |= flags_start;
        if (blk + 1 == blocks) f |= flags_end;
        __m256i m[16], v[16];
        B3K_FN(load_msg8)(m, in, 64 * blk);
        for (int i = 0; i < 8; i++) v[i] = h[i];
        for (int i = 0; i < 4; i++) v[8 + i] = _mm256_set1_epi32((int)b3_iv[i]);
        v[12] = clo;
        v[13] = chi;
        v[14] = _mm256_set1_epi32(64);
        v[15] = _mm256_set1_epi32((int)f);
        B3K_ROUND(0);
        B3K_ROUND(1);
        B3K_ROUND(2);
        B3K_ROUND(3);
        B3K_ROUND(4);
        B3K_ROUND(5);
        B3K_ROUND(6);
        for (int i = 0; i < 8; i++) h[i] = _mm256_xor_si256(v[i], v[i + 8]);
    }
    B3K_FN(transpose8)(h);
    for (int i = 0; i < 8; i++) _mm256_storeu_si256((__m256i *)(void *)(out + 32 * i), h[i]);
}

B3K_ATTR void B3K_FN(esgx_b3_hash_many)(const uint8_t *const *inputs, size_t num_inputs,
                                   size_t blocks, const uint32_t key[8], uint64_t counter,
                                   int increment_counter, uint8_t flags, uint8_t flags_start,
                                   uint8_t flags_end, uint8_t *out)
{
    while (num_inputs >= 8) {
        B3K_FN(hash8)(inputs, blocks, key, counter, increment_counter, flags, flags_start,
                      flags_end, out);
        if (increment_counter) counter += 8;
        inputs += 8;
        num_inputs -= 8;
        out += 8 * 32;
    }
    B3K_TAIL(inputs, num_inputs, blocks, key, counter, increment_counter, flags, flags_start,
             flags_end, out);
}

#undef B3K_HALF
#undef B3K_M
#undef B3K_ROUND
