/*
 * test_attest_real.c: verifies the real SGX quote from fleek-sgx with its collateral,
 * and checks that every single-byte change of the quote, and tampering with every
 * collateral field, makes verification fail. Every verification runs twice, without
 * and with one collateral cache shared by the whole test, and both must agree (code,
 * message, result); test_cache checks the cache's counters, time windows, eviction
 * under threads (its speed-up is printed, not asserted).
 */
#include "esgx_attest.h"
#include "test_attest_common.h"

#include <pthread.h>
#include <time.h>

#define T_OK 1724962800
#define T_LATE 1734962800

static uint8_t *quote;
static size_t quote_len;
static char *coll;
static size_t coll_len;

static esgx_attest_collateral_cache *cache;

/* Verifies without and with the shared cache; both must give the same answer. */
static int verify(const uint8_t *q, size_t ql, const char *c, size_t cl, int64_t t,
                  esgx_attest_result *r, esgx_err *e)
{
    esgx_attest_result r1, r2;
    esgx_err e1, e2;
    int rc1 = esgx_attest_quote_verify(q, ql, c, cl, t, NULL, &r1, &e1);
    int rc2 = esgx_attest_quote_verify_cached(cache, q, ql, c, cl, t, NULL, &r2, &e2);
    CHECK(rc1 == rc2 && (rc1 == 0 || !strcmp(e1.msg, e2.msg)),
          "cache changed the answer: %d '%s' vs %d '%s'", rc1, rc1 ? e1.msg : "",
          rc2, rc2 ? e2.msg : "");
    CHECK(!memcmp(&r1, &r2, sizeof r1), "cache changed the result");
    if (r)
        *r = r2;
    if (e)
        *e = e2;
    return rc2;
}

/* Microseconds for 15 verifications with (c != NULL) or without a cache. */
static double batch_us(esgx_attest_collateral_cache *c)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 15; i++)
        CHECK(esgx_attest_quote_verify_cached(c, quote, quote_len, coll, coll_len, T_OK, NULL,
                                              NULL, NULL) == 0, "timed verification failed");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
}

typedef struct worker {
    esgx_attest_collateral_cache *c;
    char *variants[3];
    size_t lens[3];
    int id, failed;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 40; i++) {
        int v = (i + w->id) % 3;
        esgx_attest_result r;
        esgx_err e;
        if (esgx_attest_quote_verify_cached(w->c, quote, quote_len, w->variants[v], w->lens[v],
                                            T_OK + i, NULL, &r, &e) != 0 || !r.verified)
            w->failed++;
    }
    return NULL;
}

