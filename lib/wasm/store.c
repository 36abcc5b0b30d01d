/*
 * store.c: stores and the run-time objects they own (memories, tables, globals, host
 * functions), the host-function context (wasm_ctx_*), fuel, traps and wasm_call.
 *
 * A store is an arena: every object made in it is on one linked list and freed by
 * wasm_store_free, so handles (wasm_extern) stay valid for the store's lifetime.
 * Function types are interned per store, so a call_indirect type check is one integer
 * compare even across modules (structural equality = equal ids).
 *
 * Memories grow geometrically in capacity (bounded by the limit) so a storm of
 * memory.grow by one page costs linear time, and never beyond max_memory_pages.
 */
#include "wasm_exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum { OWN_PLAIN, OWN_MEMORY, OWN_TABLE };

struct wasm_owned {
    struct wasm_owned *next;
    int kind;
    void *p;
};

wasm_memory_obj wasm_no_memory;

const char *wasm_trap_name(wasm_trap trap)
{
    switch (trap) {
    case WASM_TRAP_NONE: return "none";
    case WASM_TRAP_UNREACHABLE: return "unreachable";
    case WASM_TRAP_MEMORY_OOB: return "memory_oob";
    case WASM_TRAP_TABLE_OOB: return "table_oob";
    case WASM_TRAP_INDIRECT_NULL: return "indirect_null";
    case WASM_TRAP_INDIRECT_TYPE: return "indirect_type";
    case WASM_TRAP_DIV_ZERO: return "div_zero";
    case WASM_TRAP_INT_OVERFLOW: return "int_overflow";
    case WASM_TRAP_INVALID_CONVERSION: return "invalid_conversion";
    case WASM_TRAP_STACK_EXHAUSTED: return "stack_exhausted";
    case WASM_TRAP_OUT_OF_FUEL: return "out_of_fuel";
    case WASM_TRAP_NULL_REF: return "null_ref";
    case WASM_TRAP_HOST: return "host";
    case WASM_TRAP_EXIT: return "exit";
    case WASM_TRAP_LIMIT: return "limit";
    }
    return "unknown";
}

/* ------------------------------------------------------------------ store */

int wasm_store_new(const wasm_limits *limits, wasm_store **out, esgx_err *err)
{
    if (!out) return esgx_err_set(err, WASM_E_ARG, "wasm_store_new: NULL argument");
    wasm_store *s = calloc(1, sizeof *s);
    if (!s) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    if (limits) s->limits = *limits;
    else wasm_limits_default(&s->limits);
    if (s->limits.max_call_depth == 0) s->limits.max_call_depth = 1;
    if (s->limits.max_value_stack < 64) s->limits.max_value_stack = 64;
    if (s->limits.max_memory_pages > 65536) s->limits.max_memory_pages = 65536;
    s->fuel = UINT64_MAX;
    s->metered = false;
    *out = s;
    return ESGX_OK;
}

void wasm_store_free(wasm_store *s)
{
    if (!s) return;
    struct wasm_owned *o = s->owned;
    while (o) {
        struct wasm_owned *next = o->next;
        if (o->kind == OWN_MEMORY) free(((wasm_memory_obj *)o->p)->data);
        else if (o->kind == OWN_TABLE) free(((wasm_table_obj *)o->p)->elems);
        free(o->p);
        free(o);
        o = next;
    }
    for (uint32_t i = 0; i < s->n_types; i++) free((void *)s->types[i].params);
    free(s->types);
    free(s->stack);
    free(s->frames);
    free(s);
}

static int own(wasm_store *s, void *p, int kind)
{
    struct wasm_owned *o = malloc(sizeof *o);
    if (!o) return WASM_E_NOMEM;
    o->p = p;
    o->kind = kind;
    o->next = s->owned;
    s->owned = o;
    return ESGX_OK;
}

int wasm_store_own(wasm_store *s, void *p)
{
    return own(s, p, OWN_PLAIN);
}

void *wasm_store_alloc(wasm_store *s, size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) return NULL;
    if (own(s, p, OWN_PLAIN)) {
        free(p);
        return NULL;
    }
    return p;
}

void wasm_store_fuel_set(wasm_store *s, uint64_t fuel)
{
    s->fuel = fuel;
    s->metered = fuel != UINT64_MAX;
}

uint64_t wasm_store_fuel_get(const wasm_store *s)
{
    return s->fuel;
}

