"""Typeset the site's equations at build time (a local Sphinx extension, listed in ``_config.yml``).

Sphinx writes each equation into the page as TeX (``\\(...\\)``, ``\\[...\\]``) for MathJax to
typeset in the reader's browser. That costs every page with an equation the 1.2 MB MathJax
script, and it moves the page under the reader's eyes: a paragraph is laid out first with the
raw TeX, then again, shorter, once MathJax has replaced it (a cumulative layout shift of up to
0.23 on the chapters, 0.1 being "good"; 0.06 at most with this step).

After the HTML is written, ``tools/prerender_math.js`` runs the same MathJax (the npm package
``mathjax`` that ``tools/vendor_js.py`` vendors, with its Node.js entry point) over every page:
the equations are in the HTML as MathJax's CHTML output, with a hidden MathML copy for screen
readers, and the CHTML style sheet is in the page's head. Pages without widgets then stop
loading MathJax; pages with widgets keep it for the widgets' labels. The script also fails the
build on an equation with a TeX error or with a backslash typeset as text (a macro MathJax did
not know).

Without Node.js or the vendored package the pages are left as Sphinx wrote them (MathJax then
typesets them in the browser, as before) and the build says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # Sphinx loads this file as a top-level module
    sys.path.insert(0, str(ROOT))

from tools.site_pages import html_pages  # noqa: E402

SCRIPT = ROOT / "tools" / "prerender_math.js"
#: MathJax's Node.js build, vendored next to the site's copy (a dot folder: not published).
MATHJAX_ES5 = ROOT / "_vendor" / "vendor" / ".node" / "mathjax" / "es5"

logger = logging.getLogger(__name__)


def pages_with_math(outdir: Path) -> list[str]:
    """The HTML pages of the site that hold a Sphinx math element, relative to ``outdir``."""
    return [p for p in html_pages(outdir) if 'class="math' in (outdir / p).read_text("utf-8")]


def prerender(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    node = shutil.which("node")
    if node is None or not (MATHJAX_ES5 / "node-main.js").is_file():
        logger.info(
            "prerender_math: no Node.js or no vendored MathJax (run `python tools/vendor_js.py`):"
            " equations are typeset in the browser."
        )
        return
    outdir = Path(app.outdir)
    pages = pages_with_math(outdir)
    if not pages:
        return
    # One Node.js process per core, the pages dealt out largest first.
    workers = max(1, min(len(pages), os.cpu_count() or 1, 4))
    by_size = sorted(pages, key=lambda p: -(outdir / p).stat().st_size)
    groups = [by_size[k::workers] for k in range(workers)]

    def run(group: list[str]) -> subprocess.CompletedProcess:
        command = [node, str(SCRIPT), str(MATHJAX_ES5), str(outdir), *group]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(run, groups))
    seconds = time.perf_counter() - start
    report = {"pages": 0, "equations": 0, "problems": []}
    for result in results:
        if result.returncode not in (0, 1):
            error = result.stderr.strip()[-3000:]
            raise ExtensionError(f"prerender_math: MathJax failed:\n{error}")
        part = json.loads(result.stdout.strip().splitlines()[-1])
        for key in report:
            report[key] += part[key]
    if report["problems"]:
        problems = "\n  ".join(report["problems"])
        raise ExtensionError(f"prerender_math: equations MathJax cannot typeset:\n  {problems}")
    logger.info(
        f"prerender_math: {report['equations']} equations typeset on {report['pages']} pages"
        f" in {seconds:.1f} s ({workers} processes)."
    )


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", prerender)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
