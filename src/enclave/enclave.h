/*
 * enclave.h: the esgx-enclave process's own state, as one object passed down.
 *
 * The process (main.c) owns one `enclave`; every function of the process files takes
 * it (or receives it through a callback's void *arg) and nothing else is shared. It has
 * four parts, each guarded by its own lock and owned by one file:
 *
 *   opt    the parsed command line (options.c); read-only once parsed
 *   chan   the host channel (channel.c): socket, send lock, job queue, in-flight
 *          table, worker pool; the executor (exec_bridge.c, the one file that calls
 *          executor.h)
 *   trust  the network key and who may receive it (trust.c): platform, key store and
 *          its lock, the ATTEST_DOC quote cache, the RA-TLS verifier and the peer service
 *   coll   COLLATERAL_REQ/REPLY waits (collateral_wait.c, for --collateral-from-host)
 *
 * Lock order: trust.mu may be held while a frame is sent (chan.send_lock); no other
 * nesting. Functions return 0 or a negative code from esgx_common.h; the process steps
 * (enclave_*_start) return a process exit status instead (0 = go on).
 */
#ifndef ESGX_ENCLAVE_H
#define ESGX_ENCLAVE_H

#include <pthread.h>
#include <stdint.h>

#include "esgx_attest.h"
#include "esgx_common.h"
#include "esgx_proto.h"
#include "keystore.h"
#include "netkey.h"
#include "peer.h"
#include "platform.h"

#define ENCLAVE_EXIT_CONFIG 78        /* EX_CONFIG: fatal, the host does not restart */
#define ENCLAVE_EXIT_FAILURE 1        /* a crash as far as the host is concerned */
#define ENCLAVE_MAX_TRUST 16          /* --trust-mrenclave values */
#define ENCLAVE_INFLIGHT_BUCKETS 1024
#define ENCLAVE_COLLATERAL_WAIT_MS 20000

enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* ---------------------------------------------------------------- parts */

typedef struct enclave_options {
    const char *data_dir;          /* --data-dir DIR (required) */
    int channel_fd;                /* --channel-fd N (required; -1 = not given) */
    int init;                      /* --init */
    unsigned workers;              /* --workers N */
    uint64_t fuel;                 /* --fuel N */
    uint64_t max_content;          /* --max-content BYTES */
    uint64_t max_input;            /* --max-input BYTES */
    uint64_t max_output;           /* --max-output BYTES */
    uint32_t memory_pages;         /* --memory-pages N */
    uint32_t compile_threads;      /* --compile-threads N */
    int tier;                      /* --tier interp|jit (esgx_wasm_tier; DEFAULT when not
                                      given: ESGX_WASM_TIER, else the compiler) */
    uint64_t queue_timeout_ms;     /* --queue-timeout-ms MS (0 = none) */
    uint64_t max_exec_ms;          /* --max-exec-ms MS (0 = none) */
    int debug;                     /* --debug */
    int log_level;                 /* --log-level (LOG_*) */
    const char *sim_bundle;        /* --sim-bundle DIR */
    const char *peer_listen;       /* --peer-listen HOST:PORT */
    const char *peers;             /* --peers LIST */
    const char *collateral;        /* --collateral FILE (gramine-sgx peers) */
    int collateral_from_host;      /* --collateral-from-host (gramine-sgx peers) */
    const char *sim_root;          /* --sim-root PEM (extra trust anchor, sim only) */
    const char *trust[ENCLAVE_MAX_TRUST];   /* --trust-mrenclave HEX (repeatable) */
    unsigned trust_count;
    const char *accept_status;     /* --accept-status LIST */
    const char *network_key;       /* --network-key XPUB|HEX: the only key to accept */
} enclave_options;

/* A queued or running EXEC. exec_bridge.c allocates it with its request behind it. */
typedef struct enclave_job {
    uint64_t id;
    uint64_t queued_ms;                  /* esgx_monotonic_ms() when queued */
    struct enclave_job *next;            /* queue */
    struct enclave_job *next_inflight;   /* in-flight bucket chain */
} enclave_job;

struct executor;

