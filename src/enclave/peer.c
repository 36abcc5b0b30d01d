/*
 * peer.c: RA-TLS key sharing between enclaves (peer.h; protocol in docs/protocols.md).
 *
 * One RA-TLS identity per process: a fresh P-256 key and a self-signed certificate whose
 * quote (extension 1.2.840.113741.1.13.1.6) binds the SubjectPublicKeyInfo, made through
 * the platform's quote op. Two SSL_CTXs share it: the server one for --peer-listen, the
 * client one for --peers. Both verify the other side in full (quote, collateral, trusted
 * roots, TCB status, MRENCLAVE allowlist) during the handshake, so a refused peer never
 * completes it and no key byte is ever written to it.
 *
 * Threads:
 *   accept   polls the listening socket (200 ms ticks, to notice stop) and hands each
 *            connection to a detached handler thread; at most max_connections run at
 *            once (more are closed at once), each bounded by timeout_ms.
 *   handler  esgx_attest_ratls_accept, then esgx_attest_keyshare_serve with the xprv if the
 *            enclave has the key (copied from the key store for this one reply and
 *            wiped right after), else NO_KEY. Logs who got the key.
 *   fetch    one round at a time over the peer list (esgx_attest_keyshare_fetch on each
 *            peer in order, fetch_round); each key a peer gives goes to ops.install, which
 *            may refuse it (a pinned network key, --network-key): the round then goes on
 *            with the next peer, so one peer of another network cannot hide the right
 *            ones. Between rounds an interruptible sleep with backoff (doubling, max
 *            30 s); once a key is installed the thread ends.
 * Renewal: the certificate is valid PEER_CERT_DAYS and is made again, with a fresh key
 * and quote, every renew_s seconds (default half its lifetime; ESGX_TEST_RATLS_RENEW_SECONDS
 * shortens it for tests). The accept and fetch threads check between connections /
 * rounds (renew_if_due): one of them builds the new certificate and both contexts
 * outside the lock and swaps them in; a connection takes a reference to the context of
 * the moment (ctx_take), so a swap never frees one in use. The old certificate is kept
 * until the next renewal (its X509 and key are referenced by the old contexts anyway).
 * esgx_peer_stop sets `stopping`, wakes the sleeps, joins accept, gives fetch 2 s (a fetch
 * stuck on an unreachable peer is left to the process exit), and waits for the handlers
 * (their count drops under the lock; each is bounded by timeout_ms). Every deadline is
 * on CLOCK_MONOTONIC (esgx_deadline_after_ms; `cond` is made by esgx_cond_init_monotonic),
 * so a wall-clock step neither cuts a wait short nor stretches it.
 */
#define _GNU_SOURCE
#include "peer.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/ssl.h>

#include "esgx_crypto.h"

#define PEER_DEFAULT_TIMEOUT_MS 10000
#define PEER_DEFAULT_BACKOFF_MS 500
#define PEER_MAX_BACKOFF_MS 30000
#define PEER_DEFAULT_MAX_CONN 32
#define PEER_CERT_DAYS 365
#define PEER_RENEW_S ((int64_t)PEER_CERT_DAYS * 86400 / 2)
#define PEER_RENEW_RETRY_S 60        /* after a failed renewal */
#define PEER_FETCH_JOIN_MS 2000      /* what stop gives the fetch thread and the handlers */

struct peer_service {
    esgx_platform *plat;
    peer_key_ops ops;
    int timeout_ms, backoff_ms, max_conn;
    char *peers;
    esgx_attest_ratls_cert *cert, *old_cert;
    SSL_CTX *server_ctx, *client_ctx;   /* replaced under mu at renewal */
    esgx_attest_ratls_verifier verifier;
    int listening, fetching;
    int64_t renew_s;
    uint64_t renew_at_ms;    /* esgx_monotonic_ms() of the next renewal */
    int renewing;
    unsigned renewals;
    int listen_fd;
    uint16_t port;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stopping;
    int active;              /* handler threads running */
    int have_accept, have_fetch;
    pthread_t accept_thread, fetch_thread;
};

