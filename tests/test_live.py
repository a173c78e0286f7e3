"""critbook.live: the data exported for the live figures, and the page they make.

Values are checked at sampled grid points against critbook called directly at that setting and,
where one exists, against an independent derivation (a direct softmax, the self weight's
closed form). The browser side is in tests/browser/test_live.py.
"""

from __future__ import annotations

import gzip
import json
import math
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

import critbook as cb
from critbook import live

# ---------------------------------------------------------------------------------------------
# One row per figure: how to make it cheaply, its sliders, and the grids they must match.
# ---------------------------------------------------------------------------------------------

FIGURES = {
    "rank-collapse": (
        lambda: live.rank_collapse_data(depth=3),
        live.rank_collapse_figure,
        {"log2n": "log2n", "beta": "beta"},
    ),
    "tractable": (
        live.tractable_data,
        live.tractable_figure,
        {"log2n": "log2n", "gamma": "gamma", "alpha": "alpha", "rho": "rho_sim"},
    ),
    "phase": (
        live.phase_data,
        live.phase_figure,
        {"log10n": "log10n", "gamma": "gamma", "rho": "rho", "alpha": "alpha"},
    ),
    "gradients": (
        live.gradients_data,
        live.gradients_figure,
        {"log10n": "log10n", "rho": "rho", "alpha": "alpha", "ratio": "ratio"},
    ),
    "practice": (
        live.practice_data,
        live.practice_figure,
        {"rule": "rule", "log2L": "log2L", "rho": "rho", "log10n": "log10n"},
    ),
}


class _Made(dict):
    """Each figure made once per module, on first use."""

    def __missing__(self, name):
        make_data, make_figure, _ = FIGURES[name]
        data = make_data()
        self[name] = (data, make_figure(data))
        return self[name]


@pytest.fixture(scope="module")
def made():
    return _Made()


def _sample(shape, count=25, seed=0):
    rng = np.random.default_rng(seed)
    return [tuple(int(rng.integers(s)) for s in shape) for _ in range(count)]


# ---------------------------------------------------------------------------------------------
# Generic: grids, shapes, sliders, encoding, page
# ---------------------------------------------------------------------------------------------


def test_grid_includes_both_ends_and_rounds():
    assert_allclose(live.grid(0.05, 0.85, 0.05), np.arange(1, 18) * 0.05, rtol=0, atol=1e-12)
    assert live.grid(0.05, 0.85, 0.05)[2] == 0.15  # rounded: exported as 0.15, not 0.1500...02
    assert live.grid(1, 12, 0.5).size == 23


@pytest.mark.parametrize("name", FIGURES)
def test_shapes_follow_dims(made, name):
    data, _ = made[name]
    for array, dims in data.dims.items():
        expected = tuple(len(data.grids[d]) for d in dims)
        assert np.shape(data.arrays[array]) == expected, array
        assert np.all(np.isfinite(data.arrays[array])), array
        assert array in data.decimals


@pytest.mark.parametrize("name", FIGURES)
def test_sliders_reach_exactly_the_grid(made, name):
    """Each bound parameter offers the grid's values and starts on one of them."""
    data, fig = made[name]
    spec = fig.spec()
    bound = {p["name"]: p for p in spec["params"] if "bind" in p}
    assert set(bound) == set(FIGURES[name][2])
    for param, grid_name in FIGURES[name][2].items():
        values = data.grids[grid_name]
        bind = bound[param]["bind"]
        if bind["input"] == "range":
            assert bind["min"] == pytest.approx(values[0])
            assert bind["max"] == pytest.approx(values[-1])
            assert bind["step"] == pytest.approx(values[1] - values[0])
            assert np.min(np.abs(values - bound[param]["value"])) < 1e-9
        else:
            assert bind["input"] == "radio"
            assert list(bind["options"]) == [str(v) for v in values]
    # Every filter names parameters of the chart (a typo would silently show nothing).
    text = json.dumps(spec)
    for param in bound:
        assert re.search(rf"\b{param}\b", text)


@pytest.mark.parametrize("name", FIGURES)
def test_rows_encode_the_arrays(made, name):
    """Decoding a page row gives back the array to the kept decimals."""
    data, fig = made[name]
    spec = fig.spec()
    for key, rows in fig.datasets.items():
        if key not in spec["datasets"] or not rows or key == "segments":
            continue
        names = key.split("-")
        by = data.dims[names[0]][:-1]
        assert len(rows) == math.prod(len(data.grids[b]) for b in by)
        for index in _sample(tuple(len(data.grids[b]) for b in by), 10):
            row = rows[int(np.ravel_multi_index(index, tuple(len(data.grids[b]) for b in by)))]
            for b, i in zip(by, index):
                assert row[b] == (
                    data.grids[b][i]
                    if data.grids[b].dtype.kind in "US"
                    else pytest.approx(float(data.grids[b][i]))
                )
            for array in names:
                decoded = np.array(row[array], dtype=float) / 10 ** data.decimals[array]
                assert_allclose(
                    decoded,
                    data.arrays[array][index],
                    rtol=0,
                    atol=0.5 * 10.0 ** -data.decimals[array] + 1e-12,
                )