int wasm_store_exit_code(const wasm_store *s)
{
    return s->exit_code;
}

void wasm_store_set_user(wasm_store *s, void *user)
{
    s->user = user;
}

void *wasm_store_user(const wasm_store *s)
{
    return s->user;
}

int wasm_store_trap(wasm_store *s, wasm_trap kind, const char *msg)
{
    s->trap = kind;
    snprintf(s->trap_msg, sizeof s->trap_msg, "%s", msg ? msg : "trap");
    return WASM_E_TRAP;
}

uint32_t wasm_store_intern_type(wasm_store *s, uint32_t n_params, uint32_t n_results,
                                const wasm_valtype *types)
{
    for (uint32_t i = 0; i < s->n_types; i++) {
        const wasm_functype *t = &s->types[i];
        if (t->n_params == n_params && t->n_results == n_results &&
            (n_params + n_results == 0 ||
             !memcmp(t->params, types, (size_t)(n_params + n_results) * sizeof *types)))
            return i;
    }
    if (s->n_types == s->cap_types) {
        uint32_t ncap = s->cap_types ? s->cap_types * 2 : 16;
        wasm_functype *nt = realloc(s->types, ncap * sizeof *nt);
        if (!nt) return UINT32_MAX;
        s->types = nt;
        s->cap_types = ncap;
    }
    size_t n = (size_t)n_params + n_results;
    wasm_valtype *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) return UINT32_MAX;
    if (n) memcpy(copy, types, n * sizeof *copy);
    wasm_functype *t = &s->types[s->n_types];
    t->n_params = n_params;
    t->n_results = n_results;
    t->params = copy;
    t->results = copy + n_params;
    return s->n_types++;
}

/* ------------------------------------------------------------------ memories, tables */

int wasm_memory_make(wasm_store *s, uint32_t min, uint32_t max, bool has_max,
                     wasm_memory_obj **out, esgx_err *err)
{
    if (min > s->limits.max_memory_pages || min > 65536)
        return esgx_err_set(err, WASM_E_LIMIT,
                            "memory of %u pages exceeds the limit of %u pages", min,
                            s->limits.max_memory_pages);
    wasm_memory_obj *mo = calloc(1, sizeof *mo);
    if (!mo) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    mo->pages = min;
    mo->size = (uint64_t)min << 16;
    mo->cap = mo->size;
    mo->has_max = has_max;
    mo->max_pages = has_max ? (max > 65536 ? 65536 : max) : 65536;
    if (mo->size) {
        mo->data = calloc(1, mo->size);
        if (!mo->data) {
            free(mo);
            return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
        }
    }
    if (own(s, mo, OWN_MEMORY)) {
        free(mo->data);
        free(mo);
        return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    }
    *out = mo;
    return ESGX_OK;
}

int64_t wasm_memory_grow(wasm_store *s, wasm_memory_obj *mo, uint32_t delta)
{
    uint32_t maxp = mo->max_pages;
    if (maxp > s->limits.max_memory_pages) maxp = s->limits.max_memory_pages;
    uint32_t old = mo->pages;
    if (delta > maxp || old > maxp - delta) return -1;
    if (delta == 0) return old;
    uint64_t nsize = (uint64_t)(old + delta) << 16;
    if (nsize > mo->cap) {
        uint64_t ncap = mo->cap ? mo->cap : 65536;
        while (ncap < nsize) ncap *= 2;
        uint64_t lim = (uint64_t)maxp << 16;
        if (ncap > lim) ncap = lim;
        uint8_t *nd = realloc(mo->data, ncap);
        if (!nd) {
            ncap = nsize;
            nd = realloc(mo->data, ncap);
            if (!nd) return -1;
        }
        mo->data = nd;
        mo->cap = ncap;
    }
    memset(mo->data + mo->size, 0, nsize - mo->size);
    mo->size = nsize;
    mo->pages = old + delta;
    return old;
}

int wasm_table_make(wasm_store *s, wasm_valtype t, uint32_t min, uint32_t max,
                    bool has_max, wasm_table_obj **out, esgx_err *err)
{
    if (min > s->limits.max_table_elems)
        return esgx_err_set(err, WASM_E_LIMIT,
                            "table of %u elements exceeds the limit of %u", min,
                            s->limits.max_table_elems);
    wasm_table_obj *to = calloc(1, sizeof *to);
    if (!to) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    to->elem_type = t;
    to->size = min;
    to->cap = min;
    to->has_max = has_max;
    to->max = has_max ? max : UINT32_MAX;
    if (min) {
        to->elems = calloc(min, sizeof *to->elems);
        if (!to->elems) {
            free(to);
            return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
        }
    }
    if (own(s, to, OWN_TABLE)) {
        free(to->elems);
        free(to);
        return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    }
    *out = to;
    return ESGX_OK;
}

