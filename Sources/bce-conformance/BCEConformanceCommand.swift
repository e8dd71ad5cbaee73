import ArgumentParser
import BCEConformance
import BinaryCrossEntropy
import Foundation
import PythonBridge

/// `bce-conformance`: the golden suite against the Swift library or any port.
struct BCEConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bce-conformance",
        abstract: "Checks binary cross-entropy implementations against PyTorch-exact golden files.",
        discussion: """
            Exit codes: 0 conformant, 1 failures, 2 usage error, 3 golden files corrupt, missing or of \
            an unknown format version, 4 a port broke the protocol, crashed or hung.
            Documentation: docs/RUNNER.md.
            """,
        version: versionText,
        subcommands: [Run.self, List.self, Verify.self, Regenerate.self, Live.self, Serve.self, Bench.self, Request.self],
        defaultSubcommand: Run.self
    )
}

extension BCEConformanceCommand {
    /// `--version`: the first line is "bce-conformance VERSION" (scripts/package.sh reads it).
    static var versionText: String {
        """
        bce-conformance \(SwiftBCEVersion.current)
        library: swift-bce BinaryCrossEntropy \(SwiftBCEVersion.current)
        golden format: version \(GoldenFormat.version)
        embedded Python (live, regenerate, bench only; opened on first use): \(Python.systemExecutable), \(Python.libraryName)
        """
    }
}

@main
enum Main {
    static func main() async {
        reserveClosedStandardDescriptors()
        do {
            var command = try BCEConformanceCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // ArgumentParser's usage errors exit 64 (EX_USAGE); this tool documents 2.
            if BCEConformanceCommand.exitCode(for: error) == .validationFailure {
                let message = BCEConformanceCommand.fullMessage(for: error)
                printError(message)
                exit(ExitStatus.usage.rawValue)
            }
            BCEConformanceCommand.exit(withError: error)
        }
    }
}
