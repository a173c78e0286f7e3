"""Live figure of Chapter 2: the exact one-layer map beside simulated points."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# The public API (robust to moves of functions between modules); critbook/__init__.py does
# not import this module, so the package is fully initialised when it runs.
from .. import (
    attention_layer,
    mean_cosine,
    simplex_layer,
    simplex_tokens,
)
from ._core import (
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

__all__ = ["tractable_data", "tractable_figure"]


def tractable_data() -> LiveData:
    """The exact simplex map ``rho -> rho'`` and simulated layers, over ``n``, ``gamma``, ``alpha``.

    ``n = 4 ... 128`` (powers of 2), ``gamma = 0 ... 4`` (step 0.2),
    ``alpha = 0, 0.5, 1``, ``beta = gamma log n``, ``q = 1``. The curve is
    :func:`critbook.simplex_layer` on ``rho = 0 ... 0.95`` (step 0.01); the
    points are :func:`critbook.mean_cosine` of :func:`critbook.attention_layer`
    applied to :func:`critbook.simplex_tokens` at ``rho = 0.1 ... 0.9``.

    Examples
    --------
    >>> data = tractable_data()
    >>> data.arrays["rho_out"].shape, data.arrays["simulated"].shape
    ((6, 21, 3, 96), (6, 21, 3, 9))
    """
    log2n = grid(2, 7, 1)
    gammas = grid(0.0, 4.0, 0.2)
    alphas = grid(0.0, 1.0, 0.5)
    rho = grid(0.0, 0.95, 0.01)
    rho_sim = grid(0.1, 0.9, 0.1)
    n = 2.0 ** log2n[:, None, None, None]
    beta = gammas[None, :, None, None] * np.log(n)
    rho_out = simplex_layer(n, beta, rho[None, None, None, :], 1.0, alphas[None, None, :, None])[1]
    simulated = np.empty((log2n.size, gammas.size, alphas.size, rho_sim.size))
    for k, e in enumerate(log2n):
        m = int(2**e)
        tokens = [simplex_tokens(m, r) for r in rho_sim]
        for g, gamma in enumerate(gammas):
            for a, alpha in enumerate(alphas):
                for r, X in enumerate(tokens):
                    X_out = attention_layer(X, gamma * math.log(m), alpha)
                    simulated[k, g, a, r] = mean_cosine(X_out)
    return LiveData(
        grids={"log2n": log2n, "gamma": gammas, "alpha": alphas, "rho": rho, "rho_sim": rho_sim},
        arrays={"rho_out": rho_out, "simulated": simulated},
        dims={
            "rho_out": ("log2n", "gamma", "alpha", "rho"),
            "simulated": ("log2n", "gamma", "alpha", "rho_sim"),
        },
        decimals={"rho_out": 4, "simulated": 4},
    )


def tractable_figure(data: LiveData | None = None) -> LiveFigure:
    """Live figure of the tractable-model chapter: ``rho'`` against ``rho``, formula and simulation.

    Sliders: ``log2 n``, ``gamma``, ``alpha`` and the ``rho`` of the readout.

    Examples
    --------
    >>> fig = tractable_figure()
    >>> sorted(p["name"] for p in fig.spec()["params"] if "bind" in p)
    ['alpha', 'gamma', 'log2n', 'rho']
    """
    alt = _alt()
    data = tractable_data() if data is None else data
    datasets: dict[str, list[dict[str, Any]]] = {}
    p_n = _slider("log2n", data.grids["log2n"], 5, "log\u2082 n")
    p_gamma = _slider("gamma", data.grids["gamma"], 1.0, "\u03b3")
    p_alpha = _slider("alpha", data.grids["alpha"], 0.0, "\u03b1")
    p_rho = _slider("rho", data.grids["rho_sim"], 0.5, "\u03c1 (readout)")
    by = ("log2n", "gamma", "alpha")
    params = {"log2n": "log2n", "gamma": "gamma", "alpha": "alpha"}
    x = alt.X("rho:Q", title="input cosine \u03c1", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("rho_out:Q", title="output cosine \u03c1\u2032", scale=alt.Scale(domain=[0, 1]))
    curve = _curves(datasets, data, ["rho_out"], by, params, "rho").transform_calculate(
        kind_="'closed form (simplex_layer)'"
    )
    sim = (
        _curves(datasets, data, ["simulated"], by, params, "rho_sim")
        .transform_calculate(rho="datum.rho_sim", rho_out="datum.simulated")
        .transform_calculate(kind_="'simulated (simplex_tokens)'")
    )
    colour = alt.Color(
        "kind_:N",
        title=None,
        scale=alt.Scale(
            domain=[
                "closed form (simplex_layer)",
                "simulated (simplex_tokens)",
                "\u03c1\u2032 = \u03c1",
            ],
            range=[REGIME_COLORS[0], REGIME_COLORS[2], REFERENCE],
        ),
    )
    diagonal = (
        alt.Chart(alt.Data(values=[{"rho": 0.0}, {"rho": 1.0}]))
        .transform_calculate(rho_out="datum.rho", kind_="'\u03c1\u2032 = \u03c1'")
        .mark_line(strokeDash=[5, 3])
        .encode(x=x, y=y, color=colour)
    )
    line = curve.mark_line().encode(x=x, y=y, color=colour)
    points = sim.mark_point(size=60, filled=True).encode(x=x, y=y, color=colour)
    here_sim = sim.transform_filter(_matches("rho_sim", "rho", data.grids["rho_sim"]))
    here_curve = curve.transform_filter(_matches("rho", "rho", data.grids["rho"]))
    ring = here_sim.mark_point(size=220, color=REGIME_COLORS[2], strokeWidth=2).encode(x=x, y=y)
    text = (
        "'\u03c1 = ' + format(datum.rho, '.2f') + ': \u03c1\u2032 = '"
        " + format(datum.rho_out, '.4f')"
        " + ' (closed form)'"
    )
    text2 = "'simulated: ' + format(datum.simulated, '.4f')"
    chart = (
        alt.layer(
            diagonal, line, points, ring, _readout(here_curve, text), _readout(here_sim, text2, 1)
        )
        .properties(width=2 * PANEL_WIDTH, height=260)
        .add_params(p_n, p_gamma, p_alpha, p_rho)
    )
    chart = _finish(chart, "One layer on a simplex: \u03b2 = \u03b3 log n, q = 1")
    return LiveFigure(chart, data, "tractable", datasets)
