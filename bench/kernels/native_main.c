/*
 * native_main.c: the native driver of a benchmark kernel (see kernel.h). Linked with
 * one kernel file; runs run(N) with N from argv[1] and prints the signed checksum.
 * Not a kernel itself: the scripts list kernels by name.
 */
#include <stdio.h>
#include <stdlib.h>

long long run(int n);

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s N\n", argv[0]);
        return 2;
    }
    printf("%lld\n", run(atoi(argv[1])));
    return 0;
}
