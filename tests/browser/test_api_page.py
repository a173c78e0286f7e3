"""The API reference page (chapters/api.html) as a reader uses it, in headless Chromium.

Every public name of ``critbook.__all__`` has an entry with an example and a visible link in the
page's "Contents" sidebar (under its module, not cut off); every function checked by
``tests/input_contract.py`` shows its "Allowed values" list with the contract's text, one item
per argument, before its example; the page has no code cell, hence no launch or
notebook-download button; at 390 px nothing makes the page scroll sideways. Screenshots (1280
and 390 px) go to test-artifacts/.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from input_contract import allowed_values

import critbook

from .conftest import site_dir
from .test_site import PageWatch, _load

pytestmark = pytest.mark.browser

API = "chapters/api.html"


def _need_site() -> None:
    if not (site_dir() / API).is_file():
        pytest.skip("no built site: run `make book` first (or set CRITBOOK_SITE)")


def _open(browser, site_url: str, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    watch = PageWatch(page, site_url)
    _load(page, site_url + API)
    return context, page, watch


def test_every_public_name_has_an_entry_with_an_example(site: Path) -> None:
    html = (site / API).read_text()
    missing = [n for n in critbook.__all__ if f'id="critbook.{n}"' not in html]
    assert not missing, f"not in the API page: {missing}"
    starts = sorted(html.index(f'id="critbook.{n}"') for n in critbook.__all__)
    entries = [html[a:b] for a, b in zip(starts, [*starts[1:], len(html)])]
    without_example = [e[len('id="') :].split('"', 1)[0] for e in entries if ">Examples<" not in e]
    assert not without_example, f"API entries without an example: {without_example}"


def test_sidebar_lists_every_function(browser, site_url: str, artifacts: Path) -> None:
    """At 1280 px each public name is a visible link of the Contents sidebar, under its module."""
    _need_site()
    context, page, watch = _open(browser, site_url, 1280, 800)
    try:
        links = page.evaluate(
            """() => Array.from(document.querySelectorAll('#pst-page-toc-nav a'))
                .filter(a => a.offsetParent !== null && a.getBoundingClientRect().height > 0)
                .map(a => ({href: a.getAttribute('href'), text: a.textContent.trim(),
                            module: (a.closest('ul').closest('li')?.querySelector(':scope > a')
                                     ?.getAttribute('href')) || ''}))"""
        )
        by_href = {link["href"]: link for link in links}
        clipped = page.evaluate(
            """() => { const side = document.querySelector('.bd-sidebar-secondary')
                                        .getBoundingClientRect();
                return Array.from(document.querySelectorAll('#pst-page-toc-nav code'))
                    .filter(c => c.getBoundingClientRect().right > side.right + 1)
                    .map(c => c.textContent); }"""
        )
        assert not clipped, f"names cut off at the sidebar's right edge: {clipped}"
        problems = []
        for name in critbook.__all__:
            link = by_href.get(f"#critbook.{name}")
            module = getattr(critbook, name).__module__
            if link is None:
                problems.append(f"{name}: no visible link in the Contents sidebar")
            elif link["module"] != f"#module-{module}":
                problems.append(f"{name}: listed under {link['module']!r}, not {module}")
        assert not problems, "\n".join(problems)
        # One section per module, in the sidebar as well.
        modules = {getattr(critbook, n).__module__ for n in critbook.__all__}
        assert {f"#module-{m}" for m in modules} <= set(by_href)
        page.screenshot(path=str(artifacts / "site-api-1280.png"))
        assert not watch.problems, "\n".join(watch.problems)
    finally:
        context.close()


def test_allowed_values_in_each_entry(browser, site_url: str) -> None:
    """Each checked function's entry shows "Allowed values": one item per argument, the contract's
    text, before the entry's examples."""
    _need_site()
    context, page, _ = _open(browser, site_url, 1280, 800)
    try:
        shown = page.evaluate(
            """() => Object.fromEntries(Array.from(document.querySelectorAll('dl.py.function'))
                .map(dl => {
                    const dd = dl.querySelector(':scope > dd');
                    const rubrics = Array.from(dd.querySelectorAll(':scope > p.rubric'))
                        .map(p => p.textContent.trim());
                    const items = Array.from(
                        dd.querySelectorAll(':scope > .critbook-allowed li'))
                        .map(li => li.textContent.replace(/\\s+/g, ' ').trim());
                    return [dl.querySelector(':scope > dt').id, {rubrics, items}];
                }))"""
        )
    finally:
        context.close()
    problems = []
    values = allowed_values()
    for name in critbook.__all__:
        if not inspect.isfunction(getattr(critbook, name)):
            continue
        entry = shown.get(f"critbook.{name}")
        if entry is None:
            problems.append(f"{name}: no function entry")
            continue
        expected = [f"{a}: {' '.join(t.replace('`', '').split())}" for a, t in values.get(name, [])]
        assert expected, f"{name}: no row in tests/input_contract.py"
        if entry["items"] != expected:
            problems.append(f"{name}: allowed values {entry['items']} != {expected}")
        rubrics = entry["rubrics"]
        if "Allowed values" not in rubrics:
            problems.append(f"{name}: no 'Allowed values' heading")
        elif "Examples" in rubrics and rubrics.index("Allowed values") > rubrics.index("Examples"):
            problems.append(f"{name}: 'Allowed values' after the examples")
    assert not problems, "\n".join(problems)


def test_no_code_cells_nor_launch_buttons(site: Path) -> None:
    """A reference page without code offers no Binder launch nor .ipynb download."""
    html = (site / API).read_text()
    assert 'class="cell' not in html
    assert "mybinder.org" not in html
    assert ".ipynb" not in html


def test_phone_width_has_no_sideways_scroll(browser, site_url: str, artifacts: Path) -> None:
    """At 390 px the document is not wider than the viewport (long signatures wrap)."""
    _need_site()
    context, page, watch = _open(browser, site_url, 390, 844)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(
            """() => Array.from(document.querySelectorAll('article *'))
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                             && !e.closest('pre, .highlight'))
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ': '
                                      + e.textContent.slice(0, 60))"""
        )
        page.screenshot(path=str(artifacts / "site-api-390.png"))
        assert width <= 390, f"page {width} px wide at 390 px: {wide}"
        assert not watch.problems, "\n".join(watch.problems)
    finally:
        context.close()
