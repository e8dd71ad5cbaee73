// See include/BCESIMDKernels.h. The library's only vector code: one body, compiled once per
// instruction set (see "One copy per level"). Every level must give the same bits, so the file is
// compiled without contraction (the pragma) and without fast-math; the library's tests compare
// every level with each other and with the scalar formulas (Sources/BinaryCrossEntropy), and
// KernelMathAccuracyTests tests each log and exp below against Float80 with the bounds of
// README.md's "Accuracy of the lane math" (through bce_test_lane_math, "Test only" below).

#include "BCESIMDKernels.h"

#include <stdint.h>

#pragma clang fp contract(off)
#pragma clang diagnostic ignored "-Wpsabi"

typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
typedef uint64_t v8u __attribute__((vector_size(64)));
typedef int64_t v8i __attribute__((vector_size(64)));   // lane masks: -1 true, 0 false
typedef uint16_t v8h __attribute__((vector_size(16)));  // Float16 or BrainFloat16 bit patterns
typedef uint32_t v8w __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));     // the Float lanes of the 16-bit logits terms
typedef uint32_t v16w __attribute__((vector_size(64)));
typedef int32_t v16m __attribute__((vector_size(64)));   // lane masks: -1 true, 0 false
typedef uint16_t v16h __attribute__((vector_size(32)));
typedef _Float16 v8hf __attribute__((vector_size(16)));  // Float16 lanes: only converted, by F16C
typedef _Float16 v16hf __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))

INLINE v8u bits(v8d v) { return (v8u)v; }
INLINE v8d dbl(v8u b) { return (v8d)b; }
INLINE v8d splat(double d) { return (v8d){d, d, d, d, d, d, d, d}; }
INLINE int all(v8i m) { return __builtin_reduce_and(m) == -1; }
INLINE int any(v8i m) { return __builtin_reduce_or(m) != 0; }
/// `replacement` where `mask`, else `v`, by bit masks.
INLINE v8d select(v8i mask, v8d replacement, v8d v) {
    return dbl((bits(replacement) & (v8u)mask) | (bits(v) & ~(v8u)mask));
}
INLINE v8d magnitude(v8d v) { return dbl(bits(v) & 0x7FFFFFFFFFFFFFFFull); }
/// max(v, 0) for finite v by masking; -0 gives +0.
INLINE v8d positive_part(v8d v) {
    v8u b = bits(v);
    return dbl(b & ((b >> 63) - 1));
}

INLINE v8d load_f32(const float *p) { v8f f; __builtin_memcpy(&f, p, sizeof f); return __builtin_convertvector(f, v8d); }
INLINE void store_f32(v8d v, float *p) { v8f f = __builtin_convertvector(v, v8f); __builtin_memcpy(p, &f, sizeof f); }
INLINE v8d load_f64(const double *p) { v8d d; __builtin_memcpy(&d, p, sizeof d); return d; }
INLINE void store_f64(v8d v, double *p) { __builtin_memcpy(p, &v, sizeof v); }

// ---- Float16 and BrainFloat16 lanes: widened exactly to Double, rounded once back ----

/// Float16 bit patterns widened to Double exactly, on the bits (no F16C at the baseline).
INLINE v8d widen_f16(v8h raw) {
    v8u h = __builtin_convertvector(raw, v8u);
    v8u sign = (h & 0x8000) << 48;
    v8u exponent = (h >> 10) & 0x1F;
    v8u significand = h & 0x3FF;
    v8u special = 0 - ((exponent + 1) >> 5);   // all ones where the exponent is 31 (infinity, NaN)
    v8u tiny = 0 - ((exponent - 1) >> 63);     // all ones where it is 0 (zero, subnormal)
    // Normal: rebias the exponent (15 -> 1023) and widen the significand; exponent 31 -> 2047.
    v8u normal = sign | (((exponent + (1023 - 15)) | (special & 0x7FF)) << 52) | (significand << 42);
    // Zero and subnormal: significand * 2^-24, exact (an integer below 2^10 via 2^52).
    v8u small = sign | bits((dbl(significand | 0x4330000000000000ull) - 0x1p52) * 0x1p-24);
    return dbl((normal & ~tiny) | (small & tiny));
}

/// Float16 bit patterns widened to Double exactly by F16C's VCVTPH2PS (LANES_F16C: the AVX2 and
/// AVX-512 levels): the same values as widen_f16, in two instructions instead of about twenty.
/// (A signalling NaN comes out quiet; NaN lanes leave the kernels' domains or become NaN results,
/// whose stored pattern round_binary16 fixes, so no result depends on it.)
INLINE v8d widen_f16c(v8h raw) {
    return __builtin_convertvector(__builtin_convertvector((v8hf)raw, v8f), v8d);
}

/// BrainFloat16 bit patterns widened to Double exactly: each is the upper half of a Float's.
INLINE v8d widen_bf16(v8h raw) {
    v8w w = __builtin_convertvector(raw, v8w) << 16;
    return __builtin_convertvector((v8f)w, v8d);
}

/// 2^e for a Double exponent e in the normal range, exactly.
INLINE double pow2(int e) {
    uint64_t b = (uint64_t)(1023 + e) << 52;
    double d;
    __builtin_memcpy(&d, &b, sizeof d);
    return d;
}

/// SwiftBCEShared's binary16Bits(rounding:fractionBits:) on eight lanes: each Double rounded
/// once to the 16-bit format with `m` stored significand bits (Float16 10, BrainFloat16 7), ties
/// to even; ±infinity from the overflow threshold on, signed zero kept, NaN as the quiet NaN
/// without payload with the sign kept. Adding 2^52 to a non-negative Double below 2^52 rounds it
/// to an integer (to nearest even), whose value is then the low bits of the sum.
INLINE v8h round_binary16(v8d x, int m) {
    const int bias = (1 << (14 - m)) - 1;   // 15, 127
    const uint64_t infinity = (uint64_t)(((1 << (15 - m)) - 1) << m);
    const uint64_t magic = 0x4330000000000000ull;   // the bits of 2^52
    v8u sign = (bits(x) >> 48) & 0x8000;
    v8d a = magnitude(x);
    v8u ab = bits(a);
    // Subnormal range: multiples of 2^(1 - bias - m); a result of 2^m is the smallest normal.
    v8u subnormal = bits(a * pow2(bias - 1 + m) + 0x1p52) - magic;
    // Normal range: m + 1 significant bits; a significand that rounds up to 2^(m+1) carries into
    // the exponent field (at the top binade: the infinity pattern).
    v8d significand = dbl((ab & 0x000FFFFFFFFFFFFFull) | ((uint64_t)(1023 + m) << 52));   // [2^m, 2^(m+1))
    v8u rounded = bits(significand + 0x1p52) - magic;
    v8u normal = (((ab >> 52) - 1023 + (uint64_t)(bias - 1)) << m) + rounded;
    v8i isSubnormal = a < pow2(1 - bias);
    v8i isFinite = a < pow2(bias + 1);   // false for NaN and at or above the overflow threshold
    v8i isNaN = a != a;
    v8u special = infinity | ((v8u)isNaN & (uint64_t)(1 << (m - 1)));
    v8u result = ((v8u)isSubnormal & subnormal) | ((v8u)(~isSubnormal & isFinite) & normal)
        | ((v8u)~isFinite & special);
    return __builtin_convertvector(sign | result, v8h);
}

typedef int32_t v8m32 __attribute__((vector_size(32)));   // lane masks of eight 32-bit lanes

/// round_binary16(x, 10) by F16C (LANES_F16C), the same bits: each Double rounded to odd as a Float
/// (24 significant bits, at least two more than Float16's 11, so rounding that to nearest even
/// gives x's correctly rounded Float16: Boldo and Melquiond's round-to-odd), then VCVTPH2PS's
/// ties-to-even rounding; NaN as round_binary16's quiet NaN with the sign kept. Rounding to odd:
/// the Float nearest x, one step toward zero where that is above |x|, the last bit set where
/// inexact (beyond FLT_MAX: FLT_MAX, odd, which still rounds to infinity).
INLINE v8h round_f16c(v8d x) {
    v8f nearest = __builtin_convertvector(x, v8f);
    v8d back = __builtin_convertvector(nearest, v8d);
    v8m32 above = __builtin_convertvector(magnitude(back) > magnitude(x), v8m32);
    v8m32 inexact = __builtin_convertvector(back != x, v8m32);
    v8w odd = ((v8w)nearest + (v8w)above) | ((v8w)inexact & 1);
    v8w sign = odd & 0x80000000u;
    v8w isNaN = (v8w)((odd ^ sign) > 0x7F800000u);
    v8w rounded = __builtin_convertvector((v8h)__builtin_convertvector((v8f)odd, v8hf), v8w);
    return __builtin_convertvector((isNaN & ((sign >> 16) | 0x7E00u)) | (~isNaN & rounded), v8h);
}

/// The element types evaluated in Double lanes; a constant argument of every function below, so
/// each instantiation keeps one branch. LANES_F16C is Float16 at a level with F16C: the same
/// values and bits, widened by the hardware.
enum { LANES_F32, LANES_F16, LANES_BF16, LANES_F16C };

/// Eight 16-bit patterns of `kind` (not LANES_F32) as Doubles, exactly.
INLINE v8d widen_lanes(v8h raw, int kind) {
    return kind == LANES_F16C ? widen_f16c(raw) : kind == LANES_F16 ? widen_f16(raw) : widen_bf16(raw);
}

/// Eight elements of `kind` from `p + i`, exactly, as Doubles.
INLINE v8d load_lanes(const void *p, ptrdiff_t i, int kind) {
    if (kind == LANES_F32) return load_f32((const float *)p + i);
    v8h raw;
    __builtin_memcpy(&raw, (const uint16_t *)p + i, sizeof raw);
    return widen_lanes(raw, kind);
}

/// `p[0]` of `kind` in every lane.
INLINE v8d splat_lane(const void *p, int kind) {
    if (kind == LANES_F32) return splat((double)*(const float *)p);
    return widen_lanes((v8h){0} + *(const uint16_t *)p, kind);
}

/// Eight Doubles, each rounded once to `kind`, stored at `p + i`.
INLINE void store_lanes(v8d v, void *p, ptrdiff_t i, int kind) {
    if (kind == LANES_F32) { store_f32(v, (float *)p + i); return; }
    v8h h = kind == LANES_F16C ? round_f16c(v) : round_binary16(v, kind == LANES_BF16 ? 7 : 10);
    __builtin_memcpy((uint16_t *)p + i, &h, sizeof h);
}

/// A broadcast operand of BCEWeights: `p[0]` in every lane (stride 0) or `p[i ..< i + 8]`.
INLINE v8d load_operand(const void *p, ptrdiff_t stride, ptrdiff_t i, int kind) {
    return stride == 0 ? splat_lane(p, kind) : load_lanes(p, i, kind);
}
INLINE v8d load_operand_f64(const void *p, ptrdiff_t stride, ptrdiff_t i) {
    const double *d = (const double *)p;
    return stride == 0 ? splat(d[0]) : load_f64(d + i);
}
/// Lanes where a double-double value may be scaled by `w` exactly enough: 0, or a magnitude in
/// [2^-400, 2^400] (no overflow, and the exact product's error is representable).
INLINE v8i dd_scalable(v8d w) {
    v8d m = dbl(bits(w) & 0x7FFFFFFFFFFFFFFFull);
    return ((m >= 0x1p-400) | (w == 0)) & (m <= 0x1p400);
}

// ---- log and exp in Double lanes (fdlibm e_log.c, e_exp.c) ----
//
// fdlibm's algorithms (Sun Microsystems, freely distributable) with the same polynomials and an
// error below 1 Double ULP: for a Float result 2^-29 of a Float ULP, so the result rounded once is
// the correctly rounded value except within 2^-29 ULP of a tie. Each function states the domain it
// is called on; the callers leave every other lane (zero, subnormal, infinite, NaN, clamped) to
// the scalar path.

