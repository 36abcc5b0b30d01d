/*
 * keystore.c: the shared key's life cycle: create (first node), seal, unseal.
 *
 * Sealing uses the platform's MRSIGNER-policy key: an upgraded enclave build from the
 * same signer keeps the network key, while another machine (another sim machine
 * secret, or another CPU under SGX) or another signer cannot unseal it. The header
 * (magic, version, policy, identity) is the AEAD's associated data, so none of it can
 * be altered without failing the tag check.
 *
 * Files are never replaced: a new sealed file is written to a unique temporary name,
 * fsynced, and moved into place with renameat2(RENAME_NOREPLACE) (link() where the
 * filesystem lacks it), then the directory is fsynced. Loading classifies problems so
 * the operator sees what happened: wrong size = torn, other identity or failed tag =
 * foreign, bad magic = not ours. Key text and seeds are wiped as soon as possible.
 */
#define _GNU_SOURCE
#include "keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int path_join(char *out, size_t cap, const char *dir, const char *name, esgx_err *err)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= cap)
        return esgx_err_set(err, ESGX_KS_E_ARG, "data directory path too long");
    return 0;
}

static void header_build(uint8_t hdr[KS_HEADER_LEN], esgx_seal_policy policy,
                         const uint8_t identity[32])
{
    memcpy(hdr, KS_MAGIC, 8);
    hdr[8] = KS_VERSION;
    hdr[9] = (uint8_t)policy;
    memcpy(hdr + 10, identity, 32);
}

/* Fills ks from a private extended key (copied). */
static int keystore_set(esgx_keystore *ks, const esgx_bip32_key *key, esgx_err *err)
{
    esgx_bip32_key pub;
    esgx_bip32_key_neuter(key, &pub);
    char xpub[ESGX_BIP32_TEXT_LEN + 1];
    int rc = esgx_bip32_key_serialize(&pub, 0, xpub, sizeof xpub, err);
    if (rc != 0) return ESGX_KS_E_CRYPTO;
    esgx_keystore_wipe(ks);
    ks->shared = *key;
    memcpy(ks->xpub, xpub, sizeof xpub);
    memcpy(ks->public_key, key->public_key, 33);
    ks->ready = 1;
    return 0;
}

int esgx_keystore_load(esgx_keystore *ks, esgx_platform *plat, const char *dir, esgx_err *err)
{
    char path[4096];
    if (!ks || !plat || !dir) return esgx_err_set(err, ESGX_KS_E_ARG, "bad keystore arguments");
    if (path_join(path, sizeof path, dir, KS_SEALED_NAME, err)) return ESGX_KS_E_ARG;

    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return esgx_err_set(err, ESGX_KS_E_NOKEY, "no sealed key at %s", path);
        return esgx_err_set(err, ESGX_KS_E_IO, "cannot open %s: %s", path, strerror(errno));
    }
    uint8_t file[KS_FILE_LEN + 1];
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, file + got, sizeof file - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return esgx_err_set(err, ESGX_KS_E_IO, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0 || (got += (size_t)r) == sizeof file) break;
    }
    close(fd);

    if (got >= 8 && memcmp(file, KS_MAGIC, 8) != 0)
        return esgx_err_set(err, ESGX_KS_E_CORRUPT,
                            "%s is not an esgx sealed key (bad magic); refusing it", path);
    if (got != KS_FILE_LEN)
        return esgx_err_set(err, ESGX_KS_E_TORN,
                            "%s has %zu bytes, expected %d: torn or truncated write; "
                            "refusing it (restore it from backup or fetch the key from a "
                            "peer after moving it away)",
                            path, got > KS_FILE_LEN ? (size_t)KS_FILE_LEN + 1 : got,
                            KS_FILE_LEN);
    if (file[8] != KS_VERSION)
        return esgx_err_set(err, ESGX_KS_E_CORRUPT, "%s has unsupported version %u", path, file[8]);
    esgx_seal_policy policy = (esgx_seal_policy)file[9];
    const uint8_t *identity = esgx_platform_identity(plat, policy);
    if (!identity)
        return esgx_err_set(err, ESGX_KS_E_CORRUPT, "%s has unknown sealing policy %u", path, file[9]);
    if (memcmp(identity, file + 10, 32) != 0)
        return esgx_err_set(err, ESGX_KS_E_FOREIGN,
                            "%s was sealed for a different %s; this enclave cannot unseal it",
                            path, policy == ESGX_SEAL_MRSIGNER ? "enclave signer (MRSIGNER)"
                                                               : "enclave build (MRENCLAVE)");
    uint8_t key[32];
    esgx_err cerr;
    if (esgx_platform_seal_key(plat, policy, key, &cerr) != 0)
        return esgx_err_set(err, ESGX_KS_E_CRYPTO, "sealing key: %s", cerr.msg);
    char text[ESGX_BIP32_TEXT_LEN + 1];
    size_t text_len = 0;
    int rc = esgx_aead_open(key, file, KS_HEADER_LEN, file + KS_HEADER_LEN,
                       KS_FILE_LEN - KS_HEADER_LEN, (uint8_t *)text, ESGX_BIP32_TEXT_LEN,
                       &text_len, &cerr);
    esgx_crypto_wipe(key, sizeof key);
    if (rc != 0)
        return esgx_err_set(err, ESGX_KS_E_FOREIGN,
                            "%s cannot be unsealed here: it was sealed on another machine "
                            "(different sim_machine.secret / CPU) or has been tampered with",
                            path);
    esgx_bip32_key shared;
    rc = esgx_bip32_key_parse(text, text_len, &shared, &cerr);
    esgx_crypto_wipe(text, sizeof text);
    if (rc != 0 || !shared.has_private) {
        esgx_bip32_key_wipe(&shared);
        return esgx_err_set(err, ESGX_KS_E_CORRUPT, "%s does not contain an xprv", path);
    }
    rc = keystore_set(ks, &shared, err);
    esgx_bip32_key_wipe(&shared);
    return rc;
}

