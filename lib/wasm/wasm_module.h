/*
 * wasm_module.h (internal to lib/wasm): the decoded module, shared by the decoder and
 * validator (decode.c, validate.c) and the compiler, instantiator and interpreter
 * (compile.c, instance.c, interp.c).
 *
 * Pipeline of esgx_wasm_module_parse (module.c):
 *   esgx_wasm_decode()           bytes -> struct esgx_wasm_module, every section checked for
 *                           well-formedness (ESGX_WASM_E_MALFORMED) and limits
 *   esgx_wasm_validate()         the spec's typing rules over everything, function bodies
 *                           included (ESGX_WASM_E_INVALID)
 *   esgx_wasm_compile_module()   function bodies -> internal compiled form, stored in
 *                           esgx_wasm_module.compiled; may assume a valid module
 *
 * module.c runs a faster form first: decode without scanning the bodies, the
 * module-level rules, then one pass per body that checks each instruction and
 * compiles it (several threads for large modules); on the compiler tier that pass
 * only checks (esgx_wasm_check_module) and the code is made on demand. Only if that fails does it run
 * the three passes above, which name the error exactly as the spec orders them
 * (a malformed body anywhere wins over an invalid one earlier).
 *
 * All memory of a module is owned by it and freed by esgx_wasm_module_free. Pointers into
 * the binary (code, const exprs, data bytes, names) point into m->bytes, a private
 * copy of the input.
 */
#ifndef ESGX_WASM_MODULE_H
#define ESGX_WASM_MODULE_H

#include "esgx_wasm.h"

#include <stdbool.h>

/* Block types in the binary: 0x40 empty, a valtype, or a type index (s33 >= 0). */
#define ESGX_WASM_BLOCKTYPE_EMPTY 0x40

typedef struct esgx_wasm_limits_decl {
    uint32_t min;
    uint32_t max;          /* valid iff has_max */
    bool has_max;
} esgx_wasm_limits_decl;

typedef struct esgx_wasm_functype_decl {
    uint32_t n_params;
    uint32_t n_results;
    esgx_wasm_valtype *types;   /* n_params params then n_results results */
} esgx_wasm_functype_decl;

/* A constant expression (global init, segment offset, element expr): the raw bytes
 * including the final 0x0B `end`. Validated: only *.const, ref.null, ref.func and
 * global.get of an imported immutable global (or any global earlier in the
 * index space for element exprs, per spec), producing exactly one value of `type`. */
typedef struct esgx_wasm_const_expr {
    const uint8_t *code;
    uint32_t len;
} esgx_wasm_const_expr;

typedef struct esgx_wasm_table_type {
    esgx_wasm_valtype elem_type;      /* ESGX_WASM_FUNCREF or ESGX_WASM_EXTERNREF */
    esgx_wasm_limits_decl limits;
} esgx_wasm_table_type;

typedef struct esgx_wasm_global_type {
    esgx_wasm_valtype type;
    bool mutable_;
} esgx_wasm_global_type;

typedef struct esgx_wasm_import_decl {
    const char *module;          /* UTF-8, not NUL-terminated */
    uint32_t module_len;
    const char *name;
    uint32_t name_len;
    esgx_wasm_extern_kind kind;
    union {
        uint32_t func_type;      /* index into m->types */
        esgx_wasm_table_type table;
        esgx_wasm_limits_decl memory;
        esgx_wasm_global_type global;
    } desc;
} esgx_wasm_import_decl;

typedef struct esgx_wasm_export_decl {
    const char *name;
    uint32_t name_len;
    esgx_wasm_extern_kind kind;
    uint32_t index;              /* in the kind's index space (imports first) */
} esgx_wasm_export_decl;

typedef struct esgx_wasm_global_decl {
    esgx_wasm_global_type type;
    esgx_wasm_const_expr init;
} esgx_wasm_global_decl;

