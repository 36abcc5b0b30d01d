/*
 * trust.c: esgx-enclave's platform, network key and trust policy (docs/protocols.md).
 *
 * Platform: ESGX_PLATFORM (fixed by the Gramine manifest, never the host's command line)
 * selects `sim` (default) or `gramine-sgx` (attestation files under ESGX_ATTESTATION_DIR,
 * default /dev/attestation).
 *
 * Key bootstrap: --init refuses to start if a sealed key exists (the host then sends
 * INIT_KEY, which creates and seals one); otherwise the sealed key is unsealed if there
 * is one (a torn or foreign sealed file is a fatal configuration error: exit 78, the
 * file is left alone). Key sharing (peer.c): --peer-listen serves the key over RA-TLS
 * to verified enclaves of the allowlist; --peers fetches it (backoff until a peer
 * answers), seals it, and tells the host with an unsolicited KEY_STATUS (id 0).
 *
 * The trust policy (allowlist, TCB statuses, extra roots) decides who gets the key, so
 * on gramine-sgx it comes only from the manifest's environment (ESGX_TRUST_MRENCLAVE,
 * ESGX_ACCEPT_STATUS, ESGX_TRUST_SIM_ROOT), never from the untrusted command line; on
 * sim the command-line options are accepted (sim protects nothing from its host anyway).
 * Collateral for verifying peers: the sim bundle's, a fixed file (--collateral FILE,
 * gramine-sgx) or from the host (--collateral-from-host, collateral_wait.c).
 *
 * Pinned joins (--network-key XPUB|HEX, netkey.h; docs/security.md (Joins)): a peer of
 * another network built from the same enclave and trust anchors passes RA-TLS, so the
 * key a peer offers is compared with the pin before anything is sealed (peer_install);
 * another key is dropped, logged with both public keys, told to the host in an
 * unsolicited KEY_STATUS (state no key, the reason in its error, shown by /health), and
 * the fetch goes on with the other peers. A sealed key that is not the pinned one is a
 * fatal configuration error at start (exit 78); --init excludes --network-key.
 *
 * ATTEST_DOC: the quote over SHA-256(xpub text) || zeros is made once per key (the key
 * never changes once set) and cached in trust.
 *
 * MAC_REQ (docs/formats.md "Admin MACs"): k_admin = HKDF(n, "esgx-admin-v1") is derived
 * once, at the first request after the key is there, kept under mu and wiped with the
 * key; the reply is HMAC(k_admin, "ESGX_TOKEN" + SHA-256(token)) or HMAC(k_admin,
 * "ESGX_CONTENT" + hash). The enclave makes a MAC for whatever its host asks: what they
 * protect against is a writer of etcd without a node's enclave (docs/security.md (Tokens and content in etcd)).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enclave.h"

/* ---------------------------------------------------------------- platform */

int enclave_platform_start(enclave *E)
{
    esgx_err err;
    enclave_trust *T = &E->trust;
    /* The platform comes from the environment, which the Gramine manifest fixes (and
     * measures); never from the untrusted host's command line. */
    const char *platform = getenv("ESGX_PLATFORM");
    if (platform && !strcmp(platform, "gramine-sgx")) {
        T->gramine = 1;
        if (esgx_platform_gramine_open(getenv("ESGX_ATTESTATION_DIR"), &T->plat, &err) != 0) {
            enclave_log(E, LOG_ERROR, "platform gramine-sgx: %s", err.msg);
            return ENCLAVE_EXIT_CONFIG;
        }
    } else if (platform && *platform && strcmp(platform, "sim") != 0) {
        enclave_log(E, LOG_ERROR, "unknown platform '%s' (sim, gramine-sgx)", platform);
        return ENCLAVE_EXIT_CONFIG;
    } else if (esgx_platform_sim_open(E->opt.data_dir, NULL, &T->plat, &err) != 0) {
        enclave_log(E, LOG_ERROR, "platform: %s", err.msg);
        return ENCLAVE_EXIT_CONFIG;
    }
    if (pthread_mutex_init(&T->mu, NULL) != 0) {
        enclave_log(E, LOG_ERROR, "cannot initialise the key lock");
        return ENCLAVE_EXIT_FAILURE;
    }
    return 0;
}

/* ---------------------------------------------------------------- trust policy */

