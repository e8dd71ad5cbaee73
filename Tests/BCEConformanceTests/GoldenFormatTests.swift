import Foundation
import Testing
@testable import BCEConformance

@Suite("Golden format v1 reader")
struct GoldenFormatTests {
    typealias F = GoldenFixtures

    func read(_ object: Any) throws(GoldenFormatError) -> GoldenFile {
        try GoldenFileReader.read(F.json(object), path: "bce/float32.json")
    }

    func readError(_ object: Any) -> GoldenFormatError? {
        do {
            _ = try read(object)
            return nil
        } catch {
            return error
        }
    }

    func readError(data: Data) -> GoldenFormatError? {
        do {
            _ = try GoldenFileReader.read(data, path: "bce/float32.json")
            return nil
        } catch {
            return error
        }
    }

    /// A case file with one case, after `edit` changed the case object.
    func fileWithCase(_ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var c = F.bceCase()
        edit(&c)
        return F.caseFile(cases: [c])
    }

    func editInput(_ key: String, _ edit: @escaping (inout [String: Any]) -> Void) -> [String: Any] {
        fileWithCase { c in
            var inputs = c["inputs"] as! [String: Any]
            var t = inputs[key] as? [String: Any] ?? [:]
            edit(&t)
            inputs[key] = t
            c["inputs"] = inputs
        }
    }

    @Test func readsAWellFormedFile() throws {
        let file = try read(F.caseFile(cases: [F.bceCase(), F.errorCase()]))
        #expect(file.cases.count == 2)
        let c = file.cases[0]
        #expect(c.id == "bce/float32/mean/simple")
        #expect(c.inputs.input.values == [0.25, 0.5])
        #expect(c.inputs.input.shape == [2])
        guard case .outputs(let o) = c.expectation else { Issue.record("expected outputs"); return }
        #expect(o.loss.shape == [])
        guard case .error(let kind) = file.cases[1].expectation else { Issue.record("expected error"); return }
        #expect(kind == "input_out_of_range")
    }

    @Test func hexRoundTripsEveryDType() throws {
        let values: [Double] = [1, -1, 0, -0.0, .infinity, -.infinity, 0.5, 65504]
        #expect(HexCodec.encode([1], dtype: .float32) == "3f800000")
        #expect(HexCodec.encode([1], dtype: .float16) == "3c00")
        #expect(HexCodec.encode([1], dtype: .float64) == "3ff0000000000000")
        for dtype in DType.allCases {
            let decoded = try HexCodec.decode(HexCodec.encode(values, dtype: dtype), dtype: dtype, count: values.count)
            #expect(decoded.map { $0.bitPattern } == values.map { $0.bitPattern })
        }
        let nan = try HexCodec.decode("7fc00001", dtype: .float32, count: 1)
        #expect(nan[0].isNaN)
    }

