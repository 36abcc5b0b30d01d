/*
 * seal.c: sealed calls (docs/formats.md "Sealed calls"): a client encrypts a call's
 * input to the network key N so that only an enclave (holder of n) can read it, and the
 * enclave encrypts the output back under a key only that client has.
 *
 *   X             = x-coordinate of e*N = n*E (E = e*G, e fresh per call)
 *   req_key       = HKDF-SHA256(X, salt "esgx-sealed-call-v1", info "request"  + E + N)
 *   resp_key      = HKDF-SHA256(X, salt "esgx-sealed-call-v1", info "response" + E + N)
 *   sealed input  = u8 1 + E (33) + nonce (12, random) + C + tag (16)
 *                   AES-256-GCM(req_key), aad "ESGX_SEALED_REQUEST" + u8 1 + module hash +
 *                   u8 len + function + u64be fuel + u8 len + name
 *   sealed output = nonce' (12) + C' + tag' (16)
 *                   AES-256-GCM(resp_key), aad "ESGX_SEALED_RESPONSE" + input_hash,
 *                   nonce' = HMAC-SHA256(resp_key, "ESGX_SEALED_NONCE" + output)[0..12)
 *
 * Design: the associated data binds the sealed input to the call it was made for, so a
 * node cannot replay it against another module, function, fuel limit or name: the tag
 * fails. Binding the output to input_hash (which covers the sealed input, hence E)
 * ties each answer to its request. The output nonce is derived, not random, so every
 * enclave gives the same bytes for the same call (answers stay deterministic and their
 * signatures comparable across nodes); two different outputs under one resp_key get
 * different nonces, and one resp_key only ever seals outputs of one request.
 * X comes from libsecp256k1's constant-time ECDH with a hash callback that copies x.
 * X, e and every derived key are wiped; a failed open zeroes its output.
 */
#include "crypto_internal.h"
#include "ec_internal.h"

#include <string.h>

#include <secp256k1_ecdh.h>

#define HDR_LEN (1 + 33 + ESGX_AEAD_NONCE_LEN)        /* version + E + nonce = 46 */
#define SALT "esgx-sealed-call-v1"
#define REQ_AAD_LABEL "ESGX_SEALED_REQUEST"
#define RESP_AAD_LABEL "ESGX_SEALED_RESPONSE"
#define NONCE_LABEL "ESGX_SEALED_NONCE"

void esgx_seal_keys_wipe(esgx_seal_keys *keys)
{
    if (keys) esgx_crypto_wipe(keys, sizeof *keys);
}

static int copy_x(unsigned char *output, const unsigned char *x32, const unsigned char *y32,
                  void *data)
{
    (void)y32;
    (void)data;
    memcpy(output, x32, 32);
    return 1;
}

/* X = x(seckey * pub), then both keys; keys->ephemeral = E. */
static int derive_keys(const secp256k1_context *ctx, const uint8_t seckey[32],
                       const secp256k1_pubkey *pub, const uint8_t e_pub[33],
                       const uint8_t n_pub[33], esgx_seal_keys *keys, esgx_err *err)
{
    uint8_t x[32], info[8 + 33 + 33];
    if (!secp256k1_ecdh(ctx, x, pub, seckey, copy_x, NULL)) {
        esgx_crypto_wipe(x, sizeof x);
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY, "sealed call: secret key is invalid");
    }
    memcpy(info, "request", 7);
    memcpy(info + 7, e_pub, 33);
    memcpy(info + 40, n_pub, 33);
    int rc = esgx_crypto_hkdf_sha256(x, 32, SALT, sizeof SALT - 1, info, 7 + 66, keys->req_key,
                                     32, err);
    if (!rc) {
        memcpy(info, "response", 8);
        memcpy(info + 8, e_pub, 33);
        memcpy(info + 41, n_pub, 33);
        rc = esgx_crypto_hkdf_sha256(x, 32, SALT, sizeof SALT - 1, info, 8 + 66,
                                     keys->resp_key, 32, err);
    }
    memcpy(keys->ephemeral, e_pub, 33);
    esgx_crypto_wipe(x, sizeof x);
    return rc;
}

