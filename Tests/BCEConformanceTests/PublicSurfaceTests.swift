import Foundation
import Testing

/// What an importer of the loss library sees (issue 14): the losses and `BCEScalar`'s one
/// sealing requirement, not the arithmetic behind them (`bceWide`, `init(bceRounding:)`,
/// `bceGradientEpsilon`, `WideScalar` of `BCEArithmetic`), nor what this package's tests reach
/// (declared `package`, so that they import the modules plainly and run on the release build).
/// Each snippet is type-checked by `swiftc` against the built modules, as a client package would
/// compile it (no `@testable`, another package's name).
@Suite("The loss library's public surface")
struct PublicSurfaceTests {
    static let products = Tool.executable.deletingLastPathComponent()

    /// `swiftc -typecheck` of `source`, importing the built BinaryCrossEntropy.
    static func typecheck(_ source: String) throws -> Tool.Result {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("surface-\(UUID().uuidString).swift")
        try Data(source.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        // The scratch directory (any --scratch-path) is two levels above the products directory.
        let scratch = products.deletingLastPathComponent().deletingLastPathComponent()
        let shims = scratch.appendingPathComponent("checkouts/swift-numerics/Sources/_NumericsShims/include")
        return try Tool.run(
            ["swiftc", "-typecheck", "-I", products.appendingPathComponent("Modules").path, "-I", shims.path,
             "-Xcc", "-fmodule-map-file=" + products.appendingPathComponent("BCESIMDKernels.build/module.modulemap").path,
             file.path],
            limit: 120, program: URL(fileURLWithPath: "/usr/bin/env"))
    }

    static let prelude = "import BinaryCrossEntropy\nlet x = try! NDArray<Float>(shape: [2], scalars: [0.25, 0.5])\n"

    @Test func aClientCallsTheLossesAndReadsTheScalarKind() throws {
        let r = try Self.typecheck(Self.prelude + "_ = try! binaryCrossEntropy(x, x)\nprint(Float.bceScalarKind, Double.bceScalarKind)\n")
        #expect(r.status == 0, "\(r.description)")
    }

    @Test func aClientRunsATrainingStepOverSpans() throws {
        let step = """
            let logits: [Float] = [0.5, -1, 2, 0], targets: [Float] = [1, 0, 1, 0], posWeight: [Float] = [2, 1]
            var grad = [Float](repeating: 0, count: 4), targetGrad = grad
            var g = grad.mutableSpan
            var t: MutableSpan<Float>? = targetGrad.mutableSpan
            let loss = try! binaryCrossEntropyWithLogitsAndGradients(
                logits.span, targets.span, shape: [2, 2], posWeight: posWeight.span, posWeightShape: [2], inputGradient: &g)
            try! binaryCrossEntropyWithLogitsBackward(
                logits.span, targets.span, shape: [2, 2], reduction: .sum, gradOutput: [Float(1)].span,
                inputGradient: &g, targetGradient: &t)
            print(loss)

            """
        let r = try Self.typecheck(Self.prelude + step)
        #expect(r.status == 0, "\(r.description)")
    }

    @Test(arguments: [
        ("_ = Float(1).bceWide", "bceWide"),
        ("_ = Double(bceRounding: 1)", "bceRounding"),
        ("_ = Float16.bceGradientEpsilon", "bceGradientEpsilon"),
        ("let _: Double.WideScalar? = nil", "WideScalar"),
        ("_ = BCEScalarKind(.float)", "BCEScalarKind"),
        ("_ = CompensatedSum<Double>()", "CompensatedSum"),
        ("_ = WorkerPool.shared", "WorkerPool"),
        ("_ = BCEFormulas.self", "BCEFormulas"),
    ])
    func theArithmeticBehindTheLossesIsNotVisible(_ line: String, _ name: String) throws {
        let r = try Self.typecheck(Self.prelude + line + "\n")
        #expect(r.status != 0, "\(r.description)")
        #expect(r.stderr.contains("error:") && r.stderr.contains(name), "\(r.description)")
    }
}
