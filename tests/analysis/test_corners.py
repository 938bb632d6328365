"""synth_quality.analysis.corners (issue 18, done means): synthetic rows drawn from the dense
middle of the real distribution get "fills the middle", rows spread over its rare corners must
not, and two samples of one distribution get "even"; the curves end at precision and recall.

Fast cases are clouds of points on the sphere around one direction (dense near it, sparse in
the tails): a narrower cloud imitates the middle, a wider one reaches the corners. The slow case
builds the same three shapes from real critic snippets the tests hold out, embedded with the
real model, choosing rows by their density in the pool (never by the bands under test).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import cloud, held_out_real_snippets
from synth_quality.analysis.corners import (bands_used, centre_and_tail, measure, real_bands,
                                            row_columns, summarise)
from synth_quality.analysis.reference import EXPECTED
from synth_quality.graph.knn import build_neighbor_graph
from synth_quality.graph.manifold import manifold_counts

K = 5


def analyse(real: np.ndarray, synthetic: np.ndarray, seed: int = 0):
    X = np.vstack([real, synthetic])
    n_real = len(real)
    graph = build_neighbor_graph(X, n_real, 14, K)
    corners = measure(X, n_real, graph.own_radius, graph.other_nearest[n_real:], 10, K, 3000,
                      seed, (graph.knn_indices, graph.knn_similarities))
    covered = graph.other_similarity[:n_real] >= graph.own_radius[:n_real]
    return summarise(corners, covered, len(synthetic), K, 0.2, 0.3), corners, graph, X


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_samples_of_one_distribution_are_even(seed):
    block, *_ = analyse(cloud(800, 1.0, seed), cloud(1600, 1.0, 100 + seed), seed)
    assert block["verdict"] == "even"
    assert all(b["reading"] == EXPECTED for b in block["bands"])
    assert block["centre_mass"]["reading"] == EXPECTED
    assert block["tail_mass"]["reading"] == EXPECTED
    assert all(r == EXPECTED for r in block["alpha_precision"]["reading"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_narrower_cloud_fills_the_middle(seed):
    block, *_ = analyse(cloud(800, 1.0, seed), cloud(1600, 0.6, 100 + seed), seed)
    assert block["verdict"] == "fills the middle"
    assert block["centre_mass"]["value"] > block["centre_mass"]["high"]
    assert block["tail_mass"]["value"] < block["tail_mass"]["low"]
    assert "fills the middle" in block["sentence"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_wider_cloud_covers_the_corners(seed):
    block, *_ = analyse(cloud(800, 1.0, seed), cloud(1600, 1.5, 100 + seed), seed)
    assert block["verdict"] == "covers the corners"
    assert block["tail_mass"]["value"] > block["tail_mass"]["high"]


def test_the_reference_is_where_a_fresh_real_row_lands_not_one_tenth():
    # A dense row is more often someone's nearest neighbour: the densest band gets far more
    # than a tenth of a fresh sample's nearest rows, and the reference says so.
    block, *_ = analyse(cloud(800, 1.0, 5), cloud(1600, 1.0, 105))
    first, last = block["bands"][0], block["bands"][-1]
    assert first["mean"] > 0.2 and last["mean"] < 0.1
    assert first["low"] <= first["synthetic_share"] <= first["high"]


def test_bands_hold_equal_shares_of_the_real_rows_ranked_by_radius():
    radius = np.random.default_rng(0).random(1003)
    bands = real_bands(radius, 10)
    sizes = np.bincount(bands.band, minlength=10)
    assert sizes.max() - sizes.min() <= 1
    by_band = [radius[bands.band == b] for b in range(10)]
    assert all(by_band[b].max() <= by_band[b + 1].min() for b in range(9))
    np.testing.assert_array_equal(bands.of(radius), bands.band)   # a row's own radius
    assert bands.of(np.array([np.nan]))[0] == -1


def test_the_curves_end_at_precision_and_recall():
    block, corners, graph, X = analyse(cloud(600, 1.0, 7), cloud(900, 1.3, 107))
    counts = manifold_counts(X, 600, graph.own_radius)
    precision = float((counts["synthetic_balls_hit"] > 0).mean())
    recall = float(counts["real_in_synthetic_manifold"].mean())
    assert block["alpha_precision"]["value"][-1] == pytest.approx(precision)
    assert block["beta_recall"]["value"][-1] == pytest.approx(recall)
    for name in ("alpha_precision", "beta_recall"):
        values = block[name]["value"]
        assert all(a <= b + 1e-12 for a, b in zip(values, values[1:]))   # cumulative


def test_rows_get_their_band_and_synthetic_rows_their_nearest_real_rows_band():
    block, corners, graph, X = analyse(cloud(300, 1.0, 8), cloud(500, 1.0, 108))
    columns = row_columns(corners, 300, 500)
    band = columns["density_band"]
    assert set(np.unique(band[:300])) == set(range(1, 11))
    nearest = graph.other_nearest[300:]
    np.testing.assert_array_equal(band[300:], band[:300][nearest])
    assert sum(b["n_synthetic"] for b in block["bands"]) == 500


def test_too_few_real_rows_give_fewer_bands_or_none():
    assert bands_used(1000, 10) == 10 and bands_used(30, 10) == 6 and bands_used(9, 10) == 0
    block, corners, *_ = analyse(cloud(30, 1.0, 9), cloud(60, 1.0, 109))
    assert block["n_bands"] == 6
    X = cloud(12, 1.0, 9)
    graph = build_neighbor_graph(X, 6, 5, K)
    assert measure(X, 6, graph.own_radius, graph.other_nearest[6:], 10, K, 100, 0) is None
    assert summarise(None, np.zeros(6, bool), 6, K, 0.2, 0.3) is None


def test_centre_and_tail_bands():
    assert centre_and_tail(10, 0.2, 0.3) == ([0, 1], [7, 8, 9])
    assert centre_and_tail(3, 0.1, 0.1) == ([0], [2])


# --------------------------------------------------------------------------- real text

@pytest.fixture(scope="module")
def snippet_pool():
    from synth_quality.config import EmbedConfig
    from synth_quality.embed.api import embed_texts

    texts = held_out_real_snippets()[:4000]
    X, _ = embed_texts(texts, EmbedConfig())
    return X


@pytest.mark.slow
def test_real_text_picked_from_the_dense_middle_fills_it(snippet_pool):
    X = snippet_pool
    real, pool = X[:1000], X[1000:]
    # Density of each candidate in the candidate pool itself (not against the real bands).
    graph = build_neighbor_graph(pool, len(pool), 14, K)
    density_rank = np.argsort(np.argsort(1 - graph.own_radius))   # 0 = densest
    dense = pool[density_rank < 0.3 * len(pool)]
    rare = pool[density_rank >= 0.7 * len(pool)]
    rng = np.random.default_rng(0)
    same = pool[rng.choice(len(pool), 900, replace=False)]
    assert analyse(real, dense)[0]["verdict"] == "fills the middle"
    assert analyse(real, rare)[0]["verdict"] != "fills the middle"
    assert analyse(real, same)[0]["verdict"] == "even"
