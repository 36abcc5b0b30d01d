/*
 * cold_bench.c: the cold path of one module, in-process, phase by phase (driven by
 * bench/cold_bench.sh beside V8; never run by ctest).
 *
 *   cold_bench [--tier interp|jit] [--export NAME] [--threads T] [--call-all-time]
 *              FILE.wasm
 *
 * The process first warms up on a tiny module of its own (parse, instantiate, call:
 * the compiler's availability probe, the allocator and the compile threads' first
 * start are paid there, as they are long paid in a node's enclave). Then, from the
 * module's bytes in memory, the public path a node takes, each step timed alone:
 *   parse        esgx_wasm_module_parse (decode, validate; on the interpreter tier
 *                the internal code of every function too; threads)
 *   instantiate  esgx_wasm_store_new, the imports, esgx_wasm_instance_new
 *   call1        the first call of the export (on the jit tier: the batch of machine
 *                code it needs is compiled inside it, internal code first;
 *                jit_compile and jit_place are that part, from the compiler's own
 *                counters)
 *   call2        the same call again (what the call costs without compiling)
 * Every function import is a stub that returns 52 (WASI's ENOSYS) as an i32 result,
 * zero as any other (a `proc_exit` traps as an exit), like bench/cold_v8.mjs's: a WASI
 * command's `_start` then exits early through proc_exit. The export is called with zero arguments, fuel on.
 * Then parse's parts, on fresh copies of the module (internal API, wasm_module.h):
 *   decode       the sections, bodies not scanned, and the module-level rules
 *   check        each body checked, no internal code made (T threads: what
 *                esgx_wasm_module_parse does on the compiler tier, which lowers a
 *                function to internal code when it is first compiled)
 *   bodies       each body checked and compiled to internal code (T threads: the fast
 *                path esgx_wasm_module_parse takes on the interpreter tier)
 *   bodies1      the same on one thread
 *   validate1 / lower1   the exact path's two body passes apart (one thread): the
 *                spec's checks alone, then internal code alone
 * With --call-all-time nothing else: compile every function on the jit tier (calling
 * each defined function in order through the compiler's lazy path is not possible
 * from outside, so the module must call them all, e.g. big_module.py --call-all)
 * and print code bytes per wasm byte.
 * Output: one line of `name=value` pairs (ms, bytes), for the script to take the best of.
 */
#include "esgx_wasm.h"
#include "wasm_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int stub(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                void *env)
{
    (void)args;
    const esgx_wasm_functype *t = env;
    if (!t) return esgx_wasm_ctx_exit(ctx, 0);   /* proc_exit */
    for (uint32_t i = 0; i < t->n_results; i++) {
        memset(&results[i], 0, sizeof results[i]);
        results[i].type = t->results[i];
        if (t->results[i] == ESGX_WASM_I32) results[i].of.i32 = 52;   /* WASI's ENOSYS */
    }
    return 0;
}

typedef struct run {
    esgx_wasm_module *m;
    esgx_wasm_store *s;
    esgx_wasm_instance *inst;
    esgx_wasm_functype types[512];
} run;

static void run_free(run *r)
{
    esgx_wasm_store_free(r->s);
    esgx_wasm_module_free(r->m);
    memset(r, 0, sizeof *r);
}

static int instantiate(run *r, esgx_err *err)
{
    int rc = esgx_wasm_store_new(NULL, &r->s, err);
    if (rc) return rc;
    esgx_wasm_store_fuel_set(r->s, 1000000000000ull);
    uint32_t n = esgx_wasm_module_import_count(r->m);
    if (n > 512) return esgx_err_set(err, ESGX_WASM_E_LIMIT, "more than 512 imports");
    esgx_wasm_extern imp[512];
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *name;
        size_t ml, nl;
        esgx_wasm_extern_kind kind;
        rc = esgx_wasm_module_import(r->m, i, &mod, &ml, &name, &nl, &kind, &r->types[i]);
        if (rc) return esgx_err_set(err, rc, "import %u", i);
        if (kind != ESGX_WASM_EXTERN_FUNC)
            return esgx_err_set(err, ESGX_WASM_E_UNLINKABLE, "import %u is not a function", i);
        bool exit_fn = nl == 9 && !memcmp(name, "proc_exit", 9);
        rc = esgx_wasm_func_new_host(r->s, &r->types[i], stub, exit_fn ? NULL : &r->types[i],
                                     &imp[i], err);
        if (rc) return rc;
    }
    esgx_wasm_trap trap;
    return esgx_wasm_instance_new(r->s, r->m, imp, n, &r->inst, &trap, err);
}

