/*
 * test_attest_sim.c: the simulation bundle end to end through the library: make two
 * bundles in a temporary directory, build sim quotes, verify them with the bundle's
 * root (trusted), with the Intel root (refused) and with the other bundle's root
 * (refused); check key file modes, tampering, the PCK extension round trip, and the
 * v4 quote layout parse.
 */
#include "esgx_attest.h"
#include "test_attest_common.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void make_body(esgx_attest_report_body *b, uint8_t tag)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < 32; i++) {
        b->mrenclave[i] = (uint8_t)(tag + i);
        b->mrsigner[i] = (uint8_t)(0x80 + i);
    }
    for (int i = 0; i < 64; i++)
        b->report_data[i] = (uint8_t)(i * 3);
    b->attributes[0] = ESGX_ATTEST_ATTR_INIT | ESGX_ATTEST_ATTR_MODE64BIT;
    b->attributes[8] = 3;
    b->isvprodid = 7;
    b->isvsvn = 2;
}

static void test_v4_layout(void)
{
    const char *shared = getenv("ESGX_SHARED_DIR");
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/vectors/dcap/fleek-sgx/quote.bin", shared ? shared : ".");
    uint8_t *q3 = (uint8_t *)t_read(path, &len);
    if (!q3) {
        fprintf(stderr, "v4 layout: real quote absent, skipped\n");
        return;
    }
    /* v4: header(version 4) + body + siglen + isv sig + att key + type 6 wrapper */
    size_t inner = len - 436 - 128;
    size_t n4 = len + 6;
    uint8_t *q4 = malloc(n4);
    memcpy(q4, q3, 436 + 128);
    q4[0] = 4;
    uint32_t sl = (uint32_t)(n4 - 436);
    memcpy(q4 + 432, &sl, 4);
    q4[564] = 6;
    q4[565] = 0;
    uint32_t il = (uint32_t)inner;
    memcpy(q4 + 566, &il, 4);
    memcpy(q4 + 570, q3 + 564, inner);
    esgx_attest_quote a, b;
    esgx_err e;
    CHECK(esgx_attest_quote_parse(q3, len, &a, &e) == 0, "v3 parse: %s", e.msg);
    CHECK(esgx_attest_quote_parse(q4, n4, &b, &e) == 0, "v4 parse: %s", e.msg);
    CHECK(b.version == 4 && b.cert_len == a.cert_len && b.qe_auth_len == a.qe_auth_len &&
              !memcmp(b.qe_report, a.qe_report, 384) &&
              !memcmp(&a.body, &b.body, sizeof a.body),
          "v4 fields differ from v3");
    CHECK(a.cert_type == 5 && b.cert_type == 5, "cert type");
    q4[4] = 0x81;  /* TDX */
    CHECK(esgx_attest_quote_parse(q4, n4, &b, &e) == ESGX_ATTEST_E_FORMAT, "TDX accepted");
    CHECK(esgx_attest_quote_parse(q3, 100, &a, &e) == ESGX_ATTEST_E_FORMAT &&
              strstr(e.msg, "truncated at offset 48"), "truncation message: %s", e.msg);
    free(q3);
    free(q4);
}

