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

    public init(id: String, comment: String = "", flags: [String] = [], loss: LossKind, dtype: DType,
                reduction: ReductionKind, inputs: Inputs, expectation: Expectation,
                tolerance: Tolerance? = nil, file: String = "") {
        self.id = id
        self.comment = comment
        self.flags = flags
        self.loss = loss
        self.dtype = dtype
        self.reduction = reduction
        self.inputs = inputs
        self.expectation = expectation
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
