/*
 * replicate.c: content moving between nodes (network.h): fetches from peers and
 * origins, the replicator, and the acknowledgement of uploads.
 *
 * Fetch (run by a worker of the fetch pool, fetch.c: esgx_net_fetch_run): the sources
 * of a hash are its live holders (in rendezvous order, this node excluded), then its
 * origins. Each transfer is bounded (the item's recorded size, or max_content;
 * fetch_timeout_ms and what is left of the fetch's deadline; a source sending under
 * NET_FETCH_MIN_RATE for NET_FETCH_RATE_WINDOW_MS is dropped for the next one) and
 * hashed with BLAKE3 as it arrives; only bytes whose hash matches are handed to the
 * store, which writes them atomically, so no partial or wrong file is ever visible.
 * Peers are asked with the header X-Esgx-Peer-Fetch, so a node that lacks the item
 * answers 404 instead of fetching it in turn.
 *
 * Placement: for each item, live members are ranked by SHA-256(hash || node id); the
 * first `want` = min(replicas, live members) in that order should hold it. A node that
 * is among the first non-holders needed to reach `want` fetches it. The replicator
 * checks an item when its record or holders change, when members come or go, and
 * rescans everything every 30 s (and at start: catching up after an absence).
 * Members are passed over (moved to the end of the order, so the item goes to the next
 * ranked one) while their record says "store_ok": false (their store failed: this node
 * says so for BACKOFF_MS after an ESGX_NODE_E_IO from its own store), or for BACKOFF_MS
 * once they were chosen for the item CONFIRM_MS ago and still do not hold it.
 *
 * Confirmed holders (docs/security.md (Copies)): a holders/<hash>/<id> entry counts, for
 * placement and for the acknowledgement of an upload alike, only when its "proof" is the
 * held_mac of (hash, id) that this node's enclave makes too; an etcd writer without the
 * network key cannot make one. A node writes its entry (with the proof) only once its
 * store holds the bytes, and on each check of an item makes its own entry agree with
 * its disk (writes a missing or unproven one, deletes one whose file is gone, e.g. an
 * old entry copied back into etcd). Proofs are checked once per entry and value.
 *
 * Authorisation (docs/security.md (Tokens and content in etcd)): nothing moves on etcd's word alone. A node
 * fetches a hash it lacks (for the replicator or on demand) only when the hash's entry
 * carries "auth" equal to the content MAC its own enclave makes (HMAC under k_admin,
 * which only an enclave with the network key has), or when the content hook says a
 * verified name record references it. The node that accepted content with the admin
 * token (an upload, an origin fetch) writes "auth". Content MACs are remembered per
 * hash (a direct-mapped cache), so the enclave is asked once per hash, and a refusal is
 * logged once per hash (among the last 256 refused).
 */
#include "network_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esgx_crypto.h"
#include "esgx_proto.h"
#include "http_client.h"

#define RESCAN_MS 30000u
#define CONFIRM_MS 20000u    /* a member placement chose has this long to hold the item */
#define BACKOFF_MS 60000u    /* how long a member that did not is passed over; and a
                                node whose store failed says "store_ok": false */

int esgx_net_repl_init(esgx_net *n, esgx_err *err)
{
    n->repl_cap = 64;
    n->repl_queue = malloc(n->repl_cap * sizeof *n->repl_queue);
    if (!n->repl_queue) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    return esgx_net_fetch_pool_start(n, err);
}

void esgx_net_repl_free(esgx_net *n)
{
    esgx_net_fetch_pool_free(n);
    free(n->repl_queue);
}

void esgx_net_repl_wake(esgx_net *n, const uint8_t hash[32])
{
    for (size_t i = 0; i < n->repl_len; i++)
        if (!memcmp(n->repl_queue[i], hash, 32)) return;
    if (n->repl_len == n->repl_cap) {
        n->repl_rescan = 1;   /* too much at once: look at everything */
        return;
    }
    memcpy(n->repl_queue[n->repl_len++], hash, 32);
}

net_content *esgx_net_content_find(esgx_net *n, const uint8_t hash[32])
{
    for (size_t i = 0; i < n->n_content; i++)
        if (!memcmp(n->content[i].hash, hash, 32)) return &n->content[i];
    return NULL;
}

/* ---------------------------------------------------------------- authorisation */

static size_t mac_slot(const uint8_t hash[32])
{
    return ((size_t)hash[0] << 8 | hash[1]) % NET_MAC_CACHE;
}

int esgx_net_content_mac(esgx_net *n, const uint8_t hash[32], uint8_t out[32], esgx_err *err)
{
    net_mac_slot *sl = &n->mac_cache[mac_slot(hash)];
    pthread_mutex_lock(&n->mu);
    int hit = sl->used && !memcmp(sl->hash, hash, 32);
    if (hit) memcpy(out, sl->mac, 32);
    pthread_mutex_unlock(&n->mu);
    if (hit) return ESGX_OK;
    if (!n->cfg.mac)
        return esgx_err_set(err, ESGX_NODE_E_DOWN, "this node has no enclave to make MACs with");
    uint8_t mac[32];
    int rc = n->cfg.mac(n->cfg.mac_arg, ESGX_MAC_CONTENT, hash, mac, err);
    if (rc) {
        if (err) err->code = ESGX_NODE_E_DOWN;
        return ESGX_NODE_E_DOWN;
    }
    pthread_mutex_lock(&n->mu);
    memcpy(sl->hash, hash, 32);
    memcpy(sl->mac, mac, 32);
    sl->used = 1;
    pthread_mutex_unlock(&n->mu);
    memcpy(out, mac, 32);
    return ESGX_OK;
}

