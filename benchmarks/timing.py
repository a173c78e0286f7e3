"""Interleaved timings of several methods in one process.

``python -m benchmarks.timing N D DTYPE ROUNDS METHOD [METHOD ...]`` prints one
JSON line: ``times`` (``{method: [seconds per call, one per round]}``), ``errors``
and, when both ran, the largest difference between critbook's and torch's output.

Every method builds its inputs once (:mod:`benchmarks.methods`). In each round
the methods run one after another, in an order that rotates from round to
round, with a pause before each call so that no library's idle threads are
still spinning; a call is repeated until it takes about ``TARGET`` seconds.
Ratios of two methods are then taken per round: calls of one round ran
seconds apart, so slow drifts of the machine's load cancel. (A standard
harness such as pyperf runs one benchmark after another and cannot give
these per-round ratios.)
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

from benchmarks.methods import METHODS

TARGET = 0.3  # seconds of calls per method and round
PAUSE = 0.2  # seconds before each timed call


def main(argv: list[str]) -> None:
    n, d, dtype, rounds = int(argv[0]), int(argv[1]), argv[2], int(argv[3])
    methods = argv[4:]
    if "torch" in methods:
        try:
            import torch

            torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
        except ImportError:
            methods = [m for m in methods if m != "torch"]
    runs, numbers, errors = {}, {}, {}
    for m in methods:
        try:
            run = METHODS[m](n, d, dtype)
            t0 = time.perf_counter()
            run()  # warm-up, and the size of one call
            numbers[m] = max(1, min(1000, math.ceil(TARGET / max(time.perf_counter() - t0, 1e-6))))
            runs[m] = run
        except (MemoryError, RuntimeError, ValueError) as exc:
            errors[m] = f"{type(exc).__name__}: {exc}"
    times: dict[str, list[float]] = {m: [] for m in runs}
    names = list(runs)
    for r in range(rounds):
        for m in names[r % len(names) :] + names[: r % len(names)]:
            time.sleep(PAUSE)
            t0 = time.perf_counter()
            for _ in range(numbers[m]):
                runs[m]()
            times[m].append((time.perf_counter() - t0) / numbers[m])
    diff = None
    if "critbook" in runs and "torch" in runs:
        import numpy as np

        diff = float(np.abs(runs["critbook"]() - runs["torch"]()).max())
    print(json.dumps({"times": times, "errors": errors, "diff_vs_torch": diff}))


if __name__ == "__main__":
    main(sys.argv[1:])
