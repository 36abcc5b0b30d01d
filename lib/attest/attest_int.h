/*
 * attest_int.h: internal pieces shared by the files of lib/attest (not installed,
 * not part of the public API). OpenSSL types appear only here.
 *
 * Errors: the fallible helpers return 0 or a negative ESGX_ATTEST_E_* code named at each
 * (the table is in esgx_common.h; esgx_attest.h describes the codes) and fill err where
 * they take one. esgx_attest_verify_raw is a 1/0 predicate and esgx_attest_pkey_from_raw
 * returns NULL on failure.
 */
#ifndef ESGX_ATTEST_INT_H
#define ESGX_ATTEST_INT_H

#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <openssl/x509.h>

#include "esgx_attest.h"

/* Intel's QE vendor id 939A7233-F79C-4CA9-940A-0DB3957F0607. */
extern const uint8_t esgx_attest_intel_qe_vendor[16];

static inline uint16_t esgx_attest_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t esgx_attest_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void esgx_attest_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void esgx_attest_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* Lowercase hex of in into out (2*len+1 bytes). */
void esgx_attest_hex(const uint8_t *in, size_t len, char *out);
/* Decodes exactly 2*n hex chars (either case) into out[n]. Returns 0 or
 * ESGX_ATTEST_E_ARG (wrong length, non-hex character). */
int esgx_attest_unhex(const char *hex, size_t hex_len, uint8_t *out, size_t n);
/* SHA-256 via OpenSSL. */
void esgx_attest_sha256(const void *data, size_t len, uint8_t out[32]);

/* Splits a PEM certificate chain into certificates. Strict: only BEGIN/END
 * CERTIFICATE blocks, base64 lines ending in \n or \r\n, canonical base64 (unused bits
 * zero), DER consuming each block exactly, nothing after the last block but NUL bytes.
 * what names the chain in errors. *out is a new stack (leaf first). */
int esgx_attest_pem_chain(const char *pem, size_t len, const char *what, STACK_OF(X509) **out,
                     esgx_err *err);
/* One CRL from PEM (the same strict rules). */
int esgx_attest_pem_crl(const char *pem, size_t len, const char *what, X509_CRL **out,
                   esgx_err *err);

/* The SGX extension of an X509 PCK certificate (pck.c). */
int esgx_attest_pck_x509_info(X509 *x, esgx_attest_pck_info *out, esgx_err *err);
/* FMSPC, PCE-ID and issuing CA of the leaf of a PEM PCK chain (pck.c). */
int esgx_attest_pck_chain_ids(const char *pem, size_t len, esgx_attest_pck_ids *out, esgx_err *err);

/* P-256 public key from 64 raw bytes x||y; NULL if not on the curve. */
EVP_PKEY *esgx_attest_pkey_from_raw(const uint8_t xy[64]);
/* 64 raw bytes x||y of a P-256 key. Returns 0 or ESGX_ATTEST_E_INTERNAL. */
int esgx_attest_pkey_to_raw(EVP_PKEY *key, uint8_t xy[64]);
/* ECDSA-SHA256 verification of a raw r||s signature. Returns 1 valid, 0 not. */
int esgx_attest_verify_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[64]);
/* ECDSA-SHA256 signature as raw r||s. Returns 0 or ESGX_ATTEST_E_INTERNAL. */
int esgx_attest_sign_raw(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t sig[64]);

/* ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" to Unix seconds. Returns 0 or ESGX_ATTEST_E_ARG. */
int esgx_attest_parse_time(const char *s, int64_t *out);
/* Unix seconds to "YYYY-MM-DDTHH:MM:SSZ" (21 bytes). */
void esgx_attest_format_time(int64_t t, char out[21]);

/* ---- collateral (collateral.c) */

