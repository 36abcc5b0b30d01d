/*
 * validate.c: esgx_wasm_validate, the spec's typing rules for a decoded module.
 *
 * Design notes:
 * - Module-level rules first (types of imports, limits, one memory at most, constant
 *   expressions, segments, exports, start), then every function body.
 * - Bodies use the operand-stack algorithm of the spec's validation appendix: a value
 *   stack of types (0 = "unknown", the bottom type of unreachable code) and a stack of
 *   control frames. Both are heap arrays grown on demand and capped by
 *   limits.max_value_stack (ESGX_WASM_E_LIMIT), so deep nesting never recurses on the C
 *   stack and never grows without bound. Instructions are decoded with the shared
 *   esgx_wasm_read_instr.
 * - Two drivers share the body rules: esgx_wasm_validate reads every body itself, and
 *   compile.c feeds each instruction it reads to a esgx_wasm_body_checker before compiling
 *   it (one read of the code instead of two; see module.c). A checker belongs to one
 *   thread; the esgx_wasm_validator it checks against is read-only apart from the budget.
 * - Cost: typing an instruction costs O(its arity), so a work budget over all bodies
 *   (64 stack operations per byte of the module, plus 4M; an atomic counter, since
 *   bodies may be checked by several threads) turns pathological modules into
 *   ESGX_WASM_E_LIMIT instead of seconds of CPU. Global and table indices resolve
 *   through arrays built once per module (no scan of the imports per instruction).
 * - wabt omits the data count section when a module has no data segments at all;
 *   memory.init / data.drop then meet "unknown data segment" here. With data segments
 *   and no data count section they are malformed ("data count section required"),
 *   which decode.c's body scan reports first when it runs.
 * - Messages start with the spec test suite's wording ("type mismatch",
 *   "unknown local", ...) and name the function and the byte offset.
 */
#include "wasm_binary.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(x)                  \
    do {                        \
        int rc_ = (x);          \
        if (rc_) return rc_;    \
    } while (0)

#define UNKNOWN 0   /* value-stack entry of unknown type (unreachable code) */

static bool is_ref(uint8_t t)
{
    return t == ESGX_WASM_FUNCREF || t == ESGX_WASM_EXTERNREF;
}

/* A number or vector type (what an untyped select accepts). */
static bool is_num(uint8_t t)
{
    return t == ESGX_WASM_I32 || t == ESGX_WASM_I64 || t == ESGX_WASM_F32 || t == ESGX_WASM_F64 ||
           t == ESGX_WASM_V128;
}

/* Storage for one-value block types, so they can be returned as arrays. */
static const esgx_wasm_valtype one_type[256] = {
    [ESGX_WASM_I32] = ESGX_WASM_I32, [ESGX_WASM_I64] = ESGX_WASM_I64, [ESGX_WASM_F32] = ESGX_WASM_F32,
    [ESGX_WASM_F64] = ESGX_WASM_F64, [ESGX_WASM_V128] = ESGX_WASM_V128, [ESGX_WASM_FUNCREF] = ESGX_WASM_FUNCREF,
    [ESGX_WASM_EXTERNREF] = ESGX_WASM_EXTERNREF,
};

/* ------------------------------------------------------------------ module level */

static uint32_t n_total_funcs(const esgx_wasm_module *m) { return m->n_func_imports + m->n_funcs; }
static uint32_t n_total_tables(const esgx_wasm_module *m) { return m->n_table_imports + m->n_tables; }
static uint32_t n_total_mems(const esgx_wasm_module *m) { return m->n_memory_imports + m->n_memories; }
static uint32_t n_total_globals(const esgx_wasm_module *m) { return m->n_global_imports + m->n_globals; }

/* Module-wide lookup tables, so that every global / table index resolves in O(1)
 * (imports first, then definitions). */
struct esgx_wasm_validator {
    const esgx_wasm_module *m;
    const esgx_wasm_global_type **globals;
    const esgx_wasm_table_type **tables;
    _Atomic uint64_t ops_left;  /* work budget left for all bodies (see esgx_wasm_validator_new) */
};

static const esgx_wasm_table_type *table_at(const esgx_wasm_validator *vm, uint32_t i)
{
    return vm->tables[i];
}

static const esgx_wasm_global_type *global_at(const esgx_wasm_validator *vm, uint32_t i)
{
    return vm->globals[i];
}

int esgx_wasm_validator_new(const esgx_wasm_module *m, esgx_wasm_validator **out, esgx_err *err)
{
    uint32_t nt = n_total_tables(m), ng = n_total_globals(m);
    *out = NULL;
    esgx_wasm_validator *vm = calloc(1, sizeof *vm);
    if (!vm) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    vm->m = m;
    vm->globals = calloc(ng ? ng : 1, sizeof *vm->globals);
    vm->tables = calloc(nt ? nt : 1, sizeof *vm->tables);
    if (!vm->globals || !vm->tables) {
        esgx_wasm_validator_free(vm);
        return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    }
    uint32_t kt = 0, kg = 0;
    for (uint32_t i = 0; i < m->n_imports; i++) {
        if (m->imports[i].kind == ESGX_WASM_EXTERN_TABLE) vm->tables[kt++] = &m->imports[i].desc.table;
        if (m->imports[i].kind == ESGX_WASM_EXTERN_GLOBAL)
            vm->globals[kg++] = &m->imports[i].desc.global;
    }
    for (uint32_t i = 0; i < m->n_tables; i++) vm->tables[kt++] = &m->tables[i];
    for (uint32_t i = 0; i < m->n_globals; i++) vm->globals[kg++] = &m->globals[i].type;
    /* Work budget: operand-stack operations over all bodies. Typing an instruction
     * costs O(its arity), and a 2-byte call or block can have a type with thousands
     * of parameters, so without a cap a hostile module could make validation take
     * O(size * arity). Real code stays far below 64 operations per byte. */
    atomic_init(&vm->ops_left, 64 * (uint64_t)m->len + (4u << 20));
    *out = vm;
    return 0;
}