static const double ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10;
static const double lg1 = 6.666666666666735130e-01, lg2 = 3.999999999940941908e-01;
static const double lg3 = 2.857142874366239149e-01, lg4 = 2.222219843214978396e-01;
static const double lg5 = 1.818357216161805012e-01, lg6 = 1.531383769920937332e-01;
static const double lg7 = 1.479819860511658591e-01;
static const double invLn2 = 1.44269504088896338700e+00;

/// 1/2!, 1/3!, ..., 1/14!, each rounded to Double: the Taylor coefficients of expm1 here and of
/// the double-double exp.
static const double inverse_factorials[13] = {
    1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880,
    1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800, 1.0 / 87178291200};

/// c[0] + ... + c[11] r^11 as the three partial sums of Estrin's scheme (pairs, then r^2 = `r2`);
/// the caller combines them with r^4 and r^8 (a short dependency chain, not Horner's eleven).
INLINE void estrin_quarters(const double *c, v8d r, v8d r2, v8d *s0, v8d *s1, v8d *s2) {
    v8d q0 = c[0] + c[1] * r, q1 = c[2] + c[3] * r, q2 = c[4] + c[5] * r;
    v8d q3 = c[6] + c[7] * r, q4 = c[8] + c[9] * r, q5 = c[10] + c[11] * r;
    *s0 = q0 + q1 * r2;
    *s1 = q2 + q3 * r2;
    *s2 = q4 + q5 * r2;
}

/// expm1(r) for |r| <= ln2 / 2 by its Taylor series to degree 13 (Estrin): r + r^2 (1/2! + ...
/// + r^11 / 13!); truncation below 2^-57 relative.
INLINE v8d expm1_taylor(v8d r) {
    v8d r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    v8d s0, s1, s2;
    estrin_quarters(inverse_factorials, r, r2, &s0, &s1, &s2);   // 1/2! ... 1/13!
    return r + r2 * ((s0 + s1 * r4) + s2 * r8);
}

/// Positive normal v = 2^k m, m in [sqrt(1/2), sqrt(2)); returns f = m - 1 (exact) and k (as a
/// Double). musl's reduction: subtracting the bits of sqrt(1/2) moves the exponent boundary there.
INLINE v8d reduce(v8d v, v8d *k) {
    v8u b = bits(v);
    v8u t = b - 0x3FE6A09E667F3BCDull;
    v8u biasedK = (t + 0x3FF0000000000000ull) >> 52;
    v8d m = dbl(b - (t & 0xFFF0000000000000ull));
    *k = dbl(biasedK | 0x4330000000000000ull) - (0x1p52 + 1023);
    return m - 1;
}

/// log(v) for positive normal finite v, within 1 ULP (fdlibm).
INLINE v8d vm_log(v8d v) {
    v8d k;
    v8d f = reduce(v, &k);
    v8d s = f / (2 + f);
    v8d z = s * s, w = z * z;
    v8d t1 = w * (lg2 + w * (lg4 + w * lg6));
    v8d t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
    v8d r = t2 + t1;
    v8d hfsq = 0.5 * f * f;
    return k * ln2Hi - ((hfsq - (s * (hfsq + r) + k * ln2Lo)) - f);
}

/// log1p(e) for e in [0, 1]: log(1 + e) plus the rounding error of u = 1 + e (exact, as |e| <= 1),
/// so a tiny e keeps its relative accuracy. Not dividing the error by u costs at most 2^-52 relative.
INLINE v8d vm_log1p_unit(v8d e) {
    v8d u = 1 + e;
    v8d error = e - (u - 1);
    return vm_log(u) + error;
}

/// Two functions on one Taylor series, lane by lane (`near`: the second): each lane takes its
/// function's reduction t = k ln2 + r, then expm1(r) by the Taylor series to degree 13 (Estrin)
/// and its function's result. A group of eight mixing both (the logits gradients' small and large
/// |x|) evaluates one series, not two; a constant mask folds to one function.
/// - exp(t) for t in [-708, 0], within 1 ULP (the result is a normal number): fdlibm's reduction,
///   |r| <= ln2 / 2, k from the 1.5 * 2^52 trick and 2^k from its low bits; then 1 + expm1(r)
///   times 2^k (not fdlibm's rational form, whose division made this the Float logits paths'
///   longest chain, about 20% of their time).
/// - expm1(t) for |t| < 1, relative error about 2^-52: k in {-1, 0, 1} from the thresholds
///   +-0.3466, |r| <= 0.35; then 2p + 1 (k = 1) or (p - 1) / 2 (k = -1), p = expm1(r).
INLINE v8d vm_exp_or_expm1(v8d t, v8i near) {
    v8d shifted = t * invLn2 + 0x1.8p52;
    v8i up = t > 0.3466, down = t < -0.3466;
    v8d k = select(near, select(up, splat(1), select(down, splat(-1), splat(0))), shifted - 0x1.8p52);
    v8d r = (t - k * ln2Hi) - k * ln2Lo;
    v8d p = expm1_taylor(r);
    v8d scale = dbl(((bits(shifted) + 1023) & 0x7FF) << 52);
    return select(near, select(up, 2 * p + 1, select(down, (p - 1) * 0.5, p)), (1 + p) * scale);
}

/// exp(t) for t in [-708, 0], within 1 ULP (see vm_exp_or_expm1).
INLINE v8d vm_exp_nonpositive(v8d t) { return vm_exp_or_expm1(t, (v8i){0}); }

/// expm1(x) for |x| < 1, relative error about 2^-52 (see vm_exp_or_expm1).
INLINE v8d vm_expm1_small(v8d x) { return vm_exp_or_expm1(x, ~(v8i){0}); }

/// log1p(exp(-a)) for a in [0, 700] (the tail of softplus(±x), a = |x|): exp(-a) is normal there.
INLINE v8d vm_softplus_tail(v8d a) { return vm_log1p_unit(vm_exp_nonpositive(-a)); }

// ---- The softplus tail in Float lanes (Float16 and BrainFloat16 BCEWithLogitsLoss) ----
//
// Sixteen Float lanes per vector (twice the Double lanes), polynomials without a division, and
// Estrin's scheme (short dependency chains): about three times the Double lanes' throughput. Its
// relative error, below 2^-22 (README table), is 2^-11 of a Float16 ULP and 2^-14 of a BrainFloat16
// one, and every term the tail enters is non-negative (no cancellation), so a loss rounded once
// from it is correctly rounded except within 2^-10 ULP of a tie (BrainFloat16: 2^-13). Not for
// Float (a Float result needs the Double lanes' 2^-51) nor for the gradients, whose
// `sigmoid(x) - y` cancels.

INLINE v16w fbits(v16f v) { return (v16w)v; }
INLINE v16f flt(v16w b) { return (v16f)b; }
INLINE v16f fsplat(float f) { return (v16f){f, f, f, f, f, f, f, f, f, f, f, f, f, f, f, f}; }
INLINE v16f fselect(v16m mask, v16f replacement, v16f v) {
    return flt((fbits(replacement) & (v16w)mask) | (fbits(v) & ~(v16w)mask));
}
INLINE int fall(v16m m) { return __builtin_reduce_and(m) == -1; }
INLINE v16f fmagnitude(v16f v) { return flt(fbits(v) & 0x7FFFFFFFu); }

/// ln 2 in two parts (Cephes): k ln2Hi exact for |k| < 2^15.
static const float fln2Hi = 0.693359375f, fln2Lo = -2.12194440e-4f;
/// Cephes expf's polynomial, highest degree first: exp(r) = 1 + r + r^2 P(r), |r| <= ln2 / 2.
static const float fexp_p[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
                                1.6666665459e-1f, 5.0000001201e-1f};
/// Cephes logf's polynomial, highest degree first: log(1 + f) = f - f^2/2 + f^3 P(f), f in
/// [sqrt(1/2) - 1, sqrt(2) - 1].
static const float flog_p[9] = {7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f,
                                1.4249322787e-1f, -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f,
                                3.3333331174e-1f};

/// exp(t) for t in [-80, 0] (the result is a normal Float): k from the 1.5 * 2^23 trick, 2^k from
/// its low bits.
INLINE v16f vf_exp_nonpositive(v16f t) {
    v16f shifted = t * 1.44269504088896341f + 0x1.8p23f;
    v16f k = shifted - 0x1.8p23f;
    v16f r = (t - k * fln2Hi) - k * fln2Lo;
    v16f r2 = r * r;
    const float *c = fexp_p;
    v16f p = ((c[0] * r + c[1]) * r2 + (c[2] * r + c[3])) * r2 + (c[4] * r + c[5]);
    v16f y = (p * r2 + r) + 1;
    v16w scale = (fbits(shifted) - 0x4B400000u + 127u) << 23;
    return y * flt(scale);
}

/// log(u) for u in [1, 2]: u = 2^k m, k in {0, 1}, m in [sqrt(1/2), sqrt(2)).
INLINE v16f vf_log_one_to_two(v16f u) {
    v16m up = (v16m)(u >= 1.41421356237309505f);
    v16f k = fselect(up, fsplat(1), fsplat(0));
    v16f f = fselect(up, u * 0.5f, u) - 1;
    v16f z = f * f, z2 = z * z;
    const float *c = flog_p;
    v16f p = ((c[8] + c[7] * f) + (c[6] + c[5] * f) * z) + ((c[4] + c[3] * f) + (c[2] + c[1] * f) * z) * z2
        + c[0] * (z2 * z2);
    v16f y = (p * f * z + k * fln2Lo) - 0.5f * z;
    return (f + y) + k * fln2Hi;
}

/// log1p(exp(-a)) for a in [0, 80]: log(u), u = 1 + e, plus u's rounding error (exact), so a tiny
/// e keeps its relative accuracy.
INLINE v16f vf_softplus_tail(v16f a) {
    v16f e = vf_exp_nonpositive(-a);
    v16f u = 1 + e;
    return vf_log_one_to_two(u) + (e - (u - 1));
}

/// Sixteen Float16 bit patterns as Floats, exactly: the magnitude's bits shifted into a Float's
/// and scaled by 2^112 (normals and subnormals alike), exponent 31 to 255 (infinity, NaN).
INLINE v16f widen16_f16(v16h raw) {
    v16w h = __builtin_convertvector(raw, v16w);
    v16w sign = (h & 0x8000u) << 16;
    v16f scaled = flt((h & 0x7FFFu) << 13) * 0x1p112f;
    v16m special = (v16m)((h & 0x7C00u) == 0x7C00u);
    v16w magnitudeBits = (fbits(scaled) & ~(v16w)special) | ((((h & 0x3FFu) << 13) | 0x7F800000u) & (v16w)special);
    return flt(magnitudeBits | sign);
}

/// widen16_f16 by F16C's VCVTPH2PS (LANES_F16C), the same values (see widen_f16c).
INLINE v16f widen16_f16c(v16h raw) { return __builtin_convertvector((v16hf)raw, v16f); }

/// Sixteen BrainFloat16 bit patterns as Floats, exactly (the upper halves).
INLINE v16f widen16_bf16(v16h raw) { return flt(__builtin_convertvector(raw, v16w) << 16); }

/// Sixteen 16-bit patterns of `kind` (LANES_F16, LANES_F16C or LANES_BF16) as Floats, exactly.
INLINE v16f widen16(v16h raw, int kind) {
    return kind == LANES_F16C ? widen16_f16c(raw) : kind == LANES_F16 ? widen16_f16(raw) : widen16_bf16(raw);
}

