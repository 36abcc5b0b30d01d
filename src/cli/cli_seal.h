/*
 * cli_seal.h: sealed calls of `esgx invoke --seal` (cli_seal.c; docs/formats.md "Sealed
 * calls", docs/http-api.md "How to make a sealed call").
 */
#ifndef ESGX_CLI_SEAL_H
#define ESGX_CLI_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "cli_node.h"
#include "esgx_common.h"
#include "esgx_crypto.h"

/* One sealed call on the client side: the keys kept from sealing the input to opening
 * the output, and the opened output. Zero it before use; cli_seal_free wipes it. */
typedef struct cli_seal {
    int active;                /* cli_seal_request succeeded */
    esgx_seal_keys keys;
    uint8_t *plain;            /* the opened output (malloc'd, wiped when freed) */
    size_t plain_len;
} cli_seal;

/* Seals rq's input (the plaintext) for network_key: rq->input is replaced by the sealed
 * bytes (62 more) and rq->sealed set, so that cli_request_json sends "sealed_input" and
 * cli_answer_verify recomputes the sealed call's input_hash. The binding is rq's module
 * hash, function and fuel (rq->has_fuel must be set: the fuel limit is part of it) and,
 * for a call by name (rq->by_name), rq->name; by hash the name is empty. Returns 0, or
 * ESGX_CLI_E_FAILED with err (no explicit fuel, a key that is not a point, no memory). */
int cli_seal_request(cli_seal *s, cli_service_request *rq, const uint8_t network_key[33],
                     esgx_err *err);

/* Opens the output of a verified sealed answer (cli_answer_verify accepted it: its
 * input_hash is then the one of our request) with the kept keys; a->output then points to
 * the plaintext (held in s). Returns 0, or ESGX_CLI_E_FAILED with err ("sealed output does
 * not open ...": other keys, another input_hash or modified bytes; "the answer is not
 * sealed"). */
int cli_seal_open(cli_seal *s, cli_answer *a, esgx_err *err);

/* Wipes the keys and the plaintext and frees it (s may be all zero). */
void cli_seal_free(cli_seal *s);

#endif
