import Foundation
import Synchronization
import Testing
import BinaryCrossEntropy

// The worker pool behind the block passes: each block exactly once, concurrent and nested callers,
// workers parking after their spin. Results never depend on the thread count, so a test that
// races with another suite over BCEThreads.maximum can only run less in parallel, never fail.
// Block bodies record their calls without a lock (each block its own counter), so under
// ThreadSanitizer these tests also check that the pool orders the workers' writes before the
// caller's reads. (Synchronization's Mutex is not visible to ThreadSanitizer on Linux: it reports
// races on Mutex-protected values, so it is not used for what the workers write.)

/// Per-block call counts, each written only by the thread running its block.
private final class BlockCounts: @unchecked Sendable {
    private let counts: UnsafeMutableBufferPointer<Int>
    init(_ count: Int) {
        counts = .allocate(capacity: count)
        counts.initialize(repeating: 0)
    }
    deinit { counts.deallocate() }
    func record(_ block: Int) { counts[block] += 1 }
    var values: [Int] { Array(counts) }
}

/// Runs `body(i)` on `count` new threads at once and returns when all have finished.
private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        let thread = Thread {
            body(i)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}

/// Polls `condition` every millisecond for up to `seconds`; whether it became true.
private func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

/// Runs `body` for each block of `0 ..< blocks` on `pool`; whether the pool ran them, and how many
/// times each block's body was called.
private func callCounts(
    _ pool: WorkerPool, blocks: Int, helpers: Int, _ body: (Int) -> Void = { _ in }
) -> (ran: Bool, counts: [Int]) {
    let counts = BlockCounts(blocks)
    let ran = pool.perform(0 ..< blocks, helpers: helpers) { b in
        body(b)
        counts.record(b)
    }
    return (ran, counts.values)
}

@Suite("Worker pool")
struct ThreadingTests {
    @Test("forEachBlock calls the body exactly once per block, for 1, 2, 3 and 8 threads and any range")
    func eachBlockOnce() {
        for threads in [1, 2, 3, 8] {
            for blocks in [0 ..< 0, 0 ..< 1, 0 ..< 2, 5 ..< 9, 0 ..< 97] {
                let counts = BlockCounts(blocks.upperBound)
                BlockPartition(count: 97 * BlockPartition.blockSize).forEachBlock(blocks, threads: threads) { b in
                    counts.record(b)
                }
                let expected = (0 ..< blocks.upperBound).map { blocks.contains($0) ? 1 : 0 }
                #expect(counts.values == expected, "\(threads) threads, blocks \(blocks)")
            }
        }
    }

    @Test("a pool grows to the helpers asked for, and every block runs once on it")
    func poolGrows() {
        let pool = WorkerPool()
        #expect(pool.workers == 0)
        var result = callCounts(pool, blocks: 50, helpers: 1)
        #expect(result.ran && result.counts == Array(repeating: 1, count: 50))
        #expect(pool.workers == 1)
        result = callCounts(pool, blocks: 50, helpers: 3)
        #expect(result.ran && result.counts == Array(repeating: 1, count: 50))
        #expect(pool.workers == 3)
        result = callCounts(pool, blocks: 7, helpers: 2)   // fewer helpers than workers
        #expect(result.ran && result.counts == Array(repeating: 1, count: 7))
        #expect(pool.workers == 3)
    }

    @Test("by default workers park right after a call (no spinning); parked workers wake for the next call")
    func workersPark() {
        let pool = WorkerPool()
        for helpers in [1, 3] {
            for _ in 0..<3 {
                let result = callCounts(pool, blocks: 40, helpers: helpers)
                #expect(result.ran && result.counts == Array(repeating: 1, count: 40))
                // No spin: parking takes a few scheduler turns; allow a loaded machine plenty of time.
                let parked = eventually(within: 5) {
                    pool.spinningWorkers == 0 && pool.parkedWorkers == pool.workers
                }
                #expect(parked, "\(pool.spinningWorkers) spinning, \(pool.parkedWorkers) of \(pool.workers) parked")
            }
        }
    }

    @Test("a call that opts into a spin leaves its worker spinning for that long; the next call without spin lets it park")
    func optInSpin() {
        guard BCEThreads.processorCount > 1 else { return }   // workers beyond the processors never spin
        let pool = WorkerPool()
        #expect(pool.perform(0 ..< 8, helpers: 1, spin: .seconds(1)) { _ in })
        // Within the second, the worker is spinning, not parked (it may still be finishing the job).
        #expect(eventually(within: 0.5) { pool.spinningWorkers == 1 })
        usleep(100_000)
        #expect(pool.parkedWorkers == 0, "a worker parked during its 1 s spin")
        #expect(pool.perform(0 ..< 8, helpers: 1, spin: .zero) { _ in })
        #expect(eventually(within: 5) { pool.spinningWorkers == 0 && pool.parkedWorkers == 1 })
    }

