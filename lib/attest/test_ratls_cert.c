/*
 * test_ratls_cert.c: RA-TLS certificates in one process: what esgx_attest_ratls_cert_new
 * puts in the certificate (checked independently with OpenSSL), acceptance by
 * esgx_attest_ratls_verify_cert, and each refusal: no extension, a quote bound to another
 * key, tampering, another network, MRENCLAVE not allowed, expired, a quote source
 * that ignores the report data; the collateral provider path; peer list parsing.
 */
#include "test_ratls_common.h"

#include <openssl/ssl.h>
#include <unistd.h>

static uint8_t MA[32], MC[32];

static int bad_source(const uint8_t rd[64], uint8_t *quote, size_t cap, size_t *len,
                      void *arg, esgx_err *err)
{
    uint8_t other[64] = {0};
    return esgx_attest_ratls_sim_get_quote(other, quote, cap, len, arg, err);
}

static int failing_source(const uint8_t rd[64], uint8_t *quote, size_t cap, size_t *len,
                          void *arg, esgx_err *err)
{
    return esgx_err_set(err, ESGX_ATTEST_E_IO, "no attestation device");
}

static int provider_calls;
static int provider_ca = -1;
static int provider(const esgx_attest_pck_ids *ids, char **json, size_t *len, void *arg,
                    esgx_err *err)
{
    const uint8_t *fmspc = ids->fmspc;
    provider_ca = ids->ca;
    const rt_net *n = arg;
    static const uint8_t sim_fmspc[6] = {0x53, 0x49, 0x4d, 0, 0, 1};
    provider_calls++;
    if (memcmp(fmspc, sim_fmspc, 6))
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "unknown FMSPC");
    size_t l;
    const char *c = esgx_attest_sim_collateral(n->b, &l);
    *json = malloc(l);
    memcpy(*json, c, l);
    *len = l;
    return 0;
}

