/*
 * test_wat.h (the wasm tests only): modules written in the text format, converted with
 * wabt's wat2wasm at test time (run as a child process into a temporary directory),
 * parsed, instantiated and called through the public API. Shared by test_exec.c and
 * test_simd.c; everything is static inline so a test uses what it needs.
 *
 * A test calls wat_begin("name", flags) first (77: wat2wasm is missing, the test is
 * skipped; 1: no temporary directory), then setup / call / teardown, and wat_end()
 * last. esgx_test.h must be included before (CHECK).
 */
#ifndef ESGX_TEST_WAT_H
#define ESGX_TEST_WAT_H

#include "esgx_wasm.h"

#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char wat_tmpdir[256];
static const char *const *wat_flags;   /* wat2wasm options, NULL-terminated */

/* wat2wasm [flags] in -o out: its exit status, -1 if it could not run. */
static inline int run_wat2wasm(const char *in, const char *out)
{
    char *argv[16];
    int n = 0;
    argv[n++] = "wat2wasm";
    for (int i = 0; wat_flags && wat_flags[i] && n < 12; i++) argv[n++] = (char *)wat_flags[i];
    argv[n++] = (char *)in;
    argv[n++] = "-o";
    argv[n++] = (char *)out;
    argv[n] = NULL;
    pid_t pid;
    if (posix_spawnp(&pid, "wat2wasm", NULL, NULL, argv, environ) != 0) return -1;
    int st;
    if (waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline void wat_path(char *p, size_t n, const char *file)
{
    snprintf(p, n, "%s/%s", wat_tmpdir, file);
}

/* Makes the temporary directory and checks that wat2wasm runs (with flags): 0, 77
 * (skip: no wat2wasm) or 1. */
static inline int wat_begin(const char *test, const char *const *flags)
{
    wat_flags = flags;
    snprintf(wat_tmpdir, sizeof wat_tmpdir, "/tmp/esgx-%s-XXXXXX", test);
    if (!mkdtemp(wat_tmpdir)) return 1;
    char in[300], out[300];
    wat_path(in, sizeof in, "probe.wat");
    wat_path(out, sizeof out, "probe.wasm");
    FILE *f = fopen(in, "w");
    if (f) {
        fputs("(module)", f);
        fclose(f);
    }
    int rc = run_wat2wasm(in, out);
    unlink(in);
    unlink(out);
    if (rc != 0) {
        rmdir(wat_tmpdir);
        fprintf(stderr, "%s: wat2wasm (wabt) not available; skipped\n", test);
        return 77;
    }
    return 0;
}

/* Removes the temporary directory. */
static inline void wat_end(void)
{
    char p[300];
    wat_path(p, sizeof p, "m.wat");
    unlink(p);
    wat_path(p, sizeof p, "m.wasm");
    unlink(p);
    rmdir(wat_tmpdir);
}

/* Compiles wat text and parses it with lim (NULL: the defaults); NULL (and a failure)
 * on any error. */
static inline esgx_wasm_module *load(const char *wat, const esgx_wasm_limits *lim)
{
    char in[300], out[300];
    wat_path(in, sizeof in, "m.wat");
    wat_path(out, sizeof out, "m.wasm");
    FILE *f = fopen(in, "w");
    if (!f) abort();
    fputs(wat, f);
    fclose(f);
    if (run_wat2wasm(in, out) != 0) {
        CHECK(0, "wat2wasm failed on:\n%s", wat);
        return NULL;
    }
    f = fopen(out, "rb");
    if (!f) abort();
    static uint8_t b[1 << 20];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    esgx_err err = {0};
    esgx_wasm_module *m = NULL;
    int rc = esgx_wasm_module_parse(b, n, lim, &m, &err);
    CHECK(rc == 0, "parse: %s", err.msg);
    return m;
}

/* A store, a module and its instance. */
typedef struct env {
    esgx_wasm_store *s;
    esgx_wasm_module *m;
    esgx_wasm_instance *inst;
} env;

/* Loads wat (limits lim, NULL: the defaults) and instantiates it with imports imps
 * in a new store: 0, or non-zero (and a failure) on an error. */
static inline int setup(env *e, const char *wat, const esgx_wasm_limits *lim,
                        const esgx_wasm_extern *imps, size_t n_imps)
{
    memset(e, 0, sizeof *e);
    esgx_err err = {0};
    if (esgx_wasm_store_new(lim, &e->s, &err)) return -1;
    e->m = load(wat, lim);
    if (!e->m) return -1;
    esgx_wasm_trap trap;
    int rc = esgx_wasm_instance_new(e->s, e->m, imps, n_imps, &e->inst, &trap, &err);
    CHECK(rc == 0, "instantiate: %s", err.msg);
    return rc;
}

static inline void teardown(env *e)
{
    esgx_wasm_store_free(e->s);
    esgx_wasm_module_free(e->m);
}

static inline esgx_wasm_value i32(int32_t v)
{
    esgx_wasm_value x = {.type = ESGX_WASM_I32};
    x.of.i32 = v;
    return x;
}

static inline esgx_wasm_value i64(int64_t v)
{
    esgx_wasm_value x = {.type = ESGX_WASM_I64};
    x.of.i64 = v;
    return x;
}

/* Calls export name: the esgx_wasm_call code (-100 and a failure if there is no such
 * export); fills res[0..nres), *trap and *err. */
static inline int call(env *e, const char *name, const esgx_wasm_value *args, size_t n,
                       esgx_wasm_value *res, size_t nres, esgx_wasm_trap *trap, esgx_err *err)
{
    esgx_wasm_extern f;
    if (esgx_wasm_instance_export(e->inst, name, strlen(name), &f)) {
        CHECK(0, "no export %s", name);
        return -100;
    }
    return esgx_wasm_call(e->s, f, args, n, res, nres, trap, err);
}

#endif
