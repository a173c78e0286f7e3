"""Where real attention heads sit: per-head statistics of learned queries and keys.

The tractable model (``critbook.diagnose``) has ``Q = K = X`` on unit
tokens, so its largest logit is each token's own and its regime is set by
the key cosine :math:`\\rho` through :math:`\\gamma_c = 1/(1-\\rho)`. A
trained head has neither property: its queries and keys are different
learned projections with their own norms, a row's largest weight is rarely
on the query's own position, and adding one vector ``c`` to every key leaves
its attention unchanged (each row's logits move by the constant
:math:`\\langle q_i, c\\rangle`) while it moves the key cosine anywhere.
:func:`diagnose_heads` therefore measures what attention does determine, the
shape of each row of logits :math:`s_{ij} = \\text{scale}\\,\\langle q_i, k_j\\rangle`
over the :math:`m_i` keys the row may see:

- the logit gap, :math:`(\\max_j s_{ij} - \\operatorname{mean}_j s_{ij}) / \\log m_i`;
- the logit spread, :math:`\\operatorname{std}_j s_{ij} / \\sqrt{2 \\ln m_i}`;
- the row entropy over :math:`\\log m_i`, the largest weight, and where the
  argmax points (the query itself, the previous position);

and, for comparison with the tractable model, the effective logit scale
``mean |q| * mean |k| * scale``, that over :math:`\\log m_i` (an effective
:math:`\\gamma`), and the mean key cosine before and after centring the keys.
Every per-row quantity is averaged over the rows whose context holds at least
two keys.

:func:`entropy_vs_gap` gives two reference curves of row entropy against
logit gap: the simplex model (one top logit, ``n - 1`` equal others) and
i.i.d. Gaussian logits.

How it is computed: the rows are streamed in blocks through
the kernel's general row-block form (``critbook._kernel.logit_row_blocks``),
all heads at once, with blocks sized by the kernel's one memory budget:
memory is ``O(h n d + h * block * n)``, no ``(h, n, n)`` array is formed.
float32 inputs are computed in float32 and summed in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ._checks import as_rng, as_tokens, as_vector, check_int, check_real
from ._kernel import block_rows, logit_row_blocks
from .geometry import mean_cosine

__all__ = ["HeadDiagnosis", "diagnose_heads", "head_attention", "entropy_vs_gap"]

#: Largest n for which :func:`head_attention` forms the dense ``(h, n, n)`` attention.
MAX_DENSE_N = 8192

#: Largest |logit| allowed, per dtype: differences, squares and sums of logits stay finite.
_MAX_LOGIT = {np.dtype(np.float32): 1e30, np.dtype(np.float64): 1e150}


# --- validation (new checks for real heads; the shared ones are in _checks) ---


def _as_heads(value: Any, name: str) -> np.ndarray:
    """``value`` as a float array of shape (h, n, d): a 2-D array is one head."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of shape (heads, n, d) or (n, d), got {value!r}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:  # e.g. a ragged nested list
        raise TypeError(
            f"{name} must be an array of shape (heads, n, d) or (n, d); numpy cannot convert "
            f"it: {exc}"
        ) from exc
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(
            f"{name} must have shape (heads, n, d) or (n, d); got shape {np.shape(value)}"
        )
    h, n, d = arr.shape
    if h < 1 or n < 1 or d < 1:
        raise ValueError(f"{name} must have at least one head, row and column; got {arr.shape}")
    flat = as_tokens(arr.reshape(h * n, d), name, normalizable=False)
    return flat.reshape(h, n, d)


def _check_mask(mask: Any, n: int) -> tuple[str, np.ndarray | None]:
    """``("none" | "causal" | "padding", keep)`` with ``keep`` the real keys (padding only)."""
    if mask is None:
        return "none", None
    if isinstance(mask, str):
        if mask != "causal":
            raise ValueError(
                f"mask must be None, 'causal' or a boolean array of shape (n,); got {mask!r}"
            )
        return "causal", None
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise TypeError(
            f"mask must be None, 'causal' or a boolean array of shape (n,) (True = a real token); "
            f"got dtype {arr.dtype}"
        )
    if arr.shape != (n,):
        raise ValueError(f"mask must have shape (n,) = ({n},); got shape {arr.shape}")
    if arr.sum() < 2:
        raise ValueError(
            f"mask must keep at least 2 tokens (otherwise every row's context is empty or a "
            f"single key); it keeps {int(arr.sum())}"
        )
    return "padding", arr.copy()