static int call(run *r, const char *name, esgx_err *err)
{
    esgx_wasm_extern f;
    int rc = esgx_wasm_instance_export(r->inst, name, strlen(name), &f);
    if (rc) return esgx_err_set(err, rc, "no export '%s'", name);
    esgx_wasm_functype t;
    rc = esgx_wasm_func_type(f, &t);
    if (rc) return esgx_err_set(err, rc, "export '%s' is not a function", name);
    esgx_wasm_value args[16], res[16];
    if (t.n_params > 16 || t.n_results > 16)
        return esgx_err_set(err, ESGX_WASM_E_LIMIT, "more than 16 params or results");
    for (uint32_t i = 0; i < t.n_params; i++) {
        memset(&args[i], 0, sizeof args[i]);
        args[i].type = t.params[i];
    }
    esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
    rc = esgx_wasm_call(r->s, f, args, t.n_params, res, t.n_results, &trap, err);
    if (rc == ESGX_WASM_E_TRAP && trap == ESGX_WASM_TRAP_EXIT) rc = ESGX_OK;
    return rc;
}

/* A tiny module: (func (export "main") (result i32) i32.const 7). */
static const uint8_t tiny[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05,
                               0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07,
                               0x08, 0x01, 0x04, 0x6d, 0x61, 0x69, 0x6e, 0x00, 0x00, 0x0a,
                               0x06, 0x01, 0x04, 0x00, 0x41, 0x07, 0x0b};

/* Parse's parts on a fresh module each (the internal pipeline of module.c). */
static int parts(const uint8_t *bin, size_t len, const esgx_wasm_limits *lim, uint32_t threads,
                 esgx_err *err)
{
    double t[10];
    esgx_wasm_module *m = calloc(1, sizeof *m);
    if (!m) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    esgx_wasm_validator *vm = NULL;
    t[0] = now_ms();
    int rc = esgx_wasm_decode(m, bin, len, lim, ESGX_WASM_DECODE_SKIP_BODIES, err);
    if (!rc) rc = esgx_wasm_validator_new(m, &vm, err);
    if (!rc) rc = esgx_wasm_validator_check_module(vm, err);
    t[1] = now_ms();
    if (!rc) rc = esgx_wasm_compile_module(m, vm, threads, esgx_wasm_exec_handlers(), err);
    t[2] = now_ms();
    esgx_wasm_validator_free(vm);
    esgx_wasm_module_free(m);
    if (rc) return rc;
    /* the same body pass on one thread */
    if (!(m = calloc(1, sizeof *m))) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    vm = NULL;
    rc = esgx_wasm_decode(m, bin, len, lim, ESGX_WASM_DECODE_SKIP_BODIES, err);
    if (!rc) rc = esgx_wasm_validator_new(m, &vm, err);
    if (!rc) rc = esgx_wasm_validator_check_module(vm, err);
    t[3] = now_ms();
    if (!rc) rc = esgx_wasm_compile_module(m, vm, 1, esgx_wasm_exec_handlers(), err);
    t[4] = now_ms();
    esgx_wasm_validator_free(vm);
    esgx_wasm_module_free(m);
    if (rc) return rc;
    /* the compiler tier's lazy pass: every body checked, no internal code made */
    if (!(m = calloc(1, sizeof *m))) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    vm = NULL;
    rc = esgx_wasm_decode(m, bin, len, lim, ESGX_WASM_DECODE_SKIP_BODIES, err);
    if (!rc) rc = esgx_wasm_validator_new(m, &vm, err);
    if (!rc) rc = esgx_wasm_validator_check_module(vm, err);
    t[8] = now_ms();
    if (!rc) rc = esgx_wasm_check_module(m, vm, threads, esgx_wasm_exec_handlers(), err);
    t[9] = now_ms();
    esgx_wasm_validator_free(vm);
    esgx_wasm_module_free(m);
    if (rc) return rc;
    /* the exact path: decode (bodies scanned), validate, lower */
    if (!(m = calloc(1, sizeof *m))) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    rc = esgx_wasm_decode(m, bin, len, lim, 0, err);
    t[5] = now_ms();
    if (!rc) rc = esgx_wasm_validate(m, err);
    t[6] = now_ms();
    if (!rc) rc = esgx_wasm_compile_module(m, NULL, 1, esgx_wasm_exec_handlers(), err);
    t[7] = now_ms();
    esgx_wasm_module_free(m);
    if (rc) return rc;
    printf(" decode=%.3f check=%.3f bodies=%.3f bodies1=%.3f validate1=%.3f lower1=%.3f",
           t[1] - t[0], t[9] - t[8], t[2] - t[1], t[4] - t[3], t[6] - t[5], t[7] - t[6]);
    return ESGX_OK;
}

