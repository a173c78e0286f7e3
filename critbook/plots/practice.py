"""Figures of Chapter 5 (scaling in practice)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import LogLocator, NullLocator
from numpy.typing import ArrayLike, NDArray

from .._checks import as_real_array, check_rho
from ..scaling import (
    Rule,
    calibrated_ratio,
    critical_beta,
    effective_gamma,
    practical_rules,
)
from ..simplex import (
    critical_gamma,
)

if TYPE_CHECKING:  # matplotlib >= 3.8
    from matplotlib.typing import ColorType


from ._style import COLUMN_WIDTH, decorate, legend_below, new_axes, regime_colors

__all__ = [
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
    ax = new_axes(ax, figsize=(COLUMN_WIDTH, 4.9))
    for k, (key, rule) in enumerate(rules.items()):
        ax.plot(ns, rule.factor(ns), lw=2, color=_rule_color(key, k), label=rule.label)
    for rho, style in zip(rhos, styles):
        ax.plot(
            ns,
            critical_beta(ns, rho),
            color="0.45",
            lw=1.3,
            ls=style,
            label=rf"critical $\log n/(1-\rho)$, $\rho = {rho:g}$",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    return decorate(
        ax,
        "context length $n$",
        r"logit multiplier $\beta_n$",
        r"Practical rules against the critical scale $\log n / (1-\rho)$",
        **legend_below(ax, ncol=2),
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
    ns = (
        np.logspace(1, 100, 500)
        if ns is None
        else as_real_array(ns, "ns", low=1.0, low_open=True).ravel()
    )
    ax = new_axes(ax, figsize=(COLUMN_WIDTH, 4.9))
    if practical_max is not None:
        ax.axvspan(
            ns.min(),
            min(float(practical_max), ns.max()),
            color="0.9",
            label=rf"$n \leq 10^{{{np.log10(practical_max):.3g}}}$",
        )
    for k, (key, rule) in enumerate(rules.items()):
        ax.plot(
            ns,
            effective_gamma(rule.factor(ns), ns),
            lw=2,
            color=_rule_color(key, k),
            label=rule.label,
        )
    for rho, style in zip(rhos, styles):
        ax.axhline(
            critical_gamma(rho),
            color="0.45",
            lw=1.3,
            ls=style,
            label=rf"$\gamma_c$, $\rho = {rho:g}$",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10.0**10, numticks=15))
    ax.xaxis.set_minor_locator(NullLocator())
    return decorate(
        ax,
        "context length $n$",
        r"effective $\gamma = \beta_n / \log n$",
        r"Effective $\gamma$ of each rule, read literally",
        **legend_below(ax, ncol=3),
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
    ns = (
        np.logspace(3, 9, 2000)
        if ns is None
        else as_real_array(ns, "ns", low=1.0, low_open=True).ravel()
    )
    ax = new_axes(ax, figsize=(COLUMN_WIDTH, 4.6))
    ax.axhline(1.0, color="k", lw=0.8, zorder=1)
    curves = []
    for key, rule in rules.items():
        L = default_length if rule.reference_length is None else rule.reference_length
        keep = ns >= L
        curves.append((key, rule, L, ns[keep], calibrated_ratio(rule.factor, ns[keep], L)))
    # Rules that stay exactly critical all lie on the line 1. They are drawn as nested solid
    # lines, the first widest, so that each colour shows as a band around the next one.
    on_line = [c[0] for c in curves if np.allclose(c[4], 1.0, rtol=0.0, atol=1e-9)]
    for k, (key, rule, L, n_keep, ratio) in enumerate(curves):
        width = 2.2
        if key in on_line:
            width += 2.6 * (len(on_line) - 1 - on_line.index(key))
        ax.plot(
            n_keep,
            ratio,
            lw=width,
            color=_rule_color(key, k),
            solid_capstyle="butt",
            label=f"{rule.label}, critical at $n = {L:g}$",
            zorder=2 + k,
        )
    lo, hi = ax.get_ylim()
    lo, hi = min(lo, 0.85), max(hi, 1.15)
    ax.axhspan(1.0, hi, color=regime_colors["supercritical"], alpha=0.07)
    ax.axhspan(lo, 1.0, color=regime_colors["subcritical"], alpha=0.07)
    ax.set_ylim(lo, hi)
    ax.text(
        0.01,
        0.97,
        "supercritical",
        transform=ax.transAxes,
        ha="left",
        va="top",
        color=regime_colors["supercritical"],
    )
    ax.text(
        0.01,
        0.03,
        "subcritical",
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        color=regime_colors["subcritical"],
    )
    ax.set_xscale("log")
    return decorate(
        ax,
        "context length $n$",
        r"$\gamma(n) / \gamma_c$",
        "Rules applied to a head that is critical at its reference length",
        **legend_below(ax, ncol=2),
    )


def plot_top_gaps(ns: ArrayLike, gaps: Mapping[str, ArrayLike], ax: Axes | None = None) -> Axes:
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
    ax = new_axes(ax, figsize=(COLUMN_WIDTH, 4.9))
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
            ax.plot(
                ns,
                values,
                "o-",
                color=regime_colors["subcritical"],
                lw=2,
                ms=4,
                label="i.i.d. Gaussian scores",
            )
            ax.plot(ns, 1.0 / np.sqrt(2.0 * np.log(ns)), label=guide_label, **guide)
            guide_label = None
        elif key.startswith("sphere"):
            color = shades[sphere.index(key)]
            d = int(key.split("=")[1])
            ax.plot(
                ns,
                values,
                "s-",
                color=color,
                lw=2,
                ms=4,
                label=f"uniform keys on the sphere, $d = {d}$",
            )
            expo = -2.0 / (d - 1)
            ax.plot(ns, values[-1] * (ns / ns[-1]) ** expo, label=guide_label, **guide)
            guide_label = None
        else:
            ax.plot(
                ns,
                values,
                "^-",
                color=regime_colors["supercritical"],
                lw=2,
                ms=4,
                label=r"simplex: $1-\rho$",
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    return decorate(
        ax,
        "number of keys $n$",
        "mean gap between top and runner-up score",
        "How fast the top score separates from its competitors",
        **legend_below(ax, ncol=2),
    )
