"""The UMAP worker's own side (runs in the child process that :class:`~.worker.ProjectionWorker`
starts): load UMAP once, then project each job folder named on stdin and reply on stdout."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from synth_quality.graph.knn import NeighborGraph
from synth_quality.project.layout import project
from synth_quality.project.warmup import is_warm, load_in_process, warm_up
from synth_quality.project.worker import ARRAY_KWARGS, REPLY


def serve(warm_up_first: bool = False) -> None:
    """The worker's loop: load UMAP once (compile it first if ``warm_up_first`` and the
    cache is cold), then project each folder named on stdin."""
    replies = sys.stdout
    sys.stdout = sys.stderr  # anything else that prints must not look like a reply

    def reply(text: str) -> None:
        replies.write(REPLY + text.replace("\n", " ")[:300] + "\n")
        replies.flush()

    if warm_up_first and not is_warm():
        try:
            warm_up()
        except Exception:  # noqa: BLE001 - a job then compiles what it needs, as before
            pass
    else:
        load_in_process()
    reply("ready")
    for line in sys.stdin:
        try:
            run_job(line.strip())
            reply("ok")
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which projects itself
            reply(f"error {type(exc).__name__}: {exc}")


def run_job(folder: str) -> None:
    """Project the job in ``folder`` (written by :func:`~.worker.job_folder`) into its out.npy."""
    path = Path(folder)
    kwargs = json.loads((path / "kwargs.json").read_text())
    for name in ARRAY_KWARGS:
        if (path / f"{name}.npy").is_file():
            kwargs[name] = np.load(path / f"{name}.npy")
    X = np.load(path / "X.npy")
    knn_indices = np.load(path / "knn_indices.npy")
    graph = NeighborGraph(knn_indices, np.load(path / "knn_similarities.npy"),
                          *(np.empty(0),) * 3)
    out = project(X, graph, **kwargs)
    np.save(path / "out.tmp.npy", out)
    os.replace(path / "out.tmp.npy", path / "out.npy")
