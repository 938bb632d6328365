"""The examples table: one row per input row with every per-row score (README: outputs)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth_quality.analysis.copies import copy_flags, copy_statistic, real_reference
from synth_quality.analysis.coverage import (coverage_pvalues, flags_per_side, graph_statistic,
                                             in_other_manifold)
from synth_quality.analysis.pairs import (nearest_real_elsewhere, paired_answers, prompt_ids,
                                          real_nearest_elsewhere)
from synth_quality.analysis.reference import detectable_pvalues
from synth_quality.analysis.regions import region_labels
from synth_quality.analysis.scores import categorise, near_duplicate_groups, outlier_scores
from synth_quality.analysis.text_checks import SURFACE_FEATURES, repetition_measures
from synth_quality.analysis.window_scores import window_scores
from synth_quality.pipeline.stages import AuditRun, Measured
from synth_quality.records import FIELD_PREFIX


def row_table(run: AuditRun, m: Measured, measures: pd.DataFrame) -> pd.DataFrame:
    """The examples table of ``run``'s rows from the stages' results ``m`` and the text
    ``measures`` (repetition score and surface features, one row per text)."""
    frame, texts, config, graph = run.frame, run.texts, run.config, m.graph
    xy, labels, p_syn, manifold, n_real = m.xy, m.labels, m.p_syn, m.manifold, run.n_real
    side = frame["side"].to_numpy()
    is_syn = side == "synthetic"
    # batch: 0 for the rows audited first, k for the k-th set added later (add_rows).
    batch = frame["batch"].to_numpy(np.int64) if "batch" in frame else np.zeros(len(frame), np.int64)
    rows = pd.DataFrame({"side": side, "row": frame["row"].to_numpy(np.int64), "batch": batch,
                         "text": texts})
    for optional in ("generator", "label"):
        if optional in frame:
            rows[optional] = frame[optional].to_numpy(object)
    for column in frame.columns:  # the fields of several-field records and chats
        if str(column).startswith(FIELD_PREFIX):
            rows[column] = frame[column].to_numpy(object)
        elif column in ("n_turns", "mean_turn_words"):
            rows[column] = frame[column].to_numpy(np.float64)
    rows["x"], rows["y"] = xy[:, 0], xy[:, 1]
    rows["cluster"] = labels
    rows["p_synthetic"] = p_syn
    # Cleanlab's self-confidence, inverted: how much the classifier doubts the row's own side.
    rows["label_issue_score"] = np.where(is_syn, 1.0 - p_syn, p_syn)
    # Calibrated against the classifier retrained on shuffled labels (no difference).
    rows["detectable_p"] = detectable_pvalues(rows["label_issue_score"].to_numpy(), is_syn,
                                              m.classifier_null)
    rows["is_detectable"] = flags_per_side(rows["detectable_p"].to_numpy(), n_real,
                                           config.reference.fdr)

    knn_distance, outlier_score, is_outlier = outlier_scores(
        graph, config.score.k_neighbors, config.score.outlier_fence)
    rows["outlier_score"], rows["is_outlier"] = outlier_score, is_outlier
    rows["knn_distance"] = knn_distance

    # Paired data (both sides answer the same prompts): agreement with the human answer to the
    # same prompt is neither a copy nor a duplicate (analysis.pairs).
    prompt = prompt_ids(frame["pair"]) if "pair" in frame else None
    groups = near_duplicate_groups(graph, texts, config.score.near_duplicate_similarity,
                                   same_prompt=prompt)
    rows["near_duplicate_group"] = pd.array(np.where(groups >= 0, groups, 0), dtype="Int64")
    rows.loc[groups < 0, "near_duplicate_group"] = pd.NA
    sizes = pd.Series(groups[groups >= 0]).value_counts()
    rows["near_duplicate_group_size"] = np.where(groups >= 0, pd.Series(groups).map(sizes).fillna(1), 1).astype(np.int64)

    row_ids = frame["row"].to_numpy(np.int64)
    other = graph.other_nearest
    other_similarity = graph.other_similarity.astype(np.float64)
    nearest_row = np.where(other >= 0, row_ids[np.clip(other, 0, None)], -1)
    if prompt is not None:
        elsewhere, where = nearest_real_elsewhere(m.X, is_syn, prompt)
        other_similarity = np.where(is_syn, np.nan_to_num(elsewhere, nan=-1.0), other_similarity)
        nearest_row = np.where(is_syn, np.where(where >= 0, row_ids[np.clip(where, 0, None)], -1),
                               nearest_row)
    rows["nearest_real_similarity"] = np.where(is_syn, other_similarity, np.nan)
    rows["nearest_real_row"] = pd.array(np.where(is_syn, nearest_row, -1), dtype="Int64")
    rows["nearest_synthetic_similarity"] = np.where(~is_syn, graph.other_similarity, np.nan)
    rows["nearest_synthetic_row"] = pd.array(np.where(~is_syn, nearest_row, -1), dtype="Int64")
    rows.loc[~is_syn, "nearest_real_row"] = pd.NA
    rows.loc[is_syn, "nearest_synthetic_row"] = pd.NA
    # A copy: near-identical to a real row that the real data does not repeat, and nearer than
    # a fresh real draw comes to the other real rows (analysis.copies).
    twin = where if prompt is not None else graph.other_nearest
    rows["is_copy_of_real"] = copy_of_real_flags(m.copy_reference, is_syn, other_similarity,
                                                 twin, config)

    rows["coverage_score"] = coverage_pvalues(graph_statistic(graph, n_real), n_real,
                                              m.coverage_null)
    if m.windows is not None:
        # Long texts: every window counts; a row takes its worst window (analysis.window_scores).
        scored = window_scores(m.windows.vectors, m.windows.owner, len(rows), n_real, config)
        rows["coverage_score"] = scored["coverage_score"]
        is_outlier = scored["is_outlier"]
        rows["outlier_score"], rows["is_outlier"] = scored["outlier_score"], is_outlier
        rows["knn_distance"] = scored["knn_distance"]
        rows["n_windows"] = m.windows.counts.astype(np.int64)
        rows["weakest_window"] = scored["weakest_window"]
    regions = region_labels(len(rows), m.regions)
    # Uncovered: the row's own evidence (Benjamini-Hochberg over its side), or the collective
    # evidence of the one-sided region it belongs to (tested without the labels).
    individually = flags_per_side(rows["coverage_score"].to_numpy(), n_real,
                                  config.reference.fdr)
    rows["is_uncovered"] = individually | (regions >= 0)
    rows["in_other_manifold"] = in_other_manifold(graph, n_real, manifold["synthetic_balls_hit"])
    rows["uncovered_region"] = pd.array(np.where(regions >= 0, regions, 0), dtype="Int64")
    rows.loc[regions < 0, "uncovered_region"] = pd.NA

    repetition = measures["repetition_score"].to_numpy()
    back_to_back = measures["repeats_back_to_back"].to_numpy() > 0
    fields = [c for c in frame.columns if str(c).startswith(FIELD_PREFIX)]
    if fields:
        # A record is as degenerate as its most degenerate field: a looping response must not
        # be diluted by the instruction before it.
        per_field = [repetition_measures(frame[c].fillna("").astype(str).tolist())
                     for c in fields]
        repetition = np.max([f["repetition_score"].to_numpy() for f in per_field], axis=0)
        back_to_back = np.max([f["repeats_back_to_back"].to_numpy() for f in per_field],
                              axis=0) > 0
    rows["repetition_score"] = repetition
    rows["repeats_back_to_back"] = back_to_back
    rows["is_degenerate"] = ((rows["repetition_score"] >= config.score.repetition_threshold)
                             | rows["repeats_back_to_back"])
    for name in SURFACE_FEATURES:
        rows[name] = measures[name].to_numpy()

    if prompt is not None and not fields:
        rows["prompt_id"] = pd.array(np.where(prompt >= 0, prompt, 0), dtype="Int64")
        rows.loc[prompt < 0, "prompt_id"] = pd.NA
        paired = paired_answers(m.X, is_syn, prompt, measures["n_words"].to_numpy(),
                                config.reference.fdr)
        rows["paired_real_row"] = pd.array(
            np.where(paired["paired_index"] >= 0,
                     row_ids[np.clip(paired["paired_index"], 0, None)], 0), dtype="Int64")
        rows.loc[paired["paired_index"].to_numpy() < 0, "paired_real_row"] = pd.NA
        for column in ("paired_similarity", "paired_length_ratio", "paired_rank", "is_drift"):
            rows[column] = paired[column].to_numpy()

    if m.label_check is not None:
        rows["label_quality"] = m.label_check.label_quality
        rows["is_label_issue"] = m.label_check.is_label_issue
        rows["predicted_label"] = m.label_check.predicted_label
        rows["label_evidence"] = m.label_check.evidence

    category, reason = categorise(side, rows["is_detectable"].to_numpy(), p_syn,
                                  individually, regions >= 0, rows["coverage_score"].to_numpy(),
                                  rows["is_degenerate"].to_numpy(), is_outlier)
    rows["category"], rows["reason"] = category, reason
    return rows


def copy_of_real_flags(reference: "CopyReference", is_syn: np.ndarray, similarity: np.ndarray,
                       twin: np.ndarray, config) -> np.ndarray:
    """``is_copy_of_real`` of every row from each synthetic row's ``similarity`` to its nearest
    real row ``twin`` (row positions; real rows first), against ``reference``."""
    threshold = config.score.near_duplicate_similarity
    is_copy = np.zeros(len(is_syn), bool)
    if reference.own_nearest is None:  # one real row: nothing to compare with, the threshold
        is_copy[is_syn] = copy_flags(similarity[is_syn], np.array([]), threshold, 0.0)
        return is_copy
    syn_twin = twin[is_syn]
    twin_repeat = np.where(syn_twin >= 0,
                           reference.own_nearest[np.clip(syn_twin, 0, None), 0], np.nan)
    statistic = copy_statistic(similarity[is_syn], twin_repeat, threshold)
    is_copy[is_syn] = copy_flags(statistic, reference.values, threshold, config.reference.fdr)
    return is_copy


@dataclass
class CopyReference:
    """The copy flag's no-difference reference (analysis.copies): each real row's statistic
    against the other real rows (``values``), and each real row's similarities to its nearest
    other real rows, nearest first (``own_nearest``; None with a single real row)."""

    values: np.ndarray
    own_nearest: np.ndarray | None


def copy_reference_of(run: AuditRun, m: Measured) -> "CopyReference":
    """The copy flag's reference for ``run`` (:func:`copy_reference`); the audit keeps it on
    ``m`` for the flag here and the summary's ``copies_share`` band, so it is built once."""
    prompt = prompt_ids(run.frame["pair"]) if "pair" in run.frame else None
    return copy_reference(m.graph, m.X, run.is_syn, prompt,
                          run.config.score.near_duplicate_similarity)


