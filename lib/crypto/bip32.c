/*
 * bip32.c: BIP32 extended keys, the network shared key and per-module derived keys.
 *
 * Design: a esgx_bip32_key always carries its compressed public key, and its private key
 * when it has one, so public derivation never needs the secret. Child derivation is
 * HMAC-SHA512 (OpenSSL) over the parent chain code; the tweak is applied with
 * libsecp256k1 (seckey/pubkey tweak_add), which also rejects the negligible invalid
 * cases (IL >= n, zero key, point at infinity) that BIP32 says to skip: we report them
 * as ESGX_CRYPTO_E_DERIVE instead of skipping, since the caller chose the index.
 * Fingerprints are the first 4 bytes of RIPEMD160(SHA256(public key)).
 * Serialization is the 78-byte BIP32 layout with mainnet xprv/xpub version bytes.
 * Every intermediate holding secret material is wiped before return.
 */
#include "ec_internal.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define VERSION_XPRV 0x0488ADE4u
#define VERSION_XPUB 0x0488B21Eu
#define SERIALIZED_LEN 78

static void put_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_u32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int hmac_sha512(const uint8_t *key, size_t key_len, const uint8_t *data,
                       size_t data_len, uint8_t out[64], esgx_err *err)
{
    unsigned int n = 64;
    if (!HMAC(EVP_sha512(), key, (int)key_len, data, data_len, out, &n) || n != 64)
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "bip32: HMAC-SHA512 failed");
    return ESGX_OK;
}

static int fingerprint(const uint8_t pub[33], uint8_t fp[4], esgx_err *err)
{
    uint8_t sha[32], rmd[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    esgx_crypto_sha256(pub, 33, sha);
    if (!EVP_Digest(sha, 32, rmd, &n, EVP_ripemd160(), NULL) || n != 20)
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "bip32: RIPEMD-160 failed");
    memcpy(fp, rmd, 4);
    return ESGX_OK;
}

static int pub_of_priv(const secp256k1_context *ctx, const uint8_t priv[32],
                       uint8_t pub[33])
{
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_create(ctx, &pk, priv)) return 0;
    size_t n = 33;
    secp256k1_ec_pubkey_serialize(ctx, pub, &n, &pk, SECP256K1_EC_COMPRESSED);
    return 1;
}

int esgx_bip32_master_from_seed(const uint8_t *seed, size_t seed_len, esgx_bip32_key *out,
                           esgx_err *err)
{
    if (!seed || !out) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "bip32: NULL argument");
    if (seed_len < 16 || seed_len > 64)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "bip32: seed of %zu bytes, need 16..64", seed_len);
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    uint8_t I[64];
    int rc = hmac_sha512((const uint8_t *)"Bitcoin seed", 12, seed, seed_len, I, err);
    if (rc) return rc;
    memset(out, 0, sizeof *out);
    if (!secp256k1_ec_seckey_verify(ctx, I)) {
        esgx_crypto_wipe(I, sizeof I);
        return esgx_err_set(err, ESGX_CRYPTO_E_DERIVE, "bip32: seed gives an invalid master key");
    }
    memcpy(out->private_key, I, 32);
    memcpy(out->chain_code, I + 32, 32);
    esgx_crypto_wipe(I, sizeof I);
    out->has_private = 1;
    if (!pub_of_priv(ctx, out->private_key, out->public_key)) {
        esgx_bip32_key_wipe(out);
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "bip32: public key computation failed");
    }
    return ESGX_OK;
}