/// Sixteen elements of `kind` (LANES_F16, LANES_F16C or LANES_BF16) from `p + i`; `count` 8 reads
/// eight and leaves the upper lanes 0.
INLINE v16f load16(const void *p, ptrdiff_t i, int count, int kind) {
    v16h raw = {0};
    if (count == 16) __builtin_memcpy(&raw, (const uint16_t *)p + i, 16 * sizeof(uint16_t));
    else __builtin_memcpy(&raw, (const uint16_t *)p + i, 8 * sizeof(uint16_t));
    return widen16(raw, kind);
}

/// `p[0]` of `kind` (LANES_F16, LANES_F16C or LANES_BF16) in every lane; reads that one element only.
INLINE v16f splat16(const void *p, int kind) { return widen16((v16h){0} + *(const uint16_t *)p, kind); }

/// A broadcast operand of BCEWeights in sixteen Float lanes: `p[0]` in every lane (stride 0) or
/// `p[i ..< i + count]`.
INLINE v16f load_operand16(const void *p, ptrdiff_t stride, ptrdiff_t i, int count, int kind) {
    return stride == 0 ? splat16(p, kind) : load16(p, i, count, kind);
}

/// The weight (`w`) and pos_weight (`p`) of BCEWeights in sixteen Float lanes (`count` read), 1
/// where absent; returns the lanes where both are in the sixteen-lane paths' domain: |weight| <=
/// 2^32, pos_weight in [0, 2^32], so a Float term (below 81 max(1, p)) times the weight stays
/// below 2^71, far from Float's overflow at 2^128.
INLINE v16m load_weights16(const BCEWeights *wt, ptrdiff_t i, int count, int kind, v16f *w, v16f *p) {
    v16m fast = ~(v16m){0};   // every lane
    *w = fsplat(1);
    *p = fsplat(1);
    if (wt && wt->weight) {
        *w = load_operand16(wt->weight, wt->weightStride, i, count, kind);
        fast &= (v16m)(fmagnitude(*w) <= 0x1p32f);
    }
    if (wt && wt->posWeight) {
        *p = load_operand16(wt->posWeight, wt->posWeightStride, i, count, kind);
        fast &= (v16m)((*p >= 0) & (*p <= 0x1p32f));
    }
    return fast;
}

/// The lower (`half` 0) or upper eight Float lanes as Doubles, exactly.
INLINE v8d half_to_double(v16f v, int half) {
    v8f h = half ? __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15)
                 : __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
    return __builtin_convertvector(h, v8d);
}

// ---- Float, Float16 and BrainFloat16: the terms in Double lanes ----

/// BCELoss's terms `(y - 1) log1p(-x) - y log(x)` (hard labels: one log), for elements of `kind`;
/// 0 where the group must take the scalar path. x >= 2^-29: 1 - x is exact, both logs above -100.
/// With `wt` (not null): the term times the weight, in Double, as the scalar path multiplies.
INLINE int bce_lane_terms(const void *input, const void *target, const BCEWeights *wt, int kind, ptrdiff_t i, v8d *out) {
    v8d x = load_lanes(input, i, kind), y = load_lanes(target, i, kind);
    v8i fast = (x >= 0x1p-29) & (x < 1) & (y >= 0) & (y <= 1);
    if (!all(fast)) return 0;
    v8d v;
    if (all((y == 0) | (y == 1))) {
        v = -vm_log(x * y + (1 - x) * (1 - y));
    } else {
        v = (y - 1) * vm_log(1 - x) - y * vm_log(x);
    }
    *out = wt && wt->weight ? v * load_operand(wt->weight, wt->weightStride, i, kind) : v;
    return 1;
}

/// BCEWithLogitsLoss's terms `(1 - y) softplus(x) + softplus(-x) y`; |x| <= 700 keeps exp(-|x|) normal.
/// With `wt`: pos_weight p (in [0, DBL_MAX], else the scalar path) as
/// `(1 - y) * softplus(x) + (p * softplus(-x)) * y`, then times the weight, as the scalar path.
INLINE int bce_logits_lane_terms(const void *input, const void *target, const BCEWeights *wt, int kind, ptrdiff_t i,
                                  v8d *out) {
    v8d x = load_lanes(input, i, kind), y = load_lanes(target, i, kind);
    v8d mag = magnitude(x);
    v8i fast = (mag <= 700) & (y >= 0) & (y <= 1);
    v8d p = splat(1);
    int hasP = wt && wt->posWeight;
    if (hasP) {
        p = load_operand(wt->posWeight, wt->posWeightStride, i, kind);
        fast &= (p >= 0) & (p <= 0x1.fffffffffffffp+1023);
    }
    if (!all(fast)) return 0;
    v8d tail = vm_softplus_tail(mag);
    v8d softplusX = positive_part(x) + tail;
    v8d softplusMinusX = positive_part(-x) + tail;
    v8d v = hasP ? (1 - y) * softplusX + (p * softplusMinusX) * y : (1 - y) * softplusX + softplusMinusX * y;
    *out = wt && wt->weight ? v * load_operand(wt->weight, wt->weightStride, i, kind) : v;
    return 1;
}

/// BCEWithLogitsLoss's terms for Float16 and BrainFloat16, sixteen elements (`count` 16) or eight,
/// in Float lanes: `(1 - y) softplus(x) + (p softplus(-x)) y`, times the weight, as the scalar
/// path's operations (1 - y is exact). The fast domain: |x| <= 80, y in [0, 1], pos_weight in [0,
/// 2^32] and |weight| <= 2^32 (so no product overflows a Float: a term is below 2^71). Every rounding
/// is relative, at most 2^-24 each, on top of the tail's 2^-22: below 2^-21.5 in all, 2^-10.5 of a
/// Float16 ULP. Writes the terms as Doubles (exactly) to `out[0]` and `out[1]` and returns the
/// elements evaluated: `count`, 8 when only the upper eight leave the fast domain, or 0.
INLINE int bce_logits_half_terms(const void *input, const void *target, const BCEWeights *wt, int kind, ptrdiff_t i,
                                 int count, v8d out[2]) {
    v16f x = load16(input, i, count, kind), y = load16(target, i, count, kind);
    v16f mag = fmagnitude(x), w, p;
    v16m fast = (v16m)((mag <= 80) & (y >= 0) & (y <= 1)) & load_weights16(wt, i, count, kind, &w, &p);
    int hasP = wt && wt->posWeight, hasW = wt && wt->weight;
    int halves = count / 8;
    if (!fall(fast)) {
        v16m lower = __builtin_shufflevector(fast, fast, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7);
        if (!fall(lower)) return 0;
        halves = 1;
    }
    v16f tail = vf_softplus_tail(mag);
    v16w negative = (v16w)((v16m)fbits(x) >> 31);
    v16f softplusX = flt(fbits(x) & ~negative) + tail;      // max(x, 0) + tail; -0 gives +0
    v16f softplusMinusX = flt(fbits(mag) & negative) + tail;
    v16f v = hasP ? (1 - y) * softplusX + (p * softplusMinusX) * y : (1 - y) * softplusX + softplusMinusX * y;
    if (hasW) v = v * w;
    out[0] = half_to_double(v, 0);
    if (halves == 2) out[1] = half_to_double(v, 1);
    return 8 * halves;
}

// ---- Double-double arithmetic, log and exp (for the Double losses: within 2 ULP) ----
//
// Dekker (1971), Knuth's TwoSum; the log is fdlibm's with its leading terms carried exactly
// (relative error below 2^-55); the exp a Taylor series of degree 14 after Cody-Waite reduction,
// its quadratic term carried exactly (below 2^-57).

typedef struct { v8d hi, lo; } dd;

INLINE dd two_sum(v8d a, v8d b) {
    v8d s = a + b;
    v8d bb = s - a;
    return (dd){s, (a - (s - bb)) + (b - bb)};
}

INLINE dd fast_two_sum(v8d a, v8d b) {
    v8d s = a + b;
    return (dd){s, b - (s - a)};
}

/// `a * b` exactly as `p + e`, e = fma(a, b, -p): one instruction at the AVX2 and AVX-512 levels and
/// on arm64, the C library's correctly rounded `fma` at the x86-64 baseline (same bits, slower).
INLINE dd two_product(v8d a, v8d b) {
    v8d p = a * b;
    return (dd){p, __builtin_elementwise_fma(a, b, -p)};
}

/// Double-double times double-double.
INLINE dd dd_multiply_dd(dd a, dd b) {
    dd p = two_product(a.hi, b.hi);
    return fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi));
}

/// Double-double times double.
INLINE dd dd_multiply(dd a, v8d b) {
    dd p = two_product(a.hi, b);
    return fast_two_sum(p.hi, p.lo + a.lo * b);
}

/// log(v) for positive normal finite v: v = 2^k (1 + f), log(v) = k ln2 + f - f^2/2 + s (f^2/2 +
/// R(s^2)), s = f / (2 + f); k ln2Hi, f and f^2/2 exact and summed exactly, only the last term (at
/// most 5% of the result) rounded.
INLINE dd dd_log(v8d v) {
    v8d k;
    v8d f = reduce(v, &k);
    v8d s = f / (2 + f);
    v8d z = s * s, w = z * z;
    v8d t1 = w * (lg2 + w * (lg4 + w * lg6));
    v8d t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)));
    dd square = two_product(f, f);
    v8d halfSquare = 0.5 * square.hi, halfSquareLo = 0.5 * square.lo;
    v8d tail = s * (halfSquare + (t2 + t1));
    dd a = fast_two_sum(f, -halfSquare);
    dd h = two_sum(k * ln2Hi, a.hi);
    v8d lo = tail + (((h.lo + a.lo) - halfSquareLo) + k * ln2Lo);
    return fast_two_sum(h.hi, lo);
}

/// sqrt(2) as hi + lo (the fine exponential's odd half steps).
static const double sqrt2Hi = 0x1.6a09e667f3bcdp0, sqrt2Lo = -0x1.bdd3413b26456p-54;

/// exp(-a) for a in [0, 700]: -a = k ln2 + r0 + r1 (Cody-Waite), exp(r) = 1 + r0 + r0^2/2 + r1 +
/// r0 r1 + r0^3 P(r0), the first terms summed exactly, then scaled by 2^k exactly: below 2^-56.25
/// relative. `fine` (a constant at each call): half steps, -a = (k/2) ln2 + r with |r| <= ln2/4,
/// r0^2 carried exactly and r1 to second order, the result times sqrt(2) for odd k: below 2^-60,
/// for the soft-target gradients' cancelling differences (DD_GRADIENT_CANCELLATION), about ten
/// more operations.
INLINE dd dd_exp_negated_at(v8d a, int fine) {
    v8d shifted = -a * (fine ? 2 * invLn2 : invLn2) + 0x1.8p52;
    v8u kBits = bits(shifted);
    v8d k = shifted - 0x1.8p52;
    v8d rHi = -a - k * (fine ? 0.5 * ln2Hi : ln2Hi);   // exact: k ln2Hi has at most 43 bits
    v8d rLo = -(k * (fine ? 0.5 * ln2Lo : ln2Lo));
    dd r = fast_two_sum(rHi, rLo);
    v8d r0 = r.hi, r1 = r.lo;
    dd square = fine ? two_product(r0, r0) : (dd){r0 * r0, splat(0)};
    v8d r2 = square.hi, r4 = r2 * r2;
    v8d s0, s1, s2;
    estrin_quarters(inverse_factorials + 1, r0, r2, &s0, &s1, &s2);   // 1/3! ... 1/14!
    v8d p = s0 + r4 * (s1 + s2 * r4);
    v8d cubic = r2 * r0 * p;
    dd one = fast_two_sum(splat(1), r0);
    dd sum = two_sum(one.hi, 0.5 * r2);
    v8d rest = fine ? 0.5 * square.lo + r1 * (1 + r0 + 0.5 * r2) : r1 + r0 * r1;
    v8d lo = cubic + ((one.lo + sum.lo) + rest);
    dd value = fast_two_sum(sum.hi, lo);
    v8u exponent = kBits;
    if (fine) {
        v8i odd = (v8i)((kBits & 1) != 0);
        value = dd_multiply_dd(value, (dd){select(odd, splat(sqrt2Hi), splat(1)), select(odd, splat(sqrt2Lo), splat(0))});
        exponent = (v8u)((v8i)kBits >> 1);   // floor(k / 2): k <= 0 in the low bits' two's complement
    }
    v8d scale = dbl(((exponent + 1023) & 0x7FF) << 52);
    return (dd){value.hi * scale, value.lo * scale};
}

