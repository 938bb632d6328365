"""synth_quality.graph.rarity: the block passes give what a brute-force computation over the full
similarity matrix gives, and a row left out is tested against balls measured without it (the
whole side recomputed without the row, not patched)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import unit_rows
from synth_quality.graph.knn import build_neighbor_graph
from synth_quality.graph.rarity import (cross_rarity, group_reach, kth_similarity,
                                        left_out_pass, next_radius_from_graph)

K = 5


def kth_of(S: np.ndarray, k: int) -> np.ndarray:
    """Each row's similarity to its k-th nearest other row of a similarity matrix."""
    S = S.copy()
    np.fill_diagonal(S, -np.inf)
    return np.sort(S, axis=1)[:, -k]


def smallest_ball(sims_to_owners: np.ndarray, owner_radius: np.ndarray) -> float:
    inside = sims_to_owners >= owner_radius
    return float(np.min(1 - owner_radius[inside])) if inside.any() else np.nan


def around(direction: int, n: int, spread: float, seed: int) -> np.ndarray:
    x = np.eye(8, dtype=np.float32)[direction] + spread * unit_rows(n, dim=8, seed=seed)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data():
    """100 real rows around one direction; 160 synthetic rows, half around it and half around
    another one (outside every real ball)."""
    n_real = 100
    X = np.vstack([around(0, n_real, 0.6, 3), around(0, 80, 0.6, 4), around(1, 80, 0.6, 5)])
    graph = build_neighbor_graph(X, n_real, 14, K)
    return X, n_real, graph


def test_cross_rarity_is_the_smallest_other_side_ball_holding_the_row(data):
    X, n_real, graph = data
    S = X @ X.T
    real_radius = kth_of(S[:n_real, :n_real], K)
    got = cross_rarity(X, np.arange(n_real, len(X)), 0, n_real, graph.own_radius)
    want = [smallest_ball(S[i, :n_real], real_radius) for i in range(n_real, len(X))]
    np.testing.assert_allclose(got.rarity, want, atol=1e-5, equal_nan=True)
    assert np.isnan(got.rarity).any() and np.isfinite(got.rarity).any()  # both kinds occur
    np.testing.assert_array_equal(got.nearest, S[n_real:, :n_real].argmax(axis=1))


def test_a_row_left_out_meets_balls_measured_without_it(data):
    X, n_real, graph = data
    rows = np.arange(n_real)
    got = left_out_pass(X, rows, 0, n_real, graph.own_radius, K)
    want_rarity, want_nearest, want_distance = [], [], []
    for i in rows:
        others = np.delete(np.arange(n_real), i)
        S = X[others] @ X[others].T
        radius = kth_of(S, K)                   # the side recomputed without row i
        sims = X[others] @ X[i]
        want_rarity.append(smallest_ball(sims, radius))
        j = int(np.argmax(sims))
        want_nearest.append(others[j])
        want_distance.append(1 - radius[j])
    np.testing.assert_allclose(got.rarity, want_rarity, atol=1e-5, equal_nan=True)
    np.testing.assert_array_equal(got.nearest, want_nearest)
    np.testing.assert_allclose(got.nearest_distance, want_distance, atol=1e-5)
    # Measuring the balls without the row matters: with it in place they are smaller.
    S = X[:n_real] @ X[:n_real].T
    np.fill_diagonal(S, -np.inf)
    stale = [smallest_ball(S[i], graph.own_radius[:n_real].astype(np.float64)) for i in rows]
    assert np.nanmean(np.asarray(stale) < got.rarity - 1e-6) > 0.5


def test_the_graph_lists_give_the_searched_next_radius_where_they_hold_it(data):
    X, n_real, graph = data
    for lo, hi in ((0, n_real), (n_real, len(X))):
        known = next_radius_from_graph(graph.knn_indices, graph.knn_similarities, lo, hi, K)
        searched = kth_similarity(X, np.arange(lo, hi), lo, hi, K + 1)
        ok = np.isfinite(known)
        assert ok.any()
        np.testing.assert_allclose(known[ok], searched[ok], atol=1e-6)
        with_known = left_out_pass(X, np.arange(lo, hi), lo, hi, graph.own_radius, K, known)
        without = left_out_pass(X, np.arange(lo, hi), lo, hi, graph.own_radius, K)
        np.testing.assert_allclose(with_known.rarity, without.rarity, atol=1e-6, equal_nan=True)


def test_group_reach_is_coverage_and_recall_per_group(data):
    X, n_real, graph = data
    n_syn = len(X) - n_real
    groups = np.arange(n_syn) % 3 - 1             # -1 (no group), 0, 1
    covered, reached = group_reach(X, n_real, graph.own_radius, groups, 2)
    S = X[n_real:] @ X[:n_real].T
    for g in (0, 1):
        members = groups == g
        want_cov = (S[members] >= graph.own_radius[:n_real][None, :]).any(axis=0)
        want_rec = (S[members] >= graph.own_radius[n_real:][members][:, None]).any(axis=0)
        np.testing.assert_array_equal(covered[g], want_cov)
        np.testing.assert_array_equal(reached[g], want_rec)
