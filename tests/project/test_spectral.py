"""synth_quality.project.spectral: UMAP's spectral start, faster."""

from __future__ import annotations

import numpy as np
import pytest

from synth_quality.graph.knn import build_neighbor_graph


def _blobs(sizes, dim=16, spread=0.15, seed=0):
    """Unit rows in tight, far-apart groups (one per size)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), dim))
    X = np.vstack([c + spread * rng.normal(size=(s, dim)) for c, s in zip(centres, sizes)])
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("sizes", [[600], [400, 350, 9]], ids=["one piece", "three pieces"])
def test_spectral_start_spans_what_umaps_own_spectral_layout_spans(sizes):
    """Our eigensolver (largest eigenvectors of the normalised adjacency) must find UMAP's
    vectors (smallest of the Laplacian), piece by piece, with the pieces where UMAP puts them."""
    import scipy.sparse.csgraph

    from synth_quality.project.layout import umap_knn_from_graph
    from synth_quality.project.spectral import fuzzy_graph, spectral_init
    from synth_quality.project.warmup import import_umap

    import_umap()  # as the audit imports it: without loading pynndescent into this process
    from umap.spectral import spectral_layout

    X = _blobs(sizes)
    n = len(X)
    fuzzy = fuzzy_graph(n, *umap_knn_from_graph(build_neighbor_graph(X, n // 2, 14, 5), 15), 15)
    for dim in (2, 5):
        raw = spectral_init(fuzzy, dim, 200, X, random_state=0)
        pruned = fuzzy.tocoo(copy=True)
        pruned.data[pruned.data < pruned.data.max() / 200] = 0
        pruned.eliminate_zeros()
        theirs = spectral_layout(X, pruned.tocsr(), dim, np.random.RandomState(0), metric="cosine")
        pieces, labels = scipy.sparse.csgraph.connected_components(pruned)
        assert pieces == len(sizes)
        assert raw.shape == (n, dim) and raw.dtype == np.float32
        assert np.abs(raw).max() == pytest.approx(10, abs=1e-3)  # UMAP's scale: max |x| 10
        ours = raw / 10 * np.abs(theirs).max()
        for piece in range(pieces):
            a, b = ours[labels == piece], theirs[labels == piece]
            if len(a) < 2 * dim:
                continue  # a piece this small is placed at random, by UMAP too
            qa, _ = np.linalg.qr(a - a.mean(0))
            qb, _ = np.linalg.qr(b - b.mean(0))
            assert np.linalg.svd(qa.T @ qb, compute_uv=False).min() > 0.999
            # Each piece sits at UMAP's place for it (its eigenvectors' signs may differ).
            centres = np.array([np.median(theirs[labels == p], 0) for p in range(pieces)])
            assert np.linalg.norm(centres - np.median(a, 0), axis=1).argmin() == piece
        np.testing.assert_array_equal(raw, spectral_init(fuzzy, dim, 200, X, random_state=0))
