/*
 * exec_ops.c: the internal ops that both tiers run as a function call on the frame
 * (memory.grow, bulk memory, tables, ref.func; wasm_exec.h), so that their bounds
 * checks, fuel charges and results are written once. The interpreter calls
 * esgx_wasm_exec_bulk from its handlers; the compiler tier from esgx_jit_op_slow.
 */
#include "wasm_exec.h"

const char *esgx_wasm_trap_message(esgx_wasm_trap kind)
{
    switch (kind) {
    case ESGX_WASM_TRAP_UNREACHABLE: return "unreachable";
    case ESGX_WASM_TRAP_MEMORY_OOB: return "out of bounds memory access";
    case ESGX_WASM_TRAP_TABLE_OOB: return "out of bounds table access";
    case ESGX_WASM_TRAP_DIV_ZERO: return "integer divide by zero";
    case ESGX_WASM_TRAP_INT_OVERFLOW: return "integer overflow";
    case ESGX_WASM_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case ESGX_WASM_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case ESGX_WASM_TRAP_OUT_OF_FUEL: return "out of fuel";
    default: return "trap";
    }
}

#define O(k) ip[2 + (k)]
#define U(k) ((uint32_t)fp[O(k)])

/* charges c from *fuel; false when there is not enough */
static bool charge(uint64_t *fuel, uint64_t c)
{
    if (*fuel < c) return false;
    *fuel -= c;
    return true;
}

static esgx_wasm_trap memory_op(esgx_wasm_store *s, esgx_wasm_instance *inst, uint64_t *fp,
                                const uint32_t *ip, int op, uint64_t *fuel)
{
    esgx_wasm_memory_obj *mo = inst->mem;
    uint8_t *mem = mo->data;
    uint64_t memsize = mo->size;
    switch (op) {
    case WOP_MEM_GROW: {
        uint32_t d = U(1), maxp = mo->max_pages;
        if (maxp > s->limits.max_memory_pages) maxp = s->limits.max_memory_pages;
        int64_t r = -1;
        if (d <= maxp && mo->pages <= maxp - d) {
            if (!charge(fuel, (uint64_t)d * 64)) return ESGX_WASM_TRAP_OUT_OF_FUEL;
            r = esgx_wasm_memory_grow(s, mo, d);
        }
        fp[O(0)] = (uint32_t)(int32_t)r;
        return ESGX_WASM_TRAP_NONE;
    }
    case WOP_MEM_INIT: {
        uint32_t d = U(0), src = U(1), n = U(2), seg = O(3);
        if ((uint64_t)src + n > inst->data_len[seg] || (uint64_t)d + n > memsize)
            return ESGX_WASM_TRAP_MEMORY_OOB;
        if (!charge(fuel, ((uint64_t)n + 63) / 64)) return ESGX_WASM_TRAP_OUT_OF_FUEL;
        if (n) memcpy(mem + d, inst->m->datas[seg].bytes + src, n);
        return ESGX_WASM_TRAP_NONE;
    }
    case WOP_DATA_DROP:
        inst->data_len[O(0)] = 0;
        return ESGX_WASM_TRAP_NONE;
    case WOP_MEM_COPY: {
        uint32_t d = U(0), src = U(1), n = U(2);
        if ((uint64_t)src + n > memsize || (uint64_t)d + n > memsize) return ESGX_WASM_TRAP_MEMORY_OOB;
        if (!charge(fuel, ((uint64_t)n + 63) / 64)) return ESGX_WASM_TRAP_OUT_OF_FUEL;
        if (n) memmove(mem + d, mem + src, n);
        return ESGX_WASM_TRAP_NONE;
    }
    case WOP_MEM_FILL: {
        uint32_t d = U(0), v = U(1), n = U(2);
        if ((uint64_t)d + n > memsize) return ESGX_WASM_TRAP_MEMORY_OOB;
        if (!charge(fuel, ((uint64_t)n + 63) / 64)) return ESGX_WASM_TRAP_OUT_OF_FUEL;
        if (n) memset(mem + d, (int)(uint8_t)v, n);
        return ESGX_WASM_TRAP_NONE;
    }
    default:
        return ESGX_WASM_TRAP_HOST;   /* not a memory op */
    }
}

