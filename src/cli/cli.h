/*
 * cli.h: shared pieces of the esgx command.
 *
 * Each subcommand is a function `int cmd_NAME(int argc, char **argv)` where argv[0] is
 * the subcommand's name; it returns the process exit status:
 *   0 success, 1 failure (a check failed, a file was missing, ...), 2 wrong usage
 *   (one line naming the problem plus "see 'esgx COMMAND --help'" on stderr, through
 *   cli_usage_error), 3 network or node error.
 * Messages go to stderr prefixed with "esgx: ". Output meant for scripts goes to stdout.
 * Errors are also recorded in the run's cli_report (main.c owns it): when the command
 * was given --json, main prints {"error", "code", "exit"[, "hint"]} on stdout at the end.
 * Options: each command has one option table (a cli_option array beside its parser,
 * listed in cli_spec.c with the command's subcommands) and parses argv through it with
 * cli_parse_options; the same tables give the did-you-mean of usage errors, --json
 * detection and `esgx completion bash`, so adding an option is one row.
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
int cmd_completion(int argc, char **argv);
int cmd_keys(int argc, char **argv);

/* One command of the command line (main.c's table): its name, its function and the
 * one-line summary of `esgx --help`. */
typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

/* The hidden `esgx --man` (cli_man.c): prints the manual page esgx(1) in roff to stdout,
 * made from cmds[0..n) (each command's summary and in-process --help) and the option
 * tables of cli_spec.c. Returns the exit status (CLI_EXIT_OK, or CLI_EXIT_FAIL when
 * stdout could not be written). */
int cli_man_page(const cli_command *cmds, size_t n);

/* ---------------------------------------------------------------- options */

