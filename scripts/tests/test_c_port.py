"""The C example port (scripts/ports/c_port): built with the system's cc, driven over the port protocol.

Checks, without the Swift runner and without NumPy (bits are decoded with `struct`):
- every golden case: the expected error kind, or loss and gradients within the case's (or the
  dtype's default) tolerance of the exact `expected` values;
- rounding to float16 / bfloat16 / float32 / float64 is once and to nearest even (bit-exact on
  products the port computes exactly in long double);
- broadcasting by trailing alignment gives the bits of the expanded argument; enlarging is refused;
- a line of tens of MB is read (no fixed-size buffer);
- malformed input of every kind gives "bce_port: ..." on stderr naming the problem and exit 2,
  never a crash.
The runner's own verdict (default and --max-ulp 2) is scripts/ports/c_port/README.md's command.
"""

import json
import math
import os
import random
import shutil
import struct
import subprocess
import tempfile
import unittest
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GOLDEN = os.environ.get("BCE_GOLDEN_DIR") or os.path.join(REPO, "golden")  # as the runner: $BCE_GOLDEN_DIR first
BUILD = os.path.join(REPO, "scripts", "ports", "c_port", "build.sh")

# dtype -> (hex digits, significand bits, minimum normal exponent, maximum exponent)
DTYPES = {"float16": (4, 11, -14, 15), "bfloat16": (4, 8, -126, 127), "float32": (8, 24, -126, 127),
          "float64": (16, 53, -1022, 1023)}


def to_float(dtype, bits):
    if dtype == "float16":
        return struct.unpack(">e", bits.to_bytes(2, "big"))[0]
    if dtype == "bfloat16":
        return struct.unpack(">f", (bits << 16).to_bytes(4, "big"))[0]
    if dtype == "float32":
        return struct.unpack(">f", bits.to_bytes(4, "big"))[0]
    return struct.unpack(">d", bits.to_bytes(8, "big"))[0]


def decode(tensor):
    width = DTYPES[tensor["dtype"]][0]
    h = tensor["hex"]
    return [to_float(tensor["dtype"], int(h[i:i + width], 16)) for i in range(0, len(h), width)]


def encode(dtype, values, shape):
    """Values exactly representable in dtype (Python floats) as a TENSOR."""
    return {"dtype": dtype, "shape": list(shape), "hex": "".join(bits_of(dtype, Fraction(v)) for v in values)}


def scaled_of(dtype, a):
    """(a / 2^quantum, quantum) for a rational a > 0: the dtype's values near a are the integers times 2^quantum."""
    _, p, emin, _ = DTYPES[dtype]
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1  # 2^e <= a < 2^(e+1)
    quantum = max(e, emin) - (p - 1)
    return a / Fraction(2) ** quantum, quantum


def bits_of(dtype, q):
    """The dtype's bits (hex) of the rational q rounded once to nearest even: an independent rounding."""
    width, p, emin, emax = DTYPES[dtype]
    sign = 1 if q < 0 else 0
    a = abs(q)
    if a == 0:
        mag = 0
    else:
        scaled, quantum = scaled_of(dtype, a)
        n = math.floor(scaled)
        rest = scaled - n
        if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and n % 2):
            n += 1
        exp_bits = width * 4 - p  # exponent field width (sign + exponent + stored significand = width * 4)
        if n >= 2 ** p:  # carried into the next binade
            n //= 2
            quantum += 1
        if quantum + p - 1 > emax:
            mag = ((1 << exp_bits) - 1) << (p - 1)  # infinity
        elif n < 2 ** (p - 1):
            mag = n  # subnormal (or zero)
        else:
            mag = ((quantum + p - 1 + (2 ** (exp_bits - 1) - 1)) << (p - 1)) | (n - 2 ** (p - 1))
    return format(sign << (width * 4 - 1) | mag, f"0{width}x")


