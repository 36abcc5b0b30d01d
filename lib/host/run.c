/*
 * run.c: the one invocation path (esgx_host.h), used by the enclave's executor and by
 * `esgx run`.
 *
 *   1. entry: the export named by the request, or `_start` for "main" when there is no
 *      `main` (WASI commands); its type is checked before anything runs, so a wrong
 *      entry never runs the module's start function;
 *   2. a fresh store with the request's limits and fuel, the invocation's guest_state
 *      as its user pointer, every import linked to the host function of that exact
 *      type (host_internal.h's tables);
 *   3. instantiate (the start function runs here) and call;
 *   4. outcome: proc_exit(0) is a normal end; any other proc_exit is the trap
 *      "proc_exit"; a trap made by a host function carries that function's code
 *      ("output_too_large"), any other trap its esgx_wasm_trap_name;
 *   5. fuel_used = budget - remaining, or the whole budget when the run ran out of
 *      fuel (in guest code or in a host call), so it is identical on every node.
 *   WASI argv is rq->argv, or the function name alone (a node); the environment is
 *   empty (hostfn_wasi.c).
 *   6. the invocation's derived-key cache (private keys) and random stream are wiped.
 */
#include "host_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets res->code/message and err to code and the message; returns code. */
static int outcome(esgx_host_result *res, esgx_err *err, int code, const char *what,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int outcome(esgx_host_result *res, esgx_err *err, int code, const char *what,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    res->code = what;
    esgx_err_set(err, code, "%s", res->message);
    return code;
}

const char *esgx_host_valtype_name(esgx_wasm_valtype t)
{
    switch (t) {
    case ESGX_WASM_I32: return "i32";
    case ESGX_WASM_I64: return "i64";
    case ESGX_WASM_F32: return "f32";
    case ESGX_WASM_F64: return "f64";
    case ESGX_WASM_V128: return "v128";
    case ESGX_WASM_FUNCREF: return "funcref";
    case ESGX_WASM_EXTERNREF: return "externref";
    }
    return "?";
}

void esgx_host_functype_text(const esgx_wasm_functype *t, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap == 0) return;
    buf[0] = 0;
    n += (size_t)snprintf(buf + n, cap - n, "(");
    for (uint32_t i = 0; i < t->n_params && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "",
                              esgx_host_valtype_name(t->params[i]));
    if (n < cap) n += (size_t)snprintf(buf + n, cap - n, ") -> (");
    for (uint32_t i = 0; i < t->n_results && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "",
                              esgx_host_valtype_name(t->results[i]));
    if (n < cap) snprintf(buf + n, cap - n, ")");
}

static const char *extern_kind_name(esgx_wasm_extern_kind k)
{
    switch (k) {
    case ESGX_WASM_EXTERN_FUNC: return "function";
    case ESGX_WASM_EXTERN_TABLE: return "table";
    case ESGX_WASM_EXTERN_MEMORY: return "memory";
    case ESGX_WASM_EXTERN_GLOBAL: return "global";
    }
    return "?";
}

/* The index of the first import of m that belongs to a feature esgx deliberately lacks
 * (esgx_host_wasi_lacking), with *what naming it; *what stays NULL if there is none. */
static uint32_t lacking_import(const esgx_wasm_module *m, const char **what)
{
    uint32_t n = esgx_wasm_module_import_count(m);
    *what = NULL;
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *name;
        size_t ml, nl;
        esgx_wasm_extern_kind kind;
        esgx_wasm_functype type;
        memset(&type, 0, sizeof type);
        if (esgx_wasm_module_import(m, i, &mod, &ml, &name, &nl, &kind, &type) != 0) continue;
        if (kind == ESGX_WASM_EXTERN_FUNC && esgx_host_fn_lookup(mod, ml, name, nl, &type, NULL, NULL))
            continue;
        *what = esgx_host_wasi_lacking(mod, ml, name, nl);
        if (*what) return i;
    }
    return 0;
}

/* The host function for import i of m, or NULL with res/err describing why not: an
 * import of a feature esgx lacks (threads, sockets, C++ exceptions) is named first,
 * wherever it is among the imports. */