void esgx_wasm_validator_free(esgx_wasm_validator *vm)
{
    if (!vm) return;
    free(vm->globals);
    free(vm->tables);
    free(vm);
}

static int check_limits(const esgx_wasm_limits_decl *l, uint64_t bound, const char *what,
                        esgx_err *err)
{
    if (l->min > bound || (l->has_max && l->max > bound)) {
        if (bound == 65536)
            return esgx_err_set(err, ESGX_WASM_E_INVALID,
                                "memory size must be at most 65536 pages (4GiB) (%s)", what);
        return esgx_err_set(err, ESGX_WASM_E_INVALID, "table size out of range (%s)", what);
    }
    if (l->has_max && l->min > l->max)
        return esgx_err_set(err, ESGX_WASM_E_INVALID,
                            "size minimum must not be greater than maximum (%s)", what);
    return 0;
}

/* A constant expression producing one value of type want. global.get may only name
 * an imported immutable global (the spec's C' context). */
static int check_const_expr(const esgx_wasm_validator *vm, const esgx_wasm_const_expr *ce,
                            esgx_wasm_valtype want, const char *what, esgx_err *err)
{
    const esgx_wasm_module *m = vm->m;
    esgx_wasm_reader r = {.p = ce->code, .end = ce->code + ce->len, .base = m->bytes,
                     .where = what, .in_section = true, .err = err};
    esgx_wasm_instr in;
    uint32_t depth = 0;
    esgx_wasm_valtype got = 0;
    for (;;) {
        TRY(esgx_wasm_read_instr(&r, &in));
        esgx_wasm_valtype t;
        switch (in.op) {
        case OPC_END:
            if (depth != 1 || got != want)
                return esgx_err_set(err, ESGX_WASM_E_INVALID, "type mismatch (%s)", what);
            return 0;
        case OPC_I32_CONST: case OPC_I64_CONST: case OPC_F32_CONST: case OPC_F64_CONST:
        case OPC_V128_CONST:
            t = (esgx_wasm_valtype)esgx_wasm_opinfo_of(in.op)->r;
            break;
        case OPC_REF_NULL: t = (esgx_wasm_valtype)in.a; break;
        case OPC_REF_FUNC:
            if (in.a >= n_total_funcs(m))
                return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown function %u (%s)", in.a,
                                    what);
            t = ESGX_WASM_FUNCREF;
            break;
        case OPC_GLOBAL_GET: {
            if (in.a >= m->n_global_imports)
                return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown global %u (%s)", in.a,
                                    what);
            const esgx_wasm_global_type *g = global_at(vm, in.a);
            if (g->mutable_)
                return esgx_err_set(err, ESGX_WASM_E_INVALID,
                                    "constant expression required (%s: mutable global %u)",
                                    what, in.a);
            t = g->type;
            break;
        }
        default:
            return esgx_err_set(err, ESGX_WASM_E_INVALID,
                                "constant expression required (%s: opcode 0x%x)", what,
                                in.op);
        }
        depth++;
        got = t;
    }
}

static int validate_body(esgx_wasm_body_checker *v, uint32_t i);

int esgx_wasm_validate(const esgx_wasm_module *m, esgx_err *err)
{
    esgx_wasm_validator *vm = NULL;
    esgx_wasm_body_checker *bc = NULL;
    int rc = esgx_wasm_validator_new(m, &vm, err);
    if (rc == 0) rc = esgx_wasm_validator_check_module(vm, err);
    if (rc == 0) rc = esgx_wasm_body_checker_new(vm, err, &bc);
    for (uint32_t i = 0; rc == 0 && i < m->n_funcs; i++) rc = validate_body(bc, i);
    esgx_wasm_body_checker_free(bc);
    esgx_wasm_validator_free(vm);
    return rc;
}