/* Logs a refusal of hash unless it is among the last NET_REFUSED_LOG hashes logged. */
static void log_refusal(esgx_net *n, const uint8_t hash[32], const char *why)
{
    pthread_mutex_lock(&n->mu);
    size_t k = n->refused_n < NET_REFUSED_LOG ? n->refused_n : NET_REFUSED_LOG;
    int logged = 0;
    for (size_t i = 0; i < k && !logged; i++) logged = !memcmp(n->refused_logged[i], hash, 32);
    if (!logged) memcpy(n->refused_logged[n->refused_n++ % NET_REFUSED_LOG], hash, 32);
    pthread_mutex_unlock(&n->mu);
    if (logged) return;
    char hex[65];
    esgx_crypto_hex_encode(hash, 32, hex);
    esgx_net_log(n, NET_LOG_WARN, "refused to fetch content %s: %s", hex, why);
}

int esgx_net_content_wanted(esgx_net *n, const uint8_t hash[32], esgx_err *err)
{
    uint8_t auth[32], mac[32];
    pthread_mutex_lock(&n->mu);
    net_content *c = esgx_net_content_find(n, hash);
    int has_auth = c && c->has_auth, known = c != NULL;
    if (has_auth) memcpy(auth, c->auth, 32);
    pthread_mutex_unlock(&n->mu);
    int down = 0;
    esgx_err e;
    esgx_err_clear(&e);
    if (has_auth) {
        if (esgx_net_content_mac(n, hash, mac, &e)) down = 1;
        else if (esgx_crypto_equal(mac, auth, 32)) return ESGX_OK;
    }
    if (esgx_net_record_ok(n, hash)) return ESGX_OK;   /* a verified record names it */
    char hex[65];
    esgx_crypto_hex_encode(hash, 32, hex);
    if (down)
        return esgx_err_set(err, ESGX_NODE_E_DOWN,
                            "cannot check that content %s is authorised here: %s", hex, e.msg);
    const char *why = !known ? "no entry in etcd"
                      : has_auth ? "its auth is not the network's content MAC"
                                 : "no auth: no node accepted it with the token, no verified "
                                   "record names it";
    log_refusal(n, hash, why);
    return esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "content %s not authorised here (%s); not "
                        "fetched", hex, why);
}

/* ---------------------------------------------------------------- placement */

static uint64_t rank_score(const uint8_t hash[32], const char *id)
{
    uint8_t buf[32 + 65], d[32];
    size_t len = strlen(id);
    memcpy(buf, hash, 32);
    memcpy(buf + 32, id, len);
    esgx_crypto_sha256(buf, 32 + len, d);
    uint64_t s = 0;
    for (int i = 0; i < 8; i++) s = s << 8 | d[i];
    return s;
}

static int holds(const esgx_net *n, const uint8_t hash[32], const char *id)
{
    for (size_t i = 0; i < n->n_holders; i++)
        if (!memcmp(n->holders[i].hash, hash, 32) && !strcmp(n->holders[i].id, id)) return 1;
    return 0;
}

/* The live members in rendezvous order for hash (indexes into n->members.v; *count).
 * Caller holds mu and frees the array. */
