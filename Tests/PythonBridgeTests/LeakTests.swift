import Foundation
import Testing
import PythonBridge

/// Resident set size of this process in bytes, from /proc/self/statm (second field, in pages).
func residentBytes() throws -> Int {
    let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
    let fields = statm.split(separator: " ")
    let pages = try #require(fields.count > 1 ? Int(fields[1]) : nil)
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite("No leaks", .enabled(if: FileManager.default.fileExists(atPath: "/proc/self/statm")))
struct LeakTests {
    /// 100,000 round trips of a 1,000-element array (50,000 through a NumPy copy, 50,000 through a
    /// zero-copy view, each read back into a new Swift array, each in its own `withGIL`). A leak of even one 8 KB array or of
    /// 200 bytes per trip would grow the resident set by far more than the bound.
    @Test func hundredThousandRoundTrips() throws {
        let values = (0..<1000).map { Double($0) * 0.5 }
        func roundTrips(_ count: Int) throws {
            // The GIL is taken for each trip (as a caller would), which also lets the other tests in.
            for index in 0..<count {
                try Python.withGIL { py throws(PythonError) in
                    let back: [Double]
                    if index % 2 == 0 {
                        back = try py.numpyArray(values).toArray(Double.self).scalars
                    } else {
                        back = try values.withUnsafeBufferPointer { (buffer) throws(PythonError) in
                            try py.withNumPyView(of: buffer, shape: [values.count]) { (array) throws(PythonError) in
                                try array.toArray(Double.self).scalars
                            }
                        }
                    }
                    if back.count != values.count || back[999] != values[999] {
                        throw PythonError.arrayMismatch("round trip \(index) changed the array")
                    }
                }
            }
        }
        try roundTrips(5_000)  // warm-up: NumPy's caches, Python's allocator arenas
        // Every other test in this process (all test targets share it) runs in parallel and may
        // grow the resident set meanwhile, so a round that exceeds the bound is measured again: a
        // real leak grows every round, an unlucky neighbour rarely three times running.
        // 8 MB is far below what leaking 100,000 arrays (800 MB) or one memoryview every second
        // trip (16 MB, checked by hand) costs.
        let bound = 8 << 20
        var growths: [Int] = []
        for _ in 0..<3 {
            let before = try residentBytes()
            try roundTrips(100_000)
            growths.append(try residentBytes() - before)
            if growths.last! < bound { break }
        }
        #expect(growths.last! < bound, "resident memory grew by \(growths.map { $0 >> 10 }) KB over rounds of 100,000 round trips")
    }
}
