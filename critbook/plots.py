"""The book's standard figures, reusable in one's own notebooks.

Every function draws on a matplotlib ``Axes`` (a new figure if none is given),
sets a title and labelled axes, and returns the ``Axes``. This module only
draws: simulations are run by the caller with the other critbook modules and
passed in; closed forms (the simplex map, its limits, the predictions) are
evaluated here for the reference curves. Sections follow the book's chapters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import FixedLocator, LogLocator, NullFormatter, NullLocator
from numpy.typing import ArrayLike, NDArray

from ._checks import as_real_array, check_int, check_real, check_rho
from .extremes import sphere_attention_prediction
from .scaling import (
    Rule,
    calibrated_ratio,
    critical_beta,
    effective_gamma,
    practical_rules,
)
from .simplex import (
    approach_exponent,
    critical_gamma,
    limit_self_weight,
    simplex_angle_ratio,
    simplex_eta,
    simplex_eta_limit,
    simplex_layer,
    simplex_limit,
    simplex_self_weight,
)

if TYPE_CHECKING:  # matplotlib >= 3.8
    from matplotlib.typing import ColorType

__all__ = ["new_axes", "regime_colors"]

#: One colour per regime, used in every figure of the book.
regime_colors = {
    "subcritical": "#1f77b4",
    "critical": "#2ca02c",
    "supercritical": "#d62728",
}

_REGIMES = ("subcritical", "critical", "supercritical")


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] = (6.4, 4.0)) -> Axes:
    """Return ``ax``, or the axes of a new figure of size ``figsize``."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _decorate(
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


def _regimes(ratios: ArrayLike) -> list[str]:
    """The regime of each ``gamma / gamma_c`` (a ratio is ``gamma`` at ``rho = 0``)."""
    weights = np.atleast_1d(limit_self_weight(ratios, 0.0))
    return [_REGIMES[int(2 * w)] for w in weights]


def _ratio_palette(ratios: ArrayLike) -> list[ColorType]:
    """Blue shades below gamma_c, green at it, red shades above (the regime colours)."""
    ratios = np.atleast_1d(np.asarray(ratios, dtype=np.float64))
    regimes = _regimes(ratios)
    below = sorted({float(r) for r, g in zip(ratios, regimes) if g == "subcritical"})
    above = sorted({float(r) for r, g in zip(ratios, regimes) if g == "supercritical"})
    blues = mpl.colormaps["Blues"](np.linspace(0.95, 0.5, max(len(below), 1)))
    reds = mpl.colormaps["Reds"](np.linspace(0.5, 0.95, max(len(above), 1)))
    colors: list[ColorType] = []
    for r, g in zip(ratios, regimes):
        if g == "critical":
            colors.append(regime_colors["critical"])
        elif g == "subcritical":
            colors.append(blues[below.index(float(r))])
        else:
            colors.append(reds[above.index(float(r))])
    return colors


# --- Introduction ------------------------------------------------------------

__all__ += ["plot_self_weight"]


def plot_self_weight(
    rho: float = 0.5,
    ratios: Sequence[float] = (0.5, 1.0, 2.0),
    ns: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Axes:
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
    for ratio, name in zip(ratios, _regimes(ratios)):
        p = simplex_self_weight(ns, ratio * gc * np.log(ns), rho)
        label = rf"$\gamma = {ratio:g}\,\gamma_c$"
        ax.plot(ns, p, lw=2, color=regime_colors[name], label=label)
    ax.axhline(0.5, color="0.5", lw=1, ls="--", label="1/2")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    return _decorate(
        ax, "number of tokens $n$", r"self weight $A_{ii}$",
        rf"Self attention weight, simplex with $\rho = {rho:g}$, $\beta = \gamma\log n$",
        legend="center left", fontsize=None,
    )


# --- Chapter 1: rank collapse ------------------------------------------------

__all__ += [
    "plot_max_weight_vs_n",
    "plot_entropy_vs_n",
    "plot_collapse_metrics",
    "plot_circle_trajectory",
]


def _beta_colors(count: int) -> list[ColorType]:
    cmap = mpl.colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.1, 0.8, max(count, 1))]


def _flattening_data(
    ns: ArrayLike, values: ArrayLike, betas: ArrayLike, name: str
) -> tuple[NDArray[np.float64], ...]:
    ns = as_real_array(ns, "ns", low=1.0).ravel()
    betas = as_real_array(betas, "betas", low=0.0).ravel()
    values = as_real_array(values, name)
    if values.shape != (betas.size, ns.size):
        raise ValueError(
            f"{name} must have shape (len(betas), len(ns)) = ({betas.size}, {ns.size}); "
            f"got {values.shape}"
        )
    return ns, values, betas


def _prediction_ns(ns: NDArray[np.float64], n_max: float | None) -> NDArray[np.float64]:
    top = max(float(ns.max()), 1.0 if n_max is None else float(n_max))
    return np.logspace(np.log10(max(float(ns.min()), 1.0)), np.log10(top), 200)


