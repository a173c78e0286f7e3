"""Benchmarks of critbook's streamed attention: ``python -m benchmarks [--quick]``.

Prints Markdown tables (to stdout, and to ``--output`` if given):

1. the machine (CPU, cores, numpy and its BLAS, torch if present, load);
2. ``critbook.attention_layer`` against a naive numpy softmax (the full
   ``n x n`` matrix, skipped where it would not fit in ``--naive-limit-gib``)
   and PyTorch's CPU ``scaled_dot_product_attention`` on the same normalised
   tokens (``q = k = v = Y``, ``scale = beta``; skipped if torch is absent),
   with the time ratios and the largest difference from torch;
3. peak memory of one call of each, in a fresh process (tracemalloc and the
   growth of the peak RSS), at ``d = 64`` and ``d = 16``;
4. ``critbook.attention_entropy`` (against the layer and a naive version);
5. ``critbook.gradients.jvp`` against the float64 layer, if the module exists;
6. a slider move of ``critbook.widgets.Explorer``, if it exists (target 50 ms).

Timing: each method runs in its own worker process with ``--threads`` threads
for OpenMP, OpenBLAS and MKL (and ``torch.set_num_threads``). Within a
round the methods run one after another, in an order that rotates from round
to round, with a pause between calls so that no library's idle threads are
still spinning during the next call; a call is repeated until it takes about
``--target`` seconds. A table shows the median over rounds of the time per
call, and each ratio is the median of the per-round ratios (the two calls of
a round ran seconds apart, so slow drifts of the machine's load cancel).

Torch is a benchmark-only dependency: it is looked for in ``--torch-python``
(default: this interpreter), which also needs numpy and critbook, e.g. a
separate virtualenv with ``pip install torch numpy scipy`` and
``pip install -e . --no-deps``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MiB = 2**20


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------ workers


class WorkerError(RuntimeError):
    pass


class Worker:
    """A ``benchmarks.worker`` process for one method."""

    def __init__(self, python: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [python, "-m", "benchmarks.worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )

    def call(self, **cmd: Any) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith("@@"):
                reply = json.loads(line[2:])
                if not reply.get("ok"):
                    raise WorkerError(reply.get("error", "unknown error"))
                return reply
        raise WorkerError(f"worker exited with code {self.proc.wait()}")

    def close(self) -> None:
        try:
            self.call(op="quit")
        except (WorkerError, OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            self.env[var] = str(args.threads)
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        self.workers: dict[str, Worker] = {}
        self.calls = self.rejected = self.dirty = 0

    def python_for(self, method: str) -> str:
        return self.args.torch_python if method == "torch" else sys.executable

    def worker(self, method: str) -> Worker:
        if method not in self.workers:
            self.workers[method] = Worker(self.python_for(method), self.env)
        return self.workers[method]

    def close(self) -> None:
        for w in self.workers.values():
            w.close()
        self.workers.clear()

    def time_group(
        self, methods: Sequence[str], n: int, d: int, dtype: str, *, rounds: int | None = None
    ) -> tuple[dict[str, list[float]], dict[str, str]]:
        """Interleaved timings ``{method: [seconds per call, one per round]}`` and failures."""
        a = self.args
        numbers: dict[str, int] = {}
        firsts: dict[str, float] = {}
        errors: dict[str, str] = {}
        for m in methods:
            try:
                first = self.worker(m).call(op="setup", method=m, n=n, d=d, dtype=dtype)["first"]
            except WorkerError as exc:
                errors[m] = str(exc)
                continue
            firsts[m] = first
            numbers[m] = max(1, min(1000, math.ceil(a.target / max(first, 1e-6))))
        live = [m for m in methods if m in numbers]
        if not live:
            return {}, errors
        per_round = sum(numbers[m] * firsts[m] + a.pause for m in live)
        want = a.rounds if rounds is None else rounds
        r_eff = max(min(3, want), min(want, int(a.budget / per_round)))
        times: dict[str, list[float]] = {m: [] for m in live}
        for r in range(r_eff):
            order = live[r % len(live):] + live[: r % len(live)]
            for m in order:
                times[m].append(self.timed_call(m, numbers[m]))
        return times, errors

    def timed_call(self, method: str, number: int) -> float:
        """Seconds per call; with ``--clean``, retried while other processes used the CPU."""
        a = self.args
        spent = 0.0
        while True:
            time.sleep(a.pause)
            reply = self.worker(method).call(op="time", number=number)
            batch = reply["time"] * number
            spent += batch
            # Allow a few 10 ms ticks of noise plus 2% of the machine's capacity.
            tol = 0.03 + 0.02 * batch * (os.cpu_count() or 1)
            if not a.clean or not reply["other"] > tol:
                break
            if spent + batch > a.clean_budget:
                self.dirty += 1  # kept anyway: the retries saw other load throughout
                break
            self.rejected += 1
        self.calls += 1
        return reply["time"]

    def save(self, method: str, path: str) -> np.ndarray:
        self.worker(method).call(op="save", path=path)
        return np.load(path)


def median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def paired_ratio(times: dict[str, list[float]], a: str, b: str) -> float:
    if a not in times or b not in times:
        return float("nan")
    return float(np.median(np.asarray(times[a]) / np.asarray(times[b])))


def fmt_time(t: float) -> str:
    if not np.isfinite(t):
        return "—"
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_ratio(r: float) -> str:
    return "—" if not np.isfinite(r) else f"{r:.2f}"


def fmt_n(n: int) -> str:
    return f"{n // 1024}k" if n % 1024 == 0 else str(n)


# ------------------------------------------------------------------------ machine


def _numpy_blas() -> str:
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        text = f"{cfg.get('name', '?')} {cfg.get('version', '')}".strip()
    except Exception:
        text = "unknown"
    core = _openblas_core()
    return f"{text} (kernel: {core})" if core else text


def _openblas_core() -> str | None:
    """The CPU kernel OpenBLAS picked at run time (best effort, via ctypes)."""
    import ctypes
    import glob

    libdir = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for lib in glob.glob(str(libdir / "*openblas*")):
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                     "openblas_get_corename64_", "openblas_get_corename"):
            fn = getattr(handle, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def probe_torch(python: str, env: dict[str, str]) -> tuple[str | None, str]:
    """``(torch version, note)``; the version is None when torch cannot be used."""
    code = ("import torch, numpy, critbook; "
            "print(torch.__version__, torch.get_num_threads(), "
            "torch.backends.mkldnn.is_available())")
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env,
                             cwd=ROOT, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"cannot run {python}: {exc}"
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"torch not importable by {python} ({last})"
    version, threads, mkldnn = out.stdout.split()
    return version, f"{python}, {threads} threads, oneDNN {mkldnn}"


def machine_section(args: argparse.Namespace, torch_version: str | None, torch_note: str) -> str:
    import scipy

    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    rows = [
        ("CPU", _cpu_model()),
        ("cores", f"{os.cpu_count()} logical, {affinity} usable"),
        ("memory", _mem_total()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("numpy", f"{np.__version__}, BLAS {_numpy_blas()}"),
        ("scipy", scipy.__version__),
        ("torch", f"{torch_version} ({torch_note})" if torch_version else f"absent: {torch_note}"),
        ("threads", f"{args.threads} (OMP/OPENBLAS/MKL_NUM_THREADS, torch.set_num_threads)"),
        ("load average at start", _loadavg()),
    ]
    lines = ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)


# ----------------------------------------------------------------------- sections


def layer_section(bench: Bench, torch_ok: bool, torch_why: str) -> tuple[str, dict]:
    a = bench.args
    d, dtype = a.d, a.dtype
    lines = [
        f"## attention_layer: d = {d}, {dtype}, beta = log n",
        "",
        "| n | critbook | naive numpy | torch SDPA | critbook / naive | critbook / torch "
        "| max abs diff vs torch |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    results = {}
    for n in a.sizes:
        methods = ["critbook"]
        if bench_naive_fits(n, dtype, a, factor=1):
            methods.append("naive")
        else:
            notes.append(naive_note(n, dtype, a, factor=1))
        if torch_ok:
            methods.append("torch")
        log(f"layer n={n}: {', '.join(methods)}")
        times, errors = bench.time_group(methods, n, d, dtype)
        for m, e in errors.items():
            notes.append(f"n = {n}: {m} failed: {e}")
        diff = float("nan")
        if "critbook" in times and "torch" in times:
            with tempfile.TemporaryDirectory() as tmp:
                ours = bench.save("critbook", os.path.join(tmp, "c.npy"))
                theirs = bench.save("torch", os.path.join(tmp, "t.npy"))
                diff = float(np.abs(ours.astype(np.float64) - theirs).max())
                del ours, theirs
        t = {m: median(v) for m, v in times.items()}
        results[n] = {"times": t, "torch_ratio": paired_ratio(times, "critbook", "torch"),
                      "naive_ratio": paired_ratio(times, "critbook", "naive"), "diff": diff,
                      "rounds": len(times.get("critbook", []))}
        lines.append(
            f"| {fmt_n(n)} | {fmt_time(t.get('critbook', np.nan))} "
            f"| {fmt_time(t.get('naive', np.nan))} | {fmt_time(t.get('torch', np.nan))} "
            f"| {fmt_ratio(results[n]['naive_ratio'])} | {fmt_ratio(results[n]['torch_ratio'])} "
            f"| {'—' if not np.isfinite(diff) else f'{diff:.1e}'} |"
        )
    if not torch_ok:
        notes.append(f"torch column skipped: {torch_why}")
    rounds = sorted({r["rounds"] for r in results.values()})
    notes.append(f"medians over {', '.join(map(str, rounds))} interleaved rounds; ratios are "
                 "medians of per-round ratios (below 1: critbook is faster)")
    return "\n".join(lines + [""] + [f"- {x}" for x in notes]), results


def bench_naive_fits(n: int, dtype: str, args: argparse.Namespace, factor: int) -> bool:
    from benchmarks.methods import naive_bytes

    return factor * naive_bytes(n, dtype) <= args.naive_limit_gib * 2**30


def naive_note(n: int, dtype: str, args: argparse.Namespace, factor: int) -> str:
    from benchmarks.methods import naive_bytes

    need = factor * naive_bytes(n, dtype) / 2**30
    return (f"n = {n}: naive skipped, its {factor} dense n x n {dtype} matri"
            f"{'x' if factor == 1 else 'ces'} need {need:.0f} GiB > --naive-limit-gib "
            f"{args.naive_limit_gib:g}")


def memory_section(bench: Bench, torch_ok: bool) -> tuple[str, dict]:
    a = bench.args
    methods = ["critbook", "naive"] + (["torch"] if torch_ok else [])
    lines = [
        f"## Peak memory of one call ({a.dtype}, fresh process per cell)",
        "",
        "Each cell: growth of the peak RSS / tracemalloc peak, in MiB (tracemalloc does not "
        "see torch's allocator).",
        "",
        "| n | d | " + " | ".join(methods) + " | n x n matrix |",
        "|---:|---:|" + "---:|" * len(methods) + "---:|",
    ]
    results = {}
    for d in a.mem_d:
        for n in a.mem_sizes:
            cells = []
            for m in methods:
                if m == "naive" and not bench_naive_fits(n, a.dtype, a, factor=1):
                    cells.append("skipped")
                    continue
                log(f"memory {m} n={n} d={d}")
                r = run_memory(bench, m, n, d, a.dtype)
                results[(m, n, d)] = r
                cells.append("failed" if r is None else
                             f"{r['rss'] / MiB:.1f} / {r['traced'] / MiB:.1f}")
            from benchmarks.methods import naive_bytes

            lines.append(f"| {fmt_n(n)} | {d} | " + " | ".join(cells)
                         + f" | {naive_bytes(n, a.dtype) / MiB:.0f} |")
    return "\n".join(lines), results


def run_memory(bench: Bench, method: str, n: int, d: int, dtype: str) -> dict | None:
    cmd = [bench.python_for(method), "-m", "benchmarks.memory", method, str(n), str(d), dtype]
    out = subprocess.run(cmd, capture_output=True, text=True, env=bench.env, cwd=ROOT)
    if out.returncode != 0:
        log(f"  failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def entropy_section(bench: Bench, layer: dict) -> str:
    a = bench.args
    d, dtype = a.d, a.dtype
    lines = [
        f"## attention_entropy: d = {d}, {dtype}, beta = log n",
        "",
        "| n | entropy | layer | entropy / layer | naive entropy | entropy / naive "
        "| max abs diff vs naive |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for n in a.sizes:
        methods = ["entropy", "critbook"]
        if bench_naive_fits(n, dtype, a, factor=2):
            methods.append("naive_entropy")
        else:
            notes.append(naive_note(n, dtype, a, factor=2))
        log(f"entropy n={n}: {', '.join(methods)}")
        times, errors = bench.time_group(methods, n, d, dtype)
        for m, e in errors.items():
            notes.append(f"n = {n}: {m} failed: {e}")
        diff = float("nan")
        if "entropy" in times and "naive_entropy" in times:
            with tempfile.TemporaryDirectory() as tmp:
                ours = bench.save("entropy", os.path.join(tmp, "e.npy"))
                theirs = bench.save("naive_entropy", os.path.join(tmp, "n.npy"))
                diff = float(np.abs(ours - theirs).max())
        t = {m: median(v) for m, v in times.items()}
        lines.append(
            f"| {fmt_n(n)} | {fmt_time(t.get('entropy', np.nan))} "
            f"| {fmt_time(t.get('critbook', np.nan))} "
            f"| {fmt_ratio(paired_ratio(times, 'entropy', 'critbook'))} "
            f"| {fmt_time(t.get('naive_entropy', np.nan))} "
            f"| {fmt_ratio(paired_ratio(times, 'entropy', 'naive_entropy'))} "
            f"| {'—' if not np.isfinite(diff) else f'{diff:.1e}'} |"
        )
    notes.append("the naive entropy computes in the input dtype (float32), critbook returns "
                 "float64 from float32 sums")
    return "\n".join(lines + [""] + [f"- {x}" for x in notes])


def has_module(name: str, attr: str | None = None) -> tuple[bool, str]:
    import importlib

    try:
        mod = importlib.import_module(name)
    except Exception as exc:
        return False, f"{name} not importable ({type(exc).__name__}: {exc})"
    if attr and not hasattr(mod, attr):
        return False, f"{name} has no {attr}"
    return True, ""


def jvp_section(bench: Bench) -> str:
    a = bench.args
    ok, why = has_module("critbook.gradients", "jvp")
    head = f"## gradients.jvp: d = {a.d}, float64, beta = log n"
    if not ok:
        return f"{head}\n\nskipped: {why}"
    lines = [
        head, "",
        "| n | layer (float64) | jvp, 1 direction | jvp / layer | jvp, 4 directions "
        "| per direction / layer |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in a.jvp_sizes:
        log(f"jvp n={n}")
        times, errors = bench.time_group(["layer64", "jvp", "jvp4"], n, a.d, "float64")
        if errors:
            lines.append(f"| {fmt_n(n)} | failed: {'; '.join(errors.values())} | | | | |")
            continue
        t = {m: median(v) for m, v in times.items()}
        lines.append(
            f"| {fmt_n(n)} | {fmt_time(t['layer64'])} | {fmt_time(t['jvp'])} "
            f"| {fmt_ratio(paired_ratio(times, 'jvp', 'layer64'))} | {fmt_time(t['jvp4'])} "
            f"| {fmt_ratio(paired_ratio(times, 'jvp4', 'layer64') / 4)} |"
        )
    return "\n".join(lines)


def explorer_section(bench: Bench) -> str:
    a = bench.args
    head = "## widgets.Explorer: one slider move (gamma), target <= 50 ms"
    needs = (("matplotlib", None), ("ipywidgets", None), ("critbook.widgets", "Explorer"))
    for name, attr in needs:
        ok, why = has_module(name, attr)
        if not ok:
            return f"{head}\n\nskipped: {why}"
    log("explorer")
    lines = [head, "", "| what | median | slowest | calls |", "|---|---:|---:|---:|"]
    for m, label in (("explorer", "update() (recompute, set_data)"),
                     ("explorer_png", "update() + PNG render (what a displayed explorer sends)")):
        try:
            w = bench.worker(m)
            w.call(op="setup", method=m, n=0, d=0, dtype="float64")
            ts = [w.call(op="time", number=1)["time"] for _ in range(a.explorer_moves)]
        except WorkerError as exc:
            lines.append(f"| {label} | failed: {exc} | | |")
            continue
        lines.append(f"| {label} | {fmt_time(median(ts))} | {fmt_time(max(ts))} | {len(ts)} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description="Benchmarks of critbook's streamed attention.")
    p.add_argument("--quick", action="store_true",
                   help="small sizes and few rounds (about a minute)")
    p.add_argument("--sizes", help="comma-separated n for the time tables "
                   "(default 1024,4096,8192,16384,65536; quick: 1024,4096)")
    p.add_argument("--mem-sizes", help="n for the memory table (default: --sizes)")
    p.add_argument("--mem-d", default="64,16", help="d values of the memory table")
    p.add_argument("--jvp-sizes", help="n for the jvp table (default 1024,4096; quick: 1024)")
    p.add_argument("--d", type=int, default=64, help="token dimension of the time tables")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 7; quick: 3)")
    p.add_argument("--budget", type=float, default=120.0,
                   help="seconds per size: fewer rounds (at least 3) for large n")
    p.add_argument("--target", type=float, help="seconds per timed call batch "
                   "(default 0.2; quick: 0.1)")
    p.add_argument("--pause", type=float, default=0.3,
                   help="seconds between calls (lets idle BLAS/OpenMP threads stop spinning)")
    p.add_argument("--clean", action="store_true",
                   help="repeat a timed call while other processes used the CPU during it "
                   "(for a shared machine; Linux /proc/stat)")
    p.add_argument("--clean-budget", type=float, default=20.0,
                   help="with --clean: seconds of retries per call before keeping a disturbed one")
    p.add_argument("--naive-limit-gib", type=float, default=2.0,
                   help="largest dense n x n matrix the naive methods may form (GiB)")
    p.add_argument("--torch-python", default=sys.executable,
                   help="interpreter that has torch, numpy and critbook (default: this one)")
    p.add_argument("--explorer-moves", type=int, help="slider moves timed (default 30)")
    p.add_argument("--skip", default="", help="comma-separated sections to skip: "
                   "layer,memory,entropy,jvp,explorer")
    p.add_argument("--output", help="also write the Markdown report to this file")
    a = p.parse_args(argv)
    ints = lambda s: [int(v) for v in s.split(",") if v.strip()]  # noqa: E731
    a.sizes = ints(a.sizes) if a.sizes else ([1024, 4096] if a.quick
                                             else [1024, 4096, 8192, 16384, 65536])
    a.mem_sizes = ints(a.mem_sizes) if a.mem_sizes else list(a.sizes)
    a.mem_d = ints(a.mem_d)
    a.jvp_sizes = ints(a.jvp_sizes) if a.jvp_sizes else ([1024] if a.quick else [1024, 4096])
    a.rounds = a.rounds or (3 if a.quick else 7)
    a.target = a.target or (0.1 if a.quick else 0.2)
    a.explorer_moves = a.explorer_moves or (10 if a.quick else 30)
    a.skip = {s.strip() for s in a.skip.split(",") if s.strip()}
    return a


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    bench = Bench(args)
    start = time.perf_counter()
    torch_version, torch_note = probe_torch(args.torch_python, bench.env)
    torch_ok = torch_version is not None
    command = " ".join(["python -m benchmarks", *(sys.argv[1:] if argv is None else argv)])
    parts = [
        "# critbook attention benchmarks",
        f"`{command}`",
        machine_section(args, torch_version, torch_note),
    ]
    try:
        # Memory first: the driver is still small, so the children's RSS numbers are clean.
        if "memory" not in args.skip:
            parts.append(memory_section(bench, torch_ok)[0])
        layer: dict = {}
        if "layer" not in args.skip:
            text, layer = layer_section(bench, torch_ok, torch_note)
            parts.append(text)
        if "entropy" not in args.skip:
            parts.append(entropy_section(bench, layer))
        if "jvp" not in args.skip:
            parts.append(jvp_section(bench))
        if "explorer" not in args.skip:
            parts.append(explorer_section(bench))
    finally:
        bench.close()
    total = time.perf_counter() - start
    tail = f"Load average at the end: {_loadavg()}; total {total:.0f} s."
    if args.clean:
        tail += (f" --clean: {bench.calls} timed calls kept, {bench.rejected} repeated because "
                 f"other processes used the CPU, {bench.dirty} kept although disturbed.")
    parts.append(tail)
    report = "\n\n".join(parts) + "\n"
    print(report)
    if args.output:
        Path(args.output).write_text(report)


if __name__ == "__main__":
    main()
