"""Sphinx extension: the ``critbook-api`` directive used by ``chapters/api.md``.

``.. critbook-api:: critbook`` documents every name in ``critbook.__all__`` (in that order), one
section per module the names come from, titled with the module name and introduced by the first
paragraph of the module's docstring. Each entry is an ordinary ``autofunction`` / ``autoclass``
(numpydoc renders the docstring), so a name added to ``__all__`` appears on the page at the next
build with no edit here.

Each function's entry also gets an "Allowed values" list, one line per checked argument, from
``tests/input_contract.py`` (the table of bad inputs that ``tests/test_robustness.py`` tries):
the text is inserted after numpydoc's rendering, before the entry's examples. The parameter
descriptions, returns, raises and notes are folded into a dropdown, so that an entry shows its
signature, one-paragraph summary, allowed values and example at a glance. On a page holding
the directive, the "Contents" sidebar shows the functions under their module (one level deeper
than the theme's default, ``show_toc_level: 1``, elsewhere in the book).

Use it inside ``{eval-rst}`` in a MyST page: autodoc generates reStructuredText.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

_TESTS = Path(__file__).resolve().parents[1] / "tests"
_PAGE_CLASS = "critbook-api-module"


def _input_contract():
    """``tests/input_contract.py``, the one source of the "Allowed values" lines."""
    if "input_contract" not in sys.modules and str(_TESTS) not in sys.path:
        sys.path.insert(0, str(_TESTS))
    return importlib.import_module("input_contract")


# Page-scoped style of the entries: compact spacing, the allowed-values list in a smaller type, and
# signatures (and long names in the Contents sidebar) that wrap instead of overflowing.
_CSS = """<style>
.critbook-api-module dl.py { margin-bottom: 1.25rem; }
.critbook-api-module dl.py > dt { overflow-wrap: anywhere; flex-wrap: wrap; }
.critbook-api-module dl.py > dd p.rubric { margin: 0.75rem 0 0.25rem; }
.critbook-api-module .critbook-details { margin: 0.5rem 0; }
.critbook-allowed { font-size: 0.9em; }
.critbook-allowed ul { margin-bottom: 0.25rem; }
.critbook-allowed li > p { margin: 0; }
#pst-page-toc-nav code { font-size: 0.75rem; padding: 0 0.2em; }
#pst-page-toc-nav code, #pst-page-toc-nav code .pre {
  white-space: normal; overflow-wrap: anywhere;
}
</style>"""


class PackageApi(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        package_name = self.arguments[0]
        package = importlib.import_module(package_name)
        # The top-level package: one section per module its names come from. A subpackage that
        # users import themselves (critbook.plots, critbook.live, ...): one section.
        top = "." not in package_name
        groups: dict[str, list[tuple[str, object]]] = {}
        for name in package.__all__:
            obj = getattr(package, name)
            key = getattr(obj, "__module__", package_name) if top else package_name
            groups.setdefault(key, []).append((name, obj))

        source = self.get_source_info()[0]
        sections: list[nodes.Node] = []
        if not self.env.temp_data.get("critbook_api_css"):
            self.env.temp_data["critbook_api_css"] = True
            sections.append(nodes.raw("", _CSS, format="html"))
        if top:
            target = StringList([f".. py:module:: {package_name}", ""], source)
            holder = nodes.container()
            self.state.nested_parse(target, self.content_offset, holder)
            sections.extend(holder.children)
        for module_name, members in groups.items():
            module = sys.modules.get(module_name) or importlib.import_module(module_name)
            if getattr(module, "__file__", None):
                self.env.note_dependency(module.__file__)
            section = nodes.section(
                ids=[nodes.make_id(f"api-{module_name}")], classes=[_PAGE_CLASS]
            )
            section += nodes.title("", "", nodes.literal(text=module_name))
            lines = StringList()
            # Declares the module, so that :mod: references to it resolve (and it is indexed).
            lines.append(f".. py:module:: {module_name}", source)
            lines.append("", source)
            summary = (inspect.getdoc(module) or "").strip().split("\n\n")[0]
            for line in summary.splitlines():
                lines.append(line, source)
            lines.append("", source)
            for name, obj in members:
                if inspect.isclass(obj):
                    lines.append(f".. autoclass:: {package_name}.{name}", source)
                    lines.append("   :members:", source)
                elif callable(obj):
                    lines.append(f".. autofunction:: {package_name}.{name}", source)
                else:
                    lines.append(f".. autodata:: {package_name}.{name}", source)
                    lines.append("   :no-value:", source)
                lines.append("", source)
            self.state.nested_parse(lines, self.content_offset, section)
            sections.append(section)
        return sections


_FIELD = re.compile(r"^:([A-Z][A-Za-z ]*):")
_RUBRIC = re.compile(r"^\.\. rubric:: (.+)$")


def _process_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    """autodoc-process-docstring, after numpydoc: shape an entry of the API page.

    An entry reads: signature, summary (the docstring's first paragraph),
    "Allowed values" (functions checked by ``tests/input_contract.py``), example.
    The rest (description, parameters, returns, raises, notes) is folded into a
    dropdown between the summary and the allowed values, so that the page stays
    short and the examples in view.
    """
    if what not in ("function", "class") or not name.startswith("critbook."):
        return
    block: list[str] = []
    if what == "function" and name.count(".") == 1:
        contract = _input_contract()
        app.env.note_dependency(contract.__file__)
        block = contract.allowed_rst(name.rsplit(".", 1)[1])
    examples = next(
        (i for i, line in enumerate(lines) if line.strip() == ".. rubric:: Examples"), len(lines)
    )
    # The summary (first paragraph) stays in view; the rest up to the examples is folded.
    start = next((i for i, line in enumerate(lines) if line.strip()), 0)
    first = next(
        (
            i
            for i, line in enumerate(lines[start:examples], start)
            if not line.strip() or _FIELD.match(line) or _RUBRIC.match(line)
        ),
        examples,
    )
    details = lines[first:examples]
    while details and not details[-1].strip():
        details.pop()
    while details and not details[0].strip():
        details.pop(0)
    folded: list[str] = []
    if details:
        heads = (_FIELD.match(line) or _RUBRIC.match(line) for line in details)
        titles = [m.group(1) for m in heads if m]
        if not (_FIELD.match(details[0]) or _RUBRIC.match(details[0])):
            titles.insert(0, "Description")
        folded = [
            "",
            f".. dropdown:: {', '.join(dict.fromkeys(titles))}",
            "   :class-container: critbook-details",
            "",
            *(f"   {line}" if line.strip() else "" for line in details),
            "",
        ]
    lines[first:examples] = [*folded, *([""] if block else []), *block, ""]


def _show_functions_in_sidebar(app, pagename, templatename, context, doctree) -> None:
    """On the API page, the "Contents" sidebar lists the functions too, not only the modules."""
    if doctree is None:
        return
    for section in doctree.findall(nodes.section):
        if _PAGE_CLASS in section["classes"]:
            context["theme_show_toc_level"] = 2
            return


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx_design")  # the dropdowns of the entries
    app.add_directive("critbook-api", PackageApi)
    # After numpydoc's mangle_docstrings (priority 500); before the themes' page-context handlers
    # (html-page-context stops at the first handler that returns a value).
    app.connect("autodoc-process-docstring", _process_docstring, priority=600)
    app.connect("html-page-context", _show_functions_in_sidebar, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
