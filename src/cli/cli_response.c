/*
 * cli_response.c: service requests and the checking of signed answers.
 *
 * An answer is one JSON header line (hash, tree, input_hash, fuel_used, for a call by
 * name name/owner/seq, for a sealed call sealed, signature; parsed by lib/proto's one
 * header parser), "\r\n", then the raw output (for a sealed call, sealed bytes). Trust
 * comes only from what we recompute ourselves, in this order:
 *   1. BLAKE3(output) must equal the header's hash         -> "output hash mismatch"
 *   2. esgx_blake3_tree(output) must equal the header's tree    -> "tree mismatch"
 *   3. esgx_digest_input_hash_ex(our own request, with the
 *      record we verified and the sealed flag) must equal the
 *      header's input_hash, so the answer is for our module,
 *      decrypt flag, fuel limit, function, input, and name,
 *      owner and seq                                       -> "input_hash mismatch"
 *   4. esgx_ec_recover(esgx_digest_response(input_hash, fuel_used,
 *      hash), signature) must equal the pinned network key -> "signature does not
 *                                                             recover to the network key"
 * Only step 4 involves the network's secret; steps 1-3 tie what was signed to the bytes
 * we hold. The request side is parsed as strictly as the node parses it, so that a
 * request file that the node would reject is not "verified" either.
 */
#include "cli.h"
#include "cli_node.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esgx_crypto.h"
#include "esgx_proto.h"

/* ---------------------------------------------------------------- requests */

static char *base64(const uint8_t *in, size_t len);

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* Decodes the base64 text in buf[0..*len) in place (padding required); *len gets the
 * byte count. Returns 0, or -1 when it is not base64. */
static int base64_decode(uint8_t *buf, size_t *len)
{
    size_t n = *len;
    if (n % 4) return -1;
    size_t pad = n && buf[n - 1] == '=' ? (n > 1 && buf[n - 2] == '=' ? 2 : 1) : 0;
    uint8_t *out = malloc(n / 4 * 3 + 1);
    int got = out && n ? EVP_DecodeBlock(out, buf, (int)n) : 0;
    if (!out || got < 0) {
        free(out);
        return -1;
    }
    *len = n / 4 * 3 - pad;
    memcpy(buf, out, *len);
    free(out);
    return 0;
}

int cli_request_parse(const uint8_t *text, size_t len, cli_service_request *rq,
                      esgx_err *err)
{
    memset(rq, 0, sizeof *rq);
    memcpy(rq->function, "main", 5);
    rq->function_len = 4;
    json_error_t je;
    json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "request: invalid JSON: %s (line %d)", je.text, je.line);
    int rc = 0, have_hash = 0, by_name = 0;
    if (!json_is_object(root)) {
        rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: not a JSON object");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (!strcmp(key, "hash")) {
            const char *h = json_string_value(v);
            if (!h || json_string_length(v) != 64 || !is_lower_hex(h, 64)) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: 'hash' must be 64 lowercase hex characters");
                goto out;
            }
            memcpy(rq->hash_hex, h, 65);
            (void)!esgx_crypto_hex_decode(h, 64, rq->hash, 32, NULL, NULL); /* hex checked above */
            have_hash = 1;
        } else if (!strcmp(key, "decrypt")) {
            if (!json_is_boolean(v)) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: 'decrypt' must be a boolean");
                goto out;
            }
            rq->decrypt = json_is_true(v);
        } else if (!strcmp(key, "function")) {
            size_t n = json_string_length(v);
            if (!json_is_string(v) || n < 1 || n > 255) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: 'function' must be a string of 1 to 255 bytes");
                goto out;
            }
            memcpy(rq->function, json_string_value(v), n);
            rq->function[n] = 0;
            rq->function_len = n;
        } else if (!strcmp(key, "input") || !strcmp(key, "input_base64") ||
                   !strcmp(key, "sealed_input")) {
            if (!json_is_string(v) || rq->input) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: '%s' must be a string, and "
                                  "only one of 'input', 'input_base64' and 'sealed_input'", key);
                goto out;
            }
            rq->sealed = key[0] == 's';
            size_t n = json_string_length(v);
            rq->input = malloc(n ? n : 1);
            if (!rq->input) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: out of memory");
                goto out;
            }
            memcpy(rq->input, json_string_value(v), n);
            rq->input_len = n;
            if (strcmp(key, "input") && base64_decode(rq->input, &rq->input_len)) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: '%s' is not base64", key);
                goto out;
            }
        } else if (!strcmp(key, "fuel")) {
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: 'fuel' must be a positive integer");
                goto out;
            }
            rq->has_fuel = 1;
            rq->fuel = (uint64_t)json_integer_value(v);
        } else if (!strcmp(key, "name")) {   /* a call by name: the record it was bound to */
            size_t n = json_string_length(v);
            if (!json_is_string(v) || !esgx_proto_name_valid(json_string_value(v), n)) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: 'name' must be a function name");
                goto out;
            }
            memcpy(rq->name, json_string_value(v), n + 1);
            by_name |= 1;
        } else if (!strcmp(key, "owner")) {
            const char *h = json_string_value(v);
            if (!h || json_string_length(v) != 66 || !is_lower_hex(h, 66)) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: 'owner' must be 66 lowercase hex characters");
                goto out;
            }
            (void)!esgx_crypto_hex_decode(h, 66, rq->owner, 33, NULL, NULL); /* hex checked */
            by_name |= 2;
        } else if (!strcmp(key, "seq")) {
            if (!json_is_integer(v) || json_integer_value(v) < 1) {
                rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: 'seq' must be a positive integer");
                goto out;
            }
            rq->seq = (uint64_t)json_integer_value(v);
            by_name |= 4;
        } else {
            rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: unknown field '%.64s'", key);
            goto out;
        }
    }
    if (!have_hash) rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: field 'hash' is required");
    else if (by_name && by_name != 7)
        rc = esgx_err_set(err, ESGX_CLI_E_FAILED, "request: 'name', 'owner' and 'seq' go together");
    rq->by_name = by_name == 7;
