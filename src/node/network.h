/*
 * network.h: several nodes as one network, on etcd (esgxd --etcd). Internal to esgxd.
 *
 * The control plane lives in etcd under one prefix (docs/network.md#keys):
 *   token_mac               token_mac (hex) of the admin token: one token for every node
 *   nodes/<id>              what a node said of itself when it last joined (kept)
 *   members/<id>            the same, on a lease: present while the node is alive
 *   functions/<name>        {"record":<signed name record>,"transfer","logs","created",
 *                           "updated"} (names.h)
 *   content/<hash>          {"size","origins":[url...],"added","auth"}
 *   holders/<hash>/<id>     {"since"}: node <id> stores content <hash>
 * Nothing secret is ever written there: etcd is untrusted storage, like the host. Every
 * byte fetched from a peer or an origin is checked against its BLAKE3 hash.
 *
 * What etcd says is not taken on its word (docs/security.md (Tokens and content in etcd)): the admin token is
 * checked against a MAC only an enclave with the network key can make (token_mac, made
 * by the --init node's enclave), pinned by each node the first time it sees it
 * (DATA_DIR/token_mac) so a later change in etcd is ignored; and a node fetches content
 * only when its entry's "auth" is the content MAC its own enclave computes (written by
 * the node that accepted an upload or an origin fetch with the token), or when the
 * content hook (a verified name record) says the hash is wanted.
 *
 * A watch keeps a local view of members, functions and the content index current
 * (within milliseconds of a change); a keeper thread renews the member lease; a
 * replicator thread makes sure each content item is held by `replicas` live nodes,
 * chosen by rendezvous hashing of (hash, node id), and catches up after an absence.
 * Content a node lacks is fetched on demand (esgx_net_fetch_async) by a small pool of
 * fetch workers from a live holder, else from its origins, with one transfer per hash
 * however many requests wait for it; the asker is called back and holds no thread.
 */
#ifndef ESGX_NODE_NETWORK_H
#define ESGX_NODE_NETWORK_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"
#include "names.h"

typedef struct esgx_net esgx_net;

/* What the network needs of the node's content store. */
typedef struct esgx_net_store {
    void *arg;
    /* 1 if content for hash is stored locally. */
    int (*has)(void *arg, const uint8_t hash[32]);
    /* Stores data, already checked against hash, atomically. 0 or a negative code. */
    int (*put)(void *arg, const uint8_t *data, size_t len, const uint8_t hash[32],
               esgx_err *err);
    /* Calls fn for every stored hash (until fn returns non-zero). */
    void (*each)(void *arg, int (*fn)(void *fnarg, const uint8_t hash[32], uint64_t size),
                 void *fnarg);
} esgx_net_store;

typedef struct esgx_net_config {
    const char *etcd;              /* --etcd endpoints, comma-separated */
    const char *prefix;            /* --etcd-prefix, default "/esgx/" */
    const char *node_id;           /* stable id of this node (DATA_DIR/node.id) */
    const char *advertise;         /* --advertise URL other nodes and clients reach */
    const char *peer_listen;       /* --peer-listen HOST:PORT (key sharing), or NULL */
    const char *version;
    unsigned replicas;             /* --replicas, default 2 */
    const char *ipfs_gateway;      /* --ipfs-gateway URL, or NULL */
    int allow_private_origins;     /* --allow-private-origins: http(s) origins may be
                                      loopback, private or link-local addresses */
    uint64_t max_content;          /* bytes of one content item */
    unsigned fetch_timeout_ms;     /* one peer or origin transfer; default 10000 */
    unsigned ack_timeout_ms;       /* wait for replicas before answering; default 10000 */
    unsigned lease_ttl;            /* seconds; default 6 */
    void (*log)(int level, const char *msg);   /* NODE_LOG_* levels */
    /* The enclave's identity for the member record, asked every keepalive period:
     * MRENCLAVE in hex and platform ("" while unknown), whether it holds the key. */
    void (*identity)(void *arg, char mrenclave_hex[65], char platform[32], int *has_key);
    void *identity_arg;
    /* A MAC made by this node's enclave (docs/formats.md "Admin MACs"): kind
     * ESGX_MAC_TOKEN (data: SHA-256 of the token text), ESGX_MAC_CONTENT (data: a
     * content hash) or ESGX_MAC_HELD (data: SHA-256 of a content hash and a node id).
     * 0, or a negative code with err when the enclave cannot answer now (down, no key
     * yet). Called without any lock of the network held. */
    int (*mac)(void *arg, int kind, const uint8_t data[32], uint8_t out[32], esgx_err *err);
    void *mac_arg;
    /* Where the token_mac this node accepts is pinned (DATA_DIR/token_mac). */
    const char *token_pin_path;
    /* The network public key the enclave holds into key (0), or non-zero while it has
     * none (identity_arg; for esgx_net_record_ok). */
    int (*network_key)(void *arg, uint8_t key[33]);
} esgx_net_config;

