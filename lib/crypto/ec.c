/*
 * ec.c: secp256k1 keys and recoverable ECDSA, on top of libsecp256k1.
 *
 * Design: one libsecp256k1 context for the whole process, made on first use under
 * pthread_once and randomized with 32 bytes from the OS generator (blinding against
 * side channels), then only read. libsecp256k1 allows concurrent use of a context
 * through const pointers, so every function here is thread-safe.
 * Signatures use libsecp256k1's default nonce function (RFC 6979) and are always
 * low-S; the wire form is r (32) + s (32) + recovery id (1), the same as
 * @noble/curves' 'recovered' format.
 */
#include "ec_internal.h"

#include <pthread.h>
#include <string.h>

#include <secp256k1_recovery.h>

static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static secp256k1_context *ctx_global;

static void ctx_init(void)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx) return;
    uint8_t seed[32];
    if (esgx_crypto_random(seed, sizeof seed, NULL) != ESGX_OK ||
        !secp256k1_context_randomize(ctx, seed)) {
        esgx_crypto_wipe(seed, sizeof seed);
        secp256k1_context_destroy(ctx);
        return;
    }
    esgx_crypto_wipe(seed, sizeof seed);
    ctx_global = ctx;
}

const secp256k1_context *esgx_ec_context(esgx_err *err)
{
    pthread_once(&ctx_once, ctx_init);
    if (!ctx_global)
        esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "secp256k1 context creation failed");
    return ctx_global;
}

int esgx_ec_pubkey_parse(const secp256k1_context *ctx, const uint8_t *in, size_t in_len,
                    secp256k1_pubkey *out, const char *what, esgx_err *err)
{
    if (!in || (in_len != 33 && in_len != 65))
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY, "%s: public key must be 33 or 65 bytes, got %zu",
                            what, in ? in_len : 0);
    if (!secp256k1_ec_pubkey_parse(ctx, out, in, in_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY, "%s: not a valid secp256k1 point", what);
    return ESGX_OK;
}

int esgx_ec_pubkey_from_seckey(const uint8_t seckey[32], uint8_t pubkey[33], esgx_err *err)
{
    if (!seckey || !pubkey) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "NULL key buffer");
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_create(ctx, &pk, seckey))
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY, "secret key is zero or not below the curve order");
    size_t n = 33;
    secp256k1_ec_pubkey_serialize(ctx, pubkey, &n, &pk, SECP256K1_EC_COMPRESSED);
    return ESGX_OK;
}

int esgx_ec_pubkey_normalize(const uint8_t *in, size_t in_len, uint8_t pubkey[33],
                        esgx_err *err)
{
    if (!pubkey) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "NULL output buffer");
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    secp256k1_pubkey pk;
    int rc = esgx_ec_pubkey_parse(ctx, in, in_len, &pk, "public key", err);
    if (rc) return rc;
    size_t n = 33;
    secp256k1_ec_pubkey_serialize(ctx, pubkey, &n, &pk, SECP256K1_EC_COMPRESSED);
    return ESGX_OK;
}

int esgx_ec_seckey_generate(uint8_t seckey[32], esgx_err *err)
{
    if (!seckey) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "NULL key buffer");
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    /* A uniform 32-byte string is invalid with probability ~2^-128: retry a few times. */
    for (int tries = 0; tries < 16; tries++) {
        int rc = esgx_crypto_random(seckey, 32, err);
        if (rc) return rc;
        if (secp256k1_ec_seckey_verify(ctx, seckey)) return ESGX_OK;
    }
    esgx_crypto_wipe(seckey, 32);
    return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "random source gave no valid secret key");
}

int esgx_ec_sign_recoverable(const uint8_t seckey[32], const uint8_t digest[32],
                        uint8_t sig[ESGX_EC_SIGNATURE_LEN], esgx_err *err)
{
    if (!seckey || !digest || !sig) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "NULL argument");
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    secp256k1_ecdsa_recoverable_signature rs;
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, seckey, NULL, NULL))
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY, "secret key is zero or not below the curve order");
    int recid = 0;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rs);
    sig[64] = (uint8_t)recid;
    esgx_crypto_wipe(&rs, sizeof rs);
    return ESGX_OK;
}

int esgx_ec_recover(const uint8_t digest[32], const uint8_t sig[ESGX_EC_SIGNATURE_LEN],
               uint8_t pubkey[33], esgx_err *err)
{
    if (!digest || !sig || !pubkey) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "NULL argument");
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    if (sig[64] > 3)
        return esgx_err_set(err, ESGX_CRYPTO_E_SIGNATURE, "signature recovery id %u is not 0..3",
                            sig[64]);
    secp256k1_ecdsa_recoverable_signature rs;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, sig[64]))
        return esgx_err_set(err, ESGX_CRYPTO_E_SIGNATURE, "signature r or s is not below the curve order");
    secp256k1_pubkey pk;
    if (!secp256k1_ecdsa_recover(ctx, &pk, &rs, digest))
        return esgx_err_set(err, ESGX_CRYPTO_E_SIGNATURE, "no public key recovers from this signature");
    size_t n = 33;
    secp256k1_ec_pubkey_serialize(ctx, pubkey, &n, &pk, SECP256K1_EC_COMPRESSED);
    return ESGX_OK;
}
