internal import BCESIMDKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The instruction set of the vectorised forward passes (Float and Double, without weight or
/// pos_weight).
///
/// Every level computes the same operations in the same order, so results are bit-identical
/// whichever is used; only the speed differs. `swift` is the library's pure-Swift SIMD code,
/// compiled for the target's baseline (SSE2 on x86-64, NEON on arm64). `avx2` and `avx512` are
/// the same arithmetic in the `BCESIMDKernels` C target, compiled per function for those
/// instruction sets (Swift cannot do that without compiler flags) and chosen at run time.
public enum BCEInstructionSet: String, Sendable, CaseIterable, Comparable {
    /// Pure-Swift SIMD at the target's baseline.
    case swift
    /// x86-64 AVX2 (256-bit vectors).
    case avx2
    /// x86-64 AVX-512 F, DQ, VL and BW (512-bit vectors).
    case avx512

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .swift: 0
        case .avx2: 1
        case .avx512: 2
        }
    }
}

/// Which ``BCEInstructionSet`` the library uses.
public enum BCEVectorKernels {
    /// The best level this processor and operating system support.
    public static var supported: BCEInstructionSet { level(bce_simd_supported_level()) }

    /// The level in use. By default ``supported``, or the environment variable
    /// `BCE_INSTRUCTION_SET` (`swift`, `avx2`, `avx512`) if it names a lower level (other values
    /// are ignored). Setting a level above ``supported`` uses ``supported``. The setting itself
    /// lives in the C target, which dispatches on it.
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

    private static func level(_ level: BCEInstructionSet) -> BCESIMDLevel {
        switch level {
        case .swift: BCESIMDLevelBaseline
        case .avx2: BCESIMDLevelAVX2
        case .avx512: BCESIMDLevelAVX512
        }
    }

    private static func level(_ level: BCESIMDLevel) -> BCEInstructionSet {
        switch level {
        case BCESIMDLevelAVX512: .avx512
        case BCESIMDLevelAVX2: .avx2
        default: .swift
        }
    }

    /// Applies `BCE_INSTRUCTION_SET` once, before the first read or write of ``active``.
    private static let environmentApplied: Bool = {
        if let value = getenv("BCE_INSTRUCTION_SET"), let level = BCEInstructionSet(rawValue: String(cString: value)),
           level < supported {
            _ = bce_simd_set_level(Self.level(level))
        }
        return true
    }()

    /// Whether the C kernels run (a level above `swift`) on this thread: the running call's
    /// level (``BCEExecution/instructionSet``), else ``active``. When they do not, each C entry
    /// point would return at once; checking first spares the Swift lanes a call per group.
    /// (Between AVX2 and AVX-512 the C dispatch still follows ``active``: same bits either way.)
    @inline(__always)
    static var useC: Bool { threadLevel != .swift }
}
