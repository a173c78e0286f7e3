"""The scaled attention layer of the tractable model.

Tokens :math:`x_1, \\dots, x_n \\in \\mathbb R^d` are normalised,
:math:`y_i = x_i / \\|x_i\\|`, and mapped to

.. math::

    x_i' = \\sum_{j=1}^n A_{ij} y_j + \\alpha x_i, \\qquad
    A_{ij} = \\frac{e^{\\beta \\langle y_i, y_j \\rangle}}
             {\\sum_k e^{\\beta \\langle y_i, y_k \\rangle}} .

How it is computed: every function here streams through the one kernel of
:mod:`critbook._kernel` (shifted scores ``beta (<y_i, y_j> - 1) <= 0`` with
exact self terms, symmetric tiles, one memory budget). The layer's row sums
come out of the value product, ``E [Y, 1]``; the row entropies use the same
tiles, :math:`H_i = \\log Z_i - Z_i^{-1} \\sum_j E_{ij} s_{ij}`, summed term by
term (only row sums of the tiles, no product with :math:`Y`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import as_tokens, check_int, check_real
from ._kernel import Kernel, accumulate, entropy, tile_shape, unit_rows

__all__ = [
    "normalize",
    "attention_weights",
    "attention_layer",
    "attention_entropy",
    "max_attention_weight",
    "top_mass_count",
]

#: Largest n for which :func:`attention_weights` builds the dense matrix.
MAX_DENSE_N = 16384


def normalize(X: ArrayLike) -> NDArray[np.floating]:
    """Scale every row of ``X`` to unit Euclidean norm.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row. Must be finite with no zero row.

    Returns
    -------
    numpy.ndarray, shape (n, d)
        ``Y`` with ``Y[i] = X[i] / ||X[i]||``, float32 if ``X`` is float32,
        float64 otherwise.

    Raises
    ------
    TypeError
        If ``X`` is not a real array.
    ValueError
        If ``X`` is not 2-D, is empty, holds NaN or inf, or has a zero row.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import normalize
    >>> normalize(np.array([[3.0, 4.0], [0.0, 2.0]]))
    array([[0.6, 0.8],
           [0. , 1. ]])
    """
    return unit_rows(as_tokens(X))


def _check_beta(beta: float) -> float:
    return check_real(beta, "beta", low=0.0)


def _check_alpha(alpha: float) -> float:
    return check_real(alpha, "alpha", low=0.0)


def _entropy_sums(
    Y: NDArray[np.floating], beta: float, block: int | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(Z, T)``, float64: ``Z_i = sum_j E_ij`` and ``T_i = sum_j E_ij s_ij``.

    The tiles' scores are kept next to their weights, so that ``T`` is summed
    term by term: forming it from the layer's sums would cancel badly when
    the tokens nearly coincide.
    """
    n = Y.shape[0]
    kern = Kernel(Y, beta, fast_exp=True)
    Z = np.zeros(n)
    T = np.zeros(n)
    rows, cols = tile_shape(n, Y.dtype.itemsize, block)
    weights = np.empty(rows * cols, dtype=Y.dtype)
    ones = np.ones(cols, dtype=Y.dtype)
    for I, J, S in kern.symmetric_tiles(block, exp=False):
        E = kern.exponential(S, out=weights[: S.size].reshape(S.shape))  # E_JI
        W = np.multiply(S, E, out=S)
        Z[I] += ones[: E.shape[0]] @ E  # row sums of rows I, in the dtype of Y
        T[I] += ones[: E.shape[0]] @ W
        if J != I:
            Z[J] += E @ ones[: E.shape[1]]
            T[J] += W @ ones[: E.shape[1]]
    if kern.capped:
        # beta is astronomically large: every off-diagonal weight underflows except for
        # exact duplicate directions, whose score s_ij is 0, so no term of T is left.
        T[:] = 0.0
    else:
        T *= kern.unit  # the blocks' scores to s_ij
    return Z, T


