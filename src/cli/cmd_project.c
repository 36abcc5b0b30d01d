/*
 * cmd_project.c: `esgx new`, `esgx build` and `esgx deploy` (docs/cli.md "Projects").
 *
 * new writes a project folder: esgx.toml, a hello source and what the language's
 * toolchain needs (Cargo.toml for rust, naming the SDK crate by its absolute path;
 * for assemblyscript a symlink src/esgx to the SDK's assembly/esgx, which asc compiles
 * as part of the project and which --use abort= names; its build runs the SDK's asc,
 * else the project's own node_modules/assemblyscript, since an installed SDK carries
 * no node_modules). Build commands
 * name the SDK as "$ESGX_SDK_DIR", which `esgx build` exports (cli_sdk_dir), so
 * esgx.toml itself holds no machine-specific path.
 * deploy (no flags needed) builds when a source is newer than the output, checks the
 * module, encrypts it unless encrypt = false and deploys it under the project's name;
 * .esgx/deployed remembers the last upload so unchanged code keeps its hash.
 */
#include "cli.h"
#include "cli_node.h"
#include "cli_project.h"
#include "esgx_crypto.h"
#include "esgx_proto.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char project_usage[] =
    "usage: esgx new NAME --lang c|rust|assemblyscript [--dir DIR]\n"
    "       esgx build [--dir DIR]\n"
    "       esgx deploy [--dir DIR] [--json] [--progress | --no-progress]\n"
    "  new     make a project in DIR (default ./NAME): esgx.toml, a hello function\n"
    "  build   run the build command of esgx.toml, check the output is WebAssembly\n"
    "  deploy  build if a source changed, check the module, encrypt it (unless\n"
    "          encrypt = false), deploy it as the project's name; unchanged code keeps\n"
    "          its hash and is not uploaded again (.esgx/deployed)\n"
    "DIR defaults to the current folder for build and deploy. The SDK is found at\n"
    "$ESGX_SDK_DIR, else at ../share/esgx/sdk from the esgx binary (an install), else\n"
    "in the source tree of the build directory esgx runs from.\n"
    "exit: 0 done, 1 failed (build, check, refused), 2 usage, 3 network error\n";

/* The options of new, build and deploy (each command its own table below). */
typedef struct project_opts {
    const char *dir, *lang;
    int json, progress;
} project_opts;

const cli_option cli_options_new[] = {
    CLI_OPT_ROW("--lang", CLI_OPT_STRING, project_opts, lang),
    CLI_OPT_ROW("--dir", CLI_OPT_STRING, project_opts, dir),
    CLI_OPT_END,
};

const cli_option cli_options_build[] = {
    CLI_OPT_ROW("--dir", CLI_OPT_STRING, project_opts, dir),
    CLI_OPT_END,
};

const cli_option cli_options_deploy[] = {
    CLI_OPT_ROW("--dir", CLI_OPT_STRING, project_opts, dir),
    CLI_OPT_ROW("--json", CLI_OPT_FLAG, project_opts, json),
    CLI_OPT_ROW("--progress", CLI_OPT_FLAG, project_opts, progress),
    CLI_OPT_ROW("--no-progress", CLI_OPT_UNSET, project_opts, progress),
    CLI_OPT_END,
};

/* Parses the options of cmd into o (max_pos positional arguments into pos). Returns -1
 * to go on, or an exit status (--help printed, or a usage error printed). */
