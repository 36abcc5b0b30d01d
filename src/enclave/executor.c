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
 *      the fn0 and WASI tables (esgx_host_check_imports: unsupported_import, naming the
 *      import) and cache it;
 *   3. run it through lib/host's one invocation path (esgx_host_run, the same as
 *      `esgx run`) with fuel = the request's limit and the node's invocation ABI: the
 *      entry `function`, or for "main" also `_start` (WASI commands), of type
 *      (i32,i32)->i32 (called with 0,0), ()->() or ()->i32;
 *   4. on success: output BLAKE3 tree (root = output hash), input_hash, the response
 *      digest and its recoverable signature with the shared private key.
 *
 * A call by name carries its signed name record: it is verified against this enclave's
 * network key before any content is asked for or anything runs (bad_record; the last 64
 * records that verified are remembered by digest and signature, so a name's calls
 * recover its signature once), and
 * input_hash binds its name, owner and seq. A sealed call's input is opened with the
 * network key for exactly this module, function, fuel and name (bad_sealed_input); the
 * guest runs on the plaintext with no debug output; its output is sealed back under the
 * call's response key before the tree and signature, which cover the sealed bytes. The
 * guest's random_get stream is keyed by the network key, the module hash and
 * input_hash, so the same request gives the same answer (docs/formats.md).
 *
 * Every outcome is a row of lib/proto's one table (ESGX_RESULT_CODES: code and RESULT
 * status), except the codes lib/host names (traps, no_such_function, ...), which pass
 * through. A module that is invalid or imports what the host lacks (the rows marked
 * remember) is remembered by (hash, decrypt) for cfg.bad_module_ms (64 at most, the oldest forgotten first): requests
 * for it get the same answer at once, without its content or a new compile.
 *
 * fuel_used = limit - remaining, exact and deterministic; out of fuel uses the whole
 * limit (esgx_host_run). The module cache holds references, so eviction never frees a running module.
 * A decrypted module's plaintext is wiped after compiling; lib/wasm wipes its own copy
 * of the bytes and the compiled code when the module is freed (evicted).
 */
#include "executor.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_host.h"
#include "esgx_proto.h"
#include "esgx_wasm.h"
#include "modcache.h"

_Static_assert((int)EXEC_OK == (int)ESGX_RESULT_OK && (int)EXEC_TRAP == (int)ESGX_RESULT_TRAP &&
                   (int)EXEC_BAD_REQUEST == (int)ESGX_RESULT_BAD_REQUEST &&
                   (int)EXEC_NOT_READY == (int)ESGX_RESULT_NOT_READY &&
                   (int)EXEC_INTERNAL == (int)ESGX_RESULT_INTERNAL,
               "exec_status is the channel's RESULT status");

/* A module that failed to load for a reason that depends on its bytes alone (invalid,
 * unsupported import): the failure is answered again without the content for a while,
 * so a hostile module is not shipped and recompiled on every request. */
#define BAD_SLOTS 64

/* A name record that verified against this enclave's network key, remembered by its
 * digest (which covers network, name, hash, encrypted flag, seq and owner) and its
 * signature: the same bytes again verify the same, so a call by name skips the
 * signature recovery (the hot part of record_ok) after the first call. */
#define VERIFIED_SLOTS 64
typedef struct verified_record {
    int used;
    uint8_t digest[32];
    uint8_t signature[ESGX_EC_SIGNATURE_LEN];
} verified_record;
typedef struct bad_module {
    uint8_t hash[32];
    int decrypt;
    uint64_t until_ms;            /* 0 = free slot */
    char code[sizeof(((exec_result *)0)->code)];
    char message[sizeof(((exec_result *)0)->message)];
} bad_module;

