/*
 * ratls.c: RA-TLS certificates and TLS 1.3 mutual attestation (docs/protocols.md).
 *
 * Certificate: a fresh P-256 key, a self-signed X.509 v3 certificate, and the
 * enclave's quote in extension 1.2.840.113741.1.13.1.6. The quote's report data is
 * SHA-256(SubjectPublicKeyInfo DER) || 32 bytes of user data, so the quote vouches
 * for exactly this key, and TLS 1.3 CertificateVerify proves the peer holds it.
 * The quote itself comes from a callback (sim bundle or Gramine's /dev/attestation),
 * so the same code runs on both platforms.
 *
 * Verification: cheap checks first (DER, extension present and single, self
 * signature, validity, report data binds the SPKI), then the full DCAP verification
 * of verify.c and the policy of policy.c.
 *
 * TLS: SSL_CTX_set_cert_verify_callback replaces OpenSSL's chain building: the
 * callback verifies the leaf as above and records the outcome (result or refusal
 * reason) in the SSL's ex_data so that esgx_attest_ratls_peer can report it after the
 * handshake. Resumption and tickets are off, so every connection runs the check.
 * Nothing here sets a key-log callback. Sockets are non-blocking and every operation
 * is bounded by a deadline (poll).
 */
#include "attest_int.h"
#include "ratls_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DAY 86400

struct esgx_attest_ratls_cert {
    X509 *x;
    EVP_PKEY *key;
    uint8_t *der;
    size_t der_len;
};

/* ---------------------------------------------------------------- quote sources */

int esgx_attest_ratls_sim_get_quote(const uint8_t report_data[64], uint8_t *quote, size_t cap,
                               size_t *len, void *arg, esgx_err *err)
{
    const esgx_attest_ratls_sim_source *src = arg;
    if (!report_data || !quote || !len || !src || !src->bundle)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "sim quote source: NULL argument");
    esgx_attest_report_body body = src->body;
    memcpy(body.report_data, report_data, 64);
    uint8_t *q = NULL;
    size_t n = 0;
    int rc = esgx_attest_sim_quote(src->bundle, &body, &q, &n, err);
    if (rc)
        return rc;
    if (n > cap) {
        free(q);
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "sim quote source: quote of %zu bytes over %zu",
                            n, cap);
    }
    memcpy(quote, q, n);
    *len = n;
    free(q);
    return 0;
}

int esgx_attest_ratls_gramine_get_quote(const uint8_t report_data[64], uint8_t *quote,
                                   size_t cap, size_t *len, void *arg, esgx_err *err)
{
    const char *dir = arg ? (const char *)arg : "/dev/attestation";
    char path[4096];
    if (!report_data || !quote || !len)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "gramine quote source: NULL argument");
    snprintf(path, sizeof path, "%s/user_report_data", dir);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return esgx_err_set(err, ESGX_ATTEST_E_IO, "gramine quote source: %s: %s", path,
                            strerror(errno));
    ssize_t w = write(fd, report_data, 64);
    close(fd);
    if (w != 64)
        return esgx_err_set(err, ESGX_ATTEST_E_IO, "gramine quote source: write %s failed", path);
    snprintf(path, sizeof path, "%s/quote", dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return esgx_err_set(err, ESGX_ATTEST_E_IO, "gramine quote source: %s: %s", path,
                            strerror(errno));
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            uint8_t extra;
            ssize_t r = read(fd, &extra, 1);
            close(fd);
            if (r != 0)
                return esgx_err_set(err, ESGX_ATTEST_E_IO, "gramine quote source: quote over %zu "
                                    "bytes", cap);
            break;
        }
        ssize_t r = read(fd, quote + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return esgx_err_set(err, ESGX_ATTEST_E_IO, "gramine quote source: read %s: %s", path,
                                strerror(errno));
        }
        if (r == 0) {
            close(fd);
            break;
        }
        n += (size_t)r;
    }
    *len = n;
    return 0;
}