/* The request's associated data into aad (at least 572 bytes); returns its length, or
 * 0 after setting ESGX_CRYPTO_E_ARG for a bad binding. */
static size_t request_aad(const esgx_seal_binding *b, uint8_t *aad, esgx_err *err)
{
    if (!b || !b->function || b->function_len < 1 || b->function_len > 255) {
        esgx_err_set(err, ESGX_CRYPTO_E_ARG, "sealed call: function must be 1..255 bytes");
        return 0;
    }
    if (b->name_len && !esgx_name_valid(b->name, b->name_len)) {
        esgx_err_set(err, ESGX_CRYPTO_E_ARG,
                     "sealed call: name is neither empty nor 1..64 characters of [A-Za-z0-9._-]");
        return 0;
    }
    size_t n = 0;
    memcpy(aad, REQ_AAD_LABEL, sizeof REQ_AAD_LABEL - 1);
    n += sizeof REQ_AAD_LABEL - 1;
    aad[n++] = ESGX_SEAL_VERSION;
    memcpy(aad + n, b->module_hash, 32);
    n += 32;
    aad[n++] = (uint8_t)b->function_len;
    memcpy(aad + n, b->function, b->function_len);
    n += b->function_len;
    for (int i = 7; i >= 0; i--) aad[n++] = (uint8_t)(b->fuel >> (8 * i));
    aad[n++] = (uint8_t)b->name_len;
    if (b->name_len) memcpy(aad + n, b->name, b->name_len);
    return n + b->name_len;
}

#define REQ_AAD_MAX (sizeof REQ_AAD_LABEL - 1 + 1 + 32 + 1 + 255 + 8 + 1 + 255)

int esgx_seal_request(const uint8_t network_pubkey[33], const esgx_seal_binding *binding,
                      const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
                      size_t *out_len, esgx_seal_keys *keys, esgx_err *err)
{
    if (keys) esgx_seal_keys_wipe(keys);
    if (!network_pubkey || !out || !keys || (!pt && pt_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "sealed call: NULL argument");
    uint8_t aad[REQ_AAD_MAX];
    size_t aad_len = request_aad(binding, aad, err);
    if (!aad_len) return ESGX_CRYPTO_E_ARG;
    if (pt_len > SIZE_MAX - ESGX_SEAL_REQUEST_OVERHEAD ||
        out_cap < pt_len + ESGX_SEAL_REQUEST_OVERHEAD)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER,
                            "sealed call: output needs %zu bytes, have %zu",
                            pt_len + ESGX_SEAL_REQUEST_OVERHEAD, out_cap);
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    secp256k1_pubkey n_pk, e_pk;
    if (!secp256k1_ec_pubkey_parse(ctx, &n_pk, network_pubkey, 33))
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY,
                            "sealed call: network key is not a compressed secp256k1 point");
    uint8_t e[32], e_pub[33], nonce[ESGX_AEAD_NONCE_LEN];
    int rc = esgx_ec_seckey_generate(e, err);
    if (rc) return rc;
    size_t publen = 33;
    if (!secp256k1_ec_pubkey_create(ctx, &e_pk, e)) {
        rc = esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "sealed call: ephemeral key failed");
        goto done;
    }
    secp256k1_ec_pubkey_serialize(ctx, e_pub, &publen, &e_pk, SECP256K1_EC_COMPRESSED);
    rc = derive_keys(ctx, e, &n_pk, e_pub, network_pubkey, keys, err);
    if (rc) goto done;
    rc = esgx_crypto_random(nonce, sizeof nonce, err);
    if (rc) goto done;
    /* the plaintext first: it may be anywhere in out (in place) */
    uint8_t *body = out + HDR_LEN;
    if (pt_len && body != pt) memmove(body, pt, pt_len);
    out[0] = ESGX_SEAL_VERSION;
    memcpy(out + 1, e_pub, 33);
    memcpy(out + 34, nonce, sizeof nonce);
    int auth_fail = 0;
    if (!esgx_aead_gcm(1, keys->req_key, nonce, aad, aad_len, body, pt_len, body, body + pt_len,
                       &auth_fail)) {
        esgx_crypto_wipe(out, pt_len + ESGX_SEAL_REQUEST_OVERHEAD);
        rc = esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "sealed call: AES-256-GCM failed");
        goto done;
    }
    if (out_len) *out_len = pt_len + ESGX_SEAL_REQUEST_OVERHEAD;
