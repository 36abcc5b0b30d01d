/*
 * supervisor.h: the esgx-enclave child process, its channel (docs/channel.md), the table
 * of requests waiting for it and its restarts (supervisor.c).
 */
#ifndef ESGX_NODE_SUPERVISOR_H
#define ESGX_NODE_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "content.h"
#include "esgx_common.h"
#include "esgx_crypto.h"
#include "esgx_proto.h"
#include "metrics.h"
#include "node_config.h"

typedef struct sup sup;

/* A request waiting for the enclave. Embedded in the HTTP request context (http_server.c) or
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
    uint8_t sealed;                /* input is a sealed input (docs/formats.md, "Sealed
                                      calls"): the enclave opens it and seals the output */
    const esgx_name_record *record;   /* a call by name: the name's signed record, whose
                                      hash and encrypted flag are hash and decrypt above
                                      (the owner keeps it alive); NULL: a call by hash */
    /* completion */
    void (*on_done)(struct sup_req *r);   /* called once, outside locks (may be NULL) */
    int done;
    int busy;                      /* content thread is sending for it */
    int content_sent;
    int fetch_state;               /* content thread: 0 none, 1 fetching from the
                                      network, 2 fetched (fetch_rc, fetch_msg) */
    int fetch_rc;
    char fetch_msg[ESGX_ERR_MSG_MAX];
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
    uint8_t *mac;                  /* for MAC_REQ: 32 bytes filled by the reader */
    struct sup_req *next;          /* table chain */
    /* the timing model of supervisor.c (under its table lock) */
    uint8_t q_state;               /* 0 not in the enclave, 1 waiting, 2 running */
    uint64_t q_mark_us;            /* when it entered that state */
    uint64_t queue_us, run_us;     /* time spent waiting for a worker, running */
    struct sup_req *q_next;        /* the waiting list */
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
    const char *tier;              /* the tier the enclave runs functions on, as its last
                                      HELLO said ("interp" or "jit", static; NULL when
                                      not said) */
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
    /* Content the enclave needs is not stored here: ask the network for it and return
     * at once (content thread; must not wait on the network). 0 when accepted: done(ctx,
     * hash, rc, err) is then called exactly once, later, from another thread, with rc 0
     * when the content is now stored; else a code with err, and done is never called.
     * The owner stops the fetches (esgx_net_fetch_stop) before esgx_sup_free. */
    int (*fetch_content)(void *arg, const uint8_t hash[32],
                         void (*done)(void *ctx, const uint8_t hash[32], int rc,
                                      const esgx_err *err),
                         void *ctx, esgx_err *err);
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

/* Asks the enclave (MAC_REQ, 5 s at most) for the MAC of kind ESGX_MAC_TOKEN (data:
 * SHA-256 of the token's text, out: token_mac), ESGX_MAC_CONTENT (data: a content
 * hash, out: content_mac) or ESGX_MAC_HELD (data: SHA-256 of a content hash and a node
 * id, out: held_mac), docs/formats.md "Admin MACs". Returns 0, ESGX_NODE_E_ARG
 * (another kind), ESGX_NODE_E_DOWN (enclave down, channel failed, or no network key
 * yet: the message says which) or ESGX_NODE_E_TIMEOUT. */
ESGX_MUST_CHECK int esgx_sup_mac(sup *s, int kind, const uint8_t data[32], uint8_t out[32],
                                 esgx_err *err);

/* Queries enclave counters into *out (blocks up to timeout_ms). Returns 0,
 * ESGX_NODE_E_DOWN or ESGX_NODE_E_TIMEOUT. */
ESGX_MUST_CHECK int esgx_sup_stats(sup *s, esgx_msg_stats_reply *out, int timeout_ms);

/* Sends one message to the enclave (serialised with every other writer). Returns 0, or
 * ESGX_NODE_E_DOWN when the channel is not up or the send failed. */
ESGX_MUST_CHECK int esgx_sup_send(sup *s, const esgx_msg *m);

/* Graceful stop: SHUTDOWN to the enclave, wait for its exit (up to timeout_ms, then
 * SIGKILL), fail anything still pending, join threads. Idempotent. */
void esgx_sup_stop(sup *s, int timeout_ms);

#endif
