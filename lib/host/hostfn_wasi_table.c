/*
 * hostfn_wasi_table.c: every function of WASI preview 1, under both module names a
 * compiler may use: wasi_snapshot_preview1 (46 functions) and its predecessor
 * wasi_unstable (the same but sock_accept, with the preview 0 layouts where they
 * differ: fd_seek's whence order, fd_filestat_get's nlink, poll_oneoff's clock
 * subscription), each with the exact core type its witx lowers to. Also the calls of
 * a host without files or sockets (path_*, sock_*), and the names of the features
 * esgx deliberately lacks, so that a module needing one is refused by name.
 *
 *   path_*: a path is resolved against a directory fd, and there is none (no
 *   preopens): EBADF when the fd is not open, else ENOTCAPABLE (stdio fds have no path
 *   rights). sock_*: ENOTSUP (no sockets, docs/security.md).
 */
#include "hostfn_wasi.h"

#include <string.h>

/* A path call whose directory fds are the arguments at a and b (b < 0: one fd). */
static int path_refuse(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                       esgx_wasm_value *results, int a, int b)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    int stream;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    int e = esgx_wasi_fd(gs, wasi_arg_u32(args, a), 0, &stream);
    if (!e && b >= 0) e = esgx_wasi_fd(gs, wasi_arg_u32(args, b), 0, &stream);
    return wasi_ret(results, e ? e : WASI_ENOTCAPABLE);
}

#define PATH_FN(name, a, b)                                                               \
    static int esgx_wasi_##name(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,              \
                           esgx_wasm_value *results, void *env)                          \
    {                                                                                     \
        (void)env;                                                                        \
        return path_refuse(ctx, args, results, a, b);                                     \
    }
PATH_FN(path_create_directory, 0, -1)
PATH_FN(path_filestat_get, 0, -1)
PATH_FN(path_filestat_set_times, 0, -1)
PATH_FN(path_link, 0, 4)
PATH_FN(path_open, 0, -1)
PATH_FN(path_readlink, 0, -1)
PATH_FN(path_remove_directory, 0, -1)
PATH_FN(path_rename, 0, 3)
PATH_FN(path_symlink, 2, -1)
PATH_FN(path_unlink_file, 0, -1)

/* sock_accept, sock_recv, sock_send, sock_shutdown: no sockets. */
#define SOCK_FN(name)                                                                     \
    static int esgx_wasi_##name(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,         \
                                esgx_wasm_value *results, void *env)                     \
    {                                                                                     \
        (void)env;                                                                        \
        (void)args;                                                                       \
        if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;          \
        return wasi_ret(results, WASI_ENOTSUP);                                           \
    }
SOCK_FN(sock_accept)
SOCK_FN(sock_recv)
SOCK_FN(sock_send)
SOCK_FN(sock_shutdown)

/* The table rows: name, parameter count, result count, the wasi_unstable function
 * (same: the preview 1 one, esgx_wasi_NAME; own: esgx_wasi_NAME_p0; none: not in
 * wasi_unstable), parameter types. */
