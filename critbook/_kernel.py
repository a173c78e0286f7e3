"""The one attention kernel of critbook (private).

Every public function that needs attention scores goes through this module:
the layer, its entropies, weights and largest weights, the Jacobian-vector
products, the phase and sparsity sweeps, the cluster count and ``diagnose``.

The scores of the tractable model
---------------------------------
Tokens are unit vectors ``y_i``, so the largest score of row ``i`` is its own,
``beta <y_i, y_i> = beta``. The kernel works with the *shifted* scores

.. math:: s_{ij} = \\beta (\\langle y_i, y_j \\rangle - 1) \\le 0, \\qquad
          E_{ij} = e^{s_{ij}} \\le 1 ,

so no max pass is needed, nothing overflows and every row sum
``Z_i = sum_j E_ij`` is at least one. The self terms are exact: ``s_ii = 0``
and ``E_ii = 1`` are written, not computed. The shift is folded into the
matrix product by an extra coordinate, ``[beta y_i, -beta] . [y_j, 1]``.

Numerical guards (one policy, :func:`_guards`): rounding can make a shifted
score slightly positive, by about ``beta * eps * d``; where that could matter
(``beta eps (d + 2) > 1``) scores are clipped at 0. In float32, exponents
in ``(-104, -87.3)`` give subnormal weights, which numpy's vector ``exp``
computes on a slow path (8 ns instead of 0.5 ns an entry, measured); where
scores can reach that far (``2 beta > 87``) they are clipped at ``-87``, so a
weight that should be below ``1.7e-38`` (zero, or subnormal) is ``1.7e-38``:
a change far below float32 resolution relative to the self weight 1.

The exponential is ``numpy.exp``, except for the float32 layer and entropies
on CPUs where numpy's float32 ``exp2`` is a vector loop (AVX-512), which use
``exp2`` of the scores scaled by ``log2 e`` (:data:`FLOAT32_BASE2`): a fact of
the machine read from numpy's dispatch table, never a timing, so the same
input gives the same bits in every process.

Two ways through the scores
---------------------------
- :meth:`Kernel.symmetric_tiles`: ``E`` is symmetric, so each tile ``E_IJ`` above
  the diagonal is computed once and serves rows ``I`` (through ``E_IJ``) and
  rows ``J`` (through ``E_IJ^T``): half the products and exponentials. Tiles
  are stored transposed, ``F = E_JI`` of shape ``(|J|, |I|)``, because
  OpenBLAS computes ``K_J Q_I^T`` (long side first) about 25% faster.
  Used by the layer, the entropies and :func:`critbook.jvp`.
- :func:`logit_row_blocks`: the general form for real heads, whose queries
  and keys differ (no self-score structure, causal and padding masks): blocks
  of whole rows of ``scale * Q K^T`` for all heads at once.
- :meth:`Kernel.row_blocks`: blocks of whole rows ``E_I,:`` (shape ``(|I|, n)``) for
  callers that need every weight of a row at once (sorting, maxima), and
  for query subsets (``queries``: the first ``m`` rows, or any index array).

Memory: one budget, :data:`TILE_BYTES`, for every tile and block (a tile of
the symmetric kernel, a block of whole rows times the number of values kept
per score); so memory is ``O(n d + TILE_BYTES)`` whatever ``n``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from ._checks import check_int

#: Bytes of one tile or block of scores (the one memory budget). Measured
#: (``python -m benchmarks tiles``; AMD EPYC, 2 cores, OpenBLAS 0.3.31): tiles
#: of 0.5 to 4 MiB with 128 to 512 rows are within 2% of the best in float32
#: at n = 8192, d = 64; 8 MiB tiles lose 5-9%, 16 MiB 18-35%.
TILE_BYTES = 1 << 22

#: Rows of a tile of the symmetric kernel (columns fill the budget).
TILE_ROWS = 256

#: Lowest float32 exponent kept (no subnormal weights; see the module notes).
FLOOR_FLOAT32 = -87.0

#: Rows of a block: a slice, or an index array (query subsets).
Index = slice | NDArray[np.intp]


def unit_rows(arr: NDArray[np.floating]) -> NDArray[np.floating]:
    """Rows of a validated token array scaled to unit norm (norms summed in float64)."""
    norms = np.sqrt(np.einsum("ij,ij->i", arr, arr, dtype=np.float64))
    return (arr / norms[:, None].astype(arr.dtype)).astype(arr.dtype, copy=False)


def tile_shape(n: int, itemsize: int, block: int | None = None) -> tuple[int, int]:
    """``(rows, cols)`` of a tile of the symmetric kernel: ``block`` (or
    :data:`TILE_ROWS`) rows and as many columns as fill :data:`TILE_BYTES`."""
    rows = TILE_ROWS if block is None else check_int(block, "block", low=1)
    rows = min(rows, n)
    return rows, min(n, max(rows, TILE_BYTES // (rows * itemsize)))


def block_rows(n: int, itemsize: int, block: int | None = None, *, width: int = 1) -> int:
    """Rows per block of whole rows: ``block`` (validated), or as many rows as
    keep ``width`` values per score of ``n`` columns within :data:`TILE_BYTES`."""
    if block is not None:
        return min(check_int(block, "block", low=1), n)
    return max(1, min(n, TILE_BYTES // (width * max(n, 1) * itemsize)))


def _simd_exp2() -> bool:
    """Whether numpy runs float32 ``exp2`` with a vector loop on this CPU (fixed per machine).

    Read from numpy's dispatch table (:func:`numpy.lib.introspect.opt_func_info`),
    never timed: with AVX-512, float32 ``exp2`` takes 0.40 ns an entry against
    0.75 ns for ``exp`` (measured, one thread); elsewhere it is a scalar loop.
    """
    try:
        from numpy.lib.introspect import opt_func_info

        info = opt_func_info(func_name="^exp2$", signature="float32")["exp2"]
        return not next(iter(info.values()))["current"].startswith("baseline")
    except Exception:  # an older numpy without the table, or a layout it does not have
        return False


#: Base of the exponential of the float32 layer and entropies: 2 where numpy's float32
#: ``exp2`` is vectorised (scores are then scaled by ``log2 e``), else ``e``.
FLOAT32_BASE2 = _simd_exp2()

_LOG2E = 1.4426950408889634


def _guards(
    scale: float, dtype: np.dtype, d: int, base2: bool = False
) -> tuple[float | None, float | None]:
    """``(low, high)`` clips of shifted scores at ``scale`` (``None``: not needed).

    ``scale`` is in the units of the exponential (``beta log2 e`` in base 2).
    """
    high = 0.0 if scale * float(np.finfo(dtype).eps) * (d + 2) > 1.0 else None
    floor = FLOOR_FLOAT32 * _LOG2E if base2 else FLOOR_FLOAT32
    low = floor if dtype == np.float32 and 2.0 * scale > -floor else None
    return low, high


def _clip(S: NDArray[np.floating], low: float | None, high: float | None) -> None:
    if low is not None or high is not None:
        np.clip(S, low, high, out=S)


def exp_scaled(
    S: NDArray[np.floating], scale: float | NDArray[np.floating], d: int
) -> NDArray[np.floating]:
    """``exp(scale * S)`` for shifted cosines ``S <= 0`` (from a kernel with
    ``beta = 1``), guarded as the kernel's own scores. ``scale`` may be an
    array that broadcasts against ``S`` (several betas at once); the result
    is a new array of the broadcast shape."""
    scale_arr = np.asarray(scale, dtype=S.dtype)
    out = np.multiply(scale_arr, S)
    low, high = _guards(float(scale_arr.max(initial=0.0)), S.dtype, d)
    _clip(out, low, high)
    return np.exp(out, out=out)


def _self_entries(I: Index, J: slice) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Positions ``(i_local, j_local)`` of the self entries ``i == j`` of the block ``(I, J)``."""
    idx = np.arange(I.start, I.stop) if isinstance(I, slice) else np.asarray(I)
    inside = (idx >= J.start) & (idx < J.stop)
    local = np.nonzero(inside)[0]
    return local, idx[local] - J.start


