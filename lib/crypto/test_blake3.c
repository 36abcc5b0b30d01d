/*
 * test_blake3.c: BLAKE3 against the official test vectors (shared/vectors/blake3/
 * test_vectors.json), for every implementation this CPU supports: hash, keyed_hash and
 * derive_key, the full extended output and its 32-byte prefix, the input fed in one
 * piece and in odd-sized pieces, and finalize_seek at several offsets. Also checks the
 * hasher may be finalized twice and then continued, and esgx_blake3_impl_select's errors.
 * Exits 77 if the vectors file is absent.
 */
#include "esgx_crypto.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_test.h"


enum mode { MODE_HASH, MODE_KEYED, MODE_DERIVE };
static const char *const mode_names[] = {"hash", "keyed_hash", "derive_key"};

static const char *key_text;
static const char *context_text;

static void init_mode(esgx_blake3_hasher *h, enum mode m)
{
    if (m == MODE_HASH) esgx_blake3_init(h);
    else if (m == MODE_KEYED) esgx_blake3_init_keyed(h, (const uint8_t *)key_text);
    else esgx_blake3_init_derive_key(h, context_text, strlen(context_text));
}

/* Feeds in[0..len) in pieces whose sizes cycle through an odd list. */
static void update_pieces(esgx_blake3_hasher *h, const uint8_t *in, size_t len, size_t phase)
{
    static const size_t sizes[] = {1, 3, 7, 63, 65, 1023, 1025, 4097, 2, 31744, 64, 1024};
    size_t n = sizeof sizes / sizeof sizes[0], i = phase % n;
    while (len) {
        size_t take = sizes[i++ % n];
        if (take > len) take = len;
        esgx_blake3_update(h, in, take);
        in += take;
        len -= take;
    }
}

static void check_case(const char *impl, size_t input_len, enum mode m, const uint8_t *in,
                       const uint8_t *want, size_t want_len)
{
    uint8_t got[512];
    esgx_blake3_hasher h;

    /* One piece, full extended output and the default 32 bytes. */
    init_mode(&h, m);
    esgx_blake3_update(&h, in, input_len);
    esgx_blake3_finalize(&h, got, want_len);
    CHECK(!memcmp(got, want, want_len), "%s %s len %zu: extended output", impl,
          mode_names[m], input_len);
    memset(got, 0, sizeof got);
    esgx_blake3_finalize(&h, got, 32);
    CHECK(!memcmp(got, want, 32), "%s %s len %zu: 32-byte output", impl, mode_names[m],
          input_len);

    /* finalize_seek at several offsets and lengths. */
    static const size_t seeks[] = {0, 1, 31, 32, 63, 64, 65, 100, 127, 128};
    for (size_t s = 0; s < sizeof seeks / sizeof seeks[0]; s++) {
        if (seeks[s] >= want_len) continue;
        size_t n = want_len - seeks[s];
        if (s % 2 && n > 37) n = 37;
        memset(got, 0xAA, sizeof got);
        esgx_blake3_finalize_seek(&h, seeks[s], got, n);
        CHECK(!memcmp(got, want + seeks[s], n), "%s %s len %zu: seek %zu len %zu", impl,
              mode_names[m], input_len, seeks[s], n);
        CHECK(got[n] == 0xAA, "%s: finalize_seek wrote past out_len", impl);
    }

    /* Odd-sized pieces, two different phases. */
    for (size_t phase = 0; phase < 2; phase++) {
        init_mode(&h, m);
        update_pieces(&h, in, input_len, phase * 5);
        memset(got, 0, sizeof got);
        esgx_blake3_finalize(&h, got, want_len);
        CHECK(!memcmp(got, want, want_len), "%s %s len %zu: pieces phase %zu", impl,
              mode_names[m], input_len, phase);
    }

    /* Finalize in the middle, then continue: the state must be unchanged. */
    if (input_len > 1) {
        init_mode(&h, m);
        esgx_blake3_update(&h, in, input_len / 2);
        esgx_blake3_finalize(&h, got, 64);
        esgx_blake3_update(&h, in + input_len / 2, input_len - input_len / 2);
        esgx_blake3_finalize(&h, got, want_len);
        CHECK(!memcmp(got, want, want_len), "%s %s len %zu: finalize then continue", impl,
              mode_names[m], input_len);
    }

    if (m == MODE_HASH) {
        memset(got, 0, sizeof got);
        esgx_blake3_hash(in, input_len, got);
        CHECK(!memcmp(got, want, 32), "%s blake3_hash len %zu", impl, input_len);
    }
    esgx_blake3_wipe(&h);
}

