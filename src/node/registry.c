/*
 * registry.c: the function registry of esgxd (registry.h): SQLite (DIR/registry.db) for
 * a node alone, etcd for a node in a network. The HTTP routes call one API and never
 * ask which store answers; with a network attached (esgx_registry_use_network) every
 * call goes to the network's registry (network.h, functions/<name> in etcd). Both hold
 * the same esgx_fn_entry (names.h): the signed record as its canonical JSON, served byte
 * for byte, with the node's metadata beside it.
 *
 * SQLite:
 * One table: functions(name TEXT PRIMARY KEY, hash TEXT, decrypt INTEGER, created
 * INTEGER, logs INTEGER DEFAULT 0, record TEXT, transfer TEXT); record is the signed
 * record (hash and decrypt repeat its module hash and encrypted flag, for reading
 * with sqlite3), transfer a pending transfer. A database from before a column gets it
 * when opened (ALTER TABLE; older functions keep logs off and have no record: they
 * cannot be invoked by name until deployed again). WAL journal with synchronous=FULL,
 * so an acknowledged deploy survives a crash. A single connection guarded by one mutex:
 * deploys are rare and the invocation path by hash (/services/3) never touches SQLite;
 * POST /functions/{name} does one primary-key lookup with a prepared statement. A deploy
 * reads, decides (names.h) and writes under that mutex. Connection, statements and
 * mutex live in the registry object.
 *
 * In a network, lookups and the list answer from the node's watched view of etcd and
 * never wait on etcd for long; writes are refused at once (ESGX_NODE_E_ETCD) while etcd
 * is unhealthy (network.h esgx_net_fn_get, esgx_net_writable).
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
    sqlite3_stmt *get, *put, *del, *list;
    pthread_mutex_t mu;
    esgx_net *net;                 /* set: the network's registry answers instead */
};

void esgx_registry_use_network(registry *r, esgx_net *net)
{
    r->net = net;
}

/* ---------------------------------------------------------------- on SQLite */

static int db_err(registry *r, esgx_err *err, const char *what)
{
    return esgx_err_set(err, ESGX_NODE_E_DB, "registry %s: %s", what, sqlite3_errmsg(r->db));
}

/* Adds column `col` (declared decl) to a table made before it existed. SQLITE_OK or
 * the error. */
static int add_column(registry *r, const char *col, const char *decl)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(r->db, "SELECT 1 FROM pragma_table_info('functions')"
                                       " WHERE name=?1", -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    sqlite3_bind_text(st, 1, col, -1, SQLITE_STATIC);
    int s = sqlite3_step(st);
    sqlite3_finalize(st);
    if (s == SQLITE_ROW) return SQLITE_OK;
    if (s != SQLITE_DONE) return s;
    char sql[160];
    snprintf(sql, sizeof sql, "ALTER TABLE functions ADD COLUMN %s %s", col, decl);
    return sqlite3_exec(r->db, sql, NULL, NULL, NULL);
}

/* The row at the current step of st (columns name, hash, decrypt, created, logs,
 * record, transfer) into *out. 0 or ESGX_NODE_E_NOMEM. */
