/*
 * esgx_crypto: the cryptography of esgx (docs/formats.md).
 *
 *   BLAKE3          content hashes, keyed hashes, key derivation, XOF, output trees
 *   base58check     xprv/xpub text
 *   BIP32           the shared key and per-module derived keys
 *   ec_*            secp256k1 recoverable ECDSA (RFC 6979, low-S) via libsecp256k1
 *   ECIES           eciesjs-compatible encryption to a secp256k1 public key
 *   approved_wasm   the FLEEK_ENCLAVE_APPROVED_WASM plaintext header
 *   digest_*        the input_hash and response-signature digests
 *   aead_*          AES-256-GCM sealing (OpenSSL)
 *
 * Errors: every fallible function is marked ESGX_MUST_CHECK and returns ESGX_OK (0) or
 * one of the negative codes below (values in esgx_common.h's ESGX_ERRORS; esgx_strerror
 * names them) and, if `err` is non-NULL, fills it with that code and a message naming
 * what was wrong. The void functions, esgx_blake3_impl_name and
 * esgx_blake3_tree_node_count cannot fail. Each function's comment names its codes.
 *   ESGX_CRYPTO_E_ARG          bad argument: NULL pointer, wrong length, bad hex
 *   ESGX_CRYPTO_E_BUFFER       output buffer too small
 *   ESGX_CRYPTO_E_BASE58       base58 text with a character outside the alphabet
 *   ESGX_CRYPTO_E_CHECKSUM     base58check checksum mismatch
 *   ESGX_CRYPTO_E_VERSION      extended key with unknown version bytes
 *   ESGX_CRYPTO_E_KEY          invalid key: zero, >= curve order, not on the curve
 *   ESGX_CRYPTO_E_PATH         derivation path of odd length or over 256 bytes
 *   ESGX_CRYPTO_E_DERIVE       derivation failed (hardened from public, invalid child)
 *   ESGX_CRYPTO_E_SHORT        ciphertext shorter than its fixed overhead
 *   ESGX_CRYPTO_E_AUTH         AES-GCM tag mismatch: wrong key or tampered data
 *   ESGX_CRYPTO_E_SIGNATURE    malformed signature or recovery failed
 *   ESGX_CRYPTO_E_HEADER       approved-wasm header malformed
 *   ESGX_CRYPTO_E_NOT_APPROVED module hash not listed in approved-wasm header
 *   ESGX_CRYPTO_E_INTERNAL     OpenSSL, libsecp256k1 or the OS random source failed
 *
 * Conventions: output buffers are always given with their capacity; functions never
 * allocate on the heap except inside OpenSSL. Secret material that passes through
 * internal buffers is wiped before return; callers wipe their own copies with
 * esgx_crypto_wipe().
 * All functions are thread-safe (the secp256k1 context is created once, read-only).
 */
#ifndef ESGX_CRYPTO_H
#define ESGX_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

/* Overwrites n bytes at p with zeros in a way the compiler cannot elide. */
void esgx_crypto_wipe(void *p, size_t n);

/* Fills out with n bytes from the OS CSPRNG (getrandom). Returns 0 or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_crypto_random(void *out, size_t n, esgx_err *err);

/* Lowercase hex of in[0..len) into out, which must hold 2*len+1 bytes (NUL added). */
void esgx_crypto_hex_encode(const uint8_t *in, size_t len, char *out);

/* Decodes exactly text_len hex characters (either case) into out (capacity out_cap).
 * *out_len gets text_len/2. ESGX_CRYPTO_E_ARG for odd length or a non-hex character,
 * ESGX_CRYPTO_E_BUFFER if out_cap is too small. */
ESGX_MUST_CHECK
int esgx_crypto_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                           size_t *out_len, esgx_err *err);

/* SHA-256 of data[0..len) into out. */
void esgx_crypto_sha256(const void *data, size_t len, uint8_t out[32]);

/* ---------------------------------------------------------------- BLAKE3 */

