/// The golden format's tensor encoding: each element's bits as fixed-width lowercase hex
/// (4 / 4 / 8 / 16 characters for float16 / bfloat16 / float32 / float64; bfloat16's are the upper
/// half of the float32 bits, 1.0 is `3f80`), concatenated in row-major order.
///
/// Decoding works on the UTF-8 bytes (no per-Character String work): the 100,000-element cases
/// must not dominate a run.
public enum HexCodec {
    public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The string's length is not `count * width`.
        case length(expected: Int, actual: Int)
        /// A byte that is not `0-9a-f` (uppercase is rejected too: the format is canonical).
        case nonHexCharacter(offset: Int)

        public var description: String {
            switch self {
            case .length(let expected, let actual): "hex has \(actual) characters, expected \(expected)"
            case .nonHexCharacter(let offset): "non-hex character at offset \(offset)"
            }
        }
    }

    /// Decodes `count` elements of `dtype` from `hex`.
    public static func decode(_ hex: String, dtype: DType, count: Int) throws(DecodeError) -> [Double] {
        let width = dtype.hexWidth
        let (expected, overflow) = count.multipliedReportingOverflow(by: width)
        var text = hex
        let actual = text.utf8.count
        guard !overflow, expected == actual else {
            throw .length(expected: overflow ? Int.max : expected, actual: actual)
        }
        let result: Result<[Double], DecodeError> = text.withUTF8 { bytes in
            nibbleTable.withUnsafeBufferPointer { table in
                var values = [Double]()
                values.reserveCapacity(count)
                var offset = 0
                for _ in 0..<count {
                    var bits: UInt64 = 0
                    var invalid: UInt8 = 0
                    for _ in 0..<width {
                        let nibble = table[Int(bytes[offset])]
                        invalid |= nibble
                        bits = bits &<< 4 | UInt64(nibble & 0x0F)
                        offset += 1
                    }
                    // 0xFF marks a non-hex byte; find which one only on the (rare) error path.
                    if invalid & 0xF0 != 0 {
                        let start = offset - width
                        let bad = (start..<offset).first { table[Int(bytes[$0])] == 0xFF } ?? start
                        return .failure(.nonHexCharacter(offset: bad))
                    }
                    values.append(dtype.value(fromBits: bits))
                }
                return .success(values)
            }
        }
        return try result.get()
    }

    /// Encodes `values` rounded to `dtype`.
    public static func encode(_ values: [Double], dtype: DType) -> String {
        let width = dtype.hexWidth
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * width)
        for value in values {
            let bits = dtype.bits(of: value)
            var shift = (width - 1) * 4
            while shift >= 0 {
                bytes.append(hexDigits[Int((bits >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// 0xFF marks a byte that is not a lowercase hex digit.
    private static let nibbleTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "0123456789abcdef".utf8.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()
}
