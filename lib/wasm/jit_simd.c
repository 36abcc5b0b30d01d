/*
 * jit_simd.c: the SIMD ops for the compiler tier. The handlers are the interpreter's
 * own (interp_simd.h), included here inside one function that runs a single op on
 * the frame: the same source, so both tiers give the same bits. jit_ops.c calls it for
 * the SIMD ops it has no inline template for.
 */
#include "jit_internal.h"
#include "simd_lanes.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

int esgx_jit_simd(esgx_wasm_store *s, uint64_t *fp, const uint32_t *ip, uint32_t op)
{
#define OPX(n, f, k) [WOP_##n] = &&L_##n,
    static const void *const tbl[WOP_COUNT_] = {
        OPX(SELECT128, "", _) OPX(GLOBAL_GET128, "", _) OPX(GLOBAL_SET128, "", _)
        ESGX_WASM_OPCODES_FD(ESGX_WASM_SIMD_IOP)};
#undef OPX
    if (op >= WOP_COUNT_ || !tbl[op]) return -1;
    esgx_wasm_instance *inst = s->jit_inst;
    uint8_t *mem = inst->mem->data;
    uint64_t memsize = inst->mem->size;
    (void)mem;
    (void)memsize;
#define O(k) ip[2 + (k)]
#define S(k) fp[O(k)]
#define U32(k) ((uint32_t)S(k))
#define NEXT(k) return 0
#define ZX(v) ((uint64_t)(v))
#define SX32(v) ((uint64_t)(uint32_t)(int32_t)(v))
#define MEM_OOB                                                                      \
    do {                                                                             \
        esgx_wasm_store_trap(s, ESGX_WASM_TRAP_MEMORY_OOB, "out of bounds memory access"); \
        return 1;                                                                    \
    } while (0)
    goto *tbl[op];
#include "interp_simd.h"
}

bool esgx_jit_is_simd(int op)
{
    return esgx_wasm_iop_class_of[op].family == IOPF_SIMD;
}
