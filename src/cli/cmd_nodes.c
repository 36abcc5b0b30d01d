/*
 * cmd_nodes.c: `esgx nodes [--verify [--sim-root PEM]] [--json]`, the members of the
 * network the CLI is logged in to (GET /nodes on that node, docs/network.md).
 *
 * With --verify every member that is up is attested on its own (its GET /attestation,
 * through cli_attest_node: quote, collateral, policy, report data bound to the xpub)
 * and its network key is compared with the key pinned at login: one network, one key.
 * Exit 0 when every live member verified and serves the pinned key, 1 otherwise.
 *
 * The table starts with one line naming the network key (what other nodes must be given
 * as esgxd --network-key): the public key and xpub the logged-in node serves at GET
 * /attestation, compared with the key pinned at login. --json prints the list only.
 *
 * --verify trusts the sim root given to it, else the one login trusted (the config's
 * sim_root), else Intel's. A node alone (no etcd) lists itself with no id or URL: its
 * URL is the one logged in to. A record is what a node announced, possibly before its
 * enclave had the key (KEY no, no MRENCLAVE for a moment after a join); a member that
 * verified shows what its attestation proved instead, so a row never says KEY no and
 * VERIFIED yes at once.
 */
#include "cli.h"
#include "cli_attest.h"
#include "cli_node.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char nodes_usage[] =
    "usage: esgx nodes [--verify [--sim-root PEM]] [--json]\n"
    "  The members of the network of the logged-in node: ID, URL, STATE (up/down),\n"
    "  KEY (whether its enclave holds the network key) and MRENCLAVE, after a line\n"
    "  naming the network key (pass it to new nodes as esgxd --network-key).\n"
    "  --verify         attest each live member (GET /attestation) and check that it\n"
    "                   serves the network key pinned at login\n"
    "  --sim-root PEM   trust this sim root (esgx sim init) instead of the Intel root\n"
    "  --json           print the list (with \"verified\" per member under --verify)\n"
    "exit: 0 listed (and all verified), 1 a member failed verification, 2 usage,\n"
    "      3 network error\n";

/* Attests one member; fills "verified" and "why" in m. Returns 1 when it holds. */
static int verify_member(json_t *m, const cli_config *cfg, const char *sim_root)
{
    const char *url = json_string_value(json_object_get(m, "url"));
    if ((!url || !*url) && json_is_true(json_object_get(m, "self")))
        url = cfg->node;   /* a node alone: the node logged in to */
    if (!url || !*url) {
        json_object_set_new(m, "why", json_string("no URL in its record"));
        json_object_set_new(m, "verified", json_false());
        return 0;
    }
    cli_attest_doc doc;
    int rc = cli_attest_node(url, sim_root, NULL, &doc);
    char key[67] = "";
    if (doc.have_key) {
        for (int i = 0; i < 33; i++) snprintf(key + 2 * i, 3, "%02x", doc.public_key[i]);
    }
    const char *why = rc == CLI_EXIT_OK ? NULL : doc.why[0] ? doc.why : "attestation failed";
    if (!why && strcmp(key, cfg->network_key))
        why = "it serves another network key than the one pinned at login";
    json_object_set_new(m, "verified", json_boolean(!why));
    if (why) json_object_set_new(m, "why", json_string(why));
    if (!why) {   /* what the attestation proved, over what the record announced */
        char mre[65];
        for (int i = 0; i < 32; i++) snprintf(mre + 2 * i, 3, "%02x", doc.result.body.mrenclave[i]);
        json_object_set_new(m, "mrenclave", json_string(mre));
        json_object_set_new(m, "has_key", json_true());
    }
    if (why && cli_attest_chain_failed(&doc)) {
        char hint[700];
        snprintf(hint, sizeof hint, "%.280s (trusting %.400s)", why,
                 sim_root ? sim_root : "the Intel SGX root; a sim network needs --sim-root");
        json_object_set_new(m, "why", json_string(hint));
    }
    return !why;
}

