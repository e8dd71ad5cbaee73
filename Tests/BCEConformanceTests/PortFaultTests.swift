import Foundation
import Testing
import BCEConformance

/// Ports that break in every way the issue lists (Tests/Fixtures/ports/fault_port.py), each run
/// through the built executable: exit code 4, the case that was running named in the message and
/// in the JSON report, the run over within its time limit, and no process of the port's group
/// left in the process table.
@Suite("Broken ports: reported with the case, in time, nothing left behind", .serialized)
struct PortFaultTests {
    /// `--timeout` of these runs, seconds; a run may take it plus start-up and the kill.
    static let timeout = 2.0
    static let limit = 15.0

    struct Fault: CustomStringConvertible, Sendable {
        var mode: String
        /// Words the failure message must contain: what happened.
        var says: [String]
        var description: String { mode }
    }

    static let faults: [Fault] = [
        Fault(mode: "exit", says: ["closed its stdout or exited", "exited with code 3"]),
        Fault(mode: "sigkill", says: ["closed its stdout or exited", "killed by signal 9"]),
        Fault(mode: "hang", says: ["no reply within the timeout", "killed"]),
        Fault(mode: "wrong-id", says: ["result for case \"bce/float32/none/not-this-one\" while case"]),
        Fault(mode: "half-line-exit", says: ["not a JSON object", "{\"type\": \"result\""]),
        Fault(mode: "half-line-hang", says: ["no reply within the timeout"]),
        Fault(mode: "flood-hang", says: ["no reply within the timeout"]),
        Fault(mode: "nan-token", says: ["protocol violation"]),
        Fault(mode: "nan-hex", says: ["protocol violation"]),
        Fault(mode: "null-tensor", says: ["protocol violation", "outputs.loss"]),
        Fault(mode: "number-tensor", says: ["protocol violation", "outputs.loss"]),
        Fault(mode: "nan-shape", says: ["protocol violation"]),
        Fault(mode: "child-stdout", says: []),
    ]

    @Test(arguments: faults)
    func aBrokenPortIsReported(_ fault: Fault) throws {
        let fm = FileManager.default
        let golden = try SyntheticSuite.write()
        let state = fm.temporaryDirectory.appendingPathComponent("fault-\(UUID().uuidString)")
        try fm.createDirectory(at: state, withIntermediateDirectories: true)
        defer {
            try? fm.removeItem(at: golden)
            try? fm.removeItem(at: state)
        }
        let start = Date()
        let r = try Tool.run(["run", "--golden", golden.path, "--format", "json", "--timeout", "\(Self.timeout)",
                              "--port", Tool.pythonPort("fault_port.py", "\(fault.mode) \(state.path)")], limit: 60)
        let seconds = Date().timeIntervalSince(start)
        #expect(seconds < Self.limit, "\(fault): the run took \(seconds) s")
        #expect(r.status == 4, "\(fault): \(r.description)")

        // The case that was running: the last one the port received (it skipped the two before).
        let received = try String(contentsOf: state.appendingPathComponent("cases"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(received.count == 3, "\(fault): \(received)")
        let running = try #require(received.last)
        #expect(r.stderr.contains("case \(running)"), "\(fault): \(r.description)")
        for words in fault.says {
            #expect(r.stderr.contains(words), "\(fault): no \"\(words)\" in \(r.description)")
        }
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let failure = try #require(report["implementation_failure"] as? [String: Any], "\(fault): \(r.description)")
        #expect(failure["case_id"] as? String == running)
        #expect((report["summary"] as? [String: Any])?["conformant"] as? Bool == false)
        let statuses = (report["cases"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
        #expect(statuses == ["not_covered", "not_covered"], "\(fault): the cases before the fault are reported")
        if fault.mode == "flood-hang" {
            #expect((failure["stderr_tail"] as? String)?.contains("flood flood") == true)
            #expect((failure["stderr_tail"] as? String)?.utf8.count ?? .max <= PortProcessImplementation.stderrLimit + 256)
        }

        // Nothing of the port survives: neither its group nor the child it started.
        let pgid = try #require(Int32(try String(contentsOf: state.appendingPathComponent("pgid"), encoding: .utf8)))
        let child = try #require(Int32(try String(contentsOf: state.appendingPathComponent("child"), encoding: .utf8)))
        #expect(pgid != getpgrp(), "the port must run in a process group of its own")
        let left = ProcessTable.waitUntilEmpty(group: pgid)
        #expect(left.isEmpty, "\(fault): processes of the port's group \(pgid) survived: \(left)")
        #expect(EndToEndTests.waitUntilGone(child), "\(fault): the port's child \(child) survived")
    }
}

/// The process table, from /proc.
enum ProcessTable {
    /// Live (not zombie) processes whose process group is `group`: "pid command" each.
    static func members(of group: Int32) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var found = [String]()
        for pid in entries where pid.allSatisfy(\.isNumber) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            // After "(comm) ": state ppid pgrp ...
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", Int32(fields[2]) == group else { continue }
            found.append("\(pid) \(stat[stat.index(after: open)..<close])")
        }
        return found
    }

    /// Waits up to 3 s for the group to empty; returns what is left.
    static func waitUntilEmpty(group: Int32) -> [String] {
        var left = members(of: group)
        for _ in 0..<300 where !left.isEmpty {
            Thread.sleep(forTimeInterval: 0.01)
            left = members(of: group)
        }
        return left
    }
}
