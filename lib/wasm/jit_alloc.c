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
 * The value of a plain 32/64-bit load or store (the same internal op for i32 and f32,
 * i64 and f64) counts for neither class: jit_ops.c moves it between memory and
 * either kind of register directly, so the slot's other uses decide.
 *
 * v128 pairs. A v128 operand (S / D) names two consecutive slots; every first slot b
 * of one is a candidate pair (b, b + 1) for one whole xmm register (low half slot b),
 * scored by its v128 uses plus the float, plain and move (COPY) uses of its two
 * slots: jit_ops.c reads and writes a half of a pinned pair in place for any scalar
 * op (movq, pextrq, pinsrq, movsd, pshufd ...), which is dearer than a scalar
 * register for integer uses, so a pair whose halves are used more as integers (other
 * than moves) than it is used otherwise is left out, and so is a pair that overlaps
 * another v128 operand (one at b - 1 or b + 1): the interpreter reuses such slots as
 * scalars and as other pairs' halves, and a pinned pair then sends that work through
 * its halves and is rebuilt from them on every op of the other (WAMR's SIMD example
 * ran 1.7x slower with such pairs pinned, 4x faster without). The xmm registers go
 * to scalar float slots and pairs alike, best score first; a slot is in at most one
 * pair.
 * The same slots are often also half of a v128 operand at b - 1 or b + 1 (the operand
 * stack mixes scalars and v128s, so temporaries do not stay aligned), and a slot in a
 * scalar register may be half of a v128 operand: jit_vec.h puts such an operand
 * together from its halves' registers and takes it apart into them. That is cheap
 * from xmm registers (movaps, movlhps / pshufd, blendpd) and dear from GPRs (movq,
 * pinsrq / pextrq): a slot that is half of a v128 operand gets a scalar xmm register
 * when its scalar uses weigh as much as its v128 uses, a GPR only at 16 times.
 */
#include "jit_internal.h"

#include <stdlib.h>
#include <string.h>

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

/* Whether operand k of op is the value of a plain 32/64-bit load or store. */
static bool neutral_operand(int op, int k)
{
    const esgx_wasm_iop_class *c = &esgx_wasm_iop_class_of[op];
    if (c->family == IOPF_LOAD) return k == 0 && (c->index == LOAD_32 || c->index == LOAD_64);
    if (c->family == IOPF_STORE) return k == 1 && (c->index == STORE_32 || c->index == STORE_64);
    return false;
}

typedef struct score {
    uint64_t i, f;
    uint64_t n;          /* uses of either class (loaded or stored value) */
    uint64_t v;          /* uses as half of a v128 operand (weighted the same way) */
    uint64_t pv;         /* uses of the pair (slot, slot + 1) as a v128 operand */
    uint64_t mv;         /* uses by a COPY / COPY2 (counted in i as well) */
} score;

/* A candidate: one scalar slot, or the pair from `slot` (wide). */
typedef struct cand {
    uint64_t score;
    uint32_t slot;
    bool wide;
} cand;

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    if (x->slot != y->slot) return x->slot < y->slot ? -1 : 1;
    return (int)x->wide - (int)y->wide;
}

