"""Tests of critbook.geometry against independent derivations.

Every quantity is checked against a second computation that does not share
the module's shortcut: direct O(n^2) loops over pairs, least squares, dense
attention matrices, closed forms (simplex, Bessel functions) and simulation.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import i0e, i1e

import critbook as cb
from critbook.extremes import _cosine_tilt

# ---------------------------------------------------------------------------
# helpers: direct, slow reference computations


def _unit(X):
    X = np.asarray(X, dtype=np.float64)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _angle_ratio_loop(X, X_out):
    """lambda by a double loop, with 1 - cos = ||y_i - y_j||^2 / 2 from explicit differences."""
    Y, Yo = _unit(X), _unit(X_out)
    n = Y.shape[0]
    terms = []
    for i, j in itertools.combinations(range(n), 2):
        den = 0.5 * np.sum((Y[i] - Y[j]) ** 2)
        num = 0.5 * np.sum((Yo[i] - Yo[j]) ** 2)
        terms.append(num / den)
    return float(np.mean(terms))


def _mean_cosine_loop(X):
    Y = _unit(X)
    n = Y.shape[0]
    return float(np.mean([Y[i] @ Y[j] for i in range(n) for j in range(n) if i != j]))


# ---------------------------------------------------------------------------
# effective_rank


def test_effective_rank_rank_one_is_one():
    rng = np.random.default_rng(0)
    X = np.outer(rng.standard_normal(40), rng.standard_normal(30))
    assert abs(cb.effective_rank(X) - 1.0) < 1e-12


@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_effective_rank_of_k_orthonormal_rows_is_k(k):
    Q, _ = np.linalg.qr(np.random.default_rng(k).standard_normal((12, k)))
    assert_allclose(cb.effective_rank(Q.T), k, rtol=1e-12)
    assert_allclose(cb.effective_rank(3.5 * Q), k, rtol=1e-12)  # scale and transpose free


def test_effective_rank_matches_entropy_of_prescribed_singular_values():
    rng = np.random.default_rng(1)
    U, _ = np.linalg.qr(rng.standard_normal((50, 4)))
    V, _ = np.linalg.qr(rng.standard_normal((9, 4)))
    s = np.array([5.0, 2.0, 1.0, 0.25])
    p = s / s.sum()
    assert_allclose(cb.effective_rank(U @ np.diag(s) @ V.T), np.exp(-np.sum(p * np.log(p))),
                    rtol=1e-12)


def test_effective_rank_of_nearly_collapsed_tokens_is_near_one():
    # Identical rows plus a 1e-13 perturbation: a Gram-matrix eigenvalue route
    # would leave sqrt(eps)-sized spurious singular values (erank - 1 ~ 1e-6).
    rng = np.random.default_rng(2)
    X = np.ones((500, 64)) + 1e-13 * rng.standard_normal((500, 64))
    assert cb.effective_rank(X) - 1.0 < 1e-9


# ---------------------------------------------------------------------------
# angle_ratio


@pytest.mark.parametrize(
    "n, beta, rho, q, alpha",
    [(50, 4.0, 0.3, 1.0, 0.0), (200, 8.0, 0.6, 1.0, 0.0), (30, 1.5, 0.1, 2.0, 0.7),
     (120, 12.0, 0.45, 0.5, 0.3), (64, 0.0, 0.2, 1.0, 0.0)],
)
def test_angle_ratio_on_simplex_equals_closed_form(n, beta, rho, q, alpha):
    X = cb.simplex_tokens(n, rho, q=q)
    lam = cb.angle_ratio(X, cb.attention_layer(X, beta, alpha))
    assert_allclose(lam, cb.simplex_angle_ratio(n, beta, rho, q=q, alpha=alpha), rtol=0,
                    atol=1e-10)


def test_angle_ratio_matches_direct_loop():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((25, 5))
    X_out = rng.standard_normal((25, 3))
    assert_allclose(cb.angle_ratio(X, X_out), _angle_ratio_loop(X, X_out), rtol=1e-12)
    X_layer = cb.attention_layer(X, 2.5)
    assert_allclose(cb.angle_ratio(X, X_layer), _angle_ratio_loop(X, X_layer), rtol=1e-12)


def test_angle_ratio_identity_is_one_and_block_free():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((37, 6))
    assert_allclose(cb.angle_ratio(X, 2.0 * X), 1.0, rtol=1e-13)
    X_out = cb.attention_layer(X, 3.0)
    ref = cb.angle_ratio(X, X_out)
    for block in (1, 5, 36, 37, 1000):
        assert_allclose(cb.angle_ratio(X, X_out, block=block), ref, rtol=1e-13)


def test_angle_ratio_keeps_accuracy_on_clustered_tokens():
    # Tokens within ~1e-6 rad of one direction: 1 - <y_i, y_j> ~ 1e-12, where
    # the uncentred 1 - Y Y^T loses about four of its digits.
    rng = np.random.default_rng(5)
    m = rng.standard_normal(8)
    X = m + 1e-6 * rng.standard_normal((30, 8))
    X_out = cb.attention_layer(X, 1.0, alpha=1.0)
    assert_allclose(cb.angle_ratio(X, X_out), _angle_ratio_loop(X, X_out), rtol=1e-9)


# ---------------------------------------------------------------------------
# mean_cosine and rank_one_residual


def test_mean_cosine_matches_pairwise_mean():
    rng = np.random.default_rng(6)
    for n, d in [(2, 3), (17, 4), (40, 40)]:
        X = rng.standard_normal((n, d)) * rng.uniform(0.1, 10.0, size=(n, 1))
        assert_allclose(cb.mean_cosine(X), _mean_cosine_loop(X), rtol=0, atol=1e-13)
    assert_allclose(cb.mean_cosine(cb.simplex_tokens(9, 0.37)), 0.37, atol=1e-14)


def test_rank_one_residual_matches_least_squares():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((23, 6)) + 3.0
    # min over x of ||X - 1 x^T||_F by least squares, solved column by column.
    x, *_ = np.linalg.lstsq(np.ones((23, 1)), X, rcond=None)
    direct = np.linalg.norm(X - np.ones((23, 1)) @ x) / np.linalg.norm(X)
    assert_allclose(cb.rank_one_residual(X), direct, rtol=1e-12)
    # ||X - 1 xbar||^2 = ||X||^2 - n ||xbar||^2, and residuals are scale free.
    xbar = X.mean(axis=0)
    identity = np.sqrt(1.0 - 23 * (xbar @ xbar) / np.sum(X * X))
    assert_allclose(cb.rank_one_residual(-4.0 * X), identity, rtol=1e-12)
    assert cb.rank_one_residual(np.tile(xbar, (5, 1))) == 0.0


def test_residual_of_unit_tokens_is_mean_cosine_in_disguise():
    # For unit rows, res^2 = (n - 1)/n * (1 - mean cosine).
    Y = cb.uniform_sphere_tokens(60, 5, rng=8)
    assert_allclose(cb.rank_one_residual(Y) ** 2, 59 / 60 * (1.0 - cb.mean_cosine(Y)),
                    rtol=1e-12)


# ---------------------------------------------------------------------------
# max_attention_weight and the flattening bounds


def test_max_attention_weight_matches_dense_matrix_and_blocks():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((70, 4))
    for beta in (0.0, 0.7, 5.0, 60.0):
        dense = cb.attention_weights(X, beta).max(axis=1)
        for block in (None, 1, 9, 70):
            assert_allclose(cb.max_attention_weight(X, beta, block=block), dense, rtol=1e-12)


def test_max_attention_weight_on_simplex_is_self_weight():
    X = cb.simplex_tokens(40, 0.25)
    for beta in (0.5, 3.0, 20.0):
        assert_allclose(cb.max_attention_weight(X, beta),
                        cb.simplex_self_weight(40, beta, 0.25), rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0, 6.0])
def test_weights_lie_within_exp_2beta_over_n(beta):
    # The chapter's proposition: scores in [-beta, beta] put every weight in
    # [e^{-2 beta}/n, e^{2 beta}/n], so 0 <= log n - H_i <= 2 beta.
    n = 300
    X = np.random.default_rng(10).standard_normal((n, 3))
    A = cb.attention_weights(X, beta)
    assert A.min() >= np.exp(-2 * beta) / n * (1 - 1e-12)
    assert A.max() <= np.exp(2 * beta) / n * (1 + 1e-12)
    gap = np.log(n) - cb.attention_entropy(X, beta)
    assert np.all(gap >= -1e-12) and np.all(gap <= 2 * beta + 1e-12)


# ---------------------------------------------------------------------------
# sphere_attention_prediction


def test_prediction_at_beta_zero_and_n_one():
    w, H = cb.sphere_attention_prediction([1.0, 2.0, 1e9], 0.0, 7)
    assert_allclose(w, [1.0, 0.5, 1e-9], rtol=1e-14)
    assert_allclose(H, np.log([1.0, 2.0, 1e9]), rtol=1e-14, atol=1e-15)
    w1, H1 = cb.sphere_attention_prediction(1.0, 3.0, 7)
    assert (w1, H1) == (1.0, 0.0)


@pytest.mark.parametrize("beta", [0.3, 2.0, 9.0, 40.0, 300.0])
def test_cosine_tilt_against_closed_forms(beta):
    # d = 3: c is uniform on [-1, 1], M = sinh(b)/b and t = coth(b) - 1/b.
    log_m, t = _cosine_tilt(beta, 3)
    assert_allclose(log_m, beta + np.log(-np.expm1(-2 * beta) / (2 * beta)), rtol=1e-12)
    assert_allclose(t, 1.0 / np.tanh(beta) - 1.0 / beta, rtol=1e-12)
    # d = 2: M = I0(b), t = I1(b)/I0(b) (modified Bessel functions).
    log_m, t = _cosine_tilt(beta, 2)
    assert_allclose(log_m, np.log(i0e(beta)) + beta, rtol=1e-12)
    assert_allclose(t, i1e(beta) / i0e(beta), rtol=1e-12)
    # d = 1: c = +-1, M = cosh(b).
    log_m, t = _cosine_tilt(beta, 1)
    assert_allclose(log_m, np.log(np.cosh(beta)) if beta < 300 else beta - np.log(2.0),
                    rtol=1e-12)


def test_cosine_tilt_quadratures_agree_and_match_high_dimension_expansion():
    from critbook.extremes import _log_window_integral

    # The windowed rule (used for d > 64) against Gauss-Jacobi (d <= 64) where both apply.
    for d in (16, 40, 64):
        k = (d - 3) / 2
        for beta in (0.5, 10.0, 300.0):
            log_num, t = _log_window_integral(beta, k)
            log_m = log_num - _log_window_integral(0.0, k)[0]
            assert_allclose((log_m, t), _cosine_tilt(beta, d), rtol=1e-11, atol=1e-14)
    # Large d: cumulants of c are 1/d (variance) and -6/(d^2 (d + 2)) (fourth), so
    # log M = b^2/(2d) - b^4/(4 d^2 (d + 2)) + ... and t = d log M / d b.
    for d, beta in [(10**5, 100.0), (10**7, 10.0), (4096, 2.0)]:
        log_m, t = _cosine_tilt(beta, d)
        assert_allclose(log_m, beta**2 / (2 * d) - beta**4 / (4 * d**2 * (d + 2)), rtol=1e-9)
        assert_allclose(t, beta / d - beta**3 / (d**2 * (d + 2)), rtol=1e-9)


def test_prediction_limits_for_large_n():
    beta, d = 4.0, 3
    m = np.sinh(beta) / beta
    t = 1.0 / np.tanh(beta) - 1.0 / beta
    n = 1e15
    w, H = cb.sphere_attention_prediction(n, beta, d)
    assert_allclose(n * w, np.exp(beta) / m, rtol=1e-9)
    assert_allclose(np.log(n) - H, beta * t - np.log(m), rtol=1e-6)
    # High dimension: c is nearly N(0, 1/d), so the gap tends to beta^2 / (2 d).
    w, H = cb.sphere_attention_prediction(n, beta, 4096)
    assert_allclose(np.log(n) - H, beta**2 / (2 * 4096), rtol=2e-3)


def test_prediction_agrees_with_simulation():
    n, d = 2000, 16
    X = cb.uniform_sphere_tokens(n, d, rng=11)
    for beta in (1.0, 3.0, 6.0):
        w, H = cb.sphere_attention_prediction(n, beta, d)
        assert_allclose(cb.max_attention_weight(X, beta).mean(), w, rtol=0.02)
        assert_allclose(cb.attention_entropy(X, beta).mean(), H, atol=0.01)


# ---------------------------------------------------------------------------
# iterate_layers and collapse_metrics


def test_iterate_layers_equals_repeated_attention_layer():
    X = cb.gaussian_tokens(60, 8, 0.3, rng=12)
    betas = [0.5, 3.0, 7.0]
    traj = cb.iterate_layers(X, betas, alpha=0.4)
    assert traj.shape == (4, 60, 8)
    assert_array_equal(traj[0], X)
    step = X
    for layer, beta in enumerate(betas, start=1):
        step = cb.attention_layer(step, beta, 0.4)
        assert_allclose(traj[layer], step, rtol=0, atol=0)
    assert_allclose(cb.iterate_layers(X, betas, alpha=0.4, block=7), traj, rtol=1e-13,
                    atol=1e-15)
    assert cb.iterate_layers(X, []).shape == (1, 60, 8)


def test_one_layer_near_collapse_is_cubic():
    # The chapter's derivation: for unit tokens y_i = ybar + e_i with spread
    # delta, x_i' - mean(x') = beta * Sigma e_i (size beta delta^3, Sigma = E^T E / n)
    # up to a relative error O(beta delta^2).
    rng = np.random.default_rng(13)
    beta, delta = 3.0, 1e-3
    Y = _unit(rng.standard_normal(10) + delta * rng.standard_normal((80, 10)))
    out = cb.attention_layer(Y, beta)
    E = Y - Y.mean(axis=0)
    predicted = beta * E @ (E.T @ E / 80)
    assert_allclose(out - out.mean(axis=0), predicted, rtol=0,
                    atol=2e-5 * np.abs(predicted).max())


def test_collapse_metrics_match_individual_functions():
    traj = cb.iterate_layers(cb.uniform_sphere_tokens(80, 6, rng=14), [2.0] * 6)
    m = cb.collapse_metrics(traj)
    assert set(m) == {"mean_cosine", "effective_rank", "rank_one_residual"}
    for key, fn in [("mean_cosine", cb.mean_cosine), ("effective_rank", cb.effective_rank),
                    ("rank_one_residual", cb.rank_one_residual)]:
        assert_allclose(m[key], [fn(x) for x in traj], rtol=0, atol=0)
    # Fixed beta clusters: cosine up, residual down, effective rank down to ~1.
    assert np.all(np.diff(m["mean_cosine"][:5]) > 0)
    assert np.all(np.diff(m["rank_one_residual"]) < 0)
    assert m["rank_one_residual"][-1] < 1e-13
    assert m["effective_rank"][-1] < 1.0 + 1e-9 < 5.0 < m["effective_rank"][0]


# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# cluster_count


def _cluster_count_dense(X, angle):
    from scipy.sparse.csgraph import connected_components

    Y = _unit(X)
    return connected_components(Y @ Y.T > np.cos(angle), directed=False)[0]


def test_cluster_count_matches_dense_components_and_blocks():
    rng = np.random.default_rng(16)
    centres = _unit(rng.standard_normal((5, 3)))
    X = np.repeat(centres, 30, axis=0) + 0.05 * rng.standard_normal((150, 3))
    X = X[rng.permutation(150)]
    for angle in (0.02, 0.1, 0.3, 1.0, np.pi):
        ref = _cluster_count_dense(X, angle)
        for block in (None, 1, 7, 150):
            assert cb.cluster_count(X, angle, block=block) == ref
    assert cb.cluster_count(X, np.pi) == 1
    assert cb.cluster_count(X, 1e-9) == 150


def test_cluster_count_in_the_plane_counts_wide_gaps():
    # Single linkage on the circle: clusters = gaps between neighbouring angles wider than `angle`.
    theta = np.random.default_rng(17).uniform(-np.pi, np.pi, 200)
    X = np.column_stack([np.cos(theta), np.sin(theta)])
    s = np.sort(theta)
    gaps = np.diff(np.append(s, s[0] + 2 * np.pi))
    for angle in (0.01, 0.03, 0.08):
        assert cb.cluster_count(X, angle) == max(int(np.sum(gaps > angle)), 1)
