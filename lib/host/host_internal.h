/*
 * host_internal.h: the host functions offered to guests (fn0, WASI preview 1 and the
 * `esgx` module's secp256k1 calls), and
 * the per-invocation state they work on. Internal to lib/host (esgx_host.h is public).
 *
 * Each invocation owns one guest_state, attached to its esgx_wasm_store as the user pointer;
 * host functions reach it with esgx_wasm_store_user(esgx_wasm_ctx_store(ctx)). Fuel costs are the
 * HOSTFN_FUEL_* constants below, documented in docs/guest-abi.md: they depend only on
 * the arguments and the invocation's earlier calls (its key cache), so fuel_used is
 * identical on every node. A host call that cannot pay
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
/* Error codes of the `esgx` module's secp256k1 calls (hostfn_ec.c), besides FN0_E_OOB. */
enum {
    EC_E_SIGNATURE = -8,   /* the signature is malformed or recovers no public key */
    EC_E_PUBKEY = -9,      /* the public key does not parse (length, prefix, off curve) */
};

/*
 * Fuel prices of host calls: THE table (docs/guest-abi.md#fuel documents it; changing a
 * price changes fuel_used, so it is part of the protocol). Each price follows the work
 * the call does, measured against the faster tier: compiled wasm runs plain code at
 * about 0.063 ns per fuel unit on the reference machine (the interpreter at about 0.37),
 * and a host call takes the same time from either tier. The prices are about 13 fuel
 * per ns of measured work, so that no host call takes more than ~2x the CPU time per
 * fuel unit of compiled plain wasm (ratio ~1.2 by bench/hostcall_bench.sh; on the
 * interpreter every host call is then cheaper per fuel than plain wasm). The test
 * host_fuel_time fails over 5x on the compiler tier, 20x on the interpreter.
 */
#define HOSTFN_FUEL_CALL 300             /* every host call (proc_exit: 0): ~20 ns */
#define HOSTFN_FUEL_COPY_PER_64B 16      /* per started 64 bytes copied, scanned or
                                            written (input, output, fd_read/fd_write data,
                                            debug_print, shared_key_public) */
#define HOSTFN_FUEL_IOVEC 96             /* per iovec walked (fd_write, fd_read) */
#define HOSTFN_FUEL_CLOCK 300            /* clock_time_get of the realtime or monotonic
                                            clock: reading the host's clock */
#define HOSTFN_FUEL_KEY_LOOKUP 500       /* a derived_key_* call: the invocation's key cache */
#define HOSTFN_FUEL_DERIVE_STEP 330000   /* per BIP32 child derivation (an EC multiplication):
                                            17 for a module's base key, 1 per u16 of path */
#define HOSTFN_FUEL_SIGN 400000          /* one secp256k1 recoverable signature */
#define HOSTFN_FUEL_SHA256_PER_64B 500   /* SHA-256 of data (5-argument derived_key_sign) */
#define HOSTFN_FUEL_ECIES 700000         /* one ECIES decryption: ECDH, HKDF, AES-GCM setup */
#define HOSTFN_FUEL_ECIES_PER_64B 200    /* per started 64 bytes of ciphertext */
#define HOSTFN_FUEL_EC_RECOVER 600000 /* secp256k1_recover: ECDSA public-key recovery */
#define HOSTFN_FUEL_EC_VERIFY 600000  /* secp256k1_verify: one ECDSA verification (and a
                                         public-key parse) */
#define HOSTFN_FUEL_EC_PARSE 70000    /* secp256k1_pubkey_parse: a square root mod p */
#define HOSTFN_FUEL_RANDOM 1500          /* random_get: the platform call */
#define HOSTFN_FUEL_RANDOM_PER_64B 1000  /* per started 64 bytes of random_get */
/* The CPU-time clocks (WASI process and thread) of a metered invocation read its fuel
 * used so far, this many ns per fuel unit (hostfn_wasi.c). */
#define HOSTFN_CPU_NS_PER_FUEL 1
#define HOSTFN_FUEL_POLL_SUB 96          /* per subscription poll_oneoff reads (and event
                                            it writes): like an iovec walked */
#define HOSTFN_FUEL_SLEEP_PER_NS 1       /* per ns a poll_oneoff clock subscription waits:
                                            the wait is virtual (hostfn_wasi_poll.c), so it
                                            is paid as if the guest had computed that long
                                            at HOSTFN_CPU_NS_PER_FUEL, and the CPU-time
                                            clocks advance by the time slept */

