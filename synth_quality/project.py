"""UMAP projections built on the shared neighbour graph.

Two projections are made from the same exact k-NN graph (see :mod:`synth_quality.neighbors`):
a 2-d one for the map and a ``cluster_components``-d one for HDBSCAN. Passing the graph as
``precomputed_knn`` skips UMAP's own NN-descent, which is both the slowest part of a first fit
(numba compilation) and the only approximate one.

Any object with ``fit_transform(X) -> (n, d)`` can replace the default projector.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np

from .neighbors import NeighborGraph

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

# Part of the projection cache's key: raise it whenever a change in this package's code changes
# what a seeded projection of the same inputs gives (2: the spectral start of .spectral), so
# that a cache written by an earlier version is not read back as if this one had made it.
LAYOUT_VERSION = 2


class Projector(Protocol):
    def fit_transform(self, X: np.ndarray) -> np.ndarray: ...


def umap_knn_from_graph(graph: NeighborGraph, n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """UMAP's precomputed_knn layout: each row's own index first (distance 0), then its
    ``n_neighbors - 1`` nearest rows by cosine distance."""
    n = graph.knn_indices.shape[0]
    m = min(n_neighbors - 1, graph.knn_indices.shape[1])
    idx = np.hstack([np.arange(n)[:, None], graph.knn_indices[:, :m]]).astype(np.int32)
    dist = np.hstack([np.zeros((n, 1), np.float32),
                      np.clip(1.0 - graph.knn_similarities[:, :m], 0.0, 2.0)]).astype(np.float32)
    return idx, dist


def make_umap(n_components: int, n_neighbors: int, min_dist: float, random_state: int | None,
              knn: tuple[np.ndarray, np.ndarray] | None = None, n_epochs: int | None = None,
              init: np.ndarray | None = None):
    """A UMAP estimator with the audit's defaults (cosine metric, spectral init).

    With ``random_state`` set UMAP runs single-threaded and is reproducible; with None it uses
    every core and is not.
    """
    from .warmup import import_umap

    umap = import_umap()  # cached machine code: numba compiles once per machine

    kwargs = dict(n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist,
                  metric="cosine", random_state=random_state, low_memory=True,
                  n_epochs=n_epochs)
    if knn is not None:
        kwargs.update(precomputed_knn=(knn[0], knn[1]), force_approximation_algorithm=True)
    if init is not None:
        kwargs["init"] = np.asarray(init, dtype=np.float32)
    return umap.UMAP(**kwargs)


def _cache_path(cache_dir, X: np.ndarray, params: tuple) -> Path:
    from importlib import metadata

    from .embed import default_cache_dir

    digest = hashlib.sha1(np.ascontiguousarray(X).tobytes())
    digest.update(repr((params, metadata.version("umap-learn"), LAYOUT_VERSION)).encode())
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    return root / "projections" / f"{digest.hexdigest()}.npy"


def _cache_params(graph, n_components, n_neighbors, min_dist, random_state, n_epochs,
                  init=None, fixed=None, **_ignored) -> tuple:
    start = None if init is None else hashlib.sha1(np.ascontiguousarray(init)).hexdigest()
    params = (n_components, n_neighbors, min_dist, random_state, n_epochs,
              graph.knn_indices.shape[1] if graph else 0) + ((start,) if start else ())
    if fixed is not None:
        params += ("placed", hashlib.sha1(np.packbits(np.asarray(fixed, bool))).hexdigest())
    return params


def project(X: np.ndarray, graph: NeighborGraph | None, n_components: int, n_neighbors: int,
            min_dist: float, random_state: int | None, projector: Projector | None = None,
            n_epochs: int | None = None, cache_dir: str | None = None, use_cache: bool = False,
            init: np.ndarray | None = None, fixed: np.ndarray | None = None) -> np.ndarray:
    """Project X to ``n_components`` dimensions.

    ``init`` (n, n_components), optional, is where UMAP starts instead of its spectral layout
    (see :func:`warm_start`). With ``fixed`` (n,) bool as well, the rows marked True keep their
    ``init`` positions exactly and only the others are placed among them
    (:func:`place_new_rows`, default projector only).

    With ``use_cache`` (default projector and an int ``random_state`` only) the result is kept
    on disk keyed by X and the settings: the same inputs always give the same layout, so it is
    read back instead of recomputed.

    Returns
    -------
    ndarray of shape (n, n_components), float32
    """
    n = X.shape[0]
    cached = None
    if use_cache and projector is None and random_state is not None:
        cached = _cache_path(cache_dir, X, _cache_params(graph, n_components, n_neighbors,
                                                         min_dist, random_state, n_epochs, init,
                                                         fixed))
        if cached.is_file():
            try:
                out = np.load(cached)
                if out.shape == (n, n_components):
                    return out
            except (OSError, ValueError):
                pass
    if fixed is not None and projector is None and graph is not None and init is not None:
        out = place_new_rows(graph, init, fixed, n_neighbors, min_dist, random_state, n_epochs)
    else:
        out = _project(X, graph, n_components, n_neighbors, min_dist, random_state, projector,
                       n_epochs, init)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".tmp{os.getpid()}.npy")
            np.save(tmp, out)
            tmp.replace(cached)
        except OSError:  # a read-only cache only costs time
            pass
    return out


def _project(X, graph, n_components, n_neighbors, min_dist, random_state, projector, n_epochs,
             init=None):
    n = X.shape[0]
    if projector is None:
        if n <= n_components + 2:
            # Too few rows for a manifold: place them by their first principal axes.
            centered = X - X.mean(axis=0)
            _, _, vt = np.linalg.svd(centered, full_matrices=False)
            out = centered @ vt[:n_components].T
            pad = n_components - out.shape[1]
            return np.pad(out, ((0, 0), (0, max(pad, 0)))).astype(np.float32)
        n_neighbors = max(2, min(n_neighbors, n - 1))
        knn = umap_knn_from_graph(graph, n_neighbors) if graph is not None else None
        if init is None and knn is not None:
            # UMAP's own spectral start, with a faster eigensolver (see .spectral).
            from .spectral import default_epochs, fuzzy_graph, spectral_init

            init = spectral_init(fuzzy_graph(n, *knn, n_neighbors), n_components,
                                 n_epochs or default_epochs(n), X, random_state)
        projector = make_umap(n_components, n_neighbors, min_dist, random_state, knn, n_epochs,
                              init)
    with warnings.catch_warnings():
        # UMAP warns that a seed disables parallelism and that transform() is unavailable
        # without a search index; both are expected here.
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        warnings.filterwarnings("ignore", message=".*n_jobs.*")
        out = projector.fit_transform(X)
    return np.asarray(out, dtype=np.float32)


def place_new_rows(graph: NeighborGraph, layout: np.ndarray, fixed: np.ndarray, n_neighbors: int,
                   min_dist: float, random_state: int | None, n_epochs: int | None) -> np.ndarray:
    """A UMAP layout in which the ``fixed`` rows keep their ``layout`` positions exactly and the
    other (new) rows are placed among them.

    This is UMAP's own ``transform`` approach, on the audit's neighbour graph: the fuzzy graph
    is built on all rows as in a fit, and ``n_epochs`` of UMAP's optimiser (at a quarter of
    its learning rate, as ``transform`` does) move only the new rows, pulled by their edges to
    old and new rows alike and pushed by negative samples. A new row starts at ``layout`` (for
    a new row: beside its nearest old rows, :func:`warm_start`). It costs time in proportion
    to the new rows, not to all of them.
    """
    from .warmup import import_umap

    import_umap()  # cached machine code, as for a fit
    from umap.layouts import optimize_layout_euclidean
    from umap.umap_ import find_ab_params, make_epochs_per_sample

    from .spectral import fuzzy_graph

    n = layout.shape[0]
    n_epochs = int(n_epochs or 100)
    moving = ~np.asarray(fixed, bool)
    out = np.array(layout, dtype=np.float32, order="C", copy=True)
    if not moving.any():
        return out
    rng = np.random.RandomState(random_state)
    # Coinciding starts (new rows that share their old neighbours) are nudged apart, as UMAP
    # does for an init with duplicates.
    out[moving] += rng.normal(scale=1e-3 * float(out.std() or 1.0),
                              size=(int(moving.sum()), out.shape[1])).astype(np.float32)
    n_neighbors = max(2, min(n_neighbors, n - 1))
    fuzzy = fuzzy_graph(n, *umap_knn_from_graph(graph, n_neighbors), n_neighbors)
    # The edges UMAP's fit would keep at this many epochs, from a moving row.
    keep = (fuzzy.data >= fuzzy.data.max() / float(n_epochs)) & moving[fuzzy.row]
    head, tail, weight = fuzzy.row[keep], fuzzy.col[keep], fuzzy.data[keep]
    if len(head) == 0:
        return out
    a, b = find_ab_params(1.0, min_dist)
    rng_state = rng.randint(np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max - 1,
                            3).astype(np.int64)
    return np.asarray(optimize_layout_euclidean(
        out, out, head.astype(np.int32), tail.astype(np.int32), n_epochs, n,
        make_epochs_per_sample(weight, n_epochs), a, b, rng_state, 1.0, 0.25, 5.0,
        parallel=False, move_other=False), dtype=np.float32)


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
    Jobs go over its stdin as folder paths (the files :func:`_worker_main` reads), one at a
    time; it exits when this process closes the pipe (or exits).
    """

    def __init__(self, warm_up_first: bool = False):
        """``warm_up_first``: with a cold numba cache, compile UMAP's code (:func:`.warmup.warm_up`)
        before serving, so that one process is both the audit's warm-up and its worker;
        otherwise the worker only loads what is already compiled."""
        env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from synth_quality.project import _serve; "
             f"_serve(warm_up_first={bool(warm_up_first)})"],
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
                if line.strip() == _REPLY + "ready":
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
                if line.startswith(_REPLY) and line.strip() != _REPLY + "ready":
                    return line[len(_REPLY):].strip()
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


