import Foundation
import Testing
import PythonBridge
import Synchronization

/// One NumPy computation whose result depends on `seed`: sum(log1p(x)) over a zero-copy view and
/// 2 * x written into Swift memory through out=, checked against Swift's own arithmetic.
private func computeWithNumPy(seed: Int) throws -> Bool {
    let input = (0..<257).map { Double(($0 * 31 + seed) % 97) / 8 }
    var doubled = [Double](repeating: 0, count: input.count)
    let expectedSum = input.reduce(0) { $0 + Foundation.log1p($1) }
    let sum = try Python.withGIL { py throws(PythonError) -> Double in
        let np = try py.numpy()
        return try input.withUnsafeBufferPointer { (buffer) throws(PythonError) -> Double in
            try py.withNumPyView(of: buffer, shape: [input.count]) { (array) throws(PythonError) -> Double in
                _ = try doubled.withUnsafeMutableBufferPointer { (output) throws(PythonError) in
                    try py.withNumPyView(ofMutable: output, shape: [input.count]) { (out) throws(PythonError) in
                        _ = try np.attr("multiply").call(array, 2, kwargs: ["out": out])
                    }
                }
                return try Double(python: np.attr("sum").call(np.attr("log1p").call(array)))
            }
        }
    }
    return abs(sum - expectedSum) <= 1e-9 * abs(expectedSum) && doubled == input.map { $0 * 2 }
}

@Suite("Many threads and tasks at once")
struct ConcurrencyTests {
    @Test func eightThreads() throws {
        let threadCount = 8
        let iterations = 200
        let failures = Mutex(0)
        let group = DispatchGroup()
        for thread in 0..<threadCount {
            group.enter()
            let worker = Thread {
                for iteration in 0..<iterations {
                    let ok = (try? computeWithNumPy(seed: thread * 1000 + iteration)) ?? false
                    if !ok { failures.withLock { $0 += 1 } }
                }
                group.leave()
            }
            worker.start()
        }
        group.wait()
        #expect(failures.withLock { $0 } == 0)
    }

    @Test func sixteenTasks() async throws {
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask {
                    var allRight = true
                    for iteration in 0..<100 {
                        allRight = try computeWithNumPy(seed: task * 7919 + iteration) && allRight
                    }
                    return allRight
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 })
    }
}
