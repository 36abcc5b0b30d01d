/*
 * cli_node.h: what the esgx commands that talk to a node share (login, functions,
 * invoke, verify): the config file (cli_config.c), a small libcurl wrapper
 * (cli_http.c) and the parsing and verification of signed answers (cli_response.c).
 * Error convention of esgx_common.h: functions return 0 or a negative code and fill err.
 */
#ifndef ESGX_CLI_NODE_H
#define ESGX_CLI_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "esgx_common.h"

/* ---------------------------------------------------------------- config */

#define CLI_CONFIG_MISSING (-2)   /* cli_config_load: no config file yet */

/* The CLI's config: $XDG_CONFIG_HOME/esgx/config (default ~/.config/esgx/config),
 * lines "key = value": node, token, network_key (66 hex chars), xpub. */
typedef struct cli_config {
    char node[1024];        /* base URL without a trailing slash */
    char token[256];        /* admin bearer token, "" if none */
    char network_key[67];   /* pinned network public key, hex, "" if none */
    char xpub[128];         /* the network xpub read at login, "" if none */
    char sim_root[4096];    /* the --sim-root PEM login trusted (realpath), "" if none */
} cli_config;

/* Writes the config folder ($XDG_CONFIG_HOME/esgx or ~/.config/esgx) into out. Returns 0
 * or ESGX_CLI_E_FAILED. */
int cli_config_dir(char *out, size_t cap, esgx_err *err);

/* The config folder into dir (cap bytes), created (mode 0700, with ~/.config) when
 * missing. Returns 0 or ESGX_CLI_E_FAILED with err. */
int cli_config_mkdir(char *dir, size_t cap, esgx_err *err);

/* Writes the config file path into out (capacity cap). Returns 0, or ESGX_CLI_E_FAILED when neither
 * XDG_CONFIG_HOME nor HOME is set or the path does not fit. */
int cli_config_path(char *out, size_t cap, esgx_err *err);

/* Loads the config into cfg (zeroed first). Returns 0, CLI_CONFIG_MISSING when the file
 * does not exist (err names the path), or ESGX_CLI_E_FAILED for an unreadable or malformed file. */
int cli_config_load(cli_config *cfg, esgx_err *err);

/* Writes cfg atomically with mode 0600 (creating the folder with mode 0700). Returns 0
 * or ESGX_CLI_E_FAILED with err. */
int cli_config_save(const cli_config *cfg, esgx_err *err);

/* Loads the config and checks that it names a node (and a pinned key when need_key).
 * On failure prints why (e.g. "not logged in: run 'esgx login --node URL'") and
 * returns ESGX_CLI_E_FAILED. */
int cli_config_require(cli_config *cfg, int need_key);

/* ---------------------------------------------------------------- names (cli_names.c) */

struct esgx_name_record;
struct esgx_name_transfer;

#define CLI_KEY_MISSING (-3)   /* cli_devkey_load: no developer key yet */

/* The developer key's file: CONFIG_DIR/developer.key (64 hex characters, mode 0600). */
int cli_devkey_path(char *out, size_t cap, esgx_err *err);

/* Loads the developer key (secret sk, public pk). Returns 0, CLI_KEY_MISSING (err names
 * the file) or ESGX_CLI_E_FAILED (unreadable, malformed). */
int cli_devkey_load(uint8_t sk[32], uint8_t pk[33], esgx_err *err);

/* Stores sk as the developer key, atomically, mode 0600, never replacing one: returns
 * 0, 1 when a key exists already (nothing written), or ESGX_CLI_E_FAILED. */
int cli_devkey_store(const uint8_t sk[32], esgx_err *err);

/* Loads the developer key, making a new one when there is none (*created = 1). Returns
 * 0 or ESGX_CLI_E_FAILED with err. */
int cli_devkey_ensure(uint8_t sk[32], uint8_t pk[33], int *created, esgx_err *err);

#define CLI_RECORD_NONE 100   /* cli_record_fetch: the node has no such function (404) */

