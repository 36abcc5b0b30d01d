/*
 * peer.h: the enclave's RA-TLS endpoint and key fetching (docs/protocols.md,
 * "Bootstrap"). Both live inside the enclave process; the host only carries bytes.
 *
 *   serve   a thread accepting TCP connections on --peer-listen: each connection gets a
 *           mutual RA-TLS 1.3 handshake (esgx_attest_ratls_accept: the peer's certificate,
 *           quote, TCB status and MRENCLAVE allowlist are checked before any
 *           application byte), then one ESGX-KEYSHARE/1 exchange
 *           (esgx_attest_keyshare_serve) with our xprv when we have the key, NO_KEY otherwise.
 *   fetch   a thread that tries the --peers list (esgx_attest_keyshare_fetch on each
 *           peer in order, one round at a time) with exponential backoff (first delay
 *           backoff_ms, doubling, at most 30 s); each key a peer gives goes to the
 *           caller's install callback, which checks and seals it; a refused key (another
 *           network's, against a pin) does not end the round: the next peer is tried.
 *           Once a key is installed the thread stops.
 *
 * Both use one RA-TLS certificate made at start from the platform's quote op (the
 * certificate's key is fresh per process and never leaves it). SIGPIPE must be ignored
 * by the process. TLS key logging is never enabled (esgx_attest_ratls_ctx_new refuses it).
 */
#ifndef ESGX_PEER_H
#define ESGX_PEER_H

#include <stdint.h>

#include "esgx_attest.h"
#include "esgx_common.h"
#include "platform.h"

/* Error codes (values in esgx_common.h's ESGX_ERRORS; esgx_strerror names them):
 *   ESGX_PEER_E_ARG            bad configuration (address, peer list)
 *   ESGX_PEER_E_ATTEST         cannot make the RA-TLS certificate (no quote)
 *   ESGX_PEER_E_IO             cannot listen / start a thread
 */

/* Log levels given to the log callback (as main.c's). */
enum { PEER_LOG_ERROR = 0, PEER_LOG_WARN = 1, PEER_LOG_INFO = 2, PEER_LOG_DEBUG = 3 };

/* What the peer code needs from the enclave's key store. */
typedef struct peer_key_ops {
    /* Copies the network key's xprv text (111 chars, NUL-terminated) into buf and
     * returns 1 if the enclave has the key, else returns 0. The caller wipes buf. */
    int (*get_xprv)(void *arg, char buf[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1]);
    /* Installs a key fetched from peer ("host:port" as in the list; xprv text, already
     * checked to parse as a private BIP32 key): check it (a pinned network key), seal it
     * and start using it. Returns 0, or a negative code with err filled: the key is
     * dropped and the fetch thread goes on with the next peer of the round. */
    int (*install)(void *arg, const char *peer, const char *xprv,
                   const esgx_attest_result *from, esgx_err *err);
    /* Writes one log line (no newline). May be NULL. */
    void (*log)(void *arg, int level, const char *msg);
    void *arg;
} peer_key_ops;

typedef struct peer_config {
    const char *listen;              /* "HOST:PORT" ("[v6]:PORT"; port 0 = any) or NULL */
    const char *peers;               /* "host:port,host:port,..." or NULL */
    esgx_attest_ratls_verifier verifier;  /* collateral, trusted roots, policy (copied) */
    int timeout_ms;                  /* per connection; 0 = 10000 */
    int backoff_ms;                  /* first retry delay; 0 = 500 */
    int max_connections;             /* concurrent served connections; 0 = 32 */
    int64_t renew_seconds;           /* RA-TLS certificate renewal period; 0 = half its
                                        365-day lifetime. The environment variable
                                        ESGX_TEST_RATLS_RENEW_SECONDS (1..86400, tests
                                        only) overrides it */
} peer_config;

typedef struct peer_service peer_service;

/* Makes the RA-TLS certificate (quotes through esgx_platform_quote on plat, which must
 * outlive the service), builds the server and client TLS contexts, binds the listening
 * socket if cfg->listen is set and starts the serve thread, and starts the fetch thread
 * if cfg->peers is set (the peer list is validated first). ops is copied; ops->arg must
 * outlive the service, and so must the strings of cfg->verifier (the contexts are built
 * again from them when the certificate is renewed, every cfg->renew_seconds). Returns 0, ESGX_PEER_E_ARG, ESGX_PEER_E_ATTEST or ESGX_PEER_E_IO with err. */
ESGX_MUST_CHECK
int esgx_peer_start(esgx_platform *plat, const peer_config *cfg, const peer_key_ops *ops,
               peer_service **out, esgx_err *err);

/* The TCP port the serve thread listens on (0 if it does not listen). */
uint16_t esgx_peer_listen_port(const peer_service *ps);

/* Stops both threads, closes the socket, waits up to timeout_ms + 2 s for open
 * connections, and frees everything. A fetch thread still inside a connection attempt
 * after 2 s, or a stuck connection, is left running and its state is not freed (the
 * caller is about to exit). NULL is allowed. */
void esgx_peer_stop(peer_service *ps);

#endif
