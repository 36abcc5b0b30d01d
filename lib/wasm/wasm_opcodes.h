/*
 * wasm_opcodes.h (internal to lib/wasm): the one table of what the runtime knows about
 * each wasm opcode, after wasm3's c_operations[]. One row per opcode:
 *
 *   X(NAME, CODE, "text", IMM, CAT, A, B, R, COST, CK, IOP, ARG, FLAGS)
 *
 * NAME   OPC_NAME below (the switch labels of decode.c, validate.c, compile.c)
 * CODE   the byte (ESGX_WASM_OPCODES) or the sub-opcode after 0xFC (ESGX_WASM_OPCODES_FC)
 *        or after 0xFD (ESGX_WASM_OPCODES_FD, fixed-width SIMD)
 * text   the text-format name
 * IMM    the immediates (IMM_*): read by esgx_wasm_read_instr (decode.c)
 * CAT    the category (CAT_*): which helper of validate.c and compile.c handles it
 * A B R  type signature (validate.c): pop B (if any), pop A (if any), push R (if any);
 *        for every NUM, LOAD, STORE and CONST row; `_` = none
 * COST   static fuel cost (compile.c's metering blocks, docs/wasm.md)
 * CK     how a numeric operator compiles (K_*, compile_ops.c); K_NONE otherwise; SIMD
 *        rows: the operand shape (KV_*, compile_simd.c), which also gives the operand
 *        format of their internal op (ESGX_WASM_FMT_KV_*, wasm_exec.h)
 * IOP    the internal op (WOP_*, wasm_exec.h) it compiles to (the main one where a
 *        fusion may pick a variant; the _I / _K / _A forms are IOP + constant offsets)
 * ARG    loads/stores: natural alignment (log2); K_CMP/K_FCMP: the compare index;
 *        SIMD lane ops (IMM_LANE, IMM_MEMARG_LANE): log2 of the lane size in bytes
 *        (so the lane count is 16 >> ARG)
 * FLAGS  F_COMM (commutative), F_64 (64-bit operands), F_ENDS_ENTRY (ends the straight
 *        code at function entry, compile.c's known_zero)
 *
 * opcodes.c instantiates the rows as esgx_wasm_opinfo arrays; esgx_wasm_opinfo_of looks
 * an opcode up.
 */
#ifndef ESGX_WASM_OPCODES_H
#define ESGX_WASM_OPCODES_H

#include <stdint.h>

/* Prefixed opcodes are stored as 0xFC00 | sub-opcode and 0xFD00 | sub-opcode (the SIMD
 * sub-opcodes are below 256). */
#define ESGX_WASM_OP_FC(sub) (0xFC00u | (sub))
#define ESGX_WASM_OP_FD(sub) (0xFD00u | (sub))
enum {
    ESGX_WASM_PREFIX_FC = 0xFC,        /* saturating truncation, bulk memory, tables */
    ESGX_WASM_PREFIX_SIMD = 0xFD,      /* fixed-width SIMD (v128) */
    ESGX_WASM_PREFIX_THREADS = 0xFE,   /* refused: ESGX_WASM_E_UNSUPPORTED */
    ESGX_WASM_FC_COUNT = 18,           /* sub-opcodes 0..17 */
    ESGX_WASM_FD_COUNT = 256           /* sub-opcodes 0..255 (some unassigned) */
};

enum esgx_wasm_imm {
    IMM_NONE, IMM_BLOCK, IMM_IDX, IMM_IDX2, IMM_BR_TABLE, IMM_SELECT_T, IMM_MEMARG,
    IMM_ZERO, IMM_IDX_ZERO, IMM_ZERO2, IMM_I32, IMM_I64, IMM_F32, IMM_F64, IMM_REFTYPE,
    /* SIMD: memarg then a lane byte; a lane byte; 16 constant bytes; 16 lane bytes */
    IMM_MEMARG_LANE, IMM_LANE, IMM_V128, IMM_SHUFFLE
};
enum esgx_wasm_opcat {
    CAT_CTRL, CAT_PARAM, CAT_VAR, CAT_TABLE, CAT_LOAD, CAT_STORE, CAT_MEMORY, CAT_CONST,
    CAT_REF, CAT_NUM
};
/* K_UN unary, K_BIN binary (slot operands), K_IMM binary with an _I immediate form
 * (IOP + 1), K_CMP integer compare, K_EQZ, K_ID identity (no code), K_FK float binary
 * with a _K constant form, K_FCMP f64 compare (fuses with branches). */
enum { K_NONE, K_UN, K_BIN, K_IMM, K_CMP, K_EQZ, K_ID, K_FK, K_FCMP,
/* SIMD operand shapes (V = a v128, x = a scalar; results after ->):
 * KV_CONST -> V (16 constant bytes), KV_UN V -> V, KV_BIN V V -> V, KV_TERN V V V -> V,
 * KV_SHIFT V x -> V, KV_SPLAT x -> V, KV_EXTRACT V -> x (lane), KV_REPLACE V x -> V
 * (lane), KV_TEST V -> i32, KV_LOAD addr -> V, KV_LOADLANE addr V -> V (lane),
 * KV_STORE addr V, KV_STORELANE addr V (lane), KV_SHUFFLE V V -> V (16 lane bytes) */
       KV_CONST, KV_UN, KV_BIN, KV_TERN, KV_SHIFT, KV_SPLAT, KV_EXTRACT, KV_REPLACE, KV_TEST,
       KV_LOAD, KV_LOADLANE, KV_STORE, KV_STORELANE, KV_SHUFFLE };
enum { F_COMM = 1, F_64 = 2, F_ENDS_ENTRY = 4 };

/* Signature columns: value type bytes (esgx_wasm_valtype), 0 for none. */
#define ESGX_WASM_SIG__ 0
#define ESGX_WASM_SIG_I32 0x7F
#define ESGX_WASM_SIG_I64 0x7E
#define ESGX_WASM_SIG_F32 0x7D
#define ESGX_WASM_SIG_F64 0x7C
#define ESGX_WASM_SIG_V128 0x7B
#define ESGX_WASM_SIG_FUNCREF 0x70
/* IOP column: no internal op of its own. */
#define WOP_NONE 0xFFFFu

