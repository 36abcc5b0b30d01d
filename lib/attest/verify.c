/*
 * verify.c: offline verification of an SGX DCAP quote against its collateral.
 *
 * Order of checks (each failure stops with a message naming the check):
 *   1. parse the quote and the collateral (quote.c, collateral.c, pck.c)
 *   2. certificate chains: the quote's PCK chain, the PCK CRL issuer chain, the TCB
 *      info and QE identity signing chains are each verified by OpenSSL at `now`
 *      with the root CA CRL and PCK CRL (CRL signature, lastUpdate/nextUpdate and
 *      revocation for every certificate), and must be exactly the chain OpenSSL
 *      built: leaf first, every given certificate used, ending in a trusted root
 *      byte-for-byte. So no unused or altered certificate can ride along.
 *   3. PCK CRL signed by the PCK CRL issuer chain's leaf; root CRL by the root.
 *   4. tcbInfo and enclaveIdentity: ECDSA over their exact bytes by the signing
 *      chains' leaves; issueDate <= now < nextUpdate.
 *   5. QE report signed by the PCK key; QE report data = SHA-256(attestation key ||
 *      QE auth data) || 32 zero bytes; ISV report (header + body) signed by the
 *      attestation key; QE vendor id is Intel's.
 *   6. QE identity: MRSIGNER, ISVPRODID, masked MISCSELECT and ATTRIBUTES, and the
 *      first tcbLevel whose isvsvn <= the QE's ISVSVN.
 *   7. FMSPC and PCE-ID of the PCK certificate equal tcbInfo's; the TCB level is the
 *      first whose 16 component SVNs and PCESVN are all <= the certificate's.
 *   8. The final status combines platform and QE status the way Intel's QVL does
 *      (a QE OutOfDate makes the result OutOfDate[ConfigurationNeeded]).
 */
#define _GNU_SOURCE
#include "attest_int.h"

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <string.h>
#include <time.h>

/* chains longer than this (Intel's have 2 or 3) are verified but never cached */
#define WINDOW_MAX_CERTS 8

const char esgx_attest_intel_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw\n"
    "aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv\n"
    "cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ\n"
    "BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG\n"
    "A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0\n"
    "aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT\n"
    "AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7\n"
    "1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB\n"
    "uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ\n"
    "MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50\n"
    "ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV\n"
    "Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI\n"
    "KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg\n"
    "AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=\n"
    "-----END CERTIFICATE-----\n";

static const char *time_text(int64_t t, char buf[21])
{
    esgx_attest_format_time(t, buf);
    return buf;
}

