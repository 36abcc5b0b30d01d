/*
 * wasm_exec.h (internal to lib/wasm): the execution half of the runtime, shared by
 * compile.c (bodies -> internal code), interp.c (the interpreter), instance.c and
 * store.c (run-time objects, linking, the public API).
 *
 * Internal code. Every function is compiled to an array of 32-bit words. An
 * instruction is two head words followed by its operands, one word each. compile.c
 * writes the op number in the head; the last step of compiling a function
 * (esgx_wasm_code_thread) writes the address of the op's handler over it (8 bytes,
 * read with memcpy: direct threading) and keeps the ops in order in code->ops, which
 * the compiler tier and the dump read. Operands are frame slot
 * indices (every local and every operand-stack position is one 8-byte slot of the
 * frame), immediates, or branch offsets (in words, relative to the instruction start).
 * A v128 value takes two consecutive slots (low 64 bits first, lanes little-endian as
 * in memory): locals, operand-stack positions, params, results and call arguments are
 * all counted in slots, so n_params, n_results, n_locals and frame_size below are slot
 * counts, not value counts.
 * Frame layout: [params][declared locals][zero][operand stack]; the zero slot is
 * zeroed on entry like the locals and never written (a constant memory address is
 * encoded as zero slot + immediate). A call's arguments sit at
 * the top of the caller's operand stack and become the callee's first slots, and the
 * callee leaves its results in its slots 0..n_results-1, i.e. where the arguments were.
 *
 * Slot contents: i32 zero-extended to 64 bits, i64, f32/f64 as raw IEEE bits (so NaN
 * payloads survive every copy), references as the uintptr_t value, v128 as its 16
 * bytes in two slots.
 */
#ifndef ESGX_WASM_EXEC_H
#define ESGX_WASM_EXEC_H

#include "wasm_module.h"
#include "wasm_opcodes.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

/* ------------------------------------------------------------------ internal ops */

/* Every internal op is one row OPX(name, format, class), defined by the user.
 *
 * format: one character per code word after the op's two head words:
 *   d  destination slot        s  source slot             i  immediate (u32, index)
 *   c  32-bit constant bits    K  half of a 64-bit constant (two K: low, high word)
 *   P  half of a pointer to the callee's esgx_wasm_code (two P)
 *   o  branch offset (words, from the instruction start)   f  fuel charge
 *   n  br_table: label count n, followed by n + 1 offsets (the only variable width)
 *   D  v128 destination: slots D and D + 1      S  v128 source: slots S and S + 1
 * So an op's width in words is 2 + strlen(format) (ESGX_WASM_W_*), the one number the
 * emitter (compile*.c), the interpreter's NEXT and the code walker (code.c) use.
 *
 * class: (family, index, form, fmask), what the compiler's fusions and the code
 * generator read instead of doing arithmetic on op numbers (esgx_wasm_iop_class_of,
 * esgx_wasm_iop_of): the family of ops it belongs to (IOPF_*: the integer compares,
 * the loads, ...; NONE for an op of its own), its index in the family (which compare,
 * operator or load width), its form (slot or immediate operand, branch or loop
 * branch, ...), and fmask: bit k set when operand k of the format is read or written
 * as a float (in an xmm register, jit_alloc.c). (family, index, form) names at most one
 * op, so the rows can be in any order. ESGX_WASM_PLAIN is the class of an op that is
 * in no family and has no float operand. */
#define ESGX_WASM_PLAIN (NONE, 0, 0, 0)

/* Families of internal ops (the class column). */
enum esgx_wasm_iop_family {
    IOPF_NONE, IOPF_BRANCH, IOPF_ICMP_I32, IOPF_ICMP_I64, IOPF_FCMP_F32, IOPF_FCMP_F64,
    IOPF_FBR, IOPF_IBIN_I32, IOPF_IBIN_I64, IOPF_IDIV_I32, IOPF_IDIV_I64, IOPF_FLOAT_F32,
    IOPF_FLOAT_F64, IOPF_FK_F32, IOPF_FK_F64, IOPF_FCONV_F32, IOPF_FCONV_F64, IOPF_LOAD,
    IOPF_STORE, IOPF_SIMD, IOPF_COUNT_
};
/* The indices and forms within a family: at most ESGX_WASM_IOP_INDICES and
 * ESGX_WASM_IOP_FORMS (checked below). */
#define ESGX_WASM_IOP_INDICES 16
#define ESGX_WASM_IOP_FORMS 8

/* Integer compares (index in IOPF_ICMP_*; also the opcode table's ARG column). */
#define ESGX_WASM_ICMPS(X) X(EQ) X(NE) X(LTS) X(LTU) X(GTS) X(GTU) X(LES) X(LEU) X(GES) X(GEU)
#define ESGX_WASM_ICMP_INDEX(C) ICMP_##C,
enum { ESGX_WASM_ICMPS(ESGX_WASM_ICMP_INDEX) ICMP_COUNT_ };
/* Float compares (index in IOPF_FCMP_* and IOPF_FBR). */
#define ESGX_WASM_FCMPS(X) X(EQ) X(NE) X(LT) X(GT) X(LE) X(GE)
#define ESGX_WASM_FCMP_INDEX(C) FCMP_##C,
enum { ESGX_WASM_FCMPS(ESGX_WASM_FCMP_INDEX) FCMP_COUNT_ };
/* Binary integer ops with a 32-bit immediate form (_I) as well as the slot form. */
#define ESGX_WASM_IMMBIN(X) \
    X(ADD) X(SUB) X(MUL) X(AND) X(OR) X(XOR) X(SHL) X(SHRS) X(SHRU) X(ROTL) X(ROTR)
#define ESGX_WASM_IBIN_INDEX(B) IBIN_##B,
enum { ESGX_WASM_IMMBIN(ESGX_WASM_IBIN_INDEX) IBIN_COUNT_ };
/* Integer division (IOPF_IDIV_*). */
#define ESGX_WASM_IDIVS(X) X(DIVS) X(DIVU) X(REMS) X(REMU)
#define ESGX_WASM_IDIV_INDEX(B) IDIV_##B,
enum { ESGX_WASM_IDIVS(ESGX_WASM_IDIV_INDEX) IDIV_COUNT_ };
/* f32 / f64 unary (ds) and binary (dss) ops in wasm opcode order (IOPF_FLOAT_*); the
 * third column is the float operand mask (abs, neg, copysign work on the bits). */
