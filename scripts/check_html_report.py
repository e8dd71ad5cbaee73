#!/usr/bin/env python3
"""Checks `run --html` in a real browser (issue 13): Debian's chromium, headless, no network.

    /usr/bin/python3 -I scripts/check_html_report.py --bin PATH/bce-conformance

Runs the Keras-style clipping mutant (scripts/ports/mutants, `keras-clip`) on the float32 cases
with `--html`, then has chromium render the page twice: `--dump-dom` (the DOM after the page's
own script ran), whose summary table, flags x outcome heatmap and failure <details> must be
there with a failing element's inputs and its reproduction command; and `--screenshot`, whose PNG
must exist with the window's dimensions. Exits 1 naming what is missing; CI runs it
(scripts/test.sh). chromium comes from scripts/setup.sh.
"""

import argparse
import html.parser
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WIDTH, HEIGHT = 1280, 1600


class Page(html.parser.HTMLParser):
    """The parts of the rendered DOM the checks need: rows by their data attributes, failures by case."""

    def __init__(self):
        super().__init__()
        self.tables = {}  # table id -> {row key: [cell texts]}
        self.failures = {}  # case id -> text inside its <details>
        self.stack = []  # open (tag, attrs) for tables/rows/details
        self.table = None
        self.row = None
        self.cells = None
        self.cell = None
        self.details = None
        self.has_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "id" in a:
            self.table = a["id"]
            self.tables[self.table] = {}
        elif tag == "tr" and self.table is not None:
            key = a.get("data-status") or a.get("data-flag") or a.get("data-configuration") or a.get("data-kind")
            self.row, self.cells = key, []
        elif tag in ("td", "th") and self.cells is not None:
            self.cell = []
        elif tag == "details" and "failure" in a.get("class", ""):
            self.details = a.get("data-case")
            self.failures[self.details] = []
        elif tag == "script":
            self.has_script = True

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.cells.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.cells is not None:
            self.tables[self.table][self.row if self.row is not None else "__header__"] = self.cells
            self.row, self.cells = None, None
        elif tag == "table":
            self.table = None
        elif tag == "details":
            self.details = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.details is not None:
            self.failures[self.details].append(data)


def chromium(args, profile):
    exe = shutil.which("chromium")
    if exe is None:
        sys.exit("check_html_report: chromium is not installed (scripts/setup.sh installs it)")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}",
           "--disable-extensions", "--disable-background-networking"] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="the bce-conformance executable")
    args = parser.parse_args()
    problems = []
    with tempfile.TemporaryDirectory(prefix="bce-html-") as tmp:
        page = os.path.join(tmp, "report.html")
        port = f"/usr/bin/python3 -I {ROOT}/scripts/ports/mutants/mutant_port.py --mutant keras-clip"
        print("check_html_report: keras-clip mutant on the float32 cases, --html", flush=True)
        start = time.monotonic()
        run = subprocess.run([args.bin, "run", "--port", port, "--dtype", "float32", "--html", page, "--timeout", "60"],
                             capture_output=True, text=True, timeout=600, cwd=ROOT)
        if run.returncode != 1:
            sys.exit(f"check_html_report: expected exit 1 (failures), got {run.returncode}\n{run.stderr[-2000:]}")
        print(f"check_html_report: report written in {time.monotonic() - start:.1f} s; chromium --dump-dom", flush=True)
        with open(page, encoding="utf-8") as f:
            source = f.read()
        for needle in ("http://", "https://", " src="):
            if needle in source:
                problems.append(f"the page refers to something outside itself ({needle.strip()!r})")

        dom = chromium(["--dump-dom", f"file://{page}"], os.path.join(tmp, "profile-dom"))
        if dom.returncode != 0 or "<html" not in dom.stdout:
            sys.exit(f"check_html_report: chromium --dump-dom failed ({dom.returncode}): {dom.stderr[-2000:]}")
        p = Page()
        p.feed(dom.stdout)

        summary = p.tables.get("summary", {})
        failed = int(summary.get("failed", ["", "0"])[1] or 0)
        if failed <= 0:
            problems.append(f"the summary table has no failed row with a count (rows: {summary})")
        heatmap = p.tables.get("heatmap", {})
        if "log-clamp" not in heatmap:
            problems.append(f"the heatmap has no log-clamp row (rows: {sorted(heatmap)})")
        else:
            # keras-clip fails every log-clamp case: its "failed" cell equals its "cases" cell.
            row = dict(zip(heatmap.get("__header__", []), heatmap["log-clamp"]))
            if row.get("failed") is None or row.get("failed") != row.get("cases") or row.get("failed") == "0":
                problems.append(f"log-clamp row: {row} (every log-clamp case should fail)")
        if "boundaries-and-clamps" not in p.tables.get("kinds", {}):
            problems.append("the kinds table has no boundaries-and-clamps row")
        if len(p.failures) != failed:
            problems.append(f"{len(p.failures)} failure <details> for {failed} failed cases")
        case = "bce/float32/none/p0"
        text = " ".join(p.failures.get(case, []))
        for needle in ("log-clamp", "input", "target", "grad_output", "boundaries and clamps",
                       f"bce-conformance run --id ={case} --port", "bce-conformance request"):
            if needle not in text:
                problems.append(f"the failure of {case} does not show {needle!r}")
        if not p.has_script:
            problems.append("the page's inline script is missing")

        print("check_html_report: chromium --screenshot", flush=True)
        png = os.path.join(tmp, "report.png")
        shot = chromium([f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", f"file://{page}"], os.path.join(tmp, "profile-png"))
        if not os.path.exists(png):
            problems.append(f"no screenshot ({shot.returncode}): {shot.stderr[-1000:]}")
        else:
            with open(png, "rb") as f:
                head = f.read(24)
            if head[:8] != b"\x89PNG\r\n\x1a\n":
                problems.append("the screenshot is not a PNG")
            else:
                w, h = struct.unpack(">II", head[16:24])
                if (w, h) != (WIDTH, HEIGHT):
                    problems.append(f"the screenshot is {w}x{h}, not {WIDTH}x{HEIGHT}")
                if os.path.getsize(png) < 20_000:
                    problems.append(f"the screenshot is only {os.path.getsize(png)} bytes: a blank page?")
    if problems:
        print("check_html_report: FAILED\n  " + "\n  ".join(problems))
        return 1
    print(f"check_html_report: ok ({failed} failed cases, each a <details>; heatmap {len(heatmap)} flags; screenshot {WIDTH}x{HEIGHT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
