"""The real-data control: does the synthetic data help a real task?

:func:`run_lift` trains the same downstream classifier (default: scikit-learn's
``LogisticRegression(max_iter=2000)`` on the cached sentence embeddings) on

1. the real training rows only,
2. the real training rows plus the synthetic rows,
3. the synthetic rows only ("train synthetic, test real"),

scores each on a **real** evaluation set (a file the user gives, else a stratified held-out
split of the real rows; never synthetic rows) and reports the **lift**,
``score(real + synthetic) - score(real only)``, with a 95 % interval and a verdict in words:
"helps", "no significant lift" or "hurts". It also measures

- the lift of real + each generator's rows (``per_generator``);
- the lift when adding 25 %, 50 %, 100 % of the synthetic rows (``how_much``);
- the lift after dropping the worst k % of synthetic rows as ranked by each audit signal,
  against dropping as many rows at random (``filter_and_retest``): does the audit's ranking
  find the rows that hurt?

Evaluation rows that also appear among the training rows, exactly (same text after
lowercasing and collapsing whitespace) or nearly (cosine similarity >= 0.95 with a real or
synthetic training row), are excluded and reported: a copy of a test row in the training data
inflates the score of the model that saw it.

How the interval is built
-------------------------
Two kinds of chance move a score: which real rows happen to be in the evaluation set, and which
training rows the model happened to see. Both are resampled, and the interval pools them:

- **Training replicates** (``n_seeds``). Replicate 0 is the plain fit on every training row: the
  number a user would get by hand, and the score reported. Replicates 1 .. n_seeds-1 refit on
  Bayesian-bootstrap weights of the training rows (Rubin 1981: one exponential(1) weight per
  row, passed as ``sample_weight``), so every row is kept but each fit sees a different
  training sample's worth of evidence. A model whose ``fit`` takes no ``sample_weight`` gets a
  Poisson(1) bootstrap instead (rows repeated 0, 1, 2... times). The model seed is
  ``random_state + replicate``. All models of one replicate share the same weights, so every
  comparison is paired. (With lbfgs a logistic regression hardly depends on its seed, which is
  why the training rows themselves are resampled.)
- **Evaluation bootstrap** (``n_bootstrap``). Resamples of the evaluation rows with replacement;
  both models of a comparison are scored on the same resample (a paired bootstrap).
  Resample b uses training replicate ``b mod n_seeds``.

The interval of a lift is the (alpha/2, 1 - alpha/2) percentile interval of the pooled paired
differences, shifted so that their centre (the mean over replicates of each replicate's lift on
all evaluation rows) is the plain fits' lift: a reweighted training set carries less information
than the whole one (about half the effective rows), so its models score a little lower; the
replicates give the spread, the plain fits the level. The verdict is "helps" when the
interval's lower end is above 0, "hurts" when its upper end is below 0, else "no significant
lift". ``p_value`` is the matching two-sided bootstrap p-value; ``mcnemar_p`` is McNemar's
exact test on the plain fits (evaluation sampling only, accuracy). On the reference case
(1,000 evaluation rows) the interval of the accuracy lift is about +-3 points wide, so a
one-point difference is reported as not significant.

Filter-and-retest compares each signal's plain fit with ``n_random_draws`` plain fits that
drop as many rows at random; its interval pools the draws and the evaluation bootstrap
(resample b uses draw ``b mod n_random_draws``), paired on the evaluation rows.

Cost: every model is a logistic regression on 384-d vectors, fitted with one BLAS thread
(about 0.1 s on 9,000 rows); fits are cached by their training rows, so "real + 100 % of the
synthetic rows" is fitted once. The curves (``how_much`` and the signals' drops) use
``curve_seeds`` replicates per point (default: ``n_seeds``). On the reference case (1,000 real,
8,350 synthetic rows, cached embeddings) the whole control makes 135 fits and takes about 25 s
on two busy cores.

Ranking signals for filter-and-retest (worst first), from the audit's examples table when given
(matched on ``(side, row)``), else computed here with the audit's own functions and defaults:

- ``label_issue``: the detector's ``label_issue_score``, lowest first (most obviously synthetic);
  computed with :func:`synth_quality.analysis.detect.out_of_fold_p_synthetic` on the training rows.
- ``outlier``: ``outlier_score``, highest first (:func:`synth_quality.analysis.scores.outlier_scores`).
- ``duplicate``: copies of real rows first (``is_copy_of_real``, or in a near-duplicate group
  with a real row), then the redundant members of synthetic near-duplicate groups (the first
  member of each group is kept), largest groups first, then by ``nearest_real_similarity``.
- ``degeneration``: ``repetition_score``, highest first
  (:func:`synth_quality.analysis.text_checks.repetition_scores`).
- ``label_quality``: the task label's ``label_quality``, lowest first (the text looks least like
  its label; :func:`synth_quality.analysis.labels.label_quality` on the training rows).

Ties are broken at random (seeded), so a signal that flags only 2 % of the rows drops random
rows beyond its flagged ones; ``n_flagged`` says how many rows each signal flags.

This module holds the settings, the result and the orchestration; the work is in
:mod:`synth_quality.lift.config` (the settings), :mod:`synth_quality.lift.evalset` (the
evaluation set and the leakage guard), :mod:`synth_quality.lift.signals` (the rankings for
filter-and-retest), :mod:`synth_quality.lift.fits` (the model fits),
:mod:`synth_quality.lift.bootstrap` (the intervals and the verdict),
:mod:`synth_quality.lift.summary` (the numbers of ``lift.json`` and their sentences) and
:mod:`synth_quality.lift.result` (the result and its files).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from synth_quality.config import EmbedConfig
from synth_quality.embed.api import embed_texts
from synth_quality.errors import ConfigError, InputDataError
from synth_quality.io import AuditInput, listing, load_inputs, plural
from synth_quality.lift.bands import (generation_leakage, leakage_sentence, lift_by_band,
                                     recommended_filter)
from synth_quality.lift.bootstrap import Bootstrap
from synth_quality.lift.config import HELD_OUT_SOURCE, MIN_EVAL_ROWS, LiftConfig
from synth_quality.lift.evalset import holdout, leakage, read_eval
from synth_quality.lift.fits import Fitter, plan
from synth_quality.lift.result import LiftResult
from synth_quality.lift.signals import rankings
from synth_quality.lift.summary import eval_table, findings, summarise, verdict_sentence
from synth_quality.progress import ProgressCallback, Stage, StageTimer, null_progress

# ------------------------------------------------------------------------------ entry point

def default_model_factory(seed: int):
    """The default downstream model: ``LogisticRegression(max_iter=2000, random_state=seed)``."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000, random_state=seed)