/* The text of path (at most max bytes, NUL-terminated; caller frees) through the one
 * bounded reader, or NULL with err (ESGX_ENCLAVE_E_IO or _NOMEM) naming the path. */
static char *read_text(const char *path, size_t max, size_t *len_out, esgx_err *err)
{
    uint8_t *data;
    size_t n;
    esgx_err ferr;
    int rc = esgx_file_read(path, max, &data, &n, &ferr);
    if (rc) {
        esgx_err_set(err, rc == ESGX_E_NOMEM ? ESGX_ENCLAVE_E_NOMEM : ESGX_ENCLAVE_E_IO, "%s",
                     ferr.msg);
        return NULL;
    }
    if (len_out) *len_out = n;
    return (char *)data;
}

/* Concatenates two PEM texts (b may be NULL) into a new string. */
static char *pem_cat(const char *a, const char *b)
{
    size_t n = strlen(a) + (b ? strlen(b) : 0) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s\n%s", a, b ? b : "");
    return s;
}

/* The policy's sources: the command line on sim, the manifest's environment on
 * gramine-sgx (where the trust options on the command line are refused). */
typedef struct policy_source {
    const char *status, *sim_root, *trust_env;
} policy_source;

static int policy_source_get(enclave *E, policy_source *src)
{
    const enclave_options *o = &E->opt;
    src->status = o->accept_status;
    src->sim_root = o->sim_root;
    src->trust_env = NULL;
    if (!E->trust.gramine) return 0;
    if (o->trust_count || o->accept_status || o->sim_root || o->sim_bundle) {
        enclave_log(E, LOG_ERROR, "on gramine-sgx the trust policy comes from the manifest "
                                  "(loader.env.ESGX_TRUST_MRENCLAVE, ESGX_ACCEPT_STATUS, "
                                  "ESGX_TRUST_SIM_ROOT), not from the command line; refusing "
                                  "--trust-mrenclave/--accept-status/--sim-root/--sim-bundle");
        return ESGX_ENCLAVE_E_CONFIG;
    }
    src->status = getenv("ESGX_ACCEPT_STATUS");
    src->sim_root = getenv("ESGX_TRUST_SIM_ROOT");
    src->trust_env = getenv("ESGX_TRUST_MRENCLAVE");
    if (src->status && !*src->status) src->status = NULL;
    if (src->sim_root && !*src->sim_root) src->sim_root = NULL;
    return 0;
}

/* Accepted TCB statuses and the MRENCLAVE allowlist (default: our own). */
static int policy_build(enclave *E, const policy_source *src)
{
    esgx_err err;
    esgx_attest_policy *pol = &E->trust.pc.verifier.policy;
    esgx_attest_policy_default(pol);
    if (src->status && esgx_attest_policy_add_statuses(pol, src->status, &err)) {
        enclave_log(E, LOG_ERROR, "accepted TCB statuses: %s", err.msg);
        return ESGX_ENCLAVE_E_CONFIG;
    }
    char own[65];
    esgx_crypto_hex_encode(E->trust.plat->mrenclave, 32, own);
    if (esgx_attest_policy_add_mrenclave(pol, own, &err)) {
        enclave_log(E, LOG_ERROR, "own mrenclave: %s", err.msg);
        return ESGX_ENCLAVE_E_CONFIG;
    }
    for (unsigned i = 0; i < E->opt.trust_count; i++)
        if (esgx_attest_policy_add_mrenclave(pol, E->opt.trust[i], &err)) {
            enclave_log(E, LOG_ERROR, "--trust-mrenclave %s: %s", E->opt.trust[i], err.msg);
            return ESGX_ENCLAVE_E_CONFIG;
        }
    if (src->trust_env) {
        char buf[2048];
        snprintf(buf, sizeof buf, "%s", src->trust_env);
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (esgx_attest_policy_add_mrenclave(pol, tok, &err)) {
                enclave_log(E, LOG_ERROR, "ESGX_TRUST_MRENCLAVE %s: %s", tok, err.msg);
                return ESGX_ENCLAVE_E_CONFIG;
            }
    }
    return 0;
}

