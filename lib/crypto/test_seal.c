/*
 * test_seal.c: sealed calls (seal.c), the input_hash extension (digest.c), HKDF/HMAC
 * and the keys built on them (kdf.c): RFC known answers for HKDF-SHA256 and
 * HMAC-SHA256, sealed round trips of many sizes (also in place), determinism of the
 * sealed output, every documented refusal with its code (and a zeroed output and
 * wiped keys after it), input_hash preimages built by hand, and the randomness and
 * admin keys against their definitions. Interop with the @noble libraries is in
 * tests/js/seal_interop.mjs.
 */
#include "esgx_crypto.h"
#include "esgx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static esgx_err e_;

static void unhex(const char *hex, uint8_t *out, size_t len)
{
    size_t n = 0;
    if (esgx_crypto_hex_decode(hex, strlen(hex), out, len, &n, NULL) || n != len) {
        fprintf(stderr, "bad hex in test: %s\n", hex);
        exit(1);
    }
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

#define CHECK_FAIL(expr, code, want)                                                     \
    do {                                                                                 \
        CHECK_RC(expr, code);                                                            \
        CHECK(strstr(e_.msg, want) != NULL, "message '%s' lacks '%s'", e_.msg, want);    \
    } while (0)

/* ---------------------------------------------------------------- HKDF, HMAC */

static void test_kdf(void)
{
    /* RFC 5869 A.1 */
    uint8_t ikm[22], salt[13], info[10], okm[42], want[42];
    memset(ikm, 0x0b, sizeof ikm);
    for (int i = 0; i < 13; i++) salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++) info[i] = (uint8_t)(0xf0 + i);
    unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
          want, 42);
    CHECK_RC(esgx_crypto_hkdf_sha256(ikm, 22, salt, 13, info, 10, okm, 42, &e_), 0);
    CHECK(memcmp(okm, want, 42) == 0, "RFC 5869 A.1");
    /* RFC 5869 A.3: no salt, no info */
    unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
          want, 42);
    CHECK_RC(esgx_crypto_hkdf_sha256(ikm, 22, NULL, 0, NULL, 0, okm, 42, &e_), 0);
    CHECK(memcmp(okm, want, 42) == 0, "RFC 5869 A.3");
    CHECK_RC(esgx_crypto_hkdf_sha256(ikm, 22, NULL, 0, NULL, 0, okm, 0, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_crypto_hkdf_sha256(NULL, 3, NULL, 0, NULL, 0, okm, 32, &e_), ESGX_CRYPTO_E_ARG);
    /* RFC 4231 test case 2, the message given in two parts */
    uint8_t mac[32], w[32];
    unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", w, 32);
    CHECK_RC(esgx_crypto_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya ", 11,
                                     "want for nothing?", 17, mac, &e_), 0);
    CHECK(memcmp(mac, w, 32) == 0, "RFC 4231 case 2");
    CHECK_RC(esgx_crypto_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?",
                                     28, NULL, 0, mac, &e_), 0);
    CHECK(memcmp(mac, w, 32) == 0);
    CHECK_RC(esgx_crypto_hmac_sha256(NULL, 1, NULL, 0, NULL, 0, mac, &e_), ESGX_CRYPTO_E_ARG);
    CHECK(esgx_crypto_equal(mac, w, 32));
    mac[31] ^= 1;
    CHECK(!esgx_crypto_equal(mac, w, 32));
    CHECK(esgx_crypto_equal(mac, w, 0));
}

/* ---------------------------------------------------------------- input_hash */

static void put_u64be(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) p[i] = (uint8_t)v, v >>= 8;
}

#define ADD(buf, n, s) (memcpy((buf) + (n), (s), strlen(s)), (n) += strlen(s))

