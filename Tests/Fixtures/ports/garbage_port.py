"""Answers start, then prints a line that is not the protocol."""
import json
import sys

for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "start":
        print(json.dumps({"type": "started", "protocol_version": 1,
                          "implementation": {"name": "garbage_port", "language": "python", "version": "0"}}), flush=True)
    elif message["type"] == "run":
        print("Traceback (most recent call last): this is not JSON", flush=True)
