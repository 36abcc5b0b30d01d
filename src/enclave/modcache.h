/*
 * modcache.h: bounded, thread-safe LRU cache of compiled modules.
 *
 * Keyed by (content hash, decrypt flag). Values are opaque (the executor stores
 * esgx_wasm_module pointers) with a free function given at creation. Lookups return a
 * counted reference: an entry evicted while in use is unlinked from the cache at once
 * but its value is freed only when the last reference is released, so eviction never
 * frees a module a worker is running.
 *
 * An entry's cost may change while it is cached (a module's machine code grows as its
 * functions are first called): esgx_modcache_set_cost records the new figure and
 * evicts least recently used entries until the byte bound holds again, so the bound
 * counts what the values hold now, not what they held when inserted.
 */
#ifndef ESGX_MODCACHE_H
#define ESGX_MODCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

typedef struct modcache modcache;
typedef struct modcache_entry modcache_entry;

typedef struct modcache_stats {
    uint64_t entries;        /* entries currently cached */
    uint64_t bytes;          /* sum of their costs */
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
} modcache_stats;

/* A cache holding at most max_entries entries whose costs sum to at most max_bytes
 * (0 = no byte bound). free_value frees a value (called without the cache lock).
 * Returns NULL if out of memory or max_entries is 0. */
ESGX_MUST_CHECK modcache *esgx_modcache_new(size_t max_entries, uint64_t max_bytes,
                                            void (*free_value)(void *));

/* Frees the cache and every cached value. No entry may still be referenced. */
void esgx_modcache_free(modcache *c);

/* Looks up (hash, decrypt). Returns a referenced entry (release it with
 * esgx_modcache_release) and marks it most recently used, or NULL (counted as a miss). */
ESGX_MUST_CHECK modcache_entry *esgx_modcache_get(modcache *c, const uint8_t hash[32], int decrypt);

/* Inserts value under (hash, decrypt) with the given cost (e.g. bytes of code) and
 * returns a referenced entry. The cache takes ownership of value. If the key is already
 * present (another thread compiled it first), value is freed and the existing entry is
 * returned. Least recently used entries are evicted until the bounds hold; an entry
 * whose cost alone exceeds max_bytes is returned but not kept. NULL if out of memory
 * (value is then freed). */
ESGX_MUST_CHECK
modcache_entry *esgx_modcache_put(modcache *c, const uint8_t hash[32], int decrypt, void *value,
                             uint64_t cost);

/* Records that the value of e (referenced by the caller) now costs `cost` and evicts
 * least recently used entries other than e until the byte bound holds; e itself is
 * dropped from the cache (freed on its last release) if its cost alone exceeds
 * max_bytes. For an entry no longer cached, only its cost changes. */
void esgx_modcache_set_cost(modcache *c, modcache_entry *e, uint64_t cost);

/* The value of an entry (valid while the reference is held). */
void *esgx_modcache_entry_value(const modcache_entry *e);

/* Drops a reference; frees the entry if it was evicted and this was the last one. */
void esgx_modcache_release(modcache *c, modcache_entry *e);

/* Snapshot of the counters. */
void esgx_modcache_get_stats(modcache *c, modcache_stats *out);

/* The sum of measure(value) over the values cached now (under the cache lock: measure
 * must be quick and must not call back into the cache). */
uint64_t esgx_modcache_sum(modcache *c, uint64_t (*measure)(const void *value));

#endif
