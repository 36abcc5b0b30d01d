/*
 * test_pccs.c: pccs.c against tests/fake_pccs.py (a real HTTP server on loopback)
 * serving the fleek-sgx vectors (a real quote and the collateral Intel returned for it).
 *
 * Checked: the assembled collateral verifies the real quote at 1724962800 with status
 * ConfigurationAndSWHardeningNeeded; the disk cache file appears (no temp file left)
 * and is reloaded by a new client; a second call within the refresh interval makes no
 * request; after the interval a refetch happens, and when it fails the stale copy is
 * returned; errors (404, 500, garbage body, missing issuer-chain header, oversize body,
 * timeout, unknown FMSPC, wrong CA, server gone) name the URL and cause and leave the
 * cache file unchanged; CRLs as DER / PEM / hex and the older TCB header spelling work.
 * Skips (77) without the shared vectors or python3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "esgx_attest.h"
#include "esgx_test.h"
#include "pccs.h"

#define T_OK 1724962800

static char g_dir[256], g_fake[300], g_base[128];
static pid_t g_fake_pid;

static void on_log(int level, const char *msg)
{
    fprintf(stderr, "  log %d: %s\n", level, msg);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = malloc(8 << 20);
    size_t n = b ? fread(b, 1, (8 << 20) - 1, f) : 0;
    fclose(f);
    if (b) b[n] = 0;
    if (len) *len = n;
    return b;
}

static void put(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_fake, name);
    FILE *f = fopen(p, "w");
    if (!f) exit(1);
    fputs(text, f);
    fclose(f);
}

/* Sets the fake's mode file ("" = serve normally). */
static void mode(const char *text) { put("mode", text); }

/* Lines in the fake's request log. */
static int requests(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/requests.log", g_fake);
    size_t n = 0;
    char *s = slurp(p, &n);
    int lines = 0;
    for (size_t i = 0; s && i < n; i++) lines += s[i] == '\n';
    free(s);
    return lines;
}

