"""The dataset-level summary and the verdict in words."""

from __future__ import annotations

import functools
import platform
from importlib import metadata

import numpy as np
import pandas as pd

from synth_quality.analysis.cluster import resolve_min_cluster_size
from synth_quality.analysis.coverage import prdc
from synth_quality.analysis.labels import label_summary
from synth_quality.analysis.scores import dataset_scores
from synth_quality.analysis.pairs import pair_summary
from synth_quality.analysis.text_checks import OTHER_FEATURES, SURFACE_FEATURES, artifact_report
from synth_quality.pipeline.stages import AuditRun, Measured
from synth_quality.result import cluster_counts
from synth_quality.stats import auc_with_ci

_PACKAGES = ("synth-quality", "sentence-transformers", "torch", "umap-learn", "hdbscan",
             "scikit-learn", "numpy", "pandas", "cleanlab")


def package_versions() -> dict:
    """Versions of Python and the packages that shape an audit's numbers (None if missing)."""
    return dict(_package_versions())


@functools.lru_cache(maxsize=1)
def _package_versions() -> dict:
    # Read once per process: an audit asks twice (its summary, and whether an earlier audit's
    # text measures can be reused), the dashboard once per audit.
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def by_generator(rows: pd.DataFrame, hits: np.ndarray, k: int) -> dict:
    """Per generator: counts, detection AUC against all real rows, dataset scores, precision."""
    if "generator" not in rows or rows.loc[rows["side"] == "synthetic", "generator"].nunique() < 1:
        return {}
    real = rows[rows["side"] == "real"]
    syn_index = np.flatnonzero((rows["side"] == "synthetic").to_numpy())
    hits_by_row = pd.Series(hits, index=rows.index[syn_index])
    out = {}
    for name, part in rows[rows["side"] == "synthetic"].groupby("generator", sort=True, dropna=False):
        key = "(none)" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
        both = pd.concat([real, part])
        auc = auc_with_ci((both["side"] == "synthetic").to_numpy(), both["p_synthetic"].to_numpy())
        scores = dataset_scores(both)
        h = hits_by_row.loc[part.index].to_numpy()
        out[key] = {
            "n_synthetic": int(len(part)),
            "detection_auc": auc["auc"], "detection_auc_ci": [auc["ci_low"], auc["ci_high"]],
            "unrealistic": scores["unrealistic"], "unvaried": scores["unvaried"],
            "unoriginal": scores["unoriginal"],
            "precision": float((h > 0).mean()), "density": float(h.mean() / k),
            "n_degenerate": int(part["is_degenerate"].sum()),
            "n_copies_of_real": int(part["is_copy_of_real"].sum()),
        }
        if "is_label_issue" in part:
            judged = part["label_quality"].notna()
            out[key]["n_label_issues"] = int(part.loc[judged, "is_label_issue"].sum())
            out[key]["label_issue_share"] = (float(part.loc[judged, "is_label_issue"].mean())
                                             if judged.any() else None)
    return out


def chat_summary(rows: pd.DataFrame) -> dict:
    """``summary["chat"]``: turns per conversation and words per turn, per side (mean and
    median), and the words of each role's text per side (median)."""
    out: dict = {}
    for side in ("real", "synthetic"):
        part = rows[rows["side"] == side]
        entry = {"n_conversations": int(len(part))}
        for column in ("n_turns", "mean_turn_words"):
            if column in part and len(part):
                entry[f"mean_{column}"] = float(part[column].mean())
                entry[f"median_{column}"] = float(part[column].median())
        entry["median_words_by_role"] = {
            str(c)[len("text."):]: float(part[c].dropna().map(lambda t: len(str(t).split()))
                                         .median()) if part[c].notna().any() else None
            for c in rows.columns if str(c).startswith("text.")}
        out[side] = entry
    return out


