/*
 * fuzz_http.c: libFuzzer target for esgxd's HTTP request handling without sockets
 * (http_request.c): every route's classification, the raw path check, the framing headers,
 * the bearer token, the function name and the JSON bodies (/services/3, deploy,
 * origin), and the body buffer filled in pieces. The input is one request in a loose
 * text form: the first byte picks the method, then the target up to '\n', header lines
 * "Name: value" up to an empty line, and the rest is the body (also repeated into a
 * larger body fed to the buffer in pieces). Invariants are checked
 * with abort(): a refusal always has a 4xx/5xx status and a code, and what is accepted
 * is within the limits it was checked against.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"
#include "supervisor.h"

#define MAX_HEADERS 16

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", ""};

static void must(int cond)
{
    if (!cond) abort();
}

static void refused(unsigned st, const http_problem *p)
{
    must(st == p->status && st >= 400 && st < 600 && p->code && p->code[0]);
}

/* Splits data into target, headers and body (all NUL-terminated copies in buf). */
static size_t split(char *buf, size_t n, char **target, http_header *hdr, char **body,
                    size_t *body_len)
{
    size_t nh = 0, i = 0;
    *target = buf;
    while (i < n && buf[i] != '\n') i++;
    if (i < n) buf[i++] = 0;
    while (i < n && nh < MAX_HEADERS) {
        char *line = buf + i;
        while (i < n && buf[i] != '\n') i++;
        if (i < n) buf[i++] = 0;
        if (!line[0]) break;
        char *colon = strchr(line, ':');
        if (!colon) continue;
        *colon = 0;
        hdr[nh].name = line;
        hdr[nh].value = colon + 1 + (colon[1] == ' ');
        nh++;
    }
    *body = buf + i;
    *body_len = n - i;
    return nh;
}

static void fuzz_body(const http_route *r, const uint8_t *body, size_t len)
{
    http_problem p;
    unsigned st;
    if (r->route == ROUTE_SERVICES) {
        json_t *root;
        uint8_t *decoded;
        sup_req ex;
        memset(&ex, 0, sizeof ex);
        st = esgx_http_parse_service(body, len, 5000, 1024, &root, &decoded, &ex, &p);
        if (st) {
            refused(st, &p);
            must(!root && !decoded);
        } else {
            must(root && ex.fuel >= 1 && ex.fuel <= 5000 && (ex.sealed == 0 || ex.sealed == 1) &&
                 ex.input_len <= 1024 + (ex.sealed ? ESGX_SEAL_REQUEST_OVERHEAD : 0));
            must(ex.function_len >= 1 && ex.function_len <= ESGX_PROTO_MAX_FUNCTION);
            json_decref(root);
            free(decoded);
        }
    } else if (r->route == ROUTE_FN_DEPLOY) {
        static esgx_name_record rec;
        int logs;
        st = esgx_http_parse_deploy(body, len, &rec, &logs, &p);
        if (st) refused(st, &p);
        else must(esgx_name_valid(rec.name, rec.name_len) && rec.seq >= 1 &&
                  rec.n_transfers <= ESGX_NAME_MAX_TRANSFERS && (logs == 0 || logs == 1));
    } else if (r->route == ROUTE_FN_TRANSFER) {
        esgx_name_transfer t;
        st = esgx_http_parse_transfer(body, len, &t, &p);
        if (st) refused(st, &p);
        else must(t.seq >= 1);
    } else if (r->route == ROUTE_CONTENT_PUT) {
        json_t *root;
        const char *url;
        st = esgx_http_parse_origin(body, len, &root, &url, &p);
        if (st) refused(st, &p);
        else must(root && url);
        json_decref(root);
    }
}

/* A body 64 times the input's (so past the 64 KiB where the buffer moves to mmap'ed
 * memory) as it would stream in, in pieces whose sizes come from the input's bytes. */
static void fuzz_buffer(const uint8_t *body, size_t len, size_t limit)
{
    http_body b = {0};
    size_t total = len * 64, off = 0, k = 0;
    uint8_t piece[70000];
    while (off < total) {
        size_t n = 1 + (size_t)body[k++ % len] * 997 % sizeof piece;
        if (n > total - off) n = total - off;
        if (b.len + n > limit) break;
        for (size_t i = 0; i < n; i++) piece[i] = body[(off + i) % len];
        size_t ncap = esgx_http_body_next_cap(&b, n, limit);
        must(ncap >= b.len + n);
        if (esgx_http_body_grow(&b, ncap)) break;
        must(b.cap >= b.len + n && (b.mapped || b.cap < 65536));
        memcpy(b.p + b.len, piece, n);
        b.len += n;
        off += n;
    }
    must(b.len == off);
    for (size_t i = 0; i < off; i++) must(b.p[i] == body[i % len]);
    esgx_http_body_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    node_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.max_input = 1024;
    cfg.max_content = 200000;
    const char *method = methods[data[0] % (sizeof methods / sizeof methods[0])];
    char *buf = malloc(size);   /* the input after the method byte, NUL-terminated */
    if (!buf) return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = 0;
    char *target, *body;
    size_t body_len;
    http_header hdr[MAX_HEADERS];
    size_t nh = split(buf, size - 1, &target, hdr, &body, &body_len);

    http_problem p;
    unsigned st = esgx_http_check_raw_path(target, &p);
    if (st) refused(st, &p);
    http_route r;
    st = esgx_http_classify(&cfg, method, target, &r);
    must(st == 0 || st == 404 || st == 405);
    must(r.route >= 0 && r.route < ROUTE_COUNT && strlen(r.name) <= 64 && r.allow);
    if (st == 0) {
        st = esgx_http_check_name(&r, &p);
        if (st) refused(st, &p);
        for (size_t i = 0; i < nh; i++) {
            if (strcmp(hdr[i].name, "X-Esgx-Sealed")) continue;
            size_t before = r.limit;
            int sealed;
            st = esgx_http_check_sealed(hdr[i].value, &r, &sealed, &p);
            if (st) refused(st, &p);
            must(st ? !sealed && r.limit == before
                    : sealed ? r.route == ROUTE_FN_INVOKE &&
                                   r.limit == before + ESGX_SEAL_REQUEST_OVERHEAD
                             : r.limit == before);
            break;
        }
        http_framing fr;
        st = esgx_http_check_framing(hdr, nh, r.limit, &fr, &p);
        if (st) refused(st, &p);
        else must(!fr.has_length || fr.length <= r.limit);
        for (size_t i = 0; i < nh; i++) {
            if (strcmp(hdr[i].name, "Authorization")) continue;
            const char *tok;
            size_t n;
            if (!esgx_http_bearer(hdr[i].value, &tok, &n)) {
                must(tok && strlen(tok) >= n);
                (void)esgx_http_token_equal("00112233445566778899aabbccddeeff"
                                       "00112233445566778899aabbccddeeff", tok, n);
            }
        }
        fuzz_body(&r, (const uint8_t *)body, body_len);
        if (r.limit && body_len) fuzz_buffer((const uint8_t *)body, body_len, r.limit);
    }
    free(buf);
    return 0;
}
