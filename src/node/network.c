/*
 * network.c: membership, the watched view of the network, the function registry and
 * the admin token on etcd (network.h). Content transfer and replication are in
 * replicate.c; both share struct esgx_net (network_internal.h).
 *
 * The view: one watch over the whole prefix feeds in-memory tables of members, node
 * records, functions, content items and holders. After a list at revision R the watch
 * starts at R+1, so no change falls between the two; when the stream breaks the view
 * is listed again. Readers take the view's mutex; every change signals `changed` (the
 * replicator and the upload acknowledgement wait on it).
 *
 * Membership: members/<id> carries a lease of lease_ttl seconds that the keeper renews
 * every third of it. The record says "store_ok": false while this node's store failed
 * lately (replicate.c), so that placement passes it over. When etcd stops answering the node reports itself unhealthy
 * (503 on /health) and keeps trying; a lease that expired meanwhile is granted again.
 * Health is judged by the age of etcd's last answer (any call, monotonic clock): more
 * than two thirds of the TTL means unhealthy, even while a keepalive is still waiting
 * on a hung member, so /health says 503 within the TTL however etcd fails.
 *
 * No request thread waits on etcd for long: name lookups read the view (a miss may read
 * etcd only while it is healthy, bounded in time, number and rate, with a negative
 * cache: network_internal.h NET_NAME_READS); writes are refused at once while etcd is
 * unhealthy and otherwise bounded by the client's deadline (etcd.c). A write made here
 * is applied to the view at once; every view entry of functions/ keeps its etcd
 * revision so a late watch event never rolls it back.
 *
 * The admin token (docs/security.md (Tokens and content in etcd)): etcd holds token_mac, the MAC of the
 * token's SHA-256 under k_admin, which only an enclave with the network key can make.
 * A node pins the first token_mac it sees (or the one it publishes, --init) in
 * DATA_DIR/token_mac and never takes another from etcd: a later change there is logged
 * and ignored. A presented token is valid iff this node's enclave makes the pinned MAC
 * from it; tokens that passed are remembered, so the enclave is asked once per token.
 */
#include "network_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "esgx_crypto.h"
#include "esgx_proto.h"

void esgx_net_log(esgx_net *n, int level, const char *fmt, ...)
{
    if (!n->cfg.log) return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    n->cfg.log(level, msg);
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* ---------------------------------------------------------------- view tables */

static void member_clear(net_member *m)
{
    free(m->json);
    memset(m, 0, sizeof *m);
}

/* Sets or removes (json NULL) id in a member table. */
static void members_set(net_members *t, const char *id, const char *json)
{
    size_t i = 0;
    while (i < t->n && strcmp(t->v[i].id, id)) i++;
    if (!json) {
        if (i < t->n) {
            member_clear(&t->v[i]);
            t->v[i] = t->v[--t->n];
        }
        return;
    }
    if (i == t->n) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 8;
            net_member *v = realloc(t->v, cap * sizeof *v);
            if (!v) return;
            t->v = v;
            t->cap = cap;
        }
        memset(&t->v[t->n], 0, sizeof t->v[0]);
        snprintf(t->v[t->n].id, sizeof t->v[0].id, "%s", id);
        t->n++;
    }
    net_member *m = &t->v[i];
    json_t *j = json_loads(json, 0, NULL);
    free(m->json);
    m->json = strdup(json);
    snprintf(m->url, sizeof m->url, "%s", json_string_value(json_object_get(j, "url")) ?: "");
    snprintf(m->peer, sizeof m->peer, "%s", json_string_value(json_object_get(j, "peer")) ?: "");
    m->store_bad = json_is_false(json_object_get(j, "store_ok"));
    json_decref(j);
}

/* A functions/<name> value (JSON text) into *out (names.h). 1 when it is such a value,
 * else 0 (*out zeroed). The one reader of these values: the view and the reads from
 * etcd. An entry whose record does not parse is kept (without a hash), so that its
 * name answers an error instead of falling back to an older view. */
static int fn_from_kv(const esgx_etcd_kv *kv, const char *name, esgx_net_fn *out)
{
    return esgx_fn_entry_from_value((const char *)kv->value, kv->value_len, name, out,
                                    NULL) == ESGX_OK;
}

/* Sets (json) or removes (NULL) name in the view, as of etcd revision rev (0: unknown);
 * a change older than the entry's revision is ignored. Caller holds mu. */
static void fns_set(esgx_net *n, const char *name, const char *json, int64_t rev)
{
    size_t i = 0;
    while (i < n->n_fns && strcmp(n->fns[i].name, name)) i++;
    if (i < n->n_fns && rev && n->fns[i].rev > rev) return;   /* a newer change is in */
    if (!json) {
        if (i < n->n_fns) {
            esgx_fn_entry_clear(&n->fns[i]);
            n->fns[i] = n->fns[--n->n_fns];
        }
        return;
    }
    esgx_net_fn f;
    if (esgx_fn_entry_from_value(json, strlen(json), name, &f, NULL)) {
        esgx_net_log(n, NET_LOG_WARN, "etcd: functions/%.64s is not a function entry; ignored",
                     name);
        return;
    }
    f.rev = rev;
    if (i == n->n_fns) {
        if (n->n_fns == n->cap_fns) {
            size_t cap = n->cap_fns ? 2 * n->cap_fns : 16;
            esgx_net_fn *v = realloc(n->fns, cap * sizeof *v);
            if (!v) {
                esgx_fn_entry_clear(&f);
                return;
            }
            n->fns = v;
            n->cap_fns = cap;
        }
        memset(&n->fns[n->n_fns++], 0, sizeof f);
    }
    esgx_fn_entry_clear(&n->fns[i]);
    n->fns[i] = f;
}

