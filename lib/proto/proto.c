/*
 * proto.c: the enclave channel codec (see esgx_proto.h and docs/channel.md).
 *
 * Design: one encoder routine (enc_msg) walks a message field by field and feeds an
 * `enc` sink that runs in one of three modes: COUNT (size only), BUF (copy into the
 * caller's buffer) and IOV (small fields are copied into a fixed scratch area, big
 * byte strings become their own iovec pointing at the caller's memory, so sending a
 * 16 MiB module costs no copy). Because the same routine validates in every mode,
 * encode and decode accept exactly the same language. The decoder is a bounds-checked
 * cursor over the frame; esgx_bytes results are views into the frame.
 *
 * The reader keeps one growing heap buffer per fd: it reads in 64 KiB chunks, so a
 * burst of pipelined small frames costs one read(2), and a large frame is read in
 * place once its length prefix has been checked against ESGX_PROTO_MAX_FRAME.
 */
#include "esgx_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "esgx_crypto.h"

#define TREE_BLOCK (256u * 1024u)
#define IOV_THRESHOLD 1024u        /* byte strings at least this long are sent by ref */
#define SCRATCH_LEN (16u * 1024u)  /* bound on the small fields of any message */
#define MAX_IOV 16
#define READ_CHUNK (64u * 1024u)

/* ---------------------------------------------------------------- helpers */

const char *esgx_proto_type_name(int type)
{
    switch (type) {
    case ESGX_MSG_HELLO: return "HELLO";
    case ESGX_MSG_INIT_KEY: return "INIT_KEY";
    case ESGX_MSG_KEY_STATUS: return "KEY_STATUS";
    case ESGX_MSG_EXEC: return "EXEC";
    case ESGX_MSG_NEED_CONTENT: return "NEED_CONTENT";
    case ESGX_MSG_RESULT: return "RESULT";
    case ESGX_MSG_STATS: return "STATS";
    case ESGX_MSG_STATS_REPLY: return "STATS_REPLY";
    case ESGX_MSG_SHUTDOWN: return "SHUTDOWN";
    case ESGX_MSG_ATTEST_DOC: return "ATTEST_DOC";
    case ESGX_MSG_ATTEST_DOC_REPLY: return "ATTEST_DOC_REPLY";
    case ESGX_MSG_COLLATERAL_REQ: return "COLLATERAL_REQ";
    case ESGX_MSG_COLLATERAL_REPLY: return "COLLATERAL_REPLY";
    case ESGX_MSG_MAC_REQ: return "MAC_REQ";
    case ESGX_MSG_MAC_REPLY: return "MAC_REPLY";
    default: return "UNKNOWN";
    }
}

