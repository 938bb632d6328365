"""Row scores that look at every window of a long text (:mod:`synth_quality.embed.windows`).

A document whose tail drifts off-topic is, as one mean vector, still mostly its on-topic head.
So the coverage and outlier scores are computed for every window, among all windows (a window
of a real text against the windows of synthetic texts, and the other way round), and a row
takes the worst of its windows:

- ``coverage_score``: the least covered window's p-value, times the row's number of windows
  (Bonferroni, capped at 1): a row with more windows has more chances of one low p-value, and
  the correction keeps its score a p-value (calibrated the same way as a short row's: against
  the window statistic under shuffled side labels, :func:`synth_quality.analysis.coverage.
  permutation_null`);
- ``outlier_score`` and ``knn_distance``: the most isolated window's; ``is_outlier`` when any
  window is.

``weakest_window`` says which window decided (0 = the first; the row's windows start every
half window).
"""

from __future__ import annotations

import numpy as np

from synth_quality.analysis.coverage import (coverage_pvalues, graph_statistic,
                                             permutation_null)
from synth_quality.analysis.scores import outlier_scores
from synth_quality.graph.knn import build_neighbor_graph


def window_scores(vectors: np.ndarray, owner: np.ndarray, n_rows: int, n_real_rows: int,
                  config) -> dict:
    """Per-row scores from the windows (``vectors`` in row order, real rows' windows first).

    Returns ``coverage_score``, ``weakest_window``, ``knn_distance``, ``outlier_score`` and
    ``is_outlier``, each of length ``n_rows``.
    """
    n_real_w = int((owner < n_real_rows).sum())
    k_graph = max(config.score.k_neighbors, config.project.n_neighbors - 1)
    graph = build_neighbor_graph(vectors, n_real_w, k_graph, config.score.manifold_k)
    null = permutation_null(vectors, n_real_w, config.score.manifold_k, config.reference.repeats,
                            config.reference.calibration_rows, config.random_state)
    p = coverage_pvalues(graph_statistic(graph, n_real_w), n_real_w, null)
    dist, out_score, out_flag = outlier_scores(graph, config.score.k_neighbors,
                                               config.score.outlier_fence)
    counts = np.bincount(owner, minlength=n_rows)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    coverage = np.ones(n_rows)
    weakest = np.zeros(n_rows, np.int64)
    out = {"knn_distance": np.zeros(n_rows), "outlier_score": np.zeros(n_rows),
           "is_outlier": np.zeros(n_rows, bool)}
    for row in range(n_rows):
        part = slice(first[row], first[row] + counts[row])
        w = int(np.argmin(p[part]))
        weakest[row] = w
        coverage[row] = min(1.0, float(p[part][w]) * counts[row])
        out["knn_distance"][row] = dist[part].max()
        out["outlier_score"][row] = out_score[part].max()
        out["is_outlier"][row] = out_flag[part].any()
    out["coverage_score"], out["weakest_window"] = coverage, weakest
    return out
