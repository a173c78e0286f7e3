"""The book as read: layout of every page at desktop (1280x800) and phone (390x844), light and dark.

Each page is loaded once per width and mode (after MathJax, widgets and live figures are drawn)
and measured in the browser; the tests below judge the measurements:

* nothing clipped: no display equation, code block, output, table or figure in the article is
  wider than its container, unless an ancestor (or itself) scrolls sideways (overflow-x auto or
  scroll): a reader can then reach what is off to the right, and the book's CSS shows a cue;
* at 390 px the document itself never scrolls sideways;
* code cells do not scroll sideways at 1280 px (code lines of at most about 70 characters);
* images carry at least twice as many pixels as they are displayed wide, or are vector (SVG),
  and each is a link to itself (the full-size image, for a phone reader);
* pacing (the book's chapters, at 1280x800): the first figure within the first two screens and no
  stretch longer than four screens without a figure, table, live figure or box (admonition,
  theorem box, exercise, solution).

A full-page screenshot of every page, width and mode goes to test-artifacts/layout-*.jpg.
Known failures are listed in EXPECTED_FAILURES (strict: a page that starts passing must be
taken off the list).
"""

from __future__ import annotations

import contextlib
import json
import re

import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .conftest import ARTIFACTS, ROOT
from .test_site import _wait_for_mathjax, html_pages

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
MODES = ("light", "dark")

# (check, page) or (check, page, size) -> reason: a strict xfail of that check on that page (at
# that size).
# None at present: every page passes every check.
EXPECTED_FAILURES: dict[tuple, str] = {}


