import Dispatch

/// The machine's read bandwidth as the bench measures it: two arrays read and summed, on the
/// Swift library's thread count, each thread summing its contiguous share of both arrays. The
/// arrays (`bytesPerArray` each, default 64 MiB) are far larger than the caches, so a pass reads
/// them from memory: a loss that reads its input and target once is bounded by this rate.
final class BandwidthProbe {
    let bytesPerArray: Int
    let threads: Int
    private let a: UnsafeMutableBufferPointer<UInt64>
    private let b: UnsafeMutableBufferPointer<UInt64>
    /// The sum of the last pass (kept so the reads cannot be optimised away).
    private(set) var checksum: UInt64 = 0

    init(bytesPerArray: Int = 64 << 20, threads: Int) {
        self.bytesPerArray = bytesPerArray
        self.threads = max(1, threads)
        let count = bytesPerArray / MemoryLayout<UInt64>.stride
        a = .allocate(capacity: count)
        b = .allocate(capacity: count)
        // Written once, so every page is mapped before the first timed pass.
        for i in 0 ..< count {
            a[i] = UInt64(truncatingIfNeeded: i) &* 0x9E37_79B9_7F4A_7C15
            b[i] = UInt64(truncatingIfNeeded: i) ^ 0x5555
        }
    }

    deinit {
        a.deallocate()
        b.deallocate()
    }

    /// Bytes one pass reads (both arrays).
    var bytesPerPass: Int { 2 * a.count * MemoryLayout<UInt64>.stride }

    /// Seconds of one pass over both arrays.
    func sample() -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        checksum = pass()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    private func pass() -> UInt64 {
        let count = a.count, threads = threads
        nonisolated(unsafe) let a = UnsafeBufferPointer(a), b = UnsafeBufferPointer(b)
        if threads == 1 { return Self.sum(a, b, 0 ..< count) }
        // One cache line per thread; each thread writes only its own slot.
        nonisolated(unsafe) let sums = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: threads * 8)
        defer { sums.deallocate() }
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            let share = (count + threads - 1) / threads
            let range = min(count, index * share) ..< min(count, (index + 1) * share)
            sums[index * 8] = Self.sum(a, b, range)
        }
        var total: UInt64 = 0
        for index in 0 ..< threads { total &+= sums[index * 8] }
        return total
    }

    /// The wrapping sum of a[i] + b[i] over `range` (integer lanes: the compiler vectorises it).
    @inline(never)
    private static func sum(_ a: UnsafeBufferPointer<UInt64>, _ b: UnsafeBufferPointer<UInt64>, _ range: Range<Int>) -> UInt64 {
        var s0: UInt64 = 0, s1: UInt64 = 0
        var i = range.lowerBound
        let end = range.upperBound
        while i + 1 < end {
            s0 &+= a[i] &+ b[i]
            s1 &+= a[i + 1] &+ b[i + 1]
            i += 2
        }
        if i < end { s0 &+= a[i] &+ b[i] }
        return s0 &+ s1
    }
}
