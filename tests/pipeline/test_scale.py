"""The size-dependent paths inside an audit (scale.*): forced on small data, the approximate
neighbour graph keeps the exact audit's findings as well as the exact audit keeps its own under
another seed, and summary["scale"] says which path ran."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import HashingEmbedder, planted_frames
from synth_quality import AuditConfig, audit


def run(scale: dict, seed: int = 0):
    real, synthetic = planted_frames()
    config = AuditConfig.from_dict({"embed": {"use_cache": False}, "project": {"cache": False},
                                    "cluster": {"min_cluster_size": 10}, "scale": scale,
                                    "random_state": seed})
    return audit(real=real, synthetic=synthetic, label_column="sentiment",
                 generator_column="generator", config=config, embedder=HashingEmbedder())


@pytest.fixture(scope="module")
def audits():
    return run({}), run({}, seed=1), run({"exact_neighbours_up_to": 0, "nprobe": 2})


def test_summary_says_which_neighbour_search_ran(audits):
    exact, _, approximate = audits
    assert exact.summary["scale"]["neighbours"] == "exact"
    assert approximate.summary["scale"]["neighbours"].startswith(
        "approximate: inverted file (faiss) on the real and synthetic sides")
    assert exact.summary["scale"]["umap"] == "fitted on every row"
    assert exact.summary["scale"]["umap_fit_rows"] is None


def test_the_approximate_graph_keeps_the_findings(audits):
    exact, reseeded, approximate = audits
    # The hashing embedder gives many rows exactly the same similarity, so neighbour lists
    # are compared by similarity: the rows found are as similar as the exact search's.
    np.testing.assert_allclose(approximate.neighbor_graph.knn_similarities,
                               exact.neighbor_graph.knn_similarities, atol=1e-5)
    a, b = exact.examples, approximate.examples
    # What is read off the graph is the same (coverage_score aside: with this embedder many
    # shuffled-label values tie, and a 1e-7 change of a statistic can step over a block of
    # them) ...
    np.testing.assert_allclose(b["knn_distance"], a["knn_distance"], atol=1e-5)
    for column in ("is_detectable", "in_other_manifold", "is_outlier", "is_copy_of_real",
                   "near_duplicate_group_size"):
        assert (b[column] == a[column]).all(), column
    assert abs(exact.summary["detection_auc"] - approximate.summary["detection_auc"]) <= 0.005
    # ... and a row changes category only by entering or leaving a one-sided region: those
    # come from HDBSCAN on the UMAP layout, which depends on the order in which equally
    # similar neighbours are listed, as it depends on the seed.
    differ = b["category"] != a["category"]
    by_region = (a["reason"].str.startswith("region") | b["reason"].str.startswith("region"))
    agree = 1 - float(differ.mean())
    chance = float((reseeded.examples["category"] == a["category"]).mean())
    print(f"categories agree with the exact audit: approximate graph {agree:.3f}, exact audit "
          f"with another seed {chance:.3f}; rows that differ only by a region: "
          f"{int((differ & by_region).sum())} of {int(differ.sum())}")
    assert (by_region[differ]).all()
    assert agree >= 0.95


def test_an_audit_written_before_scale_and_engine_still_reads(audits):
    from synth_quality.schema import read_summary

    exact = audits[0]
    # As save writes it: the in-memory summary has no config (save adds the settings).
    older = {k: v for k, v in exact.written_summary().items() if k not in ("scale", "engine")}
    older["schema_version"] = "1.0"
    facts = read_summary(older)
    assert facts.scale.neighbours == "exact" and facts.engine.engine == "local"
