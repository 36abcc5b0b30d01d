/*
 * platform_gramine.c: the `gramine-sgx` platform, over Gramine's attestation
 * pseudo-filesystem (default /dev/attestation; the root is a parameter so tests can
 * point it at a directory that imitates the files).
 *
 * Files used (Gramine documents them as the /dev/attestation interface):
 *   attestation_type      "dcap" (or "none": then there are no quotes)
 *   my_target_info        our own TARGETINFO (512 bytes), read once at open
 *   target_info           written with my_target_info, so `report` targets ourselves
 *   user_report_data      the 64 bytes of report data for the next report / quote
 *   report                a 432-byte SGX REPORT: 384-byte body at offset 0
 *                         (MRENCLAVE at 64, MRSIGNER at 128), then KEYID and MAC
 *   quote                 a DCAP quote over the current user_report_data
 *   keys/_sgx_mrenclave   16-byte sealing keys (EGETKEY with the two key policies)
 *   keys/_sgx_mrsigner
 *
 * The measurement comes from a report we ask for ourselves (EREPORT: only the CPU can
 * fill it), so MRENCLAVE and MRSIGNER are what SGX measured, not what anyone claims.
 * Sealing keys are widened to 32 bytes with HKDF-SHA256 (salt "esgx gramine seal key
 * v1", info = policy byte || identity), so the sealed-file format is the same as on sim.
 * "write user_report_data, then read report/quote" is a two-step protocol on shared
 * files, so every such sequence holds one mutex. A quote is parsed before it is
 * returned and must carry exactly the report data we wrote and our MRENCLAVE.
 */
#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "esgx_attest.h"
#include "esgx_crypto.h"

#define GR_DEFAULT_DIR "/dev/attestation"
#define GR_TARGET_INFO_LEN 512
#define GR_REPORT_LEN 432
#define GR_KEY_LEN 16
#define GR_SEAL_SALT "esgx gramine seal key v1"

typedef struct gr_state {
    char dir[3072];
    int can_quote;
    pthread_mutex_t mu;      /* user_report_data -> report/quote sequences */
} gr_state;

/* ---------------------------------------------------------------- file helpers */

