/*
 * test_pccs.c: collateral_pccs.c against tests/fake_pccs.py (a real HTTP server on loopback)
 * serving the fleek-sgx vectors (a real quote and the collateral Intel returned for it).
 *
 * Checked: the assembled collateral verifies the real quote at 1724962800 with status
 * ConfigurationAndSWHardeningNeeded; the disk cache file appears (no temp file left)
 * and is reloaded by a new client; a second call within the refresh interval makes no
 * request; after the interval a refetch happens, and when it fails the stale copy is
 * returned; errors (404, 500, garbage body, missing issuer-chain header, oversize body,
 * timeout, unknown FMSPC, wrong CA, server gone) name the URL and cause and leave the
 * cache file unchanged; CRLs as DER / PEM / hex and the older TCB header spelling work.
 * Over https (the fake with --tls and certificates made by `openssl req` at test time):
 * a server certificate from a test CA is accepted with ca_file = that CA and gives the
 * same collateral as http, and refused (error naming the URL and the TLS failure)
 * against the system store or another CA file; a self-signed server is refused unless
 * insecure, and with insecure the collateral is still checked (a garbage body is
 * refused by collateral_pccs.c, a tampered TCB info parses but fails Intel's signature at verify).
 * Skips (77) without the shared vectors or python3; skips the https part (with a
 * message) without openssl.
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
#include "collateral_pccs.h"

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

/* Writes dir/name (a file of a fake PCCS). */
static void put_in(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) exit(1);
    fputs(text, f);
    fclose(f);
}

static void put(const char *name, const char *text) { put_in(g_fake, name, text); }

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

/* Starts tests/fake_pccs.py with its files in dir (over https with cert and key when
 * cert is not NULL); fills base (the API v4 URL) and returns its pid. Exits if it does
 * not start within 10 s. */
static pid_t spawn_fake(const char *src, const char *coll, const char *dir, const char *cert,
                        const char *key, char *base, size_t base_size)
{
    char script[600], port_path[512];
    snprintf(script, sizeof script, "%s/tests/fake_pccs.py", src);
    snprintf(port_path, sizeof port_path, "%s/port", dir);
    unlink(port_path);
    pid_t pid = fork();
    if (pid == 0) {
        if (cert)
            execlp("python3", "python3", script, "--collateral", coll, "--dir", dir, "--tls",
                   cert, key, (char *)NULL);
        else
            execlp("python3", "python3", script, "--collateral", coll, "--dir", dir,
                   (char *)NULL);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 200; i++) {
        size_t n;
        char *s = slurp(port_path, &n);
        if (s && n) {
            snprintf(base, base_size, "%s://127.0.0.1:%d/sgx/certification/v4/",
                     cert ? "https" : "http", atoi(s));
            free(s);
            return pid;
        }
        free(s);
        usleep(50000);
    }
    fprintf(stderr, "fake PCCS in %s did not start\n", dir);
    if (pid > 0) kill(pid, SIGKILL);
    exit(1);
}

static void stop_pid(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGTERM);
        waitpid(*pid, NULL, 0);
        *pid = 0;
    }
}

static void start_fake(const char *src, const char *coll)
{
    g_fake_pid = spawn_fake(src, coll, g_fake, NULL, NULL, g_base, sizeof g_base);
}

static void stop_fake(void) { stop_pid(&g_fake_pid); }

static pccs *client(int64_t refresh_ms, long timeout_ms)
{
    char cache[300];
    snprintf(cache, sizeof cache, "%s/collateral", g_dir);
    pccs_config cfg = {.base_url = g_base, .refresh_ms = refresh_ms, .cache_dir = cache,
                       .timeout_ms = timeout_ms, .log = on_log};
    pccs *p = NULL;
    esgx_err err;
    if (esgx_pccs_new(&cfg, &p, &err)) {
        fprintf(stderr, "esgx_pccs_new: %s\n", err.msg);
        exit(1);
    }
    return p;
}

