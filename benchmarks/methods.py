"""The timed methods: each builds its inputs once and returns a zero-argument callable.

Every method of one table works on the same tokens: ``X`` drawn from a
standard Gaussian (seed 0) in the requested dtype, ``beta = log n`` (the
critical scale ``gamma = 1`` of the book). Imports of optional packages
(torch) happen inside the factories, so
importing this module needs only numpy and critbook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Factory = Callable[[int, int, str], Callable[[], Any]]


def tokens(n: int, d: int, dtype: str = "float32", seed: int = 0) -> np.ndarray:
    """Gaussian tokens, generated directly in ``dtype`` (no float64 transient)."""
    return np.random.default_rng(seed).standard_normal((n, d), dtype=np.dtype(dtype).type)


def default_beta(n: int) -> float:
    return float(np.log(n))


def naive_bytes(n: int, dtype: str) -> int:
    """Memory of the dense ``n x n`` score matrix of the naive methods."""
    return n * n * np.dtype(dtype).itemsize


# ----------------------------------------------------------------------- the layer


def critbook_layer(n: int, d: int, dtype: str) -> Callable[[], Any]:
    import critbook as cb

    X, beta = tokens(n, d, dtype), default_beta(n)
    return lambda: cb.attention_layer(X, beta)


def _naive_scores(X: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Directions ``Y`` and the full ``n x n`` scores ``beta Y Y^T`` minus each row's max."""
    Y = X / np.linalg.norm(X, axis=1, keepdims=True)
    S = Y @ Y.T
    S *= beta
    S -= S.max(axis=1, keepdims=True)
    return Y, S


def naive_layer(n: int, d: int, dtype: str) -> Callable[[], Any]:
    """Textbook numpy: the full ``n x n`` softmax with max subtraction, then ``A @ Y``."""
    X, beta = tokens(n, d, dtype), default_beta(n)

    def run() -> np.ndarray:
        Y, S = _naive_scores(X, beta)
        np.exp(S, out=S)
        S /= S.sum(axis=1, keepdims=True)
        return S @ Y

    return run


def torch_layer(n: int, d: int, dtype: str) -> Callable[[], Any]:
    """PyTorch's CPU ``scaled_dot_product_attention`` on the normalised tokens (q = k = v)."""
    import torch

    import critbook as cb

    Y = torch.from_numpy(cb.normalize(tokens(n, d, dtype))).reshape(1, 1, n, d)
    beta = default_beta(n)
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def run() -> np.ndarray:
        with torch.inference_mode():
            return sdpa(Y, Y, Y, scale=beta).reshape(n, d).numpy()

    return run


# --------------------------------------------------------------------- the entropy


def critbook_entropy(n: int, d: int, dtype: str) -> Callable[[], Any]:
    import critbook as cb

    X, beta = tokens(n, d, dtype), default_beta(n)
    return lambda: cb.attention_entropy(X, beta)


def naive_entropy(n: int, d: int, dtype: str) -> Callable[[], Any]:
    """Full score matrix, log-sum-exp, ``H = log Z - sum_j A_ij s_ij``."""
    X, beta = tokens(n, d, dtype), default_beta(n)

    def run() -> np.ndarray:
        _, S = _naive_scores(X, beta)
        E = np.exp(S)
        Z = E.sum(axis=1)
        E *= S
        return np.log(Z) - E.sum(axis=1) / Z

    return run


# ------------------------------------------------------------------- gradients.jvp


def critbook_layer64(n: int, d: int, dtype: str) -> Callable[[], Any]:
    """The layer in float64 (the precision of :func:`critbook.gradients.jvp`)."""
    return critbook_layer(n, d, "float64")


def critbook_jvp(n: int, d: int, dtype: str) -> Callable[[], Any]:
    from critbook.gradients import jvp

    X, beta = tokens(n, d, "float64"), default_beta(n)
    V = tokens(n, d, "float64", seed=1)
    return lambda: jvp(X, beta, V)


def critbook_jvp4(n: int, d: int, dtype: str) -> Callable[[], Any]:
    """:func:`jvp` with a stack of 4 directions (as used by Hutchinson's estimator)."""
    from critbook.gradients import jvp

    X, beta = tokens(n, d, "float64"), default_beta(n)
    V = np.stack([tokens(n, d, "float64", seed=s) for s in range(1, 5)])
    return lambda: jvp(X, beta, V)


METHODS: dict[str, Factory] = {
    "critbook": critbook_layer,
    "naive": naive_layer,
    "torch": torch_layer,
    "entropy": critbook_entropy,
    "naive_entropy": naive_entropy,
    "layer64": critbook_layer64,
    "jvp": critbook_jvp,
    "jvp4": critbook_jvp4,
}