def copy_reference(graph, X: np.ndarray, is_syn: np.ndarray, prompt: np.ndarray | None,
                   threshold: float) -> CopyReference:
    """The copy reference from the neighbour graph, or for paired data from the real answers to
    other prompts (a real row's answers to its own prompt are no copies of it)."""
    n_real = int((~is_syn).sum())
    if n_real < 2:
        return CopyReference(np.array([]), None)
    if prompt is not None:
        sim, twin = real_nearest_elsewhere(X, is_syn, prompt)
        sim, twin = sim[:n_real], twin[:n_real]
        own = sim[:, None]
    else:
        own = graph.own_nearest[:n_real] if graph.own_nearest is not None else None
        if own is None or own.shape[1] == 0 or n_real < 2:
            return CopyReference(np.array([]), None)
        sim, twin = own[:, 0], first_real_neighbour(graph.knn_indices[:n_real], n_real)
    return CopyReference(real_reference(sim, twin, own, threshold), own)


def first_real_neighbour(knn_indices: np.ndarray, n_real: int) -> np.ndarray:
    """Per row, the first real row (index < ``n_real``) in its neighbour list, -1 if none."""
    is_real = knn_indices < n_real
    first = np.argmax(is_real, axis=1)
    found = is_real[np.arange(len(knn_indices)), first]
    return np.where(found, knn_indices[np.arange(len(knn_indices)), first], -1)