static int gr_path(const gr_state *st, const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", st->dir, name);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Reads a whole pseudo-file of at most cap bytes; *len = bytes read. */
static int gr_read(const gr_state *st, const char *name, uint8_t *buf, size_t cap, size_t *len,
                   esgx_err *err)
{
    char path[4096];
    if (gr_path(st, name, path, sizeof path))
        return esgx_err_set(err, ESGX_PLAT_E_ARG, "attestation directory path too long");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot open %s: %s", path, strerror(errno));
    size_t got = 0;
    for (;;) {
        if (got == cap) {
            uint8_t extra;
            ssize_t r = read(fd, &extra, 1);
            if (r > 0) {
                close(fd);
                return esgx_err_set(err, ESGX_PLAT_E_CORRUPT, "%s is larger than %zu bytes", path,
                                    cap);
            }
            break;
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return 0;
}

/* Reads exactly n bytes. */
static int gr_read_exact(const gr_state *st, const char *name, uint8_t *buf, size_t n,
                         esgx_err *err)
{
    size_t len = 0;
    int rc = gr_read(st, name, buf, n, &len, err);
    if (rc != 0) return rc;
    if (len != n)
        return esgx_err_set(err, ESGX_PLAT_E_CORRUPT, "%s/%s has %zu bytes, expected %zu", st->dir,
                            name, len, n);
    return 0;
}

static int gr_write(const gr_state *st, const char *name, const uint8_t *buf, size_t n,
                    esgx_err *err)
{
    char path[4096];
    if (gr_path(st, name, path, sizeof path))
        return esgx_err_set(err, ESGX_PLAT_E_ARG, "attestation directory path too long");
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot open %s: %s", path, strerror(errno));
    ssize_t w;
    do {
        w = write(fd, buf, n);
    } while (w < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (w != (ssize_t)n)
        return esgx_err_set(err, ESGX_PLAT_E_IO, "cannot write %zu bytes to %s: %s", n, path,
                            w < 0 ? strerror(e) : "short write");
    return 0;
}

/* HKDF-SHA256 (RFC 5869), one 32-byte output block. */
static int gr_hkdf32(const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len,
                     uint8_t out[32])
{
    uint8_t prk[32], block[64 + 1];
    unsigned int len = 0;
    if (info_len > 64) return ESGX_PLAT_E_INTERNAL;
    if (!HMAC(EVP_sha256(), GR_SEAL_SALT, (int)strlen(GR_SEAL_SALT), ikm, ikm_len, prk, &len) ||
        len != 32)
        return ESGX_PLAT_E_INTERNAL;
    memcpy(block, info, info_len);
    block[info_len] = 1;
    int ok = HMAC(EVP_sha256(), prk, 32, block, info_len + 1, out, &len) && len == 32;
    esgx_crypto_wipe(prk, sizeof prk);
    return ok ? 0 : ESGX_PLAT_E_INTERNAL;
}

/* ---------------------------------------------------------------- ops */

static int gr_seal_key(esgx_platform *p, esgx_seal_policy policy, uint8_t key[32],
                       esgx_err *err)
{
    const uint8_t *id = esgx_platform_identity(p, policy);
    if (!id) return esgx_err_set(err, ESGX_PLAT_E_ARG, "unknown sealing policy %d", (int)policy);
    gr_state *st = p->impl;
    uint8_t hw[GR_KEY_LEN];
    int rc = gr_read_exact(st, policy == ESGX_SEAL_MRSIGNER ? "keys/_sgx_mrsigner"
                                                           : "keys/_sgx_mrenclave",
                           hw, sizeof hw, err);
    if (rc != 0) {
        esgx_crypto_wipe(hw, sizeof hw);
        return rc;
    }
    uint8_t info[33];
    info[0] = (uint8_t)policy;
    memcpy(info + 1, id, 32);
    rc = gr_hkdf32(hw, sizeof hw, info, sizeof info, key);
    esgx_crypto_wipe(hw, sizeof hw);
    if (rc != 0) return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "sealing key derivation failed");
    return 0;
}

static int gr_random(esgx_platform *p, void *out, size_t n, esgx_err *err)
{
    (void)p;
    return esgx_crypto_random(out, n, err) == 0 ? 0 : ESGX_PLAT_E_INTERNAL;
}

static int gr_quote(esgx_platform *p, const uint8_t report_data[64], uint8_t *out, size_t cap,
                    size_t *out_len, esgx_err *err)
{
    gr_state *st = p->impl;
    if (!st->can_quote)
        return esgx_err_set(err, ESGX_PLAT_E_UNSUPPORTED,
                            "%s/attestation_type is \"none\": this enclave cannot make quotes "
                            "(set sgx.remote_attestation = \"dcap\" in the manifest)",
                            st->dir);
    size_t len = 0;
    pthread_mutex_lock(&st->mu);
    int rc = gr_write(st, "user_report_data", report_data, 64, err);
    if (rc == 0) rc = gr_read(st, "quote", out, cap, &len, err);
    pthread_mutex_unlock(&st->mu);
    if (rc != 0) return rc;
    esgx_attest_quote q;
    esgx_err qerr;
    if (esgx_attest_quote_parse(out, len, &q, &qerr) != 0)
        return esgx_err_set(err, ESGX_PLAT_E_CORRUPT, "%s/quote: %s", st->dir, qerr.msg);
    if (memcmp(q.body.report_data, report_data, 64) != 0)
        return esgx_err_set(err, ESGX_PLAT_E_CORRUPT,
                            "%s/quote does not carry the report data just written to "
                            "user_report_data", st->dir);
    if (memcmp(q.body.mrenclave, p->mrenclave, 32) != 0)
        return esgx_err_set(err, ESGX_PLAT_E_CORRUPT, "%s/quote is for another MRENCLAVE", st->dir);
    *out_len = len;
    return 0;
}

static void gr_close(esgx_platform *p)
{
    if (!p) return;
    if (p->impl) {
        pthread_mutex_destroy(&((gr_state *)p->impl)->mu);
        free(p->impl);
    }
    free(p);
}

static const esgx_platform_ops gr_ops = {
    .seal_key = gr_seal_key,
    .random = gr_random,
    .quote = gr_quote,
    .close = gr_close,
};

/* Reads our own report (targeted at ourselves) and fills the measurement. */
static int gr_measure(esgx_platform *p, esgx_err *err)
{
    gr_state *st = p->impl;
    uint8_t ti[GR_TARGET_INFO_LEN], zero[64], report[GR_REPORT_LEN];
    memset(zero, 0, sizeof zero);
    int rc = gr_read_exact(st, "my_target_info", ti, sizeof ti, err);
    if (rc == 0) rc = gr_write(st, "target_info", ti, sizeof ti, err);
    if (rc == 0) rc = gr_write(st, "user_report_data", zero, sizeof zero, err);
    if (rc == 0) rc = gr_read_exact(st, "report", report, sizeof report, err);
    if (rc != 0) return rc;
    esgx_attest_report_body body;
    esgx_attest_report_body_decode(report, &body);
    if (memcmp(body.report_data, zero, 64) != 0)
        return esgx_err_set(err, ESGX_PLAT_E_CORRUPT,
                            "%s/report does not carry the report data just written", st->dir);
    memcpy(p->mrenclave, body.mrenclave, 32);
    memcpy(p->mrsigner, body.mrsigner, 32);
    return 0;
}

int esgx_platform_gramine_open(const char *attest_dir, esgx_platform **out, esgx_err *err)
{
    if (!out) return esgx_err_set(err, ESGX_PLAT_E_ARG, "gramine platform: NULL argument");
    *out = NULL;
    if (!attest_dir || !*attest_dir) attest_dir = GR_DEFAULT_DIR;
    esgx_platform *p = calloc(1, sizeof *p);
    gr_state *st = calloc(1, sizeof *st);
    if (!p || !st) {
        free(p);
        free(st);
        return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "out of memory");
    }
    if (pthread_mutex_init(&st->mu, NULL) != 0) {
        free(p);
        free(st);
        return esgx_err_set(err, ESGX_PLAT_E_INTERNAL, "cannot make a lock");
    }
    p->ops = &gr_ops;
    p->name = "gramine-sgx";
    p->impl = st;
    int n = snprintf(st->dir, sizeof st->dir, "%s", attest_dir);
    if (n < 0 || (size_t)n >= sizeof st->dir) {
        gr_close(p);
        return esgx_err_set(err, ESGX_PLAT_E_ARG, "attestation directory path too long");
    }
    if (access(st->dir, F_OK) != 0) {
        int e = errno;
        gr_close(p);
        return esgx_err_set(err, ESGX_PLAT_E_IO,
                            "%s: %s (is this process running under gramine-sgx with "
                            "sgx.remote_attestation set?)", attest_dir, strerror(e));
    }
    /* attestation_type: "dcap" (quotes), "none" (no quotes); a missing file is read as
     * dcap so that a quote request fails with the file's own error. */
    char type[32];
    size_t tlen = 0;
    esgx_err terr;
    st->can_quote = 1;
    if (gr_read(st, "attestation_type", (uint8_t *)type, sizeof type - 1, &tlen, &terr) == 0) {
        while (tlen && (type[tlen - 1] == '\n' || type[tlen - 1] == 0)) tlen--;
        type[tlen] = 0;
        if (!strcmp(type, "none")) st->can_quote = 0;
    }
    pthread_mutex_lock(&st->mu);
    int rc = gr_measure(p, err);
    pthread_mutex_unlock(&st->mu);
    if (rc != 0) {
        gr_close(p);
        return rc;
    }
    /* The MRSIGNER sealing key must be there: the shared key is sealed with it. */
    uint8_t probe[32];
    rc = gr_seal_key(p, ESGX_SEAL_MRSIGNER, probe, err);
    esgx_crypto_wipe(probe, sizeof probe);
    if (rc != 0) {
        gr_close(p);
        return rc;
    }
    *out = p;
    return 0;
}
