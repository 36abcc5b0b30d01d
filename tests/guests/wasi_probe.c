/*
 * wasi_probe.c: a WASI command (clang-19 --target=wasm32-wasi, wasi-libc) that prints
 * what an ordinary C program sees of esgx's WASI: argv and environ, its stdio (type,
 * tty, size, seeking), the filesystem (no preopens), sleeping and the clocks, and
 * exits with a code. tests/wasi_programs.sh and tests/node_wasi.sh run it; each line
 * is "what: value" so the tests can compare exact lines.
 *
 * argv[1] chooses: (none) everything below; "sleep MS" sleeps MS ms once and prints
 * the clocks' advance; "exit N" exits with N.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long ns_of(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts)) return -1;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *kind(mode_t m)
{
    return S_ISREG(m) ? "regular" : S_ISCHR(m) ? "chardev" : S_ISFIFO(m) ? "fifo" : "other";
}

static int sleep_ms(long ms)
{
    long long m0 = ns_of(CLOCK_MONOTONIC), c0 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    int rc = nanosleep(&d, NULL);
    long long m1 = ns_of(CLOCK_MONOTONIC), c1 = ns_of(CLOCK_PROCESS_CPUTIME_ID);
    printf("nanosleep: %d\n", rc);
    printf("monotonic advanced >= sleep: %s\n", m1 - m0 >= ms * 1000000LL ? "yes" : "no");
    printf("cpu clock advanced >= sleep: %s\n", c1 - c0 >= ms * 1000000LL ? "yes" : "no");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "exit")) return atoi(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "sleep")) return sleep_ms(atol(argv[2]));
    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]: %s\n", i, argv[i]);
    int n_env = 0;
    for (char **e = environ; e && *e; e++) n_env++;
    printf("environ: %d\n", n_env);

    /* stdio: files, not terminals */
    for (int fd = 0; fd < 3; fd++) {
        struct stat sb;
        int r = fstat(fd, &sb);
        printf("fd %d: %s, isatty %d\n", fd, r ? "fstat failed" : kind(sb.st_mode), isatty(fd));
    }
    char buf[4];
    ssize_t got = read(0, buf, sizeof buf);
    printf("read stdin: %zd '%.*s'\n", got, got > 0 ? (int)got : 0, buf);
    off_t end = lseek(0, 0, SEEK_END);
    struct stat in;
    fstat(0, &in);
    printf("stdin size: %lld, seek end: %lld\n", (long long)in.st_size, (long long)end);
    printf("seek stdin set 1: %lld\n", (long long)lseek(0, 1, SEEK_SET));
    got = read(0, buf, 2);
    printf("read after seek: '%.*s'\n", got > 0 ? (int)got : 0, buf);
    errno = 0;
    off_t so = lseek(1, 0, SEEK_CUR);
    printf("seek stdout: %lld %s\n", (long long)so, strerror(errno));

    /* no files */
    errno = 0;
    int f = open("data.txt", O_RDONLY);
    printf("open data.txt: %d %s\n", f, f < 0 ? strerror(errno) : "opened");
    errno = 0;
    f = open("/etc/passwd", O_RDONLY);
    printf("open /etc/passwd: %d %s\n", f, f < 0 ? strerror(errno) : "opened");
    errno = 0;
    FILE *w = fopen("out.txt", "w");
    printf("fopen out.txt w: %s %s\n", w ? "opened" : "NULL", w ? "" : strerror(errno));

    printf("sched_yield: %d\n", sched_yield());
    struct pollfd p = {.fd = 0, .events = POLLIN};
    printf("poll stdin: %d revents %s\n", poll(&p, 1, 1000),
           (p.revents & POLLIN) ? "POLLIN" : "none");
    fflush(stdout);
    fprintf(stderr, "probe: to stderr\n");
    return 0;
}
