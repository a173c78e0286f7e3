"""Numbers as HTML tables, for notebooks and the book.

Tables of numbers in the book are HTML tables, so that they reflow and read on
a phone. :func:`html_table` builds one from columns of values (header to
values, like a pandas ``DataFrame`` built from a dict), with a format per
column and an optional caption. The result displays as an HTML ``<table>`` in
Jupyter and on the built site, and as aligned text in a terminal.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["HTMLTable", "html_table"]


class HTMLTable:
    """A displayable table: ``header`` (str) and ``rows`` of formatted cells (str)."""

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence[str]], caption: str = ""):
        self.header = [str(h) for h in header]
        self.rows = [[str(c) for c in row] for row in rows]
        self.caption = str(caption)

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{esc(h)}</th>" for h in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in self.rows
        )
        cap = f"<caption>{esc(self.caption)}</caption>" if self.caption else ""
        return (
            f'<table class="critbook-table">{cap}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>"
        )

    def __repr__(self) -> str:
        table = [self.header, *self.rows]
        widths = [max(len(r[i]) for r in table) for i in range(len(self.header))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in table]
        return "\n".join(([self.caption] if self.caption else []) + lines)


def html_table(
    columns: Mapping[str, Sequence[object]],
    formats: Mapping[str, str] | None = None,
    *,
    caption: str = "",
) -> HTMLTable:
    """A table from columns of values.

    Parameters
    ----------
    columns : mapping of str to sequence
        Column header to values; all columns have the same length.
    formats : mapping of str to str, optional
        Format specification per column (e.g. ``".3f"``); other columns use
        ``str``. A NaN is shown as an en dash.
    caption : str, optional

    Returns
    -------
    HTMLTable

    Examples
    --------
    >>> from critbook.tables import html_table
    >>> columns = {"n": [10, 100], "value": [0.5, 0.25]}
    >>> t = html_table(columns, {"value": ".2f"})
    >>> print(repr(t))
      n  value
     10   0.50
    100   0.25
    >>> "<td>0.25</td>" in t._repr_html_()
    True
    """
    formats = {} if formats is None else formats
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns must all have the same length; got lengths {sorted(lengths)}")

    def cell(key: str, value: object) -> str:
        if isinstance(value, float) and np.isnan(value):
            return "\u2013"
        return format(value, formats[key]) if key in formats else str(value)

    count = lengths.pop() if lengths else 0
    rows = [[cell(k, v[i]) for k, v in columns.items()] for i in range(count)]
    return HTMLTable(list(columns), rows, caption)
