"""Execute MyST chapters as notebooks (jupytext + nbclient), as Binder or Jupyter would.

Used by the tests and handy on its own while writing a chapter::

    .venv/bin/python tests/notebooks.py chapters/phase_transition.md

prints the run time of every code cell and fails with the cell's traceback on
the first error.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def chapter_paths() -> list[Path]:
    """Every MyST notebook of the book (files with a kernelspec), in toc order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    paths = [ROOT / f"{f}.md" for f in files]
    return [p for p in paths if "kernelspec:" in p.read_text().split("\n---", 1)[0]]


def execute(path: Path, timeout: int = 600, verbose: bool = False) -> list[float]:
    """Run every code cell of ``path``; return the per-cell times in seconds."""
    import jupytext
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    resources = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources)
    times: list[float] = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            start = time.perf_counter()
            client.execute_cell(cell, index)
            times.append(time.perf_counter() - start)
            if verbose:
                first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                print(f"  cell {index:3d}: {times[-1]:6.2f} s  {first[:70]}")
    return times


if __name__ == "__main__":
    targets = [Path(a).resolve() for a in sys.argv[1:]] or chapter_paths()
    for target in targets:
        print(f"{target.relative_to(ROOT)}:")
        t = execute(target, verbose=True)
        print(f"  total {sum(t):.2f} s over {len(t)} code cells")
