/*
 * test_host_fuel_time.c (ctest: host_fuel_time; bench/hostcall_bench.sh runs it with
 * --bench): fuel must bound CPU time, host calls included.
 *
 * For plain wasm code and for every host call (fn0 and WASI, in the shapes that cost
 * the most: long paths, fresh keys, many iovecs, large buffers), a guest calls it in a
 * loop of n iterations through esgx_host_run, metered as in production. The CPU time of
 * this thread (CLOCK_THREAD_CPUTIME_ID: load from other processes does not count) over
 * fuel_used is the time per fuel unit; each call's ratio to the plain loop's is what the
 * pricing in host_internal.h must keep small (docs/guest-abi.md: at most ~2x on either
 * tier, measured with bench/hostcall_bench.sh). n is chosen per guest so that one run
 * takes about --ms milliseconds whatever the pricing, so the test is bounded in time.
 *
 * As a test: every ratio must stay under --limit (default 20x), best of --reps runs,
 * plain measured in the same process. ctest runs it twice: host_fuel_time with
 * ESGX_WASM_TIER=interp (limit 20x) and host_fuel_time_jit with ESGX_WASM_TIER=jit
 * (limit 5x). The compiler runs plain wasm in ~6x less time per fuel than the
 * interpreter (the same fuel) while a host call takes the same time from either, so
 * the compiler tier is the one the prices are set against (ratio ~1.2 there, ~0.2 on
 * the interpreter). Under a sanitizer the host code is instrumented and compiled wasm
 * is not, so the jit ratios mean nothing there: that run skips (77). With --bench it
 * prints the table and asserts nothing.
 */
#include "esgx_test.h"
#include "test_guest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <secp256k1.h>

#include "esgx_crypto.h"
#include "esgx_host.h"
#include "esgx_wasm.h"

/* Guest memory layout. */
enum {
    A_OUT = 0x0,            /* results: signature, public key, nwritten, sizes */
    A_PATH = 0x1000,        /* 256-byte derivation path */
    A_HASH = 0x1200,        /* a 32-byte module hash */
    A_DIGEST = 0x1300,
    A_SIG = 0x1400,         /* a signature of A_DIGEST: r || s || recovery id */
    A_PUB = 0x1480,         /* its public key, 65 bytes uncompressed */
    A_PUBC = 0x1500,        /* the same, 33 bytes compressed */
    A_IOV_EMPTY = 0x2000,   /* 1024 iovecs of 0 bytes */
    A_IOV_SMALL = 0x4000,   /* 1024 iovecs of 64 bytes over A_DATA */
    A_IOV_BIG = 0x6000,     /* one iovec of 64 KiB (A_DATA) */
    A_DATA = 0x10000,       /* 64 KiB */
    A_WORK = 0x20000,       /* ciphertext being decrypted in place */
    A_CT = 0x40000,         /* pristine ciphertexts, CT_SLOT apart */
    A_RAND = 0xa0000,       /* random_get target */
    PAGES = 12,
};
#define DATA_LEN 65536u
#define CT_SLOT 0x18000u
#define N_IOV 1024

/* Ciphertexts: shared key (approved header) and derived key at path A_PATH[0..2),
 * each with 16 bytes and with DATA_LEN - 256 bytes of data. */
enum { CT_SHARED_SMALL, CT_SHARED_BIG, CT_DERIVED_SMALL, CT_DERIVED_BIG, N_CT };

enum {
    G_PLAIN = 1,        /* no host call: the baseline */
    G_VARY_PATH = 2,    /* store the counter into the path before each call */
    G_VARY_HASH = 4,    /* store the counter into the module hash at A_HASH */
    G_RESTORE = 8,      /* copy ciphertext `ct` to A_WORK before each call */
    G_CLEAR = 16,       /* call output_data_clear after each call */
    G_CYCLE8 = 32,      /* store counter % 8 at the end of the path: 8 paths in turn */
};

typedef struct spec {
    const char *label;
    const char *module, *name, *params, *results;
    int64_t args[9]; /* CT_LEN in an argument: the length of ciphertext `ct` (SIG_RECID:
                        see there) */
    unsigned flags;
    int ct;
} spec;

