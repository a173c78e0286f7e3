"""Depth on the simplex: the exact one-layer map iterated, layer after layer.

On a simplex (equal norms, equal pairwise cosines) one attention layer maps
``(q, rho)`` to ``(q', rho')`` in closed form (:func:`critbook.simplex_layer`),
and the output is again a simplex. A stack of identical layers is therefore a
scalar dynamical system ``rho_{l+1} = rho'(rho_l)``, drawn as a cobweb in the
book. Three ways of choosing the scale at each layer are covered:

- a fixed ``gamma`` for every layer;
- ``gamma`` re-chosen critical at every layer, ``gamma_l = 1 / (1 - rho_l)``;
- either of these with a residual ``alpha x_i`` (the squared norm ``q`` then
  changes from layer to layer and is carried along).

At the critical scale without residual the ``n -> infinity`` map is
``rho' = 4 rho / (1 + 3 rho)``, so ``1 - rho`` shrinks by the factor
``1 / (1 + 3 rho)`` per layer and, iterating,
``1 - rho_L = (1 - rho_0) / (1 - rho_0 + 4^L rho_0)``
(:func:`critical_depth_closed_form`; the book's derivation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import as_real_array, check_int, check_real
from .simplex import CRITICAL_RTOL, critical_gamma, simplex_layer, simplex_limit

__all__ = ["simplex_depth", "critical_depth_closed_form"]


def _layer(n: Any, gamma: float, rho: float, q: float, alpha: float) -> tuple[float, float]:
    """One layer at ``beta = gamma log n``; ``n = None`` uses the limit map."""
    if n is None:
        kappa = gamma * (1.0 - rho)
        if abs(kappa - 1.0) <= CRITICAL_RTOL:
            p_inf = 0.5
        else:
            p_inf = 0.0 if kappa < 1.0 else 1.0
        a, b = p_inf + alpha * np.sqrt(q), 1.0 - p_inf
        q_out = a * a + 2.0 * a * b * rho + b * b * rho  # limit of ||x_i'||^2
        return float(q_out), float(simplex_limit(gamma, rho, q, alpha))
    q_out, rho_out = simplex_layer(n, gamma * np.log(n), rho, q, alpha)
    return float(q_out), float(rho_out)


def simplex_depth(
    rho: float,
    layers: int,
    n: float | None = None,
    gamma: Any = "critical",
    alpha: float = 0.0,
    q: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Iterate the exact simplex layer through ``layers`` layers.

    Parameters
    ----------
    rho : float
        Pairwise cosine of the input simplex, in ``(0, 1)``.
    layers : int
        Number of layers, ``>= 0``.
    n : float, optional
        Number of tokens, ``>= 2``; ``None`` (default) iterates the ``n -> infinity``
        limit map (:func:`critbook.simplex_limit`), a finite ``n`` the exact
        finite-``n`` map (:func:`critbook.simplex_layer`) at
        ``beta = gamma log n``.
    gamma : float or "critical", default "critical"
        A fixed scaling constant ``>= 0`` for every layer, or ``"critical"``
        to re-choose ``gamma_l = 1 / (1 - rho_l)`` at every layer from the
        current cosine.
    alpha : float, default 0.0
        Residual strength ``>= 0`` (residual ``alpha x_i``).
    q : float, default 1.0
        Squared norm of the input tokens, ``> 0``.

    Returns
    -------
    rhos, qs : numpy.ndarray
        The cosine and squared norm after ``0, 1, ..., layers`` layers
        (``rhos[0] = rho``, ``qs[0] = q``).

    Examples
    --------
    Critical scaling at every layer slows collapse but does not stop it:

    >>> from critbook import simplex_depth
    >>> rhos, _ = simplex_depth(0.3, 4)
    >>> rhos.round(3).tolist()
    [0.3, 0.632, 0.873, 0.965, 0.991]
    """
    rho = check_real(rho, "rho", low=0.0, high=1.0, low_open=True, high_open=True)
    layers = check_int(layers, "layers", low=0)
    n = None if n is None else check_real(n, "n", low=2.0)
    critical = isinstance(gamma, str)
    if critical and gamma != "critical":
        raise ValueError(f"gamma must be a number >= 0 or 'critical', got {gamma!r}")
    if not critical:
        gamma = check_real(gamma, "gamma", low=0.0)
    alpha = check_real(alpha, "alpha", low=0.0)
    q = check_real(q, "q", low=0.0, low_open=True)
    rhos, qs = [rho], [q]
    for _ in range(layers):
        r = rhos[-1]
        if r >= 1.0:  # fully collapsed: a single direction stays one
            rhos.append(1.0)
            qs.append(qs[-1])
            continue
        g = float(critical_gamma(r)) if critical else gamma
        q_out, r_out = _layer(n, g, r, qs[-1], alpha)
        rhos.append(min(r_out, 1.0))
        qs.append(q_out)
    return np.array(rhos), np.array(qs)


def critical_depth_closed_form(rho: Any, layers: Any) -> Any:
    """``rho_L`` for ``L`` critical layers (``n -> infinity``, no residual), in closed form.

    The limit map ``rho' = 4 rho / (1 + 3 rho)`` gives
    ``1 / (1 - rho') - 1 = 4 (1 / (1 - rho) - 1)``, hence
    ``1 - rho_L = (1 - rho_0) / (1 - rho_0 + 4^L rho_0)``: ``1 - rho`` is
    multiplied by ``1 / (1 + 3 rho_l)`` at layer ``l`` and by about ``1/4``
    per layer once the tokens are nearly collapsed. (The book's derivation.)

    Parameters
    ----------
    rho : float or array_like
        Input cosine, in ``[0, 1)``.
    layers : float or array_like
        Number of layers, ``>= 0``.

    Returns
    -------
    float or numpy.ndarray
        ``rho_L``.

    Examples
    --------
    >>> from critbook import critical_depth_closed_form
    >>> round(critical_depth_closed_form(0.3, 4), 4)
    0.991
    """
    rho = as_real_array(rho, "rho", low=0.0, high=1.0, high_open=True)
    layers = as_real_array(layers, "layers", low=0.0)
    u = (1.0 - rho) / (1.0 - rho + 4.0**layers * rho)
    out = 1.0 - u
    return float(out) if np.ndim(out) == 0 else out
