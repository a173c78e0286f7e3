"""Figures of Chapter 6 (a pretrained transformer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike, NDArray

from .._checks import as_real_array

if TYPE_CHECKING:  # matplotlib >= 3.8
    pass


from ._style import COLUMN_WIDTH, column_figure, decorate, legend_below, new_axes

__all__ = ["plot_heads_by_layer", "plot_entropy_vs_gap", "plot_argmax_by_position"]


def plot_heads_by_layer(
    ns: ArrayLike,
    medians: ArrayLike,
    labels: Sequence[str],
    axes: Sequence[Axes] | NDArray[np.object_] | None = None,
) -> NDArray[np.object_]:
    """Per-layer medians of head statistics against the sequence length, one panel per statistic.

    Parameters
    ----------
    ns : array_like, shape (k,)
        Sequence lengths.
    medians : array_like, shape (panels, layers, k)
        ``medians[p, l, i]``: the median over heads of layer ``l`` of statistic ``p`` at ``ns[i]``.
    labels : sequence of str
        The y-axis label of each panel.
    axes : sequence of matplotlib.axes.Axes, optional

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from critbook.plots import plot_heads_by_layer
    >>> values = np.ones((2, 6, 2))
    >>> axes = plot_heads_by_layer([32, 64], values, ["a", "b"])
    >>> len(axes), len(axes[0].lines)
    (2, 6)
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    ns = as_real_array(ns, "ns", low=2.0).ravel()
    values = as_real_array(medians, "medians")
    if values.ndim != 3 or values.shape[2] != ns.size or values.shape[0] != len(labels):
        raise ValueError(
            f"medians must have shape (panels, layers, len(ns)) = ({len(labels)}, L, {ns.size}); "
            f"got {values.shape}"
        )
    if axes is None:
        _, axes = column_figure(1, values.shape[0], height=3.6)
    axes = np.atleast_1d(axes)
    layers = values.shape[1]
    colors = mpl.colormaps["viridis"](np.linspace(0.0, 0.85, layers))
    for ax, panel, label in zip(axes, values, labels):
        for layer in range(layers):
            ax.plot(
                ns,
                panel[layer],
                "o-",
                color=colors[layer],
                ms=3.5,
                lw=1.6,
                label=f"layer {layer + 1}",
            )
        ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [f"{int(n)}" for n in ns])
        ax.minorticks_off()
        decorate(ax, "sequence length $n$", label, legend=None)
    handles, names = axes[0].get_legend_handles_labels()
    axes[0].figure.legend(handles, names, loc="outside lower center", ncol=min(layers, 6))
    return axes


