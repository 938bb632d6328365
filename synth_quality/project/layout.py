"""UMAP projections built on the shared neighbour graph.

Two projections are made from the same exact k-NN graph (see :mod:`synth_quality.graph.knn`):
a 2-d one for the map and a ``cluster_components``-d one for HDBSCAN. Passing the graph as
``precomputed_knn`` skips UMAP's own NN-descent, which is both the slowest part of a first fit
(numba compilation) and the only approximate one.

Any object with ``fit_transform(X) -> (n, d)`` can replace the default projector.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np

from synth_quality.graph.knn import NeighborGraph
from synth_quality.project import compat
from synth_quality.project.spectral import default_epochs, fuzzy_graph, spectral_init

log = logging.getLogger(__name__)


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
    kwargs = dict(n_components=n_components, n_neighbors=n_neighbors, min_dist=min_dist,
                  metric="cosine", random_state=random_state, low_memory=True,
                  n_epochs=n_epochs)
    if knn is not None:
        kwargs.update(precomputed_knn=(knn[0], knn[1]), force_approximation_algorithm=True)
    if init is not None:
        kwargs["init"] = np.asarray(init, dtype=np.float32)
    return compat.umap_estimator(**kwargs)  # cached machine code: compiles once per machine


def cache_file(cache_dir, X: np.ndarray, params: tuple) -> Path:
    from importlib import metadata

    from synth_quality.config import default_cache_dir

    digest = hashlib.sha1(np.ascontiguousarray(X).tobytes())
    digest.update(repr((params, metadata.version("umap-learn"), LAYOUT_VERSION)).encode())
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    return root / "projections" / f"{digest.hexdigest()}.npy"


def cache_params(graph, n_components, n_neighbors, min_dist, random_state, n_epochs,
                  init=None, fixed=None, fit_rows=None, place_epochs=30, **_ignored) -> tuple:
    start = None if init is None else hashlib.sha1(np.ascontiguousarray(init)).hexdigest()
    params = (n_components, n_neighbors, min_dist, random_state, n_epochs,
              graph.knn_indices.shape[1] if graph else 0) + ((start,) if start else ())
    if fixed is not None:
        params += ("placed", hashlib.sha1(np.packbits(np.asarray(fixed, bool))).hexdigest())
    elif graph is not None and samples(len(graph.knn_indices), fit_rows, init):
        params += ("sample", fit_rows, place_epochs)
    return params


def samples(n: int, fit_rows: int | None, init=None) -> bool:
    """Whether a fit from scratch of ``n`` rows is made on a sample of ``fit_rows`` rows."""
    return bool(fit_rows) and n > fit_rows and init is None


def project(X: np.ndarray, graph: NeighborGraph | None, n_components: int, n_neighbors: int,
            min_dist: float, random_state: int | None, projector: Projector | None = None,
            n_epochs: int | None = None, cache_dir: str | None = None, use_cache: bool = False,
            init: np.ndarray | None = None, fixed: np.ndarray | None = None,
            fit_rows: int | None = None, place_epochs: int = 30) -> np.ndarray:
    """Project X to ``n_components`` dimensions.

    With more than ``fit_rows`` rows (and no ``init``) UMAP is fitted on a seeded sample of
    ``fit_rows`` rows and the others are placed on it (:func:`fit_sample_and_place`).

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
        cached = cache_file(cache_dir, X, cache_params(graph, n_components, n_neighbors,
                                                         min_dist, random_state, n_epochs, init,
                                                         fixed, fit_rows, place_epochs))
        if cached.is_file():
            try:
                out = np.load(cached)
                if out.shape == (n, n_components):
                    return out
            except (OSError, ValueError):
                pass
    if fixed is not None and projector is None and graph is not None and init is not None:
        out = place_new_rows(graph, init, fixed, n_neighbors, min_dist, random_state, n_epochs)
    elif projector is None and graph is not None and samples(n, fit_rows, init):
        out = fit_sample_and_place(X, graph, n_components, n_neighbors, min_dist, random_state,
                                   n_epochs, fit_rows, place_epochs)
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
    a, b = compat.find_ab_params(1.0, min_dist)
    rng_state = rng.randint(np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max - 1,
                            3).astype(np.int64)
    return np.asarray(compat.optimize_layout_euclidean(
        out, out, head.astype(np.int32), tail.astype(np.int32), n_epochs, n,
        compat.make_epochs_per_sample(weight, n_epochs), a, b, rng_state, 1.0, 0.25, 5.0,
        parallel=False, move_other=False), dtype=np.float32)


def fit_sample_and_place(X: np.ndarray, graph: NeighborGraph, n_components: int,
                         n_neighbors: int, min_dist: float, random_state: int | None,
                         n_epochs: int | None, fit_rows: int, place_epochs: int) -> np.ndarray:
    """UMAP fitted on a seeded sample of ``fit_rows`` rows, the other rows placed on it.

    A fit costs time in proportion to its rows times its epochs; at a million rows a full fit
    takes about ten minutes per projection here. This fits the sample as usual (its own
    neighbours, searched among the sample: :func:`synth_quality.graph.approximate.nearest_within`),
    then places every other row as UMAP's ``transform`` places new points: each starts at the
    similarity-weighted mean of its already placed neighbours in the audit's graph (rows whose
    neighbours are all unplaced wait for a later round), and ``place_epochs`` epochs of
    :func:`place_new_rows` move only them, the sample staying where it was fitted.
    """
    from synth_quality.graph.approximate import nearest_within

    n = X.shape[0]
    rng = np.random.default_rng(None if random_state is None else random_state + 17)
    sample = np.sort(rng.choice(n, fit_rows, replace=False))
    Xs = X[sample]
    m = min(graph.knn_indices.shape[1], fit_rows - 1)
    idx, sims = nearest_within(Xs, m, exact_up_to=20_000, seed=random_state)
    sample_graph = NeighborGraph(idx, sims, *(np.empty(0),) * 3)
    fitted = _project(Xs, sample_graph, n_components, n_neighbors, min_dist, random_state,
                      None, n_epochs)
    start = np.zeros((n, n_components), np.float32)
    start[sample] = fitted
    placed = np.zeros(n, bool)
    placed[sample] = True
    knn, weight = graph.knn_indices, np.clip(graph.knn_similarities, 1e-6, None)
    for _ in range(50):  # each round places the rows with a placed neighbour
        todo = np.flatnonzero(~placed)
        if not len(todo):
            break
        near = knn[todo]
        ok = (near >= 0) & placed[np.maximum(near, 0)]
        w = np.where(ok, weight[todo], 0.0)
        have = w.sum(axis=1) > 0
        if not have.any():
            break
        rows, w = todo[have], w[have]
        start[rows] = (np.einsum("rk,rkd->rd", w, start[np.maximum(near[have], 0)])
                       / w.sum(axis=1, keepdims=True))
        placed[rows] = True
    start[~placed] = fitted.mean(axis=0)  # a row with no path to the sample
    fixed = np.zeros(n, bool)
    fixed[sample] = True
    return place_new_rows(graph, start, fixed, n_neighbors, min_dist, random_state,
                          place_epochs)


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