@pytest.mark.parametrize("name", FIGURES)
def test_page_is_self_contained_and_small(made, name, monkeypatch):
    data, fig = made[name]
    monkeypatch.setenv("CRITBOOK_LIVE", "site")
    bundle = fig._repr_mimebundle_()
    page = bundle["text/html"]
    assert set(bundle) == {"text/html", "text/plain"}
    # No address outside the site: the libraries come from the site's vendor/ folder. (The
    # spec's $schema is an identifier that nothing fetches.)
    assert not re.search(r"https?://|//cdn", re.sub(r'"\$schema":"[^"]*"', "", page))
    for path in live.VENDOR_FILES:
        assert path in page
    spec_text = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)[1]
    spec = json.loads(spec_text.replace("<\\/", "</"))
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    assert len(gzip.compress(page.encode())) < 1_000_000  # the page budget (gzipped)


def test_notebook_gets_altair_output(made, monkeypatch):
    """Outside the book build the figure displays as Altair's own chart."""
    _, fig = made["tractable"]
    monkeypatch.delenv("CRITBOOK_LIVE", raising=False)
    bundle = fig._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "critbook-live" not in json.dumps(bundle)
    assert any("vega" in k or "vega" in str(v) for k, v in bundle.items())


def test_rows_reject_mismatched_axes(made):
    data, _ = made["phase"]
    with pytest.raises(ValueError, match="self_weight has axes"):
        data.rows(["self_weight"], ("rho", "alpha"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"depth": 0}, ValueError, "depth"),
        ({"depth": 2.5}, TypeError, "depth"),
        ({"d": 1}, ValueError, "d must"),
        ({"rho": 1.0}, ValueError, "rho"),
    ],
)
def test_rank_collapse_data_checks_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        live.rank_collapse_data(**kwargs)


# ---------------------------------------------------------------------------------------------
# Values against critbook (and an independent derivation where there is one)
# ---------------------------------------------------------------------------------------------


def test_rank_collapse_values(made):
    data, _ = made["rank-collapse"]
    g = data.grids
    for b, k in [(0, 0), (4, 3), (12, 6), (3, 5)]:
        n, beta = int(2 ** g["log2n"][k]), g["beta"][b]
        X = cb.uniform_sphere_tokens(n, 32, rng=n)
        # Independent: a direct softmax of the scores.
        S = beta * X @ X.T
        A = np.exp(S - S.max(axis=1, keepdims=True))
        A /= A.sum(axis=1, keepdims=True)
        H = -(A * np.log(A)).sum(axis=1).mean()
        assert data.arrays["entropy"][b, k] == pytest.approx(H, rel=1e-9)
        assert 10 ** data.arrays["log10_max_weight"][b, k] == pytest.approx(A.max(1).mean())
        X0 = cb.gaussian_tokens(n, 64, 0.3, rng=n)
        # Independent of mean_cosine: the Gram matrix of the normalized tokens.
        cos = []
        for Y in cb.iterate_layers(X0, [beta] * 3):
            Y = Y / np.linalg.norm(Y, axis=1, keepdims=True)
            G = Y @ Y.T
            cos.append((G.sum() - n) / (n * (n - 1)))
        assert_allclose(data.arrays["cosine"][k, b], cos, rtol=1e-9, atol=1e-12)
    # At beta = 0 attention is uniform: H = log n exactly.
    assert_allclose(data.arrays["entropy"][0], g["log2n"] * np.log(2), rtol=1e-12)


def test_tractable_values(made):
    data, _ = made["tractable"]
    g = data.grids
    for k, i, a, r in _sample(data.arrays["rho_out"].shape):
        n = 2.0 ** g["log2n"][k]
        expected = cb.simplex_layer(n, g["gamma"][i] * np.log(n), g["rho"][r], 1.0, g["alpha"][a])
        assert data.arrays["rho_out"][k, i, a, r] == pytest.approx(expected[1], rel=1e-12)
    # The simulation agrees with the closed form wherever both are computed.
    on_sim = np.rint(g["rho_sim"] / 0.01).astype(int)
    assert_allclose(g["rho"][on_sim], g["rho_sim"])
    assert_allclose(data.arrays["simulated"], data.arrays["rho_out"][..., on_sim], atol=1e-9)


