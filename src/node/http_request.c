/*
 * http_request.c: the request handling of esgxd's HTTP API that needs no socket (see
 * http_request.h). http_server.c calls these with what libmicrohttpd parsed; fuzz_http.c calls them
 * with arbitrary bytes. Nothing here keeps state: each function looks at its arguments
 * and says 0 (go on) or the HTTP status of the refusal with a problem naming the cause.
 * The body buffer lives here too because its growth rule (never past the route's limit
 * or the declared length) is part of what the fuzzer checks.
 */
#define _GNU_SOURCE
#include "http_request.h"
#include "supervisor.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include <openssl/evp.h>

#include "esgx_crypto.h"

#define SMALL_BODY_LIMIT 4096
#define RECORD_BODY_LIMIT (32u * 1024u)   /* a deploy: a record with 64 transfers fits */
#define SERVICE_JSON_OVERHEAD (64u * 1024u)
/* The /services/3 body limit: the input may come as a JSON string, where one byte can
 * take 6 ("\u0000"), or as base64 (4 per 3 bytes); --max-input applies to the bytes. */
#define SERVICE_BODY_LIMIT(max_input) ((max_input) * 6 + SERVICE_JSON_OVERHEAD)
#define MAPPED_BODY_MIN (64u * 1024u)   /* bodies past this go to mmap'ed memory */

unsigned esgx_http_problem_set(http_problem *p, unsigned status, const char *code,
                               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    p->status = status;
    p->code = code;
    return status;
}

/* esgx_http_problem_set() with the code and HTTP status of outcome id (ESGX_RC_*) of the
 * one table. */
static unsigned problem_rc(http_problem *p, int id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static unsigned problem_rc(http_problem *p, int id, const char *fmt, ...)
{
    const esgx_result_code_info *o = esgx_proto_result_code(id);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
    p->status = o->http;
    p->code = o->code;
    return p->status;
}

/* ---------------------------------------------------------------- error bodies */

char *esgx_node_error_json(const char *code, const char *message, size_t *len)
{
    json_t *o = json_pack("{s:s, s:s}", "error", message ? message : code, "code", code);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) s = strdup("{\"error\":\"internal error\",\"code\":\"internal\"}");
    if (s && len) *len = strlen(s);
    return s;
}

/* ---------------------------------------------------------------- routes */

static unsigned one_method(http_route *r, int route, size_t limit, const char *allow, int ok)
{
    r->route = route;
    r->limit = limit;
    r->allow = allow;
    return ok ? 0 : 405;
}

unsigned esgx_http_classify(const node_config *cfg, const char *method, const char *url,
                       http_route *r)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    int post = !strcmp(method, "POST"), put = !strcmp(method, "PUT");
    int del = !strcmp(method, "DELETE");
    memset(r, 0, sizeof *r);
    r->allow = "";
    if (!strcmp(url, "/services/3"))
        return one_method(r, ROUTE_SERVICES, (size_t)SERVICE_BODY_LIMIT(cfg->max_input),
                          "POST", post);
    if (!strcmp(url, "/content") || !strcmp(url, "/content/"))
        return one_method(r, ROUTE_CONTENT_PUT, (size_t)cfg->max_content, "POST", post);
    if (!strncmp(url, "/content/", 9)) {
        snprintf(r->name, sizeof r->name, "%.64s", url + 9);
        if (strlen(url + 9) > 64) snprintf(r->name, sizeof r->name, "x"); /* -> bad_hash */
        return one_method(r, ROUTE_CONTENT_GET, 0, "GET", get);
    }
    if (!strcmp(url, "/functions") || !strcmp(url, "/functions/"))
        return one_method(r, ROUTE_FN_LIST, 0, "GET", get);
    if (!strncmp(url, "/functions/", 11)) {
        const char *n = url + 11, *slash = strchr(n, '/');
        if (slash && (!strcmp(slash, "/logs") || !strcmp(slash, "/transfer") ||
                      !strcmp(slash, "/invocations"))) {
            if ((size_t)(slash - n) <= 64) snprintf(r->name, sizeof r->name, "%.*s",
                                                    (int)(slash - n), n);
            if (slash[1] == 't')
                return one_method(r, ROUTE_FN_TRANSFER, SMALL_BODY_LIMIT, "POST", post);
            if (slash[1] == 'i') return one_method(r, ROUTE_FN_INVOCATIONS, 0, "GET", get);
            return one_method(r, ROUTE_FN_LOGS, 0, "GET", get);
        }
        if (strlen(n) <= 64) snprintf(r->name, sizeof r->name, "%s", n);
        r->allow = "GET, POST, PUT, DELETE";
        if (get) r->route = ROUTE_FN_GET;
        else if (post) r->route = ROUTE_FN_INVOKE, r->limit = (size_t)cfg->max_input;
        else if (put) r->route = ROUTE_FN_DEPLOY, r->limit = RECORD_BODY_LIMIT;
        else if (del) r->route = ROUTE_FN_DELETE;
        else return r->route = ROUTE_OTHER, 405;
        return 0;
    }
    r->route = ROUTE_OTHER;
    if (!cfg->no_console && (!strcmp(url, "/") || !strncmp(url, "/console/", 9))) {
        /* the console's files by exact name (console.c); "/" is index.html */
        const char *f = url[1] ? url + 9 : "index.html";
        if (strlen(f) <= 64) snprintf(r->name, sizeof r->name, "%s", f);
        return one_method(r, ROUTE_CONSOLE, 0, "GET", get);
    }
    if (!strcmp(url, "/attestation")) r->route = ROUTE_ATTESTATION;
    else if (!strcmp(url, "/health")) r->route = ROUTE_HEALTH;
    else if (!strcmp(url, "/metrics")) r->route = ROUTE_METRICS;
    else if (!strcmp(url, "/metrics/history")) r->route = ROUTE_METRICS_HISTORY;
    else if (!strcmp(url, "/nodes")) r->route = ROUTE_NODES;
    else return 404;
    return one_method(r, r->route, 0, "GET", get);
}

