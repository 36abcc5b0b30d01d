/*
 * fuzz_base58.c: libFuzzer target for Base58 and base58check decoding (built only with
 * -DESGX_FUZZ=ON; run with scripts/fuzz.sh). The input is taken as text.
 *
 * Properties: base58 is a bijection between byte strings and texts (leading '1's are
 * the leading zero bytes), so an accepted text must encode back to exactly itself, both
 * for plain base58 and for base58check (whose payload, re-encoded with its checksum,
 * must give the same text). The input read as bytes must also survive
 * encode-then-decode. Decoding into a buffer one byte too small must be refused with
 * ESGX_CRYPTO_E_BUFFER, never overrun it (ASan sees the exact-size heap block).
 */
#include "esgx_crypto.h"

#include <stdlib.h>
#include <string.h>

/* base58 is quadratic; extended keys are 111 characters, base58check stops at 1024 */
#define FUZZ_MAX_INPUT 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Plain base58: decode, re-encode to the same text, and refuse a short buffer. */
static void plain(const char *text, size_t size)
{
    size_t cap = size ? size : 1, n = 0, tn = 0;
    uint8_t *bytes = malloc(cap);
    char *back = malloc(2 * size + 2);
    esgx_err e;
    if (!bytes || !back)
        abort();
    if (esgx_base58_decode(text, size, bytes, cap, &n, &e) == ESGX_OK) {
        if (esgx_base58_encode(bytes, n, back, 2 * size + 2, &tn, &e) || tn != size ||
            memcmp(back, text, size) != 0)
            abort();
        if (n > 0) {
            uint8_t *tight = malloc(n - 1 ? n - 1 : 1);
            if (!tight)
                abort();
            if (esgx_base58_decode(text, size, tight, n - 1, &tn, &e) != ESGX_CRYPTO_E_BUFFER)
                abort();
            free(tight);
        }
    }
    free(bytes);
    free(back);
}

/* base58check: an accepted payload re-encodes (with its checksum) to the same text. */
static void checked(const char *text, size_t size)
{
    uint8_t payload[1024];
    size_t n = 0, tn = 0;
    esgx_err e;
    if (esgx_base58check_decode(text, size, payload, sizeof payload, &n, &e) == ESGX_OK) {
        char *back = malloc(2 * size + 2);
        if (!back)
            abort();
        if (esgx_base58check_encode(payload, n, back, 2 * size + 2, &tn, &e) || tn != size ||
            memcmp(back, text, size) != 0)
            abort();
        free(back);
    }
}

/* The input as bytes: encode, then decode back to the same bytes. */
static void bytes_round_trip(const uint8_t *data, size_t size)
{
    size_t cap = 2 * size + 2, tn = 0, n = 0;
    char *text = malloc(cap);
    uint8_t *back = malloc(size ? size : 1);
    esgx_err e;
    if (!text || !back)
        abort();
    if (esgx_base58_encode(data, size, text, cap, &tn, &e) ||
        esgx_base58_decode(text, tn, back, size, &n, &e) || n != size ||
        (size && memcmp(back, data, size) != 0))
        abort();
    free(text);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    /* an exact-size copy, so that any read past the text is an ASan report */
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    if (size)
        memcpy(text, data, size);
    plain(text, size);
    checked(text, size);
    bytes_round_trip(data, size);
    free(text);
    return 0;
}
