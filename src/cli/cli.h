/*
 * cli.h: shared pieces of the esgx command.
 *
 * Each subcommand is a function `int cmd_NAME(int argc, char **argv)` where argv[0] is
 * the subcommand's name; it returns the process exit status:
 *   0 success, 1 failure (a check failed, a file was missing, ...), 2 wrong usage
 *   (usage printed to stderr), 3 network or node error.
 * Messages go to stderr prefixed with "esgx: ". Output meant for scripts goes to stdout.
 */
#ifndef ESGX_CLI_H
#define ESGX_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_NETWORK 3

int cmd_hash(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_functions(int argc, char **argv);
int cmd_invoke(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_nodes(int argc, char **argv);

/* ---------------------------------------------------------------- options */

/* What an option takes. */
typedef enum cli_opt_kind {
    CLI_OPT_FLAG,     /* no value: sets an int to 1 */
    CLI_OPT_STRING,   /* a value: sets a const char * (the last one given wins) */
    CLI_OPT_U64,      /* a number through esgx_parse_u64: sets a uint64_t */
    CLI_OPT_LIST,     /* a value, repeatable: appends to a cli_list */
} cli_opt_kind;

#define CLI_LIST_MAX 64

/* The values of a repeatable option, in order. */
typedef struct cli_list {
    const char *v[CLI_LIST_MAX];
    size_t n;
} cli_list;

/* One row of a command's option table; the table ends with a row whose name is NULL. */
typedef struct cli_option {
    const char *name;      /* "--fuel" */
    const char *alias;     /* another spelling ("-o") or NULL */
    cli_opt_kind kind;
    size_t offset;         /* offsetof the field in the command's options struct */
    uint64_t min, max;     /* CLI_OPT_U64: accepted range */
    unsigned flags;        /* CLI_OPT_U64: esgx_parse_u64 flags (ESGX_PARSE_SIZE) */
    const char *word;      /* CLI_OPT_U64: a word also accepted ("unlimited") or NULL */
    uint64_t word_value;   /* the value that word stands for */
} cli_option;

/*
 * Parses argv[1..argc) of command cmd against table into the struct at opts. Options
 * take their value as the next argument or after '=' (--fuel=10); every number goes
 * through esgx_parse_u64 (decimal: "010" is 10). "--" ends the options; "-" is a
 * positional argument (stdin). Other arguments are positional and
 * are stored in pos[0..max_pos) (*n_pos = count). "--help" and "-h" print nothing and
 * return 1. On a usage error (unknown option, missing or bad value, too many
 * positional arguments) prints "esgx: CMD: ..." and returns ESGX_CLI_E_USAGE.
 * Returns 0 otherwise.
 */
ESGX_MUST_CHECK int cli_parse_options(const char *cmd, const cli_option *table, void *opts,
                                      int argc, char **argv, const char **pos,
                                      size_t max_pos, size_t *n_pos);

/* Prints "esgx: " + message + newline to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file ("-" = stdin) of at most max bytes into a malloc'd buffer.
 * Returns 0, or ESGX_CLI_E_FAILED with err filled ("PATH: No such file or directory", "PATH: larger
 * than N bytes"). */
int cli_read_file(const char *path, size_t max, uint8_t **data, size_t *len, esgx_err *err);

/* Writes data to path atomically (temp file in the same folder, fsync, rename);
 * "-" = stdout. mode is the file mode (e.g. 0644). Returns 0 or ESGX_CLI_E_FAILED with err. */
int cli_write_file(const char *path, const uint8_t *data, size_t len, int mode,
                   esgx_err *err);

/* Like cli_write_file, but never replaces: the complete file appears under path only
 * if nothing is there yet (temp file, fsync, link). Returns 0, 1 if path already
 * exists (nothing written), or ESGX_CLI_E_FAILED with err. */
int cli_create_file(const char *path, const uint8_t *data, size_t len, int mode,
                    esgx_err *err);

#endif