int esgx_http_needs_auth(int route)
{
    return route == ROUTE_CONTENT_PUT || route == ROUTE_FN_DEPLOY || route == ROUTE_FN_LIST ||
           route == ROUTE_FN_DELETE || route == ROUTE_FN_LOGS || route == ROUTE_FN_TRANSFER ||
           route == ROUTE_FN_INVOCATIONS;
}

int esgx_http_cors_open(int route)
{
    return route == ROUTE_ATTESTATION || route == ROUTE_HEALTH || route == ROUTE_METRICS ||
           route == ROUTE_METRICS_HISTORY || route == ROUTE_NODES;
}

unsigned esgx_http_check_name(const http_route *r, http_problem *p)
{
    if ((r->route == ROUTE_FN_INVOKE || r->route == ROUTE_FN_DEPLOY ||
         r->route == ROUTE_FN_DELETE || r->route == ROUTE_FN_GET || r->route == ROUTE_FN_LOGS ||
         r->route == ROUTE_FN_TRANSFER || r->route == ROUTE_FN_INVOCATIONS) &&
        !esgx_proto_name_valid(r->name, strlen(r->name)))
        return esgx_http_problem_set(p, 400, "bad_name",
                                     "function names are 1 to 64 characters of [A-Za-z0-9._-]");
    return 0;
}

unsigned esgx_http_check_raw_path(const char *raw, http_problem *p)
{
    if (!raw) return 0;
    if (strnlen(raw, HTTP_URI_MAX + 1) > HTTP_URI_MAX)
        return esgx_http_problem_set(p, 414, "uri_too_long", "the request target is over %u bytes",
                                     HTTP_URI_MAX);
    size_t n = strcspn(raw, "?#");
    for (size_t i = 0; i + 2 < n; i++)
        if (raw[i] == '%' && raw[i + 1] == '0' && raw[i + 2] == '0')
            return esgx_http_problem_set(p, 400, "bad_path",
                                         "the path must not contain %%00 (a NUL byte)");
    return 0;
}

unsigned esgx_http_check_header_bytes(size_t bytes, http_problem *p)
{
    if (bytes <= HTTP_HEADERS_MAX) return 0;
    return esgx_http_problem_set(p, 431, "headers_too_large",
                                 "the request headers are over %u bytes",
                                 HTTP_HEADERS_MAX);
}

