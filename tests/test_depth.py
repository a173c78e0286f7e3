"""Depth on the simplex (critbook.depth): the iterated exact map against closed forms
and against a direct simulation of stacked attention layers."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import critbook as cb

RHOS = [0.05, 0.3, 0.6, 0.9]


@pytest.mark.parametrize("rho0", RHOS)
def test_critical_iteration_matches_closed_form(rho0):
    # The exact finite-n map at n = 1e300 (log space) iterated, gamma re-chosen
    # critical at every layer, against 1 - rho_L = (1 - rho_0) / (1 - rho_0 + 4^L rho_0).
    rhos, _ = cb.simplex_depth(rho0, 10, n=1e300)
    assert_allclose(1 - rhos, 1 - cb.critical_depth_closed_form(rho0, np.arange(11)),
                    rtol=1e-10)


@pytest.mark.parametrize("rho0", RHOS)
def test_contraction_factor_per_layer(rho0):
    # 1 - rho shrinks by exactly 1 / (1 + 3 rho) per critical layer (n -> infinity).
    rhos, _ = cb.simplex_depth(rho0, 6, n=1e300)
    factors = (1 - rhos[1:]) / (1 - rhos[:-1])
    assert_allclose(factors, 1 / (1 + 3 * rhos[:-1]), rtol=1e-10)


def test_five_layers_from_0_3():
    # theory.md correction 4: from rho = 0.3, rho passes 0.99 within about five layers.
    rhos, _ = cb.simplex_depth(0.3, 5)
    assert rhos[3] < 0.99 < rhos[4]


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_finite_n_matches_stacked_layers(alpha):
    # Independent: simplex tokens through cb.attention_layer, beta recomputed at each
    # layer from the measured cosine of the current tokens (critical) or fixed.
    n, rho0 = 60, 0.3
    X = cb.simplex_tokens(n, rho0)
    rhos, qs = cb.simplex_depth(rho0, 4, n=n, alpha=alpha)
    for layer in range(1, 5):
        rho_now = cb.mean_cosine(X)
        X = cb.attention_layer(X, cb.critical_gamma(rho_now) * np.log(n), alpha)
        assert_allclose(cb.mean_cosine(X), rhos[layer], rtol=1e-9)
        assert_allclose(np.sum(X**2, axis=1), qs[layer], rtol=1e-9)
    gamma = 1.2 / (1 - rho0)
    rhos, _ = cb.simplex_depth(rho0, 3, n=n, gamma=gamma, alpha=alpha)
    X = cb.simplex_tokens(n, rho0)
    for layer in range(1, 4):
        X = cb.attention_layer(X, gamma * np.log(n), alpha)
        assert_allclose(cb.mean_cosine(X), rhos[layer], rtol=1e-9)


def test_fixed_gamma_limit_map_is_a_step():
    # n -> infinity at a fixed gamma: identity while rho < 1 - 1/gamma, then collapse.
    gamma = 2.0  # critical at rho = 0.5
    assert_allclose(cb.simplex_depth(0.3, 3, gamma=gamma)[0], 0.3)
    assert_allclose(cb.simplex_depth(0.6, 1, gamma=gamma)[0], [0.6, 1.0])


def test_residual_slows_but_does_not_stop_collapse():
    plain, _ = cb.simplex_depth(0.3, 12)
    resid, qs = cb.simplex_depth(0.3, 12, alpha=0.5)
    assert np.all(np.diff(resid) > 0)          # still contractive at every layer
    assert np.all(resid[1:] < plain[1:])       # but slower
    assert resid[-1] > 0.99
    # One limit step with the residual against simplex_limit and simplex_layer at n = 1e300.
    for rho, q in zip(resid[:4], qs[:4]):
        q_big, rho_big = cb.simplex_layer(1e300, cb.critical_gamma(rho) * np.log(1e300),
                                          rho, q, 0.5)
        step_rho, step_q = cb.simplex_depth(rho, 1, alpha=0.5, q=q)
        assert_allclose(step_rho[1], rho_big, rtol=1e-10)
        assert_allclose(step_q[1], q_big, rtol=1e-10)
