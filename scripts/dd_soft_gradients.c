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
    // Throughput: the kernel over every element it takes (resuming after each group it hands
    // back, whose scalar lanes are not counted), best of 10.
    double best = 1e30;
    long taken = 0;
    unsigned lanes;
    for (int r = 0; r < 10; r++) {
        taken = 0;
        double t = now();
        for (ptrdiff_t i = 0; i < n;) {
            ptrdiff_t done = bce_logits_gradients_f64(x, y, &g, 0, n, i, n, o, 0, &lanes);
            taken += done - i;
            if (done < n) taken += 8 - __builtin_popcount(lanes);
            i = done + 8;
        }
        t = now() - t;
        if (t < best) best = t;
    }
    // Coverage and accuracy: resume after each group handed back, as the library does, checking
    // the lanes the kernel kept.
    long declined = 0, scalarLanes = 0, covered = 0;
    double worst = 0, worstX = 0, worstY = 0;
    for (ptrdiff_t i = 0; i < n;) {
        ptrdiff_t done = bce_logits_gradients_f64(x, y, &g, 0, n, i, n, o, 0, &lanes);
        ptrdiff_t kept = done < n ? done + 8 : done;
        for (ptrdiff_t k = i; k < kept; k++) {
            if (k >= done && (lanes >> (k - done) & 1)) continue;
            __float128 X = x[k], Y = y[k];
            __float128 exact = ((1 - Y) / (1 + expq(-X)) - Y / (1 + expq(X))) * (__float128)g / n;
            __float128 difference = (__float128)o[k] - exact;
            double error = (double)((difference < 0 ? -difference : difference) / ulp((double)exact));
            if (error > worst) { worst = error; worstX = x[k]; worstY = y[k]; }
            covered++;
        }
        if (done < n) {
            declined++;
            scalarLanes += __builtin_popcount(lanes);
        }
        i = done + 8;
    }
    printf("kernel: %.0f M/s single thread, over the %ld elements it takes\n", taken / best / 1e6, taken);
    printf("groups handed back: %ld of %d, %ld elements to the scalar path; elements from the kernel: %ld, worst %.3f ULP of the exact value (binary128) at x=%.17g y=%.17g\n",
           declined, n / 8, scalarLanes, covered, worst, worstX, worstY);
    return 0;
}
