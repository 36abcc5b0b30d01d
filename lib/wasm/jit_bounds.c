/*
 * jit_bounds.c: what the code generator (jit_ops.c) knows about the address slots of
 * memory accesses while it emits a straight run of code, so that an access proven in
 * bounds by an earlier check needs none of its own (docs/wasm.md, "Bounds checks").
 *
 * Two kinds of facts, kept in small fixed tables (a fact that does not fit is simply
 * forgotten, which is always safe):
 * - a proof (slot s, h): u32(s) + h <= the memory's size. A check establishes it;
 *   memory never shrinks, so only a write of s ends it (calls and memory.grow do not,
 *   beyond the slots they write).
 * - an alias (slot d, base b, k): u32(d) == u32(u32(b) + k), made by an i32 add of a
 *   small constant or a copy. With a proof (b, h >= k + x) the add cannot have
 *   wrapped, so an access of d at x bytes past it is in bounds. A write of d or b ends
 *   it. Aliases are facts about values, the same on every path through the code.
 * Everything is forgotten where paths meet (a branch target: jit_ops.c resets).
 *
 * esgx_jit_bounds_window looks ahead from an access for the later accesses off the
 * same base that one check of the largest extent covers (the merged check of
 * jit_ops.c), within a window of plain instructions: no branch target, no call or
 * helper, no unconditional jump, and the base not written.
 */
#include "jit_internal.h"

#include <stdlib.h>
#include <string.h>

/* Largest constant an alias carries: sums of them and of access extents stay far from
 * overflowing 64 bits and the codegen's 32-bit displacements check their own range. */
#define ALIAS_K_MAX ((uint64_t)1 << 30)
/* Instructions a merged check looks ahead (bounds the code its slow copy takes). */
#define WINDOW_OPS 32u

bool esgx_jit_access(const uint32_t *ip, int op, esgx_jit_acc *acc)
{
    static const uint8_t lsize[LOAD_COUNT_] = {
        [LOAD_32] = 4, [LOAD_64] = 8, [LOAD_8S32] = 1, [LOAD_8U] = 1, [LOAD_16S32] = 2,
        [LOAD_16U] = 2, [LOAD_8S64] = 1, [LOAD_16S64] = 2, [LOAD_32S64] = 4};
    static const uint8_t ssize[STORE_COUNT_] = {[STORE_8] = 1, [STORE_16] = 2, [STORE_32] = 4,
                                                [STORE_64] = 8};
    const esgx_wasm_iop_class *k = &esgx_wasm_iop_class_of[op];
    const uint32_t *o = ip + ESGX_WASM_OP_HEAD;
    bool folded = k->form == MF_A;
    if (k->family == IOPF_LOAD) {
        acc->slot = o[1];
        acc->size = lsize[k->index];
    } else if (k->family == IOPF_STORE) {
        acc->slot = o[0];
        acc->size = ssize[k->index];
    } else {
        return false;
    }
    acc->add = folded ? o[2] : 0;
    acc->off = folded ? o[3] : o[2];
    return true;
}

void esgx_jit_bounds_reset(esgx_jit_bounds *b)
{
    b->n_pr = 0;
    b->n_al = 0;
}

uint64_t esgx_jit_bounds_proven(const esgx_jit_bounds *b, uint32_t slot)
{
    for (uint32_t i = 0; i < b->n_pr; i++)
        if (b->pr[i].slot == slot) return b->pr[i].h;
    return 0;
}

void esgx_jit_bounds_prove(esgx_jit_bounds *b, uint32_t slot, uint64_t h)
{
    for (uint32_t i = 0; i < b->n_pr; i++) {
        if (b->pr[i].slot != slot) continue;
        if (h > b->pr[i].h) b->pr[i].h = h;
        return;
    }
    if (b->n_pr == ESGX_JIT_PROOFS) {   /* forget the oldest */
        memmove(&b->pr[0], &b->pr[1], (ESGX_JIT_PROOFS - 1) * sizeof b->pr[0]);
        b->n_pr--;
    }
    b->pr[b->n_pr].slot = slot;
    b->pr[b->n_pr].h = h;
    b->n_pr++;
}

void esgx_jit_bounds_meet(esgx_jit_bounds *b, const esgx_jit_bounds *other)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->n_pr; i++) {
        uint64_t h = esgx_jit_bounds_proven(other, b->pr[i].slot);
        if (h > b->pr[i].h) h = b->pr[i].h;
        if (!h) continue;
        b->pr[n].slot = b->pr[i].slot;
        b->pr[n].h = h;
        n++;
    }
    b->n_pr = n;
}

