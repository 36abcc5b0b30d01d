/*
 * sim.c: the simulation provisioning bundle and sim quotes (docs/protocols.md, sim).
 *
 * A bundle mirrors Intel's provisioning PKI with keys we make ourselves:
 *   root CA (self-signed P-256, like "Intel SGX Root CA")
 *     +- PCK platform CA -> PCK leaf (with the SGX extension: PPID, TCB SVNs, PCESVN,
 *     |                               CPUSVN, PCE-ID, FMSPC, SGX type)
 *     +- TCB signing cert (signs tcbInfo and enclaveIdentity)
 *   root CA CRL and PCK CRL (empty), tcbInfo v3 and QE identity v2 in Intel's formats,
 *   and the simulated QE's attestation key.
 * Sim quotes are real v3 quotes: the QE report is signed by the PCK key and binds the
 * attestation key, which signs the enclave's report; so the verifier runs exactly the
 * code it runs for hardware quotes, and only the trust anchor differs.
 *
 * The collateral text is assembled by hand so that the signed tcbInfo/enclaveIdentity
 * bytes appear verbatim in collateral.json. Private keys are written with mode 0600 and
 * their PEM buffers are wiped after use.
 */
#include "attest_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The simulated platform. */
static const uint8_t SIM_FMSPC[6] = {0x53, 0x49, 0x4d, 0x00, 0x00, 0x01}; /* "SIM" */
static const uint8_t SIM_PCE_ID[2] = {0, 0};
static const uint8_t SIM_SVN[16] = {4, 4, 3, 3, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint16_t SIM_PCESVN = 13;
static const uint16_t SIM_QE_SVN = 8;
static const uint16_t SIM_QE_PRODID = 1;
#define SIM_VALID_DAYS 365
#define DAY 86400

struct esgx_attest_sim_bundle {
    char *root_pem;
    char *collateral;
    size_t collateral_len;
    char *pck_chain;
    size_t pck_chain_len;
    EVP_PKEY *pck_key, *att_key;
};

static void sim_qe_mrsigner(uint8_t out[32])
{
    esgx_attest_sha256("esgx sim quoting enclave signer", 31, out);
}

/* ---------------------------------------------------------------- DER writer */

typedef struct dbuf {
    uint8_t b[1024];
    size_t n;
    int overflow;
} dbuf;

static void d_put(dbuf *d, const void *p, size_t n)
{
    if (d->n + n > sizeof d->b) {
        d->overflow = 1;
        return;
    }
    memcpy(d->b + d->n, p, n);
    d->n += n;
}

static void d_tlv(dbuf *d, uint8_t tag, const void *val, size_t len)
{
    uint8_t h[4] = {tag};
    size_t hl;
    if (len < 128) {
        h[1] = (uint8_t)len;
        hl = 2;
    } else if (len < 256) {
        h[1] = 0x81;
        h[2] = (uint8_t)len;
        hl = 3;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        hl = 4;
    }
    d_put(d, h, hl);
    d_put(d, val, len);
}

static const uint8_t SGX_OID[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* SEQUENCE { OID sgx.sub..., value TLV } appended to d. */
static void d_entry(dbuf *d, const uint8_t *sub, size_t sub_len, uint8_t tag,
                    const void *val, size_t len)
{
    dbuf e = {0};
    uint8_t oid[16];
    memcpy(oid, SGX_OID, sizeof SGX_OID);
    memcpy(oid + sizeof SGX_OID, sub, sub_len);
    d_tlv(&e, 0x06, oid, sizeof SGX_OID + sub_len);
    d_tlv(&e, tag, val, len);
    d->overflow |= e.overflow;
    d_tlv(d, 0x30, e.b, e.n);
}

static void d_int_entry(dbuf *d, const uint8_t *sub, size_t sub_len, unsigned v)
{
    uint8_t b[3];
    size_t n = 0;
    if (v >= 32768)
        b[n++] = 0;
    if (v >= 256)
        b[n++] = (uint8_t)(v >> 8);
    else if (v >= 128)
        b[n++] = 0;
    b[n++] = (uint8_t)v;
    d_entry(d, sub, sub_len, 0x02, b, n);
}

/* The SGX extension value of the sim PCK certificate. Returns 0 or ESGX_ATTEST_E_INTERNAL
 * (the buffer overflowed). */
static int sgx_extension(const uint8_t ppid[16], dbuf *out)
{
    dbuf tcb = {0}, top = {0};
    for (uint8_t k = 1; k <= 16; k++) {
        uint8_t sub[2] = {2, k};
        d_int_entry(&tcb, sub, 2, SIM_SVN[k - 1]);
    }
    d_int_entry(&tcb, (const uint8_t[]){2, 17}, 2, SIM_PCESVN);
    d_entry(&tcb, (const uint8_t[]){2, 18}, 2, 0x04, SIM_SVN, 16);
    d_entry(&top, (const uint8_t[]){1}, 1, 0x04, ppid, 16);
    d_entry(&top, (const uint8_t[]){2}, 1, 0x30, tcb.b, tcb.n);
    d_entry(&top, (const uint8_t[]){3}, 1, 0x04, SIM_PCE_ID, 2);
    d_entry(&top, (const uint8_t[]){4}, 1, 0x04, SIM_FMSPC, 6);
    d_entry(&top, (const uint8_t[]){5}, 1, 0x0a, (const uint8_t[]){0}, 1);
    memset(out, 0, sizeof *out);
    d_tlv(out, 0x30, top.b, top.n);
    return tcb.overflow || top.overflow || out->overflow ? ESGX_ATTEST_E_INTERNAL : 0;
}

/* ---------------------------------------------------------------- certificates */

static X509_NAME *sim_name(const char *cn)
{
    X509_NAME *n = X509_NAME_new();
    if (n && X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const uint8_t *)cn, -1, -1, 0) &&
        X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
                                   (const uint8_t *)"esgx simulation", -1, -1, 0))
        return n;
    X509_NAME_free(n);
    return NULL;
}

