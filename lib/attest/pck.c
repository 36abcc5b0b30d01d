/*
 * pck.c: PEM certificate chains and CRLs (strict), and the SGX extension of PCK
 * certificates (OID 1.2.840.113741.1.13.1).
 *
 * PEM: we decode PEM ourselves instead of using OpenSSL's lenient reader, because the
 * PCK chain travels inside the quote where it is not covered by any signature except
 * the certificates' own. With a strict grammar (fixed BEGIN/END lines, base64 lines
 * ended by \n or \r\n, canonical base64 whose unused bits are zero, DER that fills each
 * block exactly, only NUL padding after the last block) every byte of the text maps to
 * exactly one DER byte or to fixed syntax, so any change either fails to parse or
 * changes a signed certificate.
 *
 * SGX extension: walked TLV by TLV with ASN1_get_object (bounds-checked, definite
 * lengths only). OIDs are compared by their DER content bytes against the SGX arc
 * 2A 86 48 86 F8 4D 01 0D 01 followed by the sub-arc bytes.
 */
#include "attest_int.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- strict PEM */

/* 1 and *v = the value of base64 character ch, or 0 when ch is not one ('=' is not). */
static int b64val(char ch, uint32_t *v)
{
    if (ch >= 'A' && ch <= 'Z') return *v = (uint32_t)(ch - 'A'), 1;
    if (ch >= 'a' && ch <= 'z') return *v = (uint32_t)(ch - 'a' + 26), 1;
    if (ch >= '0' && ch <= '9') return *v = (uint32_t)(ch - '0' + 52), 1;
    if (ch == '+') return *v = 62, 1;
    if (ch == '/') return *v = 63, 1;
    return 0;
}

/* Matches a line end at *pos ("\n" or "\r\n"); returns 1 and advances, else 0. */
static int eol(const char *s, size_t len, size_t *pos)
{
    if (*pos < len && s[*pos] == '\n') {
        *pos += 1;
        return 1;
    }
    if (*pos + 1 < len && s[*pos] == '\r' && s[*pos + 1] == '\n') {
        *pos += 2;
        return 1;
    }
    return 0;
}

/* Decodes one PEM block with the given label starting at *pos. On success *der is
 * malloc'd and *pos is after the END line (and its line end, if any). */
static int pem_block(const char *s, size_t len, size_t *pos, const char *label,
                     const char *what, uint8_t **der, size_t *der_len, esgx_err *err)
{
    char begin[64], end[64];
    snprintf(begin, sizeof begin, "-----BEGIN %s-----", label);
    snprintf(end, sizeof end, "-----END %s-----", label);
    size_t bl = strlen(begin), el = strlen(end), p = *pos;
    if (len - p < bl || memcmp(s + p, begin, bl))
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "%s: expected '%s' at offset %zu", what,
                            begin, p);
    p += bl;
    if (!eol(s, len, &p))
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "%s: bad line end at offset %zu", what, p);
    uint8_t *out = malloc(len / 4 * 3 + 3);
    if (!out)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "%s: out of memory", what);
    size_t n = 0, pad = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (;;) {
        if (len - p >= el && !memcmp(s + p, end, el))
            break;
        size_t line_start = p;
        while (p < len && s[p] != '\r' && s[p] != '\n') {
            uint32_t v = 0;
            int is_b64 = b64val(s[p], &v);
            if (s[p] == '=' && pad < 2 && p > line_start) {
                pad++;
            } else if (!is_b64 || pad) {
                free(out);
                return esgx_err_set(err, ESGX_ATTEST_E_CERT,
                                    "%s: bad base64 character at offset %zu", what, p);
            } else {
                acc = acc << 6 | v;
                bits += 6;
                if (bits >= 8) {
                    bits -= 8;
                    out[n++] = (uint8_t)(acc >> bits);
                }
            }
            p++;
        }
        if (p == line_start || p - line_start > 76 || !eol(s, len, &p)) {
            free(out);
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "%s: bad base64 line at offset %zu",
                                what, line_start);
        }
    }
    /* canonical: padding matches the leftover bits, and those bits are zero */
    if ((bits == 2 && pad != 1) || (bits == 4 && pad != 2) || (bits == 0 && pad) ||
        (acc & ((1u << bits) - 1)) || n == 0) {
        free(out);
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "%s: non-canonical base64 before offset %zu",
                            what, p);
    }
    p += el;
    (void)eol(s, len, &p);
    *pos = p;
    *der = out;
    *der_len = n;
    return 0;
}

/* After the last block only NUL bytes may follow. */
static int pem_tail(const char *s, size_t len, size_t pos, const char *what, esgx_err *err)
{
    for (size_t i = pos; i < len; i++)
        if (s[i] != 0)
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "%s: unexpected byte at offset %zu",
                                what, i);
    return 0;
}

