/*
 * decode.c: the WebAssembly binary decoder (esgx_wasm_decode, esgx_wasm_module_release) and the
 * strict readers of wasm_binary.h.
 *
 * Design notes:
 * - One forward pass over the binary. Every section gets its own bounded reader, so a
 *   read past the section's end fails ("unexpected end of section or function") and
 *   leftover bytes fail ("section size mismatch"). Known sections must come in the
 *   spec's order, once each; custom sections may appear anywhere.
 * - Hostile input: every vector count is checked against the bytes left in its section
 *   (each element needs at least one byte) before anything is allocated, so a module
 *   of N bytes never allocates more than a small multiple of N. Function count and
 *   locals per function are also capped by esgx_wasm_limits (ESGX_WASM_E_LIMIT), and the
 *   expanded locals of all functions together by 2 per byte of the module + 1M
 *   (a 2-byte locals group may declare thousands).
 * - Function bodies are scanned instruction by instruction with esgx_wasm_read_instr, so
 *   encoding errors (unknown opcodes, bad LEBs, reserved bytes) are reported as
 *   ESGX_WASM_E_MALFORMED here, before validation; validate.c then types the bodies. The
 *   scan keeps only a nesting counter (no stack), so deep nesting costs nothing.
 *   ESGX_WASM_DECODE_SKIP_BODIES leaves the scan out for the fast path of module.c, whose
 *   fused check-and-compile pass reads every instruction anyway.
 * - declared_funcs (the spec's C.refs) is filled while reading globals, exports and
 *   element segments: the function indices named there (ref.func included).
 * - Messages start with the spec test suite's wording, then name the section and the
 *   byte offset, e.g. "integer too large (memory section, offset 14)".
 */
#include "wasm_binary.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ readers */

int esgx_wasm_rd_fail(esgx_wasm_reader *r, const char *msg)
{
    return esgx_err_set(r->err, ESGX_WASM_E_MALFORMED, "%s (%s, offset %zu)", msg,
                        r->where ? r->where : "module", (size_t)(r->p - r->base));
}

static int rd_eof(esgx_wasm_reader *r)
{
    return esgx_wasm_rd_fail(r, r->in_section ? "unexpected end of section or function"
                                         : "unexpected end");
}

int esgx_wasm_rd_byte(esgx_wasm_reader *r, uint8_t *out)
{
    if (r->p >= r->end) return rd_eof(r);
    *out = *r->p++;
    return 0;
}

/* Strict LEB128 of at most `bits` bits: at most ceil(bits/7) bytes, and the unused
 * bits of the last byte must be zero (unsigned) or copies of the sign bit (signed). */
