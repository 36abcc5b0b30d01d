/*
 * cmd_hash.c: `esgx hash [OPTIONS] [FILE...]`, BLAKE3 of files like b3sum.
 *
 * Each input (a file, or stdin for "-" or when no file is given) is streamed through
 * one BLAKE3 hasher with read() in 128 KiB pieces, so files of any size hash in
 * constant memory and whole-chunk runs reach the SIMD hash_many path. Output lines are
 * b3sum's: "<hex>  <name>", or just "<hex>" with --no-names, or raw bytes with --raw
 * (one input only). --length N streams N bytes of extended output in 4 KiB pieces.
 * --keyed reads exactly 32 key bytes from stdin (so stdin cannot be an input);
 * --derive-key CONTEXT uses the key-derivation mode. A file that cannot be read is
 * reported on stderr and skipped; the exit status is then 1. Wrong usage exits 2.
 * --num-threads and --no-mmap are accepted for b3sum compatibility and ignored.
 */
#include "cli.h"
#include "esgx_crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HASH_READ_LEN (128u * 1024u)
#define HASH_OUT_PIECE 4096u

typedef struct hash_opts {
    uint64_t length;
    int keyed;
    const char *context;
    int no_names;
    int raw;
    uint64_t num_threads;   /* accepted and ignored */
    int no_mmap;            /* accepted and ignored */
    uint8_t key[ESGX_BLAKE3_KEY_LEN];
} hash_opts;

const cli_option cli_options_hash[] = {
    {.name = "--length", .alias = "-l", .kind = CLI_OPT_U64,
     .offset = offsetof(hash_opts, length), .max = UINT64_MAX, .wants = "a byte count"},
    CLI_OPT_ROW("--keyed", CLI_OPT_FLAG, hash_opts, keyed),
    CLI_OPT_ROW("--derive-key", CLI_OPT_STRING, hash_opts, context),
    CLI_OPT_ROW("--no-names", CLI_OPT_FLAG, hash_opts, no_names),
    CLI_OPT_ROW("--raw", CLI_OPT_FLAG, hash_opts, raw),
    {.name = "--num-threads", .kind = CLI_OPT_U64, .offset = offsetof(hash_opts, num_threads),
     .max = UINT64_MAX},
    CLI_OPT_ROW("--no-mmap", CLI_OPT_FLAG, hash_opts, no_mmap),
    CLI_OPT_END,
};

static void hash_usage(FILE *f)
{
    fprintf(f,
            "usage: esgx hash [OPTIONS] [FILE...]\n\n"
            "Prints the BLAKE3 hash of each FILE (\"-\" or none: standard input) as\n"
            "\"<hex>  <name>\", like b3sum.\n\n"
            "options:\n"
            "  -l, --length N          output N bytes (extended output), default 32\n"
            "      --keyed             keyed mode; the 32-byte key is read raw from stdin\n"
            "      --derive-key CTX    key-derivation mode with context string CTX\n"
            "      --no-names          print only the hashes\n"
            "      --raw               write raw output bytes (a single input only)\n"
            "      --num-threads N     accepted for b3sum compatibility, ignored\n"
            "      --no-mmap           accepted for b3sum compatibility, ignored\n"
            "  -h, --help              this help\n\n"
            "Exit status: 0 all inputs hashed, 1 an input could not be read (or a bad\n"
            "key), 2 wrong usage. ESGX_BLAKE3_IMPL=portable|sse41|avx2|avx512 forces\n"
            "a BLAKE3 implementation.\n");
}

