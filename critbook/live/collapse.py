"""Live figure of Chapter 1: rank collapse as n grows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# The public API (robust to moves of functions between modules); critbook/__init__.py does
# not import this module, so the package is fully initialised when it runs.
from .. import (
    attention_entropy,
    gaussian_tokens,
    iterate_layers,
    max_attention_weight,
    mean_cosine,
    uniform_sphere_tokens,
)
from .._checks import check_int, check_rho
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

__all__ = ["rank_collapse_data", "rank_collapse_figure"]


def rank_collapse_data(depth: int = 8, d: int = 32, d_deep: int = 64, rho: float = 0.3) -> LiveData:
    """Attention statistics of random tokens, ``n = 2^4 ... 2^10``, fixed ``beta = 0, 1, ..., 12``.

    For each ``n``: tokens uniform on the sphere of ``R^d`` (seed ``n``) give
    the mean row entropy (:func:`critbook.attention_entropy`) and the mean
    largest weight (:func:`critbook.max_attention_weight`) at each fixed
    ``beta``; Gaussian tokens in ``R^d_deep`` with cosine ``rho`` (seed ``n``)
    pass through ``depth`` layers at that ``beta`` without residual
    (:func:`critbook.iterate_layers`) and give the mean cosine of every layer
    (:func:`critbook.mean_cosine`).

    Parameters
    ----------
    depth : int, default 8
        Number of layers, in ``[1, 30]``.
    d, d_deep : int, default 32, 64
        Dimensions of the two token sets, in ``[2, 512]``.
    rho : float, default 0.3
        Cosine of the Gaussian tokens, in ``[0, 1)``.

    Returns
    -------
    LiveData
        Grids ``log2n``, ``beta``, ``layer``; arrays ``entropy`` and
        ``log10_max_weight`` (axes ``beta, log2n``) and ``cosine`` (axes
        ``log2n, beta, layer``).

    Examples
    --------
    >>> data = rank_collapse_data(depth=2)
    >>> data.arrays["cosine"].shape
    (7, 13, 3)
    """
    depth = check_int(depth, "depth", low=1, high=30)
    d = check_int(d, "d", low=2, high=512)
    d_deep = check_int(d_deep, "d_deep", low=2, high=512)
    rho = check_rho(rho)
    log2n = grid(4, 10, 1)
    betas = grid(0.0, 12.0, 1.0)
    layers = grid(0, depth, 1)
    entropy = np.empty((betas.size, log2n.size))
    max_weight = np.empty_like(entropy)
    cosine = np.empty((log2n.size, betas.size, layers.size))
    for k, e in enumerate(log2n):
        n = int(2**e)
        X = uniform_sphere_tokens(n, d, rng=n)
        X0 = gaussian_tokens(n, d_deep, rho, rng=n)
        for b, beta in enumerate(betas):
            entropy[b, k] = attention_entropy(X, beta).mean()
            max_weight[b, k] = max_attention_weight(X, beta).mean()
            trajectory = iterate_layers(X0, [beta] * depth)
            cosine[k, b] = [mean_cosine(Y) for Y in trajectory]
    return LiveData(
        grids={"log2n": log2n, "beta": betas, "layer": layers},
        arrays={"entropy": entropy, "log10_max_weight": np.log10(max_weight), "cosine": cosine},
        dims={
            "entropy": ("beta", "log2n"),
            "log10_max_weight": ("beta", "log2n"),
            "cosine": ("log2n", "beta", "layer"),
        },
        decimals={"entropy": 4, "log10_max_weight": 4, "cosine": 4},
        extra={"d": d, "d_deep": d_deep, "rho": rho, "depth": depth},
    )


def rank_collapse_figure(data: LiveData | None = None) -> LiveFigure:
    """Live figure of the rank-collapse chapter (sliders: ``log2 n`` and a fixed ``beta``).

    Left: the mean row entropy against ``log n`` at the chosen ``beta``, with
    the ceiling ``log n`` (uniform attention) and a marker at the chosen
    ``n``; the readout gives the entropy and the largest weight there.
    Right: the mean cosine of the tokens over the layers at the chosen ``n``
    and ``beta``.

    Examples
    --------
    >>> fig = rank_collapse_figure(rank_collapse_data(depth=2))
    >>> sorted(p["name"] for p in fig.spec()["params"] if "bind" in p)
    ['beta', 'log2n']
    """
    alt = _alt()
    data = rank_collapse_data() if data is None else data
    datasets: dict[str, list[dict[str, Any]]] = {}
    ln2 = math.log(2.0)
    p_n = _slider("log2n", data.grids["log2n"], 8, "log\u2082 n")
    p_beta = _slider("beta", data.grids["beta"], 4.0, "\u03b2 (fixed)")
    # Left panel: entropy over n (x axis: log n in nats).
    base = _curves(
        datasets, data, ["entropy", "log10_max_weight"], ("beta",), {"beta": "beta"}, "log2n"
    )
    base = base.transform_calculate(log_n=f"datum.log2n * {ln2!r}")
    x = alt.X("log_n:Q", title="log n", scale=alt.Scale(domain=[2.5, 7.25]))
    y = alt.Y("entropy:Q", title="mean row entropy H (nats)", scale=alt.Scale(domain=[0, 7.25]))
    dash = alt.StrokeDash(
        "kind_:N",
        title=None,
        legend=alt.Legend(symbolType="stroke"),
        scale=alt.Scale(
            domain=["mean entropy at \u03b2", "log n (uniform attention)"], range=[[1, 0], [5, 3]]
        ),
    )
    ceiling = (
        base.transform_calculate(kind_="'log n (uniform attention)'")
        .mark_line(color=REFERENCE)
        .encode(x=x, y="log_n:Q", strokeDash=dash)
    )
    curve = (
        base.transform_calculate(kind_="'mean entropy at \u03b2'")
        .mark_line(point=True, color=REGIME_COLORS[0])
        .encode(x=x, y=y, strokeDash=dash)
    )
    here = base.transform_filter(_matches("log2n", "log2n", data.grids["log2n"]))
    marker = here.mark_point(size=120, filled=True, color=REGIME_COLORS[2]).encode(x=x, y=y)
    text = (
        "'n = ' + format(pow(2, datum.log2n), 'd') + ': H = ' + format(datum.entropy, '.3f')"
        " + ' (log n = ' + format(datum.log_n, '.3f') + ')'"
    )
    text2 = "'largest weight = ' + format(pow(10, datum.log10_max_weight), '.4f')"
    left = alt.layer(
        ceiling, curve, marker, _readout(here, text), _readout(here, text2, 1)
    ).properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
    # Right panel: mean cosine over depth.
    deep = _curves(
        datasets, data, ["cosine"], ("log2n", "beta"), {"log2n": "log2n", "beta": "beta"}, "layer"
    )
    xl = alt.X(
        "layer:Q", title="layer", scale=alt.Scale(domain=[0, float(data.grids["layer"][-1])])
    )
    yc = alt.Y("cosine:Q", title="mean cosine of the tokens", scale=alt.Scale(domain=[0, 1]))
    cos_line = deep.mark_line(point=True, color=REGIME_COLORS[0]).encode(x=xl, y=yc)
    last = deep.transform_filter(f"datum.layer == {float(data.grids['layer'][-1])!r}")
    text3 = "'after ' + format(datum.layer, 'd') + ' layers: ' + format(datum.cosine, '.3f')"
    right = alt.layer(cos_line, _readout(last, text3)).properties(
        width=PANEL_WIDTH, height=PANEL_HEIGHT
    )
    chart = alt.hconcat(left, right).add_params(p_n, p_beta)
    chart = _finish(
        chart,
        "Fixed \u03b2: flattening with n, collapse with depth",
    )
    return LiveFigure(chart, data, "rank-collapse", datasets)
