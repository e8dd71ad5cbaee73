// The vectorised kernels of the BinaryCrossEntropy library for Float, Double, Float16 and
// BrainFloat16: one body,
// compiled once per instruction set (the target's baseline; on x86-64 also AVX2 and AVX-512) and
// chosen at run time by the processor's features.
//
// Why C: Swift cannot compile one function for an instruction set above the target's baseline
// (x86-64: SSE2) without compiler flags, and `unsafeFlags` would stop the package from being used
// as a dependency. C's `__attribute__((target(...)))` selects AVX2 or AVX-512 per function, with
// no flag, and Clang's vector extensions compile the same body for the baseline (SSE2, NEON on
// arm64). Contraction into FMA is disabled, so every level gives the same bits (the tests check it).
//
// Each function evaluates groups of eight elements from `start` while every lane of the group is
// in the kernel's fast domain and at least eight elements remain before `end`, and returns the
// index of the first group it did not evaluate: `end - (end - start) % 8` when it evaluated all,
// otherwise a group the caller must evaluate with the scalar formulas (and their range checks).
//
// `*_sum` functions accumulate the terms into `sum[0..<8]` (running sums per lane) and
// `compensation[0..<8]` with a TwoSum per lane. `*_store` functions write each term rounded once.

#ifndef BCE_SIMD_KERNELS_H
#define BCE_SIMD_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set levels of the kernels.
typedef enum {
    BCESIMDLevelUnset = -2,     ///< `bce_simd_set_thread_level`: no override on this thread.
    BCESIMDLevelNone = -1,      ///< No kernel: every function evaluates nothing and returns `start`, so
                                ///< the caller's scalar formulas take every group (the tests' reference).
    BCESIMDLevelBaseline = 0,   ///< The target's baseline: SSE2 on x86-64, Advanced SIMD (NEON) on arm64.
    BCESIMDLevelAVX2 = 1,       ///< x86-64 with AVX2, FMA and F16C.
    BCESIMDLevelAVX512 = 2,     ///< x86-64 with AVX-512 F, DQ, VL and BW, FMA and F16C.
} BCESIMDLevel;

/// The best level this processor and operating system support.
BCESIMDLevel bce_simd_supported_level(void);
/// The process-wide level: the supported one unless lowered by `bce_simd_set_level`. The
/// library's `BCEVectorKernels.active` reads and writes this one setting.
BCESIMDLevel bce_simd_level(void);
/// Uses `level` process-wide, or the supported level if that is lower (never below the baseline);
/// returns the level now in use.
BCESIMDLevel bce_simd_set_level(BCESIMDLevel level);
/// The level the kernels use on the calling thread: its override if set, else `bce_simd_level()`.
BCESIMDLevel bce_simd_thread_level(void);
/// The calling thread's override (a call's instruction set), or `BCESIMDLevelUnset`.
BCESIMDLevel bce_simd_thread_override(void);
/// Sets the calling thread's override: `BCESIMDLevelNone`, a level (lowered to the supported one),
/// or `BCESIMDLevelUnset` to remove it; returns the previous override.
BCESIMDLevel bce_simd_set_thread_level(BCESIMDLevel level);

