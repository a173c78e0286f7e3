"""The book's figure style: regime colours, new axes and the shared axis decoration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import offset_copy
from numpy.typing import ArrayLike, NDArray

from ..simplex import (
    REGIMES,
    limit_self_weight,
)

if TYPE_CHECKING:  # matplotlib >= 3.8
    from matplotlib.typing import ColorType


__all__ = [
    "COLUMN_WIDTH",
    "BOOK_STYLE",
    "use_book_style",
    "column_figure",
    "new_axes",
    "regime_colors",
    "decorate",
    "legend_below",
]

#: The book's text column in inches at matplotlib's 100 dpi: 690 px, the column's width on a
#: 1280 px screen. A figure this wide is shown at its own size there, so its font sizes are
#: the displayed ones (10.5 pt = 14.6 px); on a phone the column is about 360 px and the
#: figure is shown at about half size (tap it for the full-size image).
COLUMN_WIDTH = 6.9

#: Matplotlib settings for figures drawn for the column (see :func:`use_book_style`).
BOOK_STYLE: dict[str, object] = {
    "figure.figsize": (COLUMN_WIDTH, 4.0),
    "figure.dpi": 100,
    "font.size": 10.5,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.5,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9.5,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "axes.grid": False,
    "figure.constrained_layout.use": True,
}


def _high_dpi_inline_figures() -> None:
    """In IPython (the book's chapters, Jupyter), show figures as 2x PNGs at their normal size.

    The inline backend's "retina" format saves at twice the figure's dpi and tells the page the
    display width, so figures stay sharp on high-density screens and when a phone scales them.
    Outside IPython (scripts, tests) nothing changes.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover (IPython is in the book environment)
        return
    shell = get_ipython()
    if shell is None:
        return
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline.config import InlineBackend

    config = InlineBackend.instance()
    config.figure_formats = {"retina"}  # kept when the inline backend (re)configures itself
    select_figure_formats(shell, {"retina"}, **config.print_figure_kwargs)


_high_dpi_inline_figures()

#: One colour per regime, used in every figure of the book.
regime_colors = {
    "subcritical": "#1f77b4",
    "critical": "#2ca02c",
    "supercritical": "#d62728",
}


def use_book_style() -> None:
    """Draw the following figures for the book's column: :data:`BOOK_STYLE` into ``rcParams``.

    The chapters call it once, in their first (hidden) cell; in one's own notebook it is
    optional (``matplotlib.rcdefaults()`` undoes it).
    """
    mpl.rcParams.update(BOOK_STYLE)


def column_figure(
    nrows: int = 1, ncols: int = 1, *, height: float | None = None, **subplots: object
) -> tuple[Figure, Any]:
    """A new figure as wide as the book's column, with ``nrows x ncols`` axes.

    ``height`` is the figure's height in inches (default: 3.3 per row with two or more
    columns of axes, 4.0 per row with one). At most two columns of axes keep tick labels
    legible at the column's width; use more rows instead. Other keywords go to
    ``matplotlib.pyplot.subplots`` (``sharey=True``, ...). Returns ``(fig, axes)`` as
    ``plt.subplots`` does.
    """
    for name, value in (("nrows", nrows), ("ncols", ncols)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if height is None:
        height = nrows * (3.3 if ncols > 1 else 4.0)
    if not (isinstance(height, (int, float)) and 0 < height < 100):
        raise ValueError(f"height must be a number of inches in (0, 100), got {height!r}")
    subplots.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, figsize=(COLUMN_WIDTH, float(height)), **subplots)


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] = (COLUMN_WIDTH, 4.0)) -> Axes:
    """Return ``ax``, or the axes of a new figure of size ``figsize`` (the column's width)."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def decorate(
    ax: Axes,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    *,
    legend: str | None = "best",
    fontsize: str | None = "small",
    outside: bool = False,
    grid: str | None = "major",
    **legend_options: object,
) -> Axes:
    """The book's axis decoration: labels, title, a frameless legend, a light grid.

    ``None`` leaves a label or the title as it is. ``legend`` is the legend's
    location (``None``: no legend); ``outside=True`` puts it to the right of
    the axes. ``grid`` is ``"major"``, ``"both"`` or ``None`` (no grid).
    """
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    if legend is not None:
        if outside:
            legend_options["bbox_to_anchor"] = (1.01, 1.0)
        ax.legend(loc=legend, frameon=False, fontsize=fontsize, **legend_options)
    if grid is not None:
        ax.grid(alpha=0.3, which=grid)
    return ax


def legend_below(ax: Axes, ncol: int = 2, points: float = 34.0) -> dict[str, object]:
    """Options of :func:`decorate` for a legend centred below ``ax``, under its x label.

    The legend's top is ``points`` below the axes' bottom edge, whatever the axes' size.
    """
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-points, units="points")
    return {
        "legend": "upper center",
        "bbox_to_anchor": (0.5, 0.0),
        "bbox_transform": below,
        "ncol": ncol,
        "fontsize": None,
        "columnspacing": 1.2,
        "handlelength": 2.4,
    }


def plot_limit_step(
    ax: Axes,
    limit: Callable[[NDArray[np.float64] | float], ArrayLike],
    ratios: NDArray[np.float64],
    gamma_c: float,
    *,
    label: str | None = None,
    dot: Mapping[str, object] | None = None,
    **style: object,
) -> None:
    """Draw a limit ``n -> infinity`` that jumps at ``gamma_c``, against ``gamma / gamma_c``.

    ``limit(gamma)`` is evaluated on the ``ratios`` below and above 1 (two lines drawn with
    ``style``, the first labelled ``label``) and at ``gamma_c`` itself (a dot drawn with ``dot``).
    """
    for part, name in ((ratios[ratios < 1.0], label), (ratios[ratios > 1.0], None)):
        ax.plot(part, limit(part * gamma_c), label=name, **style)
    ax.plot([1.0], [limit(gamma_c)], "o", **(dot or {}))


def regimes(ratios: ArrayLike) -> list[str]:
    """The regime of each ``gamma / gamma_c`` (a ratio is ``gamma`` at ``rho = 0``)."""
    weights = np.atleast_1d(limit_self_weight(ratios, 0.0))
    return [REGIMES[int(2 * w)] for w in weights]


def ratio_palette(ratios: ArrayLike) -> list[ColorType]:
    """Blue shades below gamma_c, green at it, red shades above (the regime colours)."""
    ratios = np.atleast_1d(np.asarray(ratios, dtype=np.float64))
    labels = regimes(ratios)
    below = sorted({float(r) for r, g in zip(ratios, labels) if g == "subcritical"})
    above = sorted({float(r) for r, g in zip(ratios, labels) if g == "supercritical"})
    blues = mpl.colormaps["Blues"](np.linspace(0.95, 0.5, max(len(below), 1)))
    reds = mpl.colormaps["Reds"](np.linspace(0.5, 0.95, max(len(above), 1)))
    colors: list[ColorType] = []
    for r, g in zip(ratios, labels):
        if g == "critical":
            colors.append(regime_colors["critical"])
        elif g == "subcritical":
            colors.append(blues[below.index(float(r))])
        else:
            colors.append(reds[above.index(float(r))])
    return colors


def n_colors(count: int) -> list[ColorType]:
    cmap = mpl.colormaps["plasma"]
    return [cmap(x) for x in np.linspace(0.05, 0.75, max(count, 1))]
