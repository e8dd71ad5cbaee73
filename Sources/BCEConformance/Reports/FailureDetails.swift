/// What a report shows of a failure so that it leads to the bug (issue 13): each failing element
/// with the inputs at it (after broadcasting, with each argument's own index), its kind of
/// problem, and the case-level messages. Every report (text, JSON, JUnit, HTML) builds on these.

/// One argument's value at an element, and its flat index in the argument's own tensor (it
/// differs from the element's index where the argument is broadcast).
public struct ArgumentValue: Sendable, Equatable, Codable {
    public var value: Double
    public var index: Int
    package init(value: Double, index: Int) { (self.value, self.index) = (value, index) }
}

/// The inputs of one element of a case (a flat index into the input's shape).
public struct ElementInputs: Sendable, Equatable, Codable {
    public var element: Int
    public var input: ArgumentValue
    public var target: ArgumentValue
    public var weight: ArgumentValue?
    public var posWeight: ArgumentValue?
    public var gradOutput: ArgumentValue?

    /// nil when `element` is not an element of the input (or a tensor does not broadcast, which
    /// the golden reader already refuses).
    public init?(_ inputs: GoldenCase.Inputs, element: Int) {
        guard element >= 0, element < inputs.input.count, element < inputs.target.count else { return nil }
        let shape = inputs.input.shape
        func at(_ t: GoldenTensor?) -> ArgumentValue?? {
            guard let t else { return .some(nil) }
            let j = ComparisonPolicy.broadcastIndex(element, from: shape, to: t.shape)
            guard j >= 0, j < t.count else { return nil }
            return ArgumentValue(value: t.values[j], index: j)
        }
        guard let w = at(inputs.weight), let p = at(inputs.posWeight), let g = at(inputs.gradOutput) else { return nil }
        self.element = element
        input = ArgumentValue(value: inputs.input.values[element], index: element)
        target = ArgumentValue(value: inputs.target.values[element], index: element)
        weight = w
        posWeight = p
        gradOutput = g
    }

    /// The arguments present, in the protocol's order, with their names.
    public var named: [(name: String, value: ArgumentValue)] {
        var out = [("input", input), ("target", target)]
        if let weight { out.append(("weight", weight)) }
        if let posWeight { out.append(("pos_weight", posWeight)) }
        if let gradOutput { out.append(("grad_output", gradOutput)) }
        return out
    }

    /// "input[3] = 0.0, target[3] = 1.0, weight[1] = 2.0, grad_output[0] = 1.0".
    public var description: String {
        named.map { "\($0.name)[\($0.value.index)] = \(Comparison.format($0.value.value))" }.joined(separator: ", ")
    }
}

/// One problem of a failing case: an element that matched nothing (`mismatch`), or a case-level
/// message (wrong or missing error, missing output, wrong shape).
public struct FailureDetail: Sendable {
    public var mismatch: Mismatch?
    public var message: String?
    public var kind: ProblemKind
    /// Why the inputs put it in that kind ("p = 0: log(p) clamps at -100"), when they did.
    public var note: String?
    /// The failing element's inputs; for a mean or sum loss, up to `shownReducedElements` of the
    /// elements it reduces (the special ones first).
    public var elements: [ElementInputs]
    /// For a mean or sum loss: how many elements it reduces.
    public var reducedOver: Int?

    public static let shownReducedElements = 3

    /// The details of a case's problems: its messages, then its kept mismatches.
    public static func of(_ result: CaseResult) -> [FailureDetail] {
        let golden = result.golden
        var out = [FailureDetail]()
        for message in result.comparison.messages where result.comparison.status == .failed {
            let validation: Bool
            if case .error = golden.expectation { validation = true } else { validation = message.contains("got error") }
            out.append(FailureDetail(mismatch: nil, message: message, kind: validation ? .validation : ProblemKind.fromFlags(golden.flags),
                                     note: nil, elements: [], reducedOver: nil))
        }
        let elementwise = result.comparison.mismatches.filter { !($0.output == "loss" && golden.reduction != .none) }
            .map { of($0, in: golden) }
        for m in result.comparison.mismatches {
            if m.output == "loss", golden.reduction != .none {
                out.append(ofReduction(m, in: golden, gradients: elementwise,
                                        gradientsCompared: golden.expectsGradients && result.comparison.messages.isEmpty))
            }
        }
        return out + elementwise
    }