struct executor {
    exec_config cfg;
    esgx_platform *plat;
    modcache *cache;
    pthread_mutex_t bad_mu;       /* guards bad[] and verified[] */
    bad_module bad[BAD_SLOTS];
    verified_record verified[VERIFIED_SLOTS];
    unsigned verified_next;       /* round-robin replacement */
    esgx_wasm_limits limits;
    const esgx_bip32_key *shared;    /* published once with release semantics */
    const char *xpub;
    uint8_t k_rand[32];              /* guest randomness key of the shared key (set before
                                        shared is published; wiped at free) */
    uint64_t executions, traps;
};

void esgx_exec_config_default(exec_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_content = ESGX_DEFAULT_MAX_CONTENT;
    c->max_input = ESGX_DEFAULT_MAX_INPUT;
    c->max_output = ESGX_DEFAULT_MAX_OUTPUT;
    c->fuel_limit = ESGX_DEFAULT_FUEL;
    c->memory_pages = ESGX_DEFAULT_MEMORY_PAGES;
    c->call_depth = ESGX_DEFAULT_CALL_DEPTH;
    c->table_elems = ESGX_DEFAULT_TABLE_ELEMS;
    c->cache_entries = 64;
    c->cache_bytes = 256u << 20;
    c->bad_module_ms = 60000;
}

/* Remembers that (hash, decrypt) failed with res's code and message; replaces the
 * oldest entry when all are taken. */
static void bad_remember(executor *ex, const exec_request *rq, const exec_result *res)
{
    if (!ex->cfg.bad_module_ms) return;
    uint64_t now = esgx_monotonic_ms();
    pthread_mutex_lock(&ex->bad_mu);
    bad_module *slot = &ex->bad[0];
    for (size_t i = 0; i < BAD_SLOTS; i++)
        if (ex->bad[i].until_ms < slot->until_ms) slot = &ex->bad[i];
    memcpy(slot->hash, rq->module_hash, 32);
    slot->decrypt = rq->decrypt ? 1 : 0;
    slot->until_ms = now + ex->cfg.bad_module_ms;
    snprintf(slot->code, sizeof slot->code, "%s", res->code);
    snprintf(slot->message, sizeof slot->message, "%s", res->message);
    pthread_mutex_unlock(&ex->bad_mu);
}

/* Fills res from a remembered, unexpired failure of (hash, decrypt). Returns 1 if
 * there was one, else 0. */
static int bad_recall(executor *ex, const exec_request *rq, exec_result *res)
{
    uint64_t now = esgx_monotonic_ms();
    int found = 0;
    pthread_mutex_lock(&ex->bad_mu);
    for (size_t i = 0; i < BAD_SLOTS && !found; i++) {
        const bad_module *b = &ex->bad[i];
        if (b->until_ms > now && b->decrypt == (rq->decrypt ? 1 : 0) &&
            memcmp(b->hash, rq->module_hash, 32) == 0) {
            res->status = EXEC_BAD_REQUEST;
            snprintf(res->code, sizeof res->code, "%s", b->code);
            snprintf(res->message, sizeof res->message, "%s", b->message);
            found = 1;
        }
    }
    pthread_mutex_unlock(&ex->bad_mu);
    return found;
}

static void free_module(void *m)
{
    esgx_wasm_module_free(m);
}

int esgx_executor_new(const exec_config *cfg, esgx_platform *plat, executor **out, esgx_err *err)
{
    executor *ex = calloc(1, sizeof *ex);
    if (!ex) return esgx_err_set(err, ESGX_E_NOMEM, "executor: out of memory");
    ex->cfg = *cfg;
    ex->plat = plat;
    ex->cache = esgx_modcache_new(cfg->cache_entries ? cfg->cache_entries : 1, cfg->cache_bytes,
                             free_module);
    if (!ex->cache) {
        free(ex);
        return esgx_err_set(err, ESGX_E_NOMEM, "cannot create the module cache");
    }
    int e = pthread_mutex_init(&ex->bad_mu, NULL);
    if (e) {
        esgx_modcache_free(ex->cache);
        free(ex);
        return esgx_err_set(err, ESGX_E_NOMEM, "executor: cannot make a lock: %s", strerror(e));
    }
    esgx_wasm_limits_default(&ex->limits);
    ex->limits.max_module_size = (size_t)cfg->max_content;
    ex->limits.max_memory_pages = cfg->memory_pages;
    ex->limits.max_call_depth = cfg->call_depth;
    ex->limits.max_table_elems = cfg->table_elems;
    ex->limits.compile_threads = cfg->compile_threads;
    ex->limits.tier = cfg->tier;
    *out = ex;
    return 0;
}