/* price * ceil(bytes / 64): the per-byte part of a price. */
static inline uint64_t hostfn_per_64b(uint64_t price, uint64_t bytes)
{
    return price * ((bytes + 63) / 64);
}

/*
 * The derived keys of an invocation: the same (module hash, path) asked twice is derived
 * once, and a module's base key (shared/0/<hash>, 17 derivations) once per hash.
 * Replacement is round-robin in call order, so whether a call hits depends only on the
 * invocation's own earlier calls: its fuel stays a function of the guest's calls, the
 * same on every node. Private keys stay in the cache until the invocation ends, when
 * run.c wipes it.
 */
#define HOSTFN_KEY_CACHE 8     /* full keys (module hash, path) */
#define HOSTFN_BASE_CACHE 4    /* base keys (module hash) */
#define HOSTFN_BASE_STEPS 17   /* shared/0, then 16 u16 of the module hash */

typedef struct hostfn_key_slot {
    int used;
    uint8_t hash[32];
    uint32_t path_len;
    uint8_t path[ESGX_BIP32_MAX_PATH_LEN];
    esgx_bip32_key key;
} hostfn_key_slot;

typedef struct hostfn_key_cache {
    hostfn_key_slot full[HOSTFN_KEY_CACHE];
    hostfn_key_slot base[HOSTFN_BASE_CACHE];
    uint32_t next_full, next_base;   /* round-robin replacement */
} hostfn_key_cache;

typedef struct guest_state {
    /* Set by esgx_host_run before the call. */
    const esgx_bip32_key *shared;           /* the shared private extended key */
    const char *xpub;                  /* its 111-character xpub text */
    uint8_t rand_key[32];              /* the request's random stream key (wiped at end) */
    uint64_t rand_pos;                 /* bytes of the stream given out so far */
    int has_rand;                      /* 0: no random key, random_get answers EIO */
    uint8_t module_hash[32];           /* what was requested (BLAKE3 of stored content) */
    const uint8_t *input;
    size_t input_len;
    uint64_t max_output;
    uint64_t fuel_budget;              /* the request's fuel (ESGX_HOST_UNMETERED = none):
                                          the CPU-time clocks read the fuel used */
    int debug;                         /* debug_print and fd 2 go to stderr */
    size_t debug_logged;               /* guest bytes logged so far (HOSTFN_DEBUG_LOG_MAX) */
    size_t capture_max;                /* > 0: debug output also kept in cap (bytes) */
    uint8_t *cap;                      /* heap: the captured debug output */
    size_t cap_len;
    int cap_cut;                       /* capture_max reached: the rest is dropped */
    /* Filled while running. */
    uint8_t *out;                      /* output buffer (heap, grows up to max_output) */
    size_t out_len, out_cap;
    size_t stdin_pos;                  /* WASI fd 0 reads the input from here */
    const char *trap_code;             /* channel code for a host-made trap, or NULL */
    int exited;                        /* proc_exit was called */
    int exit_code;
    hostfn_key_cache keys;             /* derived keys of this invocation (wiped at end) */
    /* WASI (hostfn_wasi*.c), set by esgx_host_wasi_init. */
    const char *const *argv;           /* the WASI arguments (argc strings, borrowed) */
    uint32_t argc;
    uint8_t wasi_fd[3];                /* the stream behind fd 0-2 (WASI_STREAM_*; 0 closed) */
    uint64_t wasi_rights[3];           /* their rights (base), as fd_fdstat_get says */
    uint64_t wasi_inherit[3];          /* their inheriting rights */
    uint64_t wasi_slept_ns;            /* virtual time slept in poll_oneoff: added to the
                                          realtime and monotonic clocks */
} guest_state;

/* One host function: its import names, exact type and implementation. */
typedef struct hostfn_def {
    const char *module;
    const char *name;
    uint8_t n_params, n_results;
    esgx_wasm_valtype params[9];   /* path_open has 9 */
    esgx_wasm_valtype results[1];
    esgx_wasm_host_fn fn;
} hostfn_def;

