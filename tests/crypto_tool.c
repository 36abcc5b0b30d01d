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
 *   crypto_tool input-hash-ex MODHEX DECRYPT FUEL FUNCTION NAME OWNERHEX SEQ SEALED < input
 *                                       (NAME "" = a call by hash; OWNERHEX, SEQ then ignored)
 *   crypto_tool seal-request NPUBHEX MODHEX FUNCTION FUEL NAME      < plaintext
 *   crypto_tool seal-open-request NSKHEX MODHEX FUNCTION FUEL NAME  < sealed input
 *                                       (both print {"data","req_key","resp_key","ephemeral"})
 *   crypto_tool seal-response RESPKEYHEX INPUTHASHHEX               < output > sealed output
 *   crypto_tool seal-open-response RESPKEYHEX INPUTHASHHEX          < sealed output > output
 *   crypto_tool name-record-sign SKHEX          < record JSON (owner/signature any) > signed JSON
 *   crypto_tool name-record-verify NETHEX|-     < record JSON: prints {"digest","json"}
 *   crypto_tool name-record-chain PINNEDHEX     < record JSON: prints "reachable"
 *   crypto_tool name-transfer-sign NETHEX NAME SEQ TOHEX SKHEX   prints {"digest","from","signature"}
 *   crypto_tool name-transfer-verify NETHEX NAME SEQ FROMHEX TOHEX SIGHEX  prints "valid"
 *   crypto_tool random-keys NSKHEX MODHEX INPUTHASHHEX OFFSET LEN
 *                                       prints {"k_rand","stream_key","stream","local_stream_key",
 *                                       "local_stream"}
 *   crypto_tool admin-macs NSKHEX TOKEN CONTENTHASHHEX  prints {"k_admin","token_mac","content_mac"}
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
#include "esgx_proto.h"

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

/* ---------------------------------------------------------------- by name, sealed, keys */

static int cmd_input_hash_ex(char **argv)
{
    uint8_t mh[32], out[32];
    char hex[65];
    size_t len;
    esgx_err err;
    esgx_name_binding nb = {.name = argv[4], .name_len = strlen(argv[4])};
    if (hex_arg(argv[0], mh, 32, 32, NULL)) return 1;
    if (nb.name_len && hex_arg(argv[5], nb.owner, 33, 33, NULL)) return 1;
    nb.seq = strtoull(argv[6], NULL, 10);
    uint8_t *in = read_stdin(&len);
    int rc = esgx_digest_input_hash_ex(mh, atoi(argv[1]), strtoull(argv[2], NULL, 10), argv[3],
                                       strlen(argv[3]), in, len, nb.name_len ? &nb : NULL,
                                       atoi(argv[7]), out, &err);
    free(in);
    if (rc) return fail(&err);
    esgx_crypto_hex_encode(out, 32, hex);
    puts(hex);
    return 0;
}

static void put_keys(json_t *o, const esgx_seal_keys *k)
{
    put_hex(o, "req_key", k->req_key, 32);
    put_hex(o, "resp_key", k->resp_key, 32);
    put_hex(o, "ephemeral", k->ephemeral, 33);
}

/* Hex of n bytes as a JSON member (bulk data: allocated). */
static void put_hex_big(json_t *o, const char *name, const uint8_t *p, size_t n)
{
    char *buf = malloc(2 * n + 1);
    if (!buf) exit(3);
    esgx_crypto_hex_encode(p, n, buf);
    json_object_set_new(o, name, json_string(buf));
    free(buf);
}

/* seal-request NPUB MOD FUNCTION FUEL NAME / seal-open-request NSK MOD FUNCTION FUEL NAME */
static int cmd_seal_request(char **argv, int open)
{
    uint8_t key[33];
    esgx_seal_binding b = {.function = argv[2], .function_len = strlen(argv[2]),
                           .fuel = strtoull(argv[3], NULL, 10), .name = argv[4],
                           .name_len = strlen(argv[4])};
    if (hex_arg(argv[0], key, 33, open ? 32 : 33, NULL) || hex_arg(argv[1], b.module_hash, 32, 32, NULL))
        return 1;
    size_t len, n = 0;
    uint8_t *in = read_stdin(&len), *out = malloc(len + ESGX_SEAL_REQUEST_OVERHEAD + 1);
    if (!out) exit(3);
    esgx_seal_keys k;
    esgx_err err;
    int rc = open ? esgx_seal_open_request(key, &b, in, len, out, len, &n, &k, &err)
                  : esgx_seal_request(key, &b, in, len, out, len + ESGX_SEAL_REQUEST_OVERHEAD, &n,
                                      &k, &err);
    free(in);
    if (rc) {
        free(out);
        return fail(&err);
    }
    json_t *o = json_object();
    put_hex_big(o, "data", out, n);
    put_keys(o, &k);
    free(out);
    return print_json(o);
}

