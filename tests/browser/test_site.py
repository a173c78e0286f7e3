"""The built site as a reader gets it, checked page by page in headless Chromium.

Generic on purpose: every HTML page found in the built site is loaded, whatever the chapters
contain, so new pages are covered without touching this file. For each page: it loads; no request
(the favicon included) fails or goes to a host other than 127.0.0.1 (the site must be self-contained: no CDN); no console
error or uncaught exception; every equation is typeset by MathJax without a TeX error; every image
loads and, in the book's content, has alt text and a caption; every saved widget is drawn.
Site-wide: search finds a chapter; each notebook page launches on Binder at branch main with its
own path and offers .ipynb and .md downloads; figures and widgets stay readable in dark mode
(screenshots of both modes go to test-artifacts/).
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tools import site_pages

from .conftest import ROOT, site_dir

pytestmark = pytest.mark.browser

MATHJAX_TIMEOUT_MS = 60_000
WIDGET_TIMEOUT_MS = 60_000


def html_pages() -> list[str]:
    """Every HTML page of the built site, as paths relative to its root."""
    return site_pages.html_pages(site_dir())


def notebook_pages() -> list[str]:
    """Pages built from a MyST notebook that show code (they have launch and .ipynb buttons).

    A notebook page whose code is all removed (``remove-input``) has neither; test_reader_ui
    checks that.
    """
    pages = []
    for page in html_pages():
        source = ROOT / (page[: -len(".html")] + ".md")
        if (
            source.is_file()
            and "kernelspec:" in source.read_text().split("\n---", 1)[0]
            and "cell_input" in (site_dir() / page).read_text()
        ):
            pages.append(page)
    return pages


PAGES = html_pages() or ["(no site built)"]
NOTEBOOK_PAGES = notebook_pages() or ["(no notebook page)"]


def _need(page: str) -> None:
    if page.startswith("("):
        pytest.skip(f"{page}: run `make book` first (or set CRITBOOK_SITE)")


class PageWatch:
    """Collects everything that goes wrong while a page loads."""

    def __init__(self, page, base_url: str) -> None:
        self.problems: list[str] = []
        host = urlparse(base_url).netloc

        def route(route) -> None:
            url = urlparse(route.request.url)
            if url.scheme in ("http", "https", "ws", "wss") and url.netloc != host:
                self.problems.append(
                    f"request to another host (not self-contained): {route.request.url}"
                )
                route.abort()
            else:
                route.continue_()

        # No exception for /favicon.ico: the site has its own icon (_static/favicon.svg), so
        # Chromium never asks for the default one, and a 404 there would be reported.
        def on_response(response) -> None:
            if response.status >= 400:
                self.problems.append(f"HTTP {response.status}: {response.url}")

        def on_failed(request) -> None:
            self.problems.append(f"request failed: {request.url} ({request.failure})")

        def on_console(message) -> None:
            if message.type == "error":
                location = message.location.get("url", "") if message.location else ""
                self.problems.append(f"console error: {message.text} [{location}]")

        page.route("**/*", route)
        page.on("response", on_response)
        page.on("requestfailed", on_failed)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught exception: {error}"))


MATHJAX_SCRIPT = 'script[src*="mathjax/tex-mml-chtml.js"]'


def _load(page, url: str) -> None:
    """Open a page and let it settle (the checks then wait for what they need explicitly)."""
    page.set_default_timeout(60_000)  # two cores shared with book builds can be slow
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    # A page that keeps fetching is judged by the checks that follow, not by this wait.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_load_state("networkidle", timeout=15_000)


def _wait_for_mathjax(page) -> None:
    """Wait for MathJax to typeset, on a page that loads it.

    The build typesets the equations (tools/prerender_math.py), and only pages with widgets load
    MathJax (for the widgets' labels); a page without the script is typeset already.
    """
    if not page.evaluate(f"() => !!document.querySelector('{MATHJAX_SCRIPT}')"):
        return
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
        timeout=MATHJAX_TIMEOUT_MS,
    )
    page.evaluate("() => MathJax.startup.promise")


def _widget_view_count(page) -> int:
    return page.evaluate(
        """() => document.querySelectorAll(
               'script[type="application/vnd.jupyter.widget-view+json"]').length"""
    )


def _wait_for_widgets(page, expected: int) -> None:
    """Wait until the widget manager has drawn one view per saved widget view."""
    page.wait_for_function(
        """(n) => document.querySelectorAll(
                '.cell_output .jupyter-widgets.widget-container, .cell_output .jupyter-widgets'
            ).length >= n""",
        arg=expected,
        timeout=WIDGET_TIMEOUT_MS,
    )


@pytest.mark.parametrize("path", PAGES)
def test_page(page, site_url: str, path: str) -> None:
    """One page: loads cleanly, self-contained, maths typeset, images and widgets drawn."""
    _need(path)
    watch = PageWatch(page, site_url)
    _load(page, site_url + path)
    problems = watch.problems

    # Equations: every Sphinx math node holds a MathJax rendering, with no TeX error.
    math_nodes = page.locator("span.math, div.math").count()
    if math_nodes:
        _wait_for_mathjax(page)
        untypeset = page.evaluate(
            """() => Array.from(document.querySelectorAll('span.math, div.math'))
                   .filter(e => !e.querySelector('mjx-container'))
                   .map(e => e.textContent.trim().slice(0, 80))"""
        )
        problems += [f"equation not typeset: {t}" for t in untypeset]
        errors = page.evaluate(
            "() => Array.from(document.querySelectorAll('mjx-merror'))"
            ".map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 120))"
        )
        problems += [f"TeX error in an equation: {e}" for e in errors]
        assert page.locator("mjx-container").count() >= math_nodes

    # Widgets: the page saved widget views; each must be drawn by the widget manager.
    views = _widget_view_count(page)
    if views:
        try:
            _wait_for_widgets(page, views)
        except Exception:  # noqa: BLE001 (report, with whatever else went wrong)
            problems.append(f"{views} widget view(s) saved but not drawn")
        drawn = page.evaluate(
            """() => Array.from(document.querySelectorAll('.cell_output .jupyter-widgets'))
                   .filter(e => e.getBoundingClientRect().width > 0).length"""
        )
        if views and not drawn:
            problems.append("no widget has a visible size")
        broken = page.evaluate(
            """() => Array.from(document.querySelectorAll('.jupyter-widgets'))
                   .filter(e =>
                       /Error (rendering|displaying) (Jupyter )?widget/i.test(e.textContent))
                   .length"""
        )
        if broken:
            problems.append(f"{broken} widget(s) show a rendering error")

    # Images: all load; in the content, each has alt text and sits in a captioned figure.
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete)", timeout=30_000
    )
    broken_images = page.evaluate(
        "() => Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.src)"
    )
    problems += [f"image did not load: {src}" for src in broken_images]
    for img in page.evaluate(
        """() => Array.from(document.querySelectorAll('article img'))
               .filter(i => !(i.getAttribute('src') || '').includes('_static/'))  // theme icons
               .map(i => {
               const fig = i.closest('figure');
               const cap = fig && fig.querySelector('figcaption');
               return {src: i.getAttribute('src'), alt: (i.getAttribute('alt') || '').trim(),
                       caption: cap ? cap.textContent.trim() : ''};
           })"""
    ):
        if not img["alt"]:
            problems.append(f"image without alt text: {img['src']}")
        if not img["caption"]:
            problems.append(f"image without a figure caption: {img['src']}")

    assert not problems, f"{path}:\n  " + "\n  ".join(dict.fromkeys(problems))


def test_site_has_pages() -> None:
    """Guard against a silently empty run: the toc's pages are all in the built site."""
    _need(PAGES[0])
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    missing = [f for f in files if f"{f}.html" not in PAGES]
    assert not missing, f"pages in _toc.yml missing from the built site: {missing}"


def test_widgets_exist_somewhere() -> None:
    """The book has explorers: at least one page saves widget views (so the check above runs)."""
    _need(PAGES[0])
    with_widgets = [
        p
        for p in PAGES
        if "application/vnd.jupyter.widget-view+json" in (site_dir() / p).read_text()
    ]
    assert with_widgets, "no page of the site holds a saved widget"


def test_search_finds_a_chapter(page, site_url: str) -> None:
    _need(PAGES[0])
    watch = PageWatch(page, site_url)
    _load(page, site_url + "search.html?q=critical")
    page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
    hrefs = page.eval_on_selector_all(
        "#search-results ul.search li a", "els => els.map(e => e.getAttribute('href'))"
    )
    assert any(h and h.startswith("chapters/") for h in hrefs), hrefs
    assert not watch.problems, watch.problems


def _repository() -> tuple[str, str]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/"), config["repository"].get("branch", "master")


@pytest.mark.parametrize("path", NOTEBOOK_PAGES)
def test_binder_and_downloads(page, site_url: str, path: str) -> None:
    """The Binder link opens this chapter on branch main; .ipynb and .md downloads work."""
    _need(path)
    repo_url, branch = _repository()
    assert branch == "main", "repository.branch must be main (the default, master, 404s)"
    _load(page, site_url + path)

    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    binder = [h for h in hrefs if "/v2/gh/" in h]
    assert binder, f"{path}: no Binder launch link"
    link = urlparse(binder[0])
    owner_repo = urlparse(repo_url).path.strip("/")
    assert link.path == f"/v2/gh/{owner_repo}/{branch}", binder[0]
    source = path[: -len(".html")] + ".md"
    urlpath = parse_qs(link.query).get("urlpath", [""])[0]
    assert urlpath.endswith("/" + source) or parse_qs(link.query).get("filepath") == [source], (
        binder[0]
    )
    assert (ROOT / source).is_file()

    downloads = {Path(urlparse(h).path).suffix: h for h in hrefs if "/_sources/" in h}
    assert {".ipynb", ".md"} <= downloads.keys(), f"{path}: download offers {sorted(downloads)}"
    notebook = page.request.get(downloads[".ipynb"])
    assert notebook.ok, downloads[".ipynb"]
    import nbformat

    nb = nbformat.reads(notebook.text(), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    markdown = page.request.get(downloads[".md"])
    assert markdown.ok and "kernelspec:" in markdown.text(), downloads[".md"]


# Dark mode -----------------------------------------------------------------------------------

CONTRAST_JS = """
(selector) => {
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return rgba(getComputedStyle(document.body).backgroundColor).slice(0, 3);
  };
  return Array.from(document.querySelectorAll(selector))
    .filter(e => e.textContent.trim() && e.getBoundingClientRect().width > 0)
    .map(e => {
      const fg = rgba(getComputedStyle(e).color).slice(0, 3);
      const bg = background(e);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      return {text: e.textContent.trim().slice(0, 40), ratio: (a + 0.05) / (b + 0.05)};
    });
}
"""

FIGURE_BACKGROUND_JS = """
() => Array.from(document.querySelectorAll('article figure img')).map(img => {
  const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const corners = [[1, 1], [c.width - 2, 1], [1, c.height - 2], [c.width - 2, c.height - 2]];
  const px = corners.map(([x, y]) => Array.from(ctx.getImageData(x, y, 1, 1).data));
  return {src: img.getAttribute('src'), filter: getComputedStyle(img).filter, corners: px};
})
"""


def _first_page_with(marker: str) -> str | None:
    for p in PAGES:
        if not p.startswith("(") and marker in (site_dir() / p).read_text():
            return p
    return None


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_dark_mode_readable(browser, site_url: str, artifacts: Path, mode: str) -> None:
    """Figures keep a light, opaque, non-inverted background; widget text keeps its contrast."""
    _need(PAGES[0])
    widget_pages = [
        p
        for p in PAGES
        if not p.startswith("(") and "widget-view+json" in (site_dir() / p).read_text()
    ]
    targets = [p for p in [_first_page_with("<figure"), *widget_pages] if p]
    assert targets, "no page with a figure or a widget to check"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(
        f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
    )
    problems: list[str] = []
    try:
        for path in dict.fromkeys(targets):
            page = context.new_page()
            watch = PageWatch(page, site_url)
            _load(page, site_url + path)
            assert page.evaluate("document.documentElement.dataset.theme") == mode
            views = _widget_view_count(page)
            if views:
                _wait_for_widgets(page, views)
            if page.locator("span.math, div.math").count():
                _wait_for_mathjax(page)
            name = re.sub(r"[^A-Za-z0-9]+", "-", path.removesuffix(".html"))
            page.screenshot(path=str(artifacts / f"site-{name}-{mode}.png"), full_page=True)

            for fig in page.evaluate(FIGURE_BACKGROUND_JS):
                if "invert" in fig["filter"]:
                    problems.append(f"{path}: figure inverted in {mode} mode: {fig['src']}")
                for r, g, b, a in fig["corners"]:
                    if a < 250 or min(r, g, b) < 200:
                        problems.append(
                            f"{path}: figure background not opaque and light ({r},{g},{b},{a}):"
                            f" unreadable on a dark page: {fig['src']}"
                        )
                        break
            for item in page.evaluate(
                CONTRAST_JS,
                ".cell_output .jupyter-widgets .widget-label, "
                ".cell_output .jupyter-widgets .widget-readout, "
                ".cell_output .jupyter-widgets button, .cell_output .jupyter-widgets pre",
            ):
                if item["ratio"] < 4.5:
                    problems.append(
                        f"{path}: widget text {item['text']!r} has contrast {item['ratio']:.1f}"
                        f" < 4.5 in {mode} mode"
                    )
            problems += watch.problems
            page.close()
    finally:
        context.close()
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_widget_state_is_json(site: Path) -> None:
    """Saved widget state parses (a truncated state draws nothing, silently)."""
    for path in PAGES:
        if path.startswith("("):
            pytest.skip("no site")
        html = (site / path).read_text()
        for block in re.findall(
            r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>',
            html,
            re.DOTALL,
        ):
            json.loads(block)