static void test_contents(const rt_net *n1)
{
    uint8_t user[32];
    for (int i = 0; i < 32; i++)
        user[i] = (uint8_t)(0xa0 + i);
    esgx_attest_ratls_cert *c = rt_identity(n1, MA, user);
    size_t len;
    const uint8_t *der = esgx_attest_ratls_cert_der(c, &len);
    const uint8_t *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    CHECK(x && p == der + len, "certificate DER does not parse");
    if (!x)
        return;
    CHECK(X509_get_version(x) == 2, "not v3");
    char cn[64] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    CHECK(!strcmp(cn, "esgx-enclave"), "CN %s", cn);
    CHECK(X509_verify(x, X509_get0_pubkey(x)) == 1, "self-signature");
    CHECK(EVP_PKEY_is_a(X509_get0_pubkey(x), "EC") &&
              EVP_PKEY_get_bits(X509_get0_pubkey(x)) == 256, "key is not P-256");
    /* the extension: found by OID, non-critical, OCTET STRING with the quote */
    ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1.6", 1);
    int idx = X509_get_ext_by_OBJ(x, oid, -1);
    CHECK(idx >= 0, "no extension 1.2.840.113741.1.13.1.6");
    X509_EXTENSION *e = X509_get_ext(x, idx);
    CHECK(!X509_EXTENSION_get_critical(e), "extension is critical");
    const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
    esgx_attest_quote q;
    esgx_err err;
    CHECK(esgx_attest_quote_parse(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os), &q,
                             &err) == 0, "quote: %s", err.msg);
    uint8_t *spki = NULL;
    int sl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
    uint8_t h[32];
    esgx_crypto_sha256(spki, (size_t)sl, h);
    CHECK(!memcmp(q.body.report_data, h, 32), "report data 0..31 != SHA-256(SPKI)");
    CHECK(!memcmp(q.body.report_data + 32, user, 32), "report data 32..63 != user data");
    CHECK(!memcmp(q.body.mrenclave, MA, 32), "MRENCLAVE");
    const uint8_t *q2;
    size_t q2len;
    CHECK(esgx_attest_ratls_cert_quote(der, len, &q2, &q2len, &err) == 0 &&
              q2len == (size_t)ASN1_STRING_length(os) &&
              !memcmp(q2, ASN1_STRING_get0_data(os), q2len), "cert_quote: %s", err.msg);
    /* validity: now-1h .. now+7 days */
    time_t t = time(NULL);
    int64_t nb = 0, na = 0;
    struct tm tm;
    ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm);
    nb = (int64_t)timegm(&tm);
    ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm);
    na = (int64_t)timegm(&tm);
    CHECK(nb <= t - 3500 && nb >= t - 3700, "notBefore %lld", (long long)nb);
    CHECK(na >= t + 7 * 86400 - 100 && na <= t + 7 * 86400 + 100, "notAfter");

    /* accepted, and the verifier reports the facts and the user data */
    esgx_attest_ratls_verifier v;
    rt_verifier(&v, n1, MA);
    esgx_attest_result res;
    uint8_t got_user[32];
    CHECK(esgx_attest_ratls_verify_cert(der, len, &v, &res, got_user, &err) == 0, "verify: %s",
          err.msg);
    CHECK(res.verified && !memcmp(res.body.mrenclave, MA, 32) &&
              !strcmp(res.tcb_status, "UpToDate"), "result facts");
    CHECK(!memcmp(got_user, user, 32), "user data");
    /* the same through the collateral provider */
    esgx_attest_ratls_verifier vp = v;
    vp.collateral = NULL;
    vp.collateral_len = 0;
    vp.get_collateral = provider;
    vp.collateral_arg = (void *)n1;
    CHECK(esgx_attest_ratls_verify_cert(der, len, &vp, &res, NULL, &err) == 0 &&
              provider_calls == 1, "provider verify: %s", err.msg);
    CHECK(provider_ca == ESGX_ATTEST_PCK_CA_PLATFORM, "provider got the sim CA as platform");

    /* MRENCLAVE not in the allowlist */
    rt_verifier(&v, n1, MC);
    CHECK(esgx_attest_ratls_verify_cert(der, len, &v, &res, NULL, &err) == ESGX_ATTEST_E_POLICY &&
              strstr(err.msg, "MRENCLAVE"), "allowlist: %s", err.msg);
    /* expired: after notAfter; and before notBefore */
    rt_verifier(&v, n1, NULL);
    v.now = (int64_t)t + 8 * 86400;
    CHECK(esgx_attest_ratls_verify_cert(der, len, &v, &res, NULL, &err) == ESGX_ATTEST_E_CERT &&
              strstr(err.msg, "not valid"), "expired: %s", err.msg);
    v.now = (int64_t)t - 7200;
    CHECK(esgx_attest_ratls_verify_cert(der, len, &v, &res, NULL, &err) == ESGX_ATTEST_E_CERT,
          "not yet valid: %s", err.msg);
    /* tampered: one byte of the quote inside the DER */
    uint8_t *bad = malloc(len);
    memcpy(bad, der, len);
    bad[(size_t)(q2 - der) + 100] ^= 1;
    rt_verifier(&v, n1, NULL);
    CHECK(esgx_attest_ratls_verify_cert(bad, len, &v, &res, NULL, &err) != 0, "tampered accepted");
    CHECK(esgx_attest_ratls_verify_cert(der, len - 1, &v, &res, NULL, &err) == ESGX_ATTEST_E_CERT,
          "truncated: %s", err.msg);
    free(bad);

    /* a plain certificate with the quote of c but another key: not bound */
    EVP_PKEY *k2;
    X509 *swapped = rt_plain_cert(&k2, q2, q2len);
    uint8_t *sder;
    size_t slen = rt_der(swapped, &sder);
    CHECK(esgx_attest_ratls_verify_cert(sder, slen, &v, &res, NULL, &err) == ESGX_ATTEST_E_MISMATCH &&
              strstr(err.msg, "does not bind"), "swapped quote: %s", err.msg);
    OPENSSL_free(sder);
    X509_free(swapped);
    EVP_PKEY_free(k2);
    /* a plain certificate: no quote */
    X509 *plain = rt_plain_cert(&k2, NULL, 0);
    slen = rt_der(plain, &sder);
    CHECK(esgx_attest_ratls_verify_cert(sder, slen, &v, &res, NULL, &err) == ESGX_ATTEST_E_CERT &&
              !strcmp(err.msg, "peer certificate carries no SGX quote"), "plain: %s", err.msg);
    CHECK(esgx_attest_ratls_cert_quote(sder, slen, &q2, &q2len, &err) == ESGX_ATTEST_E_CERT,
          "plain cert_quote");
    OPENSSL_free(sder);
    X509_free(plain);
    EVP_PKEY_free(k2);
    /* intel root only (the default): a sim quote is refused */
    v.trusted_roots_pem = NULL;
    CHECK(esgx_attest_ratls_verify_cert(der, len, &v, &res, NULL, &err) != 0,
          "sim quote accepted with the Intel root");
    OPENSSL_free(spki);
    ASN1_OBJECT_free(oid);
    X509_free(x);
    esgx_attest_ratls_cert_free(c);
}

