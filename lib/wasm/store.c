/*
 * store.c: stores and the run-time objects they own (memories, tables, globals, host
 * functions), the host-function context (esgx_wasm_ctx_*), fuel, traps and esgx_wasm_call.
 *
 * A store is an arena: every object made in it is on one linked list and freed by
 * esgx_wasm_store_free, so handles (esgx_wasm_extern) stay valid for the store's lifetime.
 * Function types are interned per store, so a call_indirect type check is one integer
 * compare even across modules (structural equality = equal ids).
 *
 * Memories grow geometrically in capacity (bounded by the limit) so a storm of
 * memory.grow by one page costs linear time, and never beyond max_memory_pages.
 *
 * Linear memory and the value stack hold guest secrets (decrypted data segments,
 * unsealed plaintext): they are never realloc'ed (realloc may leave the old block's
 * bytes in freed heap) but moved by esgx_wasm_realloc_wiped, and wiped before free
 * (explicit_bzero, which the compiler may not elide).
 */
#include "wasm_exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

enum { OWN_PLAIN, OWN_MEMORY, OWN_TABLE };

struct esgx_wasm_owned {
    struct esgx_wasm_owned *next;
    int kind;
    void *p;
};

esgx_wasm_memory_obj esgx_wasm_no_memory;

const char *esgx_wasm_trap_name(esgx_wasm_trap trap)
{
    switch (trap) {
    case ESGX_WASM_TRAP_NONE: return "none";
    case ESGX_WASM_TRAP_UNREACHABLE: return "unreachable";
    case ESGX_WASM_TRAP_MEMORY_OOB: return "memory_oob";
    case ESGX_WASM_TRAP_TABLE_OOB: return "table_oob";
    case ESGX_WASM_TRAP_INDIRECT_NULL: return "indirect_null";
    case ESGX_WASM_TRAP_INDIRECT_TYPE: return "indirect_type";
    case ESGX_WASM_TRAP_DIV_ZERO: return "div_zero";
    case ESGX_WASM_TRAP_INT_OVERFLOW: return "int_overflow";
    case ESGX_WASM_TRAP_INVALID_CONVERSION: return "invalid_conversion";
    case ESGX_WASM_TRAP_STACK_EXHAUSTED: return "stack_exhausted";
    case ESGX_WASM_TRAP_OUT_OF_FUEL: return "out_of_fuel";
    case ESGX_WASM_TRAP_NULL_REF: return "null_ref";
    case ESGX_WASM_TRAP_HOST: return "host";
    case ESGX_WASM_TRAP_EXIT: return "exit";
    case ESGX_WASM_TRAP_LIMIT: return "limit";
    }
    return "unknown";
}

/* ------------------------------------------------------------------ store */

int esgx_wasm_store_new(const esgx_wasm_limits *limits, esgx_wasm_store **out, esgx_err *err)
{
    if (!out) return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_store_new: NULL argument");
    esgx_wasm_store *s = calloc(1, sizeof *s);
    if (!s) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    if (limits) s->limits = *limits;
    else esgx_wasm_limits_default(&s->limits);
    if (s->limits.max_call_depth == 0) s->limits.max_call_depth = 1;
    if (s->limits.max_value_stack < 64) s->limits.max_value_stack = 64;
    if (s->limits.max_memory_pages > 65536) s->limits.max_memory_pages = 65536;
    s->fuel = UINT64_MAX;
    s->metered = false;
    *out = s;
    return ESGX_OK;
}

void esgx_wasm_store_free(esgx_wasm_store *s)
{
    if (!s) return;
    struct esgx_wasm_owned *o = s->owned;
    while (o) {
        struct esgx_wasm_owned *next = o->next;
        if (o->kind == OWN_MEMORY) {
            esgx_wasm_memory_obj *mo = o->p;
            esgx_wasm_free_wiped(mo->data, mo->cap);
        }
        else if (o->kind == OWN_TABLE) free(((esgx_wasm_table_obj *)o->p)->elems);
        free(o->p);
        free(o);
        o = next;
    }
    for (uint32_t i = 0; i < s->n_types; i++) free((void *)s->types[i].params);
    free(s->types);
    esgx_wasm_free_wiped(s->stack, (size_t)s->stack_cap * sizeof *s->stack);
    free(s->frames);
    free(s);
}

