#!/usr/bin/env bash
# How long the golden-file readers take on the whole suite: MANIFEST.json and every case file it
# lists, read and checked by Manifest.read and GoldenFileReader.read (what `run`, `list` and
# `verify` do before anything else; SHA-256 excluded, it is the same work whichever reader).
# Builds the readers' sources of REV (default: the work tree) outside SwiftPM with `swiftc -O`,
# as scripts/fuzz.sh does, so two revisions compare on the same machine minute:
#   scripts/reader-load-time.sh [REV] [ROUNDS]      e.g. scripts/reader-load-time.sh ed5425d 7
# Prints each round (serial, one thread): wall time and the process's CPU time (the figure to
# compare on a shared machine), then the minima and the medians, in seconds. Then the same for the
# port protocol's reader: every value case's expected outputs as a port's "result" line
# (PortProtocol.resultMessage), parsed back by PortProtocol.parseResult, as `run --port` reads them.
set -euo pipefail
cd "$(dirname "$0")/.."
REV="${1:-}"
ROUNDS="${2:-5}"
SWIFTC="$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)"
OUT="$(mktemp -d "${TMPDIR:-/tmp}/bce-reader-time-XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/src"
# The reader's files at REV: Format/ (not the writer, not GoldenSuite, which needs the runner's
# file I/O), what they use from elsewhere, and SwiftBCEShared once it exists.
list() { if [ -n "$REV" ]; then git ls-tree -r --name-only "$REV" -- "$@"; else git ls-files --cached --others --exclude-standard -- "$@"; fi; }
show() { if [ -n "$REV" ]; then git show "$REV:$1"; else cat "$1"; fi; }
for f in $(list Sources/BCEConformance/Format Sources/SwiftBCEShared Sources/BCEConformance/Ports/PortProtocol.swift \
               Sources/BCEConformance/Implementations/CaseOutcome.swift Sources/BCEConformance/Implementations/Capabilities.swift); do
    case "$f" in *.swift) ;; *) continue ;; esac
    case "$f" in */GoldenWriter.swift|*/GoldenSuite.swift|*/Version.swift) continue ;; esac
    show "$f" | sed -e '/^import Crypto$/d' -e '/^import SwiftBCEShared$/d' > "$OUT/src/$(basename "$f")"
done
cat > "$OUT/src/SHA256StandIn.swift" <<'SWIFT'
import Foundation
enum SHA256 { static func hash(data: Data) -> [UInt8] { [UInt8](repeating: 0, count: 32) } }
SWIFT
cat > "$OUT/main.swift" <<'SWIFT'
import Foundation
let golden = URL(fileURLWithPath: CommandLine.arguments[1])
let rounds = Int(CommandLine.arguments[2])!
let manifestData = try! Data(contentsOf: golden.appendingPathComponent("MANIFEST.json"))
let paths = try! Manifest.read(manifestData).files.map(\.path)
let files = paths.map { (path: $0, data: try! Data(contentsOf: golden.appendingPathComponent($0))) }
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
var times = [Double](), cpuTimes = [Double]()
for round in 1...rounds {
    let start = DispatchTime.now().uptimeNanoseconds, cpuStart = cpuSeconds()
    _ = try! Manifest.read(manifestData)
    var cases = 0, elements = 0
    for f in files {
        let file = try! GoldenFileReader.read(f.data, path: f.path)
        cases += file.cases.count
        elements += file.cases.reduce(0) { $0 + $1.inputs.input.count }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu = cpuSeconds() - cpuStart
    times.append(seconds)
    cpuTimes.append(cpu)
    print("round \(round): wall \(String(format: "%.3f", seconds)) s, cpu \(String(format: "%.3f", cpu)) s (\(cases) cases, \(elements) input elements, \(files.count) files, \(files.reduce(0) { $0 + $1.data.count }) bytes)")
}
func summary(_ label: String, _ times: [Double], _ cpuTimes: [Double]) {
    let t = times.sorted(), c = cpuTimes.sorted()
    print(String(format: "\(label)wall: min %.3f s, median %.3f s; cpu: min %.3f s, median %.3f s", t[0], t[t.count / 2], c[0], c[c.count / 2]))
}
summary("", times, cpuTimes)
// The port protocol's reader on every value case's expected outputs, as result lines.
var lines = [(GoldenCase, [UInt8])]()
for f in files {
    for c in try! GoldenFileReader.read(f.data, path: f.path).cases {
        guard case .outputs(let o) = c.expectation else { continue }
        let outputs = CaseOutputs(loss: o.loss, gradInput: o.gradInput, gradTarget: o.gradTarget)
        lines.append((c, Array(PortProtocol.resultMessage(id: c.id, .outputs(outputs)).utf8)))
    }
}
times = []
cpuTimes = []
for round in 1...rounds {
    let start = DispatchTime.now().uptimeNanoseconds, cpuStart = cpuSeconds()
    var elements = 0
    for (c, line) in lines {
        guard case .outputs(let o) = try! PortProtocol.parseResult(line, for: c) else { fatalError("not outputs: \(c.id)") }
        elements += o.loss.count
    }
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    cpuTimes.append(cpuSeconds() - cpuStart)
    print("port round \(round): wall \(String(format: "%.3f", times.last!)) s, cpu \(String(format: "%.3f", cpuTimes.last!)) s (\(lines.count) result lines, \(lines.reduce(0) { $0 + $1.1.count }) bytes, \(elements) loss elements)")
}
summary("port result lines: ", times, cpuTimes)
SWIFT
echo "reader-load-time: building the readers of ${REV:-the work tree} (swiftc -O)"
nice "$SWIFTC" -O -module-name BCEReaders -package-name swift_bce "$OUT"/src/*.swift "$OUT/main.swift" -o "$OUT/load" 2>&1 \
    | { grep -v "Cannot export local symbol" || true; } >&2
"$OUT/load" golden "$ROUNDS"
