"""The machinery of the live figures: grids, the exported tables, the page HTML and
the shared pieces of the Altair charts (see :mod:`critbook.live`)."""

from __future__ import annotations

import html
import json
import os
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The public API (robust to moves of functions between modules); critbook/__init__.py does
# not import this module, so the package is fully initialised when it runs.
from ..plots._style import regime_colors
from ..simplex import REGIMES

__all__ = ["LiveData", "LiveFigure", "grid"]

#: Colours of the regimes: the book's one set (``critbook.plots.regime_colors``).
REGIME_COLORS = tuple(regime_colors[name] for name in REGIMES)
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
