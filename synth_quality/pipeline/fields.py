"""Several text fields (and chat roles): each field audited on its own, beside the record.

:func:`synth_quality.pipeline.audit.audit` audits the whole record (every field in one text:
the map, the clusters and the record's scores) and then, for each field, runs the same audit on
that field's texts alone (:func:`field_inputs`): its own embedding, neighbours, map, clusters,
detector, coverage, duplicates and degeneration. This module builds those inputs, copies each
field's main scores into the record's examples table as ``<field>.<column>``
(:func:`merge_fields`), and writes ``summary["fields"]`` with one sentence per field saying
what it carries (:func:`fields_summary`): "the responses pass as real; the instructions are
near-duplicates of 12 templates".

Paired data (both sides answer the same prompts): the prompt fields are the same texts on
both sides by construction, so they are not audited alone; the answer fields are, paired
(``analysis.pairs``), and the first answer field's paired columns and ``summary["pairs"]`` are
the record's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.io import AuditInput
from synth_quality.records import field_column, safe_name

#: Columns of each field's audit copied into the record's examples as ``<field>.<column>``.
FIELD_COLUMNS = ("p_synthetic", "label_issue_score", "coverage_score", "outlier_score",
                 "repetition_score", "is_degenerate", "is_copy_of_real", "near_duplicate_group",
                 "cluster", "category")
#: Paired columns of the first answer field copied into the record's examples as they are.
PAIRED_COLUMNS = ("prompt_id", "paired_real_row", "paired_similarity", "paired_length_ratio",
                  "paired_rank", "is_drift")


def fields_to_audit(inputs: AuditInput) -> list:
    """The fields audited alone: every field, less the prompt fields of paired data."""
    return [f for f in inputs.fields if f not in inputs.prompt_fields]


def field_inputs(inputs: AuditInput, name: str) -> AuditInput:
    """The rows of one field as an audit's input: its text, the record's label, generator,
    batch and (answer fields of paired data) prompt; rows whose field is blank left out."""
    frame = inputs.frame
    texts = frame[field_column(name)]
    keep = texts.notna() & texts.astype(str).str.strip().ne("")
    columns = ["side", "row"] + [c for c in ("batch", "label", "generator") if c in frame]
    part = frame.loc[keep, columns].copy()
    part.insert(2, "text", texts[keep].astype(str).to_numpy())
    if "pair" in frame and name in inputs.answer_fields:
        part["pair"] = frame.loc[keep, "pair"].to_numpy(object)
    part = part.reset_index(drop=True)
    blank = {side: frame.loc[~keep & (frame["side"] == side), "row"].tolist()
             for side in ("real", "synthetic")}
    is_real = part["side"] == "real"
    duplicates = {"real": int(is_real.sum() - part.loc[is_real, "text"].nunique()),
                  "synthetic": int((~is_real).sum() - part.loc[~is_real, "text"].nunique()),
                  "across": len(set(part.loc[is_real, "text"]) & set(part.loc[~is_real, "text"]))}
    paired = "pair" in part
    return AuditInput(frame=part, text_column=str(name), label_column=inputs.label_column,
                      generator_column=inputs.generator_column, real_value=inputs.real_value,
                      sources=inputs.sources, blank_rows=blank, duplicate_texts=duplicates,
                      pair_column=inputs.pair_column if paired else None,
                      prompt_fields=list(inputs.prompt_fields) if paired else [],
                      answer_fields=[name] if paired else [])


def too_few_rows(sub: AuditInput, n_folds: int) -> str | None:
    """Why a field cannot be audited alone (a side with fewer rows than folds, or fewer
    distinct texts than folds on both sides together: a system prompt that every chat shares
    has nothing to map, cluster or classify, and its identical vectors split into clusters by
    row order alone), or None. The record's own audit still reads such a field."""
    counts = sub.frame["side"].value_counts()
    for side in ("real", "synthetic"):
        if int(counts.get(side, 0)) < n_folds:
            return (f"the {side} side has {int(counts.get(side, 0))} non-blank "
                    f"{sub.text_column!r} texts; {n_folds} are needed")
    distinct = int(sub.frame["text"].nunique())
    if distinct < n_folds:
        return (f"{sub.text_column!r} has {distinct} distinct text(s) on both sides together; "
                f"{n_folds} are needed (the record's audit still reads it)")
    return None


def merge_fields(examples: pd.DataFrame, results: dict, inputs: AuditInput) -> pd.DataFrame:
    """The record's examples with each field audit's main columns beside them (matched on
    side, row and batch; null where the field was blank)."""
    keys = [c for c in ("side", "row", "batch") if c in examples]
    out = examples.copy()
    answer = next((f for f in inputs.answer_fields if f in results), None)
    for name, result in results.items():
        sub = result.examples
        wanted = [c for c in FIELD_COLUMNS if c in sub]
        if name == answer:
            wanted += [c for c in PAIRED_COLUMNS if c in sub]
        part = sub[keys + wanted].rename(
            columns={c: (c if c in PAIRED_COLUMNS and name == answer else f"{name}.{c}")
                     for c in wanted})
        merged = out[keys].merge(part, on=keys, how="left", validate="one_to_one")
        for column in part.columns:
            if column not in keys:
                out[column] = merged[column].to_numpy()
        for column in ("is_degenerate", "is_copy_of_real", "is_drift"):
            target = column if column in PAIRED_COLUMNS and name == answer else f"{name}.{column}"
            if target in out:
                out[target] = out[target].astype("boolean")
    return out


