"""The typed, versioned schema of ``summary.json``.

:class:`Summary` declares every top-level key an audit writes, with its type, its meaning and,
for figures, which direction is bad; the nested objects (:class:`Region`, :class:`Artifact`,
:class:`GeneratorFigures`, ...) do the same for theirs. Adding a key to the summary is a change
here, in one place: declare the field (a type, a description, ``direction`` for a figure), then
``python -m synth_quality.schema`` regenerates the JSON Schema file shipped with the package
(``summary.schema.json``, which ``tests/test_schema.py`` checks is current). An undeclared key
fails validation (``extra="forbid"``, at every level), so a key nobody declared is caught by the
first test that saves an audit.

Two ways in:

- :func:`validate_summary` is strict: the summary this version writes, nothing more or less.
  ``AuditResult.save`` runs it (and the JSON Schema file) when ``SYNTH_QUALITY_VALIDATE_SUMMARY``
  is set, as the test suite sets it.
- :func:`read_summary` is what readers use (the dashboard, the report, ``check``, ``diff``): it
  ignores keys it does not know (an audit written by a newer minor version) and refuses, in one
  line, an audit of a newer major version or one missing what it needs.

Versions are ``MAJOR.MINOR``: MINOR grows when keys are added, MAJOR when a key is renamed or
removed or changes meaning. Audits written before the schema existed have no
``schema_version`` and read as ``0.0``.
"""

from __future__ import annotations

import json
import os
import typing
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synth_quality.errors import ErrorKind, InputDataError

#: The version this synth-quality writes (``summary["schema_version"]``).
SCHEMA_VERSION = "1.2"
#: The JSON Schema of :class:`Summary`, shipped inside the package.
SCHEMA_FILE = Path(__file__).with_name("summary.schema.json")
#: Set (to anything but "" or "0") to validate every summary.json ``AuditResult.save`` writes.
VALIDATE_ENV = "SYNTH_QUALITY_VALIDATE_SUMMARY"

#: ``direction`` values: which way a figure gets worse.
HIGH_IS_BAD, HIGH_IS_GOOD = "high is bad", "high is good"

# A column of the user's table: CSV and JSON give str; a DataFrame may have int column names.
Column = Union[str, int]
Share = Optional[float]


def figure(description: str, direction: str | None = None, *, fraction: bool = False,
           default: Any = ..., **kw) -> Any:
    """A numeric field: its description; ``direction`` when one direction is bad
    (:data:`HIGH_IS_BAD` or :data:`HIGH_IS_GOOD`); ``fraction`` for a share or AUC in [0, 1]
    (``synth-quality check`` then accepts a percentage). Both are kept in the JSON Schema
    (``direction``, ``unit``)."""
    extra: dict = {"direction": direction} if direction else {}
    if fraction:
        kw.update(ge=0, le=1)
        extra["unit"] = "fraction"
    return Field(default, description=description, json_schema_extra=extra or None, **kw)


class _Strict(BaseModel):
    # forbid: an undeclared key fails validation. frozen: readers cannot change what was read.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_Strict):
    """One group of rows the other side never reaches (``uncovered_regions``)."""

    region: int = Field(description="id; the rows' `uncovered_region` in examples.parquet")
    side: Literal["real", "synthetic"] = Field(
        description="real: text the synthetic data never reaches; synthetic: text the real "
                    "data never has")
    size: int = figure("rows of that side in the region", HIGH_IS_BAD, ge=0)
    n_other: int = Field(ge=0, description="rows of the other side in the region's group")
    expected_other: float = Field(ge=0, description="how many the overall share predicts")
    p_adjusted: float = Field(ge=0, le=1, description="the group's test, Tarone-Holm adjusted")
    n_noise: int = Field(description="how many of its rows HDBSCAN left as noise", ge=0)
    clusters: dict[str, int] = Field(description="cluster id -> rows of the region in it")
    keywords: list[str] = Field(description="c-TF-IDF words against every other row")
    examples: list[str] = Field(description="its least covered texts")


class ArtifactByGroup(_Strict):
    """One surface feature for one generator, against all real rows."""

    auc: Share = figure("AUC of the feature alone (0.5 = no difference)", fraction=True)
    separation: Share = figure("max(auc, 1 - auc)", HIGH_IS_BAD, fraction=True)
    synthetic_mean: Share = figure("the feature's mean on this generator's rows")
    separates: bool = Field(description="separation at or above the threshold")


class Artifact(_Strict):
    """Whether one surface feature (casing, HTML entities, ...) alone separates the sides."""

    feature: str = Field(description="its column in examples.parquet")
    description: str
    auc: Share = figure("AUC of the feature alone (0.5 = no difference)", fraction=True)
    separation: Share = figure("max(auc, 1 - auc): how well it alone separates the sides",
                               HIGH_IS_BAD, fraction=True)
    direction: str = Field(description="'higher on synthetic' or 'higher on real'")
    real_mean: Share = figure("the feature's mean on real rows")
    synthetic_mean: Share = figure("the feature's mean on synthetic rows")
    separates: bool = Field(description="separation at or above the threshold")
    sentence: str = Field(description="the finding in words")
    no_difference: tuple[Share, Share] = Field(
        description="the band of the AUC alone with no difference: 0.5 to 0.5 + 3 Mann-Whitney "
                    "standard deviations at the audit's sizes")
    reading: Optional[str] = Field(description="the AUC alone against that band")
    by_group: Optional[dict[str, ArtifactByGroup]] = Field(
        None, description="per generator (absent without a generator column)")


