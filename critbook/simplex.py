"""Closed forms for the simplex model (Assumption 1).

With ``||x_i||^2 = q`` and ``<y_i, y_j> = rho`` for ``i != j``, every row of
the attention matrix holds the same two values: the self weight ``p`` and the
off-diagonal weight ``r = p exp(-beta (1 - rho))``, with

.. math::

    p = \\frac{1}{1 + (n - 1) e^{-\\beta (1 - \\rho)}} .

The output ``x_i' = a y_i + r S`` (``S = sum_j y_j``, ``a = p - r + alpha sqrt(q)``)
is again a simplex, so one layer is a map ``(q, rho) -> (q', rho')``. Every
function here works in log space, through ``u = log(n - 1) - beta (1 - rho)``,
so ``n`` up to ``1e300`` and ``beta`` in the thousands give finite, accurate
values. All functions broadcast over array arguments; scalars in give floats out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from ._checks import as_real_array, check_real, check_rho, scalar_or_array

__all__ = [
    "critical_gamma",
    "regime",
    "simplex_self_weight",
    "simplex_layer",
    "simplex_angle_ratio",
    "simplex_limit",
    "simplex_eta",
    "simplex_eta_limit",
    "approach_exponent",
]

#: The regimes, ordered by the limit of the self weight (0, 1/2, 1): the names every module uses.
REGIMES = ("subcritical", "critical", "supercritical")

#: Relative tolerance within which ``gamma (1 - rho) = 1`` counts as critical.
CRITICAL_RTOL = 1e-9


def critical_gamma(rho: ArrayLike) -> float | NDArray[np.float64]:
    """The critical scaling constant ``gamma_c = 1 / (1 - rho)``.

    With ``beta = gamma log n``, tokens collapse for ``gamma < gamma_c`` and
    attention tends to the identity for ``gamma > gamma_c`` (Theorem 2.1).

    Parameters
    ----------
    rho : float or array_like
        Pairwise cosine of the tokens, in ``[0, 1)``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from critbook import critical_gamma
    >>> critical_gamma(0.5)
    2.0
    """
    rho = np.asarray(check_rho(rho))
    return scalar_or_array(1.0 / (1.0 - rho))


def regime(gamma: float, rho: float) -> str:
    """Which side of the transition ``beta = gamma log n`` is on.

    Parameters
    ----------
    gamma : float
        Scaling constant, finite and ``>= 0``.
    rho : float
        Pairwise cosine, in ``[0, 1)``.

    Returns
    -------
    str
        ``"subcritical"`` if ``gamma < gamma_c``, ``"supercritical"`` if
        ``gamma > gamma_c``, ``"critical"`` if ``gamma (1 - rho)`` equals one
        to a relative tolerance of ``1e-9``.

    Examples
    --------
    >>> from critbook import regime
    >>> regime(1.0, 0.5), regime(2.0, 0.5), regime(3.0, 0.5)
    ('subcritical', 'critical', 'supercritical')
    """
    gamma = check_real(gamma, "gamma", low=0.0)
    rho = float(check_rho(rho))
    return REGIMES[int(2 * limit_self_weight(gamma, rho))]


def limit_self_weight(gamma: ArrayLike, rho: ArrayLike) -> float | NDArray[np.float64]:
    """The ``n -> infinity`` limit of the self weight at ``beta = gamma log n``, vectorised:
    ``0`` below ``gamma_c``, ``1/2`` at it (``|gamma (1 - rho) - 1| <= CRITICAL_RTOL``),
    ``1`` above. The one home of the regime rule (inputs validated by the caller)."""
    kappa = np.asarray(gamma, dtype=np.float64) * (1.0 - np.asarray(rho, dtype=np.float64))
    p = np.where(np.abs(kappa - 1.0) <= CRITICAL_RTOL, 0.5, np.where(kappa < 1.0, 0.0, 1.0))
    return scalar_or_array(p)


def _log_ratio(n: np.ndarray, beta: np.ndarray, rho: np.ndarray) -> NDArray[np.float64]:
    """``u = log(n - 1) - beta (1 - rho)``: log of off-diagonal mass over self mass."""
    with np.errstate(divide="ignore"):
        return np.log(n - 1.0) - beta * (1.0 - rho)


def _broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    """``np.broadcast_arrays`` with an error message that names the arguments."""
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(
            f"the shapes of the arguments must broadcast together; got {shapes}"
        ) from None


def _weights(n: ArrayLike, beta: ArrayLike, rho: ArrayLike) -> tuple[np.ndarray, ...]:
    """Validated broadcast arrays and the self weight ``p``, its complement ``t``
    and the off-diagonal weight ``r``."""
    n = as_real_array(n, "n", low=1.0)
    beta = as_real_array(beta, "beta", low=0.0)
    rho = np.asarray(check_rho(rho), dtype=np.float64)
    n, beta, rho = _broadcast(n=n, beta=beta, rho=rho)
    u = _log_ratio(n, beta, rho)
    p = expit(-u)
    t = expit(u)  # 1 - p, without cancellation
    # With n = 1 there is no off-diagonal weight (t = 0 already).
    r = np.where(n > 1.0, p * np.exp(-beta * (1.0 - rho)), 0.0)
    return n, beta, rho, p, t, r


def simplex_self_weight(
    n: ArrayLike, beta: ArrayLike, rho: ArrayLike
) -> float | NDArray[np.float64]:
    """The diagonal attention weight ``A_ii`` of the simplex model.

    .. math:: A_{ii} = \\frac{e^{\\beta}}{e^{\\beta} + (n-1) e^{\\beta\\rho}}
              = \\frac{1}{1 + (n-1) e^{-\\beta(1-\\rho)}} .

    Parameters
    ----------
    n : float or array_like
        Number of tokens, ``>= 1`` (may be huge, e.g. ``1e300``).
    beta : float or array_like
        Attention scaling factor, finite and ``>= 0``.
    rho : float or array_like
        Pairwise cosine, in ``[0, 1)``.

    Returns
    -------
    float or numpy.ndarray
        The self weight, in ``(0, 1]``.

    Examples
    --------
    At the critical scale ``beta = log(n) / (1 - rho)`` the self weight
    tends to one half:

    >>> import numpy as np
    >>> from critbook import simplex_self_weight
    >>> n, rho = 1e12, 0.5
    >>> round(simplex_self_weight(n, np.log(n) / (1 - rho), rho), 6)
    0.5
    """
    *_, p, _, _ = _weights(n, beta, rho)
    return scalar_or_array(p)


def _layer_terms(
    n: ArrayLike, beta: ArrayLike, rho: ArrayLike, q: ArrayLike, alpha: ArrayLike
) -> tuple[np.ndarray, ...]:
    """``(rho, a, D, N, m)``: ``||x_i'||^2 = m^2 D`` and ``<x_i', x_j'> = m^2 N``,
    with ``a`` the coefficient of ``y_i`` divided by the scale ``m``."""
    q = as_real_array(q, "q", low=0.0, low_open=True)
    alpha = as_real_array(alpha, "alpha", low=0.0)
    q, alpha = _broadcast(q=q, alpha=alpha)
    n, beta, rho, p, t, r = _weights(n, beta, rho)
    n, rho, q, alpha, p, t, r, beta = _broadcast(
        n=n, rho=rho, q=q, alpha=alpha, p=p, t=t, r=r, beta=beta
    )
    # p - r = p (1 - e^{-beta (1 - rho)}), free of cancellation (r = 0 when n = 1).
    a = np.where(n > 1.0, -p * np.expm1(-beta * (1.0 - rho)), p) + alpha * np.sqrt(q)
    rs1 = r + rho * t  # r <y_i, S> = r (1 + (n - 1) rho)
    nr = r + t  # n r
    # Everything is homogeneous of degree 2 in (a, r s1, n r): scale by m = max(a, 1)
    # so that a huge residual does not overflow the squares.
    m = np.maximum(a, 1.0)
    a, rs1, nr = a / m, rs1 / m, nr / m
    D = a * a + 2.0 * a * rs1 + rs1 * nr  # ||x_i'||^2 / m^2
    N = a * a * rho + 2.0 * a * rs1 + rs1 * nr  # <x_i', x_j'> / m^2
    return rho, a, D, N, m


def _angle_ratio(a: np.ndarray, D: np.ndarray) -> NDArray[np.float64]:
    """``a^2 / D``, as ``(a / sqrt(D))^2`` so that a tiny ``a`` does not underflow
    when ``D`` is tiny too (``rho = 0`` at huge ``n``)."""
    return (a / np.sqrt(D)) ** 2


def simplex_layer(
    n: ArrayLike, beta: ArrayLike, rho: ArrayLike, q: ArrayLike = 1.0, alpha: ArrayLike = 0.0
) -> tuple[float | NDArray[np.float64], float | NDArray[np.float64]]:
    """One attention layer on the simplex, exactly, at finite ``n``.

    Tokens with ``||x_i||^2 = q`` and pairwise cosine ``rho`` are mapped by
    ``x_i' = sum_j A_ij y_j + alpha x_i`` to tokens with squared norm
    ``q_out`` and pairwise cosine ``rho_out``.

    Parameters
    ----------
    n : float or array_like
        Number of tokens, ``>= 1`` (up to ``1e300``).
    beta : float or array_like
        Attention scaling factor, finite and ``>= 0`` (e.g. ``gamma log n``).
    rho : float or array_like
        Pairwise cosine of the input, in ``[0, 1)``.
    q : float or array_like, default 1.0
        Squared norm of the input tokens, ``> 0``.
    alpha : float or array_like, default 0.0
        Residual strength, ``>= 0``.

    Returns
    -------
    q_out, rho_out : float or numpy.ndarray
        ``q_out = a^2 + 2 a r s_1 + r^2 n s_1`` and
        ``rho_out = (a^2 rho + 2 a r s_1 + r^2 n s_1) / q_out`` with
        ``a = p - r + alpha sqrt(q)`` and ``s_1 = 1 + (n - 1) rho``. For
        ``n = 1`` there is no pair and ``rho_out`` is returned as ``rho``.

    Examples
    --------
    Below the critical scale the tokens collapse, above it they keep their
    angle:

    >>> import numpy as np
    >>> from critbook import simplex_layer, critical_gamma
    >>> n, rho = 1e12, 0.2
    >>> gc = critical_gamma(rho)
    >>> betas = [g * gc * np.log(n) for g in (0.7, 1.0, 1.3)]
    >>> [round(simplex_layer(n, b, rho)[1], 3) for b in betas]
    [1.0, 0.5, 0.2]
    """
    rho, a, D, N, m = _layer_terms(n, beta, rho, q, alpha)
    with np.errstate(over="ignore"):
        q_out = m * m * D
    # Two exact forms: N / D (a sum of non-negative terms, accurate when small) and
    # 1 - lambda (1 - rho) (accurate near 1, where the tokens collapse).
    ratio = N / D
    rho_out = np.where(ratio < 0.5, ratio, 1.0 - _angle_ratio(a, D) * (1.0 - rho))
    return scalar_or_array(q_out), scalar_or_array(rho_out)


def simplex_angle_ratio(
    n: ArrayLike, beta: ArrayLike, rho: ArrayLike, q: ArrayLike = 1.0, alpha: ArrayLike = 0.0
) -> float | NDArray[np.float64]:
    """The angle ratio ``lambda = (1 - rho_out) / (1 - rho)`` of one simplex layer.

    ``lambda = 0`` means full collapse, ``lambda = 1`` that angles are kept.
    Computed as ``a^2 / q_out`` (see :func:`simplex_layer`), accurate even
    where ``rho_out`` is within rounding of one.

    Parameters
    ----------
    n, beta, rho, q, alpha
        As in :func:`simplex_layer`.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import simplex_angle_ratio
    >>> n, rho = 1e30, 0.3
    >>> beta = np.log(n) / (1 - rho)  # gamma = gamma_c
    >>> round(simplex_angle_ratio(n, beta, rho), 4)  # 1 / (1 + 3 rho)
    0.5263
    """
    _, a, D, _, _ = _layer_terms(n, beta, rho, q, alpha)
    return scalar_or_array(_angle_ratio(a, D))


def simplex_limit(
    gamma: ArrayLike, rho: ArrayLike, q: ArrayLike = 1.0, alpha: ArrayLike = 0.0
) -> float | NDArray[np.float64]:
    """The ``n -> infinity`` limit of ``rho_out`` for ``beta = gamma log n``.

    With ``c = alpha sqrt(q)`` and ``gamma_c = 1 / (1 - rho)``:

    - ``gamma < gamma_c``: ``rho (1 + c)^2 / (c^2 + 2 c rho + rho)``
      (``1`` at ``alpha = 0``: collapse);
    - ``gamma = gamma_c``: ``rho (1 + c)^2 / ((1/2 + c)^2 + rho (1/2 + c) + rho / 4)``
      (``4 rho / (1 + 3 rho)`` at ``alpha = 0``);
    - ``gamma > gamma_c``: ``rho`` (identity).

    The ``alpha = 0`` values are Theorem 2.1 of Chen et al. (2025); the
    residual formulas are this book's derivation (the paper's parametrisation
    of the residual could not be checked).

    Parameters
    ----------
    gamma : float or array_like
        Scaling constant, ``>= 0``.
    rho : float or array_like
        Pairwise cosine, in ``(0, 1)`` (the theorem's range; at ``rho = 0`` the
        subcritical limit depends on more than the regime).
    q : float or array_like, default 1.0
        Squared norm of the input tokens, ``> 0``.
    alpha : float or array_like, default 0.0
        Residual strength, ``>= 0``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from critbook import simplex_limit
    >>> simplex_limit([1.0, 1.25, 2.0], 0.2)
    array([1. , 0.5, 0.2])
    """
    gamma = as_real_array(gamma, "gamma", low=0.0)
    rho = as_real_array(rho, "rho", low=0.0, high=1.0, low_open=True, high_open=True)
    q = as_real_array(q, "q", low=0.0, low_open=True)
    alpha = as_real_array(alpha, "alpha", low=0.0)
    gamma, rho, q, alpha = _broadcast(gamma=gamma, rho=rho, q=q, alpha=alpha)
    p_inf = np.asarray(limit_self_weight(gamma, rho))
    c = alpha * np.sqrt(q)
    m = np.maximum(p_inf + c, 1.0)  # scale: a huge residual must not overflow the squares
    a = (p_inf + c) / m
    b = (1.0 - p_inf) / m
    den = a * a + 2.0 * a * b * rho + b * b * rho
    ratio = rho * (a + b) ** 2 / den
    # 1 - (1 - rho) a^2 / den cannot round above 1; the ratio is accurate when small.
    out = np.where(ratio < 0.5, ratio, 1.0 - (1.0 - rho) * a * a / den)
    return scalar_or_array(out)


def simplex_eta(
    n: ArrayLike,
    beta: ArrayLike,
    rho: ArrayLike,
    q: ArrayLike = 1.0,
    alpha: ArrayLike = 0.0,
    d: ArrayLike = None,
) -> float | NDArray[np.float64]:
    """``eta`` of one layer on the simplex, in closed form, at finite ``n``.

    For ``n`` tokens with squared norm ``q`` and pairwise cosine ``rho``
    (Assumption 1) every Jacobian block norm takes one of two values, so
    ``eta`` is an explicit function of the self weight ``p``, the
    off-diagonal weight ``r`` and ``(n, beta, rho, q, alpha, d)``. Computed
    from ``p``, ``r`` and ``(n - 1) r`` in log space, so ``n`` up to ``1e300``
    is fine. Equals :func:`eta` of :func:`critbook.simplex_tokens` (this
    book's derivation).

    Parameters
    ----------
    n : float or array_like
        Number of tokens, ``>= 1``.
    beta : float or array_like
        Attention scaling factor, ``>= 0`` (e.g. ``gamma log n``).
    rho : float or array_like
        Pairwise cosine, in ``[0, 1)``.
    q : float or array_like, default 1.0
        Squared norm of the tokens, ``> 0``.
    alpha : float or array_like, default 0.0
        Residual strength, ``>= 0``.
    d : float or array_like, optional
        Dimension, ``>= n`` (a simplex of ``n`` tokens needs ``n``
        dimensions). By default ``n + 1``, the dimension of
        :func:`critbook.simplex_tokens`.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import simplex_eta, simplex_tokens, eta
    >>> n, rho, beta = 40, 0.3, 5.0
    >>> exact = simplex_eta(n, beta, rho)
    >>> bool(np.isclose(exact, eta(simplex_tokens(n, rho), beta)))
    True
    >>> n = 1e12  # at gamma = gamma_c, eta tends to 1/4
    >>> round(simplex_eta(n, np.log(n) / (1 - rho), rho), 3)
    0.25
    """
    n, beta, rho, p, t, r = _weights(n, beta, rho)
    q = as_real_array(q, "q", low=0.0, low_open=True)
    alpha = as_real_array(alpha, "alpha", low=0.0)
    if d is None:
        d = n + 1.0
    else:
        d = as_real_array(d, "d", low=1.0)
        if np.any(d < n):
            raise ValueError(
                "d must be >= n: a simplex of n tokens with rho < 1 spans n dimensions; "
                f"got d = {np.min(d):g} for n = {np.max(n):g}"
            )
    n, beta, rho, p, t, r, q, alpha, d = np.broadcast_arrays(n, beta, rho, p, t, r, q, alpha, d)
    sq = np.sqrt(q)
    a = 1.0 - rho
    # s = p - r without cancellation (r = 0 when n = 1).
    s = np.where(n > 1.0, -p * np.expm1(-beta * a), p)
    # Centred at y_i: with g_j = y_j - y_i and delta = m_i - y_i = r sum_j g_j, every
    # quantity below is a product of the small weights t, r and is free of cancellation;
    # beta multiplies them one factor at a time, so that beta^2 never overflows.
    bt, br = beta * t, beta * r
    # Off-diagonal blocks, sum over k != i of r^2 ||(I + beta (y_k - m_i) y_i^T) P_k||_F^2, using
    # rho <y_k, m_i> - <y_i, m_i> = -a (1 + rho - rho r - t) and
    # ||y_k - m_i||^2 = a (2 s + t (r + t)).
    cross = t * r * (d - 1.0) - 2.0 * bt * r * a * (1.0 + rho - rho * r - t)
    cross = (cross + bt * br * a * (2.0 * s + t * (r + t)) * (1.0 - rho**2)) / q
    # Diagonal block (p I + beta C_i) P_i + alpha I, with tr(C_i Pi_i) and tr(C_i^2 Pi_i).
    tr_CP = a * t * (1.0 + rho - r - t * rho)
    tr_C2P_t = a * a * (r * (1.0 + 2.0 * s) + t * s * s - a * p * p * (r + t))  # divided by t
    b_tr_CP = beta * tr_CP
    diag = p**2 * (d - 1.0) / q + 2.0 * p * (b_tr_CP / q + alpha * (d - 1.0) / sq)
    diag = diag + bt * (beta * tr_C2P_t) / q + 2.0 * alpha * b_tr_CP / sq + alpha**2 * d
    out = np.maximum((cross + diag) / d, 0.0)
    return scalar_or_array(out)


def simplex_eta_limit(
    gamma: ArrayLike,
    rho: ArrayLike,
    q: ArrayLike = 1.0,
    d: ArrayLike = None,
    alpha: ArrayLike = 0.0,
) -> float | NDArray[np.float64]:
    """The ``n -> infinity`` limit of ``eta`` on the simplex, ``beta = gamma log n``.

    Theorem 2.4 of Chen et al. (2025), for ``alpha = 0``:

    - ``gamma < gamma_c = 1 / (1 - rho)``: ``0`` (vanishing gradients);
    - ``gamma = gamma_c``: ``(1 - 1/d) / (4 q)``;
    - ``gamma > gamma_c``: ``(1 - 1/d) / q``.

    With a residual (this book's derivation) the limit is
    ``(1 - 1/d) (p^2 / q + 2 alpha p / sqrt(q)) + alpha^2`` with
    ``p = 0, 1/2, 1`` in the three regimes.

    Parameters
    ----------
    gamma : float or array_like
        Scaling constant, ``>= 0``.
    rho : float or array_like
        Pairwise cosine, in ``[0, 1)``.
    q : float or array_like, default 1.0
        Squared norm of the tokens, ``> 0``.
    d : float or array_like, optional
        Dimension, ``>= 1``. ``None`` (the default) reads ``1/d`` as 0, the
        value of the limit when ``d >= n -> infinity``.
    alpha : float or array_like, default 0.0
        Residual strength, ``>= 0``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    >>> from critbook import simplex_eta_limit
    >>> simplex_eta_limit([1.0, 2.0, 3.0], rho=0.5)
    array([0.  , 0.25, 1.  ])
    >>> simplex_eta_limit(3.0, rho=0.5, q=2.0, d=512)
    0.4990234375
    """
    gamma = as_real_array(gamma, "gamma", low=0.0)
    rho = np.asarray(check_rho(rho), dtype=np.float64)
    q = as_real_array(q, "q", low=0.0, low_open=True)
    inv_d = 0.0 if d is None else 1.0 / as_real_array(d, "d", low=1.0)
    alpha = as_real_array(alpha, "alpha", low=0.0)
    gamma, rho, q, inv_d, alpha = np.broadcast_arrays(gamma, rho, q, inv_d, alpha)
    p = np.asarray(limit_self_weight(gamma, rho))
    out = (1.0 - inv_d) * (p * p / q + 2.0 * alpha * p / np.sqrt(q)) + alpha**2
    return scalar_or_array(out)


def approach_exponent(
    gamma: ArrayLike, rho: ArrayLike, alpha: ArrayLike = 0.0, quantity: str = "angle_ratio"
) -> float | NDArray[np.float64]:
    """Exponent ``e`` of the approach of the simplex layer to its limit, error ``~ n^(-e)``.

    With ``beta = gamma log n`` and ``kappa = gamma (1 - rho)``, the self
    weight is ``1 / (1 + (n - 1) n^(-kappa))``, so it reaches its limit
    (0, 1/2 or 1) with error of order ``n^(-|kappa - 1|)``, and of order
    ``1/n`` at ``kappa = 1``. The output cosine ``rho_out`` and the angle
    ratio are smooth functions of the self weight and of ``1/n``, with one
    exception: without residual, below the critical value,
    ``1 - rho_out`` is proportional to the *square* of the self weight, so
    the exponent doubles. This is the book's derivation (not a statement of
    the paper); the tests check it against :func:`critbook.simplex_layer`.

    Parameters
    ----------
    gamma : float or array_like
        Scaling constant, ``>= 0``.
    rho : float or array_like
        Pairwise cosine, in ``[0, 1)``.
    alpha : float or array_like, default 0.0
        Residual strength, ``>= 0``.
    quantity : {"angle_ratio", "rho_out", "self_weight"}
        The quantity whose error is meant (``"rho_out"`` and
        ``"angle_ratio"`` share the exponent).

    Returns
    -------
    float or numpy.ndarray
        ``|kappa - 1|``; ``1`` at ``kappa = 1``; ``2 (1 - kappa)`` for the
        angle ratio or ``rho_out`` when ``alpha = 0`` and ``kappa < 1``.

    Examples
    --------
    >>> from critbook import approach_exponent
    >>> # gamma / gamma_c = 0.5, 1, 1.25, 2
    >>> approach_exponent([1.0, 2.0, 2.5, 4.0], 0.5)
    array([1.  , 1.  , 0.25, 1.  ])
    >>> approach_exponent(1.0, 0.5, quantity="self_weight")
    0.5
    """
    gamma = as_real_array(gamma, "gamma", low=0.0)
    rho = np.asarray(check_rho(rho), dtype=np.float64)
    alpha = as_real_array(alpha, "alpha", low=0.0)
    if quantity not in ("angle_ratio", "rho_out", "self_weight"):
        raise ValueError(
            f"quantity must be 'angle_ratio', 'rho_out' or 'self_weight', got {quantity!r}"
        )
    gamma, rho, alpha = np.broadcast_arrays(gamma, rho, alpha)
    kappa = gamma * (1.0 - rho)
    e = np.abs(kappa - 1.0)
    if quantity != "self_weight":
        e = np.where((alpha == 0.0) & (kappa < 1.0), 2.0 * (1.0 - kappa), e)
    e = np.where(limit_self_weight(gamma, rho) == 0.5, 1.0, e)
    return scalar_or_array(e)