/* Joins the network: checks etcd answers (ESGX_NODE_E_ETCD with the reason otherwise),
 * registers this node, and starts the watch, keeper and replicator threads. */
ESGX_MUST_CHECK int esgx_net_start(const esgx_net_config *cfg, const esgx_net_store *store,
                                   esgx_net **out, esgx_err *err);
/* Leaves: revokes the member lease (others see the node go at once), stops threads. */
void esgx_net_stop(esgx_net *n);

/* Whether etcd is reachable and the view is current (for /health): the watch stream is
 * up, the keeper's last call succeeded and etcd answered some call within the last two
 * thirds of the lease TTL (monotonic clock), so a hung etcd (SIGSTOP, a partition)
 * turns a node unhealthy within that time even while a call to it is still waiting. */
int esgx_net_healthy(esgx_net *n);

/* 0 when etcd is healthy (esgx_net_healthy), else ESGX_NODE_E_ETCD with err saying etcd
 * is unreachable and since when: writes (deploy, transfer, delete) ask this first and
 * are refused at once instead of waiting on etcd on a request thread. */
ESGX_MUST_CHECK int esgx_net_writable(esgx_net *n, esgx_err *err);


/* ------------------------------------------------------------- admin token */

/* The node that holds the admin token (DATA_DIR/admin.token: the --init node) stores
 * its token_mac, made by the enclave (cfg->mac), as `token_mac` if none is stored yet
 * (a transaction that only creates), and pins it. Returns 0, ESGX_NODE_E_CONFLICT (etcd,
 * or this node's pin, holds another token's MAC: only one node starts with --init),
 * ESGX_NODE_E_DOWN (the enclave cannot make the MAC), ESGX_NODE_E_ETCD or
 * ESGX_NODE_E_IO (the pin cannot be written). */
ESGX_MUST_CHECK int esgx_net_token_publish(esgx_net *n, const char *token_hex, esgx_err *err);
/* Whether token (as presented by a client) is the network's: its token_mac, made by
 * this node's enclave, equals the pinned token_mac (constant-time; tokens that passed
 * are remembered, so the enclave is asked once per token). Returns 0 (valid),
 * ESGX_NODE_E_NOTFOUND (another token) or ESGX_NODE_E_DOWN (cannot tell now: no
 * token_mac pinned yet, etcd holds only a token_sha256 of a network made before token
 * MACs, or the enclave is down or has no key; err says which). */
ESGX_MUST_CHECK int esgx_net_token_check(esgx_net *n, const char *token, size_t len,
                                         esgx_err *err);

/* -------------------------------------------------------------- functions */

typedef esgx_fn_entry esgx_net_fn;

