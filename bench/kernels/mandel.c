/*
 * mandel: floating point (f64) with data-dependent loops. Iteration counts of an
 * n x n Mandelbrot grid over [-2, 1] x [-1.5, 1.5], at most 256 iterations per point;
 * the checksum mixes every count and the bits of the last z.
 */
#include "kernel.h"

KERNEL_EXPORT i64 run(i32 n)
{
    if (n < 1) n = 1;
    u64 h = 0;
    double last = 0;
    for (i32 py = 0; py < n; py++) {
        double ci = -1.5 + 3.0 * py / n;
        for (i32 px = 0; px < n; px++) {
            double cr = -2.0 + 3.0 * px / n;
            double zr = 0, zi = 0;
            int it = 0;
            while (it < 256) {
                double zr2 = zr * zr, zi2 = zi * zi;
                if (zr2 + zi2 > 4.0) break;
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                it++;
            }
            h = h * 1000003u + (u64)it;
            last = zr + zi;
        }
    }
    return (i64)(h ^ f64_bits(last));
}