typedef struct enclave_channel {
    int fd;
    pthread_mutex_t send_lock;           /* one frame at a time, from any thread */
    pthread_mutex_t lock;                /* queue, in-flight table, stopping */
    pthread_cond_t cond;                 /* work queued or stopping */
    enclave_job *head, *tail;
    enclave_job *inflight[ENCLAVE_INFLIGHT_BUCKETS];
    int stopping;
    pthread_t *threads;                  /* worker pool */
    unsigned nthreads;                   /* started */
    /* what each worker runs (lock): id and start, 0 = idle; the watchdog reads them */
    uint64_t *run_id, *run_start_ms;
    unsigned next_slot;                  /* the next worker's index in run_id */
    pthread_t watchdog;                  /* --queue-timeout-ms / --max-exec-ms */
    pthread_cond_t wd_cond;              /* CLOCK_MONOTONIC; wakes the watchdog to stop */
    int watchdog_started, wd_stop;
    struct executor *ex;                 /* exec_bridge.c */
    int tier;                            /* the tier every module runs on (ESGX_TIER_*,
                                            resolved by exec_bridge.c), sent in HELLO */
} enclave_channel;

typedef struct enclave_trust {
    esgx_platform *plat;
    int gramine;                         /* platform is gramine-sgx */
    /* mu guards ks and the quote cache against the peer threads (serve: read the xprv;
     * fetch: install) and the channel thread (INIT_KEY, ATTEST_DOC). Workers read the
     * key only through the executor's release-published pointer. */
    pthread_mutex_t mu;
    esgx_keystore ks;
    uint8_t *doc_quote;                  /* ATTEST_DOC: quote over SHA-256(xpub) */
    size_t doc_quote_len;
    char doc_error[512];
    int doc_done;                        /* one quote per key (the key never changes) */
    /* MAC_REQ: k_admin of the key (docs/formats.md "Admin MACs"), derived at the first
     * request once the key is there (mu); wiped with the key */
    uint8_t k_admin[32];
    int admin_ready;
    /* The RA-TLS verifier and what it points to. */
    esgx_attest_sim_bundle *bundle;
    char *collateral;                    /* owned copy (gramine --collateral) */
    char *roots;                         /* owned PEM text */
    peer_config pc;
    peer_service *peers;
    /* --network-key: the pin (netkey.h), and the last refusal told to the host (mu) */
    esgx_netkey_pin pin;
    char pin_refusal[ESGX_ERR_MSG_MAX];
} enclave_trust;

/* One COLLATERAL_REQ waiting for its reply (on the waiting thread's stack). */
typedef struct enclave_coll_wait {
    uint64_t id;
    int done;
    char *json;                          /* malloc'd on success */
    size_t len;
    char error[512];
    struct enclave_coll_wait *next;
} enclave_coll_wait;

typedef struct enclave_collateral {
    pthread_mutex_t mu;
    pthread_cond_t cond;                 /* CLOCK_MONOTONIC */
    enclave_coll_wait *waiting;
    uint64_t next_id;
    int closed;                          /* the channel is gone: nobody will answer */
} enclave_collateral;

typedef struct enclave {
    enclave_options opt;
    enclave_channel chan;
    enclave_trust trust;
    enclave_collateral coll;
} enclave;

/* ---------------------------------------------------------------- main.c */