int main(void)
{
    char tmpl[] = "/tmp/esgx-attest-sim-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 1;
    }
    char d1[4200], d2[4200], path[4300];
    snprintf(d1, sizeof d1, "%s/one", tmpl);
    snprintf(d2, sizeof d2, "%s/two", tmpl);
    int64_t now = (int64_t)time(NULL);
    esgx_err e;
    CHECK(esgx_attest_sim_init(d1, now, &e) == 0, "init: %s", e.msg);
    CHECK(esgx_attest_sim_init(d2, now, &e) == 0, "init 2: %s", e.msg);
    CHECK(esgx_attest_sim_init(d1, now, &e) == ESGX_ATTEST_E_IO, "re-init overwrote a bundle");
    static const char *const keys[] = {"root_key.pem", "pck_ca_key.pem", "pck_key.pem",
                                       "tcb_signing_key.pem", "attestation_key.pem"};
    for (size_t i = 0; i < 5; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", d1, keys[i]);
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "%s mode %o", keys[i],
              st.st_mode & 0777);
    }
    esgx_attest_sim_bundle *b1 = NULL, *b2 = NULL;
    CHECK(esgx_attest_sim_load(d1, &b1, &e) == 0, "load: %s", e.msg);
    CHECK(esgx_attest_sim_load(d2, &b2, &e) == 0, "load 2: %s", e.msg);
    if (!b1 || !b2)
        return 1;
    esgx_attest_report_body body;
    make_body(&body, 0x10);
    uint8_t *q;
    size_t ql;
    CHECK(esgx_attest_sim_quote(b1, &body, &q, &ql, &e) == 0, "quote: %s", e.msg);
    size_t cl;
    const char *coll = esgx_attest_sim_collateral(b1, &cl);
    CHECK(esgx_attest_collateral_check(coll, cl, &e) == 0, "collateral: %s", e.msg);
    esgx_attest_result r;
    int rc = esgx_attest_quote_verify(q, ql, coll, cl, now, esgx_attest_sim_root(b1), &r, &e);
    CHECK(rc == 0 && r.verified, "sim quote with sim root: %s", e.msg);
    CHECK(!strcmp(r.tcb_status, "UpToDate"), "status %s", r.tcb_status);
    CHECK(!memcmp(r.body.mrenclave, body.mrenclave, 32) &&
              !memcmp(r.body.report_data, body.report_data, 64) && r.body.isvsvn == 2 &&
              r.debug == 0, "report body round trip");
    esgx_attest_policy p;
    esgx_attest_policy_default(&p);
    CHECK(esgx_attest_policy_check(&r, &p, &e) == 0, "default policy: %s", e.msg);
    rc = esgx_attest_quote_verify(q, ql, coll, cl, now, NULL, &r, &e);
    CHECK(rc == ESGX_ATTEST_E_CERT && !r.verified, "sim quote passed with the Intel root (%d)", rc);
    fprintf(stderr, "intel root: %s\n", e.msg);
    rc = esgx_attest_quote_verify(q, ql, coll, cl, now, esgx_attest_sim_root(b2), &r, &e);
    CHECK(rc != 0, "bundle 2's root accepted bundle 1's quote");
    size_t cl2;
    const char *coll2 = esgx_attest_sim_collateral(b2, &cl2);
    rc = esgx_attest_quote_verify(q, ql, coll2, cl2, now, esgx_attest_sim_root(b2), &r, &e);
    CHECK(rc != 0, "bundle 2 (root and collateral) accepted bundle 1's quote");
    fprintf(stderr, "other bundle: %s\n", e.msg);
    /* validity window: a year and a day later the collateral has expired */
    rc = esgx_attest_quote_verify(q, ql, coll, cl, now + 366 * 86400, esgx_attest_sim_root(b1), &r, &e);
    CHECK(rc != 0, "verified after the bundle's collateral expired");
    /* flips of the signed parts */
    size_t fails = 0;
    for (size_t i = 0; i < ql; i += 7) {
        q[i] ^= 1;
        if (esgx_attest_quote_verify(q, ql, coll, cl, now, esgx_attest_sim_root(b1), NULL, NULL) == 0)
            fails++;
        q[i] ^= 1;
    }
    CHECK(fails == 0, "%zu flipped sim quotes verified", fails);
    /* debug enclave: verifies, refused by the default policy */
    free(q);
    body.attributes[0] |= ESGX_ATTEST_ATTR_DEBUG;
    CHECK(esgx_attest_sim_quote(b1, &body, &q, &ql, &e) == 0, "quote: %s", e.msg);
    CHECK(esgx_attest_quote_verify(q, ql, coll, cl, now, esgx_attest_sim_root(b1), &r, &e) == 0 &&
              r.debug, "debug quote: %s", e.msg);
    CHECK(esgx_attest_policy_check(&r, &p, &e) == ESGX_ATTEST_E_POLICY, "debug accepted by default");
    free(q);
    esgx_attest_sim_free(b1);
    esgx_attest_sim_free(b2);
    test_v4_layout();
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpl);
    return ESGX_TEST_SUMMARY("attest_sim");
}