extern const hostfn_def esgx_host_fn_fn0_table[];
extern const size_t esgx_host_fn_fn0_count;
extern const hostfn_def esgx_host_fn_wasi_table[];
extern const size_t esgx_host_fn_wasi_count;
extern const hostfn_def esgx_host_fn_ec_table[];
extern const size_t esgx_host_fn_ec_count;
extern const hostfn_def esgx_host_fn_wasi_unstable_table[];   /* "wasi_unstable" */
extern const size_t esgx_host_fn_wasi_unstable_count;

/* Sets the WASI part of gs: fds 0-2 open on stdin, stdout, stderr with their rights,
 * argv (argc strings; NULL/0: none), no time slept (hostfn_wasi.c). */
void esgx_host_wasi_init(guest_state *gs, const char *const *argv, uint32_t argc);

/* When an import (module, name) belongs to a feature esgx deliberately lacks
 * (threads, sockets, C++ exceptions, ...), a static phrase naming it ("threads
 * (pthread_create): esgx runs one thread per invocation"), else NULL
 * (hostfn_wasi_table.c). */
const char *esgx_host_wasi_lacking(const char *module, size_t module_len, const char *name,
                                   size_t name_len);

/* Finds the host function for an import (module, name) of type *type. Returns NULL if
 * there is none; then, if name_known is non-NULL, *name_known says whether the name
 * exists with another type (for the error message), and *expected points at that
 * definition. */
const hostfn_def *esgx_host_fn_lookup(const char *module, size_t module_len, const char *name,
                                size_t name_len, const esgx_wasm_functype *type, int *name_known,
                                const hostfn_def **expected);

/* Shared helpers for the host function files. */
guest_state *esgx_host_fn_state(esgx_wasm_ctx *ctx);
/* Charges fuel (a sum of HOSTFN_FUEL_* prices); traps out_of_fuel and returns
 * ESGX_HOST_E_TRAP if short, else 0. */
ESGX_MUST_CHECK int esgx_host_fn_charge(esgx_wasm_ctx *ctx, uint64_t fuel);
/* The fuel of a call that copies `bytes` bytes: HOSTFN_FUEL_CALL + the copy price. */
uint64_t esgx_host_fn_copy_cost(uint64_t bytes);

/* The fuel of getting the derived key (hash, path): HOSTFN_FUEL_KEY_LOOKUP plus
 * HOSTFN_FUEL_DERIVE_STEP per child derivation the cache c does not spare (0 for a
 * cached key, path_len / 2 when the module's base key is cached, else 17 more).
 * path_len is even and at most ESGX_BIP32_MAX_PATH_LEN (checked by the caller). */
uint64_t esgx_host_keys_cost(const hostfn_key_cache *c, const uint8_t hash[32],
                             const uint8_t *path, uint32_t path_len);
/* Sets *out to the derived key (hash, path) of shared, from the cache or derived (and
 * then cached, with the base key): exactly the derivations esgx_host_keys_cost counted.
 * Returns 0 or ESGX_CRYPTO_E_DERIVE (nothing cached); the caller wipes *out. */
ESGX_MUST_CHECK int esgx_host_keys_get(hostfn_key_cache *c, const esgx_bip32_key *shared,
                                       const uint8_t hash[32], const uint8_t *path,
                                       uint32_t path_len, esgx_bip32_key *out);
/* Appends to the output; traps with ESGX_WASM_TRAP_LIMIT "output limit exceeded" (returns
 * ESGX_HOST_E_TRAP) if the output would exceed max_output, or on allocation failure;
 * else 0. */
ESGX_MUST_CHECK int esgx_host_fn_output_append(esgx_wasm_ctx *ctx, guest_state *gs, const uint8_t *p, size_t n);
/* Guest bytes written to the debug log per invocation (--debug only; the rest is dropped,
 * so logging stays bounded whatever the fuel, which cannot depend on --debug). */
#define HOSTFN_DEBUG_LOG_MAX (1u << 20)

/* Writes a debug log line from the guest to stderr if gs->debug, within the
 * invocation's HOSTFN_DEBUG_LOG_MAX bytes (one line: trailing newlines dropped, every
 * control character written as \xNN); and, if gs->capture_max, appends the bytes to
 * gs->cap (what "debug": as one line; "stderr": as written) within capture_max. */
void esgx_host_fn_debug_log(guest_state *gs, const char *what, const uint8_t *p, size_t n);

#endif
