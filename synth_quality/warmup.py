"""Pay numba's compilation once per machine, and off the critical path.

UMAP's numba code compiles in every new process unless cached: ``import umap`` imports
pynndescent, whose import compiled for 29.5 s on a fresh machine (measured), and the first fit
compiles UMAP's own functions (about 9 s; UMAP does not mark them ``cache=True``). Three measures:

1. :func:`import_umap` imports umap with stand-ins for pynndescent (the audit never runs
   NN-descent: its neighbour graph is exact), so pynndescent is neither compiled nor loaded.
2. It points numba at a persistent cache folder (``NUMBA_CACHE_DIR``, default
   ``<synth-quality cache>/numba``) and turns on on-disk caching for UMAP's own jitted functions
   before their first use, so a second process loads machine code instead of compiling it.
3. :func:`start_background_warmup` compiles everything in a separate process while the audit is
   busy embedding (or while the dashboard starts), once per machine: a marker file records that
   the cache is warm for this numba/umap version.
"""

from __future__ import annotations

import importlib
import logging
import os
import subprocess
import sys
import threading
import types
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)


def numba_cache_dir() -> Path:
    """Where compiled UMAP code is kept: ``$NUMBA_CACHE_DIR``, else ``<cache root>/numba``."""
    from .embed import default_cache_dir

    return Path(os.environ.get("NUMBA_CACHE_DIR") or default_cache_dir() / "numba")


def configure_numba_cache() -> Path:
    """Set ``NUMBA_CACHE_DIR`` (if unset) before numba is imported; return the folder."""
    folder = numba_cache_dir()
    if "NUMBA_CACHE_DIR" not in os.environ:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            os.environ["NUMBA_CACHE_DIR"] = str(folder)
        except OSError:  # an unwritable cache only costs time
            pass
    if "numba" in sys.modules and "NUMBA_CACHE_DIR" in os.environ:
        from numba.core import config

        config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
    return folder


def _enable_caching(module) -> int:
    from numba.core.registry import CPUDispatcher

    count = 0
    for obj in list(vars(module).values()):
        if isinstance(obj, CPUDispatcher) and obj._cache.__class__.__name__ == "NullCache":
            try:
                obj.enable_caching()
                count += 1
            except Exception:  # e.g. a function numba cannot cache: it just compiles as before
                pass
    return count


_IMPORT_LOCK = threading.Lock()


class _DeferredNamedDistances(Mapping):
    """Stands in for one of pynndescent's metric tables until something reads it."""

    # The metric synth-quality passes to UMAP; pynndescent has it in both tables. UMAP's fit
    # asks ``metric in table`` even when the neighbours are precomputed (the answer is then
    # unused), and answering that must not import pynndescent.
    _KNOWN = frozenset({"cosine"})

    def __init__(self, module: str, name: str):
        self._where = (module, name)

    def __contains__(self, key):
        return key in self._KNOWN or key in self._table()

    def _table(self):
        module, name = self._where
        return getattr(importlib.import_module(module), name)

    def __getitem__(self, key):
        return self._table()[key]

    def __iter__(self):
        return iter(self._table())

    def __len__(self):
        return len(self._table())


class _DeferredNNDescent:
    """Stands in for ``pynndescent.NNDescent``: builds the real one when first called."""

    def __new__(cls, *args, **kwargs):
        return importlib.import_module("pynndescent").NNDescent(*args, **kwargs)


def _import_umap_without_pynndescent():
    """Import umap while pynndescent's module is replaced by deferred stand-ins.

    ``umap.umap_`` imports pynndescent at module load, and importing pynndescent compiles its
    numba kernels: 29 s of one core on a fresh machine (measured), about 3 s of loading cached
    machine code in every later process. The audit never runs NN-descent (the neighbour graph
    is exact and handed to UMAP as ``precomputed_knn``), so umap gets stand-ins that import the
    real pynndescent only if it is ever used (another metric, ``transform``). The stand-ins
    leave ``sys.modules`` as soon as umap is imported: any later ``import pynndescent`` gets
    the real package.
    """
    stubs = {"pynndescent": types.ModuleType("pynndescent"),
             "pynndescent.distances": types.ModuleType("pynndescent.distances"),
             "pynndescent.sparse": types.ModuleType("pynndescent.sparse")}
    stubs["pynndescent"].NNDescent = _DeferredNNDescent
    stubs["pynndescent.distances"].named_distances = _DeferredNamedDistances(
        "pynndescent.distances", "named_distances")
    stubs["pynndescent.sparse"].sparse_named_distances = _DeferredNamedDistances(
        "pynndescent.sparse", "sparse_named_distances")
    sys.modules.update(stubs)
    try:
        import umap  # noqa: F401
    finally:
        for name, stub in stubs.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


def import_umap():
    """Import umap with on-disk caching enabled for its jitted functions."""
    configure_numba_cache()
    with _IMPORT_LOCK:  # dashboard sessions may get here at once; one installs the stand-ins
        if "umap" not in sys.modules and "pynndescent" not in sys.modules:
            _import_umap_without_pynndescent()
    import umap
    import umap.layouts
    import umap.spectral
    import umap.umap_
    import umap.utils

    for module in (umap.umap_, umap.layouts, umap.spectral, umap.utils):
        _enable_caching(module)
    return umap


def _marker() -> Path:
    from importlib import metadata

    versions = "-".join(metadata.version(p) for p in ("numba", "umap-learn", "pynndescent"))
    return numba_cache_dir() / f"synth-quality-warm-{versions}"


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

    from .neighbors import build_neighbor_graph
    from .project import place_new_rows, project

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
    projection to a :class:`~synth_quality.project.ProjectionWorker`) the child is that worker:
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
        from .project import start_projection_worker

        worker = start_projection_worker(warm_up_first=True)
        if worker is not None and worker.poll() is None:  # not one already serving uncompiled
            _RUNNING = worker
            return worker
    env = dict(os.environ)
    try:
        _RUNNING = subprocess.Popen([sys.executable, "-c",
                                     "from synth_quality.warmup import warm_up; warm_up()"],
                                    env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        return _RUNNING
    except OSError as exc:
        log.info("could not start the numba warm-up process: %s", exc)
        return None
