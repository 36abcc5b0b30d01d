/* cli_util.c: helpers shared by the esgx subcommands (see cli.h). */
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

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("esgx: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_read_file(const char *path, size_t max, uint8_t **data, size_t *len, esgx_err *err)
{
    int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
    if (fd < 0)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        if (fd != STDIN_FILENO) close(fd);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > max) break;
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                if (fd != STDIN_FILENO) close(fd);
                return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            if (fd != STDIN_FILENO) close(fd);
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n > max) break;
    }
    if (fd != STDIN_FILENO) close(fd);
    if (n > max) {
        free(buf);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: larger than %zu bytes", path, max);
    }
    *data = buf;
    *len = n;
    return 0;
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