/* Unix seconds of an ASN1 time; 0 or ESGX_ATTEST_E_CERT. */
static int asn1_secs(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return ESGX_ATTEST_E_CERT;
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* Narrows [*lo, *hi] to the times at which every certificate of chain and both CRLs of
 * c are valid (one second inside each bound, to stay clear of OpenSSL's edge cases). */
static void narrow_window(STACK_OF(X509) *chain, const esgx_attest_collateral *c, int64_t *lo,
                          int64_t *hi)
{
    const ASN1_TIME *from[WINDOW_MAX_CERTS + 2], *to[WINDOW_MAX_CERTS + 2];
    int n = 0;
    for (int i = 0; i < sk_X509_num(chain) && n < WINDOW_MAX_CERTS; i++, n++) {
        from[n] = X509_get0_notBefore(sk_X509_value(chain, i));
        to[n] = X509_get0_notAfter(sk_X509_value(chain, i));
    }
    if (sk_X509_num(chain) > WINDOW_MAX_CERTS)
        *hi = *lo - 1;             /* never cached */
    const X509_CRL *crls[2] = {c->root_crl, c->pck_crl};
    for (int i = 0; i < 2; i++, n++) {
        from[n] = X509_CRL_get0_lastUpdate(crls[i]);
        to[n] = X509_CRL_get0_nextUpdate(crls[i]);   /* may be NULL: no bound */
    }
    for (int i = 0; i < n; i++) {
        int64_t t;
        if (asn1_secs(from[i], &t))
            *hi = *lo - 1;
        else if (t + 1 > *lo)
            *lo = t + 1;
        if (to[i] && asn1_secs(to[i], &t))
            *hi = *lo - 1;
        else if (to[i] && t - 2 < *hi)
            *hi = t - 2;
    }
}

/* Verifies chain (leaf first) at now with the entry's store (roots and both CRLs); see
 * the design note. On success narrows [*lo, *hi] (narrow_window) when lo is given. */
static int verify_chain(STACK_OF(X509) *chain, const esgx_attest_coll_entry *e, int64_t now,
                        const char *what, int64_t *lo, int64_t *hi, esgx_err *err)
{
    int rc = ESGX_ATTEST_E_CERT;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "%s: out of memory", what);
        goto out;
    }
    X509 *leaf = sk_X509_value(chain, 0);
    if (!X509_STORE_CTX_init(ctx, e->store, leaf, chain)) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "%s: X509_STORE_CTX_init failed", what);
        goto out;
    }
    X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)now);
    X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    if (X509_verify_cert(ctx) != 1) {
        int err_code = X509_STORE_CTX_get_error(ctx);
        int crl = err_code == X509_V_ERR_CERT_REVOKED || err_code == X509_V_ERR_UNABLE_TO_GET_CRL ||
                  err_code == X509_V_ERR_CRL_HAS_EXPIRED || err_code == X509_V_ERR_CRL_NOT_YET_VALID ||
                  err_code == X509_V_ERR_CRL_SIGNATURE_FAILURE ||
                  err_code == X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE;
        rc = esgx_err_set(err, crl ? ESGX_ATTEST_E_CRL : ESGX_ATTEST_E_CERT,
                          "%s: certificate %d: %s", what,
                          X509_STORE_CTX_get_error_depth(ctx),
                          X509_verify_cert_error_string(err_code));
        goto out;
    }
    STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
    if (sk_X509_num(built) != sk_X509_num(chain)) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_CERT,
                          "%s: chain of %d certificates, but %d lead to the trusted root",
                          what, sk_X509_num(chain), sk_X509_num(built));
        goto out;
    }
    for (int i = 0; i < sk_X509_num(chain); i++)
        if (X509_cmp(sk_X509_value(chain, i), sk_X509_value(built, i))) {
            rc = esgx_err_set(err, ESGX_ATTEST_E_CERT,
                              "%s: certificate %d is not the one that chains to the "
                              "trusted root", what, i);
            goto out;
        }
    if (lo)
        narrow_window(built, &e->c, lo, hi);
    rc = 0;
out:
    X509_STORE_CTX_free(ctx);
    return rc;
}

/* Signature of a signed document by its chain's leaf (skipped when *sig_ok says it
 * verified before; set on success), then issueDate <= now < nextUpdate. */
static int verify_json(esgx_attest_coll_entry *e, int *sig_ok,
                       const esgx_attest_signed_json *s, STACK_OF(X509) *chain,
                       int64_t issue, int64_t next, int64_t now, const char *what,
                       esgx_err *err)
{
    pthread_mutex_lock(&e->mu);
    int known = *sig_ok;
    pthread_mutex_unlock(&e->mu);
    if (!known) {
        EVP_PKEY *key = X509_get0_pubkey(sk_X509_value(chain, 0));
        if (!key ||
            !esgx_attest_verify_raw(key, (const uint8_t *)s->body, s->body_len, s->signature))
            return esgx_err_set(err, ESGX_ATTEST_E_SIGNATURE, "%s: signature does not verify",
                                what);
        pthread_mutex_lock(&e->mu);
        *sig_ok = 1;
        pthread_mutex_unlock(&e->mu);
    }
    char a[21], b[21];
    if (now < issue || now >= next)
        return esgx_err_set(err, ESGX_ATTEST_E_EXPIRED, "%s: valid from %s to %s, not at %s",
                            what, time_text(issue, a), time_text(next, b),
                            time_text(now, (char[21]){0}));
    return 0;
}

/* The quote's PCK chain (certification data, PEM) verified at now: from the entry's
 * slots when the same bytes verified in a window holding now, else parsed and verified
 * (and remembered). *out is the caller's (sk_X509_pop_free). */
