import Synchronization

/// Lines read from a port's stdout by one task, awaited one at a time by another, with
/// cancellation (which is how a per-case timeout wins the race against a silent port).
final class LineMailbox: Sendable {
    enum Event: Sendable {
        case line([UInt8])
        /// stdout ended (closed, or reading failed with the given reason).
        case end(String?)
        /// The port sent a line longer than the limit (bytes); nothing more is read.
        case overlong(Int)
    }

    private struct State {
        var queue: [Event] = []
        var waiter: CheckedContinuation<Event?, Never>?
        var ended = false
    }

    private let state = Mutex(State())

    func push(_ event: Event) {
        let waiter: CheckedContinuation<Event?, Never>? = state.withLock { s in
            if s.ended { return nil }
            switch event {
            case .end, .overlong: s.ended = true
            case .line: break
            }
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.queue.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next event, or nil if the awaiting task was cancelled first. After `.end`, returns `.end` again.
    func next() async -> Event? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Event?, Never>) in
                let immediate: Event?? = state.withLock { s in
                    if !s.queue.isEmpty { return .some(s.queue.removeFirst()) }
                    if s.ended { return .some(.end(nil)) }
                    if Task.isCancelled { return .some(nil) }
                    s.waiter = continuation
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}

/// The last `limit` bytes a port wrote to stderr: a port flooding stderr is drained at full
/// speed (it never blocks on a full pipe) and costs at most `limit` bytes of memory.
final class BoundedTail: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var total = 0
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func append(_ chunk: UnsafeRawBufferPointer) {
        state.withLock { s in
            s.total += chunk.count
            s.bytes.append(contentsOf: chunk.suffix(limit))
            if s.bytes.count > 2 * limit { s.bytes.removeFirst(s.bytes.count - limit) }
        }
    }

    /// The retained tail as text, prefixed by how much was dropped.
    var text: String {
        state.withLock { s in
            let kept = s.bytes.suffix(limit)
            let dropped = s.total - kept.count
            let body = String(decoding: kept, as: UTF8.self)
            return dropped > 0 ? "[\(dropped) earlier bytes dropped]\n" + body : body
        }
    }
}