def run_lift(inputs: AuditInput | None = None, eval_data=None, *, label_column: str | None = None,
             eval_text_column: str | None = None, eval_label_column: str | None = None,
             eval_name: str | None = None, config: LiftConfig | None = None,
             embed_config: EmbedConfig | None = None, embedder=None,
             model_factory: Callable[[int], Any] | None = None, model_name: str | None = None,
             audit_examples: pd.DataFrame | None = None,
             progress: ProgressCallback | None = None, **load_kwargs) -> LiftResult:
    """Measure whether adding the synthetic rows helps a model scored on real rows.

    Parameters
    ----------
    inputs : AuditInput, optional
        Loaded rows with a task label column. If None, ``load_kwargs`` (``real=``,
        ``synthetic=``, ``data=``, ``source_column=``, ``text_column=``, ``generator_column=``
        ...) and ``label_column`` go to :func:`synth_quality.io.load_inputs`.
    eval_data : path, bytes or pandas.DataFrame, optional
        The real evaluation table. None holds out ``config.holdout_fraction`` of each class
        of real rows instead.
    label_column : str, optional
        The task label column (must be the one ``inputs`` was loaded with, if given).
    eval_text_column, eval_label_column : str, optional
        Columns of the evaluation table: the text column is picked like the inputs' (a column
        named text, sentence, review...), the label column defaults to ``label_column``.
    eval_name : str, optional
        The evaluation table's name in messages (needed for bytes: the file name).
    config : LiftConfig, optional
    embed_config : EmbedConfig, optional
        The embedding model and cache: the audit's cache, so nothing is embedded twice.
    embedder : Embedder, optional
        Replaces the sentence-transformers model (tests pass a fast fake).
    model_factory : callable, optional
        ``model_factory(seed)`` returns an unfitted scikit-learn classifier; default
        :func:`default_model_factory`.
    model_name : str, optional
        How the model is described in the result (default: the factory's model's repr).
    audit_examples : pandas.DataFrame, optional
        The audit's ``examples`` table, whose scores rank the synthetic rows for
        filter-and-retest (matched on ``side`` and ``row``). Without it the signals are
        computed here.
    progress : callable, optional
        ``progress(stage, done, total)``: "embedding" per batch, "ranking" (no ticks) and
        "lift" once per model fit.

    Returns
    -------
    LiftResult

    Raises
    ------
    InputDataError
        No label column, labels that do not match, an evaluation table that is missing,
        unreadable, too small or all leaked.
    """
    config = config or LiftConfig()
    embed_config = embed_config or EmbedConfig()
    progress = progress or null_progress
    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*converge.*")
        if inputs is None:
            with StageTimer(progress, timings, Stage.LOADING):
                inputs = load_inputs(label_column=label_column, **load_kwargs)
        elif label_column is not None and label_column != inputs.label_column:
            raise InputDataError(f"label column {label_column!r} was asked for, but the inputs "
                                 f"were loaded with {inputs.label_column!r}; load them with "
                                 f"label_column={label_column!r}")
        run = LiftRun(inputs=inputs, eval_source=EvalSource(eval_data, eval_text_column,
                                                            eval_label_column, eval_name),
                      config=config, embed_config=embed_config, embedder=embedder,
                      model_factory=model_factory or default_model_factory,
                      model_name=model_name, audit_examples=audit_examples,
                      progress=progress, timings=timings, notes=notes)
        summary, eval_rows = _run(run)
    notes = list(dict.fromkeys(list(inputs.warnings) + notes))
    timings["total"] = round(time.perf_counter() - t_start, 3)
    summary["timings"] = timings
    summary["warnings"] = notes
    return LiftResult(summary, eval_rows, notes)


