/*
 * content.c: the content store of esgxd.
 *
 * Content is stored as DIR/content/<64 lowercase hex BLAKE3>. A write goes to a
 * temporary file in the same directory (.tmp-<hash>-<random>), is fsynced, renamed
 * into place and the directory fsynced, so a crash leaves either the old state or the
 * complete file, never a torn one under a content name. Uploads are idempotent: if the
 * name exists nothing is written. The store never deletes content. Temp files left by
 * a crash are removed at startup. The total size is kept in an atomic counter for
 * /metrics. The enclave re-hashes whatever we hand it, so the store does not re-verify
 * on read.
 */
#define _GNU_SOURCE
#include "node.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esgx_crypto.h"

static char g_dir[4096];
static int g_dirfd = -1;
static _Atomic uint64_t g_total;

int content_open(const char *data_dir, esgx_err *err)
{
    if (snprintf(g_dir, sizeof g_dir, "%s/content", data_dir) >= (int)sizeof g_dir)
        return esgx_err_set(err, ESGX_NODE_E_ARG, "data dir path too long");
    if (mkdir(g_dir, 0700) && errno != EEXIST)
        return esgx_err_set(err, ESGX_NODE_E_IO, "mkdir %s: %s", g_dir, strerror(errno));
    g_dirfd = open(g_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (g_dirfd < 0) return esgx_err_set(err, ESGX_NODE_E_IO, "open %s: %s", g_dir, strerror(errno));
    int fd = dup(g_dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) return esgx_err_set(err, ESGX_NODE_E_IO, "opendir %s: %s", g_dir, strerror(errno));
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strncmp(e->d_name, ".tmp-", 5)) {
            unlinkat(g_dirfd, e->d_name, 0);
            continue;
        }
        if (!esgx_proto_hash_text_valid(e->d_name, strlen(e->d_name))) continue;
        struct stat st;
        if (fstatat(g_dirfd, e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    atomic_store(&g_total, total);
    return ESGX_OK;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int content_put(const uint8_t *data, size_t len, char hash_hex[65], int *created,
                esgx_err *err)
{
    uint8_t h[32];
    esgx_blake3_hash(data, len, h);
    esgx_crypto_hex_encode(h, 32, hash_hex);
    *created = 0;
    struct stat st;
    if (fstatat(g_dirfd, hash_hex, &st, 0) == 0) return ESGX_OK;
    uint8_t rnd[8];
    char rhex[17], tmp[128];
    if (esgx_crypto_random(rnd, sizeof rnd, err)) return ESGX_NODE_E_IO;
    esgx_crypto_hex_encode(rnd, sizeof rnd, rhex);
    snprintf(tmp, sizeof tmp, ".tmp-%s-%s", hash_hex, rhex);
    int fd = openat(g_dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return esgx_err_set(err, ESGX_NODE_E_IO, "create %s/%s: %s", g_dir, tmp, strerror(errno));
    if (write_all(fd, data, len) || fsync(fd)) {
        int e = errno;
        close(fd);
        unlinkat(g_dirfd, tmp, 0);
        return esgx_err_set(err, ESGX_NODE_E_IO, "write %s/%s: %s", g_dir, tmp, strerror(e));
    }
    close(fd);
    /* renameat2 NOREPLACE: a concurrent identical upload wins harmlessly. */
    if (renameat2(g_dirfd, tmp, g_dirfd, hash_hex, RENAME_NOREPLACE)) {
        int e = errno;
        unlinkat(g_dirfd, tmp, 0);
        if (e == EEXIST) return ESGX_OK;
        return esgx_err_set(err, ESGX_NODE_E_IO, "rename into %s/%s: %s", g_dir, hash_hex, strerror(e));
    }
    fsync(g_dirfd);
    atomic_fetch_add(&g_total, (uint64_t)len);
    *created = 1;
    return ESGX_OK;
}

int content_open_fd(const uint8_t hash[32], uint64_t *size, esgx_err *err)
{
    char name[65];
    esgx_crypto_hex_encode(hash, 32, name);
    int fd = openat(g_dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no content %s", name);
        return esgx_err_set(err, ESGX_NODE_E_IO, "open content %s: %s", name, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return esgx_err_set(err, ESGX_NODE_E_IO, "stat content %s: %s", name, strerror(e));
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

int content_read(const uint8_t hash[32], uint8_t **data, size_t *len, esgx_err *err)
{
    uint64_t size;
    int fd = content_open_fd(hash, &size, err);
    if (fd < 0) return fd;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for %llu bytes of content",
                            (unsigned long long)size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            free(buf);
            close(fd);
            return esgx_err_set(err, ESGX_NODE_E_IO, "read content: %s", strerror(e));
        }
        got += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = got;
    return ESGX_OK;
}

int content_exists(const uint8_t hash[32])
{
    char name[65];
    struct stat st;
    esgx_crypto_hex_encode(hash, 32, name);
    return fstatat(g_dirfd, name, &st, 0) == 0;
}

uint64_t content_total_bytes(void)
{
    return atomic_load(&g_total);
}
