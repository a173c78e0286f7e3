"""The input contract of critbook's public functions: one row per bad input.

Single source of truth for the robustness tests (``tests/test_robustness.py``
tries every row) and for the "Inputs and errors" table of the API reference page
(rendered by :func:`markdown_table`).

Each case: the function name (in ``critbook``), a short description of the
argument and the bad value, a callable making the call, the exception type
expected, and a fragment the message must contain (the argument's name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import critbook as cb


@dataclass(frozen=True)
class Case:
    function: str
    argument: str
    bad_value: str
    call: Callable[[], Any]
    error: type[Exception]
    fragment: str


CASES: list[Case] = [
    Case("attention_layer", "X", "1-D array", lambda: cb.attention_layer(np.ones(3), 1.0),
         ValueError, "X"),
    Case("simplex_layer", "rho", "1.5", lambda: cb.simplex_layer(10, 1.0, 1.5), ValueError, "rho"),
]


def markdown_table() -> str:
    """The contract as a Markdown table (function, argument, bad value, error)."""
    lines = [
        "| function | argument | bad value | raises |",
        "|---|---|---|---|",
    ]
    for c in CASES:
        lines.append(f"| `{c.function}` | `{c.argument}` | {c.bad_value} | `{c.error.__name__}` |")
    return "\n".join(lines)
