/*
 * platform_sim.c: the `sim` platform, which simulates what SGX gives an enclave.
 *
 * - MRENCLAVE is the SHA-256 of the executable's bytes (/proc/self/exe), so a changed
 *   build is a different enclave, as on hardware.
 * - MRSIGNER is the SHA-256 of ESGX_SIM_SIGNER: all sim builds share one signer.
 * - Sealing keys stand in for EGETKEY: HKDF-SHA256 with the per-machine secret as
 *   input key material (it plays the role of the CPU's fused key), salt
 *   "esgx sim seal key v1" and info = policy byte || the 32-byte identity the policy
 *   binds to. Another machine (another secret) or another identity gets another key.
 * - The machine secret DIR/sim_machine.secret is 32 random bytes, mode 0600, created
 *   atomically: written to a unique temporary file, fsynced, then link()ed to its final
 *   name (link fails if another process won the race, and we then read the winner's
 *   file), and the directory fsynced. An existing file of the wrong size or type is
 *   refused with a clear error and never replaced: replacing it would silently orphan
 *   every key sealed under it.
 */
#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <pthread.h>

#include "esgx_attest.h"
#include "esgx_crypto.h"

#define SIM_SECRET_NAME "sim_machine.secret"
#define SIM_SECRET_LEN 32
#define SIM_SEAL_SALT "esgx sim seal key v1"

typedef struct sim_state {
    uint8_t machine_secret[SIM_SECRET_LEN];
    const esgx_attest_sim_bundle *bundle;   /* not owned; NULL = no quotes */
    pthread_mutex_t quote_mu;
} sim_state;

/* ---------------------------------------------------------------- helpers */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ESGX_PLAT_E_IO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? 0 : ESGX_PLAT_E_IO;
}

static int read_exact_fd(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return ESGX_PLAT_E_IO;
        got += (size_t)r;
    }
    return 0;
}

static int write_all_fd(int fd, const uint8_t *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return ESGX_PLAT_E_IO;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads the machine secret; 1 if it does not exist, 0 if read, < 0 on error. */
static int secret_read(const char *path, uint8_t out[SIM_SECRET_LEN], esgx_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 1;
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot stat %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || st.st_size != SIM_SECRET_LEN) {
        close(fd);
        return esgx_err_set(err, ESGX_PLAT_E_CORRUPT,
                            "%s is not a %d-byte regular file (size %lld): refusing to "
                            "use or replace it (keys sealed under it would be lost)",
                            path, SIM_SECRET_LEN, (long long)st.st_size);
    }
    int rc = read_exact_fd(fd, out, SIM_SECRET_LEN);
    close(fd);
    if (rc != 0) {
        esgx_crypto_wipe(out, SIM_SECRET_LEN);
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot read %s", path);
    }
    return 0;
}

static int secret_create(const char *dir, const char *path, esgx_err *err)
{
    char tmp[4096];
    uint8_t rnd[8];
    char rhex[17];
    if (esgx_crypto_random(rnd, sizeof rnd, NULL) != 0)
        return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "random source failed");
    esgx_crypto_hex_encode(rnd, sizeof rnd, rhex);
    int n = snprintf(tmp, sizeof tmp, "%s/.%s.%ld.%s.tmp", dir, SIM_SECRET_NAME, (long)getpid(),
                     rhex);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return esgx_err_set(err, ESGX_PLAT_E_ARG, "data directory path too long");
    uint8_t secret[SIM_SECRET_LEN];
    if (esgx_crypto_random(secret, sizeof secret, err) != 0) return ESGX_PLAT_E_INTERNAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        esgx_crypto_wipe(secret, sizeof secret);
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot create %s: %s", tmp, strerror(errno));
    }
    int rc = write_all_fd(fd, secret, sizeof secret);
    esgx_crypto_wipe(secret, sizeof secret);
    if (rc == 0) rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0) {
        unlink(tmp);
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot write %s: %s", tmp, strerror(e));
    }
    rc = link(tmp, path);
    e = errno;
    unlink(tmp);
    if (rc != 0 && e != EEXIST)
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot create %s: %s", path, strerror(e));
    (void)fsync_dir(dir);   /* best effort: the file itself is already fsync'd */
    return 0;
}

