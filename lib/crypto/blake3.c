/*
 * blake3.c: BLAKE3 (hash, keyed hash, derive_key, XOF) and the esgx output tree.
 *
 * Design. The input is split in 1 KiB chunks; each chunk is compressed block by block
 * (64 bytes) into a chaining value (CV), and CVs are merged pairwise by "parent"
 * compressions into a binary tree whose left subtrees always hold the largest power of
 * two number of chunks. The last compression (the root) carries the ROOT flag and its
 * counter selects which 64 bytes of extended output come out.
 *
 * The hasher keeps the partial chunk and a stack of CVs of complete subtrees. Merging
 * is lazy: CVs are merged only when a later CV arrives, because the last merge must be
 * the root and we cannot know which merge is last until finalize. Whole chunks that are
 * already present in one update() call are not fed one at a time: the largest aligned
 * power-of-two run of them is hashed as one subtree with the back end's hash_many
 * (4, 8 or 16 chunks in parallel, then parents in parallel) down to two CVs, which are
 * pushed on the stack like two halves of that subtree.
 *
 * Back ends (blake3_impl.h): portable C here, SSE4.1 (4-way) in blake3_sse41.c, AVX2
 * (8-way) in blake3_avx2.c, AVX-512 (16-way, its tail 8-way on 256-bit vectors with
 * AVX-512VL) in blake3_avx512.c, all with per-function target attributes. The
 * one in use is chosen on first use: the env var ESGX_BLAKE3_IMPL (portable|sse41|avx2|
 * avx512) if set and supported, else the best the CPU has; esgx_blake3_impl_select()
 * overrides it.
 *
 * The output tree (esgx_blake3_tree) hashes each 256 KiB block as one subtree and merges the
 * block CVs with a stack exactly as described in esgx_crypto.h.
 */
#include "esgx_crypto.h"
#include "blake3_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- portable back end */

static inline uint32_t rotr32(uint32_t x, int n)
{
    return (x >> n) | (x << (32 - n));
}

#define B3_G(a, b, c, d, x, y)                                                           \
    do {                                                                                 \
        v[a] = v[a] + v[b] + (x);                                                        \
        v[d] = rotr32(v[d] ^ v[a], 16);                                                  \
        v[c] = v[c] + v[d];                                                              \
        v[b] = rotr32(v[b] ^ v[c], 12);                                                  \
        v[a] = v[a] + v[b] + (y);                                                        \
        v[d] = rotr32(v[d] ^ v[a], 8);                                                   \
        v[c] = v[c] + v[d];                                                              \
        v[b] = rotr32(v[b] ^ v[c], 7);                                                   \
    } while (0)