done:
    esgx_crypto_wipe(e, sizeof e);
    if (rc) esgx_seal_keys_wipe(keys);
    return rc;
}

int esgx_seal_open_request(const uint8_t network_seckey[32],
                           const esgx_seal_binding *binding, const uint8_t *in,
                           size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                           esgx_seal_keys *keys, esgx_err *err)
{
    if (keys) esgx_seal_keys_wipe(keys);
    if (!network_seckey || !in || !out || !keys)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "sealed input: NULL argument");
    uint8_t aad[REQ_AAD_MAX];
    size_t aad_len = request_aad(binding, aad, err);
    if (!aad_len) return ESGX_CRYPTO_E_ARG;
    if (in_len < ESGX_SEAL_REQUEST_OVERHEAD)
        return esgx_err_set(err, ESGX_CRYPTO_E_SHORT,
                            "sealed input of %zu bytes is shorter than its %d-byte overhead",
                            in_len, ESGX_SEAL_REQUEST_OVERHEAD);
    if (in[0] != ESGX_SEAL_VERSION)
        return esgx_err_set(err, ESGX_CRYPTO_E_VERSION, "sealed input version %u, want %d",
                            in[0], ESGX_SEAL_VERSION);
    size_t n = in_len - ESGX_SEAL_REQUEST_OVERHEAD;
    if (out_cap < n)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "sealed input: output needs %zu bytes, have %zu",
                            n, out_cap);
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    uint8_t e_pub[33], nonce[ESGX_AEAD_NONCE_LEN], tag[ESGX_AEAD_TAG_LEN], n_pub[33];
    memcpy(e_pub, in + 1, 33);
    memcpy(nonce, in + 34, sizeof nonce);
    memcpy(tag, in + HDR_LEN + n, sizeof tag);
    secp256k1_pubkey e_pk;
    if (!secp256k1_ec_pubkey_parse(ctx, &e_pk, e_pub, 33))
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY,
                            "sealed input: ephemeral key is not a compressed secp256k1 point");
    int rc = esgx_ec_pubkey_from_seckey(network_seckey, n_pub, err);
    if (rc) return rc;
    rc = derive_keys(ctx, network_seckey, &e_pk, e_pub, n_pub, keys, err);
    if (rc) {
        esgx_seal_keys_wipe(keys);
        return rc;
    }
    /* move the ciphertext to out first (the header is copied already): in place works */
    if (n && out != in + HDR_LEN) memmove(out, in + HDR_LEN, n);
    int auth_fail = 0;
    if (!esgx_aead_gcm(0, keys->req_key, nonce, aad, aad_len, out, n, out, tag, &auth_fail)) {
        esgx_crypto_wipe(out, n);
        esgx_seal_keys_wipe(keys);
        if (auth_fail)
            return esgx_err_set(err, ESGX_CRYPTO_E_AUTH,
                                "sealed input does not open for this module, function, fuel and "
                                "name");
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "sealed input: AES-256-GCM failed");
    }
    if (out_len) *out_len = n;
    return ESGX_OK;
}