/* seal-response RESPKEY INPUTHASH / seal-open-response RESPKEY INPUTHASH: raw bytes */
static int cmd_seal_response(char **argv, int open)
{
    esgx_seal_keys k;
    uint8_t ih[32];
    memset(&k, 0, sizeof k);
    if (hex_arg(argv[0], k.resp_key, 32, 32, NULL) || hex_arg(argv[1], ih, 32, 32, NULL)) return 1;
    size_t len, n = 0;
    uint8_t *in = read_stdin(&len), *out = malloc(len + ESGX_SEAL_RESPONSE_OVERHEAD + 1);
    if (!out) exit(3);
    esgx_err err;
    int rc = open ? esgx_seal_open_response(&k, ih, in, len, out, len, &n, &err)
                  : esgx_seal_response(&k, ih, in, len, out, len + ESGX_SEAL_RESPONSE_OVERHEAD, &n,
                                       &err);
    free(in);
    if (!rc) write_stdout(out, n);
    free(out);
    return rc ? fail(&err) : 0;
}

/* name-record-sign SK / name-record-verify NET|- / name-record-chain PINNED, JSON on stdin */
static int cmd_record(const char *cmd, const char *arg)
{
    static esgx_name_record rec;
    static char json[ESGX_NAME_RECORD_JSON_MAX];
    uint8_t key[33], digest[32];
    size_t len, jl;
    esgx_err err;
    uint8_t *in = read_stdin(&len);
    int rc = esgx_name_record_parse((const char *)in, len, &rec, &err);
    free(in);
    if (rc) return fail(&err);
    if (!strcmp(cmd, "name-record-sign")) {
        if (hex_arg(arg, key, 32, 32, NULL)) return 1;
        if (esgx_name_record_sign(&rec, key, &err) ||
            esgx_name_record_format(&rec, json, sizeof json, &jl, &err))
            return fail(&err);
        puts(json);
        return 0;
    }
    if (!strcmp(cmd, "name-record-chain")) {
        if (hex_arg(arg, key, 33, 33, NULL)) return 1;
        if (esgx_name_record_owner_chain(&rec, key, &err)) return fail(&err);
        puts("reachable");
        return 0;
    }
    int net = strcmp(arg, "-") != 0;
    if (net && hex_arg(arg, key, 33, 33, NULL)) return 1;
    if (esgx_name_record_verify(&rec, net ? key : NULL, &err) ||
        esgx_name_record_digest(&rec, digest, &err) ||
        esgx_name_record_format(&rec, json, sizeof json, &jl, &err))
        return fail(&err);
    json_t *o = json_object();
    put_hex(o, "digest", digest, 32);
    json_object_set_new(o, "json", json_string(json));
    return print_json(o);
}

/* name-transfer-sign NET NAME SEQ TO SK / name-transfer-verify NET NAME SEQ FROM TO SIG */
static int cmd_transfer(char **argv, int sign)
{
    uint8_t net[33], sk[32], digest[32];
    esgx_name_transfer t = {.seq = strtoull(argv[2], NULL, 10)};
    esgx_err err;
    if (hex_arg(argv[0], net, 33, 33, NULL)) return 1;
    if (sign) {
        if (hex_arg(argv[3], t.to, 33, 33, NULL) || hex_arg(argv[4], sk, 32, 32, NULL)) return 1;
        if (esgx_name_transfer_sign(net, argv[1], strlen(argv[1]), &t, sk, &err) ||
            esgx_name_transfer_digest(net, argv[1], strlen(argv[1]), &t, digest, &err))
            return fail(&err);
        json_t *o = json_object();
        put_hex(o, "digest", digest, 32);
        put_hex(o, "from", t.from, 33);
        put_hex(o, "signature", t.signature, 65);
        return print_json(o);
    }
    if (hex_arg(argv[3], t.from, 33, 33, NULL) || hex_arg(argv[4], t.to, 33, 33, NULL) ||
        hex_arg(argv[5], t.signature, 65, 65, NULL))
        return 1;
    if (esgx_name_transfer_verify(net, argv[1], strlen(argv[1]), &t, &err)) return fail(&err);
    puts("valid");
    return 0;
}

