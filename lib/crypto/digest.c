/*
 * digest.c: the two SHA-256 digests of a response (docs/formats.md).
 *
 *   input_hash = SHA-256("MODULE_HASH" + 64 lowercase hex chars of the module hash +
 *                "MODULE_DECRYPT" + u8 0/1 + "FUEL_LIMIT" + u64be fuel_limit +
 *                "FUNCTION_NAME" + u8 len + name + "INPUT_DATA" + u64be len + input)
 *   response   = SHA-256("INPUT_HASH" + input_hash + "FUEL_USED" + u64be fuel_used +
 *                "OUTPUT_HASH" + output_hash)   (hashes as raw 32 bytes)
 *
 * A call by name or a sealed call extends the input_hash preimage (never changes it):
 *   by name: + "RECORD_NAME" + u8 len + name + "RECORD_OWNER" + owner (33) +
 *              "RECORD_SEQ" + u64be seq
 *   sealed:  + "SEALED_INPUT" + u8 1
 * so a plain call by hash keeps its input_hash byte for byte, and a signed answer names
 * the record it ran under and whether its input and output travelled sealed.
 *
 * The labels carry no terminating NUL. The input is streamed through an EVP context,
 * so large inputs are never copied.
 */
#include "esgx_crypto.h"

#include <string.h>

#include <openssl/evp.h>

static void put_u64be(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

#define ADD(ctx, ok, p, n) ((ok) = (ok) && EVP_DigestUpdate((ctx), (p), (n)) == 1)
#define ADD_LABEL(ctx, ok, s) ADD(ctx, ok, s, sizeof(s) - 1)

int esgx_digest_input_hash(const uint8_t module_hash[32], int decrypt, uint64_t fuel_limit,
                      const char *function, size_t function_len, const uint8_t *input,
                      size_t input_len, uint8_t out[32], esgx_err *err)
{
    return esgx_digest_input_hash_ex(module_hash, decrypt, fuel_limit, function, function_len,
                                     input, input_len, NULL, 0, out, err);
}

int esgx_digest_input_hash_ex(const uint8_t module_hash[32], int decrypt, uint64_t fuel_limit,
                              const char *function, size_t function_len, const uint8_t *input,
                              size_t input_len, const esgx_name_binding *by_name, int sealed,
                              uint8_t out[32], esgx_err *err)
{
    if (!module_hash || !out || (!function && function_len) || (!input && input_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "input_hash: NULL argument");
    if (function_len > 255)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "input_hash: function name of %zu bytes, max 255",
                            function_len);
    if (by_name && !esgx_name_valid(by_name->name, by_name->name_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG,
                            "input_hash: record name is not 1..64 characters of [A-Za-z0-9._-]");
    if (by_name && (by_name->seq == 0 || by_name->seq > ESGX_NAME_SEQ_MAX))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "input_hash: record seq %llu is not 1..2^63-1",
                            (unsigned long long)by_name->seq);
    char hex[65];
    uint8_t b1 = decrypt ? 1 : 0, fuel[8], inlen[8], flen = (uint8_t)function_len;
    esgx_crypto_hex_encode(module_hash, 32, hex);
    put_u64be(fuel, fuel_limit);
    put_u64be(inlen, (uint64_t)input_len);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    ADD_LABEL(ctx, ok, "MODULE_HASH");
    ADD(ctx, ok, hex, 64);
    ADD_LABEL(ctx, ok, "MODULE_DECRYPT");
    ADD(ctx, ok, &b1, 1);
    ADD_LABEL(ctx, ok, "FUEL_LIMIT");
    ADD(ctx, ok, fuel, 8);
    ADD_LABEL(ctx, ok, "FUNCTION_NAME");
    ADD(ctx, ok, &flen, 1);
    if (function_len) ADD(ctx, ok, function, function_len);
    ADD_LABEL(ctx, ok, "INPUT_DATA");
    ADD(ctx, ok, inlen, 8);
    if (input_len) ADD(ctx, ok, input, input_len);
    if (by_name) {
        uint8_t nlen = (uint8_t)by_name->name_len, seq[8];
        put_u64be(seq, by_name->seq);
        ADD_LABEL(ctx, ok, "RECORD_NAME");
        ADD(ctx, ok, &nlen, 1);
        ADD(ctx, ok, by_name->name, by_name->name_len);
        ADD_LABEL(ctx, ok, "RECORD_OWNER");
        ADD(ctx, ok, by_name->owner, 33);
        ADD_LABEL(ctx, ok, "RECORD_SEQ");
        ADD(ctx, ok, seq, 8);
    }
    if (sealed) {
        static const uint8_t one = 1;
        ADD_LABEL(ctx, ok, "SEALED_INPUT");
        ADD(ctx, ok, &one, 1);
    }
    unsigned int n = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok) return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "input_hash: SHA-256 failed");
    return ESGX_OK;
}

void esgx_digest_response(const uint8_t input_hash[32], uint64_t fuel_used,
                     const uint8_t output_hash[32], uint8_t out[32])
{
    uint8_t buf[10 + 32 + 9 + 8 + 11 + 32], *p = buf;
    memcpy(p, "INPUT_HASH", 10);
    p += 10;
    memcpy(p, input_hash, 32);
    p += 32;
    memcpy(p, "FUEL_USED", 9);
    p += 9;
    put_u64be(p, fuel_used);
    p += 8;
    memcpy(p, "OUTPUT_HASH", 11);
    p += 11;
    memcpy(p, output_hash, 32);
    esgx_crypto_sha256(buf, sizeof buf, out);
}
