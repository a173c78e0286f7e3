"""critbook.heads: diagnose_heads against a direct softmax, key-shift invariance, reference curves.

The reference computes every field from the full ``(h, n, n)`` logits and attention at small
``n`` (fine there), with plain numpy and no code shared with the streamed loop. Bad input is in
``tests/input_contract.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import critbook as cb
from critbook import _kernel


def _direct(Q, K, scale, mask):
    """Every field of HeadDiagnosis from the dense logits (float64)."""
    Q = np.asarray(Q, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    if Q.ndim == 2:
        Q, K = Q[None], K[None]
    h, n, d = Q.shape
    scale = 1 / np.sqrt(d) if scale is None else scale
    if mask is None:
        visible = np.ones((n, n), bool)
        queries = np.ones(n, bool)
        keys = np.ones(n, bool)
    elif isinstance(mask, str):
        visible = np.tril(np.ones((n, n), bool))
        queries = np.arange(n) >= 1  # rows with at least two keys
        keys = np.ones(n, bool)
    else:
        visible = np.broadcast_to(mask, (n, n)).copy()
        queries = mask.copy()
        keys = mask.copy()
    per_row = (*cb.HeadDiagnosis.ATTENTION_FIELDS, "gamma")
    out = {
        name: np.zeros(h) for name in (*per_row, "logit_scale", "key_cosine", "key_cosine_centered")
    }
    for a in range(h):
        S = scale * Q[a] @ K[a].T
        rows = np.flatnonzero(queries)
        vals = {k: [] for k in per_row}
        for i in rows:
            s = S[i, visible[i]]
            m = s.size
            w = np.exp(s - s.max())
            w /= w.sum()
            full = np.full(n, -1.0)
            full[visible[i]] = w
            vals["gap"].append((s.max() - s.mean()) / np.log(m))
            vals["spread"].append(s.std() / np.sqrt(2 * np.log(m)))
            log_w = s - s.max() - np.log(np.sum(np.exp(s - s.max())))
            vals["entropy"].append(-np.sum(w * log_w) / np.log(m))
            vals["max_weight"].append(w.max())
            vals["self_argmax"].append(float(np.argmax(full) == i))
            vals["previous_argmax"].append(float(np.argmax(full) == i - 1))
            vals["gamma"].append(1 / np.log(m))
        for k in per_row:
            out[k][a] = np.mean(vals[k])
        qn = np.linalg.norm(Q[a, queries], axis=1).mean()
        kn = np.linalg.norm(K[a, keys], axis=1).mean()
        out["logit_scale"][a] = qn * kn * scale
        out["gamma"][a] *= qn * kn * scale
        for name, X in (
            ("key_cosine", K[a, keys]),
            ("key_cosine_centered", K[a, keys] - K[a, keys].mean(0)),
        ):
            U = X / np.linalg.norm(X, axis=1, keepdims=True)
            C = U @ U.T
            k = len(U)
            out[name][a] = (C.sum() - np.trace(C)) / (k * (k - 1))
    return out


def _heads(h, n, d, seed, dtype=np.float64, spread=1.0):
    rng = np.random.default_rng(seed)
    Q = rng.standard_normal((h, n, d)) * spread
    K = rng.standard_normal((h, n, d)) * spread + rng.standard_normal(d)  # keys share an offset
    # Make some heads attend to themselves / the previous token, so the argmax fields are not ~0.
    Q[0] += 3 * K[0]
    if h > 1:
        Q[1, 1:] += 3 * K[1, :-1]
    return Q.astype(dtype), K.astype(dtype)


_PAD = np.array([True] * 37 + [False] * 11)
_PAD_INSIDE = np.array([True, False] * 24)

# (h, n, d, scale, mask, spread): one row per configuration.
CASES = [
    (3, 48, 8, None, None, 1.0),
    (3, 48, 8, None, "causal", 1.0),
    (3, 48, 8, None, _PAD, 1.0),
    (3, 48, 8, 0.9, _PAD_INSIDE, 2.0),
    (2, 7, 3, 0.0, None, 1.0),  # scale 0: uniform attention
    (4, 64, 16, 2.5, "causal", 3.0),  # sharp heads
]


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 3e-5)])
@pytest.mark.parametrize("h,n,d,scale,mask,spread", CASES)
def test_every_field_matches_direct_softmax(h, n, d, scale, mask, spread, dtype, rtol):
    Q, K = _heads(h, n, d, seed=n + h, dtype=dtype, spread=spread)
    got = cb.diagnose_heads(Q, K, scale=scale, mask=mask)
    want = _direct(Q, K, scale, mask)
    assert got.n == n
    for name, value in got.as_dict().items():
        assert value.shape == (h,), name
        np.testing.assert_allclose(value, want[name], rtol=rtol, atol=rtol, err_msg=name)


def test_streaming_blocks_do_not_change_the_result(monkeypatch):
    Q, K = _heads(3, 50, 4, seed=1)
    whole = cb.diagnose_heads(Q, K, mask="causal")
    monkeypatch.setattr(_kernel, "TILE_BYTES", 1)  # blocks of 1 row
    blocked = cb.diagnose_heads(Q, K, mask="causal")
    for name, value in whole.as_dict().items():
        np.testing.assert_allclose(getattr(blocked, name), value, rtol=1e-12, err_msg=name)


def test_one_head_as_2d_arrays():
    Q, K = _heads(1, 30, 5, seed=2)
    np.testing.assert_allclose(
        cb.diagnose_heads(Q[0], K[0]).entropy, cb.diagnose_heads(Q, K).entropy, rtol=1e-14
    )


def test_shared_key_shift_leaves_attention_fields_unchanged():
    Q, K = _heads(4, 60, 8, seed=3)
    shift = 5.0 * np.random.default_rng(4).standard_normal(8)
    for mask in (None, "causal", _PAD[:48].tolist() and np.r_[_PAD, [True] * 12]):
        a = cb.diagnose_heads(Q, K, mask=mask)
        b = cb.diagnose_heads(Q, K + shift, mask=mask)
        for name in cb.HeadDiagnosis.ATTENTION_FIELDS:
            np.testing.assert_allclose(
                getattr(b, name), getattr(a, name), rtol=1e-9, atol=1e-12, err_msg=name
            )
        # ... while the key cosine moves (here towards 1) and the centred cosine does not.
        assert np.all(b.key_cosine > a.key_cosine + 0.3)
        np.testing.assert_allclose(b.key_cosine_centered, a.key_cosine_centered, rtol=1e-9)


def test_float32_in_float32_out_of_range_logits_refused():
    Q, K = _heads(2, 20, 4, seed=5, dtype=np.float32)
    assert cb.diagnose_heads(Q, K).entropy.dtype == np.float64  # statistics summed in float64
    with pytest.raises(ValueError, match="scale"):
        cb.diagnose_heads(Q * 1e10, K * 1e10, scale=1e15)


def _simulated_entropy(S):
    T = S - S.max(axis=-1, keepdims=True)
    E = np.exp(T)
    Z = E.sum(axis=-1)
    return np.log(Z) - (E * T).sum(axis=-1) / Z


@pytest.mark.parametrize("n", [32, 512])
@pytest.mark.parametrize("sigma", [0.5, 2.0, 5.0])
def test_gaussian_curve_against_simulation(n, sigma):
    """i.i.d. N(0, sigma^2) logits, simulated here with another seed: (mean gap, mean entropy)."""
    S = sigma * np.random.default_rng(100 + n).standard_normal((3000, n))
    gap = np.mean(S.max(axis=1) - S.mean(axis=1)) / np.log(n)
    entropy = np.mean(_simulated_entropy(S)) / np.log(n)
    assert cb.entropy_vs_gap(n, gap, model="gaussian")[0] == pytest.approx(entropy, abs=0.015)


@pytest.mark.parametrize("n", [32, 512])
@pytest.mark.parametrize("gamma,rho", [(0.5, 0.3), (1.0, 0.5), (3.0, 0.2)])
def test_simplex_curve_against_simplex_tokens(n, gamma, rho):
    """Attention on simplex tokens (critbook.simplex_tokens) at beta = gamma log n / (1 - rho)."""
    Y = cb.simplex_tokens(n, rho)
    beta = gamma * np.log(n) / (1 - rho)
    S = beta * Y @ Y.T
    gap = np.mean(S.max(axis=1) - S.mean(axis=1)) / np.log(n)
    entropy = np.mean(_simulated_entropy(S)) / np.log(n)
    assert cb.entropy_vs_gap(n, gap, model="simplex")[0] == pytest.approx(entropy, rel=1e-10)


def test_curves_are_monotone_from_uniform():
    g = np.linspace(0, 4, 41)
    for model in ("simplex", "gaussian"):
        H = cb.entropy_vs_gap(128, g, model=model)
        assert H[0] == pytest.approx(1.0)
        assert np.all(np.diff(H) < 0)
        assert np.all((H >= 0) & (H <= 1))


@pytest.mark.parametrize("mask", [None, "causal", _PAD])
def test_head_attention_is_the_masked_softmax(mask):
    Q, K = _heads(3, 48, 8, seed=7)
    A = cb.head_attention(Q, K, scale=0.7, mask=mask)
    S = 0.7 * Q @ K.transpose(0, 2, 1)
    if mask is not None:
        visible = (
            np.tril(np.ones((48, 48), bool))
            if isinstance(mask, str)
            else np.broadcast_to(mask, (48, 48))
        )
        S = np.where(visible, S, -np.inf)
    W = np.exp(S - S.max(-1, keepdims=True))
    np.testing.assert_allclose(A, W / W.sum(-1, keepdims=True), rtol=1e-12, atol=1e-300)
    assert cb.head_attention(Q[0], K[0]).shape == (48, 48)


@pytest.mark.parametrize("dtype,size", [(np.float64, 1e60), (np.float32, 1e12)])
def test_huge_logits_stay_finite(dtype, size):
    """Logits far beyond exp's range: one-hot attention, finite statistics."""
    Q, K = _heads(2, 30, 4, seed=8, dtype=dtype)
    d = cb.diagnose_heads(Q, K, scale=size)
    for name, value in d.as_dict().items():
        assert np.all(np.isfinite(value)), name
    np.testing.assert_allclose(d.max_weight, 1.0)
    np.testing.assert_allclose(d.entropy, 0.0, atol=1e-12)
