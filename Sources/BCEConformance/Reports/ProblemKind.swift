import Foundation

/// The kinds of problem a failure is summarised by (issue 13): one table from the manifest's
/// flags to kinds, and the rules that classify a failing element by what its inputs are.
///
/// A case's flags say what it was written to test, but the `random` cases (and others) hide
/// elements at 0 and 1 among ordinary ones, so a failing element is classified by its own
/// inputs first and by its case's flags only when its inputs say nothing special:
///
/// 1. **validation**: the case expects an error, or the implementation answered with one;
/// 2. **non-finite inputs**: an input, target, weight, pos_weight or grad_output at the element
///    (for a mean or sum loss: at any element) is NaN or infinite;
/// 3. **boundaries and clamps**: BCE with a probability p at 0 or 1, within 1e-6 of them (where
///    clip-based ports such as Keras' 1e-7 deviate), or where log(p) or log(1 − p) is clamped at
///    −100; bce_with_logits with |x| beyond exp's overflow threshold or large enough that
///    1 + exp(−|x|) rounds to 1 in the dtype;
/// 4. **reductions**: a mean or sum loss whose elements have none of the above;
/// 5. otherwise the kind of the first of the case's flags in `byFlag`'s order, else **precision**.
public enum ProblemKind: String, Sendable, Codable, CaseIterable, Comparable {
    case validation
    case nonFinite = "non-finite-inputs"
    case boundaries = "boundaries-and-clamps"
    case reductions
    case arguments = "weights-and-shapes"
    case precision

    public var title: String {
        switch self {
        case .validation: "validation"
        case .nonFinite: "non-finite inputs"
        case .boundaries: "boundaries and clamps"
        case .reductions: "reductions"
        case .arguments: "weights, broadcasting and shapes"
        case .precision: "precision"
        }
    }

    public static func < (a: ProblemKind, b: ProblemKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// Every flag of the manifest and the kind it stands for, in priority order (a case with
    /// several flags takes the first one's kind). `random` says nothing about a problem: nil.
    /// ProblemKindTests checks that it names exactly the manifest's flags.
    public static let byFlag: [(flag: String, kind: ProblemKind?)] = [
        ("invalid", .validation),
        ("nan", .nonFinite), ("infinity", .nonFinite), ("dtype-overflow", .nonFinite), ("gradient-nonfinite", .nonFinite),
        ("log-clamp", .boundaries), ("boundary", .boundaries), ("epsilon", .boundaries), ("nearest-neighbour", .boundaries),
        ("exp-overflow", .boundaries), ("large-logit", .boundaries),
        ("large-reduction", .reductions), ("reduction-overflow", .reductions), ("empty", .reductions),
        ("weight", .arguments), ("negative-weight", .arguments), ("zero-weight", .arguments), ("pos-weight", .arguments),
        ("zero-pos-weight", .arguments), ("negative-pos-weight", .arguments), ("large-pos-weight", .arguments),
        ("broadcast", .arguments), ("grad-output", .arguments), ("shape", .arguments), ("zero-dim", .arguments),
        ("float64-precision", .precision), ("subnormal", .precision), ("soft-target", .precision),
        ("target-outside-unit-interval", .precision), ("pytorch-arithmetic", .precision),
        ("random", nil),
    ]

    /// The kind a case's flags point to (rule 5).
    public static func fromFlags(_ flags: [String]) -> ProblemKind {
        for entry in byFlag where flags.contains(entry.flag) {
            if let kind = entry.kind { return kind }
        }
        return .precision
    }

    /// Why one element's inputs are special (rules 2 and 3), as a kind and a note for the report;
    /// nil when they are ordinary.
    public static func inputKind(_ e: ElementInputs, loss: LossKind, dtype: DType) -> (kind: ProblemKind, note: String)? {
        let named = [("input", e.input), ("target", e.target), ("weight", e.weight), ("pos_weight", e.posWeight),
                     ("grad_output", e.gradOutput)]
        for (name, v) in named {
            if let v, !v.value.isFinite { return (.nonFinite, "\(name) is \(Comparison.format(v.value))") }
        }
        let x = e.input.value
        switch loss {
        case .bce:
            if x == 0 || x == 1 { return (.boundaries, "p = \(Comparison.format(x)): log(\(x == 0 ? "p" : "1 - p")) clamps at -100") }
            if x.log() < -100 || (-x).log1p() < -100 {
                return (.boundaries, "log(\(x.log() < -100 ? "p" : "1 - p")) < -100: clamped at -100")
            }
            if min(x, 1 - x) < 1e-6, x > 0, x < 1 { return (.boundaries, "p within 1e-6 of \(x < 0.5 ? 0 : 1) (clip-based ports deviate here)") }
        case .bceWithLogits:
            let largest: Double = switch dtype {
            case .float16: Double(Float16.greatestFiniteMagnitude)
            case .bfloat16: BFloat16Bits.greatestFiniteMagnitude
            case .float32: Double(Float.greatestFiniteMagnitude)
            case .float64: .greatestFiniteMagnitude
            }
            let overflow = largest.log()
            if abs(x) > overflow { return (.boundaries, "|x| > \(Comparison.short(overflow)): exp(|x|) overflows in \(dtype.rawValue)") }
            // 1 + exp(-|x|) rounds to 1 once exp(-|x|) is below half an ULP of 1.
            let halfULP = dtype.ulp(atMagnitude: 1) / 2
            if abs(x) > -halfULP.log() {
                return (.boundaries, "|x| > \(Comparison.short(-halfULP.log())): 1 + exp(-|x|) rounds to 1 in \(dtype.rawValue)")
            }
        }
        return nil
    }
}

extension Double {
    fileprivate func log() -> Double { Foundation.log(self) }
    fileprivate func log1p() -> Double { Foundation.log1p(self) }
}
