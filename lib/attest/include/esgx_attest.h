/*
 * esgx_attest: Intel SGX DCAP quote parsing and verification, verifier policy, and the
 * simulation provisioning bundle (docs/protocols.md).
 *
 *   esgx_attest_quote_parse     bounds-checked parse of an ECDSA-P256 quote (v3, v4 SGX)
 *   esgx_attest_quote_verify    full offline verification against collateral JSON
 *   esgx_attest_policy_check    which TCB statuses / MRENCLAVEs / debug enclaves to accept
 *   esgx_attest_sim_*      simulation bundle: root CA, PCK, TCB signer, collateral,
 *                          and real quotes signed with those keys
 *
 * Errors: every fallible function is marked ESGX_MUST_CHECK and returns ESGX_OK (0) or
 * one of the negative codes below (values in esgx_common.h's ESGX_ERRORS; esgx_strerror
 * names them) and, when `err` is non-NULL, fills it with that code and a message naming
 * what was wrong ("quote: truncated at offset 436", "tcbInfo: signature does not
 * verify", ...). Each function's comment names its codes. The exceptions: the void
 * functions and accessors cannot fail, and a quote source (esgx_attest_get_quote_fn) or
 * collateral provider (esgx_attest_collateral_fn) may return its own code (e.g.
 * ESGX_PLAT_E_* from the enclave's platform), which esgx_attest_ratls_cert_new and the
 * verifiers pass on.
 *   ESGX_ATTEST_E_ARG          bad argument (NULL pointer, bad hex, ...)
 *   ESGX_ATTEST_E_FORMAT       quote malformed: truncated, bad lengths, bad version
 *   ESGX_ATTEST_E_CERT         certificate malformed, chain or validity failed
 *   ESGX_ATTEST_E_CRL          CRL malformed, bad signature, expired, or revoked cert
 *   ESGX_ATTEST_E_COLLATERAL   collateral JSON malformed or missing a field
 *   ESGX_ATTEST_E_SIGNATURE    a signature (quote, QE report, tcbInfo, ...) failed
 *   ESGX_ATTEST_E_EXPIRED      collateral not valid at the given time
 *   ESGX_ATTEST_E_MISMATCH     FMSPC/PCE-ID/QE identity/report data mismatch
 *   ESGX_ATTEST_E_TCB          no TCB level matches the platform
 *   ESGX_ATTEST_E_POLICY       verified but refused by the policy (or by a key-share peer)
 *   ESGX_ATTEST_E_IO           file read/write failed (sim bundle, Gramine files), TLS
 *                              connection failed, closed or timed out
 *   ESGX_ATTEST_E_INTERNAL     OpenSSL or allocation failure
 *
 * Conventions:
 * Times are Unix seconds (int64_t). Nothing here reads the clock: callers pass the
 * time at which certificates, CRLs and collateral must be valid.
 */
#ifndef ESGX_ATTEST_H
#define ESGX_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

/* ---------------------------------------------------------------- quote layout */

#define ESGX_ATTEST_HEADER_LEN 48
#define ESGX_ATTEST_REPORT_BODY_LEN 384
#define ESGX_ATTEST_SIGNED_LEN (ESGX_ATTEST_HEADER_LEN + ESGX_ATTEST_REPORT_BODY_LEN) /* 432 */
#define ESGX_ATTEST_MAX_QUOTE_LEN (1u << 20)
#define ESGX_ATTEST_MAX_ADVISORIES 32
#define ESGX_ATTEST_ADVISORY_LEN 32
#define ESGX_ATTEST_STATUS_LEN 48

/* Attributes flags (low 8 bytes of the 16-byte ATTRIBUTES field, little-endian). */
#define ESGX_ATTEST_ATTR_INIT 0x01u
#define ESGX_ATTEST_ATTR_DEBUG 0x02u
#define ESGX_ATTEST_ATTR_MODE64BIT 0x04u

