/*
 * test_proto.c: round trips of every channel message, strict rejection of malformed
 * frames (every truncation, every single-byte corruption of a sample of frames, random
 * garbage), stream I/O over a real socketpair (pipelined small frames and one 20 MiB
 * frame written by another thread), and the response header line.
 */
#include "esgx_proto.h"
#include "esgx_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static esgx_bytes B(const void *p, size_t n)
{
    esgx_bytes b = {p, n};
    return b;
}

static esgx_bytes S(const char *s)
{
    return B(s, strlen(s));
}

static int bytes_eq(esgx_bytes a, esgx_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static const char XPUB[] =
    "xpub6CUGRUonZSQ4TWtTMmzXdrXDtypWKiKrhko4egpiMZbpiaQL2jkwSB1icqYh2cfDfVxdx4df189oLKnC5fSwqPfgyP3hooxujYzAu3fDVmz";

/* A sample of valid messages of every type. */
static size_t sample_msgs(esgx_msg *m, uint8_t *big, size_t big_len)
{
    size_t n = 0;
    memset(m, 0, 24 * sizeof *m);
    m[n].type = ESGX_MSG_HELLO;
    m[n].u.hello.state = 1;
    m[n].u.hello.platform = S("sim");
    memset(m[n].u.hello.mrenclave, 0xaa, 32);
    memset(m[n].u.hello.mrsigner, 0xbb, 32);
    m[n].u.hello.xpub = S(XPUB);
    m[n].u.hello.public_key[0] = 2;
    n++;
    m[n].type = ESGX_MSG_HELLO;
    m[n].u.hello.state = 0;
    m[n].u.hello.platform = S("gramine-sgx");
    n++;
    m[n].type = ESGX_MSG_INIT_KEY;
    m[n].id = 7;
    n++;
    m[n].type = ESGX_MSG_KEY_STATUS;
    m[n].id = 7;
    m[n].u.key_status.state = 0;
    m[n].u.key_status.error = S("sealed key exists");
    n++;
    m[n].type = ESGX_MSG_EXEC;
    m[n].id = 0x0102030405060708ull;
    memset(m[n].u.exec.module_hash, 0x11, 32);
    m[n].u.exec.decrypt = 1;
    m[n].u.exec.fuel = 123456789;
    m[n].u.exec.function = S("main");
    m[n].u.exec.input = S("foo");
    n++;
    m[n] = m[n - 1];
    m[n].u.exec.has_content = 1;
    m[n].u.exec.content = B(big, big_len);
    m[n].u.exec.input = B(big, 1500);
    n++;
    m[n].type = ESGX_MSG_NEED_CONTENT;
    m[n].id = 9;
    memset(m[n].u.need_content.module_hash, 0x22, 32);
    n++;
    m[n].type = ESGX_MSG_RESULT;
    m[n].id = 9;
    m[n].u.result.status = ESGX_RESULT_OK;
    m[n].u.result.fuel_used = 42;
    memset(m[n].u.result.input_hash, 1, 32);
    memset(m[n].u.result.output_hash, 2, 32);
    memset(m[n].u.result.signature, 3, 65);
    m[n].u.result.tree = B(big, 32);
    m[n].u.result.output = S("Hello, world!");
    n++;
    m[n].type = ESGX_MSG_RESULT;
    m[n].id = 10;
    m[n].u.result.status = ESGX_RESULT_TRAP;
    m[n].u.result.code = S("out_of_fuel");
    m[n].u.result.message = S("out of fuel after 1000 units");
    m[n].u.result.fuel_used = 1000;
    n++;
    m[n].type = ESGX_MSG_STATS;
    m[n].id = 11;
    n++;
    m[n].type = ESGX_MSG_STATS_REPLY;
    m[n].id = 11;
    m[n].u.stats = (esgx_msg_stats_reply){1, 2, 3, 4, 5, 0};   /* optional fields: below */
    n++;
    m[n].type = ESGX_MSG_SHUTDOWN;
    m[n].id = 12;
    n++;
    m[n].type = ESGX_MSG_ATTEST_DOC;
    m[n].id = 13;
    n++;
    m[n].type = ESGX_MSG_ATTEST_DOC_REPLY;
    m[n].id = 13;
    m[n].u.attest_doc.state = 1;
    m[n].u.attest_doc.xpub = S(XPUB);
    m[n].u.attest_doc.public_key[0] = 3;
    m[n].u.attest_doc.quote = B(big, 1200);
    n++;
    m[n].type = ESGX_MSG_ATTEST_DOC_REPLY;
    m[n].id = 14;
    m[n].u.attest_doc.error = S("the enclave has no network key yet");
    n++;
    m[n].type = ESGX_MSG_MAC_REQ;
    m[n].id = 15;
    m[n].u.mac_req.kind = ESGX_MAC_TOKEN;
    memset(m[n].u.mac_req.data, 0x33, 32);
    n++;
    m[n].type = ESGX_MSG_MAC_REQ;
    m[n].id = 16;
    m[n].u.mac_req.kind = ESGX_MAC_CONTENT;
    memset(m[n].u.mac_req.data, 0x44, 32);
    n++;
    m[n].type = ESGX_MSG_MAC_REPLY;
    m[n].id = 15;
    m[n].u.mac_reply.state = ESGX_STATE_READY;
    memset(m[n].u.mac_reply.mac, 0x55, 32);
    n++;
    m[n].type = ESGX_MSG_MAC_REPLY;
    m[n].id = 16;   /* no key: state 0, mac zeros */
    n++;
    return n;
}

static int msg_eq(const esgx_msg *a, const esgx_msg *b)
{
    if (a->type != b->type || a->id != b->id) return 0;
    switch (a->type) {
    case ESGX_MSG_HELLO: {
        const esgx_msg_hello *x = &a->u.hello, *y = &b->u.hello;
        return x->state == y->state && bytes_eq(x->platform, y->platform) &&
               !memcmp(x->mrenclave, y->mrenclave, 32) && !memcmp(x->mrsigner, y->mrsigner, 32) &&
               bytes_eq(x->xpub, y->xpub) && !memcmp(x->public_key, y->public_key, 33) &&
               x->tier == y->tier;
    }
    case ESGX_MSG_KEY_STATUS: {
        const esgx_msg_key_status *x = &a->u.key_status, *y = &b->u.key_status;
        return x->state == y->state && bytes_eq(x->xpub, y->xpub) &&
               !memcmp(x->public_key, y->public_key, 33) && bytes_eq(x->error, y->error);
    }
    case ESGX_MSG_EXEC: {
        const esgx_msg_exec *x = &a->u.exec, *y = &b->u.exec;
        return !memcmp(x->module_hash, y->module_hash, 32) && x->decrypt == y->decrypt &&
               x->fuel == y->fuel && bytes_eq(x->function, y->function) &&
               bytes_eq(x->input, y->input) && x->has_content == y->has_content &&
               bytes_eq(x->content, y->content) && x->capture_logs == y->capture_logs &&
               x->sealed == y->sealed && x->has_record == y->has_record &&
               (!x->has_record ||
                (bytes_eq(x->record_name, y->record_name) &&
                 !memcmp(x->record_owner, y->record_owner, 33) &&
                 x->record_seq == y->record_seq &&
                 !memcmp(x->record_network, y->record_network, 33) &&
                 !memcmp(x->record_signature, y->record_signature, 65)));
    }
    case ESGX_MSG_NEED_CONTENT:
        return !memcmp(a->u.need_content.module_hash, b->u.need_content.module_hash, 32);
    case ESGX_MSG_RESULT: {
        const esgx_msg_result *x = &a->u.result, *y = &b->u.result;
        if (x->status != y->status || !bytes_eq(x->code, y->code) ||
            !bytes_eq(x->message, y->message) || x->fuel_used != y->fuel_used ||
            !bytes_eq(x->logs, y->logs))
            return 0;
        if (x->status) return 1;
        return !memcmp(x->input_hash, y->input_hash, 32) &&
               !memcmp(x->output_hash, y->output_hash, 32) &&
               !memcmp(x->signature, y->signature, 65) && bytes_eq(x->tree, y->tree) &&
               bytes_eq(x->output, y->output);
    }
    case ESGX_MSG_STATS_REPLY:
        return !memcmp(&a->u.stats, &b->u.stats, sizeof a->u.stats);
    case ESGX_MSG_ATTEST_DOC_REPLY: {
        const esgx_msg_attest_doc *x = &a->u.attest_doc, *y = &b->u.attest_doc;
        return x->state == y->state && bytes_eq(x->xpub, y->xpub) &&
               !memcmp(x->public_key, y->public_key, 33) && bytes_eq(x->quote, y->quote) &&
               bytes_eq(x->error, y->error);
    }
    case ESGX_MSG_MAC_REQ:
        return a->u.mac_req.kind == b->u.mac_req.kind &&
               !memcmp(a->u.mac_req.data, b->u.mac_req.data, 32);
    case ESGX_MSG_MAC_REPLY:
        return a->u.mac_reply.state == b->u.mac_reply.state &&
               !memcmp(a->u.mac_reply.mac, b->u.mac_reply.mac, 32);
    default:
        return 1;
    }
}

static uint8_t *encode_alloc(const esgx_msg *m, size_t *len)
{
    size_t n = esgx_proto_encoded_size(m);
    if (!n) return NULL;
    uint8_t *buf = malloc(n);
    esgx_err err;
    if (esgx_proto_encode(m, buf, n, len, &err)) {
        fprintf(stderr, "encode: %s\n", err.msg);
        free(buf);
        return NULL;
    }
    return buf;
}

static void test_roundtrip(uint8_t *big, size_t big_len)
{
    esgx_msg m[24];
    size_t n = sample_msgs(m, big, 2000);
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        uint8_t *f = encode_alloc(&m[i], &len);
        CHECK(f != NULL);
        if (!f) continue;
        esgx_msg d;
        esgx_err err;
        int rc = esgx_proto_decode(f, len, &d, &err);
        if (rc) fprintf(stderr, "decode %s: %s\n", esgx_proto_type_name(m[i].type), err.msg);
        CHECK(rc == 0);
        CHECK(rc == 0 && msg_eq(&m[i], &d));
        /* A buffer one byte short is refused. */
        CHECK(esgx_proto_encode(&m[i], f, len - 1, NULL, &err) == ESGX_PROTO_E_BUFFER);
        free(f);
    }
    (void)big_len;
}