/* Adds extension nid = value to x: 0 or ESGX_ATTEST_E_INTERNAL. */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : ESGX_ATTEST_E_INTERNAL;
}

/* A certificate for key, signed by issuer_key (issuer NULL = self-signed). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       int64_t now, int days, int ca, const dbuf *sgx)
{
    X509 *x = X509_new();
    X509_NAME *name = sim_name(cn);
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    int ok = x && name && RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7f;
        bn = BN_bin2bn(serial, sizeof serial, NULL);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
             X509_set_version(x, 2) && X509_set_subject_name(x, name) &&
             X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
             ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(now - 3600)) &&
             ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(now + (int64_t)days * DAY)) &&
             X509_set_pubkey(x, key);
    }
    if (ok)
        ok = !add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash") &&
             !add_ext(x, issuer ? issuer : x, NID_authority_key_identifier, "keyid:always") &&
             !add_ext(x, x, NID_basic_constraints,
                      ca ? "critical,CA:TRUE,pathlen:1" : "critical,CA:FALSE") &&
             !add_ext(x, x, NID_key_usage,
                      ca ? "critical,keyCertSign,cRLSign"
                         : "critical,digitalSignature,nonRepudiation");
    if (ok && sgx) {
        ASN1_OBJECT *oid = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        X509_EXTENSION *e = NULL;
        ok = oid && os && ASN1_OCTET_STRING_set(os, sgx->b, (int)sgx->n) &&
             (e = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os)) && X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
        ASN1_OCTET_STRING_free(os);
        ASN1_OBJECT_free(oid);
    }
    if (ok)
        ok = X509_sign(x, issuer_key, EVP_sha256()) > 0;
    BN_free(bn);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static X509_CRL *make_crl(X509 *issuer, EVP_PKEY *key, int64_t now)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)(now - 3600));
    ASN1_TIME *b = ASN1_TIME_set(NULL, (time_t)(now + (int64_t)SIM_VALID_DAYS * DAY));
    int ok = crl && a && b && X509_CRL_set_version(crl, 1) &&
             X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
             X509_CRL_set1_lastUpdate(crl, a) && X509_CRL_set1_nextUpdate(crl, b) &&
             X509_CRL_sign(crl, key, EVP_sha256()) > 0;
    ASN1_TIME_free(a);
    ASN1_TIME_free(b);
    if (!ok) {
        X509_CRL_free(crl);
        return NULL;
    }
    return crl;
}

/* PEM text of x (cert, CRL or private key) as a malloc'd string. */
enum { PEM_CERT, PEM_CRL, PEM_KEY };
static char *to_pem(int kind, void *obj)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int ok = bio && (kind == PEM_CERT  ? PEM_write_bio_X509(bio, obj)
                     : kind == PEM_CRL ? PEM_write_bio_X509_CRL(bio, obj)
                                       : PEM_write_bio_PrivateKey(bio, obj, NULL, NULL, 0,
                                                                  NULL, NULL));
    char *out = NULL;
    if (ok) {
        char *p;
        long n = BIO_get_mem_data(bio, &p);
        out = malloc((size_t)n + 1);
        if (out) {
            memcpy(out, p, (size_t)n);
            out[n] = 0;
        }
        OPENSSL_cleanse(p, (size_t)n);
    }
    BIO_free(bio);
    return out;
}

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
    char *s = malloc(la + lb + lc + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb);
        if (c)
            memcpy(s + la + lb, c, lc);
        s[la + lb + lc] = 0;
    }
    return s;
}

