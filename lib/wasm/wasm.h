/*
 * wasm: the esgx WebAssembly runtime (libc and pthreads only; runs inside the enclave).
 *
 * Features: MVP + sign-extension, non-trapping float-to-int, multi-value, bulk memory,
 * reference types, mutable-global import/export. SIMD is refused at decode time with
 * WASM_E_UNSUPPORTED; threads are not supported.
 *
 * Objects and lifetimes:
 *   wasm_module   decoded, validated and compiled code. Immutable after
 *                 wasm_module_parse, so one module may be instantiated by many threads
 *                 at once (the enclave caches modules by hash).
 *   wasm_store    owns everything made at run time: instances, memories, tables,
 *                 globals, host functions, and the fuel counter. Freed all at once by
 *                 wasm_store_free. One store is used by one thread at a time.
 *   wasm_extern   a non-owning handle to a function, table, memory or global that lives
 *                 in a store; used for imports and exports.
 *
 * Errors: every fallible function returns ESGX_OK or a negative WASM_E_* code and
 * fills `err` (if non-NULL). A trap during execution returns WASM_E_TRAP with the trap
 * kind in *trap (if non-NULL) and a message in err such as "out of bounds memory
 * access" or "out of fuel".
 */
#ifndef ESGX_WASM_H
#define ESGX_WASM_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_err.h"

/* ---------------------------------------------------------------- errors */

enum {
    WASM_E_ARG = -1,          /* bad argument from the embedder */
    WASM_E_MALFORMED = -2,    /* the binary is not well formed (spec: assert_malformed) */
    WASM_E_INVALID = -3,      /* the module does not validate (spec: assert_invalid) */
    WASM_E_UNSUPPORTED = -4,  /* a feature we do not support (SIMD, threads, ...) */
    WASM_E_LIMIT = -5,        /* a configured limit was exceeded while loading */
    WASM_E_UNLINKABLE = -6,   /* imports missing or of the wrong type */
    WASM_E_TRAP = -7,         /* execution trapped; see wasm_trap */
    WASM_E_NOMEM = -8,        /* allocation failed */
    WASM_E_NOT_FOUND = -9,    /* no export of that name / kind */
};

/* Trap kinds (filled with WASM_E_TRAP). */
typedef enum wasm_trap {
    WASM_TRAP_NONE = 0,
    WASM_TRAP_UNREACHABLE,        /* "unreachable" */
    WASM_TRAP_MEMORY_OOB,         /* "out of bounds memory access" */
    WASM_TRAP_TABLE_OOB,          /* "out of bounds table access" / "undefined element" */
    WASM_TRAP_INDIRECT_NULL,      /* "uninitialized element" */
    WASM_TRAP_INDIRECT_TYPE,      /* "indirect call type mismatch" */
    WASM_TRAP_DIV_ZERO,           /* "integer divide by zero" */
    WASM_TRAP_INT_OVERFLOW,       /* "integer overflow" */
    WASM_TRAP_INVALID_CONVERSION, /* "invalid conversion to integer" */
    WASM_TRAP_STACK_EXHAUSTED,    /* "call stack exhausted" */
    WASM_TRAP_OUT_OF_FUEL,        /* "out of fuel" */
    WASM_TRAP_NULL_REF,           /* "null reference" */
    WASM_TRAP_HOST,               /* a host function trapped; message from the host */
    WASM_TRAP_EXIT,               /* WASI proc_exit; exit code in wasm_store_exit_code */
    WASM_TRAP_LIMIT,              /* a run-time limit (e.g. output size) set by the host */
} wasm_trap;

/* Short name of a trap kind: "unreachable", "memory_oob", ..., "out_of_fuel". */
const char *wasm_trap_name(wasm_trap trap);

/* ---------------------------------------------------------------- values */

typedef enum wasm_valtype {
    WASM_I32 = 0x7F,
    WASM_I64 = 0x7E,
    WASM_F32 = 0x7D,
    WASM_F64 = 0x7C,
    WASM_V128 = 0x7B,   /* never accepted; listed for error messages */
    WASM_FUNCREF = 0x70,
    WASM_EXTERNREF = 0x6F,
} wasm_valtype;

