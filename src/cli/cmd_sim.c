/*
 * cmd_sim.c: `esgx sim`: the simulation provisioning bundle (lib/attest sim.c).
 *   esgx sim init DIR            make a bundle (root CA, PCK, TCB signer, collateral)
 *   esgx sim quote --bundle DIR  make a sim quote for given report fields
 * Sim quotes verify only when the bundle's sim_root.pem is trusted explicitly.
 */
#include "cli.h"
#include "esgx_attest.h"

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

static int sim_quote(int argc, char **argv)
{
    const char *dir = NULL, *out = "-";
    esgx_attest_report_body body;
    memset(&body, 0, sizeof body);
    body.attributes[0] = ESGX_ATTEST_ATTR_INIT | ESGX_ATTEST_ATTR_MODE64BIT;
    body.attributes[8] = 0x03;   /* XFRM: x87 + SSE */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            sim_usage(stdout);
            return CLI_EXIT_OK;
        }
        if (!strcmp(a, "--bundle") && more)
            dir = argv[++i];
        else if (!strcmp(a, "--out") && more)
            out = argv[++i];
        else if (!strcmp(a, "--mrenclave") && more) {
            if (hexarg(argv[++i], body.mrenclave, 32, "--mrenclave"))
                return cli_usage_error("sim quote", NULL);
        } else if (!strcmp(a, "--mrsigner") && more) {
            if (hexarg(argv[++i], body.mrsigner, 32, "--mrsigner"))
                return cli_usage_error("sim quote", NULL);
        } else if (!strcmp(a, "--report-data") && more) {
            if (hexarg(argv[++i], body.report_data, 64, "--report-data"))
                return cli_usage_error("sim quote", NULL);
        } else if ((!strcmp(a, "--isvprodid") || !strcmp(a, "--isvsvn")) && more) {
            uint64_t v;
            esgx_err e;
            if (esgx_parse_u64(argv[++i], 0, UINT16_MAX, 0, &v, &e))
                return cli_usage_error("sim quote", "%s: %s", a, e.msg);
            if (!strcmp(a, "--isvprodid")) body.isvprodid = (uint16_t)v;
            else body.isvsvn = (uint16_t)v;
        } else if (!strcmp(a, "--debug"))
            body.attributes[0] |= ESGX_ATTEST_ATTR_DEBUG;
        else if (!more && cli_words_has(cli_spec_find("sim quote")->options, a))
            return cli_usage_error("sim quote", "%s needs a value", a);
        else
            return cli_unknown_option("sim quote", a);
    }
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
    int rc = cli_write_file(out, q, ql, 0644, &e);
    free(q);
    if (rc) {
        cli_error("sim quote: %s", e.msg);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

int cmd_sim(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error("sim", "give a subcommand: init or quote");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        sim_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "init")) {
        if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            sim_usage(stdout);
            return CLI_EXIT_OK;
        }
        if (argc < 3) return cli_usage_error("sim init", "DIR is required");
        if (argv[2][0] == '-') return cli_unknown_option("sim init", argv[2]);
        if (argc > 3) return cli_unknown_option("sim init", argv[3]);
        esgx_err e;
        if (esgx_attest_sim_init(argv[2], (int64_t)time(NULL), &e)) {
            cli_error("sim init: %s", e.msg);
            return CLI_EXIT_FAIL;
        }
        printf("sim bundle written to %s (trust anchor: %s/sim_root.pem)\n", argv[2], argv[2]);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "quote"))
        return sim_quote(argc - 1, argv + 1);
    return cli_unknown_subcommand("sim", "subcommand", argv[1]);
}
