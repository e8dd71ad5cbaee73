import Testing
@testable import BCEConformance

@Suite("Comparison policy")
struct ComparisonPolicyTests {
    func golden(_ expected: [Double], dtype: DType = .float32, flags: [String] = [], tolerance: Tolerance? = nil,
                scale: [Double]? = nil) throws -> GoldenCase {
        let shape = [expected.count]
        let t = try GoldenTensor(dtype: dtype, shape: shape, values: expected.map { _ in 0.5 })
        let e = try GoldenTensor(dtype: dtype, shape: shape, values: expected)
        return GoldenCase(id: "bce/\(dtype)/none/x", flags: flags, loss: .bce, dtype: dtype, reduction: .none,
                          inputs: .init(input: t, target: t),
                          expectation: .outputs(.init(loss: e, gradInput: e,
                                                      gradInputScale: try scale.map { try GoldenTensor(dtype: dtype, shape: shape, values: $0) })),
                          tolerance: tolerance)
    }

    func outcome(_ loss: [Double], grad: [Double]? = nil, dtype: DType = .float32) throws -> CaseOutcome {
        let l = try GoldenTensor(dtype: dtype, shape: [loss.count], values: loss)
        let g = try GoldenTensor(dtype: dtype, shape: [loss.count], values: grad ?? loss)
        return .outputs(.init(loss: l, gradInput: g))
    }

    @Test func exactMatchPasses() throws {
        let c = ComparisonPolicy(maxULP: 0).compare(try golden([1, .nan, .infinity, 0]), try outcome([1, .nan, .infinity, 0]))
        #expect(c.status == .passed)
    }

    @Test func nanNeedsNanAndInfinitiesMatchExactly() throws {
        let policy = ComparisonPolicy()
        #expect(policy.compare(try golden([.nan]), try outcome([1])).status == .failed)
        #expect(policy.compare(try golden([1]), try outcome([.nan])).status == .failed)
        #expect(policy.compare(try golden([.infinity]), try outcome([-.infinity])).status == .failed)
        #expect(policy.compare(try golden([.infinity]), try outcome([3.4e38])).status == .failed)
        #expect(policy.compare(try golden([3.4e38]), try outcome([.infinity])).status == .failed)
    }

    @Test func signOfZeroOnlyOnFlaggedCases() throws {
        let policy = ComparisonPolicy(maxULP: 2)
        #expect(policy.compare(try golden([-0.0]), try outcome([0.0])).status == .passed)
        let flagged = policy.compare(try golden([-0.0], flags: ["signed-zero"]), try outcome([0.0]))
        #expect(flagged.status == .failed)
        #expect(flagged.mismatches.first?.problem.contains("sign of zero") == true)
    }

    @Test func defaultToleranceAndOverride() throws {
        let policy = ComparisonPolicy()
        // float32 default: atol 1e-5 + rtol 1.3e-6 * 1 = 1.13e-5.
        #expect(policy.compare(try golden([1]), try outcome([1 + 1e-5])).status == .passed)
        #expect(policy.compare(try golden([1]), try outcome([1 + 2e-5])).status == .failed)
        let tight = Tolerance(rtol: 0, atol: 1e-9)
        #expect(policy.compare(try golden([1], tolerance: tight), try outcome([1 + 1e-5])).status == .failed)
        // float16 default: rtol 1e-3.
        #expect(policy.compare(try golden([1], dtype: .float16), try outcome([1.0009765625], dtype: .float16)).status == .passed)
    }

    @Test func strictModeCountsULPWithGradientScale() throws {
        let one = 1.0, next = Double(Float(1).nextUp), threeUp = Double(Float(1).nextUp.nextUp.nextUp)
        #expect(ComparisonPolicy(maxULP: 2).compare(try golden([one]), try outcome([next])).status == .passed)
        let three = ComparisonPolicy(maxULP: 2).compare(try golden([one]), try outcome([threeUp]))
        #expect(three.status == .failed)
        #expect(three.stats.maxULP == 3)
        #expect(three.stats.worstULPAt?.output == "loss")
        // A gradient near 0 that is the difference of two terms of size 1 is measured at that scale.
        let g = try golden([0], scale: [1])
        let r = ComparisonPolicy(maxULP: 2).compare(g, .outputs(.init(loss: try GoldenTensor(dtype: .float32, shape: [1], values: [0]),
                                                                      gradInput: try GoldenTensor(dtype: .float32, shape: [1], values: [Double(Float(1).ulp)]))))
        #expect(r.status == .passed)
        #expect(r.stats.maxULP == 1)
    }

    @Test func shapesMustMatchExactly() throws {
        let c = ComparisonPolicy().compare(try golden([1, 2]), .outputs(.init(loss: try GoldenTensor(dtype: .float32, shape: [1, 2], values: [1, 2]))))
        #expect(c.status == .failed)
    }

    @Test func errorsAndResults() throws {
        let e = GoldenCase(id: "bce/float32/none/e", loss: .bce, dtype: .float32, reduction: .none,
                           inputs: .init(input: try GoldenTensor(dtype: .float32, shape: [1], values: [2]),
                                         target: try GoldenTensor(dtype: .float32, shape: [1], values: [1])),
                           expectation: .error(kind: "input_out_of_range"))
        let policy = ComparisonPolicy()
        #expect(policy.compare(e, .error(kind: "input_out_of_range", message: "")).status == .passed)
        #expect(policy.compare(e, .error(kind: "shape_mismatch", message: "")).status == .failed)
        #expect(policy.compare(e, try outcome([1])).status == .failed)
        #expect(policy.compare(try golden([1]), .error(kind: "input_out_of_range", message: "")).status == .failed)
        #expect(policy.compare(e, .skipped(reason: "no")).status == .skipped)
    }

    @Test func missingGradientFails() throws {
        let c = ComparisonPolicy().compare(try golden([1]), .outputs(.init(loss: try GoldenTensor(dtype: .float32, shape: [1], values: [1]))))
        #expect(c.status == .failed)
        #expect(c.messages == ["grad_input is missing"])
    }
}
