"""The one result object that the command line, the dashboard and the tests read.

An :class:`AuditResult` holds three tables and the projection HDBSCAN ran on:

- ``examples``: one row per input row (see the README's column reference);
- ``clusters``: one row per cluster, noise (-1) included;
- ``summary``: counts, dataset scores, detection AUC, artifacts, timings, config, versions;
- ``cluster_coords``: the ``cluster_components``-d UMAP projection (for re-clustering);
- ``neighbor_graph``: the exact neighbour lists (so that adding rows searches only new pairs).

``save(dir)`` writes ``examples.parquet``, ``clusters.parquet``, ``summary.json``,
``cluster_coords.npy`` and ``neighbours.npz``; ``load(dir)`` reads them back. The object pickles, so Streamlit's
``st.cache_data`` can copy it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from synth_quality.config import AuditConfig
from synth_quality.errors import ErrorKind, InputDataError
from synth_quality.graph.knn import NeighborGraph
from synth_quality.schema import Summary, read_summary

OUTPUT_FILES = ("examples.parquet", "clusters.parquet", "summary.json")


def jsonable(value):
    """Make numpy scalars, arrays and NaN JSON-friendly (NaN -> null)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    return value


@dataclass
class AuditResult:
    examples: pd.DataFrame
    clusters: pd.DataFrame
    summary: dict
    cluster_coords: np.ndarray | None = None
    config: AuditConfig = field(default_factory=AuditConfig)
    warnings: list[str] = field(default_factory=list)
    neighbor_graph: NeighborGraph | None = None

    # ------------------------------------------------------------------ typed reading
    @property
    def facts(self) -> Summary:
        """:attr:`summary` as a typed, read-only :class:`~synth_quality.schema.Summary`
        (``result.facts.detection_auc``); raises InputDataError for a summary this version
        cannot read."""
        return read_summary(self.written_summary(), "the audit's summary")

    def written_summary(self) -> dict:
        """The summary as :meth:`save` writes it: with the warnings and the settings, NaN as
        None, numpy values as Python's."""
        return jsonable(dict(self.summary, warnings=list(self.warnings),
                             config=self.config.to_dict()))

    # ------------------------------------------------------------------ persistence
    def save(self, directory: str | Path, validate: bool | None = None) -> Path:
        """Write the result into ``directory`` (created if needed); return its path.

        ``validate`` (default: whether ``SYNTH_QUALITY_VALIDATE_SUMMARY`` is set, as the test
        suite sets it) checks summary.json against the schema before anything is written:
        strictly (:func:`~synth_quality.schema.validate_summary`) and with the shipped JSON
        Schema file; a mismatch raises InputDataError.
        """
        from synth_quality import schema

        summary = self.written_summary()
        if schema.validation_requested() if validate is None else validate:
            schema.validate_summary(summary, "summary.json")
            schema.check_with_json_schema(summary, "summary.json")
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.examples.to_parquet(out / "examples.parquet", index=False)
        self.clusters.to_parquet(out / "clusters.parquet", index=False)
        if self.cluster_coords is not None:
            np.save(out / "cluster_coords.npy", self.cluster_coords)
        if self.neighbor_graph is not None:
            self.neighbor_graph.save(out / "neighbours.npz")
        (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> "AuditResult":
        """Read a result written by :meth:`save` (or by ``synth-quality audit --out``)."""
        folder = Path(directory)
        if not folder.is_dir():
            raise InputDataError(f"audit folder not found: {folder}", kind=ErrorKind.AUDIT_FOLDER)
        missing = [name for name in OUTPUT_FILES if not (folder / name).is_file()]
        if missing:
            raise InputDataError(f"{folder} is not an audit folder: missing {', '.join(missing)}",
                                 kind=ErrorKind.AUDIT_FOLDER)
        try:
            examples = pd.read_parquet(folder / "examples.parquet")
            clusters = pd.read_parquet(folder / "clusters.parquet")
            summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except Exception as exc:
            raise InputDataError(f"could not read the audit in {folder}: {exc}",
                                 kind=ErrorKind.AUDIT_FOLDER) from exc
        read_summary(summary, str(folder / "summary.json"))  # one line if it cannot be read
        for col in ("keywords", "typical_examples", "typical_rows"):
            if col in clusters:
                clusters[col] = clusters[col].map(lambda v: list(v) if v is not None else [])
        coords_path = folder / "cluster_coords.npy"
        coords = np.load(coords_path) if coords_path.is_file() else None
        config = AuditConfig.from_dict(summary.get("config"))
        graph = NeighborGraph.load(folder / "neighbours.npz")
        if graph is not None and graph.knn_indices.shape[0] != len(examples):
            graph = None
        return cls(examples, clusters, summary, coords, config, list(summary.get("warnings", [])),
                   graph)

    # ------------------------------------------------------------------ conveniences
    @property
    def n_real(self) -> int:
        return int((self.examples["side"] == "real").sum())

    @property
    def n_synthetic(self) -> int:
        return int((self.examples["side"] == "synthetic").sum())

    def prepare_recluster(self):
        """Count the words of every text, once per result (re-clustering regroups the same
        texts; the cluster keywords then cost a sum instead of a pass over every text), and
        build HDBSCAN's spanning tree of the projection (it does not depend on the minimum
        cluster size; see :class:`synth_quality.analysis.cluster.LinkageCache`).
        Returns what :func:`synth_quality.analysis.keywords.term_counts` returns."""
        counts = self._words()
        if self.cluster_coords is not None and not getattr(self, "_linkage_built", False):
            from synth_quality.analysis.cluster import cluster_points

            cluster_points(self.cluster_coords, self.config.cluster,
                           linkage_cache=self._linkage())
            self._linkage_built = True
        return counts

    def _words(self):
        if not hasattr(self, "_word_counts"):
            from synth_quality.analysis.keywords import term_counts

            self._word_counts = term_counts(self.examples["text"].astype(str).tolist())
        return self._word_counts

    def _linkage(self):
        if not hasattr(self, "_linkage_cache"):
            from synth_quality.analysis.cluster import LinkageCache

            self._linkage_cache = LinkageCache()
        return self._linkage_cache

    def counted_words(self) -> tuple[bool, object]:
        """(whether :meth:`prepare_recluster` has counted the words yet, the counts)."""
        return hasattr(self, "_word_counts"), getattr(self, "_word_counts", None)

    def keep_linkage(self, cache) -> None:
        """Keep the HDBSCAN tree the audit built (a :class:`LinkageCache`), so re-clustering
        reuses it."""
        self._linkage_cache = cache

    def keep_word_counts(self, counts) -> None:
        """Keep ``term_counts`` of this result's texts, counted elsewhere (an audit that
        extended an earlier audit's counts), for :meth:`prepare_recluster`."""
        self._word_counts = counts

    def recluster(self, min_cluster_size: int, min_samples: int | None = None) -> "AuditResult":
        """The same audit with HDBSCAN re-run at another minimum cluster size.

        Only ``cluster`` in ``examples``, the cluster table and the cluster counts in
        ``summary`` change; it takes well under a second (no embedding, no UMAP).
        """
        from synth_quality.analysis.cluster import cluster_points, cluster_table

        if self.cluster_coords is None:
            raise InputDataError("this audit has no saved projection (cluster_coords.npy) to re-cluster")
        config = self.config.replace(cluster={"min_cluster_size": int(min_cluster_size),
                                              "min_samples": min_samples})
        labels = cluster_points(self.cluster_coords, config.cluster,
                                linkage_cache=self._linkage())
        examples = self.examples.copy()
        examples["cluster"] = labels
        clusters = cluster_table(examples, self.cluster_coords, config.cluster,
                                 word_counts=self._words())
        summary = dict(self.summary)
        summary.update(cluster_counts(clusters))
        again = AuditResult(examples, clusters, summary, self.cluster_coords, config,
                            list(self.warnings), self.neighbor_graph)
        # Same texts and projection: the word counts and the spanning tree still apply.
        again._word_counts, again._linkage_cache = self._word_counts, self._linkage_cache
        return again


def cluster_counts(clusters: pd.DataFrame) -> dict:
    """The cluster figures the summary carries."""
    if clusters.empty:
        return {"n_clusters": 0, "n_clusters_real_only": 0, "n_clusters_synthetic_only": 0,
                "noise_share": 1.0}
    real = clusters["cluster"] >= 0
    noise = clusters.loc[~real, "size"].sum()
    return {
        "n_clusters": int(real.sum()),
        "n_clusters_real_only": int((clusters["status"] == "real_only").sum()),
        "n_clusters_synthetic_only": int((clusters["status"] == "synthetic_only").sum()),
        "noise_share": float(noise / clusters["size"].sum()),
    }
