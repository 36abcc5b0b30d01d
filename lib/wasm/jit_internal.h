/*
 * jit_internal.h (internal to lib/wasm): what jit.c (run time) and jit_ops.c (code
 * generator) share. See jit.c for the design.
 */
#ifndef ESGX_WASM_JIT_INTERNAL_H
#define ESGX_WASM_JIT_INTERNAL_H

#include "wasm_exec.h"
#include "x64_asm.h"

/* Bounds: machine code of one function, and of all functions of one module. */
#define ESGX_JIT_FUNC_CODE_MAX ((size_t)64 << 20)
#define ESGX_JIT_MODULE_CODE_MAX ((size_t)256 << 20)
/* The code pages of one module: at most ESGX_JIT_CODE_PER_BYTE bytes per byte of its
 * binary plus ESGX_JIT_CODE_BASE, and ESGX_JIT_MODULE_CODE_MAX (docs/wasm.md, "Code
 * memory", has the measurements behind K): a function past it is interpreted. */
#define ESGX_JIT_CODE_PER_BYTE 8u
#define ESGX_JIT_CODE_BASE ((size_t)1 << 20)
/* Address space reserved at a time for a module's code (a batch larger than this gets
 * a reservation of its own size). */
#define ESGX_JIT_CHUNK ((size_t)1 << 20)
/* Machine code compiled ahead with a function on its first call (jit.c, compile_batch):
 * its callees, and theirs, up to ESGX_JIT_BATCH_BYTES besides its own; then functions
 * defined after it until the batch holds ESGX_JIT_FILL_BYTES (at most
 * ESGX_JIT_FILL_TRIES of them tried). 64 KiB ahead costs a first call about 1 ms
 * (256 KiB cost wasm3's brotli 2.5-7 ms of code its first call never ran); a batch
 * more costs a flip (two mprotects). */
#define ESGX_JIT_BATCH_BYTES ((size_t)64 << 10)
#define ESGX_JIT_FILL_BYTES ((size_t)64 << 10)
#define ESGX_JIT_FILL_TRIES 4096u

/* jit.c: the bound of a module's code pages for a binary of wasm_len bytes (whole
 * pages, ESGX_JIT_CODE_PER_BYTE x wasm_len + ESGX_JIT_CODE_BASE, at most
 * ESGX_JIT_MODULE_CODE_MAX). */
size_t esgx_jit_code_limit(size_t wasm_len);
/* Native stack per wasm call level (at most: a call through a helper pushes the
 * caller's instance as well) and the margin kept for host functions and helpers. */
#define ESGX_JIT_STACK_PER_LEVEL 48u
#if defined(__SANITIZE_ADDRESS__)
#define ESGX_JIT_STACK_MARGIN ((size_t)1 << 20)
#else
#define ESGX_JIT_STACK_MARGIN ((size_t)256 << 10)
#endif

/* A helper's answer meaning "the call is done" (as opposed to code to call). */
#define ESGX_JIT_DONE ((void *)(uintptr_t)1)

/* Enters compiled code `entry` with the frame fp (s->jit_inst set): 0 on return, 1
 * after a trap (recorded in s). */
typedef int (*esgx_jit_enter_fn)(esgx_wasm_store *s, void *entry, uint64_t *fp);

typedef struct esgx_jit_thunks {
    esgx_jit_enter_fn enter;
    void *trap;      /* jumped to with esi = trap kind: records it and unwinds */
    void *unwind;    /* jumped to when a helper has recorded the trap already */
    void *entry_slow;   /* called by a function's entry when depth or stack is short
                         * (rax: its frame's end): esgx_jit_entry_slow, rbx = the
                         * frame's new address, or a trap */
} esgx_jit_thunks;

enum { ESGX_JIT_THUNK_ENTER, ESGX_JIT_THUNK_TRAP, ESGX_JIT_THUNK_UNWIND,
       ESGX_JIT_THUNK_ENTRY_SLOW, ESGX_JIT_THUNK_COUNT };

/* jit_ops.c: emits the thunks into a; off[] gets each one's offset. */
void esgx_jit_emit_thunks(esgx_x64 *a, size_t off[ESGX_JIT_THUNK_COUNT]);
/* A direct call in a function's code that jit.c points at its callee when it places
 * the code: the rel32 field of a `call` at `at` (offset in the function's code), which
 * until then lands on a stub calling through entries[callee] (defined function). */
typedef struct esgx_jit_reloc {
    uint32_t at;
    uint32_t callee;
} esgx_jit_reloc;

/* What esgx_jit_compile knows of the module beyond the function. */
typedef struct esgx_jit_env {
    void *const *entries;          /* per defined function: its code, or NULL */
    const uint8_t *grows;          /* per defined function: a call of it may grow
                                    * memory (esgx_jit_grows); NULL: any may */
    const esgx_jit_thunks *th;
} esgx_jit_env;

