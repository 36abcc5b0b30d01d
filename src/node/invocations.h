/*
 * invocations.h: the recent invocations of each function on this node, for
 * GET /functions/NAME/invocations (invocations.c).
 */
#ifndef ESGX_NODE_INVOCATIONS_H
#define ESGX_NODE_INVOCATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

#define NODE_INVOCATIONS_KEPT 50         /* invocations kept per function */
#define NODE_INVOCATIONS_FUNCTIONS 256   /* functions kept (the least recently used goes) */

typedef struct node_invocations node_invocations;

/* One invocation's outcome, as recorded. */
typedef struct node_invocation {
    const char *status;            /* "" or NULL: "ok"; else the error code */
    uint64_t fuel;                 /* fuel used (0 when it never ran) */
    double ms;                     /* queue wait plus run, milliseconds */
    int sealed;                    /* a sealed call */
} node_invocation;

/* Creates the empty record (*out; freed with esgx_node_invocations_free). Returns 0 or
 * ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_node_invocations_new(node_invocations **out, esgx_err *err);
/* Frees v (NULL allowed). */
void esgx_node_invocations_free(node_invocations *v);
/* Records that function name has module hash now (a lookup, a deploy, an invocation by
 * name), so that invocations by that hash are listed under it too. Its list is kept. */
void esgx_node_invocations_set(node_invocations *v, const char *name, const uint8_t hash[32]);
/* Forgets name and its list (the function was deleted). */
void esgx_node_invocations_forget(node_invocations *v, const char *name);
/* Records one invocation of hash: under name when given (made known if it was not),
 * else (an invocation by hash) under every known function with that hash. */
void esgx_node_invocations_add(node_invocations *v, const char *name, const uint8_t hash[32],
                               const node_invocation *inv);
/* {"invocations":[{"seq","time","status","fuel","ms","sealed"}...]} of name, newest
 * first (an empty list for a function with none), as malloc'ed compact JSON (*len
 * bytes; caller frees). NULL when out of memory. */
char *esgx_node_invocations_json(node_invocations *v, const char *name, size_t *len);

#endif