class Kernel:
    """Shifted scores ``s_ij = beta (<y_i, y_j> - 1)`` of unit tokens, a block at a time.

    Parameters
    ----------
    Y : ndarray, shape (n, d)
        Unit rows (float32 or float64; the blocks come in this dtype).
    beta : float
        Scaling factor ``>= 0``; ``beta = 1`` gives the shifted cosines
        ``<y_i, y_j> - 1`` for callers that scale them by several betas
        (:func:`exp_scaled`).
    fast_exp : bool
        For float32 tokens on a machine where :data:`FLOAT32_BASE2` holds, work
        in base 2: the blocks' scores are ``s_ij log2 e`` and the weights
        ``2 ** (s_ij log2 e)`` (the same weights, about twice as fast). Only
        for callers that use the weights or rescale the scores by :attr:`unit`.
    """

    def __init__(self, Y: NDArray[np.floating], beta: float, *, fast_exp: bool = False) -> None:
        n, d = Y.shape
        dt = Y.dtype
        self.Y, self.n, self.d = Y, n, d
        base2 = fast_exp and dt == np.float32 and FLOAT32_BASE2
        self._exp = np.exp2 if base2 else np.exp
        scale = float(beta) * (_LOG2E if base2 else 1.0)
        # The scale c of the scores, capped far beyond the point where every off-diagonal
        # weight underflows (so that Q stays finite).
        self.capped = scale > float(np.finfo(dt).max) / 4.0
        c = dt.type(min(scale, float(np.finfo(dt).max) / 4.0))
        self.c = float(c)
        #: Factor from the blocks' scores to ``s_ij`` (``log 2`` in base 2; 1 otherwise).
        self.unit = float(beta) / self.c if self.c > 0 else 1.0
        self.K = np.empty((n, d + 1), dtype=dt)  # [Y, 1]
        self.K[:, :d] = Y
        self.K[:, d] = 1.0
        self.Q = np.empty_like(self.K)  # c [Y, -1]
        np.multiply(Y, c, out=self.Q[:, :d])
        self.Q[:, d] = -c
        self.low, self.high = _guards(float(c), dt, d, base2)

    def _finish(self, S: NDArray[np.floating], rows: tuple, exp: bool) -> NDArray[np.floating]:
        _clip(S, self.low, self.high)
        S[rows] = 0.0  # the self scores, exactly
        return self._exp(S, out=S) if exp else S

    def exponential(
        self, S: NDArray[np.floating], out: NDArray[np.floating]
    ) -> NDArray[np.floating]:
        """The weights of a block of this kernel's scores (``exp`` or ``exp2``), into ``out``."""
        return self._exp(S, out=out)

    def tile(
        self, I: slice, J: slice, out: NDArray[np.floating], *, exp: bool = True
    ) -> NDArray[np.floating]:
        """The transposed tile ``F = E_JI`` (or the scores ``S_JI`` if not ``exp``).

        Shape ``(|J|, |I|)``, in the flat buffer ``out``."""
        F = out[: (J.stop - J.start) * (I.stop - I.start)].reshape(J.stop - J.start, -1)
        np.matmul(self.K[J], self.Q[I].T, out=F)
        i_loc, j_loc = _self_entries(I, J)
        return self._finish(F, (j_loc, i_loc), exp)

    def rows(
        self, I: Index, out: NDArray[np.floating] | None = None, *, exp: bool = True
    ) -> NDArray[np.floating]:
        """The block of whole rows ``E_I,:`` (or the scores), shape ``(len(I), n)``,
        in ``out`` (a flat buffer) if given."""
        Q = self.Q[I]
        if out is None:
            out = np.empty(Q.shape[0] * self.n, dtype=self.Y.dtype)
        E = out[: Q.shape[0] * self.n].reshape(Q.shape[0], self.n)
        np.matmul(Q, self.K.T, out=E)
        i_loc, j_loc = _self_entries(I, slice(0, self.n))
        return self._finish(E, (i_loc, j_loc), exp)

    def symmetric_tiles(
        self, block: int | None = None, *, exp: bool = True
    ) -> Iterator[tuple[slice, slice, NDArray[np.floating]]]:
        """Yield ``(I, J, F)`` over the tiles on and above the diagonal.

        ``F = E_JI``. The first tile of each row block is the diagonal block
        ``J = I`` (it serves rows ``I`` only); every later tile serves rows
        ``I`` through ``F^T`` and rows ``J`` through ``F``
        (:func:`accumulate`). The buffer is reused: consume ``F`` before the
        next step.
        """
        rows, cols = tile_shape(self.n, self.Y.dtype.itemsize, block)
        buf = np.empty(rows * cols, dtype=self.Y.dtype)
        for i0 in range(0, self.n, rows):
            I = slice(i0, min(i0 + rows, self.n))
            yield I, I, self.tile(I, I, buf, exp=exp)
            for j0 in range(I.stop, self.n, cols):
                J = slice(j0, min(j0 + cols, self.n))
                yield I, J, self.tile(I, J, buf, exp=exp)

    def row_blocks(
        self,
        queries: int | NDArray[np.intp] | None = None,
        block: int | None = None,
        *,
        width: int = 1,
        exp: bool = True,
    ) -> Iterator[tuple[Index, NDArray[np.floating]]]:
        """Yield ``(I, E_I,:)`` over blocks of whole rows.

        ``queries``: all rows (``None``), the first ``m`` rows (an int) or
        the rows of an index array. ``width``: values the caller keeps per
        score, for the block size (:func:`block_rows`). The buffer is reused.
        """
        if queries is None or isinstance(queries, (int, np.integer)):
            m = self.n if queries is None else int(queries)
            index = None
        else:
            index = np.asarray(queries)
            m = index.size
        b = block_rows(self.n, self.Y.dtype.itemsize, block, width=width)
        buf = np.empty(min(b, m) * self.n, dtype=self.Y.dtype)
        for start in range(0, m, b):
            I = slice(start, min(start + b, m)) if index is None else index[start : start + b]
            yield I, self.rows(I, buf, exp=exp)