out:
    json_decref(root);
    if (rc) cli_request_free(rq);
    return rc;
}

char *cli_request_json(const cli_service_request *rq)
{
    json_t *input;
    if (rq->sealed) {   /* sealed bytes: any bytes, as base64 */
        char *b = base64(rq->input ? rq->input : (const uint8_t *)"", rq->input_len);
        input = b ? json_string(b) : NULL;
        free(b);
    } else {
        /* jansson refuses invalid UTF-8 (json_stringn gives NULL); the node refuses NUL */
        if (rq->input_len && memchr(rq->input, 0, rq->input_len)) return NULL;
        input = json_stringn((const char *)(rq->input ? rq->input : (const uint8_t *)""),
                             rq->input_len);
    }
    json_t *o = json_object();
    if (!input || !o) {
        json_decref(input);
        json_decref(o);
        return NULL;
    }
    int bad = json_object_set_new(o, "hash", json_string(rq->hash_hex));
    bad |= json_object_set_new(o, "decrypt", json_boolean(rq->decrypt));
    bad |= json_object_set_new(o, "function", json_stringn(rq->function, rq->function_len));
    bad |= json_object_set_new(o, rq->sealed ? "sealed_input" : "input", input);
    if (rq->has_fuel) bad |= json_object_set_new(o, "fuel", json_integer((json_int_t)rq->fuel));
    if (rq->by_name) {   /* not sent to /services/3: what esgx verify binds the answer to */
        char owner[67];
        esgx_crypto_hex_encode(rq->owner, 33, owner);
        bad |= json_object_set_new(o, "name", json_string(rq->name));
        bad |= json_object_set_new(o, "owner", json_string(owner));
        bad |= json_object_set_new(o, "seq", json_integer((json_int_t)rq->seq));
    }
    char *text = bad ? NULL : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

void cli_request_free(cli_service_request *rq)
{
    free(rq->input);
    rq->input = NULL;
    rq->input_len = 0;
}

/* ---------------------------------------------------------------- answers */

int cli_answer_parse(const uint8_t *body, size_t len, cli_answer *a, esgx_err *err)
{
    memset(a, 0, sizeof *a);
    const uint8_t *crlf = NULL;
    for (size_t i = 0; i + 1 < len && i < 1u << 24; i++)
        if (body[i] == '\r' && body[i + 1] == '\n') {
            crlf = body + i;
            break;
        }
    if (!crlf) return esgx_err_set(err, ESGX_CLI_E_FAILED, "malformed answer: no \\r\\n after the header line");
    a->header_len = (size_t)(crlf - body);
    esgx_proto_header h;
    esgx_err pe;
    if (esgx_proto_parse_header((const char *)body, a->header_len, &h, NULL, 0, &pe))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "malformed answer: %s", pe.msg);
    a->tree = malloc(h.tree_count * 32);
    if (!a->tree) return esgx_err_set(err, ESGX_CLI_E_FAILED, "out of memory");
    if (esgx_proto_parse_header((const char *)body, a->header_len, &h, a->tree,
                                h.tree_count * 32, &pe)) {
        cli_answer_free(a);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "malformed answer: %s", pe.msg);
    }
    memcpy(a->hash, h.hash, 32);
    a->tree_count = h.tree_count;
    memcpy(a->input_hash, h.input_hash, 32);
    a->fuel_used = h.fuel_used;
    memcpy(a->signature, h.signature, 65);
    a->by_name = h.by_name;
    memcpy(a->name, h.name, sizeof a->name);
    memcpy(a->owner, h.owner, 33);
    a->seq = h.seq;
    a->sealed = h.sealed;
    a->output = crlf + 2;
    a->output_len = len - a->header_len - 2;
    return 0;
}

