"""Live figure of Chapter 4: eta and lambda against gamma / gamma_c."""

from __future__ import annotations

from typing import Any

import numpy as np

# The public API (robust to moves of functions between modules); critbook/__init__.py does
# not import this module, so the package is fully initialised when it runs.
from .. import (
    critical_gamma,
    simplex_angle_ratio,
    simplex_eta,
    simplex_eta_limit,
)
from ._core import (
    PANEL_HEIGHT,
    PANEL_WIDTH,
    REFERENCE,
    REGIME_COLORS,
    LiveData,
    LiveFigure,
    _alt,
    _curves,
    _finish,
    _matches,
    _readout,
    _slider,
    grid,
)

__all__ = ["gradients_data", "gradients_figure"]


def gradients_data() -> LiveData:
    """``eta`` and ``lambda`` of one simplex layer against ``gamma / gamma_c``.

    ``log10 n = 1 ... 12`` (step 0.5), ``rho = 0.05 ... 0.85`` (step 0.05),
    ``alpha = 0, 0.5, 1``, ``gamma / gamma_c = 0 ... 3`` (step 0.02),
    ``beta = gamma log n``, ``q = 1``, ``d = n + 1`` (the simplex's own
    dimension): :func:`critbook.simplex_eta`, its limit
    :func:`critbook.simplex_eta_limit` (``1/d -> 0``) and
    :func:`critbook.simplex_angle_ratio`.

    Examples
    --------
    >>> data = gradients_data()
    >>> data.arrays["eta"].shape, data.arrays["eta_limit"].shape
    ((23, 17, 3, 151), (17, 3, 151))
    """
    log10n = grid(1.0, 12.0, 0.5)
    rho = grid(0.05, 0.85, 0.05)
    alpha = grid(0.0, 1.0, 0.5)
    ratio = grid(0.0, 3.0, 0.02)
    n = 10.0 ** log10n[:, None, None, None]
    gamma = ratio[None, None, None, :] * critical_gamma(rho)[None, :, None, None]
    r = rho[None, :, None, None]
    a = alpha[None, None, :, None]
    eta_values = simplex_eta(n, gamma * np.log(n), r, 1.0, a)
    lam = simplex_angle_ratio(n, gamma * np.log(n), r, 1.0, a)
    limit = simplex_eta_limit(gamma[0], r[0], 1.0, None, a[0])
    return LiveData(
        grids={"log10n": log10n, "rho": rho, "alpha": alpha, "ratio": ratio},
        arrays={"eta": eta_values, "angle_ratio": lam, "eta_limit": limit},
        dims={
            "eta": ("log10n", "rho", "alpha", "ratio"),
            "angle_ratio": ("log10n", "rho", "alpha", "ratio"),
            "eta_limit": ("rho", "alpha", "ratio"),
        },
        decimals={"eta": 4, "angle_ratio": 3, "eta_limit": 4},
    )


def gradients_figure(data: LiveData | None = None) -> LiveFigure:
    """Live figure of the gradients chapter: ``eta`` and ``lambda`` against ``gamma / gamma_c``.

    Sliders: ``log10 n``, ``rho``, ``alpha`` and the ``gamma / gamma_c`` of
    the readouts.

    Examples
    --------
    >>> fig = gradients_figure()
    >>> sorted(p["name"] for p in fig.spec()["params"] if "bind" in p)
    ['alpha', 'log10n', 'ratio', 'rho']
    """
    alt = _alt()
    data = gradients_data() if data is None else data
    datasets: dict[str, list[dict[str, Any]]] = {}
    g = data.grids
    p_n = _slider("log10n", g["log10n"], 6.0, "log\u2081\u2080 n")
    p_rho = _slider("rho", g["rho"], 0.3, "\u03c1")
    p_alpha = _slider("alpha", g["alpha"], 0.0, "\u03b1")
    p_ratio = _slider("ratio", g["ratio"], 1.0, "\u03b3/\u03b3_c")
    at = _matches("ratio", "ratio", g["ratio"])
    by = ("log10n", "rho", "alpha")
    params = {b: b for b in by}
    x = alt.X("ratio:Q", title="\u03b3 / \u03b3_c", scale=alt.Scale(domain=[0, 3]))
    curves = _curves(datasets, data, ["eta", "angle_ratio"], by, params, "ratio")
    limit = _curves(
        datasets, data, ["eta_limit"], ("rho", "alpha"), {"rho": "rho", "alpha": "alpha"}, "ratio"
    )
    critical = (
        alt.Chart(alt.Data(values=[{"ratio": 1.0}]))
        .mark_rule(color=REFERENCE, strokeDash=[2, 2])
        .encode(x="ratio:Q")
    )
    y_eta = alt.Y("eta:Q", title="\u03b7 = \u2016J\u2016\u00b2_F / (n d)")
    here = curves.transform_filter(at)
    left = alt.layer(
        critical,
        limit.mark_line(color=REFERENCE, strokeDash=[5, 3]).encode(x=x, y="eta_limit:Q"),
        curves.mark_line(color=REGIME_COLORS[0]).encode(x=x, y=y_eta),
        here.mark_point(size=110, filled=True, color=REGIME_COLORS[2]).encode(x=x, y=y_eta),
        _readout(
            here,
            "'n = 10^' + format(log10n, '.1f') + ', \u03b3/\u03b3_c = '"
            " + format(datum.ratio, '.2f')"
            " + ': \u03b7 = ' + format(datum.eta, '.4f')",
        ),
        _readout(
            limit.transform_filter(at),
            "'limit n \u2192 \u221e: \u03b7 = ' + format(datum.eta_limit, '.4f')",
            1,
        ),
    ).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
    y_lam = alt.Y(
        "angle_ratio:Q",
        title="angle ratio \u03bb = (1 \u2212 \u03c1\u2032)/(1 \u2212 \u03c1)",
        scale=alt.Scale(domain=[0, 1]),
    )
    right = alt.layer(
        critical,
        curves.mark_line(color=REGIME_COLORS[0]).encode(x=x, y=y_lam),
        here.mark_point(size=110, filled=True, color=REGIME_COLORS[2]).encode(x=x, y=y_lam),
        _readout(here, "'\u03bb = ' + format(datum.angle_ratio, '.3f')"),
    ).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
    chart = alt.hconcat(left, right).add_params(p_n, p_rho, p_alpha, p_ratio)
    chart = _finish(chart, "One simplex layer, d = n + 1, q = 1")
    return LiveFigure(chart, data, "gradients", datasets)
