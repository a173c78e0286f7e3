"""Figures of the introduction and of Chapter 1 (rank collapse)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike, NDArray

from .._checks import as_real_array, check_rho
from ..extremes import sphere_attention_prediction
from ..simplex import (
    critical_gamma,
    simplex_self_weight,
)

if TYPE_CHECKING:  # matplotlib >= 3.8
    from matplotlib.typing import ColorType


from ._style import COLUMN_WIDTH, decorate, new_axes, regime_colors, regimes

__all__ = ["plot_self_weight"]


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
    for ratio, name in zip(ratios, regimes(ratios)):
        p = simplex_self_weight(ns, ratio * gc * np.log(ns), rho)
        label = rf"$\gamma = {ratio:g}\,\gamma_c$"
        ax.plot(ns, p, lw=2, color=regime_colors[name], label=label)
    ax.axhline(0.5, color="0.5", lw=1, ls="--", label="1/2")
    ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    return decorate(
        ax,
        "number of tokens $n$",
        r"self weight $A_{ii}$",
        rf"Self attention weight, simplex with $\rho = {rho:g}$, $\beta = \gamma\log n$",
        legend="center left",
        fontsize=None,
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
    >>> w = [[0.1, 0.01]]
    >>> ax = plot_max_weight_vs_n([10, 100], w, betas=[0.0], d=4)
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
    return decorate(
        ax,
        "number of tokens $n$",
        r"mean largest weight $\max_j A_{ij}$",
        r"Largest attention weight at fixed $\beta$",
        legend="lower left",
        fontsize=None,
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
    >>> ns = [10, 100]
    >>> ax = plot_entropy_vs_n(ns, [np.log(ns)], betas=[0.0])
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
    return decorate(
        ax,
        "number of tokens $n$",
        "mean row entropy $H_i$ (nats)",
        r"Attention entropy at fixed $\beta$",
        legend="upper left",
        fontsize=None,
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
        Where to draw, with a legend in the first. By default a new figure
        as wide as the book's column with the three panels in a 2 x 2 grid,
        whose fourth cell holds the legend.

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
    >>> X = cb.uniform_sphere_tokens(50, 4, rng=0)
    >>> traj = cb.iterate_layers(X, [1.0] * 3)
    >>> metrics = {"beta = 1": cb.collapse_metrics(traj)}
    >>> axes = plot_collapse_metrics(metrics)
    >>> len(axes)
    3
    """
    legend_cell = None
    if axes is None:
        _, grid = plt.subplots(2, 2, figsize=(COLUMN_WIDTH, 6.0), layout="constrained")
        axes, legend_cell = grid.ravel()[:3], grid[1, 1]
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
        (
            r"mean cosine $\langle y_i, y_j\rangle$",
            "Tokens align",
            "best" if legend_cell is None else None,
        ),
        ("effective rank", "Effective rank falls to 1", None),
        (
            r"rank-one residual $\|X - 1\bar x^\top\|_F / \|X\|_F$",
            "Distance to identical rows",
            None,
        ),
    )
    for ax, (ylabel, title, legend) in zip(axes, panels):
        decorate(ax, r"layer $\ell$", ylabel, title, legend=legend, fontsize=None)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if legend_cell is not None:
        legend_cell.axis("off")
        handles, labels = axes[0].get_legend_handles_labels()
        legend_cell.legend(handles, labels, loc="center", frameon=False)
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
    >>> X = cb.uniform_sphere_tokens(30, 2, rng=0)
    >>> traj = cb.iterate_layers(X, [5.0] * 4)
    >>> ax = plot_circle_trajectory(traj)
    >>> # each token drawn three times (periodic copies)
    >>> len(ax.collections[0].get_segments())
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
    return decorate(
        ax, r"layer $\ell$", r"token angle $\theta_i$", "Tokens on the circle", legend=None
    )