static void test_input_hash_ex(void)
{
    uint8_t mh[32], input[100], a[32], b[32], want[32], pre[1024];
    for (int i = 0; i < 32; i++) mh[i] = (uint8_t)(3 * i);
    for (int i = 0; i < 100; i++) input[i] = (uint8_t)(i ^ 0x5a);
    /* neither extension: byte for byte the plain input_hash */
    CHECK_RC(esgx_digest_input_hash(mh, 1, 777, "run", 3, input, 100, a, &e_), 0);
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, NULL, 0, b, &e_), 0);
    CHECK(memcmp(a, b, 32) == 0);
    /* the plain preimage by hand, then the extensions after it */
    size_t n = 0;
    ADD(pre, n, "MODULE_HASH");
    esgx_crypto_hex_encode(mh, 32, (char *)pre + n), n += 64;
    ADD(pre, n, "MODULE_DECRYPT");
    pre[n++] = 1;
    ADD(pre, n, "FUEL_LIMIT");
    put_u64be(pre + n, 777), n += 8;
    ADD(pre, n, "FUNCTION_NAME");
    pre[n++] = 3;
    ADD(pre, n, "run");
    ADD(pre, n, "INPUT_DATA");
    put_u64be(pre + n, 100), n += 8;
    memcpy(pre + n, input, 100), n += 100;
    esgx_crypto_sha256(pre, n, want);
    CHECK(memcmp(a, want, 32) == 0);
    size_t plain = n;

    esgx_name_binding nb = {.name = "pay", .name_len = 3, .seq = 0x1122334455667788ull};
    for (int i = 0; i < 33; i++) nb.owner[i] = (uint8_t)(0x80 + i);
    ADD(pre, n, "RECORD_NAME");
    pre[n++] = 3;
    ADD(pre, n, "pay");
    ADD(pre, n, "RECORD_OWNER");
    memcpy(pre + n, nb.owner, 33), n += 33;
    ADD(pre, n, "RECORD_SEQ");
    put_u64be(pre + n, nb.seq), n += 8;
    size_t by_name = n;
    esgx_crypto_sha256(pre, n, want);
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb, 0, b, &e_), 0);
    CHECK(memcmp(b, want, 32) == 0, "by-name input_hash");
    /* both: by name, then sealed */
    ADD(pre, n, "SEALED_INPUT");
    pre[n++] = 1;
    esgx_crypto_sha256(pre, n, want);
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb, 5, b, &e_), 0);
    CHECK(memcmp(b, want, 32) == 0, "by-name sealed input_hash");
    /* sealed alone */
    n = plain;
    ADD(pre, n, "SEALED_INPUT");
    pre[n++] = 1;
    esgx_crypto_sha256(pre, n, want);
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, NULL, 1, b, &e_), 0);
    CHECK(memcmp(b, want, 32) == 0, "sealed input_hash");
    (void)by_name;
    /* each binding field matters */
    uint8_t c[32];
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb, 0, b, &e_), 0);
    esgx_name_binding nb2 = nb;
    nb2.seq++;
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb2, 0, c, &e_), 0);
    CHECK(memcmp(b, c, 32) != 0);
    nb2 = nb, nb2.owner[32] ^= 1;
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb2, 0, c, &e_), 0);
    CHECK(memcmp(b, c, 32) != 0);
    nb2 = nb, nb2.name = "pax";
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb2, 0, c, &e_), 0);
    CHECK(memcmp(b, c, 32) != 0);
    /* refusals */
    nb2 = nb, nb2.name = "p y";
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb2, 0, c, &e_),
             ESGX_CRYPTO_E_ARG);
    nb2 = nb, nb2.name_len = 0;
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb2, 0, c, &e_),
             ESGX_CRYPTO_E_ARG);
    nb2 = nb, nb2.seq = 0;
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb2, 0, c, &e_),
             ESGX_CRYPTO_E_ARG);
    nb2 = nb, nb2.seq = ESGX_NAME_SEQ_MAX + 1;
    CHECK_RC(esgx_digest_input_hash_ex(mh, 1, 777, "run", 3, input, 100, &nb2, 0, c, &e_),
             ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_digest_input_hash_ex(NULL, 1, 777, "run", 3, input, 100, NULL, 0, c, &e_),
             ESGX_CRYPTO_E_ARG);
}

/* ---------------------------------------------------------------- sealed calls */

static void binding(esgx_seal_binding *b, const char *function, uint64_t fuel, const char *name)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < 32; i++) b->module_hash[i] = (uint8_t)(0xc0 ^ i);
    b->function = function;
    b->function_len = strlen(function);
    b->fuel = fuel;
    b->name = name;
    b->name_len = name ? strlen(name) : 0;
}