int esgx_wasm_validator_check_module(const esgx_wasm_validator *vm, esgx_err *err)
{
    const esgx_wasm_module *m = vm->m;
    uint32_t nf = n_total_funcs(m), nt = n_total_tables(m), nm = n_total_mems(m),
             ng = n_total_globals(m);
    char what[64];
    /* imports */
    for (uint32_t i = 0; i < m->n_imports; i++) {
        const esgx_wasm_import_decl *im = &m->imports[i];
        snprintf(what, sizeof what, "import %u", i);
        switch (im->kind) {
        case ESGX_WASM_EXTERN_FUNC:
            if (im->desc.func_type >= m->n_types)
                return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown type %u (%s)",
                                    im->desc.func_type, what);
            break;
        case ESGX_WASM_EXTERN_TABLE:
            TRY(check_limits(&im->desc.table.limits, UINT32_MAX, what, err));
            break;
        case ESGX_WASM_EXTERN_MEMORY:
            TRY(check_limits(&im->desc.memory, 65536, what, err));
            break;
        case ESGX_WASM_EXTERN_GLOBAL:
            break;
        }
    }
    for (uint32_t i = 0; i < m->n_funcs; i++)
        if (m->funcs[i].type >= m->n_types)
            return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown type %u (function %u)",
                                m->funcs[i].type, m->n_func_imports + i);
    for (uint32_t i = 0; i < m->n_tables; i++) {
        snprintf(what, sizeof what, "table %u", m->n_table_imports + i);
        TRY(check_limits(&m->tables[i].limits, UINT32_MAX, what, err));
    }
    if (nm > 1) return esgx_err_set(err, ESGX_WASM_E_INVALID, "multiple memories (%u)", nm);
    for (uint32_t i = 0; i < m->n_memories; i++) {
        snprintf(what, sizeof what, "memory %u", m->n_memory_imports + i);
        TRY(check_limits(&m->memories[i], 65536, what, err));
    }
    for (uint32_t i = 0; i < m->n_globals; i++) {
        snprintf(what, sizeof what, "global %u", m->n_global_imports + i);
        TRY(check_const_expr(vm, &m->globals[i].init, m->globals[i].type.type, what, err));
    }
    /* exports */
    for (uint32_t i = 0; i < m->n_exports; i++) {
        const esgx_wasm_export_decl *e = &m->exports[i];
        static const char *const kinds[4] = {"function", "table", "memory", "global"};
        uint32_t lim = e->kind == ESGX_WASM_EXTERN_FUNC    ? nf
                       : e->kind == ESGX_WASM_EXTERN_TABLE ? nt
                       : e->kind == ESGX_WASM_EXTERN_MEMORY ? nm : ng;
        if (e->index >= lim)
            return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown %s %u (export %u)",
                                kinds[e->kind], e->index, i);
    }
    if (m->n_exports > 1) {
        /* Duplicate names: compare through a hash table of export indices. */
        size_t cap = 16;
        while (cap < (size_t)m->n_exports * 2) cap *= 2;
        uint32_t *slots = malloc(cap * sizeof *slots);
        if (!slots) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        memset(slots, 0xff, cap * sizeof *slots);
        for (uint32_t i = 0; i < m->n_exports; i++) {
            const esgx_wasm_export_decl *e = &m->exports[i];
            uint64_t h = 1469598103934665603ull;
            for (uint32_t k = 0; k < e->name_len; k++)
                h = (h ^ (uint8_t)e->name[k]) * 1099511628211ull;
            size_t s = (size_t)h & (cap - 1);
            while (slots[s] != UINT32_MAX) {
                const esgx_wasm_export_decl *o = &m->exports[slots[s]];
                if (o->name_len == e->name_len && !memcmp(o->name, e->name, e->name_len)) {
                    free(slots);
                    return esgx_err_set(err, ESGX_WASM_E_INVALID,
                                        "duplicate export name \"%.*s\"",
                                        (int)(e->name_len > 64 ? 64 : e->name_len), e->name);
                }
                s = (s + 1) & (cap - 1);
            }
            slots[s] = i;
        }
        free(slots);
    }
    if (m->has_start) {
        if (m->start >= nf)
            return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown function %u (start)", m->start);
        const esgx_wasm_functype_decl *t = esgx_wasm_module_func_type(m, m->start);
        if (t->n_params || t->n_results)
            return esgx_err_set(err, ESGX_WASM_E_INVALID,
                                "start function %u must have type [] -> []", m->start);
    }
    for (uint32_t i = 0; i < m->n_elems; i++) {
        const esgx_wasm_elem_segment *s = &m->elems[i];
        snprintf(what, sizeof what, "element segment %u", i);
        if (s->mode == ESGX_WASM_SEGMENT_ACTIVE) {
            if (s->table >= nt)
                return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown table %u (%s)", s->table,
                                    what);
            TRY(check_const_expr(vm, &s->offset, ESGX_WASM_I32, what, err));
            if (table_at(vm, s->table)->elem_type != s->elem_type)
                return esgx_err_set(err, ESGX_WASM_E_INVALID,
                                    "type mismatch (%s: element type differs from table %u)",
                                    what, s->table);
        }
        for (uint32_t k = 0; k < s->n_elems; k++) {
            if (s->func_indices) {
                if (s->func_indices[k] >= nf)
                    return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown function %u (%s)",
                                        s->func_indices[k], what);
            } else {
                TRY(check_const_expr(vm, &s->exprs[k], s->elem_type, what, err));
            }
        }
    }
    for (uint32_t i = 0; i < m->n_datas; i++) {
        const esgx_wasm_data_segment *s = &m->datas[i];
        snprintf(what, sizeof what, "data segment %u", i);
        if (s->mode == ESGX_WASM_SEGMENT_ACTIVE) {
            if (s->memory >= nm)
                return esgx_err_set(err, ESGX_WASM_E_INVALID, "unknown memory %u (%s)", s->memory,
                                    what);
            TRY(check_const_expr(vm, &s->offset, ESGX_WASM_I32, what, err));
        }
    }
    return ESGX_OK;
}

