"""The fused BERT forward: the same vectors as sentence-transformers, batches without padding."""

from __future__ import annotations

import numpy as np
import pytest

from synth_quality.config import EmbedConfig
from synth_quality.embed.fused import FusedBertEncoder, equal_length_batches


def test_equal_length_batches_cover_every_row_once_without_mixing_lengths():
    rng = np.random.default_rng(3)
    lengths = rng.integers(2, 60, size=500)
    batches = equal_length_batches(lengths, batch_tokens=256)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(500))
    for batch in batches:
        assert len(set(lengths[batch].tolist())) == 1
        assert len(batch) == 1 or len(batch) * lengths[batch[0]] <= 256
    firsts = [lengths[b[0]] for b in batches]
    assert firsts == sorted(firsts, reverse=True)  # longest texts first
    again = equal_length_batches(lengths, batch_tokens=256)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_a_text_longer_than_the_token_budget_still_gets_its_own_batch():
    batches = equal_length_batches([300, 5, 5], batch_tokens=100)
    assert [b.tolist() for b in batches] == [[0], [1, 2]]


class _Named:
    def __init__(self, name, config=None):
        self.__class__ = type(name, (), {"get_config_dict": lambda s: config or {}})


def test_models_the_fused_forward_does_not_cover_fall_back_to_encode():
    cls_pooling = [_Named("Transformer"), _Named("Pooling", {"pooling_mode": "cls"})]
    assert FusedBertEncoder.from_sentence_transformer(cls_pooling) is None
    extra_module = [_Named("Transformer"), _Named("Pooling", {"pooling_mode": "mean"}),
                    _Named("Dense")]
    assert FusedBertEncoder.from_sentence_transformer(extra_module) is None


@pytest.mark.slow
def test_fused_forward_matches_sentence_transformers_on_the_real_model():
    from synth_quality.embed.api import SentenceTransformerEmbedder, embed_texts

    texts = ["", "ok", "the film is a mess .", "A Much LONGER review, with Capitals & symbols!",
             "it's a mess . " * 200,  # past the model's 256-token limit: truncated alike
             "café, naïve, 映画 — 😀", "  padded with spaces  "]
    texts += [" ".join(["word"] * k) for k in range(1, 40, 3)]
    embedder = SentenceTransformerEmbedder()
    # The default model is read from its folder (no sentence-transformers import) ...
    direct = embedder.folder_model()
    assert direct is not None
    fused, _ = embed_texts(texts, EmbedConfig(use_cache=False, batch_tokens=64),
                           embedder=embedder)
    plain, _ = embed_texts(texts, EmbedConfig(use_cache=False, fused_forward=False),
                           embedder=embedder)
    assert fused.shape == plain.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0, atol=1e-5)
    assert np.abs(fused - plain).max() < 1e-5
    assert np.min(np.sum(fused * plain, axis=1)) > 0.99999
    # ... and tokenised exactly as sentence-transformers tokenises it (truncation included).
    from synth_quality.embed.fused import tokenise

    ours, _ = direct.tokenise(texts)
    theirs, _ = tokenise(embedder.load(), texts)
    assert [a.tolist() for a in ours] == [b.tolist() for b in theirs]
    assert max(len(a) for a in ours) == 256
    # The same fused forward built from the loaded sentence-transformers model (the path for
    # other BERT models) agrees too.
    via_st = embedder.fused_encoder()
    assert via_st is not None
    one = via_st.encode_ids(theirs[3][None])
    assert float(one[0] @ plain[3]) > 0.99999
    # Different texts still get different vectors (a broken forward could map all alike).
    off_diagonal = fused @ fused.T - np.eye(len(texts)) * 2
    assert off_diagonal[2, 3] < 0.9


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="glibc only")
def test_freed_forward_pass_buffers_are_reused_not_faulted_in_again():
    """Batch-sized buffers allocated and freed in a loop (as the forward pass does) must not
    make the kernel hand out fresh zeroed pages each time once keep_freed_memory() ran."""
    import subprocess
    import sys

    script = """
import resource, sys, numpy as np
if sys.argv[1] == "tuned":
    from synth_quality.embed.fused import keep_freed_memory
    assert keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):  # 12 + 9 + 12 MB, like a feed-forward step's tensors
    a = np.ones(3 << 20, np.float32); b = np.ones(9 << 18, np.float32); c = np.ones(3 << 20, np.float32)
    del a, b, c
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""
    faults = {how: int(subprocess.run([sys.executable, "-c", script, how], capture_output=True,
                                      text=True, check=True).stdout)
              for how in ("default", "tuned")}
    one_round = (12 + 9 + 12) * 2**20 // 4096  # pages touched by one loop iteration
    assert faults["tuned"] < 2 * one_round < faults["default"], faults
