"""Live figure of Chapter 5: practical rules against the critical curve."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# The public API (robust to moves of functions between modules); critbook/__init__.py does
# not import this module, so the package is fully initialised when it runs.
from .. import (
    calibrated_ratio,
    critical_beta,
    practical_rules,
    regime_segments,
)
from ._core import (
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
    _regime_scale,
    _slider,
    grid,
)

__all__ = ["practice_data", "practice_figure"]

#: The rules of the practice figure, keys of :func:`critbook.practical_rules`.
RULES = ("yarn", "qwen", "llama4", "ssmax")
_RULE_LABELS = ("YaRN", "Qwen logn", "Llama 4", "SSMax")


def practice_data() -> LiveData:
    """``beta_n`` of each practical rule for a head calibrated to be critical at length ``L``.

    Rules :func:`critbook.practical_rules` (YaRN and Qwen with their length
    set to ``L``), ``L = 2^10 ... 2^17``, ``rho = 0 ... 0.9`` (step 0.1),
    ``n = 10^3 ... 10^9`` (step 0.025 in ``log10 n``). A head with logits
    ``c f(n) <y_i, y_j>`` critical at ``L`` has
    ``beta_n = calibrated_ratio(f, n, L) * critical_beta(n, rho)``
    (:func:`critbook.calibrated_ratio`, :func:`critbook.critical_beta`); the
    regime along ``n`` comes from :func:`critbook.regime_segments` of that
    ``beta_n``.

    Examples
    --------
    >>> data = practice_data()
    >>> data.arrays["beta"].shape, data.arrays["critical"].shape
    ((4, 8, 10, 241), (10, 241))
    """
    log2L = grid(10, 17, 1)
    rho = grid(0.0, 0.9, 0.1)
    log10n = grid(3.0, 9.0, 0.025)
    n = 10.0**log10n
    beta = np.empty((len(RULES), log2L.size, rho.size, n.size))
    codes = np.empty_like(beta)
    segments = []
    for j, e in enumerate(log2L):
        length = float(2**e)
        rules = practical_rules(yarn_length=length, qwen_length=length)
        for i, key in enumerate(RULES):
            factor = rules[key].factor
            ratio = calibrated_ratio(factor, n, length)
            for k, r in enumerate(rho):

                def beta_n(m, factor=factor, length=length, r=r):
                    return calibrated_ratio(factor, m, length) * critical_beta(m, r)

                beta[i, j, k] = ratio * critical_beta(n, r)
                # A scan of 1,000 points finds every sign change the 241-point chart can
                # show; the boundaries are then refined by bisection.
                segs = regime_segments(beta_n, float(r), n_min=n[0], n_max=n[-1], num=1000)
                for s in segs:
                    inside = (n >= s.start) & (n < s.stop)
                    codes[i, j, k, inside] = REGIMES.index(s.regime)
                    segments.append(
                        {
                            "rule": key,
                            "log2L": float(e),
                            "rho": float(r),
                            "start": math.log10(s.start),
                            "stop": math.log10(s.stop),
                            "regime": s.regime,
                        }
                    )
                codes[i, j, k, -1] = codes[i, j, k, -2] if n.size > 1 else codes[i, j, k, -1]
    return LiveData(
        grids={"rule": np.array(RULES), "log2L": log2L, "rho": rho, "log10n": log10n},
        arrays={"beta": beta, "regime": codes, "critical": critical_beta(n[None, :], rho[:, None])},
        dims={
            "beta": ("rule", "log2L", "rho", "log10n"),
            "regime": ("rule", "log2L", "rho", "log10n"),
            "critical": ("rho", "log10n"),
        },
        decimals={"beta": 3, "regime": 0, "critical": 3},
        extra={"segments": segments},
    )


def practice_figure(data: LiveData | None = None) -> LiveFigure:
    """Live figure of the practice chapter: a rule's ``beta_n`` against the critical curve.

    Controls: the rule (radio buttons), ``log2 L`` of the training length,
    ``rho`` and the ``log10 n`` of the readout. Background bands show where
    the calibrated head is sub- or supercritical.

    Examples
    --------
    >>> fig = practice_figure()
    >>> sorted(p["name"] for p in fig.spec()["params"] if "bind" in p)
    ['log10n', 'log2L', 'rho', 'rule']
    """
    alt = _alt()
    data = practice_data() if data is None else data
    datasets: dict[str, list[dict[str, Any]]] = {}
    g = data.grids
    p_rule = alt.param(
        name="rule",
        value=RULES[0],
        bind=alt.binding_radio(options=list(RULES), labels=list(_RULE_LABELS), name="rule"),
    )
    p_L = _slider("log2L", g["log2L"], 12, "log\u2082 L")
    p_rho = _slider("rho", g["rho"], 0.3, "\u03c1")
    p_n = _slider("log10n", g["log10n"], 6.0, "log\u2081\u2080 n")
    by = ("rule", "log2L", "rho")
    params = {b: b for b in by}
    x = alt.X(
        "log10n:Q", title="log\u2081\u2080 n (context length)", scale=alt.Scale(domain=[3, 9])
    )
    y = alt.Y("beta:Q", title="scaling factor \u03b2\u2099")
    curve = _curves(datasets, data, ["beta", "regime"], by, params, "log10n").transform_calculate(
        regime_=f"{list(REGIMES)!r}[datum.regime]"
    )
    critical = _curves(datasets, data, ["critical"], ("rho",), {"rho": "rho"}, "log10n")
    here = curve.transform_filter(_matches("log10n", "log10n", g["log10n"]))
    here_c = critical.transform_filter(_matches("log10n", "log10n", g["log10n"]))
    datasets["segments"] = data.extra["segments"]
    bands = (
        alt.Chart(alt.Data(name="segments"))
        .transform_filter(
            "datum.rule == rule && "
            + _matches("log2L", "log2L", g["log2L"])
            + " && "
            + _matches("rho", "rho", g["rho"])
        )
        .mark_rect(opacity=0.18, clip=True)
        .encode(
            x=alt.X("start:Q", scale=alt.Scale(domain=[3, 9])),
            x2="stop:Q",
            color=alt.Color("regime:N", scale=_regime_scale(), title="regime of the rule"),
        )
    )
    dash = alt.StrokeDash(
        "kind_:N",
        title=None,
        legend=alt.Legend(symbolType="stroke"),
        scale=alt.Scale(
            domain=["\u03b2\u2099 of the rule", "critical log n / (1 \u2212 \u03c1)"],
            range=[[1, 0], [5, 3]],
        ),
    )
    chart = (
        alt.layer(
            bands,
            critical.transform_calculate(kind_="'critical log n / (1 \u2212 \u03c1)'")
            .mark_line(color=REFERENCE)
            .encode(x=x, y=alt.Y("critical:Q"), strokeDash=dash),
            curve.transform_calculate(kind_="'\u03b2\u2099 of the rule'")
            .mark_line(color=REGIME_COLORS[0], strokeWidth=2)
            .encode(x=x, y=y, strokeDash=dash),
            here.mark_point(size=110, filled=True, color="#8a8a8a").encode(x=x, y=y),
            _readout(
                here,
                "'n = 10^' + format(datum.log10n, '.2f') + ': \u03b2\u2099 = '"
                " + format(datum.beta, '.2f') + ', ' + datum.regime_",
            ),
            _readout(here_c, "'critical \u03b2 = ' + format(datum.critical, '.2f')", 1),
        )
        .properties(width=2 * PANEL_WIDTH, height=240)
        .add_params(p_rule, p_L, p_rho, p_n)
    )
    chart = _finish(chart, "A head critical at its training length L")
    return LiveFigure(chart, data, "practice", datasets)
