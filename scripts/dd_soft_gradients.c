// See scripts/dd-soft-gradients.sh. Kernels.c is compiled into this file (KERNELS names it).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define select bce_select   // Kernels.c's lane select, not <sys/select.h>'s
#include KERNELS

__float128 expq(__float128);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static double ulp(double v) { return nextafter(fabs(v), INFINITY) - fabs(v); }

int main(void) {
    int n = 1000000;
    double *x = malloc(8 * (size_t)n), *y = malloc(8 * (size_t)n), *o = malloc(8 * (size_t)n), g = 0.75;
    srand(3);
    for (int i = 0; i < n; i++) {
        x[i] = ((double)rand() / RAND_MAX * 2 - 1) * 10;
        y[i] = (double)rand() / RAND_MAX;
    }
    // Throughput: the kernel over every group it takes (resuming after each declined one, whose
    // scalar work is not counted), best of 10.
    double best = 1e30;
    long taken = 0;
    for (int r = 0; r < 10; r++) {
        taken = 0;
        double t = now();
        for (ptrdiff_t i = 0; i < n;) {
            ptrdiff_t done = bce_logits_gradients_f64(x, y, &g, 0, n, i, n, o, 0);
            taken += done - i;
            i = done + 8;
        }
        t = now() - t;
        if (t < best) best = t;
    }
    // Coverage and accuracy: resume after each declined group, as the library does.
    long declined = 0, covered = 0;
    double worst = 0, worstX = 0, worstY = 0;
    for (ptrdiff_t i = 0; i < n;) {
        ptrdiff_t done = bce_logits_gradients_f64(x, y, &g, 0, n, i, n, o, 0);
        for (ptrdiff_t k = i; k < done; k++) {
            __float128 X = x[k], Y = y[k];
            __float128 exact = ((1 - Y) / (1 + expq(-X)) - Y / (1 + expq(X))) * (__float128)g / n;
            __float128 difference = (__float128)o[k] - exact;
            double error = (double)((difference < 0 ? -difference : difference) / ulp((double)exact));
            if (error > worst) { worst = error; worstX = x[k]; worstY = y[k]; }
            covered++;
        }
        if (done < n) declined++;
        i = done + 8;
    }
    printf("kernel: %.0f M/s single thread, over the %ld elements it takes\n", taken / best / 1e6, taken);
    printf("declined groups: %ld of %d; elements from the kernel: %ld, worst %.3f ULP of the exact value (binary128) at x=%.17g y=%.17g\n",
           declined, n / 8, covered, worst, worstX, worstY);
    return 0;
}
