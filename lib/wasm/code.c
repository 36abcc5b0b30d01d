/*
 * code.c: reading compiled code back (see wasm_exec.h for its layout). The walker
 * decodes a function's words as a sequence of internal ops, each advancing by its
 * declared width (esgx_wasm_iop_width, from the format strings of ESGX_WASM_OPS; a
 * br_table also by its n + 1 offsets). Two users:
 * - compile.c, in debug builds (NDEBUG not defined), checks every function it emits:
 *   the words must decode exactly to their end and every branch offset must land on
 *   an instruction start, so an emitter that writes a different number of operands
 *   than the interpreter's NEXT(ESGX_WASM_W_<op>) reads fails at once;
 * - esgx_wasm_module_dump_code prints the ops, one per line, with names and operands.
 * Handler addresses are mapped back to ops through a sorted copy of the handler table
 * (binary search), built once per process; the compiler tier uses the same lookup
 * (esgx_wasm_code_op_at).
 */
#include "wasm_exec.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct hmap {
    const void *h;
    uint16_t op;
} hmap;

/* The handler table sorted by address, made once per process (it never changes). */
static hmap op_map[WOP_COUNT_];
static pthread_once_t op_map_once = PTHREAD_ONCE_INIT;

static int hmap_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const hmap *)a)->h, y = (uintptr_t)((const hmap *)b)->h;
    return x < y ? -1 : x > y;
}

static void op_map_build(void)
{
    const void *const *H = esgx_wasm_exec_handlers();
    for (uint32_t i = 0; i < WOP_COUNT_; i++) op_map[i] = (hmap){H[i], (uint16_t)i};
    qsort(op_map, WOP_COUNT_, sizeof op_map[0], hmap_cmp);
}

int esgx_wasm_code_op_at(const uint32_t *w)
{
    pthread_once(&op_map_once, op_map_build);
    hmap key;
    memcpy(&key.h, w, sizeof key.h);
    const hmap *f = bsearch(&key, op_map, WOP_COUNT_, sizeof key, hmap_cmp);
    return f ? f->op : -1;
}

typedef struct walker {
    const uint32_t *w;
    uint32_t n;
} walker;

static void walker_init(walker *wk, const uint32_t *words, uint32_t n_words)
{
    wk->w = words;
    wk->n = n_words;
}

/* The op whose handler address is at word `at`, or -1. */
static int op_at(const walker *wk, uint32_t at)
{
    if (at + 2 > wk->n) return -1;
    return esgx_wasm_code_op_at(wk->w + at);
}

/* The width of the instruction at `at` (op known), or 0 if it runs past the end. */
static uint32_t width_at(const walker *wk, uint32_t at, int op)
{
    uint64_t w = esgx_wasm_iop_width[op];
    if (op == WOP_BR_TABLE) {
        if (at + 4 > wk->n) return 0;
        w += (uint64_t)wk->w[at + 3] + 1;
    }
    return at + w > wk->n ? 0 : (uint32_t)w;
}

/* Decodes the instruction at `at`: its op and width, or ESGX_WASM_E_INVALID. */
static int decode_at(const walker *wk, uint32_t at, int *op, uint32_t *width, esgx_err *err)
{
    *op = op_at(wk, at);
    if (*op < 0)
        return esgx_err_set(err, ESGX_WASM_E_INVALID,
                            "compiled code: no internal op at word %u", at);
    *width = width_at(wk, at, *op);
    if (*width == 0)
        return esgx_err_set(err, ESGX_WASM_E_INVALID,
                            "compiled code: %s at word %u runs past the end (%u words)",
                            esgx_wasm_iop_name[*op], at, wk->n);
    return ESGX_OK;
}

int esgx_wasm_code_check(const esgx_wasm_code *code, esgx_err *err)
{
    walker *wk = malloc(sizeof *wk);
    uint8_t *start = calloc((size_t)code->n_words + 1, 1);
    int rc = ESGX_OK;
    if (!wk || !start) {
        rc = esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        goto out;
    }
    walker_init(wk, code->words, code->n_words);
    int op;
    uint32_t width;
    for (uint32_t at = 0; at < code->n_words && !rc; at += width) {
        rc = decode_at(wk, at, &op, &width, err);
        start[at] = 1;
    }
    /* every branch offset lands on an instruction start */
    for (uint32_t at = 0; at < code->n_words && !rc; at += width) {
        rc = decode_at(wk, at, &op, &width, err);
        const char *f = esgx_wasm_iop_format[op];
        for (uint32_t k = 0; f[k] && !rc; k++) {
            bool table = f[k] == 'n';
            uint32_t first = table ? 1 : 0, last = table ? code->words[at + 2 + k] + 1 : 0;
            if (f[k] != 'o' && !table) continue;
            for (uint32_t j = first; j <= last; j++) {
                uint64_t t = (uint64_t)at + (int32_t)code->words[at + 2 + k + j];
                if (t >= code->n_words || !start[t])
                    rc = esgx_err_set(err, ESGX_WASM_E_INVALID,
                                      "compiled code: %s at word %u branches to word %llu, "
                                      "not an instruction", esgx_wasm_iop_name[op], at,
                                      (unsigned long long)t);
            }
        }
    }
out:
    free(wk);
    free(start);
    return rc;
}