int esgx_attest_pem_chain(const char *pem, size_t len, const char *what, STACK_OF(X509) **out,
                     esgx_err *err)
{
    STACK_OF(X509) *st = sk_X509_new_null();
    if (!st)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "%s: out of memory", what);
    size_t pos = 0;
    int rc = 0;
    while (pos < len && pem[pos] != 0) {
        uint8_t *der;
        size_t der_len;
        if ((rc = pem_block(pem, len, &pos, "CERTIFICATE", what, &der, &der_len, err)))
            goto fail;
        const uint8_t *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)der_len);
        int exact = x && p == der + der_len;
        free(der);
        if (!exact || sk_X509_num(st) >= 8 || !sk_X509_push(st, x)) {
            X509_free(x);
            rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "%s: certificate %d is not valid DER%s",
                              what, sk_X509_num(st) + 1,
                              sk_X509_num(st) >= 8 ? " (too many)" : "");
            goto fail;
        }
    }
    if ((rc = pem_tail(pem, len, pos, what, err)))
        goto fail;
    if (sk_X509_num(st) == 0) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "%s: no certificate", what);
        goto fail;
    }
    *out = st;
    return 0;
fail:
    sk_X509_pop_free(st, X509_free);
    return rc;
}

int esgx_attest_pem_crl(const char *pem, size_t len, const char *what, X509_CRL **out,
                   esgx_err *err)
{
    size_t pos = 0;
    uint8_t *der;
    size_t der_len;
    int rc = pem_block(pem, len, &pos, "X509 CRL", what, &der, &der_len, err);
    if (rc) {
        if (err)
            err->code = ESGX_ATTEST_E_CRL;
        return ESGX_ATTEST_E_CRL;
    }
    const uint8_t *p = der;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)der_len);
    int exact = crl && p == der + der_len;
    free(der);
    if (!exact) {
        X509_CRL_free(crl);
        return esgx_err_set(err, ESGX_ATTEST_E_CRL, "%s: not a valid DER CRL", what);
    }
    if ((rc = pem_tail(pem, len, pos, what, err))) {
        X509_CRL_free(crl);
        if (err)
            err->code = ESGX_ATTEST_E_CRL;
        return ESGX_ATTEST_E_CRL;
    }
    *out = crl;
    return 0;
}

/* ---------------------------------------------------------------- SGX extension */

static const uint8_t SGX_ARC[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

typedef struct tlv {
    int tag, cls, constructed;
    const uint8_t *val;   /* contents */
    long len;
} tlv;

/* Reads one TLV from [*p, end). Returns 0 or ESGX_ATTEST_E_CERT (malformed, indefinite
 * length). tlv_next, int_value and octets leave the message to their caller. */
static int tlv_next(const uint8_t **p, const uint8_t *end, tlv *t)
{
    if (*p >= end)
        return ESGX_ATTEST_E_CERT;
    const uint8_t *q = *p;
    long len;
    int tag, cls;
    int r = ASN1_get_object(&q, &len, &tag, &cls, end - *p);
    if (r & 0x80 || r == 0x21)
        return ESGX_ATTEST_E_CERT;
    t->tag = tag;
    t->cls = cls;
    t->constructed = !!(r & 0x20);
    t->val = q;
    t->len = len;
    *p = q + len;
    return 0;
}

/* Is t an OID equal to the SGX arc + sub (sub_len bytes)? */
static int oid_is(const tlv *t, const uint8_t *sub, size_t sub_len)
{
    return t->tag == V_ASN1_OBJECT && t->cls == V_ASN1_UNIVERSAL && !t->constructed &&
           (size_t)t->len == sizeof SGX_ARC + sub_len &&
           !memcmp(t->val, SGX_ARC, sizeof SGX_ARC) &&
           !memcmp(t->val + sizeof SGX_ARC, sub, sub_len);
}

/* Non-negative DER INTEGER (or ENUMERATED when enumerated) up to max: 0 or
 * ESGX_ATTEST_E_CERT. */
static int int_value(const tlv *t, int tag, long max, long *out)
{
    if (t->tag != tag || t->cls != V_ASN1_UNIVERSAL || t->constructed || t->len < 1 ||
        t->len > 3 || t->val[0] & 0x80 || (t->len > 1 && t->val[0] == 0 && !(t->val[1] & 0x80)))
        return ESGX_ATTEST_E_CERT;
    long v = 0;
    for (long i = 0; i < t->len; i++)
        v = v << 8 | t->val[i];
    if (v > max)
        return ESGX_ATTEST_E_CERT;
    *out = v;
    return 0;
}

/* An OCTET STRING of exactly n bytes into out: 0 or ESGX_ATTEST_E_CERT. */
static int octets(const tlv *t, uint8_t *out, long n)
{
    if (t->tag != V_ASN1_OCTET_STRING || t->cls != V_ASN1_UNIVERSAL || t->constructed ||
        t->len != n)
        return ESGX_ATTEST_E_CERT;
    memcpy(out, t->val, (size_t)n);
    return 0;
}

static int is_seq(const tlv *t)
{
    return t->tag == V_ASN1_SEQUENCE && t->cls == V_ASN1_UNIVERSAL && t->constructed;
}

/* The TCB sequence (.2): 16 component SVNs, PCESVN, CPUSVN, each exactly once. */
static int parse_tcb(const uint8_t *p, const uint8_t *end, esgx_attest_pck_info *out,
                     esgx_err *err)
{
    uint32_t seen = 0;
    while (p < end) {
        tlv s, oid, val;
        const uint8_t *q;
        if (tlv_next(&p, end, &s) || !is_seq(&s))
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: malformed TCB entry");
        q = s.val;
        if (tlv_next(&q, s.val + s.len, &oid) || tlv_next(&q, s.val + s.len, &val) ||
            q != s.val + s.len)
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: malformed TCB entry");
        int idx = -1;
        for (uint8_t k = 1; k <= 18; k++) {
            uint8_t sub[2] = {2, k};
            if (oid_is(&oid, sub, 2)) {
                idx = k;
                break;
            }
        }
        if (idx < 0)
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: unknown TCB entry");
        if (seen & (1u << idx))
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: TCB entry %d repeated",
                                idx);
        seen |= 1u << idx;
        long v;
        if (idx <= 16) {
            if (int_value(&val, V_ASN1_INTEGER, 255, &v))
                return esgx_err_set(err, ESGX_ATTEST_E_CERT,
                                    "PCK extension: bad SVN for component %d", idx);
            out->comp_svn[idx - 1] = (uint8_t)v;
        } else if (idx == 17) {
            if (int_value(&val, V_ASN1_INTEGER, 65535, &v))
                return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: bad PCESVN");
            out->pcesvn = (uint16_t)v;
        } else if (octets(&val, out->cpusvn, 16)) {
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: bad CPUSVN");
        }
    }
    if (seen != 0x7fffeu)
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: TCB entries missing");
    return 0;
}

