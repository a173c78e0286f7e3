"""The book's standard figures, reusable in one's own notebooks.

Every function draws on a matplotlib ``Axes`` (a new figure if none is given),
sets a title and labelled axes, and returns the ``Axes``. Computation is done
by the other critbook modules; this module only draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import as_real_array, check_rho
from .simplex import critical_gamma, simplex_self_weight

__all__ = ["new_axes", "regime_colors", "plot_self_weight"]

#: One colour per regime, used in every figure of the book.
regime_colors = {
    "subcritical": "#1f77b4",
    "critical": "#2ca02c",
    "supercritical": "#d62728",
}


def new_axes(ax: Any = None, figsize: tuple[float, float] = (6.4, 4.0)) -> Any:
    """Return ``ax``, or the axes of a new figure of size ``figsize``."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _ratio_color(ratio: float) -> str:
    if np.isclose(ratio, 1.0):
        return regime_colors["critical"]
    return regime_colors["subcritical" if ratio < 1.0 else "supercritical"]


def plot_self_weight(
    rho: float = 0.5,
    ratios: Sequence[float] = (0.5, 1.0, 2.0),
    ns: Any = None,
    ax: Any = None,
) -> Any:
    """The simplex self weight ``A_ii`` against ``n`` for ``beta = gamma log n``.

    One curve per ``gamma = ratio * gamma_c``: it falls to 0 below the
    critical value, tends to 1/2 at it and rises to 1 above it.

    Parameters
    ----------
    rho : float, default 0.5
        Pairwise cosine of the simplex, in ``[0, 1)``.
    ratios : sequence of float, default (0.5, 1.0, 2.0)
        Values of ``gamma / gamma_c``, each ``>= 0``.
    ns : array_like, optional
        Sequence lengths (``>= 2``); by default 60 values from ``10`` to ``1e12``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_self_weight
    >>> ax = plot_self_weight(rho=0.5)
    >>> len(ax.lines)
    4
    """
    rho = float(check_rho(rho))
    ratios = as_real_array(ratios, "ratios", low=0.0).ravel()
    ns = np.logspace(1, 12, 60) if ns is None else as_real_array(ns, "ns", low=2.0).ravel()
    gc = critical_gamma(rho)
    ax = new_axes(ax)
    for ratio in ratios:
        p = simplex_self_weight(ns, ratio * gc * np.log(ns), rho)
        label = rf"$\gamma = {ratio:g}\,\gamma_c$"
        ax.plot(ns, p, lw=2, color=_ratio_color(ratio), label=label)
    ax.axhline(0.5, color="0.5", lw=1, ls="--", label="1/2")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("number of tokens $n$")
    ax.set_ylabel(r"self weight $A_{ii}$")
    ax.set_title(rf"Self attention weight, simplex with $\rho = {rho:g}$, $\beta = \gamma\log n$")
    ax.legend(loc="center left", frameon=False)
    ax.grid(alpha=0.3)
    return ax
