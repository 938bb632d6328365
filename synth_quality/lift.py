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
  computed with :func:`synth_quality.detect.out_of_fold_p_synthetic` on the training rows.
- ``outlier``: ``outlier_score``, highest first (:func:`synth_quality.scores.outlier_scores`).
- ``duplicate``: copies of real rows first (``is_copy_of_real``, or in a near-duplicate group
  with a real row), then the redundant members of synthetic near-duplicate groups (the first
  member of each group is kept), largest groups first, then by ``nearest_real_similarity``.
- ``degeneration``: ``repetition_score``, highest first
  (:func:`synth_quality.text_checks.repetition_scores`).

Ties are broken at random (seeded), so a signal that flags only 2 % of the rows drops random
rows beyond its flagged ones; ``n_flagged`` says how many rows each signal flags.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .config import DetectConfig, EmbedConfig, ScoreConfig, check_float, check_int
from .embed import embed_texts
from .errors import ConfigError, InputDataError
from .io import (SOURCE_COLUMN_NAMES, AuditInput, is_missing, label_value, listing, load_inputs,
                 pick_text_column, plural, read_table, require_column)
from .neighbors import block_rows
from .progress import ProgressCallback, StageTimer, null_progress
from .result import jsonable

LIFT_FILE = "lift.json"
EVAL_FILE = "lift_eval.parquet"
METRICS = ("accuracy", "macro_f1", "auc")
METRIC_NAMES = {"accuracy": "accuracy", "macro_f1": "macro-F1", "auc": "AUC"}
SIGNALS = ("label_issue", "outlier", "duplicate", "degeneration")
VERDICTS = ("helps", "no significant lift", "hurts")
HELD_OUT_SOURCE = "held-out split of real rows"
MIN_EVAL_ROWS = 20          # fewer evaluation rows cannot support any interval worth reading
_N_EXAMPLES = 5             # leakage examples kept in lift.json
_N_WORST = 20               # worst-ranked synthetic rows listed per signal


# ----------------------------------------------------------------------------------- config