/* ---------------------------------------------------------------- certificate */

/* The helpers that build the certificate return 0 or ESGX_ATTEST_E_INTERNAL (OpenSSL
 * failed); esgx_attest_ratls_cert_new reports it. */
static int add_conf_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : ESGX_ATTEST_E_INTERNAL;
}

/* SHA-256 of the certificate's SubjectPublicKeyInfo DER. */
static int spki_hash(X509 *x, uint8_t out[32])
{
    uint8_t *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    if (n <= 0)
        return ESGX_ATTEST_E_INTERNAL;
    esgx_attest_sha256(der, (size_t)n, out);
    OPENSSL_free(der);
    return 0;
}

static int add_quote_ext(X509 *x, const uint8_t *quote, size_t len)
{
    ASN1_OBJECT *oid = OBJ_txt2obj(ESGX_ATTEST_RATLS_OID, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e = NULL;
    int ok = oid && os && len <= ESGX_ATTEST_RATLS_MAX_QUOTE &&
             ASN1_OCTET_STRING_set(os, quote, (int)len) &&
             (e = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os)) && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(oid);
    return ok ? 0 : ESGX_ATTEST_E_INTERNAL;
}

void esgx_attest_ratls_cert_free(esgx_attest_ratls_cert *c)
{
    if (!c)
        return;
    X509_free(c->x);
    EVP_PKEY_free(c->key);   /* EC private keys are cleared when freed */
    free(c->der);
    free(c);
}

const uint8_t *esgx_attest_ratls_cert_der(const esgx_attest_ratls_cert *c, size_t *len)
{
    if (!c)
        return NULL;
    if (len)
        *len = c->der_len;
    return c->der;
}

int esgx_attest_ratls_cert_new(esgx_attest_get_quote_fn get_quote, void *quote_arg,
                          const uint8_t user_data[32], int64_t now, int valid_days,
                          esgx_attest_ratls_cert **out, esgx_err *err)
{
    if (!get_quote || !out)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls cert: NULL argument");
    if (valid_days < 1 || valid_days > 3650)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls cert: validity of %d days (1..3650)",
                            valid_days);
    *out = NULL;
    esgx_attest_ratls_cert *c = calloc(1, sizeof *c);
    uint8_t *qbuf = malloc(ESGX_ATTEST_RATLS_MAX_QUOTE);
    X509_NAME *name = X509_NAME_new();
    BIGNUM *bn = NULL;
    uint8_t serial[16], rd[64];
    int rc = ESGX_ATTEST_E_INTERNAL;
    if (!c || !qbuf || !name)
        goto fail;
    c->key = EVP_EC_gen("P-256");
    c->x = X509_new();
    if (!c->key || !c->x || RAND_bytes(serial, sizeof serial) != 1)
        goto fail;
    serial[0] &= 0x7f;
    serial[0] |= 0x01;   /* positive, 16 bytes */
    if (!(bn = BN_bin2bn(serial, sizeof serial, NULL)) ||
        !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c->x)) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                    (const uint8_t *)"esgx-enclave", -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const uint8_t *)"esgx", -1,
                                    -1, 0) ||
        !X509_set_version(c->x, 2) || !X509_set_subject_name(c->x, name) ||
        !X509_set_issuer_name(c->x, name) ||
        !ASN1_TIME_set(X509_getm_notBefore(c->x), (time_t)(now - 3600)) ||
        !ASN1_TIME_set(X509_getm_notAfter(c->x), (time_t)(now + (int64_t)valid_days * DAY)) ||
        !X509_set_pubkey(c->x, c->key) || spki_hash(c->x, rd))
        goto fail;
    if (user_data)
        memcpy(rd + 32, user_data, 32);
    else
        memset(rd + 32, 0, 32);
    size_t qlen = 0;
    rc = get_quote(rd, qbuf, ESGX_ATTEST_RATLS_MAX_QUOTE, &qlen, quote_arg, err);
    if (rc) {
        esgx_err_prefix(err, "ratls quote");
        goto out;
    }
    /* a quote source that ignored report_data would make a certificate nobody accepts */
    esgx_attest_quote q;
    if ((rc = esgx_attest_quote_parse(qbuf, qlen, &q, err))) {
        esgx_err_prefix(err, "ratls quote");
        goto out;
    }
    if (memcmp(q.body.report_data, rd, 64)) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_MISMATCH,
                          "ratls quote: source returned a quote with other report data");
        goto out;
    }
    rc = ESGX_ATTEST_E_INTERNAL;
    if (add_conf_ext(c->x, NID_basic_constraints, "critical,CA:FALSE") ||
        add_conf_ext(c->x, NID_key_usage, "critical,digitalSignature") ||
        add_conf_ext(c->x, NID_ext_key_usage, "serverAuth,clientAuth") ||
        add_conf_ext(c->x, NID_subject_key_identifier, "hash") ||
        add_quote_ext(c->x, qbuf, qlen) || X509_sign(c->x, c->key, EVP_sha256()) <= 0)
        goto fail;
    uint8_t *der = NULL;
    int n = i2d_X509(c->x, &der);
    if (n <= 0 || !(c->der = malloc((size_t)n))) {
        OPENSSL_free(der);
        goto fail;
    }
    memcpy(c->der, der, (size_t)n);
    c->der_len = (size_t)n;
    OPENSSL_free(der);
    *out = c;
    c = NULL;
    rc = 0;
    goto out;
