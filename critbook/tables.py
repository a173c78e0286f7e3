"""Small HTML tables for the chapters (rendered as tables on the site and in Jupyter).

A table is a header row and body rows of already formatted strings; :func:`html_table` escapes
them and returns an object that Jupyter and MyST-NB display as an HTML ``<table>``, with a plain
text fallback for terminals.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["HTMLTable", "html_table"]


class HTMLTable:
    """A displayable table: ``header`` (list of str) and ``rows`` (lists of str)."""

    def __init__(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], caption: str = ""
    ) -> None:
        self.header = [str(h) for h in header]
        self.rows = [[str(c) for c in row] for row in rows]
        for row in self.rows:
            if len(row) != len(self.header):
                raise ValueError(
                    f"every row must have {len(self.header)} cells like the header; got {len(row)}"
                )
        self.caption = str(caption)

    def _repr_html_(self) -> str:
        esc = html.escape
        cell = 'style="text-align:right; padding:0.15em 0.6em"'
        head = "".join(f"<th {cell}>{esc(h)}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td {cell}>{esc(c)}</td>" for c in row) + "</tr>"
            for row in self.rows
        )
        cap = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        return (
            f'<table class="critbook-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>"
        )

    def __repr__(self) -> str:
        widths = [
            max(len(r[i]) for r in [self.header, *self.rows]) for i in range(len(self.header))
        ]
        lines = [
            "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in [self.header, *self.rows]
        ]
        return "\n".join(([self.caption] if self.caption else []) + lines)


def html_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = ""
) -> HTMLTable:
    """An :class:`HTMLTable` from a header and rows of cells (converted with ``str``).

    Examples
    --------
    >>> from critbook.tables import html_table
    >>> t = html_table(["n", "value"], [[32, "0.50"], [64, "0.25"]])
    >>> print(repr(t))
     n  value
    32   0.50
    64   0.25
    >>> t._repr_html_()[:30]
    '<table class="critbook-table">'
    """
    return HTMLTable(header, rows, caption)
