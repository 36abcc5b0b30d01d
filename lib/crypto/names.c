/*
 * names.c: owned, signed function names (docs/formats.md "Name records").
 *
 *   record_digest   = SHA-256("ESGX_NAME_RECORD_V1" + "NETWORK" + N + "NAME" + u8 len +
 *                     name + "MODULE_HASH" + hash + "ENCRYPTED" + u8 + "SEQUENCE" +
 *                     u64be seq + "OWNER" + owner)          signed by the owner
 *   transfer_digest = SHA-256("ESGX_NAME_TRANSFER_V1" + "NETWORK" + N + "NAME" + u8 len +
 *                     name + "SEQUENCE" + u64be seq + "FROM" + from + "TO" + to)
 *                                                           signed by from
 *
 * Design: a record is only as good as the key that signed it, so verification is
 * "recover the signer and compare with the key the record names"; which owner to
 * trust is the caller's decision (a pinned owner, checked through the transfer chain
 * by esgx_name_record_owner_chain). The network key is inside both digests, so a
 * record or transfer made for one network never verifies for another. Digests are
 * built in a fixed stack buffer (at most 235 bytes); nothing is allocated.
 */
#include "ec_internal.h"

#include <string.h>

int esgx_name_valid(const char *s, size_t n)
{
    if (!s || n < 1 || n > ESGX_NAME_MAX_LEN) return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

/* A digest preimage under construction. */
typedef struct pre {
    uint8_t b[256];
    size_t n;
} pre;

static void put(pre *p, const void *d, size_t n)
{
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

#define PUT_LABEL(p, s) put((p), s, sizeof s - 1)

static void put_u8(pre *p, uint8_t v)
{
    p->b[p->n++] = v;
}

static void put_u64be(pre *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) p->b[p->n + (size_t)i] = (uint8_t)v, v >>= 8;
    p->n += 8;
}

static int check_name_seq(const char *what, const char *name, size_t name_len, uint64_t seq,
                          esgx_err *err)
{
    if (!esgx_name_valid(name, name_len))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG,
                            "%s name is not 1..64 characters of [A-Za-z0-9._-]", what);
    if (seq == 0 || seq > ESGX_NAME_SEQ_MAX)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "%s seq %llu is not 1..2^63-1", what,
                            (unsigned long long)seq);
    return ESGX_OK;
}

/* ESGX_CRYPTO_E_ARG "<what> is not a valid public key" unless key is a compressed point. */
static int check_point(const uint8_t key[33], const char *what, esgx_err *err)
{
    const secp256k1_context *ctx = esgx_ec_context(err);
    if (!ctx) return ESGX_CRYPTO_E_INTERNAL;
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_parse(ctx, &pk, key, 33))
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "%s is not a valid public key", what);
    return ESGX_OK;
}

/* ---------------------------------------------------------------- records */

int esgx_name_record_digest(const esgx_name_record *rec, uint8_t out[32], esgx_err *err)
{
    if (!rec || !out) return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "name record: NULL argument");
    int rc = check_name_seq("record", rec->name, rec->name_len, rec->seq, err);
    if (rc) return rc;
    if (rec->encrypted > 1)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "record encrypted flag %u is not 0/1",
                            rec->encrypted);
    pre p = {.n = 0};
    PUT_LABEL(&p, "ESGX_NAME_RECORD_V1");
    PUT_LABEL(&p, "NETWORK");
    put(&p, rec->network, 33);
    PUT_LABEL(&p, "NAME");
    put_u8(&p, (uint8_t)rec->name_len);
    put(&p, rec->name, rec->name_len);
    PUT_LABEL(&p, "MODULE_HASH");
    put(&p, rec->module_hash, 32);
    PUT_LABEL(&p, "ENCRYPTED");
    put_u8(&p, rec->encrypted);
    PUT_LABEL(&p, "SEQUENCE");
    put_u64be(&p, rec->seq);
    PUT_LABEL(&p, "OWNER");
    put(&p, rec->owner, 33);
    esgx_crypto_sha256(p.b, p.n, out);
    return ESGX_OK;
}

int esgx_name_record_sign(esgx_name_record *rec, const uint8_t owner_seckey[32], esgx_err *err)
{
    if (!rec || !owner_seckey)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "name record: NULL argument");
    uint8_t owner[33], digest[32], sig[ESGX_EC_SIGNATURE_LEN];
    int rc = esgx_ec_pubkey_from_seckey(owner_seckey, owner, err);
    if (rc) return rc;
    uint8_t saved[33];
    memcpy(saved, rec->owner, 33);
    memcpy(rec->owner, owner, 33);
    rc = esgx_name_record_digest(rec, digest, err);
    if (!rc) rc = esgx_ec_sign_recoverable(owner_seckey, digest, sig, err);
    if (rc) {
        memcpy(rec->owner, saved, 33);
        return rc;
    }
    memcpy(rec->signature, sig, sizeof sig);
    return ESGX_OK;
}

/* ESGX_CRYPTO_E_SIGNATURE with "<what> signature does not recover to its <whose>" unless
 * sig over digest recovers to key. */
static int check_signer(const uint8_t digest[32], const uint8_t sig[ESGX_EC_SIGNATURE_LEN],
                        const uint8_t key[33], const char *what, const char *whose,
                        esgx_err *err)
{
    uint8_t got[33];
    esgx_err e2;
    int rc = esgx_ec_recover(digest, sig, got, &e2);
    if (rc == ESGX_CRYPTO_E_INTERNAL) {
        if (err) *err = e2;
        return rc;
    }
    if (rc || memcmp(got, key, 33))
        return esgx_err_set(err, ESGX_CRYPTO_E_SIGNATURE,
                            "%s signature does not recover to its %s", what, whose);
    return ESGX_OK;
}