INLINE dd dd_exp_negated(v8d a) { return dd_exp_negated_at(a, 0); }
INLINE dd dd_exp_negated_fine(v8d a) { return dd_exp_negated_at(a, 1); }

/// log1p(e) for e = e.hi + e.lo in (0, 1]: log(u) for u = 1 + e.hi plus log1p(delta), delta =
/// (1 + e - u) / u; below 2^-26, e - e^2/2 + e^3/3.
INLINE dd dd_log1p_unit(dd e) {
    dd u = fast_two_sum(splat(1), e.hi);
    v8d delta = (u.lo + e.lo) / u.hi;
    dd l = dd_log(u.hi);
    dd result = fast_two_sum(l.hi, l.lo + (delta - 0.5 * delta * delta));
    v8i small = e.hi < 0x1p-26;
    if (any(small)) {
        v8d square = e.hi * e.hi;
        result.hi = select(small, e.hi, result.hi);
        result.lo = select(small, e.lo - (0.5 * square - square * e.hi * (1.0 / 3)), result.lo);
    }
    return result;
}

/// log1p(exp(-a)) for a in [0, 700], in double-double (the Double softplus tail).
INLINE dd dd_softplus_tail(v8d a) { return dd_log1p_unit(dd_exp_negated(a)); }

// ---- Double: the terms in double-double lanes ----

/// BCELoss's terms for Double (x in [2^-140, 1): no clamp; log1p(-x) as log(u) + log1p(delta),
/// 1 - x = u + error exactly; below 2^-26, the series).
/// `value` (positive) times the weight lanes `w` (dd_scalable), as a double-double; a zero weight
/// gives the scalar path's signed zero.
INLINE dd dd_weighted(dd value, v8d w) {
    dd q = two_product(value.hi, w);
    v8d lo = q.lo + value.lo * w;
    v8i zero = w == 0;
    if (any(zero)) {
        v8d z = value.hi * w;   // ±0 with the weight's sign, as the scalar product
        return (dd){select(zero, z, q.hi), select(zero, z, lo)};
    }
    return (dd){q.hi, lo};
}

/// With `wt`: the weight (dd_scalable lanes only, else the scalar path) applied by dd_weighted.
INLINE int bce_f64_terms(const double *input, const double *target, const BCEWeights *wt, int kind, ptrdiff_t i, dd *out) {
    (void)kind;   // Double
    v8d x = load_f64(input + i), y = load_f64(target + i);
    v8i fast = (x >= 0x1p-140) & (x < 1) & (y >= 0) & (y <= 1);
    v8d w = splat(1);
    int hasW = wt && wt->weight;
    if (hasW) {
        w = load_operand_f64(wt->weight, wt->weightStride, i);
        fast &= dd_scalable(w);
    }
    if (!all(fast)) return 0;
    v8d u = 1 - x;
    v8d delta = ((1 - u) - x) / u;
    v8d correction = delta - 0.5 * delta * delta;
    v8i small = x < 0x1p-26;
    v8d square = x * x;
    v8d seriesLo = -(0.5 * square + square * x * (1.0 / 3));
    v8i one = y == 1;
    if (all(one | (y == 0))) {
        dd l = dd_log(x * y + u * (1 - y));
        dd value = {-l.hi, -(l.lo + correction * (1 - y))};
        v8i series = small & ~one;
        if (any(series)) {
            value.hi = select(series, x, value.hi);
            value.lo = select(series, -seriesLo, value.lo);
        }
        *out = hasW ? dd_weighted(value, w) : value;
        return 1;
    }
    if (!all(x >= 0x1p-52)) return 0;
    dd logX = dd_log(x);
    dd log1mX = dd_log(u);
    v8d log1mXLo = log1mX.lo + correction;
    if (any(small)) {
        log1mX.hi = select(small, -x, log1mX.hi);
        log1mXLo = select(small, seriesLo, log1mXLo);
    }
    dd yMinusOne = fast_two_sum(splat(-1), y);
    dd q1 = two_product(yMinusOne.hi, log1mX.hi);
    v8d e1 = q1.lo + (yMinusOne.hi * log1mXLo + yMinusOne.lo * log1mX.hi);
    dd q2 = two_product(y, logX.hi);
    v8d e2 = q2.lo + y * logX.lo;
    dd s = two_sum(q1.hi, -q2.hi);
    dd value = {s.hi, s.lo + (e1 - e2)};
    *out = hasW ? dd_weighted(value, w) : value;
    return 1;
}

/// BCEWithLogitsLoss's terms for Double: `c |x| + log1p(exp(-|x|))`, c = 1 - y for x >= 0, y below.
/// With `wt`: pos_weight p (0 or in [2^-400, 2^400], else the scalar path), evaluated as
/// `c |x| + (1 - y + p y) log1p(exp(-|x|))` with c = 1 - y for x ≥ 0 and c = p y for x < 0 (the
/// scalar path's `(1 - y) softplus(x) + p y softplus(-x)` regrouped: every term non-negative),
/// then the weight as in bce_f64_terms.
INLINE int bce_logits_f64_terms(const double *input, const double *target, const BCEWeights *wt, int kind, ptrdiff_t i,
                                dd *out) {
    (void)kind;   // Double
    v8d x = load_f64(input + i), y = load_f64(target + i);
    v8d a = magnitude(x);
    v8i fast = (a <= 700) & (y >= 0) & (y <= 1);
    v8d w = splat(1), p = splat(1);
    int hasW = wt && wt->weight, hasP = wt && wt->posWeight;
    if (hasW) {
        w = load_operand_f64(wt->weight, wt->weightStride, i);
        fast &= dd_scalable(w);
    }
    if (hasP) {
        p = load_operand_f64(wt->posWeight, wt->posWeightStride, i);
        fast &= dd_scalable(p) & (p >= 0);
    }
    if (!all(fast)) return 0;
    dd tail = dd_softplus_tail(a);
    if (hasP) {
        dd t = two_product(p, y);
        dd oneMinusY = fast_two_sum(splat(1), -y);
        dd lw0 = two_sum(oneMinusY.hi, t.hi);
        dd logWeight = fast_two_sum(lw0.hi, lw0.lo + (oneMinusY.lo + t.lo));
        v8i negative = x < 0;
        dd c = {select(negative, t.hi, oneMinusY.hi), select(negative, t.lo, oneMinusY.lo)};
        dd q = dd_multiply(c, a);
        dd r = dd_multiply_dd(logWeight, tail);
        dd s = two_sum(q.hi, r.hi);
        dd value = {s.hi, s.lo + (q.lo + r.lo)};
        *out = hasW ? dd_weighted(value, w) : value;
        return 1;
    }
    v8u negative = 0 - (bits(x) >> 63);
    dd oneMinusY = fast_two_sum(splat(1), -y);
    v8d c = dbl((bits(oneMinusY.hi) & ~negative) | (bits(y) & negative));
    v8d cLo = dbl(bits(oneMinusY.lo) & ~negative);
    dd q = all((c == 0) | (c == 1)) ? (dd){c * a, splat(0)} : two_product(c, a);
    dd s = two_sum(q.hi, tail.hi);
    dd value = {s.hi, s.lo + ((q.lo + cLo * a) + tail.lo)};
    *out = hasW ? dd_weighted(value, w) : value;
    return 1;
}

// ---- Float, Float16 and BrainFloat16: the gradients in Double lanes ----

/// -v by flipping the sign bits, as scalar negation does (0 - v would give +0 for +0).
INLINE v8d negate(v8d v) { return dbl(bits(v) ^ 0x8000000000000000ull); }

/// BCEFormulas' gradient factors `(x - y) / max((1 - x) x, epsilon)` and `-logit(x)`, for x in
/// [2^-29, 1) and y in [0, 1]; for x in [1/4, 3/4], -log1p(q), q = (2x - 1) / (1 - x).
INLINE int bce_gradient_factors(v8d x, v8d y, double epsilon, const v8d *posWeight, v8d *inputFactor,
                                v8d *targetFactor) {
    (void)posWeight;   // BCELoss has none
    v8i fast = (x >= 0x1p-29) & (x < 1) & (y >= 0) & (y <= 1);
    if (!all(fast)) return 0;
    v8d product = (1 - x) * x;
    v8d denominator = select(product < epsilon, splat(epsilon), product);
    *inputFactor = (x - y) / denominator;
    if (!targetFactor) return 1;   // d/dtarget not asked for: its two logs are not evaluated
    v8i middle = (4 * x >= 1) & (4 * x <= 3);
    v8d oneMinusX = 1 - x;
    v8d first = x, second = oneMinusX, correction = splat(0);
    if (any(middle)) {
        v8d q = (2 * x - 1) / oneMinusX;
        v8d u = 1 + q;
        first = select(middle, u, first);
        second = select(middle, splat(1), second);
        correction = select(middle, (q - (u - 1)) / u, correction);
    }
    *targetFactor = negate((vm_log(first) + correction) - vm_log(second));
    return 1;
}

/// `(1 - y) sigmoid(x) - t sigmoid(-x)` from `small` = sigmoid(-|x|) and `big` = sigmoid(|x|):
/// the logits input factor away from x = 0 (the Double lanes' and the sixteen-element path's).
INLINE v8d logits_input_factor(v8d x, v8d y, v8d t, v8d small, v8d big) {
    v8i negative = x < 0;   // -0: either way (small = big = 1/2 there)
    v8d ofX = select(negative, small, big), ofMinusX = select(negative, big, small);
    return (1 - y) * ofX - t * ofMinusX;
}

/// The logits target factor `p * max(-x, 0) - max(x, 0) + (p - 1) * log1p(exp(-|x|))`, or `-x`
/// without a pos_weight (`posWeight` null), BCEWithLogitsFormulas' operations; |x| <= 700.
INLINE v8d logits_target_factor(v8d x, const v8d *posWeight) {
    if (!posWeight) return negate(x);
    v8d p = *posWeight;
    return p * positive_part(negate(x)) - positive_part(x) + (p - 1) * vm_softplus_tail(magnitude(x));
}

/// BCEWithLogitsFormulas' gradient factors (|x| < 1: via h = sigmoid(x) - 1/2 = expm1(x) /
/// (2 (expm1(x) + 2)), so a tiny x is not absorbed into 1/2; else sigmoid(|x|) = 1 / (1 + e),
/// sigmoid(-|x|) = e sigmoid(|x|), e = exp(-|x|)); with `posWeight` (lanes in [0, DBL_MAX], else the scalar
/// path) t = p * y and the target factor `p * max(-x, 0) - max(x, 0) + (p - 1) * log1p(exp(-|x|))`,
/// BCEWithLogitsFormulas' operations. One exponential (vm_exp_or_expm1) and one division (h and
/// 1 / (1 + e) as one quotient, lane by lane) whatever the mix of lanes.
INLINE int bce_logits_gradient_factors(v8d x, v8d y, double epsilon, const v8d *posWeight, v8d *inputFactor,
                                       v8d *targetFactor) {
    (void)epsilon;
    v8d mag = magnitude(x);
    v8i fast = (mag <= 700) & (magnitude(y) <= 0x1.fffffffffffffp+1023);
    if (posWeight) fast &= (*posWeight >= 0) & (*posWeight <= 0x1.fffffffffffffp+1023);
    if (!all(fast)) return 0;
    v8d t = posWeight ? *posWeight * y : y;
    v8i near = mag < 1;
    v8d e = vm_exp_or_expm1(select(near, x, negate(mag)), near);   // near: expm1(x); else exp(-|x|)
    v8d q = select(near, e, splat(1)) / select(near, 2 * (e + 2), 1 + e);   // near: h; else sigmoid(|x|)
    v8d factor = splat(0);
    if (any(near)) factor = (1 - y - t) / 2 + (1 - y + t) * q;
    if (!all(near)) factor = select(near, factor, logits_input_factor(x, y, t, e * q, q));
    *inputFactor = factor;
    if (targetFactor) *targetFactor = logits_target_factor(x, posWeight);
    return 1;
}