static void test_invalid_encode(void)
{
    esgx_msg m;
    esgx_err err;
    uint8_t buf[4096];
    memset(&m, 0, sizeof m);
    m.type = 99;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == ESGX_PROTO_E_TYPE);
    CHECK(esgx_proto_encoded_size(&m) == 0);
    m.type = ESGX_MSG_EXEC;
    m.u.exec.function = S("");
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == ESGX_PROTO_E_ARG);
    char longname[300];
    memset(longname, 'a', sizeof longname);
    m.u.exec.function = B(longname, 256);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == ESGX_PROTO_E_ARG);
    m.u.exec.function = B(longname, 255);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == 0);
    m.u.exec.function = B("ma\0in", 5);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == ESGX_PROTO_E_ARG);
    m.u.exec.function = S("main");
    m.u.exec.decrypt = 2;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == ESGX_PROTO_E_ARG);
    m.u.exec.decrypt = 0;
    m.u.exec.content = S("x");
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == ESGX_PROTO_E_ARG);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_RESULT;
    m.u.result.status = ESGX_RESULT_OK;
    m.u.result.tree = B(buf, 64);
    CHECK(esgx_proto_encode(&m, buf + 1024, 2048, NULL, &err) == ESGX_PROTO_E_ARG);
    m.u.result.status = ESGX_RESULT_TRAP; /* trap without a code */
    CHECK(esgx_proto_encode(&m, buf + 1024, 2048, NULL, &err) == ESGX_PROTO_E_ARG);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_HELLO;
    m.u.hello.platform = S("sim");
    m.u.hello.state = 1; /* ready without xpub */
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == ESGX_PROTO_E_ARG);
    m.u.hello.state = 0;
    m.u.hello.public_key[5] = 1; /* no key but a public key */
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, NULL, &err) == ESGX_PROTO_E_ARG);
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_ATTEST_DOC_REPLY;
    m.u.attest_doc.quote = B(buf, 10); /* no key but a quote */
    CHECK(esgx_proto_encode(&m, buf + 1024, 2048, NULL, &err) == ESGX_PROTO_E_ARG);
}

