/*
 * tiers_diff.c: the differential check of the interpreter and the compiler
 * (tiers_diff.h). Reads the decoded module and the run-time objects (wasm_module.h,
 * wasm_exec.h) to walk exports in order and to compare every memory, global and table,
 * imported or not, which is why it lives inside lib/wasm.
 */
#include "tiers_diff.h"

#include "esgx_wasm.h"
#include "wasm_exec.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A function import's host function: which side and import it is, and its type. */
typedef struct tdiff_host {
    struct tdiff_side *side;
    uint32_t index;
    esgx_wasm_functype type;
} tdiff_host;

/* One tier's run of the module. */
typedef struct tdiff_side {
    esgx_wasm_tier want;
    esgx_wasm_module *m;
    esgx_wasm_store *s;
    esgx_wasm_instance *inst;
    esgx_wasm_extern *imports;
    tdiff_host *hosts;
    uint64_t host_calls, host_hash;
    esgx_err err;
} tdiff_side;

/* The outcome of one call (or of the instantiation) on one side. */
typedef struct tdiff_outcome {
    int rc;
    esgx_wasm_trap trap;
    uint64_t fuel;
    uint32_t n_results;
    esgx_wasm_value *results;
} tdiff_outcome;

typedef struct tdiff {
    tdiff_side a, b;           /* a: interpreter, b: compiler */
    uint64_t fuel;
    uint64_t rng;              /* argument generator, seeded from the input */
    char *report;
    size_t cap;
} tdiff;

static uint64_t tdiff_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t tdiff_next(tdiff *d)
{
    d->rng = tdiff_mix(d->rng);
    return d->rng;
}

