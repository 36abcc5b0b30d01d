/*
 * cmd_encrypt.c: `esgx encrypt`, the three modes of Fleek's sgxencrypt.
 *
 *   module  ECIES(FILE) to KEY                           (a module for the network key)
 *   shared  ECIES(approved-wasm header + FILE) to KEY    (data several modules may unseal)
 *   wasm    ECIES(FILE) to the derived key of module HASH, computed from the xpub alone
 *           (and an optional user path), so only that module can decrypt it
 *
 * KEY is a compressed public key in hex (66 characters) or an xpub, whose public key is
 * used. An xprv is refused so that secret keys do not end up in shell histories.
 * Options may come before or after the positional arguments; "--" ends options.
 * Exit codes follow cli.h: 0 done, 1 bad key/hash/path or I/O failure, 2 wrong usage.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_crypto.h"

/* Largest FILE we encrypt (the whole file is held in memory). */
#define ENCRYPT_MAX_INPUT ((size_t)1 << 30)
#define MAX_POSITIONAL 260

typedef enum { MODE_MODULE, MODE_SHARED, MODE_WASM } encrypt_mode;

static const char *const mode_usage[] = {
    "usage: esgx encrypt module --pubkey KEY FILE [-o OUT]\n"
    "  Encrypt FILE (ECIES, eciesjs-compatible) to KEY, e.g. a module to the network key.\n",
    "usage: esgx encrypt shared --pubkey KEY FILE HASH... [-o OUT]\n"
    "  Encrypt FILE to KEY behind an approved-wasm header listing the module HASHes\n"
    "  (1 to 255), so that only those modules can unseal it with shared_key_unseal.\n",
    "usage: esgx encrypt wasm --pubkey XPUB [--path HEX] HASH FILE [-o OUT]\n"
    "  Encrypt FILE to the derived key of module HASH (and the optional user path),\n"
    "  computed from the network xpub, so that only that module can unseal it with\n"
    "  derived_key_unseal.\n",
};

static const char common_help[] =
    "\noptions:\n"
    "  --pubkey KEY  secp256k1 public key in hex (66 characters compressed, 130\n"
    "                uncompressed) or an xpub (111 characters); wasm needs the xpub\n"
    "  --path HEX    (wasm) user derivation path: even number of bytes, at most 256\n"
    "  -o OUT        output file; '-' for stdout; default FILE.cipher (stdout if FILE is -)\n"
    "  -h, --help    this help\n"
    "HASH is a module's 64-hex-character BLAKE3 content hash. FILE '-' reads stdin.\n";

static void print_usage(FILE *f, int mode)
{
    if (mode < 0) {
        fputs("usage: esgx encrypt MODE ...   (MODE: module, shared, wasm)\n\n", f);
        for (int i = 0; i < 3; i++) fputs(mode_usage[i], f);
    } else {
        fputs(mode_usage[mode], f);
    }
    fputs(common_help, f);
}

/* A recipient public key from hex or an xpub. With want_xpub, *xpub is filled and the
 * text must be an xpub. Returns 0 or -1 (message printed). */
static int parse_key(const char *text, int want_xpub, uint8_t pub[33], esgx_bip32_key *xpub)
{
    esgx_err err;
    size_t len = strlen(text);
    if (len >= 4 && (!strncmp(text, "xprv", 4) || !strncmp(text, "tprv", 4))) {
        cli_error("--pubkey: this is a private extended key; give the xpub instead");
        return -1;
    }
    if (len >= 4 && !strncmp(text, "xpub", 4)) {
        esgx_bip32_key k;
        if (esgx_bip32_key_parse(text, len, &k, &err)) {
            cli_error("--pubkey: not a valid xpub: %s", err.msg);
            return -1;
        }
        memcpy(pub, k.public_key, 33);
        if (xpub) *xpub = k;
        esgx_bip32_key_wipe(&k);
        return 0;
    }
    if (want_xpub) {
        cli_error("--pubkey: wasm mode needs the network xpub (111 characters starting "
                  "with 'xpub'), not a bare public key");
        return -1;
    }
    uint8_t raw[65];
    size_t n = 0;
    if (len != 66 && len != 130) {
        cli_error("--pubkey: expected 66 hex characters (compressed public key) or an xpub, "
                  "got %zu characters", len);
        return -1;
    }
    if (esgx_crypto_hex_decode(text, len, raw, sizeof raw, &n, &err)) {
        cli_error("--pubkey: %s", err.msg);
        return -1;
    }
    if (esgx_ec_pubkey_normalize(raw, n, pub, &err)) {
        cli_error("--pubkey: %s", err.msg);
        return -1;
    }
    return 0;
}

