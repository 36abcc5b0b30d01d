/*
 * test_util.h: tiny helpers shared by the src/enclave tests (header-only): temporary
 * directories and whole-file I/O. The assertions (CHECK, CHECK_EQ_INT, CHECK_RC) come
 * from the one harness, tests/include/esgx_test.h; T_DONE ends main with its summary.
 */
#ifndef ESGX_ENCLAVE_TEST_UTIL_H
#define ESGX_ENCLAVE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_test.h"

/* A fresh temporary directory (mkdtemp); path in buf (>= 64 bytes). */
static inline void t_tmpdir(char *buf, size_t cap, const char *tag)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, cap, "%s/esgx-%s-XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* rm -rf of a test directory. */
static inline void t_rmdir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: cannot remove %s\n", dir);
}

/* Reads a whole file into a malloc'd buffer; NULL on error. */
static inline unsigned char *t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0) break;
        n += r;
    }
    fclose(f);
    *len = n;
    return buf;
}

static inline int t_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

/* Ends main: prints the harness summary ("name: N checks, M failed") and returns 0 when
 * every check passed, 1 otherwise. */
#define T_DONE(name) return ESGX_TEST_SUMMARY(name)

#endif