/* An SGX report body (384 bytes on the wire), decoded. */
typedef struct esgx_attest_report_body {
    uint8_t cpusvn[16];
    uint32_t miscselect;
    uint8_t isv_ext_prod_id[16];
    uint8_t attributes[16];    /* flags (8 bytes LE) then XFRM (8 bytes LE) */
    uint8_t mrenclave[32];
    uint8_t mrsigner[32];
    uint8_t config_id[64];
    uint16_t isvprodid;
    uint16_t isvsvn;
    uint16_t config_svn;
    uint8_t isv_family_id[16];
    uint8_t report_data[64];
} esgx_attest_report_body;

/* A parsed quote. Pointers point into the caller's quote buffer (no copies), which
 * must outlive this struct. */
typedef struct esgx_attest_quote {
    uint16_t version;          /* 3 or 4 */
    uint16_t att_key_type;     /* 2 = ECDSA-256-with-P-256 */
    uint32_t tee_type;         /* v4: 0 = SGX; v3: the reserved field (0) */
    uint16_t qe_svn, pce_svn;
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    esgx_attest_report_body body;   /* the ISV enclave's report */
    const uint8_t *signed_part;  /* header + body, ESGX_ATTEST_SIGNED_LEN bytes */
    const uint8_t *isv_signature;/* 64 bytes r||s (big-endian) */
    const uint8_t *att_key;      /* 64 bytes x||y */
    const uint8_t *qe_report;    /* 384 bytes */
    esgx_attest_report_body qe_body;  /* decoded QE report */
    const uint8_t *qe_signature; /* 64 bytes r||s */
    const uint8_t *qe_auth;      /* qe_auth_len bytes */
    uint16_t qe_auth_len;
    uint16_t cert_type;          /* 5 = PCK certificate chain (PEM) */
    const uint8_t *cert_data;    /* cert_len bytes */
    uint32_t cert_len;
} esgx_attest_quote;

/* Parses quote[0..len) (v3, or v4 with TEE type SGX; ECDSA-P256 attestation key;
 * certification data type 5, in v4 nested in type 6). Every length is checked against
 * the buffer; trailing bytes are refused. Returns 0 or ESGX_ATTEST_E_FORMAT ("quote:
 * truncated at offset N", "quote: unsupported version 2", ...). */
ESGX_MUST_CHECK
int esgx_attest_quote_parse(const uint8_t *quote, size_t len, esgx_attest_quote *out,
                            esgx_err *err);

/* Decodes a 384-byte report body. */
void esgx_attest_report_body_decode(const uint8_t in[ESGX_ATTEST_REPORT_BODY_LEN],
                               esgx_attest_report_body *out);
/* Encodes a report body into 384 bytes (reserved fields zero). */
void esgx_attest_report_body_encode(const esgx_attest_report_body *in,
                               uint8_t out[ESGX_ATTEST_REPORT_BODY_LEN]);

/* ---------------------------------------------------------------- PCK extension */

/* The SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate. */
typedef struct esgx_attest_pck_info {
    uint8_t ppid[16];
    uint8_t comp_svn[16];      /* TCB component SVNs .2.1 .. .2.16 */
    uint16_t pcesvn;           /* .2.17 */
    uint8_t cpusvn[16];        /* .2.18 */
    uint8_t pce_id[2];         /* .3 */
    uint8_t fmspc[6];          /* .4 */
    int sgx_type;              /* .5: 0 standard, 1 scalable, ... */
} esgx_attest_pck_info;

/* Parses the DER value (the OCTET STRING contents) of the SGX extension. Requires PPID,
 * all 18 TCB entries, PCE-ID, FMSPC and SGX type; ignores optional entries it does not
 * know (.6 platform instance id, .7 configuration). Returns 0 or ESGX_ATTEST_E_CERT. */
ESGX_MUST_CHECK
int esgx_attest_pck_ext_parse(const uint8_t *der, size_t len, esgx_attest_pck_info *out,
                              esgx_err *err);

/* Finds the SGX extension in a DER certificate and parses it. Returns 0 or
 * ESGX_ATTEST_E_CERT (malformed certificate, extension missing or malformed). */
