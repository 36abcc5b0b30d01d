/*
 * names.c: owned, signed function names on the node (names.h): the registry entry and its
 * etcd value, and the decisions of a deploy and a transfer against what is stored.
 *
 * Nothing here trusts the store: a stored record or transfer is parsed again (strictly,
 * lib/proto) each time a decision needs it, and one that does not parse refuses the
 * update instead of being overwritten (an admin deletes the name). Signatures of new
 * records and transfers are checked by the caller against the node's network key
 * before the decision runs; the decision checks ownership and sequence numbers, and
 * verifies the chain it writes (esgx_name_record_owner_chain), so the node never stores
 * a record whose chain a client would refuse.
 */
#include "names.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_proto.h"
#include "http_request.h"


/* ---------------------------------------------------------------- entries */

void esgx_fn_entry_clear(esgx_fn_entry *e)
{
    free(e->record);
    free(e->transfer);
    memset(e, 0, sizeof *e);
}

int esgx_fn_entry_copy(esgx_fn_entry *dst, const esgx_fn_entry *src)
{
    *dst = *src;
    dst->record = src->record ? strdup(src->record) : NULL;
    dst->transfer = src->transfer ? strdup(src->transfer) : NULL;
    if ((src->record && !dst->record) || (src->transfer && !dst->transfer)) {
        esgx_fn_entry_clear(dst);
        return ESGX_NODE_E_NOMEM;
    }
    return ESGX_OK;
}

void esgx_fn_entry_derive(esgx_fn_entry *e)
{
    if (!e->record) return;   /* an entry from before signed names keeps its hash */
    e->hash[0] = e->owner[0] = 0;
    e->encrypted = 0;
    e->seq = 0;
    esgx_name_record *r = malloc(sizeof *r);
    if (r && esgx_name_record_parse(e->record, strlen(e->record), r, NULL) == ESGX_OK) {
        esgx_crypto_hex_encode(r->module_hash, 32, e->hash);
        esgx_crypto_hex_encode(r->owner, 33, e->owner);
        e->encrypted = r->encrypted;
        e->seq = r->seq;
    }
    free(r);
}

char *esgx_fn_entry_value(const esgx_fn_entry *e, int64_t now)
{
    size_t cap = 160 + (e->record ? strlen(e->record) : 0) + (e->transfer ? strlen(e->transfer) : 0);
    char *s = malloc(cap);
    if (!s) return NULL;
    size_t n = 0;
    n += (size_t)snprintf(s + n, cap - n, "{\"record\":%s", e->record ? e->record : "null");
    if (e->transfer) n += (size_t)snprintf(s + n, cap - n, ",\"transfer\":%s", e->transfer);
    if (e->logs) n += (size_t)snprintf(s + n, cap - n, ",\"logs\":true");   /* absent = off */
    snprintf(s + n, cap - n, ",\"created\":%lld,\"updated\":%lld}", (long long)e->created,
             (long long)now);
    return s;
}

/* The raw bytes of member key of the object json[0..len) (a malloc'ed copy in *out),
 * or *out NULL when the member is absent or null. 0 or ESGX_NODE_E_NOMEM. */
static int raw_member(const char *json, size_t len, const char *key, char **out)
{
    size_t a, b;
    *out = NULL;
    if (esgx_json_member_span(json, len, key, &a, &b, NULL)) return ESGX_OK;
    if (b - a == 4 && !memcmp(json + a, "null", 4)) return ESGX_OK;
    *out = strndup(json + a, b - a);
    return *out ? ESGX_OK : ESGX_NODE_E_NOMEM;
}

int esgx_fn_entry_from_value(const char *json, size_t len, const char *name, esgx_fn_entry *out,
                             esgx_err *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(name) > 64) return esgx_err_set(err, ESGX_NODE_E_ARG, "name too long");
    json_error_t je;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return esgx_err_set(err, ESGX_NODE_E_ARG, "not a JSON object");
    }
    snprintf(out->name, sizeof out->name, "%s", name);
    out->logs = json_is_true(json_object_get(j, "logs"));
    out->created = json_integer_value(json_object_get(j, "created"));
    out->updated = json_integer_value(json_object_get(j, "updated"));
    int rc = ESGX_OK;
    if (json_object_get(j, "record")) {
        rc = raw_member(json, len, "record", &out->record);
        if (!rc) rc = raw_member(json, len, "transfer", &out->transfer);
        if (!rc) esgx_fn_entry_derive(out);
    } else {   /* before signed names: {"hash","encrypted",...}; never invoked by name */
        const char *h = json_string_value(json_object_get(j, "hash"));
        if (h && esgx_proto_hash_text_valid(h, strlen(h))) memcpy(out->hash, h, 65);
        out->encrypted = json_is_true(json_object_get(j, "encrypted"));
    }
    json_decref(j);
    if (rc) {
        esgx_fn_entry_clear(out);
        return esgx_err_set(err, rc, "out of memory");
    }
    return ESGX_OK;
}

