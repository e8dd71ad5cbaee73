import Foundation
import Synchronization
import Testing
import BinaryCrossEntropy

// fork() from a process whose worker pool is in use: the child has only the forking thread, so
// a pool mutex held by a worker at fork time, or a pool state that counts workers the child does
// not have, would hang the child's first parallel call. Each child runs a parallel call and
// exits 0 when it gets the parent's bits; the parent gives it a deadline and kills it after.

/// How a forked child ended: its exit code, or nil if it had not ended by the deadline (killed).
private func runForked(deadline seconds: Double, _ child: () -> Int32) -> Int32? {
    let pid = fork()
    if pid == 0 { _exit(child()) }
    precondition(pid > 0, "fork failed")
    let end = Date().addingTimeInterval(seconds)
    var status: Int32 = 0
    while Date() < end {
        if waitpid(pid, &status, WNOHANG) == pid {
            return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        }
        usleep(500)
    }
    kill(pid, SIGKILL)
    waitpid(pid, &status, 0)
    return nil
}

/// 64 blocks of probabilities and hard labels: a parallel call.
private func operands(seed: UInt64) -> (NDArray<Float>, NDArray<Float>) {
    var rng = SplitMix64(seed: seed)
    let n = 64 * BlockPartition.blockSize
    let x = NDArray<Float>((0..<n).map { _ in Float.random(in: 0.01...0.99, using: &rng) })
    let y = NDArray<Float>((0..<n).map { _ in Float(Int.random(in: 0...1, using: &rng)) })
    return (x, y)
}

@Suite("fork safety", .serialized)
struct ForkSafetyTests {
    @Test("children forked while another thread keeps the pool busy (workers parking and waking) finish their first parallel call with the parent's bits")
    func forkWhilePoolBusy() throws {
        let (x, y) = operands(seed: 31)
        let saved = BCEThreads.maximum
        BCEThreads.maximum = 2
        defer { BCEThreads.maximum = saved }
        let expected = try binaryCrossEntropy(x, y, reduction: .sum).scalar!.bitPattern
        let stop = Atomic<Bool>(false), calls = Atomic<Int>(0)
        let busy = Thread {
            // Calls with pauses between them, so the workers park and are woken again and again:
            // they take the pool's mutex around every park and wake.
            while !stop.load(ordering: .relaxed) {
                _ = try? binaryCrossEntropy(x, y, reduction: .sum)
                calls.wrappingAdd(1, ordering: .relaxed)
                usleep(UInt32(calls.load(ordering: .relaxed) % 3 * 100))
            }
        }
        busy.start()
        defer { stop.store(true, ordering: .relaxed) }
        while calls.load(ordering: .relaxed) < 3 { usleep(100) }
        var outcomes: [Int32?] = []
        for _ in 0..<150 {
            outcomes.append(runForked(deadline: 10) {
                guard let value = try? binaryCrossEntropy(x, y, reduction: .sum).scalar else { return 2 }
                return value.bitPattern == expected ? 0 : 1
            })
        }
        let hung = outcomes.filter { $0 == nil }.count
        let wrong = outcomes.compactMap { $0 }.filter { $0 != 0 }
        #expect(hung == 0, "\(hung) of \(outcomes.count) children hung in their first parallel call")
        #expect(wrong.isEmpty, "children exited with \(wrong)")
        #expect(calls.load(ordering: .relaxed) > 3)
    }
}

extension ForkSafetyTests {
    @Test("a child forked while a thread holds the pool's mutex (as a worker does around parking) finishes its first parallel call with the parent's bits")
    func forkWhileMutexHeld() throws {
        let (x, y) = operands(seed: 32)
        let saved = BCEThreads.maximum
        BCEThreads.maximum = 2
        defer { BCEThreads.maximum = saved }
        let expected = try binaryCrossEntropy(x, y, reduction: .sum).scalar!.bitPattern
        // Let the workers park, so the child's call has parked workers to wake.
        let deadline = Date().addingTimeInterval(5)
        while WorkerPool.shared.parkedWorkers < WorkerPool.shared.workers && Date() < deadline { usleep(1000) }
        let locked = Atomic<Bool>(false)
        let holder = Thread {
            WorkerPool.shared.withMutexLocked {
                locked.store(true, ordering: .releasing)
                usleep(200_000)
            }
        }
        holder.start()
        while !locked.load(ordering: .acquiring) { usleep(100) }
        let outcome = runForked(deadline: 10) {
            guard let value = try? binaryCrossEntropy(x, y, reduction: .sum).scalar else { return 2 }
            return value.bitPattern == expected ? 0 : 1
        }
        #expect(outcome != nil, "the child hung in its first parallel call")
        #expect(outcome == 0)
    }
}
