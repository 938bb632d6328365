"""Long texts split into overlapping windows (embed/windows.py), never silently truncated."""

from __future__ import annotations

import numpy as np
import pytest

from synth_quality.config import EmbedConfig
from synth_quality.embed.windows import model_window, pool_windows, split, window_spans


def test_spans_cover_the_text_with_half_window_overlap():
    text = " ".join(f"w{i}" for i in range(25))
    (spans,) = window_spans([text], None, 10)           # words: no tokenizer
    pieces = [text[a:b].split() for a, b in spans]
    assert [p[0] for p in pieces] == ["w0", "w5", "w10", "w15"]
    assert all(len(p) == 10 for p in pieces)
    assert pieces[-1][-1] == "w24"                     # the last window ends at the end
    assert window_spans(["short text here"], None, 10) == [[(0, 15)]]


def test_split_keeps_short_texts_whole_and_rows_in_order():
    texts = ["a b c", " ".join(["x"] * 30), "d e"]
    w = split(texts, window_spans(texts, None, 10), 10, "words")
    assert w.counts.tolist() == [1, 5, 1] and w.n_long == 1
    assert w.owner.tolist() == [0, 1, 1, 1, 1, 1, 2]
    assert w.texts[0] == "a b c" and w.texts[-1] == "d e"


def test_pooled_vector_is_the_normalised_mean():
    v = np.array([[1, 0], [0, 1], [1, 0]], np.float32)
    pooled = pool_windows(v, np.array([0, 0, 1]), 2)
    np.testing.assert_allclose(pooled, [[2 ** -0.5, 2 ** -0.5], [1, 0]], atol=1e-6)


@pytest.mark.slow
def test_the_default_models_window_is_its_tokens():
    """all-MiniLM-L6-v2 reads 256 tokens, 254 of them text; a window holds exactly that."""
    from synth_quality.embed.api import make_embedder

    tokenizer, limit = model_window(make_embedder(EmbedConfig()))
    assert limit == 254
    text = " ".join(["documentary"] * 100 + ["glacier"] * 300)
    spans = window_spans([text], tokenizer, limit)[0]
    counts = [len(tokenizer.encode(text[a:b], add_special_tokens=False).ids) for a, b in spans]
    assert counts == [254] * len(spans) and len(spans) == 3
    assert text[spans[-1][0]:spans[-1][1]].endswith("glacier")
