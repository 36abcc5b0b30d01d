/*
 * cli_spec.c: the names of the esgx command line in one table: each command (and each
 * "command subcommand") with its subcommands and its options. Three things read it:
 * the did-you-mean of usage errors (cli_unknown_option, cli_unknown_subcommand), main()
 * to know whether a command takes --json (its errors then also go to stdout as JSON),
 * and `esgx completion bash` (cmd_completion.c). Each command still parses its own
 * arguments (cli_parse_options tables or its loop); tests/cli_usage.sh checks that
 * every option named here is in the command's --help and every --option of the --help
 * is named here, so the table cannot drift from the parsers unnoticed.
 */
#include "cli.h"

#include <string.h>

static const cli_spec specs[] = {
    {"hash", NULL, "--length -l --keyed --derive-key --no-names --raw --num-threads --no-mmap"},
    {"encrypt", "module shared wasm", ""},
    {"encrypt module", NULL, "--pubkey --output -o"},
    {"encrypt shared", NULL, "--pubkey --output -o"},
    {"encrypt wasm", NULL, "--pubkey --path --output -o"},
    {"run", NULL,
     "--function --input --input-file --fuel --json --arg --dev-seed --module-hash "
     "--show-dev-key --dump-code --tier"},
    {"attest", NULL,
     "--quote --collateral --at --mrenclave --allow-debug --accept-status --sim-root --json"},
    {"sim", "init quote", ""},
    {"sim init", NULL, ""},
    {"sim quote", NULL,
     "--bundle --out --mrenclave --mrsigner --report-data --isvprodid --isvsvn --debug"},
    {"login", NULL, "--node --token --token-file --force --sim-root --insecure-skip-attest"},
    {"functions", "deploy list delete", ""},
    {"functions deploy", NULL,
     "--name --path --url --encrypted --no-encrypt --progress --no-progress --logs --json"},
    {"functions list", NULL, "--json"},
    {"functions delete", NULL, ""},
    {"invoke", NULL,
     "--input --input-file --decrypt --function --fuel --json --save --save-request"},
    {"verify", NULL,
     "--request --response --network-key --fuel-limit --json --print-output"},
    {"nodes", NULL, "--verify --sim-root --json"},
    {"new", NULL, "--lang --dir"},
    {"build", NULL, "--dir"},
    {"deploy", NULL, "--dir --json --progress --no-progress"},
    {"dev", NULL, "--dir --port --tier --verbose"},
    {"logs", NULL, "--follow -f"},
    {"completion", "bash", ""},
};

const cli_spec *cli_specs(size_t *n)
{
    *n = sizeof specs / sizeof specs[0];
    return specs;
}

const cli_spec *cli_spec_find(const char *path)
{
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (!strcmp(specs[i].path, path)) return &specs[i];
    return NULL;
}
