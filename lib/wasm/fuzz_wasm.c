/*
 * fuzz_wasm.c: libFuzzer target over the whole runtime (built only with ESGX_FUZZ=ON,
 * esgx_add_fuzzer in CMakeLists.txt; run with scripts/fuzz.sh or lib/wasm/fuzz_run.sh).
 *
 * Each input is taken as a module binary and pushed as far as it goes, under small
 * limits: esgx_wasm_module_parse, then esgx_wasm_instance_new with every import satisfied by a
 * made-up extern of the declared type (host functions that return zeros, or trap when
 * their first i32 argument is 13, to exercise host traps; memories, tables and globals
 * sized as the import asks), then a call of every exported function with zero
 * arguments and a fresh budget of FUZZ_FUEL. Any result is fine; crashes, sanitizer
 * reports, leaks and hangs are the bugs. Before that, each input is also parsed by
 * both paths of module.c separately (the fused check-and-compile pass and the three
 * exact passes), and the two must accept the same inputs: a disagreement traps.
 * Import types are read from the decoded module (wasm_module.h), and the two paths
 * are internal calls, which is why this file lives inside lib/wasm.
 */
#include "esgx_wasm.h"
#include "wasm_exec.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_FUEL 10000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static esgx_wasm_value zero_value(esgx_wasm_valtype t)
{
    esgx_wasm_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    return v;
}

static int stub_fn(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *env)
{
    const esgx_wasm_functype *t = env;
    if (t->n_params && t->params[0] == ESGX_WASM_I32 && args[0].of.i32 == 13)
        return esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_HOST, "host stub trapped on %d", 13);
    if (esgx_wasm_ctx_fuel_charge(ctx, 1))
        return esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_OUT_OF_FUEL, "out of fuel");
    for (uint32_t i = 0; i < t->n_results; i++) results[i] = zero_value(t->results[i]);
    return 0;
}

static void fuzz_limits(esgx_wasm_limits *l)
{
    esgx_wasm_limits_default(l);
    l->max_module_size = 1u << 20;
    l->max_memory_pages = 16;
    l->max_table_elems = 1000;
    l->max_call_depth = 200;
    l->max_value_stack = 1u << 16;
    l->max_locals = 1000;
    l->max_functions = 1000;
}

static int make_import(esgx_wasm_store *s, const esgx_wasm_module *m, uint32_t i, esgx_wasm_functype *ft,
                       esgx_wasm_extern *out)
{
    const esgx_wasm_import_decl *d = &m->imports[i];
    switch (d->kind) {
    case ESGX_WASM_EXTERN_FUNC: {
        const esgx_wasm_functype_decl *t = &m->types[d->desc.func_type];
        ft->n_params = t->n_params;
        ft->n_results = t->n_results;
        ft->params = t->types;
        ft->results = t->types + t->n_params;
        return esgx_wasm_func_new_host(s, ft, stub_fn, ft, out, NULL);
    }
    case ESGX_WASM_EXTERN_MEMORY:
        return esgx_wasm_memory_new(s, d->desc.memory.min,
                               d->desc.memory.has_max ? d->desc.memory.max : UINT32_MAX, out,
                               NULL);
    case ESGX_WASM_EXTERN_TABLE:
        return esgx_wasm_table_new(s, d->desc.table.elem_type, d->desc.table.limits.min,
                              d->desc.table.limits.has_max ? d->desc.table.limits.max
                                                           : UINT32_MAX,
                              out, NULL);
    case ESGX_WASM_EXTERN_GLOBAL:
        return esgx_wasm_global_new(s, zero_value(d->desc.global.type), d->desc.global.mutable_,
                               out, NULL);
    }
    return -1;
}

