/*
 * esgx_attest: Intel SGX DCAP quote parsing and verification, verifier policy, and the
 * simulation provisioning bundle (DESIGN.md section 7).
 *
 *   attest_quote_parse     bounds-checked parse of an ECDSA-P256 quote (v3, v4 SGX)
 *   attest_quote_verify    full offline verification against collateral JSON
 *   attest_policy_check    which TCB statuses / MRENCLAVEs / debug enclaves to accept
 *   attest_sim_*           simulation bundle: root CA, PCK, TCB signer, collateral,
 *                          and real quotes signed with those keys
 *
 * Conventions: functions return ESGX_OK (0) or a negative ATTEST_E_* code and, when
 * `err` is non-NULL, fill it with that code and a message naming what was wrong
 * ("quote: truncated at offset 436", "tcbInfo: signature does not verify", ...).
 * Times are Unix seconds (int64_t). Nothing here reads the clock: callers pass the
 * time at which certificates, CRLs and collateral must be valid.
 */
#ifndef ESGX_ATTEST_H
#define ESGX_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_err.h"

/* ---------------------------------------------------------------- error codes */

enum {
    ATTEST_E_ARG = -1,        /* bad argument (NULL pointer, bad hex, ...) */
    ATTEST_E_FORMAT = -2,     /* quote malformed: truncated, bad lengths, bad version */
    ATTEST_E_CERT = -3,       /* certificate malformed, chain or validity failed */
    ATTEST_E_CRL = -4,        /* CRL malformed, bad signature, expired, or revoked cert */
    ATTEST_E_COLLATERAL = -5, /* collateral JSON malformed or missing a field */
    ATTEST_E_SIGNATURE = -6,  /* a signature (quote, QE report, tcbInfo, ...) failed */
    ATTEST_E_EXPIRED = -7,    /* collateral not valid at the given time */
    ATTEST_E_MISMATCH = -8,   /* FMSPC/PCE-ID/QE identity/report data mismatch */
    ATTEST_E_TCB = -9,        /* no TCB level matches the platform */
    ATTEST_E_POLICY = -10,    /* verified but refused by the policy */
    ATTEST_E_IO = -11,        /* file read/write failed (sim bundle) */
    ATTEST_E_INTERNAL = -12,  /* OpenSSL or allocation failure */
};

/* ---------------------------------------------------------------- quote layout */

#define ATTEST_HEADER_LEN 48
#define ATTEST_REPORT_BODY_LEN 384
#define ATTEST_SIGNED_LEN (ATTEST_HEADER_LEN + ATTEST_REPORT_BODY_LEN) /* 432 */
#define ATTEST_MAX_QUOTE_LEN (1u << 20)
#define ATTEST_MAX_ADVISORIES 32
#define ATTEST_ADVISORY_LEN 32
#define ATTEST_STATUS_LEN 48

/* Attributes flags (low 8 bytes of the 16-byte ATTRIBUTES field, little-endian). */
#define ATTEST_ATTR_INIT 0x01u
#define ATTEST_ATTR_DEBUG 0x02u
#define ATTEST_ATTR_MODE64BIT 0x04u

/* An SGX report body (384 bytes on the wire), decoded. */
typedef struct attest_report_body {
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
} attest_report_body;

/* A parsed quote. Pointers point into the caller's quote buffer (no copies), which
 * must outlive this struct. */
typedef struct attest_quote {
    uint16_t version;          /* 3 or 4 */
    uint16_t att_key_type;     /* 2 = ECDSA-256-with-P-256 */
    uint32_t tee_type;         /* v4: 0 = SGX; v3: the reserved field (0) */
    uint16_t qe_svn, pce_svn;
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
    attest_report_body body;   /* the ISV enclave's report */
    const uint8_t *signed_part;  /* header + body, ATTEST_SIGNED_LEN bytes */
    const uint8_t *isv_signature;/* 64 bytes r||s (big-endian) */
    const uint8_t *att_key;      /* 64 bytes x||y */
    const uint8_t *qe_report;    /* 384 bytes */
    attest_report_body qe_body;  /* decoded QE report */
    const uint8_t *qe_signature; /* 64 bytes r||s */
    const uint8_t *qe_auth;      /* qe_auth_len bytes */
    uint16_t qe_auth_len;
    uint16_t cert_type;          /* 5 = PCK certificate chain (PEM) */
    const uint8_t *cert_data;    /* cert_len bytes */
    uint32_t cert_len;
} attest_quote;