static int parse_hash(const char *text, uint8_t out[32])
{
    esgx_err err;
    size_t n = 0, len = strlen(text);
    if (len != 64) {
        cli_error("module hash '%s': expected 64 hex characters, got %zu", text, len);
        return -1;
    }
    if (esgx_crypto_hex_decode(text, len, out, 32, &n, &err)) {
        cli_error("module hash '%s': %s", text, err.msg);
        return -1;
    }
    return 0;
}

static int usage_error(int mode, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(int mode, const char *fmt, ...)
{
    va_list ap;
    fputs("esgx: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    print_usage(stderr, mode);
    return CLI_EXIT_USAGE;
}

int cmd_encrypt(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr, -1);
        return CLI_EXIT_USAGE;
    }
    const char *m = argv[1];
    if (!strcmp(m, "--help") || !strcmp(m, "-h") || !strcmp(m, "help")) {
        print_usage(stdout, -1);
        return CLI_EXIT_OK;
    }
    int mode;
    if (!strcmp(m, "module")) mode = MODE_MODULE;
    else if (!strcmp(m, "shared")) mode = MODE_SHARED;
    else if (!strcmp(m, "wasm")) mode = MODE_WASM;
    else {
        fprintf(stderr, "esgx: encrypt: unknown mode '%s'\n", m);
        print_usage(stderr, -1);
        return CLI_EXIT_USAGE;
    }

    const char *pubkey = NULL, *out_path = NULL, *path_hex = NULL;
    const char *pos[MAX_POSITIONAL];
    int npos = 0, opts_done = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && a[0] == '-' && a[1] != '\0') {
            if (!strcmp(a, "--")) {
                opts_done = 1;
            } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                print_usage(stdout, mode);
                return CLI_EXIT_OK;
            } else if (!strcmp(a, "--pubkey") || !strcmp(a, "-o") || !strcmp(a, "--output") ||
                       (!strcmp(a, "--path") && mode == MODE_WASM)) {
                if (i + 1 >= argc) return usage_error(mode, "option %s needs a value", a);
                const char *v = argv[++i];
                if (a[1] == 'o' || a[2] == 'o') out_path = v;
                else if (a[2] == 'p' && a[3] == 'u') pubkey = v;
                else path_hex = v;
            } else if (!strncmp(a, "--pubkey=", 9)) {
                pubkey = a + 9;
            } else if (!strncmp(a, "--output=", 9)) {
                out_path = a + 9;
            } else if (!strncmp(a, "--path=", 7) && mode == MODE_WASM) {
                path_hex = a + 7;
            } else {
                return usage_error(mode, "unknown option '%s'", a);
            }
        } else {
            if (npos == MAX_POSITIONAL)
                return usage_error(mode, "too many arguments (%s)", a);
            pos[npos++] = a;
        }
    }
    if (!pubkey) return usage_error(mode, "%s", "--pubkey is required");
    if (mode == MODE_MODULE && npos != 1)
        return usage_error(mode, "%s", "module mode takes exactly one FILE");
    if (mode == MODE_SHARED && npos < 2)
        return usage_error(mode, "%s", "shared mode takes a FILE and at least one HASH");
    if (mode == MODE_SHARED && npos > 256)
        return usage_error(mode, "%s", "shared mode takes at most 255 HASHes");
    if (mode == MODE_WASM && npos != 2)
        return usage_error(mode, "%s", "wasm mode takes a HASH and a FILE");
    const char *file = mode == MODE_WASM ? pos[1] : pos[0];

    /* Validate every argument before touching files. */
    uint8_t pub[33];
    esgx_bip32_key xpub, derived;
    memset(&xpub, 0, sizeof xpub);
    memset(&derived, 0, sizeof derived);
    if (parse_key(pubkey, mode == MODE_WASM, pub, &xpub)) return CLI_EXIT_FAIL;
    uint8_t (*hashes)[32] = NULL;
    size_t nhashes = 0;
    if (mode == MODE_SHARED) {
        nhashes = (size_t)npos - 1;
        hashes = calloc(nhashes, 32);
        if (!hashes) {
            cli_error("out of memory");
            return CLI_EXIT_FAIL;
        }
        for (size_t i = 0; i < nhashes; i++)
            if (parse_hash(pos[i + 1], hashes[i])) {
                free(hashes);
                return CLI_EXIT_FAIL;
            }
    }
    if (mode == MODE_WASM) {
        uint8_t module_hash[32], path[ESGX_BIP32_MAX_PATH_LEN];
        size_t path_len = 0;
        esgx_err err;
        if (parse_hash(pos[0], module_hash)) return CLI_EXIT_FAIL;
        if (path_hex) {
            size_t hl = strlen(path_hex);
            if (hl > 2 * ESGX_BIP32_MAX_PATH_LEN) {
                cli_error("--path: %zu bytes, at most %d allowed", hl / 2, ESGX_BIP32_MAX_PATH_LEN);
                return CLI_EXIT_FAIL;
            }
            if (esgx_crypto_hex_decode(path_hex, hl, path, sizeof path, &path_len, &err)) {
                cli_error("--path: %s", err.msg);
                return CLI_EXIT_FAIL;
            }
        }
        if (esgx_bip32_module_key_derive(&xpub, module_hash, path, path_len, &derived, &err)) {
            cli_error("--path: %s", err.msg);
            return CLI_EXIT_FAIL;
        }
        memcpy(pub, derived.public_key, 33);
    }

    uint8_t *data = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    int status = CLI_EXIT_FAIL;
    esgx_err err;
    if (cli_read_file(file, ENCRYPT_MAX_INPUT, &data, &len, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    if (mode == MODE_SHARED) {
        if (len == 0) {
            cli_error("%s: empty; the approved-wasm format needs at least one byte of data",
                      file);
            goto done;
        }
        size_t head = ESGX_APPROVED_WASM_MAGIC_LEN + 1 + 32 * nhashes;
        uint8_t *pt = malloc(head + len);
        if (!pt) {
            cli_error("out of memory");
            goto done;
        }
        size_t pt_len = 0;
        if (esgx_approved_wasm_build((const uint8_t(*)[32])hashes, nhashes, data, len, pt,
                                head + len, &pt_len, &err)) {
            cli_error("%s", err.msg);
            esgx_crypto_wipe(pt, head + len);
            free(pt);
            goto done;
        }
        esgx_crypto_wipe(data, len);
        free(data);
        data = pt;
        len = pt_len;
    }
    out = malloc(len + ESGX_ECIES_OVERHEAD);
    if (!out) {
        cli_error("out of memory");
        goto done;
    }
    if (esgx_ecies_encrypt(pub, 33, data, len, out, len + ESGX_ECIES_OVERHEAD, &out_len, &err)) {
        cli_error("%s", err.msg);
        goto done;
    }
    char *def = NULL;
    if (!out_path) {
        if (!strcmp(file, "-")) {
            out_path = "-";
        } else {
            size_t fl = strlen(file);
            def = malloc(fl + 8);
            if (!def) {
                cli_error("out of memory");
                goto done;
            }
            memcpy(def, file, fl);
            memcpy(def + fl, ".cipher", 8);
            out_path = def;
        }
    }
    if (cli_write_file(out_path, out, out_len, 0644, &err)) {
        cli_error("%s", err.msg);
        free(def);
        goto done;
    }
    if (strcmp(out_path, "-")) fprintf(stderr, "esgx: wrote %s (%zu bytes)\n", out_path, out_len);
    free(def);
    status = CLI_EXIT_OK;
done:
    if (data) esgx_crypto_wipe(data, len);
    free(data);
    free(out);
    free(hashes);
    esgx_bip32_key_wipe(&xpub);
    esgx_bip32_key_wipe(&derived);
    return status;
}
