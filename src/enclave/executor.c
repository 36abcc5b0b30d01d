/*
 * executor.c: one invocation, from request to signed result (docs/guest-abi.md and docs/formats.md).
 *
 *   1. refuse without a shared key (not_ready / no_key); check the request's bounds
 *      (function name 1..255 bytes, input size, fuel <= the node limit; fuel 0 means
 *      the node limit) before anything costly;
 *   2. module from the cache by (hash, decrypt); on a miss ask for the content
 *      (need_content), else re-hash the content with BLAKE3 and compare with the
 *      requested hash (hash_mismatch), ECIES-decrypt it with the shared key in decrypt
 *      mode (decrypt_failed), compile it (invalid_module), check every import against
 *      the fn0 and WASI tables (unsupported_import, naming the import) and cache it;
 *   3. fresh store and instance with fuel = the request's limit, call the entry:
 *      `function` as exported, or for "main" also `_start` (WASI commands), of type
 *      (i32,i32)->i32 (called with 0,0), ()->() or ()->i32;
 *   4. on success: output BLAKE3 tree (root = output hash), input_hash, the response
 *      digest and its recoverable signature with the shared private key.
 *
 * fuel_used = limit - remaining, exact and deterministic; out of fuel uses the whole
 * limit. The module cache holds references, so eviction never frees a running module.
 * A decrypted module's plaintext is wiped after compiling; lib/wasm wipes its own copy
 * of the bytes and the compiled code when the module is freed (evicted).
 */
#include "executor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostfn.h"
#include "modcache.h"
#include "esgx_wasm.h"

struct executor {
    exec_config cfg;
    esgx_platform *plat;
    modcache *cache;
    esgx_wasm_limits limits;
    const esgx_bip32_key *shared;    /* published once with release semantics */
    const char *xpub;
    uint64_t executions, traps;
};

void esgx_exec_config_default(exec_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_content = 16u << 20;
    c->max_input = 8u << 20;
    c->max_output = 16u << 20;
    c->fuel_limit = 1000000000ull;
    c->memory_pages = 1024;
    c->call_depth = 10000;
    c->table_elems = 100000;
    c->cache_entries = 64;
    c->cache_bytes = 256u << 20;
}

static void free_module(void *m)
{
    esgx_wasm_module_free(m);
}

int esgx_executor_new(const exec_config *cfg, esgx_platform *plat, executor **out, esgx_err *err)
{
    executor *ex = calloc(1, sizeof *ex);
    if (!ex) return esgx_err_set(err, -1, "out of memory");
    ex->cfg = *cfg;
    ex->plat = plat;
    ex->cache = esgx_modcache_new(cfg->cache_entries ? cfg->cache_entries : 1, cfg->cache_bytes,
                             free_module);
    if (!ex->cache) {
        free(ex);
        return esgx_err_set(err, -1, "cannot create the module cache");
    }
    esgx_wasm_limits_default(&ex->limits);
    ex->limits.max_module_size = (size_t)cfg->max_content;
    ex->limits.max_memory_pages = cfg->memory_pages;
    ex->limits.max_call_depth = cfg->call_depth;
    ex->limits.max_table_elems = cfg->table_elems;
    ex->limits.compile_threads = cfg->compile_threads;
    *out = ex;
    return 0;
}

void esgx_executor_free(executor *ex)
{
    if (!ex) return;
    esgx_modcache_free(ex->cache);
    free(ex);
}

void esgx_executor_set_key(executor *ex, const esgx_bip32_key *shared, const char *xpub)
{
    ex->xpub = xpub;
    __atomic_store_n(&ex->shared, shared, __ATOMIC_RELEASE);
}

void esgx_exec_result_free(exec_result *r)
{
    if (!r) return;
    free(r->tree);
    free(r->output);
    r->tree = r->output = NULL;
    r->tree_len = r->output_len = 0;
}

void esgx_executor_get_stats(executor *ex, exec_stats *out)
{
    modcache_stats cs;
    esgx_modcache_get_stats(ex->cache, &cs);
    out->executions = __atomic_load_n(&ex->executions, __ATOMIC_RELAXED);
    out->traps = __atomic_load_n(&ex->traps, __ATOMIC_RELAXED);
    out->cache_entries = cs.entries;
    out->cache_hits = cs.hits;
    out->cache_misses = cs.misses;
}

