/*
 * keystore.h: the network's shared key inside the enclave: create, seal to disk, unseal.
 *
 * Sealed file DIR/shared_key.sealed (format version 1):
 *
 *   off len
 *   0   8   magic "ESGXSEAL"
 *   8   1   version (1)
 *   9   1   policy (2 = MRSIGNER: a rebuilt enclave of the same signer still unseals)
 *   10  32  sealing identity (the MRSIGNER / MRENCLAVE the key is bound to)
 *   42  ... esgx_aead_seal(sealing key, aad = bytes 0..41, plaintext = xprv text (111 bytes))
 *           = nonce (12) + ciphertext (111) + tag (16); total file size 181 bytes
 *
 * The xprv is kept in memory only in the esgx_keystore and wiped by esgx_keystore_wipe.
 */
#ifndef ESGX_KEYSTORE_H
#define ESGX_KEYSTORE_H

#include <stdint.h>

#include "esgx_crypto.h"
#include "esgx_common.h"
#include "platform.h"

/* Error codes (values in esgx_common.h's ESGX_ERRORS; esgx_strerror names them):
 *   ESGX_KS_E_ARG              bad argument
 *   ESGX_KS_E_NOKEY            no sealed key file exists
 *   ESGX_KS_E_EXISTS           create refused: a sealed key already exists
 *   ESGX_KS_E_IO               read/write failure
 *   ESGX_KS_E_TORN             file truncated or of the wrong size (torn write?)
 *   ESGX_KS_E_FOREIGN          sealed by another machine, signer or enclave
 *   ESGX_KS_E_CORRUPT          bad magic/version/policy, or the content is not an xprv
 *   ESGX_KS_E_CRYPTO           random source, derivation or sealing failed
 */

#define KS_SEALED_NAME "shared_key.sealed"
#define KS_MAGIC "ESGXSEAL"
#define KS_VERSION 1
#define KS_HEADER_LEN 42
#define KS_FILE_LEN (KS_HEADER_LEN + ESGX_AEAD_OVERHEAD + ESGX_BIP32_TEXT_LEN)

typedef struct esgx_keystore {
    int ready;                          /* 1 once a key is loaded or created */
    esgx_bip32_key shared;                   /* the shared extended private key (secret) */
    char xpub[ESGX_BIP32_TEXT_LEN + 1];      /* its public text, NUL-terminated */
    uint8_t public_key[33];             /* the network public key (compressed) */
} esgx_keystore;

/* Unseals DIR/shared_key.sealed into ks. Returns 0 (ks->ready = 1), ESGX_KS_E_NOKEY if the
 * file does not exist (ks unchanged, not ready), or ESGX_KS_E_TORN / ESGX_KS_E_FOREIGN /
 * ESGX_KS_E_CORRUPT / ESGX_KS_E_IO with a message naming the file and the problem. A bad file is
 * never modified. */
ESGX_MUST_CHECK int esgx_keystore_load(esgx_keystore *ks, esgx_platform *plat, const char *dir,
                                       esgx_err *err);

/* Creates a fresh shared key: 32-byte seed from the platform generator,
 * esgx_bip32_shared_from_seed, sealed under the MRSIGNER policy and written atomically
 * (temporary file, fsync, rename without replacing, fsync of the directory). Refuses
 * with ESGX_KS_E_EXISTS if the sealed file (or any file of that name) exists. */
ESGX_MUST_CHECK
int esgx_keystore_create(esgx_keystore *ks, esgx_platform *plat, const char *dir,
                    esgx_err *err);

/* Seals an existing private extended key (e.g. fetched from a peer) to DIR and loads it
 * into ks; same file rules as esgx_keystore_create. key must have its private part. */
ESGX_MUST_CHECK
int esgx_keystore_install(esgx_keystore *ks, esgx_platform *plat, const char *dir,
                     const esgx_bip32_key *key, esgx_err *err);

/* Wipes the key material in ks and marks it not ready. */
void esgx_keystore_wipe(esgx_keystore *ks);

#endif
