/*
 * cmd_keys.c: `esgx keys new|import|show`, the developer key (cli_names.c).
 *
 * The developer key signs the records of the names you deploy and the transfers you
 * make (docs/formats.md "Name records"); its public key owns your names. `esgx login`
 * makes one when there is none. new and import never replace an existing key: losing it
 * loses the names it owns (an admin would have to delete them), so replacing one is a
 * deliberate act (move the file away first). show prints the public key alone on stdout,
 * for `esgx functions transfer NAME --to "$(esgx keys show)"` on the receiving side.
 */
#include "cli.h"
#include "cli_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_crypto.h"

static const char keys_usage[] =
    "usage: esgx keys new\n"
    "       esgx keys import FILE\n"
    "       esgx keys show\n"
    "  The developer key: a secp256k1 key that signs the records of the functions you\n"
    "  deploy and your transfers of them; its public key owns your function names.\n"
    "  Kept in $XDG_CONFIG_HOME/esgx/developer.key (default ~/.config/esgx), mode 0600;\n"
    "  'esgx login' makes one when there is none. Back it up: without it you cannot\n"
    "  deploy your names again.\n"
    "  new     make a new key (refused when one exists)\n"
    "  import  use the secret key in FILE ('-' = stdin): 64 hex characters (refused when\n"
    "          a key exists)\n"
    "  show    print the public key (66 hex characters)\n"
    "exit: 0 done, 1 refused (a key exists, none exists, a bad key file), 2 usage\n";

const cli_option cli_options_keys_new[] = {CLI_OPT_END};
const cli_option cli_options_keys_import[] = {CLI_OPT_END};
const cli_option cli_options_keys_show[] = {CLI_OPT_END};

/* Stores sk unless a key exists; prints what happened. */
static int store(const uint8_t sk[32], const char *what)
{
    char path[4200];
    uint8_t pk[33];
    char hex[67];
    esgx_err err;
    if (cli_devkey_path(path, sizeof path, &err) || esgx_ec_pubkey_from_seckey(sk, pk, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    int rc = cli_devkey_store(sk, &err);
    if (rc == 1) {
        cli_error("a developer key exists already (%s): it owns the names it deployed; move it "
                  "away first if you really mean to replace it", path);
        return CLI_EXIT_FAIL;
    }
    if (rc) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    esgx_crypto_hex_encode(pk, 33, hex);
    printf("developer key %s %s (%s)\n", hex, what, path);
    return CLI_EXIT_OK;
}

static int keys_new(int argc, char **argv)
{
    size_t n_pos;
    int prc = cli_parse_options("keys new", NULL, argc, argv, NULL, 0, &n_pos);
    if (prc == 1) fputs(keys_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;
    uint8_t sk[32];
    esgx_err err;
    if (esgx_ec_seckey_generate(sk, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    int rc = store(sk, "made");
    esgx_crypto_wipe(sk, sizeof sk);
    return rc;
}

static int keys_import(int argc, char **argv)
{
    const char *file = NULL;
    size_t n_pos;
    int prc = cli_parse_options("keys import", NULL, argc, argv, &file, 1, &n_pos);
    if (prc == 1) fputs(keys_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;
    if (!file) return cli_usage_error("keys import", "FILE is required ('-' for stdin)");
    uint8_t *data, sk[32], pk[33];
    size_t len, n = 0;
    esgx_err err;
    if (cli_read_file(file, 4096, &data, &len, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' ')) len--;
    int good = len == 64 && !esgx_crypto_hex_decode((const char *)data, 64, sk, 32, &n, NULL) &&
               n == 32 && !esgx_ec_pubkey_from_seckey(sk, pk, NULL);
    esgx_crypto_wipe(data, len);
    free(data);
    int rc = CLI_EXIT_FAIL;
    if (!good)
        cli_error("%s: not a developer key (64 hex characters of a secp256k1 secret key)", file);
    else
        rc = store(sk, "imported");
    esgx_crypto_wipe(sk, sizeof sk);
    return rc;
}

static int keys_show(int argc, char **argv)
{
    size_t n_pos;
    int prc = cli_parse_options("keys show", NULL, argc, argv, NULL, 0, &n_pos);
    if (prc == 1) fputs(keys_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;
    uint8_t sk[32], pk[33];
    char hex[67];
    esgx_err err;
    int rc = cli_devkey_load(sk, pk, &err);
    esgx_crypto_wipe(sk, sizeof sk);
    if (rc) {
        cli_error("%s%s", err.msg, rc == CLI_KEY_MISSING ? ": run 'esgx keys new' (or 'esgx "
                                                           "login')" : "");
        return CLI_EXIT_FAIL;
    }
    esgx_crypto_hex_encode(pk, 33, hex);
    puts(hex);
    return CLI_EXIT_OK;
}

int cmd_keys(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error("keys", "give a subcommand: new, import or show");
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
        fputs(keys_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "new")) return keys_new(argc - 1, argv + 1);
    if (!strcmp(sub, "import")) return keys_import(argc - 1, argv + 1);
    if (!strcmp(sub, "show")) return keys_show(argc - 1, argv + 1);
    return cli_unknown_subcommand("keys", "subcommand", sub);
}
