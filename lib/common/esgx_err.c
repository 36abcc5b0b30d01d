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
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}
