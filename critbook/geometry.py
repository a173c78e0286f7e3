"""Token geometry: how flat attention is, how clustered tokens are, how a layer changes them.

- :func:`mean_cosine`: the mean cosine between distinct tokens (1 = one direction).
- :func:`angle_ratio`: the paper's ratio ``lambda`` of output to input angles
  (0 = full collapse in one layer, 1 = angles kept).
- :func:`rank_one_residual`: relative distance to the nearest matrix ``1 x^T``
  (Dong, Cordonnier and Loukas's residual).
- :func:`effective_rank`: ``exp`` of the entropy of the normalised singular values.
- :func:`iterate_layers`: the trajectory of tokens through several layers.
- :func:`collapse_metrics`: mean cosine, effective rank and rank-one residual
  along a trajectory.
- :func:`cluster_count`: the number of groups of tokens with nearby directions.

All are computed without forming an ``n``-by-``n`` matrix.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ._checks import as_real_array, as_tokens, check_real
from ._kernel import Kernel, block_rows
from .attention import attention_layer, normalize

__all__ = [
    "mean_cosine",
    "angle_ratio",
    "rank_one_residual",
    "effective_rank",
    "iterate_layers",
    "collapse_metrics",
    "cluster_count",
]


def mean_cosine(X: ArrayLike) -> float:
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

    Raises
    ------
    ValueError
        On a bad ``X`` (see :func:`critbook.normalize`) or ``n < 2``.

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


def _centred_gram_terms(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centred rows ``C = Y - mean(Y)`` and their squared norms.

    For unit rows, ``1 - <y_i, y_j> = ||y_i - y_j||^2 / 2
    = (s_i + s_j) / 2 - <c_i, c_j>`` with ``s = ||c||^2``: the same number as
    ``1 - Y Y^T`` but without its cancellation when the tokens are clustered.
    """
    C = Y - Y.mean(axis=0)
    return C, np.einsum("ij,ij->i", C, C)


def angle_ratio(X: ArrayLike, X_out: ArrayLike, *, block: int | None = None) -> float:
    """The input-to-output angle ratio ``lambda`` of a layer.

    .. math::

        \\lambda = \\frac{2}{n(n-1)} \\sum_{i<j}
        \\frac{1 - \\langle y_i', y_j' \\rangle}{1 - \\langle y_i, y_j \\rangle},

    with ``y = X / ||X||`` and ``y' = X_out / ||X_out||`` row-wise. Small
    ``lambda`` means strong contraction (tokens pulled together), ``lambda``
    near 1 means angles are kept. Computed over blocks of rows, with
    ``1 - <y_i, y_j> = ||y_i - y_j||^2 / 2`` evaluated on centred tokens so
    that clustered configurations keep their relative accuracy.

    Parameters
    ----------
    X, X_out : array_like, shape (n, d) and (n, d_out)
        Tokens before and after the layer, ``n >= 2``, same ``n``.
    block : int, optional
        Rows per block; by default about two million pairs per block.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes disagree, ``n < 2``, or two input tokens have the same
        direction to rounding accuracy (their angle is zero and the ratio
        undefined).

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
    n = Y.shape[0]
    if Yo.shape[0] != n:
        raise ValueError(
            f"X and X_out must hold the same number of tokens; got {n} and {Yo.shape[0]}"
        )
    if n < 2:
        raise ValueError(f"X must hold n >= 2 tokens to have a pair; got n = {n}")
    block = block_rows(n, 8, block, width=3)
    C, s = _centred_gram_terms(Y)
    Co, so = _centred_gram_terms(Yo)
    total = 0.0
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = slice(start, stop)
        # Pairs (i, j) with i in this block and j > i: columns start..n-1,
        # keeping only the strict upper triangle of the leading square.
        cols = slice(start, n)
        den = C[rows] @ C[cols].T
        den *= -1.0
        den += 0.5 * s[rows, None]
        den += 0.5 * s[None, cols]
        num = Co[rows] @ Co[cols].T
        num *= -1.0
        num += 0.5 * so[rows, None]
        num += 0.5 * so[None, cols]
        keep = np.arange(start, n)[None, :] > np.arange(start, stop)[:, None]
        # 1 - cos below ~1e-14 of the spread is rounding noise: same direction.
        floor = 1e-14 * (s[rows, None] + s[None, cols]) + 1e-30
        bad = keep & (den <= floor)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise ValueError(
                f"X has two tokens with the same direction to rounding accuracy (rows "
                f"{start + int(i)} and {start + int(j)}): their input angle is zero and the "
                "angle ratio is undefined; remove duplicate directions"
            )
        total += float(np.sum(num[keep] / den[keep]))
    return total / (n * (n - 1) / 2)


def rank_one_residual(X: ArrayLike) -> float:
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

    Raises
    ------
    ValueError
        On a bad ``X`` (not 2-D, not finite) or ``X = 0``.

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


def effective_rank(X: ArrayLike) -> float:
    """Effective rank ``exp(H(p))`` with ``p_k = sigma_k / sum_l sigma_l``.

    ``sigma_k`` are the singular values of ``X`` (Roy and Vetterli's
    measure). A rank-one matrix has effective rank 1 and ``k`` orthonormal
    rows have effective rank ``k``. The singular values come from an SVD
    (cost ``O(n d min(n, d))``), so those far below the largest keep their
    absolute accuracy and the effective rank of a collapsed configuration
    approaches 1 to rounding accuracy. Singular values below
    ``sigma_max * max(n, d) * eps`` are treated as zero.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens (not all zero).

    Returns
    -------
    float
        In ``[1, min(n, d)]``.

    Raises
    ------
    ValueError
        On a bad ``X`` (not 2-D, not finite) or ``X = 0``.

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
    sigma = np.linalg.svd(Xa, compute_uv=False)
    top = sigma.max()
    if top == 0.0:
        raise ValueError("X must not be all zeros: its effective rank is undefined")
    sigma = sigma[sigma > top * max(Xa.shape) * np.finfo(np.float64).eps]
    p = sigma / sigma.sum()
    return float(np.exp(-np.sum(p * np.log(p))))


