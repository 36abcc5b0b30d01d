/*
 * json_span.c: the one scanner of raw JSON spans (esgx_json_member_span).
 *
 * Design: signed JSON documents (Intel's TCB info and QE identity, our attestation
 * document's collateral) are signed over the exact bytes of one member's value, so the
 * verifier must find those bytes without re-encoding anything. The text has already been
 * accepted by a strict parser, so this scanner only walks structure: whitespace, strings
 * (with escapes), nested objects and arrays by depth, and scalars up to the next
 * delimiter. Every step is bounded by n; malformed text gives ESGX_E_JSON, never a read
 * past the end.
 */
#include "esgx_common.h"

#include <string.h>

static size_t skip_ws(const char *s, size_t n, size_t p)
{
    while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\r' || s[p] == '\n')) p++;
    return p;
}

/* s[p] == '"': the index just past the closing quote, or 0 if the string never ends. */
static size_t skip_string(const char *s, size_t n, size_t p)
{
    for (p++; p < n; p++) {
        if (s[p] == '\\')
            p++;
        else if (s[p] == '"')
            return p + 1;
    }
    return 0;
}

/* The index just past the value that starts at s[p], or 0 if it is cut short. */
static size_t skip_value(const char *s, size_t n, size_t p)
{
    if (p >= n) return 0;
    if (s[p] == '"') return skip_string(s, n, p);
    if (s[p] == '{' || s[p] == '[') {
        size_t depth = 0;
        while (p < n) {
            char ch = s[p];
            if (ch == '"') {
                if (!(p = skip_string(s, n, p))) return 0;
                continue;
            }
            if (ch == '{' || ch == '[')
                depth++;
            else if ((ch == '}' || ch == ']') && --depth == 0)
                return p + 1;
            p++;
        }
        return 0;
    }
    size_t q = p;
    while (q < n && !strchr(",}] \t\r\n", s[q])) q++;
    return q > p ? q : 0;
}

int esgx_json_member_span(const char *s, size_t n, const char *key, size_t *start,
                          size_t *end, esgx_err *err)
{
    if (!s || !key || !start || !end)
        return esgx_err_set(err, ESGX_E_ARG, "esgx_json_member_span: bad argument");
    size_t klen = strlen(key), p = skip_ws(s, n, 0);
    if (p >= n || s[p] != '{')
        return esgx_err_set(err, ESGX_E_JSON, "JSON text is not an object");
    p = skip_ws(s, n, p + 1);
    while (p < n && s[p] == '"') {
        size_t ke = skip_string(s, n, p);
        if (!ke) break;
        int match = ke - p - 2 == klen && !memcmp(s + p + 1, key, klen);
        p = skip_ws(s, n, ke);
        if (p >= n || s[p] != ':') break;
        p = skip_ws(s, n, p + 1);
        size_t ve = skip_value(s, n, p);
        if (!ve) break;
        if (match) {
            *start = p;
            *end = ve;
            return ESGX_OK;
        }
        p = skip_ws(s, n, ve);
        if (p >= n || s[p] != ',') break;
        p = skip_ws(s, n, p + 1);
    }
    return esgx_err_set(err, ESGX_E_JSON, "JSON object has no member \"%s\"", key);
}