# -------------------------------------------------------------------------------- the work

@dataclass(frozen=True)
class EvalSource:
    """Where the evaluation rows come from: a table (path, bytes or DataFrame) and its columns,
    or None for a held-out split of the real rows."""

    data: Any = None
    text_column: str | None = None
    label_column: str | None = None
    name: str | None = None


@dataclass
class LiftRun:
    """One run of the control: its inputs and settings, and the timings and notes it adds to."""

    inputs: AuditInput
    eval_source: EvalSource
    config: LiftConfig
    embed_config: EmbedConfig
    embedder: Any
    model_factory: Callable[[int], Any]
    model_name: str | None
    audit_examples: pd.DataFrame | None
    progress: ProgressCallback
    timings: dict
    notes: list


@dataclass
class Rows:
    """The labelled rows: real training rows, synthetic rows and the evaluation set."""

    train_real: pd.DataFrame
    synthetic: pd.DataFrame
    eval_frame: pd.DataFrame
    eval_source: str
    classes: list


def _run(run: LiftRun) -> tuple[dict, pd.DataFrame]:
    config, progress, timings = run.config, run.progress, run.timings
    rng = np.random.default_rng(config.random_state)
    rows = _split_rows(run, rng)
    train = pd.concat([rows.train_real, rows.synthetic], ignore_index=True)
    n_real = len(rows.train_real)
    is_syn = np.arange(len(train)) >= n_real

    # embeddings: one call, the audit's cache
    t0 = time.perf_counter()
    texts = train["text"].astype(str).tolist() + rows.eval_frame["text"].astype(str).tolist()
    vectors, embed_info = embed_texts(texts, run.embed_config, embedder=run.embedder,
                                      progress=progress)
    X, X_eval_all = vectors[:len(train)], vectors[len(train):]
    timings[Stage.EMBEDDING] = round(time.perf_counter() - t0, 3)

    with StageTimer(progress, timings, Stage.LEAKAGE):
        leak = leakage(train, X, rows.eval_frame, X_eval_all, config.near_duplicate_similarity)
    keep = _kept_eval_rows(run, rows, leak)
    code = {c: i for i, c in enumerate(rows.classes)}
    y = np.array([code[v] for v in train["label"]], dtype=np.int64)
    y_eval = np.array([code[v] for v in rows.eval_frame["label"][keep]], dtype=np.int64)

    # rankings for filter-and-retest
    signals = {}
    if config.signals:
        with StageTimer(progress, timings, Stage.RANKING):
            signals = rankings(train, X, n_real, run.audit_examples, config, rng)

    # plan every model fit, then run them
    fitter = Fitter(X, y, X_eval_all[keep], len(rows.classes), run.model_factory, config, rng,
                    progress)
    arms = plan(train, is_syn, signals, config, rng, fitter, run.notes)
    t0 = time.perf_counter()
    fitter.run()
    timings["fitting"] = round(time.perf_counter() - t0, 3)
    timings["n_fits"] = fitter.n_fits

    t0 = time.perf_counter()
    boot = Bootstrap(y_eval, len(rows.classes), config, rng)
    summary = summarise(arms, fitter, boot, config, signals)
    timings["bootstrap"] = round(time.perf_counter() - t0, 3)

    summary.update(_described(run, rows, leak, keep, is_syn, embed_info))
    # Centre or corners (lift.bands): the lift per density band, leakage into generation, the
    # filtered synthetic set measured to help.
    summary["by_band"], eval_band = lift_by_band(X[:n_real], X_eval_all[keep], y_eval,
                                                 len(rows.classes), fitter, arms, config)
    generation = generation_leakage(train, X, n_real, rows.eval_frame, X_eval_all,
                                    config.near_duplicate_similarity)
    summary["eval"]["leaked_into_synthetic"] = generation
    summary["recommended_filter"] = recommended_filter(summary, signals,
                                                       rows.synthetic["row"].to_numpy(np.int64))
    summary["verdict_sentence"] = verdict_sentence(summary)
    extra = [(summary["by_band"] or {}).get("sentence"),
             leakage_sentence(generation, len(rows.eval_frame))]
    summary["findings"] = [summary["verdict_sentence"], *findings(summary),
                           *[e for e in extra if e]]
    eval_rows = eval_table(rows.eval_frame, leak, fitter, arms, rows.classes, keep)
    band = np.zeros(len(eval_rows), np.int64)
    band[np.flatnonzero(keep)] = eval_band
    eval_rows["band"] = pd.array(np.where(band > 0, band, 0), dtype="Int64")
    eval_rows.loc[band <= 0, "band"] = pd.NA
    return summary, eval_rows