static inline int rd_leb(esgx_wasm_reader *r, unsigned bits, bool sign, uint64_t *out)
{
    /* one byte (most indices and small constants): never the last byte of a long form */
    if (r->p < r->end && !(*r->p & 0x80)) {
        uint64_t b = *r->p++;
        *out = sign && (b & 0x40) ? b | ~(uint64_t)0x7f : b;
        return 0;
    }
    uint64_t v = 0;
    unsigned shift = 0;
    unsigned maxbytes = (bits + 6) / 7;
    for (unsigned i = 0;; i++) {
        if (r->p >= r->end) return rd_eof(r);
        uint8_t b = *r->p++;
        if (i == maxbytes - 1) {
            if (b & 0x80) return esgx_wasm_rd_fail(r, "integer representation too long");
            unsigned used = bits - shift; /* value bits carried by this byte, 1..7 */
            if (used < 7) {
                uint8_t hi = (uint8_t)((b & 0x7f) >> (used - (sign ? 1 : 0)));
                uint8_t want = 0;
                if (sign && ((b >> (used - 1)) & 1)) want = (uint8_t)(0x7f >> (used - 1));
                if (hi != want) return esgx_wasm_rd_fail(r, "integer too large");
            }
            v |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            break;
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    if (sign && shift < 64 && ((v >> (shift - 1)) & 1)) v |= ~(uint64_t)0 << shift;
    *out = v;
    return 0;
}

int esgx_wasm_rd_u32(esgx_wasm_reader *r, uint32_t *out)
{
    uint64_t v = 0;
    int rc = rd_leb(r, 32, false, &v);
    if (rc) return rc;
    *out = (uint32_t)v;
    return 0;
}

int esgx_wasm_rd_s32(esgx_wasm_reader *r, int32_t *out)
{
    uint64_t v = 0;
    int rc = rd_leb(r, 32, true, &v);
    if (rc) return rc;
    *out = (int32_t)(uint32_t)v;
    return 0;
}

int esgx_wasm_rd_s33(esgx_wasm_reader *r, int64_t *out)
{
    uint64_t v = 0;
    int rc = rd_leb(r, 33, true, &v);
    if (rc) return rc;
    *out = (int64_t)v;
    return 0;
}

int esgx_wasm_rd_s64(esgx_wasm_reader *r, int64_t *out)
{
    uint64_t v = 0;
    int rc = rd_leb(r, 64, true, &v);
    if (rc) return rc;
    *out = (int64_t)v;
    return 0;
}

int esgx_wasm_rd_fixed(esgx_wasm_reader *r, unsigned n, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < n) {
        r->p = r->end;
        return rd_eof(r);
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *out = v;
    return 0;
}

uint32_t esgx_wasm_leb_u32_next(const uint8_t **cursor)
{
    const uint8_t *p = *cursor;
    uint32_t v = 0;
    unsigned shift = 0;
    for (;;) {
        uint8_t b = *p++;
        if (shift < 32) v |= (uint32_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    *cursor = p;
    return v;
}

#define TRY(x)                  \
    do {                        \
        int rc_ = (x);          \
        if (rc_) return rc_;    \
    } while (0)

/* A value type byte. */
static int rd_valtype(esgx_wasm_reader *r, esgx_wasm_valtype *out)
{
    uint8_t b = 0;
    TRY(esgx_wasm_rd_byte(r, &b));
    switch (b) {
    case ESGX_WASM_I32: case ESGX_WASM_I64: case ESGX_WASM_F32: case ESGX_WASM_F64:
    case ESGX_WASM_V128: case ESGX_WASM_FUNCREF: case ESGX_WASM_EXTERNREF:
        *out = (esgx_wasm_valtype)b;
        return 0;
    default:
        r->p--;
        return esgx_wasm_rd_fail(r, "malformed value type");
    }
}

static int rd_reftype(esgx_wasm_reader *r, esgx_wasm_valtype *out)
{
    uint8_t b = 0;
    TRY(esgx_wasm_rd_byte(r, &b));
    if (b != ESGX_WASM_FUNCREF && b != ESGX_WASM_EXTERNREF) {
        r->p--;
        return esgx_wasm_rd_fail(r, "malformed reference type");
    }
    *out = (esgx_wasm_valtype)b;
    return 0;
}

static int rd_zero_byte(esgx_wasm_reader *r)
{
    uint8_t b = 0;
    TRY(esgx_wasm_rd_byte(r, &b));
    if (b != 0) {
        r->p--;
        return esgx_wasm_rd_fail(r, "zero byte expected");
    }
    return 0;
}

static int rd_blocktype(esgx_wasm_reader *r, esgx_wasm_instr *in)
{
    if (r->p >= r->end) return rd_eof(r);
    uint8_t b = *r->p;
    if (b == ESGX_WASM_BLOCKTYPE_EMPTY) {
        r->p++;
        in->bt_kind = ESGX_WASM_BT_EMPTY;
        return 0;
    }
    if ((b & 0xc0) == 0x40) {   /* a one-byte negative s33: must be a value type */
        esgx_wasm_valtype t;
        TRY(rd_valtype(r, &t));
        in->bt_kind = ESGX_WASM_BT_VAL;
        in->a = (uint32_t)t;
        return 0;
    }
    int64_t v;
    TRY(esgx_wasm_rd_s33(r, &v));
    if (v < 0) return esgx_wasm_rd_fail(r, "malformed block type");
    in->bt_kind = ESGX_WASM_BT_TYPE;
    in->a = (uint32_t)v;
    return 0;
}

/* Reads the immediates of an instruction whose kind (IMM_*, wasm_opcodes.h) is imm. */
static int rd_immediates(esgx_wasm_reader *r, esgx_wasm_instr *in, unsigned imm)
{
    switch (imm) {
    case IMM_BLOCK:
        return rd_blocktype(r, in);
    case IMM_IDX:
        return esgx_wasm_rd_u32(r, &in->a);
    case IMM_IDX2: case IMM_MEMARG:
        TRY(esgx_wasm_rd_u32(r, &in->a));
        return esgx_wasm_rd_u32(r, &in->b);
    case IMM_BR_TABLE: {
        TRY(esgx_wasm_rd_u32(r, &in->n));
        if (in->n > (size_t)(r->end - r->p)) return esgx_wasm_rd_fail(r, "length out of bounds");
        in->vec = r->p;
        uint32_t x;
        for (uint64_t i = 0; i <= in->n; i++) TRY(esgx_wasm_rd_u32(r, &x));
        return 0;
    }
    case IMM_SELECT_T:
        TRY(esgx_wasm_rd_u32(r, &in->n));
        if (in->n > (size_t)(r->end - r->p)) return esgx_wasm_rd_fail(r, "length out of bounds");
        in->vec = r->p;
        for (uint32_t i = 0; i < in->n; i++) {
            esgx_wasm_valtype t;
            TRY(rd_valtype(r, &t));
            if (i == 0) in->a = (uint32_t)t;
        }
        return 0;
    case IMM_ZERO:
        return rd_zero_byte(r);
    case IMM_IDX_ZERO:
        TRY(esgx_wasm_rd_u32(r, &in->a));
        return rd_zero_byte(r);
    case IMM_ZERO2:
        TRY(rd_zero_byte(r));
        return rd_zero_byte(r);
    case IMM_I32: {
        int32_t v;
        TRY(esgx_wasm_rd_s32(r, &v));
        in->bits = (uint32_t)v;
        return 0;
    }
    case IMM_I64: {
        int64_t v;
        TRY(esgx_wasm_rd_s64(r, &v));
        in->bits = (uint64_t)v;
        return 0;
    }
    case IMM_F32:
        return esgx_wasm_rd_fixed(r, 4, &in->bits);
    case IMM_F64:
        return esgx_wasm_rd_fixed(r, 8, &in->bits);
    case IMM_REFTYPE: {
        esgx_wasm_valtype t = (esgx_wasm_valtype)0;   /* set by rd_reftype on success */
        TRY(rd_reftype(r, &t));
        in->a = (uint32_t)t;
        return 0;
    }
    case IMM_MEMARG_LANE:   /* memarg, then the lane byte */
        TRY(esgx_wasm_rd_u32(r, &in->a));
        TRY(esgx_wasm_rd_u32(r, &in->b));
        /* fall through */
    case IMM_LANE: {
        uint8_t lane = 0;
        TRY(esgx_wasm_rd_byte(r, &lane));
        in->n = lane;
        return 0;
    }
    case IMM_V128: case IMM_SHUFFLE:   /* 16 bytes, read in place */
        if (r->end - r->p < 16) {
            r->p = r->end;
            return rd_eof(r);
        }
        in->vec = r->p;
        r->p += 16;
        return 0;
    default:   /* IMM_NONE */
        return 0;
    }
}

int esgx_wasm_read_instr(esgx_wasm_reader *r, esgx_wasm_instr *in)
{
    uint8_t op = 0;
    in->a = in->b = in->n = in->bt_kind = 0;
    in->bits = 0;
    in->vec = NULL;
    TRY(esgx_wasm_rd_byte(r, &op));
    in->op = op;
    const esgx_wasm_opinfo *oi = esgx_wasm_opinfo_of(op);
    if (op == ESGX_WASM_PREFIX_FC) {
        uint32_t sub;
        TRY(esgx_wasm_rd_u32(r, &sub));
        if (sub >= ESGX_WASM_FC_COUNT) return esgx_wasm_rd_fail(r, "illegal opcode");
        in->op = ESGX_WASM_OP_FC(sub);
        oi = &esgx_wasm_opinfo_fc[sub];
    } else if (op == ESGX_WASM_PREFIX_SIMD) {
        uint32_t sub;
        TRY(esgx_wasm_rd_u32(r, &sub));
        if (sub >= ESGX_WASM_FD_COUNT || !esgx_wasm_opinfo_fd[sub].name)
            return esgx_wasm_rd_fail(r, "illegal opcode");
        in->op = ESGX_WASM_OP_FD(sub);
        oi = &esgx_wasm_opinfo_fd[sub];
    } else if (op == ESGX_WASM_PREFIX_THREADS) {
        r->p--;
        return esgx_err_set(r->err, ESGX_WASM_E_UNSUPPORTED,
                            "threads are not supported (%s, offset %zu)",
                            r->where ? r->where : "module", (size_t)(r->p - r->base));
    } else if (!oi) {
        r->p--;
        return esgx_wasm_rd_fail(r, "illegal opcode");
    }
    return rd_immediates(r, in, oi->imm);
}

/* ------------------------------------------------------------------ decoder */

typedef struct dec {
    esgx_wasm_module *m;
    const esgx_wasm_limits *lim;
    esgx_err *err;
    uint32_t n_code;          /* bodies read from the code section */
    size_t data_use_off;      /* offset of the first memory.init / data.drop, or 0 */
    uint64_t locals_left;     /* expanded locals still allowed in the whole module */
    bool have_funcs;          /* function index space is final (bitmap may be made) */
    bool skip_bodies;         /* ESGX_WASM_DECODE_SKIP_BODIES: the caller reads the bodies */
} dec;

/* Checks that s holds at least n more elements of min_size bytes each. */
static int rd_count(esgx_wasm_reader *r, uint32_t *n, size_t min_size)
{
    TRY(esgx_wasm_rd_u32(r, n));
    if ((uint64_t)*n * min_size > (size_t)(r->end - r->p))
        return esgx_wasm_rd_fail(r, "unexpected end of section or function");
    return 0;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

static int rd_name(esgx_wasm_reader *r, const char **s, uint32_t *len)
{
    TRY(esgx_wasm_rd_u32(r, len));
    if (*len > (size_t)(r->end - r->p)) return esgx_wasm_rd_fail(r, "length out of bounds");
    if (!utf8_valid(r->p, *len)) return esgx_wasm_rd_fail(r, "malformed UTF-8 encoding");
    *s = (const char *)r->p;
    r->p += *len;
    return 0;
}

/* Limits: flag 0 (min) or 1 (min, max). For memories, flag 3 is a shared memory of
 * the threads proposal (unsupported); anything else is malformed. */
static int rd_limits(esgx_wasm_reader *r, esgx_wasm_limits_decl *l, bool memory)
{
    uint8_t flag = 0;
    TRY(esgx_wasm_rd_byte(r, &flag));
    if (memory && flag == 3) {
        r->p--;
        return esgx_err_set(r->err, ESGX_WASM_E_UNSUPPORTED,
                            "shared memories (threads) are not supported (%s, offset %zu)",
                            r->where, (size_t)(r->p - r->base));
    }
    if (flag > 1) {
        r->p--;
        return esgx_wasm_rd_fail(r, "integer too large");
    }
    TRY(esgx_wasm_rd_u32(r, &l->min));
    l->has_max = flag == 1;
    l->max = 0;
    if (l->has_max) TRY(esgx_wasm_rd_u32(r, &l->max));
    return 0;
}

static int rd_table_type(esgx_wasm_reader *r, esgx_wasm_table_type *t)
{
    TRY(rd_reftype(r, &t->elem_type));
    return rd_limits(r, &t->limits, false);
}

static int rd_global_type(esgx_wasm_reader *r, esgx_wasm_global_type *g)
{
    TRY(rd_valtype(r, &g->type));
    uint8_t mut = 0;
    TRY(esgx_wasm_rd_byte(r, &mut));
    if (mut > 1) {
        r->p--;
        return esgx_wasm_rd_fail(r, "malformed mutability");
    }
    g->mutable_ = mut == 1;
    return 0;
}

/* Marks function index f as referenced outside bodies (ignored if out of range:
 * validation reports it). */
static int declare_func(dec *d, uint32_t f)
{
    esgx_wasm_module *m = d->m;
    uint32_t total = m->n_func_imports + m->n_funcs;
    if (!m->declared_funcs) {
        m->declared_funcs = calloc((size_t)total / 8 + 1, 1);
        if (!m->declared_funcs) return esgx_err_set(d->err, ESGX_WASM_E_NOMEM, "out of memory");
    }
    if (f < total) m->declared_funcs[f / 8] |= (uint8_t)(1u << (f % 8));
    return 0;
}

/* A constant expression: instructions through the matching `end`. */
static int rd_const_expr(dec *d, esgx_wasm_reader *r, esgx_wasm_const_expr *ce)
{
    const uint8_t *start = r->p;
    uint64_t depth = 0;
    esgx_wasm_instr in;
    for (;;) {
        TRY(esgx_wasm_read_instr(r, &in));
        if (in.op == OPC_BLOCK || in.op == OPC_LOOP || in.op == OPC_IF) {
            depth++;
        } else if (in.op == OPC_END) {
            if (depth == 0) break;
            depth--;
        } else if (in.op == OPC_REF_FUNC) {
            TRY(declare_func(d, in.a));
        }
    }
    ce->code = start;
    ce->len = (uint32_t)(r->p - start);
    return 0;
}

static int nomem(dec *d)
{
    return esgx_err_set(d->err, ESGX_WASM_E_NOMEM, "out of memory");
}

static int sec_type(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 3));
    m->types = calloc(n ? n : 1, sizeof *m->types);
    if (!m->types) return nomem(d);
    m->n_types = n;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t form = 0;
        TRY(esgx_wasm_rd_byte(r, &form));
        if (form != 0x60) {
            r->p--;
            return esgx_wasm_rd_fail(r, "integer representation too long");
        }
        uint32_t np, nr;
        TRY(rd_count(r, &np, 1));
        const uint8_t *pp = r->p;
        r->p += np;
        TRY(rd_count(r, &nr, 1));
        r->p = pp;
        esgx_wasm_functype_decl *t = &m->types[i];
        t->types = calloc((size_t)np + nr + 1, sizeof *t->types);
        if (!t->types) return nomem(d);
        t->n_params = np;
        t->n_results = nr;
        for (uint32_t k = 0; k < np; k++) TRY(rd_valtype(r, &t->types[k]));
        TRY(esgx_wasm_rd_u32(r, &nr));
        for (uint32_t k = 0; k < nr; k++) TRY(rd_valtype(r, &t->types[np + k]));
    }
    return 0;
}

static int sec_import(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 4));
    m->imports = calloc(n ? n : 1, sizeof *m->imports);
    if (!m->imports) return nomem(d);
    m->n_imports = n;
    for (uint32_t i = 0; i < n; i++) {
        esgx_wasm_import_decl *im = &m->imports[i];
        TRY(rd_name(r, &im->module, &im->module_len));
        TRY(rd_name(r, &im->name, &im->name_len));
        uint8_t kind = 0;
        TRY(esgx_wasm_rd_byte(r, &kind));
        switch (kind) {
        case 0:
            im->kind = ESGX_WASM_EXTERN_FUNC;
            TRY(esgx_wasm_rd_u32(r, &im->desc.func_type));
            if (++m->n_func_imports > d->lim->max_functions)
                return esgx_err_set(d->err, ESGX_WASM_E_LIMIT,
                                    "too many functions (limit %u)", d->lim->max_functions);
            break;
        case 1:
            im->kind = ESGX_WASM_EXTERN_TABLE;
            TRY(rd_table_type(r, &im->desc.table));
            m->n_table_imports++;
            break;
        case 2:
            im->kind = ESGX_WASM_EXTERN_MEMORY;
            TRY(rd_limits(r, &im->desc.memory, true));
            m->n_memory_imports++;
            break;
        case 3:
            im->kind = ESGX_WASM_EXTERN_GLOBAL;
            TRY(rd_global_type(r, &im->desc.global));
            m->n_global_imports++;
            break;
        default:
            r->p--;
            return esgx_wasm_rd_fail(r, "malformed import kind");
        }
    }
    return 0;
}

