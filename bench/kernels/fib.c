/*
 * fib: recursion. Naive doubly recursive Fibonacci; exercises calls and returns.
 * run(n) = fib(n) + fib(n-2), n clamped to [2, 45].
 */
#include "kernel.h"

static __attribute__((noinline)) i64 fib(i32 k)
{
    return k < 2 ? k : fib(k - 1) + fib(k - 2);
}

KERNEL_EXPORT i64 run(i32 n)
{
    if (n < 2) n = 2;
    if (n > 45) n = 45;
    return fib(n) + fib(n - 2);
}