#define ESGX_BLAKE3_OUT_LEN 32
#define ESGX_BLAKE3_KEY_LEN 32
#define ESGX_BLAKE3_BLOCK_LEN 64
#define ESGX_BLAKE3_CHUNK_LEN 1024
#define ESGX_BLAKE3_MAX_DEPTH 54
/* Output-tree block: each 256 KiB block of an output is one complete BLAKE3 subtree. */
#define ESGX_BLAKE3_TREE_BLOCK_LEN (256u * 1024u)

/* Incremental hasher. Plain data: may live on the stack; copy to fork the state. */
typedef struct esgx_blake3_hasher {
    uint32_t key[8];
    uint32_t cv[8];              /* chunk state: chaining value */
    uint64_t chunk_counter;
    uint8_t buf[ESGX_BLAKE3_BLOCK_LEN];
    uint8_t buf_len;
    uint8_t blocks_compressed;
    uint8_t flags;
    uint8_t cv_stack_len;
    uint8_t cv_stack[(ESGX_BLAKE3_MAX_DEPTH + 1) * ESGX_BLAKE3_OUT_LEN];
} esgx_blake3_hasher;

/* Regular hash mode. */
void esgx_blake3_init(esgx_blake3_hasher *h);
/* Keyed hash mode with a 32-byte key. */
void esgx_blake3_init_keyed(esgx_blake3_hasher *h, const uint8_t key[ESGX_BLAKE3_KEY_LEN]);
/* Key-derivation mode; context is context_len bytes (usually a constant string). */
void esgx_blake3_init_derive_key(esgx_blake3_hasher *h, const void *context,
                                   size_t context_len);
/* Absorbs len bytes. */
void esgx_blake3_update(esgx_blake3_hasher *h, const void *in, size_t len);
/* Writes out_len bytes of output starting at output offset seek; h is unchanged, so
 * finalize may be called again and update may continue. */
void esgx_blake3_finalize_seek(const esgx_blake3_hasher *h, uint64_t seek, uint8_t *out,
                                 size_t out_len);
/* Same as finalize_seek with seek 0. */
void esgx_blake3_finalize(const esgx_blake3_hasher *h, uint8_t *out, size_t out_len);
/* Wipes the hasher (it may hold a key). */
void esgx_blake3_wipe(esgx_blake3_hasher *h);

/* One-shot regular hash: 32 bytes of BLAKE3(in). */
void esgx_blake3_hash(const void *in, size_t len, uint8_t out[ESGX_BLAKE3_OUT_LEN]);

/* Which compression/hash_many implementation runs. AUTO picks the best the CPU has. */
typedef enum esgx_blake3_impl {
    ESGX_BLAKE3_IMPL_AUTO = 0,
    ESGX_BLAKE3_IMPL_PORTABLE,
    ESGX_BLAKE3_IMPL_SSE41,
    ESGX_BLAKE3_IMPL_AVX2,
    ESGX_BLAKE3_IMPL_AVX512,          /* 16-way with AVX-512F+VL */
} esgx_blake3_impl;

/* Selects the implementation for the whole process (call before hashing; not
 * thread-safe against concurrent hashing). Returns 0, or ESGX_CRYPTO_E_ARG if the CPU lacks
 * the instructions for impl. Without a call, the first use picks the one named by the
 * env var ESGX_BLAKE3_IMPL (portable|sse41|avx2|avx512) if the CPU has it (otherwise a
 * warning goes to stderr), else AUTO. */
ESGX_MUST_CHECK
int esgx_blake3_impl_select(esgx_blake3_impl impl);
/* Name of the implementation in use: "portable", "sse41", "avx2", "avx512". */
const char *esgx_blake3_impl_name(void);

/* Number of 32-byte node hashes in the output tree of an output of len bytes:
 * 2*blocks - 1 with blocks = max(1, ceil(len / ESGX_BLAKE3_TREE_BLOCK_LEN)). */
size_t esgx_blake3_tree_node_count(uint64_t len);