/* jit_ops.c: compiles one defined function of m into a. Direct calls go through a
 * stub that reads env->entries[] (compiling the callee on its first call); each is
 * also listed in *rel (malloc'd, *n_rel entries; rel NULL: not listed) so that the
 * caller can point it straight at its callee. ESGX_OK, or ESGX_WASM_E_UNSUPPORTED
 * when the code holds a refused op (esgx_jit_refused_ops) or does not decode,
 * ESGX_WASM_E_NOMEM. */
int esgx_jit_compile(esgx_x64 *a, const esgx_wasm_module *m, const esgx_wasm_code *code,
                     const esgx_jit_env *env, esgx_jit_reloc **rel, size_t *n_rel);
/* jit_ops.c: whether compiled code of op reads or writes frame slots other than its
 * format's s/S/d/D operands, or reads the frame in memory through a helper (slow ops,
 * SIMD ops): liveness (esgx_jit_live) then counts every slot as read by it. */
bool esgx_jit_op_reads_frame(int op);
/* jit_ops.c: the internal ops the code generator has no template for (emit_op refuses
 * them): a function holding one is interpreted, and counted by
 * esgx_wasm_module_jit_refused. test_jit.c checks that exactly these are refused: an
 * op missing a template fails it until it is listed here, a listed op that compiles
 * fails it until it is taken off. */
extern const uint16_t esgx_jit_refused_ops[];
extern const size_t esgx_jit_n_refused_ops;

/* jit_alloc.c: the width in words of op at ip (a br_table's included); the op of each
 * instruction is read from code->ops. */
uint32_t esgx_jit_op_width(const uint32_t *ip, int op);
/* Chooses the slots of code that live in registers: pin[slot] (frame_size entries)
 * gets -1, a register of gprs[0..n_gprs) (0-15), 16 + one of xmms[0..n_xmms) (a scalar
 * in the low bits of that xmm register), or, for the two slots s, s + 1 of a v128 pair
 * held whole in one of xmms[], 32 + it (s: the low 64 bits) and 48 + it (s + 1: the
 * high 64 bits). ESGX_OK or ESGX_WASM_E_NOMEM. The code must decode (jit_ops.c's scan
 * checked it). */
int esgx_jit_alloc(const esgx_wasm_code *code, const int8_t *gprs, int n_gprs,
                   const int8_t *xmms, int n_xmms, int8_t *pin);

/* Liveness of the slots that live in registers, for the spills and reloads around
 * calls: live[i] (one per instruction of code) gets the mask (bit b: entry pinned[b],
 * the slot pinned[b], or the pair from it if bit b of wide is set) of the entries that
 * may be read after instruction i before being written whole (its live-out; a
 * superset where unsure). n_pinned <= 32. ESGX_OK or ESGX_WASM_E_NOMEM. */
int esgx_jit_live(const esgx_wasm_code *code, const uint32_t *pinned, uint32_t wide,
                  uint32_t n_pinned, uint32_t *live);
/* jit_alloc.c: per defined function of m (grows[], m->n_funcs entries), whether a
 * call of it may change memory 0's base or size: it holds memory.grow, calls an
 * import or through a table (code outside the module may grow the memory), or calls
 * a function that may. Compiled code reloads memory after a direct call only then.
 * ESGX_OK or ESGX_WASM_E_NOMEM. */
/* Closes grows[] (1: function f may grow memory) over direct calls: every caller of a
 * function that may grow may grow. edges: `lists` arrays of (callee, caller) index
 * pairs, n_edges[l] words each. ESGX_OK or ESGX_WASM_E_NOMEM. Shared by esgx_jit_grows
 * and the parse of a lazy module (compile.c). */
int esgx_jit_grows_close(uint32_t nf, uint8_t *grows, const uint32_t *const *edges,
                         const size_t *n_edges, uint32_t lists);
int esgx_jit_grows(const esgx_wasm_module *m, uint8_t *grows);

/* jit_bounds.c: the facts about address slots the code generator keeps while it
 * emits a straight run of code (see jit_bounds.c): proofs u32(slot) + h <= memory
 * size, and aliases u32(dst) == u32(u32(src) + k). */
