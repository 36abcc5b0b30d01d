/*
 * thread.c: joining a thread within a deadline (esgx_thread_join_ms of esgx_common.h).
 *
 * Design: pthread_tryjoin_np in a loop with short sleeps (1 ms, growing to 10 ms) until
 * the thread has ended or the CLOCK_MONOTONIC deadline passes. It replaces
 * pthread_clockjoin_np, which ThreadSanitizer does not understand (GCC 12's libtsan does
 * not intercept it): a join it cannot see made every such thread a "thread leak" and
 * every free after the join a "data race" in the TSan build (scripts/build.sh tsan).
 * tryjoin is intercepted, so the join orders the thread's writes before the caller's
 * reads in every build. A join that succeeds costs at most one sleep more than the
 * thread's own end; callers use it at shutdown only. No state.
 */
#define _GNU_SOURCE
#include "esgx_common.h"

#include <errno.h>
#include <pthread.h>

int esgx_thread_join_ms(pthread_t t, uint64_t timeout_ms)
{
    uint64_t deadline = esgx_monotonic_ms() + timeout_ms;
    unsigned nap = 1;
    for (;;) {
        int e = pthread_tryjoin_np(t, NULL);
        if (e != EBUSY) return e;
        uint64_t now = esgx_monotonic_ms();
        if (now >= deadline) return ETIMEDOUT;
        uint64_t left = deadline - now;
        esgx_sleep_ms(left < nap ? (unsigned)left : nap);
        if (nap < 10) nap++;
    }
}
