/*
 * test_name_record.c: the header line of answers by name and sealed answers (exact
 * bytes, the plain line unchanged, the parser's round trip and refusals) and the JSON
 * of name records: the exact canonical bytes, round trips (also with 64 transfers and
 * reordered members), every refusal of the strict parser naming its member, and a
 * record tampered in its JSON that parses but no longer verifies.
 */
#include "esgx_crypto.h"
#include "esgx_proto.h"
#include "esgx_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static esgx_err e_;

#define CHECK_FAIL(expr, code, want)                                                     \
    do {                                                                                 \
        CHECK_RC(expr, code);                                                            \
        CHECK(strstr(e_.msg, want) != NULL, "message '%s' lacks '%s'", e_.msg, want);    \
    } while (0)

static void hex(const uint8_t *b, size_t n, char *out)
{
    esgx_crypto_hex_encode(b, n, out);
}

/* ---------------------------------------------------------------- header line */

static void sample_result(esgx_msg_result *r, uint8_t *tree, size_t nodes)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < nodes * 32; i++) tree[i] = (uint8_t)(i * 7);
    memset(r->output_hash, 0xab, 32);
    memset(r->input_hash, 0x01, 32);
    memset(r->signature, 0xfe, 65);
    r->tree.ptr = tree;
    r->tree.len = nodes * 32;
    r->fuel_used = 12345;
}

static void test_header_format(void)
{
    uint8_t tree[96];
    esgx_msg_result r;
    sample_result(&r, tree, 3);
    char plain[1024], buf[1024], want[1024];
    size_t plain_len, len;
    CHECK_RC(esgx_proto_format_header(&r, plain, sizeof plain, &plain_len, &e_), 0);
    /* no extra, or an extra with nothing set: the plain line, byte for byte */
    esgx_proto_header_extra x;
    memset(&x, 0, sizeof x);
    CHECK_RC(esgx_proto_format_header_ex(&r, NULL, buf, sizeof buf, &len, &e_), 0);
    CHECK(len == plain_len && strcmp(buf, plain) == 0);
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), 0);
    CHECK(len == plain_len && strcmp(buf, plain) == 0);
    CHECK(esgx_proto_header_len_ex(&r, &x) == esgx_proto_header_len(&r));

    char th[193], oh[65], ih[65], sg[131], ow[67];
    hex(tree, 96, th);
    hex(r.output_hash, 32, oh);
    hex(r.input_hash, 32, ih);
    hex(r.signature, 65, sg);
    x.by_name = 1;
    x.name = "pay";
    x.name_len = 3;
    for (int i = 0; i < 33; i++) x.owner[i] = (uint8_t)(0x02 + i);
    hex(x.owner, 33, ow);
    x.seq = 3;
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), 0);
    snprintf(want, sizeof want,
             "{\"hash\":\"%s\",\"tree\":\"%s\",\"input_hash\":\"%s\",\"fuel_used\":12345,"
             "\"name\":\"pay\",\"owner\":\"%s\",\"seq\":3,\"signature\":\"%s\"}\r\n",
             oh, th, ih, ow, sg);
    CHECK(strcmp(buf, want) == 0, "by-name line:\n%s\nwant\n%s", buf, want);
    CHECK(len == strlen(want) && esgx_proto_header_len_ex(&r, &x) >= len + 1);
    x.sealed = 1;
    x.seq = ESGX_NAME_SEQ_MAX;
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), 0);
    snprintf(want, sizeof want,
             "{\"hash\":\"%s\",\"tree\":\"%s\",\"input_hash\":\"%s\",\"fuel_used\":12345,"
             "\"name\":\"pay\",\"owner\":\"%s\",\"seq\":9223372036854775807,\"sealed\":true,"
             "\"signature\":\"%s\"}\r\n",
             oh, th, ih, ow, sg);
    CHECK(strcmp(buf, want) == 0, "by-name sealed line:\n%s\nwant\n%s", buf, want);
    /* the length is exact for the extra members: one byte less does not fit */
    size_t need = esgx_proto_header_len_ex(&r, &x);
    CHECK(need >= len + 1);
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, len, &len, &e_), ESGX_PROTO_E_BUFFER);
    x.by_name = 0;
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), 0);
    snprintf(want, sizeof want,
             "{\"hash\":\"%s\",\"tree\":\"%s\",\"input_hash\":\"%s\",\"fuel_used\":12345,"
             "\"sealed\":true,\"signature\":\"%s\"}\r\n",
             oh, th, ih, sg);
    CHECK(strcmp(buf, want) == 0, "sealed line:\n%s\nwant\n%s", buf, want);
    /* refusals */
    x.by_name = 1;
    x.name = "p y";
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
    x.name = "pay";
    x.seq = 0;
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
    x.seq = 1;
    r.status = ESGX_RESULT_TRAP;
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
}