def attention_weights(X: ArrayLike, beta: float) -> NDArray[np.floating]:
    """The row-stochastic attention matrix ``softmax(beta * Y Y^T)``.

    Forms the dense ``(n, n)`` matrix, so it is meant for small ``n``
    (at most ``MAX_DENSE_N = 16384``); use :func:`attention_layer` or
    :func:`attention_entropy` for long contexts.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row (normalised internally).
    beta : float
        Attention scaling factor (inverse temperature), finite and ``>= 0``.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        ``A`` with ``A[i, j] = exp(beta <y_i, y_j>) / sum_k exp(beta <y_i, y_k>)``.
        Every row sums to one. float32 if ``X`` is float32, float64 otherwise.

    Raises
    ------
    ValueError
        On a bad ``X`` (see :func:`normalize`), a negative or non-finite
        ``beta``, or ``n > MAX_DENSE_N``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import attention_weights
    >>> A = attention_weights(np.eye(3), beta=np.log(2.0))
    >>> np.round(A, 3)
    array([[0.5 , 0.25, 0.25],
           [0.25, 0.5 , 0.25],
           [0.25, 0.25, 0.5 ]])
    """
    Y = normalize(X)
    beta = _check_beta(beta)
    n = Y.shape[0]
    if n > MAX_DENSE_N:
        raise ValueError(
            f"X has n = {n} rows; attention_weights forms an n-by-n matrix and allows "
            f"n <= {MAX_DENSE_N}. Use attention_layer or attention_entropy for long contexts."
        )
    _, E = next(Kernel(Y, beta).row_blocks(block=n))
    E /= E.sum(axis=1, keepdims=True)
    return E


def attention_layer(
    X: ArrayLike, beta: float, alpha: float = 0.0, *, block: int | None = None
) -> NDArray[np.floating]:
    """One layer of the tractable model: ``X'_i = sum_j A_ij y_j + alpha x_i``.

    Streams over tiles of the (symmetric) attention kernel: never forms an
    ``n``-by-``n`` matrix. See the module notes for how.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row. float32 input gives float32 output (and is
        computed in float32 throughout); anything else gives float64.
    beta : float
        Attention scaling factor, finite and ``>= 0``. In the long-context
        model ``beta = gamma * log(n)``.
    alpha : float, default 0.0
        Strength of the residual connection, finite and ``>= 0``.
    block : int, optional
        Rows per tile (a memory/speed trade-off; the result does not depend
        on it beyond rounding). A tile holds ``block`` rows and enough
        columns for 2 MiB of scores (at least ``block``). By default 256
        rows, among the fastest in our measurements.

    Returns
    -------
    numpy.ndarray, shape (n, d)
        The layer's output ``X'`` (not normalised).

    Raises
    ------
    ValueError
        On a bad ``X`` (see :func:`normalize`), a negative or non-finite
        ``beta`` or ``alpha``, or a ``block`` that is not a positive integer.

    Examples
    --------
    With ``beta = 0`` attention is uniform and every token maps to the mean
    direction:

    >>> import numpy as np
    >>> from critbook import attention_layer
    >>> attention_layer(np.eye(2), beta=0.0)
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """
    Xa = as_tokens(X)
    Y = unit_rows(Xa)
    beta = _check_beta(beta)
    alpha = _check_alpha(alpha)
    n, d = Y.shape
    kern = Kernel(Y, beta, fast_exp=True)
    acc = np.zeros_like(kern.K)  # [E Y, E 1]
    part = np.empty(tile_shape(n, Y.dtype.itemsize, block)[1] * (d + 1), dtype=Y.dtype)
    for I, J, F in kern.symmetric_tiles(block):
        accumulate(acc, I, J, F, kern.K, part)
    out = acc[:, :d]
    out /= acc[:, d:]
    if alpha:
        out += Xa.dtype.type(alpha) * Xa
    return out


def attention_entropy(
    X: ArrayLike, beta: float, *, block: int | None = None
) -> NDArray[np.floating]:
    """Shannon entropy (in nats) of every row of the attention matrix.

    Streams over the same tiles as :func:`attention_layer`; it needs no
    product with the tokens, so it costs less than the layer. The entropy
    of row ``i`` lies in ``[0, log n]``: ``log n`` for uniform attention,
    ``0`` when all weight sits on one token.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row.
    beta : float
        Attention scaling factor, finite and ``>= 0``.
    block : int, optional
        Rows per tile (see :func:`attention_layer`).

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``H_i = -sum_j A_ij log A_ij``, float64. It is computed as
        ``log Z_i - (1 / Z_i) sum_j E_ij s_ij`` with the shifted scores
        ``s_ij = beta (<y_i, y_j> - 1)``, ``E_ij = exp(s_ij)`` and
        ``Z_i = sum_j E_ij`` (tile sums in the precision of ``X``), then
        clipped to ``[0, log n]``.

    Raises
    ------
    ValueError
        On a bad ``X``, ``beta`` or ``block`` (see :func:`attention_layer`).

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import attention_entropy
    >>> H = attention_entropy(np.eye(4), beta=0.0)
    >>> np.allclose(H, np.log(4))
    True
    """
    Y = normalize(X)
    beta = _check_beta(beta)
    n = Y.shape[0]
    Z, T = _entropy_sums(Y, beta, block)
    return entropy(Z, T, n)


