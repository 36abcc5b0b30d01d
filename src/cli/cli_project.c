/*
 * cli_project.c: the pieces of an esgx project (see cli_project.h): the esgx.toml
 * reader (a TOML subset: key = "string" | true | false, comments, nothing else), the
 * SDK location, the source scan (newest mtime; `esgx dev` polls it), the build (a shell
 * command, then a check that the output is WebAssembly; a cargo line runs with the Rust
 * toolchain cli_rust.c chooses) and the module check that every
 * deploy runs before uploading (the runtime the CLI links: decode, validate, imports).
 */
#include "cli_project.h"
#include "cli.h"
#include "cli_rust.h"
#include "esgx_host.h"
#include "esgx_proto.h"
#include "esgx_wasm.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------ esgx.toml */

/* Parses the value at s (after '='): "string" with escapes, or true/false. Writes a
 * string into out, a boolean into *b (*is_bool = 1). Returns 0 or -1 (msg set). */
static int toml_value(const char *s, char *out, size_t cap, int *b, int *is_bool,
                      const char **msg)
{
    while (*s == ' ' || *s == '\t') s++;
    const char *end;
    *is_bool = 0;
    if (!strncmp(s, "true", 4) || !strncmp(s, "false", 5)) {
        *is_bool = 1;
        *b = s[0] == 't';
        end = s + (*b ? 4 : 5);
    } else if (*s == '"') {
        size_t n = 0;
        for (s++; *s && *s != '"'; s++) {
            char c = *s;
            if (c == '\\') {
                s++;
                c = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s == '"' ? '"' : *s == '\\' ? '\\' : 0;
                if (!c) return *msg = "unknown escape in a string (\\\" \\\\ \\n \\t)", -1;
            }
            if (n + 1 >= cap) return *msg = "string too long", -1;
            out[n++] = c;
        }
        if (*s != '"') return *msg = "unterminated string", -1;
        out[n] = 0;
        end = s + 1;
    } else {
        return *msg = "expected a \"string\", true or false", -1;
    }
    while (*end == ' ' || *end == '\t') end++;
    if (*end && *end != '#') return *msg = "unexpected text after the value", -1;
    return 0;
}

/* Stores key = value into p. Returns 0, or -1 (msg set) for an unknown key or type. */
static int toml_set(cli_project *p, const char *key, const char *sval, int bval, int is_bool,
                    const char **msg)
{
    static const struct { const char *key; size_t off, cap; } strs[] = {
        {"name", offsetof(cli_project, name), sizeof ((cli_project *)0)->name},
        {"language", offsetof(cli_project, language), sizeof ((cli_project *)0)->language},
        {"build", offsetof(cli_project, build), sizeof ((cli_project *)0)->build},
        {"output", offsetof(cli_project, output), sizeof ((cli_project *)0)->output},
        {"watch", offsetof(cli_project, watch), sizeof ((cli_project *)0)->watch},
    };
    if (!strcmp(key, "encrypt") || !strcmp(key, "logs") || !strcmp(key, "seal")) {
        if (!is_bool) return *msg = "encrypt, logs and seal must be true or false", -1;
        *(key[0] == 'e' ? &p->encrypt : key[0] == 'l' ? &p->logs : &p->seal) = bval;
        return 0;
    }
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strcmp(key, strs[i].key)) continue;
        if (is_bool) return *msg = "expected a \"string\"", -1;
        if (strlen(sval) >= strs[i].cap) return *msg = "value too long", -1;
        strcpy((char *)p + strs[i].off, sval);
        return 0;
    }
    return *msg = "unknown key (name, language, build, output, encrypt, logs, seal, watch)", -1;
}

/* Parses the text of esgx.toml into p. Returns 0 or ESGX_CLI_E_FAILED with err. */
static int toml_parse(const char *file, char *text, cli_project *p, esgx_err *err)
{
    int line = 0;
    char sval[4096];
    for (char *save = NULL, *l = text; l; l = save) {
        line++;
        save = strchr(l, '\n');
        if (save) *save++ = 0;
        while (*l == ' ' || *l == '\t' || *l == '\r') l++;
        size_t n = strlen(l);
        while (n && (l[n - 1] == '\r' || l[n - 1] == ' ')) l[--n] = 0;
        if (!*l || *l == '#') continue;
        const char *msg = NULL;
        char key[32];
        size_t k = 0;
        while ((l[k] >= 'a' && l[k] <= 'z') || l[k] == '_') k++;
        char *q = l + k;
        while (*q == ' ' || *q == '\t') q++;
        int b = 0, is_bool = 0;
        if (k == 0 || k >= sizeof key || *q != '=') msg = "expected key = value";
        else {
            memcpy(key, l, k);
            key[k] = 0;
            if (toml_value(q + 1, sval, sizeof sval, &b, &is_bool, &msg) == 0)
                (void)toml_set(p, key, sval, b, is_bool, &msg);
        }
        if (msg) return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s:%d: %s", file, line, msg);
    }
    return 0;
}

