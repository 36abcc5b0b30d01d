/*
 * test_names.c: name records and transfers (names.c): digests against preimages built
 * by hand from docs/formats.md, sign/verify round trips, every field tampered (each
 * must fail with its documented code and message), malformed records, and the owner
 * chain walk (reachable, unreachable, and every way a chain can be broken).
 * Interop with @noble/curves is in tests/js/seal_interop.mjs.
 */
#include "esgx_crypto.h"
#include "esgx_test.h"

#include <stdio.h>
#include <string.h>

static esgx_err e_;

/* A fixed valid secret key per index (k, k, ..., k) and its public key. */
static void key(int k, uint8_t sk[32], uint8_t pk[33])
{
    memset(sk, k, 32);
    if (esgx_ec_pubkey_from_seckey(sk, pk, NULL)) {
        fprintf(stderr, "test key %d invalid\n", k);
        failures++;
    }
}

static void put_u64be(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) p[i] = (uint8_t)v, v >>= 8;
}

#define ADD(buf, n, s) (memcpy((buf) + (n), (s), strlen(s)), (n) += strlen(s))

/* Checks rc and that err_.msg contains want. */
#define CHECK_FAIL(expr, code, want)                                                     \
    do {                                                                                 \
        CHECK_RC(expr, code);                                                            \
        CHECK(strstr(e_.msg, want) != NULL, "message '%s' lacks '%s'", e_.msg, want);    \
    } while (0)

static void base_record(esgx_name_record *r, const uint8_t network[33])
{
    memset(r, 0, sizeof *r);
    memcpy(r->name, "pay.v2_x-1", 10);
    r->name_len = 10;
    memcpy(r->network, network, 33);
    for (int i = 0; i < 32; i++) r->module_hash[i] = (uint8_t)(0xa0 + i);
    r->encrypted = 1;
    r->seq = 0x0102030405060708ull;
}

static void test_name_valid(void)
{
    CHECK(esgx_name_valid("a", 1));
    CHECK(esgx_name_valid("A-z_0.9", 7));
    char long_name[65];
    memset(long_name, 'n', 65);
    CHECK(esgx_name_valid(long_name, 64));
    CHECK(!esgx_name_valid(long_name, 65));
    CHECK(!esgx_name_valid("", 0));
    CHECK(!esgx_name_valid(NULL, 3));
    CHECK(!esgx_name_valid("a b", 3));
    CHECK(!esgx_name_valid("a/b", 3));
    CHECK(!esgx_name_valid("a\0b", 3));
    CHECK(!esgx_name_valid("caf\xc3\xa9", 5));
}

