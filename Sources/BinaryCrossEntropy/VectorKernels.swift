internal import BCESIMDKernels
import Synchronization
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
    public static var supported: BCEInstructionSet {
        switch bce_simd_supported_level() {
        case BCESIMDLevelAVX512: .avx512
        case BCESIMDLevelAVX2: .avx2
        default: .swift
        }
    }

    private static let configured = Atomic<Int>(-1)   // -1: not set

    /// The level in use. By default ``supported``, or the environment variable
    /// `BCE_INSTRUCTION_SET` (`swift`, `avx2`, `avx512`) if it names a lower level. Setting a level
    /// above ``supported`` uses ``supported``.
    public static var active: BCEInstructionSet {
        get {
            let raw = configured.load(ordering: .relaxed)
            if raw >= 0 { return BCEInstructionSet.allCases[raw] }
            let level = min(supported, environmentLevel ?? supported)
            configured.store(BCEInstructionSet.allCases.firstIndex(of: level)!, ordering: .relaxed)
            return level
        }
        set {
            let level = min(supported, newValue)
            configured.store(BCEInstructionSet.allCases.firstIndex(of: level)!, ordering: .relaxed)
        }
    }

    private static var environmentLevel: BCEInstructionSet? {
        guard let value = getenv("BCE_INSTRUCTION_SET") else { return nil }
        return BCEInstructionSet(rawValue: String(cString: value))
    }

    /// Whether the C kernels run (a level above `swift`), with the C side's level set to match.
    @inline(__always)
    static var useC: Bool {
        let level = active
        guard level != .swift else { return false }
        let wanted: BCESIMDLevel = level == .avx512 ? BCESIMDLevelAVX512 : BCESIMDLevelAVX2
        if bce_simd_level() != wanted { _ = bce_simd_set_level(wanted) }
        return true
    }
}