static int hash_of(const char *hex, uint8_t out[32])
{
    size_t n = 0;
    return strlen(hex) >= 64 && !esgx_crypto_hex_decode(hex, 64, out, 32, &n, NULL) && n == 32;
}

static void content_set(esgx_net *n, const char *hex, const char *json)
{
    uint8_t h[32];
    if (strlen(hex) != 64 || !hash_of(hex, h)) return;
    net_content *c = esgx_net_content_find(n, h);
    if (!json) {
        if (c) {
            free(c->origins);
            *c = n->content[--n->n_content];
        }
        return;
    }
    if (!c) {
        if (n->n_content == n->cap_content) {
            size_t cap = n->cap_content ? 2 * n->cap_content : 64;
            net_content *v = realloc(n->content, cap * sizeof *v);
            if (!v) return;
            n->content = v;
            n->cap_content = cap;
        }
        c = &n->content[n->n_content++];
        memset(c, 0, sizeof *c);
        memcpy(c->hash, h, 32);
    }
    json_t *j = json_loads(json, 0, NULL);
    c->size = (uint64_t)json_integer_value(json_object_get(j, "size"));
    free(c->origins);
    json_t *o = json_object_get(j, "origins");
    c->origins = json_array_size(o) ? json_dumps(o, JSON_COMPACT) : NULL;
    const char *auth = json_string_value(json_object_get(j, "auth"));
    c->has_auth = auth && strlen(auth) == 64 && hash_of(auth, c->auth);
    json_decref(j);
    esgx_net_repl_wake(n, h);
}

/* holders/<hash>/<id> = {"since": s, "proof": held_mac hex}. The proof is kept
 * unchecked: replicate.c has this node's enclave confirm it before the holder counts
 * (an entry without one never does). A changed proof is checked anew. */
static void holders_set(esgx_net *n, const char *rest, const char *json)
{
    uint8_t h[32], proof[32];
    if (strlen(rest) < 66 || rest[64] != '/' || !hash_of(rest, h)) return;
    const char *id = rest + 65;
    if (strlen(id) >= sizeof n->holders[0].id) return;
    size_t i = 0;
    while (i < n->n_holders && !(memcmp(n->holders[i].hash, h, 32) == 0 &&
                                 !strcmp(n->holders[i].id, id)))
        i++;
    esgx_net_repl_wake(n, h);
    if (!json) {
        if (i < n->n_holders) n->holders[i] = n->holders[--n->n_holders];
        return;
    }
    json_t *j = json_loads(json, 0, NULL);
    const char *p = json_string_value(json_object_get(j, "proof"));
    int has_proof = p && strlen(p) == 64 && hash_of(p, proof);
    json_decref(j);
    int fresh = i == n->n_holders;
    if (fresh) {
        if (n->n_holders == n->cap_holders) {
            size_t cap = n->cap_holders ? 2 * n->cap_holders : 64;
            net_holder *v = realloc(n->holders, cap * sizeof *v);
            if (!v) return;
            n->holders = v;
            n->cap_holders = cap;
        }
        memset(&n->holders[n->n_holders], 0, sizeof n->holders[0]);
        memcpy(n->holders[n->n_holders].hash, h, 32);
        snprintf(n->holders[n->n_holders].id, sizeof n->holders[0].id, "%s", id);
        n->n_holders++;
    }
    net_holder *x = &n->holders[i];
    if (!fresh && x->has_proof == has_proof && (!has_proof || !memcmp(x->proof, proof, 32)))
        return;
    x->has_proof = has_proof;
    if (has_proof) memcpy(x->proof, proof, 32);
    x->state = has_proof ? NET_HOLDER_UNCHECKED : NET_HOLDER_BAD;
}

/* Pins mac as the network's token_mac (DATA_DIR/token_mac: 64 hex and a newline,
 * temporary file, fsync, rename). Caller holds mu. Idempotent; ESGX_NODE_E_CONFLICT if
 * another MAC is pinned, ESGX_NODE_E_IO if the file cannot be written. */
static int pin_store(esgx_net *n, const uint8_t mac[32], esgx_err *err)
{
    if (n->have_pin)
        return esgx_crypto_equal(n->token_pin, mac, 32)
                   ? ESGX_OK
                   : esgx_err_set(err, ESGX_NODE_E_CONFLICT,
                                  "this node pinned another token_mac (%s) than its admin "
                                  "token's (DATA_DIR/admin.token belongs to another network?)",
                                  n->cfg.token_pin_path ? n->cfg.token_pin_path : "no file");
    const char *path = n->cfg.token_pin_path;
    if (path) {
        char hex[66], tmp[4200];
        esgx_crypto_hex_encode(mac, 32, hex);
        hex[64] = '\n';
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int bad = fd < 0 || write(fd, hex, 65) != 65 || fsync(fd);
        int e = errno;
        if (fd >= 0 && close(fd) && !bad) bad = 1, e = errno;
        if (!bad && rename(tmp, path)) bad = 1, e = errno;
        if (bad) {
            unlink(tmp);
            return esgx_err_set(err, ESGX_NODE_E_IO, "cannot write %s: %s", path, strerror(e));
        }
    }
    memcpy(n->token_pin, mac, 32);
    n->have_pin = 1;
    return ESGX_OK;
}

