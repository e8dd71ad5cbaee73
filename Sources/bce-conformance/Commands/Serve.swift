import ArgumentParser
import BCEConformance
import BCEConformanceSwiftLibrary

/// `bce-conformance serve`: the Swift library as a port, on stdin/stdout.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Swift library over the port protocol on stdin/stdout (JSON Lines), for other harnesses.",
        discussion: "Exits 0 after \"stop\" or end of input, 4 on a message it cannot read (reported on stderr).")

    func run() throws {
        let server = PortServer(info: SwiftLibraryImplementation().info, evaluate: { SwiftLibraryImplementation.evaluateNow($0) })
        do {
            try server.serve()
        } catch {
            printError("bce-conformance serve: protocol violation: \(error)")
            throw ExitStatus.portBroken.exitCode
        }
    }
}
