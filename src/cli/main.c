/*
 * esgx: the command-line tool of esgx.
 *
 * main() only dispatches to the subcommands (cmd_*.c) and answers --help and
 * --version ("esgx VERSION", VERSION from CMake's project(VERSION)); shared helpers live
 * in cli_util.c and cli_opts.c (option tables). It owns the run's error report
 * (cli_report): when the command takes --json (its table, cli_spec.c) and was given it, a failure
 * ends with the JSON error object on stdout. A misspelled command gets a did-you-mean.
 * See docs/cli.md for the reference.
 */
#include "cli.h"
#include "cli_project.h"

#include <stdio.h>
#include <string.h>

#ifndef ESGX_VERSION   /* from project(VERSION) in the top CMakeLists.txt */
#error "ESGX_VERSION must be defined by the build"
#endif

static const cli_command commands[] = {
    {"hash", cmd_hash, "BLAKE3 of files, like b3sum"},
    {"encrypt", cmd_encrypt, "encrypt a module or data to the network key (module|shared|wasm)"},
    {"run", cmd_run, "run a WebAssembly function locally"},
    {"attest", cmd_attest, "verify a node (URL) or a saved SGX quote with its collateral"},
    {"sim", cmd_sim, "simulation provisioning bundle: sim init DIR, sim quote"},
    {"login", cmd_login, "point the CLI at a node, pin its network key, store a token"},
    {"keys", cmd_keys, "the developer key that signs your function names (new|import|show)"},
    {"functions", cmd_functions, "deploy, list, delete and transfer functions on the node"},
    {"invoke", cmd_invoke, "call a function and verify the signed answer"},
    {"logs", cmd_logs, "recent debug output of a function deployed with logs (--follow)"},
    {"nodes", cmd_nodes, "the members of the network (--verify: attest each, one key)"},
    {"verify", cmd_verify, "verify a saved answer offline against its request"},
    {"new", cmd_new, "make a function project: esgx new NAME --lang c|rust|assemblyscript"},
    {"build", cmd_build, "build the project in this folder (esgx.toml)"},
    {"deploy", cmd_deploy, "build, check and deploy the project in this folder"},
    {"dev", cmd_dev, "a local node running this project, rebuilt on every change"},
    {"completion", cmd_completion, "print a shell completion script (bash)"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "esgx %s: confidential WebAssembly functions on SGX edge nodes\n\n"
            "usage: esgx COMMAND [ARGS...]\n\ncommands:\n",
            ESGX_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'esgx COMMAND --help' for a command's options.\n");
}

/* Whether the command at argv[1] (with its subcommand, when it has one) takes --json
 * and argv holds it before any "--". */
static int wants_json(int argc, char **argv)
{
    char path[128];
    snprintf(path, sizeof path, "%s", argv[1]);
    const cli_spec *s = cli_spec_find(path);
    if (s && s->subcommands && argc > 2 && cli_words_has(s->subcommands, argv[2])) {
        snprintf(path, sizeof path, "%s %s", argv[1], argv[2]);
        s = cli_spec_find(path);
    }
    if (!s || !cli_option_find(s->options, "--json")) return 0;
    for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--json")) return 1;
    return 0;
}

static int unknown_command(const char *name)
{
    char words[512] = "", near[64];
    size_t used = 0;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        int n = snprintf(words + used, sizeof words - used, "%s ", commands[i].name);
        if (n > 0 && (size_t)n < sizeof words - used) used += (size_t)n;
    }
    if (cli_suggest(name, words, near, sizeof near))
        cli_error("unknown command '%s'; did you mean '%s'?", name, near);
    else
        cli_error("unknown command '%s'", name);
    fprintf(stderr, "esgx: see 'esgx --help'\n");
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_error("give a command");
        fprintf(stderr, "esgx: see 'esgx --help'\n");
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--man"))   /* hidden: the build makes esgx.1 with it (cli_man.c) */
        return cli_man_page(commands, sizeof commands / sizeof commands[0]);
    if (!strcmp(argv[1], "--version")) {
        printf("esgx %s\n", ESGX_VERSION);
        return CLI_EXIT_OK;
    }
    cli_report report;
    memset(&report, 0, sizeof report);
    report.json = wants_json(argc, argv);
    cli_report_attach(&report);
    int rc = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0] && rc < 0; i++)
        if (!strcmp(argv[1], commands[i].name)) rc = commands[i].run(argc - 1, argv + 1);
    if (rc < 0) rc = unknown_command(argv[1]);
    rc = cli_report_finish(&report, rc);
    cli_report_attach(NULL);
    return rc;
}
