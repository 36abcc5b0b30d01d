/*
 * content.h: the content store of esgxd (content.c): DIR/content/<blake3 hex>, atomic
 * writes, verified on every read (a corrupt file is deleted).
 */
#ifndef ESGX_NODE_CONTENT_H
#define ESGX_NODE_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

typedef struct content_store content_store;

/* Opens DATA_DIR/content (created 0700 if missing), removes stale temp files and counts
 * the stored bytes; *out is freed with esgx_content_close. Returns 0, ESGX_NODE_E_ARG (path
 * too long), ESGX_NODE_E_IO or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_content_open(const char *data_dir, content_store **out, esgx_err *err);

/* Closes cs (NULL allowed). */
void esgx_content_close(content_store *cs);

/* Stores data[0..len) under its BLAKE3 hash (temp file, fsync, rename, fsync dir;
 * nothing written if it exists and its bytes hash to its name; a stored file that does
 * not is replaced). hash_hex gets 64 lowercase hex chars + NUL. *created is 1 if a new
 * file was written. Returns 0 or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_content_put(content_store *cs, const uint8_t *data, size_t len,
                                char hash_hex[65], int *created, esgx_err *err);
/* esgx_content_put of data whose BLAKE3 hash the caller has already checked (a fetch
 * hashes as the bytes arrive): hash names the file, nothing is hashed again. */
ESGX_MUST_CHECK int esgx_content_put_hashed(content_store *cs, const uint8_t *data, size_t len,
                                            const uint8_t hash[32], char hash_hex[65],
                                            int *created, esgx_err *err);

/* Opens the stored file for a 32-byte hash read-only after checking that its bytes
 * hash to hash: *fd gets the descriptor (caller closes), *size its size. Returns 0,
 * ESGX_NODE_E_NOTFOUND, ESGX_NODE_E_MISMATCH (the file was corrupt and has been
 * deleted; err says so) or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_content_open_fd(content_store *cs, const uint8_t hash[32], int *fd,
                                    uint64_t *size, esgx_err *err);

/* Reads the whole stored file for hash into a malloc'ed buffer (*data, *len; caller
 * frees) and checks that it hashes to hash. Returns 0, ESGX_NODE_E_NOTFOUND,
 * ESGX_NODE_E_MISMATCH (the file was corrupt and has been deleted; err says so),
 * ESGX_NODE_E_IO or ESGX_NODE_E_NOMEM. */
ESGX_MUST_CHECK int esgx_content_read(content_store *cs, const uint8_t hash[32], uint8_t **data,
                                 size_t *len, esgx_err *err);

/* Returns 1 if content for hash exists, else 0. */
int esgx_content_exists(content_store *cs, const uint8_t hash[32]);

/* Calls fn for every stored item (hash, size) until fn returns non-zero. */
void esgx_content_each(content_store *cs, int (*fn)(void *arg, const uint8_t hash[32], uint64_t size),
                  void *arg);

/* Returns the total bytes stored (for /metrics). */
uint64_t esgx_content_total_bytes(const content_store *cs);

#endif