    @Test("spin durations are clamped to 0 ... 1 s in nanoseconds")
    func spinClamp() {
        #expect(BCEThreads.spinNanoseconds(.microseconds(150)) == 150_000)
        #expect(BCEThreads.spinNanoseconds(.zero) == 0)
        #expect(BCEThreads.spinNanoseconds(.microseconds(-5)) == 0)
        #expect(BCEThreads.spinNanoseconds(.seconds(30)) == 1_000_000_000)
    }

    @Test("the CPU limit of the process's control groups: cgroup v2 cpu.max, v1 cfs quota, ancestors, none")
    func cgroupLimits() {
        func limit(_ cgroup: String, _ files: [String: String]) -> Int? {
            cgroupCPULimit(procSelfCgroup: cgroup, read: { files[$0] })
        }
        // v2: quota / period rounded up; "max" is no limit; an ancestor's smaller limit wins.
        #expect(limit("0::/\n", ["/sys/fs/cgroup/cpu.max": "150000 100000\n"]) == 2)
        #expect(limit("0::/\n", ["/sys/fs/cgroup/cpu.max": "max 100000\n"]) == nil)
        #expect(limit("0::/a/b\n", ["/sys/fs/cgroup/a/b/cpu.max": "400000 100000",
                                    "/sys/fs/cgroup/a/cpu.max": "100000 100000"]) == 1)
        #expect(limit("0::/a/b\n", ["/sys/fs/cgroup/unified/a/b/cpu.max": "250000 100000"]) == 3)
        #expect(limit("0::/\n", ["/sys/fs/cgroup/cpu.max": "5000 100000"]) == 1)   // a fraction of one: 1
        // v1: -1 is no limit; the cpu controller may share a line with cpuacct.
        #expect(limit("1:cpu:/\n", ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
                                     "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"]) == nil)
        #expect(limit("3:cpu,cpuacct:/job\n", ["/sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us": "300000\n",
                                                "/sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us": "100000\n"]) == 3)
        // A cpuacct-only line is not the cpu controller; no files, no limit.
        #expect(limit("2:cpuacct:/\n", ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "100000",
                                         "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"]) == nil)
        #expect(limit("0::/\n1:cpu:/\n", [:]) == nil)
    }

    #if os(Linux)
    @Test("the default thread count is the processors of the affinity mask (/proc/self/status), capped by the cgroup quota")
    func defaultThreadsFromAffinity() throws {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let list = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        var allowed = 0
        for range in list.split(separator: "\t").last!.split(separator: ",") {
            let ends = range.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces))! }
            allowed += ends.count == 2 ? ends[1] - ends[0] + 1 : 1
        }
        let cgroup = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        let quota = cgroupCPULimit(procSelfCgroup: cgroup, read: { try? String(contentsOfFile: $0, encoding: .utf8) })
        #expect(BCEThreads.availableProcessors == min(allowed, quota ?? allowed))
    }
    #endif

    @Test("a call that finds the pool busy with another thread's call returns at once without running anything")
    func busyPoolDeclines() {
        let pool = WorkerPool()
        let inside = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        final class Outcome: @unchecked Sendable {
            var value: (ran: Bool, counts: [Int])?
            let done = Atomic<Bool>(false)
        }
        let first = Outcome()
        let thread = Thread {
            first.value = callCounts(pool, blocks: 4, helpers: 1) { b in
                if b == 0 {
                    inside.signal()
                    release.wait()
                }
            }
            first.done.store(true, ordering: .releasing)
        }
        thread.start()
        inside.wait()
        let second = pool.perform(0 ..< 4, helpers: 1) { _ in Issue.record("a busy pool ran a block") }
        #expect(!second)
        release.signal()
        #expect(eventually(within: 10) { first.done.load(ordering: .acquiring) })
        #expect(first.value?.ran == true && first.value?.counts == [1, 1, 1, 1])
    }

    @Test("a loss called from inside a block (nested) runs and gives the same bits as a top-level call")
    func nestedLossCall() throws {
        var rng = SplitMix64(seed: 21)
        let n = 20_000
        let x = NDArray<Float>((0..<n).map { _ in Float.random(in: 0...1, using: &rng) })
        let y = NDArray<Float>((0..<n).map { _ in Float(Int.random(in: 0...1, using: &rng)) })
        let mean = try binaryCrossEntropy(x, y).scalar!
        let none = try binaryCrossEntropyWithLogits(x, y, reduction: .none)
        let mismatches = Atomic<Int>(0)
        let blocks = 6
        BlockPartition(count: blocks * BlockPartition.blockSize).forEachBlock(0 ..< blocks, threads: 2) { _ in
            let nestedMean = try? binaryCrossEntropy(x, y).scalar
            let nestedNone = try? binaryCrossEntropyWithLogits(x, y, reduction: .none)
            if nestedMean?.bitPattern != mean.bitPattern || nestedNone != none {
                mismatches.wrappingAdd(1, ordering: .relaxed)
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
        // The pool itself: a nested perform declines, so the caller runs its blocks serially.
        let pool = WorkerPool()
        let nestedRan = Atomic<Int>(0)
        let outer = callCounts(pool, blocks: 4, helpers: 1) { _ in
            if pool.perform(0 ..< 2, helpers: 1, { _ in }) { nestedRan.wrappingAdd(1, ordering: .relaxed) }
        }
        #expect(outer.ran && outer.counts == [1, 1, 1, 1])
        #expect(nestedRan.load(ordering: .relaxed) == 0)
    }

    @Test("8 threads calling the losses at once (mean and none, sizes around the block and threshold edges) all get the single-thread bits")
    func concurrentCallers() throws {
        struct Case: Sendable {
            var x: NDArray<Float>, y: NDArray<Float>, logits: NDArray<Double>, targets: NDArray<Double>
            var mean: UInt32 = 0, none: [Float] = [], logitsMean: UInt64 = 0, logitsNone: [Double] = []
        }
        var rng = SplitMix64(seed: 22)
        let blockSize = BlockPartition.blockSize, threshold = BCEThreads.minimumParallelCount
        let sizes = [1_000, threshold - 1, threshold, 3 * blockSize + 1, 10_000, 40_003]
        var cases = sizes.map { n in
            Case(x: NDArray((0..<n).map { _ in Float.random(in: 0...1, using: &rng) }),
                 y: NDArray((0..<n).map { _ in Float(Int.random(in: 0...1, using: &rng)) }),
                 logits: NDArray((0..<n).map { _ in Double.random(in: -20...20, using: &rng) }),
                 targets: NDArray((0..<n).map { _ in Double.random(in: 0...1, using: &rng) }))
        }
        BCEThreads.maximum = 1
        for i in cases.indices {
            cases[i].mean = try binaryCrossEntropy(cases[i].x, cases[i].y).scalar!.bitPattern
            cases[i].none = try binaryCrossEntropy(cases[i].x, cases[i].y, reduction: .none).scalars
            cases[i].logitsMean = try binaryCrossEntropyWithLogits(cases[i].logits, cases[i].targets).scalar!.bitPattern
            cases[i].logitsNone = try binaryCrossEntropyWithLogits(cases[i].logits, cases[i].targets, reduction: .none).scalars
        }
        BCEThreads.maximum = 4
        let expected = cases
        let calls = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        onThreads(8) { thread in
            for iteration in 0..<8 {
                let i = (thread + iteration) % expected.count
                let c = expected[i]
                do {
                    let ok = try binaryCrossEntropy(c.x, c.y).scalar!.bitPattern == c.mean
                        && binaryCrossEntropy(c.x, c.y, reduction: .none).scalars == c.none
                        && binaryCrossEntropyWithLogits(c.logits, c.targets).scalar!.bitPattern == c.logitsMean
                        && binaryCrossEntropyWithLogits(c.logits, c.targets, reduction: .none).scalars == c.logitsNone
                    if !ok { failures.withLock { $0.append("thread \(thread), n = \(c.x.count)") } }
                } catch {
                    failures.withLock { $0.append("thread \(thread), n = \(c.x.count): \(error)") }
                }
                calls.wrappingAdd(4, ordering: .relaxed)
            }
        }
        BCEThreads.maximum = BCEThreads.processorCount
        #expect(calls.load(ordering: .relaxed) == 8 * 8 * 4)
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
    }

    /// Whether, in any try within `seconds`, a pass of `blocks` blocks that each busy-wait `nanoseconds`
    /// on 2 threads published a job to the shared pool (`published: true`) or published none
    /// (`false`). Other suites' calls also publish jobs, and while one of them holds the pool a
    /// pass cannot publish (it runs alone), so one try may be misled; the rule under test makes
    /// the wanted outcome happen in nearly every try. The tries are spread over time (a
    /// millisecond apart) rather than counted: 50 back-to-back tries all fell inside one other
    /// suite's call on a loaded CI machine.
    private func anyPass(
        published: Bool, blocks: Int, nanoseconds: Int64, spin: Duration = .zero, seconds: Int64 = 10
    ) -> Bool {
        let execution = BCEExecution(threads: 2, spin: spin).resolved
        let partition = BlockPartition(count: blocks * BlockPartition.blockSize)
        let deadline = monotonicNanoseconds() + seconds * 1_000_000_000
        repeat {
            let before = WorkerPool.shared.publishedJobs
            partition.forEachBlock(0 ..< blocks, execution: execution) { _ in
                let start = monotonicNanoseconds()
                while monotonicNanoseconds() - start < nanoseconds {}
            }
            if (WorkerPool.shared.publishedJobs != before) == published { return true }
            usleep(1_000)
        } while monotonicNanoseconds() < deadline
        return false
    }

    @Test("a small pass whose first block says the rest is cheap wakes no worker; an expensive one, a large one and one with a spin do")
    func firstBlockDecides() {
        let probing = BCEThreads.probesFirstBlock.load(ordering: .relaxed)
        #expect(probing)
        // 10 blocks of 1 µs: the rest takes 9 µs, under the 25 µs worth a wake-up.
        #expect(anyPass(published: false, blocks: 10, nanoseconds: 1_000))
        // 10 blocks of 50 µs: the rest takes 450 µs.
        #expect(anyPass(published: true, blocks: 10, nanoseconds: 50_000))
        // 17 blocks (past BCEThreads.probedBlocks) of 1 µs: no block is timed, the workers are woken.
        #expect(BCEThreads.probedBlocks == 16)
        #expect(anyPass(published: true, blocks: 17, nanoseconds: 1_000))
        // A call with a spin (its workers awake between back-to-back calls) times nothing either.
        #expect(anyPass(published: true, blocks: 10, nanoseconds: 1_000, spin: .microseconds(20)))
    }

    @Test("a loss pass runs its companion (a fused call's gradients) once per block, on the thread that evaluated the block's terms, right after them; mean, sum and none, 1 and 2 threads")
    func companionRunsWithEachBlock() throws {
        // 130 blocks: three rounds of a reduction (64, 64, 2), past the first-block rule; 5 blocks: under it.
        for blocks in [130, 5] {
            for threads in [1, 2] {
                for destination in ["mean", "sum", "none"] {
                    let log = CompanionLog(blocks: blocks)
                    let n = blocks * BlockPartition.blockSize - 3   // a partial last block
                    let output = UnsafeMutablePointer<Double>.allocate(capacity: n)
                    defer { output.deallocate() }
                    let into: LossDestination<Double> = destination == "none"
                        ? .elements(output) : .reduced(mean: destination == "mean")
                    let value = try evaluateLoss(
                        OnesEvaluator(count: n, log: log), into: into,
                        execution: BCEExecution(threads: threads).resolved, alongside: CompanionRecorder(log: log))
                    let label = "\(blocks) blocks, \(threads) threads, \(destination)"
                    #expect(value == (destination == "mean" ? 1 : destination == "sum" ? Double(n) : 0), "\(label)")
                    #expect(log.companionRuns == Array(repeating: 1, count: blocks), "\(label): companion runs per block")
                    #expect(log.sameThreadAfterTerms == Array(repeating: true, count: blocks),
                            "\(label): companion on the terms' thread, after them")
                }
            }
        }
    }
}

