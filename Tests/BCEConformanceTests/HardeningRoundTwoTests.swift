import Foundation
import Testing
import BCEConformance
import BCEConformanceSwiftLibrary

/// Issue 15 (hardening, round two): each class of defect, reproduced in-process where it can be.
@Suite("Hardening round two: in-process checks")
struct HardeningRoundTwoTests {
    /// Item 7: the in-process library evaluation must report errors in CONTRACTS section 1's check
    /// order: grad_output's shape before any range, for every loss and reduction.
    @Test(arguments: [LossKind.bce, .bceWithLogits], [ReductionKind.none, .mean, .sum])
    func gradOutputShapeIsCheckedBeforeRanges(_ loss: LossKind, _ reduction: ReductionKind) throws {
        let input = try GoldenTensor(dtype: .float32, shape: [2], values: [0.5, 0.5])
        // A target out of [0, 1] (BCE's range error) and a grad_output of the wrong shape.
        let target = try GoldenTensor(dtype: .float32, shape: [2], values: [-1, 0.5])
        let gradOutput = try GoldenTensor(dtype: .float32, shape: [3], values: [1, 1, 1])
        let golden = GoldenCase(id: "t", loss: loss, dtype: .float32, reduction: reduction,
                                inputs: .init(input: input, target: target, gradOutput: gradOutput),
                                expectation: .error(kind: "not_broadcastable"))
        guard case .error(let kind, _) = SwiftLibraryImplementation.evaluateNow(golden) else {
            Issue.record("no error for \(loss) \(reduction)")
            return
        }
        #expect(kind == "not_broadcastable", "\(loss) \(reduction)")
    }

    /// Item 7, the other side: with a well-shaped grad_output the range error is still reported.
    @Test func rangesAreStillCheckedWithAGoodGradOutput() throws {
        let input = try GoldenTensor(dtype: .float32, shape: [2], values: [0.5, 0.5])
        let target = try GoldenTensor(dtype: .float32, shape: [2], values: [-1, 0.5])
        let golden = GoldenCase(id: "t", loss: .bce, dtype: .float32, reduction: .none,
                                inputs: .init(input: input, target: target), expectation: .error(kind: "target_out_of_range"))
        guard case .error(let kind, _) = SwiftLibraryImplementation.evaluateNow(golden) else {
            Issue.record("no error")
            return
        }
        #expect(kind == "target_out_of_range")
    }
}
