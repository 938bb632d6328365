"""What to do next: the real rows to generate more of, as few-shot examples ready to paste into a
generator's prompt, and the filtered synthetic set the lift control measured to help.

Two kinds of real rows the synthetic data does not reach (each group with its keywords):

- every **uncovered region** of real rows (``summary["uncovered_regions"]`` with side "real":
  groups of similar real rows, found without the labels, that hold far fewer synthetic rows than
  the overall share predicts);
- every **thin band** (``summary["centre_vs_corners"]["bands"]`` whose share of synthetic rows is
  lower than with no difference): the real rows of that density band.

Within a group, the rows the synthetic side comes least near come first (lowest
``nearest_synthetic_similarity``). No Streamlit here; the Corners page and
``synth-quality next-steps`` call these functions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LOWER = "lower than with no difference"


def few_shot_groups(examples: pd.DataFrame, summary: dict) -> list[dict]:
    """The groups of real rows to generate more of: ``kind`` ("region" or "band"), ``id``,
    ``title``, ``why`` (a sentence), ``keywords`` and ``rows`` (the real rows' positions in
    ``examples``, least reached first)."""
    real = examples["side"] == "real"
    reach = (examples["nearest_synthetic_similarity"] if "nearest_synthetic_similarity"
             in examples else pd.Series(0.0, index=examples.index))
    groups = []
    for region in summary.get("uncovered_regions") or []:
        if region.get("side") != "real" or "uncovered_region" not in examples:
            continue
        members = examples.index[real & (examples["uncovered_region"] == region["region"])]
        if not len(members):
            continue
        groups.append({
            "kind": "region", "id": int(region["region"]),
            "title": f"uncovered region {region['region']} ({len(members)} real rows)",
            "why": (f"{region['size']} similar real rows hold {region['n_other']} synthetic rows "
                    f"where the overall share predicts {region['expected_other']:.0f}"),
            "keywords": list(region.get("keywords") or []),
            "rows": _least_reached(members, reach)})
    block = summary.get("centre_vs_corners") or {}
    if "density_band" in examples:
        for band in block.get("bands") or []:
            if band.get("reading") != LOWER:
                continue
            members = examples.index[real & (examples["density_band"] == band["band"])]
            if not len(members):
                continue
            groups.append({
                "kind": "band", "id": int(band["band"]),
                "title": (f"density band {band['band']} of {block['n_bands']} "
                          f"({_where(band['band'], block['n_bands'])}, {len(members)} real rows)"),
                "why": (f"{band['synthetic_share']:.0%} of the synthetic rows sit next to these "
                        f"real rows; with no difference {band['low']:.0%}-{band['high']:.0%}"),
                "keywords": list(band.get("keywords") or []),
                "rows": _least_reached(members, reach)})
    return groups


def _where(band: int, n_bands: int) -> str:
    if band <= n_bands * 0.3:
        return "dense middle"
    if band > n_bands * 0.7:
        return "rare corner"
    return "between middle and corners"


def _least_reached(members, reach: pd.Series) -> list[int]:
    values = pd.to_numeric(reach.loc[members], errors="coerce").fillna(-np.inf)
    order = np.lexsort((np.asarray(members), values.to_numpy()))
    return [int(members[i]) for i in order]


def few_shot_table(examples: pd.DataFrame, groups: list[dict]) -> pd.DataFrame:
    """One row per real row of every group: ``group``, ``why``, ``keywords`` (joined),
    ``row`` (its row in the real input), ``text`` and ``label`` (when the audit had one)."""
    parts = []
    for g in groups:
        rows = examples.loc[g["rows"]]
        part = pd.DataFrame({"group": g["title"], "why": g["why"],
                             "keywords": ", ".join(g["keywords"]),
                             "row": rows["row"].to_numpy(np.int64),
                             "text": rows["text"].astype(str).to_numpy(object)})
        if "label" in rows:
            part["label"] = rows["label"].to_numpy(object)
        parts.append(part)
    columns = ["group", "why", "keywords", "row", "text"] + (["label"] if "label" in examples
                                                              else [])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def few_shot_prompt(examples: pd.DataFrame, group: dict, n: int = 10) -> str:
    """One group as text to paste into a generator's prompt: what is missing, its keywords, and
    ``n`` of its real rows (with their labels when the audit had them)."""
    rows = examples.loc[group["rows"][:n]]
    lines = [f"Write new texts like the real examples below ({group['title']}: {group['why']}).",
             f"Keywords: {', '.join(group['keywords']) or '(none)'}.", "", "Examples:"]
    has_label = "label" in rows
    for i, (_, row) in enumerate(rows.iterrows(), start=1):
        label = row["label"] if has_label else None
        tag = f"[{label}] " if label is not None and label == label else ""
        lines.append(f"{i}. {tag}{row['text']}")
    return "\n".join(lines)


def few_shot_markdown(examples: pd.DataFrame, groups: list[dict], n: int = 10) -> str:
    """Every group's prompt, one section each (``few_shot.md``)."""
    if not groups:
        return ("# Few-shot examples\n\nNo uncovered region of real rows and no thin density "
                "band: nothing the synthetic data clearly misses.\n")
    parts = ["# Few-shot examples: real rows the synthetic data does not reach", ""]
    for g in groups:
        parts += [f"## {g['title']}", "", "```text", few_shot_prompt(examples, g, n), "```", ""]
    return "\n".join(parts)


def filtered_synthetic(examples: pd.DataFrame, lift_summary: dict | None,
                       inputs: dict | None = None) -> pd.DataFrame | None:
    """The synthetic rows the lift control's recommended filter keeps, with the input's column
    names (``row``, the text column, label and generator when given); None when no filter was
    measured to help."""
    chosen = (lift_summary or {}).get("recommended_filter")
    if not chosen:
        return None
    inputs = inputs or {}
    dropped = set(int(r) for r in chosen.get("dropped_rows") or [])
    syn = examples[(examples["side"] == "synthetic") & ~examples["row"].isin(dropped)]
    out = pd.DataFrame({"row": syn["row"].to_numpy(np.int64)})
    out[inputs.get("text_column") or "text"] = syn["text"].to_numpy(object)
    if "label" in syn and inputs.get("label_column"):
        out[inputs["label_column"]] = syn["label"].to_numpy(object)
    if "generator" in syn and inputs.get("generator_column"):
        out[inputs["generator_column"]] = syn["generator"].to_numpy(object)
    return out


def filter_sentence(lift_summary: dict | None) -> str:
    """What the recommended filter is, in words (or why there is none)."""
    if not lift_summary:
        return "No lift result: run the lift control (Lift page, or synth-quality lift)."
    chosen = lift_summary.get("recommended_filter")
    if not chosen:
        return ("No filter was measured to help: dropping the rows each audit signal ranks worst "
                "never beat real only significantly, so no filtered set is offered.")
    lo, hi = chosen["lift_ci"]
    return (f"Dropping the {chosen['percent']:g}% of synthetic rows ranked worst by "
            f"{chosen['signal']} ({chosen['n_dropped']:,} rows) gave a lift of "
            f"{chosen['lift']:+.3f} (95% interval {lo:+.3f} to {hi:+.3f}) over real only"
            + (", better than dropping as many at random." if chosen.get("beats_random")
               else ", though not significantly better than dropping as many at random."))
