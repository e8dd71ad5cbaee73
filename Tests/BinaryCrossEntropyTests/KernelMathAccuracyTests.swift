import Foundation
import Testing
import BCESIMDKernels

#if arch(x86_64) && !os(Windows) && !os(Android)
// The kernels' own lane math (Sources/BCESIMDKernels/Kernels.c), one function at a time through
// the test-only entry point `bce_test_lane_math`, on every supported level, over the whole domain
// the kernels call each function on, against glibc's long double functions (64-bit significand,
// about 2^-63 relative: far below the bounds, the smallest of which is 2^-56.25). In the style of
// SLEEF: one body, a documented bound per function (the README's "Accuracy of the lane math"
// table), tested over whole ranges. The level-agreement tests cannot see a coefficient change
// that keeps every level equal; these see any change that costs accuracy beyond the bound.
@Suite("Kernel lane math accuracy")
struct KernelMathAccuracyTests {
    /// One lane math function: its domain's samples, its reference and its bound.
    struct Function: Sendable, CustomTestStringConvertible {
        let name: String
        let function: UInt32   // BCETestMathFunction's raw value
        /// The documented bound on |hi + lo - exact| / |exact|, as log2 (README table).
        let log2Bound: Double
        /// For the single-Double functions (the Float paths), the bound in Double ULPs of the
        /// exact value too (SLEEF's measure); nil for the double-double ones.
        var ulpBound: Double? = nil
        let samples: @Sendable () -> [Double]
        let reference: @Sendable (Float80) -> Float80
        var testDescription: String { "\(name) within 2^\(log2Bound)" + (ulpBound.map { " and \($0) ULP" } ?? "") }
    }

    static let functions: [Function] = [
        // Float paths (Double lanes): vm_log and vm_exp_nonpositive are fdlibm's (below 1 Double ULP);
        // log1p adds u's rounding error, expm1 is a Taylor series, the softplus tail composes two.
        Function(name: "vm_log", function: BCETestMathLog.rawValue, log2Bound: -52.25, ulpBound: 1,
                 samples: positiveNormal, reference: { logl($0) }),
        Function(name: "vm_log1p_unit", function: BCETestMathLog1pUnit.rawValue, log2Bound: -51.5, ulpBound: 2,
                 samples: { unitInterval(includingZero: true) }, reference: { log1pl($0) }),
        Function(name: "vm_exp_nonpositive", function: BCETestMathExpNonpositive.rawValue, log2Bound: -52.25, ulpBound: 1,
                 samples: { (expArguments() + neighbours(708) + [704, 705.5]).map { -$0 } }, reference: { expl($0) }),
        Function(name: "vm_expm1_small", function: BCETestMathExpm1Small.rawValue, log2Bound: -51.5, ulpBound: 2.5,
                 samples: belowOneInMagnitude, reference: { expm1l($0) }),
        Function(name: "vm_softplus_tail", function: BCETestMathSoftplusTail.rawValue, log2Bound: -51.25, ulpBound: 2.5,
                 samples: expArguments, reference: { log1pl(expl(-$0)) }),
        // Double paths: hi + lo in double-double.
        Function(name: "dd_log", function: BCETestMathDDLog.rawValue, log2Bound: -55,
                 samples: positiveNormal, reference: { logl($0) }),
        Function(name: "dd_exp_negated", function: BCETestMathDDExpNegated.rawValue, log2Bound: -56.25,
                 samples: expArguments, reference: { expl(-$0) }),
        // Half-ln2 steps: both sides of every multiple of ln2/4 too (where its k changes).
        Function(name: "dd_exp_negated_fine", function: BCETestMathDDExpNegatedFine.rawValue, log2Bound: -60,
                 samples: { expArguments() + quarterLn2Neighbours() }, reference: { expl(-$0) }),
        Function(name: "dd_log1p_unit", function: BCETestMathDDLog1pUnit.rawValue, log2Bound: -55,
                 samples: { unitInterval(includingZero: false) }, reference: { log1pl($0) }),
        Function(name: "dd_softplus_tail", function: BCETestMathDDSoftplusTail.rawValue, log2Bound: -55,
                 samples: expArguments, reference: { log1pl(expl(-$0)) }),
        // Float16 and BrainFloat16 BCEWithLogitsLoss: the tail in Float lanes, on Float arguments.
        Function(name: "vf_softplus_tail", function: BCETestMathFloatSoftplusTail.rawValue, log2Bound: -22,
                 samples: floatTailArguments, reference: { log1pl(expl(-$0)) }),
    ]

