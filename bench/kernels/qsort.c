/*
 * qsort: sorting. Fills an array of n u32 (n <= 4M) from the PRNG and sorts it with
 * an in-place quicksort (median of three, insertion sort below 16 elements, recursion
 * on the smaller side only so the stack stays O(log n)); the checksum is a weighted
 * sum of the sorted array, and a wrong order poisons it.
 */
#include "kernel.h"

#define MAXN (4 * 1024 * 1024)
static u32 arr[MAXN];

static void insertion(u32 *a, i32 lo, i32 hi)
{
    for (i32 i = lo + 1; i <= hi; i++) {
        u32 v = a[i];
        i32 j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(u32 *a, i32 i, i32 j)
{
    u32 t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(u32 *a, i32 lo, i32 hi)
{
    while (hi - lo >= 16) {
        i32 mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        u32 pivot = a[mid];
        i32 i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                swap(a, i, j);
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion(a, lo, hi);
}

KERNEL_EXPORT i64 run(i32 n)
{
    if (n < 1) n = 1;
    if (n > MAXN) n = MAXN;
    u64 s = 0x123456789ABCDEFULL;
    for (i32 i = 0; i < n; i++) arr[i] = (u32)(prng_next(&s) >> 32);
    quicksort(arr, 0, n - 1);
    u64 h = 0;
    for (i32 i = 0; i < n; i++) {
        if (i && arr[i - 1] > arr[i]) return -1;
        h = h * 31 + arr[i];
    }
    return (i64)h;
}
