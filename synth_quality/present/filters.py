"""Filters of the examples table, the one-click views (one per category and flag) and sorting.

Row identity: a row of ``AuditResult.examples`` is identified by its position in that table
(``examples.index`` is a RangeIndex); filters return rows with their positions kept."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable

import pandas as pd

from synth_quality.present.wording import CATEGORY_INFO

FLAGS = {
    "is_outlier": "outlier",
    "near_duplicate": "in a near-duplicate group",
    "is_copy_of_real": "copy of a real row",
    "is_degenerate": "degenerate (repetition)",
    "has_html_entity": "contains an HTML entity",
    "is_uncovered": "the other side stays away (calibrated)",
    "is_detectable": "the classifier recognises its side (calibrated)",
    "is_label_issue": "label looks wrong",
    "flagged": "flagged by me",
}


RANGE_COLUMNS = ("label_issue_score", "outlier_score", "coverage_score", "repetition_score",
                 "p_synthetic", "label_quality")


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
    if flag == "flagged":
        return pd.Series(examples.index.isin(list(flagged)), index=examples.index)
    if flag == "has_html_entity":
        return examples[flag].fillna(0).astype(float) > 0
    if flag in examples:
        return examples[flag].fillna(False).astype(bool)
    if flag in FLAGS:  # a flag of a check this audit did not run (no label column): no row
        return pd.Series(False, index=examples.index)
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
        if column not in examples:
            continue
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
    "label_quality": "Label quality (lowest = worst first)",
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
    "uncovered_real": View("Real rows the synthetic data stays away from", "real rows flagged "
                           "uncovered: the synthetic rows are farther from them than chance "
                           "explains (calibrated; at most 5% of them false alarms), whatever "
                           "the classifier says", ExampleFilter(sides=["real"],
                                                                flags=["is_uncovered"]),
                           "coverage_score", True),
    "uncovered_synthetic": View("Synthetic rows away from the real data", "synthetic rows "
                                "flagged uncovered: farther from every real row than chance "
                                "explains, content the real data does not have",
                                ExampleFilter(sides=["synthetic"], flags=["is_uncovered"]),
                                "coverage_score", True),
    "label_issues": View("Label looks wrong", "synthetic rows whose text does not look like "
                         "their task label (cleanlab's label issues, judged out of sample, also "
                         "by the real rows), the least likely label first; clear the side "
                         "filter to see the real rows' label issues too",
                         ExampleFilter(sides=["synthetic"], flags=["is_label_issue"]),
                         "label_quality", True),
}

#: Views that need a column only some audits have (a label column).
VIEW_NEEDS = {"label_issues": "is_label_issue"}


def available_views(examples: pd.DataFrame) -> dict:
    """The :data:`VIEWS` this audit's examples can show."""
    return {k: v for k, v in VIEWS.items() if VIEW_NEEDS.get(k, "text") in examples}


def available_flags(examples: pd.DataFrame) -> dict:
    """The :data:`FLAGS` this audit's examples can filter by."""
    return {k: v for k, v in FLAGS.items() if k != "is_label_issue" or k in examples}


def sort_examples(frame: pd.DataFrame, by: str, ascending: bool = True) -> pd.DataFrame:
    """Sort by one column (missing values last), ties by side and row for a stable order."""
    if by not in frame:
        by = "row"
    keys = [by] + [c for c in ("side", "row") if c != by]
    return frame.sort_values(keys, ascending=[ascending] + [True] * (len(keys) - 1),
                             na_position="last", kind="stable")