/* GET /functions/NAME (public) from cfg->node: the name's signed record, parsed
 * strictly and verified (esgx_name_record_verify) against the pinned network key and
 * for that name; *pending (may be NULL) gets a pending transfer from the header
 * X-Esgx-Pending-Transfer (*has_pending). Returns CLI_EXIT_OK, CLI_RECORD_NONE (404,
 * nothing printed), or an exit status with the error printed ("function 'pay': ..."). */
int cli_record_fetch(const cli_config *cfg, const char *name, struct esgx_name_record *rec,
                     struct esgx_name_transfer *pending, int *has_pending);

/* Owner pinning, like ssh's known_hosts: CONFIG_DIR/known_owners holds one line
 * "NETWORK NAME OWNER SEQ" per name seen (hex keys, decimal seq). Checks rec (verified)
 * against the pin of its network and name: none yet -> pinned now ("pinned owner ... for
 * function 'pay'" on stderr); the pinned owner -> ok, unless rec's seq is below the
 * highest seen (a rollback); another owner -> ok and re-pinned only when reachable from
 * the pinned one by transfers it signed (esgx_name_record_owner_chain; said on
 * stderr), else refused. want_owner (66 hex, or NULL): the owner must be exactly that
 * key (and is then pinned). Returns CLI_EXIT_OK or CLI_EXIT_FAIL with the reason
 * printed. */
int cli_owner_check(const cli_config *cfg, const struct esgx_name_record *rec,
                    const char *want_owner);

/* Pins owner (33 bytes) at seq for name on cfg's network (after a deploy by that key).
 * Failures are warnings. */
void cli_owner_pin(const cli_config *cfg, const char *name, const uint8_t owner[33],
                   uint64_t seq);

/* ---------------------------------------------------------------- HTTP */

typedef struct cli_http_request {
    const char *method;        /* "GET", "POST", "PUT", "DELETE" */
    const char *url;           /* full URL */
    const char *token;         /* bearer token or NULL */
    const char *content_type;  /* for a body; NULL = application/octet-stream */
    const char *header;        /* one more header line "Name: value", or NULL */
    const uint8_t *body;       /* request body or NULL */
    size_t body_len;
    int progress;              /* upload progress bar on stderr: 1 on, 0 off, -1 if TTY */
    size_t max_response;       /* largest accepted response body; 0 = 64 MiB + 1 MiB */
    const char *want_header;   /* a response header to keep (cli_http_response.header) */
} cli_http_request;

typedef struct cli_http_response {
    long status;               /* HTTP status */
    uint8_t *body;             /* malloc'd, NUL-terminated (not counted in len) */
    size_t len;
    char header[1024];         /* the value of rq->want_header, "" when absent */
} cli_http_response;

/* Performs the request. Timeouts: 10 s to connect, ESGX_TIMEOUT seconds in all
 * (default 300). Returns 0 when an HTTP answer arrived (any status; *rs filled, free it
 * with cli_http_response_free), or ESGX_CLI_E_FAILED with err = "METHOD URL: CAUSE" (connection
 * refused, timeout, bad URL, answer too large, ...). */
int cli_http(const cli_http_request *rq, cli_http_response *rs, esgx_err *err);

/* Frees rs->body. */
void cli_http_response_free(cli_http_response *rs);

/* Describes a non-2xx answer into out: "HTTP 404 (unknown_hash): no content ..." using
 * the node's JSON error body when there is one; the node's code also becomes the run's
 * error code (cli_error_code) for --json. */
void cli_http_describe(const cli_http_response *rs, char *out, size_t cap);

/* out = base + path (base without trailing slashes). Returns 0 or ESGX_CLI_E_FAILED if too long. */
int cli_url(const char *base, const char *path, char *out, size_t cap);

/* GET base + path (with token as bearer when non-NULL) into *rs (any status; free it
 * with cli_http_response_free); url (url_cap bytes) gets the URL for messages. Returns
 * CLI_EXIT_OK when an answer came, else CLI_EXIT_FAIL (URL too long) or
 * CLI_EXIT_NETWORK with the error printed (rs then empty). */
int cli_get(const char *base, const char *path, const char *token, cli_http_response *rs,
            char *url, size_t url_cap);

/* ---------------------------------------------------------------- service request */