fail:
    rc = esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls cert: OpenSSL failure making the "
                      "key or certificate");
out:
    esgx_attest_ratls_cert_free(c);
    free(qbuf);
    X509_NAME_free(name);
    BN_free(bn);
    ERR_clear_error();
    return rc;
}

/* ---------------------------------------------------------------- verification */

static int find_quote_ext(X509 *x, const uint8_t **quote, size_t *len, esgx_err *err)
{
    ASN1_OBJECT *oid = OBJ_txt2obj(ESGX_ATTEST_RATLS_OID, 1);
    if (!oid)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls: OID");
    int found = 0;
    for (int i = 0; i < X509_get_ext_count(x); i++) {
        X509_EXTENSION *e = X509_get_ext(x, i);
        if (OBJ_cmp(X509_EXTENSION_get_object(e), oid))
            continue;
        if (found++) {
            ASN1_OBJECT_free(oid);
            return esgx_err_set(err, ESGX_ATTEST_E_CERT,
                                "peer certificate carries two SGX quote extensions");
        }
        const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
        *quote = ASN1_STRING_get0_data(os);
        *len = (size_t)ASN1_STRING_length(os);
    }
    ASN1_OBJECT_free(oid);
    if (!found)
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "peer certificate carries no SGX quote");
    return 0;
}

static int parse_der(const uint8_t *der, size_t len, X509 **out, esgx_err *err)
{
    const uint8_t *p = der;
    if (!der || len == 0 || len > (1u << 24))
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls: no certificate");
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x || p != der + len) {
        X509_free(x);
        ERR_clear_error();
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "peer certificate: malformed DER");
    }
    *out = x;
    return 0;
}

int esgx_attest_ratls_cert_quote(const uint8_t *cert_der, size_t len, const uint8_t **quote,
                            size_t *quote_len, esgx_err *err)
{
    if (!quote || !quote_len)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls: NULL argument");
    X509 *x;
    int rc = parse_der(cert_der, len, &x, err);
    if (rc)
        return rc;
    const uint8_t *q = NULL;
    size_t n = 0;
    rc = find_quote_ext(x, &q, &n, err);
    if (!rc) {
        /* the value lives inside x; find the same bytes inside the caller's buffer */
        const uint8_t *hit = NULL;
        for (size_t i = 0; n && i + n <= len && !hit; i++)
            if (cert_der[i] == q[0] && !memcmp(cert_der + i, q, n))
                hit = cert_der + i;
        if (!hit)
            rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "peer certificate: quote not found in DER");
        *quote = hit;
        *quote_len = hit ? n : 0;
    }
    X509_free(x);
    return rc;
}

