/*
 * hostfn_ec.c: the `esgx` import module of docs/guest-abi.md: secp256k1 public-key
 * operations for guests (signature recovery, verification, public-key parsing), so a
 * guest checks Ethereum-style signatures without carrying an elliptic-curve library.
 * The Rust SDK's `libsecp256k1` module (the libsecp256k1 crate's API) is built on them.
 *
 * Nothing here touches a secret: every call works on public data the guest gives, with
 * libsecp256k1's static context (no precomputed tables to set up, safe from any thread).
 * Like fn0: the argument rules (memory ranges) are checked first and a refused call
 * costs only the base fuel; then the call's fixed price (host_internal.h) is charged,
 * then the work runs. Results are written to guest memory only on success, and the
 * answer depends only on the arguments, so fuel and output are the same on every node.
 */
#include "host_internal.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>

#define I32 ESGX_WASM_I32

static uint32_t arg_u32(const esgx_wasm_value *args, int i)
{
    return (uint32_t)args[i].of.i32;
}

static void ret_i32(esgx_wasm_value *results, int32_t v)
{
    results[0].type = ESGX_WASM_I32;
    results[0].of.i32 = v;
}

static int refuse(esgx_wasm_ctx *ctx, esgx_wasm_value *results, int32_t code)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    ret_i32(results, code);
    return 0;
}

/* Writes pk as 65 bytes (04 || x || y) at out. */
static void put_uncompressed(const secp256k1_pubkey *pk, uint8_t *out)
{
    uint8_t tmp[65];
    size_t n = sizeof tmp;
    secp256k1_ec_pubkey_serialize(secp256k1_context_static, tmp, &n, pk,
                                  SECP256K1_EC_UNCOMPRESSED);
    memcpy(out, tmp, sizeof tmp);
}

/* secp256k1_recover(digest_ptr, sig_ptr, recid, out_ptr) -> i32: the public key whose
 * ECDSA signature r || s (64 bytes at sig_ptr) with recovery id recid signs the 32-byte
 * digest, as 65 uncompressed bytes at out_ptr. 0, -2, or EC_E_SIGNATURE (recid not
 * 0..3, r or s zero or not below the curve order, or no point recovers). */
static int fn_recover(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                      void *env)
{
    (void)env;
    const uint8_t *digest = esgx_wasm_ctx_memory(ctx, arg_u32(args, 0), 32);
    const uint8_t *sig = esgx_wasm_ctx_memory(ctx, arg_u32(args, 1), 64);
    uint32_t recid = arg_u32(args, 2);
    uint8_t *out = esgx_wasm_ctx_memory(ctx, arg_u32(args, 3), 65);
    if (!digest || !sig || !out) return refuse(ctx, results, FN0_E_OOB);
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL + HOSTFN_FUEL_EC_RECOVER))
        return ESGX_HOST_E_TRAP;
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    uint8_t d[32];
    memcpy(d, digest, 32);
    if (recid > 3 ||
        !secp256k1_ecdsa_recoverable_signature_parse_compact(secp256k1_context_static, &rs, sig,
                                                             (int)recid) ||
        !secp256k1_ecdsa_recover(secp256k1_context_static, &pk, &rs, d)) {
        ret_i32(results, EC_E_SIGNATURE);
        return 0;
    }
    put_uncompressed(&pk, out);
    ret_i32(results, 0);
    return 0;
}

/* secp256k1_verify(digest_ptr, sig_ptr, pubkey_ptr, pubkey_len) -> i32: 1 if r || s (64
 * bytes) is a valid ECDSA signature of the digest by the public key (33 or 65 bytes), a
 * high s included (as the libsecp256k1 crate's verify), else 0; -2, or EC_E_PUBKEY if
 * the public key does not parse. */
static int fn_verify(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                     void *env)
{
    (void)env;
    uint32_t pk_len = arg_u32(args, 3);
    const uint8_t *digest = esgx_wasm_ctx_memory(ctx, arg_u32(args, 0), 32);
    const uint8_t *sig = esgx_wasm_ctx_memory(ctx, arg_u32(args, 1), 64);
    const uint8_t *pkb = esgx_wasm_ctx_memory(ctx, arg_u32(args, 2), pk_len);
    if (!digest || !sig || !pkb) return refuse(ctx, results, FN0_E_OOB);
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL + HOSTFN_FUEL_EC_VERIFY))
        return ESGX_HOST_E_TRAP;
    secp256k1_pubkey pk;
    if ((pk_len != 33 && pk_len != 65) ||
        !secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, pkb, pk_len)) {
        ret_i32(results, EC_E_PUBKEY);
        return 0;
    }
    secp256k1_ecdsa_signature s;
    uint8_t d[32];
    memcpy(d, digest, 32);
    int ok = secp256k1_ecdsa_signature_parse_compact(secp256k1_context_static, &s, sig);
    if (ok) {
        secp256k1_ecdsa_signature_normalize(secp256k1_context_static, &s, &s);
        ok = secp256k1_ecdsa_verify(secp256k1_context_static, &s, d, &pk);
    }
    ret_i32(results, ok ? 1 : 0);
    return 0;
}

/* secp256k1_pubkey_parse(in_ptr, in_len, out_ptr) -> i32: the public key in_len (33:
 * compressed, 65: uncompressed or hybrid) bytes at in_ptr, checked to be on the curve,
 * as 65 uncompressed bytes at out_ptr. 0, -2, or EC_E_PUBKEY. */
static int fn_pubkey_parse(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                           esgx_wasm_value *results, void *env)
{
    (void)env;
    uint32_t in_len = arg_u32(args, 1);
    const uint8_t *in = esgx_wasm_ctx_memory(ctx, arg_u32(args, 0), in_len);
    uint8_t *out = esgx_wasm_ctx_memory(ctx, arg_u32(args, 2), 65);
    if (!in || !out) return refuse(ctx, results, FN0_E_OOB);
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL + HOSTFN_FUEL_EC_PARSE))
        return ESGX_HOST_E_TRAP;
    secp256k1_pubkey pk;
    if ((in_len != 33 && in_len != 65) ||
        !secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, in, in_len)) {
        ret_i32(results, EC_E_PUBKEY);
        return 0;
    }
    put_uncompressed(&pk, out);
    ret_i32(results, 0);
    return 0;
}

const hostfn_def esgx_host_fn_ec_table[] = {
    {"esgx", "secp256k1_recover", 4, 1, {I32, I32, I32, I32}, {I32}, fn_recover},
    {"esgx", "secp256k1_verify", 4, 1, {I32, I32, I32, I32}, {I32}, fn_verify},
    {"esgx", "secp256k1_pubkey_parse", 3, 1, {I32, I32, I32}, {I32}, fn_pubkey_parse},
};
const size_t esgx_host_fn_ec_count = sizeof esgx_host_fn_ec_table / sizeof esgx_host_fn_ec_table[0];
