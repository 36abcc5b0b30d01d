/*
 * esgx_err: the one error convention of the project.
 *
 * Every fallible function returns an int: 0 (ESGX_OK) on success or a negative code
 * from its library's list, and, when the caller passes a non-NULL esgx_err, fills it
 * with the same code and a human-readable message that names what was wrong.
 * The struct is plain data: it can live on the stack, is never allocated, and holds
 * no secrets (callers must never put key material in a message).
 */
#ifndef ESGX_ERR_H
#define ESGX_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define ESGX_OK 0
#define ESGX_ERR_MSG_MAX 256

typedef struct esgx_err {
    int code;                    /* 0 or a negative library code */
    char msg[ESGX_ERR_MSG_MAX];  /* NUL-terminated, empty when code == 0 */
} esgx_err;

/* Sets err (if non-NULL) to code and a printf-style message; returns code so that
 * callers can write `return esgx_err_set(err, E, "...")`. */
int esgx_err_set(esgx_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err (if non-NULL) to ESGX_OK with an empty message. */
void esgx_err_clear(esgx_err *err);

/* Prepends "prefix: " to the message already in err (if non-NULL); keeps the code. */
void esgx_err_prefix(esgx_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