static void fail(exec_result *res, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(exec_result *res, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    res->status = status;
    snprintf(res->code, sizeof res->code, "%s", code);
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

/* "(i32, i32) -> i32" into buf. */
static void functype_text(uint32_t np, const esgx_wasm_valtype *p, uint32_t nr,
                          const esgx_wasm_valtype *r, char *buf, size_t cap)
{
    size_t o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "(");
    for (uint32_t i = 0; i < np && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "",
                              p[i] == ESGX_WASM_I32 ? "i32" : p[i] == ESGX_WASM_I64 ? "i64"
                              : p[i] == ESGX_WASM_F32 ? "f32" : p[i] == ESGX_WASM_F64 ? "f64" : "ref");
    if (o < cap) o += (size_t)snprintf(buf + o, cap - o, ") -> (");
    for (uint32_t i = 0; i < nr && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "",
                              r[i] == ESGX_WASM_I32 ? "i32" : r[i] == ESGX_WASM_I64 ? "i64"
                              : r[i] == ESGX_WASM_F32 ? "f32" : r[i] == ESGX_WASM_F64 ? "f64" : "ref");
    if (o < cap) snprintf(buf + o, cap - o, ")");
}

/* Checks every import of m against the host tables. 0 or fills res. */
static int check_imports(const esgx_wasm_module *m, exec_result *res)
{
    uint32_t n = esgx_wasm_module_import_count(m);
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *name;
        size_t ml, nl;
        esgx_wasm_extern_kind kind;
        esgx_wasm_functype type;
        memset(&type, 0, sizeof type);
        if (esgx_wasm_module_import(m, i, &mod, &ml, &name, &nl, &kind, &type) != 0) {
            fail(res, EXEC_INTERNAL, "internal", "cannot read import %u", i);
            return -1;
        }
        int ml_i = (int)(ml > 100 ? 100 : ml), nl_i = (int)(nl > 100 ? 100 : nl);
        if (kind != ESGX_WASM_EXTERN_FUNC) {
            fail(res, EXEC_BAD_REQUEST, "unsupported_import",
                 "unsupported import \"%.*s\".\"%.*s\": only functions can be imported",
                 ml_i, mod, nl_i, name);
            return -1;
        }
        int known = 0;
        const hostfn_def *want = NULL;
        if (!esgx_hostfn_lookup(mod, ml, name, nl, &type, &known, &want)) {
            if (known && want) {
                char got[128], exp[128];
                functype_text(type.n_params, type.params, type.n_results, type.results, got,
                              sizeof got);
                functype_text(want->n_params, want->params, want->n_results, want->results,
                              exp, sizeof exp);
                fail(res, EXEC_BAD_REQUEST, "unsupported_import",
                     "import \"%.*s\".\"%.*s\" has type %s, expected %s", ml_i, mod, nl_i,
                     name, got, exp);
            } else {
                fail(res, EXEC_BAD_REQUEST, "unsupported_import",
                     "unsupported import \"%.*s\".\"%.*s\" (see docs/guest-abi.md)", ml_i,
                     mod, nl_i, name);
            }
            return -1;
        }
    }
    return 0;
}

/* Verifies, decrypts and compiles content; returns a referenced cache entry or NULL
 * with res filled. */
