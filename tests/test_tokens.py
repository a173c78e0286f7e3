"""Tests of critbook.tokens: simplex, Gaussian and uniform tokens, almost-simplex constants.

References are independent of the implementation: Gram matrices and their
spectrum for the simplex; exact means and variances of the Gaussian model
(derived below) with tolerances from the central limit theorem; the moments of
the uniform distribution on the sphere; and a dense, direct computation of the
almost-simplex constants.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import critbook as cb

# ------------------------------------------------------------------ simplex


@pytest.mark.parametrize("n", [1, 2, 5, 64])
@pytest.mark.parametrize("rho,q", [(0.0, 1.0), (0.3, 1.0), (0.95, 2.5), (0.5, 1e-3)])
def test_simplex_tokens_gram(n, rho, q):
    X = cb.simplex_tokens(n, rho, q)
    assert X.shape == (n, n + 1) and X.dtype == np.float64
    G = X @ X.T
    expected = q * ((1.0 - rho) * np.eye(n) + rho * np.ones((n, n)))
    assert_allclose(G, expected, rtol=0, atol=4e-16 * q)
    assert_allclose(np.einsum("ij,ij->i", X, X), q, rtol=2e-16)


@pytest.mark.parametrize("rho", [0.0, 0.4, 0.99])
def test_simplex_needs_d_at_least_n(rho):
    # the Gram matrix (1 - rho) I + rho 1 1^T has eigenvalues 1 - rho (n - 1 times) and
    # 1 + (n - 1) rho: full rank n, so n tokens need dimension d >= n
    n = 12
    Y = cb.normalize(cb.simplex_tokens(n, rho))
    eig = np.linalg.eigvalsh(Y @ Y.T)
    expected = np.sort(np.r_[np.full(n - 1, 1.0 - rho), 1.0 + (n - 1) * rho])
    assert_allclose(eig, expected, rtol=0, atol=1e-13)
    assert np.linalg.matrix_rank(Y) == n


def test_simplex_tokens_constants_and_cosines():
    X = cb.simplex_tokens(50, 0.35, q=3.0)
    assert_allclose(cb.almost_simplex_constants(X), (3.0, 3.0, 0.35, 0.35), rtol=1e-14)
    assert_allclose(cb.mean_cosine(X), 0.35, rtol=1e-14)


def test_simplex_tokens_accepts_integral_values():
    ref = cb.simplex_tokens(4, 0.2)
    assert_array_equal(cb.simplex_tokens(np.int64(4), 0.2), ref)
    assert_array_equal(cb.simplex_tokens(4.0, np.float64(0.2)), ref)


# ----------------------------------------------------------------- Gaussian


def gaussian_stats(X: np.ndarray) -> tuple[float, float]:
    """Mean squared norm and mean inner product over ordered pairs i != j."""
    n = X.shape[0]
    sq = np.einsum("ij,ij->i", X, X)
    total = X.sum(axis=0)
    return sq.mean(), (total @ total - sq.sum()) / (n * (n - 1))


def gaussian_variances(n: int, d: int, rho: float) -> tuple[float, float]:
    """Exact variances of the two statistics above for z ~ N(0, I_d / d).

    With x_i = a z_0 + b z_i (a^2 = rho, b^2 = 1 - rho), the terms ||z_0||^2,
    <z_0, z_bar>, ||z_i||^2 and <z_i, z_j> are pairwise uncorrelated, with variances
    2/d, 1/(n d), 2/d and 1/d respectively.
    """
    v_sq = 2 * rho**2 / d + 4 * rho * (1 - rho) / (n * d) + 2 * (1 - rho) ** 2 / (n * d)
    v_ip = 2 * rho**2 / d + 4 * rho * (1 - rho) / (n * d) + 2 * (1 - rho) ** 2 / (d * n * (n - 1))
    return v_sq, v_ip


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.8])
def test_gaussian_moments(rho):
    n, d, reps = 20, 50, 400
    rng = np.random.default_rng(12345)
    stats = np.array([gaussian_stats(cb.gaussian_tokens(n, d, rho, rng=rng)) for _ in range(reps)])
    v_sq, v_ip = gaussian_variances(n, d, rho)
    # E ||x_i||^2 = 1 and E <x_i, x_j> = rho, within 5 standard errors (CLT over reps draws)
    assert abs(stats[:, 0].mean() - 1.0) < 5 * np.sqrt(v_sq / reps)
    assert abs(stats[:, 1].mean() - rho) < 5 * np.sqrt(v_ip / reps)
    # the spread matches the model: a shared z_0 gives Var ~ 2 rho^2 / d, not ~ 1 / (n d);
    # the sample variance of reps draws has relative standard error about sqrt(2 / reps)
    assert_allclose(stats[:, 0].var(ddof=1), v_sq, rtol=5 * np.sqrt(2 / reps))
    assert_allclose(stats[:, 1].var(ddof=1), v_ip, rtol=5 * np.sqrt(2 / reps))


def test_gaussian_coordinates_scale_with_d():
    # z ~ N(0, I_d / d): each coordinate of x_i has variance 1 / d, whatever d is
    for d in (4, 256):
        X = cb.gaussian_tokens(4000, d, 0.0, rng=7)
        var = X.var(axis=0).mean()
        # each of the d coordinate variances averages 4000 draws: relative s.e. sqrt(2/(4000 d))
        assert abs(var * d - 1.0) < 5 * np.sqrt(2.0 / (4000 * d))


def test_gaussian_shapes_and_reproducibility():
    X = cb.gaussian_tokens(7, 3, 0.5, rng=1)
    assert X.shape == (7, 3) and X.dtype == np.float64
    assert cb.gaussian_tokens(1, 5, 0.5, rng=1).shape == (1, 5)
    assert_array_equal(X, cb.gaussian_tokens(7, 3, 0.5, rng=1))
    assert_array_equal(X, cb.gaussian_tokens(7, 3, 0.5, rng=np.random.default_rng(1)))
    assert_array_equal(X, cb.gaussian_tokens(7, 3, 0.5, rng=np.random.SeedSequence(1)))
    assert not np.array_equal(X, cb.gaussian_tokens(7, 3, 0.5, rng=2))
    # a Generator is consumed: two calls on one generator give different tokens
    gen = np.random.default_rng(3)
    assert not np.array_equal(cb.gaussian_tokens(7, 3, 0.5, rng=gen), cb.gaussian_tokens(7, 3, 0.5, rng=gen))
    # rng=None draws fresh entropy
    assert not np.array_equal(cb.gaussian_tokens(7, 3, 0.5), cb.gaussian_tokens(7, 3, 0.5))


def test_gaussian_shared_direction():
    # with the same seed, changing rho only reweights the same z_0, z_1, ..., z_n
    X0 = cb.gaussian_tokens(30, 16, 0.0, rng=5)
    X1 = cb.gaussian_tokens(30, 16, 0.36, rng=5)
    # x_i(rho) - sqrt(1 - rho) x_i(0) = sqrt(rho) z_0 is the same vector for every token
    shared = X1 - np.sqrt(1 - 0.36) * X0
    assert_allclose(shared, np.broadcast_to(shared[0], shared.shape), rtol=0, atol=1e-15)


def test_gaussian_is_almost_simplex_for_large_d():
    n, rho = 200, 0.3
    q1, q2, rho1, rho2 = cb.almost_simplex_constants(cb.gaussian_tokens(n, 8192, rho, rng=0))
    assert q1 < 1 < q2 and rho1 < rho < rho2
    assert q2 - q1 < 0.2 and rho2 - rho1 < 0.12


def test_gaussian_window_shrinks_like_sqrt_log_n_over_d():
    # [derived] the width rho2 - rho1 is of order sqrt(log n / d): quadrupling sqrt(d)
    # divides it by about four. Averaged over four seeds.
    n, rho = 200, 0.3
    widths = {}
    for d in (256, 4096):
        w = [np.ptp(cb.almost_simplex_constants(cb.gaussian_tokens(n, d, rho, rng=s))[2:])
             for s in range(4)]
        widths[d] = np.mean(w) / np.sqrt(np.log(n) / d)
    assert 2.0 < widths[256] < 4.0
    assert_allclose(widths[4096], widths[256], rtol=0.1)


# ------------------------------------------------------------------ uniform


def test_uniform_sphere_tokens():
    n, d = 20000, 3
    Y = cb.uniform_sphere_tokens(n, d, rng=11)
    assert Y.shape == (n, d)
    assert_allclose(np.linalg.norm(Y, axis=1), 1.0, rtol=0, atol=4e-16)
    # mean 0: each coordinate has variance 1/d, so the sample mean has s.e. 1/sqrt(n d)
    assert np.all(np.abs(Y.mean(axis=0)) < 5 / np.sqrt(n * d))
    # second moment I / d: Var(y_k^2) = 3/(d(d+2)) - 1/d^2, Var(y_k y_l) = 1/(d(d+2))
    M = Y.T @ Y / n
    se_diag = np.sqrt((3 / (d * (d + 2)) - 1 / d**2) / n)
    se_off = np.sqrt(1 / (d * (d + 2)) / n)
    off = ~np.eye(d, dtype=bool)
    assert np.all(np.abs(np.diag(M) - 1 / d) < 5 * se_diag)
    assert np.all(np.abs(M[off]) < 5 * se_off)
    assert_array_equal(Y, cb.uniform_sphere_tokens(n, d, rng=11))


def test_uniform_sphere_tokens_d1_are_signs():
    Y = cb.uniform_sphere_tokens(500, 1, rng=0)
    assert set(np.unique(Y)) == {-1.0, 1.0}
    assert abs(Y.mean()) < 5 / np.sqrt(500)


# ------------------------------------------------------ almost-simplex constants


def direct_constants(X: np.ndarray) -> tuple[float, float, float, float]:
    """Dense reference: squared norms and off-diagonal cosines, all at once."""
    sq = (X**2).sum(axis=1)
    C = (X @ X.T) / np.sqrt(np.outer(sq, sq))
    off = C[~np.eye(len(X), dtype=bool)]
    return sq.min(), sq.max(), off.min(), off.max()


def test_almost_simplex_constants_vs_direct():
    rng = np.random.default_rng(4)
    for X in (
        rng.standard_normal((37, 5)) * rng.uniform(0.1, 3.0, size=(37, 1)),
        cb.gaussian_tokens(120, 64, 0.6, rng=rng),
        cb.uniform_sphere_tokens(2, 2, rng=rng),
    ):
        assert_allclose(cb.almost_simplex_constants(X), direct_constants(X), rtol=1e-14, atol=1e-15)


def test_almost_simplex_constants_block_independent():
    X = cb.gaussian_tokens(101, 16, 0.4, rng=9)
    ref = cb.almost_simplex_constants(X)
    for block in (1, 2, 3, 7, 50, 100, 101, 5000):
        assert_allclose(cb.almost_simplex_constants(X, block=block), ref, rtol=0, atol=1e-15)


def test_almost_simplex_constants_invariances():
    X = cb.gaussian_tokens(60, 8, 0.5, rng=2)
    q1, q2, r1, r2 = cb.almost_simplex_constants(X)
    # permuting tokens changes nothing; rescaling rows changes the norms only
    perm = np.random.default_rng(0).permutation(60)
    assert_allclose(cb.almost_simplex_constants(X[perm]), (q1, q2, r1, r2), rtol=1e-14)
    Xs = 3.0 * X
    assert_allclose(cb.almost_simplex_constants(Xs), (9 * q1, 9 * q2, r1, r2), rtol=1e-13)
    # float32 input gives the same answer to float32 precision
    assert_allclose(cb.almost_simplex_constants(X.astype(np.float32)), (q1, q2, r1, r2), rtol=1e-6)


def test_almost_simplex_constants_extremes_are_attained():
    # two planted pairs: cosine exactly -1 (antipodal) and exactly 1 (parallel)
    X = np.array([[1.0, 0.0], [-2.0, 0.0], [0.0, 1.0], [0.0, 5.0]])
    q1, q2, r1, r2 = cb.almost_simplex_constants(X, block=1)
    assert (q1, q2) == (1.0, 25.0)
    assert_allclose((r1, r2), (-1.0, 1.0), rtol=0, atol=1e-16)