/* sim: the bundle's root (plus extra_root) and collateral. */
static int anchors_sim(enclave *E, const char *extra_root)
{
    const enclave_options *o = &E->opt;
    enclave_trust *T = &E->trust;
    esgx_attest_ratls_verifier *v = &T->pc.verifier;
    esgx_err err;
    if (o->collateral || o->collateral_from_host) {
        enclave_log(E, LOG_ERROR, "--collateral/--collateral-from-host (esgxd --pccs) are for "
                                  "gramine-sgx; sim takes the collateral from its --sim-bundle");
        return ESGX_ENCLAVE_E_CONFIG;
    }
    if (o->sim_bundle) {
        if (esgx_attest_sim_load(o->sim_bundle, &T->bundle, &err) ||
            esgx_platform_sim_set_bundle(T->plat, T->bundle, &err)) {
            enclave_log(E, LOG_ERROR, "--sim-bundle %s: %s", o->sim_bundle, err.msg);
            return ESGX_ENCLAVE_E_CONFIG;
        }
        size_t clen = 0;
        v->collateral = esgx_attest_sim_collateral(T->bundle, &clen);
        v->collateral_len = clen;
        /* The sim network's root is the trust anchor (plus --sim-root if given). */
        if (!(T->roots = pem_cat(esgx_attest_sim_root(T->bundle), extra_root)))
            return ESGX_ENCLAVE_E_NOMEM;
    } else if (o->peers || o->peer_listen) {
        enclave_log(E, LOG_ERROR, "the sim platform cannot attest without a sim provisioning "
                                  "bundle: --peers/--peer-listen need --sim-bundle DIR (made by "
                                  "`esgx sim init DIR`, the same for the whole network)");
        return ESGX_ENCLAVE_E_CONFIG;
    }
    return 0;
}

/* gramine-sgx: Intel's root (plus extra_root), collateral from a file or the host. */
static int anchors_gramine(enclave *E, const char *extra_root)
{
    const enclave_options *o = &E->opt;
    enclave_trust *T = &E->trust;
    esgx_attest_ratls_verifier *v = &T->pc.verifier;
    esgx_err err;
    /* The Intel root always; a sim root only when the manifest names one. */
    if (!(T->roots = pem_cat(esgx_attest_intel_root_pem, extra_root)))
        return ESGX_ENCLAVE_E_NOMEM;
    if (o->collateral) {
        size_t clen = 0;
        if (!(T->collateral = read_text(o->collateral, 4u << 20, &clen, &err))) {
            enclave_log(E, LOG_ERROR, "--collateral: %s", err.msg);
            return ESGX_ENCLAVE_E_CONFIG;
        }
        v->collateral = T->collateral;
        v->collateral_len = clen;
    } else if (o->collateral_from_host) {
        v->get_collateral = enclave_host_collateral;
        v->collateral_arg = E;
    } else if (o->peers || o->peer_listen) {
        enclave_log(E, LOG_ERROR, "--peers/--peer-listen on gramine-sgx need collateral to "
                                  "verify peers: esgxd --pccs URL (fetched by the host) or "
                                  "--collateral FILE");
        return ESGX_ENCLAVE_E_CONFIG;
    }
    return 0;
}

int enclave_trust_start(enclave *E)
{
    enclave_trust *T = &E->trust;
    policy_source src;
    if (policy_source_get(E, &src) != 0 || policy_build(E, &src) != 0)
        return ENCLAVE_EXIT_CONFIG;
    esgx_err err;
    char *extra_root = NULL;
    if (src.sim_root && !(extra_root = read_text(src.sim_root, 1u << 20, NULL, &err))) {
        enclave_log(E, LOG_ERROR, "sim root: %s", err.msg);
        return ENCLAVE_EXIT_CONFIG;
    }
    int rc = T->gramine ? anchors_gramine(E, extra_root) : anchors_sim(E, extra_root);
    free(extra_root);
    if (rc != 0) return ENCLAVE_EXIT_CONFIG;
    T->pc.verifier.trusted_roots_pem = T->roots;
    T->pc.verifier.now = 0;
    T->pc.listen = E->opt.peer_listen;
    T->pc.peers = E->opt.peers;
    return 0;
}

/* ---------------------------------------------------------------- key */

/* The unsealed key against --network-key: another key means this data directory
 * belongs to another network; the node must not start as a member of the pinned one. */
