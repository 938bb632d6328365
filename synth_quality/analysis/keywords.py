"""Words of clusters and regions: per-text word counts (extendable to added rows) and
class-based TF-IDF keywords (c-TF-IDF, as BERTopic)."""

from __future__ import annotations

import numpy as np


def _vectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(stop_words="english", token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z']+\b",
                           lowercase=True)


def term_counts(texts: list[str]):
    """Word counts per text (sparse, texts x words) and the words, for :func:`cluster_table`.

    Re-clustering regroups the same texts: with these counts computed once, each cluster's
    counts are a sum of rows instead of a new pass over every text. None when the texts hold
    only stop words.
    """
    vectorizer = _vectorizer()
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # only stop words
        return None
    return counts, vectorizer.get_feature_names_out()


def extend_term_counts(before, matched: np.ndarray, texts: list[str]):
    """:func:`term_counts` of ``texts`` from the counts of an earlier audit's texts.

    ``before`` is ``term_counts`` of the earlier texts, ``matched`` each text's row there
    (-1 for a new text): only the new texts are counted. The result is what
    ``term_counts(texts)`` gives (tested), as word counts of a text do not depend on the others.
    """
    import scipy.sparse as sp

    matched = np.asarray(matched)
    new = np.flatnonzero(matched < 0)
    if before is None:
        return term_counts(texts)
    old_matrix, old_words = before
    new_counts = term_counts([texts[i] for i in new]) if len(new) else None
    new_matrix, new_words = (new_counts if new_counts is not None
                             else (sp.csr_matrix((len(new), 0), dtype=old_matrix.dtype),
                                   np.array([], dtype=object)))
    words = np.union1d(np.asarray(old_words, dtype=object).astype(str),
                       np.asarray(new_words, dtype=object).astype(str))
    pieces = []
    for matrix, own_words in ((old_matrix, old_words), (new_matrix, new_words)):
        matrix = sp.csr_matrix(matrix)
        columns = np.searchsorted(words, np.asarray(own_words, dtype=object).astype(str))
        pieces.append(sp.csr_matrix((matrix.data, columns[matrix.indices], matrix.indptr),
                                    shape=(matrix.shape[0], len(words))))
    # Row i of the result: earlier row matched[i], or the next new text.
    source = matched.copy()
    source[new] = old_matrix.shape[0] + np.arange(len(new))
    matrix = sp.vstack(pieces, format="csr")[source]
    used = np.flatnonzero(np.asarray(matrix.sum(axis=0)).ravel() > 0)  # words of dropped rows go
    if not len(used):
        return None
    matrix = matrix[:, used]
    matrix.sort_indices()
    return matrix, np.asarray(words[used], dtype=object)


def group_term_counts(labels: np.ndarray, groups: list, word_counts) -> np.ndarray:
    """Summed word counts of the rows of each group (``labels`` per row; rows whose label is
    not in ``groups`` are left out), one row per group in ``groups`` order."""
    import scipy.sparse as sp

    matrix, _ = word_counts
    where = {g: i for i, g in enumerate(groups)}
    group_of_row = np.array([where.get(label, -1) for label in labels.tolist()], dtype=np.int64)
    rows = np.flatnonzero(group_of_row >= 0)
    # groups x rows indicator, times rows x words.
    member = sp.csr_matrix((np.ones(len(rows)), (group_of_row[rows], rows)),
                           shape=(len(groups), len(labels)))
    return np.asarray((member @ matrix).todense(), dtype=float)


def ctfidf_keywords(texts_by_cluster: dict[int, list[str]], n_keywords: int,
                    counts=None, words=None) -> dict[int, list[str]]:
    """Top class-based TF-IDF words per cluster (BERTopic's formula: tf * log(1 + A / f)).

    ``counts`` (clusters x words, in ``texts_by_cluster`` order) and ``words`` may be given
    instead of being counted from the texts; they must be what counting the texts gives.
    """
    ids = list(texts_by_cluster)
    if not ids:
        return {}
    if counts is None:
        docs = [" ".join(texts_by_cluster[c]) for c in ids]
        vectorizer = _vectorizer()
        try:
            counts = vectorizer.fit_transform(docs).toarray().astype(float)
        except ValueError:  # only stop words
            return {c: [] for c in ids}
        words = vectorizer.get_feature_names_out()
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg_words = counts.sum() / len(ids)
    idf = np.log1p(avg_words / np.maximum(counts.sum(axis=0), 1))
    score = tf * idf
    out = {}
    for row, c in enumerate(ids):
        top = np.lexsort((words, -score[row]))[:n_keywords]
        out[c] = [str(words[j]) for j in top if score[row, j] > 0]
    return out
