/*
 * test_decode.c: the decoder and validator on hostile input.
 *
 * Design notes: modules are built byte by byte here (no tools needed). Rejections are
 * checked through the public esgx_wasm_module_parse; the deep-nesting cases call
 * esgx_wasm_decode + esgx_wasm_validate directly so they test exactly the validator's bounded
 * control stack. Every case checks the error code and that a message was written; the
 * truncation and byte-flip sweeps check that every prefix / mutation of a valid module
 * gives a clean result (run under ASan+UBSan to catch any stray access). The fused
 * fast path of module.c is compared with the three separate passes on a module large
 * enough to be compiled by several threads.
 */
#include "wasm_exec.h"
#include "jit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_test.h"


/* ------------------------------------------------------------------ builder */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, uint8_t x)
{
    if (b->n >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint8_t *p = realloc(b->p, cap);
        if (!p) abort();
        b->p = p;
        b->cap = cap;
    }
    b->p[b->n++] = x;
}

static void putn(buf *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++) put(b, ((const uint8_t *)p)[i]);
}

static void leb(buf *b, uint64_t v)
{
    do {
        uint8_t x = v & 0x7f;
        v >>= 7;
        put(b, x | (v ? 0x80 : 0));
    } while (v);
}

static void header(buf *b)
{
    putn(b, "\0asm\1\0\0\0", 8);
}

static void section(buf *b, uint8_t id, const buf *content)
{
    put(b, id);
    leb(b, content->n);
    putn(b, content->p, content->n);
}

/* A module with type () -> (), one function, and the given body (locals included). */
static void one_func_module(buf *m, const buf *body)
{
    buf s = {0};
    header(m);
    putn(&s, "\x01\x60\x00\x00", 4);
    section(m, 1, &s);
    s.n = 0;
    putn(&s, "\x01\x00", 2);
    section(m, 3, &s);
    s.n = 0;
    put(&s, 1);
    leb(&s, body->n);
    putn(&s, body->p, body->n);
    section(m, 10, &s);
    free(s.p);
}

static int parse(const buf *b, const esgx_wasm_limits *lim, esgx_err *err)
{
    esgx_wasm_module *m = NULL;
    memset(err, 0, sizeof *err);
    int rc = esgx_wasm_module_parse(b->p, b->n, lim, &m, err);
    if (rc == 0) {
        if (!m) return -100;
        esgx_wasm_module_free(m);
    } else if (m) {
        return -101;
    }
    return rc;
}

/* decode + validate only (no compilation). */
static int decode_validate(const buf *b, const esgx_wasm_limits *lim, esgx_err *err)
{
    esgx_wasm_module m;
    memset(&m, 0, sizeof m);
    memset(err, 0, sizeof *err);
    int rc = esgx_wasm_decode(&m, b->p, b->n, lim, 0, err);
    if (rc == 0) rc = esgx_wasm_validate(&m, err);
    esgx_wasm_module_release(&m);
    return rc;
}

#define EXPECT_RC(rc, want, err, what)                                                 \
    CHECK((rc) == (want), "%s: rc %d, want %d (%s)", what, rc, want, (err).msg);     \
    CHECK((rc) == 0 || (err).msg[0], "%s: no error message", what)

/* ------------------------------------------------------------------ cases */

