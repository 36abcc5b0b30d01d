/*
 * http_internal.h: what the files of the HTTP server share (http_server.c: the server,
 * its replies, limits and the routes about content and the node; http_functions.c: the
 * routes of functions and invocations). Not a public header: the server's API is
 * http_server.h.
 */
#ifndef ESGX_HTTP_INTERNAL_H
#define ESGX_HTTP_INTERNAL_H

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

#include "guest_logs.h"
#include "http_request.h"
#include "invocations.h"
#include "http_server.h"

#define LOGS_POLL_MS 30000u        /* the longest a ?follow=1 waits for new lines */
#define HTTP_ADMIN_WORKERS 2       /* threads that run the routes that may wait (offload) */
#define HTTP_ADMIN_QUEUE 64        /* requests queued for them; one more: 503 busy */
#define BUD_BUCKETS 256u           /* hash buckets of the per-client body counts */

/* One client address's reserved body bytes (--max-buffered-per-ip), held by that
 * client's requests that reserved something (refs) and freed with the last. */
typedef struct bud_ent {
    struct bud_ent *next;          /* in its bucket */
    uint64_t bytes;
    unsigned refs;
    char addr[INET6_ADDRSTRLEN];
} bud_ent;

struct http {
    http_deps d;
    const node_config *cfg;
    struct MHD_Daemon *daemon;
    char token[65];
    unsigned port;
    uint64_t max_buffered;         /* --max-buffered (default applied) */
    uint64_t max_per_ip;           /* --max-buffered-per-ip (default applied) */
    uint64_t min_rate;             /* --min-body-rate, bytes/s (0: none) */
    uint64_t request_ms;           /* --read-timeout in ms */
    unsigned request_s;
    /* the body budget: bytes reserved across all requests and per client, under bud_mu */
    pthread_mutex_t bud_mu;
    uint64_t buffered;
    bud_ent *bud[BUD_BUCKETS];
    node_logs *logs;               /* rings of guest debug output, long polls */
    node_invocations *invocations; /* the last invocations of each function */
    metrics_history *history;      /* the sampler of GET /metrics/history */
    /* --trusted-proxy: the per-address counts (connections of direct clients, requests
     * of clients behind a proxy), a small array searched linearly; under lim_mu */
    unsigned per_ip;
    pthread_mutex_t lim_mu;
    struct lim_ent { char addr[INET6_ADDRSTRLEN]; unsigned n; } *lim;
    size_t n_lim, cap_lim;
    /* the admin workers (esgx_http_offload): a ring of suspended requests, under off_mu */
    pthread_mutex_t off_mu;
    pthread_cond_t off_cond;
    struct hreq *off_q[HTTP_ADMIN_QUEUE];
    size_t off_head, off_len;
    pthread_t off_thr[HTTP_ADMIN_WORKERS];
    int off_threads;               /* started */
    int off_stop;
};

typedef struct hreq {
    http *srv;
    int started;                   /* the access handler has seen this request */
    http_problem early;            /* a refusal found on the request line (status 0: none) */
    int waiting;                   /* suspended for the enclave */
    http_route rt;
    http_framing fr;
    http_body b;
    size_t reserved;               /* bytes counted in srv->buffered and bud->bytes */
    bud_ent *bud;                  /* the client's count (NULL until a reservation) */
    char who[INET6_ADDRSTRLEN];    /* the client the body is counted for */
    size_t discarded;              /* bytes over the limit thrown away */
    int too_large;
    unsigned refused;              /* 503 (--max-buffered) or 429 (--max-buffered-per-ip):
                                      the body could not be reserved, it is discarded */
    uint64_t body_bytes;           /* bytes of the body received (discarded ones too) */
    uint64_t win_start_ms;         /* the --min-body-rate window started then */
    uint64_t win_bytes;            /* with this many bytes in it so far */
    uint64_t deadline_ms;          /* the whole request by then (monotonic) */
    json_t *json;                  /* keeps the parsed service request alive */
    uint8_t *decoded;              /* the decoded input_base64 of a service request */
    const char *fn_name;           /* the function invoked by name (NULL: by hash) */
    int sealed;                    /* POST /functions/{name} with X-Esgx-Sealed: 1 */
    esgx_name_record *record;      /* its stored record (sr.record; malloc'ed) */
    uint64_t t0_ms;                /* when the invocation was handed on */
    struct MHD_Connection *conn;
    sup_req sr;
    node_logs_waiter lw;           /* a ?follow=1 long poll */
    int logs_polling;              /* suspended in a long poll */
    int offload;                   /* 1 queued or running on an admin worker, 2 its
                                      answer is kept below, to be queued on resume */
    enum MHD_Result (*off_route)(struct MHD_Connection *c, struct hreq *h);
    unsigned off_status;           /* 0: the route failed to make any answer (close) */
    char *off_body;                /* malloc'ed */
    size_t off_body_len;
    const char *off_ctype;         /* a string literal */
    int fetching;                  /* GET /content: 1 suspended for a fetch, 2 it ended
                                      (fetch_rc, fetch_err), 3 answered from it */
    int fetch_rc;
    esgx_err fetch_err;
    uint8_t content_hash[32];      /* GET /content/HASH */
    char corrupt[ESGX_ERR_MSG_MAX];   /* its stored copy was corrupt (now deleted) */
    uint64_t logs_since;
    char client[INET6_ADDRSTRLEN]; /* counted in srv->lim (behind a trusted proxy) */
} hreq;

