/*
 * test_ratls_tls.c: RA-TLS and ESGX-KEYSHARE/1 between real processes on 127.0.0.1.
 * Each case forks a server process that listens on a random port, handles one
 * connection and reports over a pipe what it saw (handshake outcome, peer MRENCLAVE,
 * TLS version, bytes of request received, whether the key was sent); the parent is
 * the client. Two sim networks (net1, net2) and two enclave builds (A, C):
 *   (a) A serves, A' (same build) fetches: exact key, both sides verified, TLS 1.3
 *   (b) client with MRENCLAVE C: refused by the server, no key
 *   (c) client quoted by net2's bundle: refused, no key
 *   (d) plain TLS clients (ordinary self-signed cert; no cert; TLS 1.2): refused
 *   (e) servers without a valid quote (net2, build C, plain cert, quote of another
 *       key): the client refuses during the handshake, the request never leaves
 *   (f) TLS version 1.3 on both sides
 *   plus: server without the key (NO_KEY), fetch_any skipping a dead peer.
 */
#include "test_ratls_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static uint8_t MA[32], MC[32];
static rt_net N1, N2;
static char XPRV[ESGX_BIP32_TEXT_LEN + 1];

enum { SRV_RATLS, SRV_RAW };

typedef struct srv_cfg {
    int kind;
    const rt_net *quote_net;     /* RATLS: who signs the server's quote */
    const uint8_t *mrenclave;    /* RATLS: the server's build */
    const rt_net *trust_net;     /* RATLS: what the server trusts */
    const uint8_t *allow;        /* RATLS: allowlist (NULL = any) */
    const char *xprv;            /* RATLS: key to share (NULL = none) */
    X509 *raw_cert;              /* RAW: a plain OpenSSL server with this cert/key */
    EVP_PKEY *raw_key;
} srv_cfg;

typedef struct srv_report {
    int accept_rc;               /* RATLS: esgx_attest_ratls_accept; RAW: 0 or -1 */
    int serve_rc;                /* RATLS: esgx_attest_keyshare_serve */
    int tls_version;
    uint8_t peer_mrenclave[32];
    long request_bytes;          /* bytes of request the server received */
    char msg[ESGX_ERR_MSG_MAX];
} srv_report;

static int listen_any(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 8) ||
        getsockname(fd, (struct sockaddr *)&a, &al)) {
        perror("listen");
        exit(1);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int accept_verify_all(int ok, X509_STORE_CTX *x) { return 1; }

static void server_child(const srv_cfg *c, int lfd, int wfd)
{
    srv_report r;
    memset(&r, 0, sizeof r);
    alarm(60);
    int fd = accept(lfd, NULL, NULL);
    if (c->kind == SRV_RATLS) {
        esgx_attest_ratls_cert *cert = rt_identity(c->quote_net, c->mrenclave, NULL);
        esgx_attest_ratls_verifier v;
        rt_verifier(&v, c->trust_net, c->allow);
        SSL_CTX *ctx = NULL;
        SSL *ssl = NULL;
        esgx_err e = {0};
        r.accept_rc = esgx_attest_ratls_ctx_new(cert, &v, ESGX_ATTEST_RATLS_SERVER, &ctx, &e);
        if (!r.accept_rc)
            r.accept_rc = esgx_attest_ratls_accept(ctx, fd, 20000, &ssl, &e);
        if (r.accept_rc == 0) {
            r.tls_version = SSL_version(ssl);
            esgx_attest_result res;
            r.serve_rc = esgx_attest_keyshare_serve(ssl, c->xprv, 20000, &res, &e);
            memcpy(r.peer_mrenclave, res.body.mrenclave, 32);
            r.request_bytes = 20;   /* serve only returns after reading the request */
            if (r.serve_rc == ESGX_ATTEST_E_IO)
                r.request_bytes = 0;
        }   /* a failed handshake: no TLS session, so no request can have arrived */
        snprintf(r.msg, sizeof r.msg, "%s", e.msg);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        esgx_attest_ratls_cert_free(cert);
    } else {
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
        SSL_CTX_use_certificate(ctx, c->raw_cert);
        SSL_CTX_use_PrivateKey(ctx, c->raw_key);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_verify_all);
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        r.accept_rc = SSL_accept(ssl) == 1 ? 0 : -1;
        if (r.accept_rc == 0) {
            r.tls_version = SSL_version(ssl);
            uint8_t b[64];
            size_t got = 0;
            long total = 0;
            while (SSL_read_ex(ssl, b, sizeof b, &got) == 1)
                total += (long)got;
            r.request_bytes = total;
        }
        unsigned long e = ERR_peek_last_error();
        snprintf(r.msg, sizeof r.msg, "%s", e ? ERR_reason_error_string(e) : "");
        SSL_free(ssl);
        SSL_CTX_free(ctx);
    }
    if (write(wfd, &r, sizeof r) != (ssize_t)sizeof r)
        _exit(2);
    close(fd);
    _exit(0);
}