/// sigmoid(-|x|) = e / (1 + e), e = exp(-|x|), in Double (vm_exp_nonpositive, within 1 ULP, and
/// one division: relative error below 2^-51), for every Float16 (`[0]`) and BrainFloat16 (`[1]`)
/// magnitude |x| <= 80, by its 15 magnitude bits; 0 above (those lanes leave the domain). The
/// sixteen-element logits gradients read s from it instead of computing it per element (their
/// d/dinput +10-45% at AVX-512, +19-35% at AVX2, scripts/kernel-throughput.sh). Filled when the
/// library is loaded (a constructor: before any thread of the library exists, so no lock, nothing
/// a `fork` could catch half done; about 0.4 ms, which the harness prints), by the baseline code,
/// so every level reads the same bits.
#define SIGMOID_TABLE_ENTRIES (1 << 15)   // the magnitudes of a 16-bit float
static double sigmoid_tables[2][SIGMOID_TABLE_ENTRIES];

__attribute__((constructor)) static void fill_sigmoid_tables(void) {
    for (int kind = 0; kind < 2; kind++) {
        for (int start = 0; start < SIGMOID_TABLE_ENTRIES; start += 8) {
            v8h raw;
            for (int j = 0; j < 8; j++) raw[j] = (uint16_t)(start + j);
            v8d a = kind ? widen_bf16(raw) : widen_f16(raw);
            v8i inside = a <= 80;   // false for NaN
            v8d e = vm_exp_nonpositive(negate(select(inside, a, splat(0))));
            v8d s = select(inside, e / (1 + e), splat(0));
            for (int j = 0; j < 8; j++) sigmoid_tables[kind][start + j] = s[j];
        }
    }
}

/// s = sigmoid(-|x|) of eight Float16 or BrainFloat16 elements from the table (see sigmoid_tables).
INLINE v8d sigmoid_of_magnitude(v16h raw, int half, int kind) {
    const double *table = sigmoid_tables[kind == LANES_BF16];
    v8h h = half ? __builtin_shufflevector(raw, raw, 8, 9, 10, 11, 12, 13, 14, 15)
                 : __builtin_shufflevector(raw, raw, 0, 1, 2, 3, 4, 5, 6, 7);
    h &= 0x7FFF;
    return (v8d){table[h[0]], table[h[1]], table[h[2]], table[h[3]], table[h[4]], table[h[5]], table[h[6]], table[h[7]]};
}

/// How far `sigmoid(x) - y` may cancel in the sixteen-element path: a lane whose factor is below
/// 2^-20 of `sigmoid(-|x|) (1 - y + p y)` (the factor's error from s, over s's relative error)
/// leaves its eight lanes to bce_logits_gradient_factors, so the factor's relative error stays
/// below 2^20 times s's 2^-51: 2^-31, 2^-20 of a Float16 ULP. (It was 2^6 while s was a Float,
/// 2^-21.7; then about one soft-target group in twenty took the Double lanes' exp.)
#define HALF_GRADIENT_CANCELLATION 0x1p20

/// BCEWithLogitsLoss's gradients for sixteen Float16 or BrainFloat16 elements.
/// d/dinput: s = sigmoid(-|x|) from sigmoid_tables (relative error below 2^-51), the rest in
/// Double lanes as bce_logits_gradient_factors does: sigmoid(|x|) = 1 - s (so a sigmoid just
/// below 1 keeps its distance from 1, which decides a result whose g w lands on a tie),
/// `((1 - y) sigmoid(x) - t sigmoid(-x)) g w / divisor`, t = p y (exact in Double: two
/// significands of at most 11 bits). An error of s moves the factor by s (1 - y + t) times it, so
/// where the factor cancels (soft targets, sigmoid(x) near y) that is amplified by
/// s (1 - y + t) / |factor|: eight lanes with any lane amplified beyond HALF_GRADIENT_CANCELLATION
/// take the Double lanes' factor (their bits). Hard targets never cancel (one of the two products
/// is 0). The Double part adds about 2^-52. The fast domain: |x| <= 80 and not in (0, 2^-20)
/// (kept from the Float s, whose error there exceeded sigmoid(x)'s distance from 1/2; those lanes
/// take the Double lanes), y in [0, 1], p in [0, 2^32] and |w| <= 2^32 (the Double products stay
/// normal and finite). d/dtarget (when `dy` is not null) as the Double lanes compute it. Returns 1,
/// or 0 where any lane leaves the domain (the group of eight takes over).
INLINE int bce_logits_half_gradients(const void *x, const void *y, const void *g, ptrdiff_t gStride,
                                     const BCEWeights *wt, int kind, double inverseDivisor, ptrdiff_t i, void *dx,
                                     void *dy) {
    v16f xv = load16(x, i, 16, kind), yv = load16(y, i, 16, kind);
    v16f mag = fmagnitude(xv), w, p;
    v16m fast = (v16m)((mag <= 80) & ((mag == 0) | (mag >= 0x1p-20f)) & (yv >= 0) & (yv <= 1))
        & load_weights16(wt, i, 16, kind, &w, &p);
    if (!fall(fast)) return 0;
    int hasP = wt && wt->posWeight;
    v16f scale = gStride == 0 ? splat16(g, kind) : load16(g, i, 16, kind);
    v16h raw;
    __builtin_memcpy(&raw, (const uint16_t *)x + i, sizeof raw);
    for (int half = 0; half < 2; half++) {
        v8d s = sigmoid_of_magnitude(raw, half, kind), xd = half_to_double(xv, half), yd = half_to_double(yv, half);
        v8d pd = half_to_double(p, half), t = hasP ? pd * yd : yd;
        v8d factor = logits_input_factor(xd, yd, t, s, 1 - s);
        if (any(magnitude(factor) * HALF_GRADIENT_CANCELLATION < s * ((1 - yd) + t)))
            bce_logits_gradient_factors(xd, yd, 0, hasP ? &pd : 0, &factor, 0);   // in its domain: returns 1
        v8d scaled = half_to_double(scale, half) * half_to_double(w, half);
        store_lanes(factor * scaled * inverseDivisor, dx, i + 8 * half, kind);
        if (dy) store_lanes(logits_target_factor(xd, hasP ? &pd : 0) * scaled * inverseDivisor, dy, i + 8 * half, kind);
    }
    return 1;
}

/// Whether `FACTORS`' loop has a sixteen-element group with Float lanes for `kind`.
#define SIXTEEN_bce_gradient_factors(kind) 0
#define SIXTEEN_bce_logits_gradient_factors(kind) ((kind) != LANES_F32)

/// The gradients of every group of elements of `kind` from `i` while in the fast domain, each
/// factor times grad_output (and the weight) over the divisor, rounded once. Float16 and
/// BrainFloat16 logits try sixteen elements with Float lanes first (the same d/dinput whether
/// d/dtarget is asked for or not).
#define GRADIENT_LOOP(FACTORS)                                                                    \
    INLINE ptrdiff_t FACTORS##_loop(const void *x, const void *y, const void *g, ptrdiff_t gStride, \
                                    const BCEWeights *wt, int kind, double divisor, double epsilon, \
                                    ptrdiff_t i, ptrdiff_t end, void *dx, void *dy) {             \
        const double inverse = 1 / divisor;   /* 1 for the divisor-1 copies: the product folds away */ \
        while (end - i >= 8) {                                                                    \
            if (SIXTEEN_##FACTORS(kind) && end - i >= 16                                          \
                && bce_logits_half_gradients(x, y, g, gStride, wt, kind, inverse, i, dx, dy)) {      \
                i += 16;                                                                          \
                continue;                                                                         \
            }                                                                                     \
            v8d scale = gStride == 0 ? splat_lane(g, kind) : load_lanes(g, i, kind);               \
            if (wt && wt->weight) scale = scale * load_operand(wt->weight, wt->weightStride, i, kind); \
            v8d p, *posWeight = 0;                                                                \
            if (wt && wt->posWeight) {                                                            \
                p = load_operand(wt->posWeight, wt->posWeightStride, i, kind);                    \
                posWeight = &p;                                                                   \
            }                                                                                     \
            v8d inputFactor, targetFactor;                                                        \
            if (!FACTORS(load_lanes(x, i, kind), load_lanes(y, i, kind), epsilon, posWeight, &inputFactor, \
                         dy ? &targetFactor : 0))                                                 \
                break;                                                                            \
            store_lanes(inputFactor * scale * inverse, dx, i, kind);                              \
            if (dy) store_lanes(targetFactor * scale * inverse, dy, i, kind);                     \
            i += 8;                                                                               \
        }                                                                                         \
        return i;                                                                                 \
    }

GRADIENT_LOOP(bce_gradient_factors)
GRADIENT_LOOP(bce_logits_gradient_factors)

// ---- Double: the gradients in double-double lanes ----
//
// The fast domain keeps every value a nonzero normal number, so no signed zero or underflow is
// lost in a low part: BCELoss x in [2^-26, 1 - 2^-26], x != y, x != 1/2; BCEWithLogitsLoss hard
// labels, 0 < |x| <= 700; grad_output 2^-400 <= |g| <= 2^400.

/// a / b, relative error about 2^-103 (long division with one division).
INLINE dd dd_divide(dd a, dd b) {
    v8d inverse = 1 / b.hi;
    v8d q1 = a.hi * inverse;
    dd p = two_product(q1, b.hi);
    v8d r = (((a.hi - p.hi) - p.lo) + a.lo) - q1 * b.lo;
    return fast_two_sum(q1, r * inverse);
}

/// 1 / d as hi + lo, for a positive normal d.
INLINE dd dd_reciprocal(double d) {
    v8d dv = splat(d);
    v8d hi = 1 / dv;
    dd e = two_product(hi, dv);
    return (dd){hi, ((1 - e.hi) - e.lo) / dv};
}

/// A lane mask of the double-double factor functions: the lanes (bit k: lane k) whose elements
/// must take the scalar path. ALL_LANES declines the group: the loop stores nothing of it.
#define ALL_LANES 0xFFu

/// A lane mask as eight bits (clang's boolean vectors: one mask-register move at the AVX-512 level).
typedef _Bool v8bool __attribute__((ext_vector_type(8)));

/// The bits of the lanes set in `m` (bit k: lane k). A loop over the lanes cost 13% of the Double
/// soft-target d/dinput (perf, session 13); this conversion gives the same bits, about 12% faster.
INLINE unsigned lane_bits(v8i m) {
    v8bool set = __builtin_convertvector(m, v8bool);
    unsigned char bits;
    __builtin_memcpy(&bits, &set, 1);
    return bits;
}

