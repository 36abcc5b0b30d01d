/*
 * node_config.h: esgxd's settings, filled once by main.c from the command line and read
 * by every object of the node host, and the error codes those objects return.
 *
 * esgxd's files, each with its own header (docs/architecture.md, "The node host"):
 *   main.c                flags (table-driven), data-dir bootstrap (--init, admin
 *                         token); builds the objects in order, frees them in reverse
 *   node_log.c            esgxd's own log lines on stderr (node_log.h)
 *   content.c             content store: DIR/content/<blake3 hex> (content.h)
 *   registry.c            function registry: SQLite, or etcd in a network (registry.h)
 *   supervisor.c          the esgx-enclave child, its channel, restarts (supervisor.h)
 *   metrics.c             counters and the Prometheus text of /metrics (metrics.h)
 *   http_server.c         libmicrohttpd routes of docs/http-api.md (http_server.h)
 *   http_request.c        request checks without sockets (http_request.h; fuzz_http.c)
 *   guest_logs.c          the guests' debug output per function, long polls (guest_logs.h)
 *   collateral_service.c  --pccs: COLLATERAL_REQ answers, /attestation collateral
 *                         (collateral_service.h)
 *   collateral_pccs.c     the PCCS client and collateral cache (collateral_pccs.h)
 *   node_net.c            joining a network with --etcd (node_net.h)
 *   network.c, replicate.c, etcd.c, http_client.c   the network (network.h, etcd.h,
 *                         http_client.h; docs/network.md)
 *
 * State lives in these objects, passed down explicitly; the only process-wide state is
 * the log level (esgx_node_log_set_level; logging goes to the one stderr anyway).
 *
 * Error codes (values in esgx_common.h's ESGX_ERRORS; esgx_strerror names them):
 *   ESGX_NODE_E_ARG            bad argument
 *   ESGX_NODE_E_IO             file system error (or a thread / process could not start)
 *   ESGX_NODE_E_NOTFOUND       no such content / function
 *   ESGX_NODE_E_DB             SQLite error
 *   ESGX_NODE_E_DOWN           enclave not running
 *   ESGX_NODE_E_NOMEM          out of memory
 *   ESGX_NODE_E_TIMEOUT        the enclave did not answer in time
 *   ESGX_NODE_E_FATAL          the enclave refused its configuration
 * and, from the network's files, the codes network.h and etcd.h name.
 */
#ifndef ESGX_NODE_CONFIG_H
#define ESGX_NODE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

/* An address block of --trusted-proxy: family AF_INET or AF_INET6, addr in network
 * order (4 or 16 bytes), bits the prefix length. */
#define ESGX_TRUSTED_PROXY_MAX 16
typedef struct esgx_cidr {
    int family;
    unsigned char addr[16];
    unsigned bits;
} esgx_cidr;

typedef struct node_config {
    const char *data_dir;
    const char *listen_host;       /* "127.0.0.1" */
    unsigned listen_port;
    const char *enclave_path;      /* resolved absolute path of esgx-enclave */
    int init;                      /* --init given */
    unsigned workers;
    unsigned http_threads;
    uint64_t max_content;
    uint64_t max_input;
    uint64_t max_output;
    uint64_t fuel;
    unsigned memory_pages;
    unsigned compile_threads;   /* 0 = one per CPU */
    int tier;                      /* ESGX_TIER_* asked for: --tier, else ESGX_WASM_TIER;
                                      passed to the enclave as --tier unless
                                      ESGX_TIER_UNKNOWN (then the enclave picks). The
                                      tier functions run on is what the enclave reports
                                      (sup_info.tier) */
    /* bounded work (docs/operations.md, "Bounded work") */
    unsigned max_queue;            /* --max-queue N: waiting beyond the workers (64) */
    unsigned queue_timeout;        /* --queue-timeout SECS (30; 0 = none) */
    unsigned max_exec_time;        /* --max-exec-time SECS (60; 0 = none) */
    int debug;
    int log_level;                 /* NODE_LOG_* */
    /* attestation and key sharing, passed through to the enclave (docs/channel.md) */
    const char *sim_bundle;        /* --sim-bundle DIR (its collateral.json is served) */
    const char *peer_listen;       /* --peer-listen HOST:PORT */
    const char *peers;             /* --peers host:port,... */
    const char *network_key;       /* --network-key XPUB|HEX: the only key to join with */
    const char *collateral;        /* --collateral FILE (gramine-sgx; also served) */
    const char *pccs_url;          /* --pccs URL (collateral fetched and cached) */
    int pccs_insecure;             /* --pccs-insecure */
    const char *pccs_ca;           /* --pccs-ca FILE (PEM CAs for the PCCS's TLS) */
    unsigned pccs_refresh;         /* --pccs-refresh SECONDS (default 3600) */
    const char *sim_root;          /* --sim-root PEM */
    const char *accept_status;     /* --accept-status LIST */
    const char *trust_mrenclave[16]; /* --trust-mrenclave HEX (repeatable) */
    unsigned n_trust;
    /* the network (docs/network.md); etcd NULL = a node alone */
    const char *etcd;              /* --etcd URL[,URL...] */
    const char *etcd_prefix;       /* --etcd-prefix (default "/esgx/") */
    const char *advertise;         /* --advertise URL (how others reach this node) */
    const char *node_id;           /* --node-id, else DATA_DIR/node.id */
    unsigned replicas;             /* --replicas N (default 2) */
    const char *ipfs_gateway;      /* --ipfs-gateway URL */
    int allow_private_origins;     /* --allow-private-origins (origins may be loopback,
                                      private or link-local addresses) */
    unsigned fetch_timeout;        /* --fetch-timeout SECS (default 10) */
    /* HTTP limits against one client exhausting the node (0: the HTTP_DEFAULT_*) */
    uint64_t max_buffered;         /* --max-buffered BYTES of bodies across connections */
    uint64_t max_buffered_per_ip;  /* --max-buffered-per-ip BYTES of one client's bodies
                                      (0: max(--max-buffered / 8, the largest body a
                                      route takes), never past --max-buffered) */
    uint64_t min_body_rate;        /* --min-body-rate BYTES/s over every 5 s of a body
                                      (0: no minimum; main.c's default is 1K) */
    unsigned max_conns_per_ip;     /* --ip-connections N */
    /* --trusted-proxy CIDR[,CIDR...] (repeatable): peers whose X-Forwarded-For names the
     * client (the per-address limits count that client, http_server.c) */
    esgx_cidr trusted_proxy[ESGX_TRUSTED_PROXY_MAX];
    unsigned n_trusted_proxy;
    unsigned request_timeout;      /* --read-timeout SECS, request line to body's end */
    /* HTTPS on the API port (docs/operations.md); both or neither */
    const char *tls_cert;          /* --tls-cert FILE (PEM, chain allowed) */
    const char *tls_key;           /* --tls-key FILE (PEM, unencrypted) */
    /* the web console (docs/console.md) and the metrics history */
    int no_console;                /* --no-console (also set when built without it) */
    unsigned metrics_interval_ms;  /* GET /metrics/history's sampling interval (0: 5 s;
                                      tests shorten it: ESGX_METRICS_INTERVAL_MS) */
} node_config;

#define HTTP_DEFAULT_MAX_BUFFERED (256ull << 20)
#define HTTP_DEFAULT_PER_IP 64u
#define HTTP_DEFAULT_REQUEST_TIMEOUT 30u
#define HTTP_DEFAULT_MIN_BODY_RATE 1024u   /* bytes/s; set by esgxd's option parsing */

#endif
