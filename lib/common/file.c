/*
 * file.c: the one bounded file reader and the sleep of esgx_common.h.
 *
 * Design: read(2) into a buffer that doubles from 64 KiB, stopping as soon as more than
 * max bytes have arrived, so a huge or endless file (a FIFO, /dev/zero, a pipe on stdin)
 * costs at most max + 1 bytes of memory and reading, and the caller gets a message that
 * names the path and the limit. No state.
 */
#include "esgx_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void esgx_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* Reads fd until end of file or more than max bytes; the buffer has room for a NUL. */
static int read_fd(int fd, const char *path, size_t max, uint8_t **data, size_t *len,
                   esgx_err *err)
{
    size_t cap = max < 65536 ? max + 2 : 65536, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) return esgx_err_set(err, ESGX_E_NOMEM, "%s: out of memory", path);
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap > (max + 2) / 2 ? max + 2 : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return esgx_err_set(err, ESGX_E_NOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return esgx_err_set(err, ESGX_E_IO, "%s: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
        if (n > max) {
            free(buf);
            return esgx_err_set(err, ESGX_E_TOO_BIG, "%s: larger than %zu bytes", path, max);
        }
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return ESGX_OK;
}

int esgx_file_read(const char *path, size_t max, uint8_t **data, size_t *len, esgx_err *err)
{
    if (!path || !data || !len || max > SIZE_MAX - 2)
        return esgx_err_set(err, ESGX_E_ARG, "esgx_file_read: bad argument");
    int is_stdin = !strcmp(path, "-");
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return esgx_err_set(err, ESGX_E_IO, "%s: %s", path, strerror(errno));
    int rc = read_fd(fd, is_stdin ? "standard input" : path, max, data, len, err);
    if (!is_stdin) close(fd);
    return rc;
}