#define CT_LEN (-1000)
#define SIG_RECID (-1001) /* in args: the recovery id of the signature at A_SIG */
#define F0 "fn0"
#define W "wasi_snapshot_preview1"
#define E "esgx"

static const spec SPECS[] = {
    {"plain wasm (baseline)", NULL, NULL, NULL, NULL, {0}, G_PLAIN, 0},
    {"input_data_size", F0, "input_data_size", "", "i", {0}, 0, 0},
    {"input_data_copy 16 B", F0, "input_data_copy", "iii", "i", {A_DATA, 0, 16}, 0, 0},
    {"input_data_copy 64 KiB", F0, "input_data_copy", "iii", "i", {A_DATA, 0, DATA_LEN}, 0, 0},
    {"output_data_append 16 B", F0, "output_data_append", "ii", "i", {A_DATA, 16}, G_CLEAR, 0},
    {"output_data_append 64 KiB", F0, "output_data_append", "ii", "i", {A_DATA, DATA_LEN},
     G_CLEAR, 0},
    {"output_data_clear", F0, "output_data_clear", "", "", {0}, 0, 0},
    {"shared_key_public", F0, "shared_key_public", "i", "i", {A_OUT}, 0, 0},
    {"shared_key_unseal 16 B", F0, "shared_key_unseal", "ii", "i", {A_WORK, CT_LEN}, G_RESTORE,
     CT_SHARED_SMALL},
    {"shared_key_unseal 64 KiB", F0, "shared_key_unseal", "ii", "i", {A_WORK, CT_LEN},
     G_RESTORE, CT_SHARED_BIG},
    {"derived_key_public same path", F0, "derived_key_public", "iiii", "i",
     {0, A_PATH, 256, A_OUT}, 0, 0},
    {"derived_key_public 8 cached paths 256 B", F0, "derived_key_public", "iiii", "i",
     {0, A_PATH, 256, A_OUT}, G_CYCLE8, 0},
    {"derived_key_public new path 2 B", F0, "derived_key_public", "iiii", "i",
     {0, A_PATH, 2, A_OUT}, G_VARY_PATH, 0},
    {"derived_key_public new path 256 B", F0, "derived_key_public", "iiii", "i",
     {0, A_PATH, 256, A_OUT}, G_VARY_PATH, 0},
    {"derived_key_public new hash path 0", F0, "derived_key_public", "iiii", "i",
     {A_HASH, A_PATH, 0, A_OUT}, G_VARY_HASH, 0},
    {"derived_key_public new hash path 256 B", F0, "derived_key_public", "iiii", "i",
     {A_HASH, A_PATH, 256, A_OUT}, G_VARY_HASH, 0},
    {"derived_key_unseal same path 16 B", F0, "derived_key_unseal", "iiii", "i",
     {A_PATH, 2, A_WORK, CT_LEN}, G_RESTORE, CT_DERIVED_SMALL},
    {"derived_key_unseal same path 64 KiB", F0, "derived_key_unseal", "iiii", "i",
     {A_PATH, 2, A_WORK, CT_LEN}, G_RESTORE, CT_DERIVED_BIG},
    {"derived_key_unseal new path 256 B", F0, "derived_key_unseal", "iiii", "i",
     {A_PATH, 256, A_WORK, CT_LEN}, G_RESTORE | G_VARY_PATH, CT_DERIVED_SMALL},
    {"derived_key_sign same path", F0, "derived_key_sign", "iiii", "i",
     {A_PATH, 0, A_DIGEST, A_OUT}, 0, 0},
    {"derived_key_sign new path 256 B", F0, "derived_key_sign", "iiii", "i",
     {A_PATH, 256, A_DIGEST, A_OUT}, G_VARY_PATH, 0},
    {"derived_key_sign(5) same path 64 KiB", F0, "derived_key_sign", "iiiii", "i",
     {A_PATH, 0, A_DATA, DATA_LEN, A_OUT}, 0, 0},
    {"derived_key_sign(5) new path 16 B", F0, "derived_key_sign", "iiiii", "i",
     {A_PATH, 2, A_DATA, 16, A_OUT}, G_VARY_PATH, 0},
    {"insecure_systemtime", F0, "insecure_systemtime", "", "I", {0}, 0, 0},
    {"debug_print 64 KiB", F0, "debug_print", "ii", "", {A_DATA, DATA_LEN}, 0, 0},
    {"poll_oneoff 1 clock, 0 ns", W, "poll_oneoff", "iiii", "i", {A_WORK, A_DATA, 1, A_OUT}, 0,
     0},
    {"poll_oneoff 1024 clocks, 0 ns", W, "poll_oneoff", "iiii", "i",
     {A_WORK, A_DATA, 1024, A_OUT}, 0, 0},
    {"fd_filestat_get", W, "fd_filestat_get", "ii", "i", {1, A_OUT}, 0, 0},
    {"args_get", W, "args_get", "ii", "i", {A_OUT, A_OUT + 64}, 0, 0},
    {"path_open", W, "path_open", "iiiiiIIii", "i", {3, 0, A_DATA, 8, 0, 0, 0, 0, A_OUT}, 0, 0},
    {"fd_write fd 2, 1024 empty iovecs", W, "fd_write", "iiii", "i",
     {2, A_IOV_EMPTY, N_IOV, A_OUT}, 0, 0},
    {"fd_write fd 1, 1024 empty iovecs", W, "fd_write", "iiii", "i",
     {1, A_IOV_EMPTY, N_IOV, A_OUT}, 0, 0},
    {"fd_write fd 1, 1024 iovecs of 64 B", W, "fd_write", "iiii", "i",
     {1, A_IOV_SMALL, N_IOV, A_OUT}, G_CLEAR, 0},
    {"fd_write fd 1, 1 iovec of 64 KiB", W, "fd_write", "iiii", "i",
     {1, A_IOV_BIG, 1, A_OUT}, G_CLEAR, 0},
    {"fd_write fd 9 (EBADF), 1024 iovecs", W, "fd_write", "iiii", "i",
     {9, A_IOV_SMALL, N_IOV, A_OUT}, 0, 0},
    {"fd_read fd 0, 1024 empty iovecs", W, "fd_read", "iiii", "i",
     {0, A_IOV_EMPTY, N_IOV, A_OUT}, 0, 0},
    {"fd_read fd 0, 1024 iovecs of 64 B", W, "fd_read", "iiii", "i",
     {0, A_IOV_SMALL, N_IOV, A_OUT}, 0, 0},
    {"fd_close", W, "fd_close", "i", "i", {0}, 0, 0},
    {"fd_seek", W, "fd_seek", "iIii", "i", {0, 0, 0, A_OUT}, 0, 0},
    {"fd_fdstat_get", W, "fd_fdstat_get", "ii", "i", {1, A_OUT}, 0, 0},
    {"fd_prestat_get", W, "fd_prestat_get", "ii", "i", {3, A_OUT}, 0, 0},
    {"fd_prestat_dir_name", W, "fd_prestat_dir_name", "iii", "i", {3, A_OUT, 0}, 0, 0},
    {"args_sizes_get", W, "args_sizes_get", "ii", "i", {A_OUT, A_OUT + 4}, 0, 0},
    {"args_get", W, "args_get", "ii", "i", {A_OUT, A_OUT + 4}, 0, 0},
    {"environ_sizes_get", W, "environ_sizes_get", "ii", "i", {A_OUT, A_OUT + 4}, 0, 0},
    {"environ_get", W, "environ_get", "ii", "i", {A_OUT, A_OUT + 4}, 0, 0},
    {"clock_time_get realtime", W, "clock_time_get", "iIi", "i", {0, 0, A_OUT}, 0, 0},
    {"clock_time_get monotonic", W, "clock_time_get", "iIi", "i", {1, 0, A_OUT}, 0, 0},
    {"clock_time_get process cputime", W, "clock_time_get", "iIi", "i", {2, 0, A_OUT}, 0, 0},
    {"clock_time_get thread cputime", W, "clock_time_get", "iIi", "i", {3, 0, A_OUT}, 0, 0},
    {"clock_res_get", W, "clock_res_get", "ii", "i", {1, A_OUT}, 0, 0},
    {"random_get 16 B", W, "random_get", "ii", "i", {A_RAND, 16}, 0, 0},
    {"random_get 64 KiB", W, "random_get", "ii", "i", {A_RAND, DATA_LEN}, 0, 0},
    {"sched_yield", W, "sched_yield", "", "i", {0}, 0, 0},
    {"esgx.secp256k1_recover", E, "secp256k1_recover", "iiii", "i",
     {A_DIGEST, A_SIG, SIG_RECID, A_OUT}, 0, 0},
    {"esgx.secp256k1_verify 65 B key", E, "secp256k1_verify", "iiii", "i",
     {A_DIGEST, A_SIG, A_PUB, 65}, 0, 0},
    {"esgx.secp256k1_verify 33 B key", E, "secp256k1_verify", "iiii", "i",
     {A_DIGEST, A_SIG, A_PUBC, 33}, 0, 0},
    {"esgx.secp256k1_pubkey_parse 33 B", E, "secp256k1_pubkey_parse", "iii", "i",
     {A_PUBC, 33, A_OUT}, 0, 0},
    {"esgx.secp256k1_pubkey_parse 65 B", E, "secp256k1_pubkey_parse", "iii", "i",
     {A_PUB, 65, A_OUT}, 0, 0},
};
#define N_SPECS (sizeof SPECS / sizeof SPECS[0])