int cli_project_load(const char *dir, cli_project *p, esgx_err *err)
{
    memset(p, 0, sizeof *p);
    p->encrypt = 1;
    strcpy(p->watch, "src");
    if (!realpath(dir, p->dir))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", dir, strerror(errno));
    char file[PATH_MAX];
    if (cli_project_path(p, CLI_PROJECT_FILE, file, sizeof file))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: path too long", p->dir);
    uint8_t *text = NULL;
    size_t len = 0;
    if (access(file, F_OK))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "no %s in %s: not an esgx project (make one "
                            "with 'esgx new NAME --lang c|rust|assemblyscript')",
                            CLI_PROJECT_FILE, p->dir);
    if (cli_read_file(file, 1 << 20, &text, &len, err)) return ESGX_CLI_E_FAILED;
    /* cli_read_file NUL-terminates: the text is a C string unless it holds a NUL */
    int rc = memchr(text, 0, len) ? esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: a NUL byte", file)
                                  : toml_parse(file, (char *)text, p, err);
    free(text);
    if (rc) return rc;
    const char *missing = !p->name[0] ? "name" : !p->build[0] ? "build" : !p->output[0] ? "output" : NULL;
    if (missing)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: no %s = \"...\"", file, missing);
    if (!esgx_proto_name_valid(p->name, strlen(p->name)))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: name must be 1 to 64 characters from "
                            "A-Z a-z 0-9 . _ -", file);
    return 0;
}

/* ------------------------------------------------------------ locations */

int cli_project_path(const cli_project *p, const char *rel, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", p->dir, rel);
    if (n >= 0 && (size_t)n < cap) return 0;
    if (cap) out[0] = 0;
    return ESGX_CLI_E_FAILED;
}

int cli_exe_dir(char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return ESGX_CLI_E_FAILED;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash || (size_t)(slash - exe) >= cap) return ESGX_CLI_E_FAILED;
    *slash = 0;
    strcpy(out, exe[0] ? exe : "/");
    return 0;
}

/* Whether dir (the folder of the running esgx) is the build directory esgx was built
 * in: only there is the source tree's SDK a candidate, so that an installed or copied
 * esgx never reaches into a source tree that may have changed or gone. */
static int in_own_build_dir(const char *dir)
{
#ifdef ESGX_BUILD_DIR
    char a[PATH_MAX], b[PATH_MAX];
    return realpath(dir, a) && realpath(ESGX_BUILD_DIR, b) && !strcmp(a, b);
#else
    (void)dir;
    return 0;
#endif
}

int cli_sdk_dir(char *out, size_t cap, esgx_err *err)
{
    char exe[PATH_MAX], cand[3][PATH_MAX + 32];
    int n = 0;
    const char *env = getenv("ESGX_SDK_DIR");
    if (env && *env) snprintf(cand[n++], sizeof cand[0], "%s", env);
    if (cli_exe_dir(exe, sizeof exe) == 0) {
        snprintf(cand[n++], sizeof cand[0], "%s/../share/esgx/sdk", exe);
#ifdef ESGX_SOURCE_SDK_DIR
        if (in_own_build_dir(exe)) snprintf(cand[n++], sizeof cand[0], "%s", ESGX_SOURCE_SDK_DIR);
#endif
    }
    for (int i = 0; i < n; i++) {
        char probe[PATH_MAX + 64], real[PATH_MAX];
        if (snprintf(probe, sizeof probe, "%s/esgx_fn0.h", cand[i]) >= (int)sizeof probe) continue;
        if (access(probe, R_OK) || !realpath(cand[i], real)) continue;
        if (strlen(real) >= cap) break;
        strcpy(out, real);
        return 0;
    }
    char looked[3 * (PATH_MAX + 32) + 8] = "";
    for (int i = 0; i < n; i++)
        snprintf(looked + strlen(looked), sizeof looked - strlen(looked), "%s%s", i ? ", " : "",
                 cand[i]);
    return esgx_err_set(err, ESGX_CLI_E_FAILED, "cannot find the guest SDK (esgx_fn0.h): set "
                        "ESGX_SDK_DIR to the sdk/ folder of esgx (looked in %s)",
                        n ? looked : "$ESGX_SDK_DIR");
}

/* ------------------------------------------------------------ sources and build */