_REPLY = "synth-quality-umap-worker: "  # marks the worker's replies among any other output


def _serve(warm_up_first: bool = False) -> None:
    """The worker's loop: load UMAP once (compile it first if ``warm_up_first`` and the
    cache is cold), then project each folder named on stdin."""
    replies = sys.stdout
    sys.stdout = sys.stderr  # anything else that prints must not look like a reply

    def reply(text: str) -> None:
        replies.write(_REPLY + text.replace("\n", " ")[:300] + "\n")
        replies.flush()

    from .warmup import is_warm, load_in_process, warm_up

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
            _worker_main(line.strip())
            reply("ok")
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which projects itself
            reply(f"error {type(exc).__name__}: {exc}")


_ARRAY_KWARGS = ("init", "fixed")  # project() arguments that travel to the worker as .npy files


def _job_folder(X, graph, kwargs) -> tempfile.TemporaryDirectory:
    """The files :func:`_worker_main` reads, in a temporary folder."""
    folder = tempfile.TemporaryDirectory(prefix="synth-quality-umap-")
    path = Path(folder.name)
    np.save(path / "X.npy", X)
    np.save(path / "knn_indices.npy", graph.knn_indices)
    np.save(path / "knn_similarities.npy", graph.knn_similarities)
    for name in _ARRAY_KWARGS:
        if kwargs.get(name) is not None:
            np.save(path / f"{name}.npy", kwargs[name])
    (path / "kwargs.json").write_text(json.dumps({k: v for k, v in kwargs.items()
                                                  if k not in _ARRAY_KWARGS}))
    return folder