@dataclass(frozen=True)
class LiftConfig:
    """Settings of the real-data control.

    metric : {"accuracy", "macro_f1", "auc"}, default "accuracy"
        The score the lift and the verdict are about ("auc" needs two classes). All three are
        reported either way.
    n_seeds : int, default 5
        Training replicates of each headline model (real only, real + synthetic, synthetic
        only, each generator): replicate 0 is the plain fit, the others refit on
        bootstrap-weighted training rows. More replicates, steadier intervals, more fits.
    curve_seeds : int or None, default None
        Training replicates of each point of the ``how_much`` and ``filter_and_retest`` curves
        (at most ``n_seeds``); None means ``n_seeds``. The curves need most of the fits (with
        the defaults 18 of the training sets, against 3 + one per generator for the headline),
        so lowering it is the way to save time on large data.
    n_bootstrap : int, default 1000
        Paired bootstrap resamples of the evaluation rows (pooled over the replicates).
    fractions : tuple of float, default (0.25, 0.5, 1.0)
        Shares of the synthetic rows added to the real rows for the "how much" curve (nested
        random subsets).
    drop_percents : tuple of float, default (5, 10, 20, 40)
        Percentages of synthetic rows dropped by each signal in filter-and-retest.
    n_random_draws : int, default 5
        Random drops of the same size each signal's drop is compared with.
    signals : tuple of str, default ("label_issue", "outlier", "duplicate", "degeneration")
        The audit signals ranked in filter-and-retest; an empty tuple skips it.
    holdout_fraction : float, default 0.3
        Without an evaluation file: the share of each class of real rows held out for
        evaluation (stratified). 0.3 of 1,000 rows leaves 300 evaluation rows, so expect wide
        intervals; a separate real evaluation file is better.
    near_duplicate_similarity : float, default 0.95
        Leakage guard: an evaluation row whose cosine similarity with any training row reaches
        this is excluded (the audit's near-duplicate threshold).
    alpha : float, default 0.05
        1 - confidence level of every interval (0.05: 95 % intervals).
    random_state : int, default 0
        Seeds the split, the subsets, the random drops, the bootstrap and the models.
    """

    metric: str = "accuracy"
    n_seeds: int = 5
    curve_seeds: int | None = None
    n_bootstrap: int = 1000
    fractions: tuple = (0.25, 0.5, 1.0)
    drop_percents: tuple = (5, 10, 20, 40)
    n_random_draws: int = 5
    signals: tuple = SIGNALS
    holdout_fraction: float = 0.3
    near_duplicate_similarity: float = 0.95
    alpha: float = 0.05
    random_state: int = 0

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ConfigError(f"lift.metric ({self.metric!r}) must be one of {', '.join(METRICS)}")
        check_int("lift", "n_seeds", self.n_seeds, 1, 100)
        if self.curve_seeds is not None:
            check_int("lift", "curve_seeds", self.curve_seeds, 1, 100)
        if self.curve_seeds is not None and self.curve_seeds > self.n_seeds:
            raise ConfigError(f"lift.curve_seeds ({self.curve_seeds}) must be at most "
                              f"lift.n_seeds ({self.n_seeds})")
        check_int("lift", "n_bootstrap", self.n_bootstrap, 100, 100_000)
        object.__setattr__(self, "fractions", self._numbers("fractions", self.fractions))
        for f in self.fractions:
            check_float("lift", "fractions", f, 0.0, 1.0, low_open=True)
        object.__setattr__(self, "drop_percents",
                           self._numbers("drop_percents", self.drop_percents))
        for p in self.drop_percents:
            check_float("lift", "drop_percents", p, 0.0, 100.0, low_open=True, high_open=True)
        check_int("lift", "n_random_draws", self.n_random_draws, 1, 100)
        signals = self.signals
        if isinstance(signals, str) or not isinstance(signals, (tuple, list)):
            raise ConfigError(f"lift.signals must be a list of signal names, got {signals!r}")
        unknown = [s for s in signals if s not in SIGNALS]
        if unknown:
            raise ConfigError(f"lift.signals has unknown signal(s) {unknown}; known: "
                              f"{', '.join(SIGNALS)}")
        object.__setattr__(self, "signals", tuple(dict.fromkeys(signals)))
        check_float("lift", "holdout_fraction", self.holdout_fraction, 0.0, 1.0,
                    low_open=True, high_open=True)
        check_float("lift", "near_duplicate_similarity", self.near_duplicate_similarity,
                    0.5, 1.0)
        check_float("lift", "alpha", self.alpha, 0.0, 0.5, low_open=True, high_open=True)
        check_int("lift", "random_state", self.random_state, 0, 2**32 - 1)

    @staticmethod
    def _numbers(name: str, values) -> tuple:
        if isinstance(values, (str, bytes)) or not isinstance(values, (tuple, list)):
            raise ConfigError(f"lift.{name} must be a list of numbers, got {values!r}")
        if not values:
            raise ConfigError(f"lift.{name} must not be empty")
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ConfigError(f"lift.{name} must hold numbers, got {v!r}")
        return tuple(sorted(set(values)))

    @property
    def curve_replicates(self) -> int:
        """Training replicates per curve point: ``curve_seeds``, or ``n_seeds`` when None."""
        return self.curve_seeds or self.n_seeds

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict | None) -> "LiftConfig":
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown lift setting(s) {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


# ----------------------------------------------------------------------------------- result

@dataclass
class LiftResult:
    """What the real-data control measured.

    Attributes
    ----------
    summary : dict
        Everything written to ``lift.json`` (JSON-able; NaN is None). The keys a reader needs:

        - ``metric`` (str) and ``metric_name``; ``real_only``, ``real_plus_synthetic``,
          ``synthetic_only`` (float: the plain fits' scores on the real evaluation set, in
          ``metric``; None when a model could not be trained) and their ``*_ci`` intervals;
        - ``lift`` (float), ``lift_ci`` ([low, high]), ``verdict`` (one of :data:`VERDICTS`),
          ``verdict_sentence`` (words for stakeholders), ``p_value`` (paired bootstrap),
          ``mcnemar_p`` (exact McNemar on the plain fits; accuracy);
        - ``metrics``: ``{model: {metric: {"score", "ci"}}}`` for the three models and all of
          :data:`METRICS` (AUC only with two classes); ``lifts``: ``{metric: {"lift",
          "lift_ci", "p_value", "verdict"}}``;
        - ``eval``: ``source`` (file path or "held-out split of real rows"), ``n_rows`` (rows
          scored), ``n_rows_given``, ``n_excluded_leakage``, ``n_exact``, ``n_near``,
          ``excluded_by_side``, ``near_duplicate_similarity``, ``leakage_examples`` (up to 5:
          eval_row, eval_text, kind, train_side, train_row, train_text, similarity),
          ``label_counts``;
        - ``model`` (description), ``embedding`` (model and cache counts), ``label_column``,
          ``labels``, ``n_train_real``, ``n_train_synthetic``, ``train_label_counts``;
        - ``per_generator``: ``{name: {n_synthetic, score, lift, lift_ci, p_value, verdict}}``;
        - ``how_much``: ``[{fraction, n_synthetic, score, lift, lift_ci, p_value, verdict}]``;
        - ``filter_and_retest``: ``{signal: [{percent, n_dropped, n_synthetic, score, lift,
          lift_ci, p_value, verdict, random_mean, random_ci, random_scores, random_lift,
          random_lift_ci, vs_random, vs_random_ci, vs_random_p, beats_random,
          vs_random_verdict}]}`` ("better than random", "no different from random" or "worse
          than random"); ``signals``: ``{signal: {source ("audit" or "computed"), n_flagged,
          worst_rows}}`` (``worst_rows``: the 20 synthetic input rows ranked worst);
        - ``findings`` (list of sentences, the verdict first), ``warnings``, ``timings``
          (seconds per stage, ``n_fits``), ``config`` (:meth:`LiftConfig.to_dict`).
    eval_rows : pandas.DataFrame
        One row per evaluation row given: ``row``, ``text``, ``label``, ``excluded`` (bool),
        ``leakage`` ("", "exact" or "near"), ``leak_side``, ``leak_row``,
        ``leak_similarity``, and the plain fits' predictions ``pred_real_only``,
        ``pred_real_plus_synthetic``, ``pred_synthetic_only`` (None where excluded).
    warnings : list of str
    """

    summary: dict
    eval_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)

    @property
    def metric(self) -> str:
        return self.summary["metric"]

    @property
    def lift(self) -> float:
        return self.summary["lift"]

    @property
    def lift_ci(self) -> list:
        return self.summary["lift_ci"]

    @property
    def verdict(self) -> str:
        return self.summary["verdict"]

    def to_dict(self) -> dict:
        """The summary as plain JSON types (NaN and infinities become None)."""
        return jsonable(dict(self.summary, warnings=list(self.warnings)))

    def save(self, directory: str | Path) -> Path:
        """Write ``lift.json`` (and ``lift_eval.parquet``) into ``directory``; return its path."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / LIFT_FILE).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False,
                                                allow_nan=False) + "\n", encoding="utf-8")
        if not self.eval_rows.empty:
            self.eval_rows.to_parquet(out / EVAL_FILE, index=False)
        return out

    @classmethod
    def load(cls, directory: str | Path) -> "LiftResult":
        """Read a result written by :meth:`save` (or by ``synth-quality lift --out``)."""
        folder = Path(directory)
        path = folder / LIFT_FILE
        if not path.is_file():
            raise InputDataError(f"{folder} holds no {LIFT_FILE}; run synth-quality lift "
                                 f"--out {folder} first")
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
            rows = (pd.read_parquet(folder / EVAL_FILE) if (folder / EVAL_FILE).is_file()
                    else pd.DataFrame())
        except Exception as exc:
            raise InputDataError(f"could not read the lift result in {folder}: {exc}") from exc
        return cls(summary, rows, list(summary.get("warnings", [])))


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
            with StageTimer(progress, timings, "loading"):
                inputs = load_inputs(label_column=label_column, **load_kwargs)
        elif label_column is not None and label_column != inputs.label_column:
            raise InputDataError(f"label column {label_column!r} was asked for, but the inputs "
                                 f"were loaded with {inputs.label_column!r}; load them with "
                                 f"label_column={label_column!r}")
        summary, eval_rows = _run(inputs, eval_data, eval_text_column, eval_label_column,
                                  eval_name, config, embed_config, embedder, model_factory,
                                  model_name, audit_examples, progress, timings, notes)
    notes = list(dict.fromkeys(list(inputs.warnings) + notes))
    timings["total"] = round(time.perf_counter() - t_start, 3)
    summary["timings"] = timings
    summary["warnings"] = notes
    return LiftResult(summary, eval_rows, notes)


# -------------------------------------------------------------------------------- the work

def _run(inputs, eval_data, eval_text_column, eval_label_column, eval_name, config,
         embed_config, embedder, model_factory, model_name, audit_examples, progress, timings,
         notes) -> tuple[dict, pd.DataFrame]:
    label_column = inputs.label_column
    if label_column is None or "label" not in inputs.frame:
        raise InputDataError("the lift control needs a task label column on both sides; pass "
                             "--label-column (e.g. --label-column sentiment)")
    frame = inputs.frame.reset_index(drop=True)
    rng = np.random.default_rng(config.random_state)

    # ---- training rows and their labels
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

    # ---- the evaluation set
    real_part = labelled[labelled["side"] == "real"].reset_index(drop=True)
    syn_part = labelled[labelled["side"] == "synthetic"].reset_index(drop=True)
    if eval_data is None:
        train_real, eval_frame = _holdout(real_part, config, rng)
        source = HELD_OUT_SOURCE
    else:
        eval_frame, source = _read_eval(eval_data, eval_name, eval_text_column,
                                        eval_label_column or label_column, notes)
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
    if config.metric == "auc" and len(classes) != 2:
        raise ConfigError(f"lift.metric 'auc' needs two classes; {label_column!r} has "
                          f"{len(classes)} ({listing(classes)}); use accuracy or macro_f1")
    train = pd.concat([train_real, syn_part], ignore_index=True)
    n_real = len(train_real)
    is_syn = np.arange(len(train)) >= n_real

    # ---- embeddings: one call, the audit's cache
    t0 = time.perf_counter()
    texts = train["text"].astype(str).tolist() + eval_frame["text"].astype(str).tolist()
    vectors, embed_info = embed_texts(texts, embed_config, embedder=embedder, progress=progress)
    X, X_eval_all = vectors[:len(train)], vectors[len(train):]
    timings["embedding"] = round(time.perf_counter() - t0, 3)

    # ---- leakage guard
    with StageTimer(progress, timings, "leakage guard", "leakage"):
        leak = _leakage(train, X, eval_frame, X_eval_all, config.near_duplicate_similarity)
    keep = ~leak["excluded"]
    n_keep = int(keep.sum())
    if n_keep == 0:
        raise InputDataError(f"all {len(eval_frame)} evaluation rows ({source}) also appear among "
                             "the training rows; pass an evaluation set disjoint from the real "
                             "and synthetic training rows")
    if n_keep < MIN_EVAL_ROWS:
        raise InputDataError(f"only {plural(n_keep, 'evaluation row')} left ({source}, after "
                             f"excluding {int(leak['excluded'].sum())} that leak into the "
                             f"training rows); at least {MIN_EVAL_ROWS} are needed; pass a larger "
                             "--eval file")
    code = {c: i for i, c in enumerate(classes)}
    y = np.array([code[v] for v in train["label"]], dtype=np.int64)
    y_eval = np.array([code[v] for v in eval_frame["label"][keep]], dtype=np.int64)
    X_eval = X_eval_all[keep]
    if len(set(y_eval.tolist())) < 2:
        notes.append("the evaluation rows hold only one class: AUC cannot be computed and "
                     "macro-F1 is hard to read")
    if n_keep < 200:
        notes.append(f"only {n_keep} evaluation rows: only large lifts can be significant")

    # ---- rankings for filter-and-retest
    signals = {}
    if config.signals:
        with StageTimer(progress, timings, "ranking"):
            signals = _rankings(train, X, n_real, audit_examples, config, rng)

    # ---- plan every model fit, then run them
    factory = model_factory or default_model_factory
    fitter = _Fitter(X, y, X_eval, len(classes), factory, config, rng, progress)
    arms = _plan(train, is_syn, signals, config, rng, fitter, notes)
    t0 = time.perf_counter()
    fitter.run()
    timings["fitting"] = round(time.perf_counter() - t0, 3)
    timings["n_fits"] = fitter.n_fits

    t0 = time.perf_counter()
    boot = _Bootstrap(y_eval, len(classes), config, rng)
    summary = _summarise(arms, fitter, boot, config, signals)
    timings["bootstrap"] = round(time.perf_counter() - t0, 3)

    summary.update(
        label_column=label_column,
        labels=classes,
        n_train_real=int(n_real),
        n_train_synthetic=int(is_syn.sum()),
        train_label_counts={"real": _counts(train_real["label"]),
                            "synthetic": _counts(syn_part["label"])},
        eval={"source": source, "n_rows": n_keep, "n_rows_given": int(len(eval_frame)),
              "n_excluded_leakage": int(leak["excluded"].sum()),
              "n_exact": int((leak["kind"] == "exact").sum()),
              "n_near": int((leak["kind"] == "near").sum()),
              "excluded_by_side": {s: int(((leak["kind"] != "") & (leak["side"] == s)).sum())
                                   for s in ("real", "synthetic")},
              "near_duplicate_similarity": config.near_duplicate_similarity,
              "leakage_examples": leak["examples"],
              "label_counts": _counts(eval_frame["label"][keep])},
        model=model_name or _describe(factory, embed_info),
        embedding=embed_info,
        config=config.to_dict(),
    )
    summary["verdict_sentence"] = _verdict_sentence(summary)
    summary["findings"] = [summary["verdict_sentence"], *_findings(summary)]
    eval_rows = _eval_table(eval_frame, leak, fitter, arms, classes, keep)
    return summary, eval_rows


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


# ---------------------------------------------------------------------- evaluation set

def _holdout(real: pd.DataFrame, config: LiftConfig, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified split of the labelled real rows: (training rows, evaluation rows)."""
    held = np.zeros(len(real), bool)
    for _, idx in sorted(real.groupby("label").indices.items()):
        n_eval = int(round(config.holdout_fraction * len(idx)))
        n_eval = min(max(n_eval, 1 if len(idx) >= 2 else 0), len(idx) - 1)
        held[rng.permutation(idx)[:n_eval]] = True
    if held.sum() == 0 or (~held).sum() == 0:
        raise InputDataError(f"cannot hold out {config.holdout_fraction:.0%} of {len(real)} real "
                             "rows for evaluation; pass an --eval file")
    eval_frame = real[held].reset_index(drop=True)[["row", "text", "label"]]
    return real[~held].reset_index(drop=True), eval_frame