size_t esgx_proto_tree_len(uint64_t output_len)
{
    uint64_t blocks = (output_len + TREE_BLOCK - 1) / TREE_BLOCK;
    if (blocks == 0) blocks = 1;
    return (size_t)(32 * (2 * blocks - 1));
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

/* ---------------------------------------------------------------- validation */

/* Checks a str field: length limit and no NUL byte. */
static int check_str(const esgx_bytes *b, size_t min, size_t max, const char *name,
                     int code, esgx_err *err)
{
    if (b->len && !b->ptr) return esgx_err_set(err, ESGX_PROTO_E_ARG, "%s: NULL with length", name);
    if (b->len < min || b->len > max)
        return esgx_err_set(err, code, "%s: length %zu outside %zu..%zu", name, b->len, min,
                            max);
    if (b->len && memchr(b->ptr, 0, b->len))
        return esgx_err_set(err, code, "%s: contains a NUL byte", name);
    return ESGX_OK;
}

static int check_bytes(const esgx_bytes *b, const char *name, esgx_err *err)
{
    if (b->len && !b->ptr) return esgx_err_set(err, ESGX_PROTO_E_ARG, "%s: NULL with length", name);
    if (b->len > ESGX_PROTO_MAX_FRAME)
        return esgx_err_set(err, ESGX_PROTO_E_LENGTH, "%s: %zu bytes exceed the frame limit", name,
                            b->len);
    return ESGX_OK;
}

/* Key fields shared by HELLO and KEY_STATUS. */
static int check_key(uint8_t state, const esgx_bytes *xpub, const uint8_t pub[33], int code,
                     esgx_err *err)
{
    if (state != ESGX_STATE_NO_KEY && state != ESGX_STATE_READY)
        return esgx_err_set(err, code, "state %u is not 0 or 1", state);
    if (state == ESGX_STATE_READY) {
        int rc = check_str(xpub, ESGX_PROTO_XPUB_LEN, ESGX_PROTO_XPUB_LEN, "xpub", code, err);
        if (rc) return rc;
        if (all_zero(pub, 33))
            return esgx_err_set(err, code, "state ready with an all-zero public_key");
    } else {
        if (xpub->len) return esgx_err_set(err, code, "state no-key with a non-empty xpub");
        if (!all_zero(pub, 33))
            return esgx_err_set(err, code, "state no-key with a non-zero public_key");
    }
    return ESGX_OK;
}

/* Validates the semantic rules of a message; code is ESGX_PROTO_E_ARG when encoding and
 * ESGX_PROTO_E_FORMAT when decoding. */
static int check_msg(const esgx_msg *m, int code, esgx_err *err)
{
    int rc;
    switch (m->type) {
    case ESGX_MSG_HELLO: {
        const esgx_msg_hello *h = &m->u.hello;
        if ((rc = check_str(&h->platform, 1, ESGX_PROTO_MAX_PLATFORM, "platform", code, err)))
            return rc;
        if (h->tier > ESGX_TIER_JIT)
            return esgx_err_set(err, code, "tier %u is not 0, 1 or 2", h->tier);
        return check_key(h->state, &h->xpub, h->public_key, code, err);
    }
    case ESGX_MSG_KEY_STATUS: {
        const esgx_msg_key_status *k = &m->u.key_status;
        if ((rc = check_key(k->state, &k->xpub, k->public_key, code, err))) return rc;
        return check_str(&k->error, 0, ESGX_PROTO_MAX_MESSAGE, "error", code, err);
    }
    case ESGX_MSG_EXEC: {
        const esgx_msg_exec *x = &m->u.exec;
        if (x->decrypt > 1) return esgx_err_set(err, code, "decrypt %u is not 0 or 1", x->decrypt);
        if ((rc = check_str(&x->function, 1, ESGX_PROTO_MAX_FUNCTION, "function", code, err)))
            return rc;
        if ((rc = check_bytes(&x->input, "input", err))) return rc;
        if (x->has_content > 1)
            return esgx_err_set(err, code, "has_content %u is not 0 or 1", x->has_content);
        if (x->capture_logs > 1 || x->sealed > 1 || x->has_record > 1)
            return esgx_err_set(err, code, "capture_logs, sealed and has_record must be 0 or 1");
        if (x->has_record) {
            if ((rc = check_str(&x->record_name, 1, 64, "record_name", code, err))) return rc;
            if (x->record_seq < 1) return esgx_err_set(err, code, "record_seq must be >= 1");
        }
        if (x->has_content) return check_bytes(&x->content, "content", err);
        if (x->content.len)
            return esgx_err_set(err, code, "content given with has_content = 0");
        return ESGX_OK;
    }
    case ESGX_MSG_RESULT: {
        const esgx_msg_result *r = &m->u.result;
        if (r->status > ESGX_RESULT_INTERNAL)
            return esgx_err_set(err, code, "result status %u out of range", r->status);
        if ((rc = check_str(&r->code, r->status == ESGX_RESULT_OK ? 0 : 1, ESGX_PROTO_MAX_CODE,
                            "code", code, err)))
            return rc;
        if ((rc = check_str(&r->message, 0, ESGX_PROTO_MAX_MESSAGE, "message", code, err)))
            return rc;
        if ((rc = check_bytes(&r->logs, "logs", err))) return rc;
        if (r->logs.len > ESGX_PROTO_MAX_LOGS)
            return esgx_err_set(err, code, "logs of %zu bytes over %u", r->logs.len,
                                ESGX_PROTO_MAX_LOGS);
        if (r->status != ESGX_RESULT_OK) return ESGX_OK;
        if ((rc = check_bytes(&r->output, "output", err))) return rc;
        if ((rc = check_bytes(&r->tree, "tree", err))) return rc;
        if (r->tree.len != esgx_proto_tree_len(r->output.len))
            return esgx_err_set(err, code, "tree has %zu bytes, output of %zu bytes needs %zu",
                                r->tree.len, r->output.len, esgx_proto_tree_len(r->output.len));
        return ESGX_OK;
    }
    case ESGX_MSG_ATTEST_DOC_REPLY: {
        const esgx_msg_attest_doc *a = &m->u.attest_doc;
        if ((rc = check_key(a->state, &a->xpub, a->public_key, code, err))) return rc;
        if (a->quote.len > ESGX_PROTO_MAX_QUOTE)
            return esgx_err_set(err, code, "quote of %zu bytes over %u", a->quote.len,
                                ESGX_PROTO_MAX_QUOTE);
        if ((rc = check_bytes(&a->quote, "quote", err))) return rc;
        if (a->state == ESGX_STATE_NO_KEY && a->quote.len)
            return esgx_err_set(err, code, "state no-key with a quote");
        return check_str(&a->error, 0, ESGX_PROTO_MAX_MESSAGE, "error", code, err);
    }
    case ESGX_MSG_COLLATERAL_REQ:
        if (m->u.collateral_req.ca > ESGX_PCK_CA_PLATFORM)
            return esgx_err_set(err, code, "ca %u is not 0 or 1", m->u.collateral_req.ca);
        if (m->id == 0) return esgx_err_set(err, code, "COLLATERAL_REQ with id 0");
        return ESGX_OK;
    case ESGX_MSG_COLLATERAL_REPLY: {
        const esgx_msg_collateral_reply *c = &m->u.collateral_reply;
        if (c->status > ESGX_COLLATERAL_ERROR)
            return esgx_err_set(err, code, "collateral status %u is not 0 or 1", c->status);
        if (c->collateral.len > ESGX_PROTO_MAX_COLLATERAL)
            return esgx_err_set(err, code, "collateral of %zu bytes over %u",
                                c->collateral.len, ESGX_PROTO_MAX_COLLATERAL);
        if ((rc = check_bytes(&c->collateral, "collateral", err))) return rc;
        int ok = c->status == ESGX_COLLATERAL_OK;
        if (ok != (c->collateral.len > 0))
            return esgx_err_set(err, code, "collateral %s with status %s",
                                ok ? "missing" : "given", ok ? "ok" : "error");
        return check_str(&c->error, ok ? 0 : 1, ok ? 0 : ESGX_PROTO_MAX_MESSAGE, "error", code,
                         err);
    }
    case ESGX_MSG_MAC_REQ:
        if (m->u.mac_req.kind < ESGX_MAC_TOKEN || m->u.mac_req.kind > ESGX_MAC_HELD)
            return esgx_err_set(err, code, "MAC kind %u is not 1, 2 or 3", m->u.mac_req.kind);
        return ESGX_OK;
    case ESGX_MSG_MAC_REPLY: {
        const esgx_msg_mac_reply *r = &m->u.mac_reply;
        if (r->state > ESGX_STATE_READY)
            return esgx_err_set(err, code, "MAC state %u is not 0 or 1", r->state);
        static const uint8_t zero[32];
        if (r->state == ESGX_STATE_NO_KEY && memcmp(r->mac, zero, 32))
            return esgx_err_set(err, code, "MAC given with state no-key");
        return ESGX_OK;
    }
    case ESGX_MSG_INIT_KEY:
    case ESGX_MSG_NEED_CONTENT:
    case ESGX_MSG_STATS:
    case ESGX_MSG_STATS_REPLY:
    case ESGX_MSG_SHUTDOWN:
    case ESGX_MSG_ATTEST_DOC:
        return ESGX_OK;
    default:
        return esgx_err_set(err, ESGX_PROTO_E_TYPE, "unknown message type %u", m->type);
    }
}

/* ---------------------------------------------------------------- encoder */

enum { ENC_COUNT, ENC_BUF, ENC_IOV };

typedef struct enc {
    int mode;
    size_t len;                  /* bytes emitted so far (all modes) */
    uint8_t *buf;                /* ENC_BUF: destination (capacity checked beforehand) */
    uint8_t *scratch;            /* ENC_IOV */
    size_t scratch_len;
    size_t seg_start;            /* start of the open scratch segment */
    struct iovec iov[MAX_IOV];
    int niov;
} enc;

static void enc_close_seg(enc *e)
{
    if (e->scratch_len > e->seg_start) {
        e->iov[e->niov].iov_base = e->scratch + e->seg_start;
        e->iov[e->niov].iov_len = e->scratch_len - e->seg_start;
        e->niov++;
        e->seg_start = e->scratch_len;
    }
}

static void enc_put(enc *e, const void *p, size_t n)
{
    if (n == 0) return;
    if (e->mode == ENC_BUF) {
        memcpy(e->buf + e->len, p, n);
    } else if (e->mode == ENC_IOV) {
        if (n >= IOV_THRESHOLD) {
            enc_close_seg(e);
            e->iov[e->niov].iov_base = (void *)p;
            e->iov[e->niov].iov_len = n;
            e->niov++;
        } else {
            memcpy(e->scratch + e->scratch_len, p, n);
            e->scratch_len += n;
        }
    }
    e->len += n;
}

static void enc_int(enc *e, uint64_t v, int n)
{
    uint8_t b[8];
    put_le(b, v, n);
    enc_put(e, b, (size_t)n);
}

static void enc_bytes(enc *e, const esgx_bytes *b)
{
    enc_int(e, b->len, 4);
    enc_put(e, b->ptr, b->len);
}

/* Emits the whole frame; total is the frame size (for the prefix; 0 in COUNT mode). */
static void enc_frame(enc *e, const esgx_msg *m, size_t total)
{
    enc_int(e, total ? total - ESGX_PROTO_PREFIX_LEN : 0, 4);
    enc_int(e, ESGX_PROTO_VERSION, 1);
    enc_int(e, m->type, 1);
    enc_int(e, 0, 2);
    enc_int(e, m->id, 8);
    enc_int(e, 0, 4);
    switch (m->type) {
    case ESGX_MSG_HELLO: {
        const esgx_msg_hello *h = &m->u.hello;
        enc_int(e, h->state, 1);
        enc_bytes(e, &h->platform);
        enc_put(e, h->mrenclave, 32);
        enc_put(e, h->mrsigner, 32);
        enc_bytes(e, &h->xpub);
        enc_put(e, h->public_key, 33);
        if (h->tier) enc_int(e, h->tier, 1);   /* optional, trailing */
        break;
    }
    case ESGX_MSG_KEY_STATUS: {
        const esgx_msg_key_status *k = &m->u.key_status;
        enc_int(e, k->state, 1);
        enc_bytes(e, &k->xpub);
        enc_put(e, k->public_key, 33);
        enc_bytes(e, &k->error);
        break;
    }
    case ESGX_MSG_EXEC: {
        const esgx_msg_exec *x = &m->u.exec;
        enc_put(e, x->module_hash, 32);
        enc_int(e, x->decrypt, 1);
        enc_int(e, x->fuel, 8);
        enc_bytes(e, &x->function);
        enc_bytes(e, &x->input);
        enc_int(e, x->has_content, 1);
        if (x->has_content) enc_bytes(e, &x->content);
        uint8_t opts = (uint8_t)((x->capture_logs ? ESGX_EXEC_OPT_LOGS : 0) |
                                 (x->sealed ? ESGX_EXEC_OPT_SEALED : 0) |
                                 (x->has_record ? ESGX_EXEC_OPT_RECORD : 0));
        if (opts) enc_int(e, opts, 1);   /* optional, trailing */
        if (x->has_record) {
            enc_bytes(e, &x->record_name);
            enc_put(e, x->record_owner, 33);
            enc_int(e, x->record_seq, 8);
            enc_put(e, x->record_network, 33);
            enc_put(e, x->record_signature, 65);
        }
        break;
    }
    case ESGX_MSG_NEED_CONTENT:
        enc_put(e, m->u.need_content.module_hash, 32);
        break;
    case ESGX_MSG_RESULT: {
        const esgx_msg_result *r = &m->u.result;
        enc_int(e, r->status, 1);
        enc_bytes(e, &r->code);
        enc_bytes(e, &r->message);
        enc_int(e, r->fuel_used, 8);
        if (r->status == ESGX_RESULT_OK) {
            enc_put(e, r->input_hash, 32);
            enc_put(e, r->output_hash, 32);
            enc_put(e, r->signature, 65);
            enc_bytes(e, &r->tree);
            enc_bytes(e, &r->output);
        }
        if (r->logs.len) enc_bytes(e, &r->logs);   /* optional, trailing */
        break;
    }
    case ESGX_MSG_STATS_REPLY: {
        const esgx_msg_stats_reply *s = &m->u.stats;
        enc_int(e, s->executions, 8);
        enc_int(e, s->traps, 8);
        enc_int(e, s->cache_entries, 8);
        enc_int(e, s->cache_hits, 8);
        enc_int(e, s->cache_misses, 8);
        if (s->jit_refused) enc_int(e, s->jit_refused, 8);   /* optional, trailing */
        break;
    }
    case ESGX_MSG_ATTEST_DOC_REPLY: {
        const esgx_msg_attest_doc *a = &m->u.attest_doc;
        enc_int(e, a->state, 1);
        enc_bytes(e, &a->xpub);
        enc_put(e, a->public_key, 33);
        enc_bytes(e, &a->quote);
        enc_bytes(e, &a->error);
        break;
    }
    case ESGX_MSG_COLLATERAL_REQ:
        enc_put(e, m->u.collateral_req.fmspc, 6);
        enc_put(e, m->u.collateral_req.pce_id, 2);
        enc_int(e, m->u.collateral_req.ca, 1);
        break;
    case ESGX_MSG_COLLATERAL_REPLY:
        enc_int(e, m->u.collateral_reply.status, 1);
        enc_bytes(e, &m->u.collateral_reply.collateral);
        enc_bytes(e, &m->u.collateral_reply.error);
        break;
    case ESGX_MSG_MAC_REQ:
        enc_int(e, m->u.mac_req.kind, 1);
        enc_put(e, m->u.mac_req.data, 32);
        break;
    case ESGX_MSG_MAC_REPLY:
        enc_int(e, m->u.mac_reply.state, 1);
        enc_put(e, m->u.mac_reply.mac, 32);
        break;
    default: /* INIT_KEY, STATS, SHUTDOWN, ESGX_ATTEST_DOC: empty payload */
        break;
    }
}

/* Validates and sizes msg; returns 0 with *total set, or an error. */
static int enc_size(const esgx_msg *msg, size_t *total, esgx_err *err)
{
    if (!msg) return esgx_err_set(err, ESGX_PROTO_E_ARG, "NULL message");
    int rc = check_msg(msg, ESGX_PROTO_E_ARG, err);
    if (rc) return rc;
    enc e = {.mode = ENC_COUNT};
    enc_frame(&e, msg, 0);
    if (e.len - ESGX_PROTO_PREFIX_LEN > ESGX_PROTO_MAX_FRAME)
        return esgx_err_set(err, ESGX_PROTO_E_LENGTH, "%s frame of %zu bytes exceeds the limit",
                            esgx_proto_type_name(msg->type), e.len);
    *total = e.len;
    return ESGX_OK;
}

size_t esgx_proto_encoded_size(const esgx_msg *msg)
{
    size_t total = 0;
    if (enc_size(msg, &total, NULL)) return 0;
    return total;
}

int esgx_proto_encode(const esgx_msg *msg, uint8_t *buf, size_t cap, size_t *out_len,
                      esgx_err *err)
{
    size_t total = 0;   /* set by enc_size on success */
    int rc = enc_size(msg, &total, err);
    if (rc) return rc;
    if (!buf || cap < total)
        return esgx_err_set(err, ESGX_PROTO_E_BUFFER, "%s frame needs %zu bytes, room for %zu",
                            esgx_proto_type_name(msg->type), total, cap);
    enc e = {.mode = ENC_BUF, .buf = buf};
    enc_frame(&e, msg, total);
    if (out_len) *out_len = total;
    return ESGX_OK;
}

/* ---------------------------------------------------------------- decoder */

typedef struct dec {
    const uint8_t *p;
    size_t left;
    const char *field;           /* for error messages */
} dec;

static int dec_need(dec *d, size_t n, const char *field, esgx_err *err)
{
    if (d->left < n)
        return esgx_err_set(err, ESGX_PROTO_E_SHORT, "%s: needs %zu bytes, %zu left in the frame",
                            field, n, d->left);
    return ESGX_OK;
}

static int dec_int(dec *d, int n, uint64_t *v, const char *field, esgx_err *err)
{
    int rc = dec_need(d, (size_t)n, field, err);
    if (rc) return rc;
    *v = get_le(d->p, n);
    d->p += n;
    d->left -= (size_t)n;
    return ESGX_OK;
}

static int dec_u8(dec *d, uint8_t *v, const char *field, esgx_err *err)
{
    uint64_t x = 0;
    int rc = dec_int(d, 1, &x, field, err);
    *v = (uint8_t)x;
    return rc;
}

static int dec_fixed(dec *d, uint8_t *out, size_t n, const char *field, esgx_err *err)
{
    int rc = dec_need(d, n, field, err);
    if (rc) return rc;
    memcpy(out, d->p, n);
    d->p += n;
    d->left -= n;
    return ESGX_OK;
}

static int dec_bytes(dec *d, esgx_bytes *b, const char *field, esgx_err *err)
{
    uint64_t n;
    int rc = dec_int(d, 4, &n, field, err);
    if (rc) return rc;
    if ((rc = dec_need(d, (size_t)n, field, err))) return rc;
    b->ptr = n ? d->p : NULL;
    b->len = (size_t)n;
    d->p += n;
    d->left -= (size_t)n;
    return ESGX_OK;
}

int esgx_proto_frame_len(const uint8_t prefix[ESGX_PROTO_PREFIX_LEN], size_t *frame_len,
                         esgx_err *err)
{
    uint64_t l = get_le(prefix, 4);
    if (l < ESGX_PROTO_MIN_FRAME || l > ESGX_PROTO_MAX_FRAME)
        return esgx_err_set(err, ESGX_PROTO_E_LENGTH, "frame length %llu outside %u..%u",
                            (unsigned long long)l, ESGX_PROTO_MIN_FRAME, ESGX_PROTO_MAX_FRAME);
    *frame_len = (size_t)l + ESGX_PROTO_PREFIX_LEN;
    return ESGX_OK;
}

/* The optional trailing options byte of EXEC (non-zero, known bits only) and, with
 * ESGX_EXEC_OPT_RECORD, the record fields after it. */
static int dec_exec_options(dec *d, esgx_msg_exec *x, esgx_err *err)
{
    uint8_t opts;
    int rc = dec_u8(d, &opts, "options", err);
    if (rc) return rc;
    if (!opts || (opts & ~(ESGX_EXEC_OPT_LOGS | ESGX_EXEC_OPT_SEALED | ESGX_EXEC_OPT_RECORD)))
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT,
                            "EXEC options present with value %u (must be non-zero, bits 1|2|4)",
                            opts);
    x->capture_logs = (opts & ESGX_EXEC_OPT_LOGS) ? 1 : 0;
    x->sealed = (opts & ESGX_EXEC_OPT_SEALED) ? 1 : 0;
    x->has_record = (opts & ESGX_EXEC_OPT_RECORD) ? 1 : 0;
    if (!x->has_record) return ESGX_OK;
    if ((rc = dec_bytes(d, &x->record_name, "record_name", err)) ||
        (rc = dec_fixed(d, x->record_owner, 33, "record_owner", err)) ||
        (rc = dec_int(d, 8, &x->record_seq, "record_seq", err)) ||
        (rc = dec_fixed(d, x->record_network, 33, "record_network", err)) ||
        (rc = dec_fixed(d, x->record_signature, 65, "record_signature", err)))
        return rc;
    return ESGX_OK;
}