/* What every guest shares: keys, input, data segments. */
typedef struct fixture {
    esgx_bip32_key shared;
    char xpub[ESGX_BIP32_TEXT_LEN + 1];
    uint8_t module_hash[32];
    uint8_t *input;
    uint8_t path[256], hash[32], digest[32];
    uint8_t sig[ESGX_EC_SIGNATURE_LEN], pub[65], pubc[33]; /* A_SIG, A_PUB, A_PUBC */
    uint8_t iov_empty[8 * N_IOV], iov_small[8 * N_IOV], iov_big[8];
    uint8_t *ct[N_CT];
    size_t ct_len[N_CT];
    esgx_wasm_limits limits;
    uint8_t random_key[32];
    int debug;            /* --debug: guests log to stderr (debug_print, fd 2) */
} fixture;

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Encrypts data_len bytes (with the approved header for module_hash if approved) to
 * pub into ct[i]. */
static int make_ct(fixture *fx, int i, const uint8_t pub[33], size_t data_len, int approved)
{
    size_t pt_cap = data_len + 64, pt_len = data_len;
    uint8_t *data = calloc(1, data_len), *pt = calloc(1, pt_cap);
    fx->ct[i] = calloc(1, pt_cap + ESGX_ECIES_OVERHEAD);
    int rc = !data || !pt || !fx->ct[i] ? ESGX_HOST_E_NOMEM : 0;
    if (!rc && approved)
        rc = esgx_approved_wasm_build((const uint8_t(*)[32])fx->module_hash, 1, data, data_len,
                                      pt, pt_cap, &pt_len, NULL);
    if (!rc)
        rc = esgx_ecies_encrypt(pub, 33, approved ? pt : data, pt_len, fx->ct[i],
                                pt_cap + ESGX_ECIES_OVERHEAD, &fx->ct_len[i], NULL);
    free(data);
    free(pt);
    return rc;
}

