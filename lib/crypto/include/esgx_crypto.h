/*
 * esgx_crypto: the cryptography of esgx (docs/formats.md).
 *
 *   BLAKE3          content hashes, keyed hashes, key derivation, XOF, output trees
 *   base58check     xprv/xpub text
 *   BIP32           the shared key and per-module derived keys
 *   ec_*            secp256k1 recoverable ECDSA (RFC 6979, low-S) via libsecp256k1
 *   ECIES           eciesjs-compatible encryption to a secp256k1 public key
 *   approved_wasm   the FLEEK_ENCLAVE_APPROVED_WASM plaintext header
 *   digest_*        the input_hash (also for by-name and sealed calls) and
 *                   response-signature digests
 *   aead_*          AES-256-GCM sealing (OpenSSL)
 *   hkdf / hmac     HKDF-SHA256 and HMAC-SHA256 (OpenSSL), constant-time compare
 *   name_record_*   owned, signed function names and their transfers
 *   seal_*          sealed calls: input and output encrypted between client and enclave
 *   random_*        the keys of the deterministic guest randomness stream
 *   admin_*         the MACs that authorise tokens and content in etcd
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

/* The name binding of a call by name: the record the node resolved the name with
 * (docs/formats.md "Name records"). name is name_len bytes (not NUL-terminated). */
typedef struct esgx_name_binding {
    const char *name;          /* 1..64 bytes, esgx_name_valid */
    size_t name_len;
    uint8_t owner[33];         /* the record's owner, compressed */
    uint64_t seq;              /* the record's seq, 1..2^63-1 */
} esgx_name_binding;

/* input_hash of a call by name and/or a sealed call: the preimage of
 * esgx_digest_input_hash followed, when by_name is non-NULL, by
 *   "RECORD_NAME" + u8 len + name + "RECORD_OWNER" + owner (33) + "RECORD_SEQ" + u64be seq
 * and then, when sealed is non-zero, by "SEALED_INPUT" + u8 1. With by_name NULL and
 * sealed 0 the result is byte for byte esgx_digest_input_hash. For a sealed call,
 * input is the sealed bytes as they travel (esgx_seal_request's output).
 * Arguments as esgx_digest_input_hash, plus by_name (NULL for a call by hash) and
 * sealed (0/non-zero). Returns 0, ESGX_CRYPTO_E_ARG (NULL argument, function_len over
 * 255, by_name with an invalid name, seq 0 or over 2^63-1) or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_digest_input_hash_ex(const uint8_t module_hash[32], int decrypt, uint64_t fuel_limit,
                              const char *function, size_t function_len, const uint8_t *input,
                              size_t input_len, const esgx_name_binding *by_name, int sealed,
                              uint8_t out[32], esgx_err *err);

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

/* ---------------------------------------------------------------- HKDF, HMAC */

/* HKDF-SHA256 (RFC 5869): out_len (1..255*32) bytes from ikm with salt and info (either
 * may be empty: NULL with length 0). Returns 0, ESGX_CRYPTO_E_ARG (NULL with a non-zero
 * length, out_len 0 or too large) or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_crypto_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const void *salt,
                            size_t salt_len, const void *info, size_t info_len, uint8_t *out,
                            size_t out_len, esgx_err *err);

/* HMAC-SHA256 of the concatenation msg1 + msg2 (msg2 may be NULL with length 0) under
 * key[0..key_len). Returns 0, ESGX_CRYPTO_E_ARG (NULL with a non-zero length) or
 * ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_crypto_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg1,
                            size_t msg1_len, const void *msg2, size_t msg2_len,
                            uint8_t out[32], esgx_err *err);

/* 1 if a[0..n) equals b[0..n), else 0, in time that depends only on n (for MACs). */
int esgx_crypto_equal(const void *a, const void *b, size_t n);

/* ---------------------------------------------------------------- name records */

