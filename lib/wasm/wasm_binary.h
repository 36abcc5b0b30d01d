/*
 * wasm_binary.h (internal to lib/wasm; owned by the decoder): a bounded byte reader
 * with strict LEB128 decoding, and the one instruction decoder shared by decode.c
 * (which scans every body for malformedness) and validate.c (which types them).
 *
 * Every read checks the bounds of the reader first and fails with ESGX_WASM_E_MALFORMED and
 * the spec test suite's wording ("unexpected end", "integer too large",
 * "integer representation too long", ...) plus the byte offset in the binary.
 */
#ifndef ESGX_WASM_BINARY_H
#define ESGX_WASM_BINARY_H

#include "wasm_module.h"
#include "wasm_opcodes.h"

/* A cursor over [p, end) inside the binary that starts at base (for offsets). */
typedef struct esgx_wasm_reader {
    const uint8_t *p;
    const uint8_t *end;
    const uint8_t *base;
    const char *where;      /* context for messages, e.g. "code section" */
    bool in_section;        /* running off the end is "unexpected end of section or function" */
    esgx_err *err;
} esgx_wasm_reader;

/* Reads one byte / a u32 / s32 / s33 / s64 LEB128 / raw fixed-size little-endian
 * bits. 0 or ESGX_WASM_E_MALFORMED with a message in r->err. */
int esgx_wasm_rd_byte(esgx_wasm_reader *r, uint8_t *out);
int esgx_wasm_rd_u32(esgx_wasm_reader *r, uint32_t *out);
int esgx_wasm_rd_s32(esgx_wasm_reader *r, int32_t *out);
int esgx_wasm_rd_s33(esgx_wasm_reader *r, int64_t *out);
int esgx_wasm_rd_s64(esgx_wasm_reader *r, int64_t *out);
int esgx_wasm_rd_fixed(esgx_wasm_reader *r, unsigned n, uint64_t *out);
/* Sets r->err to ESGX_WASM_E_MALFORMED "msg (where, offset N)" at the current position. */
int esgx_wasm_rd_fail(esgx_wasm_reader *r, const char *msg);

/* Block type kinds of esgx_wasm_instr.bt_kind. */
enum { ESGX_WASM_BT_EMPTY = 0, ESGX_WASM_BT_VAL = 1, ESGX_WASM_BT_TYPE = 2 };


/* One decoded instruction with its immediates. */
typedef struct esgx_wasm_instr {
    uint32_t op;           /* opcode (0x00..0xD2), ESGX_WASM_OP_FC(sub) or _FD(sub) */
    uint32_t a, b;         /* indices; memarg: a = align exponent, b = offset;
                              blocks: a = valtype or type index (see bt_kind);
                              ref.null / typed select: a = valtype */
    uint32_t bt_kind;      /* ESGX_WASM_BT_* for block / loop / if */
    uint64_t bits;         /* i32/i64/f32/f64 constant bits */
    const uint8_t *vec;    /* br_table: first of n + 1 u32 labels; select: first type;
                              v128.const / i8x16.shuffle: the 16 immediate bytes */
    uint32_t n;            /* br_table label count (default excluded); select type count;
                              SIMD lane ops: the lane index */
} esgx_wasm_instr;

/* Decodes the instruction at r->p and advances past it. Malformed encodings (unknown
 * opcode "illegal opcode", bad LEB, non-zero reserved byte "zero byte expected", bad
 * reference type) give ESGX_WASM_E_MALFORMED; the threads (0xFE) prefix gives
 * ESGX_WASM_E_UNSUPPORTED. Index ranges, lane indices and types are not checked here. */
int esgx_wasm_read_instr(esgx_wasm_reader *r, esgx_wasm_instr *in);

/* Reads the next u32 LEB at *cursor and advances it, for data already checked well
 * formed by esgx_wasm_read_instr (br_table labels, starting at esgx_wasm_instr.vec). */
uint32_t esgx_wasm_leb_u32_next(const uint8_t **cursor);

#endif