static int dec_payload(dec *d, esgx_msg *m, esgx_err *err)
{
    int rc = 0;
    switch (m->type) {
    case ESGX_MSG_HELLO: {
        esgx_msg_hello *h = &m->u.hello;
        if ((rc = dec_u8(d, &h->state, "state", err)) ||
            (rc = dec_bytes(d, &h->platform, "platform", err)) ||
            (rc = dec_fixed(d, h->mrenclave, 32, "mrenclave", err)) ||
            (rc = dec_fixed(d, h->mrsigner, 32, "mrsigner", err)) ||
            (rc = dec_bytes(d, &h->xpub, "xpub", err)) ||
            (rc = dec_fixed(d, h->public_key, 33, "public_key", err)))
            return rc;
        if (d->left) {   /* optional trailing tier: present means 1 or 2 */
            if ((rc = dec_u8(d, &h->tier, "tier", err))) return rc;
            if (h->tier == ESGX_TIER_UNKNOWN)
                return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "tier present with value 0");
        }
        break;
    }
    case ESGX_MSG_KEY_STATUS: {
        esgx_msg_key_status *k = &m->u.key_status;
        if ((rc = dec_u8(d, &k->state, "state", err)) ||
            (rc = dec_bytes(d, &k->xpub, "xpub", err)) ||
            (rc = dec_fixed(d, k->public_key, 33, "public_key", err)) ||
            (rc = dec_bytes(d, &k->error, "error", err)))
            return rc;
        break;
    }
    case ESGX_MSG_EXEC: {
        esgx_msg_exec *x = &m->u.exec;
        if ((rc = dec_fixed(d, x->module_hash, 32, "module_hash", err)) ||
            (rc = dec_u8(d, &x->decrypt, "decrypt", err)) ||
            (rc = dec_int(d, 8, &x->fuel, "fuel", err)) ||
            (rc = dec_bytes(d, &x->function, "function", err)) ||
            (rc = dec_bytes(d, &x->input, "input", err)) ||
            (rc = dec_u8(d, &x->has_content, "has_content", err)))
            return rc;
        if (x->has_content == 1 && (rc = dec_bytes(d, &x->content, "content", err))) return rc;
        if (d->left && (rc = dec_exec_options(d, x, err))) return rc;
        break;
    }
    case ESGX_MSG_NEED_CONTENT:
        if ((rc = dec_fixed(d, m->u.need_content.module_hash, 32, "module_hash", err)))
            return rc;
        break;
    case ESGX_MSG_RESULT: {
        esgx_msg_result *r = &m->u.result;
        if ((rc = dec_u8(d, &r->status, "status", err)) ||
            (rc = dec_bytes(d, &r->code, "code", err)) ||
            (rc = dec_bytes(d, &r->message, "message", err)) ||
            (rc = dec_int(d, 8, &r->fuel_used, "fuel_used", err)))
            return rc;
        if (r->status == ESGX_RESULT_OK &&
            ((rc = dec_fixed(d, r->input_hash, 32, "input_hash", err)) ||
             (rc = dec_fixed(d, r->output_hash, 32, "output_hash", err)) ||
             (rc = dec_fixed(d, r->signature, 65, "signature", err)) ||
             (rc = dec_bytes(d, &r->tree, "tree", err)) ||
             (rc = dec_bytes(d, &r->output, "output", err))))
            return rc;
        if (d->left) {   /* optional trailing logs: present means non-empty */
            if (d->left < 4)
                return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "%zu trailing bytes", d->left);
            if ((rc = dec_bytes(d, &r->logs, "logs", err))) return rc;
            if (r->logs.len == 0)
                return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "logs present but empty");
        }
        break;
    }
    case ESGX_MSG_STATS_REPLY: {
        esgx_msg_stats_reply *s = &m->u.stats;
        if ((rc = dec_int(d, 8, &s->executions, "executions", err)) ||
            (rc = dec_int(d, 8, &s->traps, "traps", err)) ||
            (rc = dec_int(d, 8, &s->cache_entries, "cache_entries", err)) ||
            (rc = dec_int(d, 8, &s->cache_hits, "cache_hits", err)) ||
            (rc = dec_int(d, 8, &s->cache_misses, "cache_misses", err)))
            return rc;
        if (d->left) {   /* optional trailing jit_refused: present means non-zero */
            if (d->left < 8)
                return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "%zu trailing bytes", d->left);
            if ((rc = dec_int(d, 8, &s->jit_refused, "jit_refused", err))) return rc;
            if (s->jit_refused == 0)
                return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "jit_refused present with value 0");
        }
        break;
    }
    case ESGX_MSG_ATTEST_DOC_REPLY: {
        esgx_msg_attest_doc *a = &m->u.attest_doc;
        if ((rc = dec_u8(d, &a->state, "state", err)) ||
            (rc = dec_bytes(d, &a->xpub, "xpub", err)) ||
            (rc = dec_fixed(d, a->public_key, 33, "public_key", err)) ||
            (rc = dec_bytes(d, &a->quote, "quote", err)) ||
            (rc = dec_bytes(d, &a->error, "error", err)))
            return rc;
        break;
    }
    case ESGX_MSG_COLLATERAL_REQ: {
        esgx_msg_collateral_req *c = &m->u.collateral_req;
        if ((rc = dec_fixed(d, c->fmspc, 6, "fmspc", err)) ||
            (rc = dec_fixed(d, c->pce_id, 2, "pce_id", err)) ||
            (rc = dec_u8(d, &c->ca, "ca", err)))
            return rc;
        break;
    }
    case ESGX_MSG_COLLATERAL_REPLY: {
        esgx_msg_collateral_reply *c = &m->u.collateral_reply;
        if ((rc = dec_u8(d, &c->status, "status", err)) ||
            (rc = dec_bytes(d, &c->collateral, "collateral", err)) ||
            (rc = dec_bytes(d, &c->error, "error", err)))
            return rc;
        break;
    }
    case ESGX_MSG_MAC_REQ:
        if ((rc = dec_u8(d, &m->u.mac_req.kind, "kind", err)) ||
            (rc = dec_fixed(d, m->u.mac_req.data, 32, "data", err)))
            return rc;
        break;
    case ESGX_MSG_MAC_REPLY:
        if ((rc = dec_u8(d, &m->u.mac_reply.state, "state", err)) ||
            (rc = dec_fixed(d, m->u.mac_reply.mac, 32, "mac", err)))
            return rc;
        break;
    case ESGX_MSG_INIT_KEY:
    case ESGX_MSG_STATS:
    case ESGX_MSG_SHUTDOWN:
    case ESGX_MSG_ATTEST_DOC:
        break;
    default:
        return esgx_err_set(err, ESGX_PROTO_E_TYPE, "unknown message type %u", m->type);
    }
    return ESGX_OK;
}

