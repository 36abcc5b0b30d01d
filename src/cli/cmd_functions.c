/*
 * cmd_functions.c: `esgx functions deploy|list|delete|transfer`.
 *
 * deploy: checks the file is a module a node can run (cli_check_module: magic, decode and
 * validation by the runtime, imports of the guest ABI; refused before any upload), encrypts it with ECIES
 * to the pinned network key unless --no-encrypt (as Fleek's CLI does: only enclaves can
 * read the code), uploads it to POST /content with a progress bar, checks that the hash
 * the node reports is the BLAKE3 of the bytes we sent, points the name at it with
 * PUT /functions/NAME {"record", "logs"}: a name record (network, name, hash, encrypted,
 * seq, owner) signed with the developer key (cli_names.c), seq one above the current
 * record's or pending transfer's (GET /functions/NAME), and prints the hash, the invoke
 * URL and a curl line ready to paste. The name's owner is then pinned for this CLI. ECIES uses a fresh ephemeral key, so each encrypted deploy
 * of the same file gets a new hash; --no-encrypt gives the file's own BLAKE3.
 * cli_deploy_file does this for `esgx functions deploy --path` and the project commands
 * (cli_project.h); with a state file it reuses the hash of an unchanged module.
 * list / delete: GET /functions, DELETE /functions/NAME, with the stored token.
 * transfer: signs a transfer of NAME to another developer key (seq above the current
 * record's) and posts it to POST /functions/NAME/transfer.
 */
#include "cli.h"
#include "cli_node.h"
#include "cli_project.h"
#include "esgx_proto.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esgx_crypto.h"

#define DEPLOY_MAX_FILE ((size_t)64 << 20)

static const char functions_usage[] =
    "usage: esgx functions deploy --name NAME --path FILE.wasm [--no-encrypt]\n"
    "                             [--progress | --no-progress] [--logs] [--json] [--sgx]\n"
    "       esgx functions deploy --name NAME --url URL [--encrypted] [--logs] [--json]\n"
    "       esgx functions list [--json]\n"
    "       esgx functions delete NAME\n"
    "       esgx functions transfer NAME --to PUBKEY\n"
    "  deploy  check FILE is WebAssembly, encrypt it to the pinned network key (unless\n"
    "          --no-encrypt), upload it, point NAME at it; prints the BLAKE3 hash, the\n"
    "          invoke URL and a curl line. With --url the node fetches the module\n"
    "          from an origin (https://, http:// or ipfs://CID; a node of a network,\n"
    "          esgxd --etcd) and records it; --encrypted says the origin serves it\n"
    "          encrypted to the network key. --logs: the node keeps the function's\n"
    "          recent debug output (esgx logs NAME). --sgx is accepted for Fleek's\n"
    "          command line: every esgx function runs in SGX (a note says so)\n"
    "  list    the node's functions: NAME SEQ OWNER HASH DECRYPT CREATED\n"
    "  delete  remove NAME (the content stays stored; its owner is unbound)\n"
    "  transfer  give NAME to the developer key PUBKEY (66 hex characters): signed\n"
    "          with your developer key; the next deploy must be signed by PUBKEY\n"
    "Every deploy signs a name record with your developer key (esgx keys): the first\n"
    "deploy of NAME makes that key its owner; another key's deploy is refused.\n"
    "NAME: 1 to 64 characters from A-Z a-z 0-9 . _ -\n"
    "Needs 'esgx login --node URL --token-file DATA_DIR/admin.token' first.\n"
    "exit: 0 done, 1 refused (bad file, unknown name, bad token), 2 usage, 3 network error\n";

static int valid_name(const char *s)
{
    return esgx_proto_name_valid(s, strlen(s));
}

/* Runs one request against the configured node; on success *rs holds a 2xx answer.
 * Returns a CLI exit status (messages printed). */
#define DEPLOY_GONE 100   /* call_opt with quiet_404: the answer was 404, nothing printed */