static int write_file(const char *dir, const char *name, const char *data, int mode,
                      esgx_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return esgx_err_set(err, ESGX_ATTEST_E_IO, "sim: %s: %s", path, strerror(errno));
    size_t n = strlen(data), off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w <= 0) {
            close(fd);
            return esgx_err_set(err, ESGX_ATTEST_E_IO, "sim: %s: %s", path, strerror(errno));
        }
        off += (size_t)w;
    }
    if (fchmod(fd, (mode_t)mode) || fsync(fd) || close(fd))
        return esgx_err_set(err, ESGX_ATTEST_E_IO, "sim: %s: %s", path, strerror(errno));
    return 0;
}

/* The file dir/name as NUL-terminated text (at most 8 MiB; free() it), *len (if non-NULL)
 * its length; NULL with err (ESGX_ATTEST_E_IO: "sim: PATH: why") on failure. */
static char *read_text(const char *dir, const char *name, size_t *len, esgx_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint8_t *data;
    size_t n;
    int rc = esgx_file_read(path, 8u << 20, &data, &n, err);
    if (rc) {
        if (err) err->code = rc == ESGX_E_NOMEM ? ESGX_ATTEST_E_INTERNAL : ESGX_ATTEST_E_IO;
        esgx_err_prefix(err, "sim");
        return NULL;
    }
    if (len)
        *len = n;
    return (char *)data;
}

/* ---------------------------------------------------------------- signed JSON */

static char *jstr(const char *s)
{
    json_t *j = json_string(s);
    char *out = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return out;
}

static char *tcb_info_text(int64_t now)
{
    char issue[21], next[21], fmspc[13], levels[1200], comps[2][400];
    esgx_attest_format_time(now - 3600, issue);
    esgx_attest_format_time(now + (int64_t)SIM_VALID_DAYS * DAY, next);
    for (int i = 0; i < 6; i++)
        snprintf(fmspc + 2 * i, 3, "%02X", SIM_FMSPC[i]);
    for (int l = 0; l < 2; l++) {
        size_t o = 0;
        for (int k = 0; k < 16; k++)
            o += (size_t)snprintf(comps[l] + o, sizeof comps[l] - o, "%s{\"svn\":%u}",
                                  k ? "," : "", l == 0 ? SIM_SVN[k] : 0);
    }
    snprintf(levels, sizeof levels,
             "[{\"tcb\":{\"sgxtcbcomponents\":[%s],\"pcesvn\":%u},\"tcbDate\":\"%s\","
             "\"tcbStatus\":\"UpToDate\"},"
             "{\"tcb\":{\"sgxtcbcomponents\":[%s],\"pcesvn\":5},\"tcbDate\":\"2020-01-01T00:00:00Z\","
             "\"tcbStatus\":\"OutOfDate\",\"advisoryIDs\":[\"ESGX-SIM-0001\"]}]",
             comps[0], SIM_PCESVN, issue, comps[1]);
    char *out = malloc(2048);
    if (out)
        snprintf(out, 2048,
                 "{\"id\":\"SGX\",\"version\":3,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                 "\"fmspc\":\"%s\",\"pceId\":\"%02X%02X\",\"tcbType\":0,"
                 "\"tcbEvaluationDataNumber\":1,\"tcbLevels\":%s}",
                 issue, next, fmspc, SIM_PCE_ID[0], SIM_PCE_ID[1], levels);
    return out;
}