def logit_row_blocks(
    Q: np.ndarray, K: np.ndarray, scale: float, mask: tuple[str, np.ndarray | None], block: int
) -> Iterator[tuple[slice, np.ndarray, np.ndarray | None]]:
    """The general row-block form, for real heads: yield ``(rows, S, allowed)``.

    For queries and keys of ``h`` heads, ``Q`` and ``K`` of shape ``(h, n, d)``,
    and ``mask = (kind, keep)`` with ``kind`` one of ``"none"``, ``"causal"``,
    ``"padding"`` (``keep``: the visible keys). No self-score structure is
    assumed, so the caller takes each row's maximum itself.

    ``S`` has shape ``(h, b, n)``: the logits ``scale * Q[:, rows] @ K^T`` of
    every head, with ``-inf`` where the key is masked; ``allowed`` is the
    ``(b, n)`` boolean mask of visible keys, or ``None`` when every key is
    visible. ``S`` is a reused buffer, valid until the next step.
    """
    h, n, _ = Q.shape
    kind, keep = mask
    Kt = K.transpose(0, 2, 1)
    Qs = Q * Q.dtype.type(scale)
    buf = np.empty((h, min(block, n), n), dtype=Q.dtype)
    cols = np.arange(n)
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        b = rows.stop - start
        S = np.matmul(Qs[:, rows], Kt, out=buf[:, :b])
        if kind == "none":
            allowed = None
        elif kind == "causal":
            allowed = cols[None, :] <= np.arange(start, rows.stop)[:, None]
        else:
            allowed = np.broadcast_to(keep, (b, n))
        if allowed is not None:
            S[:, ~allowed] = -np.inf
        yield rows, S, allowed


