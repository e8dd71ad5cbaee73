import BCEConformance
import BinaryCrossEntropy
import Testing

/// The golden format's bfloat16 (`BFloat16Bits`, in BCEConformance) rounds as the loss library's
/// `BrainFloat16` does: both use SwiftBCEShared's rounding, and only the NaN differs on purpose
/// (the format writes the canonical 7fc0 whatever the sign).
@Suite struct BFloat16GoldenRoundingTests {
    @Test func roundsOnceToNearestEvenAtTiesSubnormalsAndOverflow() {
        let cases: [(Double, UInt16)] = [
            (1, 0x3F80), (1 + 0x1p-8, 0x3F80), (1 + 3 * 0x1p-8, 0x3F82), (-2.5, 0xC020),
            (0x1p-133, 0x0001), (0x1p-134, 0x0000), (3 * 0x1p-134, 0x0002), (-0.0, 0x8000),
            // The largest finite value plus half an ULP ties to the even infinity; just below stays finite.
            (Double(Float(bitPattern: 0x7F7F_0000)) + 0x1p119, 0x7F80), (Double(Float(bitPattern: 0x7F7F_0000)) + 0x1p118, 0x7F7F),
            (-.infinity, 0xFF80), (.nan, 0x7FC0), (-.nan, 0x7FC0),
        ]
        for (value, bits) in cases {
            #expect(BFloat16Bits.bits(of: value) == bits, "\(value)")
            #expect(DType.bfloat16.bits(of: value) == UInt64(bits), "\(value)")
        }
        #expect(BFloat16Bits.rounded(1 + 3 * 0x1p-8) == 1 + 0x1p-6)
        #expect(BFloat16Bits.greatestFiniteMagnitude == Double(BrainFloat16.greatestFiniteMagnitude))
        #expect(BFloat16Bits.leastNonzeroMagnitude == Double(BrainFloat16.leastNonzeroMagnitude))
        #expect(BFloat16Bits.rounded(-.nan).isNaN)
    }

    @Test func agreesWithTheLossLibrarysBrainFloat16OnEveryNonNaNBitPatternNeighbourhood() {
        var rng = SystemRandomNumberGenerator()
        var checked = 0
        for pattern in UInt16.min...UInt16.max {
            let exact = Double(Float(bitPattern: UInt32(pattern) << 16))
            guard !exact.isNaN else { continue }
            // The value itself and points around it, ties included (a quarter and a half ULP of bfloat16).
            let offsets: [UInt32] = [0, 0x4000, 0x8000, 0xC000, UInt32.random(in: 0...0xFFFF, using: &rng)]
            for offset in offsets {
                let value = Double(Float(bitPattern: UInt32(pattern) << 16 | offset))
                guard !value.isNaN else { continue }
                #expect(BFloat16Bits.bits(of: value) == BrainFloat16(value).bitPattern, "\(value)")
                checked += 1
            }
        }
        #expect(checked > 300_000)
    }
}
