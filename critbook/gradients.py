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

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._checks import SeedLike, as_real_array, as_rng, as_tokens, check_int, check_real
from ._kernel import Kernel, accumulate, exp_scaled, tile_shape

__all__ = [
    "layer_jacobian",
    "finite_difference_jacobian",
    "jvp",
    "eta",
    "eta_hutchinson",
]

#: Largest ``n * d`` for which :func:`layer_jacobian` builds the dense Jacobian.
MAX_JACOBIAN_SIZE = 4096

#: Largest ``n`` for which :func:`eta` computes the exact value.
MAX_EXACT_N = 4096

#: Largest ``beta`` accepted by :func:`eta`, whose rounding error grows like ``1e-16 beta^2``.
MAX_EXACT_BETA = 1e6


def _prepare(
    X: ArrayLike, beta: ArrayLike, alpha: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Validated ``(X, Y, norms, beta, alpha)``, all float64."""
    Xa = np.asarray(as_tokens(X), dtype=np.float64)
    beta = check_real(beta, "beta", low=0.0)
    alpha = check_real(alpha, "alpha", low=0.0)
    norms = np.sqrt(np.einsum("ij,ij->i", Xa, Xa))
    return Xa, Xa / norms[:, None], norms, beta, alpha


def _weights_and_cosines(
    kernel: Kernel, G: NDArray[np.float64], beta: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Row-stochastic weights ``A`` at ``beta`` and the cosines ``c = G + 1`` of a block of
    shifted cosines ``G`` from ``kernel`` (``beta = 1``; self entries 0, so ``c_ii = 1``)."""
    A = exp_scaled(G, beta, kernel.d)
    A /= A.sum(axis=1, keepdims=True)
    return A, G + 1.0


def layer_jacobian(X: ArrayLike, beta: float, alpha: float = 0.0) -> NDArray[np.float64]:
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
    kernel = Kernel(Y, 1.0)
    A, c = _weights_and_cosines(kernel, kernel.rows(slice(0, n), exp=False), beta)
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
    X: ArrayLike, beta: float, alpha: float = 0.0, h: float = 1e-5
) -> NDArray[np.float64]:
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
    >>> import critbook as cb
    >>> X = cb.gaussian_tokens(4, 3, rho=0.2, rng=0)
    >>> J = cb.layer_jacobian(X, 2.0)
    >>> err = np.abs(cb.finite_difference_jacobian(X, 2.0) - J).max()
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
    U = _tangent(Y, r, V)
    # U_rows[k] = (u_k^1, ..., u_k^p), one row per token.
    U_rows = np.ascontiguousarray(U.transpose(1, 0, 2)).reshape(n, p * d)
    U_flat = U.reshape(p * n, d)
    kernel = Kernel(Y, 1.0)
    for rows, G in kernel.row_blocks(m, block, width=3 * p + 2, exp=False):
        nb = rows.stop - rows.start
        # dS / beta = <y_i, u_k> + <u_i, y_k>, per probe: (p, nb, n).
        dS = (Y[rows] @ U_flat.T).reshape(nb, p, n).transpose(1, 0, 2)
        dS += (U[:, rows].reshape(p * nb, d) @ Y.T).reshape(p, nb, n)
        for k, beta in enumerate(betas.tolist()):
            A = exp_scaled(G, beta, d)
            A /= A.sum(axis=1, keepdims=True)
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
) -> NDArray[np.float64]:
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
    U = _tangent(Y, r, V)
    kernel = Kernel(Y, beta)  # K = [Y, 1]
    # One product with E gives E Y, E u^1 .. E u^p and the row sums.
    values = np.hstack([Y, *U, np.ones((n, 1), dtype=Y.dtype)])
    left = [np.hstack([Y, U[q]]) for q in range(p)]  # dS_IJ = [Y, u]_I @ [u, Y]_J^T
    right = [np.hstack([U[q], Y]) for q in range(p)]
    acc_e = np.zeros_like(values)
    acc_w = np.zeros((p, n, d + 1), dtype=Y.dtype)  # [W Y, w]
    rows, cols = tile_shape(n, Y.dtype.itemsize, block)
    dsb = np.empty(rows * cols, dtype=Y.dtype)
    for I, J, F in kernel.symmetric_tiles(block):
        accumulate(acc_e, I, J, F, values)
        for q in range(p):
            D = np.matmul(right[q][J], left[q][I].T, out=dsb[: F.size].reshape(F.shape))
            D *= F  # W_JI
            accumulate(acc_w[q], I, J, D, kernel.K)
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


