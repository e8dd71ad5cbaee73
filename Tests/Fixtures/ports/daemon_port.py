"""A port that leaves processes outside its own process group, for the signal and clean-up tests.

usage: daemon_port.py MODE STATE_DIR

At start it forks a daemon: a child that calls setsid() (a session and process group of its own,
which a kill of the port's group does not reach), forks a grandchild of its own, and sleeps. It
writes into STATE_DIR: `port` (its pid), `daemon` and `grandchild` (their pids) and, as they come,
`cases` (each case id received, one a line). Every case is answered "skipped", except:

MODE:
  hang-third   never answers the third case (the test signals the runner meanwhile)
  clean        answers everything and exits 0 after "stop", leaving the daemon behind
  exit3        answers everything and exits 3 after "stop"
"""
import json
import os
import sys
import time

mode, state = sys.argv[1], sys.argv[2]


def note(name, text, append=False):
    with open(os.path.join(state, name), "a" if append else "w") as f:
        f.write(text)


note("port", str(os.getpid()))
read_end, write_end = os.pipe()
if os.fork() == 0:
    os.setsid()
    sys.stdin.close()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    grandchild = os.fork()
    if grandchild == 0:
        while True:
            time.sleep(1000)
    note("grandchild", str(grandchild))
    note("daemon", str(os.getpid()))
    os.write(write_end, b"x")
    while True:
        time.sleep(1000)
os.read(read_end, 1)   # the daemon's pids are written before the port answers anything


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


answered = 0
for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "start":
        send({"type": "started", "protocol_version": 1,
              "implementation": {"name": "daemon_port " + mode, "language": "python", "version": "0"}})
    elif message["type"] == "run":
        case = message["case"]
        note("cases", case["id"] + "\n", append=True)
        if mode == "hang-third" and answered == 2:
            time.sleep(1000)
        answered += 1
        send({"type": "result", "id": case["id"], "skipped": "not implemented"})
    else:
        break
sys.exit(3 if mode == "exit3" else 0)
