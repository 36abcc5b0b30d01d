/*
 * collateral.c: the collateral JSON (Intel's sgx_ql_qve_collateral_t field names):
 * CRLs, issuer chains, and the signed TCB info and QE identity documents.
 *
 * Design: the whole text is first validated by jansson with duplicate keys refused.
 * Intel signs the exact bytes of the "tcbInfo" / "enclaveIdentity" values, so the raw
 * span scanner of lib/common (esgx_json_member_span, run only on text jansson accepted)
 * locates those values and we keep their byte span; the fields are then parsed by jansson from that very span, so what is
 * verified and what is used are the same bytes. tcb_info / qe_identity may be given
 * as JSON objects (as in fleek-sgx's full_collateral.json) or as JSON strings holding
 * the document text (as PCCS clients often store them).
 */
#include "attest_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define JFLAGS (JSON_REJECT_DUPLICATES)

/* ---------------------------------------------------------------- field helpers */

/* The helpers below read one member of a JSON object: 0, or ESGX_ATTEST_E_COLLATERAL
 * when it is missing or malformed (the caller names the field in its message). */

static int get_hex(json_t *o, const char *name, uint8_t *out, size_t n)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v) ||
        esgx_attest_unhex(json_string_value(v), json_string_length(v), out, n) != 0)
        return ESGX_ATTEST_E_COLLATERAL;
    return 0;
}

static int get_time(json_t *o, const char *name, int64_t *out)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_string(v) || esgx_attest_parse_time(json_string_value(v), out) != 0)
        return ESGX_ATTEST_E_COLLATERAL;
    return 0;
}

static int get_uint(json_t *o, const char *name, json_int_t max, json_int_t *out)
{
    json_t *v = json_object_get(o, name);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return ESGX_ATTEST_E_COLLATERAL;
    *out = json_integer_value(v);
    return 0;
}

static int known_status(const char *s)
{
    static const char *const names[] = {"UpToDate", "SWHardeningNeeded",
                                        "ConfigurationNeeded",
                                        "ConfigurationAndSWHardeningNeeded", "OutOfDate",
                                        "OutOfDateConfigurationNeeded", "Revoked"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i]))
            return 1;
    return 0;
}

/* tcbDate, tcbStatus, advisoryIDs of one level. */
static int level_common(json_t *lv, esgx_attest_tcb_level *out, const char *what,
                        esgx_err *err)
{
    json_t *st = json_object_get(lv, "tcbStatus");
    if (!json_is_string(st) || !known_status(json_string_value(st)))
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: bad tcbStatus", what);
    snprintf(out->status, sizeof out->status, "%s", json_string_value(st));
    if (get_time(lv, "tcbDate", &out->tcb_date))
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: bad tcbDate", what);
    json_t *adv = json_object_get(lv, "advisoryIDs");
    if (adv) {
        if (!json_is_array(adv) || json_array_size(adv) > ESGX_ATTEST_MAX_ADVISORIES)
            return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: bad advisoryIDs", what);
        for (size_t i = 0; i < json_array_size(adv); i++) {
            json_t *a = json_array_get(adv, i);
            if (!json_is_string(a) || json_string_length(a) >= ESGX_ATTEST_ADVISORY_LEN)
                return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: bad advisory id", what);
            memcpy(out->advisories[i], json_string_value(a), json_string_length(a) + 1);
        }
        out->advisory_count = json_array_size(adv);
    }
    return 0;
}

static int parse_tcb_levels(json_t *arr, int tcb_info, int version,
                            esgx_attest_tcb_level **out, size_t *count, const char *what,
                            esgx_err *err)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 256)
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: bad tcbLevels", what);
    size_t n = json_array_size(arr);
    esgx_attest_tcb_level *lv = calloc(n, sizeof *lv);
    if (!lv)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "%s: out of memory", what);
    *out = lv;
    *count = n;
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_array_get(arr, i), *tcb = json_object_get(l, "tcb");
        json_int_t v;
        if (!json_is_object(tcb))
            return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: level %zu without tcb",
                                what, i);
        if (!tcb_info) {
            if (get_uint(tcb, "isvsvn", 65535, &v))
                return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: level %zu: bad isvsvn",
                                    what, i);
            lv[i].isvsvn = (uint16_t)v;
        } else {
            if (get_uint(tcb, "pcesvn", 65535, &v))
                return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: level %zu: bad pcesvn",
                                    what, i);
            lv[i].pcesvn = (uint16_t)v;
            json_t *comps = json_object_get(tcb, "sgxtcbcomponents");
            if (version >= 3 && (!json_is_array(comps) || json_array_size(comps) != 16))
                return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL,
                                    "%s: level %zu: bad sgxtcbcomponents", what, i);
            for (int k = 0; k < 16; k++) {
                char name[24];
                int bad;
                if (version >= 3) {
                    bad = get_uint(json_array_get(comps, (size_t)k), "svn", 255, &v);
                } else {
                    snprintf(name, sizeof name, "sgxtcbcomp%02dsvn", k + 1);
                    bad = get_uint(tcb, name, 255, &v);
                }
                if (bad)
                    return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL,
                                        "%s: level %zu: bad SVN of component %d", what, i,
                                        k + 1);
                lv[i].comp_svn[k] = (uint8_t)v;
            }
        }
        char w[64];
        snprintf(w, sizeof w, "%s: level %zu", what, i);
        if (level_common(l, &lv[i], w, err))
            return err ? err->code : ESGX_ATTEST_E_COLLATERAL;
    }
    return 0;
}

