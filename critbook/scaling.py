"""Attention scaling in practice: the length-dependent factors used by real models.

Long-context models multiply the attention logits of the query at position
``n`` (1-based, so ``n`` is also the number of keys it sees) by a factor that
grows with ``n``. This module has

- the rules themselves: :func:`yarn_factor`, :func:`qwen_logn_factor`,
  :func:`llama4_factor`, :func:`ssmax_factor` (scalar in, float out; array in,
  array out);
- tools to place any rule ``beta_n`` on the paper's phase diagram:
  :func:`effective_gamma` (``beta_n / log n``), :func:`critical_beta`
  (``log n / (1 - rho)``), :func:`calibrated_ratio` and
  :func:`regime_segments` (where along ``n`` a rule is sub- or supercritical);
- exact samplers of the top of a long row of scores, used to compare the
  different proposed laws: :func:`gaussian_top_scores` (i.i.d. Gaussian
  scores) and :func:`sphere_top_distances` (uniform keys on the sphere);
- :func:`diagnose`, a streamed diagnostic of one's own token set.

The rules follow the reference code paths listed in the book (YaRN's
``get_mscale``, Qwen's ``logn_list``, Llama 4's attention temperature tuning,
Scalable-Softmax). In real models they multiply logits ``q.k / sqrt(d_h)``
that are not unit-norm cosines, so reading them as ``beta`` of the tractable
model is an illustration, not an identity (see Chapter 5 of the book).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy.special import betaincinv, betaln, ndtri_exp

from ._checks import as_real_array, as_rng, as_tokens, check_int, check_real, check_rho
from .attention import normalize
from .geometry import mean_cosine
from .simplex import CRITICAL_RTOL

__all__ = [
    "yarn_factor",
    "qwen_logn_factor",
    "llama4_factor",
    "ssmax_factor",
    "Rule",
    "practical_rules",
    "effective_gamma",
    "critical_beta",
    "calibrated_ratio",
    "RegimeSegment",
    "regime_segments",
    "gaussian_top_scores",
    "sphere_top_distances",
    "top_gaps",
    "Diagnosis",
    "diagnose",
]

#: Entries (rows times columns) of one block of scores in :func:`diagnose`.
_BLOCK_ENTRIES = 1 << 21


def _out(x: np.ndarray) -> Any:
    """A float for a 0-d result, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


def _positions(n: Any) -> np.ndarray:
    return as_real_array(n, "n", low=1.0)


# --------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------


def yarn_factor(n: Any, original_length: float) -> Any:
    """YaRN's logit multiplier ``(0.1 ln s + 1)^2`` with ``s = max(1, n / L)``.

    YaRN (Peng et al., 2024) multiplies both queries and keys by
    ``mscale = 0.1 ln s + 1`` (through the cos and sin tables of RoPE), so the
    logits get its square. This is the dynamic form, where the extension
    factor ``s`` follows the current length; static YaRN fixes ``s`` to the
    configured factor.

    Parameters
    ----------
    n : float or array_like
        Position of the query, 1-based (= number of keys it sees), ``>= 1``.
    original_length : float
        The original (pre-extension) context length ``L``, ``>= 1``.

    Returns
    -------
    float or numpy.ndarray
        ``1`` for ``n <= L``; grows like ``0.01 (ln n)^2`` for large ``n``.

    Examples
    --------
    >>> from critbook import yarn_factor
    >>> round(yarn_factor(32768, original_length=4096), 4)  # s = 8
    1.4591
    >>> yarn_factor([1, 4096], 4096)
    array([1., 1.])
    """
    n = _positions(n)
    L = check_real(original_length, "original_length", low=1.0)
    mscale = 0.1 * np.log(np.maximum(1.0, n / L)) + 1.0
    return _out(mscale * mscale)


def qwen_logn_factor(n: Any, train_length: float = 2048) -> Any:
    """Qwen's "logn attention" multiplier: ``ln n / ln L`` for ``n > L``, else 1.

    Qwen-7B/14B (v1) multiply the query at 0-based position ``p`` by
    ``log_L(p + 1)`` when ``p + 1 > L`` (at inference only), with ``L`` the
    training ``seq_length``; here ``n = p + 1``.

    Parameters
    ----------
    n : float or array_like
        Position of the query, 1-based, ``>= 1``.
    train_length : float, default 2048
        Training context length ``L``, ``> 1``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from critbook import qwen_logn_factor
    >>> round(qwen_logn_factor(32768), 4)  # 15 / 11
    1.3636
    >>> qwen_logn_factor([2048, 4096])
    array([1.        , 1.09090909])
    """
    n = _positions(n)
    L = check_real(train_length, "train_length", low=1.0, low_open=True)
    with np.errstate(divide="ignore"):
        out = np.where(n > L, np.log(n) / np.log(L), 1.0)
    return _out(out)