/* Reads the pinned token_mac, if this node has one. 0, or ESGX_NODE_E_IO naming the file. */
static int pin_load(esgx_net *n, esgx_err *err)
{
    const char *path = n->cfg.token_pin_path;
    if (!path || access(path, F_OK)) return ESGX_OK;
    uint8_t *data = NULL, mac[32];
    size_t len = 0;
    esgx_err e;
    if (esgx_file_read(path, 200, &data, &len, &e))
        return esgx_err_set(err, ESGX_NODE_E_IO, "%s", e.msg);
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) data[--len] = 0;
    int ok = len == 64 && hash_of((const char *)data, mac);
    free(data);
    if (!ok)
        return esgx_err_set(err, ESGX_NODE_E_IO, "%s must hold the 64 hex characters of the "
                                                 "network's token_mac", path);
    memcpy(n->token_pin, mac, 32);
    n->have_pin = 1;
    return ESGX_OK;
}

/* etcd's token_mac changed (value NULL: deleted). The first valid one a node without a
 * pin sees is pinned; any other is refused (logged once per value). Caller holds mu. */
static void token_seen(esgx_net *n, const char *value)
{
    uint8_t mac[32];
    if (!value) return;
    if (strlen(value) != 64 || !hash_of(value, mac)) {
        if (strcmp(n->token_warned, "malformed"))
            esgx_net_log(n, NET_LOG_WARN, "etcd: token_mac is not 64 hex characters; ignored");
        snprintf(n->token_warned, sizeof n->token_warned, "malformed");
        return;
    }
    if (!n->have_pin) {
        esgx_err err;
        if (pin_store(n, mac, &err))
            esgx_net_log(n, NET_LOG_ERROR, "cannot pin the network's token_mac: %s", err.msg);
        else
            esgx_net_log(n, NET_LOG_INFO, "pinned the network's token_mac %.16s... (%s)", value,
                         n->cfg.token_pin_path ? n->cfg.token_pin_path : "no file");
        return;
    }
    if (!esgx_crypto_equal(mac, n->token_pin, 32) && strcmp(n->token_warned, value)) {
        char pin[65];
        esgx_crypto_hex_encode(n->token_pin, 32, pin);
        esgx_net_log(n, NET_LOG_WARN, "refused: etcd's token_mac changed to %.16s..., but this "
                     "node pinned %.16s... (%s) and keeps it: a token_mac in etcd is taken once, "
                     "at join", value, pin, n->cfg.token_pin_path ? n->cfg.token_pin_path : "");
        snprintf(n->token_warned, sizeof n->token_warned, "%s", value);
    }
}

/* Applies one key of the prefix to the view (value NULL: deleted) at etcd revision rev.
 * Caller holds mu. */
static void view_apply(esgx_net *n, const char *key, const char *value, int64_t rev)
{
    if (!strcmp(key, "token_mac")) {
        token_seen(n, value);
    } else if (!strcmp(key, "token_sha256")) {
        n->legacy_token = value != NULL;
    } else if (!strncmp(key, "members/", 8)) {
        members_set(&n->members, key + 8, value);
        n->repl_rescan = 1;   /* who should hold what may have changed */
    } else if (!strncmp(key, "nodes/", 6)) {
        members_set(&n->nodes, key + 6, value);
    } else if (!strncmp(key, "functions/", 10)) {
        fns_set(n, key + 10, value, rev);
    } else if (!strncmp(key, "content/", 8)) {
        content_set(n, key + 8, value);
    } else if (!strncmp(key, "holders/", 8)) {
        holders_set(n, key + 8, value);
    }
}

static void view_reset(esgx_net *n)
{
    for (size_t i = 0; i < n->members.n; i++) member_clear(&n->members.v[i]);
    for (size_t i = 0; i < n->nodes.n; i++) member_clear(&n->nodes.v[i]);
    for (size_t i = 0; i < n->n_content; i++) free(n->content[i].origins);
    for (size_t i = 0; i < n->n_fns; i++) esgx_fn_entry_clear(&n->fns[i]);
    n->members.n = n->nodes.n = 0;
    n->n_fns = n->n_content = n->n_holders = 0;
    n->legacy_token = 0;
}

static int on_watch(void *arg, int is_delete, const esgx_etcd_kv *kv)
{
    esgx_net *n = arg;
    pthread_mutex_lock(&n->mu);
    view_apply(n, kv->key, is_delete ? NULL : (const char *)kv->value, kv->mod_rev);
    pthread_cond_broadcast(&n->changed);
    pthread_mutex_unlock(&n->mu);
    return 0;
}

/* Lists the whole prefix into a fresh view; *rev is the revision of the list. */
static int view_load(esgx_net *n, int64_t *rev, esgx_err *err)
{
    esgx_etcd_kv *kvs;
    size_t count;
    int rc = esgx_etcd_list(n->etcd, "", 0, &kvs, &count, rev, err);
    if (rc) return rc;
    pthread_mutex_lock(&n->mu);
    view_reset(n);
    for (size_t i = 0; i < count; i++)
        view_apply(n, kvs[i].key, (const char *)kvs[i].value, kvs[i].mod_rev);
    n->view_ok = 1;
    n->repl_rescan = 1;
    pthread_cond_broadcast(&n->changed);
    pthread_mutex_unlock(&n->mu);
    esgx_etcd_kvs_free(kvs, count);
    return ESGX_OK;
}

