"""An exact, faster forward pass for BERT-family sentence-transformers models on CPU.

sentence-transformers runs Hugging Face's ``BertModel`` on padded batches. On a 2-core CPU that
reaches about half of the machine's matrix-multiply rate for MiniLM (docs/benchmarks.md): a
fifth of the work is padding even after sorting by length, and the query, key and value
projections are three small matrix multiplies instead of one. This module runs the *same
weights through the same arithmetic* (fp32, exact GELU, the model's own layer-norm epsilon),
differently scheduled:

- texts are batched by **exact token length**, so no batch holds a padding token and no
  attention mask is needed (attention runs through torch's fused ``scaled_dot_product_attention``);
- the query, key and value weights are concatenated into one ``(3h, h)`` matrix per layer.

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

    def __init__(self, bert):
        import torch

        config = bert.config
        self.hidden = config.hidden_size
        self.heads = config.num_attention_heads
        self.head_dim = self.hidden // self.heads
        emb = bert.embeddings
        self.word = emb.word_embeddings.weight.detach()
        self.position = emb.position_embeddings.weight.detach()
        self.token_type = emb.token_type_embeddings.weight.detach()
        self.embed_norm = (emb.LayerNorm.weight.detach(), emb.LayerNorm.bias.detach(),
                           emb.LayerNorm.eps)
        self.layers = []
        for layer in bert.encoder.layer:
            attn, out = layer.attention.self, layer.attention.output
            self.layers.append({
                "qkv_w": torch.cat([attn.query.weight, attn.key.weight,
                                    attn.value.weight]).detach().contiguous(),
                "qkv_b": torch.cat([attn.query.bias, attn.key.bias,
                                    attn.value.bias]).detach().contiguous(),
                "out_w": out.dense.weight.detach(), "out_b": out.dense.bias.detach(),
                "norm1": (out.LayerNorm.weight.detach(), out.LayerNorm.bias.detach(),
                          out.LayerNorm.eps),
                "ff1_w": layer.intermediate.dense.weight.detach(),
                "ff1_b": layer.intermediate.dense.bias.detach(),
                "ff2_w": layer.output.dense.weight.detach(),
                "ff2_b": layer.output.dense.bias.detach(),
                "norm2": (layer.output.LayerNorm.weight.detach(),
                          layer.output.LayerNorm.bias.detach(), layer.output.LayerNorm.eps),
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
            config = bert.config
            if (type(bert).__name__ != "BertModel"
                    or getattr(config, "position_embedding_type", "absolute") != "absolute"
                    or config.hidden_act != "gelu"
                    or getattr(config, "is_decoder", False)
                    or config.hidden_size % config.num_attention_heads):
                return None
            return cls(bert)
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
                y = F.linear(context, p["out_w"], p["out_b"])
                y += x
                x = F.layer_norm(y, (h,), *p["norm1"])
                y = F.linear(F.gelu(F.linear(x, p["ff1_w"], p["ff1_b"])), p["ff2_w"], p["ff2_b"])
                y += x
                x = F.layer_norm(y, (h,), *p["norm2"])
            pooled = x.view(batch, length, h).mean(dim=1)
            return F.normalize(pooled, dim=1).numpy().astype(np.float32, copy=False)


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