/// BCELoss's gradient factors for Double; returns 0, or ALL_LANES where a lane leaves the fast domain.
INLINE unsigned dd_bce_gradient_factors(v8d x, v8d y, const v8d *posWeight, dd *inputFactor, dd *targetFactor) {
    (void)posWeight;   // BCELoss has none
    v8i fast = (x >= 0x1p-26) & (x <= 1 - 0x1p-26) & (y >= 0) & (y <= 1) & (x != y) & (x != 0.5);
    if (!all(fast)) return ALL_LANES;
    dd difference = two_sum(x, negate(y));
    dd oneMinusX = fast_two_sum(splat(1), negate(x));
    dd product = two_product(oneMinusX.hi, x);
    dd denominator = fast_two_sum(product.hi, product.lo + oneMinusX.lo * x);
    *inputFactor = dd_divide(difference, denominator);
    if (!targetFactor) return 0;
    dd odds = dd_divide((dd){x, splat(0)}, oneMinusX);
    dd l = dd_log(odds.hi);
    dd logit = fast_two_sum(l.hi, l.lo + odds.lo / odds.hi);
    *targetFactor = (dd){negate(logit.hi), negate(logit.lo)};
    return 0;
}

/// How far `(1 - y) sigmoid(x) - t sigmoid(-x)` may cancel in the double-double lanes (soft
/// targets). The quotients carry dd_exp_negated_fine's error ε (below 2^-60 relative; the
/// division adds 2^-103), which moves the two quotients by ∓ε sigmoid(x) sigmoid(-x), so the factor
/// by ε (1 - y + t) sigmoid(x) sigmoid(-x), at most ε times the larger product. A lane whose factor
/// is below 2^-6 of the larger product takes the scalar path (that lane alone: the loop stores the
/// group and returns the lane's bit), so the factor stays within 2^-54 relative and d/dinput
/// within 1 ULP of the exact value. With the coarse exponential (2^-56.25) this was 2^-3, and
/// 1.7% of uniform soft lanes (logits in [-8, 8]) went to the scalar formulas (Float80, slow);
/// now about one in eight of those.
#define DD_GRADIENT_CANCELLATION 0x1p-6

/// BCEWithLogitsLoss's gradient factors for Double; with `posWeight` (p in [2^-400, 2^400], else
/// the scalar path), in double-double. d/dx: hard labels `-p sigmoid(-x)` where y = 1 and
/// `sigmoid(x)` where y = 0; soft targets (y in [2^-400, 1], or 0) `(1 - y) sigmoid(x) - t
/// sigmoid(-x)`, t = p y, from the same two quotients (so a group's hard lanes have the bits they
/// have in a hard-label group), 1 - y and t exact, the two products and their difference in
/// double-double (below 2^-103 of the larger product; a group where it cancels beyond
/// DD_GRADIENT_CANCELLATION takes the scalar path). d/dy `p max(-x, 0) - max(x, 0) + (p - 1)
/// log1p(exp(-|x|))` (BCEWithLogitsFormulas' forms; y does not enter), or `-x` without a
/// pos_weight. Returns the lanes that must take the scalar path: ALL_LANES where a lane leaves
/// the fast domain, else the lanes that cancel beyond DD_GRADIENT_CANCELLATION (their factors are
/// computed, and overwritten by the caller).
INLINE unsigned dd_logits_gradient_factors(v8d x, v8d y, const v8d *posWeight, dd *inputFactor, dd *targetFactor) {
    v8d a = magnitude(x);
    v8i one = y == 1, zero = y == 0;
    v8i hard = one | zero;
    v8i fast = (a <= 700) & (a > 0) & (hard | ((y >= 0x1p-400) & (y <= 1)));
    if (posWeight) fast &= (*posWeight >= 0x1p-400) & (*posWeight <= 0x1p400);
    if (!all(fast)) return ALL_LANES;
    unsigned scalarLanes = 0;
    int allHard = all(hard);
    // Soft targets: the fine exponential, whose error the cancellation test below allows for.
    dd e = allHard ? dd_exp_negated(a) : dd_exp_negated_fine(a);
    dd u = fast_two_sum(splat(1), e.hi);
    dd denominator = fast_two_sum(u.hi, u.lo + e.lo);
    if (allHard) {
        v8i big = (x >= 0) ^ one;
        dd numerator = {select(big, splat(1), e.hi), select(big, splat(0), e.lo)};
        dd s = dd_divide(numerator, denominator);
        if (posWeight) {
            v8d p = *posWeight;
            dd ps = dd_multiply(s, p);
            s = (dd){select(one, ps.hi, s.hi), select(one, ps.lo, s.lo)};
        }
        *inputFactor = (dd){select(one, negate(s.hi), s.hi), select(one, negate(s.lo), s.lo)};
    } else {
        dd small = dd_divide(e, denominator);                          // sigmoid(-|x|)
        dd big = dd_divide((dd){splat(1), splat(0)}, denominator);     // sigmoid(|x|)
        v8i positive = x >= 0;
        dd ofX = {select(positive, big.hi, small.hi), select(positive, big.lo, small.lo)};
        dd ofMinusX = {select(positive, small.hi, big.hi), select(positive, small.lo, big.lo)};
        dd t = posWeight ? two_product(*posWeight, y) : (dd){y, splat(0)};
        dd first = dd_multiply_dd(two_sum(splat(1), negate(y)), ofX);
        dd second = dd_multiply_dd(t, ofMinusX);
        dd difference = two_sum(first.hi, negate(second.hi));
        dd factor = fast_two_sum(difference.hi, difference.lo + (first.lo - second.lo));
        v8d larger = select(magnitude(first.hi) > magnitude(second.hi), magnitude(first.hi), magnitude(second.hi));
        scalarLanes = lane_bits(magnitude(factor.hi) < larger * DD_GRADIENT_CANCELLATION);
        if (scalarLanes == ALL_LANES) return ALL_LANES;
        *inputFactor = factor;
    }
    if (!targetFactor) return scalarLanes;
    if (posWeight) {
        v8d p = *posWeight;
        dd tail = dd_softplus_tail(a);
        dd pMinusOne = two_sum(p, splat(-1));
        dd r = dd_multiply_dd(pMinusOne, tail);
        v8i negative = x < 0;
        dd pa = two_product(p, a);
        dd first = {select(negative, pa.hi, negate(a)), select(negative, pa.lo, splat(0))};
        dd sum = two_sum(first.hi, r.hi);
        *targetFactor = fast_two_sum(sum.hi, sum.lo + (first.lo + r.lo));
    } else {
        *targetFactor = (dd){negate(x), splat(0)};
    }
    return scalarLanes;
}

/// `factor * g / divisor` rounded once; `inverse` the divisor's reciprocal, null for 1.
INLINE v8d dd_scaled(dd factor, v8d g, const dd *inverse) {
    dd product = dd_multiply(factor, g);
    dd value = inverse ? dd_multiply_dd(product, *inverse) : product;
    return value.hi + value.lo;
}

/// `factor * (g * w) / divisor` rounded once, for dd_scalable `w`; a zero weight gives the
/// scalar path's signed zero.
INLINE v8d dd_scaled_weighted(dd factor, v8d g, v8d w, double divisor, const dd *inverse) {
    dd scale = two_product(g, w);
    dd product = dd_multiply_dd(factor, scale);
    dd value = inverse ? dd_multiply_dd(product, *inverse) : product;
    v8d result = value.hi + value.lo;
    v8i zero = w == 0;
    return any(zero) ? select(zero, factor.hi * scale.hi / divisor, result) : result;
}

/// The Double gradients of every group from `i` in the fast domain; with a weight and/or pos_weight
/// in `wt`. Returns the first group not finished, and in `*redo` its lanes that need the scalar
/// path: ALL_LANES (nothing of the group stored), or the lanes FACTORS named (the group stored, those
/// lanes to be overwritten; the caller resumes after the group).
#define DD_GRADIENT_LOOP(FACTORS)                                                                 \
    INLINE ptrdiff_t FACTORS##_loop(const double *x, const double *y, const double *g,            \
                                    ptrdiff_t gStride, const BCEWeights *wt, double divisor,      \
                                    ptrdiff_t i, ptrdiff_t end, double *dx, double *dy,           \
                                    unsigned *redo) {                                             \
        *redo = ALL_LANES;                                                                        \
        dd reciprocal = dd_reciprocal(divisor);                                                   \
        const dd *inverse = divisor == 1 ? 0 : &reciprocal;                                       \
        for (; end - i >= 8; i += 8) {                                                            \
            v8d scale = gStride == 0 ? splat(g[0]) : load_f64(g + i);                              \
            v8d size = magnitude(scale);                                                          \
            if (!all((size >= 0x1p-400) & (size <= 0x1p400))) break;                              \
            v8d w = splat(1);                                                                     \
            if (wt && wt->weight) {                                                               \
                w = load_operand_f64(wt->weight, wt->weightStride, i);                            \
                if (!all(dd_scalable(w))) break;                                                  \
            }                                                                                     \
            v8d p, *posWeight = 0;                                                                \
            if (wt && wt->posWeight) {                                                            \
                p = load_operand_f64(wt->posWeight, wt->posWeightStride, i);                      \
                posWeight = &p;                                                                   \
            }                                                                                     \
            dd inputFactor, targetFactor;                                                         \
            unsigned scalarLanes = FACTORS(load_f64(x + i), load_f64(y + i), posWeight, &inputFactor, \
                                           dy ? &targetFactor : 0);                               \
            if (scalarLanes == ALL_LANES) break;                                                  \
            if (wt && wt->weight) {                                                               \
                store_f64(dd_scaled_weighted(inputFactor, scale, w, divisor, inverse), dx + i);   \
                if (dy) store_f64(dd_scaled_weighted(targetFactor, scale, w, divisor, inverse), dy + i); \
            } else {                                                                              \
                store_f64(dd_scaled(inputFactor, scale, inverse), dx + i);                          \
                if (dy) store_f64(dd_scaled(targetFactor, scale, inverse), dy + i);                \
            }                                                                                     \
            if (scalarLanes) {                                                                    \
                *redo = scalarLanes;                                                              \
                return i;                                                                         \
            }                                                                                     \
        }                                                                                         \
        return i;                                                                                 \
    }

DD_GRADIENT_LOOP(dd_bce_gradient_factors)
DD_GRADIENT_LOOP(dd_logits_gradient_factors)

// ---- The forward loops: lane-wise compensated sums, or each term rounded once ----

/// `v` added to the running lane sums `sum`, its rounding error (TwoSum) to `compensation`.
INLINE void accumulate(v8d *sum, v8d *compensation, v8d v) {
    v8d t = *sum + v;
    v8d bv = t - *sum;
    *compensation += (*sum - (t - bv)) + (v - bv);
    *sum = t;
}

/// The forward loops of `NAME`: `GROUPS(x, y, wt, kind, i, count, out)` evaluates `count` elements
/// (`WIDTH`, 8 or 16; 8 at the end) into `out[0 ..< count / 8]` and returns how many it evaluated,
/// a multiple of 8 (fewer than `count` where a group leaves the fast domain). The lane sums take
/// the groups of eight in order, so the width changes no bit.
#define SUM_LOOP(NAME, GROUPS, WIDTH)                                                             \
    INLINE ptrdiff_t NAME##_sum_loop(const void *x, const void *y, const BCEWeights *wt, int kind, \
                                     ptrdiff_t i, ptrdiff_t end, double *sums, double *compensations) { \
        v8d sum = load_f64(sums), compensation = load_f64(compensations);                         \
        while (end - i >= 8) {                                                                    \
            int count = end - i >= WIDTH ? WIDTH : 8;                                             \
            v8d v[2];                                                                             \
            int done = GROUPS(x, y, wt, kind, i, count, v);                                       \
            for (int h = 0; h < done / 8; h++) accumulate(&sum, &compensation, v[h]);             \
            i += done;                                                                            \
            if (done < count) break;                                                              \
        }                                                                                         \
        store_f64(sum, sums);                                                                     \
        store_f64(compensation, compensations);                                                   \
        return i;                                                                                 \
    }                                                                                             \
    INLINE ptrdiff_t NAME##_store_loop(const void *x, const void *y, const BCEWeights *wt, int kind, \
                                       ptrdiff_t i, ptrdiff_t end, void *out) {                   \
        while (end - i >= 8) {                                                                    \
            int count = end - i >= WIDTH ? WIDTH : 8;                                             \
            v8d v[2];                                                                             \
            int done = GROUPS(x, y, wt, kind, i, count, v);                                       \
            for (int h = 0; h < done / 8; h++) store_lanes(v[h], out, i + 8 * h, kind);           \
            i += done;                                                                            \
            if (done < count) break;                                                              \
        }                                                                                         \
        return i;                                                                                 \
    }

