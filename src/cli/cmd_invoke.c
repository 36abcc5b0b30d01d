/*
 * cmd_invoke.c: `esgx invoke` (call a function and verify the answer) and `esgx verify`
 * (the same checks offline, on a saved answer and its request).
 *
 * invoke always sends POST /services/3 with every field explicit, fuel included, so that
 * the request alone determines input_hash: --fuel N, else the node's limit as reported
 * by GET /health ("fuel_limit"), else esgxd's default limit 10^9. A NAME is first
 * resolved to its signed record with GET /functions/NAME (public, no token), verified
 * (the owner's signature, the pinned network key, the name) and checked against the
 * owner pinned for it (cli_names.c: known_owners, refusing another owner unless reached
 * by signed transfers, and rollbacks), so the CLI knows which module and which record
 * it asked for instead of trusting the node's registry; it then calls
 * POST /functions/NAME?function=F&fuel=N with the input as the body, and the answer
 * must be bound to that record's name, owner and seq (header and input_hash).
 * --input-file sends any bytes as "input_base64" (the input_hash is over the raw bytes);
 * --input sends its text as "input".
 * Nothing of the output reaches stdout before cli_answer_verify accepted it; a rejected
 * answer exits 1 with the name of the failed check. --save / --save-request keep the
 * raw answer and the exact request for `esgx verify`. --seal makes a sealed call
 * (cli_seal.c): the input travels sealed, the output is opened only after it verified.
 */
#include "cli.h"
#include "cli_node.h"
#include "cli_seal.h"
#include "esgx_proto.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esgx_crypto.h"

/* The largest --input-file read, and the largest answer accepted from the node. */
#define INPUT_MAX ((size_t)64 << 20)
#define ANSWER_MAX ((size_t)96 << 20)

static const char invoke_usage[] =
    "usage: esgx invoke HASH|NAME [--input STR | --input-file FILE] [--decrypt]\n"
    "                   [--function NAME] [--fuel N] [--owner PUBKEY] [--seal] [--json]\n"
    "                   [--save FILE] [--save-request FILE]\n"
    "  Call a function on the logged-in node, verify the answer (output hash, tree,\n"
    "  input_hash, signature by the pinned network key) and only then print the output.\n"
    "options:\n"
    "  HASH               64 hex characters: the module's content hash\n"
    "  NAME               a deployed function name: its signed record (GET\n"
    "                     /functions/NAME) must verify and its owner match the one pinned\n"
    "                     for it at first use (known_owners; no rollback to an older seq)\n"
    "  --input STR        input data (UTF-8 text); default empty\n"
    "  --input-file FILE  input data from FILE ('-' = stdin); any bytes\n"
    "  --decrypt          the content under HASH is encrypted to the network key\n"
    "                     (a NAME carries its own flag)\n"
    "  --function NAME    export to call (default main)\n"
    "  --fuel N           fuel limit (default: the node's limit from /health, else 10^9)\n"
    "  --owner PUBKEY     a NAME must be owned by this developer key (66 hex characters)\n"
    "  --seal             sealed call: the input travels encrypted to the network key\n"
    "                     and the output comes back encrypted to this call's key; it is\n"
    "                     opened (and printed) only after the answer verified\n"
    "  --json             print one JSON line (header fields, signer, output)\n"
    "  --save FILE        also write the raw answer (header line, \\r\\n, output) to FILE\n"
    "  --save-request FILE  also write the request JSON that was sent to FILE\n"
    "  -h, --help         this help\n"
    "exit: 0 verified, 1 rejected (the failed check is named) or refused by the node,\n"
    "      2 usage, 3 network error or node failure\n";

static const char verify_usage[] =
    "usage: esgx verify --request REQ.json --response FILE [--network-key KEY]\n"
    "                   [--fuel-limit N] [--json | --print-output]\n"
    "  Check offline that FILE (a saved /services/3 answer) answers REQ.json (the\n"
    "  request: hash, decrypt, function, input, fuel) and is signed by the network key.\n"
    "options:\n"
    "  --network-key KEY  66 hex characters or an xpub; default: the key pinned by login\n"
    "  --fuel-limit N     the node's fuel limit, used when REQ.json has no \"fuel\"\n"
    "                     (default 1000000000, esgxd's default)\n"
    "  --json             print the verified answer as one JSON line\n"
    "  --print-output     print the output bytes instead of a summary\n"
    "  -h, --help         this help\n"
    "exit: 0 verified, 1 rejected (the failed check is named) or unreadable, 2 usage\n";