    // ---- Samples: dense, biased to the edges (powers of two and their neighbours, the
    // reductions' boundaries, near 1, the ends), plus uniform and log-uniform draws ----

    static func neighbours(_ v: Double, _ count: Int = 2) -> [Double] {
        var out = [v], up = v, down = v
        for _ in 0..<count { up = up.nextUp; down = down.nextDown; out += [up, down] }
        return out
    }

    /// Positive normal Doubles (log): every power of two and its neighbours, both sides of the
    /// reduction's boundary sqrt(1/2) in every binade, near 1, the ends, and dense draws where the
    /// kernels call log ([2^-140, 2^27]), as well as over the whole normal range.
    @Sendable static func positiveNormal() -> [Double] {
        var rng = SplitMix64(seed: 0x106)
        var v: [Double] = []
        for e in -1022...1023 {
            v += neighbours(Double(sign: .plus, exponent: e, significand: 1))
            v += neighbours(Double(sign: .plus, exponent: e, significand: 0x1.6A09E667F3BCDp0))   // sqrt(2) 2^e
            v.append(Double(sign: .plus, exponent: e, significand: Double.random(in: 1..<2, using: &rng)))
        }
        for k in 1...2000 {
            v.append(1 + Double(k) * Double.ulpOfOne)
            v.append(1 - Double(k) * Double.ulpOfOne / 2)
        }
        for j in 1...60 { v += [1 + Double(sign: .plus, exponent: -j, significand: 1), 1 - Double(sign: .plus, exponent: -j - 1, significand: 1)] }
        v += [Double.leastNormalMagnitude, Double.greatestFiniteMagnitude]
        for _ in 0..<100_000 { v.append(Double.random(in: 0x1p-30...4, using: &rng)) }
        for _ in 0..<100_000 { v.append(pow(2, Double.random(in: -140...27, using: &rng))) }
        for _ in 0..<50_000 { v.append(pow(2, Double.random(in: -1022...1023.99, using: &rng))) }
        return v.filter { $0.isNormal && $0 > 0 && $0.isFinite }
    }

    /// [0, 1] (log1p of exp(-|x|)): zero (Float path only), subnormals, every power of two and its
    /// neighbours, the double-double series' threshold 2^-26, near 1, dense draws.
    @Sendable static func unitInterval(includingZero: Bool) -> [Double] {
        var rng = SplitMix64(seed: 0x1091)
        var v: [Double] = [Double.leastNonzeroMagnitude, Double.leastNormalMagnitude.nextDown, 1, Double(1).nextDown]
        if includingZero { v.append(0) }
        for e in -1074...0 { v += neighbours(Double(sign: .plus, exponent: e, significand: 1)) }
        v += neighbours(0x1p-26, 8) + neighbours(0x1p-53, 8)
        for _ in 0..<100_000 { v.append(Double.random(in: 0...1, using: &rng)) }
        for _ in 0..<100_000 { v.append(pow(2, Double.random(in: -1074...0, using: &rng))) }
        return v.filter { $0 >= 0 && $0 <= 1 && (includingZero || $0 > 0) }
    }

    /// a in [0, 700] (exp(-a) and the softplus tail; exp's own domain, [-708, 0], adds its end):
    /// 0, the tiny arguments, both sides of every half-integer multiple of ln2 (where the
    /// reduction's k changes), the ends, dense draws.
    @Sendable static func expArguments() -> [Double] {
        var rng = SplitMix64(seed: 0xE4)
        var v: [Double] = [0, 700, 700.0.nextDown, 708]
        for e in -1074...9 { v += neighbours(Double(sign: .plus, exponent: e, significand: 1)) }
        for k in 0...1010 { v += neighbours((Double(k) + 0.5) * 0x1.62E42FEFA39EFp-1, 3) }
        for _ in 0..<100_000 { v.append(Double.random(in: 0...40, using: &rng)) }
        for _ in 0..<100_000 { v.append(Double.random(in: 0...700, using: &rng)) }
        return v.filter { $0 >= 0 && $0 <= 700 }
    }

