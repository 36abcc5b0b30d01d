/*
 * ratls_bench.c: handshake cost of RA-TLS against plain mutual TLS 1.3 on loopback
 * (driven by bench/ratls_bench.sh; never run by ctest).
 *
 *   ratls_bench [N]
 *
 * Makes a sim bundle in a temporary directory, then for each mode runs N connections
 * between this process (client) and a forked server process, both with blocking
 * sockets and the same code path: TCP connect, TLS 1.3 handshake, one byte each way
 * (so the server has finished verifying the client before the clock stops). Modes:
 *   plain  ordinary self-signed P-256 certs, each side checks the peer's signature
 *          and pins the peer certificate
 *   ratls  esgx_attest_ratls_ctx_new contexts: each side verifies the peer's quote with
 *          the sim collateral (full DCAP verification + policy)
 * Also times esgx_attest_ratls_cert_new and esgx_attest_ratls_verify_cert alone. Prints medians.
 */
#include "esgx_attest.h"
#include "esgx_crypto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

__attribute__((noreturn)) static void die(const char *what, const esgx_err *e)
{
    fprintf(stderr, "ratls_bench: %s: %s\n", what, e ? e->msg : "failed");
    exit(1);
}

/* ---- plain certificates: the verify callback checks the self-signature and pins the
 * expected peer certificate (arg) */

static int pin_verify(X509_STORE_CTX *xs, void *arg)
{
    X509 *leaf = X509_STORE_CTX_get0_cert(xs);
    return leaf && X509_verify(leaf, X509_get0_pubkey(leaf)) == 1 && !X509_cmp(leaf, arg);
}

static X509 *plain_cert(EVP_PKEY **key)
{
    *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const uint8_t *)"plain", -1, -1, 0);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_set_version(x, 2);
    X509_set_subject_name(x, nm);
    X509_set_issuer_name(x, nm);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, *key);
    X509_sign(x, *key, EVP_sha256());
    X509_NAME_free(nm);
    return x;
}

static SSL_CTX *plain_ctx(int server, X509 *x, EVP_PKEY *k, X509 *pin)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_use_certificate(ctx, x);
    SSL_CTX_use_PrivateKey(ctx, k);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    SSL_CTX_set_cert_verify_callback(ctx, pin_verify, pin);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    return ctx;
}

/* ---- one run: fork a server that handles n connections on ctx_s */