static void *watch_main(void *arg)
{
    esgx_net *n = arg;
    int64_t rev = n->start_rev;
    while (!n->stop) {
        esgx_err err;
        int rc = esgx_etcd_watch(n->etcd, "", rev + 1, on_watch, n, &n->stop, &rev, &err);
        if (n->stop) break;
        rev = rev > 0 ? rev - 1 : 0;
        pthread_mutex_lock(&n->mu);
        n->view_ok = 0;
        n->view_down_ms = esgx_monotonic_ms();
        n->stats.etcd_errors++;
        pthread_mutex_unlock(&n->mu);
        esgx_net_log(n, NET_LOG_WARN, "etcd watch broke (%s); listing again", rc ? err.msg : "ended");
        while (!n->stop && view_load(n, &rev, &err)) {
            esgx_net_log(n, NET_LOG_WARN, "%s", err.msg);
            for (int i = 0; i < 10 && !n->stop; i++) esgx_sleep_ms(100);
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- membership */

/* This node's record as JSON text (malloc'ed). */
static char *member_json(esgx_net *n)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:I,s:b}", "id", n->cfg.node_id, "url",
                          n->cfg.advertise, "peer", n->cfg.peer_listen ? n->cfg.peer_listen : "",
                          "platform", n->platform, "mrenclave",
                          n->mrenclave, "has_key", n->has_key, "version",
                          n->cfg.version ? n->cfg.version : "", "joined", (json_int_t)n->joined,
                          "store_ok", n->store_ok);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

/* Writes nodes/<id> and members/<id> (on a fresh lease if needed). */
static int announce(esgx_net *n, esgx_err *err)
{
    pthread_mutex_lock(&n->mu);
    char *rec = member_json(n);
    n->identity_dirty = 0;
    pthread_mutex_unlock(&n->mu);
    if (!rec) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    char key[128];
    int rc = ESGX_OK;
    if (!n->lease) rc = esgx_etcd_lease_grant(n->etcd, n->cfg.lease_ttl, &n->lease, err);
    snprintf(key, sizeof key, "nodes/%s", n->cfg.node_id);
    if (!rc) rc = esgx_etcd_put(n->etcd, key, rec, strlen(rec), 0, err);
    snprintf(key, sizeof key, "members/%s", n->cfg.node_id);
    if (!rc) rc = esgx_etcd_put(n->etcd, key, rec, strlen(rec), n->lease, err);
    free(rec);
    return rc;
}

/* Asks the node for its enclave's identity; marks the record for a new announce when
 * it changed. */
static void refresh_identity(esgx_net *n)
{
    if (!n->cfg.identity) return;
    char mre[65] = "", plat[32] = "";
    int has_key = 0;
    n->cfg.identity(n->cfg.identity_arg, mre, plat, &has_key);
    pthread_mutex_lock(&n->mu);
    if (strcmp(n->mrenclave, mre) || strcmp(n->platform, plat) || n->has_key != has_key) {
        snprintf(n->mrenclave, sizeof n->mrenclave, "%s", mre);
        snprintf(n->platform, sizeof n->platform, "%s", plat);
        n->has_key = has_key;
        n->identity_dirty = 1;
    }
    pthread_mutex_unlock(&n->mu);
}

/* Renews the member lease every third of its TTL, announces the record again when the
 * enclave's identity changes (checked every 250 ms) or the lease expired, and keeps
 * etcd_ok current (1 s between attempts while etcd is away). */
static void *keeper_main(void *arg)
{
    esgx_net *n = arg;
    uint64_t next_alive = esgx_monotonic_ms() + n->cfg.lease_ttl * 1000u / 3;
    while (!n->stop) {
        esgx_sleep_ms(250);
        if (n->stop) break;
        refresh_identity(n);
        int due = esgx_monotonic_ms() >= next_alive;
        pthread_mutex_lock(&n->mu);
        int dirty = n->identity_dirty;
        pthread_mutex_unlock(&n->mu);
        if (!due && !dirty) continue;
        esgx_err err;
        int rc = ESGX_OK;
        if (due) rc = esgx_etcd_lease_keepalive(n->etcd, n->lease, &err);
        if (rc == ESGX_NODE_E_NOTFOUND) n->lease = 0;   /* expired while etcd was away */
        if (rc == ESGX_NODE_E_NOTFOUND || (rc == ESGX_OK && dirty)) rc = announce(n, &err);
        pthread_mutex_lock(&n->mu);
        if (rc && n->etcd_ok) esgx_net_log(n, NET_LOG_WARN, "lost etcd: %s", err.msg);
        if (!rc && !n->etcd_ok) esgx_net_log(n, NET_LOG_INFO, "etcd answers again");
        n->etcd_ok = rc == ESGX_OK;
        if (rc) n->stats.etcd_errors++;
        pthread_mutex_unlock(&n->mu);
        if (due || rc)
            next_alive = esgx_monotonic_ms() + (rc ? 1000u : n->cfg.lease_ttl * 1000u / 3);
    }
    return NULL;
}

/* How long ago etcd last answered (ms; UINT64_MAX: never). */
static uint64_t etcd_silence_ms(esgx_net *n)
{
    uint64_t now = esgx_monotonic_ms(), last = esgx_etcd_last_ok_ms(n->etcd);
    if (!last) return UINT64_MAX;
    return last >= now ? 0 : now - last;
}

/* Whether the view counts as current, caller holds mu: the watch is up, or broke less
 * than two thirds of the TTL ago. A watch that breaks (its member restarted or was cut)
 * is set up again from the revision it reached, in well under that; meanwhile the view
 * is behind by at most that long, as it may be behind by a watch event's way anyway,
 * and the node stays in service instead of flapping with every member restart. */
static int view_current_locked(esgx_net *n)
{
    return n->view_ok || esgx_monotonic_ms() - n->view_down_ms <= n->cfg.lease_ttl * 2000u / 3;
}

/* esgx_net_healthy, caller holds mu. The keeper speaks to etcd every third of the
 * TTL, so a healthy etcd is never silent for two thirds of it. */
static int healthy_locked(esgx_net *n)
{
    return n->etcd_ok && view_current_locked(n) &&
           etcd_silence_ms(n) <= n->cfg.lease_ttl * 2000u / 3;
}

int esgx_net_healthy(esgx_net *n)
{
    pthread_mutex_lock(&n->mu);
    int ok = healthy_locked(n);
    pthread_mutex_unlock(&n->mu);
    return ok;
}

int esgx_net_writable(esgx_net *n, esgx_err *err)
{
    pthread_mutex_lock(&n->mu);
    int ok = healthy_locked(n), watch = view_current_locked(n), keeper = n->etcd_ok;
    pthread_mutex_unlock(&n->mu);
    if (ok) return ESGX_OK;
    uint64_t quiet = etcd_silence_ms(n);
    if (!watch)
        return esgx_err_set(err, ESGX_NODE_E_ETCD, "etcd unreachable: this node's watch of "
                            "%s%s broke and is still being set up again; try again later",
                            n->cfg.etcd, n->cfg.prefix);
    if (!keeper && quiet <= n->cfg.lease_ttl * 2000u / 3)
        return esgx_err_set(err, ESGX_NODE_E_ETCD, "etcd unreachable: this node's last lease "
                            "renewal at %s failed; try again later", n->cfg.etcd);
    if (quiet == UINT64_MAX)
        return esgx_err_set(err, ESGX_NODE_E_ETCD, "etcd unreachable: no member of %s "
                            "answered yet; try again later", n->cfg.etcd);
    return esgx_err_set(err, ESGX_NODE_E_ETCD, "etcd unreachable: no member of %s answered "
                        "for %llu.%llu s; try again later", n->cfg.etcd,
                        (unsigned long long)(quiet / 1000),
                        (unsigned long long)(quiet % 1000 / 100));
}


/* ---------------------------------------------------------------- start / stop */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int copy_config(esgx_net *n, const esgx_net_config *c, esgx_err *err)
{
    n->cfg = *c;
    n->cfg.etcd = dup_or_null(c->etcd);
    n->cfg.prefix = dup_or_null(c->prefix ? c->prefix : "/esgx/");
    n->cfg.node_id = dup_or_null(c->node_id);
    n->cfg.advertise = dup_or_null(c->advertise);
    n->cfg.peer_listen = dup_or_null(c->peer_listen);
    n->cfg.version = dup_or_null(c->version);
    n->cfg.ipfs_gateway = dup_or_null(c->ipfs_gateway);
    n->cfg.token_pin_path = dup_or_null(c->token_pin_path);
    if (!n->cfg.replicas) n->cfg.replicas = 2;
    if (!n->cfg.fetch_timeout_ms) n->cfg.fetch_timeout_ms = 10000;
    if (!n->cfg.ack_timeout_ms) n->cfg.ack_timeout_ms = 10000;
    if (!n->cfg.lease_ttl) n->cfg.lease_ttl = 6;
    if (!n->cfg.etcd || !n->cfg.prefix || !n->cfg.node_id || !n->cfg.advertise)
        return esgx_err_set(err, ESGX_NODE_E_ARG, "network: --etcd, a node id and --advertise "
                                                  "are needed");
    return ESGX_OK;
}

static void free_config(esgx_net_config *c)
{
    free((char *)c->etcd);
    free((char *)c->prefix);
    free((char *)c->node_id);
    free((char *)c->advertise);
    free((char *)c->peer_listen);
    free((char *)c->version);
    free((char *)c->ipfs_gateway);
    free((char *)c->token_pin_path);
}

static void net_free(esgx_net *n)
{
    view_reset(n);
    free(n->members.v);
    free(n->nodes.v);
    free(n->fns);
    free(n->content);
    free(n->holders);
    esgx_net_repl_free(n);
    esgx_etcd_free(n->etcd);
    free_config(&n->cfg);
    pthread_mutex_destroy(&n->mu);
    pthread_cond_destroy(&n->changed);
    free(n);
}

int esgx_net_start(const esgx_net_config *cfg, const esgx_net_store *store, esgx_net **out,
                   esgx_err *err)
{
    *out = NULL;
    esgx_net *n = calloc(1, sizeof *n);
    if (!n) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    if (pthread_mutex_init(&n->mu, NULL)) {
        free(n);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "network: cannot make a lock");
    }
    if (esgx_cond_init_monotonic(&n->changed)) {
        pthread_mutex_destroy(&n->mu);
        free(n);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "cannot make a condition variable");
    }
    n->store = *store;
    n->store_ok = 1;
    n->joined = now_s();
    refresh_identity(n);
    int rc = copy_config(n, cfg, err);
    if (!rc) rc = pin_load(n, err);
    if (!rc) rc = esgx_etcd_new(n->cfg.etcd, n->cfg.prefix, 3000, &n->etcd, err);
    if (!rc) esgx_etcd_spread(n->etcd, n->cfg.node_id);
    if (!rc) rc = esgx_net_repl_init(n, err);
    if (!rc) rc = view_load(n, &n->start_rev, err);
    if (!rc) rc = announce(n, err);
    if (rc) {
        net_free(n);
        return rc;
    }
    n->etcd_ok = 1;
    esgx_net_register_local(n);
    int started = 0;
    if (pthread_create(&n->watch_thread, NULL, watch_main, n) == 0) started |= 1;
    if (pthread_create(&n->keeper_thread, NULL, keeper_main, n) == 0) started |= 2;
    if (pthread_create(&n->repl_thread, NULL, esgx_net_repl_main, n) == 0) started |= 4;
    n->threads = started;
    if (started != 7) {
        esgx_net_stop(n);
        return esgx_err_set(err, ESGX_NODE_E_IO, "network: cannot start its threads");
    }
    esgx_net_log(n, NET_LOG_INFO, "joined the network at %s%s as %s (%s)", n->cfg.etcd,
            n->cfg.prefix, n->cfg.node_id, n->cfg.advertise);
    *out = n;
    return ESGX_OK;
}

