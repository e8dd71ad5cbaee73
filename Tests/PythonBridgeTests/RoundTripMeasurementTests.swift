import Foundation
import Testing
import PythonBridge

/// The cost of moving arrays to NumPy and back, next to memcpy. A check of the measurement in a
/// normal run; the real measurement (one million Doubles) prints only on request:
///
///     PYTHONBRIDGE_MEASURE=1 swift test --filter PythonBridgeTests.RoundTripMeasurementTests
///
/// No assertion on relative speed (the numbers depend on the machine and on what else it runs);
/// what is asserted is what the measurement reports: its sizes, that every figure was measured,
/// that the printed table shows exactly those figures and their ratio to memcpy, and a generous
/// ceiling (1 s for 8 KB) that only a hang or a quadratic path would break.
@Suite("Round-trip measurement")
struct RoundTripMeasurementTests {
    static func microseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12
    }

    @Test func theMeasurementReportsWhatItMeasured() throws {
        let m = try NumPyRoundTripMeasurement.measure(elementCount: 1000, iterations: 3)
        #expect(m.elementCount == 1000)
        #expect(m.iterations == 3)
        let figures: [(String, Duration)] = [
            ("memcpy, warm destination", m.memcpyWarm), ("malloc + memcpy + free", m.memcpyFresh),
            ("Swift → NumPy (copy), → Swift", m.roundTripCopying), ("Swift → NumPy (view), → Swift", m.roundTripView),
            ("Swift → NumPy (copy) only", m.toNumPyCopying), ("NumPy → Swift only", m.fromNumPy),
        ]
        let text = m.description
        #expect(text.hasPrefix("NumPy round trip of 1000 Doubles (8000 bytes), median of 3:"), "\(text)")
        let warm = max(Self.microseconds(m.memcpyWarm), 1e-9)
        for (label, duration) in figures {
            #expect(duration >= .zero, "\(label)")
            #expect(duration < .seconds(1), "\(label): \(duration) for 8 KB")
            // The row: "label   12.3 µs (4.56× memcpy)", the same figure and ratio as the value.
            let row = try #require(text.split(separator: "\n").first { $0.contains(label) }, "no row \(label) in \(text)")
            let fields = row.dropFirst(row.range(of: label)!.upperBound.utf16Offset(in: row) - row.startIndex.utf16Offset(in: row))
                .split(whereSeparator: { $0 == " " || $0 == "(" || $0 == "×" })
            let shown = try #require(Double(fields[0]), "\(row)")
            let ratio = try #require(Double(fields[2]), "\(row)")
            let us = Self.microseconds(duration)
            #expect(abs(shown - us) <= 0.05 + 1e-9, "\(row): \(us) µs")
            #expect(abs(ratio - us / warm) <= 0.005 + 1e-6 * us / warm, "\(row): ratio \(us / warm)")
        }
        #expect(m.roundTripCopying > .zero && m.roundTripView > .zero && m.fromNumPy > .zero, "a Python call measured as 0")
        guard ProcessInfo.processInfo.environment["PYTHONBRIDGE_MEASURE"] != nil else { return }
        print(try NumPyRoundTripMeasurement.measure())
    }
}
