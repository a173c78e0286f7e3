"""Token geometry: how clustered a configuration is, and how a layer changes it.

- :func:`mean_cosine`: the mean cosine between distinct tokens (1 = one direction).
- :func:`angle_ratio`: the paper's ratio ``lambda`` of output to input angles
  (0 = full collapse in one layer, 1 = angles kept).
- :func:`rank_one_residual`: relative distance to the nearest matrix ``1 x^T``
  (Dong, Cordonnier and Loukas's residual).
- :func:`effective_rank`: ``exp`` of the entropy of the normalised singular values.
- :func:`iterate_layers`: the trajectory of tokens through several layers.

All are computed without forming an ``n``-by-``n`` matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ._checks import as_real_array, as_tokens, check_int
from .attention import attention_layer, normalize

__all__ = [
    "mean_cosine",
    "angle_ratio",
    "rank_one_residual",
    "effective_rank",
    "iterate_layers",
]


def mean_cosine(X: Any) -> float:
    """Mean cosine ``<y_i, y_j>`` over all pairs of distinct tokens.

    Uses ``sum_{i != j} <y_i, y_j> = ||sum_i y_i||^2 - n``, so the cost is
    ``O(n d)``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, ``n >= 2``.

    Returns
    -------
    float
        In ``[-1/(n-1), 1]``; equal to 1 when all tokens share one direction.

    Examples
    --------
    >>> from critbook import mean_cosine, simplex_tokens
    >>> round(mean_cosine(simplex_tokens(5, rho=0.3)), 12)
    0.3
    """
    Y = np.asarray(normalize(X), dtype=np.float64)
    n = Y.shape[0]
    if n < 2:
        raise ValueError(f"X must hold n >= 2 tokens to have a pair; got n = {n}")
    S = Y.sum(axis=0)
    return float((S @ S - n) / (n * (n - 1)))


def angle_ratio(X: Any, X_out: Any, *, block: int = 1024) -> float:
    """The input-to-output angle ratio ``lambda`` of a layer.

    .. math::

        \\lambda = \\frac{2}{n(n-1)} \\sum_{i<j}
        \\frac{1 - \\langle y_i', y_j' \\rangle}{1 - \\langle y_i, y_j \\rangle},

    with ``y = X / ||X||`` and ``y' = X_out / ||X_out||`` row-wise. Small
    ``lambda`` means strong contraction (tokens pulled together), ``lambda``
    near 1 means angles are kept. Computed over blocks of rows.

    Parameters
    ----------
    X, X_out : array_like, shape (n, d) and (n, d_out)
        Tokens before and after the layer, ``n >= 2``, same ``n``.
    block : int, default 1024
        Rows per block.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes disagree, ``n < 2``, or two input tokens share a
        direction (their angle is zero and the ratio undefined).

    Examples
    --------
    On the simplex the ratio has the closed form ``(1 - rho_out)/(1 - rho)``:

    >>> import numpy as np
    >>> import critbook as cb
    >>> X = cb.simplex_tokens(50, rho=0.3)
    >>> lam = cb.angle_ratio(X, cb.attention_layer(X, beta=4.0))
    >>> bool(np.isclose(lam, cb.simplex_angle_ratio(50, 4.0, 0.3)))
    True
    """
    Y = np.asarray(normalize(X), dtype=np.float64)
    Yo = np.asarray(normalize(as_tokens(X_out, "X_out")), dtype=np.float64)
    block = check_int(block, "block", low=1)
    n = Y.shape[0]
    if Yo.shape[0] != n:
        raise ValueError(
            f"X and X_out must hold the same number of tokens; got {n} and {Yo.shape[0]}"
        )
    if n < 2:
        raise ValueError(f"X must hold n >= 2 tokens to have a pair; got n = {n}")
    total = 0.0
    for start in range(0, n, block):
        stop = min(start + block, n)
        # Pairs (i, j) with i in this block and j > i.
        den = 1.0 - Y[start:stop] @ Y[start:].T
        num = 1.0 - Yo[start:stop] @ Yo[start:].T
        mask = np.triu(np.ones(den.shape, dtype=bool), k=1)
        if np.any(den[mask] <= 1e-15):
            raise ValueError(
                "X has two tokens with the same direction: their input angle is zero and the "
                "angle ratio is undefined"
            )
        total += float(np.sum(num[mask] / den[mask]))
    return total / (n * (n - 1) / 2)


def rank_one_residual(X: Any) -> float:
    """Relative distance of ``X`` to the nearest matrix with identical rows.

    ``||X - 1 xbar^T||_F / ||X||_F`` with ``xbar`` the mean token: the
    residual ``res(X)`` of Dong, Cordonnier and Loukas (2021), measured in
    the Frobenius norm (where the mean row is the optimal ``x``) and made
    scale free. It is 0 exactly when all tokens are equal.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens (rows need not be normalised; zero rows are allowed, but not
        ``X = 0``).

    Returns
    -------
    float
        In ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import rank_one_residual
    >>> rank_one_residual(np.ones((4, 3)))
    0.0
    >>> round(rank_one_residual(np.eye(2)), 6)  # sqrt(1 - 1/2)
    0.707107
    """
    Xa = np.asarray(as_tokens(X, normalizable=False), dtype=np.float64)
    norm = np.linalg.norm(Xa)
    if norm == 0.0:
        raise ValueError("X must not be all zeros: the relative residual is undefined")
    return float(np.linalg.norm(Xa - Xa.mean(axis=0)) / norm)


def effective_rank(X: Any) -> float:
    """Effective rank ``exp(H(p))`` with ``p_k = sigma_k / sum_l sigma_l``.

    The singular values ``sigma_k`` of ``X`` are obtained from the ``d x d``
    Gram matrix ``X^T X`` (or ``X X^T`` if ``n < d``), so the cost is
    ``O(n d min(n, d))``. A rank-one matrix has effective rank 1 and ``k``
    orthonormal rows have effective rank ``k`` (Roy and Vetterli's measure).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens (not all zero).

    Returns
    -------
    float
        In ``[1, min(n, d)]``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import effective_rank
    >>> round(effective_rank(np.outer([1.0, 2.0, 3.0], [1.0, -1.0])), 12)
    1.0
    >>> round(effective_rank(np.eye(4)), 12)
    4.0
    """
    Xa = np.asarray(as_tokens(X, normalizable=False), dtype=np.float64)
    G = Xa.T @ Xa if Xa.shape[0] >= Xa.shape[1] else Xa @ Xa.T
    eig = np.linalg.eigvalsh(G)
    sigma = np.sqrt(np.clip(eig, 0.0, None))
    total = sigma.sum()
    if total == 0.0:
        raise ValueError("X must not be all zeros: its effective rank is undefined")
    # Drop singular values at rounding level of the largest.
    p = sigma[sigma > sigma.max() * 1e-12] / total
    return float(np.exp(-np.sum(p * np.log(p))))


def iterate_layers(X: Any, betas: Sequence[float] | Any, alpha: float = 0.0) -> np.ndarray:
    """Pass tokens through one attention layer per entry of ``betas``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Input tokens.
    betas : sequence of float
        The scaling factor of each layer (length = depth ``L >= 0``), each
        finite and ``>= 0``.
    alpha : float, default 0.0
        Residual strength used in every layer.

    Returns
    -------
    numpy.ndarray, shape (L + 1, n, d)
        The trajectory: entry 0 is ``X``, entry ``l`` the output of layer ``l``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import iterate_layers, gaussian_tokens, mean_cosine
    >>> traj = iterate_layers(gaussian_tokens(100, 16, 0.2, rng=0), betas=[1.0] * 5)
    >>> traj.shape
    (6, 100, 16)
    >>> mean_cosine(traj[-1]) > mean_cosine(traj[0])
    True
    """
    Xa = as_tokens(X)
    betas = as_real_array(betas, "betas", low=0.0)
    if betas.ndim != 1:
        raise ValueError(f"betas must be a 1-D sequence, one value per layer; got shape {betas.shape}")
    out = np.empty((betas.size + 1, *Xa.shape), dtype=Xa.dtype)
    out[0] = Xa
    for layer, beta in enumerate(betas, start=1):
        out[layer] = attention_layer(out[layer - 1], float(beta), alpha)
    return out