unsigned esgx_http_check_sealed(const char *value, http_route *r, int *sealed, http_problem *p)
{
    *sealed = 0;
    if (!value) return 0;
    if (r->route == ROUTE_SERVICES)
        return esgx_http_problem_set(p, 400, "bad_header", "the header X-Esgx-Sealed is for POST "
                                     "/functions/{name}; /services/3 takes a sealed "
                                     "input as the field 'sealed_input'");
    if (r->route != ROUTE_FN_INVOKE) return 0;
    if (strcmp(value, "1"))
        return esgx_http_problem_set(p, 400, "bad_header",
                                     "the header X-Esgx-Sealed must be 1, not '%.32s'",
                                     value);
    *sealed = 1;
    r->limit += ESGX_SEAL_REQUEST_OVERHEAD;   /* a plaintext of --max-input still fits */
    return 0;
}

size_t esgx_http_body_limit_max(const node_config *cfg)
{
    size_t m = (size_t)SERVICE_BODY_LIMIT(cfg->max_input);
    size_t sealed = (size_t)cfg->max_input + ESGX_SEAL_REQUEST_OVERHEAD;
    if ((size_t)cfg->max_content > m) m = (size_t)cfg->max_content;
    if (sealed > m) m = sealed;
    return m > RECORD_BODY_LIMIT ? m : RECORD_BODY_LIMIT;
}

/* ---------------------------------------------------------------- framing */

unsigned esgx_http_check_framing(const http_header *hdr, size_t n, size_t limit, http_framing *out,
                            http_problem *p)
{
    memset(out, 0, sizeof *out);
    const char *cl = NULL;
    int te = 0;
    for (size_t i = 0; i < n; i++) {
        if (!hdr[i].name || !hdr[i].value) continue;
        if (!strcasecmp(hdr[i].name, "Content-Length")) {
            if (cl && strcmp(cl, hdr[i].value))
                return esgx_http_problem_set(p, 400, "ambiguous_length",
                               "two different Content-Length headers (%.32s and %.32s)", cl,
                                             hdr[i].value);
            cl = hdr[i].value;
        } else if (!strcasecmp(hdr[i].name, "Transfer-Encoding")) {
            if (te || strcasecmp(hdr[i].value, "chunked"))
                return esgx_http_problem_set(p, 400, "bad_transfer_encoding",
                                             "only 'Transfer-Encoding: chunked' is accepted, once");
            te = 1;
        }
    }
    if (cl && te)
        return esgx_http_problem_set(p, 400, "ambiguous_length",
                                     "Content-Length and Transfer-Encoding exclude each other");
    out->chunked = te;
    if (!cl) return 0;
    uint64_t v;
    if (esgx_parse_u64(cl, 0, limit, 0, &v, NULL))   /* malformed or over the limit */
        return esgx_http_problem_set(p, 413, "too_large",
                       "body of %.32s bytes exceeds the limit of %zu for this route", cl, limit);
    out->has_length = 1;
    out->length = v;
    return 0;
}

/* ---------------------------------------------------------------- auth */

unsigned esgx_http_bearer(const char *a, const char **tok, size_t *len)
{
    *tok = NULL;
    *len = 0;
    if (!a || strncmp(a, "Bearer ", 7)) return 401;
    a += 7;
    while (*a == ' ') a++;
    size_t n = strlen(a);
    while (n && (a[n - 1] == ' ' || a[n - 1] == '\t')) n--;
    *tok = a;
    *len = n;
    return 0;
}

int esgx_http_token_equal(const char *want, const char *tok, size_t len)
{
    if (!want[0] || len != 64 || strlen(want) != 64) return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < 64; i++) diff |= (unsigned char)(tok[i] ^ want[i]);
    return diff == 0;
}

/* ---------------------------------------------------------------- JSON bodies */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

/* The body as a JSON object (NULL with *p filled). */
static json_t *parse_object(const uint8_t *body, size_t len, http_problem *p)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)(body ? body : (const uint8_t *)""), len,
                              JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        esgx_http_problem_set(p, 400, "invalid_json",
                              "invalid JSON: %s (line %d, column %d)", je.text,
                              je.line, je.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        esgx_http_problem_set(p, 400, "invalid_json", "the body must be a JSON object, not %s",
                              type_name(root));
        json_decref(root);
        return NULL;
    }
    return root;
}

static unsigned bad_type(http_problem *p, const char *key, const char *want, const json_t *v)
{
    return esgx_http_problem_set(p, 400, "bad_type", "field '%s' must be %s %s, not %s", key,
                                 want[0] == 'i' ? "an" : "a", want, type_name(v));
}