static int tdiff_fail(tdiff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int tdiff_fail(tdiff *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (d->cap) vsnprintf(d->report, d->cap, fmt, ap);
    va_end(ap);
    return 1;
}

/* A funcref as something comparable across stores: 0 for null, 1 + its index in the
 * instance's function space, or UINT64_MAX for a function of no instance we know. */
static uint64_t tdiff_canon_ref(const esgx_wasm_instance *inst, esgx_wasm_valtype t,
                                esgx_wasm_ref r)
{
    if (r == ESGX_WASM_REF_NULL || t != ESGX_WASM_FUNCREF) return (uint64_t)r;
    if (inst) {
        uint32_t n = inst->m->n_func_imports + inst->m->n_funcs;
        for (uint32_t i = 0; i < n; i++)
            if ((esgx_wasm_ref)inst->funcs[i] == r) return 1 + (uint64_t)i;
    }
    return UINT64_MAX;
}

/* Hash of a value: known types by their bits (refs made comparable), others by all
 * the payload bytes. */
static uint64_t tdiff_value_hash(const esgx_wasm_instance *inst, const esgx_wasm_value *v)
{
    uint64_t h = (uint64_t)v->type;
    switch (v->type) {
    case ESGX_WASM_I32: return tdiff_mix(h ^ (uint32_t)v->of.i32);
    case ESGX_WASM_F32: return tdiff_mix(h ^ v->of.f32_bits);
    case ESGX_WASM_I64: return tdiff_mix(h ^ (uint64_t)v->of.i64);
    case ESGX_WASM_F64: return tdiff_mix(h ^ v->of.f64_bits);
    case ESGX_WASM_FUNCREF:
    case ESGX_WASM_EXTERNREF: return tdiff_mix(h ^ tdiff_canon_ref(inst, v->type, v->of.ref));
    default: {
        const unsigned char *p = (const unsigned char *)&v->of;
        for (size_t i = 0; i < sizeof v->of; i++) h = tdiff_mix(h ^ p[i]);
        return h;
    }
    }
}

/* Whether two values (of two sides) are the same, bit for bit. */
static bool tdiff_value_eq(const esgx_wasm_instance *ia, const esgx_wasm_value *a,
                           const esgx_wasm_instance *ib, const esgx_wasm_value *b)
{
    if (a->type != b->type) return false;
    switch (a->type) {
    case ESGX_WASM_I32: return a->of.i32 == b->of.i32;
    case ESGX_WASM_F32: return a->of.f32_bits == b->of.f32_bits;
    case ESGX_WASM_I64: return a->of.i64 == b->of.i64;
    case ESGX_WASM_F64: return a->of.f64_bits == b->of.f64_bits;
    case ESGX_WASM_FUNCREF:
    case ESGX_WASM_EXTERNREF:
        return tdiff_canon_ref(ia, a->type, a->of.ref) == tdiff_canon_ref(ib, b->type, b->of.ref);
    default: return memcmp(&a->of, &b->of, sizeof a->of) == 0;
    }
}

static void tdiff_value_show(const esgx_wasm_value *v, char *buf, size_t cap)
{
    switch (v->type) {
    case ESGX_WASM_I32: snprintf(buf, cap, "i32 0x%08x", (unsigned)v->of.i32); return;
    case ESGX_WASM_F32: snprintf(buf, cap, "f32 bits 0x%08x", (unsigned)v->of.f32_bits); return;
    case ESGX_WASM_I64:
        snprintf(buf, cap, "i64 0x%016llx", (unsigned long long)v->of.i64);
        return;
    case ESGX_WASM_F64:
        snprintf(buf, cap, "f64 bits 0x%016llx", (unsigned long long)v->of.f64_bits);
        return;
    default: {
        size_t o = (size_t)snprintf(buf, cap, "type 0x%x bytes ", (unsigned)v->type);
        const unsigned char *p = (const unsigned char *)&v->of;
        for (size_t i = 0; i < sizeof v->of && o + 3 < cap; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%02x", p[i]);
    }
    }
}

/* ---------------------------------------------------------------- imports */

/* Every function import: charges 1 fuel, hashes its arguments into the side's log,
 * traps when the hash says so (1 in 64) or when its first argument is the i32 13, else
 * returns values derived from the hash. */
static int tdiff_host_fn(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                         esgx_wasm_value *results, void *env)
{
    tdiff_host *h = env;
    tdiff_side *side = h->side;
    uint64_t x = tdiff_mix(h->index);
    for (uint32_t i = 0; i < h->type.n_params; i++) x = tdiff_mix(x ^ tdiff_value_hash(ctx->inst, &args[i]));
    side->host_calls++;
    side->host_hash = tdiff_mix(side->host_hash ^ x);
    if (esgx_wasm_ctx_fuel_charge(ctx, 1))
        return esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_OUT_OF_FUEL, "out of fuel");
    if ((x & 63) == 7 || (h->type.n_params && args[0].type == ESGX_WASM_I32 && args[0].of.i32 == 13))
        return esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_HOST, "import %u trapped", h->index);
    for (uint32_t i = 0; i < h->type.n_results; i++) {
        esgx_wasm_value *v = &results[i];
        uint64_t r = tdiff_mix(x + i);
        memset(v, 0, sizeof *v);
        v->type = h->type.results[i];
        switch (v->type) {
        case ESGX_WASM_I32: v->of.i32 = (int32_t)(uint32_t)r; break;
        case ESGX_WASM_F32: v->of.f32_bits = (uint32_t)r; break;
        case ESGX_WASM_I64: v->of.i64 = (int64_t)r; break;
        case ESGX_WASM_F64: v->of.f64_bits = r; break;
        case ESGX_WASM_FUNCREF: break;   /* null */
        case ESGX_WASM_EXTERNREF: v->of.ref = (esgx_wasm_ref)((r & 0xffff) | 1); break;
        default: memset(&v->of, (int)(r & 0xff), sizeof v->of); break;
        }
    }
    return 0;
}

/* A global's initial value for import i: fixed per import and type. */
static esgx_wasm_value tdiff_import_value(uint32_t i, esgx_wasm_valtype t)
{
    esgx_wasm_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    uint64_t r = tdiff_mix(0x6710 + i);
    switch (t) {
    case ESGX_WASM_I32: v.of.i32 = (int32_t)(r & 0xffff); break;
    case ESGX_WASM_F32: v.of.f32_bits = (uint32_t)r; break;
    case ESGX_WASM_I64: v.of.i64 = (int64_t)r; break;
    case ESGX_WASM_F64: v.of.f64_bits = r; break;
    case ESGX_WASM_FUNCREF: break;
    case ESGX_WASM_EXTERNREF: v.of.ref = (esgx_wasm_ref)(i + 1); break;
    default: memset(&v.of, (int)(r & 0xff), sizeof v.of); break;
    }
    return v;
}

