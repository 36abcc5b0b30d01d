/*
 * results.c: the one table of invocation outcomes (ESGX_RESULT_CODES in esgx_proto.h)
 * and the tier names. The enclave picks a row to say why an invocation failed, esgxd
 * turns the RESULT's status and code into its HTTP status, and the CLI recognises a
 * code it reads back: all through this table, so no process compares code strings of
 * its own. Lookups are linear over a couple of dozen rows; nothing here keeps state.
 */
#include "esgx_proto.h"

#include <string.h>

static const esgx_result_code_info rows[ESGX_RC_COUNT] = {
#define ESGX_RC_ROW_(id, code, status, http, remember) [id] = {code, status, http, remember},
    ESGX_RESULT_CODES(ESGX_RC_ROW_)
#undef ESGX_RC_ROW_
};

const esgx_result_code_info *esgx_proto_result_code(int id)
{
    return id >= 0 && id < ESGX_RC_COUNT ? &rows[id] : NULL;
}

int esgx_proto_result_code_find(const char *s, size_t n)
{
    if (!s) return -1;
    for (int i = 0; i < ESGX_RC_COUNT; i++)
        if (strlen(rows[i].code) == n && memcmp(rows[i].code, s, n) == 0) return i;
    return -1;
}

unsigned esgx_proto_result_http_status(int status, const char *s, size_t n)
{
    int id = esgx_proto_result_code_find(s, n);
    if (id >= 0 && rows[id].status == status) return rows[id].http;
    switch (status) {
    case ESGX_RESULT_OK: return 200;
    case ESGX_RESULT_TRAP: return 422;
    case ESGX_RESULT_BAD_REQUEST: return 400;
    case ESGX_RESULT_NOT_READY: return 503;
    default: return 500;
    }
}

const char *esgx_proto_tier_name(int tier)
{
    return tier == ESGX_TIER_INTERP ? "interp" : tier == ESGX_TIER_JIT ? "jit" : NULL;
}

int esgx_proto_tier_parse(const char *text, int *tier, esgx_err *err)
{
    if (!text || !tier) return esgx_err_set(err, ESGX_PROTO_E_ARG, "tier: NULL argument");
    if (!strcmp(text, "interp") || !strcmp(text, "jit")) {
        *tier = text[0] == 'i' ? ESGX_TIER_INTERP : ESGX_TIER_JIT;
        return ESGX_OK;
    }
    char shown[40];
    esgx_escape_controls(text, shown, sizeof shown);
    return esgx_err_set(err, ESGX_PROTO_E_ARG, "tier '%s' is not 'interp' or 'jit'", shown);
}
