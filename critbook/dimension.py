"""How much dimension an almost-simplex needs: a sphere-packing bound.

Assumption 2 of Chen et al. (2025) asks for ``n`` unit vectors whose pairwise
cosines are at most ``rho_2 < 1``, that is, pairwise angles at least
``theta = arccos rho_2``. The spherical caps of angular radius ``theta / 2``
around such vectors have disjoint interiors, so ``n`` times the area fraction
of one cap is at most one. The fraction falls like ``sin(theta / 2)^(d - 1)``,
so ``d`` must grow at least like ``log n / log(1 / sin(theta / 2))``: never a
fixed ``d`` as ``n -> infinity``. (The bound is classical; its use here, and
the functions below, are the book's.)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc

from ._checks import as_real_array

__all__ = ["cap_fraction", "packing_dimension"]


def cap_fraction(angle: Any, d: Any) -> Any:
    """Fraction of the unit sphere of ``R^d`` within ``angle`` of a fixed point.

    For an angular radius ``phi <= pi / 2`` the normalised area of the cap is
    ``I_{sin^2 phi}((d - 1) / 2, 1 / 2) / 2`` (regularised incomplete beta
    function).

    Parameters
    ----------
    angle : float or array_like
        Angular radius ``phi`` in ``[0, pi / 2]``.
    d : float or array_like
        Dimension, ``>= 2``.

    Returns
    -------
    float or numpy.ndarray

    Examples
    --------
    A hemisphere is half of the sphere, in any dimension:

    >>> import numpy as np
    >>> from critbook import cap_fraction
    >>> float(cap_fraction(np.pi / 2, 7))
    0.5
    """
    angle = as_real_array(angle, "angle", low=0.0, high=np.pi / 2)
    d = as_real_array(d, "d", low=2.0)
    out = 0.5 * betainc((d - 1.0) / 2.0, 0.5, np.sin(angle) ** 2)
    return float(out) if np.ndim(out) == 0 else out


def packing_dimension(n: Any, rho2: Any) -> Any:
    """Smallest ``d`` allowed by the cap bound for ``n`` vectors with cosines ``<= rho2``.

    Returns the smallest integer ``d >= 2`` with
    ``n * cap_fraction(arccos(rho2) / 2, d) <= 1``. Below it, no ``n`` unit
    vectors in ``R^d`` have all pairwise cosines ``<= rho2`` (a necessary
    condition, not a sufficient one). For large ``n`` it grows like
    ``log n / log(1 / sin(theta / 2))`` with ``theta = arccos(rho2)``.

    Parameters
    ----------
    n : float or array_like
        Number of vectors, ``>= 2``.
    rho2 : float or array_like
        Largest allowed pairwise cosine, in ``[0, 1)``.

    Returns
    -------
    int or numpy.ndarray of int

    Examples
    --------
    >>> from critbook import packing_dimension
    >>> [int(packing_dimension(n, 0.5)) for n in (1e3, 1e6, 1e12)]
    [9, 18, 38]
    """
    n = as_real_array(n, "n", low=2.0)
    rho2 = as_real_array(rho2, "rho2", low=0.0, high=1.0, high_open=True)
    n, rho2 = np.broadcast_arrays(n, rho2)
    half = np.arccos(rho2) / 2.0
    out = np.empty(n.shape, dtype=np.int64)
    for idx in np.ndindex(n.shape):
        # log of n * fraction <= 0, found by doubling then bisection (monotone in d).
        def excess(d: int, log_n: float = np.log(n[idx]), angle: float = half[idx]) -> float:
            return log_n + np.log(cap_fraction(angle, d))

        hi = 2
        while excess(hi) > 0.0:
            hi *= 2
        lo = max(2, hi // 2)
        if excess(lo) <= 0.0:
            hi = lo
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if excess(mid) > 0.0:
                lo = mid
            else:
                hi = mid
        out[idx] = hi
    return int(out) if out.ndim == 0 else out