static size_t *ranked_members(esgx_net *n, const uint8_t hash[32], size_t *count)
{
    size_t m = n->members.n;
    size_t *idx = malloc((m ? m : 1) * sizeof *idx);
    uint64_t *score = malloc((m ? m : 1) * sizeof *score);
    if (!idx || !score) {
        free(idx);
        free(score);
        *count = 0;
        return NULL;
    }
    for (size_t i = 0; i < m; i++) {
        idx[i] = i;
        score[i] = rank_score(hash, n->members.v[i].id);
    }
    for (size_t i = 1; i < m; i++)   /* insertion sort, highest score first */
        for (size_t j = i; j > 0 && score[idx[j]] > score[idx[j - 1]]; j--) {
            size_t t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    free(score);
    *count = m;
    return idx;
}

/* ---------------------------------------------------------------- confirmed holders */

/* held_mac's data: SHA-256(hash || node id). */
static void held_data(const uint8_t hash[32], const char *id, uint8_t out[32])
{
    uint8_t buf[32 + 65];
    size_t len = strnlen(id, 64);
    memcpy(buf, hash, 32);
    memcpy(buf + 32, id, len);
    esgx_crypto_sha256(buf, 32 + len, out);
}

/* The proof a holder entry of (hash, id) must carry, made by this node's enclave. */
static int held_mac(esgx_net *n, const uint8_t hash[32], const char *id, uint8_t out[32],
                    esgx_err *err)
{
    uint8_t d[32];
    if (!n->cfg.mac)
        return esgx_err_set(err, ESGX_NODE_E_DOWN, "this node has no enclave to make MACs with");
    held_data(hash, id, d);
    int rc = n->cfg.mac(n->cfg.mac_arg, ESGX_MAC_HELD, d, out, err);
    if (rc && err) err->code = ESGX_NODE_E_DOWN;
    return rc ? ESGX_NODE_E_DOWN : ESGX_OK;
}

static net_holder *holder_find(esgx_net *n, const uint8_t hash[32], const char *id)
{
    for (size_t i = 0; i < n->n_holders; i++)
        if (!memcmp(n->holders[i].hash, hash, 32) && !strcmp(n->holders[i].id, id))
            return &n->holders[i];
    return NULL;
}

/* Whether id is a confirmed holder of hash: its entry's proof is the held_mac this
 * node's enclave makes (caller holds mu). The one notion of a copy that placement and
 * the acknowledgement of uploads count. */
static int holder_ok(esgx_net *n, const uint8_t hash[32], const char *id)
{
    net_holder *h = holder_find(n, hash, id);
    return h && h->state == NET_HOLDER_OK;
}

static int has_unchecked(esgx_net *n, const uint8_t hash[32])
{
    for (size_t i = 0; i < n->n_holders; i++)
        if (!memcmp(n->holders[i].hash, hash, 32) && n->holders[i].state == NET_HOLDER_UNCHECKED)
            return 1;
    return 0;
}

/* Checks the proofs of hash's unchecked holder entries with this node's enclave (caller
 * does not hold mu): each becomes confirmed or refused (a refusal is logged). An entry
 * stays unchecked while the enclave cannot answer: then 1, else 0. */
static int confirm_holders(esgx_net *n, const uint8_t hash[32])
{
    for (;;) {
        char id[65];
        uint8_t proof[32], want[32];
        int found = 0;
        pthread_mutex_lock(&n->mu);
        for (size_t i = 0; i < n->n_holders && !found; i++) {
            net_holder *h = &n->holders[i];
            if (memcmp(h->hash, hash, 32) || h->state != NET_HOLDER_UNCHECKED) continue;
            found = 1;
            memcpy(id, h->id, sizeof id);
            memcpy(proof, h->proof, 32);
        }
        pthread_mutex_unlock(&n->mu);
        if (!found) return 0;
        esgx_err e;
        if (held_mac(n, hash, id, want, &e)) return 1;   /* no enclave now: later */
        int good = esgx_crypto_equal(want, proof, 32);
        pthread_mutex_lock(&n->mu);
        net_holder *h = holder_find(n, hash, id);
        if (h && h->state == NET_HOLDER_UNCHECKED && !memcmp(h->proof, proof, 32))
            h->state = good ? NET_HOLDER_OK : NET_HOLDER_BAD;
        pthread_cond_broadcast(&n->changed);
        pthread_mutex_unlock(&n->mu);
        if (!good) {
            char hex[65];
            esgx_crypto_hex_encode(hash, 32, hex);
            esgx_net_log(n, NET_LOG_WARN, "holders/%s/%.64s: its proof is not the network's "
                         "held MAC; not counted as a copy", hex, id);
        }
    }
}

static unsigned live_holders(esgx_net *n, const uint8_t hash[32])
{
    unsigned c = 0;
    for (size_t i = 0; i < n->members.n; i++)
        c += (unsigned)holder_ok(n, hash, n->members.v[i].id);
    return c;
}

static unsigned wanted(const esgx_net *n)
{
    size_t m = n->members.n ? n->members.n : 1;
    return n->cfg.replicas < m ? n->cfg.replicas : (unsigned)m;
}

/* The pending record of (hash, id), or NULL; add: make one (since now) when there is
 * none, taking the oldest slot of the ring. Caller holds mu. */
static net_pending *pending_find(esgx_net *n, const uint8_t hash[32], const char *id, int add)
{
    for (size_t i = 0; i < NET_PENDING; i++) {
        net_pending *p = &n->pending[i];
        if (p->since_ms && !memcmp(p->hash, hash, 32) && !strcmp(p->id, id)) return p;
    }
    if (!add) return NULL;
    net_pending *p = &n->pending[n->pending_next++ % NET_PENDING];
    memcpy(p->hash, hash, 32);
    snprintf(p->id, sizeof p->id, "%s", id);
    p->since_ms = esgx_monotonic_ms();
    return p;
}

/* hash has its copies: forget whom placement was waiting for. Caller holds mu. */
static void pending_clear(esgx_net *n, const uint8_t hash[32])
{
    for (size_t i = 0; i < NET_PENDING; i++)
        if (n->pending[i].since_ms && !memcmp(n->pending[i].hash, hash, 32))
            n->pending[i].since_ms = 0;
}

/* Whether placement waits for anyone to hold hash. Caller holds mu. */
static int pending_any(esgx_net *n, const uint8_t hash[32])
{
    for (size_t i = 0; i < NET_PENDING; i++)
        if (n->pending[i].since_ms && !memcmp(n->pending[i].hash, hash, 32)) return 1;
    return 0;
}

/* Whether placement passes member m over for hash: its store failed lately (its record
 * says "store_ok": false; this node's own flag for itself), or it was chosen CONFIRM_MS
 * ago and is still no confirmed holder (then for BACKOFF_MS; after that it gets a new
 * chance). Caller holds mu. */
static int passed_over(esgx_net *n, const uint8_t hash[32], const net_member *m, uint64_t now,
                       int any_pending)
{
    if (!strcmp(m->id, n->cfg.node_id)) return !n->store_ok;
    if (m->store_bad) return 1;
    net_pending *p = any_pending ? pending_find(n, hash, m->id, 0) : NULL;
    if (!p || now - p->since_ms < CONFIRM_MS) return 0;
    if (now - p->since_ms < CONFIRM_MS + BACKOFF_MS) return 1;
    p->since_ms = now;
    return 0;
}

/* Whether this node should fetch hash now (caller holds mu). The placement order is the
 * rendezvous ranking with the members passed over moved to its end, so an item goes to
 * the next ranked member that can store it, and to a passed-over one only when too few
 * others are left. */
static int should_fetch(esgx_net *n, const uint8_t hash[32])
{
    if (holder_ok(n, hash, n->cfg.node_id)) return 0;
    unsigned have = live_holders(n, hash), want = wanted(n);
    if (have >= want) {
        pending_clear(n, hash);
        return 0;
    }
    size_t count;
    size_t *idx = ranked_members(n, hash, &count);
    size_t *order = malloc((count ? count : 1) * sizeof *order);
    char *over = calloc(count ? count : 1, 1);
    if (!idx || !order || !over) {
        free(idx);
        free(order);
        free(over);
        return 0;
    }
    uint64_t now = esgx_monotonic_ms();
    int any = pending_any(n, hash);
    size_t k = 0;
    for (size_t i = 0; i < count; i++)
        over[i] = (char)passed_over(n, hash, &n->members.v[idx[i]], now, any);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < count; i++)
            if (over[i] == pass) order[k++] = idx[i];
    unsigned needed = want - have;
    int mine = 0;
    for (size_t i = 0; i < count && needed > 0; i++) {
        const net_member *m = &n->members.v[order[i]];
        if (holder_ok(n, hash, m->id)) continue;
        if (!strcmp(m->id, n->cfg.node_id)) mine = 1;
        else pending_find(n, hash, m->id, 1);   /* placement now waits for it */
        needed--;
    }
    free(idx);
    free(order);
    free(over);
    return mine;
}

