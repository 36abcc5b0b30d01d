/*
 * esgx_json.h: a small JSON reader and writer for flat objects (string, number,
 * true/false/null members): enough for request and response bodies without a libc.
 *
 * The reader parses a writable buffer and decodes strings in place (escapes only ever
 * shorten them), so members point into the caller's text; nested objects and arrays
 * are refused. The writer fills a caller's buffer and reports overflow at the end.
 * Self-contained (stdint only): usable in guests and in native code alike.
 */
#ifndef ESGX_JSON_H
#define ESGX_JSON_H

#include <stdint.h>

typedef enum {
    ESGX_JSON_STRING, ESGX_JSON_NUMBER, ESGX_JSON_TRUE, ESGX_JSON_FALSE, ESGX_JSON_NULL
} esgx_json_type;

typedef struct {
    const char *key;        /* decoded, not NUL-terminated */
    uint32_t key_len;
    esgx_json_type type;
    const char *str;        /* ESGX_JSON_STRING: decoded UTF-8, not NUL-terminated */
    uint32_t str_len;
    int is_int;             /* ESGX_JSON_NUMBER: no fraction/exponent and fits int64 */
    int64_t inum;           /* the value when is_int */
    double num;             /* the value (approximate for long decimals) */
} esgx_json_member;

typedef struct {
    char *s;
    uint32_t i, n;
    const char *err;        /* first error, static text */
} esgx_json_parser_;

static inline void esgx_json_ws_(esgx_json_parser_ *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

static inline int esgx_json_eat_(esgx_json_parser_ *p, char c)
{
    esgx_json_ws_(p);
    if (p->i < p->n && p->s[p->i] == c) {
        p->i++;
        return 1;
    }
    return 0;
}

static inline int esgx_json_hex4_(esgx_json_parser_ *p, uint32_t *v)
{
    *v = 0;
    if (p->n - p->i < 4) return -1;
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        *v = *v << 4 | (uint32_t)d;
    }
    return 0;
}

/* Writes code point cp as UTF-8 at s[*o]; returns -1 for a surrogate or > 0x10ffff. */
static inline int esgx_json_utf8_(char *s, uint32_t *o, uint32_t cp)
{
    if ((cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff) return -1;
    if (cp < 0x80) {
        s[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        s[(*o)++] = (char)(0xc0 | cp >> 6);
        s[(*o)++] = (char)(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
        s[(*o)++] = (char)(0xe0 | cp >> 12);
        s[(*o)++] = (char)(0x80 | (cp >> 6 & 63));
        s[(*o)++] = (char)(0x80 | (cp & 63));
    } else {
        s[(*o)++] = (char)(0xf0 | cp >> 18);
        s[(*o)++] = (char)(0x80 | (cp >> 12 & 63));
        s[(*o)++] = (char)(0x80 | (cp >> 6 & 63));
        s[(*o)++] = (char)(0x80 | (cp & 63));
    }
    return 0;
}

/* Parses a string at p (after whitespace), decoding it in place. */
static inline int esgx_json_string_(esgx_json_parser_ *p, const char **out, uint32_t *len)
{
    if (!esgx_json_eat_(p, '"')) return p->err = "expected a string", -1;
    uint32_t o = p->i;
    *out = p->s + o;
    for (;;) {
        if (p->i >= p->n) return p->err = "unterminated string", -1;
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c == '"') break;
        if (c < 0x20) return p->err = "control character in a string", -1;
        if (c != '\\') {
            p->s[o++] = (char)c;
            continue;
        }
        if (p->i >= p->n) return p->err = "unterminated string", -1;
        char e = p->s[p->i++];
        uint32_t cp, lo;
        switch (e) {
        case '"': case '\\': case '/': p->s[o++] = e; break;
        case 'b': p->s[o++] = '\b'; break;
        case 'f': p->s[o++] = '\f'; break;
        case 'n': p->s[o++] = '\n'; break;
        case 'r': p->s[o++] = '\r'; break;
        case 't': p->s[o++] = '\t'; break;
        case 'u':
            if (esgx_json_hex4_(p, &cp)) return p->err = "bad \\u escape", -1;
            if (cp >= 0xd800 && cp < 0xdc00 && p->n - p->i >= 6 && p->s[p->i] == '\\' &&
                p->s[p->i + 1] == 'u') {
                p->i += 2;
                if (esgx_json_hex4_(p, &lo) || lo < 0xdc00 || lo >= 0xe000)
                    return p->err = "bad surrogate pair", -1;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (esgx_json_utf8_(p->s, &o, cp)) return p->err = "bad \\u escape", -1;
            break;
        default: return p->err = "bad escape", -1;
        }
    }
    *len = (uint32_t)(p->s + o - *out);
    return 0;
}

/* Parses a number at p into m. */
static inline int esgx_json_number_(esgx_json_parser_ *p, esgx_json_member *m)
{
    uint32_t start = p->i;
    int neg = 0, digits = 0, frac_digits = 0;
    int64_t exp10 = 0;
    double v = 0, scale = 1;
    uint64_t iv = 0;
    m->is_int = 1;
    if (p->i < p->n && p->s[p->i] == '-') neg = 1, p->i++;
    while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        int d = p->s[p->i++] - '0';
        v = v * 10 + d;
        if (iv > (UINT64_C(9223372036854775807) - (uint64_t)d) / 10) m->is_int = 0;
        else iv = iv * 10 + (uint64_t)d;
        digits++;
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        p->i++, m->is_int = 0;
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            v += (p->s[p->i++] - '0') / (scale *= 10), frac_digits++;
        if (!frac_digits) return p->err = "bad number", -1;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        int eneg = 0, edigits = 0;
        p->i++, m->is_int = 0;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) eneg = p->s[p->i++] == '-';
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
            if (exp10 < 400) exp10 = exp10 * 10 + (p->s[p->i] - '0');
            p->i++, edigits++;
        }
        if (!edigits) return p->err = "bad number", -1;
        for (; exp10 > 0; exp10--) v = eneg ? v / 10 : v * 10;
    }
    if (!digits || p->i == start) return p->err = "bad value", -1;
    m->type = ESGX_JSON_NUMBER;
    m->num = neg ? -v : v;
    m->inum = neg ? -(int64_t)iv : (int64_t)iv;
    return 0;
}