/* The first line of the table: the network key (see the design note). */
static void print_network_key(const cli_config *cfg)
{
    char url[1200], why[300] = "";
    const char *xpub = NULL, *key = NULL;
    json_t *doc = NULL;
    cli_http_response rs = {0};
    esgx_err err;
    if (cli_url(cfg->node, "/attestation", url, sizeof url) == 0) {
        cli_http_request rq = {.method = "GET", .url = url};
        if (cli_http(&rq, &rs, &err) != 0) {
            snprintf(why, sizeof why, "%s", err.msg);
        } else if (rs.status != 200) {
            cli_http_describe(&rs, why, sizeof why);
        } else {
            doc = json_loadb((const char *)rs.body, rs.len, 0, NULL);
            xpub = json_string_value(json_object_get(doc, "xpub"));
            key = json_string_value(json_object_get(doc, "public_key"));
            if (!key || strlen(key) != 66 || !xpub || !*xpub) {
                snprintf(why, sizeof why, "the node has no network key yet");
                key = xpub = NULL;
            }
        }
    }
    if (key) {
        int pinned = !strcmp(key, cfg->network_key);
        printf("network key: %s (xpub %s)%s%s\n", key, xpub,
               pinned ? ", pinned at login" : cfg->network_key[0] ? ", NOT the key pinned at login: "
                                                                  : "",
               pinned ? "" : cfg->network_key);
    } else if (cfg->network_key[0]) {
        printf("network key: %s (pinned at login; %s)\n", cfg->network_key, why);
    } else {
        printf("network key: unknown (%s)\n", why);
    }
    json_decref(doc);
    cli_http_response_free(&rs);
}

static void print_table(json_t *list, int verify, const cli_config *cfg)
{
    printf("%-34s %-28s %-5s %-4s %-16s%s\n", "ID", "URL", "STATE", "KEY", "MRENCLAVE",
           verify ? " VERIFIED" : "");
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        const char *id = json_string_value(json_object_get(m, "id"));
        const char *url = json_string_value(json_object_get(m, "url"));
        const char *st = json_string_value(json_object_get(m, "state"));
        const char *mre = json_string_value(json_object_get(m, "mrenclave"));
        int self = json_is_true(json_object_get(m, "self"));
        if (self && (!url || !*url)) url = cfg->node;   /* a node alone */
        if (self && (!id || !*id)) id = "(standalone)";
        printf("%-34s %-28s %-5s %-4s %-16.16s", id ? id : "?", url ? url : "-", st ? st : "?",
               json_is_true(json_object_get(m, "has_key")) ? "yes" : "no",
               mre && *mre ? mre : "-");
        if (verify) {
            json_t *v = json_object_get(m, "verified");
            const char *why = json_string_value(json_object_get(m, "why"));
            printf(" %s%s%s", !v ? "-" : json_is_true(v) ? "yes" : "NO", why ? ": " : "",
                   why ? why : "");
        }
        printf("%s\n", self ? "  (this node)" : "");
    }
}

typedef struct nodes_opts {
    const char *sim_root;
    int verify, json;
} nodes_opts;

const cli_option cli_options_nodes[] = {
    CLI_OPT_ROW("--verify", CLI_OPT_FLAG, nodes_opts, verify),
    CLI_OPT_ROW("--sim-root", CLI_OPT_STRING, nodes_opts, sim_root),
    CLI_OPT_ROW("--json", CLI_OPT_FLAG, nodes_opts, json),
    CLI_OPT_END,
};

int cmd_nodes(int argc, char **argv)
{
    nodes_opts o = {0};
    size_t n_pos;
    int prc = cli_parse_options("nodes", &o, argc, argv, NULL, 0, &n_pos);
    if (prc == 1) fputs(nodes_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    int verify = o.verify, as_json = o.json;
    const char *sim_root = o.sim_root;
    cli_config cfg;
    if (cli_config_require(&cfg, verify)) return CLI_EXIT_FAIL;
    if (!sim_root && cfg.sim_root[0]) sim_root = cfg.sim_root;   /* the root login trusted */
    char url[1200];
    if (cli_url(cfg.node, "/nodes", url, sizeof url)) {
        cli_error("URL too long");
        return CLI_EXIT_FAIL;
    }
    cli_http_request rq = {.method = "GET", .url = url};
    cli_http_response rs;
    esgx_err err;
    if (cli_http(&rq, &rs, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_NETWORK;
    }
    json_t *list = rs.status == 200 ? json_loadb((const char *)rs.body, rs.len, 0, NULL) : NULL;
    if (!json_is_array(list)) {
        char d[300];
        cli_http_describe(&rs, d, sizeof d);
        cli_error("GET %s: %s", url, rs.status == 200 ? "not a JSON list" : d);
        cli_http_response_free(&rs);
        json_decref(list);
        return CLI_EXIT_NETWORK;
    }
    cli_http_response_free(&rs);
    int bad = 0;
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        const char *st = json_string_value(json_object_get(m, "state"));
        if (verify && st && !strcmp(st, "up")) bad += !verify_member(m, &cfg, sim_root);
    }
    if (as_json) {
        char *t = json_dumps(list, JSON_COMPACT);
        if (t) puts(t);
        if (t) cli_json_printed();   /* the list says which member failed */
        free(t);
    } else {
        print_network_key(&cfg);
        print_table(list, verify, &cfg);
    }
    json_decref(list);
    if (verify && bad) cli_error("%d member(s) failed verification", bad);
    return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
