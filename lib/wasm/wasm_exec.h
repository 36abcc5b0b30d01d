/*
 * wasm_exec.h (internal to lib/wasm): the execution half of the runtime, shared by
 * compile.c (bodies -> internal code), interp.c (the interpreter), instance.c and
 * store.c (run-time objects, linking, the public API).
 *
 * Internal code. Every function is compiled to an array of 32-bit words. An
 * instruction is the address of its handler (8 bytes, two words, read with memcpy:
 * direct threading) followed by its operands, one word each. Operands are frame slot
 * indices (every local and every operand-stack position is one 8-byte slot of the
 * frame), immediates, or branch offsets (in words, relative to the instruction start).
 * Frame layout: [params][declared locals][zero][operand stack]; the zero slot is
 * zeroed on entry like the locals and never written (a constant memory address is
 * encoded as zero slot + immediate). A call's arguments sit at
 * the top of the caller's operand stack and become the callee's first slots, and the
 * callee leaves its results in its slots 0..n_results-1, i.e. where the arguments were.
 *
 * Slot contents: i32 zero-extended to 64 bits, i64, f32/f64 as raw IEEE bits (so NaN
 * payloads survive every copy), references as the uintptr_t value.
 */
#ifndef ESGX_WASM_EXEC_H
#define ESGX_WASM_EXEC_H

#include "wasm_module.h"

#include <string.h>

/* ------------------------------------------------------------------ opcodes */

/* Compare kinds shared by the fused compare-and-branch instructions. */
#define ESGX_WASM_ICMPS(X) X(EQ) X(NE) X(LTS) X(LTU) X(GTS) X(GTU) X(LES) X(LEU) X(GES) X(GEU)
/* Binary ops with a 32-bit immediate variant (_I) as well as the slot form. */
#define ESGX_WASM_IMMBIN(X) \
    X(ADD) X(SUB) X(MUL) X(AND) X(OR) X(XOR) X(SHL) X(SHRS) X(SHRU) X(ROTL) X(ROTR)

/* Per compare: the compare, with an immediate, branch on it, branch with an immediate,
 * the two branches to a loop header (_L: they also charge the loop's FUEL), and those
 * two preceded by an i32 add of an immediate (ADDI_: d = s + imm first; the loop
 * counter step before the loop's closing compare-and-branch). */
