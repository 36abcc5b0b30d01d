/*
 * cmd_login.c: `esgx login`, pointing the CLI at a node.
 *
 * Reads the node's GET /attestation document and verifies it exactly as `esgx attest`
 * does (cli_attest_node: the quote against the collateral up to the Intel root, or the
 * sim root given with --sim-root; the TCB policy; report data binding SHA-256 of the
 * xpub; public_key = the xpub's key). Only then is the network key pinned. When the
 * verification fails, login refuses unless --insecure-skip-attest is given, and then
 * says loudly that the pinned key is unverified. It also checks the admin token if one
 * is given (GET /functions must answer 200), and writes node URL, token and key to the
 * config file (0600). A later login to the same node URL that reports a different key
 * is refused unless --force, because every answer that `esgx invoke` accepts must
 * recover to exactly this key. Last, it makes the developer key (esgx keys) when there
 * is none and prints its public key: the key that owns the names deployed from here.
 */
#include "cli.h"
#include "cli_attest.h"
#include "cli_node.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_crypto.h"

static const char login_usage[] =
    "usage: esgx login --node URL [--token TOKEN | --token-file FILE] [--force]\n"
    "                  [--sim-root PEM] [--insecure-skip-attest]\n"
    "  Point the CLI at a node: read its attestation document from URL/attestation,\n"
    "  verify it (quote, collateral, TCB status, and that the quote binds the network\n"
    "  key, as `esgx attest` does), pin the network key, check the admin token, and\n"
    "  store URL, token and key in\n"
    "  $XDG_CONFIG_HOME/esgx/config (default ~/.config/esgx/config), mode 0600; make the\n"
    "  developer key that signs your function names if there is none (esgx keys).\n"
    "options:\n"
    "  --node URL         the node, e.g. http://127.0.0.1:8080\n"
    "  --token TOKEN      admin token (the node's DATA_DIR/admin.token); needed to deploy,\n"
    "                     list and delete functions\n"
    "  --token-file FILE  read the token from FILE\n"
    "  --force            accept a network key that differs from the one pinned before\n"
    "  --sim-root PEM     trust this sim root (esgx sim init) instead of the Intel root\n"
    "  --insecure-skip-attest  pin the key even if the attestation does not verify\n"
    "                     (NOT recommended: nothing then shows the key is in an enclave)\n"
    "  -h, --help         this help\n"
    "exit: 0 logged in, 1 refused (no key yet, attestation failed, key changed, bad\n"
    "      token), 2 usage,\n"
    "      3 network error\n";

/* A usage error of login: one line, then where the usage is (msg NULL: printed). */
static int usage_error(const char *msg)
{
    return msg ? cli_usage_error("login", "%s", msg) : cli_usage_error("login", NULL);
}

/* Fetches and verifies URL/attestation and fills key/xpub. Returns a CLI exit status. */
static int fetch_network_key(const char *node, const char *sim_root, int skip_attest,
                             uint8_t key[33], char *xpub, size_t xpub_cap)
{
    cli_attest_doc doc;
    int rc = cli_attest_node(node, sim_root, NULL, &doc);
    if (rc == CLI_EXIT_USAGE || rc == CLI_EXIT_NETWORK) return rc;
    if (!doc.have_key) {
        cli_error("%s: %s; nothing to pin", node, doc.why);
        return CLI_EXIT_FAIL;
    }
    char mre[65];
    esgx_crypto_hex_encode(doc.result.body.mrenclave, 32, mre);
    if (rc == CLI_EXIT_OK) {
        printf("attestation verified: platform %s, mrenclave %s, tcb %s\n", doc.platform, mre,
               doc.result.tcb_status);
    } else if (!skip_attest) {
        cli_error("refusing to pin the network key of %s: its attestation does not verify: "
                  "%s", node, doc.why);
        cli_attest_root_hint(sim_root, cli_attest_chain_failed(&doc));
        cli_error("(check with `esgx attest %s%s%s`; --insecure-skip-attest pins it anyway)",
                  node, sim_root ? " --sim-root " : "", sim_root ? sim_root : "");
        return CLI_EXIT_FAIL;
    } else {
        fprintf(stderr,
                "esgx: WARNING: *** INSECURE: pinning an UNVERIFIED network key ***\n"
                "esgx: WARNING: the attestation of %s does not verify: %s\n"
                "esgx: WARNING: nothing shows that this key lives only in an attested "
                "enclave (--insecure-skip-attest)\n",
                node, doc.why);
    }
    memcpy(key, doc.public_key, 33);
    snprintf(xpub, xpub_cap, "%s", doc.xpub);
    return CLI_EXIT_OK;
}

