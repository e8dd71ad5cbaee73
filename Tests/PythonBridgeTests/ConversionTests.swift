import Testing
import PythonBridge

@Suite("Python values and calls")
struct ConversionTests {
    @Test func scalarsRoundTrip() throws {
        try Python.withGIL { py throws(PythonError) in
            #expect(try Int(python: py.object(42)) == 42)
            #expect(try Int(python: py.object(Int.min)) == Int.min)
            #expect(try Double(python: py.object(0.1)) == 0.1)
            #expect(try Double(python: py.object(-0.0)).sign == .minus)
            #expect(try Double(python: py.object(Double.infinity)) == .infinity)
            #expect(try Double(python: py.object(Double.nan)).isNaN)
            #expect(try Double(python: py.object(3)) == 3.0)
            #expect(try Float(python: py.object(Float(0.1))) == Float(0.1))
            #expect(try Float16(python: py.object(Float16(-0.0))).sign == .minus)
            #expect(try Float(python: py.evaluate("__import__('numpy').float32(2.5)")) == 2.5)
            #expect(try String(python: py.object("héllo, 世界")) == "héllo, 世界")
            #expect(try Bool(python: py.object(true)) == true)
            #expect(try Bool(python: py.evaluate("1 == 2")) == false)
            #expect(py.none.isNone)
            #expect(try py.object(nil).isNone)
            #expect(try Int?(python: py.none) == nil)
            #expect(try Int?(python: py.object(7)) == 7)
        }
    }

    @Test func mismatchesAreReported() throws {
        try Python.withGIL { py throws(PythonError) in
            #expect(throws: PythonError.self) { _ = try Int(python: py.object("7")) }
            #expect(throws: PythonError.self) { _ = try Int(python: py.object(1.5)) }
            #expect(throws: PythonError.self) { _ = try String(python: py.object(1)) }
            #expect(throws: PythonError.self) { _ = try Bool(python: py.object(1)) }
            do throws(PythonError) {
                _ = try Int(python: py.evaluate("2 ** 80"))
                Issue.record("2 ** 80 fitted in an Int")
            } catch {
                #expect(error.exception?.typeName == "OverflowError")
            }
            do throws(PythonError) {
                _ = try Double(python: py.object("x"))
                Issue.record("a str became a Double")
            } catch {
                guard case .typeMismatch(let expected, let actual) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(expected == "float" && actual == "str")
            }
        }
    }

    @Test func containersRoundTrip() throws {
        try Python.withGIL { py throws(PythonError) in
            let list = try py.object([1, 2, 3])
            #expect(list.typeName == "list")
            #expect(try [Int](python: list) == [1, 2, 3])
            let tuple = try py.tuple(1, "two", 3.0, nil)
            #expect(tuple.typeName == "tuple")
            #expect(try Int(python: tuple.item(0)) == 1)
            #expect(try String(python: tuple.item(1)) == "two")
            #expect(try tuple.item(3).isNone)
            #expect(try [String](python: py.evaluate("('a', 'b')")) == ["a", "b"])
            let dict = try py.object(["a": 1.5, "b": -2.0])
            #expect(dict.typeName == "dict")
            #expect(try [String: Double](python: dict) == ["a": 1.5, "b": -2.0])
            #expect(try Double(python: dict.item("b")) == -2.0)
            try dict.setItem("c", 3.0)
            #expect(try Int(python: py.builtins.attr("len").call(dict)) == 3)
            let nested = try py.object(["xs": [[1, 2], [3]]])
            #expect(try [String: [[Int]]](python: nested) == ["xs": [[1, 2], [3]]])
            let optionals: [Int?] = [1, nil, 3]
            #expect(try py.object(optionals).description == "[1, None, 3]")
        }
    }

    @Test func callsWithPositionalAndKeywordArguments() throws {
        try Python.withGIL { py throws(PythonError) in
            let module = try py.makeModule(named: "calls", source: """
                def describe(a, b=2, *rest, c=None, **extra):
                    return {"a": a, "b": b, "rest": list(rest), "c": c, "extra": sorted(extra)}
                """)
            let result = try module.attr("describe").call(1, "x", 3.5, kwargs: ["c": nil, "z": true, "y": [1]])
            let items = try [String: PythonObject](python: result)
            #expect(try Int(python: items["a"]!) == 1)
            #expect(try String(python: items["b"]!) == "x")
            #expect(try [Double](python: items["rest"]!) == [3.5])
            #expect(items["c"]!.isNone)
            #expect(try [String](python: items["extra"]!) == ["y", "z"])
            #expect(try Int(python: module.attr("describe").call(kwargs: ["a": 5]).item("b")) == 2)
            #expect(try String(python: py.object("a,b").callMethod("split", ",").item(1)) == "b")
            try module.setAttr("answer", 42)
            #expect(try Int(python: module.attr("answer")) == 42)
            #expect(module.hasAttr("answer") && !module.hasAttr("question"))
        }
    }

    @Test func objectsOutliveTheirScopeAndDieOnAnyThread() async throws {
        let object = try Python.withGIL { py throws(PythonError) in try py.object([1, 2, 3]) }
        #expect(object.description == "[1, 2, 3]")
        #expect(object.pythonRepresentation == "[1, 2, 3]")
        // The last Swift reference goes away on some pool thread without the GIL.
        await Task.detached { _ = object }.value
    }

    @Test func configurationAfterStartIsRejected() throws {
        try Python.start()
        #expect(throws: PythonError.self) {
            try Python.configure(PythonConfiguration(searchPaths: ["/tmp"]))
        }
    }
}