/* A function defined in the module (not imported). */
typedef struct esgx_wasm_func_decl {
    uint32_t type;               /* index into m->types */
    uint32_t n_locals;           /* declared locals, params excluded */
    esgx_wasm_valtype *local_types;   /* n_locals entries (expanded from the run-length form) */
    const uint8_t *code;         /* body instructions, after the locals, through the final end */
    uint32_t code_len;
    uint32_t code_offset;        /* offset of code in the binary, for error messages */
} esgx_wasm_func_decl;

typedef enum esgx_wasm_segment_mode {
    ESGX_WASM_SEGMENT_ACTIVE = 0,
    ESGX_WASM_SEGMENT_PASSIVE = 1,
    ESGX_WASM_SEGMENT_DECLARATIVE = 2,   /* element segments only */
} esgx_wasm_segment_mode;

typedef struct esgx_wasm_elem_segment {
    esgx_wasm_segment_mode mode;
    uint32_t table;              /* active only */
    esgx_wasm_const_expr offset;      /* active only; i32 */
    esgx_wasm_valtype elem_type;      /* ESGX_WASM_FUNCREF or ESGX_WASM_EXTERNREF */
    uint32_t n_elems;
    /* Exactly one of the two is non-NULL: func_indices for the funcidx-vector encodings
     * (flags 0-3), exprs for the expression encodings (flags 4-7). */
    uint32_t *func_indices;
    esgx_wasm_const_expr *exprs;
} esgx_wasm_elem_segment;

typedef struct esgx_wasm_data_segment {
    esgx_wasm_segment_mode mode;
    uint32_t memory;             /* active only */
    esgx_wasm_const_expr offset;      /* active only; i32 */
    const uint8_t *bytes;
    uint32_t len;
} esgx_wasm_data_segment;

struct esgx_wasm_module {
    uint8_t *bytes;              /* private copy of the binary */
    size_t len;
    esgx_wasm_limits limits;

    uint32_t n_types;
    esgx_wasm_functype_decl *types;

    uint32_t n_imports;
    esgx_wasm_import_decl *imports;
    uint32_t n_func_imports, n_table_imports, n_memory_imports, n_global_imports;

    /* Function index space: imports first, then funcs[]. func_types[i] is the type
     * index of function i for every i < n_func_imports + n_funcs. */
    uint32_t n_funcs;
    esgx_wasm_func_decl *funcs;
    uint32_t *func_types;

    /* Tables / memories defined here (imports are in imports[]). */
    uint32_t n_tables;
    esgx_wasm_table_type *tables;
    uint32_t n_memories;
    esgx_wasm_limits_decl *memories;

    uint32_t n_globals;
    esgx_wasm_global_decl *globals;

    uint32_t n_exports;
    esgx_wasm_export_decl *exports;

    bool has_start;
    uint32_t start;

    uint32_t n_elems;
    esgx_wasm_elem_segment *elems;

    bool has_data_count;
    uint32_t data_count;
    uint32_t n_datas;
    esgx_wasm_data_segment *datas;

    /* Functions referenced outside function bodies (exports, elements, globals):
     * ref.func in a body may only name these. Bitmap over the function index space. */
    uint8_t *declared_funcs;

    void *compiled;              /* module-wide compiled state, owned by compile.c */
    esgx_wasm_tier tier;         /* INTERP or JIT (tier.c), set by esgx_wasm_module_parse */
    struct esgx_wasm_jit *jit;   /* JIT tier: compiled machine code (jit.c), else NULL */
    uint64_t interp_bytes;       /* heap held by `compiled` (set by esgx_wasm_module_parse) */
};

/* decode.c: fills *m (zeroed by the caller) from bytes[0..len) (copied). With
 * ESGX_WASM_DECODE_SKIP_BODIES the instructions of function bodies are not scanned (only
 * their sizes and locals are read): the caller must then read every instruction
 * itself, as the fused check-and-compile pass does, and redo the full pipeline to
 * name the error the spec expects if anything fails (see module.c). */
