/*
 * instance.c: instantiation (import type checks, globals, tables, memories, element
 * and data segments, start function) and export lookup.
 *
 * Order (the spec's, with bulk-memory semantics): imports are checked first
 * ("incompatible import type"); then function objects, globals (constant expressions
 * evaluated in order), tables and memories are made; element segments are resolved
 * to references; active element segments are copied into their tables and active
 * data segments into memory, in order, each checked as a whole before it is copied
 * (the first one out of bounds traps, earlier ones stay applied, as the spec says);
 * active and declarative segments are then dropped; finally the start function runs.
 */
#include "wasm_exec.h"
#include "wasm_binary.h"

#include <stdlib.h>

/* Evaluates a constant expression of inst (globals [0, n_globals) usable) into out[0]
 * (a v128: out[0] and out[1]). */
static int eval_const(esgx_wasm_instance *inst, const esgx_wasm_const_expr *e, uint64_t *out,
                      esgx_err *err)
{
    uint64_t hi[16];   /* the high halves of v128 values */
    esgx_wasm_reader r = {e->code, e->code + e->len, inst->m->bytes, "constant expression",
                     true, err};
    uint64_t st[16];
    unsigned n = 0;
    esgx_wasm_instr in;
    while (r.p < r.end) {
        int rc = esgx_wasm_read_instr(&r, &in);
        if (rc) return rc;
        switch (in.op) {
        case OPC_END:
            if (n != 1) break;
            out[0] = st[0];
            out[1] = hi[0];
            return ESGX_OK;
        case OPC_I32_CONST: case OPC_F32_CONST: hi[n] = 0; st[n++] = (uint32_t)in.bits; break;
        case OPC_I64_CONST: case OPC_F64_CONST: hi[n] = 0; st[n++] = in.bits; break;
        case OPC_REF_NULL: hi[n] = 0; st[n++] = 0; break;
        case OPC_REF_FUNC: hi[n] = 0; st[n++] = (uint64_t)(uintptr_t)inst->funcs[in.a]; break;
        case OPC_GLOBAL_GET:
            hi[n] = inst->globals[in.a]->val_hi;
            st[n++] = inst->globals[in.a]->val;
            break;
        case OPC_V128_CONST:
            memcpy(&st[n], in.vec, 8);
            memcpy(&hi[n++], in.vec + 8, 8);
            break;
        case OPC_I32_ADD: case OPC_I32_SUB: case OPC_I32_MUL:
        case OPC_I64_ADD: case OPC_I64_SUB: case OPC_I64_MUL: {
            if (n < 2) goto bad;
            uint64_t b = st[--n], a = st[n - 1], v;
            switch (in.op) {
            case OPC_I32_ADD: v = (uint32_t)(a + b); break;
            case OPC_I32_SUB: v = (uint32_t)(a - b); break;
            case OPC_I32_MUL: v = (uint32_t)((uint32_t)a * (uint32_t)b); break;
            case OPC_I64_ADD: v = a + b; break;
            case OPC_I64_SUB: v = a - b; break;
            default: v = a * b; break;   /* OPC_I64_MUL */
            }
            st[n - 1] = v;
            break;
        }
        default:
            goto bad;
        }
        if (n >= 16) goto bad;
    }
bad:
    return esgx_err_set(err, ESGX_WASM_E_INVALID, "unsupported constant expression");
}

static int incompatible(esgx_err *err, const esgx_wasm_import_decl *imp)
{
    return esgx_err_set(err, ESGX_WASM_E_UNLINKABLE, "incompatible import type (%.*s.%.*s)",
                        (int)imp->module_len, imp->module, (int)imp->name_len, imp->name);
}

static bool limits_match(uint64_t size, bool has_max, uint64_t max,
                         const esgx_wasm_limits_decl *want)
{
    if (size < want->min) return false;
    if (want->has_max) {
        if (!has_max || max > want->max) return false;
    }
    return true;
}