static int64_t mtime_ns(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* Newest mtime under path (depth-limited recursion). */
static int64_t newest_under(const char *path, int depth)
{
    struct stat sb;
    if (stat(path, &sb)) return 0;
    int64_t best = mtime_ns(&sb);
    if (!S_ISDIR(sb.st_mode) || depth > 8) return best;
    DIR *d = opendir(path);
    if (!d) return best;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= (int)sizeof sub) continue;
        int64_t t = newest_under(sub, depth + 1);
        if (t > best) best = t;
    }
    closedir(d);
    return best;
}

int64_t cli_project_newest_source(const cli_project *p)
{
    char path[PATH_MAX];
    int64_t best = cli_project_path(p, CLI_PROJECT_FILE, path, sizeof path) ? 0
                                                                             : newest_under(path, 0);
    int64_t t = cli_project_path(p, p->watch, path, sizeof path) ? 0 : newest_under(path, 0);
    return t > best ? t : best;
}

int cli_project_build(const cli_project *p, int quiet, esgx_err *err)
{
    char sdk[PATH_MAX];
    if (cli_sdk_dir(sdk, sizeof sdk, err)) return ESGX_CLI_E_FAILED;
    /* a cargo line runs with a toolchain that has the target (cli_rust.c), not PATH's first */
    cli_rust_toolchain rust;
    char path_env[8192] = "";
    int use_rust = cli_rust_uses_cargo(p->build);
    if (use_rust) {
        char target[64], note[512];
        cli_rust_target(p->build, target, sizeof target);
        if (cli_rust_choose(target, &rust, err) ||
            cli_rust_fix_lock(p->dir, &rust, note, sizeof note, err))
            return ESGX_CLI_E_FAILED;
        const char *old = getenv("PATH");
        snprintf(path_env, sizeof path_env, "%s%s%s", rust.dir, old && *old ? ":" : "",
                 old ? old : "");
        if (!quiet) fprintf(stderr, "esgx: rust: %s (cargo 1.%d, %s)\n", rust.dir,
                            rust.cargo_minor, target);
        if (note[0]) fprintf(stderr, "esgx: %s\n", note);
    }
    if (!quiet) fprintf(stderr, "esgx: build: %s\n", p->build);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return esgx_err_set(err, ESGX_CLI_E_FAILED, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (chdir(p->dir) || setenv("ESGX_SDK_DIR", sdk, 1) || dup2(2, 1) < 0) _exit(127);
        if (use_rust && (setenv("PATH", path_env, 1) || setenv("CARGO", rust.cargo, 1) ||
                         setenv("RUSTC", rust.rustc, 1)))
            _exit(127);
        execl("/bin/sh", "sh", "-c", p->build, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return esgx_err_set(err, ESGX_CLI_E_FAILED, "waitpid: %s", strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "the build failed (%s %d): %s",
                            WIFEXITED(st) ? "exit status" : "signal",
                            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), p->build);
    char out[PATH_MAX];
    if (cli_project_path(p, p->output, out, sizeof out))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: path too long", p->output);
    FILE *f = fopen(out, "rb");
    if (!f)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "the build succeeded but made no %s (output "
                            "in %s): %s", p->output, CLI_PROJECT_FILE, strerror(errno));
    uint8_t head[4] = {0};
    size_t got = fread(head, 1, 4, f);
    fclose(f);
    if (got != 4 || memcmp(head, "\0asm", 4))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s is not WebAssembly (no \\0asm magic)",
                            p->output);
    return 0;
}

int cli_project_build_if_needed(const cli_project *p, esgx_err *err)
{
    char out[PATH_MAX];
    struct stat sb;
    if (cli_project_path(p, p->output, out, sizeof out) == 0 && stat(out, &sb) == 0 && mtime_ns(&sb) >= cli_project_newest_source(p)) return 0;
    return cli_project_build(p, 0, err);
}

/* ------------------------------------------------------------ module check */

int cli_check_module(const char *path, const uint8_t *bytes, size_t len, esgx_err *err)
{
    static const uint8_t magic[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    if (len < 8 || memcmp(bytes, magic, 4))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s is not a WebAssembly module (no \\0asm "
                            "magic at the start)", path);
    if (memcmp(bytes + 4, magic + 4, 4))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: unsupported WebAssembly binary version "
                            "(expected 1)", path);
    esgx_wasm_limits lim;
    esgx_wasm_limits_default(&lim);
    lim.compile_threads = 1;
    esgx_wasm_module *m = NULL;
    esgx_err e;
    if (esgx_wasm_module_parse(bytes, len, &lim, &m, &e))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: not a valid module: %s", path, e.msg);
    int rc = esgx_host_check_imports(m, &e);
    esgx_wasm_module_free(m);
    if (rc)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: a node cannot run it: %s", path, e.msg);
    return 0;
}