static int tdiff_make_import(tdiff_side *side, uint32_t i)
{
    const esgx_wasm_import_decl *d = &side->m->imports[i];
    esgx_wasm_extern *out = &side->imports[i];
    switch (d->kind) {
    case ESGX_WASM_EXTERN_FUNC: {
        const esgx_wasm_functype_decl *t = &side->m->types[d->desc.func_type];
        tdiff_host *h = &side->hosts[i];
        h->side = side;
        h->index = i;
        h->type.n_params = t->n_params;
        h->type.n_results = t->n_results;
        h->type.params = t->types;
        h->type.results = t->types + t->n_params;
        return esgx_wasm_func_new_host(side->s, &h->type, tdiff_host_fn, h, out, &side->err);
    }
    case ESGX_WASM_EXTERN_MEMORY:
        return esgx_wasm_memory_new(side->s, d->desc.memory.min,
                                    d->desc.memory.has_max ? d->desc.memory.max : UINT32_MAX,
                                    out, &side->err);
    case ESGX_WASM_EXTERN_TABLE:
        return esgx_wasm_table_new(side->s, d->desc.table.elem_type, d->desc.table.limits.min,
                                   d->desc.table.limits.has_max ? d->desc.table.limits.max
                                                                : UINT32_MAX,
                                   out, &side->err);
    case ESGX_WASM_EXTERN_GLOBAL:
        return esgx_wasm_global_new(side->s, tdiff_import_value(i, d->desc.global.type),
                                    d->desc.global.mutable_, out, &side->err);
    }
    return esgx_err_set(&side->err, ESGX_WASM_E_ARG, "import %u: unknown kind", i);
}

static void tdiff_limits(esgx_wasm_limits *l, esgx_wasm_tier tier)
{
    esgx_wasm_limits_default(l);
    l->max_memory_pages = 64;
    l->max_call_depth = 1000;
    l->max_value_stack = 1u << 16;
    l->max_table_elems = 10000;
    l->compile_threads = 1;
    l->tier = tier;
}

/* Makes side's store and imports and instantiates (the start function runs). */
static void tdiff_instantiate(tdiff *d, tdiff_side *side, tdiff_outcome *o)
{
    memset(o, 0, sizeof *o);
    esgx_wasm_limits lim;
    tdiff_limits(&lim, side->want);
    uint32_t n = side->m->n_imports;
    side->imports = calloc(n + 1, sizeof *side->imports);
    side->hosts = calloc(n + 1, sizeof *side->hosts);
    if (!side->imports || !side->hosts) {
        o->rc = ESGX_WASM_E_NOMEM;
        return;
    }
    o->rc = esgx_wasm_store_new(&lim, &side->s, &side->err);
    for (uint32_t i = 0; o->rc == 0 && i < n; i++) o->rc = tdiff_make_import(side, i);
    if (o->rc) return;
    esgx_wasm_store_fuel_set(side->s, d->fuel);
    o->rc = esgx_wasm_instance_new(side->s, side->m, side->imports, n, &side->inst, &o->trap,
                                   &side->err);
    if (o->rc != ESGX_WASM_E_TRAP) o->trap = ESGX_WASM_TRAP_NONE;
    o->fuel = esgx_wasm_store_fuel_get(side->s);
}

static void tdiff_side_free(tdiff_side *side)
{
    if (side->s) esgx_wasm_store_free(side->s);
    esgx_wasm_module_free(side->m);
    free(side->imports);
    free(side->hosts);
}

/* ---------------------------------------------------------------- comparing */