int esgx_proto_decode(const uint8_t *frame, size_t len, esgx_msg *out, esgx_err *err)
{
    if (!frame || !out) return esgx_err_set(err, ESGX_PROTO_E_ARG, "NULL frame or message");
    if (len < ESGX_PROTO_PREFIX_LEN + ESGX_PROTO_HEADER_LEN)
        return esgx_err_set(err, ESGX_PROTO_E_SHORT, "frame of %zu bytes is shorter than a header",
                            len);
    size_t want = 0;
    int rc = esgx_proto_frame_len(frame, &want, err);
    if (rc) return rc;
    if (want != len)
        return esgx_err_set(err, len < want ? ESGX_PROTO_E_SHORT : ESGX_PROTO_E_FORMAT,
                            "frame length field says %zu bytes, got %zu", want, len);
    const uint8_t *h = frame + ESGX_PROTO_PREFIX_LEN;
    if (h[0] != ESGX_PROTO_VERSION)
        return esgx_err_set(err, ESGX_PROTO_E_VERSION, "protocol version %u, expected %u", h[0],
                            ESGX_PROTO_VERSION);
    memset(out, 0, sizeof *out);
    out->type = h[1];
    if (get_le(h + 2, 2) != 0)
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "nonzero flags 0x%04x",
                            (unsigned)get_le(h + 2, 2));
    out->id = get_le(h + 4, 8);
    if (get_le(h + 12, 4) != 0)
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "nonzero reserved field");
    dec d = {.p = h + ESGX_PROTO_HEADER_LEN, .left = len - ESGX_PROTO_PREFIX_LEN -
                                                     ESGX_PROTO_HEADER_LEN};
    if ((rc = dec_payload(&d, out, err))) {
        esgx_err_prefix(err, "%s", esgx_proto_type_name(out->type));
        return rc;
    }
    if (d.left)
        return esgx_err_set(err, ESGX_PROTO_E_FORMAT, "%s: %zu trailing bytes",
                            esgx_proto_type_name(out->type), d.left);
    if ((rc = check_msg(out, ESGX_PROTO_E_FORMAT, err))) {
        esgx_err_prefix(err, "%s", esgx_proto_type_name(out->type));
        return rc;
    }
    return ESGX_OK;
}

