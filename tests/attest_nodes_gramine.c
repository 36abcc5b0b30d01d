/*
 * attest_nodes_gramine.c: the gramine-sgx platform (src/enclave/platform_gramine.c)
 * against a temporary directory that imitates Gramine's /dev/attestation files.
 *
 * The imitation holds what Gramine would give this enclave: my_target_info, a 432-byte
 * report whose body carries MRENCLAVE/MRSIGNER (and zero report data, which is what the
 * platform writes first), 16-byte sealing keys, attestation_type, and a `quote` file
 * produced by esgx_attest_sim_quote with a fresh sim bundle for a report data the test picks.
 * Checked: the measurement, target_info/user_report_data writes, sealing keys
 * (deterministic, policy- and machine-bound, usable by the key store), quotes (the exact
 * file bytes; verified by the sim root and refused by the default Intel-only roots; a
 * quote for other report data or another MRENCLAVE refused), attestation_type "none",
 * a missing directory, a short report.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "esgx_attest.h"
#include "esgx_crypto.h"
#include "esgx_test.h"
#include "keystore.h"
#include "platform.h"

/* n random bytes at p; exits when the OS random source fails (the test cannot go on). */
static void fill_random(void *p, size_t n)
{
    esgx_err e;
    if (esgx_crypto_random(p, n, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        exit(1);
    }
}

static void put_file(const char *dir, const char *name, const void *data, size_t n)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s: %s\n", p, strerror(errno));
        exit(1);
    }
}

static size_t get_file(const char *dir, const char *name, uint8_t *buf, size_t cap)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f) return (size_t)-1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void rmrf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: cannot remove %s\n", dir);
}

static uint8_t MRE[32], MRS[32];

/* Makes the imitation of /dev/attestation in dir. */
static void make_attest_dir(const char *dir, const char *type)
{
    mkdir(dir, 0700);
    char keys[4200];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    mkdir(keys, 0700);
    uint8_t ti[512], report[432], k1[16], k2[16];
    fill_random(ti, sizeof ti);
    fill_random(k1, sizeof k1);
    fill_random(k2, sizeof k2);
    esgx_attest_report_body body;
    memset(&body, 0, sizeof body);
    body.attributes[0] = ESGX_ATTEST_ATTR_INIT | ESGX_ATTEST_ATTR_MODE64BIT;
    memcpy(body.mrenclave, MRE, 32);
    memcpy(body.mrsigner, MRS, 32);
    memset(report, 0xee, sizeof report);   /* KEYID + MAC: anything */
    esgx_attest_report_body_encode(&body, report);
    put_file(dir, "my_target_info", ti, sizeof ti);
    put_file(dir, "target_info", "", 0);
    put_file(dir, "user_report_data", "", 0);
    put_file(dir, "report", report, sizeof report);
    put_file(dir, "quote", "", 0);
    put_file(dir, "keys/_sgx_mrsigner", k1, sizeof k1);
    put_file(dir, "keys/_sgx_mrenclave", k2, sizeof k2);
    if (type) put_file(dir, "attestation_type", type, strlen(type));
}

/* Writes a sim quote for (mrenclave, report_data) into dir/quote. */
static void put_quote(const esgx_attest_sim_bundle *b, const char *dir, const uint8_t mre[32],
                      const uint8_t rd[64], uint8_t **q, size_t *qlen)
{
    esgx_attest_report_body body;
    memset(&body, 0, sizeof body);
    body.attributes[0] = ESGX_ATTEST_ATTR_INIT | ESGX_ATTEST_ATTR_MODE64BIT;
    memcpy(body.mrenclave, mre, 32);
    memcpy(body.mrsigner, MRS, 32);
    memcpy(body.report_data, rd, 64);
    esgx_err err;
    if (esgx_attest_sim_quote(b, &body, q, qlen, &err) != 0) {
        fprintf(stderr, "attest_sim_quote: %s\n", err.msg);
        exit(1);
    }
    put_file(dir, "quote", *q, *qlen);
}

/* target_info and user_report_data as Gramine leaves them, the sealing keys, and the
 * key store on this platform (created with p, unsealed by a second instance). */
