/*
 * node_net.c: how esgxd joins a network (--etcd): the node's stable id, the admin
 * token shared through etcd (its token_mac, published by the node holding
 * DATA_DIR/admin.token once its enclave can make MACs, pinned in DATA_DIR/token_mac),
 * the content store, the enclave's identity and its MACs (esgx_sup_mac) handed to the
 * network object (network.h), and the supervisor hooks that fetch missing content and
 * find key-sharing peers. A node without --etcd never calls this file.
 */
#include "node_net.h"
#include "node_log.h"
#include "network.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esgx_crypto.h"

struct node_net {
    esgx_net *net;
    content_store *content;
    sup *_Atomic sup;              /* for the identity and MACs (esgx_node_net_attach; read
                                      by the network's threads) */
    char id[65];
};

/* ---------------------------------------------------------------- node id */

static int id_valid(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 64 &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* --node-id, else DATA_DIR/node.id (16 random bytes in hex, made once, atomically). */
static int load_node_id(const node_config *cfg, char id[65], esgx_err *err)
{
    if (cfg->node_id) {
        if (!id_valid(cfg->node_id))
            return esgx_err_set(err, ESGX_NODE_E_ARG,
                                "--node-id: 1 to 64 characters of [A-Za-z0-9._-]");
        snprintf(id, 65, "%s", cfg->node_id);
        return ESGX_OK;
    }
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/node.id", cfg->data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char buf[80] = "";
        int ok = fgets(buf, sizeof buf, f) != NULL;
        fclose(f);
        buf[strcspn(buf, "\r\n")] = 0;
        if (!ok || !id_valid(buf))
            return esgx_err_set(err, ESGX_NODE_E_IO, "%s is not a node id (remove it to make "
                                                     "a new one)", path);
        snprintf(id, 65, "%.64s", buf);
        return ESGX_OK;
    }
    uint8_t r[16];
    if (esgx_crypto_random(r, sizeof r, err)) return ESGX_NODE_E_IO;
    esgx_crypto_hex_encode(r, sizeof r, id);
    snprintf(tmp, sizeof tmp, "%s/.node.id.tmp", cfg->data_dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = fd < 0 || write(fd, id, 32) != 32 || write(fd, "\n", 1) != 1 || fsync(fd);
    if (fd >= 0) close(fd);
    if (rc || rename(tmp, path))
        return esgx_err_set(err, ESGX_NODE_E_IO, "cannot write %s: %s", path, strerror(errno));
    return ESGX_OK;
}

/* ---------------------------------------------------------------- adapters */

static int store_has(void *arg, const uint8_t hash[32])
{
    return esgx_content_exists(((node_net *)arg)->content, hash);
}

static int store_put(void *arg, const uint8_t *data, size_t len, const uint8_t hash[32],
                     esgx_err *err)
{
    node_net *nn = arg;
    char hex[65];
    int created = 0;
    int rc = esgx_content_put_hashed(nn->content, data, len, hash, hex, &created, err);
    if (rc == ESGX_OK && created)
        esgx_node_log(NODE_LOG_INFO, "stored content %s (%zu bytes) from the network", hex, len);
    return rc;
}

static void store_each(void *arg, int (*fn)(void *, const uint8_t[32], uint64_t), void *fnarg)
{
    esgx_content_each(((node_net *)arg)->content, fn, fnarg);
}

static void identity(void *arg, char mre[65], char platform[32], int *has_key)
{
    node_net *nn = arg;
    mre[0] = platform[0] = 0;
    *has_key = 0;
    sup *s = atomic_load(&nn->sup);
    if (!s) return;
    sup_info in;
    esgx_sup_get_info(s, &in);
    if (!in.have_hello) return;
    esgx_crypto_hex_encode(in.mrenclave, 32, mre);
    snprintf(platform, 32, "%.31s", in.platform);
    *has_key = in.state == ESGX_STATE_READY;
}

static int enclave_mac(void *arg, int kind, const uint8_t data[32], uint8_t out[32],
                       esgx_err *err)
{
    sup *s = atomic_load(&((node_net *)arg)->sup);
    if (!s) return esgx_err_set(err, ESGX_NODE_E_DOWN, "the enclave is not started yet");
    return esgx_sup_mac(s, kind, data, out, err);
}

static int network_key(void *arg, uint8_t key[33])
{
    node_net *nn = arg;
    sup *s = atomic_load(&nn->sup);
    if (!s) return -1;
    sup_info in;
    esgx_sup_get_info(s, &in);
    if (in.state != ESGX_STATE_READY) return -1;
    memcpy(key, in.public_key, 33);
    return 0;
}

static void net_log_line(int level, const char *msg)
{
    esgx_node_log(level, "network: %s", msg);
}

static int hook_fetch(void *arg, const uint8_t hash[32],
                      void (*done)(void *ctx, const uint8_t hash[32], int rc, const esgx_err *err),
                      void *ctx, esgx_err *err)
{
    return esgx_net_fetch_async(((node_net *)arg)->net, hash, done, ctx, err);
}

static char *hook_peers(void *arg)
{
    return esgx_net_peer_list(((node_net *)arg)->net);
}

/* ---------------------------------------------------------------- lifecycle */

int esgx_node_net_open(const node_config *cfg, content_store *content, node_net **out,
                       esgx_err *err)
{
    *out = NULL;
    node_net *nn = calloc(1, sizeof *nn);
    if (!nn) return esgx_err_set(err, ESGX_NODE_E_NOMEM, "out of memory");
    nn->content = content;
    int rc = load_node_id(cfg, nn->id, err);
    if (rc) {
        free(nn);
        return rc;
    }
    char pin[4200];
    snprintf(pin, sizeof pin, "%s/token_mac", cfg->data_dir);
    esgx_net_config nc = {
        .etcd = cfg->etcd, .prefix = cfg->etcd_prefix, .node_id = nn->id,
        .advertise = cfg->advertise, .peer_listen = cfg->peer_listen,
        .version = ESGX_VERSION, .replicas = cfg->replicas, .ipfs_gateway = cfg->ipfs_gateway,
        .allow_private_origins = cfg->allow_private_origins,
        .max_content = cfg->max_content, .fetch_timeout_ms = cfg->fetch_timeout * 1000u, .log = net_log_line, .identity = identity,
        .identity_arg = nn, .mac = enclave_mac, .mac_arg = nn, .token_pin_path = pin,
        .network_key = network_key};
    esgx_net_store st = {.arg = nn, .has = store_has, .put = store_put, .each = store_each};
    rc = esgx_net_start(&nc, &st, &nn->net, err);
    if (rc) {
        free(nn);
        return rc;
    }
    *out = nn;
    return ESGX_OK;
}

void esgx_node_net_attach(node_net *nn, sup *s)
{
    if (nn) atomic_store(&nn->sup, s);
}

int esgx_node_net_publish_token(node_net *nn, const char *token_hex, esgx_err *err)
{
    int rc = esgx_net_token_publish(nn->net, token_hex, err);
    if (rc == ESGX_OK)
        esgx_node_log(NODE_LOG_INFO, "the admin token's token_mac is the network's (pinned in "
                      "DATA_DIR/token_mac)");
    return rc;
}

void esgx_node_net_hooks(node_net *nn, sup_hooks *h)
{
    if (!nn) return;
    h->fetch_content = hook_fetch;
    h->peers = hook_peers;
    h->net_arg = nn;
}

struct esgx_net *esgx_node_net_handle(node_net *nn)
{
    return nn ? nn->net : NULL;
}

int esgx_node_net_wait_peers(node_net *nn, int timeout_ms)
{
    uint64_t end = esgx_monotonic_ms() + (uint64_t)timeout_ms;
    for (;;) {
        char *p = esgx_net_peer_list(nn->net);
        int some = p && p[0];
        free(p);
        if (some) return ESGX_OK;
        if (esgx_monotonic_ms() >= end) return ESGX_NODE_E_TIMEOUT;
        usleep(200000);
    }
}

void esgx_node_net_stop_fetches(node_net *nn)
{
    if (nn) esgx_net_fetch_stop(nn->net);
}

void esgx_node_net_close(node_net *nn)
{
    if (!nn) return;
    esgx_net_stop(nn->net);
    free(nn);
}
