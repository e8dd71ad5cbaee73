import ArgumentParser
import BCEConformance

/// `bce-conformance request ID`: the port protocol's `run` line for one golden case, exactly as
/// `run --port` sends it, to replay the case against a port by hand.
struct Request: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the request line (the port protocol's run message) of one golden case, to replay it by hand.",
        discussion: """
            Example: bce-conformance request --session bce/float32/mean/clamp-p0-y1 | ./my-port \
            (--session adds the start line before and the stop line after). Exit 2 if no case has that id.
            """)

    @OptionGroup var golden: GoldenOptions

    @Flag(help: "Also print the start line before the request and the stop line after it, so the output can be piped into a port.")
    var session = false

    @Argument(help: ArgumentHelp("The case's exact id (as `list` prints it).", valueName: "id"))
    var id: String

    func run() throws {
        let suite = try golden.loadSuite()
        guard let c = suite.cases.first(where: { $0.id == id }) else {
            let near = suite.cases.filter { $0.id.contains(id) }.prefix(5).map(\.id)
            printError("bce-conformance: no golden case has the id \"\(id)\""
                       + (near.isEmpty ? "" : "; ids containing it: \(near.joined(separator: ", "))"))
            throw ExitStatus.usage.exitCode
        }
        var lines = [PortProtocol.runMessage(c)]
        if session { lines = [PortProtocol.startMessage()] + lines + [PortProtocol.stopMessage()] }
        try writeOut(lines.joined(separator: "\n") + "\n")
    }
}
