"""Gradients of the attention layer: its Jacobian and the trainability index ``eta``.

The layer ``x_i' = sum_j A_ij y_j + alpha x_i`` (see :mod:`critbook.attention`)
is a map from ``R^(n d)`` to ``R^(n d)``. Its Jacobian ``J`` has the
``d x d`` blocks (with ``P_k = (I - y_k y_k^T) / ||x_k||``,
``m_i = sum_j A_ij y_j`` and ``C_i = sum_j A_ij y_j y_j^T - m_i m_i^T``)

.. math::

    \\frac{\\partial x_i'}{\\partial x_k}
    = A_{ik}\\big(I + \\beta (y_k - m_i) y_i^\\top\\big) P_k
    + \\delta_{ik}\\big(\\beta C_i P_i + \\alpha I\\big),

which for ``k = i`` reduces to ``(A_ii I + beta C_i) P_i + alpha I`` because
``y_i^T P_i = 0``. The paper's measure of gradient flow is the mean squared
singular value

.. math:: \\eta = \\frac{1}{n d} \\|J\\|_F^2 .

- :func:`layer_jacobian`: ``J`` as a dense ``(n d) x (n d)`` matrix (small ``n d``).
- :func:`finite_difference_jacobian`: the same by central differences, for checking.
- :func:`jvp`: ``J V`` without forming ``J``, streamed over blocks of rows.
- :func:`eta`: ``eta`` exactly, from scalar formulas for the block norms (no ``J``).
- :func:`eta_hutchinson`: Hutchinson's unbiased estimate of ``eta`` from :func:`jvp`.
- :func:`eta_phase_diagram`: ``eta`` over a ``(rho, gamma)`` grid (the paper's Figure 2).
- :func:`simplex_eta`: ``eta`` in closed form for the simplex, at any finite ``n``.
- :func:`simplex_eta_limit`: the ``n -> infinity`` limits (Theorem 2.4 of the paper).

All computations are in float64 (:func:`eta_phase_diagram` can use float32).
The block formula and the scalar formulas
are this book's derivation, checked against finite differences in the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ._checks import as_real_array, as_rng, as_tokens, as_vector, check_int, check_real, check_rho
from .attention import _augment, _exp_scores
from .attention import _block_rows as _attention_block_rows
from .simplex import CRITICAL_RTOL, _scalar_or_array, _weights

__all__ = [
    "layer_jacobian",
    "finite_difference_jacobian",
    "jvp",
    "eta",
    "eta_hutchinson",
    "eta_phase_diagram",
    "simplex_eta",
    "simplex_eta_limit",
]

#: Largest ``n * d`` for which :func:`layer_jacobian` builds the dense Jacobian.
MAX_JACOBIAN_SIZE = 4096

#: Largest ``n`` for which :func:`eta` computes the exact value.
MAX_EXACT_N = 4096

#: Largest ``beta`` accepted by :func:`eta`, whose rounding error grows like ``1e-16 beta^2``.
MAX_EXACT_BETA = 1e6

#: Entries of one block of per-probe scores in :func:`jvp` (probes * rows * n).
_BLOCK_ENTRIES = 1 << 20


def _prepare(
    X: Any, beta: Any, alpha: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Validated ``(X, Y, norms, beta, alpha)``, all float64."""
    Xa = np.asarray(as_tokens(X), dtype=np.float64)
    beta = check_real(beta, "beta", low=0.0)
    alpha = check_real(alpha, "alpha", low=0.0)
    norms = np.sqrt(np.einsum("ij,ij->i", Xa, Xa))
    return Xa, Xa / norms[:, None], norms, beta, alpha


def _cosines(Y: np.ndarray, rows: slice) -> np.ndarray:
    """``Y[rows] @ Y.T``, with the self cosines set to exactly 1 and all others clipped to 1."""
    c = Y[rows] @ Y.T
    np.minimum(c, 1.0, out=c)
    idx = np.arange(rows.stop - rows.start)
    c[idx, idx + rows.start] = 1.0
    return c


def _softmax_block(G: np.ndarray, beta: float) -> np.ndarray:
    """Row-stochastic ``softmax(beta * G)`` for a block of cosines ``G`` from :func:`_cosines`.

    Every row holds its self cosine 1, so every exponent is ``<= 0``, the
    largest is exactly 0, and each row sum is at least one.
    """
    E = np.exp(beta * (G - 1.0))
    E /= E.sum(axis=1, keepdims=True)
    return E