/* Compares two outcomes of `what` (the instantiation or a call). 0 if equal. */
static int tdiff_compare_outcome(tdiff *d, const char *what, const tdiff_outcome *oa,
                                 const tdiff_outcome *ob)
{
    if (oa->rc != ob->rc)
        return tdiff_fail(d, "%s: return code %d (%s) on interp, %d (%s) on jit", what, oa->rc,
                          d->a.err.msg, ob->rc, d->b.err.msg);
    if (oa->trap != ob->trap)
        return tdiff_fail(d, "%s: trap %s (%s) on interp, %s (%s) on jit", what,
                          esgx_wasm_trap_name(oa->trap), d->a.err.msg,
                          esgx_wasm_trap_name(ob->trap), d->b.err.msg);
    if (oa->fuel != ob->fuel)
        return tdiff_fail(d, "%s: fuel left %llu on interp, %llu on jit (trap %s)", what,
                          (unsigned long long)oa->fuel, (unsigned long long)ob->fuel,
                          esgx_wasm_trap_name(oa->trap));
    if (d->a.host_calls != d->b.host_calls || d->a.host_hash != d->b.host_hash)
        return tdiff_fail(d, "%s: host imports called %llu times on interp, %llu on jit%s", what,
                          (unsigned long long)d->a.host_calls, (unsigned long long)d->b.host_calls,
                          d->a.host_calls == d->b.host_calls ? " (with different arguments)" : "");
    if (oa->rc != 0) return 0;
    for (uint32_t i = 0; i < oa->n_results; i++) {
        if (tdiff_value_eq(d->a.inst, &oa->results[i], d->b.inst, &ob->results[i])) continue;
        char va[80], vb[80];
        tdiff_value_show(&oa->results[i], va, sizeof va);
        tdiff_value_show(&ob->results[i], vb, sizeof vb);
        return tdiff_fail(d, "%s: result %u is %s on interp, %s on jit", what, i, va, vb);
    }
    return 0;
}

static int tdiff_compare_memories(tdiff *d)
{
    const esgx_wasm_module *m = d->a.m;
    for (uint32_t i = 0; i < m->n_memory_imports + m->n_memories; i++) {
        const esgx_wasm_memory_obj *ma = d->a.inst->mems[i], *mb = d->b.inst->mems[i];
        if (ma->size != mb->size)
            return tdiff_fail(d, "memory %u: %llu bytes on interp, %llu on jit", i,
                              (unsigned long long)ma->size, (unsigned long long)mb->size);
        if (ma->size && memcmp(ma->data, mb->data, ma->size) != 0) {
            uint64_t k = 0;
            while (ma->data[k] == mb->data[k]) k++;
            return tdiff_fail(d, "memory %u: byte %llu is 0x%02x on interp, 0x%02x on jit", i,
                              (unsigned long long)k, ma->data[k], mb->data[k]);
        }
    }
    return 0;
}

static int tdiff_compare_globals(tdiff *d)
{
    const esgx_wasm_module *m = d->a.m;
    for (uint32_t i = 0; i < m->n_global_imports + m->n_globals; i++) {
        const esgx_wasm_global_obj *ga = d->a.inst->globals[i], *gb = d->b.inst->globals[i];
        esgx_wasm_value va, vb;
        esgx_wasm_slot_to_value(ga->val, ga->type, &va);
        esgx_wasm_slot_to_value(gb->val, gb->type, &vb);
        if (tdiff_value_eq(d->a.inst, &va, d->b.inst, &vb)) continue;
        char sa[80], sb[80];
        tdiff_value_show(&va, sa, sizeof sa);
        tdiff_value_show(&vb, sb, sizeof sb);
        return tdiff_fail(d, "global %u is %s on interp, %s on jit", i, sa, sb);
    }
    return 0;
}

static int tdiff_compare_tables(tdiff *d)
{
    const esgx_wasm_module *m = d->a.m;
    for (uint32_t i = 0; i < m->n_table_imports + m->n_tables; i++) {
        const esgx_wasm_table_obj *ta = d->a.inst->tables[i], *tb = d->b.inst->tables[i];
        if (ta->size != tb->size)
            return tdiff_fail(d, "table %u: %u elements on interp, %u on jit", i, ta->size,
                              tb->size);
        for (uint32_t k = 0; k < ta->size; k++)
            if (tdiff_canon_ref(d->a.inst, ta->elem_type, ta->elems[k]) !=
                tdiff_canon_ref(d->b.inst, tb->elem_type, tb->elems[k]))
                return tdiff_fail(d, "table %u: element %u differs", i, k);
    }
    return 0;
}

/* ---------------------------------------------------------------- calling */

