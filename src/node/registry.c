/*
 * registry.c: the function registry of esgxd (registry.h): SQLite (DIR/registry.db) for
 * a node alone, etcd for a node in a network. The HTTP routes call one API and never
 * ask which store answers; with a network attached (esgx_registry_use_network) every
 * call goes to the network's registry (network.h, functions/<name> in etcd) and its
 * records are converted to registry_fn here.
 *
 * SQLite:
 * One table: functions(name TEXT PRIMARY KEY, hash TEXT, decrypt INTEGER, created
 * INTEGER, logs INTEGER DEFAULT 0); a database from before the logs column gets it
 * when opened (ALTER TABLE, its functions keep logs off). WAL journal with synchronous=FULL, so an acknowledged deploy survives a
 * crash. A single connection guarded by one mutex: deploys are rare and the invocation
 * path by hash (/services/3) never touches SQLite; POST /functions/{name} does one
 * primary-key lookup with a prepared statement. Connection, statements and mutex live in
 * the registry object.
 */
#include "registry.h"
#include "network.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct registry {
    sqlite3 *db;
    sqlite3_stmt *get, *put, *del, *list, *exists;
    pthread_mutex_t mu;
    esgx_net *net;                 /* set: the network's registry answers instead */
};

/* ---------------------------------------------------------------- on etcd */

static void fn_from_net(const esgx_net_fn *n, registry_fn *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", n->name);
    snprintf(out->hash, sizeof out->hash, "%s", n->hash);
    out->decrypt = n->encrypted;
    out->logs = n->logs;
    out->created = n->created;
}

static int net_get(esgx_net *net, const char *name, registry_fn *out, esgx_err *err)
{
    esgx_net_fn f;
    int rc = esgx_net_fn_get(net, name, &f, err);
    if (rc == ESGX_OK) fn_from_net(&f, out);
    return rc;
}

static int net_list(esgx_net *net, registry_fn **out, size_t *n, esgx_err *err)
{
    esgx_net_fn *v;
    int rc = esgx_net_fn_list(net, &v, n, err);
    if (rc) return rc;
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out) {
        free(v);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < *n; i++) fn_from_net(&v[i], &(*out)[i]);
    free(v);
    return ESGX_OK;
}

void esgx_registry_use_network(registry *r, esgx_net *net)
{
    r->net = net;
}

/* ---------------------------------------------------------------- on SQLite */

static int db_err(registry *r, esgx_err *err, const char *what)
{
    return esgx_err_set(err, ESGX_NODE_E_DB, "registry %s: %s", what, sqlite3_errmsg(r->db));
}

/* Adds the logs column to a table made before it existed. SQLITE_OK or the error. */
static int add_logs_column(registry *r)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db, "SELECT 1 FROM pragma_table_info('functions')"
                                       " WHERE name='logs'", -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    if (s == SQLITE_ROW) return SQLITE_OK;
    if (s != SQLITE_DONE) return s;
    return sqlite3_exec(r->db, "ALTER TABLE functions ADD COLUMN logs INTEGER NOT NULL DEFAULT 0",
                        NULL, NULL, NULL);
}

int esgx_registry_open(const char *data_dir, registry **out, esgx_err *err)
{
    *out = NULL;
    char path[4096];
    if (snprintf(path, sizeof path, "%s/registry.db", data_dir) >= (int)sizeof path)
        return esgx_err_set(err, ESGX_NODE_E_ARG, "data dir path too long");
    registry *r = calloc(1, sizeof *r);
    if (!r) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory for the registry");
    if (pthread_mutex_init(&r->mu, NULL)) {
        free(r);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "registry: cannot make a lock");
    }
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                          SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = esgx_err_set(err, ESGX_NODE_E_DB, "open %s: %s", path,
                              r->db ? sqlite3_errmsg(r->db) : "out of memory");
        esgx_registry_close(r);
        return rc;
    }
    sqlite3_busy_timeout(r->db, 5000);
    const char *setup =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS functions("
        " name TEXT PRIMARY KEY NOT NULL,"
        " hash TEXT NOT NULL,"
        " decrypt INTEGER NOT NULL,"
        " created INTEGER NOT NULL);";
    int rc = ESGX_OK;
    if (sqlite3_exec(r->db, setup, NULL, NULL, NULL) != SQLITE_OK) rc = db_err(r, err, "setup");
    else if (add_logs_column(r) != SQLITE_OK) rc = db_err(r, err, "adding the logs column");
    else if (sqlite3_prepare_v2(r->db,
                                "SELECT hash, decrypt, created, logs FROM functions WHERE name=?1",
                                -1, &r->get, NULL) ||
             sqlite3_prepare_v2(r->db,
                                "INSERT OR REPLACE INTO functions(name, hash, decrypt, created,"
                                " logs) VALUES(?1, ?2, ?3, ?4, ?5)",
                                -1, &r->put, NULL) ||
             sqlite3_prepare_v2(r->db, "DELETE FROM functions WHERE name=?1", -1, &r->del, NULL) ||
             sqlite3_prepare_v2(r->db,
                                "SELECT name, hash, decrypt, created, logs FROM functions"
                                " ORDER BY name",
                                -1, &r->list, NULL) ||
             sqlite3_prepare_v2(r->db, "SELECT 1 FROM functions WHERE name=?1", -1, &r->exists,
                                NULL))
        rc = db_err(r, err, "prepare");
    if (rc) {
        esgx_registry_close(r);
        return rc;
    }
    *out = r;
    return ESGX_OK;
}