/* ------------------------------------------------------------------ bodies */

typedef struct ctrl {
    uint32_t op;          /* CTRL_FUNC, or OPC_BLOCK, OPC_LOOP, OPC_IF, OPC_ELSE */
    uint32_t bt_kind, bt_a;
    size_t height;
    bool unreachable;
} ctrl;

#define CTRL_FUNC 0u   /* the function's own frame (not an opcode of a frame) */

struct esgx_wasm_body_checker {
    esgx_wasm_validator *vm;
    const esgx_wasm_module *m;
    esgx_err *err;
    uint32_t func;                 /* function index (imports first) */
    const esgx_wasm_functype_decl *ft;
    const esgx_wasm_func_decl *fd;
    size_t off;                    /* offset of the current instruction */
    uint8_t *vals;
    size_t nv, capv;
    ctrl *ctrls;
    size_t nc, capc;
    uint8_t *scratch;
    size_t cap_scratch;
    size_t max_stack;
    uint64_t ops;                  /* stack operations so far in this body */
};

static int vfail(esgx_wasm_body_checker *v, const char *fmt, const char *detail)
{
    return esgx_err_set(v->err, ESGX_WASM_E_INVALID, "%s%s%s (function %u, offset %zu)", fmt,
                        detail ? ": " : "", detail ? detail : "", v->func, v->off);
}

static int vfailu(esgx_wasm_body_checker *v, const char *what, uint32_t idx)
{
    return esgx_err_set(v->err, ESGX_WASM_E_INVALID, "%s %u (function %u, offset %zu)", what,
                        idx, v->func, v->off);
}

static int push_grow(esgx_wasm_body_checker *v, uint8_t t)
{
    if (v->capv >= v->max_stack)
        return esgx_err_set(v->err, ESGX_WASM_E_LIMIT,
                            "operand stack too deep (function %u, limit %zu)", v->func,
                            v->max_stack);
    size_t nc = v->capv ? v->capv * 2 : 64;
    if (nc > v->max_stack) nc = v->max_stack;
    uint8_t *p = realloc(v->vals, nc);
    if (!p) return esgx_err_set(v->err, ESGX_WASM_E_NOMEM, "out of memory");
    v->vals = p;
    v->capv = nc;
    v->vals[v->nv++] = t;
    return 0;
}

static inline int push(esgx_wasm_body_checker *v, uint8_t t)
{
    v->ops++;
    if (v->nv == v->capv) return push_grow(v, t);
    v->vals[v->nv++] = t;
    return 0;
}

static inline int pop(esgx_wasm_body_checker *v, uint8_t *out)
{
    v->ops++;
    ctrl *c = &v->ctrls[v->nc - 1];
    if (v->nv == c->height) {
        if (c->unreachable) {
            *out = UNKNOWN;
            return 0;
        }
        return vfail(v, "type mismatch", "operand stack underflow");
    }
    *out = v->vals[--v->nv];
    return 0;
}

static inline int pop_expect(esgx_wasm_body_checker *v, uint8_t want, uint8_t *out)
{
    uint8_t t = 0;
    TRY(pop(v, &t));
    if (t != want && t != UNKNOWN && want != UNKNOWN)
        return vfail(v, "type mismatch", NULL);
    if (out) *out = t;
    return 0;
}

static int pop_vals(esgx_wasm_body_checker *v, const esgx_wasm_valtype *ts, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;) TRY(pop_expect(v, (uint8_t)ts[i], NULL));
    return 0;
}

static int push_vals(esgx_wasm_body_checker *v, const esgx_wasm_valtype *ts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) TRY(push(v, (uint8_t)ts[i]));
    return 0;
}

static void bt_types(const esgx_wasm_body_checker *v, uint32_t kind, uint32_t a,
                     const esgx_wasm_valtype **params, uint32_t *np,
                     const esgx_wasm_valtype **results, uint32_t *nr)
{
    *np = *nr = 0;
    *params = *results = NULL;
    if (kind == ESGX_WASM_BT_VAL) {
        *results = &one_type[a & 0xff];
        *nr = 1;
    } else if (kind == ESGX_WASM_BT_TYPE) {
        const esgx_wasm_functype_decl *t = &v->m->types[a];
        *params = t->types;
        *np = t->n_params;
        *results = t->types + t->n_params;
        *nr = t->n_results;
    }
}

static void frame_types(const esgx_wasm_body_checker *v, const ctrl *c, const esgx_wasm_valtype **params,
                        uint32_t *np, const esgx_wasm_valtype **results, uint32_t *nr)
{
    if (c->op == CTRL_FUNC) {
        *params = NULL;
        *np = 0;
        *results = v->ft->types + v->ft->n_params;
        *nr = v->ft->n_results;
        return;
    }
    bt_types(v, c->bt_kind, c->bt_a, params, np, results, nr);
}

static void label_types(const esgx_wasm_body_checker *v, const ctrl *c, const esgx_wasm_valtype **ts,
                        uint32_t *n)
{
    const esgx_wasm_valtype *p, *r;
    uint32_t np, nr;
    frame_types(v, c, &p, &np, &r, &nr);
    if (c->op == OPC_LOOP) {
        *ts = p;
        *n = np;
    } else {
        *ts = r;
        *n = nr;
    }
}

