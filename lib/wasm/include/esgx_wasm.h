/*
 * wasm: the esgx WebAssembly runtime (libc and pthreads only; runs inside the enclave).
 *
 * Features: WebAssembly 2.0: MVP + sign-extension, non-trapping float-to-int,
 * multi-value, bulk memory, reference types, mutable-global import/export and
 * fixed-width SIMD (v128). Threads (0xFE atomics, shared memories) are refused at
 * decode time with ESGX_WASM_E_UNSUPPORTED.
 *
 * Objects and lifetimes:
 *   esgx_wasm_module   decoded, validated and compiled code. Immutable after
 *                 esgx_wasm_module_parse, so one module may be instantiated by many threads
 *                 at once (the enclave caches modules by hash).
 *   esgx_wasm_store    owns everything made at run time: instances, memories, tables,
 *                 globals, host functions, and the fuel counter. Freed all at once by
 *                 esgx_wasm_store_free. One store is used by one thread at a time.
 *   esgx_wasm_extern   a non-owning handle to a function, table, memory or global that lives
 *                 in a store; used for imports and exports.
 *
 * Errors: every fallible function returns ESGX_OK or a negative ESGX_WASM_E_* code and
 * fills `err` (if non-NULL). A trap during execution returns ESGX_WASM_E_TRAP with the trap
 * kind in *trap (if non-NULL) and a message in err such as "out of bounds memory
 * access" or "out of fuel".
 */
#ifndef ESGX_WASM_H
#define ESGX_WASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "esgx_common.h"

/* ---------------------------------------------------------------- errors */

/* Error codes (values in esgx_common.h's ESGX_ERRORS; esgx_strerror names them):
 *   ESGX_WASM_E_ARG            bad argument from the embedder
 *   ESGX_WASM_E_MALFORMED      the binary is not well formed (spec: assert_malformed)
 *   ESGX_WASM_E_INVALID        the module does not validate (spec: assert_invalid)
 *   ESGX_WASM_E_UNSUPPORTED    a feature we do not support (threads, ...)
 *   ESGX_WASM_E_LIMIT          a configured limit was exceeded while loading
 *   ESGX_WASM_E_UNLINKABLE     imports missing or of the wrong type
 *   ESGX_WASM_E_TRAP           execution trapped; see esgx_wasm_trap
 *   ESGX_WASM_E_NOMEM          allocation failed
 *   ESGX_WASM_E_NOT_FOUND      no export of that name / kind
 */

/* Trap kinds (filled with ESGX_WASM_E_TRAP). */
typedef enum esgx_wasm_trap {
    ESGX_WASM_TRAP_NONE = 0,
    ESGX_WASM_TRAP_UNREACHABLE,        /* "unreachable" */
    ESGX_WASM_TRAP_MEMORY_OOB,         /* "out of bounds memory access" */
    ESGX_WASM_TRAP_TABLE_OOB,          /* "out of bounds table access" / "undefined element" */
    ESGX_WASM_TRAP_INDIRECT_NULL,      /* "uninitialized element" */
    ESGX_WASM_TRAP_INDIRECT_TYPE,      /* "indirect call type mismatch" */
    ESGX_WASM_TRAP_DIV_ZERO,           /* "integer divide by zero" */
    ESGX_WASM_TRAP_INT_OVERFLOW,       /* "integer overflow" */
    ESGX_WASM_TRAP_INVALID_CONVERSION, /* "invalid conversion to integer" */
    ESGX_WASM_TRAP_STACK_EXHAUSTED,    /* "call stack exhausted" */
    ESGX_WASM_TRAP_OUT_OF_FUEL,        /* "out of fuel" */
    ESGX_WASM_TRAP_NULL_REF,           /* "null reference" */
    ESGX_WASM_TRAP_HOST,               /* a host function trapped; message from the host */
    ESGX_WASM_TRAP_EXIT,               /* WASI proc_exit; exit code in esgx_wasm_store_exit_code */
    ESGX_WASM_TRAP_LIMIT,              /* a run-time limit (e.g. output size) set by the host */
} esgx_wasm_trap;

