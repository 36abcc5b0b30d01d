/*
 * esgx_test.h: the assertion macro shared by the C unit tests.
 *
 * CHECK(cond, fmt, ...) records a failure with file, line and a message and goes on,
 * so one run reports every broken case. Each test program includes this header once
 * and ends with `return failures ? 1 : 0;` (after printing its own summary).
 */
#ifndef ESGX_TEST_H
#define ESGX_TEST_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            failures++;                                                                  \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                         \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
        }                                                                                \
    } while (0)

#endif
