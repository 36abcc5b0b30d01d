/*
 * module.c: esgx_wasm_module_parse and the module accessors of the public API.
 *
 * Parsing (see wasm_module.h) first tries the fast path: decode the sections without
 * scanning the function bodies, apply the module-level rules, then read each body
 * once, checking and compiling every instruction as it is read (one thread per CPU
 * for large modules). Reading the code once instead of three times is what makes the
 * first invocation of a new module cheap.
 *
 * The fast path accepts exactly the modules the three separate passes accept: every
 * instruction still goes through esgx_wasm_read_instr and the validator, and the one
 * thing only the body scan checked (memory.init / data.drop need the data count
 * section) the validator checks too (validate.c, check_data). Only the
 * error it reports can differ: the spec says a malformed body anywhere wins over an
 * invalid one earlier, and with threads the failing function found first can vary.
 * So when the fast path fails, the module is parsed again by decode, validate,
 * compile, one thread, and that error is the one returned. Invalid modules cost two
 * parses; valid ones one.
 *
 * On the compiler tier the fast path only checks the bodies (esgx_wasm_check_module):
 * a function's internal code is made when the compiler first needs it (jit.c), or the
 * whole module's when one of its functions must be interpreted (esgx_wasm_lower_all).
 * The check rejects a superset of what the fused pass rejects (also an opcode with no
 * lowering in dead code), and a rejection takes the exact path as above, which makes
 * all the code at once. The code's heap is counted as it is made (lowered_bytes).
 */
#include "wasm_exec.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void esgx_wasm_limits_default(esgx_wasm_limits *l)
{
    l->max_module_size = 16u << 20;
    l->max_memory_pages = 1024;
    l->max_table_elems = 100000;
    l->max_call_depth = 10000;
    l->max_value_stack = 1u << 20;
    l->max_locals = 50000;
    l->max_functions = 100000;
    l->compile_threads = 0;
    l->tier = ESGX_WASM_TIER_DEFAULT;
}

static uint32_t compile_threads(const esgx_wasm_limits *l)
{
    if (l->compile_threads) return l->compile_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return 1;
    return n > ESGX_WASM_COMPILE_THREADS_MAX ? ESGX_WASM_COMPILE_THREADS_MAX : (uint32_t)n;
}

/* The fast path; any failure sends the caller to the slow one. */
static int parse_fused(esgx_wasm_module *m, const uint8_t *bytes, size_t len,
                       const esgx_wasm_limits *limits, bool lazy, esgx_err *err)
{
    int rc = esgx_wasm_decode(m, bytes, len, limits, ESGX_WASM_DECODE_SKIP_BODIES, err);
    if (rc) return rc;
    esgx_wasm_validator *vm = NULL;
    rc = esgx_wasm_validator_new(m, &vm, err);
    if (rc == ESGX_OK) rc = esgx_wasm_validator_check_module(vm, err);
    if (rc == ESGX_OK && lazy)
        rc = esgx_wasm_check_module(m, vm, compile_threads(limits), esgx_wasm_exec_handlers(),
                                    err);
    else if (rc == ESGX_OK)
        rc = esgx_wasm_compile_module(m, vm, compile_threads(limits), esgx_wasm_exec_handlers(),
                                      err);
    esgx_wasm_validator_free(vm);
    return rc;
}

static int parse_exact(esgx_wasm_module *m, const uint8_t *bytes, size_t len,
                       const esgx_wasm_limits *limits, esgx_err *err)
{
    int rc = esgx_wasm_decode(m, bytes, len, limits, 0, err);
    if (rc == ESGX_OK) rc = esgx_wasm_validate(m, err);
    if (rc == ESGX_OK) rc = esgx_wasm_compile_module(m, NULL, 1, esgx_wasm_exec_handlers(), err);
    return rc;
}

/* The heap the interpreter's code of m takes: each function's record, words and ops,
 * with an allocator's overhead (16 bytes) per block. */
static uint64_t interp_bytes(const esgx_wasm_module *m)
{
    const esgx_wasm_compiled *cm = m->compiled;
    uint64_t n = sizeof *cm + (uint64_t)m->n_funcs * sizeof(esgx_wasm_code);
    if (cm->lazy) return n + m->n_funcs;   /* the code: lowered_bytes; grows[] */
    for (uint32_t i = 0; i < m->n_funcs; i++)
        n += (uint64_t)cm->codes[i].n_words * 4 + (uint64_t)cm->codes[i].n_ops * 2 + 32;
    return n;
}

