/*
 * hostfn_wasi.c: WASI preview 1 as a host with no files: the descriptors 0-2, arguments,
 * environment, clocks, random bytes and the process (poll_oneoff: hostfn_wasi_poll.c;
 * path_*, sock_* and the import tables of both module names: hostfn_wasi_table.c).
 *
 *   fd 0 (stdin) is the invocation's input as a read-only regular file: fd_read,
 *   fd_pread, fd_seek and fd_tell move over it. fd 1 (stdout) is the output, an
 *   append-only regular file (same limit as output_data_append); fd 2 (stderr) goes to
 *   the debug log (only with --debug, and to the captured logs). Neither is a terminal
 *   (brotli and other tools refuse to write to one) nor seekable (ESPIPE). Each fd
 *   carries WASI rights (stream_rights): a call needing a right its fd lacks says
 *   ENOTCAPABLE, an fd that is not open (> 2, or closed by fd_close / fd_renumber)
 *   EBADF. No preopened directories: fd_prestat_get says EBADF, which ends wasi-libc's
 *   preopen scan, so a program sees an empty filesystem.
 *   argv is the request's (esgx_host_request.argv: `esgx run -- ARG...`; on a node the
 *   function name alone); the environment is empty.
 *   The realtime and monotonic clocks come from the host (as untrusted as
 *   insecure_systemtime) plus the virtual time slept in poll_oneoff; the CPU-time
 *   clocks count the invocation's fuel (cpu_time_ns). random_get gives the next bytes
 *   of the request's deterministic stream. proc_exit ends the run (0 a normal end, any
 *   other code the outcome "proc_exit").
 *
 * Errors are WASI errno values (hostfn_wasi.h); an argument pointer outside memory is
 * EFAULT. Fuel: HOSTFN_FUEL_CALL per call, plus the bytes moved and the iovecs walked
 * (fd_write, fd_read, fd_pread), the argument bytes copied (args_*), the random bytes
 * made (random_get) or the host clock read (HOSTFN_FUEL_CLOCK), by the prices of
 * host_internal.h (docs/guest-abi.md).
 */
#include "hostfn_wasi.h"

#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ descriptors */

/* The rights of a stream: what the calls on it may do. */
static uint64_t stream_rights(int stream)
{
    uint64_t common = WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE |
                      WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_FDSTAT_SET_FLAGS;
    if (stream == WASI_STREAM_STDIN)
        return common | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL |
               WASI_RIGHT_FD_ADVISE;
    return common | WASI_RIGHT_FD_WRITE;
}

/* The fdflags of a stream: stdout and stderr only append. */
static uint16_t stream_flags(int stream)
{
    return stream == WASI_STREAM_STDIN ? 0 : WASI_FDFLAG_APPEND;
}

void esgx_host_wasi_init(guest_state *gs, const char *const *argv, uint32_t argc)
{
    gs->argv = argv;
    gs->argc = argv ? argc : 0;
    for (int i = 0; i < 3; i++) {
        gs->wasi_fd[i] = (uint8_t)(WASI_STREAM_STDIN + i);
        gs->wasi_rights[i] = stream_rights(gs->wasi_fd[i]);
        gs->wasi_inherit[i] = 0;
    }
    gs->wasi_slept_ns = 0;
}

int esgx_wasi_fd(const guest_state *gs, uint32_t fd, uint64_t need, int *stream)
{
    if (fd > 2 || gs->wasi_fd[fd] == 0) return WASI_EBADF;
    if ((gs->wasi_rights[fd] & need) != need) return WASI_ENOTCAPABLE;
    *stream = gs->wasi_fd[fd];
    return WASI_ESUCCESS;
}

/* Charges a plain call and looks fd up as esgx_wasi_fd does. Returns ESGX_HOST_E_TRAP
 * (out of fuel) or 0 with *e the errno. */
static int call_fd(esgx_wasm_ctx *ctx, uint32_t fd, uint64_t need, int *stream, int *e)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    *e = esgx_wasi_fd(esgx_host_fn_state(ctx), fd, need, stream);
    return 0;
}

/* fd_seek, fd_tell, fd_pread, fd_pwrite: stdout and stderr are streams (ESPIPE);
 * otherwise as esgx_wasi_fd. */
static int seekable_fd(const guest_state *gs, uint32_t fd, uint64_t need, int *stream)
{
    int e = esgx_wasi_fd(gs, fd, 0, stream);
    if (e) return e;
    if (*stream != WASI_STREAM_STDIN) return WASI_ESPIPE;
    return esgx_wasi_fd(gs, fd, need, stream);
}