    /// a in [0, 700] on both sides of every odd multiple of ln2/4 (where the fine exponential's
    /// half steps change).
    @Sendable static func quarterLn2Neighbours() -> [Double] {
        var v: [Double] = []
        for k in stride(from: 1, through: 4041, by: 2) { v += neighbours(Double(k) * 0x1.62E42FEFA39EFp-3, 3) }
        return v.filter { $0 >= 0 && $0 <= 700 }
    }

    /// a in [0, 80] as Floats (the Float-lane tail's domain): every Float power of two and its
    /// Float neighbours, both sides of every half-integer multiple of ln2 and of the log's switch
    /// at u = sqrt(2) (a = ln(1 / (sqrt(2) - 1))), every Float16 value in the domain, dense draws.
    @Sendable static func floatTailArguments() -> [Double] {
        var rng = SplitMix64(seed: 0xF7A1)
        var v: [Float] = [0, 80, Float(80).nextDown]
        func around(_ f: Float, _ count: Int = 3) {
            var up = f, down = f
            v.append(f)
            for _ in 0..<count { up = up.nextUp; down = down.nextDown; v += [up, down] }
        }
        for e in -149...6 { around(Float(sign: .plus, exponent: e, significand: 1)) }
        for k in 0...116 { around(Float((Double(k) + 0.5) * 0x1.62E42FEFA39EFp-1)) }
        around(Float(log(1 / (2.0.squareRoot() - 1))), 8)
        for bits in UInt16(0)..<0x7C00 { let h = Float(Float16(bitPattern: bits)); if h <= 80 { v.append(h) } }
        for _ in 0..<100_000 { v.append(Float.random(in: 0...20, using: &rng)) }
        for _ in 0..<100_000 { v.append(Float.random(in: 0...80, using: &rng)) }
        return v.filter { $0 >= 0 && $0 <= 80 }.map(Double.init)
    }

    /// |x| < 1 (expm1 for the logits gradient near 0): zero, subnormals, every power of two and
    /// its neighbours of both signs, both sides of the reduction's switch at ±0.3466, dense draws.
    @Sendable static func belowOneInMagnitude() -> [Double] {
        var rng = SplitMix64(seed: 0xE31)
        var v: [Double] = [0, Double(1).nextDown, -Double(1).nextDown]
        for e in -1074...(-1) { v += neighbours(Double(sign: .plus, exponent: e, significand: 1)) }
        v += neighbours(0.3466, 8)
        for _ in 0..<100_000 { v.append(Double.random(in: -1..<1, using: &rng)) }
        for _ in 0..<50_000 { v.append(pow(2, Double.random(in: -1074...(-0.0001), using: &rng))) }
        v += v.map { -$0 }
        return v.filter { $0.magnitude < 1 }
    }

    // ---- Evaluation ----

    static var levels: [BCESIMDLevel] {
        [BCESIMDLevelBaseline, BCESIMDLevelAVX2, BCESIMDLevelAVX512].filter { $0.rawValue <= bce_simd_supported_level().rawValue }
    }

    /// `function` on `x` at `level`: the (hi, lo) pairs, nil if the entry point refused.
    static func evaluate(_ function: UInt32, _ level: BCESIMDLevel, _ x: [Double]) -> (hi: [Double], lo: [Double])? {
        var hi = [Double](repeating: .nan, count: x.count), lo = hi
        let status = x.withUnsafeBufferPointer { xs in
            hi.withUnsafeMutableBufferPointer { h in
                lo.withUnsafeMutableBufferPointer { l in
                    bce_test_lane_math(BCETestMathFunction(rawValue: function), level, xs.baseAddress, xs.count,
                                       h.baseAddress, l.baseAddress)
                }
            }
        }
        return status == 0 ? (hi, lo) : nil
    }

