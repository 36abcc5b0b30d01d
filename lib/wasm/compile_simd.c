/*
 * compile_simd.c: the fixed-width SIMD instructions of compile.c (see its design note).
 *
 * A v128 is two consecutive slots (wasm_exec.h), and two entries of the compiler's
 * operand stack (the second marked hi). Every SIMD row (ESGX_WASM_OPCODES_FD) compiles
 * to the one internal op of its name, whose operands follow from its CK column: the
 * result's home slot(s), then its operands in wasm order (a v128 operand as the first
 * of its two slots: a v128 local is read in place, anything else is first written to
 * its home slots), then the immediates (memarg offset, lane, 16 bytes). There are no
 * fusions: the lazy-entry machinery of compile.c only sees the v128 halves as slots.
 */
#include "compile_internal.h"

/* Pops a v128 and returns its first slot. */
static uint32_t pop_v128(comp *c)
{
    uint32_t s = esgx_comp_v128_slot_of(c, c->h - 2);
    c->h -= 2;
    return s;
}

/* Pops a scalar and returns its slot. */
static uint32_t pop_scalar(comp *c)
{
    uint32_t s = esgx_comp_slot_of(c, c->h - 1);
    c->h--;
    return s;
}

/* Emits the 16 bytes at p as four little-endian words. */
static void emit_16(comp *c, const uint8_t *p)
{
    for (int k = 0; k < 4; k++) {
        uint32_t w;
        memcpy(&w, p + 4 * k, 4);
        emit_w(c, w);
    }
}

void esgx_comp_simd(comp *c, const esgx_wasm_instr *in, const esgx_wasm_opinfo *oi)
{
    int op = oi->iop;
    uint32_t a, b, x, at;
    /* every SIMD op ends the fusions of compile.c: they look at c->n */
    c->cmp.end = UINT32_MAX;
    c->addi.end = UINT32_MAX;
    switch (oi->ck) {
    case KV_CONST:
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_16(c, in->vec);
        esgx_comp_push_v128(c);
        break;
    case KV_UN:
        a = pop_v128(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, a);
        esgx_comp_push_v128(c);
        break;
    case KV_BIN: case KV_SHUFFLE:
        b = pop_v128(c);
        a = pop_v128(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, a);
        emit_w(c, b);
        if (oi->ck == KV_SHUFFLE) emit_16(c, in->vec);
        esgx_comp_push_v128(c);
        break;
    case KV_TERN: {
        uint32_t m = pop_v128(c);
        b = pop_v128(c);
        a = pop_v128(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, a);
        emit_w(c, b);
        emit_w(c, m);
        esgx_comp_push_v128(c);
        break;
    }
    case KV_SHIFT:
        x = pop_scalar(c);
        a = pop_v128(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, a);
        emit_w(c, x);
        esgx_comp_push_v128(c);
        break;
    case KV_SPLAT:
        x = pop_scalar(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, x);
        esgx_comp_push_v128(c);
        break;
    case KV_EXTRACT: case KV_TEST:
        a = pop_v128(c);
        at = esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, a);
        if (oi->ck == KV_EXTRACT) emit_w(c, in->n);
        esgx_comp_note_dst(c, at, c->h);   /* a scalar result: may go to a local */
        esgx_comp_push_slot(c);
        break;
    case KV_REPLACE:
        x = pop_scalar(c);
        a = pop_v128(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, a);
        emit_w(c, x);
        emit_w(c, in->n);
        esgx_comp_push_v128(c);
        break;
    case KV_LOAD:
        x = pop_scalar(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, x);
        emit_w(c, in->b);
        esgx_comp_push_v128(c);
        break;
    case KV_LOADLANE:
        a = pop_v128(c);
        x = pop_scalar(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, comp_home(c, c->h));
        emit_w(c, x);
        emit_w(c, a);
        emit_w(c, in->b);
        emit_w(c, in->n);
        esgx_comp_push_v128(c);
        break;
    default:   /* KV_STORE, KV_STORELANE */
        a = pop_v128(c);
        x = pop_scalar(c);
        esgx_comp_emit_op(c, op);
        emit_w(c, x);
        emit_w(c, a);
        emit_w(c, in->b);
        if (oi->ck == KV_STORELANE) emit_w(c, in->n);
        break;
    }
}
