import Foundation
import Testing

/// BCEConformance checks any implementation, so it must not depend on the one it ships with
/// (issue 13): the Swift library is put under test by BCEConformanceSwiftLibrary, and what both
/// need (version, bfloat16 rounding) lives in SwiftBCEShared. SwiftPM lets a file import a module
/// that its target does not declare when the same build has it, so the build alone cannot tell.
@Suite struct LayeringTests {
    static let forbidden = ["BinaryCrossEntropy", "BCESIMDKernels", "BCEConformanceSwiftLibrary", "PythonBridge", "CPythonShim"]

    /// The modules an `import` line of `source` names, with any attribute or access level (`@testable`,
    /// `@_exported`, `internal import`, `import struct M.T`).
    static func importedModules(_ source: String) -> [String] {
        let pattern = #/^\s*(?:@\w+\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+(?:(?:struct|class|enum|protocol|typealias|func|var|let)\s+)?(\w+)/#
        return source.split(separator: "\n").compactMap { line in (try? pattern.firstMatch(in: String(line)))?.output.1 }.map(String.init)
    }

    @Test func importLinesAreRecognisedWhateverTheirAttributes() {
        let source = "import Foundation\n@testable import A\n  internal import B\n@_exported public import C\nimport struct D.T\n// import E\n"
        #expect(Self.importedModules(source) == ["Foundation", "A", "B", "C", "D"])
    }

    @Test func noBCEConformanceSourceImportsTheLossLibraryOrPython() throws {
        let root = Tool.packageRoot.appendingPathComponent("Sources/BCEConformance")
        let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 20, "found only \(files.count) Swift files under \(root.path)")
        for file in files.sorted() {
            let modules = Self.importedModules(try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8))
            for module in modules where Self.forbidden.contains(module) {
                Issue.record("Sources/BCEConformance/\(file) imports \(module)")
            }
        }
    }

    @Test func theBCEConformanceTargetDeclaresNoDependencyOnTheLossLibrary() throws {
        let manifest = try String(contentsOf: Tool.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        // The target's declaration: from its name to the next target.
        let start = try #require(manifest.range(of: #"name: "BCEConformance","#), "Package.swift declares no BCEConformance target")
        let rest = manifest[start.upperBound...]
        let end = rest.range(of: ".target(")?.lowerBound ?? rest.range(of: ".executableTarget(")?.lowerBound ?? rest.endIndex
        let declaration = rest[..<end]
        #expect(declaration.contains("dependencies"), "\(declaration)")
        for module in Self.forbidden {
            #expect(!declaration.contains("\"\(module)\""), "BCEConformance depends on \(module): \(declaration)")
        }
    }
}
