import BCEConformance
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// PyTorch CPU, the bench's second baseline: scripts/bench_torch.py run by the Python of a
/// virtual environment that has torch (the embedded interpreter is Debian's and cannot import it),
/// driven in JSON lines (the protocol is in the script's docstring). Every reply has a deadline;
/// a worker that misses it, crashes or answers nonsense is killed and named in the error.
final class TorchWorker {
    /// What the worker reported at "hello".
    struct Hello: Decodable {
        var torch: String
        var numpy: String
        var python: String
        var threads: Int
    }

    /// Set by the handshake in `init`.
    private(set) var hello = Hello(torch: "", numpy: "", python: "", threads: 0)
    let python: String
    private let process: Process
    private let input: FileHandle
    private let output: Int32
    private var pending = [UInt8]()
    /// Longest wait for one reply (a "time" request of the slowest row takes a few seconds).
    static let replyTimeout: Duration = .seconds(300)

    /// Starts `python -I script` and says hello; throws `TorchWorkerError` naming what failed.
    init(python: String, script: URL, threads: Int) throws {
        signal(SIGPIPE, SIG_IGN)   // a worker that dies while we write gives EPIPE, not our death
        self.python = python
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-I", script.path]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw TorchWorkerError("cannot start \(python): \(error.localizedDescription)")
        }
        self.process = process
        self.input = stdin.fileHandleForWriting
        self.output = stdout.fileHandleForReading.fileDescriptor
        do {
            hello = try Self.decode(Hello.self, from: try exchange(["op": "hello", "threads": threads]))
        } catch {
            process.terminate()
            process.waitUntilExit()
            throw error
        }
    }

    deinit {
        if process.isRunning {
            try? input.write(contentsOf: Data(#"{"op": "stop"}"#.utf8 + [10]))
            try? input.close()
            let deadline = ContinuousClock.now + .seconds(3)
            while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
            if process.isRunning { process.terminate() }
        }
    }

    /// Loads the inputs the Swift side times, from files of their raw little-endian bits.
    func load(dtype: String, shape: [Int], input: URL, target: URL,
              weight: (URL, [Int])?, posWeight: (URL, [Int])?) throws {
        var request: [String: Any] = ["op": "load", "dtype": dtype, "shape": shape,
                                      "input": input.path, "target": target.path]
        if let (url, shape) = weight { request["weight"] = url.path; request["weight_shape"] = shape }
        if let (url, shape) = posWeight { request["pos_weight"] = url.path; request["pos_weight_shape"] = shape }
        _ = try exchange(request)
    }

    /// How long the worker waited after its last "time" request's calls until its threads were
    /// idle (its reply's `settled`; nil if it did not say). At bench_torch.py's limit (0.5 s) the
    /// threads were still busy when the next side started.
    private(set) var lastSettle: Double?

    /// Seconds taken by `calls` calls, as the worker timed them.
    func time(loss: String, reduction: String, pass: String, calls: Int) throws -> Double {
        struct Seconds: Decodable { var seconds: Double; var settled: Double? }
        let reply = try exchange(["op": "time", "loss": loss, "reduction": reduction, "pass": pass, "calls": calls])
        let decoded = try Self.decode(Seconds.self, from: reply)
        let seconds = decoded.seconds
        lastSettle = decoded.settled
        guard seconds.isFinite, seconds > 0 else { throw TorchWorkerError("the worker timed \(seconds) s for \(calls) calls") }
        return seconds
    }

    /// One request, one reply line; a reply {"ok": false, "error": ...} throws its error.
    private func exchange(_ request: [String: Any]) throws -> [UInt8] {
        let line = try JSONSerialization.data(withJSONObject: request) + [10]
        do {
            try input.write(contentsOf: line)
        } catch {
            // Most often the worker has exited: reading then reports its exit status.
            _ = try readLine()
            throw TorchWorkerError("the worker stopped reading (\(exitDescription())): \(error.localizedDescription)")
        }
        let reply = try readLine()
        struct Status: Decodable { var ok: Bool; var error: String? }
        let status = try Self.decode(Status.self, from: reply)
        guard status.ok else { throw TorchWorkerError(status.error ?? "the worker failed without saying why") }
        return reply
    }

    private func readLine() throws -> [UInt8] {
        let deadline = ContinuousClock.now + Self.replyTimeout
        while true {
            if let newline = pending.firstIndex(of: 10) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                return line
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                process.terminate()
                throw TorchWorkerError("no reply within \(Self.replyTimeout); the worker was stopped")
            }
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(min(Double(left.components.seconds) * 1000 + 1, 60_000))
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                process.waitUntilExit()
                throw TorchWorkerError("the worker closed its stdout (\(exitDescription()))")
            }
            pending += buffer[..<count]
        }
    }

    private func exitDescription() -> String {
        if process.isRunning { return "still running" }
        return process.terminationReason == .uncaughtSignal
            ? "killed by signal \(process.terminationStatus)" : "exit code \(process.terminationStatus)"
    }

    private static func decode<T: Decodable>(_ type: T.Type, from line: [UInt8]) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(line))
        } catch {
            let preview = String(decoding: line.prefix(200), as: UTF8.self)
            throw TorchWorkerError("the worker's reply is not the expected JSON: \(preview)")
        }
    }

    /// The interpreter to use: `explicit` (--torch), else $TORCH_VENV/bin/python, else the venv
    /// scripts/torch-parity.sh creates ($XDG_CACHE_HOME or ~/.cache, /swift-bce/torch-2.15.0-venv).
    static func defaultPython() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let venv = environment["TORCH_VENV"], !venv.isEmpty { return venv + "/bin/python" }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return cache + "/swift-bce/torch-2.15.0-venv/bin/python"
    }
}

struct TorchWorkerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
