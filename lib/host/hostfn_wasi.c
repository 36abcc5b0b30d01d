/*
 * hostfn_wasi.c: the subset of WASI preview 1 that plain C and Rust programs need.
 *
 *   fd 0 (stdin) reads the invocation's input; fd 1 (stdout) appends to the output
 *   (same limit as output_data_append); fd 2 (stderr) goes to the debug log (stderr of
 *   the enclave, only with --debug). No files, no preopens (fd_prestat_get says EBADF,
 *   so wasi-libc sees an empty filesystem), no arguments, no environment. The realtime
 *   and monotonic clocks come from the host and are as untrusted as
 *   insecure_systemtime; the CPU-time clocks count the invocation's fuel (cpu_time_ns
 *   below). random_get gives the next bytes of the request's deterministic stream
 *   (esgx_host_request.random_key). proc_exit ends the run: code 0 is a normal end,
 *   any other code a trap "exit".
 *
 * Errors are WASI errno values (EBADF 8, EFAULT 21, EINVAL 28, ESPIPE 70); an argument
 * pointer outside memory is EFAULT. Fuel: HOSTFN_FUEL_CALL per call, plus the bytes moved
 * and the iovecs walked (fd_write, fd_read), the random bytes made (random_get) or the
 * host clock read (HOSTFN_FUEL_CLOCK: realtime, monotonic), by the prices of
 * host_internal.h (docs/guest-abi.md).
 */
#include "host_internal.h"

#include <string.h>
#include <time.h>

#define I32 ESGX_WASM_I32
#define I64 ESGX_WASM_I64

enum {
    WASI_ESUCCESS = 0,
    WASI_EBADF = 8,
    WASI_EFAULT = 21,
    WASI_EINVAL = 28,
    WASI_EIO = 29,
    WASI_ESPIPE = 70,
};

#define WASI_FILETYPE_CHARACTER_DEVICE 2
#define WASI_RIGHT_FD_READ (1u << 1)
#define WASI_RIGHT_FD_WRITE (1u << 6)

static uint32_t arg_u32(const esgx_wasm_value *args, int i)
{
    return (uint32_t)args[i].of.i32;
}

static int ret_errno(esgx_wasm_value *results, int32_t e)
{
    results[0].type = ESGX_WASM_I32;
    results[0].of.i32 = e;
    return 0;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
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
        uint32_t len = get_u32(v + 8 * i + 4);
        *walked = i + 1;
        if (!esgx_wasm_ctx_memory(ctx, get_u32(v + 8 * i), len)) return ESGX_HOST_E_ARG;
        sum += len;
    }
    *total = sum;
    return 0;
}

/* The fuel of fd_write / fd_read that walked `walked` iovecs and moves `bytes` bytes
 * (none when the array was refused: bad). */
static uint64_t iov_cost(int bad, uint32_t walked, uint64_t bytes)
{
    return esgx_host_fn_copy_cost(bad ? 0 : bytes) + (uint64_t)HOSTFN_FUEL_IOVEC * walked;
}

static int wasi_fd_write(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t fd = arg_u32(args, 0), iovs = arg_u32(args, 1), n = arg_u32(args, 2);
    uint64_t total = 0;
    uint32_t walked;
    int bad = iov_total(ctx, iovs, n, &total, &walked);
    if (esgx_host_fn_charge(ctx, iov_cost(bad, walked, total))) return ESGX_HOST_E_TRAP;
    if (bad) return ret_errno(results, WASI_EFAULT);
    if (fd != 1 && fd != 2) return ret_errno(results, WASI_EBADF);
    uint8_t *nw = esgx_wasm_ctx_memory(ctx, arg_u32(args, 3), 4);
    if (!nw) return ret_errno(results, WASI_EFAULT);
    const uint8_t *v = esgx_wasm_ctx_memory(ctx, iovs, n * 8);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = get_u32(v + 8 * i + 4);
        const uint8_t *p = esgx_wasm_ctx_memory(ctx, get_u32(v + 8 * i), len);
        if (fd == 1) {
            if (esgx_host_fn_output_append(ctx, gs, p, len)) return ESGX_HOST_E_TRAP;
        } else if (len) {
            esgx_host_fn_debug_log(gs, "stderr", p, len);
        }
    }
    put_u32(nw, (uint32_t)total);
    return ret_errno(results, WASI_ESUCCESS);
}