int esgx_jit_alloc(const esgx_wasm_code *code, const int8_t *gprs, int n_gprs,
                   const int8_t *xmms, int n_xmms, int8_t *pin)
{
    uint32_t n = code->n_words, fs = code->frame_size;
    int32_t *diff = calloc((size_t)n + 1, sizeof *diff);
    score *sc = calloc(fs ? fs : 1, sizeof *sc);
    cand *cd = calloc(fs ? 2 * (size_t)fs : 1, sizeof *cd);
    if (!diff || !sc || !cd) {
        free(diff);
        free(sc);
        free(cd);
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
                if (s + 1 < fs) {
                    sc[s + 1].v += weight;
                    sc[s].pv += weight;
                }
            }
            if (f[k] != 'd' && f[k] != 's') continue;
            if (s >= fs) continue;
            if (op == WOP_COPY || op == WOP_COPY2) sc[s].mv += weight;
            if (neutral_operand(op, k)) sc[s].n += weight;
            else if (esgx_wasm_iop_float_operand(op, k)) sc[s].f += weight;
            else sc[s].i += weight;
        }
        at += esgx_jit_op_width(w + at, op);
    }
    uint32_t nc = 0;
    for (uint32_t s = 0; s < fs; s++) {
        pin[s] = -1;
        uint64_t total = sc[s].i + sc[s].f + sc[s].n;
        if (total) cd[nc++] = (cand){total, s, false};
        if (sc[s].pv)
            cd[nc++] = (cand){sc[s].pv + sc[s].f + sc[s].n + sc[s].mv + sc[s + 1].f +
                                  sc[s + 1].n + sc[s + 1].mv, s, true};
    }
    qsort(cd, nc, sizeof *cd, cand_cmp);
    int gi = 0, xi = 0;
    for (uint32_t k = 0; k < nc && (gi < n_gprs || xi < n_xmms); k++) {
        uint32_t s = cd[k].slot;
        if (cd[k].wide) {
            /* a whole xmm register, unless its halves are used more as integers
             * (other than moves) than it is used otherwise */
            if (xi >= n_xmms || pin[s] >= 0 || pin[s + 1] >= 0) continue;
            /* a pair that overlaps another v128 operand's slots is rebuilt from
             * halves on every op of the other: leave it in memory */
            if (sc[s + 1].pv || (s > 0 && sc[s - 1].pv)) continue;
            if (sc[s].i - sc[s].mv + sc[s + 1].i - sc[s + 1].mv > cd[k].score) continue;
            pin[s] = (int8_t)(32 + xmms[xi]);
            pin[s + 1] = (int8_t)(48 + xmms[xi++]);
            continue;
        }
        if (pin[s] >= 0) continue;   /* in a pair */
        /* a v128 operand with a half in a scalar register is put together or taken
         * apart around each SIMD op (jit_vec.h): worth it where the scalar uses weigh
         * more, and for a GPR (pinsrq / pextrq each time) far more */
        bool fl = sc[s].f > sc[s].i;
        if (cd[k].score < (fl ? 1 : 16) * sc[s].v) continue;
        if (fl && xi < n_xmms) pin[s] = (int8_t)(16 + xmms[xi++]);
        else if (!fl && gi < n_gprs) pin[s] = gprs[gi++];
    }
    free(diff);
    free(sc);
    free(cd);
    return ESGX_OK;
}

/* ------------------------------------------------------------------ liveness */

/* Whether control never goes on to the next instruction after op. */
static bool ends_block(int op)
{
    return op == WOP_BR || op == WOP_BR_L || op == WOP_BR_TABLE || op == WOP_RET0 ||
           op == WOP_RET1 || op == WOP_UNREACHABLE || op == WOP_EXIT;
}

/* Backward dataflow over the instructions, 32-bit masks (only the pinned slots; a
 * wide entry is the pair from its slot, one bit for both):
 * in[i] = use[i] | (out[i] & ~def[i]), out[i] = the union of in[] of i's successors,
 * iterated to a fixed point (a loop adds at most a pass per nesting level; past
 * LIVE_PASSES passes every slot is taken as live). An entry is read when either of its
 * slots is, defined only when all of them are written. A call defines every slot from
 * its argument base up (the callee's frame overlaps them) and reads its arguments; an
 * op that reads the frame through a helper reads every slot. */
#define LIVE_PASSES 64

