// libFuzzer target: bytes as one line from a port (started / result) and from a runner (serve).
// Built by scripts/fuzz.sh with the protocol's sources (Sources/BCEConformance/Ports/PortProtocol.swift
// and the format it reuses); see README.md. Any input must give a value or a Violation.
import Foundation

/// The case a result is parsed against: float32, none, two elements.
private let runningCase: GoldenCase = {
    let t = try! GoldenTensor(dtype: .float32, shape: [2], values: [0.25, 0.5])
    return GoldenCase(id: "bce/float32/none/fuzz", loss: .bce, dtype: .float32, reduction: .none,
                      inputs: GoldenCase.Inputs(input: t, target: t, weight: nil, posWeight: nil, gradOutput: t),
                      expectation: .error(kind: ""), file: "")
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPortProtocol(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: start, count: count))
    _ = try? PortProtocol.parseStarted(line)
    if case .outputs(let o)? = try? PortProtocol.parseResult(line, for: runningCase) {
        // What the report does with an accepted result: render it again.
        _ = PortProtocol.resultMessage(id: runningCase.id, .outputs(o))
    }
    _ = try? PortProtocol.parseRequest(line)
    return 0
}
