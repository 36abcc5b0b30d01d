/*
 * esgx_sha256.h: SHA-256 (FIPS 180-4) for guests, e.g. the digest that
 * fn0_derived_key_sign signs. Streaming (init/update/final) and one-shot. Plain
 * portable C, no tables beyond the round constants; self-contained (stdint only).
 */
#ifndef ESGX_SHA256_H
#define ESGX_SHA256_H

#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t total;      /* bytes hashed so far */
    uint8_t block[64];
    uint32_t used;       /* bytes in block */
} esgx_sha256_ctx;

#define ESGX_SHA256_ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Hashes one 64-byte block into ctx->h. */
static inline void esgx_sha256_block(esgx_sha256_ctx *ctx, const uint8_t *p)
{
    static const uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    };
    uint32_t w[64], a, b, c, d, e, f, g, h;
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ESGX_SHA256_ROR(w[i - 15], 7) ^ ESGX_SHA256_ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ESGX_SHA256_ROR(w[i - 2], 17) ^ ESGX_SHA256_ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = ctx->h[0]; b = ctx->h[1]; c = ctx->h[2]; d = ctx->h[3];
    e = ctx->h[4]; f = ctx->h[5]; g = ctx->h[6]; h = ctx->h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ESGX_SHA256_ROR(e, 6) ^ ESGX_SHA256_ROR(e, 11) ^ ESGX_SHA256_ROR(e, 25)) +
                      ((e & f) ^ (~e & g)) + k[i] + w[i];
        uint32_t t2 = (ESGX_SHA256_ROR(a, 2) ^ ESGX_SHA256_ROR(a, 13) ^ ESGX_SHA256_ROR(a, 22)) +
                      ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    ctx->h[0] += a; ctx->h[1] += b; ctx->h[2] += c; ctx->h[3] += d;
    ctx->h[4] += e; ctx->h[5] += f; ctx->h[6] += g; ctx->h[7] += h;
}

/* Starts a hash in ctx. */
static inline void esgx_sha256_init(esgx_sha256_ctx *ctx)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int i = 0; i < 8; i++) ctx->h[i] = iv[i];
    ctx->total = 0;
    ctx->used = 0;
}

/* Adds data[0..n) to the hash in ctx. */
static inline void esgx_sha256_update(esgx_sha256_ctx *ctx, const void *data, uint32_t n)
{
    const uint8_t *p = data;
    ctx->total += n;
    while (n) {
        if (ctx->used == 0 && n >= 64) {
            esgx_sha256_block(ctx, p);
            p += 64;
            n -= 64;
            continue;
        }
        uint32_t take = 64 - ctx->used < n ? 64 - ctx->used : n;
        for (uint32_t i = 0; i < take; i++) ctx->block[ctx->used + i] = p[i];
        ctx->used += take;
        p += take;
        n -= take;
        if (ctx->used == 64) {
            esgx_sha256_block(ctx, ctx->block);
            ctx->used = 0;
        }
    }
}

/* Finishes the hash in ctx and writes the 32-byte digest to out. */
static inline void esgx_sha256_final(esgx_sha256_ctx *ctx, uint8_t out[32])
{
    uint64_t bits = ctx->total * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    esgx_sha256_update(ctx, &pad, 1);
    while (ctx->used != 56) esgx_sha256_update(ctx, &zero, 1);
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    esgx_sha256_update(ctx, len, 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(ctx->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)ctx->h[i];
    }
}

/* Writes SHA-256(data[0..n)) to out (32 bytes). */
static inline void esgx_sha256(const void *data, uint32_t n, uint8_t out[32])
{
    esgx_sha256_ctx ctx;
    esgx_sha256_init(&ctx);
    esgx_sha256_update(&ctx, data, n);
    esgx_sha256_final(&ctx, out);
}

#endif