static int measure_file(const char *path, uint8_t out[32], esgx_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot open %s to measure it: %s", path,
                            strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        close(fd);
        return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "SHA-256 init failed");
    }
    uint8_t *buf = malloc(1 << 16);
    int rc = buf ? 0 : ESGX_PLAT_E_INTERNAL;
    while (rc == 0) {
        ssize_t r = read(fd, buf, 1 << 16);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) rc = ESGX_PLAT_E_IO;
        if (r <= 0) break;
        if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1) rc = ESGX_PLAT_E_INTERNAL;
    }
    unsigned int len = 0;
    if (rc == 0 && EVP_DigestFinal_ex(ctx, out, &len) != 1) rc = ESGX_PLAT_E_INTERNAL;
    free(buf);
    EVP_MD_CTX_free(ctx);
    close(fd);
    if (rc != 0 || len != 32)
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot measure %s", path);
    return 0;
}

/* HKDF-SHA256 (RFC 5869) with a 32-byte output: one expand block. */
static int hkdf32(const uint8_t *ikm, size_t ikm_len, const void *salt, size_t salt_len,
                  const uint8_t *info, size_t info_len, uint8_t out[32])
{
    uint8_t prk[32], block[64 + 1];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), salt, (int)salt_len, ikm, ikm_len, prk, &len) || len != 32)
        return ESGX_PLAT_E_INTERNAL;
    if (info_len > 64) return ESGX_PLAT_E_INTERNAL;
    memcpy(block, info, info_len);
    block[info_len] = 1;
    int ok = HMAC(EVP_sha256(), prk, 32, block, info_len + 1, out, &len) && len == 32;
    esgx_crypto_wipe(prk, sizeof prk);
    return ok ? 0 : ESGX_PLAT_E_INTERNAL;
}

/* ---------------------------------------------------------------- ops */

static int sim_seal_key(esgx_platform *p, esgx_seal_policy policy, uint8_t key[32],
                        esgx_err *err)
{
    const uint8_t *id = esgx_platform_identity(p, policy);
    if (!id) return esgx_err_set(err, ESGX_PLAT_E_ARG, "unknown sealing policy %d", (int)policy);
    sim_state *st = p->impl;
    uint8_t info[33];
    info[0] = (uint8_t)policy;
    memcpy(info + 1, id, 32);
    if (hkdf32(st->machine_secret, SIM_SECRET_LEN, SIM_SEAL_SALT, strlen(SIM_SEAL_SALT),
               info, sizeof info, key) != 0)
        return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "sealing key derivation failed");
    return 0;
}

static int sim_random(esgx_platform *p, void *out, size_t n, esgx_err *err)
{
    return esgx_crypto_random(out, n, err) == 0 ? 0 : ESGX_PLAT_E_INTERNAL;
}

static int sim_quote(esgx_platform *p, const uint8_t report_data[64], uint8_t *out,
                     size_t cap, size_t *out_len, esgx_err *err)
{
    sim_state *st = p->impl;
    if (!st->bundle)
        return esgx_err_set(err, ESGX_PLAT_E_UNSUPPORTED,
                            "the sim platform has no sim provisioning bundle (esgx sim init "
                            "DIR, then --sim-bundle DIR): it cannot make quotes");
    esgx_attest_report_body body;
    memset(&body, 0, sizeof body);
    body.attributes[0] = ESGX_ATTEST_ATTR_INIT | ESGX_ATTEST_ATTR_MODE64BIT;
    body.attributes[8] = 0x03;   /* XFRM: x87 + SSE */
    memcpy(body.mrenclave, p->mrenclave, 32);
    memcpy(body.mrsigner, p->mrsigner, 32);
    memcpy(body.report_data, report_data, 64);
    uint8_t *q = NULL;
    size_t qlen = 0;
    esgx_err aerr;
    pthread_mutex_lock(&st->quote_mu);
    int rc = esgx_attest_sim_quote(st->bundle, &body, &q, &qlen, &aerr);
    pthread_mutex_unlock(&st->quote_mu);
    if (rc != 0) return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "sim quote: %s", aerr.msg);
    if (qlen > cap) {
        free(q);
        return esgx_err_set(err, ESGX_PLAT_E_ARG, "sim quote of %zu bytes exceeds %zu", qlen, cap);
    }
    memcpy(out, q, qlen);
    *out_len = qlen;
    free(q);
    return 0;
}

