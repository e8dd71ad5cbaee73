import Testing
import BinaryCrossEntropy

#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
@Suite("Float16 rounding from Double")
struct Float16RoundingTests {
    /// The library's conversion and the standard library's, as bit patterns (NaN: any NaN).
    static func agree(_ x: Double) -> Bool {
        let ours = Float16(bceRounding: x), standard = Float16(x)
        return ours.isNaN ? standard.isNaN : ours.bitPattern == standard.bitPattern
    }

    @Test("every Float16, every midpoint between neighbours and its two adjacent Doubles round as Float16(_:) does")
    func exhaustiveAgainstStandardLibrary() {
        var disagreements: [Double] = []
        for bits in UInt16.min...UInt16.max {
            let h = Float16(bitPattern: bits)
            guard h.isFinite else { continue }
            let x = Double(h), next = Double(h.nextUp)
            var probes = [x, x.nextUp, x.nextDown]
            if next.isFinite {
                let midpoint = (x + next) / 2   // exact: a Float16 midpoint needs 12 bits
                probes += [midpoint, midpoint.nextUp, midpoint.nextDown]
            }
            disagreements += probes.filter { !Self.agree($0) }
        }
        #expect(disagreements.isEmpty, "first disagreements: \(disagreements.prefix(5))")
    }

    @Test("overflow threshold, infinities, NaN, signed zeros, tiny and huge values")
    func specialValues() {
        let values: [Double] = [65504, 65519.99, 65520, 65536, 1e300, .infinity, -.infinity, .nan, 0, -0.0,
                                0x1p-25, 0x1p-25.nextUp, 0x1p-26, 1e-300, .leastNonzeroMagnitude, -65520, 0x1p-14.nextDown]
        for x in values { #expect(Self.agree(x), "x = \(x)") }
        #expect(Float16(bceRounding: -0.0).sign == .minus)
        #expect(Float16(bceRounding: 65520) == .infinity)
    }

    @Test("a million random Doubles over Float16's range round as Float16(_:) does")
    func randomAgainstStandardLibrary() {
        var rng = SplitMix64(seed: 7)
        var bad = 0
        for _ in 0..<1_000_000 {
            let x = Double(sign: Bool.random(using: &rng) ? .minus : .plus,
                           exponent: Int.random(in: -30...17, using: &rng),
                           significand: Double.random(in: 1..<2, using: &rng))
            if !Self.agree(x) { bad += 1 }
        }
        #expect(bad == 0)
    }
}
#endif