#define ESGX_WASM_DECODE_SKIP_BODIES 1u
int esgx_wasm_decode(esgx_wasm_module *m, const uint8_t *bytes, size_t len,
                const esgx_wasm_limits *limits, unsigned flags, esgx_err *err);
/* validate.c: validates a decoded module, every function body included. */
int esgx_wasm_validate(const esgx_wasm_module *m, esgx_err *err);

/* validate.c, in parts, for callers that read the bodies themselves:
 * a esgx_wasm_validator holds the module-wide lookup tables and the work budget of all
 * bodies; esgx_wasm_validator_check_module applies every rule except those of the bodies.
 * A esgx_wasm_body_checker (one per thread, reused from body to body) types one body at
 * a time: begin(defined function index i), then each instruction in order with its
 * module offset, then end. Each returns 0 or ESGX_WASM_E_INVALID / ESGX_WASM_E_LIMIT /
 * ESGX_WASM_E_NOMEM with the message in the err given to esgx_wasm_body_checker_new. */
typedef struct esgx_wasm_validator esgx_wasm_validator;
typedef struct esgx_wasm_body_checker esgx_wasm_body_checker;
int esgx_wasm_validator_new(const esgx_wasm_module *m, esgx_wasm_validator **out, esgx_err *err);
int esgx_wasm_validator_check_module(const esgx_wasm_validator *vm, esgx_err *err);
void esgx_wasm_validator_free(esgx_wasm_validator *vm);
int esgx_wasm_body_checker_new(esgx_wasm_validator *vm, esgx_err *err, esgx_wasm_body_checker **out);
void esgx_wasm_body_checker_free(esgx_wasm_body_checker *v);
struct esgx_wasm_instr;
int esgx_wasm_body_check_begin(esgx_wasm_body_checker *v, uint32_t i);
int esgx_wasm_body_check_instr(esgx_wasm_body_checker *v, const struct esgx_wasm_instr *in, size_t off);
int esgx_wasm_body_check_end(esgx_wasm_body_checker *v);

/* compile.c: compiles every function of a decoded module. With vm NULL the module
 * must be valid (esgx_wasm_validate accepted it); otherwise every body is checked by vm
 * as it is compiled (vm must have passed esgx_wasm_validator_check_module). threads > 1
 * spreads the functions over that many threads (the caller's included) when the
 * code is large enough to gain from it; the error is then that of the lowest
 * failing function. Each function's code is emitted with op numbers, then threaded
 * with handlers (the interpreter's handler addresses by op, esgx_wasm_exec_handlers),
 * so the compiler does not depend on the interpreter. */
int esgx_wasm_compile_module(esgx_wasm_module *m, esgx_wasm_validator *vm, uint32_t threads,
                             const void *const *handlers, esgx_err *err);
/* compile.c: the lazy form of esgx_wasm_compile_module (vm required): checks every
 * body with vm (threads as there) and fills each code's header, but makes no internal
 * code: esgx_wasm_lower makes a function's on demand (wasm_exec.h). Rejects what the
 * fused pass rejects, and also any opcode the lowering has no row for, even in dead
 * code (the caller then takes the exact path). */
int esgx_wasm_check_module(esgx_wasm_module *m, esgx_wasm_validator *vm, uint32_t threads,
                           const void *const *handlers, esgx_err *err);
/* compile.c: frees what esgx_wasm_compile_module made (safe on a partly compiled module). */
void esgx_wasm_compiled_free(esgx_wasm_module *m);
/* decode.c: frees what esgx_wasm_decode allocated (not m itself). */
void esgx_wasm_module_release(esgx_wasm_module *m);

/* Type of function index i (imports first). */
static inline const esgx_wasm_functype_decl *esgx_wasm_module_func_type(const esgx_wasm_module *m,
                                                              uint32_t i)
{
    return &m->types[m->func_types[i]];
}

#endif