typedef struct conn {
    peer_service *ps;
    int fd;
    char addr[INET6_ADDRSTRLEN + 8];
} conn;

static void plog(peer_service *ps, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void plog(peer_service *ps, int level, const char *fmt, ...)
{
    if (!ps->ops.log) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ps->ops.log(ps->ops.arg, level, msg);
}

static void hex32(const uint8_t in[32], char out[65])
{
    esgx_crypto_hex_encode(in, 32, out);
}

/* Quote source for esgx_attest_ratls_cert_new: the platform's quote op. */
static int plat_quote(const uint8_t report_data[64], uint8_t *quote, size_t cap, size_t *len,
                      void *arg, esgx_err *err)
{
    int rc = esgx_platform_quote(arg, report_data, quote, cap, len, err);
    return rc == 0 ? 0 : ESGX_ATTEST_E_IO;
}

/* Splits "HOST:PORT" / "[V6]:PORT" into host and port (0..65535). Returns 0 or
 * ESGX_PEER_E_ARG (the callers name the option in their message). */
static int split_hostport(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *colon;
    size_t hlen;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':') return ESGX_PEER_E_ARG;
        hlen = (size_t)(end - s - 1);
        s++;
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) return ESGX_PEER_E_ARG;
        hlen = (size_t)(colon - s);
    }
    if (hlen == 0 || hlen >= cap) return ESGX_PEER_E_ARG;
    memcpy(host, s, hlen);
    host[hlen] = 0;
    uint64_t p;
    if (esgx_parse_u64(colon + 1, 0, 65535, 0, &p, NULL)) return ESGX_PEER_E_ARG;
    *port = (uint16_t)p;
    return 0;
}

static int listen_on(peer_service *ps, const char *spec, esgx_err *err)
{
    char host[256], portstr[8];
    uint16_t port;
    if (split_hostport(spec, host, sizeof host, &port))
        return esgx_err_set(err, ESGX_PEER_E_ARG, "--peer-listen %s: expected HOST:PORT", spec);
    snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int g = getaddrinfo(host, portstr, &hints, &res);
    if (g != 0)
        return esgx_err_set(err, ESGX_PEER_E_ARG, "--peer-listen %s: %s", spec, gai_strerror(g));
    int fd = -1, e = 0;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 64) == 0) break;
        e = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return esgx_err_set(err, ESGX_PEER_E_IO, "--peer-listen %s: %s", spec, strerror(e));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        ps->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                  : ((struct sockaddr_in *)&ss)->sin_port);
    ps->listen_fd = fd;
    return 0;
}

static void peer_addr(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
    }
    snprintf(out, cap, "%s:%u", ip, port);
}

/* ---------------------------------------------------------------- certificate */

/* A reference to the current server (client 0) or client (1) context; SSL_CTX_free it. */
static SSL_CTX *ctx_take(peer_service *ps, int client)
{
    pthread_mutex_lock(&ps->mu);
    SSL_CTX *ctx = client ? ps->client_ctx : ps->server_ctx;
    if (ctx && !SSL_CTX_up_ref(ctx)) ctx = NULL;
    pthread_mutex_unlock(&ps->mu);
    return ctx;
}

/* A new certificate and the contexts the service uses (server if listening, client if
 * fetching). Returns 0 or ESGX_PEER_E_ATTEST with err; on error nothing is kept. */
