// Multi-threading of the block passes: a persistent pool of worker threads.
//
// A large call cuts its elements into the fixed blocks of BlockPartition (the summation's blocks)
// and hands them out in ascending order through an atomic counter to the calling thread and up to
// `threads - 1` pool workers (`BCEExecution.threads`, by default `BCEThreads.maximum`); the job
// runs exactly once per block. The partition never depends on the thread count, so neither does
// any result. A job is a value of a `BlockJob` type on the caller's stack, which the workers read
// through a pointer: publishing it allocates nothing (a closure would need an escaping copy).
//
// Why a pool of our own rather than DispatchQueue.concurrentPerform: waking idle libdispatch
// workers costs tens of microseconds on small VMs, as much as a whole 10,000-element call. The
// pool's workers are created lazily on the first parallel call (more are added when a call asks
// for more threads). After a job a worker parks on a condition variable at once, unless the call
// asked it to spin (`BCEExecution.spin`, default `BCEThreads.spin`, zero): then it watches for the
// next job for that long first (OpenMP's KMP_BLOCKTIME / GOMP_SPINCOUNT), so back-to-back calls (a
// training loop, a benchmark) find it awake, at the price of that much processor time per worker
// after each call. Workers beyond the number of other usable processors never spin.
//
// Concurrency: one call at a time owns the pool (a try-lock). A call that finds it busy —
// another thread's call, or a nested call from inside a block — runs on its calling thread
// alone: no caller ever waits for another call, so nothing can deadlock, and the result is the
// same bits.
//
// fork: the child of a multi-threaded process has only the forking thread. A pthread_atfork
// handler holds the pool's mutex across the fork (so no worker holds it then) and resets the
// child's pool to no workers, not busy, no job: the child's first parallel call starts workers of
// its own instead of waiting on threads that do not exist there.

package import BCESIMDKernels
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
    private static let configuredSpin = Atomic<Int64>(0)   // nanoseconds

    /// The most threads one call uses, unless the call says otherwise (``BCEExecution/threads``);
    /// by default ``availableProcessors``. Values below 1 are taken as 1 (single-threaded). The
    /// worker threads are created on the first call that needs them (at most 1023 of them) and
    /// are kept for later calls.
    public static var maximum: Int {
        get {
            let value = configured.load(ordering: .relaxed)
            return value > 0 ? value : processorCount
        }
        set { configured.store(max(1, newValue), ordering: .relaxed) }
    }

    /// How long worker threads keep watching for the next call after a call, unless the call says
    /// otherwise (``BCEExecution/spin``). Default zero: they park on a condition variable at once,
    /// so a program that calls the losses now and then pays no processor time between calls. A
    /// training loop that calls back-to-back can set about 150 µs (a little longer than a
    /// 10,000-element call): a parked worker can take tens of microseconds to wake on a VM.
    /// Negative durations are taken as zero; at most one second.
    public static var spin: Duration {
        get { .nanoseconds(configuredSpin.load(ordering: .relaxed)) }
        set { configuredSpin.store(spinNanoseconds(newValue), ordering: .relaxed) }
    }

    /// `duration` in nanoseconds, clamped to 0 ... 1 s.
    package static func spinNanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds <= 0) { return 0 }
        if seconds >= 1 { return 1_000_000_000 }
        return attoseconds / 1_000_000_000
    }

    /// Below this many elements a call runs on the calling thread only. Measured on a 2-processor
    /// x86-64 VM (`float32`/`float64` mean BCE): with the workers awake (back-to-back calls), two
    /// threads beat one from 2048 elements (two blocks); but waking parked workers costs the call
    /// about 3–9 µs, up to 30% of a 2048-element call and up to 15% of a 4096-element one.
    public static var minimumParallelCount: Int { 4096 }

    /// The least work worth waking parked workers for, in nanoseconds (25 µs): a pass of at most ``probedBlocks`` blocks
    /// times its first block on the calling thread and, if the rest would take it less than this
    /// at that pace, runs the rest there too. Measured on 2-processor x86-64 VMs (2026-12-03, AMD
    /// EPYC: `bce-conformance bench --api buffer --sizes 1e4,2e4,5e4 --threads 1` against
    /// `--threads 2`): two threads lose (0.84-0.93 of one) on passes that take one thread about
    /// 13-21 µs and win (1.05-1.3) from about 28 µs, the wake-up of a parked worker being tens of
    /// microseconds on a VM. Calls that ask for a spin (``spin``, ``BCEExecution/spin``) skip the
    /// rule: back-to-back, their workers are awake and cost no wake-up.
    static var parallelWorkMinimumNanoseconds: Int64 { 25_000 }

    /// Passes of more blocks than this go to the workers without timing a block: 16 blocks (16,384
    /// elements) take even the cheapest pass (float32 BCELoss forward, about 500 M elements/s on
    /// one thread here) about 30 µs on one thread, and timing a block costs an expensive pass
    /// up to half a block's time (its first block runs before the workers are woken):
    /// scripts/parallel-probe.sh measured 0.73-0.93 of always waking them for float64 soft-target
    /// BCEWithLogitsLoss with gradients at 2e4-3e4 elements.
    package static var probedBlocks: Int { 16 }

    /// Whether passes time their first block (above); false sends every pass of at least
    /// ``minimumParallelCount`` elements to the workers, as before the rule (tests, and
    /// scripts/parallel-probe.sh, which measures the rule against it in one process).
    package static let probesFirstBlock = Atomic<Bool>(true)

    /// The processors this process may run on: the processors of its affinity mask
    /// (`sched_getaffinity`), lowered to the CPU quota of its control group where one is set
    /// (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us / cpu.cfs_period_us`, rounded up), in the
    /// process's own group and every ancestor. Read once, at the first use. Elsewhere than Linux,
    /// the active processor count.
    public static var availableProcessors: Int { processorCount }

    package static let processorCount: Int = {
        #if os(Linux)
        let online = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var count = affinityProcessorCount() ?? online
        if let quota = cgroupCPULimit(procSelfCgroup: readSmallFile("/proc/self/cgroup") ?? "", read: readSmallFile) {
            count = min(count, quota)
        }
        return max(1, count)
        #elseif canImport(Glibc) || canImport(Musl) || canImport(Darwin)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }()
}