def llama4_factor(n: Any, floor_scale: float = 8192, attn_scale: float = 0.1) -> Any:
    """Llama 4's attention temperature tuning: ``1 + a ln(floor(n / F) + 1)``.

    In the Hugging Face implementation the query at 0-based position ``p`` of
    a NoPE layer is multiplied by ``log(floor((p + 1) / F) + 1) * a + 1``; here
    ``n = p + 1``. The factor is 1 up to ``n = F - 1`` and grows in steps at
    every multiple of ``F``.

    Parameters
    ----------
    n : float or array_like
        Position of the query, 1-based, ``>= 1``.
    floor_scale : float, default 8192
        Step length ``F``, ``>= 1``.
    attn_scale : float, default 0.1
        Slope ``a``, ``>= 0``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from critbook import llama4_factor
    >>> llama4_factor([8191, 8192])
    array([1.        , 1.06931472])
    >>> round(llama4_factor(32768), 4)  # 1 + 0.1 ln 5
    1.1609
    """
    n = _positions(n)
    F = check_real(floor_scale, "floor_scale", low=1.0)
    a = check_real(attn_scale, "attn_scale", low=0.0)
    return _out(1.0 + a * np.log1p(np.floor(n / F)))


def ssmax_factor(n: Any, s: float = 0.43) -> Any:
    """Scalable-Softmax's multiplier ``s ln n`` (Nakanishi, 2025).

    ``SSMax(z)_i = n^(s z_i) / sum_j n^(s z_j) = softmax((s ln n) z)_i`` with
    ``n`` the number of keys attended and ``s`` a learned scalar per head
    (0.43 is the illustration value of the SSMax paper).

    Parameters
    ----------
    n : float or array_like
        Number of keys, ``>= 1``.
    s : float, default 0.43
        Scaling parameter, ``>= 0``.

    Returns
    -------
    float or numpy.ndarray
        ``s ln n``: exactly a ``gamma log n`` law with ``gamma = s``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import ssmax_factor
    >>> round(ssmax_factor(32768), 3)
    4.471
    >>> ssmax_factor(np.e ** 2, s=1.0)
    2.0
    """
    n = _positions(n)
    s = check_real(s, "s", low=0.0)
    return _out(s * np.log(n))


class Rule(NamedTuple):
    """A practical scaling rule with the book's default parameters.

    ``factor(n)`` is the multiplier at length ``n``; ``reference_length`` is
    the length up to which the rule leaves logits unchanged (the original or
    training length), or ``None`` for a rule without one (SSMax).

    Examples
    --------
    >>> from critbook import practical_rules
    >>> rule = practical_rules()["qwen"]
    >>> rule.label, rule.reference_length
    ('Qwen logn (L = 2048)', 2048.0)
    >>> round(float(rule.factor(4096)), 6)  # log 4096 / log 2048
    1.090909
    """

    label: str
    factor: Callable[[Any], Any]
    reference_length: float | None


def practical_rules(
    yarn_length: float = 4096, qwen_length: float = 2048, ssmax_s: float = 0.43
) -> dict[str, Rule]:
    """The four rules of the book, ready to evaluate: YaRN, Qwen, Llama 4, SSMax.

    Parameters
    ----------
    yarn_length : float, default 4096
        YaRN's original context length ``L`` (an illustration value).
    qwen_length : float, default 2048
        Qwen's training length (``seq_length`` of Qwen-7B).
    ssmax_s : float, default 0.43
        SSMax's scaling parameter (the SSMax paper's illustration value).

    Returns
    -------
    dict of str to Rule
        Keys ``"yarn"``, ``"qwen"``, ``"llama4"``, ``"ssmax"``. Llama 4 uses
        its defaults ``floor_scale = 8192``, ``attn_scale = 0.1``, so its
        reference length is ``8191``.

    Examples
    --------
    >>> from critbook import practical_rules
    >>> rules = practical_rules()
    >>> {k: round(r.factor(32768), 2) for k, r in rules.items()}
    {'yarn': 1.46, 'qwen': 1.36, 'llama4': 1.16, 'ssmax': 4.47}
    """
    yarn_length = check_real(yarn_length, "yarn_length", low=1.0)
    qwen_length = check_real(qwen_length, "qwen_length", low=1.0, low_open=True)
    ssmax_s = check_real(ssmax_s, "ssmax_s", low=0.0)
    return {
        "yarn": Rule(
            f"YaRN (L = {yarn_length:g})",
            lambda n: yarn_factor(n, yarn_length),
            yarn_length,
        ),
        "qwen": Rule(
            f"Qwen logn (L = {qwen_length:g})",
            lambda n: qwen_logn_factor(n, qwen_length),
            qwen_length,
        ),
        "llama4": Rule("Llama 4 (F = 8192)", llama4_factor, 8191.0),
        "ssmax": Rule(f"SSMax (s = {ssmax_s:g})", lambda n: ssmax_factor(n, ssmax_s), None),
    }


