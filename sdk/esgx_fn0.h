/*
 * esgx_fn0.h: the esgx guest API (host functions imported from module "fn0").
 *
 * For C programs compiled to WebAssembly with clang:
 *
 *     clang-19 --target=wasm32 -O2 -ffreestanding -nostdlib -Wl,--no-entry \
 *              -I sdk -o hello.wasm hello.c
 *
 * Names, types and error codes are those of Fleek's sgxkit, so modules built for Fleek
 * Edge SGX run unchanged (see docs/guest-abi.md for the full ABI, fuel costs and the
 * WASI alternative). Pointers and lengths are offsets into the module's exported
 * memory ("memory", exported by wasm-ld by default).
 *
 * Entry point: export `main` of type (i32, i32) -> i32 (called with 0, 0), () -> () or
 * () -> i32. With clang, use ESGX_MAIN (a plain `int main(int, char**)` is renamed by
 * clang for WebAssembly and would not be exported as "main"):
 *
 *     ESGX_MAIN { fn0_output_data_append("hi", 2); return 0; }
 */
#ifndef ESGX_FN0_H
#define ESGX_FN0_H

#include <stdint.h>

#define ESGX_FN0_IMPORT(name) __attribute__((import_module("fn0"), import_name(#name)))

/* Defines the exported entry point "main" with type (i32, i32) -> i32. */
#define ESGX_MAIN                                                                 \
    __attribute__((export_name("main"))) int32_t esgx_main(                       \
        __attribute__((unused)) int32_t esgx_argc_,                               \
        __attribute__((unused)) int32_t esgx_argv_)

/* Error codes returned (as negative i32) by the functions below. */
enum {
    FN0_OK = 0,
    FN0_ERR_OUT_OF_FUEL = -1,       /* (documented; esgx traps instead, see guest-abi) */
    FN0_ERR_OUT_OF_BOUNDS = -2,     /* a pointer range is outside memory or the input */
    FN0_ERR_INVALID_PATH = -3,      /* derivation path of odd length or over 256 bytes */
    FN0_ERR_DERIVATION = -4,        /* key derivation failed */
    FN0_ERR_BAD_HEADER = -5,        /* shared_key_unseal: no valid approved-wasm header */
    FN0_ERR_NOT_APPROVED = -6,      /* shared_key_unseal: this module is not listed */
    FN0_ERR_DECRYPT = -7,           /* ECIES decryption failed (wrong key, tampered) */
    FN0_ERR_UNEXPECTED = -99,
};

#define FN0_XPUB_LEN 111            /* shared_key_public text length */
#define FN0_PUBKEY_LEN 33           /* compressed secp256k1 public key */
#define FN0_SIGNATURE_LEN 65        /* r (32) + s (32) + recovery id (1) */
#define FN0_MAX_PATH_LEN 256        /* derivation path bytes (even) */

/* Length in bytes of the invocation's input. */
ESGX_FN0_IMPORT(input_data_size) int32_t fn0_input_data_size(void);

/* Copies input bytes [offset, offset+len) to memory at dst. Returns 0, or -2 if either
 * range is out of bounds (nothing is copied). */
ESGX_FN0_IMPORT(input_data_copy) int32_t fn0_input_data_copy(void *dst, uint32_t offset,
                                                             uint32_t len);

/* Appends memory [ptr, ptr+len) to the output. Returns 0 or -2. Going over the node's
 * output limit traps (the invocation fails with code output_too_large). */
ESGX_FN0_IMPORT(output_data_append) int32_t fn0_output_data_append(const void *ptr,
                                                                   uint32_t len);

/* Discards the output written so far (e.g. to write an error message instead). */
ESGX_FN0_IMPORT(output_data_clear) void fn0_output_data_clear(void);

/* Writes the network's shared extended public key (xpub, base58 text, 111 bytes, no
 * NUL) to buf. Returns 111 or -2. */
ESGX_FN0_IMPORT(shared_key_public) int32_t fn0_shared_key_public(char *buf);

/* Decrypts in place ECIES ciphertext [ptr, ptr+len) made for the shared key. The
 * plaintext must be "FLEEK_ENCLAVE_APPROVED_WASM" + u8 count + count 32-byte module
 * hashes + data, and list this module's hash. On success the data (without the header)
 * is written at ptr and its length returned. Errors: -2, -5, -6, -7; on error memory is
 * unchanged and no plaintext is revealed. */
ESGX_FN0_IMPORT(shared_key_unseal) int32_t fn0_shared_key_unseal(void *ptr, uint32_t len);

/* Writes to buf (33 bytes) the compressed public key of the derived key
 * shared/0/<16 u16 of module hash>/<u16s of path>. wasm_hash is NULL (0) for this
 * module, or points to another module's 32-byte hash. Returns 0, -2, -3 or -4. */
ESGX_FN0_IMPORT(derived_key_public) int32_t fn0_derived_key_public(const uint8_t *wasm_hash,
                                                                   const void *path,
                                                                   uint32_t path_len,
                                                                   uint8_t *buf);

/* Decrypts in place ECIES ciphertext [ptr, ptr+len) made for this module's derived key
 * at path. Returns the plaintext length (written at ptr), or -2, -3, -4, -7. */
ESGX_FN0_IMPORT(derived_key_unseal) int32_t fn0_derived_key_unseal(const void *path,
                                                                   uint32_t path_len,
                                                                   void *ptr, uint32_t len);

/* Signs the 32-byte digest with this module's derived key at path (secp256k1 ECDSA,
 * RFC 6979, low-S) and writes r || s || recovery id (65 bytes) to sig. Returns 0, -2,
 * -3 or -4. */
ESGX_FN0_IMPORT(derived_key_sign) int32_t fn0_derived_key_sign(const void *path,
                                                               uint32_t path_len,
                                                               const uint8_t *digest,
                                                               uint8_t *sig);

/* Host time in seconds since the Unix epoch. Untrusted: the host controls it. */
ESGX_FN0_IMPORT(insecure_systemtime) int64_t fn0_insecure_systemtime(void);

/* Logs [ptr, ptr+len) to the node's stderr when the node runs with --debug; otherwise
 * does nothing (fuel is charged either way). */
ESGX_FN0_IMPORT(debug_print) void fn0_debug_print(const void *ptr, uint32_t len);

/* ---------------------------------------------------------------- helpers */

/* Appends a NUL-terminated string to the output. */
static inline int32_t fn0_output_str(const char *s)
{
    uint32_t n = 0;
    while (s[n]) n++;
    return fn0_output_data_append(s, n);
}

/* A buffer of at least n bytes at the end of linear memory (grows the memory; never
 * freed). Returns NULL if memory cannot grow. For programs without malloc. */
static inline void *fn0_sbrk(uint32_t n)
{
    uint32_t pages = (n + 65535u) / 65536u;
    int32_t old = (int32_t)__builtin_wasm_memory_grow(0, pages);
    if (old < 0) return (void *)0;
    return (void *)(uintptr_t)((uint32_t)old * 65536u);
}

#endif
