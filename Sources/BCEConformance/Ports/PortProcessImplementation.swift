import Foundation
import Subprocess
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An external port, driven over the port protocol (see `PortProtocol`).
///
/// The port is started with `/bin/sh -c COMMAND` in a process group of its own. Every exchange
/// (start, each case, stop) has a timeout; on a timeout, a crash, a closed stdout, or a line that
/// is not the expected message, the whole process group is killed and the run fails with
/// `ImplementationFailure` naming the case (exit code 4). stderr is drained continuously into a
/// bounded tail that failures show. On the way out the group is always killed, so no child of the
/// port survives the run.
///
/// Built on swift-subprocess's streaming `run` (process group via `PlatformOptions.processGroupID`,
/// signals to the group via `Execution.send(signal:toProcessGroup:)`).
public final class PortProcessImplementation: LossImplementation {
    public let info: ImplementationInfo
    public let command: String
    private let timeout: Duration
    private let writer: StandardInputWriter
    private let mailbox: LineMailbox
    private let stderrTail: BoundedTail
    private let killGroup: @Sendable () -> Void

    /// Longest line accepted from a port (the largest golden tensors are a few MB of hex).
    public static let maxLineBytes = 256 << 20
    public static let stderrLimit = 64 << 10
    /// How long the port may take to exit after "stop" (`--exit-grace`, default the `--timeout`).
    private let exitGrace: Duration

    private init(info: ImplementationInfo, command: String, timeout: Duration, exitGrace: Duration, writer: StandardInputWriter,
                 mailbox: LineMailbox, stderrTail: BoundedTail, killGroup: @escaping @Sendable () -> Void) {
        self.exitGrace = exitGrace
        self.info = info
        self.command = command
        self.timeout = timeout
        self.writer = writer
        self.mailbox = mailbox
        self.stderrTail = stderrTail
        self.killGroup = killGroup
    }

    /// Starts the port, performs the start handshake, runs `body` with it, then stops it and gives
    /// it `exitGrace` (default: `timeout`) to exit.
    public static func with<R: Sendable>(
        command: String, timeout: Duration = .seconds(10), exitGrace: Duration? = nil,
        _ body: (PortProcessImplementation) async throws(ImplementationFailure) -> R
    ) async throws(ImplementationFailure) -> R {
        // A port that dies while we write to it must give EPIPE, not kill the runner.
        signal(SIGPIPE, SIG_IGN)
        // Orphans below the runner (a setsid'd daemon of the port) come to it, to be killed.
        PortProcessTree.becomeSubreaper()
        PortProcessTree.portStarting()
        var options = PlatformOptions()
        options.processGroupID = 0   // a new group led by the port: killable as a whole
        let outcome: Result<R, ImplementationFailure>
        let termination: TerminationStatus
        let exitedInGrace = Flag()
        let tail = BoundedTail(limit: stderrLimit)
        let exitGrace = exitGrace ?? timeout
        do {
            let result = try await Subprocess.run(
                .path("/bin/sh"), arguments: ["-c", command], platformOptions: options,
                input: .inputWriter, output: .sequence, error: .sequence
            ) { execution in
                let mailbox = LineMailbox()
                let pid = execution.processIdentifier.value
                PortProcessTree.register(group: pid)
                let killGroup: @Sendable () -> Void = { try? execution.send(signal: .kill, toProcessGroup: true) }
                return await withTaskGroup(of: Void.self, returning: Result<R, ImplementationFailure>.self) { group in
                    group.addTask { await readLines(execution.standardOutput, into: mailbox) }
                    group.addTask {
                        do {
                            for try await chunk in execution.standardError { chunk.withUnsafeBytes { tail.append($0) } }
                        } catch {}
                    }
                    let result = await drive(command: command, timeout: timeout, exitGrace: exitGrace,
                                             writer: execution.standardInputWriter,
                                             mailbox: mailbox, tail: tail, killGroup: killGroup, body)
                    // After a clean "stop", the port's own exit status counts: give it the grace
                    // period to exit before its group (children holding stderr) is killed.
                    if case .success = result, await waitForExit(pid, within: exitGrace) { exitedInGrace.set() }
                    killGroup()
                    try? await execution.standardInputWriter.finish()
                    await group.waitForAll()
                    return result
                }
            }
            outcome = result.closureResult
            termination = result.terminationStatus
        } catch {
            PortProcessTree.portFinished()
            throw ImplementationFailure(caseID: nil, message: "could not start the port `\(command)`: \(error)", stderrTail: tail.text)
        }
        // The group is dead and its leader reaped: what is left below the runner was a daemon
        // (setsid) of the port, re-parented here; no child of the port survives the run.
        PortProcessTree.portFinished()
        switch outcome {
        case .success(let value):
            guard exitedInGrace.isSet else {
                throw ImplementationFailure(caseID: nil, message: "the port closed its stdout but did not exit within the exit grace "
                                            + "of \(exitGrace) after \"stop\" (--exit-grace); killed", stderrTail: tail.text)
            }
            // A port that exits non-zero after "stop" failed, even if every result was right.
            guard case .exited(0) = termination else {
                throw ImplementationFailure(caseID: nil, message: "the port \(describe(termination)) after \"stop\" (expected exit code 0)",
                                            stderrTail: tail.text)
            }
            return value
        case .failure(var failure):
            failure.message += " (port \(describe(termination)))"
            failure.stderrTail = tail.text
            throw failure
        }
    }