static char *qe_identity_text(int64_t now)
{
    char issue[21], next[21], mrs_hex[65];
    uint8_t mrs[32];
    esgx_attest_format_time(now - 3600, issue);
    esgx_attest_format_time(now + (int64_t)SIM_VALID_DAYS * DAY, next);
    sim_qe_mrsigner(mrs);
    esgx_attest_hex(mrs, 32, mrs_hex);
    for (char *p = mrs_hex; *p; p++)
        if (*p >= 'a')
            *p = (char)(*p - 32);
    char *out = malloc(1024);
    if (out)
        snprintf(out, 1024,
                 "{\"id\":\"QE\",\"version\":2,\"issueDate\":\"%s\",\"nextUpdate\":\"%s\","
                 "\"tcbEvaluationDataNumber\":1,\"miscselect\":\"00000000\","
                 "\"miscselectMask\":\"FFFFFFFF\","
                 "\"attributes\":\"11000000000000000000000000000000\","
                 "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
                 "\"mrsigner\":\"%s\",\"isvprodid\":%u,\"tcbLevels\":[{\"tcb\":{\"isvsvn\":%u},"
                 "\"tcbDate\":\"%s\",\"tcbStatus\":\"UpToDate\"}]}",
                 issue, next, mrs_hex, SIM_QE_PRODID, SIM_QE_SVN, issue);
    return out;
}

static char *sign_hex(EVP_PKEY *key, const char *text)
{
    uint8_t sig[64];
    char *hex = malloc(129);
    if (!hex || esgx_attest_sign_raw(key, (const uint8_t *)text, strlen(text), sig)) {
        free(hex);
        return NULL;
    }
    esgx_attest_hex(sig, 64, hex);
    return hex;
}

/* ---------------------------------------------------------------- init */

int esgx_attest_sim_init(const char *dir, int64_t now, esgx_err *err)
{
    if (!dir)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "sim: no directory");
    char path[4096];
    snprintf(path, sizeof path, "%s/sim_root.pem", dir);
    if (mkdir(dir, 0700) && errno != EEXIST)
        return esgx_err_set(err, ESGX_ATTEST_E_IO, "sim: %s: %s", dir, strerror(errno));
    if (access(path, F_OK) == 0)
        return esgx_err_set(err, ESGX_ATTEST_E_IO, "sim: %s already exists; not overwriting",
                            path);
    int rc = ESGX_ATTEST_E_INTERNAL;
    EVP_PKEY *k_root = EVP_EC_gen("P-256"), *k_ca = EVP_EC_gen("P-256"),
             *k_pck = EVP_EC_gen("P-256"), *k_tcb = EVP_EC_gen("P-256"),
             *k_att = EVP_EC_gen("P-256");
    X509 *root = NULL, *ca = NULL, *pck = NULL, *tcb = NULL;
    X509_CRL *root_crl = NULL, *pck_crl = NULL;
    char *p_root = NULL, *p_ca = NULL, *p_pck = NULL, *p_tcb = NULL, *p_rcrl = NULL,
         *p_pcrl = NULL, *chain_pck = NULL, *chain_ca = NULL, *chain_tcb = NULL;
    char *ti = NULL, *qi = NULL, *ti_sig = NULL, *qi_sig = NULL, *coll = NULL;
    char *j[5] = {0};
    char *keys[5] = {0};
    dbuf ext;
    uint8_t ppid[16];
    if (!k_root || !k_ca || !k_pck || !k_tcb || !k_att || RAND_bytes(ppid, 16) != 1 ||
        sgx_extension(ppid, &ext))
        goto out;
    root = make_cert("esgx Sim SGX Root CA", k_root, NULL, k_root, now, 30 * 365, 1, NULL);
    if (!root)
        goto out;
    ca = make_cert("esgx Sim SGX PCK Platform CA", k_ca, root, k_root, now, 15 * 365, 1,
                   NULL);
    tcb = make_cert("esgx Sim SGX TCB Signing", k_tcb, root, k_root, now, 10 * 365, 0, NULL);
    if (!ca || !tcb)
        goto out;
    pck = make_cert("esgx Sim SGX PCK Certificate", k_pck, ca, k_ca, now, 10 * 365, 0, &ext);
    root_crl = make_crl(root, k_root, now);
    pck_crl = make_crl(ca, k_ca, now);
    if (!pck || !root_crl || !pck_crl)
        goto out;
    p_root = to_pem(PEM_CERT, root);
    p_ca = to_pem(PEM_CERT, ca);
    p_pck = to_pem(PEM_CERT, pck);
    p_tcb = to_pem(PEM_CERT, tcb);
    p_rcrl = to_pem(PEM_CRL, root_crl);
    p_pcrl = to_pem(PEM_CRL, pck_crl);
    if (!p_root || !p_ca || !p_pck || !p_tcb || !p_rcrl || !p_pcrl)
        goto out;
    chain_pck = cat3(p_pck, p_ca, p_root);
    chain_ca = cat3(p_ca, p_root, NULL);
    chain_tcb = cat3(p_tcb, p_root, NULL);
    ti = tcb_info_text(now);
    qi = qe_identity_text(now);
    if (!chain_pck || !chain_ca || !chain_tcb || !ti || !qi ||
        !(ti_sig = sign_hex(k_tcb, ti)) || !(qi_sig = sign_hex(k_tcb, qi)))
        goto out;
    const char *src[5] = {p_rcrl, p_pcrl, chain_tcb, chain_ca, chain_tcb};
    for (int i = 0; i < 5; i++)
        if (!(j[i] = jstr(src[i])))
            goto out;
    size_t cap = strlen(ti) + strlen(qi) + 16384;
    for (int i = 0; i < 5; i++)
        cap += strlen(j[i]);
    if (!(coll = malloc(cap)))
        goto out;
    snprintf(coll, cap,
             "{\"version\":3,\"root_ca_crl\":%s,\"pck_crl\":%s,\"tcb_info_issuer_chain\":%s,"
             "\"pck_crl_issuer_chain\":%s,\"qe_identity_issuer_chain\":%s,"
             "\"tcb_info\":{\"tcbInfo\":%s,\"signature\":\"%s\"},"
             "\"qe_identity\":{\"enclaveIdentity\":%s,\"signature\":\"%s\"}}\n",
             j[0], j[1], j[2], j[3], j[4], ti, ti_sig, qi, qi_sig);
    EVP_PKEY *kk[5] = {k_root, k_ca, k_pck, k_tcb, k_att};
    static const char *const knames[5] = {"root_key.pem", "pck_ca_key.pem", "pck_key.pem",
                                          "tcb_signing_key.pem", "attestation_key.pem"};
    for (int i = 0; i < 5; i++)
        if (!(keys[i] = to_pem(PEM_KEY, kk[i])))
            goto out;
    for (int i = 0; i < 5; i++)
        if ((rc = write_file(dir, knames[i], keys[i], 0600, err)))
            goto done;
    if ((rc = write_file(dir, "pck_chain.pem", chain_pck, 0644, err)) ||
        (rc = write_file(dir, "collateral.json", coll, 0644, err)) ||
        (rc = write_file(dir, "sim_root.pem", p_root, 0644, err)))
        goto done;
    rc = 0;
    goto done;