static int pck_chain_at(esgx_attest_coll_entry *e, const esgx_attest_quote *q, int64_t now,
                        STACK_OF(X509) **out, esgx_err *err)
{
    uint8_t h[32];
    esgx_attest_sha256(q->cert_data, q->cert_len, h);
    *out = NULL;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < ESGX_ATTEST_PCK_SLOTS && !*out; i++) {
        esgx_attest_pck_slot *sl = &e->pck[i];
        if (sl->chain && !memcmp(sl->hash, h, 32) && sl->lo <= now && now <= sl->hi)
            *out = X509_chain_up_ref(sl->chain);
    }
    pthread_mutex_unlock(&e->mu);
    if (*out)
        return 0;
    int64_t lo = INT64_MIN, hi = INT64_MAX;
    int rc;
    if ((rc = esgx_attest_pem_chain((const char *)q->cert_data, q->cert_len, "quote PCK chain",
                                    out, err)))
        return rc;
    if ((rc = verify_chain(*out, e, now, "quote PCK chain", &lo, &hi, err)))
        return rc;
    STACK_OF(X509) *keep = lo <= now && now <= hi ? X509_chain_up_ref(*out) : NULL;
    if (keep) {
        pthread_mutex_lock(&e->mu);
        esgx_attest_pck_slot *sl = &e->pck[e->pck_next++ % ESGX_ATTEST_PCK_SLOTS];
        STACK_OF(X509) *old = sl->chain;
        *sl = (esgx_attest_pck_slot){.chain = keep, .lo = lo, .hi = hi};
        memcpy(sl->hash, h, 32);
        pthread_mutex_unlock(&e->mu);
        sk_X509_pop_free(old, X509_free);
    }
    return 0;
}

/* Steps 2 (the collateral's chains) and 3 (CRL signatures), skipped when they passed
 * before for this entry (chains: at a time in the same validity window). */
static int collateral_checks(esgx_attest_coll_entry *e, int64_t now, esgx_err *err)
{
    const esgx_attest_collateral *c = &e->c;
    pthread_mutex_lock(&e->mu);
    int chains = e->chains_ok && e->chains_lo <= now && now <= e->chains_hi;
    int crls = e->crls_ok;
    pthread_mutex_unlock(&e->mu);
    int rc;
    if (!chains) {
        int64_t lo = INT64_MIN, hi = INT64_MAX;
        if ((rc = verify_chain(c->pck_crl_chain, e, now, "pck_crl_issuer_chain", &lo, &hi,
                               err)) ||
            (rc = verify_chain(c->tcb_chain, e, now, "tcb_info_issuer_chain", &lo, &hi, err)) ||
            (rc = verify_chain(c->qe_chain, e, now, "qe_identity_issuer_chain", &lo, &hi, err)))
            return rc;
        pthread_mutex_lock(&e->mu);
        if (lo <= now && now <= hi) {
            e->chains_ok = 1;
            e->chains_lo = lo;
            e->chains_hi = hi;
        }
        pthread_mutex_unlock(&e->mu);
    }
    if (crls)
        return 0;
    X509 *crl_signer = sk_X509_value(c->pck_crl_chain, 0);
    if (X509_NAME_cmp(X509_CRL_get_issuer(c->pck_crl), X509_get_subject_name(crl_signer)) ||
        X509_CRL_verify(c->pck_crl, X509_get0_pubkey(crl_signer)) != 1)
        return esgx_err_set(err, ESGX_ATTEST_E_CRL, "pck_crl: not signed by pck_crl_issuer_chain");
    X509 *root = sk_X509_value(c->pck_crl_chain, sk_X509_num(c->pck_crl_chain) - 1);
    if (X509_CRL_verify(c->root_crl, X509_get0_pubkey(root)) != 1)
        return esgx_err_set(err, ESGX_ATTEST_E_CRL, "root_ca_crl: not signed by the root CA");
    pthread_mutex_lock(&e->mu);
    e->crls_ok = 1;
    pthread_mutex_unlock(&e->mu);
    return 0;
}

/* Step 5: the QE report signed by the PCK leaf and binding the attestation key, the
 * ISV report signed by the attestation key. */
