/*
 * keyshare.c: ESGX-KEYSHARE/1, the network key handed from an enclave that has it to
 * a new node's enclave, inside an RA-TLS connection (docs/protocols.md).
 *
 *   client -> server   "ESGX-KEYSHARE/1 GET\n"                       (20 bytes)
 *   server -> client   version 0x01, status, length (u16 BE), payload
 *                      status 0 OK: payload = the 111-character xprv
 *                      status 1 REFUSED / 2 BAD_REQUEST / 3 NO_KEY: ASCII reason
 *   server closes (close_notify).
 *
 * Both sides already verified each other's quote during the handshake (ratls.c);
 * the server checks esgx_attest_ratls_peer once more before the key moves, so a
 * context without peer verification can never leak it. The reply buffer and the
 * parsed key are wiped on every path.
 */
#include "esgx_attest.h"
#include "esgx_crypto.h"
#include "ratls_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

_Static_assert(ESGX_ATTEST_KEYSHARE_XPRV_LEN == ESGX_BIP32_TEXT_LEN, "xprv length");

static const char REQUEST[] = "ESGX-KEYSHARE/1 GET\n";
#define REQUEST_LEN (sizeof REQUEST - 1)
#define KS_VERSION 1
#define MAX_PAYLOAD 1024

static int send_reply(SSL *ssl, int status, const void *payload, size_t len,
                      int64_t deadline, esgx_err *err)
{
    uint8_t buf[4 + MAX_PAYLOAD];
    if (len > MAX_PAYLOAD)
        len = MAX_PAYLOAD;
    buf[0] = KS_VERSION;
    buf[1] = (uint8_t)status;
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    memcpy(buf + 4, payload, len);
    int rc = esgx_ratls_write_full(ssl, buf, 4 + len, deadline, "keyshare reply", err);
    esgx_crypto_wipe(buf, sizeof buf);
    return rc;
}

int esgx_attest_keyshare_serve(SSL *ssl, const char *xprv, int timeout_ms, esgx_attest_result *res,
                          esgx_err *err)
{
    if (!ssl || timeout_ms <= 0)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "keyshare serve: bad argument");
    int64_t deadline = esgx_ratls_deadline(timeout_ms);
    esgx_err perr;
    int prc = esgx_attest_ratls_peer(ssl, res, &perr);
    if (prc) {
        /* unreachable through esgx_attest_ratls_accept, kept as the last line of defence */
        send_reply(ssl, ESGX_ATTEST_KS_REFUSED, "peer not verified", 17, deadline, NULL);
        esgx_ratls_close(ssl);
        if (err)
            *err = perr;
        esgx_err_prefix(err, "keyshare refused");
        return ESGX_ATTEST_E_POLICY;
    }
    char req[REQUEST_LEN];
    int rc = esgx_ratls_read_full(ssl, req, REQUEST_LEN, NULL, deadline, "keyshare request", err);
    if (rc)
        return rc;
    if (memcmp(req, REQUEST, REQUEST_LEN)) {
        send_reply(ssl, ESGX_ATTEST_KS_BAD_REQUEST, "expected ESGX-KEYSHARE/1 GET", 28, deadline,
                   NULL);
        esgx_ratls_close(ssl);
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT, "keyshare: bad request");
    }
    if (!xprv || strnlen(xprv, ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1) != ESGX_ATTEST_KEYSHARE_XPRV_LEN) {
        send_reply(ssl, ESGX_ATTEST_KS_NO_KEY, "no key yet", 10, deadline, NULL);
        esgx_ratls_close(ssl);
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "keyshare: this node has no key to share");
    }
    rc = send_reply(ssl, ESGX_ATTEST_KS_OK, xprv, ESGX_ATTEST_KEYSHARE_XPRV_LEN, deadline, err);
    esgx_ratls_close(ssl);
    return rc;
}

/* Reads the reply; on OK leaves the key text in xprv_out (checked). */
static int read_reply(SSL *ssl, int64_t deadline, char *xprv_out, esgx_err *err)
{
    uint8_t hdr[4];
    char payload[MAX_PAYLOAD + 1];
    int rc = esgx_ratls_read_full(ssl, hdr, 4, NULL, deadline, "keyshare reply", err);
    if (rc)
        return rc;
    size_t len = (size_t)hdr[2] << 8 | hdr[3];
    if (hdr[0] != KS_VERSION)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT, "keyshare reply: version %u", hdr[0]);
    if (len > MAX_PAYLOAD)
        return esgx_err_set(err, ESGX_ATTEST_E_FORMAT, "keyshare reply: length %zu", len);
    rc = esgx_ratls_read_full(ssl, payload, len, NULL, deadline, "keyshare reply", err);
    if (rc)
        goto out;
    payload[len] = 0;
    if (hdr[1] != ESGX_ATTEST_KS_OK) {
        for (size_t i = 0; i < len; i++)
            if (payload[i] < 0x20 || payload[i] > 0x7e)
                payload[i] = '?';
        rc = esgx_err_set(err, hdr[1] == ESGX_ATTEST_KS_NO_KEY ? ESGX_ATTEST_E_IO : ESGX_ATTEST_E_POLICY,
                          "keyshare: server answered status %u: %.100s", hdr[1], payload);
        goto out;
    }
    if (len != ESGX_ATTEST_KEYSHARE_XPRV_LEN) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_FORMAT, "keyshare reply: key of %zu bytes", len);
        goto out;
    }
    esgx_bip32_key key = {0};
    esgx_err kerr;
    if (esgx_bip32_key_parse(payload, len, &key, &kerr) || !key.has_private) {
        rc = esgx_err_set(err, ESGX_ATTEST_E_FORMAT, "keyshare reply: not an extended private key");
    } else {
        memcpy(xprv_out, payload, len);
        xprv_out[len] = 0;
    }
    esgx_bip32_key_wipe(&key);
