import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads a loss call may use.
///
/// Large inputs (from ``minimumParallelCount`` elements) are cut into fixed blocks of 4096
/// elements in index order, and the blocks are shared among up to ``maximum`` threads. The
/// partition never depends on the thread count, and sums combine the block sums in a fixed tree,
/// so every result is bit-identical whatever ``maximum`` is.
public enum BCEThreads {
    private static let configured = Atomic<Int>(0)   // 0: not set

    /// The most threads one call uses; by default the number of active processors. Values below
    /// 1 are taken as 1 (single-threaded).
    public static var maximum: Int {
        get {
            let value = configured.load(ordering: .relaxed)
            return value > 0 ? value : processorCount
        }
        set { configured.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Below this many elements a call runs on the calling thread only.
    public static var minimumParallelCount: Int { 2 * BlockPartition.blockSize }

    static let processorCount: Int = {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }()
}

/// The fixed blocks of an elementwise pass: block `b` covers elements `b * blockSize ..<
/// min(count, (b + 1) * blockSize)`. The same blocks as ``BlockedSummation``'s.
struct BlockPartition {
    static var blockSize: Int { BlockedSummation<Double>.blockSize }

    let count: Int
    var blockCount: Int { (count + Self.blockSize - 1) / Self.blockSize }

    func range(ofBlock b: Int) -> Range<Int> {
        b * Self.blockSize ..< min(count, (b + 1) * Self.blockSize)
    }

    /// The number of threads to use for `count` elements.
    var threadCount: Int {
        count < BCEThreads.minimumParallelCount ? 1 : min(BCEThreads.maximum, blockCount)
    }

    /// Calls `body` once for each block in `blocks`, on up to `threads` threads (the caller's
    /// among them); blocks are handed out in ascending order as threads become free. `body` must
    /// only write state that belongs to its block.
    func forEachBlock(_ blocks: Range<Int>, threads: Int, _ body: (Int) -> Void) {
        let workers = min(threads, blocks.count)
        if workers <= 1 {
            for b in blocks { body(b) }
            return
        }
        let next = Atomic<Int>(blocks.lowerBound)
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if b >= blocks.upperBound { break }
                    shared.value(b)
                }
            }
        }
    }
}

/// A value handed to worker threads that only touch disjoint parts of what it refers to.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The first error, by block index, of a pass whose blocks run in any order.
final class FirstBlockError: @unchecked Sendable {
    private let lock = Mutex<(block: Int, error: BCEError)?>(nil)

    func record(block: Int, _ error: BCEError) {
        lock.withLock { first in
            if first == nil || block < first!.block { first = (block, error) }
        }
    }

    /// Whether a block before `block` already failed (so `block` need not run).
    func failed(before block: Int) -> Bool {
        lock.withLock { first in first.map { $0.block < block } ?? false }
    }

    var error: BCEError? { lock.withLock { $0?.error } }
}