def _split_rows(run: LiftRun, rng) -> Rows:
    """The labelled training rows of each side and the evaluation set (a held-out split of
    the real rows, or the evaluation table), checked: labels on both sides, synthetic labels
    that the real rows have, two classes, evaluation labels the training rows have."""
    label_column = run.inputs.label_column
    if label_column is None or "label" not in run.inputs.frame:
        raise InputDataError("the lift control needs a task label column on both sides; pass "
                             "--label-column (e.g. --label-column sentiment)")
    labelled = _labelled_rows(run.inputs.frame.reset_index(drop=True), label_column, run.notes)
    real_part = labelled[labelled["side"] == "real"].reset_index(drop=True)
    syn_part = labelled[labelled["side"] == "synthetic"].reset_index(drop=True)
    given = run.eval_source
    if given.data is None:
        train_real, eval_frame = holdout(real_part, run.config, rng)
        source = HELD_OUT_SOURCE
    else:
        eval_frame, source = read_eval(given.data, given.name, given.text_column,
                                       given.label_column or label_column, run.notes)
        train_real = real_part
    classes = sorted(set(train_real["label"]) | set(syn_part["label"]))
    if len(set(train_real["label"])) < 2:
        raise InputDataError("the real training rows have fewer than two classes after the "
                             "evaluation split; give more real rows or an --eval file")
    outside = sorted(set(eval_frame["label"]) - set(classes))
    if outside:
        counts = eval_frame["label"].value_counts()
        raise InputDataError(f"the evaluation set ({source}) has labels the training rows do not "
                             f"have: {listing(f'{v} ({counts[v]} rows)' for v in outside)}; "
                             f"training labels: {listing(classes)}; fix the labels or pass "
                             "--eval-label-column")
    if run.config.metric == "auc" and len(classes) != 2:
        raise ConfigError(f"lift.metric 'auc' needs two classes; {label_column!r} has "
                          f"{len(classes)} ({listing(classes)}); use accuracy or macro_f1")
    return Rows(train_real, syn_part, eval_frame, source, classes)