int64_t wasm_table_grow(wasm_store *s, wasm_table_obj *t, uint32_t delta, wasm_ref init)
{
    uint64_t maxe = t->max;
    if (maxe > s->limits.max_table_elems) maxe = s->limits.max_table_elems;
    uint32_t old = t->size;
    if ((uint64_t)old + delta > maxe) return -1;
    uint32_t nsize = old + delta;
    if (nsize > t->cap) {
        uint64_t ncap = t->cap ? t->cap : 16;
        while (ncap < nsize) ncap *= 2;
        if (ncap > maxe) ncap = maxe;
        wasm_ref *ne = realloc(t->elems, ncap * sizeof *ne);
        if (!ne) return -1;
        t->elems = ne;
        t->cap = (uint32_t)ncap;
    }
    for (uint32_t i = old; i < nsize; i++) t->elems[i] = init;
    t->size = nsize;
    return old;
}

/* ------------------------------------------------------------------ host-made objects */

int wasm_func_new_host(wasm_store *s, const wasm_functype *type, wasm_host_fn fn,
                       void *env, wasm_extern *out, esgx_err *err)
{
    if (!s || !type || !fn || !out)
        return esgx_err_set(err, WASM_E_ARG, "wasm_func_new_host: NULL argument");
    size_t n = (size_t)type->n_params + type->n_results;
    wasm_valtype *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    if (type->n_params) memcpy(tmp, type->params, type->n_params * sizeof *tmp);
    if (type->n_results)
        memcpy(tmp + type->n_params, type->results, type->n_results * sizeof *tmp);
    uint32_t id = wasm_store_intern_type(s, type->n_params, type->n_results, tmp);
    free(tmp);
    wasm_func_obj *f = wasm_store_alloc(s, sizeof *f);
    if (id == UINT32_MAX || !f) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    f->type_id = id;
    f->type = s->types[id];
    f->host = fn;
    f->env = env;
    out->kind = WASM_EXTERN_FUNC;
    out->ptr = f;
    return ESGX_OK;
}

int wasm_memory_new(wasm_store *s, uint32_t min_pages, uint32_t max_pages,
                    wasm_extern *out, esgx_err *err)
{
    if (!s || !out) return esgx_err_set(err, WASM_E_ARG, "wasm_memory_new: NULL argument");
    wasm_memory_obj *mo;
    int rc = wasm_memory_make(s, min_pages, max_pages, max_pages != UINT32_MAX, &mo, err);
    if (rc) return rc;
    out->kind = WASM_EXTERN_MEMORY;
    out->ptr = mo;
    return ESGX_OK;
}

int wasm_table_new(wasm_store *s, wasm_valtype elem_type, uint32_t min, uint32_t max,
                   wasm_extern *out, esgx_err *err)
{
    if (!s || !out) return esgx_err_set(err, WASM_E_ARG, "wasm_table_new: NULL argument");
    if (elem_type != WASM_FUNCREF && elem_type != WASM_EXTERNREF)
        return esgx_err_set(err, WASM_E_ARG, "wasm_table_new: bad element type");
    wasm_table_obj *to;
    int rc = wasm_table_make(s, elem_type, min, max, max != UINT32_MAX, &to, err);
    if (rc) return rc;
    out->kind = WASM_EXTERN_TABLE;
    out->ptr = to;
    return ESGX_OK;
}

int wasm_global_new(wasm_store *s, wasm_value value, int mutable_, wasm_extern *out,
                    esgx_err *err)
{
    if (!s || !out) return esgx_err_set(err, WASM_E_ARG, "wasm_global_new: NULL argument");
    wasm_global_obj *g = wasm_store_alloc(s, sizeof *g);
    if (!g) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    g->type = value.type;
    g->mutable_ = mutable_ != 0;
    g->val = wasm_value_to_slot(&value);
    out->kind = WASM_EXTERN_GLOBAL;
    out->ptr = g;
    return ESGX_OK;
}