/* What an option takes. */
typedef enum cli_opt_kind {
    CLI_OPT_FLAG,     /* no value: sets an int to 1 */
    CLI_OPT_UNSET,    /* no value: sets an int to 0 (--no-progress beside --progress) */
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

/* One row of a command's option table; the table ends with a row whose name is NULL.
 * Rows are written with designated initializers (fields left out are 0), usually
 * through the CLI_OPT_ROW macro below. */
typedef struct cli_option {
    const char *name;      /* "--fuel" */
    const char *alias;     /* another spelling ("-o") or NULL */
    cli_opt_kind kind;
    size_t offset;         /* offsetof the field in the command's options struct */
    uint64_t min, max;     /* CLI_OPT_U64: accepted range */
    unsigned flags;        /* CLI_OPT_U64: esgx_parse_u64 flags (ESGX_PARSE_SIZE) */
    const char *word;      /* CLI_OPT_U64: a word also accepted ("unlimited") or NULL */
    uint64_t word_value;   /* the value that word stands for */
    const char *wants;     /* CLI_OPT_U64: what a bad value is told it should be ("a
                              positive integer": "--fuel wants a positive integer: ..."),
                              NULL: "--fuel: ..." */
    int hidden;            /* a developer's option: parsed, but not completed, suggested
                              or listed in --help (attest --bench) */
} cli_option;

/* A row for option name of kind, stored in field of the options struct type. */
#define CLI_OPT_ROW(name_, kind_, type_, field_)                                        \
    {.name = (name_), .kind = (kind_), .offset = offsetof(type_, field_)}

/* The end of a table. */
#define CLI_OPT_END {.name = NULL}

/*
 * Parses argv[1..argc) of command cmd (its path in cli_spec.c: "invoke", "functions
 * deploy") against that command's option table into the struct at opts. Options take
 * their value as the next argument, after '=' (--fuel=10), or for a one-letter alias
 * glued to it (-l32); every number goes through esgx_parse_u64 (decimal: "010" is 10).
 * "--" ends the options; "-" is a positional argument (stdin). Other arguments are
 * positional and are stored in pos[0..max_pos) (*n_pos = count). "--help" and "-h"
 * print nothing and return 1. On a usage error (unknown option, missing or bad value,
 * too many positional arguments) prints it through cli_usage_error (one line, a
 * did-you-mean for a misspelled option, "see 'esgx CMD --help'") and returns
 * ESGX_CLI_E_USAGE. Returns 0 otherwise.
 */
ESGX_MUST_CHECK int cli_parse_options(const char *cmd, void *opts, int argc, char **argv,
                                      const char **pos, size_t max_pos, size_t *n_pos);

/* The option tables of the commands (each beside its parser), named by cli_spec.c. */
extern const cli_option cli_options_hash[], cli_options_encrypt[], cli_options_run[],
    cli_options_attest[], cli_options_sim_init[], cli_options_sim_quote[],
    cli_options_login[], cli_options_functions_deploy[], cli_options_functions_list[],
    cli_options_functions_delete[], cli_options_functions_transfer[], cli_options_invoke[],
    cli_options_verify[], cli_options_nodes[], cli_options_logs[], cli_options_new[],
    cli_options_build[], cli_options_deploy[], cli_options_dev[], cli_options_keys_new[],
    cli_options_keys_import[], cli_options_keys_show[];

/* Prints "esgx: " + message + newline to stderr; the first one of a run is recorded
 * as the run's error message (cli_report). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------------- names and usage errors */

/* One command (or "command subcommand") of the command line: cli_spec.c has the table. */
typedef struct cli_spec {
    const char *path;            /* "invoke", "functions deploy" */
    const char *subcommands;     /* space-separated ("deploy list delete"), or NULL */
    const cli_option *options;   /* the option table, or NULL (a command of subcommands) */
} cli_spec;

/* The whole table; *n gets its length. */
const cli_spec *cli_specs(size_t *n);

/* The row of path ("invoke", "functions deploy"), or NULL. */
const cli_spec *cli_spec_find(const char *path);

/* The names and aliases of the options of t (NULL: none) that are not hidden,
 * space-separated in table order, into out (capacity cap, always NUL-terminated;
 * names that do not fit are left out). Returns out. */
char *cli_option_words(const cli_option *t, char *out, size_t cap);

/* The row of t (NULL: none) whose name is name, or NULL. */
const cli_option *cli_option_find(const cli_option *t, const char *name);

/* Whether the space-separated list words holds word exactly. */
int cli_words_has(const char *words, const char *word);

/* The word of the space-separated list words closest to word (Levenshtein distance at
 * most 2 and at most half of word's length; words of 1 or 2 bytes get none), copied to out (capacity cap); returns out,
 * or NULL when none is that close or words is NULL. */
const char *cli_suggest(const char *word, const char *words, char *out, size_t cap);

/* Prints "esgx: CMD: MESSAGE" (when fmt is not NULL: the message was printed already
 * otherwise) and "esgx: see 'esgx CMD --help'" to stderr, records the error with code
 * "usage", and returns CLI_EXIT_USAGE. cmd is the command path ("functions deploy"). */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A usage error for an argument cmd does not take: "unknown option '--inptu'; did you
 * mean '--input'?" for an option (suggested from cmd's option table, cli_spec.c),
 * "unexpected argument 'X'" otherwise. Returns CLI_EXIT_USAGE. */
int cli_unknown_option(const char *cmd, const char *arg);

/* A usage error for a subcommand cmd does not have ("unknown subcommand 'X'; did you
 * mean 'Y'?"; what names the kind: "subcommand", "mode"). Returns CLI_EXIT_USAGE. */
int cli_unknown_subcommand(const char *cmd, const char *what, const char *sub);

/* ---------------------------------------------------------------- the run's error report */

/* What main() prints as JSON when the command fails under --json. */
typedef struct cli_report {
    int json;                  /* the command was given --json */
    int json_printed;          /* the command printed its own JSON answer already */
    char message[600];         /* the first error of the run ("" if none) */
    char code[64];             /* short code ("usage", "unknown_hash", ...) or "" */
    char hint[600];            /* the first hint ("" if none) */
} cli_report;

/* Makes r (zeroed by the caller, owned by main) the report that cli_error, cli_hint,
 * cli_error_code and cli_json_printed fill for the rest of the process (NULL: none). */
void cli_report_attach(cli_report *r);

/* Sets the run's short error code unless one is set already: the node's code of an
 * error answer ("decrypt_failed"), or a CLI code ("usage", "rejected"). */
void cli_error_code(const char *code);

/* Prints "esgx: hint: MESSAGE" to stderr and records the first hint of the run. */
void cli_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Notes that the command printed its own JSON answer (one that says what failed), so
 * that no second JSON object follows it. */
void cli_json_printed(void);

/* When status is not 0 and r->json and the command printed no JSON of its own: prints
 * {"error": message, "code": code, "exit": status[, "hint": hint]} as one line on
 * stdout (code defaults to "failed", "usage" or "network" by status). Returns status. */
int cli_report_finish(const cli_report *r, int status);

/* esgx_file_read (the one bounded reader: "-" = stdin, at most max bytes, a NUL after
 * the last byte; free() *data) with the CLI's codes: returns 0, ESGX_CLI_E_IO (cannot
 * read, or larger than max: err names the path and why, "PATH: No such file or
 * directory", "PATH: larger than N bytes") or ESGX_CLI_E_FAILED (out of memory). */
ESGX_MUST_CHECK int cli_read_file(const char *path, size_t max, uint8_t **data, size_t *len,
                                  esgx_err *err);

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