/* docs/formats.md "Name records": a function name bound to a module by its owner's
 * signature, for one network, with the transfers that moved it between owners.
 *   record_digest   = SHA-256("ESGX_NAME_RECORD_V1" + "NETWORK" + N + "NAME" + u8 len +
 *                     name + "MODULE_HASH" + hash + "ENCRYPTED" + u8 + "SEQUENCE" +
 *                     u64be seq + "OWNER" + owner)
 *   transfer_digest = SHA-256("ESGX_NAME_TRANSFER_V1" + "NETWORK" + N + "NAME" + u8 len +
 *                     name + "SEQUENCE" + u64be seq + "FROM" + from + "TO" + to)
 * Signatures are esgx_ec_sign_recoverable's 65 bytes; a record is signed by its owner,
 * a transfer by its from key. The structs are plain, bounded data (no allocation). The
 * JSON form is in lib/proto (esgx_name_record_parse / esgx_name_record_format).
 * Codes of the functions below: ESGX_CRYPTO_E_ARG for a malformed record or transfer
 * (NULL, name invalid, seq 0 or over ESGX_NAME_SEQ_MAX, encrypted not 0/1, more than
 * ESGX_NAME_MAX_TRANSFERS transfers, a key that is not a point), ESGX_CRYPTO_E_KEY for an
 * invalid secret key, ESGX_CRYPTO_E_SIGNATURE when a signature does not recover to the
 * key that must have made it, ESGX_CRYPTO_E_AUTH when it is valid but for something
 * else (another network, an owner not reachable), ESGX_CRYPTO_E_INTERNAL. */

#define ESGX_NAME_MAX_LEN 64                  /* bytes of a name (esgx_name_valid) */
#define ESGX_NAME_MAX_TRANSFERS 64            /* transfers a record may carry */
#define ESGX_NAME_SEQ_MAX 0x7fffffffffffffffull  /* seq is 1..2^63-1 */

/* 1 if s[0..n) is a function name: 1..64 characters of [A-Za-z0-9._-]; else 0.
 * (esgx_proto_name_valid is this same rule.) */
int esgx_name_valid(const char *s, size_t n);

/* One transfer: the owner `from` gives the name to `to` at sequence number seq. */
typedef struct esgx_name_transfer {
    uint64_t seq;                             /* 1..ESGX_NAME_SEQ_MAX */
    uint8_t from[33];                         /* compressed public keys */
    uint8_t to[33];
    uint8_t signature[ESGX_EC_SIGNATURE_LEN]; /* by from's key over transfer_digest */
} esgx_name_transfer;

/* A name record. name holds name_len bytes and a NUL after them. transfers[0..
 * n_transfers) is the chain since the name was first bound, oldest first. */
typedef struct esgx_name_record {
    char name[ESGX_NAME_MAX_LEN + 1];
    size_t name_len;
    uint8_t network[33];                      /* N: the network's public key */
    uint8_t module_hash[32];
    uint8_t encrypted;                        /* 0/1: the module is ECIES-encrypted */
    uint64_t seq;                             /* 1..ESGX_NAME_SEQ_MAX, grows per deploy */
    uint8_t owner[33];
    uint8_t signature[ESGX_EC_SIGNATURE_LEN]; /* by owner's key over record_digest */
    size_t n_transfers;                       /* 0..ESGX_NAME_MAX_TRANSFERS */
    esgx_name_transfer transfers[ESGX_NAME_MAX_TRANSFERS];
} esgx_name_record;

/* record_digest of rec (its signature and transfers are not covered) into out.
 * Returns 0 or ESGX_CRYPTO_E_ARG (NULL, invalid name, seq out of range, encrypted not 0/1). */
ESGX_MUST_CHECK
int esgx_name_record_digest(const esgx_name_record *rec, uint8_t out[32], esgx_err *err);