void esgx_jit_bounds_resolve(const esgx_jit_bounds *b, uint32_t slot, uint32_t *base, uint64_t *k)
{
    for (uint32_t i = 0; i < b->n_al; i++) {
        if (b->al[i].dst != slot) continue;
        *base = b->al[i].src;
        *k = b->al[i].k;
        return;
    }
    *base = slot;
    *k = 0;
}

/* Slot s changes: its proof and every alias of it or to it end. */
static void kill(esgx_jit_bounds *b, uint32_t s)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->n_pr; i++)
        if (b->pr[i].slot != s) b->pr[n++] = b->pr[i];
    b->n_pr = n;
    n = 0;
    for (uint32_t i = 0; i < b->n_al; i++)
        if (b->al[i].dst != s && b->al[i].src != s) b->al[n++] = b->al[i];
    b->n_al = n;
}

/* Slots from `from` up change (a call's arguments and the callee's frame). */
static void kill_from(esgx_jit_bounds *b, uint32_t from)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < b->n_pr; i++)
        if (b->pr[i].slot < from) b->pr[n++] = b->pr[i];
    b->n_pr = n;
    n = 0;
    for (uint32_t i = 0; i < b->n_al; i++)
        if (b->al[i].dst < from && b->al[i].src < from) b->al[n++] = b->al[i];
    b->n_al = n;
}

/* d = u32(s + imm) has just been computed (s read before d was written) */
static void alias(esgx_jit_bounds *b, uint32_t d, uint32_t s, uint32_t imm)
{
    uint32_t base;
    uint64_t k;
    esgx_jit_bounds_resolve(b, s, &base, &k);
    kill(b, d);
    k += imm;
    if (imm > ALIAS_K_MAX || k > ALIAS_K_MAX || base == d) return;
    if (b->n_al == ESGX_JIT_ALIASES) {
        memmove(&b->al[0], &b->al[1], (ESGX_JIT_ALIASES - 1) * sizeof b->al[0]);
        b->n_al--;
    }
    b->al[b->n_al].dst = d;
    b->al[b->n_al].src = base;
    b->al[b->n_al].k = k;
    b->n_al++;
}

void esgx_jit_bounds_after(esgx_jit_bounds *b, const uint32_t *ip, int op)
{
    const uint32_t *o = ip + ESGX_WASM_OP_HEAD;
    switch (op) {
    case WOP_CALL: kill_from(b, o[2]); return;
    case WOP_CALL_IMPORT: kill_from(b, o[1]); return;
    case WOP_CALL_INDIRECT: kill_from(b, o[2]); return;
    case WOP_I32_ADD_I: alias(b, o[0], o[1], o[2]); return;
    case WOP_COPY: alias(b, o[0], o[1], 0); return;
    case WOP_ADDI2:
        alias(b, o[0], o[1], o[2]);
        alias(b, o[3], o[4], o[5]);
        return;
    case WOP_MEM_GROW: kill(b, o[0]); return;   /* memory only grows: proofs stay */
    default: break;
    }
    if (esgx_jit_op_reads_frame(op)) {   /* a helper or template may write any slot */
        esgx_jit_bounds_reset(b);
        return;
    }
    const char *f = esgx_wasm_iop_format[op];
    for (int k = 0; f[k]; k++) {
        if (f[k] == 'd') kill(b, o[k]);
        if (f[k] == 'D') {
            kill(b, o[k]);
            kill(b, o[k] + 1);
        }
    }
}

int esgx_jit_loops(const esgx_wasm_code *code, uint8_t *in_loop)
{
    uint32_t n = code->n_words;
    int32_t *diff = calloc((size_t)n + 1, sizeof *diff);
    if (!diff) return ESGX_WASM_E_NOMEM;
    const uint32_t *w = code->words;
    for (uint32_t at = 0, i = 0; i < code->n_ops; i++) {
        int op = code->ops[i];
        uint32_t width = esgx_jit_op_width(w + at, op);
        const char *f = esgx_wasm_iop_format[op];
        for (int k = 0; f[k]; k++) {
            uint32_t cnt = f[k] == 'o' ? 1 : f[k] == 'n' ? w[at + ESGX_WASM_OP_HEAD + k] + 1 : 0;
            const uint32_t *offs = w + at + ESGX_WASM_OP_HEAD + k + (f[k] == 'n');
            for (uint32_t j = 0; j < cnt; j++) {
                int64_t t = (int64_t)at + (int32_t)offs[j];
                if (t < 0 || t > at) continue;
                diff[t]++;
                diff[at + width]--;
            }
        }
        at += width;
    }
    int32_t depth = 0;
    for (uint32_t at = 0; at < n; at++) {
        depth += diff[at];
        in_loop[at] = depth > 0;
    }
    free(diff);
    return ESGX_OK;
}

