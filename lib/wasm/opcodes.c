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

#define OPX(n, f, k) #n,
const char *const esgx_wasm_iop_name[WOP_COUNT_] = {ESGX_WASM_OPS};
#undef OPX
#define OPX(n, f, k) f,
const char *const esgx_wasm_iop_format[WOP_COUNT_] = {ESGX_WASM_OPS};
#undef OPX
#define OPX(n, f, k) ESGX_WASM_W_##n,
const uint8_t esgx_wasm_iop_width[WOP_COUNT_] = {ESGX_WASM_OPS};
#undef OPX

/* The class column, per op. */
#define CLASS(fam, idx, form, fmask) {IOPF_##fam, idx, form, fmask}
#define OPX(n, f, k) CLASS k,
const esgx_wasm_iop_class esgx_wasm_iop_class_of[WOP_COUNT_] = {ESGX_WASM_OPS};
#undef OPX
#undef CLASS

/* The same column read backwards: [family][index][form] = op, for the rows of a family
 * (the rows of NONE and SIMD are left out: their class names no single op). A class
 * given twice is a duplicate initializer (-Woverride-init) and fails test_dump. */
#define BY(fam, idx, form, fmask) BY_##fam(fam, idx, form)
#define BY_NONE(fam, idx, form) SKIP
#define BY_SIMD(fam, idx, form) SKIP
#define SKIP(op)
#define SET(op) op,
#define AT(fam, idx, form) [IOPF_##fam][idx][form] = SET
#define BY_BRANCH AT
#define BY_ICMP_I32 AT
#define BY_ICMP_I64 AT
#define BY_FCMP_F32 AT
#define BY_FCMP_F64 AT
#define BY_FBR AT
#define BY_IBIN_I32 AT
#define BY_IBIN_I64 AT
#define BY_IDIV_I32 AT
#define BY_IDIV_I64 AT
#define BY_FLOAT_F32 AT
#define BY_FLOAT_F64 AT
#define BY_FK_F32 AT
#define BY_FK_F64 AT
#define BY_FCONV_F32 AT
#define BY_FCONV_F64 AT
#define BY_LOAD AT
#define BY_STORE AT
#define OPX(n, f, k) BY k(WOP_##n)
const uint16_t esgx_wasm_iop_by_class[IOPF_COUNT_][ESGX_WASM_IOP_INDICES]
                                     [ESGX_WASM_IOP_FORMS] = {ESGX_WASM_OPS};
#undef OPX
