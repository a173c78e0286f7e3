"""A timing worker: one process per method, driven over stdin/stdout.

The driver starts ``python -m benchmarks.worker`` with the thread counts in
its environment and sends one JSON object per line:

- ``{"op": "setup", "method": m, "n": n, "d": d, "dtype": t}``: build the
  inputs, call once (warm-up); replies ``{"ok": true, "first": seconds}``.
- ``{"op": "time", "number": k}``: ``k`` calls in a row; replies
  ``{"ok": true, "time": seconds per call, "other": s}`` where ``s`` is the
  CPU time that other processes used meanwhile (see :func:`other_cpu`).
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


def _busy() -> float:
    """CPU seconds the whole machine has been busy (Linux), or NaN."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def _own() -> float:
    t = os.times()
    return t.user + t.system


class other_cpu:
    """Context manager: ``.seconds`` of CPU used by other processes inside the block.

    From ``/proc/stat`` (10 ms ticks), so only a coarse check that nothing
    else ran; NaN where ``/proc/stat`` is missing.
    """

    def __enter__(self) -> other_cpu:
        self.b0, self.c0 = _busy(), _own()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = max(0.0, (_busy() - self.b0) - (_own() - self.c0))


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
                with other_cpu() as other:
                    t0 = time.perf_counter()
                    for _ in range(number):
                        run()
                    elapsed = time.perf_counter() - t0
                _reply({"ok": True, "time": elapsed / number, "other": other.seconds})
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