static int wasi_fd_read(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t fd = arg_u32(args, 0), iovs = arg_u32(args, 1), n = arg_u32(args, 2);
    uint64_t total = 0;
    uint32_t walked;
    int bad = iov_total(ctx, iovs, n, &total, &walked);
    uint64_t avail = gs->input_len - gs->stdin_pos;
    if (esgx_host_fn_charge(ctx, iov_cost(bad, walked, total < avail ? total : avail)))
        return ESGX_HOST_E_TRAP;
    if (bad) return ret_errno(results, WASI_EFAULT);
    if (fd != 0) return ret_errno(results, WASI_EBADF);
    uint8_t *nr = esgx_wasm_ctx_memory(ctx, arg_u32(args, 3), 4);
    if (!nr) return ret_errno(results, WASI_EFAULT);
    const uint8_t *v = esgx_wasm_ctx_memory(ctx, iovs, n * 8);
    uint32_t done = 0;
    for (uint32_t i = 0; i < n && gs->stdin_pos < gs->input_len; i++) {
        uint32_t len = get_u32(v + 8 * i + 4);
        uint8_t *p = esgx_wasm_ctx_memory(ctx, get_u32(v + 8 * i), len);
        size_t k = gs->input_len - gs->stdin_pos;
        if (k > len) k = len;
        memcpy(p, gs->input + gs->stdin_pos, k);
        gs->stdin_pos += k;
        done += (uint32_t)k;
    }
    put_u32(nr, done);
    return ret_errno(results, WASI_ESUCCESS);
}

static int wasi_fd_close(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return ret_errno(results, arg_u32(args, 0) <= 2 ? WASI_ESUCCESS : WASI_EBADF);
}

static int wasi_fd_seek(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return ret_errno(results, arg_u32(args, 0) <= 2 ? WASI_ESPIPE : WASI_EBADF);
}

static int wasi_fd_fdstat_get(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                              void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    uint32_t fd = arg_u32(args, 0);
    if (fd > 2) return ret_errno(results, WASI_EBADF);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, arg_u32(args, 1), 24);
    if (!p) return ret_errno(results, WASI_EFAULT);
    memset(p, 0, 24);
    p[0] = WASI_FILETYPE_CHARACTER_DEVICE;
    put_u64(p + 8, fd == 0 ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE);
    return ret_errno(results, WASI_ESUCCESS);
}

static int wasi_fd_prestat_get(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                               void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return ret_errno(results, WASI_EBADF);
}

static int wasi_fd_prestat_dir_name(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                                    void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return ret_errno(results, WASI_EBADF);
}

/* args_sizes_get / environ_sizes_get: zero entries, zero bytes. */
static int wasi_sizes_get(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                          void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    uint8_t *count = esgx_wasm_ctx_memory(ctx, arg_u32(args, 0), 4);
    uint8_t *size = esgx_wasm_ctx_memory(ctx, arg_u32(args, 1), 4);
    if (!count || !size) return ret_errno(results, WASI_EFAULT);
    put_u32(count, 0);
    put_u32(size, 0);
    return ret_errno(results, WASI_ESUCCESS);
}

/* args_get / environ_get: nothing to write. */
static int wasi_list_get(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return ret_errno(results, WASI_ESUCCESS);
}

/* WASI clock ids. */
enum { WASI_CLOCK_REALTIME, WASI_CLOCK_MONOTONIC, WASI_CLOCK_PROCESS, WASI_CLOCK_THREAD };

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

static int wasi_clock_time_get(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                               void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t id = arg_u32(args, 0);
    int wall = id == WASI_CLOCK_REALTIME || id == WASI_CLOCK_MONOTONIC;
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL + (wall ? HOSTFN_FUEL_CLOCK : 0)))
        return ESGX_HOST_E_TRAP;
    if (id > WASI_CLOCK_THREAD) return ret_errno(results, WASI_EINVAL);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, arg_u32(args, 2), 8);
    if (!p) return ret_errno(results, WASI_EFAULT);
    uint64_t ns;
    if (wall) {
        struct timespec ts;
        if (clock_gettime(id == WASI_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts))
            return ret_errno(results, WASI_EIO);
        ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    } else if (cpu_time_ns(ctx, gs, &ns)) {
        return ret_errno(results, WASI_EIO);
    }
    put_u64(p, ns);
    return ret_errno(results, WASI_ESUCCESS);
}