void esgx_executor_free(executor *ex)
{
    if (!ex) return;
    esgx_modcache_free(ex->cache);
    pthread_mutex_destroy(&ex->bad_mu);
    esgx_crypto_wipe(ex->k_rand, sizeof ex->k_rand);
    free(ex);
}

int esgx_executor_set_key(executor *ex, const esgx_bip32_key *shared, const char *xpub,
                          esgx_err *err)
{
    if (esgx_random_key_derive(shared->private_key, ex->k_rand, err)) return err ? err->code : -1;
    ex->xpub = xpub;
    __atomic_store_n(&ex->shared, shared, __ATOMIC_RELEASE);
    return ESGX_OK;
}

void esgx_exec_result_free(exec_result *r)
{
    if (!r) return;
    free(r->tree);
    free(r->output);
    free(r->logs);
    r->tree = r->output = r->logs = NULL;
    r->tree_len = r->output_len = r->logs_len = 0;
}

static uint64_t jit_refused_of(const void *module)
{
    return esgx_wasm_module_jit_refused(module);
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
    out->cache_bytes = cs.bytes;
    out->jit_refused = esgx_modcache_sum(ex->cache, jit_refused_of);
}

static void fail_va(exec_result *res, exec_status status, const char *code, const char *fmt,
                    va_list ap) __attribute__((format(printf, 4, 0)));

static void fail_va(exec_result *res, exec_status status, const char *code, const char *fmt,
                    va_list ap)
{
    res->status = status;
    snprintf(res->code, sizeof res->code, "%s", code);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
}

