"""Per-row scores built on the neighbour graph, the categories, and the dataset scores.

Directions (also in the README's column reference):

- ``label_issue_score``: low = the classifier is sure of the row's own side (bad for both
  sides: an unrealistic synthetic row, an underrepresented real row); 0.5 = can't tell.
- ``outlier_score``: high = isolated (far from its nearest rows).
- ``coverage_score``: a p-value (see :mod:`synth_quality.analysis.coverage`): near 1 = the
  other side is as near as with no difference; small = the other side stays away.
- ``repetition_score``: high = degenerate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.graph.components import connected_groups, number_groups
from synth_quality.graph.knn import NeighborGraph

CATEGORIES = ("unrealistic synthetic", "realistic synthetic", "underrepresented real",
              "well-covered real", "outlier")


def outlier_scores(graph: NeighborGraph, k: int, fence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean cosine distance to the k nearest rows, its quantile, and Tukey's outlier flag.

    Returns
    -------
    knn_distance : ndarray (n,), in [0, 2]; high = isolated
    outlier_score : ndarray (n,), in [0, 1]; the share of rows less isolated than this one
    is_outlier : bool ndarray (n,); knn_distance > Q3 + fence * IQR
    """
    from scipy.stats import rankdata

    k = min(k, graph.knn_similarities.shape[1])
    if k == 0:
        n = graph.knn_similarities.shape[0]
        return np.zeros(n), np.zeros(n), np.zeros(n, bool)
    dist = 1.0 - graph.knn_similarities[:, :k].astype(np.float64).mean(axis=1)
    score = (rankdata(dist, method="average") - 1) / max(len(dist) - 1, 1)
    q1, q3 = np.percentile(dist, [25, 75])
    return dist, score, dist > q3 + fence * (q3 - q1)


def near_duplicate_groups(graph: NeighborGraph, texts: list[str], threshold: float,
                          same_prompt: np.ndarray | None = None) -> np.ndarray:
    """Group ids of near-duplicate rows (-1 = none); ids numbered by first row.

    Two rows join when their cosine similarity is at least ``threshold`` (among each row's k
    nearest) or their texts are identical after trimming and lowercasing. Groups are the
    connected components, so a chain of near-copies forms one group. ``same_prompt``
    (paired data: a prompt id per row, -1 = none) keeps two answers to the same prompt from
    joining directly: there, being alike is agreement, not duplication.
    """
    n = len(texts)
    rows, cols = np.nonzero(graph.knn_similarities >= threshold)
    a, b = [rows], [graph.knn_indices[rows, cols]]
    first_seen: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        seen = first_seen.setdefault(" ".join(text.lower().split()), [])
        if same_prompt is not None:  # the first earlier copy answering another prompt
            first = next((j for j in seen if same_prompt[j] < 0
                          or same_prompt[j] != same_prompt[i]), None)
        else:
            first = seen[0] if seen else None
        if len(seen) < 8 or same_prompt is None:
            seen.append(i)
        if first is not None:
            a.append(np.array([first]))
            b.append(np.array([i]))
    a, b = np.concatenate(a), np.concatenate(b)
    if same_prompt is not None:
        keep = (same_prompt[a] < 0) | (same_prompt[a] != same_prompt[b])
        a, b = a[keep], b[keep]
    labels = connected_groups(n, a, b)
    sizes = np.bincount(labels)
    return number_groups(labels, sizes[labels] > 1, order_by_size=False)


