import Foundation
import Testing
import BCEConformance

@Suite("Golden format v2 reader")
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
        #expect(HexCodec.encode([1], dtype: .bfloat16) == "3f80")
        #expect(HexCodec.encode([1], dtype: .float64) == "3ff0000000000000")
        for dtype in DType.allCases {
            let representable = values.map(dtype.rounded)
            let decoded = try HexCodec.decode(HexCodec.encode(representable, dtype: dtype), dtype: dtype, count: values.count)
            #expect(decoded.map { $0.bitPattern } == representable.map { $0.bitPattern }, "\(dtype)")
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
        #expect(readError(F.caseFile(dtype: "bfloat8", cases: []))?.field == "dtype")
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

    @Test func formatVersion1AndOthersAreRefused() {
        for version in [1, 3, 0] {
            var file = F.caseFile(cases: [F.bceCase()])
            file["format_version"] = version
            let error = readError(file)
            #expect(error?.reason == .unknownFormatVersion(version))
            #expect(error?.field == "format_version")
            #expect(error?.description.contains("unsupported format version \(version): this runner reads format version 2 only") == true)
        }
        #expect(readError(F.caseFile(cases: [F.bceCase()])) == nil)
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

    // MARK: bfloat16

    @Test func bfloat16HexIsTheUpperHalfOfTheFloat32Bits() throws {
        // 1.0, -2.0, the largest finite, the smallest subnormal, infinity, the canonical NaN.
        let hex = "3f80c0007f7f00017f807fc0"
        let values = try HexCodec.decode(hex, dtype: .bfloat16, count: 6)
        #expect(values[0] == 1 && values[1] == -2)
        #expect(values[2] == Double(Float(bitPattern: 0x7F7F_0000)))
        #expect(values[3] == 0x1p-133)
        #expect(values[4] == .infinity && values[5].isNaN)
        #expect(HexCodec.encode(values, dtype: .bfloat16) == hex)
        // Every one of the 65,536 bit patterns decodes and encodes back (NaNs to the canonical 7fc0).
        for bits in 0...UInt16.max {
            let v = DType.bfloat16.value(fromBits: UInt64(bits))
            #expect(v.bitPattern == Double(Float(bitPattern: UInt32(bits) << 16)).bitPattern || v.isNaN)
            let back = DType.bfloat16.bits(of: v)
            if v.isNaN { #expect(back == 0x7FC0) } else if back != UInt64(bits) { Issue.record("bfloat16 \(bits) came back as \(back)"); break }
        }
        #expect(readError(editInput("input") { $0["dtype"] = "bfloat16"; $0["hex"] = "3e803f00" })?.reason
                == .dtypeMismatch(expected: "float32", actual: "bfloat16"))
    }

    @Test func bfloat16RoundsOnceToNearestEvenFromDouble() {
        let r = DType.bfloat16.rounded
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: to even, 1. Just above halfway: up.
        #expect(r(1 + 0x1p-8) == 1)
        #expect(r(1 + 0x1p-8 + 0x1p-40) == 1 + 0x1p-7)
        #expect(r(1 + 3 * 0x1p-8) == 1 + 0x1p-6)   // halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up, to even
        // Through Float it would round twice: 1 + 2^-8 + 2^-30 goes to 1 + 2^-8 in float32, then to 1.
        #expect(r(1 + 0x1p-8 + 0x1p-30) == 1 + 0x1p-7)
        #expect(Double(Float(1 + 0x1p-8 + 0x1p-30)) == 1 + 0x1p-8)
        // Subnormals are multiples of 2^-133; half of the smallest rounds to even (0), more than half up.
        #expect(r(0x1p-134) == 0 && r(-0x1p-134).sign == .minus)
        #expect(r(0x1p-134 + 0x1p-160) == 0x1p-133)
        #expect(r(3 * 0x1p-134) == 2 * 0x1p-133)
        // The largest finite, and overflow: halfway to 2^128 and beyond is infinity.
        let maxFinite = Double(Float(bitPattern: 0x7F7F_0000))
        #expect(r(maxFinite) == maxFinite)
        #expect(r(maxFinite + 0x1p119) == .infinity)   // exactly halfway: to even, which is 2^128
        #expect(r(maxFinite + 0x1p118) == maxFinite)
        #expect(r(-1e300) == -.infinity)
        #expect(r(.nan).isNaN && DType.bfloat16.bits(of: -.nan) == 0x7FC0)
    }

    @Test func bfloat16ULPIsTheSpacingAtTheMagnitude() {
        let ulp = DType.bfloat16.ulp
        #expect(ulp(1) == 0x1p-7)
        #expect(ulp(1.5) == 0x1p-7)
        #expect(ulp(2) == 0x1p-6)
        #expect(ulp(0.75) == 0x1p-8)
        #expect(ulp(0) == 0x1p-133)
        #expect(ulp(0x1p-126) == 0x1p-133)   // the smallest normal and every subnormal: 2^-133
        #expect(ulp(0x1p-130) == 0x1p-133)
        #expect(ulp(100) == 0.5)             // 64 <= 100 < 128: 2^6 * 2^-7
        #expect(ulp(Double(Float(bitPattern: 0x7F7F_0000))) == 0x1p120)
        // A magnitude rounds to bfloat16 first: just under 2 rounds to 2.
        #expect(ulp(2 - 0x1p-20) == 0x1p-6)
        // The strict mode of the policy counts bfloat16 ULPs: 1 + 2 ULP passes --max-ulp 2, + 3 fails.
        let t = { (v: Double) in try! GoldenTensor(dtype: .bfloat16, shape: [], values: [v]) }
        let golden = GoldenCase(id: "bce/bfloat16/mean/x", loss: .bce, dtype: .bfloat16, reduction: .mean,
                                inputs: .init(input: t(0.5), target: t(0.5)), expectation: .outputs(.init(loss: t(1))))
        let two = ComparisonPolicy(maxULP: 2).compare(golden, .outputs(.init(loss: t(1 + 2 * 0x1p-7))))
        #expect(two.status == .passed && two.stats.maxULP == 2)
        #expect(ComparisonPolicy(maxULP: 2).compare(golden, .outputs(.init(loss: t(1 + 3 * 0x1p-7)))).status == .failed)
    }

    // MARK: Names and bytes (issue 15 item 11)

    @Test func idsAreLimitedToPrintableASCIINames() {
        for bad in ["\n", "\u{0}", "\u{202E}", "\t", " ", "é", "\u{7F}", "A", "*"] {
            // Non-ASCII written as \u escapes, as a generator writes them (raw, they fail as bytes first).
            let raw = String(decoding: F.json(fileWithCase { $0["id"] = "bce/float32/mean/simple" + bad }), as: UTF8.self)
            let escaped = raw.unicodeScalars.map { s -> String in
                s.value < 0x80 ? String(s) : "\\u" + String(format: "%04x", s.value)
            }.joined()
            let error = readError(data: Data(escaped.utf8))
            #expect(error?.field == "cases[0].id", "\(bad.unicodeScalars.map(\.value))")
            #expect(error?.caseID == nil, "a bad id is not repeated in the message")
            #expect(error?.description.contains("at character 24") == true, "\(String(describing: error))")
        }
        let long = readError(fileWithCase { $0["id"] = "bce/float32/mean/" + String(repeating: "x", count: 200) })
        #expect(long?.description.contains("more than 200") == true)
        #expect(readError(fileWithCase { $0["id"] = "bce/float32/mean/0k-1.5+y" }) == nil)
        // The name after the prefix: a letter or digit first, no "/" or "_" (golden/schema/'s pattern).
        for bad in ["bce/float32/mean/-x", "bce/float32/mean/a/b", "bce/float32/mean/a_b", "bce/float32/mean/.x"] {
            let error = readError(fileWithCase { $0["id"] = bad })
            #expect(error?.field == "cases[0].id", "\(bad)")
            #expect(error?.description.contains("is not \"loss/dtype/reduction/name\"") == true, "\(String(describing: error))")
        }
    }

    @Test func duplicateKeysAreRejectedEvenWhenSpelledDifferently() {
        let text = String(decoding: F.json(F.caseFile(cases: [F.bceCase()])), as: UTF8.self)
        for (plain, duplicated) in [("\"reduction\" : \"mean\"", "\"reduction\" : \"none\", \"reduction\" : \"mean\""),
                                    ("\"reduction\" : \"mean\"", "\"reduction\" : \"mean\", \"reduc\\u0074ion\" : \"mean\"")] {
            let edited = text.replacingOccurrences(of: plain, with: duplicated)
            #expect(edited != text)
            let error = readError(data: Data(edited.utf8))
            let line = 1 + edited[..<edited.range(of: "\"reduc")!.lowerBound].filter { $0 == "\n" }.count
            #expect(error?.reason == .duplicateKey("reduction", line: line), "\(String(describing: error))")
        }
        // The same key in two different objects is fine.
        #expect(readError(F.caseFile(cases: [F.bceCase()])) == nil)
    }

    @Test func aByteOrderMarkCRLFAndNonASCIIBytesAreRejected() {
        let data = F.json(F.caseFile(cases: [F.bceCase()]))
        let bom = readError(data: Data([0xEF, 0xBB, 0xBF]) + data)
        #expect(bom?.reason == .encoding("starts with a UTF-8 byte order mark: golden files are ASCII without one"))
        let crlf = readError(data: Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8))
        guard case .encoding(let why) = crlf?.reason else { Issue.record("got \(String(describing: crlf))"); return }
        #expect(why.contains("carriage return (line 1)"))
        let latin = readError(fileWithCase { $0["comment"] = "na\u{EF}ve" })
        guard case .encoding(let why2) = latin?.reason else { Issue.record("got \(String(describing: latin))"); return }
        #expect(why2.contains("not ASCII (0xc3"))
        // Escaped, the same comment is ASCII and fine.
        let escaped = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "hand-written", with: "na\\u00efve")
        #expect(readError(data: Data(escaped.utf8)) == nil)
    }

    // MARK: Acceptable alternatives (format version 2)

    /// The standard case with `acceptable` set to `alternatives`.
    func withAlternatives(_ alternatives: Any, flags: [String] = ["boundary"]) -> [String: Any] {
        fileWithCase { c in
            c["acceptable"] = alternatives
            c["flags"] = flags
        }
    }

    static let exactLoss = Double(Float(-(log(0.75) + log(0.5)) / 2))

    @Test func readsAcceptableAlternatives() throws {
        let other = Double(Float(Self.exactLoss).nextUp)
        let file = try read(withAlternatives([["source": "pytorch-cpu", "comment": "PyTorch's arithmetic",
                                               "outputs": ["loss": F.tensor(.float32, [], [other])]]]))
        let a = try #require(file.cases[0].acceptable.first)
        #expect(a.source == "pytorch-cpu" && a.comment == "PyTorch's arithmetic")
        #expect(a.loss?.values == [other])
        #expect(a.gradInput == nil && a.gradTarget == nil)
        #expect(try read(F.caseFile(cases: [F.bceCase()])).cases[0].acceptable.isEmpty)
    }

    @Test func anAlternativeMustHaveTheExpectedFieldsShapeDTypeAndDiffer() {
        let loss = { (shape: [Int], v: [Double]) in ["loss": F.tensor(.float32, shape, v)] }
        let differs = Double(Float(Self.exactLoss).nextUp)
        let cases: [(Any, String, String)] = [
            ([["source": "x", "comment": "", "outputs": loss([2], [1, 2])]], "acceptable[0].outputs.loss.shape", "shape [2], expected []"),
            ([["source": "x", "comment": "", "outputs": ["loss": F.tensor(.float64, [], [differs])]]], "acceptable[0].outputs.loss.dtype",
             "dtype float64 differs from the case dtype float32"),
            ([["source": "x", "comment": "", "outputs": ["grad_input": F.tensor(.float32, [2], [1, 2])]]], "acceptable[0].outputs.grad_input",
             "has no grad_input"),
            ([["source": "x", "comment": "", "outputs": ["grad_input_scale": F.tensor(.float32, [2], [1, 2])]]],
             "acceptable[0].outputs.grad_input_scale", "unknown output"),
            ([["source": "x", "comment": "", "outputs": [String: Any]()]], "acceptable[0].outputs", "must differ from \"expected\""),
            ([["source": "x", "comment": "", "outputs": loss([], [Self.exactLoss])]], "acceptable[0].outputs.loss",
             "equals expected.loss bit for bit"),
            ([["comment": "", "outputs": loss([], [differs])]], "acceptable[0].source", "is missing"),
            ([["source": "x", "outputs": loss([], [differs])]], "acceptable[0].comment", "is missing"),
            ([["source": "pytorch\ncpu", "comment": "", "outputs": loss([], [differs])]], "acceptable[0].source", "the source has U+000A"),
            ([["source": "x", "comment": "", "outputs": loss([], [differs]), "tolerance": 1]], "acceptable[0].tolerance", "unknown field"),
            ([["source": "x", "comment": ""]], "acceptable[0].outputs", "is missing"),
            (["not an object"], "acceptable[0]", "must be an object"),
            (["source": "x"], "acceptable", "must be an array"),
            ([Any](), "acceptable", "is empty"),
        ]
        for (alternatives, field, says) in cases {
            let error = readError(withAlternatives(alternatives))
            #expect(error?.caseID == "bce/float32/mean/simple", "\(field)")
            #expect(error?.field == field, "\(String(describing: error))")
            #expect(error?.description.contains(says) == true, "\(String(describing: error))")
        }
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

    /// JSONDecoder checks a number's or a string's syntax only when a field is decoded, and takes
    /// trailing commas: the reader checks strict JSON on the bytes first, ignored fields included.
    @Test func strictJSONIsRequiredEvenInFieldsTheReaderIgnores() {
        let text = String(decoding: F.json(F.caseFile(cases: [F.bceCase()])), as: UTF8.self)
        #expect(readError(data: Data(text.utf8)) == nil)
        // "comment" is read, each tensor's "values" (if any) and unknown fields are not.
        let edits: [(String, String, String)] = [
            ("\"comment\" : \"", "\"ignored\" : 01, \"comment\" : \"", "a number with a leading zero"),
            ("\"comment\" : \"", "\"ignored\" : [1, 2, ], \"comment\" : \"", "a trailing comma before ']'"),
            ("\"comment\" : \"", "\"ignored\" : {\"a\" : 1, }, \"comment\" : \"", "a trailing comma before '}'"),
            ("\"comment\" : \"", "\"ignored\" : \"\\x\", \"comment\" : \"", "invalid escape \\x in a string"),
            ("\"comment\" : \"", "\"ignored\" : \"\\udc00\", \"comment\" : \"", "a low surrogate \\udc00 without a high one"),
            ("\"comment\" : \"", "\"ignored\" : \"\\ud800\", \"comment\" : \"", "a high surrogate \\ud800 without a low one"),
            ("\"comment\" : \"", "\"ignored\" : 1., \"comment\" : \"", "a number without digits after its '.'"),
            ("\"comment\" : \"", "\"ignored\" : -, \"comment\" : \"", "'-' without digits"),
            ("\"comment\" : \"", "\"ignored\" : 2e, \"comment\" : \"", "a number without digits in its exponent"),
            ("\"comment\" : \"", "\"ignored\" : nul, \"comment\" : \"", "expected null"),
            ("\"comment\" : \"", "\"ignored\" : \"a\tb\", \"comment\" : \"", "a control character (0x9) in a string"),
        ]
        for (plain, edited, says) in edits {
            let data = Data(text.replacingOccurrences(of: plain, with: edited).utf8)
            #expect(data.count > text.utf8.count, "\(plain) is not in the fixture")
            let error = readError(data: data)
            guard case .invalidJSON(let why) = error?.reason else { Issue.record("\(edited): got \(String(describing: error))"); continue }
            #expect(why.hasPrefix(says) && why.contains("(line "), "\(why)")
            #expect(error?.file == "bce/float32.json")
        }
        // A file that ends inside a string, right after a backslash (the scanner must not wait for more).
        let cut = readError(data: Data(#"{"comment": "abc\"#.utf8))
        #expect(cut?.reason == .invalidJSON("a string that does not end (line 1)"), "\(String(describing: cut))")
        let deep = String(repeating: "[", count: GoldenBytes.maxDepth + 1) + String(repeating: "]", count: GoldenBytes.maxDepth + 1)
        #expect(readError(data: Data(deep.utf8))?.description.contains("nest more than \(GoldenBytes.maxDepth) deep") == true)
        // Escapes that are valid JSON stay valid: a surrogate pair, \/ and \u0041.
        let valid = text.replacingOccurrences(of: "\"comment\" : \"", with: "\"ignored\" : \"\\ud83d\\ude00\\/\\u0041\", \"comment\" : \"")
        #expect(readError(data: Data(valid.utf8)) == nil)
    }

    /// The coding path is the field path: nested objects joined by ".", array elements as "[i]",
    /// relative to the case once its id is known.
    @Test func fieldPathsAreTheCodingPathsOfTheFields() {
        let flag = readError(fileWithCase { $0["flags"] = ["boundary", 7] })
        #expect(flag?.field == "flags[1]" && flag?.caseID == "bce/float32/mean/simple")
        #expect(flag?.description == "bce/float32.json: case bce/float32/mean/simple: field flags[1]: must be a string")
        let shape = readError(editInput("weight") { $0 = ["dtype": "float32", "shape": [2, 0.5], "hex": ""] })
        #expect(shape?.field == "inputs.weight.shape[1]" && shape?.reason == .wrongType(expected: "an integer"))
        var file = F.caseFile(cases: [F.bceCase()])
        file["cases"] = [F.bceCase(), "not a case"]
        let second = readError(file)
        #expect(second?.field == "cases[1]" && second?.caseID == nil && second?.reason == .wrongType(expected: "an object"))
        let boolean = readError(fileWithCase { $0["tolerance"] = ["rtol": true, "atol": 0] })
        #expect(boolean?.field == "tolerance.rtol" && boolean?.reason == .wrongType(expected: "a number"))
        let null = readError(editInput("input") { $0["hex"] = NSNull() })
        #expect(null?.field == "inputs.input.hex" && null?.reason == .missingField)
        let top = readError(data: Data("[1, 2]".utf8))
        #expect(top?.field == nil && top?.reason == .wrongType(expected: "a JSON object at the top level"))
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
        let dir = try F.standardSuite()
        defer { try? FileManager.default.removeItem(at: dir) }
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("MANIFEST.json"))) as! [String: Any]
        object["default_tolerance"] = [
            "float16": ["rtol": 1e-3, "atol": 1e-5], "bfloat16": ["rtol": 1.6e-2, "atol": 1e-5],
            "float32": ["rtol": 1.3e-6, "atol": 1e-5], "float64": ["rtol": 1e-10, "atol": 1e-12],
        ]
        #expect(throws: Never.self) { try Manifest.read(F.json(object)) }
        for (dtype, stated) in [("float32", ["rtol": 1e-3, "atol": 1e-5]), ("float64", ["rtol": 1e-7, "atol": 1e-7]),
                                ("bfloat16", ["rtol": 1e-3, "atol": 1e-5])] {
            var edited = object
            var defaults = object["default_tolerance"] as! [String: Any]
            defaults[dtype] = stated
            edited["default_tolerance"] = defaults
            #expect {
                try Manifest.read(F.json(edited))
            } throws: { error in
                (error as? GoldenFormatError)?.field == "default_tolerance.\(dtype)"
            }
        }
        object["default_tolerance"] = ["float8": ["rtol": 1e-3, "atol": 1e-5]]
        #expect(throws: GoldenFormatError.self) { try Manifest.read(F.json(object)) }
    }

    @Test func flagAndCategoryNamesAreLimitedToPrintableASCII() throws {
        let dir = try F.standardSuite()
        defer { try? FileManager.default.removeItem(at: dir) }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("MANIFEST.json"))) as! [String: Any]
        for (key, bad) in [("flags", ["log\nclamp": "x"] as [String: Any]), ("categories", ["test\u{0}": 2] as [String: Any])] {
            var edited = object
            edited[key] = bad
            #expect {
                try Manifest.read(F.json(edited))
            } throws: { error in
                let e = error as? GoldenFormatError
                return e?.field == key && e?.description.contains(key == "flags" ? "at character 4" : "at character 5") == true
            }
        }
    }

    @Test func fileMustMatchItsPath() throws {
        let dir = try F.writeSuite(["bce/float64.json": F.caseFile(cases: [F.bceCase()])])
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: GoldenFormatError.self) { try GoldenSuite.load(from: dir) }
    }
}
