/*
 * test_keystore.c: the sim platform and the sealed shared key, through their real
 * interfaces on real files: machine secret creation, sealing keys per policy, key
 * creation/sealing/unsealing, refusal of torn, foreign, tampered and non-esgx files
 * (never replaced), and atomic no-replace creation under concurrent processes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keystore.h"
#include "platform.h"
#include "test_util.h"

static char g_exe[4096];

static esgx_platform *open_plat(const char *dir, const char *exe)
{
    esgx_platform *p = NULL;
    esgx_err err;
    int rc = esgx_platform_sim_open(dir, exe, &p, &err);
    if (rc != 0) fprintf(stderr, "platform open: %s\n", err.msg);
    CHECK_EQ_INT(rc, 0);
    return p;
}

static void copy_file(const char *from, const char *to, size_t truncate_to)
{
    size_t len;
    unsigned char *b = t_read_file(from, &len);
    CHECK(b != NULL);
    if (!b) return;
    if (truncate_to && truncate_to < len) len = truncate_to;
    CHECK_EQ_INT(t_write_file(to, b, len), 0);
    free(b);
}

static int count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) n++;
    if (d) closedir(d);
    return n;
}

static void test_platform(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/sim_machine.secret", dir);
    esgx_platform *p = open_plat(dir, g_exe);
    if (!p) return;
    struct stat st;
    CHECK_EQ_INT(stat(path, &st), 0);
    CHECK_EQ_INT(st.st_size, 32);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    CHECK_EQ_INT(strcmp(p->name, "sim"), 0);

    /* MRENCLAVE = SHA-256 of the executable; MRSIGNER = SHA-256 of the signer string. */
    size_t len;
    unsigned char *exe = t_read_file(g_exe, &len);
    uint8_t h[32];
    esgx_crypto_sha256(exe, len, h);
    free(exe);
    CHECK(memcmp(h, p->mrenclave, 32) == 0);
    esgx_crypto_sha256(ESGX_SIM_SIGNER, strlen(ESGX_SIM_SIGNER), h);
    CHECK(memcmp(h, p->mrsigner, 32) == 0);

    uint8_t k1[32], k2[32], k3[32];
    CHECK_EQ_INT(esgx_platform_seal_key(p, ESGX_SEAL_MRSIGNER, k1, NULL), 0);
    CHECK_EQ_INT(esgx_platform_seal_key(p, ESGX_SEAL_MRENCLAVE, k2, NULL), 0);
    CHECK(memcmp(k1, k2, 32) != 0);
    CHECK(esgx_platform_seal_key(p, (esgx_seal_policy)7, k3, NULL) == ESGX_PLAT_E_ARG);
    esgx_platform_close(p);

    /* Re-opening reads the same secret: same keys. A different executable (a rebuilt
     * enclave) has another MRENCLAVE key but the same MRSIGNER key. */
    p = open_plat(dir, g_exe);
    CHECK_EQ_INT(esgx_platform_seal_key(p, ESGX_SEAL_MRSIGNER, k3, NULL), 0);
    CHECK(memcmp(k1, k3, 32) == 0);
    esgx_platform_close(p);
    p = open_plat(dir, "/bin/sh");
    CHECK_EQ_INT(esgx_platform_seal_key(p, ESGX_SEAL_MRSIGNER, k3, NULL), 0);
    CHECK(memcmp(k1, k3, 32) == 0);
    CHECK_EQ_INT(esgx_platform_seal_key(p, ESGX_SEAL_MRENCLAVE, k3, NULL), 0);
    CHECK(memcmp(k2, k3, 32) != 0);
    esgx_platform_close(p);
    CHECK_EQ_INT(count_tmp_files(dir), 0);
}

static void test_bad_machine_secret(const char *base)
{
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/badsecret", base);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/sim_machine.secret", dir);
    CHECK_EQ_INT(t_write_file(path, "short", 5), 0);
    esgx_platform *p = NULL;
    esgx_err err;
    CHECK_EQ_INT(esgx_platform_sim_open(dir, g_exe, &p, &err), ESGX_PLAT_E_CORRUPT);
    CHECK(strstr(err.msg, "sim_machine.secret") != NULL);
    struct stat st;
    CHECK_EQ_INT(stat(path, &st), 0);
    CHECK_EQ_INT(st.st_size, 5);   /* not replaced */
}

