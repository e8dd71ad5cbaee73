import Foundation

/// The port side of the protocol: `bce-conformance serve` puts the Swift library behind it so
/// another harness can drive it exactly as the runner drives an external port.
public struct PortServer {
    public var info: ImplementationInfo
    public var evaluate: (GoldenCase) -> CaseOutcome

    public init(info: ImplementationInfo, evaluate: @escaping (GoldenCase) -> CaseOutcome) {
        self.info = info
        self.evaluate = evaluate
    }

    /// Serves until "stop" (returns normally) or end of input; throws on a message it cannot read
    /// (after reporting it on stderr), so the caller exits non-zero.
    public func serve(readLine: () -> String? = { Swift.readLine(strippingNewline: true) },
                      write: (String) -> Void = PortServer.writeStandardOutput) throws(PortProtocol.Violation) {
        while let line = readLine() {
            switch try PortProtocol.parseRequest(Array(line.utf8)) {
            case .start(let version):
                guard version == PortProtocol.version else {
                    throw PortProtocol.Violation("the runner speaks protocol version \(version); this port speaks \(PortProtocol.version)")
                }
                write(PortProtocol.startedMessage(info))
            case .run(let golden):
                write(PortProtocol.resultMessage(id: golden.id, evaluate(golden)))
            case .stop:
                return
            }
        }
    }

    public static func writeStandardOutput(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