/* Signs rec with owner_seckey: sets rec->owner to its public key and rec->signature
 * to the signature of the record digest (the other fields must be set already).
 * Returns 0, ESGX_CRYPTO_E_ARG (as esgx_name_record_digest), ESGX_CRYPTO_E_KEY (invalid
 * secret key; rec unchanged) or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_name_record_sign(esgx_name_record *rec, const uint8_t owner_seckey[32],
                          esgx_err *err);

/* Checks rec itself (not its transfers: esgx_name_record_owner_chain does): the name is
 * valid, seq is 1..ESGX_NAME_SEQ_MAX, encrypted is 0/1, n_transfers is at most
 * ESGX_NAME_MAX_TRANSFERS, the network and owner are points, the network equals
 * expected_network (skipped when NULL), and the signature recovers to owner.
 * Returns 0, ESGX_CRYPTO_E_ARG ("record name is not ...", "record seq ...", "record
 * owner is not a valid public key", ...), ESGX_CRYPTO_E_AUTH ("record is for another
 * network"), ESGX_CRYPTO_E_SIGNATURE ("record signature does not recover to its
 * owner") or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_name_record_verify(const esgx_name_record *rec, const uint8_t expected_network[33],
                            esgx_err *err);

/* transfer_digest of t for the name name[0..name_len) on network into out (t->signature
 * is not covered). Returns 0 or ESGX_CRYPTO_E_ARG (NULL, invalid name, seq out of range). */
ESGX_MUST_CHECK
int esgx_name_transfer_digest(const uint8_t network[33], const char *name, size_t name_len,
                              const esgx_name_transfer *t, uint8_t out[32], esgx_err *err);

/* Signs t (t->seq and t->to set by the caller) with from_seckey: sets t->from to its
 * public key and t->signature. Returns 0, ESGX_CRYPTO_E_ARG (as the digest, or t->to not
 * a point), ESGX_CRYPTO_E_KEY (invalid secret key; t unchanged) or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_name_transfer_sign(const uint8_t network[33], const char *name, size_t name_len,
                            esgx_name_transfer *t, const uint8_t from_seckey[32],
                            esgx_err *err);

/* Checks one transfer of the name on network: name valid, seq 1..ESGX_NAME_SEQ_MAX,
 * from and to are points, and the signature recovers to from. Returns 0,
 * ESGX_CRYPTO_E_ARG, ESGX_CRYPTO_E_SIGNATURE ("transfer signature does not recover to
 * its from key") or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_name_transfer_verify(const uint8_t network[33], const char *name, size_t name_len,
                              const esgx_name_transfer *t, esgx_err *err);

/* Whether the current owner of rec is reachable from pinned_owner (an owner the caller
 * trusted earlier for this name). Checks rec as esgx_name_record_verify with no
 * expected network, then the whole transfer chain: every transfer verifies for rec's
 * network and name (esgx_name_transfer_verify), seqs strictly increase and stay below
 * rec->seq, each transfer's from is the previous one's to, and the last one's to is
 * rec->owner. Reachable means pinned_owner is rec->owner or the from of a transfer.
 * Returns 0 when reachable; ESGX_CRYPTO_E_AUTH ("transfer 2 does not continue the
 * chain", "transfer 1 seq 5 is not above the previous transfer's seq 5", "transfer 0
 * seq 9 is not below the record's seq 9", "the last transfer does not go to the
 * record's owner", "the record's owner is not reachable from the pinned owner"), or
 * any code of esgx_name_record_verify / esgx_name_transfer_verify (the message then
 * starts with "transfer I: "). */
ESGX_MUST_CHECK
int esgx_name_record_owner_chain(const esgx_name_record *rec, const uint8_t pinned_owner[33],
                                 esgx_err *err);

/* ---------------------------------------------------------------- sealed calls */

/* docs/formats.md "Sealed calls": the input and the output of one call encrypted
 * between the client and the enclave, under keys from ECDH with the network key N.
 *   X        = x-coordinate of e*N = n*E (32 bytes); E = e*G, e fresh per call
 *   req_key  = HKDF-SHA256(X, salt "esgx-sealed-call-v1", info "request"  + E + N)
 *   resp_key = HKDF-SHA256(X, salt "esgx-sealed-call-v1", info "response" + E + N)
 *   sealed input  = u8 1 + E (33) + nonce (12) + C + tag (16), AES-256-GCM(req_key) with
 *                   aad "ESGX_SEALED_REQUEST" + u8 1 + module hash + u8 len + function +
 *                   u64be fuel + u8 len + name
 *   sealed output = nonce' (12) + C' + tag' (16), AES-256-GCM(resp_key) with aad
 *                   "ESGX_SEALED_RESPONSE" + input_hash; nonce' = the first 12 bytes of
 *                   HMAC-SHA256(resp_key, "ESGX_SEALED_NONCE" + output plaintext)
 * Buffers: out needs the plaintext length plus the overhead (sealing) or the sealed
 * length minus it (opening); out may be the same buffer as the input (in place: a
 * sealed request is opened into in[0..), a response is sealed from out[12..) or any
 * other place). A failed open zeroes what it wrote to out. */

