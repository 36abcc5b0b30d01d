/*
 * ratls_int.h: pieces of ratls.c used by keyshare.c (not part of the public API):
 * deadline-bounded TLS reads and writes on a non-blocking socket.
 * Errors: the read and write functions return 0 or ESGX_ATTEST_E_IO (table in
 * esgx_common.h) with err filled; the clock functions and close cannot fail.
 */
#ifndef RATLS_INT_H
#define RATLS_INT_H

#include <openssl/ssl.h>

#include "esgx_attest.h"

/* Monotonic clock in milliseconds, and now + timeout_ms. */
int64_t esgx_ratls_now_ms(void);
int64_t esgx_ratls_deadline(int timeout_ms);

/* Reads exactly n bytes from ssl before deadline. ESGX_ATTEST_E_IO (timeout, closed early,
 * TLS alert; message names what) or 0. *got (may be NULL) gets the bytes read. */
int esgx_ratls_read_full(SSL *ssl, void *buf, size_t n, size_t *got, int64_t deadline,
                    const char *what, esgx_err *err);

/* Writes all n bytes before deadline. 0 or ESGX_ATTEST_E_IO. */
int esgx_ratls_write_full(SSL *ssl, const void *buf, size_t n, int64_t deadline,
                     const char *what, esgx_err *err);

/* Sends close_notify (does not wait for the peer's). */
void esgx_ratls_close(SSL *ssl);

#endif
