/*
 * compile_simd.c: the fixed-width SIMD instructions of compile.c (see its design note).
 *
 * A v128 is two consecutive slots (wasm_exec.h), and two entries of the compiler's
 * operand stack (the second marked hi). Every SIMD row (ESGX_WASM_OPCODES_FD) compiles
 * to the one internal op of its name, whose operands follow from its CK column's
 * operand format (ESGX_WASM_FMT_KV_*, read here): the result's home slot(s), then its
 * operands in wasm order (a v128 operand as the first
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
    const char *f = esgx_wasm_iop_format[op];   /* ESGX_WASM_FMT_KV_*, wasm_exec.h */
    int nf = (int)strlen(f);
    uint32_t opnd[8] = {0};
    /* every SIMD op ends the fusions of compile.c: they look at c->n */
    forget_fusions(c, FZ(FZ_CMP) | FZ(FZ_ADDI));
    /* the operands in wasm order are the S / s of the format: popped last first */
    for (int k = nf - 1; k >= 0; k--) {
        if (f[k] == 'S') opnd[k] = pop_v128(c);
        else if (f[k] == 's') opnd[k] = pop_scalar(c);
    }
    /* immediates: a memory op's first `i` is its offset, any other `i` the lane */
    bool mem = oi->ck == KV_LOAD || oi->ck == KV_LOADLANE || oi->ck == KV_STORE ||
               oi->ck == KV_STORELANE;
    uint32_t at = esgx_comp_emit_op(c, op);
    for (int k = 0, imm = 0; k < nf; k++) {
        switch (f[k]) {
        case 'D': case 'd': emit_w(c, comp_home(c, c->h)); break;
        case 'S': case 's': emit_w(c, opnd[k]); break;
        case 'i': emit_w(c, mem && imm++ == 0 ? in->b : in->n); break;
        default: emit_16(c, in->vec); k += 3; break;   /* "cccc": 16 bytes */
        }
    }
    if (f[0] == 'D') {
        esgx_comp_push_v128(c);
    } else if (f[0] == 'd') {   /* a scalar result: may go to a local */
        esgx_comp_note_dst(c, at, c->h);
        esgx_comp_push_slot(c);
    }
}
