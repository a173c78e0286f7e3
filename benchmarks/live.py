"""Budgets of the live figures (critbook.live) on the built site, in headless Chromium.

    .venv/bin/python -m benchmarks.live [--site _build/html] [--moves 40]

For each chapter with a live figure, served by ``python -m http.server``-style static serving on
127.0.0.1 (and once from ``file://``):

* first chart: milliseconds from navigation start until the chart is drawn (budget 1000 ms);
* slider move: from the input event to the end of the redraw (the Vega view has run and the next
  frame is painted), over ``--moves`` random settings of every slider (budget: median 50 ms,
  95th percentile 100 ms);
* data: bytes of the figure's HTML (spec and tables) in the page, raw and gzipped (budget 1 MB
  gzipped), and the vendored Vega libraries (shared by all pages, cached after the first).

Uses Debian's Chromium (/usr/bin/chromium, or $CRITBOOK_CHROMIUM) through Playwright.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import os
import re
import statistics
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

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


def _serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


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

    chromium = os.environ.get("CRITBOOK_CHROMIUM", "/usr/bin/chromium")
    server, base = _serve(site)
    external: list[str] = []
    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=ARGS)
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
                first.append(
                    float(
                        page.evaluate(
                            "() => document.querySelector('.critbook-live').dataset.drawnMs"
                        )
                    )
                )
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
            rows.append(
                (
                    path,
                    statistics.median(first),
                    max(first),
                    statistics.median(times),
                    p95,
                    len(times),
                    raw,
                    gz,
                    from_file,
                )
            )
        browser.close()
    server.shutdown()
    vendor_raw = sum((site / v).stat().st_size for v in VENDOR)
    vendor_gz = sum(len(gzip.compress((site / v).read_bytes(), 9)) for v in VENDOR)

    print(
        f"{'page':32} {'first ms':>9} {'(max)':>6} {'move med':>9} {'p95':>6} {'moves':>6}"
        f" {'data kB':>8} {'gz kB':>6} {'file://':>7}"
    )
    for path, first, worst, med, p95, count, raw, gz, from_file in rows:
        print(
            f"{path:32} {first:9.0f} {worst:6.0f} {med:9.1f} {p95:6.1f} {count:6d}"
            f" {raw / 1e3:8.0f} {gz / 1e3:6.0f} {from_file:>7}"
        )
    print(
        f"vendored Vega, Vega-Lite, Vega-Embed (once per site, cached): "
        f"{vendor_raw / 1e6:.2f} MB, {vendor_gz / 1e3:.0f} kB gzipped"
    )
    print(f"requests to other hosts: {len(external)}" + (f" {external[:5]}" if external else ""))
    ok = all(r[2] < 1000 and r[3] <= 50 and r[4] <= 100 and r[7] <= 1e6 for r in rows)
    print(
        "budgets (first < 1 s, move median <= 50 ms, p95 <= 100 ms, data <= 1 MB gz):",
        "met" if ok and not external else "NOT met",
    )


if __name__ == "__main__":
    main()
