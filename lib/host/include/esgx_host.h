/*
 * esgx_host: the host side of one guest invocation, shared by the enclave's executor
 * and `esgx run`, so that a local run and a deployed run behave the same.
 *
 * It holds the host functions a guest may import (fn0 and all of WASI preview 1, under
 * the module names wasi_snapshot_preview1 and wasi_unstable,
 * docs/guest-abi.md) and ONE run function, esgx_host_run: link the imports, choose the
 * entry (`main` falls back to `_start`), instantiate with the fuel budget, call, treat
 * WASI proc_exit(0) as a normal end, map every trap to its code, and count fuel_used
 * (running out of fuel, in guest code or in a host call, uses the whole budget).
 *
 * The library knows nothing of a platform. Guest-visible randomness (WASI random_get)
 * is not drawn from a generator: it is a deterministic stream, BLAKE3's keyed XOF under
 * a 32-byte key the caller derives for the request (docs/guest-abi.md, "Randomness"),
 * so the same request gives the same answer and re-running it gains a host nothing.
 * Key material is only borrowed for the length of a call.
 */
#ifndef ESGX_HOST_H
#define ESGX_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"
#include "esgx_crypto.h"
#include "esgx_wasm.h"

/* How the entry is called. */
typedef enum esgx_host_entry_abi {
    /* The invocation ABI of a node: the entry must have type (i32, i32) -> i32 (called
     * with 0, 0), () -> () or () -> i32. */
    ESGX_HOST_ENTRY_INVOKE = 0,
    /* Any type: called with args[0..n_args), which must match its parameters; with no
     * args, a function of parameters (i32, i32) gets (0, 0). */
    ESGX_HOST_ENTRY_ARGS = 1,
} esgx_host_entry_abi;

/* Fuel value meaning "unmetered" (fuel_used is then not counted). */
#define ESGX_HOST_UNMETERED UINT64_MAX

/* One invocation. Every pointer is borrowed for the call only. */
typedef struct esgx_host_request {
    const char *function;            /* entry name, not NUL-terminated; "main" falls back
                                        to "_start" when the module exports no "main" */
    size_t function_len;
    esgx_host_entry_abi abi;
    const esgx_wasm_value *args;     /* ESGX_HOST_ENTRY_ARGS only */
    uint32_t n_args;
    const uint8_t *input;            /* what fn0 input_data_* and WASI fd 0 read */
    size_t input_len;
    uint8_t module_hash[32];         /* the hash the guest's derived keys are bound to */
    uint64_t fuel;                   /* budget; ESGX_HOST_UNMETERED = none */
    uint64_t max_output;             /* bytes the guest may write */
    int debug;                       /* debug_print and WASI fd 2 go to stderr */
    size_t capture_max;              /* > 0: debug_print and WASI fd 2 are also kept in
                                        res->logs, at most this many bytes (the end is
                                        then cut and marked); 0: nothing kept */
    const esgx_wasm_limits *limits;  /* store limits (memory pages, call depth, ...) */
    const esgx_bip32_key *shared;    /* the shared private extended key */
    const char *xpub;                /* its xpub text (111 characters) */
    const uint8_t *random_key;       /* 32 bytes: the key of this request's random stream
                                        (random_get returns its bytes in order, from
                                        offset 0); NULL: random_get answers EIO */
    const char *const *argv;         /* WASI argv: argc NUL-terminated strings (esgx run
                                        passes the module's file name, then its
                                        arguments); NULL: the function name alone, as
                                        on a node */
    uint32_t argc;
} esgx_host_request;

