/*
 * etcd.h: a client of etcd's v3 API through its JSON gateway (POST /v3/kv/range,
 * /v3/kv/put, /v3/kv/txn, /v3/kv/deleterange, /v3/lease/grant|keepalive|revoke,
 * /v3/watch), on the node's HTTP client. Keys are text relative to the client's prefix
 * (e.g. prefix "/esgx/" + key "functions/hello"); values are bytes.
 *
 * Several endpoints may be given: a call goes to the last endpoint that answered and
 * moves on to the next on a transport failure, a timeout or a 5xx, so losing one etcd
 * member is invisible to callers. Every call is bounded in time: one deadline for the
 * whole call (the client's timeout), shared evenly by the endpoints still to try, with
 * a short connect timeout each; a hung member costs a share of it, not a timeout.
 * etcd is untrusted storage: nothing secret is ever written through this client.
 */
#ifndef ESGX_NODE_ETCD_H
#define ESGX_NODE_ETCD_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

typedef struct esgx_etcd esgx_etcd;

typedef struct esgx_etcd_kv {
    char *key;                 /* relative to the prefix, NUL-terminated */
    uint8_t *value;            /* NUL-terminated too (not counted in value_len) */
    size_t value_len;
    int64_t create_rev, mod_rev, lease;
} esgx_etcd_kv;

/* Makes a client for endpoints ("http://h:p[,http://h:p...]") and prefix (non-empty,
 * e.g. "/esgx/"); timeout_ms is each call's deadline, over all its endpoints (0 =
 * 3000). No connection is made.
 * ESGX_NODE_E_ARG for an empty list, an endpoint that is not http(s)://, or a bad
 * prefix. */
ESGX_MUST_CHECK int esgx_etcd_new(const char *endpoints, const char *prefix,
                                  unsigned timeout_ms, esgx_etcd **out, esgx_err *err);
void esgx_etcd_free(esgx_etcd *e);

/* The prefix given to esgx_etcd_new. */
const char *esgx_etcd_prefix(const esgx_etcd *e);

/* Reads key. ESGX_NODE_E_NOTFOUND when absent; ESGX_NODE_E_ETCD when no endpoint
 * answered. *out is filled (free with esgx_etcd_kv_clear). */
ESGX_MUST_CHECK int esgx_etcd_get(esgx_etcd *e, const char *key, esgx_etcd_kv *out,
                                  esgx_err *err);

/* esgx_etcd_get with a deadline of timeout_ms (0: the client's) instead of the
 * client's: for reads a request thread makes, which must not wait long. */
ESGX_MUST_CHECK int esgx_etcd_get_within(esgx_etcd *e, const char *key, unsigned timeout_ms,
                                         esgx_etcd_kv *out, esgx_err *err);

/* The monotonic time (esgx_monotonic_ms) at which an endpoint last answered a call
 * (any answer below HTTP 500, also a refusal; 0: never). Safe from any thread. */
uint64_t esgx_etcd_last_ok_ms(const esgx_etcd *e);

/* How many calls this client has made (watches not counted). Safe from any thread. */
uint64_t esgx_etcd_requests(const esgx_etcd *e);

/* Makes the client try first the endpoint chosen by a hash of seed (a node's id), so
 * the nodes of a network spread their watches and calls over the members instead of
 * all using the first of the same --etcd list. Call before any call or watch. */
void esgx_etcd_spread(esgx_etcd *e, const char *seed);

/* How often the watch was cut because a call failed on the member it was on (a hung
 * member keeps the stream open but sends nothing). Safe from any thread. */
uint64_t esgx_etcd_watch_cuts(const esgx_etcd *e);

/* Reads every key that starts with key_prefix, in key order, at most limit (0 = all).
 * *kvs (free with esgx_etcd_kvs_free) and *n; *revision (if non-NULL) is the store's
 * revision of the read, to start a watch from without missing a change. */
ESGX_MUST_CHECK int esgx_etcd_list(esgx_etcd *e, const char *key_prefix, size_t limit,
                                   esgx_etcd_kv **kvs, size_t *n, int64_t *revision,
                                   esgx_err *err);

/* Writes key = value, attached to lease (0 = none). */
ESGX_MUST_CHECK int esgx_etcd_put(esgx_etcd *e, const char *key, const void *value,
                                  size_t len, int64_t lease, esgx_err *err);

/* Writes key = value only if key's mod revision is still mod_rev (0: only if key does
 * not exist): one etcd transaction. ESGX_NODE_E_CONFLICT when the compare failed. */
ESGX_MUST_CHECK int esgx_etcd_put_if(esgx_etcd *e, const char *key, const void *value,
                                     size_t len, int64_t mod_rev, int64_t lease,
                                     esgx_err *err);

/* esgx_etcd_put_if that also gives the revision of the write (*rev, if non-NULL, set
 * on success). */
ESGX_MUST_CHECK int esgx_etcd_put_if_rev(esgx_etcd *e, const char *key, const void *value,
                                         size_t len, int64_t mod_rev, int64_t lease,
                                         int64_t *rev, esgx_err *err);

/* Deletes key; with mod_rev > 0 only if its mod revision is still mod_rev
 * (ESGX_NODE_E_CONFLICT otherwise). Deleting an absent key without mod_rev is
 * ESGX_NODE_E_NOTFOUND. With prefix non-zero, deletes every key under key. */
ESGX_MUST_CHECK int esgx_etcd_delete(esgx_etcd *e, const char *key, int64_t mod_rev,
                                     int prefix, esgx_err *err);
/* esgx_etcd_delete that also gives the revision of the delete (*rev, if non-NULL, set on
 * success). */
ESGX_MUST_CHECK int esgx_etcd_delete_rev(esgx_etcd *e, const char *key, int64_t mod_rev,
                                         int prefix, int64_t *rev, esgx_err *err);

/* Leases: grant one of ttl seconds (*id), keep it alive once (ESGX_NODE_E_NOTFOUND
 * when it has expired), revoke it (its keys go). */
ESGX_MUST_CHECK int esgx_etcd_lease_grant(esgx_etcd *e, unsigned ttl, int64_t *id,
                                          esgx_err *err);
ESGX_MUST_CHECK int esgx_etcd_lease_keepalive(esgx_etcd *e, int64_t id, esgx_err *err);
ESGX_MUST_CHECK int esgx_etcd_lease_revoke(esgx_etcd *e, int64_t id, esgx_err *err);

/* A watch event: is_delete, and the key-value (value empty for a delete). Returns 0
 * to go on watching, non-zero to end the watch. */
typedef int (*esgx_etcd_watch_fn)(void *arg, int is_delete, const esgx_etcd_kv *kv);

/* Watches every key under key_prefix from revision start_rev (the revision after a
 * list, so nothing is missed), calling fn for each event in order, until fn returns
 * non-zero (ESGX_OK), *stop is set (ESGX_NODE_E_ABORTED), or the stream breaks
 * (ESGX_NODE_E_ETCD: the caller lists again and rewatches). Blocks; run it in a
 * thread of its own. *next_rev (if non-NULL) is the revision to resume from. */
ESGX_MUST_CHECK int esgx_etcd_watch(esgx_etcd *e, const char *key_prefix, int64_t start_rev,
                                    esgx_etcd_watch_fn fn, void *arg,
                                    const _Atomic int *stop, int64_t *next_rev,
                                    esgx_err *err);

void esgx_etcd_kv_clear(esgx_etcd_kv *kv);
void esgx_etcd_kvs_free(esgx_etcd_kv *kvs, size_t n);

#endif