def test_phase_values(made):
    data, _ = made["phase"]
    g, a = data.grids, data.arrays
    for k, r, al, i in _sample(a["rho_out"].shape):
        n, rho, gamma = 10.0 ** g["log10n"][k], g["rho"][r], g["gamma"][i]
        # Independent closed form of the self weight.
        sw = 1.0 / (1.0 + (n - 1.0) * n ** (-gamma * (1.0 - rho)))
        assert a["self_weight"][k, r, i] == pytest.approx(sw, rel=1e-9)
        q, rho_out = cb.simplex_layer(n, gamma * np.log(n), rho, 1.0, g["alpha"][al])
        assert a["rho_out"][k, r, al, i] == pytest.approx(rho_out, rel=1e-12)
        limit = cb.simplex_limit(gamma, rho, 1.0, g["alpha"][al])
        assert a["rho_out_limit"][r, al, i] == pytest.approx(limit, rel=1e-12)
        assert live.REGIMES[int(a["regime"][r, al, i])] == cb.regime(gamma, rho)
        assert a["regime_by_n"][k, r, i] == a["regime"][r, al, i]
    # The self weight's limit: 0, 1/2, 1 by regime; the curve at n = 1e12 is within e^-8 of it
    # where |gamma (1 - rho) - 1| log n > 8 (the self weight is 1 / (1 + ~n^(1 - gamma (1 - rho)))).
    far = np.abs(g["gamma"][None, :] * (1 - g["rho"][:, None]) - 1) * np.log(1e12) > 8
    assert_allclose(a["self_weight_limit"][:, 0][far], a["self_weight"][-1][far], atol=1e-3)
    assert_allclose(a["gamma_c"], 1 / (1 - g["rho"]))


def test_gradients_values(made):
    data, _ = made["gradients"]
    g, a = data.grids, data.arrays
    for k, r, al, i in _sample(a["eta"].shape):
        n, rho, alpha = 10.0 ** g["log10n"][k], g["rho"][r], g["alpha"][al]
        beta = g["ratio"][i] * cb.critical_gamma(rho) * np.log(n)
        assert a["eta"][k, r, al, i] == pytest.approx(
            cb.simplex_eta(n, beta, rho, 1.0, alpha), rel=1e-12
        )
        lam = cb.simplex_angle_ratio(n, beta, rho, 1.0, alpha)
        assert a["angle_ratio"][k, r, al, i] == pytest.approx(lam, rel=1e-12)
    # Independent: eta of actual simplex tokens at one small n.
    n, rho = 10, g["rho"][5]
    beta = 1.0 * cb.critical_gamma(rho) * np.log(n)
    exact = cb.eta(cb.simplex_tokens(n, rho), beta)
    k = int(np.flatnonzero(g["log10n"] == 1.0)[0])
    i = int(np.flatnonzero(np.isclose(g["ratio"], 1.0))[0])
    assert a["eta"][k, 5, 0, i] == pytest.approx(exact, rel=1e-9)
    # Theorem 2.4 at alpha = 0: 0, 1/4, 1 (1/d -> 0).
    assert_allclose(a["eta_limit"][:, 0, [10, 50, 100]], [[0.0, 0.25, 1.0]] * len(g["rho"]))


def test_practice_values(made):
    data, _ = made["practice"]
    g, a = data.grids, data.arrays
    n = 10.0 ** g["log10n"]
    for i, j, k in _sample(a["beta"].shape[:3], 12):
        length = 2.0 ** g["log2L"][j]
        rule = cb.practical_rules(yarn_length=length, qwen_length=length)[str(g["rule"][i])]
        rho = g["rho"][k]
        # Independent: c f(n) with c fixed by criticality at L, c f(L) (1 - rho) = log L.
        c = np.log(length) / ((1 - rho) * rule.factor(length))
        assert_allclose(a["beta"][i, j, k], c * rule.factor(n), rtol=1e-9)
        assert_allclose(a["critical"][k], np.log(n) / (1 - rho), rtol=1e-12)
        segments = cb.regime_segments(
            lambda m, f=rule.factor, L=length, r=rho: (
                cb.calibrated_ratio(f, m, L) * cb.critical_beta(m, r)
            ),
            rho,
            n_min=n[0],
            n_max=n[-1],
        )
        for s in segments:
            inside = (n >= s.start) & (n < s.stop)
            assert np.all(a["regime"][i, j, k][inside] == live.REGIMES.index(s.regime))
    # SSMax calibrated anywhere stays critical; Qwen is critical from its training length on.
    ssmax = list(g["rule"]).index("ssmax")
    assert np.all(a["regime"][ssmax] == 1)
    qwen = list(g["rule"]).index("qwen")
    assert np.all(a["regime"][qwen, 2][:, n > 2.0 ** g["log2L"][2] * 1.01] == 1)
