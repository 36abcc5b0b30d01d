/*
 * collateral_service.h: the node's DCAP collateral (collateral_service.c): answers the
 * enclave's COLLATERAL_REQ and gives /attestation the collateral for the node's quote,
 * from a PCCS through collateral_pccs.h when esgxd runs with --pccs.
 */
#ifndef ESGX_NODE_COLLATERAL_SERVICE_H
#define ESGX_NODE_COLLATERAL_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"
#include "esgx_proto.h"
#include "node_config.h"
#include "supervisor.h"

typedef struct collat collat;

/* Creates the collateral service: the PCCS client when cfg->pccs_url is set (loading
 * DATA_DIR/collateral) and the thread answering COLLATERAL_REQ through s (set later with
 * esgx_collat_attach; requests queue until then). *out is freed with esgx_collat_free. Returns 0,
 * ESGX_NODE_E_ARG (bad --pccs URL, cache directory unusable: err says why),
 * ESGX_NODE_E_NOMEM or ESGX_NODE_E_IO. */
ESGX_MUST_CHECK int esgx_collat_new(const node_config *cfg, collat **out, esgx_err *err);

/* Gives c the supervisor its replies go through; the worker starts answering. */
void esgx_collat_attach(collat *c, sup *s);

/* Stops the thread and frees c (NULL allowed; requests still queued get no reply). */
void esgx_collat_free(collat *c);

/* Queues the enclave's COLLATERAL_REQ id for the collateral thread (never blocks; a
 * full queue is answered at once with an error). A sup_hooks.on_collateral_req (arg is
 * the collat). */
void esgx_collat_request(void *c, uint64_t id, const esgx_msg_collateral_req *rq);

/* Returns 1 if collateral comes from a PCCS (--pccs), else 0. */
int esgx_collat_enabled(const collat *c);

/* The collateral for the node's own quote (FMSPC and CA from its PCK certificate),
 * through the PCCS cache (may block on the network on first use or after the refresh
 * interval). Returns malloc'd JSON (*len bytes) or NULL with why filled. */
char *esgx_collat_for_quote(collat *c, const uint8_t *quote, size_t quote_len, size_t *len,
                       char *why, size_t why_cap);

#endif
