"""Each stage on tiny data: neighbours, detector AUC, clusters, scores, config."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from synth_quality.analysis.cluster import cluster_table
from synth_quality.analysis.keywords import ctfidf_keywords
from synth_quality.stats import holm
from synth_quality.config import AuditConfig, ClusterConfig
from synth_quality.stats import auc_with_ci
from synth_quality.analysis.detect import out_of_fold_p_synthetic
from synth_quality.errors import ConfigError
from synth_quality.graph.knn import block_rows, build_neighbor_graph
from synth_quality.graph.manifold import manifold_counts
from synth_quality.analysis.scores import dataset_scores, near_duplicate_groups, outlier_scores


def unit_rows(n, dim=16, seed=0):
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_neighbour_graph_matches_brute_force():
    X, n_real = unit_rows(300), 120
    g = build_neighbor_graph(X, n_real, k=8, manifold_k=5)
    S = X @ X.T
    np.fill_diagonal(S, -np.inf)
    assert np.array_equal(g.knn_indices, np.argsort(-S, axis=1, kind="stable")[:, :8])
    assert np.allclose(g.own_radius[:n_real], -np.sort(-S[:n_real, :n_real], axis=1)[:, 4])
    assert np.allclose(g.own_radius[n_real:], -np.sort(-S[n_real:, n_real:], axis=1)[:, 4])
    assert np.array_equal(g.other_nearest[:n_real], n_real + S[:n_real, n_real:].argmax(1))
    counts = manifold_counts(X, n_real, g.own_radius)
    inside = (S[n_real:, :n_real] >= g.own_radius[None, :n_real]).sum(1)
    assert np.array_equal(counts["synthetic_balls_hit"], inside)


def test_neighbour_blocks_never_hold_an_n_by_n_matrix():
    assert block_rows(50_000) * 50_000 * 4 <= 64 * 2**20
    assert block_rows(50_000) < 50_000


def test_delong_auc_matches_sklearn_and_ci_narrows_with_n():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400).astype(bool)
    s = rng.normal(size=400) + y
    out = auc_with_ci(y, s)
    assert out["auc"] == pytest.approx(roc_auc_score(y, s))
    big = auc_with_ci(np.tile(y, 10), np.tile(s, 10))
    assert (big["ci_high"] - big["ci_low"]) < (out["ci_high"] - out["ci_low"]) / 2
    assert np.isnan(auc_with_ci(np.zeros(5, bool), np.arange(5))["auc"])


def test_out_of_fold_probabilities_do_not_memorise():
    # Random labels on random vectors: in-sample a model memorises them, out-of-fold it cannot.
    X = unit_rows(400, dim=64, seed=3)
    y = np.random.default_rng(4).integers(0, 2, 400).astype(bool)
    p = out_of_fold_p_synthetic(X, y, n_folds=5, C=100.0, random_state=0)
    assert abs(roc_auc_score(y, p) - 0.5) < 0.1


def test_holm_adjustment():
    assert np.allclose(holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])


def test_ctfidf_prefers_words_specific_to_a_cluster():
    kw = ctfidf_keywords({0: ["the film film actor", "film actor"], 1: ["the film blender motor"]}, 2)
    assert kw[1][0] in ("blender", "motor") and "film" not in kw[1]


def test_cluster_status_uses_share_test():
    frame = pd.DataFrame({"side": ["real"] * 40 + ["synthetic"] * 40 + ["real"] * 20,
                          "text": ["a"] * 100, "cluster": [0] * 80 + [1] * 20})
    table = cluster_table(frame, np.zeros((100, 2)), ClusterConfig())
    status = dict(zip(table["cluster"], table["status"]))
    assert status == {0: "shared", 1: "real_only"}


def test_outliers_and_near_duplicates():
    X = unit_rows(200, dim=8, seed=5)
    X[10] = X[11]                               # an exact vector copy
    far = np.zeros(8, np.float32)
    far[0] = 1.0
    X = np.vstack([X, np.tile(-X.mean(0) / np.linalg.norm(X.mean(0)), (1, 1))])
    g = build_neighbor_graph(X, 100, k=10, manifold_k=5)
    texts = [f"t{i}" for i in range(len(X))]
    texts[50] = texts[60] = "Same Text"
    texts[60] = "  same   text "
    groups = near_duplicate_groups(g, texts, 0.999)
    assert groups[10] == groups[11] != -1 and groups[50] == groups[60] != -1
    assert (groups >= 0).sum() == 4
    dist, score, flag = outlier_scores(g, 10, 1.5)
    assert score.min() >= 0 and score.max() <= 1
    assert np.argmax(dist) == np.argmax(score)


def test_dataset_scores_by_hand():
    rows = pd.DataFrame({
        "side": ["real", "real", "synthetic", "synthetic", "synthetic", "synthetic"],
        "label_issue_score": [0.5, 0.3, 0.1, 0.2, 0.3, 0.4],
        "near_duplicate_group": pd.array([0, pd.NA, 0, 1, 1, pd.NA], dtype="Int64"),
    })
    s = dataset_scores(rows)
    assert s["unrealistic"] == pytest.approx(1 - 0.25)
    assert s["unrepresentative"] == pytest.approx(1 - 0.4)
    assert s["unvaried"] == pytest.approx(2 / 4)
    assert s["unoriginal"] == pytest.approx(1 / 4)


@pytest.mark.parametrize("settings, match", [
    ({"cluster": {"min_cluster_size": 1}}, r"cluster\.min_cluster_size \(1\) must be >= 2"),
    ({"detect": {"n_folds": 1}}, r"detect\.n_folds \(1\) must be between 2 and 20"),
    ({"score": {"near_duplicate_similarity": 1.5}}, r"near_duplicate_similarity \(1\.5\)"),
    ({"cluster": {"min_size": 3}}, r"unknown setting\(s\) \['min_size'\] in 'cluster'"),
    ({"embed": {"batch_size": "64"}}, r"embed\.batch_size must be an integer"),
    ({"random_state": -1}, r"random_state \(-1\)"),
])
def test_config_errors_name_field_value_and_limit(settings, match):
    with pytest.raises(ConfigError, match=match):
        AuditConfig.from_dict(settings)


def test_config_round_trip_and_replace():
    cfg = AuditConfig.from_dict({"cluster": {"min_cluster_size": 25}, "random_state": 7})
    assert AuditConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.replace(cluster={"alpha": 0.01}).cluster.min_cluster_size == 25


def test_embedding_cache_round_trips_keys_with_trailing_zero_bytes(tmp_path, fake_embedder):
    from synth_quality.config import EmbedConfig
    from synth_quality.embed.cache import EmbeddingCache
    from synth_quality.embed.api import embed_texts

    cache = EmbeddingCache(tmp_path, "m")
    keys = [b"a" * 19 + b"\x00", b"\x00" * 20, b"b" * 20]
    cache.store(keys, np.eye(3, 4, dtype=np.float32))
    found = cache.lookup(keys)
    assert set(found) == set(keys) and np.array_equal(found[keys[1]], np.eye(3, 4)[1])
    cfg = EmbedConfig(cache_dir=str(tmp_path))
    first, info1 = embed_texts(["x y", "z", "x y"], cfg, embedder=fake_embedder)
    again, info2 = embed_texts(["z", "x y", "new words"], cfg, embedder=fake_embedder)
    assert (info1["n_embedded"], info2["n_embedded"], info2["n_from_cache"]) == (2, 1, 2)
    assert np.array_equal(again[1], first[0])


def test_extended_word_counts_are_the_counts_of_all_texts():
    import scipy.sparse as sp

    from synth_quality.analysis.keywords import extend_term_counts, term_counts

    before = ["the glacier film moves slowly", "a blender review", "acting is superb",
              "glacier glacier ice", "plot holes everywhere"]
    # rows 1 and 3 are dropped, row 0 appears twice, two new texts (one only stop words)
    texts = [before[0], "brand new zebra words", before[2], before[4], "the and of", before[0]]
    matched = np.array([0, -1, 2, 4, -1, 0])
    matrix, words = extend_term_counts(term_counts(before), matched, texts)
    want_matrix, want_words = term_counts(texts)
    assert list(words) == list(want_words) and "blender" not in words and "zebra" in words
    assert sp.issparse(matrix) and (matrix != want_matrix).nnz == 0


def test_reclustering_with_the_kept_spanning_tree_gives_the_same_labels():
    import pickle

    from synth_quality.analysis.cluster import LinkageCache, cluster_points

    rng = np.random.default_rng(4)
    centres = rng.normal(scale=6, size=(6, 5))
    coords = (centres[rng.integers(0, 6, 1500)] + rng.normal(size=(1500, 5))).astype(np.float32)
    cache = LinkageCache()
    calls = []
    original = cache.cache

    def counting(func):
        inner = original(func)

        def wrapped(*args, **kwargs):
            calls.append(func.__name__)
            return inner(*args, **kwargs)
        return wrapped

    cache.cache = counting
    for size in (15, 40, 15, 90):
        config = ClusterConfig(min_cluster_size=size)
        plain = cluster_points(coords, config)
        assert np.array_equal(cluster_points(coords, config, linkage_cache=cache), plain), size
    assert len(calls) == 4 and len(cache._results) == 1  # one tree for every size (min_samples 10)
    assert len(pickle.loads(pickle.dumps(cache))._results) == 0


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
