"""An exact, faster forward pass for BERT-family sentence-transformers models on CPU.

sentence-transformers runs Hugging Face's ``BertModel`` on padded batches. On a 2-core CPU that
reaches about half of the machine's matrix-multiply rate for MiniLM (docs/benchmarks.md): a
fifth of the work is padding even after sorting by length, and the query, key and value
projections are three small matrix multiplies instead of one. This module runs the *same
weights through the same arithmetic* (fp32, exact GELU, the model's own layer-norm epsilon),
differently scheduled:

- texts are batched by **exact token length**, so no batch holds a padding token and no
  attention mask is needed (attention runs through torch's fused ``scaled_dot_product_attention``);
- the query, key and value weights are concatenated into one ``(3h, h)`` matrix per layer;
- each sub-layer's output projection is added into the residual stream in place
  (``x.addmm_``), and GELU runs in place: fewer passes over memory (about 3%);
- glibc keeps the freed batch buffers for the next batch (:func:`keep_freed_memory`) instead
  of returning them to the kernel and faulting them in again (10-25%).

Vectors agree with ``SentenceTransformer.encode`` to about 3e-7 per coordinate (cosine
0.9999999; ``tests/test_embed_fused.py`` checks it on the real model). Anything this module does
not recognise (another architecture, another pooling, relative positions, another activation)
makes :meth:`FusedBertEncoder.from_sentence_transformer` return None, and the caller falls
back to sentence-transformers' own ``encode``.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

# Texts tokenised per call: bounds the padded id matrix the tokenizer returns
# (4,096 texts x at most 512 ids x 3 arrays of int64 is 48 MB).
_TOKENISE_CHUNK = 4096


# glibc's malloc settings (mallopt parameters) for the embedding: keep up to this much freed
# memory at the top of the heap instead of handing it back to the kernel, and serve blocks up
# to this size from the heap rather than from fresh mmap() pages.
_TRIM_THRESHOLD = 128 << 20
_MMAP_THRESHOLD = 32 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from glibc's malloc.h
_MALLOC_TUNED = False


def keep_freed_memory() -> bool:
    """Let glibc's allocator reuse the forward pass's freed buffers instead of returning them to
    the kernel (once per process; True if the settings were applied).

    Each batch allocates and frees a few tensors of up to 12 MB. With glibc's default,
    adaptive thresholds those pages went back to the kernel and were faulted in again, zeroed,
    on the next batch: 0.3-1.9 million page faults per 2,300 texts, depending on what the
    process had allocated before, and up to a tenth of the embedding's CPU time in the kernel.
    With fixed thresholds (at most 128 MB kept) it was 35-50 thousand faults and the same
    texts embedded 10-25% faster, measured in alternating runs. Only glibc (Linux) has
    ``mallopt``; elsewhere this does nothing.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return True
    try:
        import ctypes
        import sys

        if not sys.platform.startswith("linux"):
            return False
        libc = ctypes.CDLL("libc.so.6")
        _MALLOC_TUNED = bool(libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
                             and libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD))
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        _MALLOC_TUNED = False
    return _MALLOC_TUNED