static int sec_function(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 1));
    if ((uint64_t)n + m->n_func_imports > d->lim->max_functions)
        return esgx_err_set(d->err, ESGX_WASM_E_LIMIT, "too many functions: %u (limit %u)",
                            n + m->n_func_imports, d->lim->max_functions);
    m->funcs = calloc(n ? n : 1, sizeof *m->funcs);
    if (!m->funcs) return nomem(d);
    m->n_funcs = n;
    for (uint32_t i = 0; i < n; i++) TRY(esgx_wasm_rd_u32(r, &m->funcs[i].type));
    return 0;
}

static int sec_table(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 3));
    m->tables = calloc(n ? n : 1, sizeof *m->tables);
    if (!m->tables) return nomem(d);
    m->n_tables = n;
    for (uint32_t i = 0; i < n; i++) TRY(rd_table_type(r, &m->tables[i]));
    return 0;
}

static int sec_memory(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 2));
    m->memories = calloc(n ? n : 1, sizeof *m->memories);
    if (!m->memories) return nomem(d);
    m->n_memories = n;
    for (uint32_t i = 0; i < n; i++) TRY(rd_limits(r, &m->memories[i], true));
    return 0;
}

static int sec_global(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 3));
    m->globals = calloc(n ? n : 1, sizeof *m->globals);
    if (!m->globals) return nomem(d);
    m->n_globals = n;
    for (uint32_t i = 0; i < n; i++) {
        TRY(rd_global_type(r, &m->globals[i].type));
        TRY(rd_const_expr(d, r, &m->globals[i].init));
    }
    return 0;
}