static int push_ctrl(esgx_wasm_body_checker *v, uint32_t op, uint32_t bt_kind, uint32_t bt_a)
{
    if (v->nc == v->capc) {
        if (v->capc >= v->max_stack)
            return esgx_err_set(v->err, ESGX_WASM_E_LIMIT,
                                "blocks nested too deeply (function %u, limit %zu)", v->func,
                                v->max_stack);
        size_t nc = v->capc ? v->capc * 2 : 16;
        if (nc > v->max_stack) nc = v->max_stack;
        ctrl *p = realloc(v->ctrls, nc * sizeof *p);
        if (!p) return esgx_err_set(v->err, ESGX_WASM_E_NOMEM, "out of memory");
        v->ctrls = p;
        v->capc = nc;
    }
    ctrl *c = &v->ctrls[v->nc++];
    c->op = op;
    c->bt_kind = bt_kind;
    c->bt_a = bt_a;
    c->height = v->nv;
    c->unreachable = false;
    const esgx_wasm_valtype *p, *r;
    uint32_t np, nr;
    frame_types(v, c, &p, &np, &r, &nr);
    return push_vals(v, p, np);
}

/* Pops the frame's results and checks the stack is back at the frame's height. */
static int pop_ctrl(esgx_wasm_body_checker *v, ctrl *out)
{
    if (v->nc == 0) return vfail(v, "type mismatch", "no open block");
    ctrl *c = &v->ctrls[v->nc - 1];
    const esgx_wasm_valtype *p, *r;
    uint32_t np, nr;
    frame_types(v, c, &p, &np, &r, &nr);
    TRY(pop_vals(v, r, nr));
    if (v->nv != c->height) return vfail(v, "type mismatch", "values left on the stack");
    *out = *c;
    v->nc--;
    return 0;
}

static void set_unreachable(esgx_wasm_body_checker *v)
{
    ctrl *c = &v->ctrls[v->nc - 1];
    v->nv = c->height;
    c->unreachable = true;
}

static int check_label(esgx_wasm_body_checker *v, uint32_t l)
{
    if (l >= v->nc) return vfailu(v, "unknown label", l);
    return 0;
}

static int check_mem(esgx_wasm_body_checker *v, uint32_t i)
{
    if (i >= n_total_mems(v->m)) return vfailu(v, "unknown memory", i);
    return 0;
}

static int check_table(esgx_wasm_body_checker *v, uint32_t i, esgx_wasm_valtype *elem_type)
{
    if (i >= n_total_tables(v->m)) return vfailu(v, "unknown table", i);
    if (elem_type) *elem_type = table_at(v->vm, i)->elem_type;
    return 0;
}

static int check_data(esgx_wasm_body_checker *v, uint32_t i)
{
    /* memory.init / data.drop with data segments but no data count section: malformed.
     * decode.c's body scan reports it first; this covers the fused pass (module.c),
     * which skips that scan. */
    if (!v->m->has_data_count && v->m->n_datas > 0)
        return esgx_err_set(v->err, ESGX_WASM_E_MALFORMED,
                            "data count section required (function %u, offset %zu)", v->func,
                            v->off);
    uint32_t n = v->m->has_data_count ? v->m->data_count : v->m->n_datas;
    if (i >= n)
        return vfailu(v, "unknown data segment", i);
    return 0;
}

static int check_elem(esgx_wasm_body_checker *v, uint32_t i)
{
    if (i >= v->m->n_elems) return vfailu(v, "unknown elem segment", i);
    return 0;
}

static uint8_t local_type(const esgx_wasm_body_checker *v, uint32_t i)
{
    if (i < v->ft->n_params) return (uint8_t)v->ft->types[i];
    return (uint8_t)v->fd->local_types[i - v->ft->n_params];
}

static int scratch_reserve(esgx_wasm_body_checker *v, size_t n)
{
    if (n <= v->cap_scratch) return 0;
    uint8_t *p = realloc(v->scratch, n);
    if (!p) return esgx_err_set(v->err, ESGX_WASM_E_NOMEM, "out of memory");
    v->scratch = p;
    v->cap_scratch = n;
    return 0;
}

/* block, loop, if, else, end */
static int check_structured(esgx_wasm_body_checker *v, const esgx_wasm_instr *in)
{
    const esgx_wasm_module *m = v->m;
    const esgx_wasm_valtype *ts, *ps;
    uint32_t n, np;
    ctrl c;
    switch (in->op) {
    case OPC_BLOCK: case OPC_LOOP: case OPC_IF:
        if (in->bt_kind == ESGX_WASM_BT_TYPE && in->a >= m->n_types)
            return vfailu(v, "unknown type", in->a);
        if (in->op == OPC_IF) TRY(pop_expect(v, ESGX_WASM_I32, NULL));
        bt_types(v, in->bt_kind, in->a, &ps, &np, &ts, &n);
        TRY(pop_vals(v, ps, np));
        return push_ctrl(v, in->op, in->bt_kind, in->a);
    case OPC_ELSE:
        if (v->nc == 0 || v->ctrls[v->nc - 1].op != OPC_IF)
            return vfail(v, "type mismatch", "else without if");
        TRY(pop_ctrl(v, &c));
        return push_ctrl(v, OPC_ELSE, c.bt_kind, c.bt_a);
    default:   /* OPC_END */
        TRY(pop_ctrl(v, &c));
        frame_types(v, &c, &ps, &np, &ts, &n);
        if (c.op == OPC_IF) {   /* if without else: params must pass through as results */
            if (np != n) return vfail(v, "type mismatch", "if without else");
            for (uint32_t i = 0; i < n; i++)
                if (ps[i] != ts[i]) return vfail(v, "type mismatch", "if without else");
        }
        return push_vals(v, ts, n);
    }
}