/* Parses the flat JSON object in text[0..len) (writable: strings are decoded in place)
 * into members[0..max). Returns the member count, or -1 with *err set to a static
 * message (bad syntax, a nested value, more than max members, junk after the object). */
static inline int esgx_json_parse(char *text, uint32_t len, esgx_json_member *members,
                                  int max, const char **err)
{
    esgx_json_parser_ p = {text, 0, len, 0};
    int count = 0;
    if (!esgx_json_eat_(&p, '{')) p.err = "expected '{'";
    else if (!esgx_json_eat_(&p, '}')) {
        for (;;) {
            if (count == max) { p.err = "too many members"; break; }
            esgx_json_member *m = &members[count];
            if (esgx_json_string_(&p, &m->key, &m->key_len)) break;
            if (!esgx_json_eat_(&p, ':')) { p.err = "expected ':'"; break; }
            esgx_json_ws_(&p);
            const char *rest = p.s + p.i;
            uint32_t left = p.n - p.i;
            m->is_int = 0;
            if (left && rest[0] == '"') {
                m->type = ESGX_JSON_STRING;
                if (esgx_json_string_(&p, &m->str, &m->str_len)) break;
            } else if (left && (rest[0] == '{' || rest[0] == '[')) {
                p.err = "nested values are not supported"; break;
            } else if (left >= 4 && rest[0] == 't' && rest[1] == 'r' && rest[2] == 'u' && rest[3] == 'e') {
                m->type = ESGX_JSON_TRUE, p.i += 4;
            } else if (left >= 5 && rest[0] == 'f' && rest[1] == 'a' && rest[2] == 'l' &&
                       rest[3] == 's' && rest[4] == 'e') {
                m->type = ESGX_JSON_FALSE, p.i += 5;
            } else if (left >= 4 && rest[0] == 'n' && rest[1] == 'u' && rest[2] == 'l' && rest[3] == 'l') {
                m->type = ESGX_JSON_NULL, p.i += 4;
            } else if (esgx_json_number_(&p, m)) {
                break;
            }
            count++;
            if (esgx_json_eat_(&p, '}')) break;
            if (!esgx_json_eat_(&p, ',')) { p.err = "expected ',' or '}'"; break; }
        }
    }
    if (!p.err) {
        esgx_json_ws_(&p);
        if (p.i != p.n) p.err = "junk after the object";
    }
    if (p.err) {
        if (err) *err = p.err;
        return -1;
    }
    return count;
}

