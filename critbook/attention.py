"""The scaled attention layer of the tractable model.

Tokens :math:`x_1, \\dots, x_n \\in \\mathbb R^d` are normalised,
:math:`y_i = x_i / \\|x_i\\|`, and mapped to

.. math::

    x_i' = \\sum_{j=1}^n A_{ij} y_j + \\alpha x_i, \\qquad
    A_{ij} = \\frac{e^{\\beta \\langle y_i, y_j \\rangle}}
             {\\sum_k e^{\\beta \\langle y_i, y_k \\rangle}} .

How it is computed: the kernel uses two facts about this model that a
general attention kernel cannot assume.

1. Every :math:`y_i` is a unit vector, so the largest score of row ``i`` is
   its own, :math:`\\beta \\langle y_i, y_i\\rangle = \\beta`. Subtracting it
   gives :math:`E_{ij} = e^{\\beta(\\langle y_i, y_j\\rangle - 1)} \\le 1`: no
   max pass, no overflow, and each row's denominator
   :math:`Z_i = \\sum_j E_{ij}` is at least one (the self term,
   :math:`E_{ii} = 1`, is added exactly rather than computed). The shift is
   folded into the matrix product by an extra coordinate,
   :math:`[\\beta y_i, -\\beta] \\cdot [y_j, 1]`, and the row sums come out of
   the value product the same way, :math:`E\\,[Y, \\mathbf 1]`, so the only
   elementwise pass over a block of scores is the exponential (computed as
   ``exp2`` of scores scaled by :math:`\\log_2 e` where numpy's ``exp2`` is
   the faster of the two).
2. :math:`E` is symmetric. Each off-diagonal tile :math:`E_{IJ}` (``I < J``)
   is computed once and used twice: rows ``I`` receive
   :math:`E_{IJ} [Y_J, \\mathbf 1]` and rows ``J`` receive
   :math:`E_{IJ}^\\top [Y_I, \\mathbf 1]`. This halves the score product and
   the exponentials, the costs that a one-sided kernel pays in full.

A tile holds at most ``max(block**2, 2**21 / itemsize)`` scores (2 MiB by
default), so memory stays ``O(n d + block * n)`` and no ``n``-by-``n``
matrix is formed. The row entropies use the same tiles,
:math:`H_i = \\log Z_i - Z_i^{-1} \\sum_j E_{ij} s_{ij}` with the shifted
scores :math:`s_{ij} = \\beta(\\langle y_i, y_j\\rangle - 1)`, summed term
by term; they need only row sums of the tiles, not the product with
:math:`Y`.
"""

from __future__ import annotations

import time
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

#: Entries (rows times columns) of one block of scores in :func:`_row_blocks`.
_BLOCK_ENTRIES = 1 << 21

# Tile shape of the symmetric kernel: _BLOCK rows by _TILE_BYTES / (_BLOCK *
# itemsize) columns (at least _BLOCK): 256 x 2048 in float32, 256 x 1024 in
# float64. Chosen by measurement (python -m benchmarks.tiles; AMD EPYC, 2
# cores, numpy 2.4 with OpenBLAS 0.3.31, Zen kernel "SkylakeX"; medians of
# interleaved rounds, CPU time with 1 thread, and wall time of calls with no
# other load on the machine with 2 threads):
# - float32, n = 8192, d = 64: every tile of 0.5 to 4 MiB with 128 to 512
#   rows is within 2% of the best at 1 thread (0.158 s); 128 x 512 is 6%
#   slower (more, smaller products), 512 x 8192 (16 MiB) 11% slower (out
#   of cache). With 2 threads, tiles of 256 rows and 512 to 4096 columns
#   tie (0.094-0.096 s); 128 x 512 and 512 x 1024 take 0.097 s, 64 x 512
#   0.119 s.
# - float32, n = 32768, d = 16 and 64: 256 x 2048 and 256 x 4096 are best;
#   8 MiB tiles lose 5-9%, 16 MiB tiles 18-35%.
# - float64, n = 8192, d = 64: 2 MiB tiles are best (256 x 1024: 0.347 s);
#   4 MiB lose 0-7%, 8 MiB 9-15%.
# So tiles are sized in bytes, 2 MiB (a core's L2 cache is 1 MiB, L3 32 MiB).
_BLOCK = 256
_TILE_BYTES = 1 << 21

