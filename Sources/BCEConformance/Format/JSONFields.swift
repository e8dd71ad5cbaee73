import Foundation

/// Typed access to one JSON object's fields (parsed by JSONSerialization), throwing
/// `GoldenFormatError`s that name the file, the case and the dotted field path. Used by the port
/// protocol's messages only; the golden files and the manifest are read through Codable
/// (`GoldenFields`), and the port protocol moves there too once its version 2 lands (issue 13).
struct JSONFields: GoldenObjectReader {
    let object: [String: Any]
    let file: String
    var caseID: String?
    /// Dotted path of this object inside the case/file ("" at the top).
    let path: String

    init(_ object: [String: Any], file: String, caseID: String? = nil, path: String = "") {
        self.object = object
        self.file = file
        self.caseID = caseID
        self.path = path
    }

    /// Parses `data` as one JSON object.
    static func parse(_ data: Data, file: String) throws(GoldenFormatError) -> JSONFields {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw GoldenFormatError(file: file, reason: .invalidJSON(Self.describe(error)))
        }
        guard let object = parsed as? [String: Any] else {
            throw GoldenFormatError(file: file, reason: .wrongType(expected: "a JSON object at the top level"))
        }
        return JSONFields(object, file: file)
    }

    private static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return "\(error)"
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String?, _ reason: GoldenFormatError.Reason) -> GoldenFormatError {
        GoldenFormatError(file: file, caseID: caseID, field: key.map(fieldPath) ?? (path.isEmpty ? nil : path), reason: reason)
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func raw(_ key: String) throws(GoldenFormatError) -> Any {
        guard let value = object[key], !(value is NSNull) else { throw error(key, .missingField) }
        return value
    }

    func string(_ key: String) throws(GoldenFormatError) -> String {
        guard let value = try raw(key) as? String else { throw error(key, .wrongType(expected: "a string")) }
        return value
    }

    func int(_ key: String) throws(GoldenFormatError) -> Int {
        let value = try raw(key)
        guard let int = Self.exactInt(value) else { throw error(key, .wrongType(expected: "an integer")) }
        return int
    }

    func double(_ key: String) throws(GoldenFormatError) -> Double {
        let value = try raw(key)
        guard !Self.isBool(value), let number = value as? NSNumber else { throw error(key, .wrongType(expected: "a number")) }
        return number.doubleValue
    }

    func object(_ key: String) throws(GoldenFormatError) -> JSONFields {
        guard let value = try raw(key) as? [String: Any] else { throw error(key, .wrongType(expected: "an object")) }
        return JSONFields(value, file: file, caseID: caseID, path: fieldPath(key))
    }

    func array(_ key: String) throws(GoldenFormatError) -> [Any] {
        guard let value = try raw(key) as? [Any] else { throw error(key, .wrongType(expected: "an array")) }
        return value
    }

    func strings(_ key: String) throws(GoldenFormatError) -> [String] {
        let values = try array(key)
        var result = [String]()
        for (i, value) in values.enumerated() {
            guard let s = value as? String else { throw error("\(key)[\(i)]", .wrongType(expected: "a string")) }
            result.append(s)
        }
        return result
    }

    func ints(_ key: String) throws(GoldenFormatError) -> [Int] {
        let values = try array(key)
        var result = [Int]()
        result.reserveCapacity(values.count)
        for (i, value) in values.enumerated() {
            guard let n = Self.exactInt(value) else { throw error("\(key)[\(i)]", .wrongType(expected: "an integer")) }
            result.append(n)
        }
        return result
    }

    static func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        // JSON true/false come back as NSNumbers whose objCType is "c" (char), never used for numbers.
        return String(cString: number.objCType) == "c"
    }

    /// An integer JSON number (rejects booleans, fractions and out-of-range values).
    static func exactInt(_ value: Any) -> Int? {
        guard !isBool(value), let number = value as? NSNumber else { return nil }
        let d = number.doubleValue
        guard d.rounded() == d, abs(d) < 9.2e18 else { return nil }
        return number.intValue
    }
}
