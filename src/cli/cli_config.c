/*
 * cli_config.c: the esgx CLI's config file.
 *
 * One small text file, $XDG_CONFIG_HOME/esgx/config (or ~/.config/esgx/config), holds
 * "key = value" lines: the node URL, the admin token, the network key pinned at
 * login and the sim root that login trusted (--sim-root; esgx nodes --verify uses it). It holds a credential, so it is always written with mode 0600 (folder 0700),
 * atomically (temp file + fsync + rename via cli_write_file), and a file that other
 * users can read is reported on load. Unknown keys are ignored so that later versions
 * can add some; '#' starts a comment line. The same folder holds the developer key and
 * the pinned owners of function names (cli_names.c).
 */
#include "cli.h"
#include "cli_node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "esgx_crypto.h"

#define CONFIG_MAX_BYTES 65536

int cli_config_dir(char *out, size_t cap, esgx_err *err)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    int n;
    if (xdg && xdg[0] == '/') {
        n = snprintf(out, cap, "%s/esgx", xdg);
    } else {
        const char *home = getenv("HOME");
        if (!home || !home[0])
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "cannot locate the config folder: neither "
                                         "XDG_CONFIG_HOME nor HOME is set");
        n = snprintf(out, cap, "%s/.config/esgx", home);
    }
    if (n < 0 || (size_t)n >= cap) return esgx_err_set(err, ESGX_CLI_E_FAILED, "config path too long");
    return 0;
}

int cli_config_path(char *out, size_t cap, esgx_err *err)
{
    char dir[4096];
    if (cli_config_dir(dir, sizeof dir, err)) return ESGX_CLI_E_FAILED;
    int n = snprintf(out, cap, "%s/config", dir);
    if (n < 0 || (size_t)n >= cap) return esgx_err_set(err, ESGX_CLI_E_FAILED, "config path too long");
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

static int set_field(char *dst, size_t cap, const char *value, const char *path,
                     const char *key, esgx_err *err)
{
    size_t n = strlen(value);
    if (n >= cap)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: value of '%s' is too long", path, key);
    memcpy(dst, value, n + 1);
    return 0;
}

int cli_config_load(cli_config *cfg, esgx_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    char path[4200];
    if (cli_config_path(path, sizeof path, err)) return ESGX_CLI_E_FAILED;
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return esgx_err_set(err, CLI_CONFIG_MISSING, "%s does not exist", path);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", path, strerror(errno));
    }
    if (st.st_mode & 077)
        fprintf(stderr, "esgx: warning: %s is readable by other users (mode %03o); it holds "
                        "a token: chmod 600 it\n", path, (unsigned)(st.st_mode & 0777));
    uint8_t *data;
    size_t len;
    if (cli_read_file(path, CONFIG_MAX_BYTES, &data, &len, err)) return ESGX_CLI_E_FAILED;
    char *text = (char *)data;   /* NUL-terminated by cli_read_file */
    int rc = 0, line_no = 0;
    for (char *line = text, *next; line && *line; line = next) {
        line_no++;
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        char *s = trim(line);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "%s:%d: expected 'key = value'", path, line_no);
            break;
        }
        *eq = 0;
        char *key = trim(s), *value = trim(eq + 1);
        if (!strcmp(key, "node"))
            rc = set_field(cfg->node, sizeof cfg->node, value, path, key, err);
        else if (!strcmp(key, "token"))
            rc = set_field(cfg->token, sizeof cfg->token, value, path, key, err);
        else if (!strcmp(key, "network_key"))
            rc = set_field(cfg->network_key, sizeof cfg->network_key, value, path, key, err);
        else if (!strcmp(key, "xpub"))
            rc = set_field(cfg->xpub, sizeof cfg->xpub, value, path, key, err);
        else if (!strcmp(key, "sim_root"))
            rc = set_field(cfg->sim_root, sizeof cfg->sim_root, value, path, key, err);
        if (rc) break;
    }
    esgx_crypto_wipe(text, len);
    free(text);
    if (rc) esgx_crypto_wipe(cfg->token, sizeof cfg->token);
    return rc;
}

int cli_config_mkdir(char *dir, size_t cap, esgx_err *err)
{
    if (cli_config_dir(dir, cap, err)) return ESGX_CLI_E_FAILED;
    /* create the folder and, for the default ~/.config/esgx, its parent */
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = 0;
        if (mkdir(parent, 0700) < 0 && errno != EEXIST)
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", parent, strerror(errno));
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s: %s", dir, strerror(errno));
    return 0;
}

int cli_config_save(const cli_config *cfg, esgx_err *err)
{
    char dir[4096], path[4200];
    if (cli_config_mkdir(dir, sizeof dir, err) || cli_config_path(path, sizeof path, err))
        return ESGX_CLI_E_FAILED;
    char text[8192];
    int n = snprintf(text, sizeof text,
                     "# esgx CLI config, written by 'esgx login'. Holds a token: keep it 0600.\n"
                     "node = %s\ntoken = %s\nnetwork_key = %s\nxpub = %s\n%s%s%s",
                     cfg->node, cfg->token, cfg->network_key, cfg->xpub,
                     cfg->sim_root[0] ? "sim_root = " : "", cfg->sim_root,
                     cfg->sim_root[0] ? "\n" : "");
    if (n < 0 || (size_t)n >= sizeof text) {
        esgx_crypto_wipe(text, sizeof text);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "config too long");
    }
    int rc = cli_write_file(path, (const uint8_t *)text, (size_t)n, 0600, err);
    esgx_crypto_wipe(text, sizeof text);
    return rc;
}

int cli_config_require(cli_config *cfg, int need_key)
{
    esgx_err err;
    int rc = cli_config_load(cfg, &err);
    if (rc == CLI_CONFIG_MISSING) {
        cli_error_code("not_logged_in");
        cli_error("not logged in (%s): run 'esgx login --node URL' first", err.msg);
        return ESGX_CLI_E_FAILED;
    }
    if (rc) {
        cli_error("%s", err.msg);
        return ESGX_CLI_E_FAILED;
    }
    if (!cfg->node[0]) {
        cli_error("the config names no node: run 'esgx login --node URL'");
        return ESGX_CLI_E_FAILED;
    }
    if (need_key && !cfg->network_key[0]) {
        cli_error("no network key is pinned: run 'esgx login --node %s' again", cfg->node);
        return ESGX_CLI_E_FAILED;
    }
    return 0;
}