/* ---------------------------------------------------------------- transfers */

size_t esgx_names_transfer_format(const esgx_name_transfer *t, char *buf, size_t cap)
{
    char from[67], to[67], sig[131];
    esgx_crypto_hex_encode(t->from, 33, from);
    esgx_crypto_hex_encode(t->to, 33, to);
    esgx_crypto_hex_encode(t->signature, sizeof t->signature, sig);
    int n = snprintf(buf, cap, "{\"seq\":%llu,\"from\":\"%s\",\"to\":\"%s\",\"signature\":\"%s\"}",
                     (unsigned long long)t->seq, from, to, sig);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The stored entry's record (and pending transfer, *has_pending) parsed. 0, or 409
 * bad_stored_record with p filled. */
static unsigned stored_state(const esgx_fn_entry *old, const uint8_t *network, esgx_name_record *s,
                             esgx_name_transfer *pt, int *has_pending, http_problem *p)
{
    esgx_err e;
    *has_pending = 0;
    if (esgx_name_record_parse(old->record, strlen(old->record), s, &e) ||
        esgx_name_record_verify(s, network, &e) ||
        (strcmp(s->name, old->name) && esgx_err_set(&e, ESGX_NODE_E_ARG, "it names '%s'", s->name)))
        return esgx_http_problem_set(p, 409, "bad_stored_record",
                                     "the stored record of function '%s' is not valid (%s); an "
                                     "admin must delete the name first", old->name, e.msg);
    if (!old->transfer) return 0;
    http_problem tp;
    if (esgx_http_parse_transfer((const uint8_t *)old->transfer, strlen(old->transfer), pt, &tp))
        return esgx_http_problem_set(p, 409, "bad_stored_record",
                                     "the pending transfer of function '%s' does not parse (%s); "
                                     "an admin must delete the name first", old->name, tp.msg);
    if (esgx_name_transfer_verify(network, old->name, strlen(old->name), pt, &e) ||
        (memcmp(pt->from, s->owner, 33) &&
         esgx_err_set(&e, ESGX_NODE_E_ARG, "not signed by the record's owner")))
        return esgx_http_problem_set(p, 409, "bad_stored_record",
                                     "the pending transfer of function '%s' is not valid (%s); an "
                                     "admin must delete the name first", old->name, e.msg);
    *has_pending = 1;
    return 0;
}

int esgx_names_deploy_decide(void *arg, const esgx_fn_entry *old, esgx_fn_entry *next,
                             esgx_err *err)
{
    esgx_names_deploy *d = arg;
    const esgx_name_record *rec = d->rec;
    esgx_name_record *s = calloc(2, sizeof *s);
    if (!s) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    esgx_name_record *fin = s + 1;
    *fin = *rec;
    fin->n_transfers = 0;
    memset(fin->transfers, 0, sizeof fin->transfers);
    http_problem *p = &d->p;
    char have[67], want[67];
    esgx_crypto_hex_encode(rec->owner, 33, have);
    if (old && old->record) {
        esgx_name_transfer pt;
        int pending;
        if (stored_state(old, d->network, s, &pt, &pending, p)) goto refused;
        const uint8_t *owner = pending ? pt.to : s->owner;
        uint64_t above = pending ? pt.seq : s->seq;
        esgx_crypto_hex_encode(owner, 33, want);
        if (memcmp(rec->owner, owner, 33)) {
            if (pending) {
                char from[67];
                esgx_crypto_hex_encode(s->owner, 33, from);
                esgx_http_problem_set(p, 409, "name_owned",
                                      "function '%s' is being transferred by its owner %s to %s; "
                                      "this record is signed by %s", rec->name, from, want, have);
            } else {
                esgx_http_problem_set(p, 409, "name_owned",
                                      "function '%s' is owned by %s; this record is "
                                      "signed by %s", rec->name, want, have);
            }
            goto refused;
        }
        if (rec->seq <= above) {
            esgx_http_problem_set(p, 409, "stale_seq",
                                  "record seq %llu of function '%s' is not above %s seq "
                                  "%llu", (unsigned long long)rec->seq, rec->name,
                                  pending ? "the pending transfer's" : "the stored record's",
                                  (unsigned long long)above);
            goto refused;
        }
        if (s->n_transfers + (size_t)pending > ESGX_NAME_MAX_TRANSFERS) {
            esgx_http_problem_set(p, 409, "too_many_transfers",
                                  "function '%s' has changed hands %d times already; an admin "
                                  "must delete the name", rec->name, ESGX_NAME_MAX_TRANSFERS);
            goto refused;
        }
        memcpy(fin->transfers, s->transfers, s->n_transfers * sizeof s->transfers[0]);
        fin->n_transfers = s->n_transfers;
        if (pending) fin->transfers[fin->n_transfers++] = pt;
    }
    esgx_err e;
    if (esgx_name_record_owner_chain(fin, fin->owner, &e)) {   /* what clients will check */
        esgx_http_problem_set(p, 409, "bad_stored_record",
                              "function '%s': the record with the stored transfer chain does not "
                              "verify (%s); an admin must delete the name", rec->name, e.msg);
        goto refused;
    }
    char *json = malloc(ESGX_NAME_RECORD_JSON_MAX);
    size_t len;
    if (!json || esgx_name_record_format(fin, json, ESGX_NAME_RECORD_JSON_MAX, &len, &e)) {
        free(json);
        free(s);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "cannot format the record");
    }
    free(s);
    next->record = json;
    next->logs = d->logs;
    esgx_fn_entry_derive(next);
    return ESGX_OK;
refused:
    free(s);
    return esgx_err_set(err, ESGX_NODE_E_ARG, "%s", p->msg);
}