static int check_sealed_pin(enclave *E)
{
    enclave_trust *T = &E->trust;
    if (esgx_netkey_pin_matches(&T->pin, T->ks.xpub, T->ks.public_key)) return 0;
    char have[67], want[67];
    esgx_netkey_hex(T->ks.public_key, have);
    esgx_netkey_hex(T->pin.public_key, want);
    enclave_log(E, LOG_ERROR,
                "%s/%s holds network key %s, but --network-key pins %s%s: this data "
                "directory belongs to another network; refusing to start (give the right "
                "--network-key, or move the data directory away to join the pinned network)",
                E->opt.data_dir, KS_SEALED_NAME, have, want,
                memcmp(have, want, 66) ? "" : " with another chain code (xpub)");
    esgx_keystore_wipe(&T->ks);
    return ENCLAVE_EXIT_CONFIG;
}

int enclave_key_start(enclave *E)
{
    enclave_trust *T = &E->trust;
    esgx_err err;
    if (E->opt.network_key && esgx_netkey_pin_parse(E->opt.network_key, &T->pin, &err) != 0) {
        enclave_log(E, LOG_ERROR, "%s", err.msg);
        return ENCLAVE_EXIT_CONFIG;
    }
    if (E->opt.init) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", E->opt.data_dir, KS_SEALED_NAME);
        if (lstat(path, &st) == 0) {
            enclave_log(E, LOG_ERROR,
                        "--init: %s already exists; refusing to create a new shared key", path);
            return ENCLAVE_EXIT_CONFIG;
        }
        return 0;
    }
    int rc = esgx_keystore_load(&T->ks, T->plat, E->opt.data_dir, &err);
    if (rc == ESGX_KS_E_NOKEY) {
        enclave_log(E, LOG_INFO, "no shared key yet (%s)", err.msg);
    } else if (rc != 0) {
        enclave_log(E, LOG_ERROR, "shared key: %s", err.msg);
        return ENCLAVE_EXIT_CONFIG;
    }
    return rc == 0 ? check_sealed_pin(E) : 0;
}

static void send_key_status(enclave *E, uint64_t id, const char *error)
{
    const esgx_keystore *ks = &E->trust.ks;
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_KEY_STATUS;
    m.id = id;
    m.u.key_status.state = ks->ready ? ESGX_STATE_READY : ESGX_STATE_NO_KEY;
    if (ks->ready) {
        m.u.key_status.xpub = enclave_str_bytes(ks->xpub);
        memcpy(m.u.key_status.public_key, ks->public_key, 33);
    }
    m.u.key_status.error = enclave_str_bytes(error ? error : "");
    (void)enclave_send(E, &m);   /* a failure is logged; the reader sees the EOF */
}

void enclave_handle_init_key(enclave *E, uint64_t id)
{
    enclave_trust *T = &E->trust;
    esgx_err err;
    pthread_mutex_lock(&T->mu);
    if (T->ks.ready) {
        send_key_status(E, id, "a shared key already exists");
    } else if (esgx_keystore_create(&T->ks, T->plat, E->opt.data_dir, &err) != 0) {
        enclave_log(E, LOG_ERROR, "INIT_KEY: %s", err.msg);
        send_key_status(E, id, err.msg);
    } else {
        enclave_exec_publish_key(E);
        enclave_log(E, LOG_INFO, "created and sealed the shared key %s", T->ks.xpub);
        send_key_status(E, id, NULL);
    }
    pthread_mutex_unlock(&T->mu);
}

/* Makes the ATTEST_DOC quote for the current key (trust.mu held, key ready). */
static void make_doc_quote(enclave *E)
{
    enclave_trust *T = &E->trust;
    uint8_t rd[64];
    memset(rd, 0, sizeof rd);
    esgx_crypto_sha256(T->ks.xpub, strlen(T->ks.xpub), rd);
    uint8_t *q = malloc(ESGX_PROTO_MAX_QUOTE);
    size_t qlen = 0;
    esgx_err qerr;
    if (!q) {
        snprintf(T->doc_error, sizeof T->doc_error, "out of memory");
    } else if (esgx_platform_quote(T->plat, rd, q, ESGX_PROTO_MAX_QUOTE, &qlen, &qerr)) {
        snprintf(T->doc_error, sizeof T->doc_error, "no quote: %s", qerr.msg);
        free(q);
    } else {
        T->doc_quote = q;
        T->doc_quote_len = qlen;
    }
    T->doc_done = 1;
    if (!T->doc_quote) enclave_log(E, LOG_WARN, "attestation document: %s", T->doc_error);
}