static int sec_export(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 3));
    m->exports = calloc(n ? n : 1, sizeof *m->exports);
    if (!m->exports) return nomem(d);
    m->n_exports = n;
    for (uint32_t i = 0; i < n; i++) {
        esgx_wasm_export_decl *e = &m->exports[i];
        TRY(rd_name(r, &e->name, &e->name_len));
        uint8_t kind = 0;
        TRY(esgx_wasm_rd_byte(r, &kind));
        if (kind > 3) {
            r->p--;
            return esgx_wasm_rd_fail(r, "malformed export kind");
        }
        e->kind = (esgx_wasm_extern_kind)kind;
        TRY(esgx_wasm_rd_u32(r, &e->index));
        if (e->kind == ESGX_WASM_EXTERN_FUNC) TRY(declare_func(d, e->index));
    }
    return 0;
}

static int sec_start(dec *d, esgx_wasm_reader *r)
{
    d->m->has_start = true;
    return esgx_wasm_rd_u32(r, &d->m->start);
}

static int sec_elem(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 2));
    m->elems = calloc(n ? n : 1, sizeof *m->elems);
    if (!m->elems) return nomem(d);
    m->n_elems = n;
    for (uint32_t i = 0; i < n; i++) {
        esgx_wasm_elem_segment *s = &m->elems[i];
        uint32_t flags;
        TRY(esgx_wasm_rd_u32(r, &flags));
        if (flags > 7) return esgx_wasm_rd_fail(r, "malformed elements segment kind");
        bool passive_or_decl = flags & 1, explicit_table = flags & 2, exprs = flags & 4;
        s->elem_type = ESGX_WASM_FUNCREF;
        if (!passive_or_decl) {
            s->mode = ESGX_WASM_SEGMENT_ACTIVE;
            if (explicit_table) TRY(esgx_wasm_rd_u32(r, &s->table));
            TRY(rd_const_expr(d, r, &s->offset));
        } else {
            s->mode = explicit_table ? ESGX_WASM_SEGMENT_DECLARATIVE : ESGX_WASM_SEGMENT_PASSIVE;
        }
        if (flags & 3) {   /* an explicit element kind / reference type */
            if (exprs) {
                TRY(rd_reftype(r, &s->elem_type));
            } else {
                uint8_t kind = 0;
                TRY(esgx_wasm_rd_byte(r, &kind));
                if (kind != 0) {
                    r->p--;
                    return esgx_wasm_rd_fail(r, "malformed element kind");
                }
            }
        }
        uint32_t k;
        TRY(rd_count(r, &k, exprs ? 2 : 1));
        if (exprs) {
            s->exprs = calloc(k ? k : 1, sizeof *s->exprs);
            if (!s->exprs) return nomem(d);
            s->n_elems = k;
            for (uint32_t j = 0; j < k; j++) TRY(rd_const_expr(d, r, &s->exprs[j]));
        } else {
            s->func_indices = calloc(k ? k : 1, sizeof *s->func_indices);
            if (!s->func_indices) return nomem(d);
            s->n_elems = k;
            for (uint32_t j = 0; j < k; j++) {
                TRY(esgx_wasm_rd_u32(r, &s->func_indices[j]));
                TRY(declare_func(d, s->func_indices[j]));
            }
        }
    }
    return 0;
}

