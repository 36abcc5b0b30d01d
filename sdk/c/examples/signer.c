/*
 * signer: hashes its input with the SDK's SHA-256, signs the digest with this module's
 * root derived key and answers {"sha256": HEX32, "public_key": HEX33,
 * "signature": HEX65, "xpub": XPUB}: the same contract as the Rust and AssemblyScript
 * signers (which let the host hash), so one verifier checks all three.
 */
#include "esgx_sdk.h"

ESGX_MAIN
{
    uint32_t n;
    uint8_t *in = esgx_input_read(&n);
    if (!in) return 1;
    uint8_t digest[32], sig[FN0_SIGNATURE_LEN], key[FN0_PUBKEY_LEN];
    char xpub[FN0_XPUB_LEN], hex[2 * FN0_SIGNATURE_LEN], out[512];
    esgx_sha256(in, n, digest);
    if (fn0_derived_key_sign(0, 0, digest, sig) != 0 ||
        fn0_derived_key_public(0, 0, 0, key) != 0 ||
        fn0_shared_key_public(xpub) != FN0_XPUB_LEN) {
        fn0_output_str("error: host call failed");
        return 0;
    }
    esgx_json_writer w;
    esgx_json_begin(&w, out, sizeof out);
    esgx_json_str(&w, "sha256", hex, esgx_hex_encode(digest, 32, hex));
    esgx_json_str(&w, "public_key", hex, esgx_hex_encode(key, sizeof key, hex));
    esgx_json_str(&w, "signature", hex, esgx_hex_encode(sig, sizeof sig, hex));
    esgx_json_str(&w, "xpub", xpub, sizeof xpub);
    int32_t len = esgx_json_end(&w);
    if (len < 0) return 1;
    fn0_output_data_append(out, (uint32_t)len);
    return 0;
}
