"""The UMAP worker: a second process that runs the cluster projection beside the map projection.

Seeded UMAP is single-threaded, so on a machine with two or more cores the cluster projection
can run in a child process (:class:`ProjectionWorker`) while this process draws the map. Jobs
travel as folders of ``.npy`` files (:func:`job_folder`); the child's side is
:mod:`synth_quality.project.serve`.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from synth_quality.graph.knn import NeighborGraph
from synth_quality.project.layout import cache_file, cache_params, project

log = logging.getLogger(__name__)


# Seeded UMAP is single-threaded, so the cluster projection can run in a second process (a
# ProjectionWorker) beside the map projection, on the other core. A new worker costs about 3 s
# of start-up (imports), which pays only when a fit takes longer than that: a fit from scratch
# of at least this many rows (about 6 s at 9,350 rows, 42-60 s at 51,000) ...
NEW_WORKER_MIN_ROWS = 5_000


# ... while a worker that is already running (the dashboard starts one ahead of time, see
# start_projection_worker) is used from this many rows up, warm starts included (at 10,350
# rows a warm-started fit takes about 1.7 s).
WORKER_PROJECTION_MIN_ROWS = 2_000


class _InThisProcess:
    """A projection computed (or read from the cache) here, when ``result()`` is called."""

    def __init__(self, X, graph, kwargs):
        self._args = (X, graph, kwargs)

    def result(self) -> np.ndarray:
        X, graph, kwargs = self._args
        return project(X, graph, **kwargs)


class ProjectionWorker:
    """A child process with UMAP imported and its machine code loaded, waiting for projections.

    A long-running process (the dashboard) starts one ahead of time with
    :func:`start_projection_worker`; :func:`project_in_background` then hands it the cluster
    projection, which runs beside the map projection without the ~3 s start of a new process.
    Jobs go over its stdin as folder paths (the files :func:`synth_quality.project.serve.run_job` reads), one at a
    time; it exits when this process closes the pipe (or exits).
    """

    def __init__(self, warm_up_first: bool = False):
        """``warm_up_first``: with a cold numba cache, compile UMAP's code (:func:`.warmup.warm_up`)
        before serving, so that one process is both the audit's warm-up and its worker;
        otherwise the worker only loads what is already compiled."""
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from synth_quality.project.serve import serve; "
             f"serve(warm_up_first={bool(warm_up_first)})"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, bufsize=1)
        self._busy = threading.Lock()
        self._ready = threading.Event()
        threading.Thread(target=self._await_ready, daemon=True,
                         name="synth-quality-umap-worker-ready").start()

    def _await_ready(self) -> None:
        """Read the worker's output up to its "ready" line (or its end, if it dies first)."""
        try:
            for line in self._process.stdout:
                if line.strip() == REPLY + "ready":
                    break
        except (OSError, ValueError):
            pass
        finally:
            self._ready.set()

    def alive(self) -> bool:
        return self._process.poll() is None

    # poll() and wait() as subprocess.Popen's, so that the audit can treat a worker that is
    # compiling UMAP's code as its warm-up process: "done" once the worker is ready to serve.
    def poll(self) -> int | None:
        """None while the worker is still starting (compiling or loading), else 0 (or its
        exit code if it has died)."""
        if not self._ready.is_set():
            return None
        return self._process.poll() or 0

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait until the worker is ready to serve (or dead); see :meth:`poll`."""
        self._ready.wait(timeout)
        return self.poll()

    def try_submit(self, folder: tempfile.TemporaryDirectory, args: tuple):
        """A job whose ``result()`` waits for the projection, or None if the worker is busy or gone."""
        if not self.alive() or not self._busy.acquire(blocking=False):
            return None
        try:
            self._process.stdin.write(folder.name + "\n")
            self._process.stdin.flush()
        except OSError:
            self._busy.release()
            return None
        return _WorkerJob(self, folder, args)

    def _answer(self) -> str:
        """The worker's reply to the current job ("ok" or "error ..."); "" if it died."""
        try:
            self._ready.wait()  # until then the ready thread reads the worker's output
            while True:
                line = self._process.stdout.readline()
                if not line:
                    return ""
                if line.startswith(REPLY) and line.strip() != REPLY + "ready":
                    return line[len(REPLY):].strip()
        finally:
            self._busy.release()

    def stop(self) -> None:
        try:
            self._process.stdin.close()
            self._process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()