ESGX_MUST_CHECK
int esgx_attest_pck_cert_info(const uint8_t *cert_der, size_t len,
                              esgx_attest_pck_info *out, esgx_err *err);

/* Which Intel PCK CA issued a PCK certificate; it selects the PCK CRL
 * (PCCS: GET /pckcrl?ca=processor|platform). */
enum { ESGX_ATTEST_PCK_CA_PROCESSOR = 0, ESGX_ATTEST_PCK_CA_PLATFORM = 1 };

/* "processor", "platform" (the PCCS spelling), or "unknown". Never NULL. */
const char *esgx_attest_pck_ca_name(int ca);

/* What selects the collateral for a quote: FMSPC and PCE-ID from the PCK certificate's
 * SGX extension, and the issuing CA (ESGX_ATTEST_PCK_CA_*) from the certificate's issuer
 * common name ("Intel SGX PCK Processor CA" / "Intel SGX PCK Platform CA"; any issuer
 * CN containing "PCK Processor CA" / "PCK Platform CA", so sim bundles work too). */
typedef struct esgx_attest_pck_ids {
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    int ca;                    /* ESGX_ATTEST_PCK_CA_* */
} esgx_attest_pck_ids;

/* Parses quote[0..len) and the leaf of its PCK certificate chain (no signature or chain
 * checks: this only says which collateral to fetch). Returns 0, ESGX_ATTEST_E_ARG,
 * ESGX_ATTEST_E_FORMAT (bad quote, certification data not a PCK chain) or ESGX_ATTEST_E_CERT
 * (chain malformed, SGX extension missing, issuer neither PCK CA). */
ESGX_MUST_CHECK
int esgx_attest_quote_pck_ids(const uint8_t *quote, size_t len, esgx_attest_pck_ids *out,
                              esgx_err *err);

/* ---------------------------------------------------------------- collateral */

/* Checks that collateral JSON parses: all fields present, PEM chains and CRLs decode,
 * tcbInfo/enclaveIdentity values can be cut out and parsed. No signature checks.
 * Used by the fuzzer and by callers that want an early, clear error. */
ESGX_MUST_CHECK
int esgx_attest_collateral_check(const char *json, size_t len, esgx_err *err);

/* ---------------------------------------------------------------- verification */

/* The result of esgx_attest_quote_verify. Filled as far as verification got, so that a
 * failure can still show the report body. */
typedef struct esgx_attest_result {
    int verified;              /* 1 when every check passed (policy not applied) */
    uint16_t version;
    esgx_attest_report_body body;   /* the ISV enclave's report */
    int debug;                 /* DEBUG attribute bit of the ISV enclave */
    char tcb_status[ESGX_ATTEST_STATUS_LEN];     /* final status: platform and QE combined */
    char platform_status[ESGX_ATTEST_STATUS_LEN];/* status of the matching tcbInfo level */
    char qe_status[ESGX_ATTEST_STATUS_LEN];      /* status of the matching QE identity level */
    char advisory_ids[ESGX_ATTEST_MAX_ADVISORIES][ESGX_ATTEST_ADVISORY_LEN];
    size_t advisory_count;     /* union of platform and QE advisories, in order */
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    int64_t tcb_date;          /* tcbDate of the matching level (Unix seconds) */
} esgx_attest_result;

/* The Intel SGX Root CA certificate (PEM), the default trust anchor. */
extern const char esgx_attest_intel_root_pem[];

/* Verifies quote[0..quote_len) with collateral JSON (the shape of Intel's
 * sgx_ql_qve_collateral_t: version, root_ca_crl, pck_crl, pck_crl_issuer_chain,
 * tcb_info_issuer_chain, qe_identity_issuer_chain, tcb_info, qe_identity) at Unix time
 * `now`. trusted_roots_pem: one or more PEM root certificates (NULL = the Intel SGX Root
 * CA only); every chain (quote PCK chain, CRL issuer chain, TCB and QE identity signing
 * chains) must end in one of them. On success returns 0 with res->verified = 1 and the
 * TCB status (which the policy then judges). Errors: ESGX_ATTEST_E_FORMAT, _CERT, _CRL,
 * _COLLATERAL, _SIGNATURE, _EXPIRED, _MISMATCH, _TCB, _INTERNAL; res still holds what
 * was decoded. */