out:
    rc = esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "sim: making the bundle failed (OpenSSL)");
done:
    for (int i = 0; i < 5; i++) {
        if (keys[i]) {
            OPENSSL_cleanse(keys[i], strlen(keys[i]));
            free(keys[i]);
        }
        free(j[i]);
    }
    EVP_PKEY_free(k_root);
    EVP_PKEY_free(k_ca);
    EVP_PKEY_free(k_pck);
    EVP_PKEY_free(k_tcb);
    EVP_PKEY_free(k_att);
    X509_free(root);
    X509_free(ca);
    X509_free(pck);
    X509_free(tcb);
    X509_CRL_free(root_crl);
    X509_CRL_free(pck_crl);
    free(p_root); free(p_ca); free(p_pck); free(p_tcb); free(p_rcrl); free(p_pcrl);
    free(chain_pck); free(chain_ca); free(chain_tcb);
    free(ti); free(qi); free(ti_sig); free(qi_sig); free(coll);
    return rc;
}

/* ---------------------------------------------------------------- load and quote */

static EVP_PKEY *load_key(const char *dir, const char *name, esgx_err *err)
{
    size_t n;
    char *pem = read_text(dir, name, &n, err);
    if (!pem)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(pem, n);
    free(pem);
    if (!k)
        esgx_err_set(err, ESGX_ATTEST_E_IO, "sim: %s/%s: not a PEM private key", dir, name);
    return k;
}

int esgx_attest_sim_load(const char *dir, esgx_attest_sim_bundle **out, esgx_err *err)
{
    if (!dir || !out)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "sim: NULL argument");
    esgx_attest_sim_bundle *b = calloc(1, sizeof *b);
    if (!b)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "sim: out of memory");
    if (!(b->root_pem = read_text(dir, "sim_root.pem", NULL, err)) ||
        !(b->collateral = read_text(dir, "collateral.json", &b->collateral_len, err)) ||
        !(b->pck_chain = read_text(dir, "pck_chain.pem", &b->pck_chain_len, err)) ||
        !(b->pck_key = load_key(dir, "pck_key.pem", err)) ||
        !(b->att_key = load_key(dir, "attestation_key.pem", err))) {
        esgx_attest_sim_free(b);
        return err ? err->code : ESGX_ATTEST_E_IO;
    }
    *out = b;
    return 0;
}