/* What happened. Filled by esgx_host_run in every case; free with esgx_host_result_free. */
typedef struct esgx_host_result {
    const char *code;        /* static: "" on success, else the code of the outcome as the
                                channel and the CLI name it: a trap name ("out_of_fuel",
                                "unreachable", ...), a host-made trap ("output_too_large"),
                                "proc_exit", "unsupported_import", "no_such_function",
                                "bad_signature", "invalid_module", "limit", "internal" */
    esgx_wasm_trap trap;     /* the trap for ESGX_HOST_E_TRAP, else ESGX_WASM_TRAP_NONE */
    int exit_code;           /* proc_exit's code when trap is ESGX_WASM_TRAP_EXIT */
    char message[512];       /* "" on success, else what went wrong */
    int started;             /* 1: instantiation began (guest code may have run) */
    int metered;             /* 1: fuel_used counts (the budget was not unmetered) */
    uint64_t fuel_used;      /* budget - remaining; the whole budget when out of fuel */
    uint8_t *output;         /* heap: what the guest wrote (output_len bytes) */
    size_t output_len;
    esgx_wasm_value *values; /* heap: the entry's results (n_values), on success only */
    uint32_t n_values;
    uint8_t *logs;           /* heap: the captured debug output (rq->capture_max > 0), in
                                every outcome: each debug_print as one line (trailing
                                newlines dropped, then one added), fd 2 bytes as written;
                                ends with ESGX_HOST_LOGS_CUT when cut */
    size_t logs_len;
} esgx_host_result;

/* The line that ends captured debug output cut at rq->capture_max. */
#define ESGX_HOST_LOGS_CUT "\n[debug output truncated]\n"

/*
 * Runs rq->function of the compiled module m.
 * Returns ESGX_OK when the entry returned or called proc_exit(0); otherwise a negative
 * code, with err (if non-NULL) and res->message describing it:
 *   ESGX_HOST_E_TRAP       the guest trapped (res->trap, res->code) or called proc_exit
 *                          with a non-zero code (code "proc_exit", res->exit_code)
 *   ESGX_HOST_E_IMPORT     an import is not a host function of that exact type
 *   ESGX_HOST_E_ENTRY      no exported function of that name
 *   ESGX_HOST_E_SIGNATURE  the entry's type does not fit rq->abi and rq->args
 *   ESGX_HOST_E_LIMIT      instantiation exceeds rq->limits
 *   ESGX_HOST_E_MODULE     instantiation failed otherwise
 *   ESGX_HOST_E_NOMEM, ESGX_HOST_E_INTERNAL, ESGX_HOST_E_ARG (rq malformed)
 * res->fuel_used and res->output are valid after every outcome in which a store was
 * made; res->values only after ESGX_OK.
 */
ESGX_MUST_CHECK int esgx_host_run(const esgx_wasm_module *m, const esgx_host_request *rq,
                                  esgx_host_result *res, esgx_err *err);

/* Frees the heap parts of res (safe on a zeroed or already freed result). */
void esgx_host_result_free(esgx_host_result *res);

/*
 * Checks that every import of m is a host function of the guest ABI with exactly the
 * type the module declares (what esgx_host_run would link).
 * Returns ESGX_OK or ESGX_HOST_E_IMPORT with a message naming the first bad import
 * ("unsupported import fn0.nope: function "fn0"."nope" is not in the guest ABI (see
 * docs/guest-abi.md)", "import fn0.x has type (i32) -> (), expected (i32, i32) -> (i32)"), or ESGX_HOST_E_INTERNAL.
 */
ESGX_MUST_CHECK int esgx_host_check_imports(const esgx_wasm_module *m, esgx_err *err);

/*
 * Finds the entry esgx_host_run would call: the exported function named
 * function[0..function_len), or "_start" when that name is "main" and the module
 * exports no "main". Sets *name and *name_len to the chosen name (static or inside
 * function) and *type to its type (pointers into m).
 * Returns ESGX_OK or ESGX_HOST_E_ENTRY ("no exported function 'NAME'").
 */
ESGX_MUST_CHECK int esgx_host_find_entry(const esgx_wasm_module *m, const char *function,
                                         size_t function_len, const char **name,
                                         size_t *name_len, esgx_wasm_functype *type,
                                         esgx_err *err);

/* Writes a function type as text, "(i32, i32) -> (i32)", into buf (cap bytes, always
 * NUL-terminated when cap > 0). */
void esgx_host_functype_text(const esgx_wasm_functype *t, char *buf, size_t cap);

/* The name of a value type: "i32", "i64", "f32", "f64", "v128", "funcref",
 * "externref" ("?" for anything else). */
const char *esgx_host_valtype_name(esgx_wasm_valtype t);

#endif