ESGX_MUST_CHECK
int esgx_attest_quote_verify(const uint8_t *quote, size_t quote_len, const char *collateral,
                             size_t collateral_len, int64_t now,
                             const char *trusted_roots_pem, esgx_attest_result *res,
                             esgx_err *err);

/* A bounded, thread-safe cache of parsed collateral for esgx_attest_quote_verify_cached:
 * entries are keyed by the SHA-256 of the collateral bytes (and of the trusted roots),
 * and keep the parsed chains, CRLs, TCB info and QE identity with the results of the
 * checks that do not depend on the quote (CRL and document signatures; the collateral
 * chains, for the span of time in which every certificate and CRL is valid), so another
 * quote against the same collateral skips them. Least recently used entries go first. */
typedef struct esgx_attest_collateral_cache esgx_attest_collateral_cache;

/* Makes a cache of at most max_entries (1..1024) collaterals. Free with
 * esgx_attest_collateral_cache_free. Returns 0, ESGX_ATTEST_E_ARG or _INTERNAL. */
ESGX_MUST_CHECK
int esgx_attest_collateral_cache_new(size_t max_entries, esgx_attest_collateral_cache **out,
                                     esgx_err *err);

/* Frees the cache (NULL allowed). No verification may be using it. */
void esgx_attest_collateral_cache_free(esgx_attest_collateral_cache *c);

/* Counters of c: lookups that found an entry, lookups that parsed, entries held (each
 * pointer may be NULL). */
void esgx_attest_collateral_cache_stats(esgx_attest_collateral_cache *c, uint64_t *hits,
                                        uint64_t *misses, size_t *entries);

/* esgx_attest_quote_verify with the collateral taken from (and added to) cache (NULL =
 * no cache: exactly esgx_attest_quote_verify). Same arguments, checks, results and
 * errors; safe to call from several threads on one cache. */
ESGX_MUST_CHECK
int esgx_attest_quote_verify_cached(esgx_attest_collateral_cache *cache, const uint8_t *quote,
                                    size_t quote_len, const char *collateral,
                                    size_t collateral_len, int64_t now,
                                    const char *trusted_roots_pem, esgx_attest_result *res,
                                    esgx_err *err);

/* ---------------------------------------------------------------- policy */

#define ESGX_ATTEST_POLICY_MAX_STATUS 8
#define ESGX_ATTEST_POLICY_MAX_MRENCLAVE 16

typedef struct esgx_attest_policy {
    /* accepted TCB statuses; empty = the default {UpToDate, SWHardeningNeeded} */
    char statuses[ESGX_ATTEST_POLICY_MAX_STATUS][ESGX_ATTEST_STATUS_LEN];
    size_t status_count;
    /* accepted MRENCLAVE values; empty = any */
    uint8_t mrenclave[ESGX_ATTEST_POLICY_MAX_MRENCLAVE][32];
    size_t mrenclave_count;
    int allow_debug;           /* accept enclaves with the DEBUG attribute */
} esgx_attest_policy;

/* Sets the default policy: statuses UpToDate and SWHardeningNeeded, any MRENCLAVE,
 * debug refused. */
void esgx_attest_policy_default(esgx_attest_policy *p);

/* Adds comma-separated statuses ("UpToDate,SWHardeningNeeded") to p. Returns 0 or
 * ESGX_ATTEST_E_ARG (unknown status name, too many). */
ESGX_MUST_CHECK
int esgx_attest_policy_add_statuses(esgx_attest_policy *p, const char *list, esgx_err *err);

/* Adds one MRENCLAVE given as 64 hex characters. Returns 0 or ESGX_ATTEST_E_ARG. */
ESGX_MUST_CHECK
int esgx_attest_policy_add_mrenclave(esgx_attest_policy *p, const char *hex, esgx_err *err);