#if os(Linux)
/// The number of processors in this thread's affinity mask, or nil if it cannot be read.
/// `sched_getaffinity` is declared only under _GNU_SOURCE, which Swift's Glibc module does not
/// define, so it is looked up by name.
private func affinityProcessorCount() -> Int? {
    typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
    guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "sched_getaffinity") else { return nil }
    let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
    // 8192 processors' worth of mask (glibc's cpu_set_t holds 1024).
    let words = 128
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { mask -> Int? in
        mask.initialize(repeating: 0)
        guard getAffinity(0, words * 8, UnsafeMutableRawPointer(mask.baseAddress!)) > 0 else { return nil }
        let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return count > 0 ? count : nil
    }
}

/// The contents of a small text file (at most 64 KiB), or nil if it cannot be read.
func readSmallFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < 65536 {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        if n < 0 { return nil }
        if n == 0 { break }
        bytes += chunk[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
#endif

/// The CPU limit of the control groups named in `procSelfCgroup` (the text of /proc/self/cgroup),
/// as a whole number of processors (quota / period rounded up, at least 1), or nil when none is
/// set. `read` gives a file's text (nil if absent). cgroup v2 (`0::/path`): `cpu.max` ("max
/// 100000" or "150000 100000") under /sys/fs/cgroup or /sys/fs/cgroup/unified; v1 (a line whose
/// controllers include `cpu`): `cpu.cfs_quota_us` (-1: none) and `cpu.cfs_period_us` under
/// /sys/fs/cgroup/cpu or /sys/fs/cgroup/cpu,cpuacct. The group and each ancestor are read; the
/// smallest limit wins.
package func cgroupCPULimit(procSelfCgroup: String, read: (String) -> String?) -> Int? {
    var limit: Int?
    func consider(_ quota: Int64, _ period: Int64) {
        guard quota > 0, period > 0 else { return }
        let processors = Int(max(1, (quota + period - 1) / period))
        limit = min(limit ?? processors, processors)
    }
    /// `path` and its ancestors, up to "/" (included).
    func lineage(_ path: String) -> [String] {
        var result: [String] = []
        var parts = path.split(separator: "/").map(String.init)
        while true {
            result.append("/" + parts.joined(separator: "/"))
            if parts.isEmpty { return result }
            parts.removeLast()
        }
    }
    for line in procSelfCgroup.split(separator: "\n") {
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { continue }
        let path = String(fields[2])
        if fields[0] == "0" && fields[1].isEmpty {
            for mount in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
                for dir in lineage(path) {
                    guard let text = read(mount + (dir == "/" ? "" : dir) + "/cpu.max") else { continue }
                    let values = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
                    guard values.count >= 2, let quota = Int64(values[0]), let period = Int64(values[1]) else { continue }
                    consider(quota, period)
                }
            }
        } else if fields[1].split(separator: ",").contains("cpu") {
            for mount in ["/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu"] {
                for dir in lineage(path) {
                    let base = mount + (dir == "/" ? "" : dir)
                    func number(_ name: String) -> Int64? {
                        read(base + "/" + name).flatMap { Int64($0.split(separator: "\n").first ?? "") }
                    }
                    guard let quota = number("cpu.cfs_quota_us"), let period = number("cpu.cfs_period_us") else { continue }
                    consider(quota, period)
                }
            }
        }
    }
    return limit
}

/// CLOCK_MONOTONIC in nanoseconds (vDSO: no system call where the clock source allows).
@inline(__always)
package func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) &* 1_000_000_000 &+ Int64(now.tv_nsec)
}