/* Parses quote[0..len) (v3, or v4 with TEE type SGX; ECDSA-P256 attestation key;
 * certification data type 5, in v4 nested in type 6). Every length is checked against
 * the buffer; trailing bytes are refused. Returns 0 or ATTEST_E_FORMAT ("quote:
 * truncated at offset N", "quote: unsupported version 2", ...). */
int attest_quote_parse(const uint8_t *quote, size_t len, attest_quote *out, esgx_err *err);

/* Decodes a 384-byte report body. */
void attest_report_body_decode(const uint8_t in[ATTEST_REPORT_BODY_LEN],
                               attest_report_body *out);
/* Encodes a report body into 384 bytes (reserved fields zero). */
void attest_report_body_encode(const attest_report_body *in,
                               uint8_t out[ATTEST_REPORT_BODY_LEN]);

/* ---------------------------------------------------------------- PCK extension */

/* The SGX extension (OID 1.2.840.113741.1.13.1) of a PCK certificate. */
typedef struct attest_pck_info {
    uint8_t ppid[16];
    uint8_t comp_svn[16];      /* TCB component SVNs .2.1 .. .2.16 */
    uint16_t pcesvn;           /* .2.17 */
    uint8_t cpusvn[16];        /* .2.18 */
    uint8_t pce_id[2];         /* .3 */
    uint8_t fmspc[6];          /* .4 */
    int sgx_type;              /* .5: 0 standard, 1 scalable, ... */
} attest_pck_info;

/* Parses the DER value (the OCTET STRING contents) of the SGX extension. Requires PPID,
 * all 18 TCB entries, PCE-ID, FMSPC and SGX type; ignores optional entries it does not
 * know (.6 platform instance id, .7 configuration). Returns 0 or ATTEST_E_CERT. */
int attest_pck_ext_parse(const uint8_t *der, size_t len, attest_pck_info *out,
                         esgx_err *err);

/* Finds the SGX extension in a DER certificate and parses it. Returns 0 or
 * ATTEST_E_CERT (malformed certificate, extension missing or malformed). */
int attest_pck_cert_info(const uint8_t *cert_der, size_t len, attest_pck_info *out,
                         esgx_err *err);

/* ---------------------------------------------------------------- collateral */

/* Checks that collateral JSON parses: all fields present, PEM chains and CRLs decode,
 * tcbInfo/enclaveIdentity values can be cut out and parsed. No signature checks.
 * Used by the fuzzer and by callers that want an early, clear error. */
int attest_collateral_check(const char *json, size_t len, esgx_err *err);

/* ---------------------------------------------------------------- verification */

/* The result of attest_quote_verify. Filled as far as verification got, so that a
 * failure can still show the report body. */
typedef struct attest_result {
    int verified;              /* 1 when every check passed (policy not applied) */
    uint16_t version;
    attest_report_body body;   /* the ISV enclave's report */
    int debug;                 /* DEBUG attribute bit of the ISV enclave */
    char tcb_status[ATTEST_STATUS_LEN];     /* final status: platform and QE combined */
    char platform_status[ATTEST_STATUS_LEN];/* status of the matching tcbInfo level */
    char qe_status[ATTEST_STATUS_LEN];      /* status of the matching QE identity level */
    char advisory_ids[ATTEST_MAX_ADVISORIES][ATTEST_ADVISORY_LEN];
    size_t advisory_count;     /* union of platform and QE advisories, in order */
    uint8_t fmspc[6];
    uint8_t pce_id[2];
    int64_t tcb_date;          /* tcbDate of the matching level (Unix seconds) */
} attest_result;

/* The Intel SGX Root CA certificate (PEM), the default trust anchor. */
extern const char attest_intel_root_pem[];