int esgx_name_record_verify(const esgx_name_record *rec, const uint8_t expected_network[33],
                            esgx_err *err)
{
    uint8_t digest[32];
    int rc = esgx_name_record_digest(rec, digest, err);
    if (rc) return rc;
    if (rec->n_transfers > ESGX_NAME_MAX_TRANSFERS)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "record has %zu transfers, at most %d",
                            rec->n_transfers, ESGX_NAME_MAX_TRANSFERS);
    if ((rc = check_point(rec->network, "record network", err)) ||
        (rc = check_point(rec->owner, "record owner", err)))
        return rc;
    if (expected_network && memcmp(expected_network, rec->network, 33))
        return esgx_err_set(err, ESGX_CRYPTO_E_AUTH, "record is for another network");
    return check_signer(digest, rec->signature, rec->owner, "record", "owner", err);
}

/* ---------------------------------------------------------------- transfers */

int esgx_name_transfer_digest(const uint8_t network[33], const char *name, size_t name_len,
                              const esgx_name_transfer *t, uint8_t out[32], esgx_err *err)
{
    if (!network || !t || !out)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "name transfer: NULL argument");
    int rc = check_name_seq("transfer", name, name_len, t->seq, err);
    if (rc) return rc;
    pre p = {.n = 0};
    PUT_LABEL(&p, "ESGX_NAME_TRANSFER_V1");
    PUT_LABEL(&p, "NETWORK");
    put(&p, network, 33);
    PUT_LABEL(&p, "NAME");
    put_u8(&p, (uint8_t)name_len);
    put(&p, name, name_len);
    PUT_LABEL(&p, "SEQUENCE");
    put_u64be(&p, t->seq);
    PUT_LABEL(&p, "FROM");
    put(&p, t->from, 33);
    PUT_LABEL(&p, "TO");
    put(&p, t->to, 33);
    esgx_crypto_sha256(p.b, p.n, out);
    return ESGX_OK;
}

int esgx_name_transfer_sign(const uint8_t network[33], const char *name, size_t name_len,
                            esgx_name_transfer *t, const uint8_t from_seckey[32],
                            esgx_err *err)
{
    if (!network || !t || !from_seckey)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "name transfer: NULL argument");
    int rc = check_point(t->to, "transfer to key", err);
    if (rc) return rc;
    esgx_name_transfer copy = *t;
    rc = esgx_ec_pubkey_from_seckey(from_seckey, copy.from, err);
    if (rc) return rc;
    uint8_t digest[32];
    rc = esgx_name_transfer_digest(network, name, name_len, &copy, digest, err);
    if (!rc) rc = esgx_ec_sign_recoverable(from_seckey, digest, copy.signature, err);
    if (rc) return rc;
    *t = copy;
    return ESGX_OK;
}

int esgx_name_transfer_verify(const uint8_t network[33], const char *name, size_t name_len,
                              const esgx_name_transfer *t, esgx_err *err)
{
    uint8_t digest[32];
    int rc = esgx_name_transfer_digest(network, name, name_len, t, digest, err);
    if (rc) return rc;
    if ((rc = check_point(t->from, "transfer from key", err)) ||
        (rc = check_point(t->to, "transfer to key", err)))
        return rc;
    return check_signer(digest, t->signature, t->from, "transfer", "from key", err);
}

int esgx_name_record_owner_chain(const esgx_name_record *rec, const uint8_t pinned_owner[33],
                                 esgx_err *err)
{
    if (!rec || !pinned_owner)
        return esgx_err_set(err, ESGX_CRYPTO_E_ARG, "owner chain: NULL argument");
    int rc = esgx_name_record_verify(rec, NULL, err);
    if (rc) return rc;
    int reachable = memcmp(pinned_owner, rec->owner, 33) == 0;
    for (size_t i = 0; i < rec->n_transfers; i++) {
        const esgx_name_transfer *t = &rec->transfers[i];
        rc = esgx_name_transfer_verify(rec->network, rec->name, rec->name_len, t, err);
        if (rc) {
            esgx_err_prefix(err, "transfer %zu", i);
            return rc;
        }
        if (i > 0 && t->seq <= rec->transfers[i - 1].seq)
            return esgx_err_set(err, ESGX_CRYPTO_E_AUTH,
                                "transfer %zu seq %llu is not above the previous transfer's seq "
                                "%llu", i, (unsigned long long)t->seq,
                                (unsigned long long)rec->transfers[i - 1].seq);
        if (t->seq >= rec->seq)
            return esgx_err_set(err, ESGX_CRYPTO_E_AUTH,
                                "transfer %zu seq %llu is not below the record's seq %llu", i,
                                (unsigned long long)t->seq, (unsigned long long)rec->seq);
        if (i > 0 && memcmp(t->from, rec->transfers[i - 1].to, 33))
            return esgx_err_set(err, ESGX_CRYPTO_E_AUTH,
                                "transfer %zu does not continue the chain (its from key is not "
                                "the previous transfer's to key)", i);
        if (!memcmp(pinned_owner, t->from, 33)) reachable = 1;
    }
    if (rec->n_transfers && memcmp(rec->transfers[rec->n_transfers - 1].to, rec->owner, 33))
        return esgx_err_set(err, ESGX_CRYPTO_E_AUTH,
                            "the last transfer does not go to the record's owner");
    if (!reachable)
        return esgx_err_set(err, ESGX_CRYPTO_E_AUTH,
                            "the record's owner is not reachable from the pinned owner");
    return ESGX_OK;
}