/* After a 400 answer to an invocation by hash: when the node could not read the module
 * (invalid_module without --decrypt, decrypt_failed with it), looks at the stored bytes
 * (GET /content/HASH, open to everybody) and says which way the flag should go: content
 * encrypted to the network key is ECIES, which starts with an uncompressed secp256k1
 * point (0x04 and 64 bytes); a WebAssembly module starts with \0asm. */
static void decrypt_hint(const cli_config *cfg, const cli_service_request *rq,
                         const cli_http_response *rs)
{
    json_t *j = json_loadb((const char *)rs->body, rs->len, 0, NULL);
    const char *code = json_string_value(json_object_get(j, "code"));
    int unreadable = code && esgx_proto_result_code_find(code, strlen(code)) ==
                                 (rq->decrypt ? ESGX_RC_DECRYPT_FAILED : ESGX_RC_INVALID_MODULE);
    json_decref(j);
    if (rs->status != 400 || !unreadable) return;
    char path[80], url[1200];
    snprintf(path, sizeof path, "/content/%s", rq->hash_hex);
    if (cli_url(cfg->node, path, url, sizeof url)) return;
    cli_http_request hr = {.method = "GET", .url = url};
    cli_http_response c;
    if (cli_http(&hr, &c, NULL)) return;
    int ecies = c.status == 200 && c.len > ESGX_ECIES_OVERHEAD && c.body[0] == 0x04;
    int wasm = c.status == 200 && c.len >= 4 && !memcmp(c.body, "\0asm", 4);
    cli_http_response_free(&c);
    if (!rq->decrypt && ecies)
        cli_hint("the content under %.16s... is encrypted to the network key (it starts with "
                 "an ECIES public key): add --decrypt", rq->hash_hex);
    else if (rq->decrypt && wasm)
        cli_hint("the content under %.16s... is a plain WebAssembly module, not encrypted: "
                 "drop --decrypt", rq->hash_hex);
}

/* The node's fuel limit from GET /health, or the default. Network errors are reported
 * by the invocation that follows, so they are ignored here. */
static uint64_t node_fuel_limit(const cli_config *cfg)
{
    char url[1200];
    if (cli_url(cfg->node, "/health", url, sizeof url)) return ESGX_DEFAULT_FUEL;
    cli_http_request rq = {.method = "GET", .url = url};
    cli_http_response rs;
    uint64_t v = ESGX_DEFAULT_FUEL;
    if (cli_http(&rq, &rs, NULL)) return v;
    if (rs.status == 200 || rs.status == 503) {   /* an unavailable node still says it */
        json_t *j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
        json_t *f = json_object_get(j, "fuel_limit");
        if (json_is_integer(f) && json_integer_value(f) > 0)
            v = (uint64_t)json_integer_value(f);
        json_decref(j);
    }
    cli_http_response_free(&rs);
    return v;
}

/* The name's record, verified and owner-checked (cli_names.c), into rq's by-name
 * binding, hash and decrypt flag. Returns CLI_EXIT_OK or an exit status with the error
 * printed. */
static int resolve_name(const cli_config *cfg, const char *name, const char *owner,
                        cli_service_request *rq)
{
    if (!esgx_proto_name_valid(name, strlen(name))) {
        cli_error("'%s' is neither a 64-hex-character hash nor a function name", name);
        return CLI_EXIT_USAGE;
    }
    esgx_name_record *rec = malloc(sizeof *rec);
    if (!rec) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    int rc = cli_record_fetch(cfg, name, rec, NULL, NULL);
    if (rc == CLI_RECORD_NONE) {
        cli_error("%s has no function named '%s' (see esgx functions list)", cfg->node, name);
        size_t n = strlen(name);
        if (n >= 6 && n < 64 && strspn(name, "0123456789abcdef") == n)   /* a shortened hash? */
            cli_hint("'%s' looks like the start of a hash: a hash is all 64 hex characters "
                     "(esgx functions list shows them); a shorter one is taken as a name", name);
        rc = CLI_EXIT_FAIL;
    }
    if (!rc) rc = cli_owner_check(cfg, rec, owner);
    if (!rc) {
        memcpy(rq->hash, rec->module_hash, 32);
        esgx_crypto_hex_encode(rec->module_hash, 32, rq->hash_hex);
        rq->decrypt = rec->encrypted;
        rq->by_name = 1;
        memcpy(rq->name, rec->name, rec->name_len + 1);
        memcpy(rq->owner, rec->owner, 33);
        rq->seq = rec->seq;
    }
    free(rec);
    return rc;
}

