/*
 * netkey.c: the pinned network key (netkey.h). Parsing accepts exactly two spellings of
 * one public fact, the xpub text and the 66-hex compressed public key, and refuses an
 * xprv outright (an operator pasting the secret must be told, not obeyed). Matching
 * compares the public key always and the xpub text too when the pin is an xpub, so the
 * chain code (which derives every module key) is pinned as well when the operator gave it.
 */
#include "netkey.h"

#include <string.h>

int esgx_netkey_pin_parse(const char *text, esgx_netkey_pin *pin, esgx_err *err)
{
    memset(pin, 0, sizeof *pin);
    size_t n = text ? strlen(text) : 0;
    esgx_err e;
    if (n == 66) {
        uint8_t raw[33];
        size_t len = 0;
        if (esgx_crypto_hex_decode(text, n, raw, sizeof raw, &len, &e) != 0 ||
            (raw[0] != 2 && raw[0] != 3) ||
            esgx_ec_pubkey_normalize(raw, sizeof raw, pin->public_key, &e) != 0)
            return esgx_err_set(err, ESGX_ENCLAVE_E_CONFIG,
                                "--network-key: 66 characters but not a compressed public key "
                                "in hex (02.. or 03..)");
        pin->set = 1;
        return 0;
    }
    esgx_bip32_key key;
    memset(&key, 0, sizeof key);
    if (n != ESGX_BIP32_TEXT_LEN || esgx_bip32_key_parse(text, n, &key, &e) != 0) {
        esgx_bip32_key_wipe(&key);
        return esgx_err_set(err, ESGX_ENCLAVE_E_CONFIG,
                            "--network-key: expected the network's xpub (111 characters) or "
                            "its public key (66 hex characters), as printed by the --init node");
    }
    int priv = key.has_private;
    if (!priv) memcpy(pin->public_key, key.public_key, 33);
    esgx_bip32_key_wipe(&key);
    if (priv)
        return esgx_err_set(err, ESGX_ENCLAVE_E_CONFIG,
                            "--network-key: this is a private key (xprv), the network's secret; "
                            "give its xpub (the public half), never the xprv");
    memcpy(pin->xpub, text, n);
    pin->xpub[n] = 0;
    pin->set = 1;
    return 0;
}

int esgx_netkey_pin_matches(const esgx_netkey_pin *pin, const char *xpub,
                            const uint8_t public_key[33])
{
    if (!pin->set) return 1;
    if (memcmp(pin->public_key, public_key, 33) != 0) return 0;
    return !pin->xpub[0] || (xpub && !strcmp(pin->xpub, xpub));
}

void esgx_netkey_hex(const uint8_t public_key[33], char out[67])
{
    esgx_crypto_hex_encode(public_key, 33, out);
}

int esgx_netkey_of_xprv(const char *xprv, char xpub[ESGX_BIP32_TEXT_LEN + 1],
                        uint8_t public_key[33], esgx_err *err)
{
    esgx_bip32_key key;
    esgx_err e;
    int rc = 0;
    memset(&key, 0, sizeof key);
    if (esgx_bip32_key_parse(xprv, strlen(xprv), &key, &e) != 0) {
        rc = esgx_err_set(err, ESGX_ENCLAVE_E_CONFIG, "not an extended key: %s", e.msg);
    } else if (!key.has_private) {
        rc = esgx_err_set(err, ESGX_ENCLAVE_E_CONFIG, "not a private extended key");
    } else if (esgx_bip32_key_serialize(&key, 0, xpub, ESGX_BIP32_TEXT_LEN + 1, &e) != 0) {
        rc = esgx_err_set(err, ESGX_ENCLAVE_E_CONFIG, "cannot serialise its xpub: %s", e.msg);
    } else {
        memcpy(public_key, key.public_key, 33);
    }
    esgx_bip32_key_wipe(&key);
    return rc;
}
