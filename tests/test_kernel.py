"""The one attention kernel (critbook._kernel): tiles, row blocks, guards, determinism.

The public functions built on it are tested against direct softmax in their own
test modules; here the kernel's own contract: every tile and block holds
exp(beta (<y_i, y_j> - 1)) with exact self terms, the symmetric tiles cover
each pair once, the guards only clip where they must, and results are
bit-identical from one fresh process to the next.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import critbook as cb
from critbook import _kernel


def _unit(n: int, d: int, seed: int, dtype: type = np.float64) -> np.ndarray:
    X = np.random.default_rng(seed).standard_normal((n, d))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(dtype)


def _direct(Y: np.ndarray, beta: float) -> np.ndarray:
    """exp(beta (Y Y^T - 1)) in float64 straight from the definition, self terms 1."""
    Y = Y.astype(np.float64)
    E = np.exp(beta * (Y @ Y.T - 1.0))
    np.fill_diagonal(E, 1.0)
    return E


@pytest.mark.parametrize("block", [None, 1, 7, 64])
def test_symmetric_tiles_cover_every_pair_once(monkeypatch: pytest.MonkeyPatch, block) -> None:
    # Small budget: every row block spans several column tiles.
    monkeypatch.setattr(_kernel, "TILE_BYTES", 8 * 8 * 16)
    Y = _unit(100, 5, seed=1)
    ref = _direct(Y, 3.0)
    got = np.full((100, 100), np.nan)
    for I, J, F in _kernel.Kernel(Y, 3.0).symmetric_tiles(block):
        assert np.all(np.isnan(got[I, J])), "a tile visited twice"
        got[I, J] = F.T
        if J != I:
            assert J.start >= I.stop, "tiles lie on or above the diagonal"
            got[J, I] = F
    assert not np.any(np.isnan(got))
    assert_allclose(got, ref, rtol=1e-13)
    assert_array_equal(np.diag(got), 1.0)


@pytest.mark.parametrize("queries", [None, 30, np.array([3, 99, 0, 41]), np.arange(100)[::-7]])
def test_row_blocks_hold_whole_rows(queries) -> None:
    Y = _unit(100, 4, seed=2)
    ref = _direct(Y, 2.0)
    rows = (
        np.arange(100)
        if queries is None
        else (np.arange(queries) if isinstance(queries, int) else queries)
    )
    got = [
        (np.arange(100)[I], E.copy())
        for I, E in _kernel.Kernel(Y, 2.0).row_blocks(queries, block=8)
    ]
    assert_array_equal(np.concatenate([i for i, _ in got]), rows)
    assert_allclose(np.vstack([E for _, E in got]), ref[rows], rtol=1e-13)


def test_shifted_cosines_and_exp_scaled() -> None:
    # beta = 1 without exp gives <y_i, y_j> - 1 (self 0); exp_scaled applies any beta after.
    Y = _unit(40, 6, seed=3)
    G = _kernel.Kernel(Y, 1.0).rows(slice(0, 40), exp=False)
    ref = Y @ Y.T - 1.0
    np.fill_diagonal(ref, 0.0)
    assert_allclose(G, ref, rtol=0, atol=1e-15)
    assert_array_equal(np.diag(G), 0.0)
    betas = np.array([0.0, 1.5, 40.0])
    E = _kernel.exp_scaled(G[:, None, :], betas[None, :, None], 6)
    for k, beta in enumerate(betas):
        assert_allclose(E[:, k, :], _direct(Y, beta), rtol=1e-13)


@pytest.mark.parametrize(
    ("scale", "dtype", "d", "low", "high"),
    [
        (10.0, np.float64, 64, None, None),  # nothing to guard
        (10.0, np.float32, 64, None, None),  # scores >= -20: no subnormal weights
        (50.0, np.float32, 64, _kernel.FLOOR_FLOAT32, None),  # scores reach -100
        (50.0, np.float64, 64, None, None),  # float64 has range to spare
        (1e14, np.float64, 64, None, 0.0),  # rounding of beta <y, y> could exceed 0
        (1e6, np.float32, 64, _kernel.FLOOR_FLOAT32, 0.0),
    ],
)
def test_guards_only_where_needed(scale, dtype, d, low, high) -> None:
    assert _kernel._guards(scale, np.dtype(dtype), d) == (low, high)


def test_float32_floor_keeps_weights_normal() -> None:
    # Scores down to -2 beta = -120: without the floor some weights would be subnormal.
    Y = _unit(300, 3, seed=4, dtype=np.float32)
    for I, E in _kernel.Kernel(Y, 60.0).row_blocks():
        positive = E[E > 0]
        assert positive.min() >= np.finfo(np.float32).tiny
        assert_allclose(E, _direct(Y, 60.0)[I], rtol=2e-5, atol=2e-38)


@pytest.mark.parametrize(
    ("n", "itemsize", "block", "width", "rows"),
    [
        (1000, 8, None, 1, 524),
        (10**7, 8, None, 1, 1),
        (50, 8, None, 1, 50),
        (1000, 4, None, 3, 349),
        (1000, 8, 17, 5, 17),
        (10, 8, 17, 1, 10),
    ],
)
def test_block_rows_follow_the_one_budget(n, itemsize, block, width, rows) -> None:
    assert _kernel.block_rows(n, itemsize, block, width=width) == rows
    if block is None and rows > 1:
        assert rows * width * n * itemsize <= _kernel.TILE_BYTES


_RUN = textwrap.dedent(
    """
    import hashlib, sys
    import numpy as np
    import critbook as cb
    X = cb.gaussian_tokens(1500, 64, 0.3, rng=7)
    out = []
    for dt in (np.float32, np.float64):
        Xd = X.astype(dt)
        beta = 1.3 * np.log(len(X)) / 0.7
        out.append(cb.attention_layer(Xd, beta, 0.5).tobytes())
        out.append(cb.attention_entropy(Xd, beta).tobytes())
    sys.stdout.write(hashlib.sha256(b"".join(out)).hexdigest())
    """
)


def test_same_bits_in_two_fresh_processes() -> None:
    # The kernel makes no choice at run time (no timing of exp against exp2): two fresh
    # processes, one of them with the other core kept busy, give the same bytes.
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        digests = [
            subprocess.run(
                [sys.executable, "-c", _RUN], capture_output=True, text=True, check=True
            ).stdout
            for _ in range(2)
        ]
    finally:
        busy.kill()
        busy.wait()
    assert len(digests[0]) == 64
    assert digests[0] == digests[1]


def test_layer_is_the_kernel_sum_over_rows() -> None:
    # The streamed layer equals softmax(beta Y Y^T) Y from the definition, in both dtypes.
    Y = _unit(500, 16, seed=5)
    beta = 7.0
    A = _direct(Y, beta)
    A /= A.sum(axis=1, keepdims=True)
    assert_allclose(cb.attention_layer(Y, beta), A @ Y, rtol=0, atol=1e-14)
    out32 = cb.attention_layer(Y.astype(np.float32), beta)
    assert out32.dtype == np.float32
    assert_allclose(out32, A @ Y, rtol=0, atol=3e-6)


@pytest.mark.parametrize("base2", [False, True])
@pytest.mark.parametrize("beta", [0.0, 7.0, 60.0])
def test_float32_layer_and_entropy_in_either_base(monkeypatch, base2: bool, beta: float) -> None:
    # The float32 layer and entropies use exp2 where numpy vectorises it; both bases
    # (and the base-2 floor at beta = 60, scores down to -120) give the direct softmax.
    monkeypatch.setattr(_kernel, "FLOAT32_BASE2", base2)
    Y = _unit(300, 8, seed=6)
    A = _direct(Y, beta)
    A /= A.sum(axis=1, keepdims=True)
    Y32 = Y.astype(np.float32)
    assert_allclose(cb.attention_layer(Y32, beta, block=64), A @ Y, rtol=0, atol=3e-6)
    with np.errstate(divide="ignore", invalid="ignore"):
        H = -np.sum(np.where(A > 0, A * np.log(A), 0.0), axis=1)
    assert_allclose(cb.attention_entropy(Y32, beta, block=64), H, rtol=0, atol=2e-5)