void esgx_net_stop(esgx_net *n)
{
    if (!n) return;
    atomic_store(&n->stop, 1);
    pthread_mutex_lock(&n->mu);
    pthread_cond_broadcast(&n->changed);
    pthread_mutex_unlock(&n->mu);
    esgx_net_fetch_stop(n);   /* ends the replicator's fetch too */
    if (n->threads & 1) pthread_join(n->watch_thread, NULL);
    if (n->threads & 2) pthread_join(n->keeper_thread, NULL);
    if (n->threads & 4) pthread_join(n->repl_thread, NULL);
    esgx_err err;
    if (n->lease && esgx_etcd_lease_revoke(n->etcd, n->lease, &err))
        esgx_net_log(n, NET_LOG_WARN, "leaving the network: %s", err.msg);
    net_free(n);
}

/* ---------------------------------------------------------------- admin token */

/* This node's enclave's token_mac of a token given by its SHA-256. */
static int token_mac_of(esgx_net *n, const uint8_t digest[32], uint8_t mac[32], esgx_err *err)
{
    if (!n->cfg.mac)
        return esgx_err_set(err, ESGX_NODE_E_DOWN, "this node has no enclave to check tokens with");
    int rc = n->cfg.mac(n->cfg.mac_arg, ESGX_MAC_TOKEN, digest, mac, err);
    if (rc && err) err->code = ESGX_NODE_E_DOWN;
    return rc ? ESGX_NODE_E_DOWN : ESGX_OK;
}