#define ESGX_WASM_CMP_OPS(X, T, C)                                                        \
    X(T##_##C) X(T##_##C##_I) X(BR_##T##_##C) X(BR_##T##_##C##_I)                    \
    X(BR_##T##_##C##_L) X(BR_##T##_##C##_I_L)                                        \
    X(ADDI_BR_##T##_##C##_L) X(ADDI_BR_##T##_##C##_I_L)
#define ESGX_WASM_CMP_FAMILY 8
#define ESGX_WASM_CMP32(C) ESGX_WASM_CMP_OPS(OPX, I32, C)
#define ESGX_WASM_CMP64(C) ESGX_WASM_CMP_OPS(OPX, I64, C)
/* f64 compare-and-branch (compare index as in ESGX_WASM_FCMPS): branch if the compare holds,
 * right operand a slot or a constant (_K, two words); _N: branch if it does not. */
#define ESGX_WASM_FCMPS(X) X(EQ) X(NE) X(LT) X(GT) X(LE) X(GE)
#define ESGX_WASM_FBR(C) \
    OPX(BR_F64_##C) OPX(BR_F64_##C##_K) OPX(BR_F64_N##C) OPX(BR_F64_N##C##_K)
#define ESGX_WASM_FBR_FAMILY 4
#define ESGX_WASM_BIN32(B) OPX(I32_##B) OPX(I32_##B##_I)
#define ESGX_WASM_BIN64(B) OPX(I64_##B) OPX(I64_##B##_I)

/* Every internal instruction. OPX is defined by the user of ESGX_WASM_OPS. */
#define ESGX_WASM_OPS                                                                     \
    OPX(EXIT) OPX(FUEL) OPX(UNREACHABLE) OPX(NOP)                                    \
    OPX(BR) OPX(BR_NZ32) OPX(BR_Z32) OPX(BR_NZ64) OPX(BR_Z64) OPX(BR_TABLE)          \
    OPX(BR_L) OPX(BR_NZ32_L) OPX(BR_Z32_L) OPX(BR_NZ64_L) OPX(BR_Z64_L)              \
    OPX(RET0) OPX(RET1) OPX(CALL) OPX(CALL_IMPORT) OPX(CALL_INDIRECT)               \
    OPX(ADDI2) OPX(COPY) OPX(COPY2) OPX(CONST32) OPX(CONST64) OPX(SELECT) OPX(SELECT64)         \
    OPX(GLOBAL_GET) OPX(GLOBAL_SET)                                                  \
    OPX(LD32) OPX(LD64) OPX(LD8S32) OPX(LD8U) OPX(LD16S32) OPX(LD16U)                \
    OPX(LD8S64) OPX(LD16S64) OPX(LD32S64)                                            \
    OPX(ST8) OPX(ST16) OPX(ST32) OPX(ST64)                                           \
    OPX(LD32_A) OPX(LD64_A) OPX(LD8S32_A) OPX(LD8U_A) OPX(LD16S32_A) OPX(LD16U_A)    \
    OPX(LD8S64_A) OPX(LD16S64_A) OPX(LD32S64_A)                                      \
    OPX(ST8_A) OPX(ST16_A) OPX(ST32_A) OPX(ST64_A)                                   \
    OPX(MEM_SIZE) OPX(MEM_GROW) OPX(MEM_INIT) OPX(DATA_DROP) OPX(MEM_COPY)           \
    OPX(MEM_FILL)                                                                    \
    OPX(TABLE_GET) OPX(TABLE_SET) OPX(TABLE_SIZE) OPX(TABLE_GROW) OPX(TABLE_FILL)    \
    OPX(TABLE_COPY) OPX(TABLE_INIT) OPX(ELEM_DROP)                                   \
    OPX(REF_IS_NULL) OPX(REF_FUNC)                                                   \
    OPX(I32_EQZ) OPX(I64_EQZ)                                                        \
    ESGX_WASM_ICMPS(ESGX_WASM_CMP32) ESGX_WASM_ICMPS(ESGX_WASM_CMP64)                                    \
    OPX(F32_EQ) OPX(F32_NE) OPX(F32_LT) OPX(F32_GT) OPX(F32_LE) OPX(F32_GE)          \
    OPX(F64_EQ) OPX(F64_NE) OPX(F64_LT) OPX(F64_GT) OPX(F64_LE) OPX(F64_GE)          \
    ESGX_WASM_FCMPS(ESGX_WASM_FBR)                                                             \
    OPX(I32_CLZ) OPX(I32_CTZ) OPX(I32_POPCNT)                                        \
    ESGX_WASM_IMMBIN(ESGX_WASM_BIN32)                                                          \
    OPX(I32_DIVS) OPX(I32_DIVU) OPX(I32_REMS) OPX(I32_REMU)                          \
    OPX(I64_CLZ) OPX(I64_CTZ) OPX(I64_POPCNT)                                        \
    ESGX_WASM_IMMBIN(ESGX_WASM_BIN64)                                                          \
    OPX(I64_DIVS) OPX(I64_DIVU) OPX(I64_REMS) OPX(I64_REMU)                          \
    OPX(F32_ABS) OPX(F32_NEG) OPX(F32_CEIL) OPX(F32_FLOOR) OPX(F32_TRUNC)            \
    OPX(F32_NEAREST) OPX(F32_SQRT) OPX(F32_ADD) OPX(F32_SUB) OPX(F32_MUL)            \
    OPX(F32_DIV) OPX(F32_MIN) OPX(F32_MAX) OPX(F32_COPYSIGN)                         \
    OPX(F64_ABS) OPX(F64_NEG) OPX(F64_CEIL) OPX(F64_FLOOR) OPX(F64_TRUNC)            \
    OPX(F64_NEAREST) OPX(F64_SQRT) OPX(F64_ADD) OPX(F64_SUB) OPX(F64_MUL)            \
    OPX(F64_DIV) OPX(F64_MIN) OPX(F64_MAX) OPX(F64_COPYSIGN)                         \
    OPX(I32_MULI_ADDI) OPX(I64_MULI_ADDI) OPX(I32_MULADD) OPX(I64_MULADD)             \
    OPX(F64_MULADD) OPX(F64_MULSUB) OPX(F64_MUL3)                                    \
    OPX(I32_ROTLI_XOR) OPX(I32_ROT2_XOR) OPX(I32_SHRUI_XOR)                          \
    OPX(F32_ADD_K) OPX(F32_SUB_K) OPX(F32_MUL_K) OPX(F32_DIV_K)                      \
    OPX(F64_ADD_K) OPX(F64_SUB_K) OPX(F64_MUL_K) OPX(F64_DIV_K)                      \
    OPX(I32_WRAP) OPX(I32_TRUNC_F32S) OPX(I32_TRUNC_F32U) OPX(I32_TRUNC_F64S)        \
    OPX(I32_TRUNC_F64U) OPX(I64_EXTEND_I32S) OPX(I64_TRUNC_F32S)                     \
    OPX(I64_TRUNC_F32U) OPX(I64_TRUNC_F64S) OPX(I64_TRUNC_F64U)                      \
    OPX(F32_CONV_I32S) OPX(F32_CONV_I32U) OPX(F32_CONV_I64S) OPX(F32_CONV_I64U)      \
    OPX(F32_DEMOTE) OPX(F64_CONV_I32S) OPX(F64_CONV_I32U) OPX(F64_CONV_I64S)         \
    OPX(F64_CONV_I64U) OPX(F64_PROMOTE)                                              \
    OPX(I32_EXT8S) OPX(I32_EXT16S) OPX(I64_EXT8S) OPX(I64_EXT16S) OPX(I64_EXT32S)    \
    OPX(I32_SAT_F32S) OPX(I32_SAT_F32U) OPX(I32_SAT_F64S) OPX(I32_SAT_F64U)          \
    OPX(I64_SAT_F32S) OPX(I64_SAT_F32U) OPX(I64_SAT_F64S) OPX(I64_SAT_F64U)

#define OPX(n) WOP_##n,
enum esgx_wasm_iop { ESGX_WASM_OPS WOP_COUNT_ };
#undef OPX

/* The handler address table of the interpreter (indexed by enum esgx_wasm_iop). */
const void *const *esgx_wasm_exec_handlers(void);

/* ------------------------------------------------------------------ compiled code */

typedef struct esgx_wasm_code {
    uint32_t *words;          /* the instructions */
    uint32_t n_words;
    uint32_t n_params;
    uint32_t n_results;
    uint32_t n_locals;        /* declared locals + the zero slot (zeroed on entry) */
    uint32_t frame_size;      /* slots: params + locals + max operand stack height */
    uint32_t func_index;      /* in the module's function index space */
} esgx_wasm_code;

/* m->compiled: one esgx_wasm_code per defined function (m->funcs[i] -> codes[i]). */
typedef struct esgx_wasm_compiled {
    esgx_wasm_code *codes;
} esgx_wasm_compiled;

/* ------------------------------------------------------------------ run-time objects */

typedef struct esgx_wasm_func_obj {
    uint32_t type_id;             /* interned in the store: equal ids = equal types */
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
    uint64_t val;                 /* slot representation */
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
};

struct esgx_wasm_ctx {
    esgx_wasm_store *store;
    struct esgx_wasm_instance *inst;   /* the caller's instance, or NULL */
};

/* store.c */
extern esgx_wasm_memory_obj esgx_wasm_no_memory;   /* memory 0 of instances without one */
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
/* Calls f with the arguments in slots[0..n_params) and leaves the results in
 * slots[0..n_results). ESGX_OK or ESGX_WASM_E_TRAP (kind and message in the store). */
int esgx_wasm_exec_call(esgx_wasm_store *s, esgx_wasm_func_obj *f, uint64_t *slots);

/* Value <-> slot conversions. */
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

#endif
