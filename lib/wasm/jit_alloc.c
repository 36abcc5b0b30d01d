/*
 * jit_alloc.c: which frame slots of a function live in registers while its compiled
 * code runs (the register allocation of jit_ops.c).
 *
 * One pass over the internal code scores every slot operand by where it is used: a
 * use inside n nested loops (ranges closed by a backward branch) weighs 8^n (n <= 3),
 * and counts for the float class when the op reads or writes it as a float (xmm: the
 * fmask of the op's class, wasm_exec.h), for the integer class otherwise. The
 * best-scoring slots of each class get the class's registers for the whole function:
 * a slot in a register has no valid memory copy except around calls and helpers,
 * where jit_ops.c writes them back and reloads them.
 * A value in the other class's register costs one movq when used, never a wrong bit.
 * A slot that is also half of a v128 operand (SIMD ops work on memory) gets a register
 * only when its scalar uses weigh 16 times its v128 uses; jit_ops.c then writes it back
 * before and reads it again after each SIMD op that uses it.
 */
#include "jit_internal.h"

#include <stdlib.h>

uint32_t esgx_jit_op_width(const uint32_t *ip, int op)
{
    uint32_t w = esgx_wasm_iop_width[op];
    if (op == WOP_BR_TABLE) w += ip[3] + 1;
    return w;
}

/* Loop depth of every instruction start: +1 at a backward branch's target, -1 after
 * the branch (difference array over words). */
static void loop_depth(const esgx_wasm_code *code, int32_t *diff)
{
    const uint32_t *w = code->words;
    for (uint32_t at = 0, i = 0; i < code->n_ops; i++) {
        int op = code->ops[i];
        uint32_t width = esgx_jit_op_width(w + at, op);
        const char *f = esgx_wasm_iop_format[op];
        for (int k = 0; f[k]; k++) {
            if (f[k] != 'o') continue;
            int64_t t = (int64_t)at + (int32_t)w[at + ESGX_WASM_OP_HEAD + k];
            if (t >= 0 && t <= at) {
                diff[t]++;
                diff[at + width]--;
            }
        }
        at += width;
    }
}

typedef struct score {
    uint64_t i, f;
    uint64_t v;          /* uses as half of a v128 operand (weighted the same way) */
    uint32_t slot;
} score;

static int score_cmp(const void *a, const void *b)
{
    const score *x = a, *y = b;
    uint64_t sx = x->i + x->f, sy = y->i + y->f;
    if (sx != sy) return sx < sy ? 1 : -1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

int esgx_jit_alloc(const esgx_wasm_code *code, const int8_t *gprs, int n_gprs,
                   const int8_t *xmms, int n_xmms, int8_t *pin)
{
    uint32_t n = code->n_words, fs = code->frame_size;
    int32_t *diff = calloc((size_t)n + 1, sizeof *diff);
    score *sc = calloc(fs ? fs : 1, sizeof *sc);
    if (!diff || !sc) {
        free(diff);
        free(sc);
        return ESGX_WASM_E_NOMEM;
    }
    const uint32_t *w = code->words;
    loop_depth(code, diff);
    int32_t depth = 0;
    for (uint32_t at = 0, prev = 0, i = 0; i < code->n_ops; i++) {
        for (; prev <= at; prev++) depth += diff[prev];
        int op = code->ops[i];
        uint64_t weight = (uint64_t)1 << (3 * (depth > 3 ? 3 : depth < 0 ? 0 : depth));
        const char *f = esgx_wasm_iop_format[op];
        for (int k = 0; f[k]; k++) {
            uint32_t s = w[at + ESGX_WASM_OP_HEAD + k];
            if ((f[k] == 'D' || f[k] == 'S') && s < fs) {   /* v128 halves */
                sc[s].v += weight;
                if (s + 1 < fs) sc[s + 1].v += weight;
            }
            if (f[k] != 'd' && f[k] != 's') continue;
            if (s >= fs) continue;
            if (esgx_wasm_iop_float_operand(op, k)) sc[s].f += weight;
            else sc[s].i += weight;
        }
        at += esgx_jit_op_width(w + at, op);
    }
    for (uint32_t s = 0; s < fs; s++) {
        sc[s].slot = s;
        pin[s] = -1;
    }
    qsort(sc, fs, sizeof *sc, score_cmp);
    int gi = 0, xi = 0;
    for (uint32_t k = 0; k < fs && (gi < n_gprs || xi < n_xmms); k++) {
        if (sc[k].i + sc[k].f == 0) break;
        /* a v128 half is moved between its register and memory around every SIMD op
         * that uses it (a store-forwarding stall each time): worth it only where the
         * scalar uses weigh far more (e.g. a SIMD setup before a scalar hot loop) */
        if (sc[k].v && sc[k].i + sc[k].f < 16 * sc[k].v) continue;
        bool fl = sc[k].f > sc[k].i;
        if (fl && xi < n_xmms) pin[sc[k].slot] = (int8_t)(16 + xmms[xi++]);
        else if (!fl && gi < n_gprs) pin[sc[k].slot] = gprs[gi++];
    }
    free(diff);
    free(sc);
    return ESGX_OK;
}