static modcache_entry *load_module(executor *ex, const exec_request *rq, exec_result *res)
{
    if (rq->content_len > ex->cfg.max_content) {
        fail(res, EXEC_BAD_REQUEST, "content_too_large",
             "content is %zu bytes, the limit is %llu", rq->content_len,
             (unsigned long long)ex->cfg.max_content);
        return NULL;
    }
    uint8_t h[32];
    esgx_blake3_hash(rq->content, rq->content_len, h);
    if (memcmp(h, rq->module_hash, 32) != 0) {
        fail(res, EXEC_BAD_REQUEST, "hash_mismatch",
             "the content's BLAKE3 hash differs from the requested hash");
        return NULL;
    }
    const uint8_t *code = rq->content;
    size_t code_len = rq->content_len;
    uint8_t *plain = NULL;
    size_t plain_cap = 0;
    if (rq->decrypt) {
        if (rq->content_len < ESGX_ECIES_OVERHEAD) {
            fail(res, EXEC_BAD_REQUEST, "decrypt_failed",
                 "content is too short to be ECIES ciphertext (%zu bytes)", rq->content_len);
            return NULL;
        }
        plain_cap = rq->content_len - ESGX_ECIES_OVERHEAD + 1;
        plain = malloc(plain_cap);
        if (!plain) {
            fail(res, EXEC_INTERNAL, "internal", "out of memory decrypting the module");
            return NULL;
        }
        esgx_err cerr;
        const esgx_bip32_key *shared = __atomic_load_n(&ex->shared, __ATOMIC_ACQUIRE);
        if (esgx_ecies_decrypt(shared->private_key, rq->content, rq->content_len, plain,
                          plain_cap, &code_len, &cerr) != 0) {
            esgx_crypto_wipe(plain, plain_cap);
            free(plain);
            fail(res, EXEC_BAD_REQUEST, "decrypt_failed",
                 "cannot decrypt the module with the shared key: %s", cerr.msg);
            return NULL;
        }
        code = plain;
    }
    esgx_wasm_module *m = NULL;
    esgx_err werr;
    esgx_err_clear(&werr);
    int rc = esgx_wasm_module_parse(code, code_len, &ex->limits, &m, &werr);
    if (plain) {
        esgx_crypto_wipe(plain, plain_cap);
        free(plain);
    }
    if (rc != 0) {
        if (rc == ESGX_WASM_E_NOMEM)
            fail(res, EXEC_INTERNAL, "internal", "out of memory compiling the module");
        else
            fail(res, EXEC_BAD_REQUEST, "invalid_module", "invalid module: %s", werr.msg);
        return NULL;
    }
    if (check_imports(m, res) != 0) {
        esgx_wasm_module_free(m);
        return NULL;
    }
    modcache_entry *e = esgx_modcache_put(ex->cache, rq->module_hash, rq->decrypt, m, code_len);
    if (!e) fail(res, EXEC_INTERNAL, "internal", "out of memory caching the module");
    return e;
}

/* Describes a trap in res (status TRAP) unless it is proc_exit(0). Returns 1 if the run
 * should be treated as a normal end. */
static int on_trap(executor *ex, exec_result *res, esgx_wasm_trap trap, const esgx_err *werr,
                   const guest_state *gs)
{
    if (trap == ESGX_WASM_TRAP_EXIT && gs->exited && gs->exit_code == 0) return 1;
    __atomic_fetch_add(&ex->traps, 1, __ATOMIC_RELAXED);
    if (trap == ESGX_WASM_TRAP_EXIT)
        fail(res, EXEC_TRAP, "proc_exit", "program exited with code %d", gs->exit_code);
    else if (gs->trap_code)
        fail(res, EXEC_TRAP, gs->trap_code, "%s", werr->msg[0] ? werr->msg : gs->trap_code);
    else
        fail(res, EXEC_TRAP, esgx_wasm_trap_name(trap), "%s",
             werr->msg[0] ? werr->msg : esgx_wasm_trap_name(trap));
    return 0;
}

static int entry_type_ok(const esgx_wasm_functype *t, int *with_args)
{
    *with_args = 0;
    if (t->n_params == 2 && t->params[0] == ESGX_WASM_I32 && t->params[1] == ESGX_WASM_I32 &&
        t->n_results == 1 && t->results[0] == ESGX_WASM_I32) {
        *with_args = 1;
        return 1;
    }
    if (t->n_params == 0 && t->n_results == 0) return 1;
    if (t->n_params == 0 && t->n_results == 1 && t->results[0] == ESGX_WASM_I32) return 1;
    return 0;
}

