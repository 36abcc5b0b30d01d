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
 *   42  ... aead_seal(sealing key, aad = bytes 0..41, plaintext = xprv text (111 bytes))
 *           = nonce (12) + ciphertext (111) + tag (16); total file size 181 bytes
 *
 * The xprv is kept in memory only in the esgx_keystore and wiped by keystore_wipe.
 */
#ifndef ESGX_KEYSTORE_H
#define ESGX_KEYSTORE_H

#include <stdint.h>

#include "esgx_crypto.h"
#include "esgx_err.h"
#include "platform.h"

enum {
    KS_E_ARG = -1,       /* bad argument */
    KS_E_NOKEY = -2,     /* no sealed key file exists */
    KS_E_EXISTS = -3,    /* create refused: a sealed key already exists */
    KS_E_IO = -4,        /* read/write failure */
    KS_E_TORN = -5,      /* file truncated or of the wrong size (torn write?) */
    KS_E_FOREIGN = -6,   /* sealed by another machine, signer or enclave */
    KS_E_CORRUPT = -7,   /* bad magic/version/policy, or the content is not an xprv */
    KS_E_CRYPTO = -8,    /* random source, derivation or sealing failed */
};

#define KS_SEALED_NAME "shared_key.sealed"
#define KS_MAGIC "ESGXSEAL"
#define KS_VERSION 1
#define KS_HEADER_LEN 42
#define KS_FILE_LEN (KS_HEADER_LEN + AEAD_OVERHEAD + BIP32_TEXT_LEN)

typedef struct esgx_keystore {
    int ready;                          /* 1 once a key is loaded or created */
    bip32_key shared;                   /* the shared extended private key (secret) */
    char xpub[BIP32_TEXT_LEN + 1];      /* its public text, NUL-terminated */
    uint8_t public_key[33];             /* the network public key (compressed) */
} esgx_keystore;

/* Unseals DIR/shared_key.sealed into ks. Returns 0 (ks->ready = 1), KS_E_NOKEY if the
 * file does not exist (ks unchanged, not ready), or KS_E_TORN / KS_E_FOREIGN /
 * KS_E_CORRUPT / KS_E_IO with a message naming the file and the problem. A bad file is
 * never modified. */
int keystore_load(esgx_keystore *ks, esgx_platform *plat, const char *dir, esgx_err *err);

/* Creates a fresh shared key: 32-byte seed from the platform generator,
 * bip32_shared_from_seed, sealed under the MRSIGNER policy and written atomically
 * (temporary file, fsync, rename without replacing, fsync of the directory). Refuses
 * with KS_E_EXISTS if the sealed file (or any file of that name) exists. */
int keystore_create(esgx_keystore *ks, esgx_platform *plat, const char *dir,
                    esgx_err *err);

/* Seals an existing private extended key (e.g. fetched from a peer) to DIR and loads it
 * into ks; same file rules as keystore_create. key must have its private part. */
int keystore_install(esgx_keystore *ks, esgx_platform *plat, const char *dir,
                     const bip32_key *key, esgx_err *err);

/* Wipes the key material in ks and marks it not ready. */
void keystore_wipe(esgx_keystore *ks);

#endif
