"""Interactive explorers for the book (ipywidgets + matplotlib).

:class:`Explorer` puts the one-layer simplex theory and a small token
picture behind four sliders: ``log10 n``, ``gamma``, ``rho`` and ``alpha``.
Its figure is drawn once; a slider move only recomputes the closed forms and
calls ``set_data`` on the existing artists (:meth:`Explorer.update`), then
sends the re-rendered image to the notebook. The figure is a plain
:class:`matplotlib.figure.Figure` (not managed by ``pyplot``), so it is shown
exactly once, where the explorer is displayed.

Without a running kernel (a static web page) the sliders do not respond; the
figure shows the explorer's state when the page was built.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_int, check_real
from .attention import attention_layer, normalize
from .geometry import mean_cosine
from .plots import regime_colors
from .simplex import critical_gamma, regime, simplex_layer, simplex_limit, simplex_self_weight

__all__ = ["Explorer"]

#: Slider ranges: (min, max, step) of each parameter of :class:`Explorer`.
RANGES = {
    "log10_n": (1.0, 12.0, 0.1),
    "gamma": (0.0, 8.0, 0.05),
    "rho": (0.05, 0.85, 0.01),
    "alpha": (0.0, 2.0, 0.05),
}

_LABELS = {
    "log10_n": "log10 n",
    "gamma": "gamma",
    "rho": "rho",
    "alpha": "alpha",
}

#: Radius at which output directions are drawn in the token panel.
_OUT_RADIUS = 0.78


def _check_param(name: str, value: Any) -> float:
    lo, hi, _ = RANGES[name]
    return check_real(value, name, low=lo, high=hi)


class Explorer:
    """One attention layer, theory and tokens, behind four sliders.

    Three panels, all for ``beta = gamma log n``:

    1. the simplex self weight ``A_ii`` against ``gamma`` at the chosen ``n``
       (:func:`critbook.simplex_self_weight`), its ``n -> infinity`` limit
       (0, 1/2, 1) and a marker at the chosen ``gamma``;
    2. the output cosine ``rho_out`` of the exact finite-``n`` map
       (:func:`critbook.simplex_layer`, residual ``alpha``, ``q = 1``), its
       limit (:func:`critbook.simplex_limit`) and the input cosine ``rho``;
    3. ``n_tokens`` tokens in ``d = 2``, ``x_i = sqrt(rho) e_1 + sqrt(1 - rho) z_i``
       with ``z_i ~ N(0, I_2 / 2)`` (:meth:`tokens`), before (grey, on the unit
       circle) and after one layer (coloured, directions drawn at radius
       0.78), with ``beta = gamma log n_tokens``. This is the Gaussian model
       of :func:`critbook.gaussian_tokens` with the shared vector ``z_0``
       fixed to the unit vector ``e_1``: in ``d = 2`` the random length of
       ``z_0`` would otherwise decide the picture. This panel is a real layer
       on these few tokens, so it does not depend on the ``n`` slider.

    Parameters
    ----------
    log10_n : float, default 4.0
        ``log10`` of the context length for panels 1 and 2, in ``[1, 12]``.
    gamma : float, default 1.0
        Scaling constant, in ``[0, 8]``.
    rho : float, default 0.3
        Input cosine, in ``[0.05, 0.85]``.
    alpha : float, default 0.0
        Residual strength, in ``[0, 2]``.
    n_tokens : int, default 30
        Number of tokens in panel 3, in ``[2, 500]``.
    seed : int, default 0
        Seed of the draw of the ``z_i`` (the same draw for every ``rho``, so
        the picture moves smoothly).
    dpi : int, default 80
        Resolution of the image sent to the notebook.

    Notes
    -----
    The sliders redraw when released (``continuous_update=False``). A redraw
    is :meth:`update` (closed forms and ``set_data``, about a millisecond)
    plus :meth:`png` (the changing artists drawn over a stored background
    and encoded, a few tens of milliseconds).

    Attributes
    ----------
    figure : matplotlib.figure.Figure
    sliders : dict of str to ipywidgets.FloatSlider
    controls : ipywidgets.VBox
        The sliders (and a one-line readout).
    values : dict
        What the figure currently shows: ``self_weight``,
        ``self_weight_limit``, ``rho_out``, ``rho_out_limit``, ``q_out``,
        ``regime``, ``gamma_c``, ``tokens_in``, ``tokens_out`` (unit
        directions, shape ``(n_tokens, 2)``), ``mean_cosine_in``,
        ``mean_cosine_out``.
    artists : dict of str to matplotlib artists
        The artists updated by :meth:`update`.

    Examples
    --------
    No display is needed to build and drive the explorer:

    >>> import numpy as np
    >>> from critbook.widgets import Explorer
    >>> ex = Explorer(log10_n=6, gamma=1.0, rho=0.5)
    >>> values = ex.update(gamma=2.0)  # gamma_c = 2: the critical scale
    >>> round(values["self_weight"], 4)
    0.5
    >>> values["regime"]
    'critical'
    """

    def __init__(
        self,
        log10_n: float = 4.0,
        gamma: float = 1.0,
        rho: float = 0.3,
        alpha: float = 0.0,
        *,
        n_tokens: int = 30,
        seed: int = 0,
        dpi: int = 80,
    ) -> None:
        import ipywidgets as widgets

        self.params = {
            "log10_n": _check_param("log10_n", log10_n),
            "gamma": _check_param("gamma", gamma),
            "rho": _check_param("rho", rho),
            "alpha": _check_param("alpha", alpha),
        }
        self.n_tokens = check_int(n_tokens, "n_tokens", low=2, high=500)
        self.seed = check_int(seed, "seed", low=0)
        self.dpi = check_int(dpi, "dpi", low=20, high=300)
        self._noise = np.random.default_rng(self.seed).standard_normal((self.n_tokens, 2))
        self._noise /= np.sqrt(2.0)
        self._gammas = np.linspace(*RANGES["gamma"][:2], 321)
        self._handle: Any = None
        self._syncing = False
        self.values: dict[str, Any] = {}
        self.artists: dict[str, Any] = {}
        self._build_figure()
        self.sliders = {
            name: widgets.FloatSlider(
                value=self.params[name],
                min=lo,
                max=hi,
                step=step,
                description=_LABELS[name],
                continuous_update=False,
                readout_format=".2f",
                layout=widgets.Layout(width="420px"),
            )
            for name, (lo, hi, step) in RANGES.items()
        }
        for slider in self.sliders.values():
            slider.observe(self._on_slider, names="value")
        self.readout = widgets.HTML()
        self.controls = widgets.VBox([*self.sliders.values(), self.readout])
        self.update()

    # -- figure ------------------------------------------------------------------

    def _build_figure(self) -> None:
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure

        fig = Figure(figsize=(12.0, 3.9), dpi=self.dpi, layout="constrained")
        ax_w, ax_r, ax_t = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.0, 0.8]})
        g = self._gammas
        nan = np.full_like(g, np.nan)
        crit = regime_colors["critical"]

        # Panel 1: the self weight.
        (curve_w,) = ax_w.plot(g, nan, color="0.2", lw=2, label="finite $n$")
        (limit_w,) = ax_w.plot(g, nan, color="k", lw=1.2, ls="--", label=r"limit $n\to\infty$")
        (dot_w,) = ax_w.plot([np.nan], [0.5], "o", color="k", ms=5, mfc="white")
        (mark_w,) = ax_w.plot([np.nan], [np.nan], "o", ms=10)
        gc_w = ax_w.axvline(np.nan, color=crit, lw=1.2, ls=":", label=r"$\gamma_c$")
        text_w = ax_w.text(0.98, 0.05, "", transform=ax_w.transAxes, ha="right", va="bottom")
        ax_w.set_xlim(g[0], g[-1])
        ax_w.set_ylim(-0.03, 1.03)
        ax_w.set_xlabel(r"scaling constant $\gamma$")
        ax_w.set_ylabel(r"self weight $A_{ii}$")
        ax_w.legend(loc="upper left", fontsize="small", frameon=False)
        ax_w.grid(alpha=0.3)

        # Panel 2: the output cosine.
        (curve_r,) = ax_r.plot(g, nan, color="0.2", lw=2, label=r"$\rho'$ at finite $n$")
        (limit_r,) = ax_r.plot(g, nan, color="k", lw=1.2, ls="--", label=r"limit $n\to\infty$")
        (dot_r,) = ax_r.plot([np.nan], [np.nan], "o", color="k", ms=5, mfc="white")
        (input_r,) = ax_r.plot(g[[0, -1]], [np.nan, np.nan], color="0.5", lw=1, ls=":",
                               label=r"input $\rho$")
        (mark_r,) = ax_r.plot([np.nan], [np.nan], "o", ms=10)
        gc_r = ax_r.axvline(np.nan, color=crit, lw=1.2, ls=":")
        text_r = ax_r.text(0.98, 0.05, "", transform=ax_r.transAxes, ha="right", va="bottom")
        ax_r.set_xlim(g[0], g[-1])
        ax_r.set_ylim(0.0, 1.02)
        ax_r.set_xlabel(r"scaling constant $\gamma$")
        ax_r.set_ylabel(r"output cosine $\rho'$")
        ax_r.legend(loc="upper right", fontsize="small", frameon=False)
        ax_r.grid(alpha=0.3)

        # Panel 3: tokens before and after one layer, d = 2.
        theta = np.linspace(0.0, 2.0 * np.pi, 200)
        ax_t.plot(np.cos(theta), np.sin(theta), color="0.85", lw=1)
        ax_t.plot(_OUT_RADIUS * np.cos(theta), _OUT_RADIUS * np.sin(theta), color="0.92", lw=1)
        links = LineCollection([], colors="0.6", linewidths=0.8)
        ax_t.add_collection(links)
        (tok_in,) = ax_t.plot([], [], "o", ms=5, mfc="white", mec="0.4", label="before")
        (tok_out,) = ax_t.plot([], [], "o", ms=5, label="after (directions)")
        text_t = ax_t.text(0.0, -1.28, "", ha="center", va="bottom")
        ax_t.set_xlim(-1.3, 1.3)
        ax_t.set_ylim(-1.3, 1.3)
        ax_t.set_aspect("equal")
        ax_t.set_xticks([])
        ax_t.set_yticks([])
        from matplotlib.lines import Line2D

        ax_t.legend(
            handles=[
                Line2D([], [], ls="", marker="o", ms=5, mfc="white", mec="0.4", label="before"),
                Line2D([], [], ls="", marker="o", ms=5, color="0.3", label="after (directions)"),
            ],
            loc="upper right",
            fontsize="small",
            frameon=False,
        )

        self.figure = fig
        self.axes = (ax_w, ax_r, ax_t)
        self._canvas: Any = None
        self._background: Any = None
        self.artists = {
            "self_weight_curve": curve_w,
            "self_weight_limit": limit_w,
            "self_weight_critical": dot_w,
            "self_weight_marker": mark_w,
            "self_weight_gamma_c": gc_w,
            "self_weight_text": text_w,
            "rho_out_curve": curve_r,
            "rho_out_limit": limit_r,
            "rho_out_critical": dot_r,
            "rho_out_input": input_r,
            "rho_out_marker": mark_r,
            "rho_out_gamma_c": gc_r,
            "rho_out_text": text_r,
            "tokens_links": links,
            "tokens_in": tok_in,
            "tokens_out": tok_out,
            "tokens_text": text_t,
        }

    # -- computation and drawing -------------------------------------------------

    def update(
        self,
        log10_n: float | None = None,
        gamma: float | None = None,
        rho: float | None = None,
        alpha: float | None = None,
    ) -> dict[str, Any]:
        """Set any of the parameters, recompute and redraw; return :attr:`values`.

        Only the data of the existing artists change (``set_data``); the
        figure is not rebuilt. If the explorer is displayed in a notebook,
        the new image is sent to it. Sliders follow the new values.

        Parameters
        ----------
        log10_n, gamma, rho, alpha : float, optional
            New values (``None`` keeps the current one); ranges as in the
            class docstring.

        Returns
        -------
        dict
            :attr:`values`.
        """
        new = {"log10_n": log10_n, "gamma": gamma, "rho": rho, "alpha": alpha}
        for name, value in new.items():
            if value is not None:
                self.params[name] = _check_param(name, value)
        if getattr(self, "sliders", None):
            self._syncing = True
            try:
                for name, slider in self.sliders.items():
                    if slider.value != self.params[name]:
                        slider.value = self.params[name]
            finally:
                self._syncing = False
        self._compute()
        self._draw()
        if self._canvas is None:
            self._init_canvas()
        if self._handle is not None:
            self._handle.update(self._image())
        return self.values

    def _compute(self) -> None:
        p = self.params
        n = 10.0 ** p["log10_n"]
        gamma, rho, alpha = p["gamma"], p["rho"], p["alpha"]
        logn = np.log(n)
        gc = critical_gamma(rho)
        g = self._gammas
        kind = regime(gamma, rho)
        limit_p = {"subcritical": 0.0, "critical": 0.5, "supercritical": 1.0}[kind]
        q_out, rho_out = simplex_layer(n, gamma * logn, rho, 1.0, alpha)
        _, rho_curve = simplex_layer(n, g * logn, rho, 1.0, alpha)
        X = self.tokens(rho)
        X_out = attention_layer(X, gamma * np.log(self.n_tokens), alpha)
        self.values = {
            "n": n,
            "gamma_c": gc,
            "regime": kind,
            "self_weight": simplex_self_weight(n, gamma * logn, rho),
            "self_weight_limit": limit_p,
            "self_weight_curve": simplex_self_weight(n, g * logn, rho),
            "rho_out": rho_out,
            "rho_out_limit": simplex_limit(gamma, rho, 1.0, alpha),
            "rho_out_curve": rho_curve,
            "q_out": q_out,
            "tokens_in": normalize(X),
            "tokens_out": normalize(X_out),
            "mean_cosine_in": mean_cosine(X),
            "mean_cosine_out": mean_cosine(X_out),
        }

    def _draw(self) -> None:
        v, p, a = self.values, self.params, self.artists
        g = self._gammas
        gc = v["gamma_c"]
        color = regime_colors[v["regime"]]
        below = g < gc
        # Limits as steps, broken at gamma_c (NaN), with the critical value as a dot.
        step_w = np.where(below, 0.0, 1.0)
        step_r = np.where(
            below,
            simplex_limit(0.0, p["rho"], 1.0, p["alpha"]),
            p["rho"],
        )
        cut = np.flatnonzero(~below)
        if cut.size:
            step_w[cut[0]] = np.nan
            step_r[cut[0]] = np.nan
        a["self_weight_curve"].set_ydata(v["self_weight_curve"])
        a["self_weight_limit"].set_ydata(step_w)
        a["self_weight_critical"].set_data([gc], [0.5])
        a["self_weight_marker"].set_data([p["gamma"]], [v["self_weight"]])
        a["self_weight_marker"].set_color(color)
        a["self_weight_gamma_c"].set_xdata([gc, gc])
        a["self_weight_text"].set_text(
            rf"$n = 10^{{{p['log10_n']:.1f}}}$: $A_{{ii}}$ = {v['self_weight']:.3f}"
            f" (limit {v['self_weight_limit']:g})"
        )
        a["rho_out_curve"].set_ydata(v["rho_out_curve"])
        a["rho_out_limit"].set_ydata(step_r)
        a["rho_out_critical"].set_data([gc], [simplex_limit(gc, p["rho"], 1.0, p["alpha"])])
        a["rho_out_input"].set_ydata([p["rho"], p["rho"]])
        a["rho_out_marker"].set_data([p["gamma"]], [v["rho_out"]])
        a["rho_out_marker"].set_color(color)
        a["rho_out_gamma_c"].set_xdata([gc, gc])
        a["rho_out_text"].set_text(
            rf"$\rho'$ = {v['rho_out']:.3f} (limit {v['rho_out_limit']:.3f})"
        )
        Y, Yo = v["tokens_in"], _OUT_RADIUS * v["tokens_out"]
        a["tokens_in"].set_data(Y[:, 0], Y[:, 1])
        a["tokens_out"].set_data(Yo[:, 0], Yo[:, 1])
        a["tokens_out"].set_color(color)
        a["tokens_links"].set_segments(np.stack([Y, Yo], axis=1))
        a["tokens_text"].set_text(
            f"mean cosine {v['mean_cosine_in']:.2f} → {v['mean_cosine_out']:.2f}"
        )
        ax_w, ax_r, ax_t = self.axes
        ax_w.set_title(rf"Self weight, $\gamma_c = 1/(1-\rho) = {gc:.2f}$ ({v['regime']})")
        ax_r.set_title(rf"One simplex layer, $\rho = {p['rho']:.2f}$, $\alpha = {p['alpha']:.2f}$")
        ax_t.set_title(
            rf"{self.n_tokens} tokens, $d = 2$, $\beta = \gamma \log {self.n_tokens}$"
        )
        self.readout.value = (
            f"n = 10<sup>{p['log10_n']:.1f}</sup>, &gamma; = {p['gamma']:.2f}, "
            f"&gamma;<sub>c</sub> = {gc:.2f}: <b>{v['regime']}</b>; "
            f"A<sub>ii</sub> = {v['self_weight']:.3f}, &rho;' = {v['rho_out']:.3f}"
        )

    def tokens(self, rho: float | None = None) -> np.ndarray:
        """The tokens of the third panel, ``sqrt(rho) e_1 + sqrt(1 - rho) z_i``.

        The array has shape ``(n_tokens, 2)``.

        Parameters
        ----------
        rho : float, optional
            Weight of the shared direction; default the current ``rho``.
        """
        rho = self.params["rho"] if rho is None else _check_param("rho", rho)
        X = np.sqrt(1.0 - rho) * self._noise
        X[:, 0] += np.sqrt(rho)
        return X

    # -- notebook display ----------------------------------------------------------

    def _on_slider(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        for name, slider in self.sliders.items():
            if slider is change["owner"]:
                self.update(**{name: change["new"]})
                return

    def _dynamic_artists(self) -> list[Any]:
        """Artists drawn on every update, in matplotlib's drawing order.

        The changing artists, plus the legends (which sit above them). Per
        axes, sorted by ``zorder`` and then by insertion order, as a full
        draw would.
        """
        if getattr(self, "_dynamic", None) is None:
            changing = {id(artist) for artist in self.artists.values()}
            order: list[Any] = []
            for ax in self.axes:
                mine = [c for c in ax.get_children() if id(c) in changing]
                if ax.get_legend() is not None:
                    mine.append(ax.get_legend())
                order += sorted(mine, key=lambda c: c.get_zorder())
                order.append(ax.title)
            self._dynamic = order
        return self._dynamic

    def _init_canvas(self) -> None:
        """Lay the figure out once, then keep its static part as a background.

        The first full draw runs the constrained layout; the layout is then
        frozen, the changing artists are marked ``animated`` (left out of a
        normal draw) and the rest is drawn once and stored. :meth:`png`
        restores that background and draws only the changing artists
        (blitting), several times faster than a full redraw.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(self.figure)
        canvas.draw()
        self.figure.set_layout_engine("none")
        for artist in self._dynamic_artists():
            artist.set_animated(True)
        canvas.draw()
        self._background = canvas.copy_from_bbox(self.figure.bbox)
        self._canvas = canvas

    def png(self) -> bytes:
        """The current figure as PNG bytes (static background plus changing artists)."""
        import io

        from PIL import Image as PILImage

        canvas = self._canvas
        canvas.restore_region(self._background)
        for artist in self._dynamic_artists():
            self.figure.draw_artist(artist)
        rgba = np.asarray(canvas.buffer_rgba())
        buf = io.BytesIO()
        PILImage.fromarray(rgba).save(buf, format="png", compress_level=3)
        return buf.getvalue()

    def _image(self) -> Any:
        from IPython.display import Image

        return Image(data=self.png(), format="png")

    def show(self, controls: bool = True, figure: bool = True) -> None:
        """Display the sliders and the figure in a notebook.

        The figure is a normal image output (visible on a static page); with
        a running kernel, every slider move replaces it, wherever it was
        displayed. The two parts can be shown in separate cells, e.g.
        ``show(figure=False)`` then ``show(controls=False)``.

        Parameters
        ----------
        controls : bool, default True
            Display the sliders.
        figure : bool, default True
            Display the figure.
        """
        from IPython.display import display

        if controls:
            display(self.controls)
        if figure:
            self._handle = display(self._image(), display_id=True)

    def _ipython_display_(self) -> None:
        self.show()