static void nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static double run(SSL_CTX *ctx_c, SSL_CTX *ctx_s, int n, int check_ratls, double *samples)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 16) ||
        getsockname(lfd, (struct sockaddr *)&a, &al))
        die("listen", NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < n; i++) {
            int fd = accept(lfd, NULL, NULL);
            nodelay(fd);
            SSL *ssl = SSL_new(ctx_s);
            SSL_set_fd(ssl, fd);
            uint8_t b;
            size_t k;
            if (SSL_accept(ssl) != 1 || (check_ratls && esgx_attest_ratls_peer(ssl, NULL, NULL)) ||
                SSL_read_ex(ssl, &b, 1, &k) != 1 || SSL_write_ex(ssl, &b, 1, &k) != 1)
                _exit(3);
            SSL_free(ssl);
            close(fd);
        }
        _exit(0);
    }
    close(lfd);
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        nodelay(fd);
        if (connect(fd, (struct sockaddr *)&a, sizeof a))
            die("connect", NULL);
        SSL *ssl = SSL_new(ctx_c);
        SSL_set_fd(ssl, fd);
        uint8_t b = 1;
        size_t k;
        if (SSL_connect(ssl) != 1 || (check_ratls && esgx_attest_ratls_peer(ssl, NULL, NULL)) ||
            SSL_write_ex(ssl, &b, 1, &k) != 1 || SSL_read_ex(ssl, &b, 1, &k) != 1)
            die("handshake", NULL);
        samples[i] = now_us() - t0;
        SSL_free(ssl);
        close(fd);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        die("server process", NULL);
    return median(samples, n);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    if (n < 1)
        n = 1;
    signal(SIGPIPE, SIG_IGN);
    char tmpl[] = "/tmp/esgx-ratls-bench-XXXXXX";
    if (!mkdtemp(tmpl))
        die("mkdtemp", NULL);
    char dir[64];
    snprintf(dir, sizeof dir, "%s/net", tmpl);
    esgx_err e;
    esgx_attest_sim_bundle *b = NULL;
    if (esgx_attest_sim_init(dir, (int64_t)time(NULL), &e) || esgx_attest_sim_load(dir, &b, &e))
        die("sim bundle", &e);
    esgx_attest_ratls_sim_source src = {.bundle = b};
    esgx_crypto_sha256("bench enclave", 13, src.body.mrenclave);
    src.body.attributes[0] = ESGX_ATTEST_ATTR_INIT | ESGX_ATTEST_ATTR_MODE64BIT;
    double *s = malloc(sizeof(double) * (size_t)(n > 50 ? n : 50));

    /* certificate creation and verification alone */
    esgx_attest_ratls_cert *cs = NULL, *cc = NULL;
    for (int i = 0; i < 20; i++) {
        double t0 = now_us();
        esgx_attest_ratls_cert *c;
        if (esgx_attest_ratls_cert_new(esgx_attest_ratls_sim_get_quote, &src, NULL, (int64_t)time(NULL),
                                  1, &c, &e))
            die("cert_new", &e);
        s[i] = now_us() - t0;
        if (!cs)
            cs = c;
        else if (!cc)
            cc = c;
        else
            esgx_attest_ratls_cert_free(c);
    }
    double t_new = median(s, 20);
    esgx_attest_ratls_verifier v = {0};
    v.collateral = esgx_attest_sim_collateral(b, &v.collateral_len);
    v.trusted_roots_pem = esgx_attest_sim_root(b);
    esgx_attest_policy_default(&v.policy);
    memcpy(v.policy.mrenclave[0], src.body.mrenclave, 32);
    v.policy.mrenclave_count = 1;
    size_t dl;
    const uint8_t *der = esgx_attest_ratls_cert_der(cs, &dl);
    for (int i = 0; i < 50; i++) {
        double t0 = now_us();
        if (esgx_attest_ratls_verify_cert(der, dl, &v, NULL, NULL, &e))
            die("verify_cert", &e);
        s[i] = now_us() - t0;
    }
    double t_ver = median(s, 50);

    /* plain mutual TLS 1.3 */
    EVP_PKEY *ks, *kc;
    X509 *xs = plain_cert(&ks), *xc = plain_cert(&kc);
    SSL_CTX *ps = plain_ctx(1, xs, ks, xc), *pc = plain_ctx(0, xc, kc, xs);
    double t_plain = run(pc, ps, n, 0, s);

    /* RA-TLS */
    SSL_CTX *rs = NULL, *rc = NULL;
    if (esgx_attest_ratls_ctx_new(cs, &v, ESGX_ATTEST_RATLS_SERVER, &rs, &e) ||
        esgx_attest_ratls_ctx_new(cc, &v, ESGX_ATTEST_RATLS_CLIENT, &rc, &e))
        die("ratls ctx", &e);
    double t_ratls = run(rc, rs, n, 1, s);

    printf("ratls_bench: %d handshakes per mode on 127.0.0.1 (connect + TLS 1.3 mutual "
           "handshake + 1-byte round trip), medians:\n", n);
    printf("  plain mutual TLS 1.3 (self-signed P-256, pinned) %8.1f us\n", t_plain);
    printf("  RA-TLS (both sides verify sim quotes)            %8.1f us\n", t_ratls);
    printf("  added by RA-TLS                                  %8.1f us (x%.1f)\n",
           t_ratls - t_plain, t_ratls / t_plain);
    printf("  attest_ratls_verify_cert alone                   %8.1f us\n", t_ver);
    printf("  attest_ratls_cert_new (key + sim quote + cert)   %8.1f us\n", t_new);
    SSL_CTX_free(ps);
    SSL_CTX_free(pc);
    SSL_CTX_free(rs);
    SSL_CTX_free(rc);
    X509_free(xs);
    X509_free(xc);
    EVP_PKEY_free(ks);
    EVP_PKEY_free(kc);
    esgx_attest_ratls_cert_free(cs);
    esgx_attest_ratls_cert_free(cc);
    esgx_attest_sim_free(b);
    free(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    return system(cmd) == 0 ? 0 : 1;
}
