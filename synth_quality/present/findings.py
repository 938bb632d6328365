"""The findings worth reading first: the overview's short list, each pointing at its rows."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from synth_quality.present.filters import sort_examples
from synth_quality.schema import Summary


@dataclass
class Finding:
    """One finding of the overview, a click away from its rows."""

    key: str
    title: str
    sentence: str
    count: int
    view: str | None = None          # a key of VIEWS to open on the Examples page
    cluster: int | None = None       # a cluster to open on the Clusters page
    rows: list[int] = field(default_factory=list)   # a few example row positions
    members: list[int] | None = None  # every row position, when no view or cluster holds them


_FINDING_COLUMNS = ("side", "row", "category", "cluster", "label_issue_score", "uncovered_region",
                    "coverage_score", "is_degenerate", "repetition_score", "is_copy_of_real",
                    "nearest_real_similarity", "near_duplicate_group", "label_quality",
                    "is_label_issue")


def findings(examples: pd.DataFrame, clusters: pd.DataFrame, summary: Summary,
             n: int = 3) -> list[Finding]:
    """The findings worth reading first, worst first."""
    # The columns used here only: filtering a frame copies every column, and copying the text
    # column (Arrow strings, from the parquet file) was most of this function's time.
    examples = examples[[c for c in _FINDING_COLUMNS if c in examples]]
    out: list[Finding] = []
    syn = examples[examples["side"] == "synthetic"]
    unreal = sort_examples(syn[syn["category"] == "unrealistic synthetic"], "label_issue_score")
    if len(unreal):
        out.append(Finding("unrealistic", "The least realistic synthetic rows",
                           f"{len(unreal):,} of {len(syn):,} synthetic rows are confidently "
                           "recognised as synthetic or lie away from all real rows.",
                           len(unreal), view="unrealistic", rows=unreal.index[:n].tolist()))
    for c in clusters[clusters["status"] == "real_only"].itertuples():
        members = examples[(examples["cluster"] == c.cluster) & (examples["side"] == "real")]
        words = ", ".join(list(c.keywords)[:5])
        out.append(Finding(f"real_only_{c.cluster}", f"Real mode the synthetic data misses: "
                           f"cluster {c.cluster}",
                           f"{c.size} rows, {c.n_synthetic} synthetic; keywords: {words}.",
                           int(c.size), cluster=int(c.cluster),
                           rows=([int(i) for i in list(c.typical_rows)[:n]]
                                 or members.index[:n].tolist())))
    for region in summary.uncovered_regions:
        if region.side != "real" or region.size < 5 or len(out) > 6:
            continue
        members = (examples[examples["uncovered_region"] == region.region]
                   if "uncovered_region" in examples else examples[:0])
        members = sort_examples(members, "coverage_score")
        out.append(Finding(f"uncovered_{region.region}", "A region of real rows the "
                           f"synthetic data never reaches: {region.size} rows",
                           f"{region.n_other} synthetic rows where the overall share predicts "
                           f"{region.expected_other:.0f}; keywords: "
                           f"{', '.join(region.keywords[:5])}; {region.n_noise} of them "
                           "are HDBSCAN noise, so no cluster shows them all.",
                           region.size, rows=members.index[:n].tolist(),
                           members=members.index.tolist()))
    real = examples[examples["side"] == "real"]
    under = sort_examples(real[real["category"] == "underrepresented real"], "label_issue_score")
    if len(under):
        out.append(Finding("underrepresented", "Real rows the synthetic data does not imitate",
                           f"{len(under):,} of {len(real):,} real rows are underrepresented.",
                           len(under), view="underrepresented", rows=under.index[:n].tolist()))
    syn_only = clusters[clusters["status"] == "synthetic_only"]
    if len(syn_only):
        top = syn_only.iloc[0]
        out.append(Finding("synthetic_only", "Modes only the synthetic data has",
                           f"{len(syn_only)} cluster(s), {int(syn_only['size'].sum()):,} rows; the "
                           f"most significant is cluster {int(top['cluster'])} "
                           f"({', '.join(list(top['keywords'])[:5])}).",
                           int(syn_only["size"].sum()), cluster=int(top["cluster"]),
                           rows=[int(i) for i in list(top["typical_rows"])[:n]]))
    degenerate = sort_examples(syn[syn["is_degenerate"]], "repetition_score", False)
    if len(degenerate):
        out.append(Finding("degenerate", "Degenerate synthetic rows",
                           f"{len(degenerate):,} synthetic rows loop or stutter.",
                           len(degenerate), view="degenerate", rows=degenerate.index[:n].tolist()))
    if "is_label_issue" in syn:
        wrong = sort_examples(syn[syn["is_label_issue"].fillna(False).astype(bool)],
                              "label_quality")
        real_share = summary.labels.real.label_issue_share if summary.labels else None
        judged = int(syn["label_quality"].notna().sum())
        band = summary.labels.synthetic_no_difference if summary.labels else None
        if len(wrong) and judged:
            reference = (f" (the same check disputes {real_share:.0%} of the real rows' labels)"
                         if real_share is not None else "")
            if band is not None and band.reading:
                reference += (f"; with no difference {band.low:.0%}-{band.high:.0%} (real rows "
                              f"judged the same way): {band.reading}")
            out.append(Finding("label_issues", "Synthetic rows whose label looks wrong",
                               f"{len(wrong):,} of {judged:,} labelled synthetic rows "
                               f"({len(wrong) / judged:.0%}) do not look like their label"
                               f"{reference}.", len(wrong), view="label_issues",
                               rows=wrong.index[:n].tolist()))
    copies = sort_examples(syn[syn["is_copy_of_real"]], "nearest_real_similarity", False)
    if len(copies):
        out.append(Finding("copies", "Synthetic rows that copy real rows",
                           f"{len(copies):,} synthetic rows are near-copies of a real row "
                           "(memorised or leaked).", len(copies), view="copies",
                           rows=copies.index[:n].tolist()))
    dup = examples[examples["near_duplicate_group"].notna()]
    if len(dup):
        sizes = dup.groupby("near_duplicate_group").size().sort_values(ascending=False)
        biggest = dup[dup["near_duplicate_group"] == sizes.index[0]]
        out.append(Finding("near_duplicates", "Near-duplicate groups",
                           f"{len(sizes):,} groups hold {len(dup):,} rows; the largest has "
                           f"{int(sizes.iloc[0])} near-identical rows.", len(dup),
                           view="near_duplicates", rows=biggest.index[:n].tolist()))
    return out