static void test_huge_sizes_and_counts(void)
{
    esgx_err err;
    buf b = {0};
    int rc;

    /* a section claiming 4 GiB */
    header(&b);
    putn(&b, "\x01\xff\xff\xff\xff\x0f\x01\x60\x00\x00", 10);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_MALFORMED, err, "huge section size");

    /* vectors claiming 2^32-1 entries in a tiny section, for each vector section */
    static const uint8_t ids[] = {1, 2, 3, 4, 5, 6, 7, 9, 10, 11};
    for (size_t i = 0; i < sizeof ids; i++) {
        b.n = 0;
        header(&b);
        putn(&b, (uint8_t[]){ids[i], 0x07, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00}, 9);
        rc = parse(&b, NULL, &err);
        CHECK(rc == ESGX_WASM_E_MALFORMED, "huge count in section %u: rc %d (%s)", ids[i], rc,
              err.msg);
    }

    /* a data segment claiming 4 GiB of bytes */
    b.n = 0;
    header(&b);
    putn(&b, "\x05\x03\x01\x00\x01", 5);                            /* memory 1 */
    putn(&b, "\x0b\x0a\x01\x00\x41\x00\x0b\xff\xff\xff\xff\x0f", 12);  /* data */
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_MALFORMED, err, "huge data segment");

    /* a name claiming 4 GiB */
    b.n = 0;
    header(&b);
    putn(&b, "\x00\x06\xff\xff\xff\xff\x0f\x00", 8);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_MALFORMED, err, "huge custom section name");

    /* a br_table claiming 2^32-1 labels */
    buf body = {0};
    putn(&body, "\x00\x41\x00\x0e\xff\xff\xff\xff\x0f\x00\x0b", 11);
    b.n = 0;
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_MALFORMED, err, "huge br_table");

    /* module larger than the configured limit */
    esgx_wasm_limits lim;
    esgx_wasm_limits_default(&lim);
    lim.max_module_size = 10;
    b.n = 0;
    one_func_module(&b, &(buf){(uint8_t *)"\x00\x0b", 2, 2});
    rc = parse(&b, &lim, &err);
    EXPECT_RC(rc, ESGX_WASM_E_LIMIT, err, "module size limit");

    /* too many functions for the configured limit */
    esgx_wasm_limits_default(&lim);
    lim.max_functions = 2;
    b.n = 0;
    header(&b);
    putn(&b, "\x01\x04\x01\x60\x00\x00", 6);
    putn(&b, "\x03\x04\x03\x00\x00\x00", 6);
    rc = parse(&b, &lim, &err);
    EXPECT_RC(rc, ESGX_WASM_E_LIMIT, err, "function limit");
    free(body.p);
    free(b.p);
}

static void test_locals(void)
{
    esgx_err err;
    buf body = {0}, b = {0};
    int rc;
    esgx_wasm_limits lim;
    esgx_wasm_limits_default(&lim);

    /* 100k locals in one group: over the default limit (50000) */
    put(&body, 1);
    leb(&body, 100000);
    put(&body, ESGX_WASM_I32);
    put(&body, 0x0b);
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_LIMIT, err, "100k locals, default limit");
    CHECK(strstr(err.msg, "too many locals") != NULL, "message: %s", err.msg);

    /* the same module with a higher limit is fine */
    lim.max_locals = 200000;
    rc = decode_validate(&b, &lim, &err);
    EXPECT_RC(rc, 0, err, "100k locals, limit 200k");

    /* 100k groups of one local each, also over the default limit */
    body.n = 0;
    b.n = 0;
    leb(&body, 100000);
    for (int i = 0; i < 100000; i++) putn(&body, "\x01\x7e", 2);
    put(&body, 0x0b);
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_LIMIT, err, "100k local groups");

    /* 2000 functions of 40000 locals each (4 bytes per declaration): within the
     * per-function limit, but the module-wide cap refuses 80M expanded locals */
    b.n = 0;
    {
        buf s = {0};
        header(&b);
        putn(&s, "\x01\x60\x00\x00", 4);
        section(&b, 1, &s);
        s.n = 0;
        leb(&s, 2000);
        for (int i = 0; i < 2000; i++) put(&s, 0);
        section(&b, 3, &s);
        s.n = 0;
        leb(&s, 2000);
        for (int i = 0; i < 2000; i++) putn(&s, "\x06\x01\xc0\xb8\x02\x7f\x0b", 7);
        section(&b, 10, &s);
        free(s.p);
    }
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_LIMIT, err, "module-wide locals cap");
    CHECK(strstr(err.msg, "too many locals in the module") != NULL, "message: %s", err.msg);

    /* counts summing past 2^32: malformed ("too many locals"), whatever the limit */
    body.n = 0;
    b.n = 0;
    putn(&body, "\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b", 10);
    one_func_module(&b, &body);
    lim.max_locals = UINT32_MAX;
    rc = parse(&b, &lim, &err);
    EXPECT_RC(rc, ESGX_WASM_E_MALFORMED, err, "locals overflow");
    free(body.p);
    free(b.p);
}

