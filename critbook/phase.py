"""Sweeps over ``(rho, gamma)``: phase diagrams and the sparse regime.

- :func:`phase_diagram`: one attention layer on Gaussian tokens for every
  ``(rho, gamma)`` of a grid, summarised by a metric (the angle ratio
  ``lambda`` of the paper's Figure 1, the mean output cosine, the largest
  pairwise angle ratio, or the mean self weight).
- :func:`top_mass_count`: for every query token, the number of tokens that
  hold a given share (say 90%) of its attention weight; streamed over blocks
  of rows.
- :func:`sparsity_sweep`: that count against ``n`` for several ``gamma``.
- :func:`approach_exponent`: how fast the simplex layer reaches its
  ``n -> infinity`` limit (this book's derivation).

Everything uses ``beta = gamma log n`` (natural logarithm).

How :func:`phase_diagram` stays fast: it draws one set of Gaussian vectors
(per draw) and reuses it for every ``rho``; for each ``rho`` it forms the
scores of the query rows once and evaluates every ``gamma`` from them, in
chunks of ``gamma`` values that are exponentiated and multiplied in one
batched product. The angle ratio is computed from the trace identity

.. math::

    \\sum_{i \\ne j} W_{ij} \\bigl(1 - \\langle y_i', y_j'\\rangle\\bigr)
    = \\sum_i w_i \\|u_i\\|^2 - \\sum_i \\langle u_i, (W u)_i\\rangle ,

with ``W_ij = 1 / (1 - <y_i, y_j>)`` (zero diagonal), ``w_i = sum_j W_ij``
and ``u_i = y_i' - c`` the output directions centred at their mean ``c``
(the identity holds for any ``c``; centring keeps it accurate when the
tokens have collapsed and all ``u_i`` are tiny). Nearly parallel pairs, for
which ``W_ij`` is huge, are taken out of the identity and computed from
explicit differences.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import as_real_array, as_rng, as_vector, check_int, check_real, check_rho
from .attention import normalize
from .simplex import CRITICAL_RTOL

__all__ = [
    "PHASE_METRICS",
    "phase_diagram",
    "top_mass_count",
    "sparsity_sweep",
    "approach_exponent",
]

#: Metrics understood by :func:`phase_diagram`.
PHASE_METRICS = ("angle_ratio", "max_angle_ratio", "mean_cosine", "self_weight")

#: Largest ``n`` accepted by :func:`phase_diagram`, which keeps a
#: ``rows``-by-``n`` block of scores (``n``-by-``n`` with ``rows=None``) in memory.
MAX_PHASE_N = 4096

#: Entries of one batch of attention weights (chunk of gammas x rows x n).
_CHUNK_ENTRIES = 1 << 22


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be numpy.float32 or numpy.float64, got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be numpy.float32 or numpy.float64, got {dt}")
    return dt


#: Pairs with ``1 - <y_i, y_j>`` below this are "close": their terms of the
#: angle ratio are computed from explicit differences ``|y_i - y_j|^2 / 2``
#: (the trace identity would lose them to rounding), in float64.
_CLOSE = 1e-6


def _column(
    Y: np.ndarray,
    X_rows: np.ndarray,
    betas: np.ndarray,
    alpha: float,
    m: int,
    metrics: tuple[str, ...],
    dtype: np.dtype,
) -> np.ndarray:
    """Every metric for every beta, for unit tokens ``Y`` (float64) and query rows ``:m``.

    Returns an array of shape ``(len(metrics), len(betas))``. The
    ``(rows, gammas, n)`` stage (exponentials, sums, the product with ``Y``)
    runs in ``dtype``; the ``rows``-by-``rows`` angle stage in ``dtype`` if
    that is accurate to ``1e-6``, else in float64. Nearly parallel query
    pairs are handled exactly (explicit differences, float64 throughout).
    """
    n, d = Y.shape
    G = Y[:m] @ Y.T  # scores of the query rows, float64
    G[np.arange(m), np.arange(m)] = 1.0  # exactly: the self score is the largest
    out = np.empty((len(metrics), betas.size))
    rows = {name: out[i] for i, name in enumerate(metrics)}
    need_outputs = any(name != "self_weight" for name in metrics)
    need_angles = "angle_ratio" in rows or "max_angle_ratio" in rows
    ci = cj = np.empty(0, dtype=np.int64)
    if need_angles:
        den = 1.0 - G[:, :m]  # becomes W in place below
        ci, cj = np.nonzero(np.triu(den < _CLOSE, k=1))
        if ci.size:
            diff = Y[ci] - Y[cj]
            den_close = 0.5 * np.einsum("pd,pd->p", diff, diff)
            if np.any(den_close == 0.0):
                raise ValueError(
                    "two of the tokens share a direction: their input angle is zero and the "
                    "angle ratio is undefined"
                )
            W_close = 1.0 / den_close
            den[ci, cj] = den[cj, ci] = np.inf  # excluded from the trace identity
            dtype = np.dtype(np.float64)  # their outputs must be accurate too
        den[np.arange(m), np.arange(m)] = np.inf
        W = np.divide(1.0, den, out=den)  # zero diagonal and at close pairs, <= 1 / _CLOSE
        w = W.sum(axis=1)
        # The angle stage cancels terms of size max(W) * |u|^2; run it in
        # dtype only when the rounding error stays below 1e-6.
        angle_dtype = dtype if W.max() * np.finfo(dtype).eps <= 1e-6 else np.dtype(np.float64)
        Wa = W.astype(angle_dtype, copy=False)
    G -= 1.0  # the shifted scores <y_i, y_j> - 1 <= 0, in place
    np.minimum(G, 0.0, out=G)
    shifted = G.astype(dtype, copy=False)
    Yd = Y.astype(dtype, copy=False)
    # float32: keep exponents above -80 so that no weight is subnormal (slow);
    # this changes weights by less than 1e-34 relative to the self weight 1.
    floor = -80.0 if dtype == np.float32 else None
    chunk = max(1, _CHUNK_ENTRIES // (m * n))
    for start in range(0, betas.size, chunk):
        b = betas[start : start + chunk].astype(dtype)
        k = b.size
        sl = slice(start, start + k)
        E = b[None, :, None] * shifted[:, None, :]  # (m, k, n)
        if floor is not None:
            np.maximum(E, floor, out=E)
        np.exp(E, out=E)
        Z = E.sum(axis=2).astype(np.float64)  # (m, k); the self entry is exactly 1
        if "self_weight" in rows:
            rows["self_weight"][sl] = (1.0 / Z).mean(axis=0)
        if not need_outputs:
            continue
        Xo = (E.reshape(m * k, n) @ Yd).reshape(m, k, d).astype(np.float64)
        del E
        Xo /= Z[..., None]
        if alpha:
            Xo += alpha * X_rows[:, None, :]
        Yo = Xo / np.sqrt(np.einsum("mkd,mkd->mk", Xo, Xo))[..., None]
        if "mean_cosine" in rows:
            S = Yo.sum(axis=0)
            sq = np.einsum("mkd,mkd->k", Yo, Yo)
            rows["mean_cosine"][sl] = (np.einsum("kd,kd->k", S, S) - sq) / (m * (m - 1))
        if not need_angles:
            continue
        # Centre the output directions: 1 - <y_i', y_j'> = |u_i - u_j|^2 / 2.
        U = (Yo - Yo.mean(axis=0)).astype(angle_dtype)
        usq = np.einsum("mkd,mkd->mk", U, U).astype(np.float64)
        if ci.size:
            diff_out = Yo[ci] - Yo[cj]  # (pairs, k, d)
            ratio_close = 0.5 * np.einsum("pkd,pkd->pk", diff_out, diff_out) * W_close[:, None]
        if "angle_ratio" in rows:
            WU = (Wa @ U.reshape(m, k * d)).reshape(m, k, d)
            cross = np.einsum("mkd,mkd->k", U, WU).astype(np.float64)
            total = w @ usq - cross
            if ci.size:
                total += 2.0 * ratio_close.sum(axis=0)  # each close pair, both orders
            rows["angle_ratio"][sl] = total / (m * (m - 1))
        if "max_angle_ratio" in rows:
            for g in range(k):
                Ug = U[:, g, :]
                num = 0.5 * (usq[:, g, None] + usq[None, :, g]) - (Ug @ Ug.T)
                worst = float((num * W).max())
                if ci.size:
                    worst = max(worst, float(ratio_close[:, g].max()))
                rows["max_angle_ratio"][start + g] = worst
    return out


def phase_diagram(
    rhos: Any,
    gammas: Any,
    n: int,
    d: int,
    rng: Any = None,
    metric: str = "angle_ratio",
    *,
    alpha: float = 0.0,
    rows: int | None = None,
    draws: int = 1,
    dtype: Any = np.float64,
) -> np.ndarray:
    """One attention layer on Gaussian tokens over a ``(rho, gamma)`` grid.

    For each ``rho`` the tokens are ``x_i = sqrt(rho) z_0 + sqrt(1 - rho) z_i``
    (see :func:`critbook.gaussian_tokens`), the layer is
    ``x_i' = sum_j A_ij y_j + alpha x_i`` with ``beta = gamma log n``, and
    the chosen metric summarises the result.

    All columns share the same Gaussian draws ``z_0, ..., z_n`` (common random
    numbers), so the map is smooth in ``rho``: with an integer seed ``s`` the
    tokens of column ``j`` are exactly ``gaussian_tokens(n, d, rhos[j], rng=s)``.
    With ``draws > 1`` the metric is averaged over independent token sets;
    draw ``t`` uses the tokens that the ``t``-th call of
    ``gaussian_tokens(n, d, rho, rng=g)`` returns for ``g =
    numpy.random.default_rng(s)``.

    Parameters
    ----------
    rhos : array_like, shape (R,)
        Shared-component weights, each in ``[0, 1)``.
    gammas : array_like, shape (K,)
        Scaling constants, each finite and ``>= 0``.
    n : int
        Number of tokens, ``2 <= n <= MAX_PHASE_N = 4096`` (at the limit,
        with ``rows=None``, three ``n``-by-``n`` float64 arrays, about
        0.5 GB; with ``rows`` set, ``O(rows n)``).
    d : int
        Token dimension, ``>= 1``.
    rng : None, int or numpy.random.Generator
        Source of randomness (one draw of ``n + 1`` Gaussian vectors).
    metric : str or sequence of str, default "angle_ratio"
        One of the following, or a sequence of them (computed together, at
        little more than the cost of one):

        - ``"angle_ratio"``: the paper's ``lambda``, the mean over pairs of
          ``(1 - <y_i', y_j'>) / (1 - <y_i, y_j>)`` (0 = collapse, 1 = angles kept);
        - ``"max_angle_ratio"``: the largest of those pairwise ratios (``< 1``
          means every pair of tokens moved closer);
        - ``"mean_cosine"``: the mean cosine ``<y_i', y_j'>`` of the outputs;
        - ``"self_weight"``: the mean diagonal attention weight ``A_ii``.
    alpha : float, default 0.0
        Residual strength, ``>= 0``.
    rows : int, optional
        Use only the first ``rows`` tokens as queries and average over the
        pairs among them (each of them still attends to all ``n``). The
        tokens are i.i.d., so these rows are a random sample and the result
        estimates the all-pairs value (with the same expectation) at a cost
        of ``O(rows n d)`` instead of ``O(n^2 d)`` per grid point; for
        ``"max_angle_ratio"`` it is the maximum over the sampled pairs only.
        Default: all ``n`` (exact).
    draws : int, default 1
        Number of independent token sets the metric is averaged over. In low
        dimension one draw is dominated by the random length of the shared
        vector ``z_0``; averaging gives the expected map.
    dtype : numpy.float32 or numpy.float64, default float64
        Precision of the large batched stage (the exponentials and the
        product ``A Y``, ``O(rows n d)`` per grid point). float32 is several
        times faster and changes the metrics by about ``1e-6``. The
        ``rows``-by-``rows`` angle stage runs in ``dtype`` too unless
        float32 rounding would exceed ``1e-6`` there. Nearly parallel query
        tokens (``1 - <y_i, y_j> < 1e-6``, common for ``d <= 3``) get their
        terms from explicit differences ``|y_i - y_j|^2 / 2``, and their
        column is computed entirely in float64.

    Returns
    -------
    numpy.ndarray, shape (K, R), or (M, K, R) for a sequence of M metrics
        ``out[k, j]`` is the metric at ``gamma = gammas[k]`` and
        ``rho = rhos[j]``: one row per gamma, one column per rho, ready for
        ``pcolormesh(rhos, gammas, out)`` with gamma on the vertical axis.
        With a sequence of metrics, ``out[i]`` is the map of ``metric[i]``.

    Raises
    ------
    TypeError, ValueError
        On a bad argument; the message names it. Also if two tokens share a
        direction (angle metrics) or ``n > MAX_PHASE_N``.

    Examples
    --------
    At ``d = 512`` the tokens nearly form a simplex: the angle ratio goes
    from about 0 to about 1 across ``gamma_c = 1 / (1 - rho) = 2``, passing
    near the simplex value ``1 / (1 + 3 rho) = 0.4`` at ``gamma_c``:

    >>> from critbook import phase_diagram
    >>> lam = phase_diagram([0.5], [1.0, 2.0, 4.0], n=300, d=512, rng=0)
    >>> lam.shape
    (3, 1)
    >>> lam.ravel().round(2)
    array([0.01, 0.38, 1.  ])
    """
    rhos = as_vector(rhos, "rhos", low=0.0, high=1.0, high_open=True)
    gammas = as_vector(gammas, "gammas", low=0.0)
    n = check_int(n, "n", low=2)
    if n > MAX_PHASE_N:
        raise ValueError(
            f"n must be at most {MAX_PHASE_N} for phase_diagram (it keeps a rows-by-n block of "
            f"scores for every gamma); got n = {n}. For longer contexts evaluate single points "
            "with attention_layer and angle_ratio."
        )
    d = check_int(d, "d", low=1)
    try:
        metrics = (metric,) if isinstance(metric, str) else tuple(metric)
    except TypeError:  # not a string and not iterable, e.g. metric=3
        metrics = ()
    if not metrics or any(not isinstance(mt, str) or mt not in PHASE_METRICS for mt in metrics):
        raise ValueError(
            f"metric must be one of {PHASE_METRICS} or a sequence of them, got {metric!r}"
        )
    alpha = check_real(alpha, "alpha", low=0.0)
    m = n if rows is None else check_int(rows, "rows", low=2)
    if m > n:
        raise ValueError(f"rows must be between 2 and n = {n}, got {m}")
    dt = _check_dtype(dtype)
    draws = check_int(draws, "draws", low=1)
    gen = as_rng(rng)
    betas = gammas * np.log(n)
    out = np.zeros((len(metrics), gammas.size, rhos.size))
    for _ in range(draws):
        # The same arithmetic as gaussian_tokens, so that seeds agree.
        Z = gen.standard_normal((n + 1, d)) / np.sqrt(d)
        for j, rho in enumerate(rhos):
            X = np.sqrt(rho) * Z[0] + np.sqrt(1.0 - rho) * Z[1:]
            Y = normalize(X)
            out[:, :, j] += _column(Y, X[:m], betas, alpha, m, metrics, dt)
    out /= draws
    return out[0] if isinstance(metric, str) else out


def _top_mass_rows(E: np.ndarray, mass: float) -> np.ndarray:
    """Counts for a block of unnormalised weights ``E`` (rows are queries)."""
    Z = E.sum(axis=1)
    desc = -np.sort(-E, axis=1)
    cum = np.cumsum(desc, axis=1)
    counts = np.count_nonzero(cum < mass * Z[:, None], axis=1) + 1
    return np.minimum(counts, E.shape[1])


def top_mass_count(
    X: Any,
    beta: float,
    mass: float = 0.9,
    *,
    rows: int | None = None,
    block: int | None = None,
) -> np.ndarray:
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
    beta = check_real(beta, "beta", low=0.0)
    mass = check_real(mass, "mass", low=0.0, high=1.0, low_open=True, high_open=True)
    n = Y.shape[0]
    m = n if rows is None else check_int(rows, "rows", low=1)
    if m > n:
        raise ValueError(f"rows must be between 1 and n = {n}, got {m}")
    b = max(1, (1 << 21) // n) if block is None else check_int(block, "block", low=1)
    out = np.empty(m, dtype=np.int64)
    for start in range(0, m, b):
        stop = min(start + b, m)
        S = Y[start:stop] @ Y.T
        S -= 1.0
        np.minimum(S, 0.0, out=S)
        S *= beta
        np.exp(S, out=S)
        out[start:stop] = _top_mass_rows(S, mass)
    return out


def sparsity_sweep(
    ns: Any,
    gammas: Any,
    d: int,
    rho: float,
    mass: float = 0.9,
    *,
    rows: int = 64,
    statistic: str = "median",
    rng: Any = None,
) -> np.ndarray:
    """The count of :func:`top_mass_count` against ``n``, for several ``gamma``.

    Draws one set of ``max(ns)`` Gaussian tokens (see
    :func:`critbook.gaussian_tokens`) and uses its first ``n`` tokens for each
    ``n`` (nested samples, so the curves are smooth in ``n``). For each
    ``(gamma, n)`` it counts, for the first ``rows`` tokens as queries, how
    many tokens hold a share ``mass`` of the weight at ``beta = gamma log n``,
    and reports the median (or mean) over the queries.

    Parameters
    ----------
    ns : array_like of int, shape (N,)
        Context lengths, each ``>= rows``.
    gammas : array_like, shape (K,)
        Scaling constants, each ``>= 0``.
    d : int
        Token dimension, ``>= 1``.
    rho : float
        Shared-component weight, in ``[0, 1)``.
    mass : float, default 0.9
        Share of the weight, in ``(0, 1)``.
    rows : int, default 64
        Number of query tokens.
    statistic : {"median", "mean"}
        How the per-query counts are summarised.
    rng : None, int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (K, N)
        ``out[k, i]`` for ``gamma = gammas[k]`` and ``n = ns[i]``.

    Examples
    --------
    >>> from critbook import sparsity_sweep
    >>> sparsity_sweep([100, 1000], [0.0, 10.0], d=512, rho=0.3, rng=0)
    array([[ 90., 900.],
           [  1.,   1.]])
    """
    ns_arr = as_real_array(ns, "ns", low=1.0)
    if ns_arr.ndim != 1 or ns_arr.size == 0 or np.any(ns_arr != np.round(ns_arr)):
        raise ValueError(f"ns must be a non-empty 1-D sequence of integers, got {ns!r}")
    ns_int = ns_arr.astype(np.int64)
    gammas = as_vector(gammas, "gammas", low=0.0)
    d = check_int(d, "d", low=1)
    rho = float(check_rho(rho))
    mass = check_real(mass, "mass", low=0.0, high=1.0, low_open=True, high_open=True)
    rows = check_int(rows, "rows", low=1)
    if np.any(ns_int < rows):
        raise ValueError(f"every n in ns must be >= rows = {rows}, got min(ns) = {ns_int.min()}")
    if statistic not in ("median", "mean"):
        raise ValueError(f"statistic must be 'median' or 'mean', got {statistic!r}")
    reduce = np.median if statistic == "median" else np.mean
    gen = as_rng(rng)
    N = int(ns_int.max())
    Z = gen.standard_normal((N + 1, d)) / np.sqrt(d)
    Y = normalize(np.sqrt(rho) * Z[0] + np.sqrt(1.0 - rho) * Z[1:])
    out = np.empty((gammas.size, ns_int.size))
    for i, n in enumerate(ns_int):
        S = Y[:rows] @ Y[:n].T
        S -= 1.0
        np.minimum(S, 0.0, out=S)
        for k, gamma in enumerate(gammas):
            E = np.exp(gamma * np.log(n) * S)
            out[k, i] = reduce(_top_mass_rows(E, mass))
    return out



def approach_exponent(gamma: Any, rho: Any, alpha: Any = 0.0, quantity: str = "angle_ratio") -> Any:
    """Exponent ``e`` of the approach of the simplex layer to its limit, error ``~ n^(-e)``.

    With ``beta = gamma log n`` and ``kappa = gamma (1 - rho)``, the self
    weight is ``1 / (1 + (n - 1) n^(-kappa))``, so it reaches its limit
    (0, 1/2 or 1) with error of order ``n^(-|kappa - 1|)``, and of order
    ``1/n`` at ``kappa = 1``. The output cosine ``rho_out`` and the angle
    ratio are smooth functions of the self weight and of ``1/n``, with one
    exception: without residual, below the critical value,
    ``1 - rho_out`` is proportional to the *square* of the self weight, so
    the exponent doubles. This is the book's derivation (not a statement of
    the paper); the tests check it against :func:`critbook.simplex_layer`.

    Parameters
    ----------
    gamma : float or array_like
        Scaling constant, ``>= 0``.
    rho : float or array_like
        Pairwise cosine, in ``[0, 1)``.
    alpha : float or array_like, default 0.0
        Residual strength, ``>= 0``.
    quantity : {"angle_ratio", "rho_out", "self_weight"}
        The quantity whose error is meant (``"rho_out"`` and
        ``"angle_ratio"`` share the exponent).

    Returns
    -------
    float or numpy.ndarray
        ``|kappa - 1|``; ``1`` at ``kappa = 1``; ``2 (1 - kappa)`` for the
        angle ratio or ``rho_out`` when ``alpha = 0`` and ``kappa < 1``.

    Examples
    --------
    >>> from critbook import approach_exponent
    >>> approach_exponent([1.0, 2.0, 2.5, 4.0], 0.5)  # kappa = 0.5, 1, 1.25, 2
    array([1.  , 1.  , 0.25, 1.  ])
    >>> approach_exponent(1.0, 0.5, quantity="self_weight")
    0.5
    """
    gamma = as_real_array(gamma, "gamma", low=0.0)
    rho = np.asarray(check_rho(rho), dtype=np.float64)
    alpha = as_real_array(alpha, "alpha", low=0.0)
    if quantity not in ("angle_ratio", "rho_out", "self_weight"):
        raise ValueError(
            f"quantity must be 'angle_ratio', 'rho_out' or 'self_weight', got {quantity!r}"
        )
    gamma, rho, alpha = np.broadcast_arrays(gamma, rho, alpha)
    kappa = gamma * (1.0 - rho)
    e = np.abs(kappa - 1.0)
    if quantity != "self_weight":
        e = np.where((alpha == 0.0) & (kappa < 1.0), 2.0 * (1.0 - kappa), e)
    e = np.where(np.abs(kappa - 1.0) <= CRITICAL_RTOL, 1.0, e)
    return float(e) if e.ndim == 0 else e