    /// The largest relative error of hi + lo over the samples (exact zeros must be exactly 0),
    /// and where.
    static func worstError(_ f: Function, _ x: [Double], _ result: (hi: [Double], lo: [Double]),
                           _ exact: [Float80]) -> (log2Error: Double, at: Double, ulps: Double, ulpsAt: Double,
                                                   zerosWrong: [Double]) {
        var worst: Float80 = 0, at = Double.nan, worstULPs: Float80 = 0, ulpsAt = Double.nan
        var zerosWrong: [Double] = []
        for i in x.indices {
            let value = Float80(result.hi[i]) + Float80(result.lo[i])
            if exact[i] == 0 {
                if value != 0 || result.hi[i].isNaN { zerosWrong.append(x[i]) }
                continue
            }
            let difference = (value - exact[i]).magnitude
            let error = difference / exact[i].magnitude
            if !(error <= worst) { worst = error; at = x[i] }   // NaN counts as the worst
            // A Double ULP of the exact value's binade (2^-1074 below the normal range).
            let ulp = Float80(sign: .plus, exponent: max(Int(exact[i].exponent) - 52, -1074), significand: 1)
            let ulps = difference / ulp
            if !(ulps <= worstULPs) { worstULPs = ulps; ulpsAt = x[i] }
        }
        return (worst.isNaN ? .infinity : log2(Double(worst)), at, worstULPs.isNaN ? .infinity : Double(worstULPs),
                ulpsAt, zerosWrong)
    }

    @Test("Relative error within the documented bound at every level, the same bits at every level",
          arguments: functions)
    func accuracy(_ f: Function) throws {
        let x = f.samples()
        let exact = x.map { f.reference(Float80($0)) }
        let levels = Self.levels
        #expect(!levels.isEmpty)
        let baseline = try #require(Self.evaluate(f.function, BCESIMDLevelBaseline, x))
        for level in levels {
            let result = try #require(Self.evaluate(f.function, level, x), "level \(level.rawValue)")
            let (log2Error, at, ulps, ulpsAt, zerosWrong) = Self.worstError(f, x, result, exact)
            print("\(f.name) level \(level.rawValue): \(x.count) samples, worst relative error 2^\(String(format: "%.2f", log2Error)) at x = \(at) (bound 2^\(f.log2Bound))"
                  + (f.ulpBound.map { ", \(String(format: "%.3f", ulps)) ULP at x = \(ulpsAt) (bound \($0))" } ?? ""))
            #expect(log2Error <= f.log2Bound,
                    "\(f.name) level \(level.rawValue): relative error 2^\(log2Error) at x = \(at) (\(at.bitPattern)) exceeds 2^\(f.log2Bound)")
            if let ulpBound = f.ulpBound {
                #expect(ulps <= ulpBound,
                        "\(f.name) level \(level.rawValue): \(ulps) ULP at x = \(ulpsAt) (\(ulpsAt.bitPattern)) exceeds \(ulpBound)")
            }
            #expect(zerosWrong.isEmpty, "\(f.name) level \(level.rawValue): not exactly 0 at \(zerosWrong.prefix(5))")
            let sameBits = x.indices.allSatisfy {
                result.hi[$0].bitPattern == baseline.hi[$0].bitPattern && result.lo[$0].bitPattern == baseline.lo[$0].bitPattern
            }
            #expect(sameBits, "\(f.name) level \(level.rawValue) differs from the baseline's bits")
        }
    }

    @Test("The entry point refuses unknown functions and unsupported levels")
    func refusals() {
        var hi = [0.0], lo = [0.0]
        let x = [1.0]
        #expect(bce_test_lane_math(BCETestMathFunctionCount, BCESIMDLevelBaseline, x, 1, &hi, &lo) == -1)
        #expect(bce_test_lane_math(BCETestMathLog, BCESIMDLevelNone, x, 1, &hi, &lo) == -1)
        #expect(bce_test_lane_math(BCETestMathLog, BCESIMDLevel(rawValue: 3), x, 1, &hi, &lo) == -1)
        #expect(hi == [0] && lo == [0])
        #expect(bce_test_lane_math(BCETestMathLog, BCESIMDLevelBaseline, x, 1, &hi, &lo) == 0)
        #expect(hi == [0] && lo == [0])   // log(1) = 0 exactly
    }
}
#endif
