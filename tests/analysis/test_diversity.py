"""synth_quality.analysis.diversity: each measure gives what its reference implementation gives
(self-BLEU: nltk's sentence_bleu; MAUVE: mauve-text's frontier; Vendi: the eigenvalues of the
full kernel), and the figures read as expected: a synthetic side drawn like the real one is
inside every band, a templated one is less diverse by every measure.

Texts come from the self-test's generators (synth_quality.selftest.texts); the embeddings from
the tests' hashing embedder, or, in the slow case, from the real model on held-out snippets.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from conftest import HashingEmbedder, held_out_real_snippets
from synth_quality.analysis.diversity import (MEASURES, NgramCounts, compression_ratio,
                                              diversity, distinct_n, mauve_area, quantise,
                                              self_bleu, tokens, vendi)
from synth_quality.analysis.reference import EXPECTED
from synth_quality.selftest.texts import mixed, other_review


def counts_of(texts):
    return NgramCounts([tokens(t) for t in texts])


@pytest.fixture(scope="module")
def reviews():
    return mixed("other_reviews", 400, seed=3)


def test_self_bleu_is_nltks_sentence_bleu_against_all_other_rows(reviews):
    bleu = pytest.importorskip("nltk.translate.bleu_score")
    smooth = bleu.SmoothingFunction().method1
    texts = reviews[:40] + [reviews[0], "ok .", "a", "great great great great great"]
    toks = [tokens(t) for t in texts]
    want = np.mean([bleu.sentence_bleu([t for j, t in enumerate(toks) if j != i], toks[i],
                                       smoothing_function=smooth) for i in range(len(toks))])
    assert self_bleu(counts_of(texts), np.arange(len(texts))) == pytest.approx(want, abs=1e-12)
    # A subset of the counted rows gives the subset's own self-BLEU.
    rows = np.array([1, 5, 7, 30, 41, 43])
    want = np.mean([bleu.sentence_bleu([toks[j] for j in rows if j != i], toks[i],
                                       smoothing_function=smooth) for i in rows])
    assert self_bleu(counts_of(texts), rows) == pytest.approx(want, abs=1e-12)


def test_self_bleu_of_rows_too_short_for_four_grams_is_nltks():
    """Short chat turns ("ok", "thanks a lot"): no row has a 4-gram, which once crashed the
    audit of a chat's user turns."""
    bleu = pytest.importorskip("nltk.translate.bleu_score")
    smooth = bleu.SmoothingFunction().method1
    texts = ["ok", "thanks a lot", "ok thanks", "sure", "thanks a lot"]
    toks = [tokens(t) for t in texts]
    want = np.mean([bleu.sentence_bleu([t for j, t in enumerate(toks) if j != i], toks[i],
                                       smoothing_function=smooth) for i in range(len(toks))])
    assert self_bleu(counts_of(texts), np.arange(len(texts))) == pytest.approx(want, abs=1e-12)


def test_distinct_n_and_compression_ratio(reviews):
    texts = reviews[:50]
    counts = counts_of(texts)
    rows = np.arange(50)
    for n in (1, 2):
        grams = [tuple(t[i:i + n]) for t in map(tokens, texts) for i in range(len(t) - n + 1)]
        assert distinct_n(counts, rows, n) == pytest.approx(len(set(grams)) / len(grams))
    raw = "\n".join(" ".join(tokens(t)) for t in texts).encode()
    assert compression_ratio(counts, rows) == pytest.approx(len(raw) / len(gzip.compress(raw)),
                                                            rel=0.02)
    repeated = counts_of([texts[0]] * 50)
    assert compression_ratio(repeated, rows) > 3 * compression_ratio(counts, rows)
    assert distinct_n(repeated, rows, 2) < 0.1


def test_vendi_is_the_exponential_entropy_of_the_kernels_eigenvalues():
    X = HashingEmbedder(32).encode_batch(mixed("off_topic", 60, seed=1))
    w = np.linalg.eigvalsh((X @ X.T) / len(X))
    w = w[w > 1e-12]
    assert vendi(X) == pytest.approx(np.exp(-np.sum(w * np.log(w))), rel=1e-6)
    assert vendi(np.repeat(X[:1], 30, axis=0)) == pytest.approx(1.0, abs=1e-6)


