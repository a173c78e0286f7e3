"""Theorems 2.3 and 2.5 of the paper across n (chapters/phase_transition.md and
chapters/gradients.md), checked with independent dense computations."""

import numpy as np
import pytest

import critbook as cb

RHO = 0.3


def _pair_ratios(X, beta):
    """All (1 - <y_i', y_j'>) / (1 - <y_i, y_j>) over pairs i < j, by dense numpy."""
    Y = X / np.linalg.norm(X, axis=1, keepdims=True)
    S = beta * Y @ Y.T
    A = np.exp(S - S.max(axis=1, keepdims=True))
    A /= A.sum(axis=1, keepdims=True)
    Yo = A @ Y
    Yo /= np.linalg.norm(Yo, axis=1, keepdims=True)
    iu = np.triu_indices(len(X), 1)
    return (1 - (Yo @ Yo.T)[iu]) / (1 - (Y @ Y.T)[iu]), np.mean(np.diag(A))


# Two of the chapter's rows (n = 200 ... 1200): fixed d and d growing with n.
@pytest.mark.parametrize("n,d", [(200, 512), (800, 400)])
def test_theorem_2_3_both_edges(n, d):
    X = cb.gaussian_tokens(n, d, RHO, rng=1)
    q1, q2, rho1, rho2 = cb.almost_simplex_constants(X)
    assert rho1 > 0  # the hypothesis holds for these draws
    ratios, _ = _pair_ratios(X, 0.9 / (1 - rho1) * np.log(n))
    assert ratios.max() < 1  # strictly contractive for every pair below the lower edge
    _, self_weight = _pair_ratios(X, 1.1 / (1 - rho2) * np.log(n))
    assert self_weight > 0.8  # close to the identity above the upper edge
    # and the book's streamed metric agrees with the dense one
    worst = cb.phase_diagram([RHO], [0.9 / (1 - rho1)], n, d, rng=1,
                             metric="max_angle_ratio")[0, 0]
    assert np.isclose(worst, ratios.max(), rtol=1e-6)


def test_theorem_2_3_hypothesis_fails_at_small_d():
    # The chapter's table: with d = n / 2 at n = 200 and 400 the draws have a negative cosine.
    for n in (200, 400):
        X = cb.gaussian_tokens(n, n // 2, RHO, rng=1)
        assert cb.almost_simplex_constants(X)[2] < 0


# Exact eta costs O(n^3) at d^2 > n: three of the chapter's rows.
@pytest.mark.parametrize("n,d", [(200, 512), (400, 200), (800, 400)])
def test_theorem_2_5_supercritical_band(n, d):
    # eta (exact) above the window lies in [(1 - 1/d)/q2, (1 - 1/d)/q1].
    X = cb.gaussian_tokens(n, d, RHO, rng=5)
    q1, q2, _, rho2 = cb.almost_simplex_constants(X)
    e = cb.eta(X, 1.5 / (1 - rho2) * np.log(n))
    assert (1 - 1 / d) / q2 < e < (1 - 1 / d) / q1
    # the chapter's Hutchinson estimate (64 rows, 4 probes) is close to the exact value
    est = cb.eta_phase_diagram([RHO], [1.5 / (1 - rho2)], n, d, rng=5, probes=4, rows=64,
                               dtype=np.float32)[0, 0]
    assert abs(est - e) < 0.05
