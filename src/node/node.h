/*
 * node.h: internal interfaces of esgxd, the untrusted node host.
 *
 *   main.c        flags (table-driven), logging, signals, data-dir bootstrap (--init,
 *                 admin token); builds the objects below in order and frees them in
 *                 reverse on one cleanup path
 *   http.c        libmicrohttpd routes (docs/http-api.md), the limits of requests: http
 *   http_req.c    request classification, framing, auth and body validation without
 *                 sockets (http_req.h; driven by fuzz_http.c)
 *   content.c     content store: DIR/content/<blake3 hex>, atomic writes: content_store
 *   registry.c    function registry: SQLite DIR/registry.db: registry
 *   supervisor.c  the esgx-enclave child: start, channel, request table, restarts: sup
 *   metrics.c     counters and the Prometheus text of /metrics: metrics
 *   collateral.c  --pccs: COLLATERAL_REQ answers and /attestation collateral: collat
 *   pccs.c        PCCS client and collateral cache (pccs.h)
 *   logs.c        recent guest debug output per function, long polls: node_logs
 *   network.c     --etcd: several nodes as one (network.h, replicate.c, etcd.c,
 *                 httpc.c; docs/network.md): esgx_net
 *
 * State lives in these objects, passed down explicitly; the only process-wide state is
 * the log level (esgx_node_log_set_level; logging goes to the one stderr anyway).
 */
#ifndef ESGX_NODE_H
#define ESGX_NODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "esgx_common.h"
#include "esgx_proto.h"

/* Error codes (values in esgx_common.h's ESGX_ERRORS; esgx_strerror names them):
 *   ESGX_NODE_E_ARG            bad argument
 *   ESGX_NODE_E_IO             file system error (or a thread / process could not start)
 *   ESGX_NODE_E_NOTFOUND       no such content / function
 *   ESGX_NODE_E_DB             SQLite error
 *   ESGX_NODE_E_DOWN           enclave not running
 *   ESGX_NODE_E_NOMEM          out of memory
 *   ESGX_NODE_E_TIMEOUT        the enclave did not answer in time
 *   ESGX_NODE_E_FATAL          the enclave refused its configuration
 */

/* ---------------------------------------------------------------- config and log */

typedef struct node_config {
    const char *data_dir;
    const char *listen_host;       /* "127.0.0.1" */
    unsigned listen_port;
    const char *enclave_path;      /* resolved absolute path of esgx-enclave */
    int init;                      /* --init given */
    unsigned workers;
    unsigned http_threads;
    uint64_t max_content;
    uint64_t max_input;
    uint64_t max_output;
    uint64_t fuel;
    unsigned memory_pages;
    unsigned compile_threads;   /* 0 = one per CPU */
    int tier;                      /* esgx_wasm_tier asked for: --tier, else ESGX_WASM_TIER,
                                      else ESGX_WASM_TIER_DEFAULT; passed to the enclave
                                      as --tier unless DEFAULT */
    const char *tier_name;         /* the tier functions run on ("interp" or "jit"), for
                                      /metrics and /health */
    /* bounded work (docs/operations.md, "Bounded work") */
    unsigned max_queue;            /* --max-queue N: waiting beyond the workers (64) */
    unsigned queue_timeout;        /* --queue-timeout SECS (30; 0 = none) */
    unsigned max_exec_time;        /* --max-exec-time SECS (60; 0 = none) */
    int debug;
    int log_level;                 /* NODE_LOG_* */
    /* attestation and key sharing, passed through to the enclave (docs/channel.md) */
    const char *sim_bundle;        /* --sim-bundle DIR (its collateral.json is served) */
    const char *peer_listen;       /* --peer-listen HOST:PORT */
    const char *peers;             /* --peers host:port,... */
    const char *network_key;       /* --network-key XPUB|HEX: the only key to join with */
    const char *collateral;        /* --collateral FILE (gramine-sgx; also served) */
    const char *pccs_url;          /* --pccs URL (collateral fetched and cached) */
    int pccs_insecure;             /* --pccs-insecure */
    const char *pccs_ca;           /* --pccs-ca FILE (PEM CAs for the PCCS's TLS) */
    unsigned pccs_refresh;         /* --pccs-refresh SECONDS (default 3600) */
    const char *sim_root;          /* --sim-root PEM */
    const char *accept_status;     /* --accept-status LIST */
    const char *trust_mrenclave[16]; /* --trust-mrenclave HEX (repeatable) */
    unsigned n_trust;
    /* the network (docs/network.md); etcd NULL = a node alone */
    const char *etcd;              /* --etcd URL[,URL...] */
    const char *etcd_prefix;       /* --etcd-prefix (default "/esgx/") */
    const char *advertise;         /* --advertise URL (how others reach this node) */
    const char *node_id;           /* --node-id, else DATA_DIR/node.id */
    unsigned replicas;             /* --replicas N (default 2) */
    const char *ipfs_gateway;      /* --ipfs-gateway URL */
    unsigned fetch_timeout;        /* --fetch-timeout SECS (default 10) */
    /* HTTP limits against one client exhausting the node (0: the HTTP_DEFAULT_*) */
    uint64_t max_buffered;         /* --max-buffered BYTES of bodies across connections */
    unsigned max_conns_per_ip;     /* --ip-connections N */
    unsigned request_timeout;      /* --read-timeout SECS, request line to body's end */
    /* HTTPS on the API port (docs/operations.md); both or neither */
    const char *tls_cert;          /* --tls-cert FILE (PEM, chain allowed) */
    const char *tls_key;           /* --tls-key FILE (PEM, unencrypted) */
} node_config;