def region_table(rows: pd.DataFrame, regions: pd.DataFrame, n_keywords: int = 8,
                 n_examples: int = 3, limit: int = 20, word_counts=None) -> list[dict]:
    """The largest one-sided regions (:func:`synth_quality.analysis.regions.one_sided_regions`).

    Each: ``region`` (its id in ``examples.uncovered_region``), ``side`` ("real": text the
    synthetic data never reaches; "synthetic": text the real data never has), ``size`` (rows of
    that side), ``n_other`` and ``expected_other`` (rows of the other side in the group, and how
    many the overall share predicts), ``p_adjusted`` (Tarone-Holm), ``n_noise`` (how many of its
    rows HDBSCAN's clusters left as noise), ``clusters`` (cluster id -> rows), ``keywords``
    (c-TF-IDF against every other row) and ``examples`` (least covered first).
    ``word_counts``, optional, is :func:`synth_quality.analysis.keywords.term_counts` of
    ``rows["text"]`` (the same keywords, without counting the words again).
    """
    from synth_quality.analysis.keywords import ctfidf_keywords, group_term_counts

    if regions is None or not len(regions):
        return []
    region = rows["uncovered_region"]
    ids = list(range(min(len(regions), limit)))
    texts = {r: rows.loc[region == r, "text"].tolist() for r in ids}
    texts[-1] = rows.loc[region.isna(), "text"].tolist()  # background for the keywords
    if word_counts is not None:
        labels = region.fillna(-1).to_numpy(np.int64)
        counts = group_term_counts(labels, list(texts), word_counts)
        keywords = ctfidf_keywords(texts, n_keywords, counts, word_counts[1])
    else:
        keywords = ctfidf_keywords(texts, n_keywords)
    out = []
    for r in ids:
        part = rows[region == r]
        found = regions.iloc[r]
        out.append({
            "region": r, "side": str(found["side"]), "size": int(len(part)),
            "n_other": int(found["n_other"]), "expected_other": float(found["expected_other"]),
            "p_adjusted": float(found["p_adjusted"]),
            "n_noise": int((part["cluster"] < 0).sum()),
            "clusters": {str(int(c)): int(k) for c, k in part["cluster"].value_counts().items()},
            "keywords": keywords.get(r, []),
            "examples": part.sort_values("coverage_score", kind="stable")["text"].head(n_examples).tolist(),
        })
    return out


def _band_note(summary: dict, name: str, fmt: str = "{:.2f}", sep: str = "; ") -> str:
    """"; with no difference 0.47-0.53" for a figure with a no-difference band (empty if none)."""
    entry = ((summary.get("no_difference") or {}).get("figures") or {}).get(name) or {}
    if entry.get("low") is None:
        return ""
    low, high = fmt.format(entry["low"]), fmt.format(entry["high"])
    span = low if low == high else f"{low}-{high}"
    return f"{sep}with no difference {span}" if sep else span


def _inside(summary: dict, name: str) -> bool:
    entry = ((summary.get("no_difference") or {}).get("figures") or {}).get(name) or {}
    return entry.get("reading") == "expected even with no difference"


def verdict(summary: dict) -> str:
    """A few sentences a stakeholder can read, built only from measured figures, each read
    against its no-difference band when the audit has one."""
    auc = summary.get("detection_auc")
    lo, hi = summary.get("detection_auc_ci") or [None, None]
    parts = []
    band = _band_note(summary, "detection_auc")
    if auc is None or not np.isfinite(auc):
        parts.append("The detector could not be evaluated.")
    elif _inside(summary, "detection_auc"):
        parts.append(f"The synthetic rows cannot be told from the real ones: a detection AUC of "
                     f"{auc:.2f} (95% CI {lo:.2f}-{hi:.2f}{band}) is expected even with no "
                     "difference.")
    elif auc >= 0.9:
        parts.append(f"The synthetic rows are easy to tell from the real ones: a simple classifier "
                     f"separates them with AUC {auc:.2f} (95% CI {lo:.2f}-{hi:.2f}{band}; 0.5 would "
                     "mean indistinguishable).")
    elif auc >= 0.7:
        parts.append(f"The synthetic rows are often distinguishable from the real ones (detection "
                     f"AUC {auc:.2f}, 95% CI {lo:.2f}-{hi:.2f}{band}).")
    else:
        parts.append(f"The synthetic rows are somewhat distinguishable from the real ones "
                     f"(detection AUC {auc:.2f}, 95% CI {lo:.2f}-{hi:.2f}{band}).")
    surface = [a for a in summary.get("artifacts", []) if a.get("separates")]
    if surface:
        parts.append("Part of that is surface style, not meaning: " + " ".join(
            a["sentence"] for a in surface[:2]))
    parts.extend(_coverage_sentences(summary))
    parts.extend(_corners_sentences(summary))
    unvaried, unoriginal = summary.get("unvaried"), summary.get("unoriginal")
    if unvaried is not None:
        bands = [_band_note(summary, name, "{:.1%}", " (") for name in ("unvaried", "unoriginal")]
        parts.append(f"{unvaried:.1%} of synthetic rows are near-copies of other synthetic rows"
                     f"{bands[0]}{')' if bands[0] else ''} and {unoriginal:.1%} are near-copies "
                     f"of real rows{bands[1]}{')' if bands[1] else ''}.")
    labels = summary.get("labels") or {}
    syn_share = (labels.get("synthetic") or {}).get("label_issue_share")
    real_share = (labels.get("real") or {}).get("label_issue_share")
    if syn_share is not None:
        band = labels.get("synthetic_no_difference") or {}
        reference = (f" (with no difference {band['low']:.0%}-{band['high']:.0%}, from real rows "
                     f"judged the same way: {band['reading']})" if band.get("reading") else "")
        if real_share is not None:
            reference += f"; the same check disputes {real_share:.0%} of the real rows' labels"
        parts.append(f"{syn_share:.0%} of the synthetic rows' labels look wrong{reference}.")
    fields = summary.get("fields") or {}
    if fields.get("findings"):
        parts.append("Field by field: " + " ".join(fields["findings"]))
    pairs = summary.get("pairs") or {}
    for name, p in (pairs.get("by_generator") or {"synthetic rows": pairs.get("synthetic")}).items():
        if p and p.get("n_prompts"):
            parts.append(f"Answering the same prompts as the real rows, {name} drifts away from "
                         f"the human answer on {p['drift_share']:.0%} of its {p['n_prompts']} "
                         f"prompts (chance: {pairs['chance_drift_share']:.0%}"
                         + (f"; the human answers themselves: {pairs['real_drift_share']:.0%}"
                            if pairs.get("real_drift_share") is not None else "")
                         + f"); its answers are {p['median_length_ratio']:.2f}x as long (median).")
    if summary.get("n_degenerate"):
        parts.append(f"{summary['n_degenerate']} synthetic row(s) are degenerate (repetition loops "
                     "or stutters).")
    disagreements = (summary.get("second_view") or {}).get("disagreements") or []
    if disagreements:
        parts.append("A second, model-free view disagrees: " + disagreements[0])
    return " ".join(parts)


