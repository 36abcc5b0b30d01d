/*
 * fuzz_collateral.c: libFuzzer target for the collateral JSON alone (built only with
 * -DESGX_FUZZ=ON; run with scripts/fuzz.sh). fuzz_attest reaches the same parser
 * through one of its six modes; this target gives it the whole run, seeded with
 * Intel's real collateral and the sim bundle's, so mutations get past the PEM fields
 * into the signed tcbInfo / enclaveIdentity documents and their TCB levels.
 *
 * Properties of accepted collateral: each signed span lies inside the text it was
 * found in (the private copy, or the decoded string form), starts with '{' and ends
 * with '}'; every TCB level has a known, NUL-terminated status and at most
 * ESGX_ATTEST_MAX_ADVISORIES advisories; parsing the same bytes again succeeds
 * (no hidden state). Leaks of the X509 objects on any refusal are LeakSanitizer reports.
 */
#include "attest_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(const esgx_attest_signed_json *s, const char *text, const char *owned)
{
    const char *base = owned ? owned : text;
    size_t len = strlen(base);
    if (!s->body || s->body_len < 2 || s->body < base || s->body + s->body_len > base + len ||
        s->body[0] != '{' || s->body[s->body_len - 1] != '}')
        abort();
}

static void check_levels(const esgx_attest_tcb_level *lv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!memchr(lv[i].status, 0, sizeof lv[i].status) || !lv[i].status[0] ||
            lv[i].advisory_count > ESGX_ATTEST_MAX_ADVISORIES)
            abort();
        for (size_t a = 0; a < lv[i].advisory_count; a++)
            if (!memchr(lv[i].advisories[a], 0, sizeof lv[i].advisories[a]))
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    esgx_attest_collateral c;
    esgx_err e;
    if (esgx_attest_collateral_parse((const char *)data, size, &c, &e) != 0)
        return 0;
    check_span(&c.tcb_signed, c.text, c.tcb_text);
    check_span(&c.qe_signed, c.text, c.qe_text);
    check_levels(c.tcb.levels, c.tcb.level_count);
    check_levels(c.qe.levels, c.qe.level_count);
    esgx_attest_collateral_clear(&c);
    if (esgx_attest_collateral_parse((const char *)data, size, &c, &e) != 0)
        abort();
    esgx_attest_collateral_clear(&c);
    return 0;
}