class GeneratorFigures(_Strict):
    """The figures of one generator's rows against all real rows (``by_generator``)."""

    n_synthetic: int = Field(ge=0)
    detection_auc: Share = figure("detection AUC of this generator's rows", HIGH_IS_BAD,
                                  fraction=True)
    detection_auc_ci: tuple[Share, Share] = Field(description="DeLong 95% interval")
    unrealistic: Share = figure("as the summary's, on this generator's rows", HIGH_IS_BAD,
                                fraction=True)
    unvaried: Share = figure("as the summary's, on this generator's rows", HIGH_IS_BAD,
                             fraction=True)
    unoriginal: Share = figure("as the summary's, on this generator's rows", HIGH_IS_BAD,
                               fraction=True)
    precision: Share = figure("as the summary's, on this generator's rows", HIGH_IS_GOOD,
                              fraction=True)
    density: Share = figure("as the summary's, on this generator's rows")
    n_degenerate: int = figure("degenerate rows", HIGH_IS_BAD, ge=0)
    n_copies_of_real: int = figure("copies of real rows", HIGH_IS_BAD, ge=0)
    no_difference: dict[str, tuple[Share, Share]] = Field(
        description="figure -> its band with no difference at this generator's size "
                    "(detection_auc, unrealistic, precision, degenerate_share, copies_share)")
    n_label_issues: Optional[int] = figure("with a label column: this generator's rows whose "
                                           "label looks wrong", HIGH_IS_BAD, default=None, ge=0)
    label_issue_share: Share = figure("with a label column: their share of the judged rows",
                                      HIGH_IS_BAD, fraction=True, default=None)


class Source(_Strict):
    """One input file (or table) the rows came from."""

    path: str
    format: str = Field(description="csv, tsv, parquet, jsonl, json or dataframe")
    encoding: Optional[str] = Field(description="utf-8, cp1252 or latin-1; null for Parquet "
                                                "and tables")
    n_rows: int = Field(ge=0)
    side: Literal["real", "synthetic", "mixed"]
    batch: Optional[int] = Field(None, description="for files added later: their batch")


class Inputs(_Strict):
    """What was read and how (``inputs``)."""

    text_column: Union[Column, list[Column], None] = Field(
        description="the text column, or the text fields (several fields or a chat column)")
    kind: Literal["text", "fields", "chat"] = Field(
        "text", description="one text column, several text fields, or chats")
    fields: list[Column] = Field([], description="the fields (roles for chats); [] for one "
                                                 "text column")
    pair_column: Optional[Column] = Field(None, description="--pair-column: which prompt each "
                                                            "row answers")
    label_column: Optional[Column]
    generator_column: Optional[Column]
    real_value: Optional[str] = Field(description="one-file mode: the source value meaning real")
    sources: list[Source]
    blank_rows: dict[str, int] = Field(description="side -> blank texts dropped")
    blank_row_numbers: dict[str, list[int]] = Field(description="side -> their rows (first 50)")
    duplicate_texts: dict[str, int] = Field(
        description="repeated texts within the real side, the synthetic side, and across")

class LongTexts(_Strict):
    """Texts longer than the model reads (``embedding.long_texts``; README "Long texts")."""

    window: Optional[int] = Field(description="tokens (or words) per window; null: no window")
    unit: Literal["tokens", "words"]
    n_rows_over_window: int = figure("rows longer than the window", ge=0)
    n_windows: Optional[int] = Field(None, ge=0, description="windows embedded")
    max_windows: Optional[int] = Field(None, ge=0, description="the most windows of one row")
    handled: str = Field(description="how they were handled, in words")


class LabelIssues(_Strict):
    """Label quality of one group of rows (``labels.real``, ``labels.synthetic``, ...)."""

    n_judged: int = Field(ge=0, description="rows with a label the check could judge")
    n_label_issues: int = figure("rows whose label looks wrong (is_label_issue)", HIGH_IS_BAD,
                                 ge=0)
    label_issue_share: Share = figure("n_label_issues / n_judged; read the synthetic share "
                                      "against the real one", HIGH_IS_BAD, fraction=True)
    mean_label_quality: Share = figure("mean label_quality (cleanlab's self-confidence)",
                                       HIGH_IS_GOOD, fraction=True)


class LabelBalance(_Strict):
    """Label shares per side and generator (``labels.balance``)."""

    classes: list[str]
    real: dict[str, Share]
    synthetic: dict[str, Share]
    by_generator: dict[str, dict[str, Share]]


class LabelReference(_Strict):
    """The synthetic label issue share with no difference (``labels.synthetic_no_difference``)."""

    share: float = Field(description="real rows disputed when judged as synthetic rows are (the "
                                     "more doubtful of two judgements), filtered alike")
    low: float = Field(description="band: binomial spread of both sides' sizes")
    high: float
    reading: Optional[str] = Field(None, description="the synthetic share against the band")


class Labels(_Strict):
    """With a label column: whose labels look wrong (``labels``; README "Labels")."""

    real: LabelIssues = Field(description="the reference: real labels the same check disputes")
    synthetic: LabelIssues
    by_generator: dict[str, LabelIssues]
    n_not_judged: int = Field(ge=0, description="rows without a label, or of a class too rare")
    notes: list[str]
    balance: Optional[LabelBalance] = Field(None, description="null without labels")
    evidence: str = Field(description="which model judged which rows, in words")
    synthetic_no_difference: Optional[LabelReference] = Field(
        None, description="the synthetic share's no-difference band (null when not judged)")


