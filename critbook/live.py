"""Live figures: critbook's numbers on a grid, drawn by Vega-Lite behind sliders.

A static web page has no Python behind it, so a slider there can only
choose among values computed beforehand. Each figure of this module is made
in two steps:

1. a ``*_data`` function evaluates critbook's public functions over every
   slider setting the figure offers (the grid) and returns the arrays, as a
   :class:`LiveData`;
2. a ``*_figure`` function turns them into an Altair chart whose bound
   parameters are the sliders, wrapped in a :class:`LiveFigure`.

The browser then only filters the table to the chosen setting and draws it
(no formula is repeated in JavaScript). In JupyterLab or on Binder a
:class:`LiveFigure` displays as the Altair chart it wraps. When the book is
built, the Sphinx extension ``tools/vendor_js.py`` sets the environment
variable ``CRITBOOK_LIVE=site`` (inherited by the kernels that run the
chapters) and the figure is written as HTML that loads Vega, Vega-Lite and
Vega-Embed from the site's own ``vendor/`` folder: no CDN, and the page works
offline, served by any static server or opened from disk.

Data are stored compactly: one row per slider setting whose curves are
integer arrays (the value times ``10**decimals``), expanded in the browser
by Vega-Lite's ``flatten`` transform after the filter, so a slider move
touches one curve only.

Examples
--------
>>> from critbook.live import phase_data
>>> data = phase_data()
>>> data.grids["gamma"][:3]
array([0.  , 0.05, 0.1 ])
>>> data.arrays["rho_out"].shape
(23, 17, 5, 161)
"""

from __future__ import annotations

import html
import json
import math
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The public API (robust to moves of functions between modules); critbook/__init__.py does
# not import this module, so the package is fully initialised when it runs.
from . import (
    attention_entropy,
    attention_layer,
    calibrated_ratio,
    critical_beta,
    critical_gamma,
    gaussian_tokens,
    iterate_layers,
    max_attention_weight,
    mean_cosine,
    practical_rules,
    regime,
    regime_segments,
    simplex_angle_ratio,
    simplex_eta,
    simplex_eta_limit,
    simplex_layer,
    simplex_limit,
    simplex_self_weight,
    simplex_tokens,
    uniform_sphere_tokens,
)
from ._checks import check_int, check_rho

__all__ = [
    "LiveData",
    "LiveFigure",
    "grid",
    "rank_collapse_data",
    "rank_collapse_figure",
    "tractable_data",
    "tractable_figure",
    "phase_data",
    "phase_figure",
    "gradients_data",
    "gradients_figure",
    "practice_data",
    "practice_figure",
]

#: Codes of the regimes in the exported tables (``critbook.regime`` names).
REGIMES = ("subcritical", "critical", "supercritical")
#: Colours of the regimes (the book's static figures use the same ones).
REGIME_COLORS = ("#1f77b4", "#2ca02c", "#d62728")
#: Neutral colour of reference curves: readable on the light and the dark theme.
REFERENCE = "#8a8a8a"
#: Width of one panel in pixels (two panels side by side fill the ~690 px text column).
PANEL_WIDTH = 250
PANEL_HEIGHT = 200


