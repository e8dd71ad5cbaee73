import Testing
import BinaryCrossEntropy

// BrainFloat16 against independent definitions: every bit pattern, every tie between neighbours,
// and the IEEE semantics a user relies on to build inputs and read results.

/// The correctly rounded bfloat16 of a finite Double, by definition: the two neighbouring
/// bfloat16 values around `x` and a comparison with their midpoint (exact in Double), ties to the
/// even significand. Independent of the library's integer tricks.
func referenceBrainFloat16(_ x: Double) -> UInt16 {
    precondition(x.isFinite)
    let sign: UInt16 = x.sign == .minus ? 0x8000 : 0
    let a = x.magnitude
    // The largest bfloat16 magnitude ≤ a, by bisection over the ordered positive bit patterns.
    var low: UInt16 = 0, high: UInt16 = 0x7F80   // low ≤ a; high is +infinity
    while high - low > 1 {
        let middle = (low + high) / 2
        if Double(Float(bitPattern: UInt32(middle) << 16)) <= a { low = middle } else { high = middle }
    }
    let below = Double(Float(bitPattern: UInt32(low) << 16))
    if below == a { return sign | low }
    // Above the largest finite value, the "next" value is 2^128 for the purpose of rounding.
    let above = low == 0x7F7F ? 0x1p128 : Double(Float(bitPattern: UInt32(low + 1) << 16))
    let midpoint = below / 2 + above / 2   // exact: both have 8 significant bits
    if a < midpoint { return sign | low }
    if a > midpoint { return sign | (low + 1) }
    return sign | (low & 1 == 0 ? low : low + 1)
}

@Suite("BrainFloat16")
struct BrainFloat16Tests {
    static func all() -> [BrainFloat16] { (UInt16.min...UInt16.max).map(BrainFloat16.init(bitPattern:)) }

    @Test("all 65,536 bit patterns: Float and Double conversions are exact and round-trip; NaN becomes the quiet NaN with its sign")
    func exhaustiveRoundTrip() {
        var bad: [UInt16] = []
        for h in Self.all() {
            let f = Float(h)
            if f.bitPattern != UInt32(h.bitPattern) << 16 || Double(h).bitPattern != Double(f).bitPattern {
                bad.append(h.bitPattern)
            }
            let back = BrainFloat16(f), backFromDouble = BrainFloat16(Double(h))
            if h.isNaN {
                let quiet = h.bitPattern & 0x8000 | 0x7FC0
                if back.bitPattern != quiet || backFromDouble.bitPattern != quiet { bad.append(h.bitPattern) }
            } else if back.bitPattern != h.bitPattern || backFromDouble.bitPattern != h.bitPattern {
                bad.append(h.bitPattern)
            }
        }
        #expect(bad.isEmpty, "first failures: \(bad.prefix(5).map { String($0, radix: 16) })")
    }

    @Test("Float rounding: every bfloat16 with the low halves 0, 1, 0x7FFF, 0x8000 (a tie), 0x8001, 0xFFFF and two random ones, against the midpoint definition")
    func floatTies() {
        var rng = SplitMix64(seed: 16)
        var bad: [UInt32] = []
        for high in UInt32(0)...0xFFFF {
            let lows: [UInt32] = [0, 1, 0x7FFF, 0x8000, 0x8001, 0xFFFF,
                                  UInt32.random(in: 0...0xFFFF, using: &rng), UInt32.random(in: 0...0xFFFF, using: &rng)]
            for low in lows {
                let f = Float(bitPattern: high << 16 | low)
                guard f.isFinite else { continue }
                let ours = BrainFloat16(f).bitPattern
                if ours != referenceBrainFloat16(Double(f)) || ours != BrainFloat16(Double(f)).bitPattern {
                    bad.append(f.bitPattern)
                }
            }
        }
        #expect(bad.isEmpty, "first failures: \(bad.prefix(5).map { String($0, radix: 16) })")
    }