static int check_token(const char *node, const char *token)
{
    char url[1200];
    if (cli_url(node, "/functions", url, sizeof url)) return CLI_EXIT_USAGE;
    cli_http_request rq = {.method = "GET", .url = url, .token = token};
    cli_http_response rs;
    esgx_err err;
    if (cli_http(&rq, &rs, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_NETWORK;
    }
    int rc = CLI_EXIT_OK;
    if (rs.status != 200) {
        char d[300];
        cli_http_describe(&rs, d, sizeof d);
        cli_error("the node refused the token: GET %s: %s", url, d);
        rc = (rs.status == 401 || rs.status == 403) ? CLI_EXIT_FAIL : CLI_EXIT_NETWORK;
    }
    cli_http_response_free(&rs);
    return rc;
}

typedef struct login_opts {
    const char *node, *token, *token_file, *sim_root;
    int force, skip_attest;
} login_opts;

const cli_option cli_options_login[] = {
    CLI_OPT_ROW("--node", CLI_OPT_STRING, login_opts, node),
    CLI_OPT_ROW("--token", CLI_OPT_STRING, login_opts, token),
    CLI_OPT_ROW("--token-file", CLI_OPT_STRING, login_opts, token_file),
    CLI_OPT_ROW("--force", CLI_OPT_FLAG, login_opts, force),
    CLI_OPT_ROW("--sim-root", CLI_OPT_STRING, login_opts, sim_root),
    CLI_OPT_ROW("--insecure-skip-attest", CLI_OPT_FLAG, login_opts, skip_attest),
    CLI_OPT_END,
};

int cmd_login(int argc, char **argv)
{
    login_opts o = {0};
    size_t n_pos;
    int prc = cli_parse_options("login", &o, argc, argv, NULL, 0, &n_pos);
    if (prc == 1) fputs(login_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    const char *node = o.node, *token = o.token, *token_file = o.token_file;
    const char *sim_root = o.sim_root;
    int force = o.force, skip_attest = o.skip_attest;
    if (!node) return usage_error("--node URL is required");
    if (token && token_file) return usage_error("give --token or --token-file, not both");
    if (strncmp(node, "http://", 7) && strncmp(node, "https://", 8))
        return usage_error("--node must be an http:// or https:// URL");

    cli_config cfg, old;
    memset(&cfg, 0, sizeof cfg);
    size_t nl = strlen(node);
    while (nl && node[nl - 1] == '/') nl--;
    if (nl >= sizeof cfg.node) return usage_error("--node URL too long");
    memcpy(cfg.node, node, nl);

    char tokbuf[256] = "";
    if (token_file) {
        uint8_t *data;
        size_t len;
        esgx_err err;
        if (cli_read_file(token_file, 4096, &data, &len, &err)) {
            cli_error("%s", err.msg);
            return CLI_EXIT_FAIL;
        }
        while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
            len--;
        if (len >= sizeof tokbuf) {
            esgx_crypto_wipe(data, len);
            free(data);
            cli_error("%s: token too long", token_file);
            return CLI_EXIT_FAIL;
        }
        memcpy(tokbuf, data, len);
        tokbuf[len] = 0;
        esgx_crypto_wipe(data, len);
        free(data);
        token = tokbuf;
    }
    if (token && strlen(token) >= sizeof cfg.token) return usage_error("token too long");
    for (const char *p = token; p && *p; p++)
        if (*p <= ' ' || *p == 127) return usage_error("the token contains spaces or "
                                                       "control characters");

    uint8_t key[33];
    int rc = fetch_network_key(cfg.node, sim_root, skip_attest, key, cfg.xpub,
                               sizeof cfg.xpub);
    if (rc) goto out;
    esgx_crypto_hex_encode(key, 33, cfg.network_key);
    /* the sim root this login trusted: esgx nodes --verify trusts it too */
    if (sim_root && !realpath(sim_root, cfg.sim_root)) {
        cli_error("--sim-root %s: %s", sim_root, strerror(errno));
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    if (token && token[0]) {
        rc = check_token(cfg.node, token);
        if (rc) goto out;
        snprintf(cfg.token, sizeof cfg.token, "%s", token);
    }

    esgx_err err;
    int lr = cli_config_load(&old, &err);
    if (lr && lr != CLI_CONFIG_MISSING) {
        cli_error("%s (fix or remove it)", err.msg);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    if (!lr && !strcmp(old.node, cfg.node) && old.network_key[0] &&
        strcmp(old.network_key, cfg.network_key) && !force) {
        cli_error("the network key of %s changed: pinned %s, the node now reports %s; "
                  "run again with --force only if you know why", cfg.node, old.network_key,
                  cfg.network_key);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    /* a login without a token to the same node keeps the stored token */
    if (!token && !lr && !strcmp(old.node, cfg.node))
        memcpy(cfg.token, old.token, sizeof cfg.token);
    if (cli_config_save(&cfg, &err)) {
        cli_error("%s", err.msg);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    char path[4200];
    cli_config_path(path, sizeof path, NULL);
    printf("logged in to %s\n", cfg.node);
    printf("network key %s (pinned)\n", cfg.network_key);
    printf("token %s\n", cfg.token[0] ? "accepted" : "none (deploy, list and delete need one)");
    printf("config %s\n", path);
    /* the developer key that will sign the names deployed from here (cli_names.c) */
    uint8_t sk[32], pk[33];
    int made;
    if (cli_devkey_ensure(sk, pk, &made, &err)) {
        cli_error("%s", err.msg);
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    esgx_crypto_wipe(sk, sizeof sk);
    char pkhex[67], kpath[4200];
    esgx_crypto_hex_encode(pk, 33, pkhex);
    cli_devkey_path(kpath, sizeof kpath, NULL);
    printf("developer key %s (%s%s)\n", pkhex, kpath,
           made ? ", made now: it signs your function names; back it up" : "");
out:
    esgx_crypto_wipe(&old, sizeof old);
    esgx_crypto_wipe(&cfg, sizeof cfg);
    esgx_crypto_wipe(tokbuf, sizeof tokbuf);
    return rc;
}