def grid(start: float, stop: float, step: float) -> np.ndarray:
    """Evenly spaced values ``start, start + step, ..., stop`` (both ends included).

    Rounded to 10 decimals, so that ``0.05 * 3`` is exported as ``0.15``.

    Examples
    --------
    >>> grid(0.0, 1.0, 0.25)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    count = int(round((stop - start) / step)) + 1
    return np.round(start + step * np.arange(count), 10)


def _scalar(value: Any) -> Any:
    return str(value) if isinstance(value, (str, np.str_)) else float(value)


@dataclass
class LiveData:
    """What one live figure shows, for every slider setting it offers.

    Attributes
    ----------
    grids : dict of str to ndarray
        The values each slider (or axis) can take, in order.
    arrays : dict of str to ndarray
        The exported quantities; the axes of each are named in ``dims``.
    dims : dict of str to tuple of str
        For each array, the grid names of its axes.
    decimals : dict of str to int
        Decimal places kept for each array in the page.
    extra : dict
        Anything else the figure shows (e.g. regime segments).
    """

    grids: dict[str, np.ndarray]
    arrays: dict[str, np.ndarray]
    dims: dict[str, tuple[str, ...]]
    decimals: dict[str, int]
    extra: dict[str, Any] = field(default_factory=dict)

    def rows(self, names: list[str], by: tuple[str, ...]) -> list[dict[str, Any]]:
        """One row per setting of the grids ``by``; each array in ``names`` as integers.

        Every array in ``names`` must have axes ``by + (x,)`` for one axis
        ``x``; the row holds the grid values of ``by`` and, for each array,
        ``round(value * 10**decimals)`` along ``x`` (NaN becomes ``None``).
        """
        for name in names:
            if self.dims[name][:-1] != by:
                raise ValueError(f"{name} has axes {self.dims[name]}, not {by} + (x,)")
        shape = tuple(len(self.grids[b]) for b in by)
        scaled = {}
        for name in names:
            values = np.asarray(self.arrays[name], dtype=float) * 10.0 ** self.decimals[name]
            scaled[name] = np.where(np.isfinite(values), np.rint(values), np.nan)
        out = []
        for index in np.ndindex(*shape):
            row: dict[str, Any] = {b: _scalar(self.grids[b][i]) for b, i in zip(by, index)}
            for name in names:
                row[name] = [None if np.isnan(v) else int(v) for v in scaled[name][index]]
            out.append(row)
        return out


# ----------------------------------------------------------------------------------------------
# Display: Altair in a notebook, self-contained HTML on the built site
# ----------------------------------------------------------------------------------------------

#: Where the built site keeps the three libraries (relative to the site root).
VENDOR_FILES = (
    "vendor/vega/vega.min.js",
    "vendor/vega-lite/vega-lite.min.js",
    "vendor/vega-embed/vega-embed.min.js",
)

# Loads the vendored libraries once per page (from the page's content root, so nested pages and
# file:// work), then draws the chart. The layout follows the column: panels side by side when
# they fit, stacked otherwise. Colours follow the theme (html[data-theme]); on a theme change the
# chart is redrawn with the sliders where the reader left them. The Vega view is kept on the
# element (critbookView) for the tests and the benchmark.
LOADER_JS = """(function () {
  var el = document.getElementById(%(id)s);
  var spec = JSON.parse(document.getElementById(%(id)s + "-spec").textContent);
  var files = %(files)s;
  if (!window.critbookVega) {
    window.critbookVega = new Promise(function (resolve, reject) {
      if (window.vegaEmbed) { resolve(); return; }
      var root = new URL(document.documentElement.dataset.content_root || "./", document.baseURI);
      var amd = window.define;
      window.define = undefined;  // UMD builds: become globals even on a page with RequireJS
      var urls = files.map(function (f) { return new URL(f, root).href; });
      urls.forEach(function (url) {  // download all three at once...
        var l = document.createElement("link");
        l.rel = "preload"; l.as = "script"; l.href = url;
        document.head.appendChild(l);
      });
      (function next(i) {  // ...and run them in order, each as soon as it can (async: not
        if (i === urls.length) {  // queued behind the page's deferred scripts)
          window.define = amd;
          window.critbookVegaReadyMs = performance.now();  // for the benchmark
          resolve();
          return;
        }
        var s = document.createElement("script");
        s.src = urls[i];
        s.onload = function () { next(i + 1); };
        s.onerror = function () { window.define = amd; reject(new Error("cannot load " + s.src)); };
        document.head.appendChild(s);
      })(0);
    });
  }
  function colours() {
    var dark = document.documentElement.dataset.theme === "dark";
    var fg = dark ? "#d8dde2" : "#222222", grid = dark ? "#3b4148" : "#e4e4e4";
    var dom = dark ? "#9aa4ae" : "#707070";
    return {background: "transparent",
            axis: {labelColor: fg, titleColor: fg, gridColor: grid, domainColor: dom,
                   tickColor: dom},
            legend: {labelColor: fg, titleColor: fg}, title: {color: fg, subtitleColor: fg},
            text: {color: fg}, view: {stroke: grid}};
  }
  function layout(spec, width) {
    var s = JSON.parse(JSON.stringify(spec));
    var panels = s.hconcat;
    var w = (s.usermeta && s.usermeta.panelWidth) || 250;
    if (panels && width < panels.length * (w + 75)) {
      s.vconcat = panels;
      delete s.hconcat;
    }
    (s.vconcat || []).forEach(function (p) { p.width = Math.max(180, Math.min(w, width - 75)); });
    if (!s.hconcat && !s.vconcat && s.width) {
      s.width = Math.max(180, Math.min(s.width, width - 75));
    }
    if (width < 560) {  // a phone: legends in columns, a long title cut to the width
      s.config = s.config || {};
      s.config.legend = Object.assign({}, s.config.legend, {direction: "vertical"});
      s.config.title = Object.assign({}, s.config.title, {limit: width - 20});
    }
    return s;
  }
  var view = null, stacked = null;
  function values() {
    var out = {};
    if (view) { (spec.params || []).forEach(function (p) {
      if (p.bind) { out[p.name] = view.signal(p.name); } }); }
    return out;
  }
  function draw() {
    el.dataset.drawCallMs = String(performance.now());
    var width = el.clientWidth || 690;
    var s = layout(spec, width), kept = values();
    (s.params || []).forEach(function (p) { if (p.name in kept) { p.value = kept[p.name]; } });
    stacked = !!s.vconcat;
    if (view) { view.finalize(); }
    el.dataset.embedStartMs = String(performance.now());
    return vegaEmbed(el.querySelector(".critbook-live-chart"), s,
                     {actions: false, renderer: "svg", config: colours()})
      .then(function (result) {
        view = result.view;
        el.critbookView = view;
        el.dataset.drawnMs = String(performance.now());
        el.dataset.ready = "1";
      });
  }
  window.critbookVega.then(draw).then(function () {
    new MutationObserver(function () { draw(); }).observe(
      document.documentElement, {attributes: true, attributeFilter: ["data-theme"]});
    var timer = null;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var s = layout(spec, el.clientWidth || 690);
        if (!!s.vconcat !== stacked) { draw(); }
      }, 150);
    });
  }).catch(function (error) {
    el.dataset.error = String(error);
    el.querySelector(".critbook-live-chart").textContent =
      "The live figure could not be drawn (" + error.message + ").";
    console.error(error);
  });
})();"""

# Slider rows: wrap on narrow screens, thumbs and labels large enough for a finger, readouts in
# the theme's text colour.
STYLE = """<style>
.critbook-live { margin: 0.5rem 0 1rem; color: var(--pst-color-text-base, #222); }
/* The theme puts HTML outputs on a light slab in dark mode; the chart follows the theme instead. */
html[data-theme=dark] .bd-content div.cell_output .text_html:has(.critbook-live) {
  background-color: transparent !important; padding: 0 !important; }
.critbook-live .vega-embed { width: 100%; }
.critbook-live .vega-bindings { display: flex; flex-wrap: wrap; gap: 0.1rem 1.5rem;
  margin-top: 0.4rem; font-size: 0.9rem; }
.critbook-live .vega-bind > label { display: flex; flex-wrap: wrap; align-items: center;
  gap: 0.1rem 0.5rem; min-height: 44px; margin: 0; }
.critbook-live .vega-bind-name { min-width: 5.5em; font-weight: 600; }
.critbook-live .vega-bind-radio { display: inline-flex; flex-wrap: wrap; align-items: center;
  gap: 0 0.9rem; }
.critbook-live .vega-bind-radio label { display: inline-flex; align-items: center;
  min-height: 44px; margin: 0 0 0 0.3rem; }
@media print { .critbook-live .vega-bindings { display: none; } }
.critbook-live input[type=range] { width: 11rem; max-width: 55vw; height: 44px;
  margin: 0; accent-color: #1f77b4; touch-action: pan-y; }
.critbook-live input[type=radio] { width: 1.25rem; height: 1.25rem; }
.critbook-live .vega-bind > label > span:last-child { min-width: 3em;
  font-variant-numeric: tabular-nums; }
</style>"""


class LiveFigure:
    """An Altair chart that displays live in a notebook and on the static site.

    Parameters
    ----------
    chart : altair.TopLevelMixin
        The chart, with its sliders as bound parameters; its data are named
        (``altair.Data(name=...)``) and found in ``datasets``.
    data : LiveData
        The arrays the chart was made from (for tests and reuse).
    name : str
        A short name, used in the HTML id.
    datasets : dict of str to list of dict
        The named tables of the chart (rows as made by :meth:`LiveData.rows`).

    Notes
    -----
    ``_repr_mimebundle_`` returns the chart's own Altair output, except when
    the environment variable ``CRITBOOK_LIVE`` is ``site`` (set by the book
    build), where it returns :meth:`site_html`.
    """

    def __init__(
        self, chart: Any, data: LiveData, name: str, datasets: dict[str, list[dict[str, Any]]]
    ) -> None:
        self.chart = chart
        self.data = data
        self.name = name
        self.datasets = datasets

    def spec(self) -> dict[str, Any]:
        """The Vega-Lite specification (a dict), with the data in its ``datasets``."""
        # The tables are added after Altair's conversion: Altair would otherwise walk (and
        # validate) every value, which takes tens of seconds for the larger figures.
        spec = self.chart.to_dict()
        spec["datasets"] = {**spec.get("datasets", {}), **self.datasets}
        return spec

    def site_html(self) -> str:
        """The chart as HTML for the static site: a div, the spec as JSON, the loader."""
        element = f"critbook-live-{self.name}-{uuid.uuid4().hex[:8]}"
        spec = json.dumps(self.spec(), separators=(",", ":"), allow_nan=False)
        spec = spec.replace("</", "<\\/")  # cannot close the script element
        script = LOADER_JS % {"id": json.dumps(element), "files": json.dumps(list(VENDOR_FILES))}
        return (
            f'{STYLE}\n<div class="critbook-live" id="{html.escape(element)}"'
            f' data-critbook-live="{html.escape(self.name)}">'
            '<div class="critbook-live-chart"><noscript>This figure needs JavaScript; the'
            " chapter's static figures show the same quantities.</noscript></div></div>\n"
            f'<script type="application/json" id="{html.escape(element)}-spec">{spec}</script>\n'
            f"<script>{script}</script>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        if os.environ.get("CRITBOOK_LIVE") == "site":
            return {"text/html": self.site_html(), "text/plain": repr(self)}
        return _alt().renderers.get()(self.spec())

    def __repr__(self) -> str:
        return f"<critbook live figure {self.name!r}>"


# ----------------------------------------------------------------------------------------------
# Chart pieces
# ----------------------------------------------------------------------------------------------


def _alt():
    import altair as alt  # imported here: plain critbook does not need Altair

    return alt


def _slider(name: str, values: np.ndarray, value: float, label: str) -> Any:
    alt = _alt()
    step = float(values[1] - values[0])
    return alt.param(
        name=name,
        value=float(value),
        bind=alt.binding_range(min=float(values[0]), max=float(values[-1]), step=step, name=label),
    )


def _matches(field_name: str, param: str, values: np.ndarray) -> str:
    """A Vega expression: the row's grid value is the slider's (to half a grid step)."""
    half = 0.5 * float(values[1] - values[0]) if len(values) > 1 else 0.5
    return f"abs(datum.{field_name} - {param}) < {half:.12g}"


def _curves(
    datasets: dict[str, list[dict[str, Any]]],
    data: LiveData,
    names: list[str],
    by: tuple[str, ...],
    params: dict[str, str],
    x: str,
) -> Any:
    """A chart of the curves ``names`` at the sliders' setting, one row per point of ``x``.

    The rows go into ``datasets`` (the spec's top-level ``datasets``, written once however many
    layers use them); ``params`` maps each grid in ``by`` to the slider that picks it.
    """
    alt = _alt()
    key = "-".join(names)
    if key not in datasets:
        datasets[key] = data.rows(names, by)
    values = data.grids[x]
    condition = " && ".join(
        f"datum.{b} == {params[b]}"
        if data.grids[b].dtype.kind in "US"
        else _matches(b, params[b], data.grids[b])
        for b in by
    )
    step = float(values[1] - values[0])
    scaled = {n: f"datum.{n} === null ? null : datum.{n} / {10 ** data.decimals[n]}" for n in names}
    return (
        alt.Chart(alt.Data(name=key))
        .transform_filter(condition)
        .transform_flatten(names)
        .transform_window(index_="row_number()")
        .transform_calculate(**{x: f"{float(values[0])!r} + (datum.index_ - 1) * {step!r}"})
        .transform_calculate(**scaled)
    )


def _readout(chart: Any, text: str, line: int = 0) -> Any:
    """A text mark above a panel, on line 0 or 1 (the figure's value readouts)."""
    alt = _alt()
    return (
        chart.transform_calculate(readout_=text)
        .mark_text(align="left", baseline="bottom", fontSize=12, fontWeight="bold")
        .encode(x=alt.value(0), y=alt.value(-22 + 15 * line), text="readout_:N")
    )


def _regime_scale() -> Any:
    alt = _alt()
    return alt.Scale(domain=list(REGIMES), range=list(REGIME_COLORS))


def _finish(chart: Any, title: str) -> Any:
    return (
        chart.properties(title=title, usermeta={"panelWidth": PANEL_WIDTH})
        .configure_axis(labelFontSize=11, titleFontSize=12)
        .configure_title(fontSize=13, anchor="start")
        .configure_legend(labelFontSize=11, titleFontSize=11, orient="bottom")
    )


def _regime_code(names: Any) -> np.ndarray:
    return np.vectorize(REGIMES.index, otypes=[float])(names)


# ----------------------------------------------------------------------------------------------
# 1. Rank collapse: entropy against log n, largest weight, mean cosine over depth
# ----------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------
# 2. Tractable model: the one-layer map rho -> rho' with simulated points
# ----------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------
# 3. Phase transition: self weight and rho' against gamma, with the limits and the regime
# ----------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------
# 4. Gradients: eta and lambda against gamma / gamma_c
# ----------------------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------------------
# 5. Practice: a rule's beta_n against n, calibrated at its training length
# ----------------------------------------------------------------------------------------------

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
                for s in regime_segments(beta_n, float(r), n_min=n[0], n_max=n[-1]):
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