static void test_keys(const char *base)
{
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/node", base);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/%s", dir, KS_SEALED_NAME);
    esgx_platform *p = open_plat(dir, g_exe);
    if (!p) return;
    esgx_err err;
    esgx_keystore ks;
    memset(&ks, 0, sizeof ks);

    CHECK_EQ_INT(esgx_keystore_load(&ks, p, dir, &err), ESGX_KS_E_NOKEY);
    CHECK(!ks.ready);
    CHECK_EQ_INT(esgx_keystore_create(&ks, p, dir, &err), 0);
    CHECK(ks.ready);
    CHECK(ks.shared.has_private);
    CHECK_EQ_INT(strlen(ks.xpub), 111);
    CHECK(strncmp(ks.xpub, "xpub", 4) == 0);
    CHECK_EQ_INT(ks.shared.depth, 2);
    CHECK_EQ_INT(ks.shared.child_number, 0x80000000u);
    uint8_t pub[33];
    CHECK_EQ_INT(esgx_ec_pubkey_from_seckey(ks.shared.private_key, pub, NULL), 0);
    CHECK(memcmp(pub, ks.public_key, 33) == 0);
    struct stat st;
    CHECK_EQ_INT(stat(path, &st), 0);
    CHECK_EQ_INT(st.st_size, KS_FILE_LEN);
    CHECK_EQ_INT(st.st_mode & 0777, 0600);
    CHECK_EQ_INT(count_tmp_files(dir), 0);

    /* The file never contains the xprv or xpub in clear. */
    size_t flen;
    unsigned char *file = t_read_file(path, &flen);
    CHECK(file && memcmp(file, "ESGXSEAL", 8) == 0);
    CHECK(file && file[8] == 1 && file[9] == ESGX_SEAL_MRSIGNER);
    CHECK(file && memcmp(file + 10, p->mrsigner, 32) == 0);
    CHECK(file && !memmem(file, flen, "xprv", 4));

    /* Refuses to create a second key; the file is unchanged. */
    esgx_keystore ks2;
    memset(&ks2, 0, sizeof ks2);
    CHECK_EQ_INT(esgx_keystore_create(&ks2, p, dir, &err), ESGX_KS_E_EXISTS);
    CHECK(strstr(err.msg, "already exists") != NULL);
    size_t flen2;
    unsigned char *file2 = t_read_file(path, &flen2);
    CHECK(file2 && flen2 == flen && memcmp(file, file2, flen) == 0);
    free(file2);

    /* Unseals to the same key, also from a "rebuilt" enclave (other MRENCLAVE). */
    CHECK_EQ_INT(esgx_keystore_load(&ks2, p, dir, &err), 0);
    CHECK(ks2.ready && strcmp(ks2.xpub, ks.xpub) == 0);
    CHECK(memcmp(ks2.shared.private_key, ks.shared.private_key, 32) == 0);
    esgx_keystore_wipe(&ks2);
    CHECK(!ks2.ready);
    esgx_platform *rebuilt = open_plat(dir, "/bin/sh");
    CHECK_EQ_INT(esgx_keystore_load(&ks2, rebuilt, dir, &err), 0);
    CHECK(strcmp(ks2.xpub, ks.xpub) == 0);
    esgx_keystore_wipe(&ks2);
    esgx_platform_close(rebuilt);

    /* Torn file: same machine, truncated copy. Refused, not modified. */
    char dir2[4300], path2[4400], secret_from[4400], secret_to[4400];
    snprintf(dir2, sizeof dir2, "%s/torn", base);
    mkdir(dir2, 0700);
    snprintf(secret_from, sizeof secret_from, "%s/sim_machine.secret", dir);
    snprintf(secret_to, sizeof secret_to, "%s/sim_machine.secret", dir2);
    copy_file(secret_from, secret_to, 0);
    snprintf(path2, sizeof path2, "%s/%s", dir2, KS_SEALED_NAME);
    copy_file(path, path2, 100);
    esgx_platform *p2 = open_plat(dir2, g_exe);
    CHECK_EQ_INT(esgx_keystore_load(&ks2, p2, dir2, &err), ESGX_KS_E_TORN);
    CHECK(strstr(err.msg, "torn") != NULL);
    CHECK_EQ_INT(esgx_keystore_create(&ks2, p2, dir2, &err), ESGX_KS_E_EXISTS);
    CHECK_EQ_INT(stat(path2, &st), 0);
    CHECK_EQ_INT(st.st_size, 100);
    /* Tampered ciphertext on the same machine: refused. */
    unsigned char *tampered = malloc(flen);
    memcpy(tampered, file, flen);
    tampered[60] ^= 1;
    CHECK_EQ_INT(t_write_file(path2, tampered, flen), 0);
    CHECK_EQ_INT(esgx_keystore_load(&ks2, p2, dir2, &err), ESGX_KS_E_FOREIGN);
    /* Tampered header (policy byte): refused. */
    memcpy(tampered, file, flen);
    tampered[9] = ESGX_SEAL_MRENCLAVE;
    CHECK_EQ_INT(t_write_file(path2, tampered, flen), 0);
    CHECK_EQ_INT(esgx_keystore_load(&ks2, p2, dir2, &err), ESGX_KS_E_FOREIGN);
    /* Not an esgx file. */
    CHECK_EQ_INT(t_write_file(path2, "hello world, not a key", 22), 0);
    CHECK_EQ_INT(esgx_keystore_load(&ks2, p2, dir2, &err), ESGX_KS_E_CORRUPT);
    /* Correct copy works on the same machine. */
    copy_file(path, path2, 0);
    CHECK_EQ_INT(esgx_keystore_load(&ks2, p2, dir2, &err), 0);
    CHECK(strcmp(ks2.xpub, ks.xpub) == 0);
    esgx_keystore_wipe(&ks2);
    esgx_platform_close(p2);
    free(tampered);

    /* Foreign file: another machine (fresh machine secret) cannot unseal it. */
    char dir3[4300], path3[4400];
    snprintf(dir3, sizeof dir3, "%s/foreign", base);
    mkdir(dir3, 0700);
    snprintf(path3, sizeof path3, "%s/%s", dir3, KS_SEALED_NAME);
    copy_file(path, path3, 0);
    esgx_platform *p3 = open_plat(dir3, g_exe);
    CHECK_EQ_INT(esgx_keystore_load(&ks2, p3, dir3, &err), ESGX_KS_E_FOREIGN);
    CHECK(strstr(err.msg, "another machine") != NULL);
    CHECK(!ks2.ready);
    size_t flen3;
    unsigned char *file3 = t_read_file(path3, &flen3);
    CHECK(file3 && flen3 == flen && memcmp(file3, file, flen) == 0);   /* untouched */
    free(file3);
    esgx_platform_close(p3);

    free(file);
    esgx_keystore_wipe(&ks);
    CHECK(!ks.ready);
    esgx_platform_close(p);
}

