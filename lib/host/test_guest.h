/*
 * test_guest.h: a tiny WebAssembly binary writer for the lib/host tests and the
 * host-call benchmark, so they can make guests that call host functions in a loop
 * without an external assembler (wat2wasm).
 *
 * A guest has imported functions (indices 0..n-1), one memory of `pages` pages
 * exported as "memory", active data segments, and one function "main" of type
 * (i32) -> () with `extra_locals` i32 locals after its parameter. The body is given
 * without the function's final `end`. Helpers emit the few instructions the tests use.
 * Header-only (static inline functions) because each test program is one translation unit.
 */
#ifndef ESGX_HOST_TEST_GUEST_H
#define ESGX_HOST_TEST_GUEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct tg_buf {
    uint8_t *p;
    size_t n, cap;
} tg_buf;

/* One imported function: params and results as letters, 'i' = i32, 'I' = i64. */
typedef struct tg_import {
    const char *module, *name, *params, *results;
} tg_import;

typedef struct tg_data {
    uint32_t offset;
    const uint8_t *bytes;
    size_t len;
} tg_data;

/* Appends n bytes (aborts on allocation failure: test code). */
static inline void tg_put(tg_buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) abort();
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static inline void tg_byte(tg_buf *b, uint8_t v)
{
    tg_put(b, &v, 1);
}

static inline void tg_uleb(tg_buf *b, uint64_t v)
{
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        tg_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}

static inline void tg_sleb(tg_buf *b, int64_t v)
{
    for (;;) {
        uint8_t c = v & 0x7f;
        v >>= 7; /* arithmetic shift on every compiler the project uses */
        int done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        tg_byte(b, (uint8_t)(c | (done ? 0 : 0x80)));
        if (done) return;
    }
}

static inline void tg_name(tg_buf *b, const char *s)
{
    tg_uleb(b, strlen(s));
    tg_put(b, s, strlen(s));
}

static inline void tg_valtypes(tg_buf *b, const char *letters)
{
    tg_uleb(b, strlen(letters));
    for (const char *c = letters; *c; c++) tg_byte(b, *c == 'I' ? 0x7e : 0x7f);
}

/* Appends section `id` holding the bytes of s, and frees s. */
static inline void tg_section(tg_buf *out, uint8_t id, tg_buf *s)
{
    tg_byte(out, id);
    tg_uleb(out, s->n);
    tg_put(out, s->p, s->n);
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* Instructions. */
static inline void tg_i32(tg_buf *b, int64_t v) { tg_byte(b, 0x41); tg_sleb(b, (int32_t)v); }
static inline void tg_i64(tg_buf *b, int64_t v) { tg_byte(b, 0x42); tg_sleb(b, v); }
static inline void tg_call(tg_buf *b, uint32_t f) { tg_byte(b, 0x10); tg_uleb(b, f); }
static inline void tg_local_get(tg_buf *b, uint32_t i) { tg_byte(b, 0x20); tg_uleb(b, i); }
static inline void tg_local_set(tg_buf *b, uint32_t i) { tg_byte(b, 0x21); tg_uleb(b, i); }
static inline void tg_drop(tg_buf *b) { tg_byte(b, 0x1a); }
static inline void tg_loop(tg_buf *b) { tg_byte(b, 0x03); tg_byte(b, 0x40); }
static inline void tg_end(tg_buf *b) { tg_byte(b, 0x0b); }

/* i32.store [addr] = local 0 (the loop counter). */
static inline void tg_store_counter(tg_buf *b, uint32_t addr)
{
    tg_i32(b, addr);
    tg_local_get(b, 0);
    tg_byte(b, 0x36);
    tg_uleb(b, 2);
    tg_uleb(b, 0);
}

/* i32.store [addr] = local 0 & 7. */
static inline void tg_store_counter_mod8(tg_buf *b, uint32_t addr)
{
    tg_i32(b, addr);
    tg_local_get(b, 0);
    tg_i32(b, 7);
    tg_byte(b, 0x71); /* i32.and */
    tg_byte(b, 0x36);
    tg_uleb(b, 2);
    tg_uleb(b, 0);
}

/* memory.copy dst <- src, n bytes. */
static inline void tg_memcpy(tg_buf *b, uint32_t dst, uint32_t src, uint32_t n)
{
    tg_i32(b, dst);
    tg_i32(b, src);
    tg_i32(b, n);
    tg_byte(b, 0xfc);
    tg_uleb(b, 10);
    tg_byte(b, 0);
    tg_byte(b, 0);
}

/* Closes a tg_loop that runs local 0 times (local 0 >= 1 on entry): decrements local
 * 0 and branches back while it is not zero. */
static inline void tg_loop_end_countdown(tg_buf *b)
{
    tg_local_get(b, 0);
    tg_i32(b, 1);
    tg_byte(b, 0x6b); /* i32.sub */
    tg_byte(b, 0x22); /* local.tee 0 */
    tg_uleb(b, 0);
    tg_byte(b, 0x0d); /* br_if 0 */
    tg_uleb(b, 0);
    tg_end(b);
}

/* Writes the whole module into out (which it resets). */
static inline void tg_module(const tg_import *imp, uint32_t n_imp, const tg_buf *body,
                      uint32_t extra_locals, const tg_data *data, uint32_t n_data,
                      uint32_t pages, tg_buf *out)
{
    tg_buf s = {0};
    out->n = 0;
    tg_put(out, "\0asm\1\0\0\0", 8);
    tg_uleb(&s, n_imp + 1); /* types: one per import, then main's */
    for (uint32_t i = 0; i < n_imp; i++) {
        tg_byte(&s, 0x60);
        tg_valtypes(&s, imp[i].params);
        tg_valtypes(&s, imp[i].results);
    }
    tg_byte(&s, 0x60);
    tg_valtypes(&s, "i");
    tg_valtypes(&s, "");
    tg_section(out, 1, &s);
    tg_uleb(&s, n_imp);
    for (uint32_t i = 0; i < n_imp; i++) {
        tg_name(&s, imp[i].module);
        tg_name(&s, imp[i].name);
        tg_byte(&s, 0x00);
        tg_uleb(&s, i);
    }
    tg_section(out, 2, &s);
    tg_uleb(&s, 1);
    tg_uleb(&s, n_imp);
    tg_section(out, 3, &s);
    tg_uleb(&s, 1);
    tg_byte(&s, 0x00);
    tg_uleb(&s, pages);
    tg_section(out, 5, &s);
    tg_uleb(&s, 2);
    tg_name(&s, "memory");
    tg_byte(&s, 0x02);
    tg_uleb(&s, 0);
    tg_name(&s, "main");
    tg_byte(&s, 0x00);
    tg_uleb(&s, n_imp);
    tg_section(out, 7, &s);
    tg_buf code = {0};
    tg_uleb(&code, extra_locals ? 1 : 0);
    if (extra_locals) {
        tg_uleb(&code, extra_locals);
        tg_byte(&code, 0x7f);
    }
    tg_put(&code, body->p, body->n);
    tg_end(&code);
    tg_uleb(&s, 1);
    tg_uleb(&s, code.n);
    tg_put(&s, code.p, code.n);
    free(code.p);
    tg_section(out, 10, &s);
    tg_uleb(&s, n_data);
    for (uint32_t i = 0; i < n_data; i++) {
        tg_byte(&s, 0x00);
        tg_i32(&s, data[i].offset);
        tg_end(&s);
        tg_uleb(&s, data[i].len);
        tg_put(&s, data[i].bytes, data[i].len);
    }
    tg_section(out, 11, &s);
}

#endif