static void test_files_and_sealing(esgx_platform *p, const char *adir, const char *ddir)
{
    esgx_err err;
    /* target_info = my_target_info; user_report_data = 64 zero bytes. */
    uint8_t a[600], b[600], zero[64];
    memset(zero, 0, sizeof zero);
    CHECK(get_file(adir, "target_info", a, sizeof a) == 512);
    CHECK(get_file(adir, "my_target_info", b, sizeof b) == 512 && !memcmp(a, b, 512));
    CHECK(get_file(adir, "user_report_data", a, sizeof a) == 64 && !memcmp(a, zero, 64));

    /* Sealing keys: deterministic, policy-bound, and bound to the hardware key. */
    uint8_t s1[32], s2[32], e1[32];
    CHECK(esgx_platform_seal_key(p, ESGX_SEAL_MRSIGNER, s1, &err) == 0);
    CHECK(esgx_platform_seal_key(p, ESGX_SEAL_MRSIGNER, s2, &err) == 0);
    CHECK(esgx_platform_seal_key(p, ESGX_SEAL_MRENCLAVE, e1, &err) == 0);
    CHECK(!memcmp(s1, s2, 32));
    CHECK(memcmp(s1, e1, 32) != 0);

    /* The key store works on this platform: create, then unseal in a new instance. */
    esgx_keystore ks, ks2;
    memset(&ks, 0, sizeof ks);
    memset(&ks2, 0, sizeof ks2);
    CHECK(esgx_keystore_create(&ks, p, ddir, &err) == 0 && ks.ready);
    esgx_platform *p2 = NULL;
    CHECK(esgx_platform_gramine_open(adir, &p2, &err) == 0);
    CHECK(p2 && esgx_keystore_load(&ks2, p2, ddir, &err) == 0 && ks2.ready);
    CHECK(!strcmp(ks.xpub, ks2.xpub));
    esgx_keystore_wipe(&ks2);
    esgx_keystore_wipe(&ks);
    esgx_platform_close(p2);
}

/* Quotes: the platform writes the report data and returns the quote file's bytes, which
 * verify against the sim root only; stale, foreign and oversized quotes are refused.
 * out holds ESGX_ATTEST_RATLS_MAX_QUOTE bytes. */
static void test_quotes(esgx_platform *p, const esgx_attest_sim_bundle *bundle,
                        const char *adir, const uint8_t rd[64], const uint8_t rd2[64],
                        uint8_t *out)
{
    esgx_err err;
    uint8_t a[600];
    uint8_t *q = NULL;
    size_t qlen = 0;
    put_quote(bundle, adir, MRE, rd, &q, &qlen);
    size_t olen = 0;
    int rc = esgx_platform_quote(p, rd, out, ESGX_ATTEST_RATLS_MAX_QUOTE, &olen, &err);
    if (rc) fprintf(stderr, "quote: %s\n", err.msg);
    CHECK(rc == 0 && olen == qlen && !memcmp(out, q, qlen));
    CHECK(get_file(adir, "user_report_data", a, sizeof a) == 64 && !memcmp(a, rd, 64));
    /* It verifies against the sim root, and not against the default (Intel) roots. */
    size_t clen = 0;
    const char *coll = esgx_attest_sim_collateral(bundle, &clen);
    esgx_attest_result res;
    CHECK(esgx_attest_quote_verify(out, olen, coll, clen, (int64_t)time(NULL),
                              esgx_attest_sim_root(bundle), &res, &err) == 0);
    CHECK(!memcmp(res.body.mrenclave, MRE, 32));
    CHECK(esgx_attest_quote_verify(out, olen, coll, clen, (int64_t)time(NULL), NULL, &res, &err) != 0);
    /* The RA-TLS quote source (lib/attest) reads the same files. */
    size_t rlen = 0;
    CHECK(esgx_attest_ratls_gramine_get_quote(rd, out, ESGX_ATTEST_RATLS_MAX_QUOTE, &rlen,
                                              (void *)adir, &err) == 0 &&
          rlen == qlen);
    /* A quote over other report data than the one written is refused. */
    rc = esgx_platform_quote(p, rd2, out, ESGX_ATTEST_RATLS_MAX_QUOTE, &olen, &err);
    CHECK(rc == ESGX_PLAT_E_CORRUPT);
    if (rc) printf("ok - stale quote refused: %s\n", err.msg);
    free(q);
    /* A quote for another MRENCLAVE is refused. */
    uint8_t other[32];
    fill_random(other, 32);
    put_quote(bundle, adir, other, rd2, &q, &qlen);
    CHECK(esgx_platform_quote(p, rd2, out, ESGX_ATTEST_RATLS_MAX_QUOTE, &olen, &err) == ESGX_PLAT_E_CORRUPT);
    free(q);
    /* Too small a buffer. */
    put_quote(bundle, adir, MRE, rd2, &q, &qlen);
    CHECK(esgx_platform_quote(p, rd2, out, 100, &olen, &err) != 0);
    CHECK(esgx_platform_quote(p, rd2, out, ESGX_ATTEST_RATLS_MAX_QUOTE, &olen, &err) == 0);
    free(q);
}

/* What the platform refuses: another machine's sealed key, quotes under attestation_type
 * "none", a truncated report, a missing directory. root holds adir and ddir. */