/* Short name of a trap kind: "unreachable", "memory_oob", ..., "out_of_fuel". */
const char *esgx_wasm_trap_name(esgx_wasm_trap trap);

/* ---------------------------------------------------------------- values */

typedef enum esgx_wasm_valtype {
    ESGX_WASM_I32 = 0x7F,
    ESGX_WASM_I64 = 0x7E,
    ESGX_WASM_F32 = 0x7D,
    ESGX_WASM_F64 = 0x7C,
    ESGX_WASM_V128 = 0x7B,   /* fixed-width SIMD: 16 bytes (esgx_wasm_value.of.v128) */
    ESGX_WASM_FUNCREF = 0x70,
    ESGX_WASM_EXTERNREF = 0x6F,
} esgx_wasm_valtype;

/* A reference value: 0 is null. A funcref is an opaque non-zero handle made by the
 * runtime; an externref is whatever non-zero value the host passed in. */
typedef uintptr_t esgx_wasm_ref;
#define ESGX_WASM_REF_NULL ((esgx_wasm_ref)0)

typedef struct esgx_wasm_value {
    esgx_wasm_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;   /* floats travel as bits so NaN payloads are exact */
        uint64_t f64_bits;
        esgx_wasm_ref ref;
        uint8_t v128[16];    /* v128: the 16 bytes, lane 0 first (as in memory) */
    } of;
} esgx_wasm_value;

/* A function type: params then results. */
typedef struct esgx_wasm_functype {
    uint32_t n_params;
    uint32_t n_results;
    const esgx_wasm_valtype *params;
    const esgx_wasm_valtype *results;
} esgx_wasm_functype;

/* ---------------------------------------------------------------- limits */

typedef struct esgx_wasm_limits {
    size_t max_module_size;       /* bytes of the binary; default 16 MiB */
    uint32_t max_memory_pages;    /* per memory, 64 KiB pages; default 1024 (64 MiB) */
    uint32_t max_table_elems;     /* per table; default 100000 */
    uint32_t max_call_depth;      /* wasm frames; default 10000 */
    uint32_t max_value_stack;     /* 8-byte slots of operand stack + locals; default 1M */
    uint32_t max_locals;          /* per function, params included; default 50000 */
    uint32_t max_functions;       /* per module; default 100000 */
    uint32_t compile_threads;     /* threads that check and compile the functions of a
                                     module with 64 KiB of code or more, the calling
                                     thread included: 0 = one per online CPU (default),
                                     1 = the calling thread only; at most
                                     ESGX_WASM_COMPILE_THREADS_MAX */
    int tier;                     /* esgx_wasm_tier the module runs on (module_parse):
                                     ESGX_WASM_TIER_DEFAULT (0, the default) = the
                                     ESGX_WASM_TIER environment variable if set, else
                                     the compiler where available */
} esgx_wasm_limits;

#define ESGX_WASM_COMPILE_THREADS_MAX 8

/* Fills l with the defaults above. */
void esgx_wasm_limits_default(esgx_wasm_limits *l);

/* ---------------------------------------------------------------- tiers */

/* How a module's functions run. The interpreter is the reference; the compiler (x86-64
 * only) turns each function into machine code on its first call, with the same
 * results, traps, fuel_used and memory bit for bit (docs/wasm.md). */
typedef enum esgx_wasm_tier {
    ESGX_WASM_TIER_DEFAULT = 0,   /* ESGX_WASM_TIER from the environment, else the best */
    ESGX_WASM_TIER_INTERP = 1,    /* "interp" */
    ESGX_WASM_TIER_JIT = 2,       /* "jit" */
} esgx_wasm_tier;

