import ArgumentParser
import BCEConformance

/// The case filters `run` and `list` share.
struct SelectionOptions: ParsableArguments {
    @Option(name: .customLong("id"), help: ArgumentHelp(
        "Only cases whose id matches (glob with * and ?; =ID exactly that id; otherwise ids containing it). Repeatable.",
        valueName: "pattern"))
    var idPatterns: [String] = []

    @Option(help: ArgumentHelp("Only this loss: bce or bce_with_logits. Repeatable.", valueName: "loss"))
    var loss: [String] = []

    @Option(help: ArgumentHelp("Only this dtype: float16, bfloat16, float32 or float64. Repeatable.", valueName: "dtype"))
    var dtype: [String] = []

    @Option(help: ArgumentHelp("Only this reduction: none, mean or sum. Repeatable.", valueName: "reduction"))
    var reduction: [String] = []

    @Option(help: ArgumentHelp("Only cases carrying this flag (any of the given flags). Repeatable.", valueName: "flag"))
    var flag: [String] = []

    // .unconditional: "--shard -1/3" is a bad value of --shard, not an unknown option "-1/3".
    @Option(parsing: .unconditional, help: ArgumentHelp("Run only the I-th of N parts of the suite (1-based), for parallel CI jobs.", valueName: "I/N"))
    var shard: String?

    func validate() throws {
        _ = try selection()
        if let empty = idPatterns.first(where: \.isEmpty) {
            throw ValidationError("--id needs a pattern (got \"\(empty)\"; use --id '*' for every case)")
        }
    }

    /// The selected cases of `suite`, checked: every --flag must be one the manifest explains (a
    /// typo would select nothing), and unless `allowEmpty`, a selection of no case is a usage error
    /// (exit 2), never an empty run reported as conformant.
    func selectChecked(_ suite: GoldenSuite, allowEmpty: Bool = false) throws -> [GoldenCase] {
        let known = Set(suite.manifest.flags.keys)
        for f in flag where !known.contains(f) {
            throw ValidationError("--flag \(f) is not a flag of this suite (its flags: \(known.sorted().joined(separator: ", ")))")
        }
        let cases = try selection().select(suite.cases)
        if cases.isEmpty && !allowEmpty {
            printError("bce-conformance: no case of the \(suite.cases.count) in the suite is selected by \(describe()); nothing was checked")
            throw ExitStatus.usage.exitCode
        }
        return cases
    }

    /// The filters given, as options, for messages.
    func describe() -> String {
        var parts = idPatterns.map { "--id \($0)" } + loss.map { "--loss \($0)" } + dtype.map { "--dtype \($0)" }
        parts += reduction.map { "--reduction \($0)" } + flag.map { "--flag \($0)" }
        if let shard { parts.append("--shard \(shard)") }
        return parts.isEmpty ? "the (empty) filters" : parts.joined(separator: " ")
    }

    func selection() throws -> CaseSelection {
        var s = CaseSelection()
        s.idPatterns = idPatterns
        s.losses = Set(try loss.map { try parse($0, LossKind.self, "--loss") })
        s.dtypes = Set(try dtype.map { try parse($0, DType.self, "--dtype") })
        s.reductions = Set(try reduction.map { try parse($0, ReductionKind.self, "--reduction") })
        s.flags = Set(flag)
        if let shard {
            guard let parsed = Shard(shard) else {
                throw ValidationError("--shard must be I/N with 1 ≤ I ≤ N, e.g. 2/4 (got \"\(shard)\")")
            }
            s.shard = parsed
        }
        return s
    }

    private func parse<E: RawRepresentable & CaseIterable>(_ text: String, _: E.Type, _ option: String) throws -> E
    where E.RawValue == String {
        guard let value = E(rawValue: text) else {
            throw ValidationError("\(option) must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(text)\")")
        }
        return value
    }
}
