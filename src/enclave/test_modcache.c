/*
 * test_modcache.c: the compiled-module cache: bounds by entries and bytes, LRU order,
 * keys including the decrypt flag, duplicate inserts, references that outlive
 * eviction, costs that grow while an entry is in use (esgx_modcache_set_cost), and a multi-threaded stress run (use-after-free would be caught by ASan
 * and by the value's magic check; every value must be freed exactly once).
 */
#include <pthread.h>

#include "modcache.h"
#include "test_util.h"

#define MAGIC 0x6d6f6475u

typedef struct value {
    unsigned magic;
    int id;
} value;

static int g_created, g_freed;
static pthread_mutex_t g_count_lock = PTHREAD_MUTEX_INITIALIZER;

static value *make_value(int id)
{
    value *v = malloc(sizeof *v);
    v->magic = MAGIC;
    v->id = id;
    pthread_mutex_lock(&g_count_lock);
    g_created++;
    pthread_mutex_unlock(&g_count_lock);
    return v;
}

static void free_value(void *p)
{
    value *v = p;
    if (v->magic != MAGIC) {
        fprintf(stderr, "double free of value %d\n", v->id);
        abort();
    }
    v->magic = 0;
    free(v);
    pthread_mutex_lock(&g_count_lock);
    g_freed++;
    pthread_mutex_unlock(&g_count_lock);
}

static void key_of(int i, uint8_t h[32])
{
    memset(h, 0, 32);
    h[0] = (uint8_t)i;           /* same bucket for i and i+256: chains get exercised */
    h[31] = (uint8_t)(i >> 8);
}

static void test_basic(void)
{
    modcache *c = esgx_modcache_new(4, 0, free_value);
    uint8_t h[32];
    modcache_stats st;
    for (int i = 0; i < 10; i++) {
        key_of(i, h);
        CHECK(esgx_modcache_get(c, h, 0) == NULL);
        modcache_entry *e = esgx_modcache_put(c, h, 0, make_value(i), 100);
        CHECK(e && ((value *)esgx_modcache_entry_value(e))->id == i);
        esgx_modcache_release(c, e);
    }
    esgx_modcache_get_stats(c, &st);
    CHECK_EQ_INT(st.entries, 4);
    CHECK_EQ_INT(st.evictions, 6);
    CHECK_EQ_INT(st.misses, 10);
    CHECK_EQ_INT(st.bytes, 400);
    CHECK_EQ_INT(g_freed, 6);
    key_of(5, h);
    CHECK(esgx_modcache_get(c, h, 0) == NULL);   /* evicted */

    /* LRU: touch 6 (oldest of 6..9), insert 10 -> 7 goes, 6 stays. */
    key_of(6, h);
    modcache_entry *e6 = esgx_modcache_get(c, h, 0);
    CHECK(e6 != NULL);
    esgx_modcache_release(c, e6);
    key_of(10, h);
    esgx_modcache_release(c, esgx_modcache_put(c, h, 0, make_value(10), 100));
    key_of(7, h);
    CHECK(esgx_modcache_get(c, h, 0) == NULL);
    key_of(6, h);
    e6 = esgx_modcache_get(c, h, 0);
    CHECK(e6 != NULL);

    /* The decrypt flag is part of the key. */
    CHECK(esgx_modcache_get(c, h, 1) == NULL);

    /* A held reference survives eviction; the value is freed on release. */
    int freed_before = g_freed;
    for (int i = 20; i < 24; i++) {
        key_of(i, h);
        esgx_modcache_release(c, esgx_modcache_put(c, h, 1, make_value(i), 100));
    }
    key_of(6, h);
    CHECK(esgx_modcache_get(c, h, 0) == NULL);            /* evicted from the index */
    CHECK(((value *)esgx_modcache_entry_value(e6))->magic == MAGIC);   /* still alive */
    CHECK_EQ_INT(g_freed, freed_before + 3);         /* 8, 9, 10 freed; 6 held */
    esgx_modcache_release(c, e6);
    CHECK_EQ_INT(g_freed, freed_before + 4);

    /* Duplicate insert returns the existing entry and frees the new value. */
    key_of(20, h);
    int before = g_freed;
    modcache_entry *d = esgx_modcache_put(c, h, 1, make_value(99), 100);
    CHECK(d && ((value *)esgx_modcache_entry_value(d))->id == 20);
    CHECK_EQ_INT(g_freed, before + 1);
    esgx_modcache_release(c, d);
    esgx_modcache_get_stats(c, &st);
    CHECK_EQ_INT(st.entries, 4);
    esgx_modcache_free(c);
    CHECK_EQ_INT(g_freed, g_created);
}

