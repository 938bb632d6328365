"""Tables shown by the dashboard and the report: rows for display, clusters and their details,
the overview's scores, artifacts, generators and counts."""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import pandas as pd

from synth_quality.present.filters import sort_examples
from synth_quality.present.wording import DATASET_SCORES, STATUS_TEXT, SUPPORT_SCORES, format_value
from synth_quality.schema import Band, Summary

#: Columns of the examples table, in display order (missing ones are skipped).
TABLE_COLUMNS = ["side", "row", "text", "category", "label_issue_score", "outlier_score",
                 "repetition_score", "near_duplicate_group", "nearest_real_row",
                 "nearest_real_similarity", "coverage_score", "is_uncovered",
                 "nearest_synthetic_row", "nearest_synthetic_similarity", "uncovered_region",
                 "cluster", "generator", "label", "label_quality", "is_label_issue",
                 "predicted_label", "label_evidence", "p_synthetic", "is_outlier", "is_degenerate",
                 "is_copy_of_real", "near_duplicate_group_size", "reason"]


#: Paired answers' columns the full table shows (after TABLE_COLUMNS).
PAIRED_DISPLAY = ("prompt_id", "paired_real_row", "paired_similarity", "paired_length_ratio",
                  "paired_rank", "is_drift")
#: Each field's own scores the full table shows, as ``<field>.<column>``.
FIELD_DISPLAY = ("category", "label_issue_score", "coverage_score", "repetition_score",
                 "is_degenerate", "is_copy_of_real")

#: Columns of the compact selection table (Map page, cluster details).
SELECTION_COLUMNS = ["side", "row", "text", "category", "cluster", "label_issue_score",
                     "outlier_score", "coverage_score", "repetition_score"]


def display_table(frame: pd.DataFrame, columns: Sequence[str] = TABLE_COLUMNS,
                  flagged: Iterable[int] | None = None) -> pd.DataFrame:
    """The columns the tables show, in order, keeping the row positions as index.

    Records of several fields (or chats) show each field's text right after the record's,
    side by side (``text.<field>``); the full table also shows each field's own main scores
    (``<field>.category``, ...) and the paired-answer columns."""
    cols = [c for c in columns if c in frame]
    field_texts = [c for c in frame.columns if str(c).startswith("text.")]
    if field_texts and "text" in cols:
        at = cols.index("text") + 1
        cols[at:at] = [c for c in field_texts if c not in cols]
    if columns is TABLE_COLUMNS:
        cols += [c for c in PAIRED_DISPLAY if c in frame and c not in cols]
        cols += [c for c in frame.columns if "." in str(c) and not str(c).startswith("text.")
                 and str(c).rsplit(".", 1)[1] in FIELD_DISPLAY and c not in cols]
        cols += [c for c in ("n_turns", "mean_turn_words") if c in frame and c not in cols]
    out = frame[cols].copy()
    if flagged is not None:
        out.insert(min(3, len(out.columns)), "flagged", out.index.isin(list(flagged)))
    for c in ("generator", "label"):
        if c in out:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def cluster_row(clusters: pd.DataFrame, cluster: int) -> dict:
    hit = clusters[clusters["cluster"] == int(cluster)]
    if hit.empty:
        raise KeyError(f"no cluster {cluster}")
    return hit.iloc[0].to_dict()


def cluster_details(examples: pd.DataFrame, clusters: pd.DataFrame, cluster: int,
                    n: int = 5) -> dict:
    """What the Clusters page shows for one cluster.

    Returns a dict with ``row`` (its clusters-table row), ``members`` (row positions),
    ``typical`` (rows closest to the cluster's centre, from ``typical_rows``), ``most_synthetic``
    (its synthetic rows the classifier is surest about: lowest label issue score),
    ``most_real`` (same for real rows), ``most_isolated`` (highest outlier score) and
    ``sentence`` (its status in words).
    """
    row = cluster_row(clusters, cluster)
    members = examples[examples["cluster"] == int(cluster)]
    typical_ids = [i for i in (row.get("typical_rows") or []) if 0 <= int(i) < len(examples)]
    typical = examples.loc[[int(i) for i in typical_ids]]

    def extreme(part, by, ascending):
        return sort_examples(part, by, ascending).head(n)

    syn = members[members["side"] == "synthetic"]
    real = members[members["side"] == "real"]
    size = int(row["size"])
    status = str(row.get("status", ""))
    sentence = (f"Cluster {cluster}: {size:,} rows, {int(row['n_real']):,} real "
                f"({row['real_share']:.0%}) against {row['expected_real_share']:.0%} overall. "
                f"{STATUS_TEXT.get(status, status).capitalize()}")
    if status != "noise":
        sentence += f"; {row.get('status_reason', '')}."
    else:
        sentence += "."
    return {
        "row": row, "members": members.index.to_numpy(), "typical": typical,
        "most_synthetic": extreme(syn, "label_issue_score", True),
        "most_real": extreme(real, "label_issue_score", True),
        "most_isolated": extreme(members, "outlier_score", False),
        "sentence": sentence,
    }