/* A reference value: 0 is null. A funcref is an opaque non-zero handle made by the
 * runtime; an externref is whatever non-zero value the host passed in. */
typedef uintptr_t wasm_ref;
#define WASM_REF_NULL ((wasm_ref)0)

typedef struct wasm_value {
    wasm_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;   /* floats travel as bits so NaN payloads are exact */
        uint64_t f64_bits;
        wasm_ref ref;
    } of;
} wasm_value;

/* A function type: params then results. */
typedef struct wasm_functype {
    uint32_t n_params;
    uint32_t n_results;
    const wasm_valtype *params;
    const wasm_valtype *results;
} wasm_functype;

/* ---------------------------------------------------------------- limits */

typedef struct wasm_limits {
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
                                     WASM_COMPILE_THREADS_MAX */
} wasm_limits;

#define WASM_COMPILE_THREADS_MAX 8

/* Fills l with the defaults above. */
void wasm_limits_default(wasm_limits *l);

/* ---------------------------------------------------------------- modules */

typedef struct wasm_module wasm_module;

typedef enum wasm_extern_kind {
    WASM_EXTERN_FUNC = 0,
    WASM_EXTERN_TABLE = 1,
    WASM_EXTERN_MEMORY = 2,
    WASM_EXTERN_GLOBAL = 3,
} wasm_extern_kind;

/* Decodes, validates and compiles a binary module. bytes are copied; the caller may
 * free them after return. limits may be NULL for the defaults. Large modules are
 * compiled by up to limits->compile_threads threads, joined before return.
 * WASM_E_MALFORMED / WASM_E_INVALID / WASM_E_UNSUPPORTED / WASM_E_LIMIT / WASM_E_NOMEM
 * with a message naming the section, offset and problem. */
int wasm_module_parse(const uint8_t *bytes, size_t len, const wasm_limits *limits,
                      wasm_module **out, esgx_err *err);
/* Frees m (NULL is fine). Its copy of the binary and its compiled code are wiped
 * first: a module may be a decrypted confidential one. */
void wasm_module_free(wasm_module *m);

/* Import i of the module (0 <= i < wasm_module_import_count): names (not
 * NUL-terminated; lengths given) and kind. For functions, *type is filled if non-NULL. */
uint32_t wasm_module_import_count(const wasm_module *m);
int wasm_module_import(const wasm_module *m, uint32_t i, const char **module,
                       size_t *module_len, const char **name, size_t *name_len,
                       wasm_extern_kind *kind, wasm_functype *type);

/* Export lookup by name: kind and, for functions, the type. WASM_E_NOT_FOUND. */
int wasm_module_export(const wasm_module *m, const char *name, size_t name_len,
                       wasm_extern_kind *kind, wasm_functype *type);

/* ---------------------------------------------------------------- stores */

typedef struct wasm_store wasm_store;

typedef struct wasm_extern {
    wasm_extern_kind kind;
    void *ptr;              /* runtime object in some store; opaque */
} wasm_extern;

/* A new empty store using limits (NULL = defaults) for everything made in it. */
int wasm_store_new(const wasm_limits *limits, wasm_store **out, esgx_err *err);
void wasm_store_free(wasm_store *s);

/* Fuel: execution stops with WASM_TRAP_OUT_OF_FUEL when it runs out. The cost table is
 * in docs/wasm.md. UINT64_MAX means unmetered. */
void wasm_store_fuel_set(wasm_store *s, uint64_t fuel);
uint64_t wasm_store_fuel_get(const wasm_store *s);

/* Exit code passed to WASM_TRAP_EXIT by a host function (wasm_ctx_exit). */
int wasm_store_exit_code(const wasm_store *s);

/* Opaque user pointer for host functions (e.g. the invocation's state). */
void wasm_store_set_user(wasm_store *s, void *user);
void *wasm_store_user(const wasm_store *s);

/* ---------------------------------------------------------------- host functions */

typedef struct wasm_ctx wasm_ctx;   /* the calling context given to host functions */