/* Instantiates and runs; fills res except the signed parts. 1 = normal end. */
static int run_module(executor *ex, const exec_request *rq, const esgx_wasm_module *m,
                      uint64_t fuel, guest_state *gs, exec_result *res)
{
    esgx_wasm_store *s = NULL;
    esgx_err werr;
    esgx_err_clear(&werr);
    if (esgx_wasm_store_new(&ex->limits, &s, &werr) != 0) {
        fail(res, EXEC_INTERNAL, "internal", "cannot create a store: %s", werr.msg);
        return 0;
    }
    esgx_wasm_store_set_user(s, gs);
    esgx_wasm_store_fuel_set(s, fuel);

    int ok = 0;
    uint32_t n = esgx_wasm_module_import_count(m);
    esgx_wasm_extern *imports = calloc(n ? n : 1, sizeof *imports);
    if (!imports) {
        fail(res, EXEC_INTERNAL, "internal", "out of memory");
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        const char *mod, *name;
        size_t ml, nl;
        esgx_wasm_extern_kind kind;
        esgx_wasm_functype type;
        esgx_wasm_module_import(m, i, &mod, &ml, &name, &nl, &kind, &type);
        const hostfn_def *d = esgx_hostfn_lookup(mod, ml, name, nl, &type, NULL, NULL);
        esgx_wasm_functype ft = {d->n_params, d->n_results, d->params, d->results};
        if (esgx_wasm_func_new_host(s, &ft, d->fn, NULL, &imports[i], &werr) != 0) {
            fail(res, EXEC_INTERNAL, "internal", "cannot make host function: %s", werr.msg);
            goto out;
        }
    }
    __atomic_fetch_add(&ex->executions, 1, __ATOMIC_RELAXED);
    esgx_wasm_instance *inst = NULL;
    esgx_wasm_trap trap = ESGX_WASM_TRAP_NONE;
    int rc = esgx_wasm_instance_new(s, m, imports, n, &inst, &trap, &werr);
    if (rc == ESGX_WASM_E_TRAP) {
        ok = on_trap(ex, res, trap, &werr, gs);
        goto out;
    }
    if (rc == ESGX_WASM_E_LIMIT) {
        __atomic_fetch_add(&ex->traps, 1, __ATOMIC_RELAXED);
        fail(res, EXEC_TRAP, "limit", "%s", werr.msg);
        goto out;
    }
    if (rc == ESGX_WASM_E_UNLINKABLE) {
        fail(res, EXEC_BAD_REQUEST, "unsupported_import", "%s", werr.msg);
        goto out;
    }
    if (rc != 0) {
        fail(res, rc == ESGX_WASM_E_NOMEM ? EXEC_INTERNAL : EXEC_BAD_REQUEST,
             rc == ESGX_WASM_E_NOMEM ? "internal" : "invalid_module", "instantiation failed: %s",
             werr.msg);
        goto out;
    }

    esgx_wasm_extern fn;
    rc = esgx_wasm_instance_export(inst, rq->function, rq->function_len, &fn);
    if (rc != 0 && rq->function_len == 4 && memcmp(rq->function, "main", 4) == 0)
        rc = esgx_wasm_instance_export(inst, "_start", 6, &fn);
    if (rc != 0 || fn.kind != ESGX_WASM_EXTERN_FUNC) {
        fail(res, EXEC_BAD_REQUEST, "no_such_function", "the module exports no function \"%.*s\"",
             (int)rq->function_len, rq->function);
        goto out;
    }
    esgx_wasm_functype ft;
    int with_args;
    if (esgx_wasm_func_type(fn, &ft) != 0 || !entry_type_ok(&ft, &with_args)) {
        fail(res, EXEC_BAD_REQUEST, "bad_signature",
             "entry \"%.*s\" must have type (i32, i32) -> i32, () -> () or () -> i32",
             (int)rq->function_len, rq->function);
        goto out;
    }
    esgx_wasm_value args[2] = {{.type = ESGX_WASM_I32, .of.i32 = 0}, {.type = ESGX_WASM_I32, .of.i32 = 0}};
    esgx_wasm_value results[1];
    rc = esgx_wasm_call(s, fn, args, with_args ? 2 : 0, results, ft.n_results, &trap, &werr);
    if (rc == ESGX_WASM_E_TRAP) ok = on_trap(ex, res, trap, &werr, gs);
    else if (rc != 0) fail(res, EXEC_INTERNAL, "internal", "call failed: %s", werr.msg);
    else ok = 1;
out:
    {
        uint64_t left = esgx_wasm_store_fuel_get(s);
        res->fuel_used = left <= fuel ? fuel - left : fuel;
        /* Running out of fuel (in code or in a host call) always uses the whole limit. */
        if (res->status == EXEC_TRAP && strcmp(res->code, "out_of_fuel") == 0)
            res->fuel_used = fuel;
    }
    free(imports);
    esgx_wasm_store_free(s);
    return ok;
}

