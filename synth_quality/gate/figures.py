"""The named figures of an audit: what a rule of ``synth-quality check`` can test.

Every number of :class:`~synth_quality.schema.Summary` is a figure under its key
(``detection_auc``, ``unoriginal``, ``n_copies_of_real``, ...), with its direction and unit
from the schema, so a key added to the schema can be checked without a change here. So is every
figure of the no-difference reference (``summary["no_difference"]["figures"]``:
:data:`synth_quality.analysis.reference.FIGURES`) that the summary does not hold itself, such as
``detectable_synthetic_share`` or ``uncovered_real_share``; ``label_issues`` is another name for
``detectable_synthetic_share`` (Cleanlab Studio's label issues: the synthetic rows the detector
recognises, calibrated against no difference). Each generator's figures (``by_generator``) are
figures too, written ``unoriginal[gpt-4o]``. Names are read case-insensitively, with spaces or
hyphens for underscores ("label issues" is ``label_issues``).

A figure with a reference carries its no-difference band and reading, printed beside its value.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass

from synth_quality.analysis.reference import FIGURES as REFERENCE_FIGURES
from synth_quality.analysis.reference import reading as band_reading
from synth_quality.schema import (
    HIGH_IS_BAD,
    HIGH_IS_GOOD,
    GeneratorFigures,
    Summary,
    figure_direction,
)

#: Units: a share or AUC in [0, 1] (a rule may say 5%), a count of rows or clusters, any number.
FRACTION, COUNT, NUMBER = "fraction", "count", "number"


@dataclass(frozen=True)
class Figure:
    """One figure of one audit.

    name : str
        As a rule names it (``unoriginal``, ``unoriginal[gen-a]``).
    value : float or None
        None when the audit could not compute it (an AUC with one class, say).
    unit : {"fraction", "count", "number"}
    direction : str or None
        ``"high is bad"``, ``"high is good"``, or None when neither direction is bad.
    meaning : str
    interval : (low, high) or None
        The 95% interval the audit gives with it (the detection AUCs).
    detail : str
        What it was counted from, for the printout ("35 of 1,650 synthetic rows").
    band : (low, high) or None
        Its no-difference band (``summary["no_difference"]``), when it has one.
    reading : str or None
        Where the value stands against the band ("expected even with no difference", ...).
    """

    name: str
    value: float | None
    unit: str
    direction: str | None
    meaning: str
    interval: tuple[float | None, float | None] | None = None
    detail: str = ""
    band: tuple[float, float] | None = None
    reading: str | None = None

    def text(self) -> str:
        """The value for people: 0.734, 12, and 0.00024 rather than 0.000."""
        return format_figure(self.value, self.unit)

    def band_text(self, percent: bool = False) -> str:
        """"no difference 0.43-0.57" (empty without a band)."""
        if self.band is None:
            return ""
        shown = [format_percent(b) if percent else format_figure(b, self.unit) for b in self.band]
        return f"no difference {shown[0]}" + (f"-{shown[1]}" if shown[1] != shown[0] else "")


def normalise(name: str) -> str:
    """A figure name as rules may write it, in its canonical form: "Label issues" ->
    "label_issues", "unvaried [gen-a]" -> "unvaried[gen-a]" (generator names keep their case)."""
    base, _, rest = name.strip().partition("[")
    base = re.sub(r"[\s\-]+", "_", base.strip().lower())
    return f"{base}[{rest.rstrip(']').strip()}]" if rest else base


def format_figure(value: float | None, unit: str) -> str:
    """A figure for people: counts whole, other numbers to three decimals, a small non-zero
    value to two significant digits (2 of 8,350 rows is 0.00024, not 0.000)."""
    if value is None:
        return "n/a"
    if unit == COUNT:
        return f"{value:,.0f}"
    return f"{value:.3f}" if value == 0 or abs(value) >= 0.001 else f"{value:.2g}"


def format_percent(value: float | None) -> str:
    """A share as a percentage: 5.2%, and 0.024% rather than 0.0%."""
    if value is None:
        return "n/a"
    return f"{value:.1%}" if value == 0 or abs(value) >= 0.001 else f"{value * 100:.2g}%"


# --------------------------------------------------------------------------- the names

def _unit(model, name: str) -> str | None:
    """The unit of a numeric field of ``model``, None for a field that is not a number."""
    field = model.model_fields[name]
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if extra.get("unit") == FRACTION:
        return FRACTION
    kinds = {a for a in typing.get_args(field.annotation) or (field.annotation,)
             if a is not type(None)}
    if kinds == {int}:
        return COUNT
    if kinds and kinds <= {int, float}:
        return NUMBER
    return None


#: Numbers of the summary that are settings, not measurements.
SETTINGS = frozenset({"random_state", "min_cluster_size_used", "min_samples_used"})


def numeric_fields(model) -> dict[str, str]:
    """{field: unit} of the numeric fields of a schema model (settings left out)."""
    return {name: unit for name in model.model_fields
            if name not in SETTINGS and (unit := _unit(model, name)) is not None}


#: The summary's numeric keys and the figures of one generator, with their units.
SUMMARY_NUMBERS = numeric_fields(Summary)
GENERATOR_NUMBERS = numeric_fields(GeneratorFigures)
#: Figures that come with a 95% interval: the interval's key.
INTERVALS = {"detection_auc": "detection_auc_ci"}
_GOOD = {"low": HIGH_IS_BAD, "high": HIGH_IS_GOOD}


def _reference_unit(name: str, bounds) -> str:
    if name.startswith("n_"):
        return COUNT
    return FRACTION if tuple(bounds) == (0.0, 1.0) else NUMBER


#: Figures of the no-difference reference the summary does not hold itself: their unit,
#: direction and meaning (values and bands come from ``summary["no_difference"]``).
REFERENCE_ONLY = {name: (_reference_unit(name, bounds), _GOOD.get(good), what)
                  for name, (_, bounds, what, good) in REFERENCE_FIGURES.items()
                  if name not in SUMMARY_NUMBERS}
#: Other names of figures.
ALIASES = {"label_issues": "detectable_synthetic_share"}
#: A reference share and the counts it is made of (count, of how many, of what).
SHARE_COUNTS = {
    "detectable_synthetic_share": ("n_synthetic_detectable", "n_synthetic", "synthetic rows"),
    "detectable_real_share": ("n_real_detectable", "n_real", "real rows"),
    "uncovered_real_share": ("n_real_uncovered", "n_real", "real rows"),
    "uncovered_synthetic_share": ("n_synthetic_uncovered", "n_synthetic", "synthetic rows"),
    "copies_share": ("n_copies_of_real", "n_synthetic", "synthetic rows"),
    "degenerate_share": ("n_degenerate", "n_synthetic", "synthetic rows"),
    "outlier_share": ("n_outliers", "n_rows", "rows"),
}
#: The share figure of each count the summary holds (a rule "n_degenerate <= 1%" is told of it).
SHARE_OF_COUNT = {count: share for share, (count, _, _) in SHARE_COUNTS.items()}


def canonical(name: str) -> str:
    """The figure a (normalised) name stands for: aliases resolved."""
    return ALIASES.get(name, name)


def known_names() -> list[str]:
    """Every figure name a rule may use (generator figures as ``name[GENERATOR]``)."""
    return ([*SUMMARY_NUMBERS, *REFERENCE_ONLY, *ALIASES]
            + [f"{name}[GENERATOR]" for name in GENERATOR_NUMBERS])


def unit_of(name: str, per_generator: bool = False) -> str | None:
    """The unit of a canonical figure name (None: no such figure)."""
    if per_generator:
        return GENERATOR_NUMBERS.get(name)
    if name in SUMMARY_NUMBERS:
        return SUMMARY_NUMBERS[name]
    return REFERENCE_ONLY[name][0] if name in REFERENCE_ONLY else None


# --------------------------------------------------------------------------- the values

def _reference(facts: Summary, name: str) -> tuple[tuple[float, float] | None, str | None]:
    entry = facts.no_difference.figures.get(name)
    if entry is None or entry.low is None or entry.high is None:
        return None, None
    return (entry.low, entry.high), entry.reading


def summary_figure(facts: Summary, name: str) -> Figure:
    """A figure held by the summary itself (a key of :data:`SUMMARY_NUMBERS`)."""
    value = getattr(facts, name)
    key = INTERVALS.get(name)
    band, reading = _reference(facts, name)
    return Figure(name, None if value is None else float(value), SUMMARY_NUMBERS[name],
                  figure_direction(Summary, name), Summary.model_fields[name].description or "",
                  tuple(getattr(facts, key)) if key else None, "", band, reading)


def reference_figure(facts: Summary, name: str) -> Figure:
    """A figure only the no-difference reference holds (a key of :data:`REFERENCE_ONLY`)."""
    unit, direction, meaning = REFERENCE_ONLY[name]
    entry = facts.no_difference.figures.get(name)
    value = None if entry is None or entry.value is None else float(entry.value)
    detail = ""
    if name in SHARE_COUNTS:
        count, whole, of = SHARE_COUNTS[name]
        detail = f"{getattr(facts, count):,} of {getattr(facts, whole):,} {of}"
    band, reading = _reference(facts, name)
    return Figure(name, value, unit, direction, meaning, None, detail, band, reading)


def generator_figure(facts: Summary, name: str, generator: str) -> Figure:
    """``name`` of one generator's rows (a key of :data:`GENERATOR_NUMBERS`), with the band the
    audit gives it at the generator's size (``by_generator[g].no_difference``: the detection
    AUC, ``unrealistic`` and ``precision``) and the reference's reading of it."""
    entry = facts.by_generator[generator]
    value = getattr(entry, name)
    value = None if value is None else float(value)
    interval = tuple(entry.detection_auc_ci) if name == "detection_auc" else None
    low, high = entry.no_difference.get(name, (None, None))
    band = (low, high) if low is not None and high is not None else None
    reading = band_reading(value, low, high) if band is not None else None
    return Figure(f"{name}[{generator}]", value, GENERATOR_NUMBERS[name],
                  figure_direction(GeneratorFigures, name),
                  GeneratorFigures.model_fields[name].description or "", interval, "", band,
                  reading)


def audit_figure(facts: Summary, name: str) -> Figure:
    """The figure ``name`` (canonical, not per generator) of an audit."""
    if name in SUMMARY_NUMBERS:
        return summary_figure(facts, name)
    return reference_figure(facts, name)


def all_figures(facts: Summary) -> list[Figure]:
    """Every figure of an audit, the summary's first, then the reference's, then each
    generator's (what ``synth-quality check --list`` prints)."""
    out = [summary_figure(facts, name) for name in SUMMARY_NUMBERS]
    out += [reference_figure(facts, name) for name in REFERENCE_ONLY]
    for generator in facts.by_generator:
        out += [generator_figure(facts, name, generator) for name in GENERATOR_NUMBERS]
    return out


__all__ = ["ALIASES", "COUNT", "FRACTION", "GENERATOR_NUMBERS", "HIGH_IS_BAD", "HIGH_IS_GOOD",
           "NUMBER", "REFERENCE_ONLY", "SHARE_COUNTS", "SHARE_OF_COUNT", "SUMMARY_NUMBERS",
           "Figure", "all_figures", "audit_figure", "canonical", "format_figure",
           "format_percent", "generator_figure", "known_names", "normalise", "reference_figure",
           "summary_figure", "unit_of"]