/* Remembers a token (its SHA-256) that passed. Caller holds mu. */
static void token_remember(esgx_net *n, const uint8_t digest[32])
{
    memcpy(n->token_ok[n->token_ok_n++ % NET_TOKEN_CACHE], digest, 32);
}

int esgx_net_token_publish(esgx_net *n, const char *token_hex, esgx_err *err)
{
    uint8_t d[32], mac[32];
    char hex[65];
    esgx_err e;
    esgx_crypto_sha256(token_hex, strlen(token_hex), d);
    int rc = token_mac_of(n, d, mac, &e);
    if (rc) return esgx_err_set(err, rc, "cannot make the admin token's token_mac: %s", e.msg);
    esgx_crypto_hex_encode(mac, 32, hex);
    pthread_mutex_lock(&n->mu);
    int other = n->have_pin && !esgx_crypto_equal(n->token_pin, mac, 32);
    if (other) rc = pin_store(n, mac, err);   /* refuses, saying why */
    pthread_mutex_unlock(&n->mu);
    if (other) return rc;
    rc = esgx_etcd_put_if(n->etcd, "token_mac", hex, 64, 0, 0, err);
    if (rc == ESGX_NODE_E_CONFLICT) {
        esgx_etcd_kv kv;
        rc = esgx_etcd_get(n->etcd, "token_mac", &kv, err);
        if (rc) return rc;
        int same = kv.value_len == 64 && !memcmp(kv.value, hex, 64);
        esgx_etcd_kv_clear(&kv);
        if (!same)
            return esgx_err_set(err, ESGX_NODE_E_CONFLICT,
                                "the network at %s%s already has another admin token (its "
                                "token_mac is not this node's; only one node starts with --init)",
                                n->cfg.etcd, n->cfg.prefix);
    } else if (rc) {
        return rc;
    }
    pthread_mutex_lock(&n->mu);
    rc = pin_store(n, mac, err);
    if (!rc) token_remember(n, d);
    pthread_mutex_unlock(&n->mu);
    return rc;
}

int esgx_net_token_check(esgx_net *n, const char *token, size_t len, esgx_err *err)
{
    uint8_t d[32], mac[32], pin[32];
    esgx_crypto_sha256(token, len, d);
    pthread_mutex_lock(&n->mu);
    int have = n->have_pin, legacy = n->legacy_token, known = 0;
    memcpy(pin, n->token_pin, 32);
    unsigned k = n->token_ok_n < NET_TOKEN_CACHE ? n->token_ok_n : NET_TOKEN_CACHE;
    for (unsigned i = 0; i < k; i++) known |= esgx_crypto_equal(n->token_ok[i], d, 32);
    pthread_mutex_unlock(&n->mu);
    if (!have && legacy)
        return esgx_err_set(err, ESGX_NODE_E_DOWN,
                            "etcd holds only token_sha256 (a network made before token MACs): "
                            "restart the node holding DATA_DIR/admin.token (the --init node) "
                            "with this version to write token_mac (docs/network.md, Upgrading)");
    if (!have)
        return esgx_err_set(err, ESGX_NODE_E_DOWN,
                            "this node has not learnt the network's admin token yet (no "
                            "token_mac in etcd: the --init node publishes it)");
    if (known) return ESGX_OK;
    int rc = token_mac_of(n, d, mac, err);
    if (rc) return rc;
    if (!esgx_crypto_equal(mac, pin, 32))
        return esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "wrong admin token");
    pthread_mutex_lock(&n->mu);
    token_remember(n, d);
    pthread_mutex_unlock(&n->mu);
    return ESGX_OK;
}