static const hostfn_def *import_def(const esgx_wasm_module *m, uint32_t i,
                                    esgx_host_result *res, esgx_err *err)
{
    const char *mod, *name;
    size_t ml, nl;
    esgx_wasm_extern_kind kind;
    esgx_wasm_functype type;
    memset(&type, 0, sizeof type);
    if (esgx_wasm_module_import(m, i, &mod, &ml, &name, &nl, &kind, &type) != 0) {
        outcome(res, err, ESGX_HOST_E_INTERNAL, "internal", "cannot read import %u", i);
        return NULL;
    }
    int mi = (int)(ml > 100 ? 100 : ml), ni = (int)(nl > 100 ? 100 : nl);
    int known = 0;
    const hostfn_def *want = NULL, *d = NULL;
    if (kind == ESGX_WASM_EXTERN_FUNC)
        d = esgx_host_fn_lookup(mod, ml, name, nl, &type, &known, &want);
    if (d) return d;
    const char *lack = NULL;
    uint32_t li = lacking_import(m, &lack);
    if (lack) {   /* the first import of a feature esgx lacks, wherever it is */
        const char *lm, *ln;
        size_t lml, lnl;
        esgx_wasm_extern_kind lk;
        esgx_wasm_functype lt;
        memset(&lt, 0, sizeof lt);
        if (esgx_wasm_module_import(m, li, &lm, &lml, &ln, &lnl, &lk, &lt) == 0) {
            outcome(res, err, ESGX_HOST_E_IMPORT, "unsupported_import",
                    "unsupported import %.*s.%.*s: %s (see docs/guest-abi.md)",
                    (int)(lml > 100 ? 100 : lml), lm, (int)(lnl > 100 ? 100 : lnl), ln, lack);
            return NULL;
        }
    }
    if (known && want) {
        char got[128], exp[128];
        esgx_wasm_functype wt = {want->n_params, want->n_results, want->params, want->results};
        esgx_host_functype_text(&type, got, sizeof got);
        esgx_host_functype_text(&wt, exp, sizeof exp);
        outcome(res, err, ESGX_HOST_E_IMPORT, "unsupported_import",
                "import %.*s.%.*s has type %s, expected %s", mi, mod, ni, name, got, exp);
    } else {
        outcome(res, err, ESGX_HOST_E_IMPORT, "unsupported_import",
                "unsupported import %.*s.%.*s: %s \"%.*s\".\"%.*s\" is not in the guest ABI "
                "(see docs/guest-abi.md)", mi, mod, ni, name, extern_kind_name(kind), mi, mod,
                ni, name);
    }
    return NULL;
}

int esgx_host_check_imports(const esgx_wasm_module *m, esgx_err *err)
{
    esgx_host_result res;
    memset(&res, 0, sizeof res);
    uint32_t n = esgx_wasm_module_import_count(m);
    for (uint32_t i = 0; i < n; i++)
        if (!import_def(m, i, &res, err)) return err ? err->code : ESGX_HOST_E_IMPORT;
    return ESGX_OK;
}

int esgx_host_find_entry(const esgx_wasm_module *m, const char *function, size_t function_len,
                         const char **name, size_t *name_len, esgx_wasm_functype *type,
                         esgx_err *err)
{
    esgx_wasm_extern_kind kind;
    *name = function;
    *name_len = function_len;
    int rc = esgx_wasm_module_export(m, function, function_len, &kind, type);
    if (rc == ESGX_WASM_E_NOT_FOUND && function_len == 4 && memcmp(function, "main", 4) == 0 &&
        esgx_wasm_module_export(m, "_start", 6, &kind, type) == 0) {
        *name = "_start";
        *name_len = 6;
        rc = 0;
    }
    if (rc != 0 || kind != ESGX_WASM_EXTERN_FUNC)
        return esgx_err_set(err, ESGX_HOST_E_ENTRY, "no exported function '%.*s'",
                            (int)(function_len > 255 ? 255 : function_len), function);
    return ESGX_OK;
}

/* Checks the entry's type against the request; fills args (n_params values). */
static int entry_args(const esgx_host_request *rq, const esgx_wasm_functype *t,
                      esgx_wasm_value *args, esgx_host_result *res, esgx_err *err)
{
    int fn = (int)(rq->function_len > 255 ? 255 : rq->function_len);
    int pair = t->n_params == 2 && t->params[0] == ESGX_WASM_I32 && t->params[1] == ESGX_WASM_I32;
    if (rq->abi == ESGX_HOST_ENTRY_INVOKE) {
        int ok = (pair && t->n_results == 1 && t->results[0] == ESGX_WASM_I32) ||
                 (t->n_params == 0 && t->n_results == 0) ||
                 (t->n_params == 0 && t->n_results == 1 && t->results[0] == ESGX_WASM_I32);
        if (!ok)
            return outcome(res, err, ESGX_HOST_E_SIGNATURE, "bad_signature",
                           "entry '%.*s' must have type (i32, i32) -> i32, () -> () or () -> i32",
                           fn, rq->function);
    } else if (!(rq->n_args == 0 && pair) && rq->n_args != t->n_params) {
        char text[256];
        esgx_host_functype_text(t, text, sizeof text);
        return outcome(res, err, ESGX_HOST_E_SIGNATURE, "bad_signature",
                       "'%.*s' has type %s: it takes %u argument(s), %u given", fn,
                       rq->function, text, t->n_params, rq->n_args);
    }
    for (uint32_t i = 0; i < t->n_params; i++) {
        int given = rq->abi == ESGX_HOST_ENTRY_ARGS && rq->n_args == t->n_params;
        if (given && rq->args[i].type != t->params[i])
            return outcome(res, err, ESGX_HOST_E_SIGNATURE, "bad_signature",
                           "argument %u of '%.*s' must be %s", i + 1, fn, rq->function,
                           esgx_host_valtype_name(t->params[i]));
        if (given) args[i] = rq->args[i];
        else args[i] = (esgx_wasm_value){.type = ESGX_WASM_I32, .of.i32 = 0};
    }
    return ESGX_OK;
}

