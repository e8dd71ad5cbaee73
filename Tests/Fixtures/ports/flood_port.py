"""Writes 32 MiB to stderr before answering, then skips every case."""
import json
import sys

chunk = "x" * 1023 + "\n"
for _ in range(32 * 1024):
    sys.stderr.write(chunk)
sys.stderr.flush()
for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "start":
        reply = {"type": "started", "protocol_version": 1,
                 "implementation": {"name": "flood_port", "language": "python", "version": "0"}}
    elif message["type"] == "run":
        reply = {"type": "result", "id": message["case"]["id"], "skipped": "flood_port skips everything"}
    else:
        break
    print(json.dumps(reply), flush=True)
