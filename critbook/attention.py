"""The scaled attention layer of the tractable model.

Tokens :math:`x_1, \\dots, x_n \\in \\mathbb R^d` are normalised,
:math:`y_i = x_i / \\|x_i\\|`, and mapped to

.. math::

    x_i' = \\sum_{j=1}^n A_{ij} y_j + \\alpha x_i, \\qquad
    A_{ij} = \\frac{e^{\\beta \\langle y_i, y_j \\rangle}}{\\sum_k e^{\\beta \\langle y_i, y_k \\rangle}} .

Because every :math:`y_i` is a unit vector, the largest score of row ``i`` is
its own, :math:`\\beta \\langle y_i, y_i\\rangle = \\beta`. Subtracting it gives
the exponent :math:`\\beta(\\langle y_i, y_j\\rangle - 1) \\le 0`: no max pass,
no overflow, and each row's denominator is at least one. The layer and the row
entropies are computed over blocks of rows, so that memory stays
``O(n d + block * n)`` and no ``n``-by-``n`` matrix is formed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ._checks import as_tokens, check_int, check_real

__all__ = [
    "normalize",
    "attention_weights",
    "attention_layer",
    "attention_entropy",
]

#: Largest n for which :func:`attention_weights` builds the dense matrix.
MAX_DENSE_N = 16384

#: Entries (rows times columns) of one block of scores.
_BLOCK_ENTRIES = 1 << 21


def normalize(X: Any) -> np.ndarray:
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
    arr = as_tokens(X)
    norms = np.sqrt(np.einsum("ij,ij->i", arr, arr, dtype=np.float64))
    return (arr / norms[:, None].astype(arr.dtype)).astype(arr.dtype, copy=False)


def _check_beta(beta: Any) -> float:
    return check_real(beta, "beta", low=0.0)


def _check_alpha(alpha: Any) -> float:
    return check_real(alpha, "alpha", low=0.0)


def _block_rows(n: int, block: int | None) -> int:
    if block is None:
        return max(1, min(n, _BLOCK_ENTRIES // max(n, 1)))
    return min(check_int(block, "block", low=1), n)


def _row_blocks(Y: np.ndarray, beta: float, block: int) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, E)`` with ``E = exp(beta * (Y[rows] @ Y.T - 1))``, one block at a time."""
    n = Y.shape[0]
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        E = Y[rows] @ Y.T
        E -= 1.0
        E *= beta
        np.exp(E, out=E)
        yield rows, E


def attention_weights(X: Any, beta: float) -> np.ndarray:
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
        Every row sums to one.

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
    _, E = next(_row_blocks(Y, beta, n))
    E /= E.sum(axis=1, keepdims=True)
    return E


def attention_layer(
    X: Any, beta: float, alpha: float = 0.0, *, block: int | None = None
) -> np.ndarray:
    """One layer of the tractable model: ``X'_i = sum_j A_ij y_j + alpha x_i``.

    Streams over blocks of rows: never forms an ``n``-by-``n`` matrix.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row. float32 input gives float32 output.
    beta : float
        Attention scaling factor, finite and ``>= 0``. In the long-context
        model ``beta = gamma * log(n)``.
    alpha : float, default 0.0
        Strength of the residual connection, finite and ``>= 0``.
    block : int, optional
        Rows per block (a memory/speed trade-off). By default chosen so that
        one block of scores holds about two million entries.

    Returns
    -------
    numpy.ndarray, shape (n, d)
        The layer's output ``X'`` (not normalised).

    Raises
    ------
    ValueError
        On a bad ``X`` (see :func:`normalize`), or a negative or non-finite
        ``beta`` or ``alpha``.

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
    Y = normalize(Xa)
    beta = _check_beta(beta)
    alpha = _check_alpha(alpha)
    n = Y.shape[0]
    out = np.empty_like(Y)
    for rows, E in _row_blocks(Y, beta, _block_rows(n, block)):
        Z = E.sum(axis=1)
        np.matmul(E, Y, out=out[rows])
        out[rows] /= Z[:, None]
    if alpha:
        out += Xa.dtype.type(alpha) * Xa
    return out


def attention_entropy(X: Any, beta: float, *, block: int | None = None) -> np.ndarray:
    """Shannon entropy (in nats) of every row of the attention matrix.

    Streams over blocks of rows like :func:`attention_layer`. The entropy of
    row ``i`` lies in ``[0, log n]``: ``log n`` for uniform attention, ``0``
    when all weight sits on one token.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row.
    beta : float
        Attention scaling factor, finite and ``>= 0``.
    block : int, optional
        Rows per block (see :func:`attention_layer`).

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``H_i = -sum_j A_ij log A_ij``, computed as
        ``log Z_i - sum_j A_ij s_ij`` with the shifted scores
        ``s_ij = beta (<y_i, y_j> - 1)``, float64.

    Raises
    ------
    ValueError
        On a bad ``X`` or ``beta`` (see :func:`attention_layer`).

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
    H = np.empty(n, dtype=np.float64)
    for rows, E in _row_blocks(Y, beta, _block_rows(n, block)):
        Z = E.sum(axis=1, dtype=np.float64)
        # sum_j E_ij s_ij with s = log E (E = 0 contributes 0, as x log x -> 0).
        with np.errstate(divide="ignore"):
            S = np.log(E)
        S[E == 0] = 0.0
        S *= E
        H[rows] = np.log(Z) - S.sum(axis=1, dtype=np.float64) / Z
    np.maximum(H, 0.0, out=H)
    return H