static int make_identity(peer_service *ps, esgx_attest_ratls_cert **cert, SSL_CTX **server,
                         SSL_CTX **client, esgx_err *err)
{
    esgx_err aerr;
    int rc = 0;
    *cert = NULL;
    *server = *client = NULL;
    if (esgx_attest_ratls_cert_new(plat_quote, ps->plat, NULL, (int64_t)time(NULL),
                                   PEER_CERT_DAYS, cert, &aerr) != 0)
        rc = esgx_err_set(err, ESGX_PEER_E_ATTEST, "RA-TLS certificate: %s", aerr.msg);
    if (rc == 0 && ps->listening &&
        esgx_attest_ratls_ctx_new(*cert, &ps->verifier, ESGX_ATTEST_RATLS_SERVER, server,
                                  &aerr) != 0)
        rc = esgx_err_set(err, ESGX_PEER_E_ATTEST, "RA-TLS server context: %s", aerr.msg);
    if (rc == 0 && ps->fetching &&
        esgx_attest_ratls_ctx_new(*cert, &ps->verifier, ESGX_ATTEST_RATLS_CLIENT, client,
                                  &aerr) != 0)
        rc = esgx_err_set(err, ESGX_PEER_E_ATTEST, "RA-TLS client context: %s", aerr.msg);
    if (rc != 0) {
        SSL_CTX_free(*server);
        SSL_CTX_free(*client);
        esgx_attest_ratls_cert_free(*cert);
        *cert = NULL;
        *server = *client = NULL;
    }
    return rc;
}

/* Renews the certificate when its time has come (see the design note). */
static void renew_if_due(peer_service *ps)
{
    pthread_mutex_lock(&ps->mu);
    int due = !ps->renewing && !ps->stopping && esgx_monotonic_ms() >= ps->renew_at_ms;
    if (due) ps->renewing = 1;
    pthread_mutex_unlock(&ps->mu);
    if (!due) return;
    esgx_attest_ratls_cert *cert, *drop = NULL;
    SSL_CTX *server, *client;
    esgx_err err;
    int rc = make_identity(ps, &cert, &server, &client, &err);
    pthread_mutex_lock(&ps->mu);
    if (rc == 0) {
        SSL_CTX *old_s = ps->server_ctx, *old_c = ps->client_ctx;
        ps->server_ctx = server;
        ps->client_ctx = client;
        drop = ps->old_cert;
        ps->old_cert = ps->cert;
        ps->cert = cert;
        server = old_s;            /* freed below, outside the lock */
        client = old_c;
        ps->renewals++;
    }
    ps->renew_at_ms = esgx_monotonic_ms() +
                      (uint64_t)(rc == 0 ? ps->renew_s : PEER_RENEW_RETRY_S) * 1000u;
    unsigned n = ps->renewals;
    ps->renewing = 0;
    pthread_mutex_unlock(&ps->mu);
    if (rc == 0) {
        SSL_CTX_free(server);
        SSL_CTX_free(client);
        esgx_attest_ratls_cert_free(drop);
        plog(ps, PEER_LOG_INFO, "renewed the RA-TLS certificate (renewal %u; next in %lld s)",
             n, (long long)ps->renew_s);
    } else {
        plog(ps, PEER_LOG_WARN, "RA-TLS certificate renewal failed: %s; retrying in %d s",
             err.msg, PEER_RENEW_RETRY_S);
    }
}

/* ---------------------------------------------------------------- serving */