void *esgx_wasm_realloc_wiped(void *p, size_t old_size, size_t keep, size_t new_size)
{
    void *q = malloc(new_size ? new_size : 1);
    if (!q) return NULL;
    if (keep > new_size) keep = new_size;
    if (keep) memcpy(q, p, keep);
    esgx_wasm_free_wiped(p, old_size);
    return q;
}

void esgx_wasm_free_wiped(void *p, size_t size)
{
    if (!p) return;
    explicit_bzero(p, size);
    free(p);
}

static int own(esgx_wasm_store *s, void *p, int kind)
{
    struct esgx_wasm_owned *o = malloc(sizeof *o);
    if (!o) return ESGX_WASM_E_NOMEM;
    o->p = p;
    o->kind = kind;
    o->next = s->owned;
    s->owned = o;
    return ESGX_OK;
}

int esgx_wasm_store_own(esgx_wasm_store *s, void *p)
{
    return own(s, p, OWN_PLAIN);
}

void *esgx_wasm_store_alloc(esgx_wasm_store *s, size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p) return NULL;
    if (own(s, p, OWN_PLAIN)) {
        free(p);
        return NULL;
    }
    return p;
}

void esgx_wasm_store_fuel_set(esgx_wasm_store *s, uint64_t fuel)
{
    s->fuel = fuel;
    s->metered = fuel != UINT64_MAX;
}

uint64_t esgx_wasm_store_fuel_get(const esgx_wasm_store *s)
{
    return s->fuel;
}

int esgx_wasm_store_exit_code(const esgx_wasm_store *s)
{
    return s->exit_code;
}

void esgx_wasm_store_set_user(esgx_wasm_store *s, void *user)
{
    s->user = user;
}

void *esgx_wasm_store_user(const esgx_wasm_store *s)
{
    return s->user;
}

int esgx_wasm_store_trap(esgx_wasm_store *s, esgx_wasm_trap kind, const char *msg)
{
    s->trap = kind;
    snprintf(s->trap_msg, sizeof s->trap_msg, "%s", msg ? msg : "trap");
    return ESGX_WASM_E_TRAP;
}

uint32_t esgx_wasm_store_intern_type(esgx_wasm_store *s, uint32_t n_params, uint32_t n_results,
                                const esgx_wasm_valtype *types)
{
    for (uint32_t i = 0; i < s->n_types; i++) {
        const esgx_wasm_functype *t = &s->types[i];
        if (t->n_params == n_params && t->n_results == n_results &&
            (n_params + n_results == 0 ||
             !memcmp(t->params, types, (size_t)(n_params + n_results) * sizeof *types)))
            return i;
    }
    if (s->n_types == s->cap_types) {
        uint32_t ncap = s->cap_types ? s->cap_types * 2 : 16;
        esgx_wasm_functype *nt = realloc(s->types, ncap * sizeof *nt);
        if (!nt) return UINT32_MAX;
        s->types = nt;
        s->cap_types = ncap;
    }
    size_t n = (size_t)n_params + n_results;
    esgx_wasm_valtype *copy = malloc((n ? n : 1) * sizeof *copy);
    if (!copy) return UINT32_MAX;
    if (n) memcpy(copy, types, n * sizeof *copy);
    esgx_wasm_functype *t = &s->types[s->n_types];
    t->n_params = n_params;
    t->n_results = n_results;
    t->params = copy;
    t->results = copy + n_params;
    return s->n_types++;
}

/* ------------------------------------------------------------------ memories, tables */

