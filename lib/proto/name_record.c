/*
 * name_record.c: the JSON form of a name record (esgx_proto.h, docs/formats.md "Name
 * records"): the one serializer whose bytes nodes store and serve, and its strict
 * parser; plus the strict member readers that header_line.c shares (json_fields.h).
 *
 * Design: the serializer writes the members by hand in their fixed order (no JSON
 * library, so the bytes can never depend on a library's formatting choices); every
 * string it writes is hex or a validated name, so nothing needs escaping. The parser
 * uses jansson with duplicate members refused, then reads each member with a checker
 * that names it in the message, so a client learns exactly what was wrong. Signatures
 * and keys are checked by lib/crypto (esgx_name_record_verify), not here.
 */
#include "esgx_proto.h"

#include <stdio.h>
#include <string.h>

#include "esgx_crypto.h"
#include "json_fields.h"

/* ---------------------------------------------------------------- member readers */

int esgx_proto_json_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

json_t *esgx_proto_json_get(json_t *obj, const char *name, const char *what, esgx_err *err)
{
    json_t *v = json_object_get(obj, name);
    if (!v) esgx_err_set(err, ESGX_PROTO_E_FORMAT, "%s: member '%s' is missing", what, name);
    return v;
}

int esgx_proto_json_hex(json_t *obj, const char *name, uint8_t *out, size_t len,
                        const char *what, esgx_err *err)
{
    json_t *v = esgx_proto_json_get(obj, name, what, err);
    if (!v) return ESGX_PROTO_E_FORMAT;
    const char *s = json_string_value(v);
    if (!s || json_string_length(v) != 2 * len || !esgx_proto_json_lower_hex(s, 2 * len) ||
        esgx_crypto_hex_decode(s, 2 * len, out, len, NULL, NULL))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "%s: member '%s' is not %zu lowercase hex characters", what, name,
                            2 * len);
    return ESGX_OK;
}

int esgx_proto_json_u63(json_t *obj, const char *name, uint64_t min, uint64_t *out,
                        const char *what, esgx_err *err)
{
    json_t *v = esgx_proto_json_get(obj, name, what, err);
    if (!v) return ESGX_PROTO_E_FORMAT;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) < min)
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "%s: member '%s' is not an integer %llu..2^63-1", what, name,
                            (unsigned long long)min);
    *out = (uint64_t)json_integer_value(v);
    return ESGX_OK;
}

int esgx_proto_json_known(json_t *obj, const char *const *allowed, const char *what,
                          esgx_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key)) i++;
        if (!allowed[i])
            return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "%s: unknown member '%.64s'", what,
                                key);
    }
    return ESGX_OK;
}

/* ---------------------------------------------------------------- parse */

static int parse_transfer(json_t *o, size_t i, esgx_name_transfer *t, esgx_err *err)
{
    static const char *const members[] = {"seq", "from", "to", "signature", NULL};
    char what[48];
    snprintf(what, sizeof what, "name record: transfers[%zu]", i);
    if (!json_is_object(o))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "%s is not an object", what);
    int rc;
    if ((rc = esgx_proto_json_known(o, members, what, err)) ||
        (rc = esgx_proto_json_u63(o, "seq", 1, &t->seq, what, err)) ||
        (rc = esgx_proto_json_hex(o, "from", t->from, 33, what, err)) ||
        (rc = esgx_proto_json_hex(o, "to", t->to, 33, what, err)) ||
        (rc = esgx_proto_json_hex(o, "signature", t->signature, 65, what, err)))
        return rc;
    return ESGX_OK;
}

static int parse_record(json_t *o, esgx_name_record *rec, esgx_err *err)
{
    static const char *const members[] = {"name",  "network",   "hash",      "encrypted", "seq",
                                          "owner", "signature", "transfers", NULL};
    static const char what[] = "name record";
    if (!json_is_object(o))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "name record: not a JSON object");
    int rc = esgx_proto_json_known(o, members, what, err);
    if (rc) return rc;
    json_t *name = esgx_proto_json_get(o, "name", what, err);
    if (!name) return ESGX_PROTO_E_FORMAT;
    const char *s = json_string_value(name);
    size_t n = s ? json_string_length(name) : 0;
    if (!s || !esgx_proto_name_valid(s, n))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "name record: member 'name' is not 1..64 characters of "
                            "[A-Za-z0-9._-]");
    memcpy(rec->name, s, n);
    rec->name[n] = '\0';
    rec->name_len = n;
    if ((rc = esgx_proto_json_hex(o, "network", rec->network, 33, what, err)) ||
        (rc = esgx_proto_json_hex(o, "hash", rec->module_hash, 32, what, err)))
        return rc;
    json_t *enc = esgx_proto_json_get(o, "encrypted", what, err);
    if (!enc) return ESGX_PROTO_E_FORMAT;
    if (!json_is_boolean(enc))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "name record: member 'encrypted' is not true or false");
    rec->encrypted = json_is_true(enc) ? 1 : 0;
    if ((rc = esgx_proto_json_u63(o, "seq", 1, &rec->seq, what, err)) ||
        (rc = esgx_proto_json_hex(o, "owner", rec->owner, 33, what, err)) ||
        (rc = esgx_proto_json_hex(o, "signature", rec->signature, 65, what, err)))
        return rc;
    json_t *tr = json_object_get(o, "transfers");
    if (!tr) return ESGX_OK;
    if (!json_is_array(tr))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "name record: member 'transfers' is not an array");
    if (json_array_size(tr) > ESGX_NAME_MAX_TRANSFERS)
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "name record: member 'transfers' has %zu entries, at most %d",
                            json_array_size(tr), ESGX_NAME_MAX_TRANSFERS);
    for (size_t i = 0; i < json_array_size(tr); i++)
        if ((rc = parse_transfer(json_array_get(tr, i), i, &rec->transfers[i], err))) return rc;
    rec->n_transfers = json_array_size(tr);
    return ESGX_OK;
}