/* ---------------------------------------------------------------- functions */

/* The negative-cache slot of name (FNV-1a of its bytes). */
static net_miss *miss_slot(esgx_net *n, const char *name)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) h = (h ^ *p) * 16777619u;
    return &n->misses[h % NET_MISS_CACHE];
}

/* Whether a name the view lacks may be read from etcd now; if so, counts the read as
 * started and marks the name as being read (esgx_net_fn_get ends both). Caller holds
 * mu. */
static int name_read_begin(esgx_net *n, const char *name)
{
    uint64_t now = esgx_monotonic_ms();
    net_miss *m = miss_slot(n, name);
    if (m->until_ms > now && !strcmp(m->name, name)) return 0;   /* absent, or being read */
    if (!healthy_locked(n) || n->name_reads >= NET_NAME_READS) return 0;
    if (now - n->name_window_ms >= 1000) {
        n->name_window_ms = now;
        n->name_window_n = 0;
    }
    if (n->name_window_n >= NET_NAME_READS_PER_S) return 0;
    n->name_window_n++;
    n->name_reads++;
    snprintf(m->name, sizeof m->name, "%s", name);   /* one read per name at a time */
    m->until_ms = now + NET_NAME_READ_MS;
    return 1;
}

int esgx_net_fn_get(esgx_net *n, const char *name, esgx_net_fn *out, esgx_err *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&n->mu);
    for (size_t i = 0; i < n->n_fns; i++) {
        if (!strcmp(n->fns[i].name, name)) {
            int rc = esgx_fn_entry_copy(out, &n->fns[i]);
            pthread_mutex_unlock(&n->mu);
            return rc ? esgx_err_set(err, rc, "out of memory") : ESGX_OK;
        }
    }
    int read = strlen(name) <= 64 && name_read_begin(n, name), healthy = healthy_locked(n);
    if (!read) n->stats.name_view_answers++;
    pthread_mutex_unlock(&n->mu);
    if (!read)
        return esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no function named '%s'%s", name,
                            healthy ? "" : " (etcd is unreachable: this node's view of the "
                                           "names may be behind)");
    /* not in the view: it may have been deployed elsewhere a moment ago */
    char key[96];
    snprintf(key, sizeof key, "functions/%s", name);
    esgx_etcd_kv kv;
    esgx_err e;
    int rc = esgx_etcd_get_within(n->etcd, key, NET_NAME_READ_MS, &kv, &e);
    int ok = rc == ESGX_OK && fn_from_kv(&kv, name, out);
    if (rc == ESGX_OK) esgx_etcd_kv_clear(&kv);
    pthread_mutex_lock(&n->mu);
    n->name_reads--;
    n->stats.name_etcd_reads++;
    if (rc && rc != ESGX_NODE_E_NOTFOUND) n->stats.etcd_errors++;
    net_miss *m = miss_slot(n, name);
    if (!strcmp(m->name, name))   /* absent: remembered; else the next lookup may read */
        m->until_ms = rc == ESGX_NODE_E_NOTFOUND ? esgx_monotonic_ms() + NET_MISS_MS : 0;
    pthread_mutex_unlock(&n->mu);
    if (ok) return ESGX_OK;
    /* etcd did not answer in time, or holds no (valid) entry: the view's answer stands */
    return esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no function named '%s'", name);
}

int esgx_net_fn_update(esgx_net *n, const char *name, esgx_fn_decide decide, void *arg,
                       int *replaced, esgx_err *err)
{
    char key[96];
    snprintf(key, sizeof key, "functions/%s", name);
    *replaced = 0;
    int rc = esgx_net_writable(n, err);
    if (rc) return rc;
    for (int attempt = 0; attempt < 5; attempt++) {
        esgx_etcd_kv kv;
        esgx_net_fn old, next;
        memset(&next, 0, sizeof next);
        int64_t rev = 0, written = 0;
        rc = esgx_etcd_get(n->etcd, key, &kv, err);
        if (rc && rc != ESGX_NODE_E_NOTFOUND) return rc;
        int have = 0;
        if (rc == ESGX_OK) {
            have = fn_from_kv(&kv, name, &old);
            rev = kv.mod_rev;
            esgx_etcd_kv_clear(&kv);
        }
        rc = decide(arg, have ? &old : NULL, &next, err);
        if (rc == ESGX_OK) {
            snprintf(next.name, sizeof next.name, "%s", name);
            next.created = have && old.created ? old.created : now_s();
        }
        if (have) esgx_fn_entry_clear(&old);
        char *text = rc ? NULL : esgx_fn_entry_value(&next, now_s());
        esgx_fn_entry_clear(&next);
        if (rc) return rc;
        if (!text) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
        rc = esgx_etcd_put_if_rev(n->etcd, key, text, strlen(text), rev, 0, &written, err);
        if (rc == ESGX_OK) {   /* read your writes: in this node's view now */
            pthread_mutex_lock(&n->mu);
            fns_set(n, name, text, written);
            pthread_cond_broadcast(&n->changed);
            pthread_mutex_unlock(&n->mu);
        }
        free(text);
        if (rc != ESGX_NODE_E_CONFLICT) {
            *replaced = rev != 0;
            return rc;
        }
    }
    return esgx_err_set(err, ESGX_NODE_E_CONFLICT,
                        "function %s is being deployed elsewhere at the same time; try again", name);
}