typedef struct srv {
    pid_t pid;
    int rfd;
    uint16_t port;
} srv;

static srv spawn(const srv_cfg *c)
{
    srv s;
    int lfd = listen_any(&s.port);
    int p[2];
    if (pipe(p)) {
        perror("pipe");
        exit(1);
    }
    fflush(NULL);
    s.pid = fork();
    if (s.pid == 0) {
        close(p[0]);
        server_child(c, lfd, p[1]);
    }
    close(p[1]);
    close(lfd);
    s.rfd = p[0];
    return s;
}

static int finish(srv *s, srv_report *r)
{
    memset(r, 0, sizeof *r);
    ssize_t n = read(s->rfd, r, sizeof *r);
    close(s->rfd);
    int st = 0;
    waitpid(s->pid, &st, 0);
    return n == (ssize_t)sizeof *r && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static SSL_CTX *client_ctx(const rt_net *quote_net, const uint8_t *mrenclave,
                           const rt_net *trust_net, const uint8_t *allow,
                           esgx_attest_ratls_cert **cert)
{
    *cert = rt_identity(quote_net, mrenclave, NULL);
    esgx_attest_ratls_verifier v;
    rt_verifier(&v, trust_net, allow);
    SSL_CTX *ctx = NULL;
    esgx_err e;
    if (esgx_attest_ratls_ctx_new(*cert, &v, ESGX_ATTEST_RATLS_CLIENT, &ctx, &e)) {
        fprintf(stderr, "client ctx: %s\n", e.msg);
        exit(1);
    }
    CHECK(SSL_CTX_get_keylog_callback(ctx) == NULL, "key logging enabled");
    return ctx;
}

static int all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Connects with esgx_attest_ratls_connect (checking TLS 1.3 and the verified peer), sends
 * req (20 bytes) and reads the 4-byte reply header into hdr. 0 or -1. */
static int raw_request(SSL_CTX *ctx, uint16_t port, const char *req, uint8_t hdr[4])
{
    SSL *ssl = NULL;
    int fd = -1;
    esgx_err e;
    esgx_attest_result peer;
    memset(hdr, 0, 4);
    int rc = esgx_attest_ratls_connect(ctx, "127.0.0.1", port, 20000, &ssl, &fd, &e);
    CHECK(rc == 0 && SSL_version(ssl) == TLS1_3_VERSION, "(f) client TLS version: %s", e.msg);
    CHECK(rc == 0 && esgx_attest_ratls_peer(ssl, &peer, &e) == 0 &&
              !memcmp(peer.body.mrenclave, MA, 32) && !strcmp(peer.tcb_status, "UpToDate"),
          "(f) peer: %s", e.msg);
    if (rc)
        return -1;
    size_t w, got = 0;
    if (SSL_write_ex(ssl, req, 20, &w) != 1)
        rc = -1;
    for (int i = 0; !rc && i < 5000 && got < 4; i++) {   /* non-blocking socket */
        size_t k = 0;
        if (SSL_read_ex(ssl, hdr + got, 4 - got, &k) == 1)
            got += k;
        else
            usleep(1000);
    }
    SSL_free(ssl);
    close(fd);
    return !rc && got == 4 ? 0 : -1;
}

/* (a) + (f): the normal case */
static void test_share(void)
{
    srv_cfg c = {.kind = SRV_RATLS, .quote_net = &N1, .mrenclave = MA, .trust_net = &N1,
                 .allow = MA, .xprv = XPRV};
    srv s = spawn(&c);
    esgx_attest_ratls_cert *cert;
    SSL_CTX *ctx = client_ctx(&N1, MA, &N1, MA, &cert);
    char out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1];
    esgx_attest_result peer;
    esgx_err e;
    int rc = esgx_attest_keyshare_fetch(ctx, "127.0.0.1", s.port, 20000, out, &peer, &e);
    srv_report r;
    CHECK(finish(&s, &r) == 0, "(a) server process failed");
    CHECK(rc == 0, "(a) fetch: %s", e.msg);
    CHECK(rc == 0 && !strcmp(out, XPRV), "(a) key differs");
    CHECK(peer.verified && !memcmp(peer.body.mrenclave, MA, 32), "(a) server not verified");
    CHECK(r.accept_rc == 0 && r.serve_rc == 0, "(a) server: accept %d serve %d: %s",
          r.accept_rc, r.serve_rc, r.msg);
    CHECK(!memcmp(r.peer_mrenclave, MA, 32), "(a) server did not verify the client");
    CHECK(r.tls_version == TLS1_3_VERSION, "(f) server TLS version %x", r.tls_version);

    /* (f) on the client side, through esgx_attest_ratls_connect; this server has no key */
    c.xprv = NULL;
    s = spawn(&c);
    uint8_t hdr[4];
    CHECK(raw_request(ctx, s.port, "ESGX-KEYSHARE/1 GET\n", hdr) == 0 && hdr[0] == 1 &&
              hdr[1] == ESGX_ATTEST_KS_NO_KEY, "(no key) reply %u %u", hdr[0], hdr[1]);
    CHECK(finish(&s, &r) == 0 && r.serve_rc == ESGX_ATTEST_E_ARG, "(no key) server %d: %s",
          r.serve_rc, r.msg);
    /* a verified peer sending something else gets BAD_REQUEST and no key */
    c.xprv = XPRV;
    s = spawn(&c);
    CHECK(raw_request(ctx, s.port, "ESGX-KEYSHARE/2 GET\n", hdr) == 0 && hdr[0] == 1 &&
              hdr[1] == ESGX_ATTEST_KS_BAD_REQUEST, "(bad request) reply %u %u", hdr[0], hdr[1]);
    CHECK(finish(&s, &r) == 0 && r.serve_rc == ESGX_ATTEST_E_FORMAT, "(bad request) server %d: %s",
          r.serve_rc, r.msg);
    c.xprv = NULL;
    /* no key, through esgx_attest_keyshare_fetch */
    s = spawn(&c);
    rc = esgx_attest_keyshare_fetch(ctx, "127.0.0.1", s.port, 20000, out, NULL, &e);
    CHECK(rc == ESGX_ATTEST_E_IO && strstr(e.msg, "status 3") && all_zero(out, sizeof out),
          "(no key) fetch %d: %s", rc, e.msg);
    finish(&s, &r);
    SSL_CTX_free(ctx);
    esgx_attest_ratls_cert_free(cert);
}

