/*
 * header_line.c: the strict parser of the response header line (esgx_proto.h,
 * docs/formats.md "Header line"), the counterpart of esgx_proto_format_header_ex in
 * proto.c, with the optional members of answers by name and sealed answers.
 *
 * Design: jansson reads the line with duplicate members refused; each member is then
 * checked for presence, type and length with a message that names it (json_fields.h).
 * Unknown members are refused, so a line that carries something this code would
 * silently ignore never passes. The parser verifies nothing cryptographic: the client
 * recomputes hashes, the tree, input_hash and the signature itself.
 */
#include "esgx_proto.h"

#include <string.h>

#include "esgx_crypto.h"
#include "json_fields.h"

static int parse(json_t *o, esgx_proto_header *h, uint8_t *tree, size_t tree_cap, esgx_err *err)
{
    static const char *const members[] = {"hash", "tree",  "input_hash", "fuel_used", "name",
                                          "owner", "seq", "sealed", "signature", NULL};
    static const char what[] = "header line";
    if (!json_is_object(o))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "header line: not a JSON object");
    int rc;
    if ((rc = esgx_proto_json_known(o, members, what, err)) ||
        (rc = esgx_proto_json_hex(o, "hash", h->hash, 32, what, err)))
        return rc;
    json_t *tv = esgx_proto_json_get(o, "tree", what, err);
    if (!tv) return ESGX_PROTO_E_FORMAT;
    const char *t = json_string_value(tv);
    size_t tl = t ? json_string_length(tv) : 0;
    if (!t || tl == 0 || tl % 64 || !esgx_proto_json_lower_hex(t, tl))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "header line: member 'tree' is not a list of 32-byte lowercase hex "
                            "hashes");
    h->tree_count = tl / 64;
    if (tree) {
        if (tree_cap < tl / 2)
            return esgx_err_set(err, ESGX_PROTO_E_BUFFER,
                                "header line: tree of %zu bytes, room for %zu", tl / 2, tree_cap);
        if (esgx_crypto_hex_decode(t, tl, tree, tree_cap, NULL, NULL))
            return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "header line: member 'tree' is not hex");
    }
    if ((rc = esgx_proto_json_hex(o, "input_hash", h->input_hash, 32, what, err)) ||
        (rc = esgx_proto_json_u63(o, "fuel_used", 0, &h->fuel_used, what, err)) ||
        (rc = esgx_proto_json_hex(o, "signature", h->signature, 65, what, err)))
        return rc;
    json_t *name = json_object_get(o, "name");
    int owner = json_object_get(o, "owner") != NULL, seq = json_object_get(o, "seq") != NULL;
    if ((name != NULL) != owner || owner != seq)
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "header line: members 'name', 'owner' and 'seq' come together");
    if (name) {
        const char *s = json_string_value(name);
        size_t n = s ? json_string_length(name) : 0;
        if (!s || !esgx_proto_name_valid(s, n))
            return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                                "header line: member 'name' is not 1..64 characters of "
                                "[A-Za-z0-9._-]");
        memcpy(h->name, s, n);
        h->name[n] = '\0';
        h->name_len = n;
        if ((rc = esgx_proto_json_hex(o, "owner", h->owner, 33, what, err)) ||
            (rc = esgx_proto_json_u63(o, "seq", 1, &h->seq, what, err)))
            return rc;
        h->by_name = 1;
    }
    json_t *sealed = json_object_get(o, "sealed");
    if (sealed && !json_is_true(sealed))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "header line: member 'sealed' is not true (leave it out instead)");
    h->sealed = sealed != NULL;
    return ESGX_OK;
}

int esgx_proto_parse_header(const char *line, size_t len, esgx_proto_header *out,
                            uint8_t *tree, size_t tree_cap, esgx_err *err)
{
    if (!line || !out || (!tree && tree_cap))
        return esgx_err_set(err, ESGX_PROTO_E_ARG, "header line: NULL argument");
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "header line: not JSON (%s at %d)", je.text,
                            je.position);
    int rc = parse(o, out, tree, tree_cap, err);
    json_decref(o);
    return rc;
}