static int call_opt(const cli_config *cfg, const char *method, const char *path,
                    const char *ctype, const uint8_t *body, size_t len, int progress,
                    int quiet_404, cli_http_response *rs)
{
    char url[1400];
    if (cli_url(cfg->node, path, url, sizeof url)) {
        cli_error("URL too long");
        return CLI_EXIT_FAIL;
    }
    cli_http_request rq = {.method = method, .url = url, .token = cfg->token,
                           .content_type = ctype, .body = body, .body_len = len,
                           .progress = progress};
    esgx_err err;
    if (cli_http(&rq, rs, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_NETWORK;
    }
    if (rs->status == 404 && quiet_404) {
        cli_http_response_free(rs);
        return DEPLOY_GONE;
    }
    if (rs->status / 100 != 2) {
        char d[300];
        cli_http_describe(rs, d, sizeof d);
        cli_error("%s %s: %s", method, url, d);
        int st = rs->status;
        cli_http_response_free(rs);
        if (st == 401 || st == 403 || st == 404 || st == 400 || st == 409 || st == 413)
            return CLI_EXIT_FAIL;
        return CLI_EXIT_NETWORK;
    }
    return CLI_EXIT_OK;
}

static int call(const cli_config *cfg, const char *method, const char *path,
                const char *ctype, const uint8_t *body, size_t len, int progress,
                cli_http_response *rs)
{
    return call_opt(cfg, method, path, ctype, body, len, progress, 0, rs);
}

static int need_token(const cli_config *cfg)
{
    if (cfg->token[0]) return 0;
    cli_error("no admin token stored: run 'esgx login --node %s --token-file "
              "DATA_DIR/admin.token' (the node's data folder)", cfg->node);
    return ESGX_CLI_E_FAILED;
}

/* The body of PUT /functions/NAME: {"record": <name record signed with the developer
 * key>, "logs": bool}. seq is one above the current record's or pending transfer's
 * (GET /functions/NAME; 1 for a new name). *seq and owner get what was signed;
 * old_hash (65 bytes) the hash the current record names ("" for a new name).
 * Returns a CLI exit status (messages printed). */
static int signed_body(const cli_config *cfg, const char *name, const char *hash_hex,
                       int encrypt, int logs, char **body, uint64_t *seq, uint8_t owner[33],
                       char old_hash[65])
{
    old_hash[0] = 0;
    uint8_t sk[32];
    int created;
    esgx_err err;
    if (cli_devkey_ensure(sk, owner, &created, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    if (created) {
        char hex[67], path[4200];
        esgx_crypto_hex_encode(owner, 33, hex);
        cli_devkey_path(path, sizeof path, NULL);
        fprintf(stderr, "esgx: made developer key %s (%s): it signs your function names; "
                "back it up\n", hex, path);
    }
    esgx_name_record *rec = calloc(1, sizeof *rec);
    esgx_name_transfer pending;
    int has_pending = 0, rc = CLI_EXIT_FAIL;
    char *json = malloc(ESGX_NAME_RECORD_JSON_MAX);
    if (!rec || !json) {
        cli_error("out of memory");
        goto out;
    }
    rc = cli_record_fetch(cfg, name, rec, &pending, &has_pending);
    if (rc == CLI_RECORD_NONE) *seq = 1;
    else if (rc) goto out;
    else *seq = (has_pending && pending.seq > rec->seq ? pending.seq : rec->seq) + 1;
    if (rc == CLI_EXIT_OK) esgx_crypto_hex_encode(rec->module_hash, 32, old_hash);
    rc = CLI_EXIT_FAIL;
    memset(rec, 0, sizeof *rec);
    snprintf(rec->name, sizeof rec->name, "%s", name);
    rec->name_len = strlen(name);
    rec->encrypted = (uint8_t)(encrypt != 0);
    rec->seq = *seq;
    size_t len;
    if (cli_parse_network_key(cfg->network_key, rec->network, &err) ||
        esgx_crypto_hex_decode(hash_hex, 64, rec->module_hash, 32, NULL, &err) ||
        esgx_name_record_sign(rec, sk, &err) ||
        esgx_name_record_format(rec, json, ESGX_NAME_RECORD_JSON_MAX, &len, &err)) {
        cli_error("signing the record of '%s': %s", name, err.msg);
        goto out;
    }
    size_t cap = len + 64;
    *body = malloc(cap);
    if (!*body) {
        cli_error("out of memory");
        goto out;
    }
    snprintf(*body, cap, "{\"record\":%s,\"logs\":%s}", json, logs ? "true" : "false");
    rc = CLI_EXIT_OK;
out:
    esgx_crypto_wipe(sk, sizeof sk);
    free(rec);
    free(json);
    return rc;
}

/* PUT /functions/NAME -> hash, then prints what was deployed (what: the file or URL).
 * uploaded = 0: the hash is reused from an earlier upload; if the node answers 404 (it
 * no longer holds it) nothing is printed and DEPLOY_GONE is returned.
 * Returns a CLI exit status. */
static int point_name(const cli_config *cfg, const char *name, const char *want_hex, int encrypt,
                      int logs, int seal, size_t body_len, const char *what, int as_json,
                      int uploaded)
{
    cli_http_response rs = {0};
    uint64_t seq;
    uint8_t owner[33];
    char *put_body = NULL, old_hash[65];
    int src = signed_body(cfg, name, want_hex, encrypt, logs, &put_body, &seq, owner,
                          old_hash);
    if (src) return src;
    char fpath[100];
    snprintf(fpath, sizeof fpath, "/functions/%s", name);
    int rc = call_opt(cfg, "PUT", fpath, "application/json", (const uint8_t *)put_body,
                      strlen(put_body), 0, !uploaded, &rs);
    free(put_body);
    cli_http_response_free(&rs);
    if (rc) return rc;
    cli_owner_pin(cfg, name, owner, seq);
    if (old_hash[0] && strcmp(old_hash, want_hex))   /* sealed data names the hash */
        fprintf(stderr, "note: '%s' moved from hash %.16s... to %.16s...: data sealed to the "
                "old hash does not open in the new one (shared_key_unseal returns -6, not "
                "approved; derived keys differ). Encrypted deploys of the same file get a "
                "new hash each time; esgx deploy keeps the hash of unchanged code\n",
                name, old_hash, want_hex);
    char owner_hex[67];
    esgx_crypto_hex_encode(owner, 33, owner_hex);
    char invoke_url[1200], services_url[1200];
    cli_url(cfg->node, fpath, invoke_url, sizeof invoke_url);
    cli_url(cfg->node, "/services/3", services_url, sizeof services_url);
    if (as_json) {
        json_t *o = json_pack("{s:s, s:s, s:b, s:I, s:s, s:b, s:I, s:s}", "name", name, "hash",
                              want_hex, "decrypt", encrypt, "size", (json_int_t)body_len,
                              "invoke_url", invoke_url, "uploaded", uploaded, "seq",
                              (json_int_t)seq, "owner", owner_hex);
        if (o && seal) json_object_set_new(o, "seal", json_true());
        char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(o);
        if (t) puts(t);
        free(t);
    } else {
        if (uploaded)
            printf("uploaded %s (%zu bytes%s)\n", what, body_len,
                   encrypt ? ", encrypted to the network key" : ", not encrypted");
        else
            printf("unchanged since the last deploy: %s keeps its hash, nothing uploaded\n", what);
        printf("hash %s\n", want_hex);
        printf("deployed %s\n", name);
        printf("record seq %llu signed by developer key %s\n", (unsigned long long)seq,
               owner_hex);
        printf("invoke %s\n", invoke_url);
        if (seal)   /* a curl line would send the input in the clear */
            printf("call it sealed: esgx invoke %s --seal --input 'your input'\n", name);
        else
            printf("curl -sS %s --data '{\"hash\": \"%s\", \"decrypt\": %s, \"input\": \"foo\"}'\n",
               services_url, want_hex, encrypt ? "true" : "false");
    }
    return CLI_EXIT_OK;
}

/* deploy --url: the node fetches the module from an origin (POST /content {"url"}). */
static int deploy_url(const cli_config *cfg, const char *name, const char *url, int encrypted,
                      int logs, int as_json)
{
    json_t *o = json_pack("{s:s}", "url", url);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!body) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    cli_http_response rs = {0};
    int rc = call(cfg, "POST", "/content", "application/json", (const uint8_t *)body,
                  strlen(body), 0, &rs);
    free(body);
    if (rc) return rc;
    json_t *j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
    const char *hash = j ? json_string_value(json_object_get(j, "hash")) : NULL;
    json_int_t size = j ? json_integer_value(json_object_get(j, "size")) : 0;
    if (!hash || !esgx_proto_hash_text_valid(hash, strlen(hash))) {
        cli_error("POST %s/content: the answer has no \"hash\"", cfg->node);
        rc = CLI_EXIT_NETWORK;
    } else {
        rc = point_name(cfg, name, hash, encrypted, logs, 0, (size_t)size, url, as_json, 1);
    }
    json_decref(j);
    cli_http_response_free(&rs);
    return rc;
}

/* ------------------------------------------------------------ deploy of a file */

/* The state file of a project deploy: the last upload, "key = value" lines. */
typedef struct deploy_state {
    char node[1024], network_key[67], plain[65], hash[65];
    int encrypt;
} deploy_state;

/* Reads the state file at path into st. Returns 0, or ESGX_CLI_E_FAILED when it is
 * missing or incomplete (then nothing is reused). */
static int state_load(const char *path, deploy_state *st)
{
    memset(st, 0, sizeof *st);
    st->encrypt = -1;
    FILE *f = fopen(path, "r");
    if (!f) return ESGX_CLI_E_FAILED;
    char line[1200], key[32], val[1100];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%31s = %1099s", key, val) != 2) continue;
        size_t n = strlen(val);
        char *dst = !strcmp(key, "node") ? st->node
                    : !strcmp(key, "network_key") ? st->network_key
                    : !strcmp(key, "plain") ? st->plain : !strcmp(key, "hash") ? st->hash : NULL;
        size_t cap = !strcmp(key, "node") ? sizeof st->node : !strcmp(key, "network_key")
                                                                   ? sizeof st->network_key
                                                                   : sizeof st->hash;
        if (dst && n < cap) memcpy(dst, val, n + 1);
        else if (!strcmp(key, "encrypt")) st->encrypt = !strcmp(val, "true");
    }
    fclose(f);
    int complete = st->node[0] && st->plain[0] && st->encrypt >= 0 &&
                   esgx_proto_hash_text_valid(st->hash, strlen(st->hash));
    return complete ? 0 : ESGX_CLI_E_FAILED;
}

/* Writes the state file (warns on failure: the deploy itself succeeded). */
static void state_save(const char *path, const cli_config *cfg, int encrypt, const char *plain,
                       const char *hash)
{
    char text[1600];
    int n = snprintf(text, sizeof text,
                     "# esgx: the last upload of this project (docs/cli.md \"Projects\")\n"
                     "node = %s\nnetwork_key = %s\nencrypt = %s\nplain = %s\nhash = %s\n",
                     cfg->node, cfg->network_key[0] ? cfg->network_key : "-",
                     encrypt ? "true" : "false", plain, hash);
    esgx_err err;
    if (n < 0 || (size_t)n >= sizeof text ||
        cli_write_file(path, (const uint8_t *)text, (size_t)n, 0644, &err))
        cli_error("warning: cannot record the deploy in %s", path);
}

/* Encrypts (when d->encrypt), uploads and checks the hash the node reports; want_hex
 * gets the BLAKE3 of what was sent, *body_len its size. Returns a CLI exit status. */
static int upload(const cli_config *cfg, const cli_deploy *d, const uint8_t *wasm,
                  size_t wasm_len, char want_hex[65], size_t *body_len)
{
    int rc = CLI_EXIT_FAIL;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    cli_http_response rs = {0};
    json_t *j = NULL;
    esgx_err err;
    if (d->encrypt) {
        uint8_t key[33];
        if (cli_parse_network_key(cfg->network_key, key, &err)) {
            cli_error("pinned %s", err.msg);
            return CLI_EXIT_FAIL;
        }
        sealed_len = wasm_len + ESGX_ECIES_OVERHEAD;
        sealed = malloc(sealed_len);
        if (!sealed) {
            cli_error("out of memory");
            return CLI_EXIT_FAIL;
        }
        if (esgx_ecies_encrypt(key, 33, wasm, wasm_len, sealed, sealed_len, &sealed_len, &err)) {
            cli_error("encrypting %s: %s", d->path, err.msg);
            goto out;
        }
    }
    const uint8_t *body = d->encrypt ? sealed : wasm;
    *body_len = d->encrypt ? sealed_len : wasm_len;
    uint8_t want[32];
    esgx_blake3_hash(body, *body_len, want);
    esgx_crypto_hex_encode(want, 32, want_hex);
    rc = call(cfg, "POST", "/content", "application/octet-stream", body, *body_len,
              d->progress, &rs);
    if (rc) goto out;
    rc = CLI_EXIT_FAIL;
    j = json_loadb((const char *)rs.body, rs.len, 0, NULL);
    const char *got = j ? json_string_value(json_object_get(j, "hash")) : NULL;
    if (!got) {
        cli_error("POST %s/content: the answer has no \"hash\"", cfg->node);
        rc = CLI_EXIT_NETWORK;
    } else if (strcmp(got, want_hex)) {
        cli_error("the node stored the upload under %s, but its BLAKE3 is %s", got, want_hex);
    } else {
        rc = CLI_EXIT_OK;
    }
out:
    json_decref(j);
    cli_http_response_free(&rs);
    free(sealed);
    return rc;
}

int cli_deploy_file(const cli_config *cfg, const cli_deploy *d, char *hash_out)
{
    uint8_t *wasm = NULL;
    size_t wasm_len = 0, body_len = 0;
    esgx_err err;
    if (cli_read_file(d->path, DEPLOY_MAX_FILE, &wasm, &wasm_len, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    int rc = CLI_EXIT_FAIL;
    if (cli_check_module(d->path, wasm, wasm_len, &err)) {
        cli_error("%s; nothing uploaded", err.msg);
        goto out;
    }
    uint8_t plain[32];
    char plain_hex[65], hash_hex[65];
    esgx_blake3_hash(wasm, wasm_len, plain);
    esgx_crypto_hex_encode(plain, 32, plain_hex);
    deploy_state st;
    if (d->state_path && state_load(d->state_path, &st) == 0 && !strcmp(st.node, cfg->node) &&
        !strcmp(st.network_key, cfg->network_key[0] ? cfg->network_key : "-") &&
        st.encrypt == d->encrypt && !strcmp(st.plain, plain_hex)) {
        rc = point_name(cfg, d->name, st.hash, d->encrypt, d->logs, d->seal,
                        wasm_len + (d->encrypt ? ESGX_ECIES_OVERHEAD : 0), d->path, d->as_json, 0);
        if (rc != DEPLOY_GONE) {
            if (rc == CLI_EXIT_OK && hash_out) memcpy(hash_out, st.hash, 65);
            goto out;
        }
    }
    rc = upload(cfg, d, wasm, wasm_len, hash_hex, &body_len);
    if (rc) goto out;
    rc = point_name(cfg, d->name, hash_hex, d->encrypt, d->logs, d->seal, body_len, d->path,
                    d->as_json, 1);
    if (rc == CLI_EXIT_OK && d->state_path)
        state_save(d->state_path, cfg, d->encrypt, plain_hex, hash_hex);
    if (rc == CLI_EXIT_OK && hash_out) memcpy(hash_out, hash_hex, 65);
out:
    esgx_crypto_wipe(wasm, wasm_len);
    free(wasm);
    return rc;
}

typedef struct deploy_opts {
    const char *name, *path, *url;
    int encrypt, progress, json, encrypted, logs, sgx;
} deploy_opts;

const cli_option cli_options_functions_deploy[] = {
    CLI_OPT_ROW("--name", CLI_OPT_STRING, deploy_opts, name),
    CLI_OPT_ROW("--path", CLI_OPT_STRING, deploy_opts, path),
    CLI_OPT_ROW("--url", CLI_OPT_STRING, deploy_opts, url),
    CLI_OPT_ROW("--encrypted", CLI_OPT_FLAG, deploy_opts, encrypted),
    CLI_OPT_ROW("--no-encrypt", CLI_OPT_UNSET, deploy_opts, encrypt),
    CLI_OPT_ROW("--progress", CLI_OPT_FLAG, deploy_opts, progress),
    CLI_OPT_ROW("--no-progress", CLI_OPT_UNSET, deploy_opts, progress),
    CLI_OPT_ROW("--logs", CLI_OPT_FLAG, deploy_opts, logs),
    CLI_OPT_ROW("--json", CLI_OPT_FLAG, deploy_opts, json),
    CLI_OPT_ROW("--sgx", CLI_OPT_FLAG, deploy_opts, sgx),
    CLI_OPT_END,
};

static int deploy(int argc, char **argv)
{
    deploy_opts o = {.encrypt = 1, .progress = -1};
    size_t n_pos;
    int prc = cli_parse_options("functions deploy", &o, argc, argv, NULL, 0, &n_pos);
    if (prc == 1) fputs(functions_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    const char *name = o.name, *path = o.path, *url = o.url;
    int encrypt = o.encrypt, progress = o.progress, as_json = o.json;
    int encrypted = o.encrypted, logs = o.logs;
    if (!name || !!path == !!url)
        return cli_usage_error("functions deploy",
                               "--name and one of --path or --url are required");
    if (encrypted && !url)
        return cli_usage_error("functions deploy", "--encrypted goes with --url");
    if (!valid_name(name))
        return cli_usage_error("functions deploy", "NAME must be 1 to 64 characters from "
                               "A-Z a-z 0-9 . _ -");
    if (o.sgx)   /* Fleek's flag: here there is no other kind of function */
        fprintf(stderr, "note: --sgx changes nothing: every esgx function runs in SGX\n");
    cli_config cfg;
    if (cli_config_require(&cfg, 1) || need_token(&cfg)) {
        esgx_crypto_wipe(&cfg, sizeof cfg);
        return CLI_EXIT_FAIL;
    }
    if (url) {
        int urc = deploy_url(&cfg, name, url, encrypted, logs, as_json);
        esgx_crypto_wipe(&cfg, sizeof cfg);
        return urc;
    }

    cli_deploy d = {.name = name, .path = path, .encrypt = encrypt, .logs = logs,
                    .progress = progress,
                    .as_json = as_json};
    int rc = cli_deploy_file(&cfg, &d, NULL);
    esgx_crypto_wipe(&cfg, sizeof cfg);
    return rc;
}

typedef struct list_opts {
    int json;
} list_opts;

const cli_option cli_options_functions_list[] = {
    CLI_OPT_ROW("--json", CLI_OPT_FLAG, list_opts, json),
    CLI_OPT_END,
};

static int list(int argc, char **argv)
{
    list_opts o = {0};
    size_t n_pos;
    int prc = cli_parse_options("functions list", &o, argc, argv, NULL, 0, &n_pos);
    if (prc == 1) fputs(functions_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    int as_json = o.json;
    cli_config cfg;
    if (cli_config_require(&cfg, 0) || need_token(&cfg)) return CLI_EXIT_FAIL;
    cli_http_response rs = {0};
    int rc = call(&cfg, "GET", "/functions", NULL, NULL, 0, 0, &rs);
    esgx_crypto_wipe(&cfg, sizeof cfg);
    if (rc) return rc;
    json_t *a = json_loadb((const char *)rs.body, rs.len, 0, NULL);
    if (!json_is_array(a)) {
        cli_error("GET /functions: the answer is not a JSON array");
        json_decref(a);
        cli_http_response_free(&rs);
        return CLI_EXIT_NETWORK;
    }
    if (as_json) {
        fwrite(rs.body, 1, rs.len, stdout);
        if (!rs.len || rs.body[rs.len - 1] != '\n') putchar('\n');
    } else {
        size_t i;
        json_t *f;
        if (json_array_size(a))
            printf("%-24s %-4s %-66s %-64s %-7s %s\n", "NAME", "SEQ", "OWNER", "HASH", "DECRYPT",
                   "CREATED");
        json_array_foreach(a, i, f) {
            const char *n = json_string_value(json_object_get(f, "name"));
            const char *h = json_string_value(json_object_get(f, "hash"));
            json_t *c = json_object_get(f, "created");
            char when[32] = "-";
            if (json_is_integer(c)) {
                time_t t = (time_t)json_integer_value(c);
                struct tm tm;
                if (gmtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
            }
            const char *ow = json_string_value(json_object_get(f, "owner"));
            printf("%-24s %-4lld %-66s %-64s %-7s %s\n", n ? n : "?",
                   (long long)json_integer_value(json_object_get(f, "seq")), ow && *ow ? ow : "-",
                   h && *h ? h : "-", json_is_true(json_object_get(f, "decrypt")) ? "yes" : "no",
                   when);
        }
    }
    json_decref(a);
    cli_http_response_free(&rs);
    return CLI_EXIT_OK;
}

/* delete takes NAME and no option. */
const cli_option cli_options_functions_delete[] = {CLI_OPT_END};

static int delete_fn(int argc, char **argv)
{
    const char *name = NULL;
    size_t n_pos;
    int prc = cli_parse_options("functions delete", NULL, argc, argv, &name, 1, &n_pos);
    if (prc == 1) fputs(functions_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    if (!name) return cli_usage_error("functions delete", "NAME is required");
    if (!valid_name(name))
        return cli_usage_error("functions delete", "NAME must be 1 to 64 characters from "
                               "A-Z a-z 0-9 . _ -");
    cli_config cfg;
    if (cli_config_require(&cfg, 0) || need_token(&cfg)) return CLI_EXIT_FAIL;
    char fpath[100];
    snprintf(fpath, sizeof fpath, "/functions/%s", name);
    cli_http_response rs = {0};
    int rc = call(&cfg, "DELETE", fpath, NULL, NULL, 0, 0, &rs);
    esgx_crypto_wipe(&cfg, sizeof cfg);
    if (rc) return rc;
    printf("deleted %s\n", name);
    cli_http_response_free(&rs);
    return CLI_EXIT_OK;
}

typedef struct transfer_opts {
    const char *to;
} transfer_opts;

const cli_option cli_options_functions_transfer[] = {
    CLI_OPT_ROW("--to", CLI_OPT_STRING, transfer_opts, to),
    CLI_OPT_END,
};

/* transfer NAME --to PUBKEY: a transfer signed with the developer key, which must own
 * NAME, at a seq above the record's and any pending transfer's. */
static int transfer_fn(int argc, char **argv)
{
    transfer_opts o = {0};
    const char *name = NULL;
    size_t n_pos;
    int prc = cli_parse_options("functions transfer", &o, argc, argv, &name, 1, &n_pos);
    if (prc == 1) fputs(functions_usage, stdout);
    if (prc == 1) return CLI_EXIT_OK;
    if (prc != ESGX_OK) return CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    if (!name || !o.to) return cli_usage_error("functions transfer", "NAME and --to PUBKEY are "
                                               "required");
    if (!valid_name(name))
        return cli_usage_error("functions transfer", "NAME must be 1 to 64 characters from "
                               "A-Z a-z 0-9 . _ -");
    esgx_name_transfer t;
    memset(&t, 0, sizeof t);
    size_t kn = 0;
    uint8_t raw[33];
    if (strlen(o.to) != 66 || esgx_crypto_hex_decode(o.to, 66, raw, 33, &kn, NULL) || kn != 33 ||
        esgx_ec_pubkey_normalize(raw, 33, t.to, NULL))
        return cli_usage_error("functions transfer", "--to must be a compressed public key (66 "
                               "hex characters, as 'esgx keys show' prints)");
    cli_config cfg;
    if (cli_config_require(&cfg, 1) || need_token(&cfg)) return CLI_EXIT_FAIL;
    uint8_t sk[32], pk[33], net[33];
    esgx_err err;
    int rc = CLI_EXIT_FAIL, has_pending = 0;
    esgx_name_record *rec = malloc(sizeof *rec);
    esgx_name_transfer pending;
    char *body = NULL, owner[67], mine[67], to[67], fpath[120];
    if (!rec) goto out;
    if (cli_devkey_load(sk, pk, &err) || cli_parse_network_key(cfg.network_key, net, &err)) {
        cli_error("%s", err.msg);
        goto out;
    }
    rc = cli_record_fetch(&cfg, name, rec, &pending, &has_pending);
    if (rc == CLI_RECORD_NONE) cli_error("%s has no function named '%s'", cfg.node, name);
    if (rc) {
        rc = rc == CLI_RECORD_NONE ? CLI_EXIT_FAIL : rc;
        goto out;
    }
    rc = CLI_EXIT_FAIL;
    esgx_crypto_hex_encode(rec->owner, 33, owner);
    esgx_crypto_hex_encode(pk, 33, mine);
    esgx_crypto_hex_encode(t.to, 33, to);
    if (memcmp(rec->owner, pk, 33)) {
        cli_error("function '%s' is owned by %s, not by your developer key %s", name, owner, mine);
        goto out;
    }
    t.seq = (has_pending && pending.seq > rec->seq ? pending.seq : rec->seq) + 1;
    if (esgx_name_transfer_sign(net, name, strlen(name), &t, sk, &err)) {
        cli_error("signing the transfer: %s", err.msg);
        goto out;
    }
    char sig[131];
    esgx_crypto_hex_encode(t.signature, 65, sig);
    json_t *j = json_pack("{s:I, s:s, s:s, s:s}", "seq", (json_int_t)t.seq, "from", mine, "to", to,
                          "signature", sig);
    body = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    if (!body) goto out;
    snprintf(fpath, sizeof fpath, "/functions/%s/transfer", name);
    cli_http_response rs = {0};
    rc = call(&cfg, "POST", fpath, "application/json", (const uint8_t *)body, strlen(body), 0,
              &rs);
    cli_http_response_free(&rs);
    if (rc) goto out;
    printf("transfer of function '%s' to %s signed (seq %llu)\n", name, to,
           (unsigned long long)t.seq);
    printf("the next deploy of '%s' must be signed by %s\n", name, to);
out:
    esgx_crypto_wipe(sk, sizeof sk);
    esgx_crypto_wipe(&cfg, sizeof cfg);
    free(rec);
    free(body);
    return rc;
}

int cmd_functions(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("functions", "give a subcommand: deploy, list, delete or "
                               "transfer");
    const char *sub = argv[1];
    if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
        fputs(functions_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "deploy")) return deploy(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return list(argc - 1, argv + 1);
    if (!strcmp(sub, "delete")) return delete_fn(argc - 1, argv + 1);
    if (!strcmp(sub, "transfer")) return transfer_fn(argc - 1, argv + 1);
    return cli_unknown_subcommand("functions", "subcommand", sub);
}