static int sec_datacount(dec *d, esgx_wasm_reader *r)
{
    d->m->has_data_count = true;
    return esgx_wasm_rd_u32(r, &d->m->data_count);
}

/* Scans a body's instructions up to its final `end`, which must be its last byte. */
static int scan_body(dec *d, esgx_wasm_reader *r)
{
    uint64_t depth = 0;
    esgx_wasm_instr in;
    for (;;) {
        if (r->p >= r->end) return esgx_wasm_rd_fail(r, "END opcode expected");
        TRY(esgx_wasm_read_instr(r, &in));
        switch (in.op) {
        case OPC_BLOCK: case OPC_LOOP: case OPC_IF:
            depth++;
            break;
        case OPC_END:
            if (depth == 0) {
                if (r->p != r->end) return esgx_wasm_rd_fail(r, "section size mismatch");
                return 0;
            }
            depth--;
            break;
        case OPC_MEMORY_INIT: case OPC_DATA_DROP:
            if (!d->m->has_data_count && !d->data_use_off)
                d->data_use_off = (size_t)(r->p - r->base);
            break;
        default:
            break;
        }
    }
}

static int sec_code(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 2));
    if (n != m->n_funcs)
        return esgx_wasm_rd_fail(r, "function and code section have inconsistent lengths");
    for (uint32_t i = 0; i < n; i++) {
        esgx_wasm_func_decl *f = &m->funcs[i];
        uint32_t size;
        TRY(esgx_wasm_rd_u32(r, &size));
        if (size > (size_t)(r->end - r->p)) return esgx_wasm_rd_fail(r, "length out of bounds");
        esgx_wasm_reader b = *r;
        b.end = r->p + size;
        b.where = "code section";
        r->p += size;
        /* Locals: count them first (bounded), then expand. */
        uint32_t groups;
        TRY(rd_count(&b, &groups, 2));
        const uint8_t *lp = b.p;
        uint64_t total = 0;
        for (uint32_t g = 0; g < groups; g++) {
            uint32_t c;
            esgx_wasm_valtype t;
            TRY(esgx_wasm_rd_u32(&b, &c));
            TRY(rd_valtype(&b, &t));
            total += c;
            if (total > UINT32_MAX) return esgx_wasm_rd_fail(&b, "too many locals");
        }
        uint64_t params = f->type < m->n_types ? m->types[f->type].n_params : 0;
        if (total + params > d->lim->max_locals)
            return esgx_err_set(d->err, ESGX_WASM_E_LIMIT,
                                "too many locals: %llu in function %u (limit %u)",
                                (unsigned long long)(total + params),
                                m->n_func_imports + i, d->lim->max_locals);
        /* A locals group costs 2 bytes however many locals it declares, so the
         * expanded arrays are also capped module-wide (2 per byte of the module). */
        if (total > d->locals_left)
            return esgx_err_set(d->err, ESGX_WASM_E_LIMIT,
                                "too many locals in the module (function %u)",
                                m->n_func_imports + i);
        d->locals_left -= total;
        f->local_types = calloc(total ? total : 1, sizeof *f->local_types);
        if (!f->local_types) return nomem(d);
        f->n_locals = (uint32_t)total;
        b.p = lp;
        uint32_t at = 0;
        for (uint32_t g = 0; g < groups; g++) {
            uint32_t c;
            esgx_wasm_valtype t;
            TRY(esgx_wasm_rd_u32(&b, &c));
            TRY(rd_valtype(&b, &t));
            for (uint32_t k = 0; k < c; k++) f->local_types[at++] = t;
        }
        f->code = b.p;
        f->code_offset = (uint32_t)(b.p - b.base);
        f->code_len = (uint32_t)(b.end - b.p);
        if (!d->skip_bodies) TRY(scan_body(d, &b));
        d->n_code++;
    }
    return 0;
}