void esgx_attest_sim_free(esgx_attest_sim_bundle *b)
{
    if (!b)
        return;
    free(b->root_pem);
    free(b->collateral);
    free(b->pck_chain);
    EVP_PKEY_free(b->pck_key);
    EVP_PKEY_free(b->att_key);
    free(b);
}

const char *esgx_attest_sim_root(const esgx_attest_sim_bundle *b)
{
    return b ? b->root_pem : NULL;
}

const char *esgx_attest_sim_collateral(const esgx_attest_sim_bundle *b, size_t *len)
{
    if (!b)
        return NULL;
    if (len)
        *len = b->collateral_len;
    return b->collateral;
}

int esgx_attest_sim_quote(const esgx_attest_sim_bundle *b, const esgx_attest_report_body *body,
                     uint8_t **quote, size_t *quote_len, esgx_err *err)
{
    if (!b || !body || !quote || !quote_len)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "sim quote: NULL argument");
    size_t cert_len = b->pck_chain_len + 1;   /* PEM + NUL, as Intel's QE writes it */
    size_t sig_len = 64 + 64 + ESGX_ATTEST_REPORT_BODY_LEN + 64 + 2 + 32 + 2 + 4 + cert_len;
    size_t total = ESGX_ATTEST_SIGNED_LEN + 4 + sig_len;
    uint8_t *q = calloc(1, total);
    if (!q)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "sim quote: out of memory");
    /* header */
    esgx_attest_put16(q, 3);
    esgx_attest_put16(q + 2, 2);
    esgx_attest_put16(q + 8, SIM_QE_SVN);
    esgx_attest_put16(q + 10, SIM_PCESVN);
    memcpy(q + 12, esgx_attest_intel_qe_vendor, 16);
    /* enclave report, on the sim platform */
    esgx_attest_report_body rb = *body;
    memcpy(rb.cpusvn, SIM_SVN, 16);
    esgx_attest_report_body_encode(&rb, q + ESGX_ATTEST_HEADER_LEN);
    uint8_t *s = q + ESGX_ATTEST_SIGNED_LEN;
    esgx_attest_put32(s, (uint32_t)sig_len);
    s += 4;
    uint8_t *isv_sig = s, *att = s + 64, *qe_rep = s + 128, *qe_sig = qe_rep + 384;
    uint8_t *auth = qe_sig + 64 + 2;
    if (esgx_attest_pkey_to_raw(b->att_key, att))
        goto fail;
    /* the QE's own report: binds the attestation key */
    esgx_attest_report_body qe = {0};
    memcpy(qe.cpusvn, SIM_SVN, 16);
    qe.attributes[0] = 0x11;
    qe.attributes[8] = 0xe7;
    esgx_attest_sha256("esgx sim quoting enclave", 24, qe.mrenclave);
    sim_qe_mrsigner(qe.mrsigner);
    qe.isvprodid = SIM_QE_PRODID;
    qe.isvsvn = SIM_QE_SVN;
    esgx_attest_put16(qe_sig + 64, 32);
    for (int i = 0; i < 32; i++)
        auth[i] = (uint8_t)i;
    uint8_t buf[96];
    memcpy(buf, att, 64);
    memcpy(buf + 64, auth, 32);
    esgx_attest_sha256(buf, 96, qe.report_data);
    esgx_attest_report_body_encode(&qe, qe_rep);
    uint8_t *cd = auth + 32;
    esgx_attest_put16(cd, 5);
    esgx_attest_put32(cd + 2, (uint32_t)cert_len);
    memcpy(cd + 6, b->pck_chain, b->pck_chain_len);
    if (esgx_attest_sign_raw(b->pck_key, qe_rep, ESGX_ATTEST_REPORT_BODY_LEN, qe_sig) ||
        esgx_attest_sign_raw(b->att_key, q, ESGX_ATTEST_SIGNED_LEN, isv_sig))
        goto fail;
    *quote = q;
    *quote_len = total;
    return 0;
fail:
    free(q);
    return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "sim quote: signing failed");
}