static int row_entry(sqlite3_stmt *st, registry_fn *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(out->hash, sizeof out->hash, "%s", (const char *)sqlite3_column_text(st, 1));
    out->encrypted = sqlite3_column_int(st, 2);
    out->created = out->updated = sqlite3_column_int64(st, 3);
    out->logs = sqlite3_column_int(st, 4);
    const char *rec = (const char *)sqlite3_column_text(st, 5);
    const char *tr = (const char *)sqlite3_column_text(st, 6);
    out->record = rec ? strdup(rec) : NULL;
    out->transfer = tr ? strdup(tr) : NULL;
    if ((rec && !out->record) || (tr && !out->transfer)) {
        esgx_fn_entry_clear(out);
        return ESGX_NODE_E_NOMEM;
    }
    esgx_fn_entry_derive(out);
    return ESGX_OK;
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
    else if (add_column(r, "logs", "INTEGER NOT NULL DEFAULT 0") != SQLITE_OK ||
             add_column(r, "record", "TEXT") != SQLITE_OK ||
             add_column(r, "transfer", "TEXT") != SQLITE_OK)
        rc = db_err(r, err, "adding a column");
    else if (sqlite3_prepare_v2(r->db,
                                "SELECT name, hash, decrypt, created, logs, record, transfer"
                                " FROM functions WHERE name=?1",
                                -1, &r->get, NULL) ||
             sqlite3_prepare_v2(r->db,
                                "INSERT OR REPLACE INTO functions(name, hash, decrypt, created,"
                                " logs, record, transfer) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                -1, &r->put, NULL) ||
             sqlite3_prepare_v2(r->db, "DELETE FROM functions WHERE name=?1", -1, &r->del, NULL) ||
             sqlite3_prepare_v2(r->db,
                                "SELECT name, hash, decrypt, created, logs, record, transfer"
                                " FROM functions ORDER BY name",
                                -1, &r->list, NULL))
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
    sqlite3_close(r->db);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

/* The row of name into *out (0), ESGX_NODE_E_NOTFOUND, _DB or _NOMEM. Caller holds mu. */
static int db_get(registry *r, const char *name, registry_fn *out, esgx_err *err)
{
    int rc;
    sqlite3_bind_text(r->get, 1, name, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(r->get);
    if (s == SQLITE_ROW)
        rc = row_entry(r->get, out) ? esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory")
                                    : ESGX_OK;
    else if (s == SQLITE_DONE)
        rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no function named '%s'", name);
    else
        rc = db_err(r, err, "lookup");
    sqlite3_reset(r->get);
    return rc;
}

int esgx_registry_update(registry *r, const char *name, esgx_fn_decide decide, void *arg,
                         int *replaced, esgx_err *err)
{
    *replaced = 0;
    if (r->net) return esgx_net_fn_update(r->net, name, decide, arg, replaced, err);
    registry_fn old, next;
    memset(&next, 0, sizeof next);
    pthread_mutex_lock(&r->mu);
    int rc = db_get(r, name, &old, err);
    if (rc == ESGX_OK || rc == ESGX_NODE_E_NOTFOUND) {
        *replaced = rc == ESGX_OK;
        rc = decide(arg, *replaced ? &old : NULL, &next, err);
    }
    if (rc == ESGX_OK) {
        snprintf(next.name, sizeof next.name, "%s", name);
        next.created = *replaced ? old.created : (int64_t)time(NULL);
        sqlite3_bind_text(r->put, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(r->put, 2, next.hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(r->put, 3, next.encrypted ? 1 : 0);
        sqlite3_bind_int64(r->put, 4, (sqlite3_int64)next.created);
        sqlite3_bind_int(r->put, 5, next.logs ? 1 : 0);
        sqlite3_bind_text(r->put, 6, next.record, -1, SQLITE_TRANSIENT);   /* NULL: NULL */
        sqlite3_bind_text(r->put, 7, next.transfer, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(r->put) != SQLITE_DONE) rc = db_err(r, err, "insert");
        sqlite3_reset(r->put);
    }
    pthread_mutex_unlock(&r->mu);
    if (*replaced) esgx_fn_entry_clear(&old);
    esgx_fn_entry_clear(&next);
    return rc;
}

int esgx_registry_get(registry *r, const char *name, registry_fn *out, esgx_err *err)
{
    if (r->net) return esgx_net_fn_get(r->net, name, out, err);
    pthread_mutex_lock(&r->mu);
    int rc = db_get(r, name, out, err);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

int esgx_registry_writable(registry *r, esgx_err *err)
{
    return r->net ? esgx_net_writable(r->net, err) : ESGX_OK;
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
    if (r->net) return esgx_net_fn_list(r->net, out, count, err);
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
        if (row_entry(r->list, &v[n])) {
            rc = esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory");
            break;
        }
        n++;
    }
    if (rc == ESGX_OK && s != SQLITE_DONE) rc = db_err(r, err, "list");
    sqlite3_reset(r->list);
    pthread_mutex_unlock(&r->mu);
    if (rc) {
        esgx_registry_list_free(v, n);
        return rc;
    }
    *out = v;
    *count = n;
    return ESGX_OK;
}

void esgx_registry_list_free(registry_fn *v, size_t count)
{
    for (size_t i = 0; v && i < count; i++) esgx_fn_entry_clear(&v[i]);
    free(v);
}