/* A decoded message encodes back to exactly the bytes it came from (canonical form). */
static int reencodes_to(const esgx_msg *m, const uint8_t *frame, size_t len)
{
    size_t n = 0;
    uint8_t *g = encode_alloc(m, &n);
    int same = g && n == len && memcmp(g, frame, len) == 0;
    free(g);
    return same;
}

static void test_malformed(void)
{
    esgx_msg m[24];
    uint8_t big[2000];
    memset(big, 0x5a, sizeof big);
    size_t n = sample_msgs(m, big, 100);
    esgx_err err;
    esgx_msg d;
    unsigned seed = 12345;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        uint8_t *f = encode_alloc(&m[i], &len);
        if (!f) continue;
        /* Every truncation is refused (with the length prefix fixed up, too). */
        for (size_t cut = 0; cut < len; cut++) {
            CHECK(esgx_proto_decode(f, cut, &d, &err) != 0);
            if (cut >= 20) {
                uint8_t *g = malloc(cut);
                memcpy(g, f, cut);
                uint32_t l = (uint32_t)(cut - 4);
                g[0] = (uint8_t)l, g[1] = (uint8_t)(l >> 8), g[2] = (uint8_t)(l >> 16),
                g[3] = (uint8_t)(l >> 24);
                int rc = esgx_proto_decode(g, cut, &d, &err);
                if (rc == 0) fprintf(stderr, "truncated %s at %zu accepted\n",
                                     esgx_proto_type_name(m[i].type), cut);
                CHECK(rc != 0);
                free(g);
            }
        }
        /* Trailing bytes are refused. */
        uint8_t *g = malloc(len + 1);
        memcpy(g, f, len);
        g[len] = 0;
        uint32_t l = (uint32_t)(len + 1 - 4);
        memcpy(g, &l, 4); /* little-endian host */
        CHECK(esgx_proto_decode(g, len + 1, &d, &err) == ESGX_PROTO_E_FORMAT);
        free(g);
        /* Single-byte corruptions: never crash; header corruptions always refused. */
        for (size_t pos = 0; pos < len && pos < 400; pos++) {
            uint8_t save = f[pos];
            for (int k = 0; k < 4; k++) {
                seed = seed * 1103515245u + 12345u;
                f[pos] = (uint8_t)(k == 0 ? save ^ 0x80 : k == 1 ? 0xff : (seed >> 16));
                if (f[pos] == save) continue;
                int rc = esgx_proto_decode(f, len, &d, &err);
                if (pos < 4 || pos == 4 || pos == 6 || pos == 7 || (pos >= 16 && pos < 20))
                    CHECK(rc != 0);
                if (rc == 0) CHECK(reencodes_to(&d, f, len));
            }
            f[pos] = save;
        }
        free(f);
    }
    /* Specific header faults. */
    uint8_t h[20] = {16, 0, 0, 0, 1, ESGX_MSG_STATS};
    CHECK(esgx_proto_decode(h, 20, &d, &err) == 0 && d.type == ESGX_MSG_STATS);
    h[4] = 2;
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_VERSION);
    h[4] = 1, h[5] = 0;
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_TYPE);
    h[5] = 200;
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_TYPE);
    h[5] = ESGX_MSG_STATS, h[6] = 1;
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_FORMAT);
    h[6] = 0, h[19] = 1;
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_FORMAT);
    h[19] = 0, h[0] = 15;
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_LENGTH);
    uint8_t pre[4] = {0x01, 0x10, 0x00, 0x04}; /* 64 MiB + 4097 */
    size_t fl;
    CHECK(esgx_proto_frame_len(pre, &fl, &err) == ESGX_PROTO_E_LENGTH);
    pre[0] = 0x00;
    CHECK(esgx_proto_frame_len(pre, &fl, &err) == 0 && fl == ESGX_PROTO_MAX_FRAME + 4);
    /* A field length beyond the frame: EXEC whose function length is huge. */
    uint8_t x[20 + 32 + 1 + 8 + 4] = {(uint8_t)(sizeof x - 4), 0, 0, 0, 1, ESGX_MSG_EXEC};
    x[20 + 41] = 0xff, x[20 + 42] = 0xff, x[20 + 43] = 0xff, x[20 + 44] = 0xff;
    CHECK(esgx_proto_decode(x, sizeof x, &d, &err) == ESGX_PROTO_E_SHORT);
    /* Random garbage with a valid prefix: never crashes; what is accepted is canonical. */
    uint8_t r[300];
    int accepted = 0;
    for (int it = 0; it < 20000; it++) {
        size_t len = 20 + (size_t)(it % 280);
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            r[k] = (uint8_t)(seed >> 16);
        }
        uint32_t l = (uint32_t)(len - 4);
        memcpy(r, &l, 4);
        r[4] = 1;
        r[5] = (uint8_t)(1 + it % 11);
        r[6] = r[7] = 0;
        memset(r + 16, 0, 4);
        if (esgx_proto_decode(r, len, &d, &err) == 0) {
            CHECK(reencodes_to(&d, r, len));
            accepted++;
        }
    }
    printf("random frames accepted (and canonical): %d\n", accepted);
}