# --------------------------------------------------------------------------
# Placing a rule on the phase diagram
# --------------------------------------------------------------------------


def effective_gamma(beta: Any, n: Any) -> Any:
    """The effective scaling constant ``gamma = beta / ln n`` of a factor ``beta``.

    Compare it with ``gamma_c = 1 / (1 - rho)`` (:func:`critbook.critical_gamma`)
    to read off the regime of ``beta`` at length ``n``.

    Parameters
    ----------
    beta : float or array_like
        Scaling factor(s), finite and ``>= 0``.
    n : float or array_like
        Sequence length(s), ``> 1``; broadcast against ``beta``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import effective_gamma, ssmax_factor
    >>> n = np.array([1e3, 1e6])
    >>> effective_gamma(ssmax_factor(n), n)  # SSMax is gamma = s for every n
    array([0.43, 0.43])
    """
    beta = as_real_array(beta, "beta", low=0.0)
    n = as_real_array(n, "n", low=1.0, low_open=True)
    return _out(beta / np.log(n))


def critical_beta(n: Any, rho: Any) -> Any:
    """The critical scaling factor ``log n / (1 - rho)`` of the simplex model.

    Parameters
    ----------
    n : float or array_like
        Sequence length(s), ``>= 1``.
    rho : float or array_like
        Pairwise cosine(s), in ``[0, 1)``; broadcast against ``n``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import critical_beta
    >>> critical_beta(np.e ** 3, 0.5)
    6.0
    """
    n = _positions(n)
    rho = np.asarray(check_rho(rho), dtype=np.float64)
    return _out(np.log(n) / (1.0 - rho))


def _check_rule(rule: Any, name: str) -> Callable[[np.ndarray], Any]:
    if not callable(rule):
        raise TypeError(
            f"{name} must be a callable taking an array of lengths n and returning the "
            f"factors, got {type(rule).__name__}"
        )
    return rule


def _evaluate(rule: Callable[[np.ndarray], Any], n: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(rule(n), dtype=np.float64)
    if values.shape != n.shape:
        values = np.broadcast_to(values, n.shape)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name} must return finite factors >= 0; got {values.ravel()[:3]}...")
    return values


def calibrated_ratio(rule: Callable[[np.ndarray], Any], n: Any, calibration_length: float) -> Any:
    """``gamma / gamma_c`` of a rule if the head is exactly critical at one length.

    A real head multiplies logits ``c <y_i, y_j>`` of some learned scale ``c``
    by the rule's factor ``f(n)``. If ``c`` is such that the head sits at the
    critical point at ``n = L`` (``c f(L) (1 - rho) = ln L``), then at any
    other length

    .. math:: \\frac{\\gamma(n)}{\\gamma_c} = \\frac{f(n)\\,\\ln L}{f(L)\\,\\ln n},

    independently of ``rho``. Values above 1 are supercritical, below 1
    subcritical. This calibration is the book's illustration, not a claim
    about any trained model.

    Parameters
    ----------
    rule : callable
        ``rule(n)`` returns the factor for an array of lengths ``n``, e.g.
        ``lambda n: critbook.qwen_logn_factor(n, 2048)``.
    n : float or array_like
        Lengths, ``> 1``.
    calibration_length : float
        The length ``L`` at which the head is assumed critical, ``> 1``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    Qwen's rule keeps a head that is critical at its training length critical
    at every longer length:

    >>> from critbook import calibrated_ratio, qwen_logn_factor
    >>> calibrated_ratio(qwen_logn_factor, [4096, 1e6], calibration_length=2048)
    array([1., 1.])
    """
    rule = _check_rule(rule, "rule")
    n = as_real_array(n, "n", low=1.0, low_open=True)
    L = check_real(calibration_length, "calibration_length", low=1.0, low_open=True)
    f_L = float(_evaluate(rule, np.array([L]), "rule")[0])
    if f_L <= 0.0:
        raise ValueError(f"rule must be positive at calibration_length = {L:g}; got {f_L:g}")
    f_n = _evaluate(rule, n, "rule")
    return _out(f_n * np.log(L) / (f_L * np.log(n)))


