/*
 * unseal: decrypts its input, data sealed to the network key with an approved-wasm
 * header listing this module (`esgx encrypt shared --pubkey XPUB data HASH`), and
 * outputs it; on failure outputs "error: MESSAGE (CODE)".
 */
#include "esgx_sdk.h"

ESGX_MAIN
{
    uint32_t n;
    uint8_t *data = esgx_input_read(&n);
    if (!data) return 1;
    int32_t len = fn0_shared_key_unseal(data, n);
    if (len < 0) esgx_output_fn0_error(len);
    else fn0_output_data_append(data, (uint32_t)len);
    return 0;
}
