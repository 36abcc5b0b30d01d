/*
 * seal_bench.c: what sealed calls and calls by name add per call in the enclave's
 * executor (driven by bench/seal_bench.sh; never run by ctest).
 *
 *   seal_bench MODULE.wasm [N] [RUNS]
 *
 * Links the enclave core as src/enclave/test_exec_trust.c does: a sim platform, a fresh
 * network key, one executor with the module cached, then for each mode N calls of main
 * with a 1 KiB input, timed as a whole, best of RUNS (default 2000 and 7):
 *   plain     by hash, the 1 KiB input as is
 *   sealed    by hash, the same input sealed (the enclave opens it, seals the output)
 *   by_name   plain, with a signed name record (the enclave verifies it every call)
 * and alone, per operation: esgx_name_record_verify, the client's esgx_seal_request +
 * esgx_seal_open_response of 1 KiB, the enclave's esgx_seal_open_request +
 * esgx_seal_response. Prints microseconds per call and the differences. MODULE's main
 * must accept any input (tests/guests/node_hello.wat).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esgx_crypto.h"
#include "executor.h"
#include "keystore.h"
#include "platform.h"

#define INPUT_LEN 1024

static executor *g_ex;
static esgx_keystore g_ks;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "seal_bench: %s: %s\n", what, why);
    exit(1);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path, "cannot open");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) die(path, "cannot read");
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* One executor call of rq (content sent when the executor asks); fails loudly. */
static void call(exec_request *rq, const uint8_t *code, size_t len)
{
    exec_result r;
    esgx_executor_run(g_ex, rq, &r);
    if (r.need_content) {
        rq->has_content = 1;
        rq->content = code;
        rq->content_len = len;
        esgx_executor_run(g_ex, rq, &r);
        rq->has_content = 0;
    }
    if (r.status != EXEC_OK) die("call", r.message);
    esgx_exec_result_free(&r);
}

typedef void (*op_fn)(void *arg);

/* Best of runs of n calls of fn: microseconds per call. */
static double best_us(op_fn fn, void *arg, int n, int runs)
{
    double best = 1e300;
    fn(arg);   /* warm up (and cache the module) */
    for (int r = 0; r < runs; r++) {
        double t0 = now_us();
        for (int i = 0; i < n; i++) fn(arg);
        double us = (now_us() - t0) / n;
        if (us < best) best = us;
    }
    return best;
}

typedef struct exec_arg {
    exec_request rq;
    const uint8_t *code;
    size_t len;
} exec_arg;

static void op_exec(void *a)
{
    exec_arg *x = a;
    call(&x->rq, x->code, x->len);
}

static void op_record_verify(void *a)
{
    esgx_err err;
    if (esgx_name_record_verify(a, g_ks.shared.public_key, &err)) die("record", err.msg);
}

typedef struct seal_arg {
    esgx_seal_binding b;
    uint8_t pt[INPUT_LEN], sealed[INPUT_LEN + ESGX_SEAL_REQUEST_OVERHEAD];
    uint8_t out[INPUT_LEN + ESGX_SEAL_RESPONSE_OVERHEAD], ih[32];
} seal_arg;

/* The client: seal 1 KiB, later open a 1 KiB sealed output (the sealing of that output
 * in between is the enclave's: main subtracts op_seal_response). */
static void op_client(void *a)
{
    seal_arg *s = a;
    esgx_seal_keys k;
    size_t n;
    esgx_err err;
    uint8_t buf[INPUT_LEN + ESGX_SEAL_REQUEST_OVERHEAD];
    if (esgx_seal_request(g_ks.shared.public_key, &s->b, s->pt, INPUT_LEN, buf, sizeof buf, &n,
                          &k, &err) ||
        esgx_seal_response(&k, s->ih, s->pt, INPUT_LEN, s->out, sizeof s->out, &n, &err))
        die("client", err.msg);
    if (esgx_seal_open_response(&k, s->ih, s->out, sizeof s->out, buf, sizeof buf, &n, &err))
        die("client open", err.msg);
    esgx_seal_keys_wipe(&k);
}

/* The enclave: open the 1 KiB sealed input, seal a 1 KiB output. */
static void op_enclave(void *a)
{
    seal_arg *s = a;
    esgx_seal_keys k;
    size_t n;
    esgx_err err;
    uint8_t buf[INPUT_LEN + ESGX_SEAL_RESPONSE_OVERHEAD];
    if (esgx_seal_open_request(g_ks.shared.private_key, &s->b, s->sealed, sizeof s->sealed, buf,
                               sizeof buf, &n, &k, &err) ||
        esgx_seal_response(&k, s->ih, s->pt, INPUT_LEN, buf, sizeof buf, &n, &err))
        die("enclave", err.msg);
    esgx_seal_keys_wipe(&k);
}

