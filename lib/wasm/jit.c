/*
 * jit.c: the compiler tier's run time: when it is available, per-module code memory,
 * compiling a function on its first call, entering and leaving machine code, and the
 * helpers the code calls for what it does not do inline. jit_ops.c turns one
 * function's internal code (wasm_exec.h) into x86-64; x64_asm.h encodes instructions.
 *
 * Design (docs/wasm.md, "The compiler tier"):
 * - The machine code works on the interpreter's own frames: a wasm value lives in its
 *   8-byte slot of the store's value stack, so arguments, results, the stack limits
 *   and a fallback to the interpreter need no translation. Registers while compiled
 *   code runs: rbx the frame, r12 memory 0's base, r13 its size in bytes, r14 the
 *   remaining fuel, r15 the store; rax, rcx, rdx, rsi, rdi, r8-r11 and xmm0-xmm15 are
 *   scratch or cache values within straight-line code (jit_ops.c).
 * - Calls between compiled functions are native calls (16 bytes of native stack per
 *   level: the return address and 8 bytes of alignment); every other call (imports,
 *   call_indirect, a first call) asks a helper here first, which may compile the
 *   callee, run a host function, or interpret a function that cannot be compiled.
 *   Before running, esgx_wasm_jit_run checks that the thread's native stack can hold
 *   max_call_depth levels; when it cannot, the call is interpreted (same results).
 * - A trap jumps to one exit that restores the native stack saved at entry (no
 *   signals, no unwinding tables): every memory access is bounds-checked inline.
 * - Code is compiled into a bounded heap buffer, copied into pages mapped read-write,
 *   then made read-execute (never both); the pages are wiped when the module is freed.
 *   A function whose code would exceed the bound, or that uses an internal op the code
 *   generator does not know, is interpreted.
 */
#define _GNU_SOURCE 1   /* pthread_getattr_np */
#include "wasm_exec.h"
#include "jit_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

/* ------------------------------------------------------------------ availability */

#if defined(__x86_64__)
static int cpu_ok(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    /* SSSE3, SSE4.1, SSE4.2, POPCNT */
    if (!(c & (1u << 9)) || !(c & (1u << 19)) || !(c & (1u << 20)) || !(c & (1u << 23))) return 0;
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d) || !(c & (1u << 5))) return 0;   /* LZCNT */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 3))) return 0;      /* BMI1 */
    return 1;
}

/* Whether this process may map code: RW then RX on one page. */
static int exec_ok(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 0;
    ((uint8_t *)p)[0] = 0xC3;
    int ok = mprotect(p, (size_t)pg, PROT_READ | PROT_EXEC) == 0;
    munmap(p, (size_t)pg);
    return ok;
}

static int jit_ok = -1;
static pthread_once_t jit_once = PTHREAD_ONCE_INIT;

static void jit_probe(void)
{
    jit_ok = cpu_ok() && exec_ok();
}

int esgx_wasm_jit_available(void)
{
    pthread_once(&jit_once, jit_probe);
    return jit_ok == 1;
}
#else
int esgx_wasm_jit_available(void)
{
    return 0;
}
#endif

/* ------------------------------------------------------------------ code memory */

typedef struct region {
    void *p;
    size_t len;
} region;

struct esgx_wasm_jit {
    const esgx_wasm_module *m;
    pthread_mutex_t lock;
    void **entry;                 /* per defined function: its code, or NULL */
    uint8_t *refused;             /* per defined function: cannot be compiled */
    uint32_t n_refused;           /* functions refused so far (atomic reads) */
    region *regions;
    size_t n_regions, cap_regions;
    size_t code_bytes;            /* mapped so far (bounded by ESGX_JIT_MODULE_CODE_MAX) */
    esgx_jit_thunks thunks;       /* the entry, trap and unwind code (jit_ops.c) */
    bool have_thunks;
};

