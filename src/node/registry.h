/*
 * registry.h: the function registry of esgxd (registry.c): names -> (hash, decrypt,
 * logs). One API whichever store answers: SQLite (DIR/registry.db) for a node alone,
 * etcd (network.h) once the node is in a network (esgx_registry_use_network).
 */
#ifndef ESGX_NODE_REGISTRY_H
#define ESGX_NODE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

struct esgx_net;

typedef struct registry_fn {
    char name[65];
    char hash[65];                 /* 64 lowercase hex */
    int decrypt;
    int logs;                      /* keep the guest's debug output (deploy "logs") */
    int64_t created;               /* unix seconds */
} registry_fn;

typedef struct registry registry;

/* Opens (creating) DATA_DIR/registry.db; *out is freed with esgx_registry_close. Returns 0,
 * ESGX_NODE_E_ARG (path too long), ESGX_NODE_E_DB or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_registry_open(const char *data_dir, registry **out, esgx_err *err);
/* From now on r answers from the network's registry on etcd instead of SQLite (net must
 * outlive r; NULL: SQLite again). Call before anyone else uses r. */
void esgx_registry_use_network(registry *r, struct esgx_net *net);
/* Closes r (NULL allowed). No call may be running. */
void esgx_registry_close(registry *r);

/* Inserts or replaces name -> (hash, decrypt, logs) with created = now (etcd: created
 * kept from an existing record). *replaced = 1 if the name existed. Returns 0,
 * ESGX_NODE_E_DB, or the network's codes (ESGX_NODE_E_ETCD, ESGX_NODE_E_CONFLICT, ...). */
ESGX_MUST_CHECK int esgx_registry_put(registry *r, const char *name, const char *hash_hex,
                                 int decrypt, int logs, int *replaced, esgx_err *err);

/* Looks name up into *out. Returns 0, ESGX_NODE_E_NOTFOUND, ESGX_NODE_E_DB or the
 * network's codes. */
ESGX_MUST_CHECK int esgx_registry_get(registry *r, const char *name, registry_fn *out,
                                 esgx_err *err);

/* Deletes name. Returns 0, ESGX_NODE_E_NOTFOUND, ESGX_NODE_E_DB or the network's codes. */
ESGX_MUST_CHECK int esgx_registry_delete(registry *r, const char *name, esgx_err *err);

/* Lists all functions ordered by name into a malloc'ed array (*out, *count; caller
 * frees). Returns 0, ESGX_NODE_E_NOMEM, ESGX_NODE_E_DB or the network's codes. */
ESGX_MUST_CHECK int esgx_registry_list(registry *r, registry_fn **out, size_t *count,
                                  esgx_err *err);

#endif