def _block_rows(n: int, width: int, block: int | None) -> int:
    """Rows per block when each row holds ``width`` blocks of ``n`` scores."""
    return _attention_block_rows(n, block, entries=_BLOCK_ENTRIES // width)


def layer_jacobian(X: Any, beta: float, alpha: float = 0.0) -> np.ndarray:
    """The exact Jacobian of :func:`critbook.attention_layer` with respect to ``X``.

    Built from the analytic ``d x d`` blocks (see the module docstring).
    Row ``i * d + a`` holds the derivatives of coordinate ``a`` of output
    token ``i``; column ``k * d + b`` is coordinate ``b`` of input token ``k``.
    Forms an ``(n d) x (n d)`` matrix, so it is meant for small examples:
    use :func:`jvp`, :func:`eta` or :func:`eta_hutchinson` for large ones.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row, finite and with no zero row.
    beta : float
        Attention scaling factor, finite and ``>= 0``.
    alpha : float, default 0.0
        Residual strength, finite and ``>= 0``.

    Returns
    -------
    numpy.ndarray, shape (n * d, n * d)
        ``J[i*d + a, k*d + b] = d x'_i[a] / d x_k[b]``, float64.

    Raises
    ------
    TypeError, ValueError
        On a bad ``X``, ``beta`` or ``alpha``, or if ``n * d`` exceeds
        ``MAX_JACOBIAN_SIZE = 4096``.

    Examples
    --------
    With ``beta = 0`` and one token the layer is the normalisation
    ``x -> x / ||x||``, whose Jacobian is ``(I - y y^T) / ||x||``:

    >>> import numpy as np
    >>> from critbook import layer_jacobian
    >>> layer_jacobian(np.array([[3.0, 4.0]]), beta=0.0)
    array([[ 0.128, -0.096],
           [-0.096,  0.072]])
    """
    Xa, Y, r, beta, alpha = _prepare(X, beta, alpha)
    n, d = Y.shape
    if n * d > MAX_JACOBIAN_SIZE:
        raise ValueError(
            f"X has n * d = {n * d} entries; layer_jacobian builds an (n d)-by-(n d) matrix and "
            f"allows n * d <= {MAX_JACOBIAN_SIZE}. Use jvp, eta or eta_hutchinson instead."
        )
    c = _cosines(Y, slice(0, n))
    A = _softmax_block(c, beta)
    m = A @ Y
    eye = np.eye(d)
    P = (eye[None] - Y[:, :, None] * Y[:, None, :]) / r[:, None, None]  # P[k] = P_k
    W = beta * (Y[None, :, :] - m[:, None, :])  # W[i, k] = beta (y_k - m_i)
    Z = (Y[:, None, :] - c[:, :, None] * Y[None, :, :]) / r[None, :, None]  # Z[i, k] = P_k y_i
    J = np.einsum("ik,kab->iakb", A, P) + np.einsum("ik,ika,ikb->iakb", A, W, Z)
    C = np.einsum("ij,ja,jb->iab", A, Y, Y) - m[:, :, None] * m[:, None, :]
    diag = beta * C @ P + alpha * eye  # (n, d, d)
    idx = np.arange(n)
    J[idx, :, idx, :] += diag
    return J.reshape(n * d, n * d)


def finite_difference_jacobian(
    X: Any, beta: float, alpha: float = 0.0, h: float = 1e-5
) -> np.ndarray:
    """The Jacobian of :func:`critbook.attention_layer` by central differences.

    Column ``k * d + b`` is ``(layer(X + h e) - layer(X - h e)) / (2 h)`` for
    the unit perturbation ``e`` of coordinate ``b`` of token ``k``: an
    independent check of :func:`layer_jacobian`, with error ``O(h^2)`` plus
    rounding of order ``1e-16 / h``. Costs ``2 n d`` layer evaluations.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row; ``n * d <= MAX_JACOBIAN_SIZE = 4096``.
    beta : float
        Attention scaling factor, finite and ``>= 0``.
    alpha : float, default 0.0
        Residual strength, finite and ``>= 0``.
    h : float, default 1e-5
        Step, ``> 0`` and below half the smallest token norm; for accuracy it
        should be much smaller than the token norms.

    Returns
    -------
    numpy.ndarray, shape (n * d, n * d)

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import finite_difference_jacobian, layer_jacobian, gaussian_tokens
    >>> X = gaussian_tokens(4, 3, rho=0.2, rng=0)
    >>> err = np.abs(finite_difference_jacobian(X, 2.0) - layer_jacobian(X, 2.0)).max()
    >>> bool(err < 1e-8)
    True
    """
    from .attention import attention_layer

    Xa, _, norms, beta, alpha = _prepare(X, beta, alpha)
    h = check_real(h, "h", low=0.0, low_open=True)
    n, d = Xa.shape
    if h >= 0.5 * norms.min():
        raise ValueError(
            f"h must be small compared with every token norm, below half the smallest norm "
            f"{norms.min():.6g} (so that no step X +- h e reaches zero); got h = {h!r}"
        )
    if n * d > MAX_JACOBIAN_SIZE:
        raise ValueError(
            f"X has n * d = {n * d} entries; finite_difference_jacobian builds an "
            f"(n d)-by-(n d) matrix and allows n * d <= {MAX_JACOBIAN_SIZE}"
        )
    J = np.empty((n * d, n * d))
    for col in range(n * d):
        E = np.zeros(n * d)
        E[col] = h
        E = E.reshape(n, d)
        diff = attention_layer(Xa + E, beta, alpha) - attention_layer(Xa - E, beta, alpha)
        J[:, col] = diff.ravel() / (2.0 * h)
    return J


def _jvp_blocks(
    Y: np.ndarray,
    r: np.ndarray,
    betas: np.ndarray,
    alpha: float,
    V: np.ndarray,
    block: int | None,
    m: int | None = None,
) -> Iterator[tuple[slice, int, np.ndarray]]:
    """Yield ``(rows, k, JV[:, rows])`` for a stack ``V`` of shape ``(p, n, d)``.

    ``JV`` is the product with the Jacobian at ``beta = betas[k]``, for the
    output rows ``0 .. m - 1`` (all rows by default). The parts that do not
    depend on ``beta`` (the cosines and the score derivatives of a block of
    rows) are computed once per block and shared by all betas.
    """
    p, n, d = V.shape
    m = n if m is None else m
    # U = P_k v_k: the change of the directions y_k.
    U = (V - Y[None] * np.einsum("kb,pkb->pk", Y, V)[:, :, None]) / r[None, :, None]
    # U_rows[k] = (u_k^1, ..., u_k^p), one row per token.
    U_rows = np.ascontiguousarray(U.transpose(1, 0, 2)).reshape(n, p * d)
    U_flat = U.reshape(p * n, d)
    b = _block_rows(n, 2 * p, block)
    for start in range(0, m, b):
        rows = slice(start, min(start + b, m))
        nb = rows.stop - rows.start
        c = _cosines(Y, rows)  # (nb, n)
        # dS / beta = <y_i, u_k> + <u_i, y_k>, per probe: (p, nb, n).
        dS = (Y[rows] @ U_flat.T).reshape(nb, p, n).transpose(1, 0, 2)
        dS += (U[:, rows].reshape(p * nb, d) @ Y.T).reshape(p, nb, n)
        for k, beta in enumerate(betas.tolist()):
            A = _softmax_block(c, beta)
            mean = A @ Y  # m_i, (nb, d)
            AU = (A @ U_rows).reshape(nb, p, d).transpose(1, 0, 2)  # sum_k A_ik u_k
            W = dS * A[None]
            rs = W.sum(axis=2)  # (p, nb)
            dA_Y = (W.reshape(p * nb, n) @ Y).reshape(p, nb, d)
            out = AU + beta * (dA_Y - rs[:, :, None] * mean[None])
            if alpha:
                out += alpha * V[:, rows]
            yield rows, k, out


def _jvp_core(
    Y: np.ndarray, r: np.ndarray, beta: float, alpha: float, V: np.ndarray, block: int | None
) -> np.ndarray:
    """``J V`` for a stack ``V`` of shape ``(p, n, d)``; returns the same shape.

    With ``E_ij = exp(beta (<y_i, y_j> - 1))``, ``Z_i = sum_j E_ij``,
    ``u_k = P_k v_k`` and ``dS_ij = <y_i, u_j> + <u_i, y_j>`` (all symmetric),

    ``(J V)_i = (E U)_i / Z_i + beta ((W Y)_i - w_i m_i) / Z_i + alpha v_i``

    with ``W = E * dS``, ``w_i = sum_j W_ij`` and ``m_i = (E Y)_i / Z_i``.
    Because ``E`` and ``W`` are symmetric, only tiles on and above the
    diagonal are formed; each feeds its rows and its columns (as in
    :func:`critbook.attention_layer`), and the division by ``Z`` is done once
    at the end. Memory ``O(p n d + rows * cols)``.
    """
    p, n, d = V.shape
    U = (V - Y[None] * np.einsum("kb,pkb->pk", Y, V)[:, :, None]) / r[None, :, None]
    K, Q, _, clamp = _augment(Y, beta)  # float64: base e, K = [Y, 1], Q = beta [Y, -1]
    # One product with E gives E Y, E u^1 .. E u^p and the row sums.
    values = np.hstack([Y, *U, np.ones((n, 1))])
    left = [np.hstack([Y, U[q]]) for q in range(p)]  # dS_IJ = [Y, u]_I @ [u, Y]_J^T
    right = [np.hstack([U[q], Y]) for q in range(p)]
    acc_e = np.zeros_like(values)
    acc_w = np.zeros((p, n, d + 1))  # [W Y, w]
    rows = min(n, 256) if block is None else _attention_block_rows(n, block)
    cols = max(rows, 1024)
    tile = np.empty(rows * cols)
    dsb = np.empty(rows * cols)
    for i0 in range(0, n, rows):
        I = slice(i0, min(i0 + rows, n))  # noqa: E741
        m = I.stop - i0
        for j0 in [i0, *range(I.stop, n, cols)]:
            J = I if j0 == i0 else slice(j0, min(j0 + cols, n))
            c = J.stop - J.start
            F = tile[: c * m].reshape(c, m)  # F = E_JI = E_IJ^T
            _exp_scores(K[J], Q[I], F, clamp)
            diagonal = j0 == i0
            if diagonal:
                F.reshape(-1)[:: m + 1] = 1.0  # the self terms exactly
            acc_e[I] += F.T @ values[J]
            if not diagonal:
                acc_e[J] += F @ values[I]
            for q in range(p):
                D = dsb[: c * m].reshape(c, m)
                np.matmul(right[q][J], left[q][I].T, out=D)
                D *= F
                acc_w[q, I] += D.T @ K[J]
                if not diagonal:
                    acc_w[q, J] += D @ K[I]
    Z = acc_e[:, -1:]
    mean = acc_e[:, :d] / Z
    out = np.empty_like(V)
    for q in range(p):
        eu = acc_e[:, d * (q + 1) : d * (q + 2)] / Z
        wy = acc_w[q, :, :d] / Z
        w = acc_w[q, :, d:] / Z
        out[q] = eu + beta * (wy - w * mean)
        if alpha:
            out[q] += alpha * V[q]
    return out


def _squared_norms(
    Y: np.ndarray,
    r: np.ndarray,
    betas: np.ndarray,
    alpha: float,
    V: np.ndarray,
    block: int | None,
    m: int | None = None,
) -> np.ndarray:
    """``||J(beta_k) v_p||^2`` (output rows ``< m``) for every beta and probe.

    Returns an array of shape ``(len(betas), p)``.
    """
    sq = np.zeros((betas.size, V.shape[0]))
    for _, k, JV in _jvp_blocks(Y, r, betas, alpha, V, block, m):
        sq[k] += np.einsum("pia,pia->p", JV, JV)
    return sq


def jvp(X: Any, beta: float, V: Any, alpha: float = 0.0, *, block: int | None = None) -> np.ndarray:
    """The Jacobian-vector product ``J V`` of the attention layer, matrix-free.

    The directional derivative of :func:`critbook.attention_layer` at ``X``
    in the direction ``V``. Streams over symmetric tiles like the layer
    itself (each tile on or above the diagonal serves its rows and its
    columns): memory ``O(p n d + block * 1024)``, no ``n``-by-``n`` or
    ``(n d)``-by-``(n d)`` matrix. Cost about 2.5 float64 layer evaluations
    per direction (measured at n = 1024 and 4096, d = 64).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row.
    beta : float
        Attention scaling factor, finite and ``>= 0``.
    V : array_like, shape (n, d) or (p, n, d)
        A direction (same shape as ``X``), or a stack of ``p`` directions
        processed together.
    alpha : float, default 0.0
        Residual strength, finite and ``>= 0``.
    block : int, optional
        Rows per tile (a memory/speed trade-off; default 256); the result does
        not depend on it beyond rounding.

    Returns
    -------
    numpy.ndarray, same shape as ``V``
        ``(J V)_i = sum_k (d x_i' / d x_k) v_k``, float64.

    Raises
    ------
    TypeError, ValueError
        On a bad ``X``, ``beta``, ``alpha`` or ``block``, or a ``V`` whose
        shape is neither ``(n, d)`` nor ``(p, n, d)``.

    Examples
    --------
    The layer is unchanged when a token is rescaled (only ``y_k`` enters),
    so the direction ``V = X`` is in the kernel when ``alpha = 0``:

    >>> import numpy as np
    >>> from critbook import jvp, gaussian_tokens
    >>> X = gaussian_tokens(50, 8, rho=0.3, rng=0)
    >>> float(np.abs(jvp(X, beta=3.0, V=X)).max()) < 1e-14
    True
    """
    _, Y, r, beta, alpha = _prepare(X, beta, alpha)
    Va = as_real_array(V, "V")
    single = Va.ndim == 2
    if Va.shape[-2:] != Y.shape or Va.ndim not in (2, 3):
        raise ValueError(
            f"V must have the shape of X, {Y.shape}, or (p, {Y.shape[0]}, {Y.shape[1]}); "
            f"got shape {Va.shape}"
        )
    out = _jvp_core(Y, r, beta, alpha, Va[None] if single else Va, block)
    return out[0] if single else out


def _quartic_features(Y: np.ndarray) -> np.ndarray:
    """Features ``phi(y)`` with ``<phi(y), phi(z)> = <y, z>^2`` (dimension ``d (d + 1) / 2``)."""
    n, d = Y.shape
    iu, ju = np.triu_indices(d, k=1)
    return np.concatenate([Y * Y, np.sqrt(2.0) * Y[:, iu] * Y[:, ju]], axis=1)


def eta(X: Any, beta: float, alpha: float = 0.0, *, block: int | None = None) -> float:
    """The mean squared singular value ``eta = ||J||_F^2 / (n d)``, exactly.

    Uses closed forms for the Frobenius norm of every Jacobian block in terms
    of inner products (cosines ``<y_i, y_k>``, ``<y_k, m_i>``, ...), so ``J``
    is never built. The cost is ``O(n^2 d + n^2 min(n, d^2))``, the memory
    ``O(n^2)`` at most, hence the limit ``n <= MAX_EXACT_N = 4096``. For
    longer contexts use :func:`eta_hutchinson`. The softmax-derivative terms
    carry a factor ``beta^2``, so the absolute rounding error is of order
    ``1e-16 * beta^2 / q`` (``1e-12`` at ``beta = 100``); ``beta`` is limited
    to ``MAX_EXACT_BETA = 1e6``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row.
    beta : float
        Attention scaling factor, in ``[0, 1e6]``.
    alpha : float, default 0.0
        Residual strength, finite and ``>= 0``.
    block : int, optional
        Rows per block; the result does not depend on it.

    Returns
    -------
    float
        ``eta >= 0``. ``eta = (1 - 1/d) / q`` when attention is the identity
        and all tokens have squared norm ``q``.

    Raises
    ------
    TypeError, ValueError
        On a bad ``X``, ``beta``, ``alpha`` or ``block``, ``beta > 1e6`` or
        ``n > 4096``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import eta, layer_jacobian, gaussian_tokens
    >>> X = gaussian_tokens(6, 4, rho=0.5, rng=1)
    >>> J = layer_jacobian(X, beta=2.0, alpha=0.5)
    >>> bool(np.isclose(eta(X, 2.0, 0.5), np.sum(J**2) / J.shape[0]))
    True
    """
    _, Y, r, beta, alpha = _prepare(X, beta, alpha)
    n, d = Y.shape
    if beta > MAX_EXACT_BETA:
        raise ValueError(
            f"beta must lie in [0, {MAX_EXACT_BETA:g}] for eta (its rounding error grows like "
            f"1e-16 beta^2), got {beta:g}. Use eta_hutchinson for larger beta."
        )
    if n > MAX_EXACT_N:
        raise ValueError(
            f"X has n = {n} rows; eta computes the exact value for n <= {MAX_EXACT_N}. "
            "Use eta_hutchinson for longer contexts."
        )
    q = r * r
    # T1_i = sum_{j,l} A_ij A_il <y_j, y_l>^2, through features or the n x n kernel.
    use_features = d * (d + 1) // 2 <= n
    Phi = _quartic_features(Y) if use_features else None
    K = None if use_features else (Y @ Y.T) ** 2
    b = _block_rows(n, 2, block)
    total = 0.0
    for start in range(0, n, b):
        rows = slice(start, min(start + b, n))
        c = _cosines(Y, rows)  # c_ik = <y_i, y_k>
        A = _softmax_block(c, beta)
        m = A @ Y
        mu = m @ Y.T  # mu_ik = <m_i, y_k>
        Ac = A * c
        mu_ii = Ac.sum(axis=1)  # <y_i, m_i>
        nu = np.einsum("ia,ia->i", m, m)  # ||m_i||^2
        # Off-diagonal structure: sum_k A_ik^2 ||(I + beta (y_k - m_i) y_i^T) P_k||_F^2.
        M2 = (d - 1.0) + 2.0 * beta * (c * mu - mu_ii[:, None])
        M2 += beta**2 * (1.0 - 2.0 * mu + nu[:, None]) * (1.0 - c * c)
        M2 /= q[None, :]
        total += float(np.sum(A * A * M2))
        # Diagonal correction: 2 A_ii <P_i, D_i> + ||D_i||^2 with D_i = beta C_i P_i + alpha I.
        qi, ri = q[rows], r[rows]
        a_ii = A[np.arange(A.shape[0]), np.arange(rows.start, rows.stop)]
        tr_CP = (1.0 - nu) - (np.sum(Ac * c, axis=1) - mu_ii**2)  # tr(C_i (I - y_i y_i^T))
        T1 = np.sum((A @ Phi) ** 2, axis=1) if use_features else np.sum((A @ K) * A, axis=1)
        C_F2 = T1 - 2.0 * np.sum(A * mu * mu, axis=1) + nu**2  # ||C_i||_F^2
        Sy = Ac @ Y  # S_i y_i with S_i = sum_j A_ij y_j y_j^T
        Cy2 = np.einsum("ia,ia->i", Sy, Sy) - 2.0 * mu_ii * np.sum(Ac * mu, axis=1)
        Cy2 += mu_ii**2 * nu  # ||C_i y_i||^2
        tr_C2P = C_F2 - Cy2  # tr(C_i^2 (I - y_i y_i^T))
        D = 2.0 * a_ii * (beta * tr_CP / qi + alpha * (d - 1.0) / ri)
        D += beta**2 * tr_C2P / qi + 2.0 * alpha * beta * tr_CP / ri + alpha**2 * d
        total += float(np.sum(D))
    return max(total, 0.0) / (n * d)


def eta_hutchinson(
    X: Any,
    beta: float,
    alpha: float = 0.0,
    probes: int = 64,
    rng: Any = None,
    *,
    return_std: bool = False,
    batch: int = 8,
    block: int | None = None,
) -> float | tuple[float, float]:
    """Hutchinson's unbiased estimate of ``eta = ||J||_F^2 / (n d)``.

    For a random ``v`` with independent entries ``+1`` or ``-1``,
    ``E ||J v||^2 = tr(J^T J) = ||J||_F^2`` (Hutchinson, 1989). The estimate
    averages ``||J v||^2 / (n d)`` over ``probes`` such vectors, each
    computed by :func:`jvp`; nothing of size ``n^2`` is stored, so it runs
    at ``n`` in the thousands.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, one per row.
    beta : float
        Attention scaling factor, finite and ``>= 0``.
    alpha : float, default 0.0
        Residual strength, finite and ``>= 0``.
    probes : int, default 64
        Number of random sign vectors, ``>= 1``.
    rng : None, int or numpy.random.Generator
        Source of the probes; a seed gives a reproducible estimate.
    return_std : bool, default False
        Also return the standard error of the estimate (the sample standard
        deviation over probes divided by ``sqrt(probes)``; needs
        ``probes >= 2``).
    batch : int, default 8
        Probes processed together (vectorised) in one pass over the rows.
    block : int, optional
        Rows per block in :func:`jvp`.

    Returns
    -------
    float, or (float, float) if ``return_std``
        The estimate of ``eta`` (and its standard error).

    Raises
    ------
    TypeError, ValueError
        On a bad ``X``, ``beta``, ``alpha``, ``probes``, ``rng``, ``batch``
        or ``block``.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import eta, eta_hutchinson, gaussian_tokens
    >>> X = gaussian_tokens(100, 32, rho=0.3, rng=0)
    >>> est, se = eta_hutchinson(X, beta=6.0, probes=32, rng=0, return_std=True)
    >>> bool(abs(est - eta(X, 6.0)) < 4 * se)
    True
    """
    _, Y, r, beta, alpha = _prepare(X, beta, alpha)
    probes = check_int(probes, "probes", low=1)
    batch = check_int(batch, "batch", low=1)
    if not isinstance(return_std, (bool, np.bool_)):
        raise TypeError(f"return_std must be True or False, got {type(return_std).__name__}")
    if return_std and probes < 2:
        raise ValueError(
            f"probes must be >= 2 with return_std=True (a standard error needs two probes), "
            f"got {probes}"
        )
    gen = as_rng(rng)
    n, d = Y.shape
    values = np.empty(probes)
    for start in range(0, probes, batch):
        k = min(batch, probes - start)
        V = gen.integers(0, 2, size=(k, n, d)).astype(np.float64) * 2.0 - 1.0
        values[start : start + k] = _squared_norms(Y, r, np.array([beta]), alpha, V, block)[0]
    values /= n * d
    estimate = float(values.mean())
    if not return_std:
        return estimate
    std = float(values.std(ddof=1) / np.sqrt(probes))
    return estimate, std


def eta_phase_diagram(
    rhos: Any,
    gammas: Any,
    n: int,
    d: int,
    rng: Any = None,
    probes: int = 4,
    *,
    alpha: float = 0.0,
    method: str = "hutchinson",
    rows: int | None = None,
    return_std: bool = False,
    batch: int = 8,
    dtype: Any = np.float64,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """``eta`` of one layer on Gaussian tokens over a ``(rho, gamma)`` grid.

    The backward counterpart of :func:`critbook.phase_diagram` (the paper's
    Figure 2): for each ``rho`` the tokens are
    ``gaussian_tokens(n, d, rho, rng=seed)`` (one draw of ``z_0, ..., z_n``
    shared by all columns), ``beta = gamma log n``, and ``eta`` is estimated
    by Hutchinson's method (:func:`eta_hutchinson`) or computed exactly
    (:func:`eta`). The Hutchinson probes are also shared by all grid points,
    and the parts of the computation that do not depend on ``gamma`` are
    done once per ``rho``.

    Parameters
    ----------
    rhos : array_like, shape (R,)
        Shared-component weights, each in ``[0, 1)``.
    gammas : array_like, shape (K,)
        Scaling constants, each finite and ``>= 0``.
    n : int
        Number of tokens, ``>= 2`` (``<= 4096`` for ``method="exact"``).
    d : int
        Token dimension, ``>= 1``.
    rng : None, int or numpy.random.Generator
        Source of the tokens and of the probes.
    probes : int, default 4
        Hutchinson probes per grid point, ``>= 1`` (ignored by ``"exact"``).
    alpha : float, default 0.0
        Residual strength, ``>= 0``.
    method : {"hutchinson", "exact"}, default "hutchinson"
    rows : int, optional
        Hutchinson only: use the output rows of the first ``rows`` tokens
        (each still attends to, and is differentiated with respect to, all
        ``n`` tokens), i.e. estimate ``||J_S||_F^2 / (|S| d)`` for the row
        set ``S``. The tokens are exchangeable, so this has the same mean as
        ``eta`` at a cost ``O(rows n d)`` instead of ``O(n^2 d)`` per grid
        point. Default: all ``n`` rows.
    return_std : bool, default False
        Also return the standard errors (zeros for ``"exact"``; the
        Hutchinson method then needs ``probes >= 2``).
    batch : int, default 8
        Probes processed together.
    dtype : numpy.float32 or numpy.float64, default float64
        Hutchinson only: precision of the products. float32 is about twice
        as fast and accurate to about ``1e-6`` relative, far below the
        sampling error of a few probes.

    Returns
    -------
    numpy.ndarray, shape (K, R), or a pair of them if ``return_std``
        ``out[k, j]`` is ``eta`` at ``gamma = gammas[k]``, ``rho = rhos[j]``:
        one row per gamma, ready for ``pcolormesh(rhos, gammas, out)``.

    Raises
    ------
    TypeError, ValueError
        On a bad argument; the message names it.

    Examples
    --------
    At ``d = 512`` gradients vanish below ``gamma_c = 1 / (1 - rho) = 2``,
    ``eta`` is near ``1/4`` at it and near ``1 - 1/d`` above it:

    >>> from critbook import eta_phase_diagram
    >>> E = eta_phase_diagram([0.5], [1.0, 2.0, 4.0], n=200, d=512, rng=0, probes=2)
    >>> E.shape
    (3, 1)
    >>> E.ravel().round(2)
    array([0.01, 0.24, 0.98])
    """
    rhos = as_vector(rhos, "rhos", low=0.0, high=1.0, high_open=True)
    gammas = as_vector(gammas, "gammas", low=0.0)
    n = check_int(n, "n", low=2)
    d = check_int(d, "d", low=1)
    probes = check_int(probes, "probes", low=1)
    alpha = check_real(alpha, "alpha", low=0.0)
    batch = check_int(batch, "batch", low=1)
    if not isinstance(method, str) or method not in ("hutchinson", "exact"):
        raise ValueError(f"method must be 'hutchinson' or 'exact', got {method!r}")
    if not isinstance(return_std, (bool, np.bool_)):
        raise TypeError(f"return_std must be True or False, got {type(return_std).__name__}")
    if return_std and probes < 2 and method == "hutchinson":
        raise ValueError(
            f"probes must be >= 2 with return_std=True (a standard error needs two probes), "
            f"got {probes}"
        )
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dt}")
    m = n if rows is None else check_int(rows, "rows", low=1)
    if m > n:
        raise ValueError(f"rows must be between 1 and n = {n}, got {m}")
    if method == "exact" and n > MAX_EXACT_N:
        raise ValueError(
            f"n must be at most {MAX_EXACT_N} for method='exact'; got n = {n}. "
            "Use method='hutchinson'."
        )
    if method == "exact" and gammas.max() * np.log(n) > MAX_EXACT_BETA:
        raise ValueError(
            f"gammas must satisfy gamma log n <= {MAX_EXACT_BETA:g} for method='exact'; "
            f"got gamma = {gammas.max():g} with n = {n}. Use method='hutchinson'."
        )
    gen = as_rng(rng)
    # The same arithmetic as gaussian_tokens, so that seeds agree.
    Z = gen.standard_normal((n + 1, d)) / np.sqrt(d)
    seeds = gen.integers(0, 2**63, size=-(-probes // batch))
    betas = gammas * np.log(n)
    out = np.empty((gammas.size, rhos.size))
    std = np.zeros_like(out)
    for j, rho in enumerate(rhos):
        X = np.sqrt(rho) * Z[0] + np.sqrt(1.0 - rho) * Z[1:]
        if method == "exact":
            out[:, j] = [eta(X, float(beta), alpha) for beta in betas]
            continue
        r = np.sqrt(np.einsum("ij,ij->i", X, X))
        Y = (X / r[:, None]).astype(dt)
        r = r.astype(dt)
        values = np.empty((gammas.size, probes))
        for b, seed in enumerate(seeds):
            k = min(batch, probes - b * batch)
            V = (np.random.default_rng(seed).integers(0, 2, size=(k, n, d)) * 2.0 - 1.0).astype(dt)
            values[:, b * batch : b * batch + k] = _squared_norms(Y, r, betas, alpha, V, None, m)
        values /= m * d
        out[:, j] = values.mean(axis=1)
        if return_std:
            std[:, j] = values.std(axis=1, ddof=1) / np.sqrt(probes)
    return (out, std) if return_std else out


def simplex_eta(
    n: Any, beta: Any, rho: Any, q: Any = 1.0, alpha: Any = 0.0, d: Any = None
) -> Any:
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
    >>> bool(np.isclose(simplex_eta(n, beta, rho), eta(simplex_tokens(n, rho), beta)))
    True
    >>> round(simplex_eta(1e12, np.log(1e12) / (1 - 0.3), 0.3), 3)  # tends to 1/4
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
    return _scalar_or_array(out)


def simplex_eta_limit(
    gamma: Any, rho: Any, q: Any = 1.0, d: Any = None, alpha: Any = 0.0
) -> Any:
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
    kappa = gamma * (1.0 - rho)
    p = np.where(np.abs(kappa - 1.0) <= CRITICAL_RTOL, 0.5, np.where(kappa < 1.0, 0.0, 1.0))
    out = (1.0 - inv_d) * (p * p / q + 2.0 * alpha * p / np.sqrt(q)) + alpha**2
    return _scalar_or_array(out)