/* Several processes race to create the key in one directory: exactly one wins, the
 * others get ESGX_KS_E_EXISTS, and the result unseals to the winner's key. */
static void test_concurrent_create(const char *base)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/race", base);
    mkdir(dir, 0700);
    esgx_platform *p = open_plat(dir, g_exe);   /* machine secret made once first */
    if (!p) return;
    enum { N = 6 };
    int pipes[N][2];
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        if (pipe(pipes[i]) != 0) return;
        pids[i] = fork();
        if (pids[i] == 0) {
            esgx_keystore ks;
            memset(&ks, 0, sizeof ks);
            int rc = esgx_keystore_create(&ks, p, dir, NULL);
            char out[120] = {0};
            if (rc == 0) memcpy(out, ks.xpub, 111);
            if (write(pipes[i][1], out, sizeof out) != (ssize_t)sizeof out) _exit(3);
            _exit(rc == 0 ? 0 : rc == ESGX_KS_E_EXISTS ? 1 : 2);
        }
        close(pipes[i][1]);
    }
    int winners = 0, losers = 0;
    char winner_xpub[120] = {0};
    for (int i = 0; i < N; i++) {
        int status = 0;
        char out[120];
        if (read(pipes[i][0], out, sizeof out) == (ssize_t)sizeof out && out[0])
            memcpy(winner_xpub, out, sizeof out);
        close(pipes[i][0]);
        waitpid(pids[i], &status, 0);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) winners++;
        else if (WIFEXITED(status) && WEXITSTATUS(status) == 1) losers++;
    }
    CHECK_EQ_INT(winners, 1);
    CHECK_EQ_INT(losers, N - 1);
    esgx_keystore ks;
    memset(&ks, 0, sizeof ks);
    CHECK_EQ_INT(esgx_keystore_load(&ks, p, dir, NULL), 0);
    CHECK(strcmp(ks.xpub, winner_xpub) == 0);
    CHECK_EQ_INT(count_tmp_files(dir), 0);
    esgx_keystore_wipe(&ks);
    esgx_platform_close(p);
}

int main(int argc, char **argv)
{
    ssize_t n = readlink("/proc/self/exe", g_exe, sizeof g_exe - 1);
    if (n <= 0) return 1;
    g_exe[n] = 0;
    char base[256];
    t_tmpdir(base, sizeof base, "keystore");
    test_platform(base);
    test_bad_machine_secret(base);
    test_keys(base);
    test_concurrent_create(base);
    t_rmdir(base);
    T_DONE("enclave_keystore");
}