#define ESGX_WASM_OPCODES(X) \
    X(UNREACHABLE, 0x00, "unreachable", NONE, CTRL, _, _, _, 1, K_NONE, UNREACHABLE, 0, F_ENDS_ENTRY) \
    X(NOP, 0x01, "nop", NONE, CTRL, _, _, _, 0, K_NONE, NONE, 0, 0) \
    X(BLOCK, 0x02, "block", BLOCK, CTRL, _, _, _, 0, K_NONE, NONE, 0, 0) \
    X(LOOP, 0x03, "loop", BLOCK, CTRL, _, _, _, 0, K_NONE, FUEL, 0, F_ENDS_ENTRY) \
    X(IF, 0x04, "if", BLOCK, CTRL, _, _, _, 1, K_NONE, BR_Z32, 0, F_ENDS_ENTRY) \
    X(ELSE, 0x05, "else", NONE, CTRL, _, _, _, 0, K_NONE, BR, 0, F_ENDS_ENTRY) \
    X(END, 0x0B, "end", NONE, CTRL, _, _, _, 0, K_NONE, NONE, 0, F_ENDS_ENTRY) \
    X(BR, 0x0C, "br", IDX, CTRL, _, _, _, 1, K_NONE, BR, 0, F_ENDS_ENTRY) \
    X(BR_IF, 0x0D, "br_if", IDX, CTRL, _, _, _, 1, K_NONE, BR_NZ32, 0, F_ENDS_ENTRY) \
    X(BR_TABLE, 0x0E, "br_table", BR_TABLE, CTRL, _, _, _, 1, K_NONE, BR_TABLE, 0, F_ENDS_ENTRY) \
    X(RETURN, 0x0F, "return", NONE, CTRL, _, _, _, 1, K_NONE, RET0, 0, F_ENDS_ENTRY) \
    X(CALL, 0x10, "call", IDX, CTRL, _, _, _, 4, K_NONE, CALL, 0, 0) \
    X(CALL_INDIRECT, 0x11, "call_indirect", IDX2, CTRL, _, _, _, 4, K_NONE, CALL_INDIRECT, 0, F_ENDS_ENTRY) \
    X(DROP, 0x1A, "drop", NONE, PARAM, _, _, _, 1, K_NONE, NONE, 0, 0) \
    X(SELECT, 0x1B, "select", NONE, PARAM, _, _, _, 1, K_NONE, SELECT, 0, 0) \
    X(SELECT_T, 0x1C, "select", SELECT_T, PARAM, _, _, _, 1, K_NONE, SELECT, 0, 0) \
    X(LOCAL_GET, 0x20, "local.get", IDX, VAR, _, _, _, 1, K_NONE, NONE, 0, 0) \
    X(LOCAL_SET, 0x21, "local.set", IDX, VAR, _, _, _, 1, K_NONE, COPY, 0, 0) \
    X(LOCAL_TEE, 0x22, "local.tee", IDX, VAR, _, _, _, 1, K_NONE, COPY, 0, 0) \
    X(GLOBAL_GET, 0x23, "global.get", IDX, VAR, _, _, _, 1, K_NONE, GLOBAL_GET, 0, 0) \
    X(GLOBAL_SET, 0x24, "global.set", IDX, VAR, _, _, _, 1, K_NONE, GLOBAL_SET, 0, 0) \
    X(TABLE_GET, 0x25, "table.get", IDX, TABLE, _, _, _, 1, K_NONE, TABLE_GET, 0, 0) \
    X(TABLE_SET, 0x26, "table.set", IDX, TABLE, _, _, _, 1, K_NONE, TABLE_SET, 0, 0) \
    X(I32_LOAD, 0x28, "i32.load", MEMARG, LOAD, I32, _, I32, 1, K_NONE, LD32, 2, 0) \
    X(I64_LOAD, 0x29, "i64.load", MEMARG, LOAD, I32, _, I64, 1, K_NONE, LD64, 3, 0) \
    X(F32_LOAD, 0x2A, "f32.load", MEMARG, LOAD, I32, _, F32, 1, K_NONE, LD32, 2, 0) \
    X(F64_LOAD, 0x2B, "f64.load", MEMARG, LOAD, I32, _, F64, 1, K_NONE, LD64, 3, 0) \
    X(I32_LOAD8_S, 0x2C, "i32.load8_s", MEMARG, LOAD, I32, _, I32, 1, K_NONE, LD8S32, 0, 0) \
    X(I32_LOAD8_U, 0x2D, "i32.load8_u", MEMARG, LOAD, I32, _, I32, 1, K_NONE, LD8U, 0, 0) \
    X(I32_LOAD16_S, 0x2E, "i32.load16_s", MEMARG, LOAD, I32, _, I32, 1, K_NONE, LD16S32, 1, 0) \
    X(I32_LOAD16_U, 0x2F, "i32.load16_u", MEMARG, LOAD, I32, _, I32, 1, K_NONE, LD16U, 1, 0) \
    X(I64_LOAD8_S, 0x30, "i64.load8_s", MEMARG, LOAD, I32, _, I64, 1, K_NONE, LD8S64, 0, 0) \
    X(I64_LOAD8_U, 0x31, "i64.load8_u", MEMARG, LOAD, I32, _, I64, 1, K_NONE, LD8U, 0, 0) \
    X(I64_LOAD16_S, 0x32, "i64.load16_s", MEMARG, LOAD, I32, _, I64, 1, K_NONE, LD16S64, 1, 0) \
    X(I64_LOAD16_U, 0x33, "i64.load16_u", MEMARG, LOAD, I32, _, I64, 1, K_NONE, LD16U, 1, 0) \
    X(I64_LOAD32_S, 0x34, "i64.load32_s", MEMARG, LOAD, I32, _, I64, 1, K_NONE, LD32S64, 2, 0) \
    X(I64_LOAD32_U, 0x35, "i64.load32_u", MEMARG, LOAD, I32, _, I64, 1, K_NONE, LD32, 2, 0) \
    X(I32_STORE, 0x36, "i32.store", MEMARG, STORE, I32, I32, _, 1, K_NONE, ST32, 2, 0) \
    X(I64_STORE, 0x37, "i64.store", MEMARG, STORE, I32, I64, _, 1, K_NONE, ST64, 3, 0) \
    X(F32_STORE, 0x38, "f32.store", MEMARG, STORE, I32, F32, _, 1, K_NONE, ST32, 2, 0) \
    X(F64_STORE, 0x39, "f64.store", MEMARG, STORE, I32, F64, _, 1, K_NONE, ST64, 3, 0) \
    X(I32_STORE8, 0x3A, "i32.store8", MEMARG, STORE, I32, I32, _, 1, K_NONE, ST8, 0, 0) \
    X(I32_STORE16, 0x3B, "i32.store16", MEMARG, STORE, I32, I32, _, 1, K_NONE, ST16, 1, 0) \
    X(I64_STORE8, 0x3C, "i64.store8", MEMARG, STORE, I32, I64, _, 1, K_NONE, ST8, 0, 0) \
    X(I64_STORE16, 0x3D, "i64.store16", MEMARG, STORE, I32, I64, _, 1, K_NONE, ST16, 1, 0) \
    X(I64_STORE32, 0x3E, "i64.store32", MEMARG, STORE, I32, I64, _, 1, K_NONE, ST32, 2, 0) \
    X(MEMORY_SIZE, 0x3F, "memory.size", ZERO, MEMORY, _, _, I32, 1, K_NONE, MEM_SIZE, 0, 0) \
    X(MEMORY_GROW, 0x40, "memory.grow", ZERO, MEMORY, I32, _, I32, 1, K_NONE, MEM_GROW, 0, 0) \
    X(I32_CONST, 0x41, "i32.const", I32, CONST, _, _, I32, 1, K_NONE, CONST32, 0, 0) \
    X(I64_CONST, 0x42, "i64.const", I64, CONST, _, _, I64, 1, K_NONE, CONST64, 0, 0) \
    X(F32_CONST, 0x43, "f32.const", F32, CONST, _, _, F32, 1, K_NONE, CONST32, 0, 0) \
    X(F64_CONST, 0x44, "f64.const", F64, CONST, _, _, F64, 1, K_NONE, CONST64, 0, 0) \
    X(I32_EQZ, 0x45, "i32.eqz", NONE, NUM, I32, _, I32, 1, K_EQZ, I32_EQZ, 0, 0) \
    X(I32_EQ, 0x46, "i32.eq", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_EQ, 0, 0) \
    X(I32_NE, 0x47, "i32.ne", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_NE, 1, 0) \
    X(I32_LT_S, 0x48, "i32.lt_s", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_LTS, 2, 0) \
    X(I32_LT_U, 0x49, "i32.lt_u", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_LTU, 3, 0) \
    X(I32_GT_S, 0x4A, "i32.gt_s", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_GTS, 4, 0) \
    X(I32_GT_U, 0x4B, "i32.gt_u", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_GTU, 5, 0) \
    X(I32_LE_S, 0x4C, "i32.le_s", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_LES, 6, 0) \
    X(I32_LE_U, 0x4D, "i32.le_u", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_LEU, 7, 0) \
    X(I32_GE_S, 0x4E, "i32.ge_s", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_GES, 8, 0) \
    X(I32_GE_U, 0x4F, "i32.ge_u", NONE, NUM, I32, I32, I32, 1, K_CMP, I32_GEU, 9, 0) \
    X(I64_EQZ, 0x50, "i64.eqz", NONE, NUM, I64, _, I32, 1, K_EQZ, I64_EQZ, 0, F_64) \
    X(I64_EQ, 0x51, "i64.eq", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_EQ, 0, F_64) \
    X(I64_NE, 0x52, "i64.ne", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_NE, 1, F_64) \
    X(I64_LT_S, 0x53, "i64.lt_s", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_LTS, 2, F_64) \
    X(I64_LT_U, 0x54, "i64.lt_u", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_LTU, 3, F_64) \
    X(I64_GT_S, 0x55, "i64.gt_s", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_GTS, 4, F_64) \
    X(I64_GT_U, 0x56, "i64.gt_u", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_GTU, 5, F_64) \
    X(I64_LE_S, 0x57, "i64.le_s", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_LES, 6, F_64) \
    X(I64_LE_U, 0x58, "i64.le_u", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_LEU, 7, F_64) \
    X(I64_GE_S, 0x59, "i64.ge_s", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_GES, 8, F_64) \
    X(I64_GE_U, 0x5A, "i64.ge_u", NONE, NUM, I64, I64, I32, 1, K_CMP, I64_GEU, 9, F_64) \
    X(F32_EQ, 0x5B, "f32.eq", NONE, NUM, F32, F32, I32, 1, K_BIN, F32_EQ, 0, 0) \
    X(F32_NE, 0x5C, "f32.ne", NONE, NUM, F32, F32, I32, 1, K_BIN, F32_NE, 0, 0) \
    X(F32_LT, 0x5D, "f32.lt", NONE, NUM, F32, F32, I32, 1, K_BIN, F32_LT, 0, 0) \
    X(F32_GT, 0x5E, "f32.gt", NONE, NUM, F32, F32, I32, 1, K_BIN, F32_GT, 0, 0) \
    X(F32_LE, 0x5F, "f32.le", NONE, NUM, F32, F32, I32, 1, K_BIN, F32_LE, 0, 0) \
    X(F32_GE, 0x60, "f32.ge", NONE, NUM, F32, F32, I32, 1, K_BIN, F32_GE, 0, 0) \
    X(F64_EQ, 0x61, "f64.eq", NONE, NUM, F64, F64, I32, 1, K_FCMP, F64_EQ, 0, 0) \
    X(F64_NE, 0x62, "f64.ne", NONE, NUM, F64, F64, I32, 1, K_FCMP, F64_NE, 1, 0) \
    X(F64_LT, 0x63, "f64.lt", NONE, NUM, F64, F64, I32, 1, K_FCMP, F64_LT, 2, 0) \
    X(F64_GT, 0x64, "f64.gt", NONE, NUM, F64, F64, I32, 1, K_FCMP, F64_GT, 3, 0) \
    X(F64_LE, 0x65, "f64.le", NONE, NUM, F64, F64, I32, 1, K_FCMP, F64_LE, 4, 0) \
    X(F64_GE, 0x66, "f64.ge", NONE, NUM, F64, F64, I32, 1, K_FCMP, F64_GE, 5, 0) \
    X(I32_CLZ, 0x67, "i32.clz", NONE, NUM, I32, _, I32, 1, K_UN, I32_CLZ, 0, 0) \
    X(I32_CTZ, 0x68, "i32.ctz", NONE, NUM, I32, _, I32, 1, K_UN, I32_CTZ, 0, 0) \
    X(I32_POPCNT, 0x69, "i32.popcnt", NONE, NUM, I32, _, I32, 1, K_UN, I32_POPCNT, 0, 0) \
    X(I32_ADD, 0x6A, "i32.add", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_ADD, 0, F_COMM) \
    X(I32_SUB, 0x6B, "i32.sub", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_SUB, 0, 0) \
    X(I32_MUL, 0x6C, "i32.mul", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_MUL, 0, F_COMM) \
    X(I32_DIV_S, 0x6D, "i32.div_s", NONE, NUM, I32, I32, I32, 1, K_BIN, I32_DIVS, 0, 0) \
    X(I32_DIV_U, 0x6E, "i32.div_u", NONE, NUM, I32, I32, I32, 1, K_BIN, I32_DIVU, 0, 0) \
    X(I32_REM_S, 0x6F, "i32.rem_s", NONE, NUM, I32, I32, I32, 1, K_BIN, I32_REMS, 0, 0) \
    X(I32_REM_U, 0x70, "i32.rem_u", NONE, NUM, I32, I32, I32, 1, K_BIN, I32_REMU, 0, 0) \
    X(I32_AND, 0x71, "i32.and", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_AND, 0, F_COMM) \
    X(I32_OR, 0x72, "i32.or", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_OR, 0, F_COMM) \
    X(I32_XOR, 0x73, "i32.xor", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_XOR, 0, F_COMM) \
    X(I32_SHL, 0x74, "i32.shl", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_SHL, 0, 0) \
    X(I32_SHR_S, 0x75, "i32.shr_s", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_SHRS, 0, 0) \
    X(I32_SHR_U, 0x76, "i32.shr_u", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_SHRU, 0, 0) \
    X(I32_ROTL, 0x77, "i32.rotl", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_ROTL, 0, 0) \
    X(I32_ROTR, 0x78, "i32.rotr", NONE, NUM, I32, I32, I32, 1, K_IMM, I32_ROTR, 0, 0) \
    X(I64_CLZ, 0x79, "i64.clz", NONE, NUM, I64, _, I64, 1, K_UN, I64_CLZ, 0, F_64) \
    X(I64_CTZ, 0x7A, "i64.ctz", NONE, NUM, I64, _, I64, 1, K_UN, I64_CTZ, 0, F_64) \
    X(I64_POPCNT, 0x7B, "i64.popcnt", NONE, NUM, I64, _, I64, 1, K_UN, I64_POPCNT, 0, F_64) \
    X(I64_ADD, 0x7C, "i64.add", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_ADD, 0, F_COMM|F_64) \
    X(I64_SUB, 0x7D, "i64.sub", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_SUB, 0, F_64) \
    X(I64_MUL, 0x7E, "i64.mul", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_MUL, 0, F_COMM|F_64) \
    X(I64_DIV_S, 0x7F, "i64.div_s", NONE, NUM, I64, I64, I64, 1, K_BIN, I64_DIVS, 0, F_64) \
    X(I64_DIV_U, 0x80, "i64.div_u", NONE, NUM, I64, I64, I64, 1, K_BIN, I64_DIVU, 0, F_64) \
    X(I64_REM_S, 0x81, "i64.rem_s", NONE, NUM, I64, I64, I64, 1, K_BIN, I64_REMS, 0, F_64) \
    X(I64_REM_U, 0x82, "i64.rem_u", NONE, NUM, I64, I64, I64, 1, K_BIN, I64_REMU, 0, F_64) \
    X(I64_AND, 0x83, "i64.and", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_AND, 0, F_COMM|F_64) \
    X(I64_OR, 0x84, "i64.or", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_OR, 0, F_COMM|F_64) \
    X(I64_XOR, 0x85, "i64.xor", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_XOR, 0, F_COMM|F_64) \
    X(I64_SHL, 0x86, "i64.shl", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_SHL, 0, F_64) \
    X(I64_SHR_S, 0x87, "i64.shr_s", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_SHRS, 0, F_64) \
    X(I64_SHR_U, 0x88, "i64.shr_u", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_SHRU, 0, F_64) \
    X(I64_ROTL, 0x89, "i64.rotl", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_ROTL, 0, F_64) \
    X(I64_ROTR, 0x8A, "i64.rotr", NONE, NUM, I64, I64, I64, 1, K_IMM, I64_ROTR, 0, F_64) \
    X(F32_ABS, 0x8B, "f32.abs", NONE, NUM, F32, _, F32, 1, K_UN, F32_ABS, 0, 0) \
    X(F32_NEG, 0x8C, "f32.neg", NONE, NUM, F32, _, F32, 1, K_UN, F32_NEG, 0, 0) \
    X(F32_CEIL, 0x8D, "f32.ceil", NONE, NUM, F32, _, F32, 1, K_UN, F32_CEIL, 0, 0) \
    X(F32_FLOOR, 0x8E, "f32.floor", NONE, NUM, F32, _, F32, 1, K_UN, F32_FLOOR, 0, 0) \
    X(F32_TRUNC, 0x8F, "f32.trunc", NONE, NUM, F32, _, F32, 1, K_UN, F32_TRUNC, 0, 0) \
    X(F32_NEAREST, 0x90, "f32.nearest", NONE, NUM, F32, _, F32, 1, K_UN, F32_NEAREST, 0, 0) \
    X(F32_SQRT, 0x91, "f32.sqrt", NONE, NUM, F32, _, F32, 1, K_UN, F32_SQRT, 0, 0) \
    X(F32_ADD, 0x92, "f32.add", NONE, NUM, F32, F32, F32, 1, K_FK, F32_ADD, 0, F_COMM) \
    X(F32_SUB, 0x93, "f32.sub", NONE, NUM, F32, F32, F32, 1, K_FK, F32_SUB, 0, 0) \
    X(F32_MUL, 0x94, "f32.mul", NONE, NUM, F32, F32, F32, 1, K_FK, F32_MUL, 0, F_COMM) \
    X(F32_DIV, 0x95, "f32.div", NONE, NUM, F32, F32, F32, 1, K_FK, F32_DIV, 0, 0) \
    X(F32_MIN, 0x96, "f32.min", NONE, NUM, F32, F32, F32, 1, K_BIN, F32_MIN, 0, 0) \
    X(F32_MAX, 0x97, "f32.max", NONE, NUM, F32, F32, F32, 1, K_BIN, F32_MAX, 0, 0) \
    X(F32_COPYSIGN, 0x98, "f32.copysign", NONE, NUM, F32, F32, F32, 1, K_BIN, F32_COPYSIGN, 0, 0) \
    X(F64_ABS, 0x99, "f64.abs", NONE, NUM, F64, _, F64, 1, K_UN, F64_ABS, 0, F_64) \
    X(F64_NEG, 0x9A, "f64.neg", NONE, NUM, F64, _, F64, 1, K_UN, F64_NEG, 0, F_64) \
    X(F64_CEIL, 0x9B, "f64.ceil", NONE, NUM, F64, _, F64, 1, K_UN, F64_CEIL, 0, F_64) \
    X(F64_FLOOR, 0x9C, "f64.floor", NONE, NUM, F64, _, F64, 1, K_UN, F64_FLOOR, 0, F_64) \
    X(F64_TRUNC, 0x9D, "f64.trunc", NONE, NUM, F64, _, F64, 1, K_UN, F64_TRUNC, 0, F_64) \
    X(F64_NEAREST, 0x9E, "f64.nearest", NONE, NUM, F64, _, F64, 1, K_UN, F64_NEAREST, 0, F_64) \
    X(F64_SQRT, 0x9F, "f64.sqrt", NONE, NUM, F64, _, F64, 1, K_UN, F64_SQRT, 0, F_64) \
    X(F64_ADD, 0xA0, "f64.add", NONE, NUM, F64, F64, F64, 1, K_FK, F64_ADD, 0, F_COMM|F_64) \
    X(F64_SUB, 0xA1, "f64.sub", NONE, NUM, F64, F64, F64, 1, K_FK, F64_SUB, 0, F_64) \
    X(F64_MUL, 0xA2, "f64.mul", NONE, NUM, F64, F64, F64, 1, K_FK, F64_MUL, 0, F_COMM|F_64) \
    X(F64_DIV, 0xA3, "f64.div", NONE, NUM, F64, F64, F64, 1, K_FK, F64_DIV, 0, F_64) \
    X(F64_MIN, 0xA4, "f64.min", NONE, NUM, F64, F64, F64, 1, K_BIN, F64_MIN, 0, F_64) \
    X(F64_MAX, 0xA5, "f64.max", NONE, NUM, F64, F64, F64, 1, K_BIN, F64_MAX, 0, F_64) \
    X(F64_COPYSIGN, 0xA6, "f64.copysign", NONE, NUM, F64, F64, F64, 1, K_BIN, F64_COPYSIGN, 0, F_64) \
    X(I32_WRAP_I64, 0xA7, "i32.wrap_i64", NONE, NUM, I64, _, I32, 1, K_UN, I32_WRAP, 0, 0) \
    X(I32_TRUNC_F32_S, 0xA8, "i32.trunc_f32_s", NONE, NUM, F32, _, I32, 1, K_UN, I32_TRUNC_F32S, 0, 0) \
    X(I32_TRUNC_F32_U, 0xA9, "i32.trunc_f32_u", NONE, NUM, F32, _, I32, 1, K_UN, I32_TRUNC_F32U, 0, 0) \
    X(I32_TRUNC_F64_S, 0xAA, "i32.trunc_f64_s", NONE, NUM, F64, _, I32, 1, K_UN, I32_TRUNC_F64S, 0, 0) \
    X(I32_TRUNC_F64_U, 0xAB, "i32.trunc_f64_u", NONE, NUM, F64, _, I32, 1, K_UN, I32_TRUNC_F64U, 0, 0) \
    X(I64_EXTEND_I32_S, 0xAC, "i64.extend_i32_s", NONE, NUM, I32, _, I64, 1, K_UN, I64_EXTEND_I32S, 0, 0) \
    X(I64_EXTEND_I32_U, 0xAD, "i64.extend_i32_u", NONE, NUM, I32, _, I64, 1, K_ID, NONE, 0, 0) \
    X(I64_TRUNC_F32_S, 0xAE, "i64.trunc_f32_s", NONE, NUM, F32, _, I64, 1, K_UN, I64_TRUNC_F32S, 0, 0) \
    X(I64_TRUNC_F32_U, 0xAF, "i64.trunc_f32_u", NONE, NUM, F32, _, I64, 1, K_UN, I64_TRUNC_F32U, 0, 0) \
    X(I64_TRUNC_F64_S, 0xB0, "i64.trunc_f64_s", NONE, NUM, F64, _, I64, 1, K_UN, I64_TRUNC_F64S, 0, 0) \
    X(I64_TRUNC_F64_U, 0xB1, "i64.trunc_f64_u", NONE, NUM, F64, _, I64, 1, K_UN, I64_TRUNC_F64U, 0, 0) \
    X(F32_CONVERT_I32_S, 0xB2, "f32.convert_i32_s", NONE, NUM, I32, _, F32, 1, K_UN, F32_CONV_I32S, 0, 0) \
    X(F32_CONVERT_I32_U, 0xB3, "f32.convert_i32_u", NONE, NUM, I32, _, F32, 1, K_UN, F32_CONV_I32U, 0, 0) \
    X(F32_CONVERT_I64_S, 0xB4, "f32.convert_i64_s", NONE, NUM, I64, _, F32, 1, K_UN, F32_CONV_I64S, 0, 0) \
    X(F32_CONVERT_I64_U, 0xB5, "f32.convert_i64_u", NONE, NUM, I64, _, F32, 1, K_UN, F32_CONV_I64U, 0, 0) \
    X(F32_DEMOTE_F64, 0xB6, "f32.demote_f64", NONE, NUM, F64, _, F32, 1, K_UN, F32_DEMOTE, 0, 0) \
    X(F64_CONVERT_I32_S, 0xB7, "f64.convert_i32_s", NONE, NUM, I32, _, F64, 1, K_UN, F64_CONV_I32S, 0, 0) \
    X(F64_CONVERT_I32_U, 0xB8, "f64.convert_i32_u", NONE, NUM, I32, _, F64, 1, K_UN, F64_CONV_I32U, 0, 0) \
    X(F64_CONVERT_I64_S, 0xB9, "f64.convert_i64_s", NONE, NUM, I64, _, F64, 1, K_UN, F64_CONV_I64S, 0, 0) \
    X(F64_CONVERT_I64_U, 0xBA, "f64.convert_i64_u", NONE, NUM, I64, _, F64, 1, K_UN, F64_CONV_I64U, 0, 0) \
    X(F64_PROMOTE_F32, 0xBB, "f64.promote_f32", NONE, NUM, F32, _, F64, 1, K_UN, F64_PROMOTE, 0, 0) \
    X(I32_REINTERPRET_F32, 0xBC, "i32.reinterpret_f32", NONE, NUM, F32, _, I32, 1, K_ID, NONE, 0, 0) \
    X(I64_REINTERPRET_F64, 0xBD, "i64.reinterpret_f64", NONE, NUM, F64, _, I64, 1, K_ID, NONE, 0, 0) \
    X(F32_REINTERPRET_I32, 0xBE, "f32.reinterpret_i32", NONE, NUM, I32, _, F32, 1, K_ID, NONE, 0, 0) \
    X(F64_REINTERPRET_I64, 0xBF, "f64.reinterpret_i64", NONE, NUM, I64, _, F64, 1, K_ID, NONE, 0, 0) \
    X(I32_EXTEND8_S, 0xC0, "i32.extend8_s", NONE, NUM, I32, _, I32, 1, K_UN, I32_EXT8S, 0, 0) \
    X(I32_EXTEND16_S, 0xC1, "i32.extend16_s", NONE, NUM, I32, _, I32, 1, K_UN, I32_EXT16S, 0, 0) \
    X(I64_EXTEND8_S, 0xC2, "i64.extend8_s", NONE, NUM, I64, _, I64, 1, K_UN, I64_EXT8S, 0, 0) \
    X(I64_EXTEND16_S, 0xC3, "i64.extend16_s", NONE, NUM, I64, _, I64, 1, K_UN, I64_EXT16S, 0, 0) \
    X(I64_EXTEND32_S, 0xC4, "i64.extend32_s", NONE, NUM, I64, _, I64, 1, K_UN, I64_EXT32S, 0, 0) \
    X(REF_NULL, 0xD0, "ref.null", REFTYPE, REF, _, _, _, 1, K_NONE, NONE, 0, 0) \
    X(REF_IS_NULL, 0xD1, "ref.is_null", NONE, REF, _, _, _, 1, K_NONE, REF_IS_NULL, 0, 0) \
    X(REF_FUNC, 0xD2, "ref.func", IDX, REF, _, _, FUNCREF, 1, K_NONE, REF_FUNC, 0, 0)

