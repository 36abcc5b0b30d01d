/*
 * executor.h: runs one invocation request from start to signed result.
 *
 * esgx_executor_run is synchronous and thread-safe: the enclave's worker pool calls it from
 * several threads at once. Each call gets a fresh esgx_wasm_store and instance (no state
 * leaks between invocations); compiled modules come from the shared module cache.
 */
#ifndef ESGX_EXECUTOR_H
#define ESGX_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"
#include "esgx_crypto.h"
#include "esgx_wasm.h"
#include "platform.h"

/* Result statuses (same values as the channel's RESULT status). */
typedef enum exec_status {
    EXEC_OK = 0,
    EXEC_TRAP = 1,
    EXEC_BAD_REQUEST = 2,
    EXEC_NOT_READY = 3,
    EXEC_INTERNAL = 4,
} exec_status;

typedef struct exec_config {
    uint64_t max_content;       /* bytes of stored content; default 16 MiB */
    uint64_t max_input;         /* default 8 MiB */
    uint64_t max_output;        /* default 16 MiB */
    uint64_t fuel_limit;        /* default and maximum fuel per request; default 10^9 */
    uint32_t memory_pages;      /* linear memory cap, 64 KiB pages; default 1024 */
    uint32_t compile_threads;   /* esgx_wasm_limits.compile_threads; default 0 (one per CPU) */
    uint32_t call_depth;        /* default 10000 */
    int tier;                   /* esgx_wasm_limits.tier of every module; default
                                   ESGX_WASM_TIER_DEFAULT (ESGX_WASM_TIER, else the best) */
    uint32_t table_elems;       /* default 100000 */
    size_t cache_entries;       /* compiled modules kept; default 64 */
    uint64_t cache_bytes;       /* sum of what they hold in memory (binary, interpreter
                                   code, machine code compiled so far:
                                   esgx_wasm_module_memory_bytes); default 256 MiB */
    int debug;                  /* guest debug output to stderr */
    uint64_t bad_module_ms;     /* how long an invalid module's failure is remembered
                                   (answered without content or compile); default
                                   60000, 0 = never */
} exec_config;

/* Fills c with the defaults above. */
void esgx_exec_config_default(exec_config *c);

/* The most captured debug output kept per request (the channel's ESGX_PROTO_MAX_LOGS,
 * checked in exec_bridge.c). */
#define EXEC_MAX_LOGS 16384

typedef struct exec_request {
    uint8_t module_hash[32];
    int decrypt;
    uint64_t fuel;              /* 0 = fuel_limit */
    const char *function;       /* not NUL-terminated */
    size_t function_len;        /* 1..255 */
    const uint8_t *input;
    size_t input_len;
    int has_content;
    const uint8_t *content;
    size_t content_len;
    int capture_logs;           /* 1: keep the guest's debug output in res->logs */
    int sealed;                 /* 1: input is a sealed input (docs/formats.md): opened
                                   before the run, the output sealed after it */
    int has_record;             /* 1: a call by name; the record's fields below, its hash
                                   and encrypted flag are module_hash and decrypt */
    char record_name[ESGX_NAME_MAX_LEN + 1];   /* NUL-terminated */
    size_t record_name_len;
    uint8_t record_owner[33];
    uint64_t record_seq;
    uint8_t record_network[33];
    uint8_t record_signature[ESGX_EC_SIGNATURE_LEN];
} exec_request;

typedef struct exec_result {
    int need_content;           /* 1: module not cached, resend with content */
    exec_status status;
    esgx_wasm_trap trap;        /* the trap when status is EXEC_TRAP from guest code or a
                                   host call (ESGX_WASM_TRAP_NONE otherwise); compare this,
                                   not code */
    char code[64];              /* the channel's code text, e.g. "out_of_fuel",
                                   "hash_mismatch" (empty if OK) */
    char message[512];
    uint64_t fuel_used;
    uint8_t input_hash[32];
    uint8_t output_hash[32];
    uint8_t signature[ESGX_EC_SIGNATURE_LEN];
    uint8_t *tree;              /* heap: tree_len bytes (n * 32) */
    size_t tree_len;
    uint8_t *output;            /* heap: output_len bytes */
    size_t output_len;
    uint8_t *logs;              /* heap: captured debug output (capture_logs), at most
                                   EXEC_MAX_LOGS bytes, in any status; NULL if none */
    size_t logs_len;
} exec_result;

/* Frees the heap parts of r (safe on a zeroed or already freed result). */
void esgx_exec_result_free(exec_result *r);

typedef struct exec_stats {
    uint64_t executions;        /* requests that ran guest code */
    uint64_t traps;
    uint64_t cache_entries, cache_hits, cache_misses;
    uint64_t cache_bytes;       /* what the cached modules hold in memory (binary,
                                   interpreter code, machine code compiled so far),
                                   as counted against exec_config.cache_bytes */
    uint64_t jit_refused;       /* functions of the modules cached now that the compiler
                                   tier refused (they run interpreted) */
} exec_stats;

typedef struct executor executor;

/* Creates an executor with configuration cfg (copied) using plat for random bytes.
 * Returns 0, or ESGX_E_NOMEM with a message when memory runs out. */
int esgx_executor_new(const exec_config *cfg, esgx_platform *plat, executor **out, esgx_err *err);
void esgx_executor_free(executor *ex);

/* Publishes the shared key (a private extended key and its xpub text), after deriving
 * from it the key of guests' random streams (docs/formats.md, "Guest randomness"). The
 * pointed-to objects must stay valid and unchanged until esgx_executor_free; the key
 * cannot be changed once set. Before this, every request answers EXEC_NOT_READY
 * "no_key". Returns ESGX_OK, or the derivation's code (err filled) with nothing
 * published. */
ESGX_MUST_CHECK int esgx_executor_set_key(executor *ex, const esgx_bip32_key *shared,
                                          const char *xpub, esgx_err *err);

/* Runs one request into *res (zeroed first). Never fails as a function: every outcome,
 * including internal errors, is described by res. res->need_content = 1 means the
 * module is not cached and the request had no content. */
void esgx_executor_run(executor *ex, const exec_request *rq, exec_result *res);

/* Counters for metrics. */
void esgx_executor_get_stats(executor *ex, exec_stats *out);

#endif
