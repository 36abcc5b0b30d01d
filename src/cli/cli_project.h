/*
 * cli_project.h: esgx projects (esgx new / build / deploy / dev; docs/cli.md "Projects").
 *
 * A project is a folder with an esgx.toml, read by a small TOML subset reader
 * (cli_project.c): one `key = value` per line, values "strings" (with \" \\ \n \t
 * escapes) or true/false, '#' comments; no tables or arrays. Keys: name, language,
 * build (a /bin/sh command run in the project folder with ESGX_SDK_DIR set), output
 * (the .wasm the build makes), encrypt (default true), watch (a file or folder whose
 * changes call for a rebuild, default "src"), logs and seal (default false).
 * The deploy helpers (the module check and the upload, defined in cmd_functions.c) are
 * shared by `esgx functions deploy --path` and the project commands.
 */
#ifndef ESGX_CLI_PROJECT_H
#define ESGX_CLI_PROJECT_H

#include <stddef.h>
#include <stdint.h>

#include "cli_node.h"
#include "esgx_common.h"

#define CLI_PROJECT_FILE "esgx.toml"

typedef struct cli_project {
    char dir[4096];        /* the project folder (absolute; PATH_MAX for realpath) */
    char name[65];         /* function name (esgx_proto_name_valid) */
    char language[32];     /* c, rust or assemblyscript (informative) */
    char build[4096];      /* shell command, run in dir */
    char output[1024];     /* relative to dir */
    char watch[1024];      /* relative to dir */
    int encrypt;
    int logs;                  /* keep the function's debug output on the node */
    int seal;                  /* callers should seal (esgx invoke --seal): the deploy
                                  output shows a sealed call, no plain curl line */
} cli_project;

/* Reads DIR/esgx.toml into p (dir = realpath of DIR). Returns 0, or ESGX_CLI_E_FAILED with
 * err naming the file and line ("esgx.toml:3: expected key = value"), a missing key
 * (name, build, output) or a bad name. */
int cli_project_load(const char *dir, cli_project *p, esgx_err *err);

/* out = p->dir + "/" + rel. Returns 0, or ESGX_CLI_E_FAILED (out = "") when it does not
 * fit in cap. */
int cli_project_path(const cli_project *p, const char *rel, char *out, size_t cap);

/* The guest SDK folder: $ESGX_SDK_DIR, else <folder of the esgx binary>/../share/esgx/sdk
 * (an install, wherever its prefix was copied), else, only when esgx runs from the build
 * directory it was built in (ESGX_BUILD_DIR, baked in by CMake), the source tree's sdk/
 * (ESGX_SOURCE_SDK_DIR, baked in; in-tree and out-of-tree builds alike); the first that
 * holds esgx_fn0.h. Writes its realpath into out. Returns 0 or ESGX_CLI_E_FAILED with
 * err listing where it looked. */
int cli_sdk_dir(char *out, size_t cap, esgx_err *err);

/* The folder of the running esgx binary (realpath of /proc/self/exe without the last
 * component). Returns 0 or ESGX_CLI_E_FAILED. */
int cli_exe_dir(char *out, size_t cap);

/* Newest modification time (ns since the epoch) of esgx.toml and every file under
 * p->watch (recursively; dot files and folders skipped). Returns 0 when nothing is there. */
int64_t cli_project_newest_source(const cli_project *p);

/* Runs p->build with /bin/sh in p->dir (ESGX_SDK_DIR exported), then checks that
 * p->output exists and starts with the WebAssembly magic. quiet: the build's stdout and
 * stderr go to stderr either way; quiet only drops the "build: ..." line. Returns 0 or
 * ESGX_CLI_E_FAILED with err. */
int cli_project_build(const cli_project *p, int quiet, esgx_err *err);

/* Builds when p->output is missing or older than a source (cli_project_newest_source).
 * Returns 0 or ESGX_CLI_E_FAILED with err. */
int cli_project_build_if_needed(const cli_project *p, esgx_err *err);

/* Checks that bytes[0..len) is a module this network runs: the WebAssembly magic and
 * version, then esgx_wasm_module_parse (decode + validate; the message names the
 * section and offset) and esgx_host_check_imports (every import is a host function of
 * the guest ABI with its type). Returns 0 or ESGX_CLI_E_FAILED with err = "PATH: ...". */
int cli_check_module(const char *path, const uint8_t *bytes, size_t len, esgx_err *err);

/* What a deploy of a file does (cli_deploy_file). */
typedef struct cli_deploy {
    const char *name;          /* function name */
    const char *path;          /* the module file (named in messages) */
    int encrypt;               /* encrypt to cfg->network_key (ECIES) */
    int logs;                  /* deploy with "logs": true (esgx logs NAME) */
    int seal;                  /* show a sealed call (esgx invoke NAME --seal), no curl line */
    int progress;              /* upload progress bar: 1, 0, -1 if TTY */
    int as_json;               /* print one JSON object instead of text */
    const char *state_path;    /* a state file (previous upload) or NULL for none */
} cli_deploy;

/* Reads d->path, checks it (cli_check_module), encrypts it unless !d->encrypt, uploads
 * it to the node of cfg and points d->name at it. With d->state_path: when the file
 * records an upload to the same node and network key of the same plaintext (BLAKE3)
 * with the same encrypt setting, its hash is reused and nothing is uploaded (the node
 * must still hold it: else this uploads again); after an upload the file is rewritten.
 * hash_out (65 bytes, may be NULL) gets the deployed hash. Messages are printed.
 * Returns a CLI exit status. Defined in cmd_functions.c. */
int cli_deploy_file(const cli_config *cfg, const cli_deploy *d, char *hash_out);

/* The subcommands of the project workflow (cmd_project.c, cmd_dev.c). */
int cmd_new(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_dev(int argc, char **argv);

#endif
