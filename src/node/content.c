/*
 * content.c: the content store of esgxd.
 *
 * Content is stored as DIR/content/<64 lowercase hex BLAKE3>. A write goes to a
 * temporary file in the same directory (.tmp-<hash>-<random>), is fsynced, renamed
 * into place and the directory fsynced, so a crash leaves either the old state or the
 * complete file, never a torn one under a content name. Uploads are idempotent: if the
 * name exists and its bytes hash to the name nothing is written. Temp files left by a
 * crash are removed at startup. The total size is kept in an atomic counter for
 * /metrics. All state is in the content_store object (directory path and fd, total).
 *
 * Corruption (a flipped bit on disk): every read (esgx_content_read for the enclave,
 * esgx_content_open_fd for a peer or client) hashes the whole file with BLAKE3 and
 * compares it with the name. There is no "verified" cache: a read already costs a pass
 * over the file, and the hash runs at memory speed next to it. On a mismatch the file
 * is deleted (nothing corrupt stays in content/, nothing is kept elsewhere), an error is
 * logged and the read answers ESGX_NODE_E_MISMATCH, so the caller can fetch a good copy
 * or tell the client to upload it again; a put of the same bytes then writes it anew.
 * The enclave still re-hashes whatever we hand it: it is the trust anchor.
 */
#define _GNU_SOURCE
#include "content.h"
#include "node_log.h"
#include "esgx_proto.h"

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

struct content_store {
    char dir[4096];
    int dirfd;
    _Atomic uint64_t total;
};

