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
- and, in their own modules, the extreme-value samplers that compare the
  proposed laws (:mod:`critbook.extremes`) and :func:`critbook.diagnose`
  (:mod:`critbook.diagnosis`).

The rules follow the reference code paths listed in the book (YaRN's
``get_mscale``, Qwen's ``logn_list``, Llama 4's attention temperature tuning,
Scalable-Softmax). In real models they multiply logits ``q.k / sqrt(d_h)``
that are not unit-norm cosines, so reading them as ``beta`` of the tractable
model is an illustration, not an identity (see Chapter 5 of the book).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import as_real_array, check_int, check_real, check_rho, scalar_or_array
from .simplex import CRITICAL_RTOL, REGIMES

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
]


def _positions(n: ArrayLike) -> NDArray[np.float64]:
    return as_real_array(n, "n", low=1.0)


# --------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------


def yarn_factor(n: ArrayLike, original_length: float) -> float | NDArray[np.float64]:
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
    return scalar_or_array(mscale * mscale)


def qwen_logn_factor(n: ArrayLike, train_length: float = 2048) -> float | NDArray[np.float64]:
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
    return scalar_or_array(out)


def llama4_factor(
    n: ArrayLike, floor_scale: float = 8192, attn_scale: float = 0.1
) -> float | NDArray[np.float64]:
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
    return scalar_or_array(1.0 + a * np.log1p(np.floor(n / F)))


def ssmax_factor(n: ArrayLike, s: float = 0.43) -> float | NDArray[np.float64]:
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
    return scalar_or_array(s * np.log(n))


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
    factor: Callable[[NDArray[np.float64]], ArrayLike]
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


def effective_gamma(beta: ArrayLike, n: ArrayLike) -> float | NDArray[np.float64]:
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
    >>> effective_gamma(ssmax_factor(n), n)  # gamma = s for every n
    array([0.43, 0.43])
    """
    beta = as_real_array(beta, "beta", low=0.0)
    n = as_real_array(n, "n", low=1.0, low_open=True)
    return scalar_or_array(beta / np.log(n))


def critical_beta(n: ArrayLike, rho: ArrayLike) -> float | NDArray[np.float64]:
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
    return scalar_or_array(np.log(n) / (1.0 - rho))


def _check_rule(rule: object, name: str) -> Callable[[NDArray[np.float64]], ArrayLike]:
    if not callable(rule):
        raise TypeError(
            f"{name} must be a callable taking an array of lengths n and returning the "
            f"factors, got {type(rule).__name__}"
        )
    return rule


def _evaluate(
    rule: Callable[[NDArray[np.float64]], ArrayLike], n: np.ndarray, name: str
) -> NDArray[np.float64]:
    values = np.asarray(rule(n), dtype=np.float64)
    if values.shape != n.shape:
        values = np.broadcast_to(values, n.shape)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{name} must return finite factors >= 0; got {values.ravel()[:3]}...")
    return values


def calibrated_ratio(
    rule: Callable[[NDArray[np.float64]], ArrayLike], n: ArrayLike, calibration_length: float
) -> float | NDArray[np.float64]:
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
    >>> n = [4096, 1e6]
    >>> calibrated_ratio(qwen_logn_factor, n, calibration_length=2048)
    array([1., 1.])
    """
    rule = _check_rule(rule, "rule")
    n = as_real_array(n, "n", low=1.0, low_open=True)
    L = check_real(calibration_length, "calibration_length", low=1.0, low_open=True)
    f_L = float(_evaluate(rule, np.array([L]), "rule")[0])
    if f_L <= 0.0:
        raise ValueError(f"rule must be positive at calibration_length = {L:g}; got {f_L:g}")
    f_n = _evaluate(rule, n, "rule")
    return scalar_or_array(f_n * np.log(L) / (f_L * np.log(n)))


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


_REGIME_NAMES = dict(zip((-1, 0, 1), REGIMES))


def regime_segments(
    beta_fn: Callable[[NDArray[np.float64]], ArrayLike],
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

    def classify(n: np.ndarray) -> NDArray[np.float64]:
        logn = np.log(n)
        g = (1.0 - rho) * _evaluate(beta_fn, n, "beta_fn") - logn
        return np.where(np.abs(g) <= CRITICAL_RTOL * logn, 0, np.sign(g)).astype(int)

    t = np.linspace(np.log(n_min), np.log(n_max), num)
    grid = np.exp(t)
    grid[0], grid[-1] = n_min, n_max
    cls = classify(grid)

    def first_of(t_lo: float, t_hi: float, new: int) -> float:
        """First length in class ``new``, between ``e^t_lo`` (old class) and ``e^t_hi``.

        Each step classifies 64 points of the bracket at once (one vectorised call of
        ``beta_fn``) and keeps the interval before the first point in class ``new``.
        """
        while t_hi - t_lo > 4e-16 * max(1.0, abs(t_hi)):
            inner = np.linspace(t_lo, t_hi, 66)[1:-1]
            hit = np.flatnonzero(classify(np.exp(inner)) == new)
            k = hit[0] if hit.size else inner.size
            t_lo, t_hi = (inner[k - 1] if k else t_lo), (inner[k] if k < inner.size else t_hi)
            if k < inner.size and np.nextafter(t_lo, t_hi) >= t_hi:
                break
        n_hi = float(np.exp(t_hi))
        if n_hi < 2.0**52:
            lo, hi = max(np.floor(np.exp(t_lo)) - 1.0, n_min), np.ceil(n_hi) + 1.0
            ends = classify(np.array([lo, hi]))
            if ends[0] != new and ends[1] == new:
                while hi - lo > 1.0:  # the first integer length in class new
                    inner = np.unique(np.floor(np.linspace(lo, hi, 66)[1:-1]))
                    inner = inner[(inner > lo) & (inner < hi)]
                    if not inner.size:
                        break
                    hit = np.flatnonzero(classify(inner) == new)
                    k = hit[0] if hit.size else inner.size
                    lo, hi = (inner[k - 1] if k else lo), (inner[k] if k < inner.size else hi)
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