/* Looks a name up into *out (free with esgx_fn_entry_clear): in the watched view; a name
 * the view lacks is read from etcd only while etcd is healthy, within NET_NAME_READ_MS,
 * a bounded few at a time and per second node-wide, and not again for NET_MISS_MS once
 * etcd said it is absent (network_internal.h); otherwise the view's answer stands at
 * once. Never waits longer than NET_NAME_READ_MS. Returns 0, ESGX_NODE_E_NOTFOUND or
 * ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_net_fn_get(esgx_net *n, const char *name, esgx_net_fn *out,
                                    esgx_err *err);
/* Reads functions/<name>, lets decide (names.h) make the next entry and writes it in one
 * transaction on the key's revision (retried when another node changed it meanwhile);
 * *replaced = 1 if it existed. The written entry is in this node's view at once (read
 * your writes here; the watch brings it to the others). decide's code when it refuses;
 * ESGX_NODE_E_ETCD at once while etcd is not healthy (esgx_net_writable). */
ESGX_MUST_CHECK int esgx_net_fn_update(esgx_net *n, const char *name, esgx_fn_decide decide,
                                       void *arg, int *replaced, esgx_err *err);
/* Deletes name in one transaction (gone from this node's view at once).
 * ESGX_NODE_E_NOTFOUND; ESGX_NODE_E_ETCD at once while etcd is not healthy. */
ESGX_MUST_CHECK int esgx_net_fn_delete(esgx_net *n, const char *name, esgx_err *err);
/* Every function of the view, by name (*out malloc'ed, free with
 * esgx_registry_list_free or each entry cleared and the array freed). Never waits on
 * etcd. */
ESGX_MUST_CHECK int esgx_net_fn_list(esgx_net *n, esgx_net_fn **out, size_t *count,
                                     esgx_err *err);

/* 1 when some functions/<name> entry of the view holds a record that verifies
 * (esgx_name_record_verify) against the network key the enclave holds, is for that name
 * and names hash as its module; else 0 (also while the node has no key). Content may be
 * fetched because of a function only when this says so: anyone who can write etcd
 * can write a functions/ entry, but only a name's owner can sign its record. */
int esgx_net_record_ok(esgx_net *n, const uint8_t hash[32]);

/* ---------------------------------------------------------------- content */

/* Records content this node now stores because it accepted it with the admin token
 * (an upload, or an origin fetch: origin URL or NULL): size, origin and "auth", the
 * content MAC made by the enclave (ESGX_NODE_E_DOWN when it cannot make it); registers
 * this node as a holder, and waits (ack_timeout_ms at most) until min(replicas, live
 * members) nodes hold it. *held gets the number of live holders reached. */
ESGX_MUST_CHECK int esgx_net_content_added(esgx_net *n, const uint8_t hash[32], uint64_t size,
                                           const char *origin, unsigned *held, esgx_err *err);

/* This node no longer stores hash (its file was corrupt and has been deleted): removes
 * its holders/ entry (from the view at once, then from etcd) and wakes the replicator.
 * Returns 0 (also when there was no entry) or ESGX_NODE_E_ETCD. */
ESGX_MUST_CHECK int esgx_net_content_lost(esgx_net *n, const uint8_t hash[32], esgx_err *err);

/* What a fetch came to (esgx_net_fetch_async): called once per accepted request, on a
 * fetch worker thread, without any lock of the network held. rc is 0 when the content
 * is now stored here (and this node registered as a holder), else one of the codes of
 * esgx_net_fetch with err saying why. It must not block: resume a connection, queue a
 * job. */
typedef void (*esgx_net_fetch_done)(void *arg, const uint8_t hash[32], int rc,
                                    const esgx_err *err);

