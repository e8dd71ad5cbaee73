internal import BCESIMDKernels

/// How one call runs: its thread count, instruction set and the workers' spin after it.
///
/// Each property left `nil` takes the library-wide default: ``BCEThreads/maximum``,
/// ``BCEVectorKernels/active`` and ``BCEThreads/spin``, which are defaults only. Results are
/// bit-identical whatever the options: they change speed, never values.
///
/// ```swift
/// let execution = BCEExecution(threads: 1)   // a data-loader thread that must not fan out
/// ```
public struct BCEExecution: Sendable, Equatable {
    /// The most threads the call uses (the calling thread among them); values below 1 are taken
    /// as 1. `nil`: ``BCEThreads/maximum``.
    public var threads: Int?
    /// The instruction set of the vectorised passes; a level above
    /// ``BCEVectorKernels/supported`` uses the supported one. `nil`: ``BCEVectorKernels/active``.
    public var instructionSet: BCEInstructionSet?
    /// How long the worker threads keep watching for the next call after this one (zero: they
    /// park at once). `nil`: ``BCEThreads/spin``.
    public var spin: Duration?

    public init(threads: Int? = nil, instructionSet: BCEInstructionSet? = nil, spin: Duration? = nil) {
        self.threads = threads
        self.instructionSet = instructionSet
        self.spin = spin
    }

    /// Every option at its library-wide default.
    public static var `default`: BCEExecution { BCEExecution() }

    /// The options with the defaults filled in, for the passes.
    package var resolved: ResolvedExecution {
        ResolvedExecution(
            threads: max(1, threads ?? BCEThreads.maximum), spin: spin ?? BCEThreads.spin,
            level: instructionSet.map(BCEVectorKernels.level) ?? BCEVectorKernels.callerOverride)
    }
}

/// ``BCEExecution`` with the defaults filled in. `level` nil: the library-wide level.
package struct ResolvedExecution {
    var threads: Int
    var spin: Duration
    /// The C level in force on the threads running the call's blocks (a supported level, or
    /// `BCESIMDLevelNone` from ``BCEVectorKernels/withLevel(_:_:)``).
    var level: BCESIMDLevel?

    /// The library-wide defaults (the NDArray API's calls).
    static var defaults: ResolvedExecution { BCEExecution.default.resolved }

    /// `body` with this call's instruction set in force on the current thread (``BCEVectorKernels/useC``).
    @inline(__always)
    func applying<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        guard let level else { return try body() }
        return try BCEVectorKernels.withThreadLevel(level, body)
    }
}

extension BCEVectorKernels {
    /// The calling thread's level override, if any: carried to the workers of a call that names
    /// no instruction set, so ``withLevel(_:_:)`` reaches them too.
    static var callerOverride: BCESIMDLevel? {
        let level = bce_simd_thread_override()
        return level == BCESIMDLevelUnset ? nil : level
    }
}
