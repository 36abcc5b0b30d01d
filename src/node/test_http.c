/*
 * test_http.c: the HTTP server (http_server.c) on 127.0.0.1 with a kernel-chosen port, serving
 * a real content store and registry in a temporary directory and a real supervisor
 * whose enclave cannot start (/bin/false: every start fails, so invocations answer 503
 * enclave_restarting). Requests are sent over plain sockets and the status code, the
 * JSON error code and headers checked: routing (404, 405 with Allow), auth (401 with
 * WWW-Authenticate, 403), content upload and download (hash is BLAKE3 of the body),
 * bad hashes and names, a Content-Length over the route's limit (413 before the body),
 * a chunked body growing past it (413), the registry (deploy, list, delete), request
 * validation of /services/3, /health and /metrics; and http_request.c on plain buffers
 * (framing headers, the raw path, the body buffer across its mmap threshold); and the
 * origin guard of http_client.c: the address classifier over every refused range
 * (IPv4, IPv6, IPv4-mapped) and a refused transfer that never reaches its listener.
 */
#define _GNU_SOURCE
#include "http_server.h"
#include "node_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "esgx_crypto.h"
#include "console.h"
#include "esgx_test.h"
#include "http_client.h"
#include "http_request.h"
#include "test_node.h"

static unsigned g_port;   /* the port of the server under test (test program only) */
static char g_token[65];

typedef struct reply {
    int status;
    char head[4096];
    char *body;            /* NUL-terminated */
    size_t body_len;
} reply;

