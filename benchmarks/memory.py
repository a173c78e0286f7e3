"""Peak memory of one call, measured in a fresh process.

``python -m benchmarks.memory METHOD N D [DTYPE]`` prints one JSON line with

- ``traced``: the peak of :mod:`tracemalloc` during the call (every numpy
  allocation; not torch's, whose allocator tracemalloc does not see), and
- ``rss``: the growth of the peak resident set size (``ru_maxrss``) over
  the call, which sees every allocation that is touched.

Before measuring, the method runs once at a small size, so that one-time
allocations of the libraries (BLAS buffers, thread pools) are not counted,
and the kernel's high-water mark is reset (``/proc/self/clear_refs``) where
Linux allows it, so that ``rss`` is not hidden by an earlier, larger peak.
Both numbers are in bytes.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import tracemalloc


def _maxrss() -> int:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(method: str, n: int, d: int, dtype: str = "float32") -> dict:
    from benchmarks.methods import METHODS

    factory = METHODS[method]
    if method == "torch" and os.environ.get("OMP_NUM_THREADS"):
        import torch

        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    factory(min(n, 256), d, dtype)()  # one-time library allocations
    run = factory(n, d, dtype)
    gc.collect()
    reset = _reset_peak()
    before = _maxrss()
    tracemalloc.start()
    out = run()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    after = _maxrss()
    del out
    return {
        "method": method,
        "n": n,
        "d": d,
        "dtype": dtype,
        "traced": traced,
        "rss": max(0, after - before),
        "peak_reset": reset,
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    method, n, d = args[0], int(args[1]), int(args[2])
    dtype = args[3] if len(args) > 3 else "float32"
    print(json.dumps(measure(method, n, d, dtype)))


if __name__ == "__main__":
    main()