static int write_sealed(esgx_platform *plat, const char *dir, const esgx_bip32_key *key,
                        esgx_err *err)
{
    char path[4096], tmp[4096];
    if (path_join(path, sizeof path, dir, KS_SEALED_NAME, err)) return ESGX_KS_E_ARG;
    uint8_t rnd[8];
    char rhex[17];
    if (esgx_crypto_random(rnd, sizeof rnd, NULL) != 0) return esgx_err_set(err, ESGX_KS_E_CRYPTO, "random");
    esgx_crypto_hex_encode(rnd, sizeof rnd, rhex);
    int n = snprintf(tmp, sizeof tmp, "%s/.%s.%ld.%s.tmp", dir, KS_SEALED_NAME, (long)getpid(),
                     rhex);
    if (n < 0 || (size_t)n >= sizeof tmp) return esgx_err_set(err, ESGX_KS_E_ARG, "path too long");

    struct stat st;
    if (lstat(path, &st) == 0)
        return esgx_err_set(err, ESGX_KS_E_EXISTS,
                            "%s already exists: refusing to create a new shared key", path);

    uint8_t file[KS_FILE_LEN];
    esgx_seal_policy policy = ESGX_SEAL_MRSIGNER;
    header_build(file, policy, esgx_platform_identity(plat, policy));

    char text[ESGX_BIP32_TEXT_LEN + 1];
    uint8_t skey[32];
    esgx_err cerr;
    int rc = esgx_bip32_key_serialize(key, 1, text, sizeof text, &cerr);
    if (rc == 0) rc = esgx_platform_seal_key(plat, policy, skey, &cerr);
    size_t out_len = 0;
    if (rc == 0)
        rc = esgx_aead_seal(skey, file, KS_HEADER_LEN, (const uint8_t *)text, ESGX_BIP32_TEXT_LEN,
                       file + KS_HEADER_LEN, KS_FILE_LEN - KS_HEADER_LEN, &out_len, &cerr);
    esgx_crypto_wipe(text, sizeof text);
    esgx_crypto_wipe(skey, sizeof skey);
    if (rc != 0 || out_len != KS_FILE_LEN - KS_HEADER_LEN)
        return esgx_err_set(err, ESGX_KS_E_CRYPTO, "sealing the shared key failed: %s", cerr.msg);

    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return esgx_err_set(err, ESGX_KS_E_IO, "cannot create %s: %s", tmp, strerror(errno));
    const uint8_t *p = file;
    size_t left = sizeof file;
    rc = 0;
    while (left && rc == 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) rc = -1;
        else {
            p += w;
            left -= (size_t)w;
        }
    }
    if (rc == 0) rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0) {
        unlink(tmp);
        return esgx_err_set(err, ESGX_KS_E_IO, "cannot write %s: %s", tmp, strerror(e));
    }
    rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
        rc = link(tmp, path);
        e = errno;
        unlink(tmp);
        errno = e;
    }
    if (rc != 0) {
        e = errno;
        unlink(tmp);
        if (e == EEXIST)
            return esgx_err_set(err, ESGX_KS_E_EXISTS,
                                "%s appeared while creating the key: refusing to replace it",
                                path);
        return esgx_err_set(err, ESGX_KS_E_IO, "cannot move %s into place: %s", tmp, strerror(e));
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);   /* best effort: the file itself is already fsync'd */
        close(dfd);
    }
    return 0;
}

int esgx_keystore_install(esgx_keystore *ks, esgx_platform *plat, const char *dir,
                     const esgx_bip32_key *key, esgx_err *err)
{
    if (!ks || !plat || !dir || !key || !key->has_private)
        return esgx_err_set(err, ESGX_KS_E_ARG, "keystore_install needs a private key");
    int rc = write_sealed(plat, dir, key, err);
    if (rc != 0) return rc;
    return keystore_set(ks, key, err);
}

int esgx_keystore_create(esgx_keystore *ks, esgx_platform *plat, const char *dir,
                    esgx_err *err)
{
    if (!ks || !plat || !dir) return esgx_err_set(err, ESGX_KS_E_ARG, "bad keystore arguments");
    char path[4096];
    struct stat st;
    if (path_join(path, sizeof path, dir, KS_SEALED_NAME, err)) return ESGX_KS_E_ARG;
    if (lstat(path, &st) == 0)
        return esgx_err_set(err, ESGX_KS_E_EXISTS,
                            "%s already exists: refusing to create a new shared key", path);
    uint8_t seed[32];
    esgx_err cerr;
    if (esgx_platform_random(plat, seed, sizeof seed, &cerr) != 0)
        return esgx_err_set(err, ESGX_KS_E_CRYPTO, "random seed: %s", cerr.msg);
    esgx_bip32_key shared;
    int rc = esgx_bip32_shared_from_seed(seed, sizeof seed, &shared, &cerr);
    esgx_crypto_wipe(seed, sizeof seed);
    if (rc != 0) {
        esgx_bip32_key_wipe(&shared);
        return esgx_err_set(err, ESGX_KS_E_CRYPTO, "shared key derivation: %s", cerr.msg);
    }
    rc = esgx_keystore_install(ks, plat, dir, &shared, err);
    esgx_bip32_key_wipe(&shared);
    return rc;
}

void esgx_keystore_wipe(esgx_keystore *ks)
{
    if (!ks) return;
    esgx_bip32_key_wipe(&ks->shared);
    esgx_crypto_wipe(ks, sizeof *ks);
}
