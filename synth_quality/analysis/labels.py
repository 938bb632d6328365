"""Label quality: does each row's text look like its task label?

With a label column (``--label-column sentiment``), every labelled row gets

- ``label_quality`` in [0, 1]: the probability that an out-of-sample classifier gives the
  row's own label (cleanlab's self-confidence, :func:`cleanlab.rank.get_label_quality_scores`).
  **Low = the text does not look like its label**; 1 = certain it does.
- ``is_label_issue``: cleanlab's confident-learning filter
  (:func:`cleanlab.filter.find_label_issues`) says the label is likely wrong.
- ``predicted_label``: the label the evidence favours.

Whose evidence judges whom
--------------------------
A generator that writes wrong labels must not vouch for itself, and synthetic rows must not
vouch for real ones, so two sources of evidence are kept apart:

- the **real evidence**: logistic regressions on the real rows' embeddings and labels. Real
  rows are judged out-of-fold among real rows only (stratified k-fold); synthetic rows by a
  model trained on all real rows;
- the **synthetic evidence**, for synthetic rows only: out-of-fold among the synthetic rows
  (stratified k-fold over all synthetic rows), so a row is never judged by a model that saw it.

A synthetic row keeps the more doubtful of its two judgements: the source that gives its own
label the lower probability. The real rows can therefore dispute a label that a whole
generator writes consistently wrong (which the synthetic evidence, learning from that
generator's other rows, would accept), and the synthetic rows' larger number catches random
slips that the smaller real set cannot see. Measured on the reference case with 10% of the
synthetic labels flipped (tests/analysis/test_labels.py prints it): AUROC 0.98 for the flips
ranked by ``label_quality``, against 0.93 with the real evidence alone and 0.94 with a model
of the real rows plus the *other* generators' rows (a generator's own rows excluded: the two
generators write too differently to judge each other).

The real rows' own share of label issues says how often the real evidence disputes labels that
people wrote (labelling noise plus the classifier's own mistakes on a small set). It is not
the synthetic share's no-difference reference, though: a synthetic row keeps the more doubtful
of two judgements, so it is disputed more often whatever its labels. Real critic snippets split
into two sides of one distribution: 21% of the "real" and 28% of the "synthetic" labels
disputed at 1,000 : 2,000, 18% and 36% at 2,400 : 300. So the real rows are also judged the
synthetic way (the more doubtful of their out-of-fold real judgement and a model of all
synthetic rows) and filtered alike: ``reference_issue_share``, the share a sample of real rows
would get as the synthetic side.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synth_quality.progress import ProgressCallback, Stage, null_progress

#: Fewest rows a class needs in a model's training rows for that model to judge the label.
MIN_CLASS_ROWS = 2


@dataclass
class LabelQuality:
    """Per-row label quality (aligned with the rows given), with what was learned.

    label_quality : ndarray (n,), float in [0, 1]; NaN for rows not judged (no label, or a
        label with too little evidence); low = the text does not look like its label
    is_label_issue : bool ndarray (n,)
    predicted_label : object ndarray (n,); the label the deciding evidence favours, None where
        not judged
    evidence : object ndarray (n,); which evidence decided: "real rows (out-of-fold)",
        "real rows" or "other synthetic rows (out-of-fold)"; None where not judged
    classes : list of str
    notes : list of str, one-line explanations of rows that could not be judged
    """

    label_quality: np.ndarray
    is_label_issue: np.ndarray
    predicted_label: np.ndarray
    evidence: np.ndarray
    classes: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    #: Share of real rows disputed when judged as synthetic rows are (None: not judged).
    reference_issue_share: float | None = None


REAL_OOF, REAL, SYNTHETIC_OOF = ("real rows (out-of-fold)", "real rows",
                                 "other synthetic rows (out-of-fold)")


def label_quality(X: np.ndarray, labels, is_synthetic: np.ndarray, *, n_folds: int = 5,
                  C: float = 1.0, random_state: int | None = 0,
                  progress: ProgressCallback | None = None) -> LabelQuality:
    """Out-of-sample label quality of every labelled row, real and synthetic evidence apart.

    Parameters
    ----------
    X : ndarray of shape (n, dim)
        Row embeddings.
    labels : sequence of str or None, length n
        Each row's label; None (or NaN, or blank) for rows without one.
    is_synthetic : bool ndarray of shape (n,)
    n_folds : int, default 5
        Folds of the out-of-fold predictions (fewer when a class has fewer rows).
    C : float, default 1.0
        Inverse regularisation of the logistic regressions.
    random_state : int or None, default 0
    progress : callable, optional
        ``progress(Stage.CHECKING_LABELS, done, total)``, one tick per model fitted.

    Returns
    -------
    LabelQuality
    """
    progress = progress or null_progress
    X = np.asarray(X)
    n = X.shape[0]
    is_syn = np.asarray(is_synthetic, bool)
    values = [_label(v) for v in labels]
    classes = sorted({v for v in values if v is not None})
    out = LabelQuality(np.full(n, np.nan), np.zeros(n, bool), np.full(n, None, dtype=object),
                       np.full(n, None, dtype=object), classes)
    if len(classes) < 2:
        out.notes.append("label quality not checked: the label column has "
                         f"{len(classes)} distinct value(s); two or more are needed")
        return out
    y = np.array([classes.index(v) if v is not None else -1 for v in values])
    real, syn = ~is_syn & (y >= 0), is_syn & (y >= 0)
    k = len(classes)
    ticks = _Ticks(progress, _folds_for(y[real], n_folds) + 2 + _folds_for(y[syn], n_folds))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*converge.*")
        real_oof = _out_of_fold(X, y, real, k, n_folds, C, random_state, ticks)
        real_model = _fit_all(X, y, real, syn, k, C, random_state, ticks)
        syn_oof = _out_of_fold(X, y, syn, k, n_folds, C, random_state, ticks)
        syn_model = _fit_all(X, y, syn, real, k, C, random_state, ticks)
    if real_oof is None and real.any():
        out.notes.append("real rows' labels not checked: out-of-fold predictions need at least "
                         f"two labels with {MIN_CLASS_ROWS} real rows each")
    if real_model is None and syn.any():
        out.notes.append("synthetic rows' labels checked against the other synthetic rows "
                         "only: the real rows hold fewer than two labels with "
                         f"{MIN_CLASS_ROWS} rows each")
    sources = {i: ([(real_oof, REAL_OOF)] if not is_syn[i]
                   else [(real_model, REAL), (syn_oof, SYNTHETIC_OOF)])
               for i in np.flatnonzero(y >= 0)}
    probs, judged = _most_doubtful(y, k, sources, out.evidence)
    unjudged = int(((y >= 0) & ~judged).sum())
    if unjudged and real_oof is not None:
        out.notes.append(f"{unjudged} labelled row(s) not checked: their label has fewer than "
                         f"{MIN_CLASS_ROWS} rows in the evidence that may judge them")
    for side in (~is_syn, is_syn):
        _score(y, probs, judged & side, out, classes)
    # The synthetic share's no-difference reference: real rows judged the synthetic way.
    as_synthetic = {i: [(real_oof, REAL_OOF), (syn_model, SYNTHETIC_OOF)]
                    for i in np.flatnonzero(real)}
    ref_probs, ref_judged = _most_doubtful(y, k, as_synthetic, np.full(n, None, dtype=object))
    if ref_judged.any() and syn_model is not None:
        reference = LabelQuality(np.full(n, np.nan), np.zeros(n, bool),
                                 np.full(n, None, dtype=object), np.full(n, None, dtype=object))
        _score(y, ref_probs, ref_judged, reference, classes)
        out.reference_issue_share = float(reference.is_label_issue[ref_judged].mean())
    return out


def _most_doubtful(y, k: int, sources: dict, evidence: np.ndarray):
    """Per row ``i`` of ``sources`` (row -> [(evidence, name), ...]), the judgement that gives
    its own label the lowest probability among the evidence that knows that label: (probs,
    judged); ``evidence[i]`` gets the deciding name."""
    n = len(y)
    probs = np.full((n, k), np.nan)
    judged = np.zeros(n, bool)
    for i, options in sources.items():
        own = y[i]
        best = None
        for source, name in options:
            if source is None or not source.knows[i, own]:
                continue
            p = source.probs[i]
            if best is None or p[own] < best[0][own]:
                best = (p, name)
        if best is not None:
            probs[i], evidence[i], judged[i] = best[0], best[1], True
    return probs, judged


class _Ticks:
    def __init__(self, progress, total):
        self.progress, self.total, self.done = progress, max(total, 1), 0
        progress(Stage.CHECKING_LABELS, 0, self.total)

    def __call__(self):
        self.done = min(self.done + 1, self.total)
        self.progress(Stage.CHECKING_LABELS, self.done, self.total)


@dataclass
class _Evidence:
    probs: np.ndarray   # (n, k); rows it does not judge are NaN
    knows: np.ndarray   # (n, k) bool: the model that judged row i saw class c often enough


def _label(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value)
    return text if text.strip() else None


def _folds_for(y: np.ndarray, n_folds: int) -> int:
    counts = np.bincount(y, minlength=1) if len(y) else np.zeros(1, int)
    present = counts[counts > 0]
    return min(n_folds, int(present.min())) if len(present) >= 2 else 0


def _fit_predict(X, y, train, test, k, C, random_state) -> np.ndarray:
    """Probabilities of every class (0 for classes absent from ``train``) for the ``test`` rows."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    model = LogisticRegression(C=C, max_iter=2000, random_state=random_state)
    # One BLAS thread, as the detector (analysis.detect): faster for a 384-wide model.
    with threadpool_limits(1):
        model.fit(X[train], y[train])
        p = model.predict_proba(X[test])
    full = np.zeros((len(test), k))
    full[:, model.classes_] = p
    return full


