/*
 * collcache.c: parsed collateral kept between quote verifications.
 *
 * Parsing the collateral JSON and its PEM chains and CRLs, and checking the collateral's
 * own signatures, is most of the cost of one verification; none of it depends on the
 * quote. An entry (esgx_attest_coll_entry, attest_int.h) holds the parsed collateral, the
 * trusted roots, an X509_STORE with the roots and both CRLs, and the results verify.c
 * found that hold for any quote: CRL and JSON signatures (time-independent), and the
 * window of times in which the three collateral chains verified (the intersection of
 * the validity of every certificate of the chains built and of both CRLs: inside it
 * OpenSSL gives the same answer, outside it verify.c checks again). Only successes are
 * recorded, so an entry never makes a verification fail that would not fail anyway.
 * It also keeps a few PCK chains seen in quotes (by the SHA-256 of their PEM bytes; one
 * platform sends the same chain in every quote) with their own window.
 *
 * Key: SHA-256 of the collateral bytes and SHA-256 of the trusted roots PEM (or of
 * nothing for the Intel root), so different bytes never share an entry. The cache is
 * bounded (least recently used entry evicted), guarded by one mutex, and entries are
 * reference counted: a verification holds its entry while it runs, even if it is
 * evicted meanwhile. The results in an entry are set under the entry's own mutex.
 */
#include "attest_int.h"

#include <openssl/pem.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct esgx_attest_collateral_cache {
    pthread_mutex_t mu;
    size_t max;
    size_t n;
    esgx_attest_coll_entry **e;    /* most recently used first */
    uint64_t hits, misses;
};

int esgx_attest_collateral_cache_new(size_t max_entries, esgx_attest_collateral_cache **out,
                                     esgx_err *err)
{
    *out = NULL;
    if (max_entries < 1 || max_entries > 1024)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "collateral cache: %zu entries (1..1024)",
                            max_entries);
    esgx_attest_collateral_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->e = calloc(max_entries, sizeof *c->e))) {
        free(c);
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "collateral cache: out of memory");
    }
    pthread_mutex_init(&c->mu, NULL);
    c->max = max_entries;
    *out = c;
    return 0;
}

void esgx_attest_collateral_cache_free(esgx_attest_collateral_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        esgx_attest_coll_entry_put(c->e[i]);
    pthread_mutex_destroy(&c->mu);
    free(c->e);
    free(c);
}

void esgx_attest_collateral_cache_stats(esgx_attest_collateral_cache *c, uint64_t *hits,
                                        uint64_t *misses, size_t *entries)
{
    pthread_mutex_lock(&c->mu);
    if (hits)
        *hits = c->hits;
    if (misses)
        *misses = c->misses;
    if (entries)
        *entries = c->n;
    pthread_mutex_unlock(&c->mu);
}

/* Trusted roots from PEM text (lenient reader: this text is configuration). */
static int load_roots(const char *pem, STACK_OF(X509) **out, esgx_err *err)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    STACK_OF(X509) *st = sk_X509_new_null();
    X509 *x;
    if (!bio || !st) {
        BIO_free(bio);
        sk_X509_free(st);
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "roots: out of memory");
    }
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
        if (!sk_X509_push(st, x))
            X509_free(x);
    BIO_free(bio);
    if (sk_X509_num(st) == 0) {
        sk_X509_free(st);
        return esgx_err_set(err, ESGX_ATTEST_E_CERT, "trusted roots: no PEM certificate");
    }
    *out = st;
    return 0;
}

void esgx_attest_coll_entry_put(esgx_attest_coll_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    int last = --e->refs == 0;
    pthread_mutex_unlock(&e->mu);
    if (!last)
        return;
    for (size_t i = 0; i < ESGX_ATTEST_PCK_SLOTS; i++)
        sk_X509_pop_free(e->pck[i].chain, X509_free);
    X509_STORE_free(e->store);
    sk_X509_pop_free(e->roots, X509_free);
    esgx_attest_collateral_clear(&e->c);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

/* A new entry (one reference) for the collateral and roots: parsed, roots loaded, the
 * store built. No check is run here (verify.c runs them in its order). */
static int entry_new(const char *coll, size_t coll_len, const char *roots_pem,
                     const uint8_t key[64], esgx_attest_coll_entry **out, esgx_err *err)
{
    esgx_attest_coll_entry *e = calloc(1, sizeof *e);
    if (!e)
        return esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "collateral cache: out of memory");
    pthread_mutex_init(&e->mu, NULL);
    e->refs = 1;
    memcpy(e->key, key, 64);
    int rc = esgx_attest_collateral_parse(coll, coll_len, &e->c, err);
    if (!rc)
        rc = load_roots(roots_pem ? roots_pem : esgx_attest_intel_root_pem, &e->roots, err);
    if (!rc && !(e->store = X509_STORE_new()))
        rc = esgx_err_set(err, ESGX_ATTEST_E_INTERNAL, "roots: out of memory");
    for (int i = 0; !rc && i < sk_X509_num(e->roots); i++)
        X509_STORE_add_cert(e->store, sk_X509_value(e->roots, i));
    if (!rc) {
        X509_STORE_add_crl(e->store, e->c.root_crl);
        X509_STORE_add_crl(e->store, e->c.pck_crl);
    }
    if (rc) {
        esgx_attest_coll_entry_put(e);
        return rc;
    }
    *out = e;
    return 0;
}

int esgx_attest_coll_entry_get(esgx_attest_collateral_cache *c, const char *coll,
                               size_t coll_len, const char *roots_pem,
                               esgx_attest_coll_entry **out, esgx_err *err)
{
    *out = NULL;
    if (!coll)
        return esgx_err_set(err, ESGX_ATTEST_E_COLLATERAL, "collateral: missing or too large");
    uint8_t key[64];
    esgx_attest_sha256(coll, coll_len, key);
    esgx_attest_sha256(roots_pem ? roots_pem : "", roots_pem ? strlen(roots_pem) : 0, key + 32);
    if (c) {
        pthread_mutex_lock(&c->mu);
        for (size_t i = 0; i < c->n; i++) {
            esgx_attest_coll_entry *e = c->e[i];
            if (memcmp(e->key, key, 64))
                continue;
            memmove(c->e + 1, c->e, i * sizeof *c->e);   /* to the front */
            c->e[0] = e;
            pthread_mutex_lock(&e->mu);
            e->refs++;
            pthread_mutex_unlock(&e->mu);
            c->hits++;
            pthread_mutex_unlock(&c->mu);
            *out = e;
            return 0;
        }
        c->misses++;
        pthread_mutex_unlock(&c->mu);
    }
    /* parse outside the lock; two threads may parse the same bytes, one entry is kept */
    esgx_attest_coll_entry *e = NULL;
    int rc = entry_new(coll, coll_len, roots_pem, key, &e, err);
    if (rc || !c) {
        *out = rc ? NULL : e;
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    int present = 0;
    for (size_t i = 0; i < c->n && !present; i++)
        present = !memcmp(c->e[i]->key, key, 64);
    if (!present) {
        esgx_attest_coll_entry *old = c->n == c->max ? c->e[--c->n] : NULL;
        memmove(c->e + 1, c->e, c->n * sizeof *c->e);
        c->e[0] = e;
        c->n++;
        pthread_mutex_lock(&e->mu);
        e->refs++;                 /* the cache's reference */
        pthread_mutex_unlock(&e->mu);
        pthread_mutex_unlock(&c->mu);
        esgx_attest_coll_entry_put(old);
    } else {
        pthread_mutex_unlock(&c->mu);
    }
    *out = e;
    return 0;
}
