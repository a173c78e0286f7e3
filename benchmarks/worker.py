"""A timing worker: one process per method, driven over stdin/stdout.

The driver starts ``python -m benchmarks.worker`` with the thread counts in
its environment and sends one JSON object per line:

- ``{"op": "setup", "method": m, "n": n, "d": d, "dtype": t}``: build the
  inputs, call once (warm-up); replies ``{"ok": true, "first": seconds}``.
- ``{"op": "time", "number": k}``: ``k`` calls in a row; replies
  ``{"ok": true, "time": seconds per call}``.
- ``{"op": "save", "path": p}``: call once and ``numpy.save`` the result.
- ``{"op": "quit"}``.

Replies are lines starting with ``@@`` (anything else on stdout is ignored).
One process per method keeps libraries apart: the spinning worker threads
of one library (OpenMP, OpenBLAS) cannot slow down the next library's call,
because the driver pauses between calls of different workers.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import time
import traceback


def _reply(obj: dict) -> None:
    sys.stdout.write("@@" + json.dumps(obj) + "\n")
    sys.stdout.flush()


def main() -> None:
    import numpy as np

    from benchmarks.methods import METHODS

    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    run = None
    for line in sys.stdin:
        try:
            cmd = json.loads(line)
            op = cmd["op"]
            if op == "quit":
                _reply({"ok": True})
                return
            if op == "setup":
                run = None
                gc.collect()
                if cmd["method"] == "torch" and threads:
                    import torch

                    torch.set_num_threads(threads)
                run = METHODS[cmd["method"]](cmd["n"], cmd["d"], cmd["dtype"])
                t0 = time.perf_counter()
                run()
                _reply({"ok": True, "first": time.perf_counter() - t0})
            elif op == "time":
                number = int(cmd.get("number", 1))
                t0 = time.perf_counter()
                for _ in range(number):
                    run()
                _reply({"ok": True, "time": (time.perf_counter() - t0) / number})
            elif op == "save":
                np.save(cmd["path"], np.asarray(run()))
                _reply({"ok": True})
            else:
                _reply({"ok": False, "error": f"unknown op {op!r}"})
        except Exception as exc:  # report, keep serving
            _reply({"ok": False, "error": f"{type(exc).__name__}: {exc}",
                    "trace": traceback.format_exc(limit=3)})


if __name__ == "__main__":
    main()
