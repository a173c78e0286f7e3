"""Tests of critbook.simplex: the closed forms of the simplex model.

The closed forms are checked against three independent references:

- simulation: :func:`critbook.attention_layer` applied to an explicit simplex
  (:func:`critbook.simplex_tokens`), measured over every row and every pair;
- the textbook formula ``e^beta / (e^beta + (n - 1) e^(beta rho))`` evaluated
  directly (moderate ``n``) or in 700-digit arithmetic with mpmath (any ``n``);
- the limit formulas typed out here from theory.md (sections 3.2 and 9),
  together with the rate ``n^-|gamma (1 - rho) - 1|`` at which they are reached.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

import critbook as cb

# ---------------------------------------------------------------- references


def mp_layer(n: float, beta: float, rho: float, q: float = 1.0, alpha: float = 0.0):
    """Self weight, q_out, rho_out and lambda straight from the definitions, in high precision.

    Uses the explicit sums: Z = e^beta + (n - 1) e^(beta rho), p = e^beta / Z,
    r = e^(beta rho) / Z, x_i' = (p - r + alpha sqrt(q)) y_i + r S with
    <y_i, S> = 1 + (n - 1) rho and ||S||^2 = n (1 + (n - 1) rho). 700 digits, so that
    ``1 - rho_out`` keeps full relative accuracy down to ``lambda ~ 1e-600``.
    """
    with mpmath.workdps(700):
        n, beta, rho, q, alpha = (mpmath.mpf(v) for v in (n, beta, rho, q, alpha))
        Z = mpmath.exp(beta) + (n - 1) * mpmath.exp(beta * rho)
        p = mpmath.exp(beta) / Z
        r = mpmath.exp(beta * rho) / Z if n > 1 else mpmath.mpf(0)
        a = p - r + alpha * mpmath.sqrt(q)
        yS = 1 + (n - 1) * rho
        SS = n * yS
        q_out = a * a + 2 * a * r * yS + r * r * SS
        cross = a * a * rho + 2 * a * r * yS + r * r * SS
        rho_out = cross / q_out
        lam = (1 - rho_out) / (1 - rho)
        return float(p), float(q_out), float(rho_out), float(lam)


def limit_formula(kappa: float, rho: float, c: float) -> float:
    """theory.md section 3.2: the n -> infinity limit of rho_out, c = alpha sqrt(q)."""
    if kappa < 1:
        return rho * (1 + c) ** 2 / (c * c + 2 * c * rho + rho)
    if kappa == 1:
        return rho * (1 + c) ** 2 / ((0.5 + c) ** 2 + rho * (0.5 + c) + rho / 4)
    return rho


def simulate(n: int, beta: float, rho: float, q: float, alpha: float):
    """Squared norms and cosines of attention_layer's output on an explicit simplex."""
    X = cb.simplex_tokens(n, rho, q)
    out = cb.attention_layer(X, beta, alpha)
    G = out @ out.T
    sq = np.diag(G).copy()
    cos = G / np.sqrt(np.outer(sq, sq))
    return sq, cos[~np.eye(n, dtype=bool)]


# ------------------------------------------------- closed form vs simulation


@pytest.mark.parametrize("n", [2, 3, 17, 150])
@pytest.mark.parametrize("rho", [0.0, 0.2, 0.75])
def test_layer_matches_simulation(n, rho):
    for beta in (0.0, 0.7, 5.0, 30.0):
        for q, alpha in ((1.0, 0.0), (0.3, 0.5), (4.0, 2.0), (2.5, 0.0)):
            sq, cos = simulate(n, beta, rho, q, alpha)
            q_out, rho_out = cb.simplex_layer(n, beta, rho, q, alpha)
            # every row has the predicted norm and every pair the predicted cosine
            assert_allclose(sq, q_out, rtol=1e-12, atol=0)
            assert_allclose(cos, rho_out, rtol=0, atol=1e-12)
            lam = cb.simplex_angle_ratio(n, beta, rho, q, alpha)
            assert_allclose(1.0 - cos, lam * (1.0 - rho), rtol=0, atol=1e-12)