/* Judges a result: it must be verified, its TCB status accepted, its MRENCLAVE listed
 * (when a list is set), and not debug unless allowed. Returns 0 or ESGX_ATTEST_E_POLICY with
 * the reason. */
ESGX_MUST_CHECK
int esgx_attest_policy_check(const esgx_attest_result *res, const esgx_attest_policy *p,
                             esgx_err *err);

/* ---------------------------------------------------------------- simulation */

/* Creates a simulation provisioning bundle in dir (created if missing, mode 0700):
 *   sim_root.pem        the sim root CA certificate (the trust anchor to configure)
 *   collateral.json     collateral in the shape of Intel's, valid for 365 days from now
 *   pck_chain.pem       PCK leaf + PCK platform CA + root (quote certification data)
 *   root_key.pem, pck_ca_key.pem, pck_key.pem, tcb_signing_key.pem,
 *   attestation_key.pem private keys, mode 0600
 * Refuses (ESGX_ATTEST_E_IO) when dir already holds sim_root.pem. Returns 0 or an error. */
ESGX_MUST_CHECK
int esgx_attest_sim_init(const char *dir, int64_t now, esgx_err *err);

typedef struct esgx_attest_sim_bundle esgx_attest_sim_bundle;

/* Loads a bundle made by esgx_attest_sim_init. *out is freed with esgx_attest_sim_free. */
ESGX_MUST_CHECK
int esgx_attest_sim_load(const char *dir, esgx_attest_sim_bundle **out, esgx_err *err);

/* Frees a bundle and wipes its keys. NULL is allowed. */
void esgx_attest_sim_free(esgx_attest_sim_bundle *b);

/* The bundle's root certificate PEM and collateral JSON (owned by the bundle). */
const char *esgx_attest_sim_root(const esgx_attest_sim_bundle *b);
const char *esgx_attest_sim_collateral(const esgx_attest_sim_bundle *b, size_t *len);

/* Builds a v3 quote for an enclave with the given report body, signed like a real one
 * (the QE report by the PCK key, the report by the attestation key). cpusvn in body is
 * replaced by the sim platform's. *quote is malloc'd (free() it). Returns 0 or
 * ESGX_ATTEST_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_attest_sim_quote(const esgx_attest_sim_bundle *b,
                          const esgx_attest_report_body *body, uint8_t **quote,
                          size_t *quote_len, esgx_err *err);

/* ---------------------------------------------------------------- RA-TLS (ratls.c) */
/*
 * RA-TLS (docs/protocols.md): each enclave makes a fresh ECDSA P-256 TLS key and a
 * self-signed X.509 v3 certificate carrying its quote in the non-critical extension
 * 1.2.840.113741.1.13.1.6 (value: the raw quote in an OCTET STRING). The quote's report
 * data is SHA-256(the certificate's SubjectPublicKeyInfo, DER) || 32 bytes of user data
 * (zero unless the caller gives some). A peer accepts the certificate only if the quote
 * verifies against its collateral and trust anchors, the report data binds the SPKI, and
 * its policy (TCB statuses, MRENCLAVE allowlist, debug) accepts the enclave. The TLS
 * helpers build TLS 1.3-only mutual-auth SSL_CTXs that run this check on both sides.
 * TLS key logging is never enabled. OpenSSL handle types appear here only as struct
 * pointers (struct ssl_ctx_st = SSL_CTX, struct ssl_st = SSL).
 */

#define ESGX_ATTEST_RATLS_OID "1.2.840.113741.1.13.1.6"
#define ESGX_ATTEST_RATLS_MAX_QUOTE 65536   /* quote buffer given to the quote source */

struct ssl_ctx_st;
struct ssl_st;

/* Quote source: writes the quote of the calling enclave whose report data is
 * report_data[64] into quote[0..cap), sets *len, returns 0 or a negative code with err
 * filled. Sim: esgx_attest_ratls_sim_get_quote; Gramine: esgx_attest_ratls_gramine_get_quote. */