/* Fills res with outcome id of the one table (ESGX_RC_*: its code and status). */
static void fail(exec_result *res, int id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(exec_result *res, int id, const char *fmt, ...)
{
    const esgx_result_code_info *o = esgx_proto_result_code(id);
    va_list ap;
    va_start(ap, fmt);
    fail_va(res, (exec_status)o->status, o->code, fmt, ap);
    va_end(ap);
}

/* Fills res with status and a code lib/host named (a trap name, no_such_function, ...). */
static void fail_code(exec_result *res, exec_status status, const char *code, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static void fail_code(exec_result *res, exec_status status, const char *code, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_va(res, status, code, fmt, ap);
    va_end(ap);
}

/* Verifies, decrypts and compiles content; returns a referenced cache entry or NULL
 * with res filled. */
static modcache_entry *load_module(executor *ex, const exec_request *rq, exec_result *res)
{
    if (rq->content_len > ex->cfg.max_content) {
        fail(res, ESGX_RC_CONTENT_TOO_LARGE,
             "content is %zu bytes, the limit is %llu", rq->content_len,
             (unsigned long long)ex->cfg.max_content);
        return NULL;
    }
    uint8_t h[32];
    esgx_blake3_hash(rq->content, rq->content_len, h);
    if (memcmp(h, rq->module_hash, 32) != 0) {
        fail(res, ESGX_RC_HASH_MISMATCH,
             "the content's BLAKE3 hash differs from the requested hash");
        return NULL;
    }
    const uint8_t *code = rq->content;
    size_t code_len = rq->content_len;
    uint8_t *plain = NULL;
    size_t plain_cap = 0;
    if (rq->decrypt) {
        if (rq->content_len < ESGX_ECIES_OVERHEAD) {
            fail(res, ESGX_RC_DECRYPT_FAILED,
                 "content is too short to be ECIES ciphertext (%zu bytes)", rq->content_len);
            return NULL;
        }
        plain_cap = rq->content_len - ESGX_ECIES_OVERHEAD + 1;
        plain = malloc(plain_cap);
        if (!plain) {
            fail(res, ESGX_RC_INTERNAL, "out of memory decrypting the module");
            return NULL;
        }
        esgx_err cerr;
        const esgx_bip32_key *shared = __atomic_load_n(&ex->shared, __ATOMIC_ACQUIRE);
        if (esgx_ecies_decrypt(shared->private_key, rq->content, rq->content_len, plain,
                          plain_cap, &code_len, &cerr) != 0) {
            esgx_crypto_wipe(plain, plain_cap);
            free(plain);
            fail(res, ESGX_RC_DECRYPT_FAILED,
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
            fail(res, ESGX_RC_INTERNAL, "out of memory compiling the module");
        else
            fail(res, ESGX_RC_INVALID_MODULE, "invalid module: %s", werr.msg);
        return NULL;
    }
    if (esgx_host_check_imports(m, &werr) != 0) {
        fail(res, werr.code == ESGX_HOST_E_IMPORT ? ESGX_RC_UNSUPPORTED_IMPORT : ESGX_RC_INTERNAL,
             "%s", werr.msg);
        esgx_wasm_module_free(m);
        return NULL;
    }
    /* the cost counts what the module holds (binary, interpreter code, machine code so
     * far); the machine code grows as functions are first called: recounted after
     * each run (execute) */
    modcache_entry *e = esgx_modcache_put(ex->cache, rq->module_hash, rq->decrypt, m,
                                          esgx_wasm_module_memory_bytes(m));
    if (!e) fail(res, ESGX_RC_INTERNAL, "out of memory caching the module");
    return e;
}

/* Runs the module through lib/host; fills res except the signed parts and returns 1
 * for a normal end. The output moves into res. */
static int run_module(executor *ex, const exec_request *rq, const esgx_wasm_module *m,
                      uint64_t fuel, const esgx_bip32_key *shared, const uint8_t random_key[32],
                      exec_result *res)
{
    esgx_host_request hr = {
        .function = rq->function, .function_len = rq->function_len,
        .abi = ESGX_HOST_ENTRY_INVOKE, .input = rq->input, .input_len = rq->input_len,
        .fuel = fuel, .max_output = ex->cfg.max_output,
        /* a sealed call's guest may print its plaintext: its debug output goes nowhere */
        .debug = ex->cfg.debug && !rq->sealed,
        .capture_max = rq->capture_logs && !rq->sealed ? EXEC_MAX_LOGS : 0,
        .limits = &ex->limits, .shared = shared, .xpub = ex->xpub, .random_key = random_key,
    };
    memcpy(hr.module_hash, rq->module_hash, 32);
    esgx_host_result hres;
    int rc = esgx_host_run(m, &hr, &hres, NULL);
    if (hres.started) __atomic_fetch_add(&ex->executions, 1, __ATOMIC_RELAXED);
    res->fuel_used = hres.fuel_used;
    res->trap = hres.trap;
    res->logs = hres.logs;   /* every outcome: the output of a trapped guest helps most */
    res->logs_len = hres.logs_len;
    hres.logs = NULL;
    if (rc == ESGX_HOST_E_TRAP || rc == ESGX_HOST_E_LIMIT) {
        __atomic_fetch_add(&ex->traps, 1, __ATOMIC_RELAXED);
        fail_code(res, EXEC_TRAP, hres.code, "%s", hres.message);
    } else if (rc == ESGX_HOST_E_NOMEM || rc == ESGX_HOST_E_INTERNAL || rc == ESGX_HOST_E_ARG) {
        fail(res, ESGX_RC_INTERNAL, "%s", hres.message);
    } else if (rc != ESGX_OK) {
        fail_code(res, EXEC_BAD_REQUEST, hres.code, "%s", hres.message);
    } else {
        res->output = hres.output;
        res->output_len = hres.output_len;
        hres.output = NULL;
    }
    esgx_host_result_free(&hres);
    return rc == ESGX_OK;
}

/* A call by name: the record the host sent must verify (its owner's signature over
 * this network's key, the name, the module hash, the encrypted flag and seq) before
 * anything runs or is fetched. 1 if it does (or the call is by hash); else res fails. */
/* Whether (digest, signature) verified before. */
static int record_seen(executor *ex, const uint8_t digest[32], const uint8_t *signature)
{
    int seen = 0;
    pthread_mutex_lock(&ex->bad_mu);
    for (size_t i = 0; i < VERIFIED_SLOTS && !seen; i++) {
        const verified_record *v = &ex->verified[i];
        seen = v->used && !memcmp(v->digest, digest, 32) &&
               !memcmp(v->signature, signature, ESGX_EC_SIGNATURE_LEN);
    }
    pthread_mutex_unlock(&ex->bad_mu);
    return seen;
}

static void record_remember(executor *ex, const uint8_t digest[32], const uint8_t *signature)
{
    pthread_mutex_lock(&ex->bad_mu);
    verified_record *v = &ex->verified[ex->verified_next++ % VERIFIED_SLOTS];
    v->used = 1;
    memcpy(v->digest, digest, 32);
    memcpy(v->signature, signature, ESGX_EC_SIGNATURE_LEN);
    pthread_mutex_unlock(&ex->bad_mu);
}

static int record_ok(executor *ex, const esgx_bip32_key *shared, const exec_request *rq,
                     exec_result *res)
{
    if (!rq->has_record) return 1;
    esgx_name_record rec;
    memset(&rec, 0, sizeof rec);
    memcpy(rec.name, rq->record_name, rq->record_name_len);
    rec.name_len = rq->record_name_len;
    memcpy(rec.network, rq->record_network, 33);
    memcpy(rec.module_hash, rq->module_hash, 32);
    rec.encrypted = rq->decrypt ? 1 : 0;
    rec.seq = rq->record_seq;
    memcpy(rec.owner, rq->record_owner, 33);
    memcpy(rec.signature, rq->record_signature, sizeof rec.signature);
    esgx_err err;
    uint8_t digest[32];
    if (esgx_name_record_digest(&rec, digest, &err) == ESGX_OK &&
        record_seen(ex, digest, rec.signature))
        return 1;   /* these exact bytes verified before */
    if (esgx_name_record_verify(&rec, shared->public_key, &err) == ESGX_OK) {
        record_remember(ex, digest, rec.signature);
        return 1;
    }
    fail(res, ESGX_RC_BAD_RECORD, "the record of function '%s' does not verify: %s",
         rq->record_name, err.msg);
    return 0;
}

/* The bytes the guest reads. A plain call: the input as sent. A sealed call: the
 * opened plaintext in a fresh buffer (*plain, wiped and freed by the caller) and the
 * call's keys. 1, or 0 with res failed. */
static int open_input(const esgx_bip32_key *shared, const exec_request *rq, uint64_t fuel,
                      uint8_t **plain, size_t *plain_len, esgx_seal_keys *keys,
                      exec_result *res)
{
    *plain = NULL;
    *plain_len = 0;
    if (!rq->sealed) return 1;
    if (rq->input_len < ESGX_SEAL_REQUEST_OVERHEAD) {
        fail(res, ESGX_RC_BAD_SEALED_INPUT, "sealed input is %zu bytes, shorter than %d",
             rq->input_len, ESGX_SEAL_REQUEST_OVERHEAD);
        return 0;
    }
    esgx_seal_binding b = {.function = rq->function, .function_len = rq->function_len,
                           .fuel = fuel,
                           .name = rq->has_record ? rq->record_name : NULL,
                           .name_len = rq->has_record ? rq->record_name_len : 0};
    memcpy(b.module_hash, rq->module_hash, 32);
    size_t cap = rq->input_len - ESGX_SEAL_REQUEST_OVERHEAD;
    uint8_t *p = malloc(cap ? cap : 1);
    if (!p) {
        fail(res, ESGX_RC_INTERNAL, "out of memory opening the sealed input");
        return 0;
    }
    esgx_err err;
    if (esgx_seal_open_request(shared->private_key, &b, rq->input, rq->input_len, p, cap,
                               plain_len, keys, &err) != ESGX_OK) {
        free(p);
        fail(res, ESGX_RC_BAD_SEALED_INPUT, "%s", err.msg);
        return 0;
    }
    *plain = p;
    return 1;
}

/* A sealed call's output: the guest's plaintext output replaced by its sealing under
 * the call's response key (the plaintext wiped). 1, or 0 with res failed. */
static int seal_output(const esgx_seal_keys *keys, exec_result *res)
{
    size_t cap = res->output_len + ESGX_SEAL_RESPONSE_OVERHEAD, n = 0;
    uint8_t *out = malloc(cap);
    esgx_err err;
    if (!out || esgx_seal_response(keys, res->input_hash, res->output, res->output_len, out,
                                   cap, &n, &err) != ESGX_OK) {
        free(out);
        esgx_exec_result_free(res);
        fail(res, ESGX_RC_INTERNAL, "sealing the output failed");
        return 0;
    }
    esgx_crypto_wipe(res->output, res->output_len);
    free(res->output);
    res->output = out;
    res->output_len = n;
    return 1;
}

/* The signed part of a successful result: output tree, response digest, signature. */
static void sign_result(const esgx_bip32_key *shared, exec_result *res)
{
    esgx_err cerr;
    size_t nodes = esgx_blake3_tree_node_count(res->output_len), count = 0;
    res->tree = malloc(nodes * 32);
    if (!res->tree ||
        esgx_blake3_tree(res->output, res->output_len, res->tree, nodes * 32, &count,
                         &cerr) != 0 ||
        count != nodes) {
        esgx_exec_result_free(res);
        fail(res, ESGX_RC_INTERNAL, "output tree failed");
        return;
    }
    res->tree_len = nodes * 32;
    memcpy(res->output_hash, res->tree + (nodes - 1) * 32, 32);
    uint8_t digest[32];
    esgx_digest_response(res->input_hash, res->fuel_used, res->output_hash, digest);
    if (esgx_ec_sign_recoverable(shared->private_key, digest, res->signature, &cerr) != 0) {
        esgx_exec_result_free(res);
        fail(res, ESGX_RC_INTERNAL, "signing failed: %s", cerr.msg);
        return;
    }
    res->status = EXEC_OK;
}

/* The compiled module for rq from the cache, or loaded from rq's content; NULL with
 * res->need_content or res failed. */
static modcache_entry *module_for(executor *ex, const exec_request *rq, exec_result *res)
{
    modcache_entry *e = esgx_modcache_get(ex->cache, rq->module_hash, rq->decrypt);
    if (e) return e;
    if (bad_recall(ex, rq, res)) return NULL;
    if (!rq->has_content) {
        res->need_content = 1;
        return NULL;
    }
    e = load_module(ex, rq, res);
    if (!e) {
        const esgx_result_code_info *o =
            esgx_proto_result_code(esgx_proto_result_code_find(res->code, strlen(res->code)));
        if (o && o->remember) bad_remember(ex, rq, res);   /* its bytes alone failed */
    }
    return e;
}

/* Checks rq's bounds before anything costly; the fuel limit it runs with into *fuel.
 * 1, or 0 with res failed. */
static int request_ok(const executor *ex, const exec_request *rq, uint64_t *fuel,
                      exec_result *res)
{
    if (rq->function_len < 1 || rq->function_len > 255 || !rq->function) {
        fail(res, ESGX_RC_BAD_REQUEST, "function name must be 1..255 bytes");
        return 0;
    }
    /* a sealed input is the plaintext plus the sealing: a plaintext of max_input fits */
    uint64_t max_input = ex->cfg.max_input + (rq->sealed ? ESGX_SEAL_REQUEST_OVERHEAD : 0);
    if (rq->input_len > max_input) {
        fail(res, ESGX_RC_INPUT_TOO_LARGE, "input is %zu bytes, the limit is %llu",
             rq->input_len, (unsigned long long)max_input);
        return 0;
    }
    *fuel = rq->fuel ? rq->fuel : ex->cfg.fuel_limit;
    if (*fuel > ex->cfg.fuel_limit) {
        fail(res, ESGX_RC_FUEL_TOO_LARGE, "fuel %llu is over the node limit %llu",
             (unsigned long long)*fuel, (unsigned long long)ex->cfg.fuel_limit);
        return 0;
    }
    return 1;
}

void esgx_executor_run(executor *ex, const exec_request *rq, exec_result *res)
{
    memset(res, 0, sizeof *res);
    const esgx_bip32_key *shared = __atomic_load_n(&ex->shared, __ATOMIC_ACQUIRE);
    if (!shared) {
        fail(res, ESGX_RC_NO_KEY, "the enclave has no shared key yet");
        return;
    }
    uint64_t fuel;
    if (!request_ok(ex, rq, &fuel, res) || !record_ok(ex, shared, rq, res)) return;
    modcache_entry *e = module_for(ex, rq, res);
    if (!e) return;

    /* input_hash over the input as it travelled (for a by-name call it binds the
     * record's name, owner and seq), then the stream of the guest's random bytes keyed
     * by it (docs/formats.md) */
    esgx_err cerr;
    uint8_t random_key[32];
    esgx_name_binding nb = {.name = rq->record_name, .name_len = rq->record_name_len,
                            .seq = rq->record_seq};
    memcpy(nb.owner, rq->record_owner, 33);
    if (esgx_digest_input_hash_ex(rq->module_hash, rq->decrypt ? 1 : 0, fuel, rq->function,
                                  rq->function_len, rq->input, rq->input_len,
                                  rq->has_record ? &nb : NULL, rq->sealed ? 1 : 0,
                                  res->input_hash, &cerr) != 0 ||
        esgx_random_stream_key(ex->k_rand, rq->module_hash, res->input_hash, random_key,
                               &cerr) != 0) {
        esgx_modcache_release(ex->cache, e);
        fail(res, ESGX_RC_INTERNAL, "input hash failed: %s", cerr.msg);
        return;
    }
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    esgx_seal_keys keys;
    memset(&keys, 0, sizeof keys);
    int ok = open_input(shared, rq, fuel, &plain, &plain_len, &keys, res);
    if (ok) {
        exec_request run_rq = *rq;
        if (rq->sealed) {
            run_rq.input = plain;
            run_rq.input_len = plain_len;
        }
        ok = run_module(ex, &run_rq, esgx_modcache_entry_value(e), fuel, shared, random_key,
                        res);
    }
    esgx_crypto_wipe(random_key, sizeof random_key);
    /* the run may have compiled functions: the cache bound counts their code */
    esgx_modcache_set_cost(ex->cache, e,
                           esgx_wasm_module_memory_bytes(esgx_modcache_entry_value(e)));
    esgx_modcache_release(ex->cache, e);
    if (plain) {
        esgx_crypto_wipe(plain, plain_len);
        free(plain);
    }
    if (ok && rq->sealed) ok = seal_output(&keys, res);
    esgx_seal_keys_wipe(&keys);
    if (ok) sign_result(shared, res);
}
