/*
 * test_common.c: esgx_parse_u64 (bases, suffixes, ranges, overflow), esgx_strerror
 * (every code has a distinct name and the ranges do not overlap) and the monotonic
 * deadline.
 */
#include "esgx_common.h"
#include "esgx_test.h"

#include <string.h>

static void test_parse(void)
{
    uint64_t v = 7;
    esgx_err err;
    CHECK_RC(esgx_parse_u64("010", 0, UINT64_MAX, 0, &v, &err), ESGX_OK);
    CHECK_EQ_INT(v, 10);   /* decimal, never octal */
    CHECK_RC(esgx_parse_u64("0", 0, 5, 0, &v, NULL), ESGX_OK);
    CHECK_EQ_INT(v, 0);
    CHECK_RC(esgx_parse_u64("18446744073709551615", 0, UINT64_MAX, 0, &v, NULL), ESGX_OK);
    CHECK(v == UINT64_MAX);
    v = 3;
    CHECK_RC(esgx_parse_u64("18446744073709551616", 0, UINT64_MAX, 0, &v, &err),
             ESGX_E_PARSE);
    CHECK(strstr(err.msg, "too large"), "%s", err.msg);
    CHECK_EQ_INT(v, 3);   /* untouched on error */
    const char *bad[] = {"", "-1", "+1", " 1", "1 ", "0x10", "1.5", "1e3", "abc", "12x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK_RC(esgx_parse_u64(bad[i], 0, UINT64_MAX, 0, &v, &err), ESGX_E_PARSE);
        CHECK(strstr(err.msg, "not a whole number"), "'%s': %s", bad[i], err.msg);
    }
    CHECK_RC(esgx_parse_u64(NULL, 0, 1, 0, &v, &err), ESGX_E_PARSE);
    CHECK_RC(esgx_parse_u64("0", 1, 1000, 0, &v, &err), ESGX_E_PARSE);
    CHECK(!strcmp(err.msg, "'0' is out of range 1..1000"), "%s", err.msg);
    CHECK_RC(esgx_parse_u64("1001", 1, 1000, 0, &v, &err), ESGX_E_PARSE);
    /* sizes */
    CHECK_RC(esgx_parse_u64("64K", 0, UINT64_MAX, 0, &v, &err), ESGX_E_PARSE);
    struct { const char *t; uint64_t want; } sz[] = {
        {"64K", 64 << 10}, {"8M", 8 << 20}, {"8MiB", 8 << 20}, {"1G", 1ull << 30},
        {"2gB", 2ull << 30}, {"512", 512}, {"1k", 1024}};
    for (size_t i = 0; i < sizeof sz / sizeof *sz; i++) {
        CHECK_RC(esgx_parse_u64(sz[i].t, 0, UINT64_MAX, ESGX_PARSE_SIZE, &v, &err), ESGX_OK);
        CHECK(v == sz[i].want, "%s -> %llu", sz[i].t, (unsigned long long)v);
    }
    const char *badsz[] = {"8T", "8MB5", "K", "8 M", "8Mi"};
    for (size_t i = 0; i < sizeof badsz / sizeof *badsz; i++)
        CHECK_RC(esgx_parse_u64(badsz[i], 0, UINT64_MAX, ESGX_PARSE_SIZE, &v, &err),
                 ESGX_E_PARSE);
    CHECK_RC(esgx_parse_u64("17179869184G", 0, UINT64_MAX, ESGX_PARSE_SIZE, &v, &err),
             ESGX_E_PARSE);
}

static void test_strerror(void)
{
    static const int codes[] = {
#define ESGX_CODE_LIST_(name, value, text) name,
        ESGX_ERRORS(ESGX_CODE_LIST_)
#undef ESGX_CODE_LIST_
    };
    size_t n = sizeof codes / sizeof *codes;
    for (size_t i = 0; i < n; i++) {
        CHECK(codes[i] < 0, "code %d", codes[i]);
        CHECK(strcmp(esgx_strerror(codes[i]), "unknown error code") != 0);
        for (size_t j = i + 1; j < n; j++) CHECK(codes[i] != codes[j], "code %d twice", codes[i]);
    }
    CHECK(!strcmp(esgx_strerror(ESGX_WASM_E_TRAP), "ESGX_WASM_E_TRAP (wasm: execution trapped)"),
          "%s", esgx_strerror(ESGX_WASM_E_TRAP));
    CHECK(ESGX_WASM_E_ARG != ESGX_CRYPTO_E_ARG && ESGX_CRYPTO_E_ARG != ESGX_NODE_E_ARG);
    CHECK(!strcmp(esgx_strerror(0), "ESGX_OK (success)"));
    CHECK(!strcmp(esgx_strerror(-99999), "unknown error code"));
}

static void test_deadline(void)
{
    uint64_t t0 = esgx_monotonic_ms();
    struct timespec d = esgx_deadline_after_ms(1500);
    uint64_t dms = (uint64_t)d.tv_sec * 1000 + (uint64_t)d.tv_nsec / 1000000;
    CHECK(dms >= t0 + 1500 && dms <= t0 + 1600, "deadline %llu vs now %llu",
          (unsigned long long)dms, (unsigned long long)t0);
    CHECK(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    pthread_cond_t c;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    CHECK_RC(esgx_cond_init_monotonic(&c), 0);
    struct timespec soon = esgx_deadline_after_ms(20);
    pthread_mutex_lock(&m);
    int rc = pthread_cond_timedwait(&c, &m, &soon);
    pthread_mutex_unlock(&m);
    CHECK(rc == 110 /* ETIMEDOUT */, "timedwait %d", rc);
    CHECK(esgx_monotonic_ms() >= t0 + 20);
    pthread_cond_destroy(&c);
}

/* Control characters come out as \xNN, the rest unchanged; truncation keeps the NUL
 * and never splits an escape. */
static void test_escape(void)
{
    char out[64];
    CHECK(esgx_escape_controls("a\nb\r\x1b[2Jc\x7f", out, sizeof out) == strlen(out));
    CHECK(strcmp(out, "a\\x0ab\\x0d\\x1b[2Jc\\x7f") == 0);
    char small[6];
    esgx_escape_controls("ab\ncdef", small, sizeof small);
    CHECK(strcmp(small, "ab") == 0);
    esgx_escape_controls("abcdefgh", small, sizeof small);
    CHECK(strcmp(small, "abcde") == 0);
    /* bytes with NULs, extra characters, and how much of the input went out */
    size_t used = 0;
    CHECK(esgx_escape_bytes("a\0\"b\\", 5, "\"\\", out, sizeof out, &used) == 14);
    CHECK(strcmp(out, "a\\x00\\x22b\\x5c") == 0, "%s", out);
    CHECK_EQ_INT(used, 5);
    esgx_escape_bytes("xy\nz", 4, NULL, small, sizeof small, &used);
    CHECK(strcmp(small, "xy") == 0);
    CHECK_EQ_INT(used, 2);
}

int main(void)
{
    test_escape();
    test_parse();
    test_strerror();
    test_deadline();
    return ESGX_TEST_SUMMARY("common_unit");
}
