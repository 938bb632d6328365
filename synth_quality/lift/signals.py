"""The lift control's rankings of the synthetic rows, worst first, for filter-and-retest.

:func:`rankings` orders the synthetic training rows by each audit signal (label issue, outlier,
duplicate, degeneration), taking the scores from the audit's examples table when it is given
(matched on ``side`` and ``row``, texts checked) and computing them here with the audit's own
functions and defaults otherwise; ties are broken at random. The method is described in
:mod:`synth_quality.lift.run`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.config import DetectConfig, ScoreConfig
from synth_quality.errors import InputDataError
from synth_quality.io import listing, plural
from synth_quality.lift.config import LiftConfig
from synth_quality.lift.evalset import norm_text

_N_WORST = 20               # worst-ranked synthetic rows listed per signal


def rankings(train: pd.DataFrame, X: np.ndarray, n_real: int, audit_examples, config: LiftConfig,
             rng) -> dict:
    """For each signal: synthetic training positions (0-based among synthetic rows), worst first."""
    syn = train.iloc[n_real:].reset_index(drop=True)
    n_syn = len(syn)
    columns = _signal_columns(train, X, n_real, audit_examples, config)
    tiebreak = rng.random(n_syn)
    out = {}
    for name in config.signals:
        data = columns[name]
        if name == "label_issue":
            order = np.lexsort((tiebreak, data["label_issue_score"]))
            flagged = data["label_issue_score"] < DetectConfig().confident_threshold
        elif name == "outlier":
            order = np.lexsort((tiebreak, -data["outlier_score"]))
            flagged = data.get("is_outlier")
        elif name == "duplicate":
            tier = data["tier"]
            order = np.lexsort((tiebreak, -data["nearest_real_similarity"], -data["group_size"],
                                tier))
            flagged = tier < 2
        elif name == "label_quality":
            order = np.lexsort((tiebreak, data["label_quality"]))
            flagged = data.get("is_label_issue")
        else:
            order = np.lexsort((tiebreak, -data["repetition_score"]))
            flagged = data["repetition_score"] >= ScoreConfig().repetition_threshold
        out[name] = {"order": order, "source": data["source"],
                     "n_flagged": None if flagged is None else int(np.sum(flagged)),
                     "worst_rows": syn["row"].to_numpy(np.int64)[order[:_N_WORST]].tolist()}
    return out


_AUDIT_COLUMNS = {
    "label_issue": ("label_issue_score",),
    "outlier": ("outlier_score",),
    "duplicate": ("near_duplicate_group", "is_copy_of_real", "nearest_real_similarity"),
    "degeneration": ("repetition_score",),
    "label_quality": ("label_quality", "is_label_issue"),
}


def _signal_columns(train, X, n_real, audit_examples, config) -> dict:
    """The raw score arrays each signal ranks by, aligned with the synthetic training rows."""
    syn = train.iloc[n_real:].reset_index(drop=True)
    n_syn = len(syn)
    wanted = set(config.signals)
    out: dict = {}
    matched = None
    if audit_examples is not None:
        matched = _match_audit(syn, audit_examples)
    compute = {s for s in wanted
               if matched is None or not all(c in matched for c in _AUDIT_COLUMNS[s])}
    graph = None
    if compute & {"outlier", "duplicate"}:
        from synth_quality.graph.knn import build_neighbor_graph

        score_cfg = ScoreConfig()
        graph = build_neighbor_graph(X, n_real, max(score_cfg.k_neighbors, 1),
                                     score_cfg.manifold_k)
    # label issue: low = the detector is sure the row is synthetic
    if "label_issue" in wanted:
        if "label_issue" in compute:
            from threadpoolctl import threadpool_limits

            from synth_quality.analysis.detect import out_of_fold_p_synthetic

            det = DetectConfig()
            is_syn = np.arange(len(train)) >= n_real
            with threadpool_limits(limits=1):  # see lift.fits.Fitter.run
                p = out_of_fold_p_synthetic(X, is_syn, det.n_folds, det.C, config.random_state)
            out["label_issue"] = {"label_issue_score": 1.0 - p[n_real:], "source": "computed"}
        else:
            out["label_issue"] = {"label_issue_score": _floats(matched["label_issue_score"]),
                                  "source": "audit"}
    if "outlier" in wanted:
        if "outlier" in compute:
            from synth_quality.analysis.scores import outlier_scores

            score_cfg = ScoreConfig()
            _, score, is_outlier = outlier_scores(graph, score_cfg.k_neighbors,
                                                  score_cfg.outlier_fence)
            out["outlier"] = {"outlier_score": score[n_real:], "is_outlier": is_outlier[n_real:],
                              "source": "computed"}
        else:
            flags = (matched["is_outlier"].fillna(False).to_numpy(bool)
                     if "is_outlier" in matched else None)
            out["outlier"] = {"outlier_score": _floats(matched["outlier_score"]),
                              "is_outlier": flags, "source": "audit"}
    if "duplicate" in wanted:
        if "duplicate" in compute:
            from synth_quality.analysis.scores import near_duplicate_groups

            thr = ScoreConfig().near_duplicate_similarity
            groups = near_duplicate_groups(graph, train["text"].astype(str).tolist(), thr)
            nearest = graph.other_similarity[n_real:].astype(np.float64)
            copy = nearest >= thr
            out["duplicate"] = _duplicate_tiers(groups[:n_real], groups[n_real:], copy, nearest)
            out["duplicate"]["source"] = "computed"
        else:
            groups = matched["near_duplicate_group"]
            syn_groups = np.where(groups.isna(), -1, groups.fillna(-1)).astype(np.int64)
            real_groups = _real_groups(audit_examples)
            copy = matched["is_copy_of_real"].fillna(False).to_numpy(bool)
            nearest = _floats(matched["nearest_real_similarity"])
            out["duplicate"] = _duplicate_tiers(real_groups, syn_groups, copy, nearest)
            out["duplicate"]["source"] = "audit"
    if "degeneration" in wanted:
        if "degeneration" in compute:
            from synth_quality.analysis.text_checks import repetition_scores

            out["degeneration"] = {"repetition_score": repetition_scores(syn["text"].tolist()),
                                   "source": "computed"}
        else:
            out["degeneration"] = {"repetition_score": _floats(matched["repetition_score"]),
                                   "source": "audit"}
    if "label_quality" in wanted:
        if "label_quality" in compute:
            from synth_quality.analysis.labels import label_quality

            det = DetectConfig()
            is_syn = np.arange(len(train)) >= n_real
            check = label_quality(X, train["label"].tolist(), is_syn, n_folds=det.n_folds,
                                  C=det.C, random_state=config.random_state)
            quality, flags = check.label_quality[n_real:], check.is_label_issue[n_real:]
            source = "computed"
        else:
            quality = pd.to_numeric(matched["label_quality"], errors="coerce").to_numpy(float)
            flags = matched["is_label_issue"].fillna(False).to_numpy(bool)
            source = "audit"
        # Rows that could not be judged are not doubted: they go last.
        out["label_quality"] = {"label_quality": np.nan_to_num(quality, nan=1.0),
                                "is_label_issue": flags, "source": source}
    for name, data in out.items():
        for key, value in data.items():
            if isinstance(value, np.ndarray) and len(value) != n_syn:  # pragma: no cover
                raise AssertionError(f"internal: {name}.{key} has {len(value)} values")
    return out


def _floats(series: pd.Series) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(np.float64)
    return np.nan_to_num(values, nan=np.nanmedian(values) if np.isfinite(values).any() else 0.0)


def _real_groups(examples: pd.DataFrame) -> np.ndarray:
    if "near_duplicate_group" not in examples:
        return np.empty(0, np.int64)
    real = examples.loc[examples["side"] == "real", "near_duplicate_group"]
    return real.dropna().astype(np.int64).to_numpy()


def _duplicate_tiers(real_groups, syn_groups, copy, nearest) -> dict:
    """Tier 0: copies of real rows; 1: redundant members of synthetic groups; 2: the rest."""
    real_set = set(int(g) for g in np.asarray(real_groups) if g >= 0)
    tier = np.full(len(syn_groups), 2, np.int64)
    size = np.ones(len(syn_groups), np.float64)
    seen: set[int] = set()
    counts = pd.Series(syn_groups[syn_groups >= 0]).value_counts()
    for i, g in enumerate(syn_groups.tolist()):
        if g >= 0:
            size[i] = counts.get(g, 1)
            if g in real_set:
                tier[i] = 0
            elif g in seen:
                tier[i] = 1
            seen.add(g)
    tier[np.asarray(copy, bool)] = 0
    return {"tier": tier, "group_size": size, "nearest_real_similarity": np.asarray(nearest)}


def _match_audit(syn: pd.DataFrame, examples: pd.DataFrame) -> pd.DataFrame:
    """The audit's rows for these synthetic rows, in their order; errors if any is missing."""
    if not isinstance(examples, pd.DataFrame) or not {"side", "row"} <= set(examples.columns):
        raise InputDataError("the audit examples table needs columns 'side' and 'row' (pass the "
                             "examples.parquet of an audit of the same inputs)")
    audit_syn = examples[examples["side"] == "synthetic"].copy()
    audit_syn["row"] = pd.to_numeric(audit_syn["row"], errors="coerce")
    audit_syn = audit_syn.drop_duplicates("row").set_index("row")
    missing = [r for r in syn["row"].tolist() if r not in audit_syn.index]
    if missing:
        raise InputDataError(f"the audit does not cover {plural(len(missing), 'synthetic row')} "
                             f"of these inputs (rows {listing(missing)}); run the audit on the "
                             "same inputs, or leave out --audit-dir to compute the rankings here")
    matched = audit_syn.loc[syn["row"].tolist()].reset_index()
    if "text" in matched:
        differ = [int(r) for r, a, b in zip(syn["row"], syn["text"], matched["text"])
                  if norm_text(a) != norm_text(b)]
        if differ:
            raise InputDataError(f"the audit's synthetic texts differ from these inputs at "
                                 f"{plural(len(differ), 'row')} (rows {listing(differ)}); run "
                                 "the audit on the same inputs, or leave out --audit-dir")
    return matched
