// Placeholder: the runner issue fills this in. Until then it runs the benchmark (`bench`).
import BCEConformance
Bench.main(Array(CommandLine.arguments.dropFirst().drop { $0 == "bench" }))