/* random-keys NSK MOD INPUTHASH OFFSET LEN */
static int cmd_random_keys(char **argv)
{
    uint8_t n[32], mh[32], ih[32], k[32], s[32], l[32];
    esgx_err err;
    if (hex_arg(argv[0], n, 32, 32, NULL) || hex_arg(argv[1], mh, 32, 32, NULL) ||
        hex_arg(argv[2], ih, 32, 32, NULL))
        return 1;
    uint64_t off = strtoull(argv[3], NULL, 10);
    size_t len = strtoull(argv[4], NULL, 10);
    uint8_t *buf = malloc(len + 1);
    if (!buf) exit(3);
    if (esgx_random_key_derive(n, k, &err) || esgx_random_stream_key(k, mh, ih, s, &err)) {
        free(buf);
        return fail(&err);
    }
    esgx_random_stream_key_local(mh, ih, l);
    json_t *o = json_object();
    put_hex(o, "k_rand", k, 32);
    put_hex(o, "stream_key", s, 32);
    esgx_random_stream_read(s, off, buf, len);
    put_hex_big(o, "stream", buf, len);
    put_hex(o, "local_stream_key", l, 32);
    esgx_random_stream_read(l, off, buf, len);
    put_hex_big(o, "local_stream", buf, len);
    free(buf);
    return print_json(o);
}

/* admin-macs NSK TOKEN CONTENTHASH */
static int cmd_admin_macs(char **argv)
{
    uint8_t n[32], ch[32], ka[32], th[32], tm[32], cm[32];
    esgx_err err;
    if (hex_arg(argv[0], n, 32, 32, NULL) || hex_arg(argv[2], ch, 32, 32, NULL)) return 1;
    esgx_crypto_sha256(argv[1], strlen(argv[1]), th);
    if (esgx_admin_key_derive(n, ka, &err) || esgx_admin_token_mac(ka, th, tm, &err) ||
        esgx_admin_content_mac(ka, ch, cm, &err))
        return fail(&err);
    json_t *o = json_object();
    put_hex(o, "k_admin", ka, 32);
    put_hex(o, "token_mac", tm, 32);
    put_hex(o, "content_mac", cm, 32);
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
    if (!strcmp(cmd, "input-hash-ex") && argc == 10) return cmd_input_hash_ex(argv + 2);
    if (!strcmp(cmd, "seal-request") && argc == 7) return cmd_seal_request(argv + 2, 0);
    if (!strcmp(cmd, "seal-open-request") && argc == 7) return cmd_seal_request(argv + 2, 1);
    if (!strcmp(cmd, "seal-response") && argc == 4) return cmd_seal_response(argv + 2, 0);
    if (!strcmp(cmd, "seal-open-response") && argc == 4) return cmd_seal_response(argv + 2, 1);
    if (!strcmp(cmd, "name-record-sign") && argc == 3) return cmd_record(argv[1], argv[2]);
    if (!strcmp(cmd, "name-record-verify") && argc == 3) return cmd_record(argv[1], argv[2]);
    if (!strcmp(cmd, "name-record-chain") && argc == 3) return cmd_record(argv[1], argv[2]);
    if (!strcmp(cmd, "name-transfer-sign") && argc == 7) return cmd_transfer(argv + 2, 1);
    if (!strcmp(cmd, "name-transfer-verify") && argc == 8) return cmd_transfer(argv + 2, 0);
    if (!strcmp(cmd, "random-keys") && argc == 7) return cmd_random_keys(argv + 2);
    if (!strcmp(cmd, "admin-macs") && argc == 5) return cmd_admin_macs(argv + 2);
usage:
    fprintf(stderr, "usage: crypto_tool encrypt|decrypt|bip32|sign|recover|input-hash|"
                    "response-digest|input-hash-ex|seal-*|name-*|random-keys|admin-macs ARGS "
                    "(see crypto_tool.c)\n");
    return 2;
}