    @Test func truncatedJSONIsAnErrorNamingTheFile() {
        let data = F.json(F.caseFile(cases: [F.bceCase()]))
        let error = readError(data: data.prefix(data.count / 2))
        #expect(error?.file == "bce/float32.json")
        guard case .invalidJSON = error?.reason else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func wrongHexLengthNamesCaseAndField() {
        let error = readError(editInput("input") { $0["hex"] = "3e800000" })
        #expect(error?.caseID == "bce/float32/mean/simple")
        #expect(error?.field == "inputs.input.hex")
        #expect(error?.reason == .invalidHex(.length(expected: 16, actual: 8)))
    }

    @Test func nonHexCharactersAreRejected() {
        let error = readError(editInput("target") { $0["hex"] = "0000000g3f800000" })
        #expect(error?.field == "inputs.target.hex")
        #expect(error?.reason == .invalidHex(.nonHexCharacter(offset: 7)))
        let upper = readError(editInput("target") { $0["hex"] = "000000003F800000" })
        #expect(upper?.reason == .invalidHex(.nonHexCharacter(offset: 9)))
    }

    @Test func shapeAndElementCountMustAgree() {
        let error = readError(editInput("input") { $0["shape"] = [3] })
        #expect(error?.field == "inputs.input.hex")
        #expect(error?.reason == .invalidHex(.length(expected: 24, actual: 16)))
    }

    @Test func negativeDimensionsAreRejected() {
        let error = readError(editInput("input") { $0["shape"] = [-2] })
        #expect(error?.field == "inputs.input.shape")
        #expect(error?.reason == .invalidShape(.negativeDimension(-2)))
    }

    @Test func elementCountOverflowIsRejected() {
        let error = readError(editInput("input") { $0["shape"] = [1 << 40, 1 << 40] })
        #expect(error?.field == "inputs.input.shape")
        guard case .invalidShape(.overflow) = error?.reason else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test func unknownDTypeLossAndReductionAreRejected() {
        #expect(readError(fileWithCase { $0["reduction"] = "max" })?.field == "reduction")
        #expect(readError(fileWithCase { $0["loss"] = "mse" })?.field == "loss")
        #expect(readError(F.caseFile(dtype: "bfloat16", cases: []))?.field == "dtype")
        let tensorDType = readError(editInput("input") { $0["dtype"] = "int8" })
        #expect(tensorDType?.field == "inputs.input.dtype")
    }

    @Test func tensorDTypeMustEqualCaseDType() {
        let empty = readError(editInput("weight") { _ in })
        #expect(empty?.field == "inputs.weight.dtype")
        #expect(empty?.reason == .missingField)
        let mismatch = readError(editInput("input") { $0["dtype"] = "float64"; $0["hex"] = "3fd00000000000003fe0000000000000" })
        #expect(mismatch?.field == "inputs.input.dtype")
        #expect(mismatch?.reason == .dtypeMismatch(expected: "float32", actual: "float64"))
    }

    @Test func unknownFormatVersionIsRejected() {
        var file = F.caseFile(cases: [])
        file["format_version"] = 2
        #expect(readError(file)?.reason == .unknownFormatVersion(2))
        #expect(readError(file)?.field == "format_version")
    }

    @Test func duplicateIDsAreRejected() {
        let error = readError(F.caseFile(cases: [F.bceCase(), F.bceCase()]))
        #expect(error?.caseID == "bce/float32/mean/simple")
        #expect(error?.reason == .duplicateID(firstIn: "bce/float32.json"))
    }

    @Test func caseMustHaveExactlyOneExpectation() {
        let both = readError(fileWithCase { $0["expected_error"] = "shape_mismatch" })
        guard case .inconsistent = both?.reason else { Issue.record("got \(String(describing: both))"); return }
        let unknownKind = readError(F.caseFile(cases: [F.errorCase(kind: "oops")]))
        #expect(unknownKind?.field == "expected_error")
    }

    @Test func idMustStartWithLossDTypeReduction() {
        let error = readError(fileWithCase { $0["id"] = "bce/float64/mean/x" })
        #expect(error?.field == "id")
    }

    @Test func lossShapeFollowsReduction() {
        let error = readError(fileWithCase { c in
            c["expected"] = ["loss": F.tensor(.float32, [2], [1, 2])]
        })
        #expect(error?.field == "expected.loss.shape")
    }

    /// Random byte flips, deletions and insertions in a valid file: always a value or a typed error.
    @Test func randomMutationsNeverTrap() {
        let original = [UInt8](F.json(F.caseFile(cases: [F.bceCase(), F.errorCase()])))
        var rng = SplitMix64(seed: 99)
        let alphabet = Array("0123456789abcdefg-.,:[]{}\"e \u{0}ÿ".utf8)
        var errors = 0
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<(1 + rng.next(upTo: 4)) {
                let i = rng.next(upTo: bytes.count)
                switch rng.next(upTo: 3) {
                case 0: bytes[i] = rng.pick(alphabet)
                case 1: bytes.remove(at: i)
                default: bytes.insert(rng.pick(alphabet), at: i)
                }
            }
            if readError(data: Data(bytes)) != nil { errors += 1 }
        }
        #expect(errors > 1000)
    }

    @Test func garbageNeverTraps() {
        let inputs: [Data] = [Data(), Data("[]".utf8), Data("{\"format_version\": \"1\"}".utf8), Data([0xFF, 0xFE, 0x00]),
                              Data("{\"format_version\": 1, \"loss\": \"bce\", \"dtype\": \"float32\", \"cases\": [1, 2]}".utf8),
                              Data("{\"format_version\": 1.5}".utf8), Data("{\"format_version\": 1e300}".utf8),
                              Data("{\"format_version\": true}".utf8)]
        for data in inputs {
            #expect(readError(data: data) != nil)
        }
    }
}

@Suite("Manifest verification")
struct ManifestTests {
    typealias F = GoldenFixtures

    @Test func loadsAValidSuite() throws {
        let dir = try F.standardSuite()
        defer { try? FileManager.default.removeItem(at: dir) }
        let suite = try GoldenSuite.load(from: dir)
        #expect(suite.cases.count == 2)
        #expect(suite.manifest.suiteVersion == "0.0.1-test")
        #expect(suite.manifest.sha256.count == 64)
    }

    @Test func oneCorruptByteIsDetectedAndNamesTheFile() throws {
        let dir = try F.standardSuite()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bce/float32.json")
        var data = try Data(contentsOf: url)
        let i = data.count / 2
        data[i] = data[i] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        try data.write(to: url)
        #expect {
            try GoldenSuite.load(from: dir)
        } throws: { error in
            guard let e = error as? GoldenFormatError, case .checksumMismatch = e.reason else { return false }
            return e.file == "bce/float32.json"
        }
    }

    @Test func casesOfSeveralFilesLoadTogether() throws {
        var other = F.bceCase(id: "bce/float64/mean/simple", dtype: .float64)
        other["id"] = "bce/float64/mean/simple"
        let dir = try F.writeSuite([
            "bce/float32.json": F.caseFile(cases: [F.bceCase()]),
            "bce/float64.json": F.caseFile(dtype: "float64", cases: [other]),
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try GoldenSuite.load(from: dir).cases.count == 2)
    }

    @Test func unexplainedFlagsAreRejected() throws {
        let dir = try F.writeSuite(["bce/float32.json": F.caseFile(cases: [F.bceCase(flags: ["mystery"])])])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect {
            try GoldenSuite.load(from: dir)
        } throws: { error in
            (error as? GoldenFormatError)?.field == "flags"
        }
    }

    @Test func aManifestStatingOtherDefaultTolerancesIsRejected() throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: RepositoryGolden.directory.appendingPathComponent("MANIFEST.json"))) as! [String: Any]
        #expect(throws: Never.self) { try Manifest.read(F.json(object)) }
        object["default_tolerance"] = ["float32": ["rtol": 1e-3, "atol": 1e-5]]
        #expect {
            try Manifest.read(F.json(object))
        } throws: { error in
            (error as? GoldenFormatError)?.field == "default_tolerance.float32"
        }
    }

    @Test func fileMustMatchItsPath() throws {
        let dir = try F.writeSuite(["bce/float64.json": F.caseFile(cases: [F.bceCase()])])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: GoldenFormatError.self) { try GoldenSuite.load(from: dir) }
    }
}