int esgx_bip32_child_derive(const esgx_bip32_key *parent, uint32_t index, esgx_bip32_key *out,
                       esgx_err *err)
{
    if (!parent || !out) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "bip32: NULL argument");
    if (index >= ESGX_BIP32_HARDENED && !parent->has_private)
        return esgx_err_set(err, ESGX_CRYPTO_E_DERIVE,
                            "bip32: hardened child %u' needs a private parent key",
                            index - ESGX_BIP32_HARDENED);
    if (parent->depth == 255)
        return esgx_err_set(err, ESGX_CRYPTO_E_DERIVE, "bip32: depth 255 reached");
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;

    uint8_t data[37], I[64];
    if (index >= ESGX_BIP32_HARDENED) {
        data[0] = 0;
        memcpy(data + 1, parent->private_key, 32);
    } else {
        memcpy(data, parent->public_key, 33);
    }
    put_u32be(data + 33, index);
    int rc = hmac_sha512(parent->chain_code, 32, data, sizeof data, I, err);
    esgx_crypto_wipe(data, sizeof data);
    if (rc) return rc;

    esgx_bip32_key child;
    memset(&child, 0, sizeof child);
    child.depth = (uint8_t)(parent->depth + 1);
    child.child_number = index;
    memcpy(child.chain_code, I + 32, 32);
    rc = fingerprint(parent->public_key, child.parent_fingerprint, err);
    if (rc) goto done;
    if (parent->has_private) {
        memcpy(child.private_key, parent->private_key, 32);
        if (!secp256k1_ec_seckey_tweak_add(ctx, child.private_key, I) ||
            !pub_of_priv(ctx, child.private_key, child.public_key)) {
            rc = esgx_err_set(err, ESGX_CRYPTO_E_DERIVE, "bip32: child %u is invalid", index);
            goto done;
        }
        child.has_private = 1;
    } else {
        secp256k1_pubkey pk;
        size_t n = 33;
        if (!secp256k1_ec_pubkey_parse(ctx, &pk, parent->public_key, 33)) {
            rc = esgx_err_set(err, ESGX_CRYPTO_E_KEY, "bip32: parent public key is invalid");
            goto done;
        }
        if (!secp256k1_ec_pubkey_tweak_add(ctx, &pk, I)) {
            rc = esgx_err_set(err, ESGX_CRYPTO_E_DERIVE, "bip32: child %u is invalid", index);
            goto done;
        }
        secp256k1_ec_pubkey_serialize(ctx, child.public_key, &n, &pk, SECP256K1_EC_COMPRESSED);
    }
    *out = child;
done:
    esgx_crypto_wipe(I, sizeof I);
    esgx_bip32_key_wipe(&child);
    return rc;
}

void esgx_bip32_key_neuter(const esgx_bip32_key *key, esgx_bip32_key *out)
{
    esgx_bip32_key k = *key;
    esgx_crypto_wipe(k.private_key, sizeof k.private_key);
    k.has_private = 0;
    *out = k;
    esgx_crypto_wipe(&k, sizeof k);
}

int esgx_bip32_key_serialize(const esgx_bip32_key *key, int want_private, char *out,
                        size_t out_cap, esgx_err *err)
{
    if (!key || !out) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "bip32: NULL argument");
    if (want_private && !key->has_private)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "bip32: xprv asked of a public key");
    if (out_cap < ESGX_BIP32_TEXT_LEN + 1)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "bip32: need %d bytes for the text, have %zu",
                            ESGX_BIP32_TEXT_LEN + 1, out_cap);
    uint8_t raw[SERIALIZED_LEN];
    put_u32be(raw, want_private ? VERSION_XPRV : VERSION_XPUB);
    raw[4] = key->depth;
    memcpy(raw + 5, key->parent_fingerprint, 4);
    put_u32be(raw + 9, key->child_number);
    memcpy(raw + 13, key->chain_code, 32);
    if (want_private) {
        raw[45] = 0;
        memcpy(raw + 46, key->private_key, 32);
    } else {
        memcpy(raw + 45, key->public_key, 33);
    }
    size_t n = 0;
    int rc = esgx_base58check_encode(raw, sizeof raw, out, out_cap, &n, err);
    esgx_crypto_wipe(raw, sizeof raw);
    if (rc) return rc;
    if (n != ESGX_BIP32_TEXT_LEN) {
        esgx_crypto_wipe(out, n);
        return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "bip32: serialized to %zu characters", n);
    }
    return ESGX_OK;
}

