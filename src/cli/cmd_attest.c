/*
 * cmd_attest.c: `esgx attest`: offline verification of an SGX DCAP quote with its
 * collateral (lib/attest), then the verifier's policy (accepted TCB statuses,
 * MRENCLAVE allowlist, debug enclaves). Exit 0 only when the quote is trusted under
 * the policy. A hidden `--bench N` (a hidden row of the option table: parsed, never
 * completed or listed) times N verifications and prints the median.
 *
 * `esgx attest NODE_URL` fetches the node's attestation document (GET /attestation)
 * and verifies it (cli_attest_node, also used by `esgx login`): the quote with the
 * collateral the node sent (its exact bytes: the tcbInfo/enclaveIdentity signatures
 * cover their raw text, so the member is cut out of the answer, never re-encoded), the
 * policy, and the binding of the network key: report data bytes 0..31 must be SHA-256
 * of the xpub text and public_key the xpub's key.
 */
#include "cli.h"
#include "cli_attest.h"
#include "cli_node.h"
#include "esgx_attest.h"
#include "esgx_crypto.h"

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* Prints a verdict object (with error, code and exit when why is set) and frees it. */
static void print_verdict_json(json_t *o, const char *why)
{
    if (why) {
        json_object_set_new(o, "error", json_string(why));
        json_object_set_new(o, "code", json_string("not_trusted"));
        json_object_set_new(o, "exit", json_integer(CLI_EXIT_FAIL));
    }
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        printf("%s\n", s);
        cli_json_printed();
    }
    free(s);
    json_decref(o);
}

static void attest_usage(FILE *f)
{
    fprintf(f,
            "usage: esgx attest --quote FILE --collateral FILE [options]\n"
            "       esgx attest NODE_URL [--sim-root PEM] [--mrenclave HEX] [--json]\n\n"
            "Verifies an SGX DCAP quote offline against its collateral. With NODE_URL:\n"
            "fetches NODE_URL/attestation, verifies its quote with the collateral it\n"
            "carries, checks that the quote's report data binds the node's xpub, and\n"
            "prints MRENCLAVE, MRSIGNER, TCB status and the network key.\n\n"
            "  --quote FILE            the quote (binary)\n"
            "  --collateral FILE       collateral JSON (Intel sgx_ql_qve_collateral_t fields)\n"
            "  --at UNIX_SECONDS       verify at this time (default: now)\n"
            "  --mrenclave HEX         accept only this MRENCLAVE (repeatable)\n"
            "  --allow-debug           accept debug enclaves\n"
            "  --accept-status LIST    accepted TCB statuses, comma-separated\n"
            "                          (default UpToDate,SWHardeningNeeded)\n"
            "  --sim-root PEM          trust this root instead of the Intel SGX Root CA\n"
            "  --json                  machine-readable output\n"
            "exit: 0 trusted, 1 not trusted or invalid, 2 usage\n");
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? ESGX_CLI_E_FAILED : x > y;
}

/* Verifies n times without a cache, then n times with one (esgx_attest_quote_verify_cached:
 * the first of those parses, the rest reuse the parsed collateral). */
static int bench(const uint8_t *q, size_t ql, const char *c, size_t cl, int64_t at,
                 const char *root, long n)
{
    double *t = calloc((size_t)n, sizeof *t);
    esgx_attest_collateral_cache *cache = NULL;
    if (!t || esgx_attest_collateral_cache_new(4, &cache, NULL) != 0) {
        free(t);
        return CLI_EXIT_FAIL;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (long i = 0; i < n; i++) {
            double s = now_us();
            esgx_attest_result r;
            if (esgx_attest_quote_verify_cached(pass ? cache : NULL, q, ql, c, cl, at, root, &r,
                                                NULL) != 0) {
                cli_error("attest --bench: the quote does not verify (run without --bench)");
                free(t);
                esgx_attest_collateral_cache_free(cache);
                return CLI_EXIT_FAIL;
            }
            t[i] = now_us() - s;
        }
        double first = t[0];
        qsort(t, (size_t)n, sizeof *t, cmp_double);
        if (!pass)
            printf("verifications: %ld\nmedian_us: %.1f\nmin_us: %.1f\np90_us: %.1f\n", n,
                   t[n / 2], t[0], t[(size_t)(n * 9 / 10)]);
        else
            printf("cached_first_us: %.1f\ncached_median_us: %.1f\ncached_min_us: %.1f\n"
                   "cached_p90_us: %.1f\n", first, t[n / 2], t[0], t[(size_t)(n * 9 / 10)]);
    }
    free(t);
    esgx_attest_collateral_cache_free(cache);
    return CLI_EXIT_OK;
}

