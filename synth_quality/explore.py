"""UI-agnostic helpers behind the dashboard (and the HTML report).

Everything a page needs that is more than a widget: the words that explain each score, the
example filters and one-click views, mapping a chart selection back to rows, the plotly figures,
cluster details, the findings of the overview, exports, and the on-disk cache of audits. No
streamlit import here: the functions take and return plain values, DataFrames and figures, so
they are unit-tested without a server (``tests/test_explore.py``). The Lift page's helpers
are in :mod:`synth_quality.lift_view`.

Row identity: a row of ``AuditResult.examples`` is identified by its position in that table
(``examples.index`` is a RangeIndex). Figures carry that position as ``customdata[0]`` of each
point, so a click, box or lasso maps back to rows whatever traces the figure is split into.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import math
import os
import shutil
import tempfile
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- words and colours

SIDE_COLORS = {"real": "#1971c2", "synthetic": "#e8590c"}
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
    "unrealistic synthetic": "synthetic rows the classifier confidently calls synthetic, or that "
                             "lie outside the real data's neighbourhoods (bad: fix or drop them)",
    "realistic synthetic": "synthetic rows that pass as real (good)",
    "underrepresented real": "real rows the classifier confidently calls real, or with no "
                             "synthetic row nearby: real content the generator misses (bad)",
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
        "Coverage score", "How well the other side reaches this row: 1 = an exact copy on the "
        "other side, 0.5 = at the edge of its neighbourhood, towards 0 = nothing near.",
        "low on real rows (not imitated); high on synthetic rows can mean a copy"),
    "repetition_score": ScoreInfo(
        "Repetition score", "Share of tokens that repeat the previous token or an earlier "
        "4-gram (loops and stutters).", "high"),
    "nearest_real_similarity": ScoreInfo(
        "Nearest real similarity", "Cosine similarity of a synthetic row to its nearest real "
        "row; 0.95 and above counts as a copy.", "high (a copy of real data)"),
}


def direction_text(info: ScoreInfo) -> str:
    """'high = bad' style suffix."""
    return f"{info.bad} = bad" if info.bad in ("high", "low") else f"bad: {info.bad}"


def format_value(info: ScoreInfo, value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return info.fmt.format(value)


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
    "near_duplicate_group": "rows with the same number are near-copies of each other "
                            "(empty = none)",
    "near_duplicate_group_size": "rows in the near-duplicate group (1 = none)",
    "nearest_real_row": "for a synthetic row: the row number of its nearest real row",
    "nearest_real_similarity": ROW_SCORES["nearest_real_similarity"].meaning,
    "nearest_synthetic_row": "for a real row: the row number of its nearest synthetic row",
    "coverage_score": ROW_SCORES["coverage_score"].meaning,
    "repetition_score": ROW_SCORES["repetition_score"].meaning + " High = bad.",
    "is_degenerate": "repetition score at or above the threshold: a degenerate generation",
    "is_copy_of_real": "a synthetic row that near-copies a real row",
    "reason": "why the row got its category",
    "flagged": "flagged by you: left out of the cleaned synthetic export",
}

#: Columns of the examples table, in display order (missing ones are skipped).
TABLE_COLUMNS = ["side", "row", "text", "category", "label_issue_score", "outlier_score",
                 "repetition_score", "near_duplicate_group", "nearest_real_row",
                 "nearest_real_similarity", "coverage_score", "in_other_manifold",
                 "nearest_synthetic_row", "nearest_synthetic_similarity", "uncovered_region",
                 "cluster", "generator", "label", "p_synthetic", "is_outlier", "is_degenerate",
                 "is_copy_of_real", "near_duplicate_group_size", "reason"]

#: Columns of the compact selection table (Map page, cluster details).
SELECTION_COLUMNS = ["side", "row", "text", "category", "cluster", "label_issue_score",
                     "outlier_score", "coverage_score", "repetition_score"]

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
}


def color_options(examples: pd.DataFrame) -> dict[str, str]:
    """The colour choices that make sense for this audit (generator/label only when given)."""
    out = {}
    for key, label in COLOR_OPTIONS.items():
        if key in ("generator", "label"):
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
    info = ROW_SCORES.get(color_by)
    if info is not None:
        return f"{info.label}: {info.meaning} ({direction_text(info)})."
    return ""


# --------------------------------------------------------------------------- audit cache on disk

def _cache_root(cache_root=None) -> Path:
    from synth_quality.config import default_cache_dir

    return Path(cache_root) if cache_root else default_cache_dir()


def config_fingerprint(config=None) -> str:
    """A stable hash of the settings that change an audit's output (cache settings excluded)."""
    from synth_quality import __version__
    from synth_quality.config import AuditConfig

    settings = (config or AuditConfig()).to_dict()
    settings["embed"] = {k: v for k, v in settings["embed"].items()
                         if k not in ("cache_dir", "use_cache")}
    blob = json.dumps({"settings": settings, "version": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def sample_audit_kwargs(path=None) -> dict:
    """The ``audit()`` keyword arguments for the built-in sample."""
    from synth_quality.sample import sample_path

    return dict(data=str(path or sample_path()), source_column="real_or_synthetic",
                label_column="sentiment", generator_column="generator")


def sample_audit_dir(cache_root=None, config=None, sample_file=None) -> Path:
    """Where the audit of the built-in sample is cached: keyed by its content and the config."""
    from synth_quality.sample import sample_path

    data = Path(sample_file or sample_path()).read_bytes()
    digest = hashlib.sha256(data + config_fingerprint(config).encode()).hexdigest()[:16]
    return _cache_root(cache_root) / "audits" / f"sample-{digest}"


def upload_audit_dir(parts: Iterable[bytes | str], cache_root=None, config=None) -> Path:
    """Where the audit of uploaded files (their bytes plus the column choices) is cached."""
    h = hashlib.sha256(config_fingerprint(config).encode())
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return _cache_root(cache_root) / "audits" / f"upload-{h.hexdigest()[:16]}"


def is_audit_dir(folder) -> bool:
    from synth_quality.result import OUTPUT_FILES

    folder = Path(folder)
    return folder.is_dir() and all((folder / name).is_file() for name in OUTPUT_FILES)


def save_atomic(result, folder) -> Path:
    """Save ``result`` into ``folder`` so that a reader never sees half a folder."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        result.save(tmp)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def folder_stamp(folder) -> float:
    """Modification time of the audit's summary (changes when the folder is re-saved)."""
    try:
        return (Path(folder) / "summary.json").stat().st_mtime
    except OSError:
        return 0.0


# --------------------------------------------------------------------------- progress

#: Audit stages in order, with a rough share of the total time (for one overall bar).
STAGE_WEIGHTS = {"loading": 0.02, "loading model": 0.04, "embedding": 0.31, "neighbours": 0.03,
                 "compiling UMAP (once per machine)": 0.15, "projecting (map)": 0.22,
                 "detecting": 0.06, "projecting (clusters)": 0.10, "clustering": 0.02,
                 "scoring": 0.05}
STAGE_TEXT = {"loading": "Reading the data", "loading model": "Loading the embedding model",
              "embedding": "Embedding the texts",
              "neighbours": "Finding nearest neighbours",
              "compiling UMAP (once per machine)": "Compiling UMAP (once per machine)",
              "projecting (map)": "Projecting the map (UMAP)",
              "projecting (clusters)": "Projecting for clustering (UMAP)",
              "clustering": "Clustering (HDBSCAN)",
              "detecting": "Training the real-vs-synthetic detector",
              "scoring": "Scoring rows and clusters"}
_ROW_STAGES = ("embedding", "neighbours", "loading")


class ProgressTracker:
    """Turn ``progress(stage, done, total)`` calls into (fraction of the whole audit, text).

    ``update`` returns the fraction in [0, 1] and a line such as
    "Embedding the texts: 640 / 1,476 rows (stage 2 of 8)". A stage without ticks
    (``total is None``) reads "... (this step gives no count; it can take a minute)".
    """

    def __init__(self):
        self.stages = list(STAGE_WEIGHTS)
        self.fraction = 0.0

    def update(self, stage: str, done: int, total: int | None) -> tuple[float, str]:
        weight = STAGE_WEIGHTS.get(stage, 0.0)
        before = sum(STAGE_WEIGHTS[s] for s in self.stages[:self.stages.index(stage)]) \
            if stage in STAGE_WEIGHTS else self.fraction
        if total:
            part = min(max(done / total, 0.0), 1.0)
        else:
            part = 1.0 if done else 0.0
        self.fraction = max(self.fraction, min(1.0, before + weight * part))
        name = STAGE_TEXT.get(stage, stage.capitalize())
        number = (f" (stage {self.stages.index(stage) + 1} of {len(self.stages)})"
                  if stage in self.stages else "")
        if total:
            unit = ("rows" if stage in _ROW_STAGES else "folds" if stage == "detecting"
                    else "steps")
            text = f"{name}: {done:,} / {total:,} {unit}{number}"
        elif done:
            text = f"{name}: done{number}"
        else:
            text = f"{name} ...{number}"
        return self.fraction, text


# --------------------------------------------------------------------------- filters and views

FLAGS = {
    "is_outlier": "outlier",
    "near_duplicate": "in a near-duplicate group",
    "is_copy_of_real": "copy of a real row",
    "is_degenerate": "degenerate (repetition)",
    "has_html_entity": "contains an HTML entity",
    "off_manifold": "nothing from the other side nearby",
    "flagged": "flagged by me",
}

RANGE_COLUMNS = ("label_issue_score", "outlier_score", "coverage_score", "repetition_score",
                 "p_synthetic")


@dataclass
class ExampleFilter:
    """Which rows of ``examples`` to show. Empty lists mean 'no restriction'.

    ``rows`` restricts to row positions (e.g. a map selection); ``flags`` must all hold;
    ``ranges`` maps a score column to an inclusive (low, high); ``search`` is a
    case-insensitive substring of the text.
    """

    sides: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    clusters: list[int] = field(default_factory=list)
    generators: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    search: str = ""
    rows: list[int] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def flag_mask(examples: pd.DataFrame, flag: str, flagged: Iterable[int] = ()) -> pd.Series:
    """Boolean mask of one flag of :data:`FLAGS`."""
    if flag == "near_duplicate":
        return examples["near_duplicate_group"].notna()
    if flag == "off_manifold":
        return ~examples["in_other_manifold"].astype(bool)
    if flag == "flagged":
        return pd.Series(examples.index.isin(list(flagged)), index=examples.index)
    if flag == "has_html_entity":
        return examples[flag].fillna(0).astype(float) > 0
    if flag in examples:
        return examples[flag].fillna(False).astype(bool)
    raise KeyError(f"unknown flag {flag!r}; known: {', '.join(FLAGS)}")


def apply_filter(examples: pd.DataFrame, f: ExampleFilter,
                 flagged: Iterable[int] = ()) -> pd.DataFrame:
    """The rows of ``examples`` that pass ``f`` (same index, same order)."""
    mask = pd.Series(True, index=examples.index)
    if f.rows is not None:
        mask &= examples.index.isin(list(f.rows))
    for column, wanted in (("side", f.sides), ("category", f.categories),
                           ("generator", f.generators), ("label", f.labels)):
        if wanted and column in examples:
            mask &= examples[column].astype(object).isin(list(wanted))
    if f.clusters:
        mask &= examples["cluster"].isin([int(c) for c in f.clusters])
    flagged = list(flagged)
    for flag in f.flags:
        mask &= flag_mask(examples, flag, flagged)
    for column, (low, high) in (f.ranges or {}).items():
        values = examples[column]
        mask &= values.between(low, high) | (values.isna() & (low <= 0) & (high >= 1))
    if f.search and f.search.strip():
        mask &= examples["text"].astype(str).str.contains(f.search.strip(), case=False,
                                                          regex=False, na=False)
    return examples[mask.to_numpy()]


@dataclass(frozen=True)
class View:
    """A one-click view of the examples table: a filter and a sort."""

    title: str
    description: str
    filter: ExampleFilter
    sort_by: str
    ascending: bool


SORT_OPTIONS = {
    "label_issue_score": "Label issue score (lowest = worst first)",
    "outlier_score": "Outlier score",
    "coverage_score": "Coverage score",
    "repetition_score": "Repetition score",
    "nearest_real_similarity": "Nearest real similarity",
    "p_synthetic": "P(synthetic)",
    "near_duplicate_group": "Near-duplicate group",
    "cluster": "Cluster",
    "row": "Row",
}

VIEWS = {
    "all": View("All rows", "every row of the audit", ExampleFilter(), "label_issue_score", True),
    "unrealistic": View("Unrealistic synthetic", CATEGORY_INFO["unrealistic synthetic"],
                        ExampleFilter(categories=["unrealistic synthetic"]),
                        "label_issue_score", True),
    "underrepresented": View("Underrepresented real", CATEGORY_INFO["underrepresented real"],
                             ExampleFilter(categories=["underrepresented real"]),
                             "label_issue_score", True),
    "realistic": View("Realistic synthetic", CATEGORY_INFO["realistic synthetic"],
                      ExampleFilter(categories=["realistic synthetic"]), "label_issue_score",
                      False),
    "covered": View("Well-covered real", CATEGORY_INFO["well-covered real"],
                    ExampleFilter(categories=["well-covered real"]), "label_issue_score", False),
    "outliers": View("Outliers", "rows far from every other row",
                     ExampleFilter(flags=["is_outlier"]), "outlier_score", False),
    "near_duplicates": View("Near-duplicates", "rows that near-copy another row (same group "
                            "number = copies of each other)",
                            ExampleFilter(flags=["near_duplicate"]), "near_duplicate_group", True),
    "copies": View("Copies of real", "synthetic rows that near-copy a real row",
                   ExampleFilter(flags=["is_copy_of_real"]), "nearest_real_similarity", False),
    "degenerate": View("Degenerate", "synthetic rows with repetition loops or stutters",
                       ExampleFilter(sides=["synthetic"], flags=["is_degenerate"]),
                       "repetition_score", False),
    "uncovered_real": View("Real rows never covered", "real rows with no synthetic row within "
                           "their k-NN radius: the synthetic data never reaches them, whatever "
                           "the classifier says", ExampleFilter(sides=["real"], flags=["off_manifold"]),
                           "coverage_score", True),
    "off_manifold": View("Synthetic rows outside the real data", "synthetic rows inside no real "
                         "row's k-NN ball: content the real data does not have",
                         ExampleFilter(sides=["synthetic"], flags=["off_manifold"]),
                         "coverage_score", True),
}


def sort_examples(frame: pd.DataFrame, by: str, ascending: bool = True) -> pd.DataFrame:
    """Sort by one column (missing values last), ties by side and row for a stable order."""
    if by not in frame:
        by = "row"
    keys = [by] + [c for c in ("side", "row") if c != by]
    return frame.sort_values(keys, ascending=[ascending] + [True] * (len(keys) - 1),
                             na_position="last", kind="stable")


def display_table(frame: pd.DataFrame, columns: Sequence[str] = TABLE_COLUMNS,
                  flagged: Iterable[int] | None = None) -> pd.DataFrame:
    """The columns the tables show, in order, keeping the row positions as index."""
    cols = [c for c in columns if c in frame]
    out = frame[cols].copy()
    if flagged is not None:
        out.insert(min(3, len(out.columns)), "flagged", out.index.isin(list(flagged)))
    for c in ("generator", "label"):
        if c in out:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


# --------------------------------------------------------------------------- selections

def selected_ids(selection: dict | None,
                 trace_ids: Sequence[Sequence[int]] | None = None) -> list[int]:
    """Row positions selected in a plotly chart event (click, box or lasso).

    Uses each point's ``customdata[0]`` (how this module's figures tag points); without it, the
    point's trace (``curve_number``) and ``point_index`` looked up in ``trace_ids``; without
    points at all (e.g. an injected event), ``point_indices`` into the first trace. Duplicates
    (a point in a highlight overlay and in its own trace) are dropped; order is kept.
    """
    if not selection:
        return []
    sel = selection["selection"] if "selection" in selection else selection
    out: list[int] = []
    points = sel["points"] if "points" in sel else []
    for p in points or []:
        custom = p.get("customdata") if isinstance(p, dict) else None
        if custom is not None and not isinstance(custom, (str, bytes)):
            if isinstance(custom, dict):   # a typed array arrives as {"0": value}
                value = custom.get("0", custom.get(0))
            else:
                value = custom[0] if isinstance(custom, (list, tuple)) else custom
            try:
                out.append(int(value))
                continue
            except (TypeError, ValueError):
                pass
        if trace_ids is not None and isinstance(p, dict):
            curve = int(p.get("curve_number", 0) or 0)
            index = p.get("point_index", p.get("point_number"))
            if index is not None and curve < len(trace_ids):
                out.append(int(trace_ids[curve][int(index)]))
    if not points:
        indices = sel["point_indices"] if "point_indices" in sel else []
        first = trace_ids[0] if trace_ids else None
        out.extend(int(first[i]) if first is not None else int(i) for i in indices or [])
    return list(dict.fromkeys(out))


def points_in_polygon(x: np.ndarray, y: np.ndarray,
                      polygon: Sequence[Sequence[float]]) -> np.ndarray:
    """Boolean mask of the points strictly inside a polygon (even-odd ray casting)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    poly = np.asarray(polygon, float)
    inside = np.zeros(len(x), bool)
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = (x2 - x1) * (y - y1) / (y2 - y1) + x1
        inside ^= crosses & (x < x_at)
    return inside


# --------------------------------------------------------------------------- figures

def hover_prefixes(examples: pd.DataFrame, width: int = 70, max_chars: int = 280) -> list[str]:
    """The part of each hover label that re-clustering does not change (the costly part: the
    text HTML-escaped, so plotly applies no tags, and wrapped; side, row, generator and
    category). :func:`hover_texts` appends the cluster and the label issue score."""
    out = []
    has_gen = "generator" in examples
    for row in examples.itertuples(index=False):
        text = str(row.text)
        if len(text) > max_chars:
            text = text[:max_chars - 1] + "…"
        lines = textwrap.wrap(text, width) or [""]
        body = "<br>".join(html.escape(line) for line in lines)
        who = f"{row.side} row {row.row}"
        gen = getattr(row, "generator", None) if has_gen else None
        if isinstance(gen, str) and gen:
            who += f" ({html.escape(gen)})"
        out.append(f"{body}<br><span style='color:#666'>{who} · {html.escape(str(row.category))}")
    return out


def hover_texts(examples: pd.DataFrame, prefixes: Sequence[str] | None = None, **kwargs) -> list[str]:
    """Hover labels: :func:`hover_prefixes` (or ``prefixes``, computed earlier for the same
    rows) then the cluster and the label issue score."""
    prefixes = hover_prefixes(examples, **kwargs) if prefixes is None else prefixes
    return [f"{p} · cluster {c} · label issue {s:.2f}</span>" for p, c, s in
            zip(prefixes, examples["cluster"].tolist(), examples["label_issue_score"].tolist())]


def _cluster_color(c: int) -> str:
    return NOISE_COLOR if c < 0 else CLUSTER_PALETTE[c % len(CLUSTER_PALETTE)]


def map_groups(examples: pd.DataFrame, color_by: str) -> list[tuple[str, np.ndarray, str]]:
    """(legend name, row positions, colour) per trace for a categorical colouring."""
    groups = []
    if color_by == "side":
        for side in ("real", "synthetic"):
            ids = np.flatnonzero((examples["side"] == side).to_numpy())
            if len(ids):
                groups.append((side, ids, SIDE_COLORS[side]))
    elif color_by == "category":
        for cat, color in CATEGORY_COLORS.items():
            ids = np.flatnonzero((examples["category"] == cat).to_numpy())
            if len(ids):
                groups.append((cat, ids, color))
    elif color_by == "cluster":
        labels = examples["cluster"].to_numpy()
        for c in sorted(set(labels.tolist()), key=lambda c: (c < 0, c)):
            ids = np.flatnonzero(labels == c)
            groups.append(("noise" if c < 0 else f"cluster {c}", ids, _cluster_color(c)))
    elif color_by in ("generator", "label"):
        values = examples[color_by].astype(object)
        if color_by == "generator":
            real = np.flatnonzero((examples["side"] == "real").to_numpy())
            if len(real):
                groups.append(("real", real, SIDE_COLORS["real"]))
            values = values.where(examples["side"] != "real", "__real__")
        names = sorted({str(v) for v in values.dropna() if v != "__real__"})
        for i, name in enumerate(names):
            ids = np.flatnonzero(values.astype(str).to_numpy() == name)
            groups.append((name, ids, CLUSTER_PALETTE[(i + 1) % len(CLUSTER_PALETTE)]))
        missing = np.flatnonzero(values.isna().to_numpy())
        if len(missing):
            groups.append(("(none)", missing, NOISE_COLOR))
    else:
        raise ValueError(f"not a categorical colouring: {color_by!r}")
    return groups


def map_figure(examples: pd.DataFrame, color_by: str = "side", *,
               highlight_cluster: int | None = None, selected: Sequence[int] = (),
               height: int = 620, marker_size: float | None = None,
               hover_prefixes: Sequence[str] | None = None, hover_all: bool = True):
    """The 2-d UMAP scatter. Each point carries its row position as ``customdata[0]``.

    Categorical colourings make one trace per group (legend entries); a score makes one trace
    with a colour bar. ``highlight_cluster`` draws black rings around that cluster's points;
    ``selected`` rings rows picked elsewhere (e.g. by a filter). The figure has no ``dragmode``,
    so it starts in pan mode where a click selects a point. ``hover_prefixes`` (from
    :func:`hover_prefixes` on the same rows) saves most of the time it takes to build. With
    ``hover_all`` False only the ringed points show their text on hover: a small overview map
    then sends the browser a few hundred labels instead of every row's (3 MB at 10,000 rows).
    """
    import plotly.graph_objects as go

    n = len(examples)
    Scatter = go.Scattergl  # WebGL: smooth at 50k points
    size = marker_size or (6 if n <= 3000 else 4 if n <= 20000 else 3)
    hover = np.array(hover_texts(examples, hover_prefixes), dtype=object) if hover_all else None

    def hover_of(ids) -> dict:
        if hover is not None:
            return dict(hovertext=hover[ids], hovertemplate="%{hovertext}<extra></extra>")
        return dict(hoverinfo="skip")

    def ring_hover_of(ids) -> dict:
        if hover is not None:
            return hover_of(ids)
        prefixes = None if hover_prefixes is None else [hover_prefixes[i] for i in ids]
        texts = np.array(hover_texts(examples.iloc[ids], prefixes), dtype=object)
        return dict(hovertext=texts, hovertemplate="%{hovertext}<extra></extra>")
    xs = examples["x"].to_numpy(float)
    ys = examples["y"].to_numpy(float)
    positions = np.arange(n)
    fig = go.Figure()
    if color_by in ROW_SCORES or (color_by in examples and color_by not in
                                  ("side", "category", "cluster", "generator", "label")):
        info = ROW_SCORES.get(color_by)
        values = examples[color_by].to_numpy(float)
        # Bad = dark red whichever the direction, so the eye goes to problems.
        scale = "Reds_r" if color_by in ("label_issue_score",) else "Reds"
        if color_by in ("p_synthetic", "coverage_score"):
            scale = "RdBu_r"
        fig.add_trace(Scatter(
            x=xs, y=ys, mode="markers", customdata=positions[:, None], **hover_of(positions),
            name=info.label if info else color_by,
            marker=dict(size=size, color=values, colorscale=scale, cmin=0, cmax=1,
                        colorbar=dict(title=dict(text=(info.label if info else color_by)
                                                 + "<br>" + (direction_text(info) if info else ""),
                                                 side="right"), thickness=12)),
            showlegend=False))
    else:
        for name, ids, color in map_groups(examples, color_by):
            # Legend names can come from the data (generator, label): escape them.
            fig.add_trace(Scatter(
                x=xs[ids], y=ys[ids], mode="markers",
                name=f"{html.escape(name)} ({len(ids):,})",
                customdata=ids[:, None], **hover_of(ids),
                marker=dict(size=size, color=color, opacity=0.8 if n > 3000 else 0.85)))
    ring_sets = []
    if highlight_cluster is not None:
        ring_sets.append((f"cluster {highlight_cluster} (highlighted)",
                          np.flatnonzero((examples["cluster"] == highlight_cluster).to_numpy()),
                          HIGHLIGHT_COLOR))
    if len(selected):
        ring_sets.append(("selected rows", np.asarray(sorted(set(int(i) for i in selected)), int),
                          "#0b7285"))
    for name, ids, color in ring_sets:
        if not len(ids):
            continue
        fig.add_trace(Scatter(
            x=xs[ids], y=ys[ids], mode="markers", name=f"{name} ({len(ids):,})",
            customdata=ids[:, None], **ring_hover_of(ids),
            marker=dict(size=size + 5, color="rgba(0,0,0,0)", line=dict(width=1.6, color=color))))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), template="plotly_white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0,
                    itemsizing="constant"),
        hoverlabel=dict(bgcolor="white", font_size=12, align="left"),
        uirevision="map", xaxis=dict(showticklabels=False, title=None, zeroline=False),
        yaxis=dict(showticklabels=False, title=None, zeroline=False))
    return fig


def _plotly_array(value) -> np.ndarray:
    """A plotly data array as numpy, also in plotly's base64 typed-array form
    (``{"dtype": ..., "bdata": ..., "shape": ...}``, what a pickled figure holds)."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if shape:
            arr = arr.reshape([int(s) for s in str(shape).split(",")])
        return arr
    return np.asarray(value)


def figure_trace_ids(fig) -> list[list[int]]:
    """Row positions of each trace of a :func:`map_figure`, read from ``customdata``."""
    out = []
    for trace in fig.data:
        custom = trace.customdata
        if custom is None:
            out.append([])
            continue
        arr = _plotly_array(custom)
        out.append([int(v) for v in (arr[:, 0] if arr.ndim == 2 else arr)])
    return out


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


def cluster_share_figure(clusters: pd.DataFrame, *, selected: int | None = None,
                         height: int | None = None):
    """Horizontal stacked bars: each cluster's real and synthetic share, with the overall real
    share as a dashed line. Clusters keep the table's order (one-sided modes first); each bar
    carries its cluster id as ``customdata[0]``."""
    import plotly.graph_objects as go

    table = clusters.reset_index(drop=True)
    labels = [html.escape(cluster_label(r)) for r in table.to_dict("records")]
    ids = table["cluster"].to_numpy(int)
    overall = float(table["expected_real_share"].iloc[0]) if len(table) else 0.0
    status = table["status"].map(STATUS_TEXT).fillna("").tolist()
    custom = np.column_stack([ids, table["size"].to_numpy(), table["n_real"].to_numpy(),
                              table["n_synthetic"].to_numpy()]) if len(table) else None
    hover = [f"{lab}<br>{html.escape(st)}<br>real {r:,} · synthetic {s:,}"
             f"<br>adjusted p = {p:.2g}"
             for lab, st, r, s, p in zip(labels, status, table["n_real"], table["n_synthetic"],
                                         table["p_adjusted"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=table["real_share"], orientation="h", name="real share",
                         marker_color=SIDE_COLORS["real"], customdata=custom, hovertext=hover,
                         hovertemplate="%{hovertext}<br>real share %{x:.0%}<extra></extra>"))
    fig.add_trace(go.Bar(y=labels, x=1 - table["real_share"], orientation="h",
                         name="synthetic share", marker_color=SIDE_COLORS["synthetic"],
                         customdata=custom, hovertext=hover,
                         hovertemplate="%{hovertext}<br>synthetic share %{x:.0%}<extra></extra>"))
    fig.add_vline(x=overall, line_dash="dash", line_color="#212529",
                  annotation_text=f"overall real share {overall:.0%}",
                  annotation_position="top")
    if selected is not None and selected in set(ids.tolist()):
        i = int(np.flatnonzero(ids == selected)[0])
        fig.add_shape(type="rect", xref="paper", x0=-0.005, x1=1.005, yref="y",
                      y0=i - 0.5, y1=i + 0.5, line=dict(color="#000", width=2.5))
    fig.update_layout(
        barmode="stack", height=height or max(260, 26 * len(table) + 110),
        margin=dict(l=10, r=10, t=50, b=30), template="plotly_white",
        legend=dict(orientation="h", yanchor="bottom", y=1.04, x=0, traceorder="normal"),
        xaxis=dict(range=[0, 1], tickformat=".0%", title="share of the cluster's rows",
                   fixedrange=True),
        yaxis=dict(autorange="reversed", title=None, type="category", fixedrange=True),
        uirevision="clusters")
    return fig


# --------------------------------------------------------------------------- clusters

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
    cols = ["cluster", "status", "size", "real_share", "keywords", "n_real", "n_synthetic",
            "expected_real_share", "real_enrichment", "p_adjusted", "status_reason"]
    out = clusters[[c for c in cols if c in clusters]].copy()
    if "keywords" in out:
        out["keywords"] = out["keywords"].map(lambda ws: ", ".join(list(ws or [])))
    return out


# --------------------------------------------------------------------------- overview

def score_table(summary: dict) -> pd.DataFrame:
    """Dataset scores and supporting numbers with their meaning and bad direction."""
    rows = []
    for key, info in {**DATASET_SCORES, **SUPPORT_SCORES}.items():
        value = summary.get(key)
        rows.append({"score": info.label, "value": format_value(info, value),
                     "bad when": info.bad, "meaning": info.meaning, "key": key})
    return pd.DataFrame(rows)


def auc_sentence(summary: dict) -> str:
    auc = summary.get("detection_auc")
    ci = summary.get("detection_auc_ci") or [None, None]
    if auc is None or not math.isfinite(auc):
        return "The detector could not be evaluated."
    lo, hi = ci
    interval = f" (95% CI {lo:.2f}-{hi:.2f})" if lo is not None and hi is not None else ""
    return (f"Detection AUC {auc:.3f}{interval}: 0.5 means the sides cannot be told apart, 1.0 "
            "means every synthetic row is spotted. Higher is worse.")


def artifact_table(summary: dict) -> pd.DataFrame:
    rows = []
    for a in summary.get("artifacts", []) or []:
        rows.append({"feature": a.get("description", a.get("feature")),
                     "separates the sides": bool(a.get("separates")),
                     "AUC alone": a.get("separation"), "direction": a.get("direction"),
                     "real": a.get("real_mean"), "synthetic": a.get("synthetic_mean"),
                     "finding": a.get("sentence")})
    return pd.DataFrame(rows)


def generator_table(summary: dict) -> pd.DataFrame:
    rows = []
    for name, g in (summary.get("by_generator") or {}).items():
        ci = g.get("detection_auc_ci") or [None, None]
        rows.append({"generator": name, "synthetic rows": g.get("n_synthetic"),
                     "detection AUC": g.get("detection_auc"),
                     "AUC 95% CI": (f"{ci[0]:.2f}-{ci[1]:.2f}" if ci[0] is not None else ""),
                     "unrealistic": g.get("unrealistic"), "unvaried": g.get("unvaried"),
                     "unoriginal": g.get("unoriginal"), "precision": g.get("precision"),
                     "degenerate": g.get("n_degenerate"),
                     "copies of real": g.get("n_copies_of_real")})
    return pd.DataFrame(rows)


def count_table(summary: dict) -> list[tuple[str, int | str, str]]:
    """(label, value, help) for the counts row of the overview."""
    s = summary
    return [
        ("Real rows", f"{s.get('n_real', 0):,}", "rows on the real side"),
        ("Synthetic rows", f"{s.get('n_synthetic', 0):,}", "rows on the synthetic side"),
        ("Clusters", f"{s.get('n_clusters', 0):,}", "HDBSCAN clusters (noise not counted)"),
        ("Real-only clusters", f"{s.get('n_clusters_real_only', 0):,}",
         "modes of the real data the synthetic data misses (bad)"),
        ("Synthetic-only clusters", f"{s.get('n_clusters_synthetic_only', 0):,}",
         "modes the generator invented (bad)"),
        ("Degenerate rows", f"{s.get('n_degenerate', 0):,}", "synthetic repetition loops (bad)"),
        ("Copies of real", f"{s.get('n_copies_of_real', 0):,}",
         "synthetic rows that near-copy a real row (bad)"),
        ("Outliers", f"{s.get('n_outliers', 0):,}", "isolated rows, either side"),
    ]


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


_FINDING_COLUMNS = ("side", "row", "category", "cluster", "label_issue_score", "uncovered_region",
                    "coverage_score", "is_degenerate", "repetition_score", "is_copy_of_real",
                    "nearest_real_similarity", "near_duplicate_group")


def findings(examples: pd.DataFrame, clusters: pd.DataFrame, summary: dict,
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
    for region in summary.get("uncovered_regions", []):
        if region["side"] != "real" or region["size"] < 5 or len(out) > 6:
            continue
        members = examples[examples.get("uncovered_region", pd.Series(dtype="Int64"))
                           == region["region"]] if "uncovered_region" in examples else examples[:0]
        members = sort_examples(members, "coverage_score")
        out.append(Finding(f"uncovered_{region['region']}", "Real rows the synthetic data never "
                           f"reaches: {region['size']} rows",
                           f"keywords: {', '.join(region['keywords'][:5])}; "
                           f"{region['n_noise']} of them are HDBSCAN noise, so no cluster shows "
                           "them all.", int(region["size"]), view="uncovered_real",
                           rows=members.index[:n].tolist()))
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


# --------------------------------------------------------------------------- exports

def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as exported: every column except the map coordinates' float32 noise is kept."""
    out = frame.copy()
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, (list, np.ndarray))).any():
            out[c] = out[c].map(lambda v: json.dumps(list(v)) if v is not None else None)
    return out


def cleaned_synthetic(examples: pd.DataFrame, flagged: Iterable[int],
                      inputs: dict | None = None) -> pd.DataFrame:
    """The synthetic rows the user did not flag, with the input's column names.

    Columns: ``row`` (its row in the synthetic/input file), the text column, and the label and
    generator columns when the audit had them, named as in the input (``inputs`` is
    ``summary["inputs"]``).
    """
    inputs = inputs or {}
    flagged = set(int(i) for i in flagged)
    syn = examples[(examples["side"] == "synthetic") & ~examples.index.isin(list(flagged))]
    out = pd.DataFrame({"row": syn["row"].to_numpy()})
    out[inputs.get("text_column") or "text"] = syn["text"].to_numpy()
    if "label" in syn and inputs.get("label_column"):
        out[inputs["label_column"]] = syn["label"].to_numpy(object)
    if "generator" in syn and inputs.get("generator_column"):
        out[inputs["generator_column"]] = syn["generator"].to_numpy(object)
    return out


# --------------------------------------------------------------------------- the Data page

INPUT_CONTROLS = ("file", "real_file", "synthetic_file", "source", "real_value", "text",
                  "label", "generator")

_OPTION_NAMES = {"--source-column": "Source column", "--real-value": "Value meaning real",
                 "--text-column": "Text column", "--label-column": "Label column",
                 "--generator-column": "Generator column", "--real": "Real file",
                 "--synthetic": "Synthetic file", "--data": "Data file"}


def locate_input_error(message: str, two_files: bool = False, real_name: str | None = None,
                       synthetic_name: str | None = None) -> tuple[str, str]:
    """Which control of the Data page an input error belongs to, and the message in UI words.

    The checks are the command line's (:func:`synth_quality.io.load_inputs`); its messages name
    command-line options ("pass --text-column"), which the dashboard shows as the control's name.
    """
    text = message
    for option in sorted(_OPTION_NAMES, key=len, reverse=True):
        text = text.replace(f"pass {option}", f"choose another “{_OPTION_NAMES[option]}”")
        text = text.replace(option, f"“{_OPTION_NAMES[option]}”")
    low = message.lower()
    if "--real-value" in low or "which value of" in low:
        target = "real_value"
    elif "--source-column" in low or "source column" in low or "exactly two values" in low \
            or "fill in real or synthetic" in low:
        target = "source"
    elif "--label-column" in low or "label column" in low:
        target = "label"
    elif "--generator-column" in low or "generator column" in low:
        target = "generator"
    elif "--text-column" in low or "text column" in low or "no text rows" in low:
        target = "text"
    elif two_files and ("synthetic side" in low or (synthetic_name and synthetic_name in message)):
        target = "synthetic_file"
    elif two_files:
        target = "real_file"
    else:
        target = "file"
    return target, text


def guess_text_column(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> str | None:
    from synth_quality.io import MIN_TEXT_LENGTH, TEXT_COLUMN_NAMES

    cols = [c for c in frame.columns if c not in exclude]
    for wanted in TEXT_COLUMN_NAMES:
        hits = [c for c in cols if str(c).strip().lower() == wanted]
        if hits:
            return hits[0]
    best, best_len = None, 0.0
    for c in cols:
        values = frame[c].head(2000)
        strings = [v for v in values.tolist() if isinstance(v, str) and v.strip()]
        if not strings or len(strings) < 0.5 * len(values):
            continue
        mean = sum(map(len, strings)) / len(strings)
        if mean >= MIN_TEXT_LENGTH and mean > best_len:
            best, best_len = c, mean
    return best


def guess_source_column(frame: pd.DataFrame) -> str | None:
    from synth_quality.io import SOURCE_COLUMN_NAMES

    for wanted in SOURCE_COLUMN_NAMES:
        hits = [c for c in frame.columns if str(c).strip().lower() == wanted]
        if hits:
            return hits[0]
    for c in frame.columns:   # else: the first column with exactly two distinct values
        if frame[c].astype(str).str.strip().nunique() == 2:
            return c
    return None


def guess_real_value(values: Sequence[str]) -> str | None:
    from synth_quality.io import REAL_VALUES

    hits = [v for v in values if str(v).strip().lower() in REAL_VALUES]
    if len(hits) == 1:
        return hits[0]
    hits = [v for v in values if str(v).strip().lower() in ("0", "false")]
    return hits[0] if len(hits) == 1 else None


def guess_optional_column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    for wanted in names:
        hits = [c for c in frame.columns if str(c).strip().lower() == wanted]
        if hits:
            return hits[0]
    return None


LABEL_NAMES = ("label", "labels", "sentiment", "class", "category", "target", "y")
GENERATOR_NAMES = ("generator", "model", "source_model", "llm", "generated_by")


def source_values(frame: pd.DataFrame, column) -> list[str]:
    """The distinct (stripped) non-empty values of a source column, in order of appearance."""
    values = frame[column].dropna().astype(str).str.strip()
    return list(dict.fromkeys(v for v in values.tolist() if v))