out:
    esgx_crypto_wipe(payload, sizeof payload);
    return rc;
}

int esgx_attest_keyshare_fetch(SSL_CTX *ctx, const char *host, uint16_t port, int timeout_ms,
                          char xprv_out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1], esgx_attest_result *peer,
                          esgx_err *err)
{
    if (!xprv_out)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "keyshare fetch: NULL output");
    memset(xprv_out, 0, ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1);
    if (peer)
        memset(peer, 0, sizeof *peer);
    if (timeout_ms <= 0)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "keyshare fetch: bad timeout");
    int64_t deadline = esgx_ratls_deadline(timeout_ms);
    SSL *ssl = NULL;
    int fd = -1;
    int rc = esgx_attest_ratls_connect(ctx, host, port, timeout_ms, &ssl, &fd, err);
    if (rc)
        return rc;
    /* connect returned 0, so the server verified; its facts are there to copy */
    if (peer)
        rc = esgx_attest_ratls_peer(ssl, peer, err);
    if (!rc)
        rc = esgx_ratls_write_full(ssl, REQUEST, REQUEST_LEN, deadline, "keyshare request", err);
    if (!rc)
        rc = read_reply(ssl, deadline, xprv_out, err);
    if (rc)
        esgx_crypto_wipe(xprv_out, ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1);
    esgx_ratls_close(ssl);
    SSL_free(ssl);
    close(fd);
    return rc;
}

/* One "host:port" or "[v6]:port" of a list: host into h (cap hcap), port. Returns 0 or
 * ESGX_ATTEST_E_ARG (the caller names the entry). */
static int parse_peer(const char *s, size_t n, char *h, size_t hcap, uint16_t *port)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    const char *colon = NULL;
    const char *hs = s;
    size_t hl;
    if (n && *s == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb || rb + 1 >= s + n || rb[1] != ':')
            return ESGX_ATTEST_E_ARG;
        hs = s + 1;
        hl = (size_t)(rb - hs);
        colon = rb + 1;
    } else {
        for (size_t i = 0; i < n; i++)
            if (s[i] == ':')
                colon = s + i;
        if (!colon)
            return ESGX_ATTEST_E_ARG;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hcap)
        return ESGX_ATTEST_E_ARG;
    size_t pl = (size_t)(s + n - colon - 1);
    unsigned long v = 0;
    if (pl == 0 || pl > 5)
        return ESGX_ATTEST_E_ARG;
    for (size_t i = 0; i < pl; i++) {
        char c = colon[1 + i];
        if (c < '0' || c > '9')
            return ESGX_ATTEST_E_ARG;
        v = v * 10 + (unsigned long)(c - '0');
    }
    if (v == 0 || v > 65535)
        return ESGX_ATTEST_E_ARG;
    memcpy(h, hs, hl);
    h[hl] = 0;
    *port = (uint16_t)v;
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

int esgx_attest_keyshare_fetch_any(SSL_CTX *ctx, const char *peers, int timeout_ms,
                              int max_rounds, int backoff_ms,
                              char xprv_out[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1],
                              esgx_attest_result *peer, esgx_err *err)
{
    if (!ctx || !peers || !xprv_out || max_rounds < 0)
        return esgx_err_set(err, ESGX_ATTEST_E_ARG, "keyshare peers: bad argument");
    memset(xprv_out, 0, ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1);
    char host[256];
    uint16_t port;
    for (const char *p = peers;;) {   /* validate the whole list first */
        size_t n = strcspn(p, ",");
        if (parse_peer(p, n, host, sizeof host, &port))
            return esgx_err_set(err, ESGX_ATTEST_E_ARG, "keyshare peers: bad entry \"%.*s\"",
                                (int)(n > 80 ? 80 : n), p);
        if (!p[n])
            break;
        p += n + 1;
    }
    if (backoff_ms <= 0)
        backoff_ms = 500;
    int rc = ESGX_ATTEST_E_IO;
    for (int round = 0; max_rounds == 0 || round < max_rounds; round++) {
        if (round) {
            sleep_ms(backoff_ms);
            backoff_ms = backoff_ms > 15000 ? 30000 : backoff_ms * 2;
        }
        for (const char *p = peers;;) {
            size_t n = strcspn(p, ",");
            (void)parse_peer(p, n, host, sizeof host, &port); /* the list was checked above */
            rc = esgx_attest_keyshare_fetch(ctx, host, port, timeout_ms, xprv_out, peer, err);
            if (rc == 0)
                return 0;
            esgx_err_prefix(err, "%s:%u", host, (unsigned)port);
            if (!p[n])
                break;
            p += n + 1;
        }
    }
    return rc;
}
