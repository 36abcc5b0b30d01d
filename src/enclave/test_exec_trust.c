/*
 * test_exec_trust.c: what the executor checks so that the host cannot change an answer
 * that verifies: a call by name runs only on a record that verifies against this
 * enclave's network key (and runs nothing, not even a content request, otherwise), and
 * its input_hash binds name, owner and seq; a sealed call opens only for its module,
 * function, fuel and name, its output comes back sealed (opened here with the client's
 * keys) and the signature covers the sealed bytes; random_get is the same stream for
 * the same request and another for another input.
 */
#define _GNU_SOURCE
#include <unistd.h>

#include "esgx_crypto.h"
#include "executor.h"
#include "keystore.h"
#include "platform.h"
#include "test_exec_env.h"

static t_exec_env g_env;

/* Echoes its input, then 32 bytes of random_get, then 16 more. */
static const char GUEST[] =
    "(module\n"
    " (import \"fn0\" \"input_data_size\" (func $size (result i32)))\n"
    " (import \"fn0\" \"input_data_copy\" (func $copy (param i32 i32 i32) (result i32)))\n"
    " (import \"fn0\" \"output_data_append\" (func $out (param i32 i32) (result i32)))\n"
    " (import \"wasi_snapshot_preview1\" \"random_get\" (func $rand (param i32 i32) (result i32)))\n"
    " (memory (export \"memory\") 2)\n"
    " (func (export \"main\") (param i32 i32) (result i32) (local $n i32)\n"
    "  (local.set $n (call $size))\n"
    "  (drop (call $copy (i32.const 1024) (i32.const 0) (local.get $n)))\n"
    "  (drop (call $out (i32.const 1024) (local.get $n)))\n"
    "  (drop (call $rand (i32.const 0) (i32.const 32)))\n"
    "  (drop (call $rand (i32.const 32) (i32.const 16)))\n"
    "  (drop (call $out (i32.const 0) (i32.const 48)))\n"
    "  (i32.const 0)))\n";

static uint8_t *assemble(size_t *len)
{
    char in[512], out[512], cmd[1200];
    snprintf(in, sizeof in, "%s/guest.wat", g_env.tmp);
    snprintf(out, sizeof out, "%s/guest.wasm", g_env.tmp);
    t_write_file(in, GUEST, strlen(GUEST));
    snprintf(cmd, sizeof cmd, "wat2wasm '%s' -o '%s'", in, out);
    if (system(cmd) != 0) exit(1);
    return t_read_file(out, len);
}

typedef struct call {
    const uint8_t *code;
    size_t len;
    const void *input;
    size_t input_len;
    uint64_t fuel;
    int sealed;
    const esgx_name_record *rec;   /* NULL: by hash */
    int asked_content;             /* out: the executor asked for content */
} call;

static void run_call(call *c, exec_result *r)
{
    exec_request rq;
    memset(&rq, 0, sizeof rq);
    esgx_blake3_hash(c->code, c->len, rq.module_hash);
    rq.fuel = c->fuel;
    rq.function = "main";
    rq.function_len = 4;
    rq.input = c->input;
    rq.input_len = c->input_len;
    rq.sealed = c->sealed;
    if (c->rec) {
        memcpy(rq.module_hash, c->rec->module_hash, 32);
        rq.decrypt = c->rec->encrypted;
        rq.has_record = 1;
        memcpy(rq.record_name, c->rec->name, c->rec->name_len + 1);
        rq.record_name_len = c->rec->name_len;
        memcpy(rq.record_owner, c->rec->owner, 33);
        rq.record_seq = c->rec->seq;
        memcpy(rq.record_network, c->rec->network, 33);
        memcpy(rq.record_signature, c->rec->signature, 65);
    }
    c->asked_content = 0;
    esgx_executor_run(g_env.ex, &rq, r);
    if (!r->need_content) return;
    c->asked_content = 1;
    rq.has_content = 1;
    rq.content = c->code;
    rq.content_len = c->len;
    esgx_executor_run(g_env.ex, &rq, r);
}

static void make_record(esgx_name_record *rec, const char *name, const uint8_t hash[32],
                        uint64_t seq, const uint8_t seckey[32])
{
    memset(rec, 0, sizeof *rec);
    rec->name_len = strlen(name);
    memcpy(rec->name, name, rec->name_len);
    memcpy(rec->network, g_env.ks.shared.public_key, 33);
    memcpy(rec->module_hash, hash, 32);
    rec->seq = seq;
    CHECK_RC(esgx_name_record_sign(rec, seckey, NULL), 0);
}

/* The signature recovers to the network key over the digest of what was returned. */
static void check_signed(const exec_result *r)
{
    uint8_t h[32], digest[32], pub[33];
    esgx_blake3_hash(r->output, r->output_len, h);
    CHECK(!memcmp(h, r->output_hash, 32), "output hash covers the bytes returned");
    esgx_digest_response(r->input_hash, r->fuel_used, r->output_hash, digest);
    CHECK_RC(esgx_ec_recover(digest, r->signature, pub, NULL), 0);
    CHECK(!memcmp(pub, g_env.ks.shared.public_key, 33), "signed by the network key");
}