def iterate_layers(
    X: ArrayLike,
    betas: ArrayLike,
    alpha: float = 0.0,
    *,
    block: int | None = None,
) -> NDArray[np.float64]:
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
    block : int, optional
        Rows per block in each layer (see :func:`critbook.attention_layer`).

    Returns
    -------
    numpy.ndarray, shape (L + 1, n, d)
        The trajectory: entry 0 is ``X``, entry ``l`` the output of layer ``l``.

    Raises
    ------
    ValueError
        On a bad ``X``, ``betas`` not 1-D or with a negative entry, a bad
        ``alpha``, or a layer output with a zero row (possible only for
        special inputs, e.g. two opposite tokens at ``beta = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import iterate_layers, gaussian_tokens, mean_cosine
    >>> X = gaussian_tokens(100, 16, 0.2, rng=0)
    >>> traj = iterate_layers(X, betas=[1.0] * 5)
    >>> traj.shape
    (6, 100, 16)
    >>> mean_cosine(traj[-1]) > mean_cosine(traj[0])
    True
    """
    Xa = as_tokens(X)
    betas = as_real_array(betas, "betas", low=0.0)
    alpha = check_real(alpha, "alpha", low=0.0)
    if betas.ndim != 1:
        raise ValueError(
            f"betas must be a 1-D sequence, one value per layer; got shape {betas.shape}"
        )
    out = np.empty((betas.size + 1, *Xa.shape), dtype=Xa.dtype)
    out[0] = Xa
    for layer, beta in enumerate(betas, start=1):
        out[layer] = attention_layer(out[layer - 1], float(beta), alpha, block=block)
    return out


def collapse_metrics(trajectory: ArrayLike) -> dict[str, np.ndarray]:
    """Mean cosine, effective rank and rank-one residual of every layer of a trajectory.

    Parameters
    ----------
    trajectory : array_like, shape (L + 1, n, d)
        Token matrices, e.g. the output of :func:`iterate_layers`, ``n >= 2``.

    Returns
    -------
    dict of str to numpy.ndarray
        Keys ``"mean_cosine"`` (:func:`mean_cosine`), ``"effective_rank"``
        (:func:`effective_rank`) and ``"rank_one_residual"``
        (:func:`rank_one_residual`), each an array of length ``L + 1``.

    Raises
    ------
    TypeError
        If ``trajectory`` is not an array of real numbers.
    ValueError
        If ``trajectory`` is not 3-D, has fewer than 2 tokens per layer, or
        a layer is not a valid token matrix (NaN, inf, a zero row); the
        message names the layer, e.g. ``trajectory[3]``.

    Examples
    --------
    >>> import numpy as np
    >>> import critbook as cb
    >>> X = cb.uniform_sphere_tokens(200, 8, rng=0)
    >>> traj = cb.iterate_layers(X, betas=[1.0] * 3)
    >>> m = cb.collapse_metrics(traj)
    >>> sorted(m)
    ['effective_rank', 'mean_cosine', 'rank_one_residual']
    >>> bool(np.all(np.diff(m["mean_cosine"]) > 0))
    True
    """
    if isinstance(trajectory, (str, bytes)) or trajectory is None:
        raise TypeError(
            f"trajectory must be a 3-D array (layers, n, d), got {type(trajectory).__name__}"
        )
    try:
        T = np.asarray(trajectory)
    except Exception as exc:
        raise TypeError(
            f"trajectory must be a 3-D array (layers, n, d) of real numbers: {exc}"
        ) from exc
    if T.ndim != 3:
        raise ValueError(f"trajectory must be 3-D with shape (layers, n, d); got shape {T.shape}")
    if T.shape[1] < 2:
        raise ValueError(
            f"trajectory must hold n >= 2 tokens per layer to have a pair; got n = {T.shape[1]}"
        )
    layers = [as_tokens(x, f"trajectory[{layer}]") for layer, x in enumerate(T)]
    return {
        "mean_cosine": np.array([mean_cosine(x) for x in layers]),
        "effective_rank": np.array([effective_rank(x) for x in layers]),
        "rank_one_residual": np.array([rank_one_residual(x) for x in layers]),
    }


def cluster_count(X: ArrayLike, angle: float = 0.05, *, block: int | None = None) -> int:
    """The number of clusters of token directions (single linkage at a given angle).

    Two tokens are linked when the angle between their directions is below
    ``angle``; a cluster is a group of tokens joined by chains of links (the
    connected components of this graph). For tokens in the plane this is the
    number of gaps wider than ``angle`` between neighbouring angles. Streams
    over blocks of rows, so no ``n``-by-``n`` matrix is formed.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row (normalised internally).
    angle : float, default 0.05
        Linking angle in radians, in ``(0, pi]``.
    block : int, optional
        Rows per block; by default about two million pairs per block.

    Returns
    -------
    int
        Between 1 and ``n``.

    Raises
    ------
    ValueError
        On a bad ``X`` (see :func:`critbook.normalize`), ``angle`` outside
        ``(0, pi]`` or a bad ``block``.

    Examples
    --------
    Three pairs of nearly equal tokens, far from each other:

    >>> import numpy as np
    >>> from critbook import cluster_count
    >>> X = np.repeat(np.eye(3), 2, axis=0) + 1e-3 * np.arange(6)[:, None]
    >>> cluster_count(X)
    3
    >>> cluster_count(X, angle=np.pi)  # everything is linked
    1
    """
    Y = np.asarray(normalize(X), dtype=np.float64)
    angle = check_real(angle, "angle", low=0.0, high=np.pi, low_open=True)
    n = Y.shape[0]
    threshold = np.cos(angle) - 1.0  # on the shifted cosines <y_i, y_j> - 1
    nodes = np.arange(n)
    rep = nodes  # a representative member of each token's cluster so far
    count = n
    for I, G in Kernel(Y, 1.0).row_blocks(block=block, exp=False):
        start = I.start
        rows, cols = np.nonzero(G > threshold)
        # The links of this block, plus a link from every token to the
        # representative of its cluster so far: components merge both.
        links = (np.r_[rows + start, nodes], np.r_[cols, rep])
        graph = coo_matrix((np.ones(rows.size + n, dtype=np.int8), links), shape=(n, n))
        count, labels = connected_components(graph, directed=False)
        first = np.empty(count, dtype=np.int64)
        first[labels[::-1]] = nodes[::-1]  # smallest member of each component
        rep = first[labels]
    return int(count)