/* Verifies quote[0..quote_len) with collateral JSON (the shape of Intel's
 * sgx_ql_qve_collateral_t: version, root_ca_crl, pck_crl, pck_crl_issuer_chain,
 * tcb_info_issuer_chain, qe_identity_issuer_chain, tcb_info, qe_identity) at Unix time
 * `now`. trusted_roots_pem: one or more PEM root certificates (NULL = the Intel SGX Root
 * CA only); every chain (quote PCK chain, CRL issuer chain, TCB and QE identity signing
 * chains) must end in one of them. On success returns 0 with res->verified = 1 and the
 * TCB status (which the policy then judges). Errors: ATTEST_E_FORMAT, _CERT, _CRL,
 * _COLLATERAL, _SIGNATURE, _EXPIRED, _MISMATCH, _TCB, _INTERNAL; res still holds what
 * was decoded. */
int attest_quote_verify(const uint8_t *quote, size_t quote_len, const char *collateral,
                        size_t collateral_len, int64_t now, const char *trusted_roots_pem,
                        attest_result *res, esgx_err *err);

/* ---------------------------------------------------------------- policy */

#define ATTEST_POLICY_MAX_STATUS 8
#define ATTEST_POLICY_MAX_MRENCLAVE 16

typedef struct attest_policy {
    /* accepted TCB statuses; empty = the default {UpToDate, SWHardeningNeeded} */
    char statuses[ATTEST_POLICY_MAX_STATUS][ATTEST_STATUS_LEN];
    size_t status_count;
    /* accepted MRENCLAVE values; empty = any */
    uint8_t mrenclave[ATTEST_POLICY_MAX_MRENCLAVE][32];
    size_t mrenclave_count;
    int allow_debug;           /* accept enclaves with the DEBUG attribute */
} attest_policy;

/* Sets the default policy: statuses UpToDate and SWHardeningNeeded, any MRENCLAVE,
 * debug refused. */
void attest_policy_default(attest_policy *p);

/* Adds comma-separated statuses ("UpToDate,SWHardeningNeeded") to p. Returns 0 or
 * ATTEST_E_ARG (unknown status name, too many). */
int attest_policy_add_statuses(attest_policy *p, const char *list, esgx_err *err);

/* Adds one MRENCLAVE given as 64 hex characters. Returns 0 or ATTEST_E_ARG. */
int attest_policy_add_mrenclave(attest_policy *p, const char *hex, esgx_err *err);

/* Judges a result: it must be verified, its TCB status accepted, its MRENCLAVE listed
 * (when a list is set), and not debug unless allowed. Returns 0 or ATTEST_E_POLICY with
 * the reason. */
int attest_policy_check(const attest_result *res, const attest_policy *p, esgx_err *err);

/* ---------------------------------------------------------------- simulation */

/* Creates a simulation provisioning bundle in dir (created if missing, mode 0700):
 *   sim_root.pem        the sim root CA certificate (the trust anchor to configure)
 *   collateral.json     collateral in the shape of Intel's, valid for 365 days from now
 *   pck_chain.pem       PCK leaf + PCK platform CA + root (quote certification data)
 *   root_key.pem, pck_ca_key.pem, pck_key.pem, tcb_signing_key.pem,
 *   attestation_key.pem private keys, mode 0600
 * Refuses (ATTEST_E_IO) when dir already holds sim_root.pem. Returns 0 or an error. */
int attest_sim_init(const char *dir, int64_t now, esgx_err *err);

typedef struct attest_sim_bundle attest_sim_bundle;

/* Loads a bundle made by attest_sim_init. *out is freed with attest_sim_free. */
int attest_sim_load(const char *dir, attest_sim_bundle **out, esgx_err *err);

/* Frees a bundle and wipes its keys. NULL is allowed. */
void attest_sim_free(attest_sim_bundle *b);

/* The bundle's root certificate PEM and collateral JSON (owned by the bundle). */
const char *attest_sim_root(const attest_sim_bundle *b);
const char *attest_sim_collateral(const attest_sim_bundle *b, size_t *len);

/* Builds a v3 quote for an enclave with the given report body, signed like a real one
 * (the QE report by the PCK key, the report by the attestation key). cpusvn in body is
 * replaced by the sim platform's. *quote is malloc'd (free() it). Returns 0 or
 * ATTEST_E_INTERNAL. */
int attest_sim_quote(const attest_sim_bundle *b, const attest_report_body *body,
                     uint8_t **quote, size_t *quote_len, esgx_err *err);

#endif