def chapter_pages() -> list[str]:
    """The pages read in sequence: the root page and the toc's first part ("The result")."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = toc.get("parts", [])
    files = [toc["root"]] + [c["file"] for c in (parts[0]["chapters"] if parts else [])]
    return [f + ".html" for f in files]


PAGES = html_pages() or ["(no site built)"]
CHAPTERS = [p for p in chapter_pages() if p in PAGES] or ["(no site built)"]


def _need(page: str) -> None:
    if page.startswith("("):
        pytest.skip(f"{page}: run `make book` first (or set CRITBOOK_SITE)")


def _params(check: str, pages: list[str], *extra: list[str]) -> list:
    """pytest params of (page, *extra), marked strict xfail where EXPECTED_FAILURES says so."""
    import itertools

    params = []
    for combo in itertools.product(pages, *extra):
        reason = EXPECTED_FAILURES.get((check, combo[0])) or EXPECTED_FAILURES.get(
            (check, *combo[:2])
        )
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        params.append(pytest.param(*combo, marks=marks, id="-".join(combo)))
    return params


# The measurements, made in the page. Boxes are in document coordinates (px).
MEASURE_JS = r"""
() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main')
    || document.body;
  const scrollsX = (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const describe = (e) => {
    const t = (e.textContent || e.getAttribute('src') || '').replace(/\s+/g, ' ').trim();
    return `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string'
      ? '.' + e.className.trim().split(/\s+/)[0] : ''} "${t.slice(0, 50)}"`;
  };
  // Elements that must fit their containers.
  const selector = [
    'mjx-container[display="true"]', 'div.math', 'div.highlight', 'div.highlight pre',
    '.cell_output', '.output', '.cell_output pre', 'table', 'figure', 'img',
    '.critbook-live', '.jupyter-widgets', '.admonition', '.proof', '.exercise', '.solution',
  ].join(',');
  const clipped = [];
  for (const e of article.querySelectorAll(selector)) {
    if (!visible(e)) continue;
    const r = e.getBoundingClientRect();
    // The element's own content extends to its scrollWidth unless it scrolls itself.
    const own = scrollsX(e) ? r.width : Math.max(r.width, e.scrollWidth);
    const right = r.left + own;
    let ok = scrollsX(e);
    for (let a = e.parentElement; a && !ok; a = a.parentElement) {
      if (scrollsX(a)) { ok = true; break; }
      const ar = a.getBoundingClientRect();
      const clips = getComputedStyle(a).overflowX !== 'visible';
      if (right > ar.right + 1 && (clips || a === article)) {
        clipped.push(`${describe(e)} is ${Math.round(right - ar.right)} px wider than its `
                     + `container ${a.tagName.toLowerCase()}.${(a.className || '').toString()
                       .trim().split(/\s+/)[0]}`);
        ok = true;  // reported once
      }
      if (a === article) break;
    }
  }
  // Wide content that scrolls inside its own box (allowed; counted for the record).
  const scrolling = Array.from(article.querySelectorAll(selector))
    .filter(e => visible(e) && scrollsX(e) && e.scrollWidth > e.clientWidth + 1)
    .map(e => describe(e));
  // Code cells that scroll sideways.
  const code = Array.from(article.querySelectorAll('.cell_input pre, div.highlight pre'))
    .filter(e => visible(e) && e.scrollWidth > e.clientWidth + 1)
    .map(e => describe(e));
  // Images: pixels against displayed width.
  const images = Array.from(article.querySelectorAll('img'))
    .filter(i => visible(i) && !(i.getAttribute('src') || '').includes('_static/'))
    .map(i => ({src: (i.getAttribute('src') || '').slice(0, 80),
                svg: /\.svg($|\?)|^data:image\/svg/.test(i.getAttribute('src') || ''),
                natural: i.naturalWidth,
                shown: i.getBoundingClientRect().width,
                // the full-size image is one click away: the image is a link to itself
                linked: !!(i.closest('a[href]') && i.closest('a[href]').getAttribute('href')
                           .split('/').pop() === (i.getAttribute('src') || '').split('/').pop())}));
  // Pacing: figures and boxes in document coordinates.
  const y0 = window.scrollY;
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.top + y0, r.bottom + y0]; };
  const figureSel = 'figure, .cell_output img, .critbook-live, .cell_output .jupyter-widgets';
  const figures = Array.from(article.querySelectorAll(figureSel)).filter(visible).map(box);
  const anchors = Array.from(article.querySelectorAll(
      figureSel + ', table, .admonition, .proof, .exercise, .solution, details.dropdown, '
      + 'div.dropdown'))
    .filter(visible).map(box);
  const a = box(article);
  return {clipped, scrolling, code, images, figures, anchors, article: a,
          docWidth: document.documentElement.scrollWidth, viewport: window.innerWidth};
}
"""

_CACHE: dict[tuple[str, str, str], dict] = {}


def _settle(page) -> None:
    if page.locator("span.math, div.math").count():
        _wait_for_mathjax(page)
    views = page.evaluate(
        "() => document.querySelectorAll("
        "'script[type=\"application/vnd.jupyter.widget-view+json\"]').length"
    )
    if views:
        with contextlib.suppress(PlaywrightTimeoutError):
            page.wait_for_function(
                "(n) => document.querySelectorAll('.cell_output .jupyter-widgets').length >= n",
                arg=views,
                timeout=60_000,
            )
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            """() => Array.from(document.querySelectorAll('.critbook-live'))
                   .every(e => e.querySelector('svg, canvas'))""",
            timeout=30_000,
        )
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete)", timeout=30_000
    )


@pytest.fixture(scope="session")
def measure(browser, site_url: str):
    """measure(page, size, mode): the page's layout measurements (cached; one load each)."""
    for old in ARTIFACTS.glob("layout-*.jpg"):
        old.unlink()
    ARTIFACTS.mkdir(exist_ok=True)

    def run(path: str, size: str, mode: str) -> dict:
        key = (path, size, mode)
        if key not in _CACHE:
            width, height = SIZES[size]
            context = browser.new_context(viewport={"width": width, "height": height})
            context.add_init_script(
                f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
            )
            try:
                page = context.new_page()
                page.set_default_timeout(60_000)
                response = page.goto(site_url + path, wait_until="load")
                assert response is not None and response.ok, path
                with contextlib.suppress(PlaywrightTimeoutError):
                    page.wait_for_load_state("networkidle", timeout=15_000)
                _settle(page)
                _CACHE[key] = page.evaluate(MEASURE_JS)
                name = re.sub(r"[^A-Za-z0-9]+", "-", path.removesuffix(".html"))
                page.screenshot(
                    path=str(ARTIFACTS / f"layout-{name}-{width}-{mode}.jpg"),
                    full_page=True,
                    type="jpeg",
                    quality=60,
                )
            finally:
                context.close()
        return _CACHE[key]

    yield run
    # The record of this run: per page, width and mode, how many elements are clipped and how
    # many scroll inside their own box.
    summary = {
        f"{path} {size} {mode}": {
            "clipped": len(m["clipped"]),
            "scrolling": len(m["scrolling"]),
            "code_scrolling": len(m["code"]),
            "first_figure_screen": round(_screens(min(f[0] for f in m["figures"])), 1)
            if m["figures"]
            else None,
            "longest_gap_screens": round(_screens(max(_gaps(m), default=0)), 1),
        }
        for (path, size, mode), m in sorted(_CACHE.items())
    }
    (ARTIFACTS / "layout-measurements.json").write_text(json.dumps(summary, indent=1))


