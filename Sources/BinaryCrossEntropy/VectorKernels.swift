internal import BCESIMDKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The instruction set of the vectorised passes.
///
/// Every level computes the same operations in the same order, so results are bit-identical
/// whichever is used; only the speed differs. Each is the same C body in the `BCESIMDKernels`
/// target, compiled once per level and chosen at run time: `baseline` for the target's baseline
/// (SSE2 on x86-64, Advanced SIMD on arm64; the only level off x86-64), `avx2` and `avx512`
/// compiled per function for those instruction sets (Swift cannot do that without compiler flags).
public enum BCEInstructionSet: String, Sendable, CaseIterable, Comparable {
    /// The target's baseline (x86-64: SSE2; arm64: Advanced SIMD).
    case baseline
    /// x86-64 AVX2 (256-bit vectors).
    case avx2
    /// x86-64 AVX-512 F, DQ, VL and BW (512-bit vectors).
    case avx512

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .baseline: 0
        case .avx2: 1
        case .avx512: 2
        }
    }

    /// The level named `name`: a case's raw value, or `swift`, this level's name before the C
    /// kernels had a baseline copy (0.x; still read from `BCE_INSTRUCTION_SET`).
    package init?(named name: String) {
        self.init(rawValue: name == "swift" ? "baseline" : name)
    }
}

/// Which ``BCEInstructionSet`` the library uses.
public enum BCEVectorKernels {
    /// The best level this processor and operating system support.
    public static var supported: BCEInstructionSet { level(bce_simd_supported_level()) }

    /// The level in use. By default ``supported``, or the environment variable
    /// `BCE_INSTRUCTION_SET` (`baseline`, `avx2`, `avx512`) if it names a lower level (other
    /// values are ignored). Setting a level above ``supported`` uses ``supported``. The setting
    /// itself lives in the C target, which dispatches on it.
    public static var active: BCEInstructionSet {
        get {
            _ = environmentApplied
            return level(bce_simd_level())
        }
        set {
            _ = environmentApplied
            _ = bce_simd_set_level(level(newValue))
        }
    }

    static func level(_ level: BCEInstructionSet) -> BCESIMDLevel {
        switch level {
        case .baseline: BCESIMDLevelBaseline
        case .avx2: BCESIMDLevelAVX2
        case .avx512: BCESIMDLevelAVX512
        }
    }

    /// The public level of a C level (`none` and `unset` have none: nil).
    static func level(_ level: BCESIMDLevel) -> BCEInstructionSet? {
        switch level {
        case BCESIMDLevelAVX512: .avx512
        case BCESIMDLevelAVX2: .avx2
        case BCESIMDLevelBaseline: .baseline
        default: nil
        }
    }

    private static func level(_ level: BCESIMDLevel) -> BCEInstructionSet { Self.level(level) ?? .baseline }

    /// Applies `BCE_INSTRUCTION_SET` once, before the first read or write of ``active``.
    private static let environmentApplied: Bool = {
        if let value = getenv("BCE_INSTRUCTION_SET"), let level = BCEInstructionSet(named: String(cString: value)),
           level < supported {
            _ = bce_simd_set_level(Self.level(level))
        }
        return true
    }()

    /// Whether the C kernels run on this thread (not inside ``withLevel(_:_:)`` with nil). When they do
    /// not, each C entry point would return at once; checking first spares a call per group.
    @inline(__always)
    static var useC: Bool { bce_simd_thread_level() != BCESIMDLevelNone }

    /// `body` with `level` in force on this thread (a call's ``BCEExecution/instructionSet``, or
    /// `BCESIMDLevelNone`); the C dispatch reads it.
    @inline(__always)
    static func withThreadLevel<R, E: Error>(_ level: BCESIMDLevel, _ body: () throws(E) -> R) throws(E) -> R {
        let previous = bce_simd_set_thread_level(level)
        defer { _ = bce_simd_set_thread_level(previous) }
        return try body()
    }

    /// The level in force on this thread: the running call's, else ``active``; nil inside
    /// ``withLevel(_:_:)`` with nil.
    package static var threadLevel: BCEInstructionSet? { level(bce_simd_thread_level()) }

    /// `body` with `level` in force on this thread and on the threads running the blocks of the
    /// calls it makes without an explicit instruction set; nil: no C kernel, every group takes
    /// the Swift code (the tests' reference).
    package static func withLevel<R, E: Error>(_ level: BCEInstructionSet?, _ body: () throws(E) -> R) throws(E) -> R {
        try withThreadLevel(level.map(Self.level) ?? BCESIMDLevelNone, body)
    }
}