def plot_max_weight_vs_n(
    ns: ArrayLike,
    max_weight: ArrayLike,
    betas: Sequence[float],
    d: int | None = None,
    n_max: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The mean largest attention weight against ``n``, one curve per fixed ``beta``.

    Markers are measured values (e.g. means of
    :func:`critbook.max_attention_weight`); if ``d`` is given, dashed lines
    show :func:`critbook.sphere_attention_prediction` for uniform tokens in
    ``R^d``, up to ``n_max``. A grey line marks ``1/n`` (uniform attention).

    Parameters
    ----------
    ns : array_like
        Numbers of tokens, ``>= 1``.
    max_weight : array_like, shape (len(betas), len(ns))
        Measured mean largest weight.
    betas : sequence of float
        The fixed scaling factors, ``>= 0``.
    d : int, optional
        Token dimension, for the prediction.
    n_max : float, optional
        Extend the prediction to this ``n``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_max_weight_vs_n
    >>> ax = plot_max_weight_vs_n([10, 100], [[0.1, 0.01]], betas=[0.0], d=4)
    >>> len(ax.lines)
    3
    """
    ns, values, betas = _flattening_data(ns, max_weight, betas, "max_weight")
    ax = new_axes(ax)
    grid = _prediction_ns(ns, n_max)
    for beta, row, color in zip(betas, values, _beta_colors(betas.size)):
        ax.plot(ns, row, "o", ms=5, color=color, label=rf"$\beta = {beta:g}$")
        if d is not None:
            ax.plot(grid, sphere_attention_prediction(grid, beta, d)[0], "--", lw=1.5, color=color)
    ax.plot(grid, 1.0 / grid, color="0.5", lw=1, label="$1/n$ (uniform)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _decorate(
        ax, "number of tokens $n$", r"mean largest weight $\max_j A_{ij}$",
        r"Largest attention weight at fixed $\beta$",
        legend="lower left", fontsize=None, grid="both",
    )


def plot_entropy_vs_n(
    ns: ArrayLike,
    entropy: ArrayLike,
    betas: Sequence[float],
    d: int | None = None,
    n_max: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The mean row entropy of attention against ``n``, with the ceiling ``log n``.

    Markers are measured values (e.g. means of
    :func:`critbook.attention_entropy`); if ``d`` is given, dashed lines show
    :func:`critbook.sphere_attention_prediction` for uniform tokens in ``R^d``.

    Parameters
    ----------
    ns : array_like
        Numbers of tokens, ``>= 1``.
    entropy : array_like, shape (len(betas), len(ns))
        Measured mean row entropy, in nats.
    betas : sequence of float
        The fixed scaling factors, ``>= 0``.
    d : int, optional
        Token dimension, for the prediction.
    n_max : float, optional
        Extend the prediction to this ``n``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from critbook.plots import plot_entropy_vs_n
    >>> ax = plot_entropy_vs_n([10, 100], [np.log([10, 100])], betas=[0.0])
    >>> len(ax.lines)
    2
    """
    ns, values, betas = _flattening_data(ns, entropy, betas, "entropy")
    ax = new_axes(ax)
    grid = _prediction_ns(ns, n_max)
    ax.plot(grid, np.log(grid), color="k", lw=1.5, label=r"$\log n$ (uniform)")
    for beta, row, color in zip(betas, values, _beta_colors(betas.size)):
        ax.plot(ns, row, "o", ms=5, color=color, label=rf"$\beta = {beta:g}$")
        if d is not None:
            ax.plot(grid, sphere_attention_prediction(grid, beta, d)[1], "--", lw=1.5, color=color)
    ax.set_xscale("log")
    ax.set_ylim(bottom=0.0)
    return _decorate(
        ax, "number of tokens $n$", "mean row entropy $H_i$ (nats)",
        r"Attention entropy at fixed $\beta$", legend="upper left", fontsize=None,
    )


def plot_collapse_metrics(
    curves: Mapping[str, Mapping[str, ArrayLike]],
    colors: Mapping[str, ColorType] | None = None,
    axes: Sequence[Axes] | None = None,
) -> NDArray[np.object_]:
    """Mean cosine, effective rank and rank-one residual against depth.

    Parameters
    ----------
    curves : mapping of str to dict
        One entry per curve: a label and the output of
        :func:`critbook.collapse_metrics` for a trajectory.
    colors : mapping of str to color, optional
        A colour per label (matplotlib's cycle otherwise).
    axes : sequence of three matplotlib.axes.Axes, optional
        Where to draw; by default a new figure with three panels.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The three panels.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import critbook as cb
    >>> from critbook.plots import plot_collapse_metrics
    >>> traj = cb.iterate_layers(cb.uniform_sphere_tokens(50, 4, rng=0), [1.0] * 3)
    >>> axes = plot_collapse_metrics({"beta = 1": cb.collapse_metrics(traj)})
    >>> len(axes)
    3
    """
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13.0, 4.0), layout="constrained")
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != 3:
        raise ValueError(f"axes must hold three Axes; got {axes.size}")
    keys = ("mean_cosine", "effective_rank", "rank_one_residual")
    for label, metrics in dict(curves).items():
        missing = [k for k in keys if k not in metrics]
        if missing:
            raise ValueError(f"curves[{label!r}] lacks {missing}: pass collapse_metrics output")
        color = None if colors is None else dict(colors).get(label)
        for ax, key in zip(axes, keys):
            values = np.asarray(metrics[key], dtype=np.float64)
            layers = np.arange(values.size)
            if key == "rank_one_residual":
                # Rounding leaves a floor near 1e-16; draw it there, not at 0.
                values = np.maximum(values, 1e-17)
            ax.plot(layers, values, "o-", ms=3.5, lw=1.5, color=color, label=label)
    axes[1].set_yscale("log")
    axes[2].set_yscale("log")
    axes[2].set_ylim(1e-17, 2.0)
    panels = (
        (r"mean cosine $\langle y_i, y_j\rangle$", "Tokens align", "best"),
        ("effective rank", "Effective rank falls to 1", None),
        (r"rank-one residual $\|X - 1\bar x^\top\|_F / \|X\|_F$",
         "Distance to identical rows", None),
    )
    for ax, (ylabel, title, legend) in zip(axes, panels):
        _decorate(ax, r"layer $\ell$", ylabel, title, legend=legend, fontsize=None)
    return axes


