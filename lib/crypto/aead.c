/*
 * aead.c: AES-256-GCM sealing with a random 12-byte nonce (OpenSSL EVP).
 *
 *   sealed = nonce (12) + ciphertext (same length as the plaintext) + tag (16)
 *
 * Used for the sealed shared key on disk, with the file header as associated data.
 * The GCM core (esgx_aead_gcm, crypto_internal.h) also serves the sealed calls of
 * seal.c, whose nonces are not random.
 * A random 96-bit nonce per message is safe for far more messages than one key ever
 * seals here. Opening checks the tag before reporting success and zeroes the output
 * on failure, so no unauthenticated plaintext escapes.
 */
#include "crypto_internal.h"

#include <string.h>

#include <openssl/evp.h>

int esgx_aead_gcm(int encrypt, const uint8_t key[32], const uint8_t nonce[ESGX_AEAD_NONCE_LEN],
                  const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                  uint8_t *out, uint8_t tag[ESGX_AEAD_TAG_LEN], int *auth_fail)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int ok = c != NULL, outl = 0;
    ok = ok && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, encrypt) == 1;
    for (size_t off = 0; ok && off < aad_len;) {
        int n = aad_len - off > (1u << 30) ? (1 << 30) : (int)(aad_len - off);
        ok = EVP_CipherUpdate(c, NULL, &outl, aad + off, n) == 1;
        off += (size_t)n;
    }
    for (size_t off = 0; ok && off < len;) {
        int n = len - off > (1u << 30) ? (1 << 30) : (int)(len - off);
        ok = EVP_CipherUpdate(c, out + off, &outl, in + off, n) == 1 && outl == n;
        off += (size_t)n;
    }
    if (ok && !encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, ESGX_AEAD_TAG_LEN, tag) == 1;
    if (ok) {
        uint8_t fin[16];
        if (EVP_CipherFinal_ex(c, fin, &outl) != 1) {
            if (!encrypt) *auth_fail = 1;
            ok = 0;
        }
    }
    if (ok && encrypt) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, ESGX_AEAD_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

int esgx_aead_seal(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
              const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
              size_t *out_len, esgx_err *err)
{
    if (!key || !out || (!aad && aad_len) || (!pt && pt_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "aead: NULL argument");
    if (pt_len > SIZE_MAX - ESGX_AEAD_OVERHEAD || out_cap < pt_len + ESGX_AEAD_OVERHEAD)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "aead: output needs %zu bytes, have %zu",
                            pt_len + ESGX_AEAD_OVERHEAD, out_cap);
    uint8_t nonce[ESGX_AEAD_NONCE_LEN];
    int rc = esgx_crypto_random(nonce, sizeof nonce, err);
    if (rc) return rc;
    int auth_fail = 0;
    /* the plaintext may be at out + ESGX_AEAD_NONCE_LEN (in place); move it if it is elsewhere */
    uint8_t *body = out + ESGX_AEAD_NONCE_LEN;
    if (pt_len && body != pt) memmove(body, pt, pt_len);
    memcpy(out, nonce, ESGX_AEAD_NONCE_LEN);
    if (!esgx_aead_gcm(1, key, nonce, aad, aad_len, body, pt_len, body, body + pt_len, &auth_fail)) {
        esgx_crypto_wipe(out, pt_len + ESGX_AEAD_OVERHEAD);
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "aead: AES-256-GCM failed");
    }
    if (out_len) *out_len = pt_len + ESGX_AEAD_OVERHEAD;
    return ESGX_OK;
}

int esgx_aead_open(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
              const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
              size_t *out_len, esgx_err *err)
{
    if (!key || !out || !in || (!aad && aad_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "aead: NULL argument");
    if (in_len < ESGX_AEAD_OVERHEAD)
        return esgx_err_set(err, ESGX_CRYPTO_E_SHORT, "aead: sealed data of %zu bytes, minimum %d",
                            in_len, ESGX_AEAD_OVERHEAD);
    size_t n = in_len - ESGX_AEAD_OVERHEAD;
    if (out_cap < n)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "aead: output needs %zu bytes, have %zu", n,
                            out_cap);
    uint8_t nonce[ESGX_AEAD_NONCE_LEN], tag[ESGX_AEAD_TAG_LEN];
    memcpy(nonce, in, ESGX_AEAD_NONCE_LEN);
    memcpy(tag, in + ESGX_AEAD_NONCE_LEN + n, ESGX_AEAD_TAG_LEN);
    /* move the ciphertext to out first so overlapping buffers decrypt in place */
    if (n) memmove(out, in + ESGX_AEAD_NONCE_LEN, n);
    int auth_fail = 0;
    if (!esgx_aead_gcm(0, key, nonce, aad, aad_len, out, n, out, tag, &auth_fail)) {
        esgx_crypto_wipe(out, n);
        if (auth_fail)
            return esgx_err_set(err, ESGX_CRYPTO_E_AUTH,
                                "aead: authentication failed (wrong key, associated data or "
                                "tampered data)");
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "aead: AES-256-GCM failed");
    }
    if (out_len) *out_len = n;
    return ESGX_OK;
}