static void start_fake(const char *src, const char *coll)
{
    char script[600], port_path[512];
    snprintf(script, sizeof script, "%s/tests/fake_pccs.py", src);
    snprintf(port_path, sizeof port_path, "%s/port", g_fake);
    unlink(port_path);
    g_fake_pid = fork();
    if (g_fake_pid == 0) {
        execlp("python3", "python3", script, "--collateral", coll, "--dir", g_fake, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        size_t n;
        char *s = slurp(port_path, &n);
        if (s && n) {
            snprintf(g_base, sizeof g_base, "http://127.0.0.1:%d/sgx/certification/v4/", atoi(s));
            free(s);
            return;
        }
        free(s);
        usleep(50000);
    }
    fprintf(stderr, "fake PCCS did not start\n");
    kill(g_fake_pid, SIGKILL);
    exit(1);
}

static void stop_fake(void)
{
    if (g_fake_pid > 0) {
        kill(g_fake_pid, SIGTERM);
        waitpid(g_fake_pid, NULL, 0);
        g_fake_pid = 0;
    }
}

static pccs *client(int64_t refresh_ms, long timeout_ms)
{
    char cache[300];
    snprintf(cache, sizeof cache, "%s/collateral", g_dir);
    pccs_config cfg = {.base_url = g_base, .refresh_ms = refresh_ms, .cache_dir = cache,
                       .timeout_ms = timeout_ms, .log = on_log};
    pccs *p = NULL;
    esgx_err err;
    if (pccs_new(&cfg, &p, &err)) {
        fprintf(stderr, "pccs_new: %s\n", err.msg);
        exit(1);
    }
    return p;
}

/* Expects pccs_fetch to fail with code and a message containing both needles. */
static void expect_fail(pccs *p, const uint8_t fmspc[6], int ca, int code, const char *n1,
                        const char *n2)
{
    char *json = NULL;
    size_t len = 0;
    esgx_err err;
    int rc = pccs_fetch(p, fmspc, ca, &json, &len, &err);
    CHECK(rc == code && strstr(err.msg, n1) && strstr(err.msg, n2),
          "expected %d with '%s' and '%s', got %d: %s", code, n1, n2, rc, err.msg);
    CHECK(json == NULL, "a failed fetch gave collateral");
    free(json);
}

/* 5. errors: clear messages, the cache file cpath untouched. */
static void test_errors(pccs *p, const esgx_attest_pck_ids *ids, const char *cpath)
{
    size_t len = 0;
    int stale = -1;
    esgx_err err;
    char lsbuf[600];
    struct stat st0, st1;
    stat(cpath, &st0);
    const uint8_t other[6] = {1, 2, 3, 4, 5, 6};
    expect_fail(p, other, ids->ca, ESGX_PCCS_E_FETCH, "tcb?fmspc=010203040506", "HTTP 404");
    expect_fail(p, ids->fmspc, ESGX_ATTEST_PCK_CA_PLATFORM, ESGX_PCCS_E_FETCH, "pckcrl?ca=platform",
                "HTTP 404");
    /* fake PCCS mode, expected code, two strings the message must hold */
    static const struct { const char *mode; int code; const char *n1, *n2; } cases[] = {
        {"qe 404\n", ESGX_PCCS_E_FETCH, "/qe/identity", "HTTP 404"},
        {"tcb garbage\n", ESGX_PCCS_E_BODY, "/tcb?fmspc=00A067110000", "not a JSON object"},
        {"rootcacrl garbage\n", ESGX_PCCS_E_BODY, "/rootcacrl", "not a CRL"},
        {"tcb noheader\n", ESGX_PCCS_E_BODY, "/tcb", "no TCB-Info-Issuer-Chain header"},
        {"pckcrl noheader\n", ESGX_PCCS_E_BODY, "/pckcrl", "no SGX-PCK-CRL-Issuer-Chain"},
        {"qe big\n", ESGX_PCCS_E_BODY, "/qe/identity", "larger than 1048576"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mode(cases[i].mode);
        expect_fail(p, ids->fmspc, ids->ca, cases[i].code, cases[i].n1, cases[i].n2);
    }
    mode("tcb hang\n");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_fail(p, ids->fmspc, ids->ca, ESGX_PCCS_E_FETCH, "/tcb", "timed out");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(secs < 5, "timeout took %.1f s", secs);
    /* through pccs_get with a fresh client and no cache entry for the FMSPC: an error */
    char *none = NULL;
    mode("* 500\n");
    CHECK(pccs_get(p, other, ids->ca, &none, &len, &stale, &err) == ESGX_PCCS_E_FETCH && !none,
          "no entry + failure: %s", err.msg);
    stat(cpath, &st1);
    CHECK(st0.st_ino == st1.st_ino && st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec &&
              st0.st_size == st1.st_size, "a failed fetch touched the cache file");
    snprintf(lsbuf, sizeof lsbuf, "ls -A %s/collateral | grep -v '^00a067110000-processor.json$'",
             g_dir);
    CHECK(system(lsbuf) != 0, "a failed fetch left files in the cache directory");

}

int main(void)
{
    const char *shared = getenv("ESGX_SHARED_DIR");
    const char *src = getenv("ESGX_SOURCE_DIR");
    char vec[512], coll[600], qpath[600];
    snprintf(vec, sizeof vec, "%s/vectors/dcap/fleek-sgx", shared ? shared : "/work/shared");
    snprintf(coll, sizeof coll, "%s/full_collateral.json", vec);
    snprintf(qpath, sizeof qpath, "%s/quote.bin", vec);
    if (access(coll, R_OK) || access(qpath, R_OK)) {
        printf("skip: shared DCAP vectors not found in %s\n", vec);
        return 77;
    }
    if (system("python3 -c 'import http.server' 2>/dev/null") != 0) {
        printf("skip: python3 not available\n");
        return 77;
    }
    if (!src) src = ".";
    snprintf(g_dir, sizeof g_dir, "%s/esgx-pccs-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir)) return 1;
    snprintf(g_fake, sizeof g_fake, "%s/fake", g_dir);
    mkdir(g_fake, 0700);
    start_fake(src, coll);

    size_t qlen = 0;
    uint8_t *quote = (uint8_t *)slurp(qpath, &qlen);
    esgx_attest_pck_ids ids;
    esgx_err err;
    CHECK(quote && esgx_attest_quote_pck_ids(quote, qlen, &ids, &err) == 0, "pck ids: %s", err.msg);
    CHECK(ids.ca == ESGX_ATTEST_PCK_CA_PROCESSOR, "CA");

    /* 1. fetch through the cache: verifies the real quote */
    pccs *p = client(60000, 0);
    char *json = NULL;
    size_t len = 0;
    int stale = -1;
    CHECK(pccs_get(p, ids.fmspc, ids.ca, &json, &len, &stale, &err) == 0, "get: %s", err.msg);
    CHECK(stale == 0 && json && len == strlen(json), "fresh copy");
    CHECK(requests() == 4, "4 requests, got %d", requests());
    esgx_attest_result res;
    CHECK(json && esgx_attest_quote_verify(quote, qlen, json, len, T_OK, NULL, &res, &err) == 0 &&
              res.verified && !strcmp(res.tcb_status, "ConfigurationAndSWHardeningNeeded"),
          "verify with fetched collateral: %s (%s)", err.msg, res.tcb_status);
    /* later than the TCB info's nextUpdate: refused as with the original file */
    CHECK(json && esgx_attest_quote_verify(quote, qlen, json, len, 1734962800, NULL, &res, &err) != 0,
          "expired collateral accepted");
    char cpath[400];
    snprintf(cpath, sizeof cpath, "%s/collateral/00a067110000-processor.json", g_dir);
    size_t dlen = 0;
    char *disk = slurp(cpath, &dlen);
    CHECK(disk && json && dlen == len && !memcmp(disk, json, len), "disk cache file");
    free(disk);
    char lsbuf[600];
    snprintf(lsbuf, sizeof lsbuf, "ls -A %s/collateral | grep -v '^00a067110000-processor.json$'",
             g_dir);
    CHECK(system(lsbuf) != 0, "stray files (temp files) in the cache directory");

    /* 2. within the refresh interval: no request */
    char *j2 = NULL;
    CHECK(pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && stale == 0 &&
              j2 && !strcmp(j2, json), "cached copy: %s", err.msg);
    CHECK(requests() == 4, "a cached get made requests (%d)", requests());
    free(j2);
    pccs_free(p);

    /* 3. a new client loads the disk cache: still no request */
    p = client(60000, 0);
    CHECK(pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && j2 &&
              !strcmp(j2, json) && requests() == 4, "disk cache reload: %s", err.msg);
    free(j2);
    pccs_free(p);

    /* 4. after the interval: refetch; a failing refetch returns the stale copy */
    p = client(300, 0);
    usleep(400000);
    mode("tcb 500\n");
    CHECK(pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && stale == 1 && j2 &&
              !strcmp(j2, json), "stale copy on failure: %s", err.msg);
    CHECK(strstr(err.msg, "HTTP 500") != NULL, "the refetch error is reported: %s", err.msg);
    CHECK(requests() == 5, "one refetch attempt, got %d requests", requests() - 4);
    free(j2);
    /* within the retry pause: the stale copy without a new attempt */
    CHECK(pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && stale == 1 &&
              requests() == 5, "retry pause");
    free(j2);
    usleep(400000);
    mode("");
    CHECK(pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && stale == 0 &&
              requests() == 9, "refetch after the pause: %s", err.msg);
    free(j2);
    CHECK(pccs_fetch_count(p) == 2, "fetch count %llu", (unsigned long long)pccs_fetch_count(p));
    pccs_free(p);

    /* 5. errors: clear messages, the cache file untouched */
    p = client(60000, 1500);
    test_errors(p, &ids, cpath);

    /* 6. accepted variants: CRLs as DER / PEM, the older TCB header name */
    mode("pckcrl der\nrootcacrl pem\ntcb oldheader\n");
    char *j3 = NULL;
    CHECK(pccs_fetch(p, ids.fmspc, ids.ca, &j3, &len, &err) == 0 && j3 &&
              esgx_attest_quote_verify(quote, qlen, j3, len, T_OK, NULL, &res, &err) == 0,
          "DER/PEM CRLs, old header: %s", err.msg);
    free(j3);
    mode("rootcacrl der\n");
    CHECK(pccs_fetch(p, ids.fmspc, ids.ca, &j3, &len, &err) == 0, "DER root CRL: %s", err.msg);
    free(j3);
    mode("");
    pccs_free(p);

    /* 7. a corrupt cache file is ignored at load, and the server gone is an error */
    put("../collateral/0102030405ff-platform.json", "{\"version\":3}");
    stop_fake();
    p = client(60000, 1500);
    CHECK(pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && j2 &&
              !strcmp(j2, json), "cache served with the PCCS gone: %s", err.msg);
    free(j2);
    const uint8_t bad[6] = {1, 2, 3, 4, 5, 0xff};
    CHECK(pccs_get(p, bad, ESGX_ATTEST_PCK_CA_PLATFORM, &j2, &len, &stale, &err) == ESGX_PCCS_E_FETCH &&
              strstr(err.msg, "/tcb?fmspc=0102030405FF"), "corrupt entry used / server gone: %s",
          err.msg);
    pccs_free(p);
    /* bad URLs */
    pccs_config bcfg = {.base_url = "ftp://x/"};
    CHECK(pccs_new(&bcfg, &p, &err) == ESGX_PCCS_E_ARG && strstr(err.msg, "http"), "ftp URL");
    bcfg.base_url = "http://x/v4?a=b";
    CHECK(pccs_new(&bcfg, &p, &err) == ESGX_PCCS_E_ARG, "URL with query");

    free(json);
    free(quote);
    char rm[400];
    snprintf(rm, sizeof rm, "rm -rf '%s'", g_dir);
    if (system(rm) != 0) fprintf(stderr, "cannot remove %s\n", g_dir);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("ok - PCCS fetch, cache, stale copy, errors\n");
    return 0;
}