class _WorkerJob:
    """A projection sent to a :class:`ProjectionWorker`; falls back to this process on failure."""

    def __init__(self, worker: ProjectionWorker, folder, args: tuple):
        self._worker, self._folder, self._args = worker, folder, args

    def result(self) -> np.ndarray:
        try:
            answer = self._worker._answer()
            if answer == "ok":
                return np.load(Path(self._folder.name) / "out.npy")
            log.warning("the UMAP worker failed (%s); projecting here", answer or "it exited")
        except OSError as exc:
            log.warning("the UMAP worker failed (%s); projecting here", exc)
        finally:
            self._folder.cleanup()
        return project(*self._args[:2], **self._args[2])


_WORKER: ProjectionWorker | None = None
_WORKER_LOCK = threading.Lock()


def start_projection_worker(warm_up_first: bool = False) -> ProjectionWorker | None:
    """Start (once per process) the :class:`ProjectionWorker` that later audits hand their
    cluster projection to; None on a one-core machine or if it cannot start. A worker that is
    already running is returned as it is."""
    global _WORKER
    if (os.cpu_count() or 1) < 2:
        return None
    with _WORKER_LOCK:
        if _WORKER is None or not _WORKER.alive():
            try:
                _WORKER = ProjectionWorker(warm_up_first)
            except OSError as exc:
                log.info("could not start the UMAP worker: %s", exc)
                _WORKER = None
        return _WORKER


REPLY = "synth-quality-umap-worker: "  # marks the worker's replies among any other output


ARRAY_KWARGS = ("init", "fixed")  # project() arguments that travel to the worker as .npy files


def job_folder(X, graph, kwargs) -> tempfile.TemporaryDirectory:
    """The files :func:`synth_quality.project.serve.run_job` reads, in a temporary folder."""
    folder = tempfile.TemporaryDirectory(prefix="synth-quality-umap-")
    path = Path(folder.name)
    np.save(path / "X.npy", X)
    np.save(path / "knn_indices.npy", graph.knn_indices)
    np.save(path / "knn_similarities.npy", graph.knn_similarities)
    for name in ARRAY_KWARGS:
        if kwargs.get(name) is not None:
            np.save(path / f"{name}.npy", kwargs[name])
    (path / "kwargs.json").write_text(json.dumps({k: v for k, v in kwargs.items()
                                                  if k not in ARRAY_KWARGS}))
    return folder


def project_in_background(X: np.ndarray, graph: NeighborGraph, n_components: int,
                          n_neighbors: int, min_dist: float, random_state: int | None,
                          n_epochs: int | None = None, cache_dir: str | None = None,
                          use_cache: bool = False, init: np.ndarray | None = None,
                          fixed: np.ndarray | None = None, fit_rows: int | None = None,
                          place_epochs: int = 30):
    """Start :func:`project` (default UMAP projector) in another process when that pays.

    Returns an object whose ``result()`` is what ``project`` would return with the same
    arguments. Only seeded runs on a machine with more than one core, whose answer is not in
    the projection cache already, go elsewhere: to the running :class:`ProjectionWorker` from
    :data:`WORKER_PROJECTION_MIN_ROWS` rows (if it is free), or to a worker started now for a
    fit from scratch of :data:`NEW_WORKER_MIN_ROWS` rows or more. Otherwise ``result()``
    computes (or reads) it here.
    """
    kwargs = dict(n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist,
                  random_state=random_state, n_epochs=n_epochs, cache_dir=cache_dir,
                  use_cache=use_cache, init=init, fixed=fixed, fit_rows=fit_rows,
                  place_epochs=place_epochs)
    cached = (use_cache and random_state is not None and graph is not None
              and cache_file(cache_dir, X, cache_params(graph, **kwargs)).is_file())
    if cached or random_state is None or graph is None or (os.cpu_count() or 1) < 2:
        return _InThisProcess(X, graph, kwargs)
    n = X.shape[0]
    worker = _WORKER if _WORKER is not None and _WORKER.alive() else None
    if worker is None and n >= NEW_WORKER_MIN_ROWS and init is None:
        worker = start_projection_worker()
    if worker is not None and n >= WORKER_PROJECTION_MIN_ROWS:
        folder = job_folder(X, graph, kwargs)
        job = worker.try_submit(folder, (X, graph, kwargs))
        if job is not None:
            return job
        folder.cleanup()
    return _InThisProcess(X, graph, kwargs)


