/*
 * collateral_pccs.h: DCAP collateral from a PCCS (or Intel's PCS), API version 4, with a cache in
 * memory and on disk (pccs.c). Standalone: it needs only libcurl, jansson, OpenSSL and
 * lib/attest, so tests drive it directly against a fake PCCS.
 *
 * For one FMSPC and PCK CA type it fetches
 *   GET {base}/tcb?fmspc=HEX                 TCB info   + TCB-Info-Issuer-Chain
 *   GET {base}/qe/identity                   QE identity + SGX-Enclave-Identity-Issuer-Chain
 *   GET {base}/pckcrl?ca=CA&encoding=pem     PCK CRL    + SGX-PCK-CRL-Issuer-Chain
 *   GET {base}/rootcacrl                     root CA CRL (PEM, DER or hex DER)
 * and assembles the collateral JSON lib/attest verifies (Intel's sgx_ql_qve_collateral_t
 * field names; tcb_info / qe_identity embedded as the exact response bytes, because
 * Intel's signatures cover them). Nothing here trusts the transport: whatever comes
 * back is verified later against Intel's signatures and the trusted root, so a
 * PCCS with a self-signed TLS certificate (insecure = 1) cannot forge collateral; at
 * worst it withholds it.
 */
#ifndef ESGX_NODE_COLLATERAL_PCCS_H
#define ESGX_NODE_COLLATERAL_PCCS_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

/* Error codes (values in esgx_common.h's ESGX_ERRORS; esgx_strerror names them):
 *   ESGX_PCCS_E_ARG            bad argument or configuration
 *   ESGX_PCCS_E_FETCH          transport failure, timeout, HTTP status other than 200
 *   ESGX_PCCS_E_BODY           a response is malformed, oversized or lacks a header
 *   ESGX_PCCS_E_IO             cache directory error
 *   ESGX_PCCS_E_NOMEM          out of memory
 */

/* Log levels given to the log callback (the values of esgxd's NODE_LOG_*). */
enum { PCCS_LOG_ERROR = 0, PCCS_LOG_WARN, PCCS_LOG_INFO, PCCS_LOG_DEBUG };

typedef struct pccs_config {
    const char *base_url;        /* e.g. https://host:8081/sgx/certification/v4 */
    int insecure;                /* 1: do not check the PCCS's TLS certificate */
    const char *ca_file;         /* PEM CA certificate(s) that the PCCS's TLS certificate
                                    must chain to, instead of the system's store; NULL =
                                    the system's store. Ignored when insecure is set */
    int64_t refresh_ms;          /* cache entries younger than this are used; 0 = 1 h */
    const char *cache_dir;       /* on-disk cache (created 0700); NULL = memory only */
    long connect_timeout_ms;     /* 0 = 5000 */
    long timeout_ms;             /* whole request; 0 = 15000 */
    size_t max_body;             /* per response; 0 = 1 MiB */
    void (*log)(int level, const char *msg);   /* may be NULL */
} pccs_config;

typedef struct pccs pccs;

/* Checks cfg (http:// or https:// base URL; ca_file, when set, must be readable),
 * copies it, creates cache_dir if needed,
 * removes temp files left there by a crash and loads every valid cached entry
 * (<fmspc hex>-<ca>.json; an entry that does not parse is logged and ignored; its age
 * is the file's mtime). *out is freed with esgx_pccs_free. Returns 0, ESGX_PCCS_E_ARG, ESGX_PCCS_E_IO
 * or ESGX_PCCS_E_NOMEM. */
ESGX_MUST_CHECK int esgx_pccs_new(const pccs_config *cfg, pccs **out, esgx_err *err);

/* Frees p (NULL allowed). No call may be running. */
void esgx_pccs_free(pccs *p);

/* Fetches the four documents for fmspc and ca (ESGX_ATTEST_PCK_CA_*) now, without the cache,
 * and assembles the collateral: *json malloc'd (free()), *len its length. The result
 * passed esgx_attest_collateral_check and its TCB info is for fmspc. Errors name the URL and
 * the cause: ESGX_PCCS_E_FETCH ("GET URL: HTTP 404", "... timed out"), ESGX_PCCS_E_BODY
 * ("GET URL: no TCB-Info-Issuer-Chain header", "... larger than 1048576 bytes", "...
 * not a TCB info document"), ESGX_PCCS_E_ARG, ESGX_PCCS_E_NOMEM. */
ESGX_MUST_CHECK int esgx_pccs_fetch(pccs *p, const uint8_t fmspc[6], int ca, char **json, size_t *len,
               esgx_err *err);

/* The collateral for fmspc and ca through the cache: a cached entry younger than the
 * refresh interval is returned as is; otherwise it is fetched (esgx_pccs_fetch), stored in
 * memory and written atomically to cache_dir/<fmspc hex>-<ca>.json (a failed write is
 * logged; the fetch still counts). If the fetch fails and an older entry exists, that
 * stale entry is returned (logged at warn), *stale (may be NULL) is set to 1 and err
 * still tells why the refetch failed; after a failure the next refetch is tried no
 * sooner than min(refresh, 60 s) later. Concurrent calls share one fetch. Returns 0 or
 * the esgx_pccs_fetch error when there is no entry at all. */
ESGX_MUST_CHECK int esgx_pccs_get(pccs *p, const uint8_t fmspc[6], int ca, char **json, size_t *len,
             int *stale, esgx_err *err);

/* Number of fetches (esgx_pccs_fetch calls, successful or not) made so far. */
uint64_t esgx_pccs_fetch_count(const pccs *p);

#endif