static int fixture_init(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    uint8_t seed[32];
    for (int i = 0; i < 32; i++) {
        seed[i] = (uint8_t)(i * 7 + 1);
        fx->module_hash[i] = (uint8_t)(0xa0 + i);
        fx->hash[i] = (uint8_t)(0x11 * i);
        fx->digest[i] = (uint8_t)(0x5a ^ i);
    }
    for (int i = 0; i < 256; i++) fx->path[i] = (uint8_t)(i * 13);
    for (int i = 0; i < N_IOV; i++) {
        put32(fx->iov_empty + 8 * i, A_DATA);
        put32(fx->iov_small + 8 * i, A_DATA + 64 * (uint32_t)i);
        put32(fx->iov_small + 8 * i + 4, 64);
    }
    put32(fx->iov_big, A_DATA);
    put32(fx->iov_big + 4, DATA_LEN);
    esgx_bip32_key pub, derived;
    if (esgx_bip32_shared_from_seed(seed, 32, &fx->shared, NULL)) return ESGX_HOST_E_INTERNAL;
    esgx_bip32_key_neuter(&fx->shared, &pub);
    if (esgx_bip32_key_serialize(&pub, 0, fx->xpub, sizeof fx->xpub, NULL)) return -1;
    if (esgx_bip32_module_key_derive(&fx->shared, fx->module_hash, fx->path, 2, &derived, NULL))
        return -1;
    if (make_ct(fx, CT_SHARED_SMALL, fx->shared.public_key, 16, 1) ||
        make_ct(fx, CT_SHARED_BIG, fx->shared.public_key, DATA_LEN - 256, 1) ||
        make_ct(fx, CT_DERIVED_SMALL, derived.public_key, 16, 0) ||
        make_ct(fx, CT_DERIVED_BIG, derived.public_key, DATA_LEN - 256, 0))
        return -1;
    esgx_bip32_key_wipe(&derived);
    /* a signature and its key for the esgx.secp256k1_* calls */
    secp256k1_pubkey pk;
    size_t n = sizeof fx->pub;
    if (esgx_ec_sign_recoverable(fx->shared.private_key, fx->digest, fx->sig, NULL) ||
        !secp256k1_ec_pubkey_parse(secp256k1_context_static, &pk, fx->shared.public_key, 33) ||
        !secp256k1_ec_pubkey_serialize(secp256k1_context_static, fx->pub, &n, &pk,
                                       SECP256K1_EC_UNCOMPRESSED))
        return -1;
    memcpy(fx->pubc, fx->shared.public_key, 33);
    fx->input = calloc(1, DATA_LEN);
    if (!fx->input) return -1;
    esgx_wasm_limits_default(&fx->limits);
    memset(fx->random_key, 0x5a, sizeof fx->random_key);
    return 0;
}