def plot_circle_trajectory(trajectory: ArrayLike, ax: Axes | None = None) -> Axes:
    """Angles of two-dimensional tokens against depth: clustering on the circle.

    Parameters
    ----------
    trajectory : array_like, shape (L + 1, n, 2)
        Tokens in the plane through ``L`` layers (e.g. from
        :func:`critbook.iterate_layers`).
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import critbook as cb
    >>> from critbook.plots import plot_circle_trajectory
    >>> traj = cb.iterate_layers(cb.uniform_sphere_tokens(30, 2, rng=0), [5.0] * 4)
    >>> ax = plot_circle_trajectory(traj)
    >>> len(ax.collections[0].get_segments())  # each token drawn three times (periodic copies)
    90
    """
    T = np.asarray(trajectory, dtype=np.float64)
    if T.ndim != 3 or T.shape[2] != 2:
        raise ValueError(
            f"trajectory must have shape (layers, n, 2), tokens in the plane; got {T.shape}"
        )
    ax = new_axes(ax)
    # One line per token; unwrapped along depth, and drawn with its copies
    # shifted by +-2 pi so that a token crossing pi re-enters at -pi.
    theta = np.unwrap(np.arctan2(T[..., 1], T[..., 0]), axis=0)
    layers = np.arange(T.shape[0], dtype=np.float64)
    segments = [
        np.column_stack([layers, theta[:, i] + shift])
        for shift in (-2.0 * np.pi, 0.0, 2.0 * np.pi)
        for i in range(theta.shape[1])
    ]
    ax.add_collection(LineCollection(segments, colors="tab:blue", linewidths=0.6, alpha=0.35))
    ax.set_xlim(0, max(T.shape[0] - 1, 1))
    ax.set_ylim(-np.pi, np.pi)
    ax.set_yticks([-np.pi, -np.pi / 2, 0.0, np.pi / 2, np.pi])
    ax.set_yticklabels([r"$-\pi$", r"$-\pi/2$", "0", r"$\pi/2$", r"$\pi$"])
    return _decorate(
        ax, r"layer $\ell$", r"token angle $\theta_i$", "Tokens on the circle", legend=None
    )


# --- Chapter 2: the tractable model ------------------------------------------

__all__ += ["plot_simplex_check", "plot_almost_simplex_constants"]


def _n_colors(count: int) -> list[ColorType]:
    cmap = mpl.colormaps["plasma"]
    return [cmap(x) for x in np.linspace(0.05, 0.75, max(count, 1))]


