"""Live figure of Chapter 3: self weight and output cosine against gamma."""

from __future__ import annotations

from typing import Any

import numpy as np

# The public API (robust to moves of functions between modules); critbook/__init__.py does
# not import this module, so the package is fully initialised when it runs.
from .. import (
    critical_gamma,
    regime,
    simplex_layer,
    simplex_limit,
    simplex_self_weight,
)
from ._core import (
    PANEL_HEIGHT,
    PANEL_WIDTH,
    REFERENCE,
    REGIME_COLORS,
    REGIMES,
    LiveData,
    LiveFigure,
    _alt,
    _curves,
    _finish,
    _matches,
    _readout,
    _regime_code,
    _regime_scale,
    _slider,
    grid,
)

__all__ = ["phase_data", "phase_figure"]


def phase_data() -> LiveData:
    """Self weight and ``rho'`` against ``gamma`` over ``log10 n``, ``rho``, ``alpha``.

    ``log10 n = 1 ... 12`` (step 0.5), ``rho = 0.05 ... 0.85`` (step 0.05),
    ``alpha = 0 ... 2`` (step 0.5), ``gamma = 0 ... 8`` (step 0.05),
    ``beta = gamma log n``, ``q = 1``: :func:`critbook.simplex_self_weight`,
    :func:`critbook.simplex_layer` (``rho_out``), the limit
    :func:`critbook.simplex_limit`, the regime :func:`critbook.regime` (coded
    0, 1, 2 in the order of :data:`REGIMES`) and
    :func:`critbook.critical_gamma`.

    Examples
    --------
    >>> data = phase_data()
    >>> data.arrays["self_weight"].shape, data.arrays["regime"].shape
    ((23, 17, 161), (17, 5, 161))
    """
    log10n = grid(1.0, 12.0, 0.5)
    rho = grid(0.05, 0.85, 0.05)
    alpha = grid(0.0, 2.0, 0.5)
    gamma = grid(0.0, 8.0, 0.05)
    n = 10.0 ** log10n[:, None, None, None]
    beta = gamma[None, None, None, :] * np.log(n)
    r = rho[None, :, None, None]
    self_weight = simplex_self_weight(n[..., 0, :], beta[..., 0, :], r[..., 0, :])
    rho_out = simplex_layer(n, beta, r, 1.0, alpha[None, None, :, None])[1]
    limit = simplex_limit(gamma[None, None, :], rho[:, None, None], 1.0, alpha[None, :, None])
    codes = np.array([[_regime_code(regime(g, p)) for g in gamma] for p in rho])
    return LiveData(
        grids={"log10n": log10n, "rho": rho, "alpha": alpha, "gamma": gamma},
        arrays={
            "self_weight": self_weight,
            "rho_out": rho_out,
            "rho_out_limit": limit,
            # Theorem 2.1: A_ii -> 0 below gamma_c, 1/2 at it, 1 above
            "self_weight_limit": np.choose(codes.astype(int), [0.0, 0.5, 1.0])[:, None, :]
            + np.zeros_like(limit),
            "regime": np.broadcast_to(codes[:, None, :], limit.shape),
            "regime_by_n": np.broadcast_to(codes, (log10n.size, *codes.shape)),
            "gamma_c": critical_gamma(rho),
        },
        dims={
            "self_weight": ("log10n", "rho", "gamma"),
            "rho_out": ("log10n", "rho", "alpha", "gamma"),
            "rho_out_limit": ("rho", "alpha", "gamma"),
            "self_weight_limit": ("rho", "alpha", "gamma"),
            "regime": ("rho", "alpha", "gamma"),
            "regime_by_n": ("log10n", "rho", "gamma"),
            "gamma_c": ("rho",),
        },
        decimals={
            "self_weight": 3,
            "rho_out": 3,
            "rho_out_limit": 3,
            "self_weight_limit": 1,
            "regime": 0,
            "regime_by_n": 0,
            "gamma_c": 4,
        },
    )


