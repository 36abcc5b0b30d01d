/*
 * hostfn_wasi_poll.c: WASI poll_oneoff, where sleeping happens (nanosleep, sleep,
 * usleep and clock_nanosleep of wasi-libc, std::thread::sleep of Rust).
 *
 * Nothing here waits. A worker that slept for a guest would be held by whoever
 * deploys a function that sleeps, for as long as they like, without using any fuel:
 * a network that anyone can stall. So time slept is virtual: poll_oneoff advances the
 * invocation's own clock (guest_state.wasi_slept_ns, added to what the realtime and
 * monotonic clocks read) and returns at once, and the guest pays for the time it
 * skipped as if it had computed that long: HOSTFN_FUEL_SLEEP_PER_NS fuel per ns, the
 * inverse of HOSTFN_CPU_NS_PER_FUEL, so the CPU-time clocks (which read fuel) advance
 * by the same amount. A sleep is thus bounded by the invocation's fuel like any work:
 * one that cannot be paid traps out_of_fuel (the default budget, 10^9, is one second
 * of sleep); an unmetered run (`esgx run --fuel 0`) sleeps for free.
 *
 * Subscriptions: a clock subscription (relative, or absolute with
 * subscription_clock_abstime, on any of the four clocks) fires when its clock reaches
 * the deadline; fd_read on stdin and fd_write on stdout / stderr are always ready
 * (their bytes are in memory), with nbytes the bytes left to read / the room left; an
 * fd subscription on an fd that is not open, or lacks the right, is reported at once
 * with that error (EBADF, ENOTCAPABLE), as is a clock subscription with an unknown
 * clock (EINVAL). If anything is ready at once, nothing sleeps and only the clocks
 * already due fire; else the virtual clock jumps to the earliest deadline and every
 * clock subscription due by then fires. No subscriptions, more than POLL_MAX_SUBS, or
 * an unknown event type: EINVAL; an array out of memory: EFAULT. Every subscription is
 * read before any event is written (the arrays may overlap).
 *
 * Layouts: subscription = userdata u64 @0, tag u8 @8, body @16; the clock body is
 * id u32, timeout u64 @+8, precision u64 @+16, flags u16 @+24 (48 bytes in all) in
 * preview 1, and has a u64 identifier first in wasi_unstable (56 bytes); the fd body
 * is fd u32. event = userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16,
 * flags u16 @24 (32 bytes) in both.
 *
 * Fuel: HOSTFN_FUEL_CALL + HOSTFN_FUEL_POLL_SUB per subscription + HOSTFN_FUEL_CLOCK
 * for each host clock read (an absolute realtime or monotonic deadline) + the sleep.
 * A relative sleep's fuel depends only on the arguments; an absolute deadline on a
 * host clock depends on that clock, like a guest that reads it and loops.
 */
#include "hostfn_wasi.h"

#include <stdlib.h>
#include <string.h>

#define SUB_CLOCK_ABSTIME 1u
#define EVENT_SIZE 32
#define POLL_MAX_SUBS 1024   /* more in one call: EINVAL (the host reads them all first) */
#define POLL_FEW 8           /* this many subscriptions are read on the stack, not the heap */

/* What one subscription asks, read in the first pass. */
typedef struct sub_info {
    uint64_t userdata;
    uint8_t type;
    uint16_t error;     /* reported at once when non-zero */
    int now;            /* 1: ready at once (an fd, or an error) */
    uint64_t wait;      /* clock: ns until its deadline */
    uint64_t nbytes;    /* fd: bytes to read or room to write */
} sub_info;

/* Reads the fd subscription s (body at s + 16) into *si. */
static void fd_sub(const guest_state *gs, const uint8_t *s, sub_info *si)
{
    int stream = 0;
    uint64_t need = WASI_RIGHT_POLL_FD_READWRITE |
                    (si->type == WASI_EVENT_FD_READ ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE);
    si->now = 1;
    si->error = (uint16_t)esgx_wasi_fd(gs, wasi_get_u32(s + 16), need, &stream);
    if (si->error) return;
    if (stream == WASI_STREAM_STDIN)
        si->nbytes = gs->stdin_pos < gs->input_len ? gs->input_len - gs->stdin_pos : 0;
    else if (stream == WASI_STREAM_STDOUT)
        si->nbytes = gs->max_output - gs->out_len;
    else
        si->nbytes = HOSTFN_DEBUG_LOG_MAX;
}

/* Reads the clock subscription whose body is at c into *si; *clock_reads counts the
 * host clocks read (now[] caches each clock read once, have[] says which). */
static void clock_sub(esgx_wasm_ctx *ctx, const guest_state *gs, const uint8_t *c,
                      sub_info *si, uint64_t now[4], int have[4], unsigned *clock_reads)
{
    uint32_t id = wasi_get_u32(c);
    uint64_t timeout = wasi_get_u64(c + 8);
    uint16_t flags = (uint16_t)(c[24] | c[25] << 8);
    if (id > WASI_CLOCK_THREAD) {
        si->now = 1;
        si->error = WASI_EINVAL;
        return;
    }
    if (!(flags & SUB_CLOCK_ABSTIME)) {
        si->wait = timeout;
        return;
    }
    if (!have[id]) {
        int e = esgx_wasi_clock_now(ctx, gs, id, &now[id]);
        if (e) {
            si->now = 1;
            si->error = (uint16_t)e;
            return;
        }
        have[id] = 1;
        if (id == WASI_CLOCK_REALTIME || id == WASI_CLOCK_MONOTONIC) (*clock_reads)++;
    }
    si->wait = timeout > now[id] ? timeout - now[id] : 0;
}

