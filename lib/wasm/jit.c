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
 *   level: the return address and 8 bytes of alignment); each function's entry does
 *   the interpreter's depth and value-stack checks for every caller (jit_ops.c). A
 *   direct call is a `call rel32` that lands on a stub (entries[], then the lazy
 *   helper) until the batch holding it is placed: then code_place points it straight
 *   at its callee when that is placed (link_calls), while the pages are still
 *   writable. Every other call (imports, call_indirect, a first call) asks a helper
 *   here first, which may compile the callee, run a host function, or interpret a
 *   function that cannot be compiled.
 *   Before running, esgx_wasm_jit_run checks that the thread's native stack can hold
 *   max_call_depth levels; when it cannot, the call is interpreted (same results).
 * - A trap jumps to one exit that restores the native stack saved at entry (no
 *   signals, no unwinding tables): every memory access is bounds-checked inline.
 * - The module's internal code may be lazy (the compiler tier's parse checks bodies
 *   only): piece_compile makes a function's first (esgx_wasm_lower, under the
 *   module's own lock, taken inside j->lock), and every path that interprets a
 *   function makes the whole module's first (lowered_all), since the interpreter
 *   calls its callees' code directly. grows[] then comes from the bodies (compile.c).
 * - Code memory is packed per module (docs/wasm.md, "Code memory"): functions are
 *   compiled into bounded heap buffers a batch at a time (the function first called,
 *   its direct callees, the functions defined after it: compile_batch), and the batch
 *   is copied onto the next fresh pages of a 1 MiB PROT_NONE reservation, made
 *   read-write, written, then read-execute (never both; pages holding code are never
 *   written again). One flip per batch and a few mappings per module, instead of a
 *   mapping and a page per function. The pages are wiped when the module is freed.
 * - A module's code pages are bounded by ESGX_JIT_CODE_PER_BYTE x its binary's size +
 *   ESGX_JIT_CODE_BASE: a function past the bound, one whose code exceeds the
 *   per-function bound, or one that uses an internal op the code generator does not
 *   know, is interpreted (same results and fuel) and counted as refused.
 */
#define _GNU_SOURCE 1   /* pthread_getattr_np */
#include "wasm_exec.h"
#include "jit_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
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

/* A reservation of address space (PROT_NONE, no memory behind it) whose first `used`
 * bytes (whole pages) hold code, read-execute. */
typedef struct chunk {
    uint8_t *p;
    size_t len;
    size_t used;
} chunk;

/* One function of a batch: its machine code, compiled into a heap buffer. */
typedef struct piece {
    uint32_t fi;          /* defined function */
    esgx_x64 a;
    size_t at;            /* offset in the batch */
    esgx_jit_reloc *rel;  /* its direct calls (esgx_jit_compile) */
    size_t n_rel;
} piece;

struct esgx_wasm_jit {
    const esgx_wasm_module *m;
    pthread_mutex_t lock;
    void **entry;                 /* per defined function: its code, or NULL */
    uint8_t *refused;             /* per defined function: cannot be compiled */
    uint8_t *queued;              /* per defined function: in the batch being made */
    uint8_t *grows;               /* per defined function: may grow memory
                                   * (esgx_jit_grows; NULL until the first compile) */
    uint32_t n_refused;           /* functions refused so far (atomic reads) */
    chunk *chunks;
    size_t n_chunks, cap_chunks;
    size_t code_bytes;            /* pages holding code (atomic reads) */
    size_t code_limit;            /* bound of code_bytes (esgx_jit_code_limit) */
    size_t pg;                    /* the page size */
    uint64_t batches;             /* RW -> RX flips so far (one per batch) */
    uint64_t funcs;               /* functions placed so far (figures only) */
    uint64_t func_bytes;          /* their machine code bytes (figures only) */
    uint64_t compile_ns, place_ns;   /* time compiling and placing (figures only) */
    esgx_jit_thunks thunks;       /* the entry, trap and unwind code (jit_ops.c) */
    bool have_thunks;
};

/* The batch being made (compile_batch): its pieces and the queue of functions to try. */
typedef struct batch {
    piece *ps;
    size_t n, cap;
    uint32_t *todo;
    size_t head, tail, cap_todo;
} batch;