def _corners_sentences(summary: dict) -> list[str]:
    """Centre or corners, diversity, and the rounds' tails (pipeline.corners)."""
    parts = []
    for block in ("centre_vs_corners", "diversity"):
        if (summary.get(block) or {}).get("sentence"):
            parts.append(summary[block]["sentence"])
    warning = (summary.get("rounds") or {}).get("warning")
    if warning:
        parts.append(warning.removeprefix("synth-quality: ").capitalize())
    return parts


def _coverage_sentences(summary: dict) -> list[str]:
    """Which rows each side fails to reach, and the one-sided clusters and regions."""
    parts = []
    n_real, n_uncovered = summary.get("n_real", 0), summary.get("n_real_uncovered")
    if n_uncovered is not None and n_real:
        if n_uncovered == 0:
            parts.append("The synthetic rows come as near to every real row as they would with "
                         "no difference.")
        else:
            parts.append(f"{n_uncovered:,} of {n_real:,} real rows ({n_uncovered / n_real:.0%}) "
                         "are flagged uncovered: the synthetic rows stay farther from them than "
                         "chance explains (at most 5% of flagged rows are expected to be false "
                         f"alarms{_band_note(summary, 'uncovered_real_share', '{:.1%}')}).")
    real_only = summary.get("n_clusters_real_only", 0)
    if real_only:
        band = _band_note(summary, "n_clusters_real_only", "{:.0f}", " (")
        parts.append(f"{real_only} cluster(s) of real text have no synthetic counterpart"
                     f"{band}{')' if band else ''}.")
    big = [r for r in summary.get("uncovered_regions", []) if r["side"] == "real"][:1]
    if big:
        parts.append(f"The largest one-sided region of real rows has {big[0]['size']} rows "
                     f"(keywords: {', '.join(big[0]['keywords'][:4])}).")
    return parts


