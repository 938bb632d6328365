"""The dataset-level summary and the verdict in words."""

from __future__ import annotations

import functools
import platform
from importlib import metadata

import numpy as np
import pandas as pd

from synth_quality.analysis.cluster import resolve_min_cluster_size
from synth_quality.analysis.coverage import prdc
from synth_quality.analysis.scores import dataset_scores
from synth_quality.analysis.text_checks import SURFACE_FEATURES, artifact_report
from synth_quality.pipeline.stages import AuditRun, Measured
from synth_quality.result import cluster_counts
from synth_quality.stats import auc_with_ci

_PACKAGES = ("synth-quality", "sentence-transformers", "torch", "umap-learn", "hdbscan",
             "scikit-learn", "numpy", "pandas")


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
    return out


def region_table(rows: pd.DataFrame, n_keywords: int = 8, n_examples: int = 3,
                 limit: int = 20, word_counts=None) -> list[dict]:
    """The largest uncovered regions (see :func:`synth_quality.analysis.coverage.uncovered_regions`).

    Each: ``region``, ``side`` ("real": text the synthetic data never reaches; "synthetic": text
    outside the real data), ``size``, ``n_noise`` (how many of its rows HDBSCAN left as noise),
    ``clusters`` (cluster id -> rows), ``keywords`` (c-TF-IDF against every other row) and
    ``examples``. ``word_counts``, optional, is :func:`synth_quality.analysis.keywords.term_counts` of
    ``rows["text"]`` (the same keywords, without counting the words again).
    """
    from synth_quality.analysis.keywords import ctfidf_keywords, group_term_counts

    if "uncovered_region" not in rows or rows["uncovered_region"].isna().all():
        return []
    region = rows["uncovered_region"]
    ids = sorted(int(r) for r in region.dropna().unique())[:limit]
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
        out.append({
            "region": r, "side": str(part["side"].iloc[0]), "size": int(len(part)),
            "n_noise": int((part["cluster"] < 0).sum()),
            "clusters": {str(int(c)): int(k) for c, k in part["cluster"].value_counts().items()},
            "keywords": keywords.get(r, []),
            "examples": part.sort_values("coverage_score", kind="stable")["text"].head(n_examples).tolist(),
        })
    return out


def verdict(summary: dict) -> str:
    """A few sentences a stakeholder can read, built only from measured figures."""
    auc = summary.get("detection_auc")
    lo, hi = summary.get("detection_auc_ci") or [None, None]
    parts = []
    if auc is None or not np.isfinite(auc):
        parts.append("The detector could not be evaluated.")
    elif auc >= 0.9:
        parts.append(f"The synthetic rows are easy to tell from the real ones: a simple classifier "
                     f"separates them with AUC {auc:.2f} (95% CI {lo:.2f}-{hi:.2f}; 0.5 would mean "
                     "indistinguishable).")
    elif auc >= 0.7:
        parts.append(f"The synthetic rows are often distinguishable from the real ones (detection "
                     f"AUC {auc:.2f}, 95% CI {lo:.2f}-{hi:.2f}; 0.5 would mean indistinguishable).")
    else:
        parts.append(f"The synthetic rows are hard to tell from the real ones (detection AUC "
                     f"{auc:.2f}, 95% CI {lo:.2f}-{hi:.2f}; 0.5 means indistinguishable).")
    surface = [a for a in summary.get("artifacts", []) if a.get("separates")]
    if surface:
        parts.append("Part of that is surface style, not meaning: " + " ".join(
            a["sentence"] for a in surface[:2]))
    cov = summary.get("coverage")
    if cov is not None and np.isfinite(cov):
        parts.append(f"{cov:.0%} of real rows have a synthetic row nearby (coverage); "
                     f"{summary.get('n_clusters_real_only', 0)} cluster(s) of real text have "
                     "no synthetic counterpart.")
    big = [r for r in summary.get("uncovered_regions", []) if r["side"] == "real"][:1]
    if big and big[0]["size"] >= 5:
        parts.append(f"The largest group of real rows the synthetic data never reaches has "
                     f"{big[0]['size']} rows (keywords: {', '.join(big[0]['keywords'][:4])}).")
    unvaried, unoriginal = summary.get("unvaried"), summary.get("unoriginal")
    if unvaried is not None:
        parts.append(f"{unvaried:.0%} of synthetic rows are near-copies of other synthetic rows "
                     f"and {unoriginal:.0%} are near-copies of real rows.")
    if summary.get("n_degenerate"):
        parts.append(f"{summary['n_degenerate']} synthetic row(s) are degenerate (repetition loops "
                     "or stutters).")
    return " ".join(parts)


def audit_summary(run: AuditRun, m: Measured, rows: pd.DataFrame, clusters: pd.DataFrame,
                  word_counts=None) -> dict:
    """``summary.json``: the counts, scores, clusters, inputs and settings of the audit."""
    inputs, manifold, p_syn, config = run.inputs, m.manifold, m.p_syn, run.config
    is_syn, embed_info, n = run.is_syn, m.embed_info, len(run.frame)
    auc = auc_with_ci(is_syn, p_syn)
    features = rows[list(SURFACE_FEATURES)]
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
        "n_real_uncovered": int((~rows.loc[rows["side"] == "real", "in_other_manifold"]).sum()),
        "n_synthetic_off_manifold": int((~syn["in_other_manifold"]).sum()),
        **cluster_counts(clusters),
        "uncovered_regions": region_table(rows, config.cluster.n_keywords, config.cluster.n_typical,
                                          word_counts=word_counts),
        "min_cluster_size_used": size,
        "min_samples_used": samples,
        "artifacts": artifacts,
        "by_generator": by_generator(rows, manifold["synthetic_balls_hit"], config.score.manifold_k),
        "inputs": {
            "text_column": inputs.text_column, "label_column": inputs.label_column,
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