/* The collateral for quote q: fixed, or from the provider keyed by the PCK cert's
 * FMSPC/PCE-ID. *owned is set when the text must be freed. */
static int get_collateral(const esgx_attest_ratls_verifier *v, const esgx_attest_quote *q,
                          const char **text, size_t *len, char **owned, esgx_err *err)
{
    *owned = NULL;
    if (v->collateral) {
        *text = v->collateral;
        *len = v->collateral_len ? v->collateral_len : strlen(v->collateral);
        return 0;
    }
    if (!v->get_collateral)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls: verifier has no collateral");
    esgx_attest_pck_ids ids;
    int rc = esgx_attest_pck_chain_ids((const char *)q->cert_data, q->cert_len, &ids, err);
    if (rc)
        return rc;
    char *json = NULL;
    size_t n = 0;
    if ((rc = v->get_collateral(&ids, &json, &n, v->collateral_arg, err))) {
        esgx_err_prefix(err, "ratls collateral");
        return rc;
    }
    if (!json)
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "ratls collateral: provider gave none");
    *text = *owned = json;
    *len = n;
    return 0;
}

/* esgx_attest_ratls_verify_cert with the quote checked through cache (NULL = none). */
static int verify_cert_cached(const uint8_t *cert_der, size_t len,
                              const esgx_attest_ratls_verifier *v,
                              esgx_attest_collateral_cache *cache, esgx_attest_result *res,
                              uint8_t user_data[32], esgx_err *err)
{
    esgx_attest_result local;
    if (!res)
        res = &local;
    memset(res, 0, sizeof *res);
    if (!v)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls: no verifier");
    int64_t now = v->now ? v->now : (int64_t)time(NULL);
    X509 *x;
    int rc = parse_der(cert_der, len, &x, err);
    if (rc)
        return rc;
    const uint8_t *quote = NULL;
    size_t qlen = 0;
    uint8_t h[32];
    esgx_attest_quote q;
    char *owned = NULL;
    if ((rc = find_quote_ext(x, &quote, &qlen, err)))
        goto out;
    EVP_PKEY *pub = X509_get0_pubkey(x);
    if (!pub || X509_verify(x, pub) != 1) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "peer certificate: self-signature does not "
                          "verify");
        goto out;
    }
    time_t t = (time_t)now;
    if (X509_cmp_time(X509_get0_notBefore(x), &t) >= 0 ||
        X509_cmp_time(X509_get0_notAfter(x), &t) <= 0) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "peer certificate: not valid at %lld",
                          (long long)now);
        goto out;
    }
    if (spki_hash(x, h)) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "peer certificate: bad public key");
        goto out;
    }
    if ((rc = esgx_attest_quote_parse(quote, qlen, &q, err))) {
        esgx_err_prefix(err, "peer quote");
        goto out;
    }
    res->version = q.version;
    res->body = q.body;
    res->debug = (q.body.attributes[0] & ESGX_ATTEST_ATTR_DEBUG) != 0;
    if (memcmp(q.body.report_data, h, 32)) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_MISMATCH, "peer quote: report data does not bind the "
                          "certificate's public key");
        goto out;
    }
    const char *coll = NULL;
    size_t coll_len = 0;
    if ((rc = get_collateral(v, &q, &coll, &coll_len, &owned, err)))
        goto out;
    if ((rc = esgx_attest_quote_verify_cached(cache, quote, qlen, coll, coll_len, now,
                                              v->trusted_roots_pem, res, err))) {
        esgx_err_prefix(err, "peer quote");
        goto out;
    }
    if ((rc = esgx_attest_policy_check(res, &v->policy, err))) {
        esgx_err_prefix(err, "peer enclave");
        goto out;
    }
    if (user_data)
        memcpy(user_data, q.body.report_data + 32, 32);
