"""Tests of critbook.widgets.Explorer, headless (no kernel, no display)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

import critbook as cb  # noqa: E402
from critbook.widgets import Explorer  # noqa: E402


@pytest.fixture(scope="module")
def explorer():
    return Explorer()


def _ydata(artist):
    return np.asarray(artist.get_ydata(), dtype=float)


def test_plotted_data_follow_simplex_layer(explorer):
    values = explorer.update(log10_n=5.0, gamma=2.0, rho=0.4, alpha=0.3)
    n, gamma, rho, alpha = 1e5, 2.0, 0.4, 0.3
    a = explorer.artists
    # The markers sit on the exact finite-n map at the chosen gamma.
    q_out, rho_out = cb.simplex_layer(n, gamma * np.log(n), rho, 1.0, alpha)
    assert _ydata(a["rho_out_marker"])[0] == pytest.approx(rho_out, rel=1e-12)
    assert values["q_out"] == pytest.approx(q_out, rel=1e-12)
    assert _ydata(a["self_weight_marker"])[0] == pytest.approx(
        1.0 / (1.0 + (n - 1.0) * n ** (-gamma * (1.0 - rho))), rel=1e-10
    )
    # The curves are the same map over the gamma grid on the horizontal axis.
    g = np.asarray(a["rho_out_curve"].get_xdata(), dtype=float)
    assert_allclose(_ydata(a["rho_out_curve"]), cb.simplex_layer(n, g * np.log(n), rho, 1.0,
                                                                  alpha)[1], rtol=1e-12)
    assert_allclose(_ydata(a["self_weight_curve"]),
                    cb.simplex_self_weight(n, g * np.log(n), rho), rtol=1e-12)
    # Limits: the step is the n -> infinity limit away from gamma_c.
    step = _ydata(a["rho_out_limit"])
    gc = 1.0 / (1.0 - rho)
    assert_allclose(step[g < gc], cb.simplex_limit(0.5 * gc, rho, 1.0, alpha))
    assert_allclose(step[g > gc + 0.05], rho)
    assert values["rho_out_limit"] == pytest.approx(cb.simplex_limit(gamma, rho, 1.0, alpha))
    assert values["regime"] == "supercritical"


def test_token_panel_is_one_attention_layer(explorer):
    explorer.update(gamma=0.7, rho=0.5, alpha=0.2)
    # The documented token model: sqrt(rho) e_1 + sqrt(1 - rho) z_i, z_i ~ N(0, I_2 / 2).
    z = np.random.default_rng(explorer.seed).standard_normal((explorer.n_tokens, 2)) / np.sqrt(2)
    X = np.sqrt(0.5) * np.array([1.0, 0.0]) + np.sqrt(0.5) * z
    assert_allclose(explorer.tokens(), X, rtol=1e-15)
    X_out = cb.attention_layer(X, 0.7 * np.log(explorer.n_tokens), 0.2)
    x_out, y_out = explorer.artists["tokens_out"].get_data()
    Yo = cb.normalize(X_out)
    assert_allclose(x_out, 0.78 * Yo[:, 0], rtol=1e-12)
    assert_allclose(y_out, 0.78 * Yo[:, 1], rtol=1e-12)
    x_in, y_in = explorer.artists["tokens_in"].get_data()
    assert_allclose(np.hypot(x_in, y_in), 1.0, rtol=1e-12)
    assert explorer.values["mean_cosine_out"] == pytest.approx(cb.mean_cosine(X_out))


def test_update_changes_data_in_place(explorer):
    fig = explorer.figure
    artists = dict(explorer.artists)
    explorer.update(log10_n=3.0, gamma=1.0, rho=0.3, alpha=0.0)
    before = _ydata(explorer.artists["rho_out_curve"]).copy()
    marker_before = _ydata(explorer.artists["self_weight_marker"]).copy()
    explorer.update(log10_n=9.0)
    after = _ydata(explorer.artists["rho_out_curve"])
    assert not np.allclose(before, after)
    assert _ydata(explorer.artists["self_weight_marker"])[0] < marker_before[0]  # subcritical
    # The same figure and artists, only new data.
    assert explorer.figure is fig
    assert all(explorer.artists[k] is v for k, v in artists.items())
    # Not a pyplot figure: a notebook shows it only where the explorer is displayed.
    from matplotlib._pylab_helpers import Gcf

    assert all(m.canvas.figure is not fig for m in Gcf.get_all_fig_managers())


def test_sliders_follow_update_and_drive_it(explorer):
    explorer.update(gamma=1.5, rho=0.2)
    assert explorer.sliders["gamma"].value == 1.5
    assert explorer.sliders["rho"].value == 0.2
    explorer.sliders["gamma"].value = 2.5  # as a reader moving the slider
    assert explorer.params["gamma"] == 2.5
    n = 10.0 ** explorer.params["log10_n"]
    want = cb.simplex_layer(n, 2.5 * np.log(n), 0.2, 1.0, explorer.params["alpha"])[1]
    assert explorer.values["rho_out"] == pytest.approx(want, rel=1e-12)
    assert "supercritical" in explorer.readout.value


def test_critical_value_shows_one_half():
    ex = Explorer(log10_n=12.0, gamma=2.0, rho=0.5)
    assert ex.values["regime"] == "critical"
    assert ex.values["self_weight"] == pytest.approx(0.5, abs=1e-11)
    assert ex.values["rho_out_limit"] == pytest.approx(4 * 0.5 / (1 + 3 * 0.5))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(gamma=9.0), "gamma"),
        (dict(gamma=-0.1), "gamma"),
        (dict(rho=0.95), "rho"),
        (dict(log10_n=0.5), "log10_n"),
        (dict(alpha=3.0), "alpha"),
        (dict(gamma="1"), "gamma"),
    ],
)
def test_bad_parameters_name_the_argument(explorer, kwargs, name):
    with pytest.raises((TypeError, ValueError), match=name):
        explorer.update(**kwargs)
    with pytest.raises((TypeError, ValueError), match=name):
        Explorer(**kwargs)


def test_constructor_options_are_validated():
    with pytest.raises(ValueError, match="n_tokens"):
        Explorer(n_tokens=1)
    with pytest.raises(ValueError, match="dpi"):
        Explorer(dpi=5)


def test_png_and_display_handle(explorer):
    png = explorer.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"

    class Handle:
        def __init__(self):
            self.images = []

        def update(self, obj):
            self.images.append(obj)

    handle = Handle()
    explorer._handle = handle
    try:
        explorer.update(gamma=3.0)
        explorer.update(rho=0.6)
    finally:
        explorer._handle = None
    assert len(handle.images) == 2
    assert handle.images[-1].data[:8] == b"\x89PNG\r\n\x1a\n"
    assert handle.images[0].data != handle.images[1].data


def test_blitted_image_equals_a_full_redraw(explorer):
    # The fast path (background + changing artists) must draw what a full draw shows.
    explorer.update(log10_n=4.0, gamma=1.2, rho=0.35, alpha=0.4)
    explorer.png()
    fast = np.asarray(explorer._canvas.buffer_rgba()).copy()
    dynamic = explorer._dynamic_artists()
    for artist in dynamic:
        artist.set_animated(False)
    try:
        explorer._canvas.draw()
        full = np.asarray(explorer._canvas.buffer_rgba()).copy()
    finally:
        for artist in dynamic:
            artist.set_animated(True)
    differ = np.any(fast != full, axis=-1)
    assert differ.mean() < 1e-3  # spines drawn over lines at the axes edges: a few pixels


def test_show_displays_controls_and_a_figure_handle(explorer, monkeypatch):
    import IPython.display

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def fake_display(obj, display_id=None):
        shown.append(("display", obj))
        return Handle() if display_id else None

    monkeypatch.setattr(IPython.display, "display", fake_display)
    explorer.show(figure=False)
    assert shown[-1][1] is explorer.controls
    assert explorer._handle is None
    explorer.show(controls=False)
    assert shown[-1][1].data[:8] == b"\x89PNG\r\n\x1a\n"
    explorer.update(alpha=1.0)  # a slider move re-renders into the displayed image
    assert shown[-1][0] == "update"
    explorer._handle = None
