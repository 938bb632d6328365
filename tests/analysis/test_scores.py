"""synth_quality.analysis.scores: outliers, near-duplicates, dataset scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth_quality.graph.knn import build_neighbor_graph
from synth_quality.analysis.scores import dataset_scores, near_duplicate_groups, outlier_scores
from conftest import unit_rows


def test_outliers_and_near_duplicates():
    X = unit_rows(200, dim=8, seed=5)
    X[10] = X[11]                               # an exact vector copy
    far = np.zeros(8, np.float32)
    far[0] = 1.0
    X = np.vstack([X, np.tile(-X.mean(0) / np.linalg.norm(X.mean(0)), (1, 1))])
    g = build_neighbor_graph(X, 100, k=10, manifold_k=5)
    texts = [f"t{i}" for i in range(len(X))]
    texts[50] = texts[60] = "Same Text"
    texts[60] = "  same   text "
    groups = near_duplicate_groups(g, texts, 0.999)
    assert groups[10] == groups[11] != -1 and groups[50] == groups[60] != -1
    assert (groups >= 0).sum() == 4
    dist, score, flag = outlier_scores(g, 10, 1.5)
    assert score.min() >= 0 and score.max() <= 1
    assert np.argmax(dist) == np.argmax(score)


def test_dataset_scores_by_hand():
    rows = pd.DataFrame({
        "side": ["real", "real", "synthetic", "synthetic", "synthetic", "synthetic"],
        "label_issue_score": [0.5, 0.3, 0.1, 0.2, 0.3, 0.4],
        "near_duplicate_group": pd.array([0, pd.NA, 0, 1, 1, pd.NA], dtype="Int64"),
    })
    s = dataset_scores(rows)
    assert s["unrealistic"] == pytest.approx(1 - 0.25)
    assert s["unrepresentative"] == pytest.approx(1 - 0.4)
    assert s["unvaried"] == pytest.approx(2 / 4)
    assert s["unoriginal"] == pytest.approx(1 / 4)