def phase_figure(data: LiveData | None = None) -> LiveFigure:
    """Live figure of the phase-transition chapter: self weight and ``rho'`` against ``gamma``.

    Sliders: ``log10 n``, ``gamma``, ``rho`` and ``alpha``.

    Left: the self weight ``A_ii`` against ``gamma`` at the chosen ``n`` and
    ``rho``, and its limit as ``n -> infinity`` (0 below ``gamma_c``, 1/2 at
    it, 1 above). Right: ``rho'`` of the exact map, its limit and the input
    ``rho``. Markers and readouts sit at the chosen ``gamma``; the left
    marker is coloured by regime.

    Examples
    --------
    >>> fig = phase_figure()
    >>> sorted(p["name"] for p in fig.spec()["params"] if "bind" in p)
    ['alpha', 'gamma', 'log10n', 'rho']
    """
    alt = _alt()
    data = phase_data() if data is None else data
    datasets: dict[str, list[dict[str, Any]]] = {}
    g = data.grids
    p_n = _slider("log10n", g["log10n"], 4.0, "log\u2081\u2080 n")
    p_gamma = _slider("gamma", g["gamma"], 1.0, "\u03b3")
    p_rho = _slider("rho", g["rho"], 0.3, "\u03c1")
    p_alpha = _slider("alpha", g["alpha"], 0.0, "\u03b1")
    at_gamma = _matches("gamma", "gamma", g["gamma"])
    x = alt.X("gamma:Q", title="\u03b3  (\u03b2 = \u03b3 log n)", scale=alt.Scale(domain=[0, 8]))
    colour = alt.Color("regime_:N", scale=_regime_scale(), title="regime at the chosen \u03b3")
    names = f"{list(REGIMES)!r}[datum.regime]"
    rows_c = [
        {"rho": float(r), "gamma_c": float(c)} for r, c in zip(g["rho"], data.arrays["gamma_c"])
    ]
    gc = (
        alt.Chart(alt.Data(values=rows_c))
        .transform_filter(_matches("rho", "rho", g["rho"]))
        .mark_rule(color=REFERENCE, strokeDash=[2, 2])
        .encode(x="gamma_c:Q")
    )
    limits = _curves(
        datasets,
        data,
        ["rho_out_limit", "self_weight_limit", "regime"],
        ("rho", "alpha"),
        {"rho": "rho", "alpha": "alpha"},
        "gamma",
    ).transform_calculate(regime_=names)
    # Left: the self weight and its limit.
    sw = _curves(
        datasets,
        data,
        ["self_weight", "regime_by_n"],
        ("log10n", "rho"),
        {"log10n": "log10n", "rho": "rho"},
        "gamma",
    ).transform_calculate(regime_=f"{list(REGIMES)!r}[datum.regime_by_n]")
    y_sw = alt.Y("self_weight:Q", title="self weight A\u1d62\u1d62", scale=alt.Scale(domain=[0, 1]))
    here_sw = sw.transform_filter(at_gamma)
    left = alt.layer(
        gc,
        limits.mark_line(color=REFERENCE, strokeDash=[5, 3]).encode(x=x, y="self_weight_limit:Q"),
        sw.mark_line(color=REGIME_COLORS[0]).encode(x=x, y=y_sw),
        here_sw.mark_point(size=110, filled=True, opacity=1).encode(x=x, y=y_sw, color=colour),
        _readout(
            here_sw,
            "'n = 10^' + format(log10n, '.1f') + ', \u03b3 = ' + format(datum.gamma, '.2f')"
            " + ': A\u1d62\u1d62 = ' + format(datum.self_weight, '.3f')",
        ),
        _readout(here_sw, "datum.regime_", 1),
    ).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
    # Right: rho', its limit, the input rho.
    ro = _curves(
        datasets,
        data,
        ["rho_out"],
        ("log10n", "rho", "alpha"),
        {"log10n": "log10n", "rho": "rho", "alpha": "alpha"},
        "gamma",
    )
    y_ro = alt.Y("rho_out:Q", title="output cosine \u03c1\u2032", scale=alt.Scale(domain=[0, 1]))
    rho_line = (
        alt.Chart(alt.Data(values=[{"one": 1}]))
        .transform_calculate(rho_in="rho")
        .mark_rule(color=REFERENCE, strokeDash=[1, 3])
        .encode(y="rho_in:Q")
    )
    right = alt.layer(
        gc,
        rho_line,
        limits.mark_line(color=REFERENCE, strokeDash=[5, 3]).encode(x=x, y="rho_out_limit:Q"),
        ro.mark_line(color=REGIME_COLORS[0]).encode(x=x, y=y_ro),
        ro.transform_filter(at_gamma)
        .mark_point(size=110, filled=True, color="#8a8a8a")
        .encode(x=x, y=y_ro),
        _readout(ro.transform_filter(at_gamma), "'\u03c1\u2032 = ' + format(datum.rho_out, '.3f')"),
        _readout(
            limits.transform_filter(at_gamma),
            "'limit n \u2192 \u221e: ' + format(datum.rho_out_limit, '.3f')",
            1,
        ),
    ).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
    chart = alt.hconcat(left, right).add_params(p_n, p_gamma, p_rho, p_alpha)
    chart = _finish(chart, "One simplex layer (q = 1): dashed, n \u2192 \u221e")
    return LiveFigure(chart, data, "phase", datasets)
