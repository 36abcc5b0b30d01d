/*
 * kdf.c: HKDF-SHA256 and HMAC-SHA256 (OpenSSL 3 EVP_KDF / EVP_MAC), a constant-time
 * compare, and the keys built from them alone (docs/formats.md):
 *
 *   guest randomness  k_rand  = HKDF(n, "esgx-guest-random-v1", ""), stream key =
 *                     HMAC(k_rand, module hash + input_hash); a local run uses BLAKE3
 *                     derive_key instead; the stream is BLAKE3's keyed XOF
 *   admin MACs        k_admin = HKDF(n, "esgx-admin-v1", ""), token and content MACs
 *
 * Design: each key comes from the shared secret n through its own HKDF salt, so k_rand,
 * k_admin and the signing key n are independent; what a guest can learn of its random
 * stream says nothing about n or the admin MACs. Intermediate buffers that hold key
 * material are wiped before return.
 */
#include "esgx_crypto.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

int esgx_crypto_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const void *salt,
                            size_t salt_len, const void *info, size_t info_len, uint8_t *out,
                            size_t out_len, esgx_err *err)
{
    if ((!ikm && ikm_len) || (!salt && salt_len) || (!info && info_len) || !out)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "hkdf: NULL argument");
    if (out_len == 0 || out_len > 255 * 32)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "hkdf: output of %zu bytes, want 1..8160",
                            out_len);
    int ok = 0;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (kctx) {
        /* OpenSSL wants non-NULL pointers even for empty octet strings */
        static const uint8_t empty[1];
        OSSL_PARAM params[5], *p = params;
        *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                 (void *)(ikm ? ikm : empty), ikm_len);
        if (salt_len)
            *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
        if (info_len)
            *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
        *p = OSSL_PARAM_construct_end();
        ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
    }
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    if (!ok) {
        esgx_crypto_wipe(out, out_len);
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "hkdf: HKDF-SHA256 failed");
    }
    return ESGX_OK;
}

int esgx_crypto_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg1,
                            size_t msg1_len, const void *msg2, size_t msg2_len,
                            uint8_t out[32], esgx_err *err)
{
    if ((!key && key_len) || (!msg1 && msg1_len) || (!msg2 && msg2_len) || !out)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "hmac: NULL argument");
    static const uint8_t empty[1];
    int ok = 0;
    size_t n = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    if (mctx) {
        OSSL_PARAM params[2];
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
        params[1] = OSSL_PARAM_construct_end();
        ok = EVP_MAC_init(mctx, key ? key : empty, key_len, params) == 1 &&
             (!msg1_len || EVP_MAC_update(mctx, msg1, msg1_len) == 1) &&
             (!msg2_len || EVP_MAC_update(mctx, msg2, msg2_len) == 1) &&
             EVP_MAC_final(mctx, out, &n, 32) == 1 && n == 32;
    }
    EVP_MAC_CTX_free(mctx);
    EVP_MAC_free(mac);
    if (!ok) {
        esgx_crypto_wipe(out, 32);
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "hmac: HMAC-SHA256 failed");
    }
    return ESGX_OK;
}

int esgx_crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

/* ---------------------------------------------------------------- guest randomness */

#define LIT(s) s, sizeof s - 1

int esgx_random_key_derive(const uint8_t shared_seckey[32], uint8_t k_rand[32], esgx_err *err)
{
    if (!shared_seckey || !k_rand)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "random key: NULL argument");
    return esgx_crypto_hkdf_sha256(shared_seckey, 32, LIT("esgx-guest-random-v1"), NULL, 0,
                                   k_rand, 32, err);
}

int esgx_random_stream_key(const uint8_t k_rand[32], const uint8_t module_hash[32],
                           const uint8_t input_hash[32], uint8_t out[32], esgx_err *err)
{
    if (!k_rand || !module_hash || !input_hash || !out)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "random stream key: NULL argument");
    return esgx_crypto_hmac_sha256(k_rand, 32, module_hash, 32, input_hash, 32, out, err);
}

void esgx_random_stream_key_local(const uint8_t module_hash[32], const uint8_t input_hash[32],
                                  uint8_t out[32])
{
    esgx_blake3_hasher h;
    esgx_blake3_init_derive_key(&h, LIT("esgx local run random v1"));
    esgx_blake3_update(&h, module_hash, 32);
    esgx_blake3_update(&h, input_hash, 32);
    esgx_blake3_finalize(&h, out, 32);
    esgx_blake3_wipe(&h);
}

void esgx_random_stream_read(const uint8_t stream_key[32], uint64_t offset, uint8_t *out,
                             size_t len)
{
    esgx_blake3_hasher h;
    esgx_blake3_init_keyed(&h, stream_key);
    esgx_blake3_finalize_seek(&h, offset, out, len);
    esgx_blake3_wipe(&h);
}

/* ---------------------------------------------------------------- admin MACs */

int esgx_admin_key_derive(const uint8_t shared_seckey[32], uint8_t k_admin[32], esgx_err *err)
{
    if (!shared_seckey || !k_admin)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "admin key: NULL argument");
    return esgx_crypto_hkdf_sha256(shared_seckey, 32, LIT("esgx-admin-v1"), NULL, 0, k_admin,
                                   32, err);
}

int esgx_admin_token_mac(const uint8_t k_admin[32], const uint8_t token_sha256[32],
                         uint8_t out[32], esgx_err *err)
{
    if (!k_admin || !token_sha256 || !out)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "token MAC: NULL argument");
    return esgx_crypto_hmac_sha256(k_admin, 32, LIT("ESGX_TOKEN"), token_sha256, 32, out, err);
}

int esgx_admin_held_mac(const uint8_t k_admin[32], const uint8_t held_sha256[32],
                        uint8_t out[32], esgx_err *err)
{
    if (!k_admin || !held_sha256 || !out)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "held MAC: NULL argument");
    return esgx_crypto_hmac_sha256(k_admin, 32, LIT("ESGX_HELD"), held_sha256, 32, out, err);
}

int esgx_admin_content_mac(const uint8_t k_admin[32], const uint8_t content_hash[32],
                           uint8_t out[32], esgx_err *err)
{
    if (!k_admin || !content_hash || !out)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "content MAC: NULL argument");
    return esgx_crypto_hmac_sha256(k_admin, 32, LIT("ESGX_CONTENT"), content_hash, 32, out, err);
}