static int usage(void)
{
    fprintf(stderr, "usage: cold_bench [--tier interp|jit] [--export NAME] [--threads T] "
                    "[--call-all-time] FILE.wasm\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *file = NULL, *exp = "main", *tier_s = "jit";
    unsigned threads = 0;
    int all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tier") && i + 1 < argc) tier_s = argv[++i];
        else if (!strcmp(argv[i], "--export") && i + 1 < argc) exp = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--call-all-time")) all = 1;
        else if (argv[i][0] != '-' && !file) file = argv[i];
        else return usage();
    }
    if (!file) return usage();
    esgx_err err = {0};
    esgx_wasm_tier tier;
    uint8_t *bin = NULL;
    size_t len = 0;
    if (esgx_wasm_tier_parse(tier_s, &tier, &err) ||
        esgx_file_read(file, 64u << 20, &bin, &len, &err)) {
        fprintf(stderr, "cold_bench: %s\n", err.msg);
        return 1;
    }
    esgx_wasm_limits lim;
    esgx_wasm_limits_default(&lim);
    lim.tier = (int)tier;
    lim.compile_threads = threads;
    run r = {0};
    /* warm-up on a module of our own */
    int rc = esgx_wasm_module_parse(tiny, sizeof tiny, &lim, &r.m, &err);
    if (!rc) rc = instantiate(&r, &err);
    if (!rc) rc = call(&r, "main", &err);
    run_free(&r);
    double t[5];
    if (!rc) {
        t[0] = now_ms();
        rc = esgx_wasm_module_parse(bin, len, &lim, &r.m, &err);
    }
    t[1] = now_ms();
    if (!rc) rc = instantiate(&r, &err);
    t[2] = now_ms();
    if (!rc) rc = call(&r, exp, &err);
    t[3] = now_ms();
    if (!rc && !all) rc = call(&r, exp, &err);
    t[4] = now_ms();
    if (rc) {
        fprintf(stderr, "cold_bench: %s: %s\n", file, err.msg);
        run_free(&r);
        free(bin);
        return 1;
    }
    esgx_wasm_jit_stats js = {0};
    if (r.m->jit) esgx_wasm_jit_stats_get(r.m->jit, &js);
    uint64_t code_len = 0;   /* the functions' instructions (locals' declarations apart) */
    for (uint32_t i = 0; i < r.m->n_funcs; i++) code_len += r.m->funcs[i].code_len;
    if (all) {
        printf("tier=%s wasm_bytes=%zu instr_bytes=%llu funcs=%u compiled=%llu machine_bytes=%llu "
               "page_bytes=%llu per_wasm_byte=%.3f per_instr_byte=%.3f refused=%u "
               "first_call=%.3f jit_compile=%.3f jit_place=%.3f batches=%llu\n",
               esgx_wasm_tier_name(esgx_wasm_module_tier(r.m)), len,
               (unsigned long long)code_len, r.m->n_funcs, (unsigned long long)js.funcs,
               (unsigned long long)js.code_bytes, (unsigned long long)js.page_bytes,
               (double)js.code_bytes / (double)len,
               code_len ? (double)js.code_bytes / (double)code_len : 0.0,
               esgx_wasm_module_jit_refused(r.m), t[3] - t[2], js.compile_ns / 1e6,
               js.place_ns / 1e6, (unsigned long long)js.batches);
    } else {
        printf("tier=%s total=%.3f parse=%.3f instantiate=%.3f call1=%.3f call2=%.3f "
               "jit_compile=%.3f jit_place=%.3f jit_funcs=%llu jit_machine_bytes=%llu",
               esgx_wasm_tier_name(esgx_wasm_module_tier(r.m)), t[3] - t[0], t[1] - t[0],
               t[2] - t[1], t[3] - t[2], t[4] - t[3], js.compile_ns / 1e6, js.place_ns / 1e6,
               (unsigned long long)js.funcs, (unsigned long long)js.code_bytes);
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (!threads) threads = ncpu < 1 ? 1 : ncpu > ESGX_WASM_COMPILE_THREADS_MAX
                                                   ? ESGX_WASM_COMPILE_THREADS_MAX : (unsigned)ncpu;
        rc = parts(bin, len, &lim, threads, &err);
        printf("\n");
    }
    run_free(&r);
    free(bin);
    if (rc) {
        fprintf(stderr, "cold_bench: %s: %s\n", file, err.msg);
        return 1;
    }
    return 0;
}
