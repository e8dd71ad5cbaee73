"""The canonical JSON of the golden files and the manifest (docs/CONTRACTS.md section 2).

`render` turns a built catalogue into {relative path: bytes}; nothing here touches the disk
(swap.write_set replaces golden/ with the result; check.check compares it with golden/).
"""

import hashlib
import json
import platform

import numpy as np

import bce_reference as ref

from .swap import MANIFEST
from .tensors import DTYPE_NAMES

FORMAT_VERSION = 2
SUITE_VERSION = "2.0.0"
GENERATOR_SCRIPT = "scripts/generate_golden.py"


def dump_json(doc):
    """Pretty JSON: sorted keys, 1-space indent, but every TENSOR and string list on one line."""
    inline = []

    def lift(node):
        if isinstance(node, dict):
            if "hex" in node:
                inline.append(node)
                return f"\x00{len(inline) - 1}\x00"
            return {k: lift(v) for k, v in node.items()}
        if isinstance(node, list):
            if node and all(isinstance(v, str) for v in node):
                inline.append(node)
                return f"\x00{len(inline) - 1}\x00"
            return [lift(v) for v in node]
        return node

    text = json.dumps(lift(doc), indent=1, sort_keys=True, ensure_ascii=True, allow_nan=False)
    parts = text.split('"\\u0000')
    out = [parts[0]]
    for part in parts[1:]:
        index, rest = part.split('\\u0000"', 1)
        out.append(json.dumps(inline[int(index)], sort_keys=True, ensure_ascii=True, allow_nan=False,
                              separators=(", ", ": ")))
        out.append(rest)
    return ("".join(out) + "\n").encode("ascii")


def render(cat, seed, default_tolerance, flags, error_kinds, dtypes=DTYPE_NAMES):
    """All generated files of a built catalogue as {relative path: bytes}, the manifest last."""
    files = {}
    entries = []
    for loss in ref.LOSSES:
        for dtype in dtypes:
            cases = cat.cases[(loss, dtype)]
            path = f"{loss}/{dtype}.json"
            data = dump_json({"format_version": FORMAT_VERSION, "loss": loss, "dtype": dtype, "cases": cases})
            files[path] = data
            entries.append({"path": path, "sha256": hashlib.sha256(data).hexdigest(), "cases": len(cases)})
    manifest = {
        "format_version": FORMAT_VERSION,
        "suite_version": SUITE_VERSION,
        "files": entries,
        "categories": dict(sorted(cat.categories.items())),
        "default_tolerance": default_tolerance,
        "flags": flags,
        "error_kinds": error_kinds,
        "generator": {
            "script": GENERATOR_SCRIPT,
            "seed": seed,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": f"{platform.system()}-{platform.machine()}",
            "longdouble_mantissa_bits": int(np.finfo(np.longdouble).nmant) + 1,
        },
    }
    files[MANIFEST] = dump_json(manifest)
    return files
