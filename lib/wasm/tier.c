/*
 * tier.c: which tier runs a module's functions (esgx_wasm.h, "tiers"). The choice is
 * made once per module at esgx_wasm_module_parse: the limits' tier, else the
 * ESGX_WASM_TIER environment variable, else the compiler where this build and this
 * CPU can run it (esgx_wasm_jit_available, jit.c), else the interpreter.
 */
#include "wasm_exec.h"

#include <stdlib.h>
#include <string.h>

const char *esgx_wasm_tier_name(esgx_wasm_tier tier)
{
    switch (tier) {
    case ESGX_WASM_TIER_INTERP: return "interp";
    case ESGX_WASM_TIER_JIT: return "jit";
    default: return "default";
    }
}

int esgx_wasm_tier_parse(const char *text, esgx_wasm_tier *out, esgx_err *err)
{
    if (!text || !out) return esgx_err_set(err, ESGX_WASM_E_ARG, "tier: NULL argument");
    if (strcmp(text, "interp") == 0) {
        *out = ESGX_WASM_TIER_INTERP;
        return ESGX_OK;
    }
    if (strcmp(text, "jit") == 0) {
        *out = ESGX_WASM_TIER_JIT;
        return ESGX_OK;
    }
    char shown[40];
    esgx_escape_controls(text, shown, sizeof shown);
    return esgx_err_set(err, ESGX_WASM_E_ARG, "tier '%s' is not 'interp' or 'jit'", shown);
}

int esgx_wasm_tier_resolve(esgx_wasm_tier requested, esgx_wasm_tier *out, esgx_err *err)
{
    if (!out) return esgx_err_set(err, ESGX_WASM_E_ARG, "tier: NULL argument");
    esgx_wasm_tier t = requested;
    if (t == ESGX_WASM_TIER_DEFAULT) {
        const char *env = getenv("ESGX_WASM_TIER");
        if (env && *env) {
            int rc = esgx_wasm_tier_parse(env, &t, err);
            if (rc) {
                esgx_err_prefix(err, "ESGX_WASM_TIER");
                return rc;
            }
        } else {
            t = ESGX_WASM_TIER_JIT;
        }
    } else if (t != ESGX_WASM_TIER_INTERP && t != ESGX_WASM_TIER_JIT) {
        return esgx_err_set(err, ESGX_WASM_E_ARG, "tier %d is not a tier", (int)requested);
    }
    if (t == ESGX_WASM_TIER_JIT && !esgx_wasm_jit_available()) t = ESGX_WASM_TIER_INTERP;
    *out = t;
    return ESGX_OK;
}
