#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What moving a Double array to NumPy and back costs, next to a plain memcpy of its bytes.
///
/// Each figure is the median over `iterations` runs, measured with `ContinuousClock`.
/// `measure` is for the `bench` command and for people, not for tests that assert speed.
public struct NumPyRoundTripMeasurement: Sendable, CustomStringConvertible {
    public var elementCount: Int
    public var iterations: Int
    /// memcpy of the array's bytes into an already touched buffer.
    public var memcpyWarm: Duration
    /// malloc + memcpy + free of the array's bytes (the same page faults a new array pays).
    public var memcpyFresh: Duration
    /// `numpyArray(copying:)` then `toArray` (one copy each way) in one `withGIL`.
    public var roundTripCopying: Duration
    /// `withNumPyView` (no copy) then `toArray` (one copy back) in one `withGIL`.
    public var roundTripView: Duration
    /// `numpyArray(copying:)` alone.
    public var toNumPyCopying: Duration
    /// `toArray` alone, of an existing ndarray.
    public var fromNumPy: Duration

    public var description: String {
        func format(_ duration: Duration) -> String {
            let microseconds = Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
            let ratio = microseconds / max(memcpyWarmMicroseconds, 1e-9)
            return "\(String(microseconds.rounded(toPlaces: 1))) µs (\(String(ratio.rounded(toPlaces: 2)))× memcpy)"
        }
        let bytes = elementCount * MemoryLayout<Double>.size
        return """
            NumPy round trip of \(elementCount) Doubles (\(bytes) bytes), median of \(iterations):
              memcpy, warm destination          \(format(memcpyWarm))
              malloc + memcpy + free            \(format(memcpyFresh))
              Swift → NumPy (copy), → Swift     \(format(roundTripCopying))
              Swift → NumPy (view), → Swift     \(format(roundTripView))
              Swift → NumPy (copy) only         \(format(toNumPyCopying))
              NumPy → Swift only                \(format(fromNumPy))
            """
    }

    private var memcpyWarmMicroseconds: Double {
        Double(memcpyWarm.components.seconds) * 1e6 + Double(memcpyWarm.components.attoseconds) / 1e12
    }

    /// Measures the round trip of an `elementCount`-element Double array (default one million).
    public static func measure(elementCount: Int = 1_000_000, iterations: Int = 21) throws(PythonError) -> NumPyRoundTripMeasurement {
        precondition(elementCount > 0 && iterations > 0)
        let values = (0..<elementCount).map { Double($0) * 0.25 - 3 }
        let bytes = elementCount * MemoryLayout<Double>.size
        let destination = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { destination.deallocate() }
        memset(destination, 0, bytes)

        func median(_ body: () throws(PythonError) -> Void) throws(PythonError) -> Duration {
            let clock = ContinuousClock()
            try body()  // warm-up
            var samples: [Duration] = []
            for _ in 0..<iterations {
                let start = clock.now
                try body()
                samples.append(clock.now - start)
            }
            return samples.sorted()[samples.count / 2]
        }

        return try values.withUnsafeBufferPointer { (source) throws(PythonError) -> NumPyRoundTripMeasurement in
            let memcpyWarm = try median { memcpy(destination, source.baseAddress!, bytes) }
            let memcpyFresh = try median {
                let fresh = malloc(bytes)!
                memcpy(fresh, source.baseAddress!, bytes)
                keepOpaque(fresh)  // or a release build elides the malloc, memcpy and free as dead code
                free(fresh)
            }
            var checksum = 0.0
            let roundTripCopying = try median { () throws(PythonError) in
                try Python.withGIL { py throws(PythonError) in
                    checksum += try py.numpyArray(copying: source, shape: [elementCount]).toArray(Double.self).scalars[elementCount - 1]
                }
            }
            let roundTripView = try median { () throws(PythonError) in
                try Python.withGIL { py throws(PythonError) in
                    checksum += try py.withNumPyView(of: source, shape: [elementCount]) { (array) throws(PythonError) in
                        try array.toArray(Double.self).scalars[elementCount - 1]
                    }
                }
            }
            let toNumPyCopying = try median { () throws(PythonError) in
                try Python.withGIL { py throws(PythonError) in
                    _ = try py.numpyArray(copying: source, shape: [elementCount])
                }
            }
            let existing = try Python.withGIL { py throws(PythonError) in try py.numpyArray(copying: source, shape: [elementCount]) }
            let fromNumPy = try median { () throws(PythonError) in
                try Python.withGIL { _ throws(PythonError) in
                    checksum += try existing.toArray(Double.self).scalars[0]
                }
            }
            precondition(checksum.isFinite)
            return NumPyRoundTripMeasurement(
                elementCount: elementCount, iterations: iterations, memcpyWarm: memcpyWarm, memcpyFresh: memcpyFresh,
                roundTripCopying: roundTripCopying, roundTripView: roundTripView,
                toNumPyCopying: toNumPyCopying, fromNumPy: fromNumPy)
        }
    }
}

/// An optimisation barrier: the optimiser may not see what happens to `pointer`.
@inline(never) @_optimize(none)
private func keepOpaque(_ pointer: UnsafeMutableRawPointer) {}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}
