import Foundation
import Testing
@testable import BinaryCrossEntropy

#if arch(x86_64) && !os(Windows) && !os(Android)
// The double-double log and exp against glibc's long double ones (64-bit significand, a couple
// of Float80 ULP): the relative error of hi + lo, in units of 2^-53.
@Suite("Double-double log and exp")
struct DoubleDoubleMathTests {
    static func relativeError(_ v: DoubleDouble, lane: Int, _ exact: Float80) -> Double {
        let value = Float80(v.hi[lane]) + Float80(v.lo[lane])
        return Double(((value - exact) / exact).magnitude) * 0x1p53
    }

    @Test("exp(-a) on [0, 700] within 2^-56, log on [2^-200, 1.5] within 2^-54.5")
    func accuracy() {
        var rng = SplitMix64(seed: 7)
        var worstExp = 0.0, worstExpAt = 0.0, worstLog = 0.0, worstLogAt = 0.0
        for _ in 0..<200_000 {
            var a = DDLanes.zero, v = DDLanes.zero
            for lane in 0..<DDLanes.scalarCount {
                a[lane] = Bool.random(using: &rng) ? Double.random(in: 0...700, using: &rng)
                                                   : Double.random(in: 0...40, using: &rng)
                v[lane] = Bool.random(using: &rng) ? Double.random(in: 0.5...1.5, using: &rng)
                                                   : pow(2, Double.random(in: -200...1, using: &rng))
            }
            let e = DD.exp(negated: a), l = DD.log(v)
            for lane in 0..<DDLanes.scalarCount {
                let ee = Self.relativeError(e, lane: lane, expl(-Float80(a[lane])))
                if ee > worstExp { worstExp = ee; worstExpAt = a[lane] }
                if v[lane] != 1 {
                    let le = Self.relativeError(l, lane: lane, logl(Float80(v[lane])))
                    if le > worstLog { worstLog = le; worstLogAt = v[lane] }
                }
            }
        }
        print("DD exp worst \(worstExp) × 2^-53 at a=\(worstExpAt); DD log worst \(worstLog) × 2^-53 at v=\(worstLogAt)")
        #expect(worstExp < 0.125)
        #expect(worstLog < 0.34)   // the analysis: 3 roundings in a term of at most 5% of the result
    }
}
#endif
