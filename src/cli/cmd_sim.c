/*
 * cmd_sim.c: `esgx sim`: the simulation provisioning bundle (lib/attest sim.c).
 *   esgx sim init DIR            make a bundle (root CA, PCK, TCB signer, collateral)
 *   esgx sim quote --bundle DIR  make a sim quote for given report fields
 * Sim quotes verify only when the bundle's sim_root.pem is trusted explicitly.
 */
#include "cli.h"
#include "esgx_attest.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sim_usage(FILE *f)
{
    fprintf(f,
            "usage: esgx sim init DIR\n"
            "       esgx sim quote --bundle DIR [--mrenclave HEX] [--mrsigner HEX]\n"
            "                      [--report-data HEX] [--isvprodid N] [--isvsvn N]\n"
            "                      [--debug] [--out FILE]\n\n"
            "init:  makes a simulation provisioning bundle in DIR: sim_root.pem (the trust\n"
            "       anchor verifiers must be given), collateral.json, pck_chain.pem and the\n"
            "       private keys (mode 0600). Refuses to overwrite an existing bundle.\n"
            "quote: writes a v3 DCAP quote signed with the bundle's keys (default stdout).\n");
}

static int hexarg(const char *hex, uint8_t *out, size_t n, const char *what)
{
    size_t len = strlen(hex);
    if (len > 2 * n || len % 2) {
        cli_error("sim: %s wants at most %zu hex characters", what, 2 * n);
        return ESGX_CLI_E_FAILED;
    }
    memset(out, 0, n);
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            cli_error("sim: %s: bad hex", what);
            return ESGX_CLI_E_FAILED;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

typedef struct sim_quote_opts {
    const char *bundle, *out, *mrenclave, *mrsigner, *report_data;
    uint64_t isvprodid, isvsvn;
    int debug;
} sim_quote_opts;

const cli_option cli_options_sim_quote[] = {
    CLI_OPT_ROW("--bundle", CLI_OPT_STRING, sim_quote_opts, bundle),
    CLI_OPT_ROW("--out", CLI_OPT_STRING, sim_quote_opts, out),
    CLI_OPT_ROW("--mrenclave", CLI_OPT_STRING, sim_quote_opts, mrenclave),
    CLI_OPT_ROW("--mrsigner", CLI_OPT_STRING, sim_quote_opts, mrsigner),
    CLI_OPT_ROW("--report-data", CLI_OPT_STRING, sim_quote_opts, report_data),
    {.name = "--isvprodid", .kind = CLI_OPT_U64, .offset = offsetof(sim_quote_opts, isvprodid),
     .max = UINT16_MAX},
    {.name = "--isvsvn", .kind = CLI_OPT_U64, .offset = offsetof(sim_quote_opts, isvsvn),
     .max = UINT16_MAX},
    CLI_OPT_ROW("--debug", CLI_OPT_FLAG, sim_quote_opts, debug),
    CLI_OPT_END,
};

/* sim init takes DIR and no option. */
const cli_option cli_options_sim_init[] = {CLI_OPT_END};

static int sim_quote(int argc, char **argv)
{
    sim_quote_opts o = {.out = "-"};
    size_t n_pos;
    int rc = cli_parse_options("sim quote", &o, argc, argv, NULL, 0, &n_pos);
    if (rc == 1) sim_usage(stdout);
    if (rc == 1) return CLI_EXIT_OK;
    if (rc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    esgx_attest_report_body body;
    memset(&body, 0, sizeof body);
    body.attributes[0] = ESGX_ATTEST_ATTR_INIT | ESGX_ATTEST_ATTR_MODE64BIT;
    body.attributes[8] = 0x03;   /* XFRM: x87 + SSE */
    if (o.debug) body.attributes[0] |= ESGX_ATTEST_ATTR_DEBUG;
    body.isvprodid = (uint16_t)o.isvprodid;
    body.isvsvn = (uint16_t)o.isvsvn;
    if ((o.mrenclave && hexarg(o.mrenclave, body.mrenclave, 32, "--mrenclave")) ||
        (o.mrsigner && hexarg(o.mrsigner, body.mrsigner, 32, "--mrsigner")) ||
        (o.report_data && hexarg(o.report_data, body.report_data, 64, "--report-data")))
        return cli_usage_error("sim quote", NULL);
    const char *dir = o.bundle, *out = o.out;
    if (!dir) return cli_usage_error("sim quote", "--bundle DIR is required");
    esgx_attest_sim_bundle *b;
    esgx_err e;
    uint8_t *q;
    size_t ql;
    if (esgx_attest_sim_load(dir, &b, &e) || esgx_attest_sim_quote(b, &body, &q, &ql, &e)) {
        cli_error("sim quote: %s", e.msg);
        return CLI_EXIT_FAIL;
    }
    esgx_attest_sim_free(b);
    rc = cli_write_file(out, q, ql, 0644, &e);
    free(q);
    if (rc) {
        cli_error("sim quote: %s", e.msg);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

static int sim_init(int argc, char **argv)
{
    const char *dir = NULL;
    size_t n_pos;
    int rc = cli_parse_options("sim init", NULL, argc, argv, &dir, 1, &n_pos);
    if (rc == 1) sim_usage(stdout);
    if (rc == 1) return CLI_EXIT_OK;
    if (rc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    if (!dir) return cli_usage_error("sim init", "DIR is required");
    esgx_err e;
    if (esgx_attest_sim_init(dir, (int64_t)time(NULL), &e)) {
        cli_error("sim init: %s", e.msg);
        return CLI_EXIT_FAIL;
    }
    printf("sim bundle written to %s (trust anchor: %s/sim_root.pem)\n", dir, dir);
    return CLI_EXIT_OK;
}

int cmd_sim(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error("sim", "give a subcommand: init or quote");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        sim_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "init")) return sim_init(argc - 1, argv + 1);
    if (!strcmp(argv[1], "quote")) return sim_quote(argc - 1, argv + 1);
    return cli_unknown_subcommand("sim", "subcommand", argv[1]);
}