int esgx_names_transfer_decide(void *arg, const esgx_fn_entry *old, esgx_fn_entry *next,
                               esgx_err *err)
{
    esgx_names_transfer *d = arg;
    const esgx_name_transfer *t = d->t;
    http_problem *p = &d->p;
    if (!old) {
        esgx_http_problem_set(p, 404, "unknown_function", "no function named '%s'", d->name);
        return esgx_err_set(err, ESGX_NODE_E_ARG, "%s", p->msg);
    }
    if (!old->record) {
        esgx_http_problem_set(p, 409, "unsigned_function",
                              "function '%s' has no signed record (deployed before names were "
                              "signed): deploy it with a signed record first", d->name);
        return esgx_err_set(err, ESGX_NODE_E_ARG, "%s", p->msg);
    }
    esgx_name_record *s = malloc(sizeof *s);
    if (!s) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    esgx_name_transfer pt;
    int pending, rc = ESGX_NODE_E_ARG;
    char owner[67], signer[67];
    if (stored_state(old, d->network, s, &pt, &pending, p)) goto out;
    esgx_crypto_hex_encode(s->owner, 33, owner);
    esgx_crypto_hex_encode(t->from, 33, signer);
    uint64_t above = pending && pt.seq > s->seq ? pt.seq : s->seq;
    if (memcmp(t->from, s->owner, 33))
        esgx_http_problem_set(p, 409, "name_owned",
                              "function '%s' is owned by %s; this transfer is signed "
                              "by %s", d->name, owner, signer);
    else if (t->seq <= above)
        esgx_http_problem_set(p, 409, "stale_seq",
                              "transfer seq %llu of function '%s' is not above seq %llu",
                              (unsigned long long)t->seq, d->name, (unsigned long long)above);
    else if (s->n_transfers >= ESGX_NAME_MAX_TRANSFERS)
        esgx_http_problem_set(p, 409, "too_many_transfers",
                              "function '%s' has changed hands %d times already; "
                              "an admin must delete the name", d->name, ESGX_NAME_MAX_TRANSFERS);
    else
        rc = ESGX_OK;
    if (rc) goto out;
    char buf[400];
    size_t n = esgx_names_transfer_format(t, buf, sizeof buf);
    if ((rc = esgx_fn_entry_copy(next, old)) == ESGX_OK) {
        free(next->transfer);
        next->transfer = n ? strdup(buf) : NULL;
        if (!next->transfer) rc = ESGX_NODE_E_NOMEM;
    }
    free(s);
    return rc ? esgx_err_set(err, rc, "out of memory") : ESGX_OK;
out:
    free(s);
    return esgx_err_set(err, ESGX_NODE_E_ARG, "%s", p->msg);
}

int esgx_names_record_for(const esgx_fn_entry *e, const char *name, esgx_name_record *out,
                          esgx_err *err)
{
    if (!e->record)
        return esgx_err_set(err, ESGX_NODE_E_ARG, "function '%s' has no signed record (deployed "
                            "before names were signed): deploy it again", name);
    esgx_err pe;
    if (esgx_name_record_parse(e->record, strlen(e->record), out, &pe))
        return esgx_err_set(err, ESGX_NODE_E_ARG, "the stored record of function '%s' does not "
                            "parse: %s", name, pe.msg);
    if (strcmp(out->name, name))
        return esgx_err_set(err, ESGX_NODE_E_ARG, "the stored record of function '%s' is for "
                            "function '%s'", name, out->name);
    return ESGX_OK;
}
