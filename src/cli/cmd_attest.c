/*
 * cmd_attest.c: `esgx attest`: offline verification of an SGX DCAP quote with its
 * collateral (lib/attest), then the verifier's policy (accepted TCB statuses,
 * MRENCLAVE allowlist, debug enclaves). Exit 0 only when the quote is trusted under
 * the policy. Fetching the quote from a node (`esgx attest NODE`) comes later.
 * A hidden `--bench N` times N verifications and prints the median.
 */
#include "cli.h"
#include "esgx_attest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void attest_usage(FILE *f)
{
    fprintf(f,
            "usage: esgx attest --quote FILE --collateral FILE [options]\n"
            "       esgx attest NODE_URL            (not yet)\n\n"
            "Verifies an SGX DCAP quote offline against its collateral.\n\n"
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
    return x < y ? -1 : x > y;
}

static int bench(const uint8_t *q, size_t ql, const char *c, size_t cl, int64_t at,
                 const char *root, long n)
{
    double *t = calloc((size_t)n, sizeof *t);
    if (!t)
        return CLI_EXIT_FAIL;
    for (long i = 0; i < n; i++) {
        double s = now_us();
        attest_result r;
        attest_quote_verify(q, ql, c, cl, at, root, &r, NULL);
        t[i] = now_us() - s;
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("verifications: %ld\nmedian_us: %.1f\nmin_us: %.1f\np90_us: %.1f\n", n,
           t[n / 2], t[0], t[(size_t)(n * 9 / 10)]);
    free(t);
    return CLI_EXIT_OK;
}

static void hex(const uint8_t *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void print_result(const attest_result *r, int verified, int trusted, const char *why,
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
        if (why)
            json_object_set_new(o, "error", json_string(why));
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(o);
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

int cmd_attest(int argc, char **argv)
{
    const char *quote_path = NULL, *coll_path = NULL, *root_path = NULL, *node = NULL;
    int json = 0;
    long bench_n = 0;
    int64_t at = (int64_t)time(NULL);
    attest_policy pol;
    esgx_err e;
    attest_policy_default(&pol);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            attest_usage(stdout);
            return CLI_EXIT_OK;
        } else if (!strcmp(a, "--quote") && more) {
            quote_path = argv[++i];
        } else if (!strcmp(a, "--collateral") && more) {
            coll_path = argv[++i];
        } else if (!strcmp(a, "--sim-root") && more) {
            root_path = argv[++i];
        } else if (!strcmp(a, "--at") && more) {
            char *end;
            at = strtoll(argv[++i], &end, 10);
            if (*end || end == argv[i]) {
                cli_error("attest: --at wants Unix seconds");
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--mrenclave") && more) {
            if (attest_policy_add_mrenclave(&pol, argv[++i], &e)) {
                cli_error("attest: %s", e.msg);
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--accept-status") && more) {
            if (attest_policy_add_statuses(&pol, argv[++i], &e)) {
                cli_error("attest: %s", e.msg);
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--allow-debug")) {
            pol.allow_debug = 1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--bench") && more) {
            bench_n = strtol(argv[++i], NULL, 10);
        } else if (a[0] != '-' && !node) {
            node = a;
        } else {
            cli_error("attest: unknown or incomplete option '%s'", a);
            attest_usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (node && !quote_path) {
        cli_error("attest %s: fetching the attestation from a node is not yet implemented; "
                  "use --quote and --collateral", node);
        return CLI_EXIT_FAIL;
    }
    if (!quote_path || !coll_path) {
        cli_error("attest: --quote and --collateral are required");
        attest_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    uint8_t *quote = NULL, *coll = NULL, *root = NULL;
    size_t ql, cl, rl;
    int rc = CLI_EXIT_FAIL;
    if (cli_read_file(quote_path, ATTEST_MAX_QUOTE_LEN, &quote, &ql, &e) ||
        cli_read_file(coll_path, 4u << 20, &coll, &cl, &e) ||
        (root_path && cli_read_file(root_path, 1u << 20, &root, &rl, &e))) {
        cli_error("attest: %s", e.msg);
        goto out;
    }
    char *root_text = NULL;
    if (root) {
        root_text = calloc(1, rl + 1);
        if (!root_text)
            goto out;
        memcpy(root_text, root, rl);
    }
    if (bench_n > 0) {
        rc = bench(quote, ql, (const char *)coll, cl, at, root_text, bench_n);
        free(root_text);
        goto out;
    }
    attest_result r;
    int vrc = attest_quote_verify(quote, ql, (const char *)coll, cl, at, root_text, &r, &e);
    free(root_text);
    int trusted = 0;
    char why[ESGX_ERR_MSG_MAX + 16];
    if (vrc) {
        snprintf(why, sizeof why, "%s", e.msg);
    } else if (attest_policy_check(&r, &pol, &e)) {
        snprintf(why, sizeof why, "%s", e.msg);
    } else {
        trusted = 1;
        why[0] = 0;
    }
    print_result(&r, vrc == 0, trusted, trusted ? NULL : why, json);
    if (!trusted && !json)
        cli_error("attest: not trusted: %s", why);
    rc = trusted ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
    free(quote);
    free(coll);
    free(root);
    return rc;
}