/* ---------------------------------------------------------------- stream I/O */

void esgx_proto_reader_init(esgx_proto_reader *r)
{
    memset(r, 0, sizeof *r);
}

void esgx_proto_reader_free(esgx_proto_reader *r)
{
    if (r->buf) {
        esgx_crypto_wipe(r->buf, r->cap);
        free(r->buf);
    }
    memset(r, 0, sizeof *r);
}

/* Makes room for at least need bytes from r->start; moves data to the front. */
static int reader_reserve(esgx_proto_reader *r, size_t need, esgx_err *err)
{
    size_t have = r->end - r->start;
    if (r->start && (r->cap - r->start < need || r->start > r->cap / 2)) {
        memmove(r->buf, r->buf + r->start, have);
        r->start = 0;
        r->end = have;
    }
    if (r->cap - r->start >= need) return ESGX_OK;
    size_t ncap = r->cap ? 2 * r->cap : READ_CHUNK;
    if (ncap < need) ncap = need;
    uint8_t *nb = malloc(ncap);
    if (!nb) return esgx_err_set(err, ESGX_PROTO_E_NOMEM, "cannot allocate %zu-byte frame buffer", ncap);
    if (r->buf) {
        memcpy(nb, r->buf + r->start, have);
        esgx_crypto_wipe(r->buf, r->cap);
        free(r->buf);
    }
    r->buf = nb;
    r->cap = ncap;
    r->start = 0;
    r->end = have;
    return ESGX_OK;
}

