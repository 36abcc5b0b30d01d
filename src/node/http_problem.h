/*
 * http_problem.h: why esgxd refuses a request: the HTTP status, the JSON error code and a
 * message naming what was wrong. One type for the request parsers (http_request.c) and
 * the deploy and transfer decisions (names.c), answered by http_server.c as
 * {"error": msg, "code": code}. No dependencies, so both can include it.
 */
#ifndef ESGX_NODE_HTTP_PROBLEM_H
#define ESGX_NODE_HTTP_PROBLEM_H

typedef struct http_problem {
    unsigned status;               /* 4xx/5xx; 0: not refused */
    const char *code;              /* static string, e.g. "bad_hash" */
    char msg[512];
} http_problem;

/* Sets p to status, code (static) and a printf-style message; returns status
 * (implemented in http_request.c). */
unsigned esgx_http_problem_set(http_problem *p, unsigned status, const char *code,
                               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
