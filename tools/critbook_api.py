"""Sphinx extension: the ``critbook-api`` directive used by ``chapters/api.md``.

``.. critbook-api:: critbook`` documents every name in ``critbook.__all__`` (in that order), one
section per module the names come from, titled with the module name and introduced by the first
paragraph of the module's docstring. Each entry is an ordinary ``autofunction`` / ``autoclass``
(numpydoc renders the docstring), so a name added to ``__all__`` appears on the page at the next
build with no edit here.

Use it inside ``{eval-rst}`` in a MyST page: autodoc generates reStructuredText.
"""

from __future__ import annotations

import importlib
import inspect
import sys

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


class PackageApi(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        package_name = self.arguments[0]
        package = importlib.import_module(package_name)
        groups: dict[str, list[tuple[str, object]]] = {}
        for name in package.__all__:
            obj = getattr(package, name)
            groups.setdefault(getattr(obj, "__module__", package_name), []).append((name, obj))

        source = self.get_source_info()[0]
        sections: list[nodes.Node] = []
        target = StringList([f".. py:module:: {package_name}", ""], source)
        holder = nodes.container()
        self.state.nested_parse(target, self.content_offset, holder)
        sections.extend(holder.children)
        for module_name, members in groups.items():
            module = sys.modules.get(module_name) or importlib.import_module(module_name)
            if getattr(module, "__file__", None):
                self.env.note_dependency(module.__file__)
            section = nodes.section(ids=[nodes.make_id(f"api-{module_name}")])
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
                lines.append("", source)
            self.state.nested_parse(lines, self.content_offset, section)
            sections.append(section)
        return sections


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.add_directive("critbook-api", PackageApi)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
