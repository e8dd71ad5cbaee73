import Foundation

extension GoldenFields {
    func optionalString(_ key: String) throws(GoldenFormatError) -> String? {
        has(key) ? try string(key) : nil
    }

    func optionalObject(_ key: String) throws(GoldenFormatError) -> GoldenFields? {
        has(key) ? try object(key) : nil
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, as _: E.Type) throws(GoldenFormatError) -> E
    where E.RawValue == String {
        let value = try string(key)
        guard let e = E(rawValue: value) else {
            throw error(key, .unknownValue(value, allowed: E.allCases.map(\.rawValue)))
        }
        return e
    }
}

/// A coding key for any object field or array index.
struct JSONKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ name: String) {
        stringValue = name
        intValue = nil
    }

    init(stringValue: String) { self.init(stringValue) }

    init(intValue: Int) {
        stringValue = "Index \(intValue)"
        self.intValue = intValue
    }
}

/// One JSON object of a golden file, MANIFEST.json or a port-protocol line, read through Codable
/// (`KeyedDecodingContainer`). Errors are `GoldenFormatError`s whose field is the coding path,
/// written as the format writes paths (`inputs.weight.hex`, `acceptable[0].outputs`), relative to
/// the case inside a case. The only JSON reader of the suite, so a TENSOR is checked the same way
/// in a golden file and in a port's message (`GoldenFileReader.readTensor`).
struct GoldenFields {
    let container: KeyedDecodingContainer<JSONKey>
    let file: String
    var caseID: String?
    /// How many leading coding-path components the field paths leave out (`cases`, `[i]` inside a case).
    var pathBase = 0

    /// The field path of `path`, from `pathBase` on: names joined by ".", indices as "[i]".
    static func fieldPath(_ path: [any CodingKey], droppingFirst base: Int) -> String {
        var text = ""
        for key in path.dropFirst(base) {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text
    }

    func fieldPath(_ key: String?) -> String? {
        let path = Self.fieldPath(container.codingPath + (key.map { [JSONKey($0)] } ?? []), droppingFirst: pathBase)
        return path.isEmpty ? nil : path
    }

    func error(_ key: String?, _ reason: GoldenFormatError.Reason) -> GoldenFormatError {
        GoldenFormatError(file: file, caseID: caseID, field: fieldPath(key), reason: reason)
    }

    /// An error at `path` (a coding path from the top of the document).
    func error(at path: [any CodingKey], _ reason: GoldenFormatError.Reason) -> GoldenFormatError {
        let field = Self.fieldPath(path, droppingFirst: pathBase)
        return GoldenFormatError(file: file, caseID: caseID, field: field.isEmpty ? nil : field, reason: reason)
    }

    /// The object's keys, sorted (so the first problem named is always the same).
    var keys: [String] { container.allKeys.map(\.stringValue).sorted() }

    /// Present and not null (the format treats a null field as a missing one).
    func has(_ key: String) -> Bool {
        let k = JSONKey(key)
        return container.contains(k) && (try? container.decodeNil(forKey: k)) == false
    }

    /// Decodes `key` as `T`; anything but a `T` there is "must be `expected`" at that field (or at
    /// the array element JSONDecoder names).
    private func decode<T: Decodable>(_: T.Type, _ key: String, expected: String) throws(GoldenFormatError) -> T {
        guard has(key) else { throw error(key, .missingField) }
        do {
            return try container.decode(T.self, forKey: JSONKey(key))
        } catch let e as DecodingError {
            switch e {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                throw context.codingPath.count > container.codingPath.count + 1
                    ? error(at: context.codingPath, .wrongType(expected: expected)) : error(key, .wrongType(expected: expected))
            default: throw error(key, .wrongType(expected: expected))
            }
        } catch {
            // JSONDecoder's own errors for numbers it cannot represent (1e400 as a Double, 1.5 as an Int).
            throw self.error(key, .wrongType(expected: expected))
        }
    }

    func string(_ key: String) throws(GoldenFormatError) -> String { try decode(String.self, key, expected: "a string") }

    func int(_ key: String) throws(GoldenFormatError) -> Int { try decode(Int.self, key, expected: "an integer") }

    func double(_ key: String) throws(GoldenFormatError) -> Double { try decode(Double.self, key, expected: "a number") }

    func object(_ key: String) throws(GoldenFormatError) -> GoldenFields {
        guard has(key) else { throw error(key, .missingField) }
        do {
            return GoldenFields(container: try container.nestedContainer(keyedBy: JSONKey.self, forKey: JSONKey(key)),
                                file: file, caseID: caseID, pathBase: pathBase)
        } catch {
            throw self.error(key, .wrongType(expected: "an object"))
        }
    }

    /// The elements of the array at `key`, each read by `element` with its index and an unkeyed
    /// container positioned on it.
    private func elements<T>(_ key: String, _ element: (Int, inout any UnkeyedDecodingContainer) throws(GoldenFormatError) -> T)
        throws(GoldenFormatError) -> [T] {
        guard has(key) else { throw error(key, .missingField) }
        var array: any UnkeyedDecodingContainer
        do {
            array = try container.nestedUnkeyedContainer(forKey: JSONKey(key))
        } catch {
            throw self.error(key, .wrongType(expected: "an array"))
        }
        var result = [T]()
        if let count = array.count { result.reserveCapacity(count) }
        while !array.isAtEnd {
            result.append(try element(array.currentIndex, &array))
        }
        return result
    }

    /// The array at `key`, whose elements must all be objects.
    func objects(_ key: String) throws(GoldenFormatError) -> [GoldenFields] {
        try elements(key) { (i, array) throws(GoldenFormatError) -> GoldenFields in
            do {
                return GoldenFields(container: try array.nestedContainer(keyedBy: JSONKey.self), file: file, caseID: caseID, pathBase: pathBase)
            } catch {
                throw self.error("\(key)[\(i)]", .wrongType(expected: "an object"))
            }
        }
    }

    private func scalars<T: Decodable>(_ key: String, _: T.Type, expected: String) throws(GoldenFormatError) -> [T] {
        try elements(key) { (i, array) throws(GoldenFormatError) -> T in
            do {
                return try array.decode(T.self)
            } catch {
                throw self.error("\(key)[\(i)]", .wrongType(expected: expected))
            }
        }
    }

    func strings(_ key: String) throws(GoldenFormatError) -> [String] { try scalars(key, String.self, expected: "a string") }

    func ints(_ key: String) throws(GoldenFormatError) -> [Int] { try scalars(key, Int.self, expected: "an integer") }

    /// The value at `key` as text for display: a string as it is, a number or boolean as JSON writes
    /// it, anything else "null" / "(an object)" / "(an array)".
    func displayText(_ key: String) -> String {
        let k = JSONKey(key)
        if let s = try? container.decode(String.self, forKey: k) { return s }
        if let n = try? container.decode(Int.self, forKey: k) { return String(n) }
        if let d = try? container.decode(Double.self, forKey: k) { return String(d) }
        if let b = try? container.decode(Bool.self, forKey: k) { return String(b) }
        if (try? container.decodeNil(forKey: k)) == true { return "null" }
        return (try? container.nestedUnkeyedContainer(forKey: k)) != nil ? "(an array)" : "(an object)"
    }
}

/// Decodes a golden file (a case file or MANIFEST.json): its bytes are checked first
/// (`GoldenBytes`: ASCII, `\n` line ends, strict JSON, no duplicate key), then `read` gets the
/// top-level object through JSONDecoder.
enum GoldenJSON {
    typealias Reader<T> = @Sendable (GoldenFields) throws(GoldenFormatError) -> T