    @Test("Double rounding: every midpoint between neighbours and the Doubles next to it round once (not through Float, which would round the neighbours to the tie)")
    func doubleTies() {
        var bad: [Double] = []
        for bits in UInt16(0)..<0x7F80 {   // positive finite; negatives by symmetry below
            let x = Double(BrainFloat16(bitPattern: bits))
            let next = bits == 0x7F7F ? 0x1p128 : Double(BrainFloat16(bitPattern: bits + 1))
            let midpoint = x / 2 + next / 2
            for probe in [x, x.nextUp, x.nextDown, midpoint, midpoint.nextUp, midpoint.nextDown] where probe >= 0 {
                for signed in [probe, -probe] where BrainFloat16(signed).bitPattern != referenceBrainFloat16(signed) {
                    bad.append(signed)
                }
            }
        }
        #expect(bad.isEmpty, "first failures: \(bad.prefix(5))")
        // The case rounding through Float gets wrong: just above the tie between 1 and 1 + 2^-7.
        let aboveTie = (1 + 0x1p-8 as Double).nextUp
        #expect(BrainFloat16(aboveTie).bitPattern == 0x3F81)
        #expect(BrainFloat16(Float(aboveTie)).bitPattern == 0x3F80)
    }

    @Test("a million random Doubles over bfloat16's range and beyond, against the midpoint definition")
    func randomDoubles() {
        var rng = SplitMix64(seed: 17)
        var bad = 0
        for _ in 0..<1_000_000 {
            let x = Double(sign: Bool.random(using: &rng) ? .minus : .plus, exponent: Int.random(in: -140...129, using: &rng),
                           significand: Double.random(in: 1..<2, using: &rng))
            if BrainFloat16(x).bitPattern != referenceBrainFloat16(x) { bad += 1 }
        }
        #expect(bad == 0)
    }

    @Test("overflow to infinity at the threshold, signed zeros, NaN quiet, subnormals, Float80")
    func specialConversions() {
        let largest = Double(BrainFloat16.greatestFiniteMagnitude)
        #expect(largest == 0x1.FEp127)
        let threshold = 0x1.FFp127 as Double   // largest + half an ULP: a tie, rounds to even = infinity
        #expect(BrainFloat16(threshold.nextDown) == .greatestFiniteMagnitude)
        #expect(BrainFloat16(threshold) == .infinity)
        #expect(BrainFloat16(Float(threshold)) == .infinity)
        #expect(BrainFloat16(-Double.greatestFiniteMagnitude) == -.infinity)
        #expect(BrainFloat16(Float.greatestFiniteMagnitude) == .infinity)
        #expect(BrainFloat16(-0.0 as Double).bitPattern == 0x8000)
        #expect(BrainFloat16(-0.0 as Float).bitPattern == 0x8000)
        #expect(BrainFloat16(Double.nan).bitPattern == 0x7FC0)
        #expect(BrainFloat16(-Double.nan).bitPattern == 0xFFC0)
        #expect(BrainFloat16(Float.signalingNaN).bitPattern == 0x7FC0)
        #expect(BrainFloat16(Float(bitPattern: 0x7F80_0001)).isNaN)   // payload only in the dropped half
        #expect(BrainFloat16(0x1p-133 as Double) == .leastNonzeroMagnitude)
        #expect(BrainFloat16(0x1p-134 as Double).bitPattern == 0)              // tie with 0: even
        #expect(BrainFloat16((0x1p-134 as Double).nextUp) == .leastNonzeroMagnitude)
        #expect(BrainFloat16(1e-300 as Double).bitPattern == 0)
        #expect(BrainFloat16(1.0 as Double).bitPattern == 0x3F80)
        #if (arch(i386) || arch(x86_64)) && !os(Windows) && !os(Android)
        // Just below the tie between 1 + 2^-7 and 1 + 2^-6 by 2^-60: Float80 → Double rounds to the
        // tie, which ties to even (up); rounding once goes down.
        let belowTie = 1 + 0x1.8p-7 - (0x1p-60 as Float80)
        #expect(BrainFloat16(belowTie).bitPattern == 0x3F81)
        #expect(BrainFloat16(Double(belowTie)).bitPattern == 0x3F82)
        #expect(BrainFloat16(Float80.infinity) == .infinity)
        #expect(BrainFloat16(Float80.nan).isNaN)
        #endif
    }