class FieldFigures(_Strict):
    """One field's own audit (``fields.audited.<field>``)."""

    n_real: int = Field(ge=0)
    n_synthetic: int = Field(ge=0)
    detection_auc: Share = figure("detection AUC of this field alone", HIGH_IS_BAD,
                                  fraction=True)
    detection_auc_ci: tuple[Share, Share] = Field(description="DeLong 95% interval")
    unrealistic: Share = figure("as the summary's, for this field", HIGH_IS_BAD, fraction=True)
    unrepresentative: Share = figure("as the summary's, for this field", HIGH_IS_BAD,
                                     fraction=True)
    unvaried: Share = figure("as the summary's, for this field", HIGH_IS_BAD, fraction=True)
    unoriginal: Share = figure("as the summary's, for this field", HIGH_IS_BAD, fraction=True)
    precision: Share = figure("as the summary's, for this field", HIGH_IS_GOOD, fraction=True)
    coverage: Share = figure("as the summary's, for this field", HIGH_IS_GOOD, fraction=True)
    n_degenerate: int = figure("degenerate synthetic texts of this field", HIGH_IS_BAD, ge=0)
    n_copies_of_real: int = figure("copies of real texts of this field", HIGH_IS_BAD, ge=0)
    n_synthetic_duplicate_groups: int = figure("near-duplicate groups among its synthetic "
                                               "texts", HIGH_IS_BAD, ge=0)
    synthetic_in_duplicate_groups: float = figure("share of its synthetic texts in them",
                                                  HIGH_IS_BAD, fraction=True)
    n_clusters: int = Field(ge=0)
    n_clusters_real_only: int = figure("real-only clusters of this field", HIGH_IS_BAD, ge=0)
    n_clusters_synthetic_only: int = figure("synthetic-only clusters of this field",
                                            HIGH_IS_BAD, ge=0)
    folder: str = Field(description="the field's full audit, relative to the audit folder")


class Fields(_Strict):
    """Several text fields or chats: each field's own audit (``fields``)."""

    kind: Literal["fields", "chat"]
    names: list[Column]
    prompt_fields: list[Column] = Field(description="paired data: the fields both sides share")
    answer_fields: list[Column]
    audited: dict[str, FieldFigures]
    not_audited: dict[str, str] = Field(description="field -> why it was not audited alone")
    findings: list[str] = Field(description="one sentence per field, the most detectable first")


class PairedAnswers(_Strict):
    """How close one group's answers stay to the human answer of the same prompt."""

    n_answers: Optional[int] = Field(None, ge=0)
    n_prompts: int = Field(ge=0)
    median_similarity: Optional[float] = figure("median cosine similarity to the human "
                                                "answer of the same prompt", HIGH_IS_GOOD,
                                                default=None)
    median_length_ratio: Optional[float] = figure("median words / the human answer's words "
                                                  "(1 = as long)", default=None, ge=0)
    median_rank: Share = figure("median paired_rank (1 = stays on its prompt)", HIGH_IS_GOOD,
                                fraction=True, default=None)
    drift_share: Share = figure("share of its prompts whose answers drift; read against "
                                "chance_drift_share", HIGH_IS_BAD, fraction=True, default=None)
    n_copies_elsewhere: Optional[int] = figure("answers copying another prompt's human answer",
                                               HIGH_IS_BAD, default=None, ge=0)


class Pairs(_Strict):
    """Paired data: both sides answer the same prompts (``pairs``; README "Paired data")."""

    pair_column: Optional[Column] = Field(description="how rows were paired (null: by the "
                                                      "prompt fields' texts)")
    prompt_fields: list[Column]
    answer_fields: list[Column]
    n_prompts_paired: int = Field(ge=0)
    drift_rank: float = Field(description="an answer drifts below this paired_rank")
    chance_drift_share: float = Field(description="the drift share of answers shuffled across "
                                                  "prompts: no relation to the prompt")
    real_drift_share: Optional[float] = Field(
        default=None, description="the drift share of the human answers, each ranked against the "
        "other human answers to its prompt (null with fewer than 30): what no difference gives")
    synthetic: PairedAnswers
    by_generator: dict[str, PairedAnswers]


class ChatSide(_Strict):
    """Conversation shape of one side (``chat.real``, ``chat.synthetic``)."""

    n_conversations: int = Field(ge=0)
    mean_n_turns: Optional[float] = None
    median_n_turns: Optional[float] = None
    mean_mean_turn_words: Optional[float] = None
    median_mean_turn_words: Optional[float] = None
    median_words_by_role: dict[str, Optional[float]]


class Chat(_Strict):
    """Chats: turns per conversation and words per turn, per side (``chat``)."""

    real: ChatSide
    synthetic: ChatSide


class Embedding(_Strict):
    """How the embeddings were made (``embedding``)."""

    model: str
    n_texts: int = Field(ge=0)
    n_unique: Optional[int] = Field(None, ge=0, description="distinct texts")
    n_from_cache: int = Field(ge=0)
    n_embedded: int = Field(ge=0)
    long_texts: Optional[LongTexts] = Field(None, description="texts over the model's window "
                                                              "and how they were handled")


