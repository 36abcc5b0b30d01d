/*
 * test_blake3_b3sum.c: BLAKE3 agrees with the independent Rust implementation, the
 * `b3sum` program (run live; B3SUM env var or /usr/bin/b3sum), on pseudo-random inputs
 * of lengths around every chunk, block and tree-block boundary and of several MiB, in
 * the four modes default hash, --length (extended output), --keyed and --derive-key,
 * for every implementation this CPU supports, the input given in one piece and in
 * random-sized pieces. Exits 77 if b3sum is missing. The random seed is printed.
 */
#include "esgx_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esgx_test.h"


static uint64_t rng_state;

static uint64_t rng_next(void)
{
    /* xorshift64*: plenty for test data. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static void rng_fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t r = rng_next();
        memcpy(p + i, &r, n - i < 8 ? n - i : 8);
    }
}

static int write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* Runs argv with stdin from stdin_path (or /dev/null); captures stdout into out
 * (capacity cap, NUL-terminated, trailing newline removed). Returns the exit status or
 * -1. */
static int run_capture(char *const argv[], const char *stdin_path, char *out, size_t cap)
{
    int pipefd[2];
    if (pipe(pipefd)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int in = open(stdin_path ? stdin_path : "/dev/null", O_RDONLY);
        if (in < 0 || dup2(in, 0) < 0 || dup2(pipefd[1], 1) < 0) _exit(126);
        close(pipefd[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t n = 0;
    for (;;) {
        ssize_t r = read(pipefd[0], out + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
        if (n == cap - 1) break;
    }
    close(pipefd[0]);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r')) out[--n] = '\0';
    int status;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

enum mode { MODE_HASH, MODE_LENGTH, MODE_KEYED, MODE_DERIVE };
static const char *const mode_names[] = {"hash", "--length", "--keyed", "--derive-key"};
#define XOF_LEN 200u
static const char context[] = "esgx 2024-01-01 test context for b3sum agreement";

static void our_hash(enum mode m, const uint8_t key[32], const uint8_t *in, size_t len,
                     int pieces, char *hex)
{
    esgx_blake3_hasher h;
    if (m == MODE_KEYED) esgx_blake3_init_keyed(&h, key);
    else if (m == MODE_DERIVE) esgx_blake3_init_derive_key(&h, context, strlen(context));
    else esgx_blake3_init(&h);
    if (!pieces) {
        esgx_blake3_update(&h, in, len);
    } else {
        size_t off = 0;
        while (off < len) {
            size_t take = (size_t)(rng_next() % 5000);
            if (rng_next() % 4 == 0) take = (size_t)(rng_next() % 70000);
            if (take > len - off) take = len - off;
            esgx_blake3_update(&h, in + off, take);
            off += take;
        }
    }
    size_t out_len = m == MODE_LENGTH ? XOF_LEN : ESGX_BLAKE3_OUT_LEN;
    uint8_t out[XOF_LEN];
    esgx_blake3_finalize(&h, out, out_len);
    esgx_crypto_hex_encode(out, out_len, hex);
    esgx_blake3_wipe(&h);
}

int main(void)
{
    const char *b3sum = getenv("B3SUM");
    if (!b3sum || !*b3sum) b3sum = "/usr/bin/b3sum";
    if (access(b3sum, X_OK)) {
        fprintf(stderr, "SKIP: %s not found (apt install b3sum, or set B3SUM)\n", b3sum);
        return 77;
    }
    char dir[] = "/tmp/esgx_b3test.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char data_path[64], key_path[64];
    snprintf(data_path, sizeof data_path, "%s/data", dir);
    snprintf(key_path, sizeof key_path, "%s/key", dir);

    if (esgx_crypto_random(&rng_state, sizeof rng_state, NULL) || !rng_state) rng_state = 1;
    const char *seed_env = getenv("ESGX_TEST_SEED");
    if (seed_env) rng_state = strtoull(seed_env, NULL, 0);
    printf("seed: ESGX_TEST_SEED=0x%llx\n", (unsigned long long)rng_state);

    uint8_t key[32];
    rng_fill(key, sizeof key);
    if (write_file(key_path, key, sizeof key)) {
        perror(key_path);
        return 1;
    }

    static const size_t lens[] = {0,      1,      63,     64,         65,         1023,
                                  1024,   1025,   2047,   2048,       2049,       262143,
                                  262144, 262145, 524288, 3145728 + 17, 5242880 + 1000};
    static const esgx_blake3_impl impls[] = {ESGX_BLAKE3_IMPL_PORTABLE, ESGX_BLAKE3_IMPL_SSE41,
                                        ESGX_BLAKE3_IMPL_AVX2, ESGX_BLAKE3_IMPL_AVX512};
    size_t max_len = lens[sizeof lens / sizeof lens[0] - 1];
    uint8_t *data = malloc(max_len);
    if (!data) return 1;

    char lenarg[32];
    snprintf(lenarg, sizeof lenarg, "%u", XOF_LEN);
    size_t compared = 0;
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t len = lens[li];
        rng_fill(data, len);
        if (write_file(data_path, data, len)) {
            perror(data_path);
            return 1;
        }
        for (int m = MODE_HASH; m <= MODE_DERIVE; m++) {
            char *argv[8];
            int a = 0;
            argv[a++] = (char *)b3sum;
            argv[a++] = (char *)"--no-names";
            argv[a++] = (char *)"--num-threads";
            argv[a++] = (char *)"1";
            if (m == MODE_LENGTH) {
                argv[a++] = (char *)"--length";
                argv[a++] = lenarg;
            } else if (m == MODE_KEYED) {
                argv[a++] = (char *)"--keyed";
            } else if (m == MODE_DERIVE) {
                argv[a++] = (char *)"--derive-key";
                argv[a++] = (char *)context;
            }
            argv[a++] = data_path;
            argv[a] = NULL;
            char want[2 * XOF_LEN + 64];
            int rc = run_capture(argv, m == MODE_KEYED ? key_path : NULL, want, sizeof want);
            if (rc != 0) {
                CHECK(0, "b3sum %s len %zu exited %d", mode_names[m], len, rc);
                continue;
            }
            for (size_t k = 0; k < sizeof impls / sizeof impls[0]; k++) {
                if (esgx_blake3_impl_select(impls[k])) continue;
                for (int pieces = 0; pieces < 2; pieces++) {
                    char got[2 * XOF_LEN + 1];
                    our_hash((enum mode)m, key, data, len, pieces, got);
                    CHECK(!strcmp(got, want), "%s %s len %zu %s: got %s want %s",
                          esgx_blake3_impl_name(), mode_names[m], len,
                          pieces ? "pieces" : "one piece", got, want);
                    compared++;
                }
            }
        }
    }
    if (esgx_blake3_impl_select(ESGX_BLAKE3_IMPL_AUTO) != 0) { /* AUTO is always available */
        fprintf(stderr, "cannot select the automatic BLAKE3 implementation\n");
        exit(1);
    }
    esgx_crypto_wipe(key, sizeof key);
    free(data);
    unlink(data_path);
    unlink(key_path);
    rmdir(dir);
    printf("%zu comparisons with %s\n", compared, b3sum);
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    printf("blake3 vs b3sum: OK\n");
    return 0;
}
