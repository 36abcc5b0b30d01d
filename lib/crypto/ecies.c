/*
 * ecies.c: ECIES to a secp256k1 public key, byte-compatible with eciesjs 0.4 and the
 * Rust `ecies` crate defaults.
 *
 *   ciphertext = E (65, ephemeral public key, uncompressed) + nonce (16) + tag (16) + C
 *   key        = HKDF-SHA256(ikm = E + S, no salt, no info, 32 bytes)
 *   C          = AES-256-GCM(key, nonce, no AAD) of the plaintext
 * where S is the uncompressed ECDH point (65 bytes: 0x04 + x + y). libsecp256k1's
 * secp256k1_ecdh computes the point in constant time and hands its coordinates to our
 * hash callback, which just serializes them. HKDF (kdf.c) and AES-GCM come from OpenSSL
 * EVP.
 *
 * Decryption copies the 97-byte header out first and moves the encrypted bytes to the
 * front of the output, then decrypts in place, so `out == ct` works and OpenSSL never
 * sees partially overlapping buffers. On a tag mismatch the output is zeroed.
 */
#include "ec_internal.h"

#include <string.h>

#include <openssl/evp.h>
#include <secp256k1_ecdh.h>

#define EPH_LEN 65
#define NONCE_LEN 16
#define TAG_LEN 16

static int ecdh_point_hash(unsigned char *output, const unsigned char *x32,
                           const unsigned char *y32, void *data)
{
    (void)data;
    output[0] = 0x04;
    memcpy(output + 1, x32, 32);
    memcpy(output + 33, y32, 32);
    return 1;
}

/* ECDH between seckey and pub, then HKDF over eph + point. */
static int derive_key(const secp256k1_context *ctx, const uint8_t seckey[32],
                      const secp256k1_pubkey *pub, const uint8_t eph[EPH_LEN],
                      uint8_t key[32], esgx_err *err)
{
    uint8_t ikm[EPH_LEN + 65];
    memcpy(ikm, eph, EPH_LEN);
    if (!secp256k1_ecdh(ctx, ikm + EPH_LEN, pub, seckey, ecdh_point_hash, NULL)) {
        esgx_crypto_wipe(ikm, sizeof ikm);
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY, "ecies: secret key is invalid");
    }
    int rc = esgx_crypto_hkdf_sha256(ikm, sizeof ikm, NULL, 0, NULL, 0, key, 32, err);
    esgx_crypto_wipe(ikm, sizeof ikm);
    return rc;
}

/* AES-256-GCM with a 16-byte nonce over buf[0..len) in place. encrypt: writes tag;
 * decrypt: checks tag (returns ESGX_CRYPTO_E_AUTH on mismatch). */
static int gcm16(int encrypt, const uint8_t key[32], const uint8_t nonce[NONCE_LEN],
                 uint8_t *buf, size_t len, uint8_t tag[TAG_LEN], esgx_err *err)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c != NULL, outl = 0, auth_fail = 0;
    ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(c, NULL, NULL, key, nonce, encrypt) == 1;
    /* EVP takes int lengths: go in chunks */
    for (size_t off = 0; ok && off < len;) {
        int n = len - off > (1u << 30) ? (1 << 30) : (int)(len - off);
        ok = EVP_CipherUpdate(c, buf + off, &outl, buf + off, n) == 1 && outl == n;
        off += (size_t)n;
    }
    if (ok && !encrypt)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    if (ok) {
        uint8_t fin[16];
        if (EVP_CipherFinal_ex(c, fin, &outl) != 1) {
            if (!encrypt) auth_fail = 1;
            ok = 0;
        }
    }
    if (ok && encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    if (auth_fail)
        return esgx_err_set(err, ESGX_CRYPTO_E_AUTH, "ecies: authentication tag mismatch "
                                                "(wrong key or tampered ciphertext)");
    if (!ok) return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "ecies: AES-256-GCM failed");
    return ESGX_OK;
}