/* Writes one "esgx-enclave: LEVEL: ..." line to stderr if level <= E's log level. */
void enclave_log(const enclave *E, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---------------------------------------------------------------- options.c */

/* Parses argv into o (defaults first). Returns 0, 1 after printing the usage for
 * --help/-h (the caller exits 0), or ESGX_ENCLAVE_E_USAGE after writing an error that
 * names the option to stderr. */
ESGX_MUST_CHECK int enclave_options_parse(int argc, char **argv, enclave_options *o);

/* ---------------------------------------------------------------- channel.c */

/* Initialises E->chan's locks (fd from the options). Returns 0 or ESGX_ENCLAVE_E_THREAD. */
ESGX_MUST_CHECK int enclave_channel_init(enclave *E);

/* Sends one frame (serialised with every other sender). Returns 0 or the
 * esgx_proto_send code (logged as a warning). */
int enclave_send(enclave *E, const esgx_msg *m);

/* The bytes of a NUL-terminated string (NULL = empty). */
esgx_bytes enclave_str_bytes(const char *s);

/* 1 if id is queued or running. */
int enclave_inflight_has(enclave *E, uint64_t id);

/* Unlinks id from the in-flight table (before its reply is sent, so the host may
 * reuse the id at once). */
void enclave_inflight_remove(enclave *E, uint64_t id);

/* Adds j to the in-flight table and the queue, and wakes a worker. */
void enclave_enqueue(enclave *E, enclave_job *j);

/* Step: starts opt.workers worker threads. Returns 0 or ENCLAVE_EXIT_FAILURE. */
int enclave_workers_start(enclave *E);

/* Step: sends HELLO. Returns 0 or ENCLAVE_EXIT_FAILURE. */
int enclave_send_hello(enclave *E);

/* Reads and dispatches frames until SHUTDOWN or EOF (returns 0) or a channel error or
 * unexpected message (returns ENCLAVE_EXIT_FAILURE). */
int enclave_channel_run(enclave *E);

/* Lets the workers finish every queued job and joins them (safe if none started). */
void enclave_workers_stop(enclave *E);

/* ---------------------------------------------------------------- exec_bridge.c */

/* Step: creates the executor from the options. Returns 0 or ENCLAVE_EXIT_FAILURE. */
int enclave_exec_start(enclave *E);

/* Frees the executor (NULL is allowed). */
void enclave_exec_stop(enclave *E);

/* Publishes E->trust.ks (ready) to the executor; called once per key, with trust.mu
 * held or before any other thread runs. */
void enclave_exec_publish_key(enclave *E);

/* EXEC: refuses a duplicate id, else copies the request into a job and queues it. */
void enclave_exec_submit(enclave *E, const esgx_msg *m);

/* Worker: runs j, takes its id out of flight, sends NEED_CONTENT or RESULT, frees j. */
void enclave_exec_job_run(enclave *E, enclave_job *j);

/* Answers j (already out of the queue and out of flight) with a RESULT of outcome id
 * (ESGX_RC_*: its code and channel status) and message and no output, then wipes and
 * frees j. */
void enclave_exec_job_refuse(enclave *E, enclave_job *j, int id, const char *message);

/* STATS: replies STATS_REPLY with the executor's counters. */
void enclave_exec_stats(enclave *E, uint64_t id);

/* ---------------------------------------------------------------- trust.c */

/* Step: opens the platform chosen by ESGX_PLATFORM. Returns 0 or ENCLAVE_EXIT_CONFIG. */
int enclave_platform_start(enclave *E);

/* Step: builds the RA-TLS verifier (roots, collateral, policy). Returns 0 or
 * ENCLAVE_EXIT_CONFIG after logging why. */
int enclave_trust_start(enclave *E);

/* Step: --init refuses an existing sealed key; otherwise unseals it if there is one,
 * and refuses it when --network-key pins another key. Returns 0 or ENCLAVE_EXIT_CONFIG. */
int enclave_key_start(enclave *E);

/* Step: starts the peer service (--peer-listen, --peers unless the key was unsealed).
 * Returns 0 or ENCLAVE_EXIT_CONFIG. */
int enclave_peers_start(enclave *E);

/* INIT_KEY: creates and seals the key, replies KEY_STATUS. */
void enclave_handle_init_key(enclave *E, uint64_t id);

/* ATTEST_DOC: replies with the key and the cached quote over SHA-256(xpub). */
void enclave_handle_attest_doc(enclave *E, uint64_t id);

/* MAC_REQ: replies MAC_REPLY with the token_mac, content_mac or held_mac of the request's data
 * (state no key, MAC zeros, while the enclave has no network key). */
void enclave_handle_mac_req(enclave *E, const esgx_msg *m);

/* Stops the peer service (before the executor is freed: a fetch may still publish a
 * key). NULL service is allowed. */
void enclave_peers_stop(enclave *E);

/* Wipes the key, frees the quote cache and the verifier, closes the platform (each
 * only if it was set up). */
void enclave_trust_stop(enclave *E);

/* ---------------------------------------------------------------- collateral_wait.c */

/* Initialises E->coll. Returns 0 or ESGX_ENCLAVE_E_THREAD. */
ESGX_MUST_CHECK int enclave_collateral_init(enclave *E);

/* esgx_attest_collateral_fn for --collateral-from-host (arg is the enclave). */
int enclave_host_collateral(const esgx_attest_pck_ids *ids, char **json, size_t *len,
                            void *arg, esgx_err *err);

/* COLLATERAL_REPLY (channel thread): completes the waiter with its id. */
void enclave_handle_collateral_reply(enclave *E, const esgx_msg *m);

/* The channel closed: every waiter fails at once, and so does every later request. */
void enclave_collateral_closed(enclave *E);

#endif
