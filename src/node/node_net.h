/*
 * node_net.h: how esgxd joins a network with --etcd (node_net.c): the node id, the
 * network object (network.h) serving the content store, and the supervisor hooks.
 */
#ifndef ESGX_NODE_NODE_NET_H
#define ESGX_NODE_NODE_NET_H

#include "content.h"
#include "esgx_common.h"
#include "node_config.h"
#include "supervisor.h"

struct esgx_net;

typedef struct node_net node_net;

/* Joins the network of cfg->etcd: the node id (--node-id or DATA_DIR/node.id) and the
 * network object serving content through `content`, with the token_mac pinned in
 * DATA_DIR/token_mac. *out is freed with esgx_node_net_close. Returns 0,
 * ESGX_NODE_E_ETCD (unreachable: the message names the endpoints) or ESGX_NODE_E_IO
 * (including a malformed DATA_DIR/token_mac). */
ESGX_MUST_CHECK int esgx_node_net_open(const node_config *cfg, content_store *content,
                                       node_net **out, esgx_err *err);
/* Gives the network the supervisor, for the enclave's identity in the member record
 * and the MACs that check tokens and content. */
void esgx_node_net_attach(node_net *nn, sup *s);
/* For the node that has DATA_DIR/admin.token (the --init node), once its enclave has
 * the key: publishes the token's token_mac (create-only) and pins it
 * (esgx_net_token_publish: 0, ESGX_NODE_E_CONFLICT when the network or this node's pin
 * has another, ESGX_NODE_E_DOWN when the enclave cannot make the MAC, ESGX_NODE_E_ETCD,
 * ESGX_NODE_E_IO). */
ESGX_MUST_CHECK int esgx_node_net_publish_token(node_net *nn, const char *token_hex,
                                                esgx_err *err);
/* Fills the supervisor hooks that fetch missing content and find key-sharing peers
 * (nothing when nn is NULL). */
void esgx_node_net_hooks(node_net *nn, sup_hooks *h);
/* The network object (NULL when nn is NULL). */
struct esgx_net *esgx_node_net_handle(node_net *nn);
/* Waits until a live member serves the key (--peer-listen). 0 or ESGX_NODE_E_TIMEOUT. */
ESGX_MUST_CHECK int esgx_node_net_wait_peers(node_net *nn, int timeout_ms);
/* Stops the network's fetch pool (esgx_net_fetch_stop): every fetch still waited for
 * is called back now, none later. Before the HTTP server and the supervisor are freed
 * (NULL allowed). */
void esgx_node_net_stop_fetches(node_net *nn);
/* Leaves the network (NULL allowed). */
void esgx_node_net_close(node_net *nn);

#endif
