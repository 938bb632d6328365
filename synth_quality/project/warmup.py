"""Pay numba's compilation once per machine, and off the critical path.

UMAP's numba code compiles in every new process unless cached (see :mod:`.compat`, which
imports umap without pynndescent and turns on numba's on-disk cache).
:func:`start_background_warmup` compiles everything in a separate process while the audit is
busy embedding (or while the dashboard starts), once per machine: a marker file records that
the cache is warm for this numba/umap/pynndescent version. :func:`load_in_process` loads the
compiled code into a long-running process ahead of its first projection.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from synth_quality.project.compat import (
    configure_numba_cache,
    import_umap,
    internals_versions,
    numba_cache_dir,
)

log = logging.getLogger(__name__)


def _marker() -> Path:
    return numba_cache_dir() / f"synth-quality-warm-{internals_versions()}"


def is_warm() -> bool:
    try:
        return _marker().is_file()
    except Exception:
        return False


def warm_up() -> None:
    """Compile UMAP's code paths the audit uses (tiny fits, 2-d and 5-d) into the cache."""
    import_umap()
    _tiny_fits(300, 16)
    marker = _marker()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("ok\n")


def load_in_process() -> bool:
    """Load UMAP and its cached machine code into this process (about 3 s), if the cache is warm.

    A long-running process (the dashboard) calls this in a background thread before it needs
    UMAP, so its first projection does not pay the import. Nothing is compiled here: with a
    cold cache it returns False at once and :func:`start_background_warmup` does the work.
    """
    if not is_warm():
        return False
    configure_numba_cache()
    import_umap()
    _tiny_fits(60, 8, n_epochs=5)  # the code is compiled: running it once loads it
    return True


def _tiny_fits(n_rows: int, dim: int, **project_kwargs) -> None:
    """UMAP on random unit vectors through the audit's code paths: 2-d map and 5-d clusters,
    each fitted and then with a fifth of the rows placed among the others (adding rows)."""
    import numpy as np

    from synth_quality.graph.knn import build_neighbor_graph
    from synth_quality.project.layout import place_new_rows, project

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, dim)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    graph = build_neighbor_graph(X, n_rows // 2, 14, 5)
    fixed = np.arange(n_rows) % 5 != 0
    for dims, min_dist in ((2, 0.1), (5, 0.0)):
        layout = project(X, graph, dims, 15, min_dist, 0, **project_kwargs)
        place_new_rows(graph, layout, fixed, 15, min_dist, 0, 5)


_RUNNING = None  # the warm-up process (or worker) this process started


def start_background_warmup(as_worker: bool = False):
    """Start :func:`warm_up` in a child process unless the cache is already warm.

    Returns the process (``wait()`` on it before the first UMAP fit; ``poll()`` is None while it
    compiles) or None. A warm-up this process already started and that is still running is
    returned instead of a second one. With ``as_worker`` (an audit that will hand its cluster
    projection to a :class:`~synth_quality.project.worker.ProjectionWorker`) the child is that worker:
    it compiles, then stays to project, so the worker does not start and load UMAP again
    after the warm-up (about 6 s at the start of the cluster projection).
    """
    global _RUNNING
    if is_warm():
        return None
    if _RUNNING is not None and _RUNNING.poll() is None:
        return _RUNNING
    configure_numba_cache()
    if as_worker:
        from synth_quality.project.worker import start_projection_worker

        worker = start_projection_worker(warm_up_first=True)
        if worker is not None and worker.poll() is None:  # not one already serving uncompiled
            _RUNNING = worker
            return worker
    env = dict(os.environ)
    try:
        _RUNNING = subprocess.Popen([sys.executable, "-c",
                                     "from synth_quality.project.warmup import warm_up; warm_up()"],
                                    env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        return _RUNNING
    except OSError as exc:
        log.info("could not start the numba warm-up process: %s", exc)
        return None