static void *handler_main(void *arg)
{
    conn *c = arg;
    peer_service *ps = c->ps;
    SSL *ssl = NULL;
    esgx_err err;
    SSL_CTX *ctx = ctx_take(ps, 0);
    int rc = esgx_attest_ratls_accept(ctx, c->fd, ps->timeout_ms, &ssl, &err);
    SSL_CTX_free(ctx);
    if (rc != 0) {
        plog(ps, PEER_LOG_WARN, "peer %s refused: %s", c->addr, err.msg);
    } else {
        char xprv[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1];
        memset(xprv, 0, sizeof xprv);
        int have = ps->ops.get_xprv(ps->ops.arg, xprv);
        esgx_attest_result res;
        memset(&res, 0, sizeof res);
        rc = esgx_attest_keyshare_serve(ssl, have ? xprv : NULL, ps->timeout_ms, &res, &err);
        esgx_crypto_wipe(xprv, sizeof xprv);
        char mre[65];
        hex32(res.body.mrenclave, mre);
        if (rc == 0)
            plog(ps, PEER_LOG_INFO, "sent the network key to peer %s (mrenclave %s, tcb %s)",
                 c->addr, mre, res.tcb_status);
        else if (!have)
            plog(ps, PEER_LOG_INFO, "peer %s (mrenclave %s) asked for the key; we have none "
                 "yet (answered NO_KEY)", c->addr, mre);
        else
            plog(ps, PEER_LOG_WARN, "key share with peer %s failed: %s", c->addr, err.msg);
        SSL_free(ssl);
    }
    close(c->fd);
    pthread_mutex_lock(&ps->mu);
    ps->active--;
    pthread_cond_broadcast(&ps->cond);
    pthread_mutex_unlock(&ps->mu);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    peer_service *ps = arg;
    for (;;) {
        pthread_mutex_lock(&ps->mu);
        int stop = ps->stopping;
        pthread_mutex_unlock(&ps->mu);
        if (stop) break;
        renew_if_due(ps);
        struct pollfd pfd = {.fd = ps->listen_fd, .events = POLLIN};
        int n = poll(&pfd, 1, 200);
        if (n <= 0) continue;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(ps->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                struct timespec ts = {0, 100 * 1000000L};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        conn *c = calloc(1, sizeof *c);
        pthread_mutex_lock(&ps->mu);
        int full = ps->active >= ps->max_conn;
        if (!full && c) ps->active++;
        pthread_mutex_unlock(&ps->mu);
        if (full || !c) {
            free(c);
            close(fd);
            plog(ps, PEER_LOG_WARN, "too many peer connections; dropped one");
            continue;
        }
        c->ps = ps;
        c->fd = fd;
        peer_addr(&ss, c->addr, sizeof c->addr);
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, handler_main, c) != 0) {
            close(fd);
            free(c);
            pthread_mutex_lock(&ps->mu);
            ps->active--;
            pthread_cond_broadcast(&ps->cond);
            pthread_mutex_unlock(&ps->mu);
        }
        pthread_attr_destroy(&attr);
    }
    return NULL;
}

/* ---------------------------------------------------------------- fetching */

/* Sleeps ms unless stopping; returns 1 if stopping. */
static int sleep_or_stop(peer_service *ps, int ms)
{
    struct timespec ts = esgx_deadline_after_ms((uint64_t)ms);
    pthread_mutex_lock(&ps->mu);
    while (!ps->stopping)
        if (pthread_cond_timedwait(&ps->cond, &ps->mu, &ts) == ETIMEDOUT) break;
    int stop = ps->stopping;
    pthread_mutex_unlock(&ps->mu);
    return stop;
}

/* One round over the peer list: each peer in order until one gives a key that
 * ops.install accepts. Returns 0 (*from gets that peer's facts, who its address), or the
 * last failure's code with why holding every peer's failure ("peer: reason; ..."). */
static int fetch_round(peer_service *ps, SSL_CTX *ctx, esgx_attest_result *from, char *who,
                       size_t who_cap, char *why, size_t why_cap)
{
    char xprv[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1];
    size_t wl = 0;
    int last = ESGX_PEER_E_ARG;
    why[0] = 0;
    for (const char *p = ps->peers;;) {
        size_t n = strcspn(p, ",");
        char one[300], host[256];   /* check_peers: every entry is shorter, HOST:PORT */
        uint16_t port = 0;
        snprintf(one, sizeof one, "%.*s", (int)n, p);
        esgx_err err;
        int rc = split_hostport(one, host, sizeof host, &port)
                     ? esgx_err_set(&err, ESGX_PEER_E_ARG, "not HOST:PORT")
                     : esgx_attest_keyshare_fetch(ctx, host, port, ps->timeout_ms, xprv, from,
                                                  &err);
        if (rc == 0) {
            rc = ps->ops.install(ps->ops.arg, one, xprv, from, &err);
            if (rc != 0)
                plog(ps, PEER_LOG_WARN, "the key from peer %s was not installed: %s", one,
                     err.msg);
        }
        esgx_crypto_wipe(xprv, sizeof xprv);
        if (rc == 0) {
            snprintf(who, who_cap, "%s", one);
            return 0;
        }
        last = rc;
        if (wl + 1 < why_cap) {
            int k = snprintf(why + wl, why_cap - wl, "%s%s: %s", wl ? "; " : "", one, err.msg);
            wl = k < 0 ? wl : wl + (size_t)k >= why_cap ? why_cap - 1 : wl + (size_t)k;
        }
        pthread_mutex_lock(&ps->mu);
        int stop = ps->stopping;
        pthread_mutex_unlock(&ps->mu);
        if (stop || !p[n]) break;
        p += n + 1;
    }
    return last;
}

