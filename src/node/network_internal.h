/*
 * network_internal.h: the state shared by network.c (membership, view, registry) and
 * replicate.c (fetches and replication). Internal to esgxd.
 */
#ifndef ESGX_NODE_NETWORK_INTERNAL_H
#define ESGX_NODE_NETWORK_INTERNAL_H

#include <pthread.h>

#include "etcd.h"
#include "network.h"

enum { NET_LOG_ERROR = 0, NET_LOG_WARN, NET_LOG_INFO, NET_LOG_DEBUG };

typedef struct net_member {
    char id[65];
    char url[256];
    char peer[256];
    char *json;                   /* the record as stored */
    int store_bad;                /* its record says "store_ok": false (placement passes
                                     it over, replicate.c) */
} net_member;

typedef struct net_members {
    net_member *v;
    size_t n, cap;
} net_members;

typedef struct net_content {
    uint8_t hash[32];
    uint64_t size;
    char *origins;                /* JSON array text, or NULL */
    uint8_t auth[32];             /* the entry's "auth" (valid iff has_auth) */
    int has_auth;
} net_content;

/* What this node learnt from its enclave, remembered (docs/security.md (Tokens and content in etcd)). */
#define NET_MAC_CACHE 1024        /* content MACs, direct-mapped by the hash's bytes */
#define NET_TOKEN_CACHE 8         /* tokens that passed (their SHA-256), a ring */
#define NET_REFUSED_LOG 256       /* the last hashes whose refusal was logged, a ring */
typedef struct net_mac_slot {
    uint8_t hash[32];
    uint8_t mac[32];
    int used;
} net_mac_slot;

/* Name lookups (esgx_net_fn_get) answer from the view; a name the view lacks may be read
 * from etcd (a deploy on another node whose watch event is still on its way), but only
 * while etcd is healthy, within NET_NAME_READ_MS, NET_NAME_READS at a time and
 * NET_NAME_READS_PER_S a second node-wide; a name etcd said is absent is remembered for
 * NET_MISS_MS (NET_MISS_CACHE slots, direct-mapped by the name's hash). */
#define NET_NAME_READS 2
#define NET_NAME_READS_PER_S 20
#define NET_NAME_READ_MS 1000u
#define NET_MISS_CACHE 512
#define NET_MISS_MS 2000u
typedef struct net_miss {
    char name[65];
    uint64_t until_ms;            /* monotonic; 0: empty */
} net_miss;

/* A holders/<hash>/<id> entry. Its "proof" is the held_mac of (hash, id) (docs/formats.md
 * "Admin MACs"), which only an enclave with the network key makes; placement and upload
 * acknowledgements count a holder only once this node's enclave confirmed the proof
 * (replicate.c, esgx_net_holders_confirm). */
enum { NET_HOLDER_UNCHECKED = 0, NET_HOLDER_OK, NET_HOLDER_BAD };
typedef struct net_holder {
    uint8_t hash[32];
    char id[65];
    uint8_t proof[32];            /* valid iff has_proof */
    int has_proof;
    int state;                    /* NET_HOLDER_* */
} net_holder;

typedef struct net_fetch_pool net_fetch_pool;   /* the fetch workers (fetch.c) */
/* A member placement chose for an item that has not become a confirmed holder of it:
 * since when (replicate.c; a small ring). */
#define NET_PENDING 512
typedef struct net_pending {
    uint8_t hash[32];
    char id[65];
    uint64_t since_ms;            /* 0: free slot */
} net_pending;


struct esgx_net {
    esgx_net_config cfg;          /* strings owned */
    esgx_net_store store;
    esgx_etcd *etcd;
    int64_t lease;
    int64_t joined;
    int64_t start_rev;
    _Atomic int stop;             /* set once by esgx_net_stop; read by every thread */
    int threads;                  /* bit 0 watch, 1 keeper, 2 replicator */
    pthread_t watch_thread, keeper_thread, repl_thread;