int esgx_proto_read(esgx_proto_reader *r, int fd, esgx_msg *out, esgx_err *err)
{
    /* Give back a huge buffer once it is drained (views of the previous call die now). */
    if (r->buf && r->start == r->end && r->cap > 4 * READ_CHUNK) {
        esgx_crypto_wipe(r->buf, r->cap);
        free(r->buf);
        r->buf = NULL;
        r->cap = r->start = r->end = 0;
    }
    for (;;) {
        size_t have = r->end - r->start;
        size_t need = ESGX_PROTO_PREFIX_LEN;
        if (have >= ESGX_PROTO_PREFIX_LEN) {
            int rc = esgx_proto_frame_len(r->buf + r->start, &need, err);
            if (rc) return rc;
            if (have >= need) {
                const uint8_t *f = r->buf + r->start;
                r->start += need;
                return esgx_proto_decode(f, need, out, err);
            }
        }
        /* Read at least up to need; ask for a chunk more to batch small frames. */
        int rc = reader_reserve(r, need + READ_CHUNK, err);
        if (rc) return rc;
        ssize_t n = read(fd, r->buf + r->end, r->cap - r->end);
        if (n < 0) {
            if (errno == EINTR) continue;
            return esgx_err_set(err, ESGX_PROTO_E_IO, "channel read failed: %s", strerror(errno));
        }
        if (n == 0) {
            if (have == 0) return esgx_err_set(err, ESGX_PROTO_E_CLOSED, "channel closed by peer");
            return esgx_err_set(err, ESGX_PROTO_E_IO, "channel closed inside a frame (%zu bytes)",
                                have);
        }
        r->end += (size_t)n;
    }
}