typedef int (*esgx_attest_get_quote_fn)(const uint8_t report_data[64], uint8_t *quote,
                                   size_t cap, size_t *len, void *arg, esgx_err *err);

/* Argument of esgx_attest_ratls_sim_get_quote: a loaded sim bundle (not owned) and the
 * enclave's report body (MRENCLAVE, MRSIGNER, attributes, ...; report_data is replaced). */
typedef struct esgx_attest_ratls_sim_source {
    const esgx_attest_sim_bundle *bundle;
    esgx_attest_report_body body;
} esgx_attest_ratls_sim_source;

/* Quote source for sim: arg is an esgx_attest_ratls_sim_source*; signs a quote with the
 * bundle (esgx_attest_sim_quote). ESGX_ATTEST_E_ARG if cap is too small. */
ESGX_MUST_CHECK
int esgx_attest_ratls_sim_get_quote(const uint8_t report_data[64], uint8_t *quote,
                                    size_t cap, size_t *len, void *arg, esgx_err *err);

/* Quote source for Gramine (SGX DCAP): arg is the attestation directory (const char*,
 * NULL = "/dev/attestation"); writes report_data to <dir>/user_report_data and reads
 * <dir>/quote. ESGX_ATTEST_E_IO when a file cannot be written or read. */
ESGX_MUST_CHECK
int esgx_attest_ratls_gramine_get_quote(const uint8_t report_data[64], uint8_t *quote,
                                        size_t cap, size_t *len, void *arg, esgx_err *err);

/* An RA-TLS identity: private key + certificate. The key never leaves the process and is
 * freed (zeroised by OpenSSL) with esgx_attest_ratls_cert_free. */
typedef struct esgx_attest_ratls_cert esgx_attest_ratls_cert;

/* Makes a fresh P-256 key and a self-signed certificate (CN "esgx-enclave", serial
 * random, valid now-1h .. now+valid_days days, keyUsage digitalSignature, extKeyUsage
 * serverAuth+clientAuth) whose quote comes from get_quote(report_data, ..., quote_arg)
 * with report_data = SHA-256(SPKI DER) || user_data (32 bytes; NULL = zeros).
 * valid_days: 1..3650. *out is freed with esgx_attest_ratls_cert_free. Returns 0,
 * ESGX_ATTEST_E_ARG, ESGX_ATTEST_E_INTERNAL, or the quote source's error (prefixed "ratls quote"). */
ESGX_MUST_CHECK
int esgx_attest_ratls_cert_new(esgx_attest_get_quote_fn get_quote, void *quote_arg,
                               const uint8_t user_data[32], int64_t now, int valid_days,
                               esgx_attest_ratls_cert **out, esgx_err *err);

/* Frees the certificate and wipes the key. NULL is allowed. */
void esgx_attest_ratls_cert_free(esgx_attest_ratls_cert *c);

/* The certificate DER (owned by c) and its length. */
const uint8_t *esgx_attest_ratls_cert_der(const esgx_attest_ratls_cert *c, size_t *len);

/* Collateral provider: given the FMSPC, PCE-ID and issuing CA (ids->ca,
 * ESGX_ATTEST_PCK_CA_*) of the quote's PCK certificate, sets *json to malloc'd collateral
 * JSON (freed by the caller with free()) and *len. Called from the thread doing the
 * verification (TLS handshakes: a peer thread); it may block (e.g. ask the host), so
 * bound its wait. Returns 0 or a negative code with err filled. */
typedef int (*esgx_attest_collateral_fn)(const esgx_attest_pck_ids *ids, char **json, size_t *len,
                                    void *arg, esgx_err *err);

/* What a verifier trusts. Either collateral (fixed JSON, e.g. the sim bundle's or the
 * host's cached copy; not owned, must outlive every use) or get_collateral is set;
 * collateral wins when both are. trusted_roots_pem: NULL = Intel SGX Root CA only (a sim
 * root must be configured explicitly). now: Unix seconds at which to verify; 0 = read
 * the clock at each verification. esgx_attest_ratls_verify_cert uses the strings in place;
 * esgx_attest_ratls_ctx_new copies the collateral and roots (collateral_arg, if used, must
 * outlive the context). */
