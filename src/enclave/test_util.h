/*
 * test_util.h: tiny helpers shared by the src/enclave tests (header-only).
 */
#ifndef ESGX_ENCLAVE_TEST_UTIL_H
#define ESGX_ENCLAVE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failures;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
            t_failures++;                                                             \
        }                                                                             \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                            \
    do {                                                                              \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                       \
        if (t_a_ != t_b_) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n",         \
                    __FILE__, __LINE__, #a, #b, t_a_, t_b_);                          \
            t_failures++;                                                             \
        }                                                                             \
    } while (0)

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

#define T_DONE(name)                                                                  \
    do {                                                                              \
        if (t_failures) {                                                             \
            fprintf(stderr, "%s: %d check(s) failed\n", name, t_failures);            \
            return 1;                                                                 \
        }                                                                             \
        printf("%s: all checks passed\n", name);                                      \
        return 0;                                                                     \
    } while (0)

#endif
