/*
 * attest_nodes_proto.c: the channel messages added by the attestation work
 * (docs/channel.md: 10 ESGX_ATTEST_DOC, 11 ESGX_ATTEST_DOC_REPLY, unsolicited KEY_STATUS id 0):
 * round trips, and the validation rules on both encode and decode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_proto.h"
#include "esgx_test.h"

static const char XPUB[] = "xpub6Am73Kp94XFefFbz3EaLBgMmaXEKhH8TugiWyztpcdaTmewEkPdteiPEmcvpeQoZy"
                           "X7ZQFjMKrbgwyXVE52FCSHfPQRJ67BaBFEccyLWRKr";

static esgx_bytes B(const void *p, size_t n)
{
    esgx_bytes b = {p, n};
    return b;
}

int main(void)
{
    static uint8_t buf[200000];
    static uint8_t quote[ESGX_PROTO_MAX_QUOTE + 1];
    for (size_t i = 0; i < sizeof quote; i++) quote[i] = (uint8_t)(i * 7);
    esgx_err err;
    size_t n;
    esgx_msg m, d;

    /* ESGX_ATTEST_DOC: empty payload. */
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_ATTEST_DOC;
    m.id = 42;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0 && n == 20);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.type == ESGX_MSG_ATTEST_DOC && d.id == 42);
    CHECK(!strcmp(esgx_proto_type_name(ESGX_MSG_ATTEST_DOC), "ATTEST_DOC"));
    buf[0] = 17;   /* a payload byte where none belongs */
    buf[20] = 0;
    CHECK(esgx_proto_decode(buf, 21, &d, &err) == ESGX_PROTO_E_FORMAT);

    /* ESGX_ATTEST_DOC_REPLY with a key and a quote. */
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_ATTEST_DOC_REPLY;
    m.id = 42;
    esgx_msg_attest_doc *a = &m.u.attest_doc;
    a->state = ESGX_STATE_READY;
    a->xpub = B(XPUB, strlen(XPUB));
    a->public_key[0] = 2;
    a->public_key[32] = 9;
    a->quote = B(quote, 4000);
    CHECK(strlen(XPUB) == ESGX_PROTO_XPUB_LEN);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0);
    CHECK(n == esgx_proto_encoded_size(&m));
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0);
    CHECK(d.type == ESGX_MSG_ATTEST_DOC_REPLY && d.u.attest_doc.state == 1);
    CHECK(d.u.attest_doc.xpub.len == 111 && !memcmp(d.u.attest_doc.xpub.ptr, XPUB, 111));
    CHECK(d.u.attest_doc.quote.len == 4000 && !memcmp(d.u.attest_doc.quote.ptr, quote, 4000));
    CHECK(!memcmp(d.u.attest_doc.public_key, a->public_key, 33));
    CHECK(d.u.attest_doc.error.len == 0);
    /* Truncated anywhere: refused. */
    for (size_t cut = 20; cut < n; cut += 397) {
        uint32_t l = (uint32_t)(cut - 4);
        uint8_t save[4];
        memcpy(save, buf, 4);
        buf[0] = (uint8_t)l, buf[1] = (uint8_t)(l >> 8), buf[2] = (uint8_t)(l >> 16), buf[3] = 0;
        CHECK(esgx_proto_decode(buf, cut, &d, &err) != 0);
        memcpy(buf, save, 4);
    }
    /* The largest quote passes, one byte more does not (encode and decode). */
    a->quote = B(quote, ESGX_PROTO_MAX_QUOTE);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0);
    a->quote = B(quote, ESGX_PROTO_MAX_QUOTE + 1);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) != 0);

    /* No key: empty xpub, zero key, no quote, an error text. */
    memset(a, 0, sizeof *a);
    a->state = ESGX_STATE_NO_KEY;
    a->error = B("the enclave has no network key yet", 34);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.u.attest_doc.state == 0 &&
          d.u.attest_doc.error.len == 34);
    a->quote = B(quote, 10);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) != 0);   /* quote without key */
    a->quote = B(NULL, 0);
    a->xpub = B(XPUB, 111);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) != 0);   /* xpub without key */
    a->xpub = B(NULL, 0);
    a->state = 2;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) != 0);   /* bad state */
    a->state = ESGX_STATE_NO_KEY;
    a->error = B("a\0b", 3);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) != 0);   /* NUL in str */

    /* Unsolicited KEY_STATUS (id 0) is an ordinary KEY_STATUS. */
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_KEY_STATUS;
    m.u.key_status.state = ESGX_STATE_READY;
    m.u.key_status.xpub = B(XPUB, 111);
    m.u.key_status.public_key[0] = 3;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.id == 0 && d.type == ESGX_MSG_KEY_STATUS);

    /* Types past the new ones are still unknown. */
    uint8_t h[20] = {16, 0, 0, 0, 1, 16};
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_TYPE);

    return ESGX_TEST_SUMMARY("attest_nodes_proto");
}