/* The full 16-word state after the 7 rounds, before the feed-forward. */
static void portable_core(uint32_t v[16], const uint32_t cv[8], const uint8_t block[64],
                          uint8_t block_len, uint64_t counter, uint8_t flags)
{
    uint32_t m[16];
    for (int i = 0; i < 16; i++) m[i] = b3_load32(block + 4 * i);
    for (int i = 0; i < 8; i++) v[i] = cv[i];
    for (int i = 0; i < 4; i++) v[8 + i] = b3_iv[i];
    v[12] = (uint32_t)counter;
    v[13] = (uint32_t)(counter >> 32);
    v[14] = block_len;
    v[15] = flags;
    for (int r = 0; r < 7; r++) {
        const uint8_t *s = b3_schedule[r];
        B3_G(0, 4, 8, 12, m[s[0]], m[s[1]]);
        B3_G(1, 5, 9, 13, m[s[2]], m[s[3]]);
        B3_G(2, 6, 10, 14, m[s[4]], m[s[5]]);
        B3_G(3, 7, 11, 15, m[s[6]], m[s[7]]);
        B3_G(0, 5, 10, 15, m[s[8]], m[s[9]]);
        B3_G(1, 6, 11, 12, m[s[10]], m[s[11]]);
        B3_G(2, 7, 8, 13, m[s[12]], m[s[13]]);
        B3_G(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
}

static void compress_in_place_portable(uint32_t cv[8], const uint8_t block[64],
                                       uint8_t block_len, uint64_t counter, uint8_t flags)
{
    uint32_t v[16];
    portable_core(v, cv, block, block_len, counter, flags);
    for (int i = 0; i < 8; i++) cv[i] = v[i] ^ v[i + 8];
}

static void compress_xof_portable(const uint32_t cv[8], const uint8_t block[64],
                                  uint8_t block_len, uint64_t counter, uint8_t flags,
                                  uint8_t out[64])
{
    uint32_t v[16];
    portable_core(v, cv, block, block_len, counter, flags);
    for (int i = 0; i < 8; i++) {
        b3_store32(out + 4 * i, v[i] ^ v[i + 8]);
        b3_store32(out + 32 + 4 * i, v[i + 8] ^ cv[i]);
    }
}

static void hash_many_portable(const uint8_t *const *inputs, size_t num_inputs,
                               size_t blocks, const uint32_t key[8], uint64_t counter,
                               int increment_counter, uint8_t flags, uint8_t flags_start,
                               uint8_t flags_end, uint8_t *out)
{
    for (size_t i = 0; i < num_inputs; i++) {
        uint32_t cv[8];
        memcpy(cv, key, sizeof cv);
        for (size_t b = 0; b < blocks; b++) {
            uint8_t f = flags;
            if (b == 0) f |= flags_start;
            if (b + 1 == blocks) f |= flags_end;
            compress_in_place_portable(cv, inputs[i] + 64 * b, 64, counter, f);
        }
        for (int w = 0; w < 8; w++) b3_store32(out + 32 * i + 4 * w, cv[w]);
        if (increment_counter) counter++;
    }
}

/* ---------------------------------------------------------------- back-end choice */

static const b3_backend backend_portable = {
    "portable", 4, compress_in_place_portable, compress_xof_portable, hash_many_portable};
#ifdef B3_HAVE_X86
static const b3_backend backend_sse41 = {"sse41", 4, esgx_b3_compress_in_place_sse41,
                                         esgx_b3_compress_xof_sse41, esgx_b3_hash_many_sse41};
static const b3_backend backend_avx2 = {"avx2", 8, esgx_b3_compress_in_place_sse41,
                                        esgx_b3_compress_xof_sse41, esgx_b3_hash_many_avx2};
static const b3_backend backend_avx512 = {"avx512", 16, esgx_b3_compress_in_place_sse41,
                                          esgx_b3_compress_xof_sse41, esgx_b3_hash_many_avx512x16};
#endif

static const b3_backend *active_backend;

static const b3_backend *backend_for(esgx_blake3_impl impl)
{
#ifdef B3_HAVE_X86
    __builtin_cpu_init();
    int sse41 = __builtin_cpu_supports("sse4.1");
    int avx2 = sse41 && __builtin_cpu_supports("avx2");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                 __builtin_cpu_supports("avx512vl");
    switch (impl) {
    case ESGX_BLAKE3_IMPL_AUTO:
        return avx512 ? &backend_avx512 : avx2 ? &backend_avx2 : sse41 ? &backend_sse41
                                                                       : &backend_portable;
    case ESGX_BLAKE3_IMPL_PORTABLE: return &backend_portable;
    case ESGX_BLAKE3_IMPL_SSE41: return sse41 ? &backend_sse41 : NULL;
    case ESGX_BLAKE3_IMPL_AVX2: return avx2 ? &backend_avx2 : NULL;
    case ESGX_BLAKE3_IMPL_AVX512: return avx512 ? &backend_avx512 : NULL;
    }
    return NULL;
#else
    return impl == ESGX_BLAKE3_IMPL_AUTO || impl == ESGX_BLAKE3_IMPL_PORTABLE ? &backend_portable : NULL;
#endif
}

static const b3_backend *backend(void)
{
    const b3_backend *b = __atomic_load_n(&active_backend, __ATOMIC_ACQUIRE);
    if (b) return b;
    b = backend_for(ESGX_BLAKE3_IMPL_AUTO);
    const char *env = getenv("ESGX_BLAKE3_IMPL");
    if (env && *env) {
        esgx_blake3_impl want = !strcmp(env, "portable") ? ESGX_BLAKE3_IMPL_PORTABLE
                           : !strcmp(env, "sse41")  ? ESGX_BLAKE3_IMPL_SSE41
                           : !strcmp(env, "avx2")   ? ESGX_BLAKE3_IMPL_AVX2
                           : !strcmp(env, "avx512") ? ESGX_BLAKE3_IMPL_AVX512
                                                    : ESGX_BLAKE3_IMPL_AUTO;
        const b3_backend *forced = want == ESGX_BLAKE3_IMPL_AUTO ? NULL : backend_for(want);
        if (forced)
            b = forced;
        else if (strcmp(env, "auto"))
            fprintf(stderr, "esgx: ESGX_BLAKE3_IMPL=%s is unknown or not supported by this "
                            "CPU; using %s\n", env, b->name);
    }
    const b3_backend *expected = NULL;
    if (!__atomic_compare_exchange_n(&active_backend, &expected, b, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        b = expected;
    return b;
}

int esgx_blake3_impl_select(esgx_blake3_impl impl)
{
    const b3_backend *b = backend_for(impl);
    if (!b) return ESGX_CRYPTO_E_ARG;
    __atomic_store_n(&active_backend, b, __ATOMIC_RELEASE);
    return ESGX_OK;
}

const char *esgx_blake3_impl_name(void)
{
    return backend()->name;
}

/* ---------------------------------------------------------------- outputs */

/* A compression not yet done: it yields a CV, or (as the root) any amount of output. */
typedef struct b3_output {
    uint32_t cv[8];
    uint8_t block[64];
    uint8_t block_len;
    uint64_t counter;
    uint8_t flags;
} b3_output;

static void output_cv(const b3_backend *be, const b3_output *o, uint8_t out[32])
{
    uint32_t cv[8];
    memcpy(cv, o->cv, sizeof cv);
    be->compress_in_place(cv, o->block, o->block_len, o->counter, o->flags);
    for (int i = 0; i < 8; i++) b3_store32(out + 4 * i, cv[i]);
}

static void output_root_bytes(const b3_backend *be, const b3_output *o, uint64_t seek,
                              uint8_t *out, size_t out_len)
{
    uint64_t counter = seek / 64;
    size_t skip = (size_t)(seek % 64);
    uint8_t buf[64];
    while (out_len) {
        be->compress_xof(o->cv, o->block, o->block_len, counter, o->flags | B3_ROOT, buf);
        size_t n = 64 - skip;
        if (n > out_len) n = out_len;
        memcpy(out, buf + skip, n);
        out += n;
        out_len -= n;
        skip = 0;
        counter++;
    }
    esgx_crypto_wipe(buf, sizeof buf);
}

static void parent_output(b3_output *o, const uint8_t block[64], const uint32_t key[8],
                          uint8_t flags)
{
    memcpy(o->cv, key, sizeof o->cv);
    memcpy(o->block, block, 64);
    o->block_len = 64;
    o->counter = 0;
    o->flags = flags | B3_PARENT;
}

/* ---------------------------------------------------------------- subtrees */

/* Bytes in the left subtree of an input of len > CHUNK_LEN bytes: the largest power of
 * two number of chunks strictly less than the number of chunks. */
static size_t left_len(size_t len)
{
    size_t chunks = (len - 1) / ESGX_BLAKE3_CHUNK_LEN; /* full chunks before the last one */
    size_t p = 1;
    while (p * 2 <= chunks) p *= 2;
    return p * ESGX_BLAKE3_CHUNK_LEN;
}

/* CVs of all chunks of input (the last may be partial, but not empty), in order. */
static size_t chunks_parallel(const b3_backend *be, const uint8_t *in, size_t len,
                              const uint32_t key[8], uint64_t counter, uint8_t flags,
                              uint8_t *out)
{
    const uint8_t *ptrs[B3_MAX_DEGREE];
    size_t n = len / ESGX_BLAKE3_CHUNK_LEN; /* whole chunks; the caller keeps n <= degree */
    for (size_t i = 0; i < n; i++) ptrs[i] = in + i * ESGX_BLAKE3_CHUNK_LEN;
    be->hash_many(ptrs, n, ESGX_BLAKE3_CHUNK_LEN / 64, key, counter, 1, flags, B3_CHUNK_START,
                  B3_CHUNK_END, out);
    size_t rest = len - n * ESGX_BLAKE3_CHUNK_LEN;
    if (rest) {
        /* The partial last chunk: every block but the last is full. */
        const uint8_t *p = in + n * ESGX_BLAKE3_CHUNK_LEN;
        b3_output o;
        memcpy(o.cv, key, sizeof o.cv);
        uint8_t f = B3_CHUNK_START;
        while (rest > 64) {
            be->compress_in_place(o.cv, p, 64, counter + n, flags | f);
            f = 0;
            p += 64;
            rest -= 64;
        }
        memset(o.block, 0, sizeof o.block);
        memcpy(o.block, p, rest);
        o.block_len = (uint8_t)rest;
        o.counter = counter + n;
        o.flags = flags | f | B3_CHUNK_END;
        output_cv(be, &o, out + 32 * n);
        esgx_crypto_wipe(&o, sizeof o);
        n++;
    }
    return n;
}

/* Replaces n CVs (at cvs) by the parents of consecutive pairs (written to out); an odd
 * last CV is copied through. Returns the new count. */
static size_t parents_parallel(const b3_backend *be, const uint8_t *cvs, size_t n,
                               const uint32_t key[8], uint8_t flags, uint8_t *out)
{
    const uint8_t *ptrs[B3_MAX_DEGREE];
    size_t pairs = n / 2;
    for (size_t i = 0; i < pairs; i++) ptrs[i] = cvs + 64 * i;
    be->hash_many(ptrs, pairs, 1, key, 0, 0, flags | B3_PARENT, 0, 0, out);
    if (n % 2) memmove(out + 32 * pairs, cvs + 64 * pairs, 32);
    return pairs + n % 2;
}

/* Hashes a subtree of len > CHUNK_LEN bytes starting at chunk `counter` (which must be
 * a multiple of the subtree's power-of-two size) down to at most `degree` CVs (at least
 * 2) of nodes at one level of the tree, left to right. Returns their count. */
static size_t subtree_wide(const b3_backend *be, const uint8_t *in, size_t len,
                           const uint32_t key[8], uint64_t counter, uint8_t flags,
                           uint8_t *out)
{
    if (len <= be->degree * ESGX_BLAKE3_CHUNK_LEN)
        return chunks_parallel(be, in, len, key, counter, flags, out);
    size_t l = left_len(len);
    /* Left then right CVs side by side: each side gives at most degree CVs. */
    uint8_t cvs[2 * B3_MAX_DEGREE * 32];
    size_t nl = subtree_wide(be, in, l, key, counter, flags, cvs);
    size_t nr = subtree_wide(be, in + l, len - l, key, counter + l / ESGX_BLAKE3_CHUNK_LEN,
                             flags, cvs + 32 * nl);
    return parents_parallel(be, cvs, nl + nr, key, flags, out);
}

/* Hashes a subtree of len > CHUNK_LEN bytes to the two CVs of its root's children. */
static void subtree_to_pair(const b3_backend *be, const uint8_t *in, size_t len,
                            const uint32_t key[8], uint64_t counter, uint8_t flags,
                            uint8_t pair[64])
{
    uint8_t cvs[B3_MAX_DEGREE * 32];
    size_t n = subtree_wide(be, in, len, key, counter, flags, cvs);
    while (n > 2) {
        uint8_t next[B3_MAX_DEGREE * 32];
        n = parents_parallel(be, cvs, n, key, flags, next);
        memcpy(cvs, next, 32 * n);
    }
    memcpy(pair, cvs, 64);
}

/* ---------------------------------------------------------------- chunk state */

static size_t chunk_len(const esgx_blake3_hasher *h)
{
    return (size_t)h->blocks_compressed * 64 + h->buf_len;
}

static void chunk_reset(esgx_blake3_hasher *h, uint64_t counter)
{
    memcpy(h->cv, h->key, sizeof h->cv);
    h->chunk_counter = counter;
    memset(h->buf, 0, sizeof h->buf);
    h->buf_len = 0;
    h->blocks_compressed = 0;
}

static uint8_t chunk_start_flag(const esgx_blake3_hasher *h)
{
    return h->blocks_compressed == 0 ? B3_CHUNK_START : 0;
}

/* Adds len bytes (the chunk must have room). The last block always stays buffered. */
static void chunk_update(const b3_backend *be, esgx_blake3_hasher *h, const uint8_t *in,
                         size_t len)
{
    if (h->buf_len) {
        size_t take = 64 - h->buf_len;
        if (take > len) take = len;
        memcpy(h->buf + h->buf_len, in, take);
        h->buf_len = (uint8_t)(h->buf_len + take);
        in += take;
        len -= take;
        if (!len) return;
        be->compress_in_place(h->cv, h->buf, 64, h->chunk_counter,
                              h->flags | chunk_start_flag(h));
        h->blocks_compressed++;
        h->buf_len = 0;
        memset(h->buf, 0, sizeof h->buf);
    }
    while (len > 64) {
        be->compress_in_place(h->cv, in, 64, h->chunk_counter,
                              h->flags | chunk_start_flag(h));
        h->blocks_compressed++;
        in += 64;
        len -= 64;
    }
    memcpy(h->buf, in, len);
    h->buf_len = (uint8_t)len;
}

static void chunk_output(const esgx_blake3_hasher *h, b3_output *o)
{
    memcpy(o->cv, h->cv, sizeof o->cv);
    memcpy(o->block, h->buf, 64);
    o->block_len = h->buf_len;
    o->counter = h->chunk_counter;
    o->flags = h->flags | chunk_start_flag(h) | B3_CHUNK_END;
}

/* ---------------------------------------------------------------- hasher */

static void hasher_init_flags(esgx_blake3_hasher *h, const uint32_t key[8], uint8_t flags)
{
    memcpy(h->key, key, sizeof h->key);
    h->flags = flags;
    h->cv_stack_len = 0;
    chunk_reset(h, 0);
}

void esgx_blake3_init(esgx_blake3_hasher *h)
{
    hasher_init_flags(h, b3_iv, 0);
}

void esgx_blake3_init_keyed(esgx_blake3_hasher *h, const uint8_t key[ESGX_BLAKE3_KEY_LEN])
{
    uint32_t k[8];
    for (int i = 0; i < 8; i++) k[i] = b3_load32(key + 4 * i);
    hasher_init_flags(h, k, B3_KEYED_HASH);
    esgx_crypto_wipe(k, sizeof k);
}

void esgx_blake3_init_derive_key(esgx_blake3_hasher *h, const void *context,
                                   size_t context_len)
{
    esgx_blake3_hasher ctx;
    hasher_init_flags(&ctx, b3_iv, B3_DERIVE_KEY_CONTEXT);
    esgx_blake3_update(&ctx, context, context_len);
    uint8_t ck[ESGX_BLAKE3_KEY_LEN];
    esgx_blake3_finalize(&ctx, ck, sizeof ck);
    uint32_t k[8];
    for (int i = 0; i < 8; i++) k[i] = b3_load32(ck + 4 * i);
    hasher_init_flags(h, k, B3_DERIVE_KEY_MATERIAL);
    esgx_crypto_wipe(k, sizeof k);
    esgx_crypto_wipe(ck, sizeof ck);
    esgx_blake3_wipe(&ctx);
}

/* Merges the top of the CV stack so that it holds one CV per 1 bit of `total_chunks`
 * (the chunks before the CV about to be pushed). Lazy: never merges the last pair. */
static void merge_cv_stack(const b3_backend *be, esgx_blake3_hasher *h, uint64_t total_chunks)
{
    size_t keep = (size_t)__builtin_popcountll(total_chunks);
    while (h->cv_stack_len > keep) {
        uint8_t *pair = h->cv_stack + (h->cv_stack_len - 2) * ESGX_BLAKE3_OUT_LEN;
        b3_output o;
        parent_output(&o, pair, h->key, h->flags);
        output_cv(be, &o, pair);
        h->cv_stack_len--;
        esgx_crypto_wipe(&o, sizeof o); /* o.cv held the key */
    }
}

static void push_cv(const b3_backend *be, esgx_blake3_hasher *h, const uint8_t cv[32],
                    uint64_t chunk_counter)
{
    merge_cv_stack(be, h, chunk_counter);
    memcpy(h->cv_stack + h->cv_stack_len * ESGX_BLAKE3_OUT_LEN, cv, ESGX_BLAKE3_OUT_LEN);
    h->cv_stack_len++;
}

void esgx_blake3_update(esgx_blake3_hasher *h, const void *input, size_t len)
{
    const b3_backend *be = backend();
    const uint8_t *in = input;
    if (!len) return;

    /* Finish a partial chunk first; push it only once more input is known to follow. */
    if (chunk_len(h) > 0) {
        size_t take = ESGX_BLAKE3_CHUNK_LEN - chunk_len(h);
        if (take > len) take = len;
        chunk_update(be, h, in, take);
        in += take;
        len -= take;
        if (!len) return;
        b3_output o;
        uint8_t cv[32];
        chunk_output(h, &o);
        output_cv(be, &o, cv);
        esgx_crypto_wipe(&o, sizeof o);
        push_cv(be, h, cv, h->chunk_counter);
        chunk_reset(h, h->chunk_counter + 1);
    }

    /* Whole subtrees while more than one chunk remains: the largest power of two that
     * fits the input and is aligned with the chunks hashed so far. */
    while (len > ESGX_BLAKE3_CHUNK_LEN) {
        size_t sub = (size_t)1 << (63 - __builtin_clzll((unsigned long long)len));
        uint64_t done = h->chunk_counter * ESGX_BLAKE3_CHUNK_LEN;
        while (((uint64_t)(sub - 1) & done) != 0) sub >>= 1;
        uint64_t sub_chunks = sub / ESGX_BLAKE3_CHUNK_LEN;
        if (sub == ESGX_BLAKE3_CHUNK_LEN) {
            uint8_t cv[32];
            be->hash_many(&in, 1, ESGX_BLAKE3_CHUNK_LEN / 64, h->key, h->chunk_counter, 1,
                          h->flags, B3_CHUNK_START, B3_CHUNK_END, cv);
            push_cv(be, h, cv, h->chunk_counter);
        } else {
            uint8_t pair[64];
            subtree_to_pair(be, in, sub, h->key, h->chunk_counter, h->flags, pair);
            push_cv(be, h, pair, h->chunk_counter);
            push_cv(be, h, pair + 32, h->chunk_counter + sub_chunks / 2);
        }
        h->chunk_counter += sub_chunks;
        in += sub;
        len -= sub;
    }

    if (len) {
        chunk_update(be, h, in, len);
        merge_cv_stack(be, h, h->chunk_counter);
    }
}

void esgx_blake3_finalize_seek(const esgx_blake3_hasher *h, uint64_t seek, uint8_t *out,
                                 size_t out_len)
{
    const b3_backend *be = backend();
    b3_output o;
    size_t remaining;
    if (!out_len) return;
    if (h->cv_stack_len == 0) {
        chunk_output(h, &o);
        output_root_bytes(be, &o, seek, out, out_len);
        esgx_crypto_wipe(&o, sizeof o);
        return;
    }
    if (chunk_len(h) > 0) {
        remaining = h->cv_stack_len;
        chunk_output(h, &o);
    } else {
        /* Input ended exactly after a subtree: the top two CVs are the last pair. */
        remaining = h->cv_stack_len - 2u;
        parent_output(&o, h->cv_stack + remaining * ESGX_BLAKE3_OUT_LEN, h->key, h->flags);
    }
    while (remaining > 0) {
        remaining--;
        uint8_t block[64];
        memcpy(block, h->cv_stack + remaining * ESGX_BLAKE3_OUT_LEN, 32);
        output_cv(be, &o, block + 32);
        parent_output(&o, block, h->key, h->flags);
    }
    output_root_bytes(be, &o, seek, out, out_len);
    esgx_crypto_wipe(&o, sizeof o);
}

void esgx_blake3_finalize(const esgx_blake3_hasher *h, uint8_t *out, size_t out_len)
{
    esgx_blake3_finalize_seek(h, 0, out, out_len);
}

void esgx_blake3_wipe(esgx_blake3_hasher *h)
{
    esgx_crypto_wipe(h, sizeof *h);
}

void esgx_blake3_hash(const void *in, size_t len, uint8_t out[ESGX_BLAKE3_OUT_LEN])
{
    esgx_blake3_hasher h;
    esgx_blake3_init(&h);
    esgx_blake3_update(&h, in, len);
    esgx_blake3_finalize(&h, out, ESGX_BLAKE3_OUT_LEN);
}

/* ---------------------------------------------------------------- output tree */

size_t esgx_blake3_tree_node_count(uint64_t len)
{
    uint64_t blocks = (len + ESGX_BLAKE3_TREE_BLOCK_LEN - 1) / ESGX_BLAKE3_TREE_BLOCK_LEN;
    if (blocks == 0) blocks = 1;
    return (size_t)(2 * blocks - 1);
}

/* Non-root CV of the subtree over in[0..len) (0 < len <= one tree block), whose first
 * chunk has index `counter`. */
static void block_cv(const b3_backend *be, const uint8_t *in, size_t len, uint64_t counter,
                     uint8_t out[32])
{
    b3_output o;
    if (len > ESGX_BLAKE3_CHUNK_LEN) {
        uint8_t pair[64];
        subtree_to_pair(be, in, len, b3_iv, counter, 0, pair);
        parent_output(&o, pair, b3_iv, 0);
    } else {
        esgx_blake3_hasher h;
        hasher_init_flags(&h, b3_iv, 0);
        h.chunk_counter = counter;
        chunk_update(be, &h, in, len);
        chunk_output(&h, &o);
    }
    output_cv(be, &o, out);
}

int esgx_blake3_tree(const void *data, size_t len, uint8_t *nodes, size_t nodes_cap,
                size_t *node_count, esgx_err *err)
{
    if ((!data && len) || !nodes || !node_count)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "blake3_tree: NULL argument");
    size_t count = esgx_blake3_tree_node_count(len);
    if (count > nodes_cap / ESGX_BLAKE3_OUT_LEN)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER,
                            "blake3_tree: %zu nodes need %zu bytes, room for %zu", count,
                            count * ESGX_BLAKE3_OUT_LEN, nodes_cap);
    const b3_backend *be = backend();
    const uint8_t *in = data;
    size_t blocks = (count + 1) / 2, n = 0;
    if (blocks == 1) {
        esgx_blake3_hash(in, len, nodes);
        *node_count = 1;
        return ESGX_OK;
    }
    /* Stack of CVs of complete subtrees of blocks (one per 1 bit of blocks seen). */
    uint8_t stack[64 * ESGX_BLAKE3_OUT_LEN];
    size_t depth = 0;
    for (size_t i = 0; i < blocks; i++) {
        size_t off = i * (size_t)ESGX_BLAKE3_TREE_BLOCK_LEN;
        size_t blen = len - off < ESGX_BLAKE3_TREE_BLOCK_LEN ? len - off : ESGX_BLAKE3_TREE_BLOCK_LEN;
        uint64_t counter = (uint64_t)i * (ESGX_BLAKE3_TREE_BLOCK_LEN / ESGX_BLAKE3_CHUNK_LEN);
        block_cv(be, in + off, blen, counter, stack + depth * 32);
        memcpy(nodes + 32 * n++, stack + depth * 32, 32);
        depth++;
        if (i + 1 == blocks) break;
        /* Not the last block: eagerly merge complete subtrees (never the root). */
        size_t keep = (size_t)__builtin_popcountll((unsigned long long)(i + 1));
        while (depth > keep) {
            b3_output o;
            parent_output(&o, stack + (depth - 2) * 32, b3_iv, 0);
            output_cv(be, &o, stack + (depth - 2) * 32);
            depth--;
            memcpy(nodes + 32 * n++, stack + (depth - 1) * 32, 32);
        }
    }
    /* After the last block: merge right to left, the final merge as the root. */
    while (depth > 1) {
        b3_output o;
        parent_output(&o, stack + (depth - 2) * 32, b3_iv, 0);
        if (depth == 2)
            output_root_bytes(be, &o, 0, stack, 32);
        else
            output_cv(be, &o, stack + (depth - 2) * 32);
        depth--;
        memcpy(nodes + 32 * n++, stack + (depth - 1) * 32, 32);
    }
    *node_count = n;
    return ESGX_OK;
}
