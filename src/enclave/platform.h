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
 *   quote         an SGX DCAP quote over 64 bytes of report data (sim: signed with a
 *                 sim provisioning bundle given by esgx_platform_sim_set_bundle, else
 *                 ESGX_PLAT_E_UNSUPPORTED; gramine-sgx: Gramine's /dev/attestation files)
 *
 * Platforms: `sim` (platform_sim.c) and `gramine-sgx` (platform_gramine.c: measurement
 * from /dev/attestation/report, sealing keys from /dev/attestation/keys/_sgx_mr{enclave,
 * signer}, quotes from /dev/attestation/quote; the directory is configurable so tests
 * can run it against a directory imitating those files).
 */
#ifndef ESGX_PLATFORM_H
#define ESGX_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

/* Error codes (values in esgx_common.h's ESGX_ERRORS; esgx_strerror names them):
 *   ESGX_PLAT_E_ARG            bad argument
 *   ESGX_PLAT_E_IO             a platform file could not be read or written
 *   ESGX_PLAT_E_CORRUPT        a platform file exists but is malformed
 *   ESGX_PLAT_E_UNSUPPORTED    the platform does not offer this operation
 *   ESGX_PLAT_E_INTERNAL       a crypto primitive or the OS failed
 */

/* Sealing policies, as SGX KEYPOLICY: which identity the sealing key is bound to. */
typedef enum esgx_seal_policy {
    ESGX_SEAL_MRENCLAVE = 1,  /* only this exact enclave build can unseal */
    ESGX_SEAL_MRSIGNER = 2,   /* any enclave of the same signer can unseal */
} esgx_seal_policy;

typedef struct esgx_platform esgx_platform;
struct esgx_attest_sim_bundle;   /* lib/attest/esgx_attest.h */

typedef struct esgx_platform_ops {
    /* Writes the 32-byte sealing key for policy into key. The key is secret: the caller
     * wipes it after use. Returns 0 or a ESGX_PLAT_E_* code. */
    int (*seal_key)(esgx_platform *p, esgx_seal_policy policy, uint8_t key[32],
                    esgx_err *err);
    /* Fills out[0..n) with random bytes. Returns 0 or ESGX_PLAT_E_INTERNAL. */
    int (*random)(esgx_platform *p, void *out, size_t n, esgx_err *err);
    /* Writes a quote binding report_data into out (capacity cap), *out_len its size.
     * ESGX_PLAT_E_UNSUPPORTED where the platform cannot quote (sim without a bundle).
     * Safe to call from several threads. */
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
 * (ESGX_PLAT_E_CORRUPT), never replaced. exe_path is the executable to measure (NULL =
 * /proc/self/exe). On success *out must be closed with esgx_platform_close.
 * Returns 0 or ESGX_PLAT_E_IO / ESGX_PLAT_E_CORRUPT / ESGX_PLAT_E_INTERNAL with a message. */
ESGX_MUST_CHECK
int esgx_platform_sim_open(const char *data_dir, const char *exe_path,
                           esgx_platform **out, esgx_err *err);

/* Gives the sim platform a loaded sim provisioning bundle (esgx_attest_sim_load; not owned,
 * must outlive p) so that its quote op signs real-format quotes with it. The quoted
 * report body has MRENCLAVE/MRSIGNER of p, attributes INIT|MODE64BIT (not debug),
 * XFRM 3, ISVPRODID/ISVSVN 0. Without a bundle the sim quote op returns
 * ESGX_PLAT_E_UNSUPPORTED. Returns 0 or ESGX_PLAT_E_ARG (p is not a sim platform). */
ESGX_MUST_CHECK
int esgx_platform_sim_set_bundle(esgx_platform *p, const struct esgx_attest_sim_bundle *bundle,
                                 esgx_err *err);

/* Opens the gramine-sgx platform over Gramine's attestation pseudo-files in attest_dir
 * (NULL = "/dev/attestation"): reads my_target_info and writes it to target_info,
 * writes 64 zero bytes to user_report_data and reads the 432-byte `report` (its
 * 384-byte body at offset 0 gives MRENCLAVE at 64 and MRSIGNER at 128). Sealing keys
 * are HKDF-SHA256 of keys/_sgx_mrsigner or keys/_sgx_mrenclave (16 bytes each) with
 * info = policy byte || identity. Quotes: user_report_data written, `quote` read, and
 * the quote checked to carry exactly that report data and our MRENCLAVE. If
 * attestation_type exists and is "none", quotes are ESGX_PLAT_E_UNSUPPORTED.
 * Returns 0 or ESGX_PLAT_E_IO / ESGX_PLAT_E_CORRUPT / ESGX_PLAT_E_INTERNAL with a message. */
ESGX_MUST_CHECK int esgx_platform_gramine_open(const char *attest_dir, esgx_platform **out,
                                               esgx_err *err);

/* Fixed string whose SHA-256 is the sim MRSIGNER. */
#define ESGX_SIM_SIGNER "esgx sim enclave signer v1"

/* Convenience wrappers over the vtable (same contracts as the ops). */
ESGX_MUST_CHECK
int esgx_platform_seal_key(esgx_platform *p, esgx_seal_policy policy, uint8_t key[32],
                           esgx_err *err);
ESGX_MUST_CHECK int esgx_platform_random(esgx_platform *p, void *out, size_t n, esgx_err *err);
ESGX_MUST_CHECK
int esgx_platform_quote(esgx_platform *p, const uint8_t report_data[64], uint8_t *out,
                        size_t cap, size_t *out_len, esgx_err *err);
/* Closes p (NULL is allowed). */
void esgx_platform_close(esgx_platform *p);

/* The identity (MRENCLAVE or MRSIGNER) a policy binds to. NULL for an unknown policy. */
const uint8_t *esgx_platform_identity(const esgx_platform *p, esgx_seal_policy policy);

#endif