struct writer_arg {
    int fd;
    esgx_msg *msgs;
    size_t n;
    int rounds;
    int rc;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    esgx_err err;
    for (int r = 0; r < a->rounds; r++)
        for (size_t i = 0; i < a->n; i++)
            if ((a->rc = esgx_proto_send(a->fd, &a->msgs[i], &err))) {
                fprintf(stderr, "send: %s\n", err.msg);
                return NULL;
            }
    close(a->fd);
    return NULL;
}

static void test_stream(uint8_t *big, size_t big_len, int rounds)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    esgx_msg m[24];
    size_t n = sample_msgs(m, big, big_len); /* includes one EXEC with 20 MiB content */
    struct writer_arg a = {sv[0], m, n, rounds, 0};
    pthread_t t;
    pthread_create(&t, NULL, writer, &a);
    esgx_proto_reader r;
    esgx_proto_reader_init(&r);
    esgx_err err;
    esgx_msg d;
    size_t got = 0;
    int rc;
    while ((rc = esgx_proto_read(&r, sv[1], &d, &err)) == 0) {
        if (!msg_eq(&d, &m[got % n])) {
            fprintf(stderr, "stream message %zu differs\n", got);
            failures++;
            break;
        }
        got++;
    }
    CHECK(rc == ESGX_PROTO_E_CLOSED);
    CHECK(got == n * (size_t)rounds);
    pthread_join(t, NULL);
    CHECK(a.rc == 0);
    esgx_proto_reader_free(&r);
    close(sv[1]);

}

static void test_stream_errors(void)
{
    int sv[2];
    esgx_proto_reader r;
    esgx_err err;
    esgx_msg d;
    esgx_msg m[24];
    uint8_t small[2000] = {0};
    sample_msgs(m, small, sizeof small);
    /* EOF inside a frame is an I/O error; a bad prefix a length error. */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    uint8_t part[10] = {16, 0, 0, 0, 1, 7};
    CHECK(write(sv[0], part, sizeof part) == (ssize_t)sizeof part);
    close(sv[0]);
    esgx_proto_reader_init(&r);
    CHECK(esgx_proto_read(&r, sv[1], &d, &err) == ESGX_PROTO_E_IO);
    esgx_proto_reader_free(&r);
    close(sv[1]);
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    uint8_t bad[20] = {0xff, 0xff, 0xff, 0xff};
    CHECK(write(sv[0], bad, sizeof bad) == (ssize_t)sizeof bad);
    esgx_proto_reader_init(&r);
    CHECK(esgx_proto_read(&r, sv[1], &d, &err) == ESGX_PROTO_E_LENGTH);
    esgx_proto_reader_free(&r);
    close(sv[0]);
    close(sv[1]);
    /* Sending to a closed peer fails cleanly (no SIGPIPE). */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    close(sv[1]);
    CHECK(esgx_proto_send(sv[0], &m[2], &err) == ESGX_PROTO_E_IO);
    close(sv[0]);
}