int esgx_net_fn_delete(esgx_net *n, const char *name, esgx_err *err)
{
    char key[96];
    snprintf(key, sizeof key, "functions/%s", name);
    esgx_etcd_kv kv;
    int rc = esgx_net_writable(n, err);
    if (rc) return rc;
    rc = esgx_etcd_get(n->etcd, key, &kv, err);
    if (rc == ESGX_NODE_E_NOTFOUND)
        return esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no function named %s", name);
    if (rc) return rc;
    int64_t gone = 0;
    rc = esgx_etcd_delete_rev(n->etcd, key, kv.mod_rev, 0, &gone, err);
    esgx_etcd_kv_clear(&kv);
    if (rc == ESGX_OK) {
        pthread_mutex_lock(&n->mu);
        fns_set(n, name, NULL, gone);
        pthread_cond_broadcast(&n->changed);
        pthread_mutex_unlock(&n->mu);
    }
    return rc;
}

static int fn_cmp(const void *a, const void *b)
{
    return strcmp(((const esgx_net_fn *)a)->name, ((const esgx_net_fn *)b)->name);
}

int esgx_net_fn_list(esgx_net *n, esgx_net_fn **out, size_t *count, esgx_err *err)
{
    *out = NULL;
    *count = 0;
    pthread_mutex_lock(&n->mu);
    size_t k = n->n_fns, m = 0;
    esgx_net_fn *v = calloc(k ? k : 1, sizeof *v);
    for (size_t i = 0; v && i < k; i++)
        if (esgx_fn_entry_copy(&v[m], &n->fns[i]) == ESGX_OK) m++;
    pthread_mutex_unlock(&n->mu);
    if (!v || m < k) {
        for (size_t i = 0; v && i < m; i++) esgx_fn_entry_clear(&v[i]);
        free(v);
        return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    }
    qsort(v, m, sizeof *v, fn_cmp);
    *out = v;
    *count = m;
    return ESGX_OK;
}

int esgx_net_record_ok(esgx_net *n, const uint8_t hash[32])
{
    uint8_t key[33];
    if (!n->cfg.network_key || n->cfg.network_key(n->cfg.identity_arg, key)) return 0;
    char hex[65];
    esgx_crypto_hex_encode(hash, 32, hex);
    /* copy the candidates out of the view, verify outside the lock */
    size_t cap = 0, k = 0;
    esgx_net_fn *c = NULL;
    pthread_mutex_lock(&n->mu);
    for (size_t i = 0; i < n->n_fns; i++) {
        if (!n->fns[i].record || strcmp(n->fns[i].hash, hex)) continue;
        if (k == cap) {
            esgx_net_fn *v = realloc(c, (cap = cap ? 2 * cap : 4) * sizeof *v);
            if (!v) break;
            c = v;
        }
        if (esgx_fn_entry_copy(&c[k], &n->fns[i]) == ESGX_OK) k++;
    }
    pthread_mutex_unlock(&n->mu);
    int ok = 0;
    esgx_name_record *r = k ? malloc(sizeof *r) : NULL;
    for (size_t i = 0; i < k; i++) {
        ok = ok || (r && esgx_name_record_parse(c[i].record, strlen(c[i].record), r, NULL) == 0 &&
                    !strcmp(r->name, c[i].name) && !memcmp(r->module_hash, hash, 32) &&
                    esgx_name_record_verify(r, key, NULL) == ESGX_OK);
        esgx_fn_entry_clear(&c[i]);
    }
    free(r);
    free(c);
    return ok;
}

/* ---------------------------------------------------------------- observation */

static int is_member(const esgx_net *n, const char *id)
{
    for (size_t i = 0; i < n->members.n; i++)
        if (!strcmp(n->members.v[i].id, id)) return 1;
    return 0;
}

char *esgx_net_nodes_json(esgx_net *n)
{
    json_t *arr = json_array();
    pthread_mutex_lock(&n->mu);
    for (size_t i = 0; i < n->nodes.n; i++) {
        const net_member *m = &n->nodes.v[i];
        int up = is_member(n, m->id);
        /* a live member's own record is the current one */
        const char *text = m->json;
        for (size_t k = 0; k < n->members.n; k++)
            if (!strcmp(n->members.v[k].id, m->id)) text = n->members.v[k].json;
        json_t *j = json_loads(text ? text : "{}", 0, NULL);
        if (!j) j = json_pack("{s:s}", "id", m->id);
        json_object_set_new(j, "state", json_string(up ? "up" : "down"));
        json_object_set_new(j, "self", json_boolean(!strcmp(m->id, n->cfg.node_id)));
        json_array_append_new(arr, j);
    }
    pthread_mutex_unlock(&n->mu);
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

char *esgx_net_peer_list(esgx_net *n)
{
    size_t cap = 1;
    pthread_mutex_lock(&n->mu);
    for (size_t i = 0; i < n->members.n; i++) cap += strlen(n->members.v[i].peer) + 1;
    char *s = calloc(1, cap);
    for (size_t i = 0; s && i < n->members.n; i++) {
        const net_member *m = &n->members.v[i];
        if (!m->peer[0] || !strcmp(m->id, n->cfg.node_id)) continue;
        if (s[0]) strcat(s, ",");
        strcat(s, m->peer);
    }
    pthread_mutex_unlock(&n->mu);
    return s;
}

void esgx_net_get_stats(esgx_net *n, esgx_net_stats *out)
{
    pthread_mutex_lock(&n->mu);
    *out = n->stats;
    out->etcd_requests = esgx_etcd_requests(n->etcd);
    out->etcd_watch_cuts = esgx_etcd_watch_cuts(n->etcd);
    out->members = (unsigned)n->members.n;
    out->holders_wanted = n->cfg.replicas;
    pthread_mutex_unlock(&n->mu);
}