static int sec_data(dec *d, esgx_wasm_reader *r)
{
    esgx_wasm_module *m = d->m;
    uint32_t n;
    TRY(rd_count(r, &n, 2));
    if (m->has_data_count && n != m->data_count)
        return esgx_wasm_rd_fail(r, "data count and data section have inconsistent lengths");
    m->datas = calloc(n ? n : 1, sizeof *m->datas);
    if (!m->datas) return nomem(d);
    m->n_datas = n;
    for (uint32_t i = 0; i < n; i++) {
        esgx_wasm_data_segment *s = &m->datas[i];
        uint32_t flags;
        TRY(esgx_wasm_rd_u32(r, &flags));
        if (flags > 2) return esgx_wasm_rd_fail(r, "malformed data segment kind");
        if (flags == 1) {
            s->mode = ESGX_WASM_SEGMENT_PASSIVE;
        } else {
            s->mode = ESGX_WASM_SEGMENT_ACTIVE;
            if (flags == 2) TRY(esgx_wasm_rd_u32(r, &s->memory));
            TRY(rd_const_expr(d, r, &s->offset));
        }
        TRY(esgx_wasm_rd_u32(r, &s->len));
        if (s->len > (size_t)(r->end - r->p))
            return esgx_wasm_rd_fail(r, "unexpected end of section or function");
        s->bytes = r->p;
        r->p += s->len;
    }
    return 0;
}