void enclave_handle_attest_doc(enclave *E, uint64_t id)
{
    enclave_trust *T = &E->trust;
    esgx_msg m;
    memset(&m, 0, sizeof m);
    m.type = ESGX_MSG_ATTEST_DOC_REPLY;
    m.id = id;
    esgx_msg_attest_doc *a = &m.u.attest_doc;
    pthread_mutex_lock(&T->mu);
    if (!T->ks.ready) {
        a->state = ESGX_STATE_NO_KEY;
        a->error = enclave_str_bytes("the enclave has no network key yet");
    } else {
        a->state = ESGX_STATE_READY;
        a->xpub = enclave_str_bytes(T->ks.xpub);
        memcpy(a->public_key, T->ks.public_key, 33);
        if (!T->doc_done) make_doc_quote(E);
        a->quote.ptr = T->doc_quote;
        a->quote.len = T->doc_quote_len;
        a->error = enclave_str_bytes(T->doc_quote ? "" : T->doc_error);
    }
    (void)enclave_send(E, &m);   /* a failure is logged; the reader sees the EOF */
    pthread_mutex_unlock(&T->mu);
}

void enclave_handle_mac_req(enclave *E, const esgx_msg *m)
{
    enclave_trust *T = &E->trust;
    esgx_msg r;
    memset(&r, 0, sizeof r);
    r.type = ESGX_MSG_MAC_REPLY;
    r.id = m->id;
    esgx_err err;
    pthread_mutex_lock(&T->mu);
    if (T->ks.ready && !T->admin_ready) {
        if (esgx_admin_key_derive(T->ks.shared.private_key, T->k_admin, &err))
            enclave_log(E, LOG_ERROR, "cannot derive the admin MAC key: %s", err.msg);
        else
            T->admin_ready = 1;
    }
    if (T->admin_ready) {
        const uint8_t *d = m->u.mac_req.data;
        uint8_t *mac = r.u.mac_reply.mac;
        int rc = m->u.mac_req.kind == ESGX_MAC_TOKEN   ? esgx_admin_token_mac(T->k_admin, d, mac, &err)
                 : m->u.mac_req.kind == ESGX_MAC_HELD ? esgx_admin_held_mac(T->k_admin, d, mac, &err)
                                                      : esgx_admin_content_mac(T->k_admin, d, mac, &err);
        if (rc) {
            enclave_log(E, LOG_ERROR, "admin MAC: %s", err.msg);
            memset(r.u.mac_reply.mac, 0, 32);
        } else {
            r.u.mac_reply.state = ESGX_STATE_READY;
        }
    }
    pthread_mutex_unlock(&T->mu);
    (void)enclave_send(E, &r);   /* a failure is logged; the reader sees the EOF */
    esgx_crypto_wipe(r.u.mac_reply.mac, 32);
}

/* ---------------------------------------------------------------- peers */

static int peer_get_xprv(void *arg, char buf[ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1])
{
    enclave *E = arg;
    int have = 0;
    pthread_mutex_lock(&E->trust.mu);
    if (E->trust.ks.ready &&
        esgx_bip32_key_serialize(&E->trust.ks.shared, 1, buf, ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1,
                                 NULL) == 0)
        have = 1;
    pthread_mutex_unlock(&E->trust.mu);
    if (!have) esgx_crypto_wipe(buf, ESGX_ATTEST_KEYSHARE_XPRV_LEN + 1);
    return have;
}

/* A key peer offered that is not the pinned one: tells the host (once per distinct
 * reason, so /health names it) and fills err. trust.mu held. */
static int refuse_unpinned(enclave *E, const char *peer, const uint8_t offered[33],
                           esgx_err *err)
{
    enclave_trust *T = &E->trust;
    char have[67], want[67], why[ESGX_ERR_MSG_MAX];
    esgx_netkey_hex(offered, have);
    esgx_netkey_hex(T->pin.public_key, want);
    snprintf(why, sizeof why, "peer %s offered network key %s, expected %s (--network-key)",
             peer, have, want);
    if (strcmp(why, T->pin_refusal) != 0) {
        snprintf(T->pin_refusal, sizeof T->pin_refusal, "%s", why);
        send_key_status(E, 0, why);   /* unsolicited, state no key */
    }
    return esgx_err_set(err, ESGX_ENCLAVE_E_CONFIG, "%s; refused, nothing sealed", why);
}

