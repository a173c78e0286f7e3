"""Sweeps over ``(rho, gamma)`` and ``n`` on Gaussian tokens.

- :func:`phase_diagram`: one attention layer for every ``(rho, gamma)`` of a
  grid, summarised by a metric (the angle ratio ``lambda`` of the paper's
  Figure 1, the mean output cosine, the largest pairwise angle ratio, or the
  mean self weight).
- :func:`eta_phase_diagram`: the gradient index ``eta`` over the same grid
  (the paper's Figure 2).
- :func:`sparsity_sweep`: how many tokens hold 90% of a row's weight, against
  ``n``, for several ``gamma``.

Everything uses ``beta = gamma log n`` (natural logarithm) and the tokens of
:func:`critbook.gaussian_tokens`, one draw shared by every ``rho`` (and every
``n``), so that the curves are smooth. The scores go through the one kernel
(:mod:`critbook._kernel`): the shifted cosines of the query rows are formed
once and every ``gamma`` is evaluated from them.

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

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._checks import (
    SeedLike,
    as_real_array,
    as_rng,
    as_vector,
    check_dtype,
    check_int,
    check_real,
    check_rho,
)
from ._kernel import TILE_BYTES, Kernel, exp_scaled
from .attention import normalize, top_mass_rows
from .gradients import (
    MAX_EXACT_BETA,
    MAX_EXACT_N,
    check_return_std,
    eta,
    jvp_squared_norms,
    rademacher,
)
from .tokens import gaussian_draw, shared_component

__all__ = ["PHASE_METRICS", "phase_diagram", "eta_phase_diagram", "sparsity_sweep"]


#: Metrics understood by :func:`phase_diagram`.
PHASE_METRICS = ("angle_ratio", "max_angle_ratio", "mean_cosine", "self_weight")


#: Largest ``n`` accepted by :func:`phase_diagram`, which keeps a
#: ``rows``-by-``n`` block of scores (``n``-by-``n`` with ``rows=None``) in memory.
MAX_PHASE_N = 4096


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
) -> NDArray[np.float64]:
    """Every metric for every beta, for unit tokens ``Y`` (float64) and query rows ``:m``.

    Returns an array of shape ``(len(metrics), len(betas))``. The
    ``(rows, gammas, n)`` stage (exponentials, sums, the product with ``Y``)
    runs in ``dtype``; the ``rows``-by-``rows`` angle stage in ``dtype`` if
    that is accurate to ``1e-6``, else in float64. Nearly parallel query
    pairs are handled exactly (explicit differences, float64 throughout).
    """
    n, d = Y.shape
    # Shifted cosines g_ij = <y_i, y_j> - 1 of the query rows (float64, g_ii = 0 exactly).
    G = Kernel(Y, 1.0).rows(slice(0, m), exp=False)
    out = np.empty((len(metrics), betas.size))
    rows = {name: out[i] for i, name in enumerate(metrics)}
    need_outputs = any(name != "self_weight" for name in metrics)
    need_angles = "angle_ratio" in rows or "max_angle_ratio" in rows
    ci = cj = np.empty(0, dtype=np.int64)
    if need_angles:
        den = np.negative(G[:, :m])  # 1 - <y_i, y_j>; becomes W in place below
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
    shifted = G.astype(dtype, copy=False)
    Yd = Y.astype(dtype, copy=False)
    # Chunks of betas whose weights, outputs and angle terms fit the kernel's budget.
    chunk = max(1, TILE_BYTES // (3 * m * n * dtype.itemsize))
    for start in range(0, betas.size, chunk):
        b = betas[start : start + chunk].astype(dtype)
        k = b.size
        sl = slice(start, start + k)
        E = exp_scaled(shifted[:, None, :], b[None, :, None], d)  # (m, k, n)
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
    rhos: ArrayLike,
    gammas: ArrayLike,
    n: int,
    d: int,
    rng: SeedLike = None,
    metric: str = "angle_ratio",
    *,
    alpha: float = 0.0,
    rows: int | None = None,
    draws: int = 1,
    dtype: ArrayLike = np.float64,
) -> NDArray[np.float64]:
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
    dt = check_dtype(dtype)
    draws = check_int(draws, "draws", low=1)
    gen = as_rng(rng)
    betas = gammas * np.log(n)
    out = np.zeros((len(metrics), gammas.size, rhos.size))
    for _ in range(draws):
        Z = gaussian_draw(gen, n, d)  # as gaussian_tokens, so that seeds agree
        for j, rho in enumerate(rhos):
            X = shared_component(Z, rho)
            Y = normalize(X)
            out[:, :, j] += _column(Y, X[:m], betas, alpha, m, metrics, dt)
    out /= draws
    return out[0] if isinstance(metric, str) else out


def sparsity_sweep(
    ns: ArrayLike,
    gammas: ArrayLike,
    d: int,
    rho: float,
    mass: float = 0.9,
    *,
    rows: int = 64,
    statistic: str = "median",
    rng: SeedLike = None,
) -> NDArray[np.float64]:
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
    Y = normalize(shared_component(gaussian_draw(gen, int(ns_int.max()), d), rho))
    out = np.empty((gammas.size, ns_int.size))
    for i, n in enumerate(ns_int):
        G = Kernel(Y[:n], 1.0).rows(slice(0, rows), exp=False)  # shifted cosines
        for k, gamma in enumerate(gammas):
            E = exp_scaled(G, gamma * np.log(n), d)
            out[k, i] = reduce(top_mass_rows(E, mass))
    return out


def eta_phase_diagram(
    rhos: ArrayLike,
    gammas: ArrayLike,
    n: int,
    d: int,
    rng: SeedLike = None,
    probes: int = 4,
    *,
    alpha: float = 0.0,
    method: str = "hutchinson",
    rows: int | None = None,
    return_std: bool = False,
    batch: int = 8,
    dtype: ArrayLike = np.float64,
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
    >>> gammas = [1.0, 2.0, 4.0]
    >>> E = eta_phase_diagram(
    ...     [0.5], gammas, n=200, d=512, rng=0, probes=2
    ... )
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
    check_return_std(return_std, probes, estimated=method == "hutchinson")
    dt = check_dtype(dtype)
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
    Z = gaussian_draw(gen, n, d)  # as gaussian_tokens, so that seeds agree
    seeds = gen.integers(0, 2**63, size=-(-probes // batch))
    betas = gammas * np.log(n)
    out = np.empty((gammas.size, rhos.size))
    std = np.zeros_like(out)
    for j, rho in enumerate(rhos):
        X = shared_component(Z, rho)
        if method == "exact":
            out[:, j] = [eta(X, float(beta), alpha) for beta in betas]
            continue
        r = np.sqrt(np.einsum("ij,ij->i", X, X))
        Y = (X / r[:, None]).astype(dt)
        r = r.astype(dt)
        values = np.empty((gammas.size, probes))
        for b, seed in enumerate(seeds):
            k = min(batch, probes - b * batch)
            V = rademacher(np.random.default_rng(seed), (k, n, d), dt)
            values[:, b * batch : b * batch + k] = jvp_squared_norms(Y, r, betas, alpha, V, m)
        values /= m * d
        out[:, j] = values.mean(axis=1)
        if return_std:
            std[:, j] = values.std(axis=1, ddof=1) / np.sqrt(probes)
    return (out, std) if return_std else out
