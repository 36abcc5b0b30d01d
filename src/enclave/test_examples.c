/*
 * test_examples.c: the SDK examples (sdk/examples, built by sdk/CMakeLists.txt with
 * clang-19 into BUILD/examples) run through the executor, checking what each example
 * promises: hello's greeting, echo, shared-key unseal with approved / unapproved data,
 * derived public keys against esgx_bip32_module_key_derive, signatures that recover to the
 * derived key, and the WASI printf program reading stdin.
 */
#define _GNU_SOURCE
#include <unistd.h>

#include "esgx_crypto.h"
#include "executor.h"
#include "keystore.h"
#include "platform.h"
#include "test_util.h"

static char g_tmp[256];
static const char *g_dir;
static esgx_keystore g_ks;
static executor *g_ex;

static uint8_t *load(const char *name, size_t *len, uint8_t hash[32])
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.wasm", g_dir, name);
    uint8_t *b = t_read_file(path, len);
    if (!b) {
        fprintf(stderr, "missing %s\n", path);
        exit(1);
    }
    esgx_blake3_hash(b, *len, hash);
    return b;
}

static void run(const uint8_t *code, size_t len, const void *in, size_t in_len, exec_result *r)
{
    exec_request rq;
    memset(&rq, 0, sizeof rq);
    esgx_blake3_hash(code, len, rq.module_hash);
    rq.function = "main";
    rq.function_len = 4;
    rq.input = in;
    rq.input_len = in_len;
    rq.has_content = 1;
    rq.content = code;
    rq.content_len = len;
    esgx_executor_run(g_ex, &rq, r);
    if (r->status != EXEC_OK) fprintf(stderr, "%s: %s\n", r->code, r->message);
    CHECK_EQ_INT(r->status, EXEC_OK);
}

static int out_is(const exec_result *r, const char *s)
{
    return r->output_len == strlen(s) && memcmp(r->output, s, r->output_len) == 0;
}

int main(void)
{
    const char *build = getenv("ESGX_BUILD_DIR");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/examples", build ? build : ".");
    g_dir = dir;
    char probe[4300];
    snprintf(probe, sizeof probe, "%s/hello.wasm", dir);
    if (access(probe, R_OK) != 0) {
        fprintf(stderr, "%s not built (clang-19 missing?): skipping\n", probe);
        return 77;
    }
    t_tmpdir(g_tmp, sizeof g_tmp, "examples");
    esgx_platform *plat;
    esgx_err err;
    if (esgx_platform_sim_open(g_tmp, NULL, &plat, &err) != 0 ||
        esgx_keystore_create(&g_ks, plat, g_tmp, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return 1;
    }
    exec_config cfg;
    esgx_exec_config_default(&cfg);
    if (esgx_executor_new(&cfg, plat, &g_ex, &err) != 0) return 1;
    CHECK(esgx_executor_set_key(g_ex, &g_ks.shared, g_ks.xpub, NULL) == 0);
    exec_result r;
    size_t len;
    uint8_t h[32];

    uint8_t *code = load("hello", &len, h);
    run(code, len, "foo", 3, &r);
    CHECK(out_is(&r, "Hello, world! From, SGX WASM <3"));
    esgx_exec_result_free(&r);
    free(code);

    code = load("echo", &len, h);
    run(code, len, "echo me", 7, &r);
    CHECK(out_is(&r, "echo me"));
    esgx_exec_result_free(&r);
    run(code, len, "", 0, &r);
    CHECK_EQ_INT(r.output_len, 0);
    esgx_exec_result_free(&r);
    free(code);

    code = load("unseal", &len, h);
    uint8_t pt[200], ct[400];
    size_t pt_len, ct_len;
    CHECK_EQ_INT(esgx_approved_wasm_build((const uint8_t(*)[32])h, 1, (const uint8_t *)"top secret",
                                     10, pt, sizeof pt, &pt_len, NULL), 0);
    CHECK_EQ_INT(esgx_ecies_encrypt(g_ks.public_key, 33, pt, pt_len, ct, sizeof ct, &ct_len, NULL), 0);
    run(code, len, ct, ct_len, &r);
    CHECK(out_is(&r, "top secret"));
    esgx_exec_result_free(&r);
    uint8_t other[32];
    memset(other, 9, 32);
    CHECK_EQ_INT(esgx_approved_wasm_build((const uint8_t(*)[32])other, 1,
                                     (const uint8_t *)"top secret", 10, pt, sizeof pt, &pt_len,
                                     NULL), 0);
    CHECK_EQ_INT(esgx_ecies_encrypt(g_ks.public_key, 33, pt, pt_len, ct, sizeof ct, &ct_len, NULL), 0);
    run(code, len, ct, ct_len, &r);
    CHECK(out_is(&r, "error: -06"));
    esgx_exec_result_free(&r);
    free(code);

    code = load("derived_key", &len, h);
    esgx_bip32_key dk;
    CHECK_EQ_INT(esgx_bip32_module_key_derive(&g_ks.shared, h, (const uint8_t *)"ab", 2, &dk, NULL), 0);
    char want[67 + 111 + 1];
    esgx_crypto_hex_encode(dk.public_key, 33, want);
    want[66] = '\n';
    memcpy(want + 67, g_ks.xpub, 111);
    want[178] = 0;
    run(code, len, "ab", 2, &r);
    CHECK(out_is(&r, want));
    esgx_exec_result_free(&r);
    run(code, len, "abc", 3, &r);
    CHECK(out_is(&r, "error: invalid path"));
    esgx_exec_result_free(&r);
    free(code);

    code = load("signer", &len, h);
    CHECK_EQ_INT(esgx_bip32_module_key_derive(&g_ks.shared, h, NULL, 0, &dk, NULL), 0);
    uint8_t digest[32], sig[65], pub[33];
    esgx_crypto_sha256("message", 7, digest);
    char dhex[65];
    esgx_crypto_hex_encode(digest, 32, dhex);
    run(code, len, dhex, 64, &r);
    size_t sl = 0;
    CHECK(r.output_len == 130 &&
          esgx_crypto_hex_decode((const char *)r.output, 130, sig, sizeof sig, &sl, NULL) == 0);
    CHECK_EQ_INT(esgx_ec_recover(digest, sig, pub, NULL), 0);
    CHECK(memcmp(pub, dk.public_key, 33) == 0);
    esgx_exec_result_free(&r);
    esgx_bip32_key_wipe(&dk);
    free(code);

    snprintf(probe, sizeof probe, "%s/wasi_printf.wasm", dir);
    if (access(probe, R_OK) == 0) {
        code = load("wasi_printf", &len, h);
        run(code, len, "stdin!", 6, &r);
        CHECK(out_is(&r, "Hello from WASI printf! You sent 6 bytes: \"stdin!\"\n"));
        esgx_exec_result_free(&r);
        free(code);
    }

    esgx_executor_free(g_ex);
    esgx_keystore_wipe(&g_ks);
    esgx_platform_close(plat);
    t_rmdir(g_tmp);
    T_DONE("enclave_sdk_examples");
}