int esgx_wasm_memory_make(esgx_wasm_store *s, uint32_t min, uint32_t max, bool has_max,
                     esgx_wasm_memory_obj **out, esgx_err *err)
{
    if (min > s->limits.max_memory_pages || min > 65536)
        return esgx_err_set(err, ESGX_WASM_E_LIMIT,
                            "memory of %u pages exceeds the limit of %u pages", min,
                            s->limits.max_memory_pages);
    esgx_wasm_memory_obj *mo = calloc(1, sizeof *mo);
    if (!mo) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    mo->pages = min;
    mo->size = (uint64_t)min << 16;
    mo->cap = mo->size;
    mo->has_max = has_max;
    mo->max_pages = has_max ? (max > 65536 ? 65536 : max) : 65536;
    if (mo->size) {
        mo->data = calloc(1, mo->size);
        if (!mo->data) {
            free(mo);
            return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        }
    }
    if (own(s, mo, OWN_MEMORY)) {
        free(mo->data);
        free(mo);
        return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    }
    *out = mo;
    return ESGX_OK;
}

int64_t esgx_wasm_memory_grow(esgx_wasm_store *s, esgx_wasm_memory_obj *mo, uint32_t delta)
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
        uint8_t *nd = esgx_wasm_realloc_wiped(mo->data, mo->cap, mo->size, ncap);
        if (!nd) {
            ncap = nsize;
            nd = esgx_wasm_realloc_wiped(mo->data, mo->cap, mo->size, ncap);
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

int esgx_wasm_table_make(esgx_wasm_store *s, esgx_wasm_valtype t, uint32_t min, uint32_t max,
                    bool has_max, esgx_wasm_table_obj **out, esgx_err *err)
{
    if (min > s->limits.max_table_elems)
        return esgx_err_set(err, ESGX_WASM_E_LIMIT,
                            "table of %u elements exceeds the limit of %u", min,
                            s->limits.max_table_elems);
    esgx_wasm_table_obj *to = calloc(1, sizeof *to);
    if (!to) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    to->elem_type = t;
    to->size = min;
    to->cap = min;
    to->has_max = has_max;
    to->max = has_max ? max : UINT32_MAX;
    if (min) {
        to->elems = calloc(min, sizeof *to->elems);
        if (!to->elems) {
            free(to);
            return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        }
    }
    if (own(s, to, OWN_TABLE)) {
        free(to->elems);
        free(to);
        return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    }
    *out = to;
    return ESGX_OK;
}

int64_t esgx_wasm_table_grow(esgx_wasm_store *s, esgx_wasm_table_obj *t, uint32_t delta, esgx_wasm_ref init)
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
        esgx_wasm_ref *ne = realloc(t->elems, ncap * sizeof *ne);
        if (!ne) return -1;
        t->elems = ne;
        t->cap = (uint32_t)ncap;
    }
    for (uint32_t i = old; i < nsize; i++) t->elems[i] = init;
    t->size = nsize;
    return old;
}

/* ------------------------------------------------------------------ host-made objects */

int esgx_wasm_func_new_host(esgx_wasm_store *s, const esgx_wasm_functype *type, esgx_wasm_host_fn fn,
                       void *env, esgx_wasm_extern *out, esgx_err *err)
{
    if (!s || !type || !fn || !out)
        return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_func_new_host: NULL argument");
    size_t n = (size_t)type->n_params + type->n_results;
    esgx_wasm_valtype *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    if (type->n_params) memcpy(tmp, type->params, type->n_params * sizeof *tmp);
    if (type->n_results)
        memcpy(tmp + type->n_params, type->results, type->n_results * sizeof *tmp);
    uint32_t id = esgx_wasm_store_intern_type(s, type->n_params, type->n_results, tmp);
    free(tmp);
    esgx_wasm_func_obj *f = esgx_wasm_store_alloc(s, sizeof *f);
    if (id == UINT32_MAX || !f) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    f->type_id = id;
    f->type = s->types[id];
    f->param_slots = esgx_wasm_types_slots(f->type.params, f->type.n_params);
    f->result_slots = esgx_wasm_types_slots(f->type.results, f->type.n_results);
    f->host = fn;
    f->env = env;
    out->kind = ESGX_WASM_EXTERN_FUNC;
    out->ptr = f;
    return ESGX_OK;
}