def _knows(y, train, k) -> np.ndarray:
    return np.bincount(y[train], minlength=k) >= MIN_CLASS_ROWS


def _out_of_fold(X, y, rows, k, n_folds, C, random_state, ticks) -> _Evidence | None:
    """Stratified out-of-fold probabilities among ``rows``; None when they hold fewer than
    two labels with enough rows to split."""
    from sklearn.model_selection import StratifiedKFold

    idx = np.flatnonzero(rows)
    splits = _folds_for(y[idx], n_folds)
    if splits < 2:
        return None
    ev = _Evidence(np.full((len(y), k), np.nan), np.zeros((len(y), k), bool))
    folds = StratifiedKFold(n_splits=splits, shuffle=True, random_state=random_state)
    # Labels with fewer rows than folds cannot be stratified; StratifiedKFold warns and
    # spreads them, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parts = list(folds.split(X[idx], y[idx]))
    for train, test in parts:
        if len(np.unique(y[idx[train]])) < 2:
            ticks()
            continue
        ev.probs[idx[test]] = _fit_predict(X, y, idx[train], idx[test], k, C, random_state)
        ev.knows[idx[test]] = _knows(y, idx[train], k)
        ticks()
    return ev


def _fit_all(X, y, train_rows, test_rows, k, C, random_state, ticks) -> _Evidence | None:
    train, test = np.flatnonzero(train_rows), np.flatnonzero(test_rows)
    if (_knows(y, train, k)).sum() < 2 or len(test) == 0:
        ticks()
        return None
    ev = _Evidence(np.full((len(y), k), np.nan), np.zeros((len(y), k), bool))
    ev.probs[test] = _fit_predict(X, y, train, test, k, C, random_state)
    ev.knows[test] = _knows(y, train, k)
    ticks()
    return ev