#define ROWS(X)                                                                       \
    X(args_get, 2, 1, same, I32, I32)                                                 \
    X(args_sizes_get, 2, 1, same, I32, I32)                                           \
    X(environ_get, 2, 1, same, I32, I32)                                              \
    X(environ_sizes_get, 2, 1, same, I32, I32)                                        \
    X(clock_res_get, 2, 1, same, I32, I32)                                            \
    X(clock_time_get, 3, 1, same, I32, I64, I32)                                      \
    X(fd_advise, 4, 1, same, I32, I64, I64, I32)                                      \
    X(fd_allocate, 3, 1, same, I32, I64, I64)                                         \
    X(fd_close, 1, 1, same, I32)                                                      \
    X(fd_datasync, 1, 1, same, I32)                                                   \
    X(fd_fdstat_get, 2, 1, same, I32, I32)                                            \
    X(fd_fdstat_set_flags, 2, 1, same, I32, I32)                                      \
    X(fd_fdstat_set_rights, 3, 1, same, I32, I64, I64)                                \
    X(fd_filestat_get, 2, 1, own, I32, I32)                                           \
    X(fd_filestat_set_size, 2, 1, same, I32, I64)                                     \
    X(fd_filestat_set_times, 4, 1, same, I32, I64, I64, I32)                          \
    X(fd_pread, 5, 1, same, I32, I32, I32, I64, I32)                                  \
    X(fd_prestat_get, 2, 1, same, I32, I32)                                           \
    X(fd_prestat_dir_name, 3, 1, same, I32, I32, I32)                                 \
    X(fd_pwrite, 5, 1, same, I32, I32, I32, I64, I32)                                 \
    X(fd_read, 4, 1, same, I32, I32, I32, I32)                                        \
    X(fd_readdir, 5, 1, same, I32, I32, I32, I64, I32)                                \
    X(fd_renumber, 2, 1, same, I32, I32)                                              \
    X(fd_seek, 4, 1, own, I32, I64, I32, I32)                                         \
    X(fd_sync, 1, 1, same, I32)                                                       \
    X(fd_tell, 2, 1, same, I32, I32)                                                  \
    X(fd_write, 4, 1, same, I32, I32, I32, I32)                                       \
    X(path_create_directory, 3, 1, same, I32, I32, I32)                               \
    X(path_filestat_get, 5, 1, same, I32, I32, I32, I32, I32)                         \
    X(path_filestat_set_times, 7, 1, same, I32, I32, I32, I32, I64, I64, I32)         \
    X(path_link, 7, 1, same, I32, I32, I32, I32, I32, I32, I32)                       \
    X(path_open, 9, 1, same, I32, I32, I32, I32, I32, I64, I64, I32, I32)             \
    X(path_readlink, 6, 1, same, I32, I32, I32, I32, I32, I32)                        \
    X(path_remove_directory, 3, 1, same, I32, I32, I32)                               \
    X(path_rename, 6, 1, same, I32, I32, I32, I32, I32, I32)                          \
    X(path_symlink, 5, 1, same, I32, I32, I32, I32, I32)                              \
    X(path_unlink_file, 3, 1, same, I32, I32, I32)                                    \
    X(poll_oneoff, 4, 1, own, I32, I32, I32, I32)                                     \
    X(proc_exit, 1, 0, same, I32)                                                     \
    X(proc_raise, 1, 1, same, I32)                                                    \
    X(sched_yield, 0, 1, same, 0)                                                     \
    X(random_get, 2, 1, same, I32, I32)                                               \
    X(sock_accept, 3, 1, none, I32, I32, I32)                                         \
    X(sock_recv, 6, 1, same, I32, I32, I32, I32, I32, I32)                            \
    X(sock_send, 5, 1, same, I32, I32, I32, I32, I32)                                 \
    X(sock_shutdown, 2, 1, same, I32, I32)

#define P0_same(name) esgx_wasi_##name
#define P0_own(name) esgx_wasi_##name##_p0
#define P0_none(name) NULL
#define P1_ROW(name, np, nr, p0, ...)                                                     \
    {"wasi_snapshot_preview1", #name, np, nr, {__VA_ARGS__}, {I32}, esgx_wasi_##name},
const hostfn_def esgx_host_fn_wasi_table[] = {ROWS(P1_ROW)};
const size_t esgx_host_fn_wasi_count =
    sizeof esgx_host_fn_wasi_table / sizeof esgx_host_fn_wasi_table[0];

/* wasi_unstable: sock_accept's row has no function (it came with preview 1), and
 * esgx_host_fn_lookup skips such rows. */
#define P0_ROW(name, np, nr, p0, ...)                                                     \
    {"wasi_unstable", #name, np, nr, {__VA_ARGS__}, {I32}, P0_##p0(name)},
const hostfn_def esgx_host_fn_wasi_unstable_table[] = {ROWS(P0_ROW)};
const size_t esgx_host_fn_wasi_unstable_count =
    sizeof esgx_host_fn_wasi_unstable_table / sizeof esgx_host_fn_wasi_unstable_table[0];

/* ------------------------------------------------------------ what esgx lacks */

static int starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(s, prefix, k) == 0;
}

static int is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

const char *esgx_host_wasi_lacking(const char *module, size_t module_len, const char *name,
                                   size_t name_len)
{
    int wasi = starts(module, module_len, "wasi");
    if (is(name, name_len, "thread-spawn") || is(name, name_len, "thread_spawn") ||
        starts(name, name_len, "pthread_") || is(module, module_len, "wasi-threads"))
        return "threads: an invocation runs on one thread (no wasi-threads, no pthreads)";
    if ((wasi && starts(name, name_len, "sock_")) || is(module, module_len, "wasi_sockets") ||
        (is(module, module_len, "env") &&
         (is(name, name_len, "socket") || is(name, name_len, "connect") ||
          is(name, name_len, "bind") || is(name, name_len, "listen") ||
          is(name, name_len, "accept") || is(name, name_len, "getaddrinfo"))))
        return "sockets: a function has no network access (its input and output are the "
               "request and the answer)";
    if (starts(name, name_len, "__cxa_throw") ||
        starts(name, name_len, "__cxa_allocate_exception") ||
        starts(name, name_len, "__cxa_begin_catch") || starts(name, name_len, "__cxa_rethrow") ||
        starts(name, name_len, "__cxa_find_matching_catch") || starts(name, name_len, "_Unwind_"))
        return "C++ exceptions: build with -fno-exceptions";
    if (is(name, name_len, "setjmp") || is(name, name_len, "longjmp") ||
        is(name, name_len, "saveSetjmp") || is(name, name_len, "emscripten_longjmp"))
        return "setjmp/longjmp: not supported";
    return NULL;
}