static void test_header(void)
{
    esgx_msg_result r;
    memset(&r, 0, sizeof r);
    uint8_t tree[32];
    memset(tree, 0xab, 32);
    memset(r.output_hash, 0xab, 32);
    memset(r.input_hash, 0x01, 32);
    memset(r.signature, 0xff, 65);
    r.tree = B(tree, 32);
    r.fuel_used = 18446744073709551615ull;
    char buf[1024];
    size_t len;
    esgx_err err;
    CHECK(esgx_proto_format_header(&r, buf, sizeof buf, &len, &err) == 0);
    char want[1024];
    char ab[65], one[65], ff[131];
    memset(ab, 0, sizeof ab);
    for (int i = 0; i < 64; i++) ab[i] = i % 2 ? 'b' : 'a', one[i] = i % 2 ? '1' : '0';
    one[64] = 0;
    memset(ff, 'f', 130);
    ff[130] = 0;
    snprintf(want, sizeof want,
             "{\"hash\":\"%s\",\"tree\":\"%s\",\"input_hash\":\"%s\","
             "\"fuel_used\":18446744073709551615,\"signature\":\"%s\"}\r\n",
             ab, ab, one, ff);
    CHECK(strcmp(buf, want) == 0);
    CHECK(len == strlen(want));
    CHECK(esgx_proto_header_len(&r) >= len + 1);
    CHECK(esgx_proto_format_header(&r, buf, len, &len, &err) == ESGX_PROTO_E_BUFFER);
    r.fuel_used = 0;
    CHECK(esgx_proto_format_header(&r, buf, sizeof buf, &len, &err) == 0);
    CHECK(strstr(buf, "\"fuel_used\":0,") != NULL);
    r.status = 1;
    CHECK(esgx_proto_format_header(&r, buf, sizeof buf, &len, &err) == ESGX_PROTO_E_ARG);
    CHECK(esgx_proto_tree_len(0) == 32 && esgx_proto_tree_len(256 * 1024) == 32 &&
          esgx_proto_tree_len(256 * 1024 + 1) == 96 && esgx_proto_tree_len(1024 * 1024) == 7 * 32);
}

/* The API's text forms: content hashes and function names. */
static void test_names(void)
{
    const char *h = "5d7666bc752594aec99429cfd25e5d811cb0d9a0a8511bfa011e0e0b71d97d9a";
    CHECK(esgx_proto_hash_text_valid(h, 64));
    CHECK(!esgx_proto_hash_text_valid(h, 63));
    char bad[65];
    memcpy(bad, h, 65);
    bad[0] = 'D';   /* upper case */
    CHECK(!esgx_proto_hash_text_valid(bad, 64));
    bad[0] = 'g';
    CHECK(!esgx_proto_hash_text_valid(bad, 64));
    CHECK(!esgx_proto_hash_text_valid(NULL, 64));
    CHECK(esgx_proto_name_valid("hello", 5) && esgx_proto_name_valid("a.b_c-9", 7));
    CHECK(!esgx_proto_name_valid("", 0) && !esgx_proto_name_valid("a/b", 3));
    CHECK(!esgx_proto_name_valid("a b", 3) && !esgx_proto_name_valid("\xc3\xa9", 2));
    char name[66];
    memset(name, 'n', sizeof name);
    CHECK(esgx_proto_name_valid(name, 64) && !esgx_proto_name_valid(name, 65));
}

/* Encodes m into a fresh buffer (*len bytes; caller frees), NULL if it fails. */
static uint8_t *encode_new(const esgx_msg *m, size_t *len)
{
    size_t n = esgx_proto_encoded_size(m);
    uint8_t *b = n ? malloc(n) : NULL;
    if (b && esgx_proto_encode(m, b, n, len, NULL) == 0) return b;
    free(b);
    return NULL;
}

/* The optional trailing fields (EXEC capture_logs, RESULT logs): absent they give the
 * frames of before byte for byte, present they round-trip, and a present field must
 * carry its non-default value. */
