/*
 * derived_key: outputs the hex of this module's derived public key (33 bytes) for the
 * derivation path given as input (raw bytes, even length, at most 256), then a newline
 * and the shared xpub. Clients can derive the same public key from the xpub alone.
 */
#include "esgx_fn0.h"

static const char hexdig[] = "0123456789abcdef";

ESGX_MAIN
{
    uint8_t path[FN0_MAX_PATH_LEN + 2];
    uint32_t n = (uint32_t)fn0_input_data_size();
    if (n > sizeof path) n = sizeof path;   /* longer paths get -3 from the host */
    if (n && fn0_input_data_copy(path, 0, n) != 0) return 1;
    uint8_t key[FN0_PUBKEY_LEN];
    int32_t rc = fn0_derived_key_public(0, path, n, key);
    if (rc != 0) {
        fn0_output_str(rc == FN0_ERR_INVALID_PATH ? "error: invalid path" : "error");
        return 0;
    }
    char hex[2 * FN0_PUBKEY_LEN + 1];
    for (int i = 0; i < FN0_PUBKEY_LEN; i++) {
        hex[2 * i] = hexdig[key[i] >> 4];
        hex[2 * i + 1] = hexdig[key[i] & 15];
    }
    hex[2 * FN0_PUBKEY_LEN] = '\n';
    fn0_output_data_append(hex, sizeof hex);
    char xpub[FN0_XPUB_LEN];
    if (fn0_shared_key_public(xpub) == FN0_XPUB_LEN) fn0_output_data_append(xpub, sizeof xpub);
    return 0;
}
