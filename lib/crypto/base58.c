/*
 * base58.c: Base58 (Bitcoin alphabet) and base58check.
 *
 * Design: schoolbook radix conversion, quadratic in the length, which is fine for the
 * short strings it serves (111-character extended keys). No heap: encoding keeps its
 * base-58 digits in the caller's output buffer while converting; base58check feeds the
 * payload and its 4-byte checksum to the same converter as two segments, and decodes
 * through a bounded stack buffer (texts up to BASE58CHECK_MAX_TEXT characters).
 * Leading zero bytes map to leading '1' characters and back.
 */
#include "esgx_crypto.h"

#include <string.h>

#define BASE58CHECK_MAX_TEXT 1024

static const char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* 1 and *value = the digit of c (0..57) when c is in the alphabet, else 0. */
static int digit_of(char c, unsigned *value)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    if (!p) return 0;
    *value = (unsigned)(p - alphabet);
    return 1;
}

/* Encodes the concatenation a[0..alen) + b[0..blen) (b may be empty). */
static int encode_segments(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                           char *out, size_t out_cap, size_t *out_len, esgx_err *err)
{
    if (!out || out_cap == 0)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "base58: no room for the text");
    size_t total = alen + blen, zeros = 0;
    while (zeros < total && (zeros < alen ? a[zeros] : b[zeros - alen]) == 0) zeros++;
    /* digits: little-endian base-58 digit values in out[0..nd) */
    size_t nd = 0;
    uint8_t *dig = (uint8_t *)out;
    for (size_t i = zeros; i < total; i++) {
        unsigned carry = i < alen ? a[i] : b[i - alen];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)dig[j] << 8;
            dig[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) {
            if (nd + 1 >= out_cap)
                return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER,
                                    "base58: %zu-byte buffer too small for %zu input bytes",
                                    out_cap, total);
            dig[nd++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    size_t len = zeros + nd;
    if (len + 1 > out_cap)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER,
                            "base58: text needs %zu bytes, buffer has %zu", len + 1, out_cap);
    /* reverse the digits into place after the leading '1's, then map to characters */
    for (size_t j = 0; j < nd / 2; j++) {
        uint8_t t = dig[j];
        dig[j] = dig[nd - 1 - j];
        dig[nd - 1 - j] = t;
    }
    memmove(out + zeros, dig, nd);
    for (size_t i = 0; i < zeros; i++) out[i] = '1';
    for (size_t i = zeros; i < len; i++) out[i] = alphabet[(uint8_t)out[i]];
    out[len] = '\0';
    if (out_len) *out_len = len;
    return ESGX_OK;
}

int esgx_base58_encode(const uint8_t *in, size_t len, char *out, size_t out_cap,
                  size_t *out_len, esgx_err *err)
{
    if (!in && len) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "base58: NULL input");
    return encode_segments(in, len, NULL, 0, out, out_cap, out_len, err);
}

int esgx_base58_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                  size_t *out_len, esgx_err *err)
{
    if (!text && text_len) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "base58: NULL text");
    size_t zeros = 0;
    while (zeros < text_len && text[zeros] == '1') zeros++;
    size_t nb = 0; /* little-endian base-256 bytes in out[0..nb) */
    for (size_t i = zeros; i < text_len; i++) {
        unsigned d;
        if (!digit_of(text[i], &d))
            return esgx_err_set(err, ESGX_CRYPTO_E_BASE58,
                                "base58: character 0x%02x at offset %zu is not in the alphabet",
                                (unsigned char)text[i], i);
        unsigned carry = d;
        for (size_t j = 0; j < nb; j++) {
            carry += (unsigned)out[j] * 58;
            out[j] = (uint8_t)carry;
            carry >>= 8;
        }
        while (carry) {
            if (nb >= out_cap)
                return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER,
                                    "base58: %zu-byte buffer too small for the text", out_cap);
            out[nb++] = (uint8_t)carry;
            carry >>= 8;
        }
    }
    if (zeros + nb > out_cap)
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "base58: text decodes to %zu bytes, room for %zu",
                            zeros + nb, out_cap);
    for (size_t j = 0; j < nb / 2; j++) {
        uint8_t t = out[j];
        out[j] = out[nb - 1 - j];
        out[nb - 1 - j] = t;
    }
    memmove(out + zeros, out, nb);
    memset(out, 0, zeros);
    if (out_len) *out_len = zeros + nb;
    return ESGX_OK;
}

static void checksum(const uint8_t *payload, size_t len, uint8_t sum[4])
{
    uint8_t h[32];
    esgx_crypto_sha256(payload, len, h);
    esgx_crypto_sha256(h, 32, h);
    memcpy(sum, h, 4);
}

int esgx_base58check_encode(const uint8_t *payload, size_t len, char *out, size_t out_cap,
                       size_t *out_len, esgx_err *err)
{
    if (!payload && len) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "base58check: NULL payload");
    uint8_t sum[4];
    checksum(payload, len, sum);
    return encode_segments(payload, len, sum, 4, out, out_cap, out_len, err);
}

int esgx_base58check_decode(const char *text, size_t text_len, uint8_t *out, size_t out_cap,
                       size_t *out_len, esgx_err *err)
{
    if (text_len > BASE58CHECK_MAX_TEXT)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "base58check: text of %zu characters is over %d",
                            text_len, BASE58CHECK_MAX_TEXT);
    uint8_t buf[BASE58CHECK_MAX_TEXT];
    size_t n = 0;
    int rc = esgx_base58_decode(text, text_len, buf, sizeof buf, &n, err);
    if (rc) return rc;
    if (n < 4) {
        esgx_crypto_wipe(buf, n);
        return esgx_err_set(err, ESGX_CRYPTO_E_CHECKSUM, "base58check: %zu bytes, shorter than the checksum", n);
    }
    uint8_t sum[4];
    checksum(buf, n - 4, sum);
    if (memcmp(sum, buf + n - 4, 4) != 0) {
        esgx_crypto_wipe(buf, n);
        return esgx_err_set(err, ESGX_CRYPTO_E_CHECKSUM, "base58check: checksum mismatch");
    }
    if (n - 4 > out_cap) {
        esgx_crypto_wipe(buf, n);
        return esgx_err_set(err, ESGX_CRYPTO_E_BUFFER, "base58check: payload of %zu bytes, room for %zu",
                            n - 4, out_cap);
    }
    memcpy(out, buf, n - 4);
    esgx_crypto_wipe(buf, n);
    if (out_len) *out_len = n - 4;
    return ESGX_OK;
}