static void *fetch_main(void *arg)
{
    peer_service *ps = arg;
    int backoff = ps->backoff_ms;
    unsigned round = 0;
    char xprv[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1];
    for (;;) {
        pthread_mutex_lock(&ps->mu);
        int stop = ps->stopping;
        pthread_mutex_unlock(&ps->mu);
        if (stop) break;
        memset(xprv, 0, sizeof xprv);
        if (ps->ops.get_xprv(ps->ops.arg, xprv)) {   /* got it some other way */
            esgx_crypto_wipe(xprv, sizeof xprv);
            break;
        }
        round++;
        esgx_attest_result from;
        memset(&from, 0, sizeof from);
        renew_if_due(ps);
        SSL_CTX *ctx = ctx_take(ps, 1);
        char who[300], why[1024];
        int rc = fetch_round(ps, ctx, &from, who, sizeof who, why, sizeof why);
        SSL_CTX_free(ctx);
        if (rc == 0) {
            char mre[65];
            hex32(from.body.mrenclave, mre);
            plog(ps, PEER_LOG_INFO, "obtained the network key from a peer at %s (mrenclave %s, "
                 "tcb %s) after %u round(s)", who, mre, from.tcb_status, round);
            break;
        }
        plog(ps, round == 1 ? PEER_LOG_WARN : PEER_LOG_INFO,
             "key fetch round %u failed: %s; retrying in %d ms", round, why, backoff);
        if (sleep_or_stop(ps, backoff)) break;
        backoff = backoff >= PEER_MAX_BACKOFF_MS / 2 ? PEER_MAX_BACKOFF_MS : backoff * 2;
    }
    return NULL;
}

