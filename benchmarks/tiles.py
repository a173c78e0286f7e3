"""Tile-shape sweep for the symmetric attention kernel (how the default was chosen).

``python -m benchmarks.tiles [--n 8192] [--d 64] [--rounds 5]`` times
:func:`critbook.attention_layer` for a grid of tile shapes (rows per tile,
``block``, times columns per tile), interleaving the shapes round by round,
and prints the median time of each shape relative to the default.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tiles", description=__doc__)
    parser.add_argument("--n", type=int, default=8192)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", default="64,128,256,512,1024")
    parser.add_argument("--cols", default="512,1024,2048,4096,8192")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--stat",
        default="median",
        choices=["median", "min"],
        help="min: best round, less sensitive to other load on the machine",
    )
    parser.add_argument(
        "--clock",
        default="wall",
        choices=["wall", "cpu"],
        help="cpu: process CPU time, robust on a busy machine with --threads 1",
    )
    args = parser.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np  # after the thread settings

    import critbook as cb
    from critbook import _kernel

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n, args.d)).astype(args.dtype)
    beta = float(np.log(args.n))
    shapes = [
        (r, c)
        for r, c in itertools.product(
            [int(v) for v in args.rows.split(",")], [int(v) for v in args.cols.split(",")]
        )
        if c >= r
    ]
    itemsize = np.dtype(args.dtype).itemsize
    default = _kernel.tile_shape(1 << 30, itemsize)
    if default not in shapes:
        shapes.append(default)
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    saved = _kernel.TILE_BYTES
    times: dict[tuple[int, int], list[float]] = {s: [] for s in shapes}
    try:
        for _ in range(args.rounds + 1):  # the first round warms up and is dropped
            for rows, cols in shapes:
                _kernel.TILE_BYTES = rows * cols * itemsize
                t0 = clock()
                cb.attention_layer(X, beta, block=rows)
                times[(rows, cols)].append(clock() - t0)
    finally:
        _kernel.TILE_BYTES = saved
    stat = np.median if args.stat == "median" else np.min
    med = {s: float(stat(t[1:])) for s, t in times.items()}
    ref = med[default]
    print(
        f"n = {args.n}, d = {args.d}, {args.dtype}, {args.threads} threads, "
        f"{args.rounds} rounds, {args.stat} of {args.clock} clock; "
        f"default tile {default[0]} x {default[1]}"
    )
    print(f"| rows | cols | tile MiB | {args.stat} s | vs default |")
    print("|---:|---:|---:|---:|---:|")
    for (rows, cols), t in sorted(med.items(), key=lambda kv: kv[1]):
        mib = rows * min(cols, args.n) * itemsize / 2**20
        print(f"| {rows} | {cols} | {mib:.2f} | {t:.4f} | {t / ref:.3f} |")


if __name__ == "__main__":
    main()
