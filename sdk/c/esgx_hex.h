/*
 * esgx_hex.h: lower-case hex encoding and decoding, for keys, digests and signatures.
 * Self-contained (stdint only): usable in guests and in native code alike.
 */
#ifndef ESGX_HEX_H
#define ESGX_HEX_H

#include <stdint.h>

/* Writes the 2*n lower-case hex digits of in[0..n) to out (no NUL). Returns 2*n. */
static inline uint32_t esgx_hex_encode(const uint8_t *in, uint32_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (uint32_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    return 2 * n;
}

/* The value of hex digit c (either case), or -1. */
static inline int esgx_hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes the n hex digits at text into out (n/2 bytes, at most out_cap). Returns the
 * byte count, or -1 if n is odd, a character is not hex, or out_cap is too small. */
static inline int32_t esgx_hex_decode(const char *text, uint32_t n, uint8_t *out,
                                      uint32_t out_cap)
{
    if (n % 2 || n / 2 > out_cap) return -1;
    for (uint32_t i = 0; i < n / 2; i++) {
        int hi = esgx_hex_digit(text[2 * i]), lo = esgx_hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int32_t)(n / 2);
}

#endif