static void test_deep_nesting(void)
{
    esgx_err err;
    buf body = {0}, b = {0};
    int rc;
    const int depth = 100000;

    /* 100k nested empty blocks, properly closed: valid */
    put(&body, 0);
    for (int i = 0; i < depth; i++) putn(&body, "\x02\x40", 2);
    for (int i = 0; i < depth; i++) put(&body, 0x0b);
    put(&body, 0x0b);
    one_func_module(&b, &body);
    rc = decode_validate(&b, NULL, &err);
    EXPECT_RC(rc, 0, err, "100k nested blocks");

    /* the same with a small stack limit: refused cleanly */
    esgx_wasm_limits lim;
    esgx_wasm_limits_default(&lim);
    lim.max_value_stack = 1000;
    rc = decode_validate(&b, &lim, &err);
    EXPECT_RC(rc, ESGX_WASM_E_LIMIT, err, "100k nested blocks, limit 1000");

    /* 100k nested blocks each leaving an i32: the operand stack grows as well */
    body.n = 0;
    b.n = 0;
    put(&body, 0);
    for (int i = 0; i < depth; i++) putn(&body, "\x02\x7f", 2);
    putn(&body, "\x41\x00", 2);
    for (int i = 0; i < depth; i++) put(&body, 0x0b);
    putn(&body, "\x1a\x0b", 2);
    one_func_module(&b, &body);
    rc = decode_validate(&b, NULL, &err);
    EXPECT_RC(rc, 0, err, "100k nested value blocks");

    /* 100k nested blocks never closed: malformed */
    body.n = 0;
    b.n = 0;
    put(&body, 0);
    for (int i = 0; i < depth; i++) putn(&body, "\x02\x40", 2);
    put(&body, 0x0b);
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_MALFORMED, err, "100k unclosed blocks");

    /* 100k nested ifs with a type error deep inside: invalid, not a crash */
    body.n = 0;
    b.n = 0;
    put(&body, 0);
    for (int i = 0; i < depth; i++) putn(&body, "\x41\x01\x04\x40", 4);
    putn(&body, "\x42\x00", 2);   /* an i64 left in an empty if */
    for (int i = 0; i < depth; i++) put(&body, 0x0b);
    put(&body, 0x0b);
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_INVALID, err, "100k nested ifs, type error");
    CHECK(strstr(err.msg, "type mismatch") != NULL, "message: %s", err.msg);
    free(body.p);
    free(b.p);
}

/* Instructions whose typing costs O(arity): 100k calls of a 5000-parameter function
 * in unreachable code would be 5e8 stack operations; the work budget refuses it. */
static void test_costly_module(void)
{
    esgx_err err;
    buf b = {0}, s = {0};
    header(&b);
    put(&s, 1);
    put(&s, 0x60);
    leb(&s, 5000);
    for (int i = 0; i < 5000; i++) put(&s, ESGX_WASM_I32);
    put(&s, 0);
    section(&b, 1, &s);
    s.n = 0;
    putn(&s, "\x01\x00", 2);
    section(&b, 3, &s);
    buf body = {0};
    putn(&body, "\x00\x00", 2);
    for (int i = 0; i < 100000; i++) putn(&body, "\x10\x00", 2);
    put(&body, 0x0b);
    s.n = 0;
    put(&s, 1);
    leb(&s, body.n);
    putn(&s, body.p, body.n);
    section(&b, 10, &s);
    int rc = decode_validate(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_LIMIT, err, "costly module");
    /* the same with 100 calls is fine */
    body.n = 2 + 200;
    put(&body, 0x0b);
    b.n = 0;
    header(&b);
    s.n = 0;
    put(&s, 1);
    put(&s, 0x60);
    leb(&s, 5000);
    for (int i = 0; i < 5000; i++) put(&s, ESGX_WASM_I32);
    put(&s, 0);
    section(&b, 1, &s);
    s.n = 0;
    putn(&s, "\x01\x00", 2);
    section(&b, 3, &s);
    s.n = 0;
    put(&s, 1);
    leb(&s, body.n);
    putn(&s, body.p, body.n);
    section(&b, 10, &s);
    rc = decode_validate(&b, NULL, &err);
    EXPECT_RC(rc, 0, err, "100 calls of a 5000-parameter function");
    free(body.p);
    free(s.p);
    free(b.p);
}