def _check_logit_range(Q: np.ndarray, K: np.ndarray, scale: float) -> None:
    """ValueError if some logit ``scale * <q, k>`` could overflow the working precision."""
    qmax = float(np.sqrt(np.max(np.einsum("hnd,hnd->hn", Q, Q, dtype=np.float64))))
    kmax = float(np.sqrt(np.max(np.einsum("hnd,hnd->hn", K, K, dtype=np.float64))))
    bound = scale * qmax * kmax
    limit = _MAX_LOGIT[Q.dtype]
    if not bound <= limit:
        raise ValueError(
            f"scale = {scale:g} times the largest |q| ({qmax:.3g}) and |k| ({kmax:.3g}) allows "
            f"logits up to {bound:.3g}, beyond {limit:g} where the {Q.dtype.name} row statistics "
            "stay finite; rescale Q, K or scale"
        )


# --- the row-block loop ---


def _rows_per_block(h: int, n: int, itemsize: int) -> int:
    """Rows per block: the logits of all heads and their weights, ``2 h`` values per score."""
    return block_rows(n, itemsize, width=2 * h)


def _context_lengths(n: int, mask: tuple[str, np.ndarray | None]) -> tuple[np.ndarray, np.ndarray]:
    """Keys per row ``m_i`` and the rows that count (a real query with ``m_i >= 2``)."""
    kind, keep = mask
    if kind == "none":
        m = np.full(n, n, dtype=np.float64)
        return m, np.ones(n, dtype=bool)
    if kind == "causal":
        m = np.arange(1, n + 1, dtype=np.float64)
        return m, m >= 2
    m = np.full(n, float(keep.sum()))
    return m, keep.copy()


def _row_statistics(
    Q: np.ndarray, K: np.ndarray, scale: float, mask: tuple[str, np.ndarray | None], block: int
) -> dict[str, np.ndarray]:
    """Per head, the sums over counted rows of every per-row statistic (float64)."""
    h, n, _ = Q.shape
    m, counted = _context_lengths(n, mask)
    with np.errstate(divide="ignore"):
        inv_log = np.where(counted, 1.0 / np.log(m), 0.0)
        inv_sqrt = np.where(counted, 1.0 / np.sqrt(2.0 * np.log(m)), 0.0)
    w_count = counted.astype(np.float64)
    names = ("gap", "spread", "entropy", "max_weight", "self_argmax", "previous_argmax")
    sums = {k: np.zeros(h) for k in names}
    for rows, S, allowed in logit_row_blocks(Q, K, scale, mask, block):
        idx = np.arange(rows.start, rows.stop)
        cnt = m[rows]
        top = S.max(axis=-1)  # (h, b); every counted row has a visible key
        arg = S.argmax(axis=-1)
        S -= top[..., None]  # shifted logits, <= 0 (masked: -inf)
        if allowed is not None:
            S[:, ~allowed] = 0.0
        mean_shift = S.sum(axis=-1, dtype=np.float64) / cnt  # mean - top (<= 0)
        # Centred second moment about the row mean, summed in float64.
        dev = S - mean_shift[..., None].astype(S.dtype)
        if allowed is not None:
            dev[:, ~allowed] = 0.0
        var = np.einsum("hbn,hbn->hb", dev, dev, dtype=np.float64) / cnt
        del dev
        if allowed is not None:
            S[:, ~allowed] = -np.inf
        E = np.exp(S)  # in [0, 1], masked keys 0
        if allowed is not None:
            S[:, ~allowed] = 0.0
        Z = E.sum(axis=-1, dtype=np.float64)
        ES = np.einsum("hbn,hbn->hb", E, S, dtype=np.float64)
        entropy = np.log(Z) - ES / Z
        wl, ws, wc = inv_log[rows], inv_sqrt[rows], w_count[rows]
        sums["gap"] += (-mean_shift) @ wl
        sums["spread"] += np.sqrt(var) @ ws
        sums["entropy"] += entropy @ wl
        sums["max_weight"] += (1.0 / Z) @ wc
        sums["self_argmax"] += (arg == idx).astype(np.float64) @ wc
        sums["previous_argmax"] += (arg == idx - 1).astype(np.float64) @ wc
    rows_counted = float(counted.sum())
    out = {k: v / rows_counted for k, v in sums.items()}
    out["inv_log"] = np.full(h, inv_log.sum() / rows_counted)  # mean of 1 / log m_i
    return out


