/*
 * names.h: owned, signed function names on the node (names.c; docs/formats.md "Name
 * records", docs/http-api.md PUT /functions/{name}). Internal to esgxd.
 *
 * What the registry stores for a name is an esgx_fn_entry: the name's signed record as
 * its canonical JSON (what GET /functions/NAME serves byte for byte), a pending transfer
 * (signed by the record's owner, waiting for the new owner's first deploy) and the
 * node's own metadata (logs flag, created), which is kept beside the record and never
 * inside it. The same entry lives in SQLite (columns) and in etcd (one JSON value
 * {"record":{..},"transfer":{..},"logs":true,"created":N,"updated":N}, the record's and
 * the transfer's bytes copied raw).
 *
 * A deploy and a transfer are decided here (esgx_names_deploy_decide,
 * esgx_names_transfer_decide) against what is stored, inside the store's
 * read-compare-write (registry.h esgx_registry_update), so two deploys racing cannot
 * both win: a record must verify for this network and name (the caller checks that
 * before), have a greater seq than the stored record and any pending transfer, and be
 * signed by the stored owner, or by the key a pending transfer goes to. The node then
 * keeps the transfer chain itself: the stored record's transfers plus the pending
 * transfer it consumed (what a deploy body carries in "transfers" is ignored).
 */
#ifndef ESGX_NODE_NAMES_H
#define ESGX_NODE_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"
#include "esgx_crypto.h"
#include "http_problem.h"   /* why a deploy or transfer is refused (status 0: none) */

/* One function of the registry. */
typedef struct esgx_fn_entry {
    char name[65];
    char hash[65];                 /* the record's module hash (64 hex); "" when there is
                                      no record or it does not parse */
    int encrypted;                 /* the record's encrypted flag (the EXEC's decrypt) */
    int logs;                      /* keep the guest's debug output (deploy "logs") */
    int64_t created, updated;      /* unix seconds (node metadata) */
    uint64_t seq;                  /* the record's seq (0: none) */
    char owner[67];                /* the record's owner in hex ("" : none) */
    char *record;                  /* malloc'ed record JSON as stored; NULL for an entry
                                      made before names were signed (never invoked) */
    char *transfer;                /* malloc'ed pending transfer JSON, or NULL */
    int64_t rev;                   /* in a network's view: etcd mod revision of the
                                      entry (network.c orders changes by it); else 0 */
} esgx_fn_entry;

/* Frees e's strings and zeroes it (a zeroed e is fine). */
void esgx_fn_entry_clear(esgx_fn_entry *e);

/* *dst = a deep copy of *src. Returns 0 or ESGX_NODE_E_NOMEM (dst zeroed). */
ESGX_MUST_CHECK int esgx_fn_entry_copy(esgx_fn_entry *dst, const esgx_fn_entry *src);

/* Sets e->hash, encrypted, seq and owner from e->record (cleared when there is none or
 * it does not parse). */
void esgx_fn_entry_derive(esgx_fn_entry *e);

/* The etcd value of e, updated = now (malloc'ed NUL-terminated JSON; NULL when out of
 * memory). The record and transfer bytes are copied raw. */
char *esgx_fn_entry_value(const esgx_fn_entry *e, int64_t now);

/* Parses an etcd value of functions/<name> into *out (zeroed first; free with
 * esgx_fn_entry_clear). A value from before signed names ({"hash","encrypted",...})
 * gives an entry without a record whose hash is that hash. Returns 0, ESGX_NODE_E_ARG
 * when the value is not such a JSON object (err says why) or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_fn_entry_from_value(const char *json, size_t len, const char *name,
                                             esgx_fn_entry *out, esgx_err *err);

/* The decision of one registry update: given the stored entry (NULL: none), fills *next
 * (zeroed by the caller; name and created are set by the store). Returns 0 to write
 * *next, or a code to write nothing (the store returns that code). */
typedef int (*esgx_fn_decide)(void *arg, const esgx_fn_entry *old, esgx_fn_entry *next,
                              esgx_err *err);

/* A deploy: rec already verified against this network key and the URL's name. */
typedef struct esgx_names_deploy {
    const esgx_name_record *rec;
    const uint8_t *network;        /* the node's network key (33): the stored record must
                                      verify against it too */
    int logs;
    http_problem p;          /* the refusal (status 0: none), set by the decision */
} esgx_names_deploy;

/* An esgx_fn_decide for a deploy (arg: esgx_names_deploy). Refuses with
 * ESGX_NODE_E_ARG and d->p filled: 409 name_owned (another owner, or a transfer to
 * another key is pending), 409 stale_seq (seq not above the stored record's or the
 * pending transfer's), 409 bad_stored_record (what is stored does not parse or verify:
 * an admin deletes the name), 409 too_many_transfers. */
int esgx_names_deploy_decide(void *arg, const esgx_fn_entry *old, esgx_fn_entry *next,
                             esgx_err *err);

/* A transfer of the name (t verified by the caller for this network and name). */
typedef struct esgx_names_transfer {
    const esgx_name_transfer *t;
    const uint8_t *network;        /* the node's network key (33) */
    const char *name;
    http_problem p;
} esgx_names_transfer;

/* An esgx_fn_decide for a transfer (arg: esgx_names_transfer): the stored record's
 * owner must have signed it and its seq be above the record's and any pending
 * transfer's; it becomes the pending transfer (replacing an earlier one). Refusals as
 * the deploy's, and 404 unknown_function when the name is not deployed, 409
 * unsigned_function for an entry without a record. */
int esgx_names_transfer_decide(void *arg, const esgx_fn_entry *old, esgx_fn_entry *next,
                               esgx_err *err);

/* The canonical JSON of one transfer, {"seq":N,"from":"..","to":"..","signature":".."}
 * (the form of a record's "transfers" members) into buf (cap >= 320). Returns its
 * length, or 0 when it does not fit. */
size_t esgx_names_transfer_format(const esgx_name_transfer *t, char *buf, size_t cap);

/* The record of entry e for an invocation of the function name: parsed into *out and
 * named name. Returns 0, or ESGX_NODE_E_ARG with err saying why ("function 'pay' has no
 * signed record ...", "the stored record of function 'pay' does not parse: ...", "the
 * stored record of function 'pay' is for function 'other'"). */
ESGX_MUST_CHECK int esgx_names_record_for(const esgx_fn_entry *e, const char *name,
                                          esgx_name_record *out, esgx_err *err);

#endif