class WarmStart(_Strict):
    """UMAP started from an earlier audit's layouts (``warm_start``)."""

    rows_matched: int = Field(ge=0, description="rows that were in the earlier audit")
    rows_new: int = Field(ge=0)
    earlier_rows_fixed: bool = Field(description="true: earlier rows kept their exact places")
    epochs: int = Field(ge=0)


class Scale(_Strict):
    """Which size-dependent paths the audit took (``scale``; config section ``scale``)."""

    neighbours: str = Field(description="'exact', or which side was searched through an "
                                        "approximate (faiss inverted-file) index, or an "
                                        "earlier audit's graph extended")
    umap_fit_rows: Optional[int] = Field(description="null, or the size of the seeded sample "
                                                     "UMAP was fitted on")
    umap: str = Field(description="whether UMAP was fitted on every row or on a sample with "
                                  "the other rows placed on it")


class Engine(_Strict):
    """Where the per-row stages ran (``engine``)."""

    engine: Literal["local", "ray"]
    nodes: Optional[int] = Field(None, ge=1, description="ray: the cluster's live nodes")
    cpus: Optional[int] = Field(None, ge=1, description="ray: the cluster's CPUs")
    blocks: Optional[int] = Field(None, ge=1, description="ray: Ray Data blocks of rows")
    address: Optional[str] = Field(None, description="ray: the cluster address, or 'local'")
    row_stages_seconds: Optional[float] = Field(
        None, ge=0, description="ray: seconds for reading, embedding and text checks")


class Batch(_Strict):
    """One set of rows audited together (``batches``, after rows were added)."""

    batch: int = Field(ge=0)
    file: Optional[str]
    rows: int = Field(ge=0, description="rows kept")
    blank_rows: int = Field(ge=0, description="blank texts dropped")
    columns: dict[str, Optional[Column]] = Field(description="text, label and generator column")


class Band(_Strict):
    """One figure read against no difference (``no_difference.figures``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    value: Share = Field(description="the audit's own value of the figure")
    what: str
    from_: str = Field(alias="from", description="how its reference was built: shuffles, "
                                                  "leave one out, exact")
    good: str = Field(description="the good direction: low, high or near 1")
    mean: Share = Field(description="the figure's mean with no difference")
    sd: Share = Field(description="its standard deviation with no difference")
    low: Share = Field(description="the band: the central 99.7% with no difference")
    high: Share
    reading: Optional[str] = Field(description="'expected even with no difference', 'higher "
                                               "than with no difference' or 'lower ...'")


class NoDifference(_Strict):
    """What every figure looks like with no difference between the sides (``no_difference``;
    :mod:`synth_quality.analysis.reference`)."""

    method: dict[str, str] = Field(description="how each construction was made")
    repeats: int = Field(ge=1, description="shuffles of the labels")
    fdr: float = Field(gt=0, le=1, description="false discovery rate of the per-row flags")
    band: str = Field(description="what a band is")
    figures: dict[str, Band] = Field(description="figure -> its value, band and reading")


class ViewAUCs(_Strict):
    """The detection AUC in each view (``second_view.detection_auc``)."""

    embedding: Share = figure("detection AUC on the embeddings (these rows)", HIGH_IS_BAD,
                              fraction=True)
    words: Share = figure("detection AUC on the words", HIGH_IS_BAD, fraction=True)
    words_ci: tuple[Share, Share] = Field(description="DeLong 95% interval of the words' AUC")
    no_difference_high: Share = Field(description="the top of the AUC's no-difference band")


class Agreement(_Strict):
    """How one per-row score agrees between the two views."""

    spearman_real: Share = Field(description="rank correlation on real rows")
    spearman_synthetic: Share = Field(description="rank correlation on synthetic rows")
    flagged_embedding: Optional[int] = Field(None, ge=0, description="rows flagged by the "
                                                                     "embedding's view")
    flagged_words: Optional[int] = Field(None, ge=0, description="rows flagged by the words'")
    flag_overlap: Share = Field(None, description="Jaccard overlap of the flagged rows")


class SecondView(_Strict):
    """The model-free view (TF-IDF of words and characters): ``second_view``
    (:mod:`synth_quality.analysis.lexical`)."""

    representation: str
    rows: int = Field(ge=0, description="rows it was computed on (a stratified sample above "
                                        "reference.second_view_rows)")
    detection_auc: ViewAUCs
    agreement: dict[str, Agreement] = Field(description="score -> how the two views agree")
    disagreements: list[str] = Field(description="where the views tell different stories")
    sentence: str


# ------------------------------------------------- centre or corners, diversity, rounds (1.2)

Reading = Optional[str]


def banded(description: str, direction: str | None = None, default: Any = ...) -> Any:
    """A nested figure (:class:`BandedFigure`, :class:`DiversityFigure`): its description and,
    when one direction is bad, ``direction`` (kept in the JSON Schema)."""
    extra = {"direction": direction} if direction else None
    return Field(default, description=description, json_schema_extra=extra)


class BandedFigure(_Strict):
    """A figure of centre or corners or of a round, beside its no-difference band (as in
    ``no_difference.figures``)."""

    value: Share = Field(description="the figure")
    mean: Share = Field(description="its mean with no difference")
    sd: Share = Field(description="its standard deviation with no difference")
    low: Share = Field(description="the band: the central 99.7% with no difference")
    high: Share
    reading: Reading = Field(description="'expected even with no difference', 'higher than "
                                         "with no difference' or 'lower ...'")


class CoverageBand(_Strict):
    """Coverage's exact no-difference value at a band's size."""

    mean: Share
    low: Share
    high: Share


class CornersBand(_Strict):
    """One density band of the real rows (``centre_vs_corners.bands``), 1 = densest."""

    band: int = Field(ge=1, description="1 = the densest real rows, n_bands = the rarest")
    radius_low: float = Field(description="smallest k-NN radius (cosine distance) in the band")
    radius_high: float = Field(description="largest k-NN radius in the band")
    n_real: int = Field(ge=0, description="real rows in the band")
    real_share: float = figure("share of the real rows in the band (about 1 / n_bands)",
                               fraction=True)
    n_synthetic: int = Field(ge=0, description="synthetic rows whose nearest real row is in "
                                               "the band")
    synthetic_share: Share = figure("share of the synthetic rows whose nearest real row is in "
                                    "the band; read against mean / low / high", fraction=True)
    mean: Share = Field(description="the share a left-out real row's nearest real row gives "
                                    "(no difference)")
    sd: Share
    low: Share = Field(description="the synthetic share's band with no difference")
    high: Share
    reading: Reading = Field(description="the synthetic share against that band")
    coverage: Share = figure("the band's real rows with a synthetic row inside their k-NN ball",
                             HIGH_IS_GOOD, fraction=True)
    coverage_no_difference: CoverageBand = Field(description="coverage's band at the band's "
                                                             "size")
    coverage_reading: Reading
    median_rarity: Share = figure("median rarity score of the band's synthetic rows", ge=0)
    keywords: list[str] = Field(description="c-TF-IDF words of the band's real rows")


class Rarity(_Strict):
    """Rarity scores of the synthetic rows against left-out real rows'
    (``centre_vs_corners.rarity``)."""

    median: Share = figure("median rarity score (cosine distance) of the synthetic rows", ge=0)
    median_no_difference: Share = Field(description="the same of real rows left out")
    outside_share: float = figure("synthetic rows inside no real k-NN ball (rarity null)",
                                  HIGH_IS_BAD, fraction=True)
    outside_share_no_difference: float = Field(description="the same of real rows left out")


class Curve(_Strict):
    """A curve's points, each beside the same point of rows left out (no difference)."""

    value: list[Share] = Field(description="the curve")
    mean: list[Share] = Field(description="the same curve of rows left out")
    low: list[Share]
    high: list[Share]
    reading: list[Reading]