class RegimeSegment(NamedTuple):
    """A range of lengths ``start <= n < stop`` on which a rule stays in one regime.

    Examples
    --------
    A constant factor is subcritical at every length of a simplex with
    ``rho = 0.5``, since ``gamma = 1 / ln n`` falls below ``gamma_c = 2``:

    >>> from critbook import regime_segments
    >>> regime_segments(lambda n: 1.0 + 0.0 * n, 0.5, n_min=2, n_max=1e6)
    [RegimeSegment(start=2.0, stop=1000000.0, regime='subcritical')]
    """

    start: float
    stop: float
    regime: str


_REGIME_NAMES = {-1: "subcritical", 0: "critical", 1: "supercritical"}


def regime_segments(
    beta_fn: Callable[[np.ndarray], Any],
    rho: float,
    n_min: float = 2.0,
    n_max: float = 1e300,
    *,
    num: int = 10_000,
) -> list[RegimeSegment]:
    """Split ``[n_min, n_max]`` into the ranges of ``n`` where ``beta_n`` is sub/supercritical.

    At length ``n`` the factor ``beta_n`` is supercritical when
    ``beta_n (1 - rho) > ln n``, subcritical when it is smaller, and critical
    when the two agree to a relative tolerance of ``1e-9``. The sign of
    ``beta_n (1 - rho) - ln n`` is evaluated on ``num`` log-spaced lengths and
    every change is located by bisection in ``ln n``, then to the exact
    integer when the crossing is below ``2**52``. A regime that starts and
    ends between two grid points is missed: raise ``num`` (or narrow the
    range) for rules with short excursions, such as step rules.

    Parameters
    ----------
    beta_fn : callable
        ``beta_fn(n)`` returns ``beta_n`` for an array of lengths (finite, ``>= 0``).
    rho : float
        Pairwise cosine of the tokens, in ``[0, 1)``.
    n_min, n_max : float, default 2 and 1e300
        The range of lengths, ``1 < n_min < n_max``.
    num : int, default 10000
        Grid points, ``>= 2`` (the cost is a few vectorised calls of
        ``beta_fn`` plus about 60 scalar calls per crossing).

    Returns
    -------
    list of RegimeSegment
        Consecutive ``(start, stop, regime)`` covering ``[n_min, n_max]``;
        ``start`` of each later segment is the first length in its regime.

    Examples
    --------
    A constant factor is supercritical only while ``ln n < beta (1 - rho)``:

    >>> from critbook import regime_segments
    >>> segs = regime_segments(lambda n: 0 * n + 10.0, rho=0.5, n_max=1e6)
    >>> [(round(s.start), s.regime) for s in segs]
    [(2, 'supercritical'), (149, 'subcritical')]
    """
    beta_fn = _check_rule(beta_fn, "beta_fn")
    rho = float(check_rho(rho))
    n_min = check_real(n_min, "n_min", low=1.0, low_open=True)
    n_max = check_real(n_max, "n_max", low=n_min, low_open=True)
    num = check_int(num, "num", low=2)

    def classify(n: np.ndarray) -> np.ndarray:
        logn = np.log(n)
        g = (1.0 - rho) * _evaluate(beta_fn, n, "beta_fn") - logn
        return np.where(np.abs(g) <= CRITICAL_RTOL * logn, 0, np.sign(g)).astype(int)

    t = np.linspace(np.log(n_min), np.log(n_max), num)
    grid = np.exp(t)
    grid[0], grid[-1] = n_min, n_max
    cls = classify(grid)

    def first_of(t_lo: float, t_hi: float, new: int) -> float:
        """First length in class ``new``, between ``e^t_lo`` (old class) and ``e^t_hi``."""
        for _ in range(200):
            if t_hi - t_lo <= 4e-16 * max(1.0, abs(t_hi)):
                break
            mid = 0.5 * (t_lo + t_hi)
            if classify(np.array([np.exp(mid)]))[0] == new:
                t_hi = mid
            else:
                t_lo = mid
        n_hi = float(np.exp(t_hi))
        if n_hi < 2.0**52:
            lo, hi = max(np.floor(np.exp(t_lo)) - 1.0, n_min), np.ceil(n_hi) + 1.0
            ends = classify(np.array([lo, hi]))
            if ends[0] != new and ends[1] == new:
                while hi - lo > 1.0:
                    mid = np.floor(0.5 * (lo + hi))
                    if classify(np.array([mid]))[0] == new:
                        hi = mid
                    else:
                        lo = mid
                if hi > n_min:
                    n_hi = float(hi)
        return n_hi

    segments: list[RegimeSegment] = []
    start = n_min
    for k in np.flatnonzero(cls[1:] != cls[:-1]):
        boundary = first_of(t[k], t[k + 1], int(cls[k + 1]))
        segments.append(RegimeSegment(start, boundary, _REGIME_NAMES[int(cls[k])]))
        start = boundary
    segments.append(RegimeSegment(start, n_max, _REGIME_NAMES[int(cls[-1])]))
    return segments


