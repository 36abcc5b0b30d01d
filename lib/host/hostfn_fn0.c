/*
 * hostfn_fn0.c: the `fn0` host API of docs/guest-abi.md (byte-compatible with
 * Fleek's sgxkit): input/output, the shared key (xpub, unseal of approved data) and the
 * per-module derived keys (public key, unseal, sign), untrusted time and debug output.
 *
 * Every call first checks its argument rules (path length, memory ranges), then charges
 * its fuel (which depends only on the arguments: a refused call costs only the base),
 * then works.
 * Decryptions go through a private heap buffer that is wiped afterwards: plaintext
 * reaches guest memory only when the call succeeds, so an unapproved module never sees
 * data it was not approved for. Derived keys come from the invocation's key cache
 * (hostfn_keys.c: a path asked again is not derived again, and costs less fuel); the
 * copies on the stack are wiped before return. sgxkit's older 5-argument
 * derived_key_sign (sign SHA-256 of data) is accepted too, chosen by the import's type.
 */
#include "host_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define I32 ESGX_WASM_I32
#define I64 ESGX_WASM_I64

static uint32_t arg_u32(const esgx_wasm_value *args, int i)
{
    return (uint32_t)args[i].of.i32;
}

static void ret_i32(esgx_wasm_value *results, int32_t v)
{
    results[0].type = ESGX_WASM_I32;
    results[0].of.i32 = v;
}

/* A refused call: charges only the base cost and returns error `code` to the guest
 * (or traps out_of_fuel, returning -1, if even that cannot be paid). */
static int refuse(esgx_wasm_ctx *ctx, esgx_wasm_value *results, int32_t code)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    ret_i32(results, code);
    return 0;
}

static int fn_input_data_size(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                              void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    ret_i32(results, (int32_t)gs->input_len);
    return 0;
}

static int fn_input_data_copy(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                              void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t dst = arg_u32(args, 0), off = arg_u32(args, 1), len = arg_u32(args, 2);
    uint8_t *m = esgx_wasm_ctx_memory(ctx, dst, len);
    int bad = !m || (uint64_t)off + len > gs->input_len;
    if (esgx_host_fn_charge(ctx, esgx_host_fn_copy_cost(bad ? 0 : len))) return ESGX_HOST_E_TRAP;
    if (bad) {
        ret_i32(results, FN0_E_OOB);
        return 0;
    }
    if (len) memcpy(m, gs->input + off, len);
    ret_i32(results, 0);
    return 0;
}

static int fn_output_data_append(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                                 void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t ptr = arg_u32(args, 0), len = arg_u32(args, 1);
    uint8_t *m = esgx_wasm_ctx_memory(ctx, ptr, len);
    if (esgx_host_fn_charge(ctx, esgx_host_fn_copy_cost(m ? len : 0))) return ESGX_HOST_E_TRAP;
    if (!m) {
        ret_i32(results, FN0_E_OOB);
        return 0;
    }
    if (esgx_host_fn_output_append(ctx, gs, m, len)) return ESGX_HOST_E_TRAP;
    ret_i32(results, 0);
    return 0;
}

static int fn_output_data_clear(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                                void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    gs->out_len = 0;
    return 0;
}

static int fn_shared_key_public(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                                void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint8_t *m = esgx_wasm_ctx_memory(ctx, arg_u32(args, 0), ESGX_BIP32_TEXT_LEN);
    if (esgx_host_fn_charge(ctx, esgx_host_fn_copy_cost(m ? ESGX_BIP32_TEXT_LEN : 0)))
        return ESGX_HOST_E_TRAP;
    if (!m) {
        ret_i32(results, FN0_E_OOB);
        return 0;
    }
    memcpy(m, gs->xpub, ESGX_BIP32_TEXT_LEN);
    ret_i32(results, ESGX_BIP32_TEXT_LEN);
    return 0;
}

/* The fuel of one ECIES decryption of len bytes of ciphertext. */
static uint64_t ecies_cost(uint64_t len)
{
    return HOSTFN_FUEL_ECIES + hostfn_per_64b(HOSTFN_FUEL_ECIES_PER_64B, len);
}

/* Decrypts ct[0..len) with seckey into a fresh heap buffer (*pt, *pt_len); the caller
 * wipes and frees it. Returns 0 or FN0_E_DECRYPT / FN0_E_UNEXPECTED. */
static int decrypt_copy(const uint8_t seckey[32], const uint8_t *ct, size_t len, uint8_t **pt,
                        size_t *pt_len)
{
    *pt = NULL;
    *pt_len = 0;
    if (len < ESGX_ECIES_OVERHEAD) return FN0_E_DECRYPT;
    uint8_t *buf = malloc(len - ESGX_ECIES_OVERHEAD + 1);
    if (!buf) return FN0_E_UNEXPECTED;
    if (esgx_ecies_decrypt(seckey, ct, len, buf, len - ESGX_ECIES_OVERHEAD + 1, pt_len, NULL) != 0) {
        esgx_crypto_wipe(buf, len - ESGX_ECIES_OVERHEAD + 1);
        free(buf);
        return FN0_E_DECRYPT;
    }
    *pt = buf;
    return 0;
}