def _score(y, probs, rows, out: LabelQuality, classes) -> None:
    """cleanlab's self-confidence and confident-learning filter on one side's judged rows."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    idx = np.flatnonzero(rows)
    if len(idx) == 0:
        return
    p = np.clip(probs[idx], 1e-12, None)
    p = p / p.sum(axis=1, keepdims=True)
    labels = y[idx]
    out.label_quality[idx] = get_label_quality_scores(labels, p, method="self_confidence")
    out.predicted_label[idx] = np.asarray(classes, dtype=object)[p.argmax(axis=1)]
    if len(np.unique(labels)) >= 2 and len(idx) >= 5 * len(classes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # n_jobs=1: by default cleanlab forks a process pool (one per physical core), and
            # forking the dashboard's server, whose other threads hold locks (torch, ONNX
            # Runtime, tokenizers), now and then left the audit hanging after the label fits.
            out.is_label_issue[idx] = find_label_issues(labels, p,
                                                        filter_by="prune_by_noise_rate",
                                                        n_jobs=1)
    else:  # too few rows for cleanlab's per-class thresholds: plain disagreement
        out.is_label_issue[idx] = p.argmax(axis=1) != labels


def label_balance(rows: pd.DataFrame) -> dict:
    """Label shares per side and per generator.

    Returns ``{"classes": [...], "real": {label: share}, "synthetic": {...},
    "by_generator": {name: {label: share}}}``; rows without a label are left out. Empty when
    there is no label column. The balance per cluster is in the clusters table
    (``real_label_shares``, ``synthetic_label_shares``, ``label_gap``), which re-clustering
    keeps up to date.
    """
    if "label" not in rows or rows["label"].notna().sum() == 0:
        return {}
    part = rows[rows["label"].notna()]
    classes = sorted(part["label"].astype(str).unique().tolist())

    def shares(frame) -> dict:
        counts = frame["label"].astype(str).value_counts()
        total = int(counts.sum())
        return {c: (float(counts.get(c, 0) / total) if total else None) for c in classes}

    syn = part[part["side"] == "synthetic"]
    out = {"classes": classes, "real": shares(part[part["side"] == "real"]),
           "synthetic": shares(syn), "by_generator": {}}
    if "generator" in part and syn["generator"].notna().any():
        for name, group in syn.groupby(syn["generator"].fillna("(none)"), sort=True):
            out["by_generator"][str(name)] = shares(group)
    return out


def label_summary(rows: pd.DataFrame, notes: list | None = None,
                  reference_share: float | None = None) -> dict:
    """``summary["labels"]``: how many labels look wrong, per side and generator, and the balance.

    ``label_issue_share`` per side is the share of judged rows with ``is_label_issue``; the
    real share is the reference for the synthetic one (how often the same kind of evidence
    disputes labels people wrote). Empty when there is no label column.
    """
    if "label_quality" not in rows:
        return {}
    judged = rows["label_quality"].notna()

    def block(frame) -> dict:
        j = frame["label_quality"].notna()
        n = int(j.sum())
        issues = int(frame.loc[j, "is_label_issue"].sum())
        return {"n_judged": n, "n_label_issues": issues,
                "label_issue_share": (issues / n) if n else None,
                "mean_label_quality": float(frame.loc[j, "label_quality"].mean()) if n else None}

    def out_judged(frame) -> int:
        return int(frame["label_quality"].notna().sum())

    real, syn = rows[rows["side"] == "real"], rows[rows["side"] == "synthetic"]
    out = {"real": block(real), "synthetic": block(syn), "by_generator": {},
           "n_not_judged": int((~judged).sum()), "notes": list(notes or []),
           "balance": label_balance(rows),
           "evidence": ("real rows: out-of-fold among real rows; synthetic rows: the more "
                        "doubtful of a model of all real rows and an out-of-fold model of the "
                        "other synthetic rows"),
           "synthetic_no_difference": _no_difference_share(reference_share, out_judged(real),
                                                           out_judged(syn),
                                                           block(syn)["label_issue_share"])}
    if "generator" in syn and syn["generator"].notna().any():
        for name, group in syn.groupby(syn["generator"].fillna("(none)"), sort=True):
            out["by_generator"][str(name)] = block(group)
    return out


def _no_difference_share(reference: float | None, n_real: int, n_syn: int,
                         observed: float | None) -> dict | None:
    """The synthetic label issue share's no-difference band: the real rows' share when judged
    as synthetic rows are (``reference``), with the binomial spread of both sides' sizes."""
    from synth_quality.analysis.reference import rate_band, reading

    if reference is None or not n_real or not n_syn:
        return None
    band = rate_band(reference, n_real, n_syn)
    return {"share": reference, "low": band["low"], "high": band["high"],
            "reading": reading(observed, band["low"], band["high"])
            if observed is not None else None}