/* Output tree of docs/formats.md: node hashes in post-order (each 256 KiB block's
 * chaining value, then parents as they complete), root last; the root is finalized as
 * a root and equals esgx_blake3_hash(data). nodes must hold esgx_blake3_tree_node_count(len)*32
 * bytes (nodes_cap is its size in bytes); *node_count gets the count.
 * ESGX_CRYPTO_E_BUFFER if nodes_cap is too small; ESGX_CRYPTO_E_ARG for NULL (data may be NULL
 * when len is 0).
 * Exact order. One block (len <= 256 KiB, also 0): the list is just the root hash.
 * B >= 2 blocks: block i (bytes [i*256K, ...), chunk counter i*256) is one complete
 * BLAKE3 subtree whose non-root chaining value is pushed on a stack and listed. Then,
 * if i+1 < B, while the stack holds more entries than popcount(i+1), the top two are
 * replaced by their (non-root) parent, which is listed. After block B-1, the stack is
 * folded right to left: the top two are replaced by their parent, listed, until one
 * entry is left; that last parent is compressed with the ROOT flag. The tree shape is
 * BLAKE3's (left subtree = largest power of two number of blocks < the total), and the
 * order is exactly its post-order: e.g. 3 blocks: b0 b1 p(b0,b1) b2 root; 6 blocks:
 * b0 b1 p01 b2 b3 p23 p0123 b4 b5 p45 root. */
ESGX_MUST_CHECK
int esgx_blake3_tree(const void *data, size_t len, uint8_t *nodes, size_t nodes_cap,
                     size_t *node_count, esgx_err *err);

/* ---------------------------------------------------------------- base58check */

/* Base58 (Bitcoin alphabet) of in[0..len) into out (capacity out_cap, NUL added).
 * *out_len gets the text length. ESGX_CRYPTO_E_BUFFER if too small. */
ESGX_MUST_CHECK
int esgx_base58_encode(const uint8_t *in, size_t len, char *out, size_t out_cap,
                       size_t *out_len, esgx_err *err);
/* Decodes text[0..text_len). ESGX_CRYPTO_E_BASE58 for a bad character, ESGX_CRYPTO_E_BUFFER. */
ESGX_MUST_CHECK
int esgx_base58_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                       size_t *out_len, esgx_err *err);
/* Base58 of payload + first 4 bytes of SHA-256(SHA-256(payload)). */
ESGX_MUST_CHECK
int esgx_base58check_encode(const uint8_t *payload, size_t len, char *out, size_t out_cap,
                            size_t *out_len, esgx_err *err);
/* Decodes and checks the checksum; out gets the payload only. ESGX_CRYPTO_E_CHECKSUM
 * (also for fewer than 4 decoded bytes); ESGX_CRYPTO_E_ARG for text over 1024 chars. */
ESGX_MUST_CHECK
int esgx_base58check_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                            size_t *out_len, esgx_err *err);

/* ---------------------------------------------------------------- BIP32 */

#define ESGX_BIP32_HARDENED 0x80000000u
#define ESGX_BIP32_TEXT_LEN 111               /* xprv/xpub base58check length */
#define ESGX_BIP32_MAX_PATH_LEN 256           /* user path bytes for derived keys */

/* An extended key. has_private = 0 means a public (neutered) key; priv is then zero. */
typedef struct esgx_bip32_key {
    uint8_t depth;
    uint8_t parent_fingerprint[4];
    uint32_t child_number;
    uint8_t chain_code[32];
    uint8_t public_key[33];              /* compressed, always valid */
    uint8_t private_key[32];             /* valid iff has_private */
    int has_private;
} esgx_bip32_key;

/* Master key from a seed of 16..64 bytes (HMAC-SHA512 "Bitcoin seed"). */
ESGX_MUST_CHECK
int esgx_bip32_master_from_seed(const uint8_t *seed, size_t seed_len, esgx_bip32_key *out,
                                esgx_err *err);
/* Child `index` (>= ESGX_BIP32_HARDENED for hardened). Private parent -> private child;
 * public parent -> public child, ESGX_CRYPTO_E_DERIVE for a hardened index. */
