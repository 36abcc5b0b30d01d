/*
 * test_netkey.c: the pinned network key (netkey.h) on real keys: two networks' shared
 * keys from two seeds; a pin by xpub or by public key hex matches its own network and
 * not the other; an xpub pin also pins the chain code; an xprv, a truncated xpub, an
 * uncompressed or off-curve key, and junk are refused with a message; no pin matches all.
 */
#include "netkey.h"
#include "test_util.h"

static void shared(uint8_t fill, esgx_bip32_key *key, char xpub[ESGX_BIP32_TEXT_LEN + 1],
                   char xprv[ESGX_BIP32_TEXT_LEN + 1])
{
    uint8_t seed[32];
    memset(seed, fill, sizeof seed);
    esgx_err err;
    CHECK_EQ_INT(esgx_bip32_shared_from_seed(seed, sizeof seed, key, &err), 0);
    CHECK_EQ_INT(esgx_bip32_key_serialize(key, 0, xpub, ESGX_BIP32_TEXT_LEN + 1, &err), 0);
    CHECK_EQ_INT(esgx_bip32_key_serialize(key, 1, xprv, ESGX_BIP32_TEXT_LEN + 1, &err), 0);
}

int main(void)
{
    esgx_bip32_key a, b;
    char xpub_a[112], xprv_a[112], xpub_b[112], xprv_b[112], hex_a[67], hex_b[67];
    shared(1, &a, xpub_a, xprv_a);
    shared(2, &b, xpub_b, xprv_b);
    esgx_netkey_hex(a.public_key, hex_a);
    esgx_netkey_hex(b.public_key, hex_b);
    CHECK_EQ_INT((int)strlen(hex_a), 66);

    /* what a peer offers (an xprv) gives its xpub and public key */
    char xpub[112];
    uint8_t pub[33];
    esgx_err err;
    CHECK_EQ_INT(esgx_netkey_of_xprv(xprv_a, xpub, pub, &err), 0);
    CHECK(!strcmp(xpub, xpub_a));
    CHECK(!memcmp(pub, a.public_key, 33));
    CHECK(esgx_netkey_of_xprv(xpub_a, xpub, pub, &err) != 0);   /* not private */
    CHECK(esgx_netkey_of_xprv("junk", xpub, pub, &err) != 0);

    /* no pin: anything matches */
    esgx_netkey_pin pin;
    memset(&pin, 0, sizeof pin);
    CHECK(esgx_netkey_pin_matches(&pin, xpub_b, b.public_key));

    /* a pin by xpub */
    CHECK_EQ_INT(esgx_netkey_pin_parse(xpub_a, &pin, &err), 0);
    CHECK(pin.set);
    CHECK(esgx_netkey_pin_matches(&pin, xpub_a, a.public_key));
    CHECK(!esgx_netkey_pin_matches(&pin, xpub_b, b.public_key));
    /* the same public key with another chain code is another network key */
    esgx_bip32_key c = a;
    c.chain_code[0] ^= 1;
    char xpub_c[112];
    CHECK_EQ_INT(esgx_bip32_key_serialize(&c, 0, xpub_c, sizeof xpub_c, &err), 0);
    CHECK(!esgx_netkey_pin_matches(&pin, xpub_c, c.public_key));

    /* a pin by public key hex (either case) */
    CHECK_EQ_INT(esgx_netkey_pin_parse(hex_b, &pin, &err), 0);
    CHECK(esgx_netkey_pin_matches(&pin, xpub_b, b.public_key));
    CHECK(!esgx_netkey_pin_matches(&pin, xpub_a, a.public_key));
    char upper[67];
    for (int i = 0; i < 67; i++)
        upper[i] = (char)(hex_b[i] >= 'a' && hex_b[i] <= 'f' ? hex_b[i] - 32 : hex_b[i]);
    CHECK_EQ_INT(esgx_netkey_pin_parse(upper, &pin, &err), 0);
    CHECK(esgx_netkey_pin_matches(&pin, xpub_b, b.public_key));

    /* refused */
    CHECK_EQ_INT(esgx_netkey_pin_parse(xprv_a, &pin, &err), ESGX_ENCLAVE_E_CONFIG);
    CHECK(strstr(err.msg, "private key") != NULL);
    CHECK(!pin.set);
    char cut[112];
    snprintf(cut, sizeof cut, "%.110s", xpub_a);
    CHECK_EQ_INT(esgx_netkey_pin_parse(cut, &pin, &err), ESGX_ENCLAVE_E_CONFIG);
    CHECK(strstr(err.msg, "xpub") != NULL);
    char bad[67];
    memcpy(bad, hex_a, 67);
    bad[1] = '4';                          /* 04..: not a compressed key */
    CHECK_EQ_INT(esgx_netkey_pin_parse(bad, &pin, &err), ESGX_ENCLAVE_E_CONFIG);
    memset(bad + 2, 'f', 64);              /* x >= p: not on the curve */
    bad[1] = '2';
    CHECK_EQ_INT(esgx_netkey_pin_parse(bad, &pin, &err), ESGX_ENCLAVE_E_CONFIG);
    bad[5] = 'g';
    CHECK_EQ_INT(esgx_netkey_pin_parse(bad, &pin, &err), ESGX_ENCLAVE_E_CONFIG);
    CHECK_EQ_INT(esgx_netkey_pin_parse("", &pin, &err), ESGX_ENCLAVE_E_CONFIG);
    CHECK_EQ_INT(esgx_netkey_pin_parse(NULL, &pin, &err), ESGX_ENCLAVE_E_CONFIG);
    esgx_bip32_key_wipe(&a);
    esgx_bip32_key_wipe(&b);
    esgx_bip32_key_wipe(&c);
    T_DONE("enclave_netkey");
}
