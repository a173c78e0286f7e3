"""Token configurations: the exact simplex, Gaussian tokens, uniform tokens.

The simplex (Assumption 1 of the paper) has ``||x_i||^2 = q`` and
``<y_i, y_j> = rho`` for all ``i != j``; it needs ``d >= n``. The
almost-simplex (Assumption 2) only asks for ``q1 <= ||x_i||^2 <= q2`` and
``rho1 <= <y_i, y_j> <= rho2``; :func:`almost_simplex_constants` measures
those four constants for any configuration.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import SeedLike, as_rng, as_tokens, check_int, check_real, check_rho

#: Largest n for :func:`simplex_tokens`: its (n, n + 1) float64 array is then about 2 GB.
MAX_SIMPLEX_N = 16384

__all__ = [
    "simplex_tokens",
    "gaussian_tokens",
    "uniform_sphere_tokens",
    "almost_simplex_constants",
]


def simplex_tokens(n: int, rho: float, q: float = 1.0) -> NDArray[np.float64]:
    """An exact simplex configuration of ``n`` tokens in ``R^(n+1)``.

    Token ``i`` is ``sqrt(q) (sqrt(rho) e_0 + sqrt(1 - rho) e_(i+1))``, so all
    tokens have squared norm ``q`` and every pair has cosine ``rho``.

    Parameters
    ----------
    n : int
        Number of tokens, in ``[1, MAX_SIMPLEX_N]`` (``16384``: the array has
        ``n (n + 1)`` entries; the closed forms of :mod:`critbook.simplex` need
        no tokens at all and take any ``n``).
    rho : float
        Pairwise cosine, in ``[0, 1)``.
    q : float, default 1.0
        Squared norm of every token, ``> 0``.

    Returns
    -------
    numpy.ndarray, shape (n, n + 1)

    Raises
    ------
    TypeError, ValueError
        If ``n`` is not an integer ``>= 1``, ``rho`` is outside ``[0, 1)`` or
        ``q <= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import simplex_tokens
    >>> X = simplex_tokens(3, rho=0.25, q=4.0)
    >>> X.shape
    (3, 4)
    >>> np.round(X @ X.T, 12)
    array([[4., 1., 1.],
           [1., 4., 1.],
           [1., 1., 4.]])
    """
    n = check_int(n, "n", low=1, high=MAX_SIMPLEX_N)
    rho = float(check_rho(rho))
    q = check_real(q, "q", low=0.0, low_open=True)
    X = np.zeros((n, n + 1))
    X[:, 0] = np.sqrt(q * rho)
    X[:, 1:] = np.sqrt(q * (1.0 - rho)) * np.eye(n)
    return X


def gaussian_tokens(n: int, d: int, rho: float, rng: SeedLike = None) -> NDArray[np.float64]:
    """Gaussian tokens ``x_i = sqrt(rho) z_0 + sqrt(1 - rho) z_i``.

    The ``z_0, ..., z_n`` are independent ``N(0, I_d / d)``, so
    ``E ||x_i||^2 = 1`` and ``E <x_i, x_j> = rho``. As ``d`` grows the
    configuration approaches a simplex with cosine ``rho`` (the paper's
    numerical model).

    Parameters
    ----------
    n : int
        Number of tokens, ``>= 1``.
    d : int
        Dimension, ``>= 1``.
    rho : float
        Shared-component weight, in ``[0, 1)``.
    rng : None, int or numpy.random.Generator
        Source of randomness; the same seed gives the same array.

    Returns
    -------
    numpy.ndarray, shape (n, d)

    Examples
    --------
    >>> from critbook import gaussian_tokens, almost_simplex_constants
    >>> X = gaussian_tokens(200, 4096, rho=0.5, rng=0)
    >>> q1, q2, rho1, rho2 = almost_simplex_constants(X)
    >>> 0.4 < rho1 <= rho2 < 0.6
    True
    """
    n = check_int(n, "n", low=1)
    d = check_int(d, "d", low=1)
    rho = float(check_rho(rho))
    return shared_component(gaussian_draw(as_rng(rng), n, d), rho)


def gaussian_draw(gen: np.random.Generator, n: int, d: int) -> NDArray[np.float64]:
    """``z_0, ..., z_n`` i.i.d. ``N(0, I_d / d)``, shape ``(n + 1, d)``: the one
    draw behind :func:`gaussian_tokens` and the sweeps (so that seeds agree)."""
    return gen.standard_normal((n + 1, d)) / np.sqrt(d)


def shared_component(Z: NDArray[np.float64], rho: float) -> NDArray[np.float64]:
    """Tokens ``sqrt(rho) z_0 + sqrt(1 - rho) z_i`` from a draw of :func:`gaussian_draw`."""
    return np.sqrt(rho) * Z[0] + np.sqrt(1.0 - rho) * Z[1:]


def uniform_sphere_tokens(n: int, d: int, rng: SeedLike = None) -> NDArray[np.float64]:
    """``n`` independent tokens drawn uniformly on the unit sphere of ``R^d``.

    Parameters
    ----------
    n : int
        Number of tokens, ``>= 1``.
    d : int
        Dimension, ``>= 1`` (for ``d = 1`` the tokens are random signs).
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (n, d)
        Rows of unit norm.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import uniform_sphere_tokens
    >>> X = uniform_sphere_tokens(5, 3, rng=1)
    >>> np.allclose(np.linalg.norm(X, axis=1), 1.0)
    True
    """
    n = check_int(n, "n", low=1)
    d = check_int(d, "d", low=1)
    gen = as_rng(rng)
    Z = gen.standard_normal((n, d))
    norms = np.linalg.norm(Z, axis=1)
    # A zero draw has probability zero; redraw it all the same.
    while np.any(norms == 0.0):  # pragma: no cover
        zero = norms == 0.0
        Z[zero] = gen.standard_normal((int(zero.sum()), d))
        norms = np.linalg.norm(Z, axis=1)
    return Z / norms[:, None]


def almost_simplex_constants(
    X: ArrayLike, *, block: int = 2048
) -> tuple[float, float, float, float]:
    """The almost-simplex constants ``(q1, q2, rho1, rho2)`` of a configuration.

    ``q1, q2`` are the smallest and largest squared norms, ``rho1, rho2`` the
    smallest and largest cosine between two distinct tokens. Computed over
    blocks of rows, so no ``n``-by-``n`` matrix is formed.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, ``n >= 2``.
    block : int, default 2048
        Rows per block.

    Returns
    -------
    tuple of float
        ``(q1, q2, rho1, rho2)``. The paper's Assumption 2 asks for
        ``q1 > 0`` and ``0 < rho1 <= rho2 < 1``; this function reports the
        values whether or not they hold.

    Raises
    ------
    ValueError
        On a bad ``X`` or ``n < 2`` (no pair of tokens).

    Examples
    --------
    >>> from critbook import simplex_tokens, almost_simplex_constants
    >>> X = simplex_tokens(4, 0.3, q=2.0)
    >>> [round(c, 12) for c in almost_simplex_constants(X)]
    [2.0, 2.0, 0.3, 0.3]
    """
    Xa = np.asarray(as_tokens(X), dtype=np.float64)
    block = check_int(block, "block", low=1)
    n = Xa.shape[0]
    if n < 2:
        raise ValueError(f"X must hold n >= 2 tokens to have a pair; got n = {n}")
    sq = np.einsum("ij,ij->i", Xa, Xa)
    Y = Xa / np.sqrt(sq)[:, None]
    lo, hi = np.inf, -np.inf
    for start in range(0, n, block):
        stop = min(start + block, n)
        G = Y[start:stop] @ Y.T
        idx = np.arange(start, stop)
        G[idx - start, idx] = np.nan
        lo = min(lo, float(np.nanmin(G)))
        hi = max(hi, float(np.nanmax(G)))
    return float(sq.min()), float(sq.max()), lo, hi
