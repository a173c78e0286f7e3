"""Figures of Chapter 4 (gradients)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from .._checks import as_real_array, check_rho
from ..simplex import (
    critical_gamma,
    simplex_angle_ratio,
    simplex_eta,
    simplex_eta_limit,
)

if TYPE_CHECKING:  # matplotlib >= 3.8
    pass


from ._style import decorate, n_colors, new_axes, plot_limit_step, ratio_palette

__all__ = ["plot_eta_vs_gamma", "plot_eta_vs_n", "plot_forward_backward"]


def plot_eta_vs_gamma(
    rho: float = 0.3,
    ns: Sequence[float] = (1e2, 1e4, 1e12),
    q: float = 1.0,
    ratios: ArrayLike | None = None,
    legend: str | None = "upper left",
    ax: Axes | None = None,
) -> Axes:
    """``eta`` of one simplex layer against ``gamma / gamma_c``, at several ``n``, with its limit.

    Lines: the exact finite-``n`` value :func:`critbook.simplex_eta` for
    ``beta = gamma log n`` and ``d = n + 1``, one per ``n``. Grey: the limit
    ``n -> infinity`` of Theorem 2.4 (:func:`critbook.simplex_eta_limit`):
    ``0`` below ``gamma_c``, ``1 / (4 q)`` at it (a dot), ``1 / q`` above.

    Parameters
    ----------
    rho : float, default 0.3
        Pairwise cosine, in ``[0, 1)``.
    ns : sequence of float, default (1e2, 1e4, 1e12)
        Context lengths, ``>= 2``.
    q : float, default 1.0
        Squared token norm, ``> 0``.
    ratios : array_like, optional
        Values of ``gamma / gamma_c`` (``>= 0``); default 501 values from 0 to 2.5.
    legend : str or None, default "upper left"
        Location of the legend (``None``: no legend).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_eta_vs_gamma
    >>> ax = plot_eta_vs_gamma(rho=0.3, ns=(1e2, 1e6))
    >>> len(ax.lines)  # two curves, the limit's pieces, dot, gamma_c
    6
    """
    rho = float(check_rho(rho))
    ns = as_real_array(ns, "ns", low=2.0).ravel()
    if ratios is None:
        ratios = np.linspace(0.0, 2.5, 501)
    ratios = as_real_array(ratios, "ratios", low=0.0).ravel()
    gc = critical_gamma(rho)
    ax = new_axes(ax)
    ax.axvline(1.0, color="0.5", lw=1, ls=":")
    for n, color in zip(ns, n_colors(ns.size)):
        betas = ratios * gc * np.log(n)
        label = rf"$n = 10^{{{np.log10(n):g}}}$"
        ax.plot(ratios, simplex_eta(n, betas, rho, q), color=color, label=label)
    plot_limit_step(
        ax,
        lambda gamma: simplex_eta_limit(gamma, rho, q),
        ratios,
        gc,
        label=r"limit $n \to \infty$ (Theorem 2.4)",
        dot={"color": "0.35", "ms": 6, "zorder": 3},
        color="0.6",
        lw=5,
        alpha=0.5,
        solid_capstyle="butt",
        zorder=1,
    )
    ax.set_ylim(-0.03, 1.08 / q)
    return decorate(
        ax,
        r"$\gamma / \gamma_c$ ($\beta = \gamma \log n$)",
        r"$\eta = \|J\|_F^2 / (n d)$",
        rf"$\eta$ of one simplex layer, $\rho = {rho:g}$, $d = n + 1$",
        legend=legend,
    )


def plot_eta_vs_n(
    rho: float = 0.3,
    ratios: Sequence[float] = (0.6, 1.0, 1.5),
    q: float = 1.0,
    ns: ArrayLike | None = None,
    measured: Mapping[float, tuple[ArrayLike, ArrayLike]] | None = None,
    gap: bool = False,
    legend: str | None = "best",
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
    legend : str or None, default "best"
        Location of the legend (``None``: no legend).
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
    for ratio, color in zip(ratios, ratio_palette(ratios)):
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
            ax.plot(
                mns,
                np.abs(mvals - limit) if gap else mvals,
                "o",
                color=color,
                ms=6,
                mfc="white",
                mew=1.8,
            )
    ax.set_xscale("log")
    if gap:
        ax.set_yscale("log")
        ylabel = r"distance to the limit $|\eta_n - \eta_\infty|$"
        title = rf"Distance to the limit, $\rho = {rho:g}$"
    else:
        ax.set_ylim(-0.03, 1.05 / q)
        ylabel = r"$\eta = \|J\|_F^2 / (n d)$"
        title = rf"$\eta$ on a simplex, $\rho = {rho:g}$"
    return decorate(
        ax,
        "number of tokens $n$ ($d = n + 1$)",
        ylabel,
        title,
        legend=legend,
        grid="major",
    )


def plot_forward_backward(
    ratios: ArrayLike,
    lam: ArrayLike,
    eta_values: ArrayLike,
    rho: float,
    n: int,
    legend: str | None = "upper left",
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
    legend : str or None, default "upper left"
        Location of the legend (``None``: no legend).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from critbook.plots import plot_forward_backward
    >>> ratios, lam, eta = [0.5, 1.0, 2.0], [0, 0.5, 1], [0, 0.25, 1]
    >>> ax = plot_forward_backward(ratios, lam, eta, rho=0.3, n=100)
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
    ax.plot(
        fine,
        simplex_angle_ratio(n, betas, rho),
        color=fwd,
        lw=1.3,
        alpha=0.8,
        label=r"simplex, same $n$",
    )
    ax.plot(fine, simplex_eta(n, betas, rho), color=bwd, lw=1.3, alpha=0.8)
    ax.axvline(1.0, color="0.5", lw=1, ls="--")
    return decorate(
        ax,
        r"$\gamma / \gamma_c$",
        r"$\lambda$ and $\eta$",
        rf"Forward and backward switch together ($\rho = {rho:g}$, $n = {n:g}$)",
        legend=legend,
    )
