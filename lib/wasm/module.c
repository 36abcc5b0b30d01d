/*
 * module.c: wasm_module_parse and the module accessors of the public API.
 *
 * Parsing is a pipeline of three passes (see wasm_module.h): decode, validate, compile.
 */
#include "wasm_module.h"

#include <stdlib.h>
#include <string.h>

void wasm_limits_default(wasm_limits *l)
{
    l->max_module_size = 16u << 20;
    l->max_memory_pages = 1024;
    l->max_table_elems = 100000;
    l->max_call_depth = 10000;
    l->max_value_stack = 1u << 20;
    l->max_locals = 50000;
    l->max_functions = 100000;
}

int wasm_module_parse(const uint8_t *bytes, size_t len, const wasm_limits *limits,
                      wasm_module **out, esgx_err *err)
{
    wasm_limits defaults;
    if (!limits) {
        wasm_limits_default(&defaults);
        limits = &defaults;
    }
    if (!out || (!bytes && len))
        return esgx_err_set(err, WASM_E_ARG, "wasm_module_parse: NULL argument");
    *out = NULL;
    wasm_module *m = calloc(1, sizeof *m);
    if (!m)
        return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    int rc = wasm_decode(m, bytes, len, limits, err);
    if (rc == ESGX_OK) rc = wasm_validate(m, err);
    if (rc == ESGX_OK) rc = wasm_compile_module(m, err);
    if (rc != ESGX_OK) {
        wasm_module_free(m);
        return rc;
    }
    *out = m;
    return ESGX_OK;
}

void wasm_module_free(wasm_module *m)
{
    if (!m) return;
    wasm_compiled_free(m);
    wasm_module_release(m);
    free(m);
}

uint32_t wasm_module_import_count(const wasm_module *m)
{
    return m->n_imports;
}

static void functype_view(const wasm_functype_decl *d, wasm_functype *t)
{
    t->n_params = d->n_params;
    t->n_results = d->n_results;
    t->params = d->types;
    t->results = d->types + d->n_params;
}

int wasm_module_import(const wasm_module *m, uint32_t i, const char **module,
                       size_t *module_len, const char **name, size_t *name_len,
                       wasm_extern_kind *kind, wasm_functype *type)
{
    if (i >= m->n_imports) return WASM_E_ARG;
    const wasm_import_decl *imp = &m->imports[i];
    if (module) *module = imp->module;
    if (module_len) *module_len = imp->module_len;
    if (name) *name = imp->name;
    if (name_len) *name_len = imp->name_len;
    if (kind) *kind = imp->kind;
    if (type && imp->kind == WASM_EXTERN_FUNC)
        functype_view(&m->types[imp->desc.func_type], type);
    return ESGX_OK;
}

int wasm_module_export(const wasm_module *m, const char *name, size_t name_len,
                       wasm_extern_kind *kind, wasm_functype *type)
{
    for (uint32_t i = 0; i < m->n_exports; i++) {
        const wasm_export_decl *e = &m->exports[i];
        if (e->name_len == name_len && !memcmp(e->name, name, name_len)) {
            if (kind) *kind = e->kind;
            if (type && e->kind == WASM_EXTERN_FUNC)
                functype_view(wasm_module_func_type(m, e->index), type);
            return ESGX_OK;
        }
    }
    return WASM_E_NOT_FOUND;
}