void cli_answer_free(cli_answer *a)
{
    free(a->tree);
    a->tree = NULL;
    a->tree_count = 0;
}

/* The header's by-name members and sealed flag against what rq expects (the
 * input_hash check covers them too; this names the difference). */
static int binding_check(const cli_answer *a, const cli_service_request *rq, esgx_err *err)
{
    if (a->sealed != (rq->sealed != 0))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "input_hash mismatch: the answer is %s, the "
                            "request was %s", a->sealed ? "sealed" : "not sealed",
                            rq->sealed ? "sealed" : "not");
    if (a->by_name != (rq->by_name != 0))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "input_hash mismatch: the answer is %s, the "
                            "request was %s", a->by_name ? "for a name" : "by hash",
                            rq->by_name ? "by name" : "by hash");
    if (!rq->by_name) return 0;
    char o1[67], o2[67];
    esgx_crypto_hex_encode(a->owner, 33, o1);
    esgx_crypto_hex_encode(rq->owner, 33, o2);
    if (strcmp(a->name, rq->name) || memcmp(a->owner, rq->owner, 33) || a->seq != rq->seq)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "input_hash mismatch: the answer is for function "
                            "'%s' of owner %s at seq %llu, not '%s' of owner %s at seq %llu",
                            a->name, o1, (unsigned long long)a->seq, rq->name, o2,
                            (unsigned long long)rq->seq);
    return 0;
}

int cli_answer_verify(const cli_answer *a, const cli_service_request *rq,
                      uint64_t fuel_limit, const uint8_t network_key[33],
                      uint8_t signer[33], esgx_err *err)
{
    char x1[131], x2[131];
    int rc;
    uint8_t h[32];
    esgx_blake3_hash(a->output, a->output_len, h);
    if (memcmp(h, a->hash, 32)) {
        esgx_crypto_hex_encode(a->hash, 32, x1);
        esgx_crypto_hex_encode(h, 32, x2);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "output hash mismatch: the header says %.16s..., the %zu "
                                     "output bytes hash to %.16s...", x1, a->output_len, x2);
    }
    size_t count = esgx_blake3_tree_node_count(a->output_len);
    if (count != a->tree_count)
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "tree mismatch: the header lists %zu node hashes, an output "
                                     "of %zu bytes has %zu", a->tree_count, a->output_len, count);
    uint8_t *tree = malloc(count * 32);
    if (!tree) return esgx_err_set(err, ESGX_CLI_E_FAILED, "out of memory");
    size_t got = 0;
    esgx_err e2;
    if (esgx_blake3_tree(a->output, a->output_len, tree, count * 32, &got, &e2)) {
        free(tree);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "tree mismatch: %s", e2.msg);
    }
    for (size_t i = 0; i < count; i++)
        if (memcmp(tree + 32 * i, a->tree + 32 * i, 32)) {
            free(tree);
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "tree mismatch: node %zu of %zu differs from the "
                                         "recomputed tree", i, count);
        }
    free(tree);
    uint8_t ih[32];
    uint64_t fuel = rq->has_fuel ? rq->fuel : fuel_limit;
    if ((rc = binding_check(a, rq, err))) return rc;
    esgx_name_binding nb = {.name = rq->name, .name_len = strlen(rq->name), .seq = rq->seq};
    memcpy(nb.owner, rq->owner, 33);
    if (esgx_digest_input_hash_ex(rq->hash, rq->decrypt, fuel, rq->function, rq->function_len,
                                  rq->input, rq->input_len, rq->by_name ? &nb : NULL,
                                  rq->sealed, ih, &e2))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "input_hash mismatch: %s", e2.msg);
    if (memcmp(ih, a->input_hash, 32))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "input_hash mismatch: the answer is not for this request "
                                     "(module %.16s..., decrypt %s, fuel limit %llu%s, function "
                                     "'%.40s', %zu input bytes)", rq->hash_hex,
                            rq->decrypt ? "true" : "false", (unsigned long long)fuel,
                            rq->has_fuel ? "" : " assumed", rq->function, rq->input_len);
    uint8_t digest[32], pub[33];
    esgx_digest_response(a->input_hash, a->fuel_used, a->hash, digest);
    if (esgx_ec_recover(digest, a->signature, pub, &e2))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "signature does not recover to the network key (%s)",
                            e2.msg);
    if (signer) memcpy(signer, pub, 33);
    if (memcmp(pub, network_key, 33)) {
        esgx_crypto_hex_encode(pub, 33, x1);
        esgx_crypto_hex_encode(network_key, 33, x2);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "signature does not recover to the network key (signer "
                                     "%s, network key %s)", x1, x2);
    }
    return 0;
}

