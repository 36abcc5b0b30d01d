/*
 * console_bundle.h: the web console's files, built into esgxd (console.c serves them).
 * The table is generated at build time by esgx-console-embed (console_embed.c) from
 * what `node console/build.mjs` wrote; a build with -DESGX_CONSOLE=OFF links
 * console_none.c instead: no files, no hash.
 */
#ifndef ESGX_NODE_CONSOLE_BUNDLE_H
#define ESGX_NODE_CONSOLE_BUNDLE_H

#include <stddef.h>

/* One file of the bundle. */
typedef struct esgx_console_file {
    const char *name;              /* flat name: "index.html", "console.js", "SHA256SUMS" */
    const char *content_type;      /* by extension */
    const unsigned char *data;
    size_t len;
    const char *sha256;            /* 64 lowercase hex characters */
} esgx_console_file;

/* The files (esgx_console_n_files of them; SHA256SUMS is one). */
extern const esgx_console_file esgx_console_files[];
extern const size_t esgx_console_n_files;
/* SHA-256 hex of SHA256SUMS, the bundle hash; "" when built without the console. */
extern const char esgx_console_bundle_hash[];

#endif