#define HTTP_DEFAULT_MAX_BUFFERED (256ull << 20)
#define HTTP_DEFAULT_PER_IP 64u
#define HTTP_DEFAULT_REQUEST_TIMEOUT 30u

enum { NODE_LOG_ERROR = 0, NODE_LOG_WARN, NODE_LOG_INFO, NODE_LOG_DEBUG };

/* Sets the level esgx_node_log prints up to (NODE_LOG_*; default NODE_LOG_INFO). The one
 * process-wide setting of esgxd: every object logs to the same stderr. */
void esgx_node_log_set_level(int level);

/* Sets *level to the NODE_LOG_* named by name (error, warn or warning, info, debug; any
 * case). Returns 0 or ESGX_NODE_E_ARG (unknown name; *level untouched). */
ESGX_MUST_CHECK int esgx_node_log_level_parse(const char *name, int *level);

/* Logs one line to stderr ("esgxd: 2026-01-01T00:00:00Z LEVEL message") if level is
 * enabled. Never pass secrets. */
void esgx_node_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes the current UTC time as "2026-01-01T00:00:00.000Z" into out (cap bytes,
 * NUL-terminated; 25 bytes hold it). */
void esgx_node_log_stamp(char *out, size_t cap);

/* {"error": message (or code if NULL), "code": code} as a malloc'ed compact JSON
 * string (NULL only when out of memory); *len (if non-NULL) gets its length. */
char *esgx_node_error_json(const char *code, const char *message, size_t *len);

/* ---------------------------------------------------------------- metrics */

enum {
    ROUTE_SERVICES = 0, ROUTE_CONTENT_PUT, ROUTE_CONTENT_GET, ROUTE_FN_INVOKE, ROUTE_FN_DEPLOY,
    ROUTE_FN_LIST, ROUTE_FN_DELETE, ROUTE_ATTESTATION, ROUTE_HEALTH, ROUTE_METRICS, ROUTE_NODES,
    ROUTE_FN_GET, ROUTE_FN_LOGS,
    ROUTE_OTHER,
    ROUTE_COUNT
};

typedef struct metrics metrics;

/* Creates the zeroed counters (*out; freed with esgx_metrics_free). Returns 0 or
 * ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_metrics_new(metrics **out, esgx_err *err);
/* Frees m (NULL allowed). */
void esgx_metrics_free(metrics *m);
/* Counts one answered request of route (ROUTE_*) with HTTP status. m may be NULL. */
void esgx_metrics_request(metrics *m, int route, unsigned status);
/* Counts one invocation result (trapped: 1 if it trapped). m may be NULL. */
void esgx_metrics_invocation(metrics *m, int trapped);
/* Counts one restart of the enclave process. m may be NULL. */
void esgx_metrics_enclave_restart(metrics *m);
/* The tier functions run on ("interp" or "jit", a static string), rendered as
 * esgx_wasm_tier{tier="NAME"} 1. m may be NULL. */
void esgx_metrics_set_tier(metrics *m, const char *name);

/* ---------------------------------------------------------------- content store */

typedef struct content_store content_store;

/* Opens DATA_DIR/content (created 0700 if missing), removes stale temp files and counts
 * the stored bytes; *out is freed with esgx_content_close. Returns 0, ESGX_NODE_E_ARG (path
 * too long), ESGX_NODE_E_IO or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_content_open(const char *data_dir, content_store **out, esgx_err *err);

/* Closes cs (NULL allowed). */
void esgx_content_close(content_store *cs);