static int poll_oneoff(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                       esgx_wasm_value *results, wasi_abi abi)
{
    guest_state *gs = esgx_host_fn_state(ctx);
    uint32_t in = wasi_arg_u32(args, 0), out = wasi_arg_u32(args, 1), n = wasi_arg_u32(args, 2);
    uint64_t sub_size = abi == WASI_P1 ? 48 : 56, body = abi == WASI_P1 ? 16 : 24;
    const uint8_t *subs = NULL;
    uint8_t *ev = NULL, *nev = esgx_wasm_ctx_memory(ctx, wasi_arg_u32(args, 3), 4);
    if (n && (uint64_t)n * sub_size <= UINT32_MAX) {
        subs = esgx_wasm_ctx_memory(ctx, in, (uint32_t)(n * sub_size));
        ev = esgx_wasm_ctx_memory(ctx, out, (uint32_t)((uint64_t)n * EVENT_SIZE));
    }
    if (n == 0 || n > POLL_MAX_SUBS || !subs || !ev || !nev) {
        if (esgx_host_fn_charge(ctx, HOSTFN_FUEL_CALL)) return ESGX_HOST_E_TRAP;
        return wasi_ret(results, n == 0 || n > POLL_MAX_SUBS ? WASI_EINVAL : WASI_EFAULT);
    }
    sub_info few[POLL_FEW];
    sub_info *si = n <= POLL_FEW ? memset(few, 0, sizeof few) : calloc(n, sizeof *si);
    if (!si) {
        esgx_wasm_ctx_trap(ctx, ESGX_WASM_TRAP_LIMIT, "out of memory for %u subscriptions", n);
        return ESGX_HOST_E_TRAP;
    }
    uint64_t now[4] = {0}, sleep = UINT64_MAX;
    int have[4] = {0}, any_now = 0, bad_type = 0;
    unsigned clock_reads = 0;
    for (uint32_t i = 0; i < n && !bad_type; i++) {
        const uint8_t *s = subs + i * sub_size;
        si[i].userdata = wasi_get_u64(s);
        si[i].type = s[8];
        if (s[8] == WASI_EVENT_CLOCK) clock_sub(ctx, gs, s + body, &si[i], now, have, &clock_reads);
        else if (s[8] == WASI_EVENT_FD_READ || s[8] == WASI_EVENT_FD_WRITE) fd_sub(gs, s, &si[i]);
        else bad_type = 1;
        if (si[i].now) any_now = 1;
        else if (si[i].wait < sleep) sleep = si[i].wait;
    }
    if (any_now || bad_type) sleep = 0;
    uint64_t fuel = HOSTFN_FUEL_CALL + (uint64_t)HOSTFN_FUEL_POLL_SUB * n +
                    (uint64_t)HOSTFN_FUEL_CLOCK * clock_reads;
    uint64_t sleep_fuel = sleep > UINT64_MAX / HOSTFN_FUEL_SLEEP_PER_NS
                              ? UINT64_MAX : sleep * HOSTFN_FUEL_SLEEP_PER_NS;
    fuel = sleep_fuel > UINT64_MAX - fuel ? UINT64_MAX : fuel + sleep_fuel;
    if (esgx_host_fn_charge(ctx, fuel)) {
        if (si != few) free(si);
        return ESGX_HOST_E_TRAP;
    }
    if (bad_type) {
        if (si != few) free(si);
        return wasi_ret(results, WASI_EINVAL);
    }
    gs->wasi_slept_ns = sleep > UINT64_MAX - gs->wasi_slept_ns ? UINT64_MAX
                                                               : gs->wasi_slept_ns + sleep;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!si[i].now && si[i].wait > sleep) continue;
        uint8_t e[EVENT_SIZE];
        memset(e, 0, sizeof e);
        wasi_put_u64(e, si[i].userdata);
        wasi_put_u16(e + 8, si[i].error);
        e[10] = si[i].type;
        if (si[i].type != WASI_EVENT_CLOCK && !si[i].error) wasi_put_u64(e + 16, si[i].nbytes);
        memcpy(ev + (size_t)k * EVENT_SIZE, e, sizeof e);
        k++;
    }
    if (si != few) free(si);
    wasi_put_u32(nev, k);
    return wasi_ret(results, WASI_ESUCCESS);
}

int esgx_wasi_poll_oneoff(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                             esgx_wasm_value *results, void *env)
{
    (void)env;
    return poll_oneoff(ctx, args, results, WASI_P1);
}

int esgx_wasi_poll_oneoff_p0(esgx_wasm_ctx *ctx, const esgx_wasm_value *args,
                             esgx_wasm_value *results, void *env)
{
    (void)env;
    return poll_oneoff(ctx, args, results, WASI_P0);
}
