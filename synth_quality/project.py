"""UMAP projections built on the shared neighbour graph.

Two projections are made from the same exact k-NN graph (see :mod:`synth_quality.neighbors`):
a 2-d one for the map and a ``cluster_components``-d one for HDBSCAN. Passing the graph as
``precomputed_knn`` skips UMAP's own NN-descent, which is both the slowest part of a first fit
(numba compilation) and the only approximate one.

Any object with ``fit_transform(X) -> (n, d)`` can replace the default projector.
"""

from __future__ import annotations

import warnings
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
              knn: tuple[np.ndarray, np.ndarray] | None = None):
    """A UMAP estimator with the audit's defaults (cosine metric, spectral init).

    With ``random_state`` set UMAP runs single-threaded and is reproducible; with None it uses
    every core and is not.
    """
    from .warmup import import_umap

    umap = import_umap()  # cached machine code: numba compiles once per machine

    kwargs = dict(n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist,
                  metric="cosine", random_state=random_state, low_memory=True)
    if knn is not None:
        kwargs.update(precomputed_knn=(knn[0], knn[1]), force_approximation_algorithm=True)
    return umap.UMAP(**kwargs)


def project(X: np.ndarray, graph: NeighborGraph | None, n_components: int, n_neighbors: int,
            min_dist: float, random_state: int | None, projector: Projector | None = None
            ) -> np.ndarray:
    """Project X to ``n_components`` dimensions.

    Returns
    -------
    ndarray of shape (n, n_components), float32
    """
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
        projector = make_umap(n_components, n_neighbors, min_dist, random_state, knn)
    with warnings.catch_warnings():
        # UMAP warns that a seed disables parallelism and that transform() is unavailable
        # without a search index; both are expected here.
        warnings.filterwarnings("ignore", category=UserWarning, module="umap")
        warnings.filterwarnings("ignore", message=".*n_jobs.*")
        out = projector.fit_transform(X)
    return np.asarray(out, dtype=np.float32)
