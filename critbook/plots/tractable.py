"""Figures of Chapter 2 (the tractable model)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike, NDArray

from .._checks import as_real_array, check_int, check_real, check_rho
from ..simplex import (
    critical_gamma,
    simplex_layer,
    simplex_limit,
)
from ._style import COLUMN_WIDTH, decorate, n_colors, new_axes, regime_colors

__all__ = ["plot_simplex_check", "plot_almost_simplex_constants"]


def plot_simplex_check(
    rho: float = 0.3,
    ns: Sequence[int] = (10, 50, 300),
    alpha: float = 0.0,
    q: float = 1.0,
    simulated: Mapping[int, tuple[ArrayLike, ArrayLike]] | None = None,
    ax: Axes | None = None,
    legend: str | None = "upper right",
) -> Axes:
    """One simplex layer: the exact map against simulated points, for ``beta = gamma log n``.

    For each ``n``, a line shows the output cosine ``rho_out`` of
    :func:`critbook.simplex_layer` against ``gamma / gamma_c``, and markers
    show the simulated points ``simulated[n]``, for instance the mean output
    cosine (:func:`critbook.mean_cosine`) of :func:`critbook.attention_layer`
    applied to :func:`critbook.simplex_tokens` (see Examples). A dashed grey
    line shows the ``n -> infinity`` limit (:func:`critbook.simplex_limit`).

    Parameters
    ----------
    rho : float, default 0.3
        Input cosine, in ``(0, 1)``.
    ns : sequence of int, default (10, 50, 300)
        Numbers of tokens, each ``>= 2``.
    alpha : float, default 0.0
        Residual strength, ``>= 0``.
    q : float, default 1.0
        Squared norm of the input tokens, ``> 0``.
    simulated : mapping of int to (array_like, array_like), optional
        ``{n: (ratios, cosines)}`` for some ``n`` of ``ns``: values of
        ``gamma / gamma_c`` (``>= 0``) and the output cosines measured there,
        of the same length. Drawn as markers in the colour of their ``n``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure as wide as the book's column.
    legend : str or None, default "upper right"
        Location of the legend; ``None`` draws none (e.g. on the second
        of two panels that share one legend).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import critbook as cb
    >>> from critbook.plots import plot_simplex_check
    >>> rho, ratios = 0.3, np.array([0.5, 1.0, 2.0])
    >>> gc = cb.critical_gamma(rho)
    >>> def simulate(n):
    ...     X = cb.simplex_tokens(n, rho)
    ...     betas = ratios * gc * np.log(n)
    ...     outs = [cb.attention_layer(X, b) for b in betas]
    ...     return [cb.mean_cosine(out) for out in outs]
    >>> sim = {n: (ratios, simulate(n)) for n in (5, 20)}
    >>> ax = plot_simplex_check(rho, ns=(5, 20), simulated=sim)
    >>> # two curves, two marker sets, three limit pieces, gamma_c
    >>> len(ax.lines)
    8
    """
    rho = check_real(rho, "rho", low=0.0, high=1.0, low_open=True, high_open=True)
    alpha = check_real(alpha, "alpha", low=0.0)
    q = check_real(q, "q", low=0.0, low_open=True)
    ns = [check_int(n, "ns", low=2) for n in ns]
    points = {}
    for n, (ratios, values) in dict(simulated or {}).items():
        if n not in ns:
            raise ValueError(f"simulated has n = {n!r}, which is not in ns = {ns}")
        name = f"simulated[{n!r}]"
        ratios = as_real_array(ratios, f"{name} ratios", low=0.0).ravel()
        values = as_real_array(values, f"{name} cosines").ravel()
        if ratios.size != values.size:
            raise ValueError(
                f"{name} must hold as many cosines as ratios; got {values.size} and {ratios.size}"
            )
        points[n] = (ratios, values)
    top = max([2.5] + [float(r.max()) for r, _ in points.values() if r.size])
    grid = np.linspace(0.0, top, 241)
    gc = critical_gamma(rho)
    ax = new_axes(ax)
    first = True
    for n, color in zip(ns, n_colors(len(ns))):
        _, rho_out = simplex_layer(n, grid * gc * np.log(n), rho, q, alpha)
        ax.plot(grid, rho_out, color=color, lw=2, label=f"exact map, $n = {n}$")
        if n in points:
            ax.plot(
                *points[n],
                "o",
                color=color,
                ms=6,
                mfc="none",
                mew=1.5,
                label="simulation" if first else None,
            )
            first = False
    below, crit, above = simplex_limit(np.array([0.5, 1.0, 2.0]) * gc, rho, q, alpha)
    ax.plot([0.0, 1.0], [below, below], color="0.4", ls="--", lw=1.5, label=r"limit $n\to\infty$")
    ax.plot([1.0, top], [above, above], color="0.4", ls="--", lw=1.5)
    ax.plot([1.0], [crit], marker="*", color="0.4", ms=11, ls="none")
    ax.axvline(1.0, color="0.8", lw=1, zorder=0)
    ax.set_xlim(0.0, top)
    return decorate(
        ax,
        r"$\gamma / \gamma_c$  (with $\beta = \gamma \log n$)",
        r"output cosine $\rho'$",
        rf"One layer on a simplex, $\rho = {rho:g}$, $\alpha = {alpha:g}$, $q = {q:g}$",
        legend=legend,
    )


def _gaussian_guide(
    n: int, d: NDArray[np.float64], rho: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Half-widths of the first-order guide bands for Gaussian tokens (our derivation).

    Pair cosines fluctuate around ``rho`` with standard deviation
    ``(1 - rho) sqrt((1 + 2 rho - rho^2) / d)`` and squared norms around 1 with
    ``sqrt(2 (1 - rho^2) / d)``; the extremes over ``n (n - 1) / 2`` pairs and
    ``n`` tokens sit about ``sqrt(2 log N)`` standard deviations out.
    """
    sigma_rho = (1.0 - rho) * np.sqrt((1.0 + 2.0 * rho - rho**2) / d)
    sigma_q = np.sqrt(2.0 * (1.0 - rho**2) / d)
    pairs = max(n * (n - 1) / 2.0, 1.0)
    w_rho = sigma_rho * np.sqrt(2.0 * np.log(max(pairs, 2.0)))
    w_q = sigma_q * np.sqrt(2.0 * np.log(max(n, 2)))
    return w_rho, w_q


