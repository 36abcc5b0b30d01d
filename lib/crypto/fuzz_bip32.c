/*
 * fuzz_bip32.c: libFuzzer target for extended-key (xprv/xpub) parsing (built only with
 * -DESGX_FUZZ=ON; run with scripts/fuzz.sh). The input is taken as the key text, as
 * `esgx` and the node read it from files and flags.
 *
 * Properties of an accepted key:
 *   - it serialises back to exactly the input text (xprv when it has a private part,
 *     else xpub);
 *   - its neutered form serialises to an xpub that parses to the same public key,
 *     chain code, depth, fingerprint and index;
 *   - its first non-hardened child derives without error from both the key and its
 *     public form, and the two children have the same public key (a wrong point from a
 *     parsed key would show here); at depth 255 derivation is refused.
 */
#include "esgx_crypto.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT 1100 /* base58check refuses texts over 1024 characters */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_public(const esgx_bip32_key *a, const esgx_bip32_key *b)
{
    if (a->depth != b->depth || a->child_number != b->child_number ||
        memcmp(a->parent_fingerprint, b->parent_fingerprint, 4) != 0 ||
        memcmp(a->chain_code, b->chain_code, 32) != 0 ||
        memcmp(a->public_key, b->public_key, 33) != 0)
        abort();
}

static void check_key(const char *text, size_t size, const esgx_bip32_key *k)
{
    char out[ESGX_BIP32_TEXT_LEN + 1];
    esgx_err e;
    if (esgx_bip32_key_serialize(k, k->has_private, out, sizeof out, &e) ||
        strlen(out) != size || memcmp(out, text, size) != 0)
        abort();
    esgx_bip32_key pub, again, c1, c2;
    esgx_bip32_key_neuter(k, &pub);
    if (pub.has_private || esgx_bip32_key_serialize(&pub, 0, out, sizeof out, &e) ||
        esgx_bip32_key_parse(out, strlen(out), &again, &e) || again.has_private)
        abort();
    same_public(k, &again);
    /* a public key refuses to give its private form */
    if (esgx_bip32_key_serialize(&pub, 1, out, sizeof out, &e) == ESGX_OK)
        abort();
    if (k->depth == 255) { /* the deepest key has no children */
        if (esgx_bip32_child_derive(k, 0, &c1, &e) != ESGX_CRYPTO_E_DERIVE)
            abort();
        return;
    }
    if (esgx_bip32_child_derive(k, 0, &c1, &e) || esgx_bip32_child_derive(&pub, 0, &c2, &e))
        abort();
    same_public(&c1, &c2);
    esgx_bip32_key_wipe(&c1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    char *text = malloc(size ? size : 1); /* exact size: over-reads are ASan reports */
    if (!text)
        abort();
    if (size)
        memcpy(text, data, size);
    esgx_bip32_key k;
    esgx_err e;
    if (esgx_bip32_key_parse(text, size, &k, &e) == ESGX_OK) {
        check_key(text, size, &k);
        esgx_bip32_key_wipe(&k);
    }
    free(text);
    return 0;
}
