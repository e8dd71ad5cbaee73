import ArgumentParser
import BCEConformance

/// `bce-conformance list`: the selected case ids with their flags, then counts.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List case ids and flags, then counts, with the same filters as run.")

    @OptionGroup var golden: GoldenOptions
    @OptionGroup var selection: SelectionOptions

    @Flag(help: "Print only the ids, one per line.")
    var idsOnly = false

    func run() throws {
        let suite = try golden.loadSuite()
        let cases = try selection.selectChecked(suite, allowEmpty: true)
        var out = ""
        for c in cases {
            out += idsOnly ? "\(c.id)\n" : "\(c.id)\t\(c.flags.joined(separator: ","))\n"
        }
        if !idsOnly {
            var byGroup = [String: Int]()
            var byFlag = [String: Int]()
            for c in cases {
                byGroup["\(c.loss.rawValue)/\(c.dtype.rawValue)", default: 0] += 1
                for f in c.flags { byFlag[f, default: 0] += 1 }
            }
            out += "\n\(cases.count) of \(suite.cases.count) cases (suite \(suite.manifest.suiteVersion))\n"
            for (group, n) in byGroup.sorted(by: { $0.key < $1.key }) { out += "  \(group): \(n)\n" }
            if !byFlag.isEmpty {
                out += "flags:\n"
                for (flag, n) in byFlag.sorted(by: { $0.key < $1.key }) { out += "  \(flag): \(n)\n" }
            }
        }
        try writeOut(out)
    }
}