def plot_almost_simplex_constants(
    ds: ArrayLike,
    constants: ArrayLike,
    n: int,
    rho: float,
    axes: Sequence[Axes] | None = None,
) -> NDArray[np.object_]:
    """Almost-simplex constants of Gaussian tokens against the dimension ``d``.

    Left: the extreme pairwise cosines ``rho1, rho2``; right: the extreme
    squared norms ``q1, q2`` (e.g. from :func:`critbook.almost_simplex_constants`
    of :func:`critbook.gaussian_tokens`). Shaded bands show this book's
    first-order guide, ``rho +- sigma_rho sqrt(2 log(n (n - 1) / 2))`` and
    ``1 +- sigma_q sqrt(2 log n)``, both of order ``sqrt(log n / d)``.

    Parameters
    ----------
    ds : array_like
        Dimensions, ``>= 1``.
    constants : array_like, shape (len(ds), 4)
        Rows ``(q1, q2, rho1, rho2)``, one per dimension.
    n : int
        Number of tokens used, ``>= 2``.
    rho : float
        The model's cosine, in ``[0, 1)``.
    axes : sequence of two matplotlib.axes.Axes, optional
        Where to draw; by default a new figure with two panels.

    Returns
    -------
    numpy.ndarray of two matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import critbook as cb
    >>> from critbook.plots import plot_almost_simplex_constants
    >>> ds = [16, 256]
    >>> draws = [cb.gaussian_tokens(50, d, 0.3, rng=0) for d in ds]
    >>> c = [cb.almost_simplex_constants(X) for X in draws]
    >>> axes = plot_almost_simplex_constants(ds, c, n=50, rho=0.3)
    >>> len(axes)
    2
    """
    ds = as_real_array(ds, "ds", low=1.0).ravel()
    constants = as_real_array(constants, "constants")
    if constants.shape != (ds.size, 4):
        raise ValueError(
            f"constants must have shape (len(ds), 4) = ({ds.size}, 4); got {constants.shape}"
        )
    n = check_int(n, "n", low=2)
    rho = float(check_rho(rho))
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(COLUMN_WIDTH, 3.6), layout="constrained")
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != 2:
        raise ValueError(f"axes must hold two Axes; got {axes.size}")
    fine = np.geomspace(ds.min(), ds.max(), 200)
    w_rho, w_q = _gaussian_guide(n, fine, rho)
    colors = (regime_colors["subcritical"], regime_colors["supercritical"])
    panels = (
        (
            axes[0],
            constants[:, 2:],
            rho,
            w_rho,
            (r"$\rho_1$", r"$\rho_2$"),
            r"pairwise cosine $\langle y_i, y_j\rangle$",
            (-1.0, 1.0),
        ),
        (
            axes[1],
            constants[:, :2],
            1.0,
            w_q,
            ("$q_1$", "$q_2$"),
            r"squared norm $\|x_i\|^2$",
            (0.0, None),
        ),
    )
    titles = (
        rf"Extreme cosines, $n = {n}$, $\rho = {rho:g}$",
        rf"Extreme squared norms, $n = {n}$",
    )
    # The values close in on the model value as d grows, so the corner far from it on the
    # right (large d) stays empty: below it for cosines, above it for norms.
    corners = ("lower right", "upper right")
    for (ax, values, centre, width, names, ylabel, (lo, hi)), title, corner in zip(
        panels, titles, corners
    ):
        band_lo = centre - width if lo is None else np.maximum(centre - width, lo)
        band_hi = centre + width if hi is None else np.minimum(centre + width, hi)
        guide = r"guide $\pm c\sqrt{\log n / d}$"
        ax.fill_between(fine, band_lo, band_hi, color="0.85", label=guide)
        ax.axhline(centre, color="0.4", lw=1, ls="--", label=f"model value {centre:g}")
        for k in range(2):
            ax.plot(ds, values[:, k], "o-", color=colors[k], lw=1.5, ms=5, label=names[k])
        ax.set_xscale("log", base=2)
        decorate(ax, "dimension $d$", ylabel, title, legend=corner)
    return axes
