#!/usr/bin/env python3
"""A hostile "JVM in standby" for attach_attack_test.sh.

It maps files named libjvm.so, libjemalloc.so.2 and libjleak_agent.so, so
that `jleak attach` / `jleak snapshot` take it for a JVM whose standby agent
is loaded, and then answers the control protocol
(agent/control_protocol.h) the way an attacker who owns the JVM
would:

  dotdot   the timeline names "../../<secret>" as the snapshot file
  fifo     the snapshot file is a FIFO (a reader that blocks hangs jleak)
  link     the snapshot file is a symbolic link to <secret>
  deep     agent.json is an object nested 200000 levels deep

Usage: hostile_agent.py MODE LIBDIR SECRET
Runs until killed; prints its PID's control directory when it serves.
"""
import json
import mmap
import os
import sys
import time


def main():
    mode, libdir, secret = sys.argv[1], sys.argv[2], sys.argv[3]
    maps = []
    for name in ("libjvm.so", "libjemalloc.so.2", "libjleak_agent.so"):
        with open(os.path.join(libdir, name), "rb") as f:
            maps.append(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ))
    control = "/tmp/jleak-%d" % os.getpid()
    request = os.path.join(control, "request")
    while True:
        time.sleep(0.05)
        try:
            with open(request) as f:
                text = f.read()
            os.unlink(request)
        except OSError:
            continue
        fields = dict(l.split("=", 1) for l in text.splitlines() if "=" in l)
        out = fields.get("out", "")
        rid = fields.get("id", "")
        if not out.startswith(control + "/"):
            continue
        heap = os.path.join(out, "snapshot-0.heap")
        line = {"seq": 0, "kind": "baseline", "dumped": True,
                "file": "snapshot-0.heap", "elapsed_s": 0.0}
        if mode == "dotdot":
            # out is /tmp/jleak-PID/s-ID: up two levels is /tmp.
            line["file"] = "../../" + os.path.relpath(secret, "/tmp")
        elif mode == "fifo":
            os.mkfifo(heap)
        elif mode == "link":
            os.symlink(secret, heap)
        with open(os.path.join(out, "timeline.jsonl"), "w") as f:
            f.write(json.dumps(line) + "\n")
        answer = {"status": "ok", "finished": True,
                  "standby": {"request": {"id": rid}, "sampling": True}}
        text = json.dumps(answer)
        if mode == "deep":
            n = 200000
            text = '{"standby":{"request":{"id":"%s"}},"finished":true,' \
                   '"status":"ok","x":%s1%s}' % (rid, '{"a":' * n, "}" * n)
        with open(os.path.join(out, "agent.json.tmp"), "w") as f:
            f.write(text)
        os.rename(os.path.join(out, "agent.json.tmp"),
                  os.path.join(out, "agent.json"))


if __name__ == "__main__":
    main()