/* Allocates the instance and its index spaces in the store; interns the types. */
static int instance_alloc(esgx_wasm_store *s, const esgx_wasm_module *m,
                          esgx_wasm_instance **out, esgx_err *err)
{
    uint32_t nf = m->n_func_imports + m->n_funcs;
    uint32_t nt = m->n_table_imports + m->n_tables;
    uint32_t nm = m->n_memory_imports + m->n_memories;
    uint32_t ng = m->n_global_imports + m->n_globals;
    esgx_wasm_instance *inst = esgx_wasm_store_alloc(s, sizeof *inst);
    if (!inst) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    inst->store = s;
    inst->m = m;
    inst->funcs = esgx_wasm_store_alloc(s, (size_t)nf * sizeof *inst->funcs);
    inst->tables = esgx_wasm_store_alloc(s, (size_t)nt * sizeof *inst->tables);
    inst->mems = esgx_wasm_store_alloc(s, (size_t)nm * sizeof *inst->mems);
    inst->globals = esgx_wasm_store_alloc(s, (size_t)ng * sizeof *inst->globals);
    inst->type_ids = esgx_wasm_store_alloc(s, (size_t)m->n_types * sizeof *inst->type_ids);
    inst->elem_refs = esgx_wasm_store_alloc(s, (size_t)m->n_elems * sizeof *inst->elem_refs);
    inst->elem_len = esgx_wasm_store_alloc(s, (size_t)m->n_elems * sizeof *inst->elem_len);
    inst->data_len = esgx_wasm_store_alloc(s, (size_t)m->n_datas * sizeof *inst->data_len);
    if (!inst->funcs || !inst->tables || !inst->mems || !inst->globals || !inst->type_ids ||
        !inst->elem_refs || !inst->elem_len || !inst->data_len)
        return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    for (uint32_t i = 0; i < m->n_types; i++) {
        inst->type_ids[i] = esgx_wasm_store_intern_type(s, m->types[i].n_params,
                                                   m->types[i].n_results, m->types[i].types);
        if (inst->type_ids[i] == UINT32_MAX)
            return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    }
    *out = inst;
    return ESGX_OK;
}

/* Checks each import against its declaration and places it in its index space. */
static int link_imports(esgx_wasm_instance *inst, const esgx_wasm_extern *imports,
                        uint32_t idx[4], esgx_err *err)
{
    const esgx_wasm_module *m = inst->m;
    for (uint32_t i = 0; i < m->n_imports; i++) {
        const esgx_wasm_import_decl *imp = &m->imports[i];
        const esgx_wasm_extern *x = &imports[i];
        if (x->kind != imp->kind || !x->ptr) return incompatible(err, imp);
        switch (imp->kind) {
        case ESGX_WASM_EXTERN_FUNC: {
            esgx_wasm_func_obj *f = x->ptr;
            if (f->type_id != inst->type_ids[imp->desc.func_type]) return incompatible(err, imp);
            inst->funcs[idx[0]++] = f;
            break;
        }
        case ESGX_WASM_EXTERN_TABLE: {
            esgx_wasm_table_obj *t = x->ptr;
            if (t->elem_type != imp->desc.table.elem_type ||
                !limits_match(t->size, t->has_max, t->max, &imp->desc.table.limits))
                return incompatible(err, imp);
            inst->tables[idx[1]++] = t;
            break;
        }
        case ESGX_WASM_EXTERN_MEMORY: {
            esgx_wasm_memory_obj *mo = x->ptr;
            if (!limits_match(mo->pages, mo->has_max, mo->max_pages, &imp->desc.memory))
                return incompatible(err, imp);
            inst->mems[idx[2]++] = mo;
            break;
        }
        case ESGX_WASM_EXTERN_GLOBAL: {
            esgx_wasm_global_obj *g = x->ptr;
            if (g->type != imp->desc.global.type || g->mutable_ != imp->desc.global.mutable_)
                return incompatible(err, imp);
            inst->globals[idx[3]++] = g;
            break;
        }
        }
    }
    return ESGX_OK;
}