    private static let readerKey = CodingUserInfoKey(rawValue: "bce.goldenReader")!

    /// The top-level object handed to the reader stored in the decoder's `userInfo`.
    private struct Document<T>: Decodable {
        let value: T

        init(from decoder: any Decoder) throws {
            guard let (file, read) = decoder.userInfo[GoldenJSON.readerKey] as? (String, Reader<T>) else {
                throw GoldenFormatError(file: "?", reason: .inconsistent("internal: GoldenJSON.decode set no reader"))
            }
            let top: KeyedDecodingContainer<JSONKey>
            do {
                top = try decoder.container(keyedBy: JSONKey.self)
            } catch {
                throw GoldenFormatError(file: file, reason: .wrongType(expected: "a JSON object at the top level"))
            }
            value = try read(GoldenFields(container: top, file: file))
        }
    }

    /// `asciiOnly`: a golden file's bytes must be ASCII with `\n` line ends (`GoldenBytes.checkEncoding`);
    /// a port-protocol line is UTF-8 (JSONDecoder refuses invalid UTF-8), with the same strict syntax.
    static func decode<T>(_ data: Data, file: String, asciiOnly: Bool = true, _ read: @escaping Reader<T>) throws(GoldenFormatError) -> T {
        if asciiOnly { try GoldenBytes.checkEncoding(data, file: file) }
        try GoldenBytes.checkSyntax(data, file: file)
        let decoder = JSONDecoder()
        decoder.userInfo[readerKey] = (file, read)
        do {
            return try decoder.decode(Document<T>.self, from: data).value
        } catch let e as GoldenFormatError {
            throw e
        } catch {
            // checkSyntax accepted the text, so this is JSONDecoder refusing what it accepted.
            throw GoldenFormatError(file: file, reason: .invalidJSON("\(error)"))
        }
    }
}