    /// A mean or sum loss depends on every element, so its kind is decided with the case's
    /// elementwise gradients where they were compared: they pass everywhere → the reduction
    /// itself (reductions); they fail at one of its special elements (p at 0 or 1, non-finite,
    /// ...) → that element's kind; they fail only at ordinary elements → the first one's kind.
    /// Without gradients: the most telling special element's kind, else reductions.
    static func ofReduction(_ m: Mismatch, in golden: GoldenCase, gradients: [FailureDetail], gradientsCompared: Bool) -> FailureDetail {
        var d = of(m, in: golden)
        guard gradientsCompared else { return d }
        // A gradient failure is "special" when its element's inputs classified it (it has a note).
        let ordinary = gradients.filter { $0.note == nil }
        if gradients.isEmpty {
            d.kind = .reductions
            d.note = "the gradients pass at every element: the reduction itself differs"
        } else if let first = ordinary.first {
            d.kind = first.kind
            d.note = "the gradients fail at ordinary elements too (element \(first.elements.first.map { String($0.element) } ?? "?"))"
        } else if let special = gradients.first, let e = special.elements.first {
            d.kind = special.kind
            d.note = "the gradients fail only at special elements, e.g. element \(e.element): \(special.note ?? "")"
        }
        return d
    }

    /// One failing element's detail (the classification rules of `ProblemKind`).
    public static func of(_ m: Mismatch, in golden: GoldenCase) -> FailureDetail {
        let inputs = golden.inputs
        if m.output == "loss", golden.reduction != .none {
            var special = [(ElementInputs, (kind: ProblemKind, note: String))]()
            var first = [ElementInputs]()
            for i in 0..<inputs.input.count {
                guard let e = ElementInputs(inputs, element: i) else { break }
                if first.count < shownReducedElements { first.append(e) }
                if let why = ProblemKind.inputKind(e, loss: golden.loss, dtype: golden.dtype) {
                    special.append((e, why))
                    if special.count == shownReducedElements { break }
                }
            }
            // The most telling kind among the special elements (non-finite before boundaries).
            let top = special.min { $0.1.kind < $1.1.kind }
            let note = top.map { "element \($0.0.element): \($0.1.note)" }
            return FailureDetail(mismatch: m, message: nil, kind: top?.1.kind ?? .reductions, note: note,
                                 elements: special.isEmpty ? first : special.map(\.0), reducedOver: inputs.input.count)
        }
        guard let e = ElementInputs(inputs, element: m.index) else {
            return FailureDetail(mismatch: m, message: nil, kind: ProblemKind.fromFlags(golden.flags), note: nil, elements: [], reducedOver: nil)
        }
        let why = ProblemKind.inputKind(e, loss: golden.loss, dtype: golden.dtype)
        return FailureDetail(mismatch: m, message: nil, kind: why?.kind ?? ProblemKind.fromFlags(golden.flags), note: why?.note,
                             elements: [e], reducedOver: nil)
    }

    /// The lines the text and JUnit reports show for it.
    public var lines: [String] {
        var out = [String]()
        if let message { out.append(message) }
        if let m = mismatch { out.append(m.line) }
        out.append("  kind: \(kind.title)" + (note.map { " (\($0))" } ?? ""))
        if let reducedOver {
            out.append("  a \(reducedOver == 1 ? "reduction of 1 element" : "reduction of \(reducedOver) elements")"
                       + (elements.isEmpty ? "" : ", among them:"))
        }
        for e in elements { out.append("  at element \(e.element): \(e.description)") }
        return out
    }
}