/// SUM_LOOP's group interface for terms evaluated eight at a time (`TERMS` returns 1 or 0).
#define EIGHT_AT_A_TIME(TERMS)                                                                    \
    INLINE int TERMS##_groups(const void *x, const void *y, const BCEWeights *wt, int kind, ptrdiff_t i, \
                              int count, v8d out[2]) {                                            \
        (void)count;                                                                              \
        return TERMS(x, y, wt, kind, i, out) ? 8 : 0;                                             \
    }                                                                                             \
    SUM_LOOP(TERMS, TERMS##_groups, 8)

#define DD_SUM_LOOP(TERMS)                                                                        \
    INLINE ptrdiff_t TERMS##_sum_loop(const double *x, const double *y, const BCEWeights *wt, int kind, \
                                      ptrdiff_t i, ptrdiff_t end, double *sums, double *compensations) { \
        v8d sum = load_f64(sums), compensation = load_f64(compensations);                         \
        for (; end - i >= 8; i += 8) {                                                            \
            dd v;                                                                                 \
            if (!TERMS(x, y, wt, kind, i, &v)) break;                                             \
            dd t = two_sum(sum, v.hi);                                                            \
            compensation += t.lo + v.lo;                                                          \
            sum = t.hi;                                                                           \
        }                                                                                         \
        store_f64(sum, sums);                                                                     \
        store_f64(compensation, compensations);                                                   \
        return i;                                                                                 \
    }                                                                                             \
    INLINE ptrdiff_t TERMS##_store_loop(const double *x, const double *y, const BCEWeights *wt, int kind, \
                                        ptrdiff_t i, ptrdiff_t end, double *out) {                \
        for (; end - i >= 8; i += 8) {                                                            \
            dd v;                                                                                 \
            if (!TERMS(x, y, wt, kind, i, &v)) break;                                             \
            store_f64(v.hi + v.lo, out + i);                                                      \
        }                                                                                         \
        return i;                                                                                 \
    }

EIGHT_AT_A_TIME(bce_lane_terms)
EIGHT_AT_A_TIME(bce_logits_lane_terms)
SUM_LOOP(bce_logits_half_terms, bce_logits_half_terms, 16)
DD_SUM_LOOP(bce_f64_terms)
DD_SUM_LOOP(bce_logits_f64_terms)

// ---- One copy of every loop per level ----

/// F16: LANES_F16C at the levels with F16C, LANES_F16 at the baseline.
#define LEVEL_FUNCTIONS(SUFFIX, ATTRIBUTES, F16)                                                  \
    FORWARD_LEVEL(bce_f32, bce_lane_terms, float, LANES_F32, SUFFIX, ATTRIBUTES)                  \
    FORWARD_LEVEL(bce_logits_f32, bce_logits_lane_terms, float, LANES_F32, SUFFIX, ATTRIBUTES)    \
    FORWARD_LEVEL(bce_f16, bce_lane_terms, uint16_t, F16, SUFFIX, ATTRIBUTES)                     \
    FORWARD_LEVEL(bce_logits_f16, bce_logits_half_terms, uint16_t, F16, SUFFIX, ATTRIBUTES)       \
    FORWARD_LEVEL(bce_bf16, bce_lane_terms, uint16_t, LANES_BF16, SUFFIX, ATTRIBUTES)             \
    FORWARD_LEVEL(bce_logits_bf16, bce_logits_half_terms, uint16_t, LANES_BF16, SUFFIX, ATTRIBUTES) \
    FORWARD_LEVEL(bce_f64, bce_f64_terms, double, 0, SUFFIX, ATTRIBUTES)                          \
    FORWARD_LEVEL(bce_logits_f64, bce_logits_f64_terms, double, 0, SUFFIX, ATTRIBUTES)

/// The unweighted (`wt` a constant null, so the weight code folds away) and weighted entry points
/// of one forward loop at one level, for elements `SCALAR` (of lane kind `KIND`).
#define FORWARD_LEVEL(NAME, TERMS, SCALAR, KIND, SUFFIX, ATTRIBUTES)                              \
    ATTRIBUTES static ptrdiff_t NAME##_sum_##SUFFIX(const SCALAR *x, const SCALAR *y, ptrdiff_t i, \
                                                    ptrdiff_t e, double *s, double *c) {          \
        return TERMS##_sum_loop(x, y, 0, KIND, i, e, s, c);                                       \
    }                                                                                             \
    ATTRIBUTES static ptrdiff_t NAME##_store_##SUFFIX(const SCALAR *x, const SCALAR *y, ptrdiff_t i, \
                                                      ptrdiff_t e, SCALAR *o) {                   \
        return TERMS##_store_loop(x, y, 0, KIND, i, e, o);                                        \
    }                                                                                             \
    ATTRIBUTES static ptrdiff_t NAME##_weighted_sum_##SUFFIX(const SCALAR *x, const SCALAR *y,    \
        const BCEWeights *wt, ptrdiff_t i, ptrdiff_t e, double *s, double *c) {                   \
        return TERMS##_sum_loop(x, y, wt, KIND, i, e, s, c);                                      \
    }                                                                                             \
    ATTRIBUTES static ptrdiff_t NAME##_weighted_store_##SUFFIX(const SCALAR *x, const SCALAR *y,  \
        const BCEWeights *wt, ptrdiff_t i, ptrdiff_t e, SCALAR *o) {                              \
        return TERMS##_store_loop(x, y, wt, KIND, i, e, o);                                       \
    }

#define GRADIENT_LEVEL_FUNCTIONS(SUFFIX, ATTRIBUTES, F16)                                         \
    GRADIENT_LEVEL_LANES(bce_gradients_f32, bce_gradient_factors_loop, float, LANES_F32, SUFFIX, ATTRIBUTES) \
    GRADIENT_LEVEL_LANES(bce_logits_gradients_f32, bce_logits_gradient_factors_loop, float, LANES_F32, SUFFIX, \
                         ATTRIBUTES)                                                              \
    GRADIENT_LEVEL_LANES(bce_gradients_f16, bce_gradient_factors_loop, uint16_t, F16, SUFFIX, ATTRIBUTES) \
    GRADIENT_LEVEL_LANES(bce_logits_gradients_f16, bce_logits_gradient_factors_loop, uint16_t, F16, SUFFIX, \
                         ATTRIBUTES)                                                              \
    GRADIENT_LEVEL_LANES(bce_gradients_bf16, bce_gradient_factors_loop, uint16_t, LANES_BF16, SUFFIX, ATTRIBUTES) \
    GRADIENT_LEVEL_LANES(bce_logits_gradients_bf16, bce_logits_gradient_factors_loop, uint16_t, LANES_BF16, \
                         SUFFIX, ATTRIBUTES)                                                      \
    GRADIENT_LEVEL_F64(bce_gradients_f64, dd_bce_gradient_factors_loop, SUFFIX, ATTRIBUTES)       \
    GRADIENT_LEVEL_F64(bce_logits_gradients_f64, dd_logits_gradient_factors_loop, SUFFIX, ATTRIBUTES)

/// Each Float-lane gradient loop at one level, specialised on d/dtarget asked for or not and on a
/// divisor of 1 (the `.none` and `.sum` backwards: a constant 1, so `v / divisor`, which is `v`
/// exactly, folds away; the division was about a tenth of a Float16 d/dinput).
#define GRADIENT_LEVEL_LANES(NAME, LOOP, SCALAR, KIND, SUFFIX, ATTRIBUTES)                        \
    ATTRIBUTES static ptrdiff_t NAME##_##SUFFIX(                                                  \
        const SCALAR *x, const SCALAR *y, const SCALAR *g, ptrdiff_t gs, double d, double eps,    \
        ptrdiff_t i, ptrdiff_t e, SCALAR *dx, SCALAR *dy) {                                       \
        return GRADIENT_LANES_CALL(LOOP, SCALAR, 0, KIND);                                        \
    }                                                                                             \
    ATTRIBUTES static ptrdiff_t NAME##_weighted_##SUFFIX(                                         \
        const SCALAR *x, const SCALAR *y, const SCALAR *g, ptrdiff_t gs, const BCEWeights *wt,    \
        double d, double eps, ptrdiff_t i, ptrdiff_t e, SCALAR *dx, SCALAR *dy) {                 \
        return GRADIENT_LANES_CALL(LOOP, SCALAR, wt, KIND);                                       \
    }

/// GRADIENT_LEVEL_LANES's body: LOOP on its arguments, once per (divisor 1 or not) x (dy or null).
#define GRADIENT_LANES_CALL(LOOP, SCALAR, WT, KIND)                                               \
    (d == 1 ? (dy ? LOOP(x, y, g, gs, WT, KIND, 1.0, eps, i, e, dx, dy)                           \
                  : LOOP(x, y, g, gs, WT, KIND, 1.0, eps, i, e, dx, (SCALAR *)0))                 \
            : (dy ? LOOP(x, y, g, gs, WT, KIND, d, eps, i, e, dx, dy)                             \
                  : LOOP(x, y, g, gs, WT, KIND, d, eps, i, e, dx, (SCALAR *)0)))

#define GRADIENT_LEVEL_F64(NAME, LOOP, SUFFIX, ATTRIBUTES)                                        \
    ATTRIBUTES static ptrdiff_t NAME##_##SUFFIX(                                                  \
        const double *x, const double *y, const double *g, ptrdiff_t gs, double d,                \
        ptrdiff_t i, ptrdiff_t e, double *dx, double *dy, unsigned *r) {                          \
        return dy ? LOOP(x, y, g, gs, 0, d, i, e, dx, dy, r) : LOOP(x, y, g, gs, 0, d, i, e, dx, (double *)0, r); \
    }                                                                                             \
    ATTRIBUTES static ptrdiff_t NAME##_weighted_##SUFFIX(                                         \
        const double *x, const double *y, const double *g, ptrdiff_t gs, const BCEWeights *wt,    \
        double d, ptrdiff_t i, ptrdiff_t e, double *dx, double *dy, unsigned *r) {                \
        return dy ? LOOP(x, y, g, gs, wt, d, i, e, dx, dy, r) : LOOP(x, y, g, gs, wt, d, i, e, dx, (double *)0, r); \
    }

// One copy per level. The baseline copy has no target attribute: SSE2 on x86-64, Advanced SIMD
// on arm64 (Clang splits the 512-bit vectors into the registers there are). Its exact products
// (`two_product`) call the C library's correctly rounded `fma` where the baseline has no FMA
// instruction (x86-64), so they are the AVX2 and AVX-512 levels' bits.
LEVEL_FUNCTIONS(baseline, , LANES_F16)
GRADIENT_LEVEL_FUNCTIONS(baseline, , LANES_F16)
#if defined(__x86_64__)
#define BCE_HAS_X86_LEVELS 1
// The x86-64 levels' instruction sets (supported_level checks each feature named here).
#define AVX2_ATTRIBUTES __attribute__((target("avx2,fma,f16c")))
#define AVX512_ATTRIBUTES __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma,f16c")))
LEVEL_FUNCTIONS(avx2, AVX2_ATTRIBUTES, LANES_F16C)
LEVEL_FUNCTIONS(avx512, AVX512_ATTRIBUTES, LANES_F16C)
GRADIENT_LEVEL_FUNCTIONS(avx2, AVX2_ATTRIBUTES, LANES_F16C)
GRADIENT_LEVEL_FUNCTIONS(avx512, AVX512_ATTRIBUTES, LANES_F16C)
#endif