ESGX_MUST_CHECK
int esgx_bip32_child_derive(const esgx_bip32_key *parent, uint32_t index,
                            esgx_bip32_key *out, esgx_err *err);
/* Copies key without its private part. */
void esgx_bip32_key_neuter(const esgx_bip32_key *key, esgx_bip32_key *out);
/* Serialises as xprv (want_private = 1, key must have it) or xpub text into out
 * (capacity >= ESGX_BIP32_TEXT_LEN + 1, NUL added). */
ESGX_MUST_CHECK
int esgx_bip32_key_serialize(const esgx_bip32_key *key, int want_private, char *out,
                             size_t out_cap, esgx_err *err);
/* Parses xprv/xpub text. ESGX_CRYPTO_E_BASE58, ESGX_CRYPTO_E_CHECKSUM, ESGX_CRYPTO_E_VERSION (not
 * mainnet xprv/xpub), ESGX_CRYPTO_E_KEY (bad key bytes or lengths). */
ESGX_MUST_CHECK
int esgx_bip32_key_parse(const char *text, size_t text_len, esgx_bip32_key *out,
                         esgx_err *err);
/* Wipes a key. */
void esgx_bip32_key_wipe(esgx_bip32_key *key);

/* The network's shared key from a 32-byte seed: master(seed) / 0' / 0'. */
ESGX_MUST_CHECK
int esgx_bip32_shared_from_seed(const uint8_t *seed, size_t seed_len, esgx_bip32_key *out,
                                esgx_err *err);
/* The derived key of a module: shared / 0 / 16 children from module_hash read as
 * big-endian u16 / children from path read the same way; all non-hardened, so a public
 * shared key gives the public derived key. ESGX_CRYPTO_E_PATH if path_len is odd or over
 * ESGX_BIP32_MAX_PATH_LEN. */
ESGX_MUST_CHECK
int esgx_bip32_module_key_derive(const esgx_bip32_key *shared,
                                 const uint8_t module_hash[32], const uint8_t *path,
                                 size_t path_len, esgx_bip32_key *out, esgx_err *err);

/* ---------------------------------------------------------------- secp256k1 */

#define ESGX_EC_SIGNATURE_LEN 65              /* r (32) + s (32) + recovery id (1) */

/* Compressed public key of a secret key. ESGX_CRYPTO_E_KEY if the secret is invalid. */
ESGX_MUST_CHECK
int esgx_ec_pubkey_from_seckey(const uint8_t seckey[32], uint8_t pubkey[33], esgx_err *err);
/* Parses a 33- or 65-byte public key and writes it compressed. ESGX_CRYPTO_E_KEY. */
ESGX_MUST_CHECK
int esgx_ec_pubkey_normalize(const uint8_t *in, size_t in_len, uint8_t pubkey[33],
                             esgx_err *err);
/* A fresh random valid secret key. */
ESGX_MUST_CHECK
int esgx_ec_seckey_generate(uint8_t seckey[32], esgx_err *err);
/* Recoverable ECDSA over a 32-byte digest with RFC 6979 nonces, low-S. */
ESGX_MUST_CHECK
int esgx_ec_sign_recoverable(const uint8_t seckey[32], const uint8_t digest[32],
                             uint8_t sig[ESGX_EC_SIGNATURE_LEN], esgx_err *err);
/* Recovers the compressed public key that made sig over digest. ESGX_CRYPTO_E_SIGNATURE. */
ESGX_MUST_CHECK
int esgx_ec_recover(const uint8_t digest[32], const uint8_t sig[ESGX_EC_SIGNATURE_LEN],
                    uint8_t pubkey[33], esgx_err *err);

/* ---------------------------------------------------------------- ECIES */

/* ciphertext = ephemeral public key (65) + nonce (16) + tag (16) + encrypted bytes */
#define ESGX_ECIES_OVERHEAD (65 + 16 + 16)