_LOG2E = 1.4426950408889634  # log2(e): exp(x) = exp2(x log2 e)

#: Per dtype: use ``exp2`` (with scores scaled by log2 e) instead of ``exp``.
_EXP2: dict[np.dtype, bool] = {}


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
    return _unit_rows(as_tokens(X))


def _unit_rows(arr: np.ndarray) -> np.ndarray:
    """Rows of a validated token array scaled to unit norm (norms summed in float64)."""
    norms = np.sqrt(np.einsum("ij,ij->i", arr, arr, dtype=np.float64))
    return (arr / norms[:, None].astype(arr.dtype)).astype(arr.dtype, copy=False)


def _check_beta(beta: Any) -> float:
    return check_real(beta, "beta", low=0.0)


def _check_alpha(alpha: Any) -> float:
    return check_real(alpha, "alpha", low=0.0)


def _use_exp2(dtype: np.dtype) -> bool:
    """Whether numpy's ``exp2`` is clearly faster than ``exp`` here for ``dtype``.

    Only float32 is considered, timed once per process (well under a
    millisecond). With numpy's AVX-512 (SVML) loops, float32 ``exp2`` runs
    about 2.2 times faster than ``exp`` (0.20 vs 0.45 ns per entry on the
    benchmark machine, both within 1 ulp); elsewhere ``exp2`` may be a scalar
    loop, so it is not assumed. For float64 the gain was 16%, not worth a
    choice that could differ between processes: float64 always uses ``exp``.
    """
    key = np.dtype(dtype)
    if key != np.float32:
        return False
    if key not in _EXP2:
        x = np.linspace(-20.0, 0.0, 1 << 15, dtype=key)
        out = np.empty_like(x)

        def best(f: np.ufunc) -> float:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                f(x, out=out)
                times.append(time.perf_counter() - t0)
            return min(times)

        best(np.exp), best(np.exp2)  # warm up both loops
        _EXP2[key] = best(np.exp2) < 0.7 * best(np.exp)
    return _EXP2[key]