/* Makes the module's own functions, globals, tables and memories after the imports. */
static int make_defined(esgx_wasm_instance *inst, uint32_t idx[4], esgx_err *err)
{
    const esgx_wasm_module *m = inst->m;
    esgx_wasm_store *s = inst->store;
    for (uint32_t i = 0; i < m->n_funcs; i++) {
        esgx_wasm_func_obj *f = esgx_wasm_store_alloc(s, sizeof *f);
        if (!f) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        f->type_id = inst->type_ids[m->funcs[i].type];
        f->inst = inst;
        f->code = &((const esgx_wasm_compiled *)m->compiled)->codes[i];
        f->type = s->types[f->type_id];
        f->param_slots = f->code->n_params;
        f->result_slots = f->code->n_results;
        inst->funcs[idx[0]++] = f;
    }
    for (uint32_t i = 0; i < m->n_globals; i++) {
        esgx_wasm_global_obj *g = esgx_wasm_store_alloc(s, sizeof *g);
        if (!g) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        g->type = m->globals[i].type.type;
        g->mutable_ = m->globals[i].type.mutable_;
        uint64_t v[2];
        int rc = eval_const(inst, &m->globals[i].init, v, err);
        g->val = v[0];
        g->val_hi = v[1];
        if (rc) return rc;
        inst->globals[idx[3]++] = g;
    }
    for (uint32_t i = 0; i < m->n_tables; i++) {
        const esgx_wasm_table_type *tt = &m->tables[i];
        int rc = esgx_wasm_table_make(s, tt->elem_type, tt->limits.min, tt->limits.max,
                                 tt->limits.has_max, &inst->tables[idx[1]++], err);
        if (rc) return rc;
    }
    for (uint32_t i = 0; i < m->n_memories; i++) {
        const esgx_wasm_limits_decl *ld = &m->memories[i];
        int rc = esgx_wasm_memory_make(s, ld->min, ld->max, ld->has_max, &inst->mems[idx[2]++], err);
        if (rc) return rc;
    }
    inst->mem = idx[2] ? inst->mems[0] : &esgx_wasm_no_memory;
    return ESGX_OK;
}

/* Resolves every element segment to references (function indices or constant
 * expressions) and records the length of every segment. */
static int resolve_segments(esgx_wasm_instance *inst, esgx_err *err)
{
    const esgx_wasm_module *m = inst->m;
    for (uint32_t i = 0; i < m->n_elems; i++) {
        const esgx_wasm_elem_segment *es = &m->elems[i];
        esgx_wasm_ref *refs = esgx_wasm_store_alloc(inst->store, (size_t)es->n_elems * sizeof *refs);
        if (!refs) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        for (uint32_t k = 0; k < es->n_elems; k++) {
            if (es->func_indices) {
                refs[k] = (esgx_wasm_ref)inst->funcs[es->func_indices[k]];
            } else {
                uint64_t v[2];
                int rc = eval_const(inst, &es->exprs[k], v, err);
                if (rc) return rc;
                refs[k] = (esgx_wasm_ref)v[0];
            }
        }
        inst->elem_refs[i] = refs;
        inst->elem_len[i] = es->n_elems;
    }
    for (uint32_t i = 0; i < m->n_datas; i++) inst->data_len[i] = m->datas[i].len;
    return ESGX_OK;
}

/* Applies the active element segments, then the active data segments (a segment out
 * of bounds traps); active and declarative segments are dropped afterwards. */
