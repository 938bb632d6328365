"""Texts longer than the model's window, split into overlapping windows instead of truncated.

all-MiniLM-L6-v2 reads at most 256 tokens (254 of text between [CLS] and [SEP]); a longer text
is cut there, so whatever its tail says is invisible to every embedding-based score. Here each
text over the window is split into windows of that many tokens, each starting half a window
after the last (so every token is in two windows and no sentence is only ever seen cut in
half), the last one ending at the text's end. Windows are substrings of the text, cut at token
boundaries (the tokenizer's offsets), and are embedded like any text (cached by their text).

:func:`window_spans` says where the windows are; :func:`pool_windows` gives each row one vector
(the mean of its windows, renormalised) for the map, the clusters and the detector; the
row-level coverage and outlier scores look at every window
(:mod:`synth_quality.analysis.window_scores`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Windows overlap by half their length.
OVERLAP = 0.5


@dataclass
class Windows:
    """The windows of a set of texts.

    texts : list of str, every window's text (a row's windows are contiguous, in row order)
    owner : ndarray (n_windows,), the row each window belongs to
    counts : ndarray (n_rows,), windows per row (1 for a text within the window)
    window_tokens : int, tokens per window
    unit : "tokens" (the model's tokenizer) or "words" (an embedder without one)
    vectors : ndarray (n_windows, dim) once embedded
    """

    texts: list
    owner: np.ndarray
    counts: np.ndarray
    window_tokens: int
    unit: str
    vectors: np.ndarray | None = None

    @property
    def n_long(self) -> int:
        return int((self.counts > 1).sum())


def model_window(embedder) -> tuple[object | None, int | None]:
    """(a tokenizer that reports offsets, tokens of text per window) for ``embedder``; (None,
    None) when it has no tokenizer we can read (then words are counted)."""
    if hasattr(embedder, "window_tokenizer"):
        tokenizer, limit = embedder.window_tokenizer()
        if tokenizer is not None:
            return tokenizer, limit
    if hasattr(embedder, "load"):
        model = embedder.load()
        hf = getattr(model, "tokenizer", None)
        if hf is not None and getattr(hf, "is_fast", False):
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_str(hf.backend_tokenizer.to_str())
            tokenizer.no_truncation()
            tokenizer.no_padding()
            return tokenizer, int(getattr(model, "max_seq_length", 512)) - 2
    return None, None


def window_spans(texts: list[str], tokenizer, window_tokens: int) -> list[list[tuple[int, int]]]:
    """Character spans of each text's windows: one span (the whole text) when it fits.

    With ``tokenizer`` None, whitespace-separated words are counted instead of tokens.
    Texts are tokenised a chunk at a time: all 250,000 texts' token offsets at once (Python
    tuples, plus the tokenizer's Encoding objects) raised the peak memory by 1.55 GiB and
    left 0.92 GiB held; a chunk at a time, 0.06 GiB.
    """
    out = []
    for start in range(0, len(texts), _CHUNK):
        chunk = list(texts[start:start + _CHUNK])
        if tokenizer is not None:
            encodings = tokenizer.encode_batch(chunk, add_special_tokens=False)
            offsets = [[o for o in e.offsets if o[1] > o[0]] for e in encodings]
            del encodings
        else:
            import re

            offsets = [[m.span() for m in re.finditer(r"\S+", t)] for t in chunk]
        out.extend(_spans(text, offs, window_tokens) for text, offs in zip(chunk, offsets))
    return out


#: Texts tokenised at a time by :func:`window_spans`.
_CHUNK = 4096


def _spans(text: str, offsets: list[tuple[int, int]], window_tokens: int) -> list[tuple[int, int]]:
    """One text's window spans from its tokens' character offsets."""
    n = len(offsets)
    if n <= window_tokens:
        return [(0, len(text))]
    step = max(1, int(window_tokens * (1 - OVERLAP)))
    starts = list(range(0, n - window_tokens, step)) + [n - window_tokens]
    return [(offsets[s][0], offsets[s + window_tokens - 1][1]) for s in dict.fromkeys(starts)]


def split(texts: list[str], spans: list[list[tuple[int, int]]], window_tokens: int,
          unit: str) -> Windows:
    """The windows of ``texts`` at ``spans`` (a text within the window is its own window)."""
    window_texts, owner = [], []
    for row, (text, row_spans) in enumerate(zip(texts, spans)):
        if len(row_spans) == 1:
            window_texts.append(text)
        else:
            window_texts.extend(text[a:b] for a, b in row_spans)
        owner.extend([row] * len(row_spans))
    owner = np.asarray(owner, np.int64)
    return Windows(window_texts, owner, np.bincount(owner, minlength=len(texts)), window_tokens,
                   unit)


def pool_windows(vectors: np.ndarray, owner: np.ndarray, n_rows: int) -> np.ndarray:
    """One unit vector per row: the mean of its windows' vectors, renormalised."""
    dim = vectors.shape[1]
    summed = np.zeros((n_rows, dim), np.float64)
    np.add.at(summed, owner, vectors.astype(np.float64))
    norms = np.linalg.norm(summed, axis=1, keepdims=True)
    return (summed / np.where(norms > 0, norms, 1.0)).astype(np.float32)