static void test_optional_fields(void)
{
    esgx_msg m, d;
    esgx_err err;
    size_t plain_len, len;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_EXEC;
    m.id = 5;
    m.u.exec.function = S("main");
    m.u.exec.input = S("in");
    uint8_t *plain = encode_new(&m, &plain_len);
    m.u.exec.capture_logs = 1;
    uint8_t *cap = encode_new(&m, &len);
    CHECK(plain && cap && len == plain_len + 1, "EXEC capture_logs adds one trailing byte");
    if (plain && cap) {
        CHECK(memcmp(plain + 4, cap + 4, plain_len - 4) == 0 && cap[len - 1] == 1);
        CHECK_RC(esgx_proto_decode(plain, plain_len, &d, &err), 0);
        CHECK(d.u.exec.capture_logs == 0, "an EXEC of before decodes without capture");
        CHECK_RC(esgx_proto_decode(cap, len, &d, &err), 0);
        CHECK(d.u.exec.capture_logs == 1 && msg_eq(&m, &d));
        cap[len - 1] = 0;   /* present but 0: not the canonical encoding */
        CHECK_RC(esgx_proto_decode(cap, len, &d, &err), ESGX_PROTO_E_FORMAT);
    }
    m.u.exec.capture_logs = 2;
    CHECK(esgx_proto_encode(&m, plain, plain_len, NULL, &err) == ESGX_PROTO_E_ARG);
    free(plain);
    free(cap);

    /* options: sealed and a record (a call by name) round-trip; an unknown bit and a
     * record without its fields are refused */
    m.u.exec.capture_logs = 0;
    m.u.exec.sealed = 1;
    m.u.exec.has_record = 1;
    m.u.exec.record_name = S("pay");
    memset(m.u.exec.record_owner, 2, 33);
    m.u.exec.record_seq = 7;
    memset(m.u.exec.record_network, 3, 33);
    memset(m.u.exec.record_signature, 4, 65);
    uint8_t *rec = encode_new(&m, &len);
    CHECK(rec && len == plain_len + 1 + 4 + 3 + 33 + 8 + 33 + 65, "EXEC record fields");
    if (rec) {
        CHECK(rec[plain_len] == (ESGX_EXEC_OPT_SEALED | ESGX_EXEC_OPT_RECORD));
        CHECK_RC(esgx_proto_decode(rec, len, &d, &err), 0);
        CHECK(d.u.exec.sealed == 1 && d.u.exec.has_record == 1 && msg_eq(&m, &d));
        rec[plain_len] |= 8;
        CHECK_RC(esgx_proto_decode(rec, len, &d, &err), ESGX_PROTO_E_FORMAT);
        CHECK(strstr(err.msg, "options"), "%s", err.msg);
        rec[plain_len] = ESGX_EXEC_OPT_RECORD;
        /* truncate inside the record: the frame length says so */
        uint8_t *cut = malloc(plain_len + 4);
        if (cut) {
            memcpy(cut, rec, plain_len + 4);
            cut[0] = (uint8_t)(plain_len + 4 - 4);
            cut[1] = cut[2] = cut[3] = 0;
            cut[plain_len] = ESGX_EXEC_OPT_RECORD;
            CHECK(esgx_proto_decode(cut, plain_len + 4, &d, &err) != 0);
            free(cut);
        }
        free(rec);
    }
    m.u.exec.record_seq = 0;
    uint8_t tmp[512];
    CHECK(esgx_proto_encode(&m, tmp, sizeof tmp, NULL, &err) == ESGX_PROTO_E_ARG,
          "record_seq 0 refused");

    static const uint8_t tree[32];
    for (int st = 0; st < 2; st++) {
        memset(&m, 0, sizeof m);
        m.type = ESGX_MSG_RESULT;
        m.id = 6;
        m.u.result.status = st ? ESGX_RESULT_TRAP : ESGX_RESULT_OK;
        if (st) m.u.result.code = S("unreachable");
        else m.u.result.tree = B(tree, 32);
        plain = encode_new(&m, &plain_len);
        m.u.result.logs = S("hello\nworld\n");
        uint8_t *lg = encode_new(&m, &len);
        CHECK(plain && lg && len == plain_len + 4 + 12, "RESULT logs: a trailing bytes field");
        if (plain && lg) {
            CHECK_RC(esgx_proto_decode(plain, plain_len, &d, &err), 0);
            CHECK(d.u.result.logs.len == 0, "a RESULT of before decodes without logs");
            CHECK_RC(esgx_proto_decode(lg, len, &d, &err), 0);
            CHECK(msg_eq(&m, &d) && d.u.result.logs.len == 12);
            /* present but empty: replace the field by a zero length */
            memset(lg + plain_len, 0, 4);
            lg[0] = (uint8_t)(plain_len + 4 - 4);
            CHECK_RC(esgx_proto_decode(lg, plain_len + 4, &d, &err), ESGX_PROTO_E_FORMAT);
        }
        free(plain);
        free(lg);
    }
    static uint8_t huge[ESGX_PROTO_MAX_LOGS + 1];
    m.u.result.logs = B(huge, sizeof huge);
    CHECK(esgx_proto_encoded_size(&m) == 0, "logs over ESGX_PROTO_MAX_LOGS refused");
    m.u.result.logs = B(huge, ESGX_PROTO_MAX_LOGS);
    CHECK(esgx_proto_encoded_size(&m) != 0);
}

/* The optional trailing fields of HELLO (tier) and STATS_REPLY (jit_refused): absent
 * when 0, so the frames of before stay byte for byte, present they round-trip, and a
 * present field must carry a non-zero value. */
