"""The port protocol's loop (docs/CONTRACTS.md section 5), shared by the Python ports in this directory
(torch_port.py, the framework adapters jax_port.py, keras_port.py, tinygrad_port.py, the mutant ports).

Standard library only, so it runs in any interpreter (a framework's venv, Debian's Python).
numpy_port.py keeps its own copy on purpose: it is the stand-alone example for port authors.

Protocol versions (section 5.1): a runner that sends `"accepts": [.., 2, ..]` (or protocol_version 2)
gets a version-2 `started` message with the port's `capabilities`; a version-1 runner gets the
version-1 message (losses and dtypes inside `implementation`). Because a version-1 runner sends
every case, the loop itself answers a case outside the capabilities "skipped" with the reason
(the same reasons the version-2 runner reports as "not covered"); what it cannot see in a case
(that it expects an error, or which outputs are compared) a version-1 runner still judges.
"""

import json
import sys

PROTOCOL_VERSION = 2
SUPPORTED_VERSIONS = (1, 2)

# The capability names and values of section 5.1, in its order.
CAPABILITY_VALUES = {
    "losses": ("bce", "bce_with_logits"),
    "dtypes": ("float16", "bfloat16", "float32", "float64"),
    "reductions": ("none", "mean", "sum"),
    "outputs": ("loss", "grad_input", "grad_target"),
    "arguments": ("weight", "pos_weight"),
    "errors": ("shape_mismatch", "not_broadcastable", "input_out_of_range", "target_out_of_range"),
}


class PortError(Exception):
    """An input the implementation refuses: `kind` is the protocol's error kind."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def check_capabilities(capabilities):
    """Raises ValueError for a name or value section 5.1 does not define (a bug in the adapter)."""
    for name, values in capabilities.items():
        if name == "notes":
            if not isinstance(values, str):
                raise ValueError("capability notes must be a string")
            continue
        if name not in CAPABILITY_VALUES:
            raise ValueError(f"unknown capability {name!r}")
        unknown = [v for v in values if v not in CAPABILITY_VALUES[name]]
        if unknown:
            raise ValueError(f"capability {name}: unknown value(s) {unknown}")
    if "outputs" in capabilities and "loss" not in capabilities["outputs"]:
        raise ValueError("capability outputs must include \"loss\"")


def negotiate(start):
    """The protocol version to answer a runner's `start` message with."""
    offered = set(start.get("accepts") or []) | {start.get("protocol_version")}
    return 2 if 2 in offered else 1


def started_message(version, implementation, capabilities):
    impl = {k: v for k, v in implementation.items() if k not in ("losses", "dtypes")}
    if version == 1:
        for field in ("losses", "dtypes"):
            if field in capabilities:
                impl[field] = list(capabilities[field])
        return {"type": "started", "protocol_version": 1, "implementation": impl}
    return {"type": "started", "protocol_version": 2, "implementation": impl,
            "capabilities": {k: (v if k == "notes" else list(v)) for k, v in capabilities.items()}}


def not_covered(case, capabilities):
    """Why `case` lies outside `capabilities` (section 5.1's reasons), or None when it is inside."""
    for field, value in (("losses", case["loss"]), ("dtypes", case["dtype"]), ("reductions", case["reduction"])):
        if field in capabilities and value not in capabilities[field]:
            return f"no {field[:-1] if field != 'losses' else 'loss'} {value}"
    if "arguments" in capabilities:
        for argument in ("weight", "pos_weight"):
            if case["inputs"].get(argument) is not None and argument not in capabilities["arguments"]:
                return f"no {argument}"
    return None


def serve(name, implementation, run_case, dtypes=None, capabilities=None):
    """Answers the runner on stdin/stdout until "stop" (returns 0) or a message it does not know (2).

    implementation: the "started" message's name/language/version (losses and dtypes there are
    read as capabilities, for the ports written for version 1); capabilities: section 5.1's object
    (absent fields: everything); dtypes: the dtypes the port knows (kept for the version-1 callers).
    run_case(case) -> outputs dict, or raises PortError.
    """
    capabilities = dict(capabilities or {})
    for field in ("losses", "dtypes"):
        if field in implementation and field not in capabilities:
            capabilities[field] = list(implementation[field])
    if dtypes is not None and "dtypes" not in capabilities:
        capabilities["dtypes"] = list(dtypes)
    check_capabilities(capabilities)
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "start":
            send(started_message(negotiate(msg), implementation, capabilities))
        elif kind == "run":
            case = msg["case"]
            reason = not_covered(case, capabilities)
            if reason is not None:
                send({"type": "result", "id": case["id"], "skipped": reason})
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
