/*
 * cli_names.c: owned, signed function names on the CLI side (docs/formats.md "Name
 * records", docs/cli.md): the developer key, fetching and verifying a name's record,
 * and pinning its owner.
 *
 * The developer key is a secp256k1 secret in CONFIG_DIR/developer.key (64 hex
 * characters, mode 0600, written atomically and never replaced: cli_create_file). It
 * signs every record `esgx functions deploy` makes and every transfer; its public key
 * is the owner of the names it deploys first.
 *
 * A record is only used after it verified: parsed strictly (lib/proto), signed by its
 * owner, for the network pinned at login and for the name asked. Then its owner is
 * checked against CONFIG_DIR/known_owners, which remembers per network and name the
 * owner seen first and the highest seq seen (trust on first use, as ssh's known_hosts):
 * a node that serves another owner's record, or an older record of the same owner (a
 * rollback), is refused; an owner change is accepted only along transfers the pinned
 * owner signed. The file is rewritten atomically (temp file, fsync, rename).
 */
#include "cli.h"
#include "cli_node.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esgx_crypto.h"
#include "esgx_proto.h"

#define OWNERS_MAX_BYTES ((size_t)4 << 20)

/* ---------------------------------------------------------------- developer key */

static int config_file(const char *leaf, char *out, size_t cap, int create, esgx_err *err)
{
    char dir[4096];
    if (create ? cli_config_mkdir(dir, sizeof dir, err) : cli_config_dir(dir, sizeof dir, err))
        return ESGX_CLI_E_FAILED;
    int n = snprintf(out, cap, "%s/%s", dir, leaf);
    if (n < 0 || (size_t)n >= cap) return esgx_err_set(err, ESGX_CLI_E_FAILED, "path too long");
    return 0;
}

int cli_devkey_path(char *out, size_t cap, esgx_err *err)
{
    return config_file("developer.key", out, cap, 0, err);
}

int cli_devkey_load(uint8_t sk[32], uint8_t pk[33], esgx_err *err)
{
    char path[4200];
    if (cli_devkey_path(path, sizeof path, err)) return ESGX_CLI_E_FAILED;
    uint8_t *data;
    size_t len;
    esgx_err e;
    int rc = esgx_file_read(path, 4096, &data, &len, &e);
    if (rc == ESGX_E_IO && access(path, F_OK) != 0)
        return esgx_err_set(err, CLI_KEY_MISSING, "no developer key (%s)", path);
    if (rc) return esgx_err_set(err, ESGX_CLI_E_FAILED, "developer key %s", e.msg);
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' ')) len--;
    size_t n = 0;
    rc = len == 64 && !esgx_crypto_hex_decode((const char *)data, 64, sk, 32, &n, NULL) && n == 32 &&
         !esgx_ec_pubkey_from_seckey(sk, pk, NULL);
    esgx_crypto_wipe(data, len);
    free(data);
    if (!rc) {
        esgx_crypto_wipe(sk, 32);
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "%s does not hold a developer key (64 hex "
                            "characters of a secp256k1 secret key)", path);
    }
    return 0;
}

int cli_devkey_store(const uint8_t sk[32], esgx_err *err)
{
    char path[4200], text[66];
    if (config_file("developer.key", path, sizeof path, 1, err)) return ESGX_CLI_E_FAILED;
    esgx_crypto_hex_encode(sk, 32, text);
    text[64] = '\n';
    int rc = cli_create_file(path, (const uint8_t *)text, 65, 0600, err);
    esgx_crypto_wipe(text, sizeof text);
    return rc;
}

int cli_devkey_ensure(uint8_t sk[32], uint8_t pk[33], int *created, esgx_err *err)
{
    *created = 0;
    int rc = cli_devkey_load(sk, pk, err);
    if (rc != CLI_KEY_MISSING) return rc;
    if (esgx_ec_seckey_generate(sk, err) || esgx_ec_pubkey_from_seckey(sk, pk, err))
        return ESGX_CLI_E_FAILED;
    rc = cli_devkey_store(sk, err);
    if (rc == 1) return cli_devkey_load(sk, pk, err);   /* made meanwhile by another run */
    if (rc) return rc;
    *created = 1;
    return 0;
}

/* ---------------------------------------------------------------- records */

