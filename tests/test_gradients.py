"""Tests of critbook.gradients: the layer Jacobian, JVPs and the index eta.

Independent references: central finite differences of ``attention_layer`` (for
the analytic Jacobian), the dense Jacobian (for ``jvp`` and ``eta``), the
Frobenius norm of the dense Jacobian on simplex tokens (for the closed form
``simplex_eta``), and the paper's Theorem 2.4 values (for the limits).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import critbook as cb


def random_tokens(n: int, d: int, seed: int) -> np.ndarray:
    """Tokens with random directions and norms between 0.5 and 2."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X * rng.uniform(0.5, 2.0, size=(n, 1))


def central_differences(X: np.ndarray, beta: float, alpha: float, h: float = 1e-5) -> np.ndarray:
    """Jacobian of attention_layer by central differences, column by column."""
    n, d = X.shape
    J = np.empty((n * d, n * d))
    for col in range(n * d):
        E = np.zeros(n * d)
        E[col] = h
        E = E.reshape(n, d)
        plus = cb.attention_layer(X + E, beta, alpha)
        minus = cb.attention_layer(X - E, beta, alpha)
        J[:, col] = (plus - minus).ravel() / (2 * h)
    return J


def padded(X: np.ndarray, d: int) -> np.ndarray:
    """Embed tokens in a larger dimension by appending zero coordinates."""
    out = np.zeros((X.shape[0], d))
    out[:, : X.shape[1]] = X
    return out


# --- the Jacobian ------------------------------------------------------------


@pytest.mark.parametrize("beta", [0.0, 0.7, 3.0, 12.0])
@pytest.mark.parametrize("alpha", [0.0, 0.8])
@pytest.mark.parametrize("shape,seed", [((5, 4), 0), ((3, 7), 1), ((6, 2), 2)])
def test_jacobian_matches_central_differences(beta, alpha, shape, seed):
    X = random_tokens(*shape, seed=seed)
    J = cb.layer_jacobian(X, beta, alpha)
    assert J.shape == (X.size, X.size)
    assert_allclose(J, central_differences(X, beta, alpha), rtol=0, atol=1e-6)


def test_finite_difference_jacobian_helper():
    X = random_tokens(4, 3, seed=22)
    assert_allclose(cb.finite_difference_jacobian(X, 2.0, 0.3, h=1e-5),
                    central_differences(X, 2.0, 0.3, h=1e-5), rtol=0, atol=1e-12)
    assert_allclose(cb.finite_difference_jacobian(X, 2.0, 0.3), cb.layer_jacobian(X, 2.0, 0.3),
                    rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"\bh\b"):
        cb.finite_difference_jacobian(X, 2.0, h=0.0)


def test_jacobian_of_single_token_is_normalisation_plus_residual():
    x = np.array([[1.0, -2.0, 2.0]])  # norm 3
    y = x[0] / 3.0
    expected = (np.eye(3) - np.outer(y, y)) / 3.0 + 0.25 * np.eye(3)
    assert_allclose(cb.layer_jacobian(x, beta=5.0, alpha=0.25), expected, atol=1e-15)


def test_jacobian_block_layout():
    # Block (i, k) must be d x'_i / d x_k: perturbing token k changes rows of token i.
    X = random_tokens(3, 2, seed=4)
    J = cb.layer_jacobian(X, 2.0)
    e = np.zeros((3, 2))
    e[2, 1] = 1e-6
    change = (cb.attention_layer(X + e, 2.0) - cb.attention_layer(X, 2.0)).ravel() / 1e-6
    assert_allclose(J[:, 2 * 2 + 1], change, atol=1e-5)


# --- Jacobian-vector products -------------------------------------------------


@pytest.mark.parametrize("beta,alpha", [(0.0, 0.0), (2.5, 0.0), (9.0, 0.3), (40.0, 1.0)])
def test_jvp_equals_dense_jacobian(beta, alpha):
    X = random_tokens(7, 5, seed=3)
    V = np.random.default_rng(5).standard_normal((7, 5))
    J = cb.layer_jacobian(X, beta, alpha)
    assert_allclose(cb.jvp(X, beta, V, alpha), (J @ V.ravel()).reshape(7, 5), rtol=0, atol=1e-13)


