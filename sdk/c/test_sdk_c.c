/*
 * test_sdk_c: the portable parts of the C guest SDK compiled natively: SHA-256 against
 * FIPS vectors and against lib/crypto on every length 0..300 (all block boundaries) and
 * split updates; hex both ways and its refusals; the JSON reader (escapes, surrogate
 * pairs, numbers, refusals of nested values, junk and bad syntax) and writer (escaping,
 * integers, overflow). The guest-only parts (esgx_mem.h) are run by tests/sdk_c.sh.
 */
#include <string.h>

#include "esgx_crypto.h"
#include "esgx_hex.h"
#include "esgx_json.h"
#include "esgx_sha256.h"
#include "esgx_test.h"

static int digest_is(const void *data, uint32_t n, const char *hex)
{
    uint8_t d[32];
    char h[65] = {0};
    esgx_sha256(data, n, d);
    esgx_hex_encode(d, 32, h);
    return strcmp(h, hex) == 0;
}

static void test_sha256(void)
{
    CHECK(digest_is("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK(digest_is("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(digest_is(two, (uint32_t)strlen(two),
                    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    static uint8_t buf[300];
    for (int i = 0; i < 300; i++) buf[i] = (uint8_t)(i * 7 + 3);
    int same = 1;
    for (uint32_t n = 0; n <= 300; n++) {
        uint8_t ours[32], ref[32], split[32];
        esgx_sha256(buf, n, ours);
        esgx_crypto_sha256(buf, n, ref);
        esgx_sha256_ctx c;
        esgx_sha256_init(&c);
        esgx_sha256_update(&c, buf, n / 3);
        esgx_sha256_update(&c, buf + n / 3, n - n / 3);
        esgx_sha256_final(&c, split);
        if (memcmp(ours, ref, 32) || memcmp(split, ref, 32)) same = 0;
    }
    CHECK(same, "SHA-256 of 0..300 bytes, whole and split, matches lib/crypto");
}

static void test_hex(void)
{
    uint8_t b[4];
    char h[9] = {0};
    CHECK_EQ_INT(esgx_hex_decode("00aBfF7e", 8, b, sizeof b), 4);
    CHECK(b[0] == 0 && b[1] == 0xab && b[2] == 0xff && b[3] == 0x7e);
    CHECK_EQ_INT(esgx_hex_encode(b, 4, h), 8);
    CHECK(strcmp(h, "00abff7e") == 0, "%s", h);
    CHECK_EQ_INT(esgx_hex_decode("abc", 3, b, sizeof b), -1);
    CHECK_EQ_INT(esgx_hex_decode("zz", 2, b, sizeof b), -1);
    CHECK_EQ_INT(esgx_hex_decode("0011223344", 10, b, sizeof b), -1);
}

/* Parses text (copied: the reader decodes in place); returns the count or -1. */
static int parse(const char *text, esgx_json_member *m, int max, const char **err)
{
    static char buf[512];
    uint32_t n = (uint32_t)strlen(text);
    memcpy(buf, text, n);
    return esgx_json_parse(buf, n, m, max, err);
}

static void test_json_reader(void)
{
    esgx_json_member m[8];
    const char *err = NULL;
    int n = parse(" {\"a\": \"x\\\"\\u00e9\\ud83d\\ude00\\n\", \"n\": -12, \"f\": 2.5e1,"
                  " \"t\": true, \"z\": null, \"b\" :false } ", m, 8, &err);
    CHECK_EQ_INT(n, 6);
    const esgx_json_member *a = esgx_json_get(m, n, "a");
    CHECK(a && a->type == ESGX_JSON_STRING && a->str_len == 9 &&
          memcmp(a->str, "x\"\xc3\xa9\xf0\x9f\x98\x80\n", 9) == 0);
    const esgx_json_member *num = esgx_json_get(m, n, "n");
    CHECK(num && num->type == ESGX_JSON_NUMBER && num->is_int && num->inum == -12);
    const esgx_json_member *f = esgx_json_get(m, n, "f");
    CHECK(f && f->type == ESGX_JSON_NUMBER && !f->is_int && f->num == 25.0);
    CHECK(esgx_json_get(m, n, "t")->type == ESGX_JSON_TRUE);
    CHECK(esgx_json_get(m, n, "z")->type == ESGX_JSON_NULL);
    CHECK(esgx_json_get(m, n, "b")->type == ESGX_JSON_FALSE);
    CHECK(esgx_json_get(m, n, "missing") == NULL && esgx_json_get(m, n, "") == NULL);
    CHECK_EQ_INT(parse("{}", m, 8, &err), 0);

    static const struct { const char *text, *why; } bad[] = {
        {"{\"a\": [1]}", "nested"}, {"{\"a\": {}}", "nested"}, {"{\"a\": 1} x", "junk"},
        {"{\"a\": 1", "expected"}, {"{\"a\" 1}", "expected ':'"}, {"[1]", "expected '{'"},
        {"{\"a\": \"x}", "unterminated"}, {"{\"a\": \"\\q\"}", "bad escape"},
        {"{\"a\": \"\\ud800\\u0041\"}", "surrogate"}, {"{\"a\": -}", "bad value"},
        {"{\"a\": 1.}", "bad number"}, {"{\"a\": 1e}", "bad number"},
        {"{\"a\": \"\x01\"}", "control"}, {"{\"a\":1,\"b\":2,\"c\":3}", "too many"},
        {"", "expected '{'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        int r = parse(bad[i].text, m, 2, &err);
        CHECK(r == -1 && err && strstr(err, bad[i].why), "%s: %d %s", bad[i].text, r,
              err ? err : "(no error)");
    }
}

static void test_json_writer(void)
{
    char buf[128];
    esgx_json_writer w;
    esgx_json_begin(&w, buf, sizeof buf);
    esgx_json_str(&w, "s", "a\"b\\\n\x01", 6);
    esgx_json_int(&w, "i", -9223372036854775807LL - 1);
    esgx_json_int(&w, "z", 0);
    esgx_json_bool(&w, "t", 1);
    int32_t n = esgx_json_end(&w);
    const char *want = "{\"s\":\"a\\\"b\\\\\\n\\u0001\",\"i\":-9223372036854775808,\"z\":0,\"t\":true}";
    CHECK(n == (int32_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0, "%.*s", n, buf);
    esgx_json_begin(&w, buf, 8);
    esgx_json_str(&w, "long", "value", 5);
    CHECK_EQ_INT(esgx_json_end(&w), -1);
    esgx_json_begin(&w, buf, 2);
    CHECK_EQ_INT(esgx_json_end(&w), 2);
    CHECK(memcmp(buf, "{}", 2) == 0);
}

int main(void)
{
    test_sha256();
    test_hex();
    test_json_reader();
    test_json_writer();
    return ESGX_TEST_SUMMARY("test_sdk_c");
}
