/*
 * cli_attest.h: verifying a node's attestation document (GET /attestation), shared by
 * `esgx attest NODE` and `esgx login` (defined in cmd_attest.c).
 *
 * The document (docs/http-api.md and docs/protocols.md) is JSON with platform,
 * mrenclave, mrsigner, xpub, public_key (33 bytes hex), quote (hex) and collateral (a
 * JSON object, Intel's sgx_ql_qve_collateral_t fields). It is trusted when, at the
 * current time:
 *   1. the quote verifies with that collateral up to the trusted root (the Intel SGX
 *      Root CA, or the sim root given with --sim-root);
 *   2. the policy accepts it (TCB status, default UpToDate/SWHardeningNeeded; optional
 *      MRENCLAVE allowlist; no debug enclaves);
 *   3. report data bytes 0..31 equal SHA-256 of the xpub text, and public_key is the
 *      xpub's key, so the network key is the one the attested enclave holds;
 *   4. the document's mrenclave/mrsigner fields (if present) match the quote.
 * The collateral is verified from the exact bytes the node sent (its tcbInfo and
 * enclaveIdentity signatures cover their raw text), so the document is never re-encoded.
 */
#ifndef ESGX_CLI_ATTEST_H
#define ESGX_CLI_ATTEST_H

#include <stdint.h>

#include "esgx_attest.h"

typedef struct cli_attest_doc {
    char platform[64];
    char xpub[128];
    uint8_t public_key[33];
    int have_key;              /* xpub and public_key present and consistent */
    int have_quote;
    esgx_attest_result result;      /* the quote's facts, as far as verification got */
    int verified;              /* the quote verified with the collateral */
    int trusted;               /* everything above held */
    int quote_code;            /* the quote verification's error code (0: none) */
    char why[600];             /* why not trusted ("" when trusted) */
} cli_attest_doc;

/* Fetches NODE_URL/attestation and verifies it (see above). sim_root_path: a PEM file
 * to trust instead of the Intel root, or NULL. pol: the policy (NULL = default).
 * Returns a CLI exit status: 0 trusted, 1 not trusted (doc->why says why; doc holds
 * what was read; also a 4xx answer), 2 usage (unreadable --sim-root), 3 network error or
 * a 5xx answer (printed). */
int cli_attest_node(const char *node_url, const char *sim_root_path, const esgx_attest_policy *pol,
                    cli_attest_doc *doc);

/* When a quote's certificate chain does not lead to the trusted root (chain_failed),
 * prints a hint: with root_path NULL (the Intel root was trusted) how a sim network is
 * trusted (--sim-root BUNDLE/sim_root.pem); with root_path that the node's sim bundle is
 * another one. Nothing when !chain_failed. */
void cli_attest_root_hint(const char *root_path, int chain_failed);

/* 1 when doc's quote failed on its certificate chain (the trusted root is not the one
 * it was made under), else 0. */
int cli_attest_chain_failed(const cli_attest_doc *doc);

/* Prints the verified facts: platform, MRENCLAVE, MRSIGNER, TCB status, network key
 * (and the reason when not trusted), human-readable, to stdout. */
void cli_attest_print(const cli_attest_doc *doc);

#endif
