/*
 * test_wipe.c: guest memory and the value stack are wiped before their blocks go back
 * to the heap. The test links with -Wl,--wrap=free,--wrap=realloc, so every free and
 * realloc made by the runtime (a static library) passes through a hook that scans the
 * block for two markers first: a 16-byte string in a data segment (so in linear
 * memory) and an i64 argument that a deep recursion leaves in every frame of the value
 * stack. A block freed, or moved by realloc, while it still holds a marker is a leak.
 * The module grows its memory several times and recurses deep enough to grow the value
 * stack, then everything is freed. A control block freed with a marker checks the
 * hook itself.
 */
#define _GNU_SOURCE
#include "esgx_test.h"
#include "esgx_wasm.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char mem_marker[16] = "ESGX-WIPE-MARK-1";
static const uint64_t stack_marker = 0x5e5c3e7a11b0c0deull;
static int leaks;

static bool holds_marker(const void *p)
{
    size_t n = malloc_usable_size((void *)p);
    return memmem(p, n, mem_marker, sizeof mem_marker) ||
           memmem(p, n, &stack_marker, sizeof stack_marker);
}

void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_realloc(void *p, size_t n);

void __wrap_free(void *p)
{
    if (p && holds_marker(p)) leaks++;
    __real_free(p);
}

void *__wrap_realloc(void *p, size_t n)
{
    bool held = p && holds_marker(p);
    void *q = __real_realloc(p, n);
    if (q && q != p && held) leaks++;   /* the old block went back with the marker */
    return q;
}

/* (memory 1 100) (data (i32.const 0) "ESGX-WIPE-MARK-1")
 * (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
 * (func $deep (export "deep") (param i32 i64) (result i64)
 *   local.get 0 i32.eqz if (result i64) local.get 1
 *   else local.get 0 i32.const 1 i32.sub local.get 1 call $deep end) */
static const uint8_t module_bytes[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x0c, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x02, 0x7f, 0x7e, 0x01, 0x7e,
    0x03, 0x03, 0x02, 0x00, 0x01,
    0x05, 0x04, 0x01, 0x01, 0x01, 0x64,
    0x07, 0x0f, 0x02, 0x04, 'g', 'r', 'o', 'w', 0x00, 0x00, 0x04, 'd', 'e', 'e', 'p', 0x00,
    0x01,
    0x0a, 0x1d, 0x02, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b,
    0x14, 0x00, 0x20, 0x00, 0x45, 0x04, 0x7e, 0x20, 0x01, 0x05, 0x20, 0x00, 0x41, 0x01, 0x6b,
    0x20, 0x01, 0x10, 0x01, 0x0b, 0x0b,
    0x0b, 0x16, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x10,
    'E', 'S', 'G', 'X', '-', 'W', 'I', 'P', 'E', '-', 'M', 'A', 'R', 'K', '-', '1',
};

static void run_guest(void)
{
    esgx_err err = {0};
    esgx_wasm_module *m = NULL;
    esgx_wasm_store *s = NULL;
    esgx_wasm_instance *inst = NULL;
    CHECK_RC(esgx_wasm_module_parse(module_bytes, sizeof module_bytes, NULL, &m, &err), ESGX_OK);
    CHECK_RC(esgx_wasm_store_new(NULL, &s, &err), ESGX_OK);
    if (!m || !s) goto out;
    CHECK_RC(esgx_wasm_instance_new(s, m, NULL, 0, &inst, NULL, &err), ESGX_OK);
    if (!inst) goto out;
    esgx_wasm_extern grow, deep;
    CHECK_RC(esgx_wasm_instance_export(inst, "grow", 4, &grow), ESGX_OK);
    CHECK_RC(esgx_wasm_instance_export(inst, "deep", 4, &deep), ESGX_OK);
    /* memory: 1 page -> 2 -> 6 -> 22 (each beyond the capacity: a new block) */
    int32_t deltas[] = {1, 4, 16}, want_old[] = {1, 2, 6};
    for (int i = 0; i < 3; i++) {
        esgx_wasm_value arg = {.type = ESGX_WASM_I32, .of.i32 = deltas[i]}, res;
        CHECK_RC(esgx_wasm_call(s, grow, &arg, 1, &res, 1, NULL, &err), ESGX_OK);
        CHECK_EQ_INT(res.of.i32, want_old[i]);
    }
    /* value stack: 3000 frames, each holding the marker (grows past 4096 slots) */
    esgx_wasm_value args[2] = {{.type = ESGX_WASM_I32, .of.i32 = 3000},
                               {.type = ESGX_WASM_I64, .of.i64 = (int64_t)stack_marker}};
    esgx_wasm_value res;
    CHECK_RC(esgx_wasm_call(s, deep, args, 2, &res, 1, NULL, &err), ESGX_OK);
    CHECK(res.of.i64 == (int64_t)stack_marker, "deep returned %llx",
          (unsigned long long)res.of.i64);
out:
    esgx_wasm_store_free(s);
    esgx_wasm_module_free(m);
}

int main(void)
{
    /* the hook sees a block freed with a marker (called through a volatile pointer:
     * the compiler may not drop the malloc / free pair) */
    void (*volatile release)(void *) = free;
    char *control = malloc(64);
    CHECK(control != NULL);
    if (control) {
        memcpy(control + 8, mem_marker, sizeof mem_marker);
        release(control);
    }
    CHECK_EQ_INT(leaks, 1);
    leaks = 0;

    run_guest();
    CHECK(leaks == 0, "%d freed or moved block(s) still held guest data", leaks);
    return ESGX_TEST_SUMMARY("wasm_wipe");
}