static int peer_install(void *arg, const char *peer, const char *xprv,
                        const esgx_attest_result *from, esgx_err *err)
{
    enclave *E = arg;
    enclave_trust *T = &E->trust;
    (void)from;
    char xpub[ESGX_BIP32_TEXT_LEN + 1];
    uint8_t pub[33];
    esgx_err kerr;
    if (esgx_netkey_of_xprv(xprv, xpub, pub, &kerr) != 0)
        return esgx_err_set(err, ESGX_KS_E_CORRUPT, "the fetched key is not an xprv");
    if (!esgx_netkey_pin_matches(&T->pin, xpub, pub)) {   /* before anything is sealed */
        pthread_mutex_lock(&T->mu);
        int rc = refuse_unpinned(E, peer, pub, err);
        pthread_mutex_unlock(&T->mu);
        return rc;
    }
    esgx_bip32_key key;
    if (esgx_bip32_key_parse(xprv, strlen(xprv), &key, &kerr) != 0 || !key.has_private) {
        esgx_bip32_key_wipe(&key);
        return esgx_err_set(err, ESGX_KS_E_CORRUPT, "the fetched key is not an xprv");
    }
    pthread_mutex_lock(&T->mu);
    int rc = 0;
    if (!T->ks.ready) {
        rc = esgx_keystore_install(&T->ks, T->plat, E->opt.data_dir, &key, err);
        if (rc == 0) enclave_exec_publish_key(E);
    }
    esgx_bip32_key_wipe(&key);
    if (rc == 0) {
        enclave_log(E, LOG_INFO, "network key %s sealed to %s/%s", T->ks.xpub,
                    E->opt.data_dir, KS_SEALED_NAME);
        send_key_status(E, 0, NULL);   /* unsolicited: the host leaves 503 */
    }
    pthread_mutex_unlock(&T->mu);
    return rc;
}

static void peer_log(void *arg, int level, const char *msg)
{
    enclave_log(arg, level, "peer: %s", msg);
}

int enclave_peers_start(enclave *E)
{
    enclave_trust *T = &E->trust;
    esgx_err err;
    /* Runs after HELLO, so an unsolicited KEY_STATUS always follows it. */
    if (E->opt.peers && T->ks.ready) {
        enclave_log(E, LOG_INFO, "shared key unsealed from disk; not fetching from --peers");
        T->pc.peers = NULL;
    }
    if (!T->pc.listen && !T->pc.peers) return 0;
    peer_key_ops kops = {.get_xprv = peer_get_xprv, .install = peer_install,
                         .log = peer_log, .arg = E};
    if (esgx_peer_start(T->plat, &T->pc, &kops, &T->peers, &err) != 0) {
        enclave_log(E, LOG_ERROR, "key sharing: %s", err.msg);
        return ENCLAVE_EXIT_CONFIG;
    }
    if (T->pc.listen)
        enclave_log(E, LOG_INFO, "peer endpoint listening on %s (port %u)", T->pc.listen,
                    (unsigned)esgx_peer_listen_port(T->peers));
    if (T->pc.peers && T->pin.set) {
        char want[67];
        esgx_netkey_hex(T->pin.public_key, want);
        enclave_log(E, LOG_INFO, "fetching the network key %s (--network-key) from peers %s",
                    want, T->pc.peers);
    } else if (T->pc.peers) {
        enclave_log(E, LOG_INFO, "fetching the network key from peers %s", T->pc.peers);
        enclave_log(E, LOG_WARN, "no --network-key: the first attested peer of this build "
                                 "and trust anchors decides which network this node joins; "
                                 "pin the key the --init node printed");
    }
    return 0;
}

void enclave_peers_stop(enclave *E)
{
    esgx_peer_stop(E->trust.peers);
    E->trust.peers = NULL;
}

void enclave_trust_stop(enclave *E)
{
    enclave_trust *T = &E->trust;
    esgx_keystore_wipe(&T->ks);
    esgx_crypto_wipe(T->k_admin, sizeof T->k_admin);
    T->admin_ready = 0;
    free(T->doc_quote);
    T->doc_quote = NULL;
    esgx_attest_sim_free(T->bundle);
    T->bundle = NULL;
    free(T->collateral);
    T->collateral = NULL;
    free(T->roots);
    T->roots = NULL;
    esgx_platform_close(T->plat);
    T->plat = NULL;
}