def project_in_background(X: np.ndarray, graph: NeighborGraph, n_components: int,
                          n_neighbors: int, min_dist: float, random_state: int | None,
                          n_epochs: int | None = None, cache_dir: str | None = None,
                          use_cache: bool = False, init: np.ndarray | None = None,
                          fixed: np.ndarray | None = None):
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
                  use_cache=use_cache, init=init, fixed=fixed)
    cached = (use_cache and random_state is not None and graph is not None
              and _cache_path(cache_dir, X, _cache_params(graph, **kwargs)).is_file())
    if cached or random_state is None or graph is None or (os.cpu_count() or 1) < 2:
        return _InThisProcess(X, graph, kwargs)
    n = X.shape[0]
    worker = _WORKER if _WORKER is not None and _WORKER.alive() else None
    if worker is None and n >= NEW_WORKER_MIN_ROWS and init is None:
        worker = start_projection_worker()
    if worker is not None and n >= WORKER_PROJECTION_MIN_ROWS:
        folder = _job_folder(X, graph, kwargs)
        job = worker.try_submit(folder, (X, graph, kwargs))
        if job is not None:
            return job
        folder.cleanup()
    return _InThisProcess(X, graph, kwargs)


def _worker_main(folder: str) -> None:
    path = Path(folder)
    kwargs = json.loads((path / "kwargs.json").read_text())
    for name in _ARRAY_KWARGS:
        if (path / f"{name}.npy").is_file():
            kwargs[name] = np.load(path / f"{name}.npy")
    X = np.load(path / "X.npy")
    knn_indices = np.load(path / "knn_indices.npy")
    graph = NeighborGraph(knn_indices, np.load(path / "knn_similarities.npy"),
                          *(np.empty(0),) * 3)
    out = project(X, graph, **kwargs)
    np.save(path / "out.tmp.npy", out)
    os.replace(path / "out.tmp.npy", path / "out.npy")


def match_rows(keys_now: list, keys_before: list) -> np.ndarray:
    """For each key (side, text) of today's rows, the index of the same row in an earlier
    audit, or -1 for a new row. A key that occurs several times is matched occurrence by
    occurrence (the k-th now with the k-th before), so each copy keeps its own earlier place."""
    where_before: dict = {}
    for i, key in enumerate(keys_before):
        where_before.setdefault(key, []).append(i)
    seen: dict = {}
    matched = np.full(len(keys_now), -1, np.int64)
    for i, key in enumerate(keys_now):
        places = where_before.get(key)
        if places:
            k = seen.get(key, 0)
            if k < len(places):
                matched[i] = places[k]
                seen[key] = k + 1
    return matched


def warm_start(matched: np.ndarray, layout_before: np.ndarray,
               knn_indices: np.ndarray) -> np.ndarray:
    """Starting positions for UMAP from an earlier layout of (mostly) the same rows.

    ``matched`` is each row's index in the earlier audit or -1 (:func:`match_rows`). Matched
    rows start where they were; a new row starts at the mean position of its nearest
    neighbours that were there (``knn_indices``, nearest first; the first 5 such), or at the
    centre if none was.
    """
    start = np.zeros((len(matched), layout_before.shape[1]), np.float32)
    have = matched >= 0
    start[have] = layout_before[matched[have]]
    centre = start[have].mean(axis=0) if have.any() else np.zeros(layout_before.shape[1])
    for i in np.flatnonzero(~have):
        near = [j for j in knn_indices[i] if j >= 0 and have[j]][:5]
        start[i] = start[near].mean(axis=0) if near else centre
    # UMAP nudges exactly coinciding starts apart itself; nothing else to do here.
    return start