typedef struct esgx_attest_ratls_verifier {
    const char *collateral;
    size_t collateral_len;
    esgx_attest_collateral_fn get_collateral;
    void *collateral_arg;
    const char *trusted_roots_pem;
    esgx_attest_policy policy;
    int64_t now;
} esgx_attest_ratls_verifier;

/* Finds the RA-TLS extension in cert_der[0..len) and points *quote / *quote_len at its
 * value inside cert_der. ESGX_ATTEST_E_CERT "peer certificate carries no SGX quote" when
 * absent, ESGX_ATTEST_E_CERT for a malformed certificate. */
ESGX_MUST_CHECK
int esgx_attest_ratls_cert_quote(const uint8_t *cert_der, size_t len, const uint8_t **quote,
                                 size_t *quote_len, esgx_err *err);

/* Verifies an RA-TLS certificate: parses it, checks its self-signature and validity at
 * v->now, extracts the quote, checks report data 0..31 = SHA-256(SPKI DER), runs
 * esgx_attest_quote_verify with v's collateral and roots and esgx_attest_policy_check with
 * v->policy. res (may be NULL) gets the quote's facts; user_data (may be NULL) gets
 * report data bytes 32..63. Returns 0 when the certificate is accepted; otherwise
 * ESGX_ATTEST_E_ARG, ESGX_ATTEST_E_CERT (malformed, no quote, bad self-signature, not valid
 * at now), ESGX_ATTEST_E_MISMATCH (report data does not bind the key), the
 * esgx_attest_quote_verify errors, or ESGX_ATTEST_E_POLICY. */
ESGX_MUST_CHECK
int esgx_attest_ratls_verify_cert(const uint8_t *cert_der, size_t len,
                                  const esgx_attest_ratls_verifier *v,
                                  esgx_attest_result *res, uint8_t user_data[32],
                                  esgx_err *err);

enum { ESGX_ATTEST_RATLS_SERVER = 0, ESGX_ATTEST_RATLS_CLIENT = 1 };

/* Builds an SSL_CTX for role ESGX_ATTEST_RATLS_SERVER or _CLIENT: TLS 1.3 only, cert c and
 * its key, peer certificate required (SSL_VERIFY_PEER | FAIL_IF_NO_PEER_CERT) and
 * checked by esgx_attest_ratls_verify_cert with a private copy of *v and the context's
 * own collateral cache (esgx_attest_quote_verify_cached, 8 entries) (c is referenced: keep
 * it alive as long as the context), no session resumption or tickets, no key logging.
 * Free with SSL_CTX_free. Returns 0, ESGX_ATTEST_E_ARG or ESGX_ATTEST_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_attest_ratls_ctx_new(const esgx_attest_ratls_cert *c,
                              const esgx_attest_ratls_verifier *v, int role,
                              struct ssl_ctx_st **out, esgx_err *err);

/* After a handshake on an SSL made from an esgx_attest_ratls_ctx_new context: 0 and *res
 * (may be NULL) = the verified peer's facts (MRENCLAVE, MRSIGNER, TCB status, ...), or
 * the reason the peer was refused / not verified (ESGX_ATTEST_E_* code, err filled). */
ESGX_MUST_CHECK
int esgx_attest_ratls_peer(const struct ssl_st *ssl, esgx_attest_result *res,
                           esgx_err *err);

/* Server handshake on a connected socket fd with a deadline of timeout_ms (> 0): makes
 * the SSL (fd is attached, non-blocking; the caller still owns and closes fd) and
 * accepts. On success *out is the SSL (SSL_free it) with a verified peer. Errors:
 * ESGX_ATTEST_E_IO (timeout, connection closed), ESGX_ATTEST_E_POLICY or the verification code
 * of the refused peer, ESGX_ATTEST_E_INTERNAL. */