static void test_optional_counters(void)
{
    esgx_msg m, d;
    esgx_err err;
    size_t plain_len, len;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_HELLO;
    m.u.hello.platform = S("sim");
    uint8_t *plain = encode_new(&m, &plain_len);
    m.u.hello.tier = ESGX_TIER_INTERP;
    uint8_t *t = encode_new(&m, &len);
    CHECK(plain && t && len == plain_len + 1, "HELLO tier adds one trailing byte");
    if (plain && t) {
        CHECK(memcmp(plain + 4, t + 4, plain_len - 4) == 0 && t[len - 1] == ESGX_TIER_INTERP);
        CHECK_RC(esgx_proto_decode(plain, plain_len, &d, &err), 0);
        CHECK(d.u.hello.tier == ESGX_TIER_UNKNOWN, "a HELLO of before decodes without a tier");
        CHECK_RC(esgx_proto_decode(t, len, &d, &err), 0);
        CHECK(d.u.hello.tier == ESGX_TIER_INTERP && msg_eq(&m, &d));
        t[len - 1] = 0;   /* present but 0: not the canonical encoding */
        CHECK_RC(esgx_proto_decode(t, len, &d, &err), ESGX_PROTO_E_FORMAT);
        t[len - 1] = 3;   /* not a tier */
        CHECK_RC(esgx_proto_decode(t, len, &d, &err), ESGX_PROTO_E_FORMAT);
    }
    m.u.hello.tier = 3;
    CHECK(esgx_proto_encoded_size(&m) == 0, "HELLO tier 3 refused on encode");
    free(plain);
    free(t);

    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_STATS_REPLY;
    m.id = 9;
    m.u.stats = (esgx_msg_stats_reply){1, 2, 3, 4, 5, 0};
    plain = encode_new(&m, &plain_len);
    CHECK(plain && plain_len == 4 + 16 + 5 * 8, "STATS_REPLY without jit_refused: five u64");
    m.u.stats.jit_refused = 7;
    t = encode_new(&m, &len);
    CHECK(plain && t && len == plain_len + 8, "STATS_REPLY jit_refused adds one u64");
    if (plain && t) {
        CHECK(memcmp(plain + 4, t + 4, plain_len - 4) == 0 && t[len - 8] == 7);
        CHECK_RC(esgx_proto_decode(plain, plain_len, &d, &err), 0);
        CHECK(d.u.stats.jit_refused == 0 && d.u.stats.cache_misses == 5);
        CHECK_RC(esgx_proto_decode(t, len, &d, &err), 0);
        CHECK(d.u.stats.jit_refused == 7 && msg_eq(&m, &d));
        memset(t + len - 8, 0, 8);
        CHECK_RC(esgx_proto_decode(t, len, &d, &err), ESGX_PROTO_E_FORMAT);
        t[0] = (uint8_t)(t[0] - 4);   /* a half u64 */
        CHECK_RC(esgx_proto_decode(t, len - 4, &d, &err), ESGX_PROTO_E_FORMAT);
    }
    free(plain);
    free(t);
}

/* The table of outcomes: rows, lookups, and the HTTP status of every channel status. */
static void test_result_codes(void)
{
    const esgx_result_code_info *r = esgx_proto_result_code(ESGX_RC_HASH_MISMATCH);
    CHECK(r && !strcmp(r->code, "hash_mismatch") && r->status == ESGX_RESULT_BAD_REQUEST &&
          r->http == 400 && !r->remember);
    r = esgx_proto_result_code(ESGX_RC_INVALID_MODULE);
    CHECK(r && r->remember && esgx_proto_result_code(ESGX_RC_UNSUPPORTED_IMPORT)->remember);
    CHECK(!esgx_proto_result_code(-1) && !esgx_proto_result_code(ESGX_RC_COUNT));
    for (int i = 0; i < ESGX_RC_COUNT; i++) {
        r = esgx_proto_result_code(i);
        CHECK(esgx_proto_result_code_find(r->code, strlen(r->code)) == i, "%s", r->code);
        CHECK(strlen(r->code) >= 1 && strlen(r->code) <= ESGX_PROTO_MAX_CODE);
    }
    CHECK(esgx_proto_result_code_find("out_of_fuel", 11) == -1);
    CHECK(esgx_proto_result_code_find("no_key", 5) == -1, "a prefix is not a code");
    CHECK(esgx_proto_result_code_find(NULL, 0) == -1);
    /* what the node answers a RESULT with (docs/channel.md) */
#define HS(st, c) esgx_proto_result_http_status(st, c, sizeof c - 1)
    CHECK_EQ_INT(HS(ESGX_RESULT_OK, ""), 200);
    CHECK_EQ_INT(HS(ESGX_RESULT_TRAP, "out_of_fuel"), 422);
    CHECK_EQ_INT(HS(ESGX_RESULT_TRAP, "proc_exit"), 422);
    CHECK_EQ_INT(HS(ESGX_RESULT_BAD_REQUEST, "hash_mismatch"), 400);
    CHECK_EQ_INT(HS(ESGX_RESULT_BAD_REQUEST, "input_too_large"), 413);
    CHECK_EQ_INT(HS(ESGX_RESULT_BAD_REQUEST, "content_too_large"), 413);
    CHECK_EQ_INT(HS(ESGX_RESULT_BAD_REQUEST, "no_such_function"), 404);
    CHECK_EQ_INT(HS(ESGX_RESULT_BAD_REQUEST, "something_new"), 400);
    CHECK_EQ_INT(HS(ESGX_RESULT_NOT_READY, "no_key"), 503);
    CHECK_EQ_INT(HS(ESGX_RESULT_NOT_READY, "queue_timeout"), 503);
    CHECK_EQ_INT(HS(ESGX_RESULT_INTERNAL, "exec_timeout"), 504);
    CHECK_EQ_INT(HS(ESGX_RESULT_INTERNAL, "internal"), 500);
    CHECK_EQ_INT(HS(ESGX_RESULT_INTERNAL, "anything"), 500);
    /* a code sent with another status than its row's keeps the status's default */
    CHECK_EQ_INT(HS(ESGX_RESULT_TRAP, "input_too_large"), 422);
    CHECK_EQ_INT(HS(ESGX_RESULT_INTERNAL, "no_such_function"), 500);
#undef HS
    int tier = -1;
    esgx_err err;
    CHECK_RC(esgx_proto_tier_parse("interp", &tier, &err), 0);
    CHECK(tier == ESGX_TIER_INTERP && !strcmp(esgx_proto_tier_name(tier), "interp"));
    CHECK_RC(esgx_proto_tier_parse("jit", &tier, &err), 0);
    CHECK(tier == ESGX_TIER_JIT && !strcmp(esgx_proto_tier_name(tier), "jit"));
    CHECK_RC(esgx_proto_tier_parse("JIT", &tier, &err), ESGX_PROTO_E_ARG);
    CHECK(tier == ESGX_TIER_JIT && strstr(err.msg, "tier 'JIT' is not 'interp' or 'jit'"));
    CHECK(!esgx_proto_tier_name(ESGX_TIER_UNKNOWN) && !esgx_proto_tier_name(3));
}