/* Decodes the standard base64 text b64[0..n) (padding required, no whitespace) into a
 * malloc'ed buffer (*out, *out_len; freed by the caller) unless it would exceed max
 * bytes. Returns 0, or 400 / 413 with *p filled. */
static unsigned decode_base64(const char *field, const char *b64, size_t n, uint64_t max,
                              uint8_t **out, size_t *out_len, http_problem *p)
{
    *out = NULL;
    *out_len = 0;
    if (n % 4)
        return esgx_http_problem_set(p, 400, "bad_base64",
                                     "field '%s' is not base64 (length %zu is not a "
                                     "multiple of 4)", field, n);
    size_t pad = n >= 1 && b64[n - 1] == '=' ? (n >= 2 && b64[n - 2] == '=' ? 2 : 1) : 0;
    size_t bytes = n / 4 * 3 - pad;
    if (bytes > max)
        return problem_rc(p, ESGX_RC_INPUT_TOO_LARGE, "%s of %zu bytes exceeds the limit of %llu",
                          field[0] == 's' ? "sealed input" : "input", bytes,
                          (unsigned long long)max);
    for (size_t i = 0; i < n - pad; i++) {
        char c = b64[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/'))
            return esgx_http_problem_set(p, 400, "bad_base64",
                                         "field '%s' is not base64 (character %zu)",
                                         field, i);
    }
    uint8_t *buf = malloc(n / 4 * 3 + 1);
    if (!buf) return esgx_http_problem_set(p, 503, "busy", "no memory for the input");
    if (n && EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n) < 0) {
        free(buf);
        return esgx_http_problem_set(p, 400, "bad_base64", "field '%s' is not base64", field);
    }
    *out = buf;
    *out_len = bytes;
    return 0;
}

/* One field of a /services/3 body into *s. Returns 0 or the refusal. */
static unsigned service_field(const char *key, json_t *v, uint64_t node_fuel, sup_req *s,
                              const char **hash, size_t *hash_len, http_problem *p)
{
    if (!strcmp(key, "hash")) {
        if (!json_is_string(v)) return bad_type(p, key, "string", v);
        *hash = json_string_value(v);
        *hash_len = json_string_length(v);
    } else if (!strcmp(key, "decrypt")) {
        if (!json_is_boolean(v)) return bad_type(p, key, "boolean", v);
        s->decrypt = (uint8_t)json_is_true(v);
    } else if (!strcmp(key, "function")) {
        if (!json_is_string(v)) return bad_type(p, key, "string", v);
        s->function = json_string_value(v);
        s->function_len = json_string_length(v);
    } else if (!strcmp(key, "input") || !strcmp(key, "input_base64") ||
               !strcmp(key, "sealed_input")) {
        if (!json_is_string(v)) return bad_type(p, key, "string", v);
        if (s->input)
            return esgx_http_problem_set(p, 400, "bad_input", "fields 'input', 'input_base64' and "
                                         "'sealed_input' are mutually exclusive");
        s->input = (const uint8_t *)json_string_value(v);
        s->input_len = json_string_length(v);
        s->sealed = key[0] == 's';
    } else if (!strcmp(key, "fuel")) {
        if (!json_is_integer(v)) return bad_type(p, key, "integer", v);
        json_int_t f = json_integer_value(v);
        if (f < 1 || (uint64_t)f > node_fuel)
            return esgx_http_problem_set(p, 400, "bad_fuel",
                                         "field 'fuel' must be between 1 and %llu (the node limit)",
                                         (unsigned long long)node_fuel);
        s->fuel = (uint64_t)f;
    } else {
        return esgx_http_problem_set(p, 400, "unknown_field", "unknown field '%.64s'", key);
    }
    return 0;
}