#define ESGX_WASM_OPCODES_FC(X) \
    X(I32_TRUNC_SAT_F32_S, 0, "i32.trunc_sat_f32_s", NONE, NUM, F32, _, I32, 1, K_UN, I32_SAT_F32S, 0, 0) \
    X(I32_TRUNC_SAT_F32_U, 1, "i32.trunc_sat_f32_u", NONE, NUM, F32, _, I32, 1, K_UN, I32_SAT_F32U, 0, 0) \
    X(I32_TRUNC_SAT_F64_S, 2, "i32.trunc_sat_f64_s", NONE, NUM, F64, _, I32, 1, K_UN, I32_SAT_F64S, 0, 0) \
    X(I32_TRUNC_SAT_F64_U, 3, "i32.trunc_sat_f64_u", NONE, NUM, F64, _, I32, 1, K_UN, I32_SAT_F64U, 0, 0) \
    X(I64_TRUNC_SAT_F32_S, 4, "i64.trunc_sat_f32_s", NONE, NUM, F32, _, I64, 1, K_UN, I64_SAT_F32S, 0, 0) \
    X(I64_TRUNC_SAT_F32_U, 5, "i64.trunc_sat_f32_u", NONE, NUM, F32, _, I64, 1, K_UN, I64_SAT_F32U, 0, 0) \
    X(I64_TRUNC_SAT_F64_S, 6, "i64.trunc_sat_f64_s", NONE, NUM, F64, _, I64, 1, K_UN, I64_SAT_F64S, 0, 0) \
    X(I64_TRUNC_SAT_F64_U, 7, "i64.trunc_sat_f64_u", NONE, NUM, F64, _, I64, 1, K_UN, I64_SAT_F64U, 0, 0) \
    X(MEMORY_INIT, 8, "memory.init", IDX_ZERO, MEMORY, _, _, _, 1, K_NONE, MEM_INIT, 0, 0) \
    X(DATA_DROP, 9, "data.drop", IDX, MEMORY, _, _, _, 1, K_NONE, DATA_DROP, 0, 0) \
    X(MEMORY_COPY, 10, "memory.copy", ZERO2, MEMORY, _, _, _, 1, K_NONE, MEM_COPY, 0, 0) \
    X(MEMORY_FILL, 11, "memory.fill", ZERO, MEMORY, _, _, _, 1, K_NONE, MEM_FILL, 0, 0) \
    X(TABLE_INIT, 12, "table.init", IDX2, TABLE, _, _, _, 1, K_NONE, TABLE_INIT, 0, 0) \
    X(ELEM_DROP, 13, "elem.drop", IDX, TABLE, _, _, _, 1, K_NONE, ELEM_DROP, 0, 0) \
    X(TABLE_COPY, 14, "table.copy", IDX2, TABLE, _, _, _, 1, K_NONE, TABLE_COPY, 0, 0) \
    X(TABLE_GROW, 15, "table.grow", IDX, TABLE, _, _, _, 1, K_NONE, TABLE_GROW, 0, 0) \
    X(TABLE_SIZE, 16, "table.size", IDX, TABLE, _, _, _, 1, K_NONE, TABLE_SIZE, 0, 0) \
    X(TABLE_FILL, 17, "table.fill", IDX, TABLE, _, _, _, 1, K_NONE, TABLE_FILL, 0, 0)