def clusters_display(clusters: pd.DataFrame) -> pd.DataFrame:
    """The clusters table as shown: keywords joined, no list columns."""
    cols = ["cluster", "status", "size", "real_share", "with no difference", "keywords",
            "n_real", "n_synthetic", "expected_real_share", "real_enrichment", "p_adjusted",
            "status_reason", "real_label_shares", "synthetic_label_shares", "label_gap",
            "synthetic_label_issue_share"]
    clusters = clusters.copy()
    if {"real_share_low", "real_share_high"} <= set(clusters):
        clusters["with no difference"] = [
            f"{lo:.0%} to {hi:.0%}" for lo, hi in zip(clusters["real_share_low"],
                                                    clusters["real_share_high"])]
    out = clusters[[c for c in cols if c in clusters]].copy()
    if "keywords" in out:
        out["keywords"] = out["keywords"].map(lambda ws: ", ".join(list(ws or [])))
    return out


def band_of(summary: Summary, key: str) -> Band | None:
    """The no-difference band of one figure (``summary.no_difference.figures[key]``), or None
    for a figure without one."""
    return summary.no_difference.figures.get(key)


def band_text(summary: Summary, key: str, fmt: str = "{:.2f}") -> str:
    """"0.47 to 0.53": what the figure reads with no difference ("" without a band)."""
    band = band_of(summary, key)
    if band is None or band.low is None or band.high is None:
        return ""
    low, high = fmt.format(band.low), fmt.format(band.high)
    return low if low == high else f"{low} to {high}"


def reading_text(summary: Summary, key: str) -> str:
    """"expected even with no difference", "higher than with no difference", ... ("" without)."""
    band = band_of(summary, key)
    return (band.reading or "") if band is not None else ""


def score_table(summary: Summary) -> pd.DataFrame:
    """Dataset scores and supporting numbers with their meaning, bad direction, and what each
    reads with no difference between the sides."""
    rows = []
    for key, info in {**DATASET_SCORES, **SUPPORT_SCORES}.items():
        value = getattr(summary, key)
        rows.append({"score": info.label, "value": format_value(info, value),
                     "with no difference": band_text(summary, key, info.fmt),
                     "reading": reading_text(summary, key),
                     "bad when": info.bad, "meaning": info.meaning, "key": key})
    return pd.DataFrame(rows)


#: Format of each no-difference figure in the reference table.
_REFERENCE_FORMAT = {"detection_auc": "{:.3f}", "density": "{:.2f}", "unrealistic": "{:.3f}",
                     "unrepresentative": "{:.3f}", "vendi": "{:.1f}",
                     "compression_ratio": "{:.2f}", "self_bleu": "{:.3f}", "mauve": "{:.2f}"}


def reference_table(summary: Summary) -> pd.DataFrame:
    """Every figure of ``summary.no_difference``: its value, what it reads with no
    difference, the reading, how the reference was made and which direction is good."""
    rows = []
    for key, entry in summary.no_difference.figures.items():
        fmt = _REFERENCE_FORMAT.get(key, "{:.0f}" if key.startswith("n_") else "{:.1%}")
        rows.append({"figure": entry.what or key,
                     "value": "n/a" if entry.value is None else fmt.format(entry.value),
                     "with no difference": band_text(summary, key, fmt),
                     "reading": entry.reading or "",
                     "good when": entry.good, "reference": entry.from_,
                     "key": key})
    return pd.DataFrame(rows, columns=["figure", "value", "with no difference", "reading",
                                       "good when", "reference", "key"])


def auc_sentence(summary: Summary) -> str:
    auc = summary.detection_auc
    lo, hi = summary.detection_auc_ci
    if auc is None or not math.isfinite(auc):
        return "The detector could not be evaluated."
    interval = f" (95% CI {lo:.2f}-{hi:.2f})" if lo is not None and hi is not None else ""
    return (f"Detection AUC {auc:.3f}{interval}: 0.5 means the sides cannot be told apart, 1.0 "
            "means every synthetic row is spotted. Higher is worse.")


