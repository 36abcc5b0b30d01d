/*
 * fuzz_approved_wasm.c: libFuzzer target for the approved-wasm plaintext header
 * (esgx_approved_wasm_check; built only with -DESGX_FUZZ=ON; run with scripts/fuzz.sh).
 * The first 32 input bytes are the calling module's hash, the rest is the decrypted
 * plaintext (given in an exact-size heap copy, so any over-read is an ASan report).
 *
 * Properties of an accepted plaintext: the data span lies inside it, is not empty and
 * ends where the plaintext ends; its start is right after magic + count + count hashes;
 * the module hash is among those listed; and esgx_approved_wasm_build, given the
 * listed hashes and the data, rebuilds exactly the same plaintext.
 */
#include "esgx_crypto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(const uint8_t *pt, size_t n, const uint8_t hash[32],
                           const uint8_t *body, size_t body_len)
{
    size_t count = pt[ESGX_APPROVED_WASM_MAGIC_LEN];
    size_t head = ESGX_APPROVED_WASM_MAGIC_LEN + 1 + 32 * count;
    const uint8_t(*list)[32] = (const uint8_t(*)[32])(pt + ESGX_APPROVED_WASM_MAGIC_LEN + 1);
    if (count == 0 || body != pt + head || body_len == 0 || head + body_len != n)
        abort();
    int listed = 0;
    for (size_t i = 0; i < count; i++)
        listed |= memcmp(list[i], hash, 32) == 0;
    if (!listed)
        abort();
    uint8_t *again = malloc(n);
    size_t len = 0;
    esgx_err e;
    if (!again || esgx_approved_wasm_build(list, count, body, body_len, again, n, &len, &e) ||
        len != n || memcmp(again, pt, n) != 0)
        abort();
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 32)
        return 0;
    uint8_t hash[32];
    memcpy(hash, data, 32);
    size_t n = size - 32;
    uint8_t *pt = malloc(n ? n : 1);
    if (!pt)
        abort();
    if (n)
        memcpy(pt, data + 32, n);
    const uint8_t *body = NULL;
    size_t body_len = 0;
    esgx_err e;
    int rc = esgx_approved_wasm_check(pt, n, hash, &body, &body_len, &e);
    if (rc == ESGX_OK)
        check_accepted(pt, n, hash, body, body_len);
    else if (rc != ESGX_CRYPTO_E_HEADER && rc != ESGX_CRYPTO_E_NOT_APPROVED)
        abort();
    free(pt);
    return 0;
}