static void test_cache(void)
{
    esgx_attest_collateral_cache *c;
    esgx_err e;
    esgx_attest_result r0, r;
    uint64_t hits, misses;
    size_t entries;
    CHECK(esgx_attest_collateral_cache_new(0, &c, &e) == ESGX_ATTEST_E_ARG, "0 entries");
    CHECK(esgx_attest_collateral_cache_new(2, &c, &e) == 0, "new: %s", e.msg);
    CHECK(esgx_attest_quote_verify(quote, quote_len, coll, coll_len, T_OK, NULL, &r0, &e) == 0,
          "%s", e.msg);
    for (int i = 0; i < 3; i++) {
        CHECK(esgx_attest_quote_verify_cached(c, quote, quote_len, coll, coll_len, T_OK + i,
                                              NULL, &r, &e) == 0, "cached %d: %s", i, e.msg);
        CHECK(!memcmp(&r, &r0, sizeof r), "cached result %d differs", i);
    }
    esgx_attest_collateral_cache_stats(c, &hits, &misses, &entries);
    CHECK(hits == 2 && misses == 1 && entries == 1, "stats %llu/%llu/%zu",
          (unsigned long long)hits, (unsigned long long)misses, entries);
    /* a hot entry still refuses a time outside the collateral's validity */
    CHECK(esgx_attest_quote_verify_cached(c, quote, quote_len, coll, coll_len, T_LATE, NULL,
                                          &r, &e) != 0 && !r.verified, "late time accepted");
    CHECK(esgx_attest_quote_verify_cached(c, quote, quote_len, coll, coll_len, 1500000000, NULL,
                                          &r, &e) != 0 && !r.verified, "early time accepted");
    CHECK(esgx_attest_quote_verify_cached(c, quote, quote_len, coll, coll_len, T_OK, NULL, &r,
                                          &e) == 0, "in time again: %s", e.msg);
    /* other roots are another entry: the bogus root refuses although the bytes are hot */
    CHECK(esgx_attest_quote_verify_cached(c, quote, quote_len, coll, coll_len, T_OK,
                                          esgx_attest_intel_root_pem + 1, &r, &e) != 0,
          "verified with a damaged root");
    /* speed (information only: timings belong to bench/attest_bench.sh; the hit counts
     * above show the cached path is taken) */
    double cold = batch_us(NULL), warm = batch_us(c);
    fprintf(stderr, "15 verifications: %.0f us without the cache, %.0f us with it\n", cold,
            warm);
    esgx_attest_collateral_cache_free(c);

    /* three collaterals (the same JSON with trailing blanks) through a 2-entry cache
     * from four threads: evictions while in use, every verification succeeds */
    CHECK(esgx_attest_collateral_cache_new(2, &c, &e) == 0, "new: %s", e.msg);
    worker w[4];
    pthread_t th[4];
    char *vars[3];
    for (int v = 0; v < 3; v++) {
        vars[v] = malloc(coll_len + 3);
        memcpy(vars[v], coll, coll_len);
        memset(vars[v] + coll_len, ' ', (size_t)v);
        vars[v][coll_len + (size_t)v] = 0;
    }
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){.c = c, .id = i};
        for (int v = 0; v < 3; v++) {
            w[i].variants[v] = vars[v];
            w[i].lens[v] = coll_len + (size_t)v;
        }
        CHECK(pthread_create(&th[i], NULL, work, &w[i]) == 0, "thread");
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(w[i].failed == 0, "thread %d: %d verifications failed", i, w[i].failed);
    }
    esgx_attest_collateral_cache_stats(c, &hits, &misses, &entries);
    CHECK(entries == 2 && hits + misses == 160 && misses >= 3, "threads: stats %llu/%llu/%zu",
          (unsigned long long)hits, (unsigned long long)misses, entries);
    esgx_attest_collateral_cache_free(c);
    for (int v = 0; v < 3; v++)
        free(vars[v]);
}

