/*
 * fuzz_ecies.c: libFuzzer target for ECIES decryption (built only with -DESGX_FUZZ=ON;
 * run with scripts/fuzz.sh). The input is a ciphertext for the fixed secret key
 * FUZZ_SECKEY (0x11 x 32; fuzz/make_seeds.sh encrypts the seeds to it).
 *
 * Properties checked on every input:
 *   - decrypting into a separate buffer and in place (out == ct) agree on the result
 *     code and, on success, on the plaintext;
 *   - a refused ciphertext leaves the output zeroed (the header promises it for a bad
 *     tag; nothing of a half-decrypted buffer may leak);
 *   - an accepted plaintext is then handed to esgx_approved_wasm_check, as the enclave
 *     does with secret inputs;
 *   - the input read as a plaintext survives encrypt-then-decrypt to the same key.
 * Tags cannot be forged, so mutated ciphertexts are refused: the point is that every
 * refusal is clean (no over-read of the 97-byte header, no leak, no UB).
 */
#include "esgx_crypto.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_INPUT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t FUZZ_SECKEY[32] = {
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
    0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Decrypts data both ways and checks they agree; returns the code. */
static int decrypt_both(const uint8_t *data, size_t size)
{
    size_t cap = size > ESGX_ECIES_OVERHEAD ? size - ESGX_ECIES_OVERHEAD : 0;
    uint8_t *out = malloc(cap ? cap : 1), *inplace = malloc(size ? size : 1);
    if (!out || !inplace)
        abort();
    memset(out, 0, cap ? cap : 1);
    memcpy(inplace, data, size);
    size_t n1 = 0, n2 = 0;
    esgx_err e;
    int rc1 = esgx_ecies_decrypt(FUZZ_SECKEY, data, size, out, cap, &n1, &e);
    int rc2 = esgx_ecies_decrypt(FUZZ_SECKEY, inplace, size, inplace, size, &n2, &e);
    if (rc1 != rc2)
        abort();
    if (rc1 == ESGX_OK) {
        if (n1 != cap || n2 != cap || memcmp(out, inplace, cap) != 0)
            abort();
        const uint8_t *body;
        size_t body_len;
        uint8_t hash[32];
        memset(hash, 0x22, sizeof hash);
        (void)esgx_approved_wasm_check(out, n1, hash, &body, &body_len, &e);
    } else if (!all_zero(out, cap)) {
        abort();
    }
    free(out);
    free(inplace);
    return rc1;
}

/* Encrypts data to the fixed key and decrypts it back. */
static void round_trip(const uint8_t *data, size_t size)
{
    uint8_t pub[33];
    esgx_err e;
    if (esgx_ec_pubkey_from_seckey(FUZZ_SECKEY, pub, &e))
        abort();
    size_t ct_cap = size + ESGX_ECIES_OVERHEAD, ct_len = 0, pt_len = 0;
    uint8_t *ct = malloc(ct_cap), *pt = malloc(size ? size : 1);
    if (!ct || !pt)
        abort();
    if (esgx_ecies_encrypt(pub, sizeof pub, data, size, ct, ct_cap, &ct_len, &e) ||
        ct_len != ct_cap ||
        esgx_ecies_decrypt(FUZZ_SECKEY, ct, ct_len, pt, size, &pt_len, &e) || pt_len != size ||
        (size && memcmp(pt, data, size) != 0))
        abort();
    free(ct);
    free(pt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    (void)decrypt_both(data, size);
    round_trip(data, size);
    return 0;
}