static void test_header_parse(void)
{
    uint8_t tree[96], back[96];
    esgx_msg_result r;
    sample_result(&r, tree, 3);
    esgx_proto_header_extra x;
    memset(&x, 0, sizeof x);
    char buf[1024];
    size_t len;
    esgx_proto_header h;
    for (int v = 0; v < 4; v++) {
        x.by_name = v & 1;
        x.sealed = (v >> 1) & 1;
        x.name = "fn.v2";
        x.name_len = 5;
        memset(x.owner, 0x03, 33);
        x.seq = 77;
        CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), 0);
        memset(back, 0, sizeof back);
        CHECK_RC(esgx_proto_parse_header(buf, len, &h, back, sizeof back, &e_), 0);
        CHECK(memcmp(h.hash, r.output_hash, 32) == 0 && memcmp(h.input_hash, r.input_hash, 32) == 0 &&
              memcmp(h.signature, r.signature, 65) == 0 && h.fuel_used == 12345);
        CHECK(h.tree_count == 3 && memcmp(back, tree, 96) == 0);
        CHECK(h.by_name == x.by_name && h.sealed == x.sealed);
        if (x.by_name)
            CHECK(h.name_len == 5 && strcmp(h.name, "fn.v2") == 0 && h.seq == 77 &&
                  memcmp(h.owner, x.owner, 33) == 0);
        /* without the CR LF, and counting only */
        CHECK_RC(esgx_proto_parse_header(buf, len - 2, &h, NULL, 0, &e_), 0);
        CHECK(h.tree_count == 3);
    }
    CHECK_FAIL(esgx_proto_parse_header(buf, len, &h, back, 95, &e_), ESGX_PROTO_E_BUFFER, "tree");

    /* refusals, each naming its member: edit the by-name sealed line */
    x.by_name = x.sealed = 1;
    CHECK_RC(esgx_proto_format_header_ex(&r, &x, buf, sizeof buf, &len, &e_), 0);
    buf[len - 2] = 0;
    static const struct {
        const char *from, *to, *msg;
    } edits[] = {
        {"\"hash\":\"abab", "\"hash\":\"ABab", "member 'hash' is not 64 lowercase hex"},
        {"\"hash\":\"abab", "\"hash\":\"ab", "member 'hash' is not 64"},
        {"\"hash\"", "\"hush\"", "unknown member 'hush'"},
        {"\"tree\":\"00", "\"tree\":\"0", "member 'tree' is not a list"},
        {"\"tree\":\"00", "\"tree\":\"0g", "member 'tree' is not a list"},
        {"\"input_hash\"", "\"input_hash2\"", "unknown member 'input_hash2'"},
        {"\"fuel_used\":12345", "\"fuel_used\":-1", "member 'fuel_used' is not an integer"},
        {"\"fuel_used\":12345", "\"fuel_used\":1.5", "member 'fuel_used' is not an integer"},
        {"\"fuel_used\":12345", "\"fuel_used\":\"12345\"", "member 'fuel_used' is not"},
        {"\"name\":\"fn.v2\"", "\"name\":\"fn v2\"", "member 'name' is not 1..64"},
        {"\"name\":\"fn.v2\"", "\"name\":5", "member 'name' is not 1..64"},
        {"\"name\":\"fn.v2\",", "", "'name', 'owner' and 'seq' come together"},
        {"\"seq\":77,", "", "'name', 'owner' and 'seq' come together"},
        {"\"seq\":77", "\"seq\":0", "member 'seq' is not an integer 1..2^63-1"},
        {"\"owner\":\"03", "\"owner\":\"0", "member 'owner' is not 66"},
        {"\"sealed\":true", "\"sealed\":false", "member 'sealed' is not true"},
        {"\"sealed\":true", "\"sealed\":1", "member 'sealed' is not true"},
        {"\"signature\":\"fe", "\"signature\":\"f", "member 'signature' is not 130"},
        {"\"signature\"", "\"sig\"", "unknown member 'sig'"},
        {"\"sealed\":true", "\"sealed\":true,\"sealed\":true", "not JSON"},
        {"{\"hash\"", "[{\"hash\"", "not JSON"},
        {"\"fuel_used\":12345,", "", "member 'fuel_used' is missing"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char t[1100];
        const char *at = strstr(buf, edits[i].from);
        CHECK(at != NULL, "edit %zu applies", i);
        if (!at) continue;
        size_t pre = (size_t)(at - buf);
        snprintf(t, sizeof t, "%.*s%s%s", (int)pre, buf, edits[i].to, at + strlen(edits[i].from));
        CHECK_FAIL(esgx_proto_parse_header(t, strlen(t), &h, NULL, 0, &e_), ESGX_PROTO_E_FORMAT,
                   edits[i].msg);
    }
    CHECK_FAIL(esgx_proto_parse_header("[1]", 3, &h, NULL, 0, &e_), ESGX_PROTO_E_FORMAT,
               "not a JSON object");
    CHECK_FAIL(esgx_proto_parse_header("", 0, &h, NULL, 0, &e_), ESGX_PROTO_E_FORMAT, "not JSON");
    CHECK_RC(esgx_proto_parse_header(NULL, 0, &h, NULL, 0, &e_), ESGX_PROTO_E_ARG);
}