/// What ``OnesEvaluator`` and ``CompanionRecorder`` saw of each block: written only by the thread
/// running the block.
private final class CompanionLog: @unchecked Sendable {
    let termsThread: UnsafeMutableBufferPointer<pthread_t?>
    let companion: UnsafeMutableBufferPointer<(runs: Int, sameThreadAfterTerms: Bool)>
    init(blocks: Int) {
        termsThread = .allocate(capacity: blocks)
        termsThread.initialize(repeating: nil)
        companion = .allocate(capacity: blocks)
        companion.initialize(repeating: (0, false))
    }
    deinit {
        termsThread.deallocate()
        companion.deallocate()
    }
    var companionRuns: [Int] { companion.map(\.runs) }
    var sameThreadAfterTerms: [Bool] { companion.map(\.sameThreadAfterTerms) }
}

/// Terms of 1, recording the thread that evaluated each block.
private struct OnesEvaluator: BlockLossEvaluator {
    let count: Int
    let log: CompanionLog
    func sum(_ range: Range<Int>) throws(BCEError) -> CompensatedSum<Double.WideScalar> {
        log.termsThread[range.lowerBound / BlockPartition.blockSize] = pthread_self()
        var sum = CompensatedSum<Double.WideScalar>()
        for _ in range { sum.add(1) }
        return sum
    }
    func store(_ range: Range<Int>, into output: UnsafeMutablePointer<Double>) throws(BCEError) {
        log.termsThread[range.lowerBound / BlockPartition.blockSize] = pthread_self()
        for i in range { output[i] = 0 }
    }
}

/// A companion job recording, per block, its runs and whether the block's terms had already been
/// evaluated on this thread.
private struct CompanionRecorder: BlockJob {
    let log: CompanionLog
    func run(block b: Int) {
        let same = log.termsThread[b].map { pthread_equal($0, pthread_self()) != 0 } ?? false
        log.companion[b] = (log.companion[b].runs + 1, same)
    }
}