static int hex_to_bytes(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    return esgx_crypto_hex_decode(hex, strlen(hex), out, cap, len, NULL);
}

int main(void)
{
    const char *shared = getenv("ESGX_SHARED_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/vectors/blake3/test_vectors.json",
             shared ? shared : "../shared");
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "SKIP: %s not found (set ESGX_SHARED_DIR)\n", path);
        return 77;
    }
    fclose(f);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        fprintf(stderr, "FAIL: %s: %s (line %d)\n", path, jerr.text, jerr.line);
        return 1;
    }
    key_text = json_string_value(json_object_get(root, "key"));
    context_text = json_string_value(json_object_get(root, "context_string"));
    json_t *cases = json_object_get(root, "cases");
    if (!key_text || strlen(key_text) != 32 || !context_text || !json_is_array(cases) ||
        json_array_size(cases) < 10) {
        fprintf(stderr, "FAIL: %s: unexpected layout\n", path);
        return 1;
    }

    static const esgx_blake3_impl impls[] = {ESGX_BLAKE3_IMPL_PORTABLE, ESGX_BLAKE3_IMPL_SSE41,
                                        ESGX_BLAKE3_IMPL_AVX2, ESGX_BLAKE3_IMPL_AVX512};
    int tested = 0;
    for (size_t k = 0; k < sizeof impls / sizeof impls[0]; k++) {
        if (esgx_blake3_impl_select(impls[k]) != 0) {
            fprintf(stderr, "note: implementation %d not supported by this CPU, skipped\n",
                    (int)impls[k]);
            continue;
        }
        const char *impl = esgx_blake3_impl_name();
        size_t ncases = 0;
        for (size_t c = 0; c < json_array_size(cases); c++) {
            json_t *tc = json_array_get(cases, c);
            size_t input_len = (size_t)json_integer_value(json_object_get(tc, "input_len"));
            uint8_t *in = malloc(input_len ? input_len : 1);
            if (!in) return 1;
            for (size_t i = 0; i < input_len; i++) in[i] = (uint8_t)(i % 251);
            for (int m = MODE_HASH; m <= MODE_DERIVE; m++) {
                const char *hex = json_string_value(json_object_get(tc, mode_names[m]));
                uint8_t want[512];
                size_t want_len = 0;
                if (!hex || hex_to_bytes(hex, want, sizeof want, &want_len) || want_len < 32) {
                    fprintf(stderr, "FAIL: case %zu: bad %s field\n", c, mode_names[m]);
                    return 1;
                }
                check_case(impl, input_len, (enum mode)m, in, want, want_len);
            }
            free(in);
            ncases++;
        }
        printf("%s: %zu cases x 3 modes checked\n", impl, ncases);
        tested++;
    }
    CHECK(tested >= 1, "no implementation ran");
    json_decref(root);

    /* Selection API. */
    CHECK(esgx_blake3_impl_select(ESGX_BLAKE3_IMPL_PORTABLE) == 0 &&
              !strcmp(esgx_blake3_impl_name(), "portable"),
          "select portable");
    CHECK(esgx_blake3_impl_select((esgx_blake3_impl)42) == ESGX_CRYPTO_E_ARG, "select bogus impl");
    CHECK(esgx_blake3_impl_select(ESGX_BLAKE3_IMPL_AUTO) == 0, "select auto");
    printf("auto: %s\n", esgx_blake3_impl_name());

    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("blake3 vectors: OK\n");
    return 0;
}