/* Encrypts pt[0..pt_len) to a 33- or 65-byte public key. out needs pt_len +
 * ESGX_ECIES_OVERHEAD bytes; *out_len gets that. */
ESGX_MUST_CHECK
int esgx_ecies_encrypt(const uint8_t *pubkey, size_t pubkey_len, const uint8_t *pt,
                       size_t pt_len, uint8_t *out, size_t out_cap, size_t *out_len,
                       esgx_err *err);
/* Decrypts with a secret key. out needs ct_len - ESGX_ECIES_OVERHEAD bytes and may be equal
 * to ct (in-place: the plaintext is written from ct[0]). ESGX_CRYPTO_E_SHORT if ct_len <
 * ESGX_ECIES_OVERHEAD, ESGX_CRYPTO_E_KEY for a bad ephemeral key, ESGX_CRYPTO_E_AUTH for a bad tag
 * (out is then zeroed). */
ESGX_MUST_CHECK
int esgx_ecies_decrypt(const uint8_t seckey[32], const uint8_t *ct, size_t ct_len,
                       uint8_t *out, size_t out_cap, size_t *out_len, esgx_err *err);

/* ---------------------------------------------------------------- approved wasm */

#define ESGX_APPROVED_WASM_MAGIC "FLEEK_ENCLAVE_APPROVED_WASM"
#define ESGX_APPROVED_WASM_MAGIC_LEN 27

/* Builds magic + u8 count + count*32 hashes + data into out. count must be 1..255 and
 * data_len >= 1 (ESGX_CRYPTO_E_ARG otherwise). */
ESGX_MUST_CHECK
int esgx_approved_wasm_build(const uint8_t (*hashes)[32], size_t count, const uint8_t *data,
                             size_t data_len, uint8_t *out, size_t out_cap, size_t *out_len,
                             esgx_err *err);
/* Parses a plaintext and checks module_hash is listed. On success *data / *data_len
 * point into pt. ESGX_CRYPTO_E_HEADER (bad magic, count 0, truncated, no data) or
 * ESGX_CRYPTO_E_NOT_APPROVED. */
ESGX_MUST_CHECK
int esgx_approved_wasm_check(const uint8_t *pt, size_t pt_len,
                             const uint8_t module_hash[32], const uint8_t **data,
                             size_t *data_len, esgx_err *err);

/* ---------------------------------------------------------------- digests */

/* input_hash of docs/formats.md. function_len must be <= 255 (ESGX_CRYPTO_E_ARG). */
ESGX_MUST_CHECK
int esgx_digest_input_hash(const uint8_t module_hash[32], int decrypt, uint64_t fuel_limit,
                           const char *function, size_t function_len, const uint8_t *input,
                           size_t input_len, uint8_t out[32], esgx_err *err);
/* Response digest: SHA-256("INPUT_HASH" + input_hash + "FUEL_USED" + u64be fuel_used +
 * "OUTPUT_HASH" + output_hash), all hashes as raw 32 bytes. */
void esgx_digest_response(const uint8_t input_hash[32], uint64_t fuel_used,
                     const uint8_t output_hash[32], uint8_t out[32]);

/* ---------------------------------------------------------------- AES-256-GCM */

#define ESGX_AEAD_NONCE_LEN 12
#define ESGX_AEAD_TAG_LEN 16
#define ESGX_AEAD_OVERHEAD (ESGX_AEAD_NONCE_LEN + ESGX_AEAD_TAG_LEN)

/* Seals pt under a 32-byte key with a random nonce and associated data aad:
 * out = nonce (12) + ciphertext (pt_len) + tag (16). */
ESGX_MUST_CHECK
int esgx_aead_seal(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
                   const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
                   size_t *out_len, esgx_err *err);
/* Opens what esgx_aead_seal made. ESGX_CRYPTO_E_SHORT, ESGX_CRYPTO_E_AUTH (out zeroed). */
ESGX_MUST_CHECK
int esgx_aead_open(const uint8_t key[32], const uint8_t *aad, size_t aad_len,
                   const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                   size_t *out_len, esgx_err *err);

#endif
