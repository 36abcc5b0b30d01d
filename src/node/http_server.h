/*
 * http_server.h: the public HTTP API of a node on libmicrohttpd (http_server.c,
 * docs/http-api.md).
 */
#ifndef ESGX_NODE_HTTP_SERVER_H
#define ESGX_NODE_HTTP_SERVER_H

#include "collateral_service.h"
#include "content.h"
#include "esgx_common.h"
#include "metrics.h"
#include "node_config.h"
#include "registry.h"
#include "supervisor.h"

struct esgx_net;

typedef struct http http;

/* What the HTTP server serves from (all must outlive it; collateral may be NULL). */
typedef struct http_deps {
    const node_config *cfg;        /* listen address, limits, collateral file */
    const char *token_hex;         /* admin token, 64 hex chars (copied) */
    sup *sup;
    content_store *content;
    registry *registry;
    metrics *metrics;
    collat *collateral;
    struct esgx_net *net;          /* the network (--etcd), or NULL for a node alone */
} http_deps;

/* Starts the HTTP daemon on cfg->listen_host:listen_port (port 0: any free port, see
 * esgx_http_port); with cfg->tls_cert and tls_key, HTTPS only (the PEM files are read and
 * checked to be a certificate and its key first). *out is freed with esgx_http_free. Returns
 * 0, ESGX_NODE_E_ARG (host does not resolve; a TLS file missing, unreadable, not PEM, or
 * key and certificate not a pair; only one of the two given), ESGX_NODE_E_NOMEM or
 * ESGX_NODE_E_IO (cannot listen). */
ESGX_MUST_CHECK int esgx_http_start(const http_deps *deps, http **out, esgx_err *err);
/* Returns the port h listens on. */
unsigned esgx_http_port(const http *h);
/* Stops accepting new connections (quiesce). */
void esgx_http_quiesce(http *h);
/* Stops the daemon and frees h (NULL allowed; every suspended connection must have been
 * resumed, i.e. the supervisor stopped). */
void esgx_http_free(http *h);

#endif
