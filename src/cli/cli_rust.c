/*
 * cli_rust.c: which Rust toolchain `esgx build` uses (cli_rust.h).
 *
 * A machine often has two: rustup's proxies first on PATH (~/.cargo/bin), whose default
 * toolchain may lack the wasm32 standard library ("can't find crate for std"), and
 * Debian's /usr/bin/cargo with libstd-rust-dev-wasm32. Order on PATH says nothing about
 * which one can build a guest, so each folder holding both cargo and rustc (every PATH
 * entry in order, then /usr/bin) is asked: `rustc --print target-libdir --target T` must
 * name a folder that holds a libstd-*.rlib, and `cargo --version` must answer. The first
 * such folder wins; the build then runs with it first on PATH and CARGO/RUSTC naming its
 * binaries, so a `cargo build` line in esgx.toml reaches it unchanged.
 * A Cargo.lock newer than the chosen cargo reads (version 4 needs cargo 1.78) is
 * rewritten as version 3 when it has no git sources (the only entries whose encoding
 * differs), else removed so that cargo writes it again; pins of path and registry
 * packages are kept. Probes run without a shell (fork + execv), output read through a
 * pipe, bounded in size.
 */
#include "cli_rust.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv[0] (a path) with argv, stdin /dev/null, stderr dropped; stdout's first
 * cap-1 bytes into out (NUL-terminated, trailing newlines cut). Returns the exit status,
 * or -1 when it could not run or ended by a signal. */
static int run_capture(char *const argv[], char *out, size_t cap)
{
    int fd[2];
    out[0] = 0;
    if (pipe(fd)) return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 2) < 0 || dup2(fd[1], 1) < 0)
            _exit(127);
        close(devnull);
        close(fd[0]);
        close(fd[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd[1]);
    size_t n = 0;
    char sink[256];
    for (;;) {
        char *dst = n + 1 < cap ? out + n : sink;
        size_t room = n + 1 < cap ? cap - 1 - n : sizeof sink;
        ssize_t r = read(fd[0], dst, room);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (dst == out + n) n += (size_t)r;
    }
    close(fd[0]);
    out[n] = 0;
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r')) out[--n] = 0;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* 1 when folder dir holds a file libstd-*.rlib. */
static int has_libstd(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        found = !strncmp(e->d_name, "libstd-", 7) && n > 5 && !strcmp(e->d_name + n - 5, ".rlib");
    }
    closedir(d);
    return found;
}

/* Parses "cargo 1.65.0 (...)" into the minor version (65). Returns -1 when not that. */
static int cargo_minor(const char *version)
{
    unsigned major, minor;
    if (sscanf(version, "cargo %u.%u", &major, &minor) != 2 || major != 1) return -1;
    return minor > 1000 ? -1 : (int)minor;
}

/* Asks the toolchain in dir. Returns 1 and fills t when it builds for target, else 0
 * with why (a short reason) set. */
static int probe(const char *dir, const char *target, cli_rust_toolchain *t, char *why,
                 size_t why_cap)
{
    char cargo[PATH_MAX], rustc[PATH_MAX], out[PATH_MAX + 64];
    if (snprintf(cargo, sizeof cargo, "%s/cargo", dir) >= (int)sizeof cargo ||
        snprintf(rustc, sizeof rustc, "%s/rustc", dir) >= (int)sizeof rustc)
        return snprintf(why, why_cap, "path too long"), 0;
    if (access(cargo, X_OK) || access(rustc, X_OK))
        return snprintf(why, why_cap, "no rustc next to cargo"), 0;
    char *rustc_argv[] = {rustc, "--print", "target-libdir", "--target", (char *)target, NULL};
    if (run_capture(rustc_argv, out, sizeof out) != 0 || out[0] != '/')
        return snprintf(why, why_cap, "rustc does not know the target %s", target), 0;
    if (!has_libstd(out))
        return snprintf(why, why_cap, "no standard library for %s", target), 0;
    char *cargo_argv[] = {cargo, "--version", NULL};
    int minor;
    if (run_capture(cargo_argv, out, sizeof out) != 0 || (minor = cargo_minor(out)) < 0)
        return snprintf(why, why_cap, "cargo --version failed"), 0;
    snprintf(t->dir, sizeof t->dir, "%s", dir);
    snprintf(t->cargo, sizeof t->cargo, "%s", cargo);
    snprintf(t->rustc, sizeof t->rustc, "%s", rustc);
    t->cargo_minor = minor;
    return 1;
}