out:
    free(owned);
    X509_free(x);
    ERR_clear_error();
    return rc;
}

int esgx_attest_ratls_verify_cert(const uint8_t *cert_der, size_t len,
                                  const esgx_attest_ratls_verifier *v,
                                  esgx_attest_result *res, uint8_t user_data[32],
                                  esgx_err *err)
{
    return verify_cert_cached(cert_der, len, v, NULL, res, user_data, err);
}

/* ---------------------------------------------------------------- TLS contexts */

/* Collaterals a context keeps parsed (one per FMSPC and PCK CA of its peers). */
#define RATLS_CACHE_ENTRIES 8

/* What a context verifies with (a private copy, owned by the SSL_CTX's ex_data), and
 * its collateral cache (handshakes of one context share it, from any thread). */
typedef struct ratls_vcopy {
    esgx_attest_ratls_verifier v;
    char *collateral, *roots;
    esgx_attest_collateral_cache *cache;
} ratls_vcopy;

/* Outcome of the peer check of one connection (owned by the SSL's ex_data). */
typedef struct ratls_peer_state {
    int checked;
    int code;
    esgx_err err;
    esgx_attest_result res;
} ratls_peer_state;

static int ctx_idx = -1, ssl_idx = -1;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static void free_vcopy(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                       void *argp)
{
    ratls_vcopy *vc = ptr;
    if (!vc)
        return;
    free(vc->collateral);
    free(vc->roots);
    esgx_attest_collateral_cache_free(vc->cache);
    free(vc);
}

static void free_peer(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                      void *argp)
{
    free(ptr);
}

static void init_idx(void)
{
    ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_vcopy);
    ssl_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_peer);
}

static int ratls_verify_cb(X509_STORE_CTX *xs, void *arg)
{
    const ratls_vcopy *vc = arg;
    SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    ratls_peer_state *ps = ssl ? SSL_get_ex_data(ssl, ssl_idx) : NULL;
    if (ssl && !ps && (ps = calloc(1, sizeof *ps)) && !SSL_set_ex_data(ssl, ssl_idx, ps)) {
        free(ps);
        ps = NULL;
    }
    if (!ps || !leaf) {
        X509_STORE_CTX_set_error(xs, X509_V_ERR_OUT_OF_MEM);
        return 0;
    }
    memset(ps, 0, sizeof *ps);
    uint8_t *der = NULL;
    int n = i2d_X509(leaf, &der);
    if (n <= 0)
        ps->code = esgx_err_set(&ps->err, ESGX_ATTEST_E_CERT, "peer certificate: cannot encode");
    else
        ps->code = verify_cert_cached(der, (size_t)n, &vc->v, vc->cache, &ps->res, NULL,
                                      &ps->err);
    OPENSSL_free(der);
    ps->checked = 1;
    X509_STORE_CTX_set_error(xs, ps->code ? X509_V_ERR_APPLICATION_VERIFICATION : X509_V_OK);
    return ps->code ? 0 : 1;
}

