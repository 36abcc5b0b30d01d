/*
 * esgx_mem.h: memory for freestanding C guests: memcpy/memmove/memset/memcmp (which
 * clang calls for struct copies and large initialisers even with -ffreestanding), a
 * bump allocator on top of memory.grow, and reading the whole input into a buffer.
 *
 * Compile with -mbulk-memory: clang then turns every memcpy/memset (the calls it makes
 * and __builtin_memcpy/__builtin_memset) into the single instructions memory.copy and
 * memory.fill, which esgx runs at native speed. Without it the functions below fall
 * back to byte loops. The definitions are weak, so several files may include this
 * header, and a libc (wasi-libc) wins over them when linked.
 *
 * The allocator never frees: a function runs once per fresh instance, so a bump
 * allocator is all most guests need.
 */
#ifndef ESGX_MEM_H
#define ESGX_MEM_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__wasm__)
#error "esgx_mem.h is for WebAssembly guests (clang --target=wasm32)"
#endif

#include "esgx_fn0.h"

#define ESGX_WEAK __attribute__((weak))

/* Copies n bytes from s to d (the ranges must not overlap). Returns d. */
ESGX_WEAK void *memcpy(void *d, const void *s, size_t n)
{
#if defined(__wasm_bulk_memory__)
    __builtin_memcpy(d, s, n);          /* memory.copy */
#else
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--) *dp++ = *sp++;
#endif
    return d;
}

/* Copies n bytes from s to d; the ranges may overlap. Returns d. */
ESGX_WEAK void *memmove(void *d, const void *s, size_t n)
{
#if defined(__wasm_bulk_memory__)
    __builtin_memmove(d, s, n);         /* memory.copy handles overlap */
#else
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp < sp) {
        while (n--) *dp++ = *sp++;
    } else {
        while (n--) dp[n] = sp[n];
    }
#endif
    return d;
}

/* Sets n bytes at d to (unsigned char)c. Returns d. */
ESGX_WEAK void *memset(void *d, int c, size_t n)
{
#if defined(__wasm_bulk_memory__)
    __builtin_memset(d, c, n);          /* memory.fill */
#else
    unsigned char *dp = d;
    while (n--) *dp++ = (unsigned char)c;
#endif
    return d;
}

/* Compares n bytes. Returns <0, 0 or >0 as the first differing byte of a is lower,
 * equal or higher than b's. */
ESGX_WEAK int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] - y[i];
    return 0;
}

extern unsigned char __heap_base;       /* provided by wasm-ld: end of static data */
ESGX_WEAK uint32_t esgx_heap_top;       /* next free byte; 0 = not started */

/* Allocates n bytes, 8-byte aligned, growing the memory as needed; never freed.
 * Returns NULL when the memory cannot grow (node limit, 64 MiB by default). */
static inline void *esgx_alloc(uint32_t n)
{
    if (!esgx_heap_top) esgx_heap_top = (uint32_t)(uintptr_t)&__heap_base;
    uint32_t start = (esgx_heap_top + 7u) & ~7u;
    if (start < esgx_heap_top || n > UINT32_MAX - start) return NULL;
    uint32_t end = start + n;
    uint32_t have = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        uint32_t pages = (end - have + 65535u) / 65536u;
        if ((int32_t)__builtin_wasm_memory_grow(0, pages) < 0) return NULL;
    }
    esgx_heap_top = end;
    return (void *)(uintptr_t)start;
}

/* Reads the whole input into a new buffer (esgx_alloc; one extra byte holds a NUL so
 * text input can be used as a C string). Sets *len to the input length. Returns the
 * buffer, or NULL if memory ran out. */
static inline uint8_t *esgx_input_read(uint32_t *len)
{
    uint32_t n = (uint32_t)fn0_input_data_size();
    uint8_t *buf = esgx_alloc(n + 1);
    if (!buf) return NULL;
    if (n && fn0_input_data_copy(buf, 0, n) != 0) return NULL;
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Length of the NUL-terminated string s. */
static inline uint32_t esgx_strlen(const char *s)
{
    uint32_t n = 0;
    while (s[n]) n++;
    return n;
}

/* A short description of a fn0 error code (FN0_ERR_*), e.g. "not approved". */
static inline const char *esgx_fn0_strerror(int32_t code)
{
    switch (code) {
    case FN0_OK: return "ok";
    case FN0_ERR_OUT_OF_FUEL: return "out of fuel";
    case FN0_ERR_OUT_OF_BOUNDS: return "out of bounds";
    case FN0_ERR_INVALID_PATH: return "invalid derivation path";
    case FN0_ERR_DERIVATION: return "key derivation failed";
    case FN0_ERR_BAD_HEADER: return "invalid approved-wasm header";
    case FN0_ERR_NOT_APPROVED: return "this module is not approved for the data";
    case FN0_ERR_DECRYPT: return "decryption failed";
    default: return "unexpected host error";
    }
}

/* Replaces the output with "error: MESSAGE (CODE)" for a fn0 error code, e.g.
 * "error: decryption failed (-7)". */
static inline void esgx_output_fn0_error(int32_t code)
{
    char num[16];
    int k = sizeof num;
    uint32_t u = code < 0 ? 0u - (uint32_t)code : (uint32_t)code;
    num[--k] = ')';
    do num[--k] = (char)('0' + u % 10); while (u /= 10);
    if (code < 0) num[--k] = '-';
    num[--k] = '(';
    num[--k] = ' ';
    fn0_output_data_clear();
    fn0_output_data_append("error: ", 7);
    fn0_output_str(esgx_fn0_strerror(code));
    fn0_output_data_append(num + k, (uint32_t)(sizeof num - (uint32_t)k));
}

#endif
