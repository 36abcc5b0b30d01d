/*
 * cmd_dev.c: `esgx dev`, a local node running the project, rebuilt on every change
 * (docs/cli.md "esgx dev").
 *
 * Starts the esgxd next to the esgx binary on 127.0.0.1 (a free port unless --port) with
 * --debug (and --tier when given), its data in PROJECT/.esgx/dev/node (made with --init
 * the first time: the node creates its own development network key on the sim
 * platform; kept across runs so an unchanged module keeps its hash, state in
 * .esgx/dev/deployed). The node's log
 * comes through a pipe: lines with "[guest" (the functions' debug output) are relayed
 * to stderr, the rest only with --verbose. The CLI talks to the node with its admin
 * token (DATA/admin.token) and the key of its /attestation, never with the config of
 * `esgx login`. Every 500 ms it polls the mtimes of the sources (no inotify) and, when
 * one changed, rebuilds and redeploys; it also reads /metrics and prints one line per
 * answered invocation ("invocation: NAME HTTP 200"). SIGINT/SIGTERM stop the node
 * (SIGTERM, then SIGKILL after 10 s) and end with status 0.
 */
#include "cli.h"
#include "cli_node.h"
#include "cli_project.h"
#include "esgx_crypto.h"
#include "esgx_wasm.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEV_POLL_MS 500
#define DEV_START_MS 60000   /* the node must serve its key within this */

static const char dev_usage[] =
    "usage: esgx dev [--dir DIR] [--port PORT] [--tier interp|jit] [--verbose]\n"
    "  runs the project (esgx.toml in DIR, default .) on a local development node:\n"
    "  esgxd --debug on 127.0.0.1:PORT (default a free port), its data and network key\n"
    "  in DIR/.esgx/dev; builds and deploys, then rebuilds and redeploys when a source\n"
    "  changes. Shows the functions' debug output and one line per invocation;\n"
    "  --verbose shows the whole node log. --tier is passed to esgxd (how functions\n"
    "  run: interpreter or compiler; default $ESGX_WASM_TIER, else the compiler where\n"
    "  available). Ctrl-C stops the node.\n";

typedef struct dev_state {
    cli_project p;
    pid_t node;
    int log_fd;           /* read end of the node's stderr */
    char logbuf[8192];
    size_t loglen;
    int verbose;
    char url[128];
    cli_config cfg;
    sigset_t stop_sigs;
    unsigned long long seen[2][500];   /* per route (services, function_invoke), status */
} dev_state;

/* One log line of the node: remember the URL, relay guest output. */
static void dev_line(dev_state *s, const char *line)
{
    const char *l = strstr(line, "listening on http://");
    if (l && !s->url[0]) {
        size_t n = strcspn(l + 13, " ");
        if (n < sizeof s->url) {
            memcpy(s->url, l + 13, n);
            s->url[n] = 0;
        }
    }
    if (s->verbose || strstr(line, "[guest")) fprintf(stderr, "%s\n", line);
}

/* Reads what the node logged, waiting up to ms. Returns 0, or ESGX_CLI_E_FAILED at EOF. */
static int dev_pump(dev_state *s, int ms)
{
    struct pollfd pf = {.fd = s->log_fd, .events = POLLIN};
    if (poll(&pf, 1, ms) <= 0) return 0;
    ssize_t n = read(s->log_fd, s->logbuf + s->loglen, sizeof s->logbuf - 1 - s->loglen);
    if (n <= 0) return n == 0 || errno != EINTR ? ESGX_CLI_E_FAILED : 0;
    s->loglen += (size_t)n;
    s->logbuf[s->loglen] = 0;
    char *start = s->logbuf, *nl;
    while ((nl = strchr(start, '\n'))) {
        *nl = 0;
        dev_line(s, start);
        start = nl + 1;
    }
    size_t rest = s->loglen - (size_t)(start - s->logbuf);
    if (rest == sizeof s->logbuf - 1) {   /* an overlong line: flush it */
        dev_line(s, s->logbuf);
        rest = 0;
    }
    memmove(s->logbuf, start, rest);
    s->loglen = rest;
    return 0;
}