/* An argument of type t from the generator: edge values half of the time. */
static esgx_wasm_value tdiff_arg(tdiff *d, const tdiff_side *side, esgx_wasm_valtype t, uint64_t r)
{
    static const uint64_t edges[] = {0, 1, 2, 13, 0xffffffffu, 0x7fffffffu, 0x80000000u,
                                     0xffffffffffffffffull, 0x8000000000000000ull,
                                     0x7fffffffffffffffull, 65535, 65536, 0x7fc00001u,
                                     0x7ff8000000000001ull, 0x3f800000u, 0x3ff0000000000000ull};
    esgx_wasm_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    uint64_t x = (r & 1) ? edges[(r >> 1) % (sizeof edges / sizeof edges[0])] : tdiff_next(d);
    if ((r & 1) && (r & 0x100)) x = (x >> 1) + (r >> 60);   /* near an edge */
    switch (t) {
    case ESGX_WASM_I32: v.of.i32 = (int32_t)(uint32_t)x; break;
    case ESGX_WASM_F32: v.of.f32_bits = (uint32_t)x; break;
    case ESGX_WASM_I64: v.of.i64 = (int64_t)x; break;
    case ESGX_WASM_F64: v.of.f64_bits = x; break;
    case ESGX_WASM_EXTERNREF: v.of.ref = (esgx_wasm_ref)(x % 3 ? (x & 0xfff) + 1 : 0); break;
    case ESGX_WASM_FUNCREF: {
        uint32_t n = side->m->n_func_imports + side->m->n_funcs;
        if (n && x % 3) v.of.ref = (esgx_wasm_ref)side->inst->funcs[x % n];
        break;
    }
    default: {
        unsigned char *p = (unsigned char *)&v.of;
        for (size_t i = 0; i < sizeof v.of; i++) p[i] = (unsigned char)tdiff_mix(x + i);
    }
    }
    return v;
}

/* Calls export e on one side with args drawn from a generator state copied from
 * seed_rng (so both sides get the same arguments). */
static void tdiff_call(tdiff *d, tdiff_side *side, uint64_t seed_rng, esgx_wasm_extern fn,
                       const esgx_wasm_functype *t, tdiff_outcome *o)
{
    d->rng = seed_rng;
    esgx_wasm_value *args = calloc(t->n_params + 1, sizeof *args);
    o->results = calloc(t->n_results + 1, sizeof *o->results);
    o->n_results = t->n_results;
    if (!args || !o->results) {
        o->rc = ESGX_WASM_E_NOMEM;
        free(args);
        return;
    }
    for (uint32_t i = 0; i < t->n_params; i++) args[i] = tdiff_arg(d, side, t->params[i], tdiff_next(d));
    esgx_err_clear(&side->err);
    o->trap = ESGX_WASM_TRAP_NONE;
    esgx_wasm_store_fuel_set(side->s, d->fuel);
    o->rc = esgx_wasm_call(side->s, fn, args, t->n_params, o->results, t->n_results, &o->trap,
                           &side->err);
    if (o->rc != ESGX_WASM_E_TRAP) o->trap = ESGX_WASM_TRAP_NONE;
    o->fuel = esgx_wasm_store_fuel_get(side->s);
    free(args);
}

/* Calls stop once the calls so far used this many times the per-call fuel (the same
 * point on both sides, as their fuel agrees), so one input stays within seconds. */
#define TDIFF_TOTAL_CALLS_FUEL 16

static int tdiff_call_exports(tdiff *d, esgx_tiers_diff_stats *st)
{
    const esgx_wasm_module *m = d->a.m;
    uint64_t used = 0, total = d->fuel > UINT64_MAX / TDIFF_TOTAL_CALLS_FUEL
                                   ? UINT64_MAX : TDIFF_TOTAL_CALLS_FUEL * d->fuel;
    for (uint32_t e = 0; e < m->n_exports && used < total; e++) {
        const esgx_wasm_export_decl *x = &m->exports[e];
        if (x->kind != ESGX_WASM_EXTERN_FUNC) continue;
        esgx_wasm_extern fa, fb;
        esgx_wasm_functype ta, tb;
        if (esgx_wasm_instance_export(d->a.inst, x->name, x->name_len, &fa) ||
            esgx_wasm_instance_export(d->b.inst, x->name, x->name_len, &fb) ||
            esgx_wasm_func_type(fa, &ta) || esgx_wasm_func_type(fb, &tb))
            return tdiff_fail(d, "export %u: not found on one side", e);
        uint64_t seed = tdiff_next(d);
        tdiff_outcome oa, ob;
        memset(&oa, 0, sizeof oa);
        memset(&ob, 0, sizeof ob);
        tdiff_call(d, &d->a, seed, fa, &ta, &oa);
        tdiff_call(d, &d->b, seed, fb, &tb, &ob);
        d->rng = tdiff_mix(seed);
        char what[160];
        snprintf(what, sizeof what, "call of export %u \"%.*s\"", e,
                 (int)(x->name_len > 60 ? 60 : x->name_len), x->name);
        int rc = tdiff_compare_outcome(d, what, &oa, &ob);
        used += d->fuel - oa.fuel;
        if (st && rc == 0) {
            st->calls++;
            if (oa.rc == ESGX_WASM_E_TRAP) st->traps++;
        }
        free(oa.results);
        free(ob.results);
        if (rc) return rc;
    }
    return 0;
}

