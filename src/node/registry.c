/*
 * registry.c: the function registry of esgxd (SQLite, DIR/registry.db).
 *
 * One table: functions(name TEXT PRIMARY KEY, hash TEXT, decrypt INTEGER, created
 * INTEGER). WAL journal with synchronous=FULL, so an acknowledged deploy survives a
 * crash. A single connection guarded by one mutex: deploys are rare and the invocation
 * path by hash (/services/3) never touches SQLite; POST /functions/{name} does one
 * primary-key lookup with a prepared statement.
 */
#include "node.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sqlite3 *g_db;
static sqlite3_stmt *g_get, *g_put, *g_del, *g_list, *g_exists;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static int db_err(esgx_err *err, const char *what)
{
    return esgx_err_set(err, ESGX_NODE_E_DB, "registry %s: %s", what, sqlite3_errmsg(g_db));
}

int registry_open(const char *data_dir, esgx_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/registry.db", data_dir) >= (int)sizeof path)
        return esgx_err_set(err, ESGX_NODE_E_ARG, "data dir path too long");
    if (sqlite3_open_v2(path, &g_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                         SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = esgx_err_set(err, ESGX_NODE_E_DB, "open %s: %s", path,
                              g_db ? sqlite3_errmsg(g_db) : "out of memory");
        sqlite3_close(g_db);
        g_db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(g_db, 5000);
    const char *setup =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE IF NOT EXISTS functions("
        " name TEXT PRIMARY KEY NOT NULL,"
        " hash TEXT NOT NULL,"
        " decrypt INTEGER NOT NULL,"
        " created INTEGER NOT NULL);";
    if (sqlite3_exec(g_db, setup, NULL, NULL, NULL) != SQLITE_OK) return db_err(err, "setup");
    if (sqlite3_prepare_v2(g_db, "SELECT hash, decrypt, created FROM functions WHERE name=?1",
                           -1, &g_get, NULL) ||
        sqlite3_prepare_v2(g_db,
                           "INSERT OR REPLACE INTO functions(name, hash, decrypt, created)"
                           " VALUES(?1, ?2, ?3, ?4)",
                           -1, &g_put, NULL) ||
        sqlite3_prepare_v2(g_db, "DELETE FROM functions WHERE name=?1", -1, &g_del, NULL) ||
        sqlite3_prepare_v2(g_db, "SELECT name, hash, decrypt, created FROM functions ORDER BY name",
                           -1, &g_list, NULL) ||
        sqlite3_prepare_v2(g_db, "SELECT 1 FROM functions WHERE name=?1", -1, &g_exists, NULL))
        return db_err(err, "prepare");
    return ESGX_OK;
}

void registry_close(void)
{
    pthread_mutex_lock(&g_mu);
    sqlite3_finalize(g_get);
    sqlite3_finalize(g_put);
    sqlite3_finalize(g_del);
    sqlite3_finalize(g_list);
    sqlite3_finalize(g_exists);
    sqlite3_close(g_db);
    g_db = NULL;
    g_get = g_put = g_del = g_list = g_exists = NULL;
    pthread_mutex_unlock(&g_mu);
}

int registry_put(const char *name, const char *hash_hex, int decrypt, int *replaced,
                 esgx_err *err)
{
    int rc = ESGX_OK;
    pthread_mutex_lock(&g_mu);
    sqlite3_bind_text(g_exists, 1, name, -1, SQLITE_TRANSIENT);
    *replaced = sqlite3_step(g_exists) == SQLITE_ROW;
    sqlite3_reset(g_exists);
    sqlite3_bind_text(g_put, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(g_put, 2, hash_hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(g_put, 3, decrypt ? 1 : 0);
    sqlite3_bind_int64(g_put, 4, (sqlite3_int64)time(NULL));
    if (sqlite3_step(g_put) != SQLITE_DONE) rc = db_err(err, "insert");
    sqlite3_reset(g_put);
    pthread_mutex_unlock(&g_mu);
    return rc;
}

int registry_get(const char *name, registry_fn *out, esgx_err *err)
{
    int rc;
    pthread_mutex_lock(&g_mu);
    sqlite3_bind_text(g_get, 1, name, -1, SQLITE_TRANSIENT);
    int s = sqlite3_step(g_get);
    if (s == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        snprintf(out->name, sizeof out->name, "%s", name);
        snprintf(out->hash, sizeof out->hash, "%s", (const char *)sqlite3_column_text(g_get, 0));
        out->decrypt = sqlite3_column_int(g_get, 1);
        out->created = sqlite3_column_int64(g_get, 2);
        rc = ESGX_OK;
    } else if (s == SQLITE_DONE) {
        rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no function named '%s'", name);
    } else {
        rc = db_err(err, "lookup");
    }
    sqlite3_reset(g_get);
    pthread_mutex_unlock(&g_mu);
    return rc;
}

int registry_delete(const char *name, esgx_err *err)
{
    int rc = ESGX_OK;
    pthread_mutex_lock(&g_mu);
    sqlite3_bind_text(g_del, 1, name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(g_del) != SQLITE_DONE) rc = db_err(err, "delete");
    else if (sqlite3_changes(g_db) == 0)
        rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no function named '%s'", name);
    sqlite3_reset(g_del);
    pthread_mutex_unlock(&g_mu);
    return rc;
}

int registry_list(registry_fn **out, size_t *count, esgx_err *err)
{
    int rc = ESGX_OK;
    size_t n = 0, cap = 16;
    registry_fn *v = malloc(cap * sizeof *v);
    if (!v) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "no memory");
    pthread_mutex_lock(&g_mu);
    int s;
    while ((s = sqlite3_step(g_list)) == SQLITE_ROW) {
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
        snprintf(v[n].name, sizeof v[n].name, "%s", (const char *)sqlite3_column_text(g_list, 0));
        snprintf(v[n].hash, sizeof v[n].hash, "%s", (const char *)sqlite3_column_text(g_list, 1));
        v[n].decrypt = sqlite3_column_int(g_list, 2);
        v[n].created = sqlite3_column_int64(g_list, 3);
        n++;
    }
    if (rc == ESGX_OK && s != SQLITE_DONE) rc = db_err(err, "list");
    sqlite3_reset(g_list);
    pthread_mutex_unlock(&g_mu);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *count = n;
    return ESGX_OK;
}