class AlphaPrecision(Curve):
    """alpha-precision (Alaa et al. 2022): synthetic rows inside the real alpha-support."""

    alpha: list[float] = Field(description="the shares of the densest real rows; 1 = precision")


class BetaRecall(Curve):
    """beta-recall (Alaa et al. 2022): real rows inside the synthetic beta-support."""

    beta: list[float] = Field(description="the shares of the densest synthetic rows; 1 = "
                                          "recall")


class CentreVsCorners(_Strict):
    """Does the synthetic data fill the dense middle of the real rows or reach their rare
    corners (``centre_vs_corners``; :mod:`synth_quality.analysis.corners`)."""

    n_bands: int = Field(ge=2, description="bands of the real rows, typical to rare")
    k: int = Field(ge=1, description="the k of the k-NN radius (score.manifold_k)")
    centre_bands: list[int] = Field(description="the bands of the centre (1-based)")
    tail_bands: list[int] = Field(description="the bands of the tail (1-based)")
    centre_share: float = Field(ge=0, le=1, description="share of the real rows in the centre")
    tail_share: float = Field(ge=0, le=1, description="share of the real rows in the tail")
    bands: list[CornersBand]
    centre_mass: BandedFigure = banded("share of synthetic rows next to the densest real rows",
                                       HIGH_IS_BAD)
    tail_mass: BandedFigure = banded("share of synthetic rows next to the rarest real rows",
                                     HIGH_IS_GOOD)
    position: BandedFigure = banded("mean band position of the synthetic rows (0 = densest "
                                    "end, 1 = rarest)")
    bands_outside: list[int] = Field(description="bands whose synthetic share is outside its "
                                                 "band")
    rarity: Rarity
    alpha_precision: AlphaPrecision
    beta_recall: BetaRecall
    verdict: Literal["fills the middle", "covers the corners", "even"] = Field(
        description="'even' when every band's share is inside its no-difference band")
    sentence: str = Field(description="the verdict in words")


class DiversityInterval(_Strict):
    """A diversity measure of the real side with its 95% interval."""

    value: Share
    ci: tuple[Share, Share] = Field(description="95% interval")


class DiversityFigure(_Strict):
    """A diversity measure of some synthetic rows: 95% interval, and its band on equal-sized
    samples of the real rows (no difference)."""

    value: Share
    ci: tuple[Share, Share] = Field(description="95% interval")
    mean: Share = Field(description="the measure on samples of the real rows")
    sd: Share
    low: Share = Field(description="the band with no difference")
    high: Share
    reading: Reading


class Measure(_Strict):
    """What a diversity measure is (``diversity.measures``)."""

    what: str
    good: Literal["high", "low"] = Field(description="the good direction")


class RealDiversity(_Strict):
    """The real side's diversity measures (``diversity.real``)."""

    rows: int = Field(ge=0, description="rows per sample")
    vendi: DiversityInterval
    distinct_1: DiversityInterval
    distinct_2: DiversityInterval
    compression_ratio: DiversityInterval
    self_bleu: DiversityInterval


