/*
 * hostfn_keys.c: the derived keys of one invocation (host_internal.h, hostfn_key_cache).
 *
 * A module key is shared/0/<module hash as 16 u16>/<path as u16s>, one BIP32 child
 * derivation (an EC multiplication) per level: 17 for the base key of a module, one per
 * u16 of path. The cache keeps the last HOSTFN_KEY_CACHE full keys and the last
 * HOSTFN_BASE_CACHE base keys of the invocation, replaced round-robin in call order.
 * esgx_host_keys_cost counts the derivations a request needs from the cache as it is,
 * and esgx_host_keys_get does exactly those, so the fuel charged before the work is
 * the work done, and depends only on the invocation's own calls.
 */
#include "host_internal.h"

#include <string.h>

static const hostfn_key_slot *find_full(const hostfn_key_cache *c, const uint8_t hash[32],
                                        const uint8_t *path, uint32_t path_len)
{
    for (int i = 0; i < HOSTFN_KEY_CACHE; i++) {
        const hostfn_key_slot *s = &c->full[i];
        if (s->used && s->path_len == path_len && memcmp(s->hash, hash, 32) == 0 &&
            (path_len == 0 || memcmp(s->path, path, path_len) == 0))
            return s;
    }
    return NULL;
}

static const hostfn_key_slot *find_base(const hostfn_key_cache *c, const uint8_t hash[32])
{
    for (int i = 0; i < HOSTFN_BASE_CACHE; i++)
        if (c->base[i].used && memcmp(c->base[i].hash, hash, 32) == 0) return &c->base[i];
    return NULL;
}

uint64_t esgx_host_keys_cost(const hostfn_key_cache *c, const uint8_t hash[32],
                             const uint8_t *path, uint32_t path_len)
{
    uint64_t steps = 0;
    if (!find_full(c, hash, path, path_len)) {
        steps = path_len / 2;
        if (!find_base(c, hash)) steps += HOSTFN_BASE_STEPS;
    }
    return HOSTFN_FUEL_KEY_LOOKUP + HOSTFN_FUEL_DERIVE_STEP * steps;
}

/* Stores key for (hash, path) in the next slot of the ring (slots, n, *next). */
static void put_slot(hostfn_key_slot *slots, int n, uint32_t *next, const uint8_t hash[32],
                     const uint8_t *path, uint32_t path_len, const esgx_bip32_key *key)
{
    hostfn_key_slot *s = &slots[*next % (uint32_t)n];
    *next = (*next + 1) % (uint32_t)n;
    esgx_crypto_wipe(s, sizeof *s);
    s->used = 1;
    memcpy(s->hash, hash, 32);
    s->path_len = path_len;
    if (path_len) memcpy(s->path, path, path_len);
    s->key = *key;
}

int esgx_host_keys_get(hostfn_key_cache *c, const esgx_bip32_key *shared,
                       const uint8_t hash[32], const uint8_t *path, uint32_t path_len,
                       esgx_bip32_key *out)
{
    const hostfn_key_slot *hit = find_full(c, hash, path, path_len);
    if (hit) {
        *out = hit->key;
        return 0;
    }
    esgx_bip32_key cur, next;
    int rc = 0;
    const hostfn_key_slot *base = find_base(c, hash);
    if (base) {
        cur = base->key;
    } else {
        rc = esgx_bip32_module_key_derive(shared, hash, NULL, 0, &cur, NULL);
        if (rc == 0) put_slot(c->base, HOSTFN_BASE_CACHE, &c->next_base, hash, NULL, 0, &cur);
    }
    for (uint32_t i = 0; rc == 0 && i < path_len; i += 2) {
        rc = esgx_bip32_child_derive(&cur, (uint32_t)path[i] << 8 | path[i + 1], &next, NULL);
        if (rc == 0) cur = next;
    }
    if (rc == 0) {
        put_slot(c->full, HOSTFN_KEY_CACHE, &c->next_full, hash, path, path_len, &cur);
        *out = cur;
    }
    esgx_bip32_key_wipe(&cur);
    esgx_bip32_key_wipe(&next);
    return rc == 0 ? 0 : ESGX_CRYPTO_E_DERIVE;
}