static int quote_signatures(const esgx_attest_quote *q, X509 *leaf, esgx_err *err)
{
    if (memcmp(q->qe_vendor_id, esgx_attest_intel_qe_vendor, 16))
        return esgx_err_set(err, ESGX_ATTEST_E_MISMATCH, "quote: QE vendor id is not Intel's");
    if (!esgx_attest_verify_raw(X509_get0_pubkey(leaf), q->qe_report,
                                ESGX_ATTEST_REPORT_BODY_LEN, q->qe_signature))
        return esgx_err_set(err, ESGX_ATTEST_E_SIGNATURE,
                            "quote: QE report signature does not verify with the PCK key");
    uint8_t h[32];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned hl = 0;
    int hok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
              EVP_DigestUpdate(md, q->att_key, 64) &&
              EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_len) &&
              EVP_DigestFinal_ex(md, h, &hl);
    EVP_MD_CTX_free(md);
    static const uint8_t zero[32];
    if (!hok || memcmp(q->qe_body.report_data, h, 32) ||
        memcmp(q->qe_body.report_data + 32, zero, 32))
        return esgx_err_set(err, ESGX_ATTEST_E_SIGNATURE,
                            "quote: QE report data does not bind the attestation key");
    EVP_PKEY *att = esgx_attest_pkey_from_raw(q->att_key);
    if (!att)
        return esgx_err_set(err, ESGX_ATTEST_E_SIGNATURE,
                            "quote: attestation key is not a P-256 point");
    int ok = esgx_attest_verify_raw(att, q->signed_part, ESGX_ATTEST_SIGNED_LEN,
                                    q->isv_signature);
    EVP_PKEY_free(att);
    if (!ok)
        return esgx_err_set(err, ESGX_ATTEST_E_SIGNATURE,
                            "quote: report signature does not verify with the attestation "
                            "key");
    return 0;
}

static void add_advisories(esgx_attest_result *r, const esgx_attest_tcb_level *lv)
{
    for (size_t i = 0; i < lv->advisory_count; i++) {
        int dup = 0;
        for (size_t j = 0; j < r->advisory_count; j++)
            dup |= !strcmp(r->advisory_ids[j], lv->advisories[i]);
        if (!dup && r->advisory_count < ESGX_ATTEST_MAX_ADVISORIES)
            memcpy(r->advisory_ids[r->advisory_count++], lv->advisories[i],
                   ESGX_ATTEST_ADVISORY_LEN);
    }
}

static void combine_status(esgx_attest_result *r)
{
    const char *p = r->platform_status, *q = r->qe_status, *out = p;
    if (!strcmp(q, "Revoked"))
        out = "Revoked";
    else if (!strcmp(q, "OutOfDate")) {
        if (!strcmp(p, "UpToDate") || !strcmp(p, "SWHardeningNeeded"))
            out = "OutOfDate";
        else if (!strcmp(p, "ConfigurationNeeded") ||
                 !strcmp(p, "ConfigurationAndSWHardeningNeeded"))
            out = "OutOfDateConfigurationNeeded";
    }
    snprintf(r->tcb_status, sizeof r->tcb_status, "%s", out);
}

static int check_qe_identity(const esgx_attest_quote *q, const esgx_attest_qe_identity *id,
                             esgx_attest_result *r, esgx_err *err)
{
    const esgx_attest_report_body *qb = &q->qe_body;
    if (memcmp(qb->mrsigner, id->mrsigner, 32))
        return esgx_err_set(err, ESGX_ATTEST_E_MISMATCH, "QE identity: MRSIGNER mismatch");
    if (qb->isvprodid != id->isvprodid)
        return esgx_err_set(err, ESGX_ATTEST_E_MISMATCH, "QE identity: ISVPRODID %u, want %u",
                            qb->isvprodid, id->isvprodid);
    if ((qb->miscselect & id->miscselect_mask) != (id->miscselect & id->miscselect_mask))
        return esgx_err_set(err, ESGX_ATTEST_E_MISMATCH, "QE identity: MISCSELECT mismatch");
    for (int i = 0; i < 16; i++)
        if ((qb->attributes[i] & id->attributes_mask[i]) !=
            (id->attributes[i] & id->attributes_mask[i]))
            return esgx_err_set(err, ESGX_ATTEST_E_MISMATCH, "QE identity: ATTRIBUTES mismatch");
    for (size_t i = 0; i < id->level_count; i++)
        if (id->levels[i].isvsvn <= qb->isvsvn) {
            snprintf(r->qe_status, sizeof r->qe_status, "%s", id->levels[i].status);
            add_advisories(r, &id->levels[i]);
            return 0;
        }
    return esgx_err_set(err, ESGX_ATTEST_E_TCB, "QE identity: no TCB level for QE ISVSVN %u",
                        qb->isvsvn);
}