/* ---------------------------------------------------------------- name records */

static void keypair(int k, uint8_t sk[32], uint8_t pk[33])
{
    memset(sk, k, 32);
    if (esgx_ec_pubkey_from_seckey(sk, pk, NULL)) failures++;
}

/* A signed record of owner key 0x61 on network key 0x60 with n transfers among 0x62/0x63
 * ending at the owner. */
static void signed_record(esgx_name_record *r, size_t n_transfers)
{
    uint8_t nsk[32], npk[33], sk[3][32], pk[3][33];
    keypair(0x60, nsk, npk);
    for (int i = 0; i < 3; i++) keypair(0x61 + i, sk[i], pk[i]);
    memset(r, 0, sizeof *r);
    memcpy(r->name, "pay", 4);
    r->name_len = 3;
    memcpy(r->network, npk, 33);
    for (int i = 0; i < 32; i++) r->module_hash[i] = (uint8_t)(0x10 + i);
    r->encrypted = 0;
    r->seq = 1000;
    r->n_transfers = n_transfers;
    /* transfer i goes from key (n - i) % 3 to key (n - i - 1) % 3: always two different
     * keys, and the last one goes to key 0, the record's owner */
    for (size_t i = 0; i < n_transfers; i++) {
        r->transfers[i].seq = 10 + i;
        memcpy(r->transfers[i].to, pk[(n_transfers - i - 1) % 3], 33);
        CHECK_RC(esgx_name_transfer_sign(npk, r->name, r->name_len, &r->transfers[i],
                                         sk[(n_transfers - i) % 3], &e_), 0);
    }
    CHECK_RC(esgx_name_record_sign(r, sk[0], &e_), 0);
}