/* The outcome of a trap (ESGX_OK for proc_exit(0)). */
static int on_trap(esgx_wasm_trap trap, const esgx_err *werr, const guest_state *gs,
                   esgx_host_result *res, esgx_err *err)
{
    if (trap == ESGX_WASM_TRAP_EXIT && gs->exited && gs->exit_code == 0) return ESGX_OK;
    res->trap = trap;
    if (trap == ESGX_WASM_TRAP_EXIT) {
        res->exit_code = gs->exit_code;
        return outcome(res, err, ESGX_HOST_E_TRAP, "proc_exit", "program exited with code %d",
                       gs->exit_code);
    }
    const char *code = gs->trap_code ? gs->trap_code : esgx_wasm_trap_name(trap);
    return outcome(res, err, ESGX_HOST_E_TRAP, code, "%s", werr->msg[0] ? werr->msg : code);
}

/* Instantiation failure (not a trap) as an outcome. */
static int on_instantiate_error(int rc, const esgx_err *werr, esgx_host_result *res,
                                esgx_err *err)
{
    if (rc == ESGX_WASM_E_LIMIT)
        return outcome(res, err, ESGX_HOST_E_LIMIT, "limit", "instantiation failed: %s",
                       werr->msg);
    if (rc == ESGX_WASM_E_UNLINKABLE)
        return outcome(res, err, ESGX_HOST_E_IMPORT, "unsupported_import", "%s", werr->msg);
    if (rc == ESGX_WASM_E_NOMEM)
        return outcome(res, err, ESGX_HOST_E_NOMEM, "internal", "instantiation failed: %s",
                       werr->msg);
    return outcome(res, err, ESGX_HOST_E_MODULE, "invalid_module", "instantiation failed: %s",
                   werr->msg);
}

/* Links, instantiates and calls fn_name in store s. */
static int link_and_call(const esgx_wasm_module *m, esgx_wasm_store *s, const char *fn_name,
                         size_t fn_len, const esgx_wasm_value *args,
                         const esgx_wasm_functype *ft, const guest_state *gs,
                         esgx_host_result *res, esgx_err *err)
{
    esgx_err werr;
    esgx_err_clear(&werr);
    uint32_t n = esgx_wasm_module_import_count(m);
    esgx_wasm_extern *imports = calloc(n ? n : 1, sizeof *imports);
    res->values = calloc(ft->n_results ? ft->n_results : 1, sizeof *res->values);
    if (!imports || !res->values) {
        free(imports);
        return outcome(res, err, ESGX_HOST_E_NOMEM, "internal", "out of memory");
    }
    int rc = ESGX_OK;
    for (uint32_t i = 0; i < n && rc == ESGX_OK; i++) {
        const hostfn_def *d = import_def(m, i, res, err);
        if (!d) {
            rc = err ? err->code : ESGX_HOST_E_IMPORT;
            break;
        }
        esgx_wasm_functype t = {d->n_params, d->n_results, d->params, d->results};
        if (esgx_wasm_func_new_host(s, &t, d->fn, NULL, &imports[i], &werr) != 0)
            rc = outcome(res, err, ESGX_HOST_E_INTERNAL, "internal",
                         "cannot make host function %s: %s", d->name, werr.msg);
    }
    esgx_wasm_instance *inst = NULL;
    esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
    esgx_wasm_extern fn;
    if (rc == ESGX_OK) {
        res->started = 1;
        int wrc = esgx_wasm_instance_new(s, m, imports, n, &inst, &trap, &werr);
        if (wrc == ESGX_WASM_E_TRAP) rc = on_trap(trap, &werr, gs, res, err);
        else if (wrc != 0) rc = on_instantiate_error(wrc, &werr, res, err);
        else if (esgx_wasm_instance_export(inst, fn_name, fn_len, &fn) != 0)
            rc = outcome(res, err, ESGX_HOST_E_ENTRY, "no_such_function",
                         "no exported function '%.*s'", (int)fn_len, fn_name);
        else {
            wrc = esgx_wasm_call(s, fn, args, ft->n_params, res->values, ft->n_results, &trap,
                                 &werr);
            if (wrc == ESGX_WASM_E_TRAP) rc = on_trap(trap, &werr, gs, res, err);
            else if (wrc != 0)
                rc = outcome(res, err, ESGX_HOST_E_INTERNAL, "internal", "call failed: %s",
                             werr.msg);
            else res->n_values = ft->n_results;
        }
    }
    free(imports);
    return rc;
}

