/*
 * test_host_ec.c (ctest: host_ec): the `esgx` module's secp256k1 host calls through a
 * real guest (esgx_host_run): secp256k1_recover gives the signer's uncompressed key
 * and refuses bad recovery ids, out-of-range r and out-of-bounds memory;
 * secp256k1_verify accepts the signature (and its high-S twin, as the libsecp256k1
 * crate's verify does) for a 33- or 65-byte key and rejects another digest or a key off
 * the curve; secp256k1_pubkey_parse decompresses and refuses bad keys. Every return
 * code, the written keys and fuel_used (static cost + the host_internal.h prices, a
 * refused call the base price only) are checked exactly; libsecp256k1 in this test
 * computes the expected keys independently of the host code.
 */
#include "esgx_test.h"
#include "host_internal.h"
#include "test_guest.h"

#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { A_RES = 0x0, N_CASES = 12, A_KEY1 = 0x30, A_KEY2 = 0x71, A_END = 0xb2,
       A_DIGEST = 0x100, A_DIGEST2 = 0x120, A_SIG = 0x140, A_SIG_HIGH = 0x1c0, A_SIG_BIG = 0x200,
       A_PUB = 0x240, A_PUBC = 0x290, A_BAD = 0x2c0, A_FAR = 0x1000, PAGES = 2 };

