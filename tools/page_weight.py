"""Page weight and layout shift of every page of a built site, as Chromium loads it.

    .venv/bin/python tools/page_weight.py [SITE_DIR] [--json OUT.json]

Serves SITE_DIR (default ``_build/html``) on 127.0.0.1, opens each HTML page in Debian's Chromium
(Playwright) at 1280x800 and 390x844, waits for MathJax and the widgets, and reports per page:

* bytes transferred, by asset type (script, stylesheet, font, image, document, other), both as
  served (uncompressed: the test server sends no gzip) and gzipped (``gzip -6`` of each body,
  what a compressing server would send);
* the cumulative layout shift (CLS: the largest session window of ``layout-shift`` entries
  without recent input, as Chrome's web-vitals define it) at both widths;
* the largest assets, so that each can be accounted for.

Not a test: the numbers go into the issue notes. tests/browser checks the properties that the
numbers depend on (which pages load the widget manager, the favicon, ...).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, serve_site  # noqa: E402
from tools.site_pages import html_pages  # noqa: E402

WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}

OBSERVE_CLS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) window.__shifts.push([e.startTime, e.value]);
  }
}).observe({type: 'layout-shift', buffered: true});
"""

SETTLE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await new Promise(r => setTimeout(r, 1500));
  return window.__shifts;
}"""


def cls(shifts: list[list[float]]) -> float:
    """Largest session window: shifts less than 1 s apart, a window at most 5 s long."""
    best = current = 0.0
    start = last = None
    for t, v in sorted(shifts):
        if start is None or t - last > 1000 or t - start > 5000:
            start, current = t, 0.0
        current += v
        last = t
        best = max(best, current)
    return best


def kind(resource_type: str, url: str) -> str:
    path = urlparse(url).path
    if resource_type in ("script", "stylesheet", "font", "image", "document"):
        return resource_type
    if path.endswith((".woff", ".woff2", ".ttf", ".otf", ".eot")):
        return "font"
    if path.endswith(".js"):
        return "script"
    return "other"


def measure(site: Path) -> dict:
    from playwright.sync_api import sync_playwright

    pages = html_pages(site)
    results: dict = {}
    with serve_site(site) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for path in pages:
            entry: dict = {"cls": {}, "bytes": defaultdict(int), "gzip": defaultdict(int)}
            for label, (w, h) in WIDTHS.items():
                context = browser.new_context(viewport={"width": w, "height": h})
                context.add_init_script(OBSERVE_CLS)
                page = context.new_page()
                assets: list[tuple[str, str]] = []
                page.on("requestfinished", lambda r, a=assets: a.append((r.resource_type, r.url)))
                page.goto(base + path, wait_until="load", timeout=120_000)
                try:
                    page.wait_for_load_state("networkidle", timeout=30_000)
                except Exception:  # noqa: BLE001 (measure what arrived)
                    pass
                entry["cls"][label] = round(cls(page.evaluate(SETTLE)), 4)
                if label == "desktop":
                    largest = []
                    for rtype, url in dict.fromkeys(assets):
                        local = site / urlparse(url).path.lstrip("/")
                        if local.is_dir():
                            local = local / "index.html"
                        if not local.is_file():
                            continue
                        body = local.read_bytes()
                        k = kind(rtype, url)
                        entry["bytes"][k] += len(body)
                        entry["gzip"][k] += len(gzip.compress(body, 6))
                        largest.append((len(body), urlparse(url).path))
                    entry["largest"] = sorted(largest, reverse=True)[:6]
                context.close()
            entry["total"] = sum(entry["bytes"].values())
            entry["total_gzip"] = sum(entry["gzip"].values())
            results[path] = entry
            print(
                f"{path:32s} {entry['total'] / 1e6:6.2f} MB ({entry['total_gzip'] / 1e6:5.2f} gz)"
                f"  CLS desktop {entry['cls']['desktop']:.3f} phone {entry['cls']['phone']:.3f}",
                flush=True,
            )
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--json", help="write the full results here")
    args = parser.parse_args()
    results = measure(Path(args.site).resolve())
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
