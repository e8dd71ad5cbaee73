/// One golden case (CONTRACTS section 2): the inputs of one loss call and what it must produce.
public struct GoldenCase: Sendable, Identifiable {
    public let id: String
    public let comment: String
    public let flags: [String]
    public let loss: LossKind
    public let dtype: DType
    public let reduction: ReductionKind
    public let inputs: Inputs
    public let expectation: Expectation
    /// Alternatives to the exact `expected` results that a correct port may give instead (format
    /// version 2's `acceptable`, e.g. PyTorch's own CPU arithmetic); empty on most cases and on
    /// every case with `expected_error`.
    public let acceptable: [Alternative]
    /// The case's own tolerance, or nil for the dtype default.
    public let tolerance: Tolerance?
    /// The case file it came from, relative to the golden directory (e.g. "bce/float32.json").
    public let file: String

    public struct Inputs: Sendable {
        public var input: GoldenTensor
        public var target: GoldenTensor
        public var weight: GoldenTensor?
        public var posWeight: GoldenTensor?
        /// nil means 1 (0-d) for mean/sum and ones for none.
        public var gradOutput: GoldenTensor?

        public init(input: GoldenTensor, target: GoldenTensor, weight: GoldenTensor? = nil,
                    posWeight: GoldenTensor? = nil, gradOutput: GoldenTensor? = nil) {
            self.input = input
            self.target = target
            self.weight = weight
            self.posWeight = posWeight
            self.gradOutput = gradOutput
        }
    }

    public enum Expectation: Sendable {
        case outputs(ExpectedOutputs)
        /// One of `ErrorKinds.all`.
        case error(kind: String)
    }

    public struct ExpectedOutputs: Sendable {
        public var loss: GoldenTensor
        public var gradInput: GoldenTensor?
        public var gradTarget: GoldenTensor?
        public var gradInputScale: GoldenTensor?
        public var gradTargetScale: GoldenTensor?

        public init(loss: GoldenTensor, gradInput: GoldenTensor? = nil, gradTarget: GoldenTensor? = nil,
                    gradInputScale: GoldenTensor? = nil, gradTargetScale: GoldenTensor? = nil) {
            self.loss = loss
            self.gradInput = gradInput
            self.gradTarget = gradTarget
            self.gradInputScale = gradInputScale
            self.gradTargetScale = gradTargetScale
        }
    }

    /// One ALTERNATIVE of `acceptable` (CONTRACTS section 0): a complete set of results a correct
    /// port may give instead of the exact one. A field it leaves out (nil) is the same as the
    /// expected field; a field it has has the expected field's shape and dtype.
    public struct Alternative: Sendable {
        /// Where the values come from, e.g. "pytorch-cpu".
        public var source: String
        public var comment: String
        public var loss: GoldenTensor?
        public var gradInput: GoldenTensor?
        public var gradTarget: GoldenTensor?

        public init(source: String, comment: String = "", loss: GoldenTensor? = nil, gradInput: GoldenTensor? = nil,
                    gradTarget: GoldenTensor? = nil) {
            self.source = source
            self.comment = comment
            self.loss = loss
            self.gradInput = gradInput
            self.gradTarget = gradTarget
        }

        /// The alternative's tensor for an output field ("loss", "grad_input", "grad_target").
        public func output(_ name: String) -> GoldenTensor? {
            switch name {
            case "loss": loss
            case "grad_input": gradInput
            case "grad_target": gradTarget
            default: nil
            }
        }

        /// The output fields an alternative may hold, in the format's spelling.
        public static let outputNames = ["loss", "grad_input", "grad_target"]
    }

    public init(id: String, comment: String = "", flags: [String] = [], loss: LossKind, dtype: DType,
                reduction: ReductionKind, inputs: Inputs, expectation: Expectation, acceptable: [Alternative] = [],
                tolerance: Tolerance? = nil, file: String = "") {
        self.id = id
        self.comment = comment
        self.flags = flags
        self.loss = loss
        self.dtype = dtype
        self.reduction = reduction
        self.inputs = inputs
        self.expectation = expectation
        self.acceptable = acceptable
        self.tolerance = tolerance
        self.file = file
    }

    /// The tolerance the comparison uses: the case's own, else the dtype default.
    public var effectiveTolerance: Tolerance { tolerance ?? dtype.defaultTolerance }

    /// Whether the comparison must check the sign of zero (flag "signed-zero").
    public var checksSignedZero: Bool { flags.contains("signed-zero") }

    /// Whether the case expects gradients (the 100,000-element cases leave them out).
    public var expectsGradients: Bool {
        if case .outputs(let outputs) = expectation { return outputs.gradInput != nil || outputs.gradTarget != nil }
        return false
    }
}

/// An absolute and relative tolerance: |actual - expected| <= atol + rtol * |expected|.
public struct Tolerance: Sendable, Equatable, Codable {
    public var rtol: Double
    public var atol: Double
    public init(rtol: Double, atol: Double) {
        self.rtol = rtol
        self.atol = atol
    }
}
