/*
 * ec_internal.h: what ec.c shares with the other lib/crypto files (bip32.c, ecies.c).
 * Not part of the public API.
 * Errors: esgx_ec_pubkey_parse returns 0 or ESGX_CRYPTO_E_KEY, esgx_ec_context NULL with
 * ESGX_CRYPTO_E_INTERNAL in err (codes in esgx_common.h, described in esgx_crypto.h).
 */
#ifndef ESGX_EC_INTERNAL_H
#define ESGX_EC_INTERNAL_H

#include <secp256k1.h>

#include "esgx_crypto.h"

/* The process-wide libsecp256k1 context: created and randomized once (pthread_once),
 * then only read, so it may be used from any thread. Returns NULL (and fills err with
 * ESGX_CRYPTO_E_INTERNAL) if creation or randomization failed. */
const secp256k1_context *esgx_ec_context(esgx_err *err);

/* Parses a 33- or 65-byte public key. ESGX_CRYPTO_E_KEY (message names `what`). */
int esgx_ec_pubkey_parse(const secp256k1_context *ctx, const uint8_t *in, size_t in_len,
                    secp256k1_pubkey *out, const char *what, esgx_err *err);

#endif