typedef struct esgx_attest_tcb_level {
    uint8_t comp_svn[16];
    uint16_t pcesvn;
    uint16_t isvsvn;           /* QE identity levels */
    int64_t tcb_date;
    char status[ESGX_ATTEST_STATUS_LEN];
    char advisories[ESGX_ATTEST_MAX_ADVISORIES][ESGX_ATTEST_ADVISORY_LEN];
    size_t advisory_count;
} esgx_attest_tcb_level;

typedef struct esgx_attest_signed_json {
    const char *body;          /* exact bytes of the signed value, inside the text */
    size_t body_len;
    uint8_t signature[64];
} esgx_attest_signed_json;

typedef struct esgx_attest_tcb_info {
    int version;
    int64_t issue_date, next_update;
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    esgx_attest_tcb_level *levels;
    size_t level_count;
} esgx_attest_tcb_info;

typedef struct esgx_attest_qe_identity {
    int version;
    int64_t issue_date, next_update;
    uint32_t miscselect, miscselect_mask;
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    esgx_attest_tcb_level *levels;
    size_t level_count;
} esgx_attest_qe_identity;

typedef struct esgx_attest_collateral {
    char *text;                /* private copy of the JSON; spans point here */
    char *tcb_text, *qe_text;  /* decoded when tcb_info/qe_identity are JSON strings */
    X509_CRL *root_crl, *pck_crl;
    STACK_OF(X509) *pck_crl_chain, *tcb_chain, *qe_chain;
    esgx_attest_signed_json tcb_signed, qe_signed;
    esgx_attest_tcb_info tcb;
    esgx_attest_qe_identity qe;
} esgx_attest_collateral;

/* ---- the collateral cache (collcache.c; used by verify.c) */

#define ESGX_ATTEST_PCK_SLOTS 4

/* A quote's PCK chain that verified, with the times [lo, hi] in which that holds. */
typedef struct esgx_attest_pck_slot {
    uint8_t hash[32];          /* SHA-256 of the quote's certification data (PEM) */
    STACK_OF(X509) *chain;     /* NULL = free slot */
    int64_t lo, hi;
} esgx_attest_pck_slot;

/* One collateral (+ roots): parsed, with the quote-independent results (design note of
 * collcache.c). c, roots, store and key never change after creation; the result fields
 * are read and set under mu. */
typedef struct esgx_attest_coll_entry {
    pthread_mutex_t mu;
    int refs;
    uint8_t key[64];
    esgx_attest_collateral c;
    STACK_OF(X509) *roots;
    X509_STORE *store;         /* roots + root CRL + PCK CRL */
    int chains_ok;             /* the 3 collateral chains verified in [chains_lo, chains_hi] */
    int64_t chains_lo, chains_hi;
    int crls_ok;               /* PCK CRL and root CRL signatures verified */
    int tcb_sig_ok, qe_sig_ok; /* tcbInfo / enclaveIdentity signatures verified */
    esgx_attest_pck_slot pck[ESGX_ATTEST_PCK_SLOTS];
    unsigned pck_next;         /* next slot to replace */
} esgx_attest_coll_entry;

/* The entry for collateral[0..len) and roots_pem (NULL = Intel root) with a reference
 * for the caller (release with esgx_attest_coll_entry_put): from cache c when present,
 * else parsed (and added to c unless c is NULL). Returns 0, or the parse errors of
 * esgx_attest_collateral_parse / the roots (ESGX_ATTEST_E_COLLATERAL, _CRL, _CERT,
 * _INTERNAL). */
int esgx_attest_coll_entry_get(esgx_attest_collateral_cache *c, const char *coll,
                               size_t coll_len, const char *roots_pem,
                               esgx_attest_coll_entry **out, esgx_err *err);
/* Drops one reference; the last frees the entry. NULL allowed. */
void esgx_attest_coll_entry_put(esgx_attest_coll_entry *e);

int esgx_attest_collateral_parse(const char *json, size_t len, esgx_attest_collateral *c,
                            esgx_err *err);
void esgx_attest_collateral_clear(esgx_attest_collateral *c);

#endif
