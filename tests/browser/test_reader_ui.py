"""Site-level details a reader meets on every page (issue 13, "small things" and "weight").

Per page, in Chromium: the favicon is the site's own and loads; Font Awesome's 1.5 MB script is
not loaded (its CSS and fonts draw the icons, which are checked to be drawn); the widget manager
(RequireJS + html-manager, 3.7 MB) loads exactly on the pages that hold widgets; no typeset
equation shows a stray backslash (a macro MathJax treated as text); a page that shows no code has
no launch (Binder) button and no .ipynb download, a page that shows code has both. Site-wide: a
solution's title opens the solution; search excerpts hold neither raw TeX nor menu text.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from .conftest import site_dir
from .test_site import MATHJAX_SCRIPT, PAGES, PageWatch, _load, _need, _wait_for_mathjax

pytestmark = pytest.mark.browser

WIDGET_MANAGER = ("/vendor/requirejs/require.js", "/vendor/html-manager/dist/embed-amd.js")

# Each typeset equation carries a hidden MathML copy (for screen readers) whether it was typeset
# at build time or in the browser; a text node (mtext) holding a backslash is a macro typeset as
# literal text (e.g. \_ inside \texttt{...}).
MTEXT_WITH_BACKSLASH_JS = """() => Array.from(document.querySelectorAll('mjx-assistive-mml mtext'))
  .filter(e => e.textContent.includes('\\\\'))
  .map(e => e.closest('mjx-container').parentElement.textContent.slice(0, 80))"""

# Every icon of the theme's header and sidebars is drawn by Font Awesome's CSS (a ::before glyph
# from its web font) or is an <svg>: none is left as an empty box.
UNDRAWN_ICONS_JS = """() => Array.from(document.querySelectorAll(
      'header i[class*="fa-"], header span[class*="fa-"], .bd-header-article i[class*="fa-"],'
    + '.bd-header-article span[class*="fa-"], .bd-sidebar-primary i[class*="fa-"]'))
  .filter(e => e.getBoundingClientRect().width > 0)
  .filter(e => {
    const before = getComputedStyle(e, '::before');
    return !(before.content && before.content !== 'none' && before.content !== 'normal'
             && /Font Awesome/.test(before.fontFamily));
  })
  .map(e => e.className)"""


@pytest.mark.parametrize("path", PAGES)
def test_page_assets_and_buttons(page, site_url: str, path: str) -> None:
    _need(path)
    requested: list[str] = []
    page.on("requestfinished", lambda r: requested.append(urlparse(r.url).path))
    watch = PageWatch(page, site_url)
    _load(page, site_url + path)
    problems = list(watch.problems)
    if page.evaluate("() => !!document.querySelector('.bd-header-article')") is False:
        pytest.skip(f"{path}: not a book page (a redirect)")

    icon = page.evaluate(
        "() => { const l = document.querySelector('link[rel~=icon]'); return l && l.href; }"
    )
    if not icon or not icon.endswith("_static/favicon.svg"):
        problems.append(f"no site favicon (link rel=icon: {icon})")
    else:
        response = page.request.get(icon)
        if not (response.ok and "svg" in response.headers.get("content-type", "")):
            problems.append(f"favicon does not load as SVG: {icon} ({response.status})")

    if any(p.endswith("/fontawesome.js") for p in requested):
        problems.append("Font Awesome's script is loaded (its CSS draws the icons)")
    page.wait_for_function("() => document.fonts.status === 'loaded'", timeout=30_000)
    undrawn = page.evaluate(UNDRAWN_ICONS_JS)
    problems += [f"icon not drawn: {c}" for c in undrawn]

    has_widgets = page.evaluate(
        """() => !!document.querySelector(
               'script[type="application/vnd.jupyter.widget-state+json"]')"""
    )
    for asset in WIDGET_MANAGER:
        loaded = any(p.endswith(asset) for p in requested)
        if loaded != has_widgets:
            problems.append(
                f"{asset} {'loaded' if loaded else 'not loaded'} on a page "
                f"{'with' if has_widgets else 'without'} widgets"
            )

    if page.locator("span.math, div.math").count():
        _wait_for_mathjax(page)
        problems += [
            f"backslash typeset as text in: {t}" for t in page.evaluate(MTEXT_WITH_BACKSLASH_JS)
        ]

    shows_code = page.locator("article .cell_input").count() > 0
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    launch = [h for h in hrefs if "/v2/gh/" in h]
    notebook = [h for h in hrefs if "/_sources/" in h and h.endswith(".ipynb")]
    if shows_code and not (launch and notebook):
        problems.append(f"shows code but offers launch {launch} / .ipynb {notebook}")
    if not shows_code and (launch or notebook):
        problems.append(f"shows no code but offers launch {launch} / .ipynb {notebook}")

    assert not problems, f"{path}:\n  " + "\n  ".join(dict.fromkeys(problems))


def _first_page_with(marker: str) -> str:
    for p in PAGES:
        if not p.startswith("(") and marker in (site_dir() / p).read_text():
            return p
    pytest.fail(f"no page contains {marker!r}")


def test_solution_title_opens_solution(page, site_url: str) -> None:
    """A click on the exercise link in "Solution to Exercise N" opens the solution in place."""
    _need(PAGES[0])
    path = _first_page_with('class="solution dropdown')
    watch = PageWatch(page, site_url)
    _load(page, site_url + path)
    solution = page.locator(".solution.dropdown").first
    content = solution.locator("section").first
    page.wait_for_function(
        "() => document.querySelector('.solution.dropdown').classList.contains('toggle-hidden')"
    )
    assert not content.is_visible(), "the solution starts folded"
    url = page.url
    link = solution.locator(".admonition-title a").first
    link.scroll_into_view_if_needed()
    link.click()
    page.wait_for_timeout(300)
    assert page.url == url, f"the title's link was followed: {url} -> {page.url}"
    assert content.is_visible(), "clicking the solution's title did not open the solution"
    solution.locator(".admonition-title").first.click(position={"x": 5, "y": 5})
    page.wait_for_timeout(300)
    assert not content.is_visible(), "a second click on the title folds the solution again"
    assert not watch.problems, watch.problems


@pytest.mark.parametrize("word", ["softmax", "critical"])
def test_search_excerpts_are_plain_text(page, site_url: str, word: str) -> None:
    """Search result excerpts hold neither raw TeX nor the header menus' text.

    MyST writes every equation (``$...$`` in the sources) into the HTML as ``\\(...\\)`` or
    ``\\[...\\]``, which is what an unconverted equation looks like in an excerpt; a ``$`` can
    only come from code the page shows (e.g. a matplotlib label), which excerpts may quote.
    """
    _need(PAGES[0])
    watch = PageWatch(page, site_url)
    _load(page, site_url + f"search.html?q={word}")
    page.wait_for_selector("#search-results ul.search li p.context", timeout=60_000)
    page.wait_for_function(
        """() => /finished|did not match/.test(
               (document.querySelector('#search-results .search-summary') || {}).textContent)""",
        timeout=60_000,
    )
    excerpts = page.eval_on_selector_all(
        "#search-results ul.search li p.context", "els => els.map(e => e.textContent)"
    )
    assert len(excerpts) >= 3, excerpts
    bad = [
        e
        for e in excerpts
        if any(s in e for s in ("\\(", "\\[", "\\frac", ".pdf", ".ipynb", "Binder"))
    ]
    assert not bad, f"{len(bad)} of {len(excerpts)} excerpts with TeX or menu text: {bad[:3]}"
    assert any(word in e.lower() for e in excerpts), excerpts
    assert not watch.problems, watch.problems


def test_search_index_has_no_tex_words() -> None:
    """The search index holds an equation's Greek letters but none of its TeX commands.

    (tools/reader_site.py.) ``frac``, ``mathrm``, ... appear nowhere in the book's prose or
    code, so any of them in the index came from an equation; ``gamma`` and ``beta`` must still
    lead to the chapters that use them.
    """
    import json

    _need(PAGES[0])
    text = (site_dir() / "searchindex.js").read_text()
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    # A term maps to a page number or a list of them; an incremental build keeps terms of pruned
    # pages with an empty list.
    terms = {w: [p] if isinstance(p, int) else p for w, p in index["terms"].items()}
    tex = [
        w for w in ("frac", "mathrm", "langl", "rangl", "mathbb", "qquad", "lvert") if terms.get(w)
    ]
    assert not tex, f"TeX words in the search index: {tex}"
    pages = {i: name for i, name in enumerate(index["docnames"])}
    for word in ("gamma", "beta", "rho"):
        found = {pages[i] for i in terms.get(word, [])}
        assert "chapters/phase_transition" in found, (word, sorted(found))


@pytest.mark.parametrize("path", PAGES)
def test_equations_are_typeset_in_the_html(browser, site_url: str, path: str) -> None:
    """Every equation is typeset in the HTML itself (tools/prerender_math.py).

    With JavaScript off, each Sphinx math element already holds MathJax's output and no raw TeX
    delimiter is left in the page's text; and only pages with widgets load MathJax (1.2 MB).
    """
    _need(path)
    if 'http-equiv="Refresh"' in (site_dir() / path).read_text()[:500]:
        pytest.skip(f"{path} only redirects")
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + path, wait_until="load")
        state = page.evaluate(
            """(selector) => ({
              math: document.querySelectorAll('span.math, div.math').length,
              typeset: document.querySelectorAll(
                'span.math > mjx-container, div.math > mjx-container').length,
              raw: /\\\\[()\\[\\]]/.test(document.querySelector('article, main, body').innerText),
              mathjax: !!document.querySelector(selector),
              widgets: !!document.querySelector(
                'script[type="application/vnd.jupyter.widget-view+json"]'),
            })""",
            MATHJAX_SCRIPT,
        )
    finally:
        context.close()
    assert state["typeset"] == state["math"], state
    assert not state["raw"], f"{path}: raw TeX delimiters in the page's text"
    assert state["mathjax"] == (state["widgets"] and state["math"] > 0), state


def test_prerender_reports_bad_equations(tmp_path) -> None:
    """tools/prerender_math.js typesets a page and names the equations it cannot typeset.

    A page with a good equation, an undefined macro and ``\\_`` in ``\\texttt`` (which the
    book's MathJax typesets as an underscore): the good ones are typeset, the undefined macro is
    reported (the build then fails), and the page stops loading MathJax.
    """
    import json
    import shutil
    import subprocess

    from tools.prerender_math import MATHJAX_ES5, SCRIPT

    node = shutil.which("node")
    if node is None or not (MATHJAX_ES5 / "node-main.js").is_file():
        pytest.skip("no Node.js or no vendored MathJax (python tools/vendor_js.py)")
    (tmp_path / "p.html").write_text(
        '<html><head><script defer src="_static/../vendor/mathjax/tex-mml-chtml.js?v=1">'
        '</script></head><body><p><span class="math">\\(\\gamma_c\\)</span>'
        '<span class="math">\\(\\texttt{seq\\_length}\\)</span>'
        '<span class="math">\\(\\nosuchmacro x\\)</span></p></body></html>'
    )
    run = subprocess.run(
        [node, str(SCRIPT), str(MATHJAX_ES5), str(tmp_path), "p.html"],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert run.returncode == 1, run.stderr
    assert report["equations"] == 3
    assert [p for p in report["problems"] if "nosuchmacro" not in p] == []
    assert any("TeX error" in p for p in report["problems"])
    html = (tmp_path / "p.html").read_text()
    assert html.count("<mjx-container") == 3 and "seq_length" in html
    assert "tex-mml-chtml" not in html and "critbook-mathjax-chtml" in html
    # one style sheet, its fonts under the site's vendor/ folder
    assert html.count("@font-face") > 0 and "critbook-mathjax-fonts" not in html
    assert 'url("vendor/mathjax/output/chtml/fonts/woff-v2/' in html