/* Resolution: 1000 ns for the host's clocks, HOSTFN_CPU_NS_PER_FUEL (one fuel unit) for
 * the CPU-time clocks. */
static int wasi_clock_res_get(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                              void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    uint32_t id = arg_u32(args, 0);
    if (id > WASI_CLOCK_THREAD) return ret_errno(results, WASI_EINVAL);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, arg_u32(args, 1), 8);
    if (!p) return ret_errno(results, WASI_EFAULT);
    put_u64(p, id <= WASI_CLOCK_MONOTONIC ? 1000 : HOSTFN_CPU_NS_PER_FUEL);
    return ret_errno(results, WASI_ESUCCESS);
}

static int wasi_random_get(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                           void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t ptr = arg_u32(args, 0), len = arg_u32(args, 1);
    uint8_t *p = esgx_wasm_ctx_memory(ctx, ptr, len);
    uint64_t fuel = HOSTFN_FUEL_CALL;
    if (p) fuel += HOSTFN_FUEL_RANDOM + hostfn_per_64b(HOSTFN_FUEL_RANDOM_PER_64B, len);
    if (esgx_host_fn_charge(ctx, fuel)) return ESGX_HOST_E_TRAP;
    if (!p) return ret_errno(results, WASI_EFAULT);
    if (len && !gs->has_rand) return ret_errno(results, WASI_EIO);
    if (len) {
        esgx_random_stream_read(gs->rand_key, gs->rand_pos, p, len);
        gs->rand_pos += len;
    }
    return ret_errno(results, WASI_ESUCCESS);
}

static int wasi_proc_exit(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results, void *env)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    gs->exited = 1;
    gs->exit_code = (int)args[0].of.i32;
    esgx_wasm_ctx_exit(ctx, gs->exit_code);
    return ESGX_HOST_E_TRAP;
}

static int wasi_sched_yield(esgx_wasm_ctx *ctx, const esgx_wasm_value *args, esgx_wasm_value *results,
                            void *env)
{
    if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
    return ret_errno(results, WASI_ESUCCESS);
}

#define W "wasi_snapshot_preview1"
const hostfn_def esgx_host_fn_wasi_table[] = {
    {W, "fd_write", 4, 1, {I32, I32, I32, I32}, {I32}, wasi_fd_write},
    {W, "fd_read", 4, 1, {I32, I32, I32, I32}, {I32}, wasi_fd_read},
    {W, "fd_close", 1, 1, {I32}, {I32}, wasi_fd_close},
    {W, "fd_seek", 4, 1, {I32, I64, I32, I32}, {I32}, wasi_fd_seek},
    {W, "fd_fdstat_get", 2, 1, {I32, I32}, {I32}, wasi_fd_fdstat_get},
    {W, "fd_prestat_get", 2, 1, {I32, I32}, {I32}, wasi_fd_prestat_get},
    {W, "fd_prestat_dir_name", 3, 1, {I32, I32, I32}, {I32}, wasi_fd_prestat_dir_name},
    {W, "args_sizes_get", 2, 1, {I32, I32}, {I32}, wasi_sizes_get},
    {W, "args_get", 2, 1, {I32, I32}, {I32}, wasi_list_get},
    {W, "environ_sizes_get", 2, 1, {I32, I32}, {I32}, wasi_sizes_get},
    {W, "environ_get", 2, 1, {I32, I32}, {I32}, wasi_list_get},
    {W, "clock_time_get", 3, 1, {I32, I64, I32}, {I32}, wasi_clock_time_get},
    {W, "clock_res_get", 2, 1, {I32, I32}, {I32}, wasi_clock_res_get},
    {W, "random_get", 2, 1, {I32, I32}, {I32}, wasi_random_get},
    {W, "proc_exit", 1, 0, {I32}, {0}, wasi_proc_exit},
    {W, "sched_yield", 0, 1, {0}, {I32}, wasi_sched_yield},
};
const size_t esgx_host_fn_wasi_count = sizeof esgx_host_fn_wasi_table / sizeof esgx_host_fn_wasi_table[0];
