"""Extreme values of attention scores: the top of n random scores, and the sphere law.

Where the almost-simplex picture ends. On random tokens the largest scores of
a row are extremes of ``n`` samples, and their gaps decide how sharp attention
can be:

- :func:`gaussian_top_scores`: the ``k`` largest of ``n`` i.i.d. standard
  Gaussian scores, sampled exactly for ``n`` up to ``1e300``.
- :func:`sphere_top_distances`: the ``k`` smallest ``1 - cos`` to a fixed
  point among ``n`` uniform points on the sphere ``S^(d-1)``.
- :func:`top_gaps`: the gap between the largest and second largest of
  either, the quantity that the scale ``beta`` must beat.
- :func:`sphere_attention_prediction`: the self weight and row entropy of
  uniform tokens on the sphere predicted from the density of cosines (the
  ``n^(2/(d-1))`` law of the practice chapter).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import (
    betaincinv,
    betaln,
    gammaln,
    ive,
    logsumexp,
    ndtri_exp,
    roots_jacobi,
    roots_legendre,
)

from ._checks import SeedLike, as_real_array, as_rng, check_int, check_real, check_rho

__all__ = [
    "gaussian_top_scores",
    "sphere_top_distances",
    "top_gaps",
    "sphere_attention_prediction",
]

#: Largest ``beta`` accepted by :func:`sphere_attention_prediction`.
MAX_PREDICTION_BETA = 1e4


def _top_tail_logs(n: float, k: int, size: int, gen: np.random.Generator) -> NDArray[np.float64]:
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


def _check_top(n: ArrayLike, k: ArrayLike, size: ArrayLike) -> tuple[float, int, int]:
    k = check_int(k, "k", low=1)
    n = check_real(n, "n", low=float(k))
    size = check_int(size, "size", low=1)
    return n, k, size


def gaussian_top_scores(
    n: float, k: int = 2, size: int = 1, rng: SeedLike = None
) -> NDArray[np.float64]:
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
    n: float, d: int, k: int = 2, size: int = 1, rng: SeedLike = None
) -> NDArray[np.float64]:
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
    >>> # d = 3: D_min is about exponential with mean 2/n
    >>> round(float(np.median(D[:, 0]) * 1e6), 1)
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
    ns: ArrayLike,
    ds: ArrayLike = (3, 5, 9),
    rho: float = 0.5,
    size: int = 4000,
    rng: SeedLike = None,
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


def _log_window_integral(beta: float, k: float) -> tuple[float, float]:
    """``log`` of ``int exp(beta c) (1 - c^2)^k dc`` over ``[-1, 1]``, and the tilted mean of ``c``.

    For large ``k`` the integrand is a narrow, smooth bump; Gauss-Legendre
    quadrature on a window of 16 standard deviations around its peak (clipped
    to ``[-1, 1]``, where the integrand vanishes to high order) is accurate to
    rounding.
    """
    peak = 2.0 * beta / (2.0 * k + np.sqrt(4.0 * k * k + 4.0 * beta * beta))
    width = (1.0 - peak * peak) / np.sqrt(2.0 * k * (1.0 + peak * peak))
    lo, hi = max(-1.0, peak - 16.0 * width), min(1.0, peak + 16.0 * width)
    x, w = roots_legendre(200)
    c = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    terms = np.log(0.5 * (hi - lo) * w) + beta * c + k * np.log1p(-c * c)
    total = logsumexp(terms)
    return float(total), float(np.exp(terms - total) @ c)


def _cosine_tilt(beta: float, d: int) -> tuple[float, float]:
    """``(log M, t)`` for the cosine ``c`` between a fixed and a uniform unit vector of ``R^d``.

    ``M = E exp(beta c)`` and ``t = E[c exp(beta c)] / M``. The density of
    ``c`` is proportional to ``(1 - c^2)^((d - 3)/2)`` on ``[-1, 1]``. For
    ``2 <= d <= 64`` and ``beta >= 1`` the Bessel closed form is used; for
    ``beta < 1`` this is a Jacobi weight and Gauss-Jacobi quadrature with
    64 nodes is accurate to rounding; for
    larger ``d`` the density is a narrow bump and a windowed Gauss-Legendre
    rule is used, with the normaliser computed by the same rule so that their
    rounding errors cancel. For ``d = 1``, ``c = +-1``.
    """
    if d == 1:
        return beta + np.log1p(np.exp(-2.0 * beta)) - np.log(2.0), float(np.tanh(beta))
    if d <= 64 and beta >= 1.0:
        # Closed form: M = Gamma(nu + 1) (2 / beta)^nu I_nu(beta), nu = d/2 - 1, and
        # t = I_{nu+1}(beta) / I_nu(beta); exponentially scaled Bessel functions keep
        # it finite (no underflow of ive for these orders and beta <= 1e4).
        nu = d / 2.0 - 1.0
        i_nu = ive(nu, beta)
        log_m = float(gammaln(nu + 1.0) + nu * np.log(2.0 / beta) + np.log(i_nu) + beta)
        return log_m, float(ive(nu + 1.0, beta) / i_nu)
    if d <= 64:
        a = (d - 3) / 2.0
        nodes, weights = roots_jacobi(64 + int(np.ceil(beta / 2.0)), a, a)
        with np.errstate(divide="ignore"):  # a weight may underflow to 0 (log = -inf)
            logw = np.log(weights)
        tilted = logw + beta * nodes
        log_m = float(logsumexp(tilted) - logsumexp(logw))
        p = np.exp(tilted - logsumexp(tilted))
        return log_m, float(p @ nodes)
    log_num, t = _log_window_integral(beta, (d - 3) / 2.0)
    log_den, _ = _log_window_integral(0.0, (d - 3) / 2.0)
    return log_num - log_den, t


def sphere_attention_prediction(
    n: ArrayLike, beta: float, d: int
) -> tuple[float | NDArray[np.float64], float | NDArray[np.float64]]:
    """Large-``n`` prediction of the largest weight and the row entropy, uniform tokens.

    For ``n`` tokens drawn independently and uniformly on the unit sphere of
    ``R^d``, the cosines ``c_ij`` (``j != i``) of row ``i`` are independent
    with moment-generating function ``M(beta) = E exp(beta c)``. Replacing the
    sum over the ``n - 1`` other tokens by its mean (law of large numbers)
    gives, with ``u = (n - 1) M exp(-beta)`` and ``t = M'(beta) / M(beta)``,

    .. math::

        A_{\\max} \\approx \\frac{1}{1 + u}, \\qquad
        H \\approx \\log(1 + u) + \\beta (1 - A_{\\max}) (1 - t).

    As ``n -> infinity``, ``n A_max -> e^beta / M`` and
    ``log n - H -> beta t - log M`` (about ``beta^2 / (2 d)`` for large
    ``d``). This is the book's derivation, not a result of the paper.

    Parameters
    ----------
    n : float or array_like
        Number of tokens, ``>= 1``.
    beta : float
        Attention scaling factor, in ``[0, 1e4]``.
    d : int
        Dimension, ``>= 1``.

    Returns
    -------
    max_weight, entropy : float or numpy.ndarray
        The predicted largest weight of a row and its entropy (in nats),
        with the shape of ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import sphere_attention_prediction
    >>> w, H = sphere_attention_prediction([10.0, 1e6], beta=0.0, d=8)
    >>> w
    array([1.e-01, 1.e-06])
    >>> np.allclose(H, np.log([10.0, 1e6]))
    True

    For large ``n`` the entropy gap ``log n - H`` settles near ``beta^2 / (2 d)``:

    >>> w, H = sphere_attention_prediction(1e12, beta=4.0, d=256)
    >>> print(f"{np.log(1e12) - H:.5f} vs {4.0**2 / (2 * 256):.5f}")
    0.03124 vs 0.03125
    """
    n = as_real_array(n, "n", low=1.0)
    beta = check_real(beta, "beta", low=0.0, high=MAX_PREDICTION_BETA)
    d = check_int(d, "d", low=1)
    log_m, t = _cosine_tilt(beta, d)
    with np.errstate(divide="ignore"):
        log_u = np.log(n - 1.0) + log_m - beta
    log_z = np.logaddexp(0.0, log_u)
    w = np.exp(-log_z)
    H = log_z + beta * (-np.expm1(-log_z)) * (1.0 - t)
    if np.ndim(w) == 0:
        return float(w), float(H)
    return w, H
