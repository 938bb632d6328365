"""The one place that touches the internals of umap-learn, numba and pynndescent.

The audit uses UMAP's public estimator, but also pieces of its internals (the fuzzy graph, the
spectral start's scaling, the layout optimiser for placing new rows), turns on numba's on-disk
cache for UMAP's jitted functions (numba's dispatcher internals) and imports umap with
stand-ins for pynndescent. Every such use is in this module, behind a function of its own, so an
upgrade of those packages that moves something breaks here, in one file; ``pyproject.toml``
bounds their versions from above for the same reason. Every other module calls these functions.

Why the numba and pynndescent measures: UMAP's numba code compiles in every new process unless
cached. ``import umap`` imports pynndescent, whose import compiled for 29.5 s on a fresh machine
(measured), and the first fit compiles UMAP's own functions (about 9 s; UMAP does not mark them
``cache=True``). So :func:`import_umap`

1. imports umap with stand-ins for pynndescent (the audit never runs NN-descent: its neighbour
   graph is exact), so pynndescent is neither compiled nor loaded;
2. points numba at a persistent cache folder (``NUMBA_CACHE_DIR``, default
   ``<synth-quality cache>/numba``) and turns on on-disk caching for UMAP's own jitted
   functions before their first use, so a second process loads machine code instead of
   compiling it.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import types
from collections.abc import Mapping
from pathlib import Path

#: The packages whose internals this module uses (their versions key the warm-up marker).
INTERNALS = ("numba", "umap-learn", "pynndescent")


def numba_cache_dir() -> Path:
    """Where compiled UMAP code is kept: ``$NUMBA_CACHE_DIR``, else ``<cache root>/numba``."""
    from synth_quality.config import default_cache_dir

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


def internals_versions() -> str:
    """``numba-umap-pynndescent`` versions as one string (compiled code is only valid for it)."""
    from importlib import metadata

    return "-".join(metadata.version(p) for p in INTERNALS)


def umap_estimator(**kwargs):
    """``umap.UMAP(**kwargs)``, imported the audit's way (:func:`import_umap`)."""
    return import_umap().UMAP(**kwargs)


def fuzzy_simplicial_set(n_rows: int, knn_indices, knn_dists, n_neighbors: int):
    """UMAP's fuzzy neighbour graph (sparse) from a precomputed k-NN (cosine metric), as
    ``UMAP.fit`` builds it with the default set operations (``umap.umap_``)."""
    import warnings

    import numpy as np

    import_umap()
    from umap.umap_ import fuzzy_simplicial_set as build

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        graph, _, _ = build(np.empty((n_rows, 1), np.float32), n_neighbors,
                            np.random.RandomState(0), "cosine",
                            knn_indices=knn_indices, knn_dists=knn_dists)
    return graph


def noisy_scale_coords(layout, rng, max_coord: float, noise: float):
    """UMAP's scaling (and tiny noise) of a spectral layout (``umap.umap_``)."""
    import_umap()
    from umap.umap_ import noisy_scale_coords as scale

    return scale(layout, rng, max_coord=max_coord, noise=noise)


def component_layout(data, n_pieces: int, labels, dim: int, rng):
    """UMAP's layout of a graph's pieces relative to each other, by their centroids (cosine;
    ``umap.spectral``)."""
    import_umap()
    from umap.spectral import component_layout as layout

    return layout(data, n_pieces, labels, dim, rng, metric="cosine", metric_kwds={})


def find_ab_params(spread: float, min_dist: float):
    """UMAP's curve parameters (a, b) for ``min_dist`` (``umap.umap_``)."""
    import_umap()
    from umap.umap_ import find_ab_params as find

    return find(spread, min_dist)


def make_epochs_per_sample(weights, n_epochs: int):
    """UMAP's edge sampling schedule (``umap.umap_``)."""
    import_umap()
    from umap.umap_ import make_epochs_per_sample as make

    return make(weights, n_epochs)


def optimize_layout_euclidean(*args, **kwargs):
    """UMAP's layout optimiser (``umap.layouts``), arguments as UMAP 0.5 takes them."""
    import_umap()
    from umap.layouts import optimize_layout_euclidean as optimise

    return optimise(*args, **kwargs)