/// The fixed blocks of an elementwise pass: block `b` covers elements `b * blockSize ..<
/// min(count, (b + 1) * blockSize)`. The same blocks as ``BlockedSummation``'s.
package struct BlockPartition {
    package static var blockSize: Int { BlockedSummation<Double>.blockSize }

    let count: Int

    package init(count: Int) { self.count = count }
    var blockCount: Int { (count + Self.blockSize - 1) / Self.blockSize }

    func range(ofBlock b: Int) -> Range<Int> {
        b * Self.blockSize ..< min(count, (b + 1) * Self.blockSize)
    }

    /// The number of threads to use for `count` elements, at most `maximum`.
    func threadCount(maximum: Int = BCEThreads.maximum) -> Int {
        count < BCEThreads.minimumParallelCount ? 1 : max(1, min(maximum, blockCount))
    }

    /// Runs `job` once for each block in `blocks`, on up to `threads` threads (the caller's
    /// among them, through ``WorkerPool/shared``); blocks are handed out in ascending order as
    /// threads become free. The job must only write state that belongs to its block. If the pool
    /// is busy with another call, every block runs on the calling thread. The workers spin for
    /// `spin` after the call (see ``BCEThreads/spin``); `level`, if given, is the instruction set
    /// in force on each thread while it runs a block (``BCEExecution/instructionSet``).
    /// Allocates nothing (the pool's workers read `job` on the caller's stack).
    func forEachBlock<Job: BlockJob>(
        _ blocks: Range<Int>, threads: Int, spin: Duration = BCEThreads.spin, level: BCESIMDLevel? = nil,
        _ job: Job
    ) {
        let workers = min(threads, blocks.count)
        if let level {
            let job = LevelJob(level: level, job: job)
            if workers > 1 && WorkerPool.shared.perform(blocks, helpers: workers - 1, spin: spin, job) { return }
            for b in blocks { job.run(block: b) }
            return
        }
        if workers > 1 && WorkerPool.shared.perform(blocks, helpers: workers - 1, spin: spin, job) { return }
        for b in blocks { job.run(block: b) }
    }

    /// ``forEachBlock(_:threads:spin:level:_:)`` with a call's options; `lastRound` false keeps
    /// the workers spinning briefly for the same call's next round (no spin is left after a call
    /// unless it asked for one).
    ///
    /// A pass of at most ``BCEThreads/probedBlocks`` blocks (from block 0: a pass's first round),
    /// in a call without a spin, first runs block 0 on the calling thread and times it; if the remaining blocks would take
    /// the calling thread less than ``BCEThreads/parallelWorkMinimumNanoseconds`` at that pace, it runs them
    /// itself and wakes no worker. Which thread runs a block never changes a result.
    func forEachBlock<Job: BlockJob>(
        _ blocks: Range<Int>, execution: ResolvedExecution, lastRound: Bool = true, _ job: Job
    ) {
        let spin = lastRound ? execution.spin : max(execution.spin, .microseconds(50))
        let threads = threadCount(maximum: execution.threads)
        var rest = blocks
        // A call that asked for a spin keeps its workers awake between back-to-back calls, where
        // two threads win from two blocks: no timing then.
        if threads > 1 && blocks.lowerBound == 0 && blocks.count > 1 && blocks.count <= BCEThreads.probedBlocks
            && execution.spin == .zero && BCEThreads.probesFirstBlock.load(ordering: .relaxed) {
            let start = monotonicNanoseconds()
            forEachBlock(blocks.lowerBound ..< blocks.lowerBound + 1, threads: 1, level: execution.level, job)
            let elapsed = monotonicNanoseconds() &- start
            rest = blocks.lowerBound + 1 ..< blocks.upperBound
            if elapsed &* Int64(rest.count) < BCEThreads.parallelWorkMinimumNanoseconds {
                forEachBlock(rest, threads: 1, level: execution.level, job)
                return
            }
        }
        forEachBlock(rest, threads: threads, spin: spin, level: execution.level, job)
    }

    /// ``forEachBlock(_:threads:spin:level:_:)`` with a closure for the job (tests; the passes use
    /// job types: a closure handed to other threads costs an allocation per call).
    package func forEachBlock(
        _ blocks: Range<Int>, threads: Int, spin: Duration = BCEThreads.spin, level: BCESIMDLevel? = nil,
        _ body: (Int) -> Void
    ) {
        withoutActuallyEscaping(body) { body in
            forEachBlock(blocks, threads: threads, spin: spin, level: level, ClosureJob(body: body))
        }
    }

    /// ``forEachBlock(_:execution:lastRound:_:)`` with a closure for the job (tests).
    package func forEachBlock(
        _ blocks: Range<Int>, execution: ResolvedExecution, lastRound: Bool = true, _ body: (Int) -> Void
    ) {
        withoutActuallyEscaping(body) { body in
            forEachBlock(blocks, execution: execution, lastRound: lastRound, ClosureJob(body: body))
        }
    }
}