static int check_br_table(esgx_wasm_body_checker *v, const esgx_wasm_instr *in)
{
    const esgx_wasm_valtype *ts;
    uint32_t n;
    TRY(pop_expect(v, ESGX_WASM_I32, NULL));
    const uint8_t *cur = in->vec;
    /* the default label comes last */
    const uint8_t *dcur = in->vec;
    for (uint32_t i = 0; i < in->n; i++) (void)esgx_wasm_leb_u32_next(&dcur);
    uint32_t def = esgx_wasm_leb_u32_next(&dcur);
    TRY(check_label(v, def));
    uint32_t arity;
    label_types(v, &v->ctrls[v->nc - 1 - def], &ts, &arity);
    for (uint32_t i = 0; i < in->n; i++) {
        uint32_t l = esgx_wasm_leb_u32_next(&cur);
        TRY(check_label(v, l));
        label_types(v, &v->ctrls[v->nc - 1 - l], &ts, &n);
        if (n != arity) return vfail(v, "type mismatch", "br_table arity");
        /* pop the label's types, then push back what was actually there */
        TRY(scratch_reserve(v, n ? n : 1));
        for (uint32_t k = n; k-- > 0;) TRY(pop_expect(v, (uint8_t)ts[k], &v->scratch[k]));
        for (uint32_t k = 0; k < n; k++) {
            /* keep unknowns unknown, like the spec's pop_vals/push_vals */
            TRY(push(v, v->scratch[k]));
        }
    }
    label_types(v, &v->ctrls[v->nc - 1 - def], &ts, &n);
    TRY(pop_vals(v, ts, n));
    set_unreachable(v);
    return 0;
}

/* The control instructions (CAT_CTRL). */
static int check_control(esgx_wasm_body_checker *v, const esgx_wasm_instr *in)
{
    const esgx_wasm_module *m = v->m;
    esgx_wasm_valtype et = (esgx_wasm_valtype)0;   /* set by check_table */
    const esgx_wasm_valtype *ts;
    uint32_t n;
    const esgx_wasm_functype_decl *ft;
    switch (in->op) {
    case OPC_UNREACHABLE:
        set_unreachable(v);
        return 0;
    case OPC_NOP:
        return 0;
    case OPC_BLOCK: case OPC_LOOP: case OPC_IF: case OPC_ELSE: case OPC_END:
        return check_structured(v, in);
    case OPC_BR:
        TRY(check_label(v, in->a));
        label_types(v, &v->ctrls[v->nc - 1 - in->a], &ts, &n);
        TRY(pop_vals(v, ts, n));
        set_unreachable(v);
        return 0;
    case OPC_BR_IF:
        TRY(check_label(v, in->a));
        TRY(pop_expect(v, ESGX_WASM_I32, NULL));
        label_types(v, &v->ctrls[v->nc - 1 - in->a], &ts, &n);
        TRY(pop_vals(v, ts, n));
        return push_vals(v, ts, n);
    case OPC_BR_TABLE:
        return check_br_table(v, in);
    case OPC_RETURN:
        TRY(pop_vals(v, v->ft->types + v->ft->n_params, v->ft->n_results));
        set_unreachable(v);
        return 0;
    case OPC_CALL:
        if (in->a >= n_total_funcs(m)) return vfailu(v, "unknown function", in->a);
        ft = esgx_wasm_module_func_type(m, in->a);
        TRY(pop_vals(v, ft->types, ft->n_params));
        return push_vals(v, ft->types + ft->n_params, ft->n_results);
    default:   /* OPC_CALL_INDIRECT */
        TRY(check_table(v, in->b, &et));
        if (et != ESGX_WASM_FUNCREF) return vfail(v, "type mismatch", "call_indirect on a non-funcref table");
        if (in->a >= m->n_types) return vfailu(v, "unknown type", in->a);
        ft = &m->types[in->a];
        TRY(pop_expect(v, ESGX_WASM_I32, NULL));
        TRY(pop_vals(v, ft->types, ft->n_params));
        return push_vals(v, ft->types + ft->n_params, ft->n_results);
    }
}