static const uint8_t ORDER[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

typedef struct ec_case {
    int fn;            /* import index: 0 recover, 1 verify, 2 pubkey_parse */
    int32_t args[4];
    int32_t want;      /* return code */
    uint64_t price;    /* host fuel beyond HOSTFN_FUEL_CALL */
} ec_case;

int main(void)
{
    uint8_t seed[32], digest[32], digest2[32], sig[65], sig_high[64], sig_big[64];
    uint8_t pub[65], pubc[33], bad[33];
    for (int i = 0; i < 32; i++) {
        seed[i] = (uint8_t)(11 * i + 3);
        digest[i] = (uint8_t)(0xc3 ^ (5 * i));
        digest2[i] = digest[i];
    }
    digest2[31] ^= 1;
    esgx_bip32_key shared, neutered;
    char xpub[ESGX_BIP32_TEXT_LEN + 1];
    CHECK_RC(esgx_bip32_shared_from_seed(seed, 32, &shared, NULL), ESGX_OK);
    esgx_bip32_key_neuter(&shared, &neutered);
    CHECK_RC(esgx_bip32_key_serialize(&neutered, 0, xpub, sizeof xpub, NULL), ESGX_OK);
    CHECK_RC(esgx_ec_sign_recoverable(shared.private_key, digest, sig, NULL), ESGX_OK);
    memcpy(pubc, shared.public_key, 33);
    secp256k1_pubkey pk;
    size_t n = sizeof pub;
    CHECK(secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, pubc, 33) &&
              secp256k1_ec_pubkey_serialize(secp256k1_context_static, pub, &n, &pk,
                                            SECP256K1_EC_UNCOMPRESSED),
          "libsecp256k1 decompresses the test key");
    /* sig_high: r, n - s (the same signature with a high s); sig_big: r = n */
    memcpy(sig_high, sig, 32);
    for (int i = 31, borrow = 0; i >= 0; i--) {
        int d = ORDER[i] - sig[32 + i] - borrow;
        borrow = d < 0;
        sig_high[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
    memcpy(sig_big, ORDER, 32);
    memcpy(sig_big + 32, sig + 32, 32);
    memset(bad, 0xff, sizeof bad);   /* x = 2^256 - 1 is not below p */
    bad[0] = 2;

    const ec_case cases[N_CASES] = {
        {0, {A_DIGEST, A_SIG, sig[64], A_KEY1}, 0, HOSTFN_FUEL_EC_RECOVER},
        {0, {A_DIGEST, A_SIG, 4, A_FAR}, EC_E_SIGNATURE, HOSTFN_FUEL_EC_RECOVER},
        {0, {A_DIGEST, A_SIG_BIG, sig[64], A_FAR}, EC_E_SIGNATURE, HOSTFN_FUEL_EC_RECOVER},
        {0, {A_DIGEST, A_SIG, sig[64], 0x1fffd}, FN0_E_OOB, 0},
        {1, {A_DIGEST, A_SIG, A_PUB, 65}, 1, HOSTFN_FUEL_EC_VERIFY},
        {1, {A_DIGEST, A_SIG_HIGH, A_PUBC, 33}, 1, HOSTFN_FUEL_EC_VERIFY},
        {1, {A_DIGEST2, A_SIG, A_PUB, 65}, 0, HOSTFN_FUEL_EC_VERIFY},
        {1, {A_DIGEST, A_SIG, A_BAD, 33}, EC_E_PUBKEY, HOSTFN_FUEL_EC_VERIFY},
        {2, {A_PUBC, 33, A_KEY2, 0}, 0, HOSTFN_FUEL_EC_PARSE},
        {2, {A_PUB, 64, A_FAR, 0}, EC_E_PUBKEY, HOSTFN_FUEL_EC_PARSE},
        {2, {A_BAD, 33, A_FAR, 0}, EC_E_PUBKEY, HOSTFN_FUEL_EC_PARSE},
        {2, {A_PUBC, 0x7fffffff, A_FAR, 0}, FN0_E_OOB, 0},
    };
    tg_import imp[4] = {{"esgx", "secp256k1_recover", "iiii", "i"},
                        {"esgx", "secp256k1_verify", "iiii", "i"},
                        {"esgx", "secp256k1_pubkey_parse", "iii", "i"},
                        {"fn0", "output_data_append", "ii", "i"}};
    tg_data data[] = {{A_DIGEST, digest, 32}, {A_DIGEST2, digest2, 32}, {A_SIG, sig, 64},
                      {A_SIG_HIGH, sig_high, 64}, {A_SIG_BIG, sig_big, 64}, {A_PUB, pub, 65},
                      {A_PUBC, pubc, 33}, {A_BAD, bad, 33}};
    tg_buf body = {0};
    uint64_t want_fuel = 0;
    for (int i = 0; i < N_CASES; i++) {
        const ec_case *c = &cases[i];
        int nargs = c->fn == 2 ? 3 : 4;
        tg_i32(&body, A_RES + 4 * i);
        for (int a = 0; a < nargs; a++) tg_i32(&body, c->args[a]);
        tg_call(&body, (uint32_t)c->fn);
        tg_byte(&body, 0x36); /* i32.store */
        tg_uleb(&body, 2);
        tg_uleb(&body, 0);
        want_fuel += 1 + (uint64_t)nargs + 4 + 1 + HOSTFN_FUEL_CALL + c->price;
    }
    tg_i32(&body, A_RES);
    tg_i32(&body, A_END - A_RES);
    tg_call(&body, 3);
    tg_drop(&body);
    want_fuel += 7 + esgx_host_fn_copy_cost(A_END - A_RES);

    tg_buf wasm = {0};
    tg_module(imp, 4, &body, 0, data, sizeof data / sizeof data[0], PAGES, &wasm);
    esgx_wasm_limits limits;
    esgx_wasm_limits_default(&limits);
    esgx_wasm_module *m = NULL;
    esgx_err err;
    CHECK_RC(esgx_wasm_module_parse(wasm.p, wasm.n, &limits, &m, &err), ESGX_OK);
    uint8_t random_key[32] = {1};
    esgx_wasm_value arg = {.type = ESGX_WASM_I32, .of.i32 = 1};
    esgx_host_request rq = {
        .function = "main", .function_len = 4, .abi = ESGX_HOST_ENTRY_ARGS, .args = &arg,
        .n_args = 1, .fuel = 100000000000ull, .max_output = 1 << 20, .limits = &limits,
        .shared = &shared, .xpub = xpub, .random_key = random_key,
    };
    esgx_host_result res;
    memset(&res, 0, sizeof res);
    if (m) {
        CHECK_RC(esgx_host_run(m, &rq, &res, &err), ESGX_OK);
        CHECK(res.fuel_used == want_fuel, "fuel_used %llu, want %llu",
              (unsigned long long)res.fuel_used, (unsigned long long)want_fuel);
        CHECK_EQ_INT(res.output_len, A_END - A_RES);
    }
    if (res.output_len == A_END - A_RES) {
        for (int i = 0; i < N_CASES; i++) {
            const uint8_t *p = res.output + A_RES + 4 * i;
            int32_t got = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                                    (uint32_t)p[3] << 24);
            CHECK(got == cases[i].want, "case %d: returned %d, want %d", i, got, cases[i].want);
        }
        CHECK(memcmp(res.output + A_KEY1, pub, 65) == 0, "recover gives the signer's key");
        CHECK(memcmp(res.output + A_KEY2, pub, 65) == 0, "pubkey_parse decompresses the key");
    }
    esgx_host_result_free(&res);
    esgx_wasm_module_free(m);
    free(wasm.p);
    free(body.p);
    esgx_bip32_key_wipe(&shared);
    return ESGX_TEST_SUMMARY("host_ec");
}