static void test_seal_round_trip(void)
{
    uint8_t nsk[32], npk[33];
    memset(nsk, 0x11, 32);
    CHECK_RC(esgx_ec_pubkey_from_seckey(nsk, npk, &e_), 0);
    static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 4096, 70001};
    uint8_t *pt = malloc(70001), *buf = malloc(70001 + 64), *back = malloc(70001 + 64);
    uint8_t *resp = malloc(70001 + 64), *buf2 = malloc(70001 + 64);
    for (size_t i = 0; i < 70001; i++) pt[i] = (uint8_t)(i * 31 + 7);
    esgx_seal_binding b;
    binding(&b, "main", 1000000000ull, "pay");
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t len = sizes[k], n = 0, m = 0;
        esgx_seal_keys ck, ek;
        CHECK_RC(esgx_seal_request(npk, &b, pt, len, buf, len + 62, &n, &ck, &e_), 0);
        CHECK(n == len + ESGX_SEAL_REQUEST_OVERHEAD);
        CHECK(buf[0] == 1 && memcmp(buf + 1, ck.ephemeral, 33) == 0);
        CHECK(len < 16 || memcmp(buf + 46, pt, 16) != 0, "the body is encrypted");
        CHECK_RC(esgx_seal_open_request(nsk, &b, buf, n, back, len, &m, &ek, &e_), 0);
        CHECK(m == len && (len == 0 || memcmp(back, pt, len) == 0), "request round trip %zu", len);
        CHECK(memcmp(&ck, &ek, sizeof ck) == 0, "both sides derive the same keys");
        CHECK(memcmp(ck.req_key, ck.resp_key, 32) != 0);
        /* two seals of the same input differ (fresh e and nonce) */
        esgx_seal_keys ck2;
        CHECK_RC(esgx_seal_request(npk, &b, pt, len, buf2, len + 62, &n, &ck2, &e_), 0);
        CHECK(memcmp(buf, buf2, 46) != 0 && memcmp(&ck, &ck2, sizeof ck) != 0);
        esgx_seal_keys_wipe(&ck2);

        /* the response: deterministic, opens with the client's keys and input_hash */
        uint8_t ih[32];
        CHECK_RC(esgx_digest_input_hash_ex(b.module_hash, 0, b.fuel, "main", 4, buf, len + 62, NULL,
                                           1, ih, &e_), 0);
        CHECK_RC(esgx_seal_response(&ek, ih, pt, len, resp, len + 28, &n, &e_), 0);
        CHECK(n == len + ESGX_SEAL_RESPONSE_OVERHEAD);
        CHECK_RC(esgx_seal_response(&ek, ih, pt, len, buf2, len + 28, &n, &e_), 0);
        CHECK(memcmp(resp, buf2, n) == 0, "sealed output is deterministic");
        uint8_t mac[32];
        CHECK_RC(esgx_crypto_hmac_sha256(ek.resp_key, 32, "ESGX_SEALED_NONCE", 17, pt, len, mac,
                                         &e_), 0);
        CHECK(memcmp(resp, mac, 12) == 0, "nonce' = HMAC(resp_key, label + output)[0..12)");
        CHECK_RC(esgx_seal_open_response(&ck, ih, resp, n, back, len, &m, &e_), 0);
        CHECK(m == len && (len == 0 || memcmp(back, pt, len) == 0), "response round trip %zu", len);
        esgx_seal_keys_wipe(&ck);
        CHECK(all_zero(&ck, sizeof ck));
        esgx_seal_keys_wipe(&ek);
    }
    /* in place: seal from out[46..), open into in[0..); response likewise */
    {
        size_t len = 5000, n = 0, m = 0;
        esgx_seal_keys ck, ek;
        memcpy(buf + 46, pt, len);
        CHECK_RC(esgx_seal_request(npk, &b, buf + 46, len, buf, len + 62, &n, &ck, &e_), 0);
        CHECK_RC(esgx_seal_open_request(nsk, &b, buf, n, buf, n, &m, &ek, &e_), 0);
        CHECK(m == len && memcmp(buf, pt, len) == 0, "in-place request");
        /* sealing from out[0..) works too */
        memcpy(buf, pt, len);
        CHECK_RC(esgx_seal_request(npk, &b, buf, len, buf, len + 62, &n, &ck, &e_), 0);
        CHECK_RC(esgx_seal_open_request(nsk, &b, buf, n, back, len, &m, &ek, &e_), 0);
        CHECK(m == len && memcmp(back, pt, len) == 0, "request sealed from out[0]");
        uint8_t ih[32] = {9};
        memcpy(buf, pt, len);
        CHECK_RC(esgx_seal_response(&ek, ih, buf, len, buf, len + 28, &n, &e_), 0);
        CHECK_RC(esgx_seal_response(&ek, ih, pt, len, resp, len + 28, &n, &e_), 0);
        CHECK(memcmp(buf, resp, n) == 0, "in-place response gives the same bytes");
        CHECK_RC(esgx_seal_open_response(&ck, ih, buf, n, buf, n, &m, &e_), 0);
        CHECK(m == len && memcmp(buf, pt, len) == 0, "in-place response open");
        /* a different output under the same key gets a different nonce */
        CHECK_RC(esgx_seal_response(&ek, ih, pt + 1, len, buf, len + 28, &n, &e_), 0);
        CHECK(memcmp(buf, resp, 12) != 0);
    }
    /* a call by hash (no name) and a function of 255 bytes */
    {
        char fn[256];
        memset(fn, 'f', 255);
        fn[255] = 0;
        esgx_seal_binding bh;
        binding(&bh, fn, 1, NULL);
        size_t n = 0, m = 0;
        esgx_seal_keys ck, ek;
        CHECK_RC(esgx_seal_request(npk, &bh, pt, 10, buf, 72, &n, &ck, &e_), 0);
        CHECK_RC(esgx_seal_open_request(nsk, &bh, buf, n, back, 10, &m, &ek, &e_), 0);
        CHECK(m == 10 && memcmp(back, pt, 10) == 0);
    }
    free(pt);
    free(buf);
    free(back);
    free(resp);
    free(buf2);
}