/* Removes stale temp files and sums the sizes of the stored files into cs->total. */
static int scan_store(content_store *cs, esgx_err *err)
{
    int fd = dup(cs->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int e = errno;
        if (fd >= 0) close(fd);
        return esgx_err_set(err, ESGX_NODE_E_IO, "opendir %s: %s", cs->dir, strerror(e));
    }
    uint64_t total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strncmp(e->d_name, ".tmp-", 5)) {
            if (unlinkat(cs->dirfd, e->d_name, 0))
                esgx_node_log(NODE_LOG_WARN, "cannot remove %s/%s: %s", cs->dir, e->d_name,
                         strerror(errno));
            continue;
        }
        if (!esgx_proto_hash_text_valid(e->d_name, strlen(e->d_name))) continue;
        struct stat st;
        if (fstatat(cs->dirfd, e->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    atomic_store(&cs->total, total);
    return ESGX_OK;
}

int esgx_content_open(const char *data_dir, content_store **out, esgx_err *err)
{
    *out = NULL;
    content_store *cs = calloc(1, sizeof *cs);
    if (!cs) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the content store");
    cs->dirfd = -1;
    int rc = ESGX_OK;
    if (snprintf(cs->dir, sizeof cs->dir, "%s/content", data_dir) >= (int)sizeof cs->dir)
        rc = esgx_err_set(err, ESGX_NODE_E_ARG, "data dir path too long");
    else if (mkdir(cs->dir, 0700) && errno != EEXIST)
        rc = esgx_err_set(err, ESGX_NODE_E_IO, "mkdir %s: %s", cs->dir, strerror(errno));
    else if ((cs->dirfd = open(cs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        rc = esgx_err_set(err, ESGX_NODE_E_IO, "open %s: %s", cs->dir, strerror(errno));
    else
        rc = scan_store(cs, err);
    if (rc) {
        esgx_content_close(cs);
        return rc;
    }
    *out = cs;
    return ESGX_OK;
}

void esgx_content_close(content_store *cs)
{
    if (!cs) return;
    if (cs->dirfd >= 0) close(cs->dirfd);
    free(cs);
}

/* Writes p[0..n) to fd. Returns 0 or ESGX_NODE_E_IO (errno set). */
static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return ESGX_NODE_E_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return ESGX_OK;
}

/* Hashes fd[0..size) with BLAKE3 (pread: the offset is left alone) into out. Returns 0
 * or ESGX_NODE_E_IO (errno set). */
static int hash_fd(int fd, uint64_t size, uint8_t out[32])
{
    esgx_blake3_hasher h;
    esgx_blake3_init(&h);
    uint8_t buf[65536];
    uint64_t off = 0;
    while (off < size) {
        size_t want = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
        ssize_t n = pread(fd, buf, want, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;   /* shrank under us */
            return ESGX_NODE_E_IO;
        }
        esgx_blake3_update(&h, buf, (size_t)n);
        off += (uint64_t)n;
    }
    esgx_blake3_finalize(&h, out, 32);
    return ESGX_OK;
}

/* The file `name` (open as fd, stat st) does not hash to its name: deletes it, if the
 * name still refers to that very file (a concurrent put may have replaced it), and
 * logs it. Returns ESGX_NODE_E_MISMATCH with err. */
static int drop_corrupt(content_store *cs, const char *name, const struct stat *st,
                        esgx_err *err)
{
    struct stat now;
    int gone = 0;
    if (fstatat(cs->dirfd, name, &now, 0) == 0 && now.st_ino == st->st_ino &&
        now.st_dev == st->st_dev) {
        if (unlinkat(cs->dirfd, name, 0) == 0) {
            gone = 1;
            atomic_fetch_sub(&cs->total, (uint64_t)st->st_size);
            if (fsync(cs->dirfd))
                esgx_node_log(NODE_LOG_WARN, "fsync %s: %s", cs->dir, strerror(errno));
        } else {
            esgx_node_log(NODE_LOG_ERROR, "cannot remove corrupt %s/%s: %s", cs->dir, name,
                          strerror(errno));
        }
    }
    if (gone)
        esgx_node_log(NODE_LOG_ERROR, "stored content %s/%s was corrupt (its bytes do not hash "
                      "to its name); removed it", cs->dir, name);
    return esgx_err_set(err, ESGX_NODE_E_MISMATCH, "stored content for %s was corrupt and has "
                        "been removed; upload it again", name);
}

int esgx_content_put(content_store *cs, const uint8_t *data, size_t len, char hash_hex[65],
                int *created, esgx_err *err)
{
    uint8_t h[32];
    esgx_blake3_hash(data, len, h);
    return esgx_content_put_hashed(cs, data, len, h, hash_hex, created, err);
}

int esgx_content_put_hashed(content_store *cs, const uint8_t *data, size_t len,
                            const uint8_t hash[32], char hash_hex[65], int *created,
                            esgx_err *err)
{
    esgx_crypto_hex_encode(hash, 32, hash_hex);
    *created = 0;
    /* stored already: done, unless the stored bytes went bad (then write them anew) */
    int rfd;
    uint64_t rsize;
    esgx_err rerr;
    int rrc = esgx_content_open_fd(cs, hash, &rfd, &rsize, &rerr);
    if (rrc == ESGX_OK) {
        close(rfd);
        return ESGX_OK;
    }
    if (rrc != ESGX_NODE_E_NOTFOUND && rrc != ESGX_NODE_E_MISMATCH)
        return esgx_err_set(err, rrc, "%s", rerr.msg);
    uint8_t rnd[8];
    char rhex[17], tmp[128];
    if (esgx_crypto_random(rnd, sizeof rnd, err)) return ESGX_NODE_E_IO;
    esgx_crypto_hex_encode(rnd, sizeof rnd, rhex);
    snprintf(tmp, sizeof tmp, ".tmp-%s-%s", hash_hex, rhex);
    int fd = openat(cs->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return esgx_err_set(err, ESGX_NODE_E_IO, "create %s/%s: %s", cs->dir, tmp,
                            strerror(errno));
    if (write_all(fd, data, len) || fsync(fd)) {
        int e = errno;
        close(fd);
        unlinkat(cs->dirfd, tmp, 0);
        return esgx_err_set(err, ESGX_NODE_E_IO, "write %s/%s: %s", cs->dir, tmp, strerror(e));
    }
    if (close(fd)) {
        int e = errno;
        unlinkat(cs->dirfd, tmp, 0);
        return esgx_err_set(err, ESGX_NODE_E_IO, "close %s/%s: %s", cs->dir, tmp, strerror(e));
    }
    /* renameat2 NOREPLACE: a concurrent identical upload wins harmlessly. */
    if (renameat2(cs->dirfd, tmp, cs->dirfd, hash_hex, RENAME_NOREPLACE)) {
        int e = errno;
        unlinkat(cs->dirfd, tmp, 0);
        if (e == EEXIST) return ESGX_OK;
        return esgx_err_set(err, ESGX_NODE_E_IO, "rename into %s/%s: %s", cs->dir, hash_hex,
                            strerror(e));
    }
    if (fsync(cs->dirfd))
        esgx_node_log(NODE_LOG_WARN, "fsync %s: %s", cs->dir, strerror(errno));
    atomic_fetch_add(&cs->total, (uint64_t)len);
    *created = 1;
    return ESGX_OK;
}

/* Opens the stored file of hash for reading into *fd (name gets its 64 hex characters).
 * Returns 0, ESGX_NODE_E_NOTFOUND (no such file) or ESGX_NODE_E_IO. */
static int open_named(content_store *cs, const uint8_t hash[32], char name[65], int *fd,
                      esgx_err *err)
{
    esgx_crypto_hex_encode(hash, 32, name);
    *fd = openat(cs->dirfd, name, O_RDONLY | O_CLOEXEC);
    if (*fd >= 0) return ESGX_OK;
    if (errno == ENOENT) return esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no content %s", name);
    return esgx_err_set(err, ESGX_NODE_E_IO, "open content %s: %s", name, strerror(errno));
}

int esgx_content_open_fd(content_store *cs, const uint8_t hash[32], int *fd_out, uint64_t *size,
                    esgx_err *err)
{
    char name[65];
    int fd;
    *fd_out = -1;
    int orc = open_named(cs, hash, name, &fd, err);
    if (orc) return orc;
    struct stat st;
    uint8_t got[32];
    if (fstat(fd, &st) || hash_fd(fd, (uint64_t)st.st_size, got)) {
        int e = errno;
        close(fd);
        return esgx_err_set(err, ESGX_NODE_E_IO, "read content %s: %s", name, strerror(e));
    }
    if (memcmp(got, hash, 32)) {
        int rc = drop_corrupt(cs, name, &st, err);
        close(fd);
        return rc;
    }
    *size = (uint64_t)st.st_size;
    *fd_out = fd;
    return ESGX_OK;
}

int esgx_content_read(content_store *cs, const uint8_t hash[32], uint8_t **data, size_t *len,
                 esgx_err *err)
{
    char name[65];
    int fd;
    int orc = open_named(cs, hash, name, &fd, err);
    if (orc) return orc;
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return esgx_err_set(err, ESGX_NODE_E_IO, "stat content %s: %s", name, strerror(e));
    }
    uint64_t size = (uint64_t)st.st_size;
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
    uint8_t h[32];
    esgx_blake3_hash(buf, got, h);
    if (memcmp(h, hash, 32)) {
        free(buf);
        int rc = drop_corrupt(cs, name, &st, err);
        close(fd);
        return rc;
    }
    close(fd);
    *data = buf;
    *len = got;
    return ESGX_OK;
}

int esgx_content_exists(content_store *cs, const uint8_t hash[32])
{
    char name[65];
    struct stat st;
    esgx_crypto_hex_encode(hash, 32, name);
    return fstatat(cs->dirfd, name, &st, 0) == 0;
}

uint64_t esgx_content_total_bytes(const content_store *cs)
{
    return atomic_load(&((content_store *)cs)->total);
}

void esgx_content_each(content_store *cs, int (*fn)(void *arg, const uint8_t hash[32], uint64_t size),
                  void *arg)
{
    int fd = dup(cs->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        esgx_node_log(NODE_LOG_WARN, "cannot list %s: %s", cs->dir, strerror(errno));
        return;
    }
    struct dirent *e;
    int stop = 0;
    while (!stop && (e = readdir(d))) {
        uint8_t h[32];
        struct stat st;
        if (!esgx_proto_hash_text_valid(e->d_name, strlen(e->d_name)) ||
            esgx_crypto_hex_decode(e->d_name, 64, h, 32, NULL, NULL) ||
            fstatat(cs->dirfd, e->d_name, &st, 0) || !S_ISREG(st.st_mode))
            continue;
        stop = fn(arg, h, (uint64_t)st.st_size);
    }
    closedir(d);
}