def test_jvp_stack_of_directions():
    X = random_tokens(6, 4, seed=6)
    V = np.random.default_rng(7).standard_normal((3, 6, 4))
    J = cb.layer_jacobian(X, 4.0, 0.5)
    out = cb.jvp(X, 4.0, V, 0.5)
    assert out.shape == (3, 6, 4)
    for p in range(3):
        assert_allclose(out[p], (J @ V[p].ravel()).reshape(6, 4), rtol=0, atol=1e-13)


@pytest.mark.parametrize("block", [1, 3, 16, 1000])
def test_jvp_does_not_depend_on_block(block):
    X = cb.gaussian_tokens(37, 6, rho=0.4, rng=8)
    V = np.random.default_rng(9).standard_normal((2, 37, 6))
    ref = cb.jvp(X, 5.0, V, 0.2)
    assert_allclose(cb.jvp(X, 5.0, V, 0.2, block=block), ref, rtol=0, atol=1e-14)


def test_jvp_scale_invariance():
    # attention_layer(s X) = attention_layer(X) + alpha (s - 1) X, so J X = alpha X.
    X = cb.gaussian_tokens(40, 8, rho=0.3, rng=10)
    assert_allclose(cb.jvp(X, 6.0, X, alpha=0.7), 0.7 * X, rtol=0, atol=1e-13)


def test_jvp_matches_finite_difference_at_larger_n():
    # No dense Jacobian here: compare with a central difference of the layer directly.
    X = cb.gaussian_tokens(300, 16, rho=0.3, rng=11)
    V = np.random.default_rng(12).standard_normal(X.shape)
    h = 1e-5
    plus, minus = cb.attention_layer(X + h * V, 8.0, 0.1), cb.attention_layer(X - h * V, 8.0, 0.1)
    fd = (plus - minus) / (2 * h)
    assert_allclose(cb.jvp(X, 8.0, V, 0.1), fd, rtol=0, atol=1e-7)


# --- eta ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "n,d",  # (30, 4) uses the quartic features, (6, 8) the n x n kernel
    [(30, 4), (6, 8), (12, 3), (1, 5)],
)
@pytest.mark.parametrize("beta,alpha", [(0.0, 0.0), (1.5, 0.0), (6.0, 0.4), (25.0, 2.0)])
def test_eta_equals_frobenius_norm_of_jacobian(n, d, beta, alpha):
    X = random_tokens(n, d, seed=n + d)
    J = cb.layer_jacobian(X, beta, alpha)
    expected = np.sum(J**2) / (n * d)
    assert_allclose(cb.eta(X, beta, alpha), expected, rtol=1e-12)
    assert_allclose(cb.eta(X, beta, alpha, block=5), expected, rtol=1e-12)


def test_eta_of_identity_attention():
    # Huge beta: attention is the identity, J_ii = P_i and eta = mean_i (1 - 1/d) / q_i.
    # (The documented rounding error is about 1e-16 beta^2 = 1e-8 here.)
    X = random_tokens(20, 6, seed=13)
    q = np.sum(X**2, axis=1)
    assert_allclose(cb.eta(X, 1e4), np.mean((1 - 1 / 6) / q), rtol=1e-7)


@pytest.mark.parametrize("ratio", [0.6, 1.0, 1.5])
def test_hutchinson_is_unbiased(ratio):
    n, d, rho = 120, 24, 0.3
    X = cb.gaussian_tokens(n, d, rho, rng=14)
    beta = ratio * cb.critical_gamma(rho) * np.log(n)
    exact = cb.eta(X, beta)
    est, se = cb.eta_hutchinson(X, beta, probes=40, rng=15, return_std=True)
    assert se > 0
    assert abs(est - exact) < 3.5 * se
    # The standard error is an honest scale: not absurdly larger than the error either.
    assert se < 0.05 * exact


