"""Site-level details for readers (a local Sphinx extension, listed in ``_config.yml``).

* Pages that show no code (the API reference, whose one cell is ``remove-input``; the ledger;
  the references) get no launch (Binder) button and no ``.ipynb`` download: sphinx-book-theme
  adds both to every page built from a notebook, whether or not the reader sees any code. The
  ``.md`` source and print-to-PDF entries stay.
* The search index gets no TeX from equations: Sphinx indexes every text node, so a search for
  ``frac`` or ``mathrm`` found every page with an equation. Each equation now contributes only
  the names of the Greek letters in it (a search for ``gamma`` still finds the pages about
  gamma); the page itself is unchanged.
* ``_static/reader-ui.js`` (added to every page by Jupyter Book, as every ``_static/*.js`` is)
  makes a click on a solution's title open the solution, and writes search excerpts without the
  header menus' text and without raw TeX. ``_static/favicon.svg`` is the site's icon
  (``html.favicon`` in ``_config.yml``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def shows_code(doctree: nodes.document | None) -> bool:
    """True when the page shows the reader at least one code cell's source (folded or not).

    MyST-NB drops the input of ``remove-input``/``remove-cell`` cells from the doctree, so what
    is left with the ``cell_input`` class is code the reader can see (``hide-input`` folds it).
    """
    if doctree is None:
        return False
    return any("cell_input" in node.get("classes", ()) for node in doctree.findall(nodes.Element))


def drop_notebook_buttons(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Remove the launch group and the .ipynb download from a page that shows no code."""
    buttons = context.get("header_buttons")
    if not buttons or shows_code(doctree):
        return
    kept = []
    for button in buttons:
        if button.get("label") == "launch-buttons":
            continue
        if button.get("label") == "download-buttons":
            button = {
                **button,
                "buttons": [
                    b for b in button["buttons"] if b.get("label") != "download-notebook-button"
                ],
            }
        kept.append(button)
    context["header_buttons"] = kept


MACROS = "static/webpack-macros.html"  # pydata-sphinx-theme's asset macros (head scripts)
FONTAWESOME_JS = re.compile(r"[ \t]*<script[^>]*scripts/fontawesome\.js[^>]*></script>[ \t]*\n?")


def without_fontawesome_js(app: Sphinx, config: Any) -> None:
    """Put a copy of the theme's macro file without the Font Awesome script first in line."""
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    source = (theme / MACROS).read_text()
    patched, count = FONTAWESOME_JS.subn("", source)
    if count != 1:  # the theme changed: keep its file (and the script) rather than guess
        from sphinx.util import logging

        logging.getLogger(__name__).warning(
            f"reader_site: no Font Awesome script tag found in {theme / MACROS}; kept as is"
        )
        return
    templates = Path(app.outdir).parent / "reader_site_templates"
    (templates / MACROS).parent.mkdir(parents=True, exist_ok=True)
    (templates / MACROS).write_text(patched)
    config.templates_path = [str(templates), *config.templates_path]


#: TeX commands that name a Greek letter: the words an equation gives the search index.
GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta lambda mu nu xi pi rho sigma tau"
    " phi varphi chi psi omega Gamma Delta Theta Lambda Sigma Phi Omega".split()
)
TEX_COMMAND = re.compile(r"\\([A-Za-z]+)")


def math_search_words(tex: str) -> list[str]:
    """The words of an equation's TeX source that the search index keeps: its Greek letters."""
    return [name.lower() for name in TEX_COMMAND.findall(tex) if name in GREEK]


def index_math_as_greek_words() -> None:
    """Make Sphinx's search indexer see each equation as its Greek letters' names only.

    Sphinx has no option for this: its ``WordCollector`` indexes every text node. The indexer's
    ``feed`` is wrapped to index a copy of the page's doctree in which every ``math`` and
    ``math_block`` node is replaced by a text node of :func:`math_search_words`.
    """
    from sphinx.search import IndexBuilder

    original = IndexBuilder.feed
    if getattr(original, "critbook", False):
        return

    def feed(self: Any, docname: str, filename: str, title: str, doctree: Any) -> None:
        copy = doctree.deepcopy()
        for node in list(copy.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block)))):
            node.replace_self(nodes.Text(" ".join(math_search_words(node.astext()))))
        original(self, docname, filename, title, copy)

    feed.critbook = True  # type: ignore[attr-defined]
    IndexBuilder.feed = feed  # type: ignore[method-assign]


def setup(app: Sphinx) -> dict[str, Any]:
    index_math_as_greek_words()
    app.connect("config-inited", without_fontawesome_js)
    # sphinx-book-theme fills header_buttons at priority 501; this runs after it.
    app.connect("html-page-context", drop_notebook_buttons, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
