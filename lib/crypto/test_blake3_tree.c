/*
 * test_blake3_tree.c: esgx_blake3_tree (docs/formats.md) against an independent,
 * deliberately plain recursive BLAKE3 written here (its own compression function, chunk
 * CVs with the chunk counter offset, parents by the parent compression, the tree split
 * "left = largest power of two strictly less than the total"). For 1, 2, 3, 4, 5, 7,
 * 8 and 9 tree blocks with full and partial last blocks, for every implementation the
 * CPU supports: the node list must equal the reference post-order list, the count must
 * be 2*blocks-1 = esgx_blake3_tree_node_count(), the root must equal esgx_blake3_hash(), and the
 * error returns (small buffer, NULL) must be right.
 */
#include "esgx_crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_test.h"


/* ---------------------------------------------------------------- reference BLAKE3 */

#define R_CHUNK_START 1u
#define R_CHUNK_END 2u
#define R_PARENT 4u
#define R_ROOT 8u

static const uint32_t R_IV[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                                 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
static const int R_PERM[16] = {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8};

static uint32_t r_rot(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

static void r_g(uint32_t s[16], int a, int b, int c, int d, uint32_t x, uint32_t y)
{
    s[a] += s[b] + x;
    s[d] = r_rot(s[d] ^ s[a], 16);
    s[c] += s[d];
    s[b] = r_rot(s[b] ^ s[c], 12);
    s[a] += s[b] + y;
    s[d] = r_rot(s[d] ^ s[a], 8);
    s[c] += s[d];
    s[b] = r_rot(s[b] ^ s[c], 7);
}

/* The compression function; out gets the first 8 words (a chaining value). */
static void r_compress(const uint32_t cv[8], const uint8_t block[64], uint32_t block_len,
                       uint64_t counter, uint32_t flags, uint32_t out[8])
{
    uint32_t m[16], s[16], t[16];
    for (int i = 0; i < 16; i++)
        m[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
               (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
    memcpy(s, cv, 32);
    memcpy(s + 8, R_IV, 16);
    s[12] = (uint32_t)counter;
    s[13] = (uint32_t)(counter >> 32);
    s[14] = block_len;
    s[15] = flags;
    for (int r = 0; r < 7; r++) {
        r_g(s, 0, 4, 8, 12, m[0], m[1]);
        r_g(s, 1, 5, 9, 13, m[2], m[3]);
        r_g(s, 2, 6, 10, 14, m[4], m[5]);
        r_g(s, 3, 7, 11, 15, m[6], m[7]);
        r_g(s, 0, 5, 10, 15, m[8], m[9]);
        r_g(s, 1, 6, 11, 12, m[10], m[11]);
        r_g(s, 2, 7, 8, 13, m[12], m[13]);
        r_g(s, 3, 4, 9, 14, m[14], m[15]);
        for (int i = 0; i < 16; i++) t[i] = m[R_PERM[i]];
        memcpy(m, t, sizeof m);
    }
    for (int i = 0; i < 8; i++) out[i] = s[i] ^ s[i + 8];
}

static void r_words_to_bytes(const uint32_t w[8], uint8_t out[32])
{
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

/* CV of one chunk (len <= 1024, may be 0 only as the whole input). */
static void r_chunk(const uint8_t *in, size_t len, uint64_t counter, uint32_t root,
                    uint8_t out[32])
{
    uint32_t cv[8];
    memcpy(cv, R_IV, 32);
    size_t nblocks = len ? (len + 63) / 64 : 1;
    for (size_t b = 0; b < nblocks; b++) {
        uint8_t block[64] = {0};
        size_t blen = len - 64 * b < 64 ? len - 64 * b : 64;
        memcpy(block, in + 64 * b, blen);
        uint32_t flags = (b == 0 ? R_CHUNK_START : 0) |
                         (b + 1 == nblocks ? R_CHUNK_END | root : 0);
        r_compress(cv, block, (uint32_t)blen, counter, flags, cv);
    }
    r_words_to_bytes(cv, out);
}

static void r_parent(const uint8_t left[32], const uint8_t right[32], uint32_t root,
                     uint8_t out[32])
{
    uint8_t block[64];
    uint32_t cv[8];
    memcpy(block, left, 32);
    memcpy(block + 32, right, 32);
    r_compress(R_IV, block, 64, 0, R_PARENT | root, cv);
    r_words_to_bytes(cv, out);
}

/* CV of the subtree over in[0..len) whose first chunk is number `chunk`. */
static void r_subtree(const uint8_t *in, size_t len, uint64_t chunk, uint32_t root,
                      uint8_t out[32])
{
    if (len <= 1024) {
        r_chunk(in, len, chunk, root, out);
        return;
    }
    size_t chunks = (len + 1023) / 1024, left = 1;
    while (left * 2 < chunks) left *= 2;
    uint8_t l[32], r[32];
    r_subtree(in, left * 1024, chunk, 0, l);
    r_subtree(in + left * 1024, len - left * 1024, chunk + left, 0, r);
    r_parent(l, r, root, out);
}

/* Post-order node list over tree blocks [first, first + count); returns the CV of this
 * node and appends nodes to list (*n of them so far). */
static void r_tree(const uint8_t *data, size_t len, size_t first, size_t count,
                   uint32_t root, uint8_t *list, size_t *n, uint8_t out[32])
{
    const size_t B = ESGX_BLAKE3_TREE_BLOCK_LEN;
    if (count == 1) {
        size_t off = first * B, blen = len - off < B ? len - off : B;
        r_subtree(data + off, blen, (uint64_t)first * (B / 1024), root, out);
    } else {
        size_t left = 1;
        while (left * 2 < count) left *= 2;
        uint8_t l[32], r[32];
        r_tree(data, len, first, left, 0, list, n, l);
        r_tree(data, len, first + left, count - left, 0, list, n, r);
        r_parent(l, r, root, out);
    }
    memcpy(list + 32 * (*n)++, out, 32);
}

/* ---------------------------------------------------------------- tests */

/* Checks every supported implementation on data[0..len) against the reference. */
static size_t check_len(const uint8_t *data, size_t len)
{
    static const esgx_blake3_impl impls[] = {ESGX_BLAKE3_IMPL_PORTABLE, ESGX_BLAKE3_IMPL_SSE41,
                                        ESGX_BLAKE3_IMPL_AVX2, ESGX_BLAKE3_IMPL_AVX512};
    size_t blocks = len ? (len + ESGX_BLAKE3_TREE_BLOCK_LEN - 1) / ESGX_BLAKE3_TREE_BLOCK_LEN : 1;
    size_t want_count = 2 * blocks - 1;
    CHECK(esgx_blake3_tree_node_count(len) == want_count, "node_count(%zu) = %zu, want %zu", len,
          esgx_blake3_tree_node_count(len), want_count);
    uint8_t *want = malloc(32 * want_count), *got = malloc(32 * want_count + 32);
    if (!want || !got) exit(1);
    size_t n = 0, checked = 0;
    uint8_t root[32];
    r_tree(data, len, 0, blocks, R_ROOT, want, &n, root);
    CHECK(n == want_count, "reference made %zu nodes", n);

    for (size_t k = 0; k < sizeof impls / sizeof impls[0]; k++) {
        if (esgx_blake3_impl_select(impls[k])) continue;
        const char *impl = esgx_blake3_impl_name();
        size_t count = 0;
        esgx_err err;
        memset(got, 0x5A, 32 * want_count + 32);
        int rc = esgx_blake3_tree(data, len, got, 32 * want_count + 32, &count, &err);
        CHECK(rc == 0, "%s len %zu: blake3_tree failed: %s", impl, len, err.msg);
        CHECK(count == want_count, "%s len %zu: %zu nodes, want %zu", impl, len, count,
              want_count);
        for (size_t i = 0; i < want_count && i < count; i++)
            CHECK(!memcmp(got + 32 * i, want + 32 * i, 32),
                  "%s len %zu (%zu blocks): node %zu of %zu differs", impl, len, blocks, i,
                  want_count);
        CHECK(got[32 * want_count] == 0x5A, "%s len %zu: wrote past the node list", impl,
              len);

        uint8_t h[32];
        esgx_blake3_hash(data, len, h);
        CHECK(!memcmp(got + 32 * (want_count - 1), h, 32), "%s len %zu: root != blake3_hash",
              impl, len);
        CHECK(!memcmp(root, h, 32), "len %zu: reference root != blake3_hash", len);

        /* One byte too little room. */
        rc = esgx_blake3_tree(data, len, got, 32 * want_count - 1, &count, &err);
        CHECK(rc == ESGX_CRYPTO_E_BUFFER && err.code == ESGX_CRYPTO_E_BUFFER && err.msg[0],
              "%s len %zu: small buffer gave %d", impl, len, rc);
        checked++;
    }
    if (esgx_blake3_impl_select(ESGX_BLAKE3_IMPL_AUTO) != 0) { /* AUTO is always available */
        fprintf(stderr, "cannot select the automatic BLAKE3 implementation\n");
        exit(1);
    }
    free(want);
    free(got);
    return checked;
}

int main(void)
{
    const size_t B = ESGX_BLAKE3_TREE_BLOCK_LEN;
    static const size_t block_counts[] = {1, 2, 3, 4, 5, 7, 8, 9};
    /* Bytes in the last block: full, and partial sizes around chunk boundaries. */
    static const size_t tails[] = {0 /* full */, 1, 1024, 1025, 100000};
    size_t max = 9 * B;
    uint8_t *data = malloc(max);
    if (!data) return 1;
    for (size_t i = 0; i < max; i++) data[i] = (uint8_t)((i * 2654435761u) >> 13);

    size_t cases = 0;
    cases += check_len(data, 0);
    cases += check_len(data, 1);
    cases += check_len(data, 1025);
    for (size_t b = 0; b < sizeof block_counts / sizeof block_counts[0]; b++) {
        for (size_t t = 0; t < sizeof tails / sizeof tails[0]; t++) {
            size_t len = (block_counts[b] - 1) * B + (tails[t] ? tails[t] : B);
            cases += check_len(data, len);
        }
    }

    /* Argument errors. */
    uint8_t node[32];
    size_t count;
    esgx_err err;
    CHECK(esgx_blake3_tree(NULL, 5, node, sizeof node, &count, &err) == ESGX_CRYPTO_E_ARG,
          "NULL data accepted");
    CHECK(esgx_blake3_tree(data, 5, NULL, 32, &count, &err) == ESGX_CRYPTO_E_ARG, "NULL nodes");
    CHECK(esgx_blake3_tree(NULL, 0, node, sizeof node, &count, &err) == 0 && count == 1,
          "empty input with NULL data");
    free(data);
    printf("%zu (length, implementation) tree cases checked\n", cases);
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("blake3 tree: OK\n");
    return 0;
}
