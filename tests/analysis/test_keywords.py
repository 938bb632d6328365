"""synth_quality.analysis.keywords: c-TF-IDF keywords and word counts."""

from __future__ import annotations

import numpy as np

from synth_quality.analysis.keywords import ctfidf_keywords


def test_ctfidf_prefers_words_specific_to_a_cluster():
    kw = ctfidf_keywords({0: ["the film film actor", "film actor"], 1: ["the film blender motor"]}, 2)
    assert kw[1][0] in ("blender", "motor") and "film" not in kw[1]


def test_extended_word_counts_are_the_counts_of_all_texts():
    import scipy.sparse as sp

    from synth_quality.analysis.keywords import extend_term_counts, term_counts

    before = ["the glacier film moves slowly", "a blender review", "acting is superb",
              "glacier glacier ice", "plot holes everywhere"]
    # rows 1 and 3 are dropped, row 0 appears twice, two new texts (one only stop words)
    texts = [before[0], "brand new zebra words", before[2], before[4], "the and of", before[0]]
    matched = np.array([0, -1, 2, 4, -1, 0])
    matrix, words = extend_term_counts(term_counts(before), matched, texts)
    want_matrix, want_words = term_counts(texts)
    assert list(words) == list(want_words) and "blender" not in words and "zebra" in words
    assert sp.issparse(matrix) and (matrix != want_matrix).nnz == 0
