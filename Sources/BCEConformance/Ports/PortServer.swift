import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The port side of the protocol: `bce-conformance serve` puts the Swift library behind it so
/// another harness can drive it exactly as the runner drives an external port.
public struct PortServer {
    public var info: ImplementationInfo
    public var evaluate: (GoldenCase) -> CaseOutcome

    /// Longest request line read: a "run" message carries one golden case, which is never larger
    /// than a golden file may be. A longer line is refused before it is all in memory.
    public static let maxLineBytes = GoldenSuite.maxFileBytes

    public init(info: ImplementationInfo, evaluate: @escaping (GoldenCase) -> CaseOutcome) {
        self.info = info
        self.evaluate = evaluate
    }

    /// Serves until "stop" (returns normally) or end of input; throws on a message it cannot read
    /// (after reporting it on stderr), so the caller exits non-zero.
    public func serve(readLine: () throws(PortProtocol.Violation) -> [UInt8]? = PortServer.standardInputLines(),
                      write: (String) throws(PortProtocol.Violation) -> Void = PortServer.writeStandardOutput)
        throws(PortProtocol.Violation) {
        while let line = try readLine() {
            switch try PortProtocol.parseRequest(line) {
            case .start(let version, let accepts):
                // The newest version both sides speak: 2 (capabilities) if the runner accepts it, else 1.
                guard let answer = PortProtocol.accepted.filter({ accepts.contains($0) || $0 == version }).max() else {
                    throw PortProtocol.Violation("the runner speaks protocol version \(version); this port speaks versions "
                                                 + PortProtocol.accepted.map(String.init).joined(separator: " and "))
                }
                try write(PortProtocol.startedMessage(info, version: answer))
            case .run(let golden):
                try write(PortProtocol.resultMessage(id: golden.id, evaluate(golden)))
            case .stop:
                return
            }
        }
    }

    /// Lines of stdin ("\n"-terminated, the last one may not be), each at most `limit` bytes.
    public static func standardInputLines(limit: Int = maxLineBytes) -> () throws(PortProtocol.Violation) -> [UInt8]? {
        let reader = BoundedLineReader(fd: 0, limit: limit)
        return { () throws(PortProtocol.Violation) -> [UInt8]? in try reader.next() }
    }

    public static func writeStandardOutput(_ line: String) throws(PortProtocol.Violation) {
        do throws(FileIO.Failure) {
            try FileIO.writeAll(Data((line + "\n").utf8), fd: 1, path: "stdout")
        } catch {
            throw PortProtocol.Violation("cannot write the reply: \(error)")
        }
    }
}

/// Reads "\n"-terminated lines from a descriptor, refusing one longer than `limit` bytes as soon
/// as that many bytes are buffered (memory stays below limit + one read).
final class BoundedLineReader {
    private let fd: Int32
    private let limit: Int
    private var buffer = [UInt8]()
    private var start = 0
    private var ended = false

    init(fd: Int32, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    func next() throws(PortProtocol.Violation) -> [UInt8]? {
        var scanFrom = start
        while true {
            if let newline = buffer[scanFrom...].firstIndex(of: 0x0A) {
                var line = Array(buffer[start..<newline])
                if line.last == 0x0D { line.removeLast() }
                start = newline + 1
                return line
            }
            scanFrom = buffer.count
            if buffer.count - start > limit {
                throw PortProtocol.Violation("a request line longer than \(limit) bytes (read \(buffer.count - start) bytes without a newline)")
            }
            if ended {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            // Compact what was consumed, then read more.
            if start > 0 {
                buffer.removeFirst(start)
                scanFrom -= start
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PortProtocol.Violation("cannot read stdin: \(String(cString: strerror(errno)))")
            }
            if n == 0 { ended = true } else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }
}