int esgx_jit_live(const esgx_wasm_code *code, const uint32_t *pinned, uint32_t wide,
                  uint32_t n_pinned, uint32_t *live)
{
    uint32_t n = code->n_ops, fs = code->frame_size;
    uint32_t all = n_pinned >= 32 ? UINT32_MAX : ((uint32_t)1 << n_pinned) - 1;
    if (!n) return ESGX_OK;
    uint32_t *use = malloc((size_t)n * sizeof *use), *def = malloc((size_t)n * sizeof *def);
    uint32_t *in = calloc(n, sizeof *in), *start = malloc((size_t)n * sizeof *start);
    int32_t *idx = malloc(((size_t)code->n_words + 1) * sizeof *idx);   /* word -> op */
    int8_t *bit = malloc(fs ? fs : 1);
    int rc = ESGX_WASM_E_NOMEM;
    if (!use || !def || !in || !start || !idx || !bit) goto out;
    memset(bit, -1, fs ? fs : 1);
    for (uint32_t b = 0; b < n_pinned && b < 32; b++) {
        if (pinned[b] < fs) bit[pinned[b]] = (int8_t)b;
        if ((wide >> b & 1) && pinned[b] + 1 < fs) bit[pinned[b] + 1] = (int8_t)b;
    }
    for (uint32_t k = 0; k <= code->n_words; k++) idx[k] = -1;
    const uint32_t *w = code->words;
    for (uint32_t at = 0, i = 0; i < n; i++) {
        int op = code->ops[i];
        const uint32_t *ip = w + at;
        start[i] = at;
        idx[at] = (int32_t)i;
        uint32_t u = 0, dlo = 0, dhi = 0;   /* written: an entry's first / second slot */
        const char *f = esgx_wasm_iop_format[op];
        for (int k = 0; f[k]; k++) {
            uint32_t sl = ip[ESGX_WASM_OP_HEAD + k];
            int nsl = f[k] == 'S' || f[k] == 'D' ? 2 : f[k] == 's' || f[k] == 'd' ? 1 : 0;
            for (int h = 0; h < nsl; h++) {
                uint32_t x = sl + (uint32_t)h;
                if (x >= fs || bit[x] < 0) continue;
                uint32_t m = (uint32_t)1 << bit[x];
                if (f[k] == 's' || f[k] == 'S') u |= m;
                else if (x == pinned[bit[x]]) dlo |= m;
                else dhi |= m;
            }
        }
        uint32_t d = dlo & (dhi | ~wide);
        if (op == WOP_CALL || op == WOP_CALL_IMPORT || op == WOP_CALL_INDIRECT) {
            uint32_t base = ip[ESGX_WASM_OP_HEAD + (op == WOP_CALL ? 2 : op == WOP_CALL_IMPORT ? 1 : 2)];
            uint32_t nargs = UINT32_MAX;   /* imports, indirect: every slot from base */
            if (op == WOP_CALL) {
                const esgx_wasm_code *callee;
                memcpy(&callee, ip + ESGX_WASM_OP_HEAD, sizeof callee);
                nargs = callee->n_params;
            }
            for (uint32_t b = 0; b < n_pinned && b < 32; b++) {
                uint32_t lo = pinned[b], hi = lo + (wide >> b & 1);
                if (hi < base) continue;
                if (lo >= base) d |= (uint32_t)1 << b;
                if (hi - base < nargs || (lo >= base && lo - base < nargs)) u |= (uint32_t)1 << b;
            }
        } else if (op == WOP_RET0) {
            for (uint32_t b = 0; b < n_pinned && b < 32; b++)
                if (pinned[b] < code->n_results) u |= (uint32_t)1 << b;
        } else if (esgx_jit_op_reads_frame(op)) {
            u = all;
        }
        use[i] = u;
        def[i] = d & ~u;
        at += esgx_jit_op_width(ip, op);
    }
    bool changed = true;
    for (int pass = 0; changed; pass++) {
        if (pass == LIVE_PASSES) {
            for (uint32_t i = 0; i < n; i++) live[i] = all;
            rc = ESGX_OK;
            goto out;
        }
        changed = false;
        for (uint32_t i = n; i-- > 0;) {
            int op = code->ops[i];
            const uint32_t *ip = w + start[i];
            uint32_t o = 0;
            if (!ends_block(op)) o |= i + 1 < n ? in[i + 1] : 0;
            const char *f = esgx_wasm_iop_format[op];
            for (int k = 0; f[k]; k++) {
                if (f[k] != 'o' && f[k] != 'n') continue;
                uint32_t cnt = f[k] == 'o' ? 1 : ip[ESGX_WASM_OP_HEAD + k] + 1;
                const uint32_t *offs = f[k] == 'o' ? ip + ESGX_WASM_OP_HEAD + k
                                                   : ip + ESGX_WASM_OP_HEAD + k + 1;
                for (uint32_t j = 0; j < cnt; j++) {
                    int64_t t = (int64_t)start[i] + (int32_t)offs[j];
                    if (t < 0 || t > code->n_words || idx[t] < 0) o = all;
                    else o |= in[idx[t]];
                }
            }
            live[i] = o;
            uint32_t ni = use[i] | (o & ~def[i]);
            if (ni != in[i]) {
                in[i] = ni;
                changed = true;
            }
        }
    }
    rc = ESGX_OK;
out:
    free(use);
    free(def);
    free(in);
    free(start);
    free(idx);
    free(bit);
    return rc;
}

