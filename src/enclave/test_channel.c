/*
 * test_channel.c: the real esgx-enclave process driven over a real socketpair with the
 * lib/proto codec, as esgxd does: HELLO without a key, MAC_REQ before and after the
 * key exists, INIT_KEY, the EXEC /
 * NEED_CONTENT / RESULT flow with pipelined requests, duplicate ids, STATS, SHUTDOWN;
 * a restart that unseals the same key; a HELLO that cannot be sent (exit 1); and the
 * fatal start-up errors (exit 78) for --init over an existing key and for a torn
 * sealed file (which is left untouched).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esgx_crypto.h"
#include "esgx_proto.h"
#include "test_util.h"

static char g_enclave[4200];
static char g_tmp[256];

typedef struct proc {
    pid_t pid;
    int fd;
    esgx_proto_reader rd;
} proc;

static int start_ex(proc *p, int init, const char *max_output);

static int start(proc *p, int init)
{
    return start_ex(p, init, NULL);
}

static int start_ex(proc *p, int init, const char *max_output)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return -1;
    p->pid = fork();
    if (p->pid == 0) {
        int fd = dup(sv[1]);   /* without CLOEXEC */
        char fds[16];
        snprintf(fds, sizeof fds, "%d", fd);
        char *argv[16];
        int n = 0;
        argv[n++] = g_enclave;
        argv[n++] = "--data-dir";
        argv[n++] = g_tmp;
        argv[n++] = "--channel-fd";
        argv[n++] = fds;
        argv[n++] = "--workers";
        argv[n++] = "2";
        argv[n++] = "--log-level";
        argv[n++] = "warn";
        if (init) {   /* and the interpreter, which HELLO must then name */
            argv[n++] = "--init";
            argv[n++] = "--tier";
            argv[n++] = "interp";
        }
        if (max_output) {
            argv[n++] = "--max-output";
            argv[n++] = (char *)max_output;
        }
        argv[n] = NULL;
        execv(g_enclave, argv);
        _exit(127);
    }
    close(sv[1]);
    p->fd = sv[0];
    esgx_proto_reader_init(&p->rd);
    return 0;
}

