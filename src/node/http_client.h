/*
 * http_client.h: the node's one HTTP client (libcurl), shared by the etcd client, the peer
 * and origin content fetches and the PCCS client. Bounded in size and time, no redirects, http and https
 * only. Two shapes: a request whose answer is collected in memory (control calls), and
 * a request whose answer is streamed to a callback (content, watch streams).
 */
#ifndef ESGX_NODE_HTTP_CLIENT_H
#define ESGX_NODE_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

typedef struct esgx_httpc_opts {
    const char *method;           /* "GET" or "POST" (NULL = GET, or POST with a body) */
    const char *content_type;     /* of the body; NULL = application/json */
    const void *body;             /* request body or NULL */
    size_t body_len;
    unsigned connect_timeout_ms;  /* 0 = 2000 */
    unsigned timeout_ms;          /* whole transfer; 0 = none (streams) */
    unsigned low_speed_ms;        /* abort when under low_speed_bytes/s for this long;
                                     0 = off */
    unsigned low_speed_bytes;     /* the minimum rate, bytes/s (0 = 1): a source that
                                     drips slower is dropped after low_speed_ms */
    uint64_t max_bytes;           /* answer body limit (the transfer aborts beyond it) */
    const _Atomic int *stop;     /* when non-NULL and set, the transfer aborts */
    const _Atomic int *cut;      /* a second such flag: the caller's own reason to end
                                    this one transfer (etcd's watch cut) */
    int peer_fetch;               /* send X-Esgx-Peer-Fetch: 1 (a node asking a node) */
    const char *user_agent;       /* NULL = "esgxd/1" */
    const char *ca_file;          /* PEM CAs for https (NULL = the system store) */
    int insecure;                 /* https without checking the server's certificate */
    const char *const *want_headers; /* answer header names (NULL-terminated list): the
                                        first one present is kept (esgx_httpc_get) */
    size_t header_max;            /* its longest accepted value (0 = 64 KiB) */
    int refuse_private;           /* connect to no address esgx_httpc_private_kind
                                     names (origins): checked on the address each
                                     connection is about to use, after DNS */
} esgx_httpc_opts;

/* Why a transfer failed (esgx_httpc_answer.failure). */
typedef enum esgx_httpc_failure {
    ESGX_HTTPC_OK = 0,
    ESGX_HTTPC_TIMEOUT,           /* connect or transfer time exceeded */
    ESGX_HTTPC_TLS,               /* the server's certificate was refused */
    ESGX_HTTPC_TOO_BIG,           /* the answer went past max_bytes */
    ESGX_HTTPC_FAILED,            /* anything else (connection refused, reset, ...) */
    ESGX_HTTPC_REFUSED,           /* refuse_private: the host is a private address */
} esgx_httpc_failure;

/* What came back (esgx_httpc_get). */
typedef struct esgx_httpc_answer {
    long status;                  /* HTTP status, 0 when no answer came */
    char *body;                   /* malloc'ed, NUL-terminated; free with
                                     esgx_httpc_answer_free */
    size_t len;
    char *header;                 /* the first of want_headers present (value trimmed),
                                     or NULL */
    int header_too_big;           /* it was longer than header_max (header NULL) */
    esgx_httpc_failure failure;
    char reason[256];             /* libcurl's words when the transfer failed */
} esgx_httpc_answer;

/* Called with each piece of the answer body; returns 0 to go on, non-zero to abort
 * (the request then fails with ESGX_NODE_E_ABORTED). */
typedef int (*esgx_httpc_sink)(void *arg, const uint8_t *data, size_t len);

/* Sends one request to url and streams the answer body to sink.
 * *status is the HTTP status (0 when no answer came). Returns ESGX_OK for any HTTP
 * status (callers judge it), ESGX_NODE_E_FETCH when the transfer failed (connection,
 * timeout: message names the URL and curl's reason), ESGX_NODE_E_TOO_BIG beyond
 * max_bytes, ESGX_NODE_E_ABORTED when sink or stop ended it, ESGX_NODE_E_ARG when
 * o->refuse_private and the host resolved to a private address (no connection was
 * made to it; the message names the URL, the address and its kind). */
ESGX_MUST_CHECK int esgx_httpc_stream(const char *url, const esgx_httpc_opts *o,
                                      esgx_httpc_sink sink, void *arg, long *status,
                                      esgx_err *err);

/* Like esgx_httpc_stream, collecting the answer body into a NUL-terminated heap
 * buffer *body (length *len; the caller frees it). */
ESGX_MUST_CHECK int esgx_httpc_fetch(const char *url, const esgx_httpc_opts *o, long *status,
                                     char **body, size_t *len, esgx_err *err);

/* GETs (or sends, per o) url, collecting the answer into *a (zeroed first): status,
 * body, the wanted header, and on a failed transfer why (a->failure, a->reason).
 * Returns ESGX_OK for any HTTP status, else the code esgx_httpc_stream would return
 * (err names the URL and the reason). Free *a with esgx_httpc_answer_free in every
 * case. */
ESGX_MUST_CHECK int esgx_httpc_get(const char *url, const esgx_httpc_opts *o,
                                   esgx_httpc_answer *a, esgx_err *err);
void esgx_httpc_answer_free(esgx_httpc_answer *a);

struct sockaddr;
/* What kind of address sa (AF_INET or AF_INET6) is when it is not on the public
 * internet: "a loopback address" (127/8, ::1), "the unspecified address" (0/8, ::),
 * "a private address" (10/8, 172.16/12, 192.168/16), "a shared (CGNAT) address"
 * (100.64/10), "a link-local address" (169.254/16, fe80::/10), "a unique-local
 * address" (fc00::/7); IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as its IPv4
 * address, and other families are "not an IP address". NULL for any other address. */
const char *esgx_httpc_private_kind(const struct sockaddr *sa);

/* A growable buffer for answers (always NUL-terminated after its data). */
typedef struct esgx_httpc_buf {
    uint8_t *p;                   /* malloc'ed, or NULL while empty */
    size_t len, cap;
    int nomem;                    /* set when a growth failed */
} esgx_httpc_buf;

/* Appends data to b. Returns 0, or 1 (and sets b->nomem) when out of memory. */
int esgx_httpc_buf_append(esgx_httpc_buf *b, const uint8_t *data, size_t len);

#endif
