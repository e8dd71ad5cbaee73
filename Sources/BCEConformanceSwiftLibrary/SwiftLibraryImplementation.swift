import BCEConformance
import BinaryCrossEntropy

/// The Swift library (`BinaryCrossEntropy`), called in-process: the implementation `run` checks by default.
public struct SwiftLibraryImplementation: SynchronousLossImplementation {
    public let info = ImplementationInfo(name: "swift-bce BinaryCrossEntropy", language: "swift",
                                         version: SwiftLibraryImplementation.version)

    /// The library's version (the package's: one place, `SwiftBCEVersion`).
    public static let version = SwiftBCEVersion.current

    public init() {}

    /// The library is pure: the runner may evaluate cases on every core.
    public func evaluateNow(_ golden: GoldenCase) -> CaseOutcome {
        Self.evaluateNow(golden)
    }

    public func evaluate(_ golden: GoldenCase) async throws(ImplementationFailure) -> CaseOutcome {
        Self.evaluateNow(golden)
    }

    /// Synchronous evaluation, for `serve` and the fuzzer.
    public static func evaluateNow(_ golden: GoldenCase) -> CaseOutcome {
        switch golden.dtype {
        case .float16: evaluate(golden, as: Float16.self)
        case .bfloat16: evaluate(golden, as: BrainFloat16.self)
        case .float32: evaluate(golden, as: Float.self)
        case .float64: evaluate(golden, as: Double.self)
        }
    }

    static func evaluate<S: BCEScalar>(_ golden: GoldenCase, as _: S.Type) -> CaseOutcome {
        do throws(BCEError) {
            let i = golden.inputs
            let input = try array(i.input, S.self)
            let target = try array(i.target, S.self)
            let weight = try i.weight.map { t throws(BCEError) in try array(t, S.self) }
            let posWeight = try i.posWeight.map { t throws(BCEError) in try array(t, S.self) }
            let reduction = Reduction(golden.reduction)
            func forward() throws(BCEError) -> NDArray<S> {
                switch golden.loss {
                case .bce: try binaryCrossEntropy(input, target, weight: weight, reduction: reduction)
                case .bceWithLogits:
                    try binaryCrossEntropyWithLogits(input, target, weight: weight, posWeight: posWeight, reduction: reduction)
                }
            }
            // Backward too whenever gradients are compared or an error is expected (a grad_output
            // that does not broadcast only fails there). Not on the 100,000-element cases that
            // compare the loss alone: there it would only double the time.
            var needsBackward = golden.expectsGradients
            if case .error = golden.expectation { needsBackward = true }
            guard needsBackward else { return .outputs(CaseOutputs(loss: tensor(try forward(), golden.dtype))) }
            let gradOutput: NDArray<S>
            if let given = i.gradOutput {
                gradOutput = try array(given, S.self)
            } else if reduction == .none {
                gradOutput = try NDArray(shape: input.shape, repeating: 1)
            } else {
                gradOutput = NDArray(scalar: 1)
            }
            let gradients: BCEGradients<S>
            switch golden.loss {
            case .bce:
                gradients = try binaryCrossEntropyBackward(input, target, weight: weight, reduction: reduction, gradOutput: gradOutput)
            case .bceWithLogits:
                gradients = try binaryCrossEntropyWithLogitsBackward(input, target, weight: weight, posWeight: posWeight,
                                                                     reduction: reduction, gradOutput: gradOutput)
            }
            // Backward before forward: it checks grad_output's shape before the ranges (CONTRACTS
            // section 1's order), which forward alone would report first.
            let loss = try forward()
            return .outputs(CaseOutputs(loss: tensor(loss, golden.dtype), gradInput: tensor(gradients.input, golden.dtype),
                                        gradTarget: tensor(gradients.target, golden.dtype)))
        } catch {
            return .error(kind: error.kind.rawValue, message: error.description)
        }
    }

    static func array<S: BCEScalar>(_ t: GoldenTensor, _: S.Type) throws(BCEError) -> NDArray<S> {
        try NDArray(shape: t.shape, scalars: t.values.map { S($0) })
    }

    static func tensor<S: BCEScalar>(_ a: NDArray<S>, _ dtype: DType) -> GoldenTensor {
        let values = a.scalars.map { Double($0) }
        // NDArray keeps count == product(shape); fall back to a flat shape rather than trap if not.
        return (try? GoldenTensor(dtype: dtype, shape: a.shape, values: values))
            ?? (try! GoldenTensor(dtype: dtype, shape: [values.count], values: values))
    }
}

extension Reduction {
    init(_ r: ReductionKind) {
        switch r {
        case .none: self = .none
        case .mean: self = .mean
        case .sum: self = .sum
        }
    }
}