int esgx_wasm_memory_new(esgx_wasm_store *s, uint32_t min_pages, uint32_t max_pages,
                    esgx_wasm_extern *out, esgx_err *err)
{
    if (!s || !out) return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_memory_new: NULL argument");
    esgx_wasm_memory_obj *mo = NULL;
    int rc = esgx_wasm_memory_make(s, min_pages, max_pages, max_pages != UINT32_MAX, &mo, err);
    if (rc) return rc;
    out->kind = ESGX_WASM_EXTERN_MEMORY;
    out->ptr = mo;
    return ESGX_OK;
}

int esgx_wasm_table_new(esgx_wasm_store *s, esgx_wasm_valtype elem_type, uint32_t min, uint32_t max,
                   esgx_wasm_extern *out, esgx_err *err)
{
    if (!s || !out) return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_table_new: NULL argument");
    if (elem_type != ESGX_WASM_FUNCREF && elem_type != ESGX_WASM_EXTERNREF)
        return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_table_new: bad element type");
    esgx_wasm_table_obj *to = NULL;
    int rc = esgx_wasm_table_make(s, elem_type, min, max, max != UINT32_MAX, &to, err);
    if (rc) return rc;
    out->kind = ESGX_WASM_EXTERN_TABLE;
    out->ptr = to;
    return ESGX_OK;
}

int esgx_wasm_global_new(esgx_wasm_store *s, esgx_wasm_value value, int mutable_, esgx_wasm_extern *out,
                    esgx_err *err)
{
    if (!s || !out) return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_global_new: NULL argument");
    esgx_wasm_global_obj *g = esgx_wasm_store_alloc(s, sizeof *g);
    if (!g) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    g->type = value.type;
    g->mutable_ = mutable_ != 0;
    uint64_t v[2] = {0, 0};
    esgx_wasm_value_to_slots(&value, v);
    g->val = v[0];
    g->val_hi = v[1];
    out->kind = ESGX_WASM_EXTERN_GLOBAL;
    out->ptr = g;
    return ESGX_OK;
}

int esgx_wasm_global_get(esgx_wasm_extern global, esgx_wasm_value *out)
{
    if (global.kind != ESGX_WASM_EXTERN_GLOBAL || !global.ptr || !out) return ESGX_WASM_E_ARG;
    const esgx_wasm_global_obj *g = global.ptr;
    uint64_t v[2] = {g->val, g->val_hi};
    esgx_wasm_slots_to_value(v, g->type, out);
    return ESGX_OK;
}

uint8_t *esgx_wasm_memory_data(esgx_wasm_extern memory, uint64_t *size)
{
    if (memory.kind != ESGX_WASM_EXTERN_MEMORY || !memory.ptr) {
        if (size) *size = 0;
        return NULL;
    }
    esgx_wasm_memory_obj *mo = memory.ptr;
    if (size) *size = mo->size;
    return mo->data;
}

int esgx_wasm_func_type(esgx_wasm_extern func, esgx_wasm_functype *out)
{
    if (func.kind != ESGX_WASM_EXTERN_FUNC || !func.ptr || !out) return ESGX_WASM_E_ARG;
    *out = ((const esgx_wasm_func_obj *)func.ptr)->type;
    return ESGX_OK;
}

/* ------------------------------------------------------------------ host context */