#define ESGX_WASM_FLOATS(X)                                                              \
    X(ABS, "ds", 0) X(NEG, "ds", 0) X(CEIL, "ds", 3) X(FLOOR, "ds", 3)                \
    X(TRUNC, "ds", 3) X(NEAREST, "ds", 3) X(SQRT, "ds", 3) X(ADD, "dss", 7)          \
    X(SUB, "dss", 7) X(MUL, "dss", 7) X(DIV, "dss", 7) X(MIN, "dss", 7)              \
    X(MAX, "dss", 7) X(COPYSIGN, "dss", 0)
#define ESGX_WASM_FOP_INDEX(N, F, M) FOP_##N,
enum { ESGX_WASM_FLOATS(ESGX_WASM_FOP_INDEX) FOP_COUNT_ };
/* f32 / f64 add .. div with a constant right operand (IOPF_FK_*, index FOP_*: the op's
 * own). */
#define ESGX_WASM_FKS(X) X(ADD) X(SUB) X(MUL) X(DIV)
/* The int -> float conversions done by one instruction (IOPF_FCONV_*). */
enum { FCONV_I32S, FCONV_I32U, FCONV_I64S, FCONV_COUNT_ };
/* Loads (IOPF_LOAD) and stores (IOPF_STORE): the plain form and the _A form (the
 * address is a slot plus an immediate, an i32.add folded in). */
#define ESGX_WASM_LOADS(X) \
    X(32) X(64) X(8S32) X(8U) X(16S32) X(16U) X(8S64) X(16S64) X(32S64)
#define ESGX_WASM_LOAD_INDEX(N) LOAD_##N,
enum { ESGX_WASM_LOADS(ESGX_WASM_LOAD_INDEX) LOAD_COUNT_ };
#define ESGX_WASM_STORES(X) X(8) X(16) X(32) X(64)
#define ESGX_WASM_STORE_INDEX(N) STORE_##N,
enum { ESGX_WASM_STORES(ESGX_WASM_STORE_INDEX) STORE_COUNT_ };
enum { MF_PLAIN, MF_A };
/* Branches (IOPF_BRANCH): always, on an i32 / i64 being non-zero / zero; the plain form
 * and the _L form (to a loop header: also does the header's FUEL). */
enum { BRK_ALWAYS, BRK_NZ32, BRK_Z32, BRK_NZ64, BRK_Z64, BRK_COUNT_ };
enum { BRF_PLAIN, BRF_L };
/* The binary ops' forms (IOPF_IBIN_*): right operand a slot or an immediate. */
enum { BF_SLOT, BF_IMM };

/* The integer compare forms (IOPF_ICMP_*), per compare: the compare (d = a cmp b), with
 * an immediate b, branch on it, branch with an immediate, the two branches to a loop
 * header (_L: they also charge the loop's FUEL), and those two preceded by an i32 add
 * of an immediate (ADDI_: d = s + imm first; the loop counter step before the loop's
 * closing compare-and-branch). */
enum { CF_SET, CF_SET_I, CF_BR, CF_BR_I, CF_BR_L, CF_BR_I_L, CF_ADDI_BR_L, CF_ADDI_BR_I_L,
       CF_COUNT_ };