int esgx_bip32_key_parse(const char *text, size_t text_len, esgx_bip32_key *out, esgx_err *err)
{
    if (!text || !out) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "bip32: NULL argument");
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    uint8_t raw[SERIALIZED_LEN + 8];
    size_t n = 0;
    int rc = esgx_base58check_decode(text, text_len, raw, sizeof raw, &n, err);
    if (rc == ESGX_CRYPTO_E_BUFFER || (rc == ESGX_OK && n != SERIALIZED_LEN)) {
        esgx_crypto_wipe(raw, sizeof raw);
        return esgx_err_set(err, ESGX_CRYPTO_E_KEY, "bip32: extended key is not %d bytes",
                            SERIALIZED_LEN);
    }
    if (rc) return rc;
    esgx_bip32_key k;
    memset(&k, 0, sizeof k);
    uint32_t version = get_u32be(raw);
    k.depth = raw[4];
    memcpy(k.parent_fingerprint, raw + 5, 4);
    k.child_number = get_u32be(raw + 9);
    memcpy(k.chain_code, raw + 13, 32);
    static const uint8_t zero4[4];
    if (version == VERSION_XPRV) {
        if (raw[45] != 0 || !secp256k1_ec_seckey_verify(ctx, raw + 46)) {
            rc = esgx_err_set(err, ESGX_CRYPTO_E_KEY, "bip32: xprv holds an invalid private key");
            goto done;
        }
        memcpy(k.private_key, raw + 46, 32);
        k.has_private = 1;
        if (!pub_of_priv(ctx, k.private_key, k.public_key)) {
            rc = esgx_err_set(err, ESGX_CRYPTO_E_KEY, "bip32: xprv holds an invalid private key");
            goto done;
        }
    } else if (version == VERSION_XPUB) {
        secp256k1_pubkey pk;
        if ((raw[45] != 2 && raw[45] != 3) || !secp256k1_ec_pubkey_parse(ctx, &pk, raw + 45, 33)) {
            rc = esgx_err_set(err, ESGX_CRYPTO_E_KEY, "bip32: xpub holds an invalid public key");
            goto done;
        }
        memcpy(k.public_key, raw + 45, 33);
    } else {
        rc = esgx_err_set(err, ESGX_CRYPTO_E_VERSION,
                          "bip32: version bytes %08x are neither xprv nor xpub", version);
        goto done;
    }
    if (k.depth == 0 && (memcmp(k.parent_fingerprint, zero4, 4) || k.child_number)) {
        rc = esgx_err_set(err, ESGX_CRYPTO_E_KEY,
                          "bip32: master key (depth 0) with a parent fingerprint or index");
        goto done;
    }
    *out = k;
done:
    esgx_crypto_wipe(raw, sizeof raw);
    esgx_bip32_key_wipe(&k);
    return rc;
}

void esgx_bip32_key_wipe(esgx_bip32_key *key)
{
    if (key) esgx_crypto_wipe(key, sizeof *key);
}

int esgx_bip32_shared_from_seed(const uint8_t *seed, size_t seed_len, esgx_bip32_key *out,
                           esgx_err *err)
{
    esgx_bip32_key a, b;
    int rc = esgx_bip32_master_from_seed(seed, seed_len, &a, err);
    if (rc) return rc;
    rc = esgx_bip32_child_derive(&a, ESGX_BIP32_HARDENED + 0, &b, err);
    if (!rc) rc = esgx_bip32_child_derive(&b, ESGX_BIP32_HARDENED + 0, out, err);
    esgx_bip32_key_wipe(&a);
    esgx_bip32_key_wipe(&b);
    return rc;
}

int esgx_bip32_module_key_derive(const esgx_bip32_key *shared, const uint8_t module_hash[32],
                            const uint8_t *path, size_t path_len, esgx_bip32_key *out,
                            esgx_err *err)
{
    if (!shared || !module_hash || !out || (!path && path_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "bip32: NULL argument");
    if (path_len % 2 || path_len > ESGX_BIP32_MAX_PATH_LEN)
        return esgx_err_set(err, ESGX_CRYPTO_E_PATH,
                            "derivation path of %zu bytes: must be even and at most %d",
                            path_len, ESGX_BIP32_MAX_PATH_LEN);
    esgx_bip32_key cur, next;
    int rc = esgx_bip32_child_derive(shared, 0, &cur, err);
    for (size_t i = 0; !rc && i < 32 + path_len; i += 2) {
        const uint8_t *p = i < 32 ? module_hash + i : path + (i - 32);
        rc = esgx_bip32_child_derive(&cur, (uint32_t)p[0] << 8 | p[1], &next, err);
        if (!rc) cur = next;
    }
    if (!rc) *out = cur;
    esgx_bip32_key_wipe(&cur);
    esgx_bip32_key_wipe(&next);
    return rc;
}
