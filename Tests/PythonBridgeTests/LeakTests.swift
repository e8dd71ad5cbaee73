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

@Suite("No leaks")
struct LeakTests {
    /// 100,000 round trips of a 1,000-element array (50,000 through a NumPy copy, 50,000 through a
    /// zero-copy view, each read back into a new Swift array). A leak of even one 8 KB array or of
    /// 200 bytes per trip would grow the resident set by far more than the bound.
    @Test func hundredThousandRoundTrips() throws {
        let values = (0..<1000).map { Double($0) * 0.5 }
        func roundTrips(_ count: Int) throws {
            try Python.withGIL { py throws(PythonError) in
                for index in 0..<count {
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
        let before = try residentBytes()
        try roundTrips(100_000)
        let after = try residentBytes()
        let growth = after - before
        // Other suites run in parallel in this process and allocate too; 8 MB is far below what
        // leaking 100,000 arrays (800 MB) or a memoryview per trip (about 30 MB) would cost.
        #expect(growth < 8 << 20, "resident memory grew by \(growth >> 10) KB over 100,000 round trips")
    }
}
