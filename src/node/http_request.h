/*
 * http_request.h: the socket-free part of esgxd's HTTP request handling (http_request.c):
 * route classification, request framing (Content-Length / Transfer-Encoding, the raw
 * path), the bearer token, the validation of JSON bodies (/services/3, deploy, transfer,
 * origin) and the body buffer. Everything takes plain buffers, so http_server.c
 * (libmicrohttpd) and the fuzzer (fuzz_http.c) drive the same code. A refusal is an http_problem: the HTTP
 * status, the JSON error code and a message naming what was wrong.
 */
#ifndef ESGX_NODE_HTTP_REQUEST_H
#define ESGX_NODE_HTTP_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"
#include "http_problem.h"
#include "metrics.h"
#include "node_config.h"

struct sup_req;

/* {"error": message (or code if NULL), "code": code} as a malloc'ed compact JSON
 * string (NULL only when out of memory); *len (if non-NULL) gets its length. The one
 * shape of every error body of the API, the supervisor's included. */
char *esgx_node_error_json(const char *code, const char *message, size_t *len);


/* What classification found for one method and URL. */
typedef struct http_route {
    int route;                     /* ROUTE_* */
    char name[65];                 /* function name or content hash from the path */
    size_t limit;                  /* largest body accepted (0: no body) */
    const char *allow;             /* the Allow header for a 405 */
} http_route;

/* Classifies method + url (the unescaped path) for the limits of cfg into *out. "/" and
 * "/console/FILE" are ROUTE_CONSOLE with out->name the file ("index.html" for "/"; ""
 * when longer than 64) unless cfg->no_console (then 404). Returns 0, 404 (no such path)
 * or 405 (path known, method not: out->allow set). */
unsigned esgx_http_classify(const node_config *cfg, const char *method, const char *url,
                       http_route *out);

/* Returns 1 if route (ROUTE_*) needs the admin token, else 0. */
int esgx_http_needs_auth(int route);

/* Returns 1 if route (ROUTE_*) is one of the public read-only GETs any web page may read
 * (/attestation, /health, /metrics, /metrics/history, /nodes): their answers, errors
 * included, carry Access-Control-Allow-Origin: * (docs/security.md, "Console"); else 0. */
int esgx_http_cors_open(int route);

/* Checks the function name of the invoke, deploy and delete routes. Returns 0 (valid or
 * another route) or 400 with *p filled. */
unsigned esgx_http_check_name(const http_route *r, http_problem *p);

/* The longest request target and the most header bytes (each header counted as
 * "Name: value\r\n") the node takes; over them it answers 414 uri_too_long / 431
 * headers_too_large itself (JSON). They are well under libmicrohttpd's per-connection
 * memory (32 KiB), past which libmicrohttpd answers 414/431 on its own (not JSON). */
#define HTTP_URI_MAX 8192u
#define HTTP_HEADERS_MAX 16384u

/* Checks the raw request target (before unescaping; may be NULL): longer than
 * HTTP_URI_MAX is 414 (uri_too_long); a %00 in its path would cut the unescaped path
 * short ("/functions/a%00b" naming "a"): 400 (bad_path). Returns 0, 414 or 400 with *p
 * filled. */
unsigned esgx_http_check_raw_path(const char *raw_uri, http_problem *p);

/* Checks the request's header bytes (counted as above). Returns 0 or 431
 * (headers_too_large) with *p filled. */
unsigned esgx_http_check_header_bytes(size_t bytes, http_problem *p);

/* The X-Esgx-Sealed header (value NULL when absent) for the classified route *r. On
 * POST /functions/{name}, "1" marks the raw body as a sealed input (docs/formats.md,
 * "Sealed calls"): *sealed = 1 and r->limit grows by the sealing overhead (62 bytes), so
 * a plaintext of --max-input bytes still fits. Other routes ignore it, except
 * /services/3, which takes a sealed input as its field "sealed_input" and refuses the
 * header. Returns 0, or 400 (bad_header: another value, or on /services/3) with *p
 * filled. */
unsigned esgx_http_check_sealed(const char *value, http_route *r, int *sealed, http_problem *p);

/* One request header as received. */
typedef struct http_header {
    const char *name;
    const char *value;
} http_header;

/* The body framing the headers declare. */
typedef struct http_framing {
    int has_length;                /* a Content-Length was given */
    uint64_t length;               /* its value */
    int chunked;                   /* Transfer-Encoding: chunked */
} http_framing;

/* Checks the framing headers among hdr[0..n) (other headers are ignored) against the
 * route's body limit: two different Content-Length values, Content-Length together with
 * Transfer-Encoding, or a Transfer-Encoding other than chunked are refused 400 (a proxy
 * in front could read the body's end elsewhere than we do); a Content-Length over limit
 * or not a number 413. Returns 0 with *out filled, or the status with *p filled. */
unsigned esgx_http_check_framing(const http_header *hdr, size_t n, size_t limit, http_framing *out,
                            http_problem *p);

/* Finds the token of an "Authorization: Bearer TOKEN" value (NULL when absent): *tok and
 * *len get it without surrounding blanks. Returns 0, or 401 when missing or not Bearer. */