/* Runs the enclave with a read-only descriptor as its channel; returns its exit status. */
static int run_hello_fails(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDONLY);
        char fds[16];
        snprintf(fds, sizeof fds, "%d", fd);
        char *argv[] = {g_enclave, "--data-dir", g_tmp, "--channel-fd", fds,
                        "--log-level", "error", NULL};
        execv(g_enclave, argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int stop(proc *p)
{
    int status = 0;
    close(p->fd);
    waitpid(p->pid, &status, 0);
    esgx_proto_reader_free(&p->rd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int recv_msg(proc *p, esgx_msg *m)
{
    esgx_err err;
    int rc = esgx_proto_read(&p->rd, p->fd, m, &err);
    if (rc != 0) fprintf(stderr, "read: %s\n", err.msg);
    return rc;
}

static void send_simple(proc *p, int type, uint64_t id)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = (uint8_t)type;
    m.id = id;
    CHECK_EQ_INT(esgx_proto_send(p->fd, &m, NULL), 0);
}

static void send_exec(proc *p, uint64_t id, const uint8_t *code, size_t len, int with_content,
                      const char *fn, const char *input)
{
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_EXEC;
    m.id = id;
    esgx_blake3_hash(code, len, m.u.exec.module_hash);
    m.u.exec.function.ptr = (const uint8_t *)fn;
    m.u.exec.function.len = strlen(fn);
    m.u.exec.input.ptr = (const uint8_t *)input;
    m.u.exec.input.len = strlen(input);
    m.u.exec.has_content = (uint8_t)with_content;
    if (with_content) {
        m.u.exec.content.ptr = code;
        m.u.exec.content.len = len;
    }
    CHECK_EQ_INT(esgx_proto_send(p->fd, &m, NULL), 0);
}

/* Sends MAC_REQ (kind, 32 bytes of `fill`) and reads the MAC_REPLY into *m. */
static void mac_req(proc *p, uint64_t id, int kind, uint8_t fill, esgx_msg *m)
{
    esgx_msg q;
    memset(&q, 0, sizeof q);
    q.type = ESGX_MSG_MAC_REQ;
    q.id = id;
    q.u.mac_req.kind = (uint8_t)kind;
    memset(q.u.mac_req.data, fill, 32);
    CHECK_EQ_INT(esgx_proto_send(p->fd, &q, NULL), 0);
    CHECK_EQ_INT(recv_msg(p, m), 0);
    CHECK(m->type == ESGX_MSG_MAC_REPLY && m->id == id);
}

static uint8_t *assemble(size_t *len)
{
    const char *src = getenv("ESGX_SOURCE_DIR");
    char cmd[9000], out[4200];
    snprintf(out, sizeof out, "%s/tool.wasm", g_tmp);
    snprintf(cmd, sizeof cmd, "wat2wasm '%s/src/enclave/testdata/fn0_tool.wat' -o '%s'",
             src ? src : ".", out);
    if (system(cmd) != 0) exit(1);
    uint8_t *b = t_read_file(out, len);
    unlink(out);
    return b;
}

/* 1. A fresh enclave started with --init: HELLO without a key, EXEC not ready,
 * INIT_KEY creates the key once. Leaves p running; fills xpub and netkey. */
static void scenario_init(proc *p, const uint8_t *code, size_t len, char xpub[112],
                          uint8_t netkey[33])
{
    esgx_msg m;
    /* 1. Fresh node started with --init: HELLO without key, INIT_KEY creates it. */
    CHECK_EQ_INT(start(p, 1), 0);
    CHECK_EQ_INT(recv_msg(p, &m), 0);
    CHECK_EQ_INT(m.type, ESGX_MSG_HELLO);
    CHECK_EQ_INT(m.u.hello.state, ESGX_STATE_NO_KEY);
    CHECK(m.u.hello.platform.len == 3 && !memcmp(m.u.hello.platform.ptr, "sim", 3));
    CHECK_EQ_INT(m.u.hello.tier, ESGX_TIER_INTERP);   /* --tier interp, as resolved */
    uint8_t mrenclave[32];
    memcpy(mrenclave, m.u.hello.mrenclave, 32);
    size_t exe_len;
    uint8_t *exe = t_read_file(g_enclave, &exe_len), h[32];
    esgx_crypto_sha256(exe, exe_len, h);
    free(exe);
    CHECK(memcmp(h, mrenclave, 32) == 0);

    /* Without a key, EXEC answers not ready. */
    send_exec(p, 5, code, len, 1, "main", "");
    CHECK_EQ_INT(recv_msg(p, &m), 0);
    CHECK(m.type == ESGX_MSG_RESULT && m.id == 5 && m.u.result.status == ESGX_RESULT_NOT_READY);

    /* Without a key, MAC_REQ answers state no key and no MAC. */
    static const uint8_t zero[32];
    mac_req(p, 3, ESGX_MAC_TOKEN, 0x11, &m);
    CHECK(m.u.mac_reply.state == ESGX_STATE_NO_KEY && !memcmp(m.u.mac_reply.mac, zero, 32));

    send_simple(p, ESGX_MSG_INIT_KEY, 6);
    CHECK_EQ_INT(recv_msg(p, &m), 0);
    CHECK(m.type == ESGX_MSG_KEY_STATUS && m.id == 6);
    CHECK_EQ_INT(m.u.key_status.state, ESGX_STATE_READY);
    CHECK_EQ_INT(m.u.key_status.error.len, 0);
    CHECK_EQ_INT(m.u.key_status.xpub.len, 111);
    memcpy(xpub, m.u.key_status.xpub.ptr, 111);
    memcpy(netkey, m.u.key_status.public_key, 33);
    send_simple(p, ESGX_MSG_INIT_KEY, 7);   /* a second INIT_KEY is refused */
    CHECK_EQ_INT(recv_msg(p, &m), 0);
    CHECK(m.type == ESGX_MSG_KEY_STATUS && m.u.key_status.error.len > 0);

    /* With the key: a MAC, one per kind and data. */
    uint8_t tok[32], con[32];
    mac_req(p, 8, ESGX_MAC_TOKEN, 0x11, &m);
    CHECK(m.u.mac_reply.state == ESGX_STATE_READY && memcmp(m.u.mac_reply.mac, zero, 32));
    memcpy(tok, m.u.mac_reply.mac, 32);
    mac_req(p, 9, ESGX_MAC_CONTENT, 0x11, &m);
    memcpy(con, m.u.mac_reply.mac, 32);
    CHECK(m.u.mac_reply.state == ESGX_STATE_READY && memcmp(con, tok, 32));
    mac_req(p, 8, ESGX_MAC_TOKEN, 0x11, &m);
    CHECK(!memcmp(m.u.mac_reply.mac, tok, 32));
    mac_req(p, 10, ESGX_MAC_HELD, 0x11, &m);
    CHECK(m.u.mac_reply.state == ESGX_STATE_READY && memcmp(m.u.mac_reply.mac, tok, 32) &&
          memcmp(m.u.mac_reply.mac, con, 32));

}

/* 2. The EXEC flow on p: NEED_CONTENT then RESULT signed by netkey, pipelining,
 * duplicate ids, STATS; then SHUTDOWN. */
static void scenario_exec(proc *p, const uint8_t *code, size_t len, const uint8_t netkey[33])
{
    esgx_msg m;
    /* 2. EXEC flow: no content -> NEED_CONTENT; resend with content -> RESULT. */
    send_exec(p, 10, code, len, 0, "main", "x");
    CHECK_EQ_INT(recv_msg(p, &m), 0);
    CHECK(m.type == ESGX_MSG_NEED_CONTENT && m.id == 10);
    send_exec(p, 10, code, len, 1, "main", "x");
    CHECK_EQ_INT(recv_msg(p, &m), 0);
    CHECK(m.type == ESGX_MSG_RESULT && m.id == 10 && m.u.result.status == ESGX_RESULT_OK);
    CHECK(m.u.result.output.len == 31 &&
          !memcmp(m.u.result.output.ptr, "Hello, world! From, SGX WASM <3", 31));
    uint8_t d[32], pub[33];
    esgx_digest_response(m.u.result.input_hash, m.u.result.fuel_used, m.u.result.output_hash, d);
    CHECK_EQ_INT(esgx_ec_recover(d, m.u.result.signature, pub, NULL), 0);
    CHECK(memcmp(pub, netkey, 33) == 0);

    /* Pipelined: 20 EXECs back to back (cached now), answers matched by id. */
    int seen[20] = {0};
    for (int i = 0; i < 20; i++) send_exec(p, 100 + (uint64_t)i, code, len, 0, "echo", "pipelined");
    for (int i = 0; i < 20; i++) {
        CHECK_EQ_INT(recv_msg(p, &m), 0);
        CHECK(m.type == ESGX_MSG_RESULT && m.u.result.status == ESGX_RESULT_OK);
        CHECK(m.u.result.output.len == 9 && !memcmp(m.u.result.output.ptr, "pipelined", 9));
        if (m.id >= 100 && m.id < 120) seen[m.id - 100]++;
    }
    for (int i = 0; i < 20; i++) CHECK_EQ_INT(seen[i], 1);

    /* Duplicate id while the first is still running (a long fuel-burning loop). */
    esgx_msg lm;
    memset(&lm, 0, sizeof lm);
    lm.type = ESGX_MSG_EXEC;
    lm.id = 200;
    esgx_blake3_hash(code, len, lm.u.exec.module_hash);
    lm.u.exec.function.ptr = (const uint8_t *)"loop";
    lm.u.exec.function.len = 4;
    lm.u.exec.fuel = 200000000;
    CHECK_EQ_INT(esgx_proto_send(p->fd, &lm, NULL), 0);
    CHECK_EQ_INT(esgx_proto_send(p->fd, &lm, NULL), 0);
    int dup = 0, fuel_trap = 0;
    for (int i = 0; i < 2; i++) {
        CHECK_EQ_INT(recv_msg(p, &m), 0);
        CHECK(m.type == ESGX_MSG_RESULT && m.id == 200);
        if (m.u.result.code.len == 12 && !memcmp(m.u.result.code.ptr, "duplicate_id", 12)) dup++;
        if (m.u.result.code.len == 11 && !memcmp(m.u.result.code.ptr, "out_of_fuel", 11)) {
            fuel_trap++;
            CHECK_EQ_INT(m.u.result.fuel_used, 200000000);
        }
    }
    CHECK_EQ_INT(dup, 1);
    CHECK_EQ_INT(fuel_trap, 1);

    send_simple(p, ESGX_MSG_STATS, 300);
    CHECK_EQ_INT(recv_msg(p, &m), 0);
    CHECK(m.type == ESGX_MSG_STATS_REPLY && m.id == 300);
    CHECK(m.u.stats.executions >= 22 && m.u.stats.traps >= 1);
    CHECK(m.u.stats.cache_entries == 1 && m.u.stats.cache_hits >= 20);
    CHECK(m.u.stats.jit_refused == 0, "the interpreter refuses no function to the compiler");

    send_simple(p, ESGX_MSG_SHUTDOWN, 0);
    CHECK_EQ_INT(stop(p), 0);

}

/* 3. A restart unseals the key: the same xpub; then refusals of bad content and
 * frames, and a result too big for one frame. */
static void scenario_restart(const uint8_t *code, size_t len, const char xpub[112],
                             const uint8_t netkey[33])
{
    esgx_msg m;
    proc p;
    /* 3. Restart: the sealed key is unsealed, same xpub in HELLO. */
    CHECK_EQ_INT(start(&p, 0), 0);
    CHECK_EQ_INT(recv_msg(&p, &m), 0);
    CHECK(m.type == ESGX_MSG_HELLO && m.u.hello.state == ESGX_STATE_READY);
    CHECK(m.u.hello.xpub.len == 111 && !memcmp(m.u.hello.xpub.ptr, xpub, 111));
    CHECK(!memcmp(m.u.hello.public_key, netkey, 33));
    CHECK(m.u.hello.tier == ESGX_TIER_INTERP || m.u.hello.tier == ESGX_TIER_JIT,
          "HELLO names the tier it resolved without --tier (%u)", m.u.hello.tier);
    CHECK_EQ_INT(stop(&p), 0);   /* EOF on the channel: clean exit */

    /* Content that does not hash to the requested hash is refused; a malformed frame
     * makes the enclave exit cleanly (status 1, no crash) so the host restarts it. */
    CHECK_EQ_INT(start(&p, 0), 0);
    CHECK_EQ_INT(recv_msg(&p, &m), 0);
    {
        esgx_msg x;
        memset(&x, 0, sizeof x);
        x.type = ESGX_MSG_EXEC;
        x.id = 1;
        memset(x.u.exec.module_hash, 0x77, 32);
        x.u.exec.function.ptr = (const uint8_t *)"main";
        x.u.exec.function.len = 4;
        x.u.exec.has_content = 1;
        x.u.exec.content.ptr = code;
        x.u.exec.content.len = len;
        CHECK_EQ_INT(esgx_proto_send(p.fd, &x, NULL), 0);
        CHECK_EQ_INT(recv_msg(&p, &m), 0);
        CHECK(m.type == ESGX_MSG_RESULT && m.u.result.status == ESGX_RESULT_BAD_REQUEST);
        CHECK(m.u.result.code.len == 13 && !memcmp(m.u.result.code.ptr, "hash_mismatch", 13));
    }
    static const uint8_t garbage[] = {20, 0, 0, 0, 9, 4, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
                                      0, 0, 0, 0, 0, 0, 0, 0};
    CHECK(write(p.fd, garbage, sizeof garbage) == (ssize_t)sizeof garbage);
    CHECK_EQ_INT(stop(&p), 1);

    /* A result too big for one channel frame (64 MiB output + tree) is reported as an
     * internal error for its id instead of being lost. */
    CHECK_EQ_INT(start_ex(&p, 0, "67108864"), 0);
    CHECK_EQ_INT(recv_msg(&p, &m), 0);
    {
        uint32_t chunks = 1024;
        esgx_msg x;
        memset(&x, 0, sizeof x);
        x.type = ESGX_MSG_EXEC;
        x.id = 77;
        esgx_blake3_hash(code, len, x.u.exec.module_hash);
        x.u.exec.function.ptr = (const uint8_t *)"out_n";
        x.u.exec.function.len = 5;
        x.u.exec.input.ptr = (const uint8_t *)&chunks;
        x.u.exec.input.len = 4;
        x.u.exec.has_content = 1;
        x.u.exec.content.ptr = code;
        x.u.exec.content.len = len;
        CHECK_EQ_INT(esgx_proto_send(p.fd, &x, NULL), 0);
        CHECK_EQ_INT(recv_msg(&p, &m), 0);
        CHECK(m.type == ESGX_MSG_RESULT && m.id == 77);
        CHECK_EQ_INT(m.u.result.status, ESGX_RESULT_INTERNAL);
        chunks = 1000;   /* 62.5 MiB fits */
        CHECK_EQ_INT(esgx_proto_send(p.fd, &x, NULL), 0);
        CHECK_EQ_INT(recv_msg(&p, &m), 0);
        CHECK(m.type == ESGX_MSG_RESULT && m.id == 77);
        CHECK_EQ_INT(m.u.result.status, ESGX_RESULT_OK);
        CHECK_EQ_INT(m.u.result.output.len, 1000u * 65536u);
    }
    CHECK_EQ_INT(stop(&p), 0);

}

/* 4. Exits: HELLO cannot be sent (1), --init over a key (78), a torn sealed file (78,
 * the file untouched). */
static void scenario_exits(void)
{
    esgx_msg m;
    proc p;
    /* 4a. HELLO cannot be sent (the channel fd is read-only): exit 1 (a failure the host
     * restarts) through the one teardown, not a hang, a signal or 78. */
    CHECK_EQ_INT(run_hello_fails(), 1);

    /* 4. --init with an existing key: exit 78 before HELLO. */
    CHECK_EQ_INT(start(&p, 1), 0);
    CHECK(recv_msg(&p, &m) != 0);
    CHECK_EQ_INT(stop(&p), 78);

    /* 5. Torn sealed file: exit 78, file untouched. */
    char path[4300];
    snprintf(path, sizeof path, "%s/shared_key.sealed", g_tmp);
    CHECK_EQ_INT(truncate(path, 50), 0);
    CHECK_EQ_INT(start(&p, 0), 0);
    CHECK(recv_msg(&p, &m) != 0);
    CHECK_EQ_INT(stop(&p), 78);
    struct stat st;
    CHECK(stat(path, &st) == 0 && st.st_size == 50);

}

int main(void)
{
    const char *build = getenv("ESGX_BUILD_DIR");
    snprintf(g_enclave, sizeof g_enclave, "%s/esgx-enclave", build ? build : ".");
    if (access(g_enclave, X_OK) != 0) {
        fprintf(stderr, "no %s: skipping\n", g_enclave);
        return 77;
    }
    if (system("wat2wasm --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "wat2wasm not found: skipping\n");
        return 77;
    }
    signal(SIGPIPE, SIG_IGN);
    t_tmpdir(g_tmp, sizeof g_tmp, "channel");
    size_t len;
    uint8_t *code = assemble(&len);
    proc p;
    char xpub[112] = {0};
    uint8_t netkey[33];
    scenario_init(&p, code, len, xpub, netkey);
    scenario_exec(&p, code, len, netkey);
    scenario_restart(code, len, xpub, netkey);
    scenario_exits();
    free(code);
    t_rmdir(g_tmp);
    T_DONE("enclave_channel");
}