static void fixture_free(fixture *fx)
{
    for (int i = 0; i < N_CT; i++) free(fx->ct[i]);
    free(fx->input);
    esgx_bip32_key_wipe(&fx->shared);
}

/* The plain loop: arithmetic, a load and a store per iteration. */
static void plain_body(tg_buf *b)
{
    tg_local_get(b, 1);
    tg_local_get(b, 0);
    tg_byte(b, 0x6a); /* i32.add */
    tg_i32(b, 0x2545f491);
    tg_byte(b, 0x73); /* i32.xor */
    tg_i32(b, 7);
    tg_byte(b, 0x77); /* i32.rotl */
    tg_local_set(b, 1);
    tg_i32(b, A_OUT);
    tg_i32(b, A_OUT);
    tg_byte(b, 0x28); /* i32.load */
    tg_uleb(b, 2);
    tg_uleb(b, 0);
    tg_local_get(b, 1);
    tg_byte(b, 0x6a);
    tg_byte(b, 0x36); /* i32.store */
    tg_uleb(b, 2);
    tg_uleb(b, 0);
}

static void build_guest(const spec *g, const fixture *fx, tg_buf *wasm)
{
    tg_import imp[2] = {{g->module, g->name, g->params, g->results},
                        {"fn0", "output_data_clear", "", ""}};
    uint32_t n_imp = g->flags & G_PLAIN ? 0 : g->flags & G_CLEAR ? 2 : 1;
    uint32_t ct_off = A_CT + CT_SLOT * (uint32_t)g->ct;
    tg_buf body = {0};
    tg_loop(&body);
    if (g->flags & G_PLAIN) plain_body(&body);
    if (g->flags & G_VARY_PATH) tg_store_counter(&body, A_PATH);
    if (g->flags & G_VARY_HASH) tg_store_counter(&body, A_HASH);
    if (g->flags & G_CYCLE8) tg_store_counter_mod8(&body, A_PATH + 252);
    if (g->flags & G_RESTORE) tg_memcpy(&body, A_WORK, ct_off, (uint32_t)fx->ct_len[g->ct]);
    for (size_t i = 0; n_imp && i < strlen(g->params); i++) {
        int64_t a = g->args[i] == CT_LEN      ? (int64_t)fx->ct_len[g->ct]
                    : g->args[i] == SIG_RECID ? (int64_t)fx->sig[64]
                                              : g->args[i];
        if (g->params[i] == 'I') tg_i64(&body, a);
        else tg_i32(&body, a);
    }
    if (n_imp) tg_call(&body, 0);
    if (n_imp && g->results[0]) tg_drop(&body);
    if (g->flags & G_CLEAR) tg_call(&body, 1);
    tg_loop_end_countdown(&body);
    tg_data data[9 + N_CT] = {
        {A_SIG, fx->sig, sizeof fx->sig},
        {A_PUB, fx->pub, sizeof fx->pub},
        {A_PUBC, fx->pubc, sizeof fx->pubc},
        {A_PATH, fx->path, sizeof fx->path},
        {A_HASH, fx->hash, sizeof fx->hash},
        {A_DIGEST, fx->digest, sizeof fx->digest},
        {A_IOV_EMPTY, fx->iov_empty, sizeof fx->iov_empty},
        {A_IOV_SMALL, fx->iov_small, sizeof fx->iov_small},
        {A_IOV_BIG, fx->iov_big, sizeof fx->iov_big},
    };
    uint32_t n_data = 9;
    if (g->flags & G_RESTORE) data[n_data++] = (tg_data){ct_off, fx->ct[g->ct], fx->ct_len[g->ct]};
    tg_module(imp, n_imp, &body, g->flags & G_PLAIN ? 1 : 0, data, n_data, PAGES, wasm);
    free(body.p);
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs main(n) metered; *ns gets the CPU time, *fuel fuel_used. Returns 0 or -1. */
static int run_guest(const fixture *fx, const esgx_wasm_module *m, uint32_t n, uint64_t *ns,
                     uint64_t *fuel, const char *label)
{
    esgx_wasm_value arg = {.type = ESGX_WASM_I32, .of.i32 = (int32_t)n};
    esgx_host_request rq = {
        .function = "main", .function_len = 4, .abi = ESGX_HOST_ENTRY_ARGS, .args = &arg,
        .n_args = 1, .input = fx->input, .input_len = DATA_LEN, .fuel = 1000000000000000ull,
        .max_output = 1u << 30, .debug = fx->debug, .limits = &fx->limits, .shared = &fx->shared,
        .xpub = fx->xpub, .random_key = fx->random_key,
    };
    memcpy(rq.module_hash, fx->module_hash, 32);
    esgx_host_result res;
    esgx_err err;
    uint64_t t0 = cpu_ns();
    int rc = esgx_host_run(m, &rq, &res, &err);
    *ns = cpu_ns() - t0;
    *fuel = res.fuel_used;
    if (rc != ESGX_OK) fprintf(stderr, "%s: run failed: %s\n", label, res.message);
    esgx_host_result_free(&res);
    return rc == ESGX_OK ? 0 : -1;
}

typedef struct measure {
    double ns_per_fuel;      /* best of the repetitions */
    double fuel_per_iter, ns_per_iter;
} measure;

/* Measures guest g: n grows until a run takes target_ns, then the best of reps runs
 * (stopping early once a ratio over stop_ratio x base shows the call is far over). */
static int measure_guest(const fixture *fx, const spec *g, uint64_t target_ns, int reps,
                         double base, double stop_ratio, measure *out)
{
    tg_buf wasm = {0};
    build_guest(g, fx, &wasm);
    esgx_wasm_module *m = NULL;
    esgx_err err;
    if (esgx_wasm_module_parse(wasm.p, wasm.n, &fx->limits, &m, &err)) {
        fprintf(stderr, "%s: guest does not parse: %s\n", g->label, err.msg);
        free(wasm.p);
        return -1;
    }
    free(wasm.p);
    uint32_t n = g->flags & G_CYCLE8 ? 400 : 1; /* cycling guests: mostly hits */
    uint64_t ns = 0, fuel = 0;
    for (;;) {
        if (run_guest(fx, m, n, &ns, &fuel, g->label)) goto fail;
        if (ns >= target_ns / 2 || n >= (1u << 26)) break;
        double grow = ns ? (double)target_ns / (double)ns : 100.0;
        n = (uint32_t)((double)n * (grow > 100 ? 100 : grow < 2 ? 2 : grow));
    }
    out->ns_per_fuel = 0;
    for (int r = 0; r < reps; r++) {
        if (r > 0 && run_guest(fx, m, n, &ns, &fuel, g->label)) goto fail;
        double v = fuel ? (double)ns / (double)fuel : 1e9;
        if (r == 0 || v < out->ns_per_fuel) out->ns_per_fuel = v;
        if (base > 0 && out->ns_per_fuel > stop_ratio * base) break;
    }
    out->fuel_per_iter = (double)fuel / n;
    out->ns_per_iter = (double)ns / n;
    esgx_wasm_module_free(m);
    return 0;
fail:
    esgx_wasm_module_free(m);
    return -1;
}

int main(int argc, char **argv)
{
    int bench = 0, reps = 3, debug = 0;
    double limit = 20.0, ms = 15.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--bench") == 0) bench = 1;
        else if (strcmp(argv[i], "--debug") == 0) debug = 1;
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--ms") == 0 && i + 1 < argc) ms = atof(argv[++i]);
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) limit = atof(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--bench] [--debug] [--reps N] [--ms MS] [--limit RATIO]\n",
                    argv[0]);
            return 2;
        }
    }
    if (reps < 1) reps = 1;