static void test_good(void)
{
    esgx_attest_result r;
    esgx_err e;
    int rc = verify(quote, quote_len, coll, coll_len, T_OK, &r, &e);
    CHECK(rc == 0, "verify: %d %s", rc, e.msg);
    CHECK(r.verified == 1, "not verified");
    CHECK(!strcmp(r.tcb_status, "ConfigurationAndSWHardeningNeeded"), "status %s",
          r.tcb_status);
    CHECK(!strcmp(r.qe_status, "UpToDate"), "qe status %s", r.qe_status);
    CHECK(r.advisory_count == 2 && !strcmp(r.advisory_ids[0], "INTEL-SA-00289") &&
              !strcmp(r.advisory_ids[1], "INTEL-SA-00615"),
          "advisories (%zu)", r.advisory_count);
    static const uint8_t mre[32] = {0xa3, 0x9d, 0x53, 0x2e, 0x6a, 0xc9, 0xfe, 0x8a,
                                    0xd9, 0x41, 0x88, 0x51, 0xbb, 0xe2, 0x6e, 0x1d,
                                    0xee, 0x74, 0x08, 0x00, 0x65, 0x05, 0xfc, 0xe8,
                                    0x58, 0x0b, 0x51, 0x1b, 0x97, 0xe7, 0x04, 0xb4};
    static const uint8_t mrs[32] = {0x9a, 0xff, 0xcf, 0xae, 0x47, 0xb8, 0x48, 0xec,
                                    0x2c, 0xaf, 0x1c, 0x49, 0xb4, 0xb2, 0x83, 0x53,
                                    0x1e, 0x1c, 0xc4, 0x25, 0xf9, 0x35, 0x82, 0xb3,
                                    0x68, 0x06, 0xe5, 0x2a, 0x43, 0xd7, 0x8d, 0x1a};
    static const uint8_t attr[16] = {7, 0, 0, 0, 0, 0, 0, 0, 0xff, 2, 0, 0, 0, 0, 0, 0};
    CHECK(!memcmp(r.body.mrenclave, mre, 32), "mrenclave");
    CHECK(!memcmp(r.body.mrsigner, mrs, 32), "mrsigner");
    CHECK(!memcmp(r.body.attributes, attr, 16), "attributes");
    CHECK(r.body.isvprodid == 0 && r.body.isvsvn == 0, "isvprodid/isvsvn");
    CHECK(r.debug == 1, "debug bit");
    static const uint8_t fmspc[6] = {0x00, 0xa0, 0x67, 0x11, 0x00, 0x00};
    CHECK(!memcmp(r.fmspc, fmspc, 6), "fmspc");
    /* which collateral to fetch for this quote: FMSPC, PCE-ID, PCK Processor CA */
    esgx_attest_pck_ids ids;
    CHECK(esgx_attest_quote_pck_ids(quote, quote_len, &ids, &e) == 0, "pck ids: %s", e.msg);
    CHECK(!memcmp(ids.fmspc, fmspc, 6) && ids.pce_id[0] == 0 && ids.pce_id[1] == 0 &&
              ids.ca == ESGX_ATTEST_PCK_CA_PROCESSOR, "pck ids");
    CHECK(!strcmp(esgx_attest_pck_ca_name(ids.ca), "processor"), "ca name");
    CHECK(esgx_attest_quote_pck_ids(quote, 100, &ids, &e) == ESGX_ATTEST_E_FORMAT, "short quote");

    esgx_attest_policy p;
    esgx_attest_policy_default(&p);
    CHECK(esgx_attest_policy_check(&r, &p, &e) == ESGX_ATTEST_E_POLICY, "default policy accepted");
    CHECK(strstr(e.msg, "ConfigurationAndSWHardeningNeeded") != NULL, "msg %s", e.msg);
    CHECK(esgx_attest_policy_add_statuses(&p, "UpToDate,ConfigurationAndSWHardeningNeeded", &e) == 0,
          "%s", e.msg);
    CHECK(esgx_attest_policy_check(&r, &p, &e) == ESGX_ATTEST_E_POLICY && strstr(e.msg, "debug"),
          "debug enclave accepted: %s", e.msg);
    p.allow_debug = 1;
    CHECK(esgx_attest_policy_check(&r, &p, &e) == 0, "refused: %s", e.msg);
    CHECK(esgx_attest_policy_add_mrenclave(&p, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", &e) == 0, "%s", e.msg);
    CHECK(esgx_attest_policy_check(&r, &p, &e) == ESGX_ATTEST_E_POLICY, "wrong mrenclave accepted");
    CHECK(esgx_attest_policy_add_mrenclave(&p, "a39d532e6ac9fe8ad9418851bbe26e1dee7408006505fce8580b511b97e704b4", &e) == 0, "%s", e.msg);
    CHECK(esgx_attest_policy_check(&r, &p, &e) == 0, "listed mrenclave refused: %s", e.msg);
    CHECK(esgx_attest_policy_add_statuses(&p, "Bogus", &e) == ESGX_ATTEST_E_ARG, "bogus status");

    rc = verify(quote, quote_len, coll, coll_len, T_LATE, &r, &e);
    CHECK(rc != 0 && !r.verified, "verified in December 2024");
    fprintf(stderr, "at %d: %s\n", T_LATE, e.msg);
    /* the Intel root refuses a wrong root: use the tcb signing cert as 'root' */
    rc = esgx_attest_quote_verify(quote, quote_len, coll, coll_len, T_OK,
                             "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                             &r, &e);
    CHECK(rc != 0, "verified with a bogus root");
}

static void test_quote_flips(void)
{
    uint8_t *q = malloc(quote_len);
    size_t passed = 0;
    for (size_t i = 0; i < quote_len; i++) {
        memcpy(q, quote, quote_len);
        q[i] ^= 0x01;
        esgx_attest_result r;
        esgx_err e;
        if (verify(q, quote_len, coll, coll_len, T_OK, &r, &e) == 0) {
            passed++;
            fprintf(stderr, "flip at quote offset %zu still verifies\n", i);
        }
    }
    CHECK(passed == 0, "%zu of %zu flipped quotes verified", passed, quote_len);
    fprintf(stderr, "quote: all %zu single-byte flips refused\n", quote_len);
    /* truncations and extensions */
    for (size_t n = 0; n < quote_len; n += (n < 700 ? 1 : 97))
        CHECK(verify(quote, n, coll, coll_len, T_OK, NULL, NULL) != 0, "truncated %zu", n);
    free(q);
}

/* Flips one byte at each of positions [start, end) with the given stride. */
static void tamper_range(const char *name, size_t start, size_t end, size_t stride)
{
    char *c = malloc(coll_len);
    size_t n = 0, passed = 0;
    for (size_t i = start; i < end; i += stride, n++) {
        memcpy(c, coll, coll_len);
        c[i] ^= 0x01;
        esgx_err e;
        if (verify(quote, quote_len, c, coll_len, T_OK, NULL, &e) == 0) {
            passed++;
            fprintf(stderr, "%s: flip at collateral offset %zu ('%c') still verifies\n",
                    name, i, coll[i]);
        }
    }
    CHECK(passed == 0, "%s: %zu of %zu tampered collaterals verified", name, passed, n);
    fprintf(stderr, "%s: %zu flips over bytes %zu..%zu refused\n", name, n, start, end);
    free(c);
}

/* Span of the string value of "key" (inside the quotes). */
static void string_span(const char *key, size_t *s, size_t *e)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(coll, pat);
    if (!p) {
        fprintf(stderr, "collateral: no %s\n", key);
        exit(1);
    }
    *s = (size_t)(p - coll) + strlen(pat);
    *e = (size_t)(strchr(coll + *s, '"') - coll);
}

static void test_collateral_tamper(void)
{
    static const char *const pem_fields[] = {"root_ca_crl", "pck_crl",
                                             "pck_crl_issuer_chain", "tcb_info_issuer_chain",
                                             "qe_identity_issuer_chain"};
    size_t s, e;
    for (size_t i = 0; i < sizeof pem_fields / sizeof pem_fields[0]; i++) {
        string_span(pem_fields[i], &s, &e);
        tamper_range(pem_fields[i], s, e, 3);
    }
    const char *ti = strstr(coll, "\"tcbInfo\":");
    s = (size_t)(ti - coll) + 10;
    e = (size_t)(strstr(ti, ",\"signature\":\"") - coll);
    tamper_range("tcbInfo", s, e, 1);
    string_span("signature", &s, &e);
    tamper_range("tcb_info signature", s, e, 1);
    const char *qi = strstr(coll, "\"enclaveIdentity\":");
    s = (size_t)(qi - coll) + 18;
    e = (size_t)(strstr(qi, ",\"signature\":\"") - coll);
    tamper_range("enclaveIdentity", s, e, 1);
    const char *qs = strstr(qi, "\"signature\":\"") + 13;
    tamper_range("qe_identity signature", (size_t)(qs - coll), (size_t)(qs - coll) + 128, 1);
}

int main(void)
{
    const char *shared = getenv("ESGX_SHARED_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/vectors/dcap/fleek-sgx/quote.bin", shared ? shared : ".");
    quote = (uint8_t *)t_read(path, &quote_len);
    snprintf(path, sizeof path, "%s/vectors/dcap/fleek-sgx/full_collateral.json",
             shared ? shared : ".");
    coll = t_read(path, &coll_len);
    if (!quote || !coll) {
        fprintf(stderr, "skip: DCAP vectors not found under ESGX_SHARED_DIR\n");
        return 77;
    }
    if (esgx_attest_collateral_cache_new(4, &cache, NULL) != 0)
        return 1;
    test_good();
    test_cache();
    if (failures == 0) {
        test_quote_flips();
        test_collateral_tamper();
    }
    esgx_attest_collateral_cache_free(cache);
    free(quote);
    free(coll);
    return ESGX_TEST_SUMMARY("attest_real");
}
