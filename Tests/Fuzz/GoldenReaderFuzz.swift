// libFuzzer target: bytes as a golden case file and as MANIFEST.json.
// Built by scripts/fuzz.sh with the reader's sources (Sources/BCEConformance/Format); see README.md.
// Any input must give a value or a GoldenFormatError: a trap, an ASan report or a leak is a crash.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGoldenReader(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    if let file = try? GoldenFileReader.read(data, path: "bce/float32.json") {
        // What run does next with a case: encode it for a port and read it back as the port would.
        for c in file.cases.prefix(4) {
            let line = Array(PortProtocol.runMessage(c).utf8)
            _ = try? PortProtocol.parseRequest(line)
        }
    }
    _ = try? Manifest.read(data)
    return 0
}