/* Stores data[0..len) under its BLAKE3 hash (temp file, fsync, rename, fsync dir;
 * nothing written if it exists). hash_hex gets 64 lowercase hex chars + NUL.
 * *created is 1 if a new file was written. Returns 0 or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_content_put(content_store *cs, const uint8_t *data, size_t len,
                                char hash_hex[65], int *created, esgx_err *err);
/* esgx_content_put of data whose BLAKE3 hash the caller has already checked (a fetch
 * hashes as the bytes arrive): hash names the file, nothing is hashed again. */
ESGX_MUST_CHECK int esgx_content_put_hashed(content_store *cs, const uint8_t *data, size_t len,
                                            const uint8_t hash[32], char hash_hex[65],
                                            int *created, esgx_err *err);

/* Opens the stored file for a 32-byte hash read-only: *fd gets the descriptor (caller
 * closes), *size its size. Returns 0, ESGX_NODE_E_NOTFOUND or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_content_open_fd(content_store *cs, const uint8_t hash[32], int *fd,
                                    uint64_t *size, esgx_err *err);

/* Reads the whole stored file for hash into a malloc'ed buffer (*data, *len; caller
 * frees). Returns 0, ESGX_NODE_E_NOTFOUND, ESGX_NODE_E_IO or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_content_read(content_store *cs, const uint8_t hash[32], uint8_t **data,
                                 size_t *len, esgx_err *err);

/* Returns 1 if content for hash exists, else 0. */
int esgx_content_exists(content_store *cs, const uint8_t hash[32]);

/* Calls fn for every stored item (hash, size) until fn returns non-zero. */
void esgx_content_each(content_store *cs, int (*fn)(void *arg, const uint8_t hash[32], uint64_t size),
                  void *arg);

/* Returns the total bytes stored (for /metrics). */
uint64_t esgx_content_total_bytes(const content_store *cs);

/* ---------------------------------------------------------------- registry */

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
/* Closes r (NULL allowed). No call may be running. */
void esgx_registry_close(registry *r);

/* Inserts or replaces name -> (hash, decrypt, logs) with created = now. *replaced = 1
 * if the name existed. Returns 0 or ESGX_NODE_E_DB. */
ESGX_MUST_CHECK int esgx_registry_put(registry *r, const char *name, const char *hash_hex,
                                 int decrypt, int logs, int *replaced, esgx_err *err);

/* Looks name up into *out. Returns 0, ESGX_NODE_E_NOTFOUND or ESGX_NODE_E_DB. */
ESGX_MUST_CHECK int esgx_registry_get(registry *r, const char *name, registry_fn *out,
                                 esgx_err *err);

/* Deletes name. Returns 0, ESGX_NODE_E_NOTFOUND or ESGX_NODE_E_DB. */
ESGX_MUST_CHECK int esgx_registry_delete(registry *r, const char *name, esgx_err *err);

/* Lists all functions ordered by name into a malloc'ed array (*out, *count; caller
 * frees). Returns 0, ESGX_NODE_E_NOMEM or ESGX_NODE_E_DB. */
ESGX_MUST_CHECK int esgx_registry_list(registry *r, registry_fn **out, size_t *count,
                                  esgx_err *err);

/* ---------------------------------------------------------------- supervisor */

typedef struct sup sup;

/* A request waiting for the enclave. Embedded in the HTTP request context (http.c) or
 * on a waiter's stack (sync requests). Filled by the supervisor. */
typedef struct sup_req {
    uint64_t id;
    /* EXEC parameters (kept alive by the owner until done) */
    uint8_t hash[32];
    uint8_t decrypt;
    uint64_t fuel;
    const char *function;
    size_t function_len;
    const uint8_t *input;
    size_t input_len;
    uint8_t capture_logs;          /* ask the enclave for the guest's debug output */
    /* completion */
    void (*on_done)(struct sup_req *r);   /* called once, outside locks (may be NULL) */
    int done;
    int busy;                      /* content thread is sending for it */
    int content_sent;
    unsigned http_status;          /* result: HTTP status */
    char *body;                    /* malloc'ed response body (owner frees) */
    size_t body_len;
    int body_is_json;              /* error JSON vs header line + output */
    char code[ESGX_PROTO_MAX_CODE + 1]; /* "" when OK, else the error code */
    uint64_t fuel_used;            /* from the RESULT (0 when none came) */
    uint8_t *logs;                 /* malloc'ed captured debug output (owner frees) */
    size_t logs_len;
    esgx_msg_stats_reply stats;    /* for STATS */
    struct sup_attest_doc *doc;    /* for ESGX_ATTEST_DOC: filled by the reader */
    struct sup_req *next;          /* table chain */
    void *owner;
} sup_req;

