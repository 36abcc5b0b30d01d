/*
 * quote.c: bounds-checked parsing of SGX DCAP ECDSA-P256 quotes (v3, v4 with TEE type
 * SGX) and of SGX report bodies.
 *
 * Design: a tiny cursor (buffer, length, offset) reads every field; each read checks
 * the remaining length first and fails with the offset where the quote ran out, so a
 * hostile quote can never make us read outside the caller's buffer. Lengths announced
 * inside the quote (signature data, QE auth data, certification data) must match the
 * bytes actually present exactly: trailing bytes are refused, since unsigned slack is
 * an invitation to confusion. The parse copies nothing but the small header and the
 * decoded report bodies; the rest are pointers into the caller's buffer.
 */
#include "attest_int.h"

#include <string.h>

const uint8_t esgx_attest_intel_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

typedef struct cursor {
    const uint8_t *p;
    size_t len, off;
    esgx_err *err;
} cursor;

static int take(cursor *c, size_t n, const uint8_t **out)
{
    if (c->len - c->off < n)
        return esgx_err_set(c->err, ESGX_ATTEST_E_FORMAT,
                            "quote: truncated at offset %zu (need %zu more bytes, have %zu)",
                            c->off, n, c->len - c->off);
    *out = c->p + c->off;
    c->off += n;
    return 0;
}

void esgx_attest_report_body_decode(const uint8_t in[ESGX_ATTEST_REPORT_BODY_LEN],
                               esgx_attest_report_body *out)
{
    memcpy(out->cpusvn, in, 16);
    out->miscselect = esgx_attest_le32(in + 16);
    memcpy(out->isv_ext_prod_id, in + 32, 16);
    memcpy(out->attributes, in + 48, 16);
    memcpy(out->mrenclave, in + 64, 32);
    memcpy(out->mrsigner, in + 128, 32);
    memcpy(out->config_id, in + 192, 64);
    out->isvprodid = esgx_attest_le16(in + 256);
    out->isvsvn = esgx_attest_le16(in + 258);
    out->config_svn = esgx_attest_le16(in + 260);
    memcpy(out->isv_family_id, in + 304, 16);
    memcpy(out->report_data, in + 320, 64);
}

void esgx_attest_report_body_encode(const esgx_attest_report_body *in,
                               uint8_t out[ESGX_ATTEST_REPORT_BODY_LEN])
{
    memset(out, 0, ESGX_ATTEST_REPORT_BODY_LEN);
    memcpy(out, in->cpusvn, 16);
    esgx_attest_put32(out + 16, in->miscselect);
    memcpy(out + 32, in->isv_ext_prod_id, 16);
    memcpy(out + 48, in->attributes, 16);
    memcpy(out + 64, in->mrenclave, 32);
    memcpy(out + 128, in->mrsigner, 32);
    memcpy(out + 192, in->config_id, 64);
    esgx_attest_put16(out + 256, in->isvprodid);
    esgx_attest_put16(out + 258, in->isvsvn);
    esgx_attest_put16(out + 260, in->config_svn);
    memcpy(out + 304, in->isv_family_id, 16);
    memcpy(out + 320, in->report_data, 64);
}

/* QE report, its signature, auth data and the type-5 certification data. */
static int parse_qe_part(cursor *c, esgx_attest_quote *q)
{
    const uint8_t *p = NULL;
    int rc;
    if ((rc = take(c, ESGX_ATTEST_REPORT_BODY_LEN, &q->qe_report)) ||
        (rc = take(c, 64, &q->qe_signature)) || (rc = take(c, 2, &p)))
        return rc;
    q->qe_auth_len = esgx_attest_le16(p);
    if ((rc = take(c, q->qe_auth_len, &q->qe_auth)))
        return rc;
    if ((rc = take(c, 2, &p)))
        return rc;
    q->cert_type = esgx_attest_le16(p);
    if (q->cert_type != 5)
        return esgx_err_set(c->err, ESGX_ATTEST_E_FORMAT,
                            "quote: certification data type %u at offset %zu (want 5, "
                            "PCK certificate chain)", q->cert_type, c->off - 2);
    if ((rc = take(c, 4, &p)))
        return rc;
    q->cert_len = esgx_attest_le32(p);
    if (q->cert_len != c->len - c->off)
        return esgx_err_set(c->err, ESGX_ATTEST_E_FORMAT,
                            "quote: certification data length %u at offset %zu does not "
                            "match the %zu bytes left", q->cert_len, c->off - 4,
                            c->len - c->off);
    if ((rc = take(c, q->cert_len, &q->cert_data)))
        return rc;
    esgx_attest_report_body_decode(q->qe_report, &q->qe_body);
    return 0;
}

int esgx_attest_quote_parse(const uint8_t *quote, size_t len, esgx_attest_quote *q, esgx_err *err)
{
    if (!quote || !q)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "quote: NULL argument");
    memset(q, 0, sizeof *q);
    if (len > ESGX_ATTEST_MAX_QUOTE_LEN)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT, "quote: %zu bytes is over the %u limit",
                            len, ESGX_ATTEST_MAX_QUOTE_LEN);
    cursor c = {quote, len, 0, err};
    const uint8_t *h = NULL, *b = NULL, *p = NULL;
    int rc;
    if ((rc = take(&c, ESGX_ATTEST_HEADER_LEN, &h)))
        return rc;
    q->version = esgx_attest_le16(h);
    q->att_key_type = esgx_attest_le16(h + 2);
    q->tee_type = esgx_attest_le32(h + 4);
    q->qe_svn = esgx_attest_le16(h + 8);
    q->pce_svn = esgx_attest_le16(h + 10);
    memcpy(q->qe_vendor_id, h + 12, 16);
    memcpy(q->user_data, h + 28, 20);
    if (q->version != 3 && q->version != 4)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT, "quote: unsupported version %u", q->version);
    if (q->att_key_type != 2)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT,
                            "quote: attestation key type %u (want 2, ECDSA P-256)",
                            q->att_key_type);
    if (q->tee_type != 0)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT, "quote: TEE type 0x%x is not SGX",
                            q->tee_type);
    if ((rc = take(&c, ESGX_ATTEST_REPORT_BODY_LEN, &b)))
        return rc;
    q->signed_part = quote;
    esgx_attest_report_body_decode(b, &q->body);
    if ((rc = take(&c, 4, &p)))
        return rc;
    uint32_t sig_len = esgx_attest_le32(p);
    if (sig_len != len - c.off)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT,
                            "quote: signature data length %u at offset 432 does not match "
                            "the %zu bytes left", sig_len, len - c.off);
    if ((rc = take(&c, 64, &q->isv_signature)) || (rc = take(&c, 64, &q->att_key)))
        return rc;
    if (q->version == 3)
        return parse_qe_part(&c, q);
    /* v4: certification data type 6 (QE report certification data) wraps the rest */
    if ((rc = take(&c, 2, &p)))
        return rc;
    if (esgx_attest_le16(p) != 6)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT,
                            "quote: v4 certification data type %u at offset %zu (want 6)",
                            esgx_attest_le16(p), c.off - 2);
    if ((rc = take(&c, 4, &p)))
        return rc;
    if (esgx_attest_le32(p) != len - c.off)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT,
                            "quote: v4 certification data length %u at offset %zu does "
                            "not match the %zu bytes left", esgx_attest_le32(p), c.off - 4,
                            len - c.off);
    return parse_qe_part(&c, q);
}
