import Foundation
import Testing
import PythonBridge

/// The cost of moving arrays to NumPy and back, next to memcpy. A smoke test in a normal run; the
/// real measurement (one million Doubles) prints only on request:
///
///     PYTHONBRIDGE_MEASURE=1 swift test --filter PythonBridgeTests.RoundTripMeasurementTests
///
/// (no assertion on speed: the numbers depend on the machine and on what else it runs).
@Suite("Round-trip measurement")
struct RoundTripMeasurementTests {
    @Test func measurementRuns() throws {
        let small = try NumPyRoundTripMeasurement.measure(elementCount: 1000, iterations: 3)
        #expect(small.elementCount == 1000)
        #expect(small.roundTripCopying > .zero && small.memcpyWarm >= .zero)
        guard ProcessInfo.processInfo.environment["PYTHONBRIDGE_MEASURE"] != nil else { return }
        print(try NumPyRoundTripMeasurement.measure())
    }
}