/* "interp", "jit" or "default". */
const char *esgx_wasm_tier_name(esgx_wasm_tier tier);
/* Parses "interp" or "jit" into *out. ESGX_WASM_E_ARG naming the text otherwise. */
ESGX_MUST_CHECK int esgx_wasm_tier_parse(const char *text, esgx_wasm_tier *out, esgx_err *err);
/* Whether this build and this CPU can run the compiler tier. */
int esgx_wasm_jit_available(void);
/* The tier a module parsed with `requested` runs on: DEFAULT is resolved from the
 * ESGX_WASM_TIER environment variable (ESGX_WASM_E_ARG if it holds anything but
 * "interp" or "jit"), then JIT becomes INTERP where esgx_wasm_jit_available() is 0.
 * ESGX_OK with *out INTERP or JIT. */
ESGX_MUST_CHECK int esgx_wasm_tier_resolve(esgx_wasm_tier requested, esgx_wasm_tier *out,
                                           esgx_err *err);

/* ---------------------------------------------------------------- modules */

typedef struct esgx_wasm_module esgx_wasm_module;

typedef enum esgx_wasm_extern_kind {
    ESGX_WASM_EXTERN_FUNC = 0,
    ESGX_WASM_EXTERN_TABLE = 1,
    ESGX_WASM_EXTERN_MEMORY = 2,
    ESGX_WASM_EXTERN_GLOBAL = 3,
} esgx_wasm_extern_kind;

/* Decodes, validates and compiles a binary module. bytes are copied; the caller may
 * free them after return. limits may be NULL for the defaults. Large modules are
 * compiled by up to limits->compile_threads threads, joined before return.
 * ESGX_WASM_E_MALFORMED / ESGX_WASM_E_INVALID / ESGX_WASM_E_UNSUPPORTED / ESGX_WASM_E_LIMIT / ESGX_WASM_E_NOMEM
 * with a message naming the section, offset and problem. */
ESGX_MUST_CHECK int esgx_wasm_module_parse(const uint8_t *bytes, size_t len, const esgx_wasm_limits *limits,
                      esgx_wasm_module **out, esgx_err *err);
/* The tier m runs on (ESGX_WASM_TIER_INTERP or ESGX_WASM_TIER_JIT). */
esgx_wasm_tier esgx_wasm_module_tier(const esgx_wasm_module *m);
/* The number of functions of m that the compiler tier refused so far (it compiles a
 * function on its first call; a refused one, e.g. too large once compiled, runs
 * interpreted, with the same results): 0 until then, and always 0 on the interpreter
 * tier. Safe to call while other threads run m. */
uint32_t esgx_wasm_module_jit_refused(const esgx_wasm_module *m);
/* Bytes of compiled code m holds now: the interpreter's code of every function (made
 * by esgx_wasm_module_parse) and, on the compiler tier, the pages of machine code
 * mapped so far with the compiler's per-function tables. Grows as functions are first
 * called on the compiler tier, up to a bound proportional to the binary's size
 * (docs/wasm.md, "Code memory"). Safe to call while other threads run m. */
uint64_t esgx_wasm_module_code_bytes(const esgx_wasm_module *m);
/* What m costs in memory besides its instances: its private copy of the binary plus
 * esgx_wasm_module_code_bytes(m) (what a cache of modules should count). Safe to call
 * while other threads run m. */
uint64_t esgx_wasm_module_memory_bytes(const esgx_wasm_module *m);
/* Frees m (NULL is fine). Its copy of the binary and its compiled code are wiped
 * first: a module may be a decrypted confidential one. */
void esgx_wasm_module_free(esgx_wasm_module *m);

/* Import i of the module (0 <= i < esgx_wasm_module_import_count): names (not
 * NUL-terminated; lengths given) and kind. For functions, *type is filled if non-NULL. */
uint32_t esgx_wasm_module_import_count(const esgx_wasm_module *m);
ESGX_MUST_CHECK int esgx_wasm_module_import(const esgx_wasm_module *m, uint32_t i, const char **module,
                       size_t *module_len, const char **name, size_t *name_len,
                       esgx_wasm_extern_kind *kind, esgx_wasm_functype *type);

