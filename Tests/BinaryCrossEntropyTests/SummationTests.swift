import Testing
import BinaryCrossEntropy

@Suite("Summation and broadcasting internals")
struct SummationTests {
    @Test("compensated blocked sum of 1 + 1e-16 · n is exact where naive summation loses it all")
    func compensatedSum() {
        var blocked = BlockedSummation<Double>()
        var naive = 0.0
        blocked.add(1)
        naive += 1
        for _ in 0..<100_000 {
            blocked.add(1e-16)
            naive += 1e-16
        }
        #expect(naive == 1)   // each 1e-16 is below half an ULP of 1
        #expect(blocked.total() == 1.00000000001)   // 1 + 1e-11
    }

    @Test("the sum is the same however the stream is cut, and matches the exact total of integers")
    func deterministicAndExactOnIntegers() {
        func total(_ n: Int) -> Double {
            var s = BlockedSummation<Double>()
            for i in 0..<n { s.add(Double(i)) }
            return s.total()
        }
        let blockSize = BlockedSummation<Double>.blockSize
        for n in [0, 1, blockSize - 1, blockSize, blockSize + 1, 3 * blockSize + 5, 20 * blockSize + 7] {
            #expect(total(n) == Double(n * (n - 1) / 2))
        }
    }

    @Test("blocks summed independently (as parallel workers would) and combined in order give the serial bits")
    func splitIndependence() {
        var rng = SplitMix64(seed: 9)
        let blockSize = BlockedSummation<Double>.blockSize
        let values = (0..<(5 * blockSize + 123)).map { _ in Double.random(in: 0...1, using: &rng) * Double(sign: .plus, exponent: Int.random(in: -40...40, using: &rng), significand: 1) }
        var serial = BlockedSummation<Double>()
        for v in values { serial.add(v) }
        // Workers: each block summed on its own, in any order; then fed in index order.
        let blocks = stride(from: 0, to: values.count, by: blockSize).reversed().map { start in
            (start, values[start ..< min(start + blockSize, values.count)].reduce(into: CompensatedSum<Double>()) { $0.add($1) })
        }
        var combined = BlockedSummation<Double>()
        for (_, sum) in blocks.sorted(by: { $0.0 < $1.0 }) { combined.add(blockSum: sum) }
        let total = serial.total()
        #expect(total.bitPattern == combined.total().bitPattern)
    }

    @Test("infinities and NaN propagate through the compensated sum")
    func nonFinite() {
        var s = BlockedSummation<Double>()
        s.add(1); s.add(.infinity); s.add(2)
        #expect(s.total() == .infinity)
        var t = BlockedSummation<Double>()
        t.add(.infinity); t.add(-.infinity)
        #expect(t.total().isNaN)
    }

    @Test("a 100,000-element Float mean over a constant equals the constant's loss exactly")
    func largeMeanOfConstant() throws {
        let n = 100_000
        let x = NDArray<Float>(Array(repeating: 0.3, count: n)), y = NDArray<Float>(Array(repeating: 1, count: n))
        let single = try binaryCrossEntropy(NDArray<Float>(scalar: 0.3), NDArray(scalar: 1)).scalar
        #expect(try binaryCrossEntropy(x, y).scalar == single)
    }

    @Test("Float16: a sum past 65504 overflows to +infinity, but the mean of the same terms is exact")
    func float16SumOverflowMeanDoesNot() throws {
        // 10,000 terms of 100 (x = 0, y = 1 hits the clamp): sum 1e6 > Float16.greatestFiniteMagnitude.
        let x = NDArray<Float16>(Array(repeating: 0, count: 10_000)), y = NDArray<Float16>(Array(repeating: 1, count: 10_000))
        #expect(try binaryCrossEntropy(x, y, reduction: .sum).scalar == .infinity)
        #expect(try binaryCrossEntropy(x, y, reduction: .mean).scalar == 100)
    }