def max_attention_weight(
    X: ArrayLike, beta: float, *, block: int | None = None
) -> NDArray[np.float64]:
    """The largest attention weight ``max_j A_ij`` of every row ``i``.

    In the tractable model the largest score of row ``i`` is its own,
    ``beta <y_i, y_i> = beta``, so the largest weight is the self weight
    ``A_ii = 1 / sum_j exp(beta (<y_i, y_j> - 1))``. It is ``1/n`` for
    uniform attention and 1 when a token attends only to itself. Streams over
    blocks of rows: no ``n``-by-``n`` matrix is formed.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row (normalised internally).
    beta : float
        Attention scaling factor, finite and ``>= 0``.
    block : int, optional
        Rows per block (see :func:`critbook.attention_layer`).

    Returns
    -------
    numpy.ndarray, shape (n,)
        The largest weight of each row, in ``[1/n, 1]``, float64.

    Raises
    ------
    ValueError
        On a bad ``X`` (see :func:`critbook.normalize`), a negative or
        non-finite ``beta``, or a bad ``block``.

    Examples
    --------
    Three orthogonal tokens at ``beta = log 2``: each gives itself twice the
    weight of each other token, so ``A_ii = 2 / 4``:

    >>> import numpy as np
    >>> from critbook import max_attention_weight
    >>> max_attention_weight(np.eye(3), beta=np.log(2.0))
    array([0.5, 0.5, 0.5])
    """
    Y = normalize(X)
    beta = _check_beta(beta)
    out = np.empty(Y.shape[0], dtype=np.float64)
    for rows, E in Kernel(Y, beta).row_blocks(block=block):
        out[rows] = E.max(axis=1) / E.sum(axis=1, dtype=np.float64)
    return out


def top_mass_rows(E: np.ndarray, mass: float) -> NDArray[np.float64]:
    """Counts for a block of unnormalised weights ``E`` (rows are queries)."""
    Z = E.sum(axis=1)
    desc = -np.sort(-E, axis=1)
    cum = np.cumsum(desc, axis=1)
    counts = np.count_nonzero(cum < mass * Z[:, None], axis=1) + 1
    return np.minimum(counts, E.shape[1])


def top_mass_count(
    X: ArrayLike,
    beta: float,
    mass: float = 0.9,
    *,
    rows: int | None = None,
    block: int | None = None,
) -> NDArray[np.float64]:
    """How many tokens hold a share ``mass`` of each row's attention weight.

    For query token ``i`` this is the smallest ``k`` such that the ``k``
    largest weights ``A_ij`` of row ``i`` sum to at least ``mass``. It is
    ``1`` when the token attends (almost) only to itself and close to
    ``mass * n`` when attention is uniform; in between, attention is sparse.
    Streamed over blocks of rows: no ``n``-by-``n`` matrix is formed.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row (normalised internally).
    beta : float
        Attention scaling factor, finite and ``>= 0``.
    mass : float, default 0.9
        Share of the weight, in ``(0, 1)``.
    rows : int, optional
        Only the first ``rows`` tokens are used as queries (each still
        attends to all ``n`` tokens). Default: all ``n``.
    block : int, optional
        Query rows per block; by default about two million weights per block.

    Returns
    -------
    numpy.ndarray of int, shape (rows,)

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import top_mass_count, simplex_tokens
    >>> X = simplex_tokens(100, rho=0.5)
    >>> top_mass_count(X, beta=0.0)[:3]  # uniform: 90 of 100 tokens
    array([90, 90, 90])
    >>> top_mass_count(X, beta=30.0)[:3]  # self weight > 0.9
    array([1, 1, 1])
    """
    Y = np.asarray(normalize(X), dtype=np.float64)
    beta = _check_beta(beta)
    mass = check_real(mass, "mass", low=0.0, high=1.0, low_open=True, high_open=True)
    n = Y.shape[0]
    m = n if rows is None else check_int(rows, "rows", low=1)
    if m > n:
        raise ValueError(f"rows must be between 1 and n = {n}, got {m}")
    out = np.empty(m, dtype=np.int64)
    # width 3: the weights, their sorted copy and its cumulative sums.
    for I, E in Kernel(Y, beta).row_blocks(m, block, width=3):
        out[I] = top_mass_rows(E, mass)
    return out