/* URL + "/functions/NAME?function=F&fuel=N" (F percent-encoded) into out. 0 or -1. */
static int by_name_url(const cli_config *cfg, const cli_service_request *rq, char *out, size_t cap)
{
    char path[1200];
    size_t n = (size_t)snprintf(path, sizeof path, "/functions/%s?function=", rq->name);
    for (size_t i = 0; i < rq->function_len && n + 4 < sizeof path; i++) {
        unsigned char ch = (unsigned char)rq->function[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~')
            path[n++] = (char)ch;
        else
            n += (size_t)snprintf(path + n, sizeof path - n, "%%%02X", ch);
    }
    path[n] = 0;
    if (n + 32 >= sizeof path) return -1;
    snprintf(path + n, sizeof path - n, "&fuel=%llu", (unsigned long long)rq->fuel);
    return cli_url(cfg->node, path, out, cap);
}

/* The request JSON with the input as "input_base64" (any bytes), NULL when out of
 * memory. */
static char *request_json_base64(const cli_service_request *rq)
{
    cli_service_request t = *rq;
    t.input = NULL;
    t.input_len = 0;
    char *base = cli_request_json(&t);
    json_t *o = base ? json_loads(base, 0, NULL) : NULL;
    free(base);
    char *b64 = malloc((rq->input_len + 2) / 3 * 4 + 1);
    char *text = NULL;
    if (o && b64) {
        EVP_EncodeBlock((unsigned char *)b64, rq->input ? rq->input : (const uint8_t *)"",
                        (int)rq->input_len);
        json_object_del(o, "input");
        if (!json_object_set_new(o, "input_base64", json_string(b64)))
            text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    free(b64);
    json_decref(o);
    return text;
}

/* Raw output bytes; on a terminal a missing final newline is added so that the prompt
 * does not stick to the output (pipes and files get the exact bytes). */
static void print_output(const cli_answer *a)
{
    fwrite(a->output, 1, a->output_len, stdout);
    if (a->output_len && a->output[a->output_len - 1] != '\n' && isatty(STDOUT_FILENO))
        putchar('\n');
    fflush(stdout);
}

/* Parses and verifies a 200 answer for rq (then, for a sealed call, opens its output)
 * and prints the output or its JSON; nothing reaches stdout before every check passed.
 * Returns a CLI exit status (the reason printed, run code "rejected"). */
static int answer_check_print(const cli_http_response *rs, const cli_service_request *rq,
                              const uint8_t network_key[33], cli_seal *sl, int as_json,
                              cli_answer *ans)
{
    esgx_err err;
    uint8_t signer[33];
    if (cli_answer_parse(rs->body, rs->len, ans, &err) ||
        cli_answer_verify(ans, rq, rq->fuel, network_key, signer, &err) ||
        (rq->sealed && cli_seal_open(sl, ans, &err))) {   /* verified: now open it */
        cli_error_code("rejected");
        cli_error("answer rejected: %s", err.msg);
        return CLI_EXIT_FAIL;
    }
    if (as_json) return cli_answer_print_json(ans, signer) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    print_output(ans);
    return CLI_EXIT_OK;
}

typedef struct invoke_opts {
    const char *input, *input_file, *function, *save, *save_request, *owner;
    uint64_t fuel;
    int decrypt, json, seal;
} invoke_opts;

const cli_option cli_options_invoke[] = {
    CLI_OPT_ROW("--input", CLI_OPT_STRING, invoke_opts, input),
    CLI_OPT_ROW("--input-file", CLI_OPT_STRING, invoke_opts, input_file),
    CLI_OPT_ROW("--decrypt", CLI_OPT_FLAG, invoke_opts, decrypt),
    CLI_OPT_ROW("--function", CLI_OPT_STRING, invoke_opts, function),
    {.name = "--fuel", .kind = CLI_OPT_U64, .offset = offsetof(invoke_opts, fuel), .min = 1,
     .max = UINT64_MAX, .wants = "a positive integer"},
    CLI_OPT_ROW("--owner", CLI_OPT_STRING, invoke_opts, owner),
    CLI_OPT_ROW("--seal", CLI_OPT_FLAG, invoke_opts, seal),
    CLI_OPT_ROW("--json", CLI_OPT_FLAG, invoke_opts, json),
    CLI_OPT_ROW("--save", CLI_OPT_STRING, invoke_opts, save),
    CLI_OPT_ROW("--save-request", CLI_OPT_STRING, invoke_opts, save_request),
    CLI_OPT_END,
};

int cmd_invoke(int argc, char **argv)
{
    invoke_opts o = {0};   /* fuel 0: not given (--fuel is at least 1) */
    const char *target = NULL;
    size_t n_pos;
    int prc = cli_parse_options("invoke", &o, argc, argv, &target, 1, &n_pos);
    if (prc == 1) fputs(invoke_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    const char *input = o.input, *input_file = o.input_file, *function = o.function;
    const char *save = o.save, *save_req = o.save_request;
    int decrypt = o.decrypt, as_json = o.json;
    if (!target) return cli_usage_error("invoke", "HASH or NAME is required");
    if (input && input_file)
        return cli_usage_error("invoke", "give --input or --input-file, not both");
    cli_service_request rq;
    memset(&rq, 0, sizeof rq);
    if (o.fuel) {
        rq.fuel = o.fuel;
        rq.has_fuel = 1;
    }
    size_t fl = function ? strlen(function) : 4;
    if (fl < 1 || fl > 255)
        return cli_usage_error("invoke", "--function must be 1 to 255 bytes");
    memcpy(rq.function, function ? function : "main", fl + 1);
    rq.function_len = fl;
    int by_hash = esgx_proto_hash_text_valid(target, strlen(target));
    if (o.owner && (by_hash || strlen(o.owner) != 66 ||
                    !esgx_proto_hash_text_valid(o.owner, 64) ||
                    !esgx_proto_hash_text_valid(o.owner + 2, 64)))
        return cli_usage_error("invoke", by_hash ? "--owner goes with a NAME, not a hash"
                                                 : "--owner must be 66 lowercase hex characters "
                                                   "(a compressed public key)");

    cli_config cfg;
    if (cli_config_require(&cfg, 1)) return CLI_EXIT_FAIL;
    uint8_t network_key[33];
    esgx_err err;
    int rc = CLI_EXIT_FAIL;
    char *body = NULL;
    cli_http_response rs = {0};
    cli_answer ans = {0};
    cli_seal sl = {0};
    if (cli_parse_network_key(cfg.network_key, network_key, &err)) {
        cli_error("pinned %s (run esgx login again)", err.msg);
        goto out;
    }
    if (by_hash) {
        memcpy(rq.hash_hex, target, 65);
        rq.decrypt = decrypt;
        (void)!esgx_crypto_hex_decode(rq.hash_hex, 64, rq.hash, 32, NULL, NULL); /* checked */
    } else {
        rc = resolve_name(&cfg, target, o.owner, &rq);
        if (rc) goto out;
        rc = CLI_EXIT_FAIL;
    }
    if (input_file) {
        if (cli_read_file(input_file, INPUT_MAX, &rq.input, &rq.input_len, &err)) {
            cli_error("%s", err.msg);
            goto out;
        }
    } else if (input) {
        rq.input_len = strlen(input);
        rq.input = malloc(rq.input_len + 1);
        if (!rq.input) goto out;
        memcpy(rq.input, input, rq.input_len + 1);
    }
    if (!rq.has_fuel) {
        rq.fuel = node_fuel_limit(&cfg);
        rq.has_fuel = 1;
    }
    if (o.seal && cli_seal_request(&sl, &rq, network_key, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    body = input_file && !rq.sealed ? request_json_base64(&rq) : cli_request_json(&rq);
    if (!body && input_file) {
        cli_error("out of memory building the request");
        goto out;
    }
    if (!body) {
        cli_error("the input must be UTF-8 text without NUL bytes (it travels as a JSON string)");
        goto out;
    }
    if (save_req && cli_write_file(save_req, (const uint8_t *)body, strlen(body), 0644, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    char url[1600];
    cli_http_request hr = {.method = "POST", .url = url, .content_type = "application/json",
                           .body = (const uint8_t *)body, .body_len = strlen(body),
                           .max_response = ANSWER_MAX};
    if (by_hash) {
        cli_url(cfg.node, "/services/3", url, sizeof url);
    } else {   /* by name: the input is the body, the record the node holds goes along */
        if (by_name_url(&cfg, &rq, url, sizeof url)) {
            cli_error("URL too long");
            goto out;
        }
        hr.content_type = "application/octet-stream";
        hr.body = rq.input ? rq.input : (const uint8_t *)"";   /* sealed bytes if sealed */
        hr.body_len = rq.input_len;
        if (rq.sealed) hr.header = "X-Esgx-Sealed: 1";
    }
    if (cli_http(&hr, &rs, &err)) {
        cli_error("%s", err.msg);
        rc = CLI_EXIT_NETWORK;
        goto out;
    }
    if (rs.status != 200) {
        char d[300];
        cli_http_describe(&rs, d, sizeof d);
        cli_error("POST %s: %s", url, d);
        if (by_hash) decrypt_hint(&cfg, &rq, &rs);
        rc = rs.status >= 500 ? CLI_EXIT_NETWORK : CLI_EXIT_FAIL;
        goto out;
    }
    if (save && cli_write_file(save, rs.body, rs.len, 0644, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    rc = answer_check_print(&rs, &rq, network_key, &sl, as_json, &ans);
out:
    cli_seal_free(&sl);
    cli_answer_free(&ans);
    cli_http_response_free(&rs);
    free(body);
    cli_request_free(&rq);
    esgx_crypto_wipe(&cfg, sizeof cfg);
    return rc;
}

typedef struct verify_opts {
    const char *request, *response, *network_key;
    uint64_t fuel_limit;
    int json, print_output;
} verify_opts;

const cli_option cli_options_verify[] = {
    CLI_OPT_ROW("--request", CLI_OPT_STRING, verify_opts, request),
    CLI_OPT_ROW("--response", CLI_OPT_STRING, verify_opts, response),
    CLI_OPT_ROW("--network-key", CLI_OPT_STRING, verify_opts, network_key),
    {.name = "--fuel-limit", .kind = CLI_OPT_U64, .offset = offsetof(verify_opts, fuel_limit),
     .min = 1, .max = UINT64_MAX, .wants = "a positive integer"},
    CLI_OPT_ROW("--json", CLI_OPT_FLAG, verify_opts, json),
    CLI_OPT_ROW("--print-output", CLI_OPT_FLAG, verify_opts, print_output),
    CLI_OPT_END,
};

int cmd_verify(int argc, char **argv)
{
    verify_opts o = {.fuel_limit = ESGX_DEFAULT_FUEL};
    size_t n_pos;
    int prc = cli_parse_options("verify", &o, argc, argv, NULL, 0, &n_pos);
    if (prc == 1) fputs(verify_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    const char *req_file = o.request, *resp_file = o.response, *key_text = o.network_key;
    int as_json = o.json, print_out = o.print_output;
    if (!req_file || !resp_file)
        return cli_usage_error("verify", "--request and --response are required");
    if (as_json && print_out)
        return cli_usage_error("verify", "give --json or --print-output, not both");
    uint64_t fuel_limit = o.fuel_limit;

    uint8_t key[33];
    esgx_err err;
    if (key_text) {
        if (cli_parse_network_key(key_text, key, &err))
            return cli_usage_error("verify", "--network-key: %s", err.msg);
    } else {
        cli_config cfg;
        int bad = cli_config_require(&cfg, 1) ||
                  cli_parse_network_key(cfg.network_key, key, &err);
        esgx_crypto_wipe(&cfg, sizeof cfg);
        if (bad) {
            cli_error("no usable pinned network key: give --network-key KEY");
            return CLI_EXIT_FAIL;
        }
    }
    int rc = CLI_EXIT_FAIL;
    uint8_t *req_text = NULL, *resp = NULL;
    size_t req_len = 0, resp_len = 0;
    cli_service_request rq = {0};
    cli_answer ans = {0};
    int have_rq = 0;
    if (cli_read_file(req_file, INPUT_MAX * 2, &req_text, &req_len, &err) ||
        cli_read_file(resp_file, ANSWER_MAX, &resp, &resp_len, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (cli_request_parse(req_text, req_len, &rq, &err)) {
        cli_error("%s: %s", req_file, err.msg);
        goto out;
    }
    have_rq = 1;
    if (cli_answer_parse(resp, resp_len, &ans, &err)) {
        cli_error("answer rejected: %s", err.msg);
        goto out;
    }
    uint8_t signer[33];
    if (cli_answer_verify(&ans, &rq, fuel_limit, key, signer, &err)) {
        cli_error_code("rejected");
        cli_error("answer rejected: %s", err.msg);
        goto out;
    }
    if (as_json) {
        if (cli_answer_print_json(&ans, signer)) goto out;
    } else if (print_out) {
        print_output(&ans);
    } else {
        char pk[67];
        esgx_crypto_hex_encode(signer, 33, pk);
        printf("verified: %zu output bytes, fuel_used %llu, signed by network key %s\n",
               ans.output_len, (unsigned long long)ans.fuel_used, pk);
    }
    rc = CLI_EXIT_OK;
out:
    cli_answer_free(&ans);
    if (have_rq) cli_request_free(&rq);
    free(req_text);
    free(resp);
    return rc;
}