# --------------------------------------------------------------------------
# The top of a long row of scores: exact samplers
# --------------------------------------------------------------------------


def _top_tail_logs(n: float, k: int, size: int, gen: np.random.Generator) -> np.ndarray:
    """Logs of the ``k`` smallest of ``n`` i.i.d. uniforms, shape ``(size, k)``, ascending.

    Uses the Renyi representation: with ``E_i`` i.i.d. exponential,
    ``-log(1 - W_(j)) = sum_{i <= j} E_i / (n - i + 1)``. Computed as
    ``A_j / n`` with ``A_j = sum E_i n / (n - i + 1)`` of order one, so that
    ``n`` up to ``1e300`` keeps full relative precision.
    """
    E = gen.standard_exponential((size, k))
    i = np.arange(k, dtype=np.float64)
    A = np.cumsum(E * (n / (n - i)), axis=1)
    L = -A / n  # log(1 - W), in (-inf, 0)
    small = L > -1e-5
    safe_small = np.where(small, L, -1.0)
    series = np.log(A) - np.log(n) + np.log1p(safe_small / 2.0 + safe_small**2 / 6.0)
    direct = np.log(-np.expm1(np.where(small, -1.0, L)))
    return np.where(small, series, direct)


def _check_top(n: Any, k: Any, size: Any) -> tuple[float, int, int]:
    k = check_int(k, "k", low=1)
    n = check_real(n, "n", low=float(k))
    size = check_int(size, "size", low=1)
    return n, k, size


def gaussian_top_scores(n: float, k: int = 2, size: int = 1, rng: Any = None) -> np.ndarray:
    """The ``k`` largest of ``n`` i.i.d. standard Gaussian scores, sampled exactly.

    The cost is ``O(size * k)`` whatever ``n`` (up to ``1e300``): the upper
    tail probabilities of the top ``k`` scores are drawn as the ``k``
    smallest of ``n`` uniforms (Renyi's representation) and mapped through the
    Gaussian quantile function in log space.

    Parameters
    ----------
    n : float
        Number of scores, ``>= k`` (a float is allowed, for huge ``n``).
    k : int, default 2
        How many of the largest scores to return, ``>= 1``.
    size : int, default 1
        Number of independent rows of scores.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (size, k)
        Each row in decreasing order. The top gap ``out[:, 0] - out[:, 1]``
        is of order ``1 / sqrt(2 ln n)``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import gaussian_top_scores
    >>> top = gaussian_top_scores(1e6, k=2, size=20000, rng=0)
    >>> bool(np.all(top[:, 0] > top[:, 1]))
    True
    >>> gap = (top[:, 0] - top[:, 1]).mean()
    >>> bool(0.8 < gap * np.sqrt(2 * np.log(1e6)) < 1.1)
    True
    """
    n, k, size = _check_top(n, k, size)
    logW = _top_tail_logs(n, k, size, as_rng(rng))
    return -ndtri_exp(logW)


def sphere_top_distances(
    n: float, d: int, k: int = 2, size: int = 1, rng: Any = None
) -> np.ndarray:
    """``1 - cos`` for the ``k`` keys nearest a fixed query, keys uniform on the sphere.

    For a key uniform on the unit sphere of ``R^d`` and any fixed unit query,
    ``(1 - cos) / 2`` follows a ``Beta((d-1)/2, (d-1)/2)`` law, so the ``k``
    nearest keys among ``n`` are sampled exactly from the ``k`` smallest of
    ``n`` uniforms, in ``O(size * k)`` time.

    Parameters
    ----------
    n : float
        Number of keys, ``>= k``.
    d : int
        Dimension, ``>= 2``.
    k : int, default 2
        Number of nearest keys.
    size : int, default 1
        Number of independent queries (each with its own keys).
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (size, k)
        ``1 - cos`` of the nearest, second nearest, ... key, increasing. Of
        order ``n^(-2/(d-1))``; may underflow to 0 for ``d = 2`` and
        ``n > 1e150``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import sphere_top_distances
    >>> D = sphere_top_distances(1e6, d=3, size=20000, rng=0)
    >>> D.shape
    (20000, 2)
    >>> round(float(np.median(D[:, 0]) * 1e6), 1)  # d = 3: D_min ~ Exp(mean 2/n)
    1.4
    """
    n, k, size = _check_top(n, k, size)
    d = check_int(d, "d", low=2)
    a = 0.5 * (d - 1)
    logW = _top_tail_logs(n, k, size, as_rng(rng))
    with np.errstate(under="ignore"):
        # betaincinv is accurate down to W ~ 1e-280; below, the leading term of
        # I_u(a, a) = u^a / (a B(a, a)) (1 + O(u)) is exact to rounding.
        deep = logW < -600.0
        u_deep = np.exp((logW + np.log(a) + betaln(a, a)) / a)
        u_direct = betaincinv(a, a, np.exp(np.where(deep, -1.0, logW)))
        u = np.where(deep, u_deep, u_direct)
    return 2.0 * u


