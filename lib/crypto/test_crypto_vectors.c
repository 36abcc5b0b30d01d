/*
 * test_crypto_vectors.c: interop vectors made with independent libraries (eciesjs,
 * @noble/curves, @scure/bip32), read from $ESGX_SHARED_DIR/vectors/interop/ (ecies, signatures, bip32 .json):
 *
 *   ecies.json       decrypt each ciphertext with its secret key; our own encryption to
 *                    the case's public key decrypts back to the plaintext
 *   signatures.json  our signature is the exact 65 bytes; recovery gives the public key
 *   bip32.json       shared xprv/xpub from the seed; the derived secret and public keys
 *                    from the xprv; the derived public key from the xpub alone
 *
 * Exits 77 (skip) when the shared directory is absent; fails if a file is missing or
 * holds no cases, so a broken checkout cannot pass silently.
 */
#include "esgx_crypto.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int failures;

#define FAIL(...)                                                                      \
    do {                                                                               \
        fprintf(stderr, __VA_ARGS__);                                                  \
        fputc('\n', stderr);                                                           \
        failures++;                                                                    \
    } while (0)

/* Hex field of a case into a malloc'd buffer (at least 1 byte allocated). */
static uint8_t *hex_field(json_t *c, const char *name, size_t *len)
{
    const char *s = json_string_value(json_object_get(c, name));
    if (!s) {
        fprintf(stderr, "vector lacks string field '%s'\n", name);
        exit(1);
    }
    size_t tl = strlen(s);
    uint8_t *buf = malloc(tl / 2 + 1);
    esgx_err err;
    if (!buf || esgx_crypto_hex_decode(s, tl, buf, tl / 2 + 1, len, &err)) {
        fprintf(stderr, "field '%s': %s\n", name, err.msg);
        exit(1);
    }
    return buf;
}

static const char *str_field(json_t *c, const char *name)
{
    const char *s = json_string_value(json_object_get(c, name));
    if (!s) {
        fprintf(stderr, "vector lacks string field '%s'\n", name);
        exit(1);
    }
    return s;
}

static json_t *load_cases(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/vectors/interop/%s", dir, file);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "%s: %s (line %d)\n", path, jerr.text, jerr.line);
        exit(1);
    }
    json_t *cases = json_object_get(root, "cases");
    if (!json_is_array(cases) || json_array_size(cases) == 0) {
        fprintf(stderr, "%s: no cases\n", path);
        exit(1);
    }
    json_incref(cases);
    json_decref(root);
    return cases;
}

static int test_ecies(const char *dir)
{
    json_t *cases = load_cases(dir, "ecies.json");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        size_t skl, pkl, ptl, ctl, outl = 0;
        uint8_t *sk = hex_field(c, "secret_key", &skl), *pk = hex_field(c, "public_key_compressed", &pkl),
                *pt = hex_field(c, "plaintext", &ptl), *ct = hex_field(c, "ciphertext", &ctl);
        uint8_t *out = malloc(ctl + ESGX_ECIES_OVERHEAD + 1);
        esgx_err err;
        uint8_t derived_pk[33];
        if (skl != 32 || pkl != 33 || esgx_ec_pubkey_from_seckey(sk, derived_pk, &err) ||
            memcmp(derived_pk, pk, 33))
            FAIL("ecies case %zu: public key does not match the secret key", i);
        int rc = esgx_ecies_decrypt(sk, ct, ctl, out, ctl, &outl, &err);
        if (rc) FAIL("ecies case %zu: decrypt failed: %s", i, err.msg);
        else if (outl != ptl || memcmp(out, pt, ptl))
            FAIL("ecies case %zu: wrong plaintext (%zu bytes, want %zu)", i, outl, ptl);
        /* our own encryption to the same key round-trips */
        size_t cl = 0;
        uint8_t *mine = malloc(ptl + ESGX_ECIES_OVERHEAD);
        rc = esgx_ecies_encrypt(pk, pkl, pt, ptl, mine, ptl + ESGX_ECIES_OVERHEAD, &cl, &err);
        if (rc) FAIL("ecies case %zu: encrypt failed: %s", i, err.msg);
        else {
            rc = esgx_ecies_decrypt(sk, mine, cl, out, ptl + 1, &outl, &err);
            if (rc || outl != ptl || memcmp(out, pt, ptl))
                FAIL("ecies case %zu: own round trip failed (%d)", i, rc);
        }
        /* tampering with the vector's tag is detected */
        ct[65 + 16] ^= 1;
        rc = esgx_ecies_decrypt(sk, ct, ctl, out, ctl, &outl, &err);
        if (rc != ESGX_CRYPTO_E_AUTH) FAIL("ecies case %zu: flipped tag gave %d", i, rc);
        free(sk), free(pk), free(pt), free(ct), free(out), free(mine);
    }
    size_t n = json_array_size(cases);
    json_decref(cases);
    return (int)n;
}