static int parse_project(const char *cmd, int argc, char **argv, project_opts *o,
                         const char **pos, size_t max_pos)
{
    size_t n_pos;
    int rc = cli_parse_options(cmd, o, argc, argv, pos, max_pos, &n_pos);
    if (rc == 1) fputs(project_usage, stdout);
    if (rc == 1) return CLI_EXIT_OK;
    if (rc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    return -1;
}

/* ------------------------------------------------------------ new */

static const char c_hello[] =
    "/* %s: an esgx function (docs/guest-abi.md, sdk/c/). Output: a greeting. */\n"
    "#include \"esgx_fn0.h\"\n\n"
    "ESGX_MAIN\n{\n"
    "    static const char msg[] = \"%s: running\";\n"
    "    fn0_debug_print(msg, sizeof msg - 1);   /* shown by a node started with --debug */\n"
    "    fn0_output_str(\"Hello from %s!\");\n"
    "    return 0;\n}\n";

static const char rust_hello[] =
    "//! %s: an esgx function (sdk/rust). Output: a greeting.\n"
    "use std::io::Write;\n\nuse esgx::io::output_writer;\n\n"
    "#[esgx::main]\nfn main() {\n"
    "    esgx::println!(\"%s: running\"); // shown by a node started with --debug\n"
    "    output_writer().write_all(b\"Hello from %s!\").unwrap();\n}\n";

static const char as_hello[] =
    "// %s: an esgx function (sdk/assemblyscript). Output: a greeting.\n"
    "import { debugPrint, outputString } from \"./esgx/index\";\n\n"
    "export function main(): void {\n"
    "  debugPrint(\"%s: running\"); // shown by a node started with --debug\n"
    "  outputString(\"Hello from %s!\");\n}\n";

/* Writes dir/rel (which must not exist yet). Returns 0 or ESGX_CLI_E_FAILED (printed). */
static int put_file(const char *dir, const char *rel, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    esgx_err err;
    int rc = cli_create_file(path, (const uint8_t *)text, strlen(text), 0644, &err);
    if (rc == 1) cli_error("%s exists already: not overwritten", path);
    else if (rc) cli_error("%s", err.msg);
    return rc ? ESGX_CLI_E_FAILED : 0;
}

/* The language's files and esgx.toml lines (build, output). Returns 0 or -1 (printed). */
static int new_sources(const char *lang, const char *name, const char *dir, const char *sdk,
                       char *toml_lang, size_t cap)
{
    char text[12288];
    if (!strcmp(lang, "c")) {
        snprintf(text, sizeof text, c_hello, name, name, name);
        snprintf(toml_lang, cap,
                 "build = \"mkdir -p build && clang-19 --target=wasm32 -O2 -ffreestanding "
                 "-nostdlib -mbulk-memory -Wall -Wextra -Wl,--no-entry -Wl,--strip-all "
                 "-I\\\"$ESGX_SDK_DIR\\\" -I\\\"$ESGX_SDK_DIR/c\\\" -o build/%s.wasm src/main.c\"\n"
                 "output = \"build/%s.wasm\"\n", name, name);
        return put_file(dir, "src/main.c", text);
    }
    if (!strcmp(lang, "rust")) {
        char crate[65];
        snprintf(crate, sizeof crate, "%s", name);
        for (char *p = crate; *p; p++)
            if (*p == '.' || *p == '-') *p = '_';
        snprintf(text, sizeof text,
                 "# %s: an esgx function. The esgx crate is the SDK of this esgx install.\n"
                 "[package]\nname = \"%s\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n"
                 "[dependencies]\nesgx = { path = \"%s/rust\" }\n\n"
                 "[profile.release]\nopt-level = \"s\"\nlto = true\ncodegen-units = 1\n"
                 "panic = \"abort\"\nstrip = true\n\n[workspace]\n", name, crate, sdk);
        if (put_file(dir, "Cargo.toml", text)) return ESGX_CLI_E_FAILED;
        snprintf(text, sizeof text, rust_hello, name, name, name);
        snprintf(toml_lang, cap,
                 "build = \"cargo build --offline --release --target wasm32-unknown-unknown\"\n"
                 "output = \"target/wasm32-unknown-unknown/release/%s.wasm\"\n", crate);
        return put_file(dir, "src/main.rs", text);
    }
    if (!strcmp(lang, "assemblyscript")) {
        char link[PATH_MAX + 16], target[PATH_MAX + 32];
        snprintf(link, sizeof link, "%s/src/esgx", dir);
        snprintf(target, sizeof target, "%s/assemblyscript/assembly/esgx", sdk);
        if (symlink(target, link)) {
            cli_error("%s: %s", link, strerror(errno));
            return ESGX_CLI_E_FAILED;
        }
        snprintf(text, sizeof text, as_hello, name, name, name);
        snprintf(toml_lang, cap,
                 "build = \"mkdir -p build && "
                 "asc=\\\"$ESGX_SDK_DIR/assemblyscript/node_modules/assemblyscript/bin/asc.js\\\" "
                 "&& { [ -f \\\"$asc\\\" ] || asc=node_modules/assemblyscript/bin/asc.js; } && "
                 "node \\\"$asc\\\" src/main.ts -o build/main.wasm -O3 --runtime stub "
                 "--use abort=src/esgx/index/esgxAbort\"\n"
                 "output = \"build/main.wasm\"\n");
        return put_file(dir, "src/main.ts", text);
    }
    cli_error("new: unknown language '%s' (c, rust or assemblyscript)", lang);
    return ESGX_CLI_E_USAGE;
}

int cmd_new(int argc, char **argv)
{
    project_opts o = {0};
    const char *name = NULL;
    int r = parse_project("new", argc, argv, &o, &name, 1);
    if (r >= 0) return r;
    const char *lang = o.lang, *dir_opt = o.dir;
    if (!name || !lang)
        return cli_usage_error("new", "NAME and --lang c|rust|assemblyscript are required");
    if (!esgx_proto_name_valid(name, strlen(name)))
        return cli_usage_error("new", "NAME must be 1 to 64 characters from A-Z a-z 0-9 . _ -");
    if (strcmp(lang, "c") && strcmp(lang, "rust") && strcmp(lang, "assemblyscript"))
        return cli_usage_error("new", "--lang must be c, rust or assemblyscript");
    char sdk[PATH_MAX];
    esgx_err err;
    if (cli_sdk_dir(sdk, sizeof sdk, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    const char *dir_arg = dir_opt ? dir_opt : name;
    char dir[PATH_MAX], srcdir[PATH_MAX + 8];
    if (mkdir(dir_arg, 0755) && errno != EEXIST) {
        cli_error("%s: %s", dir_arg, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    if (!realpath(dir_arg, dir)) {
        cli_error("%s: %s", dir_arg, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    snprintf(srcdir, sizeof srcdir, "%s/src", dir);
    (void)mkdir(srcdir, 0755);
    char lang_lines[2048], toml[4096];
    int rc = new_sources(lang, name, dir, sdk, lang_lines, sizeof lang_lines);
    if (rc) return rc == ESGX_CLI_E_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    snprintf(toml, sizeof toml,
             "# esgx project (docs/cli.md \"Projects\"): esgx build, esgx deploy, esgx dev\n"
             "name = \"%s\"\nlanguage = \"%s\"\n%s"
             "encrypt = true   # upload the module encrypted to the network key\n"
             "logs = false     # true: the node keeps the debug output (esgx logs %s)\n"
             "watch = \"src\"    # esgx dev rebuilds when a file here changes\n",
             name, lang, lang_lines, name);
    if (put_file(dir, CLI_PROJECT_FILE, toml) ||
        put_file(dir, ".gitignore", "build/\ntarget/\n.esgx/\n"))
        return CLI_EXIT_FAIL;
    printf("created %s (%s)\n", dir, lang);
    printf("next: cd %s && esgx build && esgx deploy   (or esgx dev for a local node)\n",
           dir_arg);
    return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ build, deploy */

int cmd_build(int argc, char **argv)
{
    project_opts o = {.dir = "."};
    int r = parse_project("build", argc, argv, &o, NULL, 0);
    if (r >= 0) return r;
    const char *dir = o.dir;
    cli_project p;
    esgx_err err;
    if (cli_project_load(dir, &p, &err) || cli_project_build(&p, 0, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    char out[PATH_MAX];
    struct stat sb;
    (void)cli_project_path(&p, p.output, out, sizeof out);
    printf("built %s (%lld bytes)\n", out, stat(out, &sb) ? 0LL : (long long)sb.st_size);
    return CLI_EXIT_OK;
}

int cmd_deploy(int argc, char **argv)
{
    project_opts o = {.dir = ".", .progress = -1};
    int r = parse_project("deploy", argc, argv, &o, NULL, 0);
    if (r >= 0) return r;
    const char *dir = o.dir;
    int as_json = o.json, progress = o.progress;
    cli_project p;
    esgx_err err;
    if (cli_project_load(dir, &p, &err) || cli_project_build_if_needed(&p, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    cli_config cfg;
    if (cli_config_require(&cfg, p.encrypt)) return CLI_EXIT_FAIL;
    if (!cfg.token[0]) {
        cli_error("no admin token stored: run 'esgx login --node %s --token-file "
                  "DATA_DIR/admin.token'", cfg.node);
        esgx_crypto_wipe(&cfg, sizeof cfg);
        return CLI_EXIT_FAIL;
    }
    char state_dir[PATH_MAX], state[PATH_MAX], out[PATH_MAX];
    if (cli_project_path(&p, ".esgx", state_dir, sizeof state_dir) ||
        cli_project_path(&p, ".esgx/deployed", state, sizeof state) ||
        cli_project_path(&p, p.output, out, sizeof out)) {
        cli_error("%s: path too long", p.dir);
        esgx_crypto_wipe(&cfg, sizeof cfg);
        return CLI_EXIT_FAIL;
    }
    (void)mkdir(state_dir, 0755);
    cli_deploy d = {.name = p.name, .path = out, .encrypt = p.encrypt, .logs = p.logs,
                    .seal = p.seal,
                    .progress = progress,
                    .as_json = as_json, .state_path = state};
    int rc = cli_deploy_file(&cfg, &d, NULL);
    esgx_crypto_wipe(&cfg, sizeof cfg);
    return rc;
}