int wasm_global_get(wasm_extern global, wasm_value *out)
{
    if (global.kind != WASM_EXTERN_GLOBAL || !global.ptr || !out) return WASM_E_ARG;
    const wasm_global_obj *g = global.ptr;
    wasm_slot_to_value(g->val, g->type, out);
    return ESGX_OK;
}

uint8_t *wasm_memory_data(wasm_extern memory, uint64_t *size)
{
    if (memory.kind != WASM_EXTERN_MEMORY || !memory.ptr) {
        if (size) *size = 0;
        return NULL;
    }
    wasm_memory_obj *mo = memory.ptr;
    if (size) *size = mo->size;
    return mo->data;
}

int wasm_func_type(wasm_extern func, wasm_functype *out)
{
    if (func.kind != WASM_EXTERN_FUNC || !func.ptr || !out) return WASM_E_ARG;
    *out = ((const wasm_func_obj *)func.ptr)->type;
    return ESGX_OK;
}

/* ------------------------------------------------------------------ host context */

uint8_t *wasm_ctx_memory(wasm_ctx *ctx, uint32_t ptr, uint32_t len)
{
    if (!ctx || !ctx->inst) return NULL;
    wasm_memory_obj *mo = ctx->inst->mem;
    if ((uint64_t)ptr + len > mo->size || !mo->data) return NULL;
    return mo->data + ptr;
}

uint64_t wasm_ctx_memory_size(wasm_ctx *ctx)
{
    if (!ctx || !ctx->inst) return 0;
    return ctx->inst->mem->size;
}

int wasm_ctx_fuel_charge(wasm_ctx *ctx, uint64_t fuel)
{
    wasm_store *s = ctx->store;
    if (!s->metered) return 0;
    if (s->fuel < fuel) {
        s->fuel = 0;
        return -1;
    }
    s->fuel -= fuel;
    return 0;
}

int wasm_ctx_trap(wasm_ctx *ctx, wasm_trap kind, const char *fmt, ...)
{
    wasm_store *s = ctx->store;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->trap_msg, sizeof s->trap_msg, fmt, ap);
    va_end(ap);
    s->trap = kind == WASM_TRAP_NONE ? WASM_TRAP_HOST : kind;
    return WASM_E_TRAP;
}

int wasm_ctx_exit(wasm_ctx *ctx, int code)
{
    wasm_store *s = ctx->store;
    s->exit_code = code;
    s->trap = WASM_TRAP_EXIT;
    snprintf(s->trap_msg, sizeof s->trap_msg, "exit with code %d", code);
    return WASM_E_TRAP;
}

wasm_store *wasm_ctx_store(wasm_ctx *ctx)
{
    return ctx->store;
}

/* ------------------------------------------------------------------ calls */

int wasm_call(wasm_store *s, wasm_extern func, const wasm_value *args, size_t n_args,
              wasm_value *results, size_t n_results, wasm_trap *trap, esgx_err *err)
{
    if (trap) *trap = WASM_TRAP_NONE;
    if (!s || func.kind != WASM_EXTERN_FUNC || !func.ptr || (n_args && !args) ||
        (n_results && !results))
        return esgx_err_set(err, WASM_E_ARG, "wasm_call: bad argument");
    wasm_func_obj *f = func.ptr;
    if (n_args != f->type.n_params || n_results != f->type.n_results)
        return esgx_err_set(err, WASM_E_ARG,
                            "wasm_call: function takes %u arguments and %u results",
                            f->type.n_params, f->type.n_results);
    for (size_t i = 0; i < n_args; i++)
        if (args[i].type != f->type.params[i])
            return esgx_err_set(err, WASM_E_ARG, "wasm_call: argument %zu has the wrong type",
                                i);
    size_t n = n_args > n_results ? n_args : n_results;
    uint64_t buf[16];
    uint64_t *slots = n <= 16 ? buf : calloc(n, sizeof *slots);
    if (!slots) return esgx_err_set(err, WASM_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n_args; i++) slots[i] = wasm_value_to_slot(&args[i]);
    s->trap = WASM_TRAP_NONE;
    int rc = wasm_exec_call(s, f, slots);
    if (rc == ESGX_OK) {
        for (size_t i = 0; i < n_results; i++)
            wasm_slot_to_value(slots[i], f->type.results[i], &results[i]);
        esgx_err_clear(err);
    } else {
        if (trap) *trap = s->trap;
        esgx_err_set(err, WASM_E_TRAP, "%s", s->trap_msg);
    }
    if (slots != buf) free(slots);
    return rc;
}
