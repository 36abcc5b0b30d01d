/*
 * tiers_diff_main.c: esgx-tiers-diff, the differential check of the two tiers
 * (tiers_diff.h, the same code as the libFuzzer target fuzz_wasm_tiers) over module
 * files, for ctest (tests/wasm_tiers_diff.sh) and for replaying fuzzer inputs.
 *   esgx-tiers-diff [-v] [--fuel N] FILE|DIR...
 * -v also names each module both tiers refused, with the reason.
 * A directory stands for its regular files (not recursive). Prints one line per
 * module where the tiers differ, then a summary with the tiers compared; exits 1 if
 * any module differed or could not be read, 2 on bad usage, else 0.
 */
#include "tiers_diff.h"

#include "esgx_wasm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct diff_run {
    uint64_t fuel;
    int verbose;
    esgx_tiers_diff_stats st;
    unsigned long differ, unreadable;
} diff_run;

/* The bytes of a regular file (its size from fstat), or NULL with errno set. */
static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat sb;
    uint8_t *buf = NULL;
    if (fstat(fileno(f), &sb) == 0 && (buf = malloc((size_t)sb.st_size + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)sb.st_size, f);
        if (*len != (size_t)sb.st_size) {
            free(buf);
            buf = NULL;
            errno = EIO;
        }
    }
    fclose(f);
    return buf;
}

static void check_file(diff_run *r, const char *path)
{
    size_t len = 0;
    uint8_t *bytes = read_all(path, &len);
    if (!bytes) {
        printf("%s: cannot read: %s\n", path, strerror(errno));
        r->unreadable++;
        return;
    }
    char report[1024];
    if (esgx_tiers_diff_run(bytes, len, r->fuel, &r->st, report, sizeof report)) {
        printf("%s: the tiers differ: %s\n", path, report);
        r->differ++;
    } else if (r->verbose && report[0]) {
        printf("%s: %s\n", path, report);
    }
    free(bytes);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_path(diff_run *r, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        check_file(r, path);
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) {
        printf("%s: cannot read: %s\n", path, strerror(errno));
        r->unreadable++;
        return;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        if (stat(full, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        char **nn = realloc(names, (n + 1) * sizeof *nn);
        if (!nn || !(nn[n] = strdup(full))) {
            names = nn ? nn : names;
            r->unreadable++;
            break;
        }
        names = nn;
        n++;
    }
    closedir(dir);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        check_file(r, names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    diff_run r;
    memset(&r, 0, sizeof r);
    r.fuel = ESGX_TIERS_DIFF_FUEL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int i = 1;
    if (i < argc && strcmp(argv[i], "-v") == 0) {
        r.verbose = 1;
        i++;
    }
    if (i + 1 < argc && strcmp(argv[i], "--fuel") == 0) {
        char *end;
        r.fuel = strtoull(argv[i + 1], &end, 10);
        if (*end || r.fuel == 0) {
            fprintf(stderr, "esgx-tiers-diff: bad --fuel %s\n", argv[i + 1]);
            return 2;
        }
        i += 2;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: esgx-tiers-diff [-v] [--fuel N] FILE|DIR...\n");
        return 2;
    }
    for (; i < argc; i++) check_path(&r, argv[i]);
    printf("esgx-tiers-diff: interp vs %s%s; %llu modules, %llu accepted, %llu instantiated, "
           "%llu calls (%llu trapped), %lu differ, %lu unreadable\n",
           esgx_wasm_tier_name(r.st.accepted ? (esgx_wasm_tier)r.st.tier_b : ESGX_WASM_TIER_JIT),
           esgx_wasm_jit_available() ? "" : " (no compiler in this build: both sides interpreted)",
           (unsigned long long)r.st.modules, (unsigned long long)r.st.accepted,
           (unsigned long long)r.st.instantiated, (unsigned long long)r.st.calls,
           (unsigned long long)r.st.traps, r.differ, r.unreadable);
    return r.differ || r.unreadable ? 1 : 0;
}
