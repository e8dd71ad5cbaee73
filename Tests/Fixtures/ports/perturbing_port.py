"""A deliberately wrong port: proxies a correct port and perturbs the loss of every "sum" case.

usage: perturbing_port.py [--dtypes float32,float64] -- COMMAND...
"""
import json
import struct
import subprocess
import sys

FORMATS = {"float16": (">e", 4), "float32": (">f", 8), "float64": (">d", 16), "bfloat16": (">f", 4)}


def perturb(tensor):
    fmt, width = FORMATS[tensor["dtype"]]
    bfloat16 = tensor["dtype"] == "bfloat16"   # the upper half of a float32 (truncated: it is a wrong port anyway)
    hexes = [tensor["hex"][i:i + width] for i in range(0, len(tensor["hex"]), width)]
    out = []
    for h in hexes:
        value = struct.unpack(fmt, bytes.fromhex(h + "0000" if bfloat16 else h))[0]
        try:
            changed = struct.pack(fmt, value * 1.01 + 1.0)
        except OverflowError:  # float16 overflow: struct refuses, send infinity
            changed = struct.pack(fmt, float("inf"))
        out.append(changed.hex()[:width])
    tensor["hex"] = "".join(out)


def main():
    args = sys.argv[1:]
    dtypes = None
    if args and args[0] == "--dtypes":
        dtypes = args[1].split(",")
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    inner = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    running = {}
    for line in sys.stdin:
        message = json.loads(line)
        if message["type"] == "run":
            running[message["case"]["id"]] = message["case"]["reduction"]
        inner.stdin.write(line)
        inner.stdin.flush()
        if message["type"] == "stop":
            break
        reply = json.loads(inner.stdout.readline())
        if reply["type"] == "started":
            reply["implementation"]["name"] = "perturbing proxy of " + reply["implementation"]["name"]
            if dtypes is not None:
                # protocol version 2 declares them in capabilities, version 1 in implementation
                declared = reply["capabilities"] if "capabilities" in reply else reply["implementation"]
                declared["dtypes"] = dtypes
        elif reply["type"] == "result" and "outputs" in reply and running.get(reply["id"]) == "sum":
            perturb(reply["outputs"]["loss"])
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    inner.stdin.close()
    sys.exit(inner.wait())


main()
