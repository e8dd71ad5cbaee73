"""Answers start, then crashes (SIGSEGV) on the first case, after a word on stderr."""
import json
import os
import signal
import sys

for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "start":
        print(json.dumps({"type": "started", "protocol_version": 1,
                          "implementation": {"name": "crash_port", "language": "python", "version": "0",
                                             "losses": ["bce", "bce_with_logits"],
                                             "dtypes": ["float16", "float32", "float64"]}}), flush=True)
    elif message["type"] == "run":
        sys.stderr.write("crash_port: about to crash on " + message["case"]["id"] + "\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGSEGV)