def _read_eval(source, name, text_column, label_column, notes) -> tuple[pd.DataFrame, str]:
    """Read the evaluation table: columns row, text, label (labels as strings)."""
    if isinstance(source, pd.DataFrame):
        display = name or "<eval table>"
        frame = source
        if len(frame) == 0:
            raise InputDataError(f"the evaluation table {display} is empty (no rows)")
    else:
        frame, info = read_table(source, name=name)
        display = info["path"]
        if info["encoding"] not in (None, "utf-8"):
            notes.append(f"read {display} as {info['encoding']} (not valid UTF-8)")
    frame = frame.reset_index(drop=True)
    if label_column not in frame.columns:
        require_column(frame, label_column, display, "--eval-label-column")
    _refuse_synthetic(frame, display)
    if text_column is None:
        try:
            text_column = pick_text_column([(frame, display)], [label_column])
        except InputDataError as exc:
            raise InputDataError(str(exc).replace("--text-column", "--eval-text-column")) from None
    else:
        require_column(frame, text_column, display, "--eval-text-column")
    if text_column == label_column:
        raise InputDataError(f"column {text_column!r} of {display} cannot be both the text and the "
                             "label column; pass --eval-text-column")
    texts = frame[text_column].tolist()
    labels = [label_value(v) for v in frame[label_column].tolist()]
    blank = [i for i, t in enumerate(texts) if is_missing(t) or not str(t).strip()]
    if blank:
        notes.append(f"dropped {plural(len(blank), 'blank text')} from the evaluation set "
                     f"(rows {listing(blank)}) of {display}")
    blank_set = set(blank)
    unlabelled = [i for i, v in enumerate(labels) if v is None and i not in blank_set]
    if unlabelled:
        raise InputDataError(f"{plural(len(unlabelled), 'evaluation row')} of {display} "
                             f"{'has' if len(unlabelled) == 1 else 'have'} no {label_column!r} "
                             f"label (rows {listing(unlabelled)}); label them or drop them")
    keep = [i for i in range(len(frame)) if i not in blank_set]
    if not keep:
        raise InputDataError(f"the evaluation table {display} has no text rows (column "
                             f"{text_column!r})")
    out = pd.DataFrame({"row": np.asarray(keep, dtype=np.int64),
                        "text": [str(texts[i]) for i in keep],
                        "label": pd.Series([labels[i] for i in keep], dtype=object)})
    return out, display