/* ---------------------------------------------------------------- transfers */

typedef struct recv_state {
    esgx_blake3_hasher h;
    esgx_httpc_buf b;
} recv_state;

static int recv_sink(void *arg, const uint8_t *data, size_t len)
{
    recv_state *r = arg;
    if (esgx_httpc_buf_append(&r->b, data, len)) return 1;
    esgx_blake3_update(&r->h, data, len);
    return 0;
}

/* GETs url (max bytes, within timeout_ms, at NET_FETCH_MIN_RATE at least; aborted when
 * *stop is set) into memory, hashing as it arrives. An origin (not peer, not the
 * operator's gateway: guard) may not resolve to a private address unless
 * --allow-private-origins: ESGX_NODE_E_ARG, and *refused set when non-NULL. */
static int fetch_url(esgx_net *n, const char *url, uint64_t max, int peer, int guard,
                     unsigned timeout_ms, const _Atomic int *stop, uint8_t **data, size_t *len,
                     uint8_t digest[32], int *refused, esgx_err *err)
{
    recv_state r = {0};
    esgx_blake3_init(&r.h);
    esgx_httpc_opts o = {.method = "GET", .timeout_ms = timeout_ms,
                         .low_speed_ms = NET_FETCH_RATE_WINDOW_MS,
                         .low_speed_bytes = NET_FETCH_MIN_RATE, .max_bytes = max, .stop = stop,
                         .peer_fetch = peer,
                         .refuse_private = guard && !n->cfg.allow_private_origins};
    long status = 0;
    int rc = esgx_httpc_stream(url, &o, recv_sink, &r, &status, err);
    if (rc == ESGX_NODE_E_ARG && o.refuse_private) {
        if (refused) *refused = 1;
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        rc = esgx_err_set(err, ESGX_NODE_E_ARG, "origin %s; esgxd --allow-private-origins allows it",
                          why);
    }
    if (rc == ESGX_NODE_E_ABORTED && r.b.nomem) rc = esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    if (rc == ESGX_OK && status == 404) rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "%s: 404", url);
    else if (rc == ESGX_OK && status != 200)
        rc = esgx_err_set(err, ESGX_NODE_E_FETCH, "%s: HTTP %ld", url, status);
    if (rc) {
        free(r.b.p);
        return rc;
    }
    esgx_blake3_finalize(&r.h, digest, 32);
    *data = r.b.p;
    *len = r.b.len;
    return ESGX_OK;
}

/* The URL of an origin: http(s) as is (*guard = 1: it may not reach inside), ipfs://CID
 * through the gateway (*guard = 0: the operator's own configuration). */