int esgx_attest_ratls_ctx_new(const esgx_attest_ratls_cert *c, const esgx_attest_ratls_verifier *v,
                         int role, SSL_CTX **out, esgx_err *err)
{
    if (!c || !v || !out || (role != ESGX_ATTEST_RATLS_SERVER && role != ESGX_ATTEST_RATLS_CLIENT))
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls ctx: bad argument");
    if (!v->collateral && !v->get_collateral)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls ctx: verifier has no collateral");
    pthread_once(&idx_once, init_idx);
    if (ctx_idx < 0 || ssl_idx < 0)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls ctx: ex_data index");
    *out = NULL;
    ratls_vcopy *vc = calloc(1, sizeof *vc);
    if (!vc)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls ctx: out of memory");
    vc->v = *v;
    if (v->collateral) {
        size_t n = v->collateral_len ? v->collateral_len : strlen(v->collateral);
        if ((vc->collateral = malloc(n + 1))) {
            memcpy(vc->collateral, v->collateral, n);
            vc->collateral[n] = 0;
        }
        vc->v.collateral = vc->collateral;
        vc->v.collateral_len = n;
    }
    if (v->trusted_roots_pem)
        vc->v.trusted_roots_pem = vc->roots = strdup(v->trusted_roots_pem);
    if (esgx_attest_collateral_cache_new(RATLS_CACHE_ENTRIES, &vc->cache, NULL) ||
        (v->collateral && !vc->collateral) || (v->trusted_roots_pem && !vc->roots)) {
        free_vcopy(NULL, vc, NULL, 0, 0, NULL);
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls ctx: out of memory");
    }
    SSL_CTX *ctx = SSL_CTX_new(role == ESGX_ATTEST_RATLS_SERVER ? TLS_server_method()
                                                            : TLS_client_method());
    if (!ctx || !SSL_CTX_set_ex_data(ctx, ctx_idx, vc)) {
        free_vcopy(NULL, vc, NULL, 0, 0, NULL);
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls ctx: SSL_CTX_new failed");
    }
    /* from here vc belongs to ctx */
    int ok = SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) &&
             SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) &&
             SSL_CTX_use_certificate(ctx, c->x) == 1 &&
             SSL_CTX_use_PrivateKey(ctx, c->key) == 1 && SSL_CTX_check_private_key(ctx) == 1 &&
             SSL_CTX_set_num_tickets(ctx, 0) == 1 &&
             SSL_CTX_get_keylog_callback(ctx) == NULL;   /* key logging never enabled */
    if (ok) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        SSL_CTX_set_cert_verify_callback(ctx, ratls_verify_cb, vc);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    }
    if (!ok) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls ctx: configuring TLS failed");
    }
    *out = ctx;
    return 0;
}

int esgx_attest_ratls_peer(const SSL *ssl, esgx_attest_result *res, esgx_err *err)
{
    if (res)
        memset(res, 0, sizeof *res);
    if (!ssl || ssl_idx < 0)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls peer: no RA-TLS connection");
    const ratls_peer_state *ps = SSL_get_ex_data(ssl, ssl_idx);
    if (!ps || !ps->checked)
        return esgx_err_set(err, ESGX_ATTEST_E_POLICY, "peer not verified: no certificate checked");
    if (res)
        *res = ps->res;
    if (ps->code) {
        if (err)
            *err = ps->err;
        return ps->code;
    }
    if (!SSL_is_init_finished(ssl) || SSL_get_verify_result(ssl) != X509_V_OK)
        return esgx_err_set(err, ESGX_ATTEST_E_POLICY, "peer not verified: handshake incomplete");
    return 0;
}

/* ---------------------------------------------------------------- I/O with deadlines */

int64_t esgx_ratls_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t esgx_ratls_deadline(int timeout_ms)
{
    return esgx_ratls_now_ms() + (timeout_ms > 0 ? timeout_ms : 1);
}

/* What wait_fd saw: fd ready, the deadline passed, or poll failed (errno set). */
enum wait_result { WAIT_READY, WAIT_TIMEOUT, WAIT_FAILED };

static enum wait_result wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - esgx_ratls_now_ms();
        if (left <= 0)
            return WAIT_TIMEOUT;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r > 0)
            return WAIT_READY;
        if (r < 0 && errno != EINTR)
            return WAIT_FAILED;
    }
}

/* Describes the last TLS failure (the OpenSSL reason, e.g. "tlsv13 alert certificate
 * required") and clears the error queue. */
static void tls_reason(char *buf, size_t cap)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(buf, cap, "%s", r ? r : "connection failed");
    ERR_clear_error();
}

enum { OP_ACCEPT, OP_CONNECT, OP_READ, OP_WRITE };

