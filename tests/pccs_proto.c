/*
 * pccs_proto.c: the channel messages added for collateral from the host
 * (docs/channel.md: 12 COLLATERAL_REQ, 13 COLLATERAL_REPLY): round trips, and the
 * validation rules on both encode and decode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_proto.h"
#include "esgx_test.h"

static esgx_bytes B(const void *p, size_t n)
{
    esgx_bytes b = {p, n};
    return b;
}

/* Encodes m, then decodes with the length prefix patched to cut the frame at each
 * length below the whole: every cut is refused. */
static void check_truncations(uint8_t *buf, size_t n)
{
    esgx_msg d;
    esgx_err err;
    for (size_t cut = 20; cut < n; cut++) {
        uint32_t l = (uint32_t)(cut - 4);
        uint8_t save[4];
        memcpy(save, buf, 4);
        buf[0] = (uint8_t)l, buf[1] = (uint8_t)(l >> 8), buf[2] = (uint8_t)(l >> 16);
        buf[3] = (uint8_t)(l >> 24);
        CHECK(esgx_proto_decode(buf, cut, &d, &err) != 0, "cut at %zu accepted", cut);
        memcpy(buf, save, 4);
    }
}

int main(void)
{
    static uint8_t buf[(5u << 20)];
    static char coll[ESGX_PROTO_MAX_COLLATERAL + 1];
    memset(coll, 'x', sizeof coll);
    esgx_err err;
    size_t n;
    esgx_msg m, d;

    /* COLLATERAL_REQ round trip. */
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_COLLATERAL_REQ;
    m.id = 7;
    static const uint8_t fmspc[6] = {0x00, 0xa0, 0x67, 0x11, 0x00, 0x00};
    memcpy(m.u.collateral_req.fmspc, fmspc, 6);
    m.u.collateral_req.pce_id[1] = 1;
    m.u.collateral_req.ca = ESGX_PCK_CA_PLATFORM;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0 && n == 20 + 9, "req: %s",
          err.msg);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.type == ESGX_MSG_COLLATERAL_REQ &&
              d.id == 7 && !memcmp(d.u.collateral_req.fmspc, fmspc, 6) &&
              d.u.collateral_req.pce_id[0] == 0 && d.u.collateral_req.pce_id[1] == 1 &&
              d.u.collateral_req.ca == 1, "req decode: %s", err.msg);
    CHECK(!strcmp(esgx_proto_type_name(ESGX_MSG_COLLATERAL_REQ), "COLLATERAL_REQ"), "name");
    check_truncations(buf, n);
    buf[n - 1] = 2;   /* ca out of range */
    CHECK(esgx_proto_decode(buf, n, &d, &err) == ESGX_PROTO_E_FORMAT, "ca 2 decoded");
    m.u.collateral_req.ca = 2;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "ca 2 encoded");
    m.u.collateral_req.ca = 0;
    m.id = 0;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "id 0 encoded");
    m.id = 7;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0, "req");
    memset(buf + 8, 0, 8);  /* id 0 on the wire */
    CHECK(esgx_proto_decode(buf, n, &d, &err) == ESGX_PROTO_E_FORMAT, "id 0 decoded");

    /* COLLATERAL_REPLY OK with JSON. */
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_COLLATERAL_REPLY;
    m.id = 7;
    esgx_msg_collateral_reply *c = &m.u.collateral_reply;
    const char *json = "{\"version\":3}";
    c->status = ESGX_COLLATERAL_OK;
    c->collateral = B(json, strlen(json));
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0, "reply: %s", err.msg);
    CHECK(n == esgx_proto_encoded_size(&m), "size");
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.type == ESGX_MSG_COLLATERAL_REPLY &&
              d.u.collateral_reply.status == 0 &&
              d.u.collateral_reply.collateral.len == strlen(json) &&
              !memcmp(d.u.collateral_reply.collateral.ptr, json, strlen(json)) &&
              d.u.collateral_reply.error.len == 0, "reply decode: %s", err.msg);
    check_truncations(buf, n);
    /* the largest collateral passes, one byte more does not */
    c->collateral = B(coll, ESGX_PROTO_MAX_COLLATERAL);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0 &&
              esgx_proto_decode(buf, n, &d, &err) == 0 &&
              d.u.collateral_reply.collateral.len == ESGX_PROTO_MAX_COLLATERAL, "max: %s",
          err.msg);
    c->collateral = B(coll, ESGX_PROTO_MAX_COLLATERAL + 1);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "max + 1");
    /* OK without collateral, OK with an error text: refused */
    c->collateral = B(NULL, 0);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "ok, empty");
    c->collateral = B(json, strlen(json));
    c->error = B("e", 1);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "ok + error");

    /* ERROR with a reason. */
    c->status = ESGX_COLLATERAL_ERROR;
    c->collateral = B(NULL, 0);
    c->error = B("no PCCS configured", 18);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == 0, "error reply: %s", err.msg);
    CHECK(esgx_proto_decode(buf, n, &d, &err) == 0 && d.u.collateral_reply.status == 1 &&
              d.u.collateral_reply.error.len == 18, "error decode: %s", err.msg);
    buf[20] = 0;  /* status byte flipped to OK: no collateral, an error: refused */
    CHECK(esgx_proto_decode(buf, n, &d, &err) == ESGX_PROTO_E_FORMAT, "flipped status");
    c->error = B(NULL, 0);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "error, no text");
    c->error = B("a\0b", 3);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "NUL in error");
    c->error = B("why", 3);
    c->collateral = B(json, 2);
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "error + json");
    c->collateral = B(NULL, 0);
    c->status = 2;
    CHECK(esgx_proto_encode(&m, buf, sizeof buf, &n, &err) == ESGX_PROTO_E_ARG, "status 2");

    /* Types past the new ones are still unknown. */
    uint8_t h[20] = {16, 0, 0, 0, 1, 16};
    CHECK(esgx_proto_decode(h, 20, &d, &err) == ESGX_PROTO_E_TYPE, "type 16");

    return ESGX_TEST_SUMMARY("pccs_proto");
}