    @Test("IEEE equality, order and hashing: NaN unequal to itself and unordered, -0 == +0 with one hash, order as Float's")
    func comparisons() {
        let nan = BrainFloat16.nan, zero: BrainFloat16 = 0, negativeZero = -zero
        #expect(nan != nan)
        #expect(!(nan < 1) && !(1 < nan) && !(nan <= nan))
        #expect(negativeZero == zero && negativeZero.bitPattern == 0x8000)
        #expect(negativeZero.hashValue == zero.hashValue)
        #expect(Set([zero, negativeZero, 1, 1.0]).count == 2)
        // Order and equality agree with Float's on a sample of all pairs.
        var rng = SplitMix64(seed: 18)
        var bad = 0
        for _ in 0..<200_000 {
            let a = BrainFloat16(bitPattern: UInt16.random(in: 0...0xFFFF, using: &rng))
            let b = BrainFloat16(bitPattern: UInt16.random(in: 0...0xFFFF, using: &rng))
            let (fa, fb) = (Float(a), Float(b))
            if (a < b) != (fa < fb) || (a == b) != (fa == fb) || (a <= b) != (fa <= fb)
                || a.isTotallyOrdered(belowOrEqualTo: b) != fa.isTotallyOrdered(belowOrEqualTo: fb) { bad += 1 }
        }
        #expect(bad == 0)
        let unsorted: [BrainFloat16] = [3, -1, 0.5, -.infinity]
        #expect(unsorted.sorted() == [-.infinity, -1, 0.5, 3])
    }

    @Test("classification, ulp, nextUp, exponent and significand agree with Float's on every bit pattern")
    func classificationAndSpacing() {
        var bad: [UInt16] = []
        for h in Self.all() {
            let f = Float(h)
            var ok = h.isNaN == f.isNaN && h.isInfinite == f.isInfinite && h.isFinite == f.isFinite
                && h.isSubnormal == f.isSubnormal && h.isNormal == f.isNormal && h.isZero == f.isZero
                && h.sign == f.sign && h.isSignalingNaN == f.isSignalingNaN
            if h.isFinite {
                ok = ok && h.exponent == f.exponent && Float(h.significand) == f.significand
                    && Float(h.binade) == f.binade && h.significandWidth == f.significandWidth
                    && BrainFloat16(sign: h.sign, exponent: h.exponent, significand: h.significand) == h
                let up = h.nextUp, down = h.nextDown
                // The neighbours are the adjacent representable values: nothing lies between.
                // Nothing lies between a value and its neighbours: their midpoints round to one of the two.
                let midUp = BrainFloat16(Double(h) / 2 + Double(up) / 2), midDown = BrainFloat16(Double(h) / 2 + Double(down) / 2)
                ok = ok && up > h && down < h && (up.isInfinite || midUp == h || midUp == up)
                    && (down.isInfinite || midDown == h || midDown == down)
                if h.magnitude < .greatestFiniteMagnitude {
                    // ulp is the distance to the next value away from zero.
                    let away = h.sign == .minus ? down : up
                    ok = ok && Double(h.ulp) == (Double(away) - Double(h)).magnitude
                }
            }
            if !ok { bad.append(h.bitPattern) }
        }
        #expect(bad.isEmpty, "first failures: \(bad.prefix(5).map { String($0, radix: 16) })")
        #expect(BrainFloat16.greatestFiniteMagnitude.ulp == BrainFloat16(0x1p120 as Double))
        #expect(BrainFloat16.leastNonzeroMagnitude == BrainFloat16(0x1p-133 as Double))
        #expect(BrainFloat16.leastNormalMagnitude == BrainFloat16(0x1p-126 as Double))
        #expect(BrainFloat16.infinity.ulp.isNaN && BrainFloat16.nan.ulp.isNaN)
        #expect((-BrainFloat16.leastNonzeroMagnitude).nextUp.bitPattern == 0x8000)
        #expect(BrainFloat16.greatestFiniteMagnitude.nextUp == .infinity)
        #expect(Double(BrainFloat16.pi) == 3.140625)
    }