/* (b), (c): RA-TLS clients the server must refuse */
static void test_refused_client(const char *what, const rt_net *qnet, const uint8_t *mr,
                                const char *server_msg)
{
    srv_cfg c = {.kind = SRV_RATLS, .quote_net = &N1, .mrenclave = MA, .trust_net = &N1,
                 .allow = MA, .xprv = XPRV};
    srv s = spawn(&c);
    esgx_attest_ratls_cert *cert;
    SSL_CTX *ctx = client_ctx(qnet, mr, &N1, MA, &cert);
    char out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1];
    esgx_err e;
    int rc = esgx_attest_keyshare_fetch(ctx, "127.0.0.1", s.port, 20000, out, NULL, &e);
    srv_report r;
    CHECK(finish(&s, &r) == 0, "%s: server process failed", what);
    CHECK(rc != 0 && all_zero(out, sizeof out), "%s: client got a key", what);
    CHECK(r.accept_rc != 0 && r.serve_rc == 0, "%s: server accepted the client", what);
    CHECK(strstr(r.msg, server_msg), "%s: server reason \"%s\"", what, r.msg);
    fprintf(stderr, "%s: client: %s | server: %s\n", what, e.msg, r.msg);
    SSL_CTX_free(ctx);
    esgx_attest_ratls_cert_free(cert);
}