/* Expects esgx_pccs_fetch to fail with code and a message containing both needles. */
static void expect_fail(pccs *p, const uint8_t fmspc[6], int ca, int code, const char *n1,
                        const char *n2)
{
    char *json = NULL;
    size_t len = 0;
    esgx_err err;
    int rc = esgx_pccs_fetch(p, fmspc, ca, &json, &len, &err);
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
    /* through esgx_pccs_get with a fresh client and no cache entry for the FMSPC: an error */
    char *none = NULL;
    mode("* 500\n");
    CHECK(esgx_pccs_get(p, other, ids->ca, &none, &len, &stale, &err) == ESGX_PCCS_E_FETCH && !none,
          "no entry + failure: %s", err.msg);
    stat(cpath, &st1);
    CHECK(st0.st_ino == st1.st_ino && st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec &&
              st0.st_size == st1.st_size, "a failed fetch touched the cache file");
    snprintf(lsbuf, sizeof lsbuf, "ls -A %s/collateral | grep -v '^00a067110000-processor.json$'",
             g_dir);
    CHECK(system(lsbuf) != 0, "a failed fetch left files in the cache directory");

}

/* A memory-only client of base for the https checks (ca_file NULL = system store). */
static int tls_client(const char *base, const char *ca_file, int insecure, pccs **p,
                      esgx_err *err)
{
    pccs_config cfg = {.base_url = base, .ca_file = ca_file, .insecure = insecure,
                       .connect_timeout_ms = 3000, .timeout_ms = 5000, .log = on_log};
    return esgx_pccs_new(&cfg, p, err);
}

/* Makes in dir a test CA (ca.pem), a server certificate for 127.0.0.1 it signed
 * (server.pem/.key) and a self-signed one for 127.0.0.1 (self.pem/.key), with
 * `openssl req`. Returns the shell's status (0 = made; the log is in dir/openssl.log). */
static int make_certs(const char *dir)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && exec >openssl.log 2>&1 && "
             "K='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes' && "
             "openssl req -x509 $K -keyout ca.key -out ca.pem -days 2 -subj '/CN=esgx test CA' "
             "-addext basicConstraints=critical,CA:TRUE "
             "-addext keyUsage=critical,keyCertSign,cRLSign && "
             "openssl req $K -keyout server.key -out server.csr -subj /CN=127.0.0.1 && "
             "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n' >ext.cnf && "
             "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 "
             "-days 2 -extfile ext.cnf -out server.pem && "
             "openssl req -x509 $K -keyout self.key -out self.pem -days 2 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1",
             dir);
    return system(cmd);
}

/* Fetches over https with (ca_file, insecure) and expects the collateral fetched over
 * http (want) byte for byte, which verifies the real quote. */
static void expect_same(const char *what, const char *base, const char *ca_file, int insecure,
                        const esgx_attest_pck_ids *ids, const char *want, const uint8_t *quote,
                        size_t qlen)
{
    pccs *p = NULL;
    char *json = NULL;
    size_t len = 0;
    esgx_err err;
    esgx_attest_result res;
    CHECK(tls_client(base, ca_file, insecure, &p, &err) == 0 &&
              esgx_pccs_fetch(p, ids->fmspc, ids->ca, &json, &len, &err) == 0,
          "%s: %s", what, err.msg);
    CHECK(json && len == strlen(want) && !memcmp(json, want, len),
          "%s: not the collateral fetched over http", what);
    CHECK(json && esgx_attest_quote_verify(quote, qlen, json, len, T_OK, NULL, &res, &err) == 0 &&
              res.verified, "%s: verify: %s", what, err.msg);
    free(json);
    esgx_pccs_free(p);
}

/* Expects a fetch from base with (ca_file, insecure) to fail on the TLS certificate:
 * the message names the tcb URL, the trusted CAs (cas) and curl's reason (why). */
static void expect_tls_refused(const char *base, const char *ca_file, const char *cas,
                               const char *why, const esgx_attest_pck_ids *ids)
{
    pccs *p = NULL;
    esgx_err err;
    char url[300], msg[400];
    snprintf(url, sizeof url, "GET %stcb?fmspc=00A067110000: ", base);
    snprintf(msg, sizeof msg, "TLS certificate check failed (trusted CAs: %s): ", cas);
    if (tls_client(base, ca_file, 0, &p, &err)) {
        CHECK(0, "client: %s", err.msg);
        return;
    }
    expect_fail(p, ids->fmspc, ids->ca, ESGX_PCCS_E_FETCH, url, msg);
    char *json = NULL;
    size_t len = 0;
    CHECK(esgx_pccs_fetch(p, ids->fmspc, ids->ca, &json, &len, &err) != 0 && strstr(err.msg, why),
          "reason '%s' not in: %s", why, err.msg);
    fprintf(stderr, "  refused: %s\n", err.msg);
    free(json);
    esgx_pccs_free(p);
}

