"""End-to-end audit on planted data (fake embedder, real UMAP/HDBSCAN/classifier)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from synth_quality import AuditConfig, AuditResult, audit
from synth_quality.progress import Stage

REQUIRED_COLUMNS = [
    "side", "row", "text", "x", "y", "cluster", "p_synthetic", "label_issue_score",
    "outlier_score", "is_outlier", "near_duplicate_group", "nearest_real_similarity",
    "repetition_score", "category", "generator", "label", "nearest_synthetic_similarity",
    "in_other_manifold", "coverage_score", "reason", "is_copy_of_real", "is_degenerate",
]


def test_examples_have_documented_columns_and_one_row_per_input(planted_audit, planted):
    real, synth = planted
    ex = planted_audit.examples
    assert [c for c in REQUIRED_COLUMNS if c not in ex] == []
    assert len(ex) == len(real) + len(synth)
    assert (ex["side"] == "real").sum() == len(real)
    # `row` points back into each input file: the text matches that file's row.
    for side, table in (("real", real), ("synthetic", synth)):
        part = ex[ex["side"] == side]
        assert part["text"].tolist() == table["text"].iloc[part["row"]].tolist()


def test_real_only_and_synthetic_only_modes_are_found(planted_audit, planted):
    clusters = planted_audit.clusters
    by_status = {s: clusters[clusters["status"] == s] for s in ("real_only", "synthetic_only")}
    assert len(by_status["real_only"]) >= 1 and len(by_status["synthetic_only"]) >= 1
    assert "documentary" in by_status["real_only"].iloc[0]["keywords"] or \
        "glacier" in by_status["real_only"].iloc[0]["keywords"]
    assert "blender" in by_status["synthetic_only"].iloc[0]["keywords"]
    # Modes only one side covers come first.
    assert list(clusters["status"][:2]) in (["real_only", "synthetic_only"], ["synthetic_only", "real_only"]) \
        or clusters["status"].iloc[0] in ("real_only", "synthetic_only")
    assert clusters.iloc[-1]["status"] in ("noise", "shared")


def test_planted_rows_are_flagged(planted_audit, planted):
    ex = planted_audit.examples
    real, _ = planted
    syn = ex[ex["side"] == "synthetic"]
    copies = syn[syn["text"].isin(real["text"][:5])]
    assert copies["is_copy_of_real"].all()
    assert sorted(copies["nearest_real_row"].astype(int)) == [0, 1, 2, 3, 4]
    loops = syn[syn["text"].str.contains("what a mess|the plot the plot|epic epic|i loved it i")]
    assert len(loops) == 4 and loops["is_degenerate"].all()
    assert syn["is_degenerate"].sum() == 4  # nothing else is degenerate
    # The six identical rows share one near-duplicate group without real rows.
    same = syn[syn["text"] == "this movie is great ."]
    assert same["near_duplicate_group"].nunique() == 1 and same["near_duplicate_group_size"].iloc[0] == 6
    # Dataset scores from those plants: 6 identical rows (unvaried), 5 copies (unoriginal).
    n_syn = len(syn)
    assert planted_audit.summary["unvaried"] == pytest.approx(6 / n_syn)
    assert planted_audit.summary["unoriginal"] == pytest.approx(5 / n_syn)


def test_coverage_ranks_planted_one_sided_rows(planted_audit):
    ex = planted_audit.examples
    real = ex[ex["side"] == "real"]
    syn = ex[ex["side"] == "synthetic"]
    docu = real["text"].str.contains("documentary|glacier|arctic|expedition|footage|climate|melt")
    blender = syn["text"].str.contains("blender|kitchen|smoothie|motor|blade|appliance|cord|crush")
    # Low coverage_score = poorly covered, so the planted rows should rank first.
    assert roc_auc_score(docu, -real["coverage_score"]) >= 0.85
    assert roc_auc_score(blender, -syn["coverage_score"]) >= 0.85
    assert (real.loc[docu, "category"] == "underrepresented real").mean() >= 0.8


def test_label_issue_score_is_out_of_fold_and_balanced(planted_audit):
    ex = planted_audit.examples
    is_syn = ex["side"] == "synthetic"
    expected = np.where(is_syn, 1 - ex["p_synthetic"], ex["p_synthetic"])
    assert np.allclose(ex["label_issue_score"], expected)
    s = planted_audit.summary
    assert s["detection_auc"] == pytest.approx(roc_auc_score(is_syn, ex["p_synthetic"]))
    lo, hi = s["detection_auc_ci"]
    assert lo < s["detection_auc"] < hi
    # Balanced weights: the shared modes sit near 0.5 although synthetic rows outnumber real.
    shared = ex[ex["cluster"].isin(planted_audit.clusters.query("status == 'shared'")["cluster"])]
    assert 0.3 < shared["p_synthetic"].median() < 0.7


def test_same_seed_same_outputs(planted, fake_embedder, tmp_path):
    real, synth = planted
    cfg = AuditConfig.from_dict({"embed": {"use_cache": False}, "cluster": {"min_cluster_size": 10}})
    a = audit(real=real, synthetic=synth, config=cfg, embedder=fake_embedder)
    b = audit(real=real, synthetic=synth, config=cfg, embedder=fake_embedder)
    pd.testing.assert_frame_equal(a.examples, b.examples)
    pd.testing.assert_frame_equal(a.clusters, b.clusters)
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    for name in ("examples.parquet", "clusters.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    sa, sb = (json.loads((tmp_path / d / "summary.json").read_text()) for d in "ab")
    sa.pop("timings"), sb.pop("timings")
    assert sa == sb


def test_save_load_round_trip_and_recluster(planted_audit, tmp_path):
    folder = planted_audit.save(tmp_path / "run")
    assert {p.name for p in folder.iterdir()} >= {"examples.parquet", "clusters.parquet", "summary.json"}
    loaded = AuditResult.load(folder)
    pd.testing.assert_frame_equal(loaded.examples, planted_audit.examples)
    assert loaded.clusters["keywords"].tolist() == planted_audit.clusters["keywords"].tolist()
    summary = json.loads((folder / "summary.json").read_text())
    for key in ("n_real", "n_synthetic", "detection_auc", "unrealistic", "unrepresentative",
                "unvaried", "unoriginal", "timings", "config", "versions"):
        assert key in summary
    assert summary["config"]["random_state"] == 0
    assert set(summary["timings"]) >= {"embedding", "projecting_map", "clustering", "detecting"}
    coarse = loaded.recluster(min_cluster_size=100)
    assert coarse.summary["n_clusters"] < planted_audit.summary["n_clusters"]
    assert coarse.clusters["size"].sum() == len(loaded.examples)
    assert (coarse.examples["cluster"] != loaded.examples["cluster"]).any()
    # Re-clustering counts words once per audit; the table must be the one built from scratch.
    from synth_quality.analysis.cluster import cluster_table

    for size in (100, 15, 40):
        again = loaded.recluster(min_cluster_size=size)
        pd.testing.assert_frame_equal(
            again.clusters, cluster_table(again.examples, loaded.cluster_coords, again.config.cluster))
    # A re-clustered result re-clusters with the same counts and tree, to the same tables.
    twice = loaded.recluster(min_cluster_size=15).recluster(min_cluster_size=40)
    assert twice.counted_words()[1] is loaded.counted_words()[1]
    pd.testing.assert_frame_equal(twice.clusters, loaded.recluster(min_cluster_size=40).clusters)
    pd.testing.assert_series_equal(twice.examples["cluster"],
                                   loaded.recluster(min_cluster_size=40).examples["cluster"])


def test_progress_reports_every_stage(planted, fake_embedder):
    real, synth = planted
    calls = []
    cfg = AuditConfig.from_dict({"embed": {"use_cache": False, "batch_size": 50}})
    result = audit(real=real, synthetic=synth, config=cfg, embedder=fake_embedder,
                   progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = list(dict.fromkeys(c[0] for c in calls))
    assert stages[:2] == [Stage.LOADING, Stage.EMBEDDING]
    assert {Stage.NEIGHBOURS, Stage.PROJECTING_MAP, Stage.PROJECTING_CLUSTERS, Stage.CLUSTERING,
            Stage.DETECTING, Stage.SCORING} <= set(stages)
    # Stages are constants, each with its words for the dashboard and the command line.
    from synth_quality.present.progress import STAGE_LABEL, STAGE_TEXT, STAGE_WEIGHTS
    assert set(stages) <= set(Stage.AUDIT) and set(stages) <= set(STAGE_TEXT) & set(STAGE_LABEL)
    # The dashboard's overall bar adds up stage weights in this order: it must be the audit's.
    order = [list(STAGE_WEIGHTS).index(s) for s in stages if s in STAGE_WEIGHTS]
    assert order == sorted(order), stages
    assert list(STAGE_WEIGHTS) == list(Stage.AUDIT)
    embedding = [c for c in calls if c[0] == Stage.EMBEDDING]
    n = len(real) + len(synth)
    assert embedding[-1] == ("embedding", n, n) and len(embedding) >= n // 50
    # A timed stage's key in summary["timings"] is its stage name.
    timed = set(result.summary["timings"]) - {"total"}
    assert timed <= set(stages), timed
    # Each stage runs once, start to end: none is reported again after another began (the
    # diversity figures once ran inside the corners stage, which the command line then printed
    # twice).
    runs = [stage for i, (stage, _, _) in enumerate(calls) if i == 0 or calls[i - 1][0] != stage]
    for stage in (Stage.CORNERS, Stage.DIVERSITY, Stage.SCORING, Stage.REFERENCE):
        assert runs.count(stage) == 1, runs
    assert {Stage.CORNERS, Stage.DIVERSITY} <= timed


def test_seeded_projections_are_cached_and_identical(planted, fake_embedder, tmp_path):
    real, synth = planted
    cfg = AuditConfig.from_dict({"embed": {"cache_dir": str(tmp_path)}})
    first = audit(real=real, synthetic=synth, config=cfg, embedder=fake_embedder)
    assert len(list((tmp_path / "projections").glob("*.npy"))) == 2
    again = audit(real=real, synthetic=synth, config=cfg, embedder=fake_embedder)
    pd.testing.assert_frame_equal(first.examples, again.examples)
    assert again.summary["timings"]["projecting_map"] < 0.5
    # Other settings are other keys: nothing is read back for them.
    other = cfg.replace(project={"n_epochs": 50})
    audit(real=real, synthetic=synth, config=other, embedder=fake_embedder)
    assert len(list((tmp_path / "projections").glob("*.npy"))) == 4


def test_label_quality_columns_and_summary(planted_audit):
    """With a label column every labelled row is judged; the planted labels alternate with no
    regard to the text, so no evidence can confirm them: quality stays near chance."""
    ex, s = planted_audit.examples, planted_audit.summary
    assert ex["label_quality"].between(0, 1).all()
    assert ex["is_label_issue"].dtype == bool
    assert set(ex.loc[ex["side"] == "real", "label_evidence"]) == {"real rows (out-of-fold)"}
    assert ex["label_quality"].mean() < 0.7
    labels = s["labels"]
    assert labels["real"]["n_judged"] + labels["synthetic"]["n_judged"] == len(ex)
    assert set(labels["by_generator"]) == {"gen-a", "gen-b"}
    assert labels["balance"]["classes"] == ["neg", "pos"]
    assert s["by_generator"]["gen-a"]["label_issue_share"] == pytest.approx(
        ex.loc[ex["generator"] == "gen-a", "is_label_issue"].mean())
    assert {"label_gap", "synthetic_label_issue_share"} <= set(planted_audit.clusters.columns)
    assert s["timings"]["checking_labels"] >= 0
