"""UMAP above scale.umap_fit_rows: fitted on a seeded sample, the other rows placed on it. Every
row is placed, near its neighbours in the embedding (measured against a full fit and against
random places), the sample keeps the place it was fitted at, and the result is reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from synth_quality.graph.knn import build_neighbor_graph
from synth_quality.project.layout import fit_sample_and_place, project

N, FIT = 3000, 1000


def clustered(n: int, seed: int = 0, dim: int = 24) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(12, dim)) * 2
    X = centres[rng.integers(0, 12, n)] + rng.normal(size=(n, dim))
    X = X.astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def neighbour_agreement(layout: np.ndarray, knn: np.ndarray, k: int = 10) -> float:
    """Share of each row's k nearest rows in the embedding that are among its k nearest on
    the layout."""
    from sklearn.neighbors import NearestNeighbors

    found = NearestNeighbors(n_neighbors=k + 1).fit(layout).kneighbors(layout)[1][:, 1:]
    return float(np.mean([np.isin(knn[i, :k], found[i]).mean() for i in range(len(knn))]))


@pytest.fixture(scope="module")
def layouts():
    X = clustered(N)
    graph = build_neighbor_graph(X, 0, 14, 5)
    sampled = fit_sample_and_place(X, graph, 2, 15, 0.1, 0, None, FIT, 30)
    full = project(X, graph, 2, 15, 0.1, 0)
    return X, graph, sampled, full


def test_every_row_is_placed_near_its_neighbours(layouts):
    X, graph, sampled, full = layouts
    assert sampled.shape == (N, 2) and np.isfinite(sampled).all()
    got = neighbour_agreement(sampled, graph.knn_indices)
    whole = neighbour_agreement(full, graph.knn_indices)
    shuffled = neighbour_agreement(np.random.default_rng(1).permutation(sampled),
                                   graph.knn_indices)
    print(f"10-NN agreement: sample + placement {got:.3f}, full fit {whole:.3f}, "
          f"random places {shuffled:.3f}")
    assert got > 5 * shuffled
    assert got >= 0.6 * whole


def test_the_sample_keeps_its_fitted_places_and_runs_reproduce(layouts):
    X, graph, sampled, _ = layouts
    again = fit_sample_and_place(X, graph, 2, 15, 0.1, 0, None, FIT, 30)
    np.testing.assert_array_equal(sampled, again)
    rng = np.random.default_rng(0 + 17)  # the sample fit_sample_and_place draws
    sample = np.sort(rng.choice(N, FIT, replace=False))
    other = fit_sample_and_place(X, graph, 2, 15, 0.1, 0, None, FIT, 1)
    # Only the rows outside the sample move with the placement's epochs.
    np.testing.assert_array_equal(other[sample], sampled[sample])
    outside = np.setdiff1d(np.arange(N), sample)
    assert not np.allclose(other[outside], sampled[outside])


def test_project_samples_only_above_fit_rows(layouts):
    X, graph, sampled, full = layouts
    np.testing.assert_array_equal(project(X, graph, 2, 15, 0.1, 0, fit_rows=FIT), sampled)
    np.testing.assert_array_equal(project(X, graph, 2, 15, 0.1, 0, fit_rows=N), full)