/* Enclave state as last reported. */
typedef struct sup_info {
    int up;                        /* channel ready */
    int state;                     /* ESGX_STATE_* */
    char platform[ESGX_PROTO_MAX_PLATFORM + 1];
    uint8_t mrenclave[32];
    uint8_t mrsigner[32];
    char xpub[ESGX_PROTO_XPUB_LEN + 1];
    uint8_t public_key[33];
    int have_hello;                /* ever received a HELLO */
    pid_t pid;
    char key_error[512];           /* why the enclave has no key yet (its last unsolicited
                                      KEY_STATUS, e.g. a peer offering another network's
                                      key); "" if none */
} sup_info;

/* What the supervisor calls back into (any member may be NULL). */
typedef struct sup_hooks {
    /* The enclave refused its configuration: the node should stop (supervisor thread). */
    void (*on_fatal)(void *arg);
    void *fatal_arg;
    /* A COLLATERAL_REQ from the enclave (channel reader thread; must not block). */
    void (*on_collateral_req)(void *arg, uint64_t id, const esgx_msg_collateral_req *rq);
    void *collateral_arg;
    /* Content the enclave needs is not stored here: fetch it from the network (content
     * thread; may block, bounded). 0 when it is now stored, else a code with err. */
    int (*fetch_content)(void *arg, const uint8_t hash[32], esgx_err *err);
    /* The key-sharing peers to give an enclave that starts without --init when
     * cfg->peers is not set: a malloc'ed "host:port,..." ("" or NULL for none). */
    char *(*peers)(void *arg);
    void *net_arg;
} sup_hooks;

/* Starts the supervisor: the content thread and the supervisor thread, which starts
 * cfg->enclave_path (with --init and INIT_KEY when cfg->init) and restarts it when it
 * dies. cfg, content and m (may be NULL) must outlive the supervisor. *out is freed with
 * esgx_sup_free. Returns 0, ESGX_NODE_E_NOMEM or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_sup_new(const node_config *cfg, content_store *content, metrics *m,
                            const sup_hooks *hooks, sup **out, esgx_err *err);

/* Stops s if running (esgx_sup_stop with 5 s) and frees it (NULL allowed). */
void esgx_sup_free(sup *s);

/* Waits (up to timeout_ms) until the enclave reported HELLO (and finished INIT_KEY if
 * requested). Returns 0, ESGX_NODE_E_TIMEOUT (not ready in time, or some start failed
 * and no INIT_KEY is pending: the node serves 503 while the supervisor retries),
 * ESGX_NODE_E_FATAL (the enclave refused its configuration) or ESGX_NODE_E_DOWN
 * (stopping). */
ESGX_MUST_CHECK int esgx_sup_wait_ready(sup *s, int timeout_ms);

/* Copies a snapshot of the enclave state to *out. */
void esgx_sup_get_info(sup *s, sup_info *out);

/* Sends an EXEC for r (r->hash, decrypt, fuel, function, input set; on_done set).
 * When cfg->workers + cfg->max_queue EXECs are already pending, r completes at once
 * with 503 queue_full instead. Returns 0 when sent or refused (r->on_done is called
 * exactly once, possibly before esgx_sup_exec returns), or
 * ESGX_NODE_E_DOWN when the enclave is not available (on_done is not called). */
ESGX_MUST_CHECK int esgx_sup_exec(sup *s, sup_req *r);

/* The enclave's attestation document (ESGX_ATTEST_DOC): state, xpub, key and a quote whose
 * report data is SHA-256(xpub) || 32 zero bytes. quote is malloc'ed (caller frees; NULL
 * when there is none, and error then says why). */
typedef struct sup_attest_doc {
    int state;
    char xpub[ESGX_PROTO_XPUB_LEN + 1];
    uint8_t public_key[33];
    uint8_t *quote;
    size_t quote_len;
    char error[512];
} sup_attest_doc;

/* Asks the enclave for its attestation document into *out (blocks up to timeout_ms).
 * Returns 0, ESGX_NODE_E_DOWN (enclave down or channel failed) or ESGX_NODE_E_TIMEOUT. */