def check_return_std(return_std: object, probes: int, *, estimated: bool = True) -> None:
    """Validate ``return_std``: a flag; the standard error of an estimate needs two probes."""
    if not isinstance(return_std, (bool, np.bool_)):
        raise TypeError(f"return_std must be True or False, got {type(return_std).__name__}")
    if return_std and estimated and probes < 2:
        raise ValueError(
            f"probes must be >= 2 with return_std=True (a standard error needs two probes), "
            f"got {probes}"
        )


def _tangent(
    Y: NDArray[np.floating], r: NDArray[np.floating], V: NDArray[np.floating]
) -> NDArray[np.floating]:
    """``u_k = P_k v_k = (v_k - <y_k, v_k> y_k) / ||x_k||`` for a stack ``V``, shape ``(p, n, d)``:
    the change of the directions ``y_k`` along ``V``."""
    return (V - Y[None] * np.einsum("kb,pkb->pk", Y, V)[:, :, None]) / r[None, :, None]


def rademacher(
    gen: np.random.Generator, shape: tuple[int, ...], dtype: DTypeLike = np.float64
) -> NDArray[np.floating]:
    """Hutchinson's probes: independent entries ``+1`` or ``-1`` with equal chance."""
    return (gen.integers(0, 2, size=shape) * 2.0 - 1.0).astype(dtype, copy=False)


def jvp_squared_norms(
    Y: NDArray[np.floating],
    r: NDArray[np.floating],
    betas: NDArray[np.float64],
    alpha: float,
    V: NDArray[np.floating],
    rows: int | None = None,
    block: int | None = None,
) -> NDArray[np.float64]:
    """``||J(beta_k) v_p||^2`` over the output rows ``< rows`` (all by default),
    for every beta and probe: shape ``(len(betas), p)``.

    All rows: the symmetric-tile :func:`jvp` at each beta. A subset of rows:
    the multi-beta row-block form, which shares each block's cosines and score
    derivatives between the betas and touches only the rows asked for.
    """
    n = Y.shape[0]
    sq = np.zeros((betas.size, V.shape[0]))
    if rows is None or rows == n:
        for k, beta in enumerate(betas.tolist()):
            JV = _jvp_core(Y, r, beta, alpha, V, block)
            sq[k] = np.einsum("pia,pia->p", JV, JV)
        return sq
    for _, k, JV in _jvp_blocks(Y, r, betas, alpha, V, block, rows):
        sq[k] += np.einsum("pia,pia->p", JV, JV)
    return sq


def jvp(
    X: ArrayLike, beta: float, V: ArrayLike, alpha: float = 0.0, *, block: int | None = None
) -> NDArray[np.float64]:
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


def _quartic_features(Y: np.ndarray) -> NDArray[np.float64]:
    """Features ``phi(y)`` with ``<phi(y), phi(z)> = <y, z>^2`` (dimension ``d (d + 1) / 2``)."""
    n, d = Y.shape
    iu, ju = np.triu_indices(d, k=1)
    return np.concatenate([Y * Y, np.sqrt(2.0) * Y[:, iu] * Y[:, ju]], axis=1)


def eta(X: ArrayLike, beta: float, alpha: float = 0.0, *, block: int | None = None) -> float:
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
    kernel = Kernel(Y, 1.0)
    total = 0.0
    for rows, G in kernel.row_blocks(block=block, width=8, exp=False):
        A, c = _weights_and_cosines(kernel, G, beta)  # c_ik = <y_i, y_k>
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
    X: ArrayLike,
    beta: float,
    alpha: float = 0.0,
    probes: int = 64,
    rng: SeedLike = None,
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
    >>> est, se = eta_hutchinson(
    ...     X, beta=6.0, probes=32, rng=0, return_std=True
    ... )
    >>> bool(abs(est - eta(X, 6.0)) < 4 * se)
    True
    """
    _, Y, r, beta, alpha = _prepare(X, beta, alpha)
    probes = check_int(probes, "probes", low=1)
    batch = check_int(batch, "batch", low=1)
    check_return_std(return_std, probes)
    gen = as_rng(rng)
    n, d = Y.shape
    values = np.empty(probes)
    for start in range(0, probes, batch):
        k = min(batch, probes - start)
        V = rademacher(gen, (k, n, d))
        values[start : start + k] = jvp_squared_norms(
            Y, r, np.array([beta]), alpha, V, block=block
        )[0]
    values /= n * d
    estimate = float(values.mean())
    if not return_std:
        return estimate
    std = float(values.std(ddof=1) / np.sqrt(probes))
    return estimate, std
