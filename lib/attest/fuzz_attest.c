/*
 * fuzz_attest.c: libFuzzer target over the parsers that see untrusted bytes: quotes,
 * the strict PEM chain/CRL reader, the PCK SGX extension (raw and inside a DER
 * certificate) and the collateral JSON. The first input byte picks the parser.
 * Built only with -DESGX_FUZZ=ON (clang); see scripts/build.sh fuzz.
 */
#include "attest_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 6;
    data++;
    size--;
    esgx_err e;
    /* Only crashes and sanitizer reports count: every result is acceptable, so the
     * (void) casts below discard them on purpose (clang, the fuzz compiler, honours the
     * cast for ESGX_MUST_CHECK). */
    switch (mode) {
    case 0: {
        esgx_attest_quote q;
        if (esgx_attest_quote_parse(data, size, &q, &e) == 0) {
            STACK_OF(X509) *st = NULL;
            if (esgx_attest_pem_chain((const char *)q.cert_data, q.cert_len, "fuzz", &st, &e) == 0) {
                esgx_attest_pck_info info;
                (void)esgx_attest_pck_x509_info(sk_X509_value(st, 0), &info, &e);
                sk_X509_pop_free(st, X509_free);
            }
        }
        break;
    }
    case 1: {
        esgx_attest_pck_info info;
        (void)esgx_attest_pck_ext_parse(data, size, &info, &e);
        break;
    }
    case 2: {
        esgx_attest_pck_info info;
        (void)esgx_attest_pck_cert_info(data, size, &info, &e);
        break;
    }
    case 3:
        (void)esgx_attest_collateral_check((const char *)data, size, &e);
        break;
    case 4: {
        STACK_OF(X509) *st = NULL;
        if (esgx_attest_pem_chain((const char *)data, size, "fuzz", &st, &e) == 0)
            sk_X509_pop_free(st, X509_free);
        X509_CRL *crl = NULL;
        if (esgx_attest_pem_crl((const char *)data, size, "fuzz", &crl, &e) == 0)
            X509_CRL_free(crl);
        break;
    }
    default: {
        /* a quote against empty collateral: exercises the early verify path */
        esgx_attest_result r;
        (void)esgx_attest_quote_verify(data, size, "{}", 2, 0, NULL, &r, &e);
        break;
    }
    }
    return 0;
}