def plot_entropy_vs_gap(
    gaps: ArrayLike,
    entropies: ArrayLike,
    ns: ArrayLike,
    curves: Mapping[str, tuple[ArrayLike, ArrayLike]],
    ax: Axes | None = None,
    xmax: float | None = None,
) -> Axes:
    """Row entropy against logit gap (both over ``log n``) for heads, with reference curves.

    Parameters
    ----------
    gaps, entropies, ns : array_like, shape (m,)
        One point per head and length: ``HeadDiagnosis.gap``, ``.entropy``
        and the head's ``n`` (points are coloured by ``log2 n``).
    curves : mapping of str to (array_like, array_like)
        Label to ``(gap grid, entropy)`` of a reference curve (e.g. from
        :func:`critbook.entropy_vs_gap`); labels with "simplex" are dashed.
    ax : matplotlib.axes.Axes, optional
    xmax : float, optional
        Right end of the gap axis; points beyond it are drawn as triangles
        on the edge (and counted in the legend).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from critbook import entropy_vs_gap
    >>> from critbook.plots import plot_entropy_vs_gap
    >>> g = np.linspace(0, 3, 31)
    >>> ax = plot_entropy_vs_gap([0.5, 1.0], [0.9, 0.6], [32, 512],
    ...                          {"simplex": (g, entropy_vs_gap(32, g))})
    >>> len(ax.lines), len(ax.collections)
    (1, 1)
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    gaps = as_real_array(gaps, "gaps").ravel()
    entropies = as_real_array(entropies, "entropies").ravel()
    ns = as_real_array(ns, "ns", low=2.0).ravel()
    if not gaps.shape == entropies.shape == ns.shape:
        raise ValueError(
            f"gaps, entropies and ns must have the same length; got {gaps.size}, "
            f"{entropies.size}, {ns.size}"
        )
    ax = new_axes(ax, figsize=(COLUMN_WIDTH, 5.0))
    cmap = mpl.colormaps["viridis"]
    inside = np.ones(gaps.shape, bool) if xmax is None else gaps <= xmax
    norm = mpl.colors.Normalize(np.log2(ns).min(), np.log2(ns).max())
    points = ax.scatter(
        gaps[inside],
        entropies[inside],
        c=np.log2(ns[inside]),
        cmap=cmap,
        norm=norm,
        s=9,
        alpha=0.6,
        lw=0,
        label="a head at one length",
    )
    if not inside.all():
        ax.scatter(
            np.full((~inside).sum(), xmax),
            entropies[~inside],
            c=np.log2(ns[~inside]),
            cmap=cmap,
            norm=norm,
            s=30,
            marker=">",
            lw=0,
            clip_on=False,
            label=f"{(~inside).sum()} beyond {xmax:g}, drawn at the edge",
        )
    for label, (grid, values) in curves.items():
        style = "--" if "simplex" in label else "-"
        ax.plot(grid, values, style, color="k" if "512" in label else "0.55", lw=1.8, label=label)
    cbar = ax.figure.colorbar(points, ax=ax, pad=0.02)
    ticks = np.unique(np.log2(ns))
    cbar.set_ticks(ticks, labels=[f"{int(round(2**t))}" for t in ticks])
    cbar.set_label("sequence length $n$")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0.0, xmax)
    return decorate(
        ax,
        r"logit gap / $\log n$ (top logit minus mean logit)",
        r"row entropy / $\log n$",
        **legend_below(ax, ncol=2),
    )


def plot_argmax_by_position(
    bins: ArrayLike, hits: Mapping[str, ArrayLike], ax: Axes | None = None
) -> Axes:
    """Fraction of rows whose largest weight is on the expected key, by query position.

    Parameters
    ----------
    bins : array_like, shape (k + 1,)
        Edges of the position bins.
    hits : mapping of str to array_like, shape (k,) or shorter
        Label (e.g. ``"n = 512"``) to the fraction of rows in each bin; a
        shorter array covers the first bins only (a shorter window).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_argmax_by_position
    >>> share = {"n = 128": [0.9, 1.0]}
    >>> ax = plot_argmax_by_position([0, 64, 128], share)
    >>> len(ax.lines)
    1
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    edges = as_real_array(bins, "bins", low=0.0).ravel()
    ax = new_axes(ax, figsize=(COLUMN_WIDTH, 3.4))
    colors = mpl.colormaps["viridis"](np.linspace(0.0, 0.85, max(len(hits), 1)))
    for color, (label, values) in zip(colors, hits.items()):
        values = as_real_array(values, f"hits[{label!r}]", low=0.0, high=1.0).ravel()
        if not 1 <= values.size <= edges.size - 1:
            raise ValueError(
                f"hits[{label!r}] must have one value per bin (at most {edges.size - 1}); "
                f"got {values.size}"
            )
        ax.step(
            edges[: values.size + 1],
            np.r_[values, values[-1]],
            where="post",
            color=color,
            lw=2,
            label=label,
        )
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlim(edges[0], edges[-1])
    return decorate(
        ax,
        "query position in the window",
        "rows with argmax on\nthe previous token",
        legend="lower right",
        fontsize=None,
    )