def top_gaps(
    ns: Any,
    ds: Any = (3, 5, 9),
    rho: float = 0.5,
    size: int = 4000,
    rng: Any = None,
) -> dict[str, np.ndarray]:
    """Mean gap between the top score and the runner-up, for three score models.

    - ``"gaussian"``: ``n`` i.i.d. ``N(0, 1)`` scores (gap of order
      ``1 / sqrt(2 ln n)``), from :func:`gaussian_top_scores`;
    - ``"sphere d=<d>"``: cosines of ``n`` uniform keys on the sphere of
      ``R^d`` with a fixed query (gap of order ``n^(-2/(d-1))``), from
      :func:`sphere_top_distances`;
    - ``"simplex"``: the self score ``1`` against the others' ``rho`` (gap
      ``1 - rho`` for every ``n``).

    Parameters
    ----------
    ns : array_like
        Lengths, each ``>= 2``.
    ds : sequence of int, default (3, 5, 9)
        Dimensions for the sphere model, each ``>= 2``.
    rho : float, default 0.5
        Cosine of the simplex, in ``[0, 1)``.
    size : int, default 4000
        Samples per length (the cost is ``O(size)`` per length, whatever ``n``).
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    dict of str to numpy.ndarray
        One array of mean gaps (same length as ``ns``) per model.

    Examples
    --------
    >>> from critbook import top_gaps
    >>> gaps = top_gaps([1e2, 1e8], ds=(3,), rho=0.5, rng=0)
    >>> list(gaps)
    ['gaussian', 'sphere d=3', 'simplex']
    >>> gaps["simplex"]
    array([0.5, 0.5])
    """
    ns = as_real_array(ns, "ns", low=2.0).ravel()
    ds = [check_int(d, "ds", low=2) for d in np.atleast_1d(np.asarray(ds)).ravel().tolist()]
    rho = float(check_rho(rho))
    size = check_int(size, "size", low=1)
    gen = as_rng(rng)
    out: dict[str, np.ndarray] = {}
    top = [gaussian_top_scores(n, 2, size, gen) for n in ns]
    out["gaussian"] = np.array([float(np.mean(t[:, 0] - t[:, 1])) for t in top])
    for d in ds:
        dist = [sphere_top_distances(n, d, 2, size, gen) for n in ns]
        out[f"sphere d={d}"] = np.array([float(np.mean(D[:, 1] - D[:, 0])) for D in dist])
    out["simplex"] = np.full(ns.shape, 1.0 - rho)
    return out


