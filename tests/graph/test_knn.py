"""synth_quality.graph.knn: the exact neighbour graph, built in row blocks, and extended when rows
are added by searching only pairs with a new row (it equals a graph built from scratch)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import unit_rows
from synth_quality.graph.knn import (NeighborGraph, add_to_neighbor_graph, block_rows,
                                     build_neighbor_graph)
from synth_quality.graph.manifold import manifold_counts


def grown(n_real_before, n_syn_before, n_real_new, n_syn_new, seed=0):
    """Earlier rows (real, synthetic) and the same rows with new ones after each side."""
    real = unit_rows(n_real_before + n_real_new, seed=seed)
    syn = unit_rows(n_syn_before + n_syn_new, seed=seed + 1)
    before = np.vstack([real[:n_real_before], syn[:n_syn_before]])
    now = np.vstack([real, syn])
    return before, now


def assert_same_graph(got: NeighborGraph, want: NeighborGraph):
    # Similarities agree to float rounding; rows whose neighbours tie may list them in
    # another order, so the lists are compared as sets where the similarities are equal.
    np.testing.assert_allclose(got.knn_similarities, want.knn_similarities, atol=1e-6)
    differ = np.flatnonzero((got.knn_indices != want.knn_indices).any(axis=1))
    assert len(differ) <= 0.01 * len(got.knn_indices)
    np.testing.assert_allclose(got.own_radius, want.own_radius, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(got.own_nearest, want.own_nearest, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(got.other_similarity, want.other_similarity, atol=1e-6)
    np.testing.assert_allclose(got.other_top, want.other_top, atol=1e-6, equal_nan=True)
    assert (got.other_nearest == want.other_nearest).mean() >= 0.99


@pytest.mark.parametrize("sizes", [(120, 180, 0, 40), (120, 180, 15, 40), (120, 180, 30, 0)])
def test_added_rows_give_the_graph_built_from_scratch(sizes):
    n_real_before, n_syn_before, n_real_new, n_syn_new = sizes
    before, now = grown(*sizes)
    old = build_neighbor_graph(before, n_real_before, k=14, manifold_k=5)
    got = add_to_neighbor_graph(old, now, n_real_before + n_real_new, n_real_before, 14, 5)
    assert got is not None
    assert_same_graph(got, build_neighbor_graph(now, n_real_before + n_real_new, 14, 5))


def test_new_rows_that_are_nearest_to_old_rows_take_their_place():
    # New synthetic rows that copy old real rows become those rows' nearest neighbours and
    # their nearest synthetic rows: the old lists must really be updated, not only extended.
    before, _ = grown(60, 90, 0, 0)
    copies = before[:10] + 1e-4
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    now = np.vstack([before, copies])
    old = build_neighbor_graph(before, 60, k=14, manifold_k=5)
    got = add_to_neighbor_graph(old, now, 60, 60, 14, 5)
    assert_same_graph(got, build_neighbor_graph(now, 60, 14, 5))
    assert got.knn_indices[:10, 0].tolist() == list(range(150, 160))
    assert got.other_nearest[:10].tolist() == list(range(150, 160))


def test_a_graph_of_other_vectors_or_settings_is_not_extended():
    before, now = grown(60, 90, 0, 20)
    old = build_neighbor_graph(before, 60, k=14, manifold_k=5)
    other = now.copy()
    other[3] = -other[3]  # an earlier row's vector changed (another model, say)
    assert add_to_neighbor_graph(old, other, 60, 60, 14, 5) is None
    assert add_to_neighbor_graph(old, now, 60, 60, 10, 5) is None  # another k
    assert add_to_neighbor_graph(old, now, 60, 60, 14, 6) is None  # another manifold_k
    assert add_to_neighbor_graph(old, before, 60, 60, 14, 5) is None  # nothing new


def test_a_side_too_small_for_a_manifold_before_is_rebuilt():
    before, now = grown(4, 90, 10, 0)  # 4 real rows: no 5-NN ball; 14 real rows: there is
    old = build_neighbor_graph(before, 4, k=14, manifold_k=5)
    assert np.isnan(old.own_radius[:4]).all()
    assert add_to_neighbor_graph(old, now, 14, 4, 14, 5) is None


def test_the_graph_survives_saving(tmp_path):
    before, now = grown(60, 90, 0, 20)
    old = build_neighbor_graph(before, 60, k=14, manifold_k=5)
    old.save(tmp_path / "neighbours.npz")
    loaded = NeighborGraph.load(tmp_path / "neighbours.npz")
    for name in NeighborGraph._SAVED:
        np.testing.assert_array_equal(getattr(loaded, name), getattr(old, name))
    assert loaded.embeddings_digest == old.embeddings_digest
    assert add_to_neighbor_graph(loaded, now, 60, 60, 14, 5) is not None
    (tmp_path / "broken.npz").write_bytes(b"not a graph")
    assert NeighborGraph.load(tmp_path / "broken.npz") is None
    assert NeighborGraph.load(tmp_path / "missing.npz") is None


def test_neighbour_graph_matches_brute_force():
    X, n_real = unit_rows(300), 120
    g = build_neighbor_graph(X, n_real, k=8, manifold_k=5)
    S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    assert np.array_equal(g.knn_indices, np.argsort(-S, axis=1, kind="stable")[:, :8])
    assert np.allclose(g.own_radius[:n_real], -np.sort(-S[:n_real, :n_real], axis=1)[:, 4])
    assert np.allclose(g.own_radius[n_real:], -np.sort(-S[n_real:, n_real:], axis=1)[:, 4])
    assert np.array_equal(g.other_nearest[:n_real], n_real + S[:n_real, n_real:].argmax(1))
    assert np.allclose(g.other_top[:n_real], -np.sort(-S[:n_real, n_real:], axis=1)[:, :5])
    assert np.allclose(g.other_top[n_real:], -np.sort(-S[n_real:, :n_real], axis=1)[:, :5])
    assert np.allclose(g.other_top[:, 0], g.other_similarity)
    counts = manifold_counts(X, n_real, g.own_radius)
    inside = (S[n_real:, :n_real] >= g.own_radius[None, :n_real]).sum(1)
    assert np.array_equal(counts["synthetic_balls_hit"], inside)


def test_other_side_smaller_than_manifold_k_pads_with_nan():
    X = unit_rows(40)
    g = build_neighbor_graph(X, 3, k=8, manifold_k=5)  # 3 real rows: only 3 on the other side
    assert np.isfinite(g.other_top[3:, :3]).all() and np.isnan(g.other_top[3:, 3:]).all()
    assert np.isfinite(g.other_top[:3]).all()


def test_neighbour_blocks_never_hold_an_n_by_n_matrix():
    assert block_rows(50_000) * 50_000 * 4 <= 64 * 2**20
    assert block_rows(50_000) < 50_000