size_t esgx_jit_code_limit(size_t wasm_len)
{
    uint64_t lim = (uint64_t)wasm_len * ESGX_JIT_CODE_PER_BYTE + ESGX_JIT_CODE_BASE;
    if (lim > ESGX_JIT_MODULE_CODE_MAX) lim = ESGX_JIT_MODULE_CODE_MAX;
    uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    return (size_t)(lim / pg * pg);
}

esgx_wasm_jit *esgx_wasm_jit_new(const esgx_wasm_module *m)
{
    esgx_wasm_jit *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->m = m;
    j->pg = (size_t)sysconf(_SC_PAGESIZE);
    j->code_limit = esgx_jit_code_limit(m->len);
    size_t n = m->n_funcs ? m->n_funcs : 1;   /* defined functions */
    j->entry = calloc(n, sizeof *j->entry);
    j->refused = calloc(n, 1);
    j->queued = calloc(n, 1);
    if (!j->entry || !j->refused || !j->queued || pthread_mutex_init(&j->lock, NULL) != 0) {
        free(j->entry);
        free(j->refused);
        free(j->queued);
        free(j);
        return NULL;
    }
    return j;
}

void esgx_wasm_jit_free(esgx_wasm_jit *j)
{
    if (!j) return;
    for (size_t i = 0; i < j->n_chunks; i++) {
        chunk *c = &j->chunks[i];
        /* code embeds the module's constants: wiped like the module's bytes */
        if (c->used && mprotect(c->p, c->used, PROT_READ | PROT_WRITE) == 0)
            explicit_bzero(c->p, c->used);
        munmap(c->p, c->len);
    }
    free(j->chunks);
    free(j->entry);
    free(j->refused);
    free(j->queued);
    free(j->grows);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

uint64_t esgx_wasm_jit_bytes(const esgx_wasm_jit *j)
{
    size_t n = j->m->n_funcs;
    return __atomic_load_n(&j->code_bytes, __ATOMIC_RELAXED) + sizeof *j +
           n * (sizeof *j->entry + sizeof *j->refused + sizeof *j->queued + sizeof *j->grows);
}

void esgx_wasm_jit_counts(const esgx_wasm_jit *j, size_t *chunks, uint64_t *batches)
{
    esgx_wasm_jit *jj = (esgx_wasm_jit *)j;
    pthread_mutex_lock(&jj->lock);
    if (chunks) *chunks = j->n_chunks;
    if (batches) *batches = j->batches;
    pthread_mutex_unlock(&jj->lock);
}

void esgx_wasm_jit_stats_get(const esgx_wasm_jit *j, esgx_wasm_jit_stats *out)
{
    esgx_wasm_jit *jj = (esgx_wasm_jit *)j;
    pthread_mutex_lock(&jj->lock);
    *out = (esgx_wasm_jit_stats){.chunks = j->n_chunks, .batches = j->batches,
                                 .funcs = j->funcs, .code_bytes = j->func_bytes,
                                 .page_bytes = j->code_bytes, .compile_ns = j->compile_ns,
                                 .place_ns = j->place_ns};
    pthread_mutex_unlock(&jj->lock);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Room for len bytes (whole pages) of code: the chunk holding it, a fresh reservation
 * of at least ESGX_JIT_CHUNK when the last one is full. NULL past the module's bound
 * or when the address space is short. Called with j->lock held. */
static chunk *room_for(esgx_wasm_jit *j, size_t len)
{
    if (j->code_bytes + len > j->code_limit) return NULL;
    chunk *last = j->n_chunks ? &j->chunks[j->n_chunks - 1] : NULL;
    if (last && last->len - last->used >= len) return last;
    if (j->n_chunks == j->cap_chunks) {
        size_t nc = j->cap_chunks ? j->cap_chunks * 2 : 4;
        chunk *np = realloc(j->chunks, nc * sizeof *np);
        if (!np) return NULL;
        j->chunks = np;
        j->cap_chunks = nc;
    }
    size_t clen = len > ESGX_JIT_CHUNK ? len : ESGX_JIT_CHUNK;
    void *p = mmap(NULL, clen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return NULL;
    j->chunks[j->n_chunks] = (chunk){p, clen, 0};
    return &j->chunks[j->n_chunks++];
}

static int by_fi(const void *a, const void *b)
{
    const piece *x = *(const piece *const *)a, *y = *(const piece *const *)b;
    return x->fi < y->fi ? -1 : x->fi > y->fi;
}

/* The address of defined function f's code once the batch is at p: published
 * already, or in the batch (sorted: its pieces by function), or NULL. */
static uint8_t *target_of(const esgx_wasm_jit *j, uint8_t *p, const piece *const *sorted,
                          size_t n, uint32_t f)
{
    if (j->entry[f]) return j->entry[f];
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid]->fi == f) return p + sorted[mid]->at;
        if (sorted[mid]->fi < f) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Points the direct calls of the batch at p (written, not executable yet) straight
 * at their callees where these are placed already or in the batch and within a
 * rel32's reach; the others keep landing on their stub (entries[], lazy compile). */
static void link_calls(const esgx_wasm_jit *j, uint8_t *p, const piece *ps, size_t n)
{
    size_t nrel = 0;
    for (size_t i = 0; i < n; i++) nrel += ps[i].n_rel;
    if (!nrel) return;
    const piece **sorted = malloc(n * sizeof *sorted);
    if (!sorted) return;   /* the stubs work as well */
    for (size_t i = 0; i < n; i++) sorted[i] = &ps[i];
    qsort(sorted, n, sizeof *sorted, by_fi);
    for (size_t i = 0; i < n; i++) {
        for (size_t r = 0; r < ps[i].n_rel; r++) {
            const esgx_jit_reloc *rl = &ps[i].rel[r];
            uint8_t *t = target_of(j, p, sorted, n, rl->callee);
            uint8_t *field = p + ps[i].at + rl->at;
            if (!t) continue;
            int64_t d = (int64_t)((intptr_t)t - (intptr_t)(field + 4));
            if (d < INT32_MIN || d > INT32_MAX) continue;
            int32_t d32 = (int32_t)d;
            memcpy(field, &d32, sizeof d32);
        }
    }
    free(sorted);
}

/* Maps the n pieces (len bytes in all, each at its offset) as code: the pages after
 * the last chunk's code are made read-write, written (direct calls linked,
 * link_calls), then read-execute (never writable and executable at once; pages
 * holding code already are never written again, so code other threads run is never
 * touched). The batch's address, or NULL (nothing mapped) past the bound or on
 * failure. Called with j->lock held. */
static uint8_t *code_place(esgx_wasm_jit *j, const piece *ps, size_t n, size_t len)
{
    size_t mlen = (len + j->pg - 1) / j->pg * j->pg;
    chunk *c = room_for(j, mlen);
    if (!c) return NULL;
    uint8_t *p = c->p + c->used;
    if (mprotect(p, mlen, PROT_READ | PROT_WRITE) != 0) return NULL;
    memset(p, 0xCC, mlen);   /* int3 between functions */
    for (size_t i = 0; i < n; i++) memcpy(p + ps[i].at, ps[i].a.p, ps[i].a.n);
    link_calls(j, p, ps, n);
    if (mprotect(p, mlen, PROT_READ | PROT_EXEC) != 0) {
        explicit_bzero(p, mlen);
        mprotect(p, mlen, PROT_NONE);
        return NULL;
    }
    c->used += mlen;
    __atomic_store_n(&j->code_bytes, j->code_bytes + mlen, __ATOMIC_RELAXED);
    j->batches++;
    return p;
}

static void piece_drop(piece *pc)
{
    if (pc->a.p) {
        explicit_bzero(pc->a.p, pc->a.cap);
        free(pc->a.p);
    }
    pc->a = (esgx_x64){0};
    free(pc->rel);
    pc->rel = NULL;
    pc->n_rel = 0;
}

/* Makes the module's thunks once. Called with j->lock held. */
static bool thunks_ready(esgx_wasm_jit *j)
{
    if (j->have_thunks) return true;
    piece pc = {.a = {.limit = 4096}};
    if (!j->grows) {   /* once per module, before its first function is compiled */
        const esgx_wasm_compiled *cm = j->m->compiled;
        j->grows = malloc(j->m->n_funcs ? j->m->n_funcs : 1);
        if (j->grows && cm->lazy)   /* found while checking the bodies (compile.c) */
            memcpy(j->grows, cm->grows, j->m->n_funcs);
        else if (j->grows && esgx_jit_grows(j->m, j->grows) != ESGX_OK) {
            free(j->grows);
            j->grows = NULL;
        }
    }
    size_t off[ESGX_JIT_THUNK_COUNT];
    esgx_jit_emit_thunks(&pc.a, off);
    uint8_t *p = !pc.a.failed ? code_place(j, &pc, 1, pc.a.n) : NULL;
    piece_drop(&pc);
    if (!p) return false;
    j->thunks.enter = (esgx_jit_enter_fn)(void *)(p + off[ESGX_JIT_THUNK_ENTER]);
    j->thunks.trap = p + off[ESGX_JIT_THUNK_TRAP];
    j->thunks.unwind = p + off[ESGX_JIT_THUNK_UNWIND];
    j->thunks.entry_slow = p + off[ESGX_JIT_THUNK_ENTRY_SLOW];
    j->have_thunks = true;
    return true;
}

/* Marks defined function fi refused (interpreted from now on). j->lock held. */
static void refuse(esgx_wasm_jit *j, uint32_t fi)
{
    if (j->refused[fi]) return;
    __atomic_store_n(&j->refused[fi], 1, __ATOMIC_RELEASE);
    __atomic_store_n(&j->n_refused, j->n_refused + 1, __ATOMIC_RELAXED);
}

/* Whether defined function fi may join the batch: not compiled, refused or queued. */
static bool wanted(const esgx_wasm_jit *j, uint32_t fi)
{
    return !j->entry[fi] && !j->refused[fi] && !j->queued[fi];
}

/* Compiles fi into *pc; false (fi refused, nothing kept) when it cannot be. */
static bool piece_compile(esgx_wasm_jit *j, uint32_t fi, piece *pc)
{
    const esgx_wasm_module *m = j->m;
    *pc = (piece){.fi = fi, .a = {.limit = ESGX_JIT_FUNC_CODE_MAX}};
    const esgx_wasm_compiled *cm = m->compiled;
    esgx_jit_env env = {.entries = j->entry, .grows = j->grows, .th = &j->thunks};
    if (esgx_wasm_lower(m, fi, NULL) == ESGX_OK &&   /* its internal code, made now if lazy */
        esgx_jit_compile(&pc->a, m, &cm->codes[fi], &env, &pc->rel, &pc->n_rel) == ESGX_OK &&
        !pc->a.failed)
        return true;
    piece_drop(pc);
    refuse(j, fi);
    return false;
}

/* Queues defined function f to be tried in batch b (marked queued); false when out of
 * memory (f is then left out). */
static bool todo_push(esgx_wasm_jit *j, batch *b, uint32_t f)
{
    if (b->tail == b->cap_todo) {
        size_t nc = b->cap_todo ? b->cap_todo * 2 : 64;
        uint32_t *nt = realloc(b->todo, nc * sizeof *nt);
        if (!nt) return false;
        b->todo = nt;
        b->cap_todo = nc;
    }
    b->todo[b->tail++] = f;
    j->queued[f] = 1;
    return true;
}

/* A free piece at the end of b (not counted yet), or NULL when out of memory. */
static piece *piece_slot(batch *b)
{
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        piece *np = realloc(b->ps, nc * sizeof *np);
        if (!np) return NULL;
        b->ps = np;
        b->cap = nc;
    }
    return &b->ps[b->n];
}

/* Queues the defined functions f calls directly that may join the batch. */
static void queue_callees(esgx_wasm_jit *j, batch *b, uint32_t f)
{
    const esgx_wasm_compiled *cm = j->m->compiled;
    const esgx_wasm_code *code = &cm->codes[f];
    const uint32_t *w = code->words;
    for (uint32_t at = 0, i = 0; i < code->n_ops; i++) {
        int op = code->ops[i];
        if (op == WOP_CALL) {
            const esgx_wasm_code *callee;
            memcpy(&callee, w + at + ESGX_WASM_OP_HEAD, sizeof callee);
            uint32_t ci = (uint32_t)(callee - cm->codes);
            if (ci < j->m->n_funcs && wanted(j, ci) && !todo_push(j, b, ci)) return;
        }
        at += esgx_jit_op_width(w + at, op);
    }
}

/* Compiles defined function fi with a batch of others into one run of fresh pages and
 * publishes their entries: fi first, then the functions it calls directly, and theirs
 * (breadth first, what a first call is likely to reach next), up to
 * ESGX_JIT_BATCH_BYTES of code besides fi's; then the functions defined after fi (a
 * module's functions are often called in the order they are defined, e.g. through a
 * table) until the batch holds ESGX_JIT_FILL_BYTES or its last page is full (a page
 * is mapped whole: filling it costs no memory). Each batch is one RW -> RX flip, so a
 * module whose functions are first called one by one costs a flip per
 * ESGX_JIT_FILL_BYTES of code, not one per function. A function that cannot be
 * compiled is refused on its own; the batch goes on. Called with j->lock held, the
 * thunks ready. */
static void compile_batch(esgx_wasm_jit *j, uint32_t fi)
{
    uint32_t nf = j->m->n_funcs;
    uint64_t t0 = now_ns();
    batch b = {0};
    size_t len = 0, first = 0;
    /* room left under the bound, whole pages */
    size_t room = j->code_limit > j->code_bytes ? j->code_limit - j->code_bytes : 0;
    if (!todo_push(j, &b, fi)) {
        refuse(j, fi);
        return;
    }
    while (b.head < b.tail) {
        uint32_t f = b.todo[b.head++];
        piece *pc = piece_slot(&b);
        if (!pc) break;
        if (!piece_compile(j, f, pc)) continue;
        size_t at = (len + 15) & ~(size_t)15;
        if (!b.n && pc->a.n > room) {   /* fi alone is past the bound: interpreted */
            piece_drop(pc);
            refuse(j, fi);
            break;
        }
        if (b.n && (at + pc->a.n - first > ESGX_JIT_BATCH_BYTES || at + pc->a.n > room)) {
            piece_drop(pc);   /* compiled again on its own first call */
            break;
        }
        pc->at = at;
        len = at + pc->a.n;
        if (!b.n) first = len;
        b.n++;
        queue_callees(j, &b, f);
    }
    /* then the functions defined next, to ESGX_JIT_FILL_BYTES or the last page's end */
    size_t end = len > ESGX_JIT_FILL_BYTES ? len : ESGX_JIT_FILL_BYTES;
    end = (end + j->pg - 1) / j->pg * j->pg;
    for (uint32_t f = fi + 1, tries = 0; b.n && f < nf && tries < ESGX_JIT_FILL_TRIES; f++) {
        if (!wanted(j, f)) continue;
        tries++;
        piece *pc = piece_slot(&b);
        if (!pc) break;
        if (!piece_compile(j, f, pc)) continue;
        size_t at = (len + 15) & ~(size_t)15;
        if (at + pc->a.n > end || at + pc->a.n > room) {
            piece_drop(pc);
            break;
        }
        pc->at = at;
        len = at + pc->a.n;
        b.n++;
    }
    uint64_t t1 = now_ns();
    uint8_t *p = b.n ? code_place(j, b.ps, b.n, len) : NULL;
    for (size_t i = 0; i < b.n; i++) {
        if (p) {
            __atomic_store_n(&j->entry[b.ps[i].fi], p + b.ps[i].at, __ATOMIC_RELEASE);
            j->funcs++;
            j->func_bytes += b.ps[i].a.n;
        } else if (b.ps[i].fi == fi) {
            refuse(j, fi);   /* no memory for it: interpreted */
        }
        piece_drop(&b.ps[i]);
    }
    for (size_t i = 0; i < b.tail; i++) j->queued[b.todo[i]] = 0;
    free(b.ps);
    free(b.todo);
    uint64_t t2 = now_ns();
    j->compile_ns += t1 - t0;
    j->place_ns += t2 - t1;
}

/* The code of defined function `code` of module m, compiling it (with a batch of
 * others) on first use; NULL when it cannot be compiled (it is then interpreted). */
static void *resolve(const esgx_wasm_module *m, const esgx_wasm_code *code)
{
    esgx_wasm_jit *j = m->jit;
    const esgx_wasm_compiled *cm = m->compiled;
    uint32_t i = (uint32_t)(code - cm->codes);
    void *e = __atomic_load_n(&j->entry[i], __ATOMIC_ACQUIRE);
    if (e || __atomic_load_n(&j->refused[i], __ATOMIC_ACQUIRE)) return e;
    pthread_mutex_lock(&j->lock);
    if (!j->entry[i] && !j->refused[i]) {
        if (thunks_ready(j)) compile_batch(j, i);
        else refuse(j, i);
    }
    e = j->entry[i];
    pthread_mutex_unlock(&j->lock);
    return e;
}

uint32_t esgx_wasm_jit_refused(const esgx_wasm_jit *j)
{
    return __atomic_load_n(&j->n_refused, __ATOMIC_RELAXED);
}

/* Whether every function of m has its internal code (made now if m is lazy); false
 * after recording a trap on s when it cannot be made. */
static bool lowered_all(esgx_wasm_store *s, const esgx_wasm_module *m)
{
    esgx_err err = {0};
    if (esgx_wasm_lower_all(m, &err) == ESGX_OK) return true;
    esgx_wasm_store_trap(s, ESGX_WASM_TRAP_LIMIT, err.msg);
    return false;
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

/* Interprets code of inst at fp_off; a lazy module's code is made whole first (the
 * interpreter runs its callees' code directly). */
static int interpret(esgx_wasm_store *s, esgx_wasm_instance *inst, const esgx_wasm_code *code,
                     uint32_t fp_off)
{
    if (!lowered_all(s, inst->m)) return ESGX_WASM_E_TRAP;
    return esgx_wasm_exec_frame(s, inst, code, fp_off);
}

NO_SANITIZE_FUNCTION
int esgx_wasm_jit_run(esgx_wasm_store *s, esgx_wasm_instance *inst, const esgx_wasm_code *code,
                      uint32_t fp_off)
{
    void *e = resolve(inst->m, code);
    if (!e || !stack_fits(s)) return interpret(s, inst, code, fp_off);
    esgx_wasm_jit *j = inst->m->jit;
    esgx_wasm_instance *saved = s->jit_inst;
    uint32_t depth = s->depth;
    s->jit_inst = inst;
    /* the caller has counted the function and checked the limits; its entry counts
     * and checks again (the same checks pass) */
    s->depth = depth ? depth - 1 : 0;
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

uint64_t *esgx_jit_entry_slow(esgx_wasm_store *s, uint64_t *fp, uint64_t *end)
{
    if (s->depth >= s->limits.max_call_depth) {
        esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        return NULL;
    }
    return esgx_jit_stack_grow(s, fp, (uint64_t)(end - fp));
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
    if (!lowered_all(s, s->jit_inst->m)) return NULL;
    uint32_t off = (uint32_t)(callee_fp - s->stack);
    /* interpreted: the interpreter's call checks, as compiled code's entry does */
    if (s->depth >= s->limits.max_call_depth ||
        !esgx_wasm_exec_stack_reserve(s, (uint64_t)off + code->frame_size)) {
        esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        return NULL;
    }
    s->depth++;
    int rc = esgx_wasm_exec_frame(s, s->jit_inst, code, off);
    s->depth--;
    if (rc != ESGX_OK) return NULL;
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
    s->jit_fp = s->stack + fpo;
    void *e = f->inst->m->tier == ESGX_WASM_TIER_JIT ? resolve(f->inst->m, code) : NULL;
    if (e) {   /* the caller calls it natively, on f's instance; its entry checks */
        s->jit_caller_inst = inst;
        s->jit_inst = f->inst;
        return e;
    }
    if (!lowered_all(s, f->inst->m)) return NULL;
    if (s->depth >= s->limits.max_call_depth ||
        !esgx_wasm_exec_stack_reserve(s, (uint64_t)fpo + argbase + code->frame_size)) {
        esgx_wasm_store_trap(s, ESGX_WASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
        return NULL;
    }
    s->jit_fp = s->stack + fpo;
    s->depth++;
    int r = run_other(s, f->inst, code, fpo + argbase);
    s->depth--;
    s->jit_inst = inst;
    if (r) return NULL;
    s->jit_fp = s->stack + fpo;
    return ESGX_JIT_DONE;
}