def test_mauve_frontier_is_mauve_texts():
    mauve = pytest.importorskip("mauve.compute_mauve")
    from sklearn.metrics import auc

    rng = np.random.default_rng(0)
    for _ in range(5):
        p, q = rng.dirichlet(np.ones(20)), rng.dirichlet(np.ones(20) * 0.3)
        x, y = mauve.get_divergence_curve_for_multinomials(p, q, np.linspace(1e-6, 1 - 1e-6, 25),
                                                           5).T
        a, b = np.argsort(x), np.argsort(y)
        want = 0.5 * (auc(x[a], y[a]) + auc(y[b], x[b]))
        assert mauve_area(p, q) == pytest.approx(want, abs=1e-12)
    assert mauve_area(p, p) == pytest.approx(1.0, abs=1e-6)


def test_mauve_with_its_own_quantiser_is_close_to_mauve_texts():
    mauve = pytest.importorskip("mauve")
    emb = HashingEmbedder(64)
    P = emb.encode_batch(mixed("other_reviews", 300, seed=1))
    Q_same = emb.encode_batch(mixed("other_reviews", 300, seed=2))
    Q_other = emb.encode_batch(mixed("off_topic", 300, seed=2))
    for Q in (Q_same, Q_other):
        p_lab, q_lab, k = quantise(P, Q, 25)
        ours = mauve_area(np.bincount(p_lab, minlength=k), np.bincount(q_lab, minlength=k))
        theirs = mauve.compute_mauve(p_features=P, q_features=Q, seed=25, verbose=False).mauve
        assert ours == pytest.approx(theirs, abs=0.1)


def block_of(real_texts, syn_texts, groups=None, rows=100):
    emb = HashingEmbedder(128)
    X = emb.encode_batch(real_texts + syn_texts)
    return diversity(X, real_texts + syn_texts, len(real_texts), groups or {}, rows, 20, 0)


def test_a_side_drawn_like_the_real_one_is_inside_every_band():
    real = mixed("other_reviews", 600, seed=1)
    block = block_of(real, mixed("other_reviews", 600, seed=2))
    for name in MEASURES:
        entry = block["synthetic"][name]
        assert entry["reading"] == EXPECTED, (name, entry)
        assert entry["ci"][0] <= entry["value"] <= entry["ci"][1]
    assert block["mauve"]["reading"] == EXPECTED
    assert "No diversity measure" in block["sentence"]


def test_a_templated_side_is_less_diverse_by_every_measure():
    real = mixed("other_reviews", 600, seed=1)
    templated = other_review("phone", 600, seed=2)
    block = block_of(real, templated, {"by_generator": {"one": np.arange(300),
                                                        "two": np.arange(300, 600)}})
    syn = block["synthetic"]
    assert syn["vendi"]["value"] < syn["vendi"]["low"]
    assert syn["distinct_2"]["value"] < syn["distinct_2"]["low"]
    assert syn["compression_ratio"]["value"] > syn["compression_ratio"]["high"]
    assert syn["self_bleu"]["value"] > syn["self_bleu"]["high"]
    assert block["mauve"]["value"] < block["mauve"]["low"]
    assert set(block["by_generator"]) == {"one", "two"}
    assert block["by_generator"]["one"]["rows"] == 100
    assert "less diverse" in block["sentence"]


def test_same_seed_same_figures_and_too_few_rows_give_none():
    real, syn = mixed("other_reviews", 200, seed=1), mixed("other_reviews", 200, seed=2)
    assert block_of(real, syn) == block_of(real, syn)
    assert block_of(real[:15], syn) is None


@pytest.mark.slow
def test_held_out_snippets_split_in_two_are_inside_every_band():
    from synth_quality.config import EmbedConfig
    from synth_quality.embed.api import embed_texts

    texts = held_out_real_snippets()[:3000]
    X, _ = embed_texts(texts, EmbedConfig())
    block = diversity(X, texts, 1000, {}, 500, 20, 0)
    for name in MEASURES:
        assert block["synthetic"][name]["reading"] == EXPECTED, name
    assert block["mauve"]["reading"] == EXPECTED