    pthread_mutex_t mu;           /* everything below */
    pthread_cond_t changed;       /* the view changed (monotonic clock) */
    int etcd_ok;                  /* the keeper's last call to etcd succeeded */
    int view_ok;                  /* the watch stream is up (else: listing again) */
    uint64_t view_down_ms;        /* monotonic: when it broke (view_ok 0) */
    char mrenclave[65];
    char platform[32];
    int has_key, identity_dirty;
    /* the admin token: the token_mac pinned (DATA_DIR/token_mac) */
    uint8_t token_pin[32];
    int have_pin;
    char token_warned[65];        /* the last etcd value refused in the log */
    int legacy_token;             /* etcd holds a token_sha256 (made before token MACs) */
    uint8_t token_ok[NET_TOKEN_CACHE][32];
    unsigned token_ok_n;
    /* content authorisation */
    net_mac_slot mac_cache[NET_MAC_CACHE];
    uint8_t refused_logged[NET_REFUSED_LOG][32];
    size_t refused_n;
    net_members members, nodes;
    esgx_net_fn *fns;
    size_t n_fns, cap_fns;
    net_content *content;
    size_t n_content, cap_content;
    net_holder *holders;
    size_t n_holders, cap_holders;
    /* placement: members chosen but not confirmed; this node's own store */
    net_pending pending[NET_PENDING];
    size_t pending_next;
    int store_ok;                 /* published as "store_ok" in this node's record */
    uint64_t store_retry_ms;      /* when a failed store is tried again (store_ok 0) */
    esgx_net_stats stats;
    /* name lookups that miss the view (NET_NAME_READS ...) */
    net_miss misses[NET_MISS_CACHE];
    unsigned name_reads;          /* etcd reads in flight */
    uint64_t name_window_ms;      /* start of the current second of name reads */
    unsigned name_window_n;       /* reads started in it */
    /* replicator work */
    uint8_t (*repl_queue)[32];
    size_t repl_len, repl_cap;
    int repl_rescan;
    net_fetch_pool *fetch;        /* its own lock; never taken with mu held */
};

/* network.c */
void esgx_net_log(esgx_net *n, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* replicate.c */
ESGX_MUST_CHECK int esgx_net_repl_init(esgx_net *n, esgx_err *err);
void esgx_net_repl_free(esgx_net *n);
void *esgx_net_repl_main(void *arg);
/* Queues hash for a replication check (caller holds mu). */
void esgx_net_repl_wake(esgx_net *n, const uint8_t hash[32]);
/* Registers this node as a holder of what it stores (at start). */
void esgx_net_register_local(esgx_net *n);
/* The content item of hash in the view, or NULL (caller holds mu). */
net_content *esgx_net_content_find(esgx_net *n, const uint8_t hash[32]);
/* The fetch pool (fetch.c): NET_FETCH_WORKERS threads, at most NET_FETCH_QUEUE
 * distinct hashes queued or in flight; each source must send NET_FETCH_MIN_RATE
 * bytes/s (measured over NET_FETCH_RATE_WINDOW_MS) and finish within fetch_timeout_ms;
 * a fetch ends within NET_FETCH_DEADLINE_FACTOR x fetch_timeout_ms of its request. */
#define NET_FETCH_WORKERS 4
#define NET_FETCH_QUEUE 64
#define NET_FETCH_MIN_RATE 4096u
#define NET_FETCH_RATE_WINDOW_MS 3000u
#define NET_FETCH_DEADLINE_FACTOR 3u
ESGX_MUST_CHECK int esgx_net_fetch_pool_start(esgx_net *n, esgx_err *err);
/* Stops (esgx_net_fetch_stop) and frees the pool (NULL pool allowed). */
void esgx_net_fetch_pool_free(esgx_net *n);
/* One fetch, run by a worker (replicate.c): the stale holder record, the authorisation,
 * then each source in turn until deadline_ms (monotonic); transfers abort when *stop is
 * set. 0 when stored here and registered, else a code with err. */
ESGX_MUST_CHECK int esgx_net_fetch_run(esgx_net *n, const uint8_t hash[32], uint64_t deadline_ms,
                                       const _Atomic int *stop, esgx_err *err);
/* 1 when this node's holders/ entry for hash is in the view (caller does not hold mu). */
int esgx_net_holds_self(esgx_net *n, const uint8_t hash[32]);
/* The content MAC of hash, from the cache or this node's enclave (caller does not hold
 * mu). 0 or the cfg.mac code. */
ESGX_MUST_CHECK int esgx_net_content_mac(esgx_net *n, const uint8_t hash[32], uint8_t out[32],
                                         esgx_err *err);

#endif