static int check_request(const esgx_host_request *rq, esgx_host_result *res, esgx_err *err)
{
    if (!rq->function || rq->function_len == 0 || !rq->limits ||
        (rq->input_len && !rq->input) || (rq->n_args && !rq->args))
        return outcome(res, err, ESGX_HOST_E_ARG, "internal",
                       "request without function, limits, input or args");
    return ESGX_OK;
}

int esgx_host_run(const esgx_wasm_module *m, const esgx_host_request *rq,
                  esgx_host_result *res, esgx_err *err)
{
    memset(res, 0, sizeof *res);
    res->code = "";
    int rc = check_request(rq, res, err);
    if (rc != ESGX_OK) return rc;
    const char *fn_name;
    size_t fn_len;
    esgx_wasm_functype ft;
    esgx_err werr;
    if (esgx_host_find_entry(m, rq->function, rq->function_len, &fn_name, &fn_len, &ft, &werr))
        return outcome(res, err, ESGX_HOST_E_ENTRY, "no_such_function", "%s", werr.msg);
    esgx_wasm_value *args = calloc(ft.n_params ? ft.n_params : 1, sizeof *args);
    if (!args) return outcome(res, err, ESGX_HOST_E_NOMEM, "internal", "out of memory");
    rc = entry_args(rq, &ft, args, res, err);
    esgx_wasm_store *s = NULL;
    if (rc == ESGX_OK && esgx_wasm_store_new(rq->limits, &s, &werr) != 0)
        rc = outcome(res, err, ESGX_HOST_E_INTERNAL, "internal", "cannot create a store: %s",
                     werr.msg);
    if (rc != ESGX_OK) {
        free(args);
        return rc;
    }
    guest_state gs;
    memset(&gs, 0, sizeof gs);
    gs.shared = rq->shared;
    gs.xpub = rq->xpub;
    if (rq->random_key) {
        memcpy(gs.rand_key, rq->random_key, 32);
        gs.has_rand = 1;
    }
    memcpy(gs.module_hash, rq->module_hash, 32);
    gs.input = rq->input;
    gs.input_len = rq->input_len;
    gs.max_output = rq->max_output;
    gs.fuel_budget = rq->fuel;
    gs.debug = rq->debug;
    gs.capture_max = rq->capture_max;
    const char *argv0[1] = {NULL};
    char fn_text[256];
    if (rq->argv) {
        esgx_host_wasi_init(&gs, rq->argv, rq->argc);
    } else {   /* a node: argv is the function name alone */
        snprintf(fn_text, sizeof fn_text, "%.*s",
                 (int)(rq->function_len > 255 ? 255 : rq->function_len), rq->function);
        argv0[0] = fn_text;
        esgx_host_wasi_init(&gs, argv0, 1);
    }
    esgx_wasm_store_set_user(s, &gs);
    esgx_wasm_store_fuel_set(s, rq->fuel);

    rc = link_and_call(m, s, fn_name, fn_len, args, &ft, &gs, res, err);

    res->metered = rq->fuel != ESGX_HOST_UNMETERED;
    if (res->metered) {
        uint64_t left = esgx_wasm_store_fuel_get(s);
        res->fuel_used = left <= rq->fuel ? rq->fuel - left : rq->fuel;
        if (rc == ESGX_HOST_E_TRAP && res->trap == ESGX_WASM_TRAP_OUT_OF_FUEL)
            res->fuel_used = rq->fuel;
    }
    res->output = gs.out;
    res->output_len = gs.out_len;
    res->logs = gs.cap;
    res->logs_len = gs.cap_len;
    if (rc != ESGX_OK) {
        free(res->values);
        res->values = NULL;
        res->n_values = 0;
    } else {
        esgx_err_clear(err);
    }
    free(args);
    esgx_wasm_store_free(s);
    esgx_crypto_wipe(&gs.keys, sizeof gs.keys);
    esgx_crypto_wipe(gs.rand_key, sizeof gs.rand_key);
    return rc;
}

void esgx_host_result_free(esgx_host_result *res)
{
    if (!res) return;
    free(res->output);
    free(res->values);
    free(res->logs);
    res->output = NULL;
    res->values = NULL;
    res->logs = NULL;
    res->logs_len = 0;
    res->output_len = 0;
    res->n_values = 0;
}