/* Fixed-width SIMD (WebAssembly 2.0). Every row compiles to the internal op of its own
 * name; its operand format follows from CK (wasm_exec.h). */
#define ESGX_WASM_OPCODES_FD(X) \
    X(V128_LOAD, 0x00, "v128.load", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD, 4, 0) \
    X(V128_LOAD8X8_S, 0x01, "v128.load8x8_s", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD8X8_S, 3, 0) \
    X(V128_LOAD8X8_U, 0x02, "v128.load8x8_u", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD8X8_U, 3, 0) \
    X(V128_LOAD16X4_S, 0x03, "v128.load16x4_s", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD16X4_S, 3, 0) \
    X(V128_LOAD16X4_U, 0x04, "v128.load16x4_u", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD16X4_U, 3, 0) \
    X(V128_LOAD32X2_S, 0x05, "v128.load32x2_s", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD32X2_S, 3, 0) \
    X(V128_LOAD32X2_U, 0x06, "v128.load32x2_u", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD32X2_U, 3, 0) \
    X(V128_LOAD8_SPLAT, 0x07, "v128.load8_splat", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD8_SPLAT, 0, 0) \
    X(V128_LOAD16_SPLAT, 0x08, "v128.load16_splat", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD16_SPLAT, 1, 0) \
    X(V128_LOAD32_SPLAT, 0x09, "v128.load32_splat", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD32_SPLAT, 2, 0) \
    X(V128_LOAD64_SPLAT, 0x0A, "v128.load64_splat", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD64_SPLAT, 3, 0) \
    X(V128_STORE, 0x0B, "v128.store", MEMARG, STORE, I32, V128, _, 1, KV_STORE, V128_STORE, 4, 0) \
    X(V128_CONST, 0x0C, "v128.const", V128, CONST, _, _, V128, 1, KV_CONST, V128_CONST, 0, 0) \
    X(I8X16_SHUFFLE, 0x0D, "i8x16.shuffle", SHUFFLE, NUM, V128, V128, V128, 1, KV_SHUFFLE, I8X16_SHUFFLE, 0, 0) \
    X(I8X16_SWIZZLE, 0x0E, "i8x16.swizzle", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_SWIZZLE, 0, 0) \
    X(I8X16_SPLAT, 0x0F, "i8x16.splat", NONE, NUM, I32, _, V128, 1, KV_SPLAT, I8X16_SPLAT, 0, 0) \
    X(I16X8_SPLAT, 0x10, "i16x8.splat", NONE, NUM, I32, _, V128, 1, KV_SPLAT, I16X8_SPLAT, 0, 0) \
    X(I32X4_SPLAT, 0x11, "i32x4.splat", NONE, NUM, I32, _, V128, 1, KV_SPLAT, I32X4_SPLAT, 0, 0) \
    X(I64X2_SPLAT, 0x12, "i64x2.splat", NONE, NUM, I64, _, V128, 1, KV_SPLAT, I64X2_SPLAT, 0, 0) \
    X(F32X4_SPLAT, 0x13, "f32x4.splat", NONE, NUM, F32, _, V128, 1, KV_SPLAT, F32X4_SPLAT, 0, 0) \
    X(F64X2_SPLAT, 0x14, "f64x2.splat", NONE, NUM, F64, _, V128, 1, KV_SPLAT, F64X2_SPLAT, 0, 0) \
    X(I8X16_EXTRACT_LANE_S, 0x15, "i8x16.extract_lane_s", LANE, NUM, V128, _, I32, 1, KV_EXTRACT, I8X16_EXTRACT_LANE_S, 0, 0) \
    X(I8X16_EXTRACT_LANE_U, 0x16, "i8x16.extract_lane_u", LANE, NUM, V128, _, I32, 1, KV_EXTRACT, I8X16_EXTRACT_LANE_U, 0, 0) \
    X(I8X16_REPLACE_LANE, 0x17, "i8x16.replace_lane", LANE, NUM, V128, I32, V128, 1, KV_REPLACE, I8X16_REPLACE_LANE, 0, 0) \
    X(I16X8_EXTRACT_LANE_S, 0x18, "i16x8.extract_lane_s", LANE, NUM, V128, _, I32, 1, KV_EXTRACT, I16X8_EXTRACT_LANE_S, 1, 0) \
    X(I16X8_EXTRACT_LANE_U, 0x19, "i16x8.extract_lane_u", LANE, NUM, V128, _, I32, 1, KV_EXTRACT, I16X8_EXTRACT_LANE_U, 1, 0) \
    X(I16X8_REPLACE_LANE, 0x1A, "i16x8.replace_lane", LANE, NUM, V128, I32, V128, 1, KV_REPLACE, I16X8_REPLACE_LANE, 1, 0) \
    X(I32X4_EXTRACT_LANE, 0x1B, "i32x4.extract_lane", LANE, NUM, V128, _, I32, 1, KV_EXTRACT, I32X4_EXTRACT_LANE, 2, 0) \
    X(I32X4_REPLACE_LANE, 0x1C, "i32x4.replace_lane", LANE, NUM, V128, I32, V128, 1, KV_REPLACE, I32X4_REPLACE_LANE, 2, 0) \
    X(I64X2_EXTRACT_LANE, 0x1D, "i64x2.extract_lane", LANE, NUM, V128, _, I64, 1, KV_EXTRACT, I64X2_EXTRACT_LANE, 3, 0) \
    X(I64X2_REPLACE_LANE, 0x1E, "i64x2.replace_lane", LANE, NUM, V128, I64, V128, 1, KV_REPLACE, I64X2_REPLACE_LANE, 3, 0) \
    X(F32X4_EXTRACT_LANE, 0x1F, "f32x4.extract_lane", LANE, NUM, V128, _, F32, 1, KV_EXTRACT, F32X4_EXTRACT_LANE, 2, 0) \
    X(F32X4_REPLACE_LANE, 0x20, "f32x4.replace_lane", LANE, NUM, V128, F32, V128, 1, KV_REPLACE, F32X4_REPLACE_LANE, 2, 0) \
    X(F64X2_EXTRACT_LANE, 0x21, "f64x2.extract_lane", LANE, NUM, V128, _, F64, 1, KV_EXTRACT, F64X2_EXTRACT_LANE, 3, 0) \
    X(F64X2_REPLACE_LANE, 0x22, "f64x2.replace_lane", LANE, NUM, V128, F64, V128, 1, KV_REPLACE, F64X2_REPLACE_LANE, 3, 0) \
    X(I8X16_EQ, 0x23, "i8x16.eq", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_EQ, 0, 0) \
    X(I8X16_NE, 0x24, "i8x16.ne", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_NE, 0, 0) \
    X(I8X16_LT_S, 0x25, "i8x16.lt_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_LT_S, 0, 0) \
    X(I8X16_LT_U, 0x26, "i8x16.lt_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_LT_U, 0, 0) \
    X(I8X16_GT_S, 0x27, "i8x16.gt_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_GT_S, 0, 0) \
    X(I8X16_GT_U, 0x28, "i8x16.gt_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_GT_U, 0, 0) \
    X(I8X16_LE_S, 0x29, "i8x16.le_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_LE_S, 0, 0) \
    X(I8X16_LE_U, 0x2A, "i8x16.le_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_LE_U, 0, 0) \
    X(I8X16_GE_S, 0x2B, "i8x16.ge_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_GE_S, 0, 0) \
    X(I8X16_GE_U, 0x2C, "i8x16.ge_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_GE_U, 0, 0) \
    X(I16X8_EQ, 0x2D, "i16x8.eq", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_EQ, 0, 0) \
    X(I16X8_NE, 0x2E, "i16x8.ne", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_NE, 0, 0) \
    X(I16X8_LT_S, 0x2F, "i16x8.lt_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_LT_S, 0, 0) \
    X(I16X8_LT_U, 0x30, "i16x8.lt_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_LT_U, 0, 0) \
    X(I16X8_GT_S, 0x31, "i16x8.gt_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_GT_S, 0, 0) \
    X(I16X8_GT_U, 0x32, "i16x8.gt_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_GT_U, 0, 0) \
    X(I16X8_LE_S, 0x33, "i16x8.le_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_LE_S, 0, 0) \
    X(I16X8_LE_U, 0x34, "i16x8.le_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_LE_U, 0, 0) \
    X(I16X8_GE_S, 0x35, "i16x8.ge_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_GE_S, 0, 0) \
    X(I16X8_GE_U, 0x36, "i16x8.ge_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_GE_U, 0, 0) \
    X(I32X4_EQ, 0x37, "i32x4.eq", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_EQ, 0, 0) \
    X(I32X4_NE, 0x38, "i32x4.ne", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_NE, 0, 0) \
    X(I32X4_LT_S, 0x39, "i32x4.lt_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_LT_S, 0, 0) \
    X(I32X4_LT_U, 0x3A, "i32x4.lt_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_LT_U, 0, 0) \
    X(I32X4_GT_S, 0x3B, "i32x4.gt_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_GT_S, 0, 0) \
    X(I32X4_GT_U, 0x3C, "i32x4.gt_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_GT_U, 0, 0) \
    X(I32X4_LE_S, 0x3D, "i32x4.le_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_LE_S, 0, 0) \
    X(I32X4_LE_U, 0x3E, "i32x4.le_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_LE_U, 0, 0) \
    X(I32X4_GE_S, 0x3F, "i32x4.ge_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_GE_S, 0, 0) \
    X(I32X4_GE_U, 0x40, "i32x4.ge_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_GE_U, 0, 0) \
    X(F32X4_EQ, 0x41, "f32x4.eq", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_EQ, 0, 0) \
    X(F32X4_NE, 0x42, "f32x4.ne", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_NE, 0, 0) \
    X(F32X4_LT, 0x43, "f32x4.lt", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_LT, 0, 0) \
    X(F32X4_GT, 0x44, "f32x4.gt", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_GT, 0, 0) \
    X(F32X4_LE, 0x45, "f32x4.le", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_LE, 0, 0) \
    X(F32X4_GE, 0x46, "f32x4.ge", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_GE, 0, 0) \
    X(F64X2_EQ, 0x47, "f64x2.eq", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_EQ, 0, 0) \
    X(F64X2_NE, 0x48, "f64x2.ne", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_NE, 0, 0) \
    X(F64X2_LT, 0x49, "f64x2.lt", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_LT, 0, 0) \
    X(F64X2_GT, 0x4A, "f64x2.gt", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_GT, 0, 0) \
    X(F64X2_LE, 0x4B, "f64x2.le", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_LE, 0, 0) \
    X(F64X2_GE, 0x4C, "f64x2.ge", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_GE, 0, 0) \
    X(V128_NOT, 0x4D, "v128.not", NONE, NUM, V128, _, V128, 1, KV_UN, V128_NOT, 0, 0) \
    X(V128_AND, 0x4E, "v128.and", NONE, NUM, V128, V128, V128, 1, KV_BIN, V128_AND, 0, 0) \
    X(V128_ANDNOT, 0x4F, "v128.andnot", NONE, NUM, V128, V128, V128, 1, KV_BIN, V128_ANDNOT, 0, 0) \
    X(V128_OR, 0x50, "v128.or", NONE, NUM, V128, V128, V128, 1, KV_BIN, V128_OR, 0, 0) \
    X(V128_XOR, 0x51, "v128.xor", NONE, NUM, V128, V128, V128, 1, KV_BIN, V128_XOR, 0, 0) \
    X(V128_BITSELECT, 0x52, "v128.bitselect", NONE, NUM, V128, V128, V128, 1, KV_TERN, V128_BITSELECT, 0, 0) \
    X(V128_ANY_TRUE, 0x53, "v128.any_true", NONE, NUM, V128, _, I32, 1, KV_TEST, V128_ANY_TRUE, 0, 0) \
    X(V128_LOAD8_LANE, 0x54, "v128.load8_lane", MEMARG_LANE, LOAD, I32, V128, V128, 1, KV_LOADLANE, V128_LOAD8_LANE, 0, 0) \
    X(V128_LOAD16_LANE, 0x55, "v128.load16_lane", MEMARG_LANE, LOAD, I32, V128, V128, 1, KV_LOADLANE, V128_LOAD16_LANE, 1, 0) \
    X(V128_LOAD32_LANE, 0x56, "v128.load32_lane", MEMARG_LANE, LOAD, I32, V128, V128, 1, KV_LOADLANE, V128_LOAD32_LANE, 2, 0) \
    X(V128_LOAD64_LANE, 0x57, "v128.load64_lane", MEMARG_LANE, LOAD, I32, V128, V128, 1, KV_LOADLANE, V128_LOAD64_LANE, 3, 0) \
    X(V128_STORE8_LANE, 0x58, "v128.store8_lane", MEMARG_LANE, STORE, I32, V128, _, 1, KV_STORELANE, V128_STORE8_LANE, 0, 0) \
    X(V128_STORE16_LANE, 0x59, "v128.store16_lane", MEMARG_LANE, STORE, I32, V128, _, 1, KV_STORELANE, V128_STORE16_LANE, 1, 0) \
    X(V128_STORE32_LANE, 0x5A, "v128.store32_lane", MEMARG_LANE, STORE, I32, V128, _, 1, KV_STORELANE, V128_STORE32_LANE, 2, 0) \
    X(V128_STORE64_LANE, 0x5B, "v128.store64_lane", MEMARG_LANE, STORE, I32, V128, _, 1, KV_STORELANE, V128_STORE64_LANE, 3, 0) \
    X(V128_LOAD32_ZERO, 0x5C, "v128.load32_zero", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD32_ZERO, 2, 0) \
    X(V128_LOAD64_ZERO, 0x5D, "v128.load64_zero", MEMARG, LOAD, I32, _, V128, 1, KV_LOAD, V128_LOAD64_ZERO, 3, 0) \
    X(F32X4_DEMOTE_F64X2_ZERO, 0x5E, "f32x4.demote_f64x2_zero", NONE, NUM, V128, _, V128, 1, KV_UN, F32X4_DEMOTE_F64X2_ZERO, 0, 0) \
    X(F64X2_PROMOTE_LOW_F32X4, 0x5F, "f64x2.promote_low_f32x4", NONE, NUM, V128, _, V128, 1, KV_UN, F64X2_PROMOTE_LOW_F32X4, 0, 0) \
    X(I8X16_ABS, 0x60, "i8x16.abs", NONE, NUM, V128, _, V128, 1, KV_UN, I8X16_ABS, 0, 0) \
    X(I8X16_NEG, 0x61, "i8x16.neg", NONE, NUM, V128, _, V128, 1, KV_UN, I8X16_NEG, 0, 0) \
    X(I8X16_POPCNT, 0x62, "i8x16.popcnt", NONE, NUM, V128, _, V128, 1, KV_UN, I8X16_POPCNT, 0, 0) \
    X(I8X16_ALL_TRUE, 0x63, "i8x16.all_true", NONE, NUM, V128, _, I32, 1, KV_TEST, I8X16_ALL_TRUE, 0, 0) \
    X(I8X16_BITMASK, 0x64, "i8x16.bitmask", NONE, NUM, V128, _, I32, 1, KV_TEST, I8X16_BITMASK, 0, 0) \
    X(I8X16_NARROW_I16X8_S, 0x65, "i8x16.narrow_i16x8_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_NARROW_I16X8_S, 0, 0) \
    X(I8X16_NARROW_I16X8_U, 0x66, "i8x16.narrow_i16x8_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_NARROW_I16X8_U, 0, 0) \
    X(F32X4_CEIL, 0x67, "f32x4.ceil", NONE, NUM, V128, _, V128, 2, KV_UN, F32X4_CEIL, 0, 0) \
    X(F32X4_FLOOR, 0x68, "f32x4.floor", NONE, NUM, V128, _, V128, 2, KV_UN, F32X4_FLOOR, 0, 0) \
    X(F32X4_TRUNC, 0x69, "f32x4.trunc", NONE, NUM, V128, _, V128, 2, KV_UN, F32X4_TRUNC, 0, 0) \
    X(F32X4_NEAREST, 0x6A, "f32x4.nearest", NONE, NUM, V128, _, V128, 2, KV_UN, F32X4_NEAREST, 0, 0) \
    X(I8X16_SHL, 0x6B, "i8x16.shl", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I8X16_SHL, 0, 0) \
    X(I8X16_SHR_S, 0x6C, "i8x16.shr_s", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I8X16_SHR_S, 0, 0) \
    X(I8X16_SHR_U, 0x6D, "i8x16.shr_u", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I8X16_SHR_U, 0, 0) \
    X(I8X16_ADD, 0x6E, "i8x16.add", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_ADD, 0, 0) \
    X(I8X16_ADD_SAT_S, 0x6F, "i8x16.add_sat_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_ADD_SAT_S, 0, 0) \
    X(I8X16_ADD_SAT_U, 0x70, "i8x16.add_sat_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_ADD_SAT_U, 0, 0) \
    X(I8X16_SUB, 0x71, "i8x16.sub", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_SUB, 0, 0) \
    X(I8X16_SUB_SAT_S, 0x72, "i8x16.sub_sat_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_SUB_SAT_S, 0, 0) \
    X(I8X16_SUB_SAT_U, 0x73, "i8x16.sub_sat_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_SUB_SAT_U, 0, 0) \
    X(F64X2_CEIL, 0x74, "f64x2.ceil", NONE, NUM, V128, _, V128, 2, KV_UN, F64X2_CEIL, 0, 0) \
    X(F64X2_FLOOR, 0x75, "f64x2.floor", NONE, NUM, V128, _, V128, 2, KV_UN, F64X2_FLOOR, 0, 0) \
    X(I8X16_MIN_S, 0x76, "i8x16.min_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_MIN_S, 0, 0) \
    X(I8X16_MIN_U, 0x77, "i8x16.min_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_MIN_U, 0, 0) \
    X(I8X16_MAX_S, 0x78, "i8x16.max_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_MAX_S, 0, 0) \
    X(I8X16_MAX_U, 0x79, "i8x16.max_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_MAX_U, 0, 0) \
    X(F64X2_TRUNC, 0x7A, "f64x2.trunc", NONE, NUM, V128, _, V128, 2, KV_UN, F64X2_TRUNC, 0, 0) \
    X(I8X16_AVGR_U, 0x7B, "i8x16.avgr_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I8X16_AVGR_U, 0, 0) \
    X(I16X8_EXTADD_PAIRWISE_I8X16_S, 0x7C, "i16x8.extadd_pairwise_i8x16_s", NONE, NUM, V128, _, V128, 1, KV_UN, I16X8_EXTADD_PAIRWISE_I8X16_S, 0, 0) \
    X(I16X8_EXTADD_PAIRWISE_I8X16_U, 0x7D, "i16x8.extadd_pairwise_i8x16_u", NONE, NUM, V128, _, V128, 1, KV_UN, I16X8_EXTADD_PAIRWISE_I8X16_U, 0, 0) \
    X(I32X4_EXTADD_PAIRWISE_I16X8_S, 0x7E, "i32x4.extadd_pairwise_i16x8_s", NONE, NUM, V128, _, V128, 1, KV_UN, I32X4_EXTADD_PAIRWISE_I16X8_S, 0, 0) \
    X(I32X4_EXTADD_PAIRWISE_I16X8_U, 0x7F, "i32x4.extadd_pairwise_i16x8_u", NONE, NUM, V128, _, V128, 1, KV_UN, I32X4_EXTADD_PAIRWISE_I16X8_U, 0, 0) \
    X(I16X8_ABS, 0x80, "i16x8.abs", NONE, NUM, V128, _, V128, 1, KV_UN, I16X8_ABS, 0, 0) \
    X(I16X8_NEG, 0x81, "i16x8.neg", NONE, NUM, V128, _, V128, 1, KV_UN, I16X8_NEG, 0, 0) \
    X(I16X8_Q15MULR_SAT_S, 0x82, "i16x8.q15mulr_sat_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_Q15MULR_SAT_S, 0, 0) \
    X(I16X8_ALL_TRUE, 0x83, "i16x8.all_true", NONE, NUM, V128, _, I32, 1, KV_TEST, I16X8_ALL_TRUE, 0, 0) \
    X(I16X8_BITMASK, 0x84, "i16x8.bitmask", NONE, NUM, V128, _, I32, 1, KV_TEST, I16X8_BITMASK, 0, 0) \
    X(I16X8_NARROW_I32X4_S, 0x85, "i16x8.narrow_i32x4_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_NARROW_I32X4_S, 0, 0) \
    X(I16X8_NARROW_I32X4_U, 0x86, "i16x8.narrow_i32x4_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_NARROW_I32X4_U, 0, 0) \
    X(I16X8_EXTEND_LOW_I8X16_S, 0x87, "i16x8.extend_low_i8x16_s", NONE, NUM, V128, _, V128, 1, KV_UN, I16X8_EXTEND_LOW_I8X16_S, 0, 0) \
    X(I16X8_EXTEND_HIGH_I8X16_S, 0x88, "i16x8.extend_high_i8x16_s", NONE, NUM, V128, _, V128, 1, KV_UN, I16X8_EXTEND_HIGH_I8X16_S, 0, 0) \
    X(I16X8_EXTEND_LOW_I8X16_U, 0x89, "i16x8.extend_low_i8x16_u", NONE, NUM, V128, _, V128, 1, KV_UN, I16X8_EXTEND_LOW_I8X16_U, 0, 0) \
    X(I16X8_EXTEND_HIGH_I8X16_U, 0x8A, "i16x8.extend_high_i8x16_u", NONE, NUM, V128, _, V128, 1, KV_UN, I16X8_EXTEND_HIGH_I8X16_U, 0, 0) \
    X(I16X8_SHL, 0x8B, "i16x8.shl", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I16X8_SHL, 0, 0) \
    X(I16X8_SHR_S, 0x8C, "i16x8.shr_s", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I16X8_SHR_S, 0, 0) \
    X(I16X8_SHR_U, 0x8D, "i16x8.shr_u", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I16X8_SHR_U, 0, 0) \
    X(I16X8_ADD, 0x8E, "i16x8.add", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_ADD, 0, 0) \
    X(I16X8_ADD_SAT_S, 0x8F, "i16x8.add_sat_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_ADD_SAT_S, 0, 0) \
    X(I16X8_ADD_SAT_U, 0x90, "i16x8.add_sat_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_ADD_SAT_U, 0, 0) \
    X(I16X8_SUB, 0x91, "i16x8.sub", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_SUB, 0, 0) \
    X(I16X8_SUB_SAT_S, 0x92, "i16x8.sub_sat_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_SUB_SAT_S, 0, 0) \
    X(I16X8_SUB_SAT_U, 0x93, "i16x8.sub_sat_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_SUB_SAT_U, 0, 0) \
    X(F64X2_NEAREST, 0x94, "f64x2.nearest", NONE, NUM, V128, _, V128, 2, KV_UN, F64X2_NEAREST, 0, 0) \
    X(I16X8_MUL, 0x95, "i16x8.mul", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_MUL, 0, 0) \
    X(I16X8_MIN_S, 0x96, "i16x8.min_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_MIN_S, 0, 0) \
    X(I16X8_MIN_U, 0x97, "i16x8.min_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_MIN_U, 0, 0) \
    X(I16X8_MAX_S, 0x98, "i16x8.max_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_MAX_S, 0, 0) \
    X(I16X8_MAX_U, 0x99, "i16x8.max_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_MAX_U, 0, 0) \
    X(I16X8_AVGR_U, 0x9B, "i16x8.avgr_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_AVGR_U, 0, 0) \
    X(I16X8_EXTMUL_LOW_I8X16_S, 0x9C, "i16x8.extmul_low_i8x16_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_EXTMUL_LOW_I8X16_S, 0, 0) \
    X(I16X8_EXTMUL_HIGH_I8X16_S, 0x9D, "i16x8.extmul_high_i8x16_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_EXTMUL_HIGH_I8X16_S, 0, 0) \
    X(I16X8_EXTMUL_LOW_I8X16_U, 0x9E, "i16x8.extmul_low_i8x16_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_EXTMUL_LOW_I8X16_U, 0, 0) \
    X(I16X8_EXTMUL_HIGH_I8X16_U, 0x9F, "i16x8.extmul_high_i8x16_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I16X8_EXTMUL_HIGH_I8X16_U, 0, 0) \
    X(I32X4_ABS, 0xA0, "i32x4.abs", NONE, NUM, V128, _, V128, 1, KV_UN, I32X4_ABS, 0, 0) \
    X(I32X4_NEG, 0xA1, "i32x4.neg", NONE, NUM, V128, _, V128, 1, KV_UN, I32X4_NEG, 0, 0) \
    X(I32X4_ALL_TRUE, 0xA3, "i32x4.all_true", NONE, NUM, V128, _, I32, 1, KV_TEST, I32X4_ALL_TRUE, 0, 0) \
    X(I32X4_BITMASK, 0xA4, "i32x4.bitmask", NONE, NUM, V128, _, I32, 1, KV_TEST, I32X4_BITMASK, 0, 0) \
    X(I32X4_EXTEND_LOW_I16X8_S, 0xA7, "i32x4.extend_low_i16x8_s", NONE, NUM, V128, _, V128, 1, KV_UN, I32X4_EXTEND_LOW_I16X8_S, 0, 0) \
    X(I32X4_EXTEND_HIGH_I16X8_S, 0xA8, "i32x4.extend_high_i16x8_s", NONE, NUM, V128, _, V128, 1, KV_UN, I32X4_EXTEND_HIGH_I16X8_S, 0, 0) \
    X(I32X4_EXTEND_LOW_I16X8_U, 0xA9, "i32x4.extend_low_i16x8_u", NONE, NUM, V128, _, V128, 1, KV_UN, I32X4_EXTEND_LOW_I16X8_U, 0, 0) \
    X(I32X4_EXTEND_HIGH_I16X8_U, 0xAA, "i32x4.extend_high_i16x8_u", NONE, NUM, V128, _, V128, 1, KV_UN, I32X4_EXTEND_HIGH_I16X8_U, 0, 0) \
    X(I32X4_SHL, 0xAB, "i32x4.shl", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I32X4_SHL, 0, 0) \
    X(I32X4_SHR_S, 0xAC, "i32x4.shr_s", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I32X4_SHR_S, 0, 0) \
    X(I32X4_SHR_U, 0xAD, "i32x4.shr_u", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I32X4_SHR_U, 0, 0) \
    X(I32X4_ADD, 0xAE, "i32x4.add", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_ADD, 0, 0) \
    X(I32X4_SUB, 0xB1, "i32x4.sub", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_SUB, 0, 0) \
    X(I32X4_MUL, 0xB5, "i32x4.mul", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_MUL, 0, 0) \
    X(I32X4_MIN_S, 0xB6, "i32x4.min_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_MIN_S, 0, 0) \
    X(I32X4_MIN_U, 0xB7, "i32x4.min_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_MIN_U, 0, 0) \
    X(I32X4_MAX_S, 0xB8, "i32x4.max_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_MAX_S, 0, 0) \
    X(I32X4_MAX_U, 0xB9, "i32x4.max_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_MAX_U, 0, 0) \
    X(I32X4_DOT_I16X8_S, 0xBA, "i32x4.dot_i16x8_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_DOT_I16X8_S, 0, 0) \
    X(I32X4_EXTMUL_LOW_I16X8_S, 0xBC, "i32x4.extmul_low_i16x8_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_EXTMUL_LOW_I16X8_S, 0, 0) \
    X(I32X4_EXTMUL_HIGH_I16X8_S, 0xBD, "i32x4.extmul_high_i16x8_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_EXTMUL_HIGH_I16X8_S, 0, 0) \
    X(I32X4_EXTMUL_LOW_I16X8_U, 0xBE, "i32x4.extmul_low_i16x8_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_EXTMUL_LOW_I16X8_U, 0, 0) \
    X(I32X4_EXTMUL_HIGH_I16X8_U, 0xBF, "i32x4.extmul_high_i16x8_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I32X4_EXTMUL_HIGH_I16X8_U, 0, 0) \
    X(I64X2_ABS, 0xC0, "i64x2.abs", NONE, NUM, V128, _, V128, 1, KV_UN, I64X2_ABS, 0, 0) \
    X(I64X2_NEG, 0xC1, "i64x2.neg", NONE, NUM, V128, _, V128, 1, KV_UN, I64X2_NEG, 0, 0) \
    X(I64X2_ALL_TRUE, 0xC3, "i64x2.all_true", NONE, NUM, V128, _, I32, 1, KV_TEST, I64X2_ALL_TRUE, 0, 0) \
    X(I64X2_BITMASK, 0xC4, "i64x2.bitmask", NONE, NUM, V128, _, I32, 1, KV_TEST, I64X2_BITMASK, 0, 0) \
    X(I64X2_EXTEND_LOW_I32X4_S, 0xC7, "i64x2.extend_low_i32x4_s", NONE, NUM, V128, _, V128, 1, KV_UN, I64X2_EXTEND_LOW_I32X4_S, 0, 0) \
    X(I64X2_EXTEND_HIGH_I32X4_S, 0xC8, "i64x2.extend_high_i32x4_s", NONE, NUM, V128, _, V128, 1, KV_UN, I64X2_EXTEND_HIGH_I32X4_S, 0, 0) \
    X(I64X2_EXTEND_LOW_I32X4_U, 0xC9, "i64x2.extend_low_i32x4_u", NONE, NUM, V128, _, V128, 1, KV_UN, I64X2_EXTEND_LOW_I32X4_U, 0, 0) \
    X(I64X2_EXTEND_HIGH_I32X4_U, 0xCA, "i64x2.extend_high_i32x4_u", NONE, NUM, V128, _, V128, 1, KV_UN, I64X2_EXTEND_HIGH_I32X4_U, 0, 0) \
    X(I64X2_SHL, 0xCB, "i64x2.shl", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I64X2_SHL, 0, 0) \
    X(I64X2_SHR_S, 0xCC, "i64x2.shr_s", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I64X2_SHR_S, 0, 0) \
    X(I64X2_SHR_U, 0xCD, "i64x2.shr_u", NONE, NUM, V128, I32, V128, 1, KV_SHIFT, I64X2_SHR_U, 0, 0) \
    X(I64X2_ADD, 0xCE, "i64x2.add", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_ADD, 0, 0) \
    X(I64X2_SUB, 0xD1, "i64x2.sub", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_SUB, 0, 0) \
    X(I64X2_MUL, 0xD5, "i64x2.mul", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_MUL, 0, 0) \
    X(I64X2_EQ, 0xD6, "i64x2.eq", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_EQ, 0, 0) \
    X(I64X2_NE, 0xD7, "i64x2.ne", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_NE, 0, 0) \
    X(I64X2_LT_S, 0xD8, "i64x2.lt_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_LT_S, 0, 0) \
    X(I64X2_GT_S, 0xD9, "i64x2.gt_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_GT_S, 0, 0) \
    X(I64X2_LE_S, 0xDA, "i64x2.le_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_LE_S, 0, 0) \
    X(I64X2_GE_S, 0xDB, "i64x2.ge_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_GE_S, 0, 0) \
    X(I64X2_EXTMUL_LOW_I32X4_S, 0xDC, "i64x2.extmul_low_i32x4_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_EXTMUL_LOW_I32X4_S, 0, 0) \
    X(I64X2_EXTMUL_HIGH_I32X4_S, 0xDD, "i64x2.extmul_high_i32x4_s", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_EXTMUL_HIGH_I32X4_S, 0, 0) \
    X(I64X2_EXTMUL_LOW_I32X4_U, 0xDE, "i64x2.extmul_low_i32x4_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_EXTMUL_LOW_I32X4_U, 0, 0) \
    X(I64X2_EXTMUL_HIGH_I32X4_U, 0xDF, "i64x2.extmul_high_i32x4_u", NONE, NUM, V128, V128, V128, 1, KV_BIN, I64X2_EXTMUL_HIGH_I32X4_U, 0, 0) \
    X(F32X4_ABS, 0xE0, "f32x4.abs", NONE, NUM, V128, _, V128, 1, KV_UN, F32X4_ABS, 0, 0) \
    X(F32X4_NEG, 0xE1, "f32x4.neg", NONE, NUM, V128, _, V128, 1, KV_UN, F32X4_NEG, 0, 0) \
    X(F32X4_SQRT, 0xE3, "f32x4.sqrt", NONE, NUM, V128, _, V128, 2, KV_UN, F32X4_SQRT, 0, 0) \
    X(F32X4_ADD, 0xE4, "f32x4.add", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_ADD, 0, 0) \
    X(F32X4_SUB, 0xE5, "f32x4.sub", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_SUB, 0, 0) \
    X(F32X4_MUL, 0xE6, "f32x4.mul", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_MUL, 0, 0) \
    X(F32X4_DIV, 0xE7, "f32x4.div", NONE, NUM, V128, V128, V128, 2, KV_BIN, F32X4_DIV, 0, 0) \
    X(F32X4_MIN, 0xE8, "f32x4.min", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_MIN, 0, 0) \
    X(F32X4_MAX, 0xE9, "f32x4.max", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_MAX, 0, 0) \
    X(F32X4_PMIN, 0xEA, "f32x4.pmin", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_PMIN, 0, 0) \
    X(F32X4_PMAX, 0xEB, "f32x4.pmax", NONE, NUM, V128, V128, V128, 1, KV_BIN, F32X4_PMAX, 0, 0) \
    X(F64X2_ABS, 0xEC, "f64x2.abs", NONE, NUM, V128, _, V128, 1, KV_UN, F64X2_ABS, 0, 0) \
    X(F64X2_NEG, 0xED, "f64x2.neg", NONE, NUM, V128, _, V128, 1, KV_UN, F64X2_NEG, 0, 0) \
    X(F64X2_SQRT, 0xEF, "f64x2.sqrt", NONE, NUM, V128, _, V128, 2, KV_UN, F64X2_SQRT, 0, 0) \
    X(F64X2_ADD, 0xF0, "f64x2.add", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_ADD, 0, 0) \
    X(F64X2_SUB, 0xF1, "f64x2.sub", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_SUB, 0, 0) \
    X(F64X2_MUL, 0xF2, "f64x2.mul", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_MUL, 0, 0) \
    X(F64X2_DIV, 0xF3, "f64x2.div", NONE, NUM, V128, V128, V128, 2, KV_BIN, F64X2_DIV, 0, 0) \
    X(F64X2_MIN, 0xF4, "f64x2.min", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_MIN, 0, 0) \
    X(F64X2_MAX, 0xF5, "f64x2.max", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_MAX, 0, 0) \
    X(F64X2_PMIN, 0xF6, "f64x2.pmin", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_PMIN, 0, 0) \
    X(F64X2_PMAX, 0xF7, "f64x2.pmax", NONE, NUM, V128, V128, V128, 1, KV_BIN, F64X2_PMAX, 0, 0) \
    X(I32X4_TRUNC_SAT_F32X4_S, 0xF8, "i32x4.trunc_sat_f32x4_s", NONE, NUM, V128, _, V128, 2, KV_UN, I32X4_TRUNC_SAT_F32X4_S, 0, 0) \
    X(I32X4_TRUNC_SAT_F32X4_U, 0xF9, "i32x4.trunc_sat_f32x4_u", NONE, NUM, V128, _, V128, 2, KV_UN, I32X4_TRUNC_SAT_F32X4_U, 0, 0) \
    X(F32X4_CONVERT_I32X4_S, 0xFA, "f32x4.convert_i32x4_s", NONE, NUM, V128, _, V128, 1, KV_UN, F32X4_CONVERT_I32X4_S, 0, 0) \
    X(F32X4_CONVERT_I32X4_U, 0xFB, "f32x4.convert_i32x4_u", NONE, NUM, V128, _, V128, 1, KV_UN, F32X4_CONVERT_I32X4_U, 0, 0) \
    X(I32X4_TRUNC_SAT_F64X2_S_ZERO, 0xFC, "i32x4.trunc_sat_f64x2_s_zero", NONE, NUM, V128, _, V128, 2, KV_UN, I32X4_TRUNC_SAT_F64X2_S_ZERO, 0, 0) \
    X(I32X4_TRUNC_SAT_F64X2_U_ZERO, 0xFD, "i32x4.trunc_sat_f64x2_u_zero", NONE, NUM, V128, _, V128, 2, KV_UN, I32X4_TRUNC_SAT_F64X2_U_ZERO, 0, 0) \
    X(F64X2_CONVERT_LOW_I32X4_S, 0xFE, "f64x2.convert_low_i32x4_s", NONE, NUM, V128, _, V128, 1, KV_UN, F64X2_CONVERT_LOW_I32X4_S, 0, 0) \
    X(F64X2_CONVERT_LOW_I32X4_U, 0xFF, "f64x2.convert_low_i32x4_u", NONE, NUM, V128, _, V128, 1, KV_UN, F64X2_CONVERT_LOW_I32X4_U, 0, 0)

