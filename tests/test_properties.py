"""Property tests (hypothesis): invariants that hold for every valid input.

Each property is a fact of the model that the implementation does not use
directly (row-stochastic weights, permutation equivariance, scale invariance,
the simplex closed forms against the streamed layer, monotonicity of the closed
forms, bounds of the geometry measures, dtype preservation, reproducible
randomness). Examples are kept small and few, so the file runs in seconds.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import critbook as cb

FAST = settings(max_examples=int(os.environ.get("CRITBOOK_EXAMPLES", 50)), deadline=None)

betas = st.floats(0.0, 60.0, allow_nan=False)
alphas = st.floats(0.0, 5.0, allow_nan=False)
rhos = st.floats(0.0, 0.999, allow_nan=False)
big_ns = st.floats(1.0, 1e300, allow_nan=False)
int_ns = st.integers(2, 40)


@st.composite
def token_matrices(draw, max_n: int = 12, max_d: int = 6, min_n: int = 1) -> np.ndarray:
    """A real (n, d) matrix whose rows all have norm >= 1e-3 (so it can be normalised)."""
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(1, max_d))
    X = draw(
        hnp.arrays(np.float64, (n, d), elements=st.floats(-10.0, 10.0, allow_nan=False))
    )
    small = np.linalg.norm(X, axis=1) < 1e-3
    X[small] = 0.0
    X[small, draw(st.integers(0, d - 1))] = 1.0
    return X


# ---------------------------------------------------------------------------
# The attention layer
# ---------------------------------------------------------------------------


@FAST
@given(token_matrices(), betas)
def test_attention_rows_are_probability_vectors(X, beta) -> None:
    A = cb.attention_weights(X, beta)
    assert A.shape == (X.shape[0],) * 2
    assert np.all(A >= 0.0) and np.all(A <= 1.0)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=0, atol=1e-13)
    # A token attends to itself at least as much as to any other token.
    assert np.all(np.diag(A) >= A.max(axis=1) * (1 - 1e-12))


@FAST
@given(token_matrices(), betas, alphas)
def test_layer_is_weights_times_directions_plus_residual(X, beta, alpha) -> None:
    Y = X / np.linalg.norm(X, axis=1, keepdims=True)
    expected = cb.attention_weights(X, beta) @ Y + alpha * X
    np.testing.assert_allclose(cb.attention_layer(X, beta, alpha), expected, rtol=1e-12,
                               atol=1e-13 * (1 + alpha * np.abs(X).max()))


@FAST
@given(token_matrices(), betas, alphas, st.randoms(use_true_random=False))
def test_layer_is_permutation_equivariant(X, beta, alpha, random) -> None:
    perm = np.array(random.sample(range(X.shape[0]), X.shape[0]))
    out = cb.attention_layer(X, beta, alpha)
    np.testing.assert_allclose(cb.attention_layer(X[perm], beta, alpha), out[perm],
                               rtol=1e-12, atol=1e-13 * (1 + alpha * np.abs(X).max()))


@FAST
@given(token_matrices(), betas, st.floats(1e-3, 1e3), alphas)
def test_layer_scale_invariance(X, beta, c, alpha) -> None:
    """Only directions enter attention: X -> cX leaves the alpha = 0 output unchanged,
    and with a residual only the residual term scales."""
    base = cb.attention_layer(X, beta)
    np.testing.assert_allclose(cb.attention_layer(c * X, beta), base, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(cb.attention_layer(c * X, beta, alpha), base + alpha * c * X,
                               rtol=1e-12, atol=1e-12 * (1 + alpha * c * np.abs(X).max()))


@FAST
@given(token_matrices(max_n=30), betas, st.integers(1, 31))
def test_layer_and_entropy_do_not_depend_on_block(X, beta, block) -> None:
    np.testing.assert_allclose(cb.attention_layer(X, beta, block=block),
                               cb.attention_layer(X, beta), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(cb.attention_entropy(X, beta, block=block),
                               cb.attention_entropy(X, beta), rtol=1e-12, atol=1e-13)


@FAST
@given(token_matrices(), betas)
def test_entropy_bounds_and_definition(X, beta) -> None:
    n = X.shape[0]
    H = cb.attention_entropy(X, beta)
    assert H.shape == (n,)
    assert np.all(H >= 0.0) and np.all(H <= np.log(n) * (1 + 1e-12) + 1e-15)
    A = cb.attention_weights(X, beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = -np.sum(np.where(A > 0, A * np.log(A), 0.0), axis=1)
    np.testing.assert_allclose(H, direct, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cb.attention_entropy(X, 0.0), np.log(n), rtol=1e-14)


@FAST
@given(token_matrices(), st.floats(1e-3, 1e3))
def test_normalize_gives_unit_rows_and_is_idempotent(X, c) -> None:
    Y = cb.normalize(X)
    np.testing.assert_allclose(np.linalg.norm(Y, axis=1), 1.0, rtol=1e-15, atol=2e-16)
    np.testing.assert_allclose(cb.normalize(Y), Y, rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(cb.normalize(c * X), Y, rtol=1e-14, atol=1e-15)


@FAST
@given(token_matrices(), st.floats(0.0, 20.0), alphas)
def test_float32_in_gives_float32_out(X, beta, alpha) -> None:
    X32 = X.astype(np.float32)
    assert cb.normalize(X32).dtype == np.float32
    out = cb.attention_layer(X32, beta, alpha)
    assert out.dtype == np.float32
    traj = cb.iterate_layers(X32, [beta], alpha)
    assert traj.dtype == np.float32
    # float32 accuracy: exponents beta * (cos - 1) carry an error ~ beta * 1e-7.
    ref = cb.attention_layer(X32.astype(np.float64), beta, alpha)
    scale = 1.0 + alpha * np.abs(X).max()
    np.testing.assert_allclose(out, ref, rtol=0, atol=(1 + beta) * 2e-6 * scale)


# ---------------------------------------------------------------------------
# Token generators
# ---------------------------------------------------------------------------


@FAST
@given(st.integers(1, 30), st.integers(1, 20), rhos, st.integers(0, 2**32))
def test_same_seed_same_tokens(n, d, rho, seed) -> None:
    a = cb.gaussian_tokens(n, d, rho, rng=seed)
    np.testing.assert_array_equal(a, cb.gaussian_tokens(n, d, rho, rng=seed))
    np.testing.assert_array_equal(a, cb.gaussian_tokens(n, d, rho,
                                                        rng=np.random.default_rng(seed)))
    assert a.shape == (n, d) and np.all(np.isfinite(a))
    u = cb.uniform_sphere_tokens(n, d, rng=seed)
    np.testing.assert_array_equal(u, cb.uniform_sphere_tokens(n, d, rng=seed))
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, rtol=1e-15)
    if n * d >= 4:
        assert not np.array_equal(a, cb.gaussian_tokens(n, d, rho, rng=seed + 1))


def test_generator_is_advanced_not_reset() -> None:
    g = np.random.default_rng(5)
    first = cb.uniform_sphere_tokens(4, 3, rng=g)
    second = cb.uniform_sphere_tokens(4, 3, rng=g)
    assert not np.array_equal(first, second)


@FAST
@given(int_ns, rhos, st.floats(1e-3, 1e3))
def test_simplex_tokens_are_a_simplex(n, rho, q) -> None:
    X = cb.simplex_tokens(n, rho, q)
    G = X @ X.T
    np.testing.assert_allclose(np.diag(G), q, rtol=1e-14)
    off = G[~np.eye(n, dtype=bool)]
    np.testing.assert_allclose(off, q * rho, rtol=1e-13, atol=1e-15 * q)
    q1, q2, r1, r2 = cb.almost_simplex_constants(X)
    np.testing.assert_allclose([q1, q2], q, rtol=1e-14)
    np.testing.assert_allclose([r1, r2], rho, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------------------
# The simplex closed forms
# ---------------------------------------------------------------------------


@FAST
@given(int_ns, st.floats(0.0, 40.0), rhos, st.floats(0.05, 20.0), alphas)
def test_closed_form_matches_the_layer(n, beta, rho, q, alpha) -> None:
    """The exact finite-n map against the streamed layer on an exact simplex."""
    X = cb.simplex_tokens(n, rho, q)
    out = cb.attention_layer(X, beta, alpha)
    q_out, rho_out = cb.simplex_layer(n, beta, rho, q, alpha)
    G = out @ out.T
    np.testing.assert_allclose(np.diag(G), q_out, rtol=1e-12)
    # 1 - rho_out from the distance of two output directions (accurate near rho_out = 1).
    Yo = cb.normalize(out)
    one_minus = 0.5 * np.sum((Yo[0] - Yo[1]) ** 2)
    np.testing.assert_allclose(one_minus, 1.0 - rho_out, rtol=1e-8, atol=1e-15)
    lam = cb.angle_ratio(X, out)
    np.testing.assert_allclose(lam, cb.simplex_angle_ratio(n, beta, rho, q, alpha),
                               rtol=1e-8, atol=1e-15)


@FAST
@given(big_ns, st.floats(0.0, 5e3), rhos, st.floats(1e-3, 1e3), alphas)
def test_simplex_layer_bounds(n, beta, rho, q, alpha) -> None:
    q_out, rho_out = cb.simplex_layer(n, beta, rho, q, alpha)
    lam = cb.simplex_angle_ratio(n, beta, rho, q, alpha)
    assert np.isfinite(q_out) and q_out > 0.0
    assert np.isfinite(rho_out)
    lower = -1.0 / (n - 1.0) if n > 1 else -1.0
    assert lower <= rho_out <= 1.0
    # One layer never spreads tokens: rho <= rho_out (up to rounding), i.e. lambda in [0, 1].
    assert rho_out >= rho - 1e-15
    assert 0.0 <= lam <= 1.0 + 1e-15
    np.testing.assert_allclose(1.0 - rho_out, lam * (1.0 - rho), rtol=1e-12, atol=2e-16)


@FAST
@given(big_ns, st.floats(0.0, 5e3), st.floats(0.0, 5e3), rhos)
def test_self_weight_increases_with_beta(n, b1, b2, rho) -> None:
    lo, hi = sorted((b1, b2))
    p_lo = cb.simplex_self_weight(n, lo, rho)
    p_hi = cb.simplex_self_weight(n, hi, rho)
    assert 0.0 < p_lo <= p_hi <= 1.0
    # rho_out without residual goes the other way: more self weight, less collapse.
    assert cb.simplex_layer(n, hi, rho)[1] <= cb.simplex_layer(n, lo, rho)[1] + 1e-15


@FAST
@given(big_ns, big_ns, st.floats(0.0, 5e3), rhos)
def test_self_weight_decreases_with_n(n1, n2, beta, rho) -> None:
    lo, hi = sorted((n1, n2))
    assert cb.simplex_self_weight(hi, beta, rho) <= cb.simplex_self_weight(lo, beta, rho)


@FAST
@given(big_ns, st.floats(0.0, 5e3), rhos, rhos)
def test_self_weight_decreases_with_rho(n, beta, r1, r2) -> None:
    """Neighbours closer to the token (larger rho) take more of its attention."""
    lo, hi = sorted((r1, r2))
    assert cb.simplex_self_weight(n, beta, hi) <= cb.simplex_self_weight(n, beta, lo)


def test_self_weight_values() -> None:
    assert cb.simplex_self_weight(1, 3.0, 0.4) == 1.0
    assert cb.simplex_self_weight(7, 0.0, 0.4) == pytest.approx(1 / 7, rel=1e-15)
    # n = 2: p = e^b / (e^b + e^{b rho}) = expit(b (1 - rho)).
    assert cb.simplex_self_weight(2, 3.0, 0.4) == pytest.approx(1 / (1 + np.exp(-1.8)), rel=1e-15)


@FAST
@given(st.floats(1e-6, 0.999), st.floats(0.0, 10.0), st.floats(1e-2, 1e2), alphas)
def test_simplex_limit_piecewise(rho, ratio, q, alpha) -> None:
    gc = cb.critical_gamma(rho)
    assert gc * (1 - rho) == pytest.approx(1.0, rel=1e-15)
    c = alpha * np.sqrt(q)
    sub = rho * (1 + c) ** 2 / (c * c + 2 * c * rho + rho)
    crit = rho * (1 + c) ** 2 / ((0.5 + c) ** 2 + rho * (0.5 + c) + rho / 4)
    g = ratio * gc
    value = cb.simplex_limit(g, rho, q, alpha)
    kind = cb.regime(g, rho)
    expected = {"subcritical": sub, "critical": crit, "supercritical": rho}[kind]
    assert value == pytest.approx(expected, rel=1e-13)
    assert cb.simplex_limit(gc, rho, q, alpha) == pytest.approx(crit, rel=1e-13)
    # Contraction is weakest above the transition: rho <= crit <= sub <= 1.
    assert rho * (1 - 1e-14) <= crit <= sub * (1 + 1e-14)
    assert sub <= 1 + 1e-15
    if alpha == 0:
        assert cb.simplex_limit(0.5 * gc, rho) == pytest.approx(1.0, rel=1e-15)
        assert cb.simplex_limit(gc, rho) == pytest.approx(4 * rho / (1 + 3 * rho), rel=1e-13)
        assert cb.simplex_limit(2 * gc, rho) == rho


@FAST
@given(st.floats(0.05, 0.95), st.sampled_from([0.7, 1.0, 1.4]))
def test_finite_n_approaches_the_limit(rho, ratio) -> None:
    """rho_out at beta = gamma log n tends to simplex_limit, with the gap shrinking in n."""
    g = ratio * cb.critical_gamma(rho)
    limit = cb.simplex_limit(g, rho)
    gaps = [abs(cb.simplex_layer(n, g * np.log(n), rho)[1] - limit) for n in (1e6, 1e60, 1e300)]
    # At criticality the gap is already at rounding level (1e-15) for n = 1e60.
    assert gaps[2] <= gaps[1] + 1e-13 and gaps[1] <= gaps[0] + 1e-13
    assert gaps[2] < 1e-2


@FAST
@given(st.lists(st.floats(0.0, 0.999), min_size=1, max_size=5), st.floats(0.0, 50.0))
def test_closed_forms_broadcast(rho_list, beta) -> None:
    rho = np.array(rho_list)
    q_out, rho_out = cb.simplex_layer(100.0, beta, rho)
    assert q_out.shape == rho_out.shape == rho.shape
    for k, r in enumerate(rho_list):
        assert rho_out[k] == pytest.approx(cb.simplex_layer(100.0, beta, r)[1], rel=1e-15)
    np.testing.assert_array_equal(cb.critical_gamma(rho), 1.0 / (1.0 - rho))


# ---------------------------------------------------------------------------
# Geometry measures
# ---------------------------------------------------------------------------


@FAST
@given(token_matrices(min_n=2))
def test_geometry_bounds(X) -> None:
    n, d = X.shape
    mc = cb.mean_cosine(X)
    assert -1.0 / (n - 1) - 1e-12 <= mc <= 1.0 + 1e-12
    Y = X / np.linalg.norm(X, axis=1, keepdims=True)
    G = Y @ Y.T
    assert mc == pytest.approx(G[~np.eye(n, dtype=bool)].mean(), abs=1e-12)
    res = cb.rank_one_residual(X)
    assert 0.0 <= res <= 1.0
    er = cb.effective_rank(X)
    assert 1.0 - 1e-9 <= er <= min(n, d) + 1e-9


@FAST
@given(token_matrices(min_n=2), st.floats(1e-3, 1e3))
def test_geometry_scale_invariance(X, c) -> None:
    assert cb.mean_cosine(c * X) == pytest.approx(cb.mean_cosine(X), abs=1e-13)
    assert cb.rank_one_residual(c * X) == pytest.approx(cb.rank_one_residual(X), rel=1e-12,
                                                         abs=1e-13)
    assert cb.effective_rank(c * X) == pytest.approx(cb.effective_rank(X), rel=1e-9)


@FAST
@given(int_ns, st.floats(0.5, 30.0), rhos, alphas)
def test_iterate_layers_composes_the_layer(n, beta, rho, alpha) -> None:
    X = cb.simplex_tokens(n, rho)
    traj = cb.iterate_layers(X, [beta, 2 * beta], alpha)
    assert traj.shape == (3, n, n + 1)
    np.testing.assert_array_equal(traj[0], X)
    np.testing.assert_allclose(traj[2], cb.attention_layer(cb.attention_layer(X, beta, alpha),
                                                           2 * beta, alpha), rtol=1e-14)
    # Two simplex layers in closed form.
    q1, r1 = cb.simplex_layer(n, beta, rho, 1.0, alpha)
    assume(r1 < 1.0)  # rho = 1 (full collapse) is outside simplex_layer's domain
    q2, r2 = cb.simplex_layer(n, 2 * beta, r1, q1, alpha)
    np.testing.assert_allclose(traj[2][0] @ traj[2][0], q2, rtol=1e-11)


# ---------------------------------------------------------------------------
# Gradients, phase and scaling helpers
# ---------------------------------------------------------------------------


@FAST
@given(token_matrices(max_n=6, max_d=4), st.floats(0.0, 20.0), alphas,
       st.floats(-3.0, 3.0), st.integers(0, 2**32))
def test_jvp_is_the_linear_map_of_the_jacobian(X, beta, alpha, c, seed) -> None:
    g = np.random.default_rng(seed)
    V, W = g.standard_normal((2, *X.shape))
    JV, JW = cb.jvp(X, beta, V, alpha), cb.jvp(X, beta, W, alpha)
    J = cb.layer_jacobian(X, beta, alpha)
    scale = 1.0 + (1.0 + beta) ** 2 * np.abs(J).max()
    np.testing.assert_allclose(JV.ravel(), J @ V.ravel(), rtol=0, atol=1e-12 * scale * 10)
    np.testing.assert_allclose(cb.jvp(X, beta, c * V + W, alpha), c * JV + JW, rtol=0,
                               atol=1e-12 * scale * 10)
    stacked = cb.jvp(X, beta, np.stack([V, W]), alpha)
    np.testing.assert_allclose(stacked, np.stack([JV, JW]), rtol=1e-13, atol=1e-13 * scale)
    # Only directions enter attention: moving a token along itself changes nothing but
    # the residual term.
    np.testing.assert_allclose(cb.jvp(X, beta, X, alpha), alpha * X, rtol=0,
                               atol=1e-12 * scale * (1 + np.abs(X).max()))
    eta = cb.eta(X, beta, alpha)
    assert eta >= 0.0
    assert eta == pytest.approx(np.sum(J**2) / J.shape[0], rel=1e-9, abs=1e-12 * scale)


@FAST
@given(token_matrices(), betas)
def test_max_attention_weight_is_the_row_maximum(X, beta) -> None:
    n = X.shape[0]
    w = cb.max_attention_weight(X, beta)
    A = cb.attention_weights(X, beta)
    np.testing.assert_allclose(w, A.max(axis=1), rtol=1e-12)
    assert np.all(w >= 1.0 / n * (1 - 1e-12)) and np.all(w <= 1.0)
    counts = cb.top_mass_count(X, beta, 0.9)
    assert np.all((counts >= 1) & (counts <= n))


@FAST
@given(st.lists(st.floats(1.0, 1e300), min_size=2, max_size=6), st.floats(1.0, 1e5),
       st.floats(0.0, 0.99))
def test_scaling_rules_are_monotone_and_consistent(ns, L, rho) -> None:
    n = np.sort(np.array(ns))
    for factor in (cb.yarn_factor(n, L), cb.qwen_logn_factor(n, L + 1.0), cb.llama4_factor(n),
                   cb.ssmax_factor(n)):
        assert np.all(np.isfinite(factor)) and np.all(factor >= 0.0)
        assert np.all(np.diff(factor) >= -1e-12 * np.abs(factor[1:]))
    assert np.all(cb.yarn_factor(n[n <= L], L) == 1.0)
    big = n[n > 1.0 + 1e-9]
    if big.size:
        np.testing.assert_allclose(cb.effective_gamma(cb.critical_beta(big, rho), big),
                                   cb.critical_gamma(rho), rtol=1e-13)
        np.testing.assert_allclose(cb.effective_gamma(cb.ssmax_factor(big, 0.43), big), 0.43,
                                   rtol=1e-13)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: cb.gaussian_tokens(7, 5, 0.3, rng=rng),
        lambda rng: cb.uniform_sphere_tokens(7, 5, rng=rng),
        lambda rng: cb.eta_hutchinson(cb.simplex_tokens(6, 0.3), 2.0, probes=3, rng=rng,
                                      return_std=True),
        lambda rng: cb.eta_phase_diagram([0.3], [0.5, 2.0], n=12, d=6, rng=rng, probes=2),
        lambda rng: cb.phase_diagram([0.3], [0.5, 2.0], n=12, d=6, rng=rng),
        lambda rng: cb.sparsity_sweep([10, 20], [1.0], d=6, rho=0.3, rows=4, rng=rng),
        lambda rng: cb.gaussian_top_scores(1e6, 2, size=3, rng=rng),
        lambda rng: cb.sphere_top_distances(1e6, 3, 2, size=3, rng=rng),
        lambda rng: cb.top_gaps([100.0, 1e4], ds=(3,), size=5, rng=rng),
        lambda rng: tuple(vars(cb.diagnose(cb.gaussian_tokens(30, 4, 0.3, rng=1), 2.0, rng=rng,
                                           queries=5, pairs=20)).values()),
    ],
    ids=["gaussian_tokens", "uniform_sphere_tokens", "eta_hutchinson", "eta_phase_diagram",
         "phase_diagram", "sparsity_sweep", "gaussian_top_scores", "sphere_top_distances",
         "top_gaps", "diagnose"],
)
def test_same_seed_same_result(make) -> None:
    """Every random function: a seed, or a fresh Generator with that seed, reproduces."""
    def flat(value):
        if isinstance(value, dict):
            return [flat(v) for _, v in sorted(value.items())]
        if isinstance(value, (tuple, list)):
            return [flat(v) for v in value]
        return np.asarray(value, dtype=float) if not isinstance(value, str) else value

    def same(a, b):
        if isinstance(a, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, str):
            return a == b
        return np.array_equal(a, b, equal_nan=True)

    first = flat(make(11))
    assert same(first, flat(make(11)))
    assert same(first, flat(make(np.random.default_rng(11))))
    assert not same(first, flat(make(12)))
