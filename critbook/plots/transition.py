"""Figures of Chapter 3 (the phase transition, and depth)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator
from numpy.typing import ArrayLike

from .._checks import as_real_array, check_rho
from ..simplex import (
    approach_exponent,
    critical_gamma,
    limit_self_weight,
    simplex_angle_ratio,
    simplex_layer,
    simplex_limit,
    simplex_self_weight,
)

if TYPE_CHECKING:  # matplotlib >= 3.8
    from matplotlib.typing import ColorType


from ._style import (
    COLUMN_WIDTH,
    decorate,
    n_colors,
    new_axes,
    plot_limit_step,
    ratio_palette,
    regime_colors,
)

__all__ = [
    "plot_phase_diagram",
    "plot_limit_sweep",
    "plot_limit_approach",
    "plot_gamma_window",
    "plot_sparsity",
]


def plot_phase_diagram(
    values: ArrayLike,
    rhos: ArrayLike,
    gammas: ArrayLike,
    ax: Axes | None = None,
    label: str = r"angle ratio $\lambda$",
    title: str | None = None,
    *,
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    cmap: str = "viridis",
    critical: bool = True,
    colorbar: bool = True,
    key: bool = True,
) -> Axes:
    """A heat map of any quantity over a ``(rho, gamma)`` grid, with ``gamma = 1/(1 - rho)``.

    Metric-agnostic: pass the output of :func:`critbook.phase_diagram` (or
    any array with one row per ``gamma`` and one column per ``rho``) and name
    the quantity with ``label``.

    Parameters
    ----------
    values : array_like, shape (len(gammas), len(rhos))
        The map; ``values[k, j]`` belongs to ``gammas[k]`` and ``rhos[j]``.
    rhos, gammas : array_like
        Grid coordinates (increasing), horizontal and vertical axes.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    label : str
        Name of the quantity (colour-bar label).
    title : str, optional
        Axes title; default ``label`` over ``(rho, gamma)``.
    vmin, vmax : float or None, default 0 and 1
        Colour range (``None``: from the data).
    cmap : str, default "viridis"
        Matplotlib colour map.
    critical : bool, default True
        Draw the dashed curve ``gamma = 1 / (1 - rho)``.
    colorbar : bool, default True
        Add a colour bar.
    key : bool, default True
        Name the dashed curve on the map itself, beside the curve (white on a
        dark box, readable on every colour of the map). ``False`` for a key
        drawn elsewhere, e.g. one for several panels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from critbook.plots import plot_phase_diagram
    >>> rhos, gammas = np.linspace(0, 0.8, 5), np.linspace(0, 6, 4)
    >>> ax = plot_phase_diagram(np.zeros((4, 5)), rhos, gammas)
    >>> len(ax.lines)  # the dashed critical curve
    1
    """
    rhos = as_real_array(rhos, "rhos").ravel()
    gammas = as_real_array(gammas, "gammas").ravel()
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (gammas.size, rhos.size):
        raise ValueError(
            f"values must have shape (len(gammas), len(rhos)) = ({gammas.size}, {rhos.size}); "
            f"got {values.shape}"
        )
    ax = new_axes(ax, figsize=(COLUMN_WIDTH, 4.6))
    mesh = ax.pcolormesh(
        rhos, gammas, values, shading="nearest", cmap=cmap, vmin=vmin, vmax=vmax, rasterized=True
    )
    if critical:
        fine = np.linspace(rhos.min(), min(rhos.max(), 1.0 - 1e-9), 200)
        curve = 1.0 / (1.0 - fine)
        inside = curve <= gammas.max()
        ax.plot(fine[inside], curve[inside], color="white", ls="--", lw=2)
        # The key sits just left of the curve, 60% of the way up the map.
        gamma_key = gammas.min() + 0.6 * (gammas.max() - gammas.min())
        rho_key = 1.0 - 1.0 / gamma_key if gamma_key > 1.0 else -np.inf
        if key and rhos.min() < rho_key <= rhos.max():
            ax.text(
                rho_key - 0.03 * (rhos.max() - rhos.min()),
                gamma_key,
                r"$\gamma = 1/(1-\rho)$",
                color="white",
                ha="right",
                va="center",
                fontsize="small",
                bbox={"boxstyle": "round,pad=0.25", "fc": "black", "alpha": 0.6, "lw": 0},
            )
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=label)
    return decorate(
        ax,
        r"input cosine $\rho$",
        r"scaling constant $\gamma$ ($\beta = \gamma \log n$)",
        title if title is not None else rf"{label} over $(\rho, \gamma)$",
        legend=None,
        grid=None,
    )


def plot_limit_sweep(
    rho: float = 0.3,
    ns: Sequence[float] = (1e2, 1e4, 1e8, 1e16, 1e64),
    alpha: float = 0.0,
    q: float = 1.0,
    ax: Axes | None = None,
    *,
    legend: str | None = "best",
) -> Axes:
    """The simplex output cosine against ``gamma / gamma_c`` as ``n`` grows, and its limit.

    Lines: :func:`critbook.simplex_layer` at each ``n`` (exact, finite ``n``).
    Black: the ``n -> infinity`` limit :func:`critbook.simplex_limit`, a step
    with the critical value marked by a dot.

    Parameters
    ----------
    rho : float, default 0.3
        Input cosine, in ``(0, 1)``.
    ns : sequence of float
        Context lengths, ``>= 2``.
    alpha : float, default 0.0
        Residual strength, ``>= 0``.
    q : float, default 1.0
        Squared token norm, ``> 0``.
    ax : matplotlib.axes.Axes, optional
    legend : str or None, default "best"
        Legend location (``None``: no legend, e.g. for one legend under several panels).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_limit_sweep
    >>> ax = plot_limit_sweep(rho=0.3, ns=(1e2, 1e8))
    >>> len(ax.lines)  # two n, two limit branches, dot, gamma_c
    6
    """
    rho = float(check_rho(rho))
    ns = as_real_array(ns, "ns", low=2.0).ravel()
    gc = critical_gamma(rho)
    ratios = np.linspace(0.0, 2.5, 501)
    ax = new_axes(ax)
    for n, color in zip(ns, n_colors(ns.size)):
        _, rho_out = simplex_layer(n, ratios * gc * np.log(n), rho, q, alpha)
        ax.plot(ratios, rho_out, color=color, lw=1.8, label=rf"$n = 10^{{{np.log10(n):g}}}$")
    plot_limit_step(
        ax,
        lambda gamma: simplex_limit(gamma, rho, q, alpha),
        ratios,
        gc,
        label=r"limit $n\to\infty$",
        dot={"color": "k", "ms": 7},
        color="k",
        lw=2.5,
    )
    ax.axvline(1.0, color="0.5", lw=1, ls="--")
    return decorate(
        ax,
        r"$\gamma / \gamma_c$",
        r"output cosine $\rho'$",
        rf"simplex, $\rho = {rho:g}$, $\alpha = {alpha:g}$",
        legend=legend,
    )


def plot_limit_approach(
    rho: float = 0.3,
    ratios: Sequence[float] = (0.5, 0.8, 1.0, 1.25, 2.0),
    alpha: float = 0.0,
    quantity: str = "angle_ratio",
    ns: ArrayLike | None = None,
    ax: Axes | None = None,
    *,
    legend: str | None = "lower left",
) -> Axes:
    """Distance of the finite-``n`` simplex layer to its limit, against ``n`` (log-log).

    Solid: ``|value(n) - limit|`` for ``gamma = ratio * gamma_c``, with
    value the angle ratio (:func:`critbook.simplex_angle_ratio`) or the self
    weight (:func:`critbook.simplex_self_weight`). Dashed: reference lines
    ``C n^(-e)`` with the exponent ``e`` of
    :func:`critbook.approach_exponent`, through three times the error at the
    largest ``n`` (parallel to the curve, just above it).
    Errors below ``1e-13`` (rounding level) are not drawn.

    Parameters
    ----------
    rho : float, default 0.3
        Input cosine, in ``(0, 1)``.
    ratios : sequence of float
        Values of ``gamma / gamma_c``.
    alpha : float, default 0.0
        Residual strength (angle ratio only; the self weight does not depend on it).
    quantity : {"angle_ratio", "self_weight"}
    ns : array_like, optional
        Context lengths; default 60 values from ``10`` to ``1e12``.
    ax : matplotlib.axes.Axes, optional
    legend : str or None, default "lower left"
        Legend location; ``"outside"`` puts it to the right of the axes, ``None`` omits it.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_limit_approach
    >>> ax = plot_limit_approach(rho=0.3, ratios=(0.5, 2.0))
    >>> len(ax.lines)  # two curves and two reference slopes
    4
    """
    rho = float(check_rho(rho))
    ratios = as_real_array(ratios, "ratios", low=0.0).ravel()
    if quantity not in ("angle_ratio", "self_weight"):
        raise ValueError(f"quantity must be 'angle_ratio' or 'self_weight', got {quantity!r}")
    ns = np.logspace(1, 12, 60) if ns is None else as_real_array(ns, "ns", low=2.0).ravel()
    gc = critical_gamma(rho)
    ax = new_axes(ax)
    for ratio, color in zip(ratios, ratio_palette(ratios)):
        gamma = ratio * gc
        betas = gamma * np.log(ns)
        if quantity == "angle_ratio":
            value = simplex_angle_ratio(ns, betas, rho, 1.0, alpha)
            limit = (1.0 - simplex_limit(gamma, rho, 1.0, alpha)) / (1.0 - rho)
        else:
            value = simplex_self_weight(ns, betas, rho)
            limit = limit_self_weight(gamma, rho)
        err = np.abs(value - limit)
        ok = err > 1e-13
        if not np.any(ok):
            continue
        e = approach_exponent(gamma, rho, alpha, quantity)
        ax.plot(
            ns[ok],
            err[ok],
            color=color,
            lw=2,
            label=rf"$\gamma = {ratio:g}\,\gamma_c$: slope $-{e:.2g}$",
        )
        anchor = np.flatnonzero(ok)[-1]
        # Shifted up by a factor 3 so that it stays visible next to the curve.
        ax.plot(
            ns[ok], 3.0 * err[anchor] * (ns[ok] / ns[anchor]) ** (-e), color=color, lw=1, ls="--"
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    name = r"angle ratio $\lambda$" if quantity == "angle_ratio" else r"self weight $A_{ii}$"
    outside = legend == "outside"
    return decorate(
        ax,
        "number of tokens $n$",
        "distance to the limit",
        rf"{name}, simplex $\rho = {rho:g}$ (dashed: $n^{{-e}}$)",
        legend="upper left" if outside else legend,
        outside=outside,
        grid="major",
    )


def plot_gamma_window(
    gammas: ArrayLike,
    curves: Mapping[str, ArrayLike],
    window: tuple[float, float] | None = None,
    gamma_c: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "value",
    *,
    legend: str | None = "best",
) -> Axes:
    """Curves against ``gamma`` with the almost-simplex window shaded.

    Parameters
    ----------
    gammas : array_like
        Horizontal coordinates.
    curves : mapping of str to array_like
        One curve per entry (label to values, one per ``gamma``).
    window : (float, float), optional
        ``(1/(1 - rho1), 1/(1 - rho2))``, shaded grey (Theorem 2.3 leaves the
        behaviour inside it open).
    gamma_c : float, optional
        Drawn as a dashed vertical line.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    ylabel : str, default "value"
    legend : str or None, default "best"
        Legend location (``None``: no legend, e.g. for one legend under several panels).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_gamma_window
    >>> curves = {"a": [0, 0.5, 1]}
    >>> ax = plot_gamma_window(
    ...     [0, 1, 2], curves, window=(0.8, 1.2), gamma_c=1.0
    ... )
    >>> len(ax.lines), len(ax.patches)
    (2, 1)
    """
    gammas = as_real_array(gammas, "gammas").ravel()
    ax = new_axes(ax)
    if window is not None:
        lo, hi = (float(w) for w in window)
        ax.axvspan(lo, hi, color="0.85", label=r"window $[\frac{1}{1-\rho_1}, \frac{1}{1-\rho_2}]$")
    styles = ["-", "--", ":", "-."]
    for index, (label, values) in enumerate(curves.items()):
        values = as_real_array(values, f"curves[{label!r}]").ravel()
        if values.shape != gammas.shape:
            raise ValueError(
                f"curves[{label!r}] must have one value per gamma ({gammas.size}); "
                f"got {values.size}"
            )
        ax.plot(gammas, values, lw=2, ls=styles[index % len(styles)], label=label)
    if gamma_c is not None:
        ax.axvline(
            float(gamma_c),
            color=regime_colors["critical"],
            lw=1.5,
            ls="--",
            label=r"$\gamma_c = 1/(1-\rho)$",
        )
    return decorate(ax, r"scaling constant $\gamma$", ylabel, title, legend=legend)


def plot_sparsity(
    ns: ArrayLike,
    counts: ArrayLike,
    labels: Sequence[str],
    ax: Axes | None = None,
    title: str | None = None,
    colors: Sequence[ColorType] | None = None,
    *,
    ratios: ArrayLike | None = None,
    legend: str | None = "upper left",
) -> Axes:
    """How many tokens hold most of a row's attention, against ``n`` (log-log).

    Parameters
    ----------
    ns : array_like, shape (N,)
        Context lengths.
    counts : array_like, shape (K, N)
        One curve per row, e.g. from :func:`critbook.sparsity_sweep`.
    labels : sequence of str
        One label per curve.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    colors : sequence of colours, optional
    ratios : array_like, shape (K,), optional
        The ``gamma / gamma_c`` of each curve; without ``colors``, the curves get the
        regime colours (blue shades below ``gamma_c``, green at it, red shades above).
    legend : str or None, default "upper left"
        Legend location (``None``: no legend, e.g. for one legend under several panels).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_sparsity
    >>> counts = [[9, 90], [1, 1]]
    >>> ax = plot_sparsity([10, 100], counts, ["uniform", "self"])
    >>> len(ax.lines)  # two curves and the slope-1 guide
    3
    """
    ns = as_real_array(ns, "ns", low=1.0).ravel()
    counts = np.atleast_2d(as_real_array(counts, "counts", low=0.0))
    if counts.shape[1] != ns.size or len(labels) != counts.shape[0]:
        raise ValueError(
            f"counts must have shape (len(labels), len(ns)) = ({len(labels)}, {ns.size}); "
            f"got {counts.shape}"
        )
    if colors is None and ratios is not None:
        ratios = as_real_array(ratios, "ratios", low=0.0).ravel()
        if ratios.size != counts.shape[0]:
            raise ValueError(
                f"ratios must have one value per curve ({counts.shape[0]}); got {ratios.size}"
            )
        colors = ratio_palette(ratios)
    ax = new_axes(ax)
    for index, (row, label) in enumerate(zip(counts, labels)):
        color = None if colors is None else colors[index]
        ax.plot(ns, row, "o-", lw=2, ms=4, label=label, color=color)
    ax.plot(ns, 0.9 * ns, color="0.4", lw=1, ls=":", label=r"$0.9\,n$ (uniform)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator(ns))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(ns, [f"{n:g}" for n in ns])
    return decorate(
        ax,
        "number of tokens $n$",
        "tokens holding 90% of the weight",
        title,
        legend=legend,
        grid="major",
    )


# --- Chapter 3: depth (the one-layer map iterated) ---------------------------

__all__ += ["plot_cobweb"]


def plot_cobweb(
    grid: ArrayLike,
    next_rho: ArrayLike,
    trajectory: ArrayLike,
    ax: Axes | None = None,
    title: str | None = None,
    color: ColorType | None = None,
    label: str | None = None,
) -> Axes:
    """Cobweb diagram of a layer map ``rho -> rho'`` and one trajectory through it.

    Draws the map (a curve over ``grid``), the diagonal ``rho' = rho`` and the
    staircase ``(rho_l, rho_l) -> (rho_l, rho_{l+1}) -> (rho_{l+1}, rho_{l+1})``
    of ``trajectory`` (e.g. from :func:`critbook.simplex_depth`).

    Parameters
    ----------
    grid : array_like, shape (G,)
        Input cosines, in ``[0, 1]``.
    next_rho : array_like, shape (G,)
        The map at ``grid``, in ``[0, 1]``.
    trajectory : array_like, shape (L + 1,)
        Cosines after ``0, ..., L`` layers, in ``[0, 1]``.
    ax : matplotlib.axes.Axes, optional
    title : str, optional
    color : colour, optional
        Colour of the map and the staircase.
    label : str, optional
        Legend label of the map.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from critbook.plots import plot_cobweb
    >>> g = np.linspace(0, 1, 5)
    >>> ax = plot_cobweb(g, 4 * g / (1 + 3 * g), [0.3, 0.63, 0.87])
    >>> len(ax.lines)  # map, diagonal, staircase
    3
    """
    grid = as_real_array(grid, "grid", low=0.0, high=1.0).ravel()
    next_rho = as_real_array(next_rho, "next_rho", low=0.0, high=1.0).ravel()
    trajectory = as_real_array(trajectory, "trajectory", low=0.0, high=1.0).ravel()
    if grid.size != next_rho.size:
        raise ValueError(
            f"next_rho must have the shape of grid ({grid.size},); got ({next_rho.size},)"
        )
    color = regime_colors["critical"] if color is None else color
    ax = new_axes(ax, figsize=(COLUMN_WIDTH, 5.0))
    ax.plot(grid, next_rho, color=color, lw=2, label=label)
    ax.plot([0, 1], [0, 1], color="0.5", lw=1, ls="--")
    xs = np.repeat(trajectory, 2)[:-1]
    ys = np.concatenate([[trajectory[0]], np.repeat(trajectory[1:], 2)])
    ax.plot(xs, ys, color="0.15", lw=1, marker="o", ms=2.5)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_aspect("equal")
    if title is not None:
        ax.set_title(title, fontsize="medium")
    return decorate(
        ax,
        r"cosine $\rho_\ell$ at layer $\ell$",
        r"cosine $\rho_{\ell+1}$",
        legend=None if label is None else "lower right",
    )