static int origin_url(esgx_net *n, const char *origin, char *out, size_t cap, int *guard,
                      esgx_err *err)
{
    *guard = 0;
    if (!strncmp(origin, "http://", 7) || !strncmp(origin, "https://", 8)) {
        *guard = 1;
        if (strlen(origin) >= cap) return esgx_err_set(err, ESGX_NODE_E_ARG, "origin URL too long");
        snprintf(out, cap, "%s", origin);
        return ESGX_OK;
    }
    if (!strncmp(origin, "ipfs://", 7)) {
        const char *cid = origin + 7;
        size_t k = strlen(cid);
        if (k == 0 || k > 128 || strspn(cid, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != k)
            return esgx_err_set(err, ESGX_NODE_E_ARG, "'%.80s' is not an ipfs://CID", origin);
        if (!n->cfg.ipfs_gateway)
            return esgx_err_set(err, ESGX_NODE_E_ARG,
                                "%.80s: this node has no IPFS gateway (esgxd --ipfs-gateway URL)",
                                origin);
        const char *g = n->cfg.ipfs_gateway;
        size_t gl = strlen(g);
        while (gl && g[gl - 1] == '/') gl--;
        snprintf(out, cap, "%.*s/ipfs/%s", (int)gl, g, cid);
        return ESGX_OK;
    }
    return esgx_err_set(err, ESGX_NODE_E_ARG,
                        "'%.80s' is not an http://, https:// or ipfs:// URL", origin);
}

int esgx_net_fetch_origin(esgx_net *n, const char *url, uint8_t **data, size_t *len,
                          uint8_t hash[32], int *refused, esgx_err *err)
{
    char u[1024];
    int guard;
    *refused = 0;
    int rc = origin_url(n, url, u, sizeof u, &guard, err);
    if (rc) return rc;
    rc = fetch_url(n, u, n->cfg.max_content, 0, guard, n->cfg.fetch_timeout_ms, &n->stop, data,
                   len, hash, refused, err);
    pthread_mutex_lock(&n->mu);
    if (rc) n->stats.origin_fetch_failures++;
    else n->stats.origin_fetches++, n->stats.fetched_bytes += *len;
    pthread_mutex_unlock(&n->mu);
    if (rc == ESGX_OK && *len == 0) {
        free(*data);
        *data = NULL;
        return esgx_err_set(err, ESGX_NODE_E_FETCH, "%s: the origin sent no bytes", url);
    }
    return rc;
}

/* The sources of hash: live holders' URLs then origins (malloc'ed JSON array). */
static json_t *sources_of(esgx_net *n, const uint8_t hash[32], uint64_t *size)
{
    json_t *src = json_array();
    pthread_mutex_lock(&n->mu);
    size_t count;
    size_t *idx = ranked_members(n, hash, &count);
    for (size_t i = 0; i < count; i++) {
        const net_member *m = &n->members.v[idx[i]];
        if (strcmp(m->id, n->cfg.node_id) && holds(n, hash, m->id) && m->url[0])
            json_array_append_new(src, json_pack("{s:s,s:b}", "url", m->url, "peer", 1));
    }
    free(idx);
    net_content *c = esgx_net_content_find(n, hash);
    *size = c ? c->size : 0;
    json_t *o = c && c->origins ? json_loads(c->origins, 0, NULL) : NULL;
    pthread_mutex_unlock(&n->mu);
    for (size_t i = 0; i < json_array_size(o); i++) {
        const char *s = json_string_value(json_array_get(o, i));
        if (s) json_array_append_new(src, json_pack("{s:s,s:b}", "url", s, "peer", 0));
    }
    json_decref(o);
    return src;
}

/* Tries each source in turn until deadline_ms; stores the first bytes that match hash. */
static int fetch_from_sources(esgx_net *n, const uint8_t hash[32], uint64_t deadline_ms,
                              const _Atomic int *stop, esgx_err *err)
{
    char hex[65];
    esgx_crypto_hex_encode(hash, 32, hex);
    uint64_t size = 0;
    json_t *src = sources_of(n, hash, &size);
    uint64_t max = size && size <= n->cfg.max_content ? size : n->cfg.max_content;
    int rc = esgx_err_set(err, ESGX_NODE_E_NOTFOUND, "no node and no origin holds %s", hex);
    for (size_t i = 0; i < json_array_size(src) && rc != ESGX_OK && !n->stop && !*stop; i++) {
        uint64_t now = esgx_monotonic_ms();
        if (now + 100 >= deadline_ms) {   /* what is left is too short to try another */
            char last[sizeof err->msg];
            snprintf(last, sizeof last, "%s", err->msg);
            rc = esgx_err_set(err, ESGX_NODE_E_TIMEOUT, "fetch of %s: no source delivered "
                              "within the deadline (last: %s)", hex, last);
            break;
        }
        uint64_t left = deadline_ms - now;
        unsigned timeout = left < n->cfg.fetch_timeout_ms ? (unsigned)left : n->cfg.fetch_timeout_ms;
        json_t *s = json_array_get(src, i);
        int peer = json_is_true(json_object_get(s, "peer"));
        char url[1200];
        int guard = 0;
        if (peer)
            snprintf(url, sizeof url, "%s/content/%s", json_string_value(json_object_get(s, "url")), hex);
        else if (origin_url(n, json_string_value(json_object_get(s, "url")), url, sizeof url, &guard, err))
            continue;
        uint8_t *data = NULL, d[32];
        size_t len = 0;
        rc = fetch_url(n, url, max, peer, guard, timeout, stop, &data, &len, d, NULL, err);
        if (rc == ESGX_OK && memcmp(d, hash, 32))
            rc = esgx_err_set(err, ESGX_NODE_E_MISMATCH, "%s sent bytes that do not match %s",
                              url, hex);
        if (rc == ESGX_OK) rc = n->store.put(n->store.arg, data, len, hash, err);
        free(data);
        pthread_mutex_lock(&n->mu);
        if (peer) rc ? n->stats.peer_fetch_failures++ : n->stats.peer_fetches++;
        else rc ? n->stats.origin_fetch_failures++ : n->stats.origin_fetches++;
        if (!rc) n->stats.fetched_bytes += len;
        pthread_mutex_unlock(&n->mu);
        if (rc) esgx_net_log(n, NET_LOG_WARN, "fetch of %s: %s", hex, err->msg);
    }
    json_decref(src);
    return rc;
}

/* Writes holders/<hash>/<this node> with its proof, the held_mac of (hash, node id)
 * from this node's enclave; called once the store holds the bytes. */
static int put_holder(esgx_net *n, const uint8_t hash[32], esgx_err *err)
{
    char key[160], hex[65], proof_hex[65], val[160];
    uint8_t proof[32];
    esgx_crypto_hex_encode(hash, 32, hex);
    esgx_err e;
    if (held_mac(n, hash, n->cfg.node_id, proof, &e))
        return esgx_err_set(err, ESGX_NODE_E_DOWN, "cannot prove holding %s: %s", hex, e.msg);
    esgx_crypto_hex_encode(proof, 32, proof_hex);
    snprintf(key, sizeof key, "holders/%s/%s", hex, n->cfg.node_id);
    snprintf(val, sizeof val, "{\"since\":%lld,\"proof\":\"%s\"}", (long long)time(NULL),
             proof_hex);
    int rc = esgx_etcd_put(n->etcd, key, val, strlen(val), 0, err);
    if (rc == ESGX_OK) {   /* into the view at once, ahead of the watch */
        pthread_mutex_lock(&n->mu);
        net_holder *h = holder_find(n, hash, n->cfg.node_id);
        if (!h && n->n_holders < n->cap_holders) {
            h = &n->holders[n->n_holders++];
            memset(h, 0, sizeof *h);
            memcpy(h->hash, hash, 32);
            snprintf(h->id, sizeof h->id, "%s", n->cfg.node_id);
        }
        if (h) {
            memcpy(h->proof, proof, 32);
            h->has_proof = 1;
            h->state = NET_HOLDER_OK;
        }
        pthread_cond_broadcast(&n->changed);
        pthread_mutex_unlock(&n->mu);
    }
    return rc;
}

int esgx_net_content_lost(esgx_net *n, const uint8_t hash[32], esgx_err *err)
{
    char key[160], hex[65];
    esgx_crypto_hex_encode(hash, 32, hex);
    snprintf(key, sizeof key, "holders/%s/%s", hex, n->cfg.node_id);
    pthread_mutex_lock(&n->mu);   /* out of the view at once, ahead of the watch */
    for (size_t i = 0; i < n->n_holders; i++)
        if (!memcmp(n->holders[i].hash, hash, 32) && !strcmp(n->holders[i].id, n->cfg.node_id)) {
            n->holders[i] = n->holders[--n->n_holders];
            break;
        }
    esgx_net_repl_wake(n, hash);   /* one holder fewer: the replicator restores the count */
    pthread_cond_broadcast(&n->changed);
    pthread_mutex_unlock(&n->mu);
    int rc = esgx_etcd_delete(n->etcd, key, 0, 0, err);
    if (rc == ESGX_NODE_E_NOTFOUND) rc = ESGX_OK;
    if (rc == ESGX_OK)
        esgx_net_log(n, NET_LOG_WARN, "no longer a holder of %s (the stored copy was lost)", hex);
    return rc;
}

int esgx_net_holds_self(esgx_net *n, const uint8_t hash[32])
{
    pthread_mutex_lock(&n->mu);
    int h = holds(n, hash, n->cfg.node_id);
    pthread_mutex_unlock(&n->mu);
    return h;
}

int esgx_net_fetch_run(esgx_net *n, const uint8_t hash[32], uint64_t deadline_ms,
                       const _Atomic int *stop, esgx_err *err)
{
    esgx_err e;
    esgx_err_clear(&e);
    int rc = ESGX_OK;
    if (!n->store.has(n->store.arg, hash)) {
        /* registered as a holder but the file is gone (deleted as corrupt): say so first,
         * so no peer asks this node meanwhile */
        if (esgx_net_holds_self(n, hash) && esgx_net_content_lost(n, hash, &e))
            esgx_net_log(n, NET_LOG_WARN, "cannot drop the holder record: %s", e.msg);
        esgx_err_clear(&e);
        rc = esgx_net_content_wanted(n, hash, &e);
        if (rc == ESGX_OK) rc = fetch_from_sources(n, hash, deadline_ms, stop, &e);
    }
    if (rc == ESGX_OK && put_holder(n, hash, &e))
        esgx_net_log(n, NET_LOG_WARN, "cannot register as a holder: %s", e.msg);
    if (rc && err) *err = e;
    return rc;
}

/* ---------------------------------------------------------------- uploads */

/* Adds origin to content/<hash> (creating the record) and sets its "auth" (auth_hex,
 * or NULL to leave it as it is), in a transaction. */
static int record_content(esgx_net *n, const char *hex, uint64_t size, const char *origin,
                          const char *auth_hex, esgx_err *err)
{
    char key[96];
    snprintf(key, sizeof key, "content/%s", hex);
    for (int attempt = 0; attempt < 5; attempt++) {
        esgx_etcd_kv kv;
        int64_t rev = 0;
        json_t *j = NULL;
        int rc = esgx_etcd_get(n->etcd, key, &kv, err);
        if (rc && rc != ESGX_NODE_E_NOTFOUND) return rc;
        if (rc == ESGX_OK) {
            rev = kv.mod_rev;
            j = json_loads((const char *)kv.value, 0, NULL);
            esgx_etcd_kv_clear(&kv);
        }
        if (!j) j = json_pack("{s:I,s:[],s:I}", "size", (json_int_t)size, "origins", "added",
                              (json_int_t)time(NULL));
        json_t *o = json_object_get(j, "origins");
        if (!json_is_array(o)) json_object_set_new(j, "origins", o = json_array());
        int known = !origin;
        for (size_t i = 0; i < json_array_size(o) && !known; i++)
            known = !strcmp(json_string_value(json_array_get(o, i)) ?: "", origin);
        const char *had = json_string_value(json_object_get(j, "auth"));
        int authed = !auth_hex || (had && !strcmp(had, auth_hex));
        if (known && authed && rev) {
            json_decref(j);
            return ESGX_OK;
        }
        if (!known) json_array_append_new(o, json_string(origin));
        if (!authed) json_object_set_new(j, "auth", json_string(auth_hex));
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        if (!text) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
        rc = esgx_etcd_put_if(n->etcd, key, text, strlen(text), rev, 0, err);
        free(text);
        if (rc != ESGX_NODE_E_CONFLICT) return rc;
    }
    return esgx_err_set(err, ESGX_NODE_E_CONFLICT, "content %s: too many concurrent updates", hex);
}

int esgx_net_content_added(esgx_net *n, const uint8_t hash[32], uint64_t size,
                           const char *origin, unsigned *held, esgx_err *err)
{
    char hex[65], auth_hex[65];
    uint8_t auth[32];
    esgx_crypto_hex_encode(hash, 32, hex);
    *held = 0;
    esgx_err e;
    int rc = esgx_net_content_mac(n, hash, auth, &e);
    if (rc) return esgx_err_set(err, rc, "cannot authorise content %s for the network: %s", hex,
                                e.msg);
    esgx_crypto_hex_encode(auth, 32, auth_hex);
    rc = put_holder(n, hash, err);
    if (!rc) rc = record_content(n, hex, size, origin, auth_hex, err);
    if (rc) return rc;
    struct timespec dl = esgx_deadline_after_ms(n->cfg.ack_timeout_ms);
    pthread_mutex_lock(&n->mu);
    esgx_net_repl_wake(n, hash);
    pthread_cond_broadcast(&n->changed);
    pthread_mutex_unlock(&n->mu);
    /* count confirmed holders only: each new entry's proof is checked before it counts */
    uint64_t end = esgx_monotonic_ms() + n->cfg.ack_timeout_ms;
    for (;;) {
        int down = confirm_holders(n, hash);
        pthread_mutex_lock(&n->mu);
        *held = live_holders(n, hash);
        int done = n->stop || *held >= wanted(n) || esgx_monotonic_ms() >= end, timeout = 0;
        if (!done && (down || !has_unchecked(n, hash)))
            timeout = pthread_cond_timedwait(&n->changed, &n->mu, &dl) != 0;
        pthread_mutex_unlock(&n->mu);
        if (done || timeout) break;
    }
    pthread_mutex_lock(&n->mu);
    *held = live_holders(n, hash);
    if (*held == 0) *held = 1;   /* this node holds it, even if its lease just lapsed */
    pthread_mutex_unlock(&n->mu);
    return ESGX_OK;
}

/* ---------------------------------------------------------------- the replicator */

static int register_one(void *arg, const uint8_t hash[32], uint64_t size)
{
    esgx_net *n = arg;
    char hex[65];
    esgx_err err;
    esgx_crypto_hex_encode(hash, 32, hex);
    /* its own entry stands once its proof verifies, or, while the enclave cannot tell yet,
     * until the replicator checks it (own_entry) */
    int down = confirm_holders(n, hash);
    pthread_mutex_lock(&n->mu);
    net_holder *h = holder_find(n, hash, n->cfg.node_id);
    int known = esgx_net_content_find(n, hash) != NULL,
        mine = h && (h->state == NET_HOLDER_OK || (down && h->state == NET_HOLDER_UNCHECKED));
    pthread_mutex_unlock(&n->mu);
    int rc = !known ? record_content(n, hex, size, NULL, NULL, &err) : ESGX_OK;
    if (!rc && !mine) rc = put_holder(n, hash, &err);
    /* no enclave yet (it starts after the network): the replicator registers it later */
    if (rc) esgx_net_log(n, rc == ESGX_NODE_E_DOWN ? NET_LOG_DEBUG : NET_LOG_WARN,
                         "cannot register content %s: %s", hex, err.msg);
    return n->stop;
}

void esgx_net_register_local(esgx_net *n)
{
    n->store.each(n->store.arg, register_one, n);
}

/* Takes the next queued hash (or, on a rescan, every known one) to check. */
static size_t take_work(esgx_net *n, uint8_t (**out)[32])
{
    size_t k;
    if (n->repl_rescan) {
        n->repl_rescan = 0;
        n->repl_len = 0;
        k = n->n_content;
        *out = malloc((k ? k : 1) * sizeof **out);
        for (size_t i = 0; *out && i < k; i++) memcpy((*out)[i], n->content[i].hash, 32);
    } else {
        k = n->repl_len;
        *out = malloc((k ? k : 1) * sizeof **out);
        if (*out) memcpy(*out, n->repl_queue, k * sizeof **out);
        n->repl_len = 0;
    }
    return *out ? k : 0;
}

/* This node's store failed to keep an item (ESGX_NODE_E_IO: disk full, unwritable):
 * its record says "store_ok": false for BACKOFF_MS, so that placement gives what it
 * would have held to the next ranked members. Caller holds mu. */
static void store_failed(esgx_net *n)
{
    n->store_retry_ms = esgx_monotonic_ms() + BACKOFF_MS;
    if (!n->store_ok) return;
    n->store_ok = 0;
    n->identity_dirty = 1;   /* the keeper announces the record again */
    n->repl_rescan = 1;      /* and this node looks at what it was to fetch */
    esgx_net_log(n, NET_LOG_WARN, "this node's store failed; \"store_ok\": false for %u s, "
                 "placement passes it over", BACKOFF_MS / 1000);
}

/* This node's own entry for hash agrees with its store: a stored item without a
 * confirmed entry gets one (written by an older version, or replaced in etcd); an entry
 * without the file is deleted (the copy was lost, or the entry was replayed into etcd). */
static void own_entry(esgx_net *n, const uint8_t hash[32])
{
    /* the entry first, then the disk: an entry is written only after its file is stored,
     * so an entry seen before a missing file means the file went away */
    pthread_mutex_lock(&n->mu);
    net_holder *h = holder_find(n, hash, n->cfg.node_id);
    int entry = h != NULL, ok = h && h->state == NET_HOLDER_OK,
        unchecked = h && h->state == NET_HOLDER_UNCHECKED;
    pthread_mutex_unlock(&n->mu);
    int has = n->store.has(n->store.arg, hash);
    esgx_err err;
    int rc = has && !ok && !unchecked ? put_holder(n, hash, &err) : ESGX_OK;
    if (rc)   /* no enclave now (ESGX_NODE_E_DOWN): tried again at the next check */
        esgx_net_log(n, rc == ESGX_NODE_E_DOWN ? NET_LOG_DEBUG : NET_LOG_WARN,
                     "cannot register as a holder: %s", err.msg);
    if (!has && entry && esgx_net_content_lost(n, hash, &err))
        esgx_net_log(n, NET_LOG_WARN, "cannot drop the holder record: %s", err.msg);
}

void *esgx_net_repl_main(void *arg)
{
    esgx_net *n = arg;
    uint64_t next_scan = 0;
    while (!n->stop) {
        pthread_mutex_lock(&n->mu);
        struct timespec dl = esgx_deadline_after_ms(1000);
        while (!n->stop && !n->repl_len && !n->repl_rescan && esgx_monotonic_ms() < next_scan)
            if (pthread_cond_timedwait(&n->changed, &n->mu, &dl)) break;
        if (esgx_monotonic_ms() >= next_scan) {
            n->repl_rescan = 1;
            next_scan = esgx_monotonic_ms() + RESCAN_MS;
        }
        if (!n->store_ok && esgx_monotonic_ms() >= n->store_retry_ms) {
            n->store_ok = 1;   /* after the backoff: say so, the next store tries again */
            n->identity_dirty = 1;
            esgx_net_log(n, NET_LOG_INFO, "storing again (\"store_ok\": true)");
        }
        uint8_t (*work)[32] = NULL;
        size_t k = n->view_ok ? take_work(n, &work) : 0;
        pthread_mutex_unlock(&n->mu);
        for (size_t i = 0; i < k && !n->stop; i++) {
            confirm_holders(n, work[i]);
            own_entry(n, work[i]);
            pthread_mutex_lock(&n->mu);
            int go = should_fetch(n, work[i]);
            pthread_mutex_unlock(&n->mu);
            if (!go) continue;
            esgx_err err;
            if (esgx_net_content_wanted(n, work[i], &err)) continue;   /* refusal logged once */
            int rc = esgx_net_fetch(n, work[i], &err);
            pthread_mutex_lock(&n->mu);
            rc ? n->stats.replication_failures++ : n->stats.replications++;
            if (rc == ESGX_NODE_E_IO) store_failed(n);
            pthread_mutex_unlock(&n->mu);
            if (rc) esgx_net_log(n, NET_LOG_WARN, "replication: %s", err.msg);
        }
        free(work);
    }
    return NULL;
}