static void test_by_name(const uint8_t *code, size_t len)
{
    uint8_t owner[32], other[32], hash[32];
    CHECK_RC(esgx_ec_seckey_generate(owner, NULL), 0);
    CHECK_RC(esgx_ec_seckey_generate(other, NULL), 0);
    esgx_blake3_hash(code, len, hash);
    esgx_name_record rec;
    make_record(&rec, "pay", hash, 3, owner);
    call c = {.code = code, .len = len, .input = "hi", .input_len = 2, .rec = &rec};
    exec_result r;
    run_call(&c, &r);
    CHECK_EQ_INT(r.status, EXEC_OK);
    check_signed(&r);
    uint8_t want[32];
    esgx_name_binding nb = {.name = "pay", .name_len = 3, .seq = 3};
    memcpy(nb.owner, rec.owner, 33);
    CHECK_RC(esgx_digest_input_hash_ex(hash, 0, ESGX_DEFAULT_FUEL, "main", 4,
                                       (const uint8_t *)"hi", 2, &nb, 0, want, NULL), 0);
    CHECK(!memcmp(want, r.input_hash, 32), "input_hash binds name, owner and seq");
    CHECK_RC(esgx_digest_input_hash(hash, 0, ESGX_DEFAULT_FUEL, "main", 4,
                                    (const uint8_t *)"hi", 2, want, NULL), 0);
    CHECK(memcmp(want, r.input_hash, 32) != 0, "differs from the call by hash");
    esgx_exec_result_free(&r);

    /* every tampering is refused before anything runs or is asked for */
    for (int k = 0; k < 6; k++) {
        esgx_name_record bad = rec;
        const char *why = "";
        switch (k) {
        case 0: bad.module_hash[0] ^= 1; why = "hash swapped"; break;
        case 1: memcpy(bad.name, "pax", 3); why = "another name"; break;
        case 2: bad.seq = 4; why = "seq raised"; break;
        case 3: bad.encrypted = 1; why = "encrypted flag"; break;
        case 4: bad.network[5] ^= 1; why = "another network"; break;
        case 5: make_record(&bad, "pay", hash, 3, other);
                memcpy(bad.owner, rec.owner, 33); why = "signed by another key"; break;
        }
        if (k == 0) {   /* a module the enclave has never seen: no content request */
            call c2 = {.code = code, .len = len, .input = "hi", .input_len = 2, .rec = &bad};
            run_call(&c2, &r);
            CHECK(!c2.asked_content, "%s: no content asked", why);
        } else {
            c.rec = &bad;
            run_call(&c, &r);
        }
        CHECK(r.status != EXEC_OK && !strcmp(r.code, "bad_record"), "%s: %s %s", why, r.code,
              r.message);
        CHECK(strstr(r.message, "'pay'") || strstr(r.message, "'pax'"), "%s", r.message);
        CHECK(r.output == NULL && r.fuel_used == 0, "%s: nothing ran", why);
        esgx_exec_result_free(&r);
    }
    /* another owner's valid record runs, but binds that owner (the client refuses it) */
    esgx_name_record theirs;
    make_record(&theirs, "pay", hash, 9, other);
    c.rec = &theirs;
    run_call(&c, &r);
    CHECK_EQ_INT(r.status, EXEC_OK);
    memcpy(nb.owner, theirs.owner, 33);
    nb.seq = 9;
    CHECK_RC(esgx_digest_input_hash_ex(hash, 0, ESGX_DEFAULT_FUEL, "main", 4,
                                       (const uint8_t *)"hi", 2, &nb, 0, want, NULL), 0);
    CHECK(!memcmp(want, r.input_hash, 32));
    esgx_exec_result_free(&r);
    esgx_crypto_wipe(owner, 32);
    esgx_crypto_wipe(other, 32);
}