/* table.grow/fill/copy/init: bounds, then the charge, then the work */
static esgx_wasm_trap table_bulk(esgx_wasm_store *s, esgx_wasm_instance *inst, uint64_t *fp,
                                 const uint32_t *ip, int op, uint64_t *fuel)
{
    esgx_wasm_table_obj *t = inst->tables[O(3)];
    uint32_t d = U(0), src = U(1), n = U(2);
    uint64_t cost = ((uint64_t)n + 15) / 16;
    switch (op) {
    case WOP_TABLE_GROW: {
        uint64_t maxe = t->max;
        if (maxe > s->limits.max_table_elems) maxe = s->limits.max_table_elems;
        int64_t r = -1;
        if ((uint64_t)t->size + n <= maxe) {
            if (!charge(fuel, cost)) return ESGX_WASM_TRAP_OUT_OF_FUEL;
            r = esgx_wasm_table_grow(s, t, n, (esgx_wasm_ref)fp[O(1)]);
        }
        fp[O(0)] = (uint32_t)(int32_t)r;
        return ESGX_WASM_TRAP_NONE;
    }
    case WOP_TABLE_FILL:
        if ((uint64_t)d + n > t->size) return ESGX_WASM_TRAP_TABLE_OOB;
        if (!charge(fuel, cost)) return ESGX_WASM_TRAP_OUT_OF_FUEL;
        for (uint32_t k = 0; k < n; k++) t->elems[d + k] = (esgx_wasm_ref)fp[O(1)];
        return ESGX_WASM_TRAP_NONE;
    case WOP_TABLE_COPY: {
        esgx_wasm_table_obj *from = inst->tables[O(4)];
        if ((uint64_t)src + n > from->size || (uint64_t)d + n > t->size) return ESGX_WASM_TRAP_TABLE_OOB;
        if (!charge(fuel, cost)) return ESGX_WASM_TRAP_OUT_OF_FUEL;
        if (n) memmove(t->elems + d, from->elems + src, (size_t)n * sizeof(esgx_wasm_ref));
        return ESGX_WASM_TRAP_NONE;
    }
    default: {   /* WOP_TABLE_INIT */
        uint32_t seg = O(4);
        if ((uint64_t)src + n > inst->elem_len[seg] || (uint64_t)d + n > t->size)
            return ESGX_WASM_TRAP_TABLE_OOB;
        if (!charge(fuel, cost)) return ESGX_WASM_TRAP_OUT_OF_FUEL;
        if (n) memcpy(t->elems + d, inst->elem_refs[seg] + src, (size_t)n * sizeof(esgx_wasm_ref));
        return ESGX_WASM_TRAP_NONE;
    }
    }
}

esgx_wasm_trap esgx_wasm_exec_bulk(esgx_wasm_store *s, esgx_wasm_instance *inst, uint64_t *fp,
                                   const uint32_t *ip, int op, uint64_t *fuel)
{
    switch (op) {
    case WOP_TABLE_GET: {
        esgx_wasm_table_obj *t = inst->tables[O(2)];
        if (U(1) >= t->size) return ESGX_WASM_TRAP_TABLE_OOB;
        fp[O(0)] = (uint64_t)t->elems[U(1)];
        return ESGX_WASM_TRAP_NONE;
    }
    case WOP_TABLE_SET: {
        esgx_wasm_table_obj *t = inst->tables[O(0)];
        if (U(1) >= t->size) return ESGX_WASM_TRAP_TABLE_OOB;
        t->elems[U(1)] = (esgx_wasm_ref)fp[O(2)];
        return ESGX_WASM_TRAP_NONE;
    }
    case WOP_TABLE_SIZE:
        fp[O(0)] = inst->tables[O(1)]->size;
        return ESGX_WASM_TRAP_NONE;
    case WOP_TABLE_GROW: case WOP_TABLE_FILL: case WOP_TABLE_COPY: case WOP_TABLE_INIT:
        return table_bulk(s, inst, fp, ip, op, fuel);
    case WOP_ELEM_DROP:
        inst->elem_len[O(0)] = 0;
        return ESGX_WASM_TRAP_NONE;
    case WOP_REF_FUNC:
        fp[O(0)] = (uint64_t)(uintptr_t)inst->funcs[O(1)];
        return ESGX_WASM_TRAP_NONE;
    default:
        return memory_op(s, inst, fp, ip, op, fuel);
    }
}