static int parse_tcb_info(const char *s, size_t len, esgx_attest_tcb_info *t, esgx_err *err)
{
    json_error_t je;
    json_t *o = json_loadb(s, len, JFLAGS, &je);
    int rc = ESGX_ATTEST_E_COLLATERAL;
    json_int_t v;
    if (!json_is_object(o)) {
        esgx_err_set(err, rc, "tcbInfo: not a JSON object (%s)", je.text);
        goto out;
    }
    if (get_uint(o, "version", 100, &v) || (v != 2 && v != 3)) {
        esgx_err_set(err, rc, "tcbInfo: unsupported version");
        goto out;
    }
    t->version = (int)v;
    json_t *id = json_object_get(o, "id");
    if (t->version == 3 && (!json_is_string(id) || strcmp(json_string_value(id), "SGX"))) {
        esgx_err_set(err, rc, "tcbInfo: id is not SGX");
        goto out;
    }
    if (get_time(o, "issueDate", &t->issue_date) ||
        get_time(o, "nextUpdate", &t->next_update)) {
        esgx_err_set(err, rc, "tcbInfo: bad issueDate or nextUpdate");
        goto out;
    }
    if (get_hex(o, "fmspc", t->fmspc, 6) || get_hex(o, "pceId", t->pce_id, 2)) {
        esgx_err_set(err, rc, "tcbInfo: bad fmspc or pceId");
        goto out;
    }
    if (json_object_get(o, "tcbType") && (get_uint(o, "tcbType", 0, &v))) {
        esgx_err_set(err, rc, "tcbInfo: unsupported tcbType");
        goto out;
    }
    rc = parse_tcb_levels(json_object_get(o, "tcbLevels"), 1, t->version, &t->levels,
                          &t->level_count, "tcbInfo", err);
out:
    json_decref(o);
    return rc;
}

static int parse_qe_identity(const char *s, size_t len, esgx_attest_qe_identity *q,
                             esgx_err *err)
{
    json_error_t je;
    json_t *o = json_loadb(s, len, JFLAGS, &je);
    int rc = ESGX_ATTEST_E_COLLATERAL;
    json_int_t v;
    uint8_t b4[4];
    json_t *id;
    if (!json_is_object(o)) {
        esgx_err_set(err, rc, "enclaveIdentity: not a JSON object (%s)", je.text);
        goto out;
    }
    id = json_object_get(o, "id");
    if (get_uint(o, "version", 100, &v) || v != 2 || !json_is_string(id) ||
        strcmp(json_string_value(id), "QE")) {
        esgx_err_set(err, rc, "enclaveIdentity: want version 2 and id QE");
        goto out;
    }
    q->version = 2;
    if (get_time(o, "issueDate", &q->issue_date) ||
        get_time(o, "nextUpdate", &q->next_update)) {
        esgx_err_set(err, rc, "enclaveIdentity: bad issueDate or nextUpdate");
        goto out;
    }
    if (get_hex(o, "miscselect", b4, 4)) {
        esgx_err_set(err, rc, "enclaveIdentity: bad miscselect");
        goto out;
    }
    /* hex text is big-endian; the report's field is a little-endian u32 */
    q->miscselect = (uint32_t)b4[0] << 24 | (uint32_t)b4[1] << 16 | (uint32_t)b4[2] << 8 | b4[3];
    if (get_hex(o, "miscselectMask", b4, 4)) {
        esgx_err_set(err, rc, "enclaveIdentity: bad miscselectMask");
        goto out;
    }
    q->miscselect_mask = (uint32_t)b4[0] << 24 | (uint32_t)b4[1] << 16 | (uint32_t)b4[2] << 8 | b4[3];
    if (get_hex(o, "attributes", q->attributes, 16) ||
        get_hex(o, "attributesMask", q->attributes_mask, 16) ||
        get_hex(o, "mrsigner", q->mrsigner, 32) || get_uint(o, "isvprodid", 65535, &v)) {
        esgx_err_set(err, rc, "enclaveIdentity: bad attributes, mrsigner or isvprodid");
        goto out;
    }
    q->isvprodid = (uint16_t)v;
    rc = parse_tcb_levels(json_object_get(o, "tcbLevels"), 0, 2, &q->levels,
                          &q->level_count, "enclaveIdentity", err);
out:
    json_decref(o);
    return rc;
}

/* Locates "<inner>" and "signature" in the member `field` of the collateral: either an
 * object inside c->text, or a string whose decoded text is kept in *owned. */