def audit_summary(run: AuditRun, m: Measured, rows: pd.DataFrame, clusters: pd.DataFrame,
                  word_counts=None) -> dict:
    """``summary.json``: the counts, scores, clusters, inputs and settings of the audit."""
    inputs, manifold, p_syn, config = run.inputs, m.manifold, m.p_syn, run.config
    is_syn, embed_info, n = run.is_syn, m.embed_info, len(run.frame)
    auc = auc_with_ci(is_syn, p_syn)
    features = rows[list(SURFACE_FEATURES) + [c for c in OTHER_FEATURES if c in rows]]
    groups = rows["generator"].to_numpy(object) if "generator" in rows else None
    artifacts = artifact_report(features, is_syn, groups=groups)
    size, samples = resolve_min_cluster_size(config.cluster, n)
    syn = rows[rows["side"] == "synthetic"]
    summary = {
        "n_rows": int(n),
        "n_real": int((~is_syn).sum()),
        "n_synthetic": int(is_syn.sum()),
        "real_share": float((~is_syn).mean()),
        "prior": (f"{(~is_syn).sum()} real : {is_syn.sum()} synthetic "
                  f"(1 : {is_syn.sum() / max((~is_syn).sum(), 1):.2f}); the classifier weighs both "
                  "sides equally, so P(synthetic) = 0.5 means 'cannot tell' whatever this ratio"),
        "detection_auc": auc["auc"],
        "detection_auc_ci": [auc["ci_low"], auc["ci_high"]],
        **dataset_scores(rows),
        **prdc(rows, manifold, config.score.manifold_k),
        "categories": {c: int((rows["category"] == c).sum()) for c in
                       ("unrealistic synthetic", "realistic synthetic", "underrepresented real",
                        "well-covered real", "outlier")},
        "n_outliers": int(rows["is_outlier"].sum()),
        "n_degenerate": int(syn["is_degenerate"].sum()),
        "n_copies_of_real": int(syn["is_copy_of_real"].sum()),
        "n_near_duplicate_groups": int(rows["near_duplicate_group"].nunique()),
        "n_real_uncovered": int(rows.loc[rows["side"] == "real", "is_uncovered"].sum()),
        "n_synthetic_uncovered": int(syn["is_uncovered"].sum()),
        "n_real_detectable": int(rows.loc[rows["side"] == "real", "is_detectable"].sum()),
        "n_synthetic_detectable": int(syn["is_detectable"].sum()),
        "n_synthetic_off_manifold": int((~syn["in_other_manifold"]).sum()),
        **cluster_counts(clusters),
        "uncovered_regions": region_table(rows, m.regions, config.cluster.n_keywords,
                                          config.cluster.n_typical, word_counts=word_counts),
        "min_cluster_size_used": size,
        "min_samples_used": samples,
        "artifacts": artifacts,
        "by_generator": by_generator(rows, manifold["synthetic_balls_hit"], config.score.manifold_k),
        # null when the rows have no labels, are not paired, are not chats
        "labels": label_summary(rows, m.label_check.notes if m.label_check is not None
                                else None, m.label_check.reference_issue_share
                                if m.label_check is not None else None) or None,
        "pairs": pair_summary(rows, inputs.pair_column, inputs.prompt_fields,
                              inputs.answer_fields) or None,
        "chat": chat_summary(rows) if inputs.kind == "chat" else None,
        "inputs": {
            "text_column": inputs.text_column, "label_column": inputs.label_column,
            "kind": inputs.kind, "fields": list(inputs.fields),
            "pair_column": inputs.pair_column,
            "generator_column": inputs.generator_column, "real_value": inputs.real_value,
            "sources": inputs.sources,
            "blank_rows": {k: len(v) for k, v in inputs.blank_rows.items()},
            "blank_row_numbers": {k: list(v)[:50] for k, v in inputs.blank_rows.items()},
            "duplicate_texts": inputs.duplicate_texts,
        },
        "embedding": embed_info,
        "random_state": config.random_state,
        "versions": package_versions(),
    }
    summary["verdict"] = verdict(summary)
    return summary


def add_no_difference(summary: dict, run: AuditRun, m: Measured, rows: pd.DataFrame) -> None:
    """Put ``no_difference`` (every figure's band: :mod:`synth_quality.analysis.reference`) into
    ``summary``, give each generator's figures and each surface artifact's AUC their bands, and
    word the verdict with them."""
    from synth_quality.analysis.reference import (EXPECTED, ReferenceInputs, auc_band,
                                                  generator_bands, leave_one_out, no_difference,
                                                  observed_figures)
    from synth_quality.pipeline.corners import reference_figures

    data = ReferenceInputs(m.X, m.graph.own_radius, run.is_syn, m.labels, m.groups,
                           rows["is_degenerate"].to_numpy(bool), rows["knn_distance"].to_numpy(),
                           rows["near_duplicate_group"].fillna(-1).to_numpy(np.int64),
                           m.copy_reference.values if m.copy_reference is not None else None,
                           rows["is_copy_of_real"].to_numpy(bool))
    loo = leave_one_out(data, run.config)
    summary["no_difference"] = no_difference(observed_figures(summary, rows), data,
                                             m.classifier_null, m.coverage_null, run.config, loo,
                                             extra=reference_figures(summary))
    n_syn = len(run.frame) - run.n_real
    for name, g in (summary.get("by_generator") or {}).items():
        g["no_difference"] = generator_bands(m.classifier_null, loo, run.n_real,
                                             g["n_synthetic"], run.config.random_state)
    low, high = auc_band(run.n_real, n_syn)
    for artifact in summary.get("artifacts") or []:
        artifact["no_difference"] = [0.5, high]
        artifact["reading"] = (EXPECTED if artifact.get("separation", 0.5) <= high
                               else "higher than with no difference")
    summary["verdict"] = verdict(summary)
