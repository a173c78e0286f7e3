"""Benchmarks of critbook's streamed attention: ``python -m benchmarks [options]``.

Prints Markdown tables (to stdout, and to ``--output`` if given):

1. the machine (CPU, cores, numpy, torch if present, load before and after);
2. ``critbook.attention_layer`` against a naive numpy softmax (the full
   ``n x n`` matrix, skipped above ``--naive-limit-gib``) and PyTorch's CPU
   ``scaled_dot_product_attention`` on the same normalised tokens
   (``q = k = v = Y``, ``scale = beta``), float32, ``d = 64``,
   ``beta = log n``: medians over interleaved rounds (:mod:`benchmarks.timing`)
   and the median of the per-round ratios; with ``--load``, the same again
   while another process keeps one core busy;
3. the entropy and the float64 Jacobian-vector product against the layer;
4. peak memory of one call in a fresh process (:mod:`benchmarks.memory`).

Torch is a benchmark-only dependency: ``--torch-python`` names an interpreter
with torch, numpy and critbook (``pip install torch==2.13.0 numpy scipy`` and
``pip install -e . --no-deps`` in a separate virtualenv). The tile-shape sweep
behind the kernel's default tile is ``python -m benchmarks.tiles``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MiB = 2**20


def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def _run(python: str, module: str, args: list, threads: int) -> dict:
    out = subprocess.run(
        [python, "-m", module, *map(str, args)],
        capture_output=True,
        text=True,
        env=_env(threads),
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _machine(python: str) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    torch = (
        subprocess.run(
            [python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True
        ).stdout.strip()
        or "not found"
    )
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, torch {torch}",
        f"- load average at start: {os.getloadavg()[0]:.2f}",
    ]


def layer_table(args, python: str, label: str) -> list[str]:
    lines = [
        f"### attention_layer, d = 64, float32, beta = log n ({label})",
        "",
        "| n | critbook | naive numpy | torch SDPA | critbook / torch | max abs diff |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in args.sizes:
        methods = ["critbook", "torch"]
        if n * n * 4 * 3 <= args.naive_limit_gib * 2**30:
            methods.insert(1, "naive")
        res = _run(
            python, "benchmarks.timing", [n, 64, "float32", args.rounds, *methods], args.threads
        )
        t = {m: np.median(v) for m, v in res["times"].items()}
        ratio = "-"
        if "torch" in res["times"]:
            ratio = f"{np.median(np.divide(res['times']['critbook'], res['times']['torch'])):.2f}"
        diff = res["diff_vs_torch"]
        cells = [_ms(t[m]) if m in t else "-" for m in ("critbook", "naive", "torch")]
        lines.append(
            f"| {n} | " + " | ".join(cells) + f" | {ratio} | "
            f"{'-' if diff is None else f'{diff:.1e}'} |"
        )
    return lines + [""]


def other_table(args) -> list[str]:
    lines = [
        "### entropy and jvp against the layer (d = 64)",
        "",
        "| n | method | time | ratio to the layer in the same precision |",
        "|---:|---|---:|---:|",
    ]
    n = 4096
    for dtype, pair in (
        ("float32", ["critbook", "entropy", "naive_entropy"]),
        ("float64", ["layer64", "jvp", "jvp4"]),
    ):
        res = _run(
            sys.executable, "benchmarks.timing", [n, 64, dtype, args.rounds, *pair], args.threads
        )["times"]
        base = res[pair[0]]
        for m in pair[1:]:
            ratio = np.median(np.divide(res[m], base))
            lines.append(f"| {n} | {m} ({dtype}) | {_ms(np.median(res[m]))} | {ratio:.2f} |")
    return lines + [""]


def memory_table(args, python: str) -> list[str]:
    lines = [
        "### Peak memory growth of one call, fresh process (MiB: RSS / tracemalloc)",
        "",
        "| n | d | critbook | naive numpy | torch SDPA |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n, d in args.memory:
        cells = []
        for m in ("critbook", "naive", "torch"):
            if m == "naive" and n * n * 4 * 3 > args.naive_limit_gib * 2**30:
                cells.append("(n x n: skipped)")
                continue
            try:
                r = _run(
                    python if m == "torch" else sys.executable,
                    "benchmarks.memory",
                    [m, n, d],
                    args.threads,
                )
                cells.append(f"{r['rss'] / MiB:.1f} / {r['traced'] / MiB:.1f}")
            except subprocess.CalledProcessError:
                cells.append("-")
        lines.append(f"| {n} | {d} | " + " | ".join(cells) + " |")
    return lines + [""]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, 3 rounds (a minute)")
    p.add_argument("--torch-python", default=sys.executable)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--load", action="store_true", help="also time with one core kept busy")
    p.add_argument("--naive-limit-gib", type=float, default=4.0)
    p.add_argument("--output", type=Path)
    args = p.parse_args()
    args.sizes = [1024, 4096, 8192, 16384]
    args.memory = [(16384, 64), (65536, 64), (65536, 16)]
    if args.quick:
        args.sizes, args.rounds, args.memory = [1024, 4096, 8192], 3, [(16384, 64)]
    python = args.torch_python
    lines = ["## critbook benchmarks", "", *_machine(python), ""]
    lines += layer_table(args, python, "load as found: see the load average")
    if args.load:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            lines += layer_table(args, python, "one core kept busy by another process")
        finally:
            busy.kill()
    lines += other_table(args)
    lines += memory_table(args, python)
    lines.append(f"- load average at end: {os.getloadavg()[0]:.2f}")
    text = "\n".join(lines)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
