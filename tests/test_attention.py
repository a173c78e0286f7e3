"""Tests of critbook.attention against independent derivations and invariants.

The reference softmax here is written from the definition (scores from
explicitly normalised tokens, max subtraction, division by the row sum) and
shares no code with the module's streamed, symmetric, shifted kernel.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import critbook as cb


def _tokens(n: int, d: int, seed: int = 0, dtype: type = np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # Varied norms, so that normalisation matters.
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, size=(n, 1))
    return X.astype(dtype)


def _softmax_reference(X: np.ndarray, beta: float) -> np.ndarray:
    """Dense ``softmax(beta * Y Y^T)`` straight from the definition (float64)."""
    X = np.asarray(X, dtype=np.float64)
    Y = X / np.linalg.norm(X, axis=1, keepdims=True)
    L = beta * (Y @ Y.T)
    L -= L.max(axis=1, keepdims=True)
    W = np.exp(L)
    return W / W.sum(axis=1, keepdims=True)


def _entropy_reference(A: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(A > 0, A * np.log(A), 0.0)
    return -terms.sum(axis=1)


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize("beta", [0.0, 0.7, 5.0, 40.0])
def test_weights_match_direct_softmax(beta: float) -> None:
    X = _tokens(37, 5, seed=1)
    assert_allclose(
        cb.attention_weights(X, beta), _softmax_reference(X, beta), rtol=1e-12, atol=1e-15
    )


def test_weights_two_orthogonal_tokens_closed_form() -> None:
    # Scores beta on the diagonal, 0 off it: A_ii = e^beta / (e^beta + 1).
    beta = 1.3
    p = np.exp(beta) / (np.exp(beta) + 1.0)
    assert_allclose(
        cb.attention_weights(np.eye(2) * [2.0, 0.5], beta), [[p, 1 - p], [1 - p, p]], rtol=1e-14
    )


@pytest.mark.parametrize(("beta", "alpha"), [(0.0, 0.0), (2.5, 0.0), (12.0, 0.3), (60.0, 1.0)])
def test_layer_matches_weights_times_tokens(beta: float, alpha: float) -> None:
    # n = 300 with 128-row tiles: diagonal, off-diagonal and ragged tiles all occur.
    X = _tokens(300, 7, seed=2)
    Y = X / np.linalg.norm(X, axis=1, keepdims=True)
    expected = _softmax_reference(X, beta) @ Y + alpha * X
    out = cb.attention_layer(X, beta, alpha, block=128)
    assert out.shape == X.shape and out.dtype == np.float64
    assert_allclose(out, expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("beta", [0.0, 1.0, 8.0, 50.0])
def test_entropy_matches_direct_sum(beta: float) -> None:
    X = _tokens(260, 6, seed=3)
    H = cb.attention_entropy(X, beta, block=100)
    assert H.dtype == np.float64
    assert_allclose(H, _entropy_reference(_softmax_reference(X, beta)), rtol=1e-11, atol=1e-12)


def test_entropy_of_uniform_attention_is_log_n() -> None:
    X = _tokens(123, 4, seed=4)
    assert_allclose(cb.attention_entropy(X, 0.0), np.log(123), rtol=1e-14)


def test_entropy_within_bounds() -> None:
    X = _tokens(200, 3, seed=5)
    for beta in [0.0, 0.5, 3.0, 30.0, 300.0]:
        H = cb.attention_entropy(X, beta)
        assert np.all(H >= 0.0) and np.all(H <= np.log(200))


def test_rows_of_weights_sum_to_one() -> None:
    X = _tokens(90, 4, seed=6)
    for beta in [0.0, 3.0, 300.0]:
        assert_allclose(cb.attention_weights(X, beta).sum(axis=1), 1.0, rtol=1e-14)
    X32 = X.astype(np.float32)
    A32 = cb.attention_weights(X32, 3.0)
    assert A32.dtype == np.float32
    assert_allclose(A32.sum(axis=1), 1.0, rtol=1e-6)


def test_uniform_attention_gives_mean_direction() -> None:
    # beta = 0: every output token is the mean of the normalised tokens.
    X = _tokens(211, 5, seed=7)
    Y = X / np.linalg.norm(X, axis=1, keepdims=True)
    out = cb.attention_layer(X, 0.0, block=50)
    assert_allclose(out, np.broadcast_to(Y.mean(axis=0), out.shape), rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------- invariants


def test_permutation_equivariance() -> None:
    X = _tokens(150, 6, seed=8)
    perm = np.random.default_rng(9).permutation(150)
    assert_allclose(
        cb.attention_layer(X[perm], 4.0, 0.2, block=40),
        cb.attention_layer(X, 4.0, 0.2, block=40)[perm],
        rtol=1e-12,
        atol=1e-14,
    )
    assert_allclose(
        cb.attention_entropy(X[perm], 4.0, block=40),
        cb.attention_entropy(X, 4.0, block=40)[perm],
        rtol=1e-12,
    )


def test_scaling_tokens_leaves_output_unchanged() -> None:
    # Only directions enter when alpha = 0: a global factor, or a positive factor per token.
    X = _tokens(120, 5, seed=10)
    ref = cb.attention_layer(X, 6.0)
    assert_allclose(cb.attention_layer(7.5 * X, 6.0), ref, rtol=1e-13, atol=1e-15)
    c = np.random.default_rng(11).uniform(0.01, 100.0, size=(120, 1))
    assert_allclose(cb.attention_layer(c * X, 6.0), ref, rtol=1e-12, atol=1e-14)
    assert_allclose(cb.attention_entropy(c * X, 6.0), cb.attention_entropy(X, 6.0), rtol=1e-12)


def test_residual_scales_with_tokens() -> None:
    # With alpha > 0 the residual is alpha * x (not y): scaling X by c adds (c - 1) alpha X.
    X = _tokens(80, 4, seed=12)
    diff = cb.attention_layer(3.0 * X, 2.0, 0.5) - cb.attention_layer(X, 2.0, 0.5)
    assert_allclose(diff, 2.0 * 0.5 * X, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("block", [1, 3, 17, 64, 333, 10_000])
def test_block_size_independence(block: int) -> None:
    X = _tokens(333, 6, seed=13)
    ref_layer = _softmax_reference(X, 9.0) @ (X / np.linalg.norm(X, axis=1, keepdims=True))
    assert_allclose(cb.attention_layer(X, 9.0, block=block), ref_layer, rtol=1e-12, atol=1e-13)
    ref_H = _entropy_reference(_softmax_reference(X, 9.0))
    assert_allclose(cb.attention_entropy(X, 9.0, block=block), ref_H, rtol=1e-11, atol=1e-12)


# ------------------------------------------------------------------ float32 and range


def test_float32_in_float32_out_and_agrees_with_float64() -> None:
    X = _tokens(700, 16, seed=16)
    X32 = X.astype(np.float32)
    for beta in [0.0, np.log(700), 20.0]:
        out32 = cb.attention_layer(X32, beta, 0.5)
        assert out32.dtype == np.float32
        assert_allclose(
            out32, cb.attention_layer(X32.astype(np.float64), beta, 0.5), rtol=0, atol=2e-6
        )
        H32 = cb.attention_entropy(X32, beta)
        assert_allclose(H32, cb.attention_entropy(X32.astype(np.float64), beta), rtol=0, atol=1e-5)
    assert cb.normalize(X32).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta", [1e2, 1e3, 1e4])
def test_large_beta_stays_finite(dtype: type, beta: float) -> None:
    X = _tokens(120, 8, seed=17, dtype=dtype)
    out = cb.attention_layer(X, beta, block=50)
    H = cb.attention_entropy(X, beta, block=50)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(H))
    assert np.all(H >= 0.0) and np.all(H <= np.log(120))
    A = cb.attention_weights(X, beta)
    assert np.all(np.isfinite(A))
    assert_allclose(A.sum(axis=1), 1.0, rtol=1e-6)
    ref = _softmax_reference(X, beta)
    assert_allclose(A, ref, rtol=0, atol=1e-3 if dtype == np.float32 else 1e-9)


@pytest.mark.parametrize(("dtype", "beta"), [(np.float32, 1e38), (np.float64, 1e300)])
def test_astronomical_beta_attends_to_self(dtype: type, beta: float) -> None:
    # Distinct directions: every off-diagonal weight underflows (to 0, or in float32 to the
    # kernel's floor exp(-87) = 1.7e-38), so x'_i = y_i and H_i = 0 to that accuracy.
    X = _tokens(64, 4, seed=18, dtype=dtype)
    assert_allclose(cb.attention_layer(X, beta, block=16), cb.normalize(X), rtol=1e-6)
    assert_allclose(cb.attention_entropy(X, beta, block=16), 0.0, rtol=0, atol=1e-30)
    assert_allclose(cb.attention_weights(X, beta), np.eye(64), atol=1e-30)


def test_duplicate_tokens_share_weight_at_large_beta() -> None:
    # Tokens 0 and 1 point the same way: at beta = 1e4 they split the weight evenly.
    X = _tokens(30, 4, seed=19)
    X[1] = 2.0 * X[0]
    A = cb.attention_weights(X, 1e4)
    assert_allclose(A[0, :2], [0.5, 0.5], rtol=1e-6)
    assert_allclose(cb.attention_entropy(X, 1e4)[:2], np.log(2.0), rtol=1e-6)


def test_single_token() -> None:
    X = np.array([[0.0, -3.0]])
    assert_allclose(cb.attention_layer(X, 5.0, 1.0), [[0.0, -4.0]])
    assert_array_equal(cb.attention_entropy(X, 5.0), [0.0])
    assert_array_equal(cb.attention_weights(X, 5.0), [[1.0]])


def test_streamed_memory_does_not_grow_as_n_squared() -> None:
    # n = 6000 float32: the n-by-n scores would be 137 MiB; a tile is 4 MiB.
    X = _tokens(6000, 4, seed=20, dtype=np.float32)
    tracemalloc.start()
    try:
        cb.attention_layer(X, 5.0)
        cb.attention_entropy(X, 5.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20


def _dense_count(X: np.ndarray, beta: float, mass: float) -> np.ndarray:
    A = cb.attention_weights(X, beta)
    desc = np.sort(A, axis=1)[:, ::-1]
    cum = np.cumsum(desc, axis=1)
    return np.array([int(np.searchsorted(row, mass)) + 1 for row in cum])


@pytest.mark.parametrize("beta", [0.0, 1.0, 5.0, 20.0, 80.0])
@pytest.mark.parametrize("mass", [0.5, 0.9])
def test_top_mass_count_equals_dense_computation(beta, mass):
    # n = 71: mass * n is not an integer, so uniform rows (beta = 0) have no tie.
    X = cb.gaussian_tokens(71, 3, 0.3, rng=11)
    want = _dense_count(X, beta, mass)
    assert_array_equal(cb.top_mass_count(X, beta, mass), want)
    assert_array_equal(cb.top_mass_count(X, beta, mass, block=9), want)
    assert_array_equal(cb.top_mass_count(X, beta, mass, rows=25), want[:25])


def test_top_mass_count_on_the_simplex_matches_closed_form():
    # Each row: self weight p and n - 1 equal weights r = (1 - p)/(n - 1).
    n, rho, mass = 200, 0.4, 0.9
    X = cb.simplex_tokens(n, rho)
    for beta in (0.0, 3.0, 6.0, 9.0, 12.0):
        p = cb.simplex_self_weight(n, beta, rho)
        r = (1.0 - p) / (n - 1)
        want = 1 if p >= mass else 1 + int(np.ceil((mass - p) / r - 1e-9))
        assert_array_equal(cb.top_mass_count(X, beta, mass), np.full(n, want))