/* Starts esgxd (own process group, signals unblocked, stderr to a pipe). */
static int dev_start_node(dev_state *s, const char *port, const char *tier)
{
    char exe[PATH_MAX], esgxd[PATH_MAX + 16], data[PATH_MAX], key[PATH_MAX], listen[64];
    if (cli_exe_dir(exe, sizeof exe)) return ESGX_CLI_E_FAILED;
    snprintf(esgxd, sizeof esgxd, "%s/esgxd", exe);
    if (access(esgxd, X_OK)) {
        cli_error("dev: %s: %s (esgx dev runs the esgxd installed next to esgx)", esgxd,
                  strerror(errno));
        return ESGX_CLI_E_FAILED;
    }
    if (cli_project_path(&s->p, ".esgx/dev/node", data, sizeof data) ||
        cli_project_path(&s->p, ".esgx/dev/node/shared_key.sealed", key, sizeof key))
        return ESGX_CLI_E_FAILED;
    snprintf(listen, sizeof listen, "127.0.0.1:%s", port ? port : "0");
    int init = access(key, F_OK) != 0;
    int fds[2];
    if (pipe(fds)) return ESGX_CLI_E_FAILED;
    (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fflush(NULL);
    s->node = fork();
    if (s->node < 0) return ESGX_CLI_E_FAILED;
    if (s->node == 0) {
        setpgid(0, 0);
        sigprocmask(SIG_UNBLOCK, &s->stop_sigs, NULL);
        if (dup2(fds[1], 2) < 0 || dup2(fds[1], 1) < 0) _exit(127);
        close(fds[1]);
        char *argv[10] = {esgxd, "--data-dir", data, "--listen", listen, "--debug"};
        int a = 6;
        if (tier) argv[a++] = "--tier", argv[a++] = (char *)tier;
        if (init) argv[a++] = "--init";
        argv[a] = NULL;
        execv(esgxd, argv);
        _exit(127);
    }
    close(fds[1]);
    s->log_fd = fds[0];
    fprintf(stderr, "esgx dev: started %s (pid %d, data %s%s)\n", esgxd, (int)s->node, data,
            init ? ", new development key" : "");
    return 0;
}

/* Returns 1 when SIGINT or SIGTERM is pending (and consumes it). */
static int dev_stop_requested(dev_state *s)
{
    struct timespec zero = {0, 0};
    return sigtimedwait(&s->stop_sigs, NULL, &zero) > 0;
}

/* GET url path into rs (no token). Returns 0 on a 2xx answer. */
static int dev_get(dev_state *s, const char *path, cli_http_response *rs)
{
    char url[256];
    if (cli_url(s->url, path, url, sizeof url)) return ESGX_CLI_E_FAILED;
    cli_http_request rq = {.method = "GET", .url = url};
    esgx_err err;
    if (cli_http(&rq, rs, &err)) return ESGX_CLI_E_FAILED;
    if (rs->status / 100 == 2) return 0;
    cli_http_response_free(rs);
    return ESGX_CLI_E_FAILED;
}

/* Waits for the URL in the log and the network key at /attestation; fills s->cfg. */
static int dev_wait_ready(dev_state *s)
{
    uint64_t deadline = esgx_monotonic_ms() + DEV_START_MS;
    while (esgx_monotonic_ms() < deadline) {
        if (dev_stop_requested(s)) return ESGX_CLI_E_FAILED;
        if (dev_pump(s, 100)) {
            cli_error("dev: esgxd exited during startup (run with --verbose to see its log)");
            return ESGX_CLI_E_FAILED;
        }
        if (!s->url[0]) continue;
        cli_http_response rs = {0};
        if (dev_get(s, "/attestation", &rs)) continue;
        json_t *j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
        const char *k = j ? json_string_value(json_object_get(j, "public_key")) : NULL;
        int ok = k && strlen(k) == 66;
        if (ok) memcpy(s->cfg.network_key, k, 67);
        json_decref(j);
        cli_http_response_free(&rs);
        if (ok) break;
    }
    if (!s->cfg.network_key[0]) {
        cli_error("dev: the node did not serve its network key within %d s", DEV_START_MS / 1000);
        return ESGX_CLI_E_FAILED;
    }
    snprintf(s->cfg.node, sizeof s->cfg.node, "%s", s->url);
    char tok[PATH_MAX];
    uint8_t *t = NULL;
    size_t n = 0;
    esgx_err err;
    if (cli_project_path(&s->p, ".esgx/dev/node/admin.token", tok, sizeof tok) ||
        cli_read_file(tok, sizeof s->cfg.token - 1, &t, &n, &err)) {
        cli_error("dev: cannot read the node's admin token %s", tok);
        return ESGX_CLI_E_FAILED;
    }
    while (n && (t[n - 1] == '\n' || t[n - 1] == '\r')) n--;
    memcpy(s->cfg.token, t, n);
    s->cfg.token[n] = 0;
    esgx_crypto_wipe(t, n);
    free(t);
    return 0;
}

/* Prints one line per invocation answered since the last call (from /metrics). */
static void dev_report_invocations(dev_state *s)
{
    cli_http_response rs = {0};
    if (dev_get(s, "/metrics", &rs)) return;
    static const char *const routes[2] = {"services", "function_invoke"};
    for (char *l = (char *)rs.body; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char route[32];
        unsigned status;
        unsigned long long v;
        if (sscanf(l, "esgx_requests_total{route=\"%31[a-z_]\",status=\"%u\"} %llu", route,
                   &status, &v) != 3 || status < 100 || status >= 600)
            continue;
        for (int r = 0; r < 2; r++) {
            if (strcmp(route, routes[r])) continue;
            for (; s->seen[r][status - 100] < v; s->seen[r][status - 100]++)
                printf("invocation: %s HTTP %u\n", r ? s->p.name : "/services/3 (by hash)",
                       status);
        }
    }
    fflush(stdout);
    cli_http_response_free(&rs);
}

/* Builds (when needed or forced) and deploys. Errors are printed; dev goes on. */
static void dev_build_deploy(dev_state *s, int force)
{
    esgx_err err;
    if ((force ? cli_project_build(&s->p, 0, &err) : cli_project_build_if_needed(&s->p, &err))) {
        cli_error("%s", err.msg);
        cli_error("dev: waiting for the next change");
        return;
    }
    char out[PATH_MAX], state[PATH_MAX];
    if (cli_project_path(&s->p, s->p.output, out, sizeof out) ||
        cli_project_path(&s->p, ".esgx/dev/deployed", state, sizeof state))
        return;
    cli_deploy d = {.name = s->p.name, .path = out, .encrypt = s->p.encrypt, .logs = s->p.logs,
                    .progress = 0,
                    .state_path = state};
    int deployed = cli_deploy_file(&s->cfg, &d, NULL) == CLI_EXIT_OK;
    char sdk[PATH_MAX];
    if (deployed && s->p.seal && !cli_sdk_dir(sdk, sizeof sdk, NULL))   /* seal = true */
        printf("call it sealed: node %s/js/client.mjs --node %s --name %s --seal --input "
               "'your input' --network-key %s\n", sdk, s->url, s->p.name, s->cfg.network_key);
    else if (deployed)
        printf("call it: curl -sS -X POST %s/functions/%s --data 'your input'\n", s->url,
               s->p.name);
    fflush(stdout);
}

/* The watch loop: until a stop signal or the node's exit. */
static int dev_loop(dev_state *s)
{
    int64_t built = cli_project_newest_source(&s->p);
    for (;;) {
        uint64_t next = esgx_monotonic_ms() + DEV_POLL_MS;
        while (esgx_monotonic_ms() < next) {
            if (dev_stop_requested(s)) return CLI_EXIT_OK;
            uint64_t now = esgx_monotonic_ms();
            if (dev_pump(s, now < next ? (int)(next - now) : 0)) {
                cli_error("dev: esgxd exited");
                return CLI_EXIT_FAIL;
            }
        }
        dev_report_invocations(s);
        int64_t now = cli_project_newest_source(&s->p);
        if (now != built) {
            built = now;
            fprintf(stderr, "esgx dev: a source changed: rebuilding\n");
            dev_build_deploy(s, 1);
        }
    }
}

/* SIGTERM to the node's group, SIGKILL after 10 s; reaps it. */
static void dev_stop_node(dev_state *s)
{
    if (s->node <= 0) return;
    kill(-s->node, SIGTERM);
    uint64_t deadline = esgx_monotonic_ms() + 10000;
    int st;
    while (waitpid(s->node, &st, WNOHANG) == 0) {
        if (esgx_monotonic_ms() > deadline) {
            kill(-s->node, SIGKILL);
            (void)waitpid(s->node, &st, 0);
            break;
        }
        if (dev_pump(s, 50)) usleep(50000);
    }
    s->node = 0;
}

typedef struct dev_opts {
    const char *dir, *tier;
    uint64_t port;   /* 0: a free one */
    int verbose;
} dev_opts;

const cli_option cli_options_dev[] = {
    CLI_OPT_ROW("--dir", CLI_OPT_STRING, dev_opts, dir),
    {.name = "--port", .kind = CLI_OPT_U64, .offset = offsetof(dev_opts, port), .min = 1,
     .max = 65535},
    CLI_OPT_ROW("--tier", CLI_OPT_STRING, dev_opts, tier),
    CLI_OPT_ROW("--verbose", CLI_OPT_FLAG, dev_opts, verbose),
    CLI_OPT_END,
};

int cmd_dev(int argc, char **argv)
{
    dev_opts o = {.dir = "."};
    size_t n_pos;
    int prc = cli_parse_options("dev", &o, argc, argv, NULL, 0, &n_pos);
    if (prc == 1) fputs(dev_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    const char *dir = o.dir, *tier = o.tier;
    int verbose = o.verbose;
    char port_text[8];   /* esgxd's --listen takes the port as text */
    snprintf(port_text, sizeof port_text, "%u", (unsigned)o.port);
    const char *port = o.port ? port_text : NULL;
    esgx_err err;
    esgx_wasm_tier t;   /* checked here, before the node starts: --tier, else ESGX_WASM_TIER */
    if ((tier && esgx_wasm_tier_parse(tier, &t, &err)) ||
        (!tier && esgx_wasm_tier_resolve(ESGX_WASM_TIER_DEFAULT, &t, &err))) {
        return cli_usage_error("dev", "%s%s", tier ? "--tier: " : "", err.msg);
    }
    dev_state *s = calloc(1, sizeof *s);
    if (!s) return CLI_EXIT_FAIL;
    s->verbose = verbose;
    s->log_fd = -1;
    int rc = CLI_EXIT_FAIL;
    char path[PATH_MAX];
    if (cli_project_load(dir, &s->p, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (cli_project_path(&s->p, ".esgx", path, sizeof path) || (mkdir(path, 0755) && errno != EEXIST) ||
        cli_project_path(&s->p, ".esgx/dev", path, sizeof path) || (mkdir(path, 0700) && errno != EEXIST)) {
        cli_error("dev: %s: %s", path, strerror(errno));
        goto out;
    }
    sigemptyset(&s->stop_sigs);
    sigaddset(&s->stop_sigs, SIGINT);
    sigaddset(&s->stop_sigs, SIGTERM);
    sigprocmask(SIG_BLOCK, &s->stop_sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (dev_start_node(s, port, tier) || dev_wait_ready(s)) goto stop;
    printf("esgx dev: node %s (development key %.16s..., debug output shown)\n", s->url,
           s->cfg.network_key);
    fflush(stdout);
    dev_build_deploy(s, 0);
    rc = dev_loop(s);
    fprintf(stderr, "esgx dev: stopping\n");
stop:
    dev_stop_node(s);
    if (s->log_fd >= 0) close(s->log_fd);
    sigprocmask(SIG_UNBLOCK, &s->stop_sigs, NULL);
out:
    esgx_crypto_wipe(&s->cfg, sizeof s->cfg);
    free(s);
    return rc;
}