static void test_other_network(const rt_net *n1, const rt_net *n2)
{
    esgx_attest_ratls_cert *c = rt_identity(n2, MA, NULL);
    size_t len;
    const uint8_t *der = esgx_attest_ratls_cert_der(c, &len);
    esgx_attest_ratls_verifier v;
    esgx_err err;
    rt_verifier(&v, n1, MA);
    CHECK(esgx_attest_ratls_verify_cert(der, len, &v, NULL, NULL, &err) != 0 &&
              strstr(err.msg, "peer quote"), "other network accepted: %s", err.msg);
    /* its own network accepts it; user data defaults to zeros */
    uint8_t user[32], zero[32] = {0};
    rt_verifier(&v, n2, MA);
    CHECK(esgx_attest_ratls_verify_cert(der, len, &v, NULL, user, &err) == 0 &&
              !memcmp(user, zero, 32), "own network: %s", err.msg);
    esgx_attest_ratls_cert_free(c);
}

static void test_sources(const rt_net *n1)
{
    esgx_attest_ratls_sim_source src = {.bundle = n1->b};
    memcpy(src.body.mrenclave, MA, 32);
    esgx_attest_ratls_cert *c = NULL;
    esgx_err err;
    CHECK(esgx_attest_ratls_cert_new(bad_source, &src, NULL, (int64_t)time(NULL), 1, &c, &err) ==
              ESGX_ATTEST_E_MISMATCH && !c, "quote source ignoring report data: %s", err.msg);
    CHECK(esgx_attest_ratls_cert_new(failing_source, NULL, NULL, (int64_t)time(NULL), 1, &c,
                                &err) == ESGX_ATTEST_E_IO && strstr(err.msg, "no attestation"),
          "failing source: %s", err.msg);
    CHECK(esgx_attest_ratls_cert_new(esgx_attest_ratls_sim_get_quote, &src, NULL, 0, 0, &c, &err) ==
              ESGX_ATTEST_E_ARG, "0 days accepted");
    /* the Gramine source: without Gramine only its file protocol can be checked, against
     * a directory laid out like /dev/attestation */
    char dir[] = "/tmp/esgx-ratls-gramine-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    uint8_t rd[64] = {1}, buf[16];
    size_t n;
    CHECK(esgx_attest_ratls_gramine_get_quote(rd, buf, sizeof buf, &n, dir, &err) == ESGX_ATTEST_E_IO,
          "gramine: missing files accepted");
    char path[200];
    snprintf(path, sizeof path, "%s/user_report_data", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    snprintf(path, sizeof path, "%s/quote", dir);
    f = fopen(path, "w");
    fputs("0123456789", f);
    fclose(f);
    CHECK(esgx_attest_ratls_gramine_get_quote(rd, buf, sizeof buf, &n, dir, &err) == 0 && n == 10 &&
              !memcmp(buf, "0123456789", 10), "gramine read: %s", err.msg);
    CHECK(esgx_attest_ratls_gramine_get_quote(rd, buf, 5, &n, dir, &err) == ESGX_ATTEST_E_IO,
          "gramine: oversize quote accepted");
    snprintf(path, sizeof path, "%s/user_report_data", dir);
    size_t wl;
    char *w = t_read(path, &wl);
    CHECK(w && wl == 64 && !memcmp(w, rd, 64), "gramine: report data not written");
    free(w);
    rt_rmtree(dir);
}

static void test_peer_lists(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1];
    esgx_err err;
    const char *bad[] = {"", "host", "host:", "host:0", "host:65536", ":80", "a:80,",
                         "[::1]80", "a:8x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(esgx_attest_keyshare_fetch_any(ctx, bad[i], 100, 1, 1, out, NULL, &err) ==
                  ESGX_ATTEST_E_ARG, "peer list \"%s\" accepted", bad[i]);
    SSL_CTX_free(ctx);
}

int main(void)
{
    char tmpl[] = "/tmp/esgx-ratls-cert-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 1;
    }
    rt_net n1, n2;
    rt_net_init(&n1, tmpl, "net1");
    rt_net_init(&n2, tmpl, "net2");
    rt_measure("enclave build A", MA);
    rt_measure("enclave build C", MC);
    test_contents(&n1);
    test_other_network(&n1, &n2);
    test_sources(&n1);
    test_peer_lists();
    esgx_attest_sim_free(n1.b);
    esgx_attest_sim_free(n2.b);
    rt_rmtree(tmpl);
    return ESGX_TEST_SUMMARY("ratls_cert");
}