_SYNTHETIC_VALUES = ("synthetic", "generated", "fake", "llm", "artificial", "machine")


def _refuse_synthetic(frame: pd.DataFrame, display: str) -> None:
    """The evaluation set must be real: refuse rows a source column marks as synthetic."""
    for column in frame.columns:
        name = str(column).strip().lower()
        if name not in SOURCE_COLUMN_NAMES:
            continue
        marks = _SYNTHETIC_VALUES + (("1", "true") if name == "is_synthetic" else ())
        values = frame[column].map(lambda v: "" if is_missing(v) else str(v).strip().lower())
        bad = np.flatnonzero(values.isin(marks).to_numpy()).tolist()
        if bad:
            raise InputDataError(f"{plural(len(bad), 'row')} of the evaluation set {display} "
                                 f"{'is' if len(bad) == 1 else 'are'} marked synthetic in column "
                                 f"{column!r} (rows {listing(bad)}); the lift is measured on real "
                                 "rows only: drop them or pass a real evaluation file")


def _norm_text(text: str) -> str:
    return " ".join(str(text).lower().split())


def _leakage(train: pd.DataFrame, X: np.ndarray, eval_frame: pd.DataFrame, X_eval: np.ndarray,
             threshold: float) -> dict:
    """Which evaluation rows also appear among the training rows, exactly or nearly."""
    n = len(eval_frame)
    train_norm = {}
    for i, text in enumerate(train["text"].tolist()):
        train_norm.setdefault(_norm_text(text), i)
    best = np.full(n, -1, np.int64)
    best_sim = np.full(n, -np.inf, np.float32)
    Xt = np.ascontiguousarray(X, dtype=np.float32)
    step = block_rows(len(Xt))  # blocks of at most ~64 MB of similarities
    for start in range(0, n, step):
        sims = X_eval[start:start + step].astype(np.float32) @ Xt.T
        best[start:start + step] = sims.argmax(axis=1)
        best_sim[start:start + step] = sims.max(axis=1)
    kind = np.full(n, "", dtype=object)
    match = np.full(n, -1, np.int64)
    for i, text in enumerate(eval_frame["text"].tolist()):
        j = train_norm.get(_norm_text(text))
        if j is not None:
            kind[i], match[i] = "exact", j
        elif best_sim[i] >= threshold:
            kind[i], match[i] = "near", best[i]
    sides = train["side"].to_numpy(object)
    rows = train["row"].to_numpy(np.int64)
    side = np.where(match >= 0, sides[np.clip(match, 0, None)], "")
    sim = np.where(match >= 0, np.where(kind == "exact", 1.0, best_sim), np.nan)
    examples = []
    for i in np.flatnonzero(match >= 0)[:_N_EXAMPLES]:
        j = match[i]
        examples.append({"eval_row": int(eval_frame["row"].iloc[i]),
                         "eval_text": str(eval_frame["text"].iloc[i]),
                         "kind": str(kind[i]), "train_side": str(sides[j]),
                         "train_row": int(rows[j]), "train_text": str(train["text"].iloc[j]),
                         "similarity": round(float(sim[i]), 4)})
    return {"excluded": match >= 0, "kind": kind, "side": side,
            "row": np.where(match >= 0, rows[np.clip(match, 0, None)], -1),
            "similarity": sim, "examples": examples}


# ------------------------------------------------------------------------------ rankings

def _rankings(train: pd.DataFrame, X: np.ndarray, n_real: int, audit_examples, config: LiftConfig,
              rng) -> dict:
    """For each signal: synthetic training positions (0-based among synthetic rows), worst first."""
    syn = train.iloc[n_real:].reset_index(drop=True)
    n_syn = len(syn)
    columns = _signal_columns(train, X, n_real, audit_examples, config)
    tiebreak = rng.random(n_syn)
    out = {}
    for name in config.signals:
        data = columns[name]
        if name == "label_issue":
            order = np.lexsort((tiebreak, data["label_issue_score"]))
            flagged = data["label_issue_score"] < DetectConfig().confident_threshold
        elif name == "outlier":
            order = np.lexsort((tiebreak, -data["outlier_score"]))
            flagged = data.get("is_outlier")
        elif name == "duplicate":
            tier = data["tier"]
            order = np.lexsort((tiebreak, -data["nearest_real_similarity"], -data["group_size"],
                                tier))
            flagged = tier < 2
        else:
            order = np.lexsort((tiebreak, -data["repetition_score"]))
            flagged = data["repetition_score"] >= ScoreConfig().repetition_threshold
        out[name] = {"order": order, "source": data["source"],
                     "n_flagged": None if flagged is None else int(np.sum(flagged)),
                     "worst_rows": syn["row"].to_numpy(np.int64)[order[:_N_WORST]].tolist()}
    return out


_AUDIT_COLUMNS = {
    "label_issue": ("label_issue_score",),
    "outlier": ("outlier_score",),
    "duplicate": ("near_duplicate_group", "is_copy_of_real", "nearest_real_similarity"),
    "degeneration": ("repetition_score",),
}