unsigned esgx_http_parse_service(const uint8_t *body, size_t len, uint64_t node_fuel,
                            uint64_t max_input, json_t **rootp, uint8_t **decoded, sup_req *s,
                            http_problem *p)
{
    *rootp = NULL;
    *decoded = NULL;
    s->decrypt = 0;
    s->function = "main";
    s->function_len = 4;
    s->input = NULL;
    s->input_len = 0;
    s->sealed = 0;
    json_t *root = parse_object(body, len, p);
    if (!root) return p->status;
    s->fuel = node_fuel;
    const char *key, *hash = NULL;
    size_t hash_len = 0;
    json_t *v;
    unsigned st = 0;
    json_object_foreach(root, key, v) {
        st = service_field(key, v, node_fuel, s, &hash, &hash_len, p);
        if (st) break;
    }
    if (!st && !hash) st = esgx_http_problem_set(p, 400, "missing_field",
                                                 "field 'hash' is required");
    if (!st && !esgx_proto_hash_text_valid(hash, hash_len))
        st = esgx_http_problem_set(p, 400, "bad_hash",
                                   "field 'hash' must be 64 lowercase hex characters (BLAKE3)");
    if (!st && (s->function_len < 1 || s->function_len > ESGX_PROTO_MAX_FUNCTION))
        st = esgx_http_problem_set(p, 400, "bad_function",
                                   "field 'function' must be 1 to 255 bytes, got %zu",
                                   s->function_len);
    /* a sealed input is the plaintext plus the sealing overhead: a plaintext of
     * max_input bytes still fits (the enclave applies the same bound) */
    const char *field = s->sealed ? "sealed_input" : "input_base64";
    uint64_t max = s->sealed ? max_input + ESGX_SEAL_REQUEST_OVERHEAD : max_input;
    json_t *b64 = json_object_get(root, field);
    if (!st && b64) {
        size_t n;
        st = decode_base64(field, json_string_value(b64), json_string_length(b64), max, decoded,
                           &n, p);
        s->input = *decoded;
        s->input_len = n;
    }
    if (!s->input) s->input = (const uint8_t *)"";
    if (!st && s->input_len > max)
        st = problem_rc(p, ESGX_RC_INPUT_TOO_LARGE, "input of %zu bytes exceeds the limit of %llu",
                     s->input_len, (unsigned long long)max);
    if (st) {
        free(*decoded);
        *decoded = NULL;
        json_decref(root);
        s->function = NULL;
        s->input = NULL;
        s->sealed = 0;
        return st;
    }
    (void)!esgx_crypto_hex_decode(hash, 64, s->hash, 32, NULL, NULL); /* hex checked */
    *rootp = root;
    return 0;
}

unsigned esgx_http_parse_deploy(const uint8_t *body, size_t len, esgx_name_record *rec,
                                int *logs, http_problem *p)
{
    *logs = 0;
    memset(rec, 0, sizeof *rec);
    json_t *root = parse_object(body, len, p);
    if (!root) return p->status;
    const char *key;
    json_t *v;
    unsigned st = 0;
    if (!json_object_get(root, "record") && json_object_get(root, "hash"))
        st = esgx_http_problem_set(p, 400, "unsigned_deploy",
                     "a deploy is a signed name record now: send {\"record\": <record signed "
                     "with your developer key>, \"logs\": bool} (esgx functions deploy does; "
                                   "docs/http-api.md, PUT /functions/{name})");
    json_object_foreach(root, key, v) {
        if (st) break;
        if (!strcmp(key, "record")) {
            if (!json_is_object(v)) st = bad_type(p, key, "object", v);
        } else if (!strcmp(key, "logs")) {
            if (!json_is_boolean(v)) st = bad_type(p, key, "boolean", v);
            else *logs = json_is_true(v);
        } else {
            st = esgx_http_problem_set(p, 400, "unknown_field", "unknown field '%.64s'", key);
        }
    }
    int has_record = json_object_get(root, "record") != NULL;
    json_decref(root);
    if (!st && !has_record) st = esgx_http_problem_set(p, 400, "missing_field",
                                                       "field 'record' is required");
    size_t a, b;
    esgx_err e;
    if (!st && esgx_json_member_span((const char *)body, len, "record", &a, &b, &e))
        st = esgx_http_problem_set(p, 400, "bad_record", "field 'record': %s", e.msg);
    if (!st && esgx_name_record_parse((const char *)body + a, b - a, rec, &e))
        st = esgx_http_problem_set(p, 400, "bad_record", "%s", e.msg);
    if (st) *logs = 0;
    return st;
}