/* Sums the lengths of an iovec array into *total; *walked gets the number of iovecs
 * looked at. ESGX_HOST_E_ARG if the array or a buffer is out of bounds, else 0. */
static int iov_total(esgx_wasm_ctx *ctx, uint32_t iovs, uint32_t n, uint64_t *total,
                     uint32_t *walked)
{
    *walked = 0;
    if (n > 1024) return ESGX_HOST_E_ARG;
    const uint8_t *v = esgx_wasm_ctx_memory(ctx, iovs, n * 8);
    if (!v) return ESGX_HOST_E_ARG;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = wasi_get_u32(v + 8 * i + 4);
        *walked = i + 1;
        if (!esgx_wasm_ctx_memory(ctx, wasi_get_u32(v + 8 * i), len)) return ESGX_HOST_E_ARG;
        sum += len;
    }
    *total = sum;
    return 0;
}

/* The fuel of a call that walked `walked` iovecs and moves `bytes` bytes (none when the
 * array was refused: bad). */
static uint64_t iov_cost(int bad, uint32_t walked, uint64_t bytes)
{
    return esgx_host_fn_copy_cost(bad ? 0 : bytes) + (uint64_t)HOSTFN_FUEL_IOVEC * walked;
}

WASI_FN(fd_write)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t fd = wasi_arg_u32(args, 0), iovs = wasi_arg_u32(args, 1), n = wasi_arg_u32(args, 2);
    uint64_t total = 0;
    uint32_t walked;
    int stream = 0, bad = iov_total(ctx, iovs, n, &total, &walked);
    if (esgx_host_fn_charge(ctx, iov_cost(bad, walked, total))) return ESGX_HOST_E_TRAP;
    if (bad) return wasi_ret(results, WASI_EFAULT);
    int e = esgx_wasi_fd(gs, fd, WASI_RIGHT_FD_WRITE, &stream);
    if (e) return wasi_ret(results, e);
    uint8_t *nw = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 3), 4);
    if (!nw) return wasi_ret(results, WASI_EFAULT);
    const uint8_t *v = esgx_wasm_ctx_memory(ctx, iovs, n * 8);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = wasi_get_u32(v + 8 * i + 4);
        const uint8_t *p = esgx_wasm_ctx_memory(ctx, wasi_get_u32(v + 8 * i), len);
        if (stream == WASI_STREAM_STDOUT) {
            if (esgx_host_fn_output_append(ctx, gs, p, len)) return ESGX_HOST_E_TRAP;
        } else if (len) {
            esgx_host_fn_debug_log(gs, "stderr", p, len);
        }
    }
    wasi_put_u32(nw, (uint32_t)total);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_read (pos: the stdin position, moved) and fd_pread (pos: the offset argument). */
static int read_at(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                   int positioned)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t fd = wasi_arg_u32(args, 0), iovs = wasi_arg_u32(args, 1), n = wasi_arg_u32(args, 2);
    uint64_t pos = positioned ? wasi_arg_u64(args, 3) : gs->stdin_pos;
    uint32_t out = wasi_arg_u32(args, positioned ? 4 : 3);
    uint64_t total = 0;
    uint32_t walked;
    int stream = 0, bad = iov_total(ctx, iovs, n, &total, &walked);
    uint64_t avail = pos < gs->input_len ? gs->input_len - pos : 0;
    if (esgx_host_fn_charge(ctx, iov_cost(bad, walked, total < avail ? total : avail)))
        return ESGX_HOST_E_TRAP;
    if (bad) return wasi_ret(results, WASI_EFAULT);
    int e = positioned ? seekable_fd(gs, fd, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK, &stream)
                       : esgx_wasi_fd(gs, fd, WASI_RIGHT_FD_READ, &stream);
    if (e) return wasi_ret(results, e);
    uint8_t *nr = esgx_wasm_ctx_memory(ctx, out, 4);
    if (!nr) return wasi_ret(results, WASI_EFAULT);
    const uint8_t *v = esgx_wasm_ctx_memory(ctx, iovs, n * 8);
    uint32_t done = 0;
    for (uint32_t i = 0; i < n && pos < gs->input_len; i++) {
        uint32_t len = wasi_get_u32(v + 8 * i + 4);
        uint8_t *p = esgx_wasm_ctx_memory(ctx, wasi_get_u32(v + 8 * i), len);
        size_t k = (size_t)(gs->input_len - pos);
        if (k > len) k = len;
        memcpy(p, gs->input + pos, k);
        pos += k;
        done += (uint32_t)k;
    }
    if (!positioned) gs->stdin_pos = pos;
    wasi_put_u32(nr, done);
    return wasi_ret(results, WASI_ESUCCESS);
}