def test_layer_at_critical_scale_matches_simulation():
    # beta = gamma log n on both sides of gamma_c, with and without residual
    n, rho = 400, 0.3
    for ratio in (0.5, 1.0, 2.0):
        beta = ratio * cb.critical_gamma(rho) * np.log(n)
        for q, alpha in ((1.0, 0.0), (2.0, 0.7)):
            sq, cos = simulate(n, beta, rho, q, alpha)
            q_out, rho_out = cb.simplex_layer(n, beta, rho, q, alpha)
            assert_allclose(sq, q_out, rtol=1e-11)
            assert np.max(np.abs(cos - rho_out)) < 1e-10


def test_single_token():
    # n = 1: the token attends to itself only, x' = (1 + alpha sqrt(q)) y
    for beta in (0.0, 3.0):
        for q, alpha in ((1.0, 0.0), (4.0, 1.0)):
            out = cb.attention_layer(cb.simplex_tokens(1, 0.5, q), beta, alpha)
            q_out, rho_out = cb.simplex_layer(1, beta, 0.5, q, alpha)
            assert_allclose(q_out, np.sum(out**2), rtol=1e-14)
            assert_allclose(q_out, (1.0 + alpha * math.sqrt(q)) ** 2, rtol=1e-14)
            assert rho_out == 0.5  # documented: no pair, rho is returned unchanged
            assert cb.simplex_angle_ratio(1, beta, 0.5, q, alpha) == 1.0
            assert cb.simplex_self_weight(1, beta, 0.5) == 1.0


def test_beta_zero_is_uniform_attention():
    # beta = 0: A = 1/n everywhere, x_i' = S / n (+ residual): full collapse without residual
    # (log space costs a relative error of about log(n) * 1e-16 in 1/n: 7e-14 at n = 1e300)
    for n in (2, 10, 1e6, 1e300):
        assert_allclose(cb.simplex_self_weight(n, 0.0, 0.4), 1.0 / n, rtol=2e-13)
        assert cb.simplex_layer(n, 0.0, 0.4)[1] == 1.0
        assert cb.simplex_angle_ratio(n, 0.0, 0.4) == 0.0
        assert_allclose(cb.simplex_layer(n, 0.0, 0.4)[0], 0.4 + 0.6 / n, rtol=1e-14)


# ------------------------------------------------------------- self weight


def test_self_weight_direct_formula():
    n = np.array([2.0, 5.0, 100.0, 1e4])[:, None, None]
    beta = np.array([0.0, 0.3, 2.0, 10.0, 40.0])[None, :, None]
    rho = np.array([0.0, 0.25, 0.9])[None, None, :]
    direct = np.exp(beta) / (np.exp(beta) + (n - 1) * np.exp(beta * rho))
    got = cb.simplex_self_weight(n, beta, rho)
    assert got.shape == (4, 5, 3)
    assert_allclose(got, direct, rtol=1e-14)


@pytest.mark.parametrize("n", [1e12, 1e50, 1e200, 1e300])
def test_self_weight_huge_n_vs_mpmath(n):
    rho = 0.3
    gc = 1.0 / (1.0 - rho)
    for beta in (0.0, 1.0, 0.5 * gc * math.log(n), gc * math.log(n), 2.0 * gc * math.log(n), 1e4):
        p = cb.simplex_self_weight(n, beta, rho)
        assert isinstance(p, float)
        assert_allclose(p, mp_layer(n, beta, rho)[0], rtol=1e-11, atol=0)


def test_self_weight_is_monotone():
    ns = np.logspace(0.5, 300, 400)
    p = cb.simplex_self_weight(ns, 20.0, 0.5)
    assert np.all(np.diff(p) < 0)
    betas = np.linspace(0.0, 2000.0, 400)
    p = cb.simplex_self_weight(1e100, betas, 0.5)
    assert np.all(np.diff(p) >= 0) and p[0] < 1e-99 and p[-1] == 1.0


def test_critical_self_weight_tends_to_one_half():
    # at gamma = gamma_c: p = 1 / (1 + (n - 1) / n) = n / (2n - 1) exactly
    rho = 0.6
    for n in (10.0, 1e3, 1e8, 1e15):
        p = cb.simplex_self_weight(n, math.log(n) / (1 - rho), rho)
        assert_allclose(p, n / (2 * n - 1), rtol=1e-12)


# -------------------------------------------------- layer against mpmath


