"""synth_quality.gate.figures: every number of the summary is a figure with its unit and
direction, the no-difference reference's shares agree with the summary's own counts, and each
value comes with its band."""

from __future__ import annotations

from typing import Optional

import pytest
from pydantic import BaseModel

from synth_quality.analysis.reference import FIGURES as REFERENCE_FIGURES
from synth_quality.gate.figures import (
    ALIASES,
    COUNT,
    FRACTION,
    GENERATOR_NUMBERS,
    NUMBER,
    REFERENCE_ONLY,
    SHARE_COUNTS,
    SUMMARY_NUMBERS,
    all_figures,
    audit_figure,
    generator_figure,
    normalise,
    numeric_fields,
    reference_figure,
    summary_figure,
)
from synth_quality.schema import HIGH_IS_BAD, figure


def test_a_number_declared_in_the_schema_is_a_figure_with_its_unit():
    """A key someone adds to the schema can be checked at once: the unit comes from its type
    and declaration, the settings stay out."""
    class Added(BaseModel):
        label_issue_share: Optional[float] = figure("a share", HIGH_IS_BAD, fraction=True)
        n_fields: int = figure("a count", HIGH_IS_BAD)
        spread: Optional[float] = figure("any number")
        verdict: str = "words"
        random_state: Optional[int] = 0

    assert numeric_fields(Added) == {"label_issue_share": FRACTION, "n_fields": COUNT,
                                     "spread": NUMBER}


def test_units_of_the_summary():
    assert SUMMARY_NUMBERS["detection_auc"] == SUMMARY_NUMBERS["unoriginal"] == FRACTION
    assert SUMMARY_NUMBERS["n_copies_of_real"] == COUNT and SUMMARY_NUMBERS["density"] == NUMBER
    assert "random_state" not in SUMMARY_NUMBERS and "min_cluster_size_used" not in SUMMARY_NUMBERS
    assert GENERATOR_NUMBERS["unvaried"] == FRACTION


def test_every_reference_figure_is_a_figure_and_aliases_name_one():
    """Each figure the no-difference reference reads is checkable: the summary's own, or one
    only the reference holds; an alias never hides a real name."""
    assert set(REFERENCE_FIGURES) <= set(SUMMARY_NUMBERS) | set(REFERENCE_ONLY)
    assert not set(ALIASES) & (set(SUMMARY_NUMBERS) | set(REFERENCE_ONLY))
    assert set(ALIASES.values()) <= set(REFERENCE_ONLY)
    assert set(SHARE_COUNTS) <= set(REFERENCE_ONLY)
    for count, whole, _ in SHARE_COUNTS.values():
        assert SUMMARY_NUMBERS[count] == SUMMARY_NUMBERS[whole] == COUNT


@pytest.mark.parametrize("written,canonical", [
    ("Label issues", "label_issues"), ("detection-AUC", "detection_auc"),
    ("unvaried [Gen-A]", "unvaried[Gen-A]"), ("  unoriginal ", "unoriginal")])
def test_names_are_read_loosely(written, canonical):
    assert normalise(written) == canonical


def test_summary_figures_are_the_summary_values(planted_audit):
    facts = planted_audit.facts
    for name in SUMMARY_NUMBERS:
        fig = summary_figure(facts, name)
        raw = planted_audit.summary[name]
        assert fig.value == pytest.approx(float(raw)), name
        if fig.unit == FRACTION:
            assert 0 <= fig.value <= 1, name
    auc = summary_figure(facts, "detection_auc")
    assert auc.interval == tuple(planted_audit.summary["detection_auc_ci"])
    assert auc.direction == HIGH_IS_BAD
    band = planted_audit.summary["no_difference"]["figures"]["detection_auc"]
    assert auc.band == (band["low"], band["high"]) and auc.reading == band["reading"]


def test_reference_shares_agree_with_the_summary_counts(planted_audit):
    """The reference's shares (computed from examples.parquet by the reference) against counts
    the summary computed itself, and against the rows' own flags."""
    s, ex = planted_audit.summary, planted_audit.examples
    for share, (count, whole, of) in SHARE_COUNTS.items():
        fig = reference_figure(planted_audit.facts, share)
        assert fig.value == pytest.approx(s[count] / s[whole]), share
        assert fig.detail == f"{s[count]:,} of {s[whole]:,} {of}"
    syn = ex[ex["side"] == "synthetic"]
    issues = audit_figure(planted_audit.facts, ALIASES["label_issues"])
    assert issues.value == pytest.approx(syn["is_detectable"].mean())


def test_label_issues_are_the_calibrated_part_of_the_unrealistic_rows(planted_audit):
    """Cleanlab Studio's label issues, calibrated: synthetic rows the detector recognises more
    surely than with no difference. All are categorised unrealistic or degenerate (the
    category also holds rows no real row comes near); with no difference the band is near 0."""
    ex = planted_audit.examples
    syn = ex[ex["side"] == "synthetic"]
    flagged = syn[syn["is_detectable"]]
    assert (flagged["category"] == "unrealistic synthetic").all()
    assert len(flagged) <= planted_audit.summary["categories"]["unrealistic synthetic"]
    fig = audit_figure(planted_audit.facts, "detectable_synthetic_share")
    assert fig.band is not None and fig.band[0] == 0.0 and fig.band[1] < 0.05


def test_every_figure_is_listed_once_per_generator(planted_audit):
    figures = all_figures(planted_audit.facts)
    names = [f.name for f in figures]
    assert len(names) == len(set(names))
    generators = list(planted_audit.facts.by_generator)
    assert generators == ["gen-a", "gen-b"]
    for g in generators:
        fig = generator_figure(planted_audit.facts, "unoriginal", g)
        assert fig.name == f"unoriginal[{g}]" in names
        assert fig.value == planted_audit.summary["by_generator"][g]["unoriginal"]
        assert fig.band is None                     # the audit gives this one no band
        auc = generator_figure(planted_audit.facts, "detection_auc", g)
        entry = planted_audit.summary["by_generator"][g]
        assert auc.band == tuple(entry["no_difference"]["detection_auc"])
        low, high = auc.band
        expected = ("higher than with no difference" if auc.value > high
                    else "lower than with no difference" if auc.value < low
                    else "expected even with no difference")
        assert auc.reading == expected


def test_small_shares_are_not_printed_as_zero():
    """2 of 8,350 rows (the reference case's degenerate rows) is not 0.000 or 0.0%."""
    from synth_quality.gate.figures import format_figure, format_percent

    assert format_figure(2 / 8350, FRACTION) == "0.00024"
    assert format_figure(0.0, FRACTION) == "0.000"
    assert format_percent(2 / 8350) == "0.024%" and format_percent(0.052) == "5.2%"
    assert format_figure(1234, COUNT) == "1,234" and format_percent(None) == "n/a"
