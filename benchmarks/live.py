"""Budgets of the live figures (critbook.live) on the built site, in headless Chromium.

    .venv/bin/python -m benchmarks.live [--site _build/html] [--moves 40]

For each chapter with a live figure, served by ``python -m http.server``-style static serving on
127.0.0.1 (and once from ``file://``):

* first chart: milliseconds from navigation start until the chart is drawn, beside the page's own
  DOMContentLoaded and load events, when the libraries were ready and the chart's own work
  (budget: drawn within 1 s of the page's load);
* slider move: from the input event to the end of the redraw (the Vega view has run and the next
  frame is painted), over ``--moves`` random settings of every slider (budget: median 50 ms,
  95th percentile 100 ms);
* data: bytes of the figure's HTML (spec and tables) in the page, raw and gzipped (budget 1 MB
  gzipped), and the vendored Vega libraries (shared by all pages, cached after the first).

Uses Debian's Chromium (/usr/bin/chromium, or $CRITBOOK_CHROMIUM) through Playwright.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# One Chromium setup and one static server for the tests, the page-weight tool and this benchmark.
from tests.browser.conftest import CHROMIUM_ARGS, chromium_path, serve_site  # noqa: E402

PAGES = [
    "chapters/rank_collapse.html",
    "chapters/tractable_model.html",
    "chapters/phase_transition.html",
    "chapters/gradients.html",
    "chapters/practice.html",
]
VENDOR = [
    "vendor/vega/vega.min.js",
    "vendor/vega-lite/vega-lite.min.js",
    "vendor/vega-embed/vega-embed.min.js",
]

# Milliseconds from navigation start: the chart drawn; the page's DOMContentLoaded and load
# events; the three libraries loaded and run; the chart's own work (embed start to drawn).
TIMING_JS = """() => {
  const el = document.querySelector('.critbook-live');
  const nav = performance.getEntriesByType('navigation')[0];
  return {drawn: +el.dataset.drawnMs, dcl: nav.domContentLoadedEventEnd,
          load: nav.loadEventEnd, libs: window.critbookVegaReadyMs || 0,
          own: +el.dataset.drawnMs - +el.dataset.embedStartMs};
}"""

MOVE_JS = """async ([steps, seed]) => {
  const el = document.querySelector('.critbook-live');
  const view = el.critbookView;
  const sliders = Array.from(el.querySelectorAll('.vega-bindings input[type=range]'));
  let x = seed;
  const random = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  const times = [];
  for (let k = 0; k < steps; k++) {
    for (const s of sliders) {
      const lo = +s.min, hi = +s.max, step = +s.step || 1;
      s.value = String(lo + Math.round(random() * (hi - lo) / step) * step);
      const t0 = performance.now();
      s.dispatchEvent(new Event('input', {bubbles: true}));
      await view.runAsync();
      await new Promise(r => requestAnimationFrame(() => r()));
      times.push(performance.now() - t0);
    }
  }
  return times;
}"""


def _figure_bytes(html: str) -> tuple[int, int]:
    parts = re.findall(
        r'(<div class="critbook-live".*?</script>\s*<script>.*?</script>)', html, re.DOTALL
    )
    blob = "".join(parts).encode()
    return len(blob), len(gzip.compress(blob, 9))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", default=os.environ.get("CRITBOOK_SITE", ROOT / "_build/html"))
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args()
    site = Path(args.site).resolve()
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    rows = []
    with serve_site(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        for path in PAGES:
            html = (site / path).read_text()
            raw, gz = _figure_bytes(html)
            first = []
            for _ in range(3):  # cold cache each time: a new context
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.on(
                    "request",
                    lambda r: (
                        external.append(r.url) if not r.url.startswith((base, "data:")) else None
                    ),
                )
                page.goto(base + path, wait_until="load")
                page.wait_for_function(
                    "() => document.querySelector('.critbook-live')?.dataset.ready === '1'",
                    timeout=30_000,
                )
                first.append(page.evaluate(TIMING_JS))
                context.close()
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(base + path, wait_until="load")
            page.wait_for_function(
                "() => document.querySelector('.critbook-live')?.dataset.ready === '1'"
            )
            page.evaluate(MOVE_JS, [3, 7])  # warm-up
            times = sorted(page.evaluate(MOVE_JS, [args.moves, 1]))
            context.close()
            # file://
            page = browser.new_page()
            page.goto((site / path).as_uri(), wait_until="load")
            try:
                page.wait_for_function(
                    "() => document.querySelector('.critbook-live')?.dataset.ready === '1'",
                    timeout=20_000,
                )
                from_file = "yes"
            except Exception:  # noqa: BLE001
                from_file = "no"
            page.close()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            timing = {k: statistics.median(t[k] for t in first) for k in first[0]}
            rows.append(
                (path, timing, statistics.median(times), p95, len(times), raw, gz, from_file)
            )
        browser.close()
    vendor_raw = sum((site / v).stat().st_size for v in VENDOR)
    vendor_gz = sum(len(gzip.compress((site / v).read_bytes(), 9)) for v in VENDOR)

    print(f"load average while measuring: {os.getloadavg()[0]:.1f} (2 cores)")
    print(
        f"{'page':32} {'drawn':>6} {'DCL':>6} {'load':>6} {'libs':>6} {'own':>5}"
        f" {'move med':>8} {'p95':>5} {'moves':>5} {'data kB':>7} {'gz kB':>5} {'file://':>7}"
    )
    for path, t, med, p95, count, raw, gz, from_file in rows:
        print(
            f"{path:32} {t['drawn']:6.0f} {t['dcl']:6.0f} {t['load']:6.0f} {t['libs']:6.0f}"
            f" {t['own']:5.0f} {med:8.1f} {p95:5.1f} {count:5d} {raw / 1e3:7.0f} {gz / 1e3:5.0f}"
            f" {from_file:>7}"
        )
    print(
        "(ms from navigation start, median of 3 cold loads: drawn = first chart drawn; DCL and"
        " load = the page's events; libs = Vega loaded and run; own = the chart's embed and"
        " first render)"
    )
    print(
        f"vendored Vega, Vega-Lite, Vega-Embed (once per site, cached): "
        f"{vendor_raw / 1e6:.2f} MB, {vendor_gz / 1e3:.0f} kB gzipped"
    )
    print(f"requests to other hosts: {len(external)}" + (f" {external[:5]}" if external else ""))
    checks = {
        "first chart drawn <= 1 s after the page's load event": all(
            r[1]["drawn"] - r[1]["load"] <= 1000 for r in rows
        ),
        "first chart drawn <= 1 s after navigation start": all(r[1]["drawn"] <= 1000 for r in rows),
        "slider move median <= 50 ms": all(r[2] <= 50 for r in rows),
        "slider move p95 <= 100 ms": all(r[3] <= 100 for r in rows),
        "data per page <= 1 MB gzipped": all(r[6] <= 1e6 for r in rows),
        "no request to another host": not external,
        "works from file://": all(r[7] == "yes" for r in rows),
    }
    for name, ok in checks.items():
        print(f"  {'met    ' if ok else 'NOT met'}  {name}")


if __name__ == "__main__":
    main()