def matches(actual, expected, tol, signed_zero):
    if math.isnan(expected):
        return math.isnan(actual)
    if math.isinf(expected):
        return actual == expected
    if signed_zero and expected == 0 and actual == 0:
        return math.copysign(1, actual) == math.copysign(1, expected)
    return math.isfinite(actual) and abs(actual - expected) <= tol["atol"] + tol["rtol"] * abs(expected)


class Port:
    """The built port as a subprocess speaking the protocol."""

    def __init__(self, binary):
        self.proc = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def ask(self, message):
        self.proc.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line.endswith(b"\n"):
            raise AssertionError(f"no reply; stderr: {self.proc.stderr.read().decode(errors='replace')}")
        return json.loads(line)

    def close(self):
        self.proc.stdin.write(b'{"type":"stop"}\n')
        self.proc.stdin.close()
        status = self.proc.wait(timeout=60)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return status


class CPort(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="c_port-test-")
        cls.binary = os.path.join(cls.tmp, "bce_port")
        # -Werror: the port compiles without a warning under -std=c99 -Wall -Wextra -pedantic.
        # BCE_C_PORT_CFLAGS adds flags, e.g. the sanitizer run of scripts/ports/c_port/README.md.
        extra = os.environ.get("BCE_C_PORT_CFLAGS", "")
        env = dict(os.environ, CFLAGS=f"-O2 -Werror {extra}")
        if extra:
            env["BCE_PORT_STATIC"] = "0"  # the sanitizers' run-time libraries are not static
        subprocess.run(["/bin/sh", BUILD, cls.binary], check=True, capture_output=True, env=env)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def run_port(self, stdin_bytes):
        return subprocess.run([self.binary], input=stdin_bytes, capture_output=True, timeout=60)

    def one_case(self, case):
        port = Port(self.binary)
        try:
            self.assertEqual(port.ask({"type": "start", "protocol_version": 1})["type"], "started")
            reply = port.ask({"type": "run", "case": case})
        finally:
            self.assertEqual(port.close(), 0)
        self.assertEqual(reply["id"], case["id"])
        return reply

    # ------------------------------------------------------------------------------------------

    def test_every_golden_case_gives_the_expected_error_or_values_within_tolerance(self):
        with open(os.path.join(GOLDEN, "MANIFEST.json")) as fh:
            manifest = json.load(fh)
        port = Port(self.binary)
        failures, total, elements = [], 0, 0
        try:
            hello = port.ask({"type": "start", "protocol_version": 2, "accepts": [1, 2]})
            self.assertEqual((hello["type"], hello["protocol_version"]), ("started", 2))
            self.assertEqual(len(hello["capabilities"]["errors"]), 4)
            for entry in manifest["files"]:
                with open(os.path.join(GOLDEN, entry["path"])) as fh:
                    cases = json.load(fh)["cases"]
                for case in cases:
                    total += 1
                    res = port.ask({"type": "run", "case": {k: case[k] for k in ("id", "loss", "dtype", "reduction", "inputs")}})
                    self.assertEqual((res["type"], res["id"]), ("result", case["id"]))
                    if "expected_error" in case:
                        if res.get("error") != case["expected_error"]:
                            failures.append(f"{case['id']}: {res.get('error')!r}, expected {case['expected_error']}")
                        continue
                    tol = case.get("tolerance", manifest["default_tolerance"][case["dtype"]])
                    signed_zero = "signed-zero" in case.get("flags", [])
                    for field in ("loss", "grad_input", "grad_target"):
                        if field not in case["expected"]:
                            continue
                        got, want = res["outputs"][field], case["expected"][field]
                        if got["shape"] != want["shape"] or got["dtype"] != want["dtype"]:
                            failures.append(f"{case['id']} {field}: {got['dtype']} {got['shape']}, expected {want['shape']}")
                            continue
                        for i, (a, e) in enumerate(zip(decode(got), decode(want))):
                            elements += 1
                            if not matches(a, e, tol, signed_zero):
                                failures.append(f"{case['id']} {field}[{i}]: {a!r}, expected {e!r}")
                                break
        finally:
            self.assertEqual(port.close(), 0)
        self.assertGreater(total, 1000)
        self.assertGreater(elements, 20_000)
        self.assertEqual(failures, [], f"{len(failures)} of {total} cases differ:\n" + "\n".join(failures[:40]))

    def test_products_are_rounded_once_to_nearest_even_in_every_dtype(self):
        # bce_with_logits' d/dtarget without pos_weight is -x * grad * weight: exact in long double
        # (64-bit significand) for these significands, so the port's bits must be the correctly
        # rounded product's. float32 without weights (2 x 24 bits); float64's 106-bit product is not
        # exact in long double (a double rounding in about one element in 2000), so it is left out.
        rng = random.Random(16)
        for dtype in ("float16", "bfloat16", "float32"):
            width, p, emin, emax = DTYPES[dtype]
            def draw():
                e = rng.randint(emin - p + 1, emax) if rng.random() < 0.3 else rng.randint(-3, 3)
                return rng.choice([-1, 1]) * rng.randint(2 ** (p - 1), 2 ** p - 1) * Fraction(2) ** (e - p + 1)
            def rep(q):  # a value of the dtype (draw() may land between subnormals: round it first)
                return to_float(dtype, int(bits_of(dtype, q), 16))
            n = 2000
            x = [rep(draw()) for _ in range(n)]
            g = [rep(draw()) for _ in range(n)]
            w = [rep(draw()) for _ in range(n)] if 3 * p <= 64 else [1.0] * n
            # ties on purpose: x = 3 and g = 1 + 2^(1-p) give 3 + 1.5 ulp(3), which rounds to the even neighbour
            x[0], g[0], w[0] = 3.0, 1 + 2.0 ** (1 - p), 1.0
            case = {"id": f"bce_with_logits/{dtype}/none/rounding", "loss": "bce_with_logits", "dtype": dtype,
                    "reduction": "none", "inputs": {"input": encode(dtype, x, [n]), "target": encode(dtype, [0.5] * n, [n]),
                                                     "weight": encode(dtype, w, [n]), "grad_output": encode(dtype, g, [n])}}
            got = self.one_case(case)["outputs"]["grad_target"]["hex"]
            want = "".join(bits_of(dtype, -Fraction(a) * Fraction(b) * Fraction(c)) for a, b, c in zip(x, g, w))
            diffs = [i for i in range(n) if got[i * width:(i + 1) * width] != want[i * width:(i + 1) * width]]
            self.assertEqual(diffs[:5], [], f"{dtype}: {len(diffs)} of {n} elements differ, e.g. element {diffs[:1]}")
            self.assertEqual(got[:width], bits_of(dtype, -(3 + 2 * Fraction(2) ** (2 - p))))  # the even neighbour

    def test_a_tie_broken_by_an_absorbed_tiny_term_rounds_to_the_side_of_that_term(self):
        # bce_with_logits at x = 89 without pos_weight: (1 - y) * 89 + log1p(exp(-89)), the second
        # term about 2e-39. Where (1 - y) * 89 lies exactly halfway between two values of the dtype,
        # the exact loss is just above that tie: it must round up, not to the even neighbour.
        tiny = Fraction(math.log1p(math.exp(-89)))
        for dtype in ("float16", "bfloat16", "float32"):
            width, p = DTYPES[dtype][:2]
            ys = []
            for k in range(1, 2 ** (p - 1)):  # y = k / 2^(p-1) in (0, 1): exact in the dtype
                y = Fraction(k, 2 ** (p - 1))
                scaled, _ = scaled_of(dtype, (1 - y) * 89)
                if scaled - math.floor(scaled) == Fraction(1, 2):
                    ys.append(y)
                if len(ys) == 16:
                    break
            self.assertGreater(len(ys), 4, dtype)
            n = len(ys)
            case = {"id": f"bce_with_logits/{dtype}/none/tie", "loss": "bce_with_logits", "dtype": dtype,
                    "reduction": "none", "inputs": {"input": encode(dtype, [89.0] * n, [n]),
                                                     "target": encode(dtype, [float(y) for y in ys], [n]),
                                                     "grad_output": encode(dtype, [1.0] * n, [n])}}
            got = self.one_case(case)["outputs"]["loss"]["hex"]
            want = "".join(bits_of(dtype, (1 - y) * 89 + tiny) for y in ys)
            self.assertEqual(got, want, dtype)
            self.assertNotEqual(want, "".join(bits_of(dtype, (1 - y) * 89) for y in ys))  # ties to even differ

    def test_bfloat16_hex_is_the_upper_half_of_float32(self):
        case = {"id": "bce/bfloat16/sum/one", "loss": "bce", "dtype": "bfloat16", "reduction": "sum",
                "inputs": {"input": {"dtype": "bfloat16", "shape": [2], "hex": "3f003f80"},       # 0.5, 1.0
                           "target": {"dtype": "bfloat16", "shape": [2], "hex": "3f803f80"},      # 1.0, 1.0
                           "grad_output": {"dtype": "bfloat16", "shape": [], "hex": "3f80"}}}
        out = self.one_case(case)["outputs"]
        self.assertEqual(out["loss"], {"dtype": "bfloat16", "shape": [], "hex": bits_of("bfloat16", Fraction(math.log(2)))})
        self.assertEqual(out["loss"]["hex"], "3f31")  # log 2 = 0.693147..., bfloat16 0.69140625
        self.assertEqual(out["grad_input"]["hex"], "c0000000")  # (0.5 - 1) / (0.5 * 0.5) = -2; 0 / EPSILON = +0
        self.assertEqual(out["grad_target"]["hex"], "8000ff80")  # -log1p(0) = -0; -(log 1 - log1p(-1)) = -inf, not clamped

    def test_broadcast_weight_and_pos_weight_give_the_bits_of_the_expanded_arguments(self):
        rng = random.Random(7)
        shape, n = [2, 3, 4], 24
        x = [rng.uniform(-5, 5) for _ in range(n)]
        y = [rng.uniform(0, 1) for _ in range(n)]
        small_w = [rng.uniform(0.5, 2) for _ in range(3)]   # (3, 1): one per middle index
        small_p = [rng.uniform(0.5, 4) for _ in range(4)]   # (4,): one per last index
        full_w = [small_w[(i // 4) % 3] for i in range(n)]
        full_p = [small_p[i % 4] for i in range(n)]

        def case(w, w_shape, p, p_shape):
            return {"id": "bce_with_logits/float64/none/broadcast", "loss": "bce_with_logits", "dtype": "float64",
                    "reduction": "none", "inputs": {"input": encode("float64", x, shape), "target": encode("float64", y, shape),
                                                     "weight": encode("float64", w, w_shape), "pos_weight": encode("float64", p, p_shape),
                                                     "grad_output": encode("float64", [1.0] * n, shape)}}
        small = self.one_case(case(small_w, [3, 1], small_p, [4]))["outputs"]
        full = self.one_case(case(full_w, shape, full_p, shape))["outputs"]
        self.assertEqual(small, full)
        self.assertEqual(small["loss"]["shape"], shape)
        # a weight that would enlarge the input, and one that does not line up, are refused
        enlarging = self.one_case(case(full_w + full_w, [2] + shape, small_p, [4]))
        self.assertEqual(enlarging.get("error"), "not_broadcastable")
        misaligned = self.one_case(case(small_w, [3], small_p, [4]))  # (3,) lines up with the last dim (4)
        self.assertEqual(misaligned.get("error"), "not_broadcastable")
        self.assertIn("weight of shape [3]", misaligned["message"])
        bad_pos = self.one_case(case(small_w, [3, 1], small_p[:2], [2]))
        self.assertEqual(bad_pos.get("error"), "not_broadcastable")
        self.assertIn("pos_weight", bad_pos["message"])

    def test_a_line_of_tens_of_megabytes_is_read_whole(self):
        n = 1_200_000  # float64: 19.2 MB of hex per tensor, about 38 MB for the line
        rng = random.Random(3)
        values = [rng.choice([0.25, 0.5, 0.75]) for _ in range(n)]
        hexes = {v: struct.pack(">d", v).hex() for v in (0.25, 0.5, 0.75, 1.0)}
        x = {"dtype": "float64", "shape": [n], "hex": "".join(hexes[v] for v in values)}
        case = {"id": "bce/float64/sum/huge-line", "loss": "bce", "dtype": "float64", "reduction": "sum",
                "inputs": {"input": x, "target": x, "grad_output": {"dtype": "float64", "shape": [], "hex": hexes[1.0]}}}
        line = json.dumps({"type": "run", "case": case}).encode()
        self.assertGreater(len(line), 38_000_000)
        r = self.run_port(b'{"type":"start","protocol_version":1}\n' + line + b'\n{"type":"stop"}\n')
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        reply = json.loads(r.stdout.splitlines()[1])
        counts = {v: values.count(v) for v in (0.25, 0.5, 0.75)}
        entropy = {0.25: -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)), 0.5: math.log(2)}
        entropy[0.75] = entropy[0.25]
        want = sum(counts[v] * entropy[v] for v in counts)
        got = to_float("float64", int(reply["outputs"]["loss"]["hex"], 16))
        self.assertAlmostEqual(got / want, 1.0, delta=1e-12)
        self.assertEqual(len(reply["outputs"]["grad_input"]["hex"]), 16 * n)

    def test_malformed_input_names_the_problem_on_stderr_and_exits_2(self):
        start = b'{"type":"start","protocol_version":1}\n'
        good_case = {"id": "c", "loss": "bce", "dtype": "float32", "reduction": "sum",
                     "inputs": {"input": {"dtype": "float32", "shape": [1], "hex": "3f000000"},
                                "target": {"dtype": "float32", "shape": [1], "hex": "3f000000"},
                                "grad_output": {"dtype": "float32", "shape": [], "hex": "3f800000"}}}

        def run_with(mutate):
            c = json.loads(json.dumps(good_case))
            mutate(c)
            return start + json.dumps({"type": "run", "case": c}).encode() + b"\n"

        def set_in(path, value):
            def mutate(c):
                obj = c
                for key in path[:-1]:
                    obj = obj[key]
                if value is None:
                    del obj[path[-1]]
                else:
                    obj[path[-1]] = value
            return mutate

        bad = [
            (b"not json\n", "malformed JSON at column 1: unexpected character"),
            (b'{"type": "start"\n', "',' or '}' expected in object"),
            (b'{"type": "st\\qart"}\n', "invalid escape in string"),
            (b'{"type": "st\xffart"}\n', "invalid UTF-8 in string"),
            (b'{"type": "\\ud800"}\n', "unpaired high surrogate"),
            (b'{"type": "a\x01"}\n', "control character in string"),
            (b'{"type": "stop", "n": 0x10}\n', "',' or '}' expected in object"),
            (b'{"type": "stop", "n": 01}\n', "',' or '}' expected in object"),
            (b'{"type": "stop", "n": 1.}\n', "digit expected after '.'"),
            (b'{"type": "stop"} x\n', "text after the JSON value"),
            (b'{"type": "st\x00op"}\n', "NUL byte in line"),
            (b"[" * 100_000 + b"\n", "nested too deeply"),
            (b'{"type": "unheard-of"}\n', 'unknown message type "unheard-of"'),
            (b'["type", "stop"]\n', "expected a JSON object"),
            (b'{"type":"start","protocol_version":3}\n', "protocol version 3"),
            (start + b'{"type":"run"}\n', 'a "run" message needs an object "case"'),
            (run_with(set_in(["id"], None)), 'case has no field "id"'),
            (run_with(set_in(["reduction"], "avg")), 'case.reduction is "avg"'),
            (run_with(set_in(["inputs", "target"], None)), 'case.inputs has no field "target"'),
            (run_with(set_in(["inputs", "input", "hex"], "3f00000")), "case.inputs.input.hex has 7 hex digits"),
            (run_with(set_in(["inputs", "input", "hex"], "3f00000g")), "case.inputs.input.hex: character 7 is not a hex digit"),
            (run_with(set_in(["inputs", "input", "shape"], [-1])), "case.inputs.input.shape[0] is not a non-negative integer"),
            (run_with(set_in(["inputs", "input", "shape"], [1.5])), "case.inputs.input.shape[0] is not a non-negative integer"),
            (run_with(set_in(["inputs", "input", "shape"], [2 ** 40, 2 ** 40])), "too large"),
            (run_with(set_in(["inputs", "input", "shape"], "1")), "case.inputs.input.shape is a string, expected an array"),
            (run_with(set_in(["inputs", "input", "dtype"], "float64")), 'case.inputs.input.dtype is "float64", the case\'s dtype is "float32"'),
            (run_with(set_in(["inputs", "pos_weight"], good_case["inputs"]["input"])), "pos_weight is a bce_with_logits argument"),
        ]
        for stdin, message in bad:
            with self.subTest(message=message):
                r = self.run_port(stdin)
                err = r.stderr.decode(errors="replace")
                self.assertEqual(r.returncode, 2, err)
                self.assertTrue(err.startswith("bce_port: "), err)
                self.assertIn(message, err)
                self.assertEqual(err.count("\n"), 1, err)

    def test_randomly_mutated_messages_give_a_reply_or_a_message_never_a_crash(self):
        # 400 copies of a valid session, each with a few bytes flipped, deleted or inserted
        # (seeded): the port exits 0 (the damage was harmless, e.g. inside a string) or 2 with
        # one "bce_port: " line; never a signal, a sanitizer report or a hang.
        case = {"id": "bce_with_logits/float32/mean/m", "loss": "bce_with_logits", "dtype": "float32", "reduction": "mean",
                "inputs": {"input": encode("float32", [0.5, -2.0, 3.0, 0.0], [2, 2]),
                           "target": encode("float32", [1.0, 0.0, 0.5, 1.0], [2, 2]),
                           "weight": encode("float32", [2.0, 0.5], [2]), "pos_weight": encode("float32", [3.0], [1]),
                           "grad_output": encode("float32", [1.0], [])}}
        session = (b'{"type":"start","protocol_version":1}\n' + json.dumps({"type": "run", "case": case}).encode()
                   + b'\n{"type":"stop"}\n')
        rng = random.Random(1616)
        statuses = set()
        for _ in range(400):
            b = bytearray(session)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(b))
                op = rng.randrange(3)
                if op == 0:
                    b[i] = rng.choice(b'{}[]",:\\0123456789-+.eEtfnu \x00\xff\n' + bytes([rng.randrange(256)]))
                elif op == 1:
                    del b[i]
                else:
                    b.insert(i, rng.randrange(256))
            r = self.run_port(bytes(b))
            err = r.stderr.decode(errors="replace")
            statuses.add(r.returncode)
            self.assertIn(r.returncode, (0, 2), f"{bytes(b)!r}: {err}")
            if r.returncode == 2:
                self.assertTrue(err.startswith("bce_port: ") and err.count("\n") == 1, err)
            else:
                self.assertEqual(err, "")
        self.assertEqual(statuses, {0, 2})

    def test_unknown_dtype_or_loss_is_skipped_and_ids_are_echoed_escaped(self):
        port = Port(self.binary)
        try:
            hello = port.ask({"type": "start", "protocol_version": 1})
            self.assertEqual(hello["implementation"]["dtypes"], ["float16", "bfloat16", "float32", "float64"])
            for loss, dtype in (("bce", "float8"), ("focal", "float32")):
                case_id = f'{loss}/{dtype}/none/"quoted"\\ \u00e9 \U0001f600 \n'
                reply = port.ask({"type": "run", "case": {"id": case_id, "loss": loss, "dtype": dtype,
                                                          "reduction": "none", "inputs": {}}})
                self.assertEqual(reply["id"], case_id)
                self.assertIn("skipped", reply)
        finally:
            self.assertEqual(port.close(), 0)


if __name__ == "__main__":
    unittest.main()
