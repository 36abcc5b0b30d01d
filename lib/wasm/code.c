/*
 * code.c: reading compiled code back (see wasm_exec.h for its layout). The walker
 * decodes a function's words as a sequence of internal ops, each advancing by its
 * declared width (esgx_wasm_iop_width, from the format strings of ESGX_WASM_OPS; a
 * br_table also by its n + 1 offsets). compile.c emits the op numbers themselves in
 * the two head words of each instruction; three users walk that:
 * - compile.c, in debug builds (NDEBUG not defined), checks every function it emits
 *   (esgx_wasm_code_check): the words must decode exactly to their end and every
 *   branch offset must land on an instruction start, so an emitter that writes a
 *   different number of operands than the interpreter's NEXT(ESGX_WASM_W_<op>) reads
 *   fails at once;
 * - esgx_wasm_code_thread, the last step of compiling a function, records the op of
 *   each instruction in code->ops and writes the interpreter's handler address over
 *   the op number (direct threading), so the interpreter never looks an op up;
 * - esgx_wasm_module_dump_code prints the ops, one per line, with names and operands,
 *   reading them from code->ops like the compiler tier does (no handler address is
 *   ever mapped back to its op).
 */
#include "wasm_exec.h"

#include <stdio.h>
#include <stdlib.h>

/* Words not threaded yet: the op at `at`, or -1 when its head words are not one. */
static int raw_op_at(const uint32_t *w, uint32_t n, uint32_t at)
{
    if (at + ESGX_WASM_OP_HEAD > n || w[at] >= WOP_COUNT_ || w[at + 1] != 0) return -1;
    return (int)w[at];
}

/* The width of the instruction at `at` (op known), or 0 if it runs past the end. */
static uint32_t width_at(const uint32_t *w, uint32_t n, uint32_t at, int op)
{
    uint64_t width = esgx_wasm_iop_width[op];
    if (op == WOP_BR_TABLE) {
        if (at + 4 > n) return 0;
        width += (uint64_t)w[at + 3] + 1;
    }
    return at + width > n ? 0 : (uint32_t)width;
}

/* Decodes the instruction at `at` of words not threaded yet: its op and width, or
 * ESGX_WASM_E_INVALID. */
static inline int decode_at(const uint32_t *w, uint32_t n, uint32_t at, int *op,
                            uint32_t *width, esgx_err *err)
{
    *op = raw_op_at(w, n, at);
    if (*op < 0)
        return esgx_err_set(err, ESGX_WASM_E_INVALID,
                            "compiled code: no internal op at word %u", at);
    *width = width_at(w, n, at, *op);
    if (*width == 0)
        return esgx_err_set(err, ESGX_WASM_E_INVALID,
                            "compiled code: %s at word %u runs past the end (%u words)",
                            esgx_wasm_iop_name[*op], at, n);
    return ESGX_OK;
}

int esgx_wasm_code_check(const esgx_wasm_code *code, esgx_err *err)
{
    const uint32_t *w = code->words;
    uint32_t n = code->n_words;
    uint8_t *start = calloc((size_t)n + 1, 1);
    if (!start) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    int rc = ESGX_OK, op;
    uint32_t width = 0;
    for (uint32_t at = 0; at < n && !rc; at += width) {
        rc = decode_at(w, n, at, &op, &width, err);
        start[at] = 1;
    }
    /* every branch offset lands on an instruction start */
    for (uint32_t at = 0; at < n && !rc; at += width) {
        rc = decode_at(w, n, at, &op, &width, err);
        const char *f = esgx_wasm_iop_format[op];
        for (uint32_t k = 0; f[k] && !rc; k++) {
            bool table = f[k] == 'n';
            uint32_t o = at + ESGX_WASM_OP_HEAD + k;
            uint32_t first = table ? 1 : 0, last = table ? w[o] + 1 : 0;
            if (f[k] != 'o' && !table) continue;
            for (uint32_t j = first; j <= last; j++) {
                uint64_t t = (uint64_t)at + (int32_t)w[o + j];
                if (t >= n || !start[t])
                    rc = esgx_err_set(err, ESGX_WASM_E_INVALID,
                                      "compiled code: %s at word %u branches to word %llu, "
                                      "not an instruction", esgx_wasm_iop_name[op], at,
                                      (unsigned long long)t);
            }
        }
    }
    free(start);
    return rc;
}

int esgx_wasm_code_thread(esgx_wasm_code *code, const void *const *handlers, esgx_err *err)
{
    uint32_t *w = code->words, n = code->n_words, n_ops = 0, width = 0;
    /* one walk: room for the most instructions n words can hold, then the exact size */
    uint16_t *ops = malloc(((size_t)n / ESGX_WASM_OP_HEAD + 1) * sizeof *ops);
    if (!ops) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    int op, rc = ESGX_OK;
    for (uint32_t at = 0; at < n && !rc; at += width) {
        rc = decode_at(w, n, at, &op, &width, err);
        if (rc) break;
        ops[n_ops++] = (uint16_t)op;
        memcpy(w + at, &handlers[op], sizeof handlers[op]);
    }
    if (!rc) {
        code->ops = malloc((size_t)(n_ops ? n_ops : 1) * sizeof *ops);
        if (code->ops) memcpy(code->ops, ops, (size_t)n_ops * sizeof *ops);
        else rc = esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
        code->n_ops = code->ops ? n_ops : 0;
    }
    explicit_bzero(ops, (size_t)n_ops * sizeof *ops);   /* like code->ops when freed */
    free(ops);
    return rc;
}

/* Prints one instruction (op at word at, of the given width) as one line. */
static void dump_instr(FILE *out, const uint32_t *w, uint32_t at, int op)
{
    const char *f = esgx_wasm_iop_format[op];
    const uint32_t *o = w + at + ESGX_WASM_OP_HEAD;
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

static void dump_function(const esgx_wasm_code *code, FILE *out)
{
    fprintf(out, "func %u: params %u, results %u, locals %u, frame %u slots, %u words\n",
            code->func_index, code->n_params, code->n_results, code->n_locals,
            code->frame_size, code->n_words);
    for (uint32_t at = 0, i = 0; i < code->n_ops; i++) {
        int op = code->ops[i];
        dump_instr(out, code->words, at, op);
        at += width_at(code->words, code->n_words, at, op);
    }
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
    int rc = esgx_wasm_lower_all(m, err);   /* a lazy module's code, made whole */
    if (rc) return rc;
    for (uint32_t i = lo; i < hi; i++) dump_function(&cm->codes[i], out);
    if (ferror(out)) return esgx_err_set(err, ESGX_WASM_E_ARG, "dump code: write failed");
    return ESGX_OK;
}
