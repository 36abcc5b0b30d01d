/*
 * policy.c: what a verifier accepts once a quote verified: TCB statuses (default
 * UpToDate and SWHardeningNeeded), an optional MRENCLAVE allowlist, and debug
 * enclaves (refused unless allowed). Kept apart from verification so that the facts
 * (attest_result) and the judgement (attest_policy) stay separate.
 */
#include "attest_int.h"

#include <stdio.h>
#include <string.h>

static const char *const STATUSES[] = {"UpToDate", "SWHardeningNeeded",
                                       "ConfigurationNeeded",
                                       "ConfigurationAndSWHardeningNeeded", "OutOfDate",
                                       "OutOfDateConfigurationNeeded", "Revoked"};

void attest_policy_default(attest_policy *p)
{
    memset(p, 0, sizeof *p);
}

int attest_policy_add_statuses(attest_policy *p, const char *list, esgx_err *err)
{
    if (!p || !list)
        return esgx_err_set(err, ATTEST_E_ARG, "policy: NULL argument");
    const char *s = list;
    while (*s) {
        size_t n = strcspn(s, ",");
        int known = 0;
        for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++)
            if (strlen(STATUSES[i]) == n && !strncmp(s, STATUSES[i], n))
                known = 1;
        if (!known)
            return esgx_err_set(err, ATTEST_E_ARG, "policy: unknown TCB status '%.*s'",
                                (int)n, s);
        if (p->status_count >= ATTEST_POLICY_MAX_STATUS)
            return esgx_err_set(err, ATTEST_E_ARG, "policy: too many statuses");
        snprintf(p->statuses[p->status_count++], ATTEST_STATUS_LEN, "%.*s", (int)n, s);
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

int attest_policy_add_mrenclave(attest_policy *p, const char *hex, esgx_err *err)
{
    if (!p || !hex)
        return esgx_err_set(err, ATTEST_E_ARG, "policy: NULL argument");
    if (p->mrenclave_count >= ATTEST_POLICY_MAX_MRENCLAVE)
        return esgx_err_set(err, ATTEST_E_ARG, "policy: too many MRENCLAVE values");
    if (attest_unhex(hex, strlen(hex), p->mrenclave[p->mrenclave_count], 32))
        return esgx_err_set(err, ATTEST_E_ARG, "policy: MRENCLAVE must be 64 hex characters");
    p->mrenclave_count++;
    return 0;
}

int attest_policy_check(const attest_result *res, const attest_policy *p, esgx_err *err)
{
    if (!res || !p)
        return esgx_err_set(err, ATTEST_E_ARG, "policy: NULL argument");
    if (!res->verified)
        return esgx_err_set(err, ATTEST_E_POLICY, "policy: quote not verified");
    int ok = 0;
    if (p->status_count == 0)
        ok = !strcmp(res->tcb_status, "UpToDate") ||
             !strcmp(res->tcb_status, "SWHardeningNeeded");
    for (size_t i = 0; i < p->status_count; i++)
        ok |= !strcmp(res->tcb_status, p->statuses[i]);
    if (!ok)
        return esgx_err_set(err, ATTEST_E_POLICY, "policy: TCB status %s not accepted",
                            res->tcb_status);
    if (p->mrenclave_count) {
        ok = 0;
        for (size_t i = 0; i < p->mrenclave_count; i++)
            ok |= !memcmp(p->mrenclave[i], res->body.mrenclave, 32);
        if (!ok) {
            char hex[65];
            attest_hex(res->body.mrenclave, 32, hex);
            return esgx_err_set(err, ATTEST_E_POLICY, "policy: MRENCLAVE %s not trusted",
                                hex);
        }
    }
    if (res->debug && !p->allow_debug)
        return esgx_err_set(err, ATTEST_E_POLICY, "policy: debug enclave refused");
    return 0;
}