WASI_FN(fd_read)
{
    (void)env;
    return read_at(ctx, args, results, 0);
}

WASI_FN(fd_pread)
{
    (void)env;
    return read_at(ctx, args, results, 1);
}

/* fd_pwrite: stdin has no write right, stdout and stderr are streams. */
WASI_FN(fd_pwrite)
{
    (void)env;
    int stream, e;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    e = seekable_fd(esgx_host_fn_state(ctx), wasi_arg_u32(args, 0),
                    WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_SEEK, &stream);
    return wasi_ret(results, e ? e : WASI_ENOTCAPABLE);
}

WASI_FN(fd_close)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t fd = wasi_arg_u32(args, 0);
    int stream, e;
    if (call_fd(ctx, fd, 0, &stream, &e)) return ESGX_HOST_E_TRAP;
    if (!e) gs->wasi_fd[fd] = 0;
    return wasi_ret(results, e);
}

/* fd_renumber(from, to): to becomes what from was; from is closed. */
WASI_FN(fd_renumber)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t from = wasi_arg_u32(args, 0), to = wasi_arg_u32(args, 1);
    int stream, e;
    if (call_fd(ctx, from, 0, &stream, &e)) return ESGX_HOST_E_TRAP;
    if (!e) e = esgx_wasi_fd(gs, to, 0, &stream);
    if (e) return wasi_ret(results, e);
    if (from != to) {
        gs->wasi_fd[to] = gs->wasi_fd[from];
        gs->wasi_rights[to] = gs->wasi_rights[from];
        gs->wasi_inherit[to] = gs->wasi_inherit[from];
        gs->wasi_fd[from] = 0;
    }
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fd_seek(fd, offset, whence, newoffset) over stdin; whence is set/cur/end in preview 1
 * and cur/end/set in wasi_unstable. */
static int seek(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                wasi_abi abi)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    int stream, e;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    e = seekable_fd(gs, wasi_arg_u32(args, 0), WASI_RIGHT_FD_SEEK, &stream);
    if (e) return wasi_ret(results, e);
    int64_t off = (int64_t)wasi_arg_u64(args, 1);
    uint32_t whence = wasi_arg_u32(args, 2);
    enum { SET, CUR, END } w;
    static const int p1[3] = {SET, CUR, END}, p0[3] = {CUR, END, SET};
    if (whence > 2) return wasi_ret(results, WASI_EINVAL);
    w = (abi == WASI_P1 ? p1 : p0)[whence];
    uint64_t base = w == SET ? 0 : w == CUR ? gs->stdin_pos : gs->input_len;
    if ((off < 0 && (uint64_t)-(off + 1) + 1 > base) ||
        (off > 0 && (uint64_t)off > (uint64_t)INT64_MAX - base))
        return wasi_ret(results, WASI_EINVAL);
    uint64_t to = off < 0 ? base - ((uint64_t)-(off + 1) + 1) : base + (uint64_t)off;
    uint8_t *p = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 3), 8);
    if (!p) return wasi_ret(results, WASI_EFAULT);
    gs->stdin_pos = (size_t)to;
    wasi_put_u64(p, to);
    return wasi_ret(results, WASI_ESUCCESS);
}

WASI_FN(fd_seek)
{
    (void)env;
    return seek(ctx, args, results, WASI_P1);
}

WASI_FN(fd_seek_p0)
{
    (void)env;
    return seek(ctx, args, results, WASI_P0);
}

WASI_FN(fd_tell)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    int stream, e;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    e = seekable_fd(gs, wasi_arg_u32(args, 0), WASI_RIGHT_FD_TELL, &stream);
    if (e) return wasi_ret(results, e);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 1), 8);
    if (!p) return wasi_ret(results, WASI_EFAULT);
    wasi_put_u64(p, gs->stdin_pos);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* fdstat: filetype u8 @0, fdflags u16 @2, rights @8, inheriting rights @16. */