int esgx_attest_pck_ext_parse(const uint8_t *der, size_t len, esgx_attest_pck_info *out,
                         esgx_err *err)
{
    if (!der || !out)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "PCK extension: NULL argument");
    memset(out, 0, sizeof *out);
    const uint8_t *p = der, *end = der + len;
    tlv top;
    if (len > 65536 || tlv_next(&p, end, &top) || !is_seq(&top) || p != end)
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: not a DER SEQUENCE");
    p = top.val;
    end = top.val + top.len;
    unsigned seen = 0;
    while (p < end) {
        tlv s, oid, val;
        if (tlv_next(&p, end, &s) || !is_seq(&s))
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: malformed entry");
        const uint8_t *q = s.val, *qe = s.val + s.len;
        if (tlv_next(&q, qe, &oid) || tlv_next(&q, qe, &val) || q != qe)
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: malformed entry");
        if (oid.tag != V_ASN1_OBJECT || (size_t)oid.len != sizeof SGX_ARC + 1 ||
            memcmp(oid.val, SGX_ARC, sizeof SGX_ARC))
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: unexpected entry OID");
        unsigned k = oid.val[sizeof SGX_ARC];
        if (k < 32 && (seen & (1u << k)))
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: entry %u repeated", k);
        int bad = 0;
        long v;
        switch (k) {
        case 1: bad = octets(&val, out->ppid, 16); break;
        case 2:
            if (!is_seq(&val))
                return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: TCB not a SEQUENCE");
            if (parse_tcb(val.val, val.val + val.len, out, err))
                return ESGX_ATTEST_E_CERT;
            break;
        case 3: bad = octets(&val, out->pce_id, 2); break;
        case 4: bad = octets(&val, out->fmspc, 6); break;
        case 5:
            bad = int_value(&val, V_ASN1_ENUMERATED, 255, &v);
            out->sgx_type = (int)v;
            break;
        case 6: case 7: break;   /* platform instance id, configuration: not used */
        default:
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: unknown entry %u", k);
        }
        if (bad)
            return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK extension: bad value of entry %u", k);
        seen |= 1u << k;
    }
    if ((seen & 0x3e) != 0x3e)
        return esgx_err_set(err, ESGX_ATTEST_E_CERT,
                            "PCK extension: missing PPID, TCB, PCE-ID, FMSPC or SGX type");
    return 0;
}

