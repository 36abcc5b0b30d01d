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
 * Without --pubkey the key pinned by `esgx login` is used (module, shared: the network
 * key; wasm: the xpub read at login), so a logged-in user names no key at all.
 * FILE comes first in every mode (FILE HASH... for shared, FILE HASH for wasm); wasm
 * also takes the older HASH FILE order: whichever of its two arguments is a 64-hex
 * hash while the other is not is the hash (when both could be, HASH FILE as before).
 * Options may come before or after the positional arguments; "--" ends options.
 * Exit codes follow cli.h: 0 done, 1 bad key/hash/path or I/O failure, 2 wrong usage.
 */
#include "cli.h"
#include "cli_node.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esgx_crypto.h"

/* Largest FILE we encrypt (the whole file is held in memory). */
#define ENCRYPT_MAX_INPUT ((size_t)1 << 30)
#define MAX_POSITIONAL 260

typedef enum { MODE_MODULE, MODE_SHARED, MODE_WASM } encrypt_mode;

static const char *const mode_usage[] = {
    "usage: esgx encrypt module [--pubkey KEY] FILE [-o OUT]\n"
    "  Encrypt FILE (ECIES, eciesjs-compatible) to KEY, e.g. a module to the network key.\n",
    "usage: esgx encrypt shared [--pubkey KEY] FILE HASH... [-o OUT]\n"
    "  Encrypt FILE to KEY behind an approved-wasm header listing the module HASHes\n"
    "  (1 to 255), so that only those modules can unseal it with shared_key_unseal.\n",
    "usage: esgx encrypt wasm [--pubkey XPUB] [--path HEX] FILE HASH [-o OUT]\n"
    "  Encrypt FILE to the derived key of module HASH (and the optional user path),\n"
    "  computed from the network xpub, so that only that module can unseal it with\n"
    "  derived_key_unseal. HASH FILE (the older order) is taken too.\n",
};

static const char common_help[] =
    "\noptions:\n"
    "  --pubkey KEY  secp256k1 public key in hex (66 characters compressed, 130\n"
    "                uncompressed) or an xpub (111 characters); wasm needs the xpub.\n"
    "                Default: the network key (wasm: xpub) pinned by esgx login\n"
    "  --path HEX    (wasm) user derivation path: even number of bytes, at most 256\n"
    "  -o, --output OUT  output file; '-' for stdout; default FILE.cipher (stdout if FILE is -)\n"
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
        return ESGX_CLI_E_FAILED;
    }
    if (len >= 4 && !strncmp(text, "xpub", 4)) {
        esgx_bip32_key k;
        if (esgx_bip32_key_parse(text, len, &k, &err)) {
            cli_error("--pubkey: not a valid xpub: %s", err.msg);
            return ESGX_CLI_E_FAILED;
        }
        memcpy(pub, k.public_key, 33);
        if (xpub) *xpub = k;
        esgx_bip32_key_wipe(&k);
        return 0;
    }
    if (want_xpub) {
        cli_error("--pubkey: wasm mode needs the network xpub (111 characters starting "
                  "with 'xpub'), not a bare public key");
        return ESGX_CLI_E_FAILED;
    }
    uint8_t raw[65];
    size_t n = 0;
    if (len != 66 && len != 130) {
        cli_error("--pubkey: expected 66 hex characters (compressed public key) or an xpub, "
                  "got %zu characters", len);
        return ESGX_CLI_E_FAILED;
    }
    if (esgx_crypto_hex_decode(text, len, raw, sizeof raw, &n, &err)) {
        cli_error("--pubkey: %s", err.msg);
        return ESGX_CLI_E_FAILED;
    }
    if (esgx_ec_pubkey_normalize(raw, n, pub, &err)) {
        cli_error("--pubkey: %s", err.msg);
        return ESGX_CLI_E_FAILED;
    }
    return 0;
}

static int parse_hash(const char *text, uint8_t out[32])
{
    esgx_err err;
    size_t n = 0, len = strlen(text);
    if (len != 64) {
        cli_error("module hash '%s': expected 64 hex characters, got %zu", text, len);
        return ESGX_CLI_E_FAILED;
    }
    if (esgx_crypto_hex_decode(text, len, out, 32, &n, &err)) {
        cli_error("module hash '%s': %s", text, err.msg);
        return ESGX_CLI_E_FAILED;
    }
    return 0;
}

static const char *const mode_path[] = {"encrypt module", "encrypt shared", "encrypt wasm"};

/* A usage error of a mode: one line, then where its usage is. */
static int usage_error(int mode, const char *msg)
{
    return cli_usage_error(mode_path[mode], "%s", msg);
}

typedef struct encrypt_opts {
    const char *pubkey, *out_path, *path_hex;
} encrypt_opts;

/* The options of the three modes; --path comes first so that cli_spec.c gives the
 * modes other than wasm the table from its second row on. */
