import Foundation
import BCEConformance
import BCEConformanceSwiftLibrary

/// A small golden suite whose expected values come from the Swift library itself: it checks the
/// runner's mechanics (ports, reports, exit codes), not the library's accuracy (the real golden
/// files do that, in GoldenSuiteTests).
enum SyntheticSuite {
    static let flags = ["boundary": "edges", "signed-zero": "sign of zero matters", "weighted": "has a weight"]

    /// The dtypes the library evaluates (today all four), found by asking it: the file of a dtype it
    /// skipped would be empty, since its expected values would not come from the library.
    static let evaluatedDTypes: Set<DType> = Set(DType.allCases.filter { dtype in
        let t = try! GoldenTensor(dtype: dtype, shape: [1], values: [0.5])
        let probe = GoldenCase(id: "bce/\(dtype.rawValue)/mean/probe", loss: .bce, dtype: dtype, reduction: .mean,
                               inputs: .init(input: t, target: t), expectation: .error(kind: ""))
        if case .skipped = SwiftLibraryImplementation.evaluateNow(probe) { return false }
        return true
    })

    /// Every case, by file path (every loss × dtype file, some maybe empty).
    static func cases() -> [String: [[String: Any]]] {
        var files = [String: [[String: Any]]]()
        for loss in LossKind.allCases {
            for dtype in DType.allCases {
                var cases = [[String: Any]]()
                guard evaluatedDTypes.contains(dtype) else {
                    files["\(loss.rawValue)/\(dtype.rawValue).json"] = cases
                    continue
                }
                for reduction in ReductionKind.allCases {
                    let input: [Double] = loss == .bce ? [0.125, 0.75, 0, 1] : [-3, 0.5, 20, -0.25]
                    let target: [Double] = [0, 1, 0.25, 1]
                    cases.append(makeCase(loss, dtype, reduction, name: "basic", input: input, target: target, weight: nil))
                    cases.append(makeCase(loss, dtype, reduction, name: "weighted", input: input, target: target,
                                          weight: [0.5, 2, 1, 0.25], flags: ["weighted"]))
                }
                if loss == .bce {
                    cases.append(makeCase(loss, dtype, .none, name: "input-above-one", input: [1.5], target: [1], weight: nil))
                }
                cases.append(makeCase(loss, dtype, .mean, name: "shape-mismatch", input: [0.5, 0.5], target: [1], weight: nil))
                files["\(loss.rawValue)/\(dtype.rawValue).json"] = cases
            }
        }
        return files
    }

    static func makeCase(_ loss: LossKind, _ dtype: DType, _ reduction: ReductionKind, name: String, input: [Double],
                         target: [Double], weight: [Double]?, flags: [String] = ["boundary"]) -> [String: Any] {
        let id = "\(loss.rawValue)/\(dtype.rawValue)/\(reduction.rawValue)/\(name)"
        let t = { (v: [Double]) in try! GoldenTensor(dtype: dtype, shape: [v.count], values: v.map(dtype.rounded)) }
        let golden = GoldenCase(id: id, loss: loss, dtype: dtype, reduction: reduction,
                                inputs: .init(input: t(input), target: t(target), weight: weight.map(t)),
                                expectation: .error(kind: ""))
        var object: [String: Any] = [
            "id": id, "comment": "synthetic", "flags": flags, "loss": loss.rawValue, "dtype": dtype.rawValue,
            "reduction": reduction.rawValue,
        ]
        var inputs: [String: Any] = ["input": json(golden.inputs.input), "target": json(golden.inputs.target)]
        if let w = golden.inputs.weight { inputs["weight"] = json(w) }
        object["inputs"] = inputs
        switch SwiftLibraryImplementation.evaluateNow(golden) {
        case .outputs(let o):
            var expected: [String: Any] = ["loss": json(o.loss)]
            if let g = o.gradInput { expected["grad_input"] = json(g) }
            if let g = o.gradTarget { expected["grad_target"] = json(g) }
            object["expected"] = expected
        case .error(let kind, _):
            object["expected_error"] = kind
        case .skipped:
            fatalError("the library skips nothing")
        }
        return object
    }

    static func json(_ t: GoldenTensor) -> [String: Any] {
        ["dtype": t.dtype.rawValue, "shape": t.shape, "hex": t.hex]
    }

    /// Writes the suite to a new temporary directory.
    static func write() throws -> URL {
        try GoldenFixtures.writeSuite(files(), flags: flags)
    }

    /// The case file objects, by path.
    static func files() -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: cases().map { path, cases in
            var file = GoldenFixtures.emptyFile(for: path)
            file["cases"] = cases
            return (path, file)
        })
    }

    static var allIDs: [String] {
        cases().values.flatMap { $0.map { $0["id"] as! String } }.sorted()
    }

    /// Ids of cases with outputs and reduction sum: what the perturbing port gets wrong.
    static var sumIDs: [String] {
        cases().values.flatMap { $0 }.filter { $0["reduction"] as? String == "sum" && $0["expected"] != nil }
            .map { $0["id"] as! String }.sorted()
    }
}