/* Prints one instruction (op at word at, of the given width) as one line. */
static void dump_instr(FILE *out, const uint32_t *w, uint32_t at, int op)
{
    const char *f = esgx_wasm_iop_format[op];
    const uint32_t *o = w + at + 2;
    fprintf(out, "  %6u  %s", at, esgx_wasm_iop_name[op]);
    for (uint32_t k = 0; f[k]; k++) {
        switch (f[k]) {
        case 'd': fprintf(out, " d%u", o[k]); break;
        case 's': fprintf(out, " s%u", o[k]); break;
        case 'D': fprintf(out, " D%u", o[k]); break;   /* v128: slots N and N + 1 */
        case 'S': fprintf(out, " S%u", o[k]); break;
        case 'c': fprintf(out, " 0x%08x", o[k]); break;
        case 'f': fprintf(out, " fuel=%u", o[k]); break;
        case 'o': fprintf(out, " ->%lld", (long long)at + (int32_t)o[k]); break;
        case 'K':
            fprintf(out, " 0x%016llx",
                    (unsigned long long)((uint64_t)o[k] | (uint64_t)o[k + 1] << 32));
            k++;
            break;
        case 'P': {
            const esgx_wasm_code *callee;
            memcpy(&callee, o + k, sizeof callee);
            fprintf(out, " func%u", callee->func_index);
            k++;
            break;
        }
        case 'n':
            fprintf(out, " n=%u", o[k]);
            for (uint32_t j = 0; j <= o[k]; j++)
                fprintf(out, " ->%lld", (long long)at + (int32_t)o[k + 1 + j]);
            break;
        default: fprintf(out, " %u", o[k]); break;   /* 'i' */
        }
    }
    fputc('\n', out);
}

static int dump_function(const esgx_wasm_code *code, walker *wk, FILE *out, esgx_err *err)
{
    fprintf(out, "func %u: params %u, results %u, locals %u, frame %u slots, %u words\n",
            code->func_index, code->n_params, code->n_results, code->n_locals,
            code->frame_size, code->n_words);
    walker_init(wk, code->words, code->n_words);
    int op;
    uint32_t width;
    for (uint32_t at = 0; at < code->n_words; at += width) {
        int rc = decode_at(wk, at, &op, &width, err);
        if (rc) return rc;
        dump_instr(out, code->words, at, op);
    }
    return ESGX_OK;
}

int esgx_wasm_module_dump_code(const esgx_wasm_module *m, uint32_t func_index_or_all,
                               FILE *out, esgx_err *err)
{
    if (!m || !out) return esgx_err_set(err, ESGX_WASM_E_ARG, "dump code: no module or stream");
    const esgx_wasm_compiled *cm = m->compiled;
    if (!cm) return esgx_err_set(err, ESGX_WASM_E_ARG, "dump code: module not compiled");
    uint32_t lo = 0, hi = m->n_funcs;
    if (func_index_or_all != UINT32_MAX) {
        if (func_index_or_all < m->n_func_imports ||
            func_index_or_all - m->n_func_imports >= m->n_funcs)
            return esgx_err_set(err, ESGX_WASM_E_ARG,
                                "dump code: function %u is not a defined function "
                                "(imports 0-%u, defined up to %u)", func_index_or_all,
                                m->n_func_imports, m->n_func_imports + m->n_funcs);
        lo = func_index_or_all - m->n_func_imports;
        hi = lo + 1;
    }
    walker *wk = malloc(sizeof *wk);
    if (!wk) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    int rc = ESGX_OK;
    for (uint32_t i = lo; i < hi && !rc; i++) rc = dump_function(&cm->codes[i], wk, out, err);
    free(wk);
    if (!rc && ferror(out)) rc = esgx_err_set(err, ESGX_WASM_E_ARG, "dump code: write failed");
    return rc;
}