def categorise(side: np.ndarray, is_detectable: np.ndarray, p_synthetic: np.ndarray,
               is_uncovered: np.ndarray, in_region: np.ndarray, coverage_score: np.ndarray,
               is_degenerate: np.ndarray, is_outlier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The case study's categories, with a short reason per row.

    Every flag behind a category is calibrated against the no-difference reference (README:
    "Reading the numbers"), so with no difference between the sides rows are categorised as
    realistic / well covered, apart from outliers. Precedence: a degenerate synthetic row
    (loops, stutters) first, then the classifier's call, then coverage (which finds one-sided
    groups the classifier scores as ordinary: the row's own evidence, ``is_uncovered``, or its
    one-sided region's, ``in_region``), then the outlier flag.
    """
    # Per side: (category when flagged, what the classifier says, coverage reason, fine, reason).
    wording = {
        "synthetic": ("unrealistic synthetic", "the real rows stay away from it",
                      "realistic synthetic", "passes as real"),
        "real": ("underrepresented real", "the synthetic rows stay away from it",
                 "well-covered real", "imitated by the synthetic side"),
    }
    category = np.empty(len(side), dtype=object)
    reason = np.empty(len(side), dtype=object)
    for i, s in enumerate(side):
        flagged, coverage_reason, fine, fine_reason = wording[s]
        if s == "synthetic" and is_degenerate[i]:
            category[i], reason[i] = flagged, "degenerate: repetition loop or stutter"
        elif is_detectable[i]:
            own = p_synthetic[i] if s == "synthetic" else 1 - p_synthetic[i]
            category[i], reason[i] = flagged, f"classifier: P({s}) = {own:.2f}"
        elif is_uncovered[i]:
            category[i], reason[i] = (flagged, f"coverage: {coverage_reason} "
                                      f"(coverage_score {coverage_score[i]:.1e})")
        elif in_region[i]:
            category[i], reason[i] = (flagged, "region: in a group of rows the other side "
                                      "never reaches")
        elif is_outlier[i]:
            category[i], reason[i] = "outlier", "isolated: far from its nearest rows"
        else:
            category[i], reason[i] = fine, fine_reason
    return category, reason


def dataset_scores(rows: pd.DataFrame) -> dict:
    """Cleanlab Studio's four dataset scores, each in [0, 1], high = bad.

    - unrealistic = 1 - mean label_issue_score of synthetic rows (0.5 = indistinguishable);
    - unrepresentative = 1 - mean label_issue_score of real rows (0.5 = indistinguishable);
    - unvaried = share of synthetic rows in near-duplicate groups with no real row;
    - unoriginal = share of synthetic rows in near-duplicate groups that contain a real row.
    """
    syn = rows["side"] == "synthetic"
    real = ~syn
    groups = rows["near_duplicate_group"].fillna(-1).to_numpy(np.int64)
    return {
        "unrealistic": float(1 - rows.loc[syn, "label_issue_score"].mean()) if syn.any() else np.nan,
        "unrepresentative": float(1 - rows.loc[real, "label_issue_score"].mean()) if real.any() else np.nan,
        **duplicate_shares(groups, syn.to_numpy()),
    }


def members_in_group(groups: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Per row, how many rows of ``members`` (a boolean mask) share its near-duplicate group
    (``groups``: -1 for none); 0 for a row in no group."""
    groups = np.asarray(groups, np.int64)
    in_group = groups >= 0
    per_group = np.bincount(groups[in_group & np.asarray(members, bool)],
                            minlength=int(groups.max(initial=-1)) + 1)
    out = np.zeros(len(groups), np.int64)
    out[in_group] = per_group[groups[in_group]]
    return out


def duplicate_shares(groups: np.ndarray, is_syn: np.ndarray) -> dict:
    """``unvaried`` and ``unoriginal`` from each row's near-duplicate group (-1: none) and
    side: the shares of synthetic rows in a group without / with a real row."""
    groups = np.asarray(groups, np.int64)
    is_syn = np.asarray(is_syn, bool)
    n_syn = max(int(is_syn.sum()), 1)
    with_real = members_in_group(groups, ~is_syn) > 0
    syn_in_group = is_syn & (groups >= 0)
    return {"unvaried": float((syn_in_group & ~with_real).sum() / n_syn),
            "unoriginal": float((syn_in_group & with_real).sum() / n_syn)}