    private static func drive<R>(
        command: String, timeout: Duration, exitGrace: Duration, writer: StandardInputWriter, mailbox: LineMailbox,
        tail: BoundedTail, killGroup: @escaping @Sendable () -> Void,
        _ body: (PortProcessImplementation) async throws(ImplementationFailure) -> R
    ) async -> Result<R, ImplementationFailure> {
        do throws(ImplementationFailure) {
            let startedLine = try await exchange(PortProtocol.startMessage(), writer: writer, mailbox: mailbox,
                                                 timeout: timeout, killGroup: killGroup, caseID: nil, what: "the \"started\" reply")
            let info: ImplementationInfo
            do {
                info = try PortProtocol.parseStarted(startedLine)
            } catch {
                throw ImplementationFailure(caseID: nil, message: "protocol violation at start: \(error)")
            }
            let port = PortProcessImplementation(info: info, command: command, timeout: timeout, exitGrace: exitGrace, writer: writer,
                                                 mailbox: mailbox, stderrTail: tail, killGroup: killGroup)
            let value = try await body(port)
            try await port.stop()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }

    public func evaluate(_ golden: GoldenCase) async throws(ImplementationFailure) -> CaseOutcome {
        // A case outside the declared capabilities is never sent (the runner reports it not covered first).
        if let reason = info.capabilities.notCoveredReason(golden) { return .skipped(reason: reason) }
        let line = try await Self.exchange(PortProtocol.runMessage(golden), writer: writer, mailbox: mailbox,
                                           timeout: timeout, killGroup: killGroup, caseID: golden.id, what: "its result")
        do {
            return try PortProtocol.parseResult(line, for: golden, outputs: info.capabilities.outputs)
        } catch {
            killGroup()
            throw ImplementationFailure(caseID: golden.id, message: "protocol violation: \(error)")
        }
    }

    /// Several cases in flight at once (`live --port`): every request is written (by a task of its
    /// own, so a port that answers while it reads never blocks on a full pipe) and the replies are
    /// read in order, each within the timeout. Every case must be covered (the caller decides
    /// coverage first). A port reads one line and answers it before the next, so pipelining needs
    /// nothing of it beyond the protocol.
    public func evaluate(batch cases: [GoldenCase]) async throws(ImplementationFailure) -> [CaseOutcome] {
        guard !cases.isEmpty else { return [] }
        let request = cases.map { PortProtocol.runMessage($0) + "\n" }.joined()
        let writer = self.writer
        let writing = Task { () -> String? in
            do {
                _ = try await writer.write(request)
                return nil
            } catch {
                return "\(error)"
            }
        }
        var outcomes = [CaseOutcome]()
        outcomes.reserveCapacity(cases.count)
        for golden in cases {
            let event = await Self.awaitEvent(mailbox, timeout: timeout, killGroup: killGroup)
            switch event {
            case .line(let line)?:
                do {
                    outcomes.append(try PortProtocol.parseResult(line, for: golden, outputs: info.capabilities.outputs))
                } catch {
                    killGroup()
                    throw ImplementationFailure(caseID: golden.id, message: "protocol violation: \(error)")
                }
            case .overlong(let limit)?:
                killGroup()
                throw ImplementationFailure(caseID: golden.id, message: "protocol violation: the port sent a line longer than \(limit) bytes instead of its result; killed")
            case .end(let reason)?:
                killGroup()
                let written = await writing.value.map { " (writing to it failed: \($0))" } ?? ""
                throw ImplementationFailure(caseID: golden.id, message: "the port closed its stdout or exited before sending its result\(reason.map { " (\($0))" } ?? "")\(written)")
            case nil:
                killGroup()
                throw ImplementationFailure(caseID: golden.id, message: "the port sent no reply within the timeout of \(timeout); killed")
            }
        }
        if let failed = await writing.value {
            throw ImplementationFailure(caseID: cases.last?.id, message: "the port stopped reading its stdin (\(failed))")
        }
        return outcomes
    }

    /// Sends "stop" and gives the port the exit grace to close its stdout (exit); anything it prints
    /// after "stop" is a violation.
    private func stop() async throws(ImplementationFailure) {
        do {
            _ = try await writer.write(PortProtocol.stopMessage() + "\n")
            try await writer.finish()
        } catch {
            throw ImplementationFailure(caseID: nil, message: "the port stopped reading before \"stop\": \(error)")
        }
        let event = await Self.awaitEvent(mailbox, timeout: exitGrace, killGroup: killGroup)
        switch event {
        case .end?: return
        case .overlong(let limit)?:
            throw ImplementationFailure(caseID: nil, message: "protocol violation: a line longer than \(limit) bytes after \"stop\"")
        case .line(let line)?:
            throw ImplementationFailure(caseID: nil, message: "protocol violation: output after \"stop\": \(PortProtocol.preview(line))")
        case nil:
            throw ImplementationFailure(caseID: nil, message: "the port did not exit within the exit grace of \(exitGrace) after \"stop\" (--exit-grace); killed")
        }
    }

    /// Writes one request line and waits for one reply line, both within `timeout`.
    private static func exchange(_ request: String, writer: StandardInputWriter, mailbox: LineMailbox, timeout: Duration,
                                 killGroup: @escaping @Sendable () -> Void, caseID: String?, what: String)
        async throws(ImplementationFailure) -> [UInt8] {
        enum Step: Sendable { case reply(LineMailbox.Event), writeFailed(String), timedOut, cancelled }
        // Killing the port on timeout also ends its stdout: whichever child the group hears from
        // first, a kill by the timeout is reported as the timeout.
        let timedOut = Flag()
        var step = await withTaskGroup(of: Step.self) { group in
            group.addTask {
                do {
                    _ = try await writer.write(request + "\n")
                } catch {
                    return .writeFailed("\(error)")
                }
                guard let event = await mailbox.next() else { return .cancelled }
                return .reply(event)
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                } catch {
                    return .cancelled
                }
                // Kill first: a port that stopped reading leaves the writer blocked until its pipe closes.
                timedOut.set()
                killGroup()
                return .timedOut
            }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            return first
        }
        if timedOut.isSet { step = .timedOut }
        switch step {
        case .reply(.line(let line)):
            return line
        case .reply(.overlong(let limit)):
            killGroup()
            throw ImplementationFailure(caseID: caseID, message: "protocol violation: the port sent a line longer than \(limit) bytes instead of \(what); killed")
        case .reply(.end(let reason)):
            killGroup()
            let why = reason.map { " (\($0))" } ?? ""
            throw ImplementationFailure(caseID: caseID, message: "the port closed its stdout or exited before sending \(what)\(why)")
        case .writeFailed(let error):
            // A port that printed something and exited before reading: what it printed says more.
            if case .line(let line)? = await awaitEvent(mailbox, timeout: .milliseconds(500), killGroup: killGroup) {
                killGroup()
                return line
            }
            killGroup()
            throw ImplementationFailure(caseID: caseID, message: "the port exited or stopped reading its stdin (\(error))")
        case .timedOut:
            throw ImplementationFailure(caseID: caseID, message: "the port sent no reply within the timeout of \(timeout); killed")
        case .cancelled:
            killGroup()
            throw ImplementationFailure(caseID: caseID, message: "cancelled")
        }
    }

