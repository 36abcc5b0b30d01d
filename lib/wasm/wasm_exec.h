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
#include <string.h>

/* ------------------------------------------------------------------ internal ops */

/* Every internal op with its operand format, one character per code word after the
 * two words of the handler address:
 *   d  destination slot        s  source slot             i  immediate (u32, index)
 *   c  32-bit constant bits    K  half of a 64-bit constant (two K: low, high word)
 *   P  half of a pointer to the callee's esgx_wasm_code (two P)
 *   o  branch offset (words, from the instruction start)   f  fuel charge
 *   n  br_table: label count n, followed by n + 1 offsets (the only variable width)
 *   D  v128 destination: slots D and D + 1      S  v128 source: slots S and S + 1
 * So an op's width in words is 2 + strlen(format) (ESGX_WASM_W_*), the one number the
 * emitter (compile*.c), the interpreter's NEXT and the code walker (code.c) use. */

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
    X(T##_##C, "dss") X(T##_##C##_I, "dsi") X(BR_##T##_##C, "sso")                   \
    X(BR_##T##_##C##_I, "sio") X(BR_##T##_##C##_L, "sso") X(BR_##T##_##C##_I_L, "sio") \
    X(ADDI_BR_##T##_##C##_L, "dsisso") X(ADDI_BR_##T##_##C##_I_L, "dsisio")
#define ESGX_WASM_CMP_FAMILY 8
#define ESGX_WASM_CMP32(C) ESGX_WASM_CMP_OPS(OPX, I32, C)
#define ESGX_WASM_CMP64(C) ESGX_WASM_CMP_OPS(OPX, I64, C)
/* f64 compare-and-branch (compare index as in ESGX_WASM_FCMPS): branch if the compare holds,
 * right operand a slot or a constant (_K, two words); _N: branch if it does not. */
#define ESGX_WASM_FCMPS(X) X(EQ) X(NE) X(LT) X(GT) X(LE) X(GE)
#define ESGX_WASM_FBR(C)                                                                  \
    OPX(BR_F64_##C, "sso") OPX(BR_F64_##C##_K, "sKKo") OPX(BR_F64_N##C, "sso")       \
    OPX(BR_F64_N##C##_K, "sKKo")
#define ESGX_WASM_FBR_FAMILY 4
#define ESGX_WASM_BIN32(B) OPX(I32_##B, "dss") OPX(I32_##B##_I, "dsi")
#define ESGX_WASM_BIN64(B) OPX(I64_##B, "dss") OPX(I64_##B##_I, "dsi")
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
    OPX(N, ESGX_WASM_FMT_##CK)
#define ESGX_WASM_UNOP(N) OPX(N, "ds")
#define ESGX_WASM_BINOP(N) OPX(N, "dss")

/* Every internal instruction. OPX(name, format) is defined by the user. */
#define ESGX_WASM_OPS                                                                     \
    OPX(EXIT, "") OPX(FUEL, "f") OPX(UNREACHABLE, "") OPX(NOP, "")                   \
    OPX(BR, "o") OPX(BR_NZ32, "so") OPX(BR_Z32, "so") OPX(BR_NZ64, "so")             \
    OPX(BR_Z64, "so") OPX(BR_TABLE, "sn")                                            \
    OPX(BR_L, "o") OPX(BR_NZ32_L, "so") OPX(BR_Z32_L, "so") OPX(BR_NZ64_L, "so")     \
    OPX(BR_Z64_L, "so")                                                              \
    OPX(RET0, "") OPX(RET1, "s") OPX(CALL, "PPs") OPX(CALL_IMPORT, "is")             \
    OPX(CALL_INDIRECT, "iiss")                                                       \
    OPX(ADDI2, "dsidsi") OPX(COPY, "ds") OPX(COPY2, "dsds") OPX(CONST32, "dc")       \
    OPX(CONST64, "dKK") OPX(SELECT, "dsss") OPX(SELECT64, "dsss")                    \
    OPX(GLOBAL_GET, "di") OPX(GLOBAL_SET, "si")                                      \
    OPX(LD32, "dsi") OPX(LD64, "dsi") OPX(LD8S32, "dsi") OPX(LD8U, "dsi")            \
    OPX(LD16S32, "dsi") OPX(LD16U, "dsi") OPX(LD8S64, "dsi") OPX(LD16S64, "dsi")     \
    OPX(LD32S64, "dsi")                                                              \
    OPX(ST8, "ssi") OPX(ST16, "ssi") OPX(ST32, "ssi") OPX(ST64, "ssi")               \
    OPX(LD32_A, "dsii") OPX(LD64_A, "dsii") OPX(LD8S32_A, "dsii") OPX(LD8U_A, "dsii") \
    OPX(LD16S32_A, "dsii") OPX(LD16U_A, "dsii") OPX(LD8S64_A, "dsii")                \
    OPX(LD16S64_A, "dsii") OPX(LD32S64_A, "dsii")                                    \
    OPX(ST8_A, "ssii") OPX(ST16_A, "ssii") OPX(ST32_A, "ssii") OPX(ST64_A, "ssii")   \
    OPX(MEM_SIZE, "d") OPX(MEM_GROW, "ds") OPX(MEM_INIT, "sssi") OPX(DATA_DROP, "i") \
    OPX(MEM_COPY, "sss") OPX(MEM_FILL, "sss")                                        \
    OPX(TABLE_GET, "dsi") OPX(TABLE_SET, "iss") OPX(TABLE_SIZE, "di")                \
    OPX(TABLE_GROW, "dssi") OPX(TABLE_FILL, "sssi") OPX(TABLE_COPY, "sssii")         \
    OPX(TABLE_INIT, "sssii") OPX(ELEM_DROP, "i")                                     \
    OPX(REF_IS_NULL, "ds") OPX(REF_FUNC, "di")                                       \
    OPX(I32_EQZ, "ds") OPX(I64_EQZ, "ds")                                            \
    ESGX_WASM_ICMPS(ESGX_WASM_CMP32) ESGX_WASM_ICMPS(ESGX_WASM_CMP64)                \
    OPX(F32_EQ, "dss") OPX(F32_NE, "dss") OPX(F32_LT, "dss") OPX(F32_GT, "dss")      \
    OPX(F32_LE, "dss") OPX(F32_GE, "dss")                                            \
    OPX(F64_EQ, "dss") OPX(F64_NE, "dss") OPX(F64_LT, "dss") OPX(F64_GT, "dss")      \
    OPX(F64_LE, "dss") OPX(F64_GE, "dss")                                            \
    ESGX_WASM_FCMPS(ESGX_WASM_FBR)                                                   \
    ESGX_WASM_UNOP(I32_CLZ) ESGX_WASM_UNOP(I32_CTZ) ESGX_WASM_UNOP(I32_POPCNT)       \
    ESGX_WASM_IMMBIN(ESGX_WASM_BIN32)                                                \
    ESGX_WASM_BINOP(I32_DIVS) ESGX_WASM_BINOP(I32_DIVU) ESGX_WASM_BINOP(I32_REMS)    \
    ESGX_WASM_BINOP(I32_REMU)                                                        \
    ESGX_WASM_UNOP(I64_CLZ) ESGX_WASM_UNOP(I64_CTZ) ESGX_WASM_UNOP(I64_POPCNT)       \
    ESGX_WASM_IMMBIN(ESGX_WASM_BIN64)                                                \
    ESGX_WASM_BINOP(I64_DIVS) ESGX_WASM_BINOP(I64_DIVU) ESGX_WASM_BINOP(I64_REMS)    \
    ESGX_WASM_BINOP(I64_REMU)                                                        \
    ESGX_WASM_FLOAT_OPS(F32) ESGX_WASM_FLOAT_OPS(F64)                                \
    OPX(I32_MULI_ADDI, "dsii") OPX(I64_MULI_ADDI, "dsii") OPX(I32_MULADD, "dsss")    \
    OPX(I64_MULADD, "dsss") OPX(F64_MULADD, "dsss") OPX(F64_MULSUB, "dsss")          \
    OPX(F64_MUL3, "dsss")                                                            \
    OPX(I32_ROTLI_XOR, "dsis") OPX(I32_ROT2_XOR, "dsisi") OPX(I32_SHRUI_XOR, "dsis") \
    OPX(F32_ADD_K, "dsc") OPX(F32_SUB_K, "dsc") OPX(F32_MUL_K, "dsc")                \
    OPX(F32_DIV_K, "dsc")                                                            \
    OPX(F64_ADD_K, "dsKK") OPX(F64_SUB_K, "dsKK") OPX(F64_MUL_K, "dsKK")             \
    OPX(F64_DIV_K, "dsKK")                                                           \
    ESGX_WASM_UNOP(I32_WRAP) ESGX_WASM_UNOP(I32_TRUNC_F32S)                          \
    ESGX_WASM_UNOP(I32_TRUNC_F32U) ESGX_WASM_UNOP(I32_TRUNC_F64S)                    \
    ESGX_WASM_UNOP(I32_TRUNC_F64U) ESGX_WASM_UNOP(I64_EXTEND_I32S)                   \
    ESGX_WASM_UNOP(I64_TRUNC_F32S) ESGX_WASM_UNOP(I64_TRUNC_F32U)                    \
    ESGX_WASM_UNOP(I64_TRUNC_F64S) ESGX_WASM_UNOP(I64_TRUNC_F64U)                    \
    ESGX_WASM_UNOP(F32_CONV_I32S) ESGX_WASM_UNOP(F32_CONV_I32U)                      \
    ESGX_WASM_UNOP(F32_CONV_I64S) ESGX_WASM_UNOP(F32_CONV_I64U)                      \
    ESGX_WASM_UNOP(F32_DEMOTE) ESGX_WASM_UNOP(F64_CONV_I32S)                         \
    ESGX_WASM_UNOP(F64_CONV_I32U) ESGX_WASM_UNOP(F64_CONV_I64S)                      \
    ESGX_WASM_UNOP(F64_CONV_I64U) ESGX_WASM_UNOP(F64_PROMOTE)                        \
    ESGX_WASM_UNOP(I32_EXT8S) ESGX_WASM_UNOP(I32_EXT16S) ESGX_WASM_UNOP(I64_EXT8S)   \
    ESGX_WASM_UNOP(I64_EXT16S) ESGX_WASM_UNOP(I64_EXT32S)                            \
    ESGX_WASM_UNOP(I32_SAT_F32S) ESGX_WASM_UNOP(I32_SAT_F32U)                        \
    ESGX_WASM_UNOP(I32_SAT_F64S) ESGX_WASM_UNOP(I32_SAT_F64U)                        \
    ESGX_WASM_UNOP(I64_SAT_F32S) ESGX_WASM_UNOP(I64_SAT_F32U)                        \
    ESGX_WASM_UNOP(I64_SAT_F64S) ESGX_WASM_UNOP(I64_SAT_F64U)                        \
    OPX(SELECT128, "DsSS") OPX(GLOBAL_GET128, "Di") OPX(GLOBAL_SET128, "Si")          \
    ESGX_WASM_OPCODES_FD(ESGX_WASM_SIMD_IOP)
/* f32 / f64: abs .. sqrt, add .. copysign (in wasm opcode order) */
#define ESGX_WASM_FLOAT_OPS(T)                                                            \
    ESGX_WASM_UNOP(T##_ABS) ESGX_WASM_UNOP(T##_NEG) ESGX_WASM_UNOP(T##_CEIL)         \
    ESGX_WASM_UNOP(T##_FLOOR) ESGX_WASM_UNOP(T##_TRUNC) ESGX_WASM_UNOP(T##_NEAREST)  \
    ESGX_WASM_UNOP(T##_SQRT) ESGX_WASM_BINOP(T##_ADD) ESGX_WASM_BINOP(T##_SUB)       \
    ESGX_WASM_BINOP(T##_MUL) ESGX_WASM_BINOP(T##_DIV) ESGX_WASM_BINOP(T##_MIN)       \
    ESGX_WASM_BINOP(T##_MAX) ESGX_WASM_BINOP(T##_COPYSIGN)

#define OPX(n, f) WOP_##n,
enum esgx_wasm_iop { ESGX_WASM_OPS WOP_COUNT_ };
#undef OPX

/* ESGX_WASM_W_<op>: the op's width in code words (BR_TABLE: without its n + 1 offsets). */
#define OPX(n, f) ESGX_WASM_W_##n = 2 + (int)sizeof(f) - 1,
enum esgx_wasm_iop_width { ESGX_WASM_OPS ESGX_WASM_W_END_ };
#undef OPX

/* Per internal op: its name ("I32_ADD") and operand format (opcodes.c). */
extern const char *const esgx_wasm_iop_name[WOP_COUNT_];
extern const char *const esgx_wasm_iop_format[WOP_COUNT_];
extern const uint8_t esgx_wasm_iop_width[WOP_COUNT_];

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

/* code.c: checks that code->words decode exactly as a sequence of internal ops of
 * their declared widths and that every branch offset lands on an instruction start.
 * ESGX_OK, or ESGX_WASM_E_INVALID naming the word (compile.c runs it on every function
 * in debug builds), ESGX_WASM_E_NOMEM. */
int esgx_wasm_code_check(const esgx_wasm_code *code, esgx_err *err);
/* code.c: the internal op whose handler address starts at word w (two words must be
 * readable), or -1. */
int esgx_wasm_code_op_at(const uint32_t *w);

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
/* Runs code (of inst, whose module has the JIT tier) on the frame at slot fp_off like
 * esgx_wasm_exec_frame: compiled on its first call; interpreted when it cannot be
 * compiled or the thread's native stack is too small for max_call_depth. */
int esgx_wasm_jit_run(esgx_wasm_store *s, esgx_wasm_instance *inst, const esgx_wasm_code *code,
                      uint32_t fp_off);

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
