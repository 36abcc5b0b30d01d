/*
 * blake3_impl.h: internal interface between the BLAKE3 driver (blake3.c) and its
 * compression back ends (portable in blake3.c, SSE4.1 in blake3_sse41.c, AVX2 and the
 * 8-way AVX-512VL tail in blake3_avx2.c, 16-way AVX-512 in blake3_avx512.c). Not part
 * of the public API.
 *
 * A back end provides three operations, all on little-endian byte strings:
 *   compress_in_place  one compression; cv (8 words) is replaced by the new chaining
 *                      value (the first half of the output).
 *   compress_xof       one compression; out gets the full 64-byte extended output.
 *   hash_many          num_inputs independent inputs of `blocks` 64-byte blocks each,
 *                      each hashed from cv = key; block b gets flags | (b == 0 ?
 *                      flags_start : 0) | (b == blocks-1 ? flags_end : 0); input i
 *                      uses counter + (increment_counter ? i : 0). out gets
 *                      num_inputs * 32 bytes (chaining values, in input order).
 * hash_many is how whole chunks (blocks = 16, CHUNK_START/CHUNK_END) and parent nodes
 * (blocks = 1, PARENT, counter 0) are compressed several at a time.
 * Errors: none; every operation here is total (no error codes, nothing to check).
 */
#ifndef ESGX_BLAKE3_IMPL_H
#define ESGX_BLAKE3_IMPL_H

#include <stddef.h>
#include <stdint.h>

enum {
    B3_CHUNK_START = 1 << 0,
    B3_CHUNK_END = 1 << 1,
    B3_PARENT = 1 << 2,
    B3_ROOT = 1 << 3,
    B3_KEYED_HASH = 1 << 4,
    B3_DERIVE_KEY_CONTEXT = 1 << 5,
    B3_DERIVE_KEY_MATERIAL = 1 << 6,
};

/* The widest hash_many of any back end (inputs per call that run in parallel). */
#define B3_MAX_DEGREE 16

/* The initial value (SHA-256's). Static in each file so constant indices fold. */
static const uint32_t b3_iv[8] = {0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
                                  0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u};

/* Round r uses message word b3_schedule[r][i] where round 0 uses word i; each round's
 * order is the previous one passed through the fixed BLAKE3 permutation
 * (2 6 3 10 7 0 4 13 1 11 12 5 9 14 15 8). */
static const uint8_t b3_schedule[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

typedef void (*b3_compress_in_place_fn)(uint32_t cv[8], const uint8_t block[64],
                                        uint8_t block_len, uint64_t counter, uint8_t flags);
typedef void (*b3_compress_xof_fn)(const uint32_t cv[8], const uint8_t block[64],
                                   uint8_t block_len, uint64_t counter, uint8_t flags,
                                   uint8_t out[64]);
typedef void (*b3_hash_many_fn)(const uint8_t *const *inputs, size_t num_inputs,
                                size_t blocks, const uint32_t key[8], uint64_t counter,
                                int increment_counter, uint8_t flags, uint8_t flags_start,
                                uint8_t flags_end, uint8_t *out);

typedef struct b3_backend {
    const char *name;
    size_t degree;                       /* inputs hash_many handles in parallel (>= 2) */
    b3_compress_in_place_fn compress_in_place;
    b3_compress_xof_fn compress_xof;
    b3_hash_many_fn hash_many;
} b3_backend;

/* Little-endian word load/store helpers shared by the back ends. */
static inline uint32_t b3_load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void b3_store32(uint8_t *p, uint32_t w)
{
    p[0] = (uint8_t)w;
    p[1] = (uint8_t)(w >> 8);
    p[2] = (uint8_t)(w >> 16);
    p[3] = (uint8_t)(w >> 24);
}

#if defined(__x86_64__) || defined(__i386__)
#define B3_HAVE_X86 1
void esgx_b3_compress_in_place_sse41(uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                                uint64_t counter, uint8_t flags);
void esgx_b3_compress_xof_sse41(const uint32_t cv[8], const uint8_t block[64], uint8_t block_len,
                           uint64_t counter, uint8_t flags, uint8_t out[64]);
void esgx_b3_hash_many_sse41(const uint8_t *const *inputs, size_t num_inputs, size_t blocks,
                        const uint32_t key[8], uint64_t counter, int increment_counter,
                        uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void esgx_b3_hash_many_avx2(const uint8_t *const *inputs, size_t num_inputs, size_t blocks,
                       const uint32_t key[8], uint64_t counter, int increment_counter,
                       uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void esgx_b3_hash_many_avx512(const uint8_t *const *inputs, size_t num_inputs, size_t blocks,
                         const uint32_t key[8], uint64_t counter, int increment_counter,
                         uint8_t flags, uint8_t flags_start, uint8_t flags_end, uint8_t *out);
void esgx_b3_hash_many_avx512x16(const uint8_t *const *inputs, size_t num_inputs,
                            size_t blocks, const uint32_t key[8], uint64_t counter,
                            int increment_counter, uint8_t flags, uint8_t flags_start,
                            uint8_t flags_end, uint8_t *out);
#endif

#endif