/* s is a string of exactly n lowercase hex characters; decoded into out. */
static int hex_member(const json_t *v, size_t n, uint8_t *out)
{
    const char *s = json_string_value(v);
    if (!s || json_string_length(v) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return esgx_crypto_hex_decode(s, n, out, n / 2, NULL, NULL) == ESGX_OK;
}

unsigned esgx_http_parse_transfer(const uint8_t *body, size_t len, esgx_name_transfer *t,
                                  http_problem *p)
{
    memset(t, 0, sizeof *t);
    json_t *root = parse_object(body, len, p);
    if (!root) return p->status;
    const char *key;
    json_t *v;
    unsigned st = 0, seen = 0;
    json_object_foreach(root, key, v) {
        if (!strcmp(key, "seq")) {
            json_int_t x = json_integer_value(v);
            if (!json_is_integer(v)) st = bad_type(p, key, "integer", v);
            else if (x < 1) st = esgx_http_problem_set(p, 400, "bad_transfer",
                                                       "field 'seq' must be 1 .. 2^63-1");
            else t->seq = (uint64_t)x;
            seen |= 1;
        } else if (!strcmp(key, "from") || !strcmp(key, "to")) {
            if (!hex_member(v, 66, key[0] == 'f' ? t->from : t->to))
                st = esgx_http_problem_set(p, 400, "bad_transfer",
                                           "field '%s' must be 66 lowercase hex "
                                           "characters (a compressed public key)", key);
            seen |= key[0] == 'f' ? 2 : 4;
        } else if (!strcmp(key, "signature")) {
            if (!hex_member(v, 130, t->signature))
                st = esgx_http_problem_set(p, 400, "bad_transfer",
                                           "field 'signature' must be 130 lowercase "
                                           "hex characters");
            seen |= 8;
        } else {
            st = esgx_http_problem_set(p, 400, "unknown_field", "unknown field '%.64s'", key);
        }
        if (st) break;
    }
    json_decref(root);
    if (!st && seen != 15)
        st = esgx_http_problem_set(p, 400, "missing_field", "field '%s' is required",
                     !(seen & 1) ? "seq" : !(seen & 2) ? "from" : !(seen & 4) ? "to" : "signature");
    return st;
}

unsigned esgx_http_parse_origin(const uint8_t *body, size_t len, json_t **root, const char **url,
                           http_problem *p)
{
    *root = NULL;
    *url = NULL;
    json_t *o = parse_object(body, len, p);
    if (!o) return p->status;
    json_t *u = json_object_get(o, "url");
    if (json_object_size(o) != 1 || !json_is_string(u)) {
        json_decref(o);
        return esgx_http_problem_set(p, 400, "bad_origin",
                       "a JSON body must be {\"url\": \"https://...\" | \"http://...\" | "
                       "\"ipfs://CID\"} (upload raw bytes with another Content-Type)");
    }
    *root = o;
    *url = json_string_value(u);
    return 0;
}

/* ---------------------------------------------------------------- body buffer */

size_t esgx_http_body_next_cap(const http_body *b, size_t n, size_t cap_max)
{
    size_t need = b->len + n;
    if (need <= b->cap) return b->cap;
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap < need && ncap < cap_max) ncap = ncap > cap_max / 2 ? cap_max : ncap * 2;
    return ncap < need ? need : ncap;
}

