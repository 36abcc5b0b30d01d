/*
 * node.h: internal interfaces of esgxd, the untrusted node host.
 *
 *   main.c        flags, logging, signals, data-dir bootstrap (--init, admin token)
 *   http.c        libmicrohttpd routes (docs/http-api.md), request validation
 *   content.c     content store: DIR/content/<blake3 hex>, atomic writes
 *   registry.c    function registry: SQLite DIR/registry.db
 *   supervisor.c  the esgx-enclave child: start, channel, request table, restarts
 *   metrics.c     counters and the Prometheus text of /metrics
 *   collateral.c  --pccs: COLLATERAL_REQ answers and /attestation collateral
 *   pccs.c        PCCS client and collateral cache (pccs.h)
 */
#ifndef ESGX_NODE_H
#define ESGX_NODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "esgx_common.h"
#include "esgx_proto.h"

/* Error codes of the node (besides those of the libraries it calls). */
/* Error codes (values in esgx_common.h's ESGX_ERRORS; esgx_strerror names them):
 *   ESGX_NODE_E_ARG            bad argument
 *   ESGX_NODE_E_IO             file system error
 *   ESGX_NODE_E_NOTFOUND       no such content / function
 *   ESGX_NODE_E_DB             SQLite error
 *   ESGX_NODE_E_DOWN           enclave not running
 *   ESGX_NODE_E_NOMEM          
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
    int debug;
    int log_level;                 /* NODE_LOG_* */
    /* attestation and key sharing, passed through to the enclave (docs/channel.md) */
    const char *sim_bundle;        /* --sim-bundle DIR (its collateral.json is served) */
    const char *peer_listen;       /* --peer-listen HOST:PORT */
    const char *peers;             /* --peers host:port,... */
    const char *collateral;        /* --collateral FILE (gramine-sgx; also served) */
    const char *pccs_url;          /* --pccs URL (collateral fetched and cached) */
    int pccs_insecure;             /* --pccs-insecure */
    unsigned pccs_refresh;         /* --pccs-refresh SECONDS (default 3600) */
    const char *sim_root;          /* --sim-root PEM */
    const char *accept_status;     /* --accept-status LIST */
    const char *trust_mrenclave[16]; /* --trust-mrenclave HEX (repeatable) */
    unsigned n_trust;
} node_config;

enum { NODE_LOG_ERROR = 0, NODE_LOG_WARN, NODE_LOG_INFO, NODE_LOG_DEBUG };

extern node_config g_cfg;

/* Logs one line to stderr ("esgxd: 2026-01-01T00:00:00Z LEVEL message") if level is
 * enabled. Never pass secrets. */
void node_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* {"error": message (or code if NULL), "code": code} as a malloc'ed compact JSON
 * string; *len (if non-NULL) gets its length. */
char *node_error_json(const char *code, const char *message, size_t *len);

/* Asks the main thread to shut down (fatal = exit status 1 afterwards). Async-safe. */
void node_request_shutdown(int fatal);

/* ---------------------------------------------------------------- content store */

/* Opens DIR/content (created 0700 if missing), removes stale temp files and counts the
 * stored bytes. Returns 0 or ESGX_NODE_E_IO. */
int content_open(const char *data_dir, esgx_err *err);

/* Stores data[0..len) under its BLAKE3 hash (temp file, fsync, rename, fsync dir;
 * nothing written if it exists). hash_hex gets 64 lowercase hex chars + NUL.
 * *created is 1 if a new file was written. Returns 0 or ESGX_NODE_E_IO. */
int content_put(const uint8_t *data, size_t len, char hash_hex[65], int *created,
                esgx_err *err);

/* Opens the stored file for a 32-byte hash read-only; *size gets its size. Returns the
 * fd (caller closes) or ESGX_NODE_E_NOTFOUND / ESGX_NODE_E_IO. */
int content_open_fd(const uint8_t hash[32], uint64_t *size, esgx_err *err);

/* Reads the whole stored file for hash into a malloc'ed buffer (*data, *len; caller
 * frees). Returns 0, ESGX_NODE_E_NOTFOUND, ESGX_NODE_E_IO or ESGX_NODE_E_NOMEM. */
int content_read(const uint8_t hash[32], uint8_t **data, size_t *len, esgx_err *err);

/* Whether content for hash exists. */
int content_exists(const uint8_t hash[32]);

/* Total bytes stored (for /metrics). */
uint64_t content_total_bytes(void);

/* ---------------------------------------------------------------- registry */

typedef struct registry_fn {
    char name[65];
    char hash[65];                 /* 64 lowercase hex */
    int decrypt;
    int64_t created;               /* unix seconds */
} registry_fn;

/* Opens (creating) DIR/registry.db. Returns 0 or ESGX_NODE_E_DB. */
int registry_open(const char *data_dir, esgx_err *err);
void registry_close(void);

/* Inserts or replaces name -> (hash, decrypt) with created = now. *replaced = 1 if the
 * name existed. Returns 0 or ESGX_NODE_E_DB. */
int registry_put(const char *name, const char *hash_hex, int decrypt, int *replaced,
                 esgx_err *err);