static int apply_segments(esgx_wasm_instance *inst, esgx_wasm_trap *trap, esgx_err *err)
{
    const esgx_wasm_module *m = inst->m;
    for (uint32_t i = 0; i < m->n_elems; i++) {
        const esgx_wasm_elem_segment *es = &m->elems[i];
        if (es->mode == ESGX_WASM_SEGMENT_ACTIVE) {
            uint64_t ov[2];
            int rc = eval_const(inst, &es->offset, ov, err);
            if (rc) return rc;
            uint64_t off = ov[0];
            esgx_wasm_table_obj *t = inst->tables[es->table];
            if ((uint64_t)(uint32_t)off + es->n_elems > t->size) {
                if (trap) *trap = ESGX_WASM_TRAP_TABLE_OOB;
                return esgx_err_set(err, ESGX_WASM_E_TRAP, "out of bounds table access");
            }
            if (es->n_elems)
                memcpy(t->elems + (uint32_t)off, inst->elem_refs[i],
                       (size_t)es->n_elems * sizeof(esgx_wasm_ref));
        }
        if (es->mode != ESGX_WASM_SEGMENT_PASSIVE) inst->elem_len[i] = 0;
    }
    for (uint32_t i = 0; i < m->n_datas; i++) {
        const esgx_wasm_data_segment *ds = &m->datas[i];
        if (ds->mode != ESGX_WASM_SEGMENT_ACTIVE) continue;
        uint64_t ov[2];
        int rc = eval_const(inst, &ds->offset, ov, err);
        if (rc) return rc;
        uint64_t off = ov[0];
        esgx_wasm_memory_obj *mo = inst->mems[ds->memory];
        if ((uint64_t)(uint32_t)off + ds->len > mo->size) {
            if (trap) *trap = ESGX_WASM_TRAP_MEMORY_OOB;
            return esgx_err_set(err, ESGX_WASM_E_TRAP, "out of bounds memory access");
        }
        if (ds->len) memcpy(mo->data + (uint32_t)off, ds->bytes, ds->len);
        inst->data_len[i] = 0;
    }
    return ESGX_OK;
}

int esgx_wasm_instance_new(esgx_wasm_store *s, const esgx_wasm_module *m, const esgx_wasm_extern *imports,
                      size_t n_imports, esgx_wasm_instance **out, esgx_wasm_trap *trap,
                      esgx_err *err)
{
    if (trap) *trap = ESGX_WASM_TRAP_NONE;
    if (!s || !m || !out || (n_imports && !imports))
        return esgx_err_set(err, ESGX_WASM_E_ARG, "wasm_instance_new: NULL argument");
    *out = NULL;
    if (n_imports != m->n_imports)
        return esgx_err_set(err, ESGX_WASM_E_UNLINKABLE, "unknown import: %zu given, %u expected",
                            n_imports, m->n_imports);
    esgx_wasm_instance *inst = NULL;
    uint32_t idx[4] = {0, 0, 0, 0};   /* next function, table, memory, global index */
    int rc = instance_alloc(s, m, &inst, err);
    if (!rc) rc = link_imports(inst, imports, idx, err);
    if (!rc) rc = make_defined(inst, idx, err);
    if (!rc) rc = resolve_segments(inst, err);
    if (!rc) rc = apply_segments(inst, trap, err);
    if (rc) return rc;
    if (m->has_start) {
        esgx_wasm_func_obj *f = inst->funcs[m->start];
        uint64_t slots[1] = {0};
        s->trap = ESGX_WASM_TRAP_NONE;
        if (esgx_wasm_exec_call(s, f, slots)) {
            if (trap) *trap = s->trap;
            return esgx_err_set(err, ESGX_WASM_E_TRAP, "%s", s->trap_msg);
        }
    }
    *out = inst;
    return ESGX_OK;
}

int esgx_wasm_instance_export(const esgx_wasm_instance *inst, const char *name, size_t name_len,
                         esgx_wasm_extern *out)
{
    if (!inst || !out || (!name && name_len)) return ESGX_WASM_E_ARG;
    const esgx_wasm_module *m = inst->m;
    for (uint32_t i = 0; i < m->n_exports; i++) {
        const esgx_wasm_export_decl *e = &m->exports[i];
        if (e->name_len != name_len || memcmp(e->name, name, name_len)) continue;
        out->kind = e->kind;
        switch (e->kind) {
        case ESGX_WASM_EXTERN_FUNC: out->ptr = inst->funcs[e->index]; break;
        case ESGX_WASM_EXTERN_TABLE: out->ptr = inst->tables[e->index]; break;
        case ESGX_WASM_EXTERN_MEMORY: out->ptr = inst->mems[e->index]; break;
        case ESGX_WASM_EXTERN_GLOBAL: out->ptr = inst->globals[e->index]; break;
        }
        return ESGX_OK;
    }
    return ESGX_WASM_E_NOT_FOUND;
}