int cli_rust_uses_cargo(const char *build)
{
    for (const char *s = build; (s = strstr(s, "cargo")); s += 5) {
        char before = s == build ? ' ' : s[-1], after = s[5];
        if ((before == ' ' || before == ';' || before == '&' || before == '|' || before == '(' ||
             before == '/') &&
            (after == ' ' || after == 0 || after == ';'))
            return 1;
    }
    return 0;
}

void cli_rust_target(const char *build, char *out, size_t cap)
{
    const char *s = strstr(build, "--target");
    snprintf(out, cap, "wasm32-unknown-unknown");
    if (!s) return;
    s += 8;
    while (*s == ' ' || *s == '=') s++;
    size_t n = 0;
    while (s[n] && strchr("abcdefghijklmnopqrstuvwxyz0123456789_-.", s[n])) n++;
    if (n && n < cap) snprintf(out, cap, "%.*s", (int)n, s);
}

int cli_rust_choose(const char *target, cli_rust_toolchain *t, esgx_err *err)
{
    char seen[16][PATH_MAX], tried[1024] = "";
    size_t n_seen = 0, used = 0;
    const char *path = getenv("PATH");
    char list[8192];
    snprintf(list, sizeof list, "%s:/usr/bin", path && *path ? path : "");
    for (char *save = NULL, *dir = strtok_r(list, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save)) {
        char cargo[PATH_MAX + 8], real[PATH_MAX];
        if (dir[0] != '/') continue;   /* a relative PATH entry: not one to trust */
        snprintf(cargo, sizeof cargo, "%s/cargo", dir);
        if (access(cargo, X_OK) || !realpath(dir, real)) continue;
        int dup = 0;
        for (size_t i = 0; i < n_seen; i++) dup |= !strcmp(seen[i], real);
        if (dup || n_seen == sizeof seen / sizeof seen[0]) continue;
        snprintf(seen[n_seen++], sizeof seen[0], "%s", real);
        char why[160];
        if (probe(dir, target, t, why, sizeof why)) return 0;
        int w = snprintf(tried + used, sizeof tried - used, "%s%s/cargo (%s)",
                         used ? ", " : "", dir, why);
        if (w > 0 && (size_t)w < sizeof tried - used) used += (size_t)w;
    }
    /* what to install first: the list of what was tried may be cut to fit err */
    return esgx_err_set(err, ESGX_CLI_E_FAILED,
                        "no Rust toolchain here builds for %s. Install one: on Debian or "
                        "Ubuntu 'apt-get install cargo rustc libstd-rust-dev-wasm32', or with "
                        "rustup 'rustup target add %s'. Tried: %s",
                        target, target, used ? tried : "no cargo on PATH or in /usr/bin");
}

int cli_rust_fix_lock(const char *project_dir, const cli_rust_toolchain *t, char *note,
                      size_t note_cap, esgx_err *err)
{
    char path[PATH_MAX];
    note[0] = 0;
    if (snprintf(path, sizeof path, "%s/Cargo.lock", project_dir) >= (int)sizeof path)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: path too long", project_dir);
    uint8_t *text = NULL;
    size_t len = 0;
    if (access(path, F_OK)) return 0;
    if (esgx_file_read(path, 16u << 20, &text, &len, err)) return ESGX_CLI_E_FAILED;
    /* the version line: "version = N" at the start of a line before the first [[package]] */
    char *line = NULL;
    for (char *s = (char *)text; s && *s && *s != '['; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL)
        if (!strncmp(s, "version = ", 10)) { line = s; break; }
    unsigned version = 0;
    int rc = 0;
    if (line && sscanf(line + 10, "%u", &version) == 1 && version >= 4 && t->cargo_minor < 78) {
        if (version == 4 && !strstr((char *)text, "\"git+")) {
            line[10] = '3';
            FILE *f = fopen(path, "wb");
            int bad = !f || fwrite(text, 1, len, f) != len;
            if (f && fclose(f)) bad = 1;
            if (bad)
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", path, strerror(errno));
            else
                snprintf(note, note_cap, "Cargo.lock rewritten as version 3 (cargo 1.%d of %s "
                         "reads no version 4)", t->cargo_minor, t->dir);
        } else if (unlink(path)) {
            rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", path, strerror(errno));
        } else {
            snprintf(note, note_cap, "Cargo.lock (version %u) removed: cargo 1.%d of %s cannot "
                     "read it and writes a new one", version, t->cargo_minor, t->dir);
        }
    }
    free(text);
    return rc;
}
