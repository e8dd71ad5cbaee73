// Multi-threading of the block passes: a persistent pool of worker threads.
//
// A large call cuts its elements into the fixed blocks of BlockPartition (the summation's blocks)
// and hands them out in ascending order through an atomic counter to the calling thread and up to
// `BCEThreads.maximum - 1` pool workers; `body` runs exactly once per block. The partition never
// depends on the thread count, so neither does any result.
//
// Why a pool of our own rather than DispatchQueue.concurrentPerform: waking idle libdispatch
// workers costs tens of microseconds on small VMs, as much as a whole 10,000-element call. The
// pool's workers are created lazily on the first parallel call (more are added when `maximum` is
// raised) and, after a job, spin for `WorkerPool.spinDuration` (like OpenMP's spin-wait,
// KMP_BLOCKTIME / GOMP_SPINCOUNT) watching for the next job before they park on a condition
// variable; back-to-back calls (a training loop, a benchmark) therefore find them awake. Workers
// beyond the number of other processors (when `maximum` exceeds the processor count) park at
// once instead: spinning would take processors from the threads doing the work.
//
// Concurrency: one call at a time owns the pool (a try-lock). A call that finds it busy —
// another thread's call, or a nested call from inside a block — runs on its calling thread
// alone: no caller ever waits for another call, so nothing can deadlock, and the result is the
// same bits.

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
/// Inputs of at least ``minimumParallelCount`` elements are cut into fixed blocks of 1024
/// elements in index order, and the blocks are shared among up to ``maximum`` threads: the
/// calling thread and persistent worker threads of the library's own. The partition never depends
/// on the thread count, and sums combine the block sums in a fixed tree, so every result is
/// bit-identical whatever ``maximum`` is. Calls made while another call is using the worker
/// threads (from other threads, or from inside a call) run on their calling thread alone.
public enum BCEThreads {
    private static let configured = Atomic<Int>(0)   // 0: not set

