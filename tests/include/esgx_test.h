/*
 * esgx_test.h: the one assertion harness of the C unit tests.
 *
 *   CHECK(cond)                  a condition; CHECK(cond, fmt, ...) adds a message
 *   CHECK_EQ_INT(a, b)           two integers equal (both printed on failure)
 *   CHECK_RC(expr, want)         an esgx call returns the code want (names both codes)
 *   ESGX_TEST_SUMMARY(name)      prints "name: N checks, M failed" and evaluates to
 *                                the exit status (0 all passed, 1 otherwise)
 *
 * A failed check prints file, line, the expression and the message, and the test goes
 * on, so one run reports every broken case. `failures` counts failed checks (tests may
 * read it, e.g. to stop early) and `checks` counts all checks made.
 * Each test program includes this header once, from its one translation unit.
 */
#ifndef ESGX_TEST_H
#define ESGX_TEST_H

#include <stdio.h>

#include "esgx_common.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        checks++;                                                                        \
        if (!(cond)) {                                                                   \
            failures++;                                                                  \
            fprintf(stderr, "FAIL %s:%d: %s", __FILE__, __LINE__, #cond);                \
            fprintf(stderr, " " __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                         \
        }                                                                                \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                               \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        checks++;                                                                        \
        if (a_ != b_) {                                                                  \
            failures++;                                                                  \
            fprintf(stderr, "FAIL %s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__,  \
                    #a, #b, a_, b_);                                                     \
        }                                                                                \
    } while (0)

#define CHECK_RC(expr, want)                                                             \
    do {                                                                                 \
        int rc_ = (expr), want_ = (want);                                                \
        checks++;                                                                        \
        if (rc_ != want_) {                                                              \
            failures++;                                                                  \
            fprintf(stderr, "FAIL %s:%d: %s: got %d %s, want %d %s\n", __FILE__,         \
                    __LINE__, #expr, rc_, esgx_strerror(rc_), want_,                     \
                    esgx_strerror(want_));                                               \
        }                                                                                \
    } while (0)

#define ESGX_TEST_SUMMARY(name)                                                          \
    (printf("%s: %d checks, %d failed\n", (name), checks, failures), failures ? 1 : 0)

#endif