static const char *const section_names[13] = {
    "custom section", "type section", "import section", "function section",
    "table section", "memory section", "global section", "export section",
    "start section", "element section", "code section", "data section",
    "data count section",
};

/* Position of each known section id in the required order (datacount before code). */
static const uint8_t section_rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

int esgx_wasm_decode(esgx_wasm_module *m, const uint8_t *bytes, size_t len,
                const esgx_wasm_limits *limits, unsigned flags, esgx_err *err)
{
    esgx_wasm_limits defaults;
    if (!limits) {
        esgx_wasm_limits_default(&defaults);
        limits = &defaults;
    }
    if (len > limits->max_module_size)
        return esgx_err_set(err, ESGX_WASM_E_LIMIT, "module too large: %zu bytes (limit %zu)",
                            len, limits->max_module_size);
    m->limits = *limits;
    m->bytes = malloc(len ? len : 1);
    if (!m->bytes) return esgx_err_set(err, ESGX_WASM_E_NOMEM, "out of memory");
    if (len) memcpy(m->bytes, bytes, len);
    m->len = len;

    dec d = {.m = m, .lim = limits, .err = err, .locals_left = 2 * (uint64_t)len + (1u << 20),
             .skip_bodies = (flags & ESGX_WASM_DECODE_SKIP_BODIES) != 0};
    esgx_wasm_reader r = {.p = m->bytes, .end = m->bytes + len, .base = m->bytes,
                     .where = "header", .in_section = false, .err = err};
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    if (len >= 4 && memcmp(r.p, magic, 4) != 0)
        return esgx_wasm_rd_fail(&r, "magic header not detected");
    if (len < 4) {
        r.p = r.end;
        return esgx_wasm_rd_fail(&r, "unexpected end");
    }
    r.p += 4;
    if (len >= 8 && memcmp(r.p, version, 4) != 0)
        return esgx_wasm_rd_fail(&r, "unknown binary version");
    if (len < 8) {
        r.p = r.end;
        return esgx_wasm_rd_fail(&r, "unexpected end");
    }
    r.p += 4;

    unsigned last_rank = 0;
    bool saw_code = false, saw_data = false;
    while (r.p < r.end) {
        r.where = "module";
        uint8_t id = 0;
        TRY(esgx_wasm_rd_byte(&r, &id));
        if (id > 12) {
            r.p--;
            return esgx_wasm_rd_fail(&r, "malformed section id");
        }
        r.where = section_names[id];
        uint32_t size;
        TRY(esgx_wasm_rd_u32(&r, &size));
        if (size > (size_t)(r.end - r.p)) return esgx_wasm_rd_fail(&r, "length out of bounds");
        esgx_wasm_reader s = r;
        s.end = r.p + size;
        s.in_section = true;
        r.p += size;
        if (id != 0) {
            if (section_rank[id] <= last_rank) {
                s.p = s.p - 1;
                return esgx_wasm_rd_fail(&s, "unexpected content after last section");
            }
            last_rank = section_rank[id];
        }
        switch (id) {
        case 0: {
            const char *name;
            uint32_t nlen;
            TRY(rd_name(&s, &name, &nlen));
            s.p = s.end;
            break;
        }
        case 1: TRY(sec_type(&d, &s)); break;
        case 2: TRY(sec_import(&d, &s)); break;
        case 3: TRY(sec_function(&d, &s)); break;
        case 4: TRY(sec_table(&d, &s)); break;
        case 5: TRY(sec_memory(&d, &s)); break;
        case 6: TRY(sec_global(&d, &s)); break;
        case 7: TRY(sec_export(&d, &s)); break;
        case 8: TRY(sec_start(&d, &s)); break;
        case 9: TRY(sec_elem(&d, &s)); break;
        case 10: TRY(sec_code(&d, &s)); saw_code = true; break;
        case 11: TRY(sec_data(&d, &s)); saw_data = true; break;
        case 12: TRY(sec_datacount(&d, &s)); break;
        default: break;
        }
        if (s.p != s.end) return esgx_wasm_rd_fail(&s, "section size mismatch");
    }
    r.where = "module";
    if (!saw_code && m->n_funcs != 0)
        return esgx_wasm_rd_fail(&r, "function and code section have inconsistent lengths");
    if (!saw_data && m->has_data_count && m->data_count != 0)
        return esgx_wasm_rd_fail(&r, "data count and data section have inconsistent lengths");
    /* memory.init / data.drop need the data count section when there is a data
     * section. Without any data section (wabt omits the data count then) the indices
     * are simply unknown, which validation reports ("unknown data segment"). */
    if (d.data_use_off && saw_data) {
        r.where = "code section";
        r.p = m->bytes + d.data_use_off;
        return esgx_wasm_rd_fail(&r, "data count section required");
    }

    uint32_t total = m->n_func_imports + m->n_funcs;
    m->func_types = calloc(total ? total : 1, sizeof *m->func_types);
    if (!m->func_types) return nomem(&d);
    uint32_t k = 0;
    for (uint32_t i = 0; i < m->n_imports; i++)
        if (m->imports[i].kind == ESGX_WASM_EXTERN_FUNC) m->func_types[k++] = m->imports[i].desc.func_type;
    for (uint32_t i = 0; i < m->n_funcs; i++) m->func_types[k++] = m->funcs[i].type;
    if (!m->declared_funcs) {
        m->declared_funcs = calloc((size_t)total / 8 + 1, 1);
        if (!m->declared_funcs) return nomem(&d);
    }
    return ESGX_OK;
}

void esgx_wasm_module_release(esgx_wasm_module *m)
{
    if (!m) return;
    for (uint32_t i = 0; m->types && i < m->n_types; i++) free(m->types[i].types);
    free(m->types);
    free(m->imports);
    for (uint32_t i = 0; m->funcs && i < m->n_funcs; i++) free(m->funcs[i].local_types);
    free(m->funcs);
    free(m->func_types);
    free(m->tables);
    free(m->memories);
    free(m->globals);
    free(m->exports);
    for (uint32_t i = 0; m->elems && i < m->n_elems; i++) {
        free(m->elems[i].func_indices);
        free(m->elems[i].exprs);
    }
    free(m->elems);
    free(m->datas);
    free(m->declared_funcs);
    /* the binary may be a decrypted confidential module: wipe it, not just free it */
    if (m->bytes) explicit_bzero(m->bytes, m->len);
    free(m->bytes);
    memset(m, 0, sizeof *m);
}