/* ---------------------------------------------------------------- replies (http_server.c) */

/* Queues status with body (len bytes, freed by libmicrohttpd per mode) of type ctype on
 * c, counting it in the metrics; while h runs on an admin worker (esgx_http_offload)
 * the answer is kept in h and queued when the connection resumes. MHD_YES, or MHD_NO
 * when no response could be made (libmicrohttpd then closes the connection). */
enum MHD_Result esgx_http_reply_buf(struct MHD_Connection *c, hreq *h, unsigned status, void *body,
                                    size_t len, enum MHD_ResponseMemoryMode mode,
                                    const char *ctype);

/* esgx_http_reply_buf of o's compact text (o's reference is taken). */
enum MHD_Result esgx_http_reply_json(struct MHD_Connection *c, hreq *h, unsigned status,
                                     json_t *o);

/* esgx_http_reply_buf of the JSON error {"error": message, "code": code}. */
enum MHD_Result esgx_http_reply_error(struct MHD_Connection *c, hreq *h, unsigned status,
                                      const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The refusal p (http_problem.h) as a JSON error. */
enum MHD_Result esgx_http_reply_problem(struct MHD_Connection *c, hreq *h, const http_problem *p);

/* Answers outcome id (ESGX_RC_*) of an invocation that is not handed on, with msg. */
enum MHD_Result esgx_http_refuse_exec(struct MHD_Connection *c, hreq *h, int id, const char *msg);

/* Hands h->sr (hash, decrypt, fuel, function, input set) to the enclave and suspends c
 * until the answer comes (then the handler answers it). */
enum MHD_Result esgx_http_start_exec(struct MHD_Connection *c, hreq *h);

/* ---------------------------------------------------------------- routes (http_functions.c) */

/* POST /services/3: an invocation by hash. */
enum MHD_Result esgx_http_route_services(struct MHD_Connection *c, hreq *h);
/* POST /functions/NAME: an invocation by name (its stored signed record goes along). */
enum MHD_Result esgx_http_route_fn_invoke(struct MHD_Connection *c, hreq *h);
/* PUT /functions/NAME {"record", "logs"}: a deploy of a signed name record (admin). */
enum MHD_Result esgx_http_route_fn_deploy(struct MHD_Connection *c, hreq *h);
/* POST /functions/NAME/transfer: a transfer of a name to another owner (admin). */
enum MHD_Result esgx_http_route_fn_transfer(struct MHD_Connection *c, hreq *h);
/* GET /functions: the names (admin). */
enum MHD_Result esgx_http_route_fn_list(struct MHD_Connection *c, hreq *h);
/* DELETE /functions/NAME (admin). */
enum MHD_Result esgx_http_route_fn_delete(struct MHD_Connection *c, hreq *h);
/* GET /functions/NAME: its signed record. */
enum MHD_Result esgx_http_route_fn_get(struct MHD_Connection *c, hreq *h);
/* GET /functions/NAME/logs[?follow=1]: its guest's debug lines (a long poll with follow). */
enum MHD_Result esgx_http_route_fn_logs(struct MHD_Connection *c, hreq *h);
/* Answers a logs request with the lines after h->logs_since (also when a poll wakes). */
enum MHD_Result esgx_http_logs_answer(struct MHD_Connection *c, hreq *h);
/* GET /functions/NAME/invocations: its last invocations on this node (admin). */
enum MHD_Result esgx_http_route_fn_invocations(struct MHD_Connection *c, hreq *h);

/* ---------------------------------------------------------------- the console (console.c) */

/* GET / and GET /console/FILE: the console file h->rt.name with its headers. */
enum MHD_Result esgx_http_route_console(struct MHD_Connection *c, hreq *h);

#endif
