/*
 * hostfn_wasi.h: what the WASI preview 1 files share (hostfn_wasi.c: descriptors, args,
 * clocks, random, proc; hostfn_wasi_poll.c: poll_oneoff; hostfn_wasi_table.c: path_*,
 * sock_*, the import tables of both module names). Internal to lib/host.
 *
 * Values and layouts are those of the witx of WASI preview 1 (wasi_snapshot_preview1)
 * and of its predecessor (wasi_unstable, "preview 0"); where the two differ (fd_seek's
 * whence order, filestat's nlink width, the clock subscription's extra identifier) the
 * function takes a wasi_abi.
 */
#ifndef ESGX_HOSTFN_WASI_H
#define ESGX_HOSTFN_WASI_H

#include "host_internal.h"

#define I32 ESGX_WASM_I32
#define I64 ESGX_WASM_I64

/* The module name an import came from. */
typedef enum wasi_abi { WASI_P1 = 1, WASI_P0 = 0 } wasi_abi;

/* errno values (witx $errno). */
enum {
    WASI_ESUCCESS = 0,
    WASI_EBADF = 8,
    WASI_EFAULT = 21,
    WASI_EINVAL = 28,
    WASI_EIO = 29,
    WASI_ENOTSUP = 58,
    WASI_ESPIPE = 70,
    WASI_ENOTCAPABLE = 76,
};

/* The streams behind fds 0-2 (0: the fd is closed). */
enum { WASI_STREAM_STDIN = 1, WASI_STREAM_STDOUT = 2, WASI_STREAM_STDERR = 3 };

/* filetype, fdflags, clocks, eventtypes. */
#define WASI_FILETYPE_REGULAR_FILE 4
#define WASI_FDFLAG_APPEND 1u
#define WASI_FDFLAG_NONBLOCK 4u
enum { WASI_CLOCK_REALTIME, WASI_CLOCK_MONOTONIC, WASI_CLOCK_PROCESS, WASI_CLOCK_THREAD };
enum { WASI_EVENT_CLOCK, WASI_EVENT_FD_READ, WASI_EVENT_FD_WRITE };

/* rights (witx $rights bit numbers). */
#define WASI_RIGHT(n) ((uint64_t)1 << (n))
#define WASI_RIGHT_FD_DATASYNC WASI_RIGHT(0)
#define WASI_RIGHT_FD_READ WASI_RIGHT(1)
#define WASI_RIGHT_FD_SEEK WASI_RIGHT(2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS WASI_RIGHT(3)
#define WASI_RIGHT_FD_SYNC WASI_RIGHT(4)
#define WASI_RIGHT_FD_TELL WASI_RIGHT(5)
#define WASI_RIGHT_FD_WRITE WASI_RIGHT(6)
#define WASI_RIGHT_FD_ADVISE WASI_RIGHT(7)
#define WASI_RIGHT_FD_ALLOCATE WASI_RIGHT(8)
#define WASI_RIGHT_FD_READDIR WASI_RIGHT(14)
#define WASI_RIGHT_FD_FILESTAT_GET WASI_RIGHT(21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE WASI_RIGHT(22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES WASI_RIGHT(23)
#define WASI_RIGHT_POLL_FD_READWRITE WASI_RIGHT(27)
#define WASI_RIGHTS_ALL (WASI_RIGHT(30) - 1)   /* the 30 rights of preview 1 */

static inline uint32_t wasi_arg_u32(const esgx_wasm_value *args, int i)
{
    return (uint32_t)args[i].of.i32;
}

static inline uint64_t wasi_arg_u64(const esgx_wasm_value *args, int i)
{
    return (uint64_t)args[i].of.i64;
}

/* Sets the call's errno result; returns 0 (the host call itself succeeded). */
static inline int wasi_ret(esgx_wasm_value *results, int32_t e)
{
    results[0].type = ESGX_WASM_I32;
    results[0].of.i32 = e;
    return 0;
}

static inline void wasi_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void wasi_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline void wasi_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t wasi_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t wasi_get_u64(const uint8_t *p)
{
    return (uint64_t)wasi_get_u32(p) | (uint64_t)wasi_get_u32(p + 4) << 32;
}

/* The stream behind fd if it is open and has every right in `need`: sets *stream and
 * returns 0, else WASI_EBADF (not open: fd > 2 or closed) or WASI_ENOTCAPABLE. */
int esgx_wasi_fd(const guest_state *gs, uint32_t fd, uint64_t need, int *stream);

/* The time of clock id now, in ns: the host's realtime / monotonic clock plus the
 * virtual time slept, or the CPU-time clocks (fuel used). Returns 0 or a WASI errno
 * (EINVAL for an unknown id, EIO when the host clock fails). */
int esgx_wasi_clock_now(esgx_wasm_ctx *ctx, const guest_state *gs, uint32_t id, uint64_t *ns);

/* The poll_oneoff of each module name (hostfn_wasi_poll.c). */
int esgx_wasi_poll_oneoff(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                             esgx_wasm_value *results, void *env);
int esgx_wasi_poll_oneoff_p0(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                             esgx_wasm_value *results, void *env);

/* The functions of hostfn_wasi.c, by witx name (the _p0/_p1 pairs differ in layout or
 * values between the module names). */
#define WASI_FN(name)                                                                     \
    int esgx_wasi_##name(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,                 \
                         esgx_wasm_value *results, void *env)
WASI_FN(args_get);
WASI_FN(args_sizes_get);
WASI_FN(environ_get);
WASI_FN(environ_sizes_get);
WASI_FN(clock_res_get);
WASI_FN(clock_time_get);
WASI_FN(fd_advise);
WASI_FN(fd_allocate);
WASI_FN(fd_close);
WASI_FN(fd_datasync);
WASI_FN(fd_fdstat_get);
WASI_FN(fd_fdstat_set_flags);
WASI_FN(fd_fdstat_set_rights);
WASI_FN(fd_filestat_get);
WASI_FN(fd_filestat_get_p0);
WASI_FN(fd_filestat_set_size);
WASI_FN(fd_filestat_set_times);
WASI_FN(fd_pread);
WASI_FN(fd_prestat_get);
WASI_FN(fd_prestat_dir_name);
WASI_FN(fd_pwrite);
WASI_FN(fd_read);
WASI_FN(fd_readdir);
WASI_FN(fd_renumber);
WASI_FN(fd_seek);
WASI_FN(fd_seek_p0);
WASI_FN(fd_sync);
WASI_FN(fd_tell);
WASI_FN(fd_write);
WASI_FN(proc_exit);
WASI_FN(proc_raise);
WASI_FN(sched_yield);
WASI_FN(random_get);

#endif