static int fn_shared_key_unseal(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                                void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t ptr = arg_u32(args, 0), len = arg_u32(args, 1);
    uint8_t *m = esgx_wasm_ctx_memory(ctx, ptr, len);
    if (!m || len > INT32_MAX)
        return refuse(ctx, results, FN0_E_OOB);
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL + ecies_cost(len))) return ESGX_HOST_E_TRAP;
    uint8_t *pt;
    size_t pt_len;
    int rc = decrypt_copy(gs->shared->private_key, m, len, &pt, &pt_len);
    if (rc != 0) {
        ret_i32(results, rc);
        return 0;
    }
    const uint8_t *data = NULL;
    size_t data_len = 0;
    rc = esgx_approved_wasm_check(pt, pt_len, gs->module_hash, &data, &data_len, NULL);
    if (rc == 0) {
        memcpy(m, data, data_len);
        ret_i32(results, (int32_t)data_len);
    } else {
        ret_i32(results, rc == ESGX_CRYPTO_E_NOT_APPROVED ? FN0_E_NOT_APPROVED : FN0_E_HEADER);
    }
    esgx_crypto_wipe(pt, pt_len);
    free(pt);
    return 0;
}

/* Path check shared by the derived-key calls: -3 for odd or over 256 bytes. */
static int path_ok(uint32_t path_len)
{
    return path_len % 2 == 0 && path_len <= ESGX_BIP32_MAX_PATH_LEN;
}

static int fn_derived_key_public(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                                 void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t wasm_ptr = arg_u32(args, 0), path_ptr = arg_u32(args, 1);
    uint32_t path_len = arg_u32(args, 2), buf = arg_u32(args, 3);
    if (!path_ok(path_len))
        return refuse(ctx, results, FN0_E_PATH);
    const uint8_t *hash = gs->module_hash;
    if (wasm_ptr != 0) hash = esgx_wasm_ctx_memory(ctx, wasm_ptr, 32);
    const uint8_t *path = esgx_wasm_ctx_memory(ctx, path_ptr, path_len);
    uint8_t *out = esgx_wasm_ctx_memory(ctx, buf, 33);
    if (!hash || !path || !out)
        return refuse(ctx, results, FN0_E_OOB);
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL +
                                     esgx_host_keys_cost(&gs->keys, hash, path, path_len)))
        return ESGX_HOST_E_TRAP;
    esgx_bip32_key key;
    int rc = esgx_host_keys_get(&gs->keys, gs->shared, hash, path, path_len, &key);
    if (rc == 0) memcpy(out, key.public_key, 33);
    esgx_bip32_key_wipe(&key);
    ret_i32(results, rc == 0 ? 0 : FN0_E_DERIVE);
    return 0;
}

static int fn_derived_key_unseal(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                                 void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t path_ptr = arg_u32(args, 0), path_len = arg_u32(args, 1);
    uint32_t ptr = arg_u32(args, 2), len = arg_u32(args, 3);
    if (!path_ok(path_len))
        return refuse(ctx, results, FN0_E_PATH);
    const uint8_t *path = esgx_wasm_ctx_memory(ctx, path_ptr, path_len);
    uint8_t *m = esgx_wasm_ctx_memory(ctx, ptr, len);
    if (!path || !m || len > INT32_MAX)
        return refuse(ctx, results, FN0_E_OOB);
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL +
                                     esgx_host_keys_cost(&gs->keys, gs->module_hash, path,
                                                         path_len) + ecies_cost(len)))
        return ESGX_HOST_E_TRAP;
    esgx_bip32_key key;
    if (esgx_host_keys_get(&gs->keys, gs->shared, gs->module_hash, path, path_len, &key) != 0) {
        esgx_bip32_key_wipe(&key);
        ret_i32(results, FN0_E_DERIVE);
        return 0;
    }
    uint8_t *pt;
    size_t pt_len;
    int rc = decrypt_copy(key.private_key, m, len, &pt, &pt_len);
    esgx_bip32_key_wipe(&key);
    if (rc != 0) {
        ret_i32(results, rc);
        return 0;
    }
    memcpy(m, pt, pt_len);
    esgx_crypto_wipe(pt, pt_len);
    free(pt);
    ret_i32(results, (int32_t)pt_len);
    return 0;
}

/* The fuel of a signature with the module key at path (the key, then the signature). */
static uint64_t sign_cost(const guest_state *gs, const uint8_t *path, uint32_t path_len)
{
    return HOSTFN_FUEL_CALL + esgx_host_keys_cost(&gs->keys, gs->module_hash, path, path_len) +
           HOSTFN_FUEL_SIGN;
}

/* Signs digest with the module key at path into sig (65 bytes). */
static int32_t sign_with_path(guest_state *gs, const uint8_t *path, uint32_t path_len,
                              const uint8_t digest[32], uint8_t *sig)
{
    esgx_bip32_key key;
    if (esgx_host_keys_get(&gs->keys, gs->shared, gs->module_hash, path, path_len, &key) != 0) {
        esgx_bip32_key_wipe(&key);
        return FN0_E_DERIVE;
    }
    uint8_t tmp[ESGX_EC_SIGNATURE_LEN];
    int rc = esgx_ec_sign_recoverable(key.private_key, digest, tmp, NULL);
    esgx_bip32_key_wipe(&key);
    if (rc != 0) return FN0_E_UNEXPECTED;
    memcpy(sig, tmp, ESGX_EC_SIGNATURE_LEN);
    return 0;
}