#define ESGX_SEAL_VERSION 1
#define ESGX_SEAL_REQUEST_OVERHEAD (1 + 33 + 12 + 16)    /* 62 */
#define ESGX_SEAL_RESPONSE_OVERHEAD (12 + 16)            /* 28 */

/* The keys of one sealed call. The client keeps them from esgx_seal_request to open the
 * response; the enclave gets them from esgx_seal_open_request to seal it. Secret:
 * wipe with esgx_seal_keys_wipe. */
typedef struct esgx_seal_keys {
    uint8_t req_key[32];
    uint8_t resp_key[32];
    uint8_t ephemeral[33];                    /* E, the client's ephemeral public key */
} esgx_seal_keys;

/* Wipes keys (NULL is allowed). */
void esgx_seal_keys_wipe(esgx_seal_keys *keys);

/* What a sealed input is bound to (its associated data): it opens only for the same
 * module, function, fuel limit and name. */
typedef struct esgx_seal_binding {
    uint8_t module_hash[32];
    const char *function;                     /* the export, 1..255 bytes */
    size_t function_len;
    uint64_t fuel;                            /* the fuel limit the call runs with */
    const char *name;                         /* the deployed name (esgx_name_valid), or */
    size_t name_len;                          /* 0 bytes for a call by hash (name may be NULL) */
} esgx_seal_binding;

/* Client side: seals pt[0..pt_len) for the enclave holding the secret of network_pubkey
 * (N, 33 bytes compressed) with a fresh ephemeral key and nonce. out (capacity out_cap)
 * gets pt_len + ESGX_SEAL_REQUEST_OVERHEAD bytes (*out_len); keys gets the call's keys
 * (on failure keys is wiped). Returns 0, ESGX_CRYPTO_E_ARG (NULL, function not 1..255
 * bytes, a name that is neither empty nor valid), ESGX_CRYPTO_E_KEY (network_pubkey not a compressed
 * point), ESGX_CRYPTO_E_BUFFER or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_seal_request(const uint8_t network_pubkey[33], const esgx_seal_binding *binding,
                      const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
                      size_t *out_len, esgx_seal_keys *keys, esgx_err *err);

/* Enclave side: opens a sealed input in[0..in_len) with the network secret key n
 * (32 bytes) for binding. out gets in_len - ESGX_SEAL_REQUEST_OVERHEAD bytes (*out_len);
 * keys gets the call's keys (wiped on failure). Returns 0, ESGX_CRYPTO_E_ARG (NULL or
 * a bad binding as in esgx_seal_request), ESGX_CRYPTO_E_SHORT (shorter than the
 * overhead), ESGX_CRYPTO_E_VERSION (first byte not 1), ESGX_CRYPTO_E_KEY (E not a point
 * on the curve, or network_seckey invalid), ESGX_CRYPTO_E_BUFFER, ESGX_CRYPTO_E_AUTH
 * ("sealed input does not open for this module, function, fuel and name": another
 * binding, another network key, or modified bytes) or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_seal_open_request(const uint8_t network_seckey[32],
                           const esgx_seal_binding *binding, const uint8_t *in,
                           size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                           esgx_seal_keys *keys, esgx_err *err);

/* Enclave side: seals the output pt[0..pt_len) with keys->resp_key for the call whose
 * input_hash is given (esgx_digest_input_hash_ex with sealed = 1). Deterministic: the
 * same keys, input_hash and output give the same bytes. out gets pt_len +
 * ESGX_SEAL_RESPONSE_OVERHEAD bytes. Returns 0, ESGX_CRYPTO_E_ARG, ESGX_CRYPTO_E_BUFFER or
 * ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_seal_response(const esgx_seal_keys *keys, const uint8_t input_hash[32],
                       const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
                       size_t *out_len, esgx_err *err);

/* Client side: opens a sealed output in[0..in_len) with keys->resp_key and the
 * input_hash of the call. out gets in_len - ESGX_SEAL_RESPONSE_OVERHEAD bytes. Returns
 * 0, ESGX_CRYPTO_E_ARG, ESGX_CRYPTO_E_SHORT, ESGX_CRYPTO_E_BUFFER, ESGX_CRYPTO_E_AUTH ("sealed
 * output does not open ...": other keys, another input_hash, modified bytes) or
 * ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_seal_open_response(const esgx_seal_keys *keys, const uint8_t input_hash[32],
                            const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                            size_t *out_len, esgx_err *err);

/* ---------------------------------------------------------------- guest randomness */

