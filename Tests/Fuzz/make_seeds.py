"""Writes seed corpora for scripts/fuzz.sh: small valid inputs, so the fuzzer starts deep.

usage: /usr/bin/python3 -I make_seeds.py GOLDEN_DIR OUT_DIR
OUT_DIR/golden_reader: case files of a few small cases from each golden file, and MANIFEST.json.
OUT_DIR/port_protocol: "started", "result" (for case bce/float32/none/fuzz) and "run" lines.
"""
import json
import os
import sys

golden, out = sys.argv[1], sys.argv[2]
reader_dir = os.path.join(out, "golden_reader")
port_dir = os.path.join(out, "port_protocol")
os.makedirs(reader_dir, exist_ok=True)
os.makedirs(port_dir, exist_ok=True)


def write(directory, name, text):
    with open(os.path.join(directory, name), "w", encoding="ascii") as f:
        f.write(text)


with open(os.path.join(golden, "MANIFEST.json"), encoding="ascii") as f:
    write(reader_dir, "manifest.json", f.read())

run_lines = []
for loss in ("bce", "bce_with_logits"):
    for dtype in ("float16", "float32", "float64"):
        with open(os.path.join(golden, loss, dtype + ".json"), encoding="ascii") as f:
            data = json.load(f)
        small = [c for c in data["cases"] if len(json.dumps(c)) < 1500]
        # Several kinds: outputs, an error, a weighted one, a none reduction.
        picks = [small[0], small[len(small) // 3], small[len(small) // 2], small[-1]]
        picks += [c for c in small if "expected_error" in c][:1]
        for i, case in enumerate(picks):
            one = dict(data, cases=[case])
            write(reader_dir, f"{loss}-{dtype}-{i}.json", json.dumps(one, sort_keys=True))
            run = {"type": "run", "case": {k: case[k] for k in ("id", "loss", "dtype", "reduction", "inputs")}}
            run_lines.append(json.dumps(run))

for i, line in enumerate(run_lines[:12]):
    write(port_dir, f"run-{i}", line)
started = {"type": "started", "protocol_version": 1,
           "implementation": {"name": "seed", "language": "python", "version": "0",
                              "losses": ["bce", "bce_with_logits"], "dtypes": ["float16", "float32", "float64"]}}
write(port_dir, "started", json.dumps(started))
write(port_dir, "start", '{"type":"start","protocol_version":1}')
write(port_dir, "stop", '{"type":"stop"}')
rid = "bce/float32/none/fuzz"
tensor = {"dtype": "float32", "shape": [2], "hex": "3f8000007fc00000"}
write(port_dir, "result-outputs", json.dumps({"type": "result", "id": rid, "outputs": {
    "loss": tensor, "grad_input": tensor, "grad_target": tensor}}))
write(port_dir, "result-error", json.dumps({"type": "result", "id": rid, "error": "input_out_of_range", "message": "x"}))
write(port_dir, "result-skipped", json.dumps({"type": "result", "id": rid, "skipped": "no float32"}))
