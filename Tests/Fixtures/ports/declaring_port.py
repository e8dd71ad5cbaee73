"""A port that declares capabilities (protocol version 2), proxying a correct port (`serve`).

usage: declaring_port.py [--capabilities JSON] [--v1] [--wrong-undeclared] [--skip-all REASON]
                         [--exit-delay SECONDS] -- COMMAND...

--capabilities JSON   the "capabilities" object of its "started" answer (version 2)
--v1                  answer protocol version 1 (implementation.losses / dtypes only, no capabilities)
--wrong-undeclared    replace every output not in capabilities.outputs by garbage (a wrong dtype): the
                      runner must ignore undeclared outputs
--skip-all REASON     answer every case "skipped" with REASON
--exit-delay SECONDS  after "stop", wait this long before exiting 0 (a slow framework shutting down)
It records the ids of the cases it receives in $DECLARING_PORT_LOG when set.
"""
import json
import os
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    capabilities, v1, wrong, skip, delay = None, False, False, None, 0.0
    while args and args[0] != "--":
        flag = args.pop(0)
        if flag == "--capabilities":
            capabilities = json.loads(args.pop(0))
        elif flag == "--v1":
            v1 = True
        elif flag == "--wrong-undeclared":
            wrong = True
        elif flag == "--skip-all":
            skip = args.pop(0)
        elif flag == "--exit-delay":
            delay = float(args.pop(0))
        else:
            sys.exit(f"declaring_port: unknown option {flag}")
    args = args[1:]
    log = open(os.environ["DECLARING_PORT_LOG"], "a") if os.environ.get("DECLARING_PORT_LOG") else None
    inner = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    declared = (capabilities or {}).get("outputs", ["loss", "grad_input", "grad_target"])
    for line in sys.stdin:
        message = json.loads(line)
        if message["type"] == "stop":
            inner.stdin.write(line)
            inner.stdin.flush()
            break
        if message["type"] == "run":
            if log:
                log.write(message["case"]["id"] + "\n")
                log.flush()
            if skip is not None:
                sys.stdout.write(json.dumps({"type": "result", "id": message["case"]["id"], "skipped": skip}) + "\n")
                sys.stdout.flush()
                continue
        inner.stdin.write(line)
        inner.stdin.flush()
        reply = json.loads(inner.stdout.readline())
        if reply["type"] == "started":
            impl = reply["implementation"]
            impl["name"] = "declaring proxy of " + impl["name"]
            inner_caps = reply.pop("capabilities", {})
            if v1:
                reply["protocol_version"] = 1
                impl["losses"] = inner_caps.get("losses", ["bce", "bce_with_logits"])
                impl["dtypes"] = inner_caps.get("dtypes", ["float16", "bfloat16", "float32", "float64"])
            else:
                reply["protocol_version"] = 2
                if capabilities is not None:
                    reply["capabilities"] = capabilities
        elif reply["type"] == "result" and "outputs" in reply and wrong:
            for name in ("grad_input", "grad_target"):
                if name not in declared:
                    reply["outputs"][name] = {"dtype": "not-a-dtype", "shape": "garbage", "hex": 7}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
    inner.stdin.close()
    status = inner.wait()
    time.sleep(delay)  # stdout still open, as a framework shutting down leaves it
    sys.exit(status)


main()