@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(
    log10_n=st.floats(0.0, 300.0),
    beta=st.one_of(st.floats(0.0, 50.0), st.floats(0.0, 1e4)),
    rho=st.floats(0.0, 0.999),
    q=st.floats(1e-3, 1e3),
    alpha=st.one_of(st.just(0.0), st.floats(0.0, 10.0)),
)
def test_layer_vs_mpmath(log10_n, beta, rho, q, alpha):
    n = 10.0**log10_n
    _, q_ref, rho_ref, lam_ref = mp_layer(n, beta, rho, q, alpha)
    q_out, rho_out = cb.simplex_layer(n, beta, rho, q, alpha)
    lam = cb.simplex_angle_ratio(n, beta, rho, q, alpha)
    assert_allclose(q_out, q_ref, rtol=1e-10)
    assert_allclose(rho_out, rho_ref, rtol=0, atol=1e-13)
    # lambda keeps its relative accuracy even when it is tiny
    assert_allclose(lam, lam_ref, rtol=1e-9, atol=1e-300)


def test_angle_ratio_rho_zero_no_underflow():
    # rho = 0, n = 1e300, beta = 10: a^2 ~ 5e-592 underflows, lambda ~ 4.9e-292 does not
    lam = cb.simplex_angle_ratio(1e300, 10.0, 0.0)
    assert_allclose(lam, mp_layer(1e300, 10.0, 0.0)[3], rtol=1e-10)
    assert lam > 0


def test_angle_ratio_is_one_minus_rho_ratio():
    n = np.array([2.0, 30.0, 1e3, 1e6])[:, None]
    beta = np.array([0.5, 3.0, 9.0, 25.0])[None, :]
    for rho, q, alpha in ((0.2, 1.0, 0.0), (0.7, 3.0, 0.4)):
        _, rho_out = cb.simplex_layer(n, beta, rho, q, alpha)
        lam = cb.simplex_angle_ratio(n, beta, rho, q, alpha)
        assert lam.shape == (4, 4)
        # (1 - rho_out) carries an absolute rounding error of ~1e-16
        assert_allclose(lam, (1.0 - rho_out) / (1.0 - rho), rtol=1e-12, atol=1e-15)


def test_layer_never_expands_angles():
    # 0 <= lambda <= 1, i.e. rho <= rho_out <= 1, and q_out > 0: attention on a simplex contracts
    n = np.array([1.0, 2.0, 1e3, 1e12, 1e100, 1e300])[:, None, None, None]
    beta = np.array([0.0, 1e-3, 1.0, 50.0, 700.0, 710.0, 1e3, 1e4])[None, :, None, None]
    rho = np.array([0.0, 0.5, 0.999])[None, None, :, None]
    alpha = np.array([0.0, 1.0])[None, None, None, :]
    q_out, rho_out = cb.simplex_layer(n, beta, rho, 1.0, alpha)
    lam = cb.simplex_angle_ratio(n, beta, rho, 1.0, alpha)
    p = cb.simplex_self_weight(n, beta, rho)
    assert q_out.shape == rho_out.shape == lam.shape == (6, 8, 3, 2)
    for arr in (q_out, rho_out, lam, p):
        assert np.all(np.isfinite(arr))
    assert np.all(q_out > 0)
    assert np.all((lam >= 0) & (lam <= 1))
    assert np.all((rho_out >= rho - 1e-15) & (rho_out <= 1.0))
    assert np.all((p > 0) & (p <= 1))


def test_scalar_in_float_out_and_broadcasting():
    q_out, rho_out = cb.simplex_layer(100, 3.0, 0.4, 2.0, 0.5)
    assert type(q_out) is float and type(rho_out) is float
    assert type(cb.simplex_angle_ratio(100, 3.0, 0.4)) is float
    assert type(cb.critical_gamma(0.4)) is float
    betas = np.array([0.5, 3.0, 8.0])
    q_vec, rho_vec = cb.simplex_layer(100, betas, 0.4, 2.0, 0.5)
    for k, b in enumerate(betas):
        q_s, rho_s = cb.simplex_layer(100, float(b), 0.4, 2.0, 0.5)
        assert q_vec[k] == q_s and rho_vec[k] == rho_s


# -------------------------------------------------- gamma_c and the regime


def test_critical_gamma():
    rho = np.array([0.0, 0.25, 0.5, 0.9])
    assert_allclose(cb.critical_gamma(rho), [1.0, 4 / 3, 2.0, 10.0], rtol=1e-15)
    assert cb.critical_gamma(0.5) == 2.0