WASI_FN(fd_fdstat_get)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t fd = wasi_arg_u32(args, 0);
    int stream, e;
    if (call_fd(ctx, fd, 0, &stream, &e)) return ESGX_HOST_E_TRAP;
    if (e) return wasi_ret(results, e);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 1), 24);
    if (!p) return wasi_ret(results, WASI_EFAULT);
    memset(p, 0, 24);
    p[0] = WASI_FILETYPE_REGULAR_FILE;
    wasi_put_u16(p + 2, stream_flags(stream));
    wasi_put_u64(p + 8, gs->wasi_rights[fd]);
    wasi_put_u64(p + 16, gs->wasi_inherit[fd]);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* Flags cannot change (nonblock aside, which changes nothing here: nothing blocks). */
WASI_FN(fd_fdstat_set_flags)
{
    (void)env;
    uint32_t flags = wasi_arg_u32(args, 1);
    int stream, e;
    if (call_fd(ctx, wasi_arg_u32(args, 0), WASI_RIGHT_FD_FDSTAT_SET_FLAGS, &stream, &e))
        return ESGX_HOST_E_TRAP;
    if (e) return wasi_ret(results, e);
    if (flags & ~0x1fu) return wasi_ret(results, WASI_EINVAL);
    if ((flags & ~WASI_FDFLAG_NONBLOCK) != stream_flags(stream))
        return wasi_ret(results, WASI_ENOTSUP);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* Rights can only be dropped. */
WASI_FN(fd_fdstat_set_rights)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t fd = wasi_arg_u32(args, 0);
    uint64_t base = wasi_arg_u64(args, 1), inherit = wasi_arg_u64(args, 2);
    int stream, e;
    if (call_fd(ctx, fd, 0, &stream, &e)) return ESGX_HOST_E_TRAP;
    if (e) return wasi_ret(results, e);
    if ((base & ~gs->wasi_rights[fd]) || (inherit & ~gs->wasi_inherit[fd]))
        return wasi_ret(results, WASI_ENOTCAPABLE);
    gs->wasi_rights[fd] = base;
    gs->wasi_inherit[fd] = inherit;
    return wasi_ret(results, WASI_ESUCCESS);
}

/* filestat: dev @0, ino @8, filetype u8 @16, nlink (u64 @24 in preview 1, u32 @20 in
 * wasi_unstable), then size, atim, mtim, ctim (u64 each). size: the input's length
 * (stdin), the output so far (stdout), 0 (stderr); no times (0). */
static int filestat(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                    wasi_abi abi)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    int stream, e;
    if (call_fd(ctx, wasi_arg_u32(args, 0), WASI_RIGHT_FD_FILESTAT_GET, &stream, &e))
        return ESGX_HOST_E_TRAP;
    if (e) return wasi_ret(results, e);
    size_t len = abi == WASI_P1 ? 64 : 56, at = abi == WASI_P1 ? 32 : 24;
    uint8_t *p = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 1), (uint32_t)len);
    if (!p) return wasi_ret(results, WASI_EFAULT);
    memset(p, 0, len);
    wasi_put_u64(p + 8, (uint64_t)stream);
    p[16] = WASI_FILETYPE_REGULAR_FILE;
    if (abi == WASI_P1) wasi_put_u64(p + 24, 1);
    else wasi_put_u32(p + 20, 1);
    wasi_put_u64(p + at, stream == WASI_STREAM_STDIN    ? gs->input_len
                         : stream == WASI_STREAM_STDOUT ? gs->out_len
                                                        : 0);
    return wasi_ret(results, WASI_ESUCCESS);
}

WASI_FN(fd_filestat_get)
{
    (void)env;
    return filestat(ctx, args, results, WASI_P1);
}

WASI_FN(fd_filestat_get_p0)
{
    (void)env;
    return filestat(ctx, args, results, WASI_P0);
}

/* The calls that only need a right: 0 if the fd has it (a hint, or nothing to flush),
 * else ENOTCAPABLE / EBADF. No fd has the rights to change a file (allocate, set_size,
 * set_times) or to read a directory. */
static int right_only(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                      esgx_wasm_value *results, uint64_t right)
{
    int stream, e;
    if (call_fd(ctx, wasi_arg_u32(args, 0), right, &stream, &e)) return ESGX_HOST_E_TRAP;
    return wasi_ret(results, e);
}

WASI_FN(fd_advise)
{
    (void)env;
    int stream, e;
    if (call_fd(ctx, wasi_arg_u32(args, 0), WASI_RIGHT_FD_ADVISE, &stream, &e))
        return ESGX_HOST_E_TRAP;
    if (!e && wasi_arg_u32(args, 3) > 5) e = WASI_EINVAL;   /* advice: normal .. noreuse */
    return wasi_ret(results, e);
}

