/* test_ratls_common.h: fixtures shared by the RA-TLS tests: two sim networks in a
 * temporary directory, enclave identities, verifiers, plain (non-RA-TLS) certificates. */
#ifndef TEST_RATLS_COMMON_H
#define TEST_RATLS_COMMON_H

#include "esgx_attest.h"
#include "esgx_crypto.h"
#include "test_attest_common.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <time.h>

typedef struct rt_net {
    char dir[4200];
    esgx_attest_sim_bundle *b;
} rt_net;

/* Makes net->dir under tmp and loads the bundle; exits on failure. */
static inline void rt_net_init(rt_net *n, const char *tmp, const char *name)
{
    esgx_err e;
    snprintf(n->dir, sizeof n->dir, "%s/%s", tmp, name);
    if (esgx_attest_sim_init(n->dir, (int64_t)time(NULL), &e) ||
        esgx_attest_sim_load(n->dir, &n->b, &e)) {
        fprintf(stderr, "sim bundle %s: %s\n", name, e.msg);
        exit(1);
    }
}

static inline void rt_measure(const char *build, uint8_t out[32])
{
    esgx_crypto_sha256(build, strlen(build), out);
}

/* An enclave identity: sim quote source with this MRENCLAVE (fixed MRSIGNER). */
static inline esgx_attest_ratls_cert *rt_identity(const rt_net *n, const uint8_t mrenclave[32],
                                             const uint8_t user[32])
{
    esgx_attest_ratls_sim_source src = {.bundle = n->b};
    memcpy(src.body.mrenclave, mrenclave, 32);
    rt_measure("esgx test signer", src.body.mrsigner);
    src.body.attributes[0] = ESGX_ATTEST_ATTR_INIT | ESGX_ATTEST_ATTR_MODE64BIT;
    src.body.attributes[8] = 3;
    src.body.isvsvn = 1;
    esgx_attest_ratls_cert *c = NULL;
    esgx_err e;
    if (esgx_attest_ratls_cert_new(esgx_attest_ratls_sim_get_quote, &src, user, (int64_t)time(NULL), 7,
                              &c, &e)) {
        fprintf(stderr, "ratls cert: %s\n", e.msg);
        exit(1);
    }
    return c;
}

/* A verifier trusting net n with an optional one-entry MRENCLAVE allowlist. */
static inline void rt_verifier(esgx_attest_ratls_verifier *v, const rt_net *n,
                               const uint8_t *allow)
{
    memset(v, 0, sizeof *v);
    v->collateral = esgx_attest_sim_collateral(n->b, &v->collateral_len);
    v->trusted_roots_pem = esgx_attest_sim_root(n->b);
    esgx_attest_policy_default(&v->policy);
    if (allow) {
        memcpy(v->policy.mrenclave[0], allow, 32);
        v->policy.mrenclave_count = 1;
    }
}

/* An ordinary self-signed P-256 certificate; ext/ext_len (may be NULL) is put into the
 * RA-TLS extension verbatim. */
static inline X509 *rt_plain_cert(EVP_PKEY **key, const uint8_t *ext, size_t ext_len)
{
    *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const uint8_t *)"plain", -1, -1, 0);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_set_version(x, 2);
    X509_set_subject_name(x, nm);
    X509_set_issuer_name(x, nm);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, *key);
    if (ext) {
        ASN1_OBJECT *oid = OBJ_txt2obj(ESGX_ATTEST_RATLS_OID, 1);
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(os, ext, (int)ext_len);
        X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(os);
        ASN1_OBJECT_free(oid);
    }
    X509_sign(x, *key, EVP_sha256());
    X509_NAME_free(nm);
    return x;
}

static inline size_t rt_der(X509 *x, uint8_t **der)
{
    *der = NULL;
    int n = i2d_X509(x, der);
    return n > 0 ? (size_t)n : 0;
}

/* The network key text of a test network. */
static inline void rt_xprv(char out[ESGX_BIP32_TEXT_LEN + 1], uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    esgx_bip32_key k;
    esgx_err e;
    if (esgx_bip32_shared_from_seed(seed, sizeof seed, &k, &e) ||
        esgx_bip32_key_serialize(&k, 1, out, ESGX_BIP32_TEXT_LEN + 1, &e)) {
        fprintf(stderr, "xprv: %s\n", e.msg);
        exit(1);
    }
    esgx_bip32_key_wipe(&k);
}

static inline void rt_rmtree(const char *tmp)
{
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
}

#endif