def _labelled_rows(frame: pd.DataFrame, label_column: str, notes: list) -> pd.DataFrame:
    """The rows that have a label (those without one are left out, with a note); errors when a
    side has none, a synthetic label is not a real one, or the real rows have one class."""
    side = frame["side"].to_numpy()
    labels = frame["label"].to_numpy(object)
    unlabelled = np.array([v is None for v in labels])
    for name in ("real", "synthetic"):
        on_side = side == name
        missing = int((unlabelled & on_side).sum())
        if missing == int(on_side.sum()):
            raise InputDataError(f"column {label_column!r} is empty on every {name} row; the lift "
                                 "control needs task labels on both sides (pass the right "
                                 "--label-column)")
        if missing:
            rows = frame.loc[unlabelled & on_side, "row"].tolist()
            notes.append(f"left out {plural(missing, name + ' row')} without a "
                         f"{label_column!r} label (rows {listing(rows)})")
    labelled = frame[~unlabelled].reset_index(drop=True)
    real_labels = sorted(set(labelled.loc[labelled["side"] == "real", "label"]))
    syn_labels = sorted(set(labelled.loc[labelled["side"] == "synthetic", "label"]))
    strange = [v for v in syn_labels if v not in real_labels]
    if strange:
        raise InputDataError(f"synthetic rows have {label_column!r} labels that no real row has "
                             f"({listing(strange)}; real labels: {listing(real_labels)}); map "
                             "the synthetic labels to the real ones")
    if len(real_labels) < 2:
        raise InputDataError(f"the real rows have only one {label_column!r} label "
                             f"({listing(real_labels)}); a classifier needs at least two classes")
    return labelled


def _kept_eval_rows(run: LiftRun, rows: Rows, leak: dict) -> np.ndarray:
    """The evaluation rows that do not leak into the training rows; errors when too few are
    left, notes when the set is small or holds one class."""
    keep = ~leak["excluded"]
    n_keep = int(keep.sum())
    if n_keep == 0:
        raise InputDataError(f"all {len(rows.eval_frame)} evaluation rows ({rows.eval_source}) "
                             "also appear among the training rows; pass an evaluation set "
                             "disjoint from the real and synthetic training rows")
    if n_keep < MIN_EVAL_ROWS:
        raise InputDataError(f"only {plural(n_keep, 'evaluation row')} left ({rows.eval_source}, "
                             f"after excluding {int(leak['excluded'].sum())} that leak into the "
                             f"training rows); at least {MIN_EVAL_ROWS} are needed; pass a larger "
                             "--eval file")
    if len(set(rows.eval_frame["label"][keep].tolist())) < 2:
        run.notes.append("the evaluation rows hold only one class: AUC cannot be computed and "
                         "macro-F1 is hard to read")
    if n_keep < 200:
        run.notes.append(f"only {n_keep} evaluation rows: only large lifts can be significant")
    return keep


def _described(run: LiftRun, rows: Rows, leak: dict, keep: np.ndarray, is_syn: np.ndarray,
               embed_info: dict) -> dict:
    """The summary's description of the rows, the evaluation set, the model and the settings."""
    return dict(
        label_column=run.inputs.label_column,
        labels=rows.classes,
        n_train_real=int(len(rows.train_real)),
        n_train_synthetic=int(is_syn.sum()),
        train_label_counts={"real": _counts(rows.train_real["label"]),
                            "synthetic": _counts(rows.synthetic["label"])},
        eval={"source": rows.eval_source, "n_rows": int(keep.sum()),
              "n_rows_given": int(len(rows.eval_frame)),
              "n_excluded_leakage": int(leak["excluded"].sum()),
              "n_exact": int((leak["kind"] == "exact").sum()),
              "n_near": int((leak["kind"] == "near").sum()),
              "excluded_by_side": {s: int(((leak["kind"] != "") & (leak["side"] == s)).sum())
                                   for s in ("real", "synthetic")},
              "near_duplicate_similarity": run.config.near_duplicate_similarity,
              "leakage_examples": leak["examples"],
              "label_counts": _counts(rows.eval_frame["label"][keep])},
        model=run.model_name or _describe(run.model_factory, embed_info),
        embedding=embed_info,
        config=run.config.to_dict(),
    )


def _counts(values) -> dict:
    return {str(k): int(v) for k, v in pd.Series(list(values)).value_counts().sort_index().items()}


def _describe(factory, embed_info) -> str:
    if factory is default_model_factory:
        return f"LogisticRegression(max_iter=2000) on {embed_info.get('model')} embeddings"
    try:
        model = repr(factory(0))
    except Exception:  # a factory that needs more than a seed still gets a name
        model = getattr(factory, "__name__", "custom model")
    model = " ".join(model.split())
    if len(model) > 200:
        model = model[:197] + "..."
    return f"{model} on {embed_info.get('model', 'the')} embeddings"
