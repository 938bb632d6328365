"""The words and colours of the audit's results: what each score means and which direction is
bad, column help, colours of sides, categories and clusters, and the map's colourings."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

SIDE_COLORS = {"real": "#1971c2", "synthetic": "#e8590c"}

#: Density bands, densest (typical) to rarest: plotly's Viridis, dark to light.
BAND_PALETTE = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
                "#6ece58", "#b5de2b", "#fde725"]


CATEGORY_COLORS = {
    "unrealistic synthetic": "#e03131",
    "realistic synthetic": "#fab005",
    "underrepresented real": "#7048e8",
    "well-covered real": "#74c0fc",
    "outlier": "#343a40",
}


NOISE_COLOR = "#ced4da"


HIGHLIGHT_COLOR = "#000000"


CLUSTER_PALETTE = ["#4263eb", "#f76707", "#37b24d", "#ae3ec9", "#f59f00", "#1098ad", "#d6336c",
                   "#74b816", "#7950f2", "#0ca678", "#e8590c", "#3bc9db", "#be4bdb", "#fcc419",
                   "#5c940d", "#a61e4d", "#1864ab", "#c92a2a", "#087f5b", "#862e9c"]


CATEGORY_INFO = {
    "unrealistic synthetic": "synthetic rows that loop or stutter, that the classifier "
                             "recognises as synthetic, or that the real rows stay away from, "
                             "each beyond what happens with no difference (bad: fix or drop "
                             "them)",
    "realistic synthetic": "synthetic rows that pass as real (good)",
    "underrepresented real": "real rows the classifier recognises as real, or that the "
                             "synthetic rows stay away from, beyond what happens with no "
                             "difference: real content the generator misses (bad)",
    "well-covered real": "real rows the synthetic data imitates (good)",
    "outlier": "rows far from all other rows (check them: typos, other languages, junk)",
}


@dataclass(frozen=True)
class ScoreInfo:
    """How to read one number: its label, one sentence, and which direction is bad."""

    label: str
    meaning: str
    bad: str          # "high", "low" or a short phrase
    fmt: str = "{:.2f}"


DATASET_SCORES = {
    "unrealistic": ScoreInfo(
        "Unrealistic",
        "How confidently a classifier recognises the synthetic rows as synthetic "
        "(1 - mean label issue score of synthetic rows). 0.5 means they pass as real.",
        "high"),
    "unrepresentative": ScoreInfo(
        "Unrepresentative",
        "How confidently the real rows are recognised as real: real content the synthetic rows "
        "do not imitate. 0.5 means the real data is well represented.",
        "high"),
    "unvaried": ScoreInfo(
        "Unvaried",
        "Share of synthetic rows that are near-copies of other synthetic rows (repetitive "
        "generation). 0 is best.",
        "high", "{:.0%}"),
    "unoriginal": ScoreInfo(
        "Unoriginal",
        "Share of synthetic rows that are near-copies of a real row (memorised or leaked). "
        "0 is best.",
        "high", "{:.0%}"),
}


SUPPORT_SCORES = {
    "detection_auc": ScoreInfo(
        "Detection AUC",
        "How well a simple classifier on the embeddings tells synthetic rows from real ones, "
        "out of fold. 0.5 = indistinguishable (ideal), 1.0 = trivially separable.",
        "high", "{:.3f}"),
    "precision": ScoreInfo(
        "Precision", "Share of synthetic rows inside the real data's neighbourhoods "
        "(k-NN manifold): how realistic they are.", "low", "{:.0%}"),
    "recall": ScoreInfo(
        "Recall", "Share of real rows inside the synthetic data's neighbourhoods: how much of "
        "the real variety the synthetic side reaches.", "low", "{:.0%}"),
    "density": ScoreInfo(
        "Density", "How crowded synthetic rows are around real rows; about 1 when they sit "
        "where real rows are dense, below 1 = spread away from real data, above 1 = piled on "
        "a few real modes.", "far from 1"),
    "coverage": ScoreInfo(
        "Coverage", "Share of real rows with a synthetic row within their own k-NN radius.",
        "low", "{:.0%}"),
}


ROW_SCORES = {
    "label_issue_score": ScoreInfo(
        "Label issue score",
        "How much the classifier doubts the row's own side. Low = it is sure (an unrealistic "
        "synthetic row, or a real row the synthetic data does not imitate); 0.5 = cannot tell.",
        "low"),
    "p_synthetic": ScoreInfo(
        "P(synthetic)", "Out-of-fold probability that the row is synthetic (0.5 = cannot tell).",
        "near 1 on synthetic rows, near 0 on real rows"),
    "outlier_score": ScoreInfo(
        "Outlier score", "Share of rows less isolated than this one (mean distance to its "
        "nearest rows, as a quantile).", "high"),
    "coverage_score": ScoreInfo(
        "Coverage score", "How near the other side comes to this row, as a p-value against "
        "shuffled labels (no difference): about 0.5 is typical, below 0.01 the other side stays "
        "away more than chance explains; 1 = closer than any shuffled row.",
        "low"),
    "repetition_score": ScoreInfo(
        "Repetition score", "Share of tokens that repeat the previous token or an earlier "
        "span of 8 tokens (loops and stutters; lists, tables and links are not loops).", "high"),
    "nearest_real_similarity": ScoreInfo(
        "Nearest real similarity", "Cosine similarity of a synthetic row to its nearest real "
        "row; 0.95 and above counts as a copy.", "high (a copy of real data)"),
    "label_quality": ScoreInfo(
        "Label quality", "Probability an out-of-sample classifier gives the row's own task "
        "label (synthetic rows: the more doubtful of a model of the real rows and one of the "
        "other synthetic rows). Low = the text does not look like its label.", "low"),
    "rarity_score": ScoreInfo(
        "Rarity score", "Radius (cosine distance) of the smallest real k-NN ball that holds the "
        "row (Han et al. 2022; a real row is tested left out): low in the dense middle of the "
        "real data, high in its rare corners; empty outside every real ball.",
        "neither (high = rare, low = typical)"),
}


def direction_text(info: ScoreInfo) -> str:
    """'high = bad' style suffix."""
    return f"{info.bad} = bad" if info.bad in ("high", "low") else f"bad: {info.bad}"


def format_value(info: ScoreInfo, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return info.fmt.format(value)


ROW_SCORES_LABEL_HELP = ROW_SCORES["label_quality"].meaning + " Low = bad."

COLUMN_HELP = {
    "side": "real or synthetic",
    "row": "data row in its input file (0 = first row after the header)",
    "text": "the text, shown as plain text",
    "generator": "the generator of a synthetic row (from the generator column)",
    "label": "the task label (from the label column)",
    "cluster": "HDBSCAN cluster (-1 = noise, rows in no dense region)",
    "category": "the case study's category; see the legend above the table",
    "label_issue_score": ROW_SCORES["label_issue_score"].meaning + " Low = bad.",
    "p_synthetic": ROW_SCORES["p_synthetic"].meaning,
    "outlier_score": ROW_SCORES["outlier_score"].meaning + " High = bad.",
    "is_outlier": "isolated by Tukey's rule on the distance to the nearest rows",
    "is_uncovered": "the other side stays away from this row more than chance explains "
                    "(coverage_score survives Benjamini-Hochberg at 5% FDR within its side)",
    "is_detectable": "the classifier recognises this row's side more confidently than it does "
                     "any but a few rows of shuffled labels (5% FDR within its side)",
    "detectable_p": "p-value of the label issue score against the classifier retrained on "
                    "shuffled labels (low = the classifier is surer than with no difference)",
    "in_other_manifold": "Naeem et al.'s k-NN manifold membership (uncalibrated: with no "
                         "difference about a tenth of rows are outside)",
    "near_duplicate_group": "rows with the same number are near-copies of each other "
                            "(empty = none)",
    "near_duplicate_group_size": "rows in the near-duplicate group (1 = none)",
    "nearest_real_row": "for a synthetic row: the row number of its nearest real row",
    "nearest_real_similarity": ROW_SCORES["nearest_real_similarity"].meaning,
    "nearest_synthetic_row": "for a real row: the row number of its nearest synthetic row",
    "coverage_score": ROW_SCORES["coverage_score"].meaning,
    "repetition_score": ROW_SCORES["repetition_score"].meaning + " High = bad.",
    "is_degenerate": ("repetition score at or above the threshold, or the text repeats itself "
                      "back to back: a degenerate generation"),
    "is_copy_of_real": "a synthetic row that near-copies a real row",
    "reason": "why the row got its category",
    "label_quality": ROW_SCORES_LABEL_HELP,
    "is_label_issue": "cleanlab's confident-learning filter says the task label is likely wrong",
    "predicted_label": "the label the deciding evidence favours",
    "label_evidence": "which evidence judged the label (real rows, or the other synthetic rows)",
    "prompt_id": "paired data: the prompt the row answers (both sides answer it)",
    "paired_real_row": "paired data: the row of the human answer to the same prompt",
    "paired_similarity": "paired data: cosine similarity to the human answer to the same prompt "
                         "(agreement, not a copy)",
    "paired_length_ratio": "paired data: words of this answer / words of the human answer "
                           "(1 = as long)",
    "paired_rank": "paired data: share of the other prompts' human answers less similar than "
                   "its own prompt's (1 = stays on its prompt; 0.5 = like a random prompt's)",
    "is_drift": "paired data: the answer drifts away from its prompt (paired rank below 0.9)",
    "n_turns": "chats: turns other than system prompts",
    "mean_turn_words": "chats: mean words per turn",
    "flagged": "flagged by you: left out of the cleaned synthetic export",
    "density_band": "the real rows' density band, 1 = the densest tenth (typical) to 10 = the "
                    "rarest; a synthetic row gets its nearest real row's band",
    "rarity_score": ROW_SCORES["rarity_score"].meaning,
}


COLOR_OPTIONS = {
    "side": "Side (real / synthetic)",
    "cluster": "Cluster",
    "category": "Category",
    "generator": "Generator",
    "label": "Label",
    "label_issue_score": "Label issue score (low = bad)",
    "outlier_score": "Outlier score (high = bad)",
    "coverage_score": "Coverage score",
    "p_synthetic": "P(synthetic)",
    "repetition_score": "Repetition score (high = bad)",
    "label_quality": "Label quality (low = bad)",
    "density_band": "Density band (1 = densest real rows)",
    "rarity_score": "Rarity score (high = rare region)",
}


def color_options(examples: pd.DataFrame) -> dict[str, str]:
    """The colour choices that make sense for this audit (generator/label only when given)."""
    out = {}
    for key, label in COLOR_OPTIONS.items():
        if key in ("generator", "label", "label_quality", "density_band", "rarity_score"):
            if key not in examples or examples[key].dropna().nunique() == 0:
                continue
        out[key] = label
    return out


def legend_text(color_by: str) -> str:
    """One sentence saying what the colours of the map mean and which direction is bad."""
    if color_by == "side":
        return ("Blue = real rows, orange = synthetic rows. Regions of only one colour are modes "
                "the other side misses.")
    if color_by == "cluster":
        return ("One colour per HDBSCAN cluster; grey = noise (rows in no dense region). "
                "See the Clusters page for which clusters only one side covers.")
    if color_by == "category":
        return "Categories: " + "; ".join(f"{k}: {v}" for k, v in CATEGORY_INFO.items()) + "."
    if color_by == "generator":
        return "One colour per generator of the synthetic rows; real rows in blue."
    if color_by == "label":
        return "One colour per task label."
    if color_by == "density_band":
        return ("The real rows' density bands: dark = the densest tenth of the real rows "
                "(band 1, typical), light = the rarest (band 10); a synthetic row takes its "
                "nearest real row's band. Synthetic data that fills the middle is dark.")
    info = ROW_SCORES.get(color_by)
    if info is not None:
        return f"{info.label}: {info.meaning} ({direction_text(info)})."
    return ""


def cluster_label(row) -> str:
    """'C6 · 55 rows · documentary, filmed, wildlife' for a cluster table row."""
    get = row.get if isinstance(row, dict) else lambda k, d=None: getattr(row, k, d)
    c = int(get("cluster"))
    if c < 0:
        return f"noise · {int(get('size'))} rows"
    words = ", ".join(list(get("keywords") or [])[:3])
    return f"C{c} · {int(get('size'))} rows · {words}"


STATUS_TEXT = {"real_only": "only real rows: a mode the synthetic data misses",
               "synthetic_only": "only synthetic rows: invented by the generator",
               "shared": "both sides", "noise": "noise (no dense region)"}
