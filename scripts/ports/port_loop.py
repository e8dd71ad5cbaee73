"""The port protocol's loop (docs/CONTRACTS.md section 5), shared by torch_port.py and the mutant ports.

Standard library only, so it runs in any interpreter (torch's venv, Debian's Python).
numpy_port.py keeps its own copy on purpose: it is the stand-alone example for port authors.
"""

import json
import sys

PROTOCOL_VERSION = 2  # answers 1 to a runner that accepts only version 1


def started(implementation, capabilities, start):
    """The "started" answer to `start`: version 2 with `capabilities` (losses and dtypes moved out of
    `implementation`) if the runner accepts it, else version 1."""
    accepts = start.get("accepts", [start.get("protocol_version")])
    impl = dict(implementation)
    if PROTOCOL_VERSION not in accepts:
        return {"type": "started", "protocol_version": 1, "implementation": impl}
    caps = dict(capabilities or {})
    for key in ("losses", "dtypes"):
        if key in impl:
            caps.setdefault(key, impl.pop(key))
    return {"type": "started", "protocol_version": PROTOCOL_VERSION, "implementation": impl, "capabilities": caps}


class PortError(Exception):
    """An input the implementation refuses: `kind` is the protocol's error kind."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def serve(name, implementation, run_case, dtypes, capabilities=None):
    """Answers the runner on stdin/stdout until "stop" (returns 0) or a message it does not know (2).

    implementation: the "started" message's object (name, language, version, losses, dtypes);
    capabilities: protocol version 2's declaration (docs/CONTRACTS.md 5.1; None: everything, with
    the losses and dtypes of `implementation`); run_case(case) -> outputs dict, or raises
    PortError; a case of a dtype not in `dtypes` is answered "skipped".
    """
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "start":
            send(started(implementation, capabilities, msg))
        elif kind == "run":
            case = msg["case"]
            if case["dtype"] not in dtypes:
                send({"type": "result", "id": case["id"], "skipped": f"dtype {case['dtype']} not known to this port"})
                continue
            try:
                send({"type": "result", "id": case["id"], "outputs": run_case(case)})
            except PortError as e:
                send({"type": "result", "id": case["id"], "error": e.kind, "message": str(e)})
        elif kind == "stop":
            return 0
        else:
            print(f"{name}: unknown message type {kind!r}", file=sys.stderr)
            return 2
    return 0
