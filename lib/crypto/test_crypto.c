/*
 * test_crypto.c: unit tests of lib/crypto (everything but BLAKE3): known answers from
 * the Bitcoin base58 and BIP32 specifications, round trips, and every malformed input
 * the API documents, each of which must give its documented error code.
 * Interop with independent libraries is tested elsewhere (test_crypto_vectors.c and
 * tests/js/crypto_interop.mjs).
 */
#include "esgx_crypto.h"
#include "esgx_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The error out-parameter of the calls checked with CHECK_RC: filled by the library,
 * never read (the returned codes are what the tests assert). */
static esgx_err e_;

static void unhex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = 0;
    if (esgx_crypto_hex_decode(hex, strlen(hex), out, cap, &n, NULL) != 0) {
        fprintf(stderr, "bad hex in test: %s\n", hex);
        exit(1);
    }
    if (len) *len = n;
}

/* ---------------------------------------------------------------- base58 */

static void test_base58(void)
{
    static const char *const v[][2] = {
        {"", ""},
        {"61", "2g"},
        {"626262", "a3gV"},
        {"636363", "aPEr"},
        {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
        {"00eb15231dfceb60925886b67d065299925915aeb172c06647",
         "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
        {"516b6fcd0f", "ABnLTmg"},
        {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
        {"572e4794", "3EFU7m"},
        {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
        {"10c8511e", "Rt5zm"},
        {"00000000000000000000", "1111111111"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t raw[64], back[64];
        size_t n = 0, tl = 0, bl = 0;
        char text[128];
        unhex(v[i][0], raw, sizeof raw, &n);
        CHECK_RC(esgx_base58_encode(raw, n, text, sizeof text, &tl, &e_), 0);
        CHECK(tl == strlen(v[i][1]) && strcmp(text, v[i][1]) == 0);
        CHECK_RC(esgx_base58_decode(v[i][1], strlen(v[i][1]), back, sizeof back, &bl, &e_), 0);
        CHECK(bl == n && memcmp(back, raw, n) == 0);
    }
    /* buffer limits: exact fit works, one less fails */
    {
        uint8_t raw[5];
        size_t n;
        char text[8];
        unhex("516b6fcd0f", raw, sizeof raw, &n);
        CHECK_RC(esgx_base58_encode(raw, n, text, 8, NULL, &e_), 0); /* "ABnLTmg" + NUL */
        CHECK_RC(esgx_base58_encode(raw, n, text, 7, NULL, &e_), ESGX_CRYPTO_E_BUFFER);
        uint8_t out[5];
        CHECK_RC(esgx_base58_decode("ABnLTmg", 7, out, 5, NULL, &e_), 0);
        CHECK_RC(esgx_base58_decode("ABnLTmg", 7, out, 4, NULL, &e_), ESGX_CRYPTO_E_BUFFER);
        CHECK_RC(esgx_base58_decode("1111", 4, out, 3, NULL, &e_), ESGX_CRYPTO_E_BUFFER);
    }
    /* bad characters: 0 O I l, space, non-ASCII, NUL */
    {
        uint8_t out[64];
        const char *bad[] = {"2g0", "O", "abcI", "l11", "2g ", "a\xc3\xa9", "ab\0c"};
        size_t lens[] = {3, 1, 4, 3, 3, 3, 4};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            esgx_err e;
            CHECK(esgx_base58_decode(bad[i], lens[i], out, sizeof out, NULL, &e) == ESGX_CRYPTO_E_BASE58);
            CHECK(e.code == ESGX_CRYPTO_E_BASE58 && strstr(e.msg, "alphabet") != NULL);
        }
    }
    /* base58check */
    {
        uint8_t payload[40], back[40];
        char text[80];
        size_t tl = 0, bl = 0;
        for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7 + 1);
        payload[0] = 0;
        CHECK_RC(esgx_base58check_encode(payload, sizeof payload, text, sizeof text, &tl, &e_), 0);
        CHECK(text[0] == '1');
        CHECK_RC(esgx_base58check_decode(text, tl, back, sizeof back, &bl, &e_), 0);
        CHECK(bl == sizeof payload && memcmp(back, payload, bl) == 0);
        CHECK_RC(esgx_base58check_decode(text, tl, back, sizeof payload - 1, &bl, &e_),
                 ESGX_CRYPTO_E_BUFFER);
        /* change one character: the checksum no longer matches */
        char bad[80];
        memcpy(bad, text, tl + 1);
        bad[tl / 2] = bad[tl / 2] == 'z' ? 'y' : 'z';
        CHECK_RC(esgx_base58check_decode(bad, tl, back, sizeof back, &bl, &e_), ESGX_CRYPTO_E_CHECKSUM);
        bad[tl / 2] = '0';
        CHECK_RC(esgx_base58check_decode(bad, tl, back, sizeof back, &bl, &e_), ESGX_CRYPTO_E_BASE58);
        /* too short to hold a checksum */
        CHECK_RC(esgx_base58check_decode("2g", 2, back, sizeof back, &bl, &e_), ESGX_CRYPTO_E_CHECKSUM);
        /* a well-known Bitcoin address is valid base58check */
        const char *addr = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2";
        CHECK_RC(esgx_base58check_decode(addr, strlen(addr), back, sizeof back, &bl, &e_), 0);
        CHECK(bl == 21 && back[0] == 0 && back[1] == 0x77 && back[20] == 0x9a);
        CHECK_RC(esgx_base58check_encode(back, 21, text, sizeof text, &tl, &e_), 0);
        CHECK(strcmp(text, addr) == 0);
        /* the random base58 vector is not valid base58check */
        const char *nochk = "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L";
        CHECK_RC(esgx_base58check_decode(nochk, strlen(nochk), back, sizeof back, &bl, &e_),
                 ESGX_CRYPTO_E_CHECKSUM);
    }
}

/* ---------------------------------------------------------------- BIP32 */

static void test_bip32_spec_vector(void)
{
    /* BIP32 test vector 1 */
    static const char *const chain[][2] = {
        {"xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
         "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"},
        {"xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7",
         "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"},
        {"xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs",
         "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ"},
        {"xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM",
         "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5"},
        {"xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334",
         "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV"},
        {"xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76",
         "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy"},
    };
    static const uint32_t idx[] = {ESGX_BIP32_HARDENED + 0, 1, ESGX_BIP32_HARDENED + 2, 2, 1000000000};
    uint8_t seed[16];
    unhex("000102030405060708090a0b0c0d0e0f", seed, sizeof seed, NULL);
    esgx_bip32_key k, next, parsed, pub;
    char text[ESGX_BIP32_TEXT_LEN + 1];
    CHECK_RC(esgx_bip32_master_from_seed(seed, sizeof seed, &k, &e_), 0);
    for (size_t i = 0; i < 6; i++) {
        CHECK_RC(esgx_bip32_key_serialize(&k, 1, text, sizeof text, &e_), 0);
        CHECK(strcmp(text, chain[i][0]) == 0);
        CHECK_RC(esgx_bip32_key_serialize(&k, 0, text, sizeof text, &e_), 0);
        CHECK(strcmp(text, chain[i][1]) == 0);
        /* parse both forms back */
        CHECK_RC(esgx_bip32_key_parse(chain[i][0], ESGX_BIP32_TEXT_LEN, &parsed, &e_), 0);
        CHECK(parsed.has_private && memcmp(parsed.private_key, k.private_key, 32) == 0 &&
              memcmp(parsed.public_key, k.public_key, 33) == 0 && parsed.depth == k.depth &&
              parsed.child_number == k.child_number &&
              memcmp(parsed.chain_code, k.chain_code, 32) == 0 &&
              memcmp(parsed.parent_fingerprint, k.parent_fingerprint, 4) == 0);
        CHECK_RC(esgx_bip32_key_parse(chain[i][1], ESGX_BIP32_TEXT_LEN, &parsed, &e_), 0);
        CHECK(!parsed.has_private && memcmp(parsed.public_key, k.public_key, 33) == 0);
        /* public derivation agrees where the index is not hardened */
        if (i < 5) {
            CHECK_RC(esgx_bip32_child_derive(&k, idx[i], &next, &e_), 0);
            if (idx[i] < ESGX_BIP32_HARDENED) {
                esgx_bip32_key_neuter(&k, &pub);
                CHECK(!pub.has_private);
                esgx_bip32_key pchild;
                CHECK_RC(esgx_bip32_child_derive(&pub, idx[i], &pchild, &e_), 0);
                CHECK(!pchild.has_private &&
                      memcmp(pchild.public_key, next.public_key, 33) == 0 &&
                      memcmp(pchild.chain_code, next.chain_code, 32) == 0);
                CHECK_RC(esgx_bip32_key_serialize(&pchild, 1, text, sizeof text, &e_), ESGX_CRYPTO_E_ARG);
            } else {
                esgx_bip32_key_neuter(&k, &pub);
                esgx_err e;
                CHECK(esgx_bip32_child_derive(&pub, idx[i], &next, &e) == ESGX_CRYPTO_E_DERIVE);
                CHECK(strstr(e.msg, "hardened") != NULL);
                CHECK_RC(esgx_bip32_child_derive(&k, idx[i], &next, &e_), 0);
            }
            k = next;
        }
    }
    CHECK_RC(esgx_bip32_key_serialize(&k, 1, text, ESGX_BIP32_TEXT_LEN, &e_), ESGX_CRYPTO_E_BUFFER);
    esgx_bip32_key_wipe(&k);
    CHECK(k.has_private == 0 && k.private_key[0] == 0 && k.private_key[31] == 0);
    /* seed length limits */
    uint8_t big[65] = {1};
    CHECK_RC(esgx_bip32_master_from_seed(big, 15, &k, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_bip32_master_from_seed(big, 65, &k, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_bip32_master_from_seed(big, 64, &k, &e_), 0);
}

/* Re-encodes an extended key with its 78 bytes modified by fn. */
static void reencode(const char *text, void (*fn)(uint8_t *raw), char *out)
{
    uint8_t raw[78];
    size_t n = 0;
    if (esgx_base58check_decode(text, strlen(text), raw, sizeof raw, &n, NULL) || n != 78) {
        fprintf(stderr, "reencode: bad input\n");
        exit(1);
    }
    fn(raw);
    if (esgx_base58check_encode(raw, 78, out, ESGX_BIP32_TEXT_LEN + 8, NULL, NULL)) exit(1);
}

static void set_tpub(uint8_t *r) { r[0] = 0x04, r[1] = 0x35, r[2] = 0x87, r[3] = 0xCF; }
static void set_tprv(uint8_t *r) { r[0] = 0x04, r[1] = 0x35, r[2] = 0x83, r[3] = 0x94; }
static void swap_xpub_ver(uint8_t *r) { r[3] = 0xE4, r[2] = 0xAD; } /* xpub bytes -> xprv */
static void bad_point(uint8_t *r) { r[45] = 0x04; }
static void zero_priv(uint8_t *r) { memset(r + 46, 0, 32); }
static void depth0_index(uint8_t *r) { r[12] = 1; }

static void test_bip32_malformed(void)
{
    const char *xprv = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
    const char *xpub = "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
    char t[ESGX_BIP32_TEXT_LEN + 8];
    esgx_bip32_key k;
    esgx_err e;
    reencode(xpub, set_tpub, t);
    CHECK(esgx_bip32_key_parse(t, strlen(t), &k, &e) == ESGX_CRYPTO_E_VERSION);
    CHECK(strstr(e.msg, "043587cf") != NULL);
    reencode(xprv, set_tprv, t);
    CHECK_RC(esgx_bip32_key_parse(t, strlen(t), &k, &e_), ESGX_CRYPTO_E_VERSION);
    /* xprv version bytes over public key data */
    reencode(xpub, swap_xpub_ver, t);
    CHECK_RC(esgx_bip32_key_parse(t, strlen(t), &k, &e_), ESGX_CRYPTO_E_KEY);
    reencode(xpub, bad_point, t);
    CHECK_RC(esgx_bip32_key_parse(t, strlen(t), &k, &e_), ESGX_CRYPTO_E_KEY);
    reencode(xprv, zero_priv, t);
    CHECK_RC(esgx_bip32_key_parse(t, strlen(t), &k, &e_), ESGX_CRYPTO_E_KEY);
    reencode(xprv, depth0_index, t);
    CHECK_RC(esgx_bip32_key_parse(t, strlen(t), &k, &e_), ESGX_CRYPTO_E_KEY);
    /* bad character, bad checksum, truncation */
    memcpy(t, xpub, ESGX_BIP32_TEXT_LEN + 1);
    t[50] = '0';
    CHECK_RC(esgx_bip32_key_parse(t, ESGX_BIP32_TEXT_LEN, &k, &e_), ESGX_CRYPTO_E_BASE58);
    memcpy(t, xpub, ESGX_BIP32_TEXT_LEN + 1);
    t[50] = t[50] == 'a' ? 'b' : 'a';
    CHECK_RC(esgx_bip32_key_parse(t, ESGX_BIP32_TEXT_LEN, &k, &e_), ESGX_CRYPTO_E_CHECKSUM);
    CHECK_RC(esgx_bip32_key_parse(xpub, ESGX_BIP32_TEXT_LEN - 1, &k, &e_), ESGX_CRYPTO_E_CHECKSUM);
    /* a valid base58check payload of the wrong length */
    uint8_t short_payload[77] = {0x04, 0x88, 0xB2, 0x1E};
    CHECK_RC(esgx_base58check_encode(short_payload, sizeof short_payload, t, sizeof t, NULL, &e_), 0);
    CHECK_RC(esgx_bip32_key_parse(t, strlen(t), &k, &e_), ESGX_CRYPTO_E_KEY);
}

static void test_module_keys(void)
{
    uint8_t seed[32], hash[32], path[258];
    for (int i = 0; i < 32; i++) seed[i] = (uint8_t)(0xA0 + i), hash[i] = (uint8_t)(i * 13);
    for (int i = 0; i < 258; i++) path[i] = (uint8_t)i;
    esgx_bip32_key shared, pub, d1, d2, m, c;
    CHECK_RC(esgx_bip32_shared_from_seed(seed, 32, &shared, &e_), 0);
    /* shared = master / 0' / 0' */
    CHECK_RC(esgx_bip32_master_from_seed(seed, 32, &m, &e_), 0);
    CHECK_RC(esgx_bip32_child_derive(&m, ESGX_BIP32_HARDENED, &c, &e_), 0);
    CHECK_RC(esgx_bip32_child_derive(&c, ESGX_BIP32_HARDENED, &m, &e_), 0);
    CHECK(memcmp(&m, &shared, sizeof m) == 0);
    CHECK(shared.depth == 2 && shared.child_number == ESGX_BIP32_HARDENED && shared.has_private);
    esgx_bip32_key_neuter(&shared, &pub);
    size_t lens[] = {0, 2, 30, 256};
    for (size_t i = 0; i < 4; i++) {
        CHECK_RC(esgx_bip32_module_key_derive(&shared, hash, path, lens[i], &d1, &e_), 0);
        CHECK_RC(esgx_bip32_module_key_derive(&pub, hash, path, lens[i], &d2, &e_), 0);
        CHECK(d1.has_private && !d2.has_private);
        CHECK(memcmp(d1.public_key, d2.public_key, 33) == 0);
        CHECK(d1.depth == 2 + 1 + 16 + lens[i] / 2);
        /* the last child number is the last u16 of path (or hash) */
        uint32_t want = lens[i] ? (uint32_t)path[lens[i] - 2] << 8 | path[lens[i] - 1]
                                : (uint32_t)hash[30] << 8 | hash[31];
        CHECK(d1.child_number == want);
        uint8_t check[33];
        CHECK_RC(esgx_ec_pubkey_from_seckey(d1.private_key, check, &e_), 0);
        CHECK(memcmp(check, d1.public_key, 33) == 0);
    }
    /* manual derivation: shared / 0 / hash chunks */
    CHECK_RC(esgx_bip32_child_derive(&shared, 0, &c, &e_), 0);
    for (int i = 0; i < 32; i += 2) {
        CHECK_RC(esgx_bip32_child_derive(&c, (uint32_t)hash[i] << 8 | hash[i + 1], &m, &e_), 0);
        c = m;
    }
    CHECK_RC(esgx_bip32_module_key_derive(&shared, hash, NULL, 0, &d1, &e_), 0);
    CHECK(memcmp(&c, &d1, sizeof c) == 0);
    /* a different hash or path gives a different key */
    CHECK_RC(esgx_bip32_module_key_derive(&shared, hash, path, 2, &d2, &e_), 0);
    CHECK(memcmp(d1.public_key, d2.public_key, 33) != 0);
    /* bad paths */
    esgx_err e;
    CHECK(esgx_bip32_module_key_derive(&shared, hash, path, 3, &d1, &e) == ESGX_CRYPTO_E_PATH);
    CHECK(strstr(e.msg, "3 bytes") != NULL);
    CHECK_RC(esgx_bip32_module_key_derive(&pub, hash, path, 1, &d1, &e_), ESGX_CRYPTO_E_PATH);
    CHECK_RC(esgx_bip32_module_key_derive(&shared, hash, path, 258, &d1, &e_), ESGX_CRYPTO_E_PATH);
    CHECK_RC(esgx_bip32_module_key_derive(&pub, hash, path, 257, &d1, &e_), ESGX_CRYPTO_E_PATH);
    esgx_bip32_key_wipe(&shared);
    esgx_bip32_key_wipe(&d1);
    esgx_bip32_key_wipe(&m);
    esgx_bip32_key_wipe(&c);
}

/* ---------------------------------------------------------------- secp256k1 */

static const char *const ORDER_HEX =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

static void test_ec(void)
{
    uint8_t sk[32], pk[33], pk2[33], digest[32], sig[65], zero[32] = {0}, n[32];
    unhex(ORDER_HEX, n, 32, NULL);
    CHECK_RC(esgx_ec_pubkey_from_seckey(zero, pk, &e_), ESGX_CRYPTO_E_KEY);
    CHECK_RC(esgx_ec_pubkey_from_seckey(n, pk, &e_), ESGX_CRYPTO_E_KEY);
    CHECK_RC(esgx_ec_sign_recoverable(zero, zero, sig, &e_), ESGX_CRYPTO_E_KEY);
    /* secret key 1 -> generator point */
    uint8_t one[32] = {0};
    one[31] = 1;
    CHECK_RC(esgx_ec_pubkey_from_seckey(one, pk, &e_), 0);
    uint8_t g[33];
    unhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", g, 33, NULL);
    CHECK(memcmp(pk, g, 33) == 0);

    for (int round = 0; round < 20; round++) {
        CHECK_RC(esgx_ec_seckey_generate(sk, &e_), 0);
        CHECK_RC(esgx_ec_pubkey_from_seckey(sk, pk, &e_), 0);
        CHECK_RC(esgx_crypto_random(digest, 32, &e_), 0);
        CHECK_RC(esgx_ec_sign_recoverable(sk, digest, sig, &e_), 0);
        CHECK(sig[64] <= 3);
        /* low-S: s <= n/2, i.e. top bit of s clear is necessary */
        CHECK((sig[32] & 0x80) == 0);
        CHECK_RC(esgx_ec_recover(digest, sig, pk2, &e_), 0);
        CHECK(memcmp(pk, pk2, 33) == 0);
        /* deterministic: same signature twice */
        uint8_t sig2[65];
        CHECK_RC(esgx_ec_sign_recoverable(sk, digest, sig2, &e_), 0);
        CHECK(memcmp(sig, sig2, 65) == 0);
        /* another digest recovers another key (or fails) */
        digest[0] ^= 1;
        int rc = esgx_ec_recover(digest, sig, pk2, NULL);
        CHECK(rc == ESGX_CRYPTO_E_SIGNATURE || (rc == 0 && memcmp(pk, pk2, 33) != 0));
        digest[0] ^= 1;
    }
    /* malformed signatures */
    uint8_t bad[65];
    memcpy(bad, sig, 65);
    bad[64] = 4;
    CHECK_RC(esgx_ec_recover(digest, bad, pk2, &e_), ESGX_CRYPTO_E_SIGNATURE);
    memcpy(bad, sig, 65);
    memcpy(bad + 32, n, 32); /* s = n */
    CHECK_RC(esgx_ec_recover(digest, bad, pk2, &e_), ESGX_CRYPTO_E_SIGNATURE);
    memset(bad, 0, 64); /* r = s = 0 */
    bad[64] = 0;
    CHECK_RC(esgx_ec_recover(digest, bad, pk2, &e_), ESGX_CRYPTO_E_SIGNATURE);

    /* normalize: 65 -> 33, bad prefix, wrong length, point not on curve */
    uint8_t unc[65];
    unhex("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
          "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8",
          unc, 65, NULL);
    CHECK_RC(esgx_ec_pubkey_normalize(unc, 65, pk2, &e_), 0);
    CHECK(memcmp(pk2, g, 33) == 0);
    unc[64] ^= 1;
    CHECK_RC(esgx_ec_pubkey_normalize(unc, 65, pk2, &e_), ESGX_CRYPTO_E_KEY);
    CHECK_RC(esgx_ec_pubkey_normalize(g, 32, pk2, &e_), ESGX_CRYPTO_E_KEY);
    uint8_t g5[33];
    memcpy(g5, g, 33);
    g5[0] = 5;
    CHECK_RC(esgx_ec_pubkey_normalize(g5, 33, pk2, &e_), ESGX_CRYPTO_E_KEY);
    memset(g5 + 1, 0xff, 32); /* x >= p */
    g5[0] = 2;
    CHECK_RC(esgx_ec_pubkey_normalize(g5, 33, pk2, &e_), ESGX_CRYPTO_E_KEY);
}

/* ---------------------------------------------------------------- ECIES */

static void test_ecies(void)
{
    uint8_t sk[32], pk[33], other_sk[32];
    CHECK_RC(esgx_ec_seckey_generate(sk, &e_), 0);
    CHECK_RC(esgx_ec_seckey_generate(other_sk, &e_), 0);
    CHECK_RC(esgx_ec_pubkey_from_seckey(sk, pk, &e_), 0);
    size_t sizes[] = {0, 1, 15, 16, 17, 100, 4096, 70000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t len = sizes[s];
        uint8_t *pt = malloc(len + 1), *ct = malloc(len + ESGX_ECIES_OVERHEAD),
                *back = malloc(len + 1);
        for (size_t i = 0; i < len; i++) pt[i] = (uint8_t)(i * 31 + s);
        size_t ct_len = 0, back_len = 99;
        CHECK_RC(esgx_ecies_encrypt(pk, 33, pt, len, ct, len + ESGX_ECIES_OVERHEAD - 1, &ct_len, &e_),
                 ESGX_CRYPTO_E_BUFFER);
        CHECK_RC(esgx_ecies_encrypt(pk, 33, pt, len, ct, len + ESGX_ECIES_OVERHEAD, &ct_len, &e_), 0);
        CHECK(ct_len == len + ESGX_ECIES_OVERHEAD && ct[0] == 0x04);
        CHECK_RC(esgx_ecies_decrypt(sk, ct, ct_len, back, len, &back_len, &e_), 0);
        CHECK(back_len == len && memcmp(back, pt, len) == 0);
        if (len) CHECK_RC(esgx_ecies_decrypt(sk, ct, ct_len, back, len - 1, &back_len, &e_),
                          ESGX_CRYPTO_E_BUFFER);
        /* wrong secret key */
        CHECK_RC(esgx_ecies_decrypt(other_sk, ct, ct_len, back, len + 1, &back_len, &e_),
                 ESGX_CRYPTO_E_AUTH);
        /* flipped bytes: nonce, tag, body */
        size_t spots[] = {65, 65 + 15, 81, 96, 97, ct_len - 1};
        for (size_t j = 0; j < sizeof spots / sizeof spots[0]; j++) {
            if (spots[j] >= ct_len) continue;
            ct[spots[j]] ^= 0x01;
            memset(back, 0xAA, len + 1);
            esgx_err e;
            CHECK(esgx_ecies_decrypt(sk, ct, ct_len, back, len + 1, &back_len, &e) == ESGX_CRYPTO_E_AUTH);
            CHECK(e.code == ESGX_CRYPTO_E_AUTH);
            int zeroed = 1;
            for (size_t i = 0; i < len; i++) zeroed &= back[i] == 0;
            CHECK(zeroed);
            ct[spots[j]] ^= 0x01;
        }
        /* in place */
        CHECK_RC(esgx_ecies_decrypt(sk, ct, ct_len, ct, ct_len, &back_len, &e_), 0);
        CHECK(back_len == len && memcmp(ct, pt, len) == 0);
        /* in-place encryption (pt at the start of out) */
        uint8_t *io = malloc(len + ESGX_ECIES_OVERHEAD);
        if (len) memcpy(io, pt, len);
        CHECK_RC(esgx_ecies_encrypt(pk, 33, io, len, io, len + ESGX_ECIES_OVERHEAD, &ct_len, &e_), 0);
        CHECK_RC(esgx_ecies_decrypt(sk, io, ct_len, back, len + 1, &back_len, &e_), 0);
        CHECK(back_len == len && memcmp(back, pt, len) == 0);
        free(io);
        free(pt);
        free(ct);
        free(back);
    }
    /* short ciphertext: 96 bytes and less */
    uint8_t ct[200], out[200];
    size_t ct_len = 0, out_len = 0;
    const uint8_t msg[] = "ephemeral";
    CHECK_RC(esgx_ecies_encrypt(pk, 33, msg, sizeof msg, ct, sizeof ct, &ct_len, &e_), 0);
    for (size_t l = 0; l < ESGX_ECIES_OVERHEAD; l += 16)
        CHECK_RC(esgx_ecies_decrypt(sk, ct, l, out, sizeof out, &out_len, &e_), ESGX_CRYPTO_E_SHORT);
    CHECK_RC(esgx_ecies_decrypt(sk, ct, ESGX_ECIES_OVERHEAD - 1, out, sizeof out, &out_len, &e_),
             ESGX_CRYPTO_E_SHORT);
    /* 97 bytes: a valid layout with an empty body, but the tag does not match */
    CHECK_RC(esgx_ecies_decrypt(sk, ct, ESGX_ECIES_OVERHEAD, out, sizeof out, &out_len, &e_),
             ESGX_CRYPTO_E_AUTH);
    /* invalid ephemeral key: off the curve, compressed prefix, zero */
    uint8_t bad[200];
    memcpy(bad, ct, ct_len);
    bad[64] ^= 0x01;
    CHECK_RC(esgx_ecies_decrypt(sk, bad, ct_len, out, sizeof out, &out_len, &e_), ESGX_CRYPTO_E_KEY);
    memcpy(bad, ct, ct_len);
    bad[0] = 0x02;
    CHECK_RC(esgx_ecies_decrypt(sk, bad, ct_len, out, sizeof out, &out_len, &e_), ESGX_CRYPTO_E_KEY);
    memset(bad, 0, 65);
    bad[0] = 0x04;
    CHECK_RC(esgx_ecies_decrypt(sk, bad, ct_len, out, sizeof out, &out_len, &e_), ESGX_CRYPTO_E_KEY);
    /* encrypt to a 65-byte key, to bad keys */
    uint8_t unc[65];
    unhex("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
          "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8",
          unc, 65, NULL);
    uint8_t one[32] = {0};
    one[31] = 1;
    CHECK_RC(esgx_ecies_encrypt(unc, 65, msg, sizeof msg, ct, sizeof ct, &ct_len, &e_), 0);
    CHECK_RC(esgx_ecies_decrypt(one, ct, ct_len, out, sizeof out, &out_len, &e_), 0);
    CHECK(out_len == sizeof msg && memcmp(out, msg, sizeof msg) == 0);
    unc[64] ^= 1;
    CHECK_RC(esgx_ecies_encrypt(unc, 65, msg, sizeof msg, ct, sizeof ct, &ct_len, &e_), ESGX_CRYPTO_E_KEY);
    CHECK_RC(esgx_ecies_encrypt(unc, 64, msg, sizeof msg, ct, sizeof ct, &ct_len, &e_), ESGX_CRYPTO_E_KEY);
    /* an invalid secret key for decryption */
    uint8_t zero[32] = {0};
    CHECK_RC(esgx_ecies_encrypt(pk, 33, msg, sizeof msg, ct, sizeof ct, &ct_len, &e_), 0);
    CHECK_RC(esgx_ecies_decrypt(zero, ct, ct_len, out, sizeof out, &out_len, &e_), ESGX_CRYPTO_E_KEY);
    /* two encryptions of the same message differ (fresh ephemeral key and nonce) */
    uint8_t ct2[200];
    size_t ct2_len = 0;
    CHECK_RC(esgx_ecies_encrypt(pk, 33, msg, sizeof msg, ct2, sizeof ct2, &ct2_len, &e_), 0);
    CHECK(ct2_len == ct_len && memcmp(ct, ct2, 65) != 0 && memcmp(ct + 65, ct2 + 65, 16) != 0);
}

/* ---------------------------------------------------------------- approved wasm */

static void test_approved_wasm(void)
{
    uint8_t hashes[3][32], other[32], out[256];
    for (int i = 0; i < 3; i++) memset(hashes[i], 0x11 * (i + 1), 32);
    memset(other, 0x99, 32);
    const uint8_t data[] = {'w', 'a', 's', 'm'};
    size_t n = 0;
    CHECK_RC(esgx_approved_wasm_build((const uint8_t(*)[32])hashes, 3, data, 4, out, sizeof out, &n,
                                 &e_),
             0);
    CHECK(n == 27 + 1 + 96 + 4);
    CHECK(memcmp(out, "FLEEK_ENCLAVE_APPROVED_WASM", 27) == 0 && out[27] == 3);
    CHECK(memcmp(out + 28 + 64, hashes[2], 32) == 0 && memcmp(out + 124, "wasm", 4) == 0);
    const uint8_t *d = NULL;
    size_t dl = 0;
    for (int i = 0; i < 3; i++) {
        CHECK_RC(esgx_approved_wasm_check(out, n, hashes[i], &d, &dl, &e_), 0);
        CHECK(d == out + 124 && dl == 4);
    }
    esgx_err e;
    CHECK(esgx_approved_wasm_check(out, n, other, &d, &dl, &e) == ESGX_CRYPTO_E_NOT_APPROVED);
    CHECK(e.code == ESGX_CRYPTO_E_NOT_APPROVED);
    /* no data: header only */
    CHECK_RC(esgx_approved_wasm_check(out, n - 4, hashes[0], &d, &dl, &e_), ESGX_CRYPTO_E_HEADER);
    /* truncated hash list */
    CHECK_RC(esgx_approved_wasm_check(out, 27 + 1 + 50, hashes[0], &d, &dl, &e_), ESGX_CRYPTO_E_HEADER);
    CHECK_RC(esgx_approved_wasm_check(out, 28, hashes[0], &d, &dl, &e_), ESGX_CRYPTO_E_HEADER);
    /* magic only, no count; shorter than magic; empty */
    CHECK_RC(esgx_approved_wasm_check(out, 27, hashes[0], &d, &dl, &e_), ESGX_CRYPTO_E_HEADER);
    CHECK_RC(esgx_approved_wasm_check(out, 10, hashes[0], &d, &dl, &e_), ESGX_CRYPTO_E_HEADER);
    CHECK_RC(esgx_approved_wasm_check(out, 0, hashes[0], &d, &dl, &e_), ESGX_CRYPTO_E_HEADER);
    /* bad magic */
    out[5] ^= 0x20;
    CHECK_RC(esgx_approved_wasm_check(out, n, hashes[0], &d, &dl, &e_), ESGX_CRYPTO_E_HEADER);
    out[5] ^= 0x20;
    /* count 0 */
    out[27] = 0;
    CHECK(esgx_approved_wasm_check(out, n, hashes[0], &d, &dl, &e) == ESGX_CRYPTO_E_HEADER);
    CHECK(strstr(e.msg, "count is 0") != NULL);
    /* count larger than the list: hash 4 would run into the data and past the end */
    out[27] = 4;
    CHECK_RC(esgx_approved_wasm_check(out, n, hashes[0], &d, &dl, &e_), ESGX_CRYPTO_E_HEADER);
    out[27] = 3;
    /* build: count 0, count 256, no data, small buffer */
    CHECK_RC(esgx_approved_wasm_build((const uint8_t(*)[32])hashes, 0, data, 4, out, sizeof out, &n,
                                 &e_),
             ESGX_CRYPTO_E_ARG);
    static uint8_t many[256][32];
    static uint8_t big[27 + 1 + 256 * 32 + 8];
    CHECK_RC(esgx_approved_wasm_build((const uint8_t(*)[32])many, 256, data, 4, big, sizeof big, &n,
                                 &e_),
             ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_approved_wasm_build((const uint8_t(*)[32])many, 255, data, 4, big, sizeof big, &n,
                                 &e_),
             0);
    CHECK(n == 27 + 1 + 255 * 32 + 4 && big[27] == 255);
    CHECK_RC(esgx_approved_wasm_build((const uint8_t(*)[32])hashes, 1, data, 0, out, sizeof out, &n,
                                 &e_),
             ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_approved_wasm_build((const uint8_t(*)[32])hashes, 1, data, 4, out, 27 + 1 + 32 + 3,
                                 &n, &e_),
             ESGX_CRYPTO_E_BUFFER);
}

/* ---------------------------------------------------------------- digests */

static void test_digests(void)
{
    uint8_t mh[32], input[300], got[32], want[32];
    for (int i = 0; i < 32; i++) mh[i] = (uint8_t)(0xF0 + i);
    for (int i = 0; i < 300; i++) input[i] = (uint8_t)i;
    /* build the preimage by hand, field by field */
    uint8_t pre[1024];
    size_t p = 0;
    memcpy(pre + p, "MODULE_HASH", 11), p += 11;
    esgx_crypto_hex_encode(mh, 32, (char *)pre + p), p += 64;
    memcpy(pre + p, "MODULE_DECRYPT", 14), p += 14;
    pre[p++] = 1;
    memcpy(pre + p, "FUEL_LIMIT", 10), p += 10;
    const uint8_t fuel[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    memcpy(pre + p, fuel, 8), p += 8;
    memcpy(pre + p, "FUNCTION_NAME", 13), p += 13;
    pre[p++] = 4;
    memcpy(pre + p, "main", 4), p += 4;
    memcpy(pre + p, "INPUT_DATA", 10), p += 10;
    const uint8_t ilen[8] = {0, 0, 0, 0, 0, 0, 0x01, 0x2c};
    memcpy(pre + p, ilen, 8), p += 8;
    memcpy(pre + p, input, 300), p += 300;
    esgx_crypto_sha256(pre, p, want);
    CHECK_RC(esgx_digest_input_hash(mh, 1, 0x0123456789abcdefULL, "main", 4, input, 300, got, &e_), 0);
    CHECK(memcmp(got, want, 32) == 0);
    /* decrypt = any non-zero is 1 */
    CHECK_RC(esgx_digest_input_hash(mh, 7, 0x0123456789abcdefULL, "main", 4, input, 300, got, &e_), 0);
    CHECK(memcmp(got, want, 32) == 0);
    CHECK_RC(esgx_digest_input_hash(mh, 0, 0x0123456789abcdefULL, "main", 4, input, 300, got, &e_), 0);
    CHECK(memcmp(got, want, 32) != 0);
    /* function name limits */
    char name[256];
    memset(name, 'f', sizeof name);
    CHECK_RC(esgx_digest_input_hash(mh, 0, 1, name, 255, NULL, 0, got, &e_), 0);
    CHECK_RC(esgx_digest_input_hash(mh, 0, 1, name, 256, NULL, 0, got, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_digest_input_hash(mh, 0, 1, "", 0, NULL, 0, got, &e_), 0);

    uint8_t ih[32], oh[32];
    memset(ih, 0x5a, 32);
    memset(oh, 0xa5, 32);
    p = 0;
    memcpy(pre + p, "INPUT_HASH", 10), p += 10;
    memcpy(pre + p, ih, 32), p += 32;
    memcpy(pre + p, "FUEL_USED", 9), p += 9;
    const uint8_t fu[8] = {0, 0, 0, 0, 0, 0x0f, 0x42, 0x40}; /* 1000000 */
    memcpy(pre + p, fu, 8), p += 8;
    memcpy(pre + p, "OUTPUT_HASH", 11), p += 11;
    memcpy(pre + p, oh, 32), p += 32;
    esgx_crypto_sha256(pre, p, want);
    esgx_digest_response(ih, 1000000, oh, got);
    CHECK(memcmp(got, want, 32) == 0);
}

/* ---------------------------------------------------------------- AEAD */

static void test_aead(void)
{
    uint8_t key[32], key2[32];
    CHECK_RC(esgx_crypto_random(key, 32, &e_), 0);
    memcpy(key2, key, 32);
    key2[31] ^= 0x80;
    const uint8_t aad[] = "ESGX-SEALED-KEY v1";
    size_t sizes[] = {0, 1, 32, 1000};
    for (size_t s = 0; s < 4; s++) {
        size_t len = sizes[s];
        uint8_t pt[1000], sealed[1000 + ESGX_AEAD_OVERHEAD], out[1000];
        for (size_t i = 0; i < len; i++) pt[i] = (uint8_t)(i ^ 0x3c);
        size_t sl = 0, ol = 0;
        CHECK_RC(esgx_aead_seal(key, aad, sizeof aad, pt, len, sealed, len + ESGX_AEAD_OVERHEAD - 1, &sl,
                           &e_),
                 ESGX_CRYPTO_E_BUFFER);
        CHECK_RC(esgx_aead_seal(key, aad, sizeof aad, pt, len, sealed, sizeof sealed, &sl, &e_), 0);
        CHECK(sl == len + ESGX_AEAD_OVERHEAD);
        /* the ciphertext differs from the plaintext (a 1-byte one equals it 1 time in 256) */
        if (len >= 8) CHECK(memcmp(sealed + ESGX_AEAD_NONCE_LEN, pt, len) != 0);
        CHECK_RC(esgx_aead_open(key, aad, sizeof aad, sealed, sl, out, sizeof out, &ol, &e_), 0);
        CHECK(ol == len && memcmp(out, pt, len) == 0);
        CHECK_RC(esgx_aead_open(key2, aad, sizeof aad, sealed, sl, out, sizeof out, &ol, &e_),
                 ESGX_CRYPTO_E_AUTH);
        CHECK_RC(esgx_aead_open(key, aad, sizeof aad - 1, sealed, sl, out, sizeof out, &ol, &e_),
                 ESGX_CRYPTO_E_AUTH);
        CHECK_RC(esgx_aead_open(key, NULL, 0, sealed, sl, out, sizeof out, &ol, &e_), ESGX_CRYPTO_E_AUTH);
        for (size_t j = 0; j < sl; j += (sl / 7 ? sl / 7 : 1)) {
            sealed[j] ^= 0x10;
            memset(out, 0x77, sizeof out);
            CHECK_RC(esgx_aead_open(key, aad, sizeof aad, sealed, sl, out, sizeof out, &ol, &e_),
                     ESGX_CRYPTO_E_AUTH);
            int zeroed = 1;
            for (size_t i = 0; i < len; i++) zeroed &= out[i] == 0;
            CHECK(zeroed);
            sealed[j] ^= 0x10;
        }
        sealed[sl - 1] ^= 1; /* last tag byte */
        CHECK_RC(esgx_aead_open(key, aad, sizeof aad, sealed, sl, out, sizeof out, &ol, &e_),
                 ESGX_CRYPTO_E_AUTH);
        sealed[sl - 1] ^= 1;
        CHECK_RC(esgx_aead_open(key, aad, sizeof aad, sealed, sl - 1, out, sizeof out, &ol, &e_),
                 len ? ESGX_CRYPTO_E_AUTH : ESGX_CRYPTO_E_SHORT);
        /* in place */
        CHECK_RC(esgx_aead_open(key, aad, sizeof aad, sealed, sl, sealed, sizeof sealed, &ol, &e_), 0);
        CHECK(ol == len && memcmp(sealed, pt, len) == 0);
    }
    uint8_t tiny[ESGX_AEAD_OVERHEAD], out[4];
    memset(tiny, 0, sizeof tiny);
    size_t ol;
    CHECK_RC(esgx_aead_open(key, NULL, 0, tiny, ESGX_AEAD_OVERHEAD - 1, out, sizeof out, &ol, &e_),
             ESGX_CRYPTO_E_SHORT);
    CHECK_RC(esgx_aead_open(key, NULL, 0, tiny, ESGX_AEAD_OVERHEAD, out, sizeof out, &ol, &e_),
             ESGX_CRYPTO_E_AUTH);
}

/* ---------------------------------------------------------------- threads */

static void *sign_worker(void *arg)
{
    long bad = 0;
    uint8_t sk[32], pk[33], pk2[33], d[32], sig[65];
    for (int i = 0; i < 200; i++) {
        if (esgx_ec_seckey_generate(sk, NULL) || esgx_ec_pubkey_from_seckey(sk, pk, NULL) ||
            esgx_crypto_random(d, 32, NULL) || esgx_ec_sign_recoverable(sk, d, sig, NULL) ||
            esgx_ec_recover(d, sig, pk2, NULL) || memcmp(pk, pk2, 33))
            bad++;
    }
    (void)arg;
    return (void *)bad;
}

static void test_threads(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&t[i], NULL, sign_worker, NULL) == 0);
    for (int i = 0; i < 4; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        CHECK(r == NULL);
    }
}

int main(void)
{
    test_threads(); /* first, so the context is created under contention */
    test_base58();
    test_bip32_spec_vector();
    test_bip32_malformed();
    test_module_keys();
    test_ec();
    test_ecies();
    test_approved_wasm();
    test_digests();
    test_aead();
    return ESGX_TEST_SUMMARY("test_crypto");
}