static void call_exports(esgx_wasm_store *s, const esgx_wasm_module *m, esgx_wasm_instance *inst)
{
    for (uint32_t e = 0; e < m->n_exports; e++) {
        const esgx_wasm_export_decl *x = &m->exports[e];
        esgx_wasm_extern fn;
        esgx_wasm_functype t;
        if (x->kind != ESGX_WASM_EXTERN_FUNC ||
            esgx_wasm_instance_export(inst, x->name, x->name_len, &fn) || esgx_wasm_func_type(fn, &t))
            continue;
        esgx_wasm_value *args = calloc(t.n_params + 1, sizeof *args);
        esgx_wasm_value *res = calloc(t.n_results + 1, sizeof *res);
        if (args && res) {
            for (uint32_t i = 0; i < t.n_params; i++) args[i] = zero_value(t.params[i]);
            esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
            esgx_wasm_store_fuel_set(s, FUZZ_FUEL);
            (void)esgx_wasm_call(s, fn, args, t.n_params, res, t.n_results, &trap, NULL);
        }
        free(args);
        free(res);
    }
}

/* Parses by one path of module.c: fused (decode without the body scan, then check
 * and compile each body in one read) or exact (decode, validate, compile). */
static int parse_path(const uint8_t *data, size_t size, const esgx_wasm_limits *lim, bool fused)
{
    esgx_wasm_module x;
    memset(&x, 0, sizeof x);
    esgx_err err;
    esgx_wasm_validator *vm = NULL;
    int rc = esgx_wasm_decode(&x, data, size, lim, fused ? ESGX_WASM_DECODE_SKIP_BODIES : 0, &err);
    if (rc == 0 && fused) {
        rc = esgx_wasm_validator_new(&x, &vm, &err);
        if (rc == 0) rc = esgx_wasm_validator_check_module(vm, &err);
        if (rc == 0) rc = esgx_wasm_compile_module(&x, vm, 1, esgx_wasm_exec_handlers(), &err);
        esgx_wasm_validator_free(vm);
    } else if (rc == 0) {
        rc = esgx_wasm_validate(&x, &err);
        if (rc == 0) rc = esgx_wasm_compile_module(&x, NULL, 1, esgx_wasm_exec_handlers(), &err);
    }
    esgx_wasm_compiled_free(&x);
    esgx_wasm_module_release(&x);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    esgx_wasm_limits lim;
    fuzz_limits(&lim);
    esgx_wasm_module *m = NULL;
    esgx_err err;
    int fused = parse_path(data, size, &lim, true), exact = parse_path(data, size, &lim, false);
    if ((fused == 0) != (exact == 0) && fused != ESGX_WASM_E_NOMEM && exact != ESGX_WASM_E_NOMEM)
        __builtin_trap();
    if (esgx_wasm_module_parse(data, size, &lim, &m, &err)) return 0;

    /* The public introspection calls must agree with the decoded module. */
    uint32_t n = esgx_wasm_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *name;
        size_t mod_len, name_len;
        esgx_wasm_extern_kind kind;
        esgx_wasm_functype ft;
        if (esgx_wasm_module_import(m, i, &mod, &mod_len, &name, &name_len, &kind, &ft) ||
            kind != m->imports[i].kind)
            __builtin_trap();
    }
    for (uint32_t e = 0; e < m->n_exports; e++) {
        esgx_wasm_extern_kind kind;
        esgx_wasm_functype ft;
        if (esgx_wasm_module_export(m, m->exports[e].name, m->exports[e].name_len, &kind, &ft))
            __builtin_trap();
    }

    esgx_wasm_store *s = NULL;
    esgx_wasm_extern *imports = calloc(n + 1, sizeof *imports);
    esgx_wasm_functype *types = calloc(n + 1, sizeof *types);
    if (!imports || !types || esgx_wasm_store_new(&lim, &s, &err)) goto out;
    esgx_wasm_store_fuel_set(s, FUZZ_FUEL);
    for (uint32_t i = 0; i < n; i++)
        if (make_import(s, m, i, &types[i], &imports[i])) goto out;

    esgx_wasm_instance *inst = NULL;
    esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
    if (esgx_wasm_instance_new(s, m, imports, n, &inst, &trap, &err) == 0)
        call_exports(s, m, inst);
out:
    if (s) esgx_wasm_store_free(s);
    esgx_wasm_module_free(m);
    free(imports);
    free(types);
    return 0;
}
