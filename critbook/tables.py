"""Numbers as HTML tables, for notebooks and the book.

Tables of numbers in the book are HTML tables (they reflow and read on a
phone), built from columns of values by :func:`html_table`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
from IPython.display import HTML

__all__ = ["html_table"]


def html_table(
    columns: Mapping[str, Sequence[object]], formats: Mapping[str, str] | None = None
) -> HTML:
    """A small HTML table for a notebook or the book (an ``IPython.display.HTML``).

    Parameters
    ----------
    columns : mapping of str to sequence
        Column header to values; all columns have the same length.
    formats : mapping of str to str, optional
        Format specification per column (e.g. ``".3f"``); others use ``str``.
        NaN is shown as an en dash.

    Returns
    -------
    IPython.display.HTML

    Examples
    --------
    >>> from critbook.tables import html_table
    >>> t = html_table({"n": [10, 100], "value": [0.5, 0.25]}, {"value": ".2f"})
    >>> "<td>0.25</td>" in t.data
    True
    """
    formats = {} if formats is None else formats
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns must all have the same length; got lengths {sorted(lengths)}")

    def cell(key: str, value: object) -> str:
        if isinstance(value, float) and np.isnan(value):
            return "&ndash;"
        return html.escape(format(value, formats[key]) if key in formats else str(value))

    head = "".join(f"<th>{html.escape(k)}</th>" for k in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell(k, v[i])}</td>" for k, v in columns.items()) + "</tr>"
        for i in range(lengths.pop() if lengths else 0)
    )
    return HTML(
        f'<table class="critbook-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