class GroupDiversity(_Strict):
    """Diversity measures of the synthetic side, a generator or a round."""

    rows: int = Field(ge=0, description="rows per sample")
    vendi: DiversityFigure = banded("Vendi score: effective number of distinct rows",
                                    HIGH_IS_GOOD)
    distinct_1: DiversityFigure = banded("distinct words / words", HIGH_IS_GOOD)
    distinct_2: DiversityFigure = banded("distinct word pairs / word pairs", HIGH_IS_GOOD)
    compression_ratio: DiversityFigure = banded("text size / gzip size", HIGH_IS_BAD)
    self_bleu: DiversityFigure = banded("self-BLEU-4, each row against the others",
                                        HIGH_IS_BAD)


class Mauve(_Strict):
    """MAUVE between the sides (``diversity.mauve``)."""

    value: Share = figure("1 = the same distribution", HIGH_IS_GOOD, fraction=True)
    ci: tuple[Share, Share] = Field(description="95% bootstrap interval")
    mean: Share = Field(description="MAUVE with shuffled side labels")
    sd: Share
    low: Share = Field(description="the band with no difference")
    high: Share
    reading: Reading
    rows: tuple[int, int] = Field(description="real and synthetic rows compared")
    buckets: int = Field(ge=2, description="k-means clusters of the quantisation")
    good: str
    what: str


class Diversity(_Strict):
    """Diversity of each side, generator and round, and MAUVE between the sides
    (``diversity``; :mod:`synth_quality.analysis.diversity`)."""

    rows: int = Field(ge=0, description="rows per sample of each side")
    repeats: int = Field(ge=1, description="subsamples per figure")
    measures: dict[str, Measure] = Field(description="measure -> what it is, the good "
                                                     "direction")
    real: RealDiversity
    synthetic: GroupDiversity
    by_round: dict[str, GroupDiversity] = Field(description="round (batch) -> its measures")
    by_generator: dict[str, GroupDiversity] = Field(description="generator -> its measures")
    mauve: Mauve
    sentence: str


class GroupFigures(_Strict):
    """One generator's or round's centre or corners figures (``rounds``)."""

    n_synthetic: int = Field(ge=0)
    centre_mass: BandedFigure = banded("share of its rows next to the densest real rows",
                                       HIGH_IS_BAD)
    tail_mass: BandedFigure = banded("share of its rows next to the rarest real rows",
                                     HIGH_IS_GOOD)
    position: BandedFigure = banded("mean band position of its rows")
    coverage: BandedFigure = banded("real rows with a row of the group inside their ball",
                                    HIGH_IS_GOOD)
    recall: BandedFigure = banded("real rows inside the ball of a row of the group",
                                  HIGH_IS_GOOD)
    vendi: Optional[DiversityFigure] = banded("its Vendi score (when diversity was measured)",
                                              HIGH_IS_GOOD, None)
    distinct_2: Optional[DiversityFigure] = banded("its distinct-2 (when measured)",
                                                   HIGH_IS_GOOD, None)


class RoundFigures(GroupFigures):
    """One round of generation (a batch)."""

    round: int = Field(ge=0, description="the batch: 0 = the first audit's synthetic rows")


class Rounds(_Strict):
    """Rounds of generation and generators side by side, and the collapse test (``rounds``;
    :mod:`synth_quality.analysis.rounds`)."""

    by_round: list[RoundFigures] = Field(description="rounds in order ([] with one round)")
    by_generator: dict[str, GroupFigures] = Field(description="generator -> its figures")
    tails_shrinking: bool = Field(description="the tail mass falls every round and the trend "
                                              "test is below corners.trend_alpha")
    falling_every_round: Optional[bool] = Field(None, description="absent with under two "
                                                                  "rounds")
    z: Share = Field(description="Cochran-Armitage z of the tail mass over the rounds")
    p_value: Share = Field(ge=0, le=1, description="its one-sided p-value (falling)")
    warning: Optional[str] = Field(description="the collapse warning, or null")