int esgx_http_body_grow(http_body *b, size_t ncap)
{
    if (ncap <= b->cap) return ESGX_OK;
    if (ncap < MAPPED_BODY_MIN) {
        uint8_t *nb = realloc(b->p, ncap);
        if (!nb) return ESGX_NODE_E_NOMEM;
        b->p = nb;
        b->cap = ncap;
        return ESGX_OK;
    }
    size_t page = 4096;
    size_t mcap = (ncap + page - 1) / page * page;
    void *nb;
    if (b->mapped) {
#ifndef ESGX_TSAN
        nb = mremap(b->p, b->cap, mcap, MREMAP_MAYMOVE);
#else
        /* ThreadSanitizer does not intercept mremap: the pages a body moved to kept the
         * history of another connection's body there, a false race. Under TSan only,
         * move by hand (mmap and munmap, which it sees). */
        nb = mmap(NULL, mcap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (nb != MAP_FAILED && b->len) memcpy(nb, b->p, b->len);
        if (nb != MAP_FAILED) munmap(b->p, b->cap);
#endif
    } else {
        nb = mmap(NULL, mcap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (nb != MAP_FAILED && b->len) memcpy(nb, b->p, b->len);
        if (nb != MAP_FAILED) free(b->p);
    }
    if (nb == MAP_FAILED) return ESGX_NODE_E_NOMEM;
    b->p = nb;
    b->cap = mcap;
    b->mapped = 1;
    return ESGX_OK;
}

void esgx_http_body_free(http_body *b)
{
    if (b->mapped) munmap(b->p, b->cap);
    else free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------- trusted proxies */

/* Parses one address text (len bytes, no blanks) into family/addr. Returns 0 or -1. */
static int addr_parse(const char *s, size_t len, int *family, unsigned char addr[16])
{
    char buf[INET6_ADDRSTRLEN];
    if (!len || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    if (inet_pton(AF_INET, buf, addr) == 1) *family = AF_INET;
    else if (inet_pton(AF_INET6, buf, addr) == 1) *family = AF_INET6;
    else return -1;
    /* an IPv4-mapped IPv6 address is the IPv4 address */
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (*family == AF_INET6 && !memcmp(addr, mapped, 12)) {
        memmove(addr, addr + 12, 4);
        *family = AF_INET;
    }
    return 0;
}

int esgx_http_cidr_add(esgx_cidr *list, unsigned *n, unsigned max, const char *s,
                       esgx_err *err)
{
    unsigned k = *n;
    const char *p = s;
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *slash = memchr(p, '/', len);
        size_t alen = slash ? (size_t)(slash - p) : len;
        esgx_cidr c = {0};
        int bad = addr_parse(p, alen, &c.family, c.addr);
        unsigned width = c.family == AF_INET ? 32 : 128;
        c.bits = width;
        if (!bad && slash) {
            uint64_t b;
            char num[8];
            size_t nl = len - alen - 1;
            bad = nl == 0 || nl >= sizeof num;
            if (!bad) {
                memcpy(num, slash + 1, nl);
                num[nl] = 0;
                bad = esgx_parse_u64(num, 0, width, 0, &b, NULL) != 0;
                c.bits = (unsigned)b;
            }
        }
        if (bad)
            return esgx_err_set(err, ESGX_NODE_E_USAGE, "'%.*s' is not an address or "
                                "ADDRESS/BITS", (int)(len > 64 ? 64 : len), p);
        if (k >= max)
            return esgx_err_set(err, ESGX_NODE_E_USAGE, "at most %u address blocks", max);
        list[k++] = c;
        if (!p[len]) break;
        p += len + 1;
    }
    *n = k;
    return ESGX_OK;
}

int esgx_http_cidr_match(const esgx_cidr *list, unsigned n, int family,
                         const unsigned char *addr)
{
    unsigned char a[16];
    memcpy(a, addr, family == AF_INET ? 4 : 16);
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET6 && !memcmp(a, mapped, 12)) {
        memmove(a, a + 12, 4);
        family = AF_INET;
    }
    for (unsigned i = 0; i < n; i++) {
        if (list[i].family != family) continue;
        unsigned whole = list[i].bits / 8, rest = list[i].bits % 8;
        if (memcmp(list[i].addr, a, whole)) continue;
        if (rest && ((list[i].addr[whole] ^ a[whole]) & (0xffu << (8 - rest)) & 0xffu))
            continue;
        return 1;
    }
    return 0;
}

/* Writes the address text s[0..len) into out, canonical when it parses. Returns 1 when
 * it is an address in list. */
static int client_text(const esgx_cidr *list, unsigned n, const char *s, size_t len,
                       char *out, size_t cap)
{
    int fam;
    unsigned char a[16];
    if (addr_parse(s, len, &fam, a)) {
        snprintf(out, cap, "%.*s", (int)(len > 45 ? 45 : len), s);
        return 0;
    }
    if (!inet_ntop(fam, a, out, (socklen_t)cap)) snprintf(out, cap, "-");
    return esgx_http_cidr_match(list, n, fam, a);
}

void esgx_http_client_addr(const esgx_cidr *list, unsigned n, const char *peer,
                           const char *xff, char *out, size_t cap)
{
    int trusted = client_text(list, n, peer, strlen(peer), out, cap);
    if (!trusted || !xff) return;
    const char *end = xff + strlen(xff);
    while (end > xff) {   /* from the right: the hops our proxies appended */
        const char *comma = end;
        while (comma > xff && comma[-1] != ',') comma--;
        const char *b = comma, *e = end;
        while (b < e && (*b == ' ' || *b == '\t')) b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
        if (e > b && !client_text(list, n, b, (size_t)(e - b), out, cap)) return;
        end = comma > xff ? comma - 1 : xff;
    }
    /* every element trusted (or empty): out holds the left-most one, or the peer */
}