static int fn_derived_key_sign(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                               void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t path_ptr = arg_u32(args, 0), path_len = arg_u32(args, 1);
    uint32_t digest_ptr = arg_u32(args, 2), sig_ptr = arg_u32(args, 3);
    if (!path_ok(path_len))
        return refuse(ctx, results, FN0_E_PATH);
    const uint8_t *path = esgx_wasm_ctx_memory(ctx, path_ptr, path_len);
    const uint8_t *digest = esgx_wasm_ctx_memory(ctx, digest_ptr, 32);
    uint8_t *sig = esgx_wasm_ctx_memory(ctx, sig_ptr, ESGX_EC_SIGNATURE_LEN);
    if (!path || !digest || !sig)
        return refuse(ctx, results, FN0_E_OOB);
    if (esgx_host_fn_charge(ctx, sign_cost(gs, path, path_len))) return ESGX_HOST_E_TRAP;
    uint8_t d[32];
    memcpy(d, digest, 32);
    ret_i32(results, sign_with_path(gs, path, path_len, d, sig));
    return 0;
}

/* sgxkit's earlier form: (path_ptr, path_len, data_ptr, data_len, sig_buf) signs
 * SHA-256(data). */
static int fn_derived_key_sign_data(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                                    esgx_wasm_value *results, void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t path_ptr = arg_u32(args, 0), path_len = arg_u32(args, 1);
    uint32_t data_ptr = arg_u32(args, 2), data_len = arg_u32(args, 3);
    uint32_t sig_ptr = arg_u32(args, 4);
    if (!path_ok(path_len))
        return refuse(ctx, results, FN0_E_PATH);
    const uint8_t *path = esgx_wasm_ctx_memory(ctx, path_ptr, path_len);
    const uint8_t *data = esgx_wasm_ctx_memory(ctx, data_ptr, data_len);
    uint8_t *sig = esgx_wasm_ctx_memory(ctx, sig_ptr, ESGX_EC_SIGNATURE_LEN);
    if (!path || !data || !sig)
        return refuse(ctx, results, FN0_E_OOB);
    if (esgx_host_fn_charge(ctx, sign_cost(gs, path, path_len) +
                                     hostfn_per_64b(HOSTFN_FUEL_SHA256_PER_64B, data_len)))
        return ESGX_HOST_E_TRAP;
    uint8_t d[32];
    esgx_crypto_sha256(data, data_len, d);
    ret_i32(results, sign_with_path(gs, path, path_len, d, sig));
    return 0;
}

static int fn_insecure_systemtime(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                                  void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    results[0].type = ESGX_WASM_I64;
    results[0].of.i64 = (int64_t)time(NULL);
    return 0;
}

static int fn_debug_print(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                          void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t ptr = arg_u32(args, 0), len = arg_u32(args, 1);
    const uint8_t *m = esgx_wasm_ctx_memory(ctx, ptr, len);
    if (esgx_host_fn_charge(ctx, esgx_host_fn_copy_cost(m ? len : 0))) return ESGX_HOST_E_TRAP;
    if (m) esgx_host_fn_debug_log(gs, "debug", m, len);
    return 0;
}

const hostfn_def esgx_host_fn_fn0_table[] = {
    {"fn0", "input_data_size", 0, 1, {0}, {I32}, fn_input_data_size},
    {"fn0", "input_data_copy", 3, 1, {I32, I32, I32}, {I32}, fn_input_data_copy},
    {"fn0", "output_data_append", 2, 1, {I32, I32}, {I32}, fn_output_data_append},
    {"fn0", "output_data_clear", 0, 0, {0}, {0}, fn_output_data_clear},
    {"fn0", "shared_key_public", 1, 1, {I32}, {I32}, fn_shared_key_public},
    {"fn0", "shared_key_unseal", 2, 1, {I32, I32}, {I32}, fn_shared_key_unseal},
    {"fn0", "derived_key_public", 4, 1, {I32, I32, I32, I32}, {I32}, fn_derived_key_public},
    {"fn0", "derived_key_unseal", 4, 1, {I32, I32, I32, I32}, {I32}, fn_derived_key_unseal},
    {"fn0", "derived_key_sign", 4, 1, {I32, I32, I32, I32}, {I32}, fn_derived_key_sign},
    {"fn0", "derived_key_sign", 5, 1, {I32, I32, I32, I32, I32}, {I32},
     fn_derived_key_sign_data},
    {"fn0", "insecure_systemtime", 0, 1, {0}, {I64}, fn_insecure_systemtime},
    {"fn0", "debug_print", 2, 0, {I32, I32}, {0}, fn_debug_print},
};
const size_t esgx_host_fn_fn0_count = sizeof esgx_host_fn_fn0_table / sizeof esgx_host_fn_fn0_table[0];