def equal_length_batches(lengths: Sequence[int], batch_tokens: int) -> list[np.ndarray]:
    """Group row indices into batches whose texts all have the same token length.

    Longest texts come first (so the progress bar's first steps show the slowest batches
    rather than promising too much), and each batch holds at most ``batch_tokens`` tokens (at
    least one text). Ties keep the input order, so the same input always gives the same
    batches.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        length = int(lengths[order[start]])
        end = start
        while end < len(order) and lengths[order[end]] == length:
            end += 1
        per_batch = max(1, batch_tokens // max(length, 1))
        for s in range(start, end, per_batch):
            batches.append(order[s:min(s + per_batch, end)])
        start = end
    return batches


def _pooling_is_mean(pooling) -> bool:
    config = pooling.get_config_dict() if hasattr(pooling, "get_config_dict") else {}
    mode = config.get("pooling_mode")
    if mode is not None:  # sentence-transformers 6
        return mode == "mean" and config.get("include_prompt", True)
    flags = [k for k, v in config.items() if k.startswith("pooling_mode_") and v]
    return flags == ["pooling_mode_mean_tokens"]


class FusedBertEncoder:
    """Mean-pooled, unit-length sentence vectors from a BERT encoder's weights.

    Build it with :meth:`from_sentence_transformer`; call :meth:`encode_ids` with a batch of
    equal-length token id rows (as :func:`equal_length_batches` groups them).
    """

    def __init__(self, weights: dict, config: dict):
        """``weights``: a Hugging Face ``BertModel`` state dict (names like
        ``encoder.layer.0.attention.self.query.weight``); ``config``: its config as a dict."""
        import torch

        keep_freed_memory()

        def w(name):
            return weights[name].detach().float().contiguous()

        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.head_dim = self.hidden // self.heads
        eps = float(config.get("layer_norm_eps", 1e-12))
        self.word = w("embeddings.word_embeddings.weight")
        self.position = w("embeddings.position_embeddings.weight")
        self.token_type = w("embeddings.token_type_embeddings.weight")
        self.embed_norm = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), eps)
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            self.layers.append({
                "qkv_w": torch.cat([w(p + f"attention.self.{n}.weight")
                                    for n in ("query", "key", "value")]).contiguous(),
                "qkv_b": torch.cat([w(p + f"attention.self.{n}.bias")
                                    for n in ("query", "key", "value")]).contiguous(),
                # Transposed views (no copies): the in-place addmm_ below multiplies by W.T.
                "out_wT": w(p + "attention.output.dense.weight").t(),
                "out_b": w(p + "attention.output.dense.bias"),
                "norm1": (w(p + "attention.output.LayerNorm.weight"),
                          w(p + "attention.output.LayerNorm.bias"), eps),
                "ff1_w": w(p + "intermediate.dense.weight"),
                "ff1_b": w(p + "intermediate.dense.bias"),
                "ff2_wT": w(p + "output.dense.weight").t(), "ff2_b": w(p + "output.dense.bias"),
                "norm2": (w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"), eps),
            })

    @classmethod
    def from_sentence_transformer(cls, model) -> "FusedBertEncoder | None":
        """The fused encoder for a loaded SentenceTransformer, or None if it is not a plain
        mean-pooled BERT (then use the model's own ``encode``)."""
        try:
            modules = list(model)
            names = [type(m).__name__ for m in modules]
            if names[:2] != ["Transformer", "Pooling"] or any(
                    n != "Normalize" for n in names[2:]):
                return None
            if not _pooling_is_mean(modules[1]):
                return None
            bert = modules[0].auto_model
            if type(bert).__name__ != "BertModel" or not _plain_bert(bert.config.to_dict()):
                return None
            return cls(bert.state_dict(), bert.config.to_dict())
        except Exception as exc:  # an unexpected layout: the plain path is always correct
            log.info("fused BERT forward unavailable (%s); using sentence-transformers' encode",
                     exc)
            return None

    def encode_ids(self, input_ids: np.ndarray, token_type_ids: np.ndarray | None = None
                   ) -> np.ndarray:
        """Unit vectors, float32 (B, hidden), for B token-id rows of one length (no padding)."""
        import torch
        import torch.nn.functional as F

        ids = torch.as_tensor(np.asarray(input_ids, dtype=np.int64))
        batch, length = ids.shape
        h, heads, head_dim = self.hidden, self.heads, self.head_dim
        with torch.inference_mode():
            if token_type_ids is None or not np.any(token_type_ids):
                types = self.token_type[0]  # single-segment text: one row, broadcast
            else:
                types = self.token_type[torch.as_tensor(np.asarray(token_type_ids,
                                                                   dtype=np.int64))]
            x = self.word[ids] + self.position[:length] + types
            x = F.layer_norm(x, (h,), *self.embed_norm).view(batch * length, h)
            for p in self.layers:
                qkv = F.linear(x, p["qkv_w"], p["qkv_b"])
                q, k, v = qkv.view(batch, length, 3, heads, head_dim).permute(2, 0, 3, 1, 4)
                context = F.scaled_dot_product_attention(q, k, v)
                context = context.transpose(1, 2).reshape(batch * length, h)
                # The residual stream takes each sub-layer's output in place (x += W a + b): no
                # bias copied into a fresh output and no separate residual pass.
                x.addmm_(context, p["out_wT"]).add_(p["out_b"])
                x = F.layer_norm(x, (h,), *p["norm1"])
                hidden = torch.ops.aten.gelu_(F.linear(x, p["ff1_w"], p["ff1_b"]))
                x.addmm_(hidden, p["ff2_wT"]).add_(p["ff2_b"])
                x = F.layer_norm(x, (h,), *p["norm2"])
            pooled = x.view(batch, length, h).mean(dim=1)
            return F.normalize(pooled, dim=1).numpy().astype(np.float32, copy=False)


def _plain_bert(config: dict) -> bool:
    """Whether a BERT config is one this forward computes exactly."""
    return (config.get("model_type") == "bert"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and config.get("hidden_act") == "gelu"
            and not config.get("is_decoder", False)
            and int(config["hidden_size"]) % int(config["num_attention_heads"]) == 0)


class FolderModel:
    """The default model read straight from its folder, without sentence-transformers.

    Importing sentence-transformers costs about 8.6 s per process on this machine (measured;
    torch itself 2.3 s), more than embedding 2,000 texts. For the default model's folder
    (modules Transformer, mean Pooling, Normalize) the weights come from ``model.safetensors``
    and the tokenizer from ``tokenizer.json`` via the ``tokenizers`` library, truncated at the
    model's ``max_seq_length`` exactly as sentence-transformers does;
    ``tests/test_embed_fused.py`` checks the vectors against sentence-transformers'.
    """

    def __init__(self, encoder: FusedBertEncoder, tokenizer):
        self.encoder, self.tokenizer = encoder, tokenizer

    @classmethod
    def open(cls, folder) -> "FolderModel | None":
        """The model in ``folder``, or None if it is not a plain mean-pooled BERT folder."""
        import json
        from pathlib import Path

        folder = Path(folder)
        try:
            modules = json.loads((folder / "modules.json").read_text())
            kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
            if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
                return None
            pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
            flags = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
            if flags != ["pooling_mode_mean_tokens"]:
                return None
            st_config = json.loads((folder / "sentence_bert_config.json").read_text())
            config = json.loads((folder / "config.json").read_text())
            if (not _plain_bert(config) or st_config.get("do_lower_case")
                    or not (folder / "tokenizer.json").is_file()
                    or not (folder / "model.safetensors").is_file()):
                return None
            from safetensors.torch import load_file
            from tokenizers import Tokenizer

            max_length = min(int(st_config.get("max_seq_length") or 512),
                             int(config.get("max_position_embeddings", 512)))
            tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=max_length)
            tokenizer.no_padding()
            weights = load_file(str(folder / "model.safetensors"))
            weights = {k.removeprefix("bert."): v for k, v in weights.items()}
            return cls(FusedBertEncoder(weights, config), tokenizer)
        except Exception as exc:  # anything unexpected: sentence-transformers reads it instead
            log.info("reading %s directly failed (%s); using sentence-transformers", folder, exc)
            return None

    def tokenise(self, texts: Sequence[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        # A chunk at a time: each of the tokenizer's Encoding objects keeps its tokens'
        # strings, offsets and masks. 250,000 texts at once raised the process's memory by
        # 1.57 GiB, kept after they were freed; a chunk at a time by 0.24 GiB.
        ids: list[np.ndarray] = []
        types: list[np.ndarray] = []
        for start in range(0, len(texts), _TOKENISE_CHUNK):
            encodings = self.tokenizer.encode_batch(list(texts[start:start + _TOKENISE_CHUNK]))
            ids.extend(np.asarray(e.ids, dtype=np.int64) for e in encodings)
            types.extend(np.asarray(e.type_ids, dtype=np.int64) for e in encodings)
        return ids, types


def tokenise(model, texts: Sequence[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Token ids and token type ids per text, exactly as the model's own preprocessing makes
    them (same truncation, same special tokens), with the padding removed."""
    ids: list[np.ndarray] = []
    types: list[np.ndarray] = []
    for start in range(0, len(texts), _TOKENISE_CHUNK):
        features = model.preprocess(list(texts[start:start + _TOKENISE_CHUNK]))
        input_ids = features["input_ids"].numpy()
        mask = features["attention_mask"].numpy().astype(bool)
        token_types = features.get("token_type_ids")
        token_types = token_types.numpy() if token_types is not None else np.zeros_like(input_ids)
        for row in range(input_ids.shape[0]):
            ids.append(input_ids[row][mask[row]])
            types.append(token_types[row][mask[row]])
    return ids, types