void esgx_executor_run(executor *ex, const exec_request *rq, exec_result *res)
{
    memset(res, 0, sizeof *res);
    const esgx_bip32_key *shared = __atomic_load_n(&ex->shared, __ATOMIC_ACQUIRE);
    if (!shared) {
        fail(res, EXEC_NOT_READY, "no_key", "the enclave has no shared key yet");
        return;
    }
    if (rq->function_len < 1 || rq->function_len > 255 || !rq->function) {
        fail(res, EXEC_BAD_REQUEST, "bad_request", "function name must be 1..255 bytes");
        return;
    }
    if (rq->input_len > ex->cfg.max_input) {
        fail(res, EXEC_BAD_REQUEST, "input_too_large", "input is %zu bytes, the limit is %llu",
             rq->input_len, (unsigned long long)ex->cfg.max_input);
        return;
    }
    uint64_t fuel = rq->fuel ? rq->fuel : ex->cfg.fuel_limit;
    if (fuel > ex->cfg.fuel_limit) {
        fail(res, EXEC_BAD_REQUEST, "fuel_too_large", "fuel %llu is over the node limit %llu",
             (unsigned long long)fuel, (unsigned long long)ex->cfg.fuel_limit);
        return;
    }

    modcache_entry *e = esgx_modcache_get(ex->cache, rq->module_hash, rq->decrypt);
    if (!e) {
        if (!rq->has_content) {
            res->need_content = 1;
            return;
        }
        e = load_module(ex, rq, res);
        if (!e) return;
    }

    guest_state gs;
    memset(&gs, 0, sizeof gs);
    gs.shared = shared;
    gs.xpub = ex->xpub;
    gs.plat = ex->plat;
    memcpy(gs.module_hash, rq->module_hash, 32);
    gs.input = rq->input;
    gs.input_len = rq->input_len;
    gs.max_output = ex->cfg.max_output;
    gs.debug = ex->cfg.debug;

    int ok = run_module(ex, rq, esgx_modcache_entry_value(e), fuel, &gs, res);
    esgx_modcache_release(ex->cache, e);
    if (!ok) {
        free(gs.out);
        return;
    }

    /* Signed response. */
    esgx_err cerr;
    size_t nodes = esgx_blake3_tree_node_count(gs.out_len), count = 0;
    res->tree = malloc(nodes * 32);
    if (!res->tree ||
        esgx_blake3_tree(gs.out, gs.out_len, res->tree, nodes * 32, &count, &cerr) != 0 ||
        count != nodes) {
        free(gs.out);
        esgx_exec_result_free(res);
        fail(res, EXEC_INTERNAL, "internal", "output tree failed");
        return;
    }
    res->tree_len = nodes * 32;
    memcpy(res->output_hash, res->tree + (nodes - 1) * 32, 32);
    res->output = gs.out;
    res->output_len = gs.out_len;
    uint8_t digest[32];
    if (esgx_digest_input_hash(rq->module_hash, rq->decrypt ? 1 : 0, fuel, rq->function,
                          rq->function_len, rq->input, rq->input_len, res->input_hash,
                          &cerr) != 0) {
        esgx_exec_result_free(res);
        fail(res, EXEC_INTERNAL, "internal", "input hash failed: %s", cerr.msg);
        return;
    }
    esgx_digest_response(res->input_hash, res->fuel_used, res->output_hash, digest);
    if (esgx_ec_sign_recoverable(shared->private_key, digest, res->signature, &cerr) != 0) {
        esgx_exec_result_free(res);
        fail(res, EXEC_INTERNAL, "internal", "signing failed: %s", cerr.msg);
        return;
    }
    res->status = EXEC_OK;
}