    @Test("arithmetic is correctly rounded: + - * / and squareRoot against Float's (24 ≥ 2·8 + 2 bits), addProduct at a hidden tie")
    func arithmetic() {
        var rng = SplitMix64(seed: 19)
        var bad = 0
        func random() -> BrainFloat16 {
            BrainFloat16(Float(sign: Bool.random(using: &rng) ? .minus : .plus, exponent: Int.random(in: -50...50, using: &rng),
                               significand: Float.random(in: 1..<2, using: &rng)))
        }
        for _ in 0..<200_000 {
            let a = random(), b = random()
            let (fa, fb) = (Float(a), Float(b))
            if (a + b).bitPattern != BrainFloat16(fa + fb).bitPattern || (a - b).bitPattern != BrainFloat16(fa - fb).bitPattern
                || (a * b).bitPattern != BrainFloat16(fa * fb).bitPattern || (a / b).bitPattern != BrainFloat16(fa / fb).bitPattern
                || a.magnitude.squareRoot().bitPattern != BrainFloat16(fa.magnitude.squareRoot()).bitPattern { bad += 1 }
        }
        #expect(bad == 0)
        // 1.75 · 0.578125 = 1 + 3·2^-8 is the tie between 1 + 2^-7 and 1 + 2^-6; adding -2^-80 puts
        // the exact result just below it. Double's sum rounds to the tie (then to even, up).
        var r = BrainFloat16(-0x1p-80 as Double)
        r.addProduct(1.75, 0.578125)
        #expect(r.bitPattern == 0x3F81)
        #expect(BrainFloat16(-0x1p-80 + 1.75 * 0.578125 as Double).bitPattern == 0x3F82)
        #expect((BrainFloat16(7).truncatingRemainder(dividingBy: 2)) == 1 && BrainFloat16(7).remainder(dividingBy: 2) == -1)
        #expect(BrainFloat16(2.5).rounded() == 3 && BrainFloat16(2.5).rounded(.toNearestOrEven) == 2)
        #expect((-BrainFloat16(1.5)).bitPattern == 0xBFC0 && (1.5 as BrainFloat16).magnitude == 1.5)
        #expect(BrainFloat16(exactly: 257) == nil && BrainFloat16(exactly: 256) == 256)
        #expect(BrainFloat16(257).bitPattern == BrainFloat16(256).bitPattern)   // the tie to even
    }

    @Test("description: every bit pattern reads back as itself, with at most 4 significant digits (the shortest)")
    func descriptionRoundTrips() {
        var bad: [UInt16] = []
        for h in Self.all() {
            let text = h.description
            guard let back = BrainFloat16(text) else { bad.append(h.bitPattern); continue }
            let digits = String(text.prefix { $0 != "e" }.filter(\.isNumber).drop { $0 == "0" })
                .reversed().drop { $0 == "0" }   // significant digits: no leading or trailing zeros
            let same = h.isNaN ? back.isNaN : back.bitPattern == h.bitPattern
            if !same || (h.isFinite && !h.isZero && digits.count > 4) { bad.append(h.bitPattern) }
        }
        #expect(bad.isEmpty, "first failures: \(bad.prefix(5).map { String($0, radix: 16) })")
        let cases: [(BrainFloat16, String)] = [
            (0.1, "0.1"), (1, "1.0"), (-0.0, "-0.0"), (0, "0.0"), (256, "256.0"), (3.140625, "3.14"), (1e-5, "1e-05"),
            (.greatestFiniteMagnitude, "3.39e+38"), (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"),
            (.leastNonzeroMagnitude, "9e-41"), (0.0001, "0.0001"), (1e16, "1e+16"), (-1.5, "-1.5"),
        ]
        for (value, text) in cases { #expect(value.description == text, "\(value.bitPattern)") }
        #expect(BrainFloat16("0.1") == 0.1 && BrainFloat16("x") == nil)
    }
}