esgx_wasm_jit *esgx_wasm_jit_new(const esgx_wasm_module *m)
{
    esgx_wasm_jit *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->m = m;
    size_t n = m->n_funcs;   /* defined functions */
    j->entry = calloc(n ? n : 1, sizeof *j->entry);
    j->refused = calloc(n ? n : 1, 1);
    if (!j->entry || !j->refused || pthread_mutex_init(&j->lock, NULL) != 0) {
        free(j->entry);
        free(j->refused);
        free(j);
        return NULL;
    }
    return j;
}

void esgx_wasm_jit_free(esgx_wasm_jit *j)
{
    if (!j) return;
    for (size_t i = 0; i < j->n_regions; i++) {
        /* code embeds the module's constants: wiped like the module's bytes */
        if (mprotect(j->regions[i].p, j->regions[i].len, PROT_READ | PROT_WRITE) == 0)
            explicit_bzero(j->regions[i].p, j->regions[i].len);
        munmap(j->regions[i].p, j->regions[i].len);
    }
    free(j->regions);
    free(j->entry);
    free(j->refused);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

/* Maps len bytes of code: copied into fresh read-write pages, then read-execute.
 * NULL on failure or past the module's bound. Called with j->lock held. */
static void *code_map(esgx_wasm_jit *j, const uint8_t *code, size_t len)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t mlen = (len + pg - 1) / pg * pg;
    if (j->code_bytes + mlen > ESGX_JIT_MODULE_CODE_MAX) return NULL;
    if (j->n_regions == j->cap_regions) {
        size_t nc = j->cap_regions ? j->cap_regions * 2 : 16;
        region *nr = realloc(j->regions, nc * sizeof *nr);
        if (!nr) return NULL;
        j->regions = nr;
        j->cap_regions = nc;
    }
    void *p = mmap(NULL, mlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    memcpy(p, code, len);
    if (mprotect(p, mlen, PROT_READ | PROT_EXEC) != 0) {
        explicit_bzero(p, len);
        munmap(p, mlen);
        return NULL;
    }
    j->regions[j->n_regions++] = (region){p, mlen};
    j->code_bytes += mlen;
    return p;
}

/* Makes the module's thunks once. Called with j->lock held. */
static bool thunks_ready(esgx_wasm_jit *j)
{
    if (j->have_thunks) return true;
    esgx_x64 a = {.limit = 4096};
    size_t off[ESGX_JIT_THUNK_COUNT];
    esgx_jit_emit_thunks(&a, off);
    bool ok = !a.failed;
    uint8_t *p = ok ? code_map(j, a.p, a.n) : NULL;
    if (a.p) {
        explicit_bzero(a.p, a.cap);
        free(a.p);
    }
    if (!p) return false;
    j->thunks.enter = (esgx_jit_enter_fn)(void *)(p + off[ESGX_JIT_THUNK_ENTER]);
    j->thunks.trap = p + off[ESGX_JIT_THUNK_TRAP];
    j->thunks.unwind = p + off[ESGX_JIT_THUNK_UNWIND];
    j->have_thunks = true;
    return true;
}

/* The code of defined function `code` of module m, compiling it on first use; NULL
 * when it cannot be compiled (it is then interpreted). */
static void *resolve(const esgx_wasm_module *m, const esgx_wasm_code *code)
{
    esgx_wasm_jit *j = m->jit;
    const esgx_wasm_compiled *cm = m->compiled;
    size_t i = (size_t)(code - cm->codes);
    void *e = __atomic_load_n(&j->entry[i], __ATOMIC_ACQUIRE);
    if (e || __atomic_load_n(&j->refused[i], __ATOMIC_ACQUIRE)) return e;
    pthread_mutex_lock(&j->lock);
    e = j->entry[i];
    if (!e && !j->refused[i] && thunks_ready(j)) {
        esgx_x64 a = {.limit = ESGX_JIT_FUNC_CODE_MAX};
        if (esgx_jit_compile(&a, m, code, j->entry, &j->thunks) == ESGX_OK && !a.failed)
            e = code_map(j, a.p, a.n);
        if (a.p) {
            explicit_bzero(a.p, a.cap);
            free(a.p);
        }
    }
    if (e) {
        __atomic_store_n(&j->entry[i], e, __ATOMIC_RELEASE);
    } else if (!j->refused[i]) {
        __atomic_store_n(&j->refused[i], 1, __ATOMIC_RELEASE);
        __atomic_store_n(&j->n_refused, j->n_refused + 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&j->lock);
    return e;
}

uint32_t esgx_wasm_jit_refused(const esgx_wasm_jit *j)
{
    return __atomic_load_n(&j->n_refused, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ native stack */

/* Bytes of native stack below the current frame of this thread, or 0 if unknown. */
static size_t native_stack_left(void)
{
    pthread_attr_t at;
    if (pthread_getattr_np(pthread_self(), &at) != 0) return 0;
    void *lo = NULL;
    size_t size = 0;
    int rc = pthread_attr_getstack(&at, &lo, &size);
    pthread_attr_destroy(&at);
    if (rc != 0 || !lo) return 0;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    return here > (uintptr_t)lo ? here - (uintptr_t)lo : 0;
}

/* Whether compiled code may run on this thread for the store's call depth limit:
 * each level takes at most ESGX_JIT_STACK_PER_LEVEL bytes, plus a margin for host
 * functions and the interpreter. The stack's size is measured once per store and
 * thread (a store is used by one thread at a time, usually always the same one). */
static bool stack_fits(esgx_wasm_store *s)
{
    pthread_t self = pthread_self();
    if (!s->jit_stack_known || !pthread_equal(s->jit_stack_thread, self)) {
        s->jit_stack_thread = self;
        s->jit_stack_known = true;
        s->jit_stack_base = (uintptr_t)__builtin_frame_address(0) - native_stack_left();
    }
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    uint64_t left = here > s->jit_stack_base ? here - s->jit_stack_base : 0;
    uint32_t levels = s->limits.max_call_depth > s->depth ? s->limits.max_call_depth - s->depth : 0;
    uint64_t need = (uint64_t)levels * ESGX_JIT_STACK_PER_LEVEL + ESGX_JIT_STACK_MARGIN;
    return left > need;
}

/* ------------------------------------------------------------------ entry */

/* clang's -fsanitize=function checks a type signature stored before the callee of an
 * indirect call; machine code made here has none */
#if defined(__clang__)
#define NO_SANITIZE_FUNCTION __attribute__((no_sanitize("function")))
#else
#define NO_SANITIZE_FUNCTION
#endif

NO_SANITIZE_FUNCTION
int esgx_wasm_jit_run(esgx_wasm_store *s, esgx_wasm_instance *inst, const esgx_wasm_code *code,
                      uint32_t fp_off)
{
    void *e = resolve(inst->m, code);
    if (!e || !stack_fits(s)) return esgx_wasm_exec_frame(s, inst, code, fp_off);
    esgx_wasm_jit *j = inst->m->jit;
    esgx_wasm_instance *saved = s->jit_inst;
    uint32_t depth = s->depth;
    s->jit_inst = inst;
    int rc = j->thunks.enter(s, e, s->stack + fp_off);
    s->jit_inst = saved;
    s->depth = depth;
    return rc ? ESGX_WASM_E_TRAP : ESGX_OK;
}

/* ------------------------------------------------------------------ helpers */

void esgx_jit_raise(esgx_wasm_store *s, uint32_t kind)
{
    if (kind == ESGX_WASM_TRAP_OUT_OF_FUEL) s->fuel = 0;
    esgx_wasm_store_trap(s, (esgx_wasm_trap)kind, esgx_wasm_trap_message((esgx_wasm_trap)kind));
}

uint64_t *esgx_jit_stack_grow(esgx_wasm_store *s, uint64_t *fp, uint64_t need_from_fp)
{
    uint64_t fpo = (uint64_t)(fp - s->stack);
    if (!esgx_wasm_exec_stack_reserve(s, fpo + need_from_fp)) {
        esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        return NULL;
    }
    return s->stack + fpo;
}

/* Runs wasm callee f (already counted in s->depth, its frame at callee_off) when it
 * cannot run natively from the call site: interpreted, or compiled through a nested
 * entry. */
static int run_other(esgx_wasm_store *s, esgx_wasm_instance *inst, const esgx_wasm_code *code,
                     uint32_t callee_off)
{
    if (inst->m->tier == ESGX_WASM_TIER_JIT) return esgx_wasm_jit_run(s, inst, code, callee_off);
    return esgx_wasm_exec_frame(s, inst, code, callee_off);
}

void *esgx_jit_call_lazy(esgx_wasm_store *s, const esgx_wasm_code *code, uint64_t *callee_fp)
{
    void *e = resolve(s->jit_inst->m, code);
    if (e) return e;
    uint32_t off = (uint32_t)(callee_fp - s->stack);
    if (esgx_wasm_exec_frame(s, s->jit_inst, code, off) != ESGX_OK) return NULL;
    s->jit_fp = s->stack + off;
    return ESGX_JIT_DONE;
}

/* CALL_IMPORT "is" and CALL_INDIRECT "iiss" (wasm_exec.h): finds the callee like the
 * interpreter, with the same traps. */
static esgx_wasm_func_obj *callee_of(esgx_wasm_store *s, esgx_wasm_instance *inst,
                                     const uint64_t *fp, const uint32_t *ip, bool indirect,
                                     uint32_t *argbase)
{
    if (!indirect) {
        *argbase = ip[3];
        return inst->funcs[ip[2]];
    }
    *argbase = ip[4];
    esgx_wasm_trap kind;
    const char *msg;
    esgx_wasm_func_obj *f = esgx_wasm_indirect_callee(inst->tables[ip[3]], (uint32_t)fp[ip[5]],
                                                      inst->type_ids[ip[2]], &kind, &msg);
    if (!f) esgx_wasm_store_trap(s, kind, msg);
    return f;
}

void *esgx_jit_call_obj(esgx_wasm_store *s, uint64_t *fp, const uint32_t *ip, uint32_t indirect)
{
    esgx_wasm_instance *inst = s->jit_inst;
    uint32_t argbase;
    esgx_wasm_func_obj *f = callee_of(s, inst, fp, ip, indirect != 0, &argbase);
    if (!f) return NULL;
    uint32_t fpo = (uint32_t)(fp - s->stack);
    if (f->host) {
        uint32_t saved_sp = s->sp;
        s->sp = esgx_wasm_host_sp(f, fpo + argbase);
        int r = esgx_wasm_exec_host_invoke(s, inst, f, fpo + argbase);
        s->sp = saved_sp;
        s->jit_inst = inst;
        if (r) return NULL;
        s->jit_fp = s->stack + fpo;
        return ESGX_JIT_DONE;
    }
    const esgx_wasm_code *code = f->code;
    if (s->depth >= s->limits.max_call_depth ||
        !esgx_wasm_exec_stack_reserve(s, (uint64_t)fpo + argbase + code->frame_size)) {
        esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        return NULL;
    }
    s->jit_fp = s->stack + fpo;
    void *e = f->inst->m->tier == ESGX_WASM_TIER_JIT ? resolve(f->inst->m, code) : NULL;
    if (e) {   /* the caller calls it natively, on f's instance */
        s->jit_caller_inst = inst;
        s->jit_inst = f->inst;
        s->depth++;
        return e;
    }
    s->depth++;
    int r = run_other(s, f->inst, code, fpo + argbase);
    s->depth--;
    s->jit_inst = inst;
    if (r) return NULL;
    s->jit_fp = s->stack + fpo;
    return ESGX_JIT_DONE;
}
