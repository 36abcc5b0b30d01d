/*
 * esgx: the command-line tool of esgx.
 *
 * main() only dispatches to the subcommands (cmd_*.c) and answers --help and
 * --version ("esgx VERSION", VERSION from CMake's project(VERSION)); shared helpers live
 * in cli_util.c and cli_opts.c (option tables). See docs/cli.md for the reference.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#ifndef ESGX_VERSION   /* from project(VERSION) in the top CMakeLists.txt */
#error "ESGX_VERSION must be defined by the build"
#endif

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    {"hash", cmd_hash, "BLAKE3 of files, like b3sum"},
    {"encrypt", cmd_encrypt, "encrypt a module or data to the network key (module|shared|wasm)"},
    {"run", cmd_run, "run a WebAssembly function locally"},
    {"attest", cmd_attest, "verify an SGX quote and its collateral offline"},
    {"sim", cmd_sim, "simulation provisioning bundle: sim init DIR, sim quote"},
    {"login", cmd_login, "point the CLI at a node, pin its network key, store a token"},
    {"functions", cmd_functions, "deploy, list and delete functions on the node"},
    {"invoke", cmd_invoke, "call a function and verify the signed answer"},
    {"logs", cmd_logs, "recent debug output of a function deployed with logs (--follow)"},
    {"nodes", cmd_nodes, "the members of the network (--verify: attest each, one key)"},
    {"verify", cmd_verify, "verify a saved answer offline against its request"},
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("esgx %s\n", ESGX_VERSION);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    cli_error("unknown command '%s'", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