def test_regime():
    for rho in (0.0, 0.3, 0.8):
        gc = 1.0 / (1.0 - rho)
        assert cb.regime(0.0, rho) == "subcritical"
        assert cb.regime(0.5 * gc, rho) == "subcritical"
        assert cb.regime(gc, rho) == "critical"
        assert cb.regime(cb.critical_gamma(rho), rho) == "critical"
        assert cb.regime(3.0 * gc, rho) == "supercritical"


def test_regime_tolerance():
    rho = 0.3
    gc = 1.0 / (1.0 - rho)
    # documented: |gamma (1 - rho) - 1| <= 1e-9 counts as critical
    inside, outside = 5e-10, 2e-9
    assert cb.regime(gc * (1 + inside), rho) == "critical"
    assert cb.regime(gc * (1 - inside), rho) == "critical"
    assert cb.regime(gc * (1 + outside), rho) == "supercritical"
    assert cb.regime(gc * (1 - outside), rho) == "subcritical"
    # simplex_limit uses the same rule
    crit = 4 * rho / (1 + 3 * rho)
    assert_allclose(cb.simplex_limit(gc * (1 + inside), rho), crit, rtol=1e-15)
    assert cb.simplex_limit(gc * (1 + outside), rho) == pytest.approx(rho, rel=1e-15)
    assert cb.simplex_limit(gc * (1 - outside), rho) == pytest.approx(1.0, rel=1e-15)


# --------------------------------------------------------------- the limits


def test_limit_without_residual():
    # Theorem 2.1 of the paper: 1, 4 rho / (1 + 3 rho), rho
    rho = np.linspace(0.01, 0.99, 50)
    gc = 1.0 / (1.0 - rho)
    assert_allclose(cb.simplex_limit(0.5 * gc, rho), 1.0, rtol=1e-15)
    assert_allclose(cb.simplex_limit(gc, rho), 4 * rho / (1 + 3 * rho), rtol=1e-14)
    assert_allclose(cb.simplex_limit(1.5 * gc, rho), rho, rtol=1e-14)
    assert_allclose(cb.simplex_limit(0.0, rho), 1.0, rtol=1e-15)


def test_limit_with_residual_formulas():
    for rho in (0.05, 0.2, 0.6):
        gc = 1.0 / (1.0 - rho)
        for q, alpha in ((1.0, 0.5), (2.5, 0.3), (0.2, 3.0)):
            c = alpha * math.sqrt(q)
            for ratio, kappa in ((0.4, 0.4), (1.0, 1.0), (2.0, 2.0)):
                assert_allclose(
                    cb.simplex_limit(ratio * gc, rho, q, alpha),
                    limit_formula(kappa, rho, c),
                    rtol=1e-14,
                )
    # theory.md section 9: rho = 0.2, alpha = 0.5, q = 1 gives (0.692, 0.360, 0.200)
    vals = cb.simplex_limit(np.array([0.7, 1.0, 1.3]) * 1.25, 0.2, 1.0, 0.5)
    assert_allclose(vals, [0.692, 0.360, 0.200], atol=5e-4)


def test_residual_limits_match_layer_at_n_1e12():
    # far from gamma_c the gap is ~ n^-|kappa - 1|: 1e-12 * 0.7 ... tiny; at gamma_c it is ~ 1/n
    n = 1e12
    for rho in (0.2, 0.5):
        gc = 1.0 / (1.0 - rho)
        for q, alpha in ((1.0, 0.0), (1.0, 0.5), (3.0, 1.5)):
            for ratio in (0.2, 1.0, 3.0):
                _, rho_out = cb.simplex_layer(n, ratio * gc * math.log(n), rho, q, alpha)
                lim = cb.simplex_limit(ratio * gc, rho, q, alpha)
                kappa = ratio
                tol = 2.0 / n if kappa == 1.0 else n ** -abs(kappa - 1.0)
                assert abs(rho_out - lim) <= tol + 1e-14, (rho, q, alpha, ratio)