int esgx_ecies_encrypt(const uint8_t *pubkey, size_t pubkey_len, const uint8_t *pt,
                  size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len,
                  esgx_err *err)
{
    if (!out || (!pt && pt_len)) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "ecies: NULL buffer");
    if (pt_len > SIZE_MAX - ESGX_ECIES_OVERHEAD || out_cap < pt_len + ESGX_ECIES_OVERHEAD)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "ecies: output needs %zu bytes, have %zu",
                            pt_len + ESGX_ECIES_OVERHEAD, out_cap);
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    secp256k1_pubkey recipient, eph_pk;
    int rc = esgx_ec_pubkey_parse(ctx, pubkey, pubkey_len, &recipient, "ecies recipient", err);
    if (rc) return rc;

    uint8_t eph_sk[32], key[32], eph[EPH_LEN];
    rc = esgx_ec_seckey_generate(eph_sk, err);
    if (rc) return rc;
    size_t n = EPH_LEN;
    if (!secp256k1_ec_pubkey_create(ctx, &eph_pk, eph_sk)) {
        rc = esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "ecies: ephemeral key creation failed");
        goto done;
    }
    secp256k1_ec_pubkey_serialize(ctx, eph, &n, &eph_pk, SECP256K1_EC_UNCOMPRESSED);
    rc = derive_key(ctx, eph_sk, &recipient, eph, key, err);
    if (rc) goto done;
    uint8_t *nonce = out + EPH_LEN, *tag = nonce + NONCE_LEN, *body = tag + TAG_LEN;
    memmove(body, pt, pt_len); /* first: pt may be at out (in-place encryption) */
    rc = esgx_crypto_random(nonce, NONCE_LEN, err);
    if (rc) goto done;
    memcpy(out, eph, EPH_LEN);
    rc = gcm16(1, key, nonce, body, pt_len, tag, err);
    if (rc) {
        esgx_crypto_wipe(out, pt_len + ESGX_ECIES_OVERHEAD);
        goto done;
    }
    if (out_len) *out_len = pt_len + ESGX_ECIES_OVERHEAD;
done:
    esgx_crypto_wipe(eph_sk, sizeof eph_sk);
    esgx_crypto_wipe(key, sizeof key);
    return rc;
}

int esgx_ecies_decrypt(const uint8_t seckey[32], const uint8_t *ct, size_t ct_len,
                  uint8_t *out, size_t out_cap, size_t *out_len, esgx_err *err)
{
    if (!seckey || !ct || !out) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "ecies: NULL argument");
    if (ct_len < ESGX_ECIES_OVERHEAD)
        return esgx_err_set(err, ESGX_CRYPTO_E_SHORT,
                            "ecies: ciphertext of %zu bytes is shorter than its %d-byte overhead",
                            ct_len, ESGX_ECIES_OVERHEAD);
    size_t n = ct_len - ESGX_ECIES_OVERHEAD;
    if (out_cap < n)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "ecies: output needs %zu bytes, have %zu", n,
                            out_cap);
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    uint8_t eph[EPH_LEN], nonce[NONCE_LEN], tag[TAG_LEN], key[32];
    memcpy(eph, ct, EPH_LEN);
    memcpy(nonce, ct + EPH_LEN, NONCE_LEN);
    memcpy(tag, ct + EPH_LEN + NONCE_LEN, TAG_LEN);
    secp256k1_pubkey eph_pk;
    if (eph[0] != 0x04)
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY,
                            "ecies: ephemeral public key must be uncompressed (0x04), got 0x%02x",
                            eph[0]);
    int rc = esgx_ec_pubkey_parse(ctx, eph, EPH_LEN, &eph_pk, "ecies ephemeral key", err);
    if (rc) return rc;
    rc = derive_key(ctx, seckey, &eph_pk, eph, key, err);
    if (rc) return rc;
    memmove(out, ct + ESGX_ECIES_OVERHEAD, n);
    rc = gcm16(0, key, nonce, out, n, tag, err);
    esgx_crypto_wipe(key, sizeof key);
    if (rc) {
        esgx_crypto_wipe(out, n);
        return rc;
    }
    if (out_len) *out_len = n;
    return ESGX_OK;
}