/* The member named key (NUL-terminated) among members[0..count), or NULL. */
static inline const esgx_json_member *esgx_json_get(const esgx_json_member *members,
                                                    int count, const char *key)
{
    for (int i = 0; i < count; i++) {
        uint32_t k = 0;
        while (k < members[i].key_len && key[k] && key[k] == members[i].key[k]) k++;
        if (k == members[i].key_len && !key[k]) return &members[i];
    }
    return 0;
}

/* ---------------------------------------------------------------- writer */

typedef struct {
    char *buf;
    uint32_t cap, len;
    int count;              /* members written */
    int overflow;           /* set when buf was too small */
} esgx_json_writer;

static inline void esgx_json_put_(esgx_json_writer *w, const char *s, uint32_t n)
{
    if (n > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    for (uint32_t i = 0; i < n; i++) w->buf[w->len + i] = s[i];
    w->len += n;
}

/* Writes s[0..n) as a JSON string literal (quotes included, escapes as needed). */
static inline void esgx_json_quote(esgx_json_writer *w, const char *s, uint32_t n)
{
    static const char hexd[] = "0123456789abcdef";
    esgx_json_put_(w, "\"", 1);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 0, '0', '0', 0, 0};
        if (c == '"' || c == '\\') esc[1] = (char)c, esgx_json_put_(w, esc, 2);
        else if (c == '\n') esgx_json_put_(w, "\\n", 2);
        else if (c == '\r') esgx_json_put_(w, "\\r", 2);
        else if (c == '\t') esgx_json_put_(w, "\\t", 2);
        else if (c < 0x20) {
            esc[1] = 'u', esc[4] = hexd[c >> 4], esc[5] = hexd[c & 15];
            esgx_json_put_(w, esc, 6);
        } else esgx_json_put_(w, (const char *)&c, 1);
    }
    esgx_json_put_(w, "\"", 1);
}

/* Starts an object in buf[0..cap). */
static inline void esgx_json_begin(esgx_json_writer *w, char *buf, uint32_t cap)
{
    w->buf = buf, w->cap = cap, w->len = 0, w->count = 0, w->overflow = 0;
    esgx_json_put_(w, "{", 1);
}

/* Writes the key (NUL-terminated) of the next member, with its comma. */
static inline void esgx_json_key(esgx_json_writer *w, const char *key)
{
    if (w->count++) esgx_json_put_(w, ",", 1);
    uint32_t n = 0;
    while (key[n]) n++;
    esgx_json_quote(w, key, n);
    esgx_json_put_(w, ":", 1);
}

/* Adds member key: the string value[0..n). */
static inline void esgx_json_str(esgx_json_writer *w, const char *key, const char *value,
                                 uint32_t n)
{
    esgx_json_key(w, key);
    esgx_json_quote(w, value, n);
}

/* Adds member key: the integer v. */
static inline void esgx_json_int(esgx_json_writer *w, const char *key, int64_t v)
{
    char digits[20];
    int k = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    esgx_json_key(w, key);
    if (v < 0) esgx_json_put_(w, "-", 1);
    do digits[k++] = (char)('0' + u % 10); while (u /= 10);
    while (k) esgx_json_put_(w, &digits[--k], 1);
}

/* Adds member key: true or false. */
static inline void esgx_json_bool(esgx_json_writer *w, const char *key, int v)
{
    esgx_json_key(w, key);
    if (v) esgx_json_put_(w, "true", 4);
    else esgx_json_put_(w, "false", 5);
}

/* Closes the object. Returns its length in bytes, or -1 if the buffer was too small. */
static inline int32_t esgx_json_end(esgx_json_writer *w)
{
    esgx_json_put_(w, "}", 1);
    return w->overflow ? -1 : (int32_t)w->len;
}

#endif