def field_block(result) -> dict:
    """The numbers of one field's audit that ``summary["fields"]`` lists."""
    s = result.summary
    ex = result.examples
    syn = ex[ex["side"] == "synthetic"]
    groups = syn["near_duplicate_group"].dropna()
    return {
        "n_real": s["n_real"], "n_synthetic": s["n_synthetic"],
        "detection_auc": s["detection_auc"], "detection_auc_ci": s["detection_auc_ci"],
        "unrealistic": s["unrealistic"], "unrepresentative": s["unrepresentative"],
        "unvaried": s["unvaried"], "unoriginal": s["unoriginal"],
        "precision": s.get("precision"), "coverage": s.get("coverage"),
        "n_degenerate": s["n_degenerate"], "n_copies_of_real": s["n_copies_of_real"],
        "n_synthetic_duplicate_groups": int(groups.nunique()),
        "synthetic_in_duplicate_groups": float(len(groups) / max(len(syn), 1)),
        "n_clusters": s["n_clusters"], "n_clusters_real_only": s["n_clusters_real_only"],
        "n_clusters_synthetic_only": s["n_clusters_synthetic_only"],
    }


def fields_summary(inputs: AuditInput, results: dict, skipped: dict) -> dict:
    """``summary["fields"]``: the fields, what each field's own audit found, and one sentence
    per finding naming the field that carries it."""
    audited = {}
    for name, result in results.items():
        audited[name] = {**field_block(result), "folder": f"fields/{safe_name(name)}"}
    return {"kind": inputs.kind, "names": list(inputs.fields),
            "prompt_fields": list(inputs.prompt_fields),
            "answer_fields": list(inputs.answer_fields),
            "audited": audited, "not_audited": dict(skipped),
            "findings": field_findings(audited, inputs.kind, {
                name: {figure: entry.get("reading") for figure, entry in
                       ((result.summary.get("no_difference") or {}).get("figures") or {}).items()}
                for name, result in results.items()})}


def _plural_field(name: str, kind: str) -> str:
    if kind == "chat":
        return {"system": "system prompts", "user": "user turns", "assistant": "assistant turns",
                "tool": "tool turns"}.get(name, f"{name} turns")
    return f"the {name} texts"


def field_findings(audited: dict, kind: str, readings: dict | None = None) -> list[str]:
    """One sentence per field, from its own audit's numbers, worst first. ``readings``: per
    field, each figure's reading against its no-difference band; a count that two samples of
    one distribution give as well (a system prompt every chat repeats, on both sides) is left
    out of the sentence."""
    out = []
    ranked = sorted(audited.items(), key=lambda kv: -(kv[1]["detection_auc"] or 0))
    for name, b in ranked:
        what = _plural_field(name, kind)
        beyond = _beyond_chance((readings or {}).get(name) or {})
        auc, (lo, hi) = b["detection_auc"], b["detection_auc_ci"]
        bits = []
        if auc is not None and np.isfinite(auc):
            if auc >= 0.9:
                bits.append(f"are easy to tell from the real ones (detection AUC {auc:.2f}, "
                            f"95% CI {lo:.2f}-{hi:.2f})")
            elif auc >= 0.7:
                bits.append(f"are often told from the real ones (detection AUC {auc:.2f})")
            else:
                bits.append(f"pass as real (detection AUC {auc:.2f}; 0.5 = indistinguishable)")
        share = b["synthetic_in_duplicate_groups"]
        if share >= 0.2 and b["n_synthetic_duplicate_groups"] and beyond("unvaried"):
            bits.append(f"{share:.0%} of the synthetic ones are near-duplicates, in "
                        f"{b['n_synthetic_duplicate_groups']:,} groups (templates)")
        if b["n_degenerate"] and beyond("degenerate_share"):
            bits.append(f"{b['n_degenerate']:,} synthetic ones loop or stutter")
        if b["n_copies_of_real"] and beyond("copies_share"):
            bits.append(f"{b['n_copies_of_real']:,} synthetic ones copy a real one")
        if b["n_clusters_real_only"] and beyond("n_clusters_real_only"):
            bits.append(f"{b['n_clusters_real_only']} mode(s) of the real ones are missed")
        if bits:
            out.append(f"{what[0].upper()}{what[1:]} " + "; ".join(bits) + ".")
    return out


def _beyond_chance(readings: dict):
    """figure -> whether it lies above its band (True where no band was built)."""
    def beyond(figure: str) -> bool:
        reading = readings.get(figure)
        return reading is None or reading.startswith("higher")
    return beyond