int esgx_name_record_parse(const char *json, size_t len, esgx_name_record *rec, esgx_err *err)
{
    if (!json || !rec) return esgx_err_set(err, ESGX_PROTO_E_ARG, "name record: NULL argument");
    memset(rec, 0, sizeof *rec);
    json_error_t je;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "name record: not JSON (%s at %d)", je.text,
                            je.position);
    int rc = parse_record(o, rec, err);
    json_decref(o);
    if (rc) memset(rec, 0, sizeof *rec);
    return rc;
}

/* ---------------------------------------------------------------- format */

/* A bounded text writer: writes what fits, remembers whether anything did not. */
typedef struct writer {
    char *p;
    size_t cap, n;
} writer;

static void w_bytes(writer *w, const void *s, size_t n)
{
    if (w->n + n <= w->cap) memcpy(w->p + w->n, s, n);
    w->n += n;
}

#define W_LIT(w, s) w_bytes((w), s, sizeof s - 1)

static void w_hex(writer *w, const uint8_t *b, size_t n)
{
    char hex[131];
    esgx_crypto_hex_encode(b, n, hex);
    w_bytes(w, hex, 2 * n);
}

static void w_dec(writer *w, uint64_t v)
{
    char num[24];
    int k = (int)sizeof num;
    do {
        num[--k] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    w_bytes(w, num + k, sizeof num - (size_t)k);
}

int esgx_name_record_format(const esgx_name_record *rec, char *buf, size_t cap, size_t *len,
                            esgx_err *err)
{
    if (!rec || !buf) return esgx_err_set(err, ESGX_PROTO_E_ARG, "name record: NULL argument");
    if (!esgx_proto_name_valid(rec->name, rec->name_len))
        return esgx_err_set(err, ESGX_PROTO_E_ARG,
                            "name record: name is not 1..64 characters of [A-Za-z0-9._-]");
    if (rec->seq == 0 || rec->seq > ESGX_NAME_SEQ_MAX)
        return esgx_err_set(err, ESGX_PROTO_E_ARG, "name record: seq %llu is not 1..2^63-1",
                            (unsigned long long)rec->seq);
    if (rec->encrypted > 1)
        return esgx_err_set(err, ESGX_PROTO_E_ARG, "name record: encrypted flag %u is not 0/1",
                            rec->encrypted);
    if (rec->n_transfers > ESGX_NAME_MAX_TRANSFERS)
        return esgx_err_set(err, ESGX_PROTO_E_ARG, "name record: %zu transfers, at most %d",
                            rec->n_transfers, ESGX_NAME_MAX_TRANSFERS);
    for (size_t i = 0; i < rec->n_transfers; i++)
        if (rec->transfers[i].seq == 0 || rec->transfers[i].seq > ESGX_NAME_SEQ_MAX)
            return esgx_err_set(err, ESGX_PROTO_E_ARG,
                                "name record: transfers[%zu] seq %llu is not 1..2^63-1", i,
                                (unsigned long long)rec->transfers[i].seq);
    writer w = {buf, cap, 0};
    W_LIT(&w, "{\"name\":\"");
    w_bytes(&w, rec->name, rec->name_len);
    W_LIT(&w, "\",\"network\":\"");
    w_hex(&w, rec->network, 33);
    W_LIT(&w, "\",\"hash\":\"");
    w_hex(&w, rec->module_hash, 32);
    if (rec->encrypted)
        W_LIT(&w, "\",\"encrypted\":true,\"seq\":");
    else
        W_LIT(&w, "\",\"encrypted\":false,\"seq\":");
    w_dec(&w, rec->seq);
    W_LIT(&w, ",\"owner\":\"");
    w_hex(&w, rec->owner, 33);
    W_LIT(&w, "\",\"signature\":\"");
    w_hex(&w, rec->signature, 65);
    W_LIT(&w, "\"");
    if (rec->n_transfers) {
        W_LIT(&w, ",\"transfers\":[");
        for (size_t i = 0; i < rec->n_transfers; i++) {
            const esgx_name_transfer *t = &rec->transfers[i];
            if (i) W_LIT(&w, ",");
            W_LIT(&w, "{\"seq\":");
            w_dec(&w, t->seq);
            W_LIT(&w, ",\"from\":\"");
            w_hex(&w, t->from, 33);
            W_LIT(&w, "\",\"to\":\"");
            w_hex(&w, t->to, 33);
            W_LIT(&w, "\",\"signature\":\"");
            w_hex(&w, t->signature, 65);
            W_LIT(&w, "\"}");
        }
        W_LIT(&w, "]");
    }
    W_LIT(&w, "}");
    if (w.n >= cap) {
        if (cap) buf[0] = '\0';
        return esgx_err_set(err, ESGX_PROTO_E_BUFFER, "name record: JSON needs %zu bytes, room for %zu",
                            w.n + 1, cap);
    }
    buf[w.n] = '\0';
    if (len) *len = w.n;
    return ESGX_OK;
}
