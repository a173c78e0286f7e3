"""Where a set of tokens and a scaling factor sit relative to the critical scale.

:func:`diagnose` measures, for tokens ``X`` under the model's own attention
(queries = keys = values = the normalised tokens), the geometry that the
theory needs (mean cosine, the spread of pairwise cosines, the gap to the
nearest other token), the critical constant and its window, the regime of
``beta`` at this ``n``, and the attention it produces. It returns a
:class:`Diagnosis`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._checks import SeedLike, as_real_array, as_rng, as_tokens, check_int, check_real
from ._kernel import TILE_BYTES, Kernel, entropy, exp_scaled
from .attention import normalize
from .geometry import mean_cosine
from .simplex import CRITICAL_RTOL

__all__ = ["Diagnosis", "diagnose"]


@dataclass(frozen=True, repr=False)
class Diagnosis:
    """The result of :func:`diagnose`; ``print`` it (or call :meth:`summary`) to read it.

    Attributes
    ----------
    n, d : int
        Number of tokens and their dimension.
    beta : float
        The scaling factor diagnosed.
    gamma : float
        ``beta / ln n``.
    mean_cosine : float
        Exact mean cosine over distinct pairs.
    cosine_quantiles : tuple of float
        Low and high quantiles of the pairwise cosines (``rho1``/``rho2``-like).
    quantile_levels : tuple of float
        The levels of those quantiles.
    gamma_c : float
        ``1 / (1 - mean_cosine)``.
    gamma_window : tuple of float
        ``1 / (1 - q_low), 1 / (1 - q_high)``: the almost-simplex window.
    regime : str
        ``"subcritical"`` (``gamma`` below the window), ``"supercritical"``
        (above it) or ``"critical window"`` (inside).
    mean_entropy : float
        Mean row entropy of the attention matrix, in nats (``<= ln n``).
    mean_max_weight : float
        Mean over rows of the largest attention weight (``>= 1/n``).
    median_top_gap : float
        Median over queries of ``1 - max_{j != i} cos(y_i, y_j)``: the gap
        between a token's self score and its closest competitor.
    n_queries : int
        Query rows used for the entropy, the weights and the gap (each over all
        ``n`` keys); ``n`` means every row.
    n_pairs : int
        Pairs used for the quantiles.
    exact_pairs : bool
        Whether ``n_pairs`` is every pair (else a uniform sample).
    notes : tuple of str
        Warnings about the applicability of the simplex picture.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook import diagnose, simplex_tokens
    >>> diag = diagnose(simplex_tokens(200, 0.5), beta=2 * np.log(200))
    >>> diag.regime, round(diag.mean_cosine, 6), round(diag.gamma_c, 6)
    ('critical window', 0.5, 2.0)
    """

    n: int
    d: int
    beta: float
    gamma: float
    mean_cosine: float
    cosine_quantiles: tuple[float, float]
    quantile_levels: tuple[float, float]
    gamma_c: float
    gamma_window: tuple[float, float]
    regime: str
    mean_entropy: float
    mean_max_weight: float
    median_top_gap: float
    n_queries: int
    n_pairs: int
    exact_pairs: bool
    notes: tuple[str, ...] = ()

    @property
    def log_n(self) -> float:
        """``ln n``, the entropy of uniform attention."""
        return float(np.log(self.n))

    def __repr__(self) -> str:
        return (
            f"Diagnosis(n={self.n}, d={self.d}, beta={self.beta:.4g}, gamma={self.gamma:.4g}, "
            f"gamma_c={self.gamma_c:.4g}, regime={self.regime!r}, "
            f"mean_entropy={self.mean_entropy:.4g}, mean_max_weight={self.mean_max_weight:.4g})"
        )

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        """A readable multi-line report."""
        lo_q, hi_q = self.quantile_levels
        lo, hi = self.cosine_quantiles
        g_lo, g_hi = self.gamma_window
        sampled_rows = f"all {self.n}" if self.n_queries == self.n else f"{self.n_queries} sampled"
        pairs = "all" if self.exact_pairs else f"{self.n_pairs} random"
        lines = [
            f"Diagnosis of n = {self.n} tokens in d = {self.d}, beta = {self.beta:.4g}",
            f"  geometry : mean cosine rho = {self.mean_cosine:.4f}; cosines "
            f"{100 * lo_q:g}%-{100 * hi_q:g}% in [{lo:.4f}, {hi:.4f}]; "
            f"median top gap 1 - max cos = {self.median_top_gap:.4g}",
            f"  threshold: gamma_c = 1/(1 - rho) = {self.gamma_c:.4g}, "
            f"window [{g_lo:.4g}, {g_hi:.4g}]",
            f"  scaling  : gamma = beta / log n = {self.gamma:.4g} -> {self.regime}",
            f"  attention: mean row entropy {self.mean_entropy:.4g} nats of log n = "
            f"{self.log_n:.4g} ({100 * self.mean_entropy / self.log_n:.1f}%); "
            f"mean largest weight {self.mean_max_weight:.4g} (uniform: {1 / self.n:.3g})",
            f"  computed : {sampled_rows} query rows over all n keys; {pairs} pairs",
        ]
        lines += [f"  note     : {note}" for note in self.notes]
        return "\n".join(lines)


def _pair_cosines(Y: np.ndarray, pairs: int, gen: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Cosines of every distinct pair if there are at most ``pairs``, else of a sample."""
    n, d = Y.shape
    exact = n * (n - 1) // 2 <= pairs
    if exact:
        i, j = np.triu_indices(n, k=1)
    else:
        i = gen.integers(n, size=pairs)
        j = gen.integers(n - 1, size=pairs)
        j += j >= i  # uniform over the other n - 1 tokens
    out = np.empty(i.size)
    chunk = max(1, TILE_BYTES // (8 * 2 * d))  # the gathered rows stay within the budget
    for start in range(0, i.size, chunk):
        sl = slice(start, start + chunk)
        out[sl] = np.einsum("ij,ij->i", Y[i[sl]], Y[j[sl]])
    return out, exact


def diagnose(
    X: ArrayLike,
    beta: float,
    rng: SeedLike = None,
    *,
    queries: int = 2000,
    pairs: int = 100_000,
    quantiles: tuple[float, float] = (0.01, 0.99),
) -> Diagnosis:
    """Where a token set and a scaling factor sit relative to the critical scale.

    What it assumes: the tractable model of the book, in which queries, keys
    and values are the normalised tokens themselves (``Q = K = V = I``), so
    that each row's largest score is its own and the key cosine ``rho``
    determines the critical scale. A trained head has its own queries and
    keys, shifts of the keys that leave its attention unchanged, and rarely
    attends to itself: for real heads use :func:`critbook.diagnose_heads`, which works from
    a head's queries and keys and its logit scale.

    Measures the geometry of ``X`` (exact mean cosine in ``O(n d)``, a spread
    of pairwise cosines from sampled pairs, the gap to the nearest other
    token), the critical constant ``gamma_c = 1 / (1 - rho)`` and a window of
    ``gamma_c`` from low and high quantiles of the cosines (a robust proxy for
    the almost-simplex window, which uses their minimum and maximum), the
    regime of ``beta`` at this ``n``, and the
    attention it produces (mean row entropy against ``log n``, mean largest
    weight). Rows of the attention matrix are streamed in blocks and, for
    ``n > queries``, computed for a random subset of ``queries`` query rows,
    each exact over all ``n`` keys: memory is ``O(n d)`` plus one block of the
    kernel's budget, and the
    time ``O(queries * n * d)``, so ``n = 100000`` is fine.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Tokens, ``n >= 2`` (normalised internally).
    beta : float
        Scaling factor, finite and ``>= 0``.
    rng : None, int or numpy.random.Generator
        Randomness for the sampled pairs and query rows.
    queries : int, default 2000
        Query rows to compute (all rows if ``n <= queries``).
    pairs : int, default 100000
        Pairs for the cosine quantiles (all pairs if there are no more).
    quantiles : tuple of float, default (0.01, 0.99)
        Low and high quantile levels, ``0 <= low <= high <= 1``.

    Returns
    -------
    Diagnosis

    Raises
    ------
    ValueError
        On a bad ``X`` (see :func:`critbook.normalize`), ``n < 2``, a negative
        or non-finite ``beta``, or bad ``queries``, ``pairs`` or ``quantiles``.

    Examples
    --------
    >>> import numpy as np
    >>> import critbook as cb
    >>> X = cb.simplex_tokens(200, rho=0.5)
    >>> diag = cb.diagnose(X, beta=3 * np.log(200), rng=0)
    >>> round(diag.mean_cosine, 6), round(diag.gamma_c, 6), diag.regime
    (0.5, 2.0, 'supercritical')
    """
    Y = np.asarray(normalize(as_tokens(X)), dtype=np.float64)
    n, d = Y.shape
    if n < 2:
        raise ValueError(f"X must hold n >= 2 tokens to be diagnosed; got n = {n}")
    beta = check_real(beta, "beta", low=0.0)
    queries = check_int(queries, "queries", low=1)
    pairs = check_int(pairs, "pairs", low=1)
    levels = as_real_array(quantiles, "quantiles", low=0.0, high=1.0)
    if levels.shape != (2,) or levels[0] > levels[1]:
        raise ValueError(
            "quantiles must be two levels (low, high) with 0 <= low <= high <= 1; "
            f"got {quantiles!r}"
        )
    gen = as_rng(rng)

    rho = mean_cosine(Y)
    cos, exact = _pair_cosines(Y, pairs, gen)
    q_lo, q_hi = (float(v) for v in np.quantile(cos, levels))
    with np.errstate(divide="ignore"):
        gamma_c = float(1.0 / (1.0 - rho)) if rho < 1.0 else np.inf
        window = tuple(float(1.0 / (1.0 - q)) if q < 1.0 else np.inf for q in (q_lo, q_hi))
    logn = float(np.log(n))
    gamma = beta / logn
    if gamma < window[0] * (1.0 - CRITICAL_RTOL):
        regime_name = "subcritical"
    elif gamma > window[1] * (1.0 + CRITICAL_RTOL):
        regime_name = "supercritical"
    else:
        regime_name = "critical window"

    rows = np.arange(n) if queries >= n else np.sort(gen.choice(n, size=queries, replace=False))
    m = rows.size
    Z = np.empty(m)
    T = np.empty(m)
    W = np.empty(m)
    gap = np.empty(m)
    # The shifted cosines g = <y_i, y_j> - 1 of each block of query rows, then
    # the weights exp(beta g) from them (width 2: cosines and weights).
    kernel = Kernel(Y, 1.0)
    done = 0
    for idx, G in kernel.row_blocks(rows, width=2, exp=False):
        k = slice(done, done + len(idx))
        local = np.arange(len(idx))
        G[local, idx] = -np.inf  # the nearest *other* token
        gap[k] = -G.max(axis=1)
        G[local, idx] = 0.0
        E = exp_scaled(G, beta, d)
        Z[k] = E.sum(axis=1)
        W[k] = E.max(axis=1) / Z[k]
        T[k] = np.einsum("ij,ij->i", E, G) * beta  # sum_j E_ij s_ij
        done = k.stop
    H = entropy(Z, T, n)

    top_gap = float(np.median(gap))
    notes = []
    if rho <= 0.0:
        notes.append(
            "mean cosine <= 0: outside the paper's range rho in (0, 1); the regime is an "
            "extrapolation"
        )
    if top_gap < 0.5 * (1.0 - q_hi):
        notes.append(
            "the nearest other token is much closer than the bulk (top gap < (1 - high "
            "quantile) / 2): scores are not simplex-like and a log n law may not be the "
            "right one (see the sphere law n^(2/(d-1)))"
        )
    return Diagnosis(
        n=int(n),
        d=int(d),
        beta=float(beta),
        gamma=float(gamma),
        mean_cosine=float(rho),
        cosine_quantiles=(q_lo, q_hi),
        quantile_levels=(float(levels[0]), float(levels[1])),
        gamma_c=gamma_c,
        gamma_window=(window[0], window[1]),
        regime=regime_name,
        mean_entropy=float(H.mean()),
        mean_max_weight=float(W.mean()),
        median_top_gap=top_gap,
        n_queries=int(m),
        n_pairs=int(cos.size),
        exact_pairs=bool(exact),
        notes=tuple(notes),
    )