/* drop, select, select t (CAT_PARAM) and the references (CAT_REF). */
static int check_parametric(esgx_wasm_body_checker *v, const esgx_wasm_instr *in)
{
    const esgx_wasm_module *m = v->m;
    uint8_t t = 0, t1 = 0, t2 = 0;
    switch (in->op) {
    case OPC_DROP:
        return pop(v, &t);
    case OPC_SELECT:
        TRY(pop_expect(v, ESGX_WASM_I32, NULL));
        TRY(pop(v, &t1));
        TRY(pop(v, &t2));
        if (!((is_num(t1) || t1 == UNKNOWN) && (is_num(t2) || t2 == UNKNOWN)))
            return vfail(v, "type mismatch", "select on reference types needs a type");
        if (t1 != t2 && t1 != UNKNOWN && t2 != UNKNOWN) return vfail(v, "type mismatch", NULL);
        return push(v, t1 == UNKNOWN ? t2 : t1);
    case OPC_SELECT_T:
        if (in->n != 1) return vfail(v, "invalid result arity", NULL);
        TRY(pop_expect(v, ESGX_WASM_I32, NULL));
        TRY(pop_expect(v, (uint8_t)in->a, NULL));
        TRY(pop_expect(v, (uint8_t)in->a, NULL));
        return push(v, (uint8_t)in->a);
    case OPC_REF_NULL:
        return push(v, (uint8_t)in->a);
    case OPC_REF_IS_NULL:
        TRY(pop(v, &t));
        if (t != UNKNOWN && !is_ref(t)) return vfail(v, "type mismatch", "ref.is_null");
        return push(v, ESGX_WASM_I32);
    default:   /* OPC_REF_FUNC */
        if (in->a >= n_total_funcs(m)) return vfailu(v, "unknown function", in->a);
        if (!(m->declared_funcs[in->a / 8] & (1u << (in->a % 8))))
            return vfailu(v, "undeclared function reference", in->a);
        return push(v, ESGX_WASM_FUNCREF);
    }
}

/* local.* and global.* (CAT_VAR). */
static int check_variable(esgx_wasm_body_checker *v, const esgx_wasm_instr *in)
{
    uint8_t t;
    if (in->op == OPC_LOCAL_GET || in->op == OPC_LOCAL_SET || in->op == OPC_LOCAL_TEE) {
        if ((uint64_t)in->a >= (uint64_t)v->ft->n_params + v->fd->n_locals)
            return vfailu(v, "unknown local", in->a);
        t = local_type(v, in->a);
        if (in->op == OPC_LOCAL_GET) return push(v, t);
        TRY(pop_expect(v, t, NULL));
        return in->op == OPC_LOCAL_TEE ? push(v, t) : 0;
    }
    if (in->a >= n_total_globals(v->m)) return vfailu(v, "unknown global", in->a);
    const esgx_wasm_global_type *g = global_at(v->vm, in->a);
    if (in->op == OPC_GLOBAL_GET) return push(v, (uint8_t)g->type);
    if (!g->mutable_) return vfailu(v, "global is immutable", in->a);
    return pop_expect(v, (uint8_t)g->type, NULL);
}

static int pop_three_i32(esgx_wasm_body_checker *v)
{
    TRY(pop_expect(v, ESGX_WASM_I32, NULL));
    TRY(pop_expect(v, ESGX_WASM_I32, NULL));
    return pop_expect(v, ESGX_WASM_I32, NULL);
}

/* table.* and elem.drop (CAT_TABLE). */
static int check_table_op(esgx_wasm_body_checker *v, const esgx_wasm_instr *in)
{
    /* set by check_table */
    esgx_wasm_valtype et = (esgx_wasm_valtype)0, et2 = (esgx_wasm_valtype)0;
    switch (in->op) {
    case OPC_TABLE_GET:
        TRY(check_table(v, in->a, &et));
        TRY(pop_expect(v, ESGX_WASM_I32, NULL));
        return push(v, (uint8_t)et);
    case OPC_TABLE_SET:
        TRY(check_table(v, in->a, &et));
        TRY(pop_expect(v, (uint8_t)et, NULL));
        return pop_expect(v, ESGX_WASM_I32, NULL);
    case OPC_TABLE_INIT:
        TRY(check_table(v, in->b, &et));
        TRY(check_elem(v, in->a));
        if (v->m->elems[in->a].elem_type != et) return vfail(v, "type mismatch", "table.init");
        return pop_three_i32(v);
    case OPC_ELEM_DROP:
        return check_elem(v, in->a);
    case OPC_TABLE_COPY:
        TRY(check_table(v, in->a, &et));
        TRY(check_table(v, in->b, &et2));
        if (et != et2) return vfail(v, "type mismatch", "table.copy");
        return pop_three_i32(v);
    case OPC_TABLE_GROW:
        TRY(check_table(v, in->a, &et));
        TRY(pop_expect(v, ESGX_WASM_I32, NULL));
        TRY(pop_expect(v, (uint8_t)et, NULL));
        return push(v, ESGX_WASM_I32);
    case OPC_TABLE_SIZE:
        TRY(check_table(v, in->a, NULL));
        return push(v, ESGX_WASM_I32);
    default:   /* OPC_TABLE_FILL */
        TRY(check_table(v, in->a, &et));
        TRY(pop_expect(v, ESGX_WASM_I32, NULL));
        TRY(pop_expect(v, (uint8_t)et, NULL));
        return pop_expect(v, ESGX_WASM_I32, NULL);
    }
}

/* memory.size, memory.grow, the bulk memory ops and data.drop (CAT_MEMORY). */
static int check_memory_op(esgx_wasm_body_checker *v, const esgx_wasm_instr *in,
                           const esgx_wasm_opinfo *oi)
{
    if (in->op == OPC_DATA_DROP) return check_data(v, in->a);
    TRY(check_mem(v, 0));
    if (in->op == OPC_MEMORY_INIT) {
        TRY(check_data(v, in->a));
        return pop_three_i32(v);
    }
    if (in->op == OPC_MEMORY_COPY || in->op == OPC_MEMORY_FILL) return pop_three_i32(v);
    if (oi->a) TRY(pop_expect(v, oi->a, NULL));   /* memory.grow */
    return push(v, oi->r);
}