enum esgx_wasm_opcode {
#define X(N, C, ...) OPC_##N = (C),
    ESGX_WASM_OPCODES(X)
#undef X
#define X(N, C, ...) OPC_##N = ESGX_WASM_OP_FC(C),
    ESGX_WASM_OPCODES_FC(X)
#undef X
#define X(N, C, ...) OPC_##N = ESGX_WASM_OP_FD(C),
    ESGX_WASM_OPCODES_FD(X)
#undef X
};

typedef struct esgx_wasm_opinfo {
    const char *name;         /* text format; NULL: not an opcode */
    uint16_t iop;             /* WOP_* or WOP_NONE */
    uint8_t imm, cat, a, b, r, cost, ck, arg, flags;
} esgx_wasm_opinfo;

/* Indexed by the byte / by the 0xFC / 0xFD sub-opcode (opcodes.c; unassigned SIMD
 * sub-opcodes have a NULL name). */
extern const esgx_wasm_opinfo esgx_wasm_opinfo_byte[256];
extern const esgx_wasm_opinfo esgx_wasm_opinfo_fc[ESGX_WASM_FC_COUNT];
extern const esgx_wasm_opinfo esgx_wasm_opinfo_fd[ESGX_WASM_FD_COUNT];

/* The row of opcode op (a byte, ESGX_WASM_OP_FC(sub) or ESGX_WASM_OP_FD(sub)); NULL if
 * there is none. */
static inline const esgx_wasm_opinfo *esgx_wasm_opinfo_of(uint32_t op)
{
    if (op < 256) return esgx_wasm_opinfo_byte[op].name ? &esgx_wasm_opinfo_byte[op] : 0;
    if (op >= ESGX_WASM_OP_FD(0)) {
        uint32_t sub = op - ESGX_WASM_OP_FD(0);
        return sub < ESGX_WASM_FD_COUNT && esgx_wasm_opinfo_fd[sub].name
                   ? &esgx_wasm_opinfo_fd[sub] : 0;
    }
    uint32_t sub = op - ESGX_WASM_OP_FC(0);
    return sub < ESGX_WASM_FC_COUNT ? &esgx_wasm_opinfo_fc[sub] : 0;
}

#endif
