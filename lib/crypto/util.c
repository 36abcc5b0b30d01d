/*
 * util.c: small primitives the rest of lib/crypto builds on: wiping, the OS random
 * source, hex, SHA-256 (OpenSSL).
 */
#include "esgx_crypto.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

void esgx_crypto_wipe(void *p, size_t n)
{
    if (p && n) OPENSSL_cleanse(p, n);
}

int esgx_crypto_random(void *out, size_t n, esgx_err *err)
{
    uint8_t *p = out;
    while (n) {
        ssize_t r = getrandom(p, n > 256 ? 256 : n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return esgx_err_set(err, ESGX_CRYPTO_E_INTERNAL, "random source failed: %s",
                                strerror(errno));
        }
        p += r;
        n -= (size_t)r;
    }
    return ESGX_OK;
}

void esgx_crypto_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

/* 1 and *value = the value of hex digit c (either case), or 0 when c is not one. */
static int hex_value(char c, unsigned *value)
{
    if (c >= '0' && c <= '9') return *value = (unsigned)(c - '0'), 1;
    if (c >= 'a' && c <= 'f') return *value = (unsigned)(c - 'a' + 10), 1;
    if (c >= 'A' && c <= 'F') return *value = (unsigned)(c - 'A' + 10), 1;
    return 0;
}

int esgx_crypto_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                      size_t *out_len, esgx_err *err)
{
    if (text_len % 2)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "hex text has odd length %zu", text_len);
    if (text_len / 2 > out_cap)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "hex text decodes to %zu bytes, room for %zu",
                            text_len / 2, out_cap);
    for (size_t i = 0; i < text_len / 2; i++) {
        unsigned hi, lo;
        int hi_ok = hex_value(text[2 * i], &hi);
        if (!hi_ok || !hex_value(text[2 * i + 1], &lo))
            return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "non-hex character at offset %zu",
                                hi_ok ? 2 * i + 1 : 2 * i);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (out_len) *out_len = text_len / 2;
    return ESGX_OK;
}

void esgx_crypto_sha256(const void *data, size_t len, uint8_t out[32])
{
    SHA256(data, len, out);
}