static int test_signatures(const char *dir)
{
    json_t *cases = load_cases(dir, "signatures.json");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        size_t skl, pkl, dl, sl;
        uint8_t *sk = hex_field(c, "secret_key", &skl), *pk = hex_field(c, "public_key_compressed", &pkl),
                *d = hex_field(c, "digest", &dl), *sig = hex_field(c, "signature", &sl);
        uint8_t mine[65], rec[33];
        esgx_err err;
        if (skl != 32 || pkl != 33 || dl != 32 || sl != 65) {
            FAIL("signature case %zu: bad field lengths", i);
        } else {
            if (esgx_ec_sign_recoverable(sk, d, mine, &err)) FAIL("sig case %zu: %s", i, err.msg);
            else if (memcmp(mine, sig, 65)) FAIL("signature case %zu: signature differs", i);
            if (esgx_ec_recover(d, sig, rec, &err)) FAIL("sig case %zu: recover: %s", i, err.msg);
            else if (memcmp(rec, pk, 33)) FAIL("signature case %zu: recovered another key", i);
        }
        free(sk), free(pk), free(d), free(sig);
    }
    size_t n = json_array_size(cases);
    json_decref(cases);
    return (int)n;
}

static int test_bip32(const char *dir)
{
    json_t *cases = load_cases(dir, "bip32.json");
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c) {
        size_t seedl, hl, pl, dskl, dpkl, spkl;
        uint8_t *seed = hex_field(c, "seed", &seedl), *hash = hex_field(c, "wasm_hash", &hl),
                *path = hex_field(c, "path", &pl), *dsk = hex_field(c, "derived_secret_key", &dskl),
                *dpk = hex_field(c, "derived_public_key_compressed", &dpkl),
                *spk = hex_field(c, "shared_public_key_compressed", &spkl);
        const char *xprv = str_field(c, "shared_xprv"), *xpub = str_field(c, "shared_xpub");
        esgx_bip32_key shared, parsed_prv, parsed_pub, d1, d2, d3;
        char text[ESGX_BIP32_TEXT_LEN + 1];
        esgx_err err;
        if (hl != 32 || dskl != 32 || dpkl != 33 || spkl != 33) {
            FAIL("bip32 case %zu: bad field lengths", i);
            goto next;
        }
        if (esgx_bip32_shared_from_seed(seed, seedl, &shared, &err)) {
            FAIL("bip32 case %zu: shared_from_seed: %s", i, err.msg);
            goto next;
        }
        if (esgx_bip32_key_serialize(&shared, 1, text, sizeof text, &err) || strcmp(text, xprv))
            FAIL("bip32 case %zu: xprv differs", i);
        if (esgx_bip32_key_serialize(&shared, 0, text, sizeof text, &err) || strcmp(text, xpub))
            FAIL("bip32 case %zu: xpub differs", i);
        if (memcmp(shared.public_key, spk, 33)) FAIL("bip32 case %zu: shared public key", i);
        if (esgx_bip32_key_parse(xprv, strlen(xprv), &parsed_prv, &err) ||
            esgx_bip32_key_parse(xpub, strlen(xpub), &parsed_pub, &err)) {
            FAIL("bip32 case %zu: parse: %s", i, err.msg);
            goto next;
        }
        if (esgx_bip32_module_key_derive(&parsed_prv, hash, path, pl, &d1, &err) ||
            esgx_bip32_module_key_derive(&parsed_pub, hash, path, pl, &d2, &err) ||
            esgx_bip32_module_key_derive(&shared, hash, path, pl, &d3, &err)) {
            FAIL("bip32 case %zu: module derive: %s", i, err.msg);
            goto next;
        }
        if (!d1.has_private || memcmp(d1.private_key, dsk, 32))
            FAIL("bip32 case %zu: derived secret key from xprv differs", i);
        if (memcmp(d1.public_key, dpk, 33))
            FAIL("bip32 case %zu: derived public key from xprv differs", i);
        if (d2.has_private || memcmp(d2.public_key, dpk, 33))
            FAIL("bip32 case %zu: derived public key from xpub differs", i);
        if (memcmp(d3.private_key, dsk, 32))
            FAIL("bip32 case %zu: derived key from seed differs", i);
        esgx_bip32_key_wipe(&d1);
        esgx_bip32_key_wipe(&d3);
        esgx_bip32_key_wipe(&shared);
        esgx_bip32_key_wipe(&parsed_prv);
    next:
        free(seed), free(hash), free(path), free(dsk), free(dpk), free(spk);
    }
    size_t n = json_array_size(cases);
    json_decref(cases);
    return (int)n;
}

int main(void)
{
    const char *dir = getenv("ESGX_SHARED_DIR");
    struct stat st;
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/vectors/interop", dir ? dir : "");
    if (!dir || stat(probe, &st) != 0) {
        fprintf(stderr, "crypto_vectors: SKIP: %s not found (set ESGX_SHARED_DIR)\n", probe);
        return 77;
    }
    int ne = test_ecies(dir), ns = test_signatures(dir), nb = test_bip32(dir);
    if (failures) {
        fprintf(stderr, "crypto_vectors: %d failure(s)\n", failures);
        return 1;
    }
    printf("crypto_vectors: %d ecies, %d signature, %d bip32 cases passed\n", ne, ns, nb);
    return 0;
}
