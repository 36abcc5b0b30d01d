/*
 * test_dump.c: esgx_wasm_module_dump_code on a small module (hand-encoded, no tools
 * needed): the header line of each function, ops by name with their operands (the
 * constant folded into I32_ADD_I, the call naming its callee), and the errors for an
 * index that is not a defined function.
 */
#define _GNU_SOURCE
#include "esgx_test.h"
#include "esgx_wasm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* (func (export "add1") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
 * (func (export "f") (result i32) i32.const 41 call 0) */
static const uint8_t module_bytes[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x01, 0x7f,
    0x03, 0x03, 0x02, 0x00, 0x01,
    0x07, 0x0c, 0x02, 0x04, 'a', 'd', 'd', '1', 0x00, 0x00, 0x01, 'f', 0x00, 0x01,
    0x0a, 0x10, 0x02, 0x07, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b,
    0x06, 0x00, 0x41, 0x29, 0x10, 0x00, 0x0b,
};

/* The dump of function index fi (UINT32_MAX: all) as a malloc'ed string, or NULL. */
static char *dump(const esgx_wasm_module *m, uint32_t fi, int want_rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(f != NULL);
    if (!f) return NULL;
    esgx_err err = {0};
    CHECK_RC(esgx_wasm_module_dump_code(m, fi, f, &err), want_rc);
    fclose(f);
    return text;
}

/* Whether some line of text contains all of the given pieces, in order. */
static bool has_line(const char *text, const char *a, const char *b)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)n, line);
        const char *pa = strstr(buf, a);
        if (pa && (!b || strstr(pa + strlen(a), b))) return true;
        line = end ? end + 1 : NULL;
    }
    return false;
}

int main(void)
{
    esgx_err err = {0};
    esgx_wasm_module *m = NULL;
    CHECK_RC(esgx_wasm_module_parse(module_bytes, sizeof module_bytes, NULL, &m, &err), ESGX_OK);
    if (!m) return ESGX_TEST_SUMMARY("wasm_dump");

    char *all = dump(m, UINT32_MAX, ESGX_OK);
    const char *A = all ? all : "";
    CHECK(all && has_line(all, "func 0: params 1, results 1", NULL), "%s", A);
    CHECK(all && has_line(all, "func 1: params 0, results 1", NULL), "%s", A);
    /* every function starts with its fuel block: add1 = local.get, i32.const, i32.add
     * (3 instructions), end costs nothing */
    CHECK(all && has_line(all, "     0  FUEL", "fuel=3"), "%s", A);
    /* local.get 0; i32.const 1; i32.add: one add of an immediate from slot 0 */
    CHECK(all && has_line(all, "I32_ADD_I", " s0 1"), "%s", A);
    CHECK(all && has_line(all, "RET1", NULL), "%s", A);
    /* the call names its callee; i32.const 41 (1) + call (4) */
    CHECK(all && has_line(all, "CONST32", "0x00000029"), "%s", A);
    CHECK(all && has_line(all, "CALL", "func0"), "%s", A);
    CHECK(all && has_line(all, "FUEL", "fuel=5"), "%s", A);
    free(all);

    char *one = dump(m, 1, ESGX_OK);
    CHECK(one && !has_line(one, "func 0:", NULL) && has_line(one, "func 1:", NULL), "%s",
          one ? one : "");
    free(one);

    free(dump(m, 2, ESGX_WASM_E_ARG));
    CHECK_RC(esgx_wasm_module_dump_code(m, 7, stdout, &err), ESGX_WASM_E_ARG);
    CHECK(strstr(err.msg, "function 7") != NULL, "%s", err.msg);
    esgx_wasm_module_free(m);
    return ESGX_TEST_SUMMARY("wasm_dump");
}