int esgx_proto_send(int fd, const esgx_msg *msg, esgx_err *err)
{
    size_t total = 0;   /* set by enc_size on success */
    int rc = enc_size(msg, &total, err);
    if (rc) return rc;
    uint8_t scratch[SCRATCH_LEN];
    enc e = {.mode = ENC_IOV, .scratch = scratch};
    enc_frame(&e, msg, total);
    enc_close_seg(&e);
    struct iovec *iov = e.iov;
    int niov = e.niov;
    int is_sock = 1;
    while (niov > 0) {
        ssize_t n;
        if (is_sock) {
            struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
            n = sendmsg(fd, &mh, MSG_NOSIGNAL);
            if (n < 0 && errno == ENOTSOCK) {
                is_sock = 0;
                continue;
            }
        } else {
            n = writev(fd, iov, niov);
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = esgx_err_set(err, ESGX_PROTO_E_IO, "channel write failed: %s", strerror(errno));
            break;
        }
        size_t done = (size_t)n;
        while (niov > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            niov--;
        }
        if (niov > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    esgx_crypto_wipe(scratch, e.scratch_len);
    return rc;
}

/* ---------------------------------------------------------------- response header */

/* Decimal digits of v. */
static size_t dec_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) v /= 10, n++;
    return n;
}