static void test_unsupported(void)
{
    esgx_err err;
    buf body = {0}, b = {0};
    int rc;
    /* SIMD is supported: v128.const, drop */
    put(&body, 0);
    putn(&body, "\xfd\x0c", 2);
    for (int i = 0; i < 16; i++) put(&body, 0);
    putn(&body, "\x1a\x0b", 2);
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_OK, err, "SIMD instruction");
    /* a v128 parameter */
    b.n = 0;
    header(&b);
    putn(&b, "\x01\x05\x01\x60\x01\x7b\x00", 7);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_OK, err, "v128 type");
    /* an unassigned SIMD sub-opcode (0x9a, LEB 0x9a 0x01) is malformed */
    body.n = 0;
    b.n = 0;
    putn(&body, "\x00\xfd\x9a\x01\x0b", 5);
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_MALFORMED, err, "unassigned SIMD opcode");
    CHECK(strstr(err.msg, "illegal opcode") != NULL, "message: %s", err.msg);
    /* a lane index out of range is invalid: i32x4.extract_lane 4 of a v128.const */
    body.n = 0;
    b.n = 0;
    put(&body, 0);
    putn(&body, "\xfd\x0c", 2);
    for (int i = 0; i < 16; i++) put(&body, 0);
    putn(&body, "\xfd\x1b\x04\x1a\x0b", 5);
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_INVALID, err, "lane index");
    CHECK(strstr(err.msg, "invalid lane index") != NULL, "message: %s", err.msg);
    /* threads: an atomic instruction */
    body.n = 0;
    b.n = 0;
    putn(&body, "\x00\xfe\x03\x00\x0b", 5);
    one_func_module(&b, &body);
    rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, ESGX_WASM_E_UNSUPPORTED, err, "atomic instruction");
    CHECK(strstr(err.msg, "threads") != NULL, "message: %s", err.msg);
    free(body.p);
    free(b.p);
}

/* A valid module using every section. */
static void rich_module(buf *b)
{
    static const uint8_t bytes[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x09, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f,  /* types */
        0x02, 0x07, 0x01, 0x01, 0x6d, 0x01, 0x66, 0x00, 0x01,              /* import m.f */
        0x03, 0x03, 0x02, 0x00, 0x01,                                      /* funcs */
        0x04, 0x04, 0x01, 0x70, 0x00, 0x01,                                /* table */
        0x05, 0x04, 0x01, 0x01, 0x01, 0x02,                                /* memory */
        0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x2a, 0x0b,                    /* global */
        0x07, 0x05, 0x01, 0x01, 0x67, 0x00, 0x02,                          /* export */
        0x08, 0x01, 0x01,                                                  /* start */
        0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x02,              /* elem */
        0x0c, 0x01, 0x01,                                                  /* datacount */
        0x0a, 0x18, 0x02, 0x03, 0x00, 0x01, 0x0b,                          /* code */
        0x12, 0x01, 0x01, 0x7e, 0x20, 0x00, 0x02, 0x7f, 0x41, 0x01, 0x0b, 0x6a,
        0x41, 0x00, 0x28, 0x02, 0x04, 0x6a, 0x0b,
        0x0b, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x68, 0x69,        /* data */
        0x00, 0x03, 0x01, 0x78, 0xff,                                      /* custom */
    };
    putn(b, bytes, sizeof bytes);
}

static void test_truncation_and_flips(void)
{
    esgx_err err;
    buf b = {0};
    rich_module(&b);
    int rc = parse(&b, NULL, &err);
    EXPECT_RC(rc, 0, err, "rich module");
    rc = decode_validate(&b, NULL, &err);
    EXPECT_RC(rc, 0, err, "rich module (decode+validate)");

    /* every prefix: a clean result; the header prefixes and mid-section cuts fail */
    size_t full = b.n;
    for (size_t n = 0; n < full; n++) {
        buf t = {b.p, n, n};
        rc = parse(&t, NULL, &err);
        CHECK(rc == 0 || rc == ESGX_WASM_E_MALFORMED, "prefix %zu: rc %d (%s)", n, rc, err.msg);
        CHECK(rc == 0 || err.msg[0], "prefix %zu: no message", n);
        if (n < 8) CHECK(rc == ESGX_WASM_E_MALFORMED, "header prefix %zu: rc %d", n, rc);
    }
    /* every byte replaced by a few interesting values: any code, never a crash */
    static const uint8_t vals[] = {0x00, 0x01, 0x0b, 0x40, 0x7f, 0x80, 0xfc, 0xff};
    int ok = 0, bad = 0;
    for (size_t i = 0; i < full; i++) {
        uint8_t orig = b.p[i];
        for (size_t k = 0; k < sizeof vals; k++) {
            if (vals[k] == orig) continue;
            b.p[i] = vals[k];
            rc = parse(&b, NULL, &err);
            CHECK(rc <= 0 && rc >= ESGX_WASM_E_NOT_FOUND, "flip %zu=%02x: rc %d", i, vals[k], rc);
            CHECK(rc == 0 || err.msg[0], "flip %zu=%02x: no message", i, vals[k]);
            if (rc == 0) ok++;
            else bad++;
        }
        b.p[i] = orig;
    }
    CHECK(bad > 0, "no mutation was rejected");
    fprintf(stderr, "byte flips: %d accepted, %d rejected\n", ok, bad);
    free(b.p);
}