static char *base64(const uint8_t *in, size_t len)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1), *p = out;
    if (!out) return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        *p++ = tbl[v >> 18 & 63];
        *p++ = tbl[v >> 12 & 63];
        *p++ = i + 1 < len ? tbl[v >> 6 & 63] : '=';
        *p++ = i + 2 < len ? tbl[v & 63] : '=';
    }
    *p = 0;
    return out;
}

int cli_answer_print_json(const cli_answer *a, const uint8_t signer[33])
{
    char h[65], ih[65], sig[131], pk[67];
    esgx_crypto_hex_encode(a->hash, 32, h);
    esgx_crypto_hex_encode(a->input_hash, 32, ih);
    esgx_crypto_hex_encode(a->signature, 65, sig);
    esgx_crypto_hex_encode(signer, 33, pk);
    char *tree = malloc(a->tree_count * 64 + 1);
    if (!tree) return ESGX_CLI_E_FAILED;
    esgx_crypto_hex_encode(a->tree, a->tree_count * 32, tree);
    json_t *o = json_object();
    json_object_set_new(o, "verified", json_true());
    json_object_set_new(o, "hash", json_string(h));
    json_object_set_new(o, "tree", json_string(tree));
    json_object_set_new(o, "input_hash", json_string(ih));
    json_object_set_new(o, "fuel_used", json_integer((json_int_t)a->fuel_used));
    json_object_set_new(o, "signature", json_string(sig));
    json_object_set_new(o, "signer", json_string(pk));
    if (a->sealed) json_object_set_new(o, "sealed", json_true());
    free(tree);
    json_t *out = json_stringn((const char *)a->output, a->output_len);
    if (out) {
        json_object_set_new(o, "output", out);
    } else {
        char *b = base64(a->output, a->output_len);
        if (!b) {
            json_decref(o);
            return ESGX_CLI_E_FAILED;
        }
        json_object_set_new(o, "output_base64", json_string(b));
        free(b);
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text) return ESGX_CLI_E_FAILED;
    puts(text);
    free(text);
    return 0;
}

int cli_parse_network_key(const char *text, uint8_t key[33], esgx_err *err)
{
    size_t len = strlen(text);
    if (len > 4 && !strncmp(text, "xpub", 4)) {
        esgx_bip32_key k;
        esgx_err e2;
        if (esgx_bip32_key_parse(text, len, &k, &e2))
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "network key: not a valid xpub: %s", e2.msg);
        memcpy(key, k.public_key, 33);
        esgx_bip32_key_wipe(&k);
        return 0;
    }
    uint8_t raw[65];
    size_t n = 0;
    if ((len != 66 && len != 130) || esgx_crypto_hex_decode(text, len, raw, sizeof raw, &n, NULL))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "network key: expected 66 hex characters (compressed "
                                     "secp256k1 key), 130, or an xpub");
    esgx_err e2;
    if (esgx_ec_pubkey_normalize(raw, n, key, &e2))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "network key: %s", e2.msg);
    return 0;
}