/* open_request must fail with code and message, with a zeroed output and wiped keys */
static void refuse(const uint8_t nsk[32], const esgx_seal_binding *b, const uint8_t *in,
                   size_t len, int code, const char *msg, int line)
{
    uint8_t out[256];
    size_t m = 12345;
    esgx_seal_keys k;
    memset(out, 0x77, sizeof out);
    memset(&k, 0x77, sizeof k);
    int rc = esgx_seal_open_request(nsk, b, in, len, out, sizeof out, &m, &k, &e_);
    CHECK(rc == code, "line %d: got %d (%s), want %d", line, rc, e_.msg, code);
    CHECK(strstr(e_.msg, msg) != NULL, "line %d: message '%s' lacks '%s'", line, e_.msg, msg);
    CHECK(all_zero(&k, sizeof k), "line %d: keys wiped", line);
    CHECK(m == 12345, "line %d: no length reported", line);
    size_t written = len >= 62 ? len - 62 : 0;
    CHECK(code != ESGX_CRYPTO_E_AUTH || all_zero(out, written), "line %d: output zeroed", line);
}

static void test_seal_refusals(void)
{
    uint8_t nsk[32], npk[33], xsk[32];
    memset(nsk, 0x11, 32);
    memset(xsk, 0x12, 32);
    CHECK_RC(esgx_ec_pubkey_from_seckey(nsk, npk, &e_), 0);
    uint8_t pt[100], sealed[162], t[162];
    for (int i = 0; i < 100; i++) pt[i] = (uint8_t)i;
    esgx_seal_binding b, o;
    binding(&b, "main", 5000, "pay");
    esgx_seal_keys ck;
    size_t n = 0;
    CHECK_RC(esgx_seal_request(npk, &b, pt, 100, sealed, sizeof sealed, &n, &ck, &e_), 0);
    const char *auth = "sealed input does not open for this module, function, fuel and name";
    /* another binding */
    o = b, o.module_hash[0] ^= 1;
    refuse(nsk, &o, sealed, n, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    binding(&o, "mainx", 5000, "pay");
    refuse(nsk, &o, sealed, n, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    binding(&o, "main", 5001, "pay");
    refuse(nsk, &o, sealed, n, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    binding(&o, "main", 5000, "pax");
    refuse(nsk, &o, sealed, n, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    binding(&o, "main", 5000, NULL);
    refuse(nsk, &o, sealed, n, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    /* another network key */
    refuse(xsk, &b, sealed, n, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    /* every byte after E modified: nonce, body, tag */
    for (size_t i = 34; i < n; i += 9) {
        memcpy(t, sealed, n);
        t[i] ^= 0x20;
        refuse(nsk, &b, t, n, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    }
    /* another valid E: the keys change, the tag fails */
    memcpy(t, sealed, n);
    t[1] ^= 1;   /* 02 <-> 03: the point's negation, on the curve with the same x */
    refuse(nsk, &b, t, n, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    /* E not on the curve: bad prefix, x >= p, and an x with no point */
    memcpy(t, sealed, n);
    t[1] = 0x04;
    refuse(nsk, &b, t, n, ESGX_CRYPTO_E_KEY, "ephemeral key is not", __LINE__);
    memcpy(t, sealed, n);
    memset(t + 2, 0xff, 32);
    refuse(nsk, &b, t, n, ESGX_CRYPTO_E_KEY, "ephemeral key is not", __LINE__);
    memcpy(t, sealed, n);
    memset(t + 2, 0, 32);
    t[33] = 5;   /* x = 5: 5^3 + 7 = 132 is not a square mod p */
    refuse(nsk, &b, t, n, ESGX_CRYPTO_E_KEY, "ephemeral key is not", __LINE__);
    /* version */
    memcpy(t, sealed, n);
    t[0] = 2;
    refuse(nsk, &b, t, n, ESGX_CRYPTO_E_VERSION, "sealed input version 2, want 1", __LINE__);
    t[0] = 0;
    refuse(nsk, &b, t, n, ESGX_CRYPTO_E_VERSION, "version 0", __LINE__);
    /* short */
    refuse(nsk, &b, sealed, 61, ESGX_CRYPTO_E_SHORT, "61 bytes is shorter than its 62-byte",
           __LINE__);
    refuse(nsk, &b, sealed, 0, ESGX_CRYPTO_E_SHORT, "shorter", __LINE__);
    /* a truncated sealed input that is still long enough: the tag is elsewhere */
    refuse(nsk, &b, sealed, n - 1, ESGX_CRYPTO_E_AUTH, auth, __LINE__);
    /* bad secret key */
    uint8_t zero[32] = {0};
    refuse(zero, &b, sealed, n, ESGX_CRYPTO_E_KEY, "secret key", __LINE__);
    /* bad bindings */
    binding(&o, "main", 5000, "p y");
    refuse(nsk, &o, sealed, n, ESGX_CRYPTO_E_ARG, "name is neither empty nor", __LINE__);
    binding(&o, "", 5000, "pay");
    refuse(nsk, &o, sealed, n, ESGX_CRYPTO_E_ARG, "function must be 1..255", __LINE__);
    refuse(nsk, NULL, sealed, n, ESGX_CRYPTO_E_ARG, "function must be", __LINE__);
    /* small output buffer */
    uint8_t small[99];
    size_t m = 0;
    esgx_seal_keys k;
    CHECK_RC(esgx_seal_open_request(nsk, &b, sealed, n, small, sizeof small, &m, &k, &e_),
             ESGX_CRYPTO_E_BUFFER);

    /* sealing refusals */
    uint8_t bad_n[33];
    memcpy(bad_n, npk, 33);
    bad_n[0] = 0x04;
    CHECK_FAIL(esgx_seal_request(bad_n, &b, pt, 100, t, sizeof t, &m, &k, &e_), ESGX_CRYPTO_E_KEY,
               "network key is not");
    CHECK(all_zero(&k, sizeof k));
    CHECK_RC(esgx_seal_request(npk, &b, pt, 100, t, 161, &m, &k, &e_), ESGX_CRYPTO_E_BUFFER);
    binding(&o, "main", 5000, "bad name");
    CHECK_RC(esgx_seal_request(npk, &o, pt, 100, t, sizeof t, &m, &k, &e_), ESGX_CRYPTO_E_ARG);
    char fn[257];
    memset(fn, 'f', 256);
    fn[256] = 0;
    binding(&o, fn, 5000, NULL);
    CHECK_RC(esgx_seal_request(npk, &o, pt, 100, t, sizeof t, &m, &k, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_seal_request(npk, &b, pt, 100, t, sizeof t, &m, NULL, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_seal_request(npk, &b, NULL, 1, t, sizeof t, &m, &k, &e_), ESGX_CRYPTO_E_ARG);

    /* response refusals */
    esgx_seal_keys ek;
    CHECK_RC(esgx_seal_open_request(nsk, &b, sealed, n, t, sizeof t, &m, &ek, &e_), 0);
    uint8_t ih[32], resp[128], back[128];
    memset(ih, 0x42, 32);
    CHECK_RC(esgx_seal_response(&ek, ih, pt, 100, resp, sizeof resp, &n, &e_), 0);
    const char *rauth = "sealed output does not open";
    uint8_t ih2[32];
    memcpy(ih2, ih, 32);
    ih2[7] ^= 1;
    memset(back, 0x55, sizeof back);
    CHECK_FAIL(esgx_seal_open_response(&ck, ih2, resp, n, back, sizeof back, &m, &e_),
               ESGX_CRYPTO_E_AUTH, rauth);
    CHECK(all_zero(back, 100), "failed open zeroes the output");
    esgx_seal_keys other = ck;
    other.resp_key[0] ^= 1;
    CHECK_FAIL(esgx_seal_open_response(&other, ih, resp, n, back, sizeof back, &m, &e_),
               ESGX_CRYPTO_E_AUTH, rauth);
    /* the request key does not open the response */
    memcpy(other.resp_key, ck.req_key, 32);
    CHECK_FAIL(esgx_seal_open_response(&other, ih, resp, n, back, sizeof back, &m, &e_),
               ESGX_CRYPTO_E_AUTH, rauth);
    for (size_t i = 0; i < n; i += 11) {
        uint8_t r2[128];
        memcpy(r2, resp, n);
        r2[i] ^= 4;
        CHECK_FAIL(esgx_seal_open_response(&ck, ih, r2, n, back, sizeof back, &m, &e_),
                   ESGX_CRYPTO_E_AUTH, rauth);
    }
    CHECK_FAIL(esgx_seal_open_response(&ck, ih, resp, 27, back, sizeof back, &m, &e_),
               ESGX_CRYPTO_E_SHORT, "27 bytes is shorter than its 28-byte");
    CHECK_RC(esgx_seal_open_response(&ck, ih, resp, n, back, 99, &m, &e_), ESGX_CRYPTO_E_BUFFER);
    CHECK_RC(esgx_seal_response(&ek, ih, pt, 100, resp, 127, &m, &e_), ESGX_CRYPTO_E_BUFFER);
    CHECK_RC(esgx_seal_response(NULL, ih, pt, 100, resp, sizeof resp, &m, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_seal_open_response(&ck, ih, resp, n, back, sizeof back, &m, &e_), 0);
    CHECK(m == 100 && memcmp(back, pt, 100) == 0);
    esgx_seal_keys_wipe(&ck);
    esgx_seal_keys_wipe(&ek);
    esgx_seal_keys_wipe(NULL);
}

/* ---------------------------------------------------------------- randomness, admin */

static void test_keys(void)
{
    uint8_t n[32], k[32], want[32], mh[32], ih[32], s1[32], s2[32];
    memset(n, 0x21, 32);
    memset(mh, 0x01, 32);
    memset(ih, 0x02, 32);
    CHECK_RC(esgx_random_key_derive(n, k, &e_), 0);
    CHECK_RC(esgx_crypto_hkdf_sha256(n, 32, "esgx-guest-random-v1", 20, NULL, 0, want, 32, &e_), 0);
    CHECK(memcmp(k, want, 32) == 0);
    CHECK_RC(esgx_random_stream_key(k, mh, ih, s1, &e_), 0);
    uint8_t msg[64];
    memcpy(msg, mh, 32);
    memcpy(msg + 32, ih, 32);
    CHECK_RC(esgx_crypto_hmac_sha256(k, 32, msg, 64, NULL, 0, want, &e_), 0);
    CHECK(memcmp(s1, want, 32) == 0);
    ih[0] ^= 1;
    CHECK_RC(esgx_random_stream_key(k, mh, ih, s2, &e_), 0);
    CHECK(memcmp(s1, s2, 32) != 0, "another call, another stream");
    ih[0] ^= 1;
    CHECK_RC(esgx_random_stream_key(NULL, mh, ih, s2, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_random_key_derive(n, NULL, &e_), ESGX_CRYPTO_E_ARG);
    /* local: BLAKE3 derive_key */
    esgx_blake3_hasher h;
    esgx_blake3_init_derive_key(&h, "esgx local run random v1", 24);
    esgx_blake3_update(&h, msg, 64);
    esgx_blake3_finalize(&h, want, 32);
    esgx_random_stream_key_local(mh, ih, s2);
    CHECK(memcmp(s2, want, 32) == 0);
    CHECK(memcmp(s1, s2, 32) != 0);
    /* the stream: keyed XOF, reads at any offset agree */
    uint8_t whole[300], part[300];
    esgx_blake3_init_keyed(&h, s1);
    esgx_blake3_finalize(&h, want, 32);
    esgx_random_stream_read(s1, 0, whole, sizeof whole);
    CHECK(memcmp(whole, want, 32) == 0, "stream = keyed BLAKE3 of no input");
    esgx_random_stream_read(s1, 0, part, 7);
    esgx_random_stream_read(s1, 7, part + 7, 100);
    esgx_random_stream_read(s1, 107, part + 107, 193);
    CHECK(memcmp(whole, part, sizeof whole) == 0, "offsets continue the stream");

    /* admin */
    uint8_t ka[32], tok[32], mac[32], m2[32];
    CHECK_RC(esgx_admin_key_derive(n, ka, &e_), 0);
    CHECK_RC(esgx_crypto_hkdf_sha256(n, 32, "esgx-admin-v1", 13, NULL, 0, want, 32, &e_), 0);
    CHECK(memcmp(ka, want, 32) == 0);
    CHECK(memcmp(ka, k, 32) != 0, "admin and random keys differ");
    esgx_crypto_sha256("secret-token", 12, tok);
    CHECK_RC(esgx_admin_token_mac(ka, tok, mac, &e_), 0);
    CHECK_RC(esgx_crypto_hmac_sha256(ka, 32, "ESGX_TOKEN", 10, tok, 32, want, &e_), 0);
    CHECK(esgx_crypto_equal(mac, want, 32));
    CHECK_RC(esgx_admin_content_mac(ka, tok, m2, &e_), 0);
    CHECK_RC(esgx_crypto_hmac_sha256(ka, 32, "ESGX_CONTENT", 12, tok, 32, want, &e_), 0);
    CHECK(esgx_crypto_equal(m2, want, 32));
    CHECK(!esgx_crypto_equal(mac, m2, 32), "token and content MACs are separated");
    uint8_t m3[32];
    CHECK_RC(esgx_admin_held_mac(ka, tok, m3, &e_), 0);
    CHECK_RC(esgx_crypto_hmac_sha256(ka, 32, "ESGX_HELD", 9, tok, 32, want, &e_), 0);
    CHECK(esgx_crypto_equal(m3, want, 32));
    CHECK(!esgx_crypto_equal(m3, m2, 32) && !esgx_crypto_equal(m3, mac, 32),
          "held MACs are separated from content and token MACs");
    CHECK_RC(esgx_admin_held_mac(ka, NULL, m3, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_admin_token_mac(NULL, tok, mac, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_admin_content_mac(ka, NULL, mac, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_admin_key_derive(NULL, ka, &e_), ESGX_CRYPTO_E_ARG);
}

int main(void)
{
    test_kdf();
    test_input_hash_ex();
    test_seal_round_trip();
    test_seal_refusals();
    test_keys();
    return ESGX_TEST_SUMMARY("crypto_seal");
}
