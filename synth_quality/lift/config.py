"""Settings of the real-data control (:class:`LiftConfig`) and the names its results use.

Kept apart from the orchestrator (:mod:`synth_quality.lift.run`) so that every module of the
control can read its settings without importing the orchestrator.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from synth_quality.config import check_float, check_int
from synth_quality.errors import ConfigError

METRICS = ("accuracy", "macro_f1", "auc")
METRIC_NAMES = {"accuracy": "accuracy", "macro_f1": "macro-F1", "auc": "AUC"}

SIGNALS = ("label_issue", "outlier", "duplicate", "degeneration", "label_quality")
VERDICTS = ("helps", "no significant lift", "hurts")
HELD_OUT_SOURCE = "held-out split of real rows"
MIN_EVAL_ROWS = 20          # fewer evaluation rows cannot support any interval worth reading


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
    signals : tuple of str, default ("label_issue", "outlier", "duplicate", "degeneration", "label_quality")
        The audit signals ranked in filter-and-retest; an empty tuple skips it.
        ``label_quality`` ranks the synthetic rows whose text looks least like their task
        label first (:mod:`synth_quality.analysis.labels`).
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
