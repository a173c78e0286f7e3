"""Tests of critbook.scaling: the practical rules, the regime tools, the samplers, diagnose."""

from __future__ import annotations

import dataclasses
import math
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, special

import critbook as cb

# --------------------------------------------------------------------------
# The rules, against the formulas written out independently (math module,
# integer floor division, explicit branches).
# --------------------------------------------------------------------------


def yarn_ref(n: float, L: float) -> float:
    if n <= L:
        return 1.0
    m = 0.1 * math.log(n / L) + 1.0
    return m * m


def qwen_ref(n: float, L: float) -> float:
    return math.log(n, L) if n > L else 1.0


def llama4_ref(n: int, F: int = 8192, a: float = 0.1) -> float:
    return 1.0 + a * math.log(n // F + 1)


def ssmax_ref(n: float, s: float = 0.43) -> float:
    return s * math.log(n)


YARN_NS = [1, 2, 4095, 4096, 4097, 8192, 32768, 10**6, 1e300]
QWEN_NS = [1, 2, 2047, 2048, 2049, 4096, 32768, 10**9, 1e300]
LLAMA_NS = [1, 8190, 8191, 8192, 8193, 16383, 16384, 16385, 10**9, 2**52]
SSMAX_NS = [1, 2, math.e, 4096, 10**9, 1e300]


@pytest.mark.parametrize("n", YARN_NS)
def test_yarn_breakpoints(n):
    assert_allclose(cb.yarn_factor(n, 4096), yarn_ref(n, 4096), rtol=1e-14)


@pytest.mark.parametrize("n", QWEN_NS)
def test_qwen_breakpoints(n):
    assert_allclose(cb.qwen_logn_factor(n, 2048), qwen_ref(n, 2048), rtol=1e-14)


@pytest.mark.parametrize("n", LLAMA_NS)
def test_llama4_breakpoints(n):
    assert_allclose(cb.llama4_factor(n), llama4_ref(n), rtol=1e-14)


@pytest.mark.parametrize("n", SSMAX_NS)
def test_ssmax_values(n):
    assert_allclose(cb.ssmax_factor(n), ssmax_ref(n), rtol=1e-14, atol=1e-300)


def test_llama4_steps_exactly_at_multiples_of_floor_scale():
    F = 100
    n = np.arange(1, 1001)
    f = cb.llama4_factor(n, floor_scale=F, attn_scale=0.25)
    jumps = n[1:][np.diff(f) != 0]
    assert_array_equal(jumps, np.arange(F, 1001, F))
    assert_allclose(f, [llama4_ref(int(k), F, 0.25) for k in n], rtol=1e-14)


def test_rules_other_parameters():
    assert_allclose(cb.yarn_factor(40 * 4096, 4096), (0.1 * math.log(40) + 1) ** 2, rtol=1e-14)
    assert_allclose(cb.qwen_logn_factor(10**6, 8192), math.log(10**6) / math.log(8192), rtol=1e-14)
    assert_allclose(cb.ssmax_factor(10**4, s=1.7), 1.7 * math.log(10**4), rtol=1e-14)


RULES = {
    "yarn": (lambda n: cb.yarn_factor(n, 4096), YARN_NS),
    "qwen": (cb.qwen_logn_factor, QWEN_NS),
    "llama4": (cb.llama4_factor, LLAMA_NS),
    "ssmax": (cb.ssmax_factor, SSMAX_NS),
}


@pytest.mark.parametrize("name", RULES)
def test_vectorised_equals_scalar_and_types(name):
    rule, ns = RULES[name]
    arr = np.array(ns, dtype=float)
    vec = rule(arr)
    assert isinstance(vec, np.ndarray) and vec.shape == arr.shape and vec.dtype == np.float64
    scalars = [rule(n) for n in ns]
    assert all(type(v) is float for v in scalars)
    assert_array_equal(vec, scalars)
    # A 2-D array keeps its shape.
    assert rule(arr.reshape(1, -1)).shape == (1, arr.size)


@pytest.mark.parametrize("name", RULES)
def test_rules_are_nondecreasing_and_one_at_short_context(name):
    rule, _ = RULES[name]
    n = np.unique(np.round(np.logspace(0, 12, 3000)))
    f = rule(n)
    assert np.all(np.diff(f) >= 0)
    if name != "ssmax":
        assert f[0] == 1.0


def test_illustrative_values_of_theory_notes():
    # theory.md section 6: n = 32768 and n = 2**20, rounded to two decimals.
    n = 32768
    assert round(cb.yarn_factor(n, 4096), 2) == 1.46
    assert round(cb.qwen_logn_factor(n, 2048), 2) == 1.36
    assert round(cb.llama4_factor(n), 2) == 1.16
    assert round(cb.ssmax_factor(n, 0.43), 2) == 4.47
    n = 2**20
    assert round(cb.yarn_factor(n, 4096), 2) == 2.42
    assert round(cb.qwen_logn_factor(n, 2048), 2) == 1.82
    assert round(cb.llama4_factor(n), 2) == 1.49


# --------------------------------------------------------------------------
# Placing rules on the phase diagram
# --------------------------------------------------------------------------


def test_effective_gamma_and_critical_beta():
    n = np.array([2.0, 1e3, 1e100])
    assert_allclose(cb.effective_gamma(cb.ssmax_factor(n, 0.7), n), 0.7, rtol=1e-14)
    for rho in (0.0, 0.3, 0.9):
        beta_c = cb.critical_beta(n, rho)
        assert_allclose(cb.effective_gamma(beta_c, n), cb.critical_gamma(rho), rtol=1e-14)
    assert cb.effective_gamma(math.log(10) * 3, 10) == pytest.approx(3.0, rel=1e-15)
    # Broadcasting: (3,) x (2, 1) -> (2, 3).
    assert cb.critical_beta(n, np.array([[0.0], [0.5]])).shape == (2, 3)
    assert type(cb.critical_beta(10.0, 0.5)) is float


def test_calibrated_ratio():
    n = np.array([2049.0, 1e5, 1e12])
    assert_allclose(cb.calibrated_ratio(cb.qwen_logn_factor, n, 2048), 1.0, rtol=1e-14)
    assert_allclose(cb.calibrated_ratio(cb.ssmax_factor, n, 100), 1.0, rtol=1e-14)
    # Multiplying the rule by a constant changes nothing.
    yarn = lambda m: cb.yarn_factor(m, 4096)  # noqa: E731
    r1 = cb.calibrated_ratio(yarn, n, 4096)
    r2 = cb.calibrated_ratio(lambda m: 3.5 * yarn(m), n, 4096)
    assert_allclose(r1, r2, rtol=1e-14)
    expected = [yarn_ref(m, 4096) * math.log(4096) / math.log(m) for m in n]
    assert_allclose(r1, expected, rtol=1e-14)
    assert cb.calibrated_ratio(yarn, 12345.0, 12345.0) == pytest.approx(1.0, rel=1e-15)


def test_regime_segments_constant_beta_integer_crossing():
    segs = cb.regime_segments(lambda n: np.full(np.shape(n), 10.0), rho=0.5, n_max=1e6)
    assert [s.regime for s in segs] == ["supercritical", "subcritical"]
    # 10 (1 - 0.5) > ln n  <=>  n < e^5 = 148.41...: first subcritical integer 149.
    assert segs[1].start == math.ceil(math.exp(5.0))
    assert segs[0].start == 2.0 and segs[-1].stop == 1e6
    assert segs[0].stop == segs[1].start


@pytest.mark.parametrize("rho", [0.0, 0.5])
def test_regime_segments_yarn_crossing_matches_quadratic(rho):
    L = 4096.0
    segs = cb.regime_segments(lambda n: cb.yarn_factor(n, L), rho, n_min=16)
    assert [s.regime for s in segs] == ["subcritical", "supercritical"]
    # (1 + 0.1 (t - ln L))^2 = t / (1 - rho), larger root, t = ln n.
    c = 1.0 - 0.1 * math.log(L)
    A, B, C = 0.01, 0.2 * c - 1.0 / (1.0 - rho), c * c
    t = (-B + math.sqrt(B * B - 4 * A * C)) / (2 * A)
    # The boundary is where (1 - rho) beta_n - ln n leaves the critical band
    # |.| <= 1e-9 ln n, so it agrees with the root to about 1e-9.
    assert_allclose(math.log(segs[1].start), t, rtol=3e-9)


def test_regime_segments_constant_gamma_rules_never_cross():
    for rule in (cb.qwen_logn_factor, cb.llama4_factor, cb.ssmax_factor):
        for rho in (0.0, 0.9):
            segs = cb.regime_segments(rule, rho, n_min=16)
            assert [s.regime for s in segs] == ["subcritical"]


def test_regime_segments_calibrated_qwen_is_critical():
    L = 2048.0
    segs = cb.regime_segments(lambda n: cb.qwen_logn_factor(n, L) * math.log(L), 0.0, n_min=2)
    assert [s.regime for s in segs] == ["supercritical", "critical"]
    assert segs[1].start == L


def test_regime_segments_llama4_calibrated_against_integer_scan():
    L = 8191.0
    beta = lambda n: cb.llama4_factor(n) * math.log(L)  # noqa: E731
    segs = cb.regime_segments(beta, 0.0, n_min=L, n_max=1e6, num=20000)
    # Brute force over every integer length.
    n = np.arange(L, 1e6 + 1)
    ratio = np.array(beta(n)) / np.log(n)
    cls = np.where(np.abs(ratio - 1) <= 1e-9, 0, np.sign(ratio - 1))
    changes = n[1:][cls[1:] != cls[:-1]]
    assert_array_equal([s.start for s in segs[1:]], changes)
    names = {-1: "subcritical", 0: "critical", 1: "supercritical"}
    starts = np.searchsorted(n, [s.start for s in segs])
    assert [s.regime for s in segs] == [names[int(cls[i])] for i in starts]
    assert segs[-1].regime == "subcritical"


# --------------------------------------------------------------------------
# Samplers of the top of a long row of scores
# --------------------------------------------------------------------------


def gaussian_gap_mean(n: float) -> float:
    """E[X_(n) - X_(n-1)] = n int F^(n-1) (1 - F) dx, in log space."""
    a = math.sqrt(2 * math.log(n))

    def f(x):
        log_tail = special.log_ndtr(-x)
        return math.exp(math.log(n) + (n - 1) * math.log1p(-math.exp(log_tail)) + log_tail)

    lo, hi = min(-3.0, a - 8), a + 6
    return integrate.quad(f, lo, hi, points=[a], limit=200, epsabs=0, epsrel=1e-10)[0]


def gaussian_max_mean(n: float) -> float:
    def f(x):
        return x * n * math.exp(-x * x / 2) / math.sqrt(2 * math.pi) * special.ndtr(x) ** (n - 1)

    return integrate.quad(f, -10, 12, limit=200, epsabs=1e-12)[0]


def sphere_min_mean(n: float, d: int) -> float:
    """E[min distance] = int_0^2 (1 - G(delta))^n d delta, G the law of 1 - cos."""
    a = 0.5 * (d - 1)
    scale = n ** (-1.0 / a)

    def f(s):
        G = special.betainc(a, a, s * scale / 2)
        return math.exp(n * math.log1p(-G)) * scale

    # Pieces [0, 1], [1, 10], [10, 100], ...: the tail decays slowly for d = 2.
    edges = [0.0] + [10.0**k for k in range(int(math.log10(2 / scale)) + 1)] + [2 / scale]
    return sum(
        integrate.quad(f, lo, hi, limit=200, epsabs=0, epsrel=1e-10)[0]
        for lo, hi in zip(edges[:-1], edges[1:])
        if hi > lo
    )


def test_gaussian_top_scores_against_exact_means():
    top = cb.gaussian_top_scores(1000, k=2, size=40000, rng=0)
    assert top.shape == (40000, 2)
    assert np.all(top[:, 0] >= top[:, 1])
    gap = top[:, 0] - top[:, 1]
    se = gap.std() / math.sqrt(gap.size)
    assert abs(gap.mean() - gaussian_gap_mean(1000)) < 4 * se
    se_top = top[:, 0].std() / math.sqrt(top.shape[0])
    assert abs(top[:, 0].mean() - gaussian_max_mean(1000)) < 4 * se_top


def test_gaussian_top_scores_huge_n():
    n = 1e100
    top = cb.gaussian_top_scores(n, k=3, size=40000, rng=1)
    assert np.all(np.isfinite(top)) and np.all(np.diff(top, axis=1) <= 0)
    gap = top[:, 0] - top[:, 1]
    se = gap.std() / math.sqrt(gap.size)
    exact = gaussian_gap_mean(n)
    assert abs(gap.mean() - exact) < 4 * se
    # The extreme-value scale: the gap is close to 1 / sqrt(2 ln n).
    assert exact * math.sqrt(2 * math.log(n)) == pytest.approx(1.0, abs=0.02)


def test_gaussian_top_scores_against_brute_force():
    gen = np.random.default_rng(5)
    brute = np.sort(gen.standard_normal((20000, 50)), axis=1)[:, ::-1][:, :2]
    samp = cb.gaussian_top_scores(50, k=2, size=20000, rng=6)
    for j in range(2):
        se = math.hypot(brute[:, j].std(), samp[:, j].std()) / math.sqrt(20000)
        assert abs(brute[:, j].mean() - samp[:, j].mean()) < 4 * se
    # k = n: all the scores, sorted; their mean is that of N(0, 1).
    full = cb.gaussian_top_scores(3, k=3, size=30000, rng=7)
    assert abs(full.mean()) < 4 / math.sqrt(90000)


def test_sphere_top_distances_against_exact_mean_and_brute_force():
    D = cb.sphere_top_distances(1000, d=4, k=2, size=40000, rng=0)
    assert np.all(D[:, 0] <= D[:, 1]) and np.all(D >= 0)
    se = D[:, 0].std() / math.sqrt(D.shape[0])
    assert abs(D[:, 0].mean() - sphere_min_mean(1000, 4)) < 4 * se
    # Brute force: a fixed query and uniform keys from critbook.uniform_sphere_tokens.
    reps, n, d = 3000, 100, 4
    keys = cb.uniform_sphere_tokens(reps * n, d, rng=3).reshape(reps, n, d)
    brute = np.sort(1.0 - keys[:, :, 0], axis=1)[:, :2]
    samp = cb.sphere_top_distances(n, d, k=2, size=reps, rng=4)
    for j in range(2):
        se = math.hypot(brute[:, j].std(), samp[:, j].std()) / math.sqrt(reps)
        assert abs(brute[:, j].mean() - samp[:, j].mean()) < 4 * se


@pytest.mark.parametrize("d", [2, 3, 5, 9])
def test_sphere_top_distances_power_law(d):
    # Large n: D * n^(2/(d-1)) converges in law, so with the same random draws
    # the ratio of means between n and 1e50 n is (1e50)^(-2/(d-1)) to O(D).
    D1 = cb.sphere_top_distances(1e40, d, size=2000, rng=9)[:, 0]
    D2 = cb.sphere_top_distances(1e90, d, size=2000, rng=9)[:, 0]
    assert_allclose(D2.mean() / D1.mean(), 1e50 ** (-2.0 / (d - 1)), rtol=1e-6)
    # The mean matches the exact quadrature at n = 1e12.
    D = cb.sphere_top_distances(1e12, d, size=40000, rng=10)[:, 0]
    se = D.std() / math.sqrt(D.size)
    assert abs(D.mean() - sphere_min_mean(1e12, d)) < 4 * se


def test_samplers_reproducible():
    assert_array_equal(cb.gaussian_top_scores(1e6, 2, 5, rng=3), cb.gaussian_top_scores(1e6, 2, 5, rng=3))
    assert not np.array_equal(cb.gaussian_top_scores(1e6, 2, 5, rng=3), cb.gaussian_top_scores(1e6, 2, 5, rng=4))
    assert_array_equal(cb.sphere_top_distances(1e6, 3, 2, 5, rng=3), cb.sphere_top_distances(1e6, 3, 2, 5, rng=3))


# --------------------------------------------------------------------------
# diagnose
# --------------------------------------------------------------------------


@pytest.mark.parametrize("ratio,expected", [(0.5, "subcritical"), (1.0, "critical window"), (2.0, "supercritical")])
def test_diagnose_simplex_recovers_rho_regime_and_closed_forms(ratio, expected):
    n, rho = 300, 0.4
    X = cb.simplex_tokens(n, rho)
    beta = ratio * cb.critical_gamma(rho) * math.log(n)
    diag = cb.diagnose(X, beta, rng=0)
    assert diag.mean_cosine == pytest.approx(rho, abs=1e-12)
    assert_allclose(diag.cosine_quantiles, [rho, rho], atol=1e-12)
    assert diag.gamma_c == pytest.approx(1 / (1 - rho), rel=1e-12)
    assert diag.gamma == pytest.approx(ratio / (1 - rho), rel=1e-12)
    assert diag.regime == expected
    assert diag.median_top_gap == pytest.approx(1 - rho, abs=1e-12)
    # Closed forms of the simplex: self weight p, entropy -p ln p - (1 - p) ln r.
    p = cb.simplex_self_weight(n, beta, rho)
    r = (1 - p) / (n - 1)
    assert diag.mean_max_weight == pytest.approx(p, rel=1e-10)
    assert diag.mean_entropy == pytest.approx(-p * math.log(p) - (1 - p) * math.log(r), rel=1e-10)
    assert diag.exact_pairs and diag.n_queries == n and diag.notes == ()


def test_diagnose_matches_dense_computation():
    n = 400
    X = cb.gaussian_tokens(n, 8, 0.3, rng=1)
    beta = 6.0
    diag = cb.diagnose(X, beta, rng=0)
    A = cb.attention_weights(X, beta)
    Y = cb.normalize(X)
    G = Y @ Y.T
    np.fill_diagonal(G, -np.inf)
    off = (Y @ Y.T)[np.triu_indices(n, 1)]
    assert diag.n_queries == n and diag.exact_pairs and diag.n_pairs == n * (n - 1) // 2
    assert diag.mean_entropy == pytest.approx(cb.attention_entropy(X, beta).mean(), rel=1e-12)
    assert diag.mean_entropy == pytest.approx(
        np.mean(-np.sum(A * np.log(A), axis=1)), rel=1e-10
    )
    assert diag.mean_max_weight == pytest.approx(A.max(axis=1).mean(), rel=1e-12)
    assert diag.mean_max_weight == pytest.approx(cb.max_attention_weight(X, beta).mean(), rel=1e-12)
    assert diag.mean_cosine == pytest.approx(off.mean(), rel=1e-12)
    assert_allclose(diag.cosine_quantiles, np.quantile(off, [0.01, 0.99]), rtol=1e-12)
    assert diag.median_top_gap == pytest.approx(np.median(1 - G.max(axis=1)), rel=1e-12)


def test_diagnose_sampled_rows_and_pairs_estimate_the_exact_values():
    n = 3000
    X = cb.gaussian_tokens(n, 32, 0.4, rng=2)
    beta = 8.0
    diag = cb.diagnose(X, beta, rng=3, queries=500, pairs=20000)
    assert diag.n_queries == 500 and diag.n_pairs == 20000 and not diag.exact_pairs
    H = cb.attention_entropy(X, beta)
    W = cb.max_attention_weight(X, beta)
    assert abs(diag.mean_entropy - H.mean()) < 4 * H.std() / math.sqrt(500)
    assert abs(diag.mean_max_weight - W.mean()) < 4 * W.std() / math.sqrt(500)
    lo, hi, rho1, rho2 = None, None, *cb.almost_simplex_constants(X)[2:]
    lo, hi = diag.cosine_quantiles
    assert rho1 < lo < diag.mean_cosine < hi < rho2
    # Quantiles of the 20000 sampled pairs are close to those of all pairs.
    Y = cb.normalize(X)
    exact = np.quantile((Y[:1500] @ Y[1500:].T).ravel(), [0.01, 0.99])
    assert_allclose(diag.cosine_quantiles, exact, atol=0.01)
    # Same seed, same result.
    assert cb.diagnose(X, beta, rng=3, queries=500, pairs=20000) == diag


def test_diagnose_memory_is_bounded_at_large_n():
    n, d = 100_000, 16
    X = cb.gaussian_tokens(n, d, 0.3, rng=0)
    tracemalloc.start()
    try:
        diag = cb.diagnose(X, beta=5.0, rng=0, queries=200)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200e6  # versus n^2 * 4 bytes = 40 GB for a dense float32 matrix
    assert peak < n * n * 4 / 100
    assert diag.n == n and diag.n_queries == 200
    assert 0 < diag.mean_entropy <= math.log(n)
    assert 1 / n <= diag.mean_max_weight <= 1


def test_diagnosis_text_and_notes():
    X = cb.gaussian_tokens(2000, 4, 0.2, rng=0)
    diag = cb.diagnose(X, 3.0, rng=0)
    text = diag.summary()
    assert str(diag) == text
    assert "gamma_c" in text and diag.regime in text and "note" in text
    assert any("sphere law" in note for note in diag.notes)  # low d: top gap shrinks
    assert "\n" not in repr(diag) and repr(diag).startswith("Diagnosis(n=2000")
    with pytest.raises(dataclasses.FrozenInstanceError):
        diag.beta = 1.0  # type: ignore[misc]
    assert diag.log_n == pytest.approx(math.log(2000))
    # Four tokens +-e1, +-e2: mean cosine -1/3, outside the paper's range.
    U = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    diag_u = cb.diagnose(U, 1.0, rng=0)
    assert diag_u.mean_cosine == pytest.approx(-1 / 3)
    assert any("outside the paper's range" in note for note in diag_u.notes)


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

X_OK = cb.gaussian_tokens(20, 4, 0.3, rng=0)
BAD = [
    (lambda: cb.yarn_factor(0, 4096), ValueError, "^n must"),
    (lambda: cb.yarn_factor(np.nan, 4096), ValueError, "^n must"),
    (lambda: cb.yarn_factor([1, np.inf], 4096), ValueError, "^n must"),
    (lambda: cb.yarn_factor(10, 0.5), ValueError, "^original_length must"),
    (lambda: cb.yarn_factor(10, np.inf), ValueError, "^original_length must"),
    (lambda: cb.yarn_factor("10", 4096), TypeError, "^n must"),
    (lambda: cb.qwen_logn_factor(0.5), ValueError, "^n must"),
    (lambda: cb.qwen_logn_factor(10, 1), ValueError, "^train_length must"),
    (lambda: cb.qwen_logn_factor(10, np.nan), ValueError, "^train_length must"),
    (lambda: cb.llama4_factor(-3), ValueError, "^n must"),
    (lambda: cb.llama4_factor(10, floor_scale=0), ValueError, "^floor_scale must"),
    (lambda: cb.llama4_factor(10, attn_scale=-0.1), ValueError, "^attn_scale must"),
    (lambda: cb.ssmax_factor(0), ValueError, "^n must"),
    (lambda: cb.ssmax_factor(10, s=np.nan), ValueError, "^s must"),
    (lambda: cb.effective_gamma(1.0, 1.0), ValueError, "^n must"),
    (lambda: cb.effective_gamma(np.nan, 10), ValueError, "^beta must"),
    (lambda: cb.effective_gamma(-1.0, 10), ValueError, "^beta must"),
    (lambda: cb.critical_beta(10, 1.0), ValueError, "^rho must"),
    (lambda: cb.critical_beta(0.5, 0.1), ValueError, "^n must"),
    (lambda: cb.calibrated_ratio("qwen", 10, 100), TypeError, "^rule must"),
    (lambda: cb.calibrated_ratio(cb.ssmax_factor, 10, 1), ValueError, "^calibration_length must"),
    (lambda: cb.calibrated_ratio(lambda n: n * np.nan, 10, 100), ValueError, "^rule must"),
    (lambda: cb.regime_segments(cb.ssmax_factor, 0.5, n_min=1), ValueError, "^n_min must"),
    (lambda: cb.regime_segments(cb.ssmax_factor, 0.5, n_min=10, n_max=5), ValueError, "^n_max must"),
    (lambda: cb.regime_segments(cb.ssmax_factor, -0.1), ValueError, "^rho must"),
    (lambda: cb.regime_segments(cb.ssmax_factor, 0.1, num=1), ValueError, "^num must"),
    (lambda: cb.regime_segments(None, 0.1), TypeError, "^beta_fn must"),
    (lambda: cb.gaussian_top_scores(1, k=2), ValueError, "^n must"),
    (lambda: cb.gaussian_top_scores(10, k=0), ValueError, "^k must"),
    (lambda: cb.gaussian_top_scores(10, size=0), ValueError, "^size must"),
    (lambda: cb.gaussian_top_scores(np.inf), ValueError, "^n must"),
    (lambda: cb.sphere_top_distances(10, d=1), ValueError, "^d must"),
    (lambda: cb.sphere_top_distances(np.nan, d=3), ValueError, "^n must"),
    (lambda: cb.diagnose(np.ones((1, 3)), 1.0), ValueError, "^X must"),
    (lambda: cb.diagnose(np.full((3, 2), np.nan), 1.0), ValueError, "^X must"),
    (lambda: cb.diagnose(X_OK, -1.0), ValueError, "^beta must"),
    (lambda: cb.diagnose(X_OK, np.inf), ValueError, "^beta must"),
    (lambda: cb.diagnose(X_OK, 1.0, queries=0), ValueError, "^queries must"),
    (lambda: cb.diagnose(X_OK, 1.0, pairs=0), ValueError, "^pairs must"),
    (lambda: cb.diagnose(X_OK, 1.0, quantiles=(0.9, 0.1)), ValueError, "^quantiles must"),
    (lambda: cb.diagnose(X_OK, 1.0, quantiles=(0.1, 1.5)), ValueError, "^quantiles must"),
    (lambda: cb.diagnose(X_OK, 1.0, rng="seed"), TypeError, "^rng must"),
]