def _signal_columns(train, X, n_real, audit_examples, config) -> dict:
    """The raw score arrays each signal ranks by, aligned with the synthetic training rows."""
    syn = train.iloc[n_real:].reset_index(drop=True)
    n_syn = len(syn)
    wanted = set(config.signals)
    out: dict = {}
    matched = None
    if audit_examples is not None:
        matched = _match_audit(syn, audit_examples)
    compute = {s for s in wanted
               if matched is None or not all(c in matched for c in _AUDIT_COLUMNS[s])}
    graph = None
    if compute & {"outlier", "duplicate"}:
        from .neighbors import build_neighbor_graph

        score_cfg = ScoreConfig()
        graph = build_neighbor_graph(X, n_real, max(score_cfg.k_neighbors, 1),
                                     score_cfg.manifold_k)
    # label issue: low = the detector is sure the row is synthetic
    if "label_issue" in wanted:
        if "label_issue" in compute:
            from threadpoolctl import threadpool_limits

            from .detect import out_of_fold_p_synthetic

            det = DetectConfig()
            is_syn = np.arange(len(train)) >= n_real
            with threadpool_limits(limits=1):  # see _Fitter.run
                p = out_of_fold_p_synthetic(X, is_syn, det.n_folds, det.C, config.random_state)
            out["label_issue"] = {"label_issue_score": 1.0 - p[n_real:], "source": "computed"}
        else:
            out["label_issue"] = {"label_issue_score": _floats(matched["label_issue_score"]),
                                  "source": "audit"}
    if "outlier" in wanted:
        if "outlier" in compute:
            from .scores import outlier_scores

            score_cfg = ScoreConfig()
            _, score, is_outlier = outlier_scores(graph, score_cfg.k_neighbors,
                                                  score_cfg.outlier_fence)
            out["outlier"] = {"outlier_score": score[n_real:], "is_outlier": is_outlier[n_real:],
                              "source": "computed"}
        else:
            flags = (matched["is_outlier"].fillna(False).to_numpy(bool)
                     if "is_outlier" in matched else None)
            out["outlier"] = {"outlier_score": _floats(matched["outlier_score"]),
                              "is_outlier": flags, "source": "audit"}
    if "duplicate" in wanted:
        if "duplicate" in compute:
            from .scores import near_duplicate_groups

            thr = ScoreConfig().near_duplicate_similarity
            groups = near_duplicate_groups(graph, train["text"].astype(str).tolist(), thr)
            nearest = graph.other_similarity[n_real:].astype(np.float64)
            copy = nearest >= thr
            out["duplicate"] = _duplicate_tiers(groups[:n_real], groups[n_real:], copy, nearest)
            out["duplicate"]["source"] = "computed"
        else:
            groups = matched["near_duplicate_group"]
            syn_groups = np.where(groups.isna(), -1, groups.fillna(-1)).astype(np.int64)
            real_groups = _real_groups(audit_examples)
            copy = matched["is_copy_of_real"].fillna(False).to_numpy(bool)
            nearest = _floats(matched["nearest_real_similarity"])
            out["duplicate"] = _duplicate_tiers(real_groups, syn_groups, copy, nearest)
            out["duplicate"]["source"] = "audit"
    if "degeneration" in wanted:
        if "degeneration" in compute:
            from .text_checks import repetition_scores

            out["degeneration"] = {"repetition_score": repetition_scores(syn["text"].tolist()),
                                   "source": "computed"}
        else:
            out["degeneration"] = {"repetition_score": _floats(matched["repetition_score"]),
                                   "source": "audit"}
    for name, data in out.items():
        for key, value in data.items():
            if isinstance(value, np.ndarray) and len(value) != n_syn:  # pragma: no cover
                raise AssertionError(f"internal: {name}.{key} has {len(value)} values")
    return out


def _floats(series: pd.Series) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").to_numpy(np.float64)
    return np.nan_to_num(values, nan=np.nanmedian(values) if np.isfinite(values).any() else 0.0)


def _real_groups(examples: pd.DataFrame) -> np.ndarray:
    if "near_duplicate_group" not in examples:
        return np.empty(0, np.int64)
    real = examples.loc[examples["side"] == "real", "near_duplicate_group"]
    return real.dropna().astype(np.int64).to_numpy()


def _duplicate_tiers(real_groups, syn_groups, copy, nearest) -> dict:
    """Tier 0: copies of real rows; 1: redundant members of synthetic groups; 2: the rest."""
    real_set = set(int(g) for g in np.asarray(real_groups) if g >= 0)
    tier = np.full(len(syn_groups), 2, np.int64)
    size = np.ones(len(syn_groups), np.float64)
    seen: set[int] = set()
    counts = pd.Series(syn_groups[syn_groups >= 0]).value_counts()
    for i, g in enumerate(syn_groups.tolist()):
        if g >= 0:
            size[i] = counts.get(g, 1)
            if g in real_set:
                tier[i] = 0
            elif g in seen:
                tier[i] = 1
            seen.add(g)
    tier[np.asarray(copy, bool)] = 0
    return {"tier": tier, "group_size": size, "nearest_real_similarity": np.asarray(nearest)}


def _match_audit(syn: pd.DataFrame, examples: pd.DataFrame) -> pd.DataFrame:
    """The audit's rows for these synthetic rows, in their order; errors if any is missing."""
    if not isinstance(examples, pd.DataFrame) or not {"side", "row"} <= set(examples.columns):
        raise InputDataError("the audit examples table needs columns 'side' and 'row' (pass the "
                             "examples.parquet of an audit of the same inputs)")
    audit_syn = examples[examples["side"] == "synthetic"].copy()
    audit_syn["row"] = pd.to_numeric(audit_syn["row"], errors="coerce")
    audit_syn = audit_syn.drop_duplicates("row").set_index("row")
    missing = [r for r in syn["row"].tolist() if r not in audit_syn.index]
    if missing:
        raise InputDataError(f"the audit does not cover {plural(len(missing), 'synthetic row')} "
                             f"of these inputs (rows {listing(missing)}); run the audit on the "
                             "same inputs, or leave out --audit-dir to compute the rankings here")
    matched = audit_syn.loc[syn["row"].tolist()].reset_index()
    if "text" in matched:
        differ = [int(r) for r, a, b in zip(syn["row"], syn["text"], matched["text"])
                  if _norm_text(a) != _norm_text(b)]
        if differ:
            raise InputDataError(f"the audit's synthetic texts differ from these inputs at "
                                 f"{plural(len(differ), 'row')} (rows {listing(differ)}); run "
                                 "the audit on the same inputs, or leave out --audit-dir")
    return matched


# --------------------------------------------------------------------------------- fitting

