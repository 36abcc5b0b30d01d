/*
 * common.c: the error convention, the error-code names, the number parser and the
 * monotonic clock of esgx_common.h. No state: every function works on its arguments.
 */
#include "esgx_common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *esgx_strerror(int code)
{
    switch (code) {
    case ESGX_OK: return "ESGX_OK (success)";
#define ESGX_CODE_NAME_(name, value, text) case value: return #name " (" text ")";
    ESGX_ERRORS(ESGX_CODE_NAME_)
#undef ESGX_CODE_NAME_
    default: return "unknown error code";
    }
}

/* The multiplier of a size suffix at *p (advancing *p past it), 1 for none, 0 for an
 * unknown suffix. */
static uint64_t size_suffix(const char **p)
{
    const char *s = *p;
    uint64_t mul;
    switch (*s) {
    case '\0': return 1;
    case 'K': case 'k': mul = 1ull << 10; break;
    case 'M': case 'm': mul = 1ull << 20; break;
    case 'G': case 'g': mul = 1ull << 30; break;
    default: return 0;
    }
    s++;
    if (s[0] == 'i' && s[1] == 'B') s += 2;
    else if (s[0] == 'B') s++;
    *p = s;
    return mul;
}

int esgx_parse_u64(const char *text, uint64_t min, uint64_t max, unsigned flags,
                   uint64_t *out, esgx_err *err)
{
    if (!text) return esgx_err_set(err, ESGX_E_PARSE, "a number is missing");
    const char *p = text;
    uint64_t v = 0;
    if (*p < '0' || *p > '9')
        return esgx_err_set(err, ESGX_E_PARSE, "'%.40s' is not a whole number", text);
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return esgx_err_set(err, ESGX_E_PARSE, "'%.40s' is too large", text);
        v = v * 10 + d;
    }
    uint64_t mul = 1;
    if (flags & ESGX_PARSE_SIZE) mul = size_suffix(&p);
    if (mul == 0 || *p)
        return esgx_err_set(err, ESGX_E_PARSE, "'%.40s' is not a whole number%s", text,
                            flags & ESGX_PARSE_SIZE ? " (with an optional K, M or G)" : "");
    if (v > UINT64_MAX / mul)
        return esgx_err_set(err, ESGX_E_PARSE, "'%.40s' is too large", text);
    v *= mul;
    if (v < min || v > max)
        return esgx_err_set(err, ESGX_E_PARSE,
                            "'%.40s' is out of range %" PRIu64 "..%" PRIu64, text, min, max);
    *out = v;
    return ESGX_OK;
}

uint64_t esgx_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct timespec esgx_deadline_after_ms(uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int esgx_cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t a;
    int rc = pthread_condattr_init(&a);
    if (rc) return rc;
    rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (!rc) rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc;
}

int esgx_err_set(esgx_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void esgx_err_clear(esgx_err *err)
{
    if (err) {
        err->code = ESGX_OK;
        err->msg[0] = '\0';
    }
}

void esgx_err_prefix(esgx_err *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[ESGX_ERR_MSG_MAX];
    char old[ESGX_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is intended: the message is cut at ESGX_ERR_MSG_MAX - 1 bytes. */
    size_t n = strnlen(prefix, sizeof prefix - 1);
    memcpy(err->msg, prefix, n);
    size_t room = sizeof err->msg - n;
    if (room > 2) {
        err->msg[n] = ':';
        err->msg[n + 1] = ' ';
        size_t m = strnlen(old, sizeof old - 1);
        if (m > room - 3) m = room - 3;
        memcpy(err->msg + n + 2, old, m);
        err->msg[n + 2 + m] = '\0';
    } else {
        err->msg[sizeof err->msg - 1] = '\0';
    }
}

size_t esgx_escape_bytes(const void *in, size_t n, const char *also, char *out, size_t cap,
                         size_t *used)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = in;
    size_t k = 0, i = 0;
    for (; i < n; i++) {
        unsigned char c = p[i];
        int plain = c >= 0x20 && c != 0x7f && !(also && strchr(also, c));
        if (plain) {
            if (k + 1 >= cap) break;
            out[k++] = (char)c;
            continue;
        }
        if (k + 4 >= cap) break;
        out[k++] = '\\';
        out[k++] = 'x';
        out[k++] = hex[c >> 4];
        out[k++] = hex[c & 15];
    }
    out[k] = '\0';
    if (used) *used = i;
    return k;
}

size_t esgx_escape_controls(const char *in, char *out, size_t cap)
{
    return esgx_escape_bytes(in, strlen(in), NULL, out, cap, NULL);
}