# --------------------------------------------------------------------------
# Diagnosing a token set
# --------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Diagnosis:
    """The result of :func:`diagnose`; ``print`` it (or call :meth:`summary`) to read it.

    Attributes
    ----------
    n, d : int
        Number of tokens and their dimension.
    beta : float
        The scaling factor diagnosed.
    gamma : float
        ``beta / ln n``.
    mean_cosine : float
        Exact mean cosine over distinct pairs.
    cosine_quantiles : tuple of float
        Low and high quantiles of the pairwise cosines (``rho1``/``rho2``-like).
    quantile_levels : tuple of float
        The levels of those quantiles.
    gamma_c : float
        ``1 / (1 - mean_cosine)``.
    gamma_window : tuple of float
        ``1 / (1 - q_low), 1 / (1 - q_high)``: the almost-simplex window.
    regime : str
        ``"subcritical"`` (``gamma`` below the window), ``"supercritical"``
        (above it) or ``"critical window"`` (inside).
    mean_entropy : float
        Mean row entropy of the attention matrix, in nats (``<= ln n``).
    mean_max_weight : float
        Mean over rows of the largest attention weight (``>= 1/n``).
    median_top_gap : float
        Median over queries of ``1 - max_{j != i} cos(y_i, y_j)``: the gap
        between a token's self score and its closest competitor.
    n_queries : int
        Query rows used for the entropy, the weights and the gap (each over all
        ``n`` keys); ``n`` means every row.
    n_pairs : int
        Pairs used for the quantiles.
    exact_pairs : bool
        Whether ``n_pairs`` is every pair (else a uniform sample).
    notes : tuple of str
        Warnings about the applicability of the simplex picture.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import diagnose, simplex_tokens
    >>> diag = diagnose(simplex_tokens(200, 0.5), beta=2 * np.log(200))
    >>> diag.regime, round(diag.mean_cosine, 6), round(diag.gamma_c, 6)
    ('critical window', 0.5, 2.0)
    """

    n: int
    d: int
    beta: float
    gamma: float
    mean_cosine: float
    cosine_quantiles: tuple[float, float]
    quantile_levels: tuple[float, float]
    gamma_c: float
    gamma_window: tuple[float, float]
    regime: str
    mean_entropy: float
    mean_max_weight: float
    median_top_gap: float
    n_queries: int
    n_pairs: int
    exact_pairs: bool
    notes: tuple[str, ...] = ()

    @property
    def log_n(self) -> float:
        """``ln n``, the entropy of uniform attention."""
        return float(np.log(self.n))

    def __repr__(self) -> str:
        return (
            f"Diagnosis(n={self.n}, d={self.d}, beta={self.beta:.4g}, gamma={self.gamma:.4g}, "
            f"gamma_c={self.gamma_c:.4g}, regime={self.regime!r}, "
            f"mean_entropy={self.mean_entropy:.4g}, mean_max_weight={self.mean_max_weight:.4g})"
        )

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """A readable multi-line report."""
        lo_q, hi_q = self.quantile_levels
        lo, hi = self.cosine_quantiles
        g_lo, g_hi = self.gamma_window
        sampled_rows = "every" if self.n_queries == self.n else f"{self.n_queries} sampled"
        pairs = "all" if self.exact_pairs else f"{self.n_pairs} random"
        lines = [
            f"Diagnosis of n = {self.n} tokens in d = {self.d}, beta = {self.beta:.4g}",
            f"  geometry : mean cosine rho = {self.mean_cosine:.4f}; cosines "
            f"{100 * lo_q:g}%-{100 * hi_q:g}% in [{lo:.4f}, {hi:.4f}]; "
            f"median top gap 1 - max cos = {self.median_top_gap:.4g}",
            f"  threshold: gamma_c = 1/(1 - rho) = {self.gamma_c:.4g}, "
            f"window [{g_lo:.4g}, {g_hi:.4g}]",
            f"  scaling  : gamma = beta / log n = {self.gamma:.4g} -> {self.regime}",
            f"  attention: mean row entropy {self.mean_entropy:.4g} nats of log n = "
            f"{self.log_n:.4g} ({100 * self.mean_entropy / self.log_n:.1f}%); "
            f"mean largest weight {self.mean_max_weight:.4g} (uniform: {1 / self.n:.3g})",
            f"  computed : {sampled_rows} query rows over all n keys; {pairs} pairs",
        ]
        lines += [f"  note     : {note}" for note in self.notes]
        return "\n".join(lines)


