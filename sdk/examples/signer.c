/*
 * signer: signs a 32-byte digest with this module's derived key (empty path).
 * Input: the digest as 64 hex characters. Output: the 65-byte recoverable signature
 * (r || s || v) as 130 hex characters. Anyone can recover the signer's public key and
 * compare it with derived_key_public of this module (or derive it from the xpub).
 */
#include "esgx_fn0.h"

static const char hexdig[] = "0123456789abcdef";

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

ESGX_MAIN
{
    char text[64];
    uint8_t digest[32], sig[FN0_SIGNATURE_LEN];
    if (fn0_input_data_size() != 64 || fn0_input_data_copy(text, 0, 64) != 0) {
        fn0_output_str("error: input must be a 32-byte digest in hex");
        return 0;
    }
    for (int i = 0; i < 32; i++) {
        int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            fn0_output_str("error: bad hex");
            return 0;
        }
        digest[i] = (uint8_t)(hi << 4 | lo);
    }
    if (fn0_derived_key_sign(0, 0, digest, sig) != 0) {
        fn0_output_str("error: signing failed");
        return 0;
    }
    char hex[2 * FN0_SIGNATURE_LEN];
    for (int i = 0; i < FN0_SIGNATURE_LEN; i++) {
        hex[2 * i] = hexdig[sig[i] >> 4];
        hex[2 * i + 1] = hexdig[sig[i] & 15];
    }
    fn0_output_data_append(hex, sizeof hex);
    return 0;
}