/// The work of one parallel pass, block by block: a value on the calling thread's stack that the
/// pool's workers reach through a pointer while the pass runs. A job is a type rather than a
/// closure because handing a closure to other threads needs an escaping copy of it
/// (`withoutActuallyEscaping` allocates its context on every call); publishing a job's address
/// allocates nothing.
package protocol BlockJob {
    /// Does the work of block `b`: called once per block, on any thread of the pass. Writes only
    /// state that belongs to block `b`.
    func run(block b: Int)
}

/// `job` with `level` in force on the thread around each block.
private struct LevelJob<Job: BlockJob>: BlockJob {
    let level: BCESIMDLevel
    let job: Job
    func run(block b: Int) { BCEVectorKernels.withThreadLevel(level) { job.run(block: b) } }
}

/// A job that calls a closure (see ``BlockPartition/forEachBlock(_:threads:spin:level:_:)-(_,_,_,_,(Int)->Void)``).
struct ClosureJob: BlockJob {
    let body: (Int) -> Void
    func run(block b: Int) { body(b) }
}

/// Persistent worker threads that take blocks of one call at a time alongside its caller.
///
/// A job is published through one atomic word, `state`: the job's generation (high 32 bits), the
/// number of workers that may still join it (bits 16–31) and the number of workers inside it
/// (bits 0–15). A worker joins by a compare-and-swap that requires the generation it saw and a
/// free slot; the caller, once every block has been handed out, closes the job (no slots left) and
/// waits until no worker is inside, so a worker never touches a finished job's data.
package final class WorkerPool: @unchecked Sendable {
    /// The pool of the losses.
    package static let shared = WorkerPool()

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
    /// The current job: a function that runs one block of the job at an address, and that address
    /// on the owner's stack; set by the owner before it publishes the job and cleared after the last
    /// worker has left it.
    private var jobRunner: ((UnsafeRawPointer, Int) -> Void)?
    private var jobContext: UnsafeRawPointer?

    /// How long workers check for a new job after the current one before they park, in
    /// nanoseconds (set by each job's owner; see ``BCEThreads/spin``). The spin yields the
    /// processor (`sched_yield`) between checks. Only the first `processorCount - 1` workers spin.
    private let spinNanoseconds = Atomic<Int64>(0)
    private let workerCount = Atomic<Int>(0)
    private let spinningCount = Atomic<Int>(0)
    private let parkedCount = Atomic<Int>(0)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    package init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    /// Registers the fork handlers of ``shared`` (once).
    private static let forkHandlersInstalled: Bool = {
        pthread_atfork(
            { WorkerPool.shared.prepareFork() },
            { WorkerPool.shared.parentAfterFork() },
            { WorkerPool.shared.childAfterFork() })
        return true
    }()

    /// Before a fork: take the mutex, so that no worker holds it while the process is copied.
    private func prepareFork() { pthread_mutex_lock(mutex) }
    private func parentAfterFork() { pthread_mutex_unlock(mutex) }

    /// In the child: none of the workers exist, and neither does a call that owned the pool in
    /// another thread. Start over with no workers, no job and fresh synchronisation objects.
    private func childAfterFork() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        workerCount.store(0, ordering: .relaxed)
        spinningCount.store(0, ordering: .relaxed)
        parkedCount.store(0, ordering: .relaxed)
        let generation = state.load(ordering: .relaxed) >> 32
        state.store(generation << 32, ordering: .relaxed)   // no slots, no worker inside
        busy.store(false, ordering: .relaxed)
    }
    // No deinit: worker threads keep the pool alive (`shared` lives as long as the process).

    /// `body` with the pool's mutex held, as a worker holds it around parking and waking (tests).
    package func withMutexLocked<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Workers created so far.
    package var workers: Int { workerCount.load(ordering: .relaxed) }
    /// Jobs published so far (wrapping at 2^32): a pass that ran on its calling thread alone
    /// published none.
    package var publishedJobs: UInt64 { state.load(ordering: .relaxed) >> 32 }
    /// Workers checking for a new job right now (neither working nor parked).
    package var spinningWorkers: Int { spinningCount.load(ordering: .relaxed) }
    /// Workers parked on the condition variable.
    package var parkedWorkers: Int { parkedCount.load(ordering: .relaxed) }

    /// Runs `job` once for each block of `blocks`, on the calling thread and up to `helpers`
    /// workers, and returns true; or returns false at once, having run nothing, if the pool is
    /// busy with another call. Allocates nothing once the workers exist.
    func perform<Job: BlockJob>(
        _ blocks: Range<Int>, helpers: Int, spin: Duration = BCEThreads.spin, _ job: Job
    ) -> Bool {
        if self === WorkerPool.shared { _ = Self.forkHandlersInstalled }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        let wanted = min(helpers, Self.maximumWorkers)
        if workers < wanted { grow(to: wanted) }
        let slots = UInt64(min(wanted, workers))
        let generation = (state.load(ordering: .relaxed) >> 32) &+ 1
        spinNanoseconds.store(BCEThreads.spinNanoseconds(spin), ordering: .relaxed)
        withUnsafePointer(to: job) { context in
            // Formed where `Job` is concrete (the optimizer specializes this function per job
            // type), this closure captures nothing: no allocation, and the workers run the same
            // specialized code as the caller (dispatching on `any BlockJob.Type` would run
            // unspecialized generic code on the workers).
            jobRunner = { context, b in context.assumingMemoryBound(to: Job.self).pointee.run(block: b) }
            jobContext = UnsafeRawPointer(context)
            next.store(blocks.lowerBound, ordering: .relaxed)
            end.store(blocks.upperBound, ordering: .relaxed)
            // Publish (sequentially consistent, paired with the parking worker's check).
            state.store(generation << 32 | slots << 16, ordering: .sequentiallyConsistent)
            wake(Int(slots))
            while true {
                let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if b >= blocks.upperBound { break }
                job.run(block: b)
            }
            // Every block is handed out: close the job, wait for the workers inside it.
            state.bitwiseAnd(~Self.slotMask, ordering: .acquiringAndReleasing)
            var spins = 0
            while state.load(ordering: .acquiring) & Self.activeMask != 0 {
                spins += 1
                if spins > 64 { sched_yield() }
            }
            jobRunner = nil
            jobContext = nil
        }
        return true
    }

    /// ``perform(_:helpers:spin:_:)-(_,_,_,Job)`` with a closure for the job (tests).
    package func perform(
        _ blocks: Range<Int>, helpers: Int, spin: Duration = BCEThreads.spin, _ body: (Int) -> Void
    ) -> Bool {
        withoutActuallyEscaping(body) { body in perform(blocks, helpers: helpers, spin: spin, ClosureJob(body: body)) }
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

    /// A worker's life: join each new job it sees, spin for the job's spin time after it (none
    /// by default), then park. Worker `index` (from 0) spins only if it is not beyond the number
    /// of other processors.
    fileprivate func workerLoop(index: Int, seen initialGeneration: UInt64) {
        let maySpin = index < BCEThreads.processorCount - 1
        func spinTime() -> Duration {
            maySpin ? .nanoseconds(spinNanoseconds.load(ordering: .relaxed)) : .zero
        }
        var seen = initialGeneration
        spinningCount.wrappingAdd(1, ordering: .relaxed)
        var spinning = spinTime()
        var deadline = ContinuousClock.now + spinning
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
                    spinning = spinTime()
                    deadline = ContinuousClock.now + spinning
                    checks = 0
                }
                continue
            }
            checks += 1
            if spinning > .zero && (checks & 15 != 0 || ContinuousClock.now < deadline) {
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
            spinning = spinTime()
            deadline = ContinuousClock.now + spinning
            checks = 0
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

    /// Takes blocks of the joined job until none is left.
    private func runJob() {
        guard let jobRunner, let jobContext else { return }
        let upperBound = end.load(ordering: .relaxed)
        while true {
            let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if b >= upperBound { return }
            jobRunner(jobContext, b)
        }
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

/// The first error, by block index, of a pass whose blocks run in any order. Its state lives on
/// the caller's stack (``withFirstBlockError(_:)``): a pass allocates nothing for it, and it holds
/// no lock a fork could leave taken (a spin lock guards only the recording of an error).
struct FirstBlockError: @unchecked Sendable {
    /// The block index of the recorded error; Int.max when none.
    fileprivate let first: UnsafeMutablePointer<Atomic<Int>>
    fileprivate let lock: UnsafeMutablePointer<Atomic<Bool>>
    fileprivate let slot: UnsafeMutablePointer<BCEError?>

    func record(block: Int, _ error: BCEError) {
        while !lock.pointee.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            sched_yield()
        }
        if block < first.pointee.load(ordering: .relaxed) {
            slot.pointee = error
            first.pointee.store(block, ordering: .relaxed)
        }
        lock.pointee.store(false, ordering: .releasing)
    }

    /// Whether a block before `block` already failed (so `block` need not run).
    func failed(before block: Int) -> Bool { first.pointee.load(ordering: .relaxed) < block }

    /// The error of the first failed block (read after the pass, when no block runs any more).
    var error: BCEError? {
        while !lock.pointee.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            sched_yield()
        }
        defer { lock.pointee.store(false, ordering: .releasing) }
        return slot.pointee
    }
}

/// `body` with a fresh ``FirstBlockError`` on the stack.
func withFirstBlockError<R>(_ body: (FirstBlockError) -> R) -> R {
    withUnsafeTemporaryAllocation(of: Atomic<Int>.self, capacity: 1) { first in
        withUnsafeTemporaryAllocation(of: Atomic<Bool>.self, capacity: 1) { lock in
            withUnsafeTemporaryAllocation(of: BCEError?.self, capacity: 1) { slot in
                first.baseAddress!.initialize(to: Atomic(Int.max))
                lock.baseAddress!.initialize(to: Atomic(false))
                slot.baseAddress!.initialize(to: nil)
                defer {
                    slot.baseAddress!.deinitialize(count: 1)
                    lock.baseAddress!.deinitialize(count: 1)
                    first.baseAddress!.deinitialize(count: 1)
                }
                return body(FirstBlockError(first: first.baseAddress!, lock: lock.baseAddress!, slot: slot.baseAddress!))
            }
        }
    }
}