/* Asks the fetch pool (fetch.c) for content this node lacks, and returns at once: a
 * worker fetches it from a live holder, else from its origins, each source bounded by
 * fetch_timeout_ms and dropped when it sends slower than NET_FETCH_MIN_RATE, the whole
 * fetch by NET_FETCH_DEADLINE_FACTOR x fetch_timeout_ms from now (queueing included);
 * it checks BLAKE3 while receiving, stores the bytes through the store and registers
 * this node as a holder, then calls done(arg, hash, rc, err). Requests for a hash
 * already queued or in flight attach to that one transfer. Returns 0 (done will be
 * called exactly once), or, without calling done: ESGX_NODE_E_NOTFOUND (not authorised
 * here: esgx_net_content_wanted; random hashes never cost a transfer),
 * ESGX_NODE_E_DOWN (cannot tell now, or the pool is stopping), ESGX_NODE_E_FETCH (the
 * queue is full: NET_FETCH_QUEUE distinct hashes already wait; retry later) or
 * ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_net_fetch_async(esgx_net *n, const uint8_t hash[32],
                                         esgx_net_fetch_done done, void *arg, esgx_err *err);

/* esgx_net_fetch_async, waiting for the result (for threads that may wait on the
 * network: the replicator, admin routes). ESGX_NODE_E_NOTFOUND when no node and no
 * origin has it (or it is not authorised here); ESGX_NODE_E_MISMATCH /
 * ESGX_NODE_E_FETCH / ESGX_NODE_E_TOO_BIG when every source failed (the message names
 * the last one), ESGX_NODE_E_TIMEOUT past the overall deadline. A stale holders/ entry
 * of this node for hash (its file was deleted as corrupt) is removed first. */
ESGX_MUST_CHECK int esgx_net_fetch(esgx_net *n, const uint8_t hash[32], esgx_err *err);

/* Stops the fetch pool: transfers in flight are aborted, every request still waiting
 * gets done(..., ESGX_NODE_E_DOWN, ...), and no new one is accepted. Returns when no
 * callback can run any more: call it before freeing what the callbacks touch (the
 * HTTP server, the supervisor). Idempotent; esgx_net_stop calls it too. */
void esgx_net_fetch_stop(esgx_net *n);

/* Fetches url ("http://", "https://" or "ipfs://CID" through the gateway) into memory
 * (max_content bytes at most, fetch_timeout_ms), for POST /content {"url"}. *data is
 * malloc'ed (caller frees); hash gets its BLAKE3, computed as the bytes arrived.
 * ESGX_NODE_E_ARG for a URL that is not an origin, or, with *refused set, for an
 * http(s) origin resolving to a loopback, private or link-local address while
 * cfg.allow_private_origins is off (nothing was sent to it; err names the address). */
ESGX_MUST_CHECK int esgx_net_fetch_origin(esgx_net *n, const char *url, uint8_t **data,
                                          size_t *len, uint8_t hash[32], int *refused,
                                          esgx_err *err);

/* Whether this node may fetch and store content it lacks (docs/security.md (Tokens and content in etcd)): its
 * etcd entry's "auth" equals the content MAC this node's enclave computes (MACs are
 * remembered per hash), or a verified name record references it (esgx_net_record_ok).
 * esgx_net_fetch and the replicator ask it first. A refusal is logged once per
 * hash. Returns 0 (authorised), ESGX_NODE_E_NOTFOUND (not authorised: err names why)
 * or ESGX_NODE_E_DOWN (cannot tell now: the enclave cannot make the MAC). */
ESGX_MUST_CHECK int esgx_net_content_wanted(esgx_net *n, const uint8_t hash[32], esgx_err *err);

/* ------------------------------------------------------------- observation */

/* The members as a JSON array text (malloc'ed): each {"id","url","peer","platform",
 * "mrenclave","has_key","version","state":"up"|"down","self"}. */
char *esgx_net_nodes_json(esgx_net *n);

/* Comma-separated key-sharing addresses of live members other than this node ("" if
 * none; malloc'ed). */
char *esgx_net_peer_list(esgx_net *n);

/* Counters for /metrics. */
typedef struct esgx_net_stats {
    uint64_t peer_fetches, peer_fetch_failures, origin_fetches, origin_fetch_failures;
    uint64_t fetched_bytes, replications, replication_failures, etcd_errors;
    uint64_t etcd_requests;        /* calls made to etcd by this node (watches aside) */
    uint64_t name_etcd_reads;      /* of which reads for names the view lacked */
    uint64_t name_view_answers;    /* names the view lacked, answered without etcd */
    uint64_t etcd_watch_cuts;      /* watches cut because their member stopped answering */
    unsigned members, holders_wanted;
} esgx_net_stats;
void esgx_net_get_stats(esgx_net *n, esgx_net_stats *out);

#endif