    @Test("broadcast plan merges dimensions: same shape is one row, (C,) gives rows of C, (C,1,1) per channel")
    func broadcastPlanRows() {
        func rows(_ output: [Int], _ operand: [Int]) -> [[Int]] {
            var result: [[Int]] = []
            BroadcastPlan(output: output, operands: (operand, [], [])).forEachRow { row in
                result.append([row.outputStart, row.count, row.operandStart.0, row.operandStride.0])
                return true
            }
            return result
        }
        #expect(rows([2, 3, 4], [2, 3, 4]) == [[0, 24, 0, 1]])
        #expect(rows([2, 3], []) == [[0, 6, 0, 0]])
        #expect(rows([2, 3], [3]) == [[0, 3, 0, 1], [3, 3, 0, 1]])
        #expect(rows([2, 3], [2, 1]) == [[0, 3, 0, 0], [3, 3, 1, 0]])
        #expect(rows([2, 2, 1, 2], [2, 1, 1]) == [[0, 2, 0, 0], [2, 2, 1, 0], [4, 2, 0, 0], [6, 2, 1, 0]])
        #expect(rows([], []) == [[0, 1, 0, 0]])
        #expect(rows([3, 0], [0]).isEmpty)
    }

    @Test("gather expands an operand over any range as NumPy's broadcast index says: per class (C,) and (1, C), per row, per channel, strided leading 1s; ranges starting mid-row")
    func gatherMatchesBroadcastIndex() {
        /// The operand element at flat output index `i`, by NumPy's rule: aligned from the last dimension.
        func reference(_ output: [Int], _ operand: [Int], _ i: Int) -> Int {
            var rest = i, index = 0, step = 1
            for k in 0 ..< output.count {
                let dim = output.count - 1 - k
                let coordinate = rest % output[dim]
                rest /= output[dim]
                let operandDim = operand.count - 1 - k
                guard operandDim >= 0 else { continue }
                if operand[operandDim] != 1 { index += coordinate * step }
                step *= operand[operandDim]
            }
            return index
        }
        let cases: [([Int], [Int])] = [
            ([7, 50], [50]), ([7, 50], [1, 50]), ([7, 50], [7, 1]), ([3, 4, 5, 6], [4, 1, 1]),
            ([3, 4, 5, 6], [5, 6]), ([2, 3, 5], [1, 3, 1]), ([4, 3], [3]), ([1, 64], [64]),
        ]
        for (output, operand) in cases {
            let n = output.reduce(1, *), m = operand.reduce(1, *)
            let source = (0 ..< m).map { Double($0) }
            let plan = BroadcastPlan(output: output, operands: (operand, [], []))
            for (start, end) in [(0, n), (1, n), (n / 3, n - 1), (n - 1, n), (min(5, n), min(5, n) + 1)] {
                var destination = [Double](repeating: -1, count: end - start)
                source.withUnsafeBufferPointer { s in
                    destination.withUnsafeMutableBufferPointer { d in
                        plan.gather(operand: 0, start ..< end, from: s.baseAddress!, into: d.baseAddress!)
                    }
                }
                let expected = (start ..< end).map { Double(reference(output, operand, $0)) }
                #expect(destination == expected, "\(operand) over \(output), elements \(start) ..< \(end)")
            }
        }
    }
}

@Suite("NDArray")
struct NDArrayTests {
    @Test("0-d, 1-d and empty arrays report shape, count and rank")
    func shapes() throws {
        let scalar = NDArray<Float>(scalar: 2)
        #expect(scalar.shape == [] && scalar.count == 1 && scalar.rank == 0 && scalar.scalar == 2)
        let vector = NDArray<Float>([1, 2, 3])
        #expect(vector.shape == [3] && vector.scalar == nil)
        let empty = try NDArray<Float>(shape: [4, 0, 2], scalars: [])
        #expect(empty.count == 0)
        // A zero dimension makes the count 0 even when the other extents would overflow.
        #expect(try NDArray<Float>(shape: [Int.max, Int.max, 0], scalars: []).count == 0)
    }

    @Test("init from a buffer copies its elements; reshaped keeps them")
    func fromBuffer() throws {
        let source: [Double] = [1, 2, 3, 4, 5, 6]
        let array = try source.withUnsafeBufferPointer { buffer throws(BCEError) in
            try NDArray(shape: [2, 3], copying: buffer)
        }
        #expect(array.scalars == source)
        #expect(try array.reshaped(to: [3, 2]).shape == [3, 2])
    }
}
