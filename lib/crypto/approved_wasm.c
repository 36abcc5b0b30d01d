/*
 * approved_wasm.c: the approved-wasm plaintext header of Fleek's sgxencrypt.
 *
 *   "FLEEK_ENCLAVE_APPROVED_WASM" (27) + u8 count (1..255) + count x 32-byte module
 *   hashes + data (at least one byte)
 *
 * Data encrypted once to the shared key this way may be unsealed only by the listed
 * modules. Parsing never reads past pt_len and returns pointers into the caller's
 * buffer (no copies of the possibly secret data).
 */
#include "esgx_crypto.h"

#include <string.h>

int esgx_approved_wasm_build(const uint8_t (*hashes)[32], size_t count, const uint8_t *data,
                        size_t data_len, uint8_t *out, size_t out_cap, size_t *out_len,
                        esgx_err *err)
{
    if (!hashes || !out || !data)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "approved-wasm: NULL argument");
    if (count < 1 || count > 255)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "approved-wasm: %zu module hashes, need 1..255",
                            count);
    if (data_len < 1)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "approved-wasm: data must be at least one byte");
    size_t head = ESGX_APPROVED_WASM_MAGIC_LEN + 1 + 32 * count;
    if (data_len > SIZE_MAX - head || out_cap < head + data_len)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "approved-wasm: output needs %zu bytes, have %zu",
                            head + data_len, out_cap);
    memmove(out + head, data, data_len);
    memcpy(out, ESGX_APPROVED_WASM_MAGIC, ESGX_APPROVED_WASM_MAGIC_LEN);
    out[ESGX_APPROVED_WASM_MAGIC_LEN] = (uint8_t)count;
    memcpy(out + ESGX_APPROVED_WASM_MAGIC_LEN + 1, hashes, 32 * count);
    if (out_len) *out_len = head + data_len;
    return ESGX_OK;
}

int esgx_approved_wasm_check(const uint8_t *pt, size_t pt_len, const uint8_t module_hash[32],
                        const uint8_t **data, size_t *data_len, esgx_err *err)
{
    if ((!pt && pt_len) || !module_hash)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "approved-wasm: NULL argument");
    if (pt_len < ESGX_APPROVED_WASM_MAGIC_LEN + 1 ||
        memcmp(pt, ESGX_APPROVED_WASM_MAGIC, ESGX_APPROVED_WASM_MAGIC_LEN) != 0)
        return esgx_err_set(err, ESGX_CRYPTO_E_HEADER,
                            "approved-wasm: plaintext does not start with " ESGX_APPROVED_WASM_MAGIC
                            " and a count");
    size_t count = pt[ESGX_APPROVED_WASM_MAGIC_LEN];
    if (count == 0)
        return esgx_err_set(err, ESGX_CRYPTO_E_HEADER, "approved-wasm: module count is 0");
    size_t head = ESGX_APPROVED_WASM_MAGIC_LEN + 1 + 32 * count;
    if (pt_len < head)
        return esgx_err_set(err, ESGX_CRYPTO_E_HEADER,
                            "approved-wasm: %zu module hashes announced, plaintext of %zu bytes "
                            "is too short for them",
                            count, pt_len);
    if (pt_len == head)
        return esgx_err_set(err, ESGX_CRYPTO_E_HEADER, "approved-wasm: no data after the header");
    const uint8_t *list = pt + ESGX_APPROVED_WASM_MAGIC_LEN + 1;
    for (size_t i = 0; i < count; i++) {
        if (memcmp(list + 32 * i, module_hash, 32) == 0) {
            if (data) *data = pt + head;
            if (data_len) *data_len = pt_len - head;
            return ESGX_OK;
        }
    }
    return esgx_err_set(err, ESGX_CRYPTO_E_NOT_APPROVED,
                        "approved-wasm: this module's hash is not among the %zu approved", count);
}
