import ArgumentParser
import BCEConformance

/// The one parser of a comma-separated dtype list (`live --dtypes`, `bench --dtypes`): every name
/// must be a dtype of the golden format, and the message lists the ones there are.
enum DTypeList {
    static func parse(_ text: String, option: String = "--dtypes") throws -> [DType] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw ValidationError("\(option) names no dtype") }
        return try names.map { name in
            guard let dtype = DType(rawValue: name) else {
                throw ValidationError("\(option): unknown dtype \(name) (\(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return dtype
        }
    }
}