#define ESGX_WASM_CMP_OPS(X, T, C)                                                    \
    X(T##_##C, "dss", (ICMP_##T, ICMP_##C, CF_SET, 0))                               \
    X(T##_##C##_I, "dsi", (ICMP_##T, ICMP_##C, CF_SET_I, 0))                         \
    X(BR_##T##_##C, "sso", (ICMP_##T, ICMP_##C, CF_BR, 0))                           \
    X(BR_##T##_##C##_I, "sio", (ICMP_##T, ICMP_##C, CF_BR_I, 0))                     \
    X(BR_##T##_##C##_L, "sso", (ICMP_##T, ICMP_##C, CF_BR_L, 0))                     \
    X(BR_##T##_##C##_I_L, "sio", (ICMP_##T, ICMP_##C, CF_BR_I_L, 0))                 \
    X(ADDI_BR_##T##_##C##_L, "dsisso", (ICMP_##T, ICMP_##C, CF_ADDI_BR_L, 0))        \
    X(ADDI_BR_##T##_##C##_I_L, "dsisio", (ICMP_##T, ICMP_##C, CF_ADDI_BR_I_L, 0))
#define ESGX_WASM_CMP32(C) ESGX_WASM_CMP_OPS(OPX, I32, C)
#define ESGX_WASM_CMP64(C) ESGX_WASM_CMP_OPS(OPX, I64, C)
/* Float compares to a value (operands 1 and 2 are floats). */
#define ESGX_WASM_FCMP32(C) OPX(F32_##C, "dss", (FCMP_F32, FCMP_##C, 0, 6))
#define ESGX_WASM_FCMP64(C) OPX(F64_##C, "dss", (FCMP_F64, FCMP_##C, 0, 6))
/* f64 compare-and-branch (IOPF_FBR, index the compare): branch if the compare holds,
 * right operand a slot or a constant (_K, two words); _N: branch if it does not. */
enum { FBF_BR, FBF_BR_K, FBF_NBR, FBF_NBR_K, FBF_COUNT_ };
#define ESGX_WASM_FBR(C)                                                                  \
    OPX(BR_F64_##C, "sso", (FBR, FCMP_##C, FBF_BR, 3))                                  \
    OPX(BR_F64_##C##_K, "sKKo", (FBR, FCMP_##C, FBF_BR_K, 1))                           \
    OPX(BR_F64_N##C, "sso", (FBR, FCMP_##C, FBF_NBR, 3))                                \
    OPX(BR_F64_N##C##_K, "sKKo", (FBR, FCMP_##C, FBF_NBR_K, 1))
#define ESGX_WASM_BIN32(B)                                                                \
    OPX(I32_##B, "dss", (IBIN_I32, IBIN_##B, BF_SLOT, 0))                               \
    OPX(I32_##B##_I, "dsi", (IBIN_I32, IBIN_##B, BF_IMM, 0))
#define ESGX_WASM_BIN64(B)                                                                \
    OPX(I64_##B, "dss", (IBIN_I64, IBIN_##B, BF_SLOT, 0))                               \
    OPX(I64_##B##_I, "dsi", (IBIN_I64, IBIN_##B, BF_IMM, 0))
#define ESGX_WASM_DIV32(B) OPX(I32_##B, "dss", (IDIV_I32, IDIV_##B, 0, 0))
#define ESGX_WASM_DIV64(B) OPX(I64_##B, "dss", (IDIV_I64, IDIV_##B, 0, 0))
#define ESGX_WASM_FLOAT32(N, F, M) OPX(F32_##N, F, (FLOAT_F32, FOP_##N, 0, M))
#define ESGX_WASM_FLOAT64(N, F, M) OPX(F64_##N, F, (FLOAT_F64, FOP_##N, 0, M))
#define ESGX_WASM_FK32(N) OPX(F32_##N##_K, "dsc", (FK_F32, FOP_##N, 0, 3))
#define ESGX_WASM_FK64(N) OPX(F64_##N##_K, "dsKK", (FK_F64, FOP_##N, 0, 3))
#define ESGX_WASM_LOAD(N) OPX(LD##N, "dsi", (LOAD, LOAD_##N, MF_PLAIN, 0))
#define ESGX_WASM_LOAD_A(N) OPX(LD##N##_A, "dsii", (LOAD, LOAD_##N, MF_A, 0))
#define ESGX_WASM_STORE(N) OPX(ST##N, "ssi", (STORE, STORE_##N, MF_PLAIN, 0))
#define ESGX_WASM_STORE_A(N) OPX(ST##N##_A, "ssii", (STORE, STORE_##N, MF_A, 0))
/* The SIMD ops: one per ESGX_WASM_OPCODES_FD row, named after it, its operand format
 * given by its CK column (operands in that order; i: a lane index, a memarg offset
 * (loads and stores: offset before lane), c c c c: 16 constant or lane bytes). */
#define ESGX_WASM_FMT_KV_CONST "Dcccc"
#define ESGX_WASM_FMT_KV_UN "DS"
#define ESGX_WASM_FMT_KV_BIN "DSS"
#define ESGX_WASM_FMT_KV_TERN "DSSS"
#define ESGX_WASM_FMT_KV_SHIFT "DSs"
#define ESGX_WASM_FMT_KV_SPLAT "Ds"
#define ESGX_WASM_FMT_KV_EXTRACT "dSi"
#define ESGX_WASM_FMT_KV_REPLACE "DSsi"
#define ESGX_WASM_FMT_KV_TEST "dS"
#define ESGX_WASM_FMT_KV_LOAD "Dsi"
#define ESGX_WASM_FMT_KV_LOADLANE "DsSii"
#define ESGX_WASM_FMT_KV_STORE "sSi"
#define ESGX_WASM_FMT_KV_STORELANE "sSii"
#define ESGX_WASM_FMT_KV_SHUFFLE "DSScccc"
#define ESGX_WASM_SIMD_IOP(N, C, T, IMM, CAT, A, B, R, COST, CK, IOP, ARG, FLAGS) \
    OPX(N, ESGX_WASM_FMT_##CK, (SIMD, 0, 0, 0))
#define ESGX_WASM_UNOP(N) OPX(N, "ds", ESGX_WASM_PLAIN)
#define ESGX_WASM_BINOP(N) OPX(N, "dss", ESGX_WASM_PLAIN)
/* int -> float conversions: operand 0 (the result) is a float */
#define ESGX_WASM_FCONV(T, N) OPX(T##_CONV_##N, "ds", (FCONV_##T, FCONV_##N, 0, 1))

/* Every internal instruction. */
#define ESGX_WASM_OPS                                                                     \
    OPX(EXIT, "", ESGX_WASM_PLAIN) OPX(FUEL, "f", ESGX_WASM_PLAIN)                     \
    OPX(UNREACHABLE, "", ESGX_WASM_PLAIN) OPX(NOP, "", ESGX_WASM_PLAIN)                \
    OPX(BR, "o", (BRANCH, BRK_ALWAYS, BRF_PLAIN, 0))                                   \
    OPX(BR_NZ32, "so", (BRANCH, BRK_NZ32, BRF_PLAIN, 0))                               \
    OPX(BR_Z32, "so", (BRANCH, BRK_Z32, BRF_PLAIN, 0))                                 \
    OPX(BR_NZ64, "so", (BRANCH, BRK_NZ64, BRF_PLAIN, 0))                               \
    OPX(BR_Z64, "so", (BRANCH, BRK_Z64, BRF_PLAIN, 0)) OPX(BR_TABLE, "sn", ESGX_WASM_PLAIN) \
    OPX(BR_L, "o", (BRANCH, BRK_ALWAYS, BRF_L, 0))                                     \
    OPX(BR_NZ32_L, "so", (BRANCH, BRK_NZ32, BRF_L, 0))                                 \
    OPX(BR_Z32_L, "so", (BRANCH, BRK_Z32, BRF_L, 0))                                   \
    OPX(BR_NZ64_L, "so", (BRANCH, BRK_NZ64, BRF_L, 0))                                 \
    OPX(BR_Z64_L, "so", (BRANCH, BRK_Z64, BRF_L, 0))                                   \
    OPX(RET0, "", ESGX_WASM_PLAIN) OPX(RET1, "s", ESGX_WASM_PLAIN)                     \
    OPX(CALL, "PPs", ESGX_WASM_PLAIN) OPX(CALL_IMPORT, "is", ESGX_WASM_PLAIN)          \
    OPX(CALL_INDIRECT, "iiss", ESGX_WASM_PLAIN)                                        \
    OPX(ADDI2, "dsidsi", ESGX_WASM_PLAIN) OPX(COPY, "ds", ESGX_WASM_PLAIN)             \
    OPX(COPY2, "dsds", ESGX_WASM_PLAIN) OPX(CONST32, "dc", ESGX_WASM_PLAIN)            \
    OPX(CONST64, "dKK", ESGX_WASM_PLAIN) OPX(SELECT, "dsss", ESGX_WASM_PLAIN)          \
    OPX(SELECT64, "dsss", ESGX_WASM_PLAIN)                                             \
    OPX(GLOBAL_GET, "di", ESGX_WASM_PLAIN) OPX(GLOBAL_SET, "si", ESGX_WASM_PLAIN)      \
    ESGX_WASM_LOADS(ESGX_WASM_LOAD) ESGX_WASM_STORES(ESGX_WASM_STORE)                  \
    ESGX_WASM_LOADS(ESGX_WASM_LOAD_A) ESGX_WASM_STORES(ESGX_WASM_STORE_A)              \
    OPX(MEM_SIZE, "d", ESGX_WASM_PLAIN) OPX(MEM_GROW, "ds", ESGX_WASM_PLAIN)           \
    OPX(MEM_INIT, "sssi", ESGX_WASM_PLAIN) OPX(DATA_DROP, "i", ESGX_WASM_PLAIN)        \
    OPX(MEM_COPY, "sss", ESGX_WASM_PLAIN) OPX(MEM_FILL, "sss", ESGX_WASM_PLAIN)        \
    OPX(TABLE_GET, "dsi", ESGX_WASM_PLAIN) OPX(TABLE_SET, "iss", ESGX_WASM_PLAIN)      \
    OPX(TABLE_SIZE, "di", ESGX_WASM_PLAIN) OPX(TABLE_GROW, "dssi", ESGX_WASM_PLAIN)    \
    OPX(TABLE_FILL, "sssi", ESGX_WASM_PLAIN) OPX(TABLE_COPY, "sssii", ESGX_WASM_PLAIN) \
    OPX(TABLE_INIT, "sssii", ESGX_WASM_PLAIN) OPX(ELEM_DROP, "i", ESGX_WASM_PLAIN)     \
    OPX(REF_IS_NULL, "ds", ESGX_WASM_PLAIN) OPX(REF_FUNC, "di", ESGX_WASM_PLAIN)       \
    OPX(I32_EQZ, "ds", ESGX_WASM_PLAIN) OPX(I64_EQZ, "ds", ESGX_WASM_PLAIN)            \
    ESGX_WASM_ICMPS(ESGX_WASM_CMP32) ESGX_WASM_ICMPS(ESGX_WASM_CMP64)                \
    ESGX_WASM_FCMPS(ESGX_WASM_FCMP32) ESGX_WASM_FCMPS(ESGX_WASM_FCMP64)              \
    ESGX_WASM_FCMPS(ESGX_WASM_FBR)                                                   \
    ESGX_WASM_UNOP(I32_CLZ) ESGX_WASM_UNOP(I32_CTZ) ESGX_WASM_UNOP(I32_POPCNT)       \
    ESGX_WASM_IMMBIN(ESGX_WASM_BIN32) ESGX_WASM_IDIVS(ESGX_WASM_DIV32)               \
    ESGX_WASM_UNOP(I64_CLZ) ESGX_WASM_UNOP(I64_CTZ) ESGX_WASM_UNOP(I64_POPCNT)       \
    ESGX_WASM_IMMBIN(ESGX_WASM_BIN64) ESGX_WASM_IDIVS(ESGX_WASM_DIV64)               \
    ESGX_WASM_FLOATS(ESGX_WASM_FLOAT32) ESGX_WASM_FLOATS(ESGX_WASM_FLOAT64)          \
    OPX(I32_MULI_ADDI, "dsii", ESGX_WASM_PLAIN) OPX(I64_MULI_ADDI, "dsii", ESGX_WASM_PLAIN) \
    OPX(I32_MULADD, "dsss", ESGX_WASM_PLAIN) OPX(I64_MULADD, "dsss", ESGX_WASM_PLAIN)  \
    OPX(F64_MULADD, "dsss", (NONE, 0, 0, 15)) OPX(F64_MULSUB, "dsss", (NONE, 0, 0, 15)) \
    OPX(F64_MUL3, "dsss", (NONE, 0, 0, 15))                                            \
    OPX(I32_ROTLI_XOR, "dsis", ESGX_WASM_PLAIN) OPX(I32_ROT2_XOR, "dsisi", ESGX_WASM_PLAIN) \
    OPX(I32_SHRUI_XOR, "dsis", ESGX_WASM_PLAIN)                                        \
    ESGX_WASM_FKS(ESGX_WASM_FK32) ESGX_WASM_FKS(ESGX_WASM_FK64)                      \
    ESGX_WASM_UNOP(I32_WRAP) ESGX_WASM_UNOP(I32_TRUNC_F32S)                          \
    ESGX_WASM_UNOP(I32_TRUNC_F32U) ESGX_WASM_UNOP(I32_TRUNC_F64S)                    \
    ESGX_WASM_UNOP(I32_TRUNC_F64U) ESGX_WASM_UNOP(I64_EXTEND_I32S)                   \
    ESGX_WASM_UNOP(I64_TRUNC_F32S) ESGX_WASM_UNOP(I64_TRUNC_F32U)                    \
    ESGX_WASM_UNOP(I64_TRUNC_F64S) ESGX_WASM_UNOP(I64_TRUNC_F64U)                    \
    ESGX_WASM_FCONV(F32, I32S) ESGX_WASM_FCONV(F32, I32U) ESGX_WASM_FCONV(F32, I64S) \
    ESGX_WASM_UNOP(F32_CONV_I64U) OPX(F32_DEMOTE, "ds", (NONE, 0, 0, 3))              \
    ESGX_WASM_FCONV(F64, I32S) ESGX_WASM_FCONV(F64, I32U) ESGX_WASM_FCONV(F64, I64S) \
    ESGX_WASM_UNOP(F64_CONV_I64U) OPX(F64_PROMOTE, "ds", (NONE, 0, 0, 3))             \
    ESGX_WASM_UNOP(I32_EXT8S) ESGX_WASM_UNOP(I32_EXT16S) ESGX_WASM_UNOP(I64_EXT8S)   \
    ESGX_WASM_UNOP(I64_EXT16S) ESGX_WASM_UNOP(I64_EXT32S)                            \
    ESGX_WASM_UNOP(I32_SAT_F32S) ESGX_WASM_UNOP(I32_SAT_F32U)                        \
    ESGX_WASM_UNOP(I32_SAT_F64S) ESGX_WASM_UNOP(I32_SAT_F64U)                        \
    ESGX_WASM_UNOP(I64_SAT_F32S) ESGX_WASM_UNOP(I64_SAT_F32U)                        \
    ESGX_WASM_UNOP(I64_SAT_F64S) ESGX_WASM_UNOP(I64_SAT_F64U)                        \
    OPX(SELECT128, "DsSS", (SIMD, 0, 0, 0)) OPX(GLOBAL_GET128, "Di", (SIMD, 0, 0, 0))  \
    OPX(GLOBAL_SET128, "Si", (SIMD, 0, 0, 0))                                          \
    ESGX_WASM_OPCODES_FD(ESGX_WASM_SIMD_IOP)

#define OPX(n, f, k) WOP_##n,
enum esgx_wasm_iop { ESGX_WASM_OPS WOP_COUNT_ };
#undef OPX

/* ESGX_WASM_W_<op>: the op's width in code words (BR_TABLE: without its n + 1 offsets). */
#define OPX(n, f, k) ESGX_WASM_W_##n = 2 + (int)sizeof(f) - 1,
enum esgx_wasm_iop_width { ESGX_WASM_OPS ESGX_WASM_W_END_ };
#undef OPX

_Static_assert(ICMP_COUNT_ <= ESGX_WASM_IOP_INDICES && IBIN_COUNT_ <= ESGX_WASM_IOP_INDICES &&
                   FOP_COUNT_ <= ESGX_WASM_IOP_INDICES && LOAD_COUNT_ <= ESGX_WASM_IOP_INDICES,
               "a family has more indices than esgx_wasm_iop_of holds");
_Static_assert(CF_COUNT_ <= ESGX_WASM_IOP_FORMS && FBF_COUNT_ <= ESGX_WASM_IOP_FORMS,
               "a family has more forms than esgx_wasm_iop_of holds");
_Static_assert(WOP_COUNT_ <= UINT16_MAX, "internal ops are stored in 16 bits");

/* Per internal op: its name ("I32_ADD"), operand format, width and class (opcodes.c). */
typedef struct esgx_wasm_iop_class {
    uint8_t family;           /* enum esgx_wasm_iop_family */
    uint8_t index;            /* in the family: ICMP_*, IBIN_*, LOAD_*, ... */
    uint8_t form;             /* CF_*, FBF_*, BF_*, MF_*, BRF_* */
    uint8_t fmask;            /* bit k: operand k is a float */
} esgx_wasm_iop_class;
extern const char *const esgx_wasm_iop_name[WOP_COUNT_];
extern const char *const esgx_wasm_iop_format[WOP_COUNT_];
extern const uint8_t esgx_wasm_iop_width[WOP_COUNT_];
extern const esgx_wasm_iop_class esgx_wasm_iop_class_of[WOP_COUNT_];
/* The op of each (family, index, form) of the class column; 0 (EXIT) where none. */
extern const uint16_t esgx_wasm_iop_by_class[IOPF_COUNT_][ESGX_WASM_IOP_INDICES]
                                           [ESGX_WASM_IOP_FORMS];

/* The op of class (family, index, form): e.g. esgx_wasm_iop_of(IOPF_ICMP_I32, ICMP_LTS,
 * CF_BR_L) is WOP_BR_I32_LTS_L. */
static inline int esgx_wasm_iop_of(int family, int index, int form)
{
    return esgx_wasm_iop_by_class[family][index][form];
}

/* op in the same family and index, in another form (BR_I32_LTS -> BR_I32_LTS_L) */
static inline int esgx_wasm_iop_form(int op, int form)
{
    const esgx_wasm_iop_class *k = &esgx_wasm_iop_class_of[op];
    return esgx_wasm_iop_by_class[k->family][k->index][form];
}

/* Whether operand k (of the format) of op is read or written as a float. */
static inline bool esgx_wasm_iop_float_operand(int op, int k)
{
    return esgx_wasm_iop_class_of[op].fmask >> k & 1;
}

/* ------------------------------------------------------------------ compiled code */

/* The words of an instruction's head: while compile.c emits, the op number and 0; once
 * threaded (esgx_wasm_code_thread), the address of the op's handler in the
 * interpreter, which dispatches on it (direct threading). Operand k is word
 * ESGX_WASM_OP_HEAD + k of the instruction. */
#define ESGX_WASM_OP_HEAD 2
_Static_assert(ESGX_WASM_OP_HEAD * sizeof(uint32_t) == sizeof(void *),
               "a handler address takes the two head words");

typedef struct esgx_wasm_code {
    uint32_t *words;          /* the instructions, threaded */
    uint32_t n_words;
    uint32_t n_params;
    uint32_t n_results;
    uint32_t n_locals;        /* declared locals + the zero slot (zeroed on entry) */
    uint32_t frame_size;      /* slots: params + locals + max operand stack height */
    uint32_t func_index;      /* in the module's function index space */
    uint32_t n_ops;
    uint16_t *ops;            /* the op of each instruction, in order (enum esgx_wasm_iop):
                               * what the code generator and the dump read */
} esgx_wasm_code;

/* m->compiled: one esgx_wasm_code per defined function (m->funcs[i] -> codes[i]).
 * Lazy (esgx_wasm_check_module, the compiler tier): every body is validated at parse
 * time but its internal code is made on demand (esgx_wasm_lower): until then a code
 * has its header (n_params, n_results, n_locals, func_index) and words NULL; words is
 * published last (release), so a reader that sees it (acquire) sees the rest. */
typedef struct esgx_wasm_compiled {
    esgx_wasm_code *codes;
    bool lazy;
    _Atomic bool all_lowered;     /* lazy: every function lowered (esgx_wasm_lower_all) */
    pthread_mutex_t lock;         /* lazy: held while lowering */
    uint8_t *gv128;               /* lazy: per global index: v128? (kept for lowering) */
    const void *const *handlers;  /* lazy: the interpreter's, threaded into the code */
    uint8_t *grows;               /* lazy: per defined function, from its body: it holds
                                   * memory.grow, call_indirect or a call of an import,
                                   * or calls one that does (esgx_jit_grows's answer) */
    _Atomic uint64_t lowered_bytes;   /* lazy: heap taken by the code lowered so far */
} esgx_wasm_compiled;

/* compile.c (lazy modules): makes the internal code of defined function i of m if it
 * is not made yet (thread-safe). ESGX_OK, or ESGX_WASM_E_LIMIT ("too large once
 * compiled") / ESGX_WASM_E_NOMEM: the function can then run on no tier. */
int esgx_wasm_lower(const esgx_wasm_module *m, uint32_t i, esgx_err *err);
/* compile.c: lowers every function of m not lowered yet (what interpreting any of
 * them needs: the interpreter calls callees' code directly). ESGX_OK at once when m is
 * not lazy or all are lowered; errors as esgx_wasm_lower. */
int esgx_wasm_lower_all(const esgx_wasm_module *m, esgx_err *err);
/* Whether code's internal code is made (always, on a module that is not lazy). */
static inline bool esgx_wasm_code_lowered(const esgx_wasm_code *code)
{
    return __atomic_load_n(&code->words, __ATOMIC_ACQUIRE) != NULL;
}

/* code.c: checks that code->words, not threaded yet (op numbers in the head words),
 * decode exactly as a sequence of internal ops of their declared widths and that
 * every branch offset lands on an instruction start. ESGX_OK, or ESGX_WASM_E_INVALID
 * naming the word (compile.c runs it on every function in debug builds),
 * ESGX_WASM_E_NOMEM. */
int esgx_wasm_code_check(const esgx_wasm_code *code, esgx_err *err);
/* code.c: threads code->words (op numbers, as emitted) for the interpreter: fills
 * code->ops with the op of each instruction and replaces each op number by
 * handlers[op]. ESGX_OK, ESGX_WASM_E_NOMEM, or ESGX_WASM_E_INVALID if the words do not
 * decode (an emitter bug). */
int esgx_wasm_code_thread(esgx_wasm_code *code, const void *const *handlers, esgx_err *err);

/* ------------------------------------------------------------------ run-time objects */

typedef struct esgx_wasm_func_obj {
    uint32_t type_id;             /* interned in the store: equal ids = equal types */
    uint32_t param_slots;         /* slots of the params / of the results (v128: 2) */
    uint32_t result_slots;
    struct esgx_wasm_instance *inst;   /* NULL for a host function */
    const esgx_wasm_code *code;        /* wasm functions */
    esgx_wasm_host_fn host;            /* host functions */
    void *env;
    esgx_wasm_functype type;           /* view (arrays owned by the module or the store) */
} esgx_wasm_func_obj;

typedef struct esgx_wasm_memory_obj {
    uint8_t *data;
    uint64_t size;                /* bytes = pages * 65536 */
    uint64_t cap;                 /* bytes allocated (>= size) */
    uint32_t pages;
    uint32_t max_pages;           /* declared max (65536 if none) */
    bool has_max;
} esgx_wasm_memory_obj;

typedef struct esgx_wasm_table_obj {
    esgx_wasm_ref *elems;
    uint32_t size;
    uint32_t cap;                 /* elements allocated */
    uint32_t max;                 /* declared max (UINT32_MAX if none) */
    bool has_max;
    esgx_wasm_valtype elem_type;
} esgx_wasm_table_obj;

typedef struct esgx_wasm_global_obj {
    uint64_t val;                 /* slot representation (v128: the low 64 bits) */
    uint64_t val_hi;              /* v128: the high 64 bits (0 for other types) */
    esgx_wasm_valtype type;
    bool mutable_;
} esgx_wasm_global_obj;

struct esgx_wasm_instance {
    esgx_wasm_store *store;
    const esgx_wasm_module *m;
    esgx_wasm_memory_obj *mem;         /* memory 0, or an empty dummy */
    esgx_wasm_func_obj **funcs;        /* function index space */
    esgx_wasm_table_obj **tables;
    esgx_wasm_memory_obj **mems;
    esgx_wasm_global_obj **globals;
    uint32_t *type_ids;           /* per module type index */
    esgx_wasm_ref **elem_refs;         /* per element segment, resolved references */
    uint32_t *elem_len;           /* 0 once dropped */
    uint32_t *data_len;           /* per data segment; 0 once dropped */
};

/* A control frame of the interpreter's call stack. */
typedef struct esgx_wasm_frame {
    const uint32_t *ret_ip;
    uint32_t fp;                  /* slot offset of the caller's frame */
    struct esgx_wasm_instance *inst;
} esgx_wasm_frame;

#define ESGX_WASM_MAX_NEST 32          /* host -> wasm re-entries per store */

struct esgx_wasm_store {
    esgx_wasm_limits limits;
    uint64_t fuel;                /* remaining */
    bool metered;                 /* fuel != UINT64_MAX when set */
    int exit_code;
    void *user;

    /* owned objects: a singly linked list of allocations freed by esgx_wasm_store_free */
    struct esgx_wasm_owned *owned;

    /* interned function types */
    esgx_wasm_functype *types;
    uint32_t n_types, cap_types;

    /* execution state */
    uint64_t *stack;              /* value stack (slots) */
    uint32_t stack_cap;
    uint32_t sp;                  /* first free slot for a new entry frame */
    esgx_wasm_frame *frames;
    uint32_t frames_cap;
    uint32_t depth;               /* active wasm frames */
    uint32_t nest;                /* active interpreter invocations */

    esgx_wasm_trap trap;
    char trap_msg[200];

    /* the compiler tier while its code runs (jit.c) */
    struct esgx_wasm_instance *jit_inst;   /* the running function's instance */
    void *jit_entry_rsp;          /* native stack of the innermost entry, for traps */
    uint64_t *jit_fp;             /* a helper's answer: the caller's frame */
    struct esgx_wasm_instance *jit_caller_inst;   /* a helper's answer */
    pthread_t jit_stack_thread;   /* the thread whose native stack was measured */
    uintptr_t jit_stack_base;     /* its lowest address (0: unknown) */
    bool jit_stack_known;
};

struct esgx_wasm_ctx {
    esgx_wasm_store *store;
    struct esgx_wasm_instance *inst;   /* the caller's instance, or NULL */
};

/* store.c */
extern esgx_wasm_memory_obj esgx_wasm_no_memory;   /* memory 0 of instances without one */
/* Moves a block holding guest data to a new one of new_size bytes, copying its first
 * keep bytes, then wipes all old_size bytes of the old block and frees it (realloc
 * could leave a copy in freed heap). NULL on allocation failure (p unchanged). */
void *esgx_wasm_realloc_wiped(void *p, size_t old_size, size_t keep, size_t new_size);
/* Wipes size bytes at p (explicit_bzero: not elided) and frees p; NULL is fine. */
void esgx_wasm_free_wiped(void *p, size_t size);
/* Allocates zeroed memory owned by s (freed with the store); NULL on failure. */
void *esgx_wasm_store_alloc(esgx_wasm_store *s, size_t size);
/* Registers a malloc'ed pointer to be freed with the store; 0 or ESGX_WASM_E_NOMEM. */
int esgx_wasm_store_own(esgx_wasm_store *s, void *p);
/* Interns a function type; returns its id or UINT32_MAX on allocation failure. */
uint32_t esgx_wasm_store_intern_type(esgx_wasm_store *s, uint32_t n_params, uint32_t n_results,
                                const esgx_wasm_valtype *types);
/* Sets s->trap and s->trap_msg. Returns ESGX_WASM_E_TRAP. */
int esgx_wasm_store_trap(esgx_wasm_store *s, esgx_wasm_trap kind, const char *msg);
/* Makes a memory object (data owned by s). */
int esgx_wasm_memory_make(esgx_wasm_store *s, uint32_t min, uint32_t max, bool has_max,
                     esgx_wasm_memory_obj **out, esgx_err *err);
int esgx_wasm_table_make(esgx_wasm_store *s, esgx_wasm_valtype t, uint32_t min, uint32_t max,
                    bool has_max, esgx_wasm_table_obj **out, esgx_err *err);
/* memory.grow / table.grow: old size, or -1 when refused (limits or allocation). */
int64_t esgx_wasm_memory_grow(esgx_wasm_store *s, esgx_wasm_memory_obj *mem, uint32_t delta);
int64_t esgx_wasm_table_grow(esgx_wasm_store *s, esgx_wasm_table_obj *t, uint32_t delta, esgx_wasm_ref init);

/* interp.c */
/* The interpreter's handler addresses, indexed by enum esgx_wasm_iop (what
 * esgx_wasm_code_thread writes into the code). */
const void *const *esgx_wasm_exec_handlers(void);
/* Calls f with the arguments in slots[0..n_params) and leaves the results in
 * slots[0..n_results). ESGX_OK or ESGX_WASM_E_TRAP (kind and message in the store). */
int esgx_wasm_exec_call(esgx_wasm_store *s, esgx_wasm_func_obj *f, uint64_t *slots);
/* Interprets code (of inst) on the frame at slot fp_off, whose arguments are in place;
 * s->depth already counts it and is the same on return. ESGX_OK or ESGX_WASM_E_TRAP. */
int esgx_wasm_exec_frame(esgx_wasm_store *s, esgx_wasm_instance *inst, const esgx_wasm_code *code,
                         uint32_t fp_off);
/* Calls host function f (called from inst, or NULL) with its arguments at stack slot
 * off; writes its results there. ESGX_OK or ESGX_WASM_E_TRAP. */
int esgx_wasm_exec_host_invoke(esgx_wasm_store *s, esgx_wasm_instance *caller,
                               esgx_wasm_func_obj *f, uint32_t off);
/* Grows the value stack / the frame array so that `need` entries exist; false when the
 * limits (max_value_stack / max_call_depth) forbid it or allocation fails. */
bool esgx_wasm_exec_stack_reserve(esgx_wasm_store *s, uint64_t need);
bool esgx_wasm_exec_frames_reserve(esgx_wasm_store *s, uint32_t need);

/* exec_ops.c: memory.grow, bulk memory, the table ops and ref.func (op, at ip, on
 * frame fp of inst), charging *fuel like the interpreter: ESGX_WASM_TRAP_NONE or the
 * trap kind (ESGX_WASM_TRAP_MEMORY_OOB, _TABLE_OOB, _OUT_OF_FUEL); fuel is left as
 * it was when the charge fails. */
esgx_wasm_trap esgx_wasm_exec_bulk(esgx_wasm_store *s, esgx_wasm_instance *inst, uint64_t *fp,
                                   const uint32_t *ip, int op, uint64_t *fuel);
/* The message of a trap kind raised by the runtime itself ("out of fuel", ...). */
const char *esgx_wasm_trap_message(esgx_wasm_trap kind);

/* jit.c: the compiler tier (docs/wasm.md, "The compiler tier") */
typedef struct esgx_wasm_jit esgx_wasm_jit;
/* The per-module state of the compiler tier (code of the functions compiled so far),
 * made by esgx_wasm_module_parse for a module of the JIT tier. NULL on failure. */
esgx_wasm_jit *esgx_wasm_jit_new(const esgx_wasm_module *m);
/* Unmaps and wipes all code of j (NULL is fine). */
void esgx_wasm_jit_free(esgx_wasm_jit *j);
/* The number of functions j refused to compile so far (they run interpreted). */
uint32_t esgx_wasm_jit_refused(const esgx_wasm_jit *j);
/* Bytes j holds: the pages of machine code mapped so far and its per-function tables
 * (safe while other threads run the module). */
uint64_t esgx_wasm_jit_bytes(const esgx_wasm_jit *j);
/* For tests and figures: the reservations (chunks) j has mapped and the batches it has
 * placed (one RW -> RX flip each) so far; either pointer may be NULL. */
void esgx_wasm_jit_counts(const esgx_wasm_jit *j, size_t *chunks, uint64_t *batches);
/* For figures (bench/cold_bench.c): what j has compiled so far and what it cost. */
typedef struct esgx_wasm_jit_stats {
    size_t chunks;          /* reservations mapped */
    uint64_t batches;       /* batches placed (one RW -> RX flip each, thunks included) */
    uint64_t funcs;         /* functions compiled and placed */
    uint64_t code_bytes;    /* bytes of their machine code (no padding, no thunks) */
    uint64_t page_bytes;    /* pages holding code (esgx_wasm_jit_bytes without tables) */
    uint64_t compile_ns;    /* time making the batches: internal code (lazy) + jit_ops.c */
    uint64_t place_ns;      /* time placing batches: mprotect, copy, linking calls */
} esgx_wasm_jit_stats;
/* Fills *out with j's figures so far (takes j's lock). */
void esgx_wasm_jit_stats_get(const esgx_wasm_jit *j, esgx_wasm_jit_stats *out);
/* Runs code (of inst, whose module has the JIT tier) on the frame at slot fp_off like
 * esgx_wasm_exec_frame: compiled on its first call; interpreted when it cannot be
 * compiled or the thread's native stack is too small for max_call_depth. */
int esgx_wasm_jit_run(esgx_wasm_store *s, esgx_wasm_instance *inst, const esgx_wasm_code *code,
                      uint32_t fp_off);

/* call_indirect's checks, the same on both tiers: the function at index i of table t,
 * which must have the store's interned type id want; NULL when a check fails, with
 * *kind and *msg the trap ("undefined element", "uninitialized element", "indirect
 * call type mismatch"). */
static inline esgx_wasm_func_obj *esgx_wasm_indirect_callee(const esgx_wasm_table_obj *t,
                                                            uint32_t i, uint32_t want,
                                                            esgx_wasm_trap *kind,
                                                            const char **msg)
{
    if (__builtin_expect(i >= t->size, 0)) {
        *kind = ESGX_WASM_TRAP_TABLE_OOB;
        *msg = "undefined element";
        return NULL;
    }
    esgx_wasm_func_obj *f = (esgx_wasm_func_obj *)t->elems[i];
    if (__builtin_expect(!f, 0)) {
        *kind = ESGX_WASM_TRAP_INDIRECT_NULL;
        *msg = "uninitialized element";
        return NULL;
    }
    if (__builtin_expect(f->type_id != want, 0)) {
        *kind = ESGX_WASM_TRAP_INDIRECT_TYPE;
        *msg = "indirect call type mismatch";
        return NULL;
    }
    return f;
}

/* The store's sp while host function f runs with its arguments (and then results) at
 * stack slot args: the first slot past both, so that a call back into wasm builds its
 * frames above them. */
static inline uint32_t esgx_wasm_host_sp(const esgx_wasm_func_obj *f, uint32_t args)
{
    uint32_t np = f->param_slots, nr = f->result_slots;
    return args + (np > nr ? np : nr) + 1;
}

/* Slots taken by a value of type t / by n values of types ts. */
static inline uint32_t esgx_wasm_type_slots(esgx_wasm_valtype t)
{
    return t == ESGX_WASM_V128 ? 2u : 1u;
}

static inline uint32_t esgx_wasm_types_slots(const esgx_wasm_valtype *ts, uint32_t n)
{
    uint32_t k = n;
    for (uint32_t i = 0; i < n; i++) k += ts[i] == ESGX_WASM_V128;
    return k;
}

/* Value <-> slot conversions (one slot: every type but v128). */
static inline uint64_t esgx_wasm_value_to_slot(const esgx_wasm_value *v)
{
    switch (v->type) {
    case ESGX_WASM_I32: return (uint32_t)v->of.i32;
    case ESGX_WASM_F32: return v->of.f32_bits;
    case ESGX_WASM_I64: return (uint64_t)v->of.i64;
    case ESGX_WASM_F64: return v->of.f64_bits;
    default: return (uint64_t)v->of.ref;
    }
}

static inline void esgx_wasm_slot_to_value(uint64_t s, esgx_wasm_valtype t, esgx_wasm_value *v)
{
    memset(v, 0, sizeof *v);
    v->type = t;
    switch (t) {
    case ESGX_WASM_I32: v->of.i32 = (int32_t)(uint32_t)s; break;
    case ESGX_WASM_F32: v->of.f32_bits = (uint32_t)s; break;
    case ESGX_WASM_I64: v->of.i64 = (int64_t)s; break;
    case ESGX_WASM_F64: v->of.f64_bits = s; break;
    default: v->of.ref = (esgx_wasm_ref)s; break;
    }
}

/* Any value <-> its slots (2 for a v128); return the number of slots. */
static inline uint32_t esgx_wasm_value_to_slots(const esgx_wasm_value *v, uint64_t *slots)
{
    if (v->type == ESGX_WASM_V128) {
        memcpy(slots, v->of.v128, 16);
        return 2;
    }
    slots[0] = esgx_wasm_value_to_slot(v);
    return 1;
}

static inline uint32_t esgx_wasm_slots_to_value(const uint64_t *slots, esgx_wasm_valtype t,
                                                esgx_wasm_value *v)
{
    if (t == ESGX_WASM_V128) {
        memset(v, 0, sizeof *v);
        v->type = t;
        memcpy(v->of.v128, slots, 16);
        return 2;
    }
    esgx_wasm_slot_to_value(slots[0], t, v);
    return 1;
}

#endif
