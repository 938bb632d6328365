"""The out-of-fold real-vs-synthetic classifier and its AUC.

A logistic regression on the embeddings, trained with stratified k-fold so every row's
probability comes from a model that never saw it. ``class_weight="balanced"`` weighs both sides
equally, so with 1 real : 8 synthetic the probabilities are not pulled towards "synthetic" by
the prior: 0.5 means "can't tell", whatever the ratio.
"""

from __future__ import annotations

import warnings

import numpy as np

from synth_quality.progress import ProgressCallback, Stage, null_progress


def out_of_fold_p_synthetic(X: np.ndarray, is_synthetic: np.ndarray, n_folds: int, C: float,
                            random_state: int | None, classifier=None,
                            progress: ProgressCallback | None = None) -> np.ndarray:
    """P(synthetic) for every row from a model trained on the other folds.

    Parameters
    ----------
    X : ndarray of shape (n, dim)
    is_synthetic : bool ndarray of shape (n,)
    classifier : sklearn classifier, optional
        Cloned per fold; default ``LogisticRegression(C=C, class_weight="balanced")``.

    Returns
    -------
    ndarray of shape (n,), float64 in [0, 1]
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    progress = progress or null_progress
    y = np.asarray(is_synthetic, dtype=int)
    n_folds = min(n_folds, int(np.bincount(y, minlength=2).min()))
    base = classifier if classifier is not None else LogisticRegression(
        C=C, class_weight="balanced", max_iter=2000)
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    p = np.empty(len(y))
    progress(Stage.DETECTING, 0, n_folds)
    # One BLAS thread: for a 384-wide logistic regression the threading overhead costs more than
    # it gains (0.09 s against 0.74 s per fit measured on 2 busy cores).
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*converge.*")
        for fold, (train, test) in enumerate(folds.split(X, y), start=1):
            model = clone(base)
            model.fit(X[train], y[train])
            p[test] = model.predict_proba(X[test])[:, list(model.classes_).index(1)]
            progress(Stage.DETECTING, fold, n_folds)
    return p


