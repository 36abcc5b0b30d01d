/*
 * test_common.c: esgx_parse_u64 (bases, suffixes, ranges, overflow), esgx_strerror
 * (every code has a distinct name and the ranges do not overlap), the monotonic
 * deadline, the bounded file reader (real files, a limit hit, a missing path), the
 * raw JSON span scanner and the deadline join.
 */
#include "esgx_common.h"
#include "esgx_test.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A real file read whole, NUL-terminated; one byte over the limit refused with the
 * path and the limit named; a missing file named with the system's reason. */
static void test_file_read(void)
{
    char path[] = "/tmp/esgx_common_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    static char big[200000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    CHECK(write(fd, big, sizeof big) == (ssize_t)sizeof big);
    close(fd);
    uint8_t *d = NULL;
    size_t n = 0;
    esgx_err err;
    CHECK_RC(esgx_file_read(path, sizeof big, &d, &n, &err), ESGX_OK);
    CHECK_EQ_INT(n, sizeof big);
    CHECK(d && !memcmp(d, big, n) && d[n] == 0);
    free(d);
    d = NULL;
    CHECK_RC(esgx_file_read(path, sizeof big - 1, &d, &n, &err), ESGX_E_TOO_BIG);
    CHECK(strstr(err.msg, path) && strstr(err.msg, "larger than 199999"), "%s", err.msg);
    CHECK(d == NULL);
    CHECK_RC(esgx_file_read(path, 0, &d, &n, &err), ESGX_E_TOO_BIG);
    unlink(path);
    CHECK_RC(esgx_file_read(path, 10, &d, &n, &err), ESGX_E_IO);
    CHECK(strstr(err.msg, "No such file"), "%s", err.msg);
    CHECK_RC(esgx_file_read(NULL, 10, &d, &n, &err), ESGX_E_ARG);
}

/* The exact bytes of a member's value, escapes and nesting skipped, keys compared raw;
 * a missing member, a non-object and truncated text refused. */
static void test_json_span(void)
{
    const char *t = " { \"a\" : \"x\\\"}\" , \"b\":{\"c\":[1,{\"d\":\"]\"}]},\"n\":-1.5e3 }";
    size_t s = 0, e = 0;
    esgx_err err;
    CHECK_RC(esgx_json_member_span(t, strlen(t), "b", &s, &e, &err), ESGX_OK);
    CHECK(e - s == 19 && !memcmp(t + s, "{\"c\":[1,{\"d\":\"]\"}]}", 19), "%.*s",
          (int)(e - s), t + s);
    CHECK_RC(esgx_json_member_span(t, strlen(t), "a", &s, &e, &err), ESGX_OK);
    CHECK(!memcmp(t + s, "\"x\\\"}\"", e - s));
    CHECK_RC(esgx_json_member_span(t, strlen(t), "n", &s, &e, &err), ESGX_OK);
    CHECK(!memcmp(t + s, "-1.5e3", e - s) && e - s == 6);
    CHECK_RC(esgx_json_member_span(t, strlen(t), "c", &s, &e, &err), ESGX_E_JSON);
    CHECK(strstr(err.msg, "\"c\""), "%s", err.msg);
    CHECK_RC(esgx_json_member_span("[1]", 3, "a", &s, &e, &err), ESGX_E_JSON);
    for (size_t cut = 0; cut < strlen(t); cut++) {
        size_t s2 = 0, e2 = 0;
        if (esgx_json_member_span(t, cut, "n", &s2, &e2, NULL) == ESGX_OK)
            CHECK(e2 <= cut);
    }
}

static void *nap_thread(void *arg)
{
    esgx_sleep_ms(150);
    *(int *)arg = 7;
    return NULL;
}

/* esgx_thread_join_ms: a running thread is not joined before its deadline (and can be
 * joined later); a join that succeeds sees what the thread wrote. */
static void test_thread_join(void)
{
    pthread_t t;
    int v = 0;
    CHECK(pthread_create(&t, NULL, nap_thread, &v) == 0);
    uint64_t t0 = esgx_monotonic_ms();
    CHECK_EQ_INT(esgx_thread_join_ms(t, 20), ETIMEDOUT);
    uint64_t waited = esgx_monotonic_ms() - t0;
    CHECK(waited >= 20 && waited < 140, "timed out after %llu ms", (unsigned long long)waited);
    CHECK_EQ_INT(esgx_thread_join_ms(t, 5000), 0);
    CHECK_EQ_INT(v, 7);
}

int main(void)
{
    test_file_read();
    test_json_span();
    test_escape();
    test_parse();
    test_strerror();
    test_deadline();
    test_thread_join();
    return ESGX_TEST_SUMMARY("common_unit");
}
