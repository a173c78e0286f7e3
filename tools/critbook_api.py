"""Sphinx extension: the ``critbook-api`` directive used by ``chapters/api.md``.

``.. critbook-api:: critbook`` documents every name in ``critbook.__all__`` (in that order), one
section per module the names come from, titled with the module name and introduced by the first
paragraph of the module's docstring. Each entry is an ordinary ``autofunction`` / ``autoclass``
(numpydoc renders the docstring), so a name added to ``__all__`` appears on the page at the next
build with no edit here.

Each function's entry also gets an "Allowed values" list, one line per checked argument, from
``tests/input_contract.py`` (the table of bad inputs that ``tests/test_robustness.py`` tries):
the text is inserted after numpydoc's rendering, before the entry's examples. On a page holding
the directive, the "Contents" sidebar shows the functions under their module (one level deeper
than the theme's default, ``show_toc_level: 1``, elsewhere in the book).

Use it inside ``{eval-rst}`` in a MyST page: autodoc generates reStructuredText.
"""

from __future__ import annotations

import importlib
import inspect
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


def _add_allowed_values(app, what, name, obj, options, lines: list[str]) -> None:
    """autodoc-process-docstring (after numpydoc): the function's "Allowed values" before Examples."""
    if what != "function" or name.count(".") != 1 or not name.startswith("critbook."):
        return
    contract = _input_contract()
    app.env.note_dependency(contract.__file__)
    block = contract.allowed_rst(name.rsplit(".", 1)[1])
    if not block:
        return
    at = next(
        (i for i, line in enumerate(lines) if line.strip() == ".. rubric:: Examples"), len(lines)
    )
    if at == len(lines) and lines and lines[-1].strip():
        block = ["", *block]
    lines[at:at] = [*block, ""]


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
    app.add_directive("critbook-api", PackageApi)
    # After numpydoc's mangle_docstrings (priority 500); before the themes' page-context handlers
    # (html-page-context stops at the first handler that returns a value).
    app.connect("autodoc-process-docstring", _add_allowed_values, priority=600)
    app.connect("html-page-context", _show_functions_in_sidebar, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
