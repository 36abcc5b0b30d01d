/*
 * unseal_derived: decrypts its input, sealed to this module's derived key at path bytes
 * ab 12 (`esgx encrypt wasm --pubkey XPUB --path ab12 HASH data`), and outputs it; on
 * failure outputs "error: MESSAGE (CODE)".
 */
#include "esgx_sdk.h"

ESGX_MAIN
{
    static const uint8_t path[2] = {0xab, 0x12};
    uint32_t n;
    uint8_t *data = esgx_input_read(&n);
    if (!data) return 1;
    int32_t len = fn0_derived_key_unseal(path, sizeof path, data, n);
    if (len >= 0) {
        fn0_output_data_append(data, (uint32_t)len);
        return 0;
    }
    esgx_output_fn0_error(len);
    return 0;
}