static void test_refusals(const char *root, const char *adir, const char *ddir,
                          const uint8_t rd[64], uint8_t *out)
{
    esgx_err err;
    size_t olen = 0;
    /* Another machine (other hardware sealing key) cannot unseal. */
    esgx_keystore ks2;
    memset(&ks2, 0, sizeof ks2);
    uint8_t k1[16];
    fill_random(k1, sizeof k1);
    put_file(adir, "keys/_sgx_mrsigner", k1, sizeof k1);
    esgx_platform *p2 = NULL;
    CHECK(esgx_platform_gramine_open(adir, &p2, &err) == 0);
    CHECK(p2 && esgx_keystore_load(&ks2, p2, ddir, &err) == ESGX_KS_E_FOREIGN);
    esgx_platform_close(p2);

    /* attestation_type "none": no quotes. */
    put_file(adir, "attestation_type", "none", 4);
    p2 = NULL;
    CHECK(esgx_platform_gramine_open(adir, &p2, &err) == 0);
    CHECK(p2 && esgx_platform_quote(p2, rd, out, ESGX_ATTEST_RATLS_MAX_QUOTE, &olen, &err) ==
                    ESGX_PLAT_E_UNSUPPORTED);
    esgx_platform_close(p2);

    /* A truncated report and a missing directory are errors with a message. */
    uint8_t zero[64];
    memset(zero, 0, sizeof zero);
    put_file(adir, "report", zero, 64);
    p2 = NULL;
    CHECK(esgx_platform_gramine_open(adir, &p2, &err) == ESGX_PLAT_E_CORRUPT && !p2);
    printf("ok - short report: %s\n", err.msg);
    char missing[400];
    snprintf(missing, sizeof missing, "%s/nope", root);
    CHECK(esgx_platform_gramine_open(missing, &p2, &err) == ESGX_PLAT_E_IO && !p2);
    printf("ok - missing dir: %s\n", err.msg);
}

/* The sim platform without a bundle cannot quote; with one it can, and the quote verifies. */
static void test_sim_platform(const char *ddir, const esgx_attest_sim_bundle *bundle,
                              const uint8_t rd[64], uint8_t *out)
{
    esgx_err err;
    size_t olen = 0, clen = 0;
    const char *coll = esgx_attest_sim_collateral(bundle, &clen);
    esgx_attest_result res;
    esgx_platform *sp = NULL;
    CHECK(esgx_platform_sim_open(ddir, NULL, &sp, &err) == 0);
    CHECK(sp && esgx_platform_quote(sp, rd, out, ESGX_ATTEST_RATLS_MAX_QUOTE, &olen, &err) ==
                    ESGX_PLAT_E_UNSUPPORTED);
    CHECK(sp && esgx_platform_sim_set_bundle(sp, bundle, &err) == 0);
    CHECK(sp && esgx_platform_quote(sp, rd, out, ESGX_ATTEST_RATLS_MAX_QUOTE, &olen, &err) == 0);
    CHECK(esgx_attest_quote_verify(out, olen, coll, clen, (int64_t)time(NULL),
                              esgx_attest_sim_root(bundle), &res, &err) == 0);
    CHECK(!memcmp(res.body.mrenclave, sp->mrenclave, 32) && !memcmp(res.body.report_data, rd, 64));
    CHECK(!res.debug);
    esgx_platform_close(sp);
}

int main(void)
{
    const char *base = getenv("TMPDIR");
    char root[256];
    snprintf(root, sizeof root, "%s/esgx-gramine-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    char adir[300], bdir[300], ddir[300];
    snprintf(adir, sizeof adir, "%s/attestation", root);
    snprintf(bdir, sizeof bdir, "%s/bundle", root);
    snprintf(ddir, sizeof ddir, "%s/data", root);
    mkdir(ddir, 0700);
    fill_random(MRE, 32);
    fill_random(MRS, 32);
    make_attest_dir(adir, "dcap\n");

    esgx_err err;
    esgx_platform *p = NULL;
    int rc = esgx_platform_gramine_open(adir, &p, &err);
    if (rc != 0) fprintf(stderr, "open: %s\n", err.msg);
    CHECK(rc == 0 && p);
    if (!p) return 1;
    CHECK(!strcmp(p->name, "gramine-sgx"));
    CHECK(!memcmp(p->mrenclave, MRE, 32));
    CHECK(!memcmp(p->mrsigner, MRS, 32));
    test_files_and_sealing(p, adir, ddir);

    esgx_attest_sim_bundle *bundle = NULL;
    CHECK(esgx_attest_sim_init(bdir, (int64_t)time(NULL), &err) == 0);
    CHECK(esgx_attest_sim_load(bdir, &bundle, &err) == 0);
    if (!bundle) return 1;
    uint8_t rd[64], rd2[64];
    fill_random(rd, 64);
    fill_random(rd2, 64);
    uint8_t *out = malloc(ESGX_ATTEST_RATLS_MAX_QUOTE);
    if (!out) return 1;
    test_quotes(p, bundle, adir, rd, rd2, out);
    esgx_platform_close(p);
    test_refusals(root, adir, ddir, rd, out);
    test_sim_platform(ddir, bundle, rd, out);

    free(out);
    esgx_attest_sim_free(bundle);
    rmrf(root);
    return ESGX_TEST_SUMMARY("attest_nodes_gramine");
}