static void test_record(void)
{
    uint8_t nsk[32], npk[33], osk[32], opk[33], xsk[32], xpk[33];
    key(0x11, nsk, npk);
    key(0x22, osk, opk);
    key(0x33, xsk, xpk);
    esgx_name_record r;
    base_record(&r, npk);
    memcpy(r.owner, opk, 33);

    /* the digest, byte by byte from the format */
    uint8_t pre[512], want[32], got[32];
    size_t n = 0;
    ADD(pre, n, "ESGX_NAME_RECORD_V1");
    ADD(pre, n, "NETWORK");
    memcpy(pre + n, npk, 33), n += 33;
    ADD(pre, n, "NAME");
    pre[n++] = 10;
    ADD(pre, n, "pay.v2_x-1");
    ADD(pre, n, "MODULE_HASH");
    memcpy(pre + n, r.module_hash, 32), n += 32;
    ADD(pre, n, "ENCRYPTED");
    pre[n++] = 1;
    ADD(pre, n, "SEQUENCE");
    put_u64be(pre + n, 0x0102030405060708ull), n += 8;
    ADD(pre, n, "OWNER");
    memcpy(pre + n, opk, 33), n += 33;
    esgx_crypto_sha256(pre, n, want);
    CHECK_RC(esgx_name_record_digest(&r, got, &e_), 0);
    CHECK(memcmp(got, want, 32) == 0, "record digest differs from the hand-built preimage");

    /* sign fills owner and signature; verify accepts, with and without a network */
    memset(r.owner, 0, 33);
    CHECK_RC(esgx_name_record_sign(&r, osk, &e_), 0);
    CHECK(memcmp(r.owner, opk, 33) == 0);
    uint8_t back[33];
    CHECK_RC(esgx_ec_recover(want, r.signature, back, &e_), 0);
    CHECK(memcmp(back, opk, 33) == 0, "the signature is over the record digest");
    CHECK_RC(esgx_name_record_verify(&r, NULL, &e_), 0);
    CHECK_RC(esgx_name_record_verify(&r, npk, &e_), 0);
    CHECK_FAIL(esgx_name_record_verify(&r, xpk, &e_), ESGX_CRYPTO_E_AUTH,
               "record is for another network");
    /* a record whose transfers are junk still verifies itself (the chain check is separate) */
    esgx_name_record j = r;
    j.n_transfers = 1;
    memset(&j.transfers[0], 0xee, sizeof j.transfers[0]);
    CHECK_RC(esgx_name_record_verify(&j, npk, &e_), 0);

    /* each signed field changed: the signature no longer recovers to the owner */
    const char *sig_msg = "record signature does not recover to its owner";
    esgx_name_record t;
    t = r, t.name[0] = 'P';
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    t = r, t.name_len = 9;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    t = r, memcpy(t.network, xpk, 33);
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    CHECK_FAIL(esgx_name_record_verify(&t, npk, &e_), ESGX_CRYPTO_E_AUTH, "another network");
    t = r, t.module_hash[31] ^= 1;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    t = r, t.encrypted = 0;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    t = r, t.seq++;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    t = r, memcpy(t.owner, xpk, 33);
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    for (int i = 0; i < 64; i += 7) {
        t = r, t.signature[i] ^= 0x40;
        CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    }
    t = r, t.signature[64] ^= 1;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    t = r, t.signature[64] = 4;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    /* signed by someone else than the owner it names */
    t = r;
    CHECK_RC(esgx_name_record_sign(&t, xsk, &e_), 0);
    memcpy(t.owner, opk, 33);
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);

    /* malformed records */
    t = r, t.name[3] = ' ';
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_ARG, "record name is not");
    t = r, t.name_len = 0;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_ARG, "record name is not");
    t = r, t.name_len = 65;
    CHECK_FAIL(esgx_name_record_digest(&t, got, &e_), ESGX_CRYPTO_E_ARG, "record name is not");
    t = r, t.seq = 0;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_ARG, "record seq 0 is not");
    t = r, t.seq = ESGX_NAME_SEQ_MAX + 1;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_ARG, "is not 1..2^63-1");
    t = r, t.encrypted = 2;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_ARG, "encrypted flag 2");
    t = r, t.n_transfers = ESGX_NAME_MAX_TRANSFERS + 1;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_ARG, "65 transfers");
    t = r, t.owner[0] = 0x05;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_ARG,
               "record owner is not a valid public key");
    t = r, t.network[0] = 0x04;
    CHECK_FAIL(esgx_name_record_verify(&t, NULL, &e_), ESGX_CRYPTO_E_ARG,
               "record network is not a valid public key");
    CHECK_RC(esgx_name_record_verify(NULL, NULL, &e_), ESGX_CRYPTO_E_ARG);
    CHECK_RC(esgx_name_record_digest(&r, NULL, &e_), ESGX_CRYPTO_E_ARG);

    /* the largest seq and name are fine */
    t = r, t.seq = ESGX_NAME_SEQ_MAX, t.name_len = 64;
    memset(t.name, 'z', 64);
    CHECK_RC(esgx_name_record_sign(&t, osk, &e_), 0);
    CHECK_RC(esgx_name_record_verify(&t, npk, &e_), 0);

    /* signing with an invalid key leaves the record as it was */
    uint8_t zero[32] = {0};
    t = r;
    CHECK_RC(esgx_name_record_sign(&t, zero, &e_), ESGX_CRYPTO_E_KEY);
    CHECK(memcmp(&t, &r, sizeof t) == 0);
    t = r, t.seq = 0;
    CHECK_RC(esgx_name_record_sign(&t, osk, &e_), ESGX_CRYPTO_E_ARG);
    CHECK(memcmp(t.owner, r.owner, 33) == 0 && memcmp(t.signature, r.signature, 65) == 0);
}