/* Sends raw (a whole request) and reads the reply until the server closes. */
static int send_raw(const char *raw, size_t raw_len, reply *out)
{
    memset(out, 0, sizeof *out);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        if (fd >= 0) close(fd);
        return ESGX_NODE_E_IO;
    }
    size_t off = 0;
    while (off < raw_len) {
        ssize_t n = send(fd, raw + off, raw_len - off, MSG_NOSIGNAL);
        if (n <= 0) break; /* the server may answer (413) and close before all is sent */
        off += (size_t)n;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    ssize_t n;
    while (buf && (n = recv(fd, buf + len, cap - len, 0)) > 0) {
        len += (size_t)n;
        if (len == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
    }
    close(fd);
    if (!buf) return ESGX_NODE_E_NOMEM;
    buf[len] = 0;
    char *eoh = strstr(buf, "\r\n\r\n");
    if (!eoh || sscanf(buf, "HTTP/1.1 %d", &out->status) != 1) {
        free(buf);
        return ESGX_NODE_E_IO;
    }
    snprintf(out->head, sizeof out->head, "%.*s", (int)(eoh - buf), buf);
    out->body_len = len - (size_t)(eoh + 4 - buf);
    out->body = malloc(out->body_len + 1);
    if (out->body) {
        memcpy(out->body, eoh + 4, out->body_len);
        out->body[out->body_len] = 0;
    }
    free(buf);
    return out->body ? ESGX_OK : ESGX_NODE_E_NOMEM;
}

/* One request: method, path, auth (NULL, "good" or a literal token), body (may be NULL).
 * Returns the status (0 on transport failure); *out holds the reply (caller frees body). */
static int req(const char *method, const char *path, const char *auth, const char *body,
               reply *out)
{
    size_t blen = body ? strlen(body) : 0;
    char *raw = malloc(blen + 1024);
    if (!raw) return 0;
    char authz[128] = "";
    if (auth)
        snprintf(authz, sizeof authz, "Authorization: Bearer %s\r\n",
                 !strcmp(auth, "good") ? g_token : auth);
    int n = snprintf(raw, 1024,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, authz, blen);
    if (blen) memcpy(raw + n, body, blen);
    int rc = send_raw(raw, (size_t)n + blen, out);
    free(raw);
    return rc ? 0 : out->status;
}

/* Checks status and, for an error, the JSON code of one request. */
static void expect(const char *method, const char *path, const char *auth, const char *body,
                   int status, const char *code)
{
    reply r;
    int st = req(method, path, auth, body, &r);
    CHECK(st == status, "%s %s: status %d, want %d (%s)", method, path, st, status,
          r.body ? r.body : "");
    if (code) {
        char want[96];
        snprintf(want, sizeof want, "\"code\":\"%s\"", code);
        CHECK(r.body && strstr(r.body, want), "%s %s: body %s, want code %s", method, path,
              r.body ? r.body : "(none)", code);
    }
    free(r.body);
}

static void test_routes_and_auth(void)
{
    reply r;
    /* the enclave never comes up here: unavailable, so that a balancer skips the node */
    CHECK_EQ_INT(req("GET", "/health", NULL, NULL, &r), 503);
    CHECK(r.body && strstr(r.body, "\"enclave\":\"restarting\"") &&
          strstr(r.body, "\"status\":\"unavailable\""), "health %s", r.body);
    free(r.body);
    expect("GET", "/nope", NULL, NULL, 404, "not_found");
    CHECK_EQ_INT(req("GET", "/services/3", NULL, NULL, &r), 405);
    CHECK(strstr(r.head, "\r\nAllow: POST"), "no Allow header:\n%s", r.head);
    free(r.body);
    expect("PATCH", "/functions/x", NULL, NULL, 405, "method_not_allowed");
    CHECK_EQ_INT(req("POST", "/content", NULL, "abc", &r), 401);
    CHECK(strstr(r.head, "WWW-Authenticate: Bearer"), "no WWW-Authenticate:\n%s", r.head);
    CHECK(r.body && strstr(r.body, "\"code\":\"unauthorized\""), "401 body %s", r.body);
    free(r.body);
    char wrong[65];
    memset(wrong, 'f', 64);
    wrong[64] = 0;
    expect("POST", "/content", wrong, "abc", 403, "forbidden");
    expect("GET", "/functions", "short", NULL, 403, "forbidden");
}

/* Uploads text and returns its hash (hex) as the server reported it. */
static void upload(const char *text, char hex[65])
{
    reply r;
    hex[0] = 0;
    CHECK_EQ_INT(req("POST", "/content", "good", text, &r), 200);
    uint8_t h[32];
    esgx_blake3_hash((const uint8_t *)text, strlen(text), h);
    esgx_crypto_hex_encode(h, 32, hex);
    char want[100];
    snprintf(want, sizeof want, "\"hash\":\"%s\"", hex);
    CHECK(r.body && strstr(r.body, want), "upload body %s, want %s", r.body, want);
    free(r.body);
}

static void test_content(char hex[65])
{
    upload("hello content", hex);
    char path[128];
    snprintf(path, sizeof path, "/content/%s", hex);
    reply r;
    CHECK_EQ_INT(req("GET", path, NULL, NULL, &r), 200);
    CHECK(r.body && !strcmp(r.body, "hello content"), "download %s", r.body);
    free(r.body);
    expect("GET", "/content/XYZ", NULL, NULL, 400, "bad_hash");
    char unknown[128];
    snprintf(unknown, sizeof unknown, "/content/%064d", 0);
    expect("GET", unknown, NULL, NULL, 404, "unknown_hash");
    expect("POST", "/content", "good", NULL, 400, "empty_body");
    /* a declared length over --max-content (1024) is refused before the body is read */
    char raw[512];
    int n = snprintf(raw, sizeof raw,
                     "POST /content HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "Authorization: Bearer %s\r\nContent-Length: 2000\r\n\r\n", g_token);
    CHECK_RC(send_raw(raw, (size_t)n, &r), ESGX_OK);
    CHECK_EQ_INT(r.status, 413);
    CHECK(r.body && strstr(r.body, "\"code\":\"too_large\""), "413 body %s", r.body);
    free(r.body);
    /* a chunked body that grows past the limit */
    char chunked[4096];
    n = snprintf(chunked, sizeof chunked,
                 "POST /content HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "600\r\n%01536d\r\n600\r\n%01536d\r\n0\r\n\r\n", g_token, 0, 0);
    CHECK_RC(send_raw(chunked, (size_t)n, &r), ESGX_OK);
    CHECK_EQ_INT(r.status, 413);
    CHECK(r.body && strstr(r.body, "\"code\":\"too_large\""), "chunked 413 body %s", r.body);
    free(r.body);
}

/* A record of name for hex signed by seckey sk (owner) on network net at seq. */
static void make_record(esgx_name_record *r, const char *name, const char *hex,
                        const uint8_t net[33], uint64_t seq, const uint8_t sk[32])
{
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->name_len = strlen(name);
    memcpy(r->network, net, 33);
    CHECK_RC(esgx_crypto_hex_decode(hex, 64, r->module_hash, 32, NULL, NULL), ESGX_OK);
    r->seq = seq;
    CHECK_RC(esgx_name_record_sign(r, sk, NULL), ESGX_OK);
}

/* A deploy of r decided against the registry (what PUT /functions does once the record
 * verified): 0 or the refusal's status, with its code checked. */
static unsigned deploy_direct(registry *reg, const esgx_name_record *r, const char *code)
{
    esgx_names_deploy d = {.rec = r, .network = r->network};
    int replaced;
    esgx_err err;
    int rc = esgx_registry_update(reg, r->name, esgx_names_deploy_decide, &d, &replaced, &err);
    CHECK(rc == ESGX_OK || d.p.status, "deploy %s: %s", r->name, err.msg);
    if (code) CHECK(d.p.code && !strcmp(d.p.code, code), "deploy %s: code %s, want %s (%s)",
                    r->name, d.p.code ? d.p.code : "-", code, d.p.msg);
    return rc ? d.p.status : 0;
}

static void test_registry(registry *reg, const char *hex)
{
    /* the routes before any key: shape refusals, then 503 no_key for a good shape */
    char body[ESGX_NAME_RECORD_JSON_MAX + 64], legacy[256], rec_json[ESGX_NAME_RECORD_JSON_MAX];
    uint8_t net[33], ska[32], skb[32], pka[33], pkb[33];
    memset(ska, 0x11, 32);
    memset(skb, 0x22, 32);
    uint8_t skn[32];
    memset(skn, 0x33, 32);
    CHECK_RC(esgx_ec_pubkey_from_seckey(skn, net, NULL), ESGX_OK);
    CHECK_RC(esgx_ec_pubkey_from_seckey(ska, pka, NULL), ESGX_OK);
    CHECK_RC(esgx_ec_pubkey_from_seckey(skb, pkb, NULL), ESGX_OK);
    static esgx_name_record r;
    make_record(&r, "f1", hex, net, 1, ska);
    size_t rl;
    CHECK_RC(esgx_name_record_format(&r, rec_json, sizeof rec_json, &rl, NULL), ESGX_OK);
    snprintf(body, sizeof body, "{\"record\":%s,\"logs\":true}", rec_json);
    snprintf(legacy, sizeof legacy, "{\"hash\":\"%s\"}", hex);
    expect("PUT", "/functions/f1", NULL, body, 401, "unauthorized");
    expect("PUT", "/functions/bad!name", "good", body, 400, "bad_name");
    expect("PUT", "/functions/f1", "good", legacy, 400, "unsigned_deploy");
    expect("PUT", "/functions/f1", "good", "{\"record\":1}", 400, "bad_type");
    expect("PUT", "/functions/f1", "good", "{\"record\":{\"name\":\"f1\"}}", 400, "bad_record");
    expect("PUT", "/functions/f1", "good", "{\"x\":1}", 400, "unknown_field");
    expect("PUT", "/functions/f1", "good", "{\"logs\":true}", 400, "missing_field");
    expect("PUT", "/functions/f1", "good", body, 503, "no_key");
    expect("POST", "/functions/f1/transfer", NULL, "{}", 401, "unauthorized");
    expect("GET", "/functions/f1/transfer", "good", NULL, 405, NULL);
    expect("POST", "/functions/f1/transfer", "good", "{\"seq\":2}", 400, "missing_field");
    expect("POST", "/functions/f1/transfer", "good", "{\"seq\":2,\"from\":\"x\"}", 400,
           "bad_transfer");
    expect("GET", "/functions/f1", NULL, NULL, 404, "unknown_function");

    /* ownership and sequence, decided against the stored entry */
    CHECK_EQ_INT(deploy_direct(reg, &r, NULL), 0);
    reply rp;
    CHECK_EQ_INT(req("GET", "/functions/f1", NULL, NULL, &rp), 200);
    CHECK(rp.body && rp.body_len == rl && !memcmp(rp.body, rec_json, rl),
          "GET serves the record byte for byte: %s", rp.body ? rp.body : "");
    free(rp.body);
    static esgx_name_record b;
    make_record(&b, "f1", hex, net, 2, skb);
    CHECK_EQ_INT(deploy_direct(reg, &b, "name_owned"), 409);
    make_record(&b, "f1", hex, net, 1, ska);
    CHECK_EQ_INT(deploy_direct(reg, &b, "stale_seq"), 409);
    make_record(&b, "f1", hex, net, 2, ska);
    CHECK_EQ_INT(deploy_direct(reg, &b, NULL), 0);
    /* a transfer from a to b at seq 3; then a may not deploy, b needs seq > 3 */
    esgx_name_transfer t = {.seq = 3};
    memcpy(t.to, pkb, 33);
    CHECK_RC(esgx_name_transfer_sign(net, "f1", 2, &t, skb, NULL), ESGX_OK);   /* by b: no */
    esgx_names_transfer td = {.t = &t, .network = net, .name = "f1"};
    int replaced;
    esgx_err err;
    CHECK(esgx_registry_update(reg, "f1", esgx_names_transfer_decide, &td, &replaced, &err) &&
          td.p.status == 409 && !strcmp(td.p.code, "name_owned"), "transfer by a non-owner");
    CHECK_RC(esgx_name_transfer_sign(net, "f1", 2, &t, ska, NULL), ESGX_OK);
    memset(&td.p, 0, sizeof td.p);
    CHECK_RC(esgx_registry_update(reg, "f1", esgx_names_transfer_decide, &td, &replaced, &err),
             ESGX_OK);
    CHECK_EQ_INT(req("GET", "/functions/f1", NULL, NULL, &rp), 200);
    CHECK(strstr(rp.head, "X-Esgx-Pending-Transfer: {\"seq\":3,"), "pending transfer header %s",
          rp.head);
    free(rp.body);
    make_record(&b, "f1", hex, net, 4, ska);
    CHECK_EQ_INT(deploy_direct(reg, &b, "name_owned"), 409);
    make_record(&b, "f1", hex, net, 3, skb);
    CHECK_EQ_INT(deploy_direct(reg, &b, "stale_seq"), 409);
    make_record(&b, "f1", hex, net, 4, skb);
    CHECK_EQ_INT(deploy_direct(reg, &b, NULL), 0);
    registry_fn f;
    CHECK_RC(esgx_registry_get(reg, "f1", &f, &err), ESGX_OK);
    static esgx_name_record got;
    CHECK_RC(esgx_name_record_parse(f.record, strlen(f.record), &got, NULL), ESGX_OK);
    CHECK(got.n_transfers == 1 && got.seq == 4 && !memcmp(got.owner, pkb, 33) && !f.transfer,
          "the stored chain: %s", f.record);
    CHECK_RC(esgx_name_record_owner_chain(&got, pka, NULL), ESGX_OK);
    esgx_fn_entry_clear(&f);
    CHECK_EQ_INT(req("GET", "/functions", "good", NULL, &rp), 200);
    CHECK(rp.body && strstr(rp.body, "\"name\":\"f1\"") && strstr(rp.body, hex) &&
          strstr(rp.body, "\"seq\":4"), "list %s", rp.body);
    free(rp.body);
    /* invoking needs the enclave, which cannot start */
    expect("POST", "/functions/f1", NULL, "in", 503, "enclave_restarting");
    expect("POST", "/functions/f1?fuel=0", NULL, "in", 400, "bad_fuel");
    /* a record stored under another name is refused before the enclave */
    make_record(&b, "f2", hex, net, 1, ska);
    esgx_names_deploy dd = {.rec = &b, .network = net};
    CHECK_RC(esgx_registry_update(reg, "f3", esgx_names_deploy_decide, &dd, &replaced, &err),
             ESGX_OK);
    expect("POST", "/functions/f3", NULL, "in", 403, "bad_record");
    expect("DELETE", "/functions/f3", "good", NULL, 200, NULL);
    expect("DELETE", "/functions/f1", "good", NULL, 200, NULL);
    expect("DELETE", "/functions/f1", "good", NULL, 404, "unknown_function");
    expect("POST", "/functions/f1", NULL, "in", 404, "unknown_function");
    /* after the admin's delete the name binds anew */
    make_record(&b, "f1", hex, net, 1, skb);
    CHECK_EQ_INT(deploy_direct(reg, &b, NULL), 0);
    expect("DELETE", "/functions/f1", "good", NULL, 200, NULL);
}

static void test_services(const char *hex)
{
    char body[1024];
    expect("POST", "/services/3", NULL, "not json", 400, "invalid_json");
    expect("POST", "/services/3", NULL, "[1]", 400, "invalid_json");
    expect("POST", "/services/3", NULL, "{\"input\":\"x\"}", 400, "missing_field");
    expect("POST", "/services/3", NULL, "{\"hash\":\"ABC\"}", 400, "bad_hash");
    expect("POST", "/services/3", NULL, "{\"hash\":7}", 400, "bad_type");
    expect("POST", "/services/3", NULL, "{\"nope\":1}", 400, "unknown_field");
    snprintf(body, sizeof body, "{\"hash\":\"%s\",\"fuel\":0}", hex);
    expect("POST", "/services/3", NULL, body, 400, "bad_fuel");
    snprintf(body, sizeof body, "{\"hash\":\"%s\",\"function\":\"\"}", hex);
    expect("POST", "/services/3", NULL, body, 400, "bad_function");
    snprintf(body, sizeof body, "{\"hash\":\"%s\",\"input\":\"%0600d\"}", hex, 0);
    expect("POST", "/services/3", NULL, body, 413, "input_too_large");
    snprintf(body, sizeof body, "{\"hash\":\"%s\"}", hex);
    expect("POST", "/services/3", NULL, body, 503, "enclave_restarting");
    reply r;
    CHECK_EQ_INT(req("GET", "/metrics", NULL, NULL, &r), 200);
    CHECK(r.body && strstr(r.body, "esgx_requests_total{route=\"services\",status=\"400\"} 8"),
          "metrics %s", r.body);
    CHECK(r.body && strstr(r.body, "\nesgx_content_bytes 13\n"), "content bytes");
    free(r.body);
}

/* http_request.c without sockets: what the fuzzer drives, checked on known cases. */
static void test_plain(void)
{
    http_problem p;
    http_framing fr;
    http_header two[] = {{"Content-Length", "3"}, {"content-length", "5"}};
    CHECK_EQ_INT(esgx_http_check_framing(two, 2, 100, &fr, &p), 400);
    CHECK(!strcmp(p.code, "ambiguous_length"), "code %s", p.code);
    http_header same[] = {{"Content-Length", "3"}, {"Content-Length", "3"}};
    CHECK_EQ_INT(esgx_http_check_framing(same, 2, 100, &fr, &p), 0);
    CHECK(fr.has_length && fr.length == 3 && !fr.chunked, "framing of one length");
    http_header both[] = {{"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}};
    CHECK_EQ_INT(esgx_http_check_framing(both, 2, 100, &fr, &p), 400);
    http_header gz[] = {{"Transfer-Encoding", "gzip"}};
    CHECK_EQ_INT(esgx_http_check_framing(gz, 1, 100, &fr, &p), 400);
    CHECK(!strcmp(p.code, "bad_transfer_encoding"), "code %s", p.code);
    http_header big[] = {{"Content-Length", "101"}};
    CHECK_EQ_INT(esgx_http_check_framing(big, 1, 100, &fr, &p), 413);
    http_header ch[] = {{"Host", "x"}, {"Transfer-Encoding", "Chunked"}};
    CHECK_EQ_INT(esgx_http_check_framing(ch, 2, 100, &fr, &p), 0);
    CHECK(fr.chunked && !fr.has_length, "chunked framing");
    CHECK_EQ_INT(esgx_http_check_raw_path("/functions/a%00b", &p), 400);
    CHECK(!strcmp(p.code, "bad_path"), "code %s", p.code);
    CHECK_EQ_INT(esgx_http_check_raw_path("/health?x=%00", &p), 0);
    CHECK_EQ_INT(esgx_http_check_raw_path("/functions/a%200", &p), 0);
    const char *tok;
    size_t n;
    CHECK_EQ_INT(esgx_http_bearer("Basic abc", &tok, &n), 401);
    CHECK_EQ_INT(esgx_http_bearer("Bearer  abc \t", &tok, &n), 0);
    CHECK(n == 3 && !strncmp(tok, "abc", 3), "bearer token");
    CHECK(esgx_http_token_equal(g_token, g_token, 64) && !esgx_http_token_equal("", g_token, 64),
          "token compare");
    /* the body buffer: malloc'ed, then mmap'ed past 64 KiB, contents kept */
    http_body b = {0};
    uint8_t chunk[40000];
    for (unsigned i = 0; i < 8; i++) {
        memset(chunk, (int)('a' + i), sizeof chunk);
        size_t ncap = esgx_http_body_next_cap(&b, sizeof chunk, 400000);
        CHECK(ncap >= b.len + sizeof chunk && ncap <= 400000 + 4096, "cap %zu", ncap);
        CHECK_RC(esgx_http_body_grow(&b, ncap), ESGX_OK);
        memcpy(b.p + b.len, chunk, sizeof chunk);
        b.len += sizeof chunk;
    }
    CHECK(b.mapped && b.len == 320000 && b.p[0] == 'a' && b.p[319999] == 'h',
          "body %zu bytes, mapped %d", b.len, b.mapped);
    esgx_http_body_free(&b);
    CHECK(!b.p && !b.len && !b.cap, "body freed");
}

/* A sealed input: the field "sealed_input" of /services/3 (base64, exclusive with
 * "input" and "input_base64", --max-input + 62 decoded bytes at most) and the header
 * X-Esgx-Sealed of POST /functions/{name} (only "1", raising the body limit by 62). */
static void test_sealed_parse(void)
{
    const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    char body[2048], b64[1500];
    http_problem p;
    json_t *root;
    uint8_t *decoded;
    sup_req s;
    uint8_t raw[1024 + ESGX_SEAL_REQUEST_OVERHEAD + 1];
    for (size_t i = 0; i < sizeof raw; i++) raw[i] = (uint8_t)(i * 7);
    /* exactly max_input + 62 bytes: accepted, sealed, the decoded bytes */
    EVP_EncodeBlock((unsigned char *)b64, raw, 1024 + ESGX_SEAL_REQUEST_OVERHEAD);
    snprintf(body, sizeof body, "{\"hash\":\"%s\",\"sealed_input\":\"%s\",\"fuel\":9}", hex, b64);
    memset(&s, 0, sizeof s);
    CHECK_EQ_INT(esgx_http_parse_service((const uint8_t *)body, strlen(body), 100, 1024, &root,
                                         &decoded, &s, &p), 0);
    CHECK(s.sealed == 1 && s.input_len == 1024 + ESGX_SEAL_REQUEST_OVERHEAD &&
              !memcmp(s.input, raw, s.input_len) && s.fuel == 9,
          "sealed_input parsed: sealed %d, %zu bytes", s.sealed, s.input_len);
    free(decoded);
    json_decref(root);
    /* one byte more: 413 input_too_large */
    EVP_EncodeBlock((unsigned char *)b64, raw, 1024 + ESGX_SEAL_REQUEST_OVERHEAD + 1);
    snprintf(body, sizeof body, "{\"hash\":\"%s\",\"sealed_input\":\"%s\"}", hex, b64);
    CHECK_EQ_INT(esgx_http_parse_service((const uint8_t *)body, strlen(body), 100, 1024, &root,
                                         &decoded, &s, &p), 413);
    CHECK(!strcmp(p.code, "input_too_large") && strstr(p.msg, "sealed input of 1087 bytes"),
          "code %s: %s", p.code, p.msg);
    CHECK(s.sealed == 0 && !root && !decoded, "nothing left after a refusal");
    /* with "input" or "input_base64": 400 bad_input, either order */
    for (int i = 0; i < 2; i++) {
        if (i == 0)
            snprintf(body, sizeof body,
                     "{\"hash\":\"%s\",\"input\":\"x\",\"sealed_input\":\"AAAA\"}", hex);
        else
            snprintf(body, sizeof body,
                     "{\"hash\":\"%s\",\"sealed_input\":\"AAAA\",\"input_base64\":\"AAAA\"}",
                     hex);
        CHECK_EQ_INT(esgx_http_parse_service((const uint8_t *)body, strlen(body), 100, 1024,
                                             &root, &decoded, &s, &p), 400);
        CHECK(!strcmp(p.code, "bad_input") && strstr(p.msg, "'sealed_input'"), "%s", p.msg);
    }
    snprintf(body, sizeof body, "{\"hash\":\"%s\",\"sealed_input\":\"AA=A\"}", hex);
    CHECK_EQ_INT(esgx_http_parse_service((const uint8_t *)body, strlen(body), 100, 1024, &root,
                                         &decoded, &s, &p), 400);
    CHECK(!strcmp(p.code, "bad_base64") && strstr(p.msg, "'sealed_input'"), "%s", p.msg);
    snprintf(body, sizeof body, "{\"hash\":\"%s\",\"sealed_input\":true}", hex);
    CHECK_EQ_INT(esgx_http_parse_service((const uint8_t *)body, strlen(body), 100, 1024, &root,
                                         &decoded, &s, &p), 400);
    CHECK(!strcmp(p.code, "bad_type"), "code %s", p.code);
    /* a plain input stays unsealed (the field resets a reused sup_req) */
    s.sealed = 1;
    snprintf(body, sizeof body, "{\"hash\":\"%s\",\"input\":\"x\"}", hex);
    CHECK_EQ_INT(esgx_http_parse_service((const uint8_t *)body, strlen(body), 100, 1024, &root,
                                         &decoded, &s, &p), 0);
    CHECK(s.sealed == 0 && s.input_len == 1, "plain input");
    json_decref(root);

    /* the header */
    node_config cfg = {.max_input = 1024, .max_content = 4096};
    http_route r;
    int sealed = 7;
    CHECK_EQ_INT(esgx_http_classify(&cfg, "POST", "/functions/f", &r), 0);
    CHECK_EQ_INT(esgx_http_check_sealed(NULL, &r, &sealed, &p), 0);
    CHECK(sealed == 0 && r.limit == 1024, "no header: limit %zu", r.limit);
    CHECK_EQ_INT(esgx_http_check_sealed("1", &r, &sealed, &p), 0);
    CHECK(sealed == 1 && r.limit == 1024 + ESGX_SEAL_REQUEST_OVERHEAD, "sealed: limit %zu",
          r.limit);
    CHECK_EQ_INT(esgx_http_classify(&cfg, "POST", "/functions/f", &r), 0);
    CHECK_EQ_INT(esgx_http_check_sealed("yes", &r, &sealed, &p), 400);
    CHECK(!strcmp(p.code, "bad_header") && sealed == 0 && r.limit == 1024, "%s", p.msg);
    CHECK_EQ_INT(esgx_http_classify(&cfg, "POST", "/services/3", &r), 0);
    CHECK_EQ_INT(esgx_http_check_sealed("1", &r, &sealed, &p), 400);
    CHECK(strstr(p.msg, "sealed_input") != NULL, "%s", p.msg);
    CHECK_EQ_INT(esgx_http_classify(&cfg, "GET", "/health", &r), 0);
    CHECK_EQ_INT(esgx_http_check_sealed("1", &r, &sealed, &p), 0);
    CHECK(sealed == 0, "ignored elsewhere");
}

/* esgx_httpc_private_kind of a numeric address (v4 or v6), "" for NULL (public). */
static const char *kind_of(const char *ip)
{
    struct sockaddr_in a4 = {.sin_family = AF_INET};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
    const char *k;
    if (inet_pton(AF_INET, ip, &a4.sin_addr) == 1) k = esgx_httpc_private_kind((struct sockaddr *)&a4);
    else if (inet_pton(AF_INET6, ip, &a6.sin6_addr) == 1) k = esgx_httpc_private_kind((struct sockaddr *)&a6);
    else return "unparsed";
    return k ? k : "";
}

static void test_origin_guard(void)
{
    static const struct { const char *ip, *kind; } cases[] = {
        {"127.0.0.1", "a loopback address"}, {"127.255.1.2", "a loopback address"},
        {"::1", "a loopback address"}, {"::ffff:127.0.0.1", "a loopback address"},
        {"0.0.0.0", "the unspecified address"}, {"0.1.2.3", "the unspecified address"},
        {"::", "the unspecified address"}, {"::ffff:0.0.0.0", "the unspecified address"},
        {"10.0.0.1", "a private address"}, {"10.255.255.255", "a private address"},
        {"172.16.0.1", "a private address"}, {"172.31.255.255", "a private address"},
        {"192.168.1.1", "a private address"}, {"::ffff:10.1.2.3", "a private address"},
        {"::ffff:192.168.0.1", "a private address"}, {"::ffff:172.20.0.1", "a private address"},
        {"100.64.0.1", "a shared (CGNAT) address"}, {"100.127.255.255", "a shared (CGNAT) address"},
        {"169.254.169.254", "a link-local address"}, {"::ffff:169.254.169.254", "a link-local address"},
        {"fe80::1", "a link-local address"}, {"febf::1", "a link-local address"},
        {"fc00::1", "a unique-local address"}, {"fdff:ffff::1", "a unique-local address"},
        /* public, just outside each range */
        {"126.255.255.255", ""}, {"128.0.0.1", ""}, {"1.0.0.0", ""}, {"11.0.0.1", ""},
        {"9.255.255.255", ""}, {"172.15.255.255", ""}, {"172.32.0.1", ""}, {"192.167.1.1", ""},
        {"192.169.0.1", ""}, {"100.63.255.255", ""}, {"100.128.0.1", ""}, {"169.253.1.1", ""},
        {"169.255.0.1", ""}, {"8.8.8.8", ""}, {"::ffff:8.8.8.8", ""}, {"::2", ""},
        {"fec0::1", ""}, {"fe7f::1", ""}, {"fe00::1", ""}, {"fbff::1", ""}, {"2001:db8::1", ""},
        {"2606:4700::1111", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(!strcmp(kind_of(cases[i].ip), cases[i].kind), "%s: want '%s', got '%s'",
              cases[i].ip, cases[i].kind, kind_of(cases[i].ip));
    struct { sa_family_t f; } other = {AF_UNIX};
    CHECK(esgx_httpc_private_kind((struct sockaddr *)&other) != NULL, "AF_UNIX is refused");

    /* a listener on loopback: a guarded transfer is refused before connecting (nothing
     * to accept), by number and by name; unguarded, the same URL connects */
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    CHECK(ls >= 0 && !bind(ls, (struct sockaddr *)&sa, sl) && !listen(ls, 4) &&
          !getsockname(ls, (struct sockaddr *)&sa, &sl) && !fcntl(ls, F_SETFL, O_NONBLOCK),
          "listener");
    const char *hosts[] = {"127.0.0.1", "localhost", "[::ffff:127.0.0.1]"};
    for (size_t i = 0; i < 3; i++) {
        char url[128];
        snprintf(url, sizeof url, "http://%s:%u/metrics", hosts[i], ntohs(sa.sin_port));
        esgx_httpc_opts o = {.timeout_ms = 2000, .max_bytes = 1024, .refuse_private = 1};
        esgx_httpc_answer a;
        esgx_err err = {0};
        CHECK_RC(esgx_httpc_get(url, &o, &a, &err), ESGX_NODE_E_ARG);
        CHECK(a.failure == ESGX_HTTPC_REFUSED && strstr(err.msg, url) &&
                  strstr(err.msg, "a loopback address") &&
                  (strstr(err.msg, "127.0.0.1,") || strstr(err.msg, "::1,")),
              "%s: failure %d, '%s'", url, (int)a.failure, err.msg);
        esgx_httpc_answer_free(&a);
        int c = accept(ls, NULL, NULL);
        CHECK(c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "%s was connected to", url);
        if (c >= 0) close(c);
    }
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/metrics", ntohs(sa.sin_port));
    esgx_httpc_opts o = {.timeout_ms = 300, .max_bytes = 1024};
    esgx_httpc_answer a;
    esgx_err err = {0};
    CHECK_RC(esgx_httpc_get(url, &o, &a, &err), ESGX_NODE_E_FETCH);   /* no answer: timeout */
    CHECK(a.failure == ESGX_HTTPC_TIMEOUT, "unguarded: failure %d, '%s'", (int)a.failure, err.msg);
    esgx_httpc_answer_free(&a);
    int c = accept(ls, NULL, NULL);
    CHECK(c >= 0, "the unguarded transfer did not connect");
    if (c >= 0) close(c);
    close(ls);
}

/* --trusted-proxy: the blocks parse (a bad one leaves the list alone), match by prefix,
 * and the client counted is the right-most untrusted X-Forwarded-For address, only for
 * a trusted peer. */
static void test_trusted_proxy(void)
{
    esgx_cidr l[4];
    unsigned n = 0;
    esgx_err err;
    char out[64];
    CHECK_RC(esgx_http_cidr_add(l, &n, 4, "127.0.0.1/32,10.0.0.0/8", &err), ESGX_OK);
    CHECK_RC(esgx_http_cidr_add(l, &n, 4, "fd00::/8", &err), ESGX_OK);
    CHECK(n == 3, "n %u", n);
    CHECK_RC(esgx_http_cidr_add(l, &n, 4, "1.2.3.4/33", &err), ESGX_NODE_E_USAGE);
    CHECK_RC(esgx_http_cidr_add(l, &n, 4, "1.2.3.4,nope", &err), ESGX_NODE_E_USAGE);
    CHECK_RC(esgx_http_cidr_add(l, &n, 4, "10.0.0.1/", &err), ESGX_NODE_E_USAGE);
    CHECK_RC(esgx_http_cidr_add(l, &n, 4, "1.1.1.1,2.2.2.2", &err), ESGX_NODE_E_USAGE);
    CHECK(n == 3, "a refused list changed n to %u", n);
    unsigned char a4[4] = {10, 200, 3, 4}, b4[4] = {11, 0, 0, 1}, m6[16] = {0};
    CHECK(esgx_http_cidr_match(l, n, AF_INET, a4), "10.200.3.4 not in 10/8");
    CHECK(!esgx_http_cidr_match(l, n, AF_INET, b4), "11.0.0.1 in the list");
    m6[10] = m6[11] = 0xff, m6[12] = 127, m6[15] = 1;   /* ::ffff:127.0.0.1 */
    CHECK(esgx_http_cidr_match(l, n, AF_INET6, m6), "mapped 127.0.0.1 not matched");
    m6[12] = 127, m6[15] = 2;
    CHECK(!esgx_http_cidr_match(l, n, AF_INET6, m6), "mapped 127.0.0.2 matched");
    /* an untrusted peer: X-Forwarded-For ignored */
    esgx_http_client_addr(l, n, "192.0.2.7", "198.51.100.1", out, sizeof out);
    CHECK(!strcmp(out, "192.0.2.7"), "untrusted peer: %s", out);
    /* a trusted peer: the right-most address not trusted; a forged left part is skipped */
    esgx_http_client_addr(l, n, "127.0.0.1", "6.6.6.6, 198.51.100.1,10.1.1.1 ", out, sizeof out);
    CHECK(!strcmp(out, "198.51.100.1"), "proxied client: %s", out);
    esgx_http_client_addr(l, n, "127.0.0.1", NULL, out, sizeof out);
    CHECK(!strcmp(out, "127.0.0.1"), "no header: %s", out);
    esgx_http_client_addr(l, n, "127.0.0.1", "10.0.0.9, 127.0.0.1", out, sizeof out);
    CHECK(!strcmp(out, "10.0.0.9"), "all trusted: %s", out);
    esgx_http_client_addr(l, n, "::ffff:127.0.0.1", "2001:DB8::1", out, sizeof out);
    CHECK(!strcmp(out, "2001:db8::1"), "canonical v6: %s", out);
    esgx_http_client_addr(l, n, "127.0.0.1", "1.1.1.1, unknown", out, sizeof out);
    CHECK(!strcmp(out, "unknown"), "not an address: %s", out);
}

/* The console's policy: member URLs become origins only when they are plain
 * scheme://host[:port]; anything that could smuggle text into the header is left out. */
static void test_console_csp(void)
{
    static const struct { const char *url, *want; } cases[] = {
        {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
        {"HTTPS://Node-1.Example.COM/api?x#y", "https://node-1.example.com"},
        {"http://[::1]:9000/", "http://[::1]:9000"},
        {"http://h:080", "http://h:80"},
        {"ftp://h", NULL},                  {"http://", NULL},
        {"http://a b", NULL},               {"http://h;script-src *", NULL},
        {"http://user@h", NULL},            {"http://h:0", NULL},
        {"http://h:65536", NULL},           {"http://h:1x", NULL},
        {"http://[::1", NULL},              {"http://h\r\nX: y", NULL},
        {"http://'self'", NULL},            {"javascript:alert(1)", NULL},
    };
    char out[300];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = esgx_console_origin(cases[i].url, out, sizeof out);
        if (cases[i].want)
            CHECK(rc == 0 && !strcmp(out, cases[i].want), "origin of %s: %d '%s'", cases[i].url,
                  rc, out);
        else
            CHECK(rc == -1 && !out[0], "origin of %s accepted: '%s'", cases[i].url, out);
    }
    char *csp = esgx_console_csp("[{\"url\":\"http://127.0.0.1:1\"},{\"url\":\"http://x;y\"},"
                                 "{\"url\":\"http://127.0.0.1:1/\"},{\"url\":\"http://127.0.0.1:10\"},"
                                 "{\"id\":\"no url\"},{\"url\":7}]");
    CHECK(csp && strstr(csp, "; connect-src 'self' http://127.0.0.1:1 http://127.0.0.1:10; base-uri "),
          "csp %s", csp ? csp : "(null)");
    free(csp);
    csp = esgx_console_csp(NULL);
    CHECK(csp && !strcmp(csp, "default-src 'none'; script-src 'self'; style-src 'self'; img-src "
                              "'self' data:; connect-src 'self'; base-uri 'none'; form-action "
                              "'none'; frame-ancestors 'none'"), "csp alone %s", csp ? csp : "");
    free(csp);
}

int main(void)
{
    char dir[] = "/tmp/esgx-test-http.XXXXXX";
    if (!mkdtemp(dir)) return 1;
    esgx_node_log_set_level(getenv("ESGX_TEST_VERBOSE") ? NODE_LOG_DEBUG : NODE_LOG_ERROR);
    signal(SIGPIPE, SIG_IGN);
    test_origin_guard();
    test_trusted_proxy();
    test_console_csp();
    node_config cfg = {.data_dir = dir, .listen_host = "127.0.0.1", .listen_port = 0,
                       .enclave_path = "/bin/false", .workers = 1, .http_threads = 2,
                       .max_content = 1024, .max_input = 512, .max_output = 1024,
                       .fuel = 1000, .memory_pages = 16, .log_level = NODE_LOG_ERROR};
    memset(g_token, 'a', 64);
    esgx_err err;
    metrics *m = NULL;
    content_store *cs = NULL;
    registry *reg = NULL;
    sup *s = NULL;
    http *h = NULL;
    CHECK_RC(esgx_metrics_new(&m, &err), ESGX_OK);
    CHECK_RC(esgx_content_open(dir, &cs, &err), ESGX_OK);
    CHECK_RC(esgx_registry_open(dir, &reg, &err), ESGX_OK);
    CHECK_RC(esgx_sup_new(&cfg, cs, m, NULL, &s, &err), ESGX_OK);
    if (s) CHECK_RC(esgx_sup_wait_ready(s, 5000), ESGX_NODE_E_TIMEOUT);
    http_deps deps = {.cfg = &cfg, .token_hex = g_token, .sup = s, .content = cs,
                      .registry = reg, .metrics = m};
    if (m && cs && reg && s) CHECK_RC(esgx_http_start(&deps, &h, &err), ESGX_OK);
    if (h) {
        g_port = esgx_http_port(h);
        CHECK(g_port > 0, "port %u", g_port);
        /* a second server on the same port cannot listen */
        node_config busy = cfg;
        busy.listen_port = g_port;
        http *h2 = NULL;
        deps.cfg = &busy;
        CHECK_RC(esgx_http_start(&deps, &h2, &err), ESGX_NODE_E_IO);
        esgx_http_free(h2);
        busy.listen_host = "no-such-host.invalid";
        CHECK_RC(esgx_http_start(&deps, &h2, &err), ESGX_NODE_E_ARG);
        esgx_http_free(h2);
        char hex[65];
        test_routes_and_auth();
        test_content(hex);
        test_registry(reg, hex);
        test_services(hex);
        test_plain();
        test_sealed_parse();
        esgx_http_quiesce(h);
    }
    esgx_sup_stop(s, 5000);
    esgx_http_free(h);
    esgx_sup_free(s);
    esgx_registry_close(reg);
    esgx_content_close(cs);
    esgx_metrics_free(m);
    test_remove_dir(dir);
    return ESGX_TEST_SUMMARY("node_http_unit");
}
