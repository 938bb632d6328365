"""Progress reporting without a UI dependency.

The library reports progress through a plain callable ``progress(stage, done, total)``:

- ``stage`` is one of the :class:`Stage` constants (``Stage.EMBEDDING``, ...): a stable
  identifier, never English text; the words a UI shows for it live in
  :mod:`synth_quality.present.progress`. A stage that is timed uses the same name as its key in
  ``summary["timings"]``;
- ``done`` counts finished units (rows, folds);
- ``total`` is the number of units, or ``None`` for a stage that gives no ticks (UMAP, HDBSCAN),
  where a UI shows a spinner. ``done == total`` (or a call with ``done=1, total=None`` after
  ``done=0``) marks the end of the stage.

No library module imports tqdm, rich or streamlit; the command line and the dashboard each
pass their own adapter.
"""

from __future__ import annotations

from typing import Callable, Optional

ProgressCallback = Callable[[str, int, Optional[int]], None]


class Stage:
    """The stages an audit (and the lift control) reports, in the order an audit runs them."""

    LOADING = "loading"                      # reading the input files
    LOADING_MODEL = "loading_model"          # the embedding model (inside embedding's time)
    EMBEDDING = "embedding"                  # ticks: rows
    NEIGHBOURS = "neighbours"                # ticks: rows
    COMPILING = "compiling"                  # numba compiles UMAP, once per machine
    PROJECTING_MAP = "projecting_map"        # UMAP, 2-d
    DETECTING = "detecting"                  # ticks: folds
    PROJECTING_CLUSTERS = "projecting_clusters"  # UMAP for clustering (the wait for it)
    CHECKING_LABELS = "checking_labels"      # ticks: model fits (with a label column)
    CLUSTERING = "clustering"                # HDBSCAN, and the one-sided regions
    REFERENCE_CLASSIFIER = "reference_classifier"  # ticks: shuffles (classifier retrained)
    REFERENCE_COVERAGE = "reference_coverage"      # the coverage statistic, shuffled labels
    SCORING = "scoring"                      # scores, calibrated flags, tables, the summary
    CORNERS = "corners"                      # density bands, rarity scores, rounds (centre or
                                             # corners; DIVERSITY runs inside its time)
    DIVERSITY = "diversity"                  # ticks: groups (each side, generator and round)
    REFERENCE = "reference"                  # every figure's no-difference band
    SECOND_VIEW = "second_view"              # the model-free view (words and characters)
    # the lift control (run_lift), after LOADING and EMBEDDING
    LEAKAGE = "leakage"                      # evaluation rows that copy a training row
    RANKING = "ranking"                      # the synthetic rows ranked by each audit signal
    LIFT = "lift"                            # ticks: model fits

    # the self-test (run_selftest), before the audit of the planted copy
    PLANTING = "planting"                    # defects planted into a copy of the data

    AUDIT = (LOADING, LOADING_MODEL, EMBEDDING, NEIGHBOURS, COMPILING, PROJECTING_MAP,
             DETECTING, PROJECTING_CLUSTERS, CHECKING_LABELS, CLUSTERING, REFERENCE_CLASSIFIER,
             REFERENCE_COVERAGE, SCORING, CORNERS, DIVERSITY, REFERENCE, SECOND_VIEW)
    LIFT_STAGES = (LOADING, EMBEDDING, LEAKAGE, RANKING, LIFT)


def null_progress(stage: str, done: int, total: int | None) -> None:
    """Ignore progress (the default)."""


class StageTimer:
    """Report a tick-less stage as started/finished and add its wall time to ``timings[stage]``."""

    def __init__(self, progress: ProgressCallback, timings: dict, stage: str):
        self.progress, self.timings, self.stage = progress, timings, stage

    def __enter__(self):
        import time

        self._t0 = time.perf_counter()
        self.progress(self.stage, 0, None)
        return self

    def __exit__(self, *exc):
        import time

        self.timings[self.stage] = round(self.timings.get(self.stage, 0.0)
                                         + time.perf_counter() - self._t0, 3)
        if exc[0] is None:
            self.progress(self.stage, 1, None)
        return False
