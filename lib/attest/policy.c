/*
 * policy.c: what a verifier accepts once a quote verified: TCB statuses (default
 * UpToDate and SWHardeningNeeded), an optional MRENCLAVE allowlist, and debug
 * enclaves (refused unless allowed). Kept apart from verification so that the facts
 * (esgx_attest_result) and the judgement (esgx_attest_policy) stay separate.
 */
#include "attest_int.h"

#include <stdio.h>
#include <string.h>

static const char *const STATUSES[] = {"UpToDate", "SWHardeningNeeded",
                                       "ConfigurationNeeded",
                                       "ConfigurationAndSWHardeningNeeded", "OutOfDate",
                                       "OutOfDateConfigurationNeeded", "Revoked"};

void esgx_attest_policy_default(esgx_attest_policy *p)
{
    memset(p, 0, sizeof *p);
}

int esgx_attest_policy_add_statuses(esgx_attest_policy *p, const char *list, esgx_err *err)
{
    if (!p || !list)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "policy: NULL argument");
    const char *s = list;
    while (*s) {
        size_t n = strcspn(s, ",");
        int known = 0;
        for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++)
            if (strlen(STATUSES[i]) == n && !strncmp(s, STATUSES[i], n))
                known = 1;
        if (!known)
            return esgx_err_set(err, ESGX_ATTEST_E_ARG, "policy: unknown TCB status '%.*s'",
                                (int)n, s);
        if (p->status_count >= ESGX_ATTEST_POLICY_MAX_STATUS)
            return esgx_err_set(err, ESGX_ATTEST_E_ARG, "policy: too many statuses");
        snprintf(p->statuses[p->status_count++], ESGX_ATTEST_STATUS_LEN, "%.*s", (int)n, s);
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

int esgx_attest_policy_add_mrenclave(esgx_attest_policy *p, const char *hex, esgx_err *err)
{
    if (!p || !hex)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "policy: NULL argument");
    if (p->mrenclave_count >= ESGX_ATTEST_POLICY_MAX_MRENCLAVE)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "policy: too many MRENCLAVE values");
    if (esgx_attest_unhex(hex, strlen(hex), p->mrenclave[p->mrenclave_count], 32))
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "policy: MRENCLAVE must be 64 hex characters");
    p->mrenclave_count++;
    return 0;
}

int esgx_attest_policy_check(const esgx_attest_result *res, const esgx_attest_policy *p, esgx_err *err)
{
    if (!res || !p)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "policy: NULL argument");
    if (!res->verified)
        return esgx_err_set(err, ESGX_ATTEST_E_POLICY, "policy: quote not verified");
    int ok = 0;
    if (p->status_count == 0)
        ok = !strcmp(res->tcb_status, "UpToDate") ||
             !strcmp(res->tcb_status, "SWHardeningNeeded");
    for (size_t i = 0; i < p->status_count; i++)
        ok |= !strcmp(res->tcb_status, p->statuses[i]);
    if (!ok)
        return esgx_err_set(err, ESGX_ATTEST_E_POLICY, "policy: TCB status %s not accepted",
                            res->tcb_status);
    if (p->mrenclave_count) {
        ok = 0;
        for (size_t i = 0; i < p->mrenclave_count; i++)
            ok |= !memcmp(p->mrenclave[i], res->body.mrenclave, 32);
        if (!ok) {
            char hex[65];
            esgx_attest_hex(res->body.mrenclave, 32, hex);
            return esgx_err_set(err, ESGX_ATTEST_E_POLICY, "policy: MRENCLAVE %s not trusted",
                                hex);
        }
    }
    if (res->debug && !p->allow_debug)
        return esgx_err_set(err, ESGX_ATTEST_E_POLICY, "policy: debug enclave refused");
    return 0;
}
