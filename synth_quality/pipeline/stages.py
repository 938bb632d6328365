"""What the steps of one audit share, as typed bundles: the stage objects that replace the
defaults (:class:`Stages`), the run's rows and settings (:class:`AuditRun`) and what the stages
computed (:class:`Measured`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from synth_quality.config import AuditConfig
from synth_quality.errors import ErrorKind, InputDataError
from synth_quality.graph.knn import NeighborGraph
from synth_quality.io import AuditInput
from synth_quality.progress import ProgressCallback, null_progress


@dataclass(frozen=True)
class Stages:
    """Objects that replace a default stage (None: built from the config).

    embedder : ``encode_batch(texts) -> (n, d)`` unit vectors (see :mod:`synth_quality.embed.api`)
    map_projector, cluster_projector : ``fit_transform(X) -> (n, k)``
    clusterer : ``fit_predict(coords) -> labels`` (-1 = noise)
    classifier : an unfitted scikit-learn classifier for the out-of-fold detector
    """

    embedder: Any = None
    map_projector: Any = None
    cluster_projector: Any = None
    clusterer: Any = None
    classifier: Any = None


@dataclass
class AuditRun:
    """One audit: its rows (real first, then synthetic), settings and stage objects, the earlier
    audit it may start from, and the progress, timings and notes it reports to."""

    inputs: AuditInput
    config: AuditConfig
    stages: Stages = field(default_factory=Stages)
    previous: Any = None  # an AuditResult
    progress: ProgressCallback = null_progress
    timings: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    measures: Any = None  # text measures computed elsewhere (the Ray engine), one row per row

    def __post_init__(self):
        self.frame: pd.DataFrame = self.inputs.frame.reset_index(drop=True)
        side = self.frame["side"].to_numpy()
        self.n_real = int((side == "real").sum())
        if not (side[:self.n_real] == "real").all():
            raise InputDataError("internal: rows must be ordered real first, then synthetic")
        folds = self.config.detect.n_folds
        for name, count in (("real", self.n_real), ("synthetic", len(self.frame) - self.n_real)):
            if count < folds:
                raise InputDataError(f"the {name} side has {count} rows; at least {folds} are "
                                     f"needed for {folds}-fold cross-validation",
                                     kind=ErrorKind.ROWS, side=name)
        self.texts: list[str] = self.frame["text"].astype(str).tolist()
        self.is_syn: np.ndarray = side == "synthetic"


@dataclass
class Measured:
    """What the stages computed: embeddings, neighbour graph, manifold counts, both
    projections, cluster labels, the fine label-blind groups and the one-sided regions among
    them, the detector's out-of-fold P(synthetic), and the no-difference nulls the per-row
    flags are calibrated against."""

    X: np.ndarray
    embed_info: dict
    matched: np.ndarray | None = None       # each row's index in the earlier audit, or -1
    graph: NeighborGraph | None = None
    manifold: dict | None = None
    warm: dict | None = None                # summary["warm_start"]
    xy: np.ndarray | None = None
    coords: np.ndarray | None = None
    p_syn: np.ndarray | None = None
    labels: np.ndarray | None = None
    linkage: Any = None                     # HDBSCAN's tree, shared by clusters and groups
    groups: Any = None                      # analysis.regions.fine_groups (groups x rows)
    regions: pd.DataFrame | None = None     # analysis.regions.one_sided_regions
    classifier_null: Any = None             # analysis.reference.ClassifierNull
    coverage_null: Any = None               # analysis.coverage.CoverageNull
    graph_extended: bool = False            # the earlier audit's graph, extended
    windows: Any = None                     # embed.windows.Windows (long texts)
    label_check: Any = None                 # analysis.labels.LabelQuality, with a label column
    copy_reference: Any = None              # pipeline.rows.copy_reference_of (the copy flag's)