ESGX_MUST_CHECK int esgx_sup_attest(sup *s, sup_attest_doc *out, int timeout_ms);

/* Queries enclave counters into *out (blocks up to timeout_ms). Returns 0,
 * ESGX_NODE_E_DOWN or ESGX_NODE_E_TIMEOUT. */
ESGX_MUST_CHECK int esgx_sup_stats(sup *s, esgx_msg_stats_reply *out, int timeout_ms);

/* Sends one message to the enclave (serialised with every other writer). Returns 0, or
 * ESGX_NODE_E_DOWN when the channel is not up or the send failed. */
ESGX_MUST_CHECK int esgx_sup_send(sup *s, const esgx_msg *m);

/* Graceful stop: SHUTDOWN to the enclave, wait for its exit (up to timeout_ms, then
 * SIGKILL), fail anything still pending, join threads. Idempotent. */
void esgx_sup_stop(sup *s, int timeout_ms);

/* ---------------------------------------------------------------- collateral */

typedef struct collat collat;

/* Creates the collateral service: the PCCS client when cfg->pccs_url is set (loading
 * DATA_DIR/collateral) and the thread answering COLLATERAL_REQ through s (set later with
 * esgx_collat_attach; requests queue until then). *out is freed with esgx_collat_free. Returns 0,
 * ESGX_NODE_E_ARG (bad --pccs URL, cache directory unusable: err says why),
 * ESGX_NODE_E_NOMEM or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_collat_new(const node_config *cfg, collat **out, esgx_err *err);

/* Gives c the supervisor its replies go through; the worker starts answering. */
void esgx_collat_attach(collat *c, sup *s);

/* Stops the thread and frees c (NULL allowed; requests still queued get no reply). */
void esgx_collat_free(collat *c);

/* Queues the enclave's COLLATERAL_REQ id for the collateral thread (never blocks; a
 * full queue is answered at once with an error). A sup_hooks.on_collateral_req (arg is
 * the collat). */
void esgx_collat_request(void *c, uint64_t id, const esgx_msg_collateral_req *rq);

/* Returns 1 if collateral comes from a PCCS (--pccs), else 0. */
int esgx_collat_enabled(const collat *c);

/* The collateral for the node's own quote (FMSPC and CA from its PCK certificate),
 * through the PCCS cache (may block on the network on first use or after the refresh
 * interval). Returns malloc'd JSON (*len bytes) or NULL with why filled. */
char *esgx_collat_for_quote(collat *c, const uint8_t *quote, size_t quote_len, size_t *len,
                       char *why, size_t why_cap);

/* ---------------------------------------------------------------- logs */

#define NODE_LOGS_LINES 200          /* lines kept per function */
#define NODE_LOGS_BYTES (64u * 1024u) /* bytes kept per function */
#define NODE_LOGS_FUNCTIONS 256      /* functions kept (the least recently used goes) */

typedef struct node_logs node_logs;

/* A long poll waiting for new lines of a function (owned by the HTTP request). */
typedef struct node_logs_waiter {
    char name[65];
    uint64_t deadline_ms;          /* monotonic: woken then without new lines */
    void (*wake)(struct node_logs_waiter *w);  /* called once, under the logs lock: it
                                                  may only resume the connection */
    void *owner;
    int registered;
    struct node_logs_waiter *next;
} node_logs_waiter;

/* Creates the logs (and their waker thread); *out is freed with esgx_node_logs_free.
 * Returns 0, ESGX_NODE_E_NOMEM or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_node_logs_new(node_logs **out, esgx_err *err);
/* Wakes every waiter and stops the thread; later waits return 0 at once (NULL allowed,
 * idempotent). */
void esgx_node_logs_stop(node_logs *l);
/* Stops l (esgx_node_logs_stop) and frees it (NULL allowed). */
void esgx_node_logs_free(node_logs *l);
/* Records what the registry says of name: its hash and whether logs are on. Turning
 * logs off, or a new hash, empties its ring. */
void esgx_node_logs_set(node_logs *l, const char *name, const uint8_t hash[32], int enabled);
/* Forgets name and its ring (the function was deleted). */
void esgx_node_logs_forget(node_logs *l, const char *name);
/* 1 if an invocation of hash (by name, or by hash when name is NULL) is to capture the
 * guest's debug output, else 0. */
int esgx_node_logs_wanted(node_logs *l, const char *name, const uint8_t hash[32]);
/* Appends captured output p[0..n) (one ring line per guest line) with the invocation's
 * status ("" or NULL: "ok") to the ring of name, or of every function with logs on and
 * this hash when name is NULL, and wakes their waiters. */
