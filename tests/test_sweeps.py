"""Tests of critbook.sweeps: phase diagrams of the layer and of eta, the sparsity sweep."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import critbook as cb
from critbook.sweeps import PHASE_METRICS

# --- phase_diagram against a direct computation ---------------------------------------


def _direct(metric: str, X: np.ndarray, beta: float, alpha: float, m: int) -> float:
    """The metric from attention_layer / angle_ratio / attention_weights, no shortcuts."""
    X_out = cb.attention_layer(X, beta, alpha)
    if metric == "angle_ratio":
        return cb.angle_ratio(X[:m], X_out[:m])
    if metric == "mean_cosine":
        return cb.mean_cosine(X_out[:m])
    if metric == "self_weight":
        return float(np.diag(cb.attention_weights(X, beta))[:m].mean())
    Y, Yo = cb.normalize(X[:m]), cb.normalize(X_out[:m])
    off = ~np.eye(m, dtype=bool)
    return float(((1.0 - Yo @ Yo.T)[off] / (1.0 - Y @ Y.T)[off]).max())


@pytest.mark.parametrize("metric", PHASE_METRICS)
@pytest.mark.parametrize("alpha", [0.0, 0.7])
@pytest.mark.parametrize("rows", [None, 17])
def test_phase_diagram_equals_direct_computation(metric, alpha, rows):
    n, d, seed = 40, 5, 3
    rhos, gammas = [0.1, 0.6], [0.0, 0.5, 2.0, 5.0]
    got = cb.phase_diagram(rhos, gammas, n, d, rng=seed, metric=metric, alpha=alpha, rows=rows)
    assert got.shape == (len(gammas), len(rhos))
    m = n if rows is None else rows
    for j, rho in enumerate(rhos):
        X = cb.gaussian_tokens(n, d, rho, rng=seed)  # documented: same tokens per seed
        for k, gamma in enumerate(gammas):
            want = _direct(metric, X, gamma * np.log(n), alpha, m)
            assert_allclose(got[k, j], want, rtol=1e-10, atol=1e-13)


def test_angle_ratio_on_a_simplex_matches_closed_form():
    # Independent check of the trace identity: d >> n tokens are nearly a simplex,
    # and for an exact simplex built by hand the phase-diagram code must agree with
    # simplex_angle_ratio. We feed the same computation through the private column.
    from critbook.sweeps import _column

    n, rho = 30, 0.4
    X = cb.simplex_tokens(n, rho)
    betas = np.array([0.0, 1.0, 3.0, 8.0])
    got = _column(
        cb.normalize(X), X, betas, 0.0, n, ("angle_ratio", "self_weight"), np.dtype(np.float64)
    )
    assert_allclose(got[0], cb.simplex_angle_ratio(n, betas, rho), rtol=1e-12, atol=1e-15)
    assert_allclose(got[1], cb.simplex_self_weight(n, betas, rho), rtol=1e-12)


def test_several_metrics_at_once_equal_separate_calls():
    args = ([0.2, 0.5, 0.7], [0.5, 1.5, 3.0], 60, 8)
    both = cb.phase_diagram(*args, rng=1, metric=("self_weight", "angle_ratio", "mean_cosine"))
    assert both.shape == (3, 3, 3)
    for i, metric in enumerate(("self_weight", "angle_ratio", "mean_cosine")):
        assert_allclose(both[i], cb.phase_diagram(*args, rng=1, metric=metric), rtol=1e-12)


def test_float32_stage_is_close_to_float64():
    args = (np.linspace(0.05, 0.8, 4), np.linspace(0.2, 6.0, 5), 200, 64)
    lo = cb.phase_diagram(*args, rng=2, dtype=np.float32)
    hi = cb.phase_diagram(*args, rng=2)
    assert_allclose(lo, hi, atol=2e-5)
    assert np.abs(lo - hi).max() > 0  # really a different precision


def _explicit_angle_ratios(Y: np.ndarray, Yo: np.ndarray) -> np.ndarray:
    """Pairwise ratios from explicit differences (no cancellation), i < j."""
    i, j = np.triu_indices(Y.shape[0], k=1)
    num = 0.5 * np.sum((Yo[i] - Yo[j]) ** 2, axis=1)
    den = 0.5 * np.sum((Y[i] - Y[j]) ** 2, axis=1)
    return num / den


def test_nearly_parallel_tokens_are_handled_exactly():
    # d = 2 tokens with pairs at angles 1e-9 and 1e-5: 1 - cos is below the float64
    # resolution of 1 - <y_i, y_j> computed from a Gram matrix, and the weights 1/(1 - cos)
    # (up to 2e18) would amplify rounding in the trace identity.
    from critbook.sweeps import _column

    rng = np.random.default_rng(0)
    theta = np.sort(rng.uniform(0.0, 1.0, 40))
    theta[5] = theta[4] + 1e-9
    theta[20] = theta[19] + 1e-5
    X = np.column_stack([np.cos(theta), np.sin(theta)])
    Y = cb.normalize(X)
    betas = np.array([0.5, 3.0, 20.0])
    got = _column(Y, X, betas, 0.0, 40, ("angle_ratio", "max_angle_ratio"), np.dtype(np.float32))
    for k, beta in enumerate(betas):
        ratios = _explicit_angle_ratios(Y, cb.normalize(cb.attention_layer(X, beta)))
        assert_allclose(got[0, k], ratios.mean(), rtol=1e-6)
        assert_allclose(got[1, k], ratios.max(), rtol=1e-6)
    X[7] = X[8]  # an exact duplicate: undefined
    with pytest.raises(ValueError, match="direction"):
        _column(cb.normalize(X), X, betas, 0.0, 40, ("angle_ratio",), np.dtype(np.float64))


def test_low_dimensional_panels_run_without_error():
    # Many draws in d = 2 with tight clusters produce nearly parallel pairs.
    lam = cb.phase_diagram(
        [0.0, 0.5, 0.84], [0.25, 2.0, 8.0], 500, 2, rng=0, draws=4, rows=100, dtype=np.float32
    )
    assert np.all((lam > 0.0) & (lam <= 1.5))


def test_rows_subsample_estimates_the_full_average():
    full = cb.phase_diagram([0.3], [1.0, 1.43, 2.0], 400, 256, rng=4)
    part = cb.phase_diagram([0.3], [1.0, 1.43, 2.0], 400, 256, rng=4, rows=150)
    assert_allclose(part, full, atol=0.02)
    assert not np.array_equal(part, full)


# --- the transition at large d -----------------------------------------------------------


def test_transition_at_d512_follows_the_critical_curve():
    rhos = np.array([0.2, 0.5, 0.7])
    ratios = np.array([0.4, 0.6, 1.0, 1.6, 2.5])
    n = 400
    lam = np.stack(
        [
            cb.phase_diagram([rho], ratios / (1.0 - rho), n, 512, rng=0, rows=150)[:, 0]
            for rho in rhos
        ],
        axis=1,
    )
    assert np.all(lam[:2] < 0.05)  # well below gamma_c: collapse
    assert np.all(lam[-2:] > 0.9)  # well above: angles kept
    assert np.all(lam[-1] > 0.98)
    assert np.all(np.diff(lam, axis=0) > 0)  # rises across the dashed curve
    # At gamma_c the simplex predicts 1 / (1 + 3 rho) in the limit; at n = 400 the
    # finite-n simplex map is the better reference (the exact finite-n formula).
    simplex = cb.simplex_angle_ratio(n, np.log(n) / (1.0 - rhos), rhos)
    assert_allclose(lam[2], simplex, atol=0.08)


def test_transition_on_a_grid_crosses_the_dashed_curve():
    rhos = np.linspace(0.1, 0.7, 4)
    gammas = np.linspace(0.3, 7.0, 12)
    lam = cb.phase_diagram(rhos, gammas, 300, 512, rng=5, rows=100, dtype=np.float32)
    gc = 1.0 / (1.0 - rhos)
    below = gammas[:, None] < 0.6 * gc[None, :]
    above = gammas[:, None] > 1.7 * gc[None, :]
    assert lam[below].max() < 0.1
    assert lam[above].min() > 0.9


def test_low_dimension_smooths_the_transition():
    gammas = np.array([0.5, 1.0, 2.0]) / 0.7
    sharp = cb.phase_diagram([0.3], gammas, 300, 512, rng=0)[:, 0]
    smooth = cb.phase_diagram([0.3], gammas, 300, 2, rng=0)[:, 0]
    # In d = 2 neighbours are close, so collapse is partial below gamma_c.
    assert sharp[0] < 0.05 < smooth[0]


# --- reproducibility and inputs -------------------------------------------------------------


def test_reproducible_with_seeds_and_generators():
    args = ([0.1, 0.5], [0.5, 2.0], 50, 4)
    a = cb.phase_diagram(*args, rng=7)
    assert_array_equal(a, cb.phase_diagram(*args, rng=7))
    assert_array_equal(a, cb.phase_diagram(*args, rng=np.random.default_rng(7)))
    assert not np.array_equal(a, cb.phase_diagram(*args, rng=8))
    # Common random numbers: a column does not depend on the other rhos.
    assert_array_equal(a[:, 1], cb.phase_diagram([0.5], [0.5, 2.0], 50, 4, rng=7)[:, 0])


def test_draws_average_sequential_token_sets():
    rhos, gammas, n, d = [0.2, 0.7], [0.5, 3.0], 30, 3
    got = cb.phase_diagram(rhos, gammas, n, d, rng=9, draws=3, metric="mean_cosine")
    want = np.zeros((2, 2))
    for j, rho in enumerate(rhos):
        g = np.random.default_rng(9)  # draw t = the t-th call of gaussian_tokens on g
        for _ in range(3):
            X = cb.gaussian_tokens(n, d, rho, rng=g)
            for k, gamma in enumerate(gammas):
                want[k, j] += cb.mean_cosine(cb.attention_layer(X, gamma * np.log(n))) / 3
    assert_allclose(got, want, rtol=1e-12)


def test_scalar_grids_are_accepted():
    out = cb.phase_diagram(0.3, 1.0, 20, 3, rng=0)
    assert out.shape == (1, 1)


def test_tokens_sharing_a_direction_are_rejected_for_angle_metrics():
    # In d = 1 every token is +-1: pairs share a direction and the ratio is undefined.
    with pytest.raises(ValueError, match="direction"):
        cb.phase_diagram([0.3], [1.0], 10, 1, rng=0)
    sw = cb.phase_diagram([0.3], [1.0], 10, 1, rng=0, metric="self_weight")
    assert 0.0 < sw[0, 0] <= 1.0


# --- the sparse-regime count -------------------------------------------------------------------


def test_sparsity_sweep_equals_top_mass_count_on_nested_tokens():
    ns, gammas, d, rho, rows = [80, 150, 300], [0.5, 1.5, 4.0], 4, 0.3, 20
    got = cb.sparsity_sweep(ns, gammas, d, rho, rows=rows, rng=5)
    X = cb.gaussian_tokens(max(ns), d, rho, rng=5)
    for i, n in enumerate(ns):
        for k, gamma in enumerate(gammas):
            counts = cb.top_mass_count(X[:n], gamma * np.log(n), rows=rows)
            assert got[k, i] == np.median(counts)
    mean = cb.sparsity_sweep(ns, gammas, d, rho, rows=rows, rng=5, statistic="mean")
    assert mean[0, 0] == np.mean(cb.top_mass_count(X[:80], 0.5 * np.log(80), rows=rows))


def test_sparsity_regimes_at_large_d():
    counts = cb.sparsity_sweep([200, 800], [0.2, 6.0], 512, 0.3, rows=16, rng=0)
    assert_allclose(counts[0] / np.array([200, 800]), 0.9, atol=0.03)  # nearly uniform
    assert_array_equal(counts[1], [1, 1])  # self only


# --- approach exponents --------------------------------------------------------------------------