int cli_record_fetch(const cli_config *cfg, const char *name, esgx_name_record *rec,
                     esgx_name_transfer *pending, int *has_pending)
{
    if (has_pending) *has_pending = 0;
    uint8_t net[33];
    esgx_err err;
    if (cli_parse_network_key(cfg->network_key, net, &err)) {
        cli_error("pinned %s (run esgx login again)", err.msg);
        return CLI_EXIT_FAIL;
    }
    char path[96], url[1200];
    snprintf(path, sizeof path, "/functions/%s", name);
    if (cli_url(cfg->node, path, url, sizeof url)) {
        cli_error("URL too long");
        return CLI_EXIT_FAIL;
    }
    cli_http_request rq = {.method = "GET", .url = url,
                           .want_header = "X-Esgx-Pending-Transfer"};
    cli_http_response rs;
    if (cli_http(&rq, &rs, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_NETWORK;
    }
    int rc = CLI_EXIT_FAIL;
    if (rs.status == 404) {
        rc = CLI_RECORD_NONE;
    } else if (rs.status != 200) {
        char d[300];
        cli_http_describe(&rs, d, sizeof d);
        cli_error("GET %s: %s", url, d);
        if (rs.status >= 500) rc = CLI_EXIT_NETWORK;
    } else if (esgx_name_record_parse((const char *)rs.body, rs.len, rec, &err)) {
        cli_error("function '%s': the node served a record that does not parse: %s", name,
                  err.msg);
    } else if (strcmp(rec->name, name)) {
        cli_error("function '%s': the node served the record of function '%s'", name, rec->name);
    } else if (esgx_name_record_verify(rec, net, &err)) {
        cli_error("function '%s': the record the node served does not verify: %s", name,
                  err.msg);
    } else {
        rc = CLI_EXIT_OK;
    }
    if (rc == CLI_EXIT_OK && pending && has_pending && rs.header[0]) {
        /* a pending transfer is only advice (which seq comes next); it must still verify */
        json_t *j = json_loads(rs.header, JSON_REJECT_DUPLICATES, NULL);
        const char *f = json_string_value(json_object_get(j, "from"));
        const char *t = json_string_value(json_object_get(j, "to"));
        const char *sg = json_string_value(json_object_get(j, "signature"));
        json_t *sq = json_object_get(j, "seq");
        memset(pending, 0, sizeof *pending);
        if (f && t && sg && json_is_integer(sq) && json_integer_value(sq) > 0 &&
            !esgx_crypto_hex_decode(f, strlen(f), pending->from, 33, NULL, NULL) &&
            !esgx_crypto_hex_decode(t, strlen(t), pending->to, 33, NULL, NULL) &&
            !esgx_crypto_hex_decode(sg, strlen(sg), pending->signature, 65, NULL, NULL)) {
            pending->seq = (uint64_t)json_integer_value(sq);
            *has_pending = esgx_name_transfer_verify(net, name, strlen(name), pending, NULL) == 0;
        }
        json_decref(j);
    }
    cli_http_response_free(&rs);
    return rc;
}

/* ---------------------------------------------------------------- known owners */

typedef struct pin {
    char net[67], name[65], owner[67];
    uint64_t seq;
} pin;

/* Reads known_owners into *v (*n entries; malloc'ed, caller frees). A missing file is
 * empty; malformed lines are skipped. 0 or ESGX_CLI_E_FAILED. */
static int pins_load(const char *path, pin **v, size_t *n, esgx_err *err)
{
    *v = NULL;
    *n = 0;
    uint8_t *data;
    size_t len;
    esgx_err e;
    if (access(path, F_OK) != 0) return 0;
    if (esgx_file_read(path, OWNERS_MAX_BYTES, &data, &len, &e))
        return esgx_err_set(err, ESGX_CLI_E_FAILED, "known owners %s", e.msg);
    size_t cap = 0;
    char *save = NULL;
    for (char *line = strtok_r((char *)data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        pin p;
        unsigned long long seq;
        if (line[0] == '#' ||
            sscanf(line, "%66s %64s %66s %llu", p.net, p.name, p.owner, &seq) != 4)
            continue;
        p.seq = seq;
        if (*n == cap) {
            pin *nv = realloc(*v, (cap = cap ? 2 * cap : 16) * sizeof *nv);
            if (!nv) {
                free(data);
                return esgx_err_set(err, ESGX_CLI_E_FAILED, "out of memory");
            }
            *v = nv;
        }
        (*v)[(*n)++] = p;
    }
    free(data);
    return 0;
}

static int pins_save(const char *path, const pin *v, size_t n, esgx_err *err)
{
    size_t cap = 160 + n * 220, used = 0;
    char *text = malloc(cap);
    if (!text) return esgx_err_set(err, ESGX_CLI_E_FAILED, "out of memory");
    used += (size_t)snprintf(text, cap, "# esgx: owners of function names seen (docs/cli.md, "
                             "esgx invoke): NETWORK NAME OWNER SEQ\n");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(text + used, cap - used, "%s %s %s %llu\n", v[i].net, v[i].name,
                                 v[i].owner, (unsigned long long)v[i].seq);
    int rc = cli_write_file(path, (const uint8_t *)text, used, 0600, err);
    free(text);
    return rc;
}

/* Sets the pin of (net, name) to (owner, seq) in the file. */
static int pin_set(const char *net, const char *name, const char *owner, uint64_t seq,
                   esgx_err *err)
{
    char path[4200];
    if (config_file("known_owners", path, sizeof path, 1, err)) return ESGX_CLI_E_FAILED;
    pin *v;
    size_t n;
    if (pins_load(path, &v, &n, err)) return ESGX_CLI_E_FAILED;
    size_t i = 0;
    while (i < n && !(!strcmp(v[i].net, net) && !strcmp(v[i].name, name))) i++;
    if (i == n) {
        pin *nv = realloc(v, (n + 1) * sizeof *nv);
        if (!nv) {
            free(v);
            return esgx_err_set(err, ESGX_CLI_E_FAILED, "out of memory");
        }
        v = nv;
        n++;
        snprintf(v[i].net, sizeof v[i].net, "%s", net);
        snprintf(v[i].name, sizeof v[i].name, "%s", name);
    }
    snprintf(v[i].owner, sizeof v[i].owner, "%s", owner);
    v[i].seq = seq;
    int rc = pins_save(path, v, n, err);
    free(v);
    return rc;
}

void cli_owner_pin(const cli_config *cfg, const char *name, const uint8_t owner[33], uint64_t seq)
{
    char hex[67];
    esgx_err err;
    esgx_crypto_hex_encode(owner, 33, hex);
    if (pin_set(cfg->network_key, name, hex, seq, &err))
        fprintf(stderr, "esgx: warning: cannot pin the owner of function '%s': %s\n", name,
                err.msg);
}

int cli_owner_check(const cli_config *cfg, const esgx_name_record *rec, const char *want_owner)
{
    char owner[67], path[4200];
    esgx_err err;
    esgx_crypto_hex_encode(rec->owner, 33, owner);
    const char *name = rec->name;
    if (want_owner && strcmp(want_owner, owner)) {
        cli_error("function '%s' is owned by %s, not by %s (--owner)", name, owner, want_owner);
        return CLI_EXIT_FAIL;
    }
    if (config_file("known_owners", path, sizeof path, 0, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    pin *v;
    size_t n;
    if (pins_load(path, &v, &n, &err)) {
        cli_error("%s", err.msg);
        return CLI_EXIT_FAIL;
    }
    const pin *p = NULL;
    for (size_t i = 0; i < n && !p; i++)
        if (!strcmp(v[i].net, cfg->network_key) && !strcmp(v[i].name, name)) p = &v[i];
    int rc = CLI_EXIT_OK, repin = 0;
    if (!p) {
        fprintf(stderr, "esgx: pinned owner %s for function '%s' (%s)\n", owner, name, path);
        repin = 1;
    } else if (!strcmp(p->owner, owner) || want_owner) {
        if (!strcmp(p->owner, owner) && rec->seq < p->seq) {
            cli_error("function '%s': the node serves record seq %llu, older than seq %llu seen "
                      "before (a rollback): refusing", name, (unsigned long long)rec->seq,
                      (unsigned long long)p->seq);
            rc = CLI_EXIT_FAIL;
        } else if (strcmp(p->owner, owner)) {
            fprintf(stderr, "esgx: function '%s': owner %s as demanded by --owner (was %s); "
                    "pinned\n", name, owner, p->owner);
            repin = 1;
        } else {
            repin = rec->seq > p->seq;
        }
    } else {
        uint8_t pinned[33];
        esgx_err ce;
        if (esgx_crypto_hex_decode(p->owner, 66, pinned, 33, NULL, NULL) ||
            esgx_name_record_owner_chain(rec, pinned, &ce)) {
            cli_error("function '%s' is owned by %s, but %s was pinned for it (%s): %s; "
                      "refusing (if the name was deleted and deployed anew on purpose, pass "
                      "--owner %s or remove its line)", name, owner, p->owner, path,
                      esgx_crypto_hex_decode(p->owner, 66, pinned, 33, NULL, NULL)
                          ? "the pin is malformed" : ce.msg, owner);
            rc = CLI_EXIT_FAIL;
        } else if (rec->seq < p->seq) {
            cli_error("function '%s': the node serves record seq %llu, older than seq %llu seen "
                      "before (a rollback): refusing", name, (unsigned long long)rec->seq,
                      (unsigned long long)p->seq);
            rc = CLI_EXIT_FAIL;
        } else {
            fprintf(stderr, "esgx: function '%s' moved from %s to %s by transfers its owner "
                    "signed; pinned %s\n", name, p->owner, owner, owner);
            repin = 1;
        }
    }
    free(v);
    if (rc == CLI_EXIT_OK && repin) cli_owner_pin(cfg, name, rec->owner, rec->seq);
    return rc;
}
