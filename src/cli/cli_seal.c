/*
 * cli_seal.c: the client side of a sealed call (docs/formats.md "Sealed calls").
 *
 * `esgx invoke --seal` seals the input for the pinned network key with a fresh ephemeral
 * key (esgx_seal_request): only an enclave holding the network's secret opens it, and
 * only for the module hash, function, fuel limit and name it was sealed for, which are
 * therefore fixed (the fuel explicitly) before sealing. The request then carries the
 * sealed bytes ("sealed_input"), and its input_hash covers them plus "SEALED_INPUT" 1.
 * The answer is checked like any other (output hash, tree, input_hash, signature: all
 * over the sealed output as it travelled) and only then opened with the kept response
 * key and the answer's input_hash (esgx_seal_open_response); nothing is printed unless
 * both succeed. The keys and the plaintext are wiped when the call is done.
 */
#include "cli_seal.h"

#include <stdlib.h>
#include <string.h>

int cli_seal_request(cli_seal *s, cli_service_request *rq, const uint8_t network_key[33],
                     esgx_err *err)
{
    if (!rq->has_fuel)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "a sealed call needs an explicit fuel limit");
    esgx_seal_binding b = {.function = rq->function, .function_len = rq->function_len,
                           .fuel = rq->fuel, .name = rq->by_name ? rq->name : NULL,
                           .name_len = rq->by_name ? strlen(rq->name) : 0};
    memcpy(b.module_hash, rq->hash, 32);
    size_t cap = rq->input_len + ESGX_SEAL_REQUEST_OVERHEAD, n = 0;
    uint8_t *sealed = malloc(cap);
    if (!sealed) return esgx_err_set(err, ESGX_CLI_E_FAILED, "out of memory sealing the input");
    esgx_err e2;
    if (esgx_seal_request(network_key, &b, rq->input ? rq->input : (const uint8_t *)"",
                          rq->input_len, sealed, cap, &n, &s->keys, &e2)) {
        free(sealed);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "sealing the input: %s", e2.msg);
    }
    if (rq->input) esgx_crypto_wipe(rq->input, rq->input_len);
    free(rq->input);
    rq->input = sealed;
    rq->input_len = n;
    rq->sealed = 1;
    s->active = 1;
    return 0;
}

int cli_seal_open(cli_seal *s, cli_answer *a, esgx_err *err)
{
    if (!s->active || !a->sealed)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "the answer is not sealed");
    if (a->output_len < ESGX_SEAL_RESPONSE_OVERHEAD)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "sealed output of %zu bytes is shorter than %d",
                            a->output_len, ESGX_SEAL_RESPONSE_OVERHEAD);
    size_t cap = a->output_len - ESGX_SEAL_RESPONSE_OVERHEAD, n = 0;
    uint8_t *p = malloc(cap ? cap : 1);
    if (!p) return esgx_err_set(err, ESGX_CLI_E_FAILED, "out of memory opening the output");
    esgx_err e2;
    if (esgx_seal_open_response(&s->keys, a->input_hash, a->output, a->output_len, p, cap, &n,
                                &e2)) {
        free(p);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s", e2.msg);
    }
    s->plain = p;
    s->plain_len = n;
    a->output = p;
    a->output_len = n;
    return 0;
}

void cli_seal_free(cli_seal *s)
{
    if (s->plain) esgx_crypto_wipe(s->plain, s->plain_len);
    free(s->plain);
    esgx_seal_keys_wipe(&s->keys);
    memset(s, 0, sizeof *s);
}