    private static func awaitEvent(_ mailbox: LineMailbox, timeout: Duration, killGroup: @escaping @Sendable () -> Void) async -> LineMailbox.Event? {
        await withTaskGroup(of: LineMailbox.Event?.self) { group in
            group.addTask { await mailbox.next() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Polls /proc until `pid` has exited (a zombie or gone), at most `within`: whether it did.
    private static func waitForExit(_ pid: pid_t, within: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + within
        while true {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return true }
            let state = stat[stat.index(after: close)...].split(separator: " ").first
            if state == "Z" || state == "X" { return true }
            if clock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Splits stdout into lines ("\n", an optional "\r" before it is dropped) without decoding.
    private static func readLines(_ output: SubprocessOutputSequence, into mailbox: LineMailbox) async {
        var current = [UInt8]()
        do {
            for try await chunk in output {
                var overlong = false
                chunk.withUnsafeBytes { bytes in
                    var start = 0
                    for i in 0..<bytes.count where bytes[i] == 0x0A {
                        current.append(contentsOf: bytes[start..<i])
                        if current.last == 0x0D { current.removeLast() }
                        mailbox.push(.line(current))
                        current.removeAll(keepingCapacity: false)
                        start = i + 1
                    }
                    current.append(contentsOf: bytes[start..<bytes.count])
                    if current.count > maxLineBytes { overlong = true }
                }
                if overlong {
                    mailbox.push(.overlong(maxLineBytes))
                    return
                }
            }
            if !current.isEmpty { mailbox.push(.line(current)) }
            mailbox.push(.end(nil))
        } catch {
            mailbox.push(.end("reading stdout failed: \(error)"))
        }
    }

    private static func describe(_ status: TerminationStatus) -> String {
        switch status {
        // The port runs under /bin/sh -c, which reports a command killed by signal N as 128 + N.
        case .exited(let code) where code > 128 && code <= 128 + 64:
            "exited with code \(code): its command was killed by signal \(code - 128)"
        case .exited(let code): "exited with code \(code)"
        case .signaled(let signal): "was killed by signal \(signal)"
        }
    }
}

/// A one-way boolean shared between tasks.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