/* Looks name up. Returns 0, ESGX_NODE_E_NOTFOUND or ESGX_NODE_E_DB. */
int registry_get(const char *name, registry_fn *out, esgx_err *err);

/* Deletes name. Returns 0, ESGX_NODE_E_NOTFOUND or ESGX_NODE_E_DB. */
int registry_delete(const char *name, esgx_err *err);

/* Lists all functions ordered by name into a malloc'ed array (*out, *count; caller
 * frees). Returns 0 or ESGX_NODE_E_DB. */
int registry_list(registry_fn **out, size_t *count, esgx_err *err);

/* ---------------------------------------------------------------- supervisor */

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
    /* completion */
    void (*on_done)(struct sup_req *r);   /* called once, outside locks (may be NULL) */
    int done;
    int busy;                      /* content thread is sending for it */
    int content_sent;
    unsigned http_status;          /* result: HTTP status */
    char *body;                    /* malloc'ed response body (owner frees) */
    size_t body_len;
    int body_is_json;              /* error JSON vs header line + output */
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
} sup_info;

/* Starts the supervisor thread (and the content thread). If init is set the first
 * enclave gets --init and INIT_KEY. Returns 0 or ESGX_NODE_E_IO. */
int sup_start(esgx_err *err);

/* Waits (up to timeout_ms) until the enclave reported HELLO (and finished INIT_KEY if
 * requested). Returns 0, or -1 on timeout or fatal failure. */
int sup_wait_ready(int timeout_ms);

/* Snapshot of the enclave state. */
void sup_get_info(sup_info *out);

/* Sends an EXEC for r (r->hash, decrypt, fuel, function, input set; on_done set).
 * Returns 0 when sent (r->on_done will be called exactly once later), or
 * ESGX_NODE_E_DOWN when the enclave is not available (on_done is not called). */
int sup_exec(sup_req *r);

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

/* Asks the enclave for its attestation document (blocks up to timeout_ms). Returns 0
 * or -1 (enclave down, timeout). */
int sup_attest(sup_attest_doc *out, int timeout_ms);

/* Queries enclave counters (blocks up to timeout_ms). Returns 0 or -1. */
int sup_stats(esgx_msg_stats_reply *out, int timeout_ms);

/* Sends one message to the enclave (serialised with every other writer). Returns 0, or
 * ESGX_NODE_E_DOWN when the channel is not up or the send failed. */
int sup_send(const esgx_msg *m);

/* Graceful stop: SHUTDOWN to the enclave, wait for its exit (up to timeout_ms, then
 * SIGKILL), fail anything still pending, join threads. */
void sup_stop(int timeout_ms);

/* ---------------------------------------------------------------- collateral */

/* Creates the PCCS client when --pccs is set (loading DATA_DIR/collateral) and starts
 * the thread answering COLLATERAL_REQ. Returns 0, ESGX_NODE_E_ARG (bad --pccs URL, cache
 * directory unusable: err says why) or ESGX_NODE_E_IO. */
int collat_start(esgx_err *err);

/* Stops the thread and frees the client (requests still queued get no reply). */
void collat_stop(void);

/* Queues the enclave's COLLATERAL_REQ id for the collateral thread (never blocks; a
 * full queue is answered at once with an error). Called by the channel reader. */
void collat_request(uint64_t id, const esgx_msg_collateral_req *rq);

/* Whether collateral comes from a PCCS (--pccs). */
int collat_enabled(void);

/* The collateral for the node's own quote (FMSPC and CA from its PCK certificate),
 * through the PCCS cache (may block on the network on first use or after the refresh
 * interval). Returns malloc'd JSON (*len bytes) or NULL with why filled. */
char *collat_for_quote(const uint8_t *quote, size_t quote_len, size_t *len, char *why,
                       size_t why_cap);

/* ---------------------------------------------------------------- http */

/* Starts the HTTP daemon on g_cfg.listen_host:listen_port. Returns 0 or ESGX_NODE_E_IO. */
int http_start(esgx_err *err);
/* Stops accepting new connections (quiesce). */
void http_quiesce(void);
/* Stops the daemon (all suspended connections must have been resumed). */
void http_stop(void);
/* The admin token (64 hex chars) the daemon checks; set before http_start. */
void http_set_token(const char *token_hex);

/* ---------------------------------------------------------------- metrics */

enum {
    ROUTE_SERVICES = 0, ROUTE_CONTENT_PUT, ROUTE_CONTENT_GET, ROUTE_FN_INVOKE, ROUTE_FN_DEPLOY,
    ROUTE_FN_LIST, ROUTE_FN_DELETE, ROUTE_ATTESTATION, ROUTE_HEALTH, ROUTE_METRICS, ROUTE_OTHER,
    ROUTE_COUNT
};

/* Counts one answered request. */
void metrics_request(int route, unsigned status);
void metrics_invocation(int trapped);
void metrics_enclave_restart(void);
/* Renders the Prometheus text into a malloc'ed NUL-terminated buffer (caller frees). */
char *metrics_render(size_t *len);

#endif