def _mean_cosine(K: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Per head, the mean cosine over pairs ``i != j`` of the kept keys, in O(n d)."""
    X = K[:, keep].astype(np.float64)
    norms = np.sqrt(np.einsum("hnd,hnd->hn", X, X))
    out = np.full(X.shape[0], np.nan)
    for i in range(X.shape[0]):
        ok = norms[i] > 0  # zero keys have no direction
        if ok.sum() >= 2:
            out[i] = mean_cosine(X[i, ok] / norms[i, ok, None])
    return out


def _validate(
    Q: Any, K: Any, scale: Any, mask: Any
) -> tuple[np.ndarray, np.ndarray, float, tuple[str, np.ndarray | None]]:
    """Validated ``(Q, K, scale, mask)`` of :func:`diagnose_heads` and :func:`head_attention`."""
    Qa = _as_heads(Q, "Q")
    Ka = _as_heads(K, "K")
    if Qa.shape != Ka.shape:
        raise ValueError(
            f"Q and K must have the same shape (heads, n, d); got Q {Qa.shape} and K {Ka.shape}"
        )
    h, n, d = Qa.shape
    if n < 2:
        raise ValueError(f"Q and K must hold n >= 2 tokens; got n = {n}")
    dtype = np.dtype(np.float32) if Qa.dtype == Ka.dtype == np.float32 else np.dtype(np.float64)
    Qa, Ka = Qa.astype(dtype, copy=False), Ka.astype(dtype, copy=False)
    scale = 1.0 / np.sqrt(d) if scale is None else check_real(scale, "scale", low=0.0)
    mask_info = _check_mask(mask, n)
    _check_logit_range(Qa, Ka, scale)
    return Qa, Ka, scale, mask_info


@dataclass(frozen=True)
class HeadDiagnosis:
    """Per-head statistics from :func:`diagnose_heads`; every array has shape ``(h,)``.

    Attributes
    ----------
    n : int
        Sequence length (queries = keys).
    logit_scale : numpy.ndarray
        ``mean |q| * mean |k| * scale``, the typical size of a logit.
    gamma : numpy.ndarray
        ``logit_scale / log m_i`` averaged over rows: the effective
        :math:`\\gamma` of the tractable model's :math:`\\beta = \\gamma \\log n`.
    gap : numpy.ndarray
        Mean over rows of (top logit - mean logit) / ``log m_i``.
    spread : numpy.ndarray
        Mean over rows of std(logits) / ``sqrt(2 ln m_i)``.
    entropy : numpy.ndarray
        Mean over rows of the attention entropy / ``log m_i`` (1 = uniform).
    max_weight : numpy.ndarray
        Mean over rows of the largest attention weight.
    self_argmax : numpy.ndarray
        Fraction of rows whose largest weight is on the query's own position.
    previous_argmax : numpy.ndarray
        Fraction of rows whose largest weight is on the previous position.
    key_cosine : numpy.ndarray
        Mean cosine between distinct keys (the tractable model's :math:`\\rho`).
    key_cosine_centered : numpy.ndarray
        The same after subtracting the mean key, which leaves attention unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> import critbook as cb
    >>> Q, K = np.random.default_rng(1).standard_normal((2, 3, 64, 8))
    >>> d = cb.diagnose_heads(Q, K, mask="causal")
    >>> d.n, d.entropy.shape
    (64, (3,))
    >>> sorted(d.as_dict())[:3]
    ['entropy', 'gamma', 'gap']
    """

    n: int
    logit_scale: np.ndarray
    gamma: np.ndarray
    gap: np.ndarray
    spread: np.ndarray
    entropy: np.ndarray
    max_weight: np.ndarray
    self_argmax: np.ndarray
    previous_argmax: np.ndarray
    key_cosine: np.ndarray
    key_cosine_centered: np.ndarray

    #: Fields that depend on the attention only (unchanged by a shared key shift).
    ATTENTION_FIELDS = ("gap", "spread", "entropy", "max_weight", "self_argmax", "previous_argmax")

    def as_dict(self) -> dict[str, np.ndarray]:
        """The per-head arrays by field name (``n`` left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "n"}


def diagnose_heads(
    Q: Any, K: Any, *, scale: float | None = None, mask: Any = None
) -> HeadDiagnosis:
    """Per-head statistics of real attention heads, from their queries and keys.

    Parameters
    ----------
    Q, K : array_like, shape (h, n, d) or (n, d)
        Queries and keys of ``h`` heads (a 2-D array is one head), finite,
        ``n >= 2``, same shape. float32 if both are float32, else float64.
    scale : float, optional
        Logit scale, finite and ``>= 0``; default ``1 / sqrt(d)``. The logits
        are ``scale * <q_i, k_j>``.
    mask : None, "causal" or array of bool, shape (n,)
        Which keys each query sees: all (None), those at or before it
        ("causal"), or the real tokens of a padded sequence (True = real; the
        padding positions are also left out as queries). Row statistics are
        averaged over the rows that see at least two keys.

    Returns
    -------
    HeadDiagnosis

    Raises
    ------
    ValueError
        If the shapes disagree, hold NaN or inf, ``n < 2``, ``scale`` is
        negative or lets the logits overflow, or ``mask`` has the wrong shape
        or keeps fewer than two tokens.
    TypeError
        If ``Q``, ``K`` or ``mask`` is not an array of the right kind.

    Examples
    --------
    >>> import numpy as np
    >>> import critbook as cb
    >>> rng = np.random.default_rng(0)
    >>> Q, K = rng.standard_normal((2, 4, 256, 16))
    >>> diag = cb.diagnose_heads(Q, K)
    >>> diag.entropy.shape
    (4,)
    >>> shifted = cb.diagnose_heads(Q, K + rng.standard_normal(16))
    >>> bool(np.allclose(diag.entropy, shifted.entropy))
    True
    """
    Qa, Ka, scale, mask_info = _validate(Q, K, scale, mask)
    h, n, d = Qa.shape
    block = _rows_per_block(h, n, Qa.dtype.itemsize)

    stats = _row_statistics(Qa, Ka, scale, mask_info, block)
    m, counted = _context_lengths(n, mask_info)
    keep = counted if mask_info[0] == "padding" else np.ones(n, dtype=bool)
    qn = np.sqrt(np.einsum("hnd,hnd->hn", Qa[:, counted], Qa[:, counted], dtype=np.float64))
    kn = np.sqrt(np.einsum("hnd,hnd->hn", Ka[:, keep], Ka[:, keep], dtype=np.float64))
    logit_scale = qn.mean(axis=1) * kn.mean(axis=1) * scale
    K64 = Ka[:, keep].astype(np.float64)
    centred = np.zeros((h, n, d))
    centred[:, keep] = K64 - K64.mean(axis=1, keepdims=True)
    return HeadDiagnosis(
        n=n,
        logit_scale=logit_scale,
        gamma=logit_scale * stats["inv_log"],
        gap=stats["gap"],
        spread=stats["spread"],
        entropy=stats["entropy"],
        max_weight=stats["max_weight"],
        self_argmax=stats["self_argmax"],
        previous_argmax=stats["previous_argmax"],
        key_cosine=_mean_cosine(Ka, keep),
        key_cosine_centered=_mean_cosine(centred, keep),
    )


def head_attention(Q: Any, K: Any, *, scale: float | None = None, mask: Any = None) -> np.ndarray:
    """The dense attention matrix of every head, ``softmax(scale * Q K^T)`` with a mask.

    For inspection at small ``n`` (at most ``MAX_DENSE_N = 8192``): it
    forms the ``(h, n, n)`` array that :func:`diagnose_heads` never forms.
    Arguments as in :func:`diagnose_heads`; masked keys get weight 0 (with a
    padding mask, padded query rows still attend to the real keys).

    Returns
    -------
    numpy.ndarray, shape (h, n, n), or (n, n) for 2-D ``Q`` and ``K``
        Row-stochastic, float32 if ``Q`` and ``K`` are float32, else float64.

    Examples
    --------
    >>> import numpy as np
    >>> import critbook as cb
    >>> rng = np.random.default_rng(0)
    >>> q, k = rng.standard_normal((2, 6, 4))
    >>> A = cb.head_attention(q, k, mask="causal")
    >>> A.shape, bool(np.allclose(A.sum(axis=1), 1)), float(A[0, 1])
    ((6, 6), True, 0.0)
    """
    Qa, Ka, scale, mask_info = _validate(Q, K, scale, mask)
    h, n, _ = Qa.shape
    if n > MAX_DENSE_N:
        raise ValueError(
            f"Q and K hold n = {n} tokens; head_attention forms (h, n, n) arrays only for "
            f"n <= {MAX_DENSE_N}: use diagnose_heads for statistics at larger n"
        )
    out = np.empty((h, n, n), dtype=Qa.dtype)
    block = _rows_per_block(h, n, Qa.dtype.itemsize)
    for rows, S, _allowed in logit_row_blocks(Qa, Ka, scale, mask_info, block):
        S -= S.max(axis=-1, keepdims=True)
        np.exp(S, out=S)
        S /= S.sum(axis=-1, keepdims=True)
        out[:, rows] = S
    return out[0] if np.ndim(Q) == 2 else out


# --- reference curves ---

_MODELS = ("simplex", "gaussian")


def _entropy_of_logits(S: np.ndarray) -> np.ndarray:
    """Softmax entropy of each row of ``S`` (last axis), stable."""
    T = S - S.max(axis=-1, keepdims=True)
    E = np.exp(T)
    Z = E.sum(axis=-1)
    return np.log(Z) - np.einsum("...n,...n->...", E, T) / Z


def entropy_vs_gap(
    n: int, gap: Any, *, model: str = "simplex", rows: int = 400, rng: Any = 0
) -> np.ndarray:
    """Row entropy over ``log n`` predicted from the logit gap over ``log n``.

    Parameters
    ----------
    n : int
        Keys per row, ``n >= 2``.
    gap : float or array_like
        Logit gap (top logit minus mean logit) over ``log n``, ``>= 0``.
    model : {"simplex", "gaussian"}
        ``"simplex"``: one top logit and ``n - 1`` equal others (the
        tractable model on a simplex, where the top is the self score), exact.
        ``"gaussian"``: i.i.d. Gaussian logits :math:`\\sigma z_j`; the curve
        pairs the mean entropy with the mean gap at the same :math:`\\sigma`,
        estimated on ``rows`` simulated rows of ``n`` standard Gaussians (the
        same rows for every gap, so the curve is smooth; standard error about
        0.005 with the default 400 rows).
    rows : int, default 400
        Simulated rows for the Gaussian model.
    rng : None, int or numpy.random.Generator, default 0
        Randomness for the Gaussian model (a fixed seed: a deterministic curve).

    Returns
    -------
    numpy.ndarray
        Entropy over ``log n``, in ``[0, 1]``, one per ``gap``.

    Examples
    --------
    >>> from critbook import entropy_vs_gap
    >>> entropy_vs_gap(512, [0.0, 1.0], model="simplex").round(3)
    array([1.   , 0.607])
    >>> entropy_vs_gap(512, [0.0, 1.0], model="gaussian").round(2)
    array([1. , 0.7])
    """
    n = check_int(n, "n", low=2)
    g = as_vector(gap, "gap", low=0.0)
    if model not in _MODELS:
        raise ValueError(f"model must be one of {_MODELS}; got {model!r}")
    logn = np.log(n)
    if model == "simplex":
        # Gap = delta (n - 1) / n with delta the top logit minus each other one.
        delta = g * logn * n / (n - 1)
        log_other = -np.logaddexp(0.0, np.log(n - 1) - delta) - delta  # log r
        log_p = -np.logaddexp(0.0, np.log(n - 1) - delta)  # log p
        p = np.exp(log_p)
        H = -p * log_p - (1.0 - p) * log_other
    else:
        rows = check_int(rows, "rows", low=1)
        z = as_rng(rng).standard_normal((rows, n))
        unit_gap = float(np.mean(z.max(axis=1) - z.mean(axis=1)))  # mean gap at sigma = 1
        H = np.empty(g.shape)
        for i, sigma in enumerate(g * logn / unit_gap):
            H[i] = _entropy_of_logits(sigma * z).mean()
    return np.clip(H / logn, 0.0, 1.0)