/* MAC_REQ / MAC_REPLY (docs/channel.md, types 14 and 15): the exact bytes, and what
 * either side refuses: another kind, another state, a MAC with state no-key, a short or
 * long payload. */
static void test_mac_messages(void)
{
    esgx_msg m, d;
    esgx_err err;
    uint8_t buf[128];
    size_t n = 0;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_MAC_REQ;
    m.id = 0x1122;
    m.u.mac_req.kind = ESGX_MAC_CONTENT;
    for (int i = 0; i < 32; i++) m.u.mac_req.data[i] = (uint8_t)i;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0 && n == 4 + 16 + 33);
    CHECK(buf[0] == 49 && buf[4] == 1 && buf[5] == 14 && buf[8] == 0x22 && buf[9] == 0x11);
    CHECK(buf[20] == ESGX_MAC_CONTENT && buf[21] == 0 && buf[52] == 31);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.type == ESGX_MSG_MAC_REQ &&
          d.id == 0x1122 && d.u.mac_req.kind == 2 && d.u.mac_req.data[31] == 31);
    CHECK(!strcmp(esgx_proto_type_name(ESGX_MSG_MAC_REQ), "MAC_REQ") &&
          !strcmp(esgx_proto_type_name(ESGX_MSG_MAC_REPLY), "MAC_REPLY"));
    for (int kind = 0; kind < 256; kind++) {   /* only 1, 2 and 3, both ways */
        buf[20] = (uint8_t)kind;
        int want = kind >= 1 && kind <= 3 ? 0 : ESGX_PROTO_E_FORMAT;
        CHECK(esgx_proto_decode(buf, n, &d, &err) == want);
        m.u.mac_req.kind = (uint8_t)kind;
        CHECK(esgx_proto_encode(&m, buf + 64, 64, NULL, &err) == (want ? ESGX_PROTO_E_ARG : 0));
    }
    m.u.mac_req.kind = ESGX_MAC_TOKEN;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0);
    buf[0] = 48;   /* one byte of data missing */
    CHECK(esgx_proto_decode(buf, n - 1, &d, &err) == ESGX_PROTO_E_SHORT);

    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_MAC_REPLY;
    m.id = 7;
    m.u.mac_reply.state = ESGX_STATE_READY;
    memset(m.u.mac_reply.mac, 0xab, 32);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0 && n == 53 && buf[5] == 15);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.u.mac_reply.state == 1 &&
          d.u.mac_reply.mac[0] == 0xab && d.u.mac_reply.mac[31] == 0xab);
    buf[20] = ESGX_STATE_NO_KEY;   /* no key, yet a MAC */
    CHECK(esgx_proto_decode(buf, n, &d, &err) == ESGX_PROTO_E_FORMAT);
    buf[20] = 2;
    CHECK(esgx_proto_decode(buf, n, &d, &err) == ESGX_PROTO_E_FORMAT);
    m.u.mac_reply.state = ESGX_STATE_NO_KEY;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG);
    memset(m.u.mac_reply.mac, 0, 32);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.u.mac_reply.state == 0);
    uint8_t longer[64];
    memcpy(longer, buf, n);
    longer[n] = 0;
    longer[0] = (uint8_t)(n + 1 - 4);
    CHECK(esgx_proto_decode(longer, n + 1, &d, &err) == ESGX_PROTO_E_FORMAT);
    /* the first type past them is unknown */
    uint8_t h[20] = {16, 0, 0, 0, 1, 16};
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_TYPE);
}

int main(void)
{
    test_mac_messages();
    test_optional_fields();
    test_optional_counters();
    test_result_codes();
    test_names();
    size_t big_len = 20u * 1024 * 1024;
    uint8_t *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = (uint8_t)(i * 31 + (i >> 12));
    test_roundtrip(big, big_len);
    test_invalid_encode();
    test_malformed();
    test_stream(big, big_len, 3);
    test_stream(big, 100, 2000);
    test_stream_errors();
    test_header();
    free(big);
    return ESGX_TEST_SUMMARY("test_proto");
}