WASI_FN(fd_allocate)
{
    (void)env;
    return right_only(ctx, args, results, WASI_RIGHT_FD_ALLOCATE);
}

WASI_FN(fd_datasync)
{
    (void)env;
    return right_only(ctx, args, results, WASI_RIGHT_FD_DATASYNC);
}

WASI_FN(fd_sync)
{
    (void)env;
    return right_only(ctx, args, results, WASI_RIGHT_FD_SYNC);
}

WASI_FN(fd_filestat_set_size)
{
    (void)env;
    return right_only(ctx, args, results, WASI_RIGHT_FD_FILESTAT_SET_SIZE);
}

WASI_FN(fd_filestat_set_times)
{
    (void)env;
    return right_only(ctx, args, results, WASI_RIGHT_FD_FILESTAT_SET_TIMES);
}

WASI_FN(fd_readdir)
{
    (void)env;
    return right_only(ctx, args, results, WASI_RIGHT_FD_READDIR);
}

/* No preopened directories: EBADF for every fd, which ends wasi-libc's scan at fd 3. */
WASI_FN(fd_prestat_get)
{
    (void)env;
    (void)args;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return wasi_ret(results, WASI_EBADF);
}

WASI_FN(fd_prestat_dir_name)
{
    (void)env;
    (void)args;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return wasi_ret(results, WASI_EBADF);
}

/* ------------------------------------------------------------ arguments, environment */

/* The bytes of argv's strings, NULs included. */
static uint64_t argv_bytes(const guest_state *gs)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < gs->argc; i++) n += strlen(gs->argv[i]) + 1;
    return n;
}

WASI_FN(args_sizes_get)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint64_t bytes = argv_bytes(gs);
    if (esgx_host_fn_charge(ctx, esgx_host_fn_copy_cost(bytes))) return ESGX_HOST_E_TRAP;
    uint8_t *count = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 0), 4);
    uint8_t *size = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 1), 4);
    if (!count || !size) return wasi_ret(results, WASI_EFAULT);
    wasi_put_u32(count, gs->argc);
    wasi_put_u32(size, (uint32_t)bytes);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* args_get(argv, argv_buf): argc pointers into argv_buf, where the strings go. */
WASI_FN(args_get)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint64_t bytes = argv_bytes(gs);
    if (esgx_host_fn_charge(ctx, esgx_host_fn_copy_cost(bytes + 4ull * gs->argc)))
        return ESGX_HOST_E_TRAP;
    uint32_t ptrs = wasi_arg_u32(args, 0), buf = wasi_arg_u32(args, 1);
    uint8_t *pp = esgx_wasm_ctx_memory(ctx, ptrs, 4 * gs->argc);
    uint8_t *bp = esgx_wasm_ctx_memory(ctx, buf, (uint32_t)bytes);
    if (!pp || !bp) return wasi_ret(results, WASI_EFAULT);
    uint32_t at = 0;
    for (uint32_t i = 0; i < gs->argc; i++) {
        size_t len = strlen(gs->argv[i]) + 1;
        wasi_put_u32(pp + 4 * i, buf + at);
        memcpy(bp + at, gs->argv[i], len);
        at += (uint32_t)len;
    }
    return wasi_ret(results, WASI_ESUCCESS);
}

WASI_FN(environ_sizes_get)
{
    (void)env;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    uint8_t *count = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 0), 4);
    uint8_t *size = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 1), 4);
    if (!count || !size) return wasi_ret(results, WASI_EFAULT);
    wasi_put_u32(count, 0);
    wasi_put_u32(size, 0);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* The environment is empty: nothing to write. */
WASI_FN(environ_get)
{
    (void)env;
    (void)args;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return wasi_ret(results, WASI_ESUCCESS);
}

/* ------------------------------------------------------------ clocks */

/*
 * The CPU-time clocks (process, thread) of a metered invocation are its fuel used so
 * far, this call's price included, read as HOSTFN_CPU_NS_PER_FUEL ns per fuel unit; they
 * are never read from the host. Reading them from the host was a system call (~0.6 us,
 * 33-149x the time per fuel of compiled wasm at the base price), the process clock of
 * the enclave counts every other invocation's work (a side channel between tenants),
 * and the host's values differ per node; the fuel count is cheap, deterministic (the
 * same on every node, tier and run: fuel_used is) and tells a guest nothing it does
 * not already cause. An unmetered run (esgx run --fuel 0; a node always meters) has
 * no fuel count and reads the thread's CPU time.
 */