@pytest.mark.parametrize("kappa", [0.5, 1.5])
@pytest.mark.parametrize("q,alpha", [(1.0, 0.5), (2.5, 0.3), (1.0, 0.0)])
def test_convergence_rate_off_critical(kappa, q, alpha):
    """|rho_out - limit| = C n^-|kappa - 1| (C of order one) until rounding takes over."""
    rho = 0.3
    gamma = kappa / (1 - rho)
    lim = cb.simplex_limit(gamma, rho, q, alpha)
    exps = np.array([12.0, 25.0, 50.0, 100.0, 200.0, 300.0])
    ns = 10.0**exps
    _, rho_out = cb.simplex_layer(ns, gamma * np.log(ns), rho, q, alpha)
    err = np.abs(rho_out - lim)
    # the bound holds at every n, the floor being rounding error
    assert np.all(err <= ns ** -abs(kappa - 1) + 1e-14)
    if alpha == 0.0 and kappa < 1:
        # without residual the subcritical gap is quadratic: 1 - rho_out = (1 - rho) lambda and
        # lambda = n^-2(1 - kappa) / rho to leading order
        lam = cb.simplex_angle_ratio(ns, gamma * np.log(ns), rho)
        assert_allclose(lam * ns ** (2 * (1 - kappa)) * rho, 1.0, rtol=5e-6)
        return
    # the rate is exact: err(1e25) / err(1e12) = 1e-13 |kappa - 1| to leading order
    slope = np.log10(err[1] / err[0]) / (exps[1] - exps[0])
    assert_allclose(slope, -abs(kappa - 1), atol=2e-3)


def test_convergence_rate_at_critical():
    """At gamma_c the self weight is n / (2n - 1): the gap to the limit is ~ 1/n."""
    rho = 0.3
    gc = 1.0 / (1.0 - rho)
    for q, alpha in ((1.0, 0.0), (1.0, 0.5)):
        lim = cb.simplex_limit(gc, rho, q, alpha)
        ns = 10.0 ** np.array([4.0, 5.0, 6.0])
        _, rho_out = cb.simplex_layer(ns, gc * np.log(ns), rho, q, alpha)
        scaled = (rho_out - lim) * ns
        assert np.all(scaled > 0) and np.all(scaled < 2)  # approached from above, like 1/n
        assert_allclose(scaled[1:], scaled[0], rtol=1e-3)  # err * n tends to a constant
        # at huge n only rounding remains (beta = gamma_c log n is itself rounded)
        big = 10.0 ** np.array([12.0, 50.0, 100.0, 200.0, 300.0])
        _, rho_big = cb.simplex_layer(big, gc * np.log(big), rho, q, alpha)
        assert np.all(np.abs(rho_big - lim) <= 2.0 / big + 5e-14)


def test_error_message_shows_value_and_range():
    with pytest.raises(ValueError, match=r"rho must lie in \[0, 1\), got 1\.5"):
        cb.simplex_layer(10, 1.0, 1.5)
    with pytest.raises(ValueError, match=r"q must lie in \(0, inf\), got -2"):
        cb.simplex_layer(10, 1.0, 0.5, q=-2.0)


@pytest.mark.parametrize("alpha", [0.0, 0.5])
@pytest.mark.parametrize("ratio", [0.3, 0.6, 1.0, 1.3, 1.6])
def test_approach_exponent_matches_the_exact_finite_n_map(alpha, ratio):
    rho = 0.3
    gamma = ratio / (1.0 - rho)
    ns = np.array([1e7, 1e9])
    lam = cb.simplex_angle_ratio(ns, gamma * np.log(ns), rho, 1.0, alpha)
    limit = (1.0 - cb.simplex_limit(gamma, rho, 1.0, alpha)) / (1.0 - rho)
    err = np.abs(lam - limit)
    slope = -np.diff(np.log(err))[0] / np.diff(np.log(ns))[0]
    assert slope == pytest.approx(cb.approach_exponent(gamma, rho, alpha), abs=0.06)
    p = cb.simplex_self_weight(ns, gamma * np.log(ns), rho)
    p_lim = 0.5 if ratio == 1.0 else float(ratio > 1.0)
    slope_p = -np.diff(np.log(np.abs(p - p_lim)))[0] / np.diff(np.log(ns))[0]
    assert slope_p == pytest.approx(
        cb.approach_exponent(gamma, rho, alpha, quantity="self_weight"), abs=0.06
    )


def test_approach_exponent_broadcasts_and_validates():
    e = cb.approach_exponent(np.array([0.5, 1.0, 4.0]) / 0.5, 0.5, [0.0, 0.0, 1.0])
    assert_allclose(e, [1.0, 1.0, 3.0])
    with pytest.raises(ValueError, match="quantity"):
        cb.approach_exponent(1.0, 0.3, quantity="eta")
    with pytest.raises(ValueError, match="gamma"):
        cb.approach_exponent(-1.0, 0.3)