def test_hutchinson_reproducible_and_batch_independent():
    X = cb.gaussian_tokens(50, 10, rho=0.5, rng=16)
    a = cb.eta_hutchinson(X, 3.0, 0.2, probes=10, rng=17)
    b = cb.eta_hutchinson(X, 3.0, 0.2, probes=10, rng=17)
    assert a == b
    # Same probes drawn in another grouping: same sum up to rounding.
    c = cb.eta_hutchinson(X, 3.0, 0.2, probes=10, rng=17, batch=10)
    assert_allclose(a, c, rtol=1e-13)
    with pytest.raises(ValueError, match="probes"):
        cb.eta_hutchinson(X, 3.0, probes=1, rng=0, return_std=True)


def test_hutchinson_on_identity_attention():
    # Identity attention with alpha = 0 on unit tokens: J = blockdiag(I - y y^T) and
    # ||J v||^2 is random, but its mean over many probes is (1 - 1/d).
    X = cb.uniform_sphere_tokens(200, 16, rng=18)
    est, se = cb.eta_hutchinson(X, 1e4, probes=16, rng=19, return_std=True)
    assert abs(est - (1 - 1 / 16)) < 4 * se


# --- the simplex: closed form and limits ----------------------------------------


@pytest.mark.parametrize("n", [2, 9, 40])
@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8])
@pytest.mark.parametrize("beta,q,alpha", [(0.5, 1.0, 0.0), (4.0, 2.5, 0.0), (15.0, 0.7, 0.6)])
def test_simplex_eta_closed_form_matches_exact(n, rho, beta, q, alpha):
    X = cb.simplex_tokens(n, rho, q=q)
    assert_allclose(cb.simplex_eta(n, beta, rho, q, alpha), cb.eta(X, beta, alpha), rtol=1e-11)
    # In a larger ambient dimension d.
    d = n + 7
    assert_allclose(
        cb.simplex_eta(n, beta, rho, q, alpha, d=d), cb.eta(padded(X, d), beta, alpha), rtol=1e-11
    )


def test_simplex_eta_limit_values():
    rho = 0.5  # gamma_c = 2
    assert_allclose(cb.simplex_eta_limit([1.0, 2.0, 3.0], rho), [0.0, 0.25, 1.0])
    assert_allclose(cb.simplex_eta_limit([1.0, 2.0, 3.0], rho, q=2.0, d=10), [0.0, 0.1125, 0.45])
    # With a residual (the book's derivation): (1 - 1/d)(p^2/q + 2 alpha p / sqrt q) + alpha^2.
    assert_allclose(
        cb.simplex_eta_limit([1.0, 2.0, 3.0], rho, q=4.0, alpha=0.5),
        [0.25, 1 / 16 + 0.25 + 0.25, 0.25 + 0.5 + 0.25],
    )
    assert cb.simplex_eta_limit(1.25, 0.2) == 0.25  # gamma_c = 1.25 exactly
    assert isinstance(cb.simplex_eta_limit(3.0, 0.5), float)


@pytest.mark.parametrize("ratio", [0.6, 1.0, 1.5])
@pytest.mark.parametrize("q,alpha", [(1.0, 0.0), (2.0, 0.0), (0.5, 0.3)])
def test_simplex_eta_tends_to_the_limit(ratio, q, alpha):
    rho = 0.3
    gamma = ratio * cb.critical_gamma(rho)
    limit = cb.simplex_eta_limit(gamma, rho, q=q, alpha=alpha)
    ns = np.array([1e3, 1e8, 1e40])
    values = cb.simplex_eta(ns, gamma * np.log(ns), rho, q, alpha)
    gaps = np.abs(values - limit)
    assert np.all(np.diff(gaps) < 0)
    assert gaps[-1] < 1e-6


@pytest.mark.parametrize("ratio", [0.6, 1.0, 1.5])
def test_eta_of_simplex_tokens_moves_toward_the_limit(ratio):
    rho = 0.3
    gamma = ratio * cb.critical_gamma(rho)
    limit = cb.simplex_eta_limit(gamma, rho)
    gaps = [abs(cb.eta(cb.simplex_tokens(n, rho), gamma * np.log(n)) - limit) for n in (100, 400)]
    assert gaps[1] < gaps[0]