class Summary(_Strict):
    """``summary.json``: every top-level key an audit writes."""

    schema_version: str = Field(pattern=r"^\d+\.\d+$",
                                description="MAJOR.MINOR of this schema the file follows")
    n_rows: int = Field(ge=0)
    n_real: int = Field(ge=0)
    n_synthetic: int = Field(ge=0)
    real_share: float = figure("n_real / n_rows", fraction=True)
    prior: str = Field(description="the class ratio, stated in words")
    detection_auc: Share = figure(
        "out-of-fold AUC of the real-vs-synthetic classifier: 0.5 = indistinguishable, "
        "1 = trivially separable", HIGH_IS_BAD, fraction=True)
    detection_auc_ci: tuple[Share, Share] = Field(description="DeLong 95% interval of the AUC")
    unrealistic: Share = figure("1 - mean label issue score of synthetic rows "
                                "(0.5 = indistinguishable from real)", HIGH_IS_BAD, fraction=True)
    unrepresentative: Share = figure("1 - mean label issue score of real rows: real data the "
                                     "synthetic side fails to imitate", HIGH_IS_BAD, fraction=True)
    unvaried: Share = figure("share of synthetic rows in near-duplicate groups with no real row",
                             HIGH_IS_BAD, fraction=True)
    unoriginal: Share = figure("share of synthetic rows in near-duplicate groups that contain a "
                               "real row", HIGH_IS_BAD, fraction=True)
    precision: Share = figure("share of synthetic rows inside the real manifold (realistic)",
                              HIGH_IS_GOOD, fraction=True)
    recall: Share = figure("share of real rows inside the synthetic manifold (diverse)",
                           HIGH_IS_GOOD, fraction=True)
    density: Share = figure("about 1 normal; above 1 = crowding onto real modes", ge=0)
    coverage: Share = figure("share of real rows with a synthetic row in their neighbourhood",
                             HIGH_IS_GOOD, fraction=True)
    categories: dict[str, int] = Field(description="rows per category")
    n_outliers: int = figure("isolated rows, either side", HIGH_IS_BAD, ge=0)
    n_degenerate: int = figure("synthetic repetition loops and stutters", HIGH_IS_BAD, ge=0)
    n_copies_of_real: int = figure("synthetic rows that near-copy a real row", HIGH_IS_BAD, ge=0)
    n_near_duplicate_groups: int = figure("groups of near-identical rows", HIGH_IS_BAD, ge=0)
    n_real_uncovered: int = figure("real rows flagged is_uncovered: the synthetic rows stay "
                                   "farther away than chance explains", HIGH_IS_BAD, ge=0)
    n_synthetic_uncovered: int = figure("synthetic rows flagged is_uncovered", HIGH_IS_BAD, ge=0)
    n_real_detectable: int = figure("real rows flagged is_detectable (the classifier is surer "
                                    "of their side than chance explains)", HIGH_IS_BAD, ge=0)
    n_synthetic_detectable: int = figure("synthetic rows flagged is_detectable", HIGH_IS_BAD,
                                         ge=0)
    n_synthetic_off_manifold: int = figure("synthetic rows outside Naeem's real manifold "
                                           "(uncalibrated)", HIGH_IS_BAD, ge=0)
    n_clusters: int = Field(ge=0, description="HDBSCAN clusters, noise not counted")
    n_clusters_real_only: int = figure("modes of the real data the synthetic data misses",
                                       HIGH_IS_BAD, ge=0)
    n_clusters_synthetic_only: int = figure("modes the generator invented", HIGH_IS_BAD, ge=0)
    noise_share: float = figure("share of rows HDBSCAN left as noise", fraction=True)
    uncovered_regions: list[Region] = Field(
        description="the largest one-sided regions: groups of similar rows with significantly "
                    "few rows of the other side")
    no_difference: NoDifference = Field(description="every figure's no-difference band")
    second_view: Optional[SecondView] = Field(
        None, description="the model-free second view (absent when "
                          "reference.second_view_rows is 0)")
    min_cluster_size_used: int = Field(ge=2, description="HDBSCAN's minimum cluster size")
    min_samples_used: int = Field(ge=1, description="HDBSCAN's min_samples")
    artifacts: list[Artifact] = Field(description="surface features, most separating first")
    by_generator: dict[str, GeneratorFigures] = Field(
        description="generator -> its figures ({} without a generator column)")
    labels: Optional[Labels] = Field(None, description="with a label column: whose labels look "
                                                       "wrong (schema 1.2)")
    pairs: Optional[Pairs] = Field(None, description="paired data: answers against the human "
                                                     "answer of the same prompt (schema 1.2)")
    chat: Optional[Chat] = Field(None, description="chats: conversation shape per side "
                                                   "(schema 1.2)")
    fields: Optional[Fields] = Field(None, description="several text fields or chats: each "
                                                       "field's own audit (schema 1.2)")
    inputs: Inputs
    embedding: Embedding
    random_state: Optional[int]
    versions: dict[str, Optional[str]] = Field(description="Python and package versions")
    timings: dict[str, float] = Field(description="seconds per stage (keys: synth_quality."
                                                  "progress.Stage) and in total")
    warnings: list[str]
    warm_start: Optional[WarmStart] = Field(
        description="null, or how UMAP started from an earlier audit's layouts")
    verdict: str = Field(description="the findings in a few sentences")
    config: dict[str, Any] = Field(description="the settings (AuditConfig.to_dict(); "
                                               "synth_quality/config.py documents each)")
    batches: Optional[list[Batch]] = Field(
        None, description="only after rows were added: one entry per batch")
    scale: Scale = Field(description="which size-dependent paths ran (schema 1.1; readers "
                                     "fill it in for older audits: ADDED_IN_1_1)")
    engine: Engine = Field(description="where embedding and text checks ran (schema 1.1)")
    centre_vs_corners: Optional[CentreVsCorners] = Field(
        description="density bands of the real rows and where the synthetic rows sit among "
                    "them (schema 1.2; null with under 10 real rows)")
    diversity: Optional[Diversity] = Field(
        description="diversity of each side, generator and round, and MAUVE (schema 1.2; null "
                    "with under 20 rows a side or corners.diversity_rows 0)")
    rounds: Optional[Rounds] = Field(
        description="rounds and generators side by side, and the collapse warning (schema 1.2; "
                    "null without two rounds or a generator column)")


#: Keys added in schema 1.1, and what an audit written before them ran (read_summary fills
#: them in, so an older audit still opens).
ADDED_IN_1_1 = {
    "scale": {"neighbours": "exact", "umap_fit_rows": None, "umap": "fitted on every row"},
    "engine": {"engine": "local"},
}
#: Keys added in schema 1.2: an audit written before them did not measure them.
ADDED_IN_1_2 = {"centre_vs_corners": None, "diversity": None, "rounds": None}

