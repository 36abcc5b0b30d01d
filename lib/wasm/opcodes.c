/*
 * opcodes.c: the tables behind wasm_opcodes.h (one esgx_wasm_opinfo per wasm opcode)
 * and wasm_exec.h (name, operand format and width of each internal op), instantiated
 * from their X-macro rows so that no other file spells an opcode's properties.
 */
#include "wasm_exec.h"
#include "wasm_opcodes.h"

#define ROW(N, C, T, IMM, CAT, A, B, R, COST, CK, IOP, ARG, FLAGS)                      \
    {T, (uint16_t)(WOP_##IOP), IMM_##IMM, CAT_##CAT, ESGX_WASM_SIG_##A, ESGX_WASM_SIG_##B, \
     ESGX_WASM_SIG_##R, COST, CK, ARG, FLAGS}
#define X(N, C, ...) [C] = ROW(N, C, __VA_ARGS__),
const esgx_wasm_opinfo esgx_wasm_opinfo_byte[256] = {ESGX_WASM_OPCODES(X)};
const esgx_wasm_opinfo esgx_wasm_opinfo_fc[ESGX_WASM_FC_COUNT] = {ESGX_WASM_OPCODES_FC(X)};
const esgx_wasm_opinfo esgx_wasm_opinfo_fd[ESGX_WASM_FD_COUNT] = {ESGX_WASM_OPCODES_FD(X)};
#undef X
#undef ROW

#define OPX(n, f) #n,
const char *const esgx_wasm_iop_name[WOP_COUNT_] = {ESGX_WASM_OPS};
#undef OPX
#define OPX(n, f) f,
const char *const esgx_wasm_iop_format[WOP_COUNT_] = {ESGX_WASM_OPS};
#undef OPX
#define OPX(n, f) ESGX_WASM_W_##n,
const uint8_t esgx_wasm_iop_width[WOP_COUNT_] = {ESGX_WASM_OPS};
#undef OPX