class _Fitter:
    """Fits each (training rows, replicate) once and keeps its predictions on the eval rows.

    Replicate 0 is the plain fit. Replicate r >= 1 weights the training rows with the r-th
    row of ``weights`` (exponential(1), the Bayesian bootstrap) when the model's ``fit`` takes
    ``sample_weight``, else repeats each row Poisson(1) times. The same draw serves every
    model of a replicate, so comparisons are paired.
    """

    def __init__(self, X, y, X_eval, n_classes, factory, config, rng, progress):
        from sklearn.utils.validation import has_fit_parameter

        self.X, self.y, self.X_eval, self.n_classes = X, y, X_eval, n_classes
        self.factory, self.config, self.progress = factory, config, progress
        n = len(y)
        self.weights = rng.exponential(size=(config.n_seeds, n))
        self.counts = rng.poisson(size=(config.n_seeds, n))
        self.uses_weight = has_fit_parameter(factory(config.random_state), "sample_weight")
        self.todo: dict[tuple, np.ndarray] = {}
        self.preds: dict[tuple, tuple] = {}
        self.n_fits = 0

    @staticmethod
    def key(mask: np.ndarray) -> str:
        return hashlib.sha1(np.packbits(mask).tobytes() + str(len(mask)).encode()).hexdigest()

    def request(self, mask: np.ndarray, replicates) -> str:
        k = self.key(mask)
        for r in replicates:
            self.todo.setdefault((k, int(r)), mask)
        return k

    def run(self) -> None:
        from threadpoolctl import threadpool_limits

        pending = [key for key in self.todo if key not in self.preds]
        total = len(pending)
        self.progress("lift", 0, total)
        # One BLAS thread: small models fit far faster without thread hand-offs (measured on
        # 9,350 x 384: 0.09 s against 0.74 s per logistic regression on a busy 2-core machine).
        with threadpool_limits(limits=1):
            for done, key in enumerate(pending, start=1):
                self.preds[key] = self._fit(self.todo[key], key[1])
                self.n_fits += 1
                self.progress("lift", done, total)

    def get(self, k: str, r: int):
        return self.preds.get((k, int(r)))

    def _fit(self, mask: np.ndarray, r: int):
        idx = np.flatnonzero(mask)
        y = self.y[idx]
        if len(np.unique(y)) < 2:
            return None  # one class only: no classifier to train
        model = self.factory(self.config.random_state + r)
        if r == 0:
            model.fit(self.X[idx], y)
        elif self.uses_weight:
            w = self.weights[r, idx]
            model.fit(self.X[idx], y, sample_weight=w / w.mean())
        else:
            rep = np.repeat(idx, self.counts[r, idx])
            if len(np.unique(self.y[rep])) < 2:
                rep = idx
            model.fit(self.X[rep], self.y[rep])
        pred = np.asarray(model.predict(self.X_eval)).astype(np.int64)
        score = None
        if self.n_classes == 2:
            classes = list(getattr(model, "classes_", [0, 1]))
            if hasattr(model, "predict_proba") and 1 in classes:
                score = np.asarray(model.predict_proba(self.X_eval))[:, classes.index(1)]
            elif hasattr(model, "decision_function"):
                score = np.asarray(model.decision_function(self.X_eval), dtype=np.float64)
        return pred, score


@dataclass
class _Arm:
    """One training set: its fit key and the replicates it is scored with."""

    name: str
    key: str
    replicates: tuple
    n_synthetic: int
    extra: dict = field(default_factory=dict)


def _plan(train, is_syn, signals, config, rng, fitter, notes) -> dict:
    """Every training set the control needs, registered with the fitter."""
    n_syn = int(is_syn.sum())
    syn_pos = np.flatnonzero(is_syn)
    real_mask = ~is_syn
    head = tuple(range(config.n_seeds))
    curve = tuple(range(config.curve_replicates))

    def arm(name, syn_keep: np.ndarray, reps, **extra):
        mask = real_mask.copy()
        mask[syn_pos[syn_keep]] = True
        return _Arm(name, fitter.request(mask, reps), tuple(reps), int(syn_keep.sum()), extra)

    everything = np.ones(n_syn, bool)
    arms = {"real_only": _Arm("real_only", fitter.request(real_mask, head), head, 0),
            "real_plus_synthetic": arm("real_plus_synthetic", everything, head)}
    syn_mask = is_syn.copy()
    arms["synthetic_only"] = _Arm("synthetic_only", fitter.request(syn_mask, head), head, n_syn)
    if len(set(train["label"][is_syn])) < 2:
        notes.append("the synthetic rows hold only one class: no synthetic-only model")

    gens = train["generator"].to_numpy(object)[is_syn] if "generator" in train else None
    arms["per_generator"] = {}
    if gens is not None:
        names = ["(none)" if g is None else str(g) for g in gens]
        for g in sorted(set(names)):
            arms["per_generator"][g] = arm(f"generator {g}", np.array([n == g for n in names]),
                                           head)

    order = rng.permutation(n_syn)
    arms["how_much"] = []
    for f in config.fractions:
        take = np.zeros(n_syn, bool)
        take[order[:int(round(f * n_syn))]] = True
        reps = head if take.all() else curve
        arms["how_much"].append(arm(f"{f:.0%} of synthetic", take, reps, fraction=float(f)))

    arms["filter"] = {}
    arms["random"] = {}
    if signals and n_syn:
        draws = [rng.permutation(n_syn) for _ in range(config.n_random_draws)]
        for p in config.drop_percents:
            n_drop = int(math.ceil(p / 100 * n_syn))
            for name, sig in signals.items():
                keep = np.ones(n_syn, bool)
                keep[sig["order"][:n_drop]] = False
                arms["filter"].setdefault(name, []).append(
                    arm(f"drop {p:g}% by {name}", keep, curve, percent=float(p), n_dropped=n_drop))
            arms["random"][float(p)] = []
            for d, perm in enumerate(draws):
                keep = np.ones(n_syn, bool)
                keep[perm[:n_drop]] = False
                arms["random"][float(p)].append(arm(f"drop {p:g}% at random #{d}", keep, (0,)))
    return arms


# ------------------------------------------------------------------------------- bootstrap