static void test_sealed(const uint8_t *code, size_t len, const esgx_name_record *rec)
{
    const char *msg = "a private question";
    esgx_seal_binding b = {.function = "main", .function_len = 4, .fuel = 5000000,
                           .name = rec ? rec->name : NULL, .name_len = rec ? rec->name_len : 0};
    esgx_blake3_hash(code, len, b.module_hash);
    uint8_t sealed[256];
    size_t sl = 0;
    esgx_seal_keys keys;
    CHECK_RC(esgx_seal_request(g_env.ks.shared.public_key, &b, (const uint8_t *)msg, strlen(msg),
                               sealed, sizeof sealed, &sl, &keys, NULL), 0);
    call c = {.code = code, .len = len, .input = sealed, .input_len = sl, .fuel = 5000000,
              .sealed = 1, .rec = rec};
    exec_result r;
    run_call(&c, &r);
    CHECK_EQ_INT(r.status, EXEC_OK);
    check_signed(&r);
    CHECK(r.output_len == strlen(msg) + 48 + ESGX_SEAL_RESPONSE_OVERHEAD);
    CHECK(!memmem(r.output, r.output_len, msg, strlen(msg)), "the output travels sealed");
    uint8_t want[32], plain[256];
    esgx_name_binding nb = {0};
    if (rec) {
        nb.name = rec->name;
        nb.name_len = rec->name_len;
        memcpy(nb.owner, rec->owner, 33);
        nb.seq = rec->seq;
    }
    CHECK_RC(esgx_digest_input_hash_ex(b.module_hash, 0, 5000000, "main", 4, sealed, sl,
                                       rec ? &nb : NULL, 1, want, NULL), 0);
    CHECK(!memcmp(want, r.input_hash, 32), "input_hash covers the sealed bytes");
    size_t pl = 0;
    CHECK_RC(esgx_seal_open_response(&keys, r.input_hash, r.output, r.output_len, plain,
                                     sizeof plain, &pl, NULL), 0);
    CHECK(pl == strlen(msg) + 48 && !memcmp(plain, msg, strlen(msg)), "the client opens it");
    /* the same sealed request again: the same bytes (deterministic nonce and randomness) */
    exec_result r2;
    run_call(&c, &r2);
    CHECK(r2.status == EXEC_OK && r2.output_len == r.output_len &&
          !memcmp(r2.output, r.output, r.output_len));
    esgx_exec_result_free(&r2);
    esgx_exec_result_free(&r);
    /* replayed into another module, another fuel limit or as a call by hash: refused */
    c.fuel = 5000001;
    run_call(&c, &r);
    CHECK(!strcmp(r.code, "bad_sealed_input") && r.output == NULL, "%s", r.code);
    CHECK(strstr(r.message, "module"), "%s", r.message);
    esgx_exec_result_free(&r);
    c.fuel = 5000000;
    if (!rec) {   /* another module (an empty one): the binding's module hash differs */
        static const uint8_t tiny[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
        call c3 = c;
        c3.code = tiny;
        c3.len = sizeof tiny;
        run_call(&c3, &r);
        CHECK(!strcmp(r.code, "bad_sealed_input"), "another module: %s %s", r.code,
              r.message);
        esgx_exec_result_free(&r);
    }
    sealed[sl - 1] ^= 1;
    run_call(&c, &r);
    CHECK(!strcmp(r.code, "bad_sealed_input"), "tampered: %s", r.code);
    esgx_exec_result_free(&r);
    c.input_len = 10;
    run_call(&c, &r);
    CHECK(!strcmp(r.code, "bad_sealed_input") && strstr(r.message, "shorter"), "%s",
          r.message);
    esgx_exec_result_free(&r);
    esgx_seal_keys_wipe(&keys);
}

static void test_random(const uint8_t *code, size_t len)
{
    exec_result a, b, d;
    call c = {.code = code, .len = len, .input = "x", .input_len = 1};
    run_call(&c, &a);
    run_call(&c, &b);
    c.input = "y";
    run_call(&c, &d);
    CHECK(a.status == EXEC_OK && b.status == EXEC_OK && d.status == EXEC_OK);
    CHECK(a.output_len == 49 && b.output_len == 49 && d.output_len == 49);
    if (a.output_len == 49 && b.output_len == 49 && d.output_len == 49) {
        CHECK(!memcmp(a.output + 1, b.output + 1, 48), "same request, same random bytes");
        CHECK(memcmp(a.output + 1, d.output + 1, 32) != 0, "another input, other bytes");
        CHECK(memcmp(a.output + 1, a.output + 33, 16) != 0, "the stream goes on");
        /* the stream is the documented one: keyed by k_rand, module hash and input_hash */
        uint8_t k_rand[32], sk[32], want[48], mh[32];
        esgx_blake3_hash(code, len, mh);
        CHECK_RC(esgx_random_key_derive(g_env.ks.shared.private_key, k_rand, NULL), 0);
        CHECK_RC(esgx_random_stream_key(k_rand, mh, a.input_hash, sk, NULL), 0);
        esgx_random_stream_read(sk, 0, want, 48);
        CHECK(!memcmp(want, a.output + 1, 48), "the documented stream");
        esgx_crypto_wipe(k_rand, 32);
    }
    esgx_exec_result_free(&a);
    esgx_exec_result_free(&b);
    esgx_exec_result_free(&d);
}

int main(void)
{
    int rc = t_exec_env_open(&g_env, "exectrust", 0);
    if (rc) return rc;
    size_t len = 0;
    uint8_t *code = assemble(&len);
    test_by_name(code, len);
    test_sealed(code, len, NULL);
    uint8_t owner[32], hash[32];
    CHECK_RC(esgx_ec_seckey_generate(owner, NULL), 0);
    esgx_blake3_hash(code, len, hash);
    esgx_name_record rec;
    make_record(&rec, "secret-fn", hash, 1, owner);
    test_sealed(code, len, &rec);
    test_random(code, len);
    free(code);
    t_exec_env_close(&g_env);
    T_DONE("enclave_exec_trust");
}
