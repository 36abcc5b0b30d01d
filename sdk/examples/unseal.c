/*
 * unseal: decrypts its input, ECIES ciphertext for the network's shared key whose
 * plaintext carries the approved-wasm header listing this module (as made by
 * `esgx encrypt shared`), and outputs the data. On failure outputs "error: CODE".
 */
#include "esgx_fn0.h"

static void put_error(int32_t code)
{
    char msg[] = "error: -00";
    int32_t c = -code;
    msg[8] = (char)('0' + (c / 10) % 10);
    msg[9] = (char)('0' + c % 10);
    fn0_output_data_clear();
    fn0_output_str(msg);
}

ESGX_MAIN
{
    uint32_t n = (uint32_t)fn0_input_data_size();
    uint8_t *buf = fn0_sbrk(n ? n : 1);
    if (!buf || fn0_input_data_copy(buf, 0, n) != 0) return 1;
    int32_t len = fn0_shared_key_unseal(buf, n);
    if (len < 0) {
        put_error(len);
        return 0;
    }
    fn0_output_data_append(buf, (uint32_t)len);
    return 0;
}