/* A POST /services/3 request (docs/http-api.md). */
typedef struct cli_service_request {
    uint8_t hash[32];
    char hash_hex[65];
    int decrypt;
    char function[256];        /* NUL-terminated */
    size_t function_len;       /* 1..255 */
    uint8_t *input;            /* malloc'd (may be NULL when input_len is 0) */
    size_t input_len;
    int has_fuel;              /* 0: the request leaves fuel to the node's limit */
    uint64_t fuel;
    /* What the answer must be bound to beyond the request (not part of the JSON): */
    int sealed;                /* input is sealed input bytes (docs/formats.md) */
    int by_name;               /* a call by name: the verified record's name, owner, seq */
    char name[65];             /* NUL-terminated, 1..64 bytes */
    uint8_t owner[33];
    uint64_t seq;
} cli_service_request;

/* Parses the request JSON strictly, as the node does (unknown fields, wrong types, bad
 * hash or function length are errors; "sealed_input" makes a sealed request). Returns 0
 * or ESGX_CLI_E_FAILED with err. Free with cli_request_free. */
int cli_request_parse(const uint8_t *text, size_t len, cli_service_request *rq,
                      esgx_err *err);

/* The request as compact JSON text (malloc'd, NUL-terminated; keys hash, decrypt,
 * function, input, fuel; fuel only if has_fuel; a sealed request has its input as
 * base64 in "sealed_input" instead of "input"; for a call by name also name, owner and
 * seq, which cli_request_parse reads back and /services/3 does not take). NULL if out of
 * memory or the input of an unsealed request is not valid UTF-8. */
char *cli_request_json(const cli_service_request *rq);

/* Frees rq->input. */
void cli_request_free(cli_service_request *rq);

/* ---------------------------------------------------------------- signed answers */

/* A parsed 200 answer of /services/3: header JSON line, "\r\n", output. */
typedef struct cli_answer {
    uint8_t hash[32];
    uint8_t *tree;             /* malloc'd, tree_count * 32 bytes */
    size_t tree_count;
    uint8_t input_hash[32];
    uint64_t fuel_used;
    uint8_t signature[65];
    int by_name;               /* the header's name, owner and seq (a call by name) */
    char name[65];
    uint8_t owner[33];
    uint64_t seq;
    int sealed;                /* the header says "sealed": true */
    const uint8_t *output;     /* points into the body given to cli_answer_parse */
    size_t output_len;
    size_t header_len;         /* bytes of the header line (without "\r\n") */
} cli_answer;

/* Parses body[0..len). Returns 0 or ESGX_CLI_E_FAILED with err ("malformed answer: ..."). Free with
 * cli_answer_free. */
int cli_answer_parse(const uint8_t *body, size_t len, cli_answer *a, esgx_err *err);

/* Verifies an answer for request rq, in this order, each failure named in err:
 * "output hash mismatch", "tree mismatch", "input_hash mismatch" (recomputed from rq,
 * with rq's by-name binding and sealed flag (docs/formats.md); when rq has no fuel,
 * fuel_limit is the limit the node used; an answer whose header's name, owner, seq or
 * sealed flag differs from rq's is named as such), "signature does not
 * recover to the network key" (esgx_digest_response + esgx_ec_recover compared with
 * network_key). signer (may be NULL) gets the recovered key when recovery worked.
 * Returns 0 when everything verifies, ESGX_CLI_E_FAILED otherwise. */
int cli_answer_verify(const cli_answer *a, const cli_service_request *rq,
                      uint64_t fuel_limit, const uint8_t network_key[33],
                      uint8_t signer[33], esgx_err *err);

/* Frees a->tree. */
void cli_answer_free(cli_answer *a);

/* Prints an answer as one JSON line on stdout: verified, hash, tree, input_hash,
 * fuel_used, signature, signer (hex), sealed (true, only for a sealed answer), output
 * (string if valid UTF-8, else output_base64). Returns 0 or ESGX_CLI_E_FAILED when out of
 * memory. */
int cli_answer_print_json(const cli_answer *a, const uint8_t signer[33]);

/* Parses a network key: 66 hex characters (compressed), 130 (uncompressed) or an xpub.
 * Returns 0 or ESGX_CLI_E_FAILED with err. */
int cli_parse_network_key(const char *text, uint8_t key[33], esgx_err *err);

#endif