/* Types one instruction by its row in wasm_opcodes.h: the signature columns for the
 * numeric operators, loads, stores and constants, a helper per category otherwise. */
static int check_instr(esgx_wasm_body_checker *v, const esgx_wasm_instr *in)
{
    const esgx_wasm_opinfo *oi = esgx_wasm_opinfo_of(in->op);
    if (!oi) return vfail(v, "illegal opcode", NULL);
    /* SIMD lane immediates: below the lane count (16 >> ARG), shuffle lanes below 32 */
    if ((oi->imm == IMM_LANE || oi->imm == IMM_MEMARG_LANE) && in->n >= (16u >> oi->arg))
        return vfail(v, "invalid lane index", NULL);
    if (oi->imm == IMM_SHUFFLE)
        for (int k = 0; k < 16; k++)
            if (in->vec[k] >= 32) return vfail(v, "invalid lane index", NULL);
    /* v128.bitselect: the third operand (the mask) the signature columns cannot say */
    if (oi->ck == KV_TERN) TRY(pop_expect(v, ESGX_WASM_V128, NULL));
    switch (oi->cat) {
    case CAT_LOAD: case CAT_STORE:
        TRY(check_mem(v, 0));
        if (in->a > oi->arg) return vfail(v, "alignment must not be larger than natural", NULL);
        /* fall through */
    case CAT_NUM: case CAT_CONST:
        if (oi->b) TRY(pop_expect(v, oi->b, NULL));
        if (oi->a) TRY(pop_expect(v, oi->a, NULL));
        return oi->r ? push(v, oi->r) : 0;
    case CAT_CTRL: return check_control(v, in);
    case CAT_PARAM: case CAT_REF: return check_parametric(v, in);
    case CAT_VAR: return check_variable(v, in);
    case CAT_TABLE: return check_table_op(v, in);
    case CAT_MEMORY: return check_memory_op(v, in, oi);
    default: return vfail(v, "illegal opcode", NULL);
    }
}

int esgx_wasm_body_checker_new(esgx_wasm_validator *vm, esgx_err *err, esgx_wasm_body_checker **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    (*out)->vm = vm;
    (*out)->m = vm->m;
    (*out)->err = err;
    const esgx_wasm_module *m = vm->m;
    (*out)->max_stack = m->limits.max_value_stack ? m->limits.max_value_stack : (1u << 20);
    return 0;
}

void esgx_wasm_body_checker_free(esgx_wasm_body_checker *v)
{
    if (!v) return;
    free(v->vals);
    free(v->ctrls);
    free(v->scratch);
    free(v);
}

int esgx_wasm_body_check_begin(esgx_wasm_body_checker *v, uint32_t i)
{
    const esgx_wasm_module *m = v->m;
    v->fd = &m->funcs[i];
    v->func = m->n_func_imports + i;
    v->ft = &m->types[v->fd->type];
    v->off = (size_t)(v->fd->code - m->bytes);
    v->nv = v->nc = 0;
    v->ops = 0;
    return push_ctrl(v, CTRL_FUNC, 0, 0);
}

int esgx_wasm_body_check_instr(esgx_wasm_body_checker *v, const esgx_wasm_instr *in, size_t off)
{
    v->off = off;
    if (v->nc == 0) return vfail(v, "type mismatch", "instructions after the final end");
    TRY(check_instr(v, in));
    if (v->ops > atomic_load_explicit(&v->vm->ops_left, memory_order_relaxed))
        return esgx_err_set(v->err, ESGX_WASM_E_LIMIT,
                            "module too costly to validate (function %u, offset %zu)",
                            v->func, v->off);
    return 0;
}

int esgx_wasm_body_check_end(esgx_wasm_body_checker *v)
{
    /* take this body's operations from the budget shared by all bodies (and threads) */
    uint64_t left = atomic_load(&v->vm->ops_left);
    do {
        if (v->ops > left)
            return esgx_err_set(v->err, ESGX_WASM_E_LIMIT,
                                "module too costly to validate (function %u)", v->func);
    } while (!atomic_compare_exchange_weak(&v->vm->ops_left, &left, left - v->ops));
    if (v->nc != 0) return vfail(v, "type mismatch", "missing end");
    return 0;
}

/* The whole body of defined function i, read here. */
static int validate_body(esgx_wasm_body_checker *v, uint32_t i)
{
    TRY(esgx_wasm_body_check_begin(v, i));
    const esgx_wasm_func_decl *fd = v->fd;
    esgx_wasm_reader r = {.p = fd->code, .end = fd->code + fd->code_len, .base = v->m->bytes,
                     .where = "code section", .in_section = true, .err = v->err};
    esgx_wasm_instr in;
    while (r.p < r.end) {
        size_t off = (size_t)(r.p - r.base);
        v->off = off;
        if (v->nc == 0) return vfail(v, "type mismatch", "instructions after the final end");
        TRY(esgx_wasm_read_instr(&r, &in));
        TRY(esgx_wasm_body_check_instr(v, &in, off));
    }
    return esgx_wasm_body_check_end(v);
}
