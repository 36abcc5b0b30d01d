/*
 * json: reads a flat JSON object {"name": STRING, "count": INTEGER} and answers
 * {"greeting": "Hello, NAME!", "count": COUNT + 1, "name_bytes": N}; bad input gets
 * {"error": MESSAGE}. The same contract as sdk/rust/examples/json.rs.
 */
#include "esgx_sdk.h"

static void answer_error(const char *msg)
{
    char buf[256];
    esgx_json_writer w;
    esgx_json_begin(&w, buf, sizeof buf);
    esgx_json_str(&w, "error", msg, esgx_strlen(msg));
    int32_t n = esgx_json_end(&w);
    if (n > 0) fn0_output_data_append(buf, (uint32_t)n);
}

ESGX_MAIN
{
    uint32_t n;
    char *text = (char *)esgx_input_read(&n);
    esgx_json_member m[16];
    const char *err = "out of memory";
    int count = text ? esgx_json_parse(text, n, m, 16, &err) : -1;
    if (count < 0) {
        answer_error(err);
        return 0;
    }
    const esgx_json_member *name = esgx_json_get(m, count, "name");
    const esgx_json_member *cnt = esgx_json_get(m, count, "count");
    if (!name || name->type != ESGX_JSON_STRING) {
        answer_error("\"name\" must be a string");
        return 0;
    }
    if (cnt && (cnt->type != ESGX_JSON_NUMBER || !cnt->is_int)) {
        answer_error("\"count\" must be an integer");
        return 0;
    }
    uint32_t cap = 2 * name->str_len * 3 + 128;      /* worst case: every byte escaped */
    char *greeting = esgx_alloc(name->str_len + 8), *out = esgx_alloc(cap);
    if (!greeting || !out) return 1;
    memcpy(greeting, "Hello, ", 7);
    memcpy(greeting + 7, name->str, name->str_len);
    greeting[7 + name->str_len] = '!';
    esgx_json_writer w;
    esgx_json_begin(&w, out, cap);
    esgx_json_str(&w, "greeting", greeting, name->str_len + 8);
    esgx_json_int(&w, "count", (cnt ? cnt->inum : 0) + 1);
    esgx_json_int(&w, "name_bytes", name->str_len);
    int32_t len = esgx_json_end(&w);
    if (len < 0) return 1;
    fn0_output_data_append(out, (uint32_t)len);
    return 0;
}