def _augment(Y: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """``(K, Q, c, clamp)`` with ``K = [Y, 1]`` and ``Q = c [Y, -1]``.

    ``Q[i] @ K[j] = c (<y_i, y_j> - 1)`` is the shifted score in the base of
    :func:`_exp_scores`: ``c = beta`` for ``exp``, ``c = beta log2(e)`` for
    ``exp2``. It is ``<= 0`` in exact arithmetic; rounding can make it
    slightly positive, by about ``beta * eps * d``, and ``clamp`` says
    whether that could matter (then scores are clipped at 0 before the
    exponential). ``c`` is capped far above the point where every
    off-diagonal weight underflows, so that ``Q`` stays finite.
    """
    n, d = Y.shape
    dtype = Y.dtype
    scale = beta * _LOG2E if _use_exp2(dtype) else beta
    c = dtype.type(min(scale, float(np.finfo(dtype).max) / 4.0))
    K = np.empty((n, d + 1), dtype=dtype)
    K[:, :d] = Y
    K[:, d] = 1.0
    Q = np.empty_like(K)
    np.multiply(Y, c, out=Q[:, :d])
    Q[:, d] = -c
    clamp = bool(scale * float(np.finfo(dtype).eps) * (d + 2) > 1.0)
    return K, Q, float(c), clamp


def _exp_scores(A: np.ndarray, B: np.ndarray, out: np.ndarray, clamp: bool) -> np.ndarray:
    """``out = base ** (A @ B.T)`` in place, ``base`` as chosen by :func:`_augment`.

    The exponent is clipped at 0 first if ``clamp``.
    """
    np.matmul(A, B.T, out=out)
    if clamp:
        np.minimum(out, 0.0, out=out)
    if _use_exp2(out.dtype):
        return np.exp2(out, out=out)
    return np.exp(out, out=out)


def _tile_shape(n: int, block: int | None, itemsize: int = 8) -> tuple[int, int]:
    """Rows and columns of one tile of the symmetric kernel (columns >= rows)."""
    rows = _BLOCK if block is None else check_int(block, "block", low=1)
    rows = min(rows, n)
    return rows, min(n, max(rows, _TILE_BYTES // (rows * itemsize)))


def _attend(Y: np.ndarray, beta: float, block: int | None) -> np.ndarray:
    """Off-diagonal sums ``S = [P', Z']``, shape ``(n, d + 1)``, dtype of ``Y``.

    ``P'_i = sum_{j != i} E_ij y_j`` and ``Z'_i = sum_{j != i} E_ij`` with
    ``E_ij = exp(beta (<y_i, y_j> - 1))``. The upper triangle of ``E`` is
    visited tile by tile; each off-diagonal tile serves its rows and, by
    symmetry, its columns.
    """
    n, d = Y.shape
    rows, cols = _tile_shape(n, block, Y.dtype.itemsize)
    K, Q, _, clamp = _augment(Y, beta)
    acc = np.zeros_like(K)
    tile = np.empty(rows * cols, dtype=Y.dtype)  # scores, then weights, in place
    part = np.empty(cols * (d + 1), dtype=Y.dtype)  # one tile's contribution

    def add(target: np.ndarray, E: np.ndarray, V: np.ndarray) -> None:
        t = part[: E.shape[0] * (d + 1)].reshape(E.shape[0], d + 1)
        np.matmul(E, V, out=t)
        target += t

    # Tiles are stored transposed, F = E_IJ^T of shape (columns, rows): the
    # product K_J Q_I^T (long side first) runs about 25% faster in OpenBLAS
    # than Q_I K_J^T, for the same numbers. The first tile of each row block
    # starts at the diagonal block E_II, which serves rows I only.
    for i0 in range(0, n, rows):
        bi = slice(i0, min(i0 + rows, n))
        m = bi.stop - i0
        for j0 in range(i0, n, cols):
            bj = slice(j0, min(j0 + cols, n))
            F = _exp_scores(K[bj], Q[bi], tile[: m * (bj.stop - j0)].reshape(-1, m), clamp)
            if j0 == i0:
                F.reshape(-1)[: m * m : m + 1] = 0.0  # self terms: added exactly later
                add(acc[bi], F.T, K[bj])
                if bj.stop > bi.stop:
                    add(acc[bi.stop : bj.stop], F[m:], K[bi])
            else:
                add(acc[bi], F.T, K[bj])
                add(acc[bj], F, K[bi])
    return acc


def _entropy_sums(Y: np.ndarray, beta: float, block: int | None) -> tuple[np.ndarray, np.ndarray]:
    """``(Z', T)``, float64: ``Z'_i = sum_{j != i} E_ij`` and ``T_i = sum_{j != i} E_ij s_ij``.

    ``s_ij = beta (<y_i, y_j> - 1) <= 0`` are the shifted scores and
    ``E = exp(s)``. Same symmetric tiles as :func:`_attend`, but each tile's
    scores are kept next to its weights, so that ``T`` is summed term by
    term: forming it as ``beta (Z'_i - <y_i, P'_i>)`` from the layer's sums
    would cancel badly when the tokens nearly coincide. Only row sums of the
    tiles are needed (matrix-vector products), not the product with ``Y``.
    """
    n, _ = Y.shape
    rows, cols = _tile_shape(n, block, Y.dtype.itemsize)
    K, Q, c, clamp = _augment(Y, beta)
    unit = beta / c if c > 0 else 0.0  # kernel units (base 2 or e, capped) to s
    Zp = np.zeros(n)
    T = np.zeros(n)
    scores = np.empty(rows * cols, dtype=Y.dtype)  # S, then E * S in place
    weights = np.empty(rows * cols, dtype=Y.dtype)
    ones = np.ones(cols, dtype=Y.dtype)
    exp = np.exp2 if _use_exp2(Y.dtype) else np.exp
    for i0 in range(0, n, rows):
        bi = slice(i0, min(i0 + rows, n))
        m = bi.stop - i0
        for j0 in range(i0, n, cols):
            bj = slice(j0, min(j0 + cols, n))
            k = (bj.stop - j0) * m
            S = np.matmul(K[bj], Q[bi].T, out=scores[:k].reshape(-1, m))  # S_IJ^T
            if clamp:
                np.minimum(S, 0.0, out=S)
            E = exp(S, out=weights[:k].reshape(-1, m))
            if j0 == i0:
                E.reshape(-1)[: m * m : m + 1] = 0.0  # no self terms (s_ii = 0)
            W = np.multiply(S, E, out=S)
            Zp[bi] += ones[: E.shape[0]] @ E
            T[bi] += ones[: E.shape[0]] @ W
            first = m if j0 == i0 else 0  # the diagonal block serves rows I only
            if E.shape[0] > first:
                below = slice(j0 + first, bj.stop)
                Zp[below] += E[first:] @ ones[:m]
                T[below] += W[first:] @ ones[:m]
    with np.errstate(over="ignore"):  # only for astronomically large beta
        T *= unit
    return Zp, T


def _block_rows(n: int, block: int | None, *, entries: int = _BLOCK_ENTRIES) -> int:
    """Rows per block for :func:`_row_blocks`: ``block`` (validated), or by default
    as many rows as keep one block of ``n`` scores per row within ``entries``."""
    if block is None:
        return max(1, min(n, entries // max(n, 1)))
    return min(check_int(block, "block", low=1), n)


def _row_blocks(Y: np.ndarray, beta: float, block: int) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield ``(rows, E)`` with ``E = exp(beta * (Y[rows] @ Y.T - 1))``, one block at a time.

    The self entries ``E[i, i]`` are exactly 1. (A one-sided stream for
    callers that need whole rows; the layer and the entropies use the
    symmetric kernel :func:`_attend`.)
    """
    n = Y.shape[0]
    K, Q, _, clamp = _augment(Y, beta)
    buf = np.empty(min(block, n) * n, dtype=Y.dtype)
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        m = rows.stop - start
        E = _exp_scores(Q[rows], K, buf[: m * n].reshape(m, n), clamp)
        E.reshape(-1)[start :: n + 1][:m] = 1.0
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
    _, E = next(_row_blocks(Y, beta, n))
    E /= E.sum(axis=1, keepdims=True)
    return E


def attention_layer(
    X: Any, beta: float, alpha: float = 0.0, *, block: int | None = None
) -> np.ndarray:
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
    Y = _unit_rows(Xa)
    beta = _check_beta(beta)
    alpha = _check_alpha(alpha)
    d = Y.shape[1]
    acc = _attend(Y, beta, block)
    out = np.add(acc[:, :d], Y)  # the self term E_ii y_i = y_i
    Z = acc[:, d]
    Z += 1.0
    out /= Z[:, None]
    if alpha:
        out += Xa.dtype.type(alpha) * Xa
    return out


def attention_entropy(X: Any, beta: float, *, block: int | None = None) -> np.ndarray:
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
    off, T = _entropy_sums(Y, beta, block)
    Z = off + 1.0  # the self term E_ii = 1
    with np.errstate(over="ignore", invalid="ignore"):  # as above
        H = np.log(Z) - T / Z
    return np.clip(H, 0.0, np.log(n), out=H)