/* Whether op may sit inside a merged check's window: it falls through (or branches on
 * a condition), and reads and writes only its own operands. */
static bool window_op(int op)
{
    switch (op) {
    case WOP_CALL: case WOP_CALL_IMPORT: case WOP_CALL_INDIRECT: case WOP_BR: case WOP_BR_L:
    case WOP_BR_TABLE: case WOP_RET0: case WOP_RET1: case WOP_UNREACHABLE: case WOP_EXIT:
        return false;
    default:
        return !esgx_jit_op_reads_frame(op);
    }
}

/* Whether op has no effect but on its destination slots and cannot trap but for a
 * load out of bounds: no store, global write, fuel charge, division or branch. */
static bool pure_op(int op)
{
    const esgx_wasm_iop_class *c = &esgx_wasm_iop_class_of[op];
    switch (c->family) {
    case IOPF_IBIN_I32: case IOPF_IBIN_I64: case IOPF_FCMP_F32: case IOPF_FCMP_F64:
    case IOPF_FLOAT_F32: case IOPF_FLOAT_F64: case IOPF_FK_F32: case IOPF_FK_F64:
    case IOPF_FCONV_F32: case IOPF_FCONV_F64: case IOPF_LOAD:
        return true;
    case IOPF_ICMP_I32: case IOPF_ICMP_I64:
        return c->form == CF_SET || c->form == CF_SET_I;
    default: break;
    }
    switch (op) {
    case WOP_NOP: case WOP_COPY: case WOP_COPY2: case WOP_ADDI2: case WOP_CONST32:
    case WOP_CONST64: case WOP_SELECT: case WOP_SELECT64: case WOP_GLOBAL_GET:
    case WOP_MEM_SIZE: case WOP_I32_EQZ: case WOP_I64_EQZ: case WOP_I32_MULI_ADDI:
    case WOP_I64_MULI_ADDI: case WOP_I32_MULADD: case WOP_I64_MULADD: case WOP_I32_ROTLI_XOR:
    case WOP_I32_ROT2_XOR: case WOP_I32_SHRUI_XOR: case WOP_I32_WRAP: case WOP_I64_EXTEND_I32S:
        return true;
    default:
        return false;
    }
}

/* Whether op writes slot s (after its reads). */
static bool writes(const uint32_t *ip, int op, uint32_t s)
{
    const char *f = esgx_wasm_iop_format[op];
    const uint32_t *o = ip + ESGX_WASM_OP_HEAD;
    for (int k = 0; f[k]; k++)
        if ((f[k] == 'd' && o[k] == s) || (f[k] == 'D' && (o[k] == s || o[k] + 1 == s)))
            return true;
    return false;
}

uint64_t esgx_jit_bounds_window(const esgx_wasm_code *code, const uint8_t *target, uint32_t i0,
                                uint32_t at0, const esgx_jit_bounds *b, uint32_t base,
                                uint64_t floor, uint64_t h_max, uint32_t *last, bool *pure)
{
    esgx_jit_bounds local = *b;
    uint64_t h = 0, best = 0;
    /* pure so far: every access off base adds nothing to it (cannot wrap), and every
     * instruction from i0 on has no effect a trap would not discard (the last one
     * covered may: it is where the trap would be) */
    bool p = true;
    *last = i0;
    *pure = false;
    for (uint32_t i = i0, at = at0; i + 1 < code->n_ops && i - i0 < WINDOW_OPS; i++) {
        int op = code->ops[i];
        const uint32_t *ip = code->words + at;
        if (i > i0 && (target[at] || !window_op(op))) break;
        esgx_jit_acc acc;
        if (esgx_jit_access(ip, op, &acc)) {
            uint32_t s;
            uint64_t k;
            esgx_jit_bounds_resolve(&local, acc.slot, &s, &k);
            uint64_t need = k + acc.add + acc.off + acc.size;
            if (s == base && need <= h_max) {
                if (need > h) h = need;
                p = p && k + acc.add == 0;
                if (i > i0 && need > floor) {
                    *last = i;
                    best = h;
                    *pure = p;
                }
            }
        }
        p = p && pure_op(op);
        if (writes(ip, op, base)) break;
        esgx_jit_bounds_after(&local, ip, op);
        at += esgx_jit_op_width(ip, op);
    }
    return best;
}
