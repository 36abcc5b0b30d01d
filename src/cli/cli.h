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

/* Prints "esgx: " + message + newline to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file ("-" = stdin) of at most max bytes into a malloc'd buffer.
 * Returns 0, or -1 with err filled ("PATH: No such file or directory", "PATH: larger
 * than N bytes"). */
int cli_read_file(const char *path, size_t max, uint8_t **data, size_t *len, esgx_err *err);

/* Writes data to path atomically (temp file in the same folder, fsync, rename);
 * "-" = stdout. mode is the file mode (e.g. 0644). Returns 0 or -1 with err. */
int cli_write_file(const char *path, const uint8_t *data, size_t len, int mode,
                   esgx_err *err);

/* Like cli_write_file, but never replaces: the complete file appears under path only
 * if nothing is there yet (temp file, fsync, link). Returns 0, 1 if path already
 * exists (nothing written), or -1 with err. */
int cli_create_file(const char *path, const uint8_t *data, size_t len, int mode,
                    esgx_err *err);

#endif