#ifdef ESGX_SANITIZED
    const char *tier = getenv("ESGX_WASM_TIER");
    if (!bench && tier && strcmp(tier, "jit") == 0) {
        printf("host_fuel_time: skipped: a sanitizer slows host code, not compiled wasm\n");
        return 77;
    }
#endif
    fixture fx;
    CHECK(fixture_init(&fx) == 0, "fixture (keys, ciphertexts)");
    if (failures) return ESGX_TEST_SUMMARY("host_fuel_time");
    fx.debug = debug;
    uint64_t target = (uint64_t)(ms * 1e6);
    measure base;
    CHECK(measure_guest(&fx, &SPECS[0], target, reps + 2, 0, 0, &base) == 0);
    printf("%-40s %12s %12s %10s %8s\n", "call (loop iteration)", "fuel/iter", "ns/iter",
           "ns/fuel", "ratio");
    printf("%-40s %12.1f %12.1f %10.3f %8.2f\n", SPECS[0].label, base.fuel_per_iter,
           base.ns_per_iter, base.ns_per_fuel, 1.0);
    double worst = 0;
    for (size_t i = 1; i < N_SPECS && base.ns_per_fuel > 0; i++) {
        measure mt;
        int rc = measure_guest(&fx, &SPECS[i], target, reps, base.ns_per_fuel,
                               bench ? 1e9 : 3 * limit, &mt);
        CHECK(rc == 0, "%s: runs", SPECS[i].label);
        if (rc) continue;
        double ratio = mt.ns_per_fuel / base.ns_per_fuel;
        /* over the limit: measure again (a preempted run on a shared machine is noise; an
         * underpriced call stays over every time) and keep the best */
        for (int again = 0; !bench && ratio > limit && again < 3; again++) {
            measure m2;
            if (measure_guest(&fx, &SPECS[i], target, reps, base.ns_per_fuel, 3 * limit, &m2))
                break;
            if (m2.ns_per_fuel < mt.ns_per_fuel) mt = m2;
            ratio = mt.ns_per_fuel / base.ns_per_fuel;
        }
        if (ratio > worst) worst = ratio;
        printf("%-40s %12.1f %12.1f %10.3f %8.2f%s\n", SPECS[i].label, mt.fuel_per_iter,
               mt.ns_per_iter, mt.ns_per_fuel, ratio, !bench && ratio > limit ? "  OVER" : "");
        fflush(stdout);
        if (!bench)
            CHECK(ratio <= limit, "%s: %.1fx the time per fuel of plain wasm (limit %.0fx)",
                  SPECS[i].label, ratio, limit);
    }
    printf("worst ratio %.2f\n", worst);
    fixture_free(&fx);
    return ESGX_TEST_SUMMARY("host_fuel_time");
}