void esgx_registry_close(registry *r)
{
    if (!r) return;
    sqlite3_finalize(r->get);
    sqlite3_finalize(r->put);
    sqlite3_finalize(r->del);
    sqlite3_finalize(r->list);
    sqlite3_finalize(r->exists);
    sqlite3_close(r->db);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int esgx_registry_put(registry *r, const char *name, const char *hash_hex, int decrypt, int logs,
                 int *replaced, esgx_err *err)
{
    if (r->net) return esgx_net_fn_put(r->net, name, hash_hex, decrypt, logs, replaced, err);
    int rc = ESGX_OK;
    pthread_mutex_lock(&r->mu);
    sqlite3_bind_text(r->exists, 1, name, -1, SQLITE_TRANSIENT);
    *replaced = sqlite3_step(r->exists) == SQLITE_ROW;
    sqlite3_reset(r->exists);
    sqlite3_bind_text(r->put, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(r->put, 2, hash_hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(r->put, 3, decrypt ? 1 : 0);
    sqlite3_bind_int64(r->put, 4, (sqlite3_int64)time(NULL));
    sqlite3_bind_int(r->put, 5, logs ? 1 : 0);
    if (sqlite3_step(r->put) != SQLITE_DONE) rc = db_err(r, err, "insert");
    sqlite3_reset(r->put);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int esgx_registry_get(registry *r, const char *name, registry_fn *out, esgx_err *err)
{
    if (r->net) return net_get(r->net, name, out, err);
    int rc;
    pthread_mutex_lock(&r->mu);
    sqlite3_bind_text(r->get, 1, name, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(r->get);
    if (s == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", name);
        snprintf(out->hash, sizeof out->hash, "%s", (const char *)sqlite3_column_text(r->get, 0));
        out->decrypt = sqlite3_column_int(r->get, 1);
        out->created = sqlite3_column_int64(r->get, 2);
        out->logs = sqlite3_column_int(r->get, 3);
        rc = ESGX_OK;
    } else if (s == SQLITE_DONE) {
        rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no function named '%s'", name);
    } else {
        rc = db_err(r, err, "lookup");
    }
    sqlite3_reset(r->get);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int esgx_registry_delete(registry *r, const char *name, esgx_err *err)
{
    if (r->net) return esgx_net_fn_delete(r->net, name, err);
    int rc = ESGX_OK;
    pthread_mutex_lock(&r->mu);
    sqlite3_bind_text(r->del, 1, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(r->del) != SQLITE_DONE) rc = db_err(r, err, "delete");
    else if (sqlite3_changes(r->db) == 0)
        rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no function named '%s'", name);
    sqlite3_reset(r->del);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int esgx_registry_list(registry *r, registry_fn **out, size_t *count, esgx_err *err)
{
    if (r->net) return net_list(r->net, out, count, err);
    int rc = ESGX_OK;
    size_t n = 0, cap = 16;
    registry_fn *v = malloc(cap * sizeof *v);
    if (!v) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory");
    pthread_mutex_lock(&r->mu);
    int s;
    while ((s = sqlite3_step(r->list)) == SQLITE_ROW) {
        if (n == cap) {
            registry_fn *nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv) {
                rc = esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory");
                break;
            }
            v = nv;
            cap *= 2;
        }
        memset(&v[n], 0, sizeof v[n]);
        snprintf(v[n].name, sizeof v[n].name, "%s", (const char *)sqlite3_column_text(r->list, 0));
        snprintf(v[n].hash, sizeof v[n].hash, "%s", (const char *)sqlite3_column_text(r->list, 1));
        v[n].decrypt = sqlite3_column_int(r->list, 2);
        v[n].created = sqlite3_column_int64(r->list, 3);
        v[n].logs = sqlite3_column_int(r->list, 4);
        n++;
    }
    if (rc == ESGX_OK && s != SQLITE_DONE) rc = db_err(r, err, "list");
    sqlite3_reset(r->list);
    pthread_mutex_unlock(&r->mu);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *count = n;
    return ESGX_OK;
}
