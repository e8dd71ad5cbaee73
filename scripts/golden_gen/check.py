"""`generate_golden.py --check`: compares freshly rendered files (in memory) with a golden/ folder.

Case files must match byte for byte; the manifest with its "generator" provenance block left out
(Python and NumPy versions differ between runs by design). Each difference is named by file, case
id and field.
"""

import json
import os

from .swap import MANIFEST


def _case_field_diffs(a, b):
    """Names of the fields (dotted paths) that differ between two cases."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        if isinstance(va, dict) and isinstance(vb, dict) and key in ("inputs", "expected", "tolerance"):
            out += [f"{key}.{k}" for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)]
        elif key == "acceptable" and isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb):
            for i, (aa, ab) in enumerate(zip(va, vb)):
                oa, ob = aa.get("outputs", {}), ab.get("outputs", {})
                out += [f"{key}[{i}].{k}" for k in sorted(set(aa) | set(ab)) if k != "outputs" and aa.get(k) != ab.get(k)]
                out += [f"{key}[{i}].outputs.{k}" for k in sorted(set(oa) | set(ob)) if oa.get(k) != ob.get(k)]
        else:
            out.append(key)
    return out


def describe_differences(rel, committed, fresh):
    if rel == MANIFEST:
        return [f"{rel}: {k}" for k in sorted(set(committed) | set(fresh)) if committed.get(k) != fresh.get(k)]
    lines = []
    for key in ("format_version", "loss", "dtype"):
        if committed.get(key) != fresh.get(key):
            lines.append(f"{rel}: {key}")
    old = {c.get("id"): c for c in committed.get("cases", [])}
    new = {c["id"]: c for c in fresh["cases"]}
    for cid in new:
        if cid not in old:
            lines.append(f"{rel}: {cid}: missing from the committed file")
        elif old[cid] != new[cid]:
            lines.append(f"{rel}: {cid}: " + ", ".join(_case_field_diffs(old[cid], new[cid])))
    for cid in old:
        if cid not in new:
            lines.append(f"{rel}: {cid}: not produced by the generator")
    if not lines and [c.get("id") for c in committed.get("cases", [])] != list(new):
        lines.append(f"{rel}: case order")
    if not lines:
        lines.append(f"{rel}: formatting (bytes differ, content equal)")
    return lines


def check(out, files):
    problems = []
    for root, dirs, names in os.walk(out):
        dirs[:] = [d for d in dirs if d != "schema"]
        for name in names:
            rel = os.path.relpath(os.path.join(root, name), out).replace(os.sep, "/")
            if name.endswith(".json") and rel not in files:
                problems.append(f"{rel}: not produced by the generator (stale file)")
    for rel, data in files.items():
        path = os.path.join(out, rel)
        try:
            with open(path, "rb") as fh:
                committed = fh.read()
        except FileNotFoundError:
            problems.append(f"{rel}: missing")
            continue
        if rel == MANIFEST:
            try:
                a, b = json.loads(committed), json.loads(data)
            except ValueError:
                problems.append(f"{rel}: not valid JSON")
                continue
            a.pop("generator", None)
            b.pop("generator", None)
            if a != b:
                problems += describe_differences(rel, a, b)
            continue
        if committed != data:
            try:
                problems += describe_differences(rel, json.loads(committed), json.loads(data))
            except ValueError:
                problems.append(f"{rel}: not valid JSON")
    return problems