class _Bootstrap:
    """Paired bootstrap of the evaluation rows, pooled over training replicates."""

    def __init__(self, y_eval, n_classes, config, rng):
        n = len(y_eval)
        B = config.n_bootstrap
        draws = rng.integers(0, n, size=(B, n))
        flat = (draws + (np.arange(B) * n)[:, None]).ravel()
        self.W = np.bincount(flat, minlength=B * n).reshape(B, n).astype(np.float32)
        self.y = y_eval
        self.n_classes = n_classes
        self.config = config
        self.q = (config.alpha / 2, 1 - config.alpha / 2)

    def rows_for(self, r: int, n_reps: int) -> np.ndarray:
        return np.arange(r, self.config.n_bootstrap, n_reps)

    def metric(self, name: str, pred, score, W: np.ndarray) -> np.ndarray:
        if name == "accuracy":
            return (W @ (pred == self.y).astype(np.float64)) / W.sum(axis=1)
        if name == "macro_f1":
            f1 = []
            for c in range(self.n_classes):
                p, t = pred == c, self.y == c
                tp = W @ (p & t).astype(np.float64)
                fp = W @ (p & ~t).astype(np.float64)
                fn = W @ (~p & t).astype(np.float64)
                denom = 2 * tp + fp + fn
                with np.errstate(invalid="ignore", divide="ignore"):
                    f1.append(np.where(denom > 0, 2 * tp / denom, np.nan))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.nanmean(np.vstack(f1), axis=0)
        return _weighted_auc(self.y, score, W)

    def plain(self, name: str, fit) -> float:
        if fit is None or (name == "auc" and fit[1] is None):
            return float("nan")
        ones = np.ones((1, len(self.y)), np.float64)
        return float(self.metric(name, fit[0], fit[1], ones)[0])

    def pooled(self, name: str, fits_a: dict, fits_b: dict | None = None) -> np.ndarray:
        """Pooled bootstrap values of metric(a), or of metric(a) - metric(b), one per resample.

        ``fits_a`` / ``fits_b`` map replicate -> fit (the same replicates, 0 among them).
        Resample b uses the replicate at position ``b mod len(fits_a)``. The pooled values are
        then shifted so that their centre (the mean over replicates of each replicate's value
        on all evaluation rows) equals the plain fit's value: a resampled training set carries
        less information than the whole one (about half the effective rows), so its models
        score lower; the replicates give the spread, the plain fit the level.
        """
        reps = sorted(fits_a)
        out = np.full(self.config.n_bootstrap, np.nan)
        full = {}
        for i, r in enumerate(reps):
            fa = fits_a[r]
            fb = None if fits_b is None else fits_b[r]
            if fa is None or (fits_b is not None and fb is None):
                continue
            if name == "auc" and (fa[1] is None or (fb is not None and fb[1] is None)):
                continue
            rows = self.rows_for(i, len(reps))
            value = self.metric(name, fa[0], fa[1], self.W[rows])
            whole = self.plain(name, fa)
            if fb is not None:
                value = value - self.metric(name, fb[0], fb[1], self.W[rows])
                whole = whole - self.plain(name, fb)
            out[rows] = value
            full[r] = whole
        if 0 in full and np.isfinite(full[0]):
            finite = [v for v in full.values() if np.isfinite(v)]
            out = out + (full[0] - float(np.mean(finite)))
        return out

    def interval(self, values: np.ndarray) -> list:
        values = values[np.isfinite(values)]
        if len(values) == 0:
            return [float("nan"), float("nan")]
        lo, hi = np.quantile(values, self.q)
        return [float(lo), float(hi)]

    @staticmethod
    def p_value(diffs: np.ndarray) -> float:
        d = diffs[np.isfinite(diffs)]
        if len(d) == 0:
            return float("nan")
        tail = min(int((d <= 0).sum()), int((d >= 0).sum()))
        return float(min(1.0, 2 * (tail + 1) / (len(d) + 1)))


def _weighted_auc(y, score, W) -> np.ndarray:
    """ROC AUC of ``score`` for class 1 under each row of resampling weights (ties count 1/2)."""
    if score is None:
        return np.full(W.shape[0], np.nan)
    pos = (y == 1).astype(np.float64)
    neg = 1.0 - pos
    order = np.argsort(score, kind="mergesort")
    s = np.asarray(score)[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(s) != 0) + 1])
    Ws = W[:, order]
    wp = np.add.reduceat(Ws * pos[order], starts, axis=1)
    wn = np.add.reduceat(Ws * neg[order], starts, axis=1)
    below = np.cumsum(wn, axis=1) - wn
    num = (wp * (below + 0.5 * wn)).sum(axis=1)
    den = wp.sum(axis=1) * wn.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _verdict(ci: list) -> str:
    lo, hi = ci
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no significant lift"
    if lo > 0:
        return "helps"
    if hi < 0:
        return "hurts"
    return "no significant lift"


def _mcnemar(y, pred_base, pred_new) -> float:
    from scipy.stats import binomtest

    base_ok, new_ok = pred_base == y, pred_new == y
    b = int((base_ok & ~new_ok).sum())
    c = int((~base_ok & new_ok).sum())
    if b + c == 0:
        return 1.0
    return float(binomtest(min(b, c), b + c, 0.5).pvalue)


# ------------------------------------------------------------------------------- summary

def _summarise(arms, fitter, boot, config, signals) -> dict:
    metric = config.metric
    base = arms["real_only"]

    def fits(a: _Arm, reps=None) -> dict:
        return {r: fitter.get(a.key, r) for r in (reps if reps is not None else a.replicates)}

    def lift_of(a: _Arm, name: str = metric) -> dict:
        fa, fb = fits(a), fits(base, a.replicates)
        score = boot.plain(name, fa[0])
        diffs = boot.pooled(name, fa, fb)
        ci = boot.interval(diffs)
        return {"score": score, "lift": score - boot.plain(name, fb[0]), "lift_ci": ci,
                "p_value": boot.p_value(diffs), "verdict": _verdict(ci)}

    out: dict = {"metric": metric, "metric_name": METRIC_NAMES[metric]}
    models = {"real_only": base, "real_plus_synthetic": arms["real_plus_synthetic"],
              "synthetic_only": arms["synthetic_only"]}
    out["metrics"] = {
        key: {m: {"score": boot.plain(m, fitter.get(a.key, 0)),
                  "ci": boot.interval(boot.pooled(m, fits(a)))} for m in METRICS}
        for key, a in models.items()}
    for key in models:
        out[key] = out["metrics"][key][metric]["score"]
        out[f"{key}_ci"] = out["metrics"][key][metric]["ci"]
    out["lifts"] = {}
    for m in METRICS:
        entry = lift_of(arms["real_plus_synthetic"], m)
        entry.pop("score")
        out["lifts"][m] = entry
    head = out["lifts"][metric]
    out.update(lift=head["lift"], lift_ci=head["lift_ci"], verdict=head["verdict"],
               p_value=head["p_value"])
    plain_base, plain_all = fitter.get(base.key, 0), fitter.get(arms["real_plus_synthetic"].key, 0)
    out["mcnemar_p"] = _mcnemar(boot.y, plain_base[0], plain_all[0])

    out["per_generator"] = {g: {"n_synthetic": a.n_synthetic, **lift_of(a)}
                            for g, a in arms["per_generator"].items()}
    out["how_much"] = [{"fraction": a.extra["fraction"], "n_synthetic": a.n_synthetic,
                        **lift_of(a)} for a in arms["how_much"]]

    out["signals"] = {name: {"source": sig["source"], "n_flagged": sig["n_flagged"],
                             "worst_rows": sig["worst_rows"]} for name, sig in signals.items()}
    out["filter_and_retest"] = {}
    plain_base_fit = fitter.get(base.key, 0)

    def over_draws(draws, other) -> tuple[np.ndarray, np.ndarray]:
        """Pooled metric of the random draws (resample b uses draw b mod n_draws) and its
        difference from ``other`` (a plain fit) on the same resample."""
        values = np.full(config.n_bootstrap, np.nan)
        diffs = np.full(config.n_bootstrap, np.nan)
        for i, d in enumerate(draws):
            fit = fitter.get(d.key, 0)
            if fit is None or other is None:
                continue
            rows = boot.rows_for(i, len(draws))
            W = boot.W[rows]
            values[rows] = boot.metric(metric, fit[0], fit[1], W)
            diffs[rows] = values[rows] - boot.metric(metric, other[0], other[1], W)
        return values, diffs

    for name, points in arms["filter"].items():
        rows_out = []
        for a in points:
            draws = arms["random"][a.extra["percent"]]
            plain = [boot.plain(metric, fitter.get(d.key, 0)) for d in draws]
            random_mean = float(np.nanmean(plain)) if np.isfinite(plain).any() else float("nan")
            values, random_lift = over_draws(draws, plain_base_fit)
            _, random_vs_signal = over_draws(draws, fitter.get(a.key, 0))
            vs = -random_vs_signal  # signal - random, paired on each resample
            vs_ci = boot.interval(vs)
            verdict = _verdict(vs_ci)
            entry = {"percent": a.extra["percent"], "n_dropped": a.extra["n_dropped"],
                     "n_synthetic": a.n_synthetic, **lift_of(a)}
            entry.update(
                random_mean=random_mean,
                random_ci=boot.interval(values),
                random_scores=plain,
                random_lift=random_mean - out["real_only"],
                random_lift_ci=boot.interval(random_lift),
                vs_random=entry["score"] - random_mean,
                vs_random_ci=vs_ci,
                vs_random_p=boot.p_value(vs),
                beats_random=verdict == "helps",
                vs_random_verdict={"helps": "better than random", "hurts": "worse than random",
                                   "no significant lift": "no different from random"}[verdict])
            rows_out.append(entry)
        out["filter_and_retest"][name] = rows_out
    return out