static char *put_dec(char *p, uint64_t v)
{
    char num[24];
    int k = 0;
    do {
        num[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k) *p++ = num[--k];
    return p;
}

size_t esgx_proto_header_len(const esgx_msg_result *r)
{
    return esgx_proto_header_len_ex(r, NULL);
}

size_t esgx_proto_header_len_ex(const esgx_msg_result *r, const esgx_proto_header_extra *x)
{
    /* {"hash":"",  "tree":"",  "input_hash":"",  "fuel_used":,  "signature":""}\r\n */
    static const char fixed[] = "{\"hash\":\"\",\"tree\":\"\",\"input_hash\":\"\","
                                "\"fuel_used\":,\"signature\":\"\"}\r\n";
    size_t n = sizeof fixed - 1 + 64 + 2 * r->tree.len + 64 + 20 + 130 + 1;
    /* ,"name":"",  "owner":"",  "seq":   and   ,"sealed":true */
    if (x && x->by_name) n += 9 + x->name_len + 11 + 66 + 7 + dec_len(x->seq);
    if (x && x->sealed) n += 14;
    return n;
}

int esgx_proto_format_header(const esgx_msg_result *r, char *out, size_t cap,
                             size_t *out_len, esgx_err *err)
{
    return esgx_proto_format_header_ex(r, NULL, out, cap, out_len, err);
}

int esgx_proto_format_header_ex(const esgx_msg_result *r, const esgx_proto_header_extra *x,
                                char *out, size_t cap, size_t *out_len, esgx_err *err)
{
    if (!r || !out) return esgx_err_set(err, ESGX_PROTO_E_ARG, "NULL result or buffer");
    if (r->status != ESGX_RESULT_OK)
        return esgx_err_set(err, ESGX_PROTO_E_ARG, "result status %u has no header", r->status);
    if (r->tree.len % 32 || (r->tree.len && !r->tree.ptr))
        return esgx_err_set(err, ESGX_PROTO_E_ARG, "tree of %zu bytes", r->tree.len);
    if (x && x->by_name && !esgx_proto_name_valid(x->name, x->name_len))
        return esgx_err_set(err, ESGX_PROTO_E_ARG, "header name is not 1..64 characters of "
                                                   "[A-Za-z0-9._-]");
    if (x && x->by_name && (x->seq == 0 || x->seq > ESGX_NAME_SEQ_MAX))
        return esgx_err_set(err, ESGX_PROTO_E_ARG, "header seq %llu is not 1..2^63-1",
                            (unsigned long long)x->seq);
    if (cap < esgx_proto_header_len_ex(r, x))
        return esgx_err_set(err, ESGX_PROTO_E_BUFFER, "header needs %zu bytes, room for %zu",
                            esgx_proto_header_len_ex(r, x), cap);
    char *p = out;
#define LIT(s) (memcpy(p, s, sizeof s - 1), p += sizeof s - 1)
    LIT("{\"hash\":\"");
    esgx_crypto_hex_encode(r->output_hash, 32, p);
    p += 64;
    LIT("\",\"tree\":\"");
    esgx_crypto_hex_encode(r->tree.ptr ? r->tree.ptr : (const uint8_t *)"", r->tree.len, p);
    p += 2 * r->tree.len;
    LIT("\",\"input_hash\":\"");
    esgx_crypto_hex_encode(r->input_hash, 32, p);
    p += 64;
    LIT("\",\"fuel_used\":");
    p = put_dec(p, r->fuel_used);
    if (x && x->by_name) {
        LIT(",\"name\":\"");
        memcpy(p, x->name, x->name_len);
        p += x->name_len;
        LIT("\",\"owner\":\"");
        esgx_crypto_hex_encode(x->owner, 33, p);
        p += 66;
        LIT("\",\"seq\":");
        p = put_dec(p, x->seq);
    }
    if (x && x->sealed) LIT(",\"sealed\":true");
    LIT(",\"signature\":\"");
    esgx_crypto_hex_encode(r->signature, 65, p);
    p += 130;
    LIT("\"}\r\n");
#undef LIT
    *p = '\0';
    if (out_len) *out_len = (size_t)(p - out);
    return ESGX_OK;
}
