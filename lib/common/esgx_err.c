/* esgx_err: see esgx_err.h. */
#include "esgx_err.h"

#include <stdio.h>
#include <string.h>

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