@pytest.mark.parametrize(("path", "size", "mode"), _params("clipped", PAGES, list(SIZES), MODES))
def test_nothing_clipped(measure, path: str, size: str, mode: str) -> None:
    """No equation, code, output, table or figure wider than its container unless it scrolls."""
    _need(path)
    clipped = measure(path, size, mode)["clipped"]
    assert not clipped, f"{path} at {size}, {mode}: {len(clipped)} clipped:\n  " + "\n  ".join(
        clipped
    )


@pytest.mark.parametrize(("path", "mode"), _params("sideways", PAGES, MODES))
def test_phone_page_does_not_scroll_sideways(measure, path: str, mode: str) -> None:
    _need(path)
    m = measure(path, "phone", mode)
    assert m["docWidth"] <= m["viewport"], (
        f"{path}: the document is {m['docWidth']} px wide in a {m['viewport']} px viewport"
    )


@pytest.mark.parametrize("path", _params("code", PAGES))
def test_code_cells_fit_at_desktop(measure, path: str) -> None:
    """Code lines are short enough (about 70 characters) not to scroll at 1280 px."""
    _need(path)
    code = measure(path, "desktop", "light")["code"]
    assert not code, f"{path}: {len(code)} code block(s) scroll sideways:\n  " + "\n  ".join(code)


@pytest.mark.parametrize(("path", "size"), _params("images", PAGES, list(SIZES)))
def test_images_are_sharp(measure, path: str, size: str) -> None:
    """Every content image has at least 2 pixels per displayed px (or is SVG) and links to itself."""
    _need(path)
    blurry = [
        f"{i['src']}: {i['natural']} px shown at {i['shown']:.0f} px"
        for i in measure(path, size, "light")["images"]
        if not i["svg"] and i["natural"] < 2 * i["shown"] - 1
    ]
    assert not blurry, f"{path} at {size}: images below 2x:\n  " + "\n  ".join(blurry)
    unlinked = [i["src"] for i in measure(path, size, "light")["images"] if not i["linked"]]
    assert not unlinked, f"{path}: images that do not link to their full size: {unlinked}"


def _screens(y: float) -> float:
    return y / SIZES["desktop"][1]


def _gaps(m: dict, with_start: bool = False) -> list:
    """The stretches (px) of the article with no figure, table or box, in reading order."""
    top, bottom = m["article"]
    gaps, reach = [], top
    for start, end in sorted(m["anchors"]) + [[bottom, bottom]]:
        if start > reach:
            gaps.append((reach, start - reach) if with_start else start - reach)
        reach = max(reach, end)
    return gaps


@pytest.mark.parametrize("path", _params("first-figure", CHAPTERS))
def test_first_figure_early(measure, path: str) -> None:
    """A chapter with figures shows one within its first two screens at 1280x800."""
    _need(path)
    m = measure(path, "desktop", "light")
    if not m["figures"]:
        pytest.skip(f"{path} has no figure")
    top = min(f[0] for f in m["figures"])
    assert _screens(top) <= 2, f"{path}: first figure at screen {_screens(top):.1f}"


@pytest.mark.parametrize("path", _params("gaps", CHAPTERS))
def test_no_long_stretch_without_a_figure_or_box(measure, path: str) -> None:
    """No stretch of more than four screens (1280x800) without a figure, table or box."""
    _need(path)
    m = measure(path, "desktop", "light")
    gaps = [
        f"screens {_screens(start):.1f} to {_screens(start + gap):.1f}"
        for start, gap in _gaps(m, with_start=True)
        if gap > 4 * SIZES["desktop"][1]
    ]
    assert not gaps, f"{path}: stretches of more than four screens without a figure or box: " + (
        ", ".join(gaps)
    )


def test_layout_tests_cover_the_book() -> None:
    """Guard: the chapters list is the toc's, and the expected failures name real pages."""
    _need(PAGES[0])
    assert len(CHAPTERS) >= 2, CHAPTERS
    unknown = [key for key in EXPECTED_FAILURES if key[1] not in PAGES]
    assert not unknown, f"EXPECTED_FAILURES names pages not in the site: {unknown}"
    assert all(
        k[0] in {"clipped", "sideways", "code", "images", "first-figure", "gaps"}
        for k in EXPECTED_FAILURES
    )