def accumulate(
    acc: NDArray[np.floating],
    I: slice,
    J: slice,
    F: NDArray[np.floating],
    V: NDArray[np.floating],
    part: NDArray[np.floating] | None = None,
) -> None:
    """``acc[I] += E_IJ V[J]`` and, off the diagonal, ``acc[J] += E_JI V[I]``, for ``F = E_JI``.

    ``part`` is an optional scratch buffer of at least ``max(|I|, |J|) * V.shape[1]``.
    """

    def add(target: NDArray[np.floating], E: NDArray[np.floating], W: NDArray[np.floating]):
        if part is None:
            target += E @ W
            return
        t = part[: E.shape[0] * W.shape[1]].reshape(E.shape[0], W.shape[1])
        np.matmul(E, W, out=t)
        target += t

    add(acc[I], F.T, V[J])
    if J != I:
        add(acc[J], F, V[I])


def entropy(Z: NDArray[np.floating], T: NDArray[np.floating], n: int) -> NDArray[np.float64]:
    """Row entropies ``log Z - T / Z`` (``T_i = sum_j E_ij s_ij``), clipped to ``[0, log n]``."""
    Z = np.asarray(Z, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # only for astronomically large beta
        H = np.log(Z) - np.asarray(T, dtype=np.float64) / Z
    return np.clip(H, 0.0, np.log(n), out=H)