def _pair_cosines(
    Y: np.ndarray, pairs: int, gen: np.random.Generator
) -> tuple[np.ndarray, bool]:
    """Cosines of every distinct pair if there are at most ``pairs``, else of a sample."""
    n, d = Y.shape
    exact = n * (n - 1) // 2 <= pairs
    if exact:
        i, j = np.triu_indices(n, k=1)
    else:
        i = gen.integers(n, size=pairs)
        j = gen.integers(n - 1, size=pairs)
        j += j >= i  # uniform over the other n - 1 tokens
    out = np.empty(i.size)
    chunk = max(1, _BLOCK_ENTRIES // (4 * d))  # gathered rows stay small for any d
    for start in range(0, i.size, chunk):
        sl = slice(start, start + chunk)
        out[sl] = np.einsum("ij,ij->i", Y[i[sl]], Y[j[sl]])
    return out, exact


def diagnose(
    X: Any,
    beta: float,
    rng: Any = None,
    *,
    queries: int = 2000,
    pairs: int = 100_000,
    quantiles: tuple[float, float] = (0.01, 0.99),
) -> Diagnosis:
    """Where a token set and a scaling factor sit relative to the critical scale.

    Measures the geometry of ``X`` (exact mean cosine in ``O(n d)``, a spread
    of pairwise cosines from sampled pairs, the gap to the nearest other
    token), the critical constant ``gamma_c = 1 / (1 - rho)`` and its
    almost-simplex window, the regime of ``beta`` at this ``n``, and the
    attention it produces (mean row entropy against ``log n``, mean largest
    weight). Rows of the attention matrix are streamed in blocks and, for
    ``n > queries``, computed for a random subset of ``queries`` query rows,
    each exact over all ``n`` keys: memory is ``O(n d + 2^21)`` floats and the
    time ``O(queries * n * d)``, so ``n = 100000`` is fine.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, ``n >= 2`` (normalised internally).
    beta : float
        Scaling factor, finite and ``>= 0``.
    rng : None, int or numpy.random.Generator
        Randomness for the sampled pairs and query rows.
    queries : int, default 2000
        Query rows to compute (all rows if ``n <= queries``).
    pairs : int, default 100000
        Pairs for the cosine quantiles (all pairs if there are no more).
    quantiles : tuple of float, default (0.01, 0.99)
        Low and high quantile levels, ``0 <= low <= high <= 1``.

    Returns
    -------
    Diagnosis

    Raises
    ------
    ValueError
        On a bad ``X`` (see :func:`critbook.normalize`), ``n < 2``, a negative
        or non-finite ``beta``, or bad ``queries``, ``pairs`` or ``quantiles``.

    Examples
    --------
    >>> import numpy as np
    >>> import critbook as cb
    >>> X = cb.simplex_tokens(200, rho=0.5)
    >>> diag = cb.diagnose(X, beta=3 * np.log(200), rng=0)
    >>> round(diag.mean_cosine, 6), round(diag.gamma_c, 6), diag.regime
    (0.5, 2.0, 'supercritical')
    """
    Y = np.asarray(normalize(as_tokens(X)), dtype=np.float64)
    n, d = Y.shape
    if n < 2:
        raise ValueError(f"X must hold n >= 2 tokens to be diagnosed; got n = {n}")
    beta = check_real(beta, "beta", low=0.0)
    queries = check_int(queries, "queries", low=1)
    pairs = check_int(pairs, "pairs", low=1)
    levels = as_real_array(quantiles, "quantiles", low=0.0, high=1.0)
    if levels.shape != (2,) or levels[0] > levels[1]:
        raise ValueError(
            "quantiles must be two levels (low, high) with 0 <= low <= high <= 1; "
            f"got {quantiles!r}"
        )
    gen = as_rng(rng)

    rho = mean_cosine(Y)
    cos, exact = _pair_cosines(Y, pairs, gen)
    q_lo, q_hi = (float(v) for v in np.quantile(cos, levels))
    with np.errstate(divide="ignore"):
        gamma_c = float(1.0 / (1.0 - rho)) if rho < 1.0 else np.inf
        window = tuple(float(1.0 / (1.0 - q)) if q < 1.0 else np.inf for q in (q_lo, q_hi))
    logn = float(np.log(n))
    gamma = beta / logn
    if gamma < window[0] * (1.0 - CRITICAL_RTOL):
        regime_name = "subcritical"
    elif gamma > window[1] * (1.0 + CRITICAL_RTOL):
        regime_name = "supercritical"
    else:
        regime_name = "critical window"

    rows = np.arange(n) if queries >= n else np.sort(gen.choice(n, size=queries, replace=False))
    m = rows.size
    H = np.empty(m)
    W = np.empty(m)
    gap = np.empty(m)
    block = max(1, _BLOCK_ENTRIES // n)
    for start in range(0, m, block):
        idx = rows[start : start + block]
        local = np.arange(idx.size)
        S = Y[idx] @ Y.T  # cosines, (b, n)
        S[local, idx] = -np.inf
        gap[start : start + idx.size] = 1.0 - S.max(axis=1)
        S[local, idx] = 1.0
        S -= 1.0
        S *= beta  # shifted scores s_ij = beta (cos - 1) <= 0 (up to rounding)
        E = np.exp(S)
        Z = E.sum(axis=1)
        W[start : start + idx.size] = E.max(axis=1) / Z
        S *= E
        H[start : start + idx.size] = np.log(Z) - S.sum(axis=1) / Z
    np.clip(H, 0.0, logn, out=H)

    top_gap = float(np.median(gap))
    notes = []
    if rho <= 0.0:
        notes.append(
            "mean cosine <= 0: outside the paper's range rho in (0, 1); the regime is an "
            "extrapolation"
        )
    if top_gap < 0.5 * (1.0 - q_hi):
        notes.append(
            "the nearest other token is much closer than the bulk (top gap < (1 - high "
            "quantile) / 2): scores are not simplex-like and a log n law may not be the "
            "right one (see the sphere law n^(2/(d-1)))"
        )
    return Diagnosis(
        n=int(n),
        d=int(d),
        beta=float(beta),
        gamma=float(gamma),
        mean_cosine=float(rho),
        cosine_quantiles=(q_lo, q_hi),
        quantile_levels=(float(levels[0]), float(levels[1])),
        gamma_c=gamma_c,
        gamma_window=(window[0], window[1]),
        regime=regime_name,
        mean_entropy=float(H.mean()),
        mean_max_weight=float(W.mean()),
        median_top_gap=top_gap,
        n_queries=int(m),
        n_pairs=int(cos.size),
        exact_pairs=bool(exact),
        notes=tuple(notes),
    )
