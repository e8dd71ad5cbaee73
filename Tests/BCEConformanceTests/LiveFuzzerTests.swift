import Foundation
import Testing
import BCEConformance
import BCEConformanceSwiftLibrary

/// The live fuzzer's core, with the library as the oracle and a planted bug in a test double.
@Suite("Live fuzzing")
struct LiveFuzzerTests {
    /// The library's outcome as an expectation: an oracle that agrees with the library.
    static let libraryOracle: LiveFuzzer.Oracle = { c in
        switch SwiftLibraryImplementation.evaluateNow(c) {
        case .outputs(let o): return .outputs(.init(loss: o.loss, gradInput: o.gradInput, gradTarget: o.gradTarget))
        case .error(let kind, _): return .error(kind: kind)
        case .skipped(let reason): throw LiveFuzzer.OracleFailure(caseID: c.id, message: reason)
        }
    }

    /// The library, except that bce_with_logits loses 1% of the loss of any element whose logit exceeds 3.
    static let plantedBug: LiveFuzzer.Implementation = { c in
        let outcome = SwiftLibraryImplementation.evaluateNow(c)
        guard c.loss == .bceWithLogits, c.reduction == .none, case .outputs(var o) = outcome else { return outcome }
        for (i, x) in c.inputs.input.values.enumerated() where x > 3 && x.isFinite && o.loss.values[i].isFinite {
            o.loss.values[i] = c.dtype.rounded(o.loss.values[i] * 0.99 - 1)
        }
        return .outputs(o)
    }

    @Test func theLibraryAgreesWithItself() throws {
        let fuzzer = LiveFuzzer(implementation: { SwiftLibraryImplementation.evaluateNow($0) }, oracle: Self.libraryOracle,
                                policy: ComparisonPolicy(maxULP: 0))
        let report = try fuzzer.run(seed: 7, count: 300)
        #expect(report.mismatches.isEmpty)
        #expect(report.cases == 300)
    }

    @Test func aPlantedBugIsFoundShrunkAndReproducible() throws {
        let fuzzer = LiveFuzzer(implementation: Self.plantedBug, oracle: Self.libraryOracle, policy: ComparisonPolicy(maxULP: 2))
        let report = try fuzzer.run(seed: 11, count: 2000)
        let mismatch = try #require(report.mismatches.first, "the planted bug was not found in 2000 cases")
        // Shrunk to a single element, which is the one the bug touches.
        #expect(mismatch.shrunk.inputs.input.count == 1, "shrunk to \(mismatch.shrunk.inputs.input.shape)")
        #expect(mismatch.shrunk.inputs.input.values[0] > 3)
        #expect(mismatch.shrunk.loss == .bceWithLogits && mismatch.shrunk.reduction == .none)
        #expect(mismatch.comparison.status == .failed)
        // The printed case is valid golden JSON, and the seed and index reproduce the failure.
        let file = "{\"format_version\": \(GoldenFormat.version), \"loss\": \"bce_with_logits\", \"dtype\": \"\(mismatch.shrunk.dtype.rawValue)\", \"cases\": [\(mismatch.goldenJSON)]}"
        let parsed = try GoldenFileReader.read(Data(file.utf8), path: "pasted.json")
        #expect(parsed.cases.first?.id == mismatch.shrunk.id)
        #expect(mismatch.shrunk.comment.contains("--seed 11 --first \(mismatch.index) --cases 1"))
        let again = try fuzzer.run(seed: 11, first: mismatch.index, count: 1)
        #expect(again.mismatches.count == 1)
        #expect(ComparisonPolicy(maxULP: 2).compare(parsed.cases[0], Self.plantedBug(parsed.cases[0])).status == .failed)
    }

    @Test func theShrinkWalkRestartsFromEachAcceptedCaseAndStopsAtTheBudget() throws {
        let t = try GoldenTensor(dtype: .float32, shape: [4], values: [0.1, 0.2, 0.3, 0.4])
        let start = GoldenCase(id: "bce/float32/none/walk", loss: .bce, dtype: .float32, reduction: .none,
                               inputs: .init(input: t, target: t), expectation: .error(kind: ""))
        // Accepting every first candidate: [4] -> [2] -> [1] (halves), -> [] (the size-1 axis dropped), which has none.
        var walk = ShrinkWalk(from: start, budget: 100)
        var shapes = [[Int]]()
        while let candidate = walk.next() {
            shapes.append(candidate.inputs.input.shape)
            walk.accept(candidate)
        }
        #expect(shapes == [[2], [1], []])
        // Accepting none: every candidate of [4] once (2 halves + 4 single indices), then the walk ends.
        var refusing = ShrinkWalk(from: start, budget: 100)
        var tried = 0
        while refusing.next() != nil { tried += 1 }
        #expect(tried == CaseShrinker.candidates(start).count && tried == 6)
        // A budget of 4 evaluates 3 candidates (the budget counts the call that ends the walk).
        var short = ShrinkWalk(from: start, budget: 4)
        tried = 0
        while short.next() != nil { tried += 1 }
        #expect(tried == 3)
    }

    @Test func casesAreReproducibleFromSeedAndIndex() {
        let a = LiveCaseGenerator(seed: 5).makeCase(42), b = LiveCaseGenerator(seed: 5).makeCase(42)
        #expect(a.id == b.id)
        #expect(a.inputs.input.values.map(\.bitPattern) == b.inputs.input.values.map(\.bitPattern))
        #expect(a.inputs.target.values.map(\.bitPattern) == b.inputs.target.values.map(\.bitPattern))
    }

    @Test func theGeneratorReachesTheEdges() {
        let g = LiveCaseGenerator(seed: 3)
        var sawZero = false, sawOne = false, sawSubnormal = false, sawHugeLogit = false, sawEmpty = false, sawWeight = false
        for k in 0..<3000 {
            let c = g.makeCase(k)
            sawEmpty = sawEmpty || c.inputs.input.count == 0
            sawWeight = sawWeight || c.inputs.weight != nil
            for x in c.inputs.input.values {
                if c.loss == .bce {
                    sawZero = sawZero || x == 0
                    sawOne = sawOne || x == 1
                    let leastNormal = switch c.dtype {
                    case .float16: Double(Float16.leastNormalMagnitude)
                    case .bfloat16, .float32: Double(Float.leastNormalMagnitude)
                    case .float64: Double.leastNormalMagnitude
                    }
                    sawSubnormal = sawSubnormal || (x != 0 && abs(x) < leastNormal)
                } else {
                    sawHugeLogit = sawHugeLogit || abs(x) >= 88
                }
            }
        }
        #expect(sawZero && sawOne && sawSubnormal && sawHugeLogit && sawEmpty && sawWeight)
    }
}