/* The SGX extension's value in x, or NULL. */
static const ASN1_OCTET_STRING *sgx_ext(X509 *x)
{
    const STACK_OF(X509_EXTENSION) *exts = X509_get0_extensions(x);
    const ASN1_OCTET_STRING *found = NULL;
    for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
        const ASN1_OBJECT *o = X509_EXTENSION_get_object(e);
        uint8_t buf[32];
        int n = i2d_ASN1_OBJECT(o, NULL);
        if (n <= 0 || n > (int)sizeof buf)
            continue;
        uint8_t *w = buf;
        i2d_ASN1_OBJECT(o, &w);
        if (n == 2 + (int)sizeof SGX_ARC && !memcmp(buf + 2, SGX_ARC, sizeof SGX_ARC)) {
            if (found)
                return NULL;  /* twice: refuse */
            found = X509_EXTENSION_get_data(e);
        }
    }
    return found;
}

int esgx_attest_pck_x509_info(X509 *x, esgx_attest_pck_info *out, esgx_err *err)
{
    const ASN1_OCTET_STRING *v = sgx_ext(x);
    if (!v)
        return esgx_err_set(err, ESGX_ATTEST_E_CERT,
                            "PCK certificate: SGX extension 1.2.840.113741.1.13.1 missing");
    return esgx_attest_pck_ext_parse(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v),
                                out, err);
}

int esgx_attest_pck_cert_info(const uint8_t *cert_der, size_t len, esgx_attest_pck_info *out,
                         esgx_err *err)
{
    if (!cert_der || !out)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "PCK certificate: NULL argument");
    const uint8_t *p = cert_der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x || p != cert_der + len) {
        X509_free(x);
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK certificate: not valid DER");
    }
    int rc = esgx_attest_pck_x509_info(x, out, err);
    X509_free(x);
    return rc;
}

/* Which PCK CA issued leaf: from the issuer's common name, which Intel sets to "Intel
 * SGX PCK Processor CA" or "Intel SGX PCK Platform CA" (the sim bundle's CA is named
 * "esgx Sim SGX PCK Platform CA", so the match is on "PCK Processor CA" / "PCK Platform
 * CA"). */
static int pck_issuer_ca(X509 *leaf, int *ca, esgx_err *err)
{
    const X509_NAME *issuer = X509_get_issuer_name(leaf);
    int idx = issuer ? X509_NAME_get_index_by_NID(issuer, NID_commonName, -1) : -1;
    X509_NAME_ENTRY *e = idx >= 0 ? X509_NAME_get_entry(issuer, idx) : NULL;
    unsigned char *cn = NULL;
    int n = e ? ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(e)) : -1;
    int rc = 0;
    if (n < 0)
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK certificate: issuer has no common name");
    else if (memchr(cn, 0, (size_t)n))
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "PCK certificate: NUL in the issuer name");
    else if (strstr((const char *)cn, "PCK Processor CA"))
        *ca = ESGX_ATTEST_PCK_CA_PROCESSOR;
    else if (strstr((const char *)cn, "PCK Platform CA"))
        *ca = ESGX_ATTEST_PCK_CA_PLATFORM;
    else
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT,
                          "PCK certificate: issuer '%.80s' is neither a PCK Processor CA "
                          "nor a PCK Platform CA", (const char *)cn);
    OPENSSL_free(cn);
    return rc;
}

int esgx_attest_pck_chain_ids(const char *pem, size_t len, esgx_attest_pck_ids *out, esgx_err *err)
{
    STACK_OF(X509) *chain = NULL;
    esgx_attest_pck_info info;
    int rc = esgx_attest_pem_chain(pem, len, "quote PCK chain", &chain, err);
    if (!rc && sk_X509_num(chain) < 1)
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT, "quote PCK chain empty");
    if (!rc)
        rc = esgx_attest_pck_x509_info(sk_X509_value(chain, 0), &info, err);
    if (!rc)
        rc = pck_issuer_ca(sk_X509_value(chain, 0), &out->ca, err);
    if (!rc) {
        memcpy(out->fmspc, info.fmspc, 6);
        memcpy(out->pce_id, info.pce_id, 2);
    }
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

int esgx_attest_quote_pck_ids(const uint8_t *quote, size_t len, esgx_attest_pck_ids *out,
                         esgx_err *err)
{
    if (!quote || !out)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "quote: NULL argument");
    esgx_attest_quote q;
    int rc = esgx_attest_quote_parse(quote, len, &q, err);
    if (rc)
        return rc;
    if (q.cert_type != 5)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT,
                            "quote: certification data type %u is not a PCK chain",
                            q.cert_type);
    return esgx_attest_pck_chain_ids((const char *)q.cert_data, q.cert_len, out, err);
}

const char *esgx_attest_pck_ca_name(int ca)
{
    return ca == ESGX_ATTEST_PCK_CA_PROCESSOR ? "processor"
           : ca == ESGX_ATTEST_PCK_CA_PLATFORM ? "platform"
                                          : "unknown";
}