static void test_transfer(void)
{
    uint8_t nsk[32], npk[33], asks[32], apk[33], bsk[32], bpk[33], xsk[32], xpk[33];
    key(0x11, nsk, npk);
    key(0x22, asks, apk);
    key(0x44, bsk, bpk);
    key(0x33, xsk, xpk);
    esgx_name_transfer t = {.seq = 300};
    memcpy(t.to, bpk, 33);
    CHECK_RC(esgx_name_transfer_sign(npk, "pay", 3, &t, asks, &e_), 0);
    CHECK(memcmp(t.from, apk, 33) == 0);

    uint8_t pre[512], want[32], got[32];
    size_t n = 0;
    ADD(pre, n, "ESGX_NAME_TRANSFER_V1");
    ADD(pre, n, "NETWORK");
    memcpy(pre + n, npk, 33), n += 33;
    ADD(pre, n, "NAME");
    pre[n++] = 3;
    ADD(pre, n, "pay");
    ADD(pre, n, "SEQUENCE");
    put_u64be(pre + n, 300), n += 8;
    ADD(pre, n, "FROM");
    memcpy(pre + n, apk, 33), n += 33;
    ADD(pre, n, "TO");
    memcpy(pre + n, bpk, 33), n += 33;
    esgx_crypto_sha256(pre, n, want);
    CHECK_RC(esgx_name_transfer_digest(npk, "pay", 3, &t, got, &e_), 0);
    CHECK(memcmp(got, want, 32) == 0, "transfer digest differs from the hand-built preimage");
    CHECK_RC(esgx_name_transfer_verify(npk, "pay", 3, &t, &e_), 0);

    const char *sig_msg = "transfer signature does not recover to its from key";
    esgx_name_transfer u;
    CHECK_FAIL(esgx_name_transfer_verify(xpk, "pay", 3, &t, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    CHECK_FAIL(esgx_name_transfer_verify(npk, "paz", 3, &t, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    u = t, u.seq = 301;
    CHECK_FAIL(esgx_name_transfer_verify(npk, "pay", 3, &u, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    u = t, memcpy(u.from, xpk, 33);
    CHECK_FAIL(esgx_name_transfer_verify(npk, "pay", 3, &u, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    u = t, memcpy(u.to, xpk, 33);
    CHECK_FAIL(esgx_name_transfer_verify(npk, "pay", 3, &u, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    u = t, u.signature[5] ^= 1;
    CHECK_FAIL(esgx_name_transfer_verify(npk, "pay", 3, &u, &e_), ESGX_CRYPTO_E_SIGNATURE, sig_msg);
    u = t, u.seq = 0;
    CHECK_FAIL(esgx_name_transfer_verify(npk, "pay", 3, &u, &e_), ESGX_CRYPTO_E_ARG,
               "transfer seq 0 is not");
    CHECK_FAIL(esgx_name_transfer_verify(npk, "pa y", 4, &t, &e_), ESGX_CRYPTO_E_ARG,
               "transfer name is not");
    u = t, u.to[0] = 0x07;
    CHECK_FAIL(esgx_name_transfer_verify(npk, "pay", 3, &u, &e_), ESGX_CRYPTO_E_ARG,
               "transfer to key is not a valid public key");
    u = t, u.from[0] = 0x07;
    CHECK_FAIL(esgx_name_transfer_verify(npk, "pay", 3, &u, &e_), ESGX_CRYPTO_E_ARG,
               "transfer from key is not a valid public key");
    /* signing: a bad to key or secret key leaves t unchanged */
    u = t, u.to[0] = 0x07;
    esgx_name_transfer v = u;
    CHECK_RC(esgx_name_transfer_sign(npk, "pay", 3, &u, asks, &e_), ESGX_CRYPTO_E_ARG);
    CHECK(memcmp(&u, &v, sizeof u) == 0);
    uint8_t zero[32] = {0};
    u = t;
    CHECK_RC(esgx_name_transfer_sign(npk, "pay", 3, &u, zero, &e_), ESGX_CRYPTO_E_KEY);
    CHECK(memcmp(&u, &t, sizeof u) == 0);
}

/* A record of owner C (seq 9) with the chain A -(2)-> B -(5)-> C. */
static void chain_record(esgx_name_record *r, uint8_t sk[3][32], uint8_t pk[3][33],
                         const uint8_t npk[33])
{
    base_record(r, npk);
    r->seq = 9;
    r->n_transfers = 2;
    r->transfers[0].seq = 2;
    memcpy(r->transfers[0].to, pk[1], 33);
    r->transfers[1].seq = 5;
    memcpy(r->transfers[1].to, pk[2], 33);
    for (int i = 0; i < 2; i++)
        CHECK_RC(esgx_name_transfer_sign(npk, r->name, r->name_len, &r->transfers[i], sk[i], &e_), 0);
    CHECK_RC(esgx_name_record_sign(r, sk[2], &e_), 0);
}

static void test_chain(void)
{
    uint8_t nsk[32], npk[33], sk[3][32], pk[3][33], xsk[32], xpk[33];
    key(0x11, nsk, npk);
    for (int i = 0; i < 3; i++) key(0x50 + i, sk[i], pk[i]);
    key(0x33, xsk, xpk);
    esgx_name_record r, t;
    chain_record(&r, sk, pk, npk);
    for (int i = 0; i < 3; i++) CHECK_RC(esgx_name_record_owner_chain(&r, pk[i], &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&r, xpk, &e_), ESGX_CRYPTO_E_AUTH,
               "the record's owner is not reachable from the pinned owner");
    /* without transfers only the owner itself is reachable */
    t = r, t.n_transfers = 0;
    CHECK_RC(esgx_name_record_owner_chain(&t, pk[2], &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_AUTH, "not reachable");
    /* the record itself must verify */
    t = r, t.seq = 10;
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_SIGNATURE,
               "record signature does not recover to its owner");
    /* a tampered transfer */
    t = r, t.transfers[1].signature[3] ^= 1;
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_SIGNATURE,
               "transfer 1: transfer signature does not recover");
    /* a transfer's seq not below the record's */
    chain_record(&t, sk, pk, npk);
    t.seq = 5;
    CHECK_RC(esgx_name_record_sign(&t, sk[2], &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_AUTH,
               "transfer 1 seq 5 is not below the record's seq 5");
    /* seqs that do not increase */
    chain_record(&t, sk, pk, npk);
    t.transfers[1].seq = 2;
    CHECK_RC(esgx_name_transfer_sign(npk, t.name, t.name_len, &t.transfers[1], sk[1], &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_AUTH,
               "transfer 1 seq 2 is not above the previous transfer's seq 2");
    /* a gap in the chain: the second transfer signed by someone who never got the name */
    chain_record(&t, sk, pk, npk);
    CHECK_RC(esgx_name_transfer_sign(npk, t.name, t.name_len, &t.transfers[1], xsk, &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_AUTH,
               "transfer 1 does not continue the chain");
    /* the chain ends elsewhere than at the record's owner */
    chain_record(&t, sk, pk, npk);
    CHECK_RC(esgx_name_record_sign(&t, xsk, &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_AUTH,
               "the last transfer does not go to the record's owner");
    /* a transfer made for another network or name */
    chain_record(&t, sk, pk, npk);
    CHECK_RC(esgx_name_transfer_sign(xpk, t.name, t.name_len, &t.transfers[0], sk[0], &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_SIGNATURE,
               "transfer 0: transfer signature");
    chain_record(&t, sk, pk, npk);
    CHECK_RC(esgx_name_transfer_sign(npk, "other", 5, &t.transfers[0], sk[0], &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&t, pk[0], &e_), ESGX_CRYPTO_E_SIGNATURE,
               "transfer 0: transfer signature");
    /* the longest chain: 64 transfers between two keys, alternating */
    base_record(&t, npk);
    t.n_transfers = ESGX_NAME_MAX_TRANSFERS;
    for (int i = 0; i < ESGX_NAME_MAX_TRANSFERS; i++) {
        t.transfers[i].seq = (uint64_t)(10 * i + 1);
        memcpy(t.transfers[i].to, pk[(i + 1) % 2], 33);
        CHECK_RC(esgx_name_transfer_sign(npk, t.name, t.name_len, &t.transfers[i], sk[i % 2], &e_),
                 0);
    }
    t.seq = 10 * ESGX_NAME_MAX_TRANSFERS;
    CHECK_RC(esgx_name_record_sign(&t, sk[0], &e_), 0);
    CHECK_RC(esgx_name_record_owner_chain(&t, pk[1], &e_), 0);
    CHECK_RC(esgx_name_record_owner_chain(&t, pk[2], &e_), ESGX_CRYPTO_E_AUTH);
    CHECK_RC(esgx_name_record_owner_chain(&t, NULL, &e_), ESGX_CRYPTO_E_ARG);
}

int main(void)
{
    test_name_valid();
    test_record();
    test_transfer();
    test_chain();
    return ESGX_TEST_SUMMARY("crypto_names");
}
