/*
 * cli_spec.c: the esgx command line in one table: each command (and each "command
 * subcommand") with its subcommands and its option table. The option tables live
 * beside their parsers (cmd_*.c, since each row names a field of that command's
 * options struct) and this table points at them, so each option is one row in one
 * place, read by: the parser (cli_parse_options finds a command's table here), the
 * did-you-mean of usage errors (cli_unknown_option, cli_unknown_subcommand), main() to
 * know whether a command takes --json (its errors then also go to stdout as JSON), and
 * `esgx completion bash` (cmd_completion.c). tests/cli_usage.sh checks that every
 * option of a table is in the command's --help and every option docs/cli.md shows
 * is in the table.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const cli_spec specs[] = {
    {"hash", NULL, cli_options_hash},
    {"encrypt", "module shared wasm", NULL},
    /* the first row of the encrypt table, --path, is wasm's alone */
    {"encrypt module", NULL, cli_options_encrypt + 1},
    {"encrypt shared", NULL, cli_options_encrypt + 1},
    {"encrypt wasm", NULL, cli_options_encrypt},
    {"run", NULL, cli_options_run},
    {"attest", NULL, cli_options_attest},
    {"sim", "init quote", NULL},
    {"sim init", NULL, cli_options_sim_init},
    {"sim quote", NULL, cli_options_sim_quote},
    {"login", NULL, cli_options_login},
    {"keys", "new import show", NULL},
    {"keys new", NULL, cli_options_keys_new},
    {"keys import", NULL, cli_options_keys_import},
    {"keys show", NULL, cli_options_keys_show},
    {"functions", "deploy list delete transfer", NULL},
    {"functions deploy", NULL, cli_options_functions_deploy},
    {"functions list", NULL, cli_options_functions_list},
    {"functions delete", NULL, cli_options_functions_delete},
    {"functions transfer", NULL, cli_options_functions_transfer},
    {"invoke", NULL, cli_options_invoke},
    {"verify", NULL, cli_options_verify},
    {"nodes", NULL, cli_options_nodes},
    {"new", NULL, cli_options_new},
    {"build", NULL, cli_options_build},
    {"deploy", NULL, cli_options_deploy},
    {"dev", NULL, cli_options_dev},
    {"logs", NULL, cli_options_logs},
    {"completion", "bash", NULL},
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

char *cli_option_words(const cli_option *t, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = 0;
    for (; t && t->name; t++) {
        if (t->hidden) continue;
        const char *names[2] = {t->name, t->alias};
        for (int k = 0; k < 2; k++) {
            if (!names[k]) continue;
            int n = snprintf(out + used, cap - used, "%s%s", used ? " " : "", names[k]);
            if (n > 0 && (size_t)n < cap - used) used += (size_t)n;
            else out[used] = 0;
        }
    }
    return out;
}

const cli_option *cli_option_find(const cli_option *t, const char *name)
{
    for (; t && t->name; t++)
        if (!strcmp(t->name, name)) return t;
    return NULL;
}