/* (d): plain TLS clients: refused, no key byte received */
static void test_plain_client(const char *what, int with_cert, int tls12)
{
    srv_cfg c = {.kind = SRV_RATLS, .quote_net = &N1, .mrenclave = MA, .trust_net = &N1,
                 .allow = MA, .xprv = XPRV};
    srv s = spawn(&c);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    EVP_PKEY *k = NULL;
    X509 *x = NULL;
    if (with_cert) {
        x = rt_plain_cert(&k, NULL, 0);
        SSL_CTX_use_certificate(ctx, x);
        SSL_CTX_use_PrivateKey(ctx, k);
    }
    if (tls12)
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(s.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "%s: connect", what);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    long key_bytes = 0;
    if (SSL_connect(ssl) == 1) {
        size_t w, got;
        uint8_t b[256];
        SSL_write_ex(ssl, "ESGX-KEYSHARE/1 GET\n", 20, &w);
        while (SSL_read_ex(ssl, b, sizeof b, &got) == 1)
            key_bytes += (long)got;
    }
    ERR_clear_error();
    srv_report r;
    CHECK(finish(&s, &r) == 0, "%s: server process failed", what);
    CHECK(key_bytes == 0, "%s: client received %ld bytes", what, key_bytes);
    CHECK(r.accept_rc != 0, "%s: server accepted", what);
    fprintf(stderr, "%s: server: %s\n", what, r.msg);
    if (with_cert && !tls12)
        CHECK(!strcmp(r.msg, "peer certificate carries no SGX quote"), "%s: reason %s", what,
              r.msg);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* (e): servers the client must refuse before sending anything */
static void check_refused_server(const char *what, const srv_cfg *c, const char *client_msg)
{
    srv s = spawn(c);
    esgx_attest_ratls_cert *cert;
    SSL_CTX *ctx = client_ctx(&N1, MA, &N1, MA, &cert);
    char out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1];
    esgx_err e;
    int rc = esgx_attest_keyshare_fetch(ctx, "127.0.0.1", s.port, 20000, out, NULL, &e);
    srv_report r;
    CHECK(finish(&s, &r) == 0, "%s: server process failed", what);
    CHECK(rc != 0 && all_zero(out, sizeof out), "%s: client accepted the server", what);
    CHECK(strstr(e.msg, client_msg), "%s: client reason \"%s\"", what, e.msg);
    /* the client aborted the handshake: the server never completed it, so no request */
    CHECK(r.accept_rc != 0 && r.request_bytes == 0 && r.serve_rc == 0,
          "%s: server handshake %d, %ld request bytes", what, r.accept_rc, r.request_bytes);
    fprintf(stderr, "%s: client: %s\n", what, e.msg);
    SSL_CTX_free(ctx);
    esgx_attest_ratls_cert_free(cert);
}

