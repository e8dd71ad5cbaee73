// See scripts/round-f16c-check.sh. Kernels.c is compiled into this file (KERNELS names it), with
// F16C enabled for the whole file so round_f16c can run outside a level function.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define select bce_select   // Kernels.c's lane select, not <sys/select.h>'s
#include KERNELS

static uint64_t state = 88172645463325252ull;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static double from_bits(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
static uint64_t to_bits(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

/// A Double near the midpoint of two neighbouring Float16 values (the ties), a few Double ULPs off.
static double near_half_tie(void) {
    uint16_t h = (uint16_t)next(), h2 = (uint16_t)(h + 1);
    _Float16 a, b;
    memcpy(&a, &h, 2);
    memcpy(&b, &h2, 2);
    return from_bits(to_bits(((double)a + (double)b) / 2) + (int)(next() % 5) - 2);
}

static double pick(void) {
    static const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 65504.0, 65519.99999, 65520.0,
                                     65536.0, 0x1p-24, 0x1p-25, 0x1.0000001p-25, 0x1p-149, 0x1p-150, 1e-300,
                                     1e300, 3.4028234663852886e38, 3.4028235677973366e38, 5e-324};
    switch (next() % 6) {
    case 0: return from_bits(next());                                           // any bits
    case 1: return near_half_tie();
    case 2: {   // a Float, a few Double ULPs off: Float-level ties of the round to odd
        uint32_t w = (uint32_t)next();
        float f;
        memcpy(&f, &w, 4);
        return from_bits(to_bits(f) + (int)(next() % 7) - 3);
    }
    case 3: return ldexp((double)(next() >> 11) * 0x1p-53 + 0.5, (int)(next() % 60) - 30) * (next() & 1 ? -1 : 1);
    case 4: return ldexp((double)(next() >> 11) * 0x1p-53 + 0.5, (int)(next() % 340) - 170);
    default: return special[next() % (sizeof special / sizeof *special)];
    }
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000000, mismatches = 0;
    for (long i = 0; i < n; i += 8) {
        v8d v;
        for (int k = 0; k < 8; k++) v[k] = pick();
        v8h expected = round_binary16(v, 10), got = round_f16c(v);
        for (int k = 0; k < 8; k++)
            if (expected[k] != got[k] && mismatches++ < 10)
                printf("%a: round_binary16 %04x, round_f16c %04x\n", v[k], expected[k], got[k]);
    }
    printf("round_f16c against round_binary16(x, 10): %ld doubles, %ld differ\n", n, mismatches);
    return mismatches != 0;
}