void esgx_node_logs_append(node_logs *l, const char *name, const uint8_t hash[32],
                      const char *status, const uint8_t *p, size_t n);
/* The lines of name after sequence number since, as malloc'ed text (*text, *len; caller
 * frees; empty for a function without lines); *next gets the last sequence number
 * given (ask for since = *next next time). Returns 0 or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_node_logs_read(node_logs *l, const char *name, uint64_t since, char **text,
                                   size_t *len, uint64_t *next, esgx_err *err);
/* Registers w (name, deadline_ms, wake set) unless w->name already has lines after
 * since. Returns 1 when registered (w->wake will be called once: new lines, deadline
 * or esgx_node_logs_free), 0 when there is something to read now. */
int esgx_node_logs_wait(node_logs *l, node_logs_waiter *w, uint64_t since);
/* Removes w if it is still registered (its wake is then not called). */
void esgx_node_logs_cancel(node_logs *l, node_logs_waiter *w);

/* ---------------------------------------------------------------- http */

struct esgx_net;

typedef struct http http;

/* What the HTTP server serves from (all must outlive it; collateral may be NULL). */
typedef struct http_deps {
    const node_config *cfg;        /* listen address, limits, collateral file */
    const char *token_hex;         /* admin token, 64 hex chars (copied) */
    sup *sup;
    content_store *content;
    registry *registry;
    metrics *metrics;
    collat *collateral;
    struct esgx_net *net;          /* the network (--etcd), or NULL for a node alone */
} http_deps;

/* Starts the HTTP daemon on cfg->listen_host:listen_port (port 0: any free port, see
 * esgx_http_port); with cfg->tls_cert and tls_key, HTTPS only (the PEM files are read and
 * checked to be a certificate and its key first). *out is freed with esgx_http_free. Returns
 * 0, ESGX_NODE_E_ARG (host does not resolve; a TLS file missing, unreadable, not PEM, or
 * key and certificate not a pair; only one of the two given), ESGX_NODE_E_NOMEM or
 * ESGX_NODE_E_IO (cannot listen). */
ESGX_MUST_CHECK int esgx_http_start(const http_deps *deps, http **out, esgx_err *err);
/* Returns the port h listens on. */
unsigned esgx_http_port(const http *h);
/* Stops accepting new connections (quiesce). */
void esgx_http_quiesce(http *h);
/* Stops the daemon and frees h (NULL allowed; every suspended connection must have been
 * resumed, i.e. the supervisor stopped). */
void esgx_http_free(http *h);

/* ---------------------------------------------------------------- network glue */

/* node_net.c: joining a network (--etcd). */
typedef struct node_net node_net;

/* Joins the network of cfg->etcd: the node id (--node-id or DATA_DIR/node.id), the
 * network object serving content through `content`, and, when token_hex is given (a
 * node that has DATA_DIR/admin.token), the admin token's hash published (refused if
 * the network already has another). *out is freed with esgx_node_net_close. Returns 0,
 * ESGX_NODE_E_ETCD (unreachable: the message names the endpoints), ESGX_NODE_E_CONFLICT
 * or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_node_net_open(const node_config *cfg, content_store *content,
                                  const char *token_hex, node_net **out, esgx_err *err);
/* Gives the network the supervisor, for the enclave's identity in the member record. */
void esgx_node_net_attach(node_net *nn, sup *s);
/* Fills the supervisor hooks that fetch missing content and find key-sharing peers
 * (nothing when nn is NULL). */
void esgx_node_net_hooks(node_net *nn, sup_hooks *h);
/* The network object (NULL when nn is NULL). */
struct esgx_net *esgx_node_net_handle(node_net *nn);
/* Waits until a live member serves the key (--peer-listen). 0 or ESGX_NODE_E_TIMEOUT. */
ESGX_MUST_CHECK int esgx_node_net_wait_peers(node_net *nn, int timeout_ms);
/* Leaves the network (NULL allowed). */
void esgx_node_net_close(node_net *nn);

/* ---------------------------------------------------------------- metrics text */

/* Renders the Prometheus text (counters of m, bytes of cs, state and counters of the
 * enclave through s, and the network's counters when net is non-NULL) into a malloc'ed NUL-terminated buffer (*len bytes; caller frees).
 * Returns NULL when out of memory. */
char *esgx_metrics_render(metrics *m, content_store *cs, sup *s, struct esgx_net *net,
                          size_t *len);

#endif