/* Export lookup by name: kind and, for functions, the type. ESGX_WASM_E_NOT_FOUND. */
ESGX_MUST_CHECK int esgx_wasm_module_export(const esgx_wasm_module *m, const char *name, size_t name_len,
                       esgx_wasm_extern_kind *kind, esgx_wasm_functype *type);

/* The function index (imports first) of the exported function name. ESGX_OK, or
 * ESGX_WASM_E_NOT_FOUND with a message naming it. */
ESGX_MUST_CHECK int esgx_wasm_module_export_func_index(const esgx_wasm_module *m,
                                                       const char *name, size_t name_len,
                                                       uint32_t *index, esgx_err *err);

/* Prints the compiled code (the interpreter's internal ops, docs/wasm.md) of defined
 * function func_index_or_all (in the function index space, imports first), or of every
 * defined function with UINT32_MAX, to out. Per function a header line
 * "func N: params P, results R, locals L, frame F slots, W words", then one line per
 * op: its word offset, its name and its operands (dN destination slot, sN source slot,
 * DN / SN a v128 destination / source in slots N and N + 1,
 * ->N branch target word, fuel=N, funcN callee, 0x... constants, plain immediates).
 * ESGX_OK; ESGX_WASM_E_ARG for an import, an index out of range or a write error. */
ESGX_MUST_CHECK int esgx_wasm_module_dump_code(const esgx_wasm_module *m,
                                               uint32_t func_index_or_all, FILE *out,
                                               esgx_err *err);

/* ---------------------------------------------------------------- stores */

typedef struct esgx_wasm_store esgx_wasm_store;

typedef struct esgx_wasm_extern {
    esgx_wasm_extern_kind kind;
    void *ptr;              /* runtime object in some store; opaque */
} esgx_wasm_extern;

/* A new empty store using limits (NULL = defaults) for everything made in it. */
ESGX_MUST_CHECK int esgx_wasm_store_new(const esgx_wasm_limits *limits, esgx_wasm_store **out, esgx_err *err);
void esgx_wasm_store_free(esgx_wasm_store *s);

/* Fuel: execution stops with ESGX_WASM_TRAP_OUT_OF_FUEL when it runs out. The cost table is
 * in docs/wasm.md. UINT64_MAX means unmetered. */
void esgx_wasm_store_fuel_set(esgx_wasm_store *s, uint64_t fuel);
uint64_t esgx_wasm_store_fuel_get(const esgx_wasm_store *s);

/* Exit code passed to ESGX_WASM_TRAP_EXIT by a host function (esgx_wasm_ctx_exit). */
int esgx_wasm_store_exit_code(const esgx_wasm_store *s);

/* Opaque user pointer for host functions (e.g. the invocation's state). */
void esgx_wasm_store_set_user(esgx_wasm_store *s, void *user);
void *esgx_wasm_store_user(const esgx_wasm_store *s);

/* ---------------------------------------------------------------- host functions */

typedef struct esgx_wasm_ctx esgx_wasm_ctx;   /* the calling context given to host functions */

/* A host function: reads args (typed per its functype), writes results. Returns 0, or
 * non-zero after calling esgx_wasm_ctx_trap / esgx_wasm_ctx_exit to trap. */
typedef int (*esgx_wasm_host_fn)(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                            void *env);

/* Checked access to the caller's memory 0: a pointer to [ptr, ptr+len) if it lies
 * inside the memory, else NULL (the host should then return an error code or trap).
 * The pointer is valid until the guest runs again (memory.grow may move it). */
uint8_t *esgx_wasm_ctx_memory(esgx_wasm_ctx *ctx, uint32_t ptr, uint32_t len);
/* Size in bytes of the caller's memory 0 (0 if none). */
uint64_t esgx_wasm_ctx_memory_size(esgx_wasm_ctx *ctx);
/* Charges fuel; returns 0, or ESGX_WASM_E_LIMIT if fuel ran out (the host should then trap with
 * esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_OUT_OF_FUEL, "out of fuel") or return an error code). */
