/*
 * guest_logs.h: the recent debug output of each function's guest, for
 * GET /functions/NAME/logs and its long polls (guest_logs.c). Not esgxd's own log
 * (node_log.h).
 */
#ifndef ESGX_NODE_GUEST_LOGS_H
#define ESGX_NODE_GUEST_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

#define NODE_LOGS_LINES 200          /* lines kept per function */
#define NODE_LOGS_BYTES (64u * 1024u) /* bytes kept per function */
#define NODE_LOGS_FUNCTIONS 256      /* functions kept (the least recently used goes) */

typedef struct node_logs node_logs;

/* A long poll waiting for new lines of a function (owned by the HTTP request). */
typedef struct node_logs_waiter {
    char name[65];
    uint64_t deadline_ms;          /* monotonic: woken then without new lines */
    void (*wake)(struct node_logs_waiter *w);  /* called once, under the logs lock: it
                                                  may only resume the connection */
    void *owner;
    int registered;
    struct node_logs_waiter *next;
} node_logs_waiter;

/* Creates the logs (and their waker thread); *out is freed with esgx_node_logs_free.
 * Returns 0, ESGX_NODE_E_NOMEM or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_node_logs_new(node_logs **out, esgx_err *err);
/* Wakes every waiter and stops the thread; later waits return 0 at once (NULL allowed,
 * idempotent). */
void esgx_node_logs_stop(node_logs *l);
/* Stops l (esgx_node_logs_stop) and frees it (NULL allowed). */
void esgx_node_logs_free(node_logs *l);
/* Records what the registry says of name: its hash and whether logs are on. Turning
 * logs off, or a new hash, empties its ring. */
void esgx_node_logs_set(node_logs *l, const char *name, const uint8_t hash[32], int enabled);
/* Forgets name and its ring (the function was deleted). */
void esgx_node_logs_forget(node_logs *l, const char *name);
/* 1 if an invocation of hash (by name, or by hash when name is NULL) is to capture the
 * guest's debug output, else 0. */
int esgx_node_logs_wanted(node_logs *l, const char *name, const uint8_t hash[32]);
/* Appends captured output p[0..n) (one ring line per guest line) with the invocation's
 * status ("" or NULL: "ok") to the ring of name, or of every function with logs on and
 * this hash when name is NULL, and wakes their waiters. */
void esgx_node_logs_append(node_logs *l, const char *name, const uint8_t hash[32],
                      const char *status, const uint8_t *p, size_t n);
/* The lines of name after sequence number since, as malloc'ed text (*text, *len; caller
 * frees; empty for a function without lines); *next gets the last sequence number
 * given (ask for since = *next next time). Returns 0 or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_node_logs_read(node_logs *l, const char *name, uint64_t since, char **text,
                                   size_t *len, uint64_t *next, esgx_err *err);
/* Registers w (name, deadline_ms, wake set) unless w->name already has lines after
 * since. Returns 1 when registered (w->wake will be called once: new lines, deadline
 * or esgx_node_logs_free), 0 when there is something to read now. */
int esgx_node_logs_wait(node_logs *l, node_logs_waiter *w, uint64_t since);
/* Removes w if it is still registered (its wake is then not called). */
void esgx_node_logs_cancel(node_logs *l, node_logs_waiter *w);

#endif
