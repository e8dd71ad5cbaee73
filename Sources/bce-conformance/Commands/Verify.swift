import ArgumentParser
import BCEConformance

/// `bce-conformance verify`: the golden files against the manifest and the format; no implementation.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the golden files against MANIFEST.json (SHA-256, files, case counts) and format version 2.",
        discussion: "Exit codes: 0 the suite is intact, 3 a file is corrupt, missing or malformed, or of another format version (the message names file, case and field).")

    @OptionGroup var golden: GoldenOptions

    func run() throws {
        let suite = try golden.loadSuite()
        let m = suite.manifest
        var out = "golden suite \(m.suiteVersion) (format version \(m.formatVersion)) at \(suite.directory.path)\n"
        out += "manifest sha256 \(m.sha256)\n"
        for file in suite.files {
            let withAlternatives = file.cases.filter { !$0.acceptable.isEmpty }.count
            let widened = file.cases.filter { $0.flags.contains(ComparisonPolicy.widenedFlag) }.count
            out += "  ok  \(file.path): \(file.cases.count) cases"
            if withAlternatives > 0 {
                out += ", \(withAlternatives) with acceptable alternatives (\(widened) flagged \(ComparisonPolicy.widenedFlag))"
            }
            out += "\n"
        }
        let used = Set(suite.cases.flatMap(\.flags))
        for flag in m.flags.keys.sorted() where !used.contains(flag) {
            out += "  note: flag \"\(flag)\" is explained in the manifest but no case carries it\n"
        }
        let categories = m.categories.keys.sorted().map { "\($0) \(m.categories[$0]!)" }.joined(separator: ", ")
        out += "categories: \(categories)\n"
        out += "\(suite.files.count) files, \(suite.cases.count) cases: intact\n"
        writeOut(out)
    }
}
