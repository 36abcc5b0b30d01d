/*
 * make_proto_seeds.c: writes one channel frame of each message type, encoded by the
 * real codec (lib/proto), into DIR as seeds for fuzz_proto; plus "stream", all of them
 * back to back (the stream reader's input). Built and run by fuzz/make_seeds.sh only.
 *   make_proto_seeds DIR XPUB
 */
#include "esgx_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static esgx_bytes str(const char *s)
{
    esgx_bytes b = {(const uint8_t *)s, strlen(s)};
    return b;
}

static void put(const char *dir, const char *name, const esgx_msg *m, FILE *stream)
{
    uint8_t buf[8192];
    size_t n = 0;
    esgx_err e;
    if (esgx_proto_encode(m, buf, sizeof buf, &n, &e)) {
        fprintf(stderr, "make_proto_seeds: %s: %s\n", name, e.msg);
        exit(1);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n || fclose(f)) {
        perror(path);
        exit(1);
    }
    if (fwrite(buf, 1, n, stream) != n)
        exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 3 || strlen(argv[2]) != ESGX_PROTO_XPUB_LEN) {
        fprintf(stderr, "usage: make_proto_seeds DIR XPUB\n");
        return 2;
    }
    const char *dir = argv[1];
    char path[4096];
    snprintf(path, sizeof path, "%s/stream", dir);
    FILE *stream = fopen(path, "wb");
    if (!stream)
        return 1;
    static const uint8_t wasm[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    static const uint8_t output[] = "{\"ok\":true}";
    static uint8_t tree[64];
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_HELLO, m.u.hello.state = 1, m.u.hello.platform = str("sim");
    m.u.hello.xpub = str(argv[2]), m.u.hello.public_key[0] = 2;
    memset(m.u.hello.mrenclave, 0xa5, 32);
    put(dir, "hello", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_HELLO, m.u.hello.platform = str("gramine-sgx");
    put(dir, "hello_nokey", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_INIT_KEY, m.id = 1;
    put(dir, "init_key", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_KEY_STATUS, m.id = 1, m.u.key_status.state = 1;
    m.u.key_status.xpub = str(argv[2]), m.u.key_status.public_key[0] = 3;
    put(dir, "key_status", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_EXEC, m.id = 7, m.u.exec.fuel = 100000, m.u.exec.function = str("main");
    m.u.exec.input = str("{\"x\":1}"), m.u.exec.has_content = 1;
    m.u.exec.content.ptr = wasm, m.u.exec.content.len = sizeof wasm;
    put(dir, "exec_content", &m, stream);
    m.u.exec.has_content = 0, m.u.exec.decrypt = 1, m.u.exec.content.ptr = NULL;
    m.u.exec.content.len = 0;
    put(dir, "exec", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_NEED_CONTENT, m.id = 7;
    memset(m.u.need_content.module_hash, 0x42, 32);
    put(dir, "need_content", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_RESULT, m.id = 7, m.u.result.fuel_used = 1234;
    m.u.result.output.ptr = output, m.u.result.output.len = sizeof output - 1;
    m.u.result.tree.ptr = tree, m.u.result.tree.len = esgx_proto_tree_len(sizeof output - 1);
    if (m.u.result.tree.len > sizeof tree)
        return 1;
    put(dir, "result_ok", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_RESULT, m.id = 8, m.u.result.status = ESGX_RESULT_TRAP;
    m.u.result.code = str("out_of_fuel"), m.u.result.message = str("fuel exhausted");
    put(dir, "result_trap", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_STATS, m.id = 9;
    put(dir, "stats", &m, stream);
    m.type = ESGX_MSG_STATS_REPLY, m.u.stats.executions = 10, m.u.stats.cache_hits = 3;
    put(dir, "stats_reply", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_ATTEST_DOC, m.id = 10;
    put(dir, "attest_doc", &m, stream);
    m.type = ESGX_MSG_ATTEST_DOC_REPLY, m.u.attest_doc.state = 1;
    m.u.attest_doc.xpub = str(argv[2]), m.u.attest_doc.public_key[0] = 2;
    m.u.attest_doc.quote = str("not a real quote but bytes");
    put(dir, "attest_doc_reply", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_COLLATERAL_REQ, m.id = 11, m.u.collateral_req.ca = ESGX_PCK_CA_PLATFORM;
    put(dir, "collateral_req", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_COLLATERAL_REPLY, m.id = 11;
    m.u.collateral_reply.collateral = str("{\"version\":3}");
    put(dir, "collateral_reply", &m, stream);
    m.u.collateral_reply.status = ESGX_COLLATERAL_ERROR;
    m.u.collateral_reply.collateral = str(""), m.u.collateral_reply.error = str("pccs: 404");
    put(dir, "collateral_reply_error", &m, stream);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_SHUTDOWN;
    put(dir, "shutdown", &m, stream);
    return fclose(stream) ? 1 : 0;
}