static int check_tcb(const esgx_attest_pck_info *pck, const esgx_attest_tcb_info *t, esgx_attest_result *r,
                     esgx_err *err)
{
    if (memcmp(pck->fmspc, t->fmspc, 6))
        return esgx_err_set(err, ESGX_ATTEST_E_MISMATCH, "tcbInfo: FMSPC differs from the PCK "
                                                    "certificate's");
    if (memcmp(pck->pce_id, t->pce_id, 2))
        return esgx_err_set(err, ESGX_ATTEST_E_MISMATCH, "tcbInfo: PCE-ID differs from the PCK "
                                                    "certificate's");
    for (size_t i = 0; i < t->level_count; i++) {
        const esgx_attest_tcb_level *lv = &t->levels[i];
        int ok = lv->pcesvn <= pck->pcesvn;
        for (int k = 0; k < 16 && ok; k++)
            ok = lv->comp_svn[k] <= pck->comp_svn[k];
        if (ok) {
            snprintf(r->platform_status, sizeof r->platform_status, "%s", lv->status);
            r->tcb_date = lv->tcb_date;
            /* platform advisories first, then the QE's (added later, deduplicated) */
            size_t qn = r->advisory_count;
            char saved[ESGX_ATTEST_MAX_ADVISORIES][ESGX_ATTEST_ADVISORY_LEN];
            memcpy(saved, r->advisory_ids, sizeof saved);
            r->advisory_count = 0;
            add_advisories(r, lv);
            for (size_t j = 0; j < qn; j++) {
                esgx_attest_tcb_level one = {0};
                memcpy(one.advisories[0], saved[j], ESGX_ATTEST_ADVISORY_LEN);
                one.advisory_count = 1;
                add_advisories(r, &one);
            }
            return 0;
        }
    }
    return esgx_err_set(err, ESGX_ATTEST_E_TCB, "tcbInfo: no TCB level matches the platform "
                                           "(TCB below every level)");
}

int esgx_attest_quote_verify(const uint8_t *quote, size_t quote_len, const char *collateral,
                             size_t collateral_len, int64_t now, const char *trusted_roots_pem,
                             esgx_attest_result *res, esgx_err *err)
{
    return esgx_attest_quote_verify_cached(NULL, quote, quote_len, collateral, collateral_len,
                                           now, trusted_roots_pem, res, err);
}

int esgx_attest_quote_verify_cached(esgx_attest_collateral_cache *cache, const uint8_t *quote,
                                    size_t quote_len, const char *collateral,
                                    size_t collateral_len, int64_t now,
                                    const char *trusted_roots_pem, esgx_attest_result *res,
                                    esgx_err *err)
{
    esgx_attest_result tmp;
    esgx_attest_result *r = res ? res : &tmp;
    memset(r, 0, sizeof *r);
    esgx_attest_quote q;
    esgx_attest_coll_entry *e = NULL;
    STACK_OF(X509) *pck_chain = NULL;
    esgx_attest_pck_info pck;
    int rc;

    if ((rc = esgx_attest_quote_parse(quote, quote_len, &q, err)))
        return rc;
    r->version = q.version;
    r->body = q.body;
    r->debug = !!(q.body.attributes[0] & ESGX_ATTEST_ATTR_DEBUG);
    if ((rc = esgx_attest_coll_entry_get(cache, collateral, collateral_len, trusted_roots_pem,
                                         &e, err)))
        return rc;
    const esgx_attest_collateral *c = &e->c;
    if ((rc = pck_chain_at(e, &q, now, &pck_chain, err)) ||
        (rc = collateral_checks(e, now, err)) ||
        (rc = verify_json(e, &e->tcb_sig_ok, &c->tcb_signed, c->tcb_chain, c->tcb.issue_date,
                          c->tcb.next_update, now, "tcbInfo", err)) ||
        (rc = verify_json(e, &e->qe_sig_ok, &c->qe_signed, c->qe_chain, c->qe.issue_date,
                          c->qe.next_update, now, "enclaveIdentity", err)))
        goto out;
    X509 *leaf = sk_X509_value(pck_chain, 0);
    if ((rc = quote_signatures(&q, leaf, err)))
        goto out;

    /* identities and TCB */
    if ((rc = check_qe_identity(&q, &c->qe, r, err)) ||
        (rc = esgx_attest_pck_x509_info(leaf, &pck, err)))
        goto out;
    memcpy(r->fmspc, pck.fmspc, 6);
    memcpy(r->pce_id, pck.pce_id, 2);
    if ((rc = check_tcb(&pck, &c->tcb, r, err)))
        goto out;
    combine_status(r);
    r->verified = 1;
    esgx_err_clear(err);
out:
    sk_X509_pop_free(pck_chain, X509_free);
    esgx_attest_coll_entry_put(e);
    return rc;
}