/* Runs one SSL operation to completion before deadline. Returns 1 done, 0 clean EOF
 * (read), or a negative ESGX_ATTEST_E_IO with err filled. */
static int ssl_run(SSL *ssl, int op, void *buf, size_t n, size_t *done, int64_t deadline,
                   const char *what, esgx_err *err)
{
    int fd = SSL_get_fd(ssl);
    for (;;) {
        ERR_clear_error();
        int r;
        switch (op) {
        case OP_ACCEPT: r = SSL_accept(ssl); break;
        case OP_CONNECT: r = SSL_connect(ssl); break;
        case OP_READ: r = SSL_read_ex(ssl, buf, n, done); break;
        default: r = SSL_write_ex(ssl, buf, n, done); break;
        }
        if (r == 1)
            return 1;
        int e = SSL_get_error(ssl, r);
        enum wait_result w;
        if (e == SSL_ERROR_WANT_READ)
            w = wait_fd(fd, POLLIN, deadline);
        else if (e == SSL_ERROR_WANT_WRITE)
            w = wait_fd(fd, POLLOUT, deadline);
        else if (e == SSL_ERROR_ZERO_RETURN) {
            ERR_clear_error();
            return 0;
        } else {
            char reason[128];
            if (e == SSL_ERROR_SYSCALL && !ERR_peek_last_error())
                snprintf(reason, sizeof reason, "%s",
                         errno ? strerror(errno) : "connection closed");
            else
                tls_reason(reason, sizeof reason);
            return esgx_err_set(err, ESGX_ATTEST_E_IO, "%s: %s", what, reason);
        }
        if (w == WAIT_TIMEOUT)
            return esgx_err_set(err, ESGX_ATTEST_E_IO, "%s: timed out", what);
        if (w == WAIT_FAILED)
            return esgx_err_set(err, ESGX_ATTEST_E_IO, "%s: poll: %s", what, strerror(errno));
    }
}

int esgx_ratls_read_full(SSL *ssl, void *buf, size_t n, size_t *got, int64_t deadline,
                    const char *what, esgx_err *err)
{
    size_t have = 0;
    int rc = 0;
    while (have < n) {
        size_t k = 0;
        int r = ssl_run(ssl, OP_READ, (uint8_t *)buf + have, n - have, &k, deadline, what,
                        err);
        if (r < 0) {
            rc = r;
            break;
        }
        if (r == 0) {
            rc = esgx_err_set(err, ESGX_ATTEST_E_IO, "%s: connection closed after %zu of %zu bytes",
                              what, have, n);
            break;
        }
        have += k;
    }
    if (got)
        *got = have;
    return rc;
}

int esgx_ratls_write_full(SSL *ssl, const void *buf, size_t n, int64_t deadline,
                     const char *what, esgx_err *err)
{
    size_t have = 0;
    while (have < n) {
        size_t k = 0;
        int r = ssl_run(ssl, OP_WRITE, (uint8_t *)buf + have, n - have, &k, deadline, what,
                        err);
        if (r <= 0)
            return r < 0 ? r : esgx_err_set(err, ESGX_ATTEST_E_IO, "%s: connection closed", what);
        have += k;
    }
    return 0;
}

void esgx_ratls_close(SSL *ssl)
{
    if (ssl) {
        SSL_shutdown(ssl);
        ERR_clear_error();
    }
}

