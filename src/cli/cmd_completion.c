/*
 * cmd_completion.c: `esgx completion bash` prints a bash completion script built from
 * the one table of names (cli_spec.c): the commands, the subcommands of functions,
 * encrypt, sim and completion, and the options of each (command, subcommand) from its
 * option table (hidden developer options left out). Words that are not options are
 * left to bash's default (file names), since most arguments are files. Install with
 * `source <(esgx completion bash)` or by writing the output to
 * /etc/bash_completion.d/esgx.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char completion_usage[] =
    "usage: esgx completion bash\n"
    "  Print a bash completion script for esgx (commands, subcommands, options).\n"
    "  Use it with:  source <(esgx completion bash)\n"
    "  or install it:  esgx completion bash > /etc/bash_completion.d/esgx\n";

/* One bash function: case on its argument ($1, a command path) echoing field k
 * (0: subcommands, 1: options) of the rows that have it. */
static void print_case(const char *fn, int options)
{
    size_t n;
    const cli_spec *s = cli_specs(&n);
    printf("%s() {\n    case \"$1\" in\n", fn);
    for (size_t i = 0; i < n; i++) {
        char words[1024];
        const char *w = options ? cli_option_words(s[i].options, words, sizeof words)
                                : s[i].subcommands;
        if (w && *w) printf("    \"%s\") echo \"%s\" ;;\n", s[i].path, w);
    }
    printf("    esac\n}\n");
}

static void print_bash(void)
{
    size_t n;
    const cli_spec *s = cli_specs(&n);
    printf("# bash completion for esgx: source <(esgx completion bash)\n");
    print_case("_esgx_subcommands", 0);
    print_case("_esgx_options", 1);
    printf("_esgx() {\n"
           "    local cur=${COMP_WORDS[COMP_CWORD]} path subs\n"
           "    COMPREPLY=()\n"
           "    if [ \"$COMP_CWORD\" -le 1 ]; then\n"
           "        COMPREPLY=($(compgen -W \"");
    for (size_t i = 0; i < n; i++)
        if (!strchr(s[i].path, ' ')) printf("%s ", s[i].path);
    printf("--help --version\" -- \"$cur\"))\n"
           "        return 0\n"
           "    fi\n"
           "    path=${COMP_WORDS[1]}\n"
           "    subs=$(_esgx_subcommands \"$path\")\n"
           "    if [ -n \"$subs\" ]; then\n"
           "        if [ \"$COMP_CWORD\" -eq 2 ]; then\n"
           "            COMPREPLY=($(compgen -W \"$subs --help\" -- \"$cur\"))\n"
           "            return 0\n"
           "        fi\n"
           "        path=\"$path ${COMP_WORDS[2]}\"\n"
           "    fi\n"
           "    if [[ $cur == -* ]]; then\n"
           "        COMPREPLY=($(compgen -W \"$(_esgx_options \"$path\") --help\" -- \"$cur\"))\n"
           "    fi\n"
           "    return 0\n"
           "}\n"
           "complete -o default -F _esgx esgx\n");
}

int cmd_completion(int argc, char **argv)
{
    const char *shell = NULL;
    size_t n_pos;
    int rc = cli_parse_options("completion", NULL, argc, argv, &shell, 1, &n_pos);
    if (rc == 1) fputs(completion_usage, stdout);
    if (rc == 1) return CLI_EXIT_OK;
    if (rc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    if (!shell) return cli_usage_error("completion", "name the shell: bash");
    if (strcmp(shell, "bash")) return cli_unknown_subcommand("completion", "shell", shell);
    print_bash();
    return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
