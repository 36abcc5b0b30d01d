/*
 * console.h: the web console that esgxd serves (console.c, docs/console.md): its files
 * (console_bundle.h), the bundle hash and the Content-Security-Policy they go with. The
 * route itself is esgx_http_route_console (http_internal.h).
 */
#ifndef ESGX_NODE_CONSOLE_H
#define ESGX_NODE_CONSOLE_H

#include <stddef.h>

#include "console_bundle.h"

/* The file named name (flat: "index.html", "SHA256SUMS"), or NULL when the bundle has
 * none by that exact name (or esgxd was built without the console). */
const esgx_console_file *esgx_console_find(const char *name);

/* The bundle hash (SHA-256 hex of its SHA256SUMS), or NULL when built without it. */
const char *esgx_console_hash(void);

/* The origin of url ("scheme://host[:port]", scheme and host lowercased) into out (cap
 * bytes, NUL-terminated): http or https only, a host of [A-Za-z0-9.-] or a bracketed IPv6
 * address of [0-9A-Fa-f:.], a port 1..65535, then nothing or a path, query or fragment.
 * No user info. Returns 0, or -1 (out "") for anything else: such a URL is left out of
 * the policy rather than written into a header. */
int esgx_console_origin(const char *url, char *out, size_t cap);

/* The Content-Security-Policy of every console file, its connect-src listing 'self'
 * and the origin (esgx_console_origin) of each "url" member of nodes_json (the array of
 * GET /nodes; NULL or unparsable: none), each once. Returns a malloc'ed string, or
 * NULL when out of memory. */
char *esgx_console_csp(const char *nodes_json);

#endif
