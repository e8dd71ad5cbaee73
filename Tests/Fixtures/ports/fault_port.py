"""A port that breaks in one chosen way, after skipping the first AFTER cases.

usage: fault_port.py MODE STATE_DIR [AFTER]

Before anything else it starts a child (`sleep 1000`) and writes, into STATE_DIR: `pgid` (its
process group), `child` (the child's pid) and, as they come, `cases` (each case id received, one
a line), so a test can check that the runner names the right case and leaves no process behind.

MODE, on the first case after AFTER skipped ones:
  exit            exits with code 3
  sigkill         kills itself with SIGKILL
  hang            never answers
  wrong-id        answers for another case id
  half-line-exit  prints half a result line (no newline) and exits 0
  half-line-hang  prints half a result line and never finishes it
  flood-hang      writes to stderr without end and never answers
  nan-token       "loss": NaN (a bare JSON NaN token where a TENSOR is expected)
  nan-hex         "hex": NaN inside the loss TENSOR
  null-tensor     "loss": null
  number-tensor   "loss": 0.5
  nan-shape       "shape": [NaN] in the loss TENSOR
  child-stdout    like exit, but the child holds the port's stdout open (no end-of-file)
"""
import json
import os
import signal
import subprocess
import sys
import time

mode, state = sys.argv[1], sys.argv[2]
after = int(sys.argv[3]) if len(sys.argv) > 3 else 2


def note(name, text, append=False):
    with open(os.path.join(state, name), "a" if append else "w") as f:
        f.write(text)


child_out = None if mode == "child-stdout" else subprocess.DEVNULL
child = subprocess.Popen(["sleep", "1000"], stdin=subprocess.DEVNULL, stdout=child_out, stderr=subprocess.DEVNULL)
note("child", str(child.pid))
note("pgid", str(os.getpgid(0)))


def send(text, newline=True):
    sys.stdout.write(text + ("\n" if newline else ""))
    sys.stdout.flush()


skipped = 0
for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "start":
        send(json.dumps({"type": "started", "protocol_version": 1,
                         "implementation": {"name": "fault_port " + mode, "language": "python", "version": "0"}}))
        continue
    if message["type"] != "run":
        break
    case = message["case"]
    note("cases", case["id"] + "\n", append=True)
    if skipped < after:
        skipped += 1
        send(json.dumps({"type": "result", "id": case["id"], "skipped": "not yet"}))
        continue
    sys.stderr.write("fault_port: %s on %s\n" % (mode, case["id"]))
    sys.stderr.flush()
    head = '{"type": "result", "id": %s, "outputs": {"loss": ' % json.dumps(case["id"])
    if mode in ("exit", "child-stdout"):
        sys.exit(3)
    elif mode == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "hang":
        time.sleep(1000)
    elif mode == "wrong-id":
        send(json.dumps({"type": "result", "id": "bce/float32/none/not-this-one", "skipped": "wrong"}))
    elif mode.startswith("half-line"):
        send(head + '{"dtype": "', newline=False)
        if mode == "half-line-exit":
            os._exit(0)
        time.sleep(1000)
    elif mode == "flood-hang":
        chunk = "flood " * 170 + "\n"
        while True:
            sys.stderr.write(chunk)
    elif mode == "nan-token":
        send(head + "NaN}}")
    elif mode == "nan-hex":
        send(head + '{"dtype": %s, "shape": [], "hex": NaN}}}' % json.dumps(case["dtype"]))
    elif mode == "null-tensor":
        send(head + "null}}")
    elif mode == "number-tensor":
        send(head + "0.5}}")
    elif mode == "nan-shape":
        send(head + '{"dtype": %s, "shape": [NaN], "hex": ""}}}' % json.dumps(case["dtype"]))
    else:
        sys.exit("fault_port: unknown mode " + mode)