static void sim_close(esgx_platform *p)
{
    if (!p) return;
    if (p->impl) {
        pthread_mutex_destroy(&((sim_state *)p->impl)->quote_mu);
        esgx_crypto_wipe(p->impl, sizeof(sim_state));
        free(p->impl);
    }
    free(p);
}

static const esgx_platform_ops sim_ops = {
    .seal_key = sim_seal_key,
    .random = sim_random,
    .quote = sim_quote,
    .close = sim_close,
};

int esgx_platform_sim_open(const char *data_dir, const char *exe_path,
                           esgx_platform **out, esgx_err *err)
{
    if (!data_dir || !out) return esgx_err_set(err, ESGX_PLAT_E_ARG, "no data directory");
    *out = NULL;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", data_dir, SIM_SECRET_NAME);
    if (n < 0 || (size_t)n >= sizeof path)
        return esgx_err_set(err, ESGX_PLAT_E_ARG, "data directory path too long");

    esgx_platform *p = calloc(1, sizeof *p);
    sim_state *st = calloc(1, sizeof *st);
    if (!p || !st) {
        free(p);
        free(st);
        return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "out of memory");
    }
    if (pthread_mutex_init(&st->quote_mu, NULL) != 0) {
        free(p);
        free(st);
        return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "cannot make a lock");
    }
    p->ops = &sim_ops;
    p->name = "sim";
    p->impl = st;

    int rc = measure_file(exe_path ? exe_path : "/proc/self/exe", p->mrenclave, err);
    if (rc == 0) esgx_crypto_sha256(ESGX_SIM_SIGNER, strlen(ESGX_SIM_SIGNER), p->mrsigner);
    if (rc == 0) {
        rc = secret_read(path, st->machine_secret, err);
        if (rc == 1) {
            rc = secret_create(data_dir, path, err);
            if (rc == 0) rc = secret_read(path, st->machine_secret, err);
            if (rc == 1) rc = esgx_err_set(err, ESGX_PLAT_E_IO, "%s vanished after creation", path);
        }
    }
    if (rc != 0) {
        sim_close(p);
        return rc;
    }
    *out = p;
    return 0;
}

int esgx_platform_sim_set_bundle(esgx_platform *p, const struct esgx_attest_sim_bundle *bundle,
                                 esgx_err *err)
{
    if (!p || p->ops != &sim_ops)
        return esgx_err_set(err, ESGX_PLAT_E_ARG, "a sim bundle can only be given to the sim platform");
    ((sim_state *)p->impl)->bundle = bundle;
    return 0;
}

/* ---------------------------------------------------------------- wrappers */

int esgx_platform_quote(esgx_platform *p, const uint8_t report_data[64], uint8_t *out,
                        size_t cap, size_t *out_len, esgx_err *err)
{
    if (!p || !report_data || !out || !out_len)
        return esgx_err_set(err, ESGX_PLAT_E_ARG, "quote: NULL argument");
    return p->ops->quote(p, report_data, out, cap, out_len, err);
}

int esgx_platform_seal_key(esgx_platform *p, esgx_seal_policy policy, uint8_t key[32],
                           esgx_err *err)
{
    return p->ops->seal_key(p, policy, key, err);
}

int esgx_platform_random(esgx_platform *p, void *out, size_t n, esgx_err *err)
{
    return p->ops->random(p, out, n, err);
}

void esgx_platform_close(esgx_platform *p)
{
    if (p) p->ops->close(p);
}

const uint8_t *esgx_platform_identity(const esgx_platform *p, esgx_seal_policy policy)
{
    switch (policy) {
    case ESGX_SEAL_MRENCLAVE: return p->mrenclave;
    case ESGX_SEAL_MRSIGNER: return p->mrsigner;
    }
    return NULL;
}