/// BCELoss, Float elements evaluated in Double.
ptrdiff_t bce_f32_sum(const float *input, const float *target, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_f32_store(const float *input, const float *target, ptrdiff_t start, ptrdiff_t end, float *output);
/// BCEWithLogitsLoss without pos_weight, Float elements evaluated in Double.
ptrdiff_t bce_logits_f32_sum(const float *input, const float *target, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_logits_f32_store(const float *input, const float *target, ptrdiff_t start, ptrdiff_t end, float *output);
/// BCELoss, Double elements evaluated in double-double; `compensation` also receives the low
/// parts of the terms.
ptrdiff_t bce_f64_sum(const double *input, const double *target, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_f64_store(const double *input, const double *target, ptrdiff_t start, ptrdiff_t end, double *output);
/// BCEWithLogitsLoss without pos_weight, Double elements evaluated in double-double.
ptrdiff_t bce_logits_f64_sum(const double *input, const double *target, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_logits_f64_store(const double *input, const double *target, ptrdiff_t start, ptrdiff_t end, double *output);

/// The gradients of BCELoss (`bce_gradients_f32`) and of BCEWithLogitsLoss without pos_weight
/// (`bce_logits_gradients_f32`) for Float, evaluated in Double: the factors times
/// grad_output (`g[0]` when `gradOutputStride` is 0, else `g[i]`) divided by `divisor`, each
/// rounded once to `inputGradient[i]` and `targetGradient[i]`. `epsilon` is BCELoss's clamp of the
/// input gradient's denominator (unused by the logits loss). `targetGradient` may be null: d/dtarget
/// is then neither computed nor stored (each level has a copy of the loop without it), for every
/// gradient function of this header.
ptrdiff_t bce_gradients_f32(const float *input, const float *target, const float *gradOutput,
                            ptrdiff_t gradOutputStride, double divisor, double epsilon, ptrdiff_t start,
                            ptrdiff_t end, float *inputGradient, float *targetGradient);
ptrdiff_t bce_logits_gradients_f32(const float *input, const float *target, const float *gradOutput,
                                   ptrdiff_t gradOutputStride, double divisor, double epsilon, ptrdiff_t start,
                                   ptrdiff_t end, float *inputGradient, float *targetGradient);
/// The same for Double, in double-double. The group at the returned index is either not stored
/// (`*scalarLanes` 0xFF: all its elements take the scalar path) or stored with the lanes of
/// `*scalarLanes` (bit k: element index + k) left to the scalar path, which overwrites them; the
/// caller then resumes after the group. BCEWithLogitsLoss with soft targets hands single lanes
/// back where sigmoid(x) - y cancels (Kernels.c, DD_GRADIENT_CANCELLATION).
ptrdiff_t bce_gradients_f64(const double *input, const double *target, const double *gradOutput,
                            ptrdiff_t gradOutputStride, double divisor, ptrdiff_t start, ptrdiff_t end,
                            double *inputGradient, double *targetGradient, unsigned *scalarLanes);
ptrdiff_t bce_logits_gradients_f64(const double *input, const double *target, const double *gradOutput,
                                   ptrdiff_t gradOutputStride, double divisor, ptrdiff_t start, ptrdiff_t end,
                                   double *inputGradient, double *targetGradient, unsigned *scalarLanes);

/// Float16 and BrainFloat16 (elements as their bit patterns): as the Float functions above,
/// widened exactly to Double, and each term or gradient rounded once (to nearest, ties to even)
/// on the bits, never through Float.
ptrdiff_t bce_f16_sum(const uint16_t *input, const uint16_t *target, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_f16_store(const uint16_t *input, const uint16_t *target, ptrdiff_t start, ptrdiff_t end, uint16_t *output);
ptrdiff_t bce_logits_f16_sum(const uint16_t *input, const uint16_t *target, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_logits_f16_store(const uint16_t *input, const uint16_t *target, ptrdiff_t start, ptrdiff_t end, uint16_t *output);
ptrdiff_t bce_bf16_sum(const uint16_t *input, const uint16_t *target, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_bf16_store(const uint16_t *input, const uint16_t *target, ptrdiff_t start, ptrdiff_t end, uint16_t *output);
ptrdiff_t bce_logits_bf16_sum(const uint16_t *input, const uint16_t *target, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_logits_bf16_store(const uint16_t *input, const uint16_t *target, ptrdiff_t start, ptrdiff_t end, uint16_t *output);
ptrdiff_t bce_gradients_f16(const uint16_t *input, const uint16_t *target, const uint16_t *gradOutput,
                            ptrdiff_t gradOutputStride, double divisor, double epsilon, ptrdiff_t start,
                            ptrdiff_t end, uint16_t *inputGradient, uint16_t *targetGradient);
ptrdiff_t bce_logits_gradients_f16(const uint16_t *input, const uint16_t *target, const uint16_t *gradOutput,
                                   ptrdiff_t gradOutputStride, double divisor, double epsilon, ptrdiff_t start,
                                   ptrdiff_t end, uint16_t *inputGradient, uint16_t *targetGradient);
ptrdiff_t bce_gradients_bf16(const uint16_t *input, const uint16_t *target, const uint16_t *gradOutput,
                             ptrdiff_t gradOutputStride, double divisor, double epsilon, ptrdiff_t start,
                             ptrdiff_t end, uint16_t *inputGradient, uint16_t *targetGradient);
ptrdiff_t bce_logits_gradients_bf16(const uint16_t *input, const uint16_t *target, const uint16_t *gradOutput,
                                    ptrdiff_t gradOutputStride, double divisor, double epsilon, ptrdiff_t start,
                                    ptrdiff_t end, uint16_t *inputGradient, uint16_t *targetGradient);

/// The broadcast operands of a weighted call, of the input's element type: each null when
/// absent, else read as `weight[0]` for every element (stride 0) or `weight[i]` (stride 1; the
/// caller expands any other broadcast into a buffer indexed like the input).
typedef struct {
    const void *weight;
    ptrdiff_t weightStride;
    const void *posWeight;   ///< BCEWithLogitsLoss only.
    ptrdiff_t posWeightStride;
} BCEWeights;

/// The forward passes above with `weight` (both losses) and `pos_weight` (BCEWithLogitsLoss):
/// each term as the scalar path forms it, times the weight. Lanes outside the fast domain of the
/// operands too (Double: weights and pos_weights 0 or of magnitude in [2^-400, 2^400]; pos_weight
/// negative or not finite) are left to the caller, as above.
ptrdiff_t bce_f32_weighted_sum(const float *input, const float *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_f32_weighted_store(const float *input, const float *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, float *output);
ptrdiff_t bce_logits_f32_weighted_sum(const float *input, const float *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_logits_f32_weighted_store(const float *input, const float *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, float *output);
ptrdiff_t bce_f64_weighted_sum(const double *input, const double *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_f64_weighted_store(const double *input, const double *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *output);
ptrdiff_t bce_logits_f64_weighted_sum(const double *input, const double *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_logits_f64_weighted_store(const double *input, const double *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *output);

ptrdiff_t bce_f16_weighted_sum(const uint16_t *input, const uint16_t *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_f16_weighted_store(const uint16_t *input, const uint16_t *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, uint16_t *output);
ptrdiff_t bce_logits_f16_weighted_sum(const uint16_t *input, const uint16_t *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_logits_f16_weighted_store(const uint16_t *input, const uint16_t *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, uint16_t *output);
ptrdiff_t bce_bf16_weighted_sum(const uint16_t *input, const uint16_t *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_bf16_weighted_store(const uint16_t *input, const uint16_t *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, uint16_t *output);
ptrdiff_t bce_logits_bf16_weighted_sum(const uint16_t *input, const uint16_t *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, double *sum, double *compensation);
ptrdiff_t bce_logits_bf16_weighted_store(const uint16_t *input, const uint16_t *target, const BCEWeights *weights, ptrdiff_t start, ptrdiff_t end, uint16_t *output);

/// The gradients above with `weight` and `pos_weight` (the grad_output times the weight, as the
/// scalar path scales). Double BCEWithLogitsLoss: hard labels only, as without weights.
ptrdiff_t bce_gradients_f32_weighted(const float *input, const float *target, const float *gradOutput,
                                     ptrdiff_t gradOutputStride, const BCEWeights *weights, double divisor,
                                     double epsilon, ptrdiff_t start, ptrdiff_t end, float *inputGradient,
                                     float *targetGradient);
ptrdiff_t bce_logits_gradients_f32_weighted(const float *input, const float *target, const float *gradOutput,
                                            ptrdiff_t gradOutputStride, const BCEWeights *weights, double divisor,
                                            double epsilon, ptrdiff_t start, ptrdiff_t end, float *inputGradient,
                                            float *targetGradient);
ptrdiff_t bce_gradients_f16_weighted(const uint16_t *input, const uint16_t *target, const uint16_t *gradOutput,
    ptrdiff_t gradOutputStride, const BCEWeights *weights, double divisor, double epsilon, ptrdiff_t start,
    ptrdiff_t end, uint16_t *inputGradient, uint16_t *targetGradient);
ptrdiff_t bce_logits_gradients_f16_weighted(const uint16_t *input, const uint16_t *target, const uint16_t *gradOutput,
    ptrdiff_t gradOutputStride, const BCEWeights *weights, double divisor, double epsilon, ptrdiff_t start,
    ptrdiff_t end, uint16_t *inputGradient, uint16_t *targetGradient);
ptrdiff_t bce_gradients_bf16_weighted(const uint16_t *input, const uint16_t *target, const uint16_t *gradOutput,
    ptrdiff_t gradOutputStride, const BCEWeights *weights, double divisor, double epsilon, ptrdiff_t start,
    ptrdiff_t end, uint16_t *inputGradient, uint16_t *targetGradient);
ptrdiff_t bce_logits_gradients_bf16_weighted(const uint16_t *input, const uint16_t *target, const uint16_t *gradOutput,
    ptrdiff_t gradOutputStride, const BCEWeights *weights, double divisor, double epsilon, ptrdiff_t start,
    ptrdiff_t end, uint16_t *inputGradient, uint16_t *targetGradient);
ptrdiff_t bce_gradients_f64_weighted(const double *input, const double *target, const double *gradOutput,
                                     ptrdiff_t gradOutputStride, const BCEWeights *weights, double divisor,
                                     ptrdiff_t start, ptrdiff_t end, double *inputGradient, double *targetGradient,
                                     unsigned *scalarLanes);
ptrdiff_t bce_logits_gradients_f64_weighted(const double *input, const double *target, const double *gradOutput,
                                            ptrdiff_t gradOutputStride, const BCEWeights *weights, double divisor,
                                            ptrdiff_t start, ptrdiff_t end, double *inputGradient,
                                            double *targetGradient, unsigned *scalarLanes);

// ---- Test only (KernelMathAccuracyTests): not used by the library ----

/// The lane math functions of the kernels, one at a time, for the accuracy tests against a
/// high-precision reference. Each is the static inline function the kernels call; the domain is
/// the one the kernels call it on (outside it the result is unspecified), the bounds are in
/// README.md ("Accuracy of the lane math").
typedef enum {
    BCETestMathLog = 0,             ///< vm_log: log(x), x positive normal (Float paths, in Double).
    BCETestMathLog1pUnit,           ///< vm_log1p_unit: log1p(x), x in [0, 1].
    BCETestMathExpNonpositive,      ///< vm_exp_nonpositive: exp(x), x in [-708, 0].
    BCETestMathExpm1Small,          ///< vm_expm1_small: expm1(x), |x| < 1.
    BCETestMathSoftplusTail,        ///< vm_softplus_tail: log1p(exp(-x)), x in [0, 700].
    BCETestMathDDLog,               ///< dd_log: log(x) as hi + lo, x positive normal (Double paths).
    BCETestMathDDExpNegated,        ///< dd_exp_negated: exp(-x) as hi + lo, x in [0, 700].
    BCETestMathDDLog1pUnit,         ///< dd_log1p_unit: log1p(x) as hi + lo, x in (0, 1] (low part 0).
    BCETestMathDDSoftplusTail,      ///< dd_softplus_tail: log1p(exp(-x)) as hi + lo, x in [0, 700].
    BCETestMathFloatSoftplusTail,   ///< vf_softplus_tail: log1p(exp(-x)) in Float lanes, x a Float in [0, 80]
                                    ///< (Float16 and BrainFloat16 BCEWithLogitsLoss); hi is the Float result.
    BCETestMathDDExpNegatedFine,    ///< dd_exp_negated_fine: exp(-x) as hi + lo, x in [0, 700] (soft-target
                                    ///< BCEWithLogitsLoss gradients in Double).
    BCETestMathFunctionCount
} BCETestMathFunction;

/// Evaluates `function` on `x[0 ..< n]` with the vector code of `level` into `hi[i]` and `lo[i]`
/// (`lo` 0 for the single-Double functions). Returns 0, or -1 (nothing written) if the function
/// or level is unknown or the level is not supported here. Test only.
int bce_test_lane_math(BCETestMathFunction function, BCESIMDLevel level, const double *x, ptrdiff_t n, double *hi,
                       double *lo);

#ifdef __cplusplus
}
#endif

#endif