const cli_option cli_options_encrypt[] = {
    CLI_OPT_ROW("--path", CLI_OPT_STRING, encrypt_opts, path_hex),
    CLI_OPT_ROW("--pubkey", CLI_OPT_STRING, encrypt_opts, pubkey),
    {.name = "--output", .alias = "-o", .kind = CLI_OPT_STRING,
     .offset = offsetof(encrypt_opts, out_path)},
    CLI_OPT_END,
};

/* One encryption: the parsed command line and the keys and hashes it names. */
typedef struct encrypt_job {
    int mode;
    encrypt_opts o;
    const char *pos[MAX_POSITIONAL];
    size_t npos;
    const char *file;
    uint8_t pub[33];
    esgx_bip32_key xpub, derived;
    uint8_t (*hashes)[32];
    size_t nhashes;
    size_t hash_at;            /* wasm: the position of HASH (0 or 1) */
    char login_key[128];       /* the key pinned by esgx login, when no --pubkey */
} encrypt_job;

/* 1 when s is 64 hex characters (either case), the shape of a module hash. */
static int looks_hash(const char *s)
{
    return strlen(s) == 64 && strspn(s, "0123456789abcdefABCDEF") == 64;
}

/* Mode, options and argument counts. Returns -1 to go on, else an exit status. */
static int encrypt_parse(int argc, char **argv, encrypt_job *j)
{
    const char *m = argv[1];
    if (!strcmp(m, "--help") || !strcmp(m, "-h") || !strcmp(m, "help")) {
        print_usage(stdout, -1);
        return CLI_EXIT_OK;
    }
    if (!strcmp(m, "module")) j->mode = MODE_MODULE;
    else if (!strcmp(m, "shared")) j->mode = MODE_SHARED;
    else if (!strcmp(m, "wasm")) j->mode = MODE_WASM;
    else
        return cli_unknown_subcommand("encrypt", "mode", m);
    int rc = cli_parse_options(mode_path[j->mode], &j->o, argc - 1, argv + 1, j->pos,
                               MAX_POSITIONAL, &j->npos);
    if (rc == 1) print_usage(stdout, j->mode);
    if (rc == 1) return CLI_EXIT_OK;
    if (rc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    if (!j->o.pubkey) {   /* the key pinned at login */
        cli_config cfg;
        esgx_err err;
        int lr = cli_config_load(&cfg, &err);
        const char *k = lr ? "" : j->mode == MODE_WASM ? cfg.xpub : cfg.network_key;
        if (k[0]) snprintf(j->login_key, sizeof j->login_key, "%s", k);
        esgx_crypto_wipe(&cfg, sizeof cfg);
        if (!j->login_key[0])
            return usage_error(j->mode, j->mode == MODE_WASM
                                            ? "--pubkey XPUB is required when not logged in "
                                              "(esgx login pins the network xpub)"
                                            : "--pubkey is required when not logged in "
                                              "(esgx login pins the network key)");
        j->o.pubkey = j->login_key;
    }
    if (j->mode == MODE_MODULE && j->npos != 1)
        return usage_error(j->mode, "module mode takes exactly one FILE");
    if (j->mode == MODE_SHARED && j->npos < 2)
        return usage_error(j->mode, "shared mode takes a FILE and at least one HASH");
    if (j->mode == MODE_SHARED && j->npos > 256)
        return usage_error(j->mode, "shared mode takes at most 255 HASHes");
    if (j->mode == MODE_WASM && j->npos != 2)
        return usage_error(j->mode, "wasm mode takes a HASH and a FILE");
    j->hash_at = 1;
    if (j->mode == MODE_WASM) {   /* FILE HASH, or the older HASH FILE */
        int h0 = looks_hash(j->pos[0]), h1 = looks_hash(j->pos[1]);
        j->hash_at = h0 && !h1 ? 0 : h1 && !h0 ? 1 : h0 ? 0
                   /* neither is hash-shaped: the file is the one that exists */
                   : !strcmp(j->pos[1], "-") || !access(j->pos[1], F_OK) ? 0 : 1;
    }
    j->file = j->mode == MODE_WASM ? j->pos[1 - j->hash_at] : j->pos[0];
    return ESGX_CLI_E_FAILED;
}

/* The recipient key (wasm mode: the module key derived from the xpub) and the hashes
 * of shared mode, all checked before any file is touched. Returns an exit status. */
static int encrypt_keys(encrypt_job *j)
{
    if (parse_key(j->o.pubkey, j->mode == MODE_WASM, j->pub, &j->xpub)) return CLI_EXIT_FAIL;
    if (j->mode == MODE_SHARED) {
        j->nhashes = j->npos - 1;
        j->hashes = calloc(j->nhashes, 32);
        if (!j->hashes) {
            cli_error("out of memory");
            return CLI_EXIT_FAIL;
        }
        for (size_t i = 0; i < j->nhashes; i++)
            if (parse_hash(j->pos[i + 1], j->hashes[i])) return CLI_EXIT_FAIL;
    }
    if (j->mode != MODE_WASM) return CLI_EXIT_OK;
    uint8_t module_hash[32], path[ESGX_BIP32_MAX_PATH_LEN];
    size_t path_len = 0;
    esgx_err err;
    if (parse_hash(j->pos[j->hash_at], module_hash)) return CLI_EXIT_FAIL;
    if (j->o.path_hex) {
        size_t hl = strlen(j->o.path_hex);
        if (hl > 2 * ESGX_BIP32_MAX_PATH_LEN) {
            cli_error("--path: %zu bytes, at most %d allowed", hl / 2, ESGX_BIP32_MAX_PATH_LEN);
            return CLI_EXIT_FAIL;
        }
        if (esgx_crypto_hex_decode(j->o.path_hex, hl, path, sizeof path, &path_len, &err)) {
            cli_error("--path: %s", err.msg);
            return CLI_EXIT_FAIL;
        }
    }
    if (esgx_bip32_module_key_derive(&j->xpub, module_hash, path, path_len, &j->derived, &err)) {
        cli_error("--path: %s", err.msg);
        return CLI_EXIT_FAIL;
    }
    memcpy(j->pub, j->derived.public_key, 33);
    return CLI_EXIT_OK;
}

/* Shared mode: wraps *data in the approved-wasm format (replacing and wiping it).
 * Returns 0 or ESGX_CLI_E_FAILED (message printed). */
static int wrap_approved(const encrypt_job *j, uint8_t **data, size_t *len)
{
    if (*len == 0) {
        cli_error("%s: empty; the approved-wasm format needs at least one byte of data",
                  j->file);
        return ESGX_CLI_E_FAILED;
    }
    size_t head = ESGX_APPROVED_WASM_MAGIC_LEN + 1 + 32 * j->nhashes, pt_len = 0;
    uint8_t *pt = malloc(head + *len);
    esgx_err err;
    if (!pt) {
        cli_error("out of memory");
        return ESGX_CLI_E_FAILED;
    }
    if (esgx_approved_wasm_build((const uint8_t(*)[32])j->hashes, j->nhashes, *data, *len, pt,
                                 head + *len, &pt_len, &err)) {
        cli_error("%s", err.msg);
        esgx_crypto_wipe(pt, head + *len);
        free(pt);
        return ESGX_CLI_E_FAILED;
    }
    esgx_crypto_wipe(*data, *len);
    free(*data);
    *data = pt;
    *len = pt_len;
    return ESGX_OK;
}

/* Writes the ciphertext to -o, else FILE.cipher (stdout for "-"). Returns an exit status. */
static int write_cipher(const encrypt_job *j, const uint8_t *out, size_t out_len)
{
    const char *out_path = j->o.out_path;
    char *def = NULL;
    esgx_err err;
    if (!out_path && !strcmp(j->file, "-")) {
        out_path = "-";
    } else if (!out_path) {
        size_t fl = strlen(j->file);
        def = malloc(fl + 8);
        if (!def) {
            cli_error("out of memory");
            return CLI_EXIT_FAIL;
        }
        memcpy(def, j->file, fl);
        memcpy(def + fl, ".cipher", 8);
        out_path = def;
    }
    int status = CLI_EXIT_OK;
    if (cli_write_file(out_path, out, out_len, 0644, &err)) {
        cli_error("%s", err.msg);
        status = CLI_EXIT_FAIL;
    } else if (strcmp(out_path, "-")) {
        fprintf(stderr, "esgx: wrote %s (%zu bytes)\n", out_path, out_len);
    }
    free(def);
    return status;
}

/* Reads FILE, wraps it (shared mode), encrypts it to j->pub and writes it. */
static int encrypt_file(const encrypt_job *j)
{
    uint8_t *data = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    int status = CLI_EXIT_FAIL;
    esgx_err err;
    if (cli_read_file(j->file, ENCRYPT_MAX_INPUT, &data, &len, &err)) {
        cli_error("%s", err.msg);
    } else if (j->mode != MODE_SHARED || wrap_approved(j, &data, &len) == ESGX_OK) {
        out = malloc(len + ESGX_ECIES_OVERHEAD);
        if (!out)
            cli_error("out of memory");
        else if (esgx_ecies_encrypt(j->pub, 33, data, len, out, len + ESGX_ECIES_OVERHEAD,
                                    &out_len, &err))
            cli_error("%s", err.msg);
        else
            status = write_cipher(j, out, out_len);
    }
    if (data) esgx_crypto_wipe(data, len);
    free(data);
    free(out);
    return status;
}

int cmd_encrypt(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error("encrypt", "give a mode: module, shared or wasm");
    encrypt_job *j = calloc(1, sizeof *j);
    if (!j) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    int status = encrypt_parse(argc, argv, j);
    if (status < 0) status = encrypt_keys(j);
    if (status == CLI_EXIT_OK && j->file) status = encrypt_file(j);
    free(j->hashes);
    esgx_bip32_key_wipe(&j->xpub);
    esgx_bip32_key_wipe(&j->derived);
    free(j);
    return status;
}