/* Checks a peer list the way esgx_attest_keyshare_fetch_any will parse it. */
static int check_peers(const char *peers, esgx_err *err)
{
    if (!*peers) return esgx_err_set(err, ESGX_PEER_E_ARG, "--peers: empty list");
    for (const char *p = peers;;) {
        size_t n = strcspn(p, ",");
        char one[300], host[256];
        uint16_t port;
        if (n == 0 || n >= sizeof one)
            return esgx_err_set(err, ESGX_PEER_E_ARG, "--peers: bad entry in \"%s\"", peers);
        memcpy(one, p, n);
        one[n] = 0;
        if (split_hostport(one, host, sizeof host, &port) || port == 0)
            return esgx_err_set(err, ESGX_PEER_E_ARG, "--peers: \"%s\" is not HOST:PORT", one);
        if (!p[n]) break;
        p += n + 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- public */

int esgx_peer_start(esgx_platform *plat, const peer_config *cfg, const peer_key_ops *ops,
               peer_service **out, esgx_err *err)
{
    if (!plat || !cfg || !ops || !ops->get_xprv || !ops->install || !out)
        return esgx_err_set(err, ESGX_PEER_E_ARG, "peer_start: bad argument");
    *out = NULL;
    if (cfg->peers && check_peers(cfg->peers, err)) return ESGX_PEER_E_ARG;
    peer_service *ps = calloc(1, sizeof *ps);
    if (!ps) return esgx_err_set(err, ESGX_PEER_E_IO, "out of memory");
    ps->plat = plat;
    ps->ops = *ops;
    ps->listen_fd = -1;
    ps->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : PEER_DEFAULT_TIMEOUT_MS;
    ps->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms : PEER_DEFAULT_BACKOFF_MS;
    ps->max_conn = cfg->max_connections > 0 ? cfg->max_connections : PEER_DEFAULT_MAX_CONN;
    int rc = 0;
    if (pthread_mutex_init(&ps->mu, NULL) != 0) {
        free(ps);
        return esgx_err_set(err, ESGX_PEER_E_IO, "cannot initialise a lock");
    }
    if (esgx_cond_init_monotonic(&ps->cond) != 0) {
        pthread_mutex_destroy(&ps->mu);
        free(ps);
        return esgx_err_set(err, ESGX_PEER_E_IO, "cannot initialise a condition variable");
    }
    if (cfg->peers && !(ps->peers = strdup(cfg->peers)))
        rc = esgx_err_set(err, ESGX_PEER_E_IO, "out of memory");
    ps->verifier = cfg->verifier;
    ps->listening = cfg->listen != NULL;
    ps->fetching = cfg->peers != NULL;
    ps->renew_s = cfg->renew_seconds > 0 ? cfg->renew_seconds : PEER_RENEW_S;
    const char *test_renew = getenv("ESGX_TEST_RATLS_RENEW_SECONDS");
    uint64_t tr;
    if (test_renew && esgx_parse_u64(test_renew, 1, 86400, 0, &tr, NULL) == ESGX_OK)
        ps->renew_s = (int64_t)tr;
    ps->renew_at_ms = esgx_monotonic_ms() + (uint64_t)ps->renew_s * 1000u;
    if (rc == 0)
        rc = make_identity(ps, &ps->cert, &ps->server_ctx, &ps->client_ctx, err);
    if (rc == 0 && cfg->listen) rc = listen_on(ps, cfg->listen, err);
    if (rc == 0 && cfg->listen) {
        if (pthread_create(&ps->accept_thread, NULL, accept_main, ps) != 0)
            rc = esgx_err_set(err, ESGX_PEER_E_IO, "cannot start the peer accept thread");
        else
            ps->have_accept = 1;
    }
    if (rc == 0 && cfg->peers) {
        if (pthread_create(&ps->fetch_thread, NULL, fetch_main, ps) != 0)
            rc = esgx_err_set(err, ESGX_PEER_E_IO, "cannot start the key fetch thread");
        else
            ps->have_fetch = 1;
    }
    if (rc != 0) {
        esgx_peer_stop(ps);
        return rc;
    }
    *out = ps;
    return 0;
}

uint16_t esgx_peer_listen_port(const peer_service *ps)
{
    return ps ? ps->port : 0;
}

void esgx_peer_stop(peer_service *ps)
{
    if (!ps) return;
    pthread_mutex_lock(&ps->mu);
    ps->stopping = 1;
    pthread_cond_broadcast(&ps->cond);
    pthread_mutex_unlock(&ps->mu);
    if (ps->have_accept) pthread_join(ps->accept_thread, NULL);
    if (ps->listen_fd >= 0) close(ps->listen_fd);
    /* The fetch thread may be inside a connection attempt (up to timeout_ms per peer):
     * give it a moment, then leave it (and everything it uses) to the process exit, so
     * that a shutdown is never held up by an unreachable peer. */
    if (ps->have_fetch) {
        if (esgx_thread_join_ms(ps->fetch_thread, PEER_FETCH_JOIN_MS) != 0) return;
    }
    /* Handlers are bounded by timeout_ms; wait a little longer than that. */
    struct timespec ts = esgx_deadline_after_ms((uint64_t)ps->timeout_ms + PEER_FETCH_JOIN_MS);
    pthread_mutex_lock(&ps->mu);
    while (ps->active > 0)
        if (pthread_cond_timedwait(&ps->cond, &ps->mu, &ts) == ETIMEDOUT) break;
    int left = ps->active;
    pthread_mutex_unlock(&ps->mu);
    if (left > 0) return;   /* a handler is stuck: leave its state alive (process exits) */
    SSL_CTX_free(ps->server_ctx);
    SSL_CTX_free(ps->client_ctx);
    esgx_attest_ratls_cert_free(ps->cert);
    esgx_attest_ratls_cert_free(ps->old_cert);
    free(ps->peers);
    pthread_mutex_destroy(&ps->mu);
    pthread_cond_destroy(&ps->cond);
    free(ps);
}
