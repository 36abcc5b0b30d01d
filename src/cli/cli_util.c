/*
 * cli_util.c: helpers shared by the esgx subcommands (see cli.h): error lines, the
 * run's error report, usage errors with did-you-mean, and file reading (esgx_file_read, the one
 * bounded reader, with the CLI's error codes) and writing.
 *
 * The report is the one piece of process state of the CLI: main() owns a cli_report
 * and attaches it once, and cli_error / cli_hint / cli_error_code fill it from
 * wherever an error is printed (helpers deep in cli_http.c or cli_config.c print
 * their own errors, so passing the report down every call would touch every
 * function for one first-message slot). Usage errors are one line naming what was
 * wrong plus where the full usage is, never the whole usage text.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

static cli_report *report;   /* main()'s report, see the note at the top */

void cli_report_attach(cli_report *r)
{
    report = r;
}

/* Prints prefix + message + newline to stderr; keeps the first message in slot. */
static void vreport(const char *prefix, char *slot, size_t cap, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    if (slot && !slot[0]) vsnprintf(slot, cap, fmt, copy);
    va_end(copy);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("esgx: ", report ? report->message : NULL, sizeof report->message, fmt, ap);
    va_end(ap);
}

void cli_hint(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("esgx: hint: ", report ? report->hint : NULL, sizeof report->hint, fmt, ap);
    va_end(ap);
}

void cli_error_code(const char *code)
{
    if (report && !report->code[0] && code)
        snprintf(report->code, sizeof report->code, "%s", code);
}

void cli_json_printed(void)
{
    if (report) report->json_printed = 1;
}

int cli_report_finish(const cli_report *r, int status)
{
    if (!status || !r || !r->json || r->json_printed) return status;
    const char *code = r->code[0] ? r->code
                       : status == CLI_EXIT_USAGE ? "usage"
                       : status == CLI_EXIT_NETWORK ? "network" : "failed";
    json_t *o = json_pack("{s:s, s:s, s:i}", "error", r->message[0] ? r->message : "failed",
                          "code", code, "exit", status);
    if (o && r->hint[0]) json_object_set_new(o, "hint", json_string(r->hint));
    char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (t) printf("%s\n", t);
    fflush(stdout);
    free(t);
    json_decref(o);
    return status;
}

/* ---------------------------------------------------------------- usage errors */

/* Levenshtein distance of a and b (each at most 63 bytes: longer words are far). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return SIZE_MAX;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

int cli_words_has(const char *words, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = words; p && *p;) {
        size_t k = strcspn(p, " ");
        if (k == n && !strncmp(p, word, n)) return 1;
        p += k;
        p += strspn(p, " ");
    }
    return 0;
}

const char *cli_suggest(const char *word, const char *words, char *out, size_t cap)
{
    size_t best = 3, wl = strlen(word);
    const char *found = NULL;
    size_t found_len = 0;
    for (const char *p = words; p && *p;) {
        size_t k = strcspn(p, " ");
        char cand[64];
        if (k < sizeof cand) {
            memcpy(cand, p, k);
            cand[k] = 0;
            size_t d = edit_distance(word, cand);
            if (d < best && 2 * d <= wl && wl > 2) {   /* "-x" gets no guess */
                best = d;
                found = p;
                found_len = k;
            }
        }
        p += k;
        p += strspn(p, " ");
    }
    if (!found || found_len >= cap) return NULL;
    memcpy(out, found, found_len);
    out[found_len] = 0;
    return out;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    if (fmt) {
        char msg[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        cli_error("%s: %s", cmd, msg);
    }
    cli_error_code("usage");
    fprintf(stderr, "esgx: see 'esgx %s --help'\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_unknown_option(const char *cmd, const char *arg)
{
    if (arg[0] != '-' || !arg[1]) return cli_usage_error(cmd, "unexpected argument '%s'", arg);
    const cli_spec *s = cli_spec_find(cmd);
    char name[64], near[64], words[1024] = "--help ";
    snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);   /* --inptu=x */
    cli_option_words(s ? s->options : NULL, words + 7, sizeof words - 7);
    if (cli_suggest(name, words, near, sizeof near))
        return cli_usage_error(cmd, "unknown option '%s'; did you mean '%s'?", arg, near);
    return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_unknown_subcommand(const char *cmd, const char *what, const char *sub)
{
    const cli_spec *s = cli_spec_find(cmd);
    char near[64];
    if (s && cli_suggest(sub, s->subcommands, near, sizeof near))
        return cli_usage_error(cmd, "unknown %s '%s'; did you mean '%s'?", what, sub, near);
    return cli_usage_error(cmd, "unknown %s '%s'", what, sub);
}

int cli_read_file(const char *path, size_t max, uint8_t **data, size_t *len, esgx_err *err)
{
    int rc = esgx_file_read(path, max, data, len, err);
    if (rc == ESGX_OK) return ESGX_OK;
    int code = rc == ESGX_E_IO || rc == ESGX_E_TOO_BIG ? ESGX_CLI_E_IO : ESGX_CLI_E_FAILED;
    if (err) err->code = code;
    return code;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return ESGX_CLI_E_FAILED;
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Temp file beside path, written, chmod'ed and fsync'ed, then renamed over path, or
 * with no_replace linked to path (EEXIST if it exists: returns 1, nothing changed). */
static int write_file(const char *path, const uint8_t *data, size_t len, int mode,
                      bool no_replace, esgx_err *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", path, strerror(errno));
    if (write_all(fd, data, len) < 0 || fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", path, strerror(e));
    }
    close(fd);
    int rc = no_replace ? link(tmp, path) : rename(tmp, path);
    int e = errno;
    if (no_replace || rc < 0) unlink(tmp);
    if (rc < 0 && no_replace && e == EEXIST) return 1;
    if (rc < 0) return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", path, strerror(e));
    /* make the new name durable */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int cli_write_file(const char *path, const uint8_t *data, size_t len, int mode,
                   esgx_err *err)
{
    if (!strcmp(path, "-")) {
        if (write_all(STDOUT_FILENO, data, len) < 0)
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "stdout: %s", strerror(errno));
        return 0;
    }
    return write_file(path, data, len, mode, false, err);
}

int cli_create_file(const char *path, const uint8_t *data, size_t len, int mode,
                    esgx_err *err)
{
    return write_file(path, data, len, mode, true, err);
}
