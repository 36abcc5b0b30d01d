/*
 * platform.h: what the enclave needs from the (real or simulated) TEE platform.
 *
 * A platform is a small vtable plus the identity values the code above it reads:
 *
 *   name          "sim" or (later) "gramine-sgx"; sent to the host in HELLO
 *   mrenclave     32-byte measurement of the enclave code (sim: SHA-256 of the bytes
 *                 of the running executable, read from /proc/self/exe)
 *   mrsigner      32-byte identity of the enclave signer (sim: SHA-256 of a fixed
 *                 signer string, so every sim build has the same signer)
 *   seal_key      a 32-byte sealing key bound to this machine and to either MRENCLAVE
 *                 or MRSIGNER (the policy), as SGX EGETKEY gives
 *   random        cryptographic random bytes from inside the TEE
 *   quote         an attestation quote over 64 bytes of report data (added by the
 *                 attestation work; sim returns PLAT_E_UNSUPPORTED for now)
 *
 * The attestation issue adds a gramine-sgx platform (keys from
 * /dev/attestation/keys/_sgx_mr{enclave,signer}, quotes from /dev/attestation/quote)
 * without changing any caller.
 */
#ifndef ESGX_PLATFORM_H
#define ESGX_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_err.h"

enum {
    PLAT_E_ARG = -1,          /* bad argument */
    PLAT_E_IO = -2,           /* a platform file could not be read or written */
    PLAT_E_CORRUPT = -3,      /* a platform file exists but is malformed */
    PLAT_E_UNSUPPORTED = -4,  /* the platform does not offer this operation */
    PLAT_E_INTERNAL = -5,     /* a crypto primitive or the OS failed */
};

/* Sealing policies, as SGX KEYPOLICY: which identity the sealing key is bound to. */
typedef enum esgx_seal_policy {
    ESGX_SEAL_MRENCLAVE = 1,  /* only this exact enclave build can unseal */
    ESGX_SEAL_MRSIGNER = 2,   /* any enclave of the same signer can unseal */
} esgx_seal_policy;

typedef struct esgx_platform esgx_platform;

typedef struct esgx_platform_ops {
    /* Writes the 32-byte sealing key for policy into key. The key is secret: the caller
     * wipes it after use. Returns 0 or a PLAT_E_* code. */
    int (*seal_key)(esgx_platform *p, esgx_seal_policy policy, uint8_t key[32],
                    esgx_err *err);
    /* Fills out[0..n) with random bytes. Returns 0 or PLAT_E_INTERNAL. */
    int (*random)(esgx_platform *p, void *out, size_t n, esgx_err *err);
    /* Writes a quote binding report_data into out (capacity cap), *out_len its size.
     * PLAT_E_UNSUPPORTED where not available yet. */
    int (*quote)(esgx_platform *p, const uint8_t report_data[64], uint8_t *out,
                 size_t cap, size_t *out_len, esgx_err *err);
    /* Frees the platform and wipes its secrets. */
    void (*close)(esgx_platform *p);
} esgx_platform_ops;

struct esgx_platform {
    const esgx_platform_ops *ops;
    const char *name;         /* static string */
    uint8_t mrenclave[32];
    uint8_t mrsigner[32];
    void *impl;               /* platform-private state */
};

/* Opens the sim platform. data_dir is the node's data directory: the per-machine
 * secret DIR/sim_machine.secret (32 random bytes, mode 0600) is created there
 * atomically on first use and read afterwards; a file of the wrong size is refused
 * (PLAT_E_CORRUPT), never replaced. exe_path is the executable to measure (NULL =
 * /proc/self/exe). On success *out must be closed with esgx_platform_close.
 * Returns 0 or PLAT_E_IO / PLAT_E_CORRUPT / PLAT_E_INTERNAL with a message. */
int esgx_platform_sim_open(const char *data_dir, const char *exe_path,
                           esgx_platform **out, esgx_err *err);

/* Fixed string whose SHA-256 is the sim MRSIGNER. */
#define ESGX_SIM_SIGNER "esgx sim enclave signer v1"

/* Convenience wrappers over the vtable (same contracts as the ops). */
int esgx_platform_seal_key(esgx_platform *p, esgx_seal_policy policy, uint8_t key[32],
                           esgx_err *err);
int esgx_platform_random(esgx_platform *p, void *out, size_t n, esgx_err *err);
/* Closes p (NULL is allowed). */
void esgx_platform_close(esgx_platform *p);

/* The identity (MRENCLAVE or MRSIGNER) a policy binds to. NULL for an unknown policy. */
const uint8_t *esgx_platform_identity(const esgx_platform *p, esgx_seal_policy policy);

#endif
