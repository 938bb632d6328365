"""synth_quality.analysis.detect: the out-of-fold real-vs-synthetic classifier."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from synth_quality.analysis.detect import out_of_fold_p_synthetic
from conftest import unit_rows


def test_out_of_fold_probabilities_do_not_memorise():
    # Random labels on random vectors: in-sample a model memorises them, out-of-fold it cannot.
    X = unit_rows(400, dim=64, seed=3)
    y = np.random.default_rng(4).integers(0, 2, 400).astype(bool)
    p = out_of_fold_p_synthetic(X, y, n_folds=5, C=100.0, random_state=0)
    assert abs(roc_auc_score(y, p) - 0.5) < 0.1