static void test_bytes(void)
{
    modcache *c = esgx_modcache_new(100, 1000, free_value);
    uint8_t h[32];
    for (int i = 0; i < 5; i++) {
        key_of(i, h);
        esgx_modcache_release(c, esgx_modcache_put(c, h, 0, make_value(i), 300));
    }
    modcache_stats st;
    esgx_modcache_get_stats(c, &st);
    CHECK_EQ_INT(st.entries, 3);
    CHECK(st.bytes <= 1000);
    /* Too big to cache: handed out, not kept, freed on release. */
    key_of(50, h);
    int before = g_freed;
    modcache_entry *big = esgx_modcache_put(c, h, 0, make_value(50), 5000);
    CHECK(big != NULL);
    esgx_modcache_get_stats(c, &st);
    CHECK_EQ_INT(st.entries, 3);
    esgx_modcache_release(c, big);
    CHECK_EQ_INT(g_freed, before + 1);
    CHECK(esgx_modcache_get(c, h, 0) == NULL);
    esgx_modcache_free(c);
    CHECK_EQ_INT(g_freed, g_created);
}

/* A cost that grows while the entry is in use (a module's machine code compiled on
 * first calls): the byte bound holds again once it is recorded, by evicting the least
 * recently used entries, never the one in use; an entry grown past the whole bound is
 * dropped and freed on its last release. */
static void test_set_cost(void)
{
    modcache *c = esgx_modcache_new(100, 1000, free_value);
    uint8_t h[32];
    for (int i = 0; i < 4; i++) {   /* 0 (least recent) .. 3: 800 bytes */
        key_of(i, h);
        esgx_modcache_release(c, esgx_modcache_put(c, h, 0, make_value(i), 200));
    }
    key_of(1, h);
    modcache_entry *e = esgx_modcache_get(c, h, 0);   /* LRU order now 0, 2, 3, 1 */
    CHECK(e != NULL);
    int before = g_freed;
    esgx_modcache_set_cost(c, e, 750);   /* 1350 in all: 0 and 2 must go */
    modcache_stats st;
    esgx_modcache_get_stats(c, &st);
    CHECK_EQ_INT(st.entries, 2);
    CHECK_EQ_INT(st.bytes, 950);
    CHECK_EQ_INT(g_freed, before + 2);
    key_of(0, h);
    CHECK(esgx_modcache_get(c, h, 0) == NULL);
    key_of(2, h);
    CHECK(esgx_modcache_get(c, h, 0) == NULL);
    /* grown past the whole bound: unlinked at once, alive while referenced */
    esgx_modcache_set_cost(c, e, 1500);
    esgx_modcache_get_stats(c, &st);
    CHECK_EQ_INT(st.entries, 1);
    CHECK_EQ_INT(st.bytes, 200);
    CHECK(((value *)esgx_modcache_entry_value(e))->magic == MAGIC);
    before = g_freed;
    esgx_modcache_release(c, e);
    CHECK_EQ_INT(g_freed, before + 1);
    key_of(1, h);
    CHECK(esgx_modcache_get(c, h, 0) == NULL);
    esgx_modcache_free(c);
    CHECK_EQ_INT(g_freed, g_created);
}

typedef struct stress_arg {
    modcache *c;
    unsigned seed;
    int bad;
} stress_arg;

static void *stress(void *p)
{
    stress_arg *a = p;
    uint8_t h[32];
    for (int i = 0; i < 20000; i++) {
        a->seed = a->seed * 1103515245u + 12345u;
        int k = (int)((a->seed >> 16) % 40);
        int dec = (int)((a->seed >> 8) & 1);
        key_of(k, h);
        modcache_entry *e = esgx_modcache_get(a->c, h, dec);
        if (!e) e = esgx_modcache_put(a->c, h, dec, make_value(k), 10 + (uint64_t)k);
        value *v = esgx_modcache_entry_value(e);
        if (v->magic != MAGIC || v->id != k) a->bad++;
        if (i % 7 == 0) sched_yield();
        if (v->magic != MAGIC) a->bad++;
        esgx_modcache_release(a->c, e);
    }
    return NULL;
}

static void test_threads(void)
{
    modcache *c = esgx_modcache_new(8, 150, free_value);
    enum { T = 8 };
    pthread_t th[T];
    stress_arg args[T];
    for (int i = 0; i < T; i++) {
        args[i] = (stress_arg){c, (unsigned)i * 7919u + 1, 0};
        pthread_create(&th[i], NULL, stress, &args[i]);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(args[i].bad, 0);
    }
    modcache_stats st;
    esgx_modcache_get_stats(c, &st);
    CHECK(st.entries <= 8);
    CHECK(st.bytes <= 150);
    CHECK_EQ_INT(st.hits + st.misses, T * 20000);
    esgx_modcache_free(c);
    CHECK_EQ_INT(g_freed, g_created);
}

int main(void)
{
    test_basic();
    test_bytes();
    test_set_cost();
    test_threads();
    T_DONE("enclave_modcache");
}