ESGX_MUST_CHECK
int esgx_attest_ratls_accept(struct ssl_ctx_st *ctx, int fd, int timeout_ms,
                             struct ssl_st **out, esgx_err *err);

/* Client: connects to host:port (numeric or name, TCP) and handshakes, all within
 * timeout_ms. On success *out is the SSL and *fd_out the socket (caller: SSL_free,
 * close). The server's certificate is verified before this returns 0. Errors as for
 * esgx_attest_ratls_accept. */
ESGX_MUST_CHECK
int esgx_attest_ratls_connect(struct ssl_ctx_st *ctx, const char *host, uint16_t port,
                              int timeout_ms, struct ssl_st **out, int *fd_out,
                              esgx_err *err);

/* ---------------------------------------------------------------- key sharing (keyshare.c) */
/*
 * Protocol ESGX-KEYSHARE version 1 (docs/protocols.md), inside an RA-TLS connection:
 * client sends the 20 bytes "ESGX-KEYSHARE/1 GET\n"; server replies
 * [version 0x01][status][len: u16 big-endian][len bytes], status 0 = OK (payload = the
 * 111-byte xprv), else an ASCII reason (1 refused, 2 bad request, 3 no key). Then the
 * server closes. The server sends the key only when esgx_attest_ratls_peer accepts the peer.
 */

#define ESGX_ATTEST_KEYSHARE_XPRV_LEN 111
enum { ESGX_ATTEST_KS_OK = 0, ESGX_ATTEST_KS_REFUSED = 1, ESGX_ATTEST_KS_BAD_REQUEST = 2,
       ESGX_ATTEST_KS_NO_KEY = 3 };

/* Serves one request on a handshaken RA-TLS server SSL (from esgx_attest_ratls_accept):
 * reads the request, replies with xprv (ESGX_ATTEST_KEYSHARE_XPRV_LEN chars; NULL = this
 * node has no key yet, replies NO_KEY) if the peer verified, else REFUSED; shuts down
 * TLS. res (may be NULL) gets the peer's facts. Returns 0 when the key was sent;
 * ESGX_ATTEST_E_POLICY (peer not verified), ESGX_ATTEST_E_FORMAT (bad request), ESGX_ATTEST_E_IO
 * (timeout/closed), ESGX_ATTEST_E_ARG (xprv NULL: NO_KEY sent). */
ESGX_MUST_CHECK
int esgx_attest_keyshare_serve(struct ssl_st *ssl, const char *xprv, int timeout_ms,
                               esgx_attest_result *res, esgx_err *err);

/* Client: esgx_attest_ratls_connect to host:port, send the request, read the reply, check it
 * parses as a private BIP32 key (esgx_bip32_key_parse), copy it into xprv_out (NUL-terminated,
 * capacity ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1). All within timeout_ms. peer (may be NULL) gets
 * the server's facts. Buffers are wiped. Returns 0, or ESGX_ATTEST_E_IO, the server's
 * refusal (ESGX_ATTEST_E_POLICY with its reason), ESGX_ATTEST_E_FORMAT (bad reply or key), or a
 * verification error of the server's certificate; xprv_out is then all zero. */
ESGX_MUST_CHECK
int esgx_attest_keyshare_fetch(struct ssl_ctx_st *ctx, const char *host, uint16_t port,
                               int timeout_ms,
                               char xprv_out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1],
                               esgx_attest_result *peer, esgx_err *err);

/* Tries esgx_attest_keyshare_fetch on each peer of "host:port,host:port,..." ([v6]:port
 * accepted) in order; after a round with no success sleeps (backoff_ms, doubling up to
 * 30 s) and tries again, at most max_rounds rounds (0 = until success). Returns 0 with
 * the key, ESGX_ATTEST_E_ARG for a malformed peer list, or the last peer's error. */
ESGX_MUST_CHECK
int esgx_attest_keyshare_fetch_any(struct ssl_ctx_st *ctx, const char *peers,
                                   int timeout_ms, int max_rounds, int backoff_ms,
                                   char xprv_out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1],
                                   esgx_attest_result *peer, esgx_err *err);

#endif
