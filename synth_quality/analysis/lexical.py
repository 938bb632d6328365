"""A second, model-free view of the same rows: every per-row score recomputed on the words
themselves, and how far the two views agree.

The representation is TF-IDF of words (1-2 grams) and characters (3-5 grams within words),
reduced to 128 dimensions by truncated SVD and made unit length (scikit-learn's
``TfidfVectorizer`` and ``TruncatedSVD``): what a row says, with no model's idea of meaning. On
it the audit's own code recomputes the coverage score (with its shuffled-label null), the
out-of-fold classifier and the outlier statistic. Where the embedding and the words disagree,
the finding depends on the representation: the embedding sees a difference the words do not
(meaning, paraphrase), or the words see one the embedding does not (spelling, formatting,
vocabulary the model maps together). ``summary["second_view"]`` reports both and says which.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.config import AuditConfig

#: Rank correlation below which two views of a score are said to disagree.
DISAGREE_BELOW = 0.2
#: Overlap (Jaccard) of flagged rows below which the views flag different rows.
OVERLAP_BELOW = 0.2


def lexical_vectors(texts: list[str], dims: int = 128, seed: int | None = 0) -> np.ndarray:
    """Unit rows of TF-IDF (words 1-2, characters 3-5) reduced by truncated SVD."""
    import scipy.sparse as sp
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    parts = []
    for kwargs in ({"analyzer": "word", "ngram_range": (1, 2), "token_pattern": r"(?u)\b\w+\b"},
                   # Characters keep their case: casing is a surface difference worth seeing.
                   {"analyzer": "char_wb", "ngram_range": (3, 5), "lowercase": False}):
        try:
            parts.append(TfidfVectorizer(sublinear_tf=True, min_df=2, dtype=np.float32,
                                         **kwargs).fit_transform(texts))
        except ValueError:  # no term occurs twice
            continue
    if not parts:
        return np.full((len(texts), 1), 1.0, np.float32)
    matrix = sp.hstack(parts).tocsr()
    k = max(1, min(dims, matrix.shape[1] - 1, len(texts) - 1))
    reduced = TruncatedSVD(n_components=k, random_state=seed).fit_transform(matrix)
    out = normalize(reduced).astype(np.float32)
    out[~np.isfinite(out).all(axis=1)] = 0.0
    return out


def second_view(rows: pd.DataFrame, config: AuditConfig,
                summary: dict) -> tuple[dict, pd.DataFrame]:
    """The lexical view's per-row scores (``lexical_coverage_score``,
    ``lexical_label_issue_score``; NaN for rows outside the sample above
    ``reference.second_view_rows``) and ``summary["second_view"]``. ``summary`` is the audit's:
    its no-difference band of the detection AUC says whether each view tells the sides apart."""
    from synth_quality.analysis.coverage import (coverage_pvalues, flags_per_side,
                                                 graph_statistic, permutation_null)
    from synth_quality.analysis.detect import out_of_fold_p_synthetic
    from synth_quality.graph.knn import build_neighbor_graph
    from synth_quality.stats import auc_with_ci

    seed, limit = config.random_state, config.reference.second_view_rows
    is_syn = (rows["side"] == "synthetic").to_numpy()
    used = _sample(is_syn, limit, seed)
    texts = rows["text"].astype(str).to_numpy()[used].tolist()
    X = lexical_vectors(texts, seed=seed)
    syn = is_syn[used]
    n_real = int((~syn).sum())  # rows are real first, and the sample keeps their order
    score = config.score
    graph = build_neighbor_graph(X, n_real, max(score.k_neighbors, 1), score.manifold_k)
    null = permutation_null(X, n_real, score.manifold_k, config.reference.repeats,
                            config.reference.calibration_rows, seed)
    coverage = coverage_pvalues(graph_statistic(graph, n_real), n_real, null)
    p_syn = out_of_fold_p_synthetic(X, syn, config.detect.n_folds, config.detect.C, seed)
    issue = np.where(syn, 1 - p_syn, p_syn)
    columns = pd.DataFrame(index=rows.index, columns=["lexical_coverage_score",
                                                      "lexical_label_issue_score"], dtype=float)
    columns.iloc[used, 0], columns.iloc[used, 1] = coverage, issue
    embedded = rows.iloc[used]
    own_flags = flags_per_side(embedded["coverage_score"].to_numpy(), n_real, config.reference.fdr)
    word_flags = flags_per_side(coverage, n_real, config.reference.fdr)
    agreement = {
        "coverage_score": _agreement(embedded["coverage_score"].to_numpy(), coverage, own_flags,
                                     word_flags, syn),
        "label_issue_score": _agreement(embedded["label_issue_score"].to_numpy(), issue,
                                        embedded["is_detectable"].to_numpy(bool), None, syn),
    }
    auc_words = auc_with_ci(syn, p_syn)
    auc_embedding = auc_with_ci(syn, embedded["p_synthetic"].to_numpy())
    band = ((summary.get("no_difference") or {}).get("figures") or {}).get("detection_auc") or {}
    view = {
        "representation": ("TF-IDF of words (1-2 grams) and characters (3-5), truncated SVD to "
                           f"{X.shape[1]} dimensions"),
        "rows": int(len(used)),
        "detection_auc": {"embedding": auc_embedding["auc"], "words": auc_words["auc"],
                          "words_ci": [auc_words["ci_low"], auc_words["ci_high"]],
                          "no_difference_high": band.get("high")},
        "agreement": agreement,
    }
    view["disagreements"] = _disagreements(view, auc_embedding, auc_words)
    view["sentence"] = _sentence(view)
    return view, columns


def _sample(is_syn: np.ndarray, limit: int, seed) -> np.ndarray:
    """All rows, or a stratified random ``limit`` of them, in their order (real first)."""
    n = len(is_syn)
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(None if seed is None else seed + 5)
    picks = []
    for side in (False, True):
        members = np.flatnonzero(is_syn == side)
        take = min(len(members), max(10, round(limit * len(members) / n)))
        picks.append(rng.choice(members, take, replace=False))
    return np.sort(np.concatenate(picks))


def _agreement(embedding: np.ndarray, words: np.ndarray, flags_embedding, flags_words,
               is_syn: np.ndarray) -> dict:
    """Rank correlation per side, and the overlap of flagged rows."""
    from scipy.stats import spearmanr

    out = {}
    for name, mask in (("real", ~is_syn), ("synthetic", is_syn)):
        a, b = embedding[mask], words[mask]
        ok = np.isfinite(a) & np.isfinite(b)
        rho = spearmanr(a[ok], b[ok]).statistic if ok.sum() > 2 else np.nan
        out[f"spearman_{name}"] = None if not np.isfinite(rho) else float(rho)
    if flags_words is not None:
        both = int((flags_embedding & flags_words).sum())
        either = int((flags_embedding | flags_words).sum())
        out.update(flagged_embedding=int(flags_embedding.sum()),
                   flagged_words=int(flags_words.sum()),
                   flag_overlap=None if either == 0 else both / either)
    return out


def _disagreements(summary: dict, auc_embedding: dict, auc_words: dict) -> list[str]:
    """Where the two views tell different stories, in words (empty when they agree). A view
    tells the sides apart when its detection AUC is above the no-difference band (the audit's,
    from the classifier retrained on shuffled labels; 0.5 + its DeLong half-width without one)."""
    out = []
    high = summary["detection_auc"].get("no_difference_high")
    sees_embedding = (auc_embedding["auc"] > high if high is not None
                      else auc_embedding["ci_low"] > 0.5)
    sees_words = auc_words["auc"] > high if high is not None else auc_words["ci_low"] > 0.5
    if sees_words and not sees_embedding:
        out.append(f"The words tell the sides apart (AUC {auc_words['auc']:.2f}) but the "
                   f"embedding does not (AUC {auc_embedding['auc']:.2f}): the difference is in "
                   "spelling, formatting or vocabulary, not in meaning.")
    elif sees_embedding and not sees_words:
        out.append(f"The embedding tells the sides apart (AUC {auc_embedding['auc']:.2f}) but "
                   f"the words do not (AUC {auc_words['auc']:.2f}): the difference is in meaning "
                   "or phrasing the model sees, not in the words used.")
    coverage = summary["agreement"]["coverage_score"]
    flagged = max(coverage.get("flagged_embedding", 0), coverage.get("flagged_words", 0))
    overlap = coverage.get("flag_overlap")
    if flagged >= 20 and overlap is not None and overlap < OVERLAP_BELOW:
        out.append(f"The two views flag different rows as uncovered ("
                   f"{coverage['flagged_embedding']:,} by the embedding, "
                   f"{coverage['flagged_words']:,} by the words, {overlap:.0%} of them in "
                   "common): which rows look uncovered depends on the representation.")
    rhos = [summary["agreement"][s].get(f"spearman_{side}") for s in ("coverage_score",)
            for side in ("real", "synthetic")]
    if (sees_embedding or sees_words) and all(r is not None and r < DISAGREE_BELOW for r in rhos):
        out.append("The coverage scores of the two views hardly correlate (rank correlation "
                   f"{rhos[0]:.2f} on real rows, {rhos[1]:.2f} on synthetic rows).")
    return out


def _sentence(summary: dict) -> str:
    auc = summary["detection_auc"]
    cov = summary["agreement"]["coverage_score"]
    text = (f"A model-free view (words and characters, no embedding) gives detection AUC "
            f"{auc['words']:.2f} against the embedding's {auc['embedding']:.2f}; their coverage "
            f"scores correlate {_fmt(cov.get('spearman_real'))} on real rows and "
            f"{_fmt(cov.get('spearman_synthetic'))} on synthetic rows.")
    if summary["disagreements"]:
        return text + " " + " ".join(summary["disagreements"])
    return text + " The two views agree."


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"