static void hex(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void print_result(const esgx_attest_result *r, int verified, int trusted, const char *why,
                         int json)
{
    char mre[65], mrs[65], attr[33], rd[129], fmspc[13];
    hex(r->body.mrenclave, 32, mre);
    hex(r->body.mrsigner, 32, mrs);
    hex(r->body.attributes, 16, attr);
    hex(r->body.report_data, 64, rd);
    hex(r->fmspc, 6, fmspc);
    if (json) {
        json_t *o = json_object(), *adv = json_array();
        for (size_t i = 0; i < r->advisory_count; i++)
            json_array_append_new(adv, json_string(r->advisory_ids[i]));
        json_object_set_new(o, "trusted", json_boolean(trusted));
        json_object_set_new(o, "verified", json_boolean(verified));
        json_object_set_new(o, "tcb_status", verified ? json_string(r->tcb_status) : json_null());
        json_object_set_new(o, "platform_tcb_status",
                            verified ? json_string(r->platform_status) : json_null());
        json_object_set_new(o, "qe_tcb_status", verified ? json_string(r->qe_status) : json_null());
        json_object_set_new(o, "advisory_ids", adv);
        json_object_set_new(o, "quote_version", json_integer(r->version));
        json_object_set_new(o, "mrenclave", json_string(mre));
        json_object_set_new(o, "mrsigner", json_string(mrs));
        json_object_set_new(o, "isvprodid", json_integer(r->body.isvprodid));
        json_object_set_new(o, "isvsvn", json_integer(r->body.isvsvn));
        json_object_set_new(o, "attributes", json_string(attr));
        json_object_set_new(o, "debug", json_boolean(r->debug));
        json_object_set_new(o, "report_data", json_string(rd));
        if (verified)
            json_object_set_new(o, "fmspc", json_string(fmspc));
        print_verdict_json(o, why);
        return;
    }
    printf("verdict:      %s\n", trusted ? "trusted" : "NOT trusted");
    if (why)
        printf("reason:       %s\n", why);
    if (verified) {
        printf("tcb_status:   %s (platform %s, QE %s)\n", r->tcb_status, r->platform_status,
               r->qe_status);
        printf("advisories:  ");
        for (size_t i = 0; i < r->advisory_count; i++)
            printf(" %s", r->advisory_ids[i]);
        printf("%s\n", r->advisory_count ? "" : " none");
        printf("fmspc:        %s\n", fmspc);
    }
    if (r->version) {
        printf("mrenclave:    %s\nmrsigner:     %s\n", mre, mrs);
        printf("isvprodid:    %u\nisvsvn:       %u\n", r->body.isvprodid, r->body.isvsvn);
        printf("attributes:   %s\ndebug:        %s\n", attr, r->debug ? "yes" : "no");
        printf("report_data:  %s\n", rd);
    }
}

/* ---------------------------------------------------------------- node documents */

static int doc_fail(cli_attest_doc *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int doc_fail(cli_attest_doc *doc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(doc->why, sizeof doc->why, fmt, ap);
    va_end(ap);
    doc->trusted = 0;
    return CLI_EXIT_FAIL;
}

/* Checks a hex field of the document against 32 bytes from the quote (absent = ok). */
static int doc_field_matches(json_t *j, const char *name, const uint8_t want[32])
{
    const char *h = json_string_value(json_object_get(j, name));
    if (!h)
        return 1;
    uint8_t v[32];
    size_t n = 0;
    return esgx_crypto_hex_decode(h, strlen(h), v, sizeof v, &n, NULL) == 0 && n == 32 &&
           !memcmp(v, want, 32);
}

int cli_attest_node(const char *node_url, const char *sim_root_path, const esgx_attest_policy *pol,
                    cli_attest_doc *doc)
{
    memset(doc, 0, sizeof *doc);
    esgx_attest_policy defpol;
    if (!pol) {
        esgx_attest_policy_default(&defpol);
        pol = &defpol;
    }
    char *root_text = NULL;
    esgx_err e;
    if (sim_root_path) {
        uint8_t *root;
        size_t rl;
        if (cli_read_file(sim_root_path, 1u << 20, &root, &rl, &e)) {
            cli_error("--sim-root: %s", e.msg);
            return CLI_EXIT_USAGE;
        }
        root_text = (char *)root;   /* NUL-terminated by cli_read_file */
    }
    char url[1200];
    if (cli_url(node_url, "/attestation", url, sizeof url)) {
        free(root_text);
        cli_error("node URL too long");
        return CLI_EXIT_USAGE;
    }
    cli_http_request rq = {.method = "GET", .url = url, .max_response = 8u << 20};
    cli_http_response rs;
    if (cli_http(&rq, &rs, &e)) {
        free(root_text);
        cli_error("%s", e.msg);
        return CLI_EXIT_NETWORK;
    }
    int rc = CLI_EXIT_FAIL;
    json_t *j = NULL;
    uint8_t *quote = NULL;
    if (rs.status != 200) {
        char d[300];
        cli_http_describe(&rs, d, sizeof d);
        if (rs.status >= 400 && rs.status < 500) {   /* an answer, a refusal: exit 1 */
            rc = doc_fail(doc, "GET %s: %s", url, d);
            goto out;
        }
        cli_error("GET %s: %s", url, d);
        rc = CLI_EXIT_NETWORK;
        goto out;
    }
    json_error_t je;
    j = json_loadb((const char *)rs.body, rs.len, JSON_REJECT_DUPLICATES, &je);
    if (!j || !json_is_object(j)) {
        rc = doc_fail(doc, "GET %s: the answer is not a JSON attestation document", url);
        goto out;
    }
    const char *platform = json_string_value(json_object_get(j, "platform"));
    snprintf(doc->platform, sizeof doc->platform, "%s", platform ? platform : "?");
    const char *xpub = json_string_value(json_object_get(j, "xpub"));
    const char *pk = json_string_value(json_object_get(j, "public_key"));
    size_t pkn = 0;
    if (!pk || !*pk) {
        rc = doc_fail(doc, "the node has no network key yet (not initialised, or still "
                           "fetching it from its peers)");
        goto out;
    }
    if (esgx_crypto_hex_decode(pk, strlen(pk), doc->public_key, 33, &pkn, NULL) || pkn != 33) {
        rc = doc_fail(doc, "the document's public_key is not a 33-byte hex key");
        goto out;
    }
    if (!xpub || !*xpub) {
        doc->have_key = 1;   /* a bare key: usable only without verification */
        rc = doc_fail(doc, "the document has no xpub, so no quote can bind its key");
        goto out;
    }
    esgx_bip32_key k;
    if (strlen(xpub) >= sizeof doc->xpub || esgx_bip32_key_parse(xpub, strlen(xpub), &k, &e) ||
        k.has_private) {
        esgx_bip32_key_wipe(&k);
        rc = doc_fail(doc, "the document's xpub is not an extended public key");
        goto out;
    }
    if (memcmp(doc->public_key, k.public_key, 33)) {
        rc = doc_fail(doc, "the document's public_key is not the key of its xpub");
        goto out;
    }
    snprintf(doc->xpub, sizeof doc->xpub, "%s", xpub);
    doc->have_key = 1;
    const char *qhex = json_string_value(json_object_get(j, "quote"));
    if (!qhex || !*qhex) {
        const char *why = json_string_value(json_object_get(j, "quote_error"));
        rc = doc_fail(doc, "the node sent no quote%s%s (a sim node needs esgxd --sim-bundle "
                           "DIR to attest)", why ? ": " : "", why ? why : "");
        goto out;
    }
    size_t qcap = strlen(qhex) / 2 + 1, qlen = 0;
    quote = malloc(qcap);
    if (!quote || esgx_crypto_hex_decode(qhex, strlen(qhex), quote, qcap, &qlen, NULL)) {
        rc = doc_fail(doc, "the document's quote is not hex");
        goto out;
    }
    doc->have_quote = 1;
    size_t cs, ce;
    if (!json_is_object(json_object_get(j, "collateral")) ||
        esgx_json_member_span((const char *)rs.body, rs.len, "collateral", &cs, &ce, NULL)) {
        rc = doc_fail(doc, "the document carries no collateral object");
        goto out;
    }
    int vrc = esgx_attest_quote_verify(quote, qlen, (const char *)rs.body + cs, ce - cs,
                                  (int64_t)time(NULL), root_text, &doc->result, &e);
    if (vrc) {
        doc->quote_code = e.code;
        rc = doc_fail(doc, "quote: %s", e.msg);
        goto out;
    }
    doc->verified = 1;
    if (esgx_attest_policy_check(&doc->result, pol, &e)) {
        rc = doc_fail(doc, "%s", e.msg);
        goto out;
    }
    uint8_t h[32];
    esgx_crypto_sha256(xpub, strlen(xpub), h);
    if (memcmp(doc->result.body.report_data, h, 32)) {
        rc = doc_fail(doc, "the quote's report data does not bind the xpub (SHA-256 of the "
                           "xpub text expected in bytes 0..31)");
        goto out;
    }
    if (!doc_field_matches(j, "mrenclave", doc->result.body.mrenclave) ||
        !doc_field_matches(j, "mrsigner", doc->result.body.mrsigner)) {
        rc = doc_fail(doc, "the document's mrenclave/mrsigner differ from the quote's");
        goto out;
    }
    doc->trusted = 1;
    rc = CLI_EXIT_OK;
out:
    free(quote);
    json_decref(j);
    cli_http_response_free(&rs);
    free(root_text);
    return rc;
}

void cli_attest_print(const cli_attest_doc *doc)
{
    char mre[65], mrs[65], key[67];
    hex(doc->result.body.mrenclave, 32, mre);
    hex(doc->result.body.mrsigner, 32, mrs);
    hex(doc->public_key, 33, key);
    printf("verdict:      %s\n", doc->trusted ? "trusted" : "NOT trusted");
    if (!doc->trusted)
        printf("reason:       %s\n", doc->why);
    printf("platform:     %s\n", doc->platform);
    if (doc->have_quote && doc->result.version) {
        printf("mrenclave:    %s\n", mre);
        printf("mrsigner:     %s\n", mrs);
    }
    if (doc->verified)
        printf("tcb_status:   %s\n", doc->result.tcb_status);
    if (doc->have_key) {
        printf("network_key:  %s\n", key);
        printf("xpub:         %s\n", doc->xpub);
    }
}

void cli_attest_root_hint(const char *root_path, int chain_failed)
{
    if (!chain_failed)
        return;
    if (!root_path)
        cli_hint("the quote does not chain to the Intel SGX root; for a sim network pass "
                 "--sim-root BUNDLE/sim_root.pem (esgx sim init, esgxd --sim-bundle)");
    else
        cli_hint("the quote does not chain to the sim root %s: the node runs with another "
                 "sim bundle (trust the sim_root.pem of the folder given to its esgxd "
                 "--sim-bundle) or is no sim node", root_path);
}

int cli_attest_chain_failed(const cli_attest_doc *doc)
{
    return doc->quote_code == ESGX_ATTEST_E_CERT ||
           (!strcmp(doc->platform, "sim") && doc->have_quote && !doc->verified);
}

static int attest_node_cmd(const char *node, const char *root_path, const esgx_attest_policy *pol,
                           int json)
{
    cli_attest_doc doc;
    int rc = cli_attest_node(node, root_path, pol, &doc);
    if (rc == CLI_EXIT_USAGE || rc == CLI_EXIT_NETWORK)
        return rc;
    if (json) {
        char mre[65], mrs[65], key[67];
        hex(doc.result.body.mrenclave, 32, mre);
        hex(doc.result.body.mrsigner, 32, mrs);
        hex(doc.public_key, 33, key);
        json_t *o = json_object();
        json_object_set_new(o, "trusted", json_boolean(doc.trusted));
        json_object_set_new(o, "verified", json_boolean(doc.verified));
        json_object_set_new(o, "platform", json_string(doc.platform));
        json_object_set_new(o, "mrenclave", doc.have_quote ? json_string(mre) : json_null());
        json_object_set_new(o, "mrsigner", doc.have_quote ? json_string(mrs) : json_null());
        json_object_set_new(o, "tcb_status",
                            doc.verified ? json_string(doc.result.tcb_status) : json_null());
        json_object_set_new(o, "network_key", doc.have_key ? json_string(key) : json_null());
        json_object_set_new(o, "xpub", doc.have_key ? json_string(doc.xpub) : json_null());
        print_verdict_json(o, doc.trusted ? NULL : doc.why);
    } else {
        cli_attest_print(&doc);
    }
    if (!doc.trusted) {
        cli_error_code("not_trusted");
        cli_error("attest %s: NOT trusted: %s", node, doc.why);
        cli_attest_root_hint(root_path, cli_attest_chain_failed(&doc));
    }
    return doc.trusted ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

typedef struct attest_opts {
    const char *quote, *collateral, *sim_root;
    uint64_t at, bench;
    cli_list mrenclave, statuses;
    int allow_debug, json;
} attest_opts;

const cli_option cli_options_attest[] = {
    CLI_OPT_ROW("--quote", CLI_OPT_STRING, attest_opts, quote),
    CLI_OPT_ROW("--collateral", CLI_OPT_STRING, attest_opts, collateral),
    {.name = "--at", .kind = CLI_OPT_U64, .offset = offsetof(attest_opts, at),
     .max = INT64_MAX, .wants = "Unix seconds"},
    CLI_OPT_ROW("--mrenclave", CLI_OPT_LIST, attest_opts, mrenclave),
    CLI_OPT_ROW("--allow-debug", CLI_OPT_FLAG, attest_opts, allow_debug),
    CLI_OPT_ROW("--accept-status", CLI_OPT_LIST, attest_opts, statuses),
    CLI_OPT_ROW("--sim-root", CLI_OPT_STRING, attest_opts, sim_root),
    CLI_OPT_ROW("--json", CLI_OPT_FLAG, attest_opts, json),
    {.name = "--bench", .kind = CLI_OPT_U64, .offset = offsetof(attest_opts, bench),
     .min = 1, .max = 1000000, .hidden = 1},
    CLI_OPT_END,
};

int cmd_attest(int argc, char **argv)
{
    attest_opts o = {.at = (uint64_t)time(NULL)};
    const char *node = NULL;
    size_t n_pos;
    int prc = cli_parse_options("attest", &o, argc, argv, &node, 1, &n_pos);
    if (prc == 1) attest_usage(stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    const char *quote_path = o.quote, *coll_path = o.collateral, *root_path = o.sim_root;
    int json = o.json;
    long bench_n = (long)o.bench;
    int64_t at = (int64_t)o.at;
    esgx_attest_policy pol;
    esgx_err e;
    esgx_attest_policy_default(&pol);
    pol.allow_debug = o.allow_debug;
    for (size_t i = 0; i < o.mrenclave.n; i++)
        if (esgx_attest_policy_add_mrenclave(&pol, o.mrenclave.v[i], &e))
            return cli_usage_error("attest", "%s", e.msg);
    for (size_t i = 0; i < o.statuses.n; i++)
        if (esgx_attest_policy_add_statuses(&pol, o.statuses.v[i], &e))
            return cli_usage_error("attest", "%s", e.msg);
    if (node && !quote_path && !coll_path) {
        if (strncmp(node, "http://", 7) && strncmp(node, "https://", 8))
            return cli_usage_error("attest", "NODE must be an http:// or https:// URL");
        return attest_node_cmd(node, root_path, &pol, json);
    }
    if (node)
        return cli_usage_error("attest", "give NODE_URL or --quote/--collateral, not both");
    if (!quote_path || !coll_path)
        return cli_usage_error("attest", "--quote and --collateral are required");
    uint8_t *quote = NULL, *coll = NULL, *root = NULL;
    size_t ql, cl, rl;
    int rc = CLI_EXIT_FAIL;
    if (cli_read_file(quote_path, ESGX_ATTEST_MAX_QUOTE_LEN, &quote, &ql, &e) ||
        cli_read_file(coll_path, 4u << 20, &coll, &cl, &e) ||
        (root_path && cli_read_file(root_path, 1u << 20, &root, &rl, &e))) {
        cli_error("attest: %s", e.msg);
        goto out;
    }
    const char *root_text = (const char *)root;   /* NUL-terminated by cli_read_file */
    if (bench_n > 0) {
        rc = bench(quote, ql, (const char *)coll, cl, at, root_text, bench_n);
        goto out;
    }
    esgx_attest_result r;
    int vrc = esgx_attest_quote_verify(quote, ql, (const char *)coll, cl, at, root_text, &r, &e);
    int trusted = 0;
    char why[ESGX_ERR_MSG_MAX + 16];
    if (vrc) {
        snprintf(why, sizeof why, "%s", e.msg);
    } else if (esgx_attest_policy_check(&r, &pol, &e)) {
        snprintf(why, sizeof why, "%s", e.msg);
    } else {
        trusted = 1;
        why[0] = 0;
    }
    print_result(&r, vrc == 0, trusted, trusted ? NULL : why, json);
    if (!trusted && !json) {
        cli_error_code("not_trusted");
        cli_error("attest: not trusted: %s", why);
    }
    if (!trusted) cli_attest_root_hint(root_path, vrc && e.code == ESGX_ATTEST_E_CERT);
    rc = trusted ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
    free(quote);
    free(coll);
    free(root);
    return rc;
}