#define ESGX_JIT_PROOFS 16
#define ESGX_JIT_ALIASES 16
typedef struct esgx_jit_bounds {
    struct { uint32_t slot; uint64_t h; } pr[ESGX_JIT_PROOFS];
    struct { uint32_t dst, src; uint64_t k; } al[ESGX_JIT_ALIASES];
    uint32_t n_pr, n_al;
} esgx_jit_bounds;
/* A scalar load or store: the access is at u32(u32(slot) + add) + off, size bytes. */
typedef struct esgx_jit_acc {
    uint32_t slot, add, off, size;
} esgx_jit_acc;
/* Whether op at ip is a scalar load or store (*acc filled). */
bool esgx_jit_access(const uint32_t *ip, int op, esgx_jit_acc *acc);
/* Forgets everything (where paths meet). */
void esgx_jit_bounds_reset(esgx_jit_bounds *b);
/* The largest h proven for slot (0: none). */
uint64_t esgx_jit_bounds_proven(const esgx_jit_bounds *b, uint32_t slot);
/* Records u32(slot) + h <= memory size (checked by the code just emitted). */
void esgx_jit_bounds_prove(esgx_jit_bounds *b, uint32_t slot, uint64_t h);
/* Keeps of b's proofs only what other proves too (the smaller h): what holds after
 * two paths join. */
void esgx_jit_bounds_meet(esgx_jit_bounds *b, const esgx_jit_bounds *other);
/* The base slot and constant of slot's alias, or slot itself and 0. */
void esgx_jit_bounds_resolve(const esgx_jit_bounds *b, uint32_t slot, uint32_t *base, uint64_t *k);
/* Updates b for op at ip having run: the slots it writes lose their facts (a call:
 * its argument base and up; a helper or SIMD template: all), an i32 add of a small
 * constant or a copy makes an alias. */
void esgx_jit_bounds_after(esgx_jit_bounds *b, const uint32_t *ip, int op);
/* The merged check for the access of base slot `base` at instruction i0 (word at0),
 * with facts b before it: looks ahead over at most a few plain instructions (no
 * branch target, call, helper or jump; base unwritten) for accesses off base of
 * extent (k + add + off + size) <= h_max. *last gets the last of them whose extent
 * is above floor (i0 if none); returns the largest extent up to it (0 if none).
 * *pure: the merged check failing means the same trap as running i0..*last with a
 * check each (no access off base adds to it, so none can wrap into bounds, and no
 * instruction before *last has an effect the trap would not discard). */
uint64_t esgx_jit_bounds_window(const esgx_wasm_code *code, const uint8_t *target, uint32_t i0,
                                uint32_t at0, const esgx_jit_bounds *b, uint32_t base,
                                uint64_t floor, uint64_t h_max, uint32_t *last, bool *pure);
/* in_loop[w] (code->n_words entries): whether word w lies between a backward branch's
 * target and the branch. ESGX_OK or ESGX_WASM_E_NOMEM. */
int esgx_jit_loops(const esgx_wasm_code *code, uint8_t *in_loop);

/* jit.c: the helpers compiled code calls (System V ABI). */
/* Records trap `kind` with the interpreter's message (out of fuel also zeroes fuel). */
void esgx_jit_raise(esgx_wasm_store *s, uint32_t kind);
/* Grows the value stack so that need_from_fp slots exist from fp: the frame's new
 * address, or NULL after recording "call stack exhausted". */
uint64_t *esgx_jit_stack_grow(esgx_wasm_store *s, uint64_t *fp, uint64_t need_from_fp);
/* A function's entry found depth at the limit or its frame (fp to end) past the value
 * stack: "call stack exhausted" (NULL) if depth is at the limit or the stack cannot
 * grow, else the frame's address in the grown stack. */
uint64_t *esgx_jit_entry_slow(esgx_wasm_store *s, uint64_t *fp, uint64_t *end);
/* A direct call whose callee is not compiled yet (frame at callee_fp; not counted in
 * depth yet): its code to jump to (whose entry checks depth and stack), or
 * ESGX_JIT_DONE after interpreting it with the interpreter's checks (s->jit_fp = the
 * callee's frame), or NULL after a trap. */
void *esgx_jit_call_lazy(esgx_wasm_store *s, const esgx_wasm_code *code, uint64_t *callee_fp);
/* CALL_IMPORT / CALL_INDIRECT (indirect != 0) at ip from frame fp: NULL after a trap;
 * ESGX_JIT_DONE when the call is done (s->jit_fp = the caller's frame); else compiled
 * code to call natively (its entry counts depth and checks the stack), s->jit_inst
 * the callee's instance, s->jit_caller_inst the caller's, s->jit_fp the caller's
 * frame. */
void *esgx_jit_call_obj(esgx_wasm_store *s, uint64_t *fp, const uint32_t *ip, uint32_t indirect);

/* jit_ops.c: the ops compiled as a call (bulk memory, tables, memory.grow and the
 * float operations without one x86 instruction): 0, or 1 after recording a trap. */
int esgx_jit_op_slow(esgx_wasm_store *s, uint64_t *fp, const uint32_t *ip, uint32_t op);

#endif
