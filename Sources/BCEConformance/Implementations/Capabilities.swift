/// What an implementation declares it implements (port protocol version 2, CONTRACTS section 5.1):
/// the losses, dtypes and reductions, the outputs it computes, the optional inputs it accepts and
/// the argument checks it performs. A case outside them is *not covered*: never sent, never passed,
/// counted with its reason. The Swift library (in-process and `serve`) declares everything.
public struct Capabilities: Sendable, Codable, Equatable {
    /// An output of a value case.
    public enum Output: String, Sendable, Codable, CaseIterable {
        case loss
        case gradInput = "grad_input"
        case gradTarget = "grad_target"
    }

    /// An optional input of a case.
    public enum Argument: String, Sendable, Codable, CaseIterable {
        case weight
        case posWeight = "pos_weight"
    }

    public var losses: [LossKind]
    public var dtypes: [DType]
    public var reductions: [ReductionKind]
    /// Always holds `.loss` when read from a port (a port that computes no loss has nothing to compare).
    public var outputs: [Output]
    public var arguments: [Argument]
    /// The error kinds of the argument checks it performs ([] = no argument validation).
    public var errors: [String]
    /// Free text shown in reports, never compared.
    public var notes: String?

    /// The error kinds a port may declare: those of the protocol (ErrorKinds.all).
    public static let errorKinds = ErrorKinds.all.sorted()
    /// PyTorch's argument checks, the default of `errors` (CONTRACTS 5.1; `invalid_shape`, a
    /// malformed array of the Swift library, may be declared too but no golden case expects it).
    public static let pytorchChecks = ["shape_mismatch", "not_broadcastable", "input_out_of_range", "target_out_of_range"]

    public init(losses: [LossKind] = LossKind.allCases, dtypes: [DType] = DType.allCases,
                reductions: [ReductionKind] = ReductionKind.allCases, outputs: [Output] = Output.allCases,
                arguments: [Argument] = Argument.allCases, errors: [String] = Capabilities.pytorchChecks, notes: String? = nil) {
        self.losses = losses
        self.dtypes = dtypes
        self.reductions = reductions
        self.outputs = outputs
        self.arguments = arguments
        self.errors = errors
        self.notes = notes
    }

    public static let everything = Capabilities()

    /// Whether nothing is left out (notes aside).
    public var isEverything: Bool {
        var other = self
        other.notes = nil
        return other.covers(.everything)
    }

    /// What both declare (`live --port A --against B` draws inside it), in this one's order.
    public func intersection(_ other: Capabilities) -> Capabilities {
        Capabilities(losses: losses.filter(other.losses.contains), dtypes: dtypes.filter(other.dtypes.contains),
                     reductions: reductions.filter(other.reductions.contains), outputs: outputs.filter(other.outputs.contains),
                     arguments: arguments.filter(other.arguments.contains), errors: errors.filter(other.errors.contains), notes: nil)
    }

    /// Whether every capability of `other` is one of these.
    func covers(_ other: Capabilities) -> Bool {
        Set(other.losses).isSubset(of: losses) && Set(other.dtypes).isSubset(of: dtypes)
            && Set(other.reductions).isSubset(of: reductions) && Set(other.outputs).isSubset(of: outputs)
            && Set(other.arguments).isSubset(of: arguments) && Set(other.errors).isSubset(of: errors)
    }

    /// Why `c` is outside these capabilities (nil: it is covered), decided before the case is sent:
    /// its loss, dtype or reduction is not declared, it has a weight / pos_weight not accepted, or
    /// it expects an error whose check is not performed.
    public func notCoveredReason(_ c: GoldenCase) -> String? {
        if !losses.contains(c.loss) { return "no loss \(c.loss.rawValue)" }
        if !dtypes.contains(c.dtype) { return "no dtype \(c.dtype.rawValue)" }
        if !reductions.contains(c.reduction) { return "no reduction \(c.reduction.rawValue)" }
        if c.inputs.weight != nil, !arguments.contains(.weight) { return "no weight" }
        if c.inputs.posWeight != nil, !arguments.contains(.posWeight) { return "no pos_weight" }
        if case .error(let kind) = c.expectation, !errors.contains(kind) { return "no argument validation: \(kind)" }
        return nil
    }

    /// The outputs `c` expects that are not declared (not covered for that case; nothing for an error case).
    public func uncoveredOutputs(_ c: GoldenCase) -> [Output] {
        guard case .outputs(let e) = c.expectation else { return [] }
        var expected: [Output] = [.loss]
        if e.gradInput != nil { expected.append(.gradInput) }
        if e.gradTarget != nil { expected.append(.gradTarget) }
        return expected.filter { !outputs.contains($0) }
    }

    /// `c` with the expected outputs these capabilities do not declare removed (the loss stays:
    /// it is always compared), so that it is compared on the declared outputs only.
    public func restricted(_ c: GoldenCase) -> GoldenCase {
        guard case .outputs(var e) = c.expectation, outputs.count < Output.allCases.count else { return c }
        if !outputs.contains(.gradInput) { e.gradInput = nil; e.gradInputScale = nil }
        if !outputs.contains(.gradTarget) { e.gradTarget = nil; e.gradTargetScale = nil }
        return GoldenCase(id: c.id, comment: c.comment, flags: c.flags, loss: c.loss, dtype: c.dtype, reduction: c.reduction,
                          inputs: c.inputs, expectation: .outputs(e), acceptable: c.acceptable, tolerance: c.tolerance, file: c.file)
    }

    /// What a CONFORMANT verdict is for, in one line (CONTRACTS 5.1):
    /// `<losses> × <dtypes> × <reductions>, outputs <outputs>[, weight][, pos_weight][, errors <kinds>]`.
    public var conformantFor: String {
        func list<T: RawRepresentable>(_ values: [T]) -> String where T.RawValue == String {
            values.isEmpty ? "(none)" : values.map(\.rawValue).joined(separator: ", ")
        }
        var s = "\(list(losses)) × \(list(dtypes)) × \(list(reductions)), outputs \(list(outputs))"
        for a in Argument.allCases where arguments.contains(a) { s += ", \(a.rawValue)" }
        if !errors.isEmpty { s += ", errors \(errors.joined(separator: ", "))" }
        return s
    }
}