static void op_seal_response(void *a)
{
    seal_arg *s = a;
    esgx_seal_keys k = {0};
    size_t n;
    esgx_err err;
    if (esgx_seal_response(&k, s->ih, s->pt, INPUT_LEN, s->out, sizeof s->out, &n, &err))
        die("seal response", err.msg);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: seal_bench MODULE.wasm [N] [RUNS]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 2000, runs = argc > 3 ? atoi(argv[3]) : 7;
    if (n < 1 || runs < 1) return 2;
    size_t len;
    uint8_t *code = read_file(argv[1], &len);
    char dir[] = "/tmp/esgx-seal-bench-XXXXXX";
    if (!mkdtemp(dir)) die("mkdtemp", "failed");
    esgx_err err;
    esgx_platform *plat;
    if (esgx_platform_sim_open(dir, NULL, &plat, &err) ||
        esgx_keystore_create(&g_ks, plat, dir, &err))
        die("setup", err.msg);
    exec_config cfg;
    esgx_exec_config_default(&cfg);
    cfg.compile_threads = 1;
    if (esgx_executor_new(&cfg, plat, &g_ex, &err) ||
        esgx_executor_set_key(g_ex, &g_ks.shared, g_ks.xpub, &err))
        die("executor", err.msg);

    uint8_t input[INPUT_LEN];
    for (size_t i = 0; i < sizeof input; i++) input[i] = (uint8_t)('a' + i % 26);
    const uint64_t fuel = 1000000;
    exec_arg plain = {.code = code, .len = len};
    esgx_blake3_hash(code, len, plain.rq.module_hash);
    plain.rq.fuel = fuel;
    plain.rq.function = "main";
    plain.rq.function_len = 4;
    plain.rq.input = input;
    plain.rq.input_len = sizeof input;

    /* sealed: the input sealed for this module, main, fuel, no name */
    seal_arg s;
    memset(&s, 0, sizeof s);
    s.b = (esgx_seal_binding){.function = "main", .function_len = 4, .fuel = fuel};
    memcpy(s.b.module_hash, plain.rq.module_hash, 32);
    memcpy(s.pt, input, sizeof input);
    esgx_seal_keys keys;
    size_t sl;
    if (esgx_seal_request(g_ks.shared.public_key, &s.b, input, sizeof input, s.sealed,
                          sizeof s.sealed, &sl, &keys, &err))
        die("seal", err.msg);
    esgx_seal_keys_wipe(&keys);
    exec_arg sealed = plain;
    sealed.rq.input = s.sealed;
    sealed.rq.input_len = sl;
    sealed.rq.sealed = 1;

    /* by name: a record signed by a fresh owner */
    esgx_name_record rec;
    memset(&rec, 0, sizeof rec);
    uint8_t owner[32];
    rec.name_len = 5;
    memcpy(rec.name, "bench", 6);
    memcpy(rec.network, g_ks.shared.public_key, 33);
    memcpy(rec.module_hash, plain.rq.module_hash, 32);
    rec.seq = 1;
    if (esgx_ec_seckey_generate(owner, &err) || esgx_name_record_sign(&rec, owner, &err))
        die("record", err.msg);
    exec_arg named = plain;
    named.rq.has_record = 1;
    memcpy(named.rq.record_name, rec.name, rec.name_len + 1);
    named.rq.record_name_len = rec.name_len;
    memcpy(named.rq.record_owner, rec.owner, 33);
    named.rq.record_seq = rec.seq;
    memcpy(named.rq.record_network, rec.network, 33);
    memcpy(named.rq.record_signature, rec.signature, sizeof rec.signature);

    double t_plain = best_us(op_exec, &plain, n, runs);
    double t_sealed = best_us(op_exec, &sealed, n, runs);
    double t_named = best_us(op_exec, &named, n, runs);
    double t_plain2 = best_us(op_exec, &plain, n, runs);   /* drift check */
    if (t_plain2 < t_plain) t_plain = t_plain2;
    double t_verify = best_us(op_record_verify, &rec, n, runs);
    double t_client = best_us(op_client, &s, n, runs) - best_us(op_seal_response, &s, n, runs);
    double t_enclave = best_us(op_enclave, &s, n, runs);

    printf("seal_bench: executor calls of main (tests/guests/node_hello.wat), %d-byte input, "
           "best of %d runs of %d calls\n", INPUT_LEN, runs, n);
    printf("  %-44s %8.1f us\n", "plain call by hash", t_plain);
    printf("  %-44s %8.1f us   (+%.1f us, target < 300)\n", "sealed call by hash", t_sealed,
           t_sealed - t_plain);
    printf("  %-44s %8.1f us   (+%.1f us, target < 100)\n", "plain call by name (same record)",
           t_named, t_named - t_plain);
    printf("  %-44s %8.1f us\n", "esgx_name_record_verify alone", t_verify);
    printf("  %-44s %8.1f us\n", "enclave: open 1 KiB sealed input + seal output", t_enclave);
    printf("  %-44s %8.1f us\n", "client: seal 1 KiB input + open output", t_client);
    esgx_executor_free(g_ex);
    esgx_keystore_wipe(&g_ks);
    esgx_platform_close(plat);
    free(code);
    char cmd[100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "seal_bench: cannot remove %s\n", dir);
    return 0;
}
