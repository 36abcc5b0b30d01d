/*
 * modcache.c: the compiled-module cache (see modcache.h).
 *
 * Small by design (tens to hundreds of entries), so the index is a doubly linked list
 * in LRU order (head = most recent) plus a small open hash table of chains keyed by
 * the first bytes of the BLAKE3 hash (uniformly distributed). One mutex protects the
 * structure and the counters; values are freed outside the lock because freeing a
 * large compiled module can take a while.
 */
#include "modcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MC_BUCKETS 256

struct modcache_entry {
    uint8_t hash[32];
    int decrypt;
    void *value;
    uint64_t cost;
    unsigned refs;
    int cached;                       /* still linked into the cache */
    modcache_entry *prev, *next;      /* LRU list */
    modcache_entry *chain;            /* bucket chain */
};

struct modcache {
    pthread_mutex_t lock;
    size_t max_entries;
    uint64_t max_bytes;
    void (*free_value)(void *);
    modcache_entry *head, *tail;
    modcache_entry *buckets[MC_BUCKETS];
    modcache_stats stats;
};

static unsigned bucket_of(const uint8_t hash[32], int decrypt)
{
    return (unsigned)(hash[0] ^ (decrypt ? 0x5a : 0)) % MC_BUCKETS;
}

modcache *esgx_modcache_new(size_t max_entries, uint64_t max_bytes, void (*free_value)(void *))
{
    if (max_entries == 0) return NULL;
    modcache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    c->free_value = free_value;
    return c;
}

static void entry_destroy(modcache *c, modcache_entry *e)
{
    if (c->free_value && e->value) c->free_value(e->value);
    free(e);
}

void esgx_modcache_free(modcache *c)
{
    if (!c) return;
    modcache_entry *e = c->head;
    while (e) {
        modcache_entry *next = e->next;
        entry_destroy(c, e);
        e = next;
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static modcache_entry *find_locked(modcache *c, const uint8_t hash[32], int decrypt)
{
    for (modcache_entry *e = c->buckets[bucket_of(hash, decrypt)]; e; e = e->chain)
        if (e->decrypt == decrypt && memcmp(e->hash, hash, 32) == 0) return e;
    return NULL;
}

static void lru_unlink(modcache *c, modcache_entry *e)
{
    if (e->prev) e->prev->next = e->next;
    else c->head = e->next;
    if (e->next) e->next->prev = e->prev;
    else c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push_front(modcache *c, modcache_entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

/* Removes e from the index; returns 1 if it should be destroyed now (no refs). */
static int remove_locked(modcache *c, modcache_entry *e)
{
    modcache_entry **pp = &c->buckets[bucket_of(e->hash, e->decrypt)];
    while (*pp && *pp != e) pp = &(*pp)->chain;
    if (*pp) *pp = e->chain;
    e->chain = NULL;
    lru_unlink(c, e);
    e->cached = 0;
    c->stats.entries--;
    c->stats.bytes -= e->cost;
    c->stats.evictions++;
    return e->refs == 0;
}

/* Destroys a chain (linked by `chain`) of entries removed from the cache. Called
 * without the lock. */
static void destroy_chain(modcache *c, modcache_entry *doomed)
{
    while (doomed) {
        modcache_entry *next = doomed->chain;
        entry_destroy(c, doomed);
        doomed = next;
    }
}

modcache_entry *esgx_modcache_get(modcache *c, const uint8_t hash[32], int decrypt)
{
    decrypt = decrypt ? 1 : 0;
    pthread_mutex_lock(&c->lock);
    modcache_entry *e = find_locked(c, hash, decrypt);
    if (e) {
        e->refs++;
        lru_unlink(c, e);
        lru_push_front(c, e);
        c->stats.hits++;
    } else {
        c->stats.misses++;
    }
    pthread_mutex_unlock(&c->lock);
    return e;
}

modcache_entry *esgx_modcache_put(modcache *c, const uint8_t hash[32], int decrypt, void *value,
                             uint64_t cost)
{
    decrypt = decrypt ? 1 : 0;
    modcache_entry *e = calloc(1, sizeof *e);
    if (!e) {
        if (c->free_value && value) c->free_value(value);
        return NULL;
    }
    memcpy(e->hash, hash, 32);
    e->decrypt = decrypt;
    e->value = value;
    e->cost = cost;
    e->refs = 1;

    modcache_entry *doomed = NULL;   /* evicted entries to destroy after unlocking */
    pthread_mutex_lock(&c->lock);
    modcache_entry *old = find_locked(c, hash, decrypt);
    if (old) {
        old->refs++;
        lru_unlink(c, old);
        lru_push_front(c, old);
        pthread_mutex_unlock(&c->lock);
        entry_destroy(c, e);
        return old;
    }
    if (c->max_bytes && cost > c->max_bytes) {
        /* Too big to keep: hand it out uncached; freed on release. */
        pthread_mutex_unlock(&c->lock);
        return e;
    }
    while (c->tail && (c->stats.entries + 1 > c->max_entries ||
                       (c->max_bytes && c->stats.bytes + cost > c->max_bytes))) {
        modcache_entry *victim = c->tail;
        if (remove_locked(c, victim)) {
            victim->chain = doomed;
            doomed = victim;
        }
    }
    unsigned b = bucket_of(hash, decrypt);
    e->chain = c->buckets[b];
    c->buckets[b] = e;
    e->cached = 1;
    lru_push_front(c, e);
    c->stats.entries++;
    c->stats.bytes += cost;
    pthread_mutex_unlock(&c->lock);
    destroy_chain(c, doomed);
    return e;
}

void esgx_modcache_set_cost(modcache *c, modcache_entry *e, uint64_t cost)
{
    if (!e) return;
    modcache_entry *doomed = NULL;
    pthread_mutex_lock(&c->lock);
    if (!e->cached) {
        e->cost = cost;
        pthread_mutex_unlock(&c->lock);
        return;
    }
    c->stats.bytes = c->stats.bytes - e->cost + cost;
    e->cost = cost;
    if (c->max_bytes && cost > c->max_bytes) {
        remove_locked(c, e);   /* the caller holds a reference: freed on release */
    } else {
        /* victims from the LRU end, e excepted (it is in use) */
        modcache_entry *v = c->tail;
        while (v && c->max_bytes && c->stats.bytes > c->max_bytes) {
            modcache_entry *prev = v->prev;
            if (v != e && remove_locked(c, v)) {
                v->chain = doomed;
                doomed = v;
            }
            v = prev;
        }
    }
    pthread_mutex_unlock(&c->lock);
    destroy_chain(c, doomed);
}

void *esgx_modcache_entry_value(const modcache_entry *e)
{
    return e ? e->value : NULL;
}

void esgx_modcache_release(modcache *c, modcache_entry *e)
{
    if (!e) return;
    pthread_mutex_lock(&c->lock);
    int destroy = (--e->refs == 0) && !e->cached;
    pthread_mutex_unlock(&c->lock);
    if (destroy) entry_destroy(c, e);
}

uint64_t esgx_modcache_sum(modcache *c, uint64_t (*measure)(const void *value))
{
    uint64_t sum = 0;
    pthread_mutex_lock(&c->lock);
    for (const modcache_entry *e = c->head; e; e = e->next) sum += measure(e->value);
    pthread_mutex_unlock(&c->lock);
    return sum;
}

void esgx_modcache_get_stats(modcache *c, modcache_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}