def test_q_scaling_halves_eta():
    # alpha = 0: the layer only sees directions, so J scales as 1/||x|| and eta as 1/q.
    rho, n = 0.3, 60
    for ratio in (0.6, 1.0, 1.5):
        beta = ratio * cb.critical_gamma(rho) * np.log(n)
        e1 = cb.eta(cb.simplex_tokens(n, rho, q=1.0), beta)
        e2 = cb.eta(cb.simplex_tokens(n, rho, q=2.0), beta)
        assert_allclose(e2, e1 / 2, rtol=1e-12)
        assert_allclose(cb.simplex_eta(1e9, beta, rho, q=2.0), cb.simplex_eta(1e9, beta, rho) / 2)
    X = cb.gaussian_tokens(80, 12, rho, rng=20)
    assert_allclose(cb.eta(np.sqrt(2) * X, 5.0), cb.eta(X, 5.0) / 2, rtol=1e-12)
    assert_allclose(cb.simplex_eta_limit([1.0, 2.0, 3.0], 0.5, q=2.0),
                    cb.simplex_eta_limit([1.0, 2.0, 3.0], 0.5) / 2)


def test_extreme_values_stay_finite():
    ns = np.array([1.0, 2.0, 1e12, 1e300])
    for gamma in (0.5, 1 / 0.7, 3.0):
        vals = cb.simplex_eta(ns, gamma * np.log(ns), 0.3)
        assert np.all(np.isfinite(vals)) and np.all(vals >= 0)
    assert cb.simplex_eta(1.0, 7.0, 0.3) == pytest.approx(1 - 1 / 2)  # one token in d = 2
    X = cb.gaussian_tokens(30, 5, 0.3, rng=21)
    for beta in (0.0, 1e-12, 1e3, 1e6):
        assert np.isfinite(cb.eta(X, beta))
    for beta in (0.0, 1e6, 1e300):
        assert np.all(np.isfinite(cb.jvp(X, beta, X[::-1])))
        assert np.isfinite(cb.eta_hutchinson(X, beta, probes=2, rng=0))
        assert np.all(np.isfinite(cb.layer_jacobian(X[:4], beta)))
    # Beyond every rounding scale attention is the identity: eta = mean (1 - 1/d) / q_i.
    q = np.sum(X**2, axis=1)
    assert_allclose(cb.eta_hutchinson(X, 1e300, probes=64, rng=1), np.mean((1 - 1 / 5) / q),
                    rtol=0.05)
    # Duplicated tokens at huge beta: attention splits evenly between the copies.
    Xd = np.vstack([X[:3], X[:3]])
    assert np.all(np.isfinite(cb.jvp(Xd, 1e300, Xd[::-1])))


X0 = random_tokens(4, 3, seed=0)


# --- the (rho, gamma) grid ------------------------------------------------------


def test_eta_phase_diagram_matches_pointwise_functions():
    rhos, gammas, n, d = [0.1, 0.5], [0.5, 2.0, 3.5], 60, 16
    exact = cb.eta_phase_diagram(rhos, gammas, n, d, rng=3, method="exact")
    assert exact.shape == (3, 2)
    for j, rho in enumerate(rhos):
        X = cb.gaussian_tokens(n, d, rho, rng=3)  # same seed, same tokens
        for k, gamma in enumerate(gammas):
            assert_allclose(exact[k, j], cb.eta(X, gamma * np.log(n)), rtol=1e-13)
    est, se = cb.eta_phase_diagram(rhos, gammas, n, d, rng=3, probes=24, batch=5,
                                   return_std=True)
    assert np.all(se > 0)
    assert np.all(np.abs(est - exact) < 4 * se)
    # Matches eta_hutchinson on the same probes: a single probe is a plain JVP.
    one = cb.eta_phase_diagram([0.3], [1.0], n, d, rng=4, probes=1)
    gen = np.random.default_rng(4)
    X = np.sqrt(0.3) * (Z := gen.standard_normal((n + 1, d)) / np.sqrt(d))[0] + np.sqrt(0.7) * Z[1:]
    probe_rng = np.random.default_rng(gen.integers(0, 2**63, size=1)[0])
    V = probe_rng.integers(0, 2, size=(n, d)) * 2.0 - 1
    JV = cb.jvp(X, np.log(n), V)
    assert_allclose(one[0, 0], np.sum(JV**2) / (n * d), rtol=1e-12)