static int signed_doc(esgx_attest_collateral *c, json_t *root, const char *field,
                      const char *inner, esgx_attest_signed_json *out, char **owned,
                      esgx_err *err)
{
    json_t *v = json_object_get(root, field);
    const char *text;   /* the whole document text (for the string form) */
    size_t tlen;
    size_t os, oe;      /* text[os..oe): the object holding inner */
    size_t ds, de;
    if (json_is_string(v)) {
        *owned = strndup(json_string_value(v), json_string_length(v));
        if (!*owned)
            return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "%s: out of memory", field);
        text = *owned;
        tlen = strlen(text);
        os = 0;
        oe = tlen;
    } else if (json_is_object(v)) {
        text = c->text;
        tlen = strlen(c->text);
        if (esgx_json_member_span(text, tlen, field, &os, &oe, NULL))
            return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: not found", field);
    } else {
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "collateral: %s missing", field);
    }
    if (esgx_json_member_span(text + os, oe - os, inner, &ds, &de, NULL) || text[os + ds] != '{')
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: no %s object", field, inner);
    out->body = text + os + ds;
    out->body_len = de - ds;
    json_error_t je;
    json_t *doc = json_is_string(v) ? json_loadb(text, tlen, JFLAGS, &je) : json_incref(v);
    json_t *sig = json_object_get(doc, "signature");
    int bad = !json_is_string(sig) ||
              esgx_attest_unhex(json_string_value(sig), json_string_length(sig), out->signature,
                           64);
    json_decref(doc);
    if (bad)
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "%s: bad signature hex", field);
    return 0;
}

static int str_field(json_t *root, const char *name, const char **s, size_t *len,
                     esgx_err *err)
{
    json_t *v = json_object_get(root, name);
    if (!json_is_string(v))
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "collateral: %s missing", name);
    *s = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

int esgx_attest_collateral_parse(const char *json, size_t len, esgx_attest_collateral *c,
                            esgx_err *err)
{
    memset(c, 0, sizeof *c);
    if (!json || len > (4u << 20))
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "collateral: missing or too large");
    if (memchr(json, 0, len))
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "collateral: NUL byte in JSON");
    c->text = strndup(json, len);
    if (!c->text)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "collateral: out of memory");
    json_error_t je;
    json_t *root = json_loadb(json, len, JFLAGS, &je);
    int rc;
    const char *s = NULL;
    size_t n = 0;
    if (!json_is_object(root)) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "collateral: bad JSON at line %d: %s",
                          je.line, je.text);
        goto out;
    }
    if ((rc = str_field(root, "root_ca_crl", &s, &n, err)) ||
        (rc = esgx_attest_pem_crl(s, n, "root_ca_crl", &c->root_crl, err)) ||
        (rc = str_field(root, "pck_crl", &s, &n, err)) ||
        (rc = esgx_attest_pem_crl(s, n, "pck_crl", &c->pck_crl, err)) ||
        (rc = str_field(root, "pck_crl_issuer_chain", &s, &n, err)) ||
        (rc = esgx_attest_pem_chain(s, n, "pck_crl_issuer_chain", &c->pck_crl_chain, err)) ||
        (rc = str_field(root, "tcb_info_issuer_chain", &s, &n, err)) ||
        (rc = esgx_attest_pem_chain(s, n, "tcb_info_issuer_chain", &c->tcb_chain, err)) ||
        (rc = str_field(root, "qe_identity_issuer_chain", &s, &n, err)) ||
        (rc = esgx_attest_pem_chain(s, n, "qe_identity_issuer_chain", &c->qe_chain, err)))
        goto out;
    if ((rc = signed_doc(c, root, "tcb_info", "tcbInfo", &c->tcb_signed, &c->tcb_text,
                         err)) ||
        (rc = parse_tcb_info(c->tcb_signed.body, c->tcb_signed.body_len, &c->tcb, err)) ||
        (rc = signed_doc(c, root, "qe_identity", "enclaveIdentity", &c->qe_signed,
                         &c->qe_text, err)) ||
        (rc = parse_qe_identity(c->qe_signed.body, c->qe_signed.body_len, &c->qe, err)))
        goto out;
out:
    json_decref(root);
    if (rc)
        esgx_attest_collateral_clear(c);
    return rc;
}

void esgx_attest_collateral_clear(esgx_attest_collateral *c)
{
    free(c->text);
    free(c->tcb_text);
    free(c->qe_text);
    X509_CRL_free(c->root_crl);
    X509_CRL_free(c->pck_crl);
    sk_X509_pop_free(c->pck_crl_chain, X509_free);
    sk_X509_pop_free(c->tcb_chain, X509_free);
    sk_X509_pop_free(c->qe_chain, X509_free);
    free(c->tcb.levels);
    free(c->qe.levels);
    memset(c, 0, sizeof *c);
}

int esgx_attest_collateral_check(const char *json, size_t len, esgx_err *err)
{
    esgx_attest_collateral c;
    int rc = esgx_attest_collateral_parse(json, len, &c, err);
    if (!rc)
        esgx_attest_collateral_clear(&c);
    return rc;
}
