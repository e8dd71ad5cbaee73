#!/usr/bin/env bash
# The quick hardening checks (docs/RELIABILITY.md), for CI after the release build
# (scripts/conformance.sh) exists: each fuzz target briefly, SIGKILLs of a golden regeneration,
# and the runner writing nowhere but its given paths. The rest of the hardening suite runs in
# `swift test` (hostile golden files, broken ports, random invalid library inputs).
# The long runs (a million fuzz executions, the memory soak, valgrind) are in docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== fuzz: golden_reader, port_protocol (${BCE_QUICK_FUZZ_RUNS:=20000} executions each)"
scripts/fuzz.sh golden_reader 60 "$BCE_QUICK_FUZZ_RUNS" | grep -E '^(stat::number_of_executed_units|fuzz.sh: .* exit)'
scripts/fuzz.sh port_protocol 60 "$BCE_QUICK_FUZZ_RUNS" | grep -E '^(stat::number_of_executed_units|fuzz.sh: .* exit)'
echo "== regeneration killed with SIGKILL"
scripts/kill_regeneration.sh 1 5 | tail -n 1
echo "== the runner writes only where it is told"
scripts/check_write_paths.sh
