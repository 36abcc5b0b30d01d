/*
 * host_internal.h: the host functions offered to guests (fn0 and WASI preview 1), and
 * the per-invocation state they work on. Internal to lib/host (esgx_host.h is public).
 *
 * Each invocation owns one guest_state, attached to its esgx_wasm_store as the user pointer;
 * host functions reach it with esgx_wasm_store_user(esgx_wasm_ctx_store(ctx)). Fuel costs are the
 * HOSTFN_FUEL_* constants below, documented in docs/guest-abi.md: they depend only on
 * the arguments, so fuel_used is identical on every node. A host call that cannot pay
 * its fuel traps with out_of_fuel and returns ESGX_HOST_E_TRAP (non-zero).
 */
#ifndef ESGX_HOST_INTERNAL_H
#define ESGX_HOST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_crypto.h"
#include "esgx_host.h"
#include "esgx_wasm.h"

/* fn0 error codes (docs/guest-abi.md, byte-compatible with sgxkit). */
enum {
    FN0_E_FUEL = -1,
    FN0_E_OOB = -2,
    FN0_E_PATH = -3,
    FN0_E_DERIVE = -4,
    FN0_E_HEADER = -5,
    FN0_E_NOT_APPROVED = -6,
    FN0_E_DECRYPT = -7,
    FN0_E_UNEXPECTED = -99,
};

/* Fuel costs of host calls. */
#define HOSTFN_FUEL_CALL 50          /* every host call */
#define HOSTFN_FUEL_PER_64B 1        /* per started 64 bytes moved or processed */
#define HOSTFN_FUEL_DERIVE 2000      /* one module key derivation (plus per path element) */
#define HOSTFN_FUEL_PATH_ELEM 20     /* per u16 of a user derivation path */
#define HOSTFN_FUEL_ECIES 3000       /* one ECIES decryption (plus per 64 bytes) */
#define HOSTFN_FUEL_SIGN 3000        /* one secp256k1 signature */
#define HOSTFN_FUEL_DIGEST_PER_64B 1 /* SHA-256 of data to sign (5-argument variant) */

typedef struct guest_state {
    /* Set by esgx_host_run before the call. */
    const esgx_bip32_key *shared;           /* the shared private extended key */
    const char *xpub;                  /* its 111-character xpub text */
    const esgx_host_platform *plat;    /* random source (may be NULL) */
    uint8_t module_hash[32];           /* what was requested (BLAKE3 of stored content) */
    const uint8_t *input;
    size_t input_len;
    uint64_t max_output;
    int debug;                         /* debug_print and fd 2 go to stderr */
    /* Filled while running. */
    uint8_t *out;                      /* output buffer (heap, grows up to max_output) */
    size_t out_len, out_cap;
    size_t stdin_pos;                  /* WASI fd 0 reads the input from here */
    const char *trap_code;             /* channel code for a host-made trap, or NULL */
    int exited;                        /* proc_exit was called */
    int exit_code;
} guest_state;

/* One host function: its import names, exact type and implementation. */
typedef struct hostfn_def {
    const char *module;
    const char *name;
    uint8_t n_params, n_results;
    esgx_wasm_valtype params[6];
    esgx_wasm_valtype results[1];
    esgx_wasm_host_fn fn;
} hostfn_def;

extern const hostfn_def esgx_host_fn_fn0_table[];
extern const size_t esgx_host_fn_fn0_count;
extern const hostfn_def esgx_host_fn_wasi_table[];
extern const size_t esgx_host_fn_wasi_count;

/* Finds the host function for an import (module, name) of type *type. Returns NULL if
 * there is none; then, if name_known is non-NULL, *name_known says whether the name
 * exists with another type (for the error message), and *expected points at that
 * definition. */
const hostfn_def *esgx_host_fn_lookup(const char *module, size_t module_len, const char *name,
                                size_t name_len, const esgx_wasm_functype *type, int *name_known,
                                const hostfn_def **expected);

/* Shared helpers for the host function files. */
guest_state *esgx_host_fn_state(esgx_wasm_ctx *ctx);
/* Charges base + per_64b * ceil(bytes / 64); traps out_of_fuel and returns
 * ESGX_HOST_E_TRAP if short, else 0. */
ESGX_MUST_CHECK int esgx_host_fn_charge(esgx_wasm_ctx *ctx, uint64_t base, uint64_t bytes);
/* Appends to the output; traps with ESGX_WASM_TRAP_LIMIT "output limit exceeded" (returns
 * ESGX_HOST_E_TRAP) if the output would exceed max_output, or on allocation failure;
 * else 0. */
ESGX_MUST_CHECK int esgx_host_fn_output_append(esgx_wasm_ctx *ctx, guest_state *gs, const uint8_t *p, size_t n);
/* Writes a debug log line from the guest to stderr if gs->debug (one line: trailing
 * newlines dropped, every control character written as \xNN). */
void esgx_host_fn_debug_log(guest_state *gs, const char *what, const uint8_t *p, size_t n);

#endif