static void test_spec_style_errors(void)
{
    esgx_err err;
    int rc;
    struct {
        const char *bytes;
        size_t len;
        int want;
        const char *msg;
    } cases[] = {
        {"\0asm\1\0\0", 7, ESGX_WASM_E_MALFORMED, "unexpected end"},
        {"\0asx\1\0\0\0", 8, ESGX_WASM_E_MALFORMED, "magic header not detected"},
        {"\0asm\2\0\0\0", 8, ESGX_WASM_E_MALFORMED, "unknown binary version"},
        {"\0asm\1\0\0\0\x0d\x00", 10, ESGX_WASM_E_MALFORMED, "malformed section id"},
        {"\0asm\1\0\0\0\x05\x07\x01\x00\x82\x80\x80\x80\x70", 17, ESGX_WASM_E_MALFORMED,
         "integer too large"},
        {"\0asm\1\0\0\0\x05\x08\x01\x00\x82\x80\x80\x80\x80\x00", 18, ESGX_WASM_E_MALFORMED,
         "integer representation too long"},
        {"\0asm\1\0\0\0\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00", 18, ESGX_WASM_E_MALFORMED,
         "function and code section have inconsistent lengths"},
        {"\0asm\1\0\0\0\x05\x04\x01\x00\x00\x00", 14, ESGX_WASM_E_MALFORMED, "section size mismatch"},
        {"\0asm\1\0\0\0\x00\x03\x02\xc0\x80", 13, ESGX_WASM_E_MALFORMED,
         "malformed UTF-8 encoding"},
        {"\0asm\1\0\0\0\x05\x05\x02\x00\x00\x00\x00", 15, ESGX_WASM_E_INVALID, "multiple memories"},
        {"\0asm\1\0\0\0\x05\x04\x01\x01\x02\x01", 14, ESGX_WASM_E_INVALID,
         "size minimum must not be greater than maximum"},
        {"\0asm\1\0\0\0\x05\x05\x01\x00\x81\x80\x04", 15, ESGX_WASM_E_INVALID,
         "memory size must be at most 65536 pages"},
        {"\0asm\1\0\0\0\x06\x06\x01\x7f\x00\x42\x00\x0b", 16, ESGX_WASM_E_INVALID, "type mismatch"},
        {"\0asm\1\0\0\0\x06\x06\x01\x7f\x00\x23\x00\x0b", 16, ESGX_WASM_E_INVALID, "unknown global"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf b = {(uint8_t *)cases[i].bytes, cases[i].len, cases[i].len};
        rc = parse(&b, NULL, &err);
        CHECK(rc == cases[i].want, "case %zu (%s): rc %d (%s)", i, cases[i].msg, rc, err.msg);
        CHECK(strstr(err.msg, cases[i].msg) != NULL, "case %zu: message \"%s\", want \"%s\"",
              i, err.msg, cases[i].msg);
    }
}

/* ------------------------------------------------------------------ fast path */

/* A module of n functions (i32) -> i32, each a long chain of arithmetic and a loop,
 * more than 64 KiB of code in all so that several threads compile it. bad[k] replaces
 * one instruction of function k: 1 = a type error (i64.const where i32 is needed),
 * 2 = an illegal opcode (malformed), 3 = memory.init without a data count section. */
static void big_module(buf *m, uint32_t n, const uint8_t *bad)
{
    buf s = {0}, body = {0};
    header(m);
    putn(&s, "\x01\x60\x01\x7f\x01\x7f", 6);
    section(m, 1, &s);
    s.n = 0;
    leb(&s, n);
    for (uint32_t i = 0; i < n; i++) put(&s, 0);
    section(m, 3, &s);
    s.n = 0;
    putn(&s, "\x01\x00\x01", 3);   /* one memory, 1 page */
    section(m, 5, &s);
    s.n = 0;
    leb(&s, n);
    for (uint32_t i = 0; i < n; i++) {
        body.n = 0;
        putn(&body, "\x01\x01\x7f", 3);                 /* one i32 local */
        putn(&body, "\x03\x40", 2);                      /* loop */
        for (uint32_t k = 0; k < 60; k++) {
            putn(&body, "\x20\x00\x41", 3);             /* local.get 0; i32.const */
            leb(&body, (i * 131 + k * 7) & 0x3f);
            putn(&body, "\x6a\x21\x00", 3);             /* i32.add; local.set 0 */
        }
        if (bad && bad[i] == 1) putn(&body, "\x42\x00\x21\x00", 4); /* i64 into i32 */
        if (bad && bad[i] == 2) put(&body, 0xff);
        if (bad && bad[i] == 3) putn(&body, "\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00", 10);
        if (i % 50 == 7) putn(&body, "\x41\x00\x40\x00\x1a", 5); /* memory.grow 0; drop */
        putn(&body, "\x20\x00\x41\x80\x08\x49\x0d\x00", 8); /* br_if 0 (x < 1024) */
        putn(&body, "\x0b\x20\x00\x0b", 4);            /* end; local.get 0; end */
        leb(&s, body.n);
        putn(&s, body.p, body.n);
    }
    section(m, 10, &s);
    if (bad) {
        for (uint32_t i = 0; i < n; i++) {
            if (bad[i] != 3) continue;
            s.n = 0;
            putn(&s, "\x01\x01\x01\x00", 4);           /* one passive data segment */
            section(m, 11, &s);
            break;
        }
    }
    free(s.p);
    free(body.p);
}

static esgx_wasm_module *parse_threads(const buf *b, uint32_t threads, esgx_err *err, int *rc)
{
    esgx_wasm_limits lim;
    esgx_wasm_limits_default(&lim);
    lim.compile_threads = threads;
    lim.tier = ESGX_WASM_TIER_INTERP;   /* the fused pass (the compiler tier's is lazy) */
    esgx_wasm_module *m = NULL;
    memset(err, 0, sizeof *err);
    *rc = esgx_wasm_module_parse(b->p, b->n, &lim, &m, err);
    return m;
}

static void test_fast_path(void)
{
    enum { N = 400 };
    buf b = {0};
    esgx_err err;
    int rc;
    big_module(&b, N, NULL);
    CHECK(b.n > (96u << 10), "module only %zu bytes", b.n);

    /* the same compiled code from the exact passes and from 1, 2 and 4 threads */
    esgx_wasm_module ref;
    memset(&ref, 0, sizeof ref);
    memset(&err, 0, sizeof err);
    rc = esgx_wasm_decode(&ref, b.p, b.n, NULL, 0, &err);
    if (rc == 0) rc = esgx_wasm_validate(&ref, &err);
    if (rc == 0) rc = esgx_wasm_compile_module(&ref, NULL, 1, esgx_wasm_exec_handlers(), &err);
    CHECK(rc == 0, "exact passes: rc %d (%s)", rc, err.msg);
    const esgx_wasm_compiled *rc_ = ref.compiled;
    static const uint32_t threads[] = {1, 2, 4, 0};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0] && rc_; t++) {
        esgx_wasm_module *m = parse_threads(&b, threads[t], &err, &rc);
        CHECK(rc == 0 && m, "%u threads: rc %d (%s)", threads[t], rc, err.msg);
        if (!m) continue;
        const esgx_wasm_compiled *cm = m->compiled;
        for (uint32_t i = 0; i < N; i++) {
            const esgx_wasm_code *x = &cm->codes[i], *y = &rc_->codes[i];
            CHECK(x->n_words == y->n_words && x->frame_size == y->frame_size &&
                      !memcmp(x->words, y->words, (size_t)x->n_words * 4),
                  "%u threads: function %u compiled differently", threads[t], i);
        }
        esgx_wasm_module_free(m);
    }
    /* the compiler tier's lazy form: no code at parse, each function's made on demand
     * (out of order here) the same as the exact passes', grows[] as the jit finds it */
    esgx_wasm_limits lim;
    esgx_wasm_limits_default(&lim);
    lim.tier = ESGX_WASM_TIER_JIT;
    lim.compile_threads = 2;
    esgx_wasm_module *lz = NULL;
    memset(&err, 0, sizeof err);
    rc = esgx_wasm_module_parse(b.p, b.n, &lim, &lz, &err);
    CHECK(rc == 0 && lz, "lazy: rc %d (%s)", rc, err.msg);
    if (lz && rc_ && esgx_wasm_module_tier(lz) == ESGX_WASM_TIER_JIT) {
        esgx_wasm_compiled *cm = lz->compiled;
        CHECK(cm->lazy && !cm->codes[0].words && !cm->codes[N - 1].words, "lazy: code made at parse");
        for (uint32_t i = 0; i < N; i++) {
            const esgx_wasm_code *x = &cm->codes[i], *y = &rc_->codes[i];
            CHECK(x->n_params == y->n_params && x->n_results == y->n_results &&
                      x->n_locals == y->n_locals && x->func_index == y->func_index,
                  "lazy: function %u's header differs", i);
        }
        CHECK(esgx_wasm_lower(lz, N - 1, &err) == ESGX_OK, "lazy: %s", err.msg);
        CHECK(cm->codes[N - 1].words && !cm->codes[N - 2].words, "lazy: lowered more than one");
        CHECK(esgx_wasm_lower_all(lz, &err) == ESGX_OK, "lazy: %s", err.msg);
        uint8_t *grows = malloc(N);
        CHECK(grows && esgx_jit_grows(lz, grows) == ESGX_OK);
        for (uint32_t i = 0; i < N; i++) {
            const esgx_wasm_code *x = &cm->codes[i], *y = &rc_->codes[i];
            CHECK(x->n_words == y->n_words && x->frame_size == y->frame_size &&
                      !memcmp(x->words, y->words, (size_t)x->n_words * 4),
                  "lazy: function %u compiled differently", i);
            CHECK(!grows || grows[i] == cm->grows[i], "lazy: grows[%u] %d, jit's %d", i,
                  cm->grows[i], grows ? grows[i] : -1);
        }
        free(grows);
    }
    esgx_wasm_module_free(lz);
    esgx_wasm_compiled_free(&ref);
    esgx_wasm_module_release(&ref);

    /* errors are those of the exact passes, whatever the threads meet first */
    struct {
        uint32_t at[2];
        uint8_t kind[2];
        int want;
        const char *msg;
    } cases[] = {
        {{7, 390}, {1, 1}, ESGX_WASM_E_INVALID, "type mismatch"},
        {{7, 390}, {1, 2}, ESGX_WASM_E_MALFORMED, "illegal opcode"},
        {{390, 391}, {2, 1}, ESGX_WASM_E_MALFORMED, "illegal opcode"},
        {{3, 200}, {1, 3}, ESGX_WASM_E_MALFORMED, "data count section required"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint8_t bad[N] = {0};
        bad[cases[k].at[0]] = cases[k].kind[0];
        bad[cases[k].at[1]] = cases[k].kind[1];
        b.n = 0;
        big_module(&b, N, bad);
        for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
            esgx_wasm_module *m = parse_threads(&b, threads[t], &err, &rc);
            CHECK(!m && rc == cases[k].want && strstr(err.msg, cases[k].msg),
                  "case %zu, %u threads: rc %d (%s)", k, threads[t], rc, err.msg);
            if (cases[k].want == ESGX_WASM_E_INVALID) {
                char fn[32];
                snprintf(fn, sizeof fn, "function %u,", cases[k].at[0]);
                CHECK(strstr(err.msg, fn) != NULL, "case %zu: \"%s\" does not name %s", k,
                      err.msg, fn);
            }
            esgx_wasm_module_free(m);
        }
    }
    free(b.p);
}

int main(void)
{
    test_fast_path();
    test_spec_style_errors();
    test_huge_sizes_and_counts();
    test_locals();
    test_deep_nesting();
    test_costly_module();
    test_unsupported();
    test_truncation_and_flips();
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("wasm_decode: all passed\n");
    return 0;
}
