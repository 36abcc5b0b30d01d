/*
 * crypto_internal.h: what aead.c shares with the other lib/crypto files (seal.c).
 * Not part of the public API.
 */
#ifndef ESGX_CRYPTO_INTERNAL_H
#define ESGX_CRYPTO_INTERNAL_H

#include "esgx_crypto.h"

/* AES-256-GCM with a 12-byte nonce over in[0..len) into out (may equal in), with
 * associated data aad. encrypt: writes tag. decrypt: checks tag; on a mismatch sets
 * *auth_fail = 1. Returns 1 on success, 0 on failure (out is then unspecified: callers
 * wipe it). */
int esgx_aead_gcm(int encrypt, const uint8_t key[32], const uint8_t nonce[ESGX_AEAD_NONCE_LEN],
                  const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                  uint8_t *out, uint8_t tag[ESGX_AEAD_TAG_LEN], int *auth_fail);

#endif