static void set_socket_opts(int fd)
{
    int one = 1;
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* After a failed handshake: the peer-check reason if there was one, else the TLS
 * reason already in err. */
static int handshake_error(SSL *ssl, int rc, esgx_err *err)
{
    const ratls_peer_state *ps = SSL_get_ex_data(ssl, ssl_idx);
    if (ps && ps->checked && ps->code) {
        if (err)
            *err = ps->err;
        return ps->code;
    }
    return rc;
}

int esgx_attest_ratls_accept(SSL_CTX *ctx, int fd, int timeout_ms, SSL **out, esgx_err *err)
{
    if (!ctx || fd < 0 || !out || timeout_ms <= 0)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls accept: bad argument");
    *out = NULL;
    pthread_once(&idx_once, init_idx);
    int64_t deadline = esgx_ratls_deadline(timeout_ms);
    SSL *ssl = SSL_new(ctx);
    if (!ssl || !SSL_set_fd(ssl, fd)) {
        SSL_free(ssl);
        ERR_clear_error();
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls accept: SSL_new failed");
    }
    set_socket_opts(fd);
    int rc = ssl_run(ssl, OP_ACCEPT, NULL, 0, NULL, deadline, "ratls handshake", err);
    if (rc == 0)
        rc = esgx_err_set(err, ESGX_ATTEST_E_IO, "ratls handshake: connection closed");
    if (rc < 0) {
        rc = handshake_error(ssl, rc, err);
        SSL_free(ssl);
        return rc;
    }
    if ((rc = esgx_attest_ratls_peer(ssl, NULL, err))) {
        SSL_free(ssl);
        return rc;
    }
    *out = ssl;
    return 0;
}

static int tcp_connect(const char *host, uint16_t port, int64_t deadline, int *fd_out,
                       esgx_err *err)
{
    char ps[8];
    snprintf(ps, sizeof ps, "%u", (unsigned)port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host, ps, &hints, &ai);
    if (g)
        return esgx_err_set(err, ESGX_ATTEST_E_IO, "connect %s:%u: %s", host, (unsigned)port,
                            gai_strerror(g));
    int rc = 0, tried = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        set_socket_opts(fd);
        int r = connect(fd, a->ai_addr, a->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            enum wait_result w = wait_fd(fd, POLLOUT, deadline);
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (w != WAIT_READY) {
                errno = w == WAIT_TIMEOUT ? ETIMEDOUT : errno;
            } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && !soerr) {
                r = 0;
            } else {
                errno = soerr ? soerr : errno;
            }
        }
        if (r == 0) {
            freeaddrinfo(ai);
            *fd_out = fd;
            return 0;
        }
        rc = esgx_err_set(err, ESGX_ATTEST_E_IO, "connect %s:%u: %s", host, (unsigned)port,
                          strerror(errno));
        tried = 1;
        close(fd);
        if (esgx_ratls_now_ms() >= deadline)
            break;
    }
    freeaddrinfo(ai);
    if (!tried)
        rc = esgx_err_set(err, ESGX_ATTEST_E_IO, "connect %s:%u: no usable address", host,
                          (unsigned)port);
    return rc;
}

int esgx_attest_ratls_connect(SSL_CTX *ctx, const char *host, uint16_t port, int timeout_ms,
                         SSL **out, int *fd_out, esgx_err *err)
{
    if (!ctx || !host || !out || !fd_out || timeout_ms <= 0 || port == 0)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "ratls connect: bad argument");
    *out = NULL;
    *fd_out = -1;
    pthread_once(&idx_once, init_idx);
    int64_t deadline = esgx_ratls_deadline(timeout_ms);
    int fd = -1;
    int rc = tcp_connect(host, port, deadline, &fd, err);
    if (rc)
        return rc;
    SSL *ssl = SSL_new(ctx);
    if (!ssl || !SSL_set_fd(ssl, fd)) {
        SSL_free(ssl);
        close(fd);
        ERR_clear_error();
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "ratls connect: SSL_new failed");
    }
    rc = ssl_run(ssl, OP_CONNECT, NULL, 0, NULL, deadline, "ratls handshake", err);
    if (rc == 0)
        rc = esgx_err_set(err, ESGX_ATTEST_E_IO, "ratls handshake: connection closed");
    if (rc > 0)
        rc = esgx_attest_ratls_peer(ssl, NULL, err);
    else
        rc = handshake_error(ssl, rc, err);
    if (rc) {
        SSL_free(ssl);
        close(fd);
        return rc;
    }
    *out = ssl;
    *fd_out = fd;
    return 0;
}
