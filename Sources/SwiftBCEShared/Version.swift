/// The version of swift-bce, in one place: the loss library, the `bce-conformance` runner
/// (`--version`, and every report through the Swift library's implementation version) and the
/// release tarball (`scripts/package.sh` names it after `bce-conformance --version`) all carry it.
/// The golden suite it ships says its own in golden/MANIFEST.json (`suite_version`, written by
/// scripts/generate_golden.py); a release bumps both together (docs/CONTRACTS.md section 0).
/// Here, in SwiftBCEShared, so the conformance library names the runner's version without
/// depending on the loss library; BinaryCrossEntropy re-exports the name (its Version.swift).
public enum SwiftBCEVersion {
    /// Semantic version, e.g. "2.0.0".
    public static let current = "2.0.0"
}