/* Reads exactly 32 key bytes from stdin. Returns 0 or -1 (message printed). */
static int read_key(uint8_t key[ESGX_BLAKE3_KEY_LEN])
{
    uint8_t buf[ESGX_BLAKE3_KEY_LEN + 1];
    size_t n = 0;
    while (n < sizeof buf) {
        ssize_t r = read(STDIN_FILENO, buf + n, sizeof buf - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            cli_error("--keyed: reading the key from stdin: %s", strerror(errno));
            esgx_crypto_wipe(buf, sizeof buf);
            return ESGX_CLI_E_FAILED;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    int rc = 0;
    if (n > ESGX_BLAKE3_KEY_LEN) {
        cli_error("--keyed: read more than 32 key bytes from stdin");
        rc = ESGX_CLI_E_FAILED;
    } else if (n < ESGX_BLAKE3_KEY_LEN) {
        cli_error("--keyed: expected 32 key bytes from stdin, found %zu", n);
        rc = ESGX_CLI_E_FAILED;
    } else {
        memcpy(key, buf, ESGX_BLAKE3_KEY_LEN);
    }
    esgx_crypto_wipe(buf, sizeof buf);
    return rc;
}

static void hasher_start(esgx_blake3_hasher *h, const hash_opts *o)
{
    if (o->keyed) esgx_blake3_init_keyed(h, o->key);
    else if (o->context) esgx_blake3_init_derive_key(h, o->context, strlen(o->context));
    else esgx_blake3_init(h);
}

/* Streams path ("-" = stdin) into h. Returns 0, or -1 with the message printed. */
static int hash_input(const char *path, esgx_blake3_hasher *h, uint8_t *buf)
{
    int is_stdin = !strcmp(path, "-");
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error("%s: %s", path, strerror(errno));
        return ESGX_CLI_E_FAILED;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    if (!is_stdin) (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    int rc = 0;
    for (;;) {
        /* Fill the buffer fully when possible so update() sees whole subtrees. */
        size_t n = 0;
        int eof = 0;
        while (n < HASH_READ_LEN) {
            ssize_t r = read(fd, buf + n, HASH_READ_LEN - n);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                cli_error("%s: %s", path, strerror(errno));
                rc = ESGX_CLI_E_FAILED;
                break;
            }
            if (r == 0) {
                eof = 1;
                break;
            }
            n += (size_t)r;
        }
        if (rc) break;
        esgx_blake3_update(h, buf, n);
        if (eof) break;
    }
    if (!is_stdin) close(fd);
    return rc;
}

/* Writes the output of h for one input. Returns 0 or -1 if stdout failed. */
static int print_output(const esgx_blake3_hasher *h, const hash_opts *o, const char *name)
{
    uint8_t out[HASH_OUT_PIECE];
    char hex[2 * HASH_OUT_PIECE + 1];
    for (uint64_t done = 0; done < o->length;) {
        size_t n = o->length - done < HASH_OUT_PIECE ? (size_t)(o->length - done)
                                                      : HASH_OUT_PIECE;
        esgx_blake3_finalize_seek(h, done, out, n);
        if (o->raw) {
            if (fwrite(out, 1, n, stdout) != n) return ESGX_CLI_E_FAILED;
        } else {
            esgx_crypto_hex_encode(out, n, hex);
            if (fputs(hex, stdout) == EOF) return ESGX_CLI_E_FAILED;
        }
        done += n;
    }
    esgx_crypto_wipe(out, sizeof out);
    if (o->raw) return 0;
    if (!o->no_names && printf("  %s", name) < 0) return ESGX_CLI_E_FAILED;
    return putchar('\n') == EOF ? ESGX_CLI_E_FAILED : 0;
}

/* Hashes files[0..nfiles) (none: stdin) as o says. Returns the exit status. */
static int hash_files(hash_opts *o, const char **files, size_t nfiles)
{
    if (nfiles == 0) {
        files[0] = "-";
        nfiles = 1;
    }
    if (o->keyed && o->context)
        return cli_usage_error("hash", "--keyed and --derive-key cannot be used together");
    if (o->raw && nfiles > 1)
        return cli_usage_error("hash", "only one input can be given with --raw");
    if (o->keyed) {
        for (size_t i = 0; i < nfiles; i++)
            if (!strcmp(files[i], "-"))
                return cli_usage_error("hash", "--keyed reads the key from stdin, so stdin "
                                       "cannot be an input; name the files to hash");
        if (read_key(o->key)) return CLI_EXIT_FAIL;
    }

    uint8_t *buf = malloc(HASH_READ_LEN);
    if (!buf) {
        cli_error("hash: out of memory");
        return CLI_EXIT_FAIL;
    }
    int status = CLI_EXIT_OK;
    for (size_t i = 0; i < nfiles; i++) {
        esgx_blake3_hasher h;
        hasher_start(&h, o);
        if (hash_input(files[i], &h, buf)) {
            status = CLI_EXIT_FAIL;
        } else if (print_output(&h, o, files[i])) {
            cli_error("hash: writing to stdout: %s", strerror(errno));
            esgx_blake3_wipe(&h);
            status = CLI_EXIT_FAIL;
            break;
        }
        esgx_blake3_wipe(&h);
    }
    free(buf);
    if (fflush(stdout) == EOF) {
        cli_error("hash: writing to stdout: %s", strerror(errno));
        status = CLI_EXIT_FAIL;
    }
    return status;
}

int cmd_hash(int argc, char **argv)
{
    hash_opts o = {.length = ESGX_BLAKE3_OUT_LEN};
    /* every argument may be a file: room for all of them, plus stdin alone */
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) {
        cli_error("hash: out of memory");
        return CLI_EXIT_FAIL;
    }
    size_t nfiles;
    int rc = cli_parse_options("hash", &o, argc, argv, files, (size_t)argc, &nfiles);
    int status;
    if (rc == 1) {
        hash_usage(stdout);
        status = CLI_EXIT_OK;
    } else if (rc != ESGX_OK) {
        status = CLI_EXIT_USAGE;   /* cli_parse_options printed it */
    } else {
        status = hash_files(&o, files, nfiles);
    }
    free(files);
    esgx_crypto_wipe(o.key, sizeof o.key);
    return status;
}
