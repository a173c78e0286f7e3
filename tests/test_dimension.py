"""The role of the dimension: the sphere-packing bound (critbook.dimension) against
direct computation, and the fixed-d numbers of the gradients chapter against
independent computations."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import critbook as cb


@pytest.mark.parametrize("phi", [0.1, 0.5, 1.0, np.pi / 2])
def test_cap_fraction_closed_form_d3(phi):
    # On S^2 the cap of angular radius phi has area fraction (1 - cos phi) / 2.
    assert_allclose(cb.cap_fraction(phi, 3), (1 - np.cos(phi)) / 2, rtol=1e-12)


@pytest.mark.parametrize("d", [2, 5, 9])
def test_cap_fraction_monte_carlo(d):
    phi = 0.8
    Y = cb.normalize(np.random.default_rng(d).standard_normal((400_000, d)))
    frac = np.mean(Y[:, 0] >= np.cos(phi))
    se = np.sqrt(frac * (1 - frac) / Y.shape[0])
    assert abs(frac - cb.cap_fraction(phi, d)) < 5 * se


@pytest.mark.parametrize("n,rho2", [(256, 0.3), (2000, 0.5), (1e6, 0.9), (1e12, 0.5)])
def test_packing_dimension_is_the_first_d_allowed(n, rho2):
    d = cb.packing_dimension(n, rho2)
    half = np.arccos(rho2) / 2
    assert n * cb.cap_fraction(half, d) <= 1
    if d > 2:
        assert n * cb.cap_fraction(half, d - 1) > 1


def test_packing_dimension_grows_like_log_n():
    rho2 = 0.5
    slope = np.log(1 / np.sin(np.arccos(rho2) / 2))
    for n in (1e50, 1e150, 1e300):
        assert_allclose(cb.packing_dimension(n, rho2) * slope / np.log(n), 1, atol=0.03)


def test_below_the_bound_cosines_exceed_rho2():
    # Any n vectors in a dimension below the bound have a pair with cosine > rho2.
    n, rho2 = 2000, 0.5
    d = cb.packing_dimension(n, rho2) - 1
    for rho in (0.0, 0.3):
        X = cb.gaussian_tokens(n, d, rho, rng=1) if rho else cb.uniform_sphere_tokens(n, d, rng=1)
        assert cb.almost_simplex_constants(X)[3] > rho2


# --- the fixed-d numbers of chapters/gradients.md ("The role of the dimension")

RHO = 0.3
NS = (250, 1000, 2000)


def _eta_lambda(n, d, ratio, seed=0):
    X = cb.gaussian_tokens(n, d, RHO, rng=seed)
    beta = ratio * cb.critical_gamma(RHO) * np.log(n)
    return cb.eta(X, beta), cb.angle_ratio(X, cb.attention_layer(X, beta))


def test_eta_at_small_d_does_not_vanish_below_gamma_c():
    eta8 = [_eta_lambda(n, 8, 0.5)[0] for n in NS]
    # (exact eta at d = 128 costs O(n^3): n = 250 and 1000 show the fall, 0.012 -> 0.005)
    eta128 = [_eta_lambda(n, 128, 0.5)[0] for n in NS[:2]]
    assert np.all(np.diff(eta8) > 0) and eta8[0] > 0.2      # rises with n at d = 8
    assert np.all(np.diff(eta128) < 0) and eta128[-1] < 0.01  # falls at d = 128
    lam8 = [_eta_lambda(n, 8, 0.5)[1] for n in NS]
    assert min(lam8) > 0.4                                   # no collapse at d = 8


def test_eta_at_small_d_against_dense_jacobian():
    # Independent check of the value: ||J||_F^2 / (n d) from the dense Jacobian.
    n, d = 250, 8
    X = cb.gaussian_tokens(n, d, RHO, rng=0)
    beta = 0.5 * cb.critical_gamma(RHO) * np.log(n)
    J = cb.layer_jacobian(X, beta)
    assert_allclose(cb.eta(X, beta), np.sum(J**2) / (n * d), rtol=1e-10)


# --- the d = 2 panel of Figure 2 (chapters/gradients.md): its limits in gamma

@pytest.mark.parametrize("rho", [0.05, 0.5, 0.8])
def test_figure2_d2_panel_limits(rho):
    n, d, seed = 256, 2, 6
    X = cb.gaussian_tokens(n, d, rho, rng=seed)  # the draw eta_phase_diagram uses
    inv_q = np.mean(1 / np.sum(X**2, axis=1))
    # gamma = 0: uniform attention, eta = (1 - 1/d) mean(1/q) / n exactly.
    e0 = cb.eta_phase_diagram([rho], [0.0], n, d, rng=seed, method="exact")[0, 0]
    assert_allclose(e0, (1 - 1 / d) * inv_q / n, rtol=1e-10)
    # gamma -> infinity: identity attention, eta -> (1 - 1/d) mean(1/q), far above 1 - 1/d.
    big, se = cb.eta_phase_diagram([rho], [1e12], n, d, rng=seed, probes=8,
                                   return_std=True)
    assert abs(big[0, 0] - (1 - 1 / d) * inv_q) <= 5 * se[0, 0] + 1e-9
