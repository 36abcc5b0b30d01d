/*
 * collatz: integer arithmetic. Sums the Collatz stopping times of 1..n (64-bit
 * values, divisions by 2 and 3x+1 steps) and folds the longest chain in.
 */
#include "kernel.h"

KERNEL_EXPORT i64 run(i32 n)
{
    u64 total = 0, best = 0, best_at = 0;
    for (u64 i = 1; i <= (u64)(n > 0 ? n : 0); i++) {
        u64 x = i, steps = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            steps++;
        }
        total += steps;
        if (steps > best) {
            best = steps;
            best_at = i;
        }
    }
    return (i64)(total * 1000003u + best * 31u + best_at);
}