uint8_t *esgx_wasm_ctx_memory(esgx_wasm_ctx *ctx, uint32_t ptr, uint32_t len)
{
    if (!ctx || !ctx->inst) return NULL;
    esgx_wasm_memory_obj *mo = ctx->inst->mem;
    if ((uint64_t)ptr + len > mo->size || !mo->data) return NULL;
    return mo->data + ptr;
}

uint64_t esgx_wasm_ctx_memory_size(esgx_wasm_ctx *ctx)
{
    if (!ctx || !ctx->inst) return 0;
    return ctx->inst->mem->size;
}

int esgx_wasm_ctx_fuel_charge(esgx_wasm_ctx *ctx, uint64_t fuel)
{
    esgx_wasm_store *s = ctx->store;
    if (!s->metered) return 0;
    if (s->fuel < fuel) {
        s->fuel = 0;
        return ESGX_WASM_E_LIMIT;
    }
    s->fuel -= fuel;
    return 0;
}

int esgx_wasm_ctx_trap(esgx_wasm_ctx *ctx, esgx_wasm_trap kind, const char *fmt, ...)
{
    esgx_wasm_store *s = ctx->store;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->trap_msg, sizeof s->trap_msg, fmt, ap);
    va_end(ap);
    s->trap = kind == ESGX_WASM_TRAP_NONE ? ESGX_WASM_TRAP_HOST : kind;
    return ESGX_WASM_E_TRAP;
}

int esgx_wasm_ctx_exit(esgx_wasm_ctx *ctx, int code)
{
    esgx_wasm_store *s = ctx->store;
    s->exit_code = code;
    s->trap = ESGX_WASM_TRAP_EXIT;
    snprintf(s->trap_msg, sizeof s->trap_msg, "exit with code %d", code);
    return ESGX_WASM_E_TRAP;
}

esgx_wasm_store *esgx_wasm_ctx_store(esgx_wasm_ctx *ctx)
{
    return ctx->store;
}

/* ------------------------------------------------------------------ calls */

int esgx_wasm_call(esgx_wasm_store *s, esgx_wasm_extern func, const esgx_wasm_value *args, size_t n_args,
              esgx_wasm_value *results, size_t n_results, esgx_wasm_trap *trap, esgx_err *err)
{
    if (trap) *trap = ESGX_WASM_TRAP_NONE;
    if (!s || func.kind != ESGX_WASM_EXTERN_FUNC || !func.ptr || (n_args && !args) ||
        (n_results && !results))
        return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_call: bad argument");
    esgx_wasm_func_obj *f = func.ptr;
    if (n_args != f->type.n_params || n_results != f->type.n_results)
        return esgx_err_set(err, ESGX_WASM_E_ARG,
                            "wasm_call: function takes %u arguments and %u results",
                            f->type.n_params, f->type.n_results);
    for (size_t i = 0; i < n_args; i++)
        if (args[i].type != f->type.params[i])
            return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_call: argument %zu has the wrong type",
                                i);
    /* in slots (a v128 takes two) */
    size_t n = f->param_slots > f->result_slots ? f->param_slots : f->result_slots;
    uint64_t buf[16];
    uint64_t *slots = n <= 16 ? buf : calloc(n, sizeof *slots);
    if (!slots) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    for (size_t i = 0, k = 0; i < n_args; i++) k += esgx_wasm_value_to_slots(&args[i], slots + k);
    s->trap = ESGX_WASM_TRAP_NONE;
    int rc = esgx_wasm_exec_call(s, f, slots);
    if (rc == ESGX_OK) {
        for (size_t i = 0, k = 0; i < n_results; i++)
            k += esgx_wasm_slots_to_value(slots + k, f->type.results[i], &results[i]);
        esgx_err_clear(err);
    } else {
        if (trap) *trap = s->trap;
        esgx_err_set(err, ESGX_WASM_E_TRAP, "%s", s->trap_msg);
    }
    if (slots != buf) esgx_wasm_free_wiped(slots, n * sizeof *slots);
    else explicit_bzero(buf, sizeof buf);
    return rc;
}