unsigned esgx_http_bearer(const char *authz, const char **tok, size_t *len);

/* Compares a presented token with the 64-hex-character admin token in constant time.
 * Returns 1 when equal, else 0 (also when want is empty). */
int esgx_http_token_equal(const char *want, const char *tok, size_t len);

/* Parses and validates a /services/3 body (body[0..len)) against the node's fuel and
 * input limits into the EXEC parameters of *ex (hash, decrypt, fuel, function, input,
 * sealed; the strings point into *root, which the caller json_decref's after the
 * invocation; an "input_base64" or "sealed_input" is decoded into *decoded, which the
 * caller frees, and max_input applies to the decoded bytes, plus the 62 bytes of the
 * sealing for "sealed_input", which also sets ex->sealed; at most one of "input",
 * "input_base64" and "sealed_input"). Returns 0, or 400/413 (503 when out of memory)
 * with *p filled and nothing to free (*root and *decoded NULL). */
unsigned esgx_http_parse_service(const uint8_t *body, size_t len, uint64_t node_fuel,
                            uint64_t max_input, json_t **root, uint8_t **decoded,
                            struct sup_req *ex, http_problem *p);

/* Parses and validates a deploy body {"record": <signed name record>, "logs": BOOL}
 * (docs/http-api.md PUT /functions/{name}) into *rec (esgx_name_record_parse, strict)
 * and *logs (default 0). Signatures are not checked here. An unsigned body of before
 * ({"hash": ..., "decrypt": ...}) is refused 400 unsigned_deploy naming the fix. Returns
 * 0, or 400 with *p filled (invalid_json, unknown_field, bad_type, missing_field,
 * bad_record, unsigned_deploy). */
struct esgx_name_record;
struct esgx_name_transfer;
unsigned esgx_http_parse_deploy(const uint8_t *body, size_t len, struct esgx_name_record *rec,
                                int *logs, http_problem *p);

/* Parses a transfer object {"seq": N, "from": HEX66, "to": HEX66, "signature": HEX130}
 * (POST /functions/{name}/transfer, and the pending transfer the registry stores) into
 * *t: strict (every member required, no other, lowercase hex, seq 1..2^63-1).
 * Signatures are not checked here. Returns 0, or 400 with *p filled. */
unsigned esgx_http_parse_transfer(const uint8_t *body, size_t len, struct esgx_name_transfer *t,
                                  http_problem *p);

/* Parses an origin body {"url": STRING}. Returns 0 with *root (caller json_decref's) and
 * *url (inside *root) filled, or 400 with *p filled and nothing to free. */
unsigned esgx_http_parse_origin(const uint8_t *body, size_t len, json_t **root, const char **url,
                           http_problem *p);

/* A request body being received: malloc'ed while small, then in mmap'ed blocks that are
 * unmapped when freed, so a large body's memory goes back to the system at once. */
typedef struct http_body {
    uint8_t *p;
    size_t len, cap;
    int mapped;
} http_body;

/* The capacity the body needs to hold len + n bytes, growing by doubling but not past
 * cap_max (len + n <= cap_max; a mapped body's capacity, already rounded up to whole
 * pages, may be up to a page over it). */
size_t esgx_http_body_next_cap(const http_body *b, size_t n, size_t cap_max);

/* Grows b to hold at least ncap bytes (contents kept). Returns 0 or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_http_body_grow(http_body *b, size_t ncap);

/* Frees b's memory and zeroes it (an empty b is fine). */
void esgx_http_body_free(http_body *b);

/* The largest body any route of cfg accepts (a sealed invocation's overhead included):
 * the least --max-buffered-per-ip must allow for one client to send any request. */
size_t esgx_http_body_limit_max(const node_config *cfg);

/* Adds the comma-separated address blocks of s ("127.0.0.1/32,10.0.0.0/8,::1"; an
 * address alone is a whole block: /32 or /128) to list[0..*n), at most max in all.
 * Returns 0, or ESGX_NODE_E_USAGE with err naming the bad part (list unchanged then). */
ESGX_MUST_CHECK int esgx_http_cidr_add(esgx_cidr *list, unsigned *n, unsigned max,
                                       const char *s, esgx_err *err);
/* Returns 1 when the address (family AF_INET with 4 bytes, AF_INET6 with 16) is in one of
 * list[0..n) (an IPv4-mapped IPv6 address is matched as IPv4), else 0. */
int esgx_http_cidr_match(const esgx_cidr *list, unsigned n, int family,
                         const unsigned char *addr);
/* The client address a per-address limit counts: peer (the connecting address, text) when
 * it is not in list[0..n) or there is no xff; else the right-most address of xff (an
 * X-Forwarded-For value, "a, b, c") that is not in the list (the left-most when all
 * are; an element that is not an address is taken as it is, at most 45 characters).
 * out (cap >= 46) gets it in canonical text. */
void esgx_http_client_addr(const esgx_cidr *list, unsigned n, const char *peer,
                           const char *xff, char *out, size_t cap);

#endif