    /// The most threads one call uses; by default the number of active processors. Values below
    /// 1 are taken as 1 (single-threaded). The worker threads are created on the first call that
    /// needs them (at most 1023 of them) and are kept for later calls.
    public static var maximum: Int {
        get {
            let value = configured.load(ordering: .relaxed)
            return value > 0 ? value : processorCount
        }
        set { configured.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Below this many elements a call runs on the calling thread only. Measured on a 2-processor
    /// x86-64 VM (`float32`/`float64` mean BCE): with the workers awake (back-to-back calls), two
    /// threads beat one from 2048 elements (two blocks); but waking parked workers costs the call
    /// about 3–9 µs, up to 30% of a 2048-element call and up to 15% of a 4096-element one.
    public static var minimumParallelCount: Int { 4096 }

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
    /// among them, through ``WorkerPool/shared``); blocks are handed out in ascending order as
    /// threads become free. `body` must only write state that belongs to its block. If the pool
    /// is busy with another call, every block runs on the calling thread.
    func forEachBlock(_ blocks: Range<Int>, threads: Int, _ body: (Int) -> Void) {
        let workers = min(threads, blocks.count)
        if workers > 1 && WorkerPool.shared.perform(blocks, helpers: workers - 1, body) { return }
        for b in blocks { body(b) }
    }
}

/// Persistent worker threads that take blocks of one call at a time alongside its caller.
///
/// A job is published through one atomic word, `state`: the job's generation (high 32 bits), the
/// number of workers that may still join it (bits 16–31) and the number of workers inside it
/// (bits 0–15). A worker joins by a compare-and-swap that requires the generation it saw and a
/// free slot; the caller, once every block has been handed out, closes the job (no slots left) and
/// waits until no worker is inside, so a worker never touches a finished job's data.
final class WorkerPool: @unchecked Sendable {
    /// The pool of the losses.
    static let shared = WorkerPool()

    /// How long a worker keeps checking for a new job after its last one before it parks on the
    /// condition variable (OpenMP's spin-wait time, KMP_BLOCKTIME). A parked worker can take tens
    /// of microseconds to wake (on a VM), as long as a 10,000-element call (about 60 µs); spinning
    /// a little longer than a call lets back-to-back calls find the workers awake, and costs an
    /// idle program at most this much processor time per worker after its last call. The spin
    /// yields the processor (`sched_yield`) between checks. Only the first `processorCount - 1`
    /// workers spin; any more park at once.
    static let spinDuration: Duration = .microseconds(150)

    /// The most worker threads (the state word keeps slot and active counts in 16 bits).
    static let maximumWorkers = 1023

    private static let activeMask: UInt64 = 0xFFFF
    private static let slotUnit: UInt64 = 1 << 16
    private static let slotMask: UInt64 = 0xFFFF << 16

    private let state = Atomic<UInt64>(0)
    /// The try-lock: held by the call that owns the pool.
    private let busy = Atomic<Bool>(false)
    /// The next block to hand out, and the end of the current job's blocks.
    private let next = Atomic<Int>(0)
    private let end = Atomic<Int>(0)
    /// The current job's body, set by the owner before it publishes the job and cleared after the
    /// last worker has left it.
    private var body: ((Int) -> Void)?

    private let workerCount = Atomic<Int>(0)
    private let spinningCount = Atomic<Int>(0)
    private let parkedCount = Atomic<Int>(0)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }
    // No deinit: worker threads keep the pool alive (`shared` lives as long as the process).

    /// Workers created so far.
    var workers: Int { workerCount.load(ordering: .relaxed) }
    /// Workers checking for a new job right now (neither working nor parked).
    var spinningWorkers: Int { spinningCount.load(ordering: .relaxed) }
    /// Workers parked on the condition variable.
    var parkedWorkers: Int { parkedCount.load(ordering: .relaxed) }

    /// Calls `body` once for each block of `blocks`, on the calling thread and up to `helpers`
    /// workers, and returns true; or returns false at once, having called nothing, if the pool is
    /// busy with another call.
    func perform(_ blocks: Range<Int>, helpers: Int, _ body: (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        let wanted = min(helpers, Self.maximumWorkers)
        if workers < wanted { grow(to: wanted) }
        let slots = UInt64(min(wanted, workers))
        let generation = (state.load(ordering: .relaxed) >> 32) &+ 1
        withoutActuallyEscaping(body) { body in
            self.body = body
            next.store(blocks.lowerBound, ordering: .relaxed)
            end.store(blocks.upperBound, ordering: .relaxed)
            // Publish (sequentially consistent, paired with the parking worker's check).
            state.store(generation << 32 | slots << 16, ordering: .sequentiallyConsistent)
            wake(Int(slots))
            takeBlocks(body, until: blocks.upperBound)
            // Every block is handed out: close the job, wait for the workers inside it.
            state.bitwiseAnd(~Self.slotMask, ordering: .acquiringAndReleasing)
            var spins = 0
            while state.load(ordering: .acquiring) & Self.activeMask != 0 {
                spins += 1
                if spins > 64 { sched_yield() }
            }
            self.body = nil
        }
        return true
    }

    private func takeBlocks(_ body: (Int) -> Void, until upperBound: Int) {
        while true {
            let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if b >= upperBound { return }
            body(b)
        }
    }

    /// Wakes up to `count` parked workers.
    private func wake(_ count: Int) {
        guard count > 0, parkedCount.load(ordering: .sequentiallyConsistent) > 0 else { return }
        pthread_mutex_lock(mutex)
        if count >= parkedCount.load(ordering: .relaxed) {
            pthread_cond_broadcast(condition)
        } else {
            for _ in 0..<count { pthread_cond_signal(condition) }
        }
        pthread_mutex_unlock(mutex)
    }

    /// Starts workers until there are `count` (or thread creation fails). Called by the owner.
    private func grow(to count: Int) {
        let generation = state.load(ordering: .relaxed) >> 32
        while workers < count {
            let worker = WorkerContext(pool: self, index: workers, generation: generation)
            let context = Unmanaged.passRetained(worker).toOpaque()
            #if canImport(Darwin)
            var thread: pthread_t?
            #else
            var thread = pthread_t()
            #endif
            guard pthread_create(&thread, nil, workerEntry, context) == 0 else {
                Unmanaged<WorkerContext>.fromOpaque(context).release()
                return
            }
            #if canImport(Darwin)
            pthread_detach(thread!)
            #else
            pthread_detach(thread)
            #endif
            workerCount.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// A worker's life: join each new job it sees, spin for a while after it, then park. Worker
    /// `index` (from 0) spins only if it is not beyond the number of other processors.
    fileprivate func workerLoop(index: Int, seen initialGeneration: UInt64) {
        let spinTime = index < BCEThreads.processorCount - 1 ? Self.spinDuration : .zero
        var seen = initialGeneration
        spinningCount.wrappingAdd(1, ordering: .relaxed)
        var deadline = ContinuousClock.now + spinTime
        var checks = 0
        while true {
            let current = state.load(ordering: .acquiring)
            if current >> 32 != seen {
                seen = current >> 32
                if join(current) {
                    spinningCount.wrappingSubtract(1, ordering: .relaxed)
                    runJob()
                    state.wrappingSubtract(1, ordering: .releasing)   // leave
                    spinningCount.wrappingAdd(1, ordering: .relaxed)
                    deadline = ContinuousClock.now + spinTime
                }
                continue
            }
            checks += 1
            if checks & 15 != 0 || ContinuousClock.now < deadline {
                sched_yield()
                continue
            }
            // Park until a job newer than `seen` is published.
            pthread_mutex_lock(mutex)
            spinningCount.wrappingSubtract(1, ordering: .relaxed)
            parkedCount.wrappingAdd(1, ordering: .sequentiallyConsistent)
            while state.load(ordering: .sequentiallyConsistent) >> 32 == seen {
                pthread_cond_wait(condition, mutex)
            }
            parkedCount.wrappingSubtract(1, ordering: .relaxed)
            spinningCount.wrappingAdd(1, ordering: .relaxed)
            pthread_mutex_unlock(mutex)
            deadline = ContinuousClock.now + spinTime
        }
    }

    /// Takes a slot of the job whose state word was `observed`, if it is still open.
    private func join(_ observed: UInt64) -> Bool {
        var current = observed
        while current >> 32 == observed >> 32 && current & Self.slotMask != 0 {
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: current - Self.slotUnit + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Takes blocks of the joined job. Not inlined, so that this worker's reference to `body` is
    /// released before it leaves the job (the caller checks that `body` has not escaped).
    @inline(never)
    private func runJob() {
        guard let body else { return }
        takeBlocks(body, until: end.load(ordering: .relaxed))
    }
}

/// What a new worker thread is started with: its pool, its index and the last job it need not do.
private final class WorkerContext {
    let pool: WorkerPool
    let index: Int
    let generation: UInt64
    init(pool: WorkerPool, index: Int, generation: UInt64) {
        self.pool = pool
        self.index = index
        self.generation = generation
    }
}

#if canImport(Darwin)
private func workerEntry(_ argument: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
    let context = Unmanaged<WorkerContext>.fromOpaque(argument).takeRetainedValue()
    context.pool.workerLoop(index: context.index, seen: context.generation)
    return nil
}
#else
private func workerEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let context = Unmanaged<WorkerContext>.fromOpaque(argument!).takeRetainedValue()
    context.pool.workerLoop(index: context.index, seen: context.generation)
    return nil
}
#endif

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
