/*
 * cmd_logs.c: `esgx logs NAME [--follow]`: the recent debug output of a function
 * deployed with "logs": true (GET /functions/NAME/logs, admin token; docs/cli.md).
 *
 * Each line of the answer starts with its sequence number; the CLI prints the lines
 * without it and remembers the last. Without --follow it prints the node's ring once.
 * With --follow it then asks again and again with ?since=LAST&follow=1, a long poll
 * that the node answers when new lines arrive or after 30 s, and prints what comes
 * until interrupted.
 * A function deployed without logs has no lines ever: when the first answer is empty,
 * the admin list (GET /functions, its "logs" member) tells whether logs are on, and if not the CLI says so and how to
 * turn them on (exit 1) instead of printing nothing (or waiting forever with --follow).
 */
#include "cli.h"
#include "cli_node.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_crypto.h"
#include "esgx_proto.h"

static const char logs_usage[] =
    "usage: esgx logs NAME [--follow]\n"
    "  Print the recent debug output (debug_print, WASI stderr) of function NAME, kept by\n"
    "  the logged-in node when the function was deployed with \"logs\": true. Each line:\n"
    "  UTC time, the invocation's status (ok or its error code), the guest's text.\n"
    "options:\n"
    "  --follow, -f       keep printing new lines as invocations come (Ctrl-C ends)\n"
    "  -h, --help         this help\n"
    "A function deployed without logs (logs = false) has none: that is said and how to\n"
    "turn them on, exit 1.\n"
    "exit: 0 printed, 1 refused by the node (unknown function, token) or logs off, 2 usage,\n"
    "      3 network error or node failure\n";

/* One GET of the logs after since (long poll when follow). Prints the lines and sets
 * *next from the answer's last line number. Returns an exit code. */
static int fetch(const cli_config *cfg, const char *name, uint64_t since, int follow,
                 uint64_t *next)
{
    char path[160], url[1300];
    snprintf(path, sizeof path, "/functions/%s/logs?since=%llu%s", name,
             (unsigned long long)since, follow ? "&follow=1" : "");
    cli_http_response rs;
    int grc = cli_get(cfg->node, path, cfg->token, &rs, url, sizeof url);
    if (grc) return grc;
    int rc = CLI_EXIT_OK;
    if (rs.status != 200) {
        char d[300];
        cli_http_describe(&rs, d, sizeof d);
        cli_error("GET %s: %s", url, d);
        rc = rs.status >= 500 ? CLI_EXIT_NETWORK : CLI_EXIT_FAIL;
    } else {
        *next = since;
        const char *p = (const char *)rs.body, *end = p + rs.len;
        while (p < end) {   /* "SEQ TIME STATUS TEXT\n" */
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl + 1 : end;
            uint64_t seq = 0;
            const char *q = p;
            while (q < e && *q >= '0' && *q <= '9') seq = seq * 10 + (uint64_t)(*q++ - '0');
            if (q < e && *q == ' ') q++;
            if (seq > *next) *next = seq;
            fwrite(q, 1, (size_t)(e - q), stdout);
            p = e;
        }
        fflush(stdout);
    }
    cli_http_response_free(&rs);
    return rc;
}

/* After an empty first answer: 1 when the node says NAME has logs off (message printed),
 * 0 when they are on or the node did not say. */
static int logs_off(const cli_config *cfg, const char *name)
{
    char url[1300];
    cli_http_response rs;
    if (cli_get(cfg->node, "/functions", cfg->token, &rs, url, sizeof url)) return 0;
    json_t *j = rs.status == 200 ? json_loadb((const char *)rs.body, rs.len, 0, NULL) : NULL;
    int off = 0;
    size_t i;
    json_t *e;
    json_array_foreach(j, i, e) {
        json_t *n = json_object_get(e, "name"), *on = json_object_get(e, "logs");
        if (json_is_string(n) && !strcmp(json_string_value(n), name))
            off = json_is_boolean(on) && !json_is_true(on);
    }
    json_decref(j);
    cli_http_response_free(&rs);
    if (off) {
        cli_error("function '%s' was deployed without logs: there is nothing to show", name);
        cli_hint("turn them on by deploying it again with logs: 'esgx functions deploy --name "
                 "%s --path FILE.wasm --logs', or logs = true in esgx.toml, then 'esgx deploy'",
                 name);
    }
    return off;
}

typedef struct logs_opts {
    int follow;
} logs_opts;

const cli_option cli_options_logs[] = {
    {.name = "--follow", .alias = "-f", .kind = CLI_OPT_FLAG,
     .offset = offsetof(logs_opts, follow)},
    CLI_OPT_END,
};

int cmd_logs(int argc, char **argv)
{
    logs_opts o = {0};
    const char *name = NULL;
    size_t n_pos;
    int prc = cli_parse_options("logs", &o, argc, argv, &name, 1, &n_pos);
    if (prc == 1) fputs(logs_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    int follow = o.follow;
    if (!name) return cli_usage_error("logs", "NAME is required");
    if (!esgx_proto_name_valid(name, strlen(name)))
        return cli_usage_error("logs", "function names are 1 to 64 characters of [A-Za-z0-9._-]");
    cli_config cfg;
    if (cli_config_require(&cfg, 1)) return CLI_EXIT_FAIL;
    int rc;
    if (!cfg.token[0]) {
        cli_error("logs need the admin token: run 'esgx login --node %s --token-file "
                  "DATA_DIR/admin.token'", cfg.node);
        rc = CLI_EXIT_FAIL;
    } else {
        uint64_t next = 0;
        rc = fetch(&cfg, name, 0, 0, &next);
        if (rc == CLI_EXIT_OK && next == 0 && logs_off(&cfg, name)) rc = CLI_EXIT_FAIL;
        while (rc == CLI_EXIT_OK && follow) rc = fetch(&cfg, name, next, 1, &next);
    }
    esgx_crypto_wipe(&cfg, sizeof cfg);
    return rc;
}
