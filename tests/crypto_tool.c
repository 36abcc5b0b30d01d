/*
 * crypto_tool.c: test-only command that exposes lib/crypto to the live JavaScript
 * interop tests (tests/js/crypto_interop.mjs). Small arguments are hex on the command
 * line, bulk data goes through stdin/stdout, structured answers are one JSON line.
 *
 *   crypto_tool encrypt PUBHEX            < plaintext  > ciphertext
 *   crypto_tool decrypt SKHEX             < ciphertext > plaintext
 *   crypto_tool bip32 SEEDHEX HASHHEX PATHHEX           (PATHHEX may be "")
 *   crypto_tool sign SKHEX DIGESTHEX
 *   crypto_tool recover DIGESTHEX SIGHEX
 *   crypto_tool input-hash MODHEX DECRYPT FUEL FUNCTION < input
 *   crypto_tool response-digest INPUTHASHHEX FUEL OUTPUTHASHHEX
 *
 * Errors: "crypto_tool: CODE: message" on stderr and exit status 1; usage errors exit 2.
 * It handles test keys only, so it prints secrets freely.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esgx_crypto.h"

static int fail(const esgx_err *err)
{
    fprintf(stderr, "crypto_tool: %d: %s\n", err->code, err->msg);
    return 1;
}

static uint8_t *read_stdin(size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        if (!buf) exit(3);
        ssize_t r = read(0, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) exit(3);
        if (r == 0) break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

static void write_stdout(const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(1, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) exit(3);
        p += w;
        n -= (size_t)w;
    }
}

/* Decodes hex into out; exact length want unless want == 0 (then up to cap). */
static int hex_arg(const char *s, uint8_t *out, size_t cap, size_t want, size_t *len)
{
    size_t n = 0;
    esgx_err err;
    if (esgx_crypto_hex_decode(s, strlen(s), out, cap, &n, &err)) return fail(&err);
    if (want && n != want) {
        fprintf(stderr, "crypto_tool: '%s' is not %zu bytes\n", s, want);
        return 1;
    }
    if (len) *len = n;
    return 0;
}

static void put_hex(json_t *o, const char *name, const uint8_t *p, size_t n)
{
    char buf[1024];
    esgx_crypto_hex_encode(p, n, buf);
    json_object_set_new(o, name, json_string(buf));
}

static int print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    puts(s);
    free(s);
    json_decref(o);
    return 0;
}

static int cmd_bip32(char **argv)
{
    uint8_t seed[64], hash[32], path[512];
    size_t seed_len, path_len;
    if (hex_arg(argv[0], seed, sizeof seed, 0, &seed_len) ||
        hex_arg(argv[1], hash, 32, 32, NULL) || hex_arg(argv[2], path, sizeof path, 0, &path_len))
        return 1;
    esgx_err err;
    esgx_bip32_key shared, pub, d_prv, d_pub;
    char text[ESGX_BIP32_TEXT_LEN + 1];
    if (esgx_bip32_shared_from_seed(seed, seed_len, &shared, &err)) return fail(&err);
    json_t *o = json_object();
    if (esgx_bip32_key_serialize(&shared, 1, text, sizeof text, &err)) return fail(&err);
    json_object_set_new(o, "shared_xprv", json_string(text));
    if (esgx_bip32_key_serialize(&shared, 0, text, sizeof text, &err)) return fail(&err);
    json_object_set_new(o, "shared_xpub", json_string(text));
    /* derive from the parsed xpub text, as a client would */
    if (esgx_bip32_key_parse(text, strlen(text), &pub, &err)) return fail(&err);
    if (esgx_bip32_module_key_derive(&shared, hash, path, path_len, &d_prv, &err)) return fail(&err);
    if (esgx_bip32_module_key_derive(&pub, hash, path, path_len, &d_pub, &err)) return fail(&err);
    if (esgx_bip32_key_serialize(&d_prv, 1, text, sizeof text, &err)) return fail(&err);
    json_object_set_new(o, "derived_xprv", json_string(text));
    if (esgx_bip32_key_serialize(&d_pub, 0, text, sizeof text, &err)) return fail(&err);
    json_object_set_new(o, "derived_xpub_from_xpub", json_string(text));
    put_hex(o, "derived_secret_key", d_prv.private_key, 32);
    put_hex(o, "derived_public_key", d_prv.public_key, 33);
    put_hex(o, "derived_public_key_from_xpub", d_pub.public_key, 33);
    return print_json(o);
}