ESGX_MUST_CHECK int esgx_wasm_ctx_fuel_charge(esgx_wasm_ctx *ctx, uint64_t fuel);
/* Records a trap of kind with a message; the host function must then return non-zero. */
int esgx_wasm_ctx_trap(esgx_wasm_ctx *ctx, esgx_wasm_trap kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records ESGX_WASM_TRAP_EXIT with code; the host function must then return non-zero. */
int esgx_wasm_ctx_exit(esgx_wasm_ctx *ctx, int code);
/* The store of the call. */
esgx_wasm_store *esgx_wasm_ctx_store(esgx_wasm_ctx *ctx);

/* Makes a host function in s. type is copied. */
ESGX_MUST_CHECK int esgx_wasm_func_new_host(esgx_wasm_store *s, const esgx_wasm_functype *type, esgx_wasm_host_fn fn,
                       void *env, esgx_wasm_extern *out, esgx_err *err);
/* Makes a memory, table (elem_type ESGX_WASM_FUNCREF/ESGX_WASM_EXTERNREF) or global in s, for
 * the spectest module and for embedders that share them. max UINT32_MAX = none. */
ESGX_MUST_CHECK int esgx_wasm_memory_new(esgx_wasm_store *s, uint32_t min_pages, uint32_t max_pages,
                    esgx_wasm_extern *out, esgx_err *err);
ESGX_MUST_CHECK int esgx_wasm_table_new(esgx_wasm_store *s, esgx_wasm_valtype elem_type, uint32_t min, uint32_t max,
                   esgx_wasm_extern *out, esgx_err *err);
ESGX_MUST_CHECK int esgx_wasm_global_new(esgx_wasm_store *s, esgx_wasm_value value, int mutable_, esgx_wasm_extern *out,
                    esgx_err *err);
/* Reads a global's value. */
ESGX_MUST_CHECK int esgx_wasm_global_get(esgx_wasm_extern global, esgx_wasm_value *out);

/* Bytes and size of a memory extern (pointer valid until the guest runs again). */
uint8_t *esgx_wasm_memory_data(esgx_wasm_extern memory, uint64_t *size);

/* ---------------------------------------------------------------- instances */

typedef struct esgx_wasm_instance esgx_wasm_instance;

/* Instantiates m in s. imports[i] satisfies import i of the module (in module order);
 * n_imports must equal esgx_wasm_module_import_count. Types are checked
 * (ESGX_WASM_E_UNLINKABLE "incompatible import type" / "unknown import"); then globals,
 * tables, memories are made, element and data segments applied (a segment out of
 * bounds traps: ESGX_WASM_E_TRAP), and the start function runs (its traps are returned as
 * ESGX_WASM_E_TRAP; the instance is then not returned). */
ESGX_MUST_CHECK int esgx_wasm_instance_new(esgx_wasm_store *s, const esgx_wasm_module *m, const esgx_wasm_extern *imports,
                      size_t n_imports, esgx_wasm_instance **out, esgx_wasm_trap *trap,
                      esgx_err *err);

/* Export of an instance by name. ESGX_WASM_E_NOT_FOUND. */
ESGX_MUST_CHECK int esgx_wasm_instance_export(const esgx_wasm_instance *inst, const char *name, size_t name_len,
                         esgx_wasm_extern *out);

/* Type of a function extern. */
ESGX_MUST_CHECK int esgx_wasm_func_type(esgx_wasm_extern func, esgx_wasm_functype *out);

/* Calls a function extern (wasm or host) with args (count and types must match its
 * type: ESGX_WASM_E_ARG otherwise). results must hold n_results values.
 * ESGX_WASM_E_TRAP with *trap and a message on a trap; the store stays usable. */
ESGX_MUST_CHECK int esgx_wasm_call(esgx_wasm_store *s, esgx_wasm_extern func, const esgx_wasm_value *args, size_t n_args,
              esgx_wasm_value *results, size_t n_results, esgx_wasm_trap *trap, esgx_err *err);

#endif
