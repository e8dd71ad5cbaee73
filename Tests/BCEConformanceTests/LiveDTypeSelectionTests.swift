import Testing
import BCEConformance
import BCEConformanceSwiftLibrary

/// `live --dtypes`: the generator draws only the dtypes asked for, and the rest of each case's
/// draw (loss, reduction, shape) is the same whatever the list, so a reproduction command that
/// names the list gives the same case.
@Suite("Live fuzzing: dtype selection")
struct LiveDTypeSelectionTests {
    @Test("a one-dtype list gives only that dtype, with the default generator's loss, reduction and shape for each index")
    func oneDType() {
        for dtype in DType.allCases {
            let chosen = LiveCaseGenerator(seed: 5, dtypes: [dtype]), all = LiveCaseGenerator(seed: 5)
            for index in 0..<200 {
                let c = chosen.makeCase(index), d = all.makeCase(index)
                #expect(c.dtype == dtype && c.inputs.input.dtype == dtype)
                #expect(c.loss == d.loss && c.reduction == d.reduction && c.inputs.input.shape == d.inputs.input.shape)
                #expect(c.comment.hasSuffix("--cases 1 --dtypes \(dtype.rawValue)"), "\(c.comment)")
            }
        }
        #expect(!LiveCaseGenerator(seed: 5).makeCase(0).comment.contains("--dtypes"))
    }

    @Test("an empty list means every dtype; the fuzzer draws only from the list it is given")
    func emptyAndFuzzer() throws {
        #expect(LiveCaseGenerator(seed: 1, dtypes: []).dtypes == DType.allCases)
        // Wrong on every dtype but float64: a case of another dtype would be a mismatch.
        let fuzzer = LiveFuzzer(
            implementation: { c in
                c.dtype == .float64 ? SwiftLibraryImplementation.evaluateNow(c) : .error(kind: "shape_mismatch", message: "planted")
            },
            oracle: LiveFuzzerTests.libraryOracle, policy: ComparisonPolicy(maxULP: 0))
        let report = try fuzzer.run(seed: 3, count: 50, dtypes: [.float64])
        #expect(report.cases == 50 && report.mismatches.isEmpty)
    }
}