#: Keys that may be absent from a summary.json this version writes.
OPTIONAL_KEYS = frozenset(name for name, f in Summary.model_fields.items()
                          if not f.is_required())


def figure_direction(model: type[BaseModel], name: str) -> str | None:
    """The ``direction`` of a numeric field (None: neither direction is bad)."""
    extra = model.model_fields[name].json_schema_extra
    return extra.get("direction") if isinstance(extra, dict) else None


def _one_line(error: ValidationError, limit: int = 3) -> str:
    parts = []
    for e in error.errors()[:limit]:
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        what = ("undeclared key (declare it in synth_quality/schema.py)"
                if e["type"] == "extra_forbidden" else e["msg"].lower())
        parts.append(f"{where}: {what}")
    more = error.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def validate_summary(summary: dict, where: str = "summary") -> Summary:
    """The summary, checked against the schema as this version writes it (as JSON, strictly:
    no string read as a number); raises InputDataError naming the first problems (an
    undeclared key, a missing one, a wrong type)."""
    try:
        text = json.dumps(summary, allow_nan=False)
    except (TypeError, ValueError) as exc:   # NaN, or a value JSON cannot hold
        raise InputDataError(f"{where} cannot be written as JSON ({exc}); convert it with "
                             "synth_quality.result.jsonable", kind=ErrorKind.AUDIT_FOLDER) from None
    try:
        parsed = Summary.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise InputDataError(f"{where} does not match the summary schema {SCHEMA_VERSION}: "
                             f"{_one_line(exc)}", kind=ErrorKind.AUDIT_FOLDER) from None
    if parsed.schema_version != SCHEMA_VERSION:
        raise InputDataError(f"{where} says schema_version {parsed.schema_version}; this "
                             f"synth-quality writes {SCHEMA_VERSION}", kind=ErrorKind.AUDIT_FOLDER)
    return parsed


def _known_keys(annotation, value):
    """``value`` with the keys ``annotation`` (a schema model, or a type built of them) does not
    declare left out, at every level: what a newer minor version added."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, dict):
            return value
        fields = {f.alias or name: f for name, f in annotation.model_fields.items()}
        return {k: _known_keys(fields[k].annotation, v) for k, v in value.items() if k in fields}
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return {k: _known_keys(args[1], v) for k, v in value.items()}
    if origin in (list, tuple) and isinstance(value, list) and args:
        return [_known_keys(args[0], v) for v in value]
    if origin is Union and len(args) == 1:   # Optional[X]
        return _known_keys(args[0], value)
    return value


def major(version: str) -> int:
    return int(str(version).split(".")[0])


def read_summary(summary: dict, where: str = "summary.json") -> Summary:
    """A saved or in-memory summary as a :class:`Summary`, for readers.

    Keys this version does not know, at any level, are ignored (written by a newer minor
    version). Raises InputDataError when the summary was written with a newer major version, or
    lacks a key or has a value this version needs (then the audit must be run again).
    """
    version = summary.get("schema_version") or "0.0"
    if not isinstance(version, str) or not version.replace(".", "").isdigit():
        raise InputDataError(f"{where}: schema_version {version!r} is not MAJOR.MINOR",
                             kind=ErrorKind.AUDIT_FOLDER)
    if major(version) > major(SCHEMA_VERSION):
        raise InputDataError(f"{where} was written with summary schema {version}; this "
                             f"synth-quality reads {SCHEMA_VERSION} and older: upgrade it",
                             kind=ErrorKind.AUDIT_FOLDER)
    known = dict(_known_keys(Summary, summary), schema_version=version)
    for key, value in {**ADDED_IN_1_1, **ADDED_IN_1_2}.items():   # audits written before
        known.setdefault(key, value)
    try:
        return Summary.model_validate(known)
    except ValidationError as exc:
        raise InputDataError(f"{where} (schema {version}) lacks what this synth-quality reads "
                             f"({_one_line(exc, 2)}); run the audit again",
                             kind=ErrorKind.AUDIT_FOLDER) from None


# --------------------------------------------------------------------------- the JSON Schema

def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of ``summary.json``, as shipped in :data:`SCHEMA_FILE`."""
    schema = Summary.model_json_schema(mode="validation")
    schema["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "synth-quality summary.json",
            "description": (f"summary.json of synth-quality, schema version {SCHEMA_VERSION}. "
                            "Generated from synth_quality/schema.py by `python -m "
                            "synth_quality.schema`; do not edit."),
            "version": SCHEMA_VERSION,
            **{k: v for k, v in schema.items() if k not in ("title", "description")}}


def schema_text() -> str:
    """:func:`json_schema` as the shipped file's text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def check_with_json_schema(summary: dict, where: str = "summary") -> None:
    """Validate a summary (as written, after JSON conversion) with the shipped JSON Schema file
    (jsonschema, a test dependency); raises InputDataError on the first problem."""
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(summary))
    if error is not None:
        path = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputDataError(f"{where} fails {SCHEMA_FILE.name} at {path}: {error.message}",
                             kind=ErrorKind.AUDIT_FOLDER)


def validation_requested() -> bool:
    """Whether ``SYNTH_QUALITY_VALIDATE_SUMMARY`` asks ``AuditResult.save`` to validate."""
    return os.environ.get(VALIDATE_ENV, "") not in ("", "0")


if __name__ == "__main__":
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
