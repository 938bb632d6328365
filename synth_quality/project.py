"""UMAP projections built on the shared neighbour graph.

Two projections are made from the same exact k-NN graph (see :mod:`synth_quality.neighbors`):
a 2-d one for the map and a ``cluster_components``-d one for HDBSCAN. Passing the graph as
``precomputed_knn`` skips UMAP's own NN-descent, which is both the slowest part of a first fit
(numba compilation) and the only approximate one.

Any object with ``fit_transform(X) -> (n, d)`` can replace the default projector.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np

from .neighbors import NeighborGraph


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
              knn: tuple[np.ndarray, np.ndarray] | None = None, n_epochs: int | None = None):
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
    return umap.UMAP(**kwargs)


def _cache_path(cache_dir, X: np.ndarray, params: tuple) -> Path:
    from importlib import metadata

    from .embed import default_cache_dir

    digest = hashlib.sha1(np.ascontiguousarray(X).tobytes())
    digest.update(repr((params, metadata.version("umap-learn"))).encode())
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    return root / "projections" / f"{digest.hexdigest()}.npy"


def project(X: np.ndarray, graph: NeighborGraph | None, n_components: int, n_neighbors: int,
            min_dist: float, random_state: int | None, projector: Projector | None = None,
            n_epochs: int | None = None, cache_dir: str | None = None, use_cache: bool = False
            ) -> np.ndarray:
    """Project X to ``n_components`` dimensions.

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
        cached = _cache_path(cache_dir, X, (n_components, n_neighbors, min_dist, random_state,
                                            n_epochs, graph.knn_indices.shape[1] if graph else 0))
        if cached.is_file():
            try:
                out = np.load(cached)
                if out.shape == (n, n_components):
                    return out
            except (OSError, ValueError):
                pass
    out = _project(X, graph, n_components, n_neighbors, min_dist, random_state, projector, n_epochs)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".tmp{os.getpid()}.npy")
            np.save(tmp, out)
            tmp.replace(cached)
        except OSError:  # a read-only cache only costs time
            pass
    return out


def _project(X, graph, n_components, n_neighbors, min_dist, random_state, projector, n_epochs):
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
        projector = make_umap(n_components, n_neighbors, min_dist, random_state, knn, n_epochs)
    with warnings.catch_warnings():
        # UMAP warns that a seed disables parallelism and that transform() is unavailable
        # without a search index; both are expected here.
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        warnings.filterwarnings("ignore", message=".*n_jobs.*")
        out = projector.fit_transform(X)
    return np.asarray(out, dtype=np.float32)
