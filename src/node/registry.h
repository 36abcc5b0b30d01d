/*
 * registry.h: the function registry of esgxd (registry.c): names -> signed name records
 * (names.h esgx_fn_entry: the record as stored, a pending transfer, the logs flag). One
 * API whichever store answers: SQLite (DIR/registry.db) for a node alone, etcd
 * (network.h) once the node is in a network (esgx_registry_use_network).
 */
#ifndef ESGX_NODE_REGISTRY_H
#define ESGX_NODE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"
#include "names.h"

struct esgx_net;

typedef esgx_fn_entry registry_fn;

typedef struct registry registry;

/* Opens (creating) DATA_DIR/registry.db; *out is freed with esgx_registry_close. Returns 0,
 * ESGX_NODE_E_ARG (path too long), ESGX_NODE_E_DB or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_registry_open(const char *data_dir, registry **out, esgx_err *err);
/* From now on r answers from the network's registry on etcd instead of SQLite (net must
 * outlive r; NULL: SQLite again). Call before anyone else uses r. */
void esgx_registry_use_network(registry *r, struct esgx_net *net);
/* Closes r (NULL allowed). No call may be running. */
void esgx_registry_close(registry *r);

/* Reads the entry of name, lets decide (names.h) make the next one from it and writes
 * that, as one atomic step (SQLite: under the registry's lock; etcd: a transaction on
 * the key's revision, retried when another node changed it meanwhile). created is kept
 * from the stored entry (now for a new one). *replaced = 1 if the name existed.
 * Returns 0, decide's code (nothing written), ESGX_NODE_E_DB, ESGX_NODE_E_NOMEM or the
 * network's codes (ESGX_NODE_E_ETCD, ESGX_NODE_E_CONFLICT, ...). */
ESGX_MUST_CHECK int esgx_registry_update(registry *r, const char *name, esgx_fn_decide decide,
                                         void *arg, int *replaced, esgx_err *err);

/* Looks name up into *out (free with esgx_fn_entry_clear); in a network from the
 * watched view (network.h esgx_net_fn_get: never waits long on etcd). Returns 0,
 * ESGX_NODE_E_NOTFOUND, ESGX_NODE_E_DB or the network's codes. */
ESGX_MUST_CHECK int esgx_registry_get(registry *r, const char *name, registry_fn *out,
                                 esgx_err *err);

/* 0 when a write (update, delete) may be tried now: always for SQLite; in a network
 * while etcd is healthy, else ESGX_NODE_E_ETCD with err saying etcd is unreachable
 * (network.h esgx_net_writable). For a route that would do slow work before writing. */
ESGX_MUST_CHECK int esgx_registry_writable(registry *r, esgx_err *err);

/* Deletes name. Returns 0, ESGX_NODE_E_NOTFOUND, ESGX_NODE_E_DB or the network's codes. */
ESGX_MUST_CHECK int esgx_registry_delete(registry *r, const char *name, esgx_err *err);

/* Lists all functions ordered by name into a malloc'ed array (*out, *count; free with
 * esgx_registry_list_free). Returns 0, ESGX_NODE_E_NOMEM, ESGX_NODE_E_DB or the
 * network's codes. */
ESGX_MUST_CHECK int esgx_registry_list(registry *r, registry_fn **out, size_t *count,
                                  esgx_err *err);

/* Frees a list of esgx_registry_list (v may be NULL). */
void esgx_registry_list_free(registry_fn *v, size_t count);

#endif