int main(int argc, char **argv)
{
    if (argc < 2) goto usage;
    const char *cmd = argv[1];
    esgx_err err;
    if (!strcmp(cmd, "encrypt") && argc == 3) {
        uint8_t pk[65];
        size_t pkl, len, out_len;
        if (hex_arg(argv[2], pk, sizeof pk, 0, &pkl)) return 1;
        uint8_t *pt = read_stdin(&len), *out = malloc(len + ESGX_ECIES_OVERHEAD);
        if (esgx_ecies_encrypt(pk, pkl, pt, len, out, len + ESGX_ECIES_OVERHEAD, &out_len, &err)) {
            free(pt);
            free(out);
            return fail(&err);
        }
        write_stdout(out, out_len);
        free(pt);
        free(out);
        return 0;
    }
    if (!strcmp(cmd, "decrypt") && argc == 3) {
        uint8_t sk[32];
        size_t len, out_len;
        if (hex_arg(argv[2], sk, 32, 32, NULL)) return 1;
        uint8_t *ct = read_stdin(&len);
        if (esgx_ecies_decrypt(sk, ct, len, ct, len, &out_len, &err)) {
            free(ct);
            return fail(&err);
        }
        write_stdout(ct, out_len);
        free(ct);
        return 0;
    }
    if (!strcmp(cmd, "bip32") && argc == 5) return cmd_bip32(argv + 2);
    if (!strcmp(cmd, "sign") && argc == 4) {
        uint8_t sk[32], d[32], sig[65], pk[33];
        if (hex_arg(argv[2], sk, 32, 32, NULL) || hex_arg(argv[3], d, 32, 32, NULL)) return 1;
        if (esgx_ec_sign_recoverable(sk, d, sig, &err) || esgx_ec_pubkey_from_seckey(sk, pk, &err))
            return fail(&err);
        json_t *o = json_object();
        put_hex(o, "signature", sig, 65);
        put_hex(o, "public_key", pk, 33);
        return print_json(o);
    }
    if (!strcmp(cmd, "recover") && argc == 4) {
        uint8_t d[32], sig[65], pk[33];
        char hex[67];
        if (hex_arg(argv[2], d, 32, 32, NULL) || hex_arg(argv[3], sig, 65, 65, NULL)) return 1;
        if (esgx_ec_recover(d, sig, pk, &err)) return fail(&err);
        esgx_crypto_hex_encode(pk, 33, hex);
        puts(hex);
        return 0;
    }
    if (!strcmp(cmd, "input-hash") && argc == 6) {
        uint8_t mh[32], out[32];
        char hex[65];
        size_t len;
        if (hex_arg(argv[2], mh, 32, 32, NULL)) return 1;
        uint64_t fuel = strtoull(argv[4], NULL, 10);
        uint8_t *in = read_stdin(&len);
        if (esgx_digest_input_hash(mh, atoi(argv[3]), fuel, argv[5], strlen(argv[5]), in, len, out,
                              &err)) {
            free(in);
            return fail(&err);
        }
        esgx_crypto_hex_encode(out, 32, hex);
        puts(hex);
        free(in);
        return 0;
    }
    if (!strcmp(cmd, "response-digest") && argc == 5) {
        uint8_t ih[32], oh[32], out[32];
        char hex[65];
        if (hex_arg(argv[2], ih, 32, 32, NULL) || hex_arg(argv[4], oh, 32, 32, NULL)) return 1;
        esgx_digest_response(ih, strtoull(argv[3], NULL, 10), oh, out);
        esgx_crypto_hex_encode(out, 32, hex);
        puts(hex);
        return 0;
    }
usage:
    fprintf(stderr, "usage: crypto_tool encrypt|decrypt|bip32|sign|recover|input-hash|"
                    "response-digest ARGS (see crypto_tool.c)\n");
    return 2;
}
