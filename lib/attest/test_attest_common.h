/*
 * test_attest_common.h: tiny helpers shared by the lib/attest tests: whole-file reads.
 * The assertions come from the one harness, tests/include/esgx_test.h (included here).
 */
#ifndef TEST_ATTEST_COMMON_H
#define TEST_ATTEST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_test.h"

static inline char *t_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (size_t)n;
    }
    return buf;
}

#endif