/* docs/formats.md "Guest randomness": random_get gives the guest the BLAKE3 keyed XOF
 * (keyed mode, no input) of a stream key fixed by the key, the module and the call.
 *   k_rand     = HKDF-SHA256(n, salt "esgx-guest-random-v1", no info), 32 bytes
 *   stream key = HMAC-SHA256(k_rand, module hash + input_hash)
 *   local      = BLAKE3 derive_key("esgx local run random v1", module hash + input_hash)
 * k_rand and stream keys are secret: callers wipe them (esgx_crypto_wipe). */

/* k_rand from the network's 32-byte shared secret key. Returns 0, ESGX_CRYPTO_E_ARG
 * (NULL) or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_random_key_derive(const uint8_t shared_seckey[32], uint8_t k_rand[32],
                           esgx_err *err);

/* The stream key of one invocation. Returns 0, ESGX_CRYPTO_E_ARG or ESGX_CRYPTO_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_random_stream_key(const uint8_t k_rand[32], const uint8_t module_hash[32],
                           const uint8_t input_hash[32], uint8_t out[32], esgx_err *err);

/* The stream key of a local run (`esgx run`, no network key): anyone can compute it,
 * so it is for local testing only. */
void esgx_random_stream_key_local(const uint8_t module_hash[32], const uint8_t input_hash[32],
                                  uint8_t out[32]);

/* Bytes [offset, offset + len) of the stream of stream_key into out. */
void esgx_random_stream_read(const uint8_t stream_key[32], uint64_t offset, uint8_t *out,
                             size_t len);

/* ---------------------------------------------------------------- admin MACs */

/* docs/formats.md "Admin MACs": MACs only an enclave (holder of n) can make, stored in
 * etcd to authorise API tokens and content.
 *   k_admin     = HKDF-SHA256(n, salt "esgx-admin-v1", no info), 32 bytes
 *   token_mac   = HMAC-SHA256(k_admin, "ESGX_TOKEN" + SHA-256(token))
 *   content_mac = HMAC-SHA256(k_admin, "ESGX_CONTENT" + content hash)
 *   held_mac    = HMAC-SHA256(k_admin, "ESGX_HELD" + SHA-256(content hash + node id))
 * k_admin is secret (wipe it). Compare MACs with esgx_crypto_equal. Each returns 0,
 * ESGX_CRYPTO_E_ARG (NULL) or ESGX_CRYPTO_E_INTERNAL. */

/* k_admin from the network's 32-byte shared secret key. */
ESGX_MUST_CHECK
int esgx_admin_key_derive(const uint8_t shared_seckey[32], uint8_t k_admin[32], esgx_err *err);

/* token_mac of a token given by its SHA-256 (esgx_crypto_sha256 of the token text). */
ESGX_MUST_CHECK
int esgx_admin_token_mac(const uint8_t k_admin[32], const uint8_t token_sha256[32],
                         uint8_t out[32], esgx_err *err);

/* content_mac of a content hash (32 raw bytes, the BLAKE3 name of the content). */
ESGX_MUST_CHECK
int esgx_admin_content_mac(const uint8_t k_admin[32], const uint8_t content_hash[32],
                           uint8_t out[32], esgx_err *err);

/* held_mac: a node's proof that it stores a content item, given SHA-256 of the content
 * hash (32 raw bytes) followed by the node id's text. */
ESGX_MUST_CHECK
int esgx_admin_held_mac(const uint8_t k_admin[32], const uint8_t held_sha256[32],
                        uint8_t out[32], esgx_err *err);

#endif
