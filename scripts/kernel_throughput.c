// Single-thread throughput of the BCEWithLogitsLoss kernels (forward sum and store, and d/dinput
// alone with a scalar grad_output over n, as a `.mean` backward, and with a grad_output per element
// over 1, as a `.none` backward; Float, Float16, BrainFloat16, Double; hard and
// soft targets) of one copy of Kernels.c, compiled into this file (KERNELS names it).
// scripts/kernel-throughput.sh builds it twice, against a git revision's Kernels.c and the working
// tree's, and runs the two alternately: compare kernel code in one run, on one machine.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define select bce_select   // Kernels.c's lane select, not <sys/select.h>'s
#include KERNELS

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static uint16_t half_bits(float f) { _Float16 h = (_Float16)f; uint16_t b; memcpy(&b, &h, 2); return b; }
static uint16_t brain_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return (uint16_t)((b + 0x7FFF + ((b >> 16) & 1)) >> 16); }

/// A float64 pass (store as in main). The gradient kernels stop at a group with lanes for the
/// scalar path (soft targets where the factor cancels); those lanes are skipped here, so the
/// d/dinput rate is the kernel's alone (about 1.7% of the soft lanes). Returns the elements the kernel ran to.
static ptrdiff_t float64_pass(int store, const double *x, const double *y, const double *gs, int n, double *out,
                              double *s, double *c) {
    if (store == 0) return bce_logits_f64_sum(x, y, 0, n, s, c);
    if (store == 1) return bce_logits_f64_store(x, y, 0, n, out);
    double g = 0.75;
    unsigned redo;
    ptrdiff_t i = 0;
    while (i < n - n % 8) {
        ptrdiff_t stop = store == 2 ? bce_logits_gradients_f64(x, y, &g, 0, n, i, n, out, 0, &redo)
                                    : bce_logits_gradients_f64(x, y, gs, 1, 1, i, n, out, 0, &redo);
        if (stop >= n - n % 8) return stop;
        i = stop + 8;   // past the group: scalar lanes, or (rarely, x = 0) a group outside the fast domain
    }
    return i;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000000, repetitions = argc > 2 ? atoi(argv[2]) : 30;
    // A third argument lowers the instruction set (0 baseline, 1 AVX2, 2 AVX-512; at most the supported one).
    if (argc > 3) bce_simd_set_level((BCESIMDLevel)atoi(argv[3]));
    printf("instruction set level %d\n", (int)bce_simd_level());
#ifdef SIGMOID_TABLE_ENTRIES   // Kernels.c from session 10 on
    {   // The load-time constructor's work (it already ran once before main), timed again.
        double t = now();
        fill_sigmoid_tables();
        printf("sigmoid tables filled in %.3f ms\n", (now() - t) * 1e3);
    }
#endif
    float *xf = malloc(4 * (size_t)n), *yf = malloc(4 * (size_t)n), *of = malloc(4 * (size_t)n);
    uint16_t *xh = malloc(2 * (size_t)n), *yh = malloc(2 * (size_t)n), *xb = malloc(2 * (size_t)n),
             *yb = malloc(2 * (size_t)n), *oh = malloc(2 * (size_t)n);
    float *gfs = malloc(4 * (size_t)n);   // grad_output of the `.none` backward: 0.75 everywhere
    uint16_t *ghs = malloc(2 * (size_t)n), *gbs = malloc(2 * (size_t)n);
    for (int i = 0; i < n; i++) { gfs[i] = 0.75f; ghs[i] = half_bits(0.75f); gbs[i] = brain_bits(0.75f); }
    double *xd = malloc(8 * (size_t)n), *yd = malloc(8 * (size_t)n), *od = malloc(8 * (size_t)n), *gds = malloc(8 * (size_t)n);
    for (int i = 0; i < n; i++) gds[i] = 0.75;
    const char *names[] = {"float32", "float16", "bfloat16", "float64"};
    for (int soft = 0; soft < 2; soft++) {
        srand(1);
        for (int i = 0; i < n; i++) {   // logits in [-8, 8], targets in {0, 1} or uniform in [0, 1]
            float x = ((float)rand() / (float)RAND_MAX * 2 - 1) * 8;
            float y = soft ? (float)rand() / (float)RAND_MAX : (rand() & 1) ? 1.0f : 0.0f;
            xf[i] = x; yf[i] = y; xh[i] = half_bits(x); yh[i] = half_bits(y); xb[i] = brain_bits(x); yb[i] = brain_bits(y);
            xd[i] = x; yd[i] = y;
        }
        for (int kind = 0; kind < 4; kind++) {
            for (int store = 0; store < 4; store++) {   // 0 mean, 1 none, 2 d/dinput of mean, 3 of none
                double best = 1e30;
                for (int r = 0; r < repetitions; r++) {
                    double s[8] = {0}, c[8] = {0}, t = now();
                    ptrdiff_t done;
                    if (kind == 3) {
                        done = float64_pass(store, xd, yd, gds, n, od, s, c);
                    } else if (store == 2) {
                        float gf = 0.75f;
                        uint16_t gh = half_bits(gf), gb = brain_bits(gf);
                        if (kind == 0) done = bce_logits_gradients_f32(xf, yf, &gf, 0, n, 0, 0, n, of, 0);
                        else if (kind == 1) done = bce_logits_gradients_f16(xh, yh, &gh, 0, n, 0, 0, n, oh, 0);
                        else done = bce_logits_gradients_bf16(xb, yb, &gb, 0, n, 0, 0, n, oh, 0);
                    } else if (store == 3) {
                        if (kind == 0) done = bce_logits_gradients_f32(xf, yf, gfs, 1, 1, 0, 0, n, of, 0);
                        else if (kind == 1) done = bce_logits_gradients_f16(xh, yh, ghs, 1, 1, 0, 0, n, oh, 0);
                        else done = bce_logits_gradients_bf16(xb, yb, gbs, 1, 1, 0, 0, n, oh, 0);
                    } else if (kind == 0) done = store ? bce_logits_f32_store(xf, yf, 0, n, of) : bce_logits_f32_sum(xf, yf, 0, n, s, c);
                    else if (kind == 1) done = store ? bce_logits_f16_store(xh, yh, 0, n, oh) : bce_logits_f16_sum(xh, yh, 0, n, s, c);
                    else done = store ? bce_logits_bf16_store(xb, yb, 0, n, oh) : bce_logits_bf16_sum(xb, yb, 0, n, s, c);
                    t = now() - t;
                    if (t < best) best = t;
                    if (done != n - n % 8) { fprintf(stderr, "kernel stopped at %ld of %d\n", (long)done, n); return 1; }
                }
                printf("%-8s %-4s %-5s %6.0f M/s\n", names[kind], soft ? "soft" : "hard",
                       store == 3 ? "gnone" : store == 2 ? "grad" : store ? "none" : "mean", n / best / 1e6);
            }
        }
    }
    return 0;
}