def artifact_table(summary: Summary) -> pd.DataFrame:
    rows = []
    for a in summary.artifacts:
        low, high = a.no_difference
        rows.append({"feature": a.description or a.feature,
                     "separates the sides": a.separates,
                     "AUC alone": a.separation,
                     "with no difference": (f"{low:.2f} to {high:.2f}"
                                            if low is not None and high is not None else ""),
                     "direction": a.direction,
                     "real": a.real_mean, "synthetic": a.synthetic_mean,
                     "finding": a.sentence})
    return pd.DataFrame(rows)


def generator_table(summary: Summary) -> pd.DataFrame:
    rows = []
    for name, g in summary.by_generator.items():
        lo, hi = g.detection_auc_ci
        low, high = g.no_difference.get("detection_auc", (None, None))
        rows.append({"generator": name, "synthetic rows": g.n_synthetic,
                     "detection AUC": g.detection_auc,
                     "AUC 95% CI": (f"{lo:.2f}-{hi:.2f}" if lo is not None and hi is not None
                                    else ""),
                     "AUC with no difference": (f"{low:.2f}-{high:.2f}"
                                                if low is not None and high is not None else ""),
                     "unrealistic": g.unrealistic, "unvaried": g.unvaried,
                     "unoriginal": g.unoriginal, "precision": g.precision,
                     "degenerate": g.n_degenerate,
                     "copies of real": g.n_copies_of_real})
        if g.label_issue_share is not None:
            rows[-1]["label issues"] = g.label_issue_share
    return pd.DataFrame(rows)


def count_table(summary: Summary) -> list[tuple[str, int | str, str]]:
    """(label, value, help) for the counts row of the overview; each count that has a
    no-difference band says in its help how many rows it would be with no difference."""
    s = summary
    n_real, n_syn = s.n_real, s.n_synthetic
    n_rows = n_real + n_syn

    def expected(key, n=None):
        band = band_of(s, key)
        if band is None or band.low is None or band.high is None:
            return ""
        if n is None:
            span = band_text(s, key, "{:.0f}")
        else:
            low, high = round(band.low * n), round(band.high * n)
            span = f"{low:,}" if low == high else f"{low:,} to {high:,}"
        return f" With no difference: {span}; {band.reading or ''}."

    return [
        ("Real rows", f"{n_real:,}", "rows on the real side"),
        ("Synthetic rows", f"{n_syn:,}", "rows on the synthetic side"),
        ("Clusters", f"{s.n_clusters:,}", "HDBSCAN clusters (noise not counted)"),
        ("Real-only clusters", f"{s.n_clusters_real_only:,}",
         "modes of the real data the synthetic data misses (bad)."
         + expected("n_clusters_real_only")),
        ("Synthetic-only clusters", f"{s.n_clusters_synthetic_only:,}",
         "modes the generator invented (bad)." + expected("n_clusters_synthetic_only")),
        ("Real rows uncovered", f"{s.n_real_uncovered:,}",
         "real rows the synthetic rows stay away from, beyond chance (bad)."
         + expected("uncovered_real_share", n_real)),
        ("Synthetic rows uncovered", f"{s.n_synthetic_uncovered:,}",
         "synthetic rows away from every real row, beyond chance (bad)."
         + expected("uncovered_synthetic_share", n_syn)),
        ("Degenerate rows", f"{s.n_degenerate:,}",
         "synthetic repetition loops (bad)." + expected("degenerate_share", n_syn)),
        ("Copies of real", f"{s.n_copies_of_real:,}",
         "synthetic rows that near-copy a real row (bad)." + expected("copies_share", n_syn)),
        ("Outliers", f"{s.n_outliers:,}",
         "isolated rows, either side." + expected("outlier_share", n_rows)),
    ]


def selftest_table(report: dict) -> pd.DataFrame:
    """One row per detector of a self-test report (``selftest.json``): what was planted, how
    many, the recall, the AUROC and the false-alarm rate with no difference."""
    rows = []
    for name, d in (report.get("detectors") or {}).items():
        band = d.get("false_alarm_band") or [None, None]
        rows.append({
            "detector": name, "planted": d.get("what", ""), "rows": d.get("n_planted"),
            "recall": d.get("recall"), "AUROC": d.get("auroc"),
            "false alarms with no difference": (None if d.get("false_alarm_rate") is None
                                                else d["false_alarm_rate"]),
            "up to": band[1],
            "note": d.get("not_measured", ""),
        })
    return pd.DataFrame(rows, columns=["detector", "planted", "rows", "recall", "AUROC",
                                       "false alarms with no difference", "up to", "note"])