int esgx_wasm_module_parse(const uint8_t *bytes, size_t len, const esgx_wasm_limits *limits,
                      esgx_wasm_module **out, esgx_err *err)
{
    esgx_wasm_limits defaults;
    if (!limits) {
        esgx_wasm_limits_default(&defaults);
        limits = &defaults;
    }
    if (!out || (!bytes && len))
        return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_module_parse: NULL argument");
    *out = NULL;
    esgx_wasm_tier tier;
    int trc = esgx_wasm_tier_resolve((esgx_wasm_tier)limits->tier, &tier, err);
    if (trc) return trc;
    esgx_wasm_module *m = calloc(1, sizeof *m);
    if (!m)
        return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    /* the compiler tier makes the internal code of a function when it first needs it */
    int rc = parse_fused(m, bytes, len, limits, tier == ESGX_WASM_TIER_JIT, err);
    if (rc != ESGX_OK) {
        esgx_wasm_compiled_free(m);
        esgx_wasm_module_release(m);
        memset(m, 0, sizeof *m);
        rc = parse_exact(m, bytes, len, limits, err);
    }
    if (rc != ESGX_OK) {
        esgx_wasm_module_free(m);
        return rc;
    }
    m->tier = tier;
    m->interp_bytes = interp_bytes(m);
    if (tier == ESGX_WASM_TIER_JIT) {
        m->jit = esgx_wasm_jit_new(m);
        if (!m->jit) {
            esgx_wasm_module_free(m);
            return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        }
    }
    *out = m;
    return ESGX_OK;
}

esgx_wasm_tier esgx_wasm_module_tier(const esgx_wasm_module *m)
{
    return m->tier;
}

uint32_t esgx_wasm_module_jit_refused(const esgx_wasm_module *m)
{
    return m->jit ? esgx_wasm_jit_refused(m->jit) : 0;
}

uint64_t esgx_wasm_module_code_bytes(const esgx_wasm_module *m)
{
    const esgx_wasm_compiled *cm = m->compiled;
    return m->interp_bytes + atomic_load(&((esgx_wasm_compiled *)cm)->lowered_bytes) +
           (m->jit ? esgx_wasm_jit_bytes(m->jit) : 0);
}

uint64_t esgx_wasm_module_memory_bytes(const esgx_wasm_module *m)
{
    return (uint64_t)m->len + esgx_wasm_module_code_bytes(m);
}

void esgx_wasm_module_free(esgx_wasm_module *m)
{
    if (!m) return;
    esgx_wasm_jit_free(m->jit);
    esgx_wasm_compiled_free(m);
    esgx_wasm_module_release(m);
    free(m);
}

uint32_t esgx_wasm_module_import_count(const esgx_wasm_module *m)
{
    return m->n_imports;
}

static void functype_view(const esgx_wasm_functype_decl *d, esgx_wasm_functype *t)
{
    t->n_params = d->n_params;
    t->n_results = d->n_results;
    t->params = d->types;
    t->results = d->types + d->n_params;
}

int esgx_wasm_module_import(const esgx_wasm_module *m, uint32_t i, const char **module,
                       size_t *module_len, const char **name, size_t *name_len,
                       esgx_wasm_extern_kind *kind, esgx_wasm_functype *type)
{
    if (i >= m->n_imports) return ESGX_WASM_E_ARG;
    const esgx_wasm_import_decl *imp = &m->imports[i];
    if (module) *module = imp->module;
    if (module_len) *module_len = imp->module_len;
    if (name) *name = imp->name;
    if (name_len) *name_len = imp->name_len;
    if (kind) *kind = imp->kind;
    if (type && imp->kind == ESGX_WASM_EXTERN_FUNC)
        functype_view(&m->types[imp->desc.func_type], type);
    return ESGX_OK;
}

int esgx_wasm_module_export(const esgx_wasm_module *m, const char *name, size_t name_len,
                       esgx_wasm_extern_kind *kind, esgx_wasm_functype *type)
{
    for (uint32_t i = 0; i < m->n_exports; i++) {
        const esgx_wasm_export_decl *e = &m->exports[i];
        if (e->name_len == name_len && !memcmp(e->name, name, name_len)) {
            if (kind) *kind = e->kind;
            if (type && e->kind == ESGX_WASM_EXTERN_FUNC)
                functype_view(esgx_wasm_module_func_type(m, e->index), type);
            return ESGX_OK;
        }
    }
    return ESGX_WASM_E_NOT_FOUND;
}

int esgx_wasm_module_export_func_index(const esgx_wasm_module *m, const char *name,
                                       size_t name_len, uint32_t *index, esgx_err *err)
{
    for (uint32_t i = 0; i < m->n_exports; i++) {
        const esgx_wasm_export_decl *e = &m->exports[i];
        if (e->kind == ESGX_WASM_EXTERN_FUNC && e->name_len == name_len &&
            !memcmp(e->name, name, name_len)) {
            *index = e->index;
            return ESGX_OK;
        }
    }
    return esgx_err_set(err, ESGX_WASM_E_NOT_FOUND, "no exported function '%.*s'",
                        (int)(name_len > 200 ? 200 : name_len), name);
}