/* ------------------------------------------------------------------ memory growth */

int esgx_jit_grows_close(uint32_t nf, uint8_t *grows, const uint32_t *const *edges,
                         const size_t *n_edges, uint32_t lists)
{
    uint32_t *cnt = calloc((size_t)nf + 1, sizeof *cnt);
    uint32_t *queue = malloc((nf ? nf : 1) * sizeof *queue);
    uint32_t *from = NULL, *pos = NULL;
    int rc = ESGX_WASM_E_NOMEM;
    if (!cnt || !queue) goto out;
    /* the callers of each callee, in one array (CSR) */
    size_t total = 0;
    for (uint32_t l = 0; l < lists; l++)
        for (size_t e = 0; e < n_edges[l]; e += 2, total++) cnt[edges[l][e] + 1]++;
    for (uint32_t f = 0; f < nf; f++) cnt[f + 1] += cnt[f];
    from = malloc((total ? total : 1) * sizeof *from);
    pos = malloc((nf ? nf : 1) * sizeof *pos);
    if (!from || !pos) goto out;
    memcpy(pos, cnt, (size_t)nf * sizeof *pos);
    for (uint32_t l = 0; l < lists; l++)
        for (size_t e = 0; e < n_edges[l]; e += 2) from[pos[edges[l][e]]++] = edges[l][e + 1];
    /* every caller of a function that may grow may grow */
    size_t head = 0, tail = 0;
    for (uint32_t f = 0; f < nf; f++)
        if (grows[f]) queue[tail++] = f;
    while (head < tail) {
        uint32_t f = queue[head++];
        for (uint32_t e = cnt[f]; e < cnt[f + 1]; e++) {
            uint32_t g = from[e];
            if (grows[g]) continue;
            grows[g] = 1;
            queue[tail++] = g;
        }
    }
    rc = ESGX_OK;
out:
    free(cnt);
    free(queue);
    free(from);
    free(pos);
    return rc;
}

int esgx_jit_grows(const esgx_wasm_module *m, uint8_t *grows)
{
    uint32_t nf = m->n_funcs;
    const esgx_wasm_compiled *cm = m->compiled;
    /* the direct calls as (callee, caller) pairs, and the functions that grow */
    size_t n = 0, cap = 0;
    uint32_t *edges = NULL;
    for (uint32_t f = 0; f < nf; f++) {
        const esgx_wasm_code *code = &cm->codes[f];
        const uint32_t *w = code->words;
        grows[f] = 0;
        for (uint32_t at = 0, i = 0; i < code->n_ops; i++) {
            int op = code->ops[i];
            if (op == WOP_MEM_GROW || op == WOP_CALL_IMPORT || op == WOP_CALL_INDIRECT) {
                grows[f] = 1;
            } else if (op == WOP_CALL) {
                const esgx_wasm_code *callee;
                memcpy(&callee, w + at + ESGX_WASM_OP_HEAD, sizeof callee);
                uint32_t ci = (uint32_t)(callee - cm->codes);
                if (ci < nf) {
                    if (n + 2 > cap) {
                        size_t nc = cap ? cap * 2 : 256;
                        uint32_t *ne = realloc(edges, nc * sizeof *ne);
                        if (!ne) {
                            free(edges);
                            return ESGX_WASM_E_NOMEM;
                        }
                        edges = ne;
                        cap = nc;
                    }
                    edges[n++] = ci;
                    edges[n++] = f;
                }
            }
            at += esgx_jit_op_width(w + at, op);
        }
    }
    const uint32_t *lists[1] = {edges};
    int rc = esgx_jit_grows_close(nf, grows, lists, &n, 1);
    free(edges);
    return rc;
}