def plot_simplex_check(
    rho: float = 0.3,
    ns: Sequence[int] = (10, 50, 300),
    alpha: float = 0.0,
    q: float = 1.0,
    simulated: Mapping[int, tuple[ArrayLike, ArrayLike]] | None = None,
    ax: Axes | None = None,
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
        Where to draw.

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
    ...     return [cb.mean_cosine(cb.attention_layer(X, b)) for b in betas]
    >>> sim = {n: (ratios, simulate(n)) for n in (5, 20)}
    >>> ax = plot_simplex_check(rho, ns=(5, 20), simulated=sim)
    >>> len(ax.lines)  # two curves, two marker sets, three limit pieces, gamma_c
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
    for n, color in zip(ns, _n_colors(len(ns))):
        _, rho_out = simplex_layer(n, grid * gc * np.log(n), rho, q, alpha)
        ax.plot(grid, rho_out, color=color, lw=2, label=f"exact map, $n = {n}$")
        if n in points:
            ax.plot(*points[n], "o", color=color, ms=6, mfc="none", mew=1.5,
                    label="simulation" if first else None)
            first = False
    below, crit, above = simplex_limit(np.array([0.5, 1.0, 2.0]) * gc, rho, q, alpha)
    ax.plot([0.0, 1.0], [below, below], color="0.4", ls="--", lw=1.5, label=r"limit $n\to\infty$")
    ax.plot([1.0, top], [above, above], color="0.4", ls="--", lw=1.5)
    ax.plot([1.0], [crit], marker="*", color="0.4", ms=11, ls="none")
    ax.axvline(1.0, color="0.8", lw=1, zorder=0)
    ax.set_xlim(0.0, top)
    return _decorate(
        ax, r"$\gamma / \gamma_c$  (with $\beta = \gamma \log n$)", r"output cosine $\rho'$",
        rf"One layer on a simplex, $\rho = {rho:g}$, $\alpha = {alpha:g}$, $q = {q:g}$",
        legend="upper right",
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
    >>> c = [cb.almost_simplex_constants(cb.gaussian_tokens(50, d, 0.3, rng=0)) for d in ds]
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
        _, axes = plt.subplots(1, 2, figsize=(10.0, 4.0), layout="constrained")
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != 2:
        raise ValueError(f"axes must hold two Axes; got {axes.size}")
    fine = np.geomspace(ds.min(), ds.max(), 200)
    w_rho, w_q = _gaussian_guide(n, fine, rho)
    colors = (regime_colors["subcritical"], regime_colors["supercritical"])
    panels = (
        (axes[0], constants[:, 2:], rho, w_rho, (r"$\rho_1$", r"$\rho_2$"),
         r"pairwise cosine $\langle y_i, y_j\rangle$", (-1.0, 1.0)),
        (axes[1], constants[:, :2], 1.0, w_q, ("$q_1$", "$q_2$"),
         r"squared norm $\|x_i\|^2$", (0.0, None)),
    )
    titles = (rf"Extreme cosines, $n = {n}$, $\rho = {rho:g}$",
              rf"Extreme squared norms, $n = {n}$")
    for (ax, values, centre, width, names, ylabel, (lo, hi)), title in zip(panels, titles):
        band_lo = centre - width if lo is None else np.maximum(centre - width, lo)
        band_hi = centre + width if hi is None else np.minimum(centre + width, hi)
        guide = r"guide $\pm c\sqrt{\log n / d}$"
        ax.fill_between(fine, band_lo, band_hi, color="0.85", label=guide)
        ax.axhline(centre, color="0.4", lw=1, ls="--", label=f"model value {centre:g}")
        for k in range(2):
            ax.plot(ds, values[:, k], "o-", color=colors[k], lw=1.5, ms=5, label=names[k])
        ax.set_xscale("log", base=2)
        _decorate(ax, "dimension $d$", ylabel, title)
    return axes


# --- Chapter 3: the phase transition -----------------------------------------

__all__ += [
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
    ax = new_axes(ax, figsize=(5.0, 4.2))
    mesh = ax.pcolormesh(rhos, gammas, values, shading="nearest", cmap=cmap, vmin=vmin,
                         vmax=vmax, rasterized=True)
    if critical:
        fine = np.linspace(rhos.min(), min(rhos.max(), 1.0 - 1e-9), 200)
        curve = 1.0 / (1.0 - fine)
        inside = curve <= gammas.max()
        ax.plot(fine[inside], curve[inside], color="white", ls="--", lw=2,
                label=r"$\gamma = 1/(1-\rho)$")
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label=label)
    return _decorate(
        ax, r"input cosine $\rho$", r"scaling constant $\gamma$ ($\beta = \gamma \log n$)",
        title if title is not None else rf"{label} over $(\rho, \gamma)$",
        legend="upper left" if critical else None, labelcolor="white", grid=None,
    )


def plot_limit_sweep(
    rho: float = 0.3,
    ns: Sequence[float] = (1e2, 1e4, 1e8, 1e16, 1e64),
    alpha: float = 0.0,
    q: float = 1.0,
    ax: Axes | None = None,
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

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_limit_sweep
    >>> ax = plot_limit_sweep(rho=0.3, ns=(1e2, 1e8))
    >>> len(ax.lines)  # two n, two limit branches, the critical dot, gamma_c
    6
    """
    rho = float(check_rho(rho))
    ns = as_real_array(ns, "ns", low=2.0).ravel()
    gc = critical_gamma(rho)
    ratios = np.linspace(0.0, 2.5, 501)
    ax = new_axes(ax)
    for n, color in zip(ns, _n_colors(ns.size)):
        _, rho_out = simplex_layer(n, ratios * gc * np.log(n), rho, q, alpha)
        ax.plot(ratios, rho_out, color=color, lw=1.8, label=rf"$n = 10^{{{np.log10(n):g}}}$")
    below, above = ratios[ratios < 1.0], ratios[ratios > 1.0]
    ax.plot(below, simplex_limit(below * gc, rho, q, alpha), color="k", lw=2.5,
            label=r"limit $n\to\infty$")
    ax.plot(above, simplex_limit(above * gc, rho, q, alpha), color="k", lw=2.5)
    ax.plot([1.0], [simplex_limit(gc, rho, q, alpha)], "o", color="k", ms=7)
    ax.axvline(1.0, color="0.5", lw=1, ls="--")
    return _decorate(
        ax, r"$\gamma / \gamma_c$", r"output cosine $\rho'$",
        rf"Simplex, $\rho = {rho:g}$, $\alpha = {alpha:g}$: exact map and limit",
    )


def plot_limit_approach(
    rho: float = 0.3,
    ratios: Sequence[float] = (0.5, 0.8, 1.0, 1.25, 2.0),
    alpha: float = 0.0,
    quantity: str = "angle_ratio",
    ns: ArrayLike | None = None,
    ax: Axes | None = None,
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
    for ratio, color in zip(ratios, _ratio_palette(ratios)):
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
        ax.plot(ns[ok], err[ok], color=color, lw=2,
                label=rf"$\gamma = {ratio:g}\,\gamma_c$: slope $-{e:.2g}$")
        anchor = np.flatnonzero(ok)[-1]
        # Shifted up by a factor 3 so that it stays visible next to the curve.
        ax.plot(ns[ok], 3.0 * err[anchor] * (ns[ok] / ns[anchor]) ** (-e), color=color, lw=1,
                ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    name = r"angle ratio $\lambda$" if quantity == "angle_ratio" else r"self weight $A_{ii}$"
    return _decorate(
        ax, "number of tokens $n$", f"distance of the {name} to its limit",
        rf"Approach to the limit, simplex $\rho = {rho:g}$ (dashed: $n^{{-e}}$)",
        legend="lower left", grid="both",
    )


def plot_gamma_window(
    gammas: ArrayLike,
    curves: Mapping[str, ArrayLike],
    window: tuple[float, float] | None = None,
    gamma_c: float | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "value",
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

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_gamma_window
    >>> ax = plot_gamma_window([0, 1, 2], {"a": [0, 0.5, 1]}, window=(0.8, 1.2), gamma_c=1.0)
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
        ax.axvline(float(gamma_c), color=regime_colors["critical"], lw=1.5, ls="--",
                   label=r"$\gamma_c = 1/(1-\rho)$")
    return _decorate(ax, r"scaling constant $\gamma$", ylabel, title)


def plot_sparsity(
    ns: ArrayLike,
    counts: ArrayLike,
    labels: Sequence[str],
    ax: Axes | None = None,
    title: str | None = None,
    colors: Sequence[ColorType] | None = None,
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

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_sparsity
    >>> ax = plot_sparsity([10, 100], [[9, 90], [1, 1]], ["uniform", "self"])
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
    return _decorate(
        ax, "number of tokens $n$", "tokens holding 90% of the weight", title,
        legend="upper left", grid="both",
    )


# --- Chapter 4: gradients ----------------------------------------------------

__all__ += ["plot_eta_vs_n", "plot_forward_backward"]


def plot_eta_vs_n(
    rho: float = 0.3,
    ratios: Sequence[float] = (0.6, 1.0, 1.5),
    q: float = 1.0,
    ns: ArrayLike | None = None,
    measured: Mapping[float, tuple[ArrayLike, ArrayLike]] | None = None,
    gap: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """``eta`` of one simplex layer against ``n``, with its limit (Theorem 2.4).

    Lines: the exact finite-``n`` value :func:`critbook.simplex_eta` for
    ``beta = gamma log n``, ``gamma = ratio * gamma_c`` and ``d = n + 1``.
    Dotted: the limits :func:`critbook.simplex_eta_limit`. Markers: values
    measured on actual tokens, if given. With ``gap=True`` the distance
    ``|eta - limit|`` is drawn on log-log axes instead.

    Parameters
    ----------
    rho : float, default 0.3
        Pairwise cosine, in ``[0, 1)``.
    ratios : sequence of float, default (0.6, 1.0, 1.5)
        Values of ``gamma / gamma_c``.
    q : float, default 1.0
        Squared token norm, ``> 0``.
    ns : array_like, optional
        Context lengths (``>= 2``); default 80 values from ``10`` to ``1e12``.
    measured : dict, optional
        ``{ratio: (ns, values)}``: points to draw as markers (e.g. from
        :func:`critbook.eta` on :func:`critbook.simplex_tokens`).
    gap : bool, default False
        Draw ``|eta - limit|`` (log-log) instead of ``eta``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_eta_vs_n
    >>> ax = plot_eta_vs_n(rho=0.3, ratios=(0.6, 1.5))
    >>> len(ax.lines)  # two curves and two limits
    4
    """
    rho = float(check_rho(rho))
    ratios = as_real_array(ratios, "ratios", low=0.0).ravel()
    ns = np.logspace(1, 12, 80) if ns is None else as_real_array(ns, "ns", low=2.0).ravel()
    gc = critical_gamma(rho)
    ax = new_axes(ax)
    for ratio, color in zip(ratios, _ratio_palette(ratios)):
        gamma = ratio * gc
        limit = simplex_eta_limit(gamma, rho, q)
        value = simplex_eta(ns, gamma * np.log(ns), rho, q)
        label = rf"$\gamma = {ratio:g}\,\gamma_c$"
        if gap:
            ax.plot(ns, np.abs(value - limit), color=color, lw=2, label=label)
        else:
            ax.plot(ns, value, color=color, lw=2, label=label)
            ax.axhline(limit, color=color, lw=1.2, ls=":")
        if measured and ratio in measured:
            mns, mvals = (np.asarray(v, dtype=float) for v in measured[ratio])
            ax.plot(mns, np.abs(mvals - limit) if gap else mvals, "o", color=color, ms=6,
                    mfc="white", mew=1.8)
    ax.set_xscale("log")
    if gap:
        ax.set_yscale("log")
        ylabel = r"distance to the limit $|\eta_n - \eta_\infty|$"
        title = rf"Slow approach to the limits, simplex $\rho = {rho:g}$"
    else:
        ax.set_ylim(-0.03, 1.05 / q)
        ylabel = r"$\eta = \|J\|_F^2 / (n d)$"
        title = rf"$\eta$ of one layer, simplex $\rho = {rho:g}$ (dotted: limits)"
    return _decorate(
        ax, "number of tokens $n$ (simplex in $d = n + 1$)", ylabel, title, grid="both"
    )


def plot_forward_backward(
    ratios: ArrayLike,
    lam: ArrayLike,
    eta_values: ArrayLike,
    rho: float,
    n: int,
    ax: Axes | None = None,
) -> Axes:
    """The angle ratio ``lambda`` (forward) and ``eta`` (backward) against ``gamma / gamma_c``.

    Markers: measured values (e.g. Gaussian tokens). Lines: the exact simplex
    values at the same ``n`` (:func:`critbook.simplex_angle_ratio` and
    :func:`critbook.simplex_eta` with ``d = n + 1``, ``q = 1``).

    Parameters
    ----------
    ratios : array_like
        Values of ``gamma / gamma_c``.
    lam, eta_values : array_like
        Measured ``lambda`` and ``eta`` at each ratio (same length).
    rho : float
        Pairwise cosine, in ``[0, 1)``.
    n : int
        Number of tokens, ``>= 2``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_forward_backward
    >>> ax = plot_forward_backward([0.5, 1.0, 2.0], [0, 0.5, 1], [0, 0.25, 1], rho=0.3, n=100)
    >>> len(ax.lines)  # two measured, two simplex curves, gamma_c
    5
    """
    rho = float(check_rho(rho))
    ratios = as_real_array(ratios, "ratios", low=0.0).ravel()
    lam = as_real_array(lam, "lam").ravel()
    eta_values = as_real_array(eta_values, "eta_values").ravel()
    if not lam.size == eta_values.size == ratios.size:
        raise ValueError(
            "ratios, lam and eta_values must have the same length; got "
            f"{ratios.size}, {lam.size} and {eta_values.size}"
        )
    n = float(as_real_array(n, "n", low=2.0))
    gc = critical_gamma(rho)
    fine = np.linspace(0.0, max(float(ratios.max()), 1.5), 400)
    betas = fine * gc * np.log(n)
    ax = new_axes(ax)
    fwd, bwd = "#9467bd", "#ff7f0e"
    ax.plot(ratios, lam, "o", color=fwd, ms=5, label=r"forward: angle ratio $\lambda$")
    ax.plot(ratios, eta_values, "s", color=bwd, ms=5, label=r"backward: $\eta$")
    ax.plot(fine, simplex_angle_ratio(n, betas, rho), color=fwd, lw=1.3, alpha=0.8,
            label=r"simplex, same $n$")
    ax.plot(fine, simplex_eta(n, betas, rho), color=bwd, lw=1.3, alpha=0.8)
    ax.axvline(1.0, color="0.5", lw=1, ls="--")
    return _decorate(
        ax, r"$\gamma / \gamma_c$", r"$\lambda$ and $\eta$",
        rf"Forward and backward switch together ($\rho = {rho:g}$, $n = {n:g}$)",
        legend="upper left",
    )


# --- Chapter 5: scaling in practice ------------------------------------------

__all__ += [
    "plot_scaling_rules",
    "plot_effective_gamma",
    "plot_calibrated_ratio",
    "plot_top_gaps",
]

#: One colour per practical rule (Chapter 5).
_RULE_COLORS = {"yarn": "#9467bd", "qwen": "#ff7f0e", "llama4": "#8c564b", "ssmax": "#17becf"}


def _rules_or_default(rules: Mapping[str, Rule] | None) -> dict[str, Rule]:
    rules = practical_rules() if rules is None else dict(rules)
    if not rules:
        raise ValueError("rules must hold at least one rule")
    return rules


def _rule_color(key: str, index: int) -> ColorType:
    return _RULE_COLORS.get(key, mpl.colormaps["tab10"](index % 10))


def _rho_styles(rhos: ArrayLike) -> tuple[NDArray[np.float64], list[str | tuple]]:
    rhos = np.atleast_1d(check_rho(rhos)).ravel()
    styles: list[str | tuple] = ["--", "-.", ":", (0, (5, 1, 1, 1))]
    return rhos, [styles[k % len(styles)] for k in range(rhos.size)]


def plot_scaling_rules(
    rules: Mapping[str, Rule] | None = None,
    rhos: ArrayLike = (0.0, 0.5, 0.8),
    ns: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The factor ``beta_n`` of each practical rule against ``n``, with ``log n / (1 - rho)``.

    Parameters
    ----------
    rules : mapping of str to critbook.Rule, optional
        By default :func:`critbook.practical_rules`.
    rhos : sequence of float, default (0, 0.5, 0.8)
        Cosines for the critical curves ``log n / (1 - rho)`` (grey).
    ns : array_like, optional
        Lengths (``>= 2``); by default 400 values from 2 to ``1e9``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_scaling_rules
    >>> ax = plot_scaling_rules(rhos=(0.5,))
    >>> len(ax.lines)  # four rules and one critical curve
    5
    """
    rules = _rules_or_default(rules)
    rhos, styles = _rho_styles(rhos)
    ns = np.geomspace(2, 1e9, 400) if ns is None else as_real_array(ns, "ns", low=2.0).ravel()
    ax = new_axes(ax)
    for k, (key, rule) in enumerate(rules.items()):
        ax.plot(ns, rule.factor(ns), lw=2, color=_rule_color(key, k), label=rule.label)
    for rho, style in zip(rhos, styles):
        ax.plot(ns, critical_beta(ns, rho), color="0.45", lw=1.3, ls=style,
                label=rf"critical $\log n/(1-\rho)$, $\rho = {rho:g}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _decorate(
        ax, "context length $n$", r"logit multiplier $\beta_n$",
        r"Practical rules against the critical scale $\log n / (1-\rho)$",
        legend="upper left", grid="both",
    )


def plot_effective_gamma(
    rules: Mapping[str, Rule] | None = None,
    rhos: ArrayLike = (0.0, 0.5, 0.8),
    ns: ArrayLike | None = None,
    practical_max: float | None = 1e7,
    ax: Axes | None = None,
) -> Axes:
    """``gamma = beta_n / log n`` of each rule against ``n``, with ``gamma_c`` lines.

    A rule is supercritical where its curve lies above ``gamma_c = 1/(1 - rho)``
    (read literally: the factor applied to unit-norm cosine scores).

    Parameters
    ----------
    rules : mapping of str to critbook.Rule, optional
        By default :func:`critbook.practical_rules`.
    rhos : sequence of float, default (0, 0.5, 0.8)
        Cosines whose ``gamma_c`` is drawn (grey).
    ns : array_like, optional
        Lengths (``> 1``); by default 500 values from 10 to ``1e100``.
    practical_max : float or None, default 1e7
        Shade ``n <= practical_max`` as the range of today's context lengths.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_effective_gamma
    >>> ax = plot_effective_gamma(rhos=(0.0, 0.5))
    >>> len(ax.lines)
    6
    """
    rules = _rules_or_default(rules)
    rhos, styles = _rho_styles(rhos)
    ns = np.logspace(1, 100, 500) if ns is None else as_real_array(
        ns, "ns", low=1.0, low_open=True
    ).ravel()
    ax = new_axes(ax, figsize=(8.0, 4.2))
    if practical_max is not None:
        ax.axvspan(ns.min(), min(float(practical_max), ns.max()), color="0.9",
                   label=rf"$n \leq 10^{{{np.log10(practical_max):.3g}}}$")
    for k, (key, rule) in enumerate(rules.items()):
        ax.plot(ns, effective_gamma(rule.factor(ns), ns), lw=2, color=_rule_color(key, k),
                label=rule.label)
    for rho, style in zip(rhos, styles):
        ax.axhline(critical_gamma(rho), color="0.45", lw=1.3, ls=style,
                   label=rf"$\gamma_c$, $\rho = {rho:g}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10.0 ** 10, numticks=15))
    ax.xaxis.set_minor_locator(NullLocator())
    return _decorate(
        ax, "context length $n$", r"effective $\gamma = \beta_n / \log n$",
        r"Effective $\gamma$ of each rule, read literally",
        legend="upper left", outside=True, grid="both",
    )


def plot_calibrated_ratio(
    rules: Mapping[str, Rule] | None = None,
    ns: ArrayLike | None = None,
    default_length: float = 4096,
    ax: Axes | None = None,
) -> Axes:
    """``gamma / gamma_c`` of each rule for a head that is critical at its reference length.

    See :func:`critbook.calibrated_ratio`. Rules without a reference length
    (SSMax) are calibrated at ``default_length``; for a ``gamma log n`` rule
    the result does not depend on it.

    Parameters
    ----------
    rules : mapping of str to critbook.Rule, optional
        By default :func:`critbook.practical_rules`.
    ns : array_like, optional
        Lengths (``> 1``); by default 2000 values from ``1e3`` to ``1e9``.
    default_length : float, default 4096
        Calibration length for rules without a reference length.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_calibrated_ratio
    >>> ax = plot_calibrated_ratio()
    >>> len(ax.lines)  # the critical line and four rules
    5
    """
    rules = _rules_or_default(rules)
    ns = np.logspace(3, 9, 2000) if ns is None else as_real_array(
        ns, "ns", low=1.0, low_open=True
    ).ravel()
    ax = new_axes(ax, figsize=(8.0, 4.2))
    ax.axhline(1.0, color="k", lw=0.8, zorder=1)
    dashes = [(0, ()), (0, (6, 3)), (0, ()), (0, (2, 2))]
    for k, (key, rule) in enumerate(rules.items()):
        L = default_length if rule.reference_length is None else rule.reference_length
        keep = ns >= L
        ratio = calibrated_ratio(rule.factor, ns[keep], L)
        ax.plot(ns[keep], ratio, lw=2.2, color=_rule_color(key, k), ls=dashes[k % 4],
                label=f"{rule.label}, critical at $n = {L:g}$", zorder=2 + k)
    lo, hi = ax.get_ylim()
    lo, hi = min(lo, 0.85), max(hi, 1.15)
    ax.axhspan(1.0, hi, color=regime_colors["supercritical"], alpha=0.07)
    ax.axhspan(lo, 1.0, color=regime_colors["subcritical"], alpha=0.07)
    ax.set_ylim(lo, hi)
    ax.text(0.99, 0.97, "supercritical", transform=ax.transAxes, ha="right", va="top",
            color=regime_colors["supercritical"])
    ax.text(0.99, 0.03, "subcritical", transform=ax.transAxes, ha="right", va="bottom",
            color=regime_colors["subcritical"])
    ax.set_xscale("log")
    return _decorate(
        ax, "context length $n$", r"$\gamma(n) / \gamma_c$",
        "Rules applied to a head that is critical at its reference length",
        legend="upper left", outside=True, grid="both",
    )


def plot_top_gaps(
    ns: ArrayLike, gaps: Mapping[str, ArrayLike], ax: Axes | None = None
) -> Axes:
    """Mean gap between the top score and the runner-up against ``n`` (log-log).

    Draws the output of :func:`critbook.top_gaps` with guides: ``1/sqrt(2 log n)``
    for i.i.d. Gaussian scores, ``c n^(-2/(d-1))`` for the sphere (``c``
    matched at the largest ``n``), and the simplex's constant ``1 - rho``.

    Parameters
    ----------
    ns : array_like
        Lengths used for ``gaps``.
    gaps : mapping of str to array_like
        As returned by :func:`critbook.top_gaps`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from critbook import top_gaps
    >>> from critbook.plots import plot_top_gaps
    >>> ns = np.logspace(1, 6, 6)
    >>> ax = plot_top_gaps(ns, top_gaps(ns, ds=(3,), size=200, rng=0))
    >>> len(ax.lines)  # three curves and two guides
    5
    """
    ns = as_real_array(ns, "ns", low=2.0).ravel()
    ax = new_axes(ax, figsize=(8.0, 4.2))
    guide = {"color": "k", "lw": 1.0, "ls": ":", "zorder": 5}
    guide_label = "guides: $1/\\sqrt{2\\log n}$ and $c\\,n^{-2/(d-1)}$"

    sphere = [key for key in gaps if key.startswith("sphere")]
    shades = mpl.colormaps["Greens"](np.linspace(0.45, 0.9, max(len(sphere), 1)))
    for key, values in gaps.items():
        values = as_real_array(values, f"gaps[{key!r}]", low=0.0).ravel()
        if values.shape != ns.shape:
            raise ValueError(
                f"gaps[{key!r}] must have one value per n ({ns.size}); got {values.size}"
            )
        if key == "gaussian":
            ax.plot(ns, values, "o-", color=regime_colors["subcritical"], lw=2, ms=4,
                    label="i.i.d. Gaussian scores")
            ax.plot(ns, 1.0 / np.sqrt(2.0 * np.log(ns)), label=guide_label, **guide)
            guide_label = None
        elif key.startswith("sphere"):
            color = shades[sphere.index(key)]
            d = int(key.split("=")[1])
            ax.plot(ns, values, "s-", color=color, lw=2, ms=4,
                    label=f"uniform keys on the sphere, $d = {d}$")
            expo = -2.0 / (d - 1)
            ax.plot(ns, values[-1] * (ns / ns[-1]) ** expo, label=guide_label, **guide)
            guide_label = None
        else:
            ax.plot(ns, values, "^-", color=regime_colors["supercritical"], lw=2, ms=4,
                    label=r"simplex: $1-\rho$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _decorate(
        ax, "number of keys $n$", "mean gap between top and runner-up score",
        "How fast the top score separates from its competitors",
        legend="upper left", outside=True, grid="both",
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
    ax = new_axes(ax, figsize=(4.2, 4.0))
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
    return _decorate(
        ax, r"cosine $\rho_\ell$ at layer $\ell$", r"cosine $\rho_{\ell+1}$",
        legend=None if label is None else "lower right",
    )


# --- Chapter 6: a pretrained transformer ---------------------------------------

__all__ += ["plot_heads_by_layer", "plot_entropy_vs_gap", "plot_argmax_by_position"]


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
    >>> axes = plot_heads_by_layer([32, 64], np.ones((2, 6, 2)), ["a", "b"])
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
        _, axes = plt.subplots(1, values.shape[0], figsize=(8.0, 3.4), layout="constrained")
    axes = np.atleast_1d(axes)
    layers = values.shape[1]
    colors = mpl.colormaps["viridis"](np.linspace(0.0, 0.85, layers))
    for ax, panel, label in zip(axes, values, labels):
        for layer in range(layers):
            ax.plot(ns, panel[layer], "o-", color=colors[layer], ms=3.5, lw=1.6,
                    label=f"layer {layer + 1}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(ns, [f"{int(n)}" for n in ns])
        ax.minorticks_off()
        _decorate(ax, "sequence length $n$", label, legend=None)
    _decorate(axes[-1], legend="upper left", outside=True, grid=None)
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
    ax = new_axes(ax, figsize=(8.0, 4.4))
    cmap = mpl.colormaps["viridis"]
    inside = np.ones(gaps.shape, bool) if xmax is None else gaps <= xmax
    norm = mpl.colors.Normalize(np.log2(ns).min(), np.log2(ns).max())
    points = ax.scatter(gaps[inside], entropies[inside], c=np.log2(ns[inside]), cmap=cmap,
                        norm=norm, s=9, alpha=0.6, lw=0, label="a head at one length")
    if not inside.all():
        ax.scatter(np.full((~inside).sum(), xmax), entropies[~inside], c=np.log2(ns[~inside]),
                   cmap=cmap, norm=norm, s=30, marker=">", lw=0, clip_on=False,
                   label=f"{(~inside).sum()} beyond {xmax:g}, drawn at the edge")
    for label, (grid, values) in curves.items():
        style = "--" if "simplex" in label else "-"
        ax.plot(grid, values, style, color="k" if "512" in label else "0.55", lw=1.8, label=label)
    cbar = ax.figure.colorbar(points, ax=ax, pad=0.02)
    ticks = np.unique(np.log2(ns))
    cbar.set_ticks(ticks, labels=[f"{int(round(2**t))}" for t in ticks])
    cbar.set_label("sequence length $n$")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0.0, xmax)
    return _decorate(
        ax, r"logit gap / $\log n$ (top logit minus mean logit)", r"row entropy / $\log n$",
        legend="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
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
    >>> ax = plot_argmax_by_position([0, 64, 128], {"n = 128": [0.9, 1.0]})
    >>> len(ax.lines)
    1
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    edges = as_real_array(bins, "bins", low=0.0).ravel()
    ax = new_axes(ax, figsize=(8.0, 3.4))
    colors = mpl.colormaps["viridis"](np.linspace(0.0, 0.85, max(len(hits), 1)))
    for color, (label, values) in zip(colors, hits.items()):
        values = as_real_array(values, f"hits[{label!r}]", low=0.0, high=1.0).ravel()
        if not 1 <= values.size <= edges.size - 1:
            raise ValueError(
                f"hits[{label!r}] must have one value per bin (at most {edges.size - 1}); "
                f"got {values.size}"
            )
        ax.step(edges[: values.size + 1], np.r_[values, values[-1]], where="post", color=color,
                lw=2, label=label)
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlim(edges[0], edges[-1])
    return _decorate(
        ax, "query position in the window", "rows with argmax on\nthe previous token",
        legend="upper left", outside=True,
    )
