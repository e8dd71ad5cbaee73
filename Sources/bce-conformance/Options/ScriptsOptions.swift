import ArgumentParser
import BCEConformance
import Foundation

/// `--scripts DIR`: where scripts/bce_reference.py and scripts/generate_golden.py are.
struct ScriptsOptions: ParsableArguments {
    @Option(name: .customLong("scripts"), help: ArgumentHelp(
        "The directory holding bce_reference.py and generate_golden.py.",
        discussion: "Default: $BCE_SCRIPTS_DIR, else scripts/ beside the executable, else the first scripts/bce_reference.py found walking up from the current directory, then from the executable's directory.",
        valueName: "dir"))
    var directory: String?

    func locate() throws -> URL {
        switch ResourceLocator.locate(explicit: directory, environmentVariable: "BCE_SCRIPTS_DIR",
                                      relativePath: "scripts", marker: "bce_reference.py") {
        case .success(let url): return url
        case .failure(let message): throw ValidationError("the Python reference was not found: \(message)")
        }
    }
}
