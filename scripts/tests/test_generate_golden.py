"""Self-checks of scripts/generate_golden.py and of the committed golden/ set.

Hex encoding round trip (bfloat16 too), determinism (two runs into temporary folders are
byte-identical), --check (passes on the committed set, names the case and field of a modified
file), crash-safe replacement, and the format's invariants on every committed case (version 2:
acceptable alternatives only where their bits differ, flag pytorch-arithmetic exactly where an
alternative lies outside the default tolerance).
"""

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
REPO = os.path.dirname(SCRIPTS)
GOLDEN = os.path.join(REPO, "golden")
GENERATOR = os.path.join(SCRIPTS, "generate_golden.py")
sys.path.insert(0, SCRIPTS)

import numpy as np  # noqa: E402

import generate_golden as gen  # noqa: E402
from golden_gen import acceptance, tensors  # noqa: E402

WIDTH = {"float16": 4, "bfloat16": 4, "float32": 8, "float64": 16}
CASE_FILES = [f"{loss}/{dtype}.json" for loss in ("bce", "bce_with_logits") for dtype in WIDTH]


def run_generator(*args):
    return subprocess.run([sys.executable, "-I", GENERATOR, *args], capture_output=True, text=True)


def tree_bytes(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


class Encoding(unittest.TestCase):
    def test_known_bits(self):
        self.assertEqual(gen.encode_tensor(np.array([1.0]), "float16")["hex"], "3c00")
        self.assertEqual(gen.encode_tensor(np.array([1.0, -1.0]), "float32")["hex"], "3f800000bf800000")
        self.assertEqual(gen.encode_tensor(np.array(1.0), "float64")["hex"], "3ff0000000000000")
        self.assertEqual(gen.encode_tensor(np.zeros((2, 0)), "float32"), {"dtype": "float32", "shape": [2, 0], "hex": "", "values": []})
        self.assertEqual(gen.encode_tensor(np.array([np.nan, -np.nan]), "float32")["hex"], "7fc000007fc00000")

    def test_bfloat16_known_bits(self):
        enc = gen.encode_tensor(np.array([1.0, -2.0, np.nan, -np.inf, 0.1, -0.0]), "bfloat16")
        self.assertEqual(enc["hex"], "3f80c0007fc0ff803dcd8000")
        self.assertEqual(enc["values"], ["1.0", "-2.0", "nan", "-inf", "0.1", "-0.0"])
        self.assertEqual(gen.encode_tensor(np.array(1.0), "bfloat16")["hex"], "3f80")  # 0-d: big-endian too

    def test_bfloat16_rounds_once_to_nearest_even(self):
        r = tensors.round_to(np.array([1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 1 + 2.0 ** -8 + 2.0 ** -40,
                                       3.3961e38, 3.3962e38, 2.0 ** -134, 2.0 ** -134 + 2.0 ** -160, -1e-50]), "bfloat16")
        self.assertEqual(r.tolist(), [1.0, 1 + 2.0 ** -6, 1 + 2.0 ** -7, tensors.BFLOAT16_MAX, np.inf, 0.0, 2.0 ** -133, -0.0])
        self.assertTrue(np.signbit(r[-1]))
        # float64 -> bfloat16 directly, not through float32: 1 + 2^-8 + 2^-30 rounds up; via float32 it would tie down
        self.assertEqual(float(tensors.round_to(np.array(1 + 2.0 ** -8 + 2.0 ** -30), "bfloat16")), 1 + 2.0 ** -7)
        self.assertEqual(tensors.next_toward(1.0, 2.0, "bfloat16"), 1 + 2.0 ** -7)
        self.assertEqual(tensors.next_toward(0.0, -1.0, "bfloat16"), -(2.0 ** -133))
        self.assertEqual(tensors.next_toward(tensors.BFLOAT16_MAX, np.inf, "bfloat16"), np.inf)

    def test_round_trip(self):
        for dtype in WIDTH:
            t = tensors.carrier(dtype)
            c = tensors.consts(dtype)
            vals = tensors.round_to(np.array([0.0, -0.0, 1.0, -2.5, c["min_sub"], -c["min_sub"], c["max"], -c["max"],
                                              np.inf, -np.inf, c["min_normal"], 0.1, 1 / 3]), dtype).reshape(13, 1)
            enc = gen.encode_tensor(vals, dtype)
            self.assertEqual(len(enc["hex"]), 13 * WIDTH[dtype])
            back = gen.decode_tensor(enc)
            self.assertEqual(back.dtype, np.dtype(t))
            self.assertEqual(back.shape, (13, 1))
            self.assertEqual(back.tobytes(), vals.tobytes())
            for s, v in zip(enc["values"], vals.ravel()):
                self.assertEqual(tensors.scalar(dtype, float(s)), v, (dtype, s))
            self.assertEqual(enc["values"][1], "-0.0")

    def test_values_render_short(self):
        self.assertEqual(gen.encode_tensor(np.array([0.3, 1e30]), "float32")["values"], ["0.3", "1e+30"])
        self.assertEqual(gen.encode_tensor(np.array([0.1]), "float16")["values"], ["0.1"])


class Verdict(unittest.TestCase):
    TOL = {"rtol": 1e-3, "atol": 1e-5}

    def test_matches_rule(self):
        ref = np.array([1.0, 1.0, np.nan, np.inf, -np.inf, 0.0, 0.0])
        got = np.array([1.001, 1.0011, np.nan, np.inf, np.inf, 1e-5, 2e-5])
        self.assertEqual(acceptance.matches(got, ref, self.TOL).tolist(), [True, False, True, True, False, True, False])
        self.assertEqual(acceptance.matches(np.array([np.nan, 5.0]), np.array([1.0, np.nan]), self.TOL).tolist(), [False, False])
        # the sign of zero counts only on cases flagged signed-zero
        self.assertTrue(acceptance.matches(np.array([-0.0]), np.array([0.0]), self.TOL)[0])
        self.assertFalse(acceptance.matches(np.array([-0.0]), np.array([0.0]), self.TOL, signed_zero=True)[0])

    def test_alternative_keeps_only_differing_fields_and_says_if_it_widens(self):
        exp = {"loss": np.array([1.0, 2.0], dtype=np.float16), "grad_input": np.array([0.5, 0.25], dtype=np.float16)}
        same = {"loss": exp["loss"].copy(), "grad_input": exp["grad_input"].copy(), "grad_target": np.zeros(2)}
        self.assertEqual(acceptance.alternative(exp, same, "float16", self.TOL), (None, False))
        near = dict(same, loss=np.array([1.0, 2.001953125], dtype=np.float16))  # 1 ULP: inside rtol 1e-3
        alt, widened = acceptance.alternative(exp, near, "float16", self.TOL)
        self.assertEqual((sorted(alt["outputs"]), widened, alt["source"]), (["loss"], False, "pytorch-cpu"))
        far = dict(same, grad_input=np.array([0.5, 0.0], dtype=np.float16))
        alt, widened = acceptance.alternative(exp, far, "float16", self.TOL)
        self.assertEqual((sorted(alt["outputs"]), widened), (["grad_input"], True))
        self.assertEqual(alt["outputs"]["grad_input"]["hex"], "38000000")

    def test_widening_in_ulp_and_relative(self):
        u, rel = acceptance.widening(np.array([1.0, 0.0, 4.0, 2.0]), np.array([1.0 + 2 ** -10, 2.0 ** -24, np.inf, 2.0]), "float16")
        self.assertEqual(u.tolist(), [1.0, 1.0, np.inf, 0.0])
        self.assertEqual(rel.tolist(), [2 ** -10, np.inf, np.inf, 0.0])

    def test_acceptance_page_is_up_to_date(self):
        r = subprocess.run([sys.executable, "-I", os.path.join(SCRIPTS, "acceptance_report.py"), "--check"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)


def _sum_in_dtype(values, dtype, pairwise):
    """Sum of dtype values with every addition rounded to the dtype: pairwise (recursive halves) or
    naive (left to right). The float64 sum of two float16/bfloat16/float32 values is exact."""
    a = values.astype(np.float64)
    if pairwise:
        while a.size > 1:
            if a.size % 2:
                a = np.append(a, 0.0)
            a = tensors.round_to(a[0::2] + a[1::2], dtype).astype(np.float64)
        return float(a[0]) if a.size else 0.0
    if dtype != "bfloat16":
        t = tensors.carrier(dtype)
        return float(np.cumsum(a.astype(t), dtype=t)[-1])  # cumsum is sequential in the dtype
    acc = 0.0
    for v in a.tolist():  # bfloat16: each partial sum rounded to 8 significant bits (round() ties to even)
        s = acc + v
        q = max(math.frexp(s)[1] - 8, -133)
        acc = math.ldexp(round(math.ldexp(s, -q)), q)
    return acc


class LargeReductions(unittest.TestCase):
    """The 100,000-element sums and means: a port summing pairwise in the dtype passes, naive fails."""

    def test_pairwise_passes_and_naive_fails(self):
        from golden_gen.cases import evaluate
        with open(os.path.join(GOLDEN, "MANIFEST.json")) as fh:
            default = json.load(fh)["default_tolerance"]
        seen = 0
        for rel in CASE_FILES:
            loss, dtype = rel[:-5].split("/")
            if dtype == "float64":
                continue
            with open(os.path.join(GOLDEN, rel)) as fh:
                cases = [c for c in json.load(fh)["cases"] if "large-reduction" in c["flags"]]
            for c in cases:
                seen += 1
                ins = {k: gen.decode_tensor(v) for k, v in c["inputs"].items()}
                terms = evaluate(loss, dtype, "none", ins["input"], ins["target"], ins.get("weight"))["loss"].ravel()
                exact = gen.decode_tensor(c["expected"]["loss"])
                tol = c.get("tolerance", default[dtype])
                for pairwise in (True, False):
                    total = _sum_in_dtype(terms, dtype, pairwise)
                    if c["reduction"] == "mean":
                        total = total / terms.size
                    got = tensors.round_to(np.array(total), dtype)
                    ok = bool(acceptance.matches(got, exact, tol)[()])
                    self.assertEqual(ok, pairwise, (c["id"], "pairwise" if pairwise else "naive", float(got), float(exact)))
        self.assertEqual(seen, 12)


class Determinism(unittest.TestCase):
    # Each generator run costs about 20 s of CPU, so this test makes two: a fresh set, then one
    # --check of a copy with three different corruptions. That the committed set regenerates
    # unchanged is scripts/test.sh's own `generate_golden.py --check` (under NumPy 1.24 and 2.x).
    def test_a_fresh_run_equals_the_committed_set_and_check_names_every_difference(self):
        with tempfile.TemporaryDirectory() as tmp:
            a = os.path.join(tmp, "a")
            r = run_generator("--out", a)
            self.assertEqual(r.returncode, 0, r.stderr)
            ta = tree_bytes(a)
            self.assertEqual(sorted(ta), sorted(["MANIFEST.json"] + [p.replace("/", os.sep) for p in CASE_FILES]))
            committed = tree_bytes(GOLDEN)
            for rel in CASE_FILES:  # a second, independent run: the committed files
                self.assertEqual(ta[rel.replace("/", os.sep)], committed[rel.replace("/", os.sep)], rel)
            self.assertEqual([n for n in os.listdir(tmp) if n.startswith(".")], [], "staging left behind")

            # 1. a one-digit change of an expected value is named by case and field
            path = os.path.join(a, "bce", "float32.json")
            with open(path) as fh:
                doc = json.load(fh)
            changed = doc["cases"][3]
            h = changed["expected"]["loss"]["hex"]
            changed["expected"]["loss"]["hex"] = ("1" if h[0] != "1" else "2") + h[1:]
            with open(path, "wb") as fh:
                fh.write(gen.dump_json(doc))

            # 2. a changed acceptable alternative is named down to its output field
            path = os.path.join(a, "bce", "float16.json")
            with open(path) as fh:
                doc = json.load(fh)
            with_alt = [c for c in doc["cases"] if "acceptable" in c]
            self.assertTrue(with_alt)
            alt_case = with_alt[0]
            field = sorted(alt_case["acceptable"][0]["outputs"])[0]
            h = alt_case["acceptable"][0]["outputs"][field]["hex"]
            alt_case["acceptable"][0]["outputs"][field]["hex"] = ("1" if h[0] != "1" else "2") + h[1:]
            with open(path, "wb") as fh:
                fh.write(gen.dump_json(doc))

            # 3. a missing file
            os.remove(os.path.join(a, "bce_with_logits", "float16.json"))

            r = run_generator("--check", "--out", a)
            self.assertEqual(r.returncode, 1)
            self.assertIn(changed["id"], r.stderr)
            self.assertIn("expected.loss", r.stderr)
            self.assertIn(f"{alt_case['id']}: acceptable[0].outputs.{field}", r.stderr)
            self.assertIn("bce_with_logits/float16.json: missing", r.stderr)
            # the hint regenerates the set that was checked, not the repo's golden/
            self.assertIn(f"regenerate with: /usr/bin/python3 -I scripts/generate_golden.py --out {a}", r.stderr)

    def test_replace_keeps_foreign_files_and_removes_staging(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "golden")
            os.makedirs(os.path.join(out, "schema"))
            with open(os.path.join(out, "FORMAT.md"), "w") as fh:
                fh.write("doc\n")
            with open(os.path.join(out, "schema", "x.json"), "w") as fh:
                fh.write("{}\n")
            files = {"MANIFEST.json": b'{"files": []}\n', "bce/float16.json": b"{}\n"}
            gen.write_set(out, files)
            gen.write_set(out, files)  # a second time: exchanges with the existing set
            got = tree_bytes(out)
            self.assertEqual(got[os.path.join("schema", "x.json")], b"{}\n")
            self.assertEqual(got["FORMAT.md"], b"doc\n")
            self.assertEqual(got[os.path.join("bce", "float16.json")], b"{}\n")
            self.assertEqual(os.listdir(tmp), ["golden"])

    def test_stale_staging_of_a_dead_run_is_removed(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "golden")
            dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
            stale = os.path.join(tmp, f".golden.staging-{dead.stdout.strip()}-abc")
            os.makedirs(stale)
            gen.write_set(out, {"MANIFEST.json": b"{}\n"})
            self.assertEqual(os.listdir(tmp), ["golden"])


class CommittedSet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(GOLDEN, "MANIFEST.json"), "rb") as fh:
            cls.manifest = json.loads(fh.read())
        cls.files = {}
        for rel in CASE_FILES:
            with open(os.path.join(GOLDEN, rel), "rb") as fh:
                cls.files[rel] = fh.read()

    def test_manifest(self):
        m = self.manifest
        self.assertEqual((m["format_version"], m["suite_version"]), (2, "2.0.0"))
        self.assertEqual([e["path"] for e in m["files"]], CASE_FILES)
        self.assertEqual(m["default_tolerance"], {  # docs/CONTRACTS.md section 0
            "float16": {"rtol": 1e-3, "atol": 1e-5}, "bfloat16": {"rtol": 1.6e-2, "atol": 1e-5},
            "float32": {"rtol": 1.3e-6, "atol": 1e-5}, "float64": {"rtol": 1e-10, "atol": 1e-12}})
        for e in m["files"]:
            data = self.files[e["path"]]
            self.assertEqual(hashlib.sha256(data).hexdigest(), e["sha256"], e["path"])
            self.assertEqual(len(json.loads(data)["cases"]), e["cases"])
        self.assertEqual(set(m["error_kinds"]), {"shape_mismatch", "input_out_of_range", "target_out_of_range", "not_broadcastable"})

    def test_size_budget(self):
        total = sum(len(b) for b in tree_bytes(GOLDEN).values())
        self.assertLess(total, 32_000_000)  # suite 1.0.0: 24.6 MB; 2.0.0 adds bfloat16 and the alternatives

    def test_case_invariants(self):
        ids = set()
        used_flags = set()
        for rel, data in self.files.items():
            self.assertTrue(data.endswith(b"\n") and not data.endswith(b"\n\n"))
            doc = json.loads(data)
            self.assertEqual(data, gen.dump_json(doc), "not in canonical form: " + rel)
            loss, dtype = rel[:-5].split("/")
            self.assertEqual((doc["format_version"], doc["loss"], doc["dtype"]), (2, loss, dtype))
            for case in doc["cases"]:
                cid = case["id"]
                self.assertNotIn(cid, ids)
                ids.add(cid)
                self.assertTrue(cid.startswith(f"{loss}/{dtype}/{case['reduction']}/"), cid)
                self.assertEqual((case["loss"], case["dtype"]), (loss, dtype))
                self.assertTrue(case["comment"])
                self.assertEqual(("expected" in case) + ("expected_error" in case), 1, cid)
                used_flags.update(case["flags"])
                tensors = dict(case["inputs"])
                tensors.update({"expected." + k: v for k, v in case.get("expected", {}).items()})
                for name, t in tensors.items():
                    self.assertEqual(t["dtype"], dtype, (cid, name))
                    self.assertEqual(len(t["hex"]), int(np.prod(t["shape"], dtype=np.int64)) * WIDTH[dtype], (cid, name))
                if loss == "bce":
                    self.assertNotIn("pos_weight", case["inputs"], cid)
                if "expected" in case:
                    shape = case["inputs"]["input"]["shape"]
                    exp = case["expected"]
                    self.assertEqual(exp["loss"]["shape"], shape if case["reduction"] == "none" else [], cid)
                    self.assertEqual(case["inputs"]["grad_output"]["shape"], shape if case["reduction"] == "none" else [], cid)
                    for k in ("grad_input", "grad_target", "grad_input_scale", "grad_target_scale"):
                        if k in exp:
                            self.assertEqual(exp[k]["shape"], shape, (cid, k))
                    if "grad_input" not in exp:
                        self.assertIn("large-reduction", case["flags"], cid)
                    self.check_acceptable(case)
                else:
                    self.assertNotIn("acceptable", case, cid)
        self.assertEqual(used_flags - set(self.manifest["flags"]), set())
        self.assertEqual(set(self.manifest["flags"]) - used_flags, set(), "flags explained but never used")

    def check_acceptable(self, case):
        """Alternatives hold only fields whose bits differ; the flag marks exactly the widened cases."""
        cid, dtype, exp = case["id"], case["dtype"], case["expected"]
        widened = False
        for alt in case.get("acceptable", []):
            self.assertEqual(alt["source"], "pytorch-cpu", cid)
            self.assertTrue(alt["comment"], cid)
            self.assertTrue(alt["outputs"], cid)
            for field, t in alt["outputs"].items():
                self.assertIn(field, ("loss", "grad_input", "grad_target"), cid)
                self.assertIn(field, exp, cid)
                self.assertEqual((t["dtype"], t["shape"]), (dtype, exp[field]["shape"]), (cid, field))
                self.assertEqual(len(t["hex"]), len(exp[field]["hex"]), (cid, field))
                self.assertNotEqual(t["hex"], exp[field]["hex"], (cid, field, "same bits as expected"))
                a, e = gen.decode_tensor(t), gen.decode_tensor(exp[field])
                widened |= not acceptance.matches(a, e, self.manifest["default_tolerance"][dtype],
                                                  "signed-zero" in case["flags"]).all()
        self.assertEqual(acceptance.FLAG in case["flags"], widened, cid)

    def test_schema(self):
        try:
            import jsonschema
        except ImportError:
            self.skipTest("jsonschema is not installed")
        for name, docs in (("manifest", [self.manifest]), ("golden-file", [json.loads(d) for d in self.files.values()])):
            with open(os.path.join(GOLDEN, "schema", name + ".schema.json")) as fh:
                schema = json.load(fh)
            validator = jsonschema.Draft202012Validator(schema)
            for doc in docs:
                validator.validate(doc)


if __name__ == "__main__":
    unittest.main()