static void response_aad(const uint8_t input_hash[32], uint8_t aad[sizeof RESP_AAD_LABEL - 1 + 32])
{
    memcpy(aad, RESP_AAD_LABEL, sizeof RESP_AAD_LABEL - 1);
    memcpy(aad + sizeof RESP_AAD_LABEL - 1, input_hash, 32);
}

int esgx_seal_response(const esgx_seal_keys *keys, const uint8_t input_hash[32],
                       const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
                       size_t *out_len, esgx_err *err)
{
    if (!keys || !input_hash || !out || (!pt && pt_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "sealed output: NULL argument");
    if (pt_len > SIZE_MAX - ESGX_SEAL_RESPONSE_OVERHEAD ||
        out_cap < pt_len + ESGX_SEAL_RESPONSE_OVERHEAD)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER,
                            "sealed output: output needs %zu bytes, have %zu",
                            pt_len + ESGX_SEAL_RESPONSE_OVERHEAD, out_cap);
    uint8_t mac[32], aad[sizeof RESP_AAD_LABEL - 1 + 32];
    /* the nonce from the plaintext before it moves */
    int rc = esgx_crypto_hmac_sha256(keys->resp_key, 32, NONCE_LABEL, sizeof NONCE_LABEL - 1, pt,
                                     pt_len, mac, err);
    if (rc) return rc;
    uint8_t *body = out + ESGX_AEAD_NONCE_LEN;
    if (pt_len && body != pt) memmove(body, pt, pt_len);
    memcpy(out, mac, ESGX_AEAD_NONCE_LEN);
    esgx_crypto_wipe(mac, sizeof mac);
    response_aad(input_hash, aad);
    int auth_fail = 0;
    if (!esgx_aead_gcm(1, keys->resp_key, out, aad, sizeof aad, body, pt_len, body, body + pt_len,
                       &auth_fail)) {
        esgx_crypto_wipe(out, pt_len + ESGX_SEAL_RESPONSE_OVERHEAD);
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "sealed output: AES-256-GCM failed");
    }
    if (out_len) *out_len = pt_len + ESGX_SEAL_RESPONSE_OVERHEAD;
    return ESGX_OK;
}

int esgx_seal_open_response(const esgx_seal_keys *keys, const uint8_t input_hash[32],
                            const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                            size_t *out_len, esgx_err *err)
{
    if (!keys || !input_hash || !in || !out)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "sealed output: NULL argument");
    if (in_len < ESGX_SEAL_RESPONSE_OVERHEAD)
        return esgx_err_set(err, ESGX_CRYPTO_E_SHORT,
                            "sealed output of %zu bytes is shorter than its %d-byte overhead",
                            in_len, ESGX_SEAL_RESPONSE_OVERHEAD);
    size_t n = in_len - ESGX_SEAL_RESPONSE_OVERHEAD;
    if (out_cap < n)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "sealed output: output needs %zu bytes, have %zu",
                            n, out_cap);
    uint8_t nonce[ESGX_AEAD_NONCE_LEN], tag[ESGX_AEAD_TAG_LEN], aad[sizeof RESP_AAD_LABEL - 1 + 32];
    memcpy(nonce, in, sizeof nonce);
    memcpy(tag, in + ESGX_AEAD_NONCE_LEN + n, sizeof tag);
    response_aad(input_hash, aad);
    if (n && out != in + ESGX_AEAD_NONCE_LEN) memmove(out, in + ESGX_AEAD_NONCE_LEN, n);
    int auth_fail = 0;
    if (!esgx_aead_gcm(0, keys->resp_key, nonce, aad, sizeof aad, out, n, out, tag, &auth_fail)) {
        esgx_crypto_wipe(out, n);
        if (auth_fail)
            return esgx_err_set(err, ESGX_CRYPTO_E_AUTH,
                                "sealed output does not open (other keys, another input_hash or "
                                "modified bytes)");
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "sealed output: AES-256-GCM failed");
    }
    if (out_len) *out_len = n;
    return ESGX_OK;
}