/* Parses on both tiers; 0 when both accept (go on), -1 when both refuse the same way
 * (stop, no difference), 1 on a difference. */
static int tdiff_parse(tdiff *d, const uint8_t *data, size_t size)
{
    esgx_wasm_limits la, lb;
    tdiff_limits(&la, ESGX_WASM_TIER_INTERP);
    tdiff_limits(&lb, ESGX_WASM_TIER_JIT);
    int ra = esgx_wasm_module_parse(data, size, &la, &d->a.m, &d->a.err);
    int rb = esgx_wasm_module_parse(data, size, &lb, &d->b.m, &d->b.err);
    if (ra != rb) {
        if (ra == ESGX_WASM_E_NOMEM || rb == ESGX_WASM_E_NOMEM) return -1;
        return tdiff_fail(d, "parse: %d (%s) on interp, %d (%s) on jit", ra,
                          ra ? d->a.err.msg : "accepted", rb, rb ? d->b.err.msg : "accepted");
    }
    if (ra) {
        tdiff_fail(d, "refused by both tiers: %s", d->a.err.msg);
        return -1;
    }
    if (esgx_wasm_module_tier(d->a.m) != ESGX_WASM_TIER_INTERP)
        return tdiff_fail(d, "parse: asked for interp, got %s",
                          esgx_wasm_tier_name(esgx_wasm_module_tier(d->a.m)));
    if (esgx_wasm_jit_available() && esgx_wasm_module_tier(d->b.m) != ESGX_WASM_TIER_JIT)
        return tdiff_fail(d, "parse: the compiler is available but the module asking for it "
                          "runs on %s", esgx_wasm_tier_name(esgx_wasm_module_tier(d->b.m)));
    return 0;
}

int esgx_tiers_diff_run(const uint8_t *data, size_t size, uint64_t fuel,
                        esgx_tiers_diff_stats *stats, char *report, size_t cap)
{
    tdiff d;
    memset(&d, 0, sizeof d);
    d.a.want = ESGX_WASM_TIER_INTERP;
    d.b.want = ESGX_WASM_TIER_JIT;
    d.fuel = fuel ? fuel : ESGX_TIERS_DIFF_FUEL;
    d.report = report;
    d.cap = cap;
    if (cap) report[0] = '\0';
    /* the arguments follow the input: FNV-1a of its bytes */
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 0x100000001b3ull;
    d.rng = h;
    if (stats) stats->modules++;

    int rc = tdiff_parse(&d, data, size);
    if (rc == 0) {
        if (stats) {
            stats->accepted++;
            stats->tier_a = (int)esgx_wasm_module_tier(d.a.m);
            stats->tier_b = (int)esgx_wasm_module_tier(d.b.m);
        }
        tdiff_outcome oa, ob;
        tdiff_instantiate(&d, &d.a, &oa);
        tdiff_instantiate(&d, &d.b, &ob);
        rc = tdiff_compare_outcome(&d, "instantiation", &oa, &ob);
        if (rc == 0 && oa.rc == 0) {
            if (stats) stats->instantiated++;
            rc = tdiff_call_exports(&d, stats);
            if (rc == 0) rc = tdiff_compare_memories(&d);
            if (rc == 0) rc = tdiff_compare_globals(&d);
            if (rc == 0) rc = tdiff_compare_tables(&d);
        }
    }
    tdiff_side_free(&d.a);
    tdiff_side_free(&d.b);
    return rc > 0 ? 1 : 0;
}