static int cpu_time_ns(esgx_wasm_ctx *ctx, const guest_state *gs, uint64_t *ns)
{
    if (gs->fuel_budget == ESGX_HOST_UNMETERED) {
        struct timespec ts;
        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return ESGX_HOST_E_INTERNAL;
        *ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        return 0;
    }
    uint64_t left = esgx_wasm_store_fuel_get(esgx_wasm_ctx_store(ctx));
    uint64_t used = left <= gs->fuel_budget ? gs->fuel_budget - left : gs->fuel_budget;
    *ns = used * HOSTFN_CPU_NS_PER_FUEL;
    return 0;
}


int esgx_wasi_clock_now(esgx_wasm_ctx *ctx, const guest_state *gs, uint32_t id, uint64_t *ns)
{
    if (id > WASI_CLOCK_THREAD) return WASI_EINVAL;
    if (id == WASI_CLOCK_PROCESS || id == WASI_CLOCK_THREAD)
        return cpu_time_ns(ctx, gs, ns) ? WASI_EIO : WASI_ESUCCESS;
    struct timespec ts;
    if (clock_gettime(id == WASI_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts))
        return WASI_EIO;
    uint64_t t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    *ns = t > UINT64_MAX - gs->wasi_slept_ns ? UINT64_MAX : t + gs->wasi_slept_ns;
    return WASI_ESUCCESS;
}

WASI_FN(clock_time_get)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t id = wasi_arg_u32(args, 0);
    int wall = id == WASI_CLOCK_REALTIME || id == WASI_CLOCK_MONOTONIC;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL + (wall ? HOSTFN_FUEL_CLOCK : 0)))
        return ESGX_HOST_E_TRAP;
    if (id > WASI_CLOCK_THREAD) return wasi_ret(results, WASI_EINVAL);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 2), 8);
    if (!p) return wasi_ret(results, WASI_EFAULT);
    uint64_t ns = 0;
    int e = esgx_wasi_clock_now(ctx, gs, id, &ns);
    if (e) return wasi_ret(results, e);
    wasi_put_u64(p, ns);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* Resolution: 1000 ns for the host's clocks, HOSTFN_CPU_NS_PER_FUEL (one fuel unit) for
 * the CPU-time clocks. */
WASI_FN(clock_res_get)
{
    (void)env;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    uint32_t id = wasi_arg_u32(args, 0);
    if (id > WASI_CLOCK_THREAD) return wasi_ret(results, WASI_EINVAL);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 1), 8);
    if (!p) return wasi_ret(results, WASI_EFAULT);
    wasi_put_u64(p, id <= WASI_CLOCK_MONOTONIC ? 1000 : HOSTFN_CPU_NS_PER_FUEL);
    return wasi_ret(results, WASI_ESUCCESS);
}

/* ------------------------------------------------------------ random, process */

WASI_FN(random_get)
{
    (void)env;
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t ptr = wasi_arg_u32(args, 0), len = wasi_arg_u32(args, 1);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, ptr, len);
    uint64_t fuel = HOSTFN_FUEL_CALL;
    if (p) fuel += HOSTFN_FUEL_RANDOM + hostfn_per_64b(HOSTFN_FUEL_RANDOM_PER_64B, len);
    if (esgx_host_fn_charge(ctx, fuel)) return ESGX_HOST_E_TRAP;
    if (!p) return wasi_ret(results, WASI_EFAULT);
    if (len && !gs->has_rand) return wasi_ret(results, WASI_EIO);
    if (len) {
        esgx_random_stream_read(gs->rand_key, gs->rand_pos, p, len);
        gs->rand_pos += len;
    }
    return wasi_ret(results, WASI_ESUCCESS);
}

WASI_FN(proc_exit)
{
    (void)env;
    (void)results;
    guest_state *gs = esgx_host_fn_state(ctx);
    gs->exited = 1;
    gs->exit_code = (int)args[0].of.i32;
    esgx_wasm_ctx_exit(ctx, gs->exit_code);
    return ESGX_HOST_E_TRAP;
}

/* No signals: ENOTSUP for each of the 31 signals of witx $signal, EINVAL beyond. */
WASI_FN(proc_raise)
{
    (void)env;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return wasi_ret(results, wasi_arg_u32(args, 0) > 30 ? WASI_EINVAL : WASI_ENOTSUP);
}

/* One thread per invocation: nothing to yield to. */
WASI_FN(sched_yield)
{
    (void)env;
    (void)args;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return wasi_ret(results, WASI_ESUCCESS);
}