# ------------------------------------------------------------------------------- sentences

def _fmt(x: float, signed: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def _verdict_sentence(s: dict) -> str:
    m = s["metric_name"]
    n_syn, n_eval = s["n_train_synthetic"], s["eval"]["n_rows"]
    real, both, lift = s["real_only"], s["real_plus_synthetic"], s["lift"]
    lo, hi = s["lift_ci"]
    level = 1 - s["config"]["alpha"]
    interval = f"{level:.0%} interval {_fmt(lo, True)} to {_fmt(hi, True)}"
    where = f"{m} on {n_eval:,} real evaluation rows"
    added = f"adding the {n_syn:,} synthetic rows"
    if s["verdict"] == "helps":
        text = (f"The synthetic data helps: {added} raises {where} from "
                f"{_fmt(real)} (real only) to {_fmt(both)} (real + synthetic), a lift of "
                f"{_fmt(lift, True)} ({interval}).")
    elif s["verdict"] == "hurts":
        text = (f"The synthetic data hurts: {added} lowers {where} from "
                f"{_fmt(real)} (real only) to {_fmt(both)} (real + synthetic), a lift of "
                f"{_fmt(lift, True)} ({interval}); train on the real rows alone, or filter the "
                "synthetic rows first.")
    else:
        half = (hi - lo) / 2 if np.isfinite(lo) and np.isfinite(hi) else float("nan")
        text = (f"No significant lift: {added} changes {where} from "
                f"{_fmt(real)} (real only) to {_fmt(both)} (real + synthetic), a lift of "
                f"{_fmt(lift, True)} ({interval}, which includes 0). With these data a lift "
                f"smaller than about +-{_fmt(half)} cannot be told from chance.")
    syn = s["synthetic_only"]
    if syn is not None and np.isfinite(syn):
        text += f" A model trained on the synthetic rows alone scores {_fmt(syn)}."
    return text


def _findings(s: dict) -> list[str]:
    out = []
    gens = s.get("per_generator") or {}
    if len(gens) > 1:
        parts = [f"{g} {_fmt(e['lift'], True)} ({e['verdict']})" for g, e in gens.items()]
        out.append("Lift per generator (real + that generator's rows): " + "; ".join(parts) + ".")
    curve = s.get("how_much") or []
    if len(curve) > 1:
        parts = [f"{e['fraction']:.0%} {_fmt(e['lift'], True)}" for e in curve]
        out.append("Lift by share of the synthetic rows added: " + ", ".join(parts) + ".")
    fr = s.get("filter_and_retest") or {}
    better = [f"{name} at {e['percent']:g}% ({_fmt(e['vs_random'], True)})"
              for name, rows in fr.items() for e in rows if e["beats_random"]]
    worse = [f"{name} at {e['percent']:g}%" for name, rows in fr.items() for e in rows
             if e["vs_random_verdict"] == "worse than random"]
    if fr:
        if better:
            out.append("Dropping the rows the audit ranks worst beats dropping as many at random "
                       "for: " + "; ".join(better) + ".")
        else:
            out.append("Dropping the rows the audit ranks worst is never significantly better "
                       "than dropping as many at random.")
        if worse:
            out.append("It is significantly worse than random for: " + "; ".join(worse) + ".")
    ev = s["eval"]
    if ev["n_excluded_leakage"]:
        out.append(f"{plural(ev['n_excluded_leakage'], 'evaluation row')} also appeared among the "
                   f"training rows ({ev['n_exact']} exact, {ev['n_near']} near copies) and "
                   f"{'was' if ev['n_excluded_leakage'] == 1 else 'were'} left out.")
    return out


def _eval_table(eval_frame, leak, fitter, arms, classes, keep) -> pd.DataFrame:
    table = pd.DataFrame({"row": eval_frame["row"].to_numpy(np.int64),
                          "text": eval_frame["text"].astype(str).to_numpy(object),
                          "label": eval_frame["label"].to_numpy(object),
                          "excluded": leak["excluded"],
                          "leakage": leak["kind"].astype(str),
                          "leak_side": leak["side"].astype(str),
                          "leak_row": pd.array(np.where(leak["row"] >= 0, leak["row"], 0),
                                               dtype="Int64"),
                          "leak_similarity": leak["similarity"].astype(np.float64)})
    table.loc[leak["row"] < 0, "leak_row"] = pd.NA
    names = np.asarray(classes, dtype=object)
    for key in ("real_only", "real_plus_synthetic", "synthetic_only"):
        col = np.full(len(table), None, dtype=object)
        fit = fitter.get(arms[key].key, 0)
        if fit is not None:
            col[np.flatnonzero(keep)] = names[fit[0]]
        table[f"pred_{key}"] = col
    return table