/* A host function: reads args (typed per its functype), writes results. Returns 0, or
 * non-zero after calling wasm_ctx_trap / wasm_ctx_exit to trap. */
typedef int (*wasm_host_fn)(wasm_ctx *ctx, const wasm_value *args, wasm_value *results,
                            void *env);

/* Checked access to the caller's memory 0: a pointer to [ptr, ptr+len) if it lies
 * inside the memory, else NULL (the host should then return an error code or trap).
 * The pointer is valid until the guest runs again (memory.grow may move it). */
uint8_t *wasm_ctx_memory(wasm_ctx *ctx, uint32_t ptr, uint32_t len);
/* Size in bytes of the caller's memory 0 (0 if none). */
uint64_t wasm_ctx_memory_size(wasm_ctx *ctx);
/* Charges fuel; returns 0, or -1 if fuel ran out (the host should then trap with
 * wasm_ctx_trap(ctx, WASM_TRAP_OUT_OF_FUEL, "out of fuel") or return an error code). */
int wasm_ctx_fuel_charge(wasm_ctx *ctx, uint64_t fuel);
/* Records a trap of kind with a message; the host function must then return non-zero. */
int wasm_ctx_trap(wasm_ctx *ctx, wasm_trap kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records WASM_TRAP_EXIT with code; the host function must then return non-zero. */
int wasm_ctx_exit(wasm_ctx *ctx, int code);
/* The store of the call. */
wasm_store *wasm_ctx_store(wasm_ctx *ctx);

/* Makes a host function in s. type is copied. */
int wasm_func_new_host(wasm_store *s, const wasm_functype *type, wasm_host_fn fn,
                       void *env, wasm_extern *out, esgx_err *err);
/* Makes a memory, table (elem_type WASM_FUNCREF/WASM_EXTERNREF) or global in s, for
 * the spectest module and for embedders that share them. max UINT32_MAX = none. */
int wasm_memory_new(wasm_store *s, uint32_t min_pages, uint32_t max_pages,
                    wasm_extern *out, esgx_err *err);
int wasm_table_new(wasm_store *s, wasm_valtype elem_type, uint32_t min, uint32_t max,
                   wasm_extern *out, esgx_err *err);
int wasm_global_new(wasm_store *s, wasm_value value, int mutable_, wasm_extern *out,
                    esgx_err *err);
/* Reads a global's value. */
int wasm_global_get(wasm_extern global, wasm_value *out);

/* Bytes and size of a memory extern (pointer valid until the guest runs again). */
uint8_t *wasm_memory_data(wasm_extern memory, uint64_t *size);

/* ---------------------------------------------------------------- instances */

typedef struct wasm_instance wasm_instance;

/* Instantiates m in s. imports[i] satisfies import i of the module (in module order);
 * n_imports must equal wasm_module_import_count. Types are checked
 * (WASM_E_UNLINKABLE "incompatible import type" / "unknown import"); then globals,
 * tables, memories are made, element and data segments applied (a segment out of
 * bounds traps: WASM_E_TRAP), and the start function runs (its traps are returned as
 * WASM_E_TRAP; the instance is then not returned). */
int wasm_instance_new(wasm_store *s, const wasm_module *m, const wasm_extern *imports,
                      size_t n_imports, wasm_instance **out, wasm_trap *trap,
                      esgx_err *err);

/* Export of an instance by name. WASM_E_NOT_FOUND. */
int wasm_instance_export(const wasm_instance *inst, const char *name, size_t name_len,
                         wasm_extern *out);

/* Type of a function extern. */
int wasm_func_type(wasm_extern func, wasm_functype *out);

/* Calls a function extern (wasm or host) with args (count and types must match its
 * type: WASM_E_ARG otherwise). results must hold n_results values.
 * WASM_E_TRAP with *trap and a message on a trap; the store stays usable. */
int wasm_call(wasm_store *s, wasm_extern func, const wasm_value *args, size_t n_args,
              wasm_value *results, size_t n_results, wasm_trap *trap, esgx_err *err);

#endif