/* 8. https: test CA, self-signed server, insecure; want = the collateral over http. */
static void test_tls(const char *src, const char *coll, const esgx_attest_pck_ids *ids,
                     const char *want, const uint8_t *quote, size_t qlen)
{
    if (system("openssl version >/dev/null 2>&1") != 0) {
        printf("skip: https checks: openssl not found (the certificates are made with it)\n");
        return;
    }
    char dir[300], cadir[320], selfdir[320], f[6][340], ca_base[128], self_base[128];
    snprintf(dir, sizeof dir, "%s/tls", g_dir);
    snprintf(cadir, sizeof cadir, "%s/ca-fake", dir);
    snprintf(selfdir, sizeof selfdir, "%s/self-fake", dir);
    static const char *const names[6] = {"ca.pem", "server.pem", "server.key", "self.pem",
                                         "self.key", "missing.pem"};
    for (int i = 0; i < 6; i++) snprintf(f[i], sizeof f[i], "%s/%s", dir, names[i]);
    if (mkdir(dir, 0700) || mkdir(cadir, 0700) || mkdir(selfdir, 0700) || make_certs(dir)) {
        CHECK(0, "cannot make the test certificates (see %s/openssl.log)", dir);
        return;
    }
    pid_t ca_pid = spawn_fake(src, coll, cadir, f[1], f[2], ca_base, sizeof ca_base);
    pid_t self_pid = spawn_fake(src, coll, selfdir, f[3], f[4], self_base, sizeof self_base);

    /* the CA-signed server: accepted with the CA, refused otherwise */
    expect_same("https, test CA", ca_base, f[0], 0, ids, want, quote, qlen);
    expect_tls_refused(ca_base, NULL, "system store", "certificate", ids);
    expect_tls_refused(ca_base, f[3], f[3], "certificate", ids);
    /* the self-signed server: refused unless insecure */
    expect_tls_refused(self_base, NULL, "system store", "self", ids);
    expect_tls_refused(self_base, f[0], f[0], "self", ids);
    expect_same("https, self-signed, insecure", self_base, NULL, 1, ids, want, quote, qlen);

    /* insecure does not skip the checks on what comes back */
    pccs *p = NULL;
    esgx_err err;
    esgx_attest_result res;
    CHECK(tls_client(self_base, NULL, 1, &p, &err) == 0, "client: %s", err.msg);
    put_in(selfdir, "mode", "tcb garbage\n");
    expect_fail(p, ids->fmspc, ids->ca, ESGX_PCCS_E_BODY, "https://127.0.0.1:",
                "not a JSON object");
    put_in(selfdir, "mode", "tcb tamper\n");
    char *json = NULL;
    size_t len = 0;
    CHECK(esgx_pccs_fetch(p, ids->fmspc, ids->ca, &json, &len, &err) == 0,
          "a tampered TCB info that parses is fetched: %s", err.msg);
    CHECK(json && esgx_attest_quote_verify(quote, qlen, json, len, T_OK, NULL, &res, &err) != 0 &&
              !res.verified, "tampered TCB info (nextUpdate moved) verified");
    fprintf(stderr, "  tampered TCB info refused: %s\n", err.msg);
    free(json);
    esgx_pccs_free(p);
    put_in(selfdir, "mode", "");

    /* an unreadable CA file is refused at creation */
    CHECK(tls_client(ca_base, f[5], 0, &p, &err) == ESGX_PCCS_E_ARG && strstr(err.msg, f[5]),
          "missing CA file: %s", err.msg);
    stop_pid(&ca_pid);
    stop_pid(&self_pid);
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
    CHECK(esgx_pccs_get(p, ids.fmspc, ids.ca, &json, &len, &stale, &err) == 0, "get: %s", err.msg);
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
    CHECK(esgx_pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && stale == 0 &&
              j2 && !strcmp(j2, json), "cached copy: %s", err.msg);
    CHECK(requests() == 4, "a cached get made requests (%d)", requests());
    free(j2);
    esgx_pccs_free(p);

    /* 3. a new client loads the disk cache: still no request */
    p = client(60000, 0);
    CHECK(esgx_pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && j2 &&
              !strcmp(j2, json) && requests() == 4, "disk cache reload: %s", err.msg);
    free(j2);
    esgx_pccs_free(p);

    /* 4. after the interval: refetch; a failing refetch returns the stale copy */
    p = client(300, 0);
    usleep(400000);
    mode("tcb 500\n");
    CHECK(esgx_pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && stale == 1 && j2 &&
              !strcmp(j2, json), "stale copy on failure: %s", err.msg);
    CHECK(strstr(err.msg, "HTTP 500") != NULL, "the refetch error is reported: %s", err.msg);
    CHECK(requests() == 5, "one refetch attempt, got %d requests", requests() - 4);
    free(j2);
    /* within the retry pause: the stale copy without a new attempt */
    CHECK(esgx_pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && stale == 1 &&
              requests() == 5, "retry pause");
    free(j2);
    usleep(400000);
    mode("");
    CHECK(esgx_pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && stale == 0 &&
              requests() == 9, "refetch after the pause: %s", err.msg);
    free(j2);
    CHECK(esgx_pccs_fetch_count(p) == 2, "fetch count %llu", (unsigned long long)esgx_pccs_fetch_count(p));
    esgx_pccs_free(p);

    /* 5. errors: clear messages, the cache file untouched */
    p = client(60000, 1500);
    test_errors(p, &ids, cpath);

    /* 6. accepted variants: CRLs as DER / PEM, the older TCB header name */
    mode("pckcrl der\nrootcacrl pem\ntcb oldheader\n");
    char *j3 = NULL;
    CHECK(esgx_pccs_fetch(p, ids.fmspc, ids.ca, &j3, &len, &err) == 0 && j3 &&
              esgx_attest_quote_verify(quote, qlen, j3, len, T_OK, NULL, &res, &err) == 0,
          "DER/PEM CRLs, old header: %s", err.msg);
    free(j3);
    mode("rootcacrl der\n");
    CHECK(esgx_pccs_fetch(p, ids.fmspc, ids.ca, &j3, &len, &err) == 0, "DER root CRL: %s", err.msg);
    free(j3);
    mode("");
    esgx_pccs_free(p);

    /* 7. a corrupt cache file is ignored at load, and the server gone is an error */
    put("../collateral/0102030405ff-platform.json", "{\"version\":3}");
    stop_fake();
    p = client(60000, 1500);
    CHECK(esgx_pccs_get(p, ids.fmspc, ids.ca, &j2, &len, &stale, &err) == 0 && j2 &&
              !strcmp(j2, json), "cache served with the PCCS gone: %s", err.msg);
    free(j2);
    const uint8_t bad[6] = {1, 2, 3, 4, 5, 0xff};
    CHECK(esgx_pccs_get(p, bad, ESGX_ATTEST_PCK_CA_PLATFORM, &j2, &len, &stale, &err) == ESGX_PCCS_E_FETCH &&
              strstr(err.msg, "/tcb?fmspc=0102030405FF"), "corrupt entry used / server gone: %s",
          err.msg);
    esgx_pccs_free(p);
    /* bad URLs */
    pccs_config bcfg = {.base_url = "ftp://x/"};
    CHECK(esgx_pccs_new(&bcfg, &p, &err) == ESGX_PCCS_E_ARG && strstr(err.msg, "http"), "ftp URL");
    bcfg.base_url = "http://x/v4?a=b";
    CHECK(esgx_pccs_new(&bcfg, &p, &err) == ESGX_PCCS_E_ARG, "URL with query");

    /* 8. https against the test CA and a self-signed server, and insecure */
    test_tls(src, coll, &ids, json, quote, qlen);

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