static void test_refused_servers(void)
{
    /* quote from the other network; the server itself would accept the client */
    srv_cfg c = {.kind = SRV_RATLS, .quote_net = &N2, .mrenclave = MA, .trust_net = &N1,
                 .allow = MA, .xprv = XPRV};
    check_refused_server("(e) net2 server", &c, "peer quote");
    /* another enclave build */
    c.quote_net = &N1;
    c.mrenclave = MC;
    check_refused_server("(e) build C server", &c, "MRENCLAVE");
    /* plain certificate */
    srv_cfg p = {.kind = SRV_RAW};
    p.raw_cert = rt_plain_cert(&p.raw_key, NULL, 0);
    check_refused_server("(e) plain server", &p, "carries no SGX quote");
    X509_free(p.raw_cert);
    EVP_PKEY_free(p.raw_key);
    /* a valid quote of an A enclave, but in a certificate with another key */
    esgx_attest_ratls_cert *a = rt_identity(&N1, MA, NULL);
    size_t dl, ql;
    const uint8_t *der = esgx_attest_ratls_cert_der(a, &dl), *q;
    esgx_err e;
    CHECK(esgx_attest_ratls_cert_quote(der, dl, &q, &ql, &e) == 0, "cert_quote: %s", e.msg);
    p.raw_cert = rt_plain_cert(&p.raw_key, q, ql);
    check_refused_server("(e) stolen-quote server", &p, "does not bind");
    X509_free(p.raw_cert);
    EVP_PKEY_free(p.raw_key);
    esgx_attest_ratls_cert_free(a);
}

static void test_fetch_any(void)
{
    /* a port with nobody listening */
    uint16_t dead;
    int dfd = listen_any(&dead);
    close(dfd);
    srv_cfg c = {.kind = SRV_RATLS, .quote_net = &N1, .mrenclave = MA, .trust_net = &N1,
                 .allow = MA, .xprv = XPRV};
    srv s = spawn(&c);
    esgx_attest_ratls_cert *cert;
    SSL_CTX *ctx = client_ctx(&N1, MA, &N1, MA, &cert);
    char peers[128], out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1];
    snprintf(peers, sizeof peers, "127.0.0.1:%u, localhost:%u", dead, s.port);
    esgx_err e;
    int rc = esgx_attest_keyshare_fetch_any(ctx, peers, 20000, 3, 50, out, NULL, &e);
    srv_report r;
    finish(&s, &r);
    CHECK(rc == 0 && !strcmp(out, XPRV), "fetch_any: %s", e.msg);
    /* nobody anywhere: gives up after max_rounds with the last error */
    snprintf(peers, sizeof peers, "127.0.0.1:%u", dead);
    rc = esgx_attest_keyshare_fetch_any(ctx, peers, 2000, 2, 50, out, NULL, &e);
    CHECK(rc == ESGX_ATTEST_E_IO && strstr(e.msg, "refused") && all_zero(out, sizeof out),
          "fetch_any dead: %d %s", rc, e.msg);
    SSL_CTX_free(ctx);
    esgx_attest_ratls_cert_free(cert);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char tmpl[] = "/tmp/esgx-ratls-tls-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 1;
    }
    rt_net_init(&N1, tmpl, "net1");
    rt_net_init(&N2, tmpl, "net2");
    rt_measure("enclave build A", MA);
    rt_measure("enclave build C", MC);
    rt_xprv(XPRV, 7);
    test_share();
    test_refused_client("(b) build C client", &N1, MC, "MRENCLAVE");
    test_refused_client("(c) net2 client", &N2, MA, "peer quote");
    test_plain_client("(d) plain-cert client", 1, 0);
    test_plain_client("(d) no-cert client", 0, 0);
    test_plain_client("(d) TLS 1.2 client", 1, 1);
    test_refused_servers();
    test_fetch_any();
    esgx_attest_sim_free(N1.b);
    esgx_attest_sim_free(N2.b);
    rt_rmtree(tmpl);
    return ESGX_TEST_SUMMARY("ratls_tls");
}