def test_eta_phase_diagram_row_subset_is_hutchinson_on_those_rows():
    n, d, m = 50, 6, 12
    est = cb.eta_phase_diagram([0.4], [1.0, 3.0], n, d, rng=5, probes=300, rows=m)
    # Exact value of ||J_S||_F^2 / (m d) from the dense Jacobian's first m * d rows.
    X = cb.gaussian_tokens(n, d, 0.4, rng=5)
    for k, gamma in enumerate([1.0, 3.0]):
        J = cb.layer_jacobian(X, gamma * np.log(n))[: m * d]
        assert_allclose(est[k, 0], np.sum(J**2) / (m * d), rtol=0.05)
    with pytest.raises(ValueError, match="rows"):
        cb.eta_phase_diagram([0.4], [1.0], n, d, rows=n + 1)


def test_eta_phase_diagram_float32_agrees():
    kw = dict(n=80, d=32, rng=6, probes=3)
    e64 = cb.eta_phase_diagram([0.2, 0.6], [0.5, 2.0, 4.0], **kw)
    e32 = cb.eta_phase_diagram([0.2, 0.6], [0.5, 2.0, 4.0], dtype=np.float32, **kw)
    assert_allclose(e32, e64, rtol=1e-4)
    with pytest.raises(ValueError, match="dtype"):
        cb.eta_phase_diagram([0.2], [1.0], 20, 4, dtype=np.int64)


def _simplex_eta_mp(n, beta, rho, q, alpha, d):
    """simplex eta from the uncentred block formulas, in 60-digit arithmetic (mpmath)."""
    import mpmath as mp

    mp.mp.dps = 60
    n, beta, rho, q, alpha, d = (mp.mpf(x) for x in (n, beta, rho, q, alpha, d))
    Z = mp.e**beta + (n - 1) * mp.e**(beta * rho)
    p, r = mp.e**beta / Z, mp.e**(beta * rho) / Z
    t = (n - 1) * r
    mu_ii, mu_ik = p + t * rho, p * rho + r * (1 - rho) + t * rho
    nu = p * mu_ii + t * mu_ik
    M2 = (d - 1) + 2 * beta * (rho * mu_ik - mu_ii) + beta**2 * (1 - 2 * mu_ik + nu) * (1 - rho**2)
    tr_CP = (1 - nu) - (p + t * rho**2 - mu_ii**2)
    T1 = p**2 + t * r + 2 * p * t * rho**2 + t * (t - r) * rho**2
    C_F2 = T1 - 2 * (p * mu_ii**2 + t * mu_ik**2) + nu**2
    Sy2 = p**2 + 2 * p * t * rho**2 + t * r * rho**2 + t * (t - r) * rho**3
    Cy2 = Sy2 - 2 * mu_ii * (p * mu_ii + t * rho * mu_ik) + mu_ii**2 * nu
    sq = mp.sqrt(q)
    diag = p**2 * (d - 1) / q + 2 * p * (beta * tr_CP / q + alpha * (d - 1) / sq)
    diag += beta**2 * (C_F2 - Cy2) / q + 2 * alpha * beta * tr_CP / sq + alpha**2 * d
    return float((t * r * M2 / q + diag) / d)


@pytest.mark.parametrize("n,beta", [(1e3, 2.0), (1e6, 30.0), (1e6, 1e3), (1e9, 1e5), (50, 1e4)])
@pytest.mark.parametrize("rho,q,alpha", [(0.3, 1.0, 0.0), (0.8, 2.0, 0.5)])
def test_simplex_eta_accurate_for_large_beta(n, beta, rho, q, alpha):
    # Independent evaluation of the uncentred formulas in high precision.
    expected = _simplex_eta_mp(n, beta, rho, q, alpha, n + 1)
    assert_allclose(cb.simplex_eta(n, beta, rho, q, alpha), expected, rtol=1e-12)