// ---- Test only: bce_test_lane_math (the library never calls it) ----

/// `function` on eight lanes, by the same inline functions the kernels call; `lo` is 0 for the
/// Double-lane (Float path) functions.
INLINE void test_lane_math(int function, v8d x, v8d *hi, v8d *lo) {
    dd r = {splat(0), splat(0)};
    switch (function) {
    case BCETestMathLog: r.hi = vm_log(x); break;
    case BCETestMathLog1pUnit: r.hi = vm_log1p_unit(x); break;
    case BCETestMathExpNonpositive: r.hi = vm_exp_nonpositive(x); break;
    case BCETestMathExpm1Small: r.hi = vm_expm1_small(x); break;
    case BCETestMathSoftplusTail: r.hi = vm_softplus_tail(x); break;
    case BCETestMathDDLog: r = dd_log(x); break;
    case BCETestMathDDExpNegated: r = dd_exp_negated(x); break;
    case BCETestMathDDExpNegatedFine: r = dd_exp_negated_fine(x); break;
    case BCETestMathDDLog1pUnit: r = dd_log1p_unit((dd){x, splat(0)}); break;
    case BCETestMathDDSoftplusTail: r = dd_softplus_tail(x); break;
    case BCETestMathFloatSoftplusTail: {
        v8f f = __builtin_convertvector(x, v8f);
        v16f wide = __builtin_shufflevector(f, f, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7);
        r.hi = half_to_double(vf_softplus_tail(wide), 0);
        break;
    }
    default: break;
    }
    *hi = r.hi;
    *lo = r.lo;
}

/// Groups of eight, the last one padded with `x[n - 1]` (in the domain too).
INLINE void test_lane_math_loop(int function, const double *x, ptrdiff_t n, double *hi, double *lo) {
    for (ptrdiff_t i = 0; i < n; i += 8) {
        double in[8], outHi[8], outLo[8];
        for (int j = 0; j < 8; j++) in[j] = x[i + j < n ? i + j : n - 1];
        v8d h, l;
        test_lane_math(function, load_f64(in), &h, &l);
        store_f64(h, outHi);
        store_f64(l, outLo);
        for (int j = 0; j < 8 && i + j < n; j++) {
            hi[i + j] = outHi[j];
            lo[i + j] = outLo[j];
        }
    }
}

/// One level's copy (vectors cross no call between levels, as in the loops above).
#define TEST_LANE_MATH_LEVEL(SUFFIX, ATTRIBUTES)                                                  \
    ATTRIBUTES static void test_lane_math_##SUFFIX(int function, const double *x, ptrdiff_t n,    \
                                                   double *hi, double *lo) {                      \
        test_lane_math_loop(function, x, n, hi, lo);                                              \
    }

TEST_LANE_MATH_LEVEL(baseline, )
#if BCE_HAS_X86_LEVELS
TEST_LANE_MATH_LEVEL(avx2, AVX2_ATTRIBUTES)
TEST_LANE_MATH_LEVEL(avx512, AVX512_ATTRIBUTES)
#endif

int bce_test_lane_math(BCETestMathFunction function, BCESIMDLevel level, const double *x, ptrdiff_t n, double *hi,
                       double *lo) {
    if ((int)function < 0 || function >= BCETestMathFunctionCount || n < 0) return -1;
    if ((int)level < 0 || (int)level > (int)bce_simd_supported_level()) return -1;
    if (n == 0) return 0;
    switch (level) {
#if BCE_HAS_X86_LEVELS
    case BCESIMDLevelAVX512: test_lane_math_avx512(function, x, n, hi, lo); return 0;
    case BCESIMDLevelAVX2: test_lane_math_avx2(function, x, n, hi, lo); return 0;
#endif
    case BCESIMDLevelBaseline: test_lane_math_baseline(function, x, n, hi, lo); return 0;
    default: return -1;
    }
}

// ---- Dispatch ----

static int supported_level(void) {
#if BCE_HAS_X86_LEVELS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return BCESIMDLevelAVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return BCESIMDLevelAVX2;
#endif
    return BCESIMDLevelBaseline;
}

static int level_in_use = -1;   // -1: not chosen yet; atomically read and written

BCESIMDLevel bce_simd_supported_level(void) { return (BCESIMDLevel)supported_level(); }

BCESIMDLevel bce_simd_level(void) {
    int level = __atomic_load_n(&level_in_use, __ATOMIC_RELAXED);
    if (level < 0) {
        level = supported_level();   // every thread computes the same value
        __atomic_store_n(&level_in_use, level, __ATOMIC_RELAXED);
    }
    return (BCESIMDLevel)level;
}

BCESIMDLevel bce_simd_set_level(BCESIMDLevel level) {
    int supported = supported_level();
    int chosen = (int)level < supported ? (int)level : supported;
    if (chosen < 0) chosen = 0;
    __atomic_store_n(&level_in_use, chosen, __ATOMIC_RELAXED);
    return (BCESIMDLevel)chosen;
}

/// The calling thread's override (BCESIMDLevelUnset: none).
static _Thread_local int thread_override = BCESIMDLevelUnset;

BCESIMDLevel bce_simd_thread_override(void) { return (BCESIMDLevel)thread_override; }

BCESIMDLevel bce_simd_thread_level(void) {
    int level = thread_override;
    return level == BCESIMDLevelUnset ? bce_simd_level() : (BCESIMDLevel)level;
}

BCESIMDLevel bce_simd_set_thread_level(BCESIMDLevel level) {
    int previous = thread_override;
    int chosen = (int)level;
    if (chosen >= 0) {
        int supported = supported_level();
        if (chosen > supported) chosen = supported;
    } else if (chosen != BCESIMDLevelNone) {
        chosen = BCESIMDLevelUnset;
    }
    thread_override = chosen;
    return (BCESIMDLevel)previous;
}

// BCESIMDLevelNone: no group is evaluated; `START` is returned and the caller's scalar formulas
// take every group.
#if BCE_HAS_X86_LEVELS
#define DISPATCH(START, NAME, ...)                                                                \
    switch (bce_simd_thread_level()) {                                                            \
    case BCESIMDLevelAVX512: return NAME##_avx512(__VA_ARGS__);                                   \
    case BCESIMDLevelAVX2: return NAME##_avx2(__VA_ARGS__);                                       \
    case BCESIMDLevelBaseline: return NAME##_baseline(__VA_ARGS__);                               \
    default: return START;                                                                        \
    }
#else
#define DISPATCH(START, NAME, ...)                                                                \
    switch (bce_simd_thread_level()) {                                                            \
    case BCESIMDLevelBaseline: return NAME##_baseline(__VA_ARGS__);                               \
    default: return START;                                                                        \
    }
#endif

/// The entry points of one forward loop: unweighted and weighted, sum and store.
#define FORWARD_ENTRIES(NAME, SCALAR)                                                             \
    ptrdiff_t NAME##_sum(const SCALAR *x, const SCALAR *y, ptrdiff_t i, ptrdiff_t e, double *s, double *c) { \
        DISPATCH(i, NAME##_sum, x, y, i, e, s, c)                                                 \
    }                                                                                             \
    ptrdiff_t NAME##_store(const SCALAR *x, const SCALAR *y, ptrdiff_t i, ptrdiff_t e, SCALAR *o) { \
        DISPATCH(i, NAME##_store, x, y, i, e, o)                                                  \
    }                                                                                             \
    ptrdiff_t NAME##_weighted_sum(const SCALAR *x, const SCALAR *y, const BCEWeights *wt, ptrdiff_t i, \
                                  ptrdiff_t e, double *s, double *c) {                            \
        DISPATCH(i, NAME##_weighted_sum, x, y, wt, i, e, s, c)                                    \
    }                                                                                             \
    ptrdiff_t NAME##_weighted_store(const SCALAR *x, const SCALAR *y, const BCEWeights *wt, ptrdiff_t i, \
                                    ptrdiff_t e, SCALAR *o) {                                     \
        DISPATCH(i, NAME##_weighted_store, x, y, wt, i, e, o)                                     \
    }
FORWARD_ENTRIES(bce_f32, float)
FORWARD_ENTRIES(bce_logits_f32, float)
FORWARD_ENTRIES(bce_f16, uint16_t)
FORWARD_ENTRIES(bce_logits_f16, uint16_t)
FORWARD_ENTRIES(bce_bf16, uint16_t)
FORWARD_ENTRIES(bce_logits_bf16, uint16_t)
FORWARD_ENTRIES(bce_f64, double)
FORWARD_ENTRIES(bce_logits_f64, double)

/// The entry points of one gradient loop in Double lanes: unweighted and weighted.
#define GRADIENT_ENTRIES(NAME, SCALAR)                                                            \
    ptrdiff_t NAME(const SCALAR *x, const SCALAR *y, const SCALAR *g, ptrdiff_t gs, double d, double eps, \
                   ptrdiff_t i, ptrdiff_t e, SCALAR *dx, SCALAR *dy) {                            \
        DISPATCH(i, NAME, x, y, g, gs, d, eps, i, e, dx, dy)                                      \
    }                                                                                             \
    ptrdiff_t NAME##_weighted(const SCALAR *x, const SCALAR *y, const SCALAR *g, ptrdiff_t gs,    \
                              const BCEWeights *wt, double d, double eps, ptrdiff_t i, ptrdiff_t e, \
                              SCALAR *dx, SCALAR *dy) {                                           \
        DISPATCH(i, NAME##_weighted, x, y, g, gs, wt, d, eps, i, e, dx, dy)                       \
    }
GRADIENT_ENTRIES(bce_gradients_f32, float)
GRADIENT_ENTRIES(bce_logits_gradients_f32, float)
GRADIENT_ENTRIES(bce_gradients_f16, uint16_t)
GRADIENT_ENTRIES(bce_logits_gradients_f16, uint16_t)
GRADIENT_ENTRIES(bce_gradients_bf16, uint16_t)
GRADIENT_ENTRIES(bce_logits_gradients_bf16, uint16_t)

ptrdiff_t bce_gradients_f64(const double *x, const double *y, const double *g, ptrdiff_t gs, double d,
                            ptrdiff_t i, ptrdiff_t e, double *dx, double *dy, unsigned *redo) {
    *redo = ALL_LANES;
    DISPATCH(i, bce_gradients_f64, x, y, g, gs, d, i, e, dx, dy, redo)
}
ptrdiff_t bce_logits_gradients_f64(const double *x, const double *y, const double *g, ptrdiff_t gs, double d,
                                   ptrdiff_t i, ptrdiff_t e, double *dx, double *dy, unsigned *redo) {
    *redo = ALL_LANES;
    DISPATCH(i, bce_logits_gradients_f64, x, y, g, gs, d, i, e, dx, dy, redo)
}
ptrdiff_t bce_gradients_f64_weighted(const double *x, const double *y, const double *g, ptrdiff_t gs,
                                     const BCEWeights *wt, double d, ptrdiff_t i, ptrdiff_t e, double *dx,
                                     double *dy, unsigned *redo) {
    *redo = ALL_LANES;
    DISPATCH(i, bce_gradients_f64_weighted, x, y, g, gs, wt, d, i, e, dx, dy, redo)
}
ptrdiff_t bce_logits_gradients_f64_weighted(const double *x, const double *y, const double *g, ptrdiff_t gs,
                                            const BCEWeights *wt, double d, ptrdiff_t i, ptrdiff_t e,
                                            double *dx, double *dy, unsigned *redo) {
    *redo = ALL_LANES;
    DISPATCH(i, bce_logits_gradients_f64_weighted, x, y, g, gs, wt, d, i, e, dx, dy, redo)
}