static void test_record_json(void)
{
    esgx_name_record r, p;
    signed_record(&r, 1);
    static char buf[ESGX_NAME_RECORD_JSON_MAX], want[4096];
    size_t len;
    CHECK_RC(esgx_name_record_format(&r, buf, sizeof buf, &len, &e_), 0);
    char nw[67], mh[65], ow[67], sg[131], tf[67], tt[67], ts[131];
    hex(r.network, 33, nw);
    hex(r.module_hash, 32, mh);
    hex(r.owner, 33, ow);
    hex(r.signature, 65, sg);
    hex(r.transfers[0].from, 33, tf);
    hex(r.transfers[0].to, 33, tt);
    hex(r.transfers[0].signature, 65, ts);
    snprintf(want, sizeof want,
             "{\"name\":\"pay\",\"network\":\"%s\",\"hash\":\"%s\",\"encrypted\":false,"
             "\"seq\":1000,\"owner\":\"%s\",\"signature\":\"%s\",\"transfers\":[{\"seq\":10,"
             "\"from\":\"%s\",\"to\":\"%s\",\"signature\":\"%s\"}]}",
             nw, mh, ow, sg, tf, tt, ts);
    CHECK(strcmp(buf, want) == 0, "canonical JSON:\n%s\nwant\n%s", buf, want);
    CHECK(len == strlen(want));
    CHECK_RC(esgx_name_record_parse(buf, len, &p, &e_), 0);
    CHECK(memcmp(&p, &r, sizeof r) == 0, "parse(format(r)) == r");
    CHECK_RC(esgx_name_record_verify(&p, r.network, &e_), 0);
    CHECK_RC(esgx_name_record_owner_chain(&p, r.transfers[0].from, &e_), 0);

    /* no transfers: the member is left out; encrypted true */
    signed_record(&r, 0);
    r.encrypted = 1;
    uint8_t sk[32], pk[33];
    keypair(0x61, sk, pk);
    CHECK_RC(esgx_name_record_sign(&r, sk, &e_), 0);
    CHECK_RC(esgx_name_record_format(&r, buf, sizeof buf, &len, &e_), 0);
    CHECK(strstr(buf, "transfers") == NULL && strstr(buf, "\"encrypted\":true,") != NULL);
    CHECK_RC(esgx_name_record_parse(buf, len, &p, &e_), 0);
    CHECK(memcmp(&p, &r, sizeof r) == 0);
    /* an empty transfers array is taken as none */
    char t[ESGX_NAME_RECORD_JSON_MAX + 64];
    snprintf(t, sizeof t, "%.*s,\"transfers\":[]}", (int)len - 1, buf);
    CHECK_RC(esgx_name_record_parse(t, strlen(t), &p, &e_), 0);
    CHECK(memcmp(&p, &r, sizeof r) == 0);
    /* members in another order, with spaces: parsed, and formatted canonically again */
    hex(r.network, 33, nw);
    hex(r.module_hash, 32, mh);
    hex(r.owner, 33, ow);
    hex(r.signature, 65, sg);
    snprintf(t, sizeof t,
             "{ \"signature\": \"%s\", \"owner\": \"%s\", \"seq\": 1000, \"encrypted\": true,\n"
             "  \"hash\": \"%s\", \"network\": \"%s\", \"name\": \"pay\" }",
             sg, ow, mh, nw);
    CHECK_RC(esgx_name_record_parse(t, strlen(t), &p, &e_), 0);
    char again[ESGX_NAME_RECORD_JSON_MAX];
    size_t again_len;
    CHECK_RC(esgx_name_record_format(&p, again, sizeof again, &again_len, &e_), 0);
    CHECK(again_len == len && strcmp(again, buf) == 0);

    /* the largest record fits ESGX_NAME_RECORD_JSON_MAX; one byte less does not */
    signed_record(&r, ESGX_NAME_MAX_TRANSFERS);
    memset(r.name, 'n', 64);
    r.name[64] = 0;
    r.name_len = 64;
    r.seq = ESGX_NAME_SEQ_MAX;
    r.encrypted = 0;
    for (size_t i = 0; i < r.n_transfers; i++) r.transfers[i].seq = ESGX_NAME_SEQ_MAX - 100 + i;
    CHECK_RC(esgx_name_record_format(&r, buf, sizeof buf, &len, &e_), 0);
    CHECK(len + 1 <= ESGX_NAME_RECORD_JSON_MAX && len + 8 > ESGX_NAME_RECORD_JSON_MAX,
          "longest record %zu bytes, bound %d", len, ESGX_NAME_RECORD_JSON_MAX);
    CHECK_RC(esgx_name_record_parse(buf, len, &p, &e_), 0);
    CHECK(memcmp(&p, &r, sizeof r) == 0, "64 transfers round trip");
    CHECK_RC(esgx_name_record_format(&r, again, len, &again_len, &e_), ESGX_PROTO_E_BUFFER);
    CHECK_RC(esgx_name_record_format(&r, again, len + 1, &again_len, &e_), 0);

    /* format refusals */
    signed_record(&r, 1);
    p = r, p.seq = 0;
    CHECK_RC(esgx_name_record_format(&p, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
    p = r, p.name_len = 0;
    CHECK_RC(esgx_name_record_format(&p, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
    p = r, p.name[0] = '"';
    CHECK_RC(esgx_name_record_format(&p, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
    p = r, p.encrypted = 3;
    CHECK_RC(esgx_name_record_format(&p, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
    p = r, p.n_transfers = 65;
    CHECK_RC(esgx_name_record_format(&p, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
    p = r, p.transfers[0].seq = 0;
    CHECK_RC(esgx_name_record_format(&p, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
    CHECK_RC(esgx_name_record_format(NULL, buf, sizeof buf, &len, &e_), ESGX_PROTO_E_ARG);
}

/* Replaces the first `from` in src by `to` into dst; 0 if from is absent. */
static int edit(const char *src, const char *from, const char *to, char *dst, size_t cap)
{
    const char *at = strstr(src, from);
    if (!at) return 0;
    snprintf(dst, cap, "%.*s%s%s", (int)(at - src), src, to, at + strlen(from));
    return 1;
}

static void test_record_parse_refusals(void)
{
    esgx_name_record r, p;
    signed_record(&r, 2);
    static char buf[ESGX_NAME_RECORD_JSON_MAX], t[ESGX_NAME_RECORD_JSON_MAX + 256];
    size_t len;
    CHECK_RC(esgx_name_record_format(&r, buf, sizeof buf, &len, &e_), 0);
    char sg[131], upper[131];
    hex(r.signature, 65, sg);
    strcpy(upper, sg);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f') *c = (char)(*c - 32);
    CHECK(strcmp(upper, sg) != 0);
    const struct {
        const char *from, *to, *msg;
    } edits[] = {
        {"\"name\":\"pay\",", "", "member 'name' is missing"},
        {"\"name\":\"pay\"", "\"name\":\"p y\"", "member 'name' is not 1..64"},
        {"\"name\":\"pay\"", "\"name\":\"\"", "member 'name' is not 1..64"},
        {"\"name\":\"pay\"", "\"name\":[\"pay\"]", "member 'name' is not 1..64"},
        {"\"name\":\"pay\"", "\"name\":\"pay\",\"name\":\"pay\"", "not JSON"},
        {"\"name\":\"pay\"", "\"name\":\"pay\",\"extra\":1", "unknown member 'extra'"},
        {"\"network\":\"0", "\"network\":\"", "member 'network' is not 66 lowercase hex"},
        {"\"network\":\"0", "\"network\":\"00", "member 'network' is not 66 lowercase hex"},
        {"\"network\":\"0", "\"network\":\"x", "member 'network' is not 66 lowercase hex"},
        {"\"hash\":\"10", "\"hash\":\"1A", "member 'hash' is not 64 lowercase hex"},
        {"\"hash\"", "\"module_hash\"", "unknown member 'module_hash'"},
        {"\"encrypted\":false", "\"encrypted\":0", "member 'encrypted' is not true or false"},
        {"\"encrypted\":false", "\"encrypted\":\"false\"", "member 'encrypted' is not true"},
        {"\"encrypted\":false,", "", "member 'encrypted' is missing"},
        {"\"seq\":1000", "\"seq\":0", "member 'seq' is not an integer 1..2^63-1"},
        {"\"seq\":1000", "\"seq\":-1000", "member 'seq' is not an integer 1..2^63-1"},
        {"\"seq\":1000", "\"seq\":1000.0", "member 'seq' is not an integer 1..2^63-1"},
        {"\"seq\":1000", "\"seq\":\"1000\"", "member 'seq' is not an integer"},
        {"\"seq\":1000", "\"seq\":9223372036854775808", "not JSON"},
        {"\"seq\":1000,", "", "member 'seq' is missing"},
        {"\"owner\":\"0", "\"owner\":\"0000", "member 'owner' is not 66 lowercase hex"},
        {sg, upper, "member 'signature' is not 130 lowercase hex"},
        {"\"signature\":\"", "\"signature\":\"00", "member 'signature' is not 130"},
        {"\"transfers\":[", "\"transfers\":{\"a\":", "not JSON"},
        {"\"transfers\":[", "\"transfers\":7,\"x\":[", "unknown member 'x'"},
        {"\"transfers\":[{", "\"transfers\":[5,{", "transfers[0] is not an object"},
        {"\"transfers\":[{\"seq\":10,", "\"transfers\":[{", "transfers[0]: member 'seq' is missing"},
        {"{\"seq\":11", "{\"seq\":0", "transfers[1]: member 'seq' is not an integer 1.."},
        {"{\"seq\":11", "{\"bogus\":1,\"seq\":11", "transfers[1]: unknown member 'bogus'"},
        {"\"from\":\"0", "\"from\":\"", "transfers[0]: member 'from' is not 66"},
        {"\"to\":\"0", "\"to\":\"0A", "transfers[0]: member 'to' is not 66"},
        {"\"}]}", "\"}]", "not JSON"},
        {"\"}]}", "\"}]}x", "not JSON"},
        {"{\"name\"", "[{\"name\"", "not JSON"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        if (!edit(buf, edits[i].from, edits[i].to, t, sizeof t)) {
            CHECK(0, "edit %zu ('%s') does not apply", i, edits[i].from);
            continue;
        }
        memset(&p, 0x5a, sizeof p);
        CHECK_FAIL(esgx_name_record_parse(t, strlen(t), &p, &e_), ESGX_PROTO_E_FORMAT,
                   edits[i].msg);
        if (!strstr(e_.msg, edits[i].msg)) fprintf(stderr, "  input: %.300s\n", t);
        static const esgx_name_record zero;
        CHECK(memcmp(&p, &zero, sizeof p) == 0, "edit %zu: record cleared on failure", i);
    }
    /* transfers: "transfers" as a non-array, and more than 64 */
    CHECK(edit(buf, "\"transfers\":[", "\"transfers\":\"\",\"y\":[", t, sizeof t));
    CHECK_RC(esgx_name_record_parse(t, strlen(t), &p, &e_), ESGX_PROTO_E_FORMAT);
    {
        /* rebuild the tail with 65 copies of the first transfer */
        const char *tr = strstr(buf, "\"transfers\":[");
        const char *one = tr + 13, *end = strchr(one, '}') + 1;
        static char big[ESGX_NAME_RECORD_JSON_MAX * 2];
        size_t n = (size_t)(one - buf);
        memcpy(big, buf, n);
        for (int k = 0; k < 65; k++) {
            if (k) big[n++] = ',';
            memcpy(big + n, one, (size_t)(end - one));
            n += (size_t)(end - one);
        }
        memcpy(big + n, "]}", 3);
        CHECK_FAIL(esgx_name_record_parse(big, strlen(big), &p, &e_), ESGX_PROTO_E_FORMAT,
                   "member 'transfers' has 65 entries, at most 64");
        /* a non-array transfers member */
        memcpy(big, buf, (size_t)(tr - buf));
        strcpy(big + (tr - buf), "\"transfers\":\"none\"}");
        CHECK_FAIL(esgx_name_record_parse(big, strlen(big), &p, &e_), ESGX_PROTO_E_FORMAT,
                   "member 'transfers' is not an array");
    }
    CHECK_FAIL(esgx_name_record_parse("", 0, &p, &e_), ESGX_PROTO_E_FORMAT, "not JSON");
    CHECK_FAIL(esgx_name_record_parse("\"x\"", 3, &p, &e_), ESGX_PROTO_E_FORMAT, "not JSON");
    CHECK_FAIL(esgx_name_record_parse("[]", 2, &p, &e_), ESGX_PROTO_E_FORMAT, "not a JSON object");
    CHECK_RC(esgx_name_record_parse(NULL, 0, &p, &e_), ESGX_PROTO_E_ARG);
    /* the unedited text still parses */
    CHECK_RC(esgx_name_record_parse(buf, len, &p, &e_), 0);
}

/* Valid JSON with one field changed parses, but the record no longer verifies. */
static void test_record_json_tamper(void)
{
    esgx_name_record r, p;
    signed_record(&r, 2);
    static char buf[ESGX_NAME_RECORD_JSON_MAX], t[ESGX_NAME_RECORD_JSON_MAX];
    size_t len;
    CHECK_RC(esgx_name_record_format(&r, buf, sizeof buf, &len, &e_), 0);
    uint8_t other_sk[32], other[33];
    keypair(0x70, other_sk, other);
    char oh[67], nw[67], ow[67];
    hex(other, 33, oh);
    hex(r.network, 33, nw);
    hex(r.owner, 33, ow);
    const char *sig = "record signature does not recover to its owner";
    struct {
        const char *from, *to, *msg;
        int code;
    } cases[] = {
        {"\"name\":\"pay\"", "\"name\":\"paz\"", sig, ESGX_CRYPTO_E_SIGNATURE},
        {nw, oh, "record is for another network", ESGX_CRYPTO_E_AUTH},
        {"\"hash\":\"10", "\"hash\":\"11", sig, ESGX_CRYPTO_E_SIGNATURE},
        {"\"encrypted\":false", "\"encrypted\":true", sig, ESGX_CRYPTO_E_SIGNATURE},
        {"\"seq\":1000", "\"seq\":1001", sig, ESGX_CRYPTO_E_SIGNATURE},
        {ow, oh, sig, ESGX_CRYPTO_E_SIGNATURE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(edit(buf, cases[i].from, cases[i].to, t, sizeof t), "case %zu applies", i);
        CHECK_RC(esgx_name_record_parse(t, strlen(t), &p, &e_), 0);
        CHECK_FAIL(esgx_name_record_verify(&p, r.network, &e_), cases[i].code, cases[i].msg);
    }
    /* the record's own signature, and a transfer's */
    const char *s = strstr(buf, "\"signature\":\"") + 13;
    memcpy(t, buf, len + 1);
    t[s - buf + 10] = t[s - buf + 10] == '0' ? '1' : '0';
    CHECK_RC(esgx_name_record_parse(t, len, &p, &e_), 0);
    CHECK_FAIL(esgx_name_record_verify(&p, r.network, &e_), ESGX_CRYPTO_E_SIGNATURE, sig);
    const char *ts = strstr(strstr(buf, "\"transfers\""), "\"signature\":\"") + 13;
    memcpy(t, buf, len + 1);
    t[ts - buf + 3] = t[ts - buf + 3] == '0' ? '1' : '0';
    CHECK_RC(esgx_name_record_parse(t, len, &p, &e_), 0);
    CHECK_RC(esgx_name_record_verify(&p, r.network, &e_), 0);
    CHECK_FAIL(esgx_name_record_owner_chain(&p, r.owner, &e_), ESGX_CRYPTO_E_SIGNATURE,
               "transfer 0: transfer signature does not recover to its from key");
}

int main(void)
{
    test_header_format();
    test_header_parse();
    test_record_json();
    test_record_parse_refusals();
    test_record_json_tamper();
    return ESGX_TEST_SUMMARY("proto_name_record");
}
